//===- MpiCommunicator.cpp - the MPI engine -------------------------------===//

#include "braid_rt/MpiCommunicator.h"
#include "braid_rt/Backoff.h"
#include "braid_rt/Watchdog.h"

#include <algorithm>
#include <climits>
#include <cstring>
#include <set>

namespace braid_rt {

namespace {

/// Largest message MPI's int counts carry in one piece; larger buffers go as
/// several messages, which MPI keeps in order per pair and tag.
constexpr size_t kMaxMessageBytes = size_t(1) << 30;

enum OpKind : int {
  kAllReduce = 0,
  kAllGather,
  kReduceScatter,
  kAllToAll,
  kAllToAllV,
  kBroadcast,
  kBarrier,
  kSplit,
  kReduceScatterTriggered,
  kAllReduceTriggered,
  kAllGatherTriggered,
  kNumOpKinds,
};
constexpr int kPhasesPerOp = 2;

std::string mpiErrorText(int code) {
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  if (MPI_Error_string(code, text, &length) != MPI_SUCCESS)
    return "MPI error " + std::to_string(code);
  return std::string(text, length);
}

char *bytesAt(void *base, size_t offset) {
  return static_cast<char *>(base) + offset;
}
const char *bytesAt(const void *base, size_t offset) {
  return static_cast<const char *>(base) + offset;
}

/// First element and length of chunk `index` when `count` elements are cut
/// into `parts` chunks, the first count % parts one element longer.
size_t chunkBegin(size_t count, size_t parts, size_t index) {
  return index * (count / parts) + std::min(index, count % parts);
}
size_t chunkLength(size_t count, size_t parts, size_t index) {
  return count / parts + (index < count % parts ? 1 : 0);
}

} // namespace

//===----------------------------------------------------------------------===//
// Pipeline and Round: the messages of one operation and their progress
//===----------------------------------------------------------------------===//

/// Messages posted one by one and completed individually, driven by one
/// loop that also waits for a producer's counter: MPI progresses only
/// inside MPI calls, so every wait (for a chunk's release or a partial sum's
/// arrival) keeps testing every open message. Between polls the worker
/// backs off as Backoff does, except that its sleeps are waits on the
/// counter it needs next, which end the moment the producer signals: a
/// chunk's transfer starts when it is released, not after a sleep.
class MpiCommunicator::Pipeline {
public:
  Pipeline(const MpiCommunicator &comm, MPI_Comm mpiComm, std::string what,
           Watchdog::Watch &watch)
      : comm_(comm), mpiComm_(mpiComm), what_(std::move(what)),
        watch_(watch) {}
  ~Pipeline() {
    // Left open only after an error (a timeout): the peers will not take or
    // send these messages any more; cancel receives, free what MPI allows.
    for (size_t i = 0; i < requests_.size(); ++i)
      if (requests_[i] != MPI_REQUEST_NULL) {
        if (isRecv_[i])
          MPI_Cancel(&requests_[i]);
        MPI_Request_free(&requests_[i]);
      }
  }

  /// Posts a receive; returns its handle for done().
  StatusOr<size_t> recv(void *buffer, size_t bytes, int peer, int tag) {
    return post(true, buffer, bytes, peer, tag);
  }

  Status send(const void *buffer, size_t bytes, int peer, int tag) {
    auto posted = post(false, const_cast<void *>(buffer), bytes, peer, tag);
    if (!posted)
      return posted.takeStatus();
    // A send completes while the worker waits for the next chunk.
    bool progressed = false;
    return test(progressed);
  }

  /// Polls until `counter` >= `value` (the chunk is released).
  Status waitForCounter(CpuCounter &counter, uint64_t value) {
    if (counter.value().value() >= value)
      return Status::ok();
    return waitUntil(
        [&] { return counter.value().value() >= value; }, &counter, value,
        [&] {
          return "counter '" + counter.name() + "' >= " +
                 std::to_string(value) + " (it is at " +
                 std::to_string(counter.value().value()) +
                 ": the producer has not released the chunk)";
        });
  }

  /// Polls until receive `handle` has completed.
  Status waitForTransfer(size_t handle) {
    return waitUntil([&] { return done(handle); }, nullptr, 0,
                     [&] { return openRanks(); });
  }

  /// Polls until every message has completed.
  Status waitAll() {
    return waitUntil(
        [&] {
          return std::all_of(requests_.begin(), requests_.end(),
                             [](MPI_Request r) { return r == MPI_REQUEST_NULL; });
        },
        nullptr, 0, [&] { return openRanks(); });
  }

private:
  /// One transfer, in pieces MPI's int counts carry.
  StatusOr<size_t> post(bool isRecv, void *buffer, size_t bytes, int peer,
                        int tag) {
    size_t first = requests_.size();
    for (size_t done = 0; done < bytes || (bytes == 0 && done == 0);
         done += kMaxMessageBytes) {
      int piece = static_cast<int>(std::min(kMaxMessageBytes, bytes - done));
      MPI_Request request;
      int rc = isRecv ? MPI_Irecv(bytesAt(buffer, done), piece, MPI_BYTE,
                                  peer, tag, mpiComm_, &request)
                      : MPI_Isend(bytesAt(buffer, done), piece, MPI_BYTE,
                                  peer, tag, mpiComm_, &request);
      if (rc != MPI_SUCCESS)
        return failure(std::string(isRecv ? "MPI_Irecv from" : "MPI_Isend to") +
                           " rank " + std::to_string(peer),
                       rc);
      add(request, peer, isRecv);
      if (bytes == 0)
        break;
    }
    transfers_.push_back({first, requests_.size()});
    return transfers_.size() - 1;
  }

  bool done(size_t handle) const {
    auto [first, last] = transfers_[handle];
    for (size_t i = first; i < last; ++i)
      if (requests_[i] != MPI_REQUEST_NULL)
        return false;
    return true;
  }

  Status test(bool &progressed) {
    progressed = false;
    if (requests_.empty())
      return Status::ok();
    indices_.resize(requests_.size());
    statuses_.resize(requests_.size());
    int completed = 0;
    int rc = MPI_Testsome(static_cast<int>(requests_.size()), requests_.data(),
                          &completed, indices_.data(), statuses_.data());
    if (rc != MPI_SUCCESS) {
      int code = rc, peer = -1;
      if (rc == MPI_ERR_IN_STATUS)
        for (int i = 0; i < completed; ++i)
          if (statuses_[i].MPI_ERROR != MPI_SUCCESS) {
            code = statuses_[i].MPI_ERROR;
            peer = peers_[indices_[i]];
            break;
          }
      return failure(peer >= 0 ? "message with rank " + std::to_string(peer)
                               : std::string("MPI_Testsome"),
                     code);
    }
    progressed = completed != MPI_UNDEFINED && completed > 0;
    return Status::ok();
  }

  template <typename Ready, typename Describe>
  Status waitUntil(Ready ready, CpuCounter *counter, uint64_t value,
                   Describe describe) {
    // Backoff's schedule: 8 re-polls, yields for 50 us, then sleeps of 1 us
    // doubling to 200 us (here: waits on the counter when there is one).
    int polls = 0;
    long sleepNs = 0;
    Watchdog::Clock::time_point yieldUntil{};
    for (;;) {
      bool progressed = false;
      BRAID_RT_RETURN_IF_ERROR(test(progressed));
      if (ready())
        return Status::ok();
      if (progressed) {
        polls = 0;
        sleepNs = 0;
        continue;
      }
      auto now = Watchdog::Clock::now();
      if (watch_.expired() || now >= watch_.deadline()) {
        watch_.setWaitingFor(describe());
        return watch_.expire();
      }
      bool nothingOpen = std::all_of(
          requests_.begin(), requests_.end(),
          [](MPI_Request r) { return r == MPI_REQUEST_NULL; });
      if (counter && nothingOpen) {
        // Nothing for MPI to progress: sleep on the counter until released
        // (or the deadline, which the next pass reports).
        watch_.setWaitingFor(describe());
        auto released = counter->waitAtLeastFor(
            value, watch_.deadline() - now, what_);
        if (!released)
          return released.takeStatus();
        continue;
      }
      ++polls;
      if (polls <= 8)
        continue;
      if (polls == 9) {
        yieldUntil = now + std::chrono::microseconds(50);
        watch_.setWaitingFor(describe());
      }
      if (sleepNs == 0 && now < yieldUntil) {
        sched_yield();
        continue;
      }
      sleepNs = sleepNs == 0 ? 1000 : std::min(sleepNs * 2, Backoff::kMaxSleepNs);
      if (counter) {
        auto released = counter->waitAtLeastFor(
            value, std::chrono::nanoseconds(sleepNs), what_);
        if (!released)
          return released.takeStatus();
        if (released.value())
          continue;
      } else {
        timespec duration{0, sleepNs};
        nanosleep(&duration, nullptr);
      }
    }
  }

  std::string openRanks() const {
    std::set<int> missing;
    for (size_t i = 0; i < requests_.size(); ++i)
      if (requests_[i] != MPI_REQUEST_NULL)
        missing.insert(peers_[i]);
    if (missing.empty())
      return std::string();
    return "ranks that did not arrive: " +
           comm_.describeRanks({missing.begin(), missing.end()});
  }

  void add(MPI_Request request, int peer, bool isRecv) {
    requests_.push_back(request);
    peers_.push_back(peer);
    isRecv_.push_back(isRecv);
  }

  Status failure(const std::string &call, int code) {
    return Status::error(StatusCode::kCommunicationError,
                         what_ + ": " + call + ": " + mpiErrorText(code));
  }

  const MpiCommunicator &comm_;
  MPI_Comm mpiComm_;
  std::string what_;
  Watchdog::Watch &watch_;
  std::vector<MPI_Request> requests_;
  std::vector<int> peers_;
  std::vector<bool> isRecv_;
  std::vector<std::pair<size_t, size_t>> transfers_;
  std::vector<int> indices_;
  std::vector<MPI_Status> statuses_;
};


/// Messages posted together and completed together (the untriggered
/// collectives): a Pipeline waited on as a whole.
class MpiCommunicator::Round : public MpiCommunicator::Pipeline {
public:
  using Pipeline::Pipeline;
  Status recv(void *buffer, size_t bytes, int peer, int tag) {
    auto posted = Pipeline::recv(buffer, bytes, peer, tag);
    return posted ? Status::ok() : posted.takeStatus();
  }
  /// A zero-byte message: barriers.
  Status recvEmpty(int peer, int tag) { return recv(nullptr, 0, peer, tag); }
  /// Polls until every message completed, the watchdog expires, or MPI
  /// reports an error.
  Status wait() { return waitAll(); }
};

//===----------------------------------------------------------------------===//
// Construction
//===----------------------------------------------------------------------===//

StatusOr<std::unique_ptr<MpiCommunicator>>
MpiCommunicator::create(MPI_Comm comm, std::string name,
                        std::vector<int> worldRanks) {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized)
    return Status::error(StatusCode::kInvalidArgument,
                         "creating communicator '" + name +
                             "': MPI is not initialized");
  int threadLevel = MPI_THREAD_SINGLE;
  MPI_Query_thread(&threadLevel);
  if (threadLevel != MPI_THREAD_MULTIPLE)
    return Status::error(
        StatusCode::kUnavailable,
        "creating communicator '" + name +
            "': braid_rt runs MPI on stream threads and needs "
            "MPI_THREAD_MULTIPLE (initialize MPI with MPI_Init_thread)");
  int rank = 0, size = 0;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  if (worldRanks.empty())
    for (int i = 0; i < size; ++i)
      worldRanks.push_back(i);
  if (static_cast<int>(worldRanks.size()) != size)
    return Status::error(StatusCode::kInternal,
                         "creating communicator '" + name +
                             "': world rank map has the wrong size");

  // Duplicating is collective and blocks: the watchdog thread bounds it.
  Watchdog::Watch watch = Watchdog::instance().watchBlocking(
      "creating communicator '" + name + "' (MPI_Comm_dup, rank " +
      std::to_string(rank) + " of " + std::to_string(size) + ")");
  MPI_Comm collComm = MPI_COMM_NULL, p2pComm = MPI_COMM_NULL;
  int rc = MPI_Comm_dup(comm, &collComm);
  if (rc == MPI_SUCCESS)
    rc = MPI_Comm_dup(comm, &p2pComm);
  watch.release();
  if (rc != MPI_SUCCESS) {
    if (collComm != MPI_COMM_NULL)
      MPI_Comm_free(&collComm);
    return Status::error(StatusCode::kCommunicationError,
                         "creating communicator '" + name +
                             "': MPI_Comm_dup: " + mpiErrorText(rc));
  }
  MPI_Comm_set_errhandler(collComm, MPI_ERRORS_RETURN);
  MPI_Comm_set_errhandler(p2pComm, MPI_ERRORS_RETURN);

  int tagUpperBound = 32767; // the least MPI guarantees
  void *attribute = nullptr;
  int found = 0;
  MPI_Comm_get_attr(collComm, MPI_TAG_UB, &attribute, &found);
  if (found && attribute)
    tagUpperBound = *static_cast<int *>(attribute);

  return std::unique_ptr<MpiCommunicator>(
      new MpiCommunicator(std::move(name), rank, size, std::move(worldRanks),
                          collComm, p2pComm, tagUpperBound));
}

MpiCommunicator::MpiCommunicator(std::string name, int rank, int size,
                                 std::vector<int> worldRanks,
                                 MPI_Comm collComm, MPI_Comm p2pComm,
                                 int tagUpperBound)
    : Communicator(std::move(name), rank, size, std::move(worldRanks)),
      collComm_(collComm), p2pComm_(p2pComm), tagUpperBound_(tagUpperBound) {}

MpiCommunicator::~MpiCommunicator() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (finalized)
    return;
  MPI_Comm_free(&collComm_);
  MPI_Comm_free(&p2pComm_);
}

int MpiCommunicator::tag(uint64_t seq, int opKind, int phase) const {
  uint64_t slots = (static_cast<uint64_t>(tagUpperBound_) + 1) /
                   (kNumOpKinds * kPhasesPerOp);
  return static_cast<int>(((seq % slots) * kNumOpKinds + opKind) *
                              kPhasesPerOp +
                          phase);
}

std::vector<char> MpiCommunicator::takeScratch(size_t bytes) {
  std::vector<char> scratch;
  {
    std::lock_guard<std::mutex> lock(scratchMu_);
    if (!scratchPool_.empty()) {
      scratch = std::move(scratchPool_.back());
      scratchPool_.pop_back();
    }
  }
  if (scratch.size() < bytes)
    scratch.resize(bytes);
  return scratch;
}

void MpiCommunicator::returnScratch(std::vector<char> scratch) {
  std::lock_guard<std::mutex> lock(scratchMu_);
  scratchPool_.push_back(std::move(scratch));
}

//===----------------------------------------------------------------------===//
// Collectives
//===----------------------------------------------------------------------===//

Status MpiCommunicator::allReduce(const void *send, void *recv, size_t count,
                                  DType dtype, ReduceOp op, Stream &stream) {
  const char *name = "all_reduce";
  BRAID_RT_RETURN_IF_ERROR(checkDType(name, dtype));
  BRAID_RT_RETURN_IF_ERROR(checkReduceOp(name, op));
  BRAID_RT_RETURN_IF_ERROR(checkBuffer(name, send, count, "send"));
  BRAID_RT_RETURN_IF_ERROR(checkBuffer(name, recv, count, "receive"));
  BRAID_RT_RETURN_IF_ERROR(checkStream(name, stream, DeviceKind::Cpu));
  uint64_t seq = nextSequence();
  std::string what = label(name, seq, reductionDetail(dtype, op, count));
  return stream.enqueueHost([this, send, recv, count, dtype, op, seq, what] {
    size_t members = size();
    size_t me = rank();
    size_t element = dtypeSize(dtype);
    if (members == 1 || count == 0) {
      if (send != recv && count > 0)
        std::memmove(recv, send, count * element);
      return Status::ok();
    }
    Watchdog::Watch watch = Watchdog::instance().watch(what);
    // Phase 0: chunk c of every member's input goes to member c.
    size_t myBegin = chunkBegin(count, members, me);
    size_t myLength = chunkLength(count, members, me);
    std::vector<char> scratch = takeScratch(members * myLength * element);
    Round gather(*this, collComm_, what, watch);
    for (size_t peer = 0; peer < members; ++peer) {
      if (peer == me)
        continue;
      size_t length = chunkLength(count, members, peer);
      if (myLength > 0)
        BRAID_RT_RETURN_IF_ERROR(gather.recv(scratch.data() +
                                                 peer * myLength * element,
                                             myLength * element,
                                             static_cast<int>(peer),
                                             tag(seq, kAllReduce, 0)));
      if (length > 0)
        BRAID_RT_RETURN_IF_ERROR(gather.send(
            bytesAt(send, chunkBegin(count, members, peer) * element),
            length * element, static_cast<int>(peer),
            tag(seq, kAllReduce, 0)));
    }
    BRAID_RT_RETURN_IF_ERROR(gather.wait());
    // The reduced chunk goes to this rank's own (unused) scratch slot, so
    // it can be sent from there while it is copied into `recv`.
    char *reduced = scratch.data() + me * myLength * element;
    std::vector<const void *> sources(members);
    for (size_t member = 0; member < members; ++member)
      sources[member] = member == me
                            ? bytesAt(send, myBegin * element)
                            : scratch.data() + member * myLength * element;
    reduceInOrder(reduced, sources.data(), members, myLength, dtype, op);

    // Phase 1: every member's reduced chunk goes to every member.
    Round share(*this, collComm_, what, watch);
    for (size_t peer = 0; peer < members; ++peer) {
      if (peer == me)
        continue;
      size_t length = chunkLength(count, members, peer);
      if (length > 0)
        BRAID_RT_RETURN_IF_ERROR(share.recv(
            bytesAt(recv, chunkBegin(count, members, peer) * element),
            length * element, static_cast<int>(peer),
            tag(seq, kAllReduce, 1)));
      if (myLength > 0)
        BRAID_RT_RETURN_IF_ERROR(share.send(reduced, myLength * element,
                                            static_cast<int>(peer),
                                            tag(seq, kAllReduce, 1)));
    }
    if (myLength > 0)
      std::memcpy(bytesAt(recv, myBegin * element), reduced,
                  myLength * element);
    BRAID_RT_RETURN_IF_ERROR(share.wait());
    returnScratch(std::move(scratch));
    return Status::ok();
  });
}

Status MpiCommunicator::reduceScatter(const void *send, void *recv,
                                      size_t recvCount, DType dtype,
                                      ReduceOp op, Stream &stream) {
  const char *name = "reduce_scatter";
  BRAID_RT_RETURN_IF_ERROR(checkDType(name, dtype));
  BRAID_RT_RETURN_IF_ERROR(checkReduceOp(name, op));
  BRAID_RT_RETURN_IF_ERROR(checkBuffer(name, send, recvCount, "send"));
  BRAID_RT_RETURN_IF_ERROR(checkBuffer(name, recv, recvCount, "receive"));
  BRAID_RT_RETURN_IF_ERROR(checkStream(name, stream, DeviceKind::Cpu));
  uint64_t seq = nextSequence();
  std::string what =
      label(name, seq, reductionDetail(dtype, op, recvCount) + " per rank");
  return stream.enqueueHost([this, send, recv, recvCount, dtype, op, seq,
                             what] {
    size_t members = size();
    size_t me = rank();
    size_t blockBytes = recvCount * dtypeSize(dtype);
    if (recvCount == 0)
      return Status::ok();
    if (members == 1) {
      if (send != recv)
        std::memmove(recv, send, blockBytes);
      return Status::ok();
    }
    Watchdog::Watch watch = Watchdog::instance().watch(what);
    std::vector<char> scratch = takeScratch(members * blockBytes);
    Round round(*this, collComm_, what, watch);
    for (size_t peer = 0; peer < members; ++peer) {
      if (peer == me)
        continue;
      BRAID_RT_RETURN_IF_ERROR(round.recv(scratch.data() + peer * blockBytes,
                                          blockBytes, static_cast<int>(peer),
                                          tag(seq, kReduceScatter, 0)));
      BRAID_RT_RETURN_IF_ERROR(round.send(bytesAt(send, peer * blockBytes),
                                          blockBytes, static_cast<int>(peer),
                                          tag(seq, kReduceScatter, 0)));
    }
    BRAID_RT_RETURN_IF_ERROR(round.wait());
    std::vector<const void *> sources(members);
    for (size_t member = 0; member < members; ++member)
      sources[member] = member == me ? bytesAt(send, me * blockBytes)
                                     : scratch.data() + member * blockBytes;
    reduceInOrder(recv, sources.data(), members, recvCount, dtype, op);
    returnScratch(std::move(scratch));
    return Status::ok();
  });
}

Status MpiCommunicator::runAllGatherBytes(const std::string &what,
                                          int tagValue, const void *send,
                                          void *recv, size_t blockBytes) {
  size_t members = size();
  size_t me = rank();
  void *mine = bytesAt(recv, me * blockBytes);
  if (members == 1 || blockBytes == 0) {
    if (blockBytes > 0 && send != mine)
      std::memmove(mine, send, blockBytes);
    return Status::ok();
  }
  Watchdog::Watch watch = Watchdog::instance().watch(what);
  Round round(*this, collComm_, what, watch);
  // Peers read this rank's block from `send` (equal to `mine` in place), so
  // the local copy below overlaps the transfers.
  for (size_t peer = 0; peer < members; ++peer) {
    if (peer == me)
      continue;
    BRAID_RT_RETURN_IF_ERROR(round.recv(bytesAt(recv, peer * blockBytes),
                                        blockBytes, static_cast<int>(peer),
                                        tagValue));
    BRAID_RT_RETURN_IF_ERROR(
        round.send(send, blockBytes, static_cast<int>(peer), tagValue));
  }
  if (send != mine)
    std::memcpy(mine, send, blockBytes); // disjoint: checked at enqueue
  return round.wait();
}

Status MpiCommunicator::allGather(const void *send, void *recv,
                                  size_t sendCount, DType dtype,
                                  Stream &stream) {
  const char *name = "all_gather";
  BRAID_RT_RETURN_IF_ERROR(checkDType(name, dtype));
  BRAID_RT_RETURN_IF_ERROR(checkBuffer(name, send, sendCount, "send"));
  BRAID_RT_RETURN_IF_ERROR(checkBuffer(name, recv, sendCount, "receive"));
  BRAID_RT_RETURN_IF_ERROR(checkStream(name, stream, DeviceKind::Cpu));
  size_t blockBytes = sendCount * dtypeSize(dtype);
  void *mine = bytesAt(recv, rank() * blockBytes);
  if (send != mine &&
      rangesOverlap(send, blockBytes, recv, size() * blockBytes))
    return invalid(name, "the send buffer overlaps the receive buffer "
                         "without being this rank's block of it");
  uint64_t seq = nextSequence();
  std::string what =
      label(name, seq, elementsDetail(dtype, sendCount, "elements per rank"));
  return stream.enqueueHost([this, send, recv, blockBytes, seq, what] {
    return runAllGatherBytes(what, tag(seq, kAllGather, 0), send, recv,
                             blockBytes);
  });
}

Status MpiCommunicator::allToAll(const void *send, void *recv,
                                 size_t countPerPeer, DType dtype,
                                 Stream &stream) {
  const char *name = "all_to_all";
  BRAID_RT_RETURN_IF_ERROR(checkDType(name, dtype));
  BRAID_RT_RETURN_IF_ERROR(checkBuffer(name, send, countPerPeer, "send"));
  BRAID_RT_RETURN_IF_ERROR(checkBuffer(name, recv, countPerPeer, "receive"));
  BRAID_RT_RETURN_IF_ERROR(checkStream(name, stream, DeviceKind::Cpu));
  size_t blockBytes = countPerPeer * dtypeSize(dtype);
  if (rangesOverlap(send, size() * blockBytes, recv, size() * blockBytes))
    return invalid(name, "the send and receive buffers overlap");
  uint64_t seq = nextSequence();
  std::string what = label(
      name, seq, elementsDetail(dtype, countPerPeer, "elements per pair"));
  return stream.enqueueHost([this, send, recv, blockBytes, seq, what] {
    size_t members = size();
    size_t me = rank();
    if (blockBytes == 0)
      return Status::ok();
    std::memcpy(bytesAt(recv, me * blockBytes), bytesAt(send, me * blockBytes),
                blockBytes);
    if (members == 1)
      return Status::ok();
    Watchdog::Watch watch = Watchdog::instance().watch(what);
    Round round(*this, collComm_, what, watch);
    for (size_t peer = 0; peer < members; ++peer) {
      if (peer == me)
        continue;
      BRAID_RT_RETURN_IF_ERROR(round.recv(bytesAt(recv, peer * blockBytes),
                                          blockBytes, static_cast<int>(peer),
                                          tag(seq, kAllToAll, 0)));
      BRAID_RT_RETURN_IF_ERROR(round.send(bytesAt(send, peer * blockBytes),
                                          blockBytes, static_cast<int>(peer),
                                          tag(seq, kAllToAll, 0)));
    }
    return round.wait();
  });
}

Status MpiCommunicator::allToAllV(const void *send, const size_t *sendCounts,
                                  const size_t *sendOffsets, void *recv,
                                  const size_t *recvCounts,
                                  const size_t *recvOffsets, DType dtype,
                                  Stream &stream) {
  const char *name = "all_to_all_v";
  BRAID_RT_RETURN_IF_ERROR(checkDType(name, dtype));
  BRAID_RT_RETURN_IF_ERROR(checkStream(name, stream, DeviceKind::Cpu));
  if (!sendCounts || !sendOffsets || !recvCounts || !recvOffsets)
    return invalid(name, "count and offset arrays must not be null");
  size_t members = size();
  std::vector<size_t> sc(sendCounts, sendCounts + members),
      so(sendOffsets, sendOffsets + members),
      rc(recvCounts, recvCounts + members),
      ro(recvOffsets, recvOffsets + members);
  size_t element = dtypeSize(dtype);
  size_t sendEnd = 0, recvEnd = 0, sendTotal = 0, recvTotal = 0;
  for (size_t i = 0; i < members; ++i) {
    sendEnd = std::max(sendEnd, so[i] + sc[i]);
    recvEnd = std::max(recvEnd, ro[i] + rc[i]);
    sendTotal += sc[i];
    recvTotal += rc[i];
  }
  BRAID_RT_RETURN_IF_ERROR(checkBuffer(name, send, sendTotal, "send"));
  BRAID_RT_RETURN_IF_ERROR(checkBuffer(name, recv, recvTotal, "receive"));
  if (rangesOverlap(send, sendEnd * element, recv, recvEnd * element))
    return invalid(name, "the send and receive buffers overlap");
  uint64_t seq = nextSequence();
  std::string what =
      label(name, seq,
            std::string(dtypeName(dtype)) + ", " + std::to_string(sendTotal) +
                " elements sent, " + std::to_string(recvTotal) + " received");
  return stream.enqueueHost([this, send, recv, sc = std::move(sc),
                             so = std::move(so), rc = std::move(rc),
                             ro = std::move(ro), element, seq, what] {
    size_t members = size();
    size_t me = rank();
    if (rc[me] != sc[me])
      return Status::error(StatusCode::kInvalidArgument,
                           what + ": sends " + std::to_string(sc[me]) +
                               " elements to itself but receives " +
                               std::to_string(rc[me]));
    if (sc[me] > 0)
      std::memcpy(bytesAt(recv, ro[me] * element),
                  bytesAt(send, so[me] * element), sc[me] * element);
    Watchdog::Watch watch = Watchdog::instance().watch(what);
    Round round(*this, collComm_, what, watch);
    for (size_t peer = 0; peer < members; ++peer) {
      if (peer == me)
        continue;
      // Zero-length messages are skipped on both sides: member j's
      // sendCounts[i] equals member i's recvCounts[j].
      if (rc[peer] > 0)
        BRAID_RT_RETURN_IF_ERROR(round.recv(bytesAt(recv, ro[peer] * element),
                                            rc[peer] * element,
                                            static_cast<int>(peer),
                                            tag(seq, kAllToAllV, 0)));
      if (sc[peer] > 0)
        BRAID_RT_RETURN_IF_ERROR(round.send(bytesAt(send, so[peer] * element),
                                            sc[peer] * element,
                                            static_cast<int>(peer),
                                            tag(seq, kAllToAllV, 0)));
    }
    return round.wait();
  });
}

Status MpiCommunicator::broadcast(const void *send, void *recv, size_t count,
                                  DType dtype, int root, Stream &stream) {
  const char *name = "broadcast";
  BRAID_RT_RETURN_IF_ERROR(checkDType(name, dtype));
  BRAID_RT_RETURN_IF_ERROR(checkPeer(name, root, "root"));
  if (rank() == root)
    BRAID_RT_RETURN_IF_ERROR(checkBuffer(name, send, count, "send"));
  BRAID_RT_RETURN_IF_ERROR(checkBuffer(name, recv, count, "receive"));
  BRAID_RT_RETURN_IF_ERROR(checkStream(name, stream, DeviceKind::Cpu));
  size_t bytes = count * dtypeSize(dtype);
  if (rank() == root && send != recv && rangesOverlap(send, bytes, recv, bytes))
    return invalid(name, "the send and receive buffers overlap without "
                         "being the same");
  uint64_t seq = nextSequence();
  std::string what =
      label(name, seq,
            elementsDetail(dtype, count, "elements") + " from rank " +
                std::to_string(root));
  return stream.enqueueHost([this, send, recv, bytes, root, seq, what] {
    int members = size();
    int me = rank();
    bool copyLocally = me == root && send != recv && bytes > 0;
    if (members == 1 || bytes == 0) {
      if (copyLocally)
        std::memcpy(recv, send, bytes);
      return Status::ok();
    }
    Watchdog::Watch watch = Watchdog::instance().watch(what);
    Round round(*this, collComm_, what, watch);
    if (me == root) {
      // Sent from `send`, so the local copy overlaps the transfers.
      for (int peer = 0; peer < members; ++peer)
        if (peer != me)
          BRAID_RT_RETURN_IF_ERROR(
              round.send(send, bytes, peer, tag(seq, kBroadcast, 0)));
      if (copyLocally)
        std::memcpy(recv, send, bytes); // disjoint: checked at enqueue
    } else {
      BRAID_RT_RETURN_IF_ERROR(
          round.recv(recv, bytes, root, tag(seq, kBroadcast, 0)));
    }
    return round.wait();
  });
}

Status MpiCommunicator::sendRecv(const std::vector<PeerTransfer> &transfers,
                                 Stream &stream) {
  const char *name = "send_recv";
  BRAID_RT_RETURN_IF_ERROR(checkStream(name, stream, DeviceKind::Cpu));
  std::string detail;
  BRAID_RT_RETURN_IF_ERROR(checkTransfers(name, transfers, &detail));
  uint64_t seq = nextSequence();
  std::string what = label(name, seq, detail);
  return stream.enqueueHost([this, transfers, what] {
    Watchdog::Watch watch = Watchdog::instance().watch(what);
    Round round(*this, p2pComm_, what, watch);
    // Receives first, so sends to this rank itself find them posted.
    for (const PeerTransfer &transfer : transfers)
      if (transfer.kind == PeerTransfer::Kind::Recv)
        BRAID_RT_RETURN_IF_ERROR(
            round.recv(transfer.buffer, transfer.count * dtypeSize(transfer.dtype),
                       transfer.peer, 0));
    for (const PeerTransfer &transfer : transfers)
      if (transfer.kind == PeerTransfer::Kind::Send)
        BRAID_RT_RETURN_IF_ERROR(
            round.send(transfer.buffer, transfer.count * dtypeSize(transfer.dtype),
                       transfer.peer, 0));
    return round.wait();
  });
}

Status MpiCommunicator::barrier(Stream &stream) {
  const char *name = "barrier";
  BRAID_RT_RETURN_IF_ERROR(checkStream(name, stream, DeviceKind::Cpu));
  uint64_t seq = nextSequence();
  std::string what = label(name, seq, "");
  return stream.enqueueHost([this, seq, what] {
    int members = size();
    if (members == 1)
      return Status::ok();
    // Every member tells every other one it arrived: P(P-1) empty messages
    // in one round, so a stuck barrier names exactly who is missing.
    Watchdog::Watch watch = Watchdog::instance().watch(what);
    Round round(*this, collComm_, what, watch);
    for (int peer = 0; peer < members; ++peer) {
      if (peer == rank())
        continue;
      BRAID_RT_RETURN_IF_ERROR(round.recvEmpty(peer, tag(seq, kBarrier, 0)));
      BRAID_RT_RETURN_IF_ERROR(
          round.send(nullptr, 0, peer, tag(seq, kBarrier, 0)));
    }
    return round.wait();
  });
}

StatusOr<std::unique_ptr<Communicator>>
MpiCommunicator::split(int color, int key, std::string name) {
  uint64_t seq = nextSequence();
  std::string what = label("split", seq, "into '" + name + "'");
  if (color < 0)
    return Status::error(StatusCode::kInvalidArgument,
                         what + ": color " + std::to_string(color) +
                             " is negative");
  // Everyone's color and key first, through the watched message round, so
  // a missing member is named and MPI_Comm_split below cannot hang on it.
  int mine[2] = {color, key};
  std::vector<int> all(2 * size());
  BRAID_RT_RETURN_IF_ERROR(runAllGatherBytes(what, tag(seq, kSplit, 0), mine,
                                             all.data(), sizeof(mine)));
  std::vector<std::pair<std::pair<int, int>, int>> members; // (key, rank)
  for (int member = 0; member < size(); ++member)
    if (all[2 * member] == color)
      members.push_back({{all[2 * member + 1], member}, member});
  std::sort(members.begin(), members.end());
  std::vector<int> worldRanks;
  for (auto &member : members)
    worldRanks.push_back(this->worldRanks()[member.second]);

  MPI_Comm newComm = MPI_COMM_NULL;
  Watchdog::Watch watch =
      Watchdog::instance().watchBlocking(what + " (MPI_Comm_split)");
  int rc = MPI_Comm_split(collComm_, color, key, &newComm);
  watch.release();
  if (rc != MPI_SUCCESS)
    return Status::error(StatusCode::kCommunicationError,
                         what + ": MPI_Comm_split: " + mpiErrorText(rc));
  auto created = create(newComm, std::move(name), std::move(worldRanks));
  MPI_Comm_free(&newComm);
  if (!created)
    return created.takeStatus();
  return std::unique_ptr<Communicator>(std::move(created.value()));
}

//===----------------------------------------------------------------------===//
// Triggered collectives: messages posted as a producer releases chunks
//===----------------------------------------------------------------------===//

Status MpiCommunicator::runRingReduceScatter(const std::string &what,
                                             uint64_t seq,
                                             const TriggeredRing &ring,
                                             DType dtype, ReduceOp op,
                                             CpuCounter &counter,
                                             const Trigger &trigger) {
  size_t members = ring.members, me = ring.me;
  size_t chunkBytes = ring.chunkBytes, chunksPerRank = ring.chunksPerRank;
  int ringTag = tag(
      seq, ring.gather ? kAllReduceTriggered : kReduceScatterTriggered, 0);
  int gatherTag = tag(seq, kAllReduceTriggered, 1);
  Watchdog::Watch watch = Watchdog::instance().watch(what);
  Pipeline pipeline(*this, collComm_, what, watch);
  // Partial sums from the left, one slot per chunk of steps 1..P-1, all
  // posted now (they match the left member's sends in order); an in-place
  // all_reduce also sends step 0's chunks from a copy, since the gather
  // overwrites that block later.
  size_t blockBytes = ring.blockCount * ring.element;
  bool inPlace = rangesOverlap(ring.send, members * blockBytes, ring.recv,
                               (ring.gather ? members : 1) * blockBytes);
  size_t slots = (members - 1) * chunksPerRank;
  std::vector<char> scratch =
      takeScratch((slots + (inPlace ? chunksPerRank : 0)) * chunkBytes);
  std::vector<size_t> partials(slots);
  for (size_t slot = 0; slot < slots; ++slot) {
    auto handle = pipeline.recv(scratch.data() + slot * chunkBytes, chunkBytes,
                                ring.left, ringTag);
    if (!handle)
      return handle.takeStatus();
    partials[slot] = handle.value();
  }
  if (ring.gather)
    for (size_t peer = 0; peer < members; ++peer)
      for (size_t q = 0; q < chunksPerRank && peer != me; ++q) {
        auto handle = pipeline.recv(ring.resultAt(peer, q), chunkBytes,
                                    static_cast<int>(peer), gatherTag);
        if (!handle)
          return handle.takeStatus();
      }
  for (size_t position = 0; position < ring.chunks; ++position) {
    size_t step = ring.step(position), q = ring.subChunk(position);
    BRAID_RT_RETURN_IF_ERROR(pipeline.waitForCounter(
        counter, trigger.readyValue(ring.chunks, position)));
    const char *own = ring.ownAt(ring.blockAt(position), q);
    char *result = ring.resultAt(me, q);
    if (members == 1) {
      if (result != own)
        std::memmove(result, own, chunkBytes);
      continue;
    }
    if (step == 0) {
      const char *from = own;
      if (inPlace) {
        char *copy = scratch.data() + (slots + q) * chunkBytes;
        std::memcpy(copy, own, chunkBytes);
        from = copy;
      }
      BRAID_RT_RETURN_IF_ERROR(
          pipeline.send(from, chunkBytes, ring.right, ringTag));
      continue;
    }
    size_t slot = (step - 1) * chunksPerRank + q;
    char *partial = scratch.data() + slot * chunkBytes;
    BRAID_RT_RETURN_IF_ERROR(pipeline.waitForTransfer(partials[slot]));
    const void *sources[2] = {partial, own};
    if (step + 1 < members) {
      reduceInOrder(partial, sources, 2, ring.chunkCount, dtype, op);
      BRAID_RT_RETURN_IF_ERROR(
          pipeline.send(partial, chunkBytes, ring.right, ringTag));
      continue;
    }
    // The last step: block `me`, this member's result.
    reduceInOrder(result, sources, 2, ring.chunkCount, dtype, op);
    if (ring.gather)
      for (size_t peer = 0; peer < members; ++peer)
        if (peer != me)
          BRAID_RT_RETURN_IF_ERROR(pipeline.send(
              result, chunkBytes, static_cast<int>(peer), gatherTag));
  }
  BRAID_RT_RETURN_IF_ERROR(pipeline.waitAll());
  returnScratch(std::move(scratch));
  return Status::ok();
}

namespace {

/// The CPU counter of a trigger the shared checks accepted.
CpuCounter *cpuCounterOf(const Trigger &trigger) {
  return static_cast<CpuCounter *>(trigger.counter);
}

} // namespace

Status MpiCommunicator::enqueueTriggeredRing(
    const TriggeredOp &op, const void *send, void *recv, size_t blockCount,
    DType dtype, ReduceOp reduction, const Trigger &trigger,
    size_t chunksPerRank, bool gather, Stream &stream) {
  uint64_t seq = op.sequence;
  std::string what = op.what;
  CpuCounter *cpuCounter = cpuCounterOf(trigger);
  TriggeredRing ring(rank(), size(), send, recv, blockCount, dtype,
                     chunksPerRank, gather);
  return stream.enqueueHost(
      [this, ring, dtype, reduction, seq, what, cpuCounter, trigger] {
        return runRingReduceScatter(what, seq, ring, dtype, reduction,
                                    *cpuCounter, trigger);
      });
}

Status MpiCommunicator::enqueueTriggeredAllGather(
    const TriggeredOp &op, const void *send, void *recv, size_t sendCount,
    DType dtype, const Trigger &trigger, size_t chunks, Stream &stream) {
  uint64_t seq = op.sequence;
  std::string what = op.what;
  size_t blockBytes = sendCount * dtypeSize(dtype);
  CpuCounter *cpuCounter = cpuCounterOf(trigger);
  return stream.enqueueHost([this, send, recv, blockBytes, chunks, seq, what,
                             cpuCounter, trigger] {
    size_t members = size();
    size_t me = rank();
    size_t chunkBytes = blockBytes / chunks;
    int tagValue = tag(seq, kAllGatherTriggered, 0);
    Watchdog::Watch watch = Watchdog::instance().watch(what);
    Pipeline pipeline(*this, collComm_, what, watch);
    for (size_t peer = 0; peer < members; ++peer)
      for (size_t q = 0; q < chunks && peer != me; ++q) {
        auto handle =
            pipeline.recv(bytesAt(recv, peer * blockBytes + q * chunkBytes),
                          chunkBytes, static_cast<int>(peer), tagValue);
        if (!handle)
          return handle.takeStatus();
      }
    char *mine = bytesAt(recv, me * blockBytes);
    for (size_t q = 0; q < chunks; ++q) {
      BRAID_RT_RETURN_IF_ERROR(
          pipeline.waitForCounter(*cpuCounter, trigger.readyValue(chunks, q)));
      const char *chunk = bytesAt(send, q * chunkBytes);
      // Peers read from `send`, so the local copy overlaps the transfers.
      for (size_t peer = 0; peer < members; ++peer)
        if (peer != me)
          BRAID_RT_RETURN_IF_ERROR(pipeline.send(
              chunk, chunkBytes, static_cast<int>(peer), tagValue));
      if (send != mine)
        std::memcpy(mine + q * chunkBytes, chunk, chunkBytes);
    }
    return pipeline.waitAll();
  });
}

} // namespace braid_rt
