//===- triggered-overlap.cpp - GEMM then reduce_scatter vs producer fusion ===//
//
//   mpirun -np 2 braid-bench-triggered [M N K] [iters]
//
// Each rank computes C = A·B (f32, OpenBLAS, [M, N]) and the ranks
// reduce-scatter C. Printed side by side, as the slowest rank's median over
// the iterations:
//   gemm              the GEMM alone
//   reduce_scatter    the collective alone
//   monolithic        the GEMM, then braid_rt_reduce_scatter
//   triggered c       braid_rt_cpu_gemm_chunked in ring order releasing a
//                     counter, braid_rt_reduce_scatter_triggered on the
//                     communicator's stream (c chunks in all, c / P per
//                     rank), for c = 2, 4, 8
// with each mode's speed-up over monolithic and the share of the hideable
// time (min(gemm, reduce_scatter)) it hid: (gemm + rs - t) / min(gemm, rs).
//
//===----------------------------------------------------------------------===//

#include "braid_rt/braid_rt.h"
#include "braid_rt/kernels.h"

#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

void check(braid_rt_status status, const char *what) {
  if (status != BRAID_RT_OK) {
    std::fprintf(stderr, "braid-bench-triggered: %s: %s\n", what,
                 braid_rt_last_error());
    std::exit(1);
  }
}

struct Gemm {
  braid_rt_gemm_desc desc;
  const float *a, *b;
  float *c;
  int64_t chunks = 1;
  std::vector<int64_t> order;
  braid_rt_trigger trigger{};
};

int runWhole(void *user) {
  auto *g = static_cast<Gemm *>(user);
  return braid_rt_cpu_gemm(&g->desc, g->a, g->b, g->c, BRAID_RT_GEMM_BLAS,
                           nullptr, 0);
}

int release(void *user, int64_t position, int64_t tile) {
  auto *g = static_cast<Gemm *>(user);
  return braid_rt_trigger_release(&g->trigger, g->chunks, position, tile);
}

int runChunked(void *user) {
  auto *g = static_cast<Gemm *>(user);
  return braid_rt_cpu_gemm_chunked(&g->desc, g->a, g->b, g->c,
                                   BRAID_RT_GEMM_BLAS, nullptr, 0,
                                   BRAID_RT_GEMM_CUT_M, g->chunks,
                                   g->order.data(), 1, release, g);
}

} // namespace

int main(int argc, char **argv) {
  braid_rt_context *context = nullptr;
  check(braid_rt_init_mpi(&argc, &argv, &context), "init");
  int64_t m = argc > 3 ? std::atoll(argv[1]) : 2048;
  int64_t n = argc > 3 ? std::atoll(argv[2]) : 1024;
  int64_t k = argc > 3 ? std::atoll(argv[3]) : 512;
  int iters = argc > 4 ? std::atoi(argv[4]) : argc == 2 ? std::atoi(argv[1])
                                                        : 10;
  braid_rt_comm *world = nullptr;
  check(braid_rt_world(context, &world), "world");
  int rank = 0, size = 1;
  braid_rt_comm_rank(world, &rank);
  braid_rt_comm_size(world, &size);
  braid_rt_stream *comm = nullptr, *compute = nullptr;
  check(braid_rt_comm_stream(world, &comm), "comm stream");
  check(braid_rt_stream_create(context, "compute", 0, &compute), "stream");
  braid_rt_counter *counter = nullptr;
  check(braid_rt_counter_create(context, "released", 0, &counter), "counter");

  std::vector<float> a(m * k), b(k * n), c(m * n), out(m * n / size);
  for (size_t i = 0; i < a.size(); ++i)
    a[i] = static_cast<float>((i * 7 + rank) % 13) / 13.0f - 0.5f;
  for (size_t i = 0; i < b.size(); ++i)
    b[i] = static_cast<float>((i * 5) % 11) / 11.0f - 0.5f;
  Gemm gemm{braid_rt_gemm_desc_dense(1, m, n, k, BRAID_RT_ELEM_F32,
                                     BRAID_RT_ELEM_F32, BRAID_RT_ELEM_F32, 0),
            a.data(), b.data(), c.data(), 1, {}, {}};
  size_t recvCount = static_cast<size_t>(m * n / size);
  uint64_t epoch = 0;

  // One measured run of `body`: barrier, body, the slowest rank's time.
  auto measure = [&](const std::function<void()> &body) {
    std::vector<double> times;
    for (int i = 0; i < iters + 2; ++i) {
      MPI_Barrier(MPI_COMM_WORLD);
      auto start = Clock::now();
      body();
      double mine =
          std::chrono::duration<double, std::milli>(Clock::now() - start)
              .count();
      double slowest = 0;
      MPI_Allreduce(&mine, &slowest, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
      if (i >= 2)
        times.push_back(slowest);
    }
    std::sort(times.begin(), times.end());
    return times[times.size() / 2];
  };
  double gemmMs = measure([&] {
    check(braid_rt_stream_launch_host(compute, runWhole, &gemm), "gemm");
    check(braid_rt_stream_synchronize(compute), "gemm");
  });
  double rsMs = measure([&] {
    check(braid_rt_reduce_scatter(world, c.data(), out.data(), recvCount,
                                  BRAID_RT_F32, BRAID_RT_SUM, comm),
          "reduce_scatter");
    check(braid_rt_stream_synchronize(comm), "reduce_scatter");
  });
  double monolithicMs = measure([&] {
    check(braid_rt_stream_launch_host(compute, runWhole, &gemm), "gemm");
    check(braid_rt_stream_synchronize(compute), "gemm");
    check(braid_rt_reduce_scatter(world, c.data(), out.data(), recvCount,
                                  BRAID_RT_F32, BRAID_RT_SUM, comm),
          "reduce_scatter");
    check(braid_rt_stream_synchronize(comm), "reduce_scatter");
  });
  double hideable = std::min(gemmMs, rsMs);
  auto hidden = [&](double ms) {
    return hideable > 0 ? (gemmMs + rsMs - ms) / hideable : 0.0;
  };
  if (rank == 0) {
    std::printf("# %d ranks, GEMM %ldx%ldx%ld f32 (%.1f MB of C), "
                "reduce_scatter of C; medians of %d (slowest rank)\n",
                size, static_cast<long>(m), static_cast<long>(n),
                static_cast<long>(k), m * n * 4 / 1e6, iters);
    std::printf("%-16s %6s %10s %14s %8s\n", "mode", "chunks", "time_ms",
                "vs_monolithic", "hidden");
    std::printf("%-16s %6s %10.2f %14s %8s\n", "gemm", "-", gemmMs, "-", "-");
    std::printf("%-16s %6s %10.2f %14s %8s\n", "reduce_scatter", "-", rsMs,
                "-", "-");
    std::printf("%-16s %6d %10.2f %14.3f %8.2f\n", "monolithic", 1,
                monolithicMs, 1.0, hidden(monolithicMs));
  }
  for (int64_t chunks : {2, 4, 8}) {
    if (chunks % size != 0 || m % chunks != 0)
      continue;
    gemm.chunks = chunks;
    gemm.order.resize(chunks);
    for (int64_t i = 0; i < chunks; ++i)
      gemm.order[i] = braid_rt_chunk_at(BRAID_RT_CHUNK_ORDER_RING, rank, size,
                                        chunks, i);
    double ms = measure([&] {
      gemm.trigger = braid_rt_trigger{counter, epoch++, 1};
      check(braid_rt_reduce_scatter_triggered(
                world, c.data(), out.data(), recvCount, BRAID_RT_F32,
                BRAID_RT_SUM, &gemm.trigger,
                static_cast<size_t>(chunks / size), comm),
            "reduce_scatter_triggered");
      check(braid_rt_stream_launch_host(compute, runChunked, &gemm),
            "chunked gemm");
      check(braid_rt_stream_synchronize(compute), "chunked gemm");
      check(braid_rt_stream_synchronize(comm), "reduce_scatter_triggered");
    });
    if (rank == 0)
      std::printf("%-16s %6ld %10.2f %14.3f %8.2f\n", "triggered",
                  static_cast<long>(chunks), ms, monolithicMs / ms,
                  hidden(ms));
  }
  braid_rt_counter_destroy(counter);
  braid_rt_stream_destroy(compute);
  braid_rt_context_destroy(context);
  return 0;
}
