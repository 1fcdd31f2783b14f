//===- KernelUnitTest.cpp - conversions, GEMM forms and errors ------------===//
//
// What the interpreter's reference data cannot show: rounding corner cases
// of the bf16/f16 conversions, GEMM layouts it never produces (padded
// leading dimensions, broadcast batch operands, an ignored C), and every
// error path of the C entry points.
//
//===----------------------------------------------------------------------===//

#include "ReferenceCases.h"
#include "braid_rt/kernels.h"
#include "braid_rt/kernels/Float.h"

#ifdef BRAID_RT_HAVE_STATUS_H
#include "braid_rt/Status.h"
#endif

#include <gtest/gtest.h>

#include <cmath>
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
  EXPECT_EQ(braid_rt_cpu_rmsnorm(BRAID_RT_ELEM_I32, 2, 4, x, x, 1e-5f, y),
            BRAID_RT_KERNEL_INVALID_ARGUMENT);
  EXPECT_EQ(lastError(), "braid.rmsnorm: the element type must be f32, bf16, "
                         "f16 or f64, not i32");
  EXPECT_EQ(braid_rt_cpu_layernorm(BRAID_RT_ELEM_F32, 2, 4, x, x, x, -1.0f, y),
            BRAID_RT_KERNEL_INVALID_ARGUMENT);
  EXPECT_EQ(lastError(),
            "braid.layernorm: epsilon must be finite and non-negative, not -1");
  EXPECT_EQ(braid_rt_cpu_rmsnorm(BRAID_RT_ELEM_F32, 2, 4, nullptr, x, 1e-5f, y),
            BRAID_RT_KERNEL_INVALID_ARGUMENT);
  EXPECT_EQ(lastError(), "braid.rmsnorm: x is null");
  EXPECT_EQ(braid_rt_cpu_activation(static_cast<braid_rt_activation>(42),
                                    BRAID_RT_ELEM_F32, 8, x, y),
            BRAID_RT_KERNEL_INVALID_ARGUMENT);
  EXPECT_EQ(lastError(), "braid.activation: unknown activation kind 42");
  EXPECT_EQ(braid_rt_cpu_softmax(BRAID_RT_ELEM_F32, 2, -4, 1, x, y),
            BRAID_RT_KERNEL_INVALID_ARGUMENT);
  EXPECT_EQ(lastError(), "linalg.softmax: extent is negative (-4)");
  EXPECT_EQ(braid_rt_cpu_swiglu(BRAID_RT_ELEM_F16, 8, x, nullptr, y),
            BRAID_RT_KERNEL_INVALID_ARGUMENT);
  EXPECT_EQ(lastError(), "braid.swiglu: up is null");
  // Empty tensors need no pointers.
  EXPECT_EQ(braid_rt_cpu_rmsnorm(BRAID_RT_ELEM_F32, 0, 4, nullptr, nullptr,
                                 1e-5f, nullptr),
            BRAID_RT_KERNEL_OK);
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
  EXPECT_EQ(braid_rt_cpu_attention(&desc, q, k, v, nullptr, out),
            BRAID_RT_KERNEL_INVALID_ARGUMENT);
  EXPECT_EQ(lastError(), "braid.attention: query heads (3) must be a "
                         "multiple of key/value heads (2)");
  desc.heads = 2;
  desc.mask_type = BRAID_RT_ELEM_F32;
  desc.mask_shape[0] = 1;
  desc.mask_shape[1] = 1;
  desc.mask_shape[2] = 3;
  desc.mask_shape[3] = 1;
  EXPECT_EQ(braid_rt_cpu_attention(&desc, q, k, v, mask, out),
            BRAID_RT_KERNEL_INVALID_ARGUMENT);
  EXPECT_EQ(lastError(),
            "braid.attention: mask dimension 2 is 3; it must be 1 (broadcast) "
            "or the scores' 2 (scores are [B, H, Sq, Skv] = [1, 2, 2, 2])");
  desc.mask_shape[2] = 2;
  desc.mask_type = BRAID_RT_ELEM_I64;
  EXPECT_EQ(braid_rt_cpu_attention(&desc, q, k, v, mask, out),
            BRAID_RT_KERNEL_INVALID_ARGUMENT);
  EXPECT_EQ(lastError(), "braid.attention: the mask type must be f32, bf16, "
                         "f16 or f64, not i64");
  desc.scale = -1;
  EXPECT_EQ(braid_rt_cpu_attention(&desc, q, k, v, nullptr, out),
            BRAID_RT_KERNEL_INVALID_ARGUMENT);
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
