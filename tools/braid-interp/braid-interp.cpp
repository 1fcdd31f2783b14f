//===- braid-interp.cpp - run braid programs on N simulated ranks ---------===//
//
//   braid-interp prog.mlir [--entry=NAME] [--input-seed=S | --inputs=DIR]
//                [--output-dir=DIR] [--f64] [--schedules=K]
//                [--schedule-seed=S] [--max-tensor-bytes=B]
//   braid-interp original.mlir --compare=rewritten.mlir [--exact |
//                --tolerance-factor=F] ...
//   braid-interp prog.mlir --check-outputs=RUNDIR [--inputs=DIR] [--exact |
//                --tolerance-factor=F] ...
//
// Runs the entry function on every rank of its grid. With --schedules=K the
// program runs under K seeded interleavings of ranks and streams, and every
// run must give bitwise-identical results. Results that are replicated
// (after all_reduce, all_gather, broadcast) must be bitwise equal on the
// ranks of their group. With --compare, the second program runs on the same
// inputs and must match the first: bitwise with --exact, otherwise result
// by result, integers exactly and floats no more than F times less accurate
// than the first against an f64 run of the first. With --check-outputs,
// the results a compiled run wrote (RUNDIR/rankR/resultN.npy, from the
// inputs under --inputs or RUNDIR/rankR/argN.npy) are the candidate, judged
// the same way against the interpreter's run of the program.
//
// Buffer-level programs run too: inputs are the arguments without
// braid.result/braid.arena, results the braid.result buffers (Interpreter.h).
//
//===----------------------------------------------------------------------===//

#include "braid/Dialect/Braid/IR/BraidDialect.h"
#include "braid/Interpreter/Interpreter.h"
#include "braid/Interpreter/Npy.h"
#include "braid/Interpreter/NumericsContract.h"

#include "mlir/AsmParser/AsmParser.h"
#include "mlir/AsmParser/AsmParserState.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
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
static cl::opt<std::string> checkOutputsDir(
    "check-outputs",
    cl::desc("Check a compiled run's rankR/resultN.npy under this directory "
             "against the interpreter (inputs from --inputs, else the run's "
             "rankR/argN.npy)"),
    cl::value_desc("rundir"), cl::cat(category));
static cl::opt<int64_t>
    intMax("int-max", cl::init(4),
           cl::desc("Random integer inputs are drawn from [0, int-max)"),
           cl::cat(category));
static cl::opt<std::string> outputDir(
    "output-dir",
    cl::desc("Write rankR/resultN.npy for every rank, and the random "
             "inputs it generated (without --inputs) as rankR/argN.npy"),
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
static cl::opt<bool>
    exact("exact",
          cl::desc("With --compare or --check-outputs: demand bitwise "
                   "equality"),
          cl::cat(category));
static cl::opt<double> toleranceFactor(
    "tolerance-factor", cl::init(2.0),
    cl::desc("With --compare or --check-outputs: the candidate may be at "
             "most this many times less accurate than the interpreter's run "
             "against f64"),
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
  /// SSA names as the source spells them, for errors naming buffers.
  llvm::DenseMap<Value, std::string> valueNames;
};

StringRef sourceText(SMRange range) {
  return StringRef(range.Start.getPointer(),
                   range.End.getPointer() - range.Start.getPointer());
}

/// Every SSA value's name in the source ("%arena", "%r#1").
llvm::DenseMap<Value, std::string> collectNames(const AsmParserState &state) {
  llvm::DenseMap<Value, std::string> names;
  for (const auto &block : state.getBlockDefs())
    for (auto [argument, definition] :
         llvm::zip(block.block->getArguments(), block.arguments))
      names[argument] = sourceText(definition.loc).str();
  for (const auto &op : state.getOpDefs()) {
    const auto &groups = op.resultGroups;
    for (size_t g = 0; g < groups.size(); ++g) {
      unsigned begin = groups[g].startIndex;
      unsigned end = g + 1 < groups.size() ? groups[g + 1].startIndex
                                           : op.op->getNumResults();
      std::string name = sourceText(groups[g].definition.loc).str();
      for (unsigned i = begin; i < end; ++i)
        names[op.op->getResult(i)] =
            end - begin == 1 ? name : name + "#" + std::to_string(i - begin);
    }
  }
  return names;
}

FailureOr<Program> load(MLIRContext &context, StringRef path) {
  Program program;
  program.sources = std::make_unique<llvm::SourceMgr>();
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> file =
      llvm::MemoryBuffer::getFileOrSTDIN(path);
  if (!file) {
    reportError(path, "cannot read: " + file.getError().message());
    return failure();
  }
  StringRef bufferName = (*file)->getBufferIdentifier();
  program.sources->AddNewSourceBuffer(std::move(*file), llvm::SMLoc());
  Block parsed;
  AsmParserState state;
  if (failed(parseAsmSourceFile(*program.sources, &parsed,
                                ParserConfig(&context), &state)))
    return failure();
  program.valueNames = collectNames(state);
  program.module =
      mlir::detail::constructContainerOpForParserIfNecessary<ModuleOp>(
      &parsed, &context, FileLineColLoc::get(&context, bufferName, 0, 0));
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
  auto shaped = dyn_cast<ShapedType>(type);
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

/// The number in `name` after `prefix` and before `suffix` ("rank3",
/// "result0.npy"); nothing when `name` is not of that form.
std::optional<int64_t> numberIn(StringRef name, StringRef prefix,
                                StringRef suffix) {
  int64_t number;
  if (!name.consume_front(prefix) || !name.consume_back(suffix) ||
      name.empty() || name.getAsInteger(10, number))
    return std::nullopt;
  return number;
}

/// Warns about everything under --inputs that is not in `used`: a file the
/// user meant as an input but named differently would otherwise be
/// replaced by nothing without a word.
void warnAboutUnusedInputs(const std::set<std::string> &used, int64_t numRanks,
                           size_t numArguments, bool skipResults) {
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
  // A run directory holds results beside its inputs.
  if (skipResults)
    llvm::erase_if(unused, [](const std::string &path) {
      return numberIn(llvm::sys::path::filename(path), "result", ".npy")
          .has_value();
    });
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

/// The inputs of `function` for every rank: random, or read from
/// `inputDir` (--inputs, or a run's directory with `warnUnused` off: it
/// holds more beside the inputs).
FailureOr<RankValues> makeInputs(func::FuncOp function, int64_t numRanks,
                                 bool warnUnused = true) {
  if (!inputDir.empty() && !llvm::sys::fs::is_directory(inputDir)) {
    reportError(inputDir, "--inputs names no directory");
    return failure();
  }
  if (failed(getArgumentRoles(function)))
    return failure();
  SmallVector<Type> argumentTypes = getInputTypes(function);
  for (auto [index, type] : llvm::enumerate(argumentTypes)) {
    FailureOr<ElemKind> kind = kindOf(getElementTypeOrSelf(type));
    auto memref = dyn_cast<MemRefType>(type);
    if (failed(kind) ||
        !(isa<RankedTensorType>(type) || type.isIntOrIndexOrFloat() ||
          (memref && memref.getLayout().isIdentity()))) {
      function.emitError() << "argument #" << index << " has type " << type
                           << ", which the interpreter cannot feed";
      return failure();
    }
    auto shaped = dyn_cast<ShapedType>(type);
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
      auto shaped = dyn_cast<ShapedType>(type);
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
  if (!inputDir.empty() && warnUnused)
    warnAboutUnusedInputs(used, numRanks, argumentTypes.size(),
                          /*skipResults=*/!checkOutputsDir.empty());
  return inputs;
}

/// Runs under every requested interleaving and checks they agree.
FailureOr<RankValues> runAllSchedules(const Program &program,
                                      const RankValues &inputs, bool f64) {
  func::FuncOp function = program.function;
  std::optional<RankValues> first;
  for (unsigned i = 0; i < std::max(1u, (unsigned)schedules); ++i) {
    InterpreterOptions options;
    options.f64Mode = f64;
    options.scheduleSeed = scheduleSeed + i;
    options.maxTensorBytes = maxTensorBytes;
    options.valueNames = &program.valueNames;
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

std::string resultFileName(size_t index) {
  return "result" + std::to_string(index) + ".npy";
}

/// rankR/resultN.npy and, for random inputs, rankR/argN.npy: the layout
/// braid-run writes, which --check-outputs reads. (Inputs that came from
/// --inputs are where they came from.)
LogicalResult writeOutputs(const RankValues &outputs,
                           const RankValues &inputs) {
  bool writeInputs = inputDir.empty();
  for (auto [rank, results] : llvm::enumerate(outputs)) {
    SmallString<128> dir(outputDir);
    llvm::sys::path::append(dir, rankDirName(rank));
    if (std::error_code error = llvm::sys::fs::create_directories(dir)) {
      reportError(dir, "cannot create: " + error.message());
      return failure();
    }
    auto write = [&](StringRef name, const Tensor &tensor) {
      SmallString<128> path(dir);
      llvm::sys::path::append(path, name);
      if (llvm::Error error = writeNpy(path, tensor)) {
        reportError(path, llvm::toString(std::move(error)));
        return failure();
      }
      return success();
    };
    for (auto [index, tensor] : llvm::enumerate(results))
      if (failed(write(resultFileName(index), tensor)))
        return failure();
    if (writeInputs)
      for (auto [index, tensor] : llvm::enumerate(inputs[rank]))
        if (failed(write(argumentFileName(index), tensor)))
          return failure();
  }
  return success();
}

/// Prints a report's summary and emits its violations as errors on `at`.
LogicalResult reportOn(func::FuncOp at, const ContractReport &report) {
  for (const std::string &line : report.summary)
    llvm::outs() << line << "\n";
  for (const ContractViolation &violation : report.violations)
    at.emitError() << violation.message;
  return success(report.passed());
}

bool isBufferLevel(func::FuncOp function) {
  auto isBuffer = [](Type type) { return isa<MemRefType>(type); };
  return llvm::any_of(function.getArgumentTypes(), isBuffer) ||
         llvm::any_of(function.getResultTypes(), isBuffer);
}

/// Both programs take the same inputs. Tensor programs must have the same
/// type; a buffer-level program (a lowering) must take inputs of the same
/// shapes and element types, in memrefs or tensors, and its results are
/// compared once they are known.
LogicalResult checkSameSignature(Program &a, Program &b) {
  if (!isBufferLevel(a.function) && !isBufferLevel(b.function)) {
    if (a.function.getFunctionType() == b.function.getFunctionType())
      return success();
    b.function.emitError() << "has type " << b.function.getFunctionType()
                           << " but the original has "
                           << a.function.getFunctionType();
    return failure();
  }
  if (failed(getArgumentRoles(a.function)) ||
      failed(getArgumentRoles(b.function)))
    return failure();
  SmallVector<Type> expected = getInputTypes(a.function);
  SmallVector<Type> actual = getInputTypes(b.function);
  if (expected.size() != actual.size()) {
    b.function.emitError() << "takes " << actual.size()
                           << " inputs but the original takes "
                           << expected.size();
    return failure();
  }
  for (auto [index, pair] : llvm::enumerate(llvm::zip(expected, actual))) {
    auto [want, have] = pair;
    auto wantShaped = dyn_cast<ShapedType>(want);
    auto haveShaped = dyn_cast<ShapedType>(have);
    bool same = wantShaped && haveShaped
                    ? wantShaped.hasRank() && haveShaped.hasRank() &&
                          wantShaped.getShape() == haveShaped.getShape() &&
                          wantShaped.getElementType() ==
                              haveShaped.getElementType()
                    : want == have;
    if (same)
      continue;
    b.function.emitError() << "input #" << index << " is " << have
                           << " but the original's is " << want;
    return failure();
  }
  return success();
}

/// RUNDIR/rankR/resultN.npy.
std::string runResultPath(int64_t rank, size_t index) {
  SmallString<128> path(checkOutputsDir);
  llvm::sys::path::append(path, rankDirName(rank), resultFileName(index));
  return path.str().str();
}

/// The results a compiled run wrote under --check-outputs, one file per
/// result of `expected` (the interpreter's run: kinds, shapes, counts).
/// Missing, extra and mismatched files are errors naming them.
FailureOr<RankValues> readRunResults(const RankValues &expected) {
  int64_t numRanks = expected.size();
  size_t numResults = expected.front().size();
  RankValues results(numRanks);
  bool ok = true;
  std::error_code error;
  for (llvm::sys::fs::directory_iterator it(checkOutputsDir, error), end;
       it != end && !error; it.increment(error)) {
    StringRef name = llvm::sys::path::filename(it->path());
    std::optional<int64_t> rank = numberIn(name, "rank", "");
    if (rank && *rank >= numRanks) {
      reportError(it->path(), "the run has a rank " + Twine(*rank) +
                                  " but the program runs on " +
                                  Twine(numRanks) + " ranks");
      ok = false;
    }
  }
  for (int64_t rank = 0; rank < numRanks; ++rank) {
    SmallString<128> dir(checkOutputsDir);
    llvm::sys::path::append(dir, rankDirName(rank));
    if (!llvm::sys::fs::is_directory(dir)) {
      reportError(dir, "missing: the run wrote nothing for rank " +
                           Twine(rank) + " (the program runs on " +
                           Twine(numRanks) + " ranks)");
      ok = false;
      continue;
    }
    for (llvm::sys::fs::directory_iterator it(dir, error), end;
         it != end && !error; it.increment(error)) {
      std::optional<int64_t> index =
          numberIn(llvm::sys::path::filename(it->path()), "result", ".npy");
      if (index && *index >= static_cast<int64_t>(numResults)) {
        reportError(it->path(), "not a result of this program: it has " +
                                    Twine(numResults) + " results");
        ok = false;
      }
    }
    for (size_t index = 0; index < numResults; ++index) {
      std::string path = runResultPath(rank, index);
      const Tensor &reference = expected[rank][index];
      if (!llvm::sys::fs::exists(path)) {
        reportError(path, "missing: result #" + Twine(index) + " of rank " +
                              Twine(rank));
        ok = false;
        continue;
      }
      llvm::Expected<Tensor> tensor =
          readNpy(path, reference.kind(), maxTensorBytes);
      if (!tensor) {
        reportError(path, llvm::toString(tensor.takeError()));
        ok = false;
        continue;
      }
      if (tensor->shape() != reference.shape()) {
        reportError(path, "shape " + tensor->typeString() +
                              " does not match result #" + Twine(index) +
                              " of the program, " + reference.typeString());
        ok = false;
        continue;
      }
      results[rank].push_back(std::move(*tensor));
    }
  }
  if (!ok)
    return failure();
  return results;
}

/// --check-outputs: the compiled run's results against the interpreter's
/// run of `program` on the same inputs, under the numerics contract.
int checkOutputs(const Program &program, int64_t numRanks) {
  if (!compareFile.empty()) {
    reportError(checkOutputsDir, "--check-outputs and --compare each judge "
                                 "a candidate; give one");
    return 1;
  }
  if (!llvm::sys::fs::is_directory(checkOutputsDir)) {
    reportError(checkOutputsDir, "--check-outputs names no directory");
    return 1;
  }
  // braid-run writes the inputs it generated beside the results.
  bool inputsFromRun = inputDir.empty();
  if (inputsFromRun)
    inputDir = checkOutputsDir;
  func::FuncOp function = program.function;
  FailureOr<RankValues> inputs =
      makeInputs(function, numRanks, /*warnUnused=*/!inputsFromRun);
  if (failed(inputs))
    return 1;
  std::vector<ReplicatedResult> replicated = findReplicatedResults(function);
  FailureOr<RankValues> outputs = runAllSchedules(program, *inputs, f64Mode);
  if (failed(outputs) ||
      failed(verifyReplicatedResults(function, *outputs, replicated)))
    return 1;
  if (outputs->front().empty()) {
    reportError(inputFile, "the program has no results to check");
    return 1;
  }
  FailureOr<RankValues> run = readRunResults(*outputs);
  if (failed(run))
    return 1;

  bool passed = true;
  for (const ReplicationViolation &violation :
       findReplicationViolations(function, *run, replicated)) {
    reportError(runResultPath(violation.otherRank, violation.resultIndex),
                "in the run, " + violation.message);
    passed = false;
  }
  ContractLabels labels;
  labels.baseline = "interpreter";
  labels.candidate = "compiled";
  labels.candidateSubject = "the compiled run";
  ContractReport report;
  if (exact) {
    report = compareExact(*outputs, *run, labels);
  } else {
    FailureOr<RankValues> reference =
        runAllSchedules(program, *inputs, /*f64=*/true);
    if (failed(reference))
      return 1;
    report = compareWithContract(*outputs, *run, *reference, toleranceFactor,
                                 labels);
  }
  for (const std::string &line : report.summary)
    llvm::outs() << line << "\n";
  for (const ContractViolation &violation : report.violations)
    reportError(runResultPath(violation.rank, violation.result),
                violation.message);
  if (!passed || !report.passed())
    return 1;
  llvm::outs() << "check-outputs: " << outputs->front().size()
               << " results on " << numRanks << " ranks of "
               << checkOutputsDir << " meet the numerics contract"
               << (exact ? " (bitwise)" : "") << "\n";
  return 0;
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
                  affine::AffineDialect, memref::MemRefDialect,
                  bufferization::BufferizationDialect>();
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
  if (!checkOutputsDir.empty())
    return checkOutputs(*original, *numRanks);
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
      runAllSchedules(*original, *inputs, f64Mode);
  if (failed(outputs) ||
      failed(verifyReplicatedResults(original->function, *outputs,
                                     replicated)))
    return 1;
  if (!quiet)
    printSummary("", *outputs);
  if (!outputDir.empty() && failed(writeOutputs(*outputs, *inputs)))
    return 1;
  if (compareFile.empty())
    return 0;

  FailureOr<RankValues> rewrittenOutputs =
      runAllSchedules(*rewritten, *inputs, f64Mode);
  if (failed(rewrittenOutputs))
    return 1;
  if (failed(reportOn(rewritten->function,
                      compareShapes(*outputs, *rewrittenOutputs))))
    return 1;
  // The rewrite must keep what the original replicates, replicated.
  if (failed(verifyReplicatedResults(rewritten->function, *rewrittenOutputs,
                                     replicated)))
    return 1;
  if (exact)
    return failed(reportOn(rewritten->function,
                           compareExact(*outputs, *rewrittenOutputs)));

  FailureOr<RankValues> reference =
      runAllSchedules(*original, *inputs, /*f64=*/true);
  if (failed(reference))
    return 1;
  return failed(reportOn(rewritten->function,
                         compareWithContract(*outputs, *rewrittenOutputs,
                                             *reference, toleranceFactor)));
}
