//===- CApi.cpp - the C API over the C++ runtime --------------------------===//
//
// Every entry point runs its body inside `guarded`, which turns a Status
// into a braid_rt_status plus the thread's last-error message, and any
// exception into BRAID_RT_INTERNAL / BRAID_RT_OUT_OF_MEMORY: nothing throws
// across the C boundary.
//
//===----------------------------------------------------------------------===//

#include "braid_rt/braid_rt.h"

#include "braid_rt/Arena.h"
#include "braid_rt/Context.h"
#include "braid_rt/CpuDevice.h"
#include "braid_rt/Watchdog.h"

#ifdef BRAID_RT_HAVE_MPI
#include "braid_rt/MpiCommunicator.h"
#include "braid_rt/braid_rt_mpi.h"
#endif

#ifdef BRAID_RT_HAVE_CUDA
#include "braid_rt/CudaDevice.h"
#include "braid_rt/NcclCommunicator.h"
#include "braid_rt/braid_rt_nccl.h"
#endif

#include <atomic>
#include <cstring>
#include <map>
#include <mutex>
#include <new>
#include <string>

using namespace braid_rt;

struct braid_rt_comm {
  braid_rt_context *context;
  Communicator *communicator;
};

struct braid_rt_stream {
  braid_rt_context *context;
  Stream *stream;
  std::unique_ptr<Stream> owned; // null for a communicator's stream
};

struct braid_rt_event {
  braid_rt_context *context;
  std::unique_ptr<Event> event;
};

struct braid_rt_counter {
  braid_rt_context *context;
  std::unique_ptr<Counter> counter;
};

struct braid_rt_arena {
  braid_rt_context *context;
  std::unique_ptr<Arena> arena;
};

struct braid_rt_context {
  std::unique_ptr<Context> context;
  /// Streams, events, counters and arenas the caller has not destroyed.
  std::atomic<int> liveObjects{0};
  std::mutex mu;
  std::map<Communicator *, std::unique_ptr<braid_rt_comm>> comms;
  std::map<Communicator *, std::unique_ptr<braid_rt_stream>> commStreams;

  braid_rt_comm *wrap(Communicator *communicator) {
    std::lock_guard<std::mutex> lock(mu);
    auto &slot = comms[communicator];
    if (!slot)
      slot.reset(new braid_rt_comm{this, communicator});
    return slot.get();
  }
};

namespace {

thread_local std::string lastError;

braid_rt_status fail(const Status &status) {
  lastError = status.message();
  return static_cast<braid_rt_status>(status.code());
}

template <typename Body> braid_rt_status guarded(const char *api, Body body) {
  try {
    Status status = body();
    if (!status.isOk())
      return fail(status);
    return BRAID_RT_OK;
  } catch (const std::bad_alloc &) {
    return fail(Status::error(StatusCode::kOutOfMemory,
                              std::string(api) + ": out of host memory"));
  } catch (const std::exception &error) {
    return fail(Status::error(StatusCode::kInternal,
                              std::string(api) + ": " + error.what()));
  } catch (...) {
    return fail(Status::error(StatusCode::kInternal,
                              std::string(api) + ": unknown exception"));
  }
}

Status nullArgument(const char *api, const char *argument) {
  return Status::error(StatusCode::kInvalidArgument,
                       std::string(api) + ": `" + argument + "` is null");
}

#define REQUIRE(api, pointer)                                                  \
  do {                                                                         \
    if (!(pointer))                                                            \
      return nullArgument(api, #pointer);                                      \
  } while (0)

/// The int a C caller passed as an enum. C allows any int there; in C++ an
/// enum object holding a value outside its enumerators' range must not be
/// loaded as the enum, so its bytes are read as an int.
template <typename Enum> int rawValue(const Enum &value) {
  static_assert(sizeof(Enum) == sizeof(int), "C enums are ints");
  int raw;
  std::memcpy(&raw, &value, sizeof(raw));
  return raw;
}

Status checkEnum(const char *api, const char *what, int value, int count) {
  if (value < 0 || value >= count)
    return Status::error(StatusCode::kInvalidArgument,
                         std::string(api) + ": " + what + " " +
                             std::to_string(value) + " is not valid");
  return Status::ok();
}

/// A handle of the same context as `comm`/`stream`: mixing contexts would
/// mix engines.
Status sameContext(const char *api, const braid_rt_context *a,
                   const braid_rt_context *b) {
  if (a != b)
    return Status::error(StatusCode::kInvalidArgument,
                         std::string(api) +
                             ": handles belong to different contexts");
  return Status::ok();
}

braid_rt_status wrapContext(StatusOr<std::unique_ptr<Context>> created,
                            braid_rt_context **out) {
  if (!created)
    return fail(created.status());
  auto *context = new braid_rt_context();
  context->context = std::move(created.value());
  *out = context;
  return BRAID_RT_OK;
}

} // namespace

extern "C" {

int braid_rt_api_version(void) { return BRAID_RT_API_VERSION; }

const char *braid_rt_status_name(braid_rt_status status) {
  return statusCodeName(static_cast<StatusCode>(status));
}

const char *braid_rt_last_error(void) { return lastError.c_str(); }

//===----------------------------------------------------------------------===//
// Contexts
//===----------------------------------------------------------------------===//

braid_rt_status braid_rt_init_mpi(int *argc, char ***argv,
                                  braid_rt_context **out) {
  return guarded("braid_rt_init_mpi", [&]() -> Status {
    REQUIRE("braid_rt_init_mpi", out);
    *out = nullptr;
    braid_rt_status status = wrapContext(initMpiContext(argc, argv), out);
    if (status != BRAID_RT_OK)
      return Status::error(static_cast<StatusCode>(status), lastError);
    return Status::ok();
  });
}

braid_rt_status braid_rt_init_nccl(int *argc, char ***argv, int cuda_device,
                                   braid_rt_context **out) {
  return guarded("braid_rt_init_nccl", [&]() -> Status {
    REQUIRE("braid_rt_init_nccl", out);
    *out = nullptr;
    braid_rt_status status =
        wrapContext(initNcclContext(argc, argv, cuda_device), out);
    if (status != BRAID_RT_OK)
      return Status::error(static_cast<StatusCode>(status), lastError);
    return Status::ok();
  });
}

#ifdef BRAID_RT_HAVE_MPI
braid_rt_status braid_rt_init_from_mpi_comm(MPI_Comm comm,
                                            braid_rt_context **out) {
  return guarded("braid_rt_init_from_mpi_comm", [&]() -> Status {
    REQUIRE("braid_rt_init_from_mpi_comm", out);
    *out = nullptr;
    braid_rt_status status = wrapContext(createMpiContext(comm), out);
    if (status != BRAID_RT_OK)
      return Status::error(static_cast<StatusCode>(status), lastError);
    return Status::ok();
  });
}

braid_rt_status braid_rt_comm_mpi_handle(const braid_rt_comm *comm,
                                         MPI_Comm *handle) {
  return guarded("braid_rt_comm_mpi_handle", [&]() -> Status {
    REQUIRE("braid_rt_comm_mpi_handle", comm);
    REQUIRE("braid_rt_comm_mpi_handle", handle);
    auto *mpi = dynamic_cast<MpiCommunicator *>(comm->communicator);
    if (!mpi)
      return Status::error(StatusCode::kInvalidArgument,
                           "braid_rt_comm_mpi_handle: communicator '" +
                               comm->communicator->name() +
                               "' is not one of the MPI engine");
    *handle = mpi->handle();
    return Status::ok();
  });
}
#endif

#ifdef BRAID_RT_HAVE_CUDA
braid_rt_status braid_rt_init_from_nccl_comm(ncclComm_t comm, int cuda_device,
                                             braid_rt_context **out) {
  return guarded("braid_rt_init_from_nccl_comm", [&]() -> Status {
    REQUIRE("braid_rt_init_from_nccl_comm", out);
    REQUIRE("braid_rt_init_from_nccl_comm", comm);
    *out = nullptr;
    braid_rt_status status =
        wrapContext(createNcclContext(comm, cuda_device), out);
    if (status != BRAID_RT_OK)
      return Status::error(static_cast<StatusCode>(status), lastError);
    return Status::ok();
  });
}

braid_rt_status braid_rt_init_nccl_unique_id(const ncclUniqueId *id,
                                             int nranks, int rank,
                                             int cuda_device,
                                             braid_rt_context **out) {
  return guarded("braid_rt_init_nccl_unique_id", [&]() -> Status {
    REQUIRE("braid_rt_init_nccl_unique_id", out);
    REQUIRE("braid_rt_init_nccl_unique_id", id);
    *out = nullptr;
    if (nranks <= 0 || rank < 0 || rank >= nranks)
      return Status::error(StatusCode::kInvalidArgument,
                           "braid_rt_init_nccl_unique_id: rank " +
                               std::to_string(rank) + " of " +
                               std::to_string(nranks) + " is not valid");
    braid_rt_status status = wrapContext(
        createNcclContext(*id, nranks, rank, cuda_device), out);
    if (status != BRAID_RT_OK)
      return Status::error(static_cast<StatusCode>(status), lastError);
    return Status::ok();
  });
}

braid_rt_status braid_rt_stream_cuda(braid_rt_stream *stream,
                                     cudaStream_t *cuda_stream) {
  return guarded("braid_rt_stream_cuda", [&]() -> Status {
    REQUIRE("braid_rt_stream_cuda", stream);
    REQUIRE("braid_rt_stream_cuda", cuda_stream);
    auto *cuda = dynamic_cast<CudaStream *>(stream->stream);
    if (!cuda)
      return Status::error(StatusCode::kInvalidArgument,
                           "braid_rt_stream_cuda: stream '" +
                               stream->stream->name() +
                               "' is not a CUDA stream");
    *cuda_stream = cuda->handle();
    return Status::ok();
  });
}

braid_rt_status braid_rt_counter_device_pointer(braid_rt_counter *counter,
                                                uint64_t **word) {
  return guarded("braid_rt_counter_device_pointer", [&]() -> Status {
    REQUIRE("braid_rt_counter_device_pointer", counter);
    REQUIRE("braid_rt_counter_device_pointer", word);
    auto *cuda = dynamic_cast<CudaCounter *>(counter->counter.get());
    if (!cuda)
      return Status::error(StatusCode::kInvalidArgument,
                           "braid_rt_counter_device_pointer: not a CUDA "
                           "counter");
    *word = cuda->devicePointer();
    return Status::ok();
  });
}

braid_rt_status braid_rt_counter_signal_cuda(braid_rt_counter *counter,
                                             cudaStream_t cuda_stream,
                                             uint64_t value) {
  return guarded("braid_rt_counter_signal_cuda", [&]() -> Status {
    REQUIRE("braid_rt_counter_signal_cuda", counter);
    auto *cuda = dynamic_cast<CudaCounter *>(counter->counter.get());
    if (!cuda)
      return Status::error(StatusCode::kInvalidArgument,
                           "braid_rt_counter_signal_cuda: counter '" +
                               counter->counter->name() +
                               "' is not a CUDA counter");
    return signalCounter(cuda_stream, *cuda, value, "a caller's CUDA stream");
  });
}
#endif

braid_rt_status braid_rt_context_destroy(braid_rt_context *context) {
  return guarded("braid_rt_context_destroy", [&]() -> Status {
    REQUIRE("braid_rt_context_destroy", context);
    int live = context->liveObjects.load();
    if (live > 0)
      return Status::error(StatusCode::kInvalidArgument,
                           "braid_rt_context_destroy: " +
                               std::to_string(live) +
                               " streams, events, counters or arenas of the "
                               "context are still alive; destroy them first");
    context->commStreams.clear();
    context->context.reset();
    delete context;
    return Status::ok();
  });
}

braid_rt_status braid_rt_context_engine(const braid_rt_context *context,
                                        braid_rt_engine *engine) {
  return guarded("braid_rt_context_engine", [&]() -> Status {
    REQUIRE("braid_rt_context_engine", context);
    REQUIRE("braid_rt_context_engine", engine);
    *engine = context->context->engine() == Engine::Mpi ? BRAID_RT_ENGINE_MPI
                                                        : BRAID_RT_ENGINE_NCCL;
    return Status::ok();
  });
}

braid_rt_status braid_rt_rank(const braid_rt_context *context, int *rank) {
  return guarded("braid_rt_rank", [&]() -> Status {
    REQUIRE("braid_rt_rank", context);
    REQUIRE("braid_rt_rank", rank);
    *rank = context->context->rank();
    return Status::ok();
  });
}

braid_rt_status braid_rt_size(const braid_rt_context *context, int *size) {
  return guarded("braid_rt_size", [&]() -> Status {
    REQUIRE("braid_rt_size", context);
    REQUIRE("braid_rt_size", size);
    *size = context->context->size();
    return Status::ok();
  });
}

braid_rt_status braid_rt_set_timeout(braid_rt_context *context,
                                     double seconds) {
  return guarded("braid_rt_set_timeout", [&]() -> Status {
    REQUIRE("braid_rt_set_timeout", context);
    if (!(seconds > 0))
      return Status::error(StatusCode::kInvalidArgument,
                           "braid_rt_set_timeout: the timeout must be a "
                           "positive number of seconds");
    Watchdog::instance().setTimeoutSeconds(seconds);
    return Status::ok();
  });
}

//===----------------------------------------------------------------------===//
// Communicators
//===----------------------------------------------------------------------===//

braid_rt_status braid_rt_world(braid_rt_context *context,
                               braid_rt_comm **out) {
  return guarded("braid_rt_world", [&]() -> Status {
    REQUIRE("braid_rt_world", context);
    REQUIRE("braid_rt_world", out);
    *out = context->wrap(&context->context->world());
    return Status::ok();
  });
}

braid_rt_status braid_rt_grid_comm(braid_rt_context *context, int ndims,
                                   const int64_t *shape,
                                   const int32_t *device_order, int naxes,
                                   const int32_t *axes, braid_rt_comm **out) {
  const char *api = "braid_rt_grid_comm";
  return guarded(api, [&]() -> Status {
    REQUIRE(api, context);
    REQUIRE(api, out);
    if (ndims <= 0 || naxes < 0)
      return Status::error(StatusCode::kInvalidArgument,
                           std::string(api) +
                               ": a grid needs ndims > 0 and naxes >= 0");
    REQUIRE(api, shape);
    if (naxes > 0)
      REQUIRE(api, axes);
    std::vector<int64_t> shapeVector(shape, shape + ndims);
    std::vector<int> order;
    if (device_order)
      order.assign(device_order, device_order + context->context->size());
    std::vector<int> axesVector(axes, axes + naxes);
    auto communicator =
        context->context->gridCommunicator(shapeVector, order, axesVector);
    if (!communicator)
      return communicator.takeStatus().withContext(api);
    *out = context->wrap(communicator.value());
    return Status::ok();
  });
}

braid_rt_status braid_rt_comm_rank(const braid_rt_comm *comm, int *rank) {
  return guarded("braid_rt_comm_rank", [&]() -> Status {
    REQUIRE("braid_rt_comm_rank", comm);
    REQUIRE("braid_rt_comm_rank", rank);
    *rank = comm->communicator->rank();
    return Status::ok();
  });
}

braid_rt_status braid_rt_comm_size(const braid_rt_comm *comm, int *size) {
  return guarded("braid_rt_comm_size", [&]() -> Status {
    REQUIRE("braid_rt_comm_size", comm);
    REQUIRE("braid_rt_comm_size", size);
    *size = comm->communicator->size();
    return Status::ok();
  });
}

braid_rt_status braid_rt_comm_name(const braid_rt_comm *comm,
                                   const char **name) {
  return guarded("braid_rt_comm_name", [&]() -> Status {
    REQUIRE("braid_rt_comm_name", comm);
    REQUIRE("braid_rt_comm_name", name);
    *name = comm->communicator->name().c_str();
    return Status::ok();
  });
}

braid_rt_status braid_rt_comm_stream(braid_rt_comm *comm,
                                     braid_rt_stream **out) {
  return guarded("braid_rt_comm_stream", [&]() -> Status {
    REQUIRE("braid_rt_comm_stream", comm);
    REQUIRE("braid_rt_comm_stream", out);
    braid_rt_context *context = comm->context;
    auto stream = context->context->communicatorStream(*comm->communicator);
    if (!stream)
      return stream.takeStatus();
    std::lock_guard<std::mutex> lock(context->mu);
    auto &slot = context->commStreams[comm->communicator];
    if (!slot)
      slot.reset(new braid_rt_stream{context, stream.value(), nullptr});
    *out = slot.get();
    return Status::ok();
  });
}

//===----------------------------------------------------------------------===//
// Collectives
//===----------------------------------------------------------------------===//

namespace {

Status checkCollective(const char *api, braid_rt_comm *comm,
                       braid_rt_stream *stream) {
  REQUIRE(api, comm);
  REQUIRE(api, stream);
  return sameContext(api, comm->context, stream->context);
}

// Out-of-range values reach the communicator, whose checks name them.
DType toDType(const braid_rt_dtype &dtype) {
  return static_cast<DType>(rawValue(dtype));
}
ReduceOp toReduceOp(const braid_rt_reduce_op &op) {
  return static_cast<ReduceOp>(rawValue(op));
}

} // namespace

braid_rt_status braid_rt_all_reduce(braid_rt_comm *comm, const void *send,
                                    void *recv, size_t count,
                                    braid_rt_dtype dtype,
                                    braid_rt_reduce_op op,
                                    braid_rt_stream *stream) {
  return guarded("braid_rt_all_reduce", [&]() -> Status {
    BRAID_RT_RETURN_IF_ERROR(
        checkCollective("braid_rt_all_reduce", comm, stream));
    return comm->communicator->allReduce(send, recv, count, toDType(dtype),
                                         toReduceOp(op), *stream->stream);
  });
}

braid_rt_status braid_rt_all_gather(braid_rt_comm *comm, const void *send,
                                    void *recv, size_t send_count,
                                    braid_rt_dtype dtype,
                                    braid_rt_stream *stream) {
  return guarded("braid_rt_all_gather", [&]() -> Status {
    BRAID_RT_RETURN_IF_ERROR(
        checkCollective("braid_rt_all_gather", comm, stream));
    return comm->communicator->allGather(send, recv, send_count,
                                         toDType(dtype), *stream->stream);
  });
}

braid_rt_status braid_rt_reduce_scatter(braid_rt_comm *comm, const void *send,
                                        void *recv, size_t recv_count,
                                        braid_rt_dtype dtype,
                                        braid_rt_reduce_op op,
                                        braid_rt_stream *stream) {
  return guarded("braid_rt_reduce_scatter", [&]() -> Status {
    BRAID_RT_RETURN_IF_ERROR(
        checkCollective("braid_rt_reduce_scatter", comm, stream));
    return comm->communicator->reduceScatter(send, recv, recv_count,
                                             toDType(dtype), toReduceOp(op),
                                             *stream->stream);
  });
}

braid_rt_status braid_rt_all_to_all(braid_rt_comm *comm, const void *send,
                                    void *recv, size_t count_per_peer,
                                    braid_rt_dtype dtype,
                                    braid_rt_stream *stream) {
  return guarded("braid_rt_all_to_all", [&]() -> Status {
    BRAID_RT_RETURN_IF_ERROR(
        checkCollective("braid_rt_all_to_all", comm, stream));
    return comm->communicator->allToAll(send, recv, count_per_peer,
                                        toDType(dtype), *stream->stream);
  });
}

braid_rt_status braid_rt_all_to_all_v(
    braid_rt_comm *comm, const void *send, const size_t *send_counts,
    const size_t *send_offsets, void *recv, const size_t *recv_counts,
    const size_t *recv_offsets, braid_rt_dtype dtype,
    braid_rt_stream *stream) {
  return guarded("braid_rt_all_to_all_v", [&]() -> Status {
    BRAID_RT_RETURN_IF_ERROR(
        checkCollective("braid_rt_all_to_all_v", comm, stream));
    return comm->communicator->allToAllV(send, send_counts, send_offsets, recv,
                                         recv_counts, recv_offsets,
                                         toDType(dtype), *stream->stream);
  });
}

braid_rt_status braid_rt_broadcast(braid_rt_comm *comm, const void *send,
                                   void *recv, size_t count,
                                   braid_rt_dtype dtype, int root,
                                   braid_rt_stream *stream) {
  return guarded("braid_rt_broadcast", [&]() -> Status {
    BRAID_RT_RETURN_IF_ERROR(
        checkCollective("braid_rt_broadcast", comm, stream));
    return comm->communicator->broadcast(send, recv, count, toDType(dtype),
                                         root, *stream->stream);
  });
}

braid_rt_status braid_rt_barrier(braid_rt_comm *comm,
                                 braid_rt_stream *stream) {
  return guarded("braid_rt_barrier", [&]() -> Status {
    BRAID_RT_RETURN_IF_ERROR(checkCollective("braid_rt_barrier", comm, stream));
    return comm->communicator->barrier(*stream->stream);
  });
}

braid_rt_status braid_rt_send_recv(braid_rt_comm *comm,
                                   const braid_rt_peer_transfer *transfers,
                                   size_t num_transfers,
                                   braid_rt_stream *stream) {
  const char *api = "braid_rt_send_recv";
  return guarded(api, [&]() -> Status {
    BRAID_RT_RETURN_IF_ERROR(checkCollective(api, comm, stream));
    if (num_transfers > 0)
      REQUIRE(api, transfers);
    std::vector<PeerTransfer> list;
    list.reserve(num_transfers);
    for (size_t i = 0; i < num_transfers; ++i) {
      const braid_rt_peer_transfer &transfer = transfers[i];
      int kind = rawValue(transfer.kind);
      BRAID_RT_RETURN_IF_ERROR(checkEnum(api, "transfer kind", kind, 2));
      list.push_back(PeerTransfer{kind == BRAID_RT_SEND
                                      ? PeerTransfer::Kind::Send
                                      : PeerTransfer::Kind::Recv,
                                  transfer.peer, transfer.buffer,
                                  transfer.count, toDType(transfer.dtype)});
    }
    return comm->communicator->sendRecv(list, *stream->stream);
  });
}

//===----------------------------------------------------------------------===//
// Streams, events, counters
//===----------------------------------------------------------------------===//

braid_rt_status braid_rt_stream_create(braid_rt_context *context,
                                       const char *name, int priority,
                                       braid_rt_stream **out) {
  return guarded("braid_rt_stream_create", [&]() -> Status {
    REQUIRE("braid_rt_stream_create", context);
    REQUIRE("braid_rt_stream_create", out);
    auto stream = context->context->device().createStream(
        name ? name : "stream", priority);
    if (!stream)
      return stream.takeStatus();
    auto *handle = new braid_rt_stream{context, stream->get(),
                                       std::move(stream.value())};
    context->liveObjects.fetch_add(1);
    *out = handle;
    return Status::ok();
  });
}

braid_rt_status braid_rt_stream_destroy(braid_rt_stream *stream) {
  return guarded("braid_rt_stream_destroy", [&]() -> Status {
    REQUIRE("braid_rt_stream_destroy", stream);
    if (!stream->owned)
      return Status::error(StatusCode::kInvalidArgument,
                           "braid_rt_stream_destroy: stream '" +
                               stream->stream->name() +
                               "' belongs to a communicator and lives as "
                               "long as the context");
    braid_rt_context *context = stream->context;
    delete stream; // the stream drains its queue first
    context->liveObjects.fetch_sub(1);
    return Status::ok();
  });
}

braid_rt_status braid_rt_stream_synchronize(braid_rt_stream *stream) {
  return guarded("braid_rt_stream_synchronize", [&]() -> Status {
    REQUIRE("braid_rt_stream_synchronize", stream);
    return stream->stream->synchronize();
  });
}

braid_rt_status braid_rt_stream_query(braid_rt_stream *stream, int *idle) {
  return guarded("braid_rt_stream_query", [&]() -> Status {
    REQUIRE("braid_rt_stream_query", stream);
    REQUIRE("braid_rt_stream_query", idle);
    auto result = stream->stream->query();
    if (!result)
      return result.takeStatus();
    *idle = result.value() ? 1 : 0;
    return Status::ok();
  });
}

braid_rt_status braid_rt_stream_copy(braid_rt_stream *stream, void *dst,
                                     const void *src, size_t bytes) {
  return guarded("braid_rt_stream_copy", [&]() -> Status {
    REQUIRE("braid_rt_stream_copy", stream);
    return stream->stream->copy(dst, src, bytes);
  });
}

braid_rt_status braid_rt_stream_launch_host(braid_rt_stream *stream,
                                            int (*fn)(void *user_data),
                                            void *user_data) {
  return guarded("braid_rt_stream_launch_host", [&]() -> Status {
    REQUIRE("braid_rt_stream_launch_host", stream);
    REQUIRE("braid_rt_stream_launch_host", fn);
    std::string name = stream->stream->name();
    return stream->stream->enqueueHost([fn, user_data, name]() -> Status {
      int result = fn(user_data);
      if (result != 0)
        return Status::error(StatusCode::kInternal,
                             "host function on stream '" + name +
                                 "' returned " + std::to_string(result));
      return Status::ok();
    });
  });
}

braid_rt_status braid_rt_event_create(braid_rt_context *context, int timing,
                                      braid_rt_event **out) {
  return guarded("braid_rt_event_create", [&]() -> Status {
    REQUIRE("braid_rt_event_create", context);
    REQUIRE("braid_rt_event_create", out);
    auto event = context->context->device().createEvent(timing != 0);
    if (!event)
      return event.takeStatus();
    *out = new braid_rt_event{context, std::move(event.value())};
    context->liveObjects.fetch_add(1);
    return Status::ok();
  });
}

braid_rt_status braid_rt_event_destroy(braid_rt_event *event) {
  return guarded("braid_rt_event_destroy", [&]() -> Status {
    REQUIRE("braid_rt_event_destroy", event);
    braid_rt_context *context = event->context;
    delete event;
    context->liveObjects.fetch_sub(1);
    return Status::ok();
  });
}

braid_rt_status braid_rt_event_record(braid_rt_event *event,
                                      braid_rt_stream *stream) {
  return guarded("braid_rt_event_record", [&]() -> Status {
    REQUIRE("braid_rt_event_record", event);
    REQUIRE("braid_rt_event_record", stream);
    BRAID_RT_RETURN_IF_ERROR(sameContext("braid_rt_event_record",
                                         event->context, stream->context));
    return stream->stream->record(*event->event);
  });
}

braid_rt_status braid_rt_stream_wait_event(braid_rt_stream *stream,
                                           braid_rt_event *event) {
  return guarded("braid_rt_stream_wait_event", [&]() -> Status {
    REQUIRE("braid_rt_stream_wait_event", stream);
    REQUIRE("braid_rt_stream_wait_event", event);
    BRAID_RT_RETURN_IF_ERROR(sameContext("braid_rt_stream_wait_event",
                                         event->context, stream->context));
    return stream->stream->wait(*event->event);
  });
}

braid_rt_status braid_rt_event_query(braid_rt_event *event, int *done) {
  return guarded("braid_rt_event_query", [&]() -> Status {
    REQUIRE("braid_rt_event_query", event);
    REQUIRE("braid_rt_event_query", done);
    auto result = event->event->query();
    if (!result)
      return result.takeStatus();
    *done = result.value() ? 1 : 0;
    return Status::ok();
  });
}

braid_rt_status braid_rt_event_synchronize(braid_rt_event *event) {
  return guarded("braid_rt_event_synchronize", [&]() -> Status {
    REQUIRE("braid_rt_event_synchronize", event);
    return event->event->synchronize();
  });
}

braid_rt_status braid_rt_event_elapsed_ms(braid_rt_event *start,
                                          braid_rt_event *end, double *ms) {
  return guarded("braid_rt_event_elapsed_ms", [&]() -> Status {
    REQUIRE("braid_rt_event_elapsed_ms", start);
    REQUIRE("braid_rt_event_elapsed_ms", end);
    REQUIRE("braid_rt_event_elapsed_ms", ms);
    auto elapsed = end->event->elapsedMsSince(*start->event);
    if (!elapsed)
      return elapsed.takeStatus();
    *ms = elapsed.value();
    return Status::ok();
  });
}

braid_rt_status braid_rt_counter_create(braid_rt_context *context,
                                        const char *name, uint64_t initial,
                                        braid_rt_counter **out) {
  return guarded("braid_rt_counter_create", [&]() -> Status {
    REQUIRE("braid_rt_counter_create", context);
    REQUIRE("braid_rt_counter_create", out);
    auto counter = context->context->device().createCounter(
        name ? name : "counter", initial);
    if (!counter)
      return counter.takeStatus();
    *out = new braid_rt_counter{context, std::move(counter.value())};
    context->liveObjects.fetch_add(1);
    return Status::ok();
  });
}

braid_rt_status braid_rt_counter_destroy(braid_rt_counter *counter) {
  return guarded("braid_rt_counter_destroy", [&]() -> Status {
    REQUIRE("braid_rt_counter_destroy", counter);
    braid_rt_context *context = counter->context;
    delete counter;
    context->liveObjects.fetch_sub(1);
    return Status::ok();
  });
}

braid_rt_status braid_rt_counter_signal(braid_rt_stream *stream,
                                        braid_rt_counter *counter,
                                        uint64_t value) {
  return guarded("braid_rt_counter_signal", [&]() -> Status {
    REQUIRE("braid_rt_counter_signal", stream);
    REQUIRE("braid_rt_counter_signal", counter);
    BRAID_RT_RETURN_IF_ERROR(sameContext("braid_rt_counter_signal",
                                         counter->context, stream->context));
    return stream->stream->signal(*counter->counter, value);
  });
}

braid_rt_status braid_rt_stream_wait_counter(braid_rt_stream *stream,
                                             braid_rt_counter *counter,
                                             uint64_t value) {
  return guarded("braid_rt_stream_wait_counter", [&]() -> Status {
    REQUIRE("braid_rt_stream_wait_counter", stream);
    REQUIRE("braid_rt_stream_wait_counter", counter);
    BRAID_RT_RETURN_IF_ERROR(sameContext("braid_rt_stream_wait_counter",
                                         counter->context, stream->context));
    return stream->stream->wait(*counter->counter, value);
  });
}

braid_rt_status braid_rt_counter_value(braid_rt_counter *counter,
                                       uint64_t *value) {
  return guarded("braid_rt_counter_value", [&]() -> Status {
    REQUIRE("braid_rt_counter_value", counter);
    REQUIRE("braid_rt_counter_value", value);
    auto current = counter->counter->value();
    if (!current)
      return current.takeStatus();
    *value = current.value();
    return Status::ok();
  });
}

braid_rt_status braid_rt_counter_host_signal(braid_rt_counter *counter,
                                             uint64_t value) {
  return guarded("braid_rt_counter_host_signal", [&]() -> Status {
    REQUIRE("braid_rt_counter_host_signal", counter);
    return counter->counter->hostSignal(value);
  });
}

braid_rt_status braid_rt_counter_host_wait(braid_rt_counter *counter,
                                           uint64_t value, double timeout_s) {
  return guarded("braid_rt_counter_host_wait", [&]() -> Status {
    REQUIRE("braid_rt_counter_host_wait", counter);
    return counter->counter->hostWait(value, timeout_s);
  });
}

braid_rt_status braid_rt_counter_host_add(braid_rt_counter *counter,
                                          uint64_t delta) {
  return guarded("braid_rt_counter_host_add", [&]() -> Status {
    REQUIRE("braid_rt_counter_host_add", counter);
    auto *cpu = dynamic_cast<CpuCounter *>(counter->counter.get());
    if (!cpu)
      return Status::error(StatusCode::kUnavailable,
                           "braid_rt_counter_host_add: only CPU counters "
                           "can be raised by a delta from the host");
    cpu->add(delta);
    return Status::ok();
  });
}

//===----------------------------------------------------------------------===//
// Triggered collectives
//===----------------------------------------------------------------------===//

namespace {

/// The C++ trigger of a C one whose counter belongs to `comm`'s context.
StatusOr<Trigger> toTrigger(const char *api, const braid_rt_comm *comm,
                            const braid_rt_trigger *trigger) {
  REQUIRE(api, trigger);
  REQUIRE(api, trigger->counter);
  BRAID_RT_RETURN_IF_ERROR(
      sameContext(api, comm->context, trigger->counter->context));
  Trigger result;
  result.counter = trigger->counter->counter.get();
  result.epoch = trigger->epoch;
  result.tilesPerChunk =
      trigger->tiles_per_chunk == 0 ? 1 : trigger->tiles_per_chunk;
  return result;
}

} // namespace

int64_t braid_rt_chunk_at(braid_rt_chunk_order order, int rank, int size,
                          int64_t chunks, int64_t position) {
  int raw = rawValue(order);
  if (raw < 0 || raw >= kNumChunkOrders || size < 1 || rank < 0 ||
      rank >= size || chunks < 1 || position < 0 || position >= chunks ||
      (raw == BRAID_RT_CHUNK_ORDER_RING && chunks % size != 0))
    return -1;
  return chunkAt(static_cast<ChunkOrder>(raw), rank, size, chunks, position);
}

braid_rt_status braid_rt_trigger_release(const braid_rt_trigger *trigger,
                                         uint64_t chunks, uint64_t position,
                                         uint64_t tile) {
  return guarded("braid_rt_trigger_release", [&]() -> Status {
    REQUIRE("braid_rt_trigger_release", trigger);
    REQUIRE("braid_rt_trigger_release", trigger->counter);
    uint64_t tiles =
        trigger->tiles_per_chunk == 0 ? 1 : trigger->tiles_per_chunk;
    if (position >= chunks || tile >= tiles)
      return Status::error(
          StatusCode::kInvalidArgument,
          "braid_rt_trigger_release: tile " + std::to_string(tile) +
              " of position " + std::to_string(position) +
              " is outside " + std::to_string(chunks) + " chunks of " +
              std::to_string(tiles) + " tiles");
    return trigger->counter->counter->hostSignal(
        (trigger->epoch * chunks + position) * tiles + tile + 1);
  });
}

braid_rt_status braid_rt_reduce_scatter_triggered(
    braid_rt_comm *comm, const void *send, void *recv, size_t recv_count,
    braid_rt_dtype dtype, braid_rt_reduce_op op,
    const braid_rt_trigger *trigger, size_t chunks_per_rank,
    braid_rt_stream *stream) {
  const char *api = "braid_rt_reduce_scatter_triggered";
  return guarded(api, [&]() -> Status {
    BRAID_RT_RETURN_IF_ERROR(checkCollective(api, comm, stream));
    auto cppTrigger = toTrigger(api, comm, trigger);
    if (!cppTrigger)
      return cppTrigger.takeStatus();
    return comm->communicator->reduceScatterTriggered(
        send, recv, recv_count, toDType(dtype), toReduceOp(op),
        cppTrigger.value(), chunks_per_rank, *stream->stream);
  });
}

braid_rt_status braid_rt_all_reduce_triggered(
    braid_rt_comm *comm, const void *send, void *recv, size_t count,
    braid_rt_dtype dtype, braid_rt_reduce_op op,
    const braid_rt_trigger *trigger, size_t chunks_per_rank,
    braid_rt_stream *stream) {
  const char *api = "braid_rt_all_reduce_triggered";
  return guarded(api, [&]() -> Status {
    BRAID_RT_RETURN_IF_ERROR(checkCollective(api, comm, stream));
    auto cppTrigger = toTrigger(api, comm, trigger);
    if (!cppTrigger)
      return cppTrigger.takeStatus();
    return comm->communicator->allReduceTriggered(
        send, recv, count, toDType(dtype), toReduceOp(op), cppTrigger.value(),
        chunks_per_rank, *stream->stream);
  });
}

braid_rt_status braid_rt_all_gather_triggered(
    braid_rt_comm *comm, const void *send, void *recv, size_t send_count,
    braid_rt_dtype dtype, const braid_rt_trigger *trigger, size_t chunks,
    braid_rt_stream *stream) {
  const char *api = "braid_rt_all_gather_triggered";
  return guarded(api, [&]() -> Status {
    BRAID_RT_RETURN_IF_ERROR(checkCollective(api, comm, stream));
    auto cppTrigger = toTrigger(api, comm, trigger);
    if (!cppTrigger)
      return cppTrigger.takeStatus();
    return comm->communicator->allGatherTriggered(
        send, recv, send_count, toDType(dtype), cppTrigger.value(), chunks,
        *stream->stream);
  });
}

//===----------------------------------------------------------------------===//
// Memory
//===----------------------------------------------------------------------===//

braid_rt_status braid_rt_arena_create(braid_rt_context *context,
                                      uint64_t bytes, uint64_t alignment,
                                      braid_rt_memory kind,
                                      braid_rt_arena **out) {
  return guarded("braid_rt_arena_create", [&]() -> Status {
    REQUIRE("braid_rt_arena_create", context);
    REQUIRE("braid_rt_arena_create", out);
    int memory = rawValue(kind);
    BRAID_RT_RETURN_IF_ERROR(
        checkEnum("braid_rt_arena_create", "memory kind", memory, 3));
    auto arena = context->context->createArena(bytes, alignment,
                                               static_cast<MemoryKind>(memory));
    if (!arena)
      return arena.takeStatus();
    *out = new braid_rt_arena{context, std::move(arena.value())};
    context->liveObjects.fetch_add(1);
    return Status::ok();
  });
}

braid_rt_status braid_rt_arena_destroy(braid_rt_arena *arena) {
  return guarded("braid_rt_arena_destroy", [&]() -> Status {
    REQUIRE("braid_rt_arena_destroy", arena);
    braid_rt_context *context = arena->context;
    // Freed even when deregistering failed; that failure is reported.
    Status released = arena->arena->release();
    delete arena;
    context->liveObjects.fetch_sub(1);
    return released.withContext("braid_rt_arena_destroy");
  });
}

braid_rt_status braid_rt_arena_size(const braid_rt_arena *arena,
                                    uint64_t *bytes) {
  return guarded("braid_rt_arena_size", [&]() -> Status {
    REQUIRE("braid_rt_arena_size", arena);
    REQUIRE("braid_rt_arena_size", bytes);
    *bytes = arena->arena->size();
    return Status::ok();
  });
}

braid_rt_status braid_rt_arena_at(const braid_rt_arena *arena,
                                  uint64_t offset, uint64_t bytes,
                                  uint64_t alignment, void **pointer) {
  return guarded("braid_rt_arena_at", [&]() -> Status {
    REQUIRE("braid_rt_arena_at", arena);
    REQUIRE("braid_rt_arena_at", pointer);
    auto at = arena->arena->at(offset, bytes, alignment);
    if (!at)
      return at.takeStatus().withContext("braid_rt_arena_at");
    *pointer = at.value();
    return Status::ok();
  });
}

braid_rt_status braid_rt_copy_to_device(braid_rt_context *context, void *dst,
                                        const void *src, size_t bytes) {
  return guarded("braid_rt_copy_to_device", [&]() -> Status {
    REQUIRE("braid_rt_copy_to_device", context);
    if (bytes > 0) {
      REQUIRE("braid_rt_copy_to_device", dst);
      REQUIRE("braid_rt_copy_to_device", src);
    }
    return context->context->device().copyToDevice(dst, src, bytes);
  });
}

braid_rt_status braid_rt_copy_to_host(braid_rt_context *context, void *dst,
                                      const void *src, size_t bytes) {
  return guarded("braid_rt_copy_to_host", [&]() -> Status {
    REQUIRE("braid_rt_copy_to_host", context);
    if (bytes > 0) {
      REQUIRE("braid_rt_copy_to_host", dst);
      REQUIRE("braid_rt_copy_to_host", src);
    }
    return context->context->device().copyToHost(dst, src, bytes);
  });
}

} // extern "C"
