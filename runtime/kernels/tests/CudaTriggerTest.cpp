//===- CudaTriggerTest.cpp - GEMMs releasing flags to a waiting stream ----===//
//
// On a GPU machine (exit 77, "skipped", without a device):
//  - tile trigger: braid_rt_cuda_gemm_tiles_signal equals the CPU's
//    sequential GEMM bitwise (f32; bf16 within one rounding), and every
//    chunk's flag ends at the chunk's tile count, epoch after epoch;
//  - chunk trigger: braid_rt_cuda_gemm_chunked_signal sets flag c to
//    epoch + 1 and equals one cuBLASLt call bitwise along M;
//  - consumer: a second stream waits on each flag (braid_rt_cuda_wait_flag)
//    and copies the chunk out as soon as it is released; the copies equal
//    the GEMM's output, so no copy ran before its chunk was stored;
//  - grouped producer: braid_rt_cuda_grouped_matmul_chunked equals one
//    braid_rt_cuda_grouped_matmul bitwise (natural and ring orders, 2-4
//    chunks, 1-3 tiles, groups across chunk boundaries, empty groups, rows
//    past the groups), releases every (position, tile) once in order, and
//    at each release the output snapshotted on the stream holds exactly
//    the blocks released so far (a block's rows are enqueued before its
//    release; no other row is written).
//
//===----------------------------------------------------------------------===//

#include "../../tests/GridMatrix.h"
#include "GpuTest.h"
#include "braid_rt/kernels.h"

#include <cuda_runtime.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <utility>
#include <vector>

namespace {

using braid_rt::test::gpuTestFailures;

using braid_rt::test::gridMatrix;

template <typename T> T *toDevice(const std::vector<T> &host) {
  T *device = nullptr;
  cudaMalloc(&device, host.size() * sizeof(T));
  cudaMemcpy(device, host.data(), host.size() * sizeof(T),
             cudaMemcpyHostToDevice);
  return device;
}

template <typename T> std::vector<T> toHost(const T *device, size_t count) {
  std::vector<T> host(count);
  cudaMemcpy(host.data(), device, count * sizeof(T), cudaMemcpyDeviceToHost);
  return host;
}

void tileTrigger() {
  const int64_t m = 256, n = 200, k = 130, chunks = 4;
  std::vector<float> a = gridMatrix(m * k, 1), b = gridMatrix(k * n, 2);
  braid_rt_gemm_desc desc = braid_rt_gemm_desc_dense(
      1, m, n, k, BRAID_RT_ELEM_F32, BRAID_RT_ELEM_F32, BRAID_RT_ELEM_F32, 0);
  std::vector<float> expected(m * n);
  CHECK(braid_rt_cpu_gemm(&desc, a.data(), b.data(), expected.data(),
                          BRAID_RT_GEMM_SEQUENTIAL, nullptr, 0) == 0,
        "%s", braid_rt_kernel_last_error());
  float *dA = toDevice(a), *dB = toDevice(b), *dC = nullptr, *dCopy = nullptr;
  cudaMalloc(&dC, m * n * sizeof(float));
  cudaMalloc(&dCopy, m * n * sizeof(float));
  uint32_t *flags = nullptr;
  cudaMalloc(&flags, chunks * sizeof(uint32_t));
  cudaMemset(flags, 0, chunks * sizeof(uint32_t));
  cudaStream_t producer, consumer;
  cudaStreamCreateWithFlags(&producer, cudaStreamNonBlocking);
  cudaStreamCreateWithFlags(&consumer, cudaStreamNonBlocking);
  int64_t tiles = braid_rt_cuda_tiles_per_chunk(m, n, chunks);
  const int64_t order[chunks] = {2, 0, 3, 1};
  size_t chunkBytes = m / chunks * n * sizeof(float);
  for (uint32_t epoch = 0; epoch < 3; ++epoch) {
    cudaMemset(dCopy, 0, m * n * sizeof(float));
    // The consumer is enqueued first: it must wait for the releases.
    for (int64_t i = 0; i < chunks; ++i) {
      int64_t chunk = order[i];
      CHECK(braid_rt_cuda_wait_flag(flags, chunk,
                                    static_cast<uint32_t>((epoch + 1) * tiles),
                                    consumer) == 0,
            "%s", braid_rt_kernel_last_error());
      cudaMemcpyAsync(reinterpret_cast<char *>(dCopy) + chunk * chunkBytes,
                      reinterpret_cast<char *>(dC) + chunk * chunkBytes,
                      chunkBytes, cudaMemcpyDeviceToDevice, consumer);
    }
    cudaMemsetAsync(dC, 0xff, m * n * sizeof(float), producer);
    CHECK(braid_rt_cuda_gemm_tiles_signal(&desc, dA, dB, dC, chunks, order,
                                          flags, producer) == 0,
          "%s", braid_rt_kernel_last_error());
    cudaStreamSynchronize(producer);
    cudaStreamSynchronize(consumer);
    std::vector<float> got = toHost(dC, m * n);
    std::vector<float> copied = toHost(dCopy, m * n);
    CHECK(std::memcmp(got.data(), expected.data(), got.size() * 4) == 0,
          "tile GEMM differs from the sequential CPU GEMM (epoch %u)", epoch);
    CHECK(copied == got, "a consumer copied a chunk before its release");
    std::vector<uint32_t> values = toHost(flags, chunks);
    for (int64_t c = 0; c < chunks; ++c)
      CHECK(values[c] == (epoch + 1) * tiles, "flag %ld is %u, expected %ld",
            static_cast<long>(c), values[c],
            static_cast<long>((epoch + 1) * tiles));
  }
  cudaStreamDestroy(producer);
  cudaStreamDestroy(consumer);
  cudaFree(dA);
  cudaFree(dB);
  cudaFree(dC);
  cudaFree(dCopy);
  cudaFree(flags);
}

void chunkTrigger() {
  const int64_t m = 192, n = 96, k = 64, chunks = 3;
  std::vector<float> a = gridMatrix(m * k, 3), b = gridMatrix(k * n, 4);
  braid_rt_gemm_desc desc = braid_rt_gemm_desc_dense(
      1, m, n, k, BRAID_RT_ELEM_F32, BRAID_RT_ELEM_F32, BRAID_RT_ELEM_F32, 0);
  braid_rt_cuda_gemm_cache *cache = nullptr;
  CHECK(braid_rt_cuda_gemm_cache_create(&cache) == 0, "%s",
        braid_rt_kernel_last_error());
  size_t workspaceBytes = braid_rt_cuda_gemm_workspace_bytes();
  void *workspace = nullptr;
  cudaMalloc(&workspace, workspaceBytes);
  float *dA = toDevice(a), *dB = toDevice(b), *dWhole = nullptr,
        *dChunked = nullptr;
  cudaMalloc(&dWhole, m * n * sizeof(float));
  cudaMalloc(&dChunked, m * n * sizeof(float));
  uint32_t *flags = nullptr;
  cudaMalloc(&flags, chunks * sizeof(uint32_t));
  cudaMemset(flags, 0, chunks * sizeof(uint32_t));
  cudaStream_t stream;
  cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking);
  CHECK(braid_rt_cuda_gemm(cache, &desc, dA, dB, dWhole, workspace,
                           workspaceBytes, stream) == 0,
        "%s", braid_rt_kernel_last_error());
  const int64_t order[chunks] = {1, 2, 0};
  for (uint32_t epoch = 0; epoch < 2; ++epoch)
    CHECK(braid_rt_cuda_gemm_chunked_signal(
              cache, &desc, dA, dB, dChunked, workspace, workspaceBytes,
              BRAID_RT_GEMM_CUT_M, chunks, order, flags, epoch, stream) == 0,
          "%s", braid_rt_kernel_last_error());
  cudaStreamSynchronize(stream);
  std::vector<float> whole = toHost(dWhole, m * n);
  std::vector<float> chunked = toHost(dChunked, m * n);
  // cuBLASLt may pick another kernel for the smaller problem: within the
  // contract, and bitwise where it picked the same.
  double worst = 0;
  for (size_t i = 0; i < whole.size(); ++i)
    worst = std::max(worst, std::fabs(double(whole[i]) - chunked[i]));
  CHECK(worst <= 1e-4, "chunked cuBLASLt differs by %g", worst);
  std::printf("chunk trigger: %s\n",
              whole == chunked ? "bitwise equal to one call"
                               : "within 1e-4 of one call");
  std::vector<uint32_t> values = toHost(flags, chunks);
  for (int64_t c = 0; c < chunks; ++c)
    CHECK(values[c] == 2, "flag %ld is %u", static_cast<long>(c), values[c]);
  cudaStreamDestroy(stream);
  braid_rt_cuda_gemm_cache_destroy(cache);
  cudaFree(workspace);
  cudaFree(dA);
  cudaFree(dB);
  cudaFree(dWhole);
  cudaFree(dChunked);
  cudaFree(flags);
}

/// T3's ring order of `rank` among `size` ranks, chunks = size * k:
/// position s * k + q is chunk ((rank - s - 1) mod size) * k + q.
std::vector<int64_t> ringOrder(int64_t rank, int64_t size, int64_t chunks) {
  int64_t k = chunks / size;
  std::vector<int64_t> order(chunks);
  for (int64_t s = 0; s < size; ++s)
    for (int64_t q = 0; q < k; ++q)
      order[s * k + q] = ((rank - s - 1 + size) % size) * k + q;
  return order;
}

/// The snapshot a release takes of the producer's output: stream-ordered
/// after the blocks enqueued before the release.
struct GroupedRelease {
  std::vector<std::pair<int64_t, int64_t>> seen;
  const void *out;
  char *snapshots;
  size_t bytes;
  cudaStream_t stream;
};

int snapshotRelease(void *user, int64_t position, int64_t tile) {
  auto *release = static_cast<GroupedRelease *>(user);
  char *target = release->snapshots + release->seen.size() * release->bytes;
  release->seen.emplace_back(position, tile);
  return cudaMemcpyAsync(target, release->out, release->bytes,
                         cudaMemcpyDeviceToDevice,
                         release->stream) == cudaSuccess
             ? 0
             : 1;
}

void groupedTrigger() {
  struct Case {
    std::vector<int64_t> sizes;
    braid_rt_elem outType, sizesType;
  };
  // 60 rows: chunks of 30, 20 or 15 rows, tile blocks of uneven heights.
  const int64_t rows = 60, depth = 24, cols = 40;
  const Case cases[] = {
      {{17, 0, 26, 17}, BRAID_RT_ELEM_F32, BRAID_RT_ELEM_I64},
      {{5, 0, 0, 30}, BRAID_RT_ELEM_F32, BRAID_RT_ELEM_I32},
      {{31, 0, 29}, BRAID_RT_ELEM_BF16, BRAID_RT_ELEM_I64},
  };
  std::mt19937 random(11);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  cudaStream_t stream;
  cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking);
  for (const Case &test : cases) {
    int64_t experts = static_cast<int64_t>(test.sizes.size());
    // Values off any grid: bitwise equality holds only if every row is
    // summed exactly as in one call.
    std::vector<float> lhs(rows * depth), rhs(experts * depth * cols);
    for (float &value : lhs)
      value = uniform(random);
    for (float &value : rhs)
      value = uniform(random);
    std::vector<int32_t> sizes32(test.sizes.begin(), test.sizes.end());
    const void *hostSizes = test.sizesType == BRAID_RT_ELEM_I32
                                ? static_cast<const void *>(sizes32.data())
                                : static_cast<const void *>(test.sizes.data());
    size_t sizesBytes = experts * braid_rt_elem_size(test.sizesType);
    void *dSizes = nullptr;
    cudaMalloc(&dSizes, sizesBytes);
    cudaMemcpy(dSizes, hostSizes, sizesBytes, cudaMemcpyHostToDevice);
    float *dLhs = toDevice(lhs), *dRhs = toDevice(rhs);
    size_t rowBytes = cols * braid_rt_elem_size(test.outType);
    size_t bytes = rows * rowBytes;
    char *dWhole = nullptr, *dChunked = nullptr, *dSnapshots = nullptr;
    cudaMalloc(&dWhole, bytes);
    cudaMalloc(&dChunked, bytes);
    cudaMalloc(&dSnapshots, 12 * bytes);
    cudaMemsetAsync(dWhole, 0x55, bytes, stream);
    CHECK(braid_rt_cuda_grouped_matmul(BRAID_RT_ELEM_F32, test.outType, rows,
                                       depth, cols, experts, dLhs, dRhs, dSizes,
                                       test.sizesType, dWhole, stream) == 0,
          "%s", braid_rt_kernel_last_error());
    cudaStreamSynchronize(stream);
    std::vector<char> whole = toHost(dWhole, bytes);
    if (test.outType == BRAID_RT_ELEM_F32) {
      // The whole call is the CPU's grouped matmul (not all zeros, say).
      std::vector<float> expected(rows * cols);
      CHECK(braid_rt_cpu_grouped_matmul(
                BRAID_RT_ELEM_F32, BRAID_RT_ELEM_F32, rows, depth, cols,
                experts, lhs.data(), rhs.data(), hostSizes, test.sizesType,
                expected.data(), BRAID_RT_GEMM_SEQUENTIAL, nullptr, 0) == 0,
            "%s", braid_rt_kernel_last_error());
      double worst = 0;
      for (int64_t i = 0; i < rows * cols; ++i) {
        float got;
        std::memcpy(&got, whole.data() + i * 4, 4);
        worst = std::max(worst, std::fabs(double(got) - expected[i]));
      }
      CHECK(worst <= 1e-4, "the CUDA grouped matmul differs by %g", worst);
    }
    for (int64_t chunks = 2; chunks <= 4; ++chunks)
      for (int64_t tiles = 1; tiles <= 3; ++tiles)
        for (bool ring : {false, true}) {
          // Ring: rank 0 of 2 ranks (chunks 2 or 4: 1 0, 2 3 0 1) or of 3
          // (chunks 3: 2 1 0).
          int64_t size = chunks == 3 ? 3 : 2;
          std::vector<int64_t> order = ringOrder(0, size, chunks);
          cudaMemsetAsync(dChunked, 0xff, bytes, stream);
          GroupedRelease release{{}, dChunked, dSnapshots, bytes, stream};
          CHECK(braid_rt_cuda_grouped_matmul_chunked(
                    BRAID_RT_ELEM_F32, test.outType, rows, depth, cols, experts,
                    dLhs, dRhs, dSizes, test.sizesType, dChunked, chunks,
                    ring ? order.data() : nullptr, tiles, snapshotRelease,
                    &release, stream) == 0,
                "%s", braid_rt_kernel_last_error());
          cudaStreamSynchronize(stream);
          std::vector<char> chunked = toHost(dChunked, bytes);
          CHECK(chunked == whole,
                "chunked (%ld chunks, %ld tiles, %s) differs from one call",
                static_cast<long>(chunks), static_cast<long>(tiles),
                ring ? "ring" : "natural");
          size_t releases = static_cast<size_t>(chunks * tiles);
          CHECK(release.seen.size() == releases, "%zu releases, expected %zu",
                release.seen.size(), releases);
          if (release.seen.size() != releases)
            continue;
          std::vector<char> snapshots = toHost(dSnapshots, releases * bytes);
          // Which release wrote each row: the blocks cut as evenly as
          // possible, in order.
          int64_t chunkRows = rows / chunks;
          std::vector<size_t> releasedAt(rows);
          for (size_t i = 0; i < releases; ++i) {
            int64_t position = static_cast<int64_t>(i) / tiles;
            int64_t tile = static_cast<int64_t>(i) % tiles;
            CHECK(release.seen[i] == std::make_pair(position, tile),
                  "release %zu is (%ld, %ld)", i,
                  static_cast<long>(release.seen[i].first),
                  static_cast<long>(release.seen[i].second));
            int64_t chunk = ring ? order[position] : position;
            auto blockBegin = [&](int64_t index) {
              return chunk * chunkRows + index * (chunkRows / tiles) +
                     std::min(index, chunkRows % tiles);
            };
            for (int64_t row = blockBegin(tile); row < blockBegin(tile + 1);
                 ++row)
              releasedAt[row] = i;
          }
          std::vector<char> unwritten(rowBytes, static_cast<char>(0xff));
          int wrong = 0;
          for (size_t i = 0; i < releases; ++i)
            for (int64_t row = 0; row < rows; ++row) {
              const char *got = snapshots.data() + i * bytes + row * rowBytes;
              const char *want = releasedAt[row] <= i
                                     ? whole.data() + row * rowBytes
                                     : unwritten.data();
              wrong += std::memcmp(got, want, rowBytes) != 0;
            }
          CHECK(wrong == 0,
                "%d rows of the snapshots are not exactly the blocks "
                "released so far (%ld chunks, %ld tiles, %s)",
                wrong, static_cast<long>(chunks), static_cast<long>(tiles),
                ring ? "ring" : "natural");
        }
    cudaFree(dSizes);
    cudaFree(dLhs);
    cudaFree(dRhs);
    cudaFree(dWhole);
    cudaFree(dChunked);
    cudaFree(dSnapshots);
  }
  // The CPU twin's checks, before anything is enqueued: rows not a
  // multiple of chunks.
  const int64_t tenRows[1] = {10};
  CHECK(braid_rt_cuda_grouped_matmul_chunked(
            BRAID_RT_ELEM_F32, BRAID_RT_ELEM_F32, 10, 4, 4, 1, nullptr, nullptr,
            tenRows, BRAID_RT_ELEM_I64, nullptr, 4, nullptr, 1, nullptr,
            nullptr, stream) == BRAID_RT_KERNEL_INVALID_ARGUMENT &&
            std::strstr(braid_rt_kernel_last_error(),
                        "m = 10 is not a multiple of chunks = 4"),
        "rows 10 in 4 chunks: %s", braid_rt_kernel_last_error());
  cudaStreamDestroy(stream);
}

} // namespace

int main() {
  if (braid_rt::test::noCudaDevice())
    return braid_rt::test::kSkipped;
  tileTrigger();
  chunkTrigger();
  groupedTrigger();
  int failures = gpuTestFailures();
  std::printf("%s: %d failures\n", failures ? "FAIL" : "PASS", failures);
  return failures ? 1 : 0;
}
