//===- Context.cpp - one program's engine, device and communicators -------===//

#include "braid_rt/Context.h"
#include "braid_rt/Grid.h"

namespace braid_rt {

Context::Context(Device &device, std::unique_ptr<Device> ownedDevice,
                 std::unique_ptr<Communicator> world,
                 std::function<void()> finalize)
    : device_(device), ownedDevice_(std::move(ownedDevice)),
      world_(std::move(world)), finalize_(std::move(finalize)) {}

Context::~Context() {
  // Streams first: their queues may still hold operations on the
  // communicators.
  streams_.clear();
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
