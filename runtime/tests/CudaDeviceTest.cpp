//===- CudaDeviceTest.cpp - streams, events, counters on a GPU ------------===//
//
// Runs on a machine with a GPU; elsewhere checks that asking for one is an
// error a user understands.
//
//===----------------------------------------------------------------------===//

#include "braid_rt/Arena.h"
#include "braid_rt/CpuDevice.h"
#include "braid_rt/CudaDevice.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

using namespace braid_rt;

namespace {

int gpuCount() {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess)
    return 0;
  return count;
}

#define REQUIRE_GPU()                                                          \
  do {                                                                         \
    if (gpuCount() == 0)                                                       \
      GTEST_SKIP() << "no CUDA device";                                        \
  } while (0)

} // namespace

TEST(CudaDevice, MissingDeviceIsUnavailable) {
  auto device = CudaDevice::open(gpuCount());
  ASSERT_FALSE(device.isOk());
  EXPECT_EQ(device.status().code(), StatusCode::kUnavailable)
      << device.status().toString();
}

TEST(CudaDevice, CopiesEventsAndElapsedTime) {
  REQUIRE_GPU();
  auto device = CudaDevice::open(0);
  ASSERT_TRUE(device.isOk()) << device.status().toString();
  auto stream = device.value()->createStream("s", 0);
  auto start = device.value()->createEvent(true);
  auto end = device.value()->createEvent(true);
  ASSERT_TRUE(stream.isOk() && start.isOk() && end.isOk());
  auto memory = device.value()->allocate(1 << 20, 256, MemoryKind::Device);
  ASSERT_TRUE(memory.isOk());
  std::vector<char> in(1 << 20), out(1 << 20, 0);
  for (size_t i = 0; i < in.size(); ++i)
    in[i] = static_cast<char>(i * 7);
  ASSERT_TRUE(stream.value()->record(*start.value()).isOk());
  ASSERT_TRUE(stream.value()->copy(memory.value(), in.data(), in.size()).isOk());
  ASSERT_TRUE(
      stream.value()->copy(out.data(), memory.value(), out.size()).isOk());
  ASSERT_TRUE(stream.value()->record(*end.value()).isOk());
  ASSERT_TRUE(end.value()->synchronize().isOk());
  EXPECT_EQ(in, out);
  auto ms = end.value()->elapsedMsSince(*start.value());
  ASSERT_TRUE(ms.isOk()) << ms.status().toString();
  EXPECT_GE(ms.value(), 0.0);
  device.value()->deallocate(memory.value(), MemoryKind::Device);
}

TEST(CudaDevice, CounterOrdersTwoStreams) {
  REQUIRE_GPU();
  auto device = CudaDevice::open(0);
  ASSERT_TRUE(device.isOk());
  auto producer = device.value()->createStream("producer", 0);
  auto consumer = device.value()->createStream("consumer", 0);
  auto counter = device.value()->createCounter("ready", 0);
  ASSERT_TRUE(producer.isOk() && consumer.isOk() && counter.isOk())
      << counter.status().toString();
  auto memory = device.value()->allocate(4096, 256, MemoryKind::Device);
  ASSERT_TRUE(memory.isOk());
  std::vector<int> first(1024, 1), second(1024, 2), seen(1024, 0);
  for (uint64_t epoch = 1; epoch <= 2; ++epoch) {
    std::vector<int> &source = epoch == 1 ? first : second;
    // The producer is held back by a host task; the consumer must wait.
    ASSERT_TRUE(producer.value()
                    ->enqueueHost([] {
                      std::this_thread::sleep_for(
                          std::chrono::milliseconds(50));
                      return Status::ok();
                    })
                    .isOk());
    ASSERT_TRUE(
        producer.value()->copy(memory.value(), source.data(), 4096).isOk());
    ASSERT_TRUE(producer.value()->signal(*counter.value(), epoch).isOk());
    ASSERT_TRUE(consumer.value()->wait(*counter.value(), epoch).isOk());
    ASSERT_TRUE(
        consumer.value()->copy(seen.data(), memory.value(), 4096).isOk());
    ASSERT_TRUE(consumer.value()->synchronize().isOk());
    EXPECT_EQ(seen, source) << "epoch " << epoch;
  }
  auto value = counter.value()->value();
  ASSERT_TRUE(value.isOk());
  EXPECT_EQ(value.value(), 2u);
  EXPECT_FALSE(counter.value()->hostSignal(1).isOk()); // backwards
  EXPECT_TRUE(counter.value()->hostSignal(3).isOk());
  EXPECT_TRUE(counter.value()->hostWait(3, 1.0).isOk());
  EXPECT_EQ(counter.value()->hostWait(4, 0.05).code(), StatusCode::kTimeout);
  ASSERT_TRUE(producer.value()->synchronize().isOk());
  device.value()->deallocate(memory.value(), MemoryKind::Device);
}

TEST(CudaDevice, DeviceArenaHonoursLargeAlignment) {
  REQUIRE_GPU();
  auto device = CudaDevice::open(0);
  ASSERT_TRUE(device.isOk());
  auto arena =
      Arena::create(*device.value(), 1 << 20, 1 << 16, MemoryKind::Device);
  ASSERT_TRUE(arena.isOk()) << arena.status().toString();
  EXPECT_EQ(reinterpret_cast<uintptr_t>(arena.value()->base()) % (1 << 16),
            0u);
}

TEST(CudaDevice, PinnedHostMemoryIsPageLockedOnBothDevices) {
  REQUIRE_GPU();
  auto device = CudaDevice::open(0);
  ASSERT_TRUE(device.isOk());
  auto stream = device.value()->createStream("staging", 0);
  auto memory = device.value()->allocate(1 << 20, 256, MemoryKind::Device);
  ASSERT_TRUE(stream.isOk() && memory.isOk());
  // The CPU device's too: the MPI engine's staging beside a GPU.
  for (Device *owner : {static_cast<Device *>(device.value().get()),
                        &cpuDevice()}) {
    auto staging = Arena::create(*owner, 1 << 20, 4096, MemoryKind::PinnedHost);
    auto pageable = Arena::create(*owner, 4096, 64, MemoryKind::Host);
    ASSERT_TRUE(staging.isOk()) << staging.status().toString();
    ASSERT_TRUE(pageable.isOk());
    cudaPointerAttributes attributes;
    ASSERT_EQ(cudaPointerGetAttributes(&attributes, staging.value()->base()),
              cudaSuccess);
    EXPECT_EQ(attributes.type, cudaMemoryTypeHost)
        << deviceKindName(owner->kind()) << " device";
    ASSERT_EQ(cudaPointerGetAttributes(&attributes, pageable.value()->base()),
              cudaSuccess);
    EXPECT_EQ(attributes.type, cudaMemoryTypeUnregistered);
    // Staged through it by stream copies, both ways.
    auto *bytes = static_cast<unsigned char *>(staging.value()->base());
    for (size_t i = 0; i < (1 << 20); ++i)
      bytes[i] = static_cast<unsigned char>(i * 13 + 1);
    std::vector<unsigned char> expected(bytes, bytes + (1 << 20));
    ASSERT_TRUE(
        stream.value()->copy(memory.value(), bytes, 1 << 20).isOk());
    ASSERT_TRUE(stream.value()->synchronize().isOk());
    std::memset(bytes, 0, 1 << 20);
    ASSERT_TRUE(
        stream.value()->copy(bytes, memory.value(), 1 << 20).isOk());
    ASSERT_TRUE(stream.value()->synchronize().isOk());
    EXPECT_TRUE(std::equal(expected.begin(), expected.end(), bytes));
  }
  device.value()->deallocate(memory.value(), MemoryKind::Device);
}
