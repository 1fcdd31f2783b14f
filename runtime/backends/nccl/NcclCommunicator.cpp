//===- NcclCommunicator.cpp - the NCCL engine -----------------------------===//

#include "braid_rt/NcclCommunicator.h"
#include "ChunkFold.h"
#include "braid_rt/Backoff.h"
#include "braid_rt/Context.h"
#include "braid_rt/CudaDevice.h"
#include "braid_rt/Watchdog.h"

#ifdef BRAID_RT_HAVE_MPI
#include "braid_rt/MpiCommunicator.h"
#endif

#include <algorithm>
#include <cstring>
#include <list>
#include <map>
#include <set>

namespace braid_rt {

struct NcclCommunicator::State {
  ncclComm_t comm = nullptr;
  bool owned = true;
  int device = 0;
  std::string name;
  /// NCCL communicators take calls from one thread at a time.
  std::mutex callMu;
  int *barrierWord = nullptr; // device memory, under callMu

  /// GPU work of operations not yet known to be complete; polled by the
  /// watchdog's thread.
  struct InFlight {
    cudaEvent_t event;
    Watchdog::Watch watch;
  };
  std::mutex flightMu;
  std::list<InFlight> inFlight;
  bool alive = true;
  Status asyncError; // under flightMu

  /// ncclCommRegister's handles by base (under callMu).
  std::map<void *, MemoryRegistration> registrations;
  /// Scratch of the triggered collectives: a memory pool of this device
  /// that never releases its memory, allocated from in stream order (under
  /// callMu; made on first use).
  cudaMemPool_t scratchPool = nullptr;
};

namespace {

std::mutex registryMu;
std::set<NcclCommunicator::State *> &registry() {
  static std::set<NcclCommunicator::State *> states;
  return states;
}

ncclDataType_t ncclType(DType dtype) {
  switch (dtype) {
  case DType::F64:
    return ncclFloat64;
  case DType::F32:
    return ncclFloat32;
  case DType::F16:
    return ncclFloat16;
  case DType::BF16:
    return ncclBfloat16;
  case DType::I64:
    return ncclInt64;
  case DType::I32:
    return ncclInt32;
  case DType::I8:
    return ncclInt8;
  }
  return ncclInt8;
}

ncclRedOp_t ncclOp(ReduceOp op) {
  switch (op) {
  case ReduceOp::Sum:
    return ncclSum;
  case ReduceOp::Max:
    return ncclMax;
  case ReduceOp::Min:
    return ncclMin;
  case ReduceOp::Prod:
    return ncclProd;
  }
  return ncclSum;
}

Status ncclFailure(ncclComm_t comm, ncclResult_t result,
                   const std::string &what) {
  std::string text = what + ": " + ncclGetErrorString(result);
  const char *last = comm ? ncclGetLastError(comm) : nullptr;
  if (last && *last)
    text += " (" + std::string(last) + ")";
  StatusCode code = result == ncclRemoteError ? StatusCode::kPeerFailure
                    : result == ncclInvalidArgument || result == ncclInvalidUsage
                        ? StatusCode::kInvalidArgument
                        : StatusCode::kCommunicationError;
  return Status::error(code, text);
}

/// A non-blocking communicator answers ncclInProgress while it works;
/// polls its state until it settles, bounded by the watchdog.
Status settle(ncclComm_t comm, ncclResult_t result, const std::string &what) {
  if (result == ncclInProgress) {
    Backoff backoff;
    Watchdog::Watch watch = Watchdog::instance().watch(what);
    for (;;) {
      ncclResult_t state = ncclSuccess;
      ncclResult_t queried = ncclCommGetAsyncError(comm, &state);
      if (queried != ncclSuccess) {
        result = queried;
        break;
      }
      if (state != ncclInProgress) {
        result = state;
        break;
      }
      BRAID_RT_RETURN_IF_ERROR(watch.check());
      backoff.pause();
    }
  }
  if (result != ncclSuccess)
    return ncclFailure(comm, result, what);
  return Status::ok();
}

ncclConfig_t nonBlockingConfig() {
  ncclConfig_t config = NCCL_CONFIG_INITIALIZER;
  config.blocking = 0;
  return config;
}

Status useDevice(int device) {
  return cudaStatus(cudaSetDevice(device),
                    "cudaSetDevice(" + std::to_string(device) + ")");
}

/// Completes finished operations and reports an asynchronous error; false
/// once the communicator is gone.
bool poll(NcclCommunicator::State &state) {
  std::lock_guard<std::mutex> lock(state.flightMu);
  if (!state.alive)
    return false;
  for (auto it = state.inFlight.begin(); it != state.inFlight.end();) {
    cudaError_t error = cudaEventQuery(it->event);
    if (error == cudaErrorNotReady) {
      ++it;
      continue;
    }
    cudaEventDestroy(it->event);
    it = state.inFlight.erase(it); // releases the watch
  }
  ncclResult_t asyncError = ncclSuccess;
  if (state.asyncError.isOk() &&
      ncclCommGetAsyncError(state.comm, &asyncError) == ncclSuccess &&
      asyncError != ncclSuccess && asyncError != ncclInProgress)
    state.asyncError = Watchdog::instance().reportFailure(
        StatusCode::kPeerFailure,
        ncclFailure(state.comm, asyncError,
                    "NCCL communicator '" + state.name + "' failed")
            .message());
  return true;
}

} // namespace

NcclCommunicator::NcclCommunicator(std::string name, int rank, int size,
                                   std::vector<int> worldRanks,
                                   std::shared_ptr<State> state)
    : Communicator(std::move(name), rank, size, std::move(worldRanks)),
      state_(std::move(state)) {
  {
    std::lock_guard<std::mutex> lock(registryMu);
    registry().insert(state_.get());
  }
  std::shared_ptr<State> polled = state_;
  Watchdog::instance().addPoller([polled] { return poll(*polled); });
}

NcclCommunicator::~NcclCommunicator() {
  {
    std::lock_guard<std::mutex> lock(registryMu);
    registry().erase(state_.get());
  }
  bool failed;
  {
    std::lock_guard<std::mutex> lock(state_->flightMu);
    state_->alive = false;
    for (auto &flight : state_->inFlight)
      cudaEventDestroy(flight.event);
    state_->inFlight.clear();
    failed = !state_->asyncError.isOk();
  }
  std::lock_guard<std::mutex> lock(state_->callMu);
  (void)useDevice(state_->device);
  // Before finalizing, while the peers' proxies still answer. A failed
  // communicator is left to ncclCommAbort (below when owned), which drops
  // them without asking.
  if (!failed)
    for (auto &[base, registration] : state_->registrations)
      (void)ncclCommDeregister(state_->comm, registration.handle);
  state_->registrations.clear();
  if (state_->barrierWord)
    cudaFree(state_->barrierWord);
  if (state_->scratchPool)
    cudaMemPoolDestroy(state_->scratchPool);
  if (state_->owned) {
    Status finalized =
        settle(state_->comm, ncclCommFinalize(state_->comm),
               "finalizing NCCL communicator '" + state_->name + "'");
    if (finalized.isOk())
      ncclCommDestroy(state_->comm);
    else
      ncclCommAbort(state_->comm);
  }
}

ncclComm_t NcclCommunicator::handle() const { return state_->comm; }
int NcclCommunicator::device() const { return state_->device; }

void NcclCommunicator::abortAll() {
  // No ncclCommDeregister first: it waits for the peers' proxies, and a
  // peer that died never answers; ncclCommAbort sets the abort flag and then
  // frees the registrations itself.
  std::lock_guard<std::mutex> lock(registryMu);
  for (State *state : registry())
    if (state->owned)
      ncclCommAbort(state->comm);
}

Status NcclCommunicator::registerMemory(void *base, size_t bytes) {
  std::string what = describe("ncclCommRegister of " + std::to_string(bytes) +
                              " bytes");
  if (!base || bytes == 0)
    return Status::error(StatusCode::kInvalidArgument,
                         what + ": nothing to register (null or empty)");
  {
    std::lock_guard<std::mutex> lock(state_->flightMu);
    if (!state_->asyncError.isOk()) {
      Status failed = state_->asyncError;
      return failed.withContext(what);
    }
  }
  std::lock_guard<std::mutex> lock(state_->callMu);
  if (state_->registrations.count(base))
    return Status::error(StatusCode::kInvalidArgument,
                         what + ": that memory is already registered with "
                                "this communicator");
  BRAID_RT_RETURN_IF_ERROR(useDevice(state_->device));
  void *handle = nullptr;
  BRAID_RT_RETURN_IF_ERROR(settle(
      state_->comm, ncclCommRegister(state_->comm, base, bytes, &handle),
      what));
  state_->registrations[base] = MemoryRegistration{base, bytes, handle};
  return Status::ok();
}

Status NcclCommunicator::deregisterMemory(void *base) {
  std::lock_guard<std::mutex> lock(state_->callMu);
  auto found = state_->registrations.find(base);
  if (found == state_->registrations.end())
    return Status::error(StatusCode::kInvalidArgument,
                         describe("ncclCommDeregister") +
                             ": that memory is not registered with this "
                             "communicator");
  MemoryRegistration registration = found->second;
  state_->registrations.erase(found);
  std::string what = describe("ncclCommDeregister of " +
                              std::to_string(registration.bytes) + " bytes");
  {
    // A failed communicator is left to ncclCommAbort (see abortAll).
    std::lock_guard<std::mutex> flightLock(state_->flightMu);
    if (!state_->asyncError.isOk()) {
      Status failed = state_->asyncError;
      return failed.withContext(what);
    }
  }
  BRAID_RT_RETURN_IF_ERROR(useDevice(state_->device));
  return settle(state_->comm,
                ncclCommDeregister(state_->comm, registration.handle), what);
}

std::vector<NcclCommunicator::MemoryRegistration>
NcclCommunicator::registeredMemory() const {
  std::lock_guard<std::mutex> lock(state_->callMu);
  std::vector<MemoryRegistration> result;
  for (const auto &[base, registration] : state_->registrations)
    result.push_back(registration);
  return result;
}

StatusOr<std::unique_ptr<NcclCommunicator>>
NcclCommunicator::create(const ncclUniqueId &id, int size, int rank,
                         int device, std::string name,
                         std::vector<int> worldRanks) {
  BRAID_RT_RETURN_IF_ERROR(useDevice(device));
  if (worldRanks.empty())
    for (int i = 0; i < size; ++i)
      worldRanks.push_back(i);
  auto state = std::make_shared<State>();
  state->device = device;
  state->name = name;
  ncclConfig_t config = nonBlockingConfig();
  config.commName = state->name.c_str();
  ncclUniqueId uniqueId = id;
  std::string what = "creating NCCL communicator '" + name + "' (rank " +
                     std::to_string(rank) + " of " + std::to_string(size) +
                     ")";
  ncclResult_t result =
      ncclCommInitRankConfig(&state->comm, size, uniqueId, rank, &config);
  Status status = settle(state->comm, result, what);
  if (!status.isOk()) {
    if (state->comm)
      ncclCommAbort(state->comm);
    return status;
  }
  return std::unique_ptr<NcclCommunicator>(new NcclCommunicator(
      std::move(name), rank, size, std::move(worldRanks), std::move(state)));
}

StatusOr<std::unique_ptr<NcclCommunicator>>
NcclCommunicator::wrap(ncclComm_t comm, int device, std::string name) {
  if (!comm)
    return Status::error(StatusCode::kInvalidArgument,
                         "wrapping a null NCCL communicator");
  int rank = 0, size = 0;
  ncclResult_t result = ncclCommUserRank(comm, &rank);
  if (result == ncclSuccess)
    result = ncclCommCount(comm, &size);
  if (result != ncclSuccess)
    return ncclFailure(comm, result, "wrapping NCCL communicator '" + name + "'");
  auto state = std::make_shared<State>();
  state->comm = comm;
  state->owned = false;
  state->device = device;
  state->name = name;
  std::vector<int> worldRanks;
  for (int i = 0; i < size; ++i)
    worldRanks.push_back(i);
  return std::unique_ptr<NcclCommunicator>(new NcclCommunicator(
      std::move(name), rank, size, std::move(worldRanks), std::move(state)));
}

Status NcclCommunicator::enqueue(
    const std::string &what, Stream &stream,
    const std::function<ncclResult_t(cudaStream_t)> &launch) {
  return enqueueWork(what, stream,
                     "its GPU work has not finished (NCCL does not say "
                     "which ranks are missing)",
                     [&](CudaStream &cuda) {
                       return settle(state_->comm, launch(cuda.handle()),
                                     what);
                     });
}

Status NcclCommunicator::enqueueWork(
    const std::string &what, Stream &stream, const std::string &pending,
    const std::function<Status(CudaStream &)> &work) {
  auto *cudaStream = dynamic_cast<CudaStream *>(&stream);
  if (!cudaStream)
    return Status::error(StatusCode::kInvalidArgument,
                         what + ": the nccl engine runs on cuda streams; "
                                "stream '" +
                             stream.name() + "' is not one");
  {
    std::lock_guard<std::mutex> lock(state_->flightMu);
    if (!state_->asyncError.isOk()) {
      Status failed = state_->asyncError;
      return failed.withContext(what);
    }
  }
  std::lock_guard<std::mutex> lock(state_->callMu);
  BRAID_RT_RETURN_IF_ERROR(useDevice(state_->device));
  BRAID_RT_RETURN_IF_ERROR(work(*cudaStream));
  cudaEvent_t event = nullptr;
  BRAID_RT_RETURN_IF_ERROR(cudaStatus(
      cudaEventCreateWithFlags(&event, cudaEventDisableTiming), what));
  cudaError_t recorded = cudaEventRecord(event, cudaStream->handle());
  if (recorded != cudaSuccess) {
    cudaEventDestroy(event);
    return cudaStatus(recorded, what);
  }
  std::lock_guard<std::mutex> flightLock(state_->flightMu);
  state_->inFlight.push_back(
      State::InFlight{event, Watchdog::instance().watch(what, pending)});
  return Status::ok();
}

Status NcclCommunicator::allReduce(const void *send, void *recv, size_t count,
                                   DType dtype, ReduceOp op, Stream &stream) {
  const char *name = "all_reduce";
  BRAID_RT_RETURN_IF_ERROR(checkDType(name, dtype));
  BRAID_RT_RETURN_IF_ERROR(checkReduceOp(name, op));
  BRAID_RT_RETURN_IF_ERROR(checkBuffer(name, send, count, "send"));
  BRAID_RT_RETURN_IF_ERROR(checkBuffer(name, recv, count, "receive"));
  BRAID_RT_RETURN_IF_ERROR(checkStream(name, stream, DeviceKind::Cuda));
  std::string what =
      label(name, nextSequence(), reductionDetail(dtype, op, count));
  return enqueue(what, stream, [&](cudaStream_t cuda) {
    return ncclAllReduce(send, recv, count, ncclType(dtype), ncclOp(op),
                         state_->comm, cuda);
  });
}

Status NcclCommunicator::allGather(const void *send, void *recv,
                                   size_t sendCount, DType dtype,
                                   Stream &stream) {
  const char *name = "all_gather";
  BRAID_RT_RETURN_IF_ERROR(checkDType(name, dtype));
  BRAID_RT_RETURN_IF_ERROR(checkBuffer(name, send, sendCount, "send"));
  BRAID_RT_RETURN_IF_ERROR(checkBuffer(name, recv, sendCount, "receive"));
  BRAID_RT_RETURN_IF_ERROR(checkStream(name, stream, DeviceKind::Cuda));
  std::string what = label(name, nextSequence(),
                           elementsDetail(dtype, sendCount, "elements per rank"));
  return enqueue(what, stream, [&](cudaStream_t cuda) {
    return ncclAllGather(send, recv, sendCount, ncclType(dtype), state_->comm,
                         cuda);
  });
}

Status NcclCommunicator::reduceScatter(const void *send, void *recv,
                                       size_t recvCount, DType dtype,
                                       ReduceOp op, Stream &stream) {
  const char *name = "reduce_scatter";
  BRAID_RT_RETURN_IF_ERROR(checkDType(name, dtype));
  BRAID_RT_RETURN_IF_ERROR(checkReduceOp(name, op));
  BRAID_RT_RETURN_IF_ERROR(checkBuffer(name, send, recvCount, "send"));
  BRAID_RT_RETURN_IF_ERROR(checkBuffer(name, recv, recvCount, "receive"));
  BRAID_RT_RETURN_IF_ERROR(checkStream(name, stream, DeviceKind::Cuda));
  std::string what = label(name, nextSequence(),
                           reductionDetail(dtype, op, recvCount) + " per rank");
  return enqueue(what, stream, [&](cudaStream_t cuda) {
    return ncclReduceScatter(send, recv, recvCount, ncclType(dtype),
                             ncclOp(op), state_->comm, cuda);
  });
}

Status NcclCommunicator::allToAll(const void *send, void *recv,
                                  size_t countPerPeer, DType dtype,
                                  Stream &stream) {
  const char *name = "all_to_all";
  BRAID_RT_RETURN_IF_ERROR(checkDType(name, dtype));
  BRAID_RT_RETURN_IF_ERROR(checkBuffer(name, send, countPerPeer, "send"));
  BRAID_RT_RETURN_IF_ERROR(checkBuffer(name, recv, countPerPeer, "receive"));
  BRAID_RT_RETURN_IF_ERROR(checkStream(name, stream, DeviceKind::Cuda));
  std::string what =
      label(name, nextSequence(),
            elementsDetail(dtype, countPerPeer, "elements per pair"));
  return enqueue(what, stream, [&](cudaStream_t cuda) {
    return ncclAlltoAll(send, recv, countPerPeer, ncclType(dtype),
                        state_->comm, cuda);
  });
}

namespace {

/// Ends a group whatever happened inside it; the first error wins.
ncclResult_t endGroup(ncclResult_t inside) {
  ncclResult_t ended = ncclGroupEnd();
  return inside != ncclSuccess ? inside : ended;
}

} // namespace

Status NcclCommunicator::allToAllV(const void *send, const size_t *sendCounts,
                                   const size_t *sendOffsets, void *recv,
                                   const size_t *recvCounts,
                                   const size_t *recvOffsets, DType dtype,
                                   Stream &stream) {
  const char *name = "all_to_all_v";
  BRAID_RT_RETURN_IF_ERROR(checkDType(name, dtype));
  BRAID_RT_RETURN_IF_ERROR(checkStream(name, stream, DeviceKind::Cuda));
  if (!sendCounts || !sendOffsets || !recvCounts || !recvOffsets)
    return invalid(name, "count and offset arrays must not be null");
  size_t sendTotal = 0, recvTotal = 0;
  for (int peer = 0; peer < size(); ++peer) {
    sendTotal += sendCounts[peer];
    recvTotal += recvCounts[peer];
  }
  BRAID_RT_RETURN_IF_ERROR(checkBuffer(name, send, sendTotal, "send"));
  BRAID_RT_RETURN_IF_ERROR(checkBuffer(name, recv, recvTotal, "receive"));
  std::string what =
      label(name, nextSequence(),
            std::string(dtypeName(dtype)) + ", " + std::to_string(sendTotal) +
                " elements sent, " + std::to_string(recvTotal) + " received");
  size_t element = dtypeSize(dtype);
  return enqueue(what, stream, [&](cudaStream_t cuda) {
    ncclResult_t result = ncclGroupStart();
    if (result != ncclSuccess)
      return result;
    for (int peer = 0; peer < size() && result == ncclSuccess; ++peer) {
      if (sendCounts[peer] > 0)
        result = ncclSend(static_cast<const char *>(send) +
                              sendOffsets[peer] * element,
                          sendCounts[peer], ncclType(dtype), peer,
                          state_->comm, cuda);
      if (result == ncclSuccess && recvCounts[peer] > 0)
        result = ncclRecv(static_cast<char *>(recv) +
                              recvOffsets[peer] * element,
                          recvCounts[peer], ncclType(dtype), peer,
                          state_->comm, cuda);
    }
    return endGroup(result);
  });
}

Status NcclCommunicator::broadcast(const void *send, void *recv, size_t count,
                                   DType dtype, int root, Stream &stream) {
  const char *name = "broadcast";
  BRAID_RT_RETURN_IF_ERROR(checkDType(name, dtype));
  BRAID_RT_RETURN_IF_ERROR(checkPeer(name, root, "root"));
  if (rank() == root)
    BRAID_RT_RETURN_IF_ERROR(checkBuffer(name, send, count, "send"));
  BRAID_RT_RETURN_IF_ERROR(checkBuffer(name, recv, count, "receive"));
  BRAID_RT_RETURN_IF_ERROR(checkStream(name, stream, DeviceKind::Cuda));
  std::string what = label(name, nextSequence(),
                           elementsDetail(dtype, count, "elements") +
                               " from rank " + std::to_string(root));
  return enqueue(what, stream, [&](cudaStream_t cuda) {
    return ncclBroadcast(send, recv, count, ncclType(dtype), root,
                         state_->comm, cuda);
  });
}

Status NcclCommunicator::sendRecv(const std::vector<PeerTransfer> &transfers,
                                  Stream &stream) {
  const char *name = "send_recv";
  BRAID_RT_RETURN_IF_ERROR(checkStream(name, stream, DeviceKind::Cuda));
  std::string detail;
  BRAID_RT_RETURN_IF_ERROR(checkTransfers(name, transfers, &detail));
  std::string what = label(name, nextSequence(), detail);
  return enqueue(what, stream, [&](cudaStream_t cuda) {
    ncclResult_t result = ncclGroupStart();
    if (result != ncclSuccess)
      return result;
    for (const PeerTransfer &transfer : transfers) {
      if (result != ncclSuccess)
        break;
      result = transfer.kind == PeerTransfer::Kind::Send
                   ? ncclSend(transfer.buffer, transfer.count,
                              ncclType(transfer.dtype), transfer.peer,
                              state_->comm, cuda)
                   : ncclRecv(transfer.buffer, transfer.count,
                              ncclType(transfer.dtype), transfer.peer,
                              state_->comm, cuda);
    }
    return endGroup(result);
  });
}

Status NcclCommunicator::barrier(Stream &stream) {
  const char *name = "barrier";
  BRAID_RT_RETURN_IF_ERROR(checkStream(name, stream, DeviceKind::Cuda));
  {
    std::lock_guard<std::mutex> lock(state_->callMu);
    if (!state_->barrierWord) {
      BRAID_RT_RETURN_IF_ERROR(useDevice(state_->device));
      BRAID_RT_RETURN_IF_ERROR(
          cudaStatus(cudaMalloc(&state_->barrierWord, sizeof(int)),
                     describe(name) + ": allocating its word"));
    }
  }
  std::string what = label(name, nextSequence(), "");
  // NCCL has no barrier: an all_reduce of one word on the stream.
  return enqueue(what, stream, [&](cudaStream_t cuda) {
    return ncclAllReduce(state_->barrierWord, state_->barrierWord, 1, ncclInt32,
                         ncclSum, state_->comm, cuda);
  });
}

StatusOr<std::unique_ptr<Communicator>>
NcclCommunicator::split(int color, int key, std::string name) {
  std::string what = label("split", nextSequence(), "into '" + name + "'");
  if (color < 0)
    return Status::error(StatusCode::kInvalidArgument,
                         what + ": color " + std::to_string(color) +
                             " is negative");
  // Everyone's (color, key), to know the members' world ranks.
  auto streamOr = CudaStream::create(state_->device, "split", 0);
  if (!streamOr.isOk())
    return streamOr.takeStatus();
  CudaStream &stream = *streamOr.value();
  int *table = nullptr;
  BRAID_RT_RETURN_IF_ERROR(useDevice(state_->device));
  BRAID_RT_RETURN_IF_ERROR(cudaStatus(
      cudaMalloc(&table, 2 * sizeof(int) * size()), what + ": cudaMalloc"));
  std::unique_ptr<int, decltype(&cudaFree)> tableOwner(table, cudaFree);
  int mine[2] = {color, key};
  BRAID_RT_RETURN_IF_ERROR(cudaStatus(
      cudaMemcpy(table + 2 * rank(), mine, sizeof(mine), cudaMemcpyHostToDevice),
      what + ": cudaMemcpy"));
  BRAID_RT_RETURN_IF_ERROR(enqueue(what, stream, [&](cudaStream_t cuda) {
    return ncclAllGather(table + 2 * rank(), table, 2, ncclInt32, state_->comm,
                         cuda);
  }));
  BRAID_RT_RETURN_IF_ERROR(stream.synchronize());
  std::vector<int> all(2 * size());
  BRAID_RT_RETURN_IF_ERROR(
      cudaStatus(cudaMemcpy(all.data(), table, all.size() * sizeof(int),
                            cudaMemcpyDeviceToHost),
                 what + ": cudaMemcpy"));
  std::vector<std::pair<std::pair<int, int>, int>> members;
  for (int member = 0; member < size(); ++member)
    if (all[2 * member] == color)
      members.push_back({{all[2 * member + 1], member}, member});
  std::sort(members.begin(), members.end());
  std::vector<int> worldRanks;
  int newRank = 0;
  for (size_t i = 0; i < members.size(); ++i) {
    worldRanks.push_back(this->worldRanks()[members[i].second]);
    if (members[i].second == rank())
      newRank = static_cast<int>(i);
  }

  auto state = std::make_shared<State>();
  state->device = state_->device;
  state->name = name;
  ncclConfig_t config = nonBlockingConfig();
  config.commName = state->name.c_str();
  {
    std::lock_guard<std::mutex> lock(state_->callMu);
    ncclResult_t result =
        ncclCommSplit(state_->comm, color, key, &state->comm, &config);
    BRAID_RT_RETURN_IF_ERROR(settle(state_->comm, result, what));
    if (state->comm)
      BRAID_RT_RETURN_IF_ERROR(settle(state->comm, ncclInProgress, what));
  }
  int members_ = static_cast<int>(members.size());
  return std::unique_ptr<Communicator>(
      new NcclCommunicator(std::move(name), newRank, members_,
                           std::move(worldRanks), std::move(state)));
}

//===----------------------------------------------------------------------===//
// Triggered collectives: stream memory waits on the trigger, then NCCL
//===----------------------------------------------------------------------===//
//
// Everything is enqueued on the operation's stream at once and the host
// returns: the stream waits for each chunk's release with a stream memory
// operation (cuStreamWaitValue64 GEQ on the counter's word, done by the
// stream's front end, so no SM spins and nothing holds the host), then runs
// the chunk's NCCL group and, in the ring, the fold kernel. The producer
// raises the counter from its own stream (a stream memory write after each
// tile's GEMM, or a kernel's release atomic).

namespace {

char *bytesAt(void *base, size_t offset) {
  return static_cast<char *>(base) + offset;
}
const char *bytesAt(const void *base, size_t offset) {
  return static_cast<const char *>(base) + offset;
}

/// One NCCL group: `chunk` (`count` elements) to every other member, and
/// each member's counterpart into `recv` + member * blockBytes +
/// chunkOffset. The exchange of all_gather and of all_reduce's reduced
/// chunks.
ncclResult_t exchangeChunk(const void *chunk, size_t count,
                           ncclDataType_t type, void *recv, size_t blockBytes,
                           size_t chunkOffset, int members, int me,
                           ncclComm_t comm, cudaStream_t stream) {
  ncclResult_t result = ncclGroupStart();
  for (int peer = 0; peer < members && result == ncclSuccess; ++peer) {
    if (peer == me)
      continue;
    result = ncclSend(chunk, count, type, peer, comm, stream);
    if (result == ncclSuccess)
      result = ncclRecv(bytesAt(recv, peer * blockBytes + chunkOffset), count,
                        type, peer, comm, stream);
  }
  return endGroup(result);
}

std::string pendingTrigger(const Trigger &trigger, uint64_t lastValue) {
  return "its GPU work has not finished: the stream waits for counter '" +
         trigger.counter->name() + "' to reach up to " +
         std::to_string(lastValue) +
         " (the producer has not released every chunk) or for peers (NCCL "
         "does not say which)";
}

} // namespace

StatusOr<void *> NcclCommunicator::takeScratch(size_t bytes,
                                               cudaStream_t stream,
                                               const std::string &what) {
  // Under callMu (enqueueWork).
  if (!state_->scratchPool) {
    cudaMemPoolProps props;
    std::memset(&props, 0, sizeof(props));
    props.allocType = cudaMemAllocationTypePinned;
    props.location.type = cudaMemLocationTypeDevice;
    props.location.id = state_->device;
    BRAID_RT_RETURN_IF_ERROR(
        cudaStatus(cudaMemPoolCreate(&state_->scratchPool, &props),
                   what + ": creating the scratch memory pool"));
    // Keep freed memory in the pool: the next step allocates the same
    // bytes again without going to the driver.
    uint64_t keepAll = UINT64_MAX;
    BRAID_RT_RETURN_IF_ERROR(cudaStatus(
        cudaMemPoolSetAttribute(state_->scratchPool,
                                cudaMemPoolAttrReleaseThreshold, &keepAll),
        what + ": configuring the scratch memory pool"));
  }
  void *scratch = nullptr;
  BRAID_RT_RETURN_IF_ERROR(cudaStatus(
      cudaMallocFromPoolAsync(&scratch, bytes, state_->scratchPool, stream),
      what + ": " + std::to_string(bytes) + " bytes of scratch"));
  return scratch;
}

Status NcclCommunicator::runRingReduceScatter(const std::string &what,
                                              CudaStream &stream,
                                              const TriggeredRing &ring,
                                              DType dtype, ReduceOp op,
                                              const Trigger &trigger) {
  size_t members = ring.members, me = ring.me;
  size_t chunkBytes = ring.chunkBytes, chunkCount = ring.chunkCount;
  cudaStream_t cuda = stream.handle();
  ncclComm_t comm = state_->comm;
  ncclDataType_t type = ncclType(dtype);
  // Partials: sub-chunk q of step s arrives in slot (s % 2) * k + q, so a
  // step sends from one slot while the next step's partial lands in the
  // other (the group completes both before the stream moves on).
  char *slots = nullptr;
  if (members > 1) {
    auto scratch =
        takeScratch(2 * ring.chunksPerRank * chunkBytes, cuda, what);
    if (!scratch)
      return scratch.takeStatus();
    slots = static_cast<char *>(scratch.value());
  }
  auto slotAt = [&](size_t step, size_t q) {
    return slots + ((step % 2) * ring.chunksPerRank + q) * chunkBytes;
  };
  Status status = Status::ok();
  for (size_t position = 0; position < ring.chunks && status.isOk();
       ++position) {
    size_t step = ring.step(position), q = ring.subChunk(position);
    status = stream.wait(*trigger.counter,
                         trigger.readyValue(ring.chunks, position));
    if (!status.isOk())
      break;
    const char *own = ring.ownAt(ring.blockAt(position), q);
    char *result = ring.resultAt(me, q);
    if (members == 1) {
      if (result != own)
        status = cudaStatus(cudaMemcpyAsync(result, own, chunkBytes,
                                            cudaMemcpyDeviceToDevice, cuda),
                            what + ": copying a chunk");
      continue;
    }
    const char *outgoing = own;
    if (step > 0) {
      // received (the left's partial) op own, as the MPI engine folds.
      char *partial = slotAt(step, q);
      char *target = step + 1 < members ? partial : result;
      status = cudaStatus(enqueueChunkFold(target, partial, own, chunkCount,
                                           dtype, op, cuda),
                          what + ": the fold kernel");
      outgoing = partial;
      if (!status.isOk() || step + 1 == members)
        continue;
    }
    // Send this step's partial right; receive the next step's from the left.
    ncclResult_t called = ncclGroupStart();
    if (called == ncclSuccess)
      called = ncclSend(outgoing, chunkCount, type, ring.right, comm, cuda);
    if (called == ncclSuccess)
      called = ncclRecv(slotAt(step + 1, q), chunkCount, type, ring.left,
                        comm, cuda);
    status = settle(comm, endGroup(called), what);
  }
  // Every member's reduced sub-chunk q to every member: the owner's bytes.
  for (size_t q = 0; q < ring.chunksPerRank && ring.gather && members > 1 &&
                     status.isOk();
       ++q)
    status = settle(comm,
                    exchangeChunk(ring.resultAt(me, q), chunkCount, type,
                                  ring.recv, ring.blockCount * ring.element,
                                  q * chunkBytes, static_cast<int>(members),
                                  static_cast<int>(me), comm, cuda),
                    what);
  if (slots) {
    Status freed = cudaStatus(cudaFreeAsync(slots, cuda),
                              what + ": freeing its scratch");
    if (status.isOk())
      status = freed;
  }
  return status;
}

Status NcclCommunicator::enqueueTriggeredRing(
    const TriggeredOp &op, const void *send, void *recv, size_t blockCount,
    DType dtype, ReduceOp reduction, const Trigger &trigger,
    size_t chunksPerRank, bool gather, Stream &stream) {
  size_t chunks = size() * chunksPerRank;
  return enqueueWork(
      op.what, stream,
      pendingTrigger(trigger, trigger.readyValue(chunks, chunks - 1)),
      [&](CudaStream &cuda) {
        return runRingReduceScatter(
            op.what, cuda,
            TriggeredRing(rank(), size(), send, recv, blockCount, dtype,
                          chunksPerRank, gather),
            dtype, reduction, trigger);
      });
}

Status NcclCommunicator::enqueueTriggeredAllGather(
    const TriggeredOp &op, const void *send, void *recv, size_t sendCount,
    DType dtype, const Trigger &trigger, size_t chunks, Stream &stream) {
  const std::string &what = op.what;
  size_t members = size();
  size_t me = rank();
  size_t blockBytes = sendCount * dtypeSize(dtype);
  size_t chunkBytes = blockBytes / chunks;
  size_t chunkCount = sendCount / chunks;
  ncclDataType_t type = ncclType(dtype);
  return enqueueWork(
      what, stream, pendingTrigger(trigger, trigger.readyValue(chunks, chunks - 1)),
      [&](CudaStream &cudaStream) {
        cudaStream_t cuda = cudaStream.handle();
        char *mine = bytesAt(recv, me * blockBytes);
        for (size_t q = 0; q < chunks; ++q) {
          BRAID_RT_RETURN_IF_ERROR(
              cudaStream.wait(*trigger.counter, trigger.readyValue(chunks, q)));
          const char *chunk = bytesAt(send, q * chunkBytes);
          if (members > 1)
            BRAID_RT_RETURN_IF_ERROR(settle(
                state_->comm,
                exchangeChunk(chunk, chunkCount, type, recv, blockBytes,
                              q * chunkBytes, static_cast<int>(members),
                              static_cast<int>(me), state_->comm, cuda),
                what));
          if (send != mine)
            BRAID_RT_RETURN_IF_ERROR(cudaStatus(
                cudaMemcpyAsync(mine + q * chunkBytes, chunk, chunkBytes,
                                cudaMemcpyDeviceToDevice, cuda),
                what + ": copying this rank's chunk"));
        }
        return Status::ok();
      });
}

//===----------------------------------------------------------------------===//
// Contexts
//===----------------------------------------------------------------------===//

namespace {

StatusOr<std::unique_ptr<Context>>
makeContext(std::unique_ptr<CudaDevice> device,
            std::unique_ptr<NcclCommunicator> world,
            std::function<void()> abortJob, std::function<void()> finalize) {
  Watchdog &watchdog = Watchdog::instance();
  watchdog.setProcessLabel("rank " + std::to_string(world->rank()));
  watchdog.setAbortHandler([abortJob] {
    NcclCommunicator::abortAll();
    if (abortJob)
      abortJob();
  });
  Device &deviceRef = *device;
  return std::make_unique<Context>(deviceRef, std::move(device),
                                   std::move(world), std::move(finalize));
}

} // namespace

StatusOr<std::unique_ptr<Context>> createNcclContext(ncclComm_t comm,
                                                     int cudaDevice) {
  auto device = CudaDevice::open(cudaDevice);
  if (!device.isOk())
    return device.takeStatus();
  auto world = NcclCommunicator::wrap(comm, cudaDevice, "world");
  if (!world.isOk())
    return world.takeStatus();
  return makeContext(std::move(device.value()), std::move(world.value()),
                     nullptr, nullptr);
}

StatusOr<std::unique_ptr<Context>>
createNcclContext(const ncclUniqueId &id, int size, int rank, int cudaDevice) {
  auto device = CudaDevice::open(cudaDevice);
  if (!device.isOk())
    return device.takeStatus();
  auto world = NcclCommunicator::create(id, size, rank, cudaDevice, "world");
  if (!world.isOk())
    return world.takeStatus();
  return makeContext(std::move(device.value()), std::move(world.value()),
                     nullptr, nullptr);
}

StatusOr<std::unique_ptr<Context>> initNcclContext(int *argc, char ***argv,
                                                   int cudaDevice) {
  auto device = CudaDevice::open(cudaDevice);
  if (!device.isOk())
    return device.takeStatus();
  ncclUniqueId id;
  std::memset(&id, 0, sizeof(id));
  int rank = 0, size = 1;
  std::function<void()> finalize, abortJob;
#ifdef BRAID_RT_HAVE_MPI
  auto mpiFinalize = initializeMpi(argc, argv);
  if (!mpiFinalize.isOk())
    return mpiFinalize.takeStatus();
  finalize = std::move(mpiFinalize.value());
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  abortJob = [] { MPI_Abort(MPI_COMM_WORLD, Watchdog::kExitCode); };
  Watchdog::instance().setAbortHandler(abortJob);
#else
  (void)argc;
  (void)argv;
#endif
  if (rank == 0) {
    ncclResult_t result = ncclGetUniqueId(&id);
    if (result != ncclSuccess) {
      if (finalize)
        finalize();
      return ncclFailure(nullptr, result, "ncclGetUniqueId");
    }
  }
#ifdef BRAID_RT_HAVE_MPI
  {
    Watchdog::Watch watch = Watchdog::instance().watchBlocking(
        "broadcasting the NCCL unique id (MPI_Bcast)");
    int rc = MPI_Bcast(&id, sizeof(id), MPI_BYTE, 0, MPI_COMM_WORLD);
    if (rc != MPI_SUCCESS) {
      if (finalize)
        finalize();
      return Status::error(StatusCode::kCommunicationError,
                           "broadcasting the NCCL unique id failed");
    }
  }
#endif
  auto world = NcclCommunicator::create(id, size, rank, cudaDevice, "world");
  if (!world.isOk()) {
    if (finalize)
      finalize();
    return world.takeStatus();
  }
  auto context = makeContext(std::move(device.value()), std::move(world.value()),
                             abortJob, std::move(finalize));
  if (context.isOk())
    Watchdog::instance().installSignalReport();
  return context;
}

} // namespace braid_rt
