//===- Communicator.cpp - one interface, MPI and NCCL engines -------------===//

#include "braid_rt/Communicator.h"

#include <cstdint>

namespace braid_rt {

Communicator::~Communicator() = default;

Status Communicator::registerMemory(void *, size_t) { return Status::ok(); }

int64_t chunkAt(ChunkOrder order, int rank, int size, int64_t chunks,
                int64_t position) {
  if (order != ChunkOrder::Ring || size <= 0 || chunks % size != 0)
    return position;
  int64_t perRank = chunks / size;
  int64_t step = position / perRank;
  int64_t block = ((rank - step - 1) % size + size) % size;
  return block * perRank + position % perRank;
}

Status Communicator::deregisterMemory(void *) { return Status::ok(); }

bool rangesOverlap(const void *a, size_t aBytes, const void *b,
                   size_t bBytes) {
  auto x = reinterpret_cast<uintptr_t>(a);
  auto y = reinterpret_cast<uintptr_t>(b);
  return aBytes > 0 && bBytes > 0 && x < y + bBytes && y < x + aBytes;
}

TriggeredRing::TriggeredRing(int rank, int size, const void *send,
                             void *recv, size_t blockCount, DType dtype,
                             size_t chunksPerRank, bool gather)
    : members(static_cast<size_t>(size)), me(static_cast<size_t>(rank)),
      element(dtypeSize(dtype)), blockCount(blockCount),
      chunksPerRank(chunksPerRank), chunkCount(blockCount / chunksPerRank),
      chunkBytes(chunkCount * element), chunks(members * chunksPerRank),
      left((rank + size - 1) % size), right((rank + 1) % size), send(send),
      recv(recv), gather(gather) {}

size_t TriggeredRing::blockAt(size_t position) const {
  return static_cast<size_t>(chunkAt(ChunkOrder::Ring, static_cast<int>(me),
                                     static_cast<int>(members),
                                     static_cast<int64_t>(chunks),
                                     static_cast<int64_t>(position))) /
         chunksPerRank;
}

const char *TriggeredRing::ownAt(size_t block, size_t q) const {
  return static_cast<const char *>(send) +
         (block * blockCount + q * chunkCount) * element;
}

char *TriggeredRing::resultAt(size_t member, size_t q) const {
  return static_cast<char *>(recv) +
         ((gather ? member * blockCount : 0) + q * chunkCount) * element;
}

//===----------------------------------------------------------------------===//
// Checks shared by the engines' triggered collectives
//===----------------------------------------------------------------------===//

Status Communicator::checkTrigger(const std::string &operation,
                                  const Trigger &trigger, size_t chunks,
                                  size_t count, const char *countName,
                                  DeviceKind kind) const {
  if (!trigger.counter)
    return invalid(operation, "the trigger has no counter");
  if (trigger.counter->kind() != kind)
    return invalid(operation, std::string("the ") + engineName(engine()) +
                                  " engine waits on " + deviceKindName(kind) +
                                  " counters; counter '" +
                                  trigger.counter->name() + "' is " +
                                  deviceKindName(trigger.counter->kind()));
  if (chunks == 0)
    return invalid(operation, "0 chunks (at least 1)");
  if (trigger.tilesPerChunk == 0)
    return invalid(operation, "0 tiles per chunk (at least 1)");
  if (count % chunks != 0)
    return invalid(operation, std::string(countName) + " " +
                                  std::to_string(count) +
                                  " is not a multiple of the " +
                                  std::to_string(chunks) + " chunks");
  return Status::ok();
}

namespace {

std::string triggerDetail(const Trigger &trigger) {
  return "counter '" + trigger.counter->name() + "' epoch " +
         std::to_string(trigger.epoch);
}

/// The device whose streams and counters an engine's operations take.
DeviceKind deviceKindOf(Engine engine) {
  return engine == Engine::Nccl ? DeviceKind::Cuda : DeviceKind::Cpu;
}

} // namespace

Status Communicator::checkTriggeredReduction(const char *name,
                                             const void *send, void *recv,
                                             size_t count, DType dtype,
                                             ReduceOp op,
                                             Stream &stream) const {
  BRAID_RT_RETURN_IF_ERROR(checkDType(name, dtype));
  BRAID_RT_RETURN_IF_ERROR(checkReduceOp(name, op));
  BRAID_RT_RETURN_IF_ERROR(checkBuffer(name, send, count, "send"));
  BRAID_RT_RETURN_IF_ERROR(checkBuffer(name, recv, count, "receive"));
  return checkStream(name, stream, deviceKindOf(engine()));
}

Status Communicator::reduceScatterTriggered(const void *send, void *recv,
                                            size_t recvCount, DType dtype,
                                            ReduceOp op,
                                            const Trigger &trigger,
                                            size_t chunksPerRank,
                                            Stream &stream) {
  const char *name = "reduce_scatter_triggered";
  BRAID_RT_RETURN_IF_ERROR(checkTriggeredReduction(
      name, send, recv, recvCount, dtype, op, stream));
  BRAID_RT_RETURN_IF_ERROR(checkTrigger(name, trigger, chunksPerRank,
                                        recvCount, "recv_count",
                                        deviceKindOf(engine())));
  size_t element = dtypeSize(dtype);
  if (rangesOverlap(send, size() * recvCount * element, recv,
                    recvCount * element))
    return invalid(name, "the send and receive buffers overlap");
  uint64_t sequence = nextSequence();
  TriggeredOp accepted{
      sequence,
      label(name, sequence,
            reductionDetail(dtype, op, recvCount) + " per rank, " +
                std::to_string(chunksPerRank) + " chunks per rank, " +
                triggerDetail(trigger))};
  if (recvCount == 0)
    return Status::ok();
  return enqueueTriggeredRing(accepted, send, recv, recvCount, dtype, op,
                              trigger, chunksPerRank, false, stream);
}

Status Communicator::allReduceTriggered(const void *send, void *recv,
                                        size_t count, DType dtype, ReduceOp op,
                                        const Trigger &trigger,
                                        size_t chunksPerRank, Stream &stream) {
  const char *name = "all_reduce_triggered";
  BRAID_RT_RETURN_IF_ERROR(
      checkTriggeredReduction(name, send, recv, count, dtype, op, stream));
  BRAID_RT_RETURN_IF_ERROR(checkTrigger(name, trigger, size() * chunksPerRank,
                                        count, "count",
                                        deviceKindOf(engine())));
  size_t bytes = count * dtypeSize(dtype);
  if (send != recv && rangesOverlap(send, bytes, recv, bytes))
    return invalid(name, "the send and receive buffers overlap without "
                         "being the same");
  uint64_t sequence = nextSequence();
  TriggeredOp accepted{sequence,
                       label(name, sequence,
                             reductionDetail(dtype, op, count) + ", " +
                                 std::to_string(chunksPerRank) +
                                 " chunks per rank, " +
                                 triggerDetail(trigger))};
  if (count == 0)
    return Status::ok();
  return enqueueTriggeredRing(accepted, send, recv, count / size(), dtype, op,
                              trigger, chunksPerRank, true, stream);
}

Status Communicator::allGatherTriggered(const void *send, void *recv,
                                        size_t sendCount, DType dtype,
                                        const Trigger &trigger, size_t chunks,
                                        Stream &stream) {
  const char *name = "all_gather_triggered";
  DeviceKind kind = deviceKindOf(engine());
  BRAID_RT_RETURN_IF_ERROR(checkDType(name, dtype));
  BRAID_RT_RETURN_IF_ERROR(checkBuffer(name, send, sendCount, "send"));
  BRAID_RT_RETURN_IF_ERROR(checkBuffer(name, recv, sendCount, "receive"));
  BRAID_RT_RETURN_IF_ERROR(checkStream(name, stream, kind));
  BRAID_RT_RETURN_IF_ERROR(
      checkTrigger(name, trigger, chunks, sendCount, "send_count", kind));
  size_t blockBytes = sendCount * dtypeSize(dtype);
  const char *mine = static_cast<const char *>(recv) + rank() * blockBytes;
  if (send != mine &&
      rangesOverlap(send, blockBytes, recv, size() * blockBytes))
    return invalid(name, "the send buffer overlaps the receive buffer "
                         "without being this rank's block of it");
  uint64_t sequence = nextSequence();
  TriggeredOp accepted{
      sequence, label(name, sequence,
                      elementsDetail(dtype, sendCount, "elements per rank") +
                          ", " + std::to_string(chunks) + " chunks, " +
                          triggerDetail(trigger))};
  if (sendCount == 0)
    return Status::ok();
  return enqueueTriggeredAllGather(accepted, send, recv, sendCount, dtype,
                                   trigger, chunks, stream);
}

const char *engineName(Engine engine) {
  switch (engine) {
  case Engine::Mpi:
    return "mpi";
  case Engine::Nccl:
    return "nccl";
  }
  return "invalid-engine";
}

std::string Communicator::describe(const std::string &operation) const {
  std::string text = operation + " on communicator '" + name_ + "' (rank " +
                     std::to_string(rank_) + " of " + std::to_string(size_);
  if (rank_ >= 0 && rank_ < static_cast<int>(worldRanks_.size()) &&
      worldRanks_[rank_] != rank_)
    text += ", world rank " + std::to_string(worldRanks_[rank_]);
  return text + ")";
}

std::string Communicator::label(const char *operation, uint64_t sequence,
                                const std::string &detail) const {
  std::string text = std::string(operation) + " #" + std::to_string(sequence);
  if (!detail.empty())
    text += " (" + detail + ")";
  return describe(text);
}

std::string Communicator::reductionDetail(DType dtype, ReduceOp op,
                                          size_t count) {
  return std::string(dtypeName(dtype)) + " " + reduceOpName(op) + ", " +
         std::to_string(count) + " elements";
}

std::string Communicator::elementsDetail(DType dtype, size_t count,
                                         const char *unit) {
  return std::string(dtypeName(dtype)) + ", " + std::to_string(count) + " " +
         unit;
}

std::string Communicator::describeRanks(const std::vector<int> &ranks) const {
  std::string text;
  for (int rank : ranks) {
    if (!text.empty())
      text += ", ";
    text += std::to_string(rank);
    if (rank >= 0 && rank < static_cast<int>(worldRanks_.size()) &&
        worldRanks_[rank] != rank)
      text += " (world rank " + std::to_string(worldRanks_[rank]) + ")";
  }
  return text;
}

Status Communicator::invalid(const std::string &operation,
                             const std::string &what) const {
  return Status::error(StatusCode::kInvalidArgument,
                       describe(operation) + ": " + what);
}

Status Communicator::checkDType(const std::string &operation,
                                DType dtype) const {
  if (!isValid(dtype))
    return invalid(operation, "unknown element type " +
                                  std::to_string(static_cast<int>(dtype)));
  return Status::ok();
}

Status Communicator::checkReduceOp(const std::string &operation,
                                   ReduceOp op) const {
  if (!isValid(op))
    return invalid(operation, "unknown reduction " +
                                  std::to_string(static_cast<int>(op)));
  return Status::ok();
}

Status Communicator::checkPeer(const std::string &operation, int peer,
                               const char *role) const {
  if (peer < 0 || peer >= size_)
    return invalid(operation, std::string(role) + " " + std::to_string(peer) +
                                  " is not a rank of a communicator of size " +
                                  std::to_string(size_));
  return Status::ok();
}

Status Communicator::checkBuffer(const std::string &operation,
                                 const void *buffer, size_t count,
                                 const char *role) const {
  if (count > 0 && buffer == nullptr)
    return invalid(operation, std::string(role) + " buffer is null");
  return Status::ok();
}

Status Communicator::checkTransfers(const std::string &operation,
                                    const std::vector<PeerTransfer> &transfers,
                                    std::string *detail) const {
  size_t sent = 0, received = 0;
  for (const PeerTransfer &transfer : transfers) {
    BRAID_RT_RETURN_IF_ERROR(checkDType(operation, transfer.dtype));
    bool isSend = transfer.kind == PeerTransfer::Kind::Send;
    if (!isSend && transfer.kind != PeerTransfer::Kind::Recv)
      return invalid(operation, "a transfer is neither a send nor a receive");
    BRAID_RT_RETURN_IF_ERROR(checkPeer(
        operation, transfer.peer, isSend ? "send peer" : "receive peer"));
    BRAID_RT_RETURN_IF_ERROR(checkBuffer(operation, transfer.buffer,
                                         transfer.count,
                                         isSend ? "send" : "receive"));
    (isSend ? sent : received) += 1;
  }
  *detail = std::to_string(sent) + " sends, " + std::to_string(received) +
            " receives";
  return Status::ok();
}

Status Communicator::checkStream(const std::string &operation,
                                 const Stream &stream,
                                 DeviceKind expected) const {
  if (stream.kind() != expected)
    return invalid(operation,
                   std::string("the ") + engineName(engine()) +
                       " engine runs on " + deviceKindName(expected) +
                       " streams; stream '" + stream.name() + "' is " +
                       deviceKindName(stream.kind()));
  return Status::ok();
}

} // namespace braid_rt
