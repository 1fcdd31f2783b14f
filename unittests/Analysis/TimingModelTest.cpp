//===- TimingModelTest.cpp - the one timing model, by hand ----------------===//

#include "braid/Analysis/TimingModel.h"
#include "RoundMachine.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/MLIRContext.h"

#include "gtest/gtest.h"

using namespace mlir;
using namespace mlir::braid;

namespace {

// roundMachine(): 100 SMs, 20 of them held while communication runs; a
// GEMM of 100 tiles takes one wave on 100 SMs (20 us + 2 us) and two on 80
// (42 us).
class TimingModelTest : public ::testing::Test {
protected:
  OpTime transfer(double seconds) {
    OpTime time;
    time.seconds = seconds;
    return time;
  }
  std::function<OpTime(int64_t)> gemm() {
    return [this](int64_t sms) {
      return model.gemmTime(1000, 1000, 500, 1, builder.getBF16Type(), 0,
                            sms);
    };
  }

  MLIRContext context;
  Builder builder{&context};
  CostModel model{roundMachine()};
  StreamSimulator sim{model};
  LinkProfile &link = const_cast<LinkProfile &>(model.profile().intraNode);
};

TEST_F(TimingModelTest, StreamsRunInOrderAndWaitForInputs) {
  auto first = sim.compute(0, 0, gemm());
  EXPECT_NEAR(first.end, 22e-6, 1e-12);
  // Ready earlier than its stream is free: it queues.
  auto second = sim.compute(0, 5e-6, gemm());
  EXPECT_NEAR(second.start, 22e-6, 1e-12);
  // Ready later: the stream idles until then.
  auto third = sim.compute(0, 100e-6, gemm());
  EXPECT_NEAR(third.start, 100e-6, 1e-12);
  EXPECT_NEAR(sim.timeline().computeTime, 66e-6, 1e-12);
  EXPECT_NEAR(sim.timeline().makespan, 122e-6, 1e-12);
}

TEST_F(TimingModelTest, ComputeLosesSMsOnlyWhileCommunicationRuns) {
  sim.communicate(1, 0, transfer(30e-6), &link);
  // Starts while the transfer holds 20 SMs: two waves.
  auto during = sim.compute(0, 0, gemm());
  EXPECT_NEAR(during.end - during.start, 42e-6, 1e-12);
  // Starts after the transfer: every SM, one wave.
  auto after = sim.compute(0, 0, gemm());
  EXPECT_NEAR(after.start, 42e-6, 1e-12);
  EXPECT_NEAR(after.end - after.start, 22e-6, 1e-12);
  // Communication on the same stream is not beside it.
  StreamSimulator same(model);
  same.communicate(0, 0, transfer(30e-6), &link);
  auto queued = same.compute(0, 0, gemm());
  EXPECT_NEAR(queued.end - queued.start, 22e-6, 1e-12);
}

TEST_F(TimingModelTest, TransfersOnOneLinkTakeTurns) {
  auto a = sim.communicate(1, 0, transfer(10e-6), &link);
  // Another stream, same link: after the first transfer.
  auto b = sim.communicate(2, 0, transfer(10e-6), &link);
  EXPECT_NEAR(b.start, a.end, 1e-12);
  // Another link: at once.
  LinkProfile other = link;
  auto c = sim.communicate(3, 0, transfer(10e-6), &other);
  EXPECT_NEAR(c.start, 0, 1e-12);
  EXPECT_NEAR(sim.timeline().communicationTime, 30e-6, 1e-12);
}

TEST_F(TimingModelTest, WaitsHoldAStreamUntilAnEvent) {
  auto transferDone = sim.communicate(1, 0, transfer(50e-6), &link).end;
  sim.compute(0, 0, gemm());
  sim.waitUntil(0, transferDone);
  EXPECT_NEAR(sim.streamFree(0), 50e-6, 1e-12);
  auto next = sim.compute(0, 0, gemm());
  EXPECT_NEAR(next.start, 50e-6, 1e-12);
  // Exposed: the makespan beyond compute alone.
  EXPECT_NEAR(sim.timeline().exposedCommunication(),
              sim.timeline().makespan - sim.timeline().computeTime, 1e-12);
}

} // namespace
