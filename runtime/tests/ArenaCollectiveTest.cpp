//===- ArenaCollectiveTest.cpp - collectives on a context's arena ---------===//
//
// A program's buffers are views of its one arena. The context's device
// arena (NCCL engine: ncclMemAlloc, registered with every communicator of
// the context) must carry collectives on its views over the world and over
// grid communicators made before and after it; on NCCL each communicator
// holds exactly one registration of it until it is released.
//
//===----------------------------------------------------------------------===//

#include "Conformance.h"

#include "braid_rt/Arena.h"

#ifdef BRAID_RT_HAVE_CUDA
#include "braid_rt/NcclCommunicator.h"
#endif

using namespace braid_rt;
using namespace braid_rt::test;

namespace {

class ArenaCollectives : public ::testing::TestWithParam<std::string> {
protected:
  Context &context() { return contextFor(GetParam()); }
};

/// How many registrations of [base, base + bytes) `comm` holds (0 for
/// engines that register nothing).
size_t registrationsOf(Communicator &comm, const void *base, size_t bytes) {
#ifdef BRAID_RT_HAVE_CUDA
  if (auto *nccl = dynamic_cast<NcclCommunicator *>(&comm)) {
    size_t found = 0;
    for (const auto &registration : nccl->registeredMemory())
      found += registration.base == base && registration.bytes == bytes;
    return found;
  }
#endif
  (void)comm;
  (void)base;
  (void)bytes;
  return 0;
}

} // namespace

TEST_P(ArenaCollectives, ViewsCarryCollectivesOnEveryGroup) {
  Context &ctx = context();
  int size = ctx.size(), rank = ctx.rank();
  std::vector<GroupSpec> specs = groupSpecs(size);
  // i32 sums are exact in every order, so each engine must match bitwise.
  constexpr DType kType = DType::I32;
  constexpr size_t kCount = 1031;
  const size_t bytes = kCount * sizeof(int32_t);
  // The first grid group exists before the arena, the others are made (or
  // found cached from earlier tests) after it.
  ASSERT_TRUE(
      ctx.gridCommunicator(specs[1].shape, specs[1].order, specs[1].axes)
          .isOk());
  // Per group: input, reduction, gathered blocks of every member.
  size_t slot = (bytes + 255) / 256 * 256;
  auto arenaOr = ctx.createArena(slot * (2 + size), 256, MemoryKind::Device);
  ASSERT_TRUE(arenaOr.isOk()) << arenaOr.status().toString();
  Arena &arena = *arenaOr.value();
  void *input = arena.at(0, bytes, 256).value();
  void *reduced = arena.at(slot, bytes, 256).value();
  void *gathered = arena.at(2 * slot, bytes * size, 256).value();
  bool registers = GetParam() == "nccl";

  for (const GroupSpec &spec : specs) {
    SCOPED_TRACE(spec.name);
    Communicator *comm = &ctx.world();
    if (!spec.world) {
      auto found = ctx.gridCommunicator(spec.shape, spec.order, spec.axes);
      ASSERT_TRUE(found.isOk()) << found.status().toString();
      comm = found.value();
    }
    EXPECT_EQ(registrationsOf(*comm, arena.allocation(),
                              arena.allocationBytes()),
              registers ? 1u : 0u);
    std::vector<int> members = expectedMembers(spec, rank, size);
    std::vector<std::vector<char>> inputs;
    std::vector<char> concatenated;
    int me = 0;
    for (size_t i = 0; i < members.size(); ++i) {
      inputs.push_back(makeInput(kType, 0xa7e4a, members[i], kCount));
      concatenated.insert(concatenated.end(), inputs.back().begin(),
                          inputs.back().end());
      if (members[i] == rank)
        me = static_cast<int>(i);
    }
    Device &device = ctx.device();
    ASSERT_TRUE(device.copyToDevice(input, inputs[me].data(), bytes).isOk());
    auto stream = ctx.communicatorStream(*comm);
    ASSERT_TRUE(stream.isOk());
    Status status = comm->allReduce(input, reduced, kCount, kType,
                                    ReduceOp::Sum, *stream.value());
    ASSERT_TRUE(status.isOk()) << status.toString();
    status = comm->allGather(input, gathered, kCount, kType, *stream.value());
    ASSERT_TRUE(status.isOk()) << status.toString();
    status = stream.value()->synchronize();
    ASSERT_TRUE(status.isOk()) << status.toString();
    std::vector<char> sum(bytes), all(bytes * members.size());
    ASSERT_TRUE(device.copyToHost(sum.data(), reduced, bytes).isOk());
    ASSERT_TRUE(device.copyToHost(all.data(), gathered, all.size()).isOk());
    EXPECT_EQ(firstDifference(
                  sum, referenceReduce(inputs, kType, ReduceOp::Sum, kCount),
                  kType),
              "");
    EXPECT_EQ(firstDifference(all, concatenated, kType), "");
  }

  const void *region = arena.allocation();
  size_t regionBytes = arena.allocationBytes();
  Status released = arena.release();
  ASSERT_TRUE(released.isOk()) << released.toString();
  for (const GroupSpec &spec : specs) {
    Communicator *comm =
        spec.world ? &ctx.world()
                   : ctx.gridCommunicator(spec.shape, spec.order, spec.axes)
                         .value();
    EXPECT_EQ(registrationsOf(*comm, region, regionBytes), 0u) << spec.name;
  }
}

INSTANTIATE_TEST_SUITE_P(Engines, ArenaCollectives,
                         ::testing::ValuesIn(engineNames()),
                         [](const ::testing::TestParamInfo<std::string> &info) {
                           return info.param;
                         });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(ArenaCollectives);
