//===- TriggeredCollectiveTest.cpp - producer fusion on MPI ranks ---------===//
//
// A GEMM computed chunk by chunk (braid_rt_cpu_gemm_chunked) on a producer
// stream releases a counter; triggered collectives on the communicator's
// stream move each chunk once it is released. Checked through the C API at
// every rank count of the suite:
//
//  - the chunked GEMM is bitwise braid_rt_cpu_gemm (cuts along M and N,
//    tiles, transposes, bf16, any order);
//  - reduce_scatter / all_reduce in T3's ring order equal a fold written
//    here in that order bit for bit, are within the numerics contract's
//    f64 bound (and bitwise the untriggered collective at 2 ranks, where the
//    two orders are one addition), identical on every rank and run to run;
//  - all_gather equals braid_rt_all_gather bit for bit;
//  - steps that reuse one counter with epoch values never see an earlier
//    step's releases (the collective is enqueued before the producer runs,
//    and the producer is slow at random);
//  - a chunk that is never released ends in the watchdog's message
//    (TriggerTimeout, run by its own ctest entries).
//
//===----------------------------------------------------------------------===//

#include "GridMatrix.h"
#include "braid_rt/DType.h"
#include "braid_rt/braid_rt.h"
#include "braid_rt/kernels.h"

#include <gtest/gtest.h>
#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

braid_rt_context *context = nullptr;
braid_rt_comm *world = nullptr;
int rank = 0, size = 1;

#define ASSERT_RT(call)                                                        \
  do {                                                                         \
    braid_rt_status status_ = (call);                                          \
    ASSERT_EQ(status_, BRAID_RT_OK) << #call << ": " << braid_rt_last_error(); \
  } while (0)

using braid_rt::test::gridMatrix;

/// One rank's GEMM problem of a step: A [m, k], B [k, n], C [m, n].
struct Problem {
  int64_t m, n, k;
  braid_rt_elem cType;
  std::vector<float> a, b;
  braid_rt_gemm_desc desc() const {
    return braid_rt_gemm_desc_dense(1, m, n, k, BRAID_RT_ELEM_F32,
                                    BRAID_RT_ELEM_F32, cType, 0);
  }
  size_t cBytes() const {
    return static_cast<size_t>(m * n) * braid_rt_elem_size(cType);
  }
};

Problem makeProblem(int64_t m, int64_t n, int64_t k, braid_rt_elem cType,
                    int forRank, uint64_t step) {
  uint64_t seed = 1000003ULL * (step + 1) + 7919ULL * forRank;
  return Problem{m, n, k, cType, gridMatrix(m * k, seed),
                 gridMatrix(k * n, seed + 1)};
}

/// C of `problem` by one braid_rt_cpu_gemm call.
std::vector<char> wholeGemm(const Problem &problem) {
  std::vector<char> c(problem.cBytes());
  braid_rt_gemm_desc desc = problem.desc();
  EXPECT_EQ(braid_rt_cpu_gemm(&desc, problem.a.data(), problem.b.data(),
                              c.data(), BRAID_RT_GEMM_BLAS, nullptr, 0),
            0)
      << braid_rt_kernel_last_error();
  return c;
}

double elementAt(const std::vector<char> &buffer, braid_rt_elem type,
                 size_t i) {
  if (type == BRAID_RT_ELEM_BF16) {
    uint16_t bits;
    std::memcpy(&bits, buffer.data() + 2 * i, 2);
    return braid_rt::bf16ToFloat(bits);
  }
  float value;
  std::memcpy(&value, buffer.data() + 4 * i, 4);
  return value;
}

/// a + b rounded to `type` (f32 or bf16), as one step of a reduction.
void addInto(std::vector<char> &acc, const std::vector<char> &other,
             braid_rt_elem type, size_t begin, size_t count) {
  for (size_t i = begin; i < begin + count; ++i) {
    float sum = static_cast<float>(elementAt(acc, type, i)) +
                static_cast<float>(elementAt(other, type, i));
    if (type == BRAID_RT_ELEM_BF16) {
      uint16_t bits = braid_rt::floatToBf16(sum);
      std::memcpy(acc.data() + 2 * i, &bits, 2);
    } else {
      std::memcpy(acc.data() + 4 * i, &sum, 4);
    }
  }
}

braid_rt_dtype dtypeOf(braid_rt_elem type) {
  return type == BRAID_RT_ELEM_BF16 ? BRAID_RT_BF16 : BRAID_RT_F32;
}

/// The producer task: the chunked GEMM, releasing the trigger after each
/// tile, slowed down at random so the consumer really waits.
struct Producer {
  Problem problem;
  void *c = nullptr;
  braid_rt_gemm_cut cut = BRAID_RT_GEMM_CUT_M;
  int64_t chunks = 1;
  std::vector<int64_t> order;
  braid_rt_trigger trigger{};
  int maxDelayUs = 0;
  std::mt19937 random{0};

  static int release(void *user, int64_t position, int64_t tile) {
    auto *self = static_cast<Producer *>(user);
    if (self->maxDelayUs > 0)
      std::this_thread::sleep_for(std::chrono::microseconds(
          self->random() % static_cast<unsigned>(self->maxDelayUs)));
    braid_rt_status status = braid_rt_trigger_release(
        &self->trigger, self->chunks, position, tile);
    if (status != BRAID_RT_OK)
      std::fprintf(stderr, "rank %d: release: %s\n", rank,
                   braid_rt_last_error());
    return status;
  }
  static int run(void *user) {
    auto *self = static_cast<Producer *>(user);
    braid_rt_gemm_desc desc = self->problem.desc();
    int result = braid_rt_cpu_gemm_chunked(
        &desc, self->problem.a.data(), self->problem.b.data(), self->c,
        BRAID_RT_GEMM_BLAS, nullptr, 0, self->cut, self->chunks,
        self->order.data(), static_cast<int64_t>(self->trigger.tiles_per_chunk),
        release, self);
    if (result != 0)
      std::fprintf(stderr, "rank %d: producer: %s\n", rank,
                   braid_rt_kernel_last_error());
    return result;
  }
};

std::vector<int64_t> ringOrder(int64_t chunks) {
  std::vector<int64_t> order(chunks);
  for (int64_t i = 0; i < chunks; ++i)
    order[i] = braid_rt_chunk_at(BRAID_RT_CHUNK_ORDER_RING, rank, size, chunks,
                                 i);
  return order;
}

/// The result block `block` of a ring reduce-scatter of every rank's C:
/// folded over ranks block+1, block+2, ..., block, in that order.
std::vector<char> ringFold(const std::vector<std::vector<char>> &cs,
                           braid_rt_elem type, size_t block,
                           size_t blockCount) {
  std::vector<char> acc = cs[(block + 1) % size];
  for (int j = 2; j <= size; ++j)
    addInto(acc, cs[(block + j) % size], type, block * blockCount, blockCount);
  return acc;
}

/// |got - exact sum| within the f64 bound of P-1 roundings to `type`.
void expectWithinContract(const std::vector<char> &got, size_t gotBegin,
                          const std::vector<std::vector<char>> &cs,
                          braid_rt_elem type, size_t begin, size_t count) {
  double unit = type == BRAID_RT_ELEM_BF16 ? std::ldexp(1.0, -8)
                                           : std::ldexp(1.0, -24);
  for (size_t i = 0; i < count; ++i) {
    double exact = 0, magnitude = 0;
    for (const auto &c : cs) {
      exact += elementAt(c, type, begin + i);
      magnitude += std::fabs(elementAt(c, type, begin + i));
    }
    double value = elementAt(got, type, gotBegin + i);
    ASSERT_LE(std::fabs(value - exact), size * unit * magnitude + 1e-30)
        << "element " << begin + i << ": " << value << " vs " << exact;
  }
}

//===----------------------------------------------------------------------===//
// The chunked GEMM
//===----------------------------------------------------------------------===//

/// Chunks 0..chunks-1 in a random order (the producer's order is any).
std::vector<int64_t> shuffledOrder(int64_t chunks, std::mt19937 &random) {
  std::vector<int64_t> order(chunks);
  for (int64_t i = 0; i < chunks; ++i)
    order[i] = i;
  std::shuffle(order.begin(), order.end(), random);
  return order;
}

/// A release callback that appends (position, tile) to a vector.
int recordRelease(void *user, int64_t position, int64_t tile) {
  static_cast<std::vector<std::pair<int64_t, int64_t>> *>(user)->push_back(
      {position, tile});
  return 0;
}

TEST(ChunkedGemm, BitwiseEqualToOneCall) {
  struct Case {
    int64_t m, n, k;
    int32_t transA, transB;
    braid_rt_elem cType;
    braid_rt_gemm_cut cut;
    int64_t chunks, tiles;
  };
  const Case cases[] = {
      {64, 48, 96, 0, 0, BRAID_RT_ELEM_F32, BRAID_RT_GEMM_CUT_M, 4, 1},
      {64, 48, 96, 0, 0, BRAID_RT_ELEM_F32, BRAID_RT_GEMM_CUT_N, 4, 1},
      {120, 36, 200, 1, 0, BRAID_RT_ELEM_F32, BRAID_RT_GEMM_CUT_M, 8, 3},
      {36, 120, 200, 0, 1, BRAID_RT_ELEM_F32, BRAID_RT_GEMM_CUT_N, 6, 5},
      {96, 40, 64, 1, 1, BRAID_RT_ELEM_BF16, BRAID_RT_GEMM_CUT_M, 3, 2},
      {40, 96, 64, 0, 0, BRAID_RT_ELEM_BF16, BRAID_RT_GEMM_CUT_N, 2, 7},
      {257, 129, 300, 0, 0, BRAID_RT_ELEM_F32, BRAID_RT_GEMM_CUT_M, 1, 9},
  };
  std::mt19937 random(42);
  for (const Case &test : cases) {
    std::vector<float> a = gridMatrix(test.m * test.k, 1);
    std::vector<float> b = gridMatrix(test.k * test.n, 2);
    braid_rt_gemm_desc desc = braid_rt_gemm_desc_dense(
        1, test.m, test.n, test.k, BRAID_RT_ELEM_F32, BRAID_RT_ELEM_F32,
        test.cType, 0);
    desc.trans_a = test.transA;
    desc.trans_b = test.transB;
    desc.lda = test.transA ? test.m : test.k;
    desc.ldb = test.transB ? test.k : test.n;
    size_t bytes = test.m * test.n * braid_rt_elem_size(test.cType);
    std::vector<char> whole(bytes), chunked(bytes, 0x7f);
    ASSERT_EQ(braid_rt_cpu_gemm(&desc, a.data(), b.data(), whole.data(),
                                BRAID_RT_GEMM_BLAS, nullptr, 0),
              0);
    std::vector<int64_t> order = shuffledOrder(test.chunks, random);
    std::vector<std::pair<int64_t, int64_t>> releases;
    ASSERT_EQ(braid_rt_cpu_gemm_chunked(
                  &desc, a.data(), b.data(), chunked.data(),
                  BRAID_RT_GEMM_BLAS, nullptr, 0, test.cut, test.chunks,
                  order.data(), test.tiles, recordRelease, &releases),
              0)
        << braid_rt_kernel_last_error();
    EXPECT_EQ(std::memcmp(whole.data(), chunked.data(), bytes), 0)
        << "m " << test.m << " n " << test.n << " cut " << test.cut;
    ASSERT_EQ(releases.size(), static_cast<size_t>(test.chunks * test.tiles));
    for (size_t i = 0; i < releases.size(); ++i)
      EXPECT_EQ(releases[i],
                std::make_pair(static_cast<int64_t>(i) / test.tiles,
                               static_cast<int64_t>(i) % test.tiles));
  }
}

TEST(ChunkedGemm, RejectsWhatTheCollectivesCannotCut) {
  braid_rt_gemm_desc desc = braid_rt_gemm_desc_dense(
      1, 10, 4, 4, BRAID_RT_ELEM_F32, BRAID_RT_ELEM_F32, BRAID_RT_ELEM_F32, 0);
  std::vector<float> a(40), b(16), c(40);
  EXPECT_NE(braid_rt_cpu_gemm_chunked(&desc, a.data(), b.data(), c.data(),
                                      BRAID_RT_GEMM_BLAS, nullptr, 0,
                                      BRAID_RT_GEMM_CUT_M, 4, nullptr, 1,
                                      nullptr, nullptr),
            0);
  EXPECT_NE(std::string(braid_rt_kernel_last_error())
                .find("m = 10 is not a multiple of chunks = 4"),
            std::string::npos)
      << braid_rt_kernel_last_error();
  int64_t twice[2] = {1, 1};
  EXPECT_NE(braid_rt_cpu_gemm_chunked(&desc, a.data(), b.data(), c.data(),
                                      BRAID_RT_GEMM_BLAS, nullptr, 0,
                                      BRAID_RT_GEMM_CUT_M, 2, twice, 1,
                                      nullptr, nullptr),
            0);
  EXPECT_NE(std::string(braid_rt_kernel_last_error()).find("order[1] = 1"),
            std::string::npos)
      << braid_rt_kernel_last_error();
}

TEST(ChunkedGroupedMatmul, BitwiseEqualToOneCall) {
  // Group boundaries inside chunks and tile blocks, an empty group, rows
  // past the groups' total (zero), f32 and bf16 outputs.
  struct Case {
    int64_t rows, depth, cols;
    std::vector<int64_t> sizes;
    braid_rt_elem outType;
    int64_t chunks, tiles;
  };
  const Case cases[] = {
      {48, 32, 16, {20, 12, 16}, BRAID_RT_ELEM_F32, 4, 1},
      {48, 32, 16, {20, 0, 16}, BRAID_RT_ELEM_F32, 8, 3},
      {60, 24, 40, {7, 13, 30, 9}, BRAID_RT_ELEM_BF16, 3, 2},
  };
  std::mt19937 random(7);
  for (const Case &test : cases) {
    int64_t experts = static_cast<int64_t>(test.sizes.size());
    std::vector<float> lhs = gridMatrix(test.rows * test.depth, 3);
    std::vector<float> rhs = gridMatrix(experts * test.depth * test.cols, 4);
    size_t bytes = test.rows * test.cols * braid_rt_elem_size(test.outType);
    std::vector<char> whole(bytes, 0x55), chunked(bytes, 0x7f);
    ASSERT_EQ(braid_rt_cpu_grouped_matmul(
                  BRAID_RT_ELEM_F32, test.outType, test.rows, test.depth,
                  test.cols, experts, lhs.data(), rhs.data(),
                  test.sizes.data(), BRAID_RT_ELEM_I64, whole.data(),
                  BRAID_RT_GEMM_BLAS, nullptr, 0),
              0)
        << braid_rt_kernel_last_error();
    std::vector<int64_t> order = shuffledOrder(test.chunks, random);
    std::vector<std::pair<int64_t, int64_t>> releases;
    ASSERT_EQ(braid_rt_cpu_grouped_matmul_chunked(
                  BRAID_RT_ELEM_F32, test.outType, test.rows, test.depth,
                  test.cols, experts, lhs.data(), rhs.data(),
                  test.sizes.data(), BRAID_RT_ELEM_I64, chunked.data(),
                  BRAID_RT_GEMM_BLAS, test.chunks, order.data(), test.tiles,
                  recordRelease, &releases),
              0)
        << braid_rt_kernel_last_error();
    EXPECT_EQ(std::memcmp(whole.data(), chunked.data(), bytes), 0)
        << "rows " << test.rows << " chunks " << test.chunks;
    EXPECT_EQ(releases.size(), static_cast<size_t>(test.chunks * test.tiles));
  }
  // No columns (an empty output): nothing to compute, every block still
  // released.
  std::vector<float> noColumnsLhs(12 * 4);
  int64_t halves[2] = {6, 6};
  std::vector<std::pair<int64_t, int64_t>> releases;
  EXPECT_EQ(braid_rt_cpu_grouped_matmul_chunked(
                BRAID_RT_ELEM_F32, BRAID_RT_ELEM_F32, 12, 4, 0, 2,
                noColumnsLhs.data(), nullptr, halves, BRAID_RT_ELEM_I64,
                nullptr, BRAID_RT_GEMM_BLAS, 3, nullptr, 2, recordRelease,
                &releases),
            0)
      << braid_rt_kernel_last_error();
  EXPECT_EQ(releases.size(), 6u);
  std::vector<float> lhs(40), rhs(16), out(40);
  int64_t sizes[1] = {10};
  EXPECT_NE(braid_rt_cpu_grouped_matmul_chunked(
                BRAID_RT_ELEM_F32, BRAID_RT_ELEM_F32, 10, 4, 4, 1, lhs.data(),
                rhs.data(), sizes, BRAID_RT_ELEM_I64, out.data(),
                BRAID_RT_GEMM_BLAS, 4, nullptr, 1, nullptr, nullptr),
            0);
  EXPECT_NE(std::string(braid_rt_kernel_last_error())
                .find("m = 10 is not a multiple of chunks = 4"),
            std::string::npos)
      << braid_rt_kernel_last_error();
}

TEST(ChunkOrder, RingVisitsEveryChunkOnceEndingWithOwnBlock) {
  for (int p = 1; p <= 8; ++p)
    for (int r = 0; r < p; ++r)
      for (int64_t k : {1, 2, 3}) {
        std::vector<bool> seen(p * k, false);
        for (int64_t i = 0; i < p * k; ++i) {
          int64_t chunk =
              braid_rt_chunk_at(BRAID_RT_CHUNK_ORDER_RING, r, p, p * k, i);
          ASSERT_GE(chunk, 0);
          EXPECT_FALSE(seen[chunk]);
          seen[chunk] = true;
          // Step s of rank r consumes block (r - s - 1) mod p.
          EXPECT_EQ(chunk / k, ((r - i / k - 1) % p + p) % p);
        }
        EXPECT_EQ(braid_rt_chunk_at(BRAID_RT_CHUNK_ORDER_RING, r, p, p * k,
                                    p * k - 1) /
                      k,
                  r);
      }
  EXPECT_EQ(braid_rt_chunk_at(BRAID_RT_CHUNK_ORDER_RING, 0, 3, 4, 0), -1);
}

//===----------------------------------------------------------------------===//
// Triggered collectives
//===----------------------------------------------------------------------===//

enum class Kind { ReduceScatter, AllReduce, AllReduceInPlace, AllGather };

struct StepResult {
  std::vector<char> c;      // this rank's GEMM output
  std::vector<char> result; // the collective's output
};

/// One step: the collective is enqueued first (it must wait), then the
/// producer, which computes C in the collective's order.
void runStep(Kind kind, const Problem &problem, braid_rt_counter *counter,
             uint64_t epoch, int64_t chunksPerRank, uint64_t tiles,
             int maxDelayUs, braid_rt_stream *producerStream,
             StepResult &out) {
  braid_rt_stream *commStream = nullptr;
  ASSERT_RT(braid_rt_comm_stream(world, &commStream));
  braid_rt_dtype dtype = dtypeOf(problem.cType);
  size_t elements = static_cast<size_t>(problem.m * problem.n);
  size_t elementBytes = braid_rt_elem_size(problem.cType);
  bool gather = kind == Kind::AllGather;
  Producer producer;
  producer.problem = problem;
  producer.chunks = gather ? chunksPerRank : size * chunksPerRank;
  producer.trigger = braid_rt_trigger{counter, epoch, tiles};
  producer.maxDelayUs = maxDelayUs;
  producer.random.seed(static_cast<unsigned>(epoch * 31 + rank));
  if (gather) {
    producer.order.resize(chunksPerRank);
    for (int64_t i = 0; i < chunksPerRank; ++i)
      producer.order[i] = i;
  } else {
    producer.order = ringOrder(producer.chunks);
  }
  out.c.assign(elements * elementBytes, 0);
  size_t resultElements = kind == Kind::ReduceScatter ? elements / size
                          : gather                    ? elements * size
                                                      : elements;
  if (kind == Kind::AllReduceInPlace) {
    producer.c = out.c.data();
  } else {
    out.result.assign(resultElements * elementBytes, 0x55);
    producer.c = out.c.data();
  }
  switch (kind) {
  case Kind::ReduceScatter:
    ASSERT_RT(braid_rt_reduce_scatter_triggered(
        world, out.c.data(), out.result.data(), resultElements, dtype,
        BRAID_RT_SUM, &producer.trigger, chunksPerRank, commStream));
    break;
  case Kind::AllReduce:
    ASSERT_RT(braid_rt_all_reduce_triggered(
        world, out.c.data(), out.result.data(), elements, dtype, BRAID_RT_SUM,
        &producer.trigger, chunksPerRank, commStream));
    break;
  case Kind::AllReduceInPlace:
    ASSERT_RT(braid_rt_all_reduce_triggered(
        world, out.c.data(), out.c.data(), elements, dtype, BRAID_RT_SUM,
        &producer.trigger, chunksPerRank, commStream));
    break;
  case Kind::AllGather:
    ASSERT_RT(braid_rt_all_gather_triggered(
        world, out.c.data(), out.result.data(), elements, dtype,
        &producer.trigger, chunksPerRank, commStream));
    break;
  }
  ASSERT_RT(braid_rt_stream_launch_host(producerStream, Producer::run,
                                        &producer));
  ASSERT_RT(braid_rt_stream_synchronize(producerStream));
  ASSERT_RT(braid_rt_stream_synchronize(commStream));
  if (kind == Kind::AllReduceInPlace) {
    out.result = out.c;
    out.c.clear();
  }
}

class TriggeredTest : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_RT(braid_rt_stream_create(context, "producer", 0, &producer_));
    ASSERT_RT(braid_rt_counter_create(context, "released", 0, &counter_));
  }
  void TearDown() override {
    if (producer_)
      braid_rt_stream_destroy(producer_);
    if (counter_)
      braid_rt_counter_destroy(counter_);
  }
  /// The first epoch whose values lie above the counter for `chunks` chunks
  /// of `tiles` tiles: a program keeps one shape per counter, this test
  /// changes it between steps.
  uint64_t epochFor(uint64_t chunks, uint64_t tiles) {
    uint64_t value = 0;
    EXPECT_EQ(braid_rt_counter_value(counter_, &value), BRAID_RT_OK);
    uint64_t perEpoch = chunks * tiles;
    return std::max(epoch_, (value + perEpoch - 1) / perEpoch);
  }
  braid_rt_stream *producer_ = nullptr;
  braid_rt_counter *counter_ = nullptr;
  uint64_t epoch_ = 0;
};

/// Checks one reduce_scatter / all_reduce step against the ring-order fold
/// of every rank's C (computed here from the same seeds) and the f64 bound.
void checkReduction(Kind kind, const Problem &mine, const StepResult &step,
                    uint64_t stepIndex) {
  std::vector<std::vector<char>> cs;
  for (int r = 0; r < size; ++r)
    cs.push_back(wholeGemm(makeProblem(mine.m, mine.n, mine.k, mine.cType, r,
                                       stepIndex)));
  if (!step.c.empty()) {
    ASSERT_EQ(step.c, cs[rank]) << "the producer's C is not the whole GEMM's";
  }
  size_t blockCount = static_cast<size_t>(mine.m * mine.n) / size;
  size_t elementBytes = braid_rt_elem_size(mine.cType);
  for (int block = 0; block < size; ++block) {
    if (kind == Kind::ReduceScatter && block != rank)
      continue;
    std::vector<char> expected = ringFold(cs, mine.cType, block, blockCount);
    size_t gotBegin = kind == Kind::ReduceScatter ? 0 : block * blockCount;
    ASSERT_EQ(std::memcmp(step.result.data() + gotBegin * elementBytes,
                          expected.data() + block * blockCount * elementBytes,
                          blockCount * elementBytes),
              0)
        << "block " << block << " is not the ring-order fold";
    expectWithinContract(step.result, gotBegin, cs, mine.cType,
                         block * blockCount, blockCount);
  }
}

TEST_F(TriggeredTest, ReduceScatterInRingOrder) {
  for (braid_rt_elem type : {BRAID_RT_ELEM_F32, BRAID_RT_ELEM_BF16})
    for (int64_t chunksPerRank : {1, 2, 4})
      for (uint64_t tiles : {1, 3}) {
        epoch_ = epochFor(size * chunksPerRank, tiles);
        Problem problem =
            makeProblem(size * chunksPerRank * 6, 20, 48, type, rank, epoch_);
        StepResult step;
        runStep(Kind::ReduceScatter, problem, counter_, epoch_, chunksPerRank,
                tiles, 200, producer_, step);
        checkReduction(Kind::ReduceScatter, problem, step, epoch_);
        if (HasFatalFailure())
          return;
        // The untriggered collective of the whole GEMM: its rank-order fold
        // and the ring's are one commutative addition apart at 2 ranks.
        if (size == 2) {
          braid_rt_stream *commStream = nullptr;
          ASSERT_RT(braid_rt_comm_stream(world, &commStream));
          std::vector<char> plain(step.result.size());
          ASSERT_RT(braid_rt_reduce_scatter(
              world, step.c.data(), plain.data(),
              plain.size() / braid_rt_elem_size(type), dtypeOf(type),
              BRAID_RT_SUM, commStream));
          ASSERT_RT(braid_rt_stream_synchronize(commStream));
          EXPECT_EQ(plain, step.result);
        }
        ++epoch_;
      }
}

TEST_F(TriggeredTest, AllReduceIsReplicatedAndRunToRunIdentical) {
  for (Kind kind : {Kind::AllReduce, Kind::AllReduceInPlace})
    for (int64_t chunksPerRank : {1, 3}) {
      Problem problem = makeProblem(size * chunksPerRank * 4, 33, 40,
                                    BRAID_RT_ELEM_F32, rank, 0);
      StepResult first, second;
      epoch_ = epochFor(size * chunksPerRank, 1);
      runStep(kind, problem, counter_, epoch_++, chunksPerRank, 1, 300,
              producer_, first);
      epoch_ = epochFor(size * chunksPerRank, 2);
      runStep(kind, problem, counter_, epoch_++, chunksPerRank, 2, 0,
              producer_, second);
      if (HasFatalFailure())
        return;
      checkReduction(kind, problem, first, 0);
      EXPECT_EQ(first.result, second.result) << "not identical run to run";
      // Every rank holds the same bytes.
      std::vector<char> all(first.result.size() * size);
      MPI_Allgather(first.result.data(), static_cast<int>(first.result.size()),
                    MPI_BYTE, all.data(), static_cast<int>(first.result.size()),
                    MPI_BYTE, MPI_COMM_WORLD);
      for (int r = 0; r < size; ++r)
        EXPECT_EQ(std::memcmp(all.data() + r * first.result.size(),
                              first.result.data(), first.result.size()),
                  0)
            << "rank " << r << " differs";
    }
}

TEST_F(TriggeredTest, AllGatherEqualsTheUntriggeredOne) {
  for (braid_rt_elem type : {BRAID_RT_ELEM_F32, BRAID_RT_ELEM_BF16})
    for (int64_t chunks : {1, 2, 5}) {
      epoch_ = epochFor(chunks, 2);
      Problem problem = makeProblem(chunks * 3, 17, 24, type, rank, epoch_);
      StepResult step;
      runStep(Kind::AllGather, problem, counter_, epoch_++, chunks, 2, 200,
              producer_, step);
      if (HasFatalFailure())
        return;
      braid_rt_stream *commStream = nullptr;
      ASSERT_RT(braid_rt_comm_stream(world, &commStream));
      std::vector<char> plain(step.result.size());
      ASSERT_RT(braid_rt_all_gather(world, step.c.data(), plain.data(),
                                    step.c.size() / braid_rt_elem_size(type),
                                    dtypeOf(type), commStream));
      ASSERT_RT(braid_rt_stream_synchronize(commStream));
      EXPECT_EQ(plain, step.result);
      for (int r = 0; r < size; ++r) {
        std::vector<char> theirs = wholeGemm(
            makeProblem(problem.m, problem.n, problem.k, type, r, epoch_ - 1));
        EXPECT_EQ(std::memcmp(step.result.data() + r * theirs.size(),
                              theirs.data(), theirs.size()),
                  0)
            << "block of rank " << r;
      }
    }
}

TEST_F(TriggeredTest, EpochsNeverRace) {
  // One counter over many steps whose inputs change: a wait satisfied by
  // the previous step's releases would send stale chunks of C.
  const int64_t chunksPerRank = 2;
  for (uint64_t step = 0; step < 6; ++step) {
    Problem problem = makeProblem(size * chunksPerRank * 5, 12, 30,
                                  BRAID_RT_ELEM_F32, rank, 100 + step);
    StepResult result;
    // Rank-dependent delays: ranks run at different speeds.
    runStep(Kind::AllReduce, problem, counter_, epoch_++, chunksPerRank, 1,
            100 + 400 * ((rank + step) % 2), producer_, result);
    if (HasFatalFailure())
      return;
    checkReduction(Kind::AllReduce, problem, result, 100 + step);
    if (HasFatalFailure())
      return;
  }
  uint64_t value = 0;
  ASSERT_RT(braid_rt_counter_value(counter_, &value));
  EXPECT_EQ(value, epoch_ * size * chunksPerRank);
}

TEST_F(TriggeredTest, BadArgumentsAreRejectedBeforeEnqueueing) {
  braid_rt_stream *commStream = nullptr;
  ASSERT_RT(braid_rt_comm_stream(world, &commStream));
  std::vector<float> send(size * 6), recv(6);
  braid_rt_trigger trigger{counter_, 0, 1};
  EXPECT_EQ(braid_rt_reduce_scatter_triggered(world, send.data(), recv.data(),
                                              6, BRAID_RT_F32, BRAID_RT_SUM,
                                              &trigger, 4, commStream),
            BRAID_RT_INVALID_ARGUMENT);
  EXPECT_NE(std::string(braid_rt_last_error())
                .find("recv_count 6 is not a multiple of the 4 chunks"),
            std::string::npos)
      << braid_rt_last_error();
  EXPECT_EQ(braid_rt_reduce_scatter_triggered(world, send.data(), recv.data(),
                                              6, BRAID_RT_F32, BRAID_RT_SUM,
                                              nullptr, 1, commStream),
            BRAID_RT_INVALID_ARGUMENT);
  EXPECT_EQ(braid_rt_all_gather_triggered(world, send.data(), send.data() + 1,
                                          6, BRAID_RT_F32, &trigger, 1,
                                          commStream),
            BRAID_RT_INVALID_ARGUMENT);
}

//===----------------------------------------------------------------------===//
// A chunk that is never released (own ctest entries, BRAID_RT_TIMEOUT_S=2)
//===----------------------------------------------------------------------===//

TEST(TriggerTimeout, NeverReleasedChunkEndsInTheWatchdogsMessage) {
  if (!std::getenv("BRAID_RT_TEST_NEVER_RELEASED"))
    GTEST_SKIP() << "run by braid_rt_triggered_timeout_*";
  braid_rt_counter *counter = nullptr;
  ASSERT_RT(braid_rt_counter_create(context, "never", 0, &counter));
  braid_rt_stream *commStream = nullptr;
  ASSERT_RT(braid_rt_comm_stream(world, &commStream));
  std::vector<float> send(4), recv(4 * size);
  braid_rt_trigger trigger{counter, 0, 1};
  ASSERT_RT(braid_rt_all_gather_triggered(world, send.data(), recv.data(), 4,
                                          BRAID_RT_F32, &trigger, 2,
                                          commStream));
  // With BRAID_RT_ON_TIMEOUT=error the stream fails with the message; by
  // default the watchdog has printed it and aborted the job by now.
  braid_rt_status status = braid_rt_stream_synchronize(commStream);
  std::string message = braid_rt_last_error();
  EXPECT_EQ(status, BRAID_RT_TIMEOUT) << message;
  std::printf("rank %d: TRIGGER-TIMEOUT status %s: %s\n", rank,
              braid_rt_status_name(status), message.c_str());
  std::fflush(stdout);
  // Communication state is undefined after a timeout: leave without
  // finalizing (the context would abort the job).
  std::_Exit(status == BRAID_RT_TIMEOUT ? 0 : 1);
}

} // namespace

int main(int argc, char **argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (braid_rt_init_mpi(&argc, &argv, &context) != BRAID_RT_OK) {
    std::fprintf(stderr, "%s\n", braid_rt_last_error());
    return 1;
  }
  braid_rt_world(context, &world);
  braid_rt_comm_rank(world, &rank);
  braid_rt_comm_size(world, &size);
  int failed = RUN_ALL_TESTS();
  // Every rank must agree (a rank whose check failed fails the job).
  int anyFailed = 0;
  MPI_Allreduce(&failed, &anyFailed, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  braid_rt_context_destroy(context);
  return anyFailed;
}
