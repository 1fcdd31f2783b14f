//===- NcclMemoryTest.cpp - the NCCL engine's arenas on a GPU -------------===//
//
// A device arena of an NCCL context is allocated once by ncclMemAlloc (a
// cuMem allocation NCCL can register), registered with every communicator
// of the context once by ncclCommRegister, deregistered by
// ncclCommDeregister when it is released — or, when the context goes first,
// before each communicator is finalized and destroyed — and freed by
// ncclMemFree. This executable defines those NCCL entry points itself:
// braid_rt's calls land here, are recorded, and go on to libnccl.
//
// Needs a GPU (one rank); skipped without one.
//
//===----------------------------------------------------------------------===//

#include "braid_rt/Arena.h"
#include "braid_rt/Context.h"
#include "braid_rt/CudaDevice.h"
#include "braid_rt/NcclCommunicator.h"

#include <gtest/gtest.h>

#include <cuda.h>
#include <cudaTypedefs.h>
#include <dlfcn.h>

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <vector>

using namespace braid_rt;

namespace {

struct NcclCall {
  std::string function;
  const void *comm;
  const void *pointer;
  size_t bytes;
  const void *handle;
  ncclResult_t result;
};

std::mutex callsMu;
std::vector<NcclCall> calls;

void record(NcclCall call) {
  std::lock_guard<std::mutex> lock(callsMu);
  calls.push_back(std::move(call));
}

std::vector<NcclCall> callsTo(const std::string &function) {
  std::lock_guard<std::mutex> lock(callsMu);
  std::vector<NcclCall> found;
  for (const NcclCall &call : calls)
    if (call.function == function)
      found.push_back(call);
  return found;
}

/// Index of the first call to `function` on `comm` (-1 when none).
long firstCall(const std::string &function, const void *comm) {
  std::lock_guard<std::mutex> lock(callsMu);
  for (size_t i = 0; i < calls.size(); ++i)
    if (calls[i].function == function && calls[i].comm == comm)
      return static_cast<long>(i);
  return -1;
}

void clearCalls() {
  std::lock_guard<std::mutex> lock(callsMu);
  calls.clear();
}

/// libnccl's definition of `name`.
template <typename Function> Function next(const char *name) {
  void *found = dlsym(RTLD_NEXT, name);
  if (!found) {
    std::fprintf(stderr, "NcclMemoryTest: libnccl has no %s\n", name);
    std::abort();
  }
  return reinterpret_cast<Function>(found);
}

} // namespace

extern "C" {

ncclResult_t ncclMemAlloc(void **ptr, size_t size) {
  static auto real = next<decltype(&ncclMemAlloc)>("ncclMemAlloc");
  ncclResult_t result = real(ptr, size);
  record({"ncclMemAlloc", nullptr, ptr ? *ptr : nullptr, size, nullptr,
          result});
  return result;
}

ncclResult_t ncclMemFree(void *ptr) {
  static auto real = next<decltype(&ncclMemFree)>("ncclMemFree");
  ncclResult_t result = real(ptr);
  record({"ncclMemFree", nullptr, ptr, 0, nullptr, result});
  return result;
}

ncclResult_t ncclCommRegister(const ncclComm_t comm, void *buff, size_t size,
                              void **handle) {
  static auto real = next<decltype(&ncclCommRegister)>("ncclCommRegister");
  ncclResult_t result = real(comm, buff, size, handle);
  record({"ncclCommRegister", comm, buff, size, handle ? *handle : nullptr,
          result});
  return result;
}

ncclResult_t ncclCommDeregister(const ncclComm_t comm, void *handle) {
  static auto real =
      next<decltype(&ncclCommDeregister)>("ncclCommDeregister");
  ncclResult_t result = real(comm, handle);
  record({"ncclCommDeregister", comm, nullptr, 0, handle, result});
  return result;
}

ncclResult_t ncclCommFinalize(ncclComm_t comm) {
  static auto real = next<decltype(&ncclCommFinalize)>("ncclCommFinalize");
  record({"ncclCommFinalize", comm, nullptr, 0, nullptr, ncclSuccess});
  return real(comm);
}

ncclResult_t ncclCommDestroy(ncclComm_t comm) {
  static auto real = next<decltype(&ncclCommDestroy)>("ncclCommDestroy");
  record({"ncclCommDestroy", comm, nullptr, 0, nullptr, ncclSuccess});
  return real(comm);
}

ncclResult_t ncclCommAbort(ncclComm_t comm) {
  static auto real = next<decltype(&ncclCommAbort)>("ncclCommAbort");
  record({"ncclCommAbort", comm, nullptr, 0, nullptr, ncclSuccess});
  return real(comm);
}

} // extern "C"

namespace {

bool haveGpu() {
  int count = 0;
  return cudaGetDeviceCount(&count) == cudaSuccess && count > 0;
}

#define REQUIRE_GPU()                                                          \
  do {                                                                         \
    if (!haveGpu())                                                            \
      GTEST_SKIP() << "no CUDA device";                                        \
  } while (0)

bool envIs(const char *name, const char *value) {
  const char *set = std::getenv(name);
  return set && std::strcmp(set, value) == 0;
}

/// The NCCL engine on GPU 0 as a world of one rank.
std::unique_ptr<Context> oneRankContext() {
  ncclUniqueId id;
  ncclResult_t result = ncclGetUniqueId(&id);
  EXPECT_EQ(result, ncclSuccess) << ncclGetErrorString(result);
  if (result != ncclSuccess)
    return nullptr;
  auto context = createNcclContext(id, 1, 0, 0);
  EXPECT_TRUE(context.isOk()) << context.status().toString();
  return context.isOk() ? std::move(context.value()) : nullptr;
}

NcclCommunicator *gridAxis(Context &context, int axis) {
  auto comm = context.gridCommunicator({1, 1}, {}, {axis});
  EXPECT_TRUE(comm.isOk()) << comm.status().toString();
  return comm.isOk() ? dynamic_cast<NcclCommunicator *>(comm.value())
                     : nullptr;
}

/// True when `pointer` is in a cuMem (virtual memory management)
/// allocation, as ncclMemAlloc makes them; cudaMalloc memory is not.
bool isCuMemAllocation(void *pointer) {
  PFN_cuMemRetainAllocationHandle_v11000 retain = nullptr;
  PFN_cuMemRelease_v10020 release = nullptr;
  cudaDriverEntryPointQueryResult found;
  if (cudaGetDriverEntryPointByVersion(
          "cuMemRetainAllocationHandle", reinterpret_cast<void **>(&retain),
          11000, cudaEnableDefault, &found) != cudaSuccess ||
      found != cudaDriverEntryPointSuccess ||
      cudaGetDriverEntryPointByVersion("cuMemRelease",
                                       reinterpret_cast<void **>(&release),
                                       10020, cudaEnableDefault,
                                       &found) != cudaSuccess ||
      found != cudaDriverEntryPointSuccess) {
    ADD_FAILURE() << "the driver lacks cuMemRetainAllocationHandle";
    return false;
  }
  CUmemGenericAllocationHandle handle;
  if (retain(&handle, pointer) != CUDA_SUCCESS)
    return false;
  release(handle);
  return true;
}

} // namespace

// Runs everywhere: the observing definitions reach libnccl's (whatever it
// answers without a GPU).
TEST(NcclMemory, ObservedEntryPointsReachLibnccl) {
  clearCalls();
  ncclResult_t result = ncclCommDeregister(nullptr, nullptr);
  auto seen = callsTo("ncclCommDeregister");
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].result, result);
  EXPECT_NE(result, ncclSuccess); // NCCL checks the communicator
}

TEST(NcclMemory, ArenaIsNcclMemAllocRegisteredOncePerCommunicator) {
  REQUIRE_GPU();
  auto context = oneRankContext();
  ASSERT_NE(context, nullptr);
  auto *world = dynamic_cast<NcclCommunicator *>(&context->world());
  NcclCommunicator *axis0 = gridAxis(*context, 0); // before the arena
  ASSERT_TRUE(world && axis0);

  clearCalls();
  constexpr size_t kFloats = 1 << 18; // 1 MiB
  auto arenaOr =
      context->createArena(kFloats * sizeof(float), 256, MemoryKind::Device);
  ASSERT_TRUE(arenaOr.isOk()) << arenaOr.status().toString();
  Arena &arena = *arenaOr.value();
  auto allocations = callsTo("ncclMemAlloc");
  ASSERT_EQ(allocations.size(), 1u);
  EXPECT_EQ(allocations[0].pointer, arena.allocation());
  EXPECT_EQ(allocations[0].bytes, arena.allocationBytes());
  if (!envIs("NCCL_CUMEM_ENABLE", "0"))
    EXPECT_TRUE(isCuMemAllocation(arena.allocation()))
        << "ncclMemAlloc fell back to cudaMalloc";

  auto registrations = callsTo("ncclCommRegister");
  ASSERT_EQ(registrations.size(), 2u);
  for (NcclCommunicator *comm : {world, axis0}) {
    long at = firstCall("ncclCommRegister", comm->handle());
    ASSERT_GE(at, 0) << comm->name();
    auto mine = comm->registeredMemory();
    ASSERT_EQ(mine.size(), 1u) << comm->name();
    EXPECT_EQ(mine[0].base, arena.allocation());
    EXPECT_EQ(mine[0].bytes, arena.allocationBytes());
    if (!envIs("NCCL_LOCAL_REGISTER", "0"))
      EXPECT_NE(mine[0].handle, nullptr) << comm->name();
  }
  for (const NcclCall &call : registrations) {
    EXPECT_EQ(call.result, ncclSuccess);
    EXPECT_EQ(call.pointer, arena.allocation());
    EXPECT_EQ(call.bytes, arena.allocationBytes());
  }

  // A communicator made later registers it when made, and only then.
  NcclCommunicator *axis1 = gridAxis(*context, 1);
  ASSERT_NE(axis1, nullptr);
  EXPECT_EQ(gridAxis(*context, 0), axis0);
  EXPECT_EQ(gridAxis(*context, 1), axis1);
  EXPECT_EQ(callsTo("ncclCommRegister").size(), 3u);
  EXPECT_EQ(axis1->registeredMemory().size(), 1u);

  // Collectives on views of the registered arena.
  auto first = arena.at(0, kFloats / 2 * sizeof(float), 256);
  auto second = arena.at(kFloats / 2 * sizeof(float),
                         kFloats / 2 * sizeof(float), 256);
  ASSERT_TRUE(first.isOk() && second.isOk());
  std::vector<float> values(kFloats / 2), seen(kFloats / 2, 0.0f);
  for (size_t i = 0; i < values.size(); ++i)
    values[i] = static_cast<float>(i % 1000) * 0.25f - 7.0f;
  Device &device = context->device();
  ASSERT_TRUE(device
                  .copyToDevice(first.value(), values.data(),
                                values.size() * sizeof(float))
                  .isOk());
  for (NcclCommunicator *comm : {world, axis0, axis1}) {
    auto stream = context->communicatorStream(*comm);
    ASSERT_TRUE(stream.isOk());
    Status status =
        comm->allReduce(first.value(), first.value(), values.size(),
                        DType::F32, ReduceOp::Sum, *stream.value());
    ASSERT_TRUE(status.isOk()) << status.toString();
    status = comm->allGather(first.value(), second.value(), values.size(),
                             DType::F32, *stream.value());
    ASSERT_TRUE(status.isOk()) << status.toString();
    status = stream.value()->synchronize();
    ASSERT_TRUE(status.isOk()) << status.toString();
    ASSERT_TRUE(device
                    .copyToHost(seen.data(), second.value(),
                                seen.size() * sizeof(float))
                    .isOk());
    EXPECT_EQ(seen, values) << comm->name(); // one rank: unchanged
  }

  std::vector<const void *> handles;
  for (NcclCommunicator *comm : {world, axis0, axis1})
    handles.push_back(comm->registeredMemory()[0].handle);
  clearCalls();
  Status released = arena.release();
  ASSERT_TRUE(released.isOk()) << released.toString();
  auto deregistrations = callsTo("ncclCommDeregister");
  ASSERT_EQ(deregistrations.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    NcclCommunicator *comm = i == 0 ? world : i == 1 ? axis0 : axis1;
    long at = firstCall("ncclCommDeregister", comm->handle());
    ASSERT_GE(at, 0) << comm->name();
    EXPECT_TRUE(comm->registeredMemory().empty()) << comm->name();
    bool handleSeen = false;
    for (const NcclCall &call : deregistrations)
      handleSeen |= call.comm == comm->handle() && call.handle == handles[i];
    EXPECT_TRUE(handleSeen) << comm->name();
  }
  auto frees = callsTo("ncclMemFree");
  ASSERT_EQ(frees.size(), 1u);
  EXPECT_EQ(frees[0].pointer, allocations[0].pointer);
  {
    // Freed after the last deregistration.
    std::lock_guard<std::mutex> lock(callsMu);
    EXPECT_EQ(calls.back().function, "ncclMemFree");
  }
}

TEST(NcclMemory, ContextDeregistersBeforeFinalizingCommunicators) {
  REQUIRE_GPU();
  auto context = oneRankContext();
  ASSERT_NE(context, nullptr);
  NcclCommunicator *axis0 = gridAxis(*context, 0);
  ASSERT_NE(axis0, nullptr);
  auto arena = context->createArena(1 << 20, 256, MemoryKind::Device);
  ASSERT_TRUE(arena.isOk()) << arena.status().toString();
  std::vector<const void *> comms = {
      dynamic_cast<NcclCommunicator &>(context->world()).handle(),
      axis0->handle()};

  clearCalls();
  context.reset(); // the arena outlives it
  for (const void *comm : comms) {
    long deregistered = firstCall("ncclCommDeregister", comm);
    long finalized = firstCall("ncclCommFinalize", comm);
    long destroyed = firstCall("ncclCommDestroy", comm);
    ASSERT_GE(deregistered, 0);
    ASSERT_GE(finalized, 0);
    ASSERT_GE(destroyed, 0);
    EXPECT_LT(deregistered, finalized);
    EXPECT_LT(deregistered, destroyed);
  }
  EXPECT_TRUE(callsTo("ncclCommAbort").empty());

  clearCalls();
  Status released = arena.value()->release();
  EXPECT_TRUE(released.isOk()) << released.toString();
  EXPECT_TRUE(callsTo("ncclCommDeregister").empty());
  EXPECT_EQ(callsTo("ncclMemFree").size(), 1u);
}

TEST(NcclMemory, OnlyArenasUseNcclMemAlloc) {
  REQUIRE_GPU();
  auto context = oneRankContext();
  ASSERT_NE(context, nullptr);
  clearCalls();
  Device &device = context->device();
  auto buffer = device.allocate(4096, 256, MemoryKind::Device);
  ASSERT_TRUE(buffer.isOk()) << buffer.status().toString();
  EXPECT_TRUE(callsTo("ncclMemAlloc").empty());
  EXPECT_FALSE(isCuMemAllocation(buffer.value())); // cudaMalloc
  device.deallocate(buffer.value(), MemoryKind::Device);
  // Host and pinned arenas are neither ncclMemAlloc'd nor registered.
  auto pinned = context->createArena(1 << 16, 4096, MemoryKind::PinnedHost);
  ASSERT_TRUE(pinned.isOk()) << pinned.status().toString();
  EXPECT_TRUE(callsTo("ncclMemAlloc").empty());
  EXPECT_TRUE(callsTo("ncclCommRegister").empty());
}
