//===- Grid.h - grid axes to communicator groups ----------------*- C++ -*-===//
//
// A program's ranks are the positions of a grid (upstream `shard.grid`),
// row-major, optionally permuted by a device order (position -> world
// rank). A collective over some axes runs within the group of ranks that
// share their coordinates on every other axis; inside the group, members
// are ranked row-major over the listed axes in the order they are listed.
//
//===----------------------------------------------------------------------===//

#ifndef BRAID_RT_GRID_H
#define BRAID_RT_GRID_H

#include "braid_rt/StatusOr.h"

#include <cstdint>
#include <string>
#include <vector>

namespace braid_rt {

struct GridGroup {
  int color;     ///< which group (row-major index over the other axes)
  int key;       ///< rank inside the group
  int groupSize; ///< product of the listed axes' extents
};

/// The group of `worldRank` for `axes` of a grid of `shape` (whose product
/// must be `worldSize`); `deviceOrder`, when not empty, lists the world rank
/// at each row-major grid position.
StatusOr<GridGroup> gridGroup(const std::vector<int64_t> &shape,
                              const std::vector<int> &deviceOrder,
                              const std::vector<int> &axes, int worldRank,
                              int worldSize);

/// "grid[2x4] axes[1]", "grid[2x4] axes[0,1] order[...]".
std::string gridGroupName(const std::vector<int64_t> &shape,
                          const std::vector<int> &deviceOrder,
                          const std::vector<int> &axes);

} // namespace braid_rt

#endif // BRAID_RT_GRID_H
