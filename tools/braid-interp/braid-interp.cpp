//===- braid-interp.cpp - run braid programs on N simulated ranks ---------===//
//
//   braid-interp prog.mlir [--input-seed=S | --inputs=DIR] [--output-dir=DIR]
//                [--f64] [--schedules=K] [--schedule-seed=S]
//   braid-interp original.mlir --compare=rewritten.mlir [--exact |
//                --tolerance-factor=F] ...
//
// Runs the entry function on every rank of its grid. With --schedules=K the
// program runs under K seeded interleavings of ranks and streams, and every
// run must give bitwise-identical results. Results that are replicated
// (after all_reduce, all_gather, broadcast) must be bitwise equal on the
// ranks of their group. With --compare, the second program runs on the same
// inputs and must match the first: bitwise with --exact, otherwise no more
// than F times less accurate than the first against an f64 run of the first.
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
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <random>

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

namespace {

struct Program {
  std::unique_ptr<llvm::SourceMgr> sources;
  OwningOpRef<ModuleOp> module;
  func::FuncOp function;
};

FailureOr<Program> load(MLIRContext &context, StringRef path) {
  Program program;
  program.sources = std::make_unique<llvm::SourceMgr>();
  program.module =
      parseSourceFile<ModuleOp>(path, *program.sources, &context);
  if (!program.module)
    return failure();
  SmallVector<func::FuncOp> candidates;
  program.module->walk([&](func::FuncOp function) {
    if (!function.isExternal() &&
        (entry.empty() ? function.isPublic()
                       : function.getSymName() == entry))
      candidates.push_back(function);
  });
  if (candidates.size() != 1) {
    llvm::errs() << path << ": "
                 << (entry.empty()
                         ? "expected exactly one public function with a "
                           "body; name one with --entry"
                         : "no function named '" + entry + "'")
                 << "\n";
    return failure();
  }
  program.function = candidates.front();
  return program;
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

FailureOr<RankValues> makeInputs(func::FuncOp function, int64_t numRanks) {
  RankValues inputs(numRanks);
  for (int64_t rank = 0; rank < numRanks; ++rank) {
    for (auto [index, type] : llvm::enumerate(function.getArgumentTypes())) {
      FailureOr<ElemKind> kind = kindOf(getElementTypeOrSelf(type));
      if (failed(kind) ||
          !(isa<RankedTensorType>(type) || type.isIntOrIndexOrFloat())) {
        function.emitError() << "argument #" << index << " has type " << type
                             << ", which the interpreter cannot feed";
        return failure();
      }
      if (inputDir.empty()) {
        uint64_t seed = inputSeed * 0x9E3779B97F4A7C15ull + rank * 1000003ull +
                        index * 7919ull;
        inputs[rank].push_back(randomTensor(type, seed));
        continue;
      }
      std::string name = "arg" + std::to_string(index) + ".npy";
      SmallString<128> perRank(inputDir);
      llvm::sys::path::append(perRank, "rank" + std::to_string(rank), name);
      SmallString<128> shared(inputDir);
      llvm::sys::path::append(shared, name);
      StringRef path = llvm::sys::fs::exists(perRank) ? perRank : shared;
      llvm::Expected<Tensor> tensor = readNpy(path, *kind);
      if (!tensor) {
        llvm::errs() << "braid-interp: " << llvm::toString(tensor.takeError())
                     << "\n";
        return failure();
      }
      auto shaped = dyn_cast<RankedTensorType>(type);
      ArrayRef<int64_t> expected =
          shaped ? shaped.getShape() : ArrayRef<int64_t>{};
      if (tensor->shape() != expected) {
        llvm::errs() << "braid-interp: " << path << ": shape "
                     << tensor->typeString() << " does not match argument #"
                     << index << " of type " << type << "\n";
        return failure();
      }
      inputs[rank].push_back(std::move(*tensor));
    }
  }
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
      llvm::errs() << "braid-interp: cannot create " << dir << ": "
                   << error.message() << "\n";
      return failure();
    }
    for (auto [index, tensor] : llvm::enumerate(results)) {
      SmallString<128> path(dir);
      llvm::sys::path::append(path, "result" + std::to_string(index) + ".npy");
      if (llvm::Error error = writeNpy(path, tensor)) {
        llvm::errs() << "braid-interp: " << llvm::toString(std::move(error))
                     << "\n";
        return failure();
      }
    }
  }
  return success();
}

/// max |x - ref| / max |ref| over every rank and result.
double relativeError(const RankValues &values, const RankValues &reference) {
  double maxDiff = 0, maxRef = 0;
  for (size_t rank = 0; rank < values.size(); ++rank)
    for (size_t r = 0; r < values[rank].size(); ++r) {
      const Tensor &x = values[rank][r];
      const Tensor &ref = reference[rank][r];
      for (int64_t i = 0; i < x.numElements(); ++i) {
        double a = x.get(i).asDouble(), b = ref.get(i).asDouble();
        maxDiff = std::fmax(maxDiff, std::isnan(a) != std::isnan(b)
                                         ? INFINITY
                                         : std::fabs(a - b));
        maxRef = std::fmax(maxRef, std::fabs(b));
      }
    }
  return maxRef > 0 ? maxDiff / maxRef : maxDiff;
}

/// Unit roundoff of the coarsest float type among the results.
double unitRoundoff(const RankValues &values) {
  double u = std::ldexp(1.0, -53);
  for (const auto &results : values)
    for (const Tensor &t : results)
      switch (t.kind()) {
      case ElemKind::F32:
        u = std::fmax(u, std::ldexp(1.0, -24));
        break;
      case ElemKind::F16:
        u = std::fmax(u, std::ldexp(1.0, -11));
        break;
      case ElemKind::BF16:
        u = std::fmax(u, std::ldexp(1.0, -8));
        break;
      default:
        break;
      }
  return u;
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

  FailureOr<Program> rewritten = load(context, compareFile);
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
  FailureOr<RankValues> rewrittenOutputs =
      runAllSchedules(rewritten->function, *inputs, f64Mode);
  if (failed(rewrittenOutputs))
    return 1;
  // The rewrite must keep what the original replicates, replicated.
  if (failed(verifyReplicatedResults(rewritten->function, *rewrittenOutputs,
                                     replicated)))
    return 1;

  if (exact) {
    for (size_t rank = 0; rank < outputs->size(); ++rank)
      for (size_t r = 0; r < (*outputs)[rank].size(); ++r) {
        const Tensor &a = (*outputs)[rank][r];
        const Tensor &b = (*rewrittenOutputs)[rank][r];
        if (a.bitwiseEqual(b))
          continue;
        int64_t element = 0;
        while (element < a.numElements() &&
               a.get(element).bitwiseEqual(b.get(element)))
          ++element;
        llvm::errs() << "braid-interp: not bitwise equal: rank " << rank
                     << " result #" << r << " element " << element << ": "
                     << llvm::format("%.9g", a.get(element).asDouble())
                     << " (original) vs "
                     << llvm::format("%.9g", b.get(element).asDouble())
                     << " (rewritten)\n";
        return 1;
      }
    llvm::outs() << "bitwise equal on all " << *numRanks << " ranks\n";
    return 0;
  }

  FailureOr<RankValues> reference =
      runAllSchedules(original->function, *inputs, /*f64=*/true);
  if (failed(reference))
    return 1;
  double originalError = relativeError(*outputs, *reference);
  double rewrittenError = relativeError(*rewrittenOutputs, *reference);
  double floor = unitRoundoff(*outputs);
  double bound = toleranceFactor * std::fmax(originalError, floor);
  llvm::outs() << llvm::format(
      "relative error vs f64: original %.3e, rewritten %.3e (bound %.3e = "
      "%.2f x max(original, unit roundoff %.3e))\n",
      originalError, rewrittenError, bound, (double)toleranceFactor, floor);
  if (!(rewrittenError <= bound)) {
    llvm::errs() << "braid-interp: the rewritten program is less accurate "
                    "than the numerics contract allows\n";
    return 1;
  }
  return 0;
}
