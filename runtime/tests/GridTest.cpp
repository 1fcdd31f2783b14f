//===- GridTest.cpp - grid axes to groups ---------------------------------===//

#include "braid_rt/Grid.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

using namespace braid_rt;

namespace {

GridGroup groupOf(const std::vector<int64_t> &shape,
                  const std::vector<int> &order, const std::vector<int> &axes,
                  int rank, int size) {
  auto group = gridGroup(shape, order, axes, rank, size);
  EXPECT_TRUE(group.isOk()) << group.status().toString();
  return group.isOk() ? group.value() : GridGroup{-1, -1, -1};
}

} // namespace

TEST(Grid, AxesOfA2x4Grid) {
  // Rank r sits at (r / 4, r % 4).
  for (int rank = 0; rank < 8; ++rank) {
    GridGroup row = groupOf({2, 4}, {}, {1}, rank, 8);
    EXPECT_EQ(row.color, rank / 4);
    EXPECT_EQ(row.key, rank % 4);
    EXPECT_EQ(row.groupSize, 4);
    GridGroup column = groupOf({2, 4}, {}, {0}, rank, 8);
    EXPECT_EQ(column.color, rank % 4);
    EXPECT_EQ(column.key, rank / 4);
    GridGroup both = groupOf({2, 4}, {}, {0, 1}, rank, 8);
    EXPECT_EQ(both.color, 0);
    EXPECT_EQ(both.key, rank);
    // Listed order decides the ranking inside the group.
    GridGroup swapped = groupOf({2, 4}, {}, {1, 0}, rank, 8);
    EXPECT_EQ(swapped.key, (rank % 4) * 2 + rank / 4);
    GridGroup none = groupOf({2, 4}, {}, {}, rank, 8);
    EXPECT_EQ(none.color, rank);
    EXPECT_EQ(none.groupSize, 1);
  }
}

TEST(Grid, DeviceOrderPermutesPositions) {
  // Position p holds world rank order[p].
  std::vector<int> order = {3, 2, 1, 0};
  for (int rank = 0; rank < 4; ++rank) {
    int position = 3 - rank;
    GridGroup row = groupOf({2, 2}, order, {1}, rank, 4);
    EXPECT_EQ(row.color, position / 2);
    EXPECT_EQ(row.key, position % 2);
  }
}

TEST(Grid, GroupsPartitionTheWorld) {
  std::vector<int64_t> shape = {2, 3, 2};
  for (std::vector<int> axes :
       {std::vector<int>{0}, {1}, {2}, {0, 2}, {2, 1}, {0, 1, 2}}) {
    std::map<int, std::set<int>> keysByColor;
    for (int rank = 0; rank < 12; ++rank) {
      GridGroup group = groupOf(shape, {}, axes, rank, 12);
      EXPECT_TRUE(keysByColor[group.color].insert(group.key).second);
      EXPECT_LT(group.key, group.groupSize);
    }
    for (auto &[color, keys] : keysByColor)
      EXPECT_EQ(static_cast<int>(keys.size()), 12 / static_cast<int>(keysByColor.size()));
  }
}

TEST(Grid, RejectsBadGrids) {
  auto wrongSize = gridGroup({2, 3}, {}, {0}, 0, 8);
  ASSERT_FALSE(wrongSize.isOk());
  EXPECT_NE(wrongSize.status().message().find("fewer positions than the 8"),
            std::string::npos)
      << wrongSize.status().message();
  EXPECT_FALSE(gridGroup({2, 4}, {}, {2}, 0, 8).isOk());
  EXPECT_FALSE(gridGroup({2, 4}, {}, {1, 1}, 0, 8).isOk());
  EXPECT_FALSE(gridGroup({2, 2}, {0, 1, 1, 2}, {0}, 0, 4).isOk());
  EXPECT_FALSE(gridGroup({0, 4}, {}, {0}, 0, 0).isOk());
  EXPECT_EQ(gridGroupName({2, 4}, {}, {1}), "grid[2x4] axes[1]");
}
