//===- NcclCommunicator.h - the NCCL engine ---------------------*- C++ -*-===//
//
// The Communicator interface over NCCL 2.28 on CudaStreams. Communicators
// are non-blocking (ncclConfig_t::blocking = 0): every call that answers
// ncclInProgress is awaited by polling ncclCommGetAsyncError under the
// watchdog, and every operation's GPU work is tracked by a CUDA event that
// the watchdog's thread polls, together with the communicator's
// asynchronous error. When a wait times out or NCCL reports an error, the
// abort handler calls ncclCommAbort on every communicator of the process
// before ending the job.
//
// Registered memory (registerMemory: ncclCommRegister) is deregistered
// before the communicator is finalized and destroyed; not before
// ncclCommAbort, which frees the registrations itself (a deregistration
// asks the peers' proxies, which a dead peer never answers).
//
// Reductions are NCCL's: bitwise equal on every rank (the result is
// computed once per element and distributed), and run to run for a fixed
// NCCL version, topology and NCCL_ALGO/NCCL_PROTO; the order is NCCL's
// (ring or tree), not the group order of the MPI engine, and f16/bf16 sums
// round at each step in NCCL's order (docs/Runtime.md).
//
//===----------------------------------------------------------------------===//

#ifndef BRAID_RT_NCCLCOMMUNICATOR_H
#define BRAID_RT_NCCLCOMMUNICATOR_H

#include "braid_rt/Communicator.h"

#include <cuda_runtime.h>
#include <nccl.h>

#include <functional>
#include <memory>
#include <mutex>

namespace braid_rt {

class Context;
class CudaStream;

class NcclCommunicator final : public Communicator {
public:
  /// Joins the `size`-rank communicator `id` as `rank` on CUDA device
  /// `device`. Collective over its members.
  static StatusOr<std::unique_ptr<NcclCommunicator>>
  create(const ncclUniqueId &id, int size, int rank, int device,
         std::string name, std::vector<int> worldRanks = {});
  /// Uses a communicator the caller made (and keeps: it is not destroyed
  /// here). Its ranks are the world ranks of reports.
  static StatusOr<std::unique_ptr<NcclCommunicator>>
  wrap(ncclComm_t comm, int device, std::string name);
  ~NcclCommunicator() override;

  Engine engine() const override { return Engine::Nccl; }
  ncclComm_t handle() const;
  int device() const;

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
  /// ncclCommRegister / ncclCommDeregister, handles kept per base.
  Status registerMemory(void *base, size_t bytes) override;
  Status deregisterMemory(void *base) override;

  struct MemoryRegistration {
    void *base;
    size_t bytes;
    void *handle; ///< ncclCommRegister's (null when NCCL skips registering)
  };
  /// What is registered now, by base.
  std::vector<MemoryRegistration> registeredMemory() const;

  /// ncclCommAbort on every NCCL communicator of the process; the
  /// watchdog's abort path.
  static void abortAll();

  struct State;

private:
  NcclCommunicator(std::string name, int rank, int size,
                   std::vector<int> worldRanks, std::shared_ptr<State> state);

  /// Triggered collectives (docs/Runtime.md, "Triggered collectives on
  /// NCCL"): every wait on the trigger is a stream memory wait on the
  /// operation's stream, so no SM spins and the host never blocks.
  Status enqueueTriggeredRing(const TriggeredOp &op, const void *send,
                              void *recv, size_t blockCount, DType dtype,
                              ReduceOp reduction, const Trigger &trigger,
                              size_t chunksPerRank, bool gather,
                              Stream &stream) override;
  Status enqueueTriggeredAllGather(const TriggeredOp &op, const void *send,
                                   void *recv, size_t sendCount, DType dtype,
                                   const Trigger &trigger, size_t chunks,
                                   Stream &stream) override;

  /// Runs `launch` (NCCL calls on `stream`) under the communicator's lock,
  /// awaits ncclInProgress, and tracks the GPU work for the watchdog.
  Status enqueue(const std::string &what, Stream &stream,
                 const std::function<ncclResult_t(cudaStream_t)> &launch);
  /// enqueue() for work of several NCCL calls, stream waits and kernels:
  /// `work` enqueues it all on the stream (settling each NCCL call itself)
  /// under the communicator's lock. `pending` is what the watchdog says
  /// when the work does not finish.
  Status enqueueWork(const std::string &what, Stream &stream,
                     const std::string &pending,
                     const std::function<Status(CudaStream &)> &work);
  /// The ring reduce-scatter of the triggered reduce_scatter on `stream`;
  /// with ring.gather, every member's reduced chunks then go to every
  /// member (all_reduce).
  Status runRingReduceScatter(const std::string &what, CudaStream &stream,
                              const TriggeredRing &ring, DType dtype,
                              ReduceOp op, const Trigger &trigger);
  /// Stream-ordered scratch from the communicator's own memory pool, which
  /// keeps its memory across operations; the caller frees it with
  /// cudaFreeAsync on the same stream after the work that uses it.
  StatusOr<void *> takeScratch(size_t bytes, cudaStream_t stream,
                               const std::string &what);

  std::shared_ptr<State> state_;
};

/// NCCL engine over a caller's communicator (not destroyed with the
/// context); device memory on `cudaDevice`.
StatusOr<std::unique_ptr<Context>> createNcclContext(ncclComm_t comm,
                                                     int cudaDevice);
/// NCCL engine from a unique id the caller distributed.
StatusOr<std::unique_ptr<Context>>
createNcclContext(const ncclUniqueId &id, int size, int rank, int cudaDevice);

} // namespace braid_rt

#endif // BRAID_RT_NCCLCOMMUNICATOR_H
