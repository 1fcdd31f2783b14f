//===- CApiTest.cpp - the C API, embedded in an MPI program ---------------===//

#include "braid_rt/braid_rt.h"
#include "braid_rt/braid_rt_mpi.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

namespace {

#define EXPECT_OK(call)                                                        \
  do {                                                                         \
    braid_rt_status status_ = (call);                                          \
    EXPECT_EQ(status_, BRAID_RT_OK) << #call << ": " << braid_rt_last_error(); \
  } while (0)

class CApi : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_EQ(braid_rt_init_from_mpi_comm(MPI_COMM_WORLD, &context_),
              BRAID_RT_OK)
        << braid_rt_last_error();
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
  }
  void TearDown() override {
    if (context_)
      EXPECT_OK(braid_rt_context_destroy(context_));
  }
  braid_rt_context *context_ = nullptr;
  int rank_ = 0, size_ = 0;
};

int bump(void *data) {
  ++*static_cast<int *>(data);
  return 0;
}

int failing(void *) { return 7; }

} // namespace

TEST_F(CApi, VersionRankAndSize) {
  EXPECT_EQ(braid_rt_api_version(), BRAID_RT_API_VERSION);
  EXPECT_STREQ(braid_rt_status_name(BRAID_RT_TIMEOUT), "timeout");
  int rank = -1, size = -1;
  EXPECT_OK(braid_rt_rank(context_, &rank));
  EXPECT_OK(braid_rt_size(context_, &size));
  EXPECT_EQ(rank, rank_);
  EXPECT_EQ(size, size_);
  braid_rt_engine engine;
  EXPECT_OK(braid_rt_context_engine(context_, &engine));
  EXPECT_EQ(engine, BRAID_RT_ENGINE_MPI);
}

TEST_F(CApi, NullArgumentsAreErrorsWithMessages) {
  EXPECT_EQ(braid_rt_rank(context_, nullptr), BRAID_RT_INVALID_ARGUMENT);
  EXPECT_STREQ(braid_rt_last_error(), "braid_rt_rank: `rank` is null");
  EXPECT_EQ(braid_rt_world(nullptr, nullptr), BRAID_RT_INVALID_ARGUMENT);
  EXPECT_EQ(braid_rt_set_timeout(context_, -1), BRAID_RT_INVALID_ARGUMENT);
}

TEST_F(CApi, GridCommunicatorsAreCachedAndReduce) {
  int a = size_ % 2 == 0 ? 2 : 1;
  int64_t shape[2] = {a, size_ / a};
  int32_t rowAxis[1] = {1};
  braid_rt_comm *row = nullptr, *again = nullptr;
  EXPECT_OK(braid_rt_grid_comm(context_, 2, shape, nullptr, 1, rowAxis, &row));
  EXPECT_OK(
      braid_rt_grid_comm(context_, 2, shape, nullptr, 1, rowAxis, &again));
  EXPECT_EQ(row, again);
  int rowRank = -1, rowSize = -1;
  EXPECT_OK(braid_rt_comm_rank(row, &rowRank));
  EXPECT_OK(braid_rt_comm_size(row, &rowSize));
  EXPECT_EQ(rowSize, size_ / a);
  EXPECT_EQ(rowRank, rank_ % (size_ / a));
  const char *name = nullptr;
  EXPECT_OK(braid_rt_comm_name(row, &name));
  EXPECT_EQ(std::string(name), "grid[" + std::to_string(a) + "x" +
                                   std::to_string(size_ / a) + "] axes[1]");

  braid_rt_stream *stream = nullptr;
  EXPECT_OK(braid_rt_comm_stream(row, &stream));
  std::vector<float> data(100, static_cast<float>(rank_ + 1));
  EXPECT_OK(braid_rt_all_reduce(row, data.data(), data.data(), data.size(),
                                BRAID_RT_F32, BRAID_RT_SUM, stream));
  EXPECT_OK(braid_rt_stream_synchronize(stream));
  // Row r holds world ranks r*b .. r*b+b-1.
  int b = size_ / a, first = (rank_ / b) * b;
  float expected = 0;
  for (int member = first; member < first + b; ++member)
    expected += static_cast<float>(member + 1);
  EXPECT_EQ(data[0], expected);
  EXPECT_EQ(data[99], expected);
  // The communicator's stream belongs to the context.
  EXPECT_EQ(braid_rt_stream_destroy(stream), BRAID_RT_INVALID_ARGUMENT);

  int32_t badAxis[1] = {2};
  braid_rt_comm *bad = nullptr;
  EXPECT_EQ(braid_rt_grid_comm(context_, 2, shape, nullptr, 1, badAxis, &bad),
            BRAID_RT_INVALID_ARGUMENT);
  EXPECT_NE(std::string(braid_rt_last_error()).find("axis 2 is not an axis"),
            std::string::npos)
      << braid_rt_last_error();
}

TEST_F(CApi, RingSendRecvAndBroadcast) {
  braid_rt_comm *world = nullptr;
  braid_rt_stream *stream = nullptr;
  EXPECT_OK(braid_rt_world(context_, &world));
  EXPECT_OK(braid_rt_stream_create(context_, "ring", 0, &stream));
  int64_t mine = 1000 + rank_, fromLeft = -1;
  braid_rt_peer_transfer transfers[2] = {
      {BRAID_RT_SEND, (rank_ + 1) % size_, &mine, 1, BRAID_RT_I64},
      {BRAID_RT_RECV, (rank_ + size_ - 1) % size_, &fromLeft, 1,
       BRAID_RT_I64}};
  EXPECT_OK(braid_rt_send_recv(world, transfers, 2, stream));
  int8_t value = rank_ == size_ - 1 ? 42 : 0;
  EXPECT_OK(braid_rt_broadcast(world, &value, &value, 1, BRAID_RT_I8,
                               size_ - 1, stream));
  EXPECT_OK(braid_rt_barrier(world, stream));
  EXPECT_OK(braid_rt_stream_synchronize(stream));
  EXPECT_EQ(fromLeft, 1000 + (rank_ + size_ - 1) % size_);
  EXPECT_EQ(value, 42);
  EXPECT_OK(braid_rt_stream_destroy(stream));
}

TEST_F(CApi, StreamsEventsCounters) {
  braid_rt_stream *producer = nullptr, *consumer = nullptr;
  EXPECT_OK(braid_rt_stream_create(context_, "producer", 0, &producer));
  EXPECT_OK(braid_rt_stream_create(context_, "consumer", 0, &consumer));
  braid_rt_event *start = nullptr, *end = nullptr;
  EXPECT_OK(braid_rt_event_create(context_, 1, &start));
  EXPECT_OK(braid_rt_event_create(context_, 1, &end));
  braid_rt_counter *counter = nullptr;
  EXPECT_OK(braid_rt_counter_create(context_, "ready", 0, &counter));

  int produced = 0, consumedSaw = -1;
  std::pair<int *, int *> link(&produced, &consumedSaw);
  EXPECT_OK(braid_rt_event_record(start, producer));
  EXPECT_OK(braid_rt_stream_launch_host(producer, bump, &produced));
  EXPECT_OK(braid_rt_counter_signal(producer, counter, 1));
  EXPECT_OK(braid_rt_event_record(end, producer));
  EXPECT_OK(braid_rt_stream_wait_counter(consumer, counter, 1));
  EXPECT_OK(braid_rt_stream_wait_event(consumer, end));
  EXPECT_OK(braid_rt_stream_launch_host(
      consumer,
      [](void *data) -> int {
        auto *pair = static_cast<std::pair<int *, int *> *>(data);
        *pair->second = *pair->first;
        return 0;
      },
      &link));
  EXPECT_OK(braid_rt_stream_synchronize(consumer));
  EXPECT_EQ(consumedSaw, 1);
  int done = 0;
  EXPECT_OK(braid_rt_event_query(end, &done));
  EXPECT_EQ(done, 1);
  double ms = -1;
  EXPECT_OK(braid_rt_event_elapsed_ms(start, end, &ms));
  EXPECT_GE(ms, 0.0);
  uint64_t value = 0;
  EXPECT_OK(braid_rt_counter_value(counter, &value));
  EXPECT_EQ(value, 1u);
  EXPECT_OK(braid_rt_counter_host_add(counter, 2));
  EXPECT_OK(braid_rt_counter_host_wait(counter, 3, 1.0));
  EXPECT_EQ(braid_rt_counter_host_wait(counter, 4, 0.01), BRAID_RT_TIMEOUT);

  // A failing host function becomes the stream's sticky error.
  EXPECT_OK(braid_rt_stream_launch_host(producer, failing, nullptr));
  EXPECT_EQ(braid_rt_stream_synchronize(producer), BRAID_RT_INTERNAL);
  EXPECT_STREQ(braid_rt_last_error(),
               "host function on stream 'producer' returned 7");

  // Live objects keep the context.
  EXPECT_EQ(braid_rt_context_destroy(context_), BRAID_RT_INVALID_ARGUMENT);
  EXPECT_OK(braid_rt_counter_destroy(counter));
  EXPECT_OK(braid_rt_event_destroy(start));
  EXPECT_OK(braid_rt_event_destroy(end));
  EXPECT_OK(braid_rt_stream_destroy(producer));
  EXPECT_OK(braid_rt_stream_destroy(consumer));
}

TEST_F(CApi, Arena) {
  braid_rt_arena *arena = nullptr;
  EXPECT_OK(braid_rt_arena_create(context_, 1 << 16, 4096,
                                  BRAID_RT_MEMORY_DEVICE, &arena));
  uint64_t bytes = 0;
  EXPECT_OK(braid_rt_arena_size(arena, &bytes));
  EXPECT_EQ(bytes, 1u << 16);
  void *base = nullptr, *at = nullptr;
  EXPECT_OK(braid_rt_arena_at(arena, 0, 16, 1, &base));
  EXPECT_OK(braid_rt_arena_at(arena, 4096, 4096, 4096, &at));
  EXPECT_EQ(static_cast<char *>(at) - static_cast<char *>(base), 4096);
  char pattern[16] = "arena bytes";
  char back[16] = {};
  EXPECT_OK(braid_rt_copy_to_device(context_, at, pattern, sizeof(pattern)));
  EXPECT_OK(braid_rt_copy_to_host(context_, back, at, sizeof(back)));
  EXPECT_STREQ(back, "arena bytes");
  // In stream order: the second copy reads what the first wrote.
  braid_rt_stream *stream = nullptr;
  char moved[16] = {};
  EXPECT_OK(braid_rt_stream_create(context_, "copies", 0, &stream));
  EXPECT_OK(braid_rt_stream_copy(stream, base, at, sizeof(pattern)));
  EXPECT_OK(braid_rt_stream_copy(stream, moved, base, sizeof(moved)));
  EXPECT_OK(braid_rt_stream_synchronize(stream));
  EXPECT_OK(braid_rt_stream_destroy(stream));
  EXPECT_STREQ(moved, "arena bytes");
  EXPECT_EQ(braid_rt_arena_at(arena, 1 << 16, 1, 1, &at),
            BRAID_RT_INVALID_ARGUMENT);
  EXPECT_NE(std::string(braid_rt_last_error()).find("outside the arena"),
            std::string::npos);
  EXPECT_OK(braid_rt_arena_destroy(arena));
}
