//===- BraidRun.cpp - run a compiled Braid program on MPI ranks -----------===//
//
//   braid-run ARTIFACT.so --np N [--inputs DIR] [--output-dir DIR]
//             [--iters K] [--warmup W] [--trace FILE] [--timeout S]
//             [--mpirun PATH] [--seed S]
//
// Parent mode (not inside an mpirun/srun launch): reads the artifact's
// descriptor without initialising MPI, checks --np and the inputs, then runs
// `timeout mpirun ... braid-run <same arguments>` and waits for it, removing
// the staging directory of a failed run; the launcher is --mpirun, else
// $BRAID_MPIRUN (bench/net/shaped-link.sh sets it), else mpirun. Rank mode
// (inside a launch): creates the program, runs W warm-up and K timed steps,
// and writes results only when every rank succeeded (staged, then renamed
// into place by rank 0).
//
// Links no part of the runtime: the artifact carries its own copy, reached
// through dlopen (braid_program.h).
//
//===----------------------------------------------------------------------===//

#include "braid_rt/braid_program.h"

#include "Launch.h"
#include "Npy.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <dlfcn.h>
#include <random>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

using braid_rt::npy::NpyArray;

namespace {

//===----------------------------------------------------------------------===//
// Options
//===----------------------------------------------------------------------===//

struct Options {
  std::string artifact;
  int np = 0; // 0: the descriptor's world size
  std::string inputs, outputDir, trace;
  int iters = 5, warmup = 1;
  double timeout = 300;
  std::string mpirun = braid_rt::launch::defaultLauncher();
  uint64_t seed = 0;
};

const char *kUsage =
    "usage: braid-run ARTIFACT.so --np N [--inputs DIR] [--output-dir DIR]\n"
    "                 [--iters K] [--warmup W] [--trace FILE] [--timeout S]\n"
    "                 [--mpirun PATH] [--seed S]\n"
    "  --mpirun defaults to $BRAID_MPIRUN where set, else mpirun\n";

[[noreturn]] void usageError(const std::string &message) {
  std::fprintf(stderr, "braid-run: %s\n%s", message.c_str(), kUsage);
  std::exit(1);
}

long parseInteger(const std::string &option, const std::string &text,
                  long minimum) {
  char *end = nullptr;
  errno = 0;
  long value = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end || errno || value < minimum)
    usageError(option + " needs an integer >= " + std::to_string(minimum) +
               ", not '" + text + "'");
  return value;
}

Options parseOptions(int argc, char **argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string value;
    bool hasValue = false;
    size_t equals = arg.find('=');
    if (arg.rfind("--", 0) == 0 && equals != std::string::npos) {
      value = arg.substr(equals + 1);
      arg = arg.substr(0, equals);
      hasValue = true;
    }
    auto next = [&]() -> std::string {
      if (hasValue)
        return value;
      if (i + 1 >= argc)
        usageError(arg + " needs a value");
      return argv[++i];
    };
    if (arg == "--np")
      options.np = static_cast<int>(parseInteger(arg, next(), 1));
    else if (arg == "--inputs")
      options.inputs = next();
    else if (arg == "--output-dir")
      options.outputDir = next();
    else if (arg == "--iters")
      options.iters = static_cast<int>(parseInteger(arg, next(), 1));
    else if (arg == "--warmup")
      options.warmup = static_cast<int>(parseInteger(arg, next(), 0));
    else if (arg == "--trace")
      options.trace = next();
    else if (arg == "--timeout") {
      std::string text = next();
      char *end = nullptr;
      options.timeout = std::strtod(text.c_str(), &end);
      if (text.empty() || *end || !(options.timeout > 0))
        usageError("--timeout needs a positive number of seconds, not '" +
                   text + "'");
    } else if (arg == "--mpirun")
      options.mpirun = next();
    else if (arg == "--seed")
      options.seed = static_cast<uint64_t>(parseInteger(arg, next(), 0));
    else if (arg == "-h" || arg == "--help") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    } else if (arg.rfind("-", 0) == 0)
      usageError("unknown option '" + arg + "'");
    else if (options.artifact.empty())
      options.artifact = arg;
    else
      usageError("more than one artifact: '" + options.artifact + "' and '" +
                 arg + "'");
  }
  if (options.artifact.empty())
    usageError("no artifact given");
  return options;
}

//===----------------------------------------------------------------------===//
// The artifact
//===----------------------------------------------------------------------===//

/// The functions of braid_program.h, looked up in the artifact.
struct Artifact {
  void *handle = nullptr;
  const braid_program_desc *desc = nullptr;
  const char *(*lastError)(void) = nullptr;
  braid_rt_status (*createMpi)(int *, char ***, braid_program **) = nullptr;
  braid_rt_status (*destroy)(braid_program *) = nullptr;
  braid_rt_status (*rank)(const braid_program *, int *, int *) = nullptr;
  braid_rt_status (*step)(braid_program *, const void *const *,
                          void *const *) = nullptr;
  braid_rt_status (*barrier)(braid_program *) = nullptr;
  braid_rt_status (*maxOverRanks)(braid_program *, double *) = nullptr;
  braid_rt_status (*setTracing)(braid_program *, int) = nullptr;
  braid_rt_status (*writeTrace)(braid_program *, const char *) = nullptr;
};

template <typename Fn>
bool lookUp(void *handle, const char *name, Fn &fn, std::string &error) {
  fn = reinterpret_cast<Fn>(dlsym(handle, name));
  if (!fn)
    error = std::string("it does not export ") + name +
            " (not a Braid artifact, or one of another ABI)";
  return fn != nullptr;
}

bool loadArtifact(const std::string &path, Artifact &artifact,
                  std::string &error) {
  // The artifact carries its own runtime; RTLD_GLOBAL lets MPI's plugins
  // (loaded later by libmpi) find libmpi's symbols. A name without a slash
  // is a file here, not a library for dlopen to search the library path
  // for.
  std::string file =
      path.find('/') == std::string::npos ? "./" + path : path;
  artifact.handle = dlopen(file.c_str(), RTLD_NOW | RTLD_GLOBAL);
  if (!artifact.handle) {
    const char *why = dlerror();
    error = why ? why : "dlopen failed";
    return false;
  }
  const braid_program_desc *(*getDesc)(void) = nullptr;
  void *h = artifact.handle;
  if (!lookUp(h, "braid_program_get_desc", getDesc, error) ||
      !lookUp(h, "braid_program_last_error", artifact.lastError, error) ||
      !lookUp(h, "braid_program_create_mpi", artifact.createMpi, error) ||
      !lookUp(h, "braid_program_destroy", artifact.destroy, error) ||
      !lookUp(h, "braid_program_rank", artifact.rank, error) ||
      !lookUp(h, "braid_program_step", artifact.step, error) ||
      !lookUp(h, "braid_program_barrier", artifact.barrier, error) ||
      !lookUp(h, "braid_program_max_over_ranks", artifact.maxOverRanks,
              error) ||
      !lookUp(h, "braid_program_set_tracing", artifact.setTracing, error) ||
      !lookUp(h, "braid_program_write_trace", artifact.writeTrace, error))
    return false;
  artifact.desc = getDesc();
  if (!artifact.desc) {
    error = "it has no program descriptor";
    return false;
  }
  if (artifact.desc->abi_version != BRAID_PROGRAM_ABI_VERSION) {
    error = "it was built for ABI version " +
            std::to_string(artifact.desc->abi_version) +
            "; this braid-run reads version " +
            std::to_string(BRAID_PROGRAM_ABI_VERSION);
    return false;
  }
  return true;
}

//===----------------------------------------------------------------------===//
// Tensors and .npy files (the interpreter's layout and dtypes)
//===----------------------------------------------------------------------===//

const char *dtypeName(braid_rt_dtype dtype) {
  switch (dtype) {
  case BRAID_RT_F64:
    return "f64";
  case BRAID_RT_F32:
    return "f32";
  case BRAID_RT_F16:
    return "f16";
  case BRAID_RT_BF16:
    return "bf16";
  case BRAID_RT_I64:
    return "i64";
  case BRAID_RT_I32:
    return "i32";
  case BRAID_RT_I8:
    return "i8";
  }
  return "unknown";
}

/// numpy's dtype (without byte order) a tensor is stored as. bf16 is stored
/// as f32 holding bf16 values, as braid-interp does (lib/Interpreter/Npy.cpp).
const char *storedAs(braid_rt_dtype dtype) {
  switch (dtype) {
  case BRAID_RT_F64:
    return "f8";
  case BRAID_RT_F32:
  case BRAID_RT_BF16:
    return "f4";
  case BRAID_RT_F16:
    return "f2";
  case BRAID_RT_I64:
    return "i8";
  case BRAID_RT_I32:
    return "i4";
  case BRAID_RT_I8:
    return "i1";
  }
  return "";
}

size_t dtypeBytes(braid_rt_dtype dtype) {
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

std::vector<int64_t> shapeOf(const braid_program_tensor &tensor) {
  return std::vector<int64_t>(tensor.shape, tensor.shape + tensor.rank);
}

int64_t elementsOf(const braid_program_tensor &tensor) {
  int64_t count = 1;
  for (int i = 0; i < tensor.rank; ++i)
    count *= tensor.shape[i];
  return count;
}

std::string shapeText(const std::vector<int64_t> &shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

std::string describe(const braid_program_tensor &tensor) {
  return std::string(dtypeName(tensor.dtype)) + " " +
         shapeText(shapeOf(tensor)) + " (stored as '" +
         braid_rt::npy::npyDescr(storedAs(tensor.dtype)) + "')";
}

uint16_t floatToBf16(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, 4);
  if (std::isnan(value))
    return static_cast<uint16_t>((bits >> 16) | 0x40);
  bits += 0x7fff + ((bits >> 16) & 1);
  return static_cast<uint16_t>(bits >> 16);
}

float bf16ToFloat(uint16_t value) {
  uint32_t bits = static_cast<uint32_t>(value) << 16;
  float result;
  std::memcpy(&result, &bits, 4);
  return result;
}

/// f16 bits of `value`, rounded to nearest even (generated inputs only).
uint16_t floatToF16(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, 4);
  uint16_t sign = static_cast<uint16_t>((bits >> 16) & 0x8000);
  float magnitude = std::fabs(value);
  if (std::isnan(value))
    return sign | 0x7e00;
  if (magnitude >= 65520.0f)
    return sign | 0x7c00;
  if (magnitude < 6.103515625e-05f) { // subnormal: multiples of 2^-24
    float scaled = std::nearbyint(magnitude * 16777216.0f);
    return sign | static_cast<uint16_t>(scaled);
  }
  int exponent;
  float mantissa = std::frexp(magnitude, &exponent); // [0.5, 1)
  float scaled = std::nearbyint(mantissa * 2048.0f);  // 11 bits
  if (scaled >= 2048.0f) {
    scaled /= 2;
    ++exponent;
  }
  uint16_t biased = static_cast<uint16_t>(exponent - 1 + 15);
  return sign | static_cast<uint16_t>(biased << 10) |
         static_cast<uint16_t>(static_cast<uint32_t>(scaled) & 0x3ff);
}

/// A host buffer aligned for any kernel.
struct Buffer {
  std::vector<unsigned char> storage;
  void *data() { return storage.data(); }
};

/// The .npy form of `bytes` holding a tensor of `tensor`'s type.
NpyArray toNpy(const braid_program_tensor &tensor, const void *bytes) {
  NpyArray array;
  array.dtype = storedAs(tensor.dtype);
  array.shape = shapeOf(tensor);
  int64_t count = elementsOf(tensor);
  if (tensor.dtype == BRAID_RT_BF16) {
    array.bytes.resize(static_cast<size_t>(count) * 4);
    const auto *halves = static_cast<const uint16_t *>(bytes);
    for (int64_t i = 0; i < count; ++i) {
      float value = bf16ToFloat(halves[i]);
      std::memcpy(array.bytes.data() + 4 * i, &value, 4);
    }
  } else {
    const auto *begin = static_cast<const unsigned char *>(bytes);
    array.bytes.assign(begin, begin + count * dtypeBytes(tensor.dtype));
  }
  return array;
}

/// Checks `array` (read from `path`) against `tensor`.
bool matches(const std::string &path, const NpyArray &array,
             const braid_program_tensor &tensor, std::string &error) {
  if (array.dtype != storedAs(tensor.dtype) || array.shape != shapeOf(tensor)) {
    error = path + ": expected " + describe(tensor) + ", found '" +
            braid_rt::npy::npyDescr(array.dtype) + "' " +
            shapeText(array.shape);
    return false;
  }
  return true;
}

/// Reads argument `index` of `rank` from `dir` into `buffer`.
bool readInput(const std::string &dir, int rank, int index,
               const braid_program_tensor &tensor, Buffer *buffer,
               std::string &error) {
  std::string path = dir + "/rank" + std::to_string(rank) + "/arg" +
                     std::to_string(index) + ".npy";
  struct stat info;
  if (stat(path.c_str(), &info) != 0) {
    error = path + ": missing (argument " + std::to_string(index) +
            " of rank " + std::to_string(rank) + ", expected " +
            describe(tensor) + ")";
    return false;
  }
  NpyArray array;
  if (!braid_rt::npy::readNpy(path, array, error) ||
      !matches(path, array, tensor, error))
    return false;
  if (!buffer)
    return true;
  int64_t count = elementsOf(tensor);
  buffer->storage.assign(static_cast<size_t>(count) * dtypeBytes(tensor.dtype),
                         0);
  if (tensor.dtype == BRAID_RT_BF16) {
    auto *halves = reinterpret_cast<uint16_t *>(buffer->data());
    for (int64_t i = 0; i < count; ++i) {
      float value;
      std::memcpy(&value, array.bytes.data() + 4 * i, 4);
      halves[i] = floatToBf16(value);
    }
  } else {
    std::memcpy(buffer->data(), array.bytes.data(), array.bytes.size());
  }
  return true;
}

/// Deterministic inputs: floats uniform on a grid in [-1, 1) that every
/// float type holds exactly (steps of 2^-10; 2^-7 for bf16), ints in [0, 4).
void generateInput(uint64_t seed, int rank, int index,
                   const braid_program_tensor &tensor, Buffer &buffer) {
  std::seed_seq sequence{static_cast<uint32_t>(seed),
                         static_cast<uint32_t>(seed >> 32),
                         static_cast<uint32_t>(rank),
                         static_cast<uint32_t>(index)};
  std::mt19937_64 random(sequence);
  int64_t count = elementsOf(tensor);
  buffer.storage.assign(static_cast<size_t>(count) * dtypeBytes(tensor.dtype),
                        0);
  unsigned char *out = buffer.storage.data();
  int steps = tensor.dtype == BRAID_RT_BF16 ? 128 : 1024;
  for (int64_t i = 0; i < count; ++i) {
    uint64_t draw = random();
    float value =
        static_cast<float>(static_cast<int64_t>(draw % (2 * steps)) - steps) /
        static_cast<float>(steps);
    int64_t integer = static_cast<int64_t>(draw % 4);
    switch (tensor.dtype) {
    case BRAID_RT_F64: {
      double v = value;
      std::memcpy(out + 8 * i, &v, 8);
      break;
    }
    case BRAID_RT_F32:
      std::memcpy(out + 4 * i, &value, 4);
      break;
    case BRAID_RT_F16: {
      uint16_t v = floatToF16(value);
      std::memcpy(out + 2 * i, &v, 2);
      break;
    }
    case BRAID_RT_BF16: {
      uint16_t v = floatToBf16(value);
      std::memcpy(out + 2 * i, &v, 2);
      break;
    }
    case BRAID_RT_I64:
      std::memcpy(out + 8 * i, &integer, 8);
      break;
    case BRAID_RT_I32: {
      int32_t v = static_cast<int32_t>(integer);
      std::memcpy(out + 4 * i, &v, 4);
      break;
    }
    case BRAID_RT_I8:
      out[i] = static_cast<unsigned char>(integer);
      break;
    }
  }
}

//===----------------------------------------------------------------------===//
// Files
//===----------------------------------------------------------------------===//

bool makeDirectory(const std::string &path) {
  return mkdir(path.c_str(), 0777) == 0 || errno == EEXIST;
}

void removeTree(const std::string &path) {
  struct stat info;
  if (lstat(path.c_str(), &info) != 0)
    return;
  if (S_ISDIR(info.st_mode)) {
    if (DIR *dir = opendir(path.c_str())) {
      while (dirent *entry = readdir(dir)) {
        std::string name = entry->d_name;
        if (name != "." && name != "..")
          removeTree(path + "/" + name);
      }
      closedir(dir);
    }
    rmdir(path.c_str());
  } else {
    unlink(path.c_str());
  }
}

/// Moves every entry of `staging` into `output` (replacing entries of the
/// same name), then removes `staging`.
bool publish(const std::string &staging, const std::string &output,
             std::string &error) {
  if (!makeDirectory(output)) {
    error = output + ": cannot create: " + std::strerror(errno);
    return false;
  }
  DIR *dir = opendir(staging.c_str());
  if (!dir) {
    error = staging + ": cannot read: " + std::strerror(errno);
    return false;
  }
  std::vector<std::string> names;
  while (dirent *entry = readdir(dir)) {
    std::string name = entry->d_name;
    if (name != "." && name != "..")
      names.push_back(name);
  }
  closedir(dir);
  for (const std::string &name : names) {
    std::string target = output + "/" + name;
    removeTree(target);
    if (std::rename((staging + "/" + name).c_str(), target.c_str()) != 0) {
      error = target + ": cannot move into place: " + std::strerror(errno);
      return false;
    }
  }
  rmdir(staging.c_str());
  return true;
}

std::string formatMs(double ms) {
  char text[64];
  std::snprintf(text, sizeof(text), "%.3f", ms);
  return text;
}

//===----------------------------------------------------------------------===//
// Parent mode
//===----------------------------------------------------------------------===//

int runParent(const Options &options, int argc, char **argv) {
  Artifact artifact;
  std::string error;
  if (!loadArtifact(options.artifact, artifact, error)) {
    std::fprintf(stderr, "braid-run: cannot load '%s': %s\n",
                 options.artifact.c_str(), error.c_str());
    return 1;
  }
  const braid_program_desc &desc = *artifact.desc;
  int np = options.np ? options.np : desc.world_size;
  if (np != desc.world_size) {
    std::fprintf(stderr,
                 "braid-run: '%s' (function '%s') runs on %d ranks, not "
                 "--np %d\n",
                 options.artifact.c_str(), desc.function ? desc.function : "?",
                 desc.world_size, np);
    return 1;
  }
  if (!options.inputs.empty()) {
    for (int rank = 0; rank < np; ++rank)
      for (int index = 0; index < desc.num_args; ++index)
        if (!readInput(options.inputs, rank, index, desc.args[index], nullptr,
                       error)) {
          std::fprintf(stderr, "braid-run: %s\n", error.c_str());
          return 1;
        }
  }
  std::string staging;
  if (!options.outputDir.empty()) {
    staging = options.outputDir + ".tmp-" + std::to_string(getpid());
    removeTree(staging);
    setenv("BRAID_RUN_STAGING", staging.c_str(), 1);
  }
  braid_rt::launch::Relaunch launch;
  launch.np = np;
  launch.timeoutSeconds = options.timeout;
  launch.mpirun = options.mpirun;
  launch.exportedEnv = {"BRAID_RUN_STAGING"};
  int code = braid_rt::launch::relaunchUnderMpirun("braid-run", launch, argc,
                                                   argv);
  if (code == 0)
    return 0;
  if (!staging.empty())
    removeTree(staging);
  if (braid_rt::launch::timedOut(code))
    std::fprintf(stderr,
                 "braid-run: the ranks did not finish within %s s "
                 "(--timeout); stopped\n",
                 braid_rt::launch::formatSeconds(options.timeout).c_str());
  else
    std::fprintf(stderr, "braid-run: the run failed (launcher exit status %d)"
                         "; no outputs written\n",
                 code);
  return 1;
}

//===----------------------------------------------------------------------===//
// Rank mode
//===----------------------------------------------------------------------===//

/// Reports a failure of this rank and ends it without finalising MPI (peers
/// may be inside collectives); the launcher then stops the job.
[[noreturn]] void rankFailure(const std::string &message) {
  std::fprintf(stderr, "braid-run: %s\n", message.c_str());
  std::fflush(stderr);
  // OpenMPI drops output written just before a process dies.
  usleep(300 * 1000);
  _exit(1);
}

int runRank(const Options &options, int argc, char **argv) {
  int launchedAs = braid_rt::launch::launchedRank();
  Artifact artifact;
  std::string error;
  if (!loadArtifact(options.artifact, artifact, error))
    rankFailure("rank " + std::to_string(launchedAs) + ": cannot load '" +
                options.artifact + "': " + error);
  const braid_program_desc &desc = *artifact.desc;

  braid_program *program = nullptr;
  if (artifact.createMpi(&argc, &argv, &program) != BRAID_RT_OK) {
    // Creation fails on every rank alike (it is collective), and has
    // finalised MPI already.
    std::fprintf(stderr, "braid-run: rank %d: %s\n", launchedAs,
                 artifact.lastError());
    std::fflush(stderr);
    // The launcher stops the job when the first rank exits non-zero: give
    // the others time to report too.
    usleep(300 * 1000);
    return 1;
  }
  int rank = 0, size = 0;
  artifact.rank(program, &rank, &size);
  auto check = [&](braid_rt_status status) {
    if (status != BRAID_RT_OK)
      rankFailure(std::string(artifact.lastError()));
  };

  std::vector<Buffer> args(desc.num_args), results(desc.num_results);
  for (int i = 0; i < desc.num_args; ++i) {
    if (options.inputs.empty())
      generateInput(options.seed, rank, i, desc.args[i], args[i]);
    else if (!readInput(options.inputs, rank, i, desc.args[i], &args[i],
                        error))
      rankFailure("rank " + std::to_string(rank) + ": " + error);
  }
  // Results start as all-ones bytes (NaN, -1): an element the program
  // fails to write shows.
  for (int i = 0; i < desc.num_results; ++i)
    results[i].storage.assign(static_cast<size_t>(elementsOf(desc.results[i])) *
                                  dtypeBytes(desc.results[i].dtype),
                              0xff);
  std::vector<const void *> argPointers;
  std::vector<void *> resultPointers;
  for (Buffer &buffer : args)
    argPointers.push_back(buffer.data());
  for (Buffer &buffer : results)
    resultPointers.push_back(buffer.data());

  for (int i = 0; i < options.warmup; ++i)
    check(artifact.step(program, argPointers.data(), resultPointers.data()));
  std::vector<double> stepMs;
  for (int i = 0; i < options.iters; ++i) {
    bool traced = !options.trace.empty() && i + 1 == options.iters;
    if (traced)
      check(artifact.setTracing(program, 1));
    check(artifact.barrier(program));
    auto start = std::chrono::steady_clock::now();
    check(artifact.step(program, argPointers.data(), resultPointers.data()));
    double ms = std::chrono::duration<double, std::milli>(
                    std::chrono::steady_clock::now() - start)
                    .count();
    if (traced)
      check(artifact.setTracing(program, 0));
    check(artifact.maxOverRanks(program, &ms));
    stepMs.push_back(ms);
  }
  if (!options.trace.empty())
    check(artifact.writeTrace(program, options.trace.c_str()));

  std::vector<double> sorted = stepMs;
  std::sort(sorted.begin(), sorted.end());
  size_t n = sorted.size();
  double median =
      n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;

  if (!options.outputDir.empty()) {
    // Stage every rank's files in one directory; rank 0 renames them into
    // place once every rank has written its own.
    const char *fromParent = std::getenv("BRAID_RUN_STAGING");
    std::string staging;
    if (fromParent && *fromParent) {
      staging = fromParent;
    } else {
      double rootPid = rank == 0 ? static_cast<double>(getpid()) : 0;
      check(artifact.maxOverRanks(program, &rootPid));
      staging = options.outputDir + ".tmp-" +
                std::to_string(static_cast<long long>(rootPid));
    }
    double failed = 0;
    if (rank == 0 && !makeDirectory(staging)) {
      error = staging + ": cannot create: " + std::strerror(errno);
      failed = 1;
    }
    check(artifact.maxOverRanks(program, &failed));
    std::string rankDir = staging + "/rank" + std::to_string(rank);
    if (failed == 0 && !makeDirectory(rankDir)) {
      error = rankDir + ": cannot create: " + std::strerror(errno);
      failed = 1;
    }
    for (int i = 0; failed == 0 && options.inputs.empty() &&
                    i < desc.num_args;
         ++i)
      if (!braid_rt::npy::writeNpy(rankDir + "/arg" + std::to_string(i) +
                                       ".npy",
                                   toNpy(desc.args[i], args[i].data()), error))
        failed = 1;
    for (int i = 0; failed == 0 && i < desc.num_results; ++i)
      if (!braid_rt::npy::writeNpy(
              rankDir + "/result" + std::to_string(i) + ".npy",
              toNpy(desc.results[i], results[i].data()), error))
        failed = 1;
    if (failed != 0)
      std::fprintf(stderr, "braid-run: rank %d: %s\n", rank, error.c_str());
    check(artifact.maxOverRanks(program, &failed));
    if (rank == 0) {
      if (failed == 0) {
        std::string json = "{\"np\": " + std::to_string(size) +
                           ", \"iters\": " + std::to_string(options.iters) +
                           ", \"warmup\": " + std::to_string(options.warmup) +
                           ", \"step_ms\": [";
        for (size_t i = 0; i < stepMs.size(); ++i)
          json += (i ? ", " : "") + formatMs(stepMs[i]);
        json += "], \"min_ms\": " + formatMs(sorted.front()) +
                ", \"median_ms\": " + formatMs(median) + "}\n";
        FILE *file = std::fopen((staging + "/timing.json").c_str(), "w");
        if (!file || std::fputs(json.c_str(), file) < 0) {
          error = staging + "/timing.json: cannot write";
          failed = 1;
        }
        if (file && std::fclose(file) != 0) {
          error = staging + "/timing.json: cannot write";
          failed = 1;
        }
        if (failed == 0 && !publish(staging, options.outputDir, error))
          failed = 1;
        if (failed != 0)
          std::fprintf(stderr, "braid-run: %s\n", error.c_str());
      }
      if (failed != 0) {
        removeTree(staging);
        artifact.destroy(program);
        return 1;
      }
    }
  }
  if (rank == 0)
    std::printf("braid-run: %d ranks, step time min %s ms, median %s ms over "
                "%d steps\n",
                size, formatMs(sorted.front()).c_str(),
                formatMs(median).c_str(), options.iters);
  std::fflush(stdout);
  if (artifact.destroy(program) != BRAID_RT_OK) {
    std::fprintf(stderr, "braid-run: rank %d: %s\n", rank,
                 artifact.lastError());
    return 1;
  }
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  Options options = parseOptions(argc, argv);
  if (braid_rt::launch::insideLaunch())
    return runRank(options, argc, argv);
  return runParent(options, argc, argv);
}
