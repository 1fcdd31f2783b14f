//===- ProgramImpl.h - the state behind braid_program and braid_exec -*- C++ -*-===//
//
// Internal to the braid_program library: Program.cpp creates and measures a
// program, Exec.cpp implements what the emitted step calls, Trace.cpp writes
// the measured timeline. Everything the step touches is allocated at
// creation or on the first step (records are pooled and reused), so a
// steady-state step allocates nothing unless tracing is on.
//
//===----------------------------------------------------------------------===//

#ifndef BRAID_RT_PROGRAM_PROGRAMIMPL_H
#define BRAID_RT_PROGRAM_PROGRAMIMPL_H

#include "braid_rt/braid_exec.h"
#include "braid_rt/braid_program.h"
#include "braid_rt/kernels.h"

#include <array>
#include <chrono>
#include <functional>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace braid_rt::program {

/// The one clock of every timestamp in a trace.
using Clock = std::chrono::steady_clock;

inline double microsecondsSince(Clock::time_point origin,
                                Clock::time_point at) {
  return std::chrono::duration<double, std::micro>(at - origin).count();
}

/// Bytes per element of `dtype` (0 outside the enumeration).
inline size_t dtypeSize(braid_rt_dtype dtype) {
  switch (dtype) {
  case BRAID_RT_F64:
  case BRAID_RT_I64:
    return 8;
  case BRAID_RT_F32:
  case BRAID_RT_I32:
    return 4;
  case BRAID_RT_F16:
  case BRAID_RT_BF16:
    return 2;
  case BRAID_RT_I8:
    return 1;
  }
  return 0;
}

/// What a span is, for the trace's "cat" (braid-estimate's categories).
enum class SpanKind : int32_t { Compute = 0, Communication = 1 };

/// One measured interval of one stream (0: the host thread).
struct Span {
  const char *label; // an emitted string literal: lives as long as the .so
  SpanKind kind;
  int32_t stream;
  Clock::time_point start, end;
};

/// A worker stream with what its tasks report back. Only the stream's own
/// thread writes `current`, `openStart` and `spans` while a step runs; the
/// host reads them after synchronizing the stream.
struct WorkerStream {
  braid_rt_stream *stream = nullptr;
  int32_t index = 0;
  /// The `where` of the last op that started on this stream: the op a
  /// sticky error belongs to.
  const char *current = nullptr;
  SpanKind currentKind = SpanKind::Compute;
  Clock::time_point openStart;
  /// Set by a launched function that failed (its kernel message).
  std::string failure;
  std::vector<Span> spans;
  /// Read by the stream's tasks; written by the host between steps only.
  bool tracing = false;
};

/// The argument of one task enqueued on a worker stream during a step. They
/// must stay valid until the step ends, so they live in a pool that is
/// reused from step to step (blocks never move).
struct TaskRecord {
  WorkerStream *stream;
  const char *where;
  SpanKind kind;
  int (*fn)(void *);
  void *arg;
  void *zeroFill;
  size_t zeroBytes;
};

/// A GEMM that releases a trigger chunk by chunk (braid_exec_gemm_signal):
/// everything copied, since the emitted step's locals die before the
/// worker runs it.
struct GemmSignalRecord {
  WorkerStream *stream;
  const char *where;
  braid_rt_gemm_desc desc;
  const void *a;
  const void *b;
  void *c;
  braid_rt_gemm_numerics numerics;
  braid_rt_gemm_cut cut;
  int64_t chunks;
  braid_rt_trigger trigger;
  /// The chunk at each position (ring order depends on the rank); the
  /// vector keeps its capacity from step to step.
  std::vector<int64_t> order;
  /// A grouped matmul producer (braid_exec_grouped_matmul_signal): lhs in
  /// `a`, rhs in `b`, out in `c`, and its shape and group sizes.
  bool grouped = false;
  braid_rt_elem groupedType = BRAID_RT_ELEM_F32;
  braid_rt_elem groupedOutType = BRAID_RT_ELEM_F32;
  braid_rt_elem sizesType = BRAID_RT_ELEM_I64;
  int64_t rows = 0, depth = 0, cols = 0, experts = 0;
  const void *groupSizes = nullptr;
  /// The fused epilogue run on each block's rows before its release
  /// (braid_exec_epilogue; fn null: none), its state copied here.
  int (*epilogue)(void *state, int64_t rowBegin, int64_t rowEnd) = nullptr;
  std::vector<unsigned char> epilogueState;
};

/// Runs `record`'s epilogue, if any, on the rows of tile block `tile` of
/// the chunk at `position`: 0 or the epilogue's status.
int runEpilogue(GemmSignalRecord &record, int64_t position, int64_t tile);

/// Records whose addresses stay valid while the pool grows (blocks never
/// move) and are reused from step to step.
template <typename Record> class RecordPool {
public:
  Record *next() {
    size_t block = used_ / kBlock, slot = used_ % kBlock;
    if (block == blocks_.size())
      blocks_.push_back(std::make_unique<std::array<Record, kBlock>>());
    ++used_;
    return &(*blocks_[block])[slot];
  }
  void reset() { used_ = 0; }

private:
  static constexpr size_t kBlock = 64;
  std::vector<std::unique_ptr<std::array<Record, kBlock>>> blocks_;
  size_t used_ = 0;
};

class TaskPool {
public:
  TaskRecord *next() {
    size_t block = used_ / kBlock, slot = used_ % kBlock;
    if (block == blocks_.size())
      blocks_.push_back(std::make_unique<std::array<TaskRecord, kBlock>>());
    ++used_;
    return &(*blocks_[block])[slot];
  }
  void reset() { used_ = 0; }

private:
  static constexpr size_t kBlock = 256;
  std::vector<std::unique_ptr<std::array<TaskRecord, kBlock>>> blocks_;
  size_t used_ = 0;
};

/// The state of a program compiled for CUDA (ExecCuda.cpp).
struct CudaProgram;

} // namespace braid_rt::program

struct braid_exec {
  braid_program *program = nullptr;
  bool failed = false;
  braid_rt_status status = BRAID_RT_OK;
  std::string error;
  braid_rt::program::TaskPool tasks;
  braid_rt::program::RecordPool<braid_rt::program::GemmSignalRecord> gemms;
  /// Steps begun on this program before the current one (the epoch of the
  /// triggered ops).
  uint64_t stepIndex = 0;
  uint64_t stepsBegun = 0;
  /// The stream that last recorded each event (for failures seen by a wait).
  std::vector<int32_t> eventStream;
  /// Host spans opened by braid_exec_span_begin.
  std::vector<std::pair<const char *, braid_rt::program::Clock::time_point>>
      openSpans;
};

struct braid_program {
  const braid_program_desc *desc = nullptr;
  braid_rt_context *context = nullptr;
  bool ownsContext = false;
  int rank = 0, size = 0;
  braid_rt_comm *world = nullptr;
  braid_rt_stream *worldStream = nullptr;
  std::vector<braid_rt_comm *> comms;
  std::vector<int> commRanks, commSizes;
  std::vector<braid_rt_stream *> commStreams;
  /// Index 0 is unused: stream 0 is the calling thread.
  std::vector<std::unique_ptr<braid_rt::program::WorkerStream>> streams;
  std::vector<braid_rt_event *> events;
  std::vector<braid_rt_counter *> counters;
  /// Per counter, the uses braid_exec_next_epoch has handed out: the epoch
  /// of its next use (never reset, as the counter never is).
  std::vector<uint64_t> counterUses;
  braid_rt_arena *arena = nullptr;
  char *arenaBase = nullptr;
  braid_exec exec;
  /// Set for programs compiled with --target=cuda: their streams, events,
  /// arena and staging (their braid_rt worker streams and events are not
  /// made).
  braid_rt::program::CudaProgram *cuda = nullptr;

  /// Tracing: spans of the host thread and the start of the last traced
  /// step; worker spans live in `streams`.
  bool tracing = false;
  bool traced = false; // a traced step has run
  braid_rt::program::Clock::time_point traceOrigin;
  std::vector<braid_rt::program::Span> hostSpans;
};

namespace braid_rt::program {

/// Sets the message braid_program_last_error() returns on this thread and
/// returns `status`.
braid_rt_status setLastError(braid_rt_status status, std::string message);

/// Records the first failure of the current step.
void failStep(braid_exec *exec, braid_rt_status status, const char *where,
              const std::string &message);

/// Prepares `exec` for a step (clears the failure and the pools).
void beginStep(braid_program *program);
/// Waits for every worker stream; returns the step's first failure.
braid_rt_status endStep(braid_program *program);

//--- CUDA programs (ExecCuda.cpp; without CUDA they report unavailable) ---//

/// Creates streams, events, the device arena and staging of a CUDA program
/// (its communicators exist).
braid_rt_status createCudaProgram(braid_program *program);
void destroyCudaProgram(braid_program *program);
/// One step; `onDevice`: args and results are device pointers already.
braid_rt_status cudaStep(braid_program *program, const void *const *args,
                         void *const *results, bool onDevice);
void cudaFork(braid_exec *exec, int stream);
void cudaRecord(braid_exec *exec, int event, int stream);
void cudaWait(braid_exec *exec, int event);
/// Posts a collective on `comm`'s braid_rt stream with these buffers.
using CommEnqueue = std::function<braid_rt_status(
    braid_rt_comm *comm, braid_rt_stream *stream, const void *send,
    void *recv)>;
/// A collective issued on program stream `stream`: on the communicator's
/// CUDA stream between two events (NCCL), or staged through host memory
/// (MPI engine, hybrid mode). `sendBytes`/`recvBytes` are what staging
/// copies.
void cudaCommunicate(braid_exec *exec, int comm, int stream,
                     const char *where, const void *send, size_t sendBytes,
                     void *recv, size_t recvBytes, const CommEnqueue &enqueue);
void cudaZeroFill(braid_exec *exec, void *target, size_t bytes, int stream,
                  const char *where);
/// braid_exec_gemm_signal of a CUDA program: the chunked GEMM on program
/// stream `stream`, each tile block followed by a stream memory write of
/// the counter (NCCL engine); in hybrid mode (a CPU counter) the whole GEMM,
/// waited for, then one host signal of `lastValue`.
void cudaGemmSignal(braid_exec *exec, int stream, GemmSignalRecord &record,
                    uint64_t lastValue);
/// A collective of the program itself on the world communicator, on host
/// buffers, waited for (through device copies on the NCCL engine).
braid_rt_status worldCollective(braid_program *program, const void *send,
                                size_t sendBytes, void *recv,
                                size_t recvBytes, const CommEnqueue &enqueue);

/// Chrome trace JSON of every rank's spans (Trace.cpp).
std::string serializeSpans(const braid_program &program);
std::string chromeTraceJson(const braid_program_desc &desc,
                            const std::vector<std::string> &rankSpans);

} // namespace braid_rt::program

#endif // BRAID_RT_PROGRAM_PROGRAMIMPL_H
