//===- Grid.cpp - grid axes to communicator groups ------------------------===//

#include "braid_rt/Grid.h"

namespace braid_rt {

namespace {

Status invalidGrid(const std::string &what) {
  return Status::error(StatusCode::kInvalidArgument, "grid: " + what);
}

template <typename T> std::string join(const std::vector<T> &values,
                                       const char *separator) {
  std::string text;
  for (size_t i = 0; i < values.size(); ++i)
    text += (i ? separator : "") + std::to_string(values[i]);
  return text;
}

} // namespace

std::string gridGroupName(const std::vector<int64_t> &shape,
                          const std::vector<int> &deviceOrder,
                          const std::vector<int> &axes) {
  std::string name = "grid[" + join(shape, "x") + "] axes[" +
                     join(axes, ",") + "]";
  if (!deviceOrder.empty())
    name += " order[" + join(deviceOrder, ",") + "]";
  return name;
}

StatusOr<GridGroup> gridGroup(const std::vector<int64_t> &shape,
                              const std::vector<int> &deviceOrder,
                              const std::vector<int> &axes, int worldRank,
                              int worldSize) {
  int64_t positions = 1;
  for (int64_t extent : shape) {
    if (extent <= 0)
      return invalidGrid("extent " + std::to_string(extent) +
                         " is not positive");
    positions *= extent;
    if (positions > worldSize)
      break;
  }
  if (positions != worldSize)
    return invalidGrid("shape [" + join(shape, "x") + "] has " +
                       (positions > worldSize ? "more" : "fewer") +
                       " positions than the " + std::to_string(worldSize) +
                       " ranks of the world");
  std::vector<bool> listed(shape.size(), false);
  for (int axis : axes) {
    if (axis < 0 || axis >= static_cast<int>(shape.size()))
      return invalidGrid("axis " + std::to_string(axis) +
                         " is not an axis of a " +
                         std::to_string(shape.size()) + "-d grid");
    if (listed[axis])
      return invalidGrid("axis " + std::to_string(axis) +
                         " is listed twice");
    listed[axis] = true;
  }

  int64_t position = worldRank;
  if (!deviceOrder.empty()) {
    if (static_cast<int>(deviceOrder.size()) != worldSize)
      return invalidGrid("device order has " +
                         std::to_string(deviceOrder.size()) +
                         " entries for " + std::to_string(worldSize) +
                         " ranks");
    std::vector<bool> seen(worldSize, false);
    position = -1;
    for (int i = 0; i < worldSize; ++i) {
      int rank = deviceOrder[i];
      if (rank < 0 || rank >= worldSize || seen[rank])
        return invalidGrid("device order is not a permutation of the " +
                           std::to_string(worldSize) + " world ranks");
      seen[rank] = true;
      if (rank == worldRank)
        position = i;
    }
  }

  // Row-major coordinates of this rank's position.
  std::vector<int64_t> coordinates(shape.size());
  for (size_t axis = shape.size(); axis-- > 0;) {
    coordinates[axis] = position % shape[axis];
    position /= shape[axis];
  }
  int64_t color = 0, key = 0, groupSize = 1;
  for (size_t axis = 0; axis < shape.size(); ++axis)
    if (!listed[axis])
      color = color * shape[axis] + coordinates[axis];
  for (int axis : axes) {
    key = key * shape[axis] + coordinates[axis];
    groupSize *= shape[axis];
  }
  return GridGroup{static_cast<int>(color), static_cast<int>(key),
                   static_cast<int>(groupSize)};
}

} // namespace braid_rt
