//===- RuntimeBench.cpp - collectives, stream latency, worker CPU time ----===//
//
//   mpirun -np N braid_rt_bench collectives [max_bytes]
//   braid_rt_bench latency            (one process)
//   mpirun -np 2 braid_rt_bench worker-cpu
//   mpirun -np 2 braid_rt_bench pingpong [max_bytes]
//
// collectives: nccl-tests' algbw/busbw for the MPI engine's operations on
//   f32, next to the same operation through MPI's own collective on the
//   same buffers (ratio in one run). Time per operation is the slowest
//   rank's mean over the iterations.
// latency: how long from a point in one stream's work to a waiting
//   stream's next task: event record -> wait -> run, counter signal ->
//   wait -> run, and a single stream's enqueue -> run.
// worker-cpu: CPU time of the communication stream's thread while it waits
//   for a late peer (pure polling), while its 64 MiB message waits for a
//   late receiver, and while it moves a 64 MiB all_reduce, against the wall
//   time of each.
// pingpong: a link's latency and bandwidth between two ranks: half the
//   round trip of a message sent to the peer and back, through the runtime's
//   send_recv and through MPI_Send/MPI_Recv; bandwidth is bytes over that
//   one-way time.
//
//===----------------------------------------------------------------------===//

#include "braid_rt/Context.h"
#include "braid_rt/CpuDevice.h"

#include <mpi.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <time.h>
#include <vector>

using namespace braid_rt;
using Clock = std::chrono::steady_clock;

namespace {

void check(const Status &status, const char *what) {
  if (!status.isOk()) {
    std::fprintf(stderr, "braid_rt_bench: %s: %s\n", what,
                 status.toString().c_str());
    std::exit(1);
  }
}

double seconds(Clock::duration duration) {
  return std::chrono::duration<double>(duration).count();
}

double threadCpuSeconds() {
  timespec now;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return now.tv_sec + now.tv_nsec * 1e-9;
}

struct Op {
  const char *name;
  double busFactor; // nccl-tests: busbw = algbw * factor
  // Enqueues the runtime's operation; bytes is nccl-tests' size.
  std::function<Status(Communicator &, Stream &, float *, float *, size_t)>
      runtime;
  std::function<int(float *, float *, size_t, MPI_Comm)> native;
};

int runCollectives(Context &ctx, size_t maxBytes) {
  Communicator &world = ctx.world();
  Stream &stream = *ctx.communicatorStream(world).value();
  int ranks = world.size();
  double n = ranks;
  std::vector<Op> ops = {
      {"all_reduce", 2 * (n - 1) / n,
       [](Communicator &c, Stream &s, float *in, float *out, size_t count) {
         return c.allReduce(in, out, count, DType::F32, ReduceOp::Sum, s);
       },
       [](float *in, float *out, size_t count, MPI_Comm comm) {
         return MPI_Allreduce(in, out, static_cast<int>(count), MPI_FLOAT,
                              MPI_SUM, comm);
       }},
      {"all_gather", (n - 1) / n,
       [ranks](Communicator &c, Stream &s, float *in, float *out,
               size_t count) {
         return c.allGather(in, out, count / ranks, DType::F32, s);
       },
       [ranks](float *in, float *out, size_t count, MPI_Comm comm) {
         int block = static_cast<int>(count / ranks);
         return MPI_Allgather(in, block, MPI_FLOAT, out, block, MPI_FLOAT,
                              comm);
       }},
      {"reduce_scatter", (n - 1) / n,
       [ranks](Communicator &c, Stream &s, float *in, float *out,
               size_t count) {
         return c.reduceScatter(in, out, count / ranks, DType::F32,
                                ReduceOp::Sum, s);
       },
       [ranks](float *in, float *out, size_t count, MPI_Comm comm) {
         return MPI_Reduce_scatter_block(in, out,
                                         static_cast<int>(count / ranks),
                                         MPI_FLOAT, MPI_SUM, comm);
       }},
      {"all_to_all", (n - 1) / n,
       [ranks](Communicator &c, Stream &s, float *in, float *out,
               size_t count) {
         return c.allToAll(in, out, count / ranks, DType::F32, s);
       },
       [ranks](float *in, float *out, size_t count, MPI_Comm comm) {
         int block = static_cast<int>(count / ranks);
         return MPI_Alltoall(in, block, MPI_FLOAT, out, block, MPI_FLOAT,
                             comm);
       }},
      {"broadcast", 1.0,
       [](Communicator &c, Stream &s, float *in, float *out, size_t count) {
         return c.broadcast(in, out, count, DType::F32, 0, s);
       },
       [](float *in, float *out, size_t count, MPI_Comm comm) {
         std::memcpy(out, in, count * sizeof(float));
         return MPI_Bcast(out, static_cast<int>(count), MPI_FLOAT, 0, comm);
       }},
  };
  size_t maxCount = maxBytes / sizeof(float);
  std::vector<float> in(maxCount, 1.0f), out(maxCount, 0.0f);
  MPI_Comm native;
  MPI_Comm_dup(MPI_COMM_WORLD, &native);
  if (world.rank() == 0)
    std::printf("%-15s %12s %6s %11s %11s %11s %12s %11s\n", "op", "bytes",
                "iters", "time_us", "algbw_GB/s", "busbw_GB/s",
                "mpi_time_us", "mpi_busbw");
  for (const Op &op : ops) {
    for (size_t bytes = 8 * ranks; bytes <= maxBytes; bytes *= 4) {
      size_t count = bytes / sizeof(float);
      count -= count % ranks; // whole blocks per rank
      if (count == 0)
        continue;
      size_t realBytes = count * sizeof(float);
      int iters = static_cast<int>(
          std::clamp<size_t>((size_t(256) << 20) / (realBytes * ranks), 5, 200));
      auto timeIt = [&](auto &&once) {
        for (int i = 0; i < 2; ++i) // warm-up
          once();
        MPI_Barrier(native);
        auto start = Clock::now();
        for (int i = 0; i < iters; ++i)
          once();
        double mine = seconds(Clock::now() - start) / iters, slowest = 0;
        MPI_Allreduce(&mine, &slowest, 1, MPI_DOUBLE, MPI_MAX, native);
        return slowest;
      };
      double ours = timeIt([&] {
        check(op.runtime(world, stream, in.data(), out.data(), count),
              op.name);
        check(stream.synchronize(), op.name);
      });
      double theirs = timeIt([&] {
        if (op.native(in.data(), out.data(), count, native) != MPI_SUCCESS) {
          std::fprintf(stderr, "MPI %s failed\n", op.name);
          std::exit(1);
        }
      });
      if (world.rank() == 0) {
        double algbw = realBytes / ours / 1e9;
        std::printf("%-15s %12zu %6d %11.1f %11.3f %11.3f %12.1f %11.3f\n",
                    op.name, realBytes, iters, ours * 1e6, algbw,
                    algbw * op.busFactor, theirs * 1e6,
                    realBytes / theirs / 1e9 * op.busFactor);
        std::fflush(stdout);
      }
    }
  }
  MPI_Comm_free(&native);
  return 0;
}

/// Median and 99th percentile in microseconds.
void printLatency(const char *what, std::vector<double> samples) {
  std::sort(samples.begin(), samples.end());
  std::printf("%-40s median %8.2f us   p99 %8.2f us   (%zu samples)\n", what,
              samples[samples.size() / 2] * 1e6,
              samples[samples.size() * 99 / 100] * 1e6, samples.size());
}

int runLatency() {
  Device &device = cpuDevice();
  auto producer = std::move(device.createStream("producer", 0).value());
  auto consumer = std::move(device.createStream("consumer", 0).value());
  auto event = std::move(device.createEvent(false).value());
  auto counter = std::move(device.createCounter("c", 0).value());
  constexpr int kSamples = 20000;
  std::vector<Clock::time_point> marks(kSamples), seen(kSamples);

  auto measure = [&](const char *what, auto &&link) {
    for (int i = 0; i < kSamples; ++i) {
      // Hold the producer until the consumer is already waiting, so the
      // time measured is the hand-over, not queueing.
      std::atomic<bool> go{false};
      check(producer->enqueueHost([&go] {
        while (!go.load())
          std::this_thread::yield();
        return Status::ok();
      }),
            "enqueue");
      check(producer->enqueueHost([&marks, i] {
        marks[i] = Clock::now();
        return Status::ok();
      }),
            "enqueue");
      link(i);
      check(consumer->enqueueHost([&seen, i] {
        seen[i] = Clock::now();
        return Status::ok();
      }),
            "enqueue");
      std::this_thread::sleep_for(std::chrono::microseconds(20));
      go = true;
      check(consumer->synchronize(), "synchronize");
    }
    check(producer->synchronize(), "synchronize");
    std::vector<double> samples;
    for (int i = 0; i < kSamples; ++i)
      samples.push_back(seconds(seen[i] - marks[i]));
    printLatency(what, samples);
  };
  measure("event record -> wait -> run", [&](int) {
    check(producer->record(*event), "record");
    check(consumer->wait(*event), "wait");
  });
  measure("counter signal -> wait -> run", [&](int i) {
    check(producer->signal(*counter, i + 1), "signal");
    check(consumer->wait(*counter, i + 1), "wait");
  });

  // One stream, idle: from enqueue to the task running.
  std::vector<double> samples;
  for (int i = 0; i < kSamples; ++i) {
    Clock::time_point ran;
    auto start = Clock::now();
    check(consumer->enqueueHost([&ran] {
      ran = Clock::now();
      return Status::ok();
    }),
          "enqueue");
    check(consumer->synchronize(), "synchronize");
    samples.push_back(seconds(ran - start));
    std::this_thread::sleep_for(std::chrono::microseconds(20));
  }
  printLatency("enqueue -> run (idle stream)", samples);
  return 0;
}

int runWorkerCpu(Context &ctx) {
  Communicator &world = ctx.world();
  Stream &stream = *ctx.communicatorStream(world).value();
  size_t count = (size_t(64) << 20) / sizeof(float); // 64 MiB
  std::vector<float> data(count, 1.0f);
  double cpuStart = 0, cpuEnd = 0;
  auto markStart = [&] {
    return stream.enqueueHost([&] {
      cpuStart = threadCpuSeconds();
      return Status::ok();
    });
  };
  auto markEnd = [&] {
    return stream.enqueueHost([&] {
      cpuEnd = threadCpuSeconds();
      return Status::ok();
    });
  };
  // Warm-up (page faults, connections).
  check(world.allReduce(data.data(), data.data(), count, DType::F32,
                        ReduceOp::Sum, stream),
        "all_reduce");
  check(stream.synchronize(), "synchronize");

  // 1. The peer arrives 500 ms late: the worker only polls.
  MPI_Barrier(MPI_COMM_WORLD);
  auto start = Clock::now();
  check(markStart(), "mark");
  if (world.rank() == 1)
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  check(world.allReduce(data.data(), data.data(), 1024, DType::F32,
                        ReduceOp::Sum, stream),
        "all_reduce");
  check(markEnd(), "mark");
  check(stream.synchronize(), "synchronize");
  double wall = seconds(Clock::now() - start);
  if (world.rank() == 0)
    std::printf("waiting 500 ms for a late peer:  worker CPU %7.2f ms over "
                "%7.1f ms wall (%.2f%% of a core)\n",
                (cpuEnd - cpuStart) * 1e3, wall * 1e3,
                100 * (cpuEnd - cpuStart) / wall);

  // 2. A 64 MiB message in flight from rank 0, whose receiver posts it
  //    200 ms late; over shared memory the receiver does the copy, so the
  //    sender's worker only polls.
  for (int round = 0; round < 2; ++round) {
    MPI_Barrier(MPI_COMM_WORLD);
    start = Clock::now();
    check(markStart(), "mark");
    bool sender = world.rank() == 0;
    if (!sender)
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    check(world.sendRecv({{sender ? PeerTransfer::Kind::Send
                                  : PeerTransfer::Kind::Recv,
                           1 - world.rank(), data.data(), count, DType::F32}},
                         stream),
          "send_recv");
    check(markEnd(), "mark");
    check(stream.synchronize(), "synchronize");
    wall = seconds(Clock::now() - start);
    double cpu[2] = {cpuEnd - cpuStart, wall}, all[4];
    MPI_Gather(cpu, 2, MPI_DOUBLE, all, 2, MPI_DOUBLE, 0, MPI_COMM_WORLD);
    if (world.rank() == 0)
      std::printf("64 MiB send, receiver 200 ms late: sender worker CPU "
                  "%6.2f ms over %6.1f ms (%.1f%% of a core); receiver "
                  "(copies) %6.2f ms over %6.1f ms\n",
                  all[0] * 1e3, all[1] * 1e3, 100 * all[0] / all[1],
                  all[2] * 1e3, all[3] * 1e3);
  }

  // 3. A 64 MiB all_reduce in flight, both ranks present.
  for (int round = 0; round < 3; ++round) {
    MPI_Barrier(MPI_COMM_WORLD);
    start = Clock::now();
    check(markStart(), "mark");
    check(world.allReduce(data.data(), data.data(), count, DType::F32,
                          ReduceOp::Sum, stream),
          "all_reduce");
    check(markEnd(), "mark");
    check(stream.synchronize(), "synchronize");
    wall = seconds(Clock::now() - start);
    double cpu = cpuEnd - cpuStart, maxCpu = 0, maxWall = 0;
    MPI_Reduce(&cpu, &maxCpu, 1, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
    MPI_Reduce(&wall, &maxWall, 1, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
    if (world.rank() == 0)
      std::printf("64 MiB all_reduce in flight:      worker CPU %7.2f ms over "
                  "%7.1f ms wall (%.0f%% of a core; copying and summing "
                  "included)\n",
                  maxCpu * 1e3, maxWall * 1e3, 100 * maxCpu / maxWall);
  }
  return 0;
}

int runPingPong(Context &ctx, size_t maxBytes) {
  Communicator &world = ctx.world();
  Stream &stream = *ctx.communicatorStream(world).value();
  int rank = world.rank(), peer = 1 - rank;
  std::vector<int8_t> buffer(std::max<size_t>(maxBytes, 1), 1);
  if (rank == 0)
    std::printf("%12s %6s %13s %10s %15s %10s\n", "bytes", "iters",
                "one_way_us", "MB/s", "mpi_one_way_us", "mpi_MB/s");
  for (size_t bytes = 1; bytes <= maxBytes; bytes *= 4) {
    int iters = static_cast<int>(
        std::clamp<size_t>((size_t(64) << 20) / bytes, 5, 1000));
    // Rank 0 sends and waits for the echo, rank 1 echoes; two untimed
    // round trips first (connections, page faults). Returns half the
    // round trip.
    auto oneWay = [&](auto &&send, auto &&recv) {
      Clock::time_point start;
      for (int i = -2; i < iters; ++i) {
        if (i == 0) {
          MPI_Barrier(MPI_COMM_WORLD);
          start = Clock::now();
        }
        if (rank == 0) {
          send();
          recv();
        } else {
          recv();
          send();
        }
      }
      return seconds(Clock::now() - start) / iters / 2;
    };
    auto runtimeTransfer = [&](PeerTransfer::Kind kind) {
      check(world.sendRecv({{kind, peer, buffer.data(), bytes, DType::I8}},
                           stream),
            "send_recv");
      check(stream.synchronize(), "send_recv");
    };
    double ours = oneWay([&] { runtimeTransfer(PeerTransfer::Kind::Send); },
                         [&] { runtimeTransfer(PeerTransfer::Kind::Recv); });
    int count = static_cast<int>(bytes);
    double theirs = oneWay(
        [&] {
          MPI_Send(buffer.data(), count, MPI_BYTE, peer, 0, MPI_COMM_WORLD);
        },
        [&] {
          MPI_Recv(buffer.data(), count, MPI_BYTE, peer, 0, MPI_COMM_WORLD,
                   MPI_STATUS_IGNORE);
        });
    if (rank == 0) {
      std::printf("%12zu %6d %13.1f %10.2f %15.1f %10.2f\n", bytes, iters,
                  ours * 1e6, bytes / ours / 1e6, theirs * 1e6,
                  bytes / theirs / 1e6);
      std::fflush(stdout);
    }
  }
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  if (argc < 2) {
    std::fprintf(stderr,
                 "usage: %s collectives [max_bytes] | latency | worker-cpu | "
                 "pingpong [max_bytes]\n",
                 argv[0]);
    return 2;
  }
  std::string mode = argv[1];
  if (mode == "latency")
    return runLatency();
  auto context = initMpiContext(&argc, &argv);
  check(context.status(), "init");
  if (mode == "collectives")
    return runCollectives(*context.value(),
                          argc > 2 ? std::strtoull(argv[2], nullptr, 10)
                                   : size_t(64) << 20);
  if (mode == "pingpong") {
    if (context.value()->size() != 2) {
      std::fprintf(stderr, "pingpong runs on 2 ranks\n");
      return 2;
    }
    return runPingPong(*context.value(),
                       argc > 2 ? std::strtoull(argv[2], nullptr, 10)
                                : size_t(16) << 20);
  }
  if (mode == "worker-cpu") {
    if (context.value()->size() != 2) {
      std::fprintf(stderr, "worker-cpu runs on 2 ranks\n");
      return 2;
    }
    return runWorkerCpu(*context.value());
  }
  std::fprintf(stderr, "unknown mode '%s'\n", mode.c_str());
  return 2;
}
