//===- Communicator.h - one interface, MPI and NCCL engines -----*- C++ -*-===//
//
// A communicator is a group of ranks and the collectives they run together.
// Every operation is enqueued on a stream of the engine's device (MPI: a
// CpuStream, NCCL: a CudaStream) and returns at once; errors found before
// enqueueing (bad arguments) come back from the call, errors while running
// become the stream's sticky error. Every status names the operation, its
// sequence number on the communicator, the communicator, and the rank.
//
// Every rank of a communicator must enqueue the same collectives in the same
// order (grouped send/recv excepted: those pair per peer, in order).
//
// Counts are in elements. Buffers live on the engine's device.
//
//===----------------------------------------------------------------------===//

#ifndef BRAID_RT_COMMUNICATOR_H
#define BRAID_RT_COMMUNICATOR_H

#include "braid_rt/DType.h"
#include "braid_rt/Device.h"
#include "braid_rt/StatusOr.h"

#include <atomic>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace braid_rt {

enum class Engine { Mpi, Nccl };
const char *engineName(Engine engine);

/// The order in which a producer computes the chunks of a triggered
/// collective's buffer. Values are those of braid_rt_chunk_order.
enum class ChunkOrder : int {
  Natural = 0, ///< position i is chunk i (all_gather: arrival order)
  Ring = 1,    ///< T3's ring order of reduce_scatter / all_reduce
};
constexpr int kNumChunkOrders = 2;

/// The chunk a producer computes at `position` of `chunks` (a multiple of
/// `size` for Ring). Ring: with k = chunks / size, position s * k + q is
/// sub-chunk q of block (rank - s - 1) mod size, the block the ring's step s
/// sends from this rank.
int64_t chunkAt(ChunkOrder order, int rank, int size, int64_t chunks,
                int64_t position);

/// What a triggered collective waits on. The producer computes `chunks`
/// chunks in the collective's order and releases position i by raising
/// `counter` (a counter of the engine's device) to
/// readyValue(chunks, i) = (epoch * chunks + i + 1) * tilesPerChunk
/// (one signal per chunk when tilesPerChunk is 1, one per tile otherwise:
/// the value after tile t of position i is readyValue(chunks, i) -
/// tilesPerChunk + t + 1). Epoch-valued: a step never sees an earlier step's
/// releases, so the counter is never reset.
struct Trigger {
  Counter *counter = nullptr;
  uint64_t epoch = 0;
  uint64_t tilesPerChunk = 1;
  uint64_t readyValue(uint64_t chunks, uint64_t position) const {
    return (epoch * chunks + position + 1) * tilesPerChunk;
  }
};

/// True when [a, a + aBytes) and [b, b + bBytes) share a byte.
bool rangesOverlap(const void *a, size_t aBytes, const void *b,
                   size_t bBytes);

/// Where the ring reduce-scatter of the triggered collectives reads and
/// writes, the same for every engine: `members` blocks of `blockCount`
/// elements, each cut into `chunksPerRank` sub-chunks; position i is step
/// i / chunksPerRank and sub-chunk i % chunksPerRank of block
/// (rank - step - 1) mod members (chunkAt, Ring).
struct TriggeredRing {
  TriggeredRing(int rank, int size, const void *send, void *recv,
                size_t blockCount, DType dtype, size_t chunksPerRank,
                bool gather);
  size_t members, me, element, blockCount, chunksPerRank, chunkCount,
      chunkBytes, chunks;
  int left, right; ///< the neighbours partials come from and go to
  const void *send;
  void *recv; ///< this member's block, or (gather) the whole buffer
  bool gather;

  size_t step(size_t position) const { return position / chunksPerRank; }
  size_t subChunk(size_t position) const { return position % chunksPerRank; }
  /// The block position `position` handles.
  size_t blockAt(size_t position) const;
  /// Sub-chunk q of block `block` of this member's input.
  const char *ownAt(size_t block, size_t q) const;
  /// Where member `member`'s reduced sub-chunk q lands in recv (with
  /// gather every member's, else only this member's).
  char *resultAt(size_t member, size_t q) const;
};

/// One half of a grouped point-to-point exchange.
struct PeerTransfer {
  enum class Kind { Send, Recv };
  Kind kind;
  int peer;     ///< rank in the communicator
  void *buffer; ///< read for Send, written for Recv
  size_t count;
  DType dtype;
};

class Communicator {
public:
  virtual ~Communicator();

  virtual Engine engine() const = 0;
  int rank() const { return rank_; }
  int size() const { return size_; }
  const std::string &name() const { return name_; }
  /// Rank in the context's world of each member, by rank in this group.
  const std::vector<int> &worldRanks() const { return worldRanks_; }

  /// recv[i] = send_0[i] op send_1[i] op ... over the members, i < count.
  /// In place when send == recv.
  virtual Status allReduce(const void *send, void *recv, size_t count,
                           DType dtype, ReduceOp op, Stream &stream) = 0;
  /// recv = send_0 ++ send_1 ++ ... (sendCount elements each).
  virtual Status allGather(const void *send, void *recv, size_t sendCount,
                           DType dtype, Stream &stream) = 0;
  /// recv = block `rank` of the reduction of send (size * recvCount
  /// elements).
  virtual Status reduceScatter(const void *send, void *recv, size_t recvCount,
                               DType dtype, ReduceOp op, Stream &stream) = 0;
  /// Block j of send goes to member j; block i of recv comes from member i
  /// (countPerPeer elements each).
  virtual Status allToAll(const void *send, void *recv, size_t countPerPeer,
                          DType dtype, Stream &stream) = 0;
  /// Variable splits: sendCounts[j] elements at send + sendOffsets[j] go to
  /// member j; recvCounts[i] from member i land at recv + recvOffsets[i].
  /// Each array has size() entries; member j's sendCounts[i] must equal
  /// member i's recvCounts[j].
  virtual Status allToAllV(const void *send, const size_t *sendCounts,
                           const size_t *sendOffsets, void *recv,
                           const size_t *recvCounts, const size_t *recvOffsets,
                           DType dtype, Stream &stream) = 0;
  /// recv = send of `root` (send is read on the root only; may equal recv).
  virtual Status broadcast(const void *send, void *recv, size_t count,
                           DType dtype, int root, Stream &stream) = 0;
  /// Posts all transfers together and completes them together, so a ring
  /// step (send to the right, receive from the left) never deadlocks.
  /// Transfers between two members pair in the order they were posted.
  virtual Status sendRecv(const std::vector<PeerTransfer> &transfers,
                          Stream &stream) = 0;
  virtual Status barrier(Stream &stream) = 0;

  /// Producer-fused collectives (docs/Runtime.md, "Triggered
  /// collectives"). `send` is written by a producer on another stream while
  /// the operation runs; the operation moves chunk data as soon as the
  /// trigger releases it. Every member must pass the same chunk counts.
  /// The arguments are checked here, the same for every engine; the
  /// engine enqueues the work (enqueueTriggeredRing /
  /// enqueueTriggeredAllGather).
  ///
  /// reduce_scatter in T3's ring order: send holds size() blocks of
  /// recvCount elements, each cut into chunksPerRank chunks (recvCount must
  /// be a multiple of it); the producer computes them in ChunkOrder::Ring.
  /// Step s (0 .. size()-1) of this member handles block
  /// (rank - s - 1) mod size: it waits for the chunk's release, adds it to
  /// the partial received from rank - 1 (received first, then this
  /// member's; none at step 0) and sends the sum to rank + 1; the last step
  /// handles block `rank` and writes recv. Block b is thus folded over the
  /// members b+1, b+2, ..., b in that order: identical run to run, not the
  /// rank-order fold of reduceScatter (the numerics contract's f64 bound
  /// applies).
  Status reduceScatterTriggered(const void *send, void *recv, size_t recvCount,
                                DType dtype, ReduceOp op,
                                const Trigger &trigger, size_t chunksPerRank,
                                Stream &stream);
  /// reduceScatterTriggered with count / size() per block (count a multiple
  /// of size() * chunksPerRank), then every member's reduced chunks sent to
  /// every member as each is done: replicated results are the owner's
  /// bytes. May run in place (send == recv).
  Status allReduceTriggered(const void *send, void *recv, size_t count,
                            DType dtype, ReduceOp op, const Trigger &trigger,
                            size_t chunksPerRank, Stream &stream);
  /// all_gather whose send block (sendCount elements, a multiple of
  /// `chunks`) is produced in `chunks` chunks in natural order; chunk i goes
  /// to every member as soon as it is released. Same result as allGather.
  Status allGatherTriggered(const void *send, void *recv, size_t sendCount,
                            DType dtype, const Trigger &trigger, size_t chunks,
                            Stream &stream);

  /// Collective over this communicator: members with equal `color` form a
  /// new communicator, ranked by `key` (ties by rank here).
  virtual StatusOr<std::unique_ptr<Communicator>>
  split(int color, int key, std::string name) = 0;

  /// Makes `bytes` at `base` (memory of the engine's device that stays
  /// allocated until deregisterMemory) known to the engine, so operations
  /// on buffers inside it can skip the engine's internal copies. NCCL:
  /// ncclCommRegister (docs/Runtime.md, "Memory"); the MPI engine has
  /// nothing to register and does nothing. Once per range; local (no
  /// collective call), but every member must register the buffers it
  /// passes to an operation when any member does (NCCL's rule). Contexts
  /// do this for their arenas.
  virtual Status registerMemory(void *base, size_t bytes);
  /// Undoes registerMemory(base); no operation on it may be in flight.
  virtual Status deregisterMemory(void *base);

  /// "all_reduce #12 (f32 sum, 4096 elements) on communicator 'tp' (rank 1
  /// of 4)": the context every status of an operation carries.
  std::string describe(const std::string &operation) const;

protected:
  Communicator(std::string name, int rank, int size,
               std::vector<int> worldRanks)
      : name_(std::move(name)), rank_(rank), size_(size),
        worldRanks_(std::move(worldRanks)) {}

  /// Checks shared by the engines; the status names `operation`.
  Status checkDType(const std::string &operation, DType dtype) const;
  Status checkReduceOp(const std::string &operation, ReduceOp op) const;
  Status checkPeer(const std::string &operation, int peer,
                   const char *role) const;
  Status checkBuffer(const std::string &operation, const void *buffer,
                     size_t count, const char *role) const;
  Status checkStream(const std::string &operation, const Stream &stream,
                     DeviceKind expected) const;
  Status invalid(const std::string &operation, const std::string &what) const;
  /// Checks every transfer of a send_recv; `detail` gets "N sends, M
  /// receives" for its label.
  Status checkTransfers(const std::string &operation,
                        const std::vector<PeerTransfer> &transfers,
                        std::string *detail) const;

  /// A triggered collective whose arguments were checked: its sequence
  /// number and its label for statuses and the watchdog.
  struct TriggeredOp {
    uint64_t sequence = 0;
    std::string what;
  };
  /// The engine's part of reduceScatterTriggered (`gather` false: `recv` is
  /// this member's block) and allReduceTriggered (`gather` true: `recv` is
  /// the whole buffer and every member's reduced chunks go to every
  /// member): T3's ring over blocks of `blockCount` elements, enqueued on
  /// `stream`. Arguments are checked and counts non-zero.
  virtual Status enqueueTriggeredRing(const TriggeredOp &op, const void *send,
                                      void *recv, size_t blockCount,
                                      DType dtype, ReduceOp reduction,
                                      const Trigger &trigger,
                                      size_t chunksPerRank, bool gather,
                                      Stream &stream) = 0;
  /// The engine's part of allGatherTriggered; as above.
  virtual Status enqueueTriggeredAllGather(const TriggeredOp &op,
                                           const void *send, void *recv,
                                           size_t sendCount, DType dtype,
                                           const Trigger &trigger,
                                           size_t chunks, Stream &stream) = 0;

  /// Sequence number of the next operation (counted per communicator, the
  /// same on every member since all enqueue the same operations).
  uint64_t nextSequence() { return sequence_.fetch_add(1); }
  /// describe() of "all_reduce #3 (f32 sum, 1024 elements)".
  std::string label(const char *operation, uint64_t sequence,
                    const std::string &detail) const;
  static std::string reductionDetail(DType dtype, ReduceOp op, size_t count);
  static std::string elementsDetail(DType dtype, size_t count,
                                    const char *unit);
  /// "2 (world rank 6), 3 (world rank 7)".
  std::string describeRanks(const std::vector<int> &ranks) const;

private:
  /// The checks reduce_scatter and all_reduce share, triggered: type,
  /// reduction, both buffers of `count` elements and the stream.
  Status checkTriggeredReduction(const char *name, const void *send,
                                 void *recv, size_t count, DType dtype,
                                 ReduceOp op, Stream &stream) const;
  /// The trigger's part of the triggered collectives' checks.
  Status checkTrigger(const std::string &operation, const Trigger &trigger,
                      size_t chunks, size_t count, const char *countName,
                      DeviceKind kind) const;

  std::atomic<uint64_t> sequence_{0};
  std::string name_;
  int rank_;
  int size_;
  std::vector<int> worldRanks_;
};

} // namespace braid_rt

#endif // BRAID_RT_COMMUNICATOR_H
