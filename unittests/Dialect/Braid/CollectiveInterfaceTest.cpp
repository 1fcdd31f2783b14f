//===- CollectiveInterfaceTest.cpp - CollectiveOpInterface queries --------===//

#include "TestUtils.h"

using namespace mlir;
using namespace mlir::braid;

namespace {

class CollectiveInterfaceTest : public ::testing::Test {
protected:
  void SetUp() override { context = test::makeContext(); }

  CollectiveOpInterface parseCollective(StringRef body, StringRef opName) {
    std::string text = (R"(
      shard.grid @mesh(shape = 2x4)
      shard.grid @dyn(shape = 2x?)
      func.func @f(%x: tensor<64x128xf32>, %y: tensor<16x128xbf16>) {
    )" + body + R"(
        return
      })").str();
    module = parseSourceString<ModuleOp>(text, context.get());
    EXPECT_TRUE(module) << text;
    if (!module)
      return nullptr;
    return dyn_cast_or_null<CollectiveOpInterface>(
        test::findFirst(*module, opName));
  }

  std::unique_ptr<MLIRContext> context;
  OwningOpRef<ModuleOp> module;
};

TEST_F(CollectiveInterfaceTest, AllReduceOverOneAxis) {
  auto op = parseCollective(
      "%r = braid.all_reduce %x on @mesh axes = [1] reduction = sum : "
      "tensor<64x128xf32>",
      "braid.all_reduce");
  ASSERT_TRUE(op);
  EXPECT_EQ(*op.getGroupSize(), 4);
  EXPECT_EQ(*op.getPayloadBytes(), 64 * 128 * 4);
  // Ring all-reduce sends 2(P-1)/P of the buffer per rank.
  EXPECT_EQ(*op.getBusBytes(), 64 * 128 * 4 * 2 * 3 / 4);
  EXPECT_EQ(op.getReductionKind(), ReductionKind::Sum);
  EXPECT_EQ(op.getGroupAxes().size(), 1u);
  EXPECT_EQ(op.getGridSymbol().getValue(), "mesh");
}

TEST_F(CollectiveInterfaceTest, AllGatherOverBothAxes) {
  auto op = parseCollective(
      "%g = braid.all_gather %y on @mesh axes = [0, 1] dim = 0 : "
      "tensor<16x128xbf16> -> tensor<128x128xbf16>",
      "braid.all_gather");
  ASSERT_TRUE(op);
  EXPECT_EQ(*op.getGroupSize(), 8);
  EXPECT_EQ(*op.getPayloadBytes(), 128 * 128 * 2);
  EXPECT_EQ(*op.getBusBytes(), 128 * 128 * 2 * 7 / 8);
  EXPECT_FALSE(op.getReductionKind().has_value());
}

TEST_F(CollectiveInterfaceTest, ReduceScatterPayloadIsTheInput) {
  auto op = parseCollective(
      "%s = braid.reduce_scatter %x on @mesh axes = [0] dim = 0 "
      "reduction = max : tensor<64x128xf32> -> tensor<32x128xf32>",
      "braid.reduce_scatter");
  ASSERT_TRUE(op);
  EXPECT_EQ(*op.getGroupSize(), 2);
  EXPECT_EQ(*op.getPayloadBytes(), 64 * 128 * 4);
  EXPECT_EQ(*op.getBusBytes(), 64 * 128 * 4 / 2);
  EXPECT_EQ(op.getReductionKind(), ReductionKind::Max);
}

TEST_F(CollectiveInterfaceTest, AllToAllAndPermuteAndBroadcast) {
  auto a2a = parseCollective(
      "%a = braid.all_to_all %x on @mesh axes = [1] split_dim = 0 "
      "concat_dim = 1 : tensor<64x128xf32> -> tensor<16x512xf32>",
      "braid.all_to_all");
  ASSERT_TRUE(a2a);
  EXPECT_EQ(*a2a.getBusBytes(), 64 * 128 * 4 * 3 / 4);

  auto permute = parseCollective(
      "%p = braid.collective_permute %x on @mesh axes = [1] "
      "pairs = [[0, 1], [1, 2], [2, 3], [3, 0]] : tensor<64x128xf32>",
      "braid.collective_permute");
  ASSERT_TRUE(permute);
  EXPECT_EQ(*permute.getBusBytes(), 64 * 128 * 4);

  auto broadcast = parseCollective(
      "%b = braid.broadcast %y on @mesh axes = [0] root = 1 : "
      "tensor<16x128xbf16>",
      "braid.broadcast");
  ASSERT_TRUE(broadcast);
  EXPECT_EQ(*broadcast.getGroupSize(), 2);
  EXPECT_EQ(*broadcast.getPayloadBytes(), 16 * 128 * 2);
}

TEST_F(CollectiveInterfaceTest, DynamicAxisHasNoGroupSize) {
  auto op = parseCollective(
      "%r = braid.all_reduce %x on @dyn axes = [1] reduction = sum : "
      "tensor<64x128xf32>",
      "braid.all_reduce");
  ASSERT_TRUE(op);
  EXPECT_TRUE(failed(op.getGroupSize()));
  EXPECT_TRUE(failed(op.getBusBytes()));
  EXPECT_EQ(*op.getPayloadBytes(), 64 * 128 * 4);
}

TEST_F(CollectiveInterfaceTest, GroupSizeHelperRejectsBadAxes) {
  auto op = parseCollective(
      "%r = braid.all_reduce %x on @mesh axes = [0] reduction = sum : "
      "tensor<64x128xf32>",
      "braid.all_reduce");
  ASSERT_TRUE(op);
  auto grid = FlatSymbolRefAttr::get(context.get(), "mesh");
  EXPECT_EQ(*getGroupSize(op, grid, {}), 1);
  EXPECT_TRUE(failed(getGroupSize(op, grid, {2})));
  EXPECT_TRUE(failed(
      getGroupSize(op, FlatSymbolRefAttr::get(context.get(), "nope"), {0})));
}

} // namespace
