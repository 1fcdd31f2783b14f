//===- Exec.cpp - what the emitted step function calls --------------------===//
//
// Stream 0 is the calling thread: its ops run inline, and a collective on
// stream 0 runs on its communicator's own stream while the host waits.
// Streams 1..n are worker braid_rt streams. Each op enqueued on a worker is
// preceded by a marker task that names the op (`where`), so a sticky stream
// error is reported at the op that caused it; with tracing on, a second task
// after the op closes its span. Launched functions run through a trampoline
// that does both itself.
//
// The first failure of a step is kept (with its `where`) and every later
// call does nothing: emitted code needs no error branches.
//
//===----------------------------------------------------------------------===//

#include "ProgramImpl.h"

#include "braid_rt/kernels.h"

#include <cstring>

using namespace braid_rt::program;

namespace braid_rt::program {

void failStep(braid_exec *exec, braid_rt_status status, const char *where,
              const std::string &message) {
  if (exec->failed)
    return;
  exec->failed = true;
  exec->status = status == BRAID_RT_OK ? BRAID_RT_INTERNAL : status;
  exec->error = where && *where ? std::string(where) + ": " + message
                                : message;
}

} // namespace braid_rt::program

namespace {

std::string streamName(int stream) {
  return "stream " + std::to_string(stream);
}

/// Worker `stream`, or null after failing the step when it is not one.
WorkerStream *workerStream(braid_exec *exec, int stream, const char *where) {
  braid_program *program = exec->program;
  if (stream < 1 || stream >= static_cast<int>(program->streams.size())) {
    failStep(exec, BRAID_RT_INVALID_ARGUMENT, where,
             "stream " + std::to_string(stream) +
                 " is not a worker stream of the program (it has " +
                 std::to_string(program->streams.size() - 1) + ")");
    return nullptr;
  }
  return program->streams[stream].get();
}

bool validComm(braid_exec *exec, int comm, const char *where) {
  if (comm >= 0 && comm < static_cast<int>(exec->program->comms.size()))
    return true;
  failStep(exec, BRAID_RT_INVALID_ARGUMENT, where,
           "communicator " + std::to_string(comm) +
               " is not one of the program's " +
               std::to_string(exec->program->comms.size()));
  return false;
}

bool validCounter(braid_exec *exec, int counter, const char *where) {
  if (counter >= 0 &&
      counter < static_cast<int>(exec->program->counters.size()))
    return true;
  failStep(exec, BRAID_RT_INVALID_ARGUMENT, where,
           "counter " + std::to_string(counter) +
               " is not one of the program's " +
               std::to_string(exec->program->counters.size()));
  return false;
}

bool validTiles(braid_exec *exec, int64_t tiles, const char *where) {
  if (tiles >= 1)
    return true;
  failStep(exec, BRAID_RT_INVALID_ARGUMENT, where,
           "tiles_per_chunk = " + std::to_string(tiles) +
               " (at least 1)");
  return false;
}

bool validEvent(braid_exec *exec, int event, const char *where) {
  if (event >= 0 && event < static_cast<int>(exec->program->events.size()))
    return true;
  failStep(exec, BRAID_RT_INVALID_ARGUMENT, where,
           "event " + std::to_string(event) + " is not one of the program's " +
               std::to_string(exec->program->events.size()));
  return false;
}

int markOpStart(void *data) {
  auto *task = static_cast<TaskRecord *>(data);
  WorkerStream *stream = task->stream;
  stream->current = task->where;
  stream->currentKind = task->kind;
  if (stream->tracing)
    stream->openStart = Clock::now();
  return 0;
}

int closeSpan(void *data) {
  auto *stream = static_cast<WorkerStream *>(data);
  stream->spans.push_back(Span{stream->current, stream->currentKind,
                               stream->index, stream->openStart,
                               Clock::now()});
  return 0;
}

int runLaunched(void *data) {
  auto *task = static_cast<TaskRecord *>(data);
  WorkerStream *stream = task->stream;
  stream->current = task->where;
  stream->currentKind = task->kind;
  Clock::time_point start;
  if (stream->tracing)
    start = Clock::now();
  int result = task->fn ? task->fn(task->arg) : 0;
  if (task->zeroFill && task->zeroBytes)
    std::memset(task->zeroFill, 0, task->zeroBytes);
  if (stream->tracing)
    stream->spans.push_back(
        Span{task->where, task->kind, stream->index, start, Clock::now()});
  if (result != 0 && stream->failure.empty()) {
    const char *kernelError = braid_rt_kernel_last_error();
    stream->failure = kernelError && *kernelError
                          ? std::string(kernelError)
                          : "the launched function returned " +
                                std::to_string(result);
  }
  return result;
}

int releaseTile(void *user, int64_t position, int64_t tile) {
  auto *record = static_cast<GemmSignalRecord *>(user);
  if (int result = runEpilogue(*record, position, tile)) {
    if (record->stream && record->stream->failure.empty())
      record->stream->failure =
          std::string("the fused epilogue of ") + record->where +
          " failed with status " + std::to_string(result);
    return result;
  }
  braid_rt_status status = braid_rt_trigger_release(
      &record->trigger, static_cast<uint64_t>(record->chunks),
      static_cast<uint64_t>(position), static_cast<uint64_t>(tile));
  if (status != BRAID_RT_OK && record->stream &&
      record->stream->failure.empty())
    record->stream->failure = braid_rt_last_error();
  return status;
}

} // namespace

int braid_rt::program::runEpilogue(GemmSignalRecord &record, int64_t position,
                                   int64_t tile) {
  if (!record.epilogue)
    return 0;
  int64_t begin = 0, end = 0;
  braid_rt_chunk_tile_range(
      record.desc.m, record.chunks, record.order[static_cast<size_t>(position)],
      static_cast<int64_t>(record.trigger.tiles_per_chunk), tile, &begin,
      &end);
  return record.epilogue(record.epilogueState.data(), begin, end);
}

namespace {

/// The chunked GEMM of braid_exec_gemm_signal; on a worker stream it also
/// marks and traces the op as runLaunched does.
int runGemmSignal(void *data) {
  auto *record = static_cast<GemmSignalRecord *>(data);
  WorkerStream *stream = record->stream;
  Clock::time_point start;
  if (stream) {
    stream->current = record->where;
    stream->currentKind = SpanKind::Compute;
    if (stream->tracing)
      start = Clock::now();
  }
  int64_t tiles = static_cast<int64_t>(record->trigger.tiles_per_chunk);
  int result =
      record->grouped
          ? braid_rt_cpu_grouped_matmul_chunked(
                record->groupedType, record->groupedOutType, record->rows,
                record->depth, record->cols, record->experts, record->a,
                record->b, record->groupSizes, record->sizesType, record->c,
                record->numerics, record->chunks, record->order.data(), tiles,
                releaseTile, record)
          : braid_rt_cpu_gemm_chunked(
                &record->desc, record->a, record->b, record->c,
                record->numerics, nullptr, 0, record->cut, record->chunks,
                record->order.data(), tiles, releaseTile, record);
  if (stream && stream->tracing)
    stream->spans.push_back(Span{record->where, SpanKind::Compute,
                                 stream->index, start, Clock::now()});
  if (result != 0 && stream && stream->failure.empty()) {
    const char *kernelError = braid_rt_kernel_last_error();
    stream->failure = kernelError && *kernelError
                          ? std::string(kernelError)
                          : "the chunked GEMM returned " +
                                std::to_string(result);
  }
  return result;
}

/// Enqueues what an op on a worker stream needs before it.
bool enqueueMarker(braid_exec *exec, WorkerStream *stream, const char *where,
                   SpanKind kind) {
  TaskRecord *task = exec->tasks.next();
  *task = TaskRecord{stream, where, kind, nullptr, nullptr, nullptr, 0};
  braid_rt_status status =
      braid_rt_stream_launch_host(stream->stream, markOpStart, task);
  if (status != BRAID_RT_OK) {
    failStep(exec, status, where, braid_rt_last_error());
    return false;
  }
  return true;
}

void enqueueSpanEnd(braid_exec *exec, WorkerStream *stream,
                    const char *where) {
  if (!exec->program->tracing)
    return;
  braid_rt_status status =
      braid_rt_stream_launch_host(stream->stream, closeSpan, stream);
  if (status != BRAID_RT_OK)
    failStep(exec, status, where, braid_rt_last_error());
}

/// A collective or transfer: `enqueue(comm, stream)` posts it on a braid_rt
/// stream. Stream 0 runs it on the communicator's own stream and waits.
template <typename Enqueue>
void communicate(braid_exec *exec, int comm, int stream, const char *where,
                 Enqueue enqueue) {
  if (exec->failed || !validComm(exec, comm, where))
    return;
  braid_program *program = exec->program;
  if (stream == 0) {
    Clock::time_point start = Clock::now();
    braid_rt_stream *commStream = program->commStreams[comm];
    braid_rt_status status = enqueue(program->comms[comm], commStream);
    if (status == BRAID_RT_OK)
      status = braid_rt_stream_synchronize(commStream);
    if (status != BRAID_RT_OK) {
      failStep(exec, status, where, braid_rt_last_error());
      return;
    }
    if (program->tracing)
      program->hostSpans.push_back(
          Span{where, SpanKind::Communication, 0, start, Clock::now()});
    return;
  }
  WorkerStream *worker = workerStream(exec, stream, where);
  if (!worker ||
      !enqueueMarker(exec, worker, where, SpanKind::Communication))
    return;
  braid_rt_status status = enqueue(program->comms[comm], worker->stream);
  if (status != BRAID_RT_OK) {
    failStep(exec, status, where, braid_rt_last_error());
    return;
  }
  enqueueSpanEnd(exec, worker, where);
}

/// A CUDA program's collective (ExecCuda.cpp), with the bytes it reads and
/// writes; false for other programs.
bool onCuda(braid_exec *exec, int comm, int stream, const char *where,
            const void *send, size_t sendBytes, void *recv, size_t recvBytes,
            const CommEnqueue &enqueue) {
  if (!exec->program->cuda)
    return false;
  if (!exec->failed && validComm(exec, comm, where))
    cudaCommunicate(exec, comm, stream, where, send, sendBytes, recv,
                    recvBytes, enqueue);
  return true;
}

size_t groupSize(braid_exec *exec, int comm) {
  return comm >= 0 && comm < static_cast<int>(exec->program->commSizes.size())
             ? static_cast<size_t>(exec->program->commSizes[comm])
             : 0;
}

/// The failure a worker stream reports at a wait or at the end of a step.
void failFromStream(braid_exec *exec, WorkerStream *stream,
                    braid_rt_status status, const std::string &runtimeError) {
  std::string where = stream->current ? std::string(stream->current)
                                      : streamName(stream->index);
  failStep(exec, status, where.c_str(),
           stream->failure.empty() ? runtimeError : stream->failure);
}

} // namespace

namespace braid_rt::program {

void beginStep(braid_program *program) {
  braid_exec &exec = program->exec;
  exec.failed = false;
  exec.status = BRAID_RT_OK;
  exec.error.clear();
  exec.tasks.reset();
  exec.gemms.reset();
  exec.stepIndex = exec.stepsBegun++;
  exec.openSpans.clear();
  std::fill(exec.eventStream.begin(), exec.eventStream.end(), -1);
  for (size_t i = 1; i < program->streams.size(); ++i) {
    WorkerStream &stream = *program->streams[i];
    stream.current = nullptr;
    stream.tracing = program->tracing;
    if (program->tracing)
      stream.spans.clear();
  }
  if (program->tracing) {
    program->hostSpans.clear();
    program->traceOrigin = Clock::now();
    program->traced = true;
  }
}

braid_rt_status endStep(braid_program *program) {
  braid_exec *exec = &program->exec;
  for (size_t i = 1; i < program->streams.size(); ++i) {
    WorkerStream *stream = program->streams[i].get();
    braid_rt_status status = braid_rt_stream_synchronize(stream->stream);
    if (status != BRAID_RT_OK)
      failFromStream(exec, stream, status, braid_rt_last_error());
  }
  // Spans left open by the step end with it.
  if (program->tracing)
    while (!exec->openSpans.empty()) {
      program->hostSpans.push_back(Span{exec->openSpans.back().first,
                                        SpanKind::Compute, 0,
                                        exec->openSpans.back().second,
                                        Clock::now()});
      exec->openSpans.pop_back();
    }
  return exec->failed ? exec->status : BRAID_RT_OK;
}

} // namespace braid_rt::program

extern "C" {

int braid_exec_failed(braid_exec *exec) { return exec->failed ? 1 : 0; }

void braid_exec_fail(braid_exec *exec, const char *where,
                     const char *message) {
  failStep(exec, BRAID_RT_INTERNAL, where, message ? message : "failed");
}

void braid_exec_check_kernel(braid_exec *exec, int rc, const char *where) {
  if (rc == 0 || exec->failed)
    return;
  const char *message = braid_rt_kernel_last_error();
  failStep(exec, static_cast<braid_rt_status>(rc), where,
           message && *message ? message
                               : "kernel failed with status " +
                                     std::to_string(rc));
}

int64_t braid_exec_comm_rank(braid_exec *exec, int comm) {
  if (!validComm(exec, comm, nullptr))
    return 0;
  return exec->program->commRanks[comm];
}

// Host work before a fork has already run (host ops are inline), and work
// enqueued on a CPU stream starts after everything enqueued before it: the
// ordering the fork asks for already holds.
void braid_exec_fork(braid_exec *exec, int stream) {
  if (exec->program->cuda)
    return cudaFork(exec, stream);
  if (exec->failed || stream == 0)
    return;
  workerStream(exec, stream, nullptr);
}

void braid_exec_record(braid_exec *exec, int event, int stream) {
  if (exec->program->cuda)
    return cudaRecord(exec, event, stream);
  if (exec->failed || !validEvent(exec, event, nullptr))
    return;
  if (stream == 0) {
    // Recorded after the host's work so far: complete at once.
    exec->eventStream[event] = 0;
    return;
  }
  WorkerStream *worker = workerStream(exec, stream, nullptr);
  if (!worker)
    return;
  braid_rt_status status =
      braid_rt_event_record(exec->program->events[event], worker->stream);
  if (status != BRAID_RT_OK) {
    failStep(exec, status, nullptr, braid_rt_last_error());
    return;
  }
  exec->eventStream[event] = stream;
}

void braid_exec_wait(braid_exec *exec, int event) {
  if (exec->program->cuda)
    return cudaWait(exec, event);
  if (exec->failed || !validEvent(exec, event, nullptr))
    return;
  int stream = exec->eventStream[event];
  if (stream <= 0) // recorded on the host, or not in this step
    return;
  braid_rt_status status =
      braid_rt_event_synchronize(exec->program->events[event]);
  if (status != BRAID_RT_OK)
    failFromStream(exec, exec->program->streams[stream].get(), status,
                   braid_rt_last_error());
}

void braid_exec_launch(braid_exec *exec, int stream, int (*fn)(void *),
                       void *arg, const char *where) {
  if (exec->failed)
    return;
  if (stream == 0) {
    braid_program *program = exec->program;
    Clock::time_point start = Clock::now();
    int result = fn(arg);
    if (program->tracing)
      program->hostSpans.push_back(
          Span{where, SpanKind::Compute, 0, start, Clock::now()});
    if (result != 0)
      braid_exec_check_kernel(exec, result, where);
    return;
  }
  WorkerStream *worker = workerStream(exec, stream, where);
  if (!worker)
    return;
  TaskRecord *task = exec->tasks.next();
  *task = TaskRecord{worker, where, SpanKind::Compute, fn, arg, nullptr, 0};
  braid_rt_status status =
      braid_rt_stream_launch_host(worker->stream, runLaunched, task);
  if (status != BRAID_RT_OK)
    failStep(exec, status, where, braid_rt_last_error());
}

void braid_exec_all_reduce(braid_exec *exec, int comm, const void *send,
                           void *recv, size_t count, braid_rt_dtype dtype,
                           braid_rt_reduce_op op, int stream,
                           const char *where) {
  size_t bytes = count * dtypeSize(dtype);
  if (onCuda(exec, comm, stream, where, send, bytes, recv, bytes,
             [&](braid_rt_comm *c, braid_rt_stream *s, const void *sd,
                 void *rv) {
               return braid_rt_all_reduce(c, sd, rv, count, dtype, op, s);
             }))
    return;
  communicate(exec, comm, stream, where,
              [&](braid_rt_comm *c, braid_rt_stream *s) {
                return braid_rt_all_reduce(c, send, recv, count, dtype, op, s);
              });
}

void braid_exec_all_gather(braid_exec *exec, int comm, const void *send,
                           void *recv, size_t send_count,
                           braid_rt_dtype dtype, int stream,
                           const char *where) {
  size_t bytes = send_count * dtypeSize(dtype);
  if (onCuda(exec, comm, stream, where, send, bytes, recv,
             bytes * groupSize(exec, comm),
             [&](braid_rt_comm *c, braid_rt_stream *s, const void *sd,
                 void *rv) {
               return braid_rt_all_gather(c, sd, rv, send_count, dtype, s);
             }))
    return;
  communicate(exec, comm, stream, where,
              [&](braid_rt_comm *c, braid_rt_stream *s) {
                return braid_rt_all_gather(c, send, recv, send_count, dtype,
                                           s);
              });
}

void braid_exec_reduce_scatter(braid_exec *exec, int comm, const void *send,
                               void *recv, size_t recv_count,
                               braid_rt_dtype dtype, braid_rt_reduce_op op,
                               int stream, const char *where) {
  size_t bytes = recv_count * dtypeSize(dtype);
  if (onCuda(exec, comm, stream, where, send, bytes * groupSize(exec, comm),
             recv, bytes,
             [&](braid_rt_comm *c, braid_rt_stream *s, const void *sd,
                 void *rv) {
               return braid_rt_reduce_scatter(c, sd, rv, recv_count, dtype,
                                              op, s);
             }))
    return;
  communicate(exec, comm, stream, where,
              [&](braid_rt_comm *c, braid_rt_stream *s) {
                return braid_rt_reduce_scatter(c, send, recv, recv_count,
                                               dtype, op, s);
              });
}

void braid_exec_all_to_all(braid_exec *exec, int comm, const void *send,
                           void *recv, size_t count_per_peer,
                           braid_rt_dtype dtype, int stream,
                           const char *where) {
  size_t bytes = count_per_peer * dtypeSize(dtype) * groupSize(exec, comm);
  if (onCuda(exec, comm, stream, where, send, bytes, recv, bytes,
             [&](braid_rt_comm *c, braid_rt_stream *s, const void *sd,
                 void *rv) {
               return braid_rt_all_to_all(c, sd, rv, count_per_peer, dtype,
                                          s);
             }))
    return;
  communicate(exec, comm, stream, where,
              [&](braid_rt_comm *c, braid_rt_stream *s) {
                return braid_rt_all_to_all(c, send, recv, count_per_peer,
                                           dtype, s);
              });
}

void braid_exec_broadcast(braid_exec *exec, int comm, const void *send,
                          void *recv, size_t count, braid_rt_dtype dtype,
                          int root, int stream, const char *where) {
  size_t bytes = count * dtypeSize(dtype);
  if (onCuda(exec, comm, stream, where, send, bytes, recv, bytes,
             [&](braid_rt_comm *c, braid_rt_stream *s, const void *sd,
                 void *rv) {
               return braid_rt_broadcast(c, sd, rv, count, dtype, root, s);
             }))
    return;
  communicate(exec, comm, stream, where,
              [&](braid_rt_comm *c, braid_rt_stream *s) {
                return braid_rt_broadcast(c, send, recv, count, dtype, root,
                                          s);
              });
}

void braid_exec_permute(braid_exec *exec, int comm, const void *send,
                        void *recv, size_t count, braid_rt_dtype dtype,
                        const int32_t *pairs, int num_pairs, int stream,
                        const char *where) {
  if (exec->failed || !validComm(exec, comm, where))
    return;
  braid_program *program = exec->program;
  int me = program->commRanks[comm];
  int size = program->commSizes[comm];
  // At most 2 transfers per pair naming this rank; kept on the stack.
  braid_rt_peer_transfer transfers[2 * 64];
  size_t numTransfers = 0;
  int sources = 0;
  for (int i = 0; i < num_pairs; ++i) {
    int source = pairs[2 * i], target = pairs[2 * i + 1];
    if (source < 0 || source >= size || target < 0 || target >= size) {
      failStep(exec, BRAID_RT_INVALID_ARGUMENT, where,
               "collective_permute pair (" + std::to_string(source) + ", " +
                   std::to_string(target) +
                   ") is outside a communicator of size " +
                   std::to_string(size));
      return;
    }
    if (source != me && target != me)
      continue;
    if (numTransfers + 2 > sizeof(transfers) / sizeof(transfers[0])) {
      failStep(exec, BRAID_RT_INVALID_ARGUMENT, where,
               "collective_permute names this rank in more than 64 pairs");
      return;
    }
    if (target == me) {
      if (++sources > 1) {
        failStep(exec, BRAID_RT_INVALID_ARGUMENT, where,
                 "collective_permute names more than one source for rank " +
                     std::to_string(me));
        return;
      }
      transfers[numTransfers++] =
          braid_rt_peer_transfer{BRAID_RT_RECV, source, recv, count, dtype};
    }
    if (source == me)
      transfers[numTransfers++] = braid_rt_peer_transfer{
          BRAID_RT_SEND, target, const_cast<void *>(send), count, dtype};
  }
  if (program->cuda) {
    // The transfers name this rank's send and recv buffers; staging (hybrid)
    // substitutes its copies.
    size_t bytes = count * dtypeSize(dtype);
    if (numTransfers > 0 &&
        !onCuda(exec, comm, stream, where, send, bytes, recv, bytes,
                [&](braid_rt_comm *c, braid_rt_stream *s, const void *sd,
                    void *rv) {
                  for (size_t i = 0; i < numTransfers; ++i)
                    transfers[i].buffer = transfers[i].kind == BRAID_RT_SEND
                                              ? const_cast<void *>(sd)
                                              : rv;
                  return braid_rt_send_recv(c, transfers, numTransfers, s);
                }))
      return;
    if (sources == 0)
      cudaZeroFill(exec, recv, bytes, stream, where);
    return;
  }
  if (numTransfers > 0)
    communicate(exec, comm, stream, where,
                [&](braid_rt_comm *c, braid_rt_stream *s) {
                  return braid_rt_send_recv(c, transfers, numTransfers, s);
                });
  if (sources > 0 || exec->failed)
    return;
  // No source names this rank: its result is zeros, written in stream order
  // (after the sends, which may read the same buffer).
  size_t bytes = count * dtypeSize(dtype);
  if (stream == 0) {
    if (bytes)
      std::memset(recv, 0, bytes);
    return;
  }
  WorkerStream *worker = workerStream(exec, stream, where);
  if (!worker)
    return;
  TaskRecord *task = exec->tasks.next();
  *task = TaskRecord{worker, where, SpanKind::Compute, nullptr, nullptr, recv,
                     bytes};
  braid_rt_status status =
      braid_rt_stream_launch_host(worker->stream, runLaunched, task);
  if (status != BRAID_RT_OK)
    failStep(exec, status, where, braid_rt_last_error());
}

uint64_t braid_exec_epoch(braid_exec *exec) { return exec->stepIndex; }

uint64_t braid_exec_next_epoch(braid_exec *exec, int counter,
                               const char *where) {
  if (exec->failed || !validCounter(exec, counter, where))
    return 0;
  return exec->program->counterUses[static_cast<size_t>(counter)]++;
}

namespace {

/// A record for a chunked producer of `chunks` chunks in `order` (ring
/// order over comm `comm`) releasing `counter` with `epoch`; null after a
/// failure (the step failed with it).
GemmSignalRecord *producerRecord(braid_exec *exec, int64_t chunks,
                                 braid_rt_chunk_order order, int comm,
                                 int counter, uint64_t epoch,
                                 int64_t tiles_per_chunk, const char *where) {
  if (exec->failed || !validCounter(exec, counter, where))
    return nullptr;
  braid_program *program = exec->program;
  if (chunks < 1 || tiles_per_chunk < 1) {
    failStep(exec, BRAID_RT_INVALID_ARGUMENT, where,
             "chunks = " + std::to_string(chunks) + " and tiles_per_chunk = " +
                 std::to_string(tiles_per_chunk) + " must be at least 1");
    return nullptr;
  }
  int rank = 0, size = 1;
  if (order == BRAID_RT_CHUNK_ORDER_RING) {
    if (!validComm(exec, comm, where))
      return nullptr;
    rank = program->commRanks[comm];
    size = program->commSizes[comm];
  }
  GemmSignalRecord *record = exec->gemms.next();
  record->order.resize(static_cast<size_t>(chunks));
  for (int64_t position = 0; position < chunks; ++position) {
    int64_t chunk = braid_rt_chunk_at(order, rank, size, chunks, position);
    if (chunk < 0) {
      failStep(exec, BRAID_RT_INVALID_ARGUMENT, where,
               "chunk order " + std::to_string(static_cast<int>(order)) +
                   " cannot cut " + std::to_string(chunks) +
                   " chunks over a communicator of size " +
                   std::to_string(size) +
                   " (ring order needs a multiple of it)");
      return nullptr;
    }
    record->order[static_cast<size_t>(position)] = chunk;
  }
  record->where = where;
  record->chunks = chunks;
  record->grouped = false;
  record->epilogue = nullptr;
  record->trigger = braid_rt_trigger{program->counters[counter], epoch,
                                     static_cast<uint64_t>(tiles_per_chunk)};
  return record;
}

/// Runs `record` on the host (stream 0) or enqueues it on worker `stream`
/// followed by the counter's last value.
void issueProducer(braid_exec *exec, int stream, GemmSignalRecord *record,
                   int counter) {
  braid_program *program = exec->program;
  const char *where = record->where;
  uint64_t lastValue = (record->trigger.epoch * static_cast<uint64_t>(record->chunks) +
                        static_cast<uint64_t>(record->chunks)) *
                       record->trigger.tiles_per_chunk;
  if (program->cuda)
    return cudaGemmSignal(exec, stream, *record, lastValue);
  if (stream == 0) {
    record->stream = nullptr;
    Clock::time_point start = Clock::now();
    int result = runGemmSignal(record);
    if (program->tracing)
      program->hostSpans.push_back(
          Span{where, SpanKind::Compute, 0, start, Clock::now()});
    if (result != 0) {
      const char *runtimeError = braid_rt_last_error();
      const char *kernelError = braid_rt_kernel_last_error();
      failStep(exec, static_cast<braid_rt_status>(result), where,
               kernelError && *kernelError ? kernelError : runtimeError);
    }
    return;
  }
  WorkerStream *worker = workerStream(exec, stream, where);
  if (!worker)
    return;
  record->stream = worker;
  braid_rt_status status =
      braid_rt_stream_launch_host(worker->stream, runGemmSignal, record);
  // A signal task runs after a failure too: it poisons the counter, so the
  // collective waiting on it fails with the GEMM's error at once.
  if (status == BRAID_RT_OK)
    status = braid_rt_counter_signal(worker->stream, program->counters[counter],
                                     lastValue);
  if (status != BRAID_RT_OK)
    failStep(exec, status, where, braid_rt_last_error());
}

} // namespace

void braid_exec_gemm_signal(braid_exec *exec, int stream,
                            const braid_rt_gemm_desc *desc, const void *a,
                            const void *b, void *c,
                            braid_rt_gemm_numerics numerics,
                            braid_rt_gemm_cut cut, int64_t chunks,
                            braid_rt_chunk_order order, int comm, int counter,
                            uint64_t epoch, int64_t tiles_per_chunk,
                            const braid_exec_epilogue *epilogue,
                            const char *where) {
  if (!exec->failed && !desc) {
    failStep(exec, BRAID_RT_INVALID_ARGUMENT, where,
             "the GEMM descriptor is null");
    return;
  }
  GemmSignalRecord *record = producerRecord(
      exec, chunks, order, comm, counter, epoch, tiles_per_chunk, where);
  if (!record)
    return;
  if (epilogue && epilogue->fn) {
    // (producerRecord checked chunks and tiles_per_chunk.)
    std::string problem;
    if (cut != BRAID_RT_GEMM_CUT_M)
      problem = "a fused epilogue runs on blocks of rows: the GEMM must be "
                "cut along M";
    else if (epilogue->state_bytes && !epilogue->state)
      problem = "the epilogue's state is null";
    else if (int64_t rows = epilogue->rows_per_block;
             rows > 0 && desc->m != rows * chunks * tiles_per_chunk)
      problem = "the epilogue computes blocks of " + std::to_string(rows) +
                " rows, but m = " + std::to_string(desc->m) +
                " does not cut into " + std::to_string(chunks) +
                " chunks of " + std::to_string(tiles_per_chunk) +
                " blocks of that many rows";
    if (!problem.empty()) {
      failStep(exec, BRAID_RT_INVALID_ARGUMENT, where, problem);
      return;
    }
    record->epilogue = epilogue->fn;
    const auto *bytes = static_cast<const unsigned char *>(epilogue->state);
    record->epilogueState.assign(bytes, bytes + epilogue->state_bytes);
  }
  record->desc = *desc;
  record->a = a;
  record->b = b;
  record->c = c;
  record->numerics = numerics;
  record->cut = cut;
  issueProducer(exec, stream, record, counter);
}

void braid_exec_grouped_matmul_signal(
    braid_exec *exec, int stream, braid_rt_elem type, braid_rt_elem out_type,
    int64_t rows, int64_t depth, int64_t cols, int64_t experts,
    const void *lhs, const void *rhs, const void *group_sizes,
    braid_rt_elem sizes_type, void *out, braid_rt_gemm_numerics numerics,
    int64_t chunks, braid_rt_chunk_order order, int comm, int counter,
    uint64_t epoch, int64_t tiles_per_chunk, const char *where) {
  GemmSignalRecord *record = producerRecord(
      exec, chunks, order, comm, counter, epoch, tiles_per_chunk, where);
  if (!record)
    return;
  record->grouped = true;
  record->groupedType = type;
  record->groupedOutType = out_type;
  record->sizesType = sizes_type;
  record->rows = rows;
  record->depth = depth;
  record->cols = cols;
  record->experts = experts;
  record->a = lhs;
  record->b = rhs;
  record->groupSizes = group_sizes;
  record->c = out;
  record->numerics = numerics;
  record->cut = BRAID_RT_GEMM_CUT_M;
  issueProducer(exec, stream, record, counter);
}

void braid_exec_reduce_scatter_triggered(
    braid_exec *exec, int comm, const void *send, void *recv,
    size_t recv_count, braid_rt_dtype dtype, braid_rt_reduce_op op,
    int counter, uint64_t epoch, int64_t chunks_per_rank,
    int64_t tiles_per_chunk, int stream, const char *where) {
  if (exec->failed || !validCounter(exec, counter, where) ||
      !validTiles(exec, tiles_per_chunk, where))
    return;
  braid_rt_trigger trigger{exec->program->counters[counter], epoch,
                           static_cast<uint64_t>(tiles_per_chunk)};
  size_t bytes = recv_count * dtypeSize(dtype);
  if (onCuda(exec, comm, stream, where, send, bytes * groupSize(exec, comm),
             recv, bytes,
             [&](braid_rt_comm *c, braid_rt_stream *s, const void *sd,
                 void *rv) {
               return braid_rt_reduce_scatter_triggered(
                   c, sd, rv, recv_count, dtype, op, &trigger,
                   static_cast<size_t>(chunks_per_rank), s);
             }))
    return;
  communicate(exec, comm, stream, where,
              [&](braid_rt_comm *c, braid_rt_stream *s) {
                return braid_rt_reduce_scatter_triggered(
                    c, send, recv, recv_count, dtype, op, &trigger,
                    static_cast<size_t>(chunks_per_rank), s);
              });
}

void braid_exec_all_reduce_triggered(
    braid_exec *exec, int comm, const void *send, void *recv, size_t count,
    braid_rt_dtype dtype, braid_rt_reduce_op op, int counter, uint64_t epoch,
    int64_t chunks_per_rank, int64_t tiles_per_chunk, int stream,
    const char *where) {
  if (exec->failed || !validCounter(exec, counter, where) ||
      !validTiles(exec, tiles_per_chunk, where))
    return;
  braid_rt_trigger trigger{exec->program->counters[counter], epoch,
                           static_cast<uint64_t>(tiles_per_chunk)};
  size_t bytes = count * dtypeSize(dtype);
  if (onCuda(exec, comm, stream, where, send, bytes, recv, bytes,
             [&](braid_rt_comm *c, braid_rt_stream *s, const void *sd,
                 void *rv) {
               return braid_rt_all_reduce_triggered(
                   c, sd, rv, count, dtype, op, &trigger,
                   static_cast<size_t>(chunks_per_rank), s);
             }))
    return;
  communicate(exec, comm, stream, where,
              [&](braid_rt_comm *c, braid_rt_stream *s) {
                return braid_rt_all_reduce_triggered(
                    c, send, recv, count, dtype, op, &trigger,
                    static_cast<size_t>(chunks_per_rank), s);
              });
}

void braid_exec_all_gather_triggered(
    braid_exec *exec, int comm, const void *send, void *recv,
    size_t send_count, braid_rt_dtype dtype, int counter, uint64_t epoch,
    int64_t chunks, int64_t tiles_per_chunk, int stream, const char *where) {
  if (exec->failed || !validCounter(exec, counter, where) ||
      !validTiles(exec, tiles_per_chunk, where))
    return;
  braid_rt_trigger trigger{exec->program->counters[counter], epoch,
                           static_cast<uint64_t>(tiles_per_chunk)};
  size_t bytes = send_count * dtypeSize(dtype);
  if (onCuda(exec, comm, stream, where, send, bytes, recv,
             bytes * groupSize(exec, comm),
             [&](braid_rt_comm *c, braid_rt_stream *s, const void *sd,
                 void *rv) {
               return braid_rt_all_gather_triggered(
                   c, sd, rv, send_count, dtype, &trigger,
                   static_cast<size_t>(chunks), s);
             }))
    return;
  communicate(exec, comm, stream, where,
              [&](braid_rt_comm *c, braid_rt_stream *s) {
                return braid_rt_all_gather_triggered(
                    c, send, recv, send_count, dtype, &trigger,
                    static_cast<size_t>(chunks), s);
              });
}

void braid_exec_span_begin(braid_exec *exec, const char *label) {
  if (!exec->program->tracing || exec->failed)
    return;
  exec->openSpans.emplace_back(label, Clock::now());
}

void braid_exec_span_end(braid_exec *exec) {
  braid_program *program = exec->program;
  if (!program->tracing || exec->openSpans.empty())
    return;
  program->hostSpans.push_back(Span{exec->openSpans.back().first,
                                    SpanKind::Compute, 0,
                                    exec->openSpans.back().second,
                                    Clock::now()});
  exec->openSpans.pop_back();
}

} // extern "C"
