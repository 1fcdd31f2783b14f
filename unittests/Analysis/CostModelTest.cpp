//===- CostModelTest.cpp - the cost model against hand-computed values ----===//

#include "braid/Analysis/CostModel.h"
#include "RoundMachine.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/FileSystem.h"

#include "gtest/gtest.h"

#include <cmath>

using namespace mlir;
using namespace mlir::braid;

namespace {

class CostModelTest : public ::testing::Test {
protected:
  MLIRContext context;
  Builder builder{&context};
  CostModel model{roundMachine()};
};

TEST_F(CostModelTest, GemmWavesAndTilePadding) {
  // 1000x1000 output: 100 tiles = one wave on 100 SMs. A tile does
  // 2*100*100*500 flops at 100e12/100 * 0.5 = 5e11 flop/s: 20 us, +2 us.
  OpTime time =
      model.gemmTime(1000, 1000, 500, 1, builder.getBF16Type(), 0, 100);
  EXPECT_NEAR(time.seconds, 22e-6, 1e-12);
  // 101 tiles need a second wave: twice the time for 1% more work.
  time = model.gemmTime(1010, 1000, 500, 1, builder.getBF16Type(), 0, 100);
  EXPECT_NEAR(time.seconds, 42e-6, 1e-12);
  // With 20 SMs taken by communication, 100 tiles need two waves.
  time = model.gemmTime(1000, 1000, 500, 1, builder.getBF16Type(), 0, 80);
  EXPECT_NEAR(time.seconds, 42e-6, 1e-12);
  // M = 1 pays for a whole 100-row tile: the small-M tax.
  time = model.gemmTime(1, 1000, 500, 1, builder.getBF16Type(), 0, 100);
  EXPECT_NEAR(time.seconds, 22e-6, 1e-12);
}

TEST_F(CostModelTest, GemmBoundedByMemory) {
  // 20 MB at 1e12 * 0.5 B/s = 40 us > 20 us of compute.
  OpTime time = model.gemmTime(1000, 1000, 500, 1, builder.getBF16Type(),
                               20'000'000, 100);
  EXPECT_NEAR(time.seconds, 42e-6, 1e-12);
  EXPECT_NE(time.explanation.find("memory-bound"), std::string::npos);
}

TEST_F(CostModelTest, StreamingKernels) {
  // 1 MB at 0.5e12 B/s = 2 us, + 1 us launch.
  EXPECT_NEAR(model.streamingTime(1'000'000, 1000).seconds, 3e-6, 1e-12);
  // 100 Mflop at 10e12 flop/s = 10 us beats 2 us of memory.
  EXPECT_NEAR(model.streamingTime(1'000'000, 100'000'000).seconds, 11e-6,
              1e-12);
  EXPECT_EQ(model.streamingTime(0, 0).seconds, 0);
}

TEST_F(CostModelTest, RingCollectives) {
  const LinkProfile &link = model.profile().intraNode;
  // all_reduce, 4 ranks, 1 MB: 5 us + 6 x 1 us + 2 * 3/4 * 1e6 / 1e11 = 26 us.
  EXPECT_NEAR(model.collectiveTime(CollectiveKind::AllReduce, 1'000'000, 4,
                                   link, CollectiveAlgorithm::Ring),
              26e-6, 1e-12);
  // all_gather: 5 + 3 x 1 + 3/4 * 1e6 / 1e11 = 15.5 us.
  EXPECT_NEAR(model.collectiveTime(CollectiveKind::AllGather, 1'000'000, 4,
                                   link, CollectiveAlgorithm::Ring),
              15.5e-6, 1e-12);
  EXPECT_NEAR(model.collectiveTime(CollectiveKind::ReduceScatter, 1'000'000,
                                   4, link, CollectiveAlgorithm::Ring),
              15.5e-6, 1e-12);
  // permute: 5 + 1 + 1e6 / 1e11 = 16 us.
  EXPECT_NEAR(model.collectiveTime(CollectiveKind::Permute, 1'000'000, 4,
                                   link, CollectiveAlgorithm::Ring),
              16e-6, 1e-12);
  // A group of one does nothing.
  EXPECT_EQ(model.collectiveTime(CollectiveKind::AllReduce, 1'000'000, 1,
                                 link, CollectiveAlgorithm::Ring),
            0);
}

TEST_F(CostModelTest, AlgorithmChoiceFollowsMessageSize) {
  const LinkProfile &slow = model.profile().interNode;
  // 16 ranks, 8 B: ring 5 + 30 x 10 = 305 us; tree 5 + 8 x 10 = 85 us;
  // star 5 + 2 x 10 + 2 x 15 x 8 / 1e10 = 25.024 us (TPI-LLM's case).
  auto [small, smallTime] =
      model.bestCollective(CollectiveKind::AllReduce, 8, 16, slow);
  EXPECT_EQ(small, CollectiveAlgorithm::Star);
  EXPECT_NEAR(smallTime, 25.024e-6, 1e-12);
  // 16 ranks, 100 MB: ring's 2 * 15/16 * 1e8 / 1e10 = 18.75 ms beats tree's
  // 20 ms and star's 300 ms.
  auto [large, largeTime] =
      model.bestCollective(CollectiveKind::AllReduce, 100'000'000, 16, slow);
  EXPECT_EQ(large, CollectiveAlgorithm::Ring);
  EXPECT_NEAR(largeTime, 5e-6 + 300e-6 + 18.75e-3, 1e-9);
  // On a ring-only link the choice is ring whatever the size.
  EXPECT_EQ(model
                .bestCollective(CollectiveKind::AllReduce, 8, 16,
                                model.profile().intraNode)
                .first,
            CollectiveAlgorithm::Ring);
}

TEST_F(CostModelTest, MeasuredFitReplacesTheModelForItsCollectiveOnly) {
  HardwareProfile machine = roundMachine();
  machine.intraNode.measured[{CollectiveKind::AllReduce, 4}] = {20e-6, 1e9};
  CostModel measured(machine);
  const LinkProfile &link = measured.profile().intraNode;
  // 20 us + 1 MB / 1 GB/s, launch included in the measured latency.
  EXPECT_NEAR(
      measured.bestCollective(CollectiveKind::AllReduce, 1'000'000, 4, link)
          .second,
      1020e-6, 1e-12);
  // Another group size or kind keeps the ring model (26 and 15.5 us).
  EXPECT_NEAR(
      measured.bestCollective(CollectiveKind::AllReduce, 1'000'000, 2, link)
          .second,
      model.bestCollective(CollectiveKind::AllReduce, 1'000'000, 2,
                           model.profile().intraNode)
          .second,
      1e-15);
  EXPECT_NEAR(
      measured.bestCollective(CollectiveKind::AllGather, 1'000'000, 4, link)
          .second,
      15.5e-6, 1e-12);
  // A group of one moves nothing, fit or not.
  EXPECT_EQ(
      measured.bestCollective(CollectiveKind::AllReduce, 1'000'000, 1, link)
          .second,
      0);
}

TEST(HardwareProfileTest, KernelFitsAreFoundByOpAndElementType) {
  MLIRContext context;
  Builder builder(&context);
  HardwareProfile machine = roundMachine();
  machine.measuredKernels[{"braid.rmsnorm", "bf16"}] = {1e-6, 1e9, 0};
  const KernelFit *fit =
      machine.kernelFit("braid.rmsnorm", builder.getBF16Type());
  ASSERT_NE(fit, nullptr);
  EXPECT_NEAR(fit->seconds(1'000'000, 123), 1001e-6, 1e-12);
  EXPECT_EQ(machine.kernelFit("braid.rmsnorm", builder.getF32Type()), nullptr);
  EXPECT_EQ(machine.kernelFit("braid.swiglu", builder.getBF16Type()), nullptr);
  // Both terms when both rates are given.
  KernelFit both{0, 1e9, 1e6};
  EXPECT_NEAR(both.seconds(1000, 1000), 1e-6 + 1e-3, 1e-15);
}

TEST(HardwareProfileTest, EveryShippedProfileLoads) {
  std::error_code error;
  int loaded = 0;
  for (llvm::sys::fs::directory_iterator it(BRAID_PROFILE_DIR, error), end;
       it != end && !error; it.increment(error)) {
    StringRef path = it->path();
    if (!path.ends_with(".json") || path.ends_with("published-points.json"))
      continue;
    llvm::Expected<HardwareProfile> profile = HardwareProfile::load(path);
    ASSERT_TRUE(static_cast<bool>(profile))
        << llvm::toString(profile.takeError());
    EXPECT_FALSE(profile->name.empty());
    EXPECT_GT(profile->memoryBandwidth, 0);
    ++loaded;
  }
  EXPECT_GE(loaded, 6);
}

TEST(HardwareProfileTest, MissingSourceIsAnError) {
  SmallString<128> path;
  ASSERT_FALSE(llvm::sys::fs::createTemporaryFile("profile", "json", path));
  {
    std::error_code error;
    llvm::raw_fd_ostream os(path, error);
    os << R"({"name": "x", "devices_per_node": 1,
              "compute": {"peak_flops": {"bf16": {"value": 1e12}}}})";
  }
  llvm::Expected<HardwareProfile> profile = HardwareProfile::load(path);
  ASSERT_FALSE(static_cast<bool>(profile));
  EXPECT_NE(llvm::toString(profile.takeError())
                .find("'compute.peak_flops.bf16' has no source"),
            std::string::npos);
  llvm::sys::fs::remove(path);
}

} // namespace
