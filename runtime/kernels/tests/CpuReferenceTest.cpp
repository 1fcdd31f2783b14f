//===- CpuReferenceTest.cpp - CPU kernels vs braid-interp's outputs -------===//
//
// One test per case of tests/data (generate_reference.py): the CPU entry
// points on the interpreter's inputs must give its results bitwise. The ops
// with fast numerics run twice: sequentially (bitwise) and fast (GEMMs
// through OpenBLAS within the reassociation bound of ReferenceCases.h,
// attention and the layer ops within a tolerance).
//
//===----------------------------------------------------------------------===//

#include "ReferenceCases.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <set>

using namespace braid_rt::kernels::testing;

namespace {

std::string dataDir() {
  if (const char *dir = std::getenv("BRAID_RT_KERNELS_TEST_DATA"))
    return dir;
  return BRAID_RT_KERNELS_TEST_DATA;
}

struct CpuBackend {
  struct Buffer {
    std::vector<unsigned char> bytes;
    void *get() { return bytes.data(); }
  };

  braid_rt_gemm_numerics numerics = BRAID_RT_GEMM_SEQUENTIAL;

  Buffer upload(const HostTensor &tensor) { return Buffer{tensor.bytes}; }
  void download(Buffer &buffer, HostTensor &tensor) {
    tensor.bytes = buffer.bytes;
  }
  Agreement gemmAgreement() const {
    return numerics == BRAID_RT_GEMM_BLAS ? Agreement::Reassociated
                                          : Agreement::Bitwise;
  }
  std::string compareFloat(const Case &, const HostTensor &got,
                           const NpyArray &want) {
    if (numerics == BRAID_RT_GEMM_SEQUENTIAL)
      return compareExact(got, want);
    // Attention and the layer ops in their fast numerics: reassociated
    // sums, f32 arithmetic, a polynomial exp. Their contract against an f64
    // run is KernelUnitTest's AttentionNumerics and LayerNumerics; here the
    // interpreter's edge cases (masked and empty rows, broadcast masks,
    // ±inf, NaN, ±0, overflow) must come out the same, and values close.
    switch (got.type) {
    case BRAID_RT_ELEM_BF16:
      return compareClose(got, want, 0x1p-7, 0x1p-10);
    case BRAID_RT_ELEM_F16:
      return compareClose(got, want, 0x1p-10, 0x1p-12);
    case BRAID_RT_ELEM_F64:
      return compareClose(got, want, 1e-13, 1e-14);
    default:
      return compareClose(got, want, 1e-5, 1e-6);
    }
  }

  int gemm(const braid_rt_gemm_desc *desc, const void *a, const void *b,
           void *c) {
    return braid_rt_cpu_gemm(desc, a, b, c, numerics, nullptr, 0);
  }
  int groupedMatmul(braid_rt_elem type, braid_rt_elem outType, int64_t rows,
                    int64_t depth, int64_t cols, int64_t experts,
                    const void *lhs, const void *rhs, const void *sizes,
                    braid_rt_elem sizesType, void *out) {
    return braid_rt_cpu_grouped_matmul(type, outType, rows, depth, cols,
                                       experts, lhs, rhs, sizes, sizesType, out,
                                       numerics, nullptr, 0);
  }
  template <typename... Args> int rmsnorm(Args... args) {
    return braid_rt_cpu_rmsnorm(args..., numerics);
  }
  template <typename... Args> int layernorm(Args... args) {
    return braid_rt_cpu_layernorm(args..., numerics);
  }
  template <typename... Args> int activation(Args... args) {
    return braid_rt_cpu_activation(args..., numerics);
  }
  template <typename... Args> int swiglu(Args... args) {
    return braid_rt_cpu_swiglu(args..., numerics);
  }
  template <typename... Args> int softmax(Args... args) {
    return braid_rt_cpu_softmax(args..., numerics);
  }
  template <typename... Args> int attention(Args... args) {
    return braid_rt_cpu_attention(args..., numerics, nullptr, 0);
  }
  template <typename... Args> int moeGate(Args... args) {
    return braid_rt_cpu_moe_gate(args...);
  }
  template <typename... Args> int moePermute(Args... args) {
    return braid_rt_cpu_moe_permute(args...);
  }
  template <typename... Args> int moeUnpermute(Args... args) {
    return braid_rt_cpu_moe_unpermute(args...);
  }
  template <typename... Args> int topk(Args... args) {
    return braid_rt_cpu_topk(args...);
  }
  template <typename... Args> int sort(Args... args) {
    return braid_rt_cpu_sort(args...);
  }
  template <typename... Args> int gather(Args... args) {
    return braid_rt_cpu_gather(args...);
  }
  template <typename... Args> int scatter(Args... args) {
    return braid_rt_cpu_scatter(args...);
  }
};

struct CaseRun {
  std::string name;
  braid_rt_gemm_numerics numerics;
};

void PrintTo(const CaseRun &run, std::ostream *os) {
  *os << run.name
      << (run.numerics == BRAID_RT_GEMM_BLAS ? " (BLAS)" : " (sequential)");
}

std::vector<CaseRun> caseRuns() {
  std::vector<std::string> names;
  std::string error;
  if (!listCases(dataDir(), names, error)) {
    ADD_FAILURE() << error;
    return {};
  }
  std::vector<CaseRun> runs;
  for (const std::string &name : names) {
    runs.push_back({name, BRAID_RT_GEMM_SEQUENTIAL});
    bool hasFastNumerics = false;
    for (const char *prefix :
         {"gemm_", "batch_matmul_", "grouped_matmul_", "attention_", "rmsnorm_",
          "layernorm_", "activation_", "swiglu_", "softmax_"})
      hasFastNumerics |= name.rfind(prefix, 0) == 0;
    if (hasFastNumerics)
      runs.push_back({name, BRAID_RT_GEMM_BLAS});
  }
  return runs;
}

class InterpreterReference : public ::testing::TestWithParam<CaseRun> {};

TEST_P(InterpreterReference, CpuKernelMatches) {
  Case c;
  std::string error;
  ASSERT_TRUE(loadCase(dataDir(), GetParam().name, c, error)) << error;
  CpuBackend backend;
  backend.numerics = GetParam().numerics;
  std::string mismatch = runCase(c, backend);
  EXPECT_EQ(mismatch, "") << c.name << " (" << c.param("op") << ")";
}

INSTANTIATE_TEST_SUITE_P(Cases, InterpreterReference,
                         ::testing::ValuesIn(caseRuns()),
                         [](const ::testing::TestParamInfo<CaseRun> &info) {
                           return info.param.name +
                                  (info.param.numerics == BRAID_RT_GEMM_BLAS
                                       ? std::string("_blas")
                                       : std::string());
                         });

// The committed data must cover every op the kernels implement.
TEST(InterpreterReference, CoversEveryOp) {
  std::vector<std::string> names;
  std::string error;
  ASSERT_TRUE(listCases(dataDir(), names, error)) << error;
  std::set<std::string> ops;
  for (const std::string &name : names) {
    Case c;
    ASSERT_TRUE(loadCase(dataDir(), name, c, error)) << error;
    ops.insert(c.param("op"));
  }
  for (const char *op :
       {"matmul", "rmsnorm", "layernorm", "activation", "swiglu", "softmax",
        "attention", "grouped_matmul", "moe_gate", "moe_permute",
        "moe_unpermute", "topk", "sort", "gather", "scatter"})
    EXPECT_TRUE(ops.count(op)) << "no reference case for " << op;
}

} // namespace
