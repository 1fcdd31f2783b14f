//===- CudaReferenceTest.cpp - CUDA kernels vs braid-interp's outputs -----===//
//
//   braid_rt_kernels_cuda_tests [data-dir]
//
// Runs every case of tests/data through the CUDA entry points and compares
// with the interpreter's results: bitwise for the ops whose CUDA kernels
// keep the interpreter's order (gather, scatter, top-k, sort, MoE permute
// and unpermute, integer results everywhere), within the reassociation
// bound for the GEMMs, and within a tolerance of a few units in the last
// place of the result type for the rest (parallel reductions, f32
// transcendentals; docs/Kernels.md). Cases with f64 data are skipped (the
// CUDA kernels take none). No GoogleTest: the GPU machine has only CUDA and
// CMake. Exits 77 (skipped) without a CUDA device.
//
//===----------------------------------------------------------------------===//

#include "GpuTest.h"
#include "ReferenceCases.h"

#include <cuda_runtime.h>

#include <cstdio>
#include <cstdlib>
#include <set>

using namespace braid_rt::kernels::testing;

namespace {

bool check(cudaError_t error, const char *what) {
  if (error == cudaSuccess)
    return true;
  std::fprintf(stderr, "%s: %s\n", what, cudaGetErrorString(error));
  return false;
}

class CudaBackend {
public:
  class Buffer {
  public:
    explicit Buffer(size_t bytes) : bytes_(bytes) {
      check(cudaMalloc(&data_, bytes ? bytes : 1), "cudaMalloc");
    }
    Buffer(Buffer &&other) noexcept
        : data_(std::exchange(other.data_, nullptr)), bytes_(other.bytes_) {}
    Buffer &operator=(Buffer &&other) noexcept {
      std::swap(data_, other.data_);
      bytes_ = other.bytes_;
      return *this;
    }
    ~Buffer() {
      if (data_)
        cudaFree(data_);
    }
    void *get() { return data_; }
    size_t bytes() const { return bytes_; }

  private:
    void *data_ = nullptr;
    size_t bytes_ = 0;
  };

  CudaBackend() {
    if (braid_rt_cuda_gemm_cache_create(&cache_) != BRAID_RT_KERNEL_OK)
      std::fprintf(stderr, "gemm cache: %s\n", braid_rt_kernel_last_error());
    workspaceBytes_ = braid_rt_cuda_gemm_workspace_bytes();
    check(cudaMalloc(&workspace_, workspaceBytes_), "cudaMalloc workspace");
  }
  ~CudaBackend() {
    braid_rt_cuda_gemm_cache_destroy(cache_);
    cudaFree(workspace_);
  }

  Buffer upload(const HostTensor &tensor) {
    Buffer buffer(tensor.bytes.size());
    check(cudaMemcpy(buffer.get(), tensor.bytes.data(), tensor.bytes.size(),
                     cudaMemcpyHostToDevice),
          "upload");
    return buffer;
  }
  void download(Buffer &buffer, HostTensor &tensor) {
    check(cudaDeviceSynchronize(), "kernel");
    check(cudaMemcpy(tensor.bytes.data(), buffer.get(), tensor.bytes.size(),
                     cudaMemcpyDeviceToHost),
          "download");
  }

  Agreement gemmAgreement() const { return Agreement::Reassociated; }

  std::string compareFloat(const Case &c, const HostTensor &got,
                           const NpyArray &want) {
    static const std::set<std::string> bitwise = {
        "gather", "scatter", "topk", "sort", "moe_permute", "moe_unpermute"};
    if (bitwise.count(c.param("op")))
      return compareExact(got, want);
    switch (got.type) {
    case BRAID_RT_ELEM_BF16:
      return compareClose(got, want, 0x1p-7, 0x1p-10);
    case BRAID_RT_ELEM_F16:
      return compareClose(got, want, 0x1p-10, 0x1p-12);
    default:
      return compareClose(got, want, 1e-5, 1e-6);
    }
  }

  int gemm(const braid_rt_gemm_desc *desc, const void *a, const void *b,
           void *c) {
    return braid_rt_cuda_gemm(cache_, desc, a, b, c, workspace_,
                              workspaceBytes_, nullptr);
  }
  template <typename... Args> int groupedMatmul(Args... args) {
    return braid_rt_cuda_grouped_matmul(args..., nullptr);
  }
  template <typename... Args> int rmsnorm(Args... args) {
    return braid_rt_cuda_rmsnorm(args..., nullptr);
  }
  template <typename... Args> int layernorm(Args... args) {
    return braid_rt_cuda_layernorm(args..., nullptr);
  }
  template <typename... Args> int activation(Args... args) {
    return braid_rt_cuda_activation(args..., nullptr);
  }
  template <typename... Args> int swiglu(Args... args) {
    return braid_rt_cuda_swiglu(args..., nullptr);
  }
  template <typename... Args> int softmax(Args... args) {
    return braid_rt_cuda_softmax(args..., nullptr);
  }
  template <typename... Args> int attention(Args... args) {
    return braid_rt_cuda_attention(args..., nullptr);
  }
  template <typename... Args> int moeGate(Args... args) {
    return braid_rt_cuda_moe_gate(args..., nullptr);
  }
  template <typename... Args> int moePermute(Args... args) {
    return braid_rt_cuda_moe_permute(args..., nullptr);
  }
  template <typename... Args> int moeUnpermute(Args... args) {
    return braid_rt_cuda_moe_unpermute(args..., nullptr);
  }
  template <typename... Args> int topk(Args... args) {
    return braid_rt_cuda_topk(args..., nullptr);
  }
  template <typename... Args> int sort(Args... args) {
    return braid_rt_cuda_sort(args..., nullptr);
  }
  template <typename... Args> int gather(Args... args) {
    return braid_rt_cuda_gather(args..., nullptr);
  }
  template <typename... Args> int scatter(Args... args) {
    return braid_rt_cuda_scatter(args..., nullptr);
  }

private:
  braid_rt_cuda_gemm_cache *cache_ = nullptr;
  void *workspace_ = nullptr;
  size_t workspaceBytes_ = 0;
};

/// Argument errors come back before anything is launched.
int checkErrors() {
  int failures = 0;
  auto expect = [&](bool condition, const char *what) {
    if (!condition) {
      std::printf("FAIL api: %s (%s)\n", what, braid_rt_kernel_last_error());
      ++failures;
    }
  };
  expect(braid_rt_kernels_have_cuda() == 1, "built with CUDA");
  expect(braid_rt_cuda_rmsnorm(BRAID_RT_ELEM_F64, 1, 1, &failures, &failures,
                               1e-5f, &failures,
                               nullptr) == BRAID_RT_KERNEL_UNAVAILABLE,
         "f64 is unavailable");
  expect(braid_rt_cuda_topk(BRAID_RT_ELEM_F32, 1, 4, 5, nullptr, nullptr,
                            nullptr, BRAID_RT_ELEM_I32,
                            nullptr) == BRAID_RT_KERNEL_INVALID_ARGUMENT,
         "k > width");
  braid_rt_gemm_desc mixed = braid_rt_gemm_desc_dense(
      1, 2, 2, 2, BRAID_RT_ELEM_BF16, BRAID_RT_ELEM_F16, BRAID_RT_ELEM_F32, 0);
  braid_rt_cuda_gemm_cache *cache = nullptr;
  expect(braid_rt_cuda_gemm_cache_create(&cache) == BRAID_RT_KERNEL_OK,
         "gemm cache");
  expect(braid_rt_cuda_gemm(cache, &mixed, &failures, &failures, &failures,
                            nullptr, 0, nullptr) == BRAID_RT_KERNEL_UNAVAILABLE,
         "mixed bf16 x f16 is unavailable");
  braid_rt_cuda_gemm_cache_destroy(cache);
  return failures;
}

} // namespace

int main(int argc, char **argv) {
  if (braid_rt::test::noCudaDevice())
    return braid_rt::test::kSkipped;
  std::string dataDir = BRAID_RT_KERNELS_TEST_DATA;
  if (const char *dir = std::getenv("BRAID_RT_KERNELS_TEST_DATA"))
    dataDir = dir;
  if (argc > 1)
    dataDir = argv[1];
  std::vector<std::string> names;
  std::string error;
  if (!listCases(dataDir, names, error)) {
    std::fprintf(stderr, "%s\n", error.c_str());
    return 1;
  }
  int failures = checkErrors();
  CudaBackend backend;
  int skipped = 0;
  for (const std::string &name : names) {
    Case c;
    if (!loadCase(dataDir, name, c, error)) {
      std::printf("FAIL %s: %s\n", name.c_str(), error.c_str());
      ++failures;
      continue;
    }
    // The CUDA kernels take no f64 (docs/Kernels.md).
    bool usesF64 = false;
    for (const auto *types : {&c.argTypes, &c.resultTypes})
      for (braid_rt_elem type : *types)
        usesF64 |= type == BRAID_RT_ELEM_F64;
    if (usesF64) {
      std::printf("SKIP %s (f64)\n", name.c_str());
      ++skipped;
      continue;
    }
    std::string result = runCase(c, backend);
    if (!result.empty()) {
      std::printf("FAIL %s (%s): %s\n", name.c_str(), c.param("op").c_str(),
                  result.c_str());
      ++failures;
    } else {
      std::printf("PASS %s\n", name.c_str());
    }
  }
  std::printf("%zu cases, %d skipped (f64), %d failure(s)\n", names.size(),
              skipped, failures);
  return failures == 0 ? 0 : 1;
}
