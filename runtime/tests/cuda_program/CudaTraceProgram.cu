//===- CudaTraceProgram.cu - a traced CUDA program on the GPU -------------===//
//
// A hand-written CUDA program in the emitted form (braid_emitted_cuda.h):
// a launch on worker stream 1 (an emitted fill kernel, then a cuBLASLt
// GEMM into the arena), an event back to stream 0, an emitted relu kernel,
// an all_reduce on the NCCL engine (one rank) and a copy. With tracing on,
// the measured Chrome trace must hold one span per op on the stream it ran
// on, timed by CUDA events, in the order the streams ran them: the GEMM
// inside its launch, relu after the GEMM (the event), the all_reduce
// (communication) after relu, the copy after the all_reduce; and the
// step's results must be right. Exit 77 (skipped) without a GPU.
//
//===----------------------------------------------------------------------===//

#include "braid_rt/braid_emitted_cuda.h"
#include "braid_rt/braid_program.h"

#include "../../kernels/tests/GpuTest.h"
#include "../GridMatrix.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace {

constexpr int64_t M = 128, K = 64, N = 96;

__global__ void fillZero(float *c, int64_t count) {
  for (size_t i = braid_cuda_thread_index(); i < size_t(count);
       i += braid_cuda_thread_count())
    c[i] = 0.0f;
}

__global__ void relu(float *c, int64_t count) {
  for (size_t i = braid_cuda_thread_index(); i < size_t(count);
       i += braid_cuda_thread_count())
    c[i] = c[i] > 0.0f ? c[i] : 0.0f;
}

void gemmBody(const void *a, const void *b, float *c) {
  braid_emit_kernel<fillZero>(M * N, "trace.mlir:2:3 fill", c, M * N);
  braid_emit_gemm(1, M, N, K, 0, 0, BRAID_RT_ELEM_F32, BRAID_RT_ELEM_F32,
                  BRAID_RT_ELEM_F32, K, N, N, 0, 0, 0, a, b, c,
                  "trace.mlir:3:3 matmul");
}

void step(braid_exec *exec, const void *const *args, void *const *results,
          char *arena) {
  braid_exec_self = exec;
  braid_current_stream = 0;
  float *c = reinterpret_cast<float *>(arena);
  braid_exec_fork(exec, 1);
  braid_emit_launch<gemmBody>(1, "trace.mlir:2:1 launch", args[0], args[1],
                              c);
  braid_exec_record(exec, 0, 1);
  braid_exec_wait(exec, 0);
  braid_emit_kernel<relu>(M * N, "trace.mlir:4:1 relu", c, M * N);
  braid_exec_all_reduce(exec, 0, c, results[0], M * N, BRAID_RT_F32,
                        BRAID_RT_SUM, 0, "trace.mlir:5:1 all_reduce");
  braid_emit_copy(results[1], c, M * N * sizeof(float));
}

const braid_program_tensor kArgs[2] = {{BRAID_RT_F32, 2, {M, K}},
                                       {BRAID_RT_F32, 2, {K, N}}};
const braid_program_tensor kResults[2] = {{BRAID_RT_F32, 2, {M, N}},
                                          {BRAID_RT_F32, 2, {M, N}}};
const int64_t kWorldShape[1] = {1};
const int32_t kWorldAxes[1] = {0};
const braid_program_comm kComms[1] = {
    {"world", 1, kWorldShape, nullptr, 1, kWorldAxes}};
const int32_t kPriorities[1] = {0};

} // namespace

extern const braid_program_desc braid_program_descriptor;
const braid_program_desc braid_program_descriptor = {
    BRAID_PROGRAM_ABI_VERSION, "trace", "trace.mlir", 1, 2, kArgs, 2,
    kResults, M * N * sizeof(float), 256, 0x1234abcdULL, 1, kComms, 1,
    kPriorities, 1, "{}", step, BRAID_PROGRAM_DEVICE_CUDA, 0};

namespace {


/// One "X" event of the trace.
struct Event {
  std::string cat;
  int tid = -1;
  double ts = -1, dur = -1;
};

/// The "X" events by name, read from the lines chromeTraceJson writes (one
/// event per line).
std::map<std::string, Event> readEvents(const std::string &json,
                                        std::string *threadZero) {
  std::map<std::string, Event> events;
  std::istringstream lines(json);
  std::string line;
  auto field = [&](const std::string &key) -> std::string {
    size_t at = line.find("\"" + key + "\": ");
    if (at == std::string::npos)
      return "";
    at += key.size() + 4;
    size_t end = line[at] == '"' ? line.find('"', at + 1) + 1
                                 : line.find_first_of(",}", at);
    return line.substr(at, end - at);
  };
  auto unquote = [](std::string text) {
    return text.size() >= 2 ? text.substr(1, text.size() - 2) : text;
  };
  while (std::getline(lines, line)) {
    if (line.find("\"thread_name\"") != std::string::npos &&
        field("tid") == "0") {
      size_t at = line.find("\"args\": {\"name\": ");
      if (at != std::string::npos)
        *threadZero = line.substr(at + 17, line.find('}', at) - at - 17);
    }
    if (line.find("\"ph\": \"X\"") == std::string::npos)
      continue;
    Event event;
    event.cat = unquote(field("cat"));
    event.tid = std::atoi(field("tid").c_str());
    event.ts = std::atof(field("ts").c_str());
    event.dur = std::atof(field("dur").c_str());
    events[unquote(field("name"))] = event;
  }
  return events;
}

} // namespace

int main(int argc, char **argv) {
  if (braid_rt::test::noCudaDevice())
    return braid_rt::test::kSkipped;
  int &failures = braid_rt::test::gpuTestFailures();
  braid_program *program = nullptr;
  if (braid_program_create_nccl(&argc, &argv, 0, &program) != BRAID_RT_OK) {
    std::printf("FAIL: creating the program: %s\n",
                braid_program_last_error());
    return 1;
  }
  std::vector<float> a = braid_rt::test::gridMatrix(M * K, 1);
  std::vector<float> b = braid_rt::test::gridMatrix(K * N, 2);
  std::vector<float> reduced(M * N), copied(M * N);
  const void *args[2] = {a.data(), b.data()};
  void *results[2] = {reduced.data(), copied.data()};
  // An untraced step first, then a traced one: only the last is written.
  CHECK(braid_program_step(program, args, results) == BRAID_RT_OK, "%s",
        braid_program_last_error());
  CHECK(braid_program_set_tracing(program, 1) == BRAID_RT_OK, "%s",
        braid_program_last_error());
  CHECK(braid_program_step(program, args, results) == BRAID_RT_OK, "%s",
        braid_program_last_error());
  const char *path = argc > 1 ? argv[1] : "braid_cuda_trace_test.json";
  CHECK(braid_program_write_trace(program, path) == BRAID_RT_OK, "%s",
        braid_program_last_error());
  braid_program_destroy(program);

  // The results: relu(A B), exact on the grid, through the all_reduce and
  // the copy.
  for (int64_t i = 0; i < M && failures < 5; ++i)
    for (int64_t j = 0; j < N; ++j) {
      double sum = 0;
      for (int64_t k = 0; k < K; ++k)
        sum += double(a[i * K + k]) * b[k * N + j];
      float want = sum > 0 ? float(sum) : 0.0f;
      CHECK(reduced[i * N + j] == want && copied[i * N + j] == want,
            "element (%ld, %ld): %g / %g, want %g", long(i), long(j),
            reduced[i * N + j], copied[i * N + j], want);
    }

  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  std::string threadZero;
  std::map<std::string, Event> events = readEvents(text.str(), &threadZero);
  CHECK(text.str().find("\"timeline\": \"measured\"") != std::string::npos,
        "not a measured trace");
  CHECK(threadZero == "\"stream 0\"", "stream 0 is named %s",
        threadZero.c_str());
  const char *names[] = {"trace.mlir:2:1 launch", "trace.mlir:2:3 fill",
                         "trace.mlir:3:3 matmul", "trace.mlir:4:1 relu",
                         "trace.mlir:5:1 all_reduce", "memref.copy"};
  for (const char *name : names) {
    CHECK(events.count(name), "no span '%s'", name);
    const Event &event = events[name];
    CHECK(event.ts >= 0 && event.dur > 0 && event.ts + event.dur < 1e7,
          "span '%s': ts %g dur %g", name, event.ts, event.dur);
  }
  if (failures == 0) {
    // The printed times are rounded to 1 ns.
    const double slack = 0.002;
    const Event &launch = events["trace.mlir:2:1 launch"];
    const Event &fill = events["trace.mlir:2:3 fill"];
    const Event &gemm = events["trace.mlir:3:3 matmul"];
    const Event &reluSpan = events["trace.mlir:4:1 relu"];
    const Event &reduce = events["trace.mlir:5:1 all_reduce"];
    const Event &copy = events["memref.copy"];
    CHECK(launch.tid == 1 && fill.tid == 1 && gemm.tid == 1,
          "launch, fill and matmul on stream 1 (tids %d %d %d)", launch.tid,
          fill.tid, gemm.tid);
    CHECK(reluSpan.tid == 0 && reduce.tid == 0 && copy.tid == 0,
          "relu, all_reduce and the copy on stream 0 (tids %d %d %d)",
          reluSpan.tid, reduce.tid, copy.tid);
    CHECK(reduce.cat == "communication" && gemm.cat == "compute" &&
              reluSpan.cat == "compute",
          "categories %s %s %s", reduce.cat.c_str(), gemm.cat.c_str(),
          reluSpan.cat.c_str());
    CHECK(launch.ts <= fill.ts + slack &&
              fill.ts + fill.dur <= gemm.ts + slack &&
              gemm.ts + gemm.dur <= launch.ts + launch.dur + slack,
          "the launch [%g, +%g] does not hold fill [%g, +%g] then matmul "
          "[%g, +%g]",
          launch.ts, launch.dur, fill.ts, fill.dur, gemm.ts, gemm.dur);
    CHECK(gemm.ts + gemm.dur <= reluSpan.ts + slack,
          "relu at %g began before the matmul ended at %g", reluSpan.ts,
          gemm.ts + gemm.dur);
    CHECK(reluSpan.ts + reluSpan.dur <= reduce.ts + slack,
          "the all_reduce at %g began before relu ended at %g", reduce.ts,
          reluSpan.ts + reluSpan.dur);
    CHECK(reduce.ts + reduce.dur <= copy.ts + slack,
          "the copy at %g began before the all_reduce ended at %g", copy.ts,
          reduce.ts + reduce.dur);
  }
  std::printf("%s: traced CUDA program (%zu spans)\n",
              failures ? "FAIL" : "PASS", events.size());
  return failures ? 1 : 0;
}
