//===- StreamTest.cpp - CUDA stream semantics on CPU threads --------------===//
//
// Ordering under random delays: whatever a producer's timing, a consumer
// that waits on an event or a counter sees everything the producer did
// before the record or signal.
//
//===----------------------------------------------------------------------===//

#include "braid_rt/CpuDevice.h"
#include "braid_rt/Watchdog.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <random>
#include <thread>
#include <vector>

using namespace braid_rt;

namespace {

std::unique_ptr<Stream> makeStream(const std::string &name) {
  auto stream = cpuDevice().createStream(name, 0);
  EXPECT_TRUE(stream.isOk());
  return std::move(stream.value());
}

std::unique_ptr<Event> makeEvent(bool timing = false) {
  auto event = cpuDevice().createEvent(timing);
  EXPECT_TRUE(event.isOk());
  return std::move(event.value());
}

void sleepMicros(int micros) {
  std::this_thread::sleep_for(std::chrono::microseconds(micros));
}

/// Sets the watchdog to `seconds` for one test and back afterwards.
class ScopedTimeout {
public:
  explicit ScopedTimeout(double seconds)
      : saved_(Watchdog::instance().timeoutSeconds()),
        savedAbort_(Watchdog::instance().abortsOnTimeout()) {
    Watchdog::instance().setTimeoutSeconds(seconds);
    Watchdog::instance().setAbortOnTimeout(false);
  }
  ~ScopedTimeout() {
    Watchdog::instance().setTimeoutSeconds(saved_);
    Watchdog::instance().setAbortOnTimeout(savedAbort_);
  }

private:
  double saved_;
  bool savedAbort_;
};

} // namespace

TEST(Stream, RunsInEnqueueOrder) {
  auto stream = makeStream("order");
  std::vector<int> seen;
  std::mt19937 generator(1);
  for (int i = 0; i < 200; ++i) {
    int delay = generator() % 50;
    ASSERT_TRUE(stream
                    ->enqueueHost([&seen, i, delay] {
                      sleepMicros(delay);
                      seen.push_back(i);
                      return Status::ok();
                    })
                    .isOk());
  }
  ASSERT_TRUE(stream->synchronize().isOk());
  ASSERT_EQ(seen.size(), 200u);
  for (int i = 0; i < 200; ++i)
    EXPECT_EQ(seen[i], i);
  auto idle = stream->query();
  EXPECT_TRUE(idle.isOk() && idle.value());
}

TEST(Stream, EnqueueReturnsBeforeTheWorkRuns) {
  auto stream = makeStream("async");
  std::atomic<bool> release{false}, ran{false};
  ASSERT_TRUE(stream
                  ->enqueueHost([&] {
                    while (!release.load())
                      sleepMicros(100);
                    ran = true;
                    return Status::ok();
                  })
                  .isOk());
  auto idle = stream->query();
  EXPECT_TRUE(idle.isOk() && !idle.value());
  EXPECT_FALSE(ran.load());
  release = true;
  EXPECT_TRUE(stream->synchronize().isOk());
  EXPECT_TRUE(ran.load());
}

TEST(Stream, EventOrdersTwoStreamsUnderRandomDelays) {
  auto producer = makeStream("producer");
  auto consumer = makeStream("consumer");
  auto event = makeEvent();
  std::mt19937 generator(2);
  constexpr int kSteps = 300;
  std::vector<int> data(kSteps, -1);
  std::atomic<int> violations{0};
  for (int step = 0; step < kSteps; ++step) {
    int produceDelay = generator() % 40, consumeDelay = generator() % 40;
    ASSERT_TRUE(producer
                    ->enqueueHost([&, step, produceDelay] {
                      sleepMicros(produceDelay);
                      data[step] = step;
                      return Status::ok();
                    })
                    .isOk());
    // Re-recording one event: each wait binds to the record before it.
    ASSERT_TRUE(producer->record(*event).isOk());
    ASSERT_TRUE(consumer->wait(*event).isOk());
    ASSERT_TRUE(consumer
                    ->enqueueHost([&, step, consumeDelay] {
                      if (data[step] != step)
                        ++violations;
                      sleepMicros(consumeDelay);
                      return Status::ok();
                    })
                    .isOk());
  }
  EXPECT_TRUE(consumer->synchronize().isOk());
  EXPECT_TRUE(producer->synchronize().isOk());
  EXPECT_EQ(violations.load(), 0);
}

TEST(Stream, WaitBindsToTheRecordAtTheTimeOfTheCall) {
  auto producer = makeStream("producer");
  auto consumer = makeStream("consumer");
  auto event = makeEvent();
  std::atomic<bool> release{false};
  // Record #1 completes at once; the wait binds to it, so the consumer
  // runs although record #2 (enqueued after the wait) is blocked.
  ASSERT_TRUE(producer->record(*event).isOk());
  ASSERT_TRUE(producer->synchronize().isOk());
  ASSERT_TRUE(consumer->wait(*event).isOk());
  ASSERT_TRUE(producer
                  ->enqueueHost([&] {
                    while (!release.load())
                      sleepMicros(100);
                    return Status::ok();
                  })
                  .isOk());
  ASSERT_TRUE(producer->record(*event).isOk());
  EXPECT_TRUE(consumer->synchronize().isOk());
  auto done = event->query();
  EXPECT_TRUE(done.isOk() && !done.value());
  release = true;
  EXPECT_TRUE(event->synchronize().isOk());
  done = event->query();
  EXPECT_TRUE(done.isOk() && done.value());
}

TEST(Stream, UnrecordedEventIsComplete) {
  auto stream = makeStream("s");
  auto event = makeEvent();
  auto done = event->query();
  EXPECT_TRUE(done.isOk() && done.value());
  EXPECT_TRUE(stream->wait(*event).isOk());
  EXPECT_TRUE(stream->synchronize().isOk());
}

TEST(Stream, ElapsedTime) {
  auto stream = makeStream("timed");
  auto start = makeEvent(true), end = makeEvent(true);
  ASSERT_TRUE(stream->record(*start).isOk());
  ASSERT_TRUE(stream
                  ->enqueueHost([] {
                    sleepMicros(20000);
                    return Status::ok();
                  })
                  .isOk());
  ASSERT_TRUE(stream->record(*end).isOk());
  ASSERT_TRUE(end->synchronize().isOk());
  auto ms = end->elapsedMsSince(*start);
  ASSERT_TRUE(ms.isOk()) << ms.status().toString();
  EXPECT_GE(ms.value(), 19.0);
  EXPECT_LT(ms.value(), 2000.0);
  auto untimed = makeEvent(false);
  EXPECT_FALSE(untimed->elapsedMsSince(*start).isOk());
}

TEST(Stream, CountersReleaseChunksInOrderUnderRandomDelays) {
  auto producer = makeStream("producer");
  auto consumer = makeStream("consumer");
  auto counter = cpuDevice().createCounter("chunks", 0);
  ASSERT_TRUE(counter.isOk());
  Counter &chunks = *counter.value();
  constexpr int kSteps = 4, kChunks = 16;
  std::vector<int> data(kChunks, -1);
  std::atomic<int> violations{0};
  std::mt19937 generator(3);
  for (int step = 0; step < kSteps; ++step) {
    for (int chunk = 0; chunk < kChunks; ++chunk) {
      // Epoch values: step s chunk c is s * kChunks + c + 1.
      uint64_t value = static_cast<uint64_t>(step * kChunks + chunk + 1);
      int produceDelay = generator() % 60, consumeDelay = generator() % 60;
      ASSERT_TRUE(producer
                      ->enqueueHost([&, step, chunk, produceDelay] {
                        sleepMicros(produceDelay);
                        data[chunk] = step;
                        return Status::ok();
                      })
                      .isOk());
      ASSERT_TRUE(producer->signal(chunks, value).isOk());
      ASSERT_TRUE(consumer->wait(chunks, value).isOk());
      ASSERT_TRUE(consumer
                      ->enqueueHost([&, step, chunk, consumeDelay] {
                        if (data[chunk] != step)
                          ++violations;
                        sleepMicros(consumeDelay);
                        return Status::ok();
                      })
                      .isOk());
    }
    // The producer may not overwrite a chunk of step s + 1 before the
    // consumer read it in step s: the consumer's own counter says so.
    ASSERT_TRUE(consumer->synchronize().isOk());
  }
  EXPECT_TRUE(producer->synchronize().isOk());
  EXPECT_EQ(violations.load(), 0);
  auto value = chunks.value();
  EXPECT_TRUE(value.isOk() && value.value() == kSteps * kChunks);
}

TEST(Stream, CounterAddReleasesTiles) {
  auto consumer = makeStream("consumer");
  CpuCounter tiles("tiles", 0);
  std::atomic<int> seen{-1};
  ASSERT_TRUE(consumer->wait(tiles, 8).isOk());
  ASSERT_TRUE(consumer
                  ->enqueueHost([&] {
                    seen = static_cast<int>(tiles.value().value());
                    return Status::ok();
                  })
                  .isOk());
  std::vector<std::thread> workers;
  for (int i = 0; i < 8; ++i)
    workers.emplace_back([&tiles, i] {
      sleepMicros(100 * i);
      tiles.add(1);
    });
  for (auto &worker : workers)
    worker.join();
  EXPECT_TRUE(consumer->synchronize().isOk());
  EXPECT_EQ(seen.load(), 8);
}

TEST(Stream, CounterRejectsGoingBackwards) {
  CpuCounter counter("c", 5);
  Status backwards = counter.hostSignal(3);
  ASSERT_FALSE(backwards.isOk());
  EXPECT_NE(backwards.message().find("would go backwards from 5 to 3"),
            std::string::npos);
  EXPECT_TRUE(counter.hostSignal(5).isOk());
  Status timeout = counter.hostWait(6, 0.05);
  EXPECT_EQ(timeout.code(), StatusCode::kTimeout);
}

TEST(Stream, ErrorsAreStickyAndTravelThroughEvents) {
  auto producer = makeStream("producer");
  auto consumer = makeStream("consumer");
  auto event = makeEvent();
  bool laterRan = false;
  ASSERT_TRUE(producer
                  ->enqueueHost([] {
                    return Status::error(StatusCode::kInternal, "kernel failed");
                  })
                  .isOk());
  ASSERT_TRUE(producer
                  ->enqueueHost([&] {
                    laterRan = true;
                    return Status::ok();
                  })
                  .isOk());
  ASSERT_TRUE(producer->record(*event).isOk());
  ASSERT_TRUE(consumer->wait(*event).isOk());
  Status producerStatus = producer->synchronize();
  EXPECT_EQ(producerStatus.message(), "kernel failed");
  EXPECT_FALSE(laterRan);
  Status consumerStatus = consumer->synchronize();
  EXPECT_EQ(consumerStatus.code(), StatusCode::kInternal);
  EXPECT_NE(consumerStatus.message().find(
                "stream 'consumer' waited for an event recorded after an "
                "error: kernel failed"),
            std::string::npos)
      << consumerStatus.message();
}

TEST(Stream, FailedProducerPoisonsItsCounter) {
  auto producer = makeStream("producer");
  auto consumer = makeStream("consumer");
  CpuCounter counter("chunks", 0);
  ASSERT_TRUE(producer
                  ->enqueueHost([] {
                    return Status::error(StatusCode::kInternal, "gemm failed");
                  })
                  .isOk());
  ASSERT_TRUE(producer->signal(counter, 1).isOk());
  ASSERT_TRUE(consumer->wait(counter, 1).isOk());
  Status status = consumer->synchronize();
  EXPECT_NE(status.message().find("whose producer failed: gemm failed"),
            std::string::npos)
      << status.message();
}

TEST(Stream, WaitsAreBoundedByTheWatchdog) {
  ScopedTimeout timeout(0.2);
  auto consumer = makeStream("stuck");
  CpuCounter counter("never", 0);
  ASSERT_TRUE(consumer->wait(counter, 1).isOk());
  auto start = std::chrono::steady_clock::now();
  Status status = consumer->synchronize();
  double seconds = std::chrono::duration<double>(
                       std::chrono::steady_clock::now() - start)
                       .count();
  EXPECT_EQ(status.code(), StatusCode::kTimeout);
  EXPECT_NE(status.message().find("wait of stream 'stuck' for counter "
                                  "'never' >= 1 did not complete within 0.2 "
                                  "s; the counter is at 0"),
            std::string::npos)
      << status.message();
  EXPECT_LT(seconds, 5.0);
}

TEST(Stream, WrongDeviceKindIsRejected) {
  class OtherEvent final : public Event {
  public:
    DeviceKind kind() const override { return DeviceKind::Cuda; }
    StatusOr<bool> query() override { return true; }
    Status synchronize() override { return Status::ok(); }
    StatusOr<double> elapsedMsSince(Event &) override { return 0.0; }
  } other;
  auto stream = makeStream("cpu");
  Status status = stream->record(other);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
}
