//===- TestProgram.cpp - a hand-written compiled program for the tests ----===//
//
// What braid-compile's emitted code looks like, written by hand: the
// descriptor and a step that calls only braid_exec_* and the kernels.
// Built per world size (TEST_WORLD_SIZE) and collective hash (TEST_HASH).
// Per rank, with P = TEST_WORLD_SIZE and r the rank:
//   arg0 a f32[4,8], arg1 b f32[8,4], arg2 v i32[6], arg3 w bf16[8]
//   result0 = sum over ranks of a·b            (GEMM + all_reduce, stream 1)
//   result1 = v of rank r-1 mod P              (ring permute, stream 0)
//   result2 = v of rank r-1, zeros on rank 0   (chain permute, stream 2)
//   result3 = v of every rank, concatenated    (all_gather, stream 0)
//   result4 = 2 * result0 + r                  (host, after waiting event 0)
//   result5 = bf16 sum over ranks of w         (all_reduce, stream 2)
// BRAID_TEST_FAIL_RANK=r makes rank r's GEMM fail (an invalid shape);
// BRAID_TEST_SLEEP_S=s makes rank 0's host sleep s seconds in every step.
//
//===----------------------------------------------------------------------===//

#include "braid_rt/braid_exec.h"
#include "braid_rt/kernels.h"

#include <cstdlib>
#include <unistd.h>

#ifndef TEST_WORLD_SIZE
#define TEST_WORLD_SIZE 2
#endif
#ifndef TEST_HASH
#define TEST_HASH 0x1234abcdULL
#endif

namespace {

constexpr int P = TEST_WORLD_SIZE;

const braid_program_tensor kArgs[] = {
    {BRAID_RT_F32, 2, {4, 8}},
    {BRAID_RT_F32, 2, {8, 4}},
    {BRAID_RT_I32, 1, {6}},
    {BRAID_RT_BF16, 1, {8}},
};
const braid_program_tensor kResults[] = {
    {BRAID_RT_F32, 2, {4, 4}}, {BRAID_RT_I32, 1, {6}},
    {BRAID_RT_I32, 1, {6}},    {BRAID_RT_I32, 1, {6 * P}},
    {BRAID_RT_F32, 2, {4, 4}}, {BRAID_RT_BF16, 1, {8}},
};

const int64_t kGridShape[] = {P};
const int32_t kAxes[] = {0};
const braid_program_comm kComms[] = {
    {"mesh", 1, kGridShape, nullptr, 1, kAxes},
};
const int32_t kPriorities[] = {0, -1};

struct GemmArgs {
  const void *a, *b;
  void *c;
  int64_t m;
};

int runGemm(void *data) {
  auto *args = static_cast<GemmArgs *>(data);
  braid_rt_gemm_desc desc = braid_rt_gemm_desc_dense(
      1, args->m, 4, 8, BRAID_RT_ELEM_F32, BRAID_RT_ELEM_F32,
      BRAID_RT_ELEM_F32, 0);
  return braid_rt_cpu_gemm(&desc, args->a, args->b, args->c,
                           BRAID_RT_GEMM_SEQUENTIAL, nullptr, 0);
}

void step(braid_exec *exec, const void *const *args, void *const *results,
          char *arena) {
  int64_t rank = braid_exec_comm_rank(exec, 0);
  // The GEMM's output lives in the arena (offset 0, 64 bytes).
  float *product = reinterpret_cast<float *>(arena);
  static thread_local GemmArgs gemm;
  const char *failRank = std::getenv("BRAID_TEST_FAIL_RANK");
  gemm = GemmArgs{args[0], args[1], product,
                  failRank && std::atoi(failRank) == rank ? -1 : 4};

  const char *sleepSeconds = std::getenv("BRAID_TEST_SLEEP_S");
  if (sleepSeconds && rank == 0)
    sleep(static_cast<unsigned>(std::atoi(sleepSeconds)));
  braid_exec_span_begin(exec, "test.mlir:10:3 setup");
  braid_exec_span_end(exec);
  braid_exec_fork(exec, 1);
  braid_exec_launch(exec, 1, runGemm, &gemm, "test.mlir:11:3 matmul");
  braid_exec_all_reduce(exec, 0, product, results[0], 16, BRAID_RT_F32,
                        BRAID_RT_SUM, 1, "test.mlir:12:3 all_reduce");
  braid_exec_record(exec, 0, 1);

  int32_t ring[2 * P], chain[2 * (P - 1)];
  for (int i = 0; i < P; ++i) {
    ring[2 * i] = i;
    ring[2 * i + 1] = (i + 1) % P;
  }
  for (int i = 0; i + 1 < P; ++i) {
    chain[2 * i] = i;
    chain[2 * i + 1] = i + 1;
  }
  braid_exec_fork(exec, 2);
  braid_exec_permute(exec, 0, args[2], results[2], 6, BRAID_RT_I32, chain,
                     P - 1, 2, "test.mlir:13:3 collective_permute");
  braid_exec_all_reduce(exec, 0, args[3], results[5], 8, BRAID_RT_BF16,
                        BRAID_RT_SUM, 2, "test.mlir:14:3 all_reduce");
  braid_exec_record(exec, 1, 2);
  braid_exec_permute(exec, 0, args[2], results[1], 6, BRAID_RT_I32, ring, P,
                     0, "test.mlir:15:3 collective_permute");
  braid_exec_all_gather(exec, 0, args[2], results[3], 6, BRAID_RT_I32, 0,
                        "test.mlir:16:3 all_gather");

  braid_exec_wait(exec, 0);
  braid_exec_span_begin(exec, "test.mlir:17:3 scale");
  const float *reduced = static_cast<const float *>(results[0]);
  float *scaled = static_cast<float *>(results[4]);
  for (int i = 0; i < 16; ++i)
    scaled[i] = 2.0f * reduced[i] + static_cast<float>(rank);
  braid_exec_span_end(exec);
  braid_exec_wait(exec, 1);
}

} // namespace

extern "C" const braid_program_desc braid_program_descriptor = {
    BRAID_PROGRAM_ABI_VERSION,
    "test_step",
    "runtime/tests/program/TestProgram.cpp",
    P,
    4,
    kArgs,
    6,
    kResults,
    /*arena_bytes=*/64,
    /*arena_alignment=*/64,
    /*collective_hash=*/TEST_HASH,
    1,
    kComms,
    2,
    kPriorities,
    /*num_events=*/2,
    "{}",
    step,
};
