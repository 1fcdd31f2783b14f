//===- gpu-bench.cu - what the CUDA target's decisions rest on, measured --===//
//
// braid-gpu-bench [--quick] OUT_DIR
//
// On one GPU, through the runtime's own paths (cuBLASLt GEMM cache, the
// templated layer kernels, the grid-stride form of emitted kernels):
//
//  1. copy: device-to-device cudaMemcpyAsync bandwidth, (read + write) bytes
//     per second: the bound of every memory-bound kernel;
//  2. gemm: bf16 GEMMs (f32 accumulation, bf16 out) at 8192^3 and the
//     Llama-3-70B TP8 shapes (8192 tokens), monolithic and cut into 2, 4, 8
//     chunks along M and along N (each chunk one cuBLASLt call, back to back
//     on one stream): TFLOP/s and the ratio to the monolithic call;
//  3. memory-bound kernels: rmsnorm, softmax, swiglu (runtime kernels) and
//     a fused element-wise chain in the emitted kernels' form, bytes moved
//     per second over the copy bandwidth;
//  4. overlap: the 8192^3 GEMM on one stream beside a device-to-host
//     copy-engine transfer on another, sized to take as long alone;
//     overlap = (t_gemm + t_copy - t_both) / min(t_gemm, t_copy);
//  5. kernel and GEMM overheads (an empty kernel; a 128^3 GEMM).
//
// Writes OUT_DIR/gpu-bench.txt (the table) and OUT_DIR/gpu-measurements.json
// (bench/gpu/make-profile.py turns it into a bench/profiles file). Times are
// medians of CUDA-event timings after warm-up.
//
//===----------------------------------------------------------------------===//

#include "braid_rt/braid_emitted_cuda.h"
#include "braid_rt/kernels.h"

#include <cuda_runtime.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

// braid_emitted_cuda.h's executor hooks are not used by the benchmark.
extern "C" {
void *braid_exec_cuda_stream(braid_exec *, int) { return nullptr; }
int braid_exec_cuda_gemm(braid_exec *, int, const braid_rt_gemm_desc *,
                         const void *, const void *, void *) {
  return 0;
}
int braid_exec_failed(braid_exec *) { return 0; }
void braid_exec_fail(braid_exec *, const char *, const char *) {}
void braid_exec_check_kernel(braid_exec *, int, const char *) {}
}

namespace {

FILE *table = nullptr;
std::string json = "{";

void report(const char *format, ...) __attribute__((format(printf, 1, 2)));
void report(const char *format, ...) {
  char line[512];
  va_list args;
  va_start(args, format);
  vsnprintf(line, sizeof(line), format, args);
  va_end(args);
  std::fputs(line, stdout);
  std::fputs(line, table);
  std::fflush(stdout);
}

void measurement(const std::string &key, double value) {
  char text[128];
  std::snprintf(text, sizeof(text), "%s\"%s\": %.6g", json.size() > 1 ? ", " : "",
                key.c_str(), value);
  json += text;
}

#define CHECK(call)                                                            \
  do {                                                                         \
    cudaError_t error_ = (call);                                               \
    if (error_ != cudaSuccess) {                                               \
      std::fprintf(stderr, "braid-gpu-bench: %s: %s\n", #call,               \
                   cudaGetErrorString(error_));                                \
      std::exit(1);                                                            \
    }                                                                          \
  } while (0)

#define CHECK_KERNEL(call)                                                     \
  do {                                                                         \
    if ((call) != 0) {                                                         \
      std::fprintf(stderr, "braid-gpu-bench: %s: %s\n", #call,               \
                   braid_rt_kernel_last_error());                              \
      std::exit(1);                                                            \
    }                                                                          \
  } while (0)

cudaStream_t stream, side;
int iterations = 20;

/// Median milliseconds of `body` enqueued on `on`.
double timeMs(const std::function<void()> &body, cudaStream_t on = nullptr) {
  if (!on)
    on = stream;
  cudaEvent_t start, stop;
  CHECK(cudaEventCreate(&start));
  CHECK(cudaEventCreate(&stop));
  for (int i = 0; i < 3; ++i)
    body();
  CHECK(cudaStreamSynchronize(on));
  std::vector<double> times;
  for (int i = 0; i < iterations; ++i) {
    CHECK(cudaEventRecord(start, on));
    body();
    CHECK(cudaEventRecord(stop, on));
    CHECK(cudaEventSynchronize(stop));
    float ms = 0;
    CHECK(cudaEventElapsedTime(&ms, start, stop));
    times.push_back(ms);
  }
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

void *deviceBuffer(size_t bytes) {
  void *memory = nullptr;
  CHECK(cudaMalloc(&memory, bytes));
  CHECK(cudaMemset(memory, 0, bytes));
  return memory;
}

__global__ void fill(uint16_t *data, size_t n, uint32_t seed) {
  for (size_t i = braid_cuda_thread_index(); i < n;
       i += braid_cuda_thread_count()) {
    uint32_t h = static_cast<uint32_t>(i) * 2654435761u + seed;
    float value = static_cast<float>(h % 2001) / 1000.0f - 1.0f;
    data[i] = braid_f32_to_bf16(value * 0.25f);
  }
}

void randomBf16(void *data, size_t n, uint32_t seed) {
  fill<<<1024, 256, 0, stream>>>(static_cast<uint16_t *>(data), n, seed);
  CHECK(cudaGetLastError());
}

/// The form braid-compile emits for a fused element-wise group (here
/// silu(a) * b + c on bf16, computed in f32): a grid-stride loop.
__global__ void fusedElementwise(const uint16_t *a, const uint16_t *b,
                                 const uint16_t *c, uint16_t *out, size_t n) {
  for (size_t i = braid_cuda_thread_index(); i < n;
       i += braid_cuda_thread_count()) {
    float x = braid_bf16_to_f32(a[i]);
    float silu = x / (1.0f + std::exp(-x));
    out[i] = braid_f32_to_bf16(silu * braid_bf16_to_f32(b[i]) +
                               braid_bf16_to_f32(c[i]));
  }
}

__global__ void emptyKernel() {}

braid_rt_cuda_gemm_cache *cache;
void *workspace;
size_t workspaceBytes;

/// C[m, n] (ldc) = A[m, k] (lda) * B[k, n] (ldb), bf16 in and out.
void gemm(int64_t m, int64_t n, int64_t k, const void *a, int64_t lda,
          const void *b, int64_t ldb, void *c, int64_t ldc) {
  braid_rt_gemm_desc desc = braid_rt_gemm_desc_dense(
      1, m, n, k, BRAID_RT_ELEM_BF16, BRAID_RT_ELEM_BF16, BRAID_RT_ELEM_BF16,
      /*accumulate=*/0);
  desc.lda = lda;
  desc.ldb = ldb;
  desc.ldc = ldc;
  CHECK_KERNEL(braid_rt_cuda_gemm(cache, &desc, a, b, c, workspace,
                                  workspaceBytes, stream));
}

struct Shape {
  const char *name;
  int64_t m, n, k;
};

} // namespace

int main(int argc, char **argv) {
  bool quick = false;
  std::string out = ".";
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--quick")
      quick = true;
    else
      out = arg;
  }
  if (quick)
    iterations = 5;
  table = std::fopen((out + "/gpu-bench.txt").c_str(), "w");
  if (!table) {
    std::fprintf(stderr, "braid-gpu-bench: cannot write %s/gpu-bench.txt\n",
                 out.c_str());
    return 1;
  }
  cudaDeviceProp prop;
  CHECK(cudaGetDeviceProperties(&prop, 0));
  report("# braid-gpu-bench on %s (%d SMs, %.1f GiB, sm_%d%d)\n", prop.name,
         prop.multiProcessorCount,
         prop.totalGlobalMem / (1024.0 * 1024 * 1024), prop.major,
         prop.minor);
  json += "\"gpu\": \"" + std::string(prop.name) + "\"";
  measurement("num_sms", prop.multiProcessorCount);
  CHECK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
  CHECK(cudaStreamCreateWithFlags(&side, cudaStreamNonBlocking));
  CHECK_KERNEL(braid_rt_cuda_gemm_cache_create(&cache));
  workspaceBytes = braid_rt_cuda_gemm_workspace_bytes();
  workspace = deviceBuffer(std::max<size_t>(workspaceBytes, 1));

  // 1. Copy bandwidth.
  size_t copyBytes = (quick ? 256ull : 1024ull) << 20;
  void *src = deviceBuffer(copyBytes), *dst = deviceBuffer(copyBytes);
  double copyMs = timeMs([&] {
    CHECK(cudaMemcpyAsync(dst, src, copyBytes, cudaMemcpyDeviceToDevice,
                          stream));
  });
  double copyBw = 2.0 * copyBytes / (copyMs * 1e-3);
  report("copy D2D %zu MiB: %.3f ms, %.1f GB/s (read + write)\n",
         copyBytes >> 20, copyMs, copyBw / 1e9);
  measurement("copy_bandwidth", copyBw);
  cudaFree(src);
  cudaFree(dst);

  // 2. GEMM chunks along M and N.
  std::vector<Shape> shapes = {
      {"8192^3", 8192, 8192, 8192},
      {"llama70b-tp8 qkv", 8192, 1280, 8192},
      {"llama70b-tp8 o", 8192, 8192, 1024},
      {"llama70b-tp8 gate+up", 8192, 7168, 8192},
      {"llama70b-tp8 down", 8192, 8192, 3584},
  };
  if (quick)
    shapes.resize(2);
  report("\n%-22s %-6s %6s %10s %9s %8s\n", "gemm (bf16, f32 acc)", "cut",
         "chunks", "ms", "TFLOP/s", "ratio");
  double bestTflops = 0, ratio4Min = 1e9;
  for (const Shape &shape : shapes) {
    size_t aBytes = shape.m * shape.k * 2, bBytes = shape.k * shape.n * 2,
           cBytes = shape.m * shape.n * 2;
    void *a = deviceBuffer(aBytes), *b = deviceBuffer(bBytes),
         *c = deviceBuffer(cBytes);
    randomBf16(a, aBytes / 2, 1);
    randomBf16(b, bBytes / 2, 2);
    double flops = 2.0 * shape.m * shape.n * shape.k;
    double mono = timeMs([&] {
      gemm(shape.m, shape.n, shape.k, a, shape.k, b, shape.n, c, shape.n);
    });
    double monoTflops = flops / (mono * 1e-3) / 1e12;
    bestTflops = std::max(bestTflops, monoTflops);
    report("%-22s %-6s %6d %10.3f %9.1f %8.3f\n", shape.name, "-", 1, mono,
           monoTflops, 1.0);
    if (std::string(shape.name) == "8192^3")
      measurement("gemm_8192_ms", mono);
    for (const char *cut : {"M", "N"})
      for (int chunks : {2, 4, 8}) {
        bool alongM = cut[0] == 'M';
        int64_t extent = alongM ? shape.m : shape.n;
        if (extent % chunks)
          continue;
        int64_t piece = extent / chunks;
        double ms = timeMs([&] {
          for (int i = 0; i < chunks; ++i) {
            if (alongM)
              gemm(piece, shape.n, shape.k,
                   static_cast<char *>(a) + i * piece * shape.k * 2, shape.k,
                   b, shape.n,
                   static_cast<char *>(c) + i * piece * shape.n * 2, shape.n);
            else
              gemm(shape.m, piece, shape.k, a, shape.k,
                   static_cast<char *>(b) + i * piece * 2, shape.n,
                   static_cast<char *>(c) + i * piece * 2, shape.n);
          }
        });
        double ratio = mono / ms;
        if (chunks == 4)
          ratio4Min = std::min(ratio4Min, ratio);
        report("%-22s %-6s %6d %10.3f %9.1f %8.3f\n", shape.name, cut,
               chunks, ms, flops / (ms * 1e-3) / 1e12, ratio);
      }
    cudaFree(a);
    cudaFree(b);
    cudaFree(c);
  }
  measurement("gemm_bf16_flops", bestTflops * 1e12);
  measurement("gemm_chunk4_min_ratio", ratio4Min);

  // 3. Memory-bound kernels against the copy bandwidth.
  int64_t rows = quick ? 4096 : 8192, width = 8192;
  size_t n = static_cast<size_t>(rows) * width, bytes = n * 2;
  void *x = deviceBuffer(bytes), *y = deviceBuffer(bytes),
       *z = deviceBuffer(bytes), *w = deviceBuffer(width * 2),
       *o = deviceBuffer(bytes);
  randomBf16(x, n, 3);
  randomBf16(y, n, 4);
  randomBf16(z, n, 5);
  randomBf16(w, width, 6);
  report("\n%-28s %10s %10s %8s\n", "memory-bound (bf16)", "ms", "GB/s",
         "of copy");
  double worst = 1e9;
  auto memoryBound = [&](const char *name, double moved,
                         const std::function<void()> &body) {
    double ms = timeMs(body);
    double bw = moved / (ms * 1e-3);
    worst = std::min(worst, bw / copyBw);
    report("%-28s %10.3f %10.1f %8.3f\n", name, ms, bw / 1e9, bw / copyBw);
    measurement(std::string("kernel_") + name + "_fraction", bw / copyBw);
  };
  memoryBound("rmsnorm", 2.0 * bytes + width * 2, [&] {
    CHECK_KERNEL(braid_rt_cuda_rmsnorm(BRAID_RT_ELEM_BF16, rows, width, x, w,
                                       1e-5f, o, stream));
  });
  memoryBound("softmax", 2.0 * bytes, [&] {
    CHECK_KERNEL(braid_rt_cuda_softmax(BRAID_RT_ELEM_BF16, rows, width, 1, x,
                                       o, stream));
  });
  memoryBound("swiglu", 3.0 * bytes, [&] {
    CHECK_KERNEL(braid_rt_cuda_swiglu(BRAID_RT_ELEM_BF16, n, x, y, o,
                                      stream));
  });
  memoryBound("fused_elementwise", 4.0 * bytes, [&] {
    int64_t blocks = std::min<int64_t>((n + 255) / 256, 1 << 16);
    fusedElementwise<<<static_cast<unsigned>(blocks), 256, 0, stream>>>(
        static_cast<uint16_t *>(x), static_cast<uint16_t *>(y),
        static_cast<uint16_t *>(z), static_cast<uint16_t *>(o), n);
  });
  measurement("memory_bound_min_fraction", worst);
  cudaFree(x);
  cudaFree(y);
  cudaFree(z);
  cudaFree(w);
  cudaFree(o);

  // 4. GEMM beside a copy-engine transfer on another stream.
  {
    int64_t s = quick ? 4096 : 8192;
    size_t operand = s * s * 2;
    void *a = deviceBuffer(operand), *b = deviceBuffer(operand),
         *c = deviceBuffer(operand);
    randomBf16(a, s * s, 7);
    randomBf16(b, s * s, 8);
    auto runGemm = [&] { gemm(s, s, s, a, s, b, s, c, s); };
    double gemmMs = timeMs(runGemm);
    // D2H bandwidth, then a transfer as long as the GEMM.
    size_t probe = 256ull << 20;
    void *host = nullptr, *device = deviceBuffer(probe);
    CHECK(cudaMallocHost(&host, probe));
    double probeMs = timeMs([&] {
      CHECK(cudaMemcpyAsync(host, device, probe, cudaMemcpyDeviceToHost,
                            stream));
    });
    double d2h = probe / (probeMs * 1e-3);
    size_t transfer = std::min<size_t>(
        probe, static_cast<size_t>(d2h * gemmMs * 1e-3));
    auto runCopy = [&](cudaStream_t on) {
      CHECK(cudaMemcpyAsync(host, device, transfer, cudaMemcpyDeviceToHost,
                            on));
    };
    double copyAlone = timeMs([&] { runCopy(stream); });
    cudaEvent_t fork, joined;
    CHECK(cudaEventCreateWithFlags(&fork, cudaEventDisableTiming));
    CHECK(cudaEventCreateWithFlags(&joined, cudaEventDisableTiming));
    double both = timeMs([&] {
      CHECK(cudaEventRecord(fork, stream));
      CHECK(cudaStreamWaitEvent(side, fork, 0));
      runCopy(side);
      runGemm();
      CHECK(cudaEventRecord(joined, side));
      CHECK(cudaStreamWaitEvent(stream, joined, 0));
    });
    double overlap = (gemmMs + copyAlone - both) / std::min(gemmMs, copyAlone);
    report("\noverlap: gemm %lldx%lldx%lld %.3f ms, D2H copy %zu MiB %.3f ms "
           "(%.1f GB/s), both %.3f ms: overlap %.3f\n",
           static_cast<long long>(s), static_cast<long long>(s),
           static_cast<long long>(s), gemmMs, transfer >> 20, copyAlone,
           d2h / 1e9, both, overlap);
    measurement("d2h_bandwidth", d2h);
    measurement("overlap_gemm_copy", overlap);
    cudaFreeHost(host);
    cudaFree(device);
    cudaFree(a);
    cudaFree(b);
    cudaFree(c);
  }

  // 5. Overheads.
  double empty = timeMs([&] { emptyKernel<<<1, 32, 0, stream>>>(); });
  {
    void *a = deviceBuffer(128 * 128 * 2), *b = deviceBuffer(128 * 128 * 2),
         *c = deviceBuffer(128 * 128 * 2);
    double small = timeMs([&] { gemm(128, 128, 128, a, 128, b, 128, c, 128); });
    report("\noverheads: empty kernel %.2f us, 128^3 GEMM %.2f us\n",
           empty * 1e3, small * 1e3);
    measurement("kernel_overhead", empty * 1e-3);
    measurement("gemm_overhead", small * 1e-3);
    cudaFree(a);
    cudaFree(b);
    cudaFree(c);
  }
  json += "}\n";
  FILE *file = std::fopen((out + "/gpu-measurements.json").c_str(), "w");
  std::fputs(json.c_str(), file);
  std::fclose(file);
  std::fclose(table);
  braid_rt_cuda_gemm_cache_destroy(cache);
  return 0;
}
