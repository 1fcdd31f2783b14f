//===- TriggeredProgram.cpp - the triggered braid_exec entry points -------===//
//
// A hand-written compiled program (descriptor + step, as emitted code would
// be) linked into its own launcher, run at 2 and 3 ranks over several
// steps. Per rank r and step s, with A [M, K], B [K, N] of (r, s):
//   result0 = all_reduce of C = A·B, C computed on stream 1 in ring order
//             releasing counter 0, the all_reduce triggered on stream 2;
//   result1 = all_gather of 2·C + 1, C computed again on stream 1 in
//             natural order with 2 tiles per chunk, the fused epilogue
//             (2·c + 1, in place) run on each block's rows before it
//             releases counter 1, the all_gather triggered on stream 0 (the
//             host waits).
// Checks: result1 is bitwise every rank's 2·C + 1 (an epilogue that does
// not fit the blocks fails a last step with the reason); result0 is within the f64
// bound of the sum and bitwise equal on every rank; epochs come from
// braid_exec_epoch, so counters carry over from step to step.
//
//===----------------------------------------------------------------------===//

#include "../GridMatrix.h"
#include "braid_rt/braid_exec.h"
#include "braid_rt/kernels.h"

#include <mpi.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

#ifndef TEST_WORLD_SIZE
#define TEST_WORLD_SIZE 2
#endif

namespace {

constexpr int P = TEST_WORLD_SIZE;
constexpr int64_t M = 24, N = 10, K = 32;
constexpr int64_t kChunksPerRank = 2, kGatherChunks = 3, kGatherTiles = 2;

const braid_program_tensor kArgs[] = {
    {BRAID_RT_F32, 2, {M, K}},
    {BRAID_RT_F32, 2, {K, N}},
};
const braid_program_tensor kResults[] = {
    {BRAID_RT_F32, 2, {M, N}},
    {BRAID_RT_F32, 2, {P * M, N}},
};
const int64_t gridShape[] = {P};
const int32_t kAxes[] = {0};
const braid_program_comm kComms[] = {{"mesh", 1, gridShape, nullptr, 1, kAxes}};
const int32_t kPriorities[] = {0, -1};

/// Set for the last step: the epilogue claims blocks of 5 rows.
bool gMisfitEpilogue = false;

/// The epilogue's state: what an outlined epilogue captures.
struct Epilogue {
  float *c;
};

int scaleRows(void *state, int64_t rowBegin, int64_t rowEnd) {
  float *c = static_cast<Epilogue *>(state)->c;
  if (rowEnd - rowBegin != M / (kGatherChunks * kGatherTiles))
    return BRAID_RT_KERNEL_INVALID_ARGUMENT;
  for (int64_t i = rowBegin * N; i < rowEnd * N; ++i)
    c[i] = 2.0f * c[i] + 1.0f;
  return 0;
}

void step(braid_exec *exec, const void *const *args, void *const *results,
          char *arena) {
  braid_rt_gemm_desc desc = braid_rt_gemm_desc_dense(
      1, M, N, K, BRAID_RT_ELEM_F32, BRAID_RT_ELEM_F32, BRAID_RT_ELEM_F32, 0);
  uint64_t epoch = braid_exec_epoch(exec);
  // Counter 1 takes its epochs per use, as compiled programs do.
  uint64_t gatherEpoch =
      braid_exec_next_epoch(exec, 1, "prog.mlir:3:1 next_epoch");
  float *reduced = reinterpret_cast<float *>(arena);
  float *gathered = reinterpret_cast<float *>(arena) + M * N;
  braid_exec_gemm_signal(exec, 1, &desc, args[0], args[1], reduced,
                         BRAID_RT_GEMM_BLAS, BRAID_RT_GEMM_CUT_M,
                         P * kChunksPerRank, BRAID_RT_CHUNK_ORDER_RING, 0,
                         0, epoch, 1, nullptr, "prog.mlir:1:1 gemm_signal");
  braid_exec_all_reduce_triggered(exec, 0, reduced, results[0], M * N,
                                  BRAID_RT_F32, BRAID_RT_SUM, 0, epoch,
                                  kChunksPerRank, 1, 2,
                                  "prog.mlir:2:1 all_reduce_triggered");
  // A local, as in emitted code: the runtime copies it.
  Epilogue state{gathered};
  braid_exec_epilogue epilogue{
      scaleRows, &state, sizeof state,
      gMisfitEpilogue ? 5 : M / (kGatherChunks * kGatherTiles)};
  braid_exec_gemm_signal(exec, 1, &desc, args[0], args[1], gathered,
                         BRAID_RT_GEMM_BLAS, BRAID_RT_GEMM_CUT_M,
                         kGatherChunks, BRAID_RT_CHUNK_ORDER_NATURAL, -1, 1,
                         gatherEpoch, kGatherTiles, &epilogue,
                         "prog.mlir:3:1 gemm_signal");
  braid_exec_all_gather_triggered(exec, 0, gathered, results[1], M * N,
                                  BRAID_RT_F32, 1, gatherEpoch, kGatherChunks,
                                  kGatherTiles, 0,
                                  "prog.mlir:4:1 all_gather_triggered");
}

using braid_rt::test::gridMatrix;

} // namespace

extern "C" {
extern const braid_program_desc braid_program_descriptor;
const braid_program_desc braid_program_descriptor = {
    BRAID_PROGRAM_ABI_VERSION, "triggered", "prog.mlir", P, 2, kArgs, 2,
    kResults, 2 * M * N * sizeof(float) * 8, 64, 0x7a11ULL, 1, kComms, 2,
    kPriorities, 0, "{}", step, BRAID_PROGRAM_DEVICE_CPU,
    /*num_counters=*/2};
}

int main(int argc, char **argv) {
  int provided = 0;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &provided);
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  braid_program *program = nullptr;
  if (braid_program_create_mpi(&argc, &argv, &program) != BRAID_RT_OK) {
    std::fprintf(stderr, "create: %s\n", braid_program_last_error());
    return 1;
  }
  int failures = 0;
  for (unsigned s = 0; s < 4; ++s) {
    std::vector<std::vector<float>> as, bs, cs;
    for (int r = 0; r < size; ++r) {
      as.push_back(gridMatrix(M * K, 97 * s + 2 * r));
      bs.push_back(gridMatrix(K * N, 97 * s + 2 * r + 1));
      cs.emplace_back(M * N);
      braid_rt_gemm_desc desc = braid_rt_gemm_desc_dense(
          1, M, N, K, BRAID_RT_ELEM_F32, BRAID_RT_ELEM_F32, BRAID_RT_ELEM_F32,
          0);
      braid_rt_cpu_gemm(&desc, as[r].data(), bs[r].data(), cs[r].data(),
                        BRAID_RT_GEMM_BLAS, nullptr, 0);
    }
    std::vector<float> reduced(M * N, NAN), gathered(size * M * N, NAN);
    const void *args[] = {as[rank].data(), bs[rank].data()};
    void *results[] = {reduced.data(), gathered.data()};
    if (braid_program_step(program, args, results) != BRAID_RT_OK) {
      std::fprintf(stderr, "rank %d: step %u: %s\n", rank, s,
                   braid_program_last_error());
      return 1;
    }
    for (int r = 0; r < size; ++r) {
      std::vector<float> scaled(cs[r]);
      for (float &value : scaled)
        value = 2.0f * value + 1.0f;
      if (std::memcmp(gathered.data() + r * M * N, scaled.data(),
                      M * N * sizeof(float)) != 0) {
        std::fprintf(stderr, "rank %d step %u: gathered block %d differs\n",
                     rank, s, r);
        ++failures;
      }
    }
    for (int64_t i = 0; i < M * N; ++i) {
      double exact = 0, magnitude = 0;
      for (int r = 0; r < size; ++r) {
        exact += cs[r][i];
        magnitude += std::fabs(cs[r][i]);
      }
      if (!(std::fabs(reduced[i] - exact) <=
            size * std::ldexp(1.0, -24) * magnitude)) {
        std::fprintf(stderr, "rank %d step %u: reduced[%ld] = %g, sum %g\n",
                     rank, s, static_cast<long>(i), reduced[i], exact);
        ++failures;
        break;
      }
    }
    std::vector<float> all(size * M * N);
    MPI_Allgather(reduced.data(), M * N, MPI_FLOAT, all.data(), M * N,
                  MPI_FLOAT, MPI_COMM_WORLD);
    for (int r = 0; r < size; ++r)
      if (std::memcmp(all.data() + r * M * N, reduced.data(),
                      M * N * sizeof(float)) != 0) {
        std::fprintf(stderr, "rank %d step %u: rank %d's all_reduce differs\n",
                     rank, s, r);
        ++failures;
      }
  }
  // An epilogue whose blocks do not hold the rows it was compiled for
  // fails the step, on every rank, with the reason.
  gMisfitEpilogue = true;
  {
    std::vector<float> a(M * K, 1.0f), b(K * N, 1.0f), reduced(M * N),
        gathered(size * M * N);
    const void *args[] = {a.data(), b.data()};
    void *results[] = {reduced.data(), gathered.data()};
    if (braid_program_step(program, args, results) == BRAID_RT_OK ||
        !std::strstr(braid_program_last_error(),
                     "does not cut into 3 chunks of 2 blocks of that many "
                     "rows")) {
      std::fprintf(stderr, "rank %d: the misfit epilogue: %s\n", rank,
                   braid_program_last_error());
      ++failures;
    }
  }
  int anyFailed = 0;
  MPI_Allreduce(&failures, &anyFailed, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  braid_program_destroy(program);
  MPI_Finalize();
  if (rank == 0)
    std::printf(anyFailed ? "FAIL: triggered program\n"
                          : "PASS: triggered program (%d ranks, 4 steps)\n",
                size);
  return anyFailed ? 1 : 0;
}
