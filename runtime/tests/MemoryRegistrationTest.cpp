//===- MemoryRegistrationTest.cpp - a context's arenas and communicators --===//
//
// Context::createArena registers device arenas with every communicator of
// the context exactly once, whichever came first, and undoes it when the
// arena is released or the context goes (before the communicators are
// destroyed). The engine calls are observed through a communicator that
// records them, so this runs without MPI or a GPU; the NCCL calls
// themselves are checked on a GPU (NcclMemoryTest.cpp).
//
//===----------------------------------------------------------------------===//

#include "braid_rt/Arena.h"
#include "braid_rt/Context.h"
#include "braid_rt/CpuDevice.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <set>
#include <sstream>

using namespace braid_rt;

namespace {

/// What the recording communicators did, in order, and what they refuse.
struct Journal {
  std::vector<std::string> events;
  std::set<std::string> refuseRegister;   // communicator names
  std::set<std::string> refuseDeregister; // communicator names

  std::vector<std::string> matching(const std::string &prefix) const {
    std::vector<std::string> found;
    for (const std::string &event : events)
      if (event.rfind(prefix, 0) == 0)
        found.push_back(event);
    return found;
  }
  /// Position of the first event equal to `event` (npos when absent).
  size_t position(const std::string &event) const {
    for (size_t i = 0; i < events.size(); ++i)
      if (events[i] == event)
        return i;
    return std::string::npos;
  }
};

std::string region(void *base, size_t bytes) {
  std::ostringstream text;
  text << base << "+" << bytes;
  return text.str();
}

/// A one-rank communicator of a chosen engine that records registrations;
/// it runs no operations.
class RecordingCommunicator final : public Communicator {
public:
  RecordingCommunicator(std::string name, Engine engine,
                        std::shared_ptr<Journal> journal)
      : Communicator(std::move(name), 0, 1, {0}), engine_(engine),
        journal_(std::move(journal)) {}
  ~RecordingCommunicator() override {
    journal_->events.push_back("destroy " + name());
  }

  Engine engine() const override { return engine_; }

  Status registerMemory(void *base, size_t bytes) override {
    if (journal_->refuseRegister.count(name()))
      return Status::error(StatusCode::kCommunicationError,
                           describe("ncclCommRegister of " +
                                    std::to_string(bytes) + " bytes") +
                               ": refused by the test");
    journal_->events.push_back("register " + name() + " " +
                               region(base, bytes));
    registered_[base] = bytes;
    return Status::ok();
  }
  Status deregisterMemory(void *base) override {
    auto found = registered_.find(base);
    if (found == registered_.end())
      return Status::error(StatusCode::kInvalidArgument,
                           describe("ncclCommDeregister") + ": not registered");
    journal_->events.push_back("deregister " + name() + " " +
                               region(base, found->second));
    registered_.erase(found);
    if (journal_->refuseDeregister.count(name()))
      return Status::error(StatusCode::kCommunicationError,
                           describe("ncclCommDeregister") +
                               ": refused by the test");
    return Status::ok();
  }

  StatusOr<std::unique_ptr<Communicator>> split(int, int,
                                                std::string name) override {
    return std::unique_ptr<Communicator>(
        new RecordingCommunicator(std::move(name), engine_, journal_));
  }

  Status allReduce(const void *, void *, size_t, DType, ReduceOp,
                   Stream &) override {
    return unused();
  }
  Status allGather(const void *, void *, size_t, DType, Stream &) override {
    return unused();
  }
  Status reduceScatter(const void *, void *, size_t, DType, ReduceOp,
                       Stream &) override {
    return unused();
  }
  Status allToAll(const void *, void *, size_t, DType, Stream &) override {
    return unused();
  }
  Status allToAllV(const void *, const size_t *, const size_t *, void *,
                   const size_t *, const size_t *, DType, Stream &) override {
    return unused();
  }
  Status broadcast(const void *, void *, size_t, DType, int,
                   Stream &) override {
    return unused();
  }
  Status sendRecv(const std::vector<PeerTransfer> &, Stream &) override {
    return unused();
  }
  Status barrier(Stream &) override { return unused(); }

protected:
  Status enqueueTriggeredRing(const TriggeredOp &, const void *, void *,
                              size_t, DType, ReduceOp, const Trigger &,
                              size_t, bool, Stream &) override {
    return unused();
  }
  Status enqueueTriggeredAllGather(const TriggeredOp &, const void *, void *,
                                   size_t, DType, const Trigger &, size_t,
                                   Stream &) override {
    return unused();
  }

private:
  Status unused() {
    return Status::error(StatusCode::kUnavailable, "not part of this test");
  }
  Engine engine_;
  std::shared_ptr<Journal> journal_;
  std::map<void *, size_t> registered_;
};

/// The CPU device, counting where arena memory comes from.
class CountingDevice final : public Device {
public:
  DeviceKind kind() const override { return DeviceKind::Cpu; }
  StatusOr<std::unique_ptr<Stream>> createStream(std::string name,
                                                 int priority) override {
    return cpuDevice().createStream(std::move(name), priority);
  }
  StatusOr<std::unique_ptr<Event>> createEvent(bool timing) override {
    return cpuDevice().createEvent(timing);
  }
  StatusOr<std::unique_ptr<Counter>> createCounter(std::string name,
                                                   uint64_t initial) override {
    return cpuDevice().createCounter(std::move(name), initial);
  }
  StatusOr<void *> allocate(size_t bytes, size_t alignment,
                            MemoryKind kind) override {
    ++plain;
    return cpuDevice().allocate(bytes, alignment, kind);
  }
  void deallocate(void *pointer, MemoryKind kind) override {
    ++plainFreed;
    cpuDevice().deallocate(pointer, kind);
  }
  StatusOr<void *> allocateRegistrable(size_t bytes,
                                       size_t alignment) override {
    ++registrable;
    return cpuDevice().allocate(bytes, alignment, MemoryKind::Device);
  }
  void deallocateRegistrable(void *pointer) override {
    ++registrableFreed;
    cpuDevice().deallocate(pointer, MemoryKind::Device);
  }
  Status copyToDevice(void *dst, const void *src, size_t bytes) override {
    return cpuDevice().copyToDevice(dst, src, bytes);
  }
  Status copyToHost(void *dst, const void *src, size_t bytes) override {
    return cpuDevice().copyToHost(dst, src, bytes);
  }

  int plain = 0, plainFreed = 0, registrable = 0, registrableFreed = 0;
};

const std::vector<int64_t> kGrid = {1, 1};
const char *kAxis0 = "grid[1x1] axes[0]";
const char *kAxis1 = "grid[1x1] axes[1]";

class MemoryRegistration : public ::testing::Test {
protected:
  std::unique_ptr<Context> makeContext(Engine engine) {
    return std::make_unique<Context>(
        device, nullptr,
        std::make_unique<RecordingCommunicator>("world", engine, journal));
  }
  Communicator *grid(Context &context, int axis) {
    auto comm = context.gridCommunicator(kGrid, {}, {axis});
    EXPECT_TRUE(comm.isOk()) << comm.status().toString();
    return comm.isOk() ? comm.value() : nullptr;
  }

  std::shared_ptr<Journal> journal = std::make_shared<Journal>();
  CountingDevice device;
};

} // namespace

TEST_F(MemoryRegistration, DeviceArenaRegisteredOncePerCommunicator) {
  auto context = makeContext(Engine::Nccl);
  ASSERT_NE(grid(*context, 0), nullptr); // before the arena
  auto arenaOr = context->createArena(4096, 256, MemoryKind::Device);
  ASSERT_TRUE(arenaOr.isOk()) << arenaOr.status().toString();
  Arena &arena = *arenaOr.value();
  // The NCCL engine's device arenas come from the registrable allocator.
  EXPECT_EQ(device.registrable, 1);
  EXPECT_EQ(device.plain, 0);
  EXPECT_TRUE(arena.registrable());
  std::string whole = region(arena.allocation(), arena.allocationBytes());
  EXPECT_EQ(journal->matching("register "),
            (std::vector<std::string>{"register world " + whole,
                                      std::string("register ") + kAxis0 +
                                          " " + whole}));

  ASSERT_NE(grid(*context, 1), nullptr); // after the arena: at creation
  ASSERT_NE(grid(*context, 0), nullptr); // cached: nothing again
  ASSERT_NE(grid(*context, 1), nullptr);
  EXPECT_EQ(journal->matching("register ").size(), 3u);
  EXPECT_EQ(journal->matching(std::string("register ") + kAxis1).size(), 1u);

  journal->events.clear();
  Status released = arena.release();
  EXPECT_TRUE(released.isOk()) << released.toString();
  EXPECT_EQ(journal->matching("deregister ").size(), 3u);
  for (const char *name : {"world", kAxis0, kAxis1})
    EXPECT_NE(journal->position(std::string("deregister ") + name + " " +
                                whole),
              std::string::npos)
        << name;
  EXPECT_EQ(device.registrableFreed, 1);
  EXPECT_FALSE(arena.at(0, 1).isOk()); // released
  EXPECT_TRUE(arena.release().isOk()); // once
  EXPECT_EQ(journal->matching("deregister ").size(), 3u);
  EXPECT_EQ(device.registrableFreed, 1);
}

TEST_F(MemoryRegistration, MpiEngineArenaIsPlainDeviceMemory) {
  auto context = makeContext(Engine::Mpi);
  auto arena = context->createArena(4096, 64, MemoryKind::Device);
  ASSERT_TRUE(arena.isOk()) << arena.status().toString();
  EXPECT_EQ(device.registrable, 0);
  EXPECT_EQ(device.plain, 1);
  EXPECT_FALSE(arena.value()->registrable());
  // Handed to the engine all the same (the MPI engine ignores it).
  EXPECT_EQ(journal->matching("register world").size(), 1u);
}

TEST_F(MemoryRegistration, HostPinnedAndEmptyArenasAreNotRegistered) {
  auto context = makeContext(Engine::Nccl);
  ASSERT_NE(grid(*context, 0), nullptr);
  auto host = context->createArena(4096, 64, MemoryKind::Host);
  auto pinned = context->createArena(4096, 4096, MemoryKind::PinnedHost);
  auto empty = context->createArena(0, 64, MemoryKind::Device);
  ASSERT_TRUE(host.isOk() && pinned.isOk() && empty.isOk());
  EXPECT_EQ(journal->matching("register ").size(), 0u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(pinned.value()->base()) % 4096, 0u);
  std::memset(pinned.value()->base(), 0x5a, 4096);
  EXPECT_TRUE(pinned.value()->release().isOk());
}

TEST_F(MemoryRegistration, ContextDeregistersBeforeDestroyingCommunicators) {
  auto context = makeContext(Engine::Nccl);
  ASSERT_NE(grid(*context, 0), nullptr);
  auto arena = context->createArena(1 << 16, 256, MemoryKind::Device);
  ASSERT_TRUE(arena.isOk()) << arena.status().toString();
  std::string whole =
      region(arena.value()->allocation(), arena.value()->allocationBytes());
  context.reset(); // the arena outlives it
  for (const char *name : {"world", kAxis0}) {
    size_t deregistered =
        journal->position(std::string("deregister ") + name + " " + whole);
    size_t destroyed = journal->position(std::string("destroy ") + name);
    ASSERT_NE(deregistered, std::string::npos) << name;
    ASSERT_NE(destroyed, std::string::npos) << name;
    EXPECT_LT(deregistered, destroyed) << name;
  }
  size_t events = journal->events.size();
  // Nothing left to deregister, and no communicator to touch.
  EXPECT_TRUE(arena.value()->release().isOk());
  EXPECT_EQ(journal->events.size(), events);
  EXPECT_EQ(device.registrableFreed, 1);
}

TEST_F(MemoryRegistration, RefusedRegistrationNamesCommunicatorAndUndoes) {
  auto context = makeContext(Engine::Nccl);
  ASSERT_NE(grid(*context, 0), nullptr);
  ASSERT_NE(grid(*context, 1), nullptr);
  journal->refuseRegister.insert(kAxis1);
  auto arena = context->createArena(4096, 256, MemoryKind::Device);
  ASSERT_FALSE(arena.isOk());
  const std::string &message = arena.status().message();
  EXPECT_NE(message.find("registering the 4096-byte device arena: "
                         "ncclCommRegister of "),
            std::string::npos)
      << message;
  EXPECT_NE(message.find(std::string("on communicator '") + kAxis1 +
                         "' (rank 0 of 1)"),
            std::string::npos)
      << message;
  // What was registered before the refusal is undone; the memory is gone.
  EXPECT_EQ(journal->matching("register ").size(), 2u);
  EXPECT_EQ(journal->matching("deregister ").size(), 2u);
  EXPECT_EQ(device.registrable, 1);
  EXPECT_EQ(device.registrableFreed, 1);
}

TEST_F(MemoryRegistration, NewCommunicatorThatCannotRegisterIsNotKept) {
  auto context = makeContext(Engine::Nccl);
  auto first = context->createArena(4096, 256, MemoryKind::Device);
  auto second = context->createArena(8192, 256, MemoryKind::Device);
  ASSERT_TRUE(first.isOk() && second.isOk());
  journal->refuseRegister.insert(kAxis0);
  auto comm = context->gridCommunicator(kGrid, {}, {0});
  ASSERT_FALSE(comm.isOk());
  EXPECT_NE(comm.status().message().find(
                "registering the context's device arenas: "),
            std::string::npos)
      << comm.status().message();
  EXPECT_NE(journal->position(std::string("destroy ") + kAxis0),
            std::string::npos);
  // A later call creates it again and registers both arenas once.
  journal->refuseRegister.clear();
  journal->events.clear();
  ASSERT_NE(grid(*context, 0), nullptr);
  EXPECT_EQ(journal->matching(std::string("register ") + kAxis0).size(), 2u);
}

TEST_F(MemoryRegistration, RefusedDeregistrationIsReportedAndMemoryFreed) {
  auto context = makeContext(Engine::Nccl);
  ASSERT_NE(grid(*context, 0), nullptr);
  auto arena = context->createArena(4096, 256, MemoryKind::Device);
  ASSERT_TRUE(arena.isOk());
  journal->refuseDeregister.insert("world");
  Status released = arena.value()->release();
  ASSERT_FALSE(released.isOk());
  EXPECT_NE(released.message().find("deregistering the 4096-byte device "
                                    "arena: ncclCommDeregister on "
                                    "communicator 'world' (rank 0 of 1)"),
            std::string::npos)
      << released.message();
  // The other communicator is deregistered all the same.
  EXPECT_EQ(journal->matching("deregister ").size(), 2u);
  EXPECT_EQ(device.registrableFreed, 1);
}
