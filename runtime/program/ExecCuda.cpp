//===- ExecCuda.cpp - the executor of CUDA programs -----------------------===//
//
// A program compiled with `--target=cuda` keeps its buffers in device memory
// and only enqueues work: stream 0 is a CUDA stream the program owns, as are
// its worker streams 1..n (created with the descriptor's priorities) and its
// events. The host issues in program order:
//
//  - fork(s): stream s waits for what stream 0 has so far (an event);
//  - record(e, s): event e recorded on stream s; wait(e): stream 0 waits
//    for e. Everything the host issues later is on stream 0 or forks from
//    it, so that is the join: the host never blocks inside a step;
//  - a collective issued on stream s runs on its communicator's own CUDA
//    stream (NCCL engine: one stream per communicator, so its collectives
//    never reorder), after s's work so far, and s continues after it;
//  - with the MPI engine (hybrid mode: P processes share a GPU, NCCL refuses
//    that), a collective waits for s, copies its source to pinned host
//    memory, runs on the MPI engine and copies the result back. Correct,
//    not fast: it exists to check a P-rank program's CUDA results.
//
// A step stages the caller's host buffers through device buffers made at
// creation (braid_program_step) or takes device pointers
// (braid_program_step_device), joins every stream into stream 0 and waits
// for it.
//
//===----------------------------------------------------------------------===//

#include "ProgramImpl.h"

#include "braid_rt/braid_exec_cuda.h"

#ifdef BRAID_RT_HAVE_CUDA
#include "braid_rt/braid_rt_nccl.h"
#include <cuda_runtime.h>
#endif

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>

using namespace braid_rt::program;

#ifdef BRAID_RT_HAVE_CUDA

namespace braid_rt::program {

struct CudaProgram {
  int device = 0;
  /// Collectives on NCCL communicators' CUDA streams (else staged, hybrid).
  bool nccl = false;
  /// Index 0 is stream 0.
  std::vector<cudaStream_t> streams;
  std::vector<cudaEvent_t> events;
  /// One event re-recorded for every ordering edge: a stream wait takes
  /// the event's state when it is issued.
  cudaEvent_t edge = nullptr;
  /// The arena: a braid_rt DEVICE arena (NCCL engine: ncclMemAlloc memory
  /// registered with the communicators) or cudaMalloc (hybrid).
  braid_rt_arena *arena = nullptr;
  void *ownedArena = nullptr;
  /// Device copies of the step's arguments and results.
  std::vector<void *> args, results;
  std::vector<size_t> argBytes, resultBytes;
  braid_rt_cuda_gemm_cache *gemm = nullptr;
  size_t workspaceBytes = 0;
  /// A cuBLASLt workspace per stream: GEMMs on two streams run at once.
  std::vector<void *> workspaces;
  /// The communicators' CUDA streams (NCCL engine).
  std::vector<cudaStream_t> commStreams;
  /// Pinned staging for hybrid collectives, grown on demand.
  char *staging = nullptr;
  size_t stagingBytes = 0;

  /// Tracing: the step's spans, each a pair of timing events recorded on
  /// the stream the op ran on, measured from `origin` (recorded on stream 0
  /// when the step begins) once the step's streams are idle. Events are
  /// reused from step to step.
  struct GpuSpan {
    const char *label;
    SpanKind kind;
    int32_t stream;
    cudaStream_t on;
    cudaEvent_t start, end;
  };
  cudaEvent_t origin = nullptr;
  std::vector<cudaEvent_t> timingEvents;
  size_t timingUsed = 0;
  std::vector<GpuSpan> spans;
};

} // namespace braid_rt::program

namespace {

size_t tensorBytes(const braid_program_tensor &tensor) {
  size_t elements = 1;
  for (int32_t i = 0; i < tensor.rank; ++i)
    elements *= static_cast<size_t>(tensor.shape[i]);
  return elements * dtypeSize(tensor.dtype);
}

/// Records the first CUDA failure of the step; true when `error` is one.
bool failed(braid_exec *exec, cudaError_t error, const char *where,
            const char *what) {
  if (error == cudaSuccess)
    return false;
  failStep(exec, BRAID_RT_INTERNAL, where,
           std::string(what) + ": " + cudaGetErrorString(error));
  return true;
}

braid_rt_status cudaFailure(cudaError_t error, const std::string &what) {
  return setLastError(BRAID_RT_INTERNAL,
                      "braid_program_create: " + what + ": " +
                          cudaGetErrorString(error));
}

CudaProgram *state(braid_exec *exec) { return exec->program->cuda; }

bool validStream(braid_exec *exec, int stream, const char *where) {
  CudaProgram *cuda = state(exec);
  if (stream >= 0 && stream < static_cast<int>(cuda->streams.size()))
    return true;
  failStep(exec, BRAID_RT_INVALID_ARGUMENT, where,
           "stream " + std::to_string(stream) +
               " is not a stream of the program (it has " +
               std::to_string(cuda->streams.size() - 1) + " workers)");
  return false;
}

/// `to` waits for the work enqueued on `from` so far.
bool order(braid_exec *exec, cudaStream_t from, cudaStream_t to,
           const char *where) {
  if (from == to)
    return true;
  CudaProgram *cuda = state(exec);
  if (failed(exec, cudaEventRecord(cuda->edge, from), where,
             "cudaEventRecord") ||
      failed(exec, cudaStreamWaitEvent(to, cuda->edge, 0), where,
             "cudaStreamWaitEvent"))
    return false;
  return true;
}

/// Pinned host memory of at least `bytes`.
char *staging(braid_exec *exec, size_t bytes, const char *where) {
  CudaProgram *cuda = state(exec);
  if (cuda->stagingBytes >= bytes)
    return cuda->staging;
  if (cuda->staging)
    cudaFreeHost(cuda->staging);
  cuda->staging = nullptr;
  cuda->stagingBytes = 0;
  void *memory = nullptr;
  if (failed(exec, cudaMallocHost(&memory, bytes), where, "cudaMallocHost"))
    return nullptr;
  cuda->staging = static_cast<char *>(memory);
  cuda->stagingBytes = bytes;
  return cuda->staging;
}

/// A timing event of the pool (created on first use).
cudaEvent_t timingEvent(braid_exec *exec, const char *where) {
  CudaProgram *cuda = state(exec);
  if (cuda->timingUsed == cuda->timingEvents.size()) {
    cudaEvent_t event = nullptr;
    if (failed(exec, cudaEventCreate(&event), where,
               "creating a timing event for the trace"))
      return nullptr;
    cuda->timingEvents.push_back(event);
  }
  return cuda->timingEvents[cuda->timingUsed++];
}

/// Opens a span of program stream `stream` whose work is enqueued on `on`
/// (the stream itself, or a communicator's stream): a timing event recorded
/// there now. Returns the span's token, -1 when the step is not traced.
int spanBegin(braid_exec *exec, int stream, cudaStream_t on,
              const char *label, SpanKind kind) {
  if (!exec->program->tracing || exec->failed)
    return -1;
  CudaProgram *cuda = state(exec);
  cudaEvent_t start = timingEvent(exec, label);
  if (!start ||
      failed(exec, cudaEventRecord(start, on), label, "cudaEventRecord"))
    return -1;
  cuda->spans.push_back(
      CudaProgram::GpuSpan{label, kind, stream, on, start, nullptr});
  return static_cast<int>(cuda->spans.size() - 1);
}

/// Closes span `token` after the work enqueued on its stream since it
/// opened.
void spanEnd(braid_exec *exec, int token) {
  CudaProgram *cuda = state(exec);
  if (token < 0 || token >= static_cast<int>(cuda->spans.size()))
    return;
  CudaProgram::GpuSpan &span = cuda->spans[static_cast<size_t>(token)];
  cudaEvent_t end = timingEvent(exec, span.label);
  if (end && !failed(exec, cudaEventRecord(end, span.on), span.label,
                     "cudaEventRecord"))
    span.end = end;
}

/// The step's spans on the host clock: origin is the step's traceOrigin.
/// Called once every stream is idle, so no event is pending.
void collectSpans(braid_program *program) {
  CudaProgram *cuda = program->cuda;
  for (const CudaProgram::GpuSpan &span : cuda->spans) {
    float fromOrigin = 0, duration = 0;
    if (!span.end ||
        cudaEventElapsedTime(&fromOrigin, cuda->origin, span.start) !=
            cudaSuccess ||
        cudaEventElapsedTime(&duration, span.start, span.end) != cudaSuccess)
      continue;
    auto at = [&](double milliseconds) {
      return program->traceOrigin +
             std::chrono::duration_cast<Clock::duration>(
                 std::chrono::duration<double, std::milli>(milliseconds));
    };
    program->hostSpans.push_back(Span{span.label, span.kind, span.stream,
                                      at(fromOrigin),
                                      at(double(fromOrigin) + duration)});
  }
  cuda->spans.clear();
}

} // namespace

namespace braid_rt::program {

braid_rt_status createCudaProgram(braid_program *program) {
  const braid_program_desc *desc = program->desc;
  auto cuda = std::make_unique<CudaProgram>();
  braid_rt_engine engine = BRAID_RT_ENGINE_MPI;
  braid_rt_status status = braid_rt_context_engine(program->context, &engine);
  if (status != BRAID_RT_OK)
    return setLastError(status, std::string("braid_program_create: ") +
                                    braid_rt_last_error());
  cuda->nccl = engine == BRAID_RT_ENGINE_NCCL;
  int devices = 0;
  cudaError_t error = cudaGetDeviceCount(&devices);
  if (error != cudaSuccess || devices == 0)
    return setLastError(BRAID_RT_UNAVAILABLE,
                        "braid_program_create: the program runs on CUDA and "
                        "this process sees no GPU" +
                            std::string(error != cudaSuccess
                                            ? std::string(" (") +
                                                  cudaGetErrorString(error) +
                                                  ")"
                                            : ""));
  if (cuda->nccl) {
    // The NCCL engine made the context's device current.
    cudaGetDevice(&cuda->device);
  } else {
    // Hybrid: BRAID_CUDA_DEVICE, else ranks spread over the devices
    // (with one GPU, every rank shares it).
    const char *chosen = std::getenv("BRAID_CUDA_DEVICE");
    cuda->device = chosen ? std::atoi(chosen) : program->rank % devices;
  }
  if ((error = cudaSetDevice(cuda->device)) != cudaSuccess)
    return cudaFailure(error, "cudaSetDevice(" +
                                  std::to_string(cuda->device) + ")");

  int least = 0, greatest = 0;
  cudaDeviceGetStreamPriorityRange(&least, &greatest);
  cuda->streams.resize(desc->num_streams + 1);
  for (int32_t i = 0; i <= desc->num_streams; ++i) {
    // braid_rt's priorities: lower runs first, as CUDA's; clamped to the
    // device's range.
    int priority = i == 0 ? 0 : desc->stream_priorities[i - 1];
    priority = std::min(std::max(priority, greatest), least);
    if ((error = cudaStreamCreateWithPriority(
             &cuda->streams[i], cudaStreamNonBlocking, priority)) !=
        cudaSuccess)
      return cudaFailure(error, "stream " + std::to_string(i));
  }
  for (int32_t i = 0; i <= desc->num_events; ++i) {
    cudaEvent_t event = nullptr;
    if ((error = cudaEventCreateWithFlags(&event, cudaEventDisableTiming)) !=
        cudaSuccess)
      return cudaFailure(error, "event " + std::to_string(i));
    if (i == desc->num_events)
      cuda->edge = event;
    else
      cuda->events.push_back(event);
  }

  uint64_t alignment = desc->arena_alignment ? desc->arena_alignment : 64;
  uint64_t arenaBytes = std::max<uint64_t>(desc->arena_bytes, 1);
  if (cuda->nccl) {
    void *base = nullptr;
    status = braid_rt_arena_create(program->context, arenaBytes, alignment,
                                   BRAID_RT_MEMORY_DEVICE, &cuda->arena);
    if (status == BRAID_RT_OK)
      status = braid_rt_arena_at(cuda->arena, 0, arenaBytes, 1, &base);
    if (status != BRAID_RT_OK)
      return setLastError(status, "braid_program_create: the " +
                                      std::to_string(arenaBytes) +
                                      "-byte device arena: " +
                                      braid_rt_last_error());
    program->arenaBase = static_cast<char *>(base);
  } else {
    // cudaMalloc aligns to 256 bytes, more than the planner asks.
    if ((error = cudaMalloc(&cuda->ownedArena, arenaBytes)) != cudaSuccess)
      return cudaFailure(error, "the " + std::to_string(arenaBytes) +
                                    "-byte device arena");
    program->arenaBase = static_cast<char *>(cuda->ownedArena);
  }
  for (int32_t i = 0; i < desc->num_args + desc->num_results; ++i) {
    bool isArg = i < desc->num_args;
    const braid_program_tensor &tensor =
        isArg ? desc->args[i] : desc->results[i - desc->num_args];
    size_t bytes = tensorBytes(tensor);
    void *memory = nullptr;
    if ((error = cudaMalloc(&memory, std::max<size_t>(bytes, 1))) !=
        cudaSuccess)
      return cudaFailure(error, std::string(isArg ? "argument" : "result") +
                                    " buffer");
    (isArg ? cuda->args : cuda->results).push_back(memory);
    (isArg ? cuda->argBytes : cuda->resultBytes).push_back(bytes);
  }

  if (braid_rt_cuda_gemm_cache_create(&cuda->gemm) != 0)
    return setLastError(BRAID_RT_INTERNAL,
                        std::string("braid_program_create: cuBLASLt: ") +
                            braid_rt_kernel_last_error());
  cuda->workspaceBytes = braid_rt_cuda_gemm_workspace_bytes();
  for (size_t i = 0; i < cuda->streams.size(); ++i) {
    void *workspace = nullptr;
    if (cuda->workspaceBytes &&
        (error = cudaMalloc(&workspace, cuda->workspaceBytes)) != cudaSuccess)
      return cudaFailure(error, "GEMM workspace");
    cuda->workspaces.push_back(workspace);
  }
  if (cuda->nccl)
    for (braid_rt_stream *stream : program->commStreams) {
      cudaStream_t handle = nullptr;
      status = braid_rt_stream_cuda(stream, &handle);
      if (status != BRAID_RT_OK)
        return setLastError(status, std::string("braid_program_create: ") +
                                        braid_rt_last_error());
      cuda->commStreams.push_back(handle);
    }
  program->cuda = cuda.release();
  return BRAID_RT_OK;
}

void destroyCudaProgram(braid_program *program) {
  CudaProgram *cuda = program->cuda;
  if (!cuda)
    return;
  cudaSetDevice(cuda->device);
  for (cudaStream_t stream : cuda->streams)
    if (stream) {
      cudaStreamSynchronize(stream);
      cudaStreamDestroy(stream);
    }
  for (cudaEvent_t event : cuda->events)
    cudaEventDestroy(event);
  if (cuda->edge)
    cudaEventDestroy(cuda->edge);
  if (cuda->origin)
    cudaEventDestroy(cuda->origin);
  for (cudaEvent_t event : cuda->timingEvents)
    cudaEventDestroy(event);
  if (cuda->arena)
    braid_rt_arena_destroy(cuda->arena);
  if (cuda->ownedArena)
    cudaFree(cuda->ownedArena);
  for (void *memory : cuda->args)
    cudaFree(memory);
  for (void *memory : cuda->results)
    cudaFree(memory);
  for (void *memory : cuda->workspaces)
    if (memory)
      cudaFree(memory);
  if (cuda->gemm)
    braid_rt_cuda_gemm_cache_destroy(cuda->gemm);
  if (cuda->staging)
    cudaFreeHost(cuda->staging);
  delete cuda;
  program->cuda = nullptr;
  program->arenaBase = nullptr;
}

braid_rt_status cudaStep(braid_program *program, const void *const *args,
                         void *const *results, bool onDevice) {
  CudaProgram *cuda = program->cuda;
  braid_exec *exec = &program->exec;
  const braid_program_desc *desc = program->desc;
  beginStep(program);
  const char *where = "braid_program_step";
  cudaStream_t stream0 = cuda->streams[0];
  failed(exec, cudaSetDevice(cuda->device), where, "cudaSetDevice");
  cuda->spans.clear();
  cuda->timingUsed = 0;
  if (program->tracing && !exec->failed) {
    // The GPU's zero of the trace, taken as close to traceOrigin (set by
    // beginStep) as the host can: the first thing on the idle stream 0.
    if (!cuda->origin)
      failed(exec, cudaEventCreate(&cuda->origin), where,
             "creating the trace's origin event");
    if (cuda->origin)
      failed(exec, cudaEventRecord(cuda->origin, stream0), where,
             "cudaEventRecord");
  }
  std::vector<const void *> stepArgs(args, args + desc->num_args);
  std::vector<void *> stepResults(results, results + desc->num_results);
  if (!onDevice) {
    for (int32_t i = 0; i < desc->num_args && !exec->failed; ++i) {
      failed(exec,
             cudaMemcpyAsync(cuda->args[i], args[i], cuda->argBytes[i],
                             cudaMemcpyHostToDevice, stream0),
             where, "copying an argument to the device");
      stepArgs[i] = cuda->args[i];
    }
    for (int32_t i = 0; i < desc->num_results; ++i)
      stepResults[i] = cuda->results[i];
  }
  if (!exec->failed)
    desc->step(exec, stepArgs.data(), stepResults.data(), program->arenaBase);
  // Every stream joins stream 0; then the results go back.
  for (size_t i = 1; i < cuda->streams.size() && !exec->failed; ++i)
    order(exec, cuda->streams[i], stream0, where);
  if (!onDevice)
    for (int32_t i = 0; i < desc->num_results && !exec->failed; ++i)
      failed(exec,
             cudaMemcpyAsync(results[i], cuda->results[i],
                             cuda->resultBytes[i], cudaMemcpyDeviceToHost,
                             stream0),
             where, "copying a result to the host");
  // Wait for everything, also after a failure (nothing may still run).
  for (cudaStream_t stream : cuda->streams) {
    cudaError_t error = cudaStreamSynchronize(stream);
    failed(exec, error, where, "a kernel of the step failed");
  }
  // Communicators' streams end with an event back to their issuing stream,
  // so they are idle too: every timing event has completed.
  if (program->tracing && !exec->failed)
    collectSpans(program);
  return exec->failed ? exec->status : BRAID_RT_OK;
}

void cudaFork(braid_exec *exec, int stream) {
  if (exec->failed || !validStream(exec, stream, nullptr) || stream == 0)
    return;
  CudaProgram *cuda = state(exec);
  order(exec, cuda->streams[0], cuda->streams[stream], nullptr);
}

void cudaRecord(braid_exec *exec, int event, int stream) {
  CudaProgram *cuda = state(exec);
  if (exec->failed || !validStream(exec, stream, nullptr))
    return;
  if (event < 0 || event >= static_cast<int>(cuda->events.size())) {
    failStep(exec, BRAID_RT_INVALID_ARGUMENT, nullptr,
             "event " + std::to_string(event) +
                 " is not one of the program's " +
                 std::to_string(cuda->events.size()));
    return;
  }
  if (!failed(exec, cudaEventRecord(cuda->events[event], cuda->streams[stream]),
              nullptr, "cudaEventRecord"))
    exec->eventStream[event] = stream;
}

void cudaWait(braid_exec *exec, int event) {
  CudaProgram *cuda = state(exec);
  if (exec->failed || event < 0 ||
      event >= static_cast<int>(cuda->events.size()) ||
      exec->eventStream[event] < 0)
    return;
  failed(exec, cudaStreamWaitEvent(cuda->streams[0], cuda->events[event], 0),
         nullptr, "cudaStreamWaitEvent");
}

void cudaCommunicate(braid_exec *exec, int comm, int stream,
                     const char *where, const void *send, size_t sendBytes,
                     void *recv, size_t recvBytes,
                     const CommEnqueue &enqueue) {
  if (exec->failed || !validStream(exec, stream, where))
    return;
  braid_program *program = exec->program;
  CudaProgram *cuda = state(exec);
  cudaStream_t issuing = cuda->streams[stream];
  braid_rt_stream *commStream = program->commStreams[comm];
  if (cuda->nccl) {
    cudaStream_t ordered = cuda->commStreams[comm];
    if (!order(exec, issuing, ordered, where))
      return;
    int span = spanBegin(exec, stream, ordered, where,
                         SpanKind::Communication);
    braid_rt_status status =
        enqueue(program->comms[comm], commStream, send, recv);
    if (status != BRAID_RT_OK) {
      failStep(exec, status, where, braid_rt_last_error());
      return;
    }
    spanEnd(exec, span);
    order(exec, ordered, issuing, where);
    return;
  }
  // Hybrid: through pinned host memory, synchronously; the span is the
  // host's (staging included).
  Clock::time_point start = Clock::now();
  struct HostSpan {
    braid_exec *exec;
    int stream;
    const char *where;
    Clock::time_point start;
    ~HostSpan() {
      if (exec->program->tracing && !exec->failed)
        exec->program->hostSpans.push_back(Span{
            where, SpanKind::Communication, stream, start, Clock::now()});
    }
  } hostSpan{exec, stream, where, start};
  char *host = staging(exec, sendBytes + recvBytes + 64, where);
  if (!host)
    return;
  char *hostSend = host;
  char *hostRecv = host + ((sendBytes + 63) / 64) * 64;
  if (failed(exec, cudaStreamSynchronize(issuing), where,
             "waiting for the collective's inputs") ||
      (sendBytes && failed(exec,
                           cudaMemcpy(hostSend, send, sendBytes,
                                      cudaMemcpyDeviceToHost),
                           where, "staging the source")) ||
      (recvBytes && failed(exec,
                           cudaMemcpy(hostRecv, recv, recvBytes,
                                      cudaMemcpyDeviceToHost),
                           where, "staging the target")))
    return;
  braid_rt_status status =
      enqueue(program->comms[comm], commStream, hostSend, hostRecv);
  if (status == BRAID_RT_OK)
    status = braid_rt_stream_synchronize(commStream);
  if (status != BRAID_RT_OK) {
    failStep(exec, status, where, braid_rt_last_error());
    return;
  }
  if (recvBytes)
    failed(exec,
           cudaMemcpyAsync(recv, hostRecv, recvBytes, cudaMemcpyHostToDevice,
                           issuing),
           where, "copying the result back");
  // The staging buffer is reused by the next collective.
  failed(exec, cudaStreamSynchronize(issuing), where,
         "copying the result back");
}

void cudaZeroFill(braid_exec *exec, void *target, size_t bytes, int stream,
                  const char *where) {
  if (exec->failed || !bytes || !validStream(exec, stream, where))
    return;
  failed(exec,
         cudaMemsetAsync(target, 0, bytes, state(exec)->streams[stream]),
         where, "cudaMemsetAsync");
}

namespace {

/// The producer's release on a CUDA program's stream: a stream memory write
/// of the counter after the tile block's GEMM.
struct CudaRelease {
  GemmSignalRecord *record;
  cudaStream_t stream;
};

/// After each block's GEMM is enqueued: its epilogue's kernels, then the
/// counter's value, both on the producer's stream.
int releaseOnStream(void *user, int64_t position, int64_t tile) {
  auto *release = static_cast<CudaRelease *>(user);
  if (int result = runEpilogue(*release->record, position, tile))
    return result;
  const braid_rt_trigger &trigger = release->record->trigger;
  uint64_t value = (trigger.epoch * static_cast<uint64_t>(
                                        release->record->chunks) +
                    static_cast<uint64_t>(position)) *
                       trigger.tiles_per_chunk +
                   static_cast<uint64_t>(tile) + 1;
  return braid_rt_counter_signal_cuda(trigger.counter, release->stream, value);
}

} // namespace

void cudaGemmSignal(braid_exec *exec, int stream, GemmSignalRecord &record,
                    uint64_t lastValue) {
  const char *where = record.where;
  if (exec->failed || !validStream(exec, stream, where))
    return;
  CudaProgram *cuda = state(exec);
  cudaStream_t handle = cuda->streams[stream];
  record.stream = nullptr;
  // The record's chunked producer enqueued on the stream, `release` called
  // after each tile block (null: none).
  auto produce = [&](braid_rt_gemm_release_fn release, void *user) {
    int64_t tiles = static_cast<int64_t>(record.trigger.tiles_per_chunk);
    if (record.grouped)
      return braid_rt_cuda_grouped_matmul_chunked(
          record.groupedType, record.groupedOutType, record.rows, record.depth,
          record.cols, record.experts, record.a, record.b, record.groupSizes,
          record.sizesType, record.c, record.chunks, record.order.data(), tiles,
          release, user, handle);
    return braid_rt_cuda_gemm_chunked(
        cuda->gemm, &record.desc, record.a, record.b, record.c,
        cuda->workspaces[stream], cuda->workspaceBytes, record.cut,
        record.chunks, record.order.data(), tiles, release, user, handle);
  };
  if (cuda->nccl) {
    int span = spanBegin(exec, stream, handle, where, SpanKind::Compute);
    CudaRelease release{&record, handle};
    int result = produce(releaseOnStream, &release);
    if (result != 0) {
      const char *kernelError = braid_rt_kernel_last_error();
      failStep(exec, static_cast<braid_rt_status>(result), where,
               kernelError && *kernelError ? kernelError
                                           : braid_rt_last_error());
      return;
    }
    spanEnd(exec, span);
    return;
  }
  // Hybrid: the counter is the MPI engine's (a CPU counter) and the
  // collective is staged synchronously, so the producer is waited for here
  // and releases every chunk at once (its epilogue still runs per block).
  auto epilogueOnly = [](void *user, int64_t position, int64_t tile) {
    return runEpilogue(*static_cast<GemmSignalRecord *>(user), position,
                       tile);
  };
  int result = produce(record.epilogue ? +epilogueOnly : nullptr, &record);
  if (result != 0) {
    braid_exec_check_kernel(exec, result, where);
    return;
  }
  if (failed(exec, cudaStreamSynchronize(handle), where,
             record.grouped ? "the chunked grouped matmul failed"
                            : "the chunked GEMM failed"))
    return;
  braid_rt_status status =
      braid_rt_counter_host_signal(record.trigger.counter, lastValue);
  if (status != BRAID_RT_OK)
    failStep(exec, status, where, braid_rt_last_error());
}

} // namespace braid_rt::program

extern "C" {

void *braid_exec_cuda_stream(braid_exec *exec, int stream) {
  if (!exec->program->cuda) {
    failStep(exec, BRAID_RT_INVALID_ARGUMENT, nullptr,
             "a CUDA call in a program that does not run on CUDA");
    return nullptr;
  }
  if (!validStream(exec, stream, nullptr))
    return nullptr;
  return state(exec)->streams[stream];
}

int braid_exec_cuda_span_begin(braid_exec *exec, int stream,
                               const char *label) {
  if (!exec->program->cuda || !exec->program->tracing ||
      !validStream(exec, stream, label))
    return -1;
  return spanBegin(exec, stream, state(exec)->streams[stream], label,
                   SpanKind::Compute);
}

void braid_exec_cuda_span_end(braid_exec *exec, int token) {
  if (exec->program->cuda)
    spanEnd(exec, token);
}

int braid_exec_cuda_gemm(braid_exec *exec, int stream,
                         const braid_rt_gemm_desc *desc, const void *a,
                         const void *b, void *c) {
  CudaProgram *cuda = exec->program->cuda;
  if (!cuda || !validStream(exec, stream, nullptr))
    return BRAID_RT_KERNEL_INVALID_ARGUMENT;
  return braid_rt_cuda_gemm(cuda->gemm, desc, a, b, c,
                            cuda->workspaces[stream], cuda->workspaceBytes,
                            cuda->streams[stream]);
}

} // extern "C"

#else // !BRAID_RT_HAVE_CUDA

namespace braid_rt::program {

struct CudaProgram {};

braid_rt_status createCudaProgram(braid_program *) {
  return setLastError(BRAID_RT_UNAVAILABLE,
                      "braid_program_create: the program runs on CUDA and "
                      "this runtime was built without CUDA");
}
void destroyCudaProgram(braid_program *) {}
braid_rt_status cudaStep(braid_program *, const void *const *, void *const *,
                         bool) {
  return BRAID_RT_UNAVAILABLE;
}
void cudaFork(braid_exec *, int) {}
void cudaRecord(braid_exec *, int, int) {}
void cudaWait(braid_exec *, int) {}
void cudaCommunicate(braid_exec *, int, int, const char *, const void *,
                     size_t, void *, size_t, const CommEnqueue &) {}
void cudaZeroFill(braid_exec *, void *, size_t, int, const char *) {}
void cudaGemmSignal(braid_exec *, int, GemmSignalRecord &, uint64_t) {}

} // namespace braid_rt::program

extern "C" {
void *braid_exec_cuda_stream(braid_exec *exec, int) {
  failStep(exec, BRAID_RT_UNAVAILABLE, nullptr,
           "this runtime was built without CUDA");
  return nullptr;
}
int braid_exec_cuda_gemm(braid_exec *, int, const braid_rt_gemm_desc *,
                         const void *, const void *, void *) {
  return BRAID_RT_KERNEL_UNAVAILABLE;
}
int braid_exec_cuda_span_begin(braid_exec *, int, const char *) { return -1; }
void braid_exec_cuda_span_end(braid_exec *, int) {}
} // extern "C"

#endif // BRAID_RT_HAVE_CUDA

namespace braid_rt::program {

// The NCCL engine takes device pointers only: the program's own collectives
// on host values (creation's agreement, measurements, traces) go through a
// device copy there.
braid_rt_status worldCollective(braid_program *program, const void *send,
                                size_t sendBytes, void *recv,
                                size_t recvBytes, const CommEnqueue &enqueue) {
#ifdef BRAID_RT_HAVE_CUDA
  braid_rt_engine engine = BRAID_RT_ENGINE_MPI;
  braid_rt_context_engine(program->context, &engine);
  if (engine == BRAID_RT_ENGINE_NCCL) {
    size_t recvOffset = (sendBytes + 255) / 256 * 256;
    char *device = nullptr;
    cudaError_t error = cudaMalloc(reinterpret_cast<void **>(&device),
                                   recvOffset + recvBytes + 1);
    if (error == cudaSuccess && sendBytes)
      error = cudaMemcpy(device, send, sendBytes, cudaMemcpyHostToDevice);
    if (error != cudaSuccess) {
      if (device)
        cudaFree(device);
      return setLastError(BRAID_RT_INTERNAL,
                          std::string("staging a world collective: ") +
                              cudaGetErrorString(error));
    }
    braid_rt_status status = enqueue(program->world, program->worldStream,
                                     device, device + recvOffset);
    if (status == BRAID_RT_OK)
      status = braid_rt_stream_synchronize(program->worldStream);
    if (status == BRAID_RT_OK && recvBytes &&
        cudaMemcpy(recv, device + recvOffset, recvBytes,
                   cudaMemcpyDeviceToHost) != cudaSuccess)
      status = setLastError(BRAID_RT_INTERNAL,
                            "copying a world collective's result back");
    cudaFree(device);
    return status;
  }
#endif
  (void)sendBytes;
  (void)recvBytes;
  braid_rt_status status =
      enqueue(program->world, program->worldStream, send, recv);
  if (status != BRAID_RT_OK)
    return status;
  return braid_rt_stream_synchronize(program->worldStream);
}

} // namespace braid_rt::program
