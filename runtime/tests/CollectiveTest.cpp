//===- CollectiveTest.cpp - every op x dtype x group against a reference --===//
//
// Each test runs on every rank, for every engine under test and element
// type, over the groups of groupSpecs(): the world and the axes of a 2-D
// grid (one with a permuted device order). Results must equal the serial
// reference bit for bit, which also makes replicated results equal on every
// rank and run.
//
//===----------------------------------------------------------------------===//

#include "Conformance.h"

#include <chrono>
#include <cstring>
#include <thread>

using namespace braid_rt;
using namespace braid_rt::test;

namespace {

struct Group {
  GroupSpec spec;
  Communicator *comm = nullptr;
  std::vector<int> members; // world ranks, in group order
  int me = -1;              // this rank's position in the group
};

/// Groups, streams, inputs; the engine and element type come from the
/// parameters of the subclasses.
class CollectiveFixture : public ::testing::Test {
protected:
  virtual std::string engine() = 0;
  virtual DType dtype() = 0;
  Context &context() { return contextFor(engine()); }
  size_t element() { return dtypeSize(dtype()); }
  Device &device() { return context().device(); }

  std::vector<Group> groups() {
    std::vector<Group> result;
    for (const GroupSpec &spec : groupSpecs(context().size())) {
      Group group;
      group.spec = spec;
      if (spec.world) {
        group.comm = &context().world();
      } else {
        auto comm =
            context().gridCommunicator(spec.shape, spec.order, spec.axes);
        EXPECT_TRUE(comm.isOk()) << comm.status().toString();
        if (!comm.isOk())
          continue;
        group.comm = comm.value();
      }
      group.members =
          expectedMembers(spec, context().rank(), context().size());
      for (size_t i = 0; i < group.members.size(); ++i)
        if (group.members[i] == context().rank())
          group.me = static_cast<int>(i);
      result.push_back(group);
    }
    return result;
  }

  Stream &streamOf(Communicator &comm) {
    auto stream = context().communicatorStream(comm);
    EXPECT_TRUE(stream.isOk());
    return *stream.value();
  }

  /// Runs `enqueue` on the group's stream and waits; fails the test with
  /// the status otherwise.
  template <typename Enqueue> void run(Group &group, Enqueue enqueue) {
    Stream &stream = streamOf(*group.comm);
    Status status = enqueue(*group.comm, stream);
    ASSERT_TRUE(status.isOk()) << status.toString();
    Status done = stream.synchronize();
    ASSERT_TRUE(done.isOk()) << done.toString();
  }

  static uint64_t seedOf(std::initializer_list<uint64_t> parts) {
    uint64_t seed = 1469598103934665603ull;
    for (uint64_t part : parts)
      seed = (seed ^ part) * 1099511628211ull;
    return seed;
  }

  std::vector<std::vector<char>> inputsOf(const Group &group, uint64_t seed,
                                          size_t count) {
    std::vector<std::vector<char>> inputs;
    for (int member : group.members)
      inputs.push_back(makeInput(dtype(), seed, member, count));
    return inputs;
  }
};

class Collectives
    : public CollectiveFixture,
      public ::testing::WithParamInterface<std::tuple<std::string, DType>> {
protected:
  std::string engine() override { return std::get<0>(GetParam()); }
  DType dtype() override { return std::get<1>(GetParam()); }
};

/// Tests whose subject is not the element type: once per engine, in f32.
class CollectivesPerEngine : public CollectiveFixture,
                             public ::testing::WithParamInterface<std::string> {
protected:
  std::string engine() override { return GetParam(); }
  DType dtype() override { return dtype_; }
  DType dtype_ = DType::F32;
};

std::string describe(const Group &group, const std::string &what) {
  return what + " in group " + group.spec.name;
}

} // namespace

TEST_P(Collectives, GroupsHaveTheGridsMembers) {
  for (Group &group : groups()) {
    SCOPED_TRACE(group.spec.name);
    EXPECT_EQ(group.comm->size(), static_cast<int>(group.members.size()));
    EXPECT_EQ(group.comm->rank(), group.me);
    EXPECT_EQ(group.comm->worldRanks(), group.members);
  }
  // Asking again returns the cached communicator.
  for (const GroupSpec &spec : groupSpecs(context().size())) {
    if (spec.world)
      continue;
    auto first = context().gridCommunicator(spec.shape, spec.order, spec.axes);
    auto second = context().gridCommunicator(spec.shape, spec.order, spec.axes);
    ASSERT_TRUE(first.isOk() && second.isOk());
    EXPECT_EQ(first.value(), second.value());
  }
}

TEST_P(Collectives, AllReduce) {
  for (Group &group : groups()) {
    for (ReduceOp op : allReduceOps()) {
      // 5 elements leave some chunks empty at 8 ranks; 1031 is prime.
      for (size_t count : {size_t(0), size_t(1), size_t(5), size_t(1031)}) {
        std::string what = describe(group, std::string("all_reduce ") +
                                               reduceOpName(op) + " of " +
                                               std::to_string(count));
        SCOPED_TRACE(what);
        uint64_t seed = seedOf({1, static_cast<uint64_t>(dtype()),
                                static_cast<uint64_t>(op), count,
                                std::hash<std::string>()(group.spec.name)});
        auto inputs = inputsOf(group, seed, count);
        auto expected = referenceReduce(inputs, dtype(), op, count);
        DeviceBuffer send(device(), inputs[group.me]);
        DeviceBuffer recv(device(), count * element());
        run(group, [&](Communicator &comm, Stream &stream) {
          return comm.allReduce(send.data(), recv.data(), count, dtype(), op,
                                stream);
        });
        EXPECT_EQ(firstDifference(recv.read(), expected, dtype()), "");
        EXPECT_EQ(send.read(), inputs[group.me]) << "the input was modified";
        // In place gives the same bits.
        run(group, [&](Communicator &comm, Stream &stream) {
          return comm.allReduce(send.data(), send.data(), count, dtype(), op,
                                stream);
        });
        EXPECT_EQ(firstDifference(send.read(), expected, dtype()), "")
            << "in place";
      }
    }
  }
}

TEST_P(Collectives, ReduceScatter) {
  for (Group &group : groups()) {
    size_t members = group.members.size();
    for (ReduceOp op : allReduceOps()) {
      for (size_t block : {size_t(1), size_t(3), size_t(257)}) {
        SCOPED_TRACE(describe(group, std::string("reduce_scatter ") +
                                         reduceOpName(op) + " of " +
                                         std::to_string(block)));
        uint64_t seed = seedOf({2, static_cast<uint64_t>(dtype()),
                                static_cast<uint64_t>(op), block,
                                std::hash<std::string>()(group.spec.name)});
        auto inputs = inputsOf(group, seed, members * block);
        auto reduced = referenceReduce(inputs, dtype(), op, members * block);
        std::vector<char> expected(reduced.begin() + group.me * block * element(),
                                   reduced.begin() +
                                       (group.me + 1) * block * element());
        DeviceBuffer send(device(), inputs[group.me]);
        DeviceBuffer recv(device(), block * element());
        run(group, [&](Communicator &comm, Stream &stream) {
          return comm.reduceScatter(send.data(), recv.data(), block, dtype(),
                                    op, stream);
        });
        EXPECT_EQ(firstDifference(recv.read(), expected, dtype()), "");
      }
    }
  }
}

TEST_P(Collectives, AllGather) {
  for (Group &group : groups()) {
    size_t members = group.members.size();
    for (size_t block : {size_t(1), size_t(3), size_t(257)}) {
      SCOPED_TRACE(describe(group, "all_gather of " + std::to_string(block)));
      uint64_t seed = seedOf({3, static_cast<uint64_t>(dtype()), block,
                              std::hash<std::string>()(group.spec.name)});
      auto inputs = inputsOf(group, seed, block);
      std::vector<char> expected;
      for (auto &input : inputs)
        expected.insert(expected.end(), input.begin(), input.end());
      DeviceBuffer send(device(), inputs[group.me]);
      DeviceBuffer recv(device(), members * block * element());
      run(group, [&](Communicator &comm, Stream &stream) {
        return comm.allGather(send.data(), recv.data(), block, dtype(),
                              stream);
      });
      EXPECT_EQ(firstDifference(recv.read(), expected, dtype()), "");
      // In place: the send buffer is this rank's block of the result.
      std::vector<char> placed(members * block * element(), 0);
      std::memcpy(&placed[group.me * block * element()],
                  inputs[group.me].data(), block * element());
      DeviceBuffer inPlace(device(), placed);
      run(group, [&](Communicator &comm, Stream &stream) {
        return comm.allGather(inPlace.as<char>() + group.me * block * element(),
                              inPlace.data(), block, dtype(), stream);
      });
      EXPECT_EQ(firstDifference(inPlace.read(), expected, dtype()), "")
          << "in place";
    }
  }
}

TEST_P(Collectives, AllToAll) {
  for (Group &group : groups()) {
    size_t members = group.members.size();
    for (size_t block : {size_t(1), size_t(3), size_t(129)}) {
      SCOPED_TRACE(describe(group, "all_to_all of " + std::to_string(block)));
      uint64_t seed = seedOf({4, static_cast<uint64_t>(dtype()), block,
                              std::hash<std::string>()(group.spec.name)});
      auto inputs = inputsOf(group, seed, members * block);
      std::vector<char> expected;
      for (auto &input : inputs)
        expected.insert(expected.end(),
                        input.begin() + group.me * block * element(),
                        input.begin() + (group.me + 1) * block * element());
      DeviceBuffer send(device(), inputs[group.me]);
      DeviceBuffer recv(device(), members * block * element());
      run(group, [&](Communicator &comm, Stream &stream) {
        return comm.allToAll(send.data(), recv.data(), block, dtype(), stream);
      });
      EXPECT_EQ(firstDifference(recv.read(), expected, dtype()), "");
    }
  }
}

TEST_P(Collectives, AllToAllVWithUnevenSplits) {
  for (Group &group : groups()) {
    size_t members = group.members.size();
    for (uint64_t variant : {0, 1, 2}) {
      SCOPED_TRACE(describe(group, "all_to_all_v variant " +
                                       std::to_string(variant)));
      // Elements member i sends to member j: 0..11, some zero, different
      // both ways.
      auto countOf = [&](size_t i, size_t j) {
        return static_cast<size_t>((i * 5 + j * 3 + variant * 7) % 4) *
               (1 + (i + 2 * j + variant) % 3);
      };
      // Blocks are laid out with gaps, which must stay untouched.
      auto layout = [&](size_t me, bool sending, std::vector<size_t> &counts,
                        std::vector<size_t> &offsets) {
        size_t gap = sending ? 1 : 2, at = gap;
        counts.assign(members, 0);
        offsets.assign(members, 0);
        for (size_t peer = 0; peer < members; ++peer) {
          counts[peer] = sending ? countOf(me, peer) : countOf(peer, me);
          offsets[peer] = at;
          at += counts[peer] + gap;
        }
        return at;
      };
      uint64_t seed = seedOf({5, static_cast<uint64_t>(dtype()), variant,
                              std::hash<std::string>()(group.spec.name)});
      std::vector<std::vector<char>> inputs;
      std::vector<std::vector<size_t>> sendOffsetsOf(members);
      for (size_t i = 0; i < members; ++i) {
        std::vector<size_t> counts;
        size_t total = layout(i, true, counts, sendOffsetsOf[i]);
        inputs.push_back(makeInput(dtype(), seed, group.members[i], total));
      }
      std::vector<size_t> sendCounts, sendOffsets, recvCounts, recvOffsets;
      layout(group.me, true, sendCounts, sendOffsets);
      size_t recvTotal = layout(group.me, false, recvCounts, recvOffsets);
      std::vector<char> initial(recvTotal * element(), 0x5a);
      std::vector<char> expected = initial;
      for (size_t i = 0; i < members; ++i)
        std::memcpy(&expected[recvOffsets[i] * element()],
                    &inputs[i][sendOffsetsOf[i][group.me] * element()],
                    recvCounts[i] * element());
      DeviceBuffer send(device(), inputs[group.me]);
      DeviceBuffer recv(device(), initial);
      run(group, [&](Communicator &comm, Stream &stream) {
        return comm.allToAllV(send.data(), sendCounts.data(),
                              sendOffsets.data(), recv.data(),
                              recvCounts.data(), recvOffsets.data(), dtype(),
                              stream);
      });
      EXPECT_EQ(firstDifference(recv.read(), expected, dtype()), "");
    }
  }
}

TEST_P(Collectives, Broadcast) {
  for (Group &group : groups()) {
    for (int root = 0; root < static_cast<int>(group.members.size()); ++root) {
      for (size_t count : {size_t(1), size_t(1000)}) {
        SCOPED_TRACE(describe(group, "broadcast from " + std::to_string(root) +
                                         " of " + std::to_string(count)));
        uint64_t seed = seedOf({6, static_cast<uint64_t>(dtype()), count,
                                static_cast<uint64_t>(root),
                                std::hash<std::string>()(group.spec.name)});
        auto expected =
            makeInput(dtype(), seed, group.members[root], count);
        DeviceBuffer send(device(), expected);
        DeviceBuffer recv(device(),
                          std::vector<char>(count * element(), 0x33));
        run(group, [&](Communicator &comm, Stream &stream) {
          return comm.broadcast(send.data(), recv.data(), count, dtype(),
                                root, stream);
        });
        EXPECT_EQ(firstDifference(recv.read(), expected, dtype()), "");
      }
    }
  }
}

TEST_P(Collectives, SendRecvRingShifts) {
  for (Group &group : groups()) {
    int members = static_cast<int>(group.members.size());
    int me = group.me;
    for (int shift = members == 1 ? 0 : 1; shift < std::max(members, 1);
         ++shift) {
      SCOPED_TRACE(describe(group, "send_recv shift " + std::to_string(shift)));
      size_t count = 37;
      uint64_t seed = seedOf({7, static_cast<uint64_t>(dtype()),
                              static_cast<uint64_t>(shift),
                              std::hash<std::string>()(group.spec.name)});
      int right = (me + shift) % members;
      int left = (me - shift + members) % members;
      // Two messages to the same peer pair in posting order.
      auto first = makeInput(dtype(), seed, group.members[me], count);
      auto second = makeInput(dtype(), seed + 1, group.members[me], count);
      auto leftFirst = makeInput(dtype(), seed, group.members[left], count);
      auto leftSecond =
          makeInput(dtype(), seed + 1, group.members[left], count);
      DeviceBuffer sendA(device(), first), sendB(device(), second);
      DeviceBuffer recvA(device(), count * element()),
          recvB(device(), count * element());
      run(group, [&](Communicator &comm, Stream &stream) {
        return comm.sendRecv(
            {{PeerTransfer::Kind::Send, right, sendA.data(), count, dtype()},
             {PeerTransfer::Kind::Recv, left, recvA.data(), count, dtype()},
             {PeerTransfer::Kind::Send, right, sendB.data(), count, dtype()},
             {PeerTransfer::Kind::Recv, left, recvB.data(), count, dtype()}},
            stream);
      });
      EXPECT_EQ(firstDifference(recvA.read(), leftFirst, dtype()), "");
      EXPECT_EQ(firstDifference(recvB.read(), leftSecond, dtype()), "");
    }
  }
}

TEST_P(CollectivesPerEngine, BarrierWaitsForTheLastMember) {
  for (Group &group : groups()) {
    if (!group.spec.world && group.spec.axes != std::vector<int>{1})
      continue;
    SCOPED_TRACE(describe(group, "barrier"));
    Stream &stream = streamOf(*group.comm);
    auto start = std::chrono::steady_clock::now();
    if (group.me == 0)
      ASSERT_TRUE(stream
                      .enqueueHost([] {
                        std::this_thread::sleep_for(
                            std::chrono::milliseconds(150));
                        return Status::ok();
                      })
                      .isOk());
    ASSERT_TRUE(group.comm->barrier(stream).isOk());
    ASSERT_TRUE(stream.synchronize().isOk());
    double ms = std::chrono::duration<double, std::milli>(
                    std::chrono::steady_clock::now() - start)
                    .count();
    EXPECT_GE(ms, 140.0);
  }
}

TEST_P(CollectivesPerEngine, LargeAllReduceAndTwoCommunicatorsAtOnce) {
  std::vector<Group> all = groups();
  Group &world = all[0];
  size_t count = (size_t(1) << 20) + 3; // 4 MiB of f32, uneven chunks
  auto inputs = inputsOf(world, 8, count);
  auto expected = referenceReduce(inputs, dtype(), ReduceOp::Sum, count);
  DeviceBuffer data(device(), inputs[world.me]);
  run(world, [&](Communicator &comm, Stream &stream) {
    return comm.allReduce(data.data(), data.data(), count, dtype(),
                          ReduceOp::Sum, stream);
  });
  EXPECT_EQ(firstDifference(data.read(), expected, dtype()), "");

  // Rows and columns of the grid reduce at the same time on their own
  // streams, several operations deep.
  Group &columns = all[1], &rows = all[2];
  constexpr int kDepth = 6;
  size_t small = 4099;
  std::vector<std::unique_ptr<DeviceBuffer>> buffers;
  std::vector<std::vector<char>> wanted;
  for (int i = 0; i < kDepth; ++i) {
    for (Group *group : {&columns, &rows}) {
      auto groupInputs = inputsOf(*group, 100 + i, small);
      wanted.push_back(
          referenceReduce(groupInputs, dtype(), ReduceOp::Max, small));
      buffers.push_back(
          std::make_unique<DeviceBuffer>(device(), groupInputs[group->me]));
      Status status = group->comm->allReduce(
          buffers.back()->data(), buffers.back()->data(), small, dtype(),
          ReduceOp::Max, streamOf(*group->comm));
      ASSERT_TRUE(status.isOk()) << status.toString();
    }
  }
  ASSERT_TRUE(streamOf(*columns.comm).synchronize().isOk());
  ASSERT_TRUE(streamOf(*rows.comm).synchronize().isOk());
  for (size_t i = 0; i < buffers.size(); ++i)
    EXPECT_EQ(firstDifference(buffers[i]->read(), wanted[i], dtype()), "")
        << "operation " << i;
}

TEST_P(CollectivesPerEngine, BadArgumentsNameTheOperation) {
  Communicator &world = context().world();
  Stream &stream = streamOf(world);
  DeviceBuffer buffer(device(), 64);
  Status badRoot =
      world.broadcast(buffer.data(), buffer.data(), 4, dtype(), world.size(),
                      stream);
  EXPECT_EQ(badRoot.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(badRoot.message(),
            "broadcast on communicator 'world' (rank " +
                std::to_string(world.rank()) + " of " +
                std::to_string(world.size()) + "): root " +
                std::to_string(world.size()) +
                " is not a rank of a communicator of size " +
                std::to_string(world.size()));
  Status badType = world.allReduce(buffer.data(), buffer.data(), 4,
                                   static_cast<DType>(42), ReduceOp::Sum,
                                   stream);
  EXPECT_NE(badType.message().find("unknown element type 42"),
            std::string::npos);
  Status nullBuffer = world.allGather(nullptr, buffer.data(), 4, dtype(),
                                      stream);
  EXPECT_NE(nullBuffer.message().find("all_gather on communicator 'world'"),
            std::string::npos);
  EXPECT_NE(nullBuffer.message().find("send buffer is null"),
            std::string::npos);
  // Nothing was enqueued: the stream is clean and the sequence numbers of
  // all ranks still agree.
  EXPECT_TRUE(stream.synchronize().isOk());
}

INSTANTIATE_TEST_SUITE_P(
    Engines, Collectives,
    ::testing::Combine(::testing::ValuesIn(engineNames()),
                       ::testing::ValuesIn(allDTypes())),
    [](const ::testing::TestParamInfo<Collectives::ParamType> &info) {
      return std::get<0>(info.param) + "_" + dtypeName(std::get<1>(info.param));
    });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(Collectives);

INSTANTIATE_TEST_SUITE_P(Engines, CollectivesPerEngine,
                         ::testing::ValuesIn(engineNames()),
                         [](const ::testing::TestParamInfo<std::string> &info) {
                           return info.param;
                         });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(CollectivesPerEngine);
