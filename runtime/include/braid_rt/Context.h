//===- Context.h - one program's engine, device and communicators -*- C++ -*-//
//
// A Context is what a compiled program runs against: the engine (MPI or
// NCCL), its device, the world communicator, and the communicators of grid
// axes, created once on first use and cached. Each communicator gets one
// stream of its own (DESIGN.md, "Ordering": one stream per communicator).
//
// It also keeps the memory its communicators register: every device arena
// it creates is registered with each of its communicators (those there and
// those created later) until the arena is released or the context goes.
//
//===----------------------------------------------------------------------===//

#ifndef BRAID_RT_CONTEXT_H
#define BRAID_RT_CONTEXT_H

#include "braid_rt/Arena.h"
#include "braid_rt/Communicator.h"
#include "braid_rt/Device.h"

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

namespace braid_rt {

class Context {
public:
  /// `finalize` runs after everything else is torn down (MPI_Finalize when
  /// the context initialized MPI).
  Context(Device &device, std::unique_ptr<Device> ownedDevice,
          std::unique_ptr<Communicator> world,
          std::function<void()> finalize = nullptr);
  ~Context();
  Context(const Context &) = delete;
  Context &operator=(const Context &) = delete;

  Engine engine() const { return world_->engine(); }
  Device &device() const { return device_; }
  Communicator &world() const { return *world_; }
  int rank() const { return world_->rank(); }
  int size() const { return world_->size(); }

  /// This rank's communicator over `axes` of a grid (see Grid.h); created
  /// by the first call (collective over the world: every rank must make
  /// the same first calls in the same order) and cached.
  StatusOr<Communicator *> gridCommunicator(const std::vector<int64_t> &shape,
                                            const std::vector<int> &deviceOrder,
                                            const std::vector<int> &axes);
  /// The communicator's own stream, created on first use.
  StatusOr<Stream *> communicatorStream(Communicator &communicator);

  /// An arena on the context's device (a program's: allocated once, from
  /// the size the compiler planned). Device memory is registered with
  /// every communicator of the context, once each, until the arena is
  /// released; on the NCCL engine it comes from Device::allocateRegistrable
  /// (ncclMemAlloc), so NCCL can work on it in place. Host and pinned host
  /// arenas are not registered (pinned: staging between the GPU and the
  /// host). The arena may outlive the context; it is then deregistered
  /// already.
  StatusOr<std::unique_ptr<Arena>> createArena(size_t bytes, size_t alignment,
                                               MemoryKind kind);

private:
  class RegisteredMemory;

  Device &device_;
  std::unique_ptr<Device> ownedDevice_;
  std::unique_ptr<Communicator> world_;
  std::function<void()> finalize_;
  std::mutex mu_;
  std::map<std::vector<int64_t>, std::unique_ptr<Communicator>> grids_;
  std::map<Communicator *, std::unique_ptr<Stream>> streams_;
  /// Shared with the release hooks of arenas, which may outlive the context.
  std::shared_ptr<RegisteredMemory> registered_;
};

/// MPI engine for a process started by mpirun/srun: initializes MPI with
/// MPI_THREAD_MULTIPLE unless the caller already did (then the caller
/// finalizes), makes a world of MPI_COMM_WORLD, labels watchdog reports
/// with the rank, aborts the job through MPI_Abort when a wait times out,
/// and reports what is in flight on SIGTERM. kUnavailable when built
/// without MPI.
StatusOr<std::unique_ptr<Context>> initMpiContext(int *argc, char ***argv);

/// NCCL engine on CUDA device `cudaDevice`; ranks from an MPI launch when
/// built with MPI (the unique id goes out over MPI_COMM_WORLD), else one
/// rank. kUnavailable when built without CUDA.
StatusOr<std::unique_ptr<Context>> initNcclContext(int *argc, char ***argv,
                                                   int cudaDevice);

} // namespace braid_rt

#endif // BRAID_RT_CONTEXT_H
