//===- NcclTriggeredTest.cpp - producer fusion on the NCCL engine ---------===//
//
// On a machine with a GPU (exit 77, "skipped", without one), one rank:
//
//  - the fold kernel of the NCCL ring (ChunkFold.cu) equals the MPI engine's
//    reduceInOrder of two sources bit for bit, for every element type and
//    reduction, NaN, infinities, subnormals and f16/bf16 rounding ties
//    included: what makes the two engines' triggered collectives agree;
//  - the CUDA chunked GEMM (braid_rt_cuda_gemm_chunked) on a producer
//    stream raises the counter after each tile block
//    (braid_rt_counter_signal_cuda); the triggered reduce_scatter /
//    all_reduce (in and out of place) / all_gather, enqueued on the
//    communicator's stream before the producer, wait for it on the device
//    (the host call returns at once and the stream stays busy until the
//    producer runs) and equal an unfused cuBLASLt GEMM followed by the
//    untriggered NCCL collective, bit for bit;
//  - one counter over several steps with epoch values: no step sees an
//    earlier step's releases, and the counter ends at the last release;
//  - bad arguments are rejected before anything is enqueued.
//
// More ranks need a GPU each (NCCL refuses two ranks on one device): the
// ring's sends, receives and folds are compiled here and run on a
// multi-GPU machine under the same checks (docs/GPU.md).
//
//===----------------------------------------------------------------------===//

#include "../backends/nccl/ChunkFold.h"
#include "../kernels/tests/GpuTest.h"
#include "GridMatrix.h"
#include "braid_rt/DType.h"
#include "braid_rt/braid_rt.h"
#include "braid_rt/braid_rt_nccl.h"
#include "braid_rt/kernels.h"

#include <cuda_runtime.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

braid_rt_context *context = nullptr;
braid_rt_comm *world = nullptr;
braid_rt_cuda_gemm_cache *gemmCache = nullptr;

#define ASSERT_RT(call)                                                        \
  do {                                                                         \
    braid_rt_status status_ = (call);                                          \
    ASSERT_EQ(status_, BRAID_RT_OK) << #call << ": " << braid_rt_last_error(); \
  } while (0)

#define ASSERT_CUDA(call)                                                      \
  do {                                                                         \
    cudaError_t error_ = (call);                                               \
    ASSERT_EQ(error_, cudaSuccess) << #call << ": "                            \
                                   << cudaGetErrorString(error_);              \
  } while (0)

/// Device memory freed with the test.
struct DeviceMemory {
  void *data = nullptr;
  size_t bytes = 0;
  explicit DeviceMemory(size_t size) : bytes(size) {
    EXPECT_EQ(cudaMalloc(&data, bytes ? bytes : 1), cudaSuccess);
  }
  DeviceMemory(const void *host, size_t size) : DeviceMemory(size) {
    EXPECT_EQ(cudaMemcpy(data, host, bytes, cudaMemcpyHostToDevice),
              cudaSuccess);
  }
  ~DeviceMemory() { cudaFree(data); }
  DeviceMemory(const DeviceMemory &) = delete;
  DeviceMemory &operator=(const DeviceMemory &) = delete;
  std::vector<char> read() const {
    std::vector<char> host(bytes);
    EXPECT_EQ(cudaMemcpy(host.data(), data, bytes, cudaMemcpyDeviceToHost),
              cudaSuccess);
    return host;
  }
  char *bytesAt(size_t offset) const {
    return static_cast<char *>(data) + offset;
  }
};

//===----------------------------------------------------------------------===//
// The fold kernel against reduceInOrder
//===----------------------------------------------------------------------===//

/// Bit patterns that exercise every path of the conversions and
/// reductions: random bits (NaN and infinities included) mixed with
/// values near each other, so sums round and ties occur.
std::vector<char> foldOperands(braid_rt::DType dtype, size_t count,
                               uint64_t seed) {
  size_t element = braid_rt::dtypeSize(dtype);
  std::vector<char> bytes(count * element);
  std::mt19937_64 random(seed);
  for (size_t i = 0; i < count; ++i) {
    uint64_t bits = random();
    if (i % 3 == 0 && element >= 2) {
      // A small integer scaled: sums of two round in the narrow types.
      bits = (bits & ~uint64_t(0xff)) | (i & 0xff);
    }
    std::memcpy(bytes.data() + i * element, &bits, element);
  }
  return bytes;
}

TEST(ChunkFold, BitwiseTheMpiEnginesFold) {
  using braid_rt::DType;
  using braid_rt::ReduceOp;
  const size_t count = 70001; // several blocks and a ragged end
  for (DType dtype : {DType::F64, DType::F32, DType::F16, DType::BF16,
                      DType::I64, DType::I32, DType::I8})
    for (ReduceOp op :
         {ReduceOp::Sum, ReduceOp::Prod, ReduceOp::Max, ReduceOp::Min}) {
      std::vector<char> received = foldOperands(dtype, count, 1);
      std::vector<char> own = foldOperands(dtype, count, 2);
      size_t bytes = received.size();
      std::vector<char> expected(bytes);
      const void *sources[2] = {received.data(), own.data()};
      braid_rt::reduceInOrder(expected.data(), sources, 2, count, dtype, op);
      DeviceMemory a(received.data(), bytes), b(own.data(), bytes),
          out(bytes);
      ASSERT_CUDA(braid_rt::enqueueChunkFold(out.data, a.data, b.data, count,
                                             dtype, op, nullptr));
      // In place on the received partial, as the ring does.
      ASSERT_CUDA(braid_rt::enqueueChunkFold(a.data, a.data, b.data, count,
                                             dtype, op, nullptr));
      ASSERT_CUDA(cudaDeviceSynchronize());
      std::vector<char> got = out.read(), inPlace = a.read();
      size_t element = braid_rt::dtypeSize(dtype);
      for (size_t i = 0; i < count; ++i) {
        ASSERT_EQ(std::memcmp(got.data() + i * element,
                              expected.data() + i * element, element),
                  0)
            << braid_rt::dtypeName(dtype) << " " << braid_rt::reduceOpName(op)
            << ": element " << i << " differs";
      }
      EXPECT_EQ(inPlace, expected) << "in place";
    }
}

//===----------------------------------------------------------------------===//
// Triggered collectives fed by the CUDA chunked GEMM
//===----------------------------------------------------------------------===//

// GEMM inputs on a grid (GridMatrix.h) with k <= 64: every dot product is
// exact in f32, so any GEMM algorithm gives the same bits and the
// comparisons below are bitwise.
using braid_rt::test::gridMatrix;

enum class Kind { ReduceScatter, AllReduce, AllReduceInPlace, AllGather };

braid_rt_dtype dtypeOf(braid_rt_elem type) {
  return type == BRAID_RT_ELEM_BF16 ? BRAID_RT_BF16 : BRAID_RT_F32;
}

/// The producer's release: the counter written in stream order after the
/// tile block's GEMM.
struct Release {
  braid_rt_trigger trigger;
  int64_t chunks;
  cudaStream_t stream;
  static int signal(void *user, int64_t position, int64_t tile) {
    auto *self = static_cast<Release *>(user);
    uint64_t value = (self->trigger.epoch * self->chunks + position) *
                         self->trigger.tiles_per_chunk +
                     tile + 1;
    return braid_rt_counter_signal_cuda(self->trigger.counter, self->stream,
                                        value);
  }
};

/// Holds the producer stream back, so the collective really waits.
int hold(void *) {
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  return 0;
}

class NcclTriggeredTest : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_RT(braid_rt_stream_create(context, "producer", 0, &producer_));
    ASSERT_RT(braid_rt_stream_cuda(producer_, &producerCuda_));
    ASSERT_RT(braid_rt_counter_create(context, "released", 0, &counter_));
    ASSERT_RT(braid_rt_comm_stream(world, &commStream_));
  }
  void TearDown() override {
    if (producer_)
      braid_rt_stream_destroy(producer_);
    if (counter_)
      braid_rt_counter_destroy(counter_);
  }

  /// One step: the triggered collective first, then the producer (held
  /// back on its stream), then the unfused reference; compares the bits.
  void step(Kind kind, braid_rt_elem cType, int64_t m, int64_t n, int64_t k,
            int64_t chunks, uint64_t tiles, uint64_t seed) {
    braid_rt_gemm_desc desc = braid_rt_gemm_desc_dense(
        1, m, n, k, BRAID_RT_ELEM_F32, BRAID_RT_ELEM_F32, cType, 0);
    std::vector<float> a = gridMatrix(m * k, seed);
    std::vector<float> b = gridMatrix(k * n, seed + 1);
    DeviceMemory aDevice(a.data(), a.size() * 4), bDevice(b.data(),
                                                          b.size() * 4);
    size_t elements = static_cast<size_t>(m * n);
    size_t cBytes = elements * braid_rt_elem_size(cType);
    DeviceMemory c(cBytes), result(cBytes), reference(cBytes),
        referenceResult(cBytes);
    ASSERT_CUDA(cudaMemset(result.data, 0x55, cBytes));
    braid_rt_dtype dtype = dtypeOf(cType);
    braid_rt_trigger trigger{counter_, epoch_, tiles};
    void *out = kind == Kind::AllReduceInPlace ? c.data : result.data;
    switch (kind) {
    case Kind::ReduceScatter:
      ASSERT_RT(braid_rt_reduce_scatter_triggered(
          world, c.data, out, elements, dtype, BRAID_RT_SUM, &trigger, chunks,
          commStream_));
      break;
    case Kind::AllReduce:
    case Kind::AllReduceInPlace:
      ASSERT_RT(braid_rt_all_reduce_triggered(world, c.data, out, elements,
                                              dtype, BRAID_RT_SUM, &trigger,
                                              chunks, commStream_));
      break;
    case Kind::AllGather:
      ASSERT_RT(braid_rt_all_gather_triggered(world, c.data, out, elements,
                                              dtype, &trigger, chunks,
                                              commStream_));
      break;
    }
    // The host did not wait, and the stream does: nothing is released yet.
    int idle = 1;
    ASSERT_RT(braid_rt_stream_query(commStream_, &idle));
    EXPECT_EQ(idle, 0) << "the collective ran before its chunks existed";

    ASSERT_RT(braid_rt_stream_launch_host(producer_, hold, nullptr));
    Release release{trigger, chunks, producerCuda_};
    std::vector<int64_t> order(chunks);
    for (int64_t i = 0; i < chunks; ++i)
      order[i] = braid_rt_chunk_at(kind == Kind::AllGather
                                       ? BRAID_RT_CHUNK_ORDER_NATURAL
                                       : BRAID_RT_CHUNK_ORDER_RING,
                                   0, 1, chunks, i);
    ASSERT_EQ(braid_rt_cuda_gemm_chunked(
                  gemmCache, &desc, aDevice.data, bDevice.data, c.data,
                  nullptr, 0, BRAID_RT_GEMM_CUT_M, chunks, order.data(),
                  static_cast<int64_t>(tiles), Release::signal, &release,
                  producerCuda_),
              0)
        << braid_rt_kernel_last_error() << " / " << braid_rt_last_error();
    ASSERT_RT(braid_rt_stream_synchronize(producer_));
    ASSERT_RT(braid_rt_stream_synchronize(commStream_));

    // The unfused reference: one GEMM, then the untriggered collective.
    ASSERT_EQ(braid_rt_cuda_gemm(gemmCache, &desc, aDevice.data, bDevice.data,
                                 reference.data, nullptr, 0, nullptr),
              0)
        << braid_rt_kernel_last_error();
    ASSERT_CUDA(cudaDeviceSynchronize());
    switch (kind) {
    case Kind::ReduceScatter:
      ASSERT_RT(braid_rt_reduce_scatter(world, reference.data,
                                        referenceResult.data, elements, dtype,
                                        BRAID_RT_SUM, commStream_));
      break;
    case Kind::AllReduce:
    case Kind::AllReduceInPlace:
      ASSERT_RT(braid_rt_all_reduce(world, reference.data,
                                    referenceResult.data, elements, dtype,
                                    BRAID_RT_SUM, commStream_));
      break;
    case Kind::AllGather:
      ASSERT_RT(braid_rt_all_gather(world, reference.data,
                                    referenceResult.data, elements, dtype,
                                    commStream_));
      break;
    }
    ASSERT_RT(braid_rt_stream_synchronize(commStream_));
    std::vector<char> got = kind == Kind::AllReduceInPlace ? c.read()
                                                           : result.read();
    EXPECT_EQ(got, referenceResult.read())
        << "step with epoch " << epoch_ << ", " << chunks << " chunks, "
        << tiles << " tiles";
    if (kind != Kind::AllReduceInPlace) {
      EXPECT_EQ(c.read(), reference.read()) << "the chunked GEMM's C";
    }
    uint64_t value = 0;
    ASSERT_RT(braid_rt_counter_value(counter_, &value));
    EXPECT_EQ(value, (epoch_ + 1) * chunks * tiles)
        << "the counter ends at the step's last release";
  }

  /// The first epoch above the counter for a (chunks, tiles) shape: this
  /// test changes the shape between steps, a program keeps one.
  uint64_t nextEpoch(uint64_t chunks, uint64_t tiles) {
    uint64_t value = 0;
    EXPECT_EQ(braid_rt_counter_value(counter_, &value), BRAID_RT_OK);
    uint64_t perEpoch = chunks * tiles;
    epoch_ = std::max(epoch_ + 1, (value + perEpoch - 1) / perEpoch);
    return epoch_;
  }

  braid_rt_stream *producer_ = nullptr;
  cudaStream_t producerCuda_ = nullptr;
  braid_rt_counter *counter_ = nullptr;
  braid_rt_stream *commStream_ = nullptr;
  uint64_t epoch_ = 0;
};

TEST_F(NcclTriggeredTest, ReduceScatterEqualsUnfused) {
  for (braid_rt_elem type : {BRAID_RT_ELEM_F32, BRAID_RT_ELEM_BF16})
    for (int64_t chunks : {1, 2, 4})
      for (uint64_t tiles : {1, 3}) {
        nextEpoch(chunks, tiles);
        step(Kind::ReduceScatter, type, chunks * 96, 80, 64, chunks, tiles,
             epoch_);
        if (HasFatalFailure())
          return;
      }
}

TEST_F(NcclTriggeredTest, AllReduceEqualsUnfusedInAndOutOfPlace) {
  for (Kind kind : {Kind::AllReduce, Kind::AllReduceInPlace})
    for (int64_t chunks : {1, 3}) {
      nextEpoch(chunks, 2);
      step(kind, BRAID_RT_ELEM_F32, chunks * 64, 48, 32, chunks, 2, epoch_);
      if (HasFatalFailure())
        return;
    }
}

TEST_F(NcclTriggeredTest, AllGatherEqualsUnfused) {
  for (braid_rt_elem type : {BRAID_RT_ELEM_F32, BRAID_RT_ELEM_BF16})
    for (int64_t chunks : {1, 5}) {
      nextEpoch(chunks, 1);
      step(Kind::AllGather, type, chunks * 40, 24, 48, chunks, 1, epoch_);
      if (HasFatalFailure())
        return;
    }
}

TEST_F(NcclTriggeredTest, EpochsOverSteps) {
  // One counter and one shape over steps whose inputs change: a wait
  // satisfied by an earlier step's releases would copy a stale C.
  epoch_ = 0;
  for (uint64_t stepIndex = 0; stepIndex < 6; ++stepIndex, ++epoch_) {
    step(stepIndex % 2 ? Kind::AllReduce : Kind::ReduceScatter,
         BRAID_RT_ELEM_F32, 4 * 32, 40, 48, 4, 1, 100 + stepIndex);
    if (HasFatalFailure())
      return;
  }
}

TEST_F(NcclTriggeredTest, BadArgumentsAreRejectedBeforeEnqueueing) {
  DeviceMemory send(6 * 4), recv(6 * 4);
  braid_rt_trigger trigger{counter_, 0, 1};
  EXPECT_EQ(braid_rt_reduce_scatter_triggered(world, send.data, recv.data, 6,
                                              BRAID_RT_F32, BRAID_RT_SUM,
                                              &trigger, 4, commStream_),
            BRAID_RT_INVALID_ARGUMENT);
  EXPECT_NE(std::string(braid_rt_last_error())
                .find("recv_count 6 is not a multiple of the 4 chunks"),
            std::string::npos)
      << braid_rt_last_error();
  EXPECT_EQ(braid_rt_all_reduce_triggered(world, send.data, recv.data, 6,
                                          BRAID_RT_F32, BRAID_RT_SUM, nullptr,
                                          1, commStream_),
            BRAID_RT_INVALID_ARGUMENT);
  EXPECT_EQ(braid_rt_all_gather_triggered(world, send.data, send.bytesAt(4),
                                          6, BRAID_RT_F32, &trigger, 1,
                                          commStream_),
            BRAID_RT_INVALID_ARGUMENT);
  int idle = 0;
  ASSERT_RT(braid_rt_stream_query(commStream_, &idle));
  EXPECT_EQ(idle, 1) << "a rejected operation left work on the stream";
}

} // namespace

int main(int argc, char **argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (braid_rt::test::noCudaDevice())
    return braid_rt::test::kSkipped;
  ncclUniqueId id;
  if (ncclGetUniqueId(&id) != ncclSuccess ||
      braid_rt_init_nccl_unique_id(&id, 1, 0, 0, &context) != BRAID_RT_OK ||
      braid_rt_world(context, &world) != BRAID_RT_OK ||
      braid_rt_cuda_gemm_cache_create(&gemmCache) != 0) {
    std::fprintf(stderr, "setting up the NCCL engine: %s\n",
                 braid_rt_last_error());
    return 1;
  }
  int failed = RUN_ALL_TESTS();
  braid_rt_cuda_gemm_cache_destroy(gemmCache);
  braid_rt_context_destroy(context);
  return failed;
}
