//===- ArenaTest.cpp - one allocation, views by offset --------------------===//

#include "braid_rt/Arena.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>

using namespace braid_rt;

TEST(Arena, ViewsByOffset) {
  auto arena = Arena::create(cpuDevice(), 1 << 20, 4096, MemoryKind::Host);
  ASSERT_TRUE(arena.isOk()) << arena.status().toString();
  Arena &memory = *arena.value();
  EXPECT_EQ(reinterpret_cast<uintptr_t>(memory.base()) % 4096, 0u);
  EXPECT_EQ(memory.size(), 1u << 20);
  auto first = memory.at(0, 1024, 256);
  auto second = memory.at(1024, 1024, 256);
  ASSERT_TRUE(first.isOk() && second.isOk());
  EXPECT_EQ(static_cast<char *>(second.value()) -
                static_cast<char *>(first.value()),
            1024);
  std::memset(memory.base(), 0xab, memory.size()); // all of it is usable
  auto last = memory.at((1 << 20) - 8, 8, 8);
  EXPECT_TRUE(last.isOk());
}

TEST(Arena, RejectsOutOfRangeAndMisaligned) {
  auto arena = Arena::create(cpuDevice(), 4096, 64, MemoryKind::Host);
  ASSERT_TRUE(arena.isOk());
  auto past = arena.value()->at(4000, 100);
  ASSERT_FALSE(past.isOk());
  EXPECT_NE(past.status().message().find("outside the arena of 4096 bytes"),
            std::string::npos);
  EXPECT_FALSE(arena.value()->at(SIZE_MAX, 2).isOk()); // no wrap-around
  auto misaligned = arena.value()->at(8, 16, 16);
  ASSERT_FALSE(misaligned.isOk());
  EXPECT_NE(misaligned.status().message().find("not a multiple"),
            std::string::npos);
  EXPECT_FALSE(arena.value()->at(0, 16, 128).isOk()); // above the arena's
  EXPECT_FALSE(Arena::create(cpuDevice(), 64, 48, MemoryKind::Host).isOk());
}

TEST(PinnedHost, PageAlignedAndUsable) {
  auto memory = allocatePinnedHost(10000);
  ASSERT_TRUE(memory.isOk()) << memory.status().toString();
  EXPECT_EQ(reinterpret_cast<uintptr_t>(memory.value()) % kPinnedHostAlignment,
            0u);
  std::memset(memory.value(), 0x3c, 10000);
  freePinnedHost(memory.value());
  auto tooAligned = allocatePinnedHost(64, 8192);
  ASSERT_FALSE(tooAligned.isOk());
  EXPECT_NE(tooAligned.status().message().find("aligned to 4096 bytes"),
            std::string::npos);
  // Both devices' pinned host memory is this.
  auto viaDevice = cpuDevice().allocate(100, 256, MemoryKind::PinnedHost);
  ASSERT_TRUE(viaDevice.isOk());
  EXPECT_EQ(reinterpret_cast<uintptr_t>(viaDevice.value()) %
                kPinnedHostAlignment,
            0u);
  cpuDevice().deallocate(viaDevice.value(), MemoryKind::PinnedHost);
}
