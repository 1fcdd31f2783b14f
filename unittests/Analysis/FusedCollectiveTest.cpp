//===- FusedCollectiveTest.cpp - a producer fused with its collective ----===//

#include "braid/Analysis/FusedCollective.h"
#include "RoundMachine.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/MLIRContext.h"

#include "gtest/gtest.h"

using namespace mlir;
using namespace mlir::braid;

namespace {

// roundMachine(): a 100x100 tile of K = 500 takes 20 us on one SM; with
// communication beside it a GEMM gets 80 of 100 SMs. An 800x1000 output
// over 4 ranks is 4 chunks of 20 tiles: 80 tiles, one wave on 80 SMs.
class FusedCollectiveTest : public ::testing::Test {
protected:
  FusedCollectiveTest() { context.loadDialect<BraidDialect>(); }

  FusedCollectiveWork work(CollectiveKind kind) {
    FusedCollectiveWork work;
    work.kind = kind;
    work.groupSize = 4;
    work.gemm = GemmShape{800, 1000, 500, 1, builder.getBF16Type()};
    work.outputBytes = 800 * 1000 * 4;
    return work;
  }
  /// The end of the producer's last compute event on stream 0.
  double producerEnd(const StreamSimulator &sim) {
    double end = 0;
    for (const TimelineEvent &event : sim.timeline().events)
      if (event.stream == 0)
        end = std::max(end, event.end);
    return end;
  }

  MLIRContext context;
  Builder builder{&context};
  CostModel model{roundMachine()};
  const LinkProfile *link = &model.profile().intraNode;
};

TEST_F(FusedCollectiveTest, TileTriggerKeepsTheProducerWhole) {
  StreamSimulator sim(model);
  auto trigger = TriggerAttr::get(&context, 100, 100, 20);
  playFusedCollective(sim, FusedStreams{}, 0,
                      work(CollectiveKind::ReduceScatter), trigger, link);
  // One wave of 80 tiles on the 80 SMs communication leaves: 2 + 20 us.
  EXPECT_NEAR(producerEnd(sim), 22e-6, 1e-12);
}

TEST_F(FusedCollectiveTest, ChunkTriggerPaysEveryPiece) {
  StreamSimulator sim(model);
  auto trigger = TriggerAttr::get(&context, 4);
  playFusedCollective(sim, FusedStreams{}, 0,
                      work(CollectiveKind::ReduceScatter), trigger, link);
  // Four 200-row GEMMs, each a wave and an overhead of its own.
  EXPECT_NEAR(producerEnd(sim), 4 * 22e-6, 1e-12);
}

TEST_F(FusedCollectiveTest, RingSendsEachPartialAfterItsCombine) {
  StreamSimulator sim(model);
  auto trigger = TriggerAttr::get(&context, 4);
  double end = playFusedCollective(sim, FusedStreams{}, 0,
                                   work(CollectiveKind::ReduceScatter),
                                   trigger, link);
  // P - 1 transfers of a 0.8 MB partial and as many combines, each
  // transfer after the previous combine: the ring's chain.
  int transfers = 0, combines = 0;
  double lastTransferEnd = 0, lastCombineEnd = 0;
  for (const TimelineEvent &event : sim.timeline().events) {
    if (event.stream == 1) {
      ++transfers;
      EXPECT_GE(event.start, lastCombineEnd - 1e-15);
      lastTransferEnd = event.end;
    } else if (event.stream == 2) {
      ++combines;
      EXPECT_GE(event.start, lastTransferEnd - 1e-15);
      lastCombineEnd = event.end;
    }
  }
  EXPECT_EQ(transfers, 3);
  EXPECT_EQ(combines, 3);
  EXPECT_NEAR(end, lastCombineEnd, 1e-12);
}

TEST_F(FusedCollectiveTest, FinerPiecesOfOneWaveOnlyAddTransfers) {
  // Every piece of a one-wave GEMM is done when the wave ends, so finer
  // pieces only add transfers: the model must not reward them.
  StreamSimulator whole(model), fine(model);
  double coarse = playFusedCollective(
      whole, FusedStreams{}, 0, work(CollectiveKind::ReduceScatter),
      TriggerAttr::get(&context, 100, 100, 20), link);
  double finer = playFusedCollective(
      fine, FusedStreams{}, 0, work(CollectiveKind::ReduceScatter),
      TriggerAttr::get(&context, 100, 100, 1), link);
  EXPECT_LT(coarse, finer);
}

TEST_F(FusedCollectiveTest, AllGatherSendsEachPieceWhenDone) {
  StreamSimulator sim(model);
  double end = playFusedCollective(sim, FusedStreams{}, 0,
                                   work(CollectiveKind::AllGather),
                                   TriggerAttr::get(&context, 4), link);
  int gathers = 0;
  for (const TimelineEvent &event : sim.timeline().events)
    if (event.stream == 1) {
      ++gathers;
      // Released when its chunk's GEMM ends, after the trigger latency
      // (a kernel launch on this machine).
      EXPECT_GE(event.start, gathers * 22e-6 + 1e-6 - 1e-12);
    }
  EXPECT_EQ(gathers, 4);
  EXPECT_GT(end, 4 * 22e-6);
}

} // namespace
