//===- gemm-overhead.cpp - braid_rt_cpu_gemm vs a direct cblas_sgemm ------===//
//
//   braid-bench-gemm-overhead [--size=N] [--reps=R]
//
// Times the kernels' GEMM entry point against a direct cblas_sgemm on the
// same f32 operands, side by side in one run: each repetition times one
// direct and one wrapper call back to back (in alternating order), so both
// see the same machine state. The overhead is the median over repetitions
// of wrapper/direct - 1 (the target is <= 2% at 1024^3), robust to other
// jobs on a shared machine, next to the same statistic of direct vs direct
// (the noise floor); the fastest and median times of each side are printed
// too, and the per-call cost in nanoseconds measured on a 1x1x1 problem,
// where the argument checks are all there is.
//
//===----------------------------------------------------------------------===//

#include "braid_rt/kernels.h"

#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <unistd.h>

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string cpuModel() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line))
    if (line.rfind("model name", 0) == 0)
      return line.substr(line.find(':') + 2);
  return "unknown";
}

struct Timings {
  std::vector<double> direct, wrapper;

  /// wrapper/direct of each repetition's pair, sorted.
  std::vector<double> ratios() const {
    std::vector<double> result;
    for (size_t i = 0; i < direct.size(); ++i)
      result.push_back(wrapper[i] / direct[i]);
    std::sort(result.begin(), result.end());
    return result;
  }
};

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

double fastest(const std::vector<double> &values) {
  return *std::min_element(values.begin(), values.end());
}

/// Alternates `reps` direct and wrapper calls (each call `inner` times).
/// With `noiseFloor` the wrapper side calls cblas_sgemm directly too: the
/// same pairing then measures the machine's noise alone.
Timings measure(int64_t n, int reps, int inner, bool noiseFloor = false) {
  std::mt19937 random(1);
  std::uniform_real_distribution<float> uniform(-1, 1);
  std::vector<float> a(n * n), b(n * n), c(n * n);
  for (float &x : a)
    x = uniform(random);
  for (float &x : b)
    x = uniform(random);
  braid_rt_gemm_desc desc = braid_rt_gemm_desc_dense(
      1, n, n, n, BRAID_RT_ELEM_F32, BRAID_RT_ELEM_F32, BRAID_RT_ELEM_F32, 0);
  auto direct = [&] {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f,
                a.data(), n, b.data(), n, 0.0f, c.data(), n);
  };
  auto wrapper = [&] {
    if (noiseFloor) {
      direct();
      return;
    }
    if (braid_rt_cpu_gemm(&desc, a.data(), b.data(), c.data(),
                          BRAID_RT_GEMM_BLAS, nullptr, 0) != 0) {
      std::fprintf(stderr, "braid_rt_cpu_gemm: %s\n",
                   braid_rt_kernel_last_error());
      std::exit(1);
    }
  };
  direct(); // warm caches and OpenBLAS's buffers
  wrapper();
  Timings timings;
  for (int r = 0; r < reps; ++r) {
    // Alternate which side goes first so neither always follows the other.
    for (int side = 0; side < 2; ++side) {
      bool wrapperTurn = (side == 0) == (r % 2 == 0);
      Clock::time_point start = Clock::now();
      for (int i = 0; i < inner; ++i)
        wrapperTurn ? wrapper() : direct();
      double seconds = secondsSince(start) / inner;
      (wrapperTurn ? timings.wrapper : timings.direct).push_back(seconds);
    }
  }
  return timings;
}

} // namespace

int main(int argc, char **argv) {
  int64_t size = 1024;
  int reps = 101;
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--size=", 7) == 0)
      size = std::atoll(argv[i] + 7);
    else if (std::strncmp(argv[i], "--reps=", 7) == 0)
      reps = std::atoi(argv[i] + 7);
    else {
      std::fprintf(stderr, "usage: %s [--size=N] [--reps=R]\n", argv[0]);
      return 2;
    }
  }
  if (size < 1 || reps < 1) {
    std::fprintf(stderr, "size and reps must be positive\n");
    return 2;
  }

  std::printf("machine: %s, %ld logical CPUs\n", cpuModel().c_str(),
              static_cast<long>(sysconf(_SC_NPROCESSORS_ONLN)));
  std::printf("OpenBLAS: %s, %d thread(s)\n", openblas_get_config(),
              openblas_get_num_threads());

  Timings big = measure(size, reps, 1);
  double flops = 2.0 * size * size * size;
  double directBest = fastest(big.direct), wrapperBest = fastest(big.wrapper);
  std::printf("f32 GEMM %ldx%ldx%ld, %d alternating repetitions\n",
              static_cast<long>(size), static_cast<long>(size),
              static_cast<long>(size), reps);
  std::printf("  direct cblas_sgemm : fastest %9.3f ms (%6.1f GFLOP/s), "
              "median %9.3f ms\n",
              directBest * 1e3, flops / directBest * 1e-9,
              median(big.direct) * 1e3);
  std::printf("  braid_rt_cpu_gemm  : fastest %9.3f ms (%6.1f GFLOP/s), "
              "median %9.3f ms\n",
              wrapperBest * 1e3, flops / wrapperBest * 1e-9,
              median(big.wrapper) * 1e3);
  std::vector<double> ratios = big.ratios();
  std::printf("  overhead: %+.2f%% (median of the paired ratios; quartiles "
              "%+.2f%% .. %+.2f%%)   target <= 2%%\n",
              (ratios[ratios.size() / 2] - 1) * 100,
              (ratios[ratios.size() / 4] - 1) * 100,
              (ratios[ratios.size() * 3 / 4] - 1) * 100);
  std::vector<double> floor = measure(size, reps, 1, true).ratios();
  std::printf("  noise floor: %+.2f%% (the same pairing, direct vs direct; "
              "quartiles %+.2f%% .. %+.2f%%)\n",
              (floor[floor.size() / 2] - 1) * 100,
              (floor[floor.size() / 4] - 1) * 100,
              (floor[floor.size() * 3 / 4] - 1) * 100);

  Timings tiny = measure(1, 50, 20000);
  std::printf("per-call cost on 1x1x1: direct %.0f ns, wrapper %.0f ns "
              "(+%.0f ns of checks and dispatch)\n",
              fastest(tiny.direct) * 1e9, fastest(tiny.wrapper) * 1e9,
              (fastest(tiny.wrapper) - fastest(tiny.direct)) * 1e9);
  return 0;
}
