//===- OrderingTest.cpp - producer -> communication -> consumer -----------===//
//
// The pattern of a fused producer and collective (DESIGN.md, "Producer
// fusion"): a compute stream fills chunks with random delays and raises a
// counter per chunk (epoch values), the communicator's stream waits for
// each chunk and reduces it, an event hands the result back. Run for
// several steps over one buffer and one counter: a missing or wrong wait
// shows up as a wrong sum.
//
//===----------------------------------------------------------------------===//

#include "Conformance.h"

#include <chrono>
#include <random>
#include <thread>

using namespace braid_rt;
using namespace braid_rt::test;

namespace {

class Ordering : public ::testing::TestWithParam<std::string> {
protected:
  Context &context() { return contextFor(GetParam()); }
};

} // namespace

TEST_P(Ordering, ChunkedProducerCounterCollectiveEvent) {
  Context &ctx = context();
  Device &device = ctx.device();
  Communicator &world = ctx.world();
  auto commStream = ctx.communicatorStream(world);
  ASSERT_TRUE(commStream.isOk());
  auto computeOr = device.createStream("compute", 0);
  auto counterOr = device.createCounter("chunks ready", 0);
  auto doneOr = device.createEvent(false);
  ASSERT_TRUE(computeOr.isOk() && counterOr.isOk() && doneOr.isOk());
  Stream &compute = *computeOr.value();
  Stream &comm = *commStream.value();
  Counter &ready = *counterOr.value();
  Event &done = *doneOr.value();

  constexpr int kSteps = 3, kChunks = 8;
  constexpr size_t kChunkElements = 513;
  constexpr size_t kBytes = kChunks * kChunkElements * sizeof(int64_t);
  // The producer's host tasks write pinned staging memory (host tasks may
  // not call CUDA); stream copies move it to and from the engine's device
  // buffer, which the collective reduces.
  DeviceBuffer data(device, kBytes);
  auto stagingOr = device.allocate(kBytes, 256, MemoryKind::PinnedHost);
  auto resultOr = device.allocate(kBytes, 256, MemoryKind::PinnedHost);
  ASSERT_TRUE(stagingOr.isOk() && resultOr.isOk());
  auto *staging = static_cast<int64_t *>(stagingOr.value());
  auto *result = static_cast<int64_t *>(resultOr.value());
  std::vector<int> violations(kSteps, 0);
  std::mt19937 generator(static_cast<unsigned>(ctx.rank()) * 31 + 5);
  int64_t size = ctx.size();
  int64_t rank = ctx.rank();

  for (int step = 0; step < kSteps; ++step) {
    for (int chunk = 0; chunk < kChunks; ++chunk) {
      int delay = static_cast<int>(generator() % 300);
      int64_t *hostChunk = staging + chunk * kChunkElements;
      int64_t *deviceChunk = data.as<int64_t>() + chunk * kChunkElements;
      // Rank r contributes (step + 1) * (r + 1) * (chunk + 1) per element.
      ASSERT_TRUE(compute
                      .enqueueHost([=]() -> Status {
                        std::this_thread::sleep_for(
                            std::chrono::microseconds(delay));
                        for (size_t i = 0; i < kChunkElements; ++i)
                          hostChunk[i] = int64_t(step + 1) * (rank + 1) *
                                         (chunk + 1);
                        return Status::ok();
                      })
                      .isOk());
      ASSERT_TRUE(compute
                      .copy(deviceChunk, hostChunk,
                            kChunkElements * sizeof(int64_t))
                      .isOk());
      uint64_t epochValue = uint64_t(step) * kChunks + chunk + 1;
      ASSERT_TRUE(compute.signal(ready, epochValue).isOk());
      ASSERT_TRUE(comm.wait(ready, epochValue).isOk());
      ASSERT_TRUE(world
                      .allReduce(deviceChunk, deviceChunk, kChunkElements,
                                 DType::I64, ReduceOp::Sum, comm)
                      .isOk());
    }
    ASSERT_TRUE(comm.record(done).isOk());
    // The next step's producer overwrites the buffer only after this
    // step's reductions; the check reads the reduced values.
    ASSERT_TRUE(compute.wait(done).isOk());
    ASSERT_TRUE(compute.copy(result, data.data(), kBytes).isOk());
    ASSERT_TRUE(compute
                    .enqueueHost([=, &violations]() -> Status {
                      for (int chunk = 0; chunk < kChunks; ++chunk)
                        for (size_t i = 0; i < kChunkElements; ++i)
                          if (result[chunk * kChunkElements + i] !=
                              int64_t(step + 1) * (chunk + 1) * size *
                                  (size + 1) / 2)
                            ++violations[step];
                      return Status::ok();
                    })
                    .isOk());
  }
  Status computeStatus = compute.synchronize();
  Status commStatus = comm.synchronize();
  EXPECT_TRUE(computeStatus.isOk()) << computeStatus.toString();
  EXPECT_TRUE(commStatus.isOk()) << commStatus.toString();
  for (int step = 0; step < kSteps; ++step)
    EXPECT_EQ(violations[step], 0) << "step " << step;
  device.deallocate(staging, MemoryKind::PinnedHost);
  device.deallocate(result, MemoryKind::PinnedHost);
}

INSTANTIATE_TEST_SUITE_P(Engines, Ordering,
                         ::testing::ValuesIn(engineNames()),
                         [](const ::testing::TestParamInfo<std::string> &info) {
                           return info.param;
                         });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(Ordering);
