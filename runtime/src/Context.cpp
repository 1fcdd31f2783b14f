//===- Context.cpp - one program's engine, device and communicators -------===//

#include "braid_rt/Context.h"
#include "braid_rt/Grid.h"

namespace braid_rt {

/// The regions every communicator of a context registers, and those
/// communicators: each (region, communicator) pair is registered exactly
/// once, by whichever of the two came second.
class Context::RegisteredMemory {
public:
  /// Registers `bytes` at `base` with every communicator; on a failure,
  /// undoes what it registered and returns the failure.
  Status addRegion(void *base, size_t bytes) {
    std::lock_guard<std::mutex> lock(mu_);
    for (size_t i = 0; i < communicators_.size(); ++i) {
      Status status = communicators_[i]->registerMemory(base, bytes);
      if (!status.isOk()) {
        while (i-- > 0)
          (void)communicators_[i]->deregisterMemory(base);
        return status;
      }
    }
    regions_[base] = bytes;
    return Status::ok();
  }

  /// Deregisters the region from every communicator (all of them, even
  /// after a failure) and returns the first failure.
  Status removeRegion(void *base) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!regions_.erase(base))
      return Status::ok(); // the context went first and deregistered it
    Status first;
    for (Communicator *communicator : communicators_) {
      Status status = communicator->deregisterMemory(base);
      if (first.isOk())
        first = status;
    }
    return first;
  }

  /// Registers every region with `communicator`, which is remembered; on a
  /// failure, undoes and returns it.
  Status addCommunicator(Communicator &communicator) {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto region = regions_.begin(); region != regions_.end(); ++region) {
      Status status = communicator.registerMemory(region->first, region->second);
      if (!status.isOk()) {
        for (auto done = regions_.begin(); done != region; ++done)
          (void)communicator.deregisterMemory(done->first);
        return status;
      }
    }
    communicators_.push_back(&communicator);
    return Status::ok();
  }

  /// The context is going: deregisters every region from every
  /// communicator (before they are destroyed) and forgets both.
  void clear() {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto &region : regions_)
      for (Communicator *communicator : communicators_)
        (void)communicator->deregisterMemory(region.first);
    regions_.clear();
    communicators_.clear();
  }

private:
  std::mutex mu_;
  std::vector<Communicator *> communicators_;
  std::map<void *, size_t> regions_;
};

Context::Context(Device &device, std::unique_ptr<Device> ownedDevice,
                 std::unique_ptr<Communicator> world,
                 std::function<void()> finalize)
    : device_(device), ownedDevice_(std::move(ownedDevice)),
      world_(std::move(world)), finalize_(std::move(finalize)),
      registered_(std::make_shared<RegisteredMemory>()) {
  // Nothing is registered yet, so this cannot fail.
  (void)registered_->addCommunicator(*world_);
}

Context::~Context() {
  // Streams first: their queues may still hold operations on the
  // communicators. Then the registrations, which NCCL wants undone before
  // a communicator is destroyed.
  streams_.clear();
  registered_->clear();
  grids_.clear();
  world_.reset();
  ownedDevice_.reset();
  if (finalize_)
    finalize_();
}

StatusOr<Communicator *>
Context::gridCommunicator(const std::vector<int64_t> &shape,
                          const std::vector<int> &deviceOrder,
                          const std::vector<int> &axes) {
  std::vector<int64_t> key;
  key.push_back(static_cast<int64_t>(shape.size()));
  key.insert(key.end(), shape.begin(), shape.end());
  key.push_back(static_cast<int64_t>(deviceOrder.size()));
  key.insert(key.end(), deviceOrder.begin(), deviceOrder.end());
  key.insert(key.end(), axes.begin(), axes.end());

  std::lock_guard<std::mutex> lock(mu_);
  auto found = grids_.find(key);
  if (found != grids_.end())
    return found->second.get();
  auto group =
      gridGroup(shape, deviceOrder, axes, world_->rank(), world_->size());
  if (!group)
    return group.takeStatus();
  auto created = world_->split(group->color, group->key,
                               gridGroupName(shape, deviceOrder, axes));
  if (!created)
    return created.takeStatus();
  Status registered = registered_->addCommunicator(*created.value());
  if (!registered.isOk())
    return registered.withContext("registering the context's device arenas");
  Communicator *communicator = created->get();
  grids_.emplace(std::move(key), std::move(created.value()));
  return communicator;
}

StatusOr<Stream *> Context::communicatorStream(Communicator &communicator) {
  std::lock_guard<std::mutex> lock(mu_);
  auto found = streams_.find(&communicator);
  if (found != streams_.end())
    return found->second.get();
  // Communication runs ahead of compute: the highest CUDA priority (-5 is
  // clamped to the device's range).
  auto stream = device_.createStream("comm " + communicator.name(), -5);
  if (!stream)
    return stream.takeStatus();
  Stream *result = stream->get();
  streams_.emplace(&communicator, std::move(stream.value()));
  return result;
}

StatusOr<std::unique_ptr<Arena>>
Context::createArena(size_t bytes, size_t alignment, MemoryKind kind) {
  bool registered = kind == MemoryKind::Device;
  auto arena = registered && engine() == Engine::Nccl
                   ? Arena::createRegistrable(device_, bytes, alignment)
                   : Arena::create(device_, bytes, alignment, kind);
  if (!arena)
    return arena.takeStatus().withContext("rank " + std::to_string(rank()));
  if (!registered || arena.value()->size() == 0)
    return arena;
  Arena &memory = *arena.value();
  // All of the allocation: the base rounds it up by the same amount on
  // every rank, so views keep equal offsets from what is registered.
  void *region = memory.allocation();
  std::string what = "the " + std::to_string(bytes) + "-byte device arena";
  Status status = registered_->addRegion(region, memory.allocationBytes());
  if (!status.isOk())
    return status.withContext("registering " + what);
  memory.setReleaseHook([registry = registered_, region, what] {
    Status removed = registry->removeRegion(region);
    return removed.withContext("deregistering " + what);
  });
  return arena;
}

#ifndef BRAID_RT_HAVE_MPI
StatusOr<std::unique_ptr<Context>> initMpiContext(int *, char ***) {
  return Status::error(StatusCode::kUnavailable,
                       "braid_rt was built without MPI (BRAID_RT_ENABLE_MPI "
                       "was off or MPI was not found)");
}
#endif

#ifndef BRAID_RT_HAVE_CUDA
StatusOr<std::unique_ptr<Context>> initNcclContext(int *, char ***, int) {
  return Status::error(StatusCode::kUnavailable,
                       "braid_rt was built without CUDA and NCCL "
                       "(BRAID_RT_ENABLE_CUDA was off or CUDA was not found)");
}
#endif

} // namespace braid_rt
