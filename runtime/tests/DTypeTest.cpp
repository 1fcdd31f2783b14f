//===- DTypeTest.cpp - conversions and the in-order reduction -------------===//

#include "braid_rt/DType.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>

using namespace braid_rt;

namespace {

uint32_t bitsOf(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, 4);
  return bits;
}

/// Round `value` to a binary format with `precision` significant bits,
/// smallest normal exponent `minExponent` and largest finite `maxFinite`,
/// nearest even, from first principles (double arithmetic is exact here).
double roundToFormat(double value, int precision, int minExponent,
                     double maxFinite) {
  if (std::isnan(value) || std::isinf(value) || value == 0)
    return value;
  int exponent;
  std::frexp(value, &exponent); // |value| = m * 2^exponent, m in [0.5, 1)
  int quantumExponent = std::max(exponent, minExponent + 1) - precision;
  double rounded =
      std::nearbyint(std::ldexp(value, -quantumExponent)); // ties to even
  double result = std::ldexp(rounded, quantumExponent);
  if (std::fabs(result) > maxFinite)
    return std::copysign(INFINITY, value);
  return result;
}

double roundF16(double value) {
  return roundToFormat(value, 11, -14, 65504.0);
}
double roundBf16(double value) {
  return roundToFormat(value, 8, -126, std::ldexp(255.0, 120));
}

} // namespace

TEST(DType, SizesAndNames) {
  EXPECT_EQ(dtypeSize(DType::F64), 8u);
  EXPECT_EQ(dtypeSize(DType::BF16), 2u);
  EXPECT_EQ(dtypeSize(DType::I8), 1u);
  EXPECT_STREQ(dtypeName(DType::BF16), "bf16");
  EXPECT_STREQ(reduceOpName(ReduceOp::Prod), "prod");
  EXPECT_FALSE(isValid(static_cast<DType>(7)));
  EXPECT_FALSE(isValid(static_cast<ReduceOp>(-1)));
}

TEST(DType, HalfRoundTripsEveryValue) {
  for (uint32_t bits = 0; bits < 0x10000; ++bits) {
    float value = halfToFloat(static_cast<uint16_t>(bits));
    if (std::isnan(value)) {
      EXPECT_TRUE(std::isnan(halfToFloat(floatToHalf(value))));
      continue;
    }
    EXPECT_EQ(floatToHalf(value), bits) << "half bits " << bits;
  }
}

TEST(DType, Bf16RoundTripsEveryValue) {
  for (uint32_t bits = 0; bits < 0x10000; ++bits) {
    float value = bf16ToFloat(static_cast<uint16_t>(bits));
    if (std::isnan(value)) {
      EXPECT_TRUE(std::isnan(bf16ToFloat(floatToBf16(value))));
      continue;
    }
    EXPECT_EQ(floatToBf16(value), bits) << "bf16 bits " << bits;
  }
}

TEST(DType, NarrowingRoundsToNearestEven) {
  std::mt19937 generator(7);
  std::uniform_int_distribution<uint32_t> anyBits;
  for (int i = 0; i < 200000; ++i) {
    float value;
    uint32_t bits = anyBits(generator);
    std::memcpy(&value, &bits, 4);
    if (std::isnan(value))
      continue;
    EXPECT_EQ(static_cast<double>(halfToFloat(floatToHalf(value))),
              roundF16(value))
        << "f32 bits " << bits;
    EXPECT_EQ(static_cast<double>(bf16ToFloat(floatToBf16(value))),
              roundBf16(value))
        << "f32 bits " << bits;
  }
  // Ties: 1 + 2^-11 is halfway between f16 1 and 1 + 2^-10: even is 1.
  EXPECT_EQ(floatToHalf(1.0f + 0x1p-11f), 0x3c00);
  EXPECT_EQ(floatToHalf(1.0f + 3 * 0x1p-11f), 0x3c02);
  EXPECT_EQ(floatToHalf(65520.0f), 0x7c00); // rounds to infinity
  EXPECT_EQ(floatToHalf(65519.0f), 0x7bff);
  EXPECT_EQ(floatToBf16(1.0f + 0x1p-8f), 0x3f80);
  EXPECT_EQ(floatToBf16(std::numeric_limits<float>::infinity()), 0x7f80);
}

TEST(DType, ReduceFoldsInOrderRoundingEachStep) {
  // f16: 2048 + 1 rounds back to 2048 (ulp 2), so ((2048 + 1) + 1) = 2048,
  // while 2048 + (1 + 1) would be 2050: the order is the members' order.
  uint16_t a = floatToHalf(2048), one = floatToHalf(1);
  const void *sources[] = {&a, &one, &one};
  uint16_t out;
  reduceInOrder(&out, sources, 3, 1, DType::F16, ReduceOp::Sum);
  EXPECT_EQ(halfToFloat(out), 2048.0f);
  const void *reordered[] = {&one, &one, &a};
  reduceInOrder(&out, reordered, 3, 1, DType::F16, ReduceOp::Sum);
  EXPECT_EQ(halfToFloat(out), 2050.0f);

  // f32 likewise with 2^24.
  float big = 16777216.0f, unit = 1.0f, result;
  const void *f32Sources[] = {&big, &unit, &unit};
  reduceInOrder(&result, f32Sources, 3, 1, DType::F32, ReduceOp::Sum);
  EXPECT_EQ(result, 16777216.0f);
}

TEST(DType, ReduceSpecialValues) {
  float nan = std::numeric_limits<float>::quiet_NaN();
  float x[] = {1.0f, nan, -0.0f, 3.0f};
  float y[] = {nan, 2.0f, 0.0f, -INFINITY};
  const void *sources[] = {x, y};
  float out[4];
  reduceInOrder(out, sources, 2, 4, DType::F32, ReduceOp::Max);
  EXPECT_TRUE(std::isnan(out[0]));
  EXPECT_TRUE(std::isnan(out[1]));
  // Equal operands keep the first (std::max), as the interpreter does.
  EXPECT_EQ(bitsOf(out[2]), bitsOf(-0.0f));
  EXPECT_EQ(out[3], 3.0f);
  reduceInOrder(out, sources, 2, 4, DType::F32, ReduceOp::Min);
  EXPECT_TRUE(std::isnan(out[0]) && std::isnan(out[1]));
  EXPECT_EQ(out[3], -INFINITY);
}

TEST(DType, SumAndProductKeepTheFirstNaNQuieted) {
  // A signalling NaN with a payload, and a negative quiet one: the result
  // is the first NaN operand with its quiet bit set (the NCCL engine's fold
  // kernel computes the same bits, not CUDA's canonical NaN).
  uint32_t signalling = 0x7f800123u, negative = 0xffc00456u;
  float first, second, one = 1.0f;
  std::memcpy(&first, &signalling, 4);
  std::memcpy(&second, &negative, 4);
  for (ReduceOp op : {ReduceOp::Sum, ReduceOp::Prod}) {
    float out;
    const void *both[] = {&first, &second};
    reduceInOrder(&out, both, 2, 1, DType::F32, op);
    EXPECT_EQ(bitsOf(out), 0x7fc00123u);
    const void *swapped[] = {&second, &first};
    reduceInOrder(&out, swapped, 2, 1, DType::F32, op);
    EXPECT_EQ(bitsOf(out), 0xffc00456u);
    const void *later[] = {&one, &first};
    reduceInOrder(&out, later, 2, 1, DType::F32, op);
    EXPECT_EQ(bitsOf(out), 0x7fc00123u);
  }
}

TEST(DType, IntegersWrap) {
  int8_t a[] = {100, -128, 16}, b[] = {100, -1, 16};
  const void *sources[] = {a, b};
  int8_t out[3];
  reduceInOrder(out, sources, 2, 3, DType::I8, ReduceOp::Sum);
  EXPECT_EQ(out[0], static_cast<int8_t>(-56));
  EXPECT_EQ(out[1], static_cast<int8_t>(127));
  reduceInOrder(out, sources, 2, 3, DType::I8, ReduceOp::Prod);
  EXPECT_EQ(out[2], static_cast<int8_t>(0)); // 256 wraps to 0
  int64_t big[] = {std::numeric_limits<int64_t>::max()}, one[] = {1};
  const void *wide[] = {big, one};
  int64_t sum;
  reduceInOrder(&sum, wide, 2, 1, DType::I64, ReduceOp::Sum);
  EXPECT_EQ(sum, std::numeric_limits<int64_t>::min());
}

TEST(DType, ReduceInPlaceAndAcrossBlocks) {
  // More elements than one internal block, destination aliasing source 1.
  std::vector<double> x(1500), y(1500);
  for (size_t i = 0; i < x.size(); ++i) {
    x[i] = static_cast<double>(i);
    y[i] = 0.5 * static_cast<double>(i);
  }
  const void *sources[] = {x.data(), y.data()};
  reduceInOrder(y.data(), sources, 2, y.size(), DType::F64, ReduceOp::Sum);
  for (size_t i = 0; i < y.size(); ++i)
    ASSERT_EQ(y[i], 1.5 * static_cast<double>(i));
}
