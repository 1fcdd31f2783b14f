//===- MpiCommunicator.h - the MPI engine -----------------------*- C++ -*-===//
//
// Collectives built from non-blocking point-to-point messages, run on a
// CpuStream's worker thread, which polls them with MPI_Testsome and backs
// off (re-poll, then yield, then sleep 1 us doubling up to 200 us, reset on
// progress): OpenMPI progresses non-blocking operations only inside MPI
// calls, and a communication worker must not hold a core that compute
// needs.
//
// Reductions are computed by this engine, not by MPI: all_reduce is a
// reduce-scatter (member c receives chunk c of every member's input and
// folds the chunks in rank order, see reduceInOrder) followed by an
// all-gather of the reduced chunks, so every member gets the bytes the
// chunk's owner computed, in an order that depends on neither the
// algorithm MPI would pick nor the run. Each step is one round of direct
// messages between all pairs, which is what the watchdog reports on: the
// members whose messages did not arrive.
//
//===----------------------------------------------------------------------===//

#ifndef BRAID_RT_MPICOMMUNICATOR_H
#define BRAID_RT_MPICOMMUNICATOR_H

#include "braid_rt/Communicator.h"
#include "braid_rt/CpuDevice.h"

#include <mpi.h>

#include <functional>

#include <mutex>

namespace braid_rt {

class MpiCommunicator final : public Communicator {
public:
  /// A communicator over the members of `comm`, which the caller keeps
  /// (this one works on duplicates). `worldRanks` maps ranks of `comm` to
  /// the ranks reports call world ranks; empty means the identity.
  /// Collective over `comm`.
  static StatusOr<std::unique_ptr<MpiCommunicator>>
  create(MPI_Comm comm, std::string name, std::vector<int> worldRanks = {});
  ~MpiCommunicator() override;

  Engine engine() const override { return Engine::Mpi; }
  MPI_Comm handle() const { return collComm_; }

  Status allReduce(const void *send, void *recv, size_t count, DType dtype,
                   ReduceOp op, Stream &stream) override;
  Status allGather(const void *send, void *recv, size_t sendCount,
                   DType dtype, Stream &stream) override;
  Status reduceScatter(const void *send, void *recv, size_t recvCount,
                       DType dtype, ReduceOp op, Stream &stream) override;
  Status allToAll(const void *send, void *recv, size_t countPerPeer,
                  DType dtype, Stream &stream) override;
  Status allToAllV(const void *send, const size_t *sendCounts,
                   const size_t *sendOffsets, void *recv,
                   const size_t *recvCounts, const size_t *recvOffsets,
                   DType dtype, Stream &stream) override;
  Status broadcast(const void *send, void *recv, size_t count, DType dtype,
                   int root, Stream &stream) override;
  Status sendRecv(const std::vector<PeerTransfer> &transfers,
                  Stream &stream) override;
  Status barrier(Stream &stream) override;
  StatusOr<std::unique_ptr<Communicator>> split(int color, int key,
                                                std::string name) override;

  class Round;
  class Pipeline;

private:
  MpiCommunicator(std::string name, int rank, int size,
                  std::vector<int> worldRanks, MPI_Comm collComm,
                  MPI_Comm p2pComm, int tagUpperBound);

  int tag(uint64_t seq, int opKind, int phase) const;

  Status enqueueTriggeredRing(const TriggeredOp &op, const void *send,
                              void *recv, size_t blockCount, DType dtype,
                              ReduceOp reduction, const Trigger &trigger,
                              size_t chunksPerRank, bool gather,
                              Stream &stream) override;
  Status enqueueTriggeredAllGather(const TriggeredOp &op, const void *send,
                                   void *recv, size_t sendCount, DType dtype,
                                   const Trigger &trigger, size_t chunks,
                                   Stream &stream) override;

  /// Scratch buffers reused across operations (several may run at once on
  /// different streams).
  std::vector<char> takeScratch(size_t bytes);
  void returnScratch(std::vector<char> scratch);

  /// The ring reduce-scatter of the triggered reduce_scatter; with
  /// ring.gather, the reduced chunks also go to every member (all_reduce).
  Status runRingReduceScatter(const std::string &what, uint64_t seq,
                              const TriggeredRing &ring, DType dtype,
                              ReduceOp op, CpuCounter &counter,
                              const Trigger &trigger);
  Status runAllGatherBytes(const std::string &what, int tagValue,
                           const void *send, void *recv, size_t blockBytes);

  MPI_Comm collComm_;
  MPI_Comm p2pComm_;
  int tagUpperBound_;
  std::mutex scratchMu_;
  std::vector<std::vector<char>> scratchPool_;
};

class Context;

/// Initializes MPI with MPI_THREAD_MULTIPLE unless it already is, and sets
/// MPI_ERRORS_RETURN on MPI_COMM_WORLD. Returns what finalizes it: empty
/// when the caller initialized MPI; MPI_Abort instead of MPI_Finalize once a
/// wait has timed out (a missing peer would hang MPI_Finalize).
StatusOr<std::function<void()>> initializeMpi(int *argc, char ***argv);

/// MPI engine on a communicator the caller already has (a framework that
/// embeds a compiled step): the world is a duplicate of `comm`, whose ranks
/// are the world ranks of reports; a timed-out wait aborts through
/// MPI_Abort(comm). MPI must be initialized with MPI_THREAD_MULTIPLE.
StatusOr<std::unique_ptr<Context>> createMpiContext(MPI_Comm comm);

} // namespace braid_rt

#endif // BRAID_RT_MPICOMMUNICATOR_H
