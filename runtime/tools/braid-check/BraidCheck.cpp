//===- BraidCheck.cpp - run a linked program, compare with the interpreter ===//
//
// braid-check --reference DIR [--iters N] [--warmup W] [--output-dir DIR]
//             [--tolerance T] [--engine nccl|mpi] [--device D]
//
// Linked with one emitted program (cmake/BraidProgram.cmake): no dlopen, no
// launcher, no MPI needed. It creates the program on this process, on the
// NCCL engine for a CUDA program (one rank without a launcher) or the MPI
// engine (under mpirun; a CUDA program then runs in hybrid mode, its
// collectives staged through host memory), reads DIR/rankR/argN.npy (what
// `braid-interp --output-dir DIR` writes), runs a step, and compares every
// result with DIR/rankR/resultN.npy, the interpreter's:
//
//   relative error = ||got - want||_2 / max(||want||_2, tiny)
//
// which must not exceed the tolerance of the result's type (f64 1e-9, f32
// 1e-4, f16 and bf16 2e-2: cuBLASLt and the GPU's exp reassociate and
// round differently from the interpreter's sequential f32 sums; integer
// results must be equal). Then it times `--iters` steps after `--warmup`
// and prints one line per result and a summary:
//
//   braid-check: PASS <function> rank 0/1 step <median> ms (<N> iters)
//
// The exit status is 0 only when every result passes.
//
//===----------------------------------------------------------------------===//

#include "Npy.h"

#include "braid_rt/braid_program.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

using braid_rt::npy::NpyArray;

namespace {

struct Options {
  std::string reference, outputDir, engine;
  int iters = 10, warmup = 2, device = 0;
  double tolerance = -1;
};

const char *npyType(braid_rt_dtype dtype) {
  switch (dtype) {
  case BRAID_RT_F64: return "f8";
  case BRAID_RT_F32: return "f4";
  case BRAID_RT_F16: return "f2";
  case BRAID_RT_BF16: return "bf16";
  case BRAID_RT_I64: return "i8";
  case BRAID_RT_I32: return "i4";
  case BRAID_RT_I8: return "i1";
  }
  return "?";
}

size_t elementSize(braid_rt_dtype dtype) {
  switch (dtype) {
  case BRAID_RT_F64:
  case BRAID_RT_I64: return 8;
  case BRAID_RT_F32:
  case BRAID_RT_I32: return 4;
  case BRAID_RT_F16:
  case BRAID_RT_BF16: return 2;
  case BRAID_RT_I8: return 1;
  }
  return 0;
}

double halfToDouble(uint16_t half) {
  int exponent = (half >> 10) & 0x1f;
  double mantissa = half & 0x3ff;
  double sign = (half & 0x8000) ? -1 : 1;
  if (exponent == 0)
    return sign * std::ldexp(mantissa, -24);
  if (exponent == 31)
    return mantissa ? NAN : sign * INFINITY;
  return sign * std::ldexp(1024 + mantissa, exponent - 25);
}

double valueAt(braid_rt_dtype dtype, const unsigned char *data, size_t i) {
  const unsigned char *at = data + i * elementSize(dtype);
  switch (dtype) {
  case BRAID_RT_F64: { double v; std::memcpy(&v, at, 8); return v; }
  case BRAID_RT_F32: { float v; std::memcpy(&v, at, 4); return v; }
  case BRAID_RT_F16: { uint16_t v; std::memcpy(&v, at, 2); return halfToDouble(v); }
  case BRAID_RT_BF16: {
    uint16_t v;
    std::memcpy(&v, at, 2);
    uint32_t bits = static_cast<uint32_t>(v) << 16;
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
  }
  case BRAID_RT_I64: { int64_t v; std::memcpy(&v, at, 8); return static_cast<double>(v); }
  case BRAID_RT_I32: { int32_t v; std::memcpy(&v, at, 4); return v; }
  case BRAID_RT_I8: { int8_t v; std::memcpy(&v, at, 1); return v; }
  }
  return 0;
}

double defaultTolerance(braid_rt_dtype dtype) {
  switch (dtype) {
  case BRAID_RT_F64: return 1e-9;
  case BRAID_RT_F32: return 1e-4;
  case BRAID_RT_F16:
  case BRAID_RT_BF16: return 2e-2;
  default: return 0;
  }
}

/// The interpreter stores bf16 tensors as f32 (.npy has no bf16).
uint16_t bf16Bits(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, 4);
  if ((bits & 0x7fffffffu) > 0x7f800000u)
    return static_cast<uint16_t>((bits >> 16) | 0x40u);
  bits += 0x7fffu + ((bits >> 16) & 1u);
  return static_cast<uint16_t>(bits >> 16);
}

/// The element type of a .npy array as the runtime names it.
braid_rt_dtype npyDType(const std::string &descr) {
  if (descr == "f8") return BRAID_RT_F64;
  if (descr == "f2") return BRAID_RT_F16;
  if (descr == "i8") return BRAID_RT_I64;
  if (descr == "i4") return BRAID_RT_I32;
  if (descr == "i1" || descr == "b1" || descr == "u1") return BRAID_RT_I8;
  return BRAID_RT_F32;
}

size_t tensorElements(const braid_program_tensor &tensor) {
  size_t count = 1;
  for (int32_t i = 0; i < tensor.rank; ++i)
    count *= static_cast<size_t>(tensor.shape[i]);
  return count;
}

bool parse(int argc, char **argv, Options &options) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> std::string {
      return i + 1 < argc ? argv[++i] : "";
    };
    if (arg == "--reference") options.reference = value();
    else if (arg == "--output-dir") options.outputDir = value();
    else if (arg == "--engine") options.engine = value();
    else if (arg == "--iters") options.iters = std::atoi(value().c_str());
    else if (arg == "--warmup") options.warmup = std::atoi(value().c_str());
    else if (arg == "--device") options.device = std::atoi(value().c_str());
    else if (arg == "--tolerance") options.tolerance = std::atof(value().c_str());
    else if (arg == "--describe") options.engine = "describe";
    else {
      std::fprintf(stderr, "braid-check: unknown argument '%s'\n", arg.c_str());
      return false;
    }
  }
  return true;
}

bool underLauncher() {
  for (const char *variable : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK",
                               "SLURM_NTASKS"})
    if (std::getenv(variable))
      return true;
  return false;
}

} // namespace

int main(int argc, char **argv) {
  Options options;
  if (!parse(argc, argv, options))
    return 2;
  const braid_program_desc *desc = braid_program_get_desc();
  if (options.engine == "describe") {
    std::printf("%s\n", desc->metadata_json);
    return 0;
  }
  bool cuda = desc->device == BRAID_PROGRAM_DEVICE_CUDA;
  std::string engine = options.engine;
  if (engine.empty())
    engine = cuda && !underLauncher() ? "nccl" : "mpi";
  braid_program *program = nullptr;
  braid_rt_status status =
      engine == "nccl"
          ? braid_program_create_nccl(&argc, &argv, options.device, &program)
          : braid_program_create_mpi(&argc, &argv, &program);
  if (status != BRAID_RT_OK) {
    std::fprintf(stderr, "braid-check: FAIL creating '%s' on %s: %s\n",
                 desc->function, engine.c_str(), braid_program_last_error());
    return 1;
  }
  int rank = 0, size = 1;
  braid_program_rank(program, &rank, &size);
  std::string rankDir = options.reference.empty()
                            ? ""
                            : options.reference + "/rank" +
                                  std::to_string(rank);

  // Inputs: the interpreter's, or zeros without a reference.
  std::vector<std::vector<unsigned char>> args(desc->num_args);
  std::vector<const void *> argPointers;
  for (int32_t i = 0; i < desc->num_args; ++i) {
    size_t bytes = tensorElements(desc->args[i]) *
                   elementSize(desc->args[i].dtype);
    args[i].assign(bytes, 0);
    if (!rankDir.empty()) {
      NpyArray array;
      std::string error;
      std::string path = rankDir + "/arg" + std::to_string(i) + ".npy";
      if (!braid_rt::npy::readNpy(path, array, error)) {
        std::fprintf(stderr, "braid-check: FAIL %s\n", error.c_str());
        return 1;
      }
      if (desc->args[i].dtype == BRAID_RT_BF16 && array.dtype == "f4") {
        std::vector<unsigned char> narrow(array.bytes.size() / 2);
        for (size_t e = 0; e < narrow.size() / 2; ++e) {
          float value;
          std::memcpy(&value, &array.bytes[4 * e], 4);
          uint16_t bits = bf16Bits(value);
          std::memcpy(&narrow[2 * e], &bits, 2);
        }
        array.bytes = std::move(narrow);
      }
      if (array.bytes.size() != bytes) {
        std::fprintf(stderr,
                     "braid-check: FAIL %s holds %zu bytes, argument %d of "
                     "'%s' takes %zu\n",
                     path.c_str(), array.bytes.size(), i, desc->function,
                     bytes);
        return 1;
      }
      args[i] = array.bytes;
    }
    argPointers.push_back(args[i].data());
  }
  std::vector<std::vector<unsigned char>> results(desc->num_results);
  std::vector<void *> resultPointers;
  for (int32_t i = 0; i < desc->num_results; ++i) {
    results[i].assign(tensorElements(desc->results[i]) *
                          elementSize(desc->results[i].dtype),
                      0);
    resultPointers.push_back(results[i].data());
  }

  status = braid_program_step(program, argPointers.data(),
                              resultPointers.data());
  if (status != BRAID_RT_OK) {
    std::fprintf(stderr, "braid-check: FAIL step of '%s': %s\n",
                 desc->function, braid_program_last_error());
    braid_program_destroy(program);
    return 1;
  }

  bool pass = true;
  for (int32_t i = 0; i < desc->num_results && !rankDir.empty(); ++i) {
    const braid_program_tensor &tensor = desc->results[i];
    NpyArray want;
    std::string error;
    std::string path = rankDir + "/result" + std::to_string(i) + ".npy";
    size_t count = tensorElements(tensor);
    braid_rt_dtype wantType = npyDType(want.dtype);
    if (!braid_rt::npy::readNpy(path, want, error) ||
        want.bytes.size() != count * elementSize(wantType = npyDType(
                                         want.dtype))) {
      std::fprintf(stderr, "braid-check: FAIL result %d: %s\n", i,
                   error.empty() ? "the reference's size differs"
                                 : error.c_str());
      pass = false;
      continue;
    }
    double diff = 0, norm = 0, maxAbs = 0;
    bool nanMismatch = false;
    for (size_t e = 0; e < count; ++e) {
      double got = valueAt(tensor.dtype, results[i].data(), e);
      double ref = valueAt(wantType, want.bytes.data(), e);
      if (std::isnan(got) || std::isnan(ref)) {
        nanMismatch |= std::isnan(got) != std::isnan(ref);
        continue;
      }
      if (std::isinf(got) || std::isinf(ref)) {
        nanMismatch |= got != ref;
        continue;
      }
      diff += (got - ref) * (got - ref);
      norm += ref * ref;
      maxAbs = std::max(maxAbs, std::fabs(got - ref));
    }
    double relative = std::sqrt(diff) / std::max(std::sqrt(norm), 1e-30);
    if (diff == 0)
      relative = 0;
    double tolerance = options.tolerance >= 0 ? options.tolerance
                                              : defaultTolerance(tensor.dtype);
    bool ok = !nanMismatch && relative <= tolerance;
    pass &= ok;
    std::printf("braid-check: result %d (%s, %zu elements): relative error "
                "%.3e (tolerance %.1e), max abs error %.3e%s %s\n",
                i, npyType(tensor.dtype), count, relative, tolerance, maxAbs,
                nanMismatch ? ", NaN/inf mismatch" : "", ok ? "ok" : "FAIL");
  }

  if (!options.outputDir.empty())
    for (int32_t i = 0; i < desc->num_results; ++i) {
      NpyArray array;
      const braid_program_tensor &tensor = desc->results[i];
      array.dtype = npyType(tensor.dtype);
      for (int32_t d = 0; d < tensor.rank; ++d)
        array.shape.push_back(tensor.shape[d]);
      array.bytes = results[i];
      if (tensor.dtype == BRAID_RT_BF16) {
        // As the interpreter writes bf16: widened to f32.
        array.dtype = "f4";
        array.bytes.assign(tensorElements(tensor) * 4, 0);
        for (size_t e = 0; e < tensorElements(tensor); ++e) {
          float value = static_cast<float>(valueAt(tensor.dtype,
                                                   results[i].data(), e));
          std::memcpy(&array.bytes[4 * e], &value, 4);
        }
      }
      std::string error;
      std::string dir = options.outputDir + "/rank" + std::to_string(rank);
      std::string command = "mkdir -p '" + dir + "'";
      if (std::system(command.c_str()) != 0 ||
          !braid_rt::npy::writeNpy(dir + "/result" + std::to_string(i) +
                                       ".npy",
                                   array, error))
        std::fprintf(stderr, "braid-check: cannot write result %d: %s\n", i,
                     error.c_str());
    }

  // Timing: whole steps as the caller sees them (staging included).
  std::vector<double> times;
  for (int i = 0; i < options.warmup + options.iters && pass; ++i) {
    auto start = std::chrono::steady_clock::now();
    status = braid_program_step(program, argPointers.data(),
                                resultPointers.data());
    double ms = std::chrono::duration<double, std::milli>(
                    std::chrono::steady_clock::now() - start)
                    .count();
    if (status != BRAID_RT_OK) {
      std::fprintf(stderr, "braid-check: FAIL step: %s\n",
                   braid_program_last_error());
      pass = false;
      break;
    }
    if (i >= options.warmup)
      times.push_back(ms);
  }
  double median = 0;
  if (!times.empty()) {
    std::sort(times.begin(), times.end());
    median = times[times.size() / 2];
  }
  std::printf("braid-check: %s %s (%s, %s engine) rank %d/%d step %.3f ms "
              "(median of %zu)\n",
              pass ? "PASS" : "FAIL", desc->function, cuda ? "cuda" : "cpu",
              engine.c_str(), rank, size, median, times.size());
  braid_program_destroy(program);
  return pass ? 0 : 1;
}
