//===- BraidCalibrate.cpp - measure this machine into a target profile ----===//
//
//   braid-calibrate [--np N] [--out FILE] [--base PROFILE] [--name NAME]
//                   [--machine TEXT] [--link intra_node|inter_node|both]
//                   [--sweep default|tiny|none] [--samples S]
//                   [--shapes FILE] [--gemm [Bx]MxNxK[:dtype]]...
//                   [--rmsnorm RxW[:dtype]]... [--softmax OxExI[:dtype]]...
//                   [--swiglu N[:dtype]]... [--activation N[:dtype]]...
//                   [--elementwise N[:dtype]]... [--copy BYTES]...
//                   [--attention BxHxHKVxSQxSKVxD[xDV][:dtype][:causal]]...
//                   [--collective KIND:BYTES:GROUP]...
//                   [--timeout S] [--mpirun PATH]
//
// Measures, on every rank at once (as a program's ranks run), the runtime's
// GEMM at each shape, its kernels, memory streaming, each collective over
// every group size that divides the world, the host cost of issuing a
// collective and the stream switch (event record -> wait -> run), fits the
// cost model's parameters to them (docs/Performance.md, "Calibration") and
// writes a target profile in the bench/profiles format, every number
// sourced "measured: <what> on <machine>, <date>". Numbers it cannot
// measure keep the base profile's value with a source that says so.
//
// Started by hand it launches itself under mpirun (as braid-run does).
//
//===----------------------------------------------------------------------===//

#include "Fit.h"
#include "Json.h"
#include "Launch.h"

#include "braid_rt/Context.h"
#include "braid_rt/kernels.h"
#include "braid_rt/kernels/Float.h"

#include <mpi.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <thread>
#include <unistd.h>

using namespace braid_rt;
using namespace braid_calibrate;
using Clock = std::chrono::steady_clock;

namespace {

//===----------------------------------------------------------------------===//
// Options
//===----------------------------------------------------------------------===//

const char *kUsage =
    "usage: braid-calibrate [--np N] [--out FILE] [--base PROFILE] [--name "
    "NAME]\n"
    "         [--machine TEXT] [--link intra_node|inter_node|both]\n"
    "         [--sweep default|tiny|none] [--samples S] [--shapes FILE]\n"
    "         [--gemm [Bx]MxNxK[:dtype]]... [--rmsnorm RxW[:dtype]]...\n"
    "         [--softmax OxExI[:dtype]]... [--swiglu N[:dtype]]...\n"
    "         [--activation N[:dtype]]... [--elementwise N[:dtype]]...\n"
    "         [--copy BYTES]... "
    "[--attention BxHxHKVxSQxSKVxD[xDV][:dtype][:causal]]...\n"
    "         [--collective KIND:BYTES:GROUP]... [--timeout S] [--mpirun "
    "PATH]\n"
    "  --mpirun defaults to $BRAID_MPIRUN where set, else mpirun\n";

[[noreturn]] void usageError(const std::string &message) {
  std::fprintf(stderr, "braid-calibrate: %s\n%s", message.c_str(), kUsage);
  std::exit(1);
}

enum class Kind {
  AllReduce,
  AllGather,
  ReduceScatter,
  AllToAll,
  Permute,
  Broadcast
};
const Kind kKinds[] = {Kind::AllReduce, Kind::AllGather, Kind::ReduceScatter,
                       Kind::AllToAll,  Kind::Permute,   Kind::Broadcast};

/// The dialect op's name, as profiles spell it.
const char *kindName(Kind kind) {
  switch (kind) {
  case Kind::AllReduce:
    return "all_reduce";
  case Kind::AllGather:
    return "all_gather";
  case Kind::ReduceScatter:
    return "reduce_scatter";
  case Kind::AllToAll:
    return "all_to_all";
  case Kind::Permute:
    return "collective_permute";
  case Kind::Broadcast:
    return "broadcast";
  }
  return "?";
}

struct GemmShape {
  int64_t batch = 1, m = 0, n = 0, k = 0;
  braid_rt_elem type = BRAID_RT_ELEM_F32;
};
struct RmsNormShape {
  int64_t rows = 0, width = 0;
  braid_rt_elem type = BRAID_RT_ELEM_F32;
};
struct SoftmaxShape {
  int64_t outer = 0, extent = 0, inner = 0;
  braid_rt_elem type = BRAID_RT_ELEM_F32;
};
struct VectorShape {
  int64_t n = 0;
  braid_rt_elem type = BRAID_RT_ELEM_F32;
};
struct AttentionShape {
  int64_t batch = 0, heads = 0, kvHeads = 0, qLen = 0, kvLen = 0, headDim = 0,
          vHeadDim = 0;
  bool causal = false;
  braid_rt_elem type = BRAID_RT_ELEM_F32;
};
struct CollectiveRequest {
  Kind kind;
  int64_t bytes;
  int group;
};

struct Options {
  int np = 2;
  double timeout = 900;
  std::string mpirun = braid_rt::launch::defaultLauncher();
  std::string base = "cpu-1gbe", name, out = "calibrated-profile.json";
  std::string machine, link = "both", sweep = "default";
  int samples = 0; // 0: the sweep's
  std::vector<GemmShape> gemms;
  std::vector<RmsNormShape> rmsnorms;
  std::vector<SoftmaxShape> softmaxes;
  std::vector<VectorShape> swiglus, activations, elementwise;
  std::vector<int64_t> copies;
  std::vector<AttentionShape> attentions;
  std::vector<CollectiveRequest> collectives;
  std::vector<std::string> shapeFiles;
};

std::vector<std::string> split(const std::string &text, char separator) {
  std::vector<std::string> parts;
  std::string part;
  std::istringstream stream(text);
  while (std::getline(stream, part, separator))
    parts.push_back(part);
  if (!text.empty() && text.back() == separator)
    parts.push_back("");
  return parts;
}

int64_t parsePositive(const std::string &option, const std::string &text) {
  char *end = nullptr;
  errno = 0;
  long long value = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end || errno || value < 1)
    usageError(option + ": '" + text + "' is not a positive integer");
  return value;
}

braid_rt_elem parseType(const std::string &option, const std::string &text) {
  for (braid_rt_elem type : {BRAID_RT_ELEM_F32, BRAID_RT_ELEM_F64,
                             BRAID_RT_ELEM_F16, BRAID_RT_ELEM_BF16})
    if (text == braid_rt_elem_name(type))
      return type;
  usageError(option + ": element type '" + text +
             "' is not one of f32, f64, f16, bf16");
}

/// "AxBxC[:dtype]..." -> sizes (exactly one of `counts`) and the rest.
std::vector<int64_t> parseSizes(const std::string &option,
                                const std::string &text,
                                std::initializer_list<size_t> counts,
                                braid_rt_elem &type,
                                std::vector<std::string> *extra = nullptr) {
  std::vector<std::string> fields = split(text, ':');
  if (fields.empty())
    usageError(option + " needs a shape");
  std::vector<int64_t> sizes;
  for (const std::string &size : split(fields[0], 'x'))
    sizes.push_back(parsePositive(option, size));
  if (std::find(counts.begin(), counts.end(), sizes.size()) == counts.end())
    usageError(option + ": '" + fields[0] + "' has " +
               std::to_string(sizes.size()) + " sizes");
  size_t next = 1;
  if (fields.size() > 1 && fields[1] != "causal") {
    type = parseType(option, fields[1]);
    next = 2;
  }
  for (size_t i = next; i < fields.size(); ++i) {
    if (!extra)
      usageError(option + ": unexpected ':" + fields[i] + "'");
    extra->push_back(fields[i]);
  }
  return sizes;
}

void parseShapesFile(const std::string &path, Options &options);

void applyOption(const std::string &arg, const std::string &value,
                 Options &options) {
  braid_rt_elem type = BRAID_RT_ELEM_F32;
  if (arg == "--np") {
    options.np = static_cast<int>(parsePositive(arg, value));
  } else if (arg == "--timeout") {
    char *end = nullptr;
    options.timeout = std::strtod(value.c_str(), &end);
    if (value.empty() || *end || !(options.timeout > 0))
      usageError("--timeout needs a positive number of seconds, not '" +
                 value + "'");
  } else if (arg == "--mpirun") {
    options.mpirun = value;
  } else if (arg == "--out") {
    options.out = value;
  } else if (arg == "--base") {
    options.base = value;
  } else if (arg == "--name") {
    options.name = value;
  } else if (arg == "--machine") {
    options.machine = value;
  } else if (arg == "--link") {
    if (value != "intra_node" && value != "inter_node" && value != "both")
      usageError("--link is intra_node, inter_node or both, not '" + value +
                 "'");
    options.link = value;
  } else if (arg == "--sweep") {
    if (value != "default" && value != "tiny" && value != "none")
      usageError("--sweep is default, tiny or none, not '" + value + "'");
    options.sweep = value;
  } else if (arg == "--samples") {
    options.samples = static_cast<int>(parsePositive(arg, value));
  } else if (arg == "--shapes") {
    parseShapesFile(value, options);
  } else if (arg == "--gemm") {
    std::vector<int64_t> s = parseSizes(arg, value, {3, 4}, type);
    GemmShape shape;
    if (s.size() == 4)
      shape.batch = s[0];
    shape.m = s[s.size() - 3];
    shape.n = s[s.size() - 2];
    shape.k = s[s.size() - 1];
    shape.type = type;
    options.gemms.push_back(shape);
  } else if (arg == "--rmsnorm") {
    std::vector<int64_t> s = parseSizes(arg, value, {2}, type);
    options.rmsnorms.push_back({s[0], s[1], type});
  } else if (arg == "--softmax") {
    std::vector<int64_t> s = parseSizes(arg, value, {3}, type);
    options.softmaxes.push_back({s[0], s[1], s[2], type});
  } else if (arg == "--swiglu" || arg == "--activation" ||
             arg == "--elementwise") {
    std::vector<int64_t> s = parseSizes(arg, value, {1}, type);
    (arg == "--swiglu"       ? options.swiglus
     : arg == "--activation" ? options.activations
                             : options.elementwise)
        .push_back({s[0], type});
  } else if (arg == "--copy") {
    options.copies.push_back(parsePositive(arg, value));
  } else if (arg == "--attention") {
    std::vector<std::string> extra;
    std::vector<int64_t> s = parseSizes(arg, value, {6, 7}, type, &extra);
    AttentionShape shape{s[0], s[1], s[2], s[3], s[4], s[5],
                         s.size() == 7 ? s[6] : s[5]};
    shape.type = type;
    for (const std::string &flag : extra) {
      if (flag != "causal")
        usageError(arg + ": unexpected ':" + flag + "' (only ':causal')");
      shape.causal = true;
    }
    if (shape.heads % shape.kvHeads != 0)
      usageError(arg + ": " + std::to_string(shape.heads) +
                 " heads are not a multiple of " +
                 std::to_string(shape.kvHeads) + " KV heads");
    options.attentions.push_back(shape);
  } else if (arg == "--collective") {
    std::vector<std::string> fields = split(value, ':');
    if (fields.size() != 3)
      usageError("--collective needs KIND:BYTES:GROUP, not '" + value + "'");
    std::string kindText = fields[0] == "send_recv" ? "collective_permute"
                                                    : fields[0];
    std::optional<Kind> kind;
    for (Kind candidate : kKinds)
      if (kindText == kindName(candidate))
        kind = candidate;
    if (!kind)
      usageError("--collective: '" + fields[0] +
                 "' is not all_reduce, all_gather, reduce_scatter, "
                 "all_to_all, collective_permute (send_recv) or broadcast");
    options.collectives.push_back(
        {*kind, parsePositive(arg, fields[1]),
         static_cast<int>(parsePositive(arg, fields[2]))});
  } else {
    usageError("unknown option '" + arg + "'");
  }
}

/// Options given as `--name value`, `--name=value`, or in a file of
/// options (one or more per line, `#` to the end of a line is a comment:
/// what `braid-opt --braid-calibration-shapes` writes).
void applyArguments(const std::vector<std::string> &args, Options &options,
                    bool fromFile) {
  for (size_t i = 0; i < args.size(); ++i) {
    std::string arg = args[i];
    if (!fromFile && (arg == "-h" || arg == "--help")) {
      std::fputs(kUsage, stdout);
      std::exit(0);
    }
    if (arg.rfind("--", 0) != 0)
      usageError("unexpected argument '" + arg + "'");
    size_t equals = arg.find('=');
    std::string value;
    if (equals != std::string::npos) {
      value = arg.substr(equals + 1);
      arg = arg.substr(0, equals);
    } else {
      if (i + 1 >= args.size())
        usageError(arg + " needs a value");
      value = args[++i];
    }
    applyOption(arg, value, options);
  }
}

void parseShapesFile(const std::string &path, Options &options) {
  std::ifstream file(path);
  if (!file)
    usageError("--shapes: cannot read '" + path + "'");
  std::vector<std::string> tokens;
  std::string line;
  while (std::getline(file, line)) {
    line = line.substr(0, line.find('#'));
    std::istringstream words(line);
    std::string word;
    while (words >> word)
      tokens.push_back(word);
  }
  options.shapeFiles.push_back(path);
  applyArguments(tokens, options, /*fromFile=*/true);
}

/// The sweeps: enough distinct sizes for every fit. `tiny` is for tests.
void addSweep(Options &options) {
  if (options.sweep == "none")
    return;
  bool tiny = options.sweep == "tiny";
  const braid_rt_elem f32 = BRAID_RT_ELEM_F32, f64 = BRAID_RT_ELEM_F64,
                      bf16 = BRAID_RT_ELEM_BF16;
  if (tiny) {
    for (int64_t size : {16, 32, 48})
      options.gemms.push_back({1, size, size, size, f32});
    options.rmsnorms.push_back({8, 64, f32});
    options.rmsnorms.push_back({32, 256, f32});
    options.softmaxes.push_back({8, 64, 1, f32});
    options.softmaxes.push_back({32, 256, 1, f32});
    for (int64_t n : {1024, 16384}) {
      options.swiglus.push_back({n, f32});
      options.activations.push_back({n, f32});
      options.elementwise.push_back({n, f32});
    }
    options.copies.push_back(64 << 10);
    options.copies.push_back(512 << 10);
    options.attentions.push_back({1, 2, 2, 16, 16, 16, 16, false, f32});
    options.attentions.push_back({1, 2, 1, 32, 32, 16, 16, true, f32});
  } else {
    for (int64_t size : {64, 128, 256, 512})
      options.gemms.push_back({1, size, size, size, f32});
    options.gemms.push_back({1, 256, 1024, 256, f32});
    options.gemms.push_back({1, 1024, 256, 512, f32});
    options.gemms.push_back({1, 64, 1024, 1024, f32});
    for (int64_t size : {128, 256, 512})
      options.gemms.push_back({1, size, size, size, bf16});
    options.gemms.push_back({1, 256, 1024, 256, bf16});
    for (int64_t size : {128, 256, 384})
      options.gemms.push_back({1, size, size, size, f64});
    // Layer kernels per element type programs use (each type has its own
    // fit: narrow types convert on the way in and out).
    for (braid_rt_elem type : {f32, bf16}) {
      for (auto [rows, width] : {std::pair<int64_t, int64_t>{64, 512},
                                 {256, 1024},
                                 {1024, 4096}}) {
        options.rmsnorms.push_back({rows, width, type});
        options.softmaxes.push_back({rows, width, 1, type});
      }
      for (int64_t n :
           {int64_t(1) << 15, int64_t(1) << 18, int64_t(1) << 21}) {
        options.swiglus.push_back({n, type});
        options.activations.push_back({n, type});
      }
      options.attentions.push_back({1, 4, 4, 128, 128, 64, 64, false, type});
      options.attentions.push_back({1, 8, 8, 256, 256, 64, 64, true, type});
    }
    for (int64_t n : {int64_t(1) << 15, int64_t(1) << 18, int64_t(1) << 22})
      options.elementwise.push_back({n, f32});
    // Out of the caches (the source and the copy together exceed a
    // 32 MiB L3): memory_bandwidth is the memory's streaming rate.
    for (int64_t bytes : {int64_t(32) << 20, int64_t(64) << 20,
                          int64_t(128) << 20})
      options.copies.push_back(bytes);
  }
}

/// Collective payloads of the sweep, bytes.
std::vector<int64_t> sweepPayloads(const Options &options) {
  if (options.sweep == "none")
    return {};
  if (options.sweep == "tiny")
    return {1 << 10, 16 << 10, 64 << 10};
  std::vector<int64_t> sizes;
  for (int64_t bytes = 1 << 10; bytes <= (int64_t(16) << 20); bytes *= 4)
    sizes.push_back(bytes);
  return sizes;
}

//===----------------------------------------------------------------------===//
// Measuring
//===----------------------------------------------------------------------===//

[[noreturn]] void abortJob(const std::string &message) {
  std::fprintf(stderr, "braid-calibrate: rank %d: %s\n",
               braid_rt::launch::launchedRank(), message.c_str());
  std::fflush(stderr);
  MPI_Abort(MPI_COMM_WORLD, 1);
  std::exit(1);
}

void check(const Status &status, const std::string &what) {
  if (!status.isOk())
    abortJob(what + ": " + status.toString());
}

void checkKernel(int status, const std::string &what) {
  if (status != BRAID_RT_KERNEL_OK)
    abortJob(what + ": " + braid_rt_kernel_last_error());
}

double seconds(Clock::duration duration) {
  return std::chrono::duration<double>(duration).count();
}

/// Times work the same way on every rank at once.
class Timer {
public:
  Timer(double targetSeconds, int samples)
      : targetSeconds(targetSeconds), samples(samples) {}

  /// The median over samples of the slowest rank's mean time per call of
  /// `body`; every sample starts after a barrier and calls `body` as many
  /// times as fill the target time on the slowest rank.
  double measure(const std::function<void()> &body) const {
    body(); // warm-up: first-touch, caches, connections
    MPI_Barrier(MPI_COMM_WORLD);
    auto start = Clock::now();
    body();
    double once = slowest(seconds(Clock::now() - start));
    int reps = static_cast<int>(
        std::clamp(targetSeconds / std::max(once, 1e-9), 1.0, 20000.0));
    std::vector<double> perCall;
    for (int s = 0; s < samples; ++s) {
      MPI_Barrier(MPI_COMM_WORLD);
      start = Clock::now();
      for (int r = 0; r < reps; ++r)
        body();
      perCall.push_back(slowest(seconds(Clock::now() - start) / reps));
    }
    return median(perCall);
  }

  static double slowest(double mine) {
    double result = 0;
    MPI_Allreduce(&mine, &result, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    return result;
  }

private:
  double targetSeconds;
  int samples;
};

/// A host buffer of `count` elements of `type`, filled with small values
/// (2^-6) so repeated accumulation stays finite in every type.
struct Buffer {
  std::vector<unsigned char> bytes;
  Buffer(int64_t count, braid_rt_elem type) {
    size_t size = braid_rt_elem_size(type);
    bytes.assign(static_cast<size_t>(count) * size, 0);
    for (int64_t i = 0; i < count; ++i) {
      float value = 0.015625f * static_cast<float>(1 + i % 3);
      unsigned char *at = bytes.data() + i * size;
      switch (type) {
      case BRAID_RT_ELEM_F64: {
        double v = value;
        std::memcpy(at, &v, 8);
        break;
      }
      case BRAID_RT_ELEM_BF16: {
        kernels::bf16 v = kernels::bf16FromFloat(value);
        std::memcpy(at, &v, 2);
        break;
      }
      case BRAID_RT_ELEM_F16: {
        kernels::f16 v = kernels::f16FromFloat(value);
        std::memcpy(at, &v, 2);
        break;
      }
      default:
        std::memcpy(at, &value, 4);
      }
    }
  }
  void *data() { return bytes.data(); }
};

/// An emitted element-wise loop: c = a + b, computed in f32 (f64 for f64)
/// and rounded to the type, as the lowering's loops do.
template <typename T>
void addLoop(const void *a, const void *b, void *c, int64_t n) {
  const T *x = static_cast<const T *>(a);
  const T *y = static_cast<const T *>(b);
  T *z = static_cast<T *>(c);
  for (int64_t i = 0; i < n; ++i) {
    if constexpr (std::is_same_v<T, kernels::bf16>)
      z[i] = kernels::bf16FromFloat(kernels::toFloat(x[i]) +
                                    kernels::toFloat(y[i]));
    else if constexpr (std::is_same_v<T, kernels::f16>)
      z[i] = kernels::f16FromFloat(kernels::toFloat(x[i]) +
                                   kernels::toFloat(y[i]));
    else
      z[i] = x[i] + y[i];
  }
}

void elementwiseAdd(braid_rt_elem type, const void *a, const void *b, void *c,
                    int64_t n) {
  switch (type) {
  case BRAID_RT_ELEM_F64:
    return addLoop<double>(a, b, c, n);
  case BRAID_RT_ELEM_BF16:
    return addLoop<kernels::bf16>(a, b, c, n);
  case BRAID_RT_ELEM_F16:
    return addLoop<kernels::f16>(a, b, c, n);
  default:
    return addLoop<float>(a, b, c, n);
  }
}

//===----------------------------------------------------------------------===//
// The cost model's formulas (lib/Analysis/CostModel.cpp), for fitting and
// for the report. Work is counted as the ops' CostOpInterface counts it.
//===----------------------------------------------------------------------===//

struct Model {
  std::map<std::string, double> peak;
  double vectorFlops = 0, memoryBandwidth = 0, memoryEfficiency = 1;
  double gemmEfficiency = 1, gemmOverhead = 0, kernelOverhead = 0;
  int64_t numSMs = 1, tileM = 128, tileN = 128;

  double peakFor(braid_rt_elem type) const {
    auto it = peak.find(braid_rt_elem_name(type));
    if (it != peak.end())
      return it->second;
    it = peak.find("f32");
    return it != peak.end() ? it->second : vectorFlops;
  }
  /// FLOPs the tile model bills on one SM's worth of peak: waves x tile
  /// FLOPs x SMs, so that compute time = billed / (peak x efficiency).
  double billedFlops(const GemmShape &g) const {
    int64_t tiles = (g.m + tileM - 1) / tileM * ((g.n + tileN - 1) / tileN) *
                    g.batch;
    int64_t waves = (tiles + numSMs - 1) / numSMs;
    return static_cast<double>(waves) * 2.0 * tileM * tileN * g.k * numSMs;
  }
  double gemmTime(const GemmShape &g, double bytes) const {
    double compute = billedFlops(g) / (peakFor(g.type) * gemmEfficiency);
    double memory = bytes / (memoryBandwidth * memoryEfficiency);
    return std::max(compute, memory) + gemmOverhead;
  }
  double streamingTime(double bytes, double flops) const {
    double memory = bytes / (memoryBandwidth * memoryEfficiency);
    double compute = vectorFlops > 0 ? flops / vectorFlops : 0;
    return std::max(memory, compute) + kernelOverhead;
  }
  double attentionTime(double flops, double bytes, braid_rt_elem type) const {
    double compute = flops / (peakFor(type) * gemmEfficiency);
    double memory = bytes / (memoryBandwidth * memoryEfficiency);
    return std::max(compute, memory) + gemmOverhead;
  }
};

/// linalg.matmul's boundary bytes: A and B read, C read (accumulated) and
/// written.
double gemmBytes(const GemmShape &g, braid_rt_elem outType) {
  double in = braid_rt_elem_size(g.type), out = braid_rt_elem_size(outType);
  return g.batch * ((g.m * g.k + g.k * g.n) * in + 2.0 * g.m * g.n * out);
}

/// Pairs a query attends (bottom-right aligned causal mask).
double attendedPairs(const AttentionShape &a) {
  if (!a.causal)
    return static_cast<double>(a.qLen) * a.kvLen;
  double pairs = 0;
  for (int64_t i = 0; i < a.qLen; ++i)
    pairs += std::clamp<int64_t>(i + (a.kvLen - a.qLen) + 1, 0, a.kvLen);
  return pairs;
}

/// The ring model's (steps, bandwidth factor) for `kind` over `p` ranks.
std::pair<double, double> ringTerms(Kind kind, int p) {
  double ranks = p;
  switch (kind) {
  case Kind::AllReduce:
    return {2 * (ranks - 1), 2 * (ranks - 1) / ranks};
  case Kind::AllGather:
  case Kind::ReduceScatter:
  case Kind::AllToAll:
    return {ranks - 1, (ranks - 1) / ranks};
  case Kind::Permute:
    return {1, 1};
  case Kind::Broadcast:
    return {ranks - 1, 1};
  }
  return {0, 0};
}

//===----------------------------------------------------------------------===//
// Measurements
//===----------------------------------------------------------------------===//

struct GemmPoint {
  GemmShape shape;
  double seconds;
};
struct KernelPoint {
  /// The op it runs ("braid.rmsnorm"), or "elementwise" / "copy".
  std::string kernel, shape;
  braid_rt_elem type;
  double bytes, flops, seconds;
};
struct AttentionPoint {
  AttentionShape shape;
  double flops, bytes, seconds;
};
struct CollectivePoint {
  Kind kind;
  int group;
  int64_t bytes;
  double seconds;
};

struct Measurements {
  double streamSwitch = 0, collectiveLaunch = 0;
  std::vector<GemmPoint> gemms;
  /// The runtime's layer kernels (fitted each on its own), the emitted
  /// element-wise loops and memcpy (the streaming model's).
  std::vector<KernelPoint> kernels, elementwise, copies;
  std::vector<AttentionPoint> attentions;
  std::vector<CollectivePoint> collectives;
};

std::string typeSuffix(braid_rt_elem type) {
  return std::string(":") + braid_rt_elem_name(type);
}

std::string gemmLabel(const GemmShape &g) {
  std::string text = g.batch > 1 ? std::to_string(g.batch) + "x" : "";
  return text + std::to_string(g.m) + "x" + std::to_string(g.n) + "x" +
         std::to_string(g.k) + typeSuffix(g.type);
}

/// The output type of a GEMM on `type` operands: programs accumulate
/// narrow floats into f32, and f64 into f64.
braid_rt_elem gemmOutType(braid_rt_elem type) {
  return type == BRAID_RT_ELEM_F64 ? BRAID_RT_ELEM_F64 : BRAID_RT_ELEM_F32;
}

void measureCompute(const Options &options, const Timer &timer,
                    Measurements &result) {
  for (const GemmShape &g : options.gemms) {
    braid_rt_elem outType = gemmOutType(g.type);
    Buffer a(g.batch * g.m * g.k, g.type), b(g.batch * g.k * g.n, g.type),
        c(g.batch * g.m * g.n, outType);
    braid_rt_gemm_desc desc = braid_rt_gemm_desc_dense(
        g.batch, g.m, g.n, g.k, g.type, g.type, outType, /*accumulate=*/1);
    double t = timer.measure([&] {
      checkKernel(braid_rt_cpu_gemm(&desc, a.data(), b.data(), c.data(),
                                    BRAID_RT_GEMM_BLAS, nullptr, 0),
                  "gemm " + gemmLabel(g));
    });
    result.gemms.push_back({g, t});
  }
  auto esize = [](braid_rt_elem type) {
    return static_cast<double>(braid_rt_elem_size(type));
  };
  for (const RmsNormShape &r : options.rmsnorms) {
    Buffer x(r.rows * r.width, r.type), w(r.width, r.type),
        y(r.rows * r.width, r.type);
    std::string shape = std::to_string(r.rows) + "x" +
                        std::to_string(r.width) + typeSuffix(r.type);
    double t = timer.measure([&] {
      checkKernel(braid_rt_cpu_rmsnorm(r.type, r.rows, r.width, x.data(),
                                       w.data(), 1e-6f, y.data(),
                                       BRAID_RT_GEMM_BLAS),
                  "rmsnorm " + shape);
    });
    double elements = static_cast<double>(r.rows) * r.width;
    result.kernels.push_back({"braid.rmsnorm", shape, r.type,
                              (2 * elements + r.width) * esize(r.type),
                              4 * elements, t});
  }
  for (const SoftmaxShape &s : options.softmaxes) {
    int64_t n = s.outer * s.extent * s.inner;
    Buffer x(n, s.type), y(n, s.type);
    std::string shape = std::to_string(s.outer) + "x" +
                        std::to_string(s.extent) + "x" +
                        std::to_string(s.inner) + typeSuffix(s.type);
    double t = timer.measure([&] {
      checkKernel(braid_rt_cpu_softmax(s.type, s.outer, s.extent, s.inner,
                                       x.data(), y.data(), BRAID_RT_GEMM_BLAS),
                  "softmax " + shape);
    });
    result.kernels.push_back(
        {"linalg.softmax", shape, s.type, 2.0 * n * esize(s.type), 5.0 * n, t});
  }
  for (const VectorShape &v : options.swiglus) {
    Buffer gate(v.n, v.type), up(v.n, v.type), y(v.n, v.type);
    std::string shape = std::to_string(v.n) + typeSuffix(v.type);
    double t = timer.measure([&] {
      checkKernel(braid_rt_cpu_swiglu(v.type, v.n, gate.data(), up.data(),
                                      y.data(), BRAID_RT_GEMM_BLAS),
                  "swiglu " + shape);
    });
    result.kernels.push_back({"braid.swiglu", shape, v.type,
                              3.0 * v.n * esize(v.type), 6.0 * v.n, t});
  }
  for (const VectorShape &v : options.activations) {
    Buffer x(v.n, v.type), y(v.n, v.type);
    std::string shape = std::to_string(v.n) + typeSuffix(v.type);
    double t = timer.measure([&] {
      checkKernel(braid_rt_cpu_activation(BRAID_RT_ACTIVATION_SILU, v.type,
                                          v.n, x.data(), y.data(),
                                          BRAID_RT_GEMM_BLAS),
                  "activation " + shape);
    });
    result.kernels.push_back({"braid.activation", shape, v.type,
                              2.0 * v.n * esize(v.type), 5.0 * v.n, t});
  }
  for (const VectorShape &v : options.elementwise) {
    Buffer a(v.n, v.type), b(v.n, v.type), c(v.n, v.type);
    std::string shape = std::to_string(v.n) + typeSuffix(v.type);
    double t = timer.measure(
        [&] { elementwiseAdd(v.type, a.data(), b.data(), c.data(), v.n); });
    result.elementwise.push_back({"elementwise", shape, v.type,
                                  3.0 * v.n * esize(v.type), 1.0 * v.n, t});
  }
  for (int64_t bytes : options.copies) {
    std::vector<unsigned char> from(static_cast<size_t>(bytes), 1),
        to(static_cast<size_t>(bytes), 0);
    double t = timer.measure(
        [&] { std::memcpy(to.data(), from.data(), from.size()); });
    // Read and written once: what a copy's cost interface counts.
    result.copies.push_back({"copy", std::to_string(bytes) + " B",
                             BRAID_RT_ELEM_F32, 2.0 * bytes, 0, t});
  }
  for (const AttentionShape &a : options.attentions) {
    Buffer q(a.batch * a.heads * a.qLen * a.headDim, a.type),
        k(a.batch * a.kvHeads * a.kvLen * a.headDim, a.type),
        v(a.batch * a.kvHeads * a.kvLen * a.vHeadDim, a.type),
        out(a.batch * a.heads * a.qLen * a.vHeadDim, a.type);
    braid_rt_attention_desc desc{};
    desc.batch = a.batch;
    desc.heads = a.heads;
    desc.kv_heads = a.kvHeads;
    desc.q_len = a.qLen;
    desc.kv_len = a.kvLen;
    desc.head_dim = a.headDim;
    desc.v_head_dim = a.vHeadDim;
    desc.causal = a.causal;
    desc.type = a.type;
    desc.mask_type = a.type;
    double t = timer.measure([&] {
      checkKernel(braid_rt_cpu_attention(&desc, q.data(), k.data(), v.data(),
                                         nullptr, out.data(),
                                         BRAID_RT_GEMM_BLAS, nullptr, 0),
                  "attention");
    });
    double flops = static_cast<double>(a.batch) * a.heads * attendedPairs(a) *
                   (2 * a.headDim + 5 + 2 * a.vHeadDim);
    double bytes = (q.bytes.size() + k.bytes.size() + v.bytes.size() +
                    out.bytes.size());
    result.attentions.push_back({a, flops, bytes, t});
  }
}

/// Event record on one stream -> wait on another -> the waiting stream's
/// next task runs: the median hand-over on each rank, the slowest rank's.
double measureStreamSwitch(Device &device, int samples) {
  auto producer = std::move(device.createStream("producer", 0).value());
  auto consumer = std::move(device.createStream("consumer", 0).value());
  auto event = std::move(device.createEvent(false).value());
  std::vector<double> handOvers;
  for (int i = 0; i < samples; ++i) {
    // Hold the producer until the consumer already waits, so what is
    // timed is the hand-over, not queueing.
    std::atomic<bool> go{false};
    Clock::time_point marked, ran;
    check(producer->enqueueHost([&go] {
      while (!go.load())
        std::this_thread::yield();
      return Status::ok();
    }),
          "enqueue");
    check(producer->enqueueHost([&marked] {
      marked = Clock::now();
      return Status::ok();
    }),
          "enqueue");
    check(producer->record(*event), "record");
    check(consumer->wait(*event), "wait");
    check(consumer->enqueueHost([&ran] {
      ran = Clock::now();
      return Status::ok();
    }),
          "enqueue");
    std::this_thread::sleep_for(std::chrono::microseconds(20));
    go = true;
    check(consumer->synchronize(), "synchronize");
    check(producer->synchronize(), "synchronize");
    handOvers.push_back(seconds(ran - marked));
  }
  return Timer::slowest(median(handOvers));
}

/// Enqueues one `kind` of `bytes` payload (as the op's CollectiveOpInterface
/// counts it) on `comm`'s stream.
Status enqueueCollective(Kind kind, Communicator &comm, Stream &stream,
                         float *in, float *out, int64_t bytes) {
  size_t count = static_cast<size_t>(bytes) / sizeof(float);
  size_t perRank = count / comm.size();
  switch (kind) {
  case Kind::AllReduce:
    return comm.allReduce(in, out, count, DType::F32, ReduceOp::Sum, stream);
  case Kind::AllGather: // payload: the gathered result
    return comm.allGather(in, out, perRank, DType::F32, stream);
  case Kind::ReduceScatter: // payload: the input
    return comm.reduceScatter(in, out, perRank, DType::F32, ReduceOp::Sum,
                              stream);
  case Kind::AllToAll:
    return comm.allToAll(in, out, perRank, DType::F32, stream);
  case Kind::Permute: { // a ring shift by one
    int p = comm.size(), r = comm.rank();
    return comm.sendRecv(
        {{PeerTransfer::Kind::Send, (r + 1) % p, in, count, DType::F32},
         {PeerTransfer::Kind::Recv, (r + p - 1) % p, out, count, DType::F32}},
        stream);
  }
  case Kind::Broadcast:
    return comm.broadcast(in, out, count, DType::F32, 0, stream);
  }
  return Status::ok();
}

void measureCollectives(Context &ctx, const Options &options,
                        const Timer &timer, Measurements &result,
                        std::vector<std::string> &skipped) {
  int np = ctx.size();
  std::vector<int64_t> payloads = sweepPayloads(options);
  std::map<std::pair<Kind, int>, std::set<int64_t>> plan;
  for (int group = 2; group <= np; ++group) {
    if (np % group)
      continue;
    for (Kind kind : kKinds)
      for (int64_t bytes : payloads)
        plan[{kind, group}].insert(bytes);
  }
  for (const CollectiveRequest &request : options.collectives) {
    if (request.group > np || np % request.group) {
      skipped.push_back(std::string(kindName(request.kind)) + " of " +
                        std::to_string(request.bytes) + " B over " +
                        std::to_string(request.group) +
                        " ranks: groups of that size do not tile " +
                        std::to_string(np) + " ranks");
      continue;
    }
    plan[{request.kind, request.group}].insert(request.bytes);
  }
  int64_t largest = 0;
  for (const auto &entry : plan)
    for (int64_t bytes : entry.second)
      largest = std::max(largest, bytes);
  std::vector<float> in(static_cast<size_t>(largest / 4 + np), 1.0f),
      out(in.size(), 0.0f);
  for (const auto &[key, sizes] : plan) {
    auto [kind, group] = key;
    // Every group of `group` consecutive ranks at once: a grid
    // [np / group, group] and its axis 1.
    Communicator *comm =
        ctx.gridCommunicator({np / group, group}, {}, {1}).value();
    Stream *stream = ctx.communicatorStream(*comm).value();
    // The first operations of a kind on a communicator set up connections
    // and scratch: not part of any measurement.
    for (int i = 0; i < 3; ++i) {
      int64_t unit = 4 * group;
      check(enqueueCollective(kind, *comm, *stream, in.data(), out.data(),
                              std::max(unit, *sizes.rbegin() / unit * unit)),
            kindName(kind));
      check(stream->synchronize(), kindName(kind));
    }
    for (int64_t requested : sizes) {
      // Whole elements for every member.
      int64_t unit = 4 * group;
      int64_t bytes = std::max(unit, requested / unit * unit);
      double t = timer.measure([&] {
        check(enqueueCollective(kind, *comm, *stream, in.data(), out.data(),
                                bytes),
              kindName(kind));
        check(stream->synchronize(), kindName(kind));
      });
      result.collectives.push_back({kind, group, bytes, t});
    }
  }
  // The host's cost of issuing a collective: the enqueue call alone.
  Communicator &world = ctx.world();
  Stream *stream = ctx.communicatorStream(world).value();
  std::vector<double> issues;
  for (int i = 0; i < 200; ++i) {
    auto start = Clock::now();
    check(world.allReduce(in.data(), out.data(), 1, DType::F32, ReduceOp::Sum,
                          *stream),
          "all_reduce");
    issues.push_back(seconds(Clock::now() - start));
    check(stream->synchronize(), "all_reduce");
  }
  result.collectiveLaunch = Timer::slowest(median(issues));
}

//===----------------------------------------------------------------------===//
// The profile
//===----------------------------------------------------------------------===//

std::string utcNow() {
  std::time_t now = std::time(nullptr);
  char text[64];
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%MZ", std::gmtime(&now));
  return text;
}

std::string describeMachine() {
  char host[256] = "unknown";
  gethostname(host, sizeof(host) - 1);
  std::string cpu = "unknown CPU";
  std::ifstream info("/proc/cpuinfo");
  std::string line;
  while (std::getline(info, line))
    if (line.rfind("model name", 0) == 0) {
      size_t colon = line.find(':');
      cpu = line.substr(colon + 1);
      cpu.erase(0, cpu.find_first_not_of(' '));
      break;
    }
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  return std::string(host) + " (" + cpu + ", " + std::to_string(cores) +
         " cores)";
}

std::string format(const char *pattern, double value) {
  char text[64];
  std::snprintf(text, sizeof(text), pattern, value);
  return text;
}

std::string bytesText(int64_t bytes) {
  if (bytes >= (1 << 20) && bytes % (1 << 20) == 0)
    return std::to_string(bytes >> 20) + " MiB";
  if (bytes >= 1024 && bytes % 1024 == 0)
    return std::to_string(bytes >> 10) + " KiB";
  return std::to_string(bytes) + " B";
}

/// Reads the base profile and the numbers the fits need from it.
json::Value readBase(const std::string &nameOrPath, std::string &path) {
  path = nameOrPath;
  bool isPath = nameOrPath.find('/') != std::string::npos ||
                (nameOrPath.size() > 5 &&
                 nameOrPath.compare(nameOrPath.size() - 5, 5, ".json") == 0);
  if (!isPath)
    path = std::string(BRAID_CALIBRATE_PROFILE_DIR) + "/" + nameOrPath +
           ".json";
  std::ifstream file(path);
  if (!file)
    usageError("--base: cannot read '" + path + "'");
  std::stringstream text;
  text << file.rdbuf();
  json::Value root;
  std::string error;
  if (!json::parse(text.str(), root, error) || !root.isObject())
    usageError("--base: '" + path + "': " +
               (error.empty() ? "not a JSON object" : error));
  return root;
}

double numberAt(const json::Value &root, std::initializer_list<const char *>
                                             keys,
                const std::string &path) {
  const json::Value *at = &root;
  std::string where;
  for (const char *key : keys) {
    where += (where.empty() ? "" : ".") + std::string(key);
    at = at->find(key);
    if (!at)
      usageError("--base: '" + path + "' has no '" + where + "'");
  }
  const json::Value *value = at->find("value");
  if (!value || !value->isNumber())
    usageError("--base: '" + path + "': '" + where + ".value' is not a number");
  return value->number();
}

Model modelOf(const json::Value &base, const std::string &path) {
  Model model;
  if (const json::Value *peaks =
          base.find("compute") ? base.find("compute")->find("peak_flops")
                               : nullptr)
    for (const auto &[type, entry] : peaks->members())
      if (const json::Value *value = entry.find("value"))
        model.peak[type] = value->number();
  model.vectorFlops = numberAt(base, {"compute", "vector_flops"}, path);
  model.memoryBandwidth =
      numberAt(base, {"compute", "memory_bandwidth"}, path);
  model.memoryEfficiency =
      numberAt(base, {"compute", "memory_efficiency"}, path);
  model.numSMs = static_cast<int64_t>(
      numberAt(base, {"compute", "num_sms"}, path));
  model.tileM = static_cast<int64_t>(
      numberAt(base, {"compute", "gemm_tile_m"}, path));
  model.tileN = static_cast<int64_t>(
      numberAt(base, {"compute", "gemm_tile_n"}, path));
  model.gemmEfficiency =
      numberAt(base, {"compute", "gemm_efficiency"}, path);
  model.gemmOverhead = numberAt(base, {"compute", "gemm_overhead"}, path);
  model.kernelOverhead =
      numberAt(base, {"compute", "kernel_overhead"}, path);
  if (model.numSMs < 1 || model.tileM < 1 || model.tileN < 1)
    usageError("--base: '" + path + "': num_sms and the GEMM tile must be "
               "positive");
  return model;
}

/// The base profile, every number first marked as kept from it, then
/// overwritten by what was measured.
class ProfileWriter {
public:
  ProfileWriter(json::Value base, std::string baseName, std::string where)
      : root(std::move(base)), baseName(std::move(baseName)),
        where(std::move(where)) {
    markKept(root);
  }

  /// Sets `entry` to a measured value.
  void measured(json::Value &entry, double value, const std::string &what) {
    entry = json::Value::object();
    entry["value"] = value;
    entry["source"] = "measured: " + what + " on " + where;
  }

  json::Value root;

private:
  void markKept(json::Value &value) {
    if (!value.isObject())
      return;
    json::Value *source = value.find("source");
    if (value.find("value") && source && source->isString()) {
      if (source->string().rfind("not measured by braid-calibrate", 0) != 0)
        *source = "not measured by braid-calibrate (kept from " + baseName +
                  "): " + source->string();
      return;
    }
    for (auto &member : value.members())
      markKept(member.second);
  }

  std::string baseName, where;
};

std::string withNp(const std::string &text, int np) {
  return text + " (" + std::to_string(np) + (np == 1 ? " rank" : " ranks") +
         " at once)";
}

/// `seconds = latency + work / rate` over (work, seconds) points by
/// relative least squares; with a single work size, the rate through the
/// origin. The slope is kept above 1e-16 s per unit (a flat curve has no
/// measurable rate). Returns the line and how it was found.
std::pair<Line, std::string>
fitWork(const std::vector<std::pair<double, double>> &points) {
  std::vector<double> sizes, times;
  for (auto [size, time] : points) {
    sizes.push_back(size);
    times.push_back(time);
  }
  if (std::optional<Line> line = fitLine(sizes, times, 1e-16))
    return {*line, "least squares"};
  double work = 0, time = 0;
  for (auto [size, seconds] : points) {
    work += size;
    time += seconds;
  }
  return {Line{0, std::max(time / work, 1e-16)},
          "one size only: the rate through the origin instead"};
}

int writeProfile(const Options &options, int np, const Measurements &m,
                 const std::vector<std::string> &skipped) {
  std::string basePath;
  json::Value base = readBase(options.base, basePath);
  Model before = modelOf(base, basePath);
  std::string baseName =
      base.find("name") && base.find("name")->isString()
          ? base.find("name")->string()
          : options.base;
  std::string date = utcNow();
  std::string machine =
      options.machine.empty() ? describeMachine() : options.machine;
  ProfileWriter writer(base, baseName, machine + ", " + date);
  json::Value &root = writer.root;
  std::string name =
      options.name.empty() ? baseName + "-calibrated" : options.name;
  root["name"] = name;
  std::string description =
      root.find("description") && root.find("description")->isString()
          ? root.find("description")->string()
          : "";
  root["description"] = description + (description.empty() ? "" : "; ") +
                        "calibrated by braid-calibrate on " + machine +
                        " at " + std::to_string(np) + " ranks, " + date;
  json::Value &compute = root["compute"];
  json::Value &peaks = compute["peak_flops"];
  Model after = before;

  std::printf("braid-calibrate: %d %s on %s, %s; base profile %s\n", np,
              np == 1 ? "rank" : "ranks", machine.c_str(), date.c_str(),
              basePath.c_str());
  // Other work on the machine shows in every number: say how much there was.
  std::ifstream loadavg("/proc/loadavg");
  double load1 = -1, load5 = -1;
  if (loadavg >> load1 >> load5)
    std::printf("load average when done: %.2f (1 min), %.2f (5 min) on %ld "
                "cores\n",
                load1, load5, sysconf(_SC_NPROCESSORS_ONLN));
  for (const std::string &file : options.shapeFiles)
    std::printf("shapes from %s\n", file.c_str());

  // Memory streaming: the copy rate is the bandwidth.
  if (!m.copies.empty()) {
    std::vector<double> sizes, times;
    for (const KernelPoint &p : m.copies) {
      sizes.push_back(p.bytes);
      times.push_back(p.seconds);
    }
    std::optional<Line> line = fitLine(sizes, times, 1e-15);
    double bandwidth =
        line ? 1 / line->slope : m.copies.back().bytes / m.copies.back().seconds;
    writer.measured(compute["memory_bandwidth"], bandwidth,
                    withNp("memcpy of " + std::to_string(m.copies.size()) +
                               " sizes, bytes read + written over time" +
                               (line ? " (least squares, intercept " +
                                           format("%.2f", line->intercept * 1e6) +
                                           " us)"
                                     : ""),
                           np));
    after.memoryBandwidth = bandwidth;
  }

  // GEMMs: one sustained rate per element type and one overhead, in the
  // tile model's terms; the efficiency is folded into the rates.
  if (!m.gemms.empty()) {
    std::vector<std::string> types;
    for (const GemmPoint &p : m.gemms) {
      std::string type = braid_rt_elem_name(p.shape.type);
      if (std::find(types.begin(), types.end(), type) == types.end())
        types.push_back(type);
    }
    auto solve = [&](bool withOverhead) {
      std::vector<std::vector<double>> rows;
      std::vector<double> times;
      for (const GemmPoint &p : m.gemms) {
        std::vector<double> row(types.size() + (withOverhead ? 1 : 0), 0);
        size_t column =
            std::find(types.begin(), types.end(),
                      braid_rt_elem_name(p.shape.type)) -
            types.begin();
        row[column] = before.billedFlops(p.shape);
        if (withOverhead)
          row.back() = 1;
        rows.push_back(row);
        times.push_back(p.seconds);
      }
      return relativeLeastSquares(rows, times);
    };
    std::optional<std::vector<double>> x = solve(true);
    double overhead = 0;
    if (x && x->back() >= 0) {
      overhead = x->back();
    } else {
      x = solve(false);
    }
    bool valid = x.has_value();
    for (size_t i = 0; valid && i < types.size(); ++i)
      valid = (*x)[i] > 0;
    if (valid) {
      std::map<std::string, int> counts;
      for (const GemmPoint &p : m.gemms)
        ++counts[braid_rt_elem_name(p.shape.type)];
      for (size_t i = 0; i < types.size(); ++i) {
        double rate = 1 / (*x)[i];
        writer.measured(
            peaks[types[i]], rate,
            withNp("sustained runtime GEMM rate (OpenBLAS) fitted over " +
                       std::to_string(counts[types[i]]) + " " + types[i] +
                       " shapes in the tile model (waves x tile FLOPs / "
                       "rate + overhead); gemm_efficiency is 1",
                   np));
        after.peak[types[i]] = rate;
      }
      // Types the sweep did not run keep their effective rate.
      for (auto &[type, entry] : peaks.members())
        if (std::find(types.begin(), types.end(), type) == types.end()) {
          double rate = before.peak[type] * before.gemmEfficiency;
          entry["value"] = rate;
          entry["source"] =
              "not measured by braid-calibrate (no " + type +
              " GEMM in the sweep): " + baseName +
              "'s peak x its gemm_efficiency " +
              format("%g", before.gemmEfficiency) +
              ", since the calibrated efficiency is 1";
          after.peak[type] = rate;
        }
      writer.measured(compute["gemm_efficiency"], 1.0,
                      "1 by construction: peak_flops are the fitted "
                      "sustained rates of " +
                          std::to_string(m.gemms.size()) + " GEMM shapes");
      writer.measured(compute["gemm_overhead"], overhead,
                      withNp("intercept of the GEMM fit over " +
                                 std::to_string(m.gemms.size()) + " shapes",
                             np));
      after.gemmEfficiency = 1;
      after.gemmOverhead = overhead;
    }
  }

  // Emitted element-wise loops: the streaming model's efficiency, vector
  // rate and launch overhead.
  if (!m.elementwise.empty()) {
    std::vector<StreamingPoint> points;
    for (const KernelPoint &p : m.elementwise)
      points.push_back({p.bytes, p.flops, p.seconds});
    if (std::optional<StreamingFit> fit = fitStreaming(
            points, after.memoryBandwidth, before.vectorFlops)) {
      std::string over =
          withNp(std::to_string(m.elementwise.size()) +
                     " element-wise loop runs (c = a + b as emitted)",
                 np);
      writer.measured(compute["memory_efficiency"], fit->efficiency,
                      "fitted over " + over + " against memory_bandwidth" +
                          (fit->efficiency > 1
                               ? " (above 1: the loops run from cache "
                                 "faster than memcpy streams out of memory)"
                               : ""));
      if (fit->computeBoundSeen)
        writer.measured(compute["vector_flops"], fit->vectorFlops,
                        "fitted over " + over);
      else if (fit->vectorFlopsRaised)
        writer.measured(compute["vector_flops"], fit->vectorFlops,
                        "lower bound from " + over +
                            ": the smallest rate that keeps them "
                            "memory-bound (they are), above " + baseName +
                            "'s value");
      writer.measured(compute["kernel_overhead"], fit->overhead,
                      "intercept fitted over " + over);
      after.memoryEfficiency = fit->efficiency;
      after.vectorFlops = fit->vectorFlops;
      after.kernelOverhead = fit->overhead;
    }
  }

  // The runtime's layer kernels, each on its own per element type:
  // latency + bytes / bandwidth (attention: + FLOPs / rate).
  std::map<std::pair<std::string, std::string>, Line> kernelFits;
  {
    std::map<std::pair<std::string, std::string>,
             std::vector<std::pair<double, double>>>
        work;
    for (const KernelPoint &p : m.kernels)
      work[{p.kernel, braid_rt_elem_name(p.type)}].push_back(
          {p.bytes, p.seconds});
    for (const AttentionPoint &p : m.attentions)
      work[{"braid.attention", braid_rt_elem_name(p.shape.type)}].push_back(
          {p.flops, p.seconds});
    json::Value fits = json::Value::object();
    for (const auto &[key, points] : work) {
      auto [fit, how] = fitWork(points);
      kernelFits[key] = fit;
      bool byFlops = key.first == "braid.attention";
      std::string what = withNp(
          key.first + " on " + key.second + ", " +
              std::to_string(points.size()) + " sizes, " + how +
              (byFlops ? " of latency + FLOPs / flop_rate"
                       : " of latency + bytes / bandwidth") +
              " (bytes and FLOPs as the op's cost interface counts them)",
          np);
      json::Value &entry = fits[key.first][key.second];
      writer.measured(entry["latency"], fit.intercept, what);
      writer.measured(entry[byFlops ? "flop_rate" : "bandwidth"],
                      1 / fit.slope, what);
    }
    if (!fits.members().empty())
      compute["kernels"] = fits;
  }

  // Links.
  json::Value &links = root["links"];
  writer.measured(links["collective_launch"], m.collectiveLaunch,
                  withNp("host time of one collective's enqueue call "
                         "(median of 200, MPI engine)",
                         np));
  std::map<std::pair<Kind, int>, std::vector<const CollectivePoint *>> byKey;
  for (const CollectivePoint &p : m.collectives)
    byKey[{p.kind, p.group}].push_back(&p);
  json::Value fits = json::Value::object();
  std::map<std::pair<Kind, int>, Line> fitted;
  for (const auto &[key, points] : byKey) {
    std::vector<std::pair<double, double>> work;
    for (const CollectivePoint *p : points)
      work.push_back({static_cast<double>(p->bytes), p->seconds});
    auto [line, how] = fitWork(work);
    fitted[key] = line;
    std::string what =
        std::string(kindName(key.first)) + " over groups of " +
        std::to_string(key.second) + ", " + std::to_string(points.size()) +
        " payloads " + bytesText(points.front()->bytes) + "-" +
        bytesText(points.back()->bytes) + ", " + how +
        " of latency + bytes / bandwidth, MPI engine, " + std::to_string(np) +
        " ranks";
    json::Value &fit = fits[kindName(key.first)][std::to_string(key.second)];
    writer.measured(fit["latency"], line.intercept, what);
    writer.measured(fit["bandwidth"], 1 / line.slope, what);
  }
  // The generic alpha-beta of the link, for groups and collectives not
  // measured: (t - launch) = steps x alpha + factor x bytes / beta over
  // every point.
  std::optional<std::pair<double, double>> alphaBeta;
  {
    std::vector<std::vector<double>> rows;
    std::vector<double> times;
    for (const CollectivePoint &p : m.collectives) {
      auto [steps, factor] = ringTerms(p.kind, p.group);
      double t = p.seconds - m.collectiveLaunch;
      if (t <= 0)
        continue;
      rows.push_back({steps, factor * p.bytes});
      times.push_back(t);
    }
    std::optional<std::vector<double>> x = relativeLeastSquares(rows, times);
    if (x && (*x)[0] < 0) {
      for (std::vector<double> &row : rows)
        row.erase(row.begin());
      x = relativeLeastSquares(rows, times);
      if (x)
        x->insert(x->begin(), 0.0);
    }
    if (x)
      alphaBeta = std::pair<double, double>{
          (*x)[0], 1 / std::max((*x)[1], 1e-13)};
  }
  std::vector<std::string> linkNames;
  if (options.link != "inter_node")
    linkNames.push_back("intra_node");
  if (options.link != "intra_node")
    linkNames.push_back("inter_node");
  for (const std::string &linkName : linkNames) {
    json::Value &link = links[linkName];
    if (alphaBeta) {
      std::string what =
          withNp("ring model (steps x alpha + factor x bytes / beta) fitted "
                 "by least squares over " +
                     std::to_string(m.collectives.size()) +
                     " collective runs of every kind and group size, "
                     "collective_launch subtracted",
                 np);
      writer.measured(link["step_latency"], alphaBeta->first, what);
      writer.measured(link["bus_bandwidth"], alphaBeta->second, what);
    }
    if (!fits.members().empty())
      link["collectives"] = fits;
  }

  // Policies: the stream switch. (A new member of root may move the
  // others: the references to compute and links end here.)
  json::Value &policies = root["policies"];
  writer.measured(policies["stream_switch_cost"], m.streamSwitch,
                  withNp("event record on one stream -> wait on another -> "
                         "its next task runs (median hand-over)",
                         np));

  std::string temporary = options.out + ".tmp";
  {
    std::ofstream file(temporary);
    file << json::write(root);
    if (!file) {
      std::fprintf(stderr, "braid-calibrate: cannot write '%s'\n",
                   temporary.c_str());
      return 1;
    }
  }
  if (std::rename(temporary.c_str(), options.out.c_str()) != 0) {
    std::fprintf(stderr, "braid-calibrate: cannot write '%s'\n",
                 options.out.c_str());
    return 1;
  }

  // The report: every measurement next to the calibrated model.
  auto error = [](double model, double measured) {
    return format("%+.1f%%", 100 * (model - measured) / measured);
  };
  std::printf("\n## stream switch (record -> wait -> run): %.2f us\n",
              m.streamSwitch * 1e6);
  std::printf("## collective issue (enqueue call): %.2f us\n",
              m.collectiveLaunch * 1e6);
  if (!m.gemms.empty()) {
    std::printf("\n## GEMM (runtime, all ranks at once; slowest rank, "
                "median)\n%-22s %12s %10s %12s %8s\n",
                "shape", "measured_us", "GFLOP/s", "model_us", "error");
    for (const GemmPoint &p : m.gemms) {
      double model =
          after.gemmTime(p.shape, gemmBytes(p.shape, gemmOutType(p.shape.type)));
      double flops = 2.0 * p.shape.batch * p.shape.m * p.shape.n * p.shape.k;
      std::printf("%-22s %12.2f %10.2f %12.2f %8s\n",
                  gemmLabel(p.shape).c_str(), p.seconds * 1e6,
                  flops / p.seconds / 1e9, model * 1e6,
                  error(model, p.seconds).c_str());
    }
  }
  if (!m.kernels.empty() || !m.elementwise.empty() || !m.copies.empty()) {
    std::printf("\n## kernels and memory\n%-17s %-20s %12s %10s %12s %8s\n",
                "kernel", "shape", "measured_us", "GB/s", "model_us",
                "error");
    for (const std::vector<KernelPoint> *list :
         {&m.kernels, &m.elementwise, &m.copies})
      for (const KernelPoint &p : *list) {
        double model = after.streamingTime(p.bytes, p.flops);
        auto fit = kernelFits.find({p.kernel, braid_rt_elem_name(p.type)});
        if (fit != kernelFits.end())
          model = fit->second.intercept + p.bytes * fit->second.slope;
        else if (p.kernel == "copy")
          model = p.bytes / after.memoryBandwidth;
        std::printf("%-17s %-20s %12.2f %10.2f %12.2f %8s\n",
                    p.kernel.c_str(), p.shape.c_str(), p.seconds * 1e6,
                    p.bytes / p.seconds / 1e9, model * 1e6,
                    error(model, p.seconds).c_str());
      }
  }
  if (!m.attentions.empty()) {
    std::printf("\n## attention (fitted per element type; gemm_model_us: "
                "at the GEMM rate, without the fit)\n"
                "%-30s %12s %10s %12s %8s %14s\n",
                "shape", "measured_us", "GFLOP/s", "model_us", "error",
                "gemm_model_us");
    for (const AttentionPoint &p : m.attentions) {
      const AttentionShape &a = p.shape;
      std::string shape = std::to_string(a.batch) + "x" +
                          std::to_string(a.heads) + "x" +
                          std::to_string(a.kvHeads) + "x" +
                          std::to_string(a.qLen) + "x" +
                          std::to_string(a.kvLen) + "x" +
                          std::to_string(a.headDim) + "x" +
                          std::to_string(a.vHeadDim) + typeSuffix(a.type) +
                          (a.causal ? ":causal" : "");
      double gemmModel = after.attentionTime(p.flops, p.bytes, a.type);
      const Line &fit =
          kernelFits[{"braid.attention", braid_rt_elem_name(a.type)}];
      double model = fit.intercept + p.flops * fit.slope;
      std::printf("%-30s %12.2f %10.2f %12.2f %8s %14.2f\n", shape.c_str(),
                  p.seconds * 1e6, p.flops / p.seconds / 1e9, model * 1e6,
                  error(model, p.seconds).c_str(), gemmModel * 1e6);
    }
  }
  if (!m.collectives.empty()) {
    std::printf("\n## collectives (MPI engine; slowest rank, median)\n"
                "%-19s %5s %10s %12s %10s %12s %8s %12s %8s\n",
                "op", "group", "bytes", "measured_us", "algbw_GB/s",
                "fit_us", "error", "ring_us", "error");
    for (const CollectivePoint &p : m.collectives) {
      const Line &line = fitted[{p.kind, p.group}];
      double fit = line.intercept + p.bytes * line.slope;
      std::string ring = "-", ringError = "-";
      if (alphaBeta) {
        auto [steps, factor] = ringTerms(p.kind, p.group);
        double t = m.collectiveLaunch + steps * alphaBeta->first +
                   factor * p.bytes / alphaBeta->second;
        ring = format("%.2f", t * 1e6);
        ringError = error(t, p.seconds);
      }
      std::printf("%-19s %5d %10lld %12.2f %10.3f %12.2f %8s %12s %8s\n",
                  kindName(p.kind), p.group,
                  static_cast<long long>(p.bytes), p.seconds * 1e6,
                  p.bytes / p.seconds / 1e9, fit * 1e6,
                  error(fit, p.seconds).c_str(), ring.c_str(),
                  ringError.c_str());
    }
    std::printf("\n%-19s %5s %12s %14s\n", "fit", "group", "latency_us",
                "bandwidth_GB/s");
    for (const auto &[key, line] : fitted)
      std::printf("%-19s %5d %12.2f %14.3f\n", kindName(key.first),
                  key.second, line.intercept * 1e6, 1 / line.slope / 1e9);
    if (alphaBeta)
      std::printf("%-19s %5s %12.2f %14.3f  (step latency, bus bandwidth)\n",
                  "ring model", "all", alphaBeta->first * 1e6,
                  alphaBeta->second / 1e9);
  }
  for (const std::string &line : skipped)
    std::printf("skipped: %s\n", line.c_str());
  std::printf("\nbraid-calibrate: wrote %s (profile '%s')\n",
              options.out.c_str(), name.c_str());
  return 0;
}

int runRank(const Options &options, int argc, char **argv) {
  auto context = initMpiContext(&argc, &argv);
  if (!context.status().isOk()) {
    std::fprintf(stderr, "braid-calibrate: rank %d: %s\n",
                 braid_rt::launch::launchedRank(),
                 context.status().toString().c_str());
    return 1;
  }
  Context &ctx = *context.value();
  bool tiny = options.sweep == "tiny";
  int samples = options.samples ? options.samples : tiny ? 5 : 7;
  Timer timer(tiny ? 2e-4 : 5e-3, samples);
  Measurements m;
  std::vector<std::string> skipped;
  m.streamSwitch = measureStreamSwitch(ctx.device(), tiny ? 200 : 2000);
  measureCollectives(ctx, options, timer, m, skipped);
  measureCompute(options, timer, m);
  int status = 0;
  if (ctx.rank() == 0)
    status = writeProfile(options, ctx.size(), m, skipped);
  std::fflush(stdout);
  // Every rank leaves with rank 0's status.
  MPI_Bcast(&status, 1, MPI_INT, 0, MPI_COMM_WORLD);
  return status;
}

} // namespace

int main(int argc, char **argv) {
  Options options;
  applyArguments(std::vector<std::string>(argv + 1, argv + argc), options,
                 /*fromFile=*/false);
  addSweep(options);
  if (!braid_rt::launch::insideLaunch()) {
    // Fail on a bad base profile before starting any rank.
    std::string path;
    modelOf(readBase(options.base, path), path);
    braid_rt::launch::Relaunch launch;
    launch.np = options.np;
    launch.timeoutSeconds = options.timeout;
    launch.mpirun = options.mpirun;
    int code = braid_rt::launch::relaunchUnderMpirun("braid-calibrate", launch,
                                                     argc, argv);
    if (code == 0)
      return 0;
    if (braid_rt::launch::timedOut(code))
      std::fprintf(stderr,
                   "braid-calibrate: the ranks did not finish within %s s "
                   "(--timeout); stopped\n",
                   braid_rt::launch::formatSeconds(options.timeout).c_str());
    else
      std::fprintf(stderr,
                   "braid-calibrate: the calibration failed (launcher exit "
                   "status %d)\n",
                   code);
    return 1;
  }
  return runRank(options, argc, argv);
}
