//===- braid-interp.cpp - run braid programs on N simulated ranks ---------===//
//
//   braid-interp prog.mlir [--entry=NAME] [--input-seed=S | --inputs=DIR]
//                [--output-dir=DIR] [--f64] [--schedules=K]
//                [--schedule-seed=S] [--max-tensor-bytes=B]
//   braid-interp original.mlir --compare=rewritten.mlir [--exact |
//                --tolerance-factor=F] ...
//
// Runs the entry function on every rank of its grid. With --schedules=K the
// program runs under K seeded interleavings of ranks and streams, and every
// run must give bitwise-identical results. Results that are replicated
// (after all_reduce, all_gather, broadcast) must be bitwise equal on the
// ranks of their group. With --compare, the second program runs on the same
// inputs and must match the first: bitwise with --exact, otherwise result
// by result, integers exactly and floats no more than F times less accurate
// than the first against an f64 run of the first.
//
//===----------------------------------------------------------------------===//

#include "braid/Dialect/Braid/IR/BraidDialect.h"
#include "braid/Interpreter/Interpreter.h"
#include "braid/Interpreter/Npy.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <random>
#include <set>

using namespace mlir;
using namespace mlir::braid;
using namespace mlir::braid::interp;
namespace cl = llvm::cl;

static cl::OptionCategory category("braid-interp options");
static cl::opt<std::string> inputFile(cl::Positional, cl::Required,
                                      cl::desc("<program.mlir>"),
                                      cl::cat(category));
static cl::opt<std::string> entry("entry", cl::desc("Function to run"),
                                  cl::value_desc("name"), cl::cat(category));
static cl::opt<uint64_t>
    inputSeed("input-seed", cl::init(1),
              cl::desc("Seed of the random inputs (same seed, same inputs)"),
              cl::cat(category));
static cl::opt<std::string> inputDir(
    "inputs",
    cl::desc("Directory of inputs: argN.npy for every rank, or "
             "rankR/argN.npy per rank"),
    cl::value_desc("dir"), cl::cat(category));
static cl::opt<int64_t>
    intMax("int-max", cl::init(4),
           cl::desc("Random integer inputs are drawn from [0, int-max)"),
           cl::cat(category));
static cl::opt<std::string>
    outputDir("output-dir",
              cl::desc("Write rankR/resultN.npy for every rank"),
              cl::value_desc("dir"), cl::cat(category));
static cl::opt<bool> f64Mode("f64",
                             cl::desc("Run every float type in f64 without "
                                      "rounding"),
                             cl::cat(category));
static cl::opt<unsigned>
    schedules("schedules", cl::init(3),
              cl::desc("Run under this many seeded interleavings; all must "
                       "agree bitwise"),
              cl::cat(category));
static cl::opt<uint64_t> scheduleSeed("schedule-seed", cl::init(0),
                                      cl::desc("First interleaving seed"),
                                      cl::cat(category));
static cl::opt<std::string>
    compareFile("compare",
                cl::desc("A rewritten program to check against the first"),
                cl::value_desc("program.mlir"), cl::cat(category));
static cl::opt<bool> exact("exact",
                           cl::desc("With --compare: demand bitwise equality"),
                           cl::cat(category));
static cl::opt<double> toleranceFactor(
    "tolerance-factor", cl::init(2.0),
    cl::desc("With --compare: the rewrite may be at most this many times "
             "less accurate than the original against f64"),
    cl::cat(category));
static cl::opt<bool> quiet("quiet", cl::desc("Do not print result summaries"),
                           cl::cat(category));
static cl::opt<uint64_t> maxTensorBytes(
    "max-tensor-bytes", cl::init(kDefaultMaxTensorBytes),
    cl::desc("Largest tensor the interpreter allocates, in bytes of its "
             "storage (8 per element)"),
    cl::value_desc("bytes"), cl::cat(category));

namespace {

/// `file: error: message`, the form MLIR's tools give errors without a line.
void reportError(StringRef file, const Twine &message) {
  llvm::WithColor::error(llvm::errs(), file) << message << "\n";
}

void reportWarning(StringRef file, const Twine &message) {
  llvm::WithColor::warning(llvm::errs(), file) << message << "\n";
}

struct Program {
  std::unique_ptr<llvm::SourceMgr> sources;
  OwningOpRef<ModuleOp> module;
  func::FuncOp function;
};

FailureOr<Program> load(MLIRContext &context, StringRef path) {
  Program program;
  program.sources = std::make_unique<llvm::SourceMgr>();
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> file =
      llvm::MemoryBuffer::getFileOrSTDIN(path);
  if (!file) {
    reportError(path, "cannot read: " + file.getError().message());
    return failure();
  }
  program.sources->AddNewSourceBuffer(std::move(*file), llvm::SMLoc());
  program.module = parseSourceFile<ModuleOp>(*program.sources, &context);
  if (!program.module)
    return failure();
  SmallVector<func::FuncOp> candidates;
  program.module->walk([&](func::FuncOp function) {
    if (!function.isExternal() &&
        (entry.empty() ? function.isPublic()
                       : function.getSymName() == entry))
      candidates.push_back(function);
  });
  if (candidates.size() == 1) {
    program.function = candidates.front();
    return program;
  }
  if (!entry.empty()) {
    reportError(path, "no function named '" + entry + "' with a body");
    return failure();
  }
  if (candidates.empty()) {
    reportError(path, "no public function with a body to run");
    return failure();
  }
  std::string names;
  llvm::raw_string_ostream os(names);
  llvm::interleaveComma(candidates, os, [&](func::FuncOp function) {
    os << "@" << function.getSymName();
  });
  reportError(path, "expected exactly one public function with a body, found " +
                        Twine(candidates.size()) + " (" + names +
                        "); name one with --entry");
  return failure();
}

Tensor randomTensor(Type type, uint64_t seed) {
  auto shaped = dyn_cast<RankedTensorType>(type);
  ElemKind kind = *kindOf(getElementTypeOrSelf(type));
  Tensor tensor(kind, shaped ? shaped.getShape() : ArrayRef<int64_t>{});
  std::mt19937_64 generator(seed);
  std::uniform_real_distribution<double> real(-1.0, 1.0);
  std::uniform_int_distribution<int64_t> integer(0, std::max<int64_t>(intMax, 1) - 1);
  for (int64_t i = 0; i < tensor.numElements(); ++i) {
    if (tensor.isFloat())
      tensor.setFloat(i, roundFloat(real(generator), kind, false));
    else
      tensor.setInt(i, wrapInt(integer(generator), kind));
  }
  return tensor;
}

std::string argumentFileName(size_t index) {
  return "arg" + std::to_string(index) + ".npy";
}

std::string rankDirName(int64_t rank) { return "rank" + std::to_string(rank); }

/// Whether --inputs holds a rankR/ directory for any rank: then every rank
/// is expected to have its own files.
bool hasPerRankInputs(int64_t numRanks) {
  for (int64_t rank = 0; rank < numRanks; ++rank) {
    SmallString<128> dir(inputDir);
    llvm::sys::path::append(dir, rankDirName(rank));
    if (llvm::sys::fs::is_directory(dir))
      return true;
  }
  return false;
}

/// The file holding argument `index` of `rank` under --inputs: its own
/// rankR/argN.npy, else the argN.npy all ranks share. A missing file is
/// reported under the path the directory's layout asks for.
FailureOr<std::string> findInputFile(size_t index, int64_t rank,
                                     bool perRankLayout) {
  std::string name = argumentFileName(index);
  SmallString<128> perRank(inputDir);
  llvm::sys::path::append(perRank, rankDirName(rank), name);
  SmallString<128> shared(inputDir);
  llvm::sys::path::append(shared, name);
  if (llvm::sys::fs::exists(perRank))
    return perRank.str().str();
  if (llvm::sys::fs::exists(shared))
    return shared.str().str();
  if (perRankLayout)
    reportError(perRank, "missing: argument #" + Twine(index) + " of rank " +
                             Twine(rank) +
                             " has neither this file nor a "
                             "shared " +
                             shared);
  else
    reportError(shared, "missing: argument #" + Twine(index) +
                            " has neither this file nor a per-rank " + perRank);
  return failure();
}

/// Warns about everything under --inputs that is not in `used`: a file the
/// user meant as an input but named differently would otherwise be
/// replaced by nothing without a word.
void warnAboutUnusedInputs(const std::set<std::string> &used, int64_t numRanks,
                           size_t numArguments) {
  std::set<std::string> rankDirs;
  for (int64_t rank = 0; rank < numRanks; ++rank) {
    SmallString<128> dir(inputDir);
    llvm::sys::path::append(dir, rankDirName(rank));
    rankDirs.insert(dir.str().str());
  }
  std::set<std::string> sharedArguments;
  for (size_t index = 0; index < numArguments; ++index) {
    SmallString<128> shared(inputDir);
    llvm::sys::path::append(shared, argumentFileName(index));
    sharedArguments.insert(shared.str().str());
  }
  std::error_code error;
  std::vector<std::string> unused;
  for (llvm::sys::fs::directory_iterator it(inputDir, error), end;
       it != end && !error; it.increment(error)) {
    std::string path = it->path();
    if (rankDirs.count(path)) {
      for (llvm::sys::fs::directory_iterator inner(path, error);
           inner != end && !error; inner.increment(error))
        if (!used.count(inner->path()))
          unused.push_back(inner->path());
      continue;
    }
    if (!used.count(path))
      unused.push_back(path);
  }
  llvm::sort(unused);
  for (const std::string &path : unused) {
    if (sharedArguments.count(path))
      reportWarning(path, "ignored: every rank reads its own rankR/" +
                              llvm::sys::path::filename(path));
    else
      reportWarning(path, "ignored: not an input of this program (it reads "
                          "argN.npy for N < " +
                              Twine(numArguments) +
                              ", shared or under rankR/ for R < " +
                              Twine(numRanks) + ")");
  }
}

FailureOr<RankValues> makeInputs(func::FuncOp function, int64_t numRanks) {
  if (!inputDir.empty() && !llvm::sys::fs::is_directory(inputDir)) {
    reportError(inputDir, "--inputs names no directory");
    return failure();
  }
  ArrayRef<Type> argumentTypes = function.getArgumentTypes();
  for (auto [index, type] : llvm::enumerate(argumentTypes)) {
    FailureOr<ElemKind> kind = kindOf(getElementTypeOrSelf(type));
    if (failed(kind) ||
        !(isa<RankedTensorType>(type) || type.isIntOrIndexOrFloat())) {
      function.emitError() << "argument #" << index << " has type " << type
                           << ", which the interpreter cannot feed";
      return failure();
    }
    auto shaped = dyn_cast<RankedTensorType>(type);
    if (shaped && !shaped.hasStaticShape()) {
      function.emitError() << "argument #" << index << " has type " << type
                           << "; the interpreter feeds static shapes only";
      return failure();
    }
    ArrayRef<int64_t> shape = shaped ? shaped.getShape() : ArrayRef<int64_t>{};
    if (llvm::Error error = checkTensorSize(shape, *kind, maxTensorBytes)) {
      function.emitError() << "argument #" << index << ": "
                           << llvm::toString(std::move(error));
      return failure();
    }
  }

  RankValues inputs(numRanks);
  std::set<std::string> used;
  bool perRankLayout = !inputDir.empty() && hasPerRankInputs(numRanks);
  for (int64_t rank = 0; rank < numRanks; ++rank) {
    for (auto [index, type] : llvm::enumerate(argumentTypes)) {
      ElemKind kind = *kindOf(getElementTypeOrSelf(type));
      if (inputDir.empty()) {
        uint64_t seed = inputSeed * 0x9E3779B97F4A7C15ull + rank * 1000003ull +
                        index * 7919ull;
        inputs[rank].push_back(randomTensor(type, seed));
        continue;
      }
      FailureOr<std::string> path = findInputFile(index, rank, perRankLayout);
      if (failed(path))
        return failure();
      used.insert(*path);
      llvm::Expected<Tensor> tensor = readNpy(*path, kind, maxTensorBytes);
      if (!tensor) {
        reportError(*path, llvm::toString(tensor.takeError()));
        return failure();
      }
      auto shaped = dyn_cast<RankedTensorType>(type);
      ArrayRef<int64_t> expected =
          shaped ? shaped.getShape() : ArrayRef<int64_t>{};
      if (tensor->shape() != expected) {
        std::string message;
        llvm::raw_string_ostream os(message);
        os << "shape " << tensor->typeString() << " does not match argument #"
           << index << " of type " << type;
        reportError(*path, message);
        return failure();
      }
      inputs[rank].push_back(std::move(*tensor));
    }
  }
  if (!inputDir.empty())
    warnAboutUnusedInputs(used, numRanks, argumentTypes.size());
  return inputs;
}

/// Runs under every requested interleaving and checks they agree.
FailureOr<RankValues> runAllSchedules(func::FuncOp function,
                                      const RankValues &inputs, bool f64) {
  std::optional<RankValues> first;
  for (unsigned i = 0; i < std::max(1u, (unsigned)schedules); ++i) {
    InterpreterOptions options;
    options.f64Mode = f64;
    options.scheduleSeed = scheduleSeed + i;
    options.maxTensorBytes = maxTensorBytes;
    FailureOr<RankValues> outputs = runFunction(function, inputs, options);
    if (failed(outputs))
      return failure();
    if (!first) {
      first = std::move(*outputs);
      continue;
    }
    for (size_t rank = 0; rank < first->size(); ++rank)
      for (size_t r = 0; r < (*first)[rank].size(); ++r)
        if (!(*first)[rank][r].bitwiseEqual((*outputs)[rank][r])) {
          function.emitError()
              << "result #" << r << " of rank " << rank
              << " differs between interleavings (seed "
              << static_cast<int64_t>(scheduleSeed.getValue())
              << " vs " << static_cast<int64_t>(options.scheduleSeed)
              << "): a missing await or an ordering bug";
          return failure();
        }
  }
  return std::move(*first);
}

void printSummary(StringRef label, const RankValues &outputs) {
  for (auto [rank, results] : llvm::enumerate(outputs))
    for (auto [index, tensor] : llvm::enumerate(results)) {
      double sum = 0, lo = INFINITY, hi = -INFINITY;
      for (int64_t i = 0; i < tensor.numElements(); ++i) {
        double v = tensor.get(i).asDouble();
        sum += v;
        lo = std::fmin(lo, v);
        hi = std::fmax(hi, v);
      }
      llvm::outs() << label << "rank " << rank << " result #" << index << ": "
                   << tensor.typeString() << " sum " << llvm::format("%.9g", sum)
                   << " min " << llvm::format("%.9g", lo) << " max "
                   << llvm::format("%.9g", hi) << " [";
      for (int64_t i = 0; i < std::min<int64_t>(4, tensor.numElements()); ++i)
        llvm::outs() << (i ? ", " : "")
                     << llvm::format("%.9g", tensor.get(i).asDouble());
      llvm::outs() << (tensor.numElements() > 4 ? ", ...]\n" : "]\n");
    }
}

LogicalResult writeOutputs(const RankValues &outputs) {
  for (auto [rank, results] : llvm::enumerate(outputs)) {
    SmallString<128> dir(outputDir);
    llvm::sys::path::append(dir, "rank" + std::to_string(rank));
    if (std::error_code error = llvm::sys::fs::create_directories(dir)) {
      reportError(dir, "cannot create: " + error.message());
      return failure();
    }
    for (auto [index, tensor] : llvm::enumerate(results)) {
      SmallString<128> path(dir);
      llvm::sys::path::append(path, "result" + std::to_string(index) + ".npy");
      if (llvm::Error error = writeNpy(path, tensor)) {
        reportError(path, llvm::toString(std::move(error)));
        return failure();
      }
    }
  }
  return success();
}

/// `value` printed with a printf `format` (diagnostics take no
/// llvm::format).
std::string printed(const char *format, double value) {
  std::string text;
  llvm::raw_string_ostream(text) << llvm::format(format, value);
  return text;
}

/// max |x - ref| / max |ref| of result `index` over every rank. Each result
/// has its own scale: a large result next to a small one must not hide the
/// small one's error.
double relativeError(const RankValues &values, const RankValues &reference,
                     size_t index) {
  double maxDiff = 0, maxRef = 0;
  for (size_t rank = 0; rank < values.size(); ++rank) {
    const Tensor &x = values[rank][index];
    const Tensor &ref = reference[rank][index];
    for (int64_t i = 0; i < x.numElements(); ++i) {
      double a = x.get(i).asDouble(), b = ref.get(i).asDouble();
      maxDiff =
          std::fmax(maxDiff, std::isnan(a) != std::isnan(b) ? INFINITY
                                                            : std::fabs(a - b));
      maxRef = std::fmax(maxRef, std::fabs(b));
    }
  }
  return maxRef > 0 ? maxDiff / maxRef : maxDiff;
}

/// Unit roundoff of a floating-point kind.
double unitRoundoff(ElemKind kind) {
  switch (kind) {
  case ElemKind::F32:
    return std::ldexp(1.0, -24);
  case ElemKind::F16:
    return std::ldexp(1.0, -11);
  case ElemKind::BF16:
    return std::ldexp(1.0, -8);
  default:
    return std::ldexp(1.0, -53);
  }
}

/// The first (rank, element) where result `index` of `a` and `b` are not
/// bitwise equal; nullopt when they are.
std::optional<std::pair<size_t, int64_t>>
findDifference(const RankValues &a, const RankValues &b, size_t index) {
  for (size_t rank = 0; rank < a.size(); ++rank) {
    const Tensor &x = a[rank][index];
    const Tensor &y = b[rank][index];
    if (x.bitwiseEqual(y))
      continue;
    int64_t element = 0;
    while (element < x.numElements() &&
           x.get(element).bitwiseEqual(y.get(element)))
      ++element;
    return std::make_pair(rank, element);
  }
  return std::nullopt;
}

/// Checks that the two runs give every result the same shape on every rank
/// (dynamic result types may hide a difference).
LogicalResult checkSameShapes(func::FuncOp rewritten, const RankValues &a,
                              const RankValues &b) {
  for (size_t rank = 0; rank < a.size(); ++rank)
    for (size_t r = 0; r < a[rank].size(); ++r)
      if (a[rank][r].shape() != b[rank][r].shape())
        return rewritten.emitError()
               << "result #" << r << " of rank " << rank << " is "
               << b[rank][r].typeString() << " but the original's is "
               << a[rank][r].typeString();
  return success();
}

/// --exact: every result bitwise equal on every rank.
LogicalResult compareExact(func::FuncOp rewritten, const RankValues &original,
                           const RankValues &candidate) {
  for (size_t r = 0; r < original.front().size(); ++r) {
    auto difference = findDifference(original, candidate, r);
    if (!difference)
      continue;
    auto [rank, element] = *difference;
    return rewritten.emitError()
           << "not bitwise equal: rank " << rank << " result #" << r
           << " element " << element << ": "
           << printed("%.9g", original[rank][r].get(element).asDouble())
           << " (original) vs "
           << printed("%.9g", candidate[rank][r].get(element).asDouble())
           << " (rewritten)";
  }
  llvm::outs() << "bitwise equal on all " << original.size() << " ranks\n";
  return success();
}

/// The numerics contract, result by result: integer results exactly equal
/// to the original's; each floating-point result no more than `factor`
/// times less accurate than the original against the f64 run `reference`.
LogicalResult compareWithContract(func::FuncOp rewritten,
                                  const RankValues &original,
                                  const RankValues &candidate,
                                  const RankValues &reference) {
  bool passed = true;
  for (size_t r = 0; r < original.front().size(); ++r) {
    const Tensor &first = original.front()[r];
    llvm::outs() << "result #" << r << " " << first.typeString() << ": ";
    if (!first.isFloat()) {
      auto difference = findDifference(original, candidate, r);
      if (!difference) {
        llvm::outs() << "integers equal on all " << original.size()
                     << " ranks\n";
        continue;
      }
      auto [rank, element] = *difference;
      llvm::outs() << "integers differ\n";
      rewritten.emitError()
          << "integer result #" << r << " differs on rank " << rank
          << " at element " << element << ": "
          << original[rank][r].get(element).i << " (original) vs "
          << candidate[rank][r].get(element).i
          << " (rewritten); integer results must be exact";
      passed = false;
      continue;
    }
    double originalError = relativeError(original, reference, r);
    double rewrittenError = relativeError(candidate, reference, r);
    double roundoff = unitRoundoff(first.kind());
    double bound = toleranceFactor * std::fmax(originalError, roundoff);
    llvm::outs() << llvm::format(
        "relative error vs f64: original %.3e, rewritten %.3e (bound %.3e = "
        "%.2f x max(original, unit roundoff %.3e))\n",
        originalError, rewrittenError, bound, (double)toleranceFactor,
        roundoff);
    if (rewrittenError <= bound)
      continue;
    rewritten.emitError()
        << "the rewritten program is less accurate than the numerics "
           "contract allows: result #"
        << r << " has relative error " << printed("%.3e", rewrittenError)
        << " vs f64, over the bound " << printed("%.3e", bound);
    passed = false;
  }
  return success(passed);
}

LogicalResult checkSameSignature(Program &a, Program &b) {
  if (a.function.getFunctionType() == b.function.getFunctionType())
    return success();
  b.function.emitError() << "has type " << b.function.getFunctionType()
                         << " but the original has "
                         << a.function.getFunctionType();
  return failure();
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(argc, argv,
                              "Braid reference interpreter for N ranks\n");

  DialectRegistry registry;
  registry.insert<func::FuncDialect, arith::ArithDialect, math::MathDialect,
                  tensor::TensorDialect, linalg::LinalgDialect,
                  scf::SCFDialect, shard::ShardDialect,
                  affine::AffineDialect>();
  registerBraidDialect(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  // Errors name the op and its location; dumping the function adds noise.
  context.printOpOnDiagnostic(false);
  // The handler loads each file a diagnostic points into on demand.
  llvm::SourceMgr diagnosticSources;
  SourceMgrDiagnosticHandler handler(diagnosticSources, &context);

  FailureOr<Program> original = load(context, inputFile);
  if (failed(original))
    return 1;
  FailureOr<int64_t> numRanks = getNumRanks(original->function);
  if (failed(numRanks))
    return 1;
  // The rewrite is checked before anything runs: a wrong path or signature
  // should not wait for the original's run.
  FailureOr<Program> rewritten = failure();
  if (!compareFile.empty()) {
    rewritten = load(context, compareFile);
    if (failed(rewritten) || failed(checkSameSignature(*original, *rewritten)))
      return 1;
    FailureOr<int64_t> rewrittenRanks = getNumRanks(rewritten->function);
    if (failed(rewrittenRanks))
      return 1;
    if (*rewrittenRanks != *numRanks) {
      rewritten->function.emitError()
          << "runs on " << *rewrittenRanks << " ranks but the original on "
          << *numRanks;
      return 1;
    }
  }
  FailureOr<RankValues> inputs = makeInputs(original->function, *numRanks);
  if (failed(inputs))
    return 1;

  std::vector<ReplicatedResult> replicated =
      findReplicatedResults(original->function);
  FailureOr<RankValues> outputs =
      runAllSchedules(original->function, *inputs, f64Mode);
  if (failed(outputs) ||
      failed(verifyReplicatedResults(original->function, *outputs,
                                     replicated)))
    return 1;
  if (!quiet)
    printSummary("", *outputs);
  if (!outputDir.empty() && failed(writeOutputs(*outputs)))
    return 1;
  if (compareFile.empty())
    return 0;

  FailureOr<RankValues> rewrittenOutputs =
      runAllSchedules(rewritten->function, *inputs, f64Mode);
  if (failed(rewrittenOutputs))
    return 1;
  // The rewrite must keep what the original replicates, replicated.
  if (failed(verifyReplicatedResults(rewritten->function, *rewrittenOutputs,
                                     replicated)))
    return 1;

  if (failed(checkSameShapes(rewritten->function, *outputs, *rewrittenOutputs)))
    return 1;
  if (exact)
    return failed(
        compareExact(rewritten->function, *outputs, *rewrittenOutputs));

  FailureOr<RankValues> reference =
      runAllSchedules(original->function, *inputs, /*f64=*/true);
  if (failed(reference))
    return 1;
  return failed(compareWithContract(rewritten->function, *outputs,
                                    *rewrittenOutputs, *reference));
}
