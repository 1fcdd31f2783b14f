//===- GpuTest.h - what the GPU-only test programs share --------*- C++ -*-===//
//
// Plain test programs (no GoogleTest: the GPU machine may lack it) that
// count failed checks and skip, with ctest's SKIP_RETURN_CODE 77, where no
// CUDA device is seen. Used by the kernels' and the runtime's GPU tests.
//
//===----------------------------------------------------------------------===//

#ifndef BRAID_RT_KERNELS_TESTS_GPUTEST_H
#define BRAID_RT_KERNELS_TESTS_GPUTEST_H

#include <cuda_runtime.h>

#include <cstdio>

namespace braid_rt::test {

/// The exit status ctest reads as "skipped".
constexpr int kSkipped = 77;

/// Checks failed so far in this program.
inline int &gpuTestFailures() {
  static int failures = 0;
  return failures;
}

/// True (after saying so) when this process sees no CUDA device: the
/// caller returns kSkipped.
inline bool noCudaDevice() {
  int devices = 0;
  if (cudaGetDeviceCount(&devices) == cudaSuccess && devices > 0)
    return false;
  std::printf("no CUDA device: skipped\n");
  return true;
}

} // namespace braid_rt::test

/// Counts and reports a failed check: CHECK(condition, printf format, ...).
#define CHECK(condition, ...)                                                  \
  do {                                                                         \
    if (!(condition)) {                                                        \
      std::printf("FAIL %s:%d: %s: ", __FILE__, __LINE__, #condition);         \
      std::printf(__VA_ARGS__);                                                \
      std::printf("\n");                                                       \
      ++braid_rt::test::gpuTestFailures();                                     \
    }                                                                          \
  } while (0)

#endif // BRAID_RT_KERNELS_TESTS_GPUTEST_H
