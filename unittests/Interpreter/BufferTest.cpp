//===- BufferTest.cpp - buffer storage, views and the race detector -------===//

#include "braid/Interpreter/Buffer.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace mlir;
using namespace mlir::braid::interp;

namespace {

/// Stand-in ops for the accesses' provenance.
class BufferTest : public ::testing::Test {
protected:
  BufferTest() : builder(&context) {
    first = ModuleOp::create(builder.getUnknownLoc());
    second = ModuleOp::create(builder.getUnknownLoc());
  }
  ~BufferTest() override {
    first->erase();
    second->erase();
  }

  MLIRContext context;
  OpBuilder builder;
  ModuleOp first, second;
};

VectorClock clockOf(std::initializer_list<std::pair<int64_t, uint64_t>> parts) {
  VectorClock clock;
  for (auto [stream, time] : parts)
    for (uint64_t i = 0; i < time; ++i)
      clock.tick(stream);
  return clock;
}

TEST_F(BufferTest, EncodesElementsInTheirTypes) {
  auto storage = std::make_shared<Storage>(16, 0, /*f64Mode=*/false, "s");
  storage->store(0, Scalar::ofFloat(ElemKind::BF16, 1.5), ElemKind::BF16);
  storage->store(2, Scalar::ofInt(ElemKind::I16, -2), ElemKind::I16);
  storage->store(4, Scalar::ofFloat(ElemKind::F32, 0.1), ElemKind::F32);
  EXPECT_EQ(storage->load(0, ElemKind::BF16).f, 1.5);
  EXPECT_EQ(storage->load(2, ElemKind::I16).i, -2);
  EXPECT_EQ(storage->load(4, ElemKind::F32).f, double(0.1f));
  // bf16 1.5 is 0x3FC0: the low byte first.
  EXPECT_EQ(storage->load(0, ElemKind::I8).i, 0xC0 - 256);
  EXPECT_EQ(storage->load(1, ElemKind::I8).i, 0x3F);
}

TEST_F(BufferTest, F64ModeKeepsUnroundedValuesUntilOverwritten) {
  auto storage = std::make_shared<Storage>(8, 0xFF, /*f64Mode=*/true, "s");
  EXPECT_TRUE(std::isnan(storage->load(0, ElemKind::F32).f));
  storage->store(0, Scalar::ofFloat(ElemKind::F32, 0.1), ElemKind::F32);
  EXPECT_EQ(storage->load(0, ElemKind::F32).f, 0.1);
  // A byte of it overwritten: the bytes are what they are.
  storage->store(3, Scalar::ofInt(ElemKind::I8, 0), ElemKind::I8);
  EXPECT_NE(storage->load(0, ElemKind::F32).f, 0.1);
}

TEST_F(BufferTest, ByteRangesOfATransposedView) {
  auto storage = std::make_shared<Storage>(64, 0, false, "s");
  BufferView view = BufferView::contiguous(storage, ElemKind::F32, {2, 4});
  EXPECT_EQ(view.byteRanges(),
            (SmallVector<std::pair<int64_t, int64_t>>{{0, 32}}));
  // Column 1 of the 2x4 matrix: two separate elements.
  view.shape = {2};
  view.strides = {4};
  view.offset = 1;
  EXPECT_EQ(view.byteRanges(),
            (SmallVector<std::pair<int64_t, int64_t>>{{4, 8}, {20, 24}}));
  // Transposed: same bytes as the whole.
  BufferView transposed =
      BufferView::contiguous(storage, ElemKind::F32, {4, 2});
  transposed.strides = {1, 4};
  EXPECT_EQ(transposed.byteRanges(),
            (SmallVector<std::pair<int64_t, int64_t>>{{0, 32}}));
  transposed.baseByte = 40;
  EXPECT_FALSE(transposed.inBounds());
}

TEST_F(BufferTest, ReadAfterUnorderedWriteIsARaceOnTheOverlap) {
  Storage storage(4096, 0xFF, false, "%arena");
  VectorClock stream1 = clockOf({{0, 1}, {1, 1}});
  VectorClock host = clockOf({{0, 2}});
  EXPECT_FALSE(storage.recordAccess(0, 512, /*write=*/true, Access{1, 1, first},
                                    stream1));
  std::optional<Race> race = storage.recordAccess(256, 1024, /*write=*/false,
                                                  Access{0, 2, second}, host);
  ASSERT_TRUE(race);
  EXPECT_EQ(race->begin, 256);
  EXPECT_EQ(race->end, 512);
  EXPECT_TRUE(race->earlierWrites);
  EXPECT_EQ(race->earlier.op, first.getOperation());
  // After a join the same read is ordered.
  host.join(stream1);
  EXPECT_FALSE(
      storage.recordAccess(256, 1024, false, Access{0, 2, second}, host));
}

TEST_F(BufferTest, ReadsOfSeveralTasksAndOrderedWrites) {
  Storage storage(64, 0, false, "s");
  VectorClock host = clockOf({{0, 1}});
  VectorClock stream1 = clockOf({{0, 1}, {1, 1}});
  VectorClock stream2 = clockOf({{0, 1}, {2, 1}});
  // The host writes, then both streams read after a fork: fine.
  EXPECT_FALSE(storage.recordAccess(0, 64, true, Access{0, 1, first}, host));
  EXPECT_FALSE(
      storage.recordAccess(0, 32, false, Access{1, 1, first}, stream1));
  EXPECT_FALSE(
      storage.recordAccess(16, 64, false, Access{2, 1, first}, stream2));
  // Stream 2 overwriting what stream 1 read, unordered: a race on [16, 32).
  std::optional<Race> race =
      storage.recordAccess(0, 64, true, Access{2, 1, second}, stream2);
  ASSERT_TRUE(race);
  EXPECT_EQ(race->begin, 0);
  EXPECT_EQ(race->end, 32);
  EXPECT_FALSE(race->earlierWrites);
  EXPECT_EQ(race->earlier.stream, 1);
  // Once stream 2 has heard of stream 1's read, it may write.
  stream2.join(stream1);
  EXPECT_FALSE(
      storage.recordAccess(0, 64, true, Access{2, 1, second}, stream2));
}

} // namespace
