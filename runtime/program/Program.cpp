//===- Program.cpp - the exported functions of a compiled Braid program ---===//
//
// Linked whole into every artifact next to the emitted code, which defines
// `braid_program_descriptor`. Creating a program makes what the descriptor
// asks for (communicators, worker streams, events, the arena) after the
// ranks have agreed that they run the same program on the right number of
// ranks; a step runs the emitted step function and waits for its streams.
//
//===----------------------------------------------------------------------===//

#include "ProgramImpl.h"

#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <new>

using namespace braid_rt::program;

namespace {

thread_local std::string lastError;

std::string hex(uint64_t value) {
  char text[32];
  std::snprintf(text, sizeof(text), "0x%016" PRIx64, value);
  return text;
}

/// What is wrong with this rank's descriptor ("" if nothing).
std::string checkDescriptor(const braid_program_desc *desc) {
  if (!desc)
    return "the artifact has no program descriptor";
  if (desc->abi_version != BRAID_PROGRAM_ABI_VERSION)
    return "the program was built for ABI version " +
           std::to_string(desc->abi_version) + ", this runtime has " +
           std::to_string(BRAID_PROGRAM_ABI_VERSION);
  if (!desc->step)
    return "the program descriptor has no step function";
  if (desc->device != BRAID_PROGRAM_DEVICE_CPU &&
      desc->device != BRAID_PROGRAM_DEVICE_CUDA)
    return "the program descriptor names device " +
           std::to_string(desc->device) + ", which this runtime does not know";
  if (desc->world_size <= 0)
    return "the program descriptor's world size " +
           std::to_string(desc->world_size) + " is not positive";
  if (desc->num_args < 0 || desc->num_results < 0 || desc->num_comms < 0 ||
      desc->num_streams < 0 || desc->num_events < 0 ||
      desc->num_counters < 0)
    return "the program descriptor has a negative count";
  if ((desc->num_args && !desc->args) ||
      (desc->num_results && !desc->results) ||
      (desc->num_comms && !desc->comms) ||
      (desc->num_streams && !desc->stream_priorities))
    return "the program descriptor lacks an array it counts entries of";
  if (desc->arena_alignment & (desc->arena_alignment - 1))
    return "the arena alignment " + std::to_string(desc->arena_alignment) +
           " is not a power of two";
  for (int32_t i = 0; i < desc->num_comms; ++i) {
    const braid_program_comm &comm = desc->comms[i];
    if (comm.ndims <= 0 || !comm.shape || comm.naxes < 0 ||
        (comm.naxes && !comm.axes))
      return "communicator " + std::to_string(i) + " of the descriptor is "
             "malformed";
  }
  return "";
}

/// Destroys what `program` created, in reverse order; keeps the context.
void releaseResources(braid_program *program) {
  destroyCudaProgram(program);
  for (size_t i = 1; i < program->streams.size(); ++i)
    if (program->streams[i] && program->streams[i]->stream)
      braid_rt_stream_destroy(program->streams[i]->stream);
  program->streams.clear();
  for (braid_rt_event *event : program->events)
    braid_rt_event_destroy(event);
  program->events.clear();
  for (braid_rt_counter *counter : program->counters)
    braid_rt_counter_destroy(counter);
  program->counters.clear();
  if (program->arena)
    braid_rt_arena_destroy(program->arena);
  program->arena = nullptr;
}

/// A collective on the world communicator that the host waits for.
braid_rt_status waitWorld(braid_program *program, braid_rt_status enqueued) {
  if (enqueued != BRAID_RT_OK)
    return enqueued;
  return braid_rt_stream_synchronize(program->worldStream);
}

/// Every rank learns every rank's (ABI version, world size, collective hash,
/// descriptor validity) and fails with the same verdict.
braid_rt_status agree(braid_program *program, const std::string &localProblem) {
  const braid_program_desc *desc = program->desc;
  constexpr int kFields = 4;
  int64_t mine[kFields] = {desc ? desc->abi_version : -1,
                           desc ? desc->world_size : -1, 0,
                           localProblem.empty() ? 1 : 0};
  uint64_t hash = desc ? desc->collective_hash : 0;
  std::memcpy(&mine[2], &hash, sizeof(hash));
  std::vector<int64_t> all(static_cast<size_t>(kFields) * program->size);
  braid_rt_status status = worldCollective(
      program, mine, sizeof(mine), all.data(), all.size() * sizeof(int64_t),
      [&](braid_rt_comm *world, braid_rt_stream *stream, const void *send,
          void *recv) {
        return braid_rt_all_gather(world, send, recv, kFields, BRAID_RT_I64,
                                   stream);
      });
  if (status != BRAID_RT_OK)
    return setLastError(status,
                        std::string("braid_program_create: comparing the "
                                    "ranks' programs failed: ") +
                            braid_rt_last_error());
  const std::string prefix = "braid_program_create: ";
  for (int rank = 0; rank < program->size; ++rank) {
    const int64_t *theirs = &all[static_cast<size_t>(kFields) * rank];
    if (theirs[3] == 0)
      return setLastError(
          BRAID_RT_INVALID_ARGUMENT,
          prefix + "rank " + std::to_string(rank) + ": " +
              (rank == program->rank ? localProblem
                                     : std::string("its program is not "
                                                   "valid (it reports why)")));
  }
  // This rank's own program first: usually every rank loaded the same one.
  if (desc->world_size != program->size)
    return setLastError(BRAID_RT_INVALID_ARGUMENT,
                        prefix + "program '" +
                            (desc->function ? desc->function : "?") +
                            "' needs " + std::to_string(desc->world_size) +
                            " ranks, launched on " +
                            std::to_string(program->size));
  for (int rank = 0; rank < program->size; ++rank) {
    const int64_t *theirs = &all[static_cast<size_t>(kFields) * rank];
    if (theirs[1] != program->size)
      return setLastError(BRAID_RT_INVALID_ARGUMENT,
                          prefix + "rank " + std::to_string(rank) +
                              "'s program needs " + std::to_string(theirs[1]) +
                              " ranks, launched on " +
                              std::to_string(program->size));
  }
  const int64_t *first = all.data();
  for (int rank = 1; rank < program->size; ++rank) {
    const int64_t *theirs = &all[static_cast<size_t>(kFields) * rank];
    uint64_t theirHash, firstHash;
    std::memcpy(&theirHash, &theirs[2], sizeof(theirHash));
    std::memcpy(&firstHash, &first[2], sizeof(firstHash));
    if (theirHash != firstHash)
      return setLastError(
          BRAID_RT_INVALID_ARGUMENT,
          prefix + "rank " + std::to_string(rank) +
              " loaded a program whose collective sequence differs (hash " +
              hex(theirHash) + ", rank 0 has " + hex(firstHash) +
              "); every rank must run the same artifact");
  }
  return BRAID_RT_OK;
}

braid_rt_status createResources(braid_program *program) {
  const braid_program_desc *desc = program->desc;
  braid_rt_context *context = program->context;
  const std::string prefix = "braid_program_create: ";
  for (int32_t i = 0; i < desc->num_comms; ++i) {
    const braid_program_comm &comm = desc->comms[i];
    braid_rt_comm *handle = nullptr;
    braid_rt_stream *stream = nullptr;
    int rank = 0, size = 0;
    braid_rt_status status =
        braid_rt_grid_comm(context, comm.ndims, comm.shape, comm.device_order,
                           comm.naxes, comm.axes, &handle);
    if (status == BRAID_RT_OK)
      status = braid_rt_comm_stream(handle, &stream);
    if (status == BRAID_RT_OK)
      status = braid_rt_comm_rank(handle, &rank);
    if (status == BRAID_RT_OK)
      status = braid_rt_comm_size(handle, &size);
    if (status != BRAID_RT_OK)
      return setLastError(status, prefix + "communicator " +
                                      std::to_string(i) + " (grid @" +
                                      (comm.grid ? comm.grid : "?") +
                                      "): " + braid_rt_last_error());
    program->comms.push_back(handle);
    program->commStreams.push_back(stream);
    program->commRanks.push_back(rank);
    program->commSizes.push_back(size);
  }
  program->streams.resize(1);
  if (desc->device == BRAID_PROGRAM_DEVICE_CUDA) {
    // CUDA streams, events and a device arena of the program's own.
    program->exec.eventStream.assign(desc->num_events, -1);
    return createCudaProgram(program);
  }
  for (int32_t i = 1; i <= desc->num_streams; ++i) {
    auto worker = std::make_unique<WorkerStream>();
    worker->index = i;
    std::string name = "stream " + std::to_string(i);
    braid_rt_status status = braid_rt_stream_create(
        context, name.c_str(), desc->stream_priorities[i - 1],
        &worker->stream);
    if (status != BRAID_RT_OK)
      return setLastError(status, prefix + name + ": " + braid_rt_last_error());
    program->streams.push_back(std::move(worker));
  }
  for (int32_t i = 0; i < desc->num_events; ++i) {
    braid_rt_event *event = nullptr;
    braid_rt_status status = braid_rt_event_create(context, 1, &event);
    if (status != BRAID_RT_OK)
      return setLastError(status, prefix + "event " + std::to_string(i) +
                                      ": " + braid_rt_last_error());
    program->events.push_back(event);
  }
  program->exec.eventStream.assign(desc->num_events, -1);
  // Counters start at 0 and only grow: the triggered ops' epoch values
  // (step index) keep one step's releases from satisfying the next.
  for (int32_t i = 0; i < desc->num_counters; ++i) {
    braid_rt_counter *counter = nullptr;
    std::string name = "counter " + std::to_string(i);
    braid_rt_status status =
        braid_rt_counter_create(context, name.c_str(), 0, &counter);
    if (status != BRAID_RT_OK)
      return setLastError(status, prefix + name + ": " + braid_rt_last_error());
    program->counters.push_back(counter);
  }
  program->counterUses.assign(program->counters.size(), 0);
  uint64_t alignment = desc->arena_alignment ? desc->arena_alignment : 64;
  void *base = nullptr;
  braid_rt_status status =
      braid_rt_arena_create(context, desc->arena_bytes, alignment,
                            BRAID_RT_MEMORY_DEVICE, &program->arena);
  if (status == BRAID_RT_OK)
    status = braid_rt_arena_at(program->arena, 0, desc->arena_bytes, 1, &base);
  if (status != BRAID_RT_OK)
    return setLastError(status, prefix + "the " +
                                    std::to_string(desc->arena_bytes) +
                                    "-byte arena: " + braid_rt_last_error());
  program->arenaBase = static_cast<char *>(base);
  return BRAID_RT_OK;
}

/// Runs `body`, turning an exception into a status: nothing throws across
/// the C boundary.
template <typename Body>
braid_rt_status guarded(const char *api, Body body) {
  try {
    return body();
  } catch (const std::bad_alloc &) {
    return setLastError(BRAID_RT_OUT_OF_MEMORY,
                        std::string(api) + ": out of host memory");
  } catch (const std::exception &error) {
    return setLastError(BRAID_RT_INTERNAL,
                        std::string(api) + ": " + error.what());
  } catch (...) {
    return setLastError(BRAID_RT_INTERNAL,
                        std::string(api) + ": unknown exception");
  }
}

#define BRAID_PROGRAM_REQUIRE(api, pointer)                                    \
  do {                                                                         \
    if (!(pointer))                                                            \
      return setLastError(BRAID_RT_INVALID_ARGUMENT,                           \
                          std::string(api) + ": `" #pointer "` is null");      \
  } while (0)

} // namespace

namespace braid_rt::program {

braid_rt_status setLastError(braid_rt_status status, std::string message) {
  lastError = std::move(message);
  return status;
}

} // namespace braid_rt::program

/// A program on a context made by `init`, which the program then owns.
template <typename Init>
braid_rt_status createOwningContext(const char *api, braid_program **out,
                                    Init init) {
  return guarded(api, [&]() -> braid_rt_status {
    BRAID_PROGRAM_REQUIRE(api, out);
    *out = nullptr;
    braid_rt_context *context = nullptr;
    braid_rt_status status = init(&context);
    if (status != BRAID_RT_OK)
      return setLastError(status, std::string(api) + ": " +
                                      braid_rt_last_error());
    status = braid_program_create(context, out);
    if (status != BRAID_RT_OK) {
      std::string message = lastError;
      braid_rt_context_destroy(context);
      return setLastError(status, message);
    }
    (*out)->ownsContext = true;
    return BRAID_RT_OK;
  });
}

extern "C" {

const braid_program_desc *braid_program_get_desc(void) {
  return &braid_program_descriptor;
}

const char *braid_program_last_error(void) { return lastError.c_str(); }

braid_rt_status braid_program_create(braid_rt_context *context,
                                     braid_program **out) {
  const char *api = "braid_program_create";
  return guarded(api, [&]() -> braid_rt_status {
    BRAID_PROGRAM_REQUIRE(api, context);
    BRAID_PROGRAM_REQUIRE(api, out);
    *out = nullptr;
    auto program = std::make_unique<braid_program>();
    program->desc = &braid_program_descriptor;
    program->context = context;
    program->exec.program = program.get();
    braid_rt_status status = braid_rt_world(context, &program->world);
    if (status == BRAID_RT_OK)
      status = braid_rt_comm_stream(program->world, &program->worldStream);
    if (status == BRAID_RT_OK)
      status = braid_rt_rank(context, &program->rank);
    if (status == BRAID_RT_OK)
      status = braid_rt_size(context, &program->size);
    if (status != BRAID_RT_OK)
      return setLastError(status, std::string(api) + ": " +
                                      braid_rt_last_error());
    status = agree(program.get(), checkDescriptor(program->desc));
    if (status == BRAID_RT_OK)
      status = createResources(program.get());
    if (status != BRAID_RT_OK) {
      std::string message = lastError;
      releaseResources(program.get());
      return setLastError(status, message);
    }
    *out = program.release();
    return BRAID_RT_OK;
  });
}

braid_rt_status braid_program_create_mpi(int *argc, char ***argv,
                                         braid_program **out) {
  return createOwningContext(
      "braid_program_create_mpi", out, [&](braid_rt_context **context) {
        return braid_rt_init_mpi(argc, argv, context);
      });
}

braid_rt_status braid_program_destroy(braid_program *program) {
  const char *api = "braid_program_destroy";
  return guarded(api, [&]() -> braid_rt_status {
    BRAID_PROGRAM_REQUIRE(api, program);
    releaseResources(program);
    braid_rt_status status = BRAID_RT_OK;
    std::string message;
    if (program->ownsContext) {
      status = braid_rt_context_destroy(program->context);
      if (status != BRAID_RT_OK)
        message = std::string(api) + ": " + braid_rt_last_error();
    }
    delete program;
    if (status != BRAID_RT_OK)
      return setLastError(status, message);
    return BRAID_RT_OK;
  });
}

braid_rt_status braid_program_rank(const braid_program *program, int *rank,
                                   int *size) {
  const char *api = "braid_program_rank";
  BRAID_PROGRAM_REQUIRE(api, program);
  if (rank)
    *rank = program->rank;
  if (size)
    *size = program->size;
  return BRAID_RT_OK;
}

braid_rt_status braid_program_step(braid_program *program,
                                   const void *const *args,
                                   void *const *results) {
  const char *api = "braid_program_step";
  return guarded(api, [&]() -> braid_rt_status {
    BRAID_PROGRAM_REQUIRE(api, program);
    const braid_program_desc *desc = program->desc;
    if (desc->num_args > 0)
      BRAID_PROGRAM_REQUIRE(api, args);
    if (desc->num_results > 0)
      BRAID_PROGRAM_REQUIRE(api, results);
    braid_rt_status status;
    if (program->cuda) {
      status = cudaStep(program, args, results, /*onDevice=*/false);
    } else {
      beginStep(program);
      desc->step(&program->exec, args, results, program->arenaBase);
      status = endStep(program);
    }
    if (status != BRAID_RT_OK)
      return setLastError(status, "rank " + std::to_string(program->rank) +
                                      ": " + program->exec.error);
    return BRAID_RT_OK;
  });
}

braid_rt_status braid_program_step_device(braid_program *program,
                                          const void *const *args,
                                          void *const *results) {
  const char *api = "braid_program_step_device";
  return guarded(api, [&]() -> braid_rt_status {
    BRAID_PROGRAM_REQUIRE(api, program);
    const braid_program_desc *desc = program->desc;
    if (!program->cuda)
      return setLastError(BRAID_RT_INVALID_ARGUMENT,
                          std::string(api) + ": program '" +
                              (desc->function ? desc->function : "?") +
                              "' does not run on CUDA");
    if (desc->num_args > 0)
      BRAID_PROGRAM_REQUIRE(api, args);
    if (desc->num_results > 0)
      BRAID_PROGRAM_REQUIRE(api, results);
    braid_rt_status status =
        cudaStep(program, args, results, /*onDevice=*/true);
    if (status != BRAID_RT_OK)
      return setLastError(status, "rank " + std::to_string(program->rank) +
                                      ": " + program->exec.error);
    return BRAID_RT_OK;
  });
}

braid_rt_status braid_program_create_nccl(int *argc, char ***argv,
                                          int cuda_device,
                                          braid_program **out) {
  return createOwningContext(
      "braid_program_create_nccl", out, [&](braid_rt_context **context) {
        return braid_rt_init_nccl(argc, argv, cuda_device, context);
      });
}

braid_rt_status braid_program_barrier(braid_program *program) {
  const char *api = "braid_program_barrier";
  BRAID_PROGRAM_REQUIRE(api, program);
  braid_rt_status status = waitWorld(
      program, braid_rt_barrier(program->world, program->worldStream));
  if (status != BRAID_RT_OK)
    return setLastError(status, std::string(api) + ": " +
                                    braid_rt_last_error());
  return BRAID_RT_OK;
}

braid_rt_status braid_program_max_over_ranks(braid_program *program,
                                             double *value) {
  const char *api = "braid_program_max_over_ranks";
  BRAID_PROGRAM_REQUIRE(api, program);
  BRAID_PROGRAM_REQUIRE(api, value);
  double mine = *value, max = 0;
  braid_rt_status status = worldCollective(
      program, &mine, sizeof(mine), &max, sizeof(max),
      [&](braid_rt_comm *world, braid_rt_stream *stream, const void *send,
          void *recv) {
        return braid_rt_all_reduce(world, send, recv, 1, BRAID_RT_F64,
                                   BRAID_RT_MAX, stream);
      });
  if (status != BRAID_RT_OK)
    return setLastError(status, std::string(api) + ": " +
                                    braid_rt_last_error());
  *value = max;
  return BRAID_RT_OK;
}

braid_rt_status braid_program_set_tracing(braid_program *program,
                                          int enabled) {
  const char *api = "braid_program_set_tracing";
  BRAID_PROGRAM_REQUIRE(api, program);
  program->tracing = enabled != 0;
  return BRAID_RT_OK;
}

braid_rt_status braid_program_write_trace(braid_program *program,
                                          const char *path) {
  const char *api = "braid_program_write_trace";
  return guarded(api, [&]() -> braid_rt_status {
    BRAID_PROGRAM_REQUIRE(api, program);
    if (program->rank == 0)
      BRAID_PROGRAM_REQUIRE(api, path);
    // Every rank's spans, padded to the longest, gathered on every rank
    // (the runtime's all_gather needs equal counts).
    std::string mine = serializeSpans(*program);
    int64_t mySize = static_cast<int64_t>(mine.size());
    std::vector<int64_t> sizes(program->size);
    braid_rt_status status = worldCollective(
        program, &mySize, sizeof(mySize), sizes.data(),
        sizes.size() * sizeof(int64_t),
        [&](braid_rt_comm *world, braid_rt_stream *stream, const void *send,
            void *recv) {
          return braid_rt_all_gather(world, send, recv, 1, BRAID_RT_I64,
                                     stream);
        });
    int64_t longest = 0;
    for (int64_t size : sizes)
      longest = std::max(longest, size);
    mine.resize(static_cast<size_t>(longest));
    std::vector<char> all(static_cast<size_t>(longest) * program->size);
    if (status == BRAID_RT_OK && longest > 0)
      status = worldCollective(
          program, mine.data(), mine.size(), all.data(), all.size(),
          [&](braid_rt_comm *world, braid_rt_stream *stream, const void *send,
              void *recv) {
            return braid_rt_all_gather(world, send, recv, longest, BRAID_RT_I8,
                                       stream);
          });
    if (status != BRAID_RT_OK)
      return setLastError(status, std::string(api) + ": gathering spans: " +
                                      braid_rt_last_error());
    if (program->rank != 0)
      return BRAID_RT_OK;
    std::vector<std::string> rankSpans;
    for (int rank = 0; rank < program->size; ++rank)
      rankSpans.emplace_back(all.data() + static_cast<size_t>(longest) * rank,
                             static_cast<size_t>(sizes[rank]));
    std::string json = chromeTraceJson(*program->desc, rankSpans);
    std::string temporary = std::string(path) + ".tmp";
    {
      std::ofstream file(temporary, std::ios::binary | std::ios::trunc);
      file << json;
      if (!file.good())
        return setLastError(BRAID_RT_INVALID_ARGUMENT,
                            std::string(api) + ": cannot write trace '" +
                                path + "'");
    }
    if (std::rename(temporary.c_str(), path) != 0) {
      std::remove(temporary.c_str());
      return setLastError(BRAID_RT_INVALID_ARGUMENT,
                          std::string(api) + ": cannot write trace '" + path +
                              "': " + std::strerror(errno));
    }
    return BRAID_RT_OK;
  });
}

} // extern "C"
