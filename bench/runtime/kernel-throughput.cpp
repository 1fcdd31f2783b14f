//===- kernel-throughput.cpp - CPU kernels against memcpy and BLAS --------===//
//
//   braid-bench-kernels [--rows=R] [--width=W] [--reps=N]
//
// The CPU kernels compiled programs call, at a model-ish size, in both
// numerics (the interpreter's bitwise one and the fast one compiled
// programs use):
//
//  * the layer kernels (rmsnorm, layernorm, softmax, swiglu, activations)
//    on [rows, width] f32 and bf16, next to a memcpy moving the same bytes
//    (each kernel's inputs read plus its output written: memcpy of half
//    that total reads and writes as much). A kernel at ratio 1 runs at the
//    copy's bandwidth; the memory bound is the target;
//  * attention at the overlap benchmark's shape (bench/overlap/programs.py:
//    batch 2, 8 heads per rank, 256 tokens, head dim 64, causal), f32 and
//    bf16, sequential vs BLAS, in GFLOP/s of the visible (causal) work.
//
// Every time is the median of N repetitions (one warm-up call first) of the
// calling thread's CPU time, which other jobs on a shared machine do not
// inflate (everything here, OpenBLAS included with OPENBLAS_NUM_THREADS=1
// as compiled programs run, computes on that thread).
//
//===----------------------------------------------------------------------===//

#include "braid_rt/kernels.h"
#include "braid_rt/kernels/Float.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <random>
#include <string>
#include <vector>

#ifdef BRAID_RT_HAVE_CBLAS
#include <cblas.h>
#endif

#include <time.h>
#include <unistd.h>

namespace {

using braid_rt::kernels::bf16;

double threadSeconds() {
  timespec now;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + now.tv_nsec * 1e-9;
}

std::string cpuModel() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line))
    if (line.rfind("model name", 0) == 0)
      return line.substr(line.find(':') + 2);
  return "unknown";
}

/// Median seconds of `reps` calls of `call` after one warm-up call.
double medianSeconds(int reps, const std::function<void()> &call) {
  call();
  std::vector<double> times;
  for (int r = 0; r < reps; ++r) {
    double start = threadSeconds();
    call();
    times.push_back(threadSeconds() - start);
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

void check(int status, const char *what) {
  if (status != BRAID_RT_KERNEL_OK) {
    std::fprintf(stderr, "%s: %s\n", what, braid_rt_kernel_last_error());
    std::exit(1);
  }
}

/// `count` random normal values of `type` as bytes.
std::vector<unsigned char> randomTensor(braid_rt_elem type, int64_t count,
                                        uint32_t seed) {
  std::mt19937 random(seed);
  std::normal_distribution<float> normal;
  std::vector<unsigned char> bytes(count * braid_rt_elem_size(type));
  for (int64_t i = 0; i < count; ++i) {
    float value = normal(random);
    if (type == BRAID_RT_ELEM_BF16) {
      bf16 rounded = braid_rt::kernels::bf16FromFloat(value);
      std::memcpy(bytes.data() + 2 * i, &rounded, 2);
    } else {
      std::memcpy(bytes.data() + 4 * i, &value, 4);
    }
  }
  return bytes;
}

/// Prints one layer kernel's line: the sequential and fast times, the copy
/// of the same traffic, and each as a fraction of the copy's bandwidth.
void layerLine(const char *name, braid_rt_elem type, size_t trafficBytes,
               int reps,
               const std::function<void(braid_rt_gemm_numerics)> &run) {
  std::vector<unsigned char> from(trafficBytes / 2), to(trafficBytes / 2);
  std::memset(from.data(), 1, from.size());
  double copy = medianSeconds(
      reps, [&] { std::memcpy(to.data(), from.data(), from.size()); });
  double sequential =
      medianSeconds(reps, [&] { run(BRAID_RT_GEMM_SEQUENTIAL); });
  double fast = medianSeconds(reps, [&] { run(BRAID_RT_GEMM_BLAS); });
  std::printf("  %-12s %-4s %9.3f %9.3f %9.3f %8.1f %8.3f %8.3f %8.1fx\n",
              name, braid_rt_elem_name(type), copy * 1e3, sequential * 1e3,
              fast * 1e3, trafficBytes / copy * 1e-9, copy / sequential,
              copy / fast, sequential / fast);
}

void layerKernels(int64_t rows, int64_t width, int reps) {
  int64_t n = rows * width;
  std::printf("\nlayer kernels on [%ld, %ld]: median ms; copy = memcpy of the "
              "same traffic (inputs read + output written);\nratio = copy "
              "time / kernel time (1 = copy bandwidth)\n",
              static_cast<long>(rows), static_cast<long>(width));
  std::printf("  %-12s %-4s %9s %9s %9s %8s %8s %8s %9s\n", "kernel", "type",
              "copy", "sequent.", "fast", "copyGB/s", "seq/copy", "fast/cp",
              "speed-up");
  for (braid_rt_elem type : {BRAID_RT_ELEM_F32, BRAID_RT_ELEM_BF16}) {
    size_t size = braid_rt_elem_size(type);
    std::vector<unsigned char> x = randomTensor(type, n, 1),
                               g = randomTensor(type, n, 2),
                               w = randomTensor(type, width, 3),
                               b = randomTensor(type, width, 4), y(n * size);
    size_t unary = 2 * n * size, binary = 3 * n * size;
    layerLine("rmsnorm", type, unary, reps, [&](braid_rt_gemm_numerics num) {
      check(braid_rt_cpu_rmsnorm(type, rows, width, x.data(), w.data(), 1e-5f,
                                 y.data(), num),
            "rmsnorm");
    });
    layerLine("layernorm", type, unary, reps, [&](braid_rt_gemm_numerics num) {
      check(braid_rt_cpu_layernorm(type, rows, width, x.data(), w.data(),
                                   b.data(), 1e-5f, y.data(), num),
            "layernorm");
    });
    layerLine("softmax", type, unary, reps, [&](braid_rt_gemm_numerics num) {
      check(braid_rt_cpu_softmax(type, rows, width, 1, x.data(), y.data(),
                                 num),
            "softmax");
    });
    layerLine("swiglu", type, binary, reps, [&](braid_rt_gemm_numerics num) {
      check(braid_rt_cpu_swiglu(type, n, x.data(), g.data(), y.data(), num),
            "swiglu");
    });
    struct Kind {
      const char *name;
      braid_rt_activation kind;
    };
    for (Kind kind : {Kind{"silu", BRAID_RT_ACTIVATION_SILU},
                      Kind{"gelu", BRAID_RT_ACTIVATION_GELU},
                      Kind{"gelu_tanh", BRAID_RT_ACTIVATION_GELU_TANH},
                      Kind{"relu", BRAID_RT_ACTIVATION_RELU},
                      Kind{"sigmoid", BRAID_RT_ACTIVATION_SIGMOID}})
      layerLine(kind.name, type, unary, reps, [&](braid_rt_gemm_numerics num) {
        check(braid_rt_cpu_activation(kind.kind, type, n, x.data(), y.data(),
                                      num),
              "activation");
      });
  }
}

void attention(int reps) {
  braid_rt_attention_desc desc{};
  desc.batch = 2;
  desc.heads = desc.kv_heads = 8;
  desc.q_len = desc.kv_len = 256;
  desc.head_dim = desc.v_head_dim = 64;
  desc.causal = 1;
  // Query-key pairs the causal mask leaves: S (S + 1) / 2 per head; each
  // costs 2 D flops in Q·Kᵀ and 2 Dv in P·V.
  double pairs = desc.batch * desc.heads * desc.q_len * (desc.q_len + 1) / 2.0;
  double flops = pairs * 2.0 * (desc.head_dim + desc.v_head_dim);
  std::printf("\nattention: batch %ld, %ld heads, %ld tokens, head dim %ld, "
              "causal; %.1f MFLOP of visible work\n",
              static_cast<long>(desc.batch), static_cast<long>(desc.heads),
              static_cast<long>(desc.q_len), static_cast<long>(desc.head_dim),
              flops * 1e-6);
  std::printf("  %-4s %12s %12s %12s %12s %9s\n", "type", "sequent. ms",
              "GFLOP/s", "BLAS ms", "GFLOP/s", "speed-up");
  for (braid_rt_elem type : {BRAID_RT_ELEM_F32, BRAID_RT_ELEM_BF16}) {
    desc.type = type;
    int64_t qCount = desc.batch * desc.heads * desc.q_len * desc.head_dim;
    std::vector<unsigned char> q = randomTensor(type, qCount, 5),
                               k = randomTensor(type, qCount, 6),
                               v = randomTensor(type, qCount, 7),
                               out(q.size());
    auto run = [&](braid_rt_gemm_numerics numerics) {
      check(braid_rt_cpu_attention(&desc, q.data(), k.data(), v.data(),
                                   nullptr, out.data(), numerics, nullptr, 0),
            "attention");
    };
    // The sequential path takes a sizeable fraction of a second per call.
    double sequential = medianSeconds(std::max(1, reps / 10), [&] {
      run(BRAID_RT_GEMM_SEQUENTIAL);
    });
    double blas = medianSeconds(reps, [&] { run(BRAID_RT_GEMM_BLAS); });
    std::printf("  %-4s %12.3f %12.2f %12.3f %12.2f %8.1fx\n",
                braid_rt_elem_name(type), sequential * 1e3,
                flops / sequential * 1e-9, blas * 1e3, flops / blas * 1e-9,
                sequential / blas);
  }
}

} // namespace

int main(int argc, char **argv) {
  int64_t rows = 512, width = 1024;
  int reps = 21;
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--rows=", 7) == 0)
      rows = std::atoll(argv[i] + 7);
    else if (std::strncmp(argv[i], "--width=", 8) == 0)
      width = std::atoll(argv[i] + 8);
    else if (std::strncmp(argv[i], "--reps=", 7) == 0)
      reps = std::atoi(argv[i] + 7);
    else {
      std::fprintf(stderr, "usage: %s [--rows=R] [--width=W] [--reps=N]\n",
                   argv[0]);
      return 2;
    }
  }
  if (rows < 1 || width < 1 || reps < 1) {
    std::fprintf(stderr, "rows, width and reps must be positive\n");
    return 2;
  }
  std::printf("machine: %s, %ld logical CPUs; OPENBLAS_NUM_THREADS=%s\n",
              cpuModel().c_str(),
              static_cast<long>(sysconf(_SC_NPROCESSORS_ONLN)),
              std::getenv("OPENBLAS_NUM_THREADS")
                  ? std::getenv("OPENBLAS_NUM_THREADS")
                  : "(unset)");
#ifdef BRAID_RT_HAVE_CBLAS
  std::printf("OpenBLAS: %s\n", openblas_get_config());
#endif
  layerKernels(rows, width, reps);
  attention(reps);
  return 0;
}
