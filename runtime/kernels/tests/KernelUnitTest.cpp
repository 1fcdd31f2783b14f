//===- KernelUnitTest.cpp - conversions, GEMM forms and errors ------------===//
//
// What the interpreter's reference data cannot show: rounding corner cases
// of the bf16/f16 conversions, the fast numerics' building blocks
// (Vectors.h) and their numerics contract against long-double references,
// GEMM layouts it never produces (padded leading dimensions, broadcast
// batch operands, an ignored C), and every error path of the C entry
// points.
//
//===----------------------------------------------------------------------===//

#include "ReferenceCases.h"
#include "braid_rt/kernels.h"
#include "braid_rt/kernels/Float.h"
#include "cpu/Vectors.h"

#ifdef BRAID_RT_HAVE_STATUS_H
#include "braid_rt/Status.h"
#endif

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

using namespace braid_rt::kernels;
using namespace braid_rt::kernels::testing;

extern "C" int braid_rt_kernels_c_header_check(void);

namespace {

std::string lastError() { return braid_rt_kernel_last_error(); }

//===----------------------------------------------------------------------===//
// Conversions
//===----------------------------------------------------------------------===//

TEST(Float, HalfRoundTripsEveryValue) {
  for (uint32_t bits = 0; bits < 0x10000; ++bits) {
    f16 half{static_cast<uint16_t>(bits)};
    float value = toFloat(half);
    if (std::isnan(value))
      continue;
    EXPECT_EQ(f16FromFloat(value).bits, bits) << std::hex << bits;
    EXPECT_EQ(roundTo<f16>(static_cast<double>(value)).bits, bits);
  }
}

TEST(Float, HalfMatchesTheCompiler) {
  // GCC's _Float16 conversion rounds to nearest even in hardware or libgcc:
  // an independent reference over a spread of f32 bit patterns.
  std::mt19937 random(7);
  for (int i = 0; i < 2000000; ++i) {
    uint32_t bits = random();
    float value = floatOfBits(bits);
    if (std::isnan(value))
      continue;
    _Float16 reference = static_cast<_Float16>(value);
    uint16_t expected;
    std::memcpy(&expected, &reference, 2);
    ASSERT_EQ(f16FromFloat(value).bits, expected)
        << std::hex << bits << " " << value;
  }
}

TEST(Float, Bf16RoundsToNearestEven) {
  EXPECT_EQ(bf16FromFloat(1.0f).bits, 0x3f80);
  // Halfway between 0x3f80 and 0x3f81: to the even one.
  EXPECT_EQ(bf16FromFloat(floatOfBits(0x3f808000)).bits, 0x3f80);
  EXPECT_EQ(bf16FromFloat(floatOfBits(0x3f818000)).bits, 0x3f82);
  EXPECT_EQ(bf16FromFloat(floatOfBits(0x3f808001)).bits, 0x3f81);
  EXPECT_EQ(bf16FromFloat(std::numeric_limits<float>::max()).bits, 0x7f80);
  EXPECT_TRUE(std::isnan(toFloat(bf16FromFloat(NAN))));
  EXPECT_EQ(bf16FromFloat(-0.0f).bits, 0x8000);
}

// A double just above a bf16/f16 midpoint rounds up; rounding it to f32
// first lands on the midpoint and then to the even neighbour below. The
// interpreter rounds the double once, and so must roundTo.
TEST(Float, DoubleRoundsOnceToBf16AndF16) {
  double aboveMid = 1.00390625 + std::ldexp(1.0, -40);
  EXPECT_EQ(bf16FromFloat(static_cast<float>(aboveMid)).bits, 0x3f80);
  EXPECT_EQ(roundTo<bf16>(aboveMid).bits, 0x3f81);
  EXPECT_EQ(roundTo<bf16>(-aboveMid).bits, 0xbf81);
  double halfMid = 1.0 + std::ldexp(1.0, -11) + std::ldexp(1.0, -45);
  EXPECT_EQ(f16FromFloat(static_cast<float>(halfMid)).bits, 0x3c00);
  EXPECT_EQ(roundTo<f16>(halfMid).bits, 0x3c01);
  // Exact midpoints still go to even; huge and tiny values saturate.
  EXPECT_EQ(roundTo<bf16>(1.00390625).bits, 0x3f80);
  EXPECT_EQ(roundTo<bf16>(1e300).bits, 0x7f80);
  EXPECT_EQ(roundTo<bf16>(1e-300).bits, 0x0000);
  EXPECT_EQ(roundTo<f16>(65519.99).bits, 0x7bff);
  EXPECT_EQ(roundTo<f16>(65520.0).bits, 0x7c00);
  EXPECT_EQ(roundTo<f16>(std::ldexp(1.0, -25) * 1.0000001).bits, 0x0001);
  EXPECT_EQ(roundTo<f16>(std::ldexp(1.0, -25)).bits, 0x0000);
}

TEST(Float, RoundToOddMarksInexactResults) {
  EXPECT_EQ(roundToOddFloat(1.0), 1.0f);
  float odd = roundToOddFloat(1.0 + std::ldexp(1.0, -30));
  EXPECT_EQ(bitsOf(odd), bitsOf(1.0f) | 1u);
  EXPECT_EQ(roundToOddFloat(1e300), std::numeric_limits<float>::max());
  EXPECT_EQ(bitsOf(roundToOddFloat(1e-300)), 1u);
}

//===----------------------------------------------------------------------===//
// Vectors.h: the building blocks of the fast numerics
//===----------------------------------------------------------------------===//

/// Applies the four-lane exp to one value.
float vectorExp(float x) { return cpu::simd::exp(cpu::simd::splat(x))[0]; }

TEST(Vectors, ExpIsWithinOneUlp) {
  // Every 61st f32 in [-104.5, 89.5] (about 37M values; an exhaustive run
  // found 0.99 ulp at most): within 1 ulp of e^x, and mostly its correctly
  // rounded value.
  int64_t checked = 0, rounded = 0;
  for (uint64_t bits = 0; bits <= 0xffffffffu; bits += 61) {
    float x = floatOfBits(static_cast<uint32_t>(bits));
    if (!(x >= -104.5f && x <= 89.5f))
      continue;
    double exact = std::exp(static_cast<double>(x));
    float nearest = static_cast<float>(exact), got = vectorExp(x);
    ++checked;
    if (got == nearest) {
      ++rounded;
      continue;
    }
    double ulp = nearest == 0 ? std::ldexp(1.0, -149)
                              : std::nextafter(nearest, INFINITY) - nearest;
    ASSERT_LE(std::fabs(got - exact), ulp) << "x = " << x;
  }
  EXPECT_GT(rounded, checked * 99 / 100);
  EXPECT_EQ(vectorExp(-INFINITY), 0.0f);
  EXPECT_EQ(vectorExp(INFINITY), INFINITY);
  EXPECT_EQ(vectorExp(88.8f), INFINITY);   // e^88.8 > FLT_MAX
  EXPECT_EQ(vectorExp(-104.0f), 0.0f);     // below half the least subnormal
  EXPECT_GT(vectorExp(-103.9f), 0.0f);     // rounds up to it
  EXPECT_TRUE(std::isnan(vectorExp(NAN)));
  EXPECT_EQ(vectorExp(0.0f), 1.0f);
}

TEST(Vectors, Bf16ConversionsAreTheScalarOnes) {
  for (uint32_t bits = 0; bits < 0x10000; bits += 4) {
    bf16 in[4];
    for (uint32_t lane = 0; lane < 4; ++lane)
      in[lane].bits = static_cast<uint16_t>(bits + lane);
    cpu::simd::Floats wide = cpu::simd::bf16ToFloats(in);
    for (uint32_t lane = 0; lane < 4; ++lane)
      ASSERT_EQ(bitsOf(wide[lane]), bitsOf(toFloat(in[lane])));
  }
  // Every 5th f32 pattern from every 5th start: each residue of the low
  // bits, ties and NaN payloads included.
  for (uint64_t bits = 0; bits + 4 <= 0xffffffffu; bits += 4 * 5) {
    float in[4];
    for (uint32_t lane = 0; lane < 4; ++lane)
      in[lane] = floatOfBits(static_cast<uint32_t>(bits + lane));
    bf16 out[4];
    cpu::simd::floatsToBf16(cpu::simd::load(in), out);
    for (uint32_t lane = 0; lane < 4; ++lane)
      ASSERT_EQ(out[lane].bits, bf16FromFloat(in[lane]).bits)
          << std::hex << bitsOf(in[lane]);
  }
}

TEST(Vectors, SumAndMaxOrder) {
  // Element i goes to partial sum i mod 8; ((s0 + s4) + (s1 + s5)) +
  // ((s2 + s6) + (s3 + s7)). 2^24 + 1 + 1 loses both ones in a running sum
  // but keeps them when they meet first, in s1 and s5.
  std::vector<float> values(13, 0.0f);
  values[0] = 0x1p24f;
  values[1] = values[5] = 1.0f;
  values[12] = 2.0f; // the tail, in s4
  EXPECT_EQ(cpu::simd::sumOf(values.data(), 13), 0x1p24f + 4.0f);
  // A term applies to the tail's real elements only: 11 + 12 + 13.
  std::vector<float> small = {1.0f, 2.0f, 3.0f};
  EXPECT_EQ(cpu::simd::sumOf(small.data(), 3,
                             [](cpu::simd::Floats v) { return v + 10.0f; }),
            36.0f);
  std::vector<float> withNan = {1.0f, NAN, 3.0f, -INFINITY, 2.0f};
  EXPECT_EQ(cpu::simd::maxOf(withNan.data(), 5), 3.0f);
  EXPECT_EQ(cpu::simd::maxOf(withNan.data(), 0), -INFINITY);
}

//===----------------------------------------------------------------------===//
// GEMM forms
//===----------------------------------------------------------------------===//

std::vector<float> randomFloats(size_t count, uint32_t seed) {
  std::mt19937 random(seed);
  std::normal_distribution<float> normal;
  std::vector<float> values(count);
  for (float &value : values)
    value = normal(random);
  return values;
}

template <typename T> std::vector<T> rounded(const std::vector<float> &values) {
  std::vector<T> result;
  for (float value : values)
    result.push_back(roundTo<T>(value));
  return result;
}

TEST(Gemm, PaddedLeadingDimensionsAndTransposes) {
  // C[5x3] (ldc 7) = A^T (A stored [4x5], lda 6) times B^T (B stored [3x4],
  // ldb 9); BLAS within the bound of the sequential result, which is a
  // plain f32 loop.
  std::vector<float> a = randomFloats(4 * 6, 1), b = randomFloats(3 * 9, 2);
  braid_rt_gemm_desc desc = braid_rt_gemm_desc_dense(
      1, 5, 3, 4, BRAID_RT_ELEM_F32, BRAID_RT_ELEM_F32, BRAID_RT_ELEM_F32, 0);
  desc.trans_a = desc.trans_b = 1;
  desc.lda = 6;
  desc.ldb = 9;
  desc.ldc = 7;
  std::vector<float> sequential(5 * 7, -1.0f), blas(5 * 7, -1.0f);
  ASSERT_EQ(braid_rt_cpu_gemm(&desc, a.data(), b.data(), sequential.data(),
                              BRAID_RT_GEMM_SEQUENTIAL, nullptr, 0),
            BRAID_RT_KERNEL_OK);
  ASSERT_EQ(braid_rt_cpu_gemm(&desc, a.data(), b.data(), blas.data(),
                              BRAID_RT_GEMM_BLAS, nullptr, 0),
            BRAID_RT_KERNEL_OK);
  for (int i = 0; i < 5; ++i)
    for (int j = 0; j < 7; ++j) {
      float &got = sequential[i * 7 + j];
      if (j >= 3) { // padding is untouched
        EXPECT_EQ(got, -1.0f);
        EXPECT_EQ(blas[i * 7 + j], -1.0f);
        continue;
      }
      float expected = 0;
      double sumAbs = 0;
      for (int k = 0; k < 4; ++k) {
        expected += a[k * 6 + i] * b[j * 9 + k];
        sumAbs += std::fabs(a[k * 6 + i] * b[j * 9 + k]);
      }
      EXPECT_EQ(got, expected);
      EXPECT_LE(std::fabs(blas[i * 7 + j] - got),
                reassociationBound(sumAbs, 4, got, BRAID_RT_ELEM_F32));
    }
}

TEST(Gemm, AnOverwrittenCIsNeverRead) {
  for (braid_rt_gemm_numerics numerics :
       {BRAID_RT_GEMM_SEQUENTIAL, BRAID_RT_GEMM_BLAS}) {
    std::vector<float> a = randomFloats(6, 3), b = randomFloats(6, 4);
    std::vector<float> c(4, NAN);
    braid_rt_gemm_desc desc = braid_rt_gemm_desc_dense(
        1, 2, 2, 3, BRAID_RT_ELEM_F32, BRAID_RT_ELEM_F32, BRAID_RT_ELEM_F32, 0);
    ASSERT_EQ(braid_rt_cpu_gemm(&desc, a.data(), b.data(), c.data(), numerics,
                                nullptr, 0),
              BRAID_RT_KERNEL_OK);
    for (float value : c)
      EXPECT_FALSE(std::isnan(value));
  }
}

TEST(Gemm, BroadcastBf16OperandInABatch) {
  // stride_b = 0: one bf16 weight for every batch entry, widened once; the
  // BLAS result matches the sequential one within the bound, entry by entry.
  const int64_t batch = 3, m = 4, n = 5, k = 32;
  std::vector<bf16> a = rounded<bf16>(randomFloats(batch * m * k, 5));
  std::vector<bf16> b = rounded<bf16>(randomFloats(k * n, 6));
  braid_rt_gemm_desc desc =
      braid_rt_gemm_desc_dense(batch, m, n, k, BRAID_RT_ELEM_BF16,
                               BRAID_RT_ELEM_BF16, BRAID_RT_ELEM_BF16, 0);
  desc.stride_b = 0;
  std::vector<bf16> sequential(batch * m * n), blas(batch * m * n);
  std::vector<unsigned char> workspace(
      braid_rt_cpu_gemm_workspace_bytes(&desc));
  ASSERT_EQ(braid_rt_cpu_gemm(&desc, a.data(), b.data(), sequential.data(),
                              BRAID_RT_GEMM_SEQUENTIAL, nullptr, 0),
            BRAID_RT_KERNEL_OK);
  ASSERT_EQ(braid_rt_cpu_gemm(&desc, a.data(), b.data(), blas.data(),
                              BRAID_RT_GEMM_BLAS, workspace.data(),
                              workspace.size()),
            BRAID_RT_KERNEL_OK);
  for (int64_t e = 0; e < batch; ++e)
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double sumAbs = 0, exact = 0;
        for (int64_t kk = 0; kk < k; ++kk) {
          double product =
              toDouble(a[(e * m + i) * k + kk]) * toDouble(b[kk * n + j]);
          sumAbs += std::fabs(product);
          exact += product;
        }
        double seq = toDouble(sequential[(e * m + i) * n + j]);
        double fast = toDouble(blas[(e * m + i) * n + j]);
        double bound = reassociationBound(sumAbs, k, seq, BRAID_RT_ELEM_BF16);
        EXPECT_LE(std::fabs(fast - seq), bound);
        EXPECT_LE(std::fabs(seq - exact), bound);
      }
}

TEST(Gemm, F64UsesDgemm) {
  std::vector<double> a{1, 2, 3, 4}, b{5, 6, 7, 8}, c{1, 1, 1, 1};
  braid_rt_gemm_desc desc = braid_rt_gemm_desc_dense(
      1, 2, 2, 2, BRAID_RT_ELEM_F64, BRAID_RT_ELEM_F64, BRAID_RT_ELEM_F64, 1);
  EXPECT_EQ(braid_rt_cpu_gemm_workspace_bytes(&desc), 0u);
  ASSERT_EQ(braid_rt_cpu_gemm(&desc, a.data(), b.data(), c.data(),
                              BRAID_RT_GEMM_BLAS, nullptr, 0),
            BRAID_RT_KERNEL_OK);
  EXPECT_EQ(c, (std::vector<double>{20, 23, 44, 51}));
}

//===----------------------------------------------------------------------===//
// Attention: the BLAS numerics against an f64 reference
//===----------------------------------------------------------------------===//

/// One attention problem on random normal data. The mask, when there is
/// one, is [B, 1, Sq, Skv] (broadcast over heads): random biases, with the
/// last `paddedKeys` keys of batch entry 1 at -inf (padding).
struct AttentionProblem {
  const char *name;
  braid_rt_elem type;
  int64_t batch, heads, kvHeads, qLen, kvLen, headDim, vHeadDim;
  bool causal;
  bool masked = false;
  braid_rt_elem maskType = BRAID_RT_ELEM_F32;
  int64_t paddedKeys = 0;
};

void PrintTo(const AttentionProblem &problem, std::ostream *os) {
  *os << problem.name;
}

/// The element values of `values` rounded to T (exactly representable).
template <typename T>
std::vector<double> roundedValues(const std::vector<float> &values,
                                  std::vector<T> &stored) {
  std::vector<double> exact;
  for (float value : values) {
    stored.push_back(roundTo<T>(value));
    exact.push_back(toDouble(stored.back()));
  }
  return exact;
}

/// softmax(scale Q Kᵀ + mask) V in long double on the inputs' exact values:
/// the "f64 run" of the numerics contract, a little better.
std::vector<long double>
referenceAttention(const AttentionProblem &p, const std::vector<double> &q,
                   const std::vector<double> &k, const std::vector<double> &v,
                   const std::vector<double> &mask) {
  long double scale = 1.0L / std::sqrt(static_cast<long double>(p.headDim));
  std::vector<long double> out(p.batch * p.heads * p.qLen * p.vHeadDim, 0);
  std::vector<long double> weights(p.kvLen);
  for (int64_t b = 0; b < p.batch; ++b)
    for (int64_t h = 0; h < p.heads; ++h) {
      int64_t hk = h / (p.heads / p.kvHeads);
      for (int64_t i = 0; i < p.qLen; ++i) {
        int64_t visible =
            p.causal ? std::clamp<int64_t>(i + p.kvLen - p.qLen + 1, 0, p.kvLen)
                     : p.kvLen;
        long double maximum = -INFINITY, sum = 0;
        for (int64_t j = 0; j < visible; ++j) {
          long double dot = 0;
          for (int64_t c = 0; c < p.headDim; ++c)
            dot += static_cast<long double>(
                       q[((b * p.heads + h) * p.qLen + i) * p.headDim + c]) *
                   k[((b * p.kvHeads + hk) * p.kvLen + j) * p.headDim + c];
          weights[j] = dot * scale;
          if (p.masked)
            weights[j] += mask[(b * p.qLen + i) * p.kvLen + j];
          maximum = std::fmax(maximum, weights[j]);
        }
        for (int64_t j = 0; j < visible; ++j) {
          weights[j] = std::exp(weights[j] - maximum);
          sum += weights[j];
        }
        for (int64_t c = 0; c < p.vHeadDim && visible > 0; ++c) {
          long double acc = 0;
          for (int64_t j = 0; j < visible; ++j)
            acc += weights[j] *
                   v[((b * p.kvHeads + hk) * p.kvLen + j) * p.vHeadDim + c];
          out[((b * p.heads + h) * p.qLen + i) * p.vHeadDim + c] = acc / sum;
        }
      }
    }
  return out;
}

/// The contract's error: max |x - ref| / max |ref| (infinite for a NaN).
template <typename T>
double contractError(const std::vector<T> &got,
                     const std::vector<long double> &reference) {
  long double worst = 0, scale = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    long double difference =
        std::fabs(static_cast<long double>(toDouble(got[i])) - reference[i]);
    if (std::isnan(difference))
      return INFINITY;
    worst = std::fmax(worst, difference);
    scale = std::fmax(scale, std::fabs(reference[i]));
  }
  return static_cast<double>(scale > 0 ? worst / scale : worst);
}

double unitRoundoff(braid_rt_elem type) {
  switch (type) {
  case BRAID_RT_ELEM_BF16:
    return std::ldexp(1.0, -8);
  case BRAID_RT_ELEM_F16:
    return std::ldexp(1.0, -11);
  case BRAID_RT_ELEM_F64:
    return std::ldexp(1.0, -53);
  default:
    return std::ldexp(1.0, -24);
  }
}

class AttentionNumerics : public ::testing::TestWithParam<AttentionProblem> {
protected:
  template <typename T> void check() {
    const AttentionProblem &p = GetParam();
    std::vector<T> q, k, v;
    std::vector<double> qExact = roundedValues(
        randomFloats(p.batch * p.heads * p.qLen * p.headDim, 11), q);
    std::vector<double> kExact = roundedValues(
        randomFloats(p.batch * p.kvHeads * p.kvLen * p.headDim, 12), k);
    std::vector<double> vExact = roundedValues(
        randomFloats(p.batch * p.kvHeads * p.kvLen * p.vHeadDim, 13), v);
    braid_rt_attention_desc desc{};
    desc.batch = p.batch;
    desc.heads = p.heads;
    desc.kv_heads = p.kvHeads;
    desc.q_len = p.qLen;
    desc.kv_len = p.kvLen;
    desc.head_dim = p.headDim;
    desc.v_head_dim = p.vHeadDim;
    desc.causal = p.causal;
    desc.type = p.type;
    desc.mask_type = p.maskType;
    desc.mask_shape[0] = p.batch;
    desc.mask_shape[1] = 1;
    desc.mask_shape[2] = p.qLen;
    desc.mask_shape[3] = p.kvLen;
    std::vector<double> maskExact;
    std::vector<unsigned char> maskBytes;
    if (p.masked) {
      std::vector<float> mask = randomFloats(p.batch * p.qLen * p.kvLen, 14);
      for (int64_t i = 0; i < p.qLen; ++i)
        for (int64_t j = p.kvLen - p.paddedKeys; j < p.kvLen; ++j)
          mask[(1 * p.qLen + i) * p.kvLen + j] = -INFINITY;
      auto store = [&](auto tag) {
        using M = decltype(tag);
        std::vector<M> stored;
        maskExact = roundedValues(mask, stored);
        maskBytes.resize(stored.size() * sizeof(M));
        std::memcpy(maskBytes.data(), stored.data(), maskBytes.size());
      };
      if (p.maskType == BRAID_RT_ELEM_BF16)
        store(bf16{});
      else
        store(float{});
    }
    const void *mask = p.masked ? maskBytes.data() : nullptr;
    std::vector<long double> reference =
        referenceAttention(p, qExact, kExact, vExact, maskExact);

    std::vector<T> sequential(reference.size()), blas(reference.size());
    ASSERT_EQ(braid_rt_cpu_attention(&desc, q.data(), k.data(), v.data(), mask,
                                     sequential.data(),
                                     BRAID_RT_GEMM_SEQUENTIAL, nullptr, 0),
              BRAID_RT_KERNEL_OK)
        << lastError();
    std::vector<unsigned char> workspace(
        braid_rt_cpu_attention_workspace_bytes(&desc));
    ASSERT_EQ(braid_rt_cpu_attention(&desc, q.data(), k.data(), v.data(), mask,
                                     blas.data(), BRAID_RT_GEMM_BLAS,
                                     workspace.data(), workspace.size()),
              BRAID_RT_KERNEL_OK)
        << lastError();

    // The contract (docs/Interpreter.md, factor 2): no more than twice the
    // interpreter's own error against the f64 run, floored at the unit
    // roundoff of the type.
    double sequentialError = contractError(sequential, reference);
    double blasError = contractError(blas, reference);
    double bound = 2.0 * std::fmax(sequentialError, unitRoundoff(p.type));
    std::printf("%-28s error: sequential %.3e, BLAS %.3e, bound %.3e\n",
                p.name, sequentialError, blasError, bound);
    EXPECT_LE(blasError, bound);

    // Rows with no visible key are zero on both paths.
    for (size_t i = 0; i < reference.size(); ++i) {
      if (reference[i] == 0 && toDouble(sequential[i]) == 0) {
        EXPECT_EQ(toDouble(blas[i]), 0.0) << "element " << i;
      }
    }
  }
};

TEST_P(AttentionNumerics, BlasMeetsTheContract) {
  switch (GetParam().type) {
  case BRAID_RT_ELEM_BF16:
    return check<bf16>();
  case BRAID_RT_ELEM_F16:
    return check<f16>();
  case BRAID_RT_ELEM_F64:
    return check<double>();
  default:
    return check<float>();
  }
}

// Sequences of 96 and 100 cross the 64-row query blocks; 40 queries over
// 100 keys is a causal decode with a cache; 100 over 40 leaves rows with no
// visible key. The contract compares largest errors, so each problem has
// enough rows (batch entries) for that statistic to be stable: on single
// small problems both paths' largest errors scatter (over 60 seeds of a
// 1 x 2 x 100 x 40 problem the BLAS/sequential ratio averaged 0.91 and
// reached 1.83).
INSTANTIATE_TEST_SUITE_P(
    Random, AttentionNumerics,
    ::testing::Values(
        AttentionProblem{"f32", BRAID_RT_ELEM_F32, 4, 4, 4, 96, 96, 64, 64,
                         false},
        AttentionProblem{"f32_causal_gqa", BRAID_RT_ELEM_F32, 4, 4, 2, 96, 96,
                         64, 48, true},
        AttentionProblem{"f32_mask_padding", BRAID_RT_ELEM_F32, 4, 4, 1, 100,
                         100, 32, 32, false, true, BRAID_RT_ELEM_F32, 30},
        AttentionProblem{"f32_causal_cache", BRAID_RT_ELEM_F32, 8, 2, 2, 40,
                         100, 32, 32, true},
        AttentionProblem{"f32_causal_short_kv", BRAID_RT_ELEM_F32, 8, 2, 1,
                         100, 40, 32, 32, true, true, BRAID_RT_ELEM_BF16, 10},
        AttentionProblem{"bf16", BRAID_RT_ELEM_BF16, 2, 4, 4, 96, 96, 64, 64,
                         false},
        AttentionProblem{"bf16_causal_gqa_mask", BRAID_RT_ELEM_BF16, 2, 4, 2,
                         96, 96, 64, 64, true, true, BRAID_RT_ELEM_BF16, 10},
        AttentionProblem{"f16", BRAID_RT_ELEM_F16, 2, 4, 4, 96, 96, 64, 64,
                         false},
        AttentionProblem{"f16_causal_gqa_mask", BRAID_RT_ELEM_F16, 2, 6, 2, 96,
                         96, 64, 32, true, true, BRAID_RT_ELEM_F32, 20},
        AttentionProblem{"f64_causal_mask", BRAID_RT_ELEM_F64, 2, 4, 2, 96, 96,
                         32, 32, true, true, BRAID_RT_ELEM_F32, 20}),
    [](const ::testing::TestParamInfo<AttentionProblem> &info) {
      return std::string(info.param.name);
    });

//===----------------------------------------------------------------------===//
// Layer ops: the fast numerics against an f64 reference
//===----------------------------------------------------------------------===//

enum class LayerOp { RmsNorm, LayerNorm, Softmax, Swiglu, Activation };

/// One layer op on random data x [rows, width, inner] (inner only for the
/// softmax, over the width), with random weights (norms: around 1) or a
/// random `up` (swiglu).
struct LayerProblem {
  const char *name;
  LayerOp op;
  braid_rt_elem type;
  int64_t rows, width;
  int64_t inner = 1;
  braid_rt_activation kind = BRAID_RT_ACTIVATION_SILU;
};

void PrintTo(const LayerProblem &problem, std::ostream *os) {
  *os << problem.name;
}

constexpr float kEpsilon = 1e-5f;

long double activate(braid_rt_activation kind, long double x) {
  switch (kind) {
  case BRAID_RT_ACTIVATION_RELU:
    return x > 0 ? x : 0;
  case BRAID_RT_ACTIVATION_SIGMOID:
    return 1 / (1 + std::exp(-x));
  case BRAID_RT_ACTIVATION_SILU:
    return x / (1 + std::exp(-x));
  case BRAID_RT_ACTIVATION_GELU:
    return x / 2 * (1 + std::erf(x / std::sqrt(2.0L)));
  case BRAID_RT_ACTIVATION_GELU_TANH:
    return x / 2 *
           (1 + std::tanh(std::sqrt(2 / 3.14159265358979323846264338327950L) *
                          (x + 0.044715L * x * x * x)));
  }
  return NAN;
}

/// The op in long double on the inputs' exact values.
std::vector<long double> referenceLayer(const LayerProblem &p,
                                        const std::vector<double> &x,
                                        const std::vector<double> &a,
                                        const std::vector<double> &b) {
  std::vector<long double> out(x.size());
  int64_t w = p.width;
  for (int64_t r = 0; r < p.rows; ++r)
    for (int64_t i = 0; i < p.inner; ++i) {
      auto at = [&](int64_t j) { return (r * w + j) * p.inner + i; };
      long double sum = 0, sumSquares = 0, maximum = -INFINITY;
      for (int64_t j = 0; j < w; ++j) {
        sum += x[at(j)];
        sumSquares += static_cast<long double>(x[at(j)]) * x[at(j)];
        maximum = std::fmax(maximum, static_cast<long double>(x[at(j)]));
      }
      long double mean = sum / w, variance = 0, exponentials = 0;
      for (int64_t j = 0; j < w; ++j) {
        variance += (x[at(j)] - mean) * (x[at(j)] - mean);
        exponentials += std::exp(x[at(j)] - maximum);
      }
      variance /= w;
      for (int64_t j = 0; j < w; ++j) {
        long double value = x[at(j)];
        switch (p.op) {
        case LayerOp::RmsNorm:
          out[at(j)] = value / std::sqrt(sumSquares / w + kEpsilon) * a[j];
          break;
        case LayerOp::LayerNorm:
          out[at(j)] =
              (value - mean) / std::sqrt(variance + kEpsilon) * a[j] + b[j];
          break;
        case LayerOp::Softmax:
          out[at(j)] = std::exp(value - maximum) / exponentials;
          break;
        case LayerOp::Swiglu:
          out[at(j)] = activate(BRAID_RT_ACTIVATION_SILU, value) * a[at(j)];
          break;
        case LayerOp::Activation:
          out[at(j)] = activate(p.kind, value);
          break;
        }
      }
    }
  return out;
}

class LayerNumerics : public ::testing::TestWithParam<LayerProblem> {
protected:
  template <typename T> void check() {
    const LayerProblem &p = GetParam();
    int64_t n = p.rows * p.width * p.inner;
    bool elementwise = p.op == LayerOp::Swiglu || p.op == LayerOp::Activation;
    // Activations over [-9, 9] or so; a layernorm row off centre.
    std::vector<float> xs = randomFloats(n, 21), as = randomFloats(n, 22),
                       bs = randomFloats(p.width, 23);
    for (float &value : xs)
      value = 3 * value + (p.op == LayerOp::LayerNorm ? 5.0f : 0.0f);
    if (!elementwise) {
      as.resize(p.width);
      for (float &value : as)
        value = 1 + value / 10;
    }
    std::vector<T> x, a, b;
    std::vector<double> xExact = roundedValues(xs, x),
                        aExact = roundedValues(as, a),
                        bExact = roundedValues(bs, b);
    std::vector<long double> reference =
        referenceLayer(p, xExact, aExact, bExact);
    auto run = [&](braid_rt_gemm_numerics numerics, std::vector<T> &out) {
      out.resize(n);
      switch (p.op) {
      case LayerOp::RmsNorm:
        return braid_rt_cpu_rmsnorm(p.type, p.rows, p.width, x.data(),
                                    a.data(), kEpsilon, out.data(), numerics);
      case LayerOp::LayerNorm:
        return braid_rt_cpu_layernorm(p.type, p.rows, p.width, x.data(),
                                      a.data(), b.data(), kEpsilon, out.data(),
                                      numerics);
      case LayerOp::Softmax:
        return braid_rt_cpu_softmax(p.type, p.rows, p.width, p.inner, x.data(),
                                    out.data(), numerics);
      case LayerOp::Swiglu:
        return braid_rt_cpu_swiglu(p.type, n, x.data(), a.data(), out.data(),
                                   numerics);
      case LayerOp::Activation:
        return braid_rt_cpu_activation(p.kind, p.type, n, x.data(), out.data(),
                                       numerics);
      }
      return -1;
    };
    std::vector<T> sequential, fast;
    ASSERT_EQ(run(BRAID_RT_GEMM_SEQUENTIAL, sequential), BRAID_RT_KERNEL_OK)
        << lastError();
    ASSERT_EQ(run(BRAID_RT_GEMM_BLAS, fast), BRAID_RT_KERNEL_OK) << lastError();
    // The contract, as for attention above.
    double sequentialError = contractError(sequential, reference);
    double fastError = contractError(fast, reference);
    double bound = 2.0 * std::fmax(sequentialError, unitRoundoff(p.type));
    std::printf("%-24s error: sequential %.3e, fast %.3e, bound %.3e\n",
                p.name, sequentialError, fastError, bound);
    EXPECT_LE(fastError, bound);
  }
};

TEST_P(LayerNumerics, FastMeetsTheContract) {
  switch (GetParam().type) {
  case BRAID_RT_ELEM_BF16:
    return check<bf16>();
  case BRAID_RT_ELEM_F16:
    return check<f16>();
  default:
    return check<float>();
  }
}

LayerProblem activationProblem(const char *name, braid_rt_elem type,
                               braid_rt_activation kind) {
  LayerProblem problem{name, LayerOp::Activation, type, 64, 250};
  problem.kind = kind;
  return problem;
}

// Widths of 250 leave a tail after whole vectors and partial sums.
INSTANTIATE_TEST_SUITE_P(
    Random, LayerNumerics,
    ::testing::Values(
        LayerProblem{"rmsnorm_f32", LayerOp::RmsNorm, BRAID_RT_ELEM_F32, 64,
                     256},
        LayerProblem{"rmsnorm_bf16", LayerOp::RmsNorm, BRAID_RT_ELEM_BF16, 64,
                     250},
        LayerProblem{"rmsnorm_f16", LayerOp::RmsNorm, BRAID_RT_ELEM_F16, 64,
                     250},
        LayerProblem{"layernorm_f32", LayerOp::LayerNorm, BRAID_RT_ELEM_F32, 64,
                     250},
        LayerProblem{"layernorm_bf16", LayerOp::LayerNorm, BRAID_RT_ELEM_BF16,
                     64, 256},
        LayerProblem{"softmax_f32", LayerOp::Softmax, BRAID_RT_ELEM_F32, 64,
                     250},
        LayerProblem{"softmax_f32_strided", LayerOp::Softmax,
                     BRAID_RT_ELEM_F32, 8, 250, 3},
        LayerProblem{"softmax_bf16", LayerOp::Softmax, BRAID_RT_ELEM_BF16, 64,
                     256},
        LayerProblem{"softmax_f16_strided", LayerOp::Softmax,
                     BRAID_RT_ELEM_F16, 8, 256, 5},
        LayerProblem{"swiglu_f32", LayerOp::Swiglu, BRAID_RT_ELEM_F32, 64, 250},
        LayerProblem{"swiglu_bf16", LayerOp::Swiglu, BRAID_RT_ELEM_BF16, 64,
                     250},
        activationProblem("silu_f32", BRAID_RT_ELEM_F32,
                          BRAID_RT_ACTIVATION_SILU),
        activationProblem("silu_f16", BRAID_RT_ELEM_F16,
                          BRAID_RT_ACTIVATION_SILU),
        activationProblem("sigmoid_f32", BRAID_RT_ELEM_F32,
                          BRAID_RT_ACTIVATION_SIGMOID),
        activationProblem("sigmoid_bf16", BRAID_RT_ELEM_BF16,
                          BRAID_RT_ACTIVATION_SIGMOID),
        activationProblem("relu_f32", BRAID_RT_ELEM_F32,
                          BRAID_RT_ACTIVATION_RELU),
        activationProblem("gelu_f32", BRAID_RT_ELEM_F32,
                          BRAID_RT_ACTIVATION_GELU),
        activationProblem("gelu_tanh_f32", BRAID_RT_ELEM_F32,
                          BRAID_RT_ACTIVATION_GELU_TANH),
        activationProblem("gelu_tanh_bf16", BRAID_RT_ELEM_BF16,
                          BRAID_RT_ACTIVATION_GELU_TANH)),
    [](const ::testing::TestParamInfo<LayerProblem> &info) {
      return std::string(info.param.name);
    });

//===----------------------------------------------------------------------===//
// Errors: a status, a message naming the op, nothing written
//===----------------------------------------------------------------------===//

TEST(Errors, GemmDescriptor) {
  float a[4] = {}, b[4] = {}, c[4] = {};
  braid_rt_gemm_desc desc = braid_rt_gemm_desc_dense(
      1, 2, 2, 2, BRAID_RT_ELEM_F32, BRAID_RT_ELEM_F32, BRAID_RT_ELEM_F32, 0);
  EXPECT_EQ(braid_rt_cpu_gemm(nullptr, a, b, c, BRAID_RT_GEMM_BLAS, nullptr, 0),
            BRAID_RT_KERNEL_INVALID_ARGUMENT);
  EXPECT_EQ(lastError(), "gemm: the GEMM descriptor is null");

  braid_rt_gemm_desc bad = desc;
  bad.m = -1;
  EXPECT_EQ(braid_rt_cpu_gemm(&bad, a, b, c, BRAID_RT_GEMM_BLAS, nullptr, 0),
            BRAID_RT_KERNEL_INVALID_ARGUMENT);
  EXPECT_EQ(lastError(), "gemm: m is negative (-1)");

  bad = desc;
  bad.lda = 1;
  EXPECT_EQ(braid_rt_cpu_gemm(&bad, a, b, c, BRAID_RT_GEMM_BLAS, nullptr, 0),
            BRAID_RT_KERNEL_INVALID_ARGUMENT);
  EXPECT_EQ(lastError(),
            "gemm: lda = 1 is less than the 2 columns of the stored A");

  bad = desc;
  bad.b_type = BRAID_RT_ELEM_F64;
  EXPECT_EQ(braid_rt_cpu_gemm(&bad, a, b, c, BRAID_RT_GEMM_BLAS, nullptr, 0),
            BRAID_RT_KERNEL_INVALID_ARGUMENT);
  EXPECT_NE(lastError().find("f32 x f64 -> f32 are not supported"),
            std::string::npos)
      << lastError();

  bad = desc;
  bad.a_type = BRAID_RT_ELEM_BF16;
  char small[4];
  EXPECT_EQ(
      braid_rt_cpu_gemm(&bad, a, b, c, BRAID_RT_GEMM_BLAS, small, sizeof small),
      BRAID_RT_KERNEL_INVALID_ARGUMENT);
  EXPECT_EQ(lastError(),
            "gemm: the workspace holds 4 bytes; this GEMM needs 16");

  EXPECT_EQ(
      braid_rt_cpu_gemm(&desc, nullptr, b, c, BRAID_RT_GEMM_BLAS, nullptr, 0),
      BRAID_RT_KERNEL_INVALID_ARGUMENT);
  EXPECT_EQ(lastError(), "gemm: an operand pointer is null");
  EXPECT_EQ(braid_rt_cpu_gemm(&desc, a, b, c,
                              static_cast<braid_rt_gemm_numerics>(9), nullptr,
                              0),
            BRAID_RT_KERNEL_INVALID_ARGUMENT);
  EXPECT_EQ(lastError(), "gemm: unknown numerics 9");
}

TEST(Errors, LayerArguments) {
  float x[8] = {}, y[8] = {};
  EXPECT_EQ(braid_rt_cpu_rmsnorm(BRAID_RT_ELEM_I32, 2, 4, x, x, 1e-5f, y,
                                 BRAID_RT_GEMM_BLAS),
            BRAID_RT_KERNEL_INVALID_ARGUMENT);
  EXPECT_EQ(lastError(), "braid.rmsnorm: the element type must be f32, bf16, "
                         "f16 or f64, not i32");
  EXPECT_EQ(braid_rt_cpu_layernorm(BRAID_RT_ELEM_F32, 2, 4, x, x, x, -1.0f, y,
                                   BRAID_RT_GEMM_SEQUENTIAL),
            BRAID_RT_KERNEL_INVALID_ARGUMENT);
  EXPECT_EQ(lastError(),
            "braid.layernorm: epsilon must be finite and non-negative, not -1");
  EXPECT_EQ(braid_rt_cpu_rmsnorm(BRAID_RT_ELEM_F32, 2, 4, nullptr, x, 1e-5f, y,
                                 BRAID_RT_GEMM_BLAS),
            BRAID_RT_KERNEL_INVALID_ARGUMENT);
  EXPECT_EQ(lastError(), "braid.rmsnorm: x is null");
  EXPECT_EQ(braid_rt_cpu_activation(static_cast<braid_rt_activation>(42),
                                    BRAID_RT_ELEM_F32, 8, x, y,
                                    BRAID_RT_GEMM_BLAS),
            BRAID_RT_KERNEL_INVALID_ARGUMENT);
  EXPECT_EQ(lastError(), "braid.activation: unknown activation kind 42");
  EXPECT_EQ(braid_rt_cpu_softmax(BRAID_RT_ELEM_F32, 2, -4, 1, x, y,
                                 BRAID_RT_GEMM_BLAS),
            BRAID_RT_KERNEL_INVALID_ARGUMENT);
  EXPECT_EQ(lastError(), "linalg.softmax: extent is negative (-4)");
  EXPECT_EQ(braid_rt_cpu_swiglu(BRAID_RT_ELEM_F16, 8, x, nullptr, y,
                                BRAID_RT_GEMM_SEQUENTIAL),
            BRAID_RT_KERNEL_INVALID_ARGUMENT);
  EXPECT_EQ(lastError(), "braid.swiglu: up is null");
  // Empty tensors need no pointers.
  EXPECT_EQ(braid_rt_cpu_rmsnorm(BRAID_RT_ELEM_F32, 0, 4, nullptr, nullptr,
                                 1e-5f, nullptr, BRAID_RT_GEMM_BLAS),
            BRAID_RT_KERNEL_OK);

  // A numerics outside the enumeration, before anything is written.
  auto unknown = static_cast<braid_rt_gemm_numerics>(5);
  EXPECT_EQ(braid_rt_cpu_rmsnorm(BRAID_RT_ELEM_F32, 2, 4, x, x, 1e-5f, y,
                                 unknown),
            BRAID_RT_KERNEL_INVALID_ARGUMENT);
  EXPECT_EQ(lastError(), "braid.rmsnorm: unknown numerics 5");
  EXPECT_EQ(braid_rt_cpu_layernorm(BRAID_RT_ELEM_F32, 2, 4, x, x, x, 1e-5f, y,
                                   unknown),
            BRAID_RT_KERNEL_INVALID_ARGUMENT);
  EXPECT_EQ(lastError(), "braid.layernorm: unknown numerics 5");
  EXPECT_EQ(braid_rt_cpu_activation(BRAID_RT_ACTIVATION_SILU,
                                    BRAID_RT_ELEM_F32, 8, x, y, unknown),
            BRAID_RT_KERNEL_INVALID_ARGUMENT);
  EXPECT_EQ(lastError(), "braid.activation: unknown numerics 5");
  EXPECT_EQ(braid_rt_cpu_swiglu(BRAID_RT_ELEM_F32, 8, x, x, y, unknown),
            BRAID_RT_KERNEL_INVALID_ARGUMENT);
  EXPECT_EQ(lastError(), "braid.swiglu: unknown numerics 5");
  EXPECT_EQ(braid_rt_cpu_softmax(BRAID_RT_ELEM_F32, 2, 4, 1, x, y, unknown),
            BRAID_RT_KERNEL_INVALID_ARGUMENT);
  EXPECT_EQ(lastError(), "linalg.softmax: unknown numerics 5");
  for (float value : y)
    EXPECT_EQ(value, 0.0f);
}

TEST(Errors, Attention) {
  float q[64] = {}, k[64] = {}, v[64] = {}, mask[8] = {}, out[64];
  braid_rt_attention_desc desc{};
  desc.batch = 1;
  desc.heads = 3;
  desc.kv_heads = 2;
  desc.q_len = desc.kv_len = 2;
  desc.head_dim = desc.v_head_dim = 4;
  desc.type = BRAID_RT_ELEM_F32;
  EXPECT_EQ(braid_rt_cpu_attention(&desc, q, k, v, nullptr, out,
                                   BRAID_RT_GEMM_SEQUENTIAL, nullptr, 0),
            BRAID_RT_KERNEL_INVALID_ARGUMENT);
  EXPECT_EQ(lastError(), "braid.attention: query heads (3) must be a "
                         "multiple of key/value heads (2)");
  desc.heads = 2;
  desc.mask_type = BRAID_RT_ELEM_F32;
  desc.mask_shape[0] = 1;
  desc.mask_shape[1] = 1;
  desc.mask_shape[2] = 3;
  desc.mask_shape[3] = 1;
  EXPECT_EQ(braid_rt_cpu_attention(&desc, q, k, v, mask, out,
                                   BRAID_RT_GEMM_SEQUENTIAL, nullptr, 0),
            BRAID_RT_KERNEL_INVALID_ARGUMENT);
  EXPECT_EQ(lastError(),
            "braid.attention: mask dimension 2 is 3; it must be 1 (broadcast) "
            "or the scores' 2 (scores are [B, H, Sq, Skv] = [1, 2, 2, 2])");
  desc.mask_shape[2] = 2;
  desc.mask_type = BRAID_RT_ELEM_I64;
  EXPECT_EQ(braid_rt_cpu_attention(&desc, q, k, v, mask, out,
                                   BRAID_RT_GEMM_SEQUENTIAL, nullptr, 0),
            BRAID_RT_KERNEL_INVALID_ARGUMENT);
  EXPECT_EQ(lastError(), "braid.attention: the mask type must be f32, bf16, "
                         "f16 or f64, not i64");
  desc.scale = -1;
  EXPECT_EQ(braid_rt_cpu_attention(&desc, q, k, v, nullptr, out,
                                   BRAID_RT_GEMM_SEQUENTIAL, nullptr, 0),
            BRAID_RT_KERNEL_INVALID_ARGUMENT);
  desc.scale = 0;
  EXPECT_EQ(braid_rt_cpu_attention(&desc, q, k, v, nullptr, out,
                                   static_cast<braid_rt_gemm_numerics>(7),
                                   nullptr, 0),
            BRAID_RT_KERNEL_INVALID_ARGUMENT);
  EXPECT_EQ(lastError(), "braid.attention: unknown numerics 7");
  size_t needed = braid_rt_cpu_attention_workspace_bytes(&desc);
  EXPECT_EQ(needed, 2 * 2 * sizeof(float)); // f32: the scores, no copies
  EXPECT_EQ(braid_rt_cpu_attention(&desc, q, k, v, nullptr, out,
                                   BRAID_RT_GEMM_BLAS, out, needed - 1),
            BRAID_RT_KERNEL_INVALID_ARGUMENT);
  EXPECT_EQ(lastError(), "braid.attention: the workspace holds 15 bytes; "
                         "this attention needs 16");
  EXPECT_EQ(braid_rt_cpu_attention_workspace_bytes(nullptr), 0u);
}

TEST(Errors, DataDependentIndices) {
  float table[6] = {1, 2, 3, 4, 5, 6}, out[6] = {0, 0, 0, 0, 0, 0};
  int32_t bad[2] = {1, 3};
  EXPECT_EQ(braid_rt_cpu_gather(BRAID_RT_ELEM_F32, 1, 3, 2, table, 2, bad,
                                BRAID_RT_ELEM_I32, out),
            BRAID_RT_KERNEL_INVALID_ARGUMENT);
  EXPECT_EQ(lastError(), "braid.gather: index 3 is outside [0, 3)");
  for (float value : out)
    EXPECT_EQ(value, 0.0f);

  int64_t negative[1] = {-1};
  float updates[2] = {9, 9};
  EXPECT_EQ(braid_rt_cpu_scatter(BRAID_RT_SCATTER_ADD, BRAID_RT_ELEM_F32, 1, 3,
                                 2, 1, updates, negative, BRAID_RT_ELEM_I64,
                                 table, out),
            BRAID_RT_KERNEL_INVALID_ARGUMENT);
  EXPECT_EQ(lastError(), "braid.scatter: index -1 is outside [0, 3)");
  EXPECT_EQ(braid_rt_cpu_scatter(BRAID_RT_SCATTER_ADD, BRAID_RT_ELEM_I1, 1, 3,
                                 2, 1, updates, negative, BRAID_RT_ELEM_I64,
                                 table, out),
            BRAID_RT_KERNEL_INVALID_ARGUMENT);
  EXPECT_EQ(lastError(), "braid.scatter: kind 'add' is not defined on i1");
  EXPECT_EQ(braid_rt_cpu_gather(BRAID_RT_ELEM_F32, 1, 3, 2, table, 2, bad,
                                BRAID_RT_ELEM_F32, out),
            BRAID_RT_KERNEL_INVALID_ARGUMENT);
  EXPECT_EQ(lastError(), "braid.gather: indices must be i32 or i64, not f32");

  int32_t experts[4] = {0, 2, 1, 5};
  int64_t sizes[3];
  int32_t rowMap[4];
  float permuted[4];
  EXPECT_EQ(braid_rt_cpu_moe_permute(BRAID_RT_ELEM_F32, 2, 1, 2, 3, table,
                                     experts, BRAID_RT_ELEM_I32, permuted,
                                     sizes, BRAID_RT_ELEM_I64, rowMap,
                                     BRAID_RT_ELEM_I32),
            BRAID_RT_KERNEL_INVALID_ARGUMENT);
  EXPECT_EQ(lastError(),
            "braid.moe_permute: token 1 is routed to expert 5, outside [0, 3)");

  int32_t map[2] = {0, 4};
  float weights[2] = {1, 1};
  EXPECT_EQ(braid_rt_cpu_moe_unpermute(BRAID_RT_ELEM_F32, BRAID_RT_ELEM_F32, 1,
                                       2, 1, 2, table, map, BRAID_RT_ELEM_I32,
                                       weights, out),
            BRAID_RT_KERNEL_INVALID_ARGUMENT);
  EXPECT_EQ(lastError(),
            "braid.moe_unpermute: row_map entry 4 is outside [0, 2)");

  int64_t groups[2] = {2, 2};
  EXPECT_EQ(braid_rt_cpu_grouped_matmul(
                BRAID_RT_ELEM_F32, BRAID_RT_ELEM_F32, 3, 1, 1, 2, table, table,
                groups, BRAID_RT_ELEM_I64, out, BRAID_RT_GEMM_BLAS, nullptr, 0),
            BRAID_RT_KERNEL_INVALID_ARGUMENT);
  EXPECT_EQ(lastError(), "braid.grouped_matmul: group sizes are negative or "
                         "exceed the 3 rows (group 1 has 2)");
}

TEST(Errors, SelectionAndGate) {
  float x[8] = {}, values[8];
  int64_t indices[8];
  EXPECT_EQ(braid_rt_cpu_topk(BRAID_RT_ELEM_F32, 2, 4, 5, x, values, indices,
                              BRAID_RT_ELEM_I64),
            BRAID_RT_KERNEL_INVALID_ARGUMENT);
  EXPECT_EQ(lastError(), "braid.topk: k = 5 must lie in [1, width = 4]");
  EXPECT_EQ(braid_rt_cpu_sort(BRAID_RT_ELEM_F32, 2, 4, 0, x, values, indices,
                              BRAID_RT_ELEM_I16),
            BRAID_RT_KERNEL_INVALID_ARGUMENT);
  EXPECT_EQ(lastError(), "braid.sort: indices must be i32 or i64, not i16");
  EXPECT_EQ(braid_rt_cpu_moe_gate(BRAID_RT_ELEM_F32, 2, 4, 0, 1, x, values,
                                  indices, BRAID_RT_ELEM_I64),
            BRAID_RT_KERNEL_INVALID_ARGUMENT);
  EXPECT_EQ(lastError(), "braid.moe_gate: k = 0 must lie in [1, "
                         "num_experts = 4]");
}

TEST(Scatter, InPlaceOnDest) {
  float dest[4] = {1, 2, 3, 4}, updates[2] = {10, 20};
  int32_t indices[2] = {3, 3};
  ASSERT_EQ(braid_rt_cpu_scatter(BRAID_RT_SCATTER_ADD, BRAID_RT_ELEM_F32, 1, 4,
                                 1, 2, updates, indices, BRAID_RT_ELEM_I32,
                                 dest, dest),
            BRAID_RT_KERNEL_OK);
  EXPECT_EQ(dest[3], 34.0f);
  ASSERT_EQ(braid_rt_cpu_scatter(BRAID_RT_SCATTER_REPLACE, BRAID_RT_ELEM_F32, 1,
                                 4, 1, 2, updates, indices, BRAID_RT_ELEM_I32,
                                 dest, dest),
            BRAID_RT_KERNEL_OK);
  EXPECT_EQ(dest[3], 20.0f); // the last write wins
}

TEST(Api, CallableFromC) { EXPECT_EQ(braid_rt_kernels_c_header_check(), 0); }

TEST(Api, VersionTypesAndCuda) {
  EXPECT_EQ(braid_rt_kernels_api_version(), BRAID_RT_KERNELS_API_VERSION);
  EXPECT_EQ(braid_rt_elem_size(BRAID_RT_ELEM_BF16), 2u);
  EXPECT_EQ(braid_rt_elem_size(BRAID_RT_ELEM_I1), 1u);
  EXPECT_EQ(braid_rt_elem_size(static_cast<braid_rt_elem>(99)), 0u);
  EXPECT_STREQ(braid_rt_elem_name(BRAID_RT_ELEM_F16), "f16");
  if (!braid_rt_kernels_have_cuda()) {
    float x[1];
    EXPECT_EQ(braid_rt_cuda_swiglu(BRAID_RT_ELEM_F32, 1, x, x, x, nullptr),
              BRAID_RT_KERNEL_UNAVAILABLE);
    EXPECT_EQ(lastError(), "braid.swiglu: the kernels were built without CUDA");
  }
}

#ifdef BRAID_RT_HAVE_STATUS_H
// The runtime turns a kernel status into a braid_rt::Status by value.
static_assert(BRAID_RT_KERNEL_OK ==
              static_cast<int>(braid_rt::StatusCode::kOk));
static_assert(BRAID_RT_KERNEL_INVALID_ARGUMENT ==
              static_cast<int>(braid_rt::StatusCode::kInvalidArgument));
static_assert(BRAID_RT_KERNEL_OUT_OF_MEMORY ==
              static_cast<int>(braid_rt::StatusCode::kOutOfMemory));
static_assert(BRAID_RT_KERNEL_UNAVAILABLE ==
              static_cast<int>(braid_rt::StatusCode::kUnavailable));
static_assert(BRAID_RT_KERNEL_INTERNAL ==
              static_cast<int>(braid_rt::StatusCode::kInternal));
#endif

} // namespace
