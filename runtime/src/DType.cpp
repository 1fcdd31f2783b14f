//===- DType.cpp - element types and reductions ---------------------------===//

#include "braid_rt/DType.h"

#include <cmath>
#include <limits>
#include <type_traits>

namespace braid_rt {

bool isValid(DType dtype) {
  int value = static_cast<int>(dtype);
  return value >= 0 && value < kNumDTypes;
}

bool isValid(ReduceOp op) {
  int value = static_cast<int>(op);
  return value >= 0 && value < kNumReduceOps;
}

size_t dtypeSize(DType dtype) {
  switch (dtype) {
  case DType::F64:
  case DType::I64:
    return 8;
  case DType::F32:
  case DType::I32:
    return 4;
  case DType::F16:
  case DType::BF16:
    return 2;
  case DType::I8:
    return 1;
  }
  return 0;
}

const char *dtypeName(DType dtype) {
  switch (dtype) {
  case DType::F64:
    return "f64";
  case DType::F32:
    return "f32";
  case DType::F16:
    return "f16";
  case DType::BF16:
    return "bf16";
  case DType::I64:
    return "i64";
  case DType::I32:
    return "i32";
  case DType::I8:
    return "i8";
  }
  return "invalid-dtype";
}

const char *reduceOpName(ReduceOp op) {
  switch (op) {
  case ReduceOp::Sum:
    return "sum";
  case ReduceOp::Max:
    return "max";
  case ReduceOp::Min:
    return "min";
  case ReduceOp::Prod:
    return "prod";
  }
  return "invalid-reduce-op";
}

static uint32_t floatBits(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  return bits;
}

static float bitsFloat(uint32_t bits) {
  float value;
  std::memcpy(&value, &bits, sizeof(value));
  return value;
}

float halfToFloat(uint16_t bits) {
  uint32_t sign = static_cast<uint32_t>(bits & 0x8000u) << 16;
  uint32_t exponent = (bits >> 10) & 0x1fu;
  uint32_t mantissa = bits & 0x3ffu;
  if (exponent == 0x1f) // inf / NaN
    return bitsFloat(sign | 0x7f800000u | (mantissa << 13));
  if (exponent == 0) {
    if (mantissa == 0)
      return bitsFloat(sign);
    // Subnormal: value = mantissa * 2^-24, exact in f32.
    float magnitude = static_cast<float>(mantissa) * 0x1p-24f;
    return sign ? -magnitude : magnitude;
  }
  return bitsFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
}

uint16_t floatToHalf(float value) {
  uint32_t bits = floatBits(value);
  uint16_t sign = static_cast<uint16_t>((bits >> 16) & 0x8000u);
  uint32_t magnitude = bits & 0x7fffffffu;
  if (magnitude > 0x7f800000u) // NaN: keep it quiet
    return sign | 0x7e00u | static_cast<uint16_t>((bits >> 13) & 0x1ffu);
  if (magnitude >= 0x47800000u) // >= 65536: infinity (also for inf)
    return sign | 0x7c00u;
  float absValue = bitsFloat(magnitude);
  if (magnitude < 0x38800000u) { // below 2^-14: subnormal or zero
    // Multiplying by 2^24 makes the subnormal's unit 1; the FPU's
    // round-to-nearest-even of the float->int step is done by nearbyint.
    float scaled = absValue * 0x1p24f;
    uint32_t rounded = static_cast<uint32_t>(std::nearbyint(scaled));
    return sign | static_cast<uint16_t>(rounded); // may round up to 0x400
  }
  // Normal: drop 13 mantissa bits, rounding to nearest even; a carry into
  // the exponent is correct (up to infinity at 65520).
  uint32_t rounded = magnitude + 0xfffu + ((magnitude >> 13) & 1u);
  uint32_t half = (rounded >> 13) - (112u << 10);
  return sign | static_cast<uint16_t>(half);
}

uint16_t floatToBf16(float value) {
  uint32_t bits = floatBits(value);
  if ((bits & 0x7fffffffu) > 0x7f800000u) // NaN: keep it quiet
    return static_cast<uint16_t>((bits >> 16) | 0x40u);
  uint32_t rounded = bits + 0x7fffu + ((bits >> 16) & 1u);
  return static_cast<uint16_t>(rounded >> 16);
}

namespace {

template <typename T> T combineFloat(T a, T b, ReduceOp op) {
  switch (op) {
  case ReduceOp::Sum:
    return a + b;
  case ReduceOp::Prod:
    return a * b;
  case ReduceOp::Max:
    if (std::isnan(a) || std::isnan(b))
      return std::numeric_limits<T>::quiet_NaN();
    return a < b ? b : a;
  case ReduceOp::Min:
    if (std::isnan(a) || std::isnan(b))
      return std::numeric_limits<T>::quiet_NaN();
    return b < a ? b : a;
  }
  return a;
}

template <typename T> T combineInt(T a, T b, ReduceOp op) {
  using U = std::make_unsigned_t<T>;
  switch (op) {
  case ReduceOp::Sum:
    return static_cast<T>(static_cast<U>(a) + static_cast<U>(b));
  case ReduceOp::Prod:
    // Promote to unsigned long long so i8/i32 products wrap instead of
    // overflowing a signed int.
    return static_cast<T>(static_cast<unsigned long long>(static_cast<U>(a)) *
                          static_cast<unsigned long long>(static_cast<U>(b)));
  case ReduceOp::Max:
    return a < b ? b : a;
  case ReduceOp::Min:
    return b < a ? b : a;
  }
  return a;
}

// Folds block by block: each block of the result is computed in a local
// accumulator before it is stored, so `dst` may alias any source, and the
// inner loops over one source vectorise.
constexpr size_t kBlock = 512;

template <typename T>
void foldNative(void *dst, const void *const *srcs, size_t numSrcs,
                size_t count, ReduceOp op) {
  T acc[kBlock];
  for (size_t begin = 0; begin < count; begin += kBlock) {
    size_t n = count - begin < kBlock ? count - begin : kBlock;
    std::memcpy(acc, static_cast<const T *>(srcs[0]) + begin, n * sizeof(T));
    for (size_t s = 1; s < numSrcs; ++s) {
      const T *next = static_cast<const T *>(srcs[s]) + begin;
      for (size_t i = 0; i < n; ++i) {
        if constexpr (std::is_floating_point_v<T>)
          acc[i] = combineFloat(acc[i], next[i], op);
        else
          acc[i] = combineInt(acc[i], next[i], op);
      }
    }
    std::memcpy(static_cast<T *>(dst) + begin, acc, n * sizeof(T));
  }
}

template <float (*ToFloat)(uint16_t), uint16_t (*FromFloat)(float)>
void foldHalf(void *dst, const void *const *srcs, size_t numSrcs, size_t count,
              ReduceOp op) {
  // `acc` always holds a value of the narrow type, widened.
  float acc[kBlock];
  for (size_t begin = 0; begin < count; begin += kBlock) {
    size_t n = count - begin < kBlock ? count - begin : kBlock;
    const uint16_t *first = static_cast<const uint16_t *>(srcs[0]) + begin;
    for (size_t i = 0; i < n; ++i)
      acc[i] = ToFloat(first[i]);
    for (size_t s = 1; s < numSrcs; ++s) {
      const uint16_t *next = static_cast<const uint16_t *>(srcs[s]) + begin;
      for (size_t i = 0; i < n; ++i)
        acc[i] = ToFloat(FromFloat(combineFloat(acc[i], ToFloat(next[i]), op)));
    }
    uint16_t *out = static_cast<uint16_t *>(dst) + begin;
    for (size_t i = 0; i < n; ++i)
      out[i] = FromFloat(acc[i]);
  }
}

} // namespace

void reduceInOrder(void *dst, const void *const *srcs, size_t numSrcs,
                   size_t count, DType dtype, ReduceOp op) {
  if (numSrcs == 0)
    return;
  switch (dtype) {
  case DType::F64:
    return foldNative<double>(dst, srcs, numSrcs, count, op);
  case DType::F32:
    return foldNative<float>(dst, srcs, numSrcs, count, op);
  case DType::F16:
    return foldHalf<halfToFloat, floatToHalf>(dst, srcs, numSrcs, count, op);
  case DType::BF16:
    return foldHalf<bf16ToFloat, floatToBf16>(dst, srcs, numSrcs, count, op);
  case DType::I64:
    return foldNative<int64_t>(dst, srcs, numSrcs, count, op);
  case DType::I32:
    return foldNative<int32_t>(dst, srcs, numSrcs, count, op);
  case DType::I8:
    return foldNative<int8_t>(dst, srcs, numSrcs, count, op);
  }
}

} // namespace braid_rt
