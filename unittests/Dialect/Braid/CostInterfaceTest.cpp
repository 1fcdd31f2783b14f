//===- CostInterfaceTest.cpp - CostOpInterface on braid and upstream ops --===//

#include "TestUtils.h"

using namespace mlir;
using namespace mlir::braid;

namespace {

class CostInterfaceTest : public ::testing::Test {
protected:
  void SetUp() override { context = test::makeContext(); }

  /// Parses `body` inside a function and returns the cost of the first
  /// `opName`.
  FailureOr<OpCost> costOf(StringRef signature, StringRef body,
                           StringRef opName) {
    std::string text =
        ("func.func @f(" + signature + ") {\n" + body + "\n return\n}").str();
    module = parseSourceString<ModuleOp>(text, context.get());
    EXPECT_TRUE(module) << text;
    if (!module)
      return failure();
    auto op = dyn_cast_or_null<CostOpInterface>(
        test::findFirst(*module, opName));
    EXPECT_TRUE(op) << opName.str() << " has no CostOpInterface";
    if (!op)
      return failure();
    return op.getCost();
  }

  std::unique_ptr<MLIRContext> context;
  OwningOpRef<ModuleOp> module;
};

TEST_F(CostInterfaceTest, LinalgMatmulCountsMultiplyAdd) {
  FailureOr<OpCost> cost = costOf(
      "%a: tensor<64x32xf32>, %b: tensor<32x16xf32>, %c: tensor<64x16xf32>",
      "%r = linalg.matmul ins(%a, %b : tensor<64x32xf32>, tensor<32x16xf32>) "
      "outs(%c : tensor<64x16xf32>) -> tensor<64x16xf32>",
      "linalg.matmul");
  ASSERT_TRUE(succeeded(cost));
  EXPECT_EQ(cost->flops, 2 * 64 * 32 * 16);
  // A, B and the accumulator are read; C is written.
  EXPECT_EQ(cost->bytesRead, (64 * 32 + 32 * 16 + 64 * 16) * 4);
  EXPECT_EQ(cost->bytesWritten, 64 * 16 * 4);
}

TEST_F(CostInterfaceTest, MixedPrecisionMatmulDoesNotCountCasts) {
  FailureOr<OpCost> cost = costOf(
      "%a: tensor<8x4xbf16>, %b: tensor<4x2xbf16>, %c: tensor<8x2xf32>",
      "%r = linalg.matmul ins(%a, %b : tensor<8x4xbf16>, tensor<4x2xbf16>) "
      "outs(%c : tensor<8x2xf32>) -> tensor<8x2xf32>",
      "linalg.matmul");
  ASSERT_TRUE(succeeded(cost));
  EXPECT_EQ(cost->flops, 2 * 8 * 4 * 2);
  EXPECT_EQ(cost->bytesRead, (8 * 4 + 4 * 2) * 2 + 8 * 2 * 4);
}

TEST_F(CostInterfaceTest, BatchMatmulAndTranspose) {
  FailureOr<OpCost> bmm = costOf(
      "%a: tensor<3x8x4xf32>, %b: tensor<3x4x2xf32>, %c: tensor<3x8x2xf32>",
      "%r = linalg.batch_matmul ins(%a, %b : tensor<3x8x4xf32>, "
      "tensor<3x4x2xf32>) outs(%c : tensor<3x8x2xf32>) -> tensor<3x8x2xf32>",
      "linalg.batch_matmul");
  ASSERT_TRUE(succeeded(bmm));
  EXPECT_EQ(bmm->flops, 2 * 3 * 8 * 4 * 2);

  FailureOr<OpCost> transpose = costOf(
      "%a: tensor<8x4xf32>, %c: tensor<4x8xf32>",
      "%r = linalg.transpose ins(%a : tensor<8x4xf32>) outs(%c : "
      "tensor<4x8xf32>) permutation = [1, 0]",
      "linalg.transpose");
  ASSERT_TRUE(succeeded(transpose));
  EXPECT_EQ(transpose->flops, 0);
  // The init of a transpose is overwritten, not read.
  EXPECT_EQ(transpose->bytesRead, 8 * 4 * 4);
  EXPECT_EQ(transpose->bytesWritten, 8 * 4 * 4);
}

TEST_F(CostInterfaceTest, ArithOnTensorsAndCasts) {
  FailureOr<OpCost> add =
      costOf("%a: tensor<16x8xf32>", "%r = arith.addf %a, %a : tensor<16x8xf32>",
             "arith.addf");
  ASSERT_TRUE(succeeded(add));
  EXPECT_EQ(*add, (OpCost{128, 2 * 128 * 4, 128 * 4}));

  FailureOr<OpCost> exp =
      costOf("%a: tensor<16xf32>", "%r = math.exp %a : tensor<16xf32>",
             "math.exp");
  ASSERT_TRUE(succeeded(exp));
  EXPECT_EQ(exp->flops, 16);

  FailureOr<OpCost> cast = costOf(
      "%a: tensor<16xf32>", "%r = arith.truncf %a : tensor<16xf32> to tensor<16xbf16>",
      "arith.truncf");
  ASSERT_TRUE(succeeded(cast));
  EXPECT_EQ(*cast, (OpCost{0, 64, 32}));
}

TEST_F(CostInterfaceTest, TensorViewsAndSlicesAreFreePadsCopy) {
  FailureOr<OpCost> slice = costOf(
      "%a: tensor<16x8xf32>",
      "%r = tensor.extract_slice %a[0, 0] [4, 8] [1, 1] : tensor<16x8xf32> to "
      "tensor<4x8xf32>",
      "tensor.extract_slice");
  ASSERT_TRUE(succeeded(slice));
  EXPECT_EQ(*slice, OpCost{});

  FailureOr<OpCost> pad = costOf(
      "%a: tensor<4x8xf32>, %z: f32",
      "%r = tensor.pad %a low[0, 0] high[2, 0] { ^bb0(%i: index, %j: index): "
      "tensor.yield %z : f32 } : tensor<4x8xf32> to tensor<6x8xf32>",
      "tensor.pad");
  ASSERT_TRUE(succeeded(pad));
  EXPECT_EQ(*pad, (OpCost{0, 192, 192}));

  FailureOr<OpCost> reshape = costOf(
      "%a: tensor<16x8xf32>",
      "%r = tensor.collapse_shape %a [[0, 1]] : tensor<16x8xf32> into "
      "tensor<128xf32>",
      "tensor.collapse_shape");
  ASSERT_TRUE(succeeded(reshape));
  EXPECT_EQ(*reshape, OpCost{});
}

TEST_F(CostInterfaceTest, BraidLayerOps) {
  FailureOr<OpCost> norm = costOf(
      "%x: tensor<4x64xbf16>, %w: tensor<64xbf16>",
      "%r = braid.rmsnorm %x, %w : tensor<4x64xbf16>, tensor<64xbf16> -> "
      "tensor<4x64xbf16>",
      "braid.rmsnorm");
  ASSERT_TRUE(succeeded(norm));
  EXPECT_EQ(*norm, (OpCost{4 * 4 * 64, (4 * 64 + 64) * 2, 4 * 64 * 2}));

  FailureOr<OpCost> gmm = costOf(
      "%x: tensor<32x16xf32>, %w: tensor<4x16x8xf32>, %s: tensor<4xi64>",
      "%r = braid.grouped_matmul %x, %w, %s : tensor<32x16xf32>, "
      "tensor<4x16x8xf32>, tensor<4xi64> -> tensor<32x8xf32>",
      "braid.grouped_matmul");
  ASSERT_TRUE(succeeded(gmm));
  EXPECT_EQ(gmm->flops, 2 * 32 * 16 * 8);
  EXPECT_EQ(gmm->bytesRead, (32 * 16 + 4 * 16 * 8) * 4 + 4 * 8);
}

TEST_F(CostInterfaceTest, CausalAttentionCountsOnlyAttendedPairs) {
  StringRef signature = "%q: tensor<2x4x8x16xf32>, %k: tensor<2x2x8x16xf32>, "
                        "%v: tensor<2x2x8x16xf32>";
  FailureOr<OpCost> full = costOf(
      signature,
      "%o = braid.attention %q, %k, %v : tensor<2x4x8x16xf32>, "
      "tensor<2x2x8x16xf32>, tensor<2x2x8x16xf32> -> tensor<2x4x8x16xf32>",
      "braid.attention");
  ASSERT_TRUE(succeeded(full));
  int64_t perPair = 2 * 16 + 5 + 2 * 16;
  EXPECT_EQ(full->flops, 2 * 4 * 8 * 8 * perPair);

  FailureOr<OpCost> causal = costOf(
      signature,
      "%o = braid.attention %q, %k, %v {causal} : tensor<2x4x8x16xf32>, "
      "tensor<2x2x8x16xf32>, tensor<2x2x8x16xf32> -> tensor<2x4x8x16xf32>",
      "braid.attention");
  ASSERT_TRUE(succeeded(causal));
  // Sq = Skv = 8: query i sees i + 1 keys, 36 pairs in all.
  EXPECT_EQ(causal->flops, 2 * 4 * 36 * perPair);
}

TEST_F(CostInterfaceTest, GatherReadsOnlyGatheredRows) {
  FailureOr<OpCost> gather = costOf(
      "%t: tensor<1000x64xf32>, %i: tensor<8xi32>",
      "%r = braid.gather %t[%i] axis = 0 : tensor<1000x64xf32>, tensor<8xi32> "
      "-> tensor<8x64xf32>",
      "braid.gather");
  ASSERT_TRUE(succeeded(gather));
  EXPECT_EQ(*gather, (OpCost{0, 8 * 4 + 8 * 64 * 4, 8 * 64 * 4}));
}

TEST_F(CostInterfaceTest, DynamicShapesHaveNoCost) {
  FailureOr<OpCost> cost = costOf(
      "%a: tensor<?x8xf32>", "%r = math.exp %a : tensor<?x8xf32>", "math.exp");
  EXPECT_TRUE(failed(cost));
}

} // namespace
