//===- BraidToEmitC.cpp - buffer-level braid to EmitC host code -----------===//
//
// Lowers one buffer-level function (docs/Lowering.md) to EmitC for the CPU
// or the CUDA target (docs/GPU.md). Before the dialect conversion, plain IR steps put the program in
// a form the patterns map one op at a time: contractions the runtime GEMM
// can run stay, every other linalg op becomes loops; narrow-float scalar
// arithmetic is widened to f32 (bf16/f16 are stored as bit patterns);
// launches are flattened into host code that issues their body on their
// stream; each communicator, stream and event gets its index. The program's
// descriptor (braid_program.h) is emitted verbatim next to the step.
//
// The CUDA target keeps the host code and changes what it calls: the
// buffers are device memory, so every linalg op that is not a GEMM becomes
// a __global__ function of its own (Step 1b) instead of host loops, and
// the emitted file includes braid_emitted_cuda.h, whose braid_emit_*
// functions enqueue the runtime's CUDA kernels and cuBLASLt on the stream
// of the current launch.
//
//===----------------------------------------------------------------------===//

#include "braid/Analysis/FusedCollective.h"
#include "braid/Conversion/Passes.h"
#include "braid/Dialect/Braid/IR/BraidDialect.h"

#include "mlir/Conversion/AffineToStandard/AffineToStandard.h"
#include "mlir/Conversion/ArithToEmitC/ArithToEmitC.h"
#include "mlir/Conversion/FuncToEmitC/FuncToEmitC.h"
#include "mlir/Conversion/SCFToEmitC/SCFToEmitC.h"
#include "mlir/Dialect/EmitC/IR/EmitC.h"
#include "mlir/Dialect/EmitC/Transforms/TypeConversions.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Utils/MemRefUtils.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/DialectConversion.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/TypeSwitch.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/Support/Format.h"

#include <map>

namespace mlir {
namespace braid {
#define GEN_PASS_DEF_CONVERTBRAIDTOEMITC
#include "braid/Conversion/Passes.h.inc"
} // namespace braid
} // namespace mlir

using namespace mlir;
using namespace mlir::braid;

namespace {

constexpr StringLiteral kStreamAttr = "braid.stream";
constexpr StringLiteral kCommAttr = "braid.comm";
constexpr StringLiteral kCounterAttr = "braid.counter_index";
/// A chunked_compute's outlined epilogue (outlineChunkedEpilogues).
constexpr StringLiteral kEpilogueAttr = "braid.epilogue";
constexpr StringLiteral kStepBody = "braid_step_body";
/// Marks a function outlined as a CUDA kernel (emitted `__global__`).
/// (Not a braid dialect attribute: it lives only inside this pass.)
constexpr StringLiteral kKernelAttr = "braid_kernel";
/// The program's metadata JSON, left on the EmitC module.
constexpr StringLiteral kMetadataAttr = BraidDialect::kProgramMetadataAttrName;
/// The module attribute `braid-compile --target=cuda` sets.
constexpr StringLiteral kDeviceAttr = BraidDialect::kDeviceAttrName;

/// What the emitted code runs on.
enum class CodegenTarget { Cpu, Cuda };

//===----------------------------------------------------------------------===//
// Element types as the runtime names them
//===----------------------------------------------------------------------===//

bool isNarrowFloat(Type type) { return type.isBF16() || type.isF16(); }

/// braid_rt_dtype (communication), or -1.
int runtimeDType(Type type) {
  if (type.isF64()) return 0;
  if (type.isF32()) return 1;
  if (type.isF16()) return 2;
  if (type.isBF16()) return 3;
  if (type.isInteger(64)) return 4;
  if (type.isInteger(32)) return 5;
  if (type.isInteger(8)) return 6;
  return -1;
}

const char *runtimeDTypeName(Type type) {
  if (type.isF64()) return "BRAID_RT_F64";
  if (type.isF32()) return "BRAID_RT_F32";
  if (type.isF16()) return "BRAID_RT_F16";
  if (type.isBF16()) return "BRAID_RT_BF16";
  if (type.isInteger(64)) return "BRAID_RT_I64";
  if (type.isInteger(32)) return "BRAID_RT_I32";
  if (type.isInteger(8)) return "BRAID_RT_I8";
  return nullptr;
}

/// braid_rt_elem (kernels), or -1.
int kernelElem(Type type) {
  if (type.isF32()) return 0;
  if (type.isF16()) return 1;
  if (type.isBF16()) return 2;
  if (type.isF64()) return 3;
  if (type.isInteger(1)) return 4;
  if (type.isInteger(8)) return 5;
  if (type.isInteger(16)) return 6;
  if (type.isInteger(32)) return 7;
  if (type.isInteger(64)) return 8;
  return -1;
}

/// braid_rt_reduce_op of a reduction, or -1.
int runtimeReduction(ReductionKind kind) {
  switch (kind) {
  case ReductionKind::Sum: return 0;
  case ReductionKind::Max: return 1;
  case ReductionKind::Min: return 2;
  case ReductionKind::Prod: return 3;
  default: return -1;
  }
}

std::string cString(StringRef text) {
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\')
      quoted += '\\';
    if (c == '\n') {
      quoted += "\\n";
      continue;
    }
    quoted += c;
  }
  return quoted + "\"";
}

/// "file:line:col op.name": where a runtime failure points, and the name
/// of the op's span in the measured timeline (bench/overlap/
/// compare-timelines.py matches spans to the predicted ones by it). The
/// file position is the first one inside the location: importers wrap
/// theirs in names (`"node"("model.onnx":3:0)`), fusion and inlining in
/// fused and call-site locations.
std::string whereOf(Operation *op) {
  std::string text;
  llvm::raw_string_ostream os(text);
  op->getLoc()->walk([&](Location inner) {
    auto loc = dyn_cast<FileLineColLoc>(inner);
    if (!loc)
      return WalkResult::advance();
    os << loc.getFilename().getValue() << ":" << loc.getLine() << ":"
       << loc.getColumn() << " ";
    return WalkResult::interrupt();
  });
  os << op->getName().getStringRef();
  return text;
}

ArrayAttr callArgs(OpBuilder &builder, ArrayRef<Attribute> args) {
  return builder.getArrayAttr(args);
}

Attribute self(OpBuilder &builder) {
  return emitc::OpaqueAttr::get(builder.getContext(), "braid_exec_self");
}

Attribute i32(OpBuilder &builder, int64_t value) {
  return builder.getI32IntegerAttr(value);
}

Attribute where(OpBuilder &builder, Operation *op) {
  return emitc::OpaqueAttr::get(builder.getContext(), cString(whereOf(op)));
}

void callOpaque(OpBuilder &builder, Location loc, StringRef callee,
                ValueRange operands, ArrayRef<Attribute> args) {
  emitc::CallOpaqueOp::create(builder, loc, TypeRange(), callee, operands,
                              callArgs(builder, args));
}

//===----------------------------------------------------------------------===//
// Step 1: contractions stay, everything else in linalg becomes loops
//===----------------------------------------------------------------------===//

/// Unit inner stride and static leading strides. The offset may be dynamic
/// (a ring step's rank-dependent row block): a memref lowers to a pointer to
/// its first element, so the GEMM never sees it.
bool isRowMajorMatrix(MemRefType type) {
  auto [strides, offset] = type.getStridesAndOffset();
  if (strides.empty() || strides.back() != 1)
    return false;
  return llvm::none_of(strides, ShapedType::isDynamic);
}

bool isGemmElement(Type type) {
  return type.isF32() || type.isF64() || isNarrowFloat(type);
}

/// Which operands of a matmul / batch_matmul the GEMM reads transposed:
/// its maps are the defaults, with A's or B's two innermost results swapped
/// (braid-fold-transpose-into-matmul); none for any other map.
std::optional<std::pair<bool, bool>> gemmTransposes(linalg::LinalgOp op) {
  SmallVector<AffineMap> defaults;
  if (isa<linalg::MatmulOp>(op))
    defaults = linalg::MatmulOp::getDefaultIndexingMaps(op->getContext());
  else if (isa<linalg::BatchMatmulOp>(op))
    defaults = linalg::BatchMatmulOp::getDefaultIndexingMaps(op->getContext());
  else
    return std::nullopt;
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  if (maps.size() != 3 || maps[2] != defaults[2])
    return std::nullopt;
  auto transposed = [](AffineMap map) {
    SmallVector<AffineExpr> results(map.getResults());
    std::swap(results[results.size() - 2], results.back());
    return AffineMap::get(map.getNumDims(), map.getNumSymbols(), results,
                          map.getContext());
  };
  bool flags[2];
  for (int i = 0; i < 2; ++i) {
    if (maps[i] == defaults[i])
      flags[i] = false;
    else if (maps[i] == transposed(defaults[i]))
      flags[i] = true;
    else
      return std::nullopt;
  }
  return std::make_pair(flags[0], flags[1]);
}

/// linalg.matmul / batch_matmul the runtime GEMM runs as written.
bool isRuntimeGemm(linalg::LinalgOp op) {
  if (!op.hasPureBufferSemantics() || !gemmTransposes(op))
    return false;
  for (Value operand : op->getOperands()) {
    auto type = dyn_cast<MemRefType>(operand.getType());
    if (!type || !type.hasStaticShape() || !isRowMajorMatrix(type) ||
        !isGemmElement(type.getElementType()))
      return false;
  }
  Type a = cast<MemRefType>(op->getOperand(0).getType()).getElementType();
  Type b = cast<MemRefType>(op->getOperand(1).getType()).getElementType();
  Type c = cast<MemRefType>(op->getOperand(2).getType()).getElementType();
  return a.isF64() == c.isF64() && b.isF64() == c.isF64();
}

/// The linalg ops (and non-contiguous copies) that are not runtime GEMMs:
/// what becomes loops (CPU) or a kernel (CUDA).
SmallVector<Operation *> loopNestCandidates(func::FuncOp function) {
  SmallVector<Operation *> work;
  function.walk([&](Operation *op) {
    if (auto copy = dyn_cast<memref::CopyOp>(op)) {
      auto source = cast<MemRefType>(copy.getSource().getType());
      auto target = cast<MemRefType>(copy.getTarget().getType());
      if (!memref::isStaticShapeAndContiguousRowMajor(source) ||
          !memref::isStaticShapeAndContiguousRowMajor(target))
        work.push_back(op);
      return;
    }
    // A chunked producer's body is the runtime's (its epilogue outlined).
    if (isa<CommandChunkedComputeOp>(op->getParentOp()))
      return;
    if (auto linalgOp = dyn_cast<linalg::LinalgOp>(op))
      if (!isRuntimeGemm(linalgOp))
        work.push_back(op);
  });
  return work;
}

/// Those ops as linalg ops on buffers, copies rewritten to linalg.copy.
FailureOr<SmallVector<linalg::LinalgOp>> loopNestOps(func::FuncOp function,
                                                     IRRewriter &rewriter) {
  SmallVector<linalg::LinalgOp> nests;
  for (Operation *op : loopNestCandidates(function)) {
    rewriter.setInsertionPoint(op);
    if (auto copy = dyn_cast<memref::CopyOp>(op)) {
      op = linalg::CopyOp::create(rewriter, copy.getLoc(), copy.getSource(),
                                  copy.getTarget());
      rewriter.eraseOp(copy);
    }
    auto linalgOp = cast<linalg::LinalgOp>(op);
    if (!linalgOp.hasPureBufferSemantics())
      return op->emitOpError() << "is still on tensors; run the buffer "
                                  "pipeline before lowering to host code";
    nests.push_back(linalgOp);
  }
  return nests;
}

LogicalResult lowerLinalgToLoops(func::FuncOp function) {
  IRRewriter rewriter(function.getContext());
  FailureOr<SmallVector<linalg::LinalgOp>> nests =
      loopNestOps(function, rewriter);
  if (failed(nests))
    return failure();
  for (linalg::LinalgOp linalgOp : *nests) {
    Operation *op = linalgOp;
    rewriter.setInsertionPoint(op);
    // The loop nest is one span of the measured timeline.
    emitc::CallOpaqueOp::create(
        rewriter, op->getLoc(), TypeRange(), "braid_emit_span_begin",
        ValueRange(), rewriter.getArrayAttr({where(rewriter, op)}));
    if (failed(linalg::linalgOpToLoops(rewriter, linalgOp)))
      return op->emitOpError() << "cannot be lowered to loops";
    rewriter.setInsertionPointAfter(op);
    emitc::CallOpaqueOp::create(rewriter, op->getLoc(), TypeRange(),
                                "braid_emit_span_end", ValueRange());
    rewriter.eraseOp(op);
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Step 1b (CUDA): every other linalg op becomes a kernel
//===----------------------------------------------------------------------===//

/// A value the kernel may recompute instead of receiving it: a constant.
bool isRematerializable(Value value) {
  Operation *def = value.getDefiningOp();
  return def && def->hasTrait<OpTrait::ConstantLike>() &&
         def->getNumOperands() == 0 && def->getNumRegions() == 0;
}

/// Replaces the nest's outermost `scf.parallel` (or, without one, all of
/// the kernel's body) by a grid-stride loop over the flattened iteration
/// space: thread t runs iterations t, t + T, t + 2T, ... (T threads in the
/// grid), the indices recovered by division. Inner parallel loops become
/// sequential: each thread owns whole output elements, so a reduction runs
/// in the interpreter's order.
LogicalResult distributeOverThreads(func::FuncOp kernel,
                                    IRRewriter &rewriter) {
  Block &entry = kernel.getBody().front();
  Location loc = kernel.getLoc();
  Type indexType = rewriter.getIndexType();
  auto opaqueIndex = [&](StringRef callee) -> Value {
    return emitc::CallOpaqueOp::create(rewriter, loc, TypeRange{indexType},
                                       callee, ValueRange())
        .getResult(0);
  };
  auto constant = [&](int64_t value) -> Value {
    return arith::ConstantIndexOp::create(rewriter, loc, value);
  };
  scf::ParallelOp outer;
  for (Operation &op : entry.without_terminator())
    if (auto parallel = dyn_cast<scf::ParallelOp>(op)) {
      outer = parallel;
      break;
    }
  SmallVector<Operation *> body;
  for (Operation &op : entry.without_terminator())
    body.push_back(&op);
  rewriter.setInsertionPointToStart(&entry);
  Value first = opaqueIndex("braid_cuda_thread_index");
  Value stride = opaqueIndex("braid_cuda_thread_count");
  if (!outer) {
    // No parallel loop (a full reduction, a 0-d op): one iteration, run by
    // thread 0.
    auto loop = scf::ForOp::create(rewriter, loc, first, constant(1), stride);
    for (Operation *op : body)
      op->moveBefore(loop.getBody()->getTerminator());
    return success();
  }
  rewriter.setInsertionPoint(outer);
  SmallVector<Value> trips;
  Value total = constant(1);
  for (auto [lower, upper, step] :
       llvm::zip(outer.getLowerBound(), outer.getUpperBound(),
                 outer.getStep())) {
    // ceil((upper - lower) / step)
    Value span = rewriter.createOrFold<arith::SubIOp>(loc, upper, lower);
    Value rounded = rewriter.createOrFold<arith::AddIOp>(
        loc, span,
        rewriter.createOrFold<arith::SubIOp>(loc, step, constant(1)));
    Value trip = rewriter.createOrFold<arith::DivUIOp>(loc, rounded, step);
    trips.push_back(trip);
    total = rewriter.createOrFold<arith::MulIOp>(loc, total, trip);
  }
  auto loop = scf::ForOp::create(rewriter, loc, first, total, stride);
  rewriter.setInsertionPointToStart(loop.getBody());
  SmallVector<Value> ivs(trips.size());
  Value rest = loop.getInductionVar();
  for (int64_t i = trips.size() - 1; i >= 0; --i) {
    Value position =
        i == 0 ? rest
               : rewriter.createOrFold<arith::RemUIOp>(loc, rest, trips[i]);
    if (i > 0)
      rest = rewriter.createOrFold<arith::DivUIOp>(loc, rest, trips[i]);
    Value scaled = rewriter.createOrFold<arith::MulIOp>(
        loc, position, outer.getStep()[i]);
    ivs[i] = rewriter.createOrFold<arith::AddIOp>(
        loc, outer.getLowerBound()[i], scaled);
  }
  IRMapping mapping;
  mapping.map(outer.getInductionVars(), ivs);
  for (Operation &op : outer.getBody()->without_terminator())
    rewriter.clone(op, mapping);
  rewriter.eraseOp(outer);
  // Parallel loops nested under a sequential one run in each thread.
  SmallVector<scf::ParallelOp> inner;
  kernel.walk([&](scf::ParallelOp parallel) { inner.push_back(parallel); });
  for (scf::ParallelOp parallel : inner) {
    if (!parallel.getInitVals().empty())
      return parallel.emitOpError() << "reduces; the kernel outliner "
                                       "expects linalg's loop nests";
    rewriter.setInsertionPoint(parallel);
    IRMapping nested;
    Block *innermost = nullptr;
    for (auto [lower, upper, step, iv] :
         llvm::zip(parallel.getLowerBound(), parallel.getUpperBound(),
                   parallel.getStep(), parallel.getInductionVars())) {
      auto sequential = scf::ForOp::create(rewriter, loc, lower, upper, step);
      nested.map(iv, sequential.getInductionVar());
      rewriter.setInsertionPointToStart(sequential.getBody());
      innermost = sequential.getBody();
    }
    for (Operation &op : parallel.getBody()->without_terminator())
      rewriter.clone(op, nested);
    (void)innermost;
    rewriter.eraseOp(parallel);
  }
  return success();
}

/// Each loop nest becomes `braid_kernel_N`, a function marked `braid.kernel`
/// (emitted `__global__`), and the host launches it on the current stream
/// with one thread per iteration of its leading parallel loops
/// (`braid_emit_kernel<braid_kernel_N>(threads, where, args...)`).
LogicalResult outlineLoopNestsAsKernels(func::FuncOp function,
                                        int &numKernels) {
  IRRewriter rewriter(function.getContext());
  FailureOr<SmallVector<linalg::LinalgOp>> nests =
      loopNestOps(function, rewriter);
  if (failed(nests))
    return failure();
  for (linalg::LinalgOp linalgOp : *nests) {
    Operation *op = linalgOp;
    rewriter.setInsertionPoint(op);
    SmallVector<int64_t> ranges = linalgOp.getStaticLoopRanges();
    SmallVector<utils::IteratorType> iterators =
        linalgOp.getIteratorTypesArray();
    int64_t threads = 1;
    for (auto [range, iterator] : llvm::zip(ranges, iterators)) {
      if (iterator != utils::IteratorType::parallel)
        break;
      if (ShapedType::isDynamic(range))
        return op->emitOpError()
               << "has a dynamic loop range; the CUDA target launches "
                  "kernels of static size";
      threads *= range;
    }
    // What the op reads from outside: its operands and the values its body
    // captures; constants are recomputed in the kernel.
    llvm::SetVector<Value> used(op->getOperands().begin(),
                                op->getOperands().end());
    getUsedValuesDefinedAbove(op->getRegions(), used);
    SmallVector<Value> arguments, constants;
    for (Value value : used)
      (isRematerializable(value) ? constants : arguments).push_back(value);
    for (Value value : arguments)
      if (!isa<MemRefType, IndexType, IntegerType, FloatType>(
              value.getType()))
        return op->emitOpError()
               << "captures a value of type " << value.getType()
               << ", which a kernel cannot take as an argument";

    std::string name = "braid_kernel_" + std::to_string(numKernels++);
    rewriter.setInsertionPoint(function);
    SmallVector<Type> types;
    for (Value value : arguments)
      types.push_back(value.getType());
    auto kernel = func::FuncOp::create(rewriter, op->getLoc(), name,
                                       rewriter.getFunctionType(types, {}));
    kernel.setPrivate();
    kernel->setAttr(kKernelAttr, rewriter.getUnitAttr());
    Block *entry = kernel.addEntryBlock();
    IRMapping mapping;
    for (auto [value, argument] : llvm::zip(arguments, entry->getArguments()))
      mapping.map(value, argument);
    rewriter.setInsertionPointToStart(entry);
    for (Value value : constants)
      rewriter.clone(*value.getDefiningOp(), mapping);
    Operation *clone = rewriter.clone(*op, mapping);
    func::ReturnOp::create(rewriter, op->getLoc());
    rewriter.setInsertionPoint(clone);
    if (failed(linalg::linalgOpToParallelLoops(
            rewriter, cast<linalg::LinalgOp>(clone))))
      return op->emitOpError() << "cannot be lowered to loops";
    rewriter.eraseOp(clone);
    if (failed(distributeOverThreads(kernel, rewriter)))
      return failure();

    rewriter.setInsertionPoint(op);
    SmallVector<Attribute> args{rewriter.getI64IntegerAttr(threads),
                                where(rewriter, op)};
    for (unsigned i = 0; i < arguments.size(); ++i)
      args.push_back(rewriter.getIndexAttr(i));
    emitc::CallOpaqueOp::create(
        rewriter, op->getLoc(), TypeRange(), "braid_emit_kernel", arguments,
        rewriter.getArrayAttr(args),
        rewriter.getArrayAttr(
            {emitc::OpaqueAttr::get(rewriter.getContext(), name)}));
    rewriter.eraseOp(op);
  }
  return success();
}

/// Host code of the CUDA target may compute addresses and indices, not
/// touch data: the buffers are in device memory.
LogicalResult checkNoHostDataAccess(ModuleOp module) {
  WalkResult walk = module.walk([&](Operation *op) {
    auto function = op->getParentOfType<func::FuncOp>();
    if (!function || function->hasAttr(kKernelAttr))
      return WalkResult::advance();
    if (isa<memref::LoadOp, memref::StoreOp>(op)) {
      op->emitOpError()
          << "reads or writes device memory on the host; the CUDA target "
             "keeps data on the GPU and lowers only loop nests (linalg "
             "ops), kernels and GEMMs to device code";
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return failure(walk.wasInterrupted());
}

//===----------------------------------------------------------------------===//
// Step 2: narrow-float arithmetic in f32
//===----------------------------------------------------------------------===//

/// An arith/math op on bf16/f16 values becomes the f32 op between extf
/// and truncf: the interpreter's per-op rounding, with storage in 16 bits.
struct WidenNarrowFloatOp : public RewritePattern {
  WidenNarrowFloatOp(MLIRContext *context)
      : RewritePattern(MatchAnyOpTypeTag(), /*benefit=*/1, context) {}

  LogicalResult matchAndRewrite(Operation *op,
                                PatternRewriter &rewriter) const override {
    bool arithmetic =
        isa<math::MathDialect>(op->getDialect()) ||
        isa<arith::AddFOp, arith::SubFOp, arith::MulFOp, arith::DivFOp,
            arith::RemFOp, arith::NegFOp, arith::MaximumFOp,
            arith::MinimumFOp, arith::MaxNumFOp, arith::MinNumFOp,
            arith::CmpFOp, arith::SIToFPOp, arith::UIToFPOp, arith::FPToSIOp,
            arith::FPToUIOp>(op);
    if (!arithmetic || op->getNumRegions() != 0)
      return failure();
    bool narrow = llvm::any_of(op->getOperandTypes(), isNarrowFloat) ||
                  llvm::any_of(op->getResultTypes(), isNarrowFloat);
    if (!narrow)
      return failure();
    Type f32 = rewriter.getF32Type();
    SmallVector<Value> operands;
    for (Value operand : op->getOperands())
      operands.push_back(isNarrowFloat(operand.getType())
                             ? arith::ExtFOp::create(rewriter, op->getLoc(),
                                                     f32, operand)
                                   .getResult()
                             : operand);
    SmallVector<Type> resultTypes;
    for (Type type : op->getResultTypes())
      resultTypes.push_back(isNarrowFloat(type) ? f32 : type);
    OperationState state(op->getLoc(), op->getName(), operands, resultTypes,
                         op->getAttrs());
    Operation *wide = rewriter.create(state);
    SmallVector<Value> results;
    for (auto [result, type] :
         llvm::zip(wide->getResults(), op->getResultTypes()))
      results.push_back(isNarrowFloat(type)
                            ? arith::TruncFOp::create(rewriter, op->getLoc(),
                                                      type, result)
                                  .getResult()
                            : result);
    rewriter.replaceOp(op, results);
    return success();
  }
};

/// Integer max/min (ONNX Clip, Max and Min on integers) have no upstream
/// EmitC pattern: a compare and a select, which have.
template <typename OpTy, arith::CmpIPredicate predicate>
struct ExpandIntegerMinMax : public OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;
  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    Value choose = arith::CmpIOp::create(rewriter, op.getLoc(), predicate,
                                         op.getLhs(), op.getRhs());
    rewriter.replaceOpWithNewOp<arith::SelectOp>(op, choose, op.getLhs(),
                                                 op.getRhs());
    return success();
  }
};

/// math.absi likewise: the value or its negation.
struct ExpandIntegerAbs : public OpRewritePattern<math::AbsIOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(math::AbsIOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value zero = arith::ConstantOp::create(
        rewriter, loc, rewriter.getIntegerAttr(op.getType(), 0));
    Value negative = arith::CmpIOp::create(
        rewriter, loc, arith::CmpIPredicate::slt, op.getOperand(), zero);
    Value negated = arith::SubIOp::create(rewriter, loc, zero, op.getOperand());
    rewriter.replaceOpWithNewOp<arith::SelectOp>(op, negative, negated,
                                                 op.getOperand());
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Step 3: communicators, streams, events; launches flattened
//===----------------------------------------------------------------------===//

struct CommSpec {
  std::string grid;
  SmallVector<int64_t> shape;
  SmallVector<int32_t> deviceOrder;
  SmallVector<int32_t> axes;
};

struct ProgramTables {
  SmallVector<CommSpec> comms;
  std::map<std::pair<std::string, SmallVector<int16_t>>, int> commIndex;
  std::map<int64_t, int64_t> streamPriority; // stream -> braid priority
  int numEvents = 0;
  int numCounters = 0;
  int numOutlined = 0;
  uint64_t collectiveHash = 0xcbf29ce484222325ull;
};

void hashInto(uint64_t &hash, StringRef text) {
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 0x100000001b3ull;
  }
}

FailureOr<int> assignComm(Operation *op, FlatSymbolRefAttr gridRef,
                          ArrayRef<int16_t> axes, ProgramTables &tables) {
  auto key = std::make_pair(gridRef.getValue().str(),
                            SmallVector<int16_t>(axes));
  auto it = tables.commIndex.find(key);
  if (it != tables.commIndex.end())
    return it->second;
  shard::GridOp grid = lookupGrid(op, gridRef);
  if (!grid)
    return op->emitOpError() << "names grid " << gridRef
                             << " which is not defined";
  CommSpec spec;
  spec.grid = gridRef.getValue().str();
  for (int64_t size : grid.getShape()) {
    if (ShapedType::isDynamic(size))
      return op->emitOpError() << "runs on grid " << gridRef
                               << " of dynamic shape; compiled programs "
                                  "need static grids";
    spec.shape.push_back(size);
  }
  if (auto order = grid->getAttrOfType<DeviceOrderAttr>(
          BraidDialect::kDeviceOrderAttrName))
    for (int64_t device : order.getDevices())
      spec.deviceOrder.push_back(device);
  for (int16_t axis : axes)
    spec.axes.push_back(axis);
  int index = tables.comms.size();
  tables.comms.push_back(spec);
  tables.commIndex[key] = index;
  return index;
}

/// Communication is issued by the host on the launch's stream; ops without
/// memory effects (views, index arithmetic) compute pointers on the host.
bool staysOnHost(Operation &op) {
  if (op.getName().getStringRef().starts_with("braid.cmd.") &&
      op.hasAttr("grid"))
    return true;
  return isMemoryEffectFree(&op) && op.getNumRegions() == 0;
}

/// Moves each run of compute ops in `launch` into a function of its own,
/// enqueued on the launch's stream (braid_emit_launch). Its arguments are
/// the values the run uses from outside it.
LogicalResult outlineCompute(CommandLaunchOp launch, int64_t stream,
                             ProgramTables &tables, IRRewriter &rewriter) {
  Block &body = launch.getBody().front();
  SmallVector<SmallVector<Operation *>> runs;
  bool inRun = false;
  llvm::SmallPtrSet<Operation *, 16> inCurrentRun;
  for (Operation &op : llvm::make_early_inc_range(body.without_terminator())) {
    bool communication = op.getName().getStringRef().starts_with(
                             "braid.cmd.") &&
                         op.hasAttr("grid");
    bool dependsOnRun = llvm::any_of(op.getOperands(), [&](Value operand) {
      return inCurrentRun.contains(operand.getDefiningOp());
    });
    if (communication || (staysOnHost(op) && !dependsOnRun)) {
      // A pointer or index computation inside a run moves before it, so
      // the run stays one launch and the host still computes it.
      if (inRun && !communication)
        op.moveBefore(runs.back().front());
      if (communication) {
        inRun = false;
        inCurrentRun.clear();
      }
      continue;
    }
    if (!inRun)
      runs.emplace_back();
    runs.back().push_back(&op);
    inCurrentRun.insert(&op);
    inRun = true;
  }
  if (runs.empty())
    return success();
  if (launch->getParentOp() != launch->getParentOfType<func::FuncOp>())
    return launch.emitOpError()
           << "computes on worker stream " << stream
           << " inside a loop or branch; the CPU target outlines compute "
              "only from launches in the function's body";
  auto function = launch->getParentOfType<func::FuncOp>();
  for (ArrayRef<Operation *> run : runs) {
    llvm::SetVector<Value> captured;
    llvm::SmallPtrSet<Operation *, 16> inside(run.begin(), run.end());
    for (Operation *op : run)
      op->walk([&](Operation *nested) {
        for (Value operand : nested->getOperands()) {
          Operation *def = operand.getDefiningOp();
          Operation *owner = def ? def : operand.getParentBlock()->getParentOp();
          bool local = false;
          for (Operation *member : run)
            if (member == owner || member->isAncestor(owner))
              local = true;
          if (!local)
            captured.insert(operand);
        }
      });
    for (Operation *op : run)
      for (Value result : op->getResults())
        for (Operation *user : result.getUsers())
          if (!llvm::any_of(run, [&](Operation *member) {
                return member->isAncestor(user);
              }))
            return user->emitOpError()
                   << "uses a value computed on worker stream " << stream
                   << "; only buffers leave a launch";
    int index = tables.numOutlined++;
    std::string name = "braid_launch_" + std::to_string(index);
    rewriter.setInsertionPoint(function);
    SmallVector<Type> types;
    for (Value value : captured)
      types.push_back(value.getType());
    auto outlined = func::FuncOp::create(
        rewriter, run.front()->getLoc(), name,
        rewriter.getFunctionType(types, {}));
    outlined.setPrivate();
    Block *entry = outlined.addEntryBlock();
    IRMapping mapping;
    for (auto [value, argument] : llvm::zip(captured, entry->getArguments()))
      mapping.map(value, argument);
    rewriter.setInsertionPointToStart(entry);
    for (Operation *op : run)
      rewriter.clone(*op, mapping);
    func::ReturnOp::create(rewriter, run.front()->getLoc());
    rewriter.setInsertionPoint(run.front());
    // Named after its first op of the program (spans are emitc calls).
    Operation *named = run.front();
    for (Operation *op : run)
      if (!isa<emitc::EmitCDialect>(op->getDialect())) {
        named = op;
        break;
      }
    SmallVector<Attribute> args{i32(rewriter, stream),
                                where(rewriter, named)};
    for (unsigned i = 0; i < captured.size(); ++i)
      args.push_back(rewriter.getIndexAttr(i));
    emitc::CallOpaqueOp::create(
        rewriter, run.front()->getLoc(), TypeRange(), "braid_emit_launch",
        captured.getArrayRef(), rewriter.getArrayAttr(args),
        rewriter.getArrayAttr(
            {emitc::OpaqueAttr::get(rewriter.getContext(), name)}));
    for (Operation *op : llvm::reverse(run))
      rewriter.eraseOp(op);
  }
  return success();
}

LogicalResult assignTablesAndFlattenLaunches(func::FuncOp function,
                                             ProgramTables &tables) {
  // Communicators and the collective sequence, in issue order.
  WalkResult walk = function.walk([&](Operation *op) {
    FlatSymbolRefAttr grid;
    ArrayRef<int16_t> axes;
    if (auto rank = dyn_cast<RankOp>(op)) {
      grid = rank.getGridAttr();
      axes = rank.getAxes();
    } else if (auto counter = dyn_cast<CommandCounterOp>(op)) {
      counter->setAttr(kCounterAttr,
                       IntegerAttr::get(IntegerType::get(op->getContext(), 32),
                                        tables.numCounters++));
      return WalkResult::advance();
    } else if (op->getName().getStringRef().starts_with("braid.cmd.") &&
               op->hasAttr("grid")) {
      grid = op->getAttrOfType<FlatSymbolRefAttr>("grid");
      axes = op->getAttrOfType<DenseI16ArrayAttr>("axes").asArrayRef();
      // The chunked producer only needs its group (ring order); the
      // collectives make up the sequence every rank must agree on.
      if (isa<CommandCollectiveOpInterface>(op)) {
        auto type = cast<MemRefType>(op->getOperand(0).getType());
        std::string entry;
        llvm::raw_string_ostream os(entry);
        os << op->getName().getStringRef() << " " << grid.getValue() << " [";
        llvm::interleaveComma(axes, os);
        os << "] " << type.getElementType() << " " << type.getNumElements();
        if (std::optional<CommandTrigger> trigger = getCommandTrigger(op))
          os << " after " << trigger->chunks << "x" << trigger->tiles;
        os << ";";
        hashInto(tables.collectiveHash, entry);
      }
    } else {
      return WalkResult::advance();
    }
    FailureOr<int> comm = assignComm(op, grid, axes, tables);
    if (failed(comm))
      return WalkResult::interrupt();
    op->setAttr(kCommAttr, IntegerAttr::get(
                               IntegerType::get(op->getContext(), 32), *comm));
    return WalkResult::advance();
  });
  if (walk.wasInterrupted())
    return failure();

  IRRewriter rewriter(function.getContext());
  SmallVector<CommandLaunchOp> launches;
  function.walk([&](CommandLaunchOp launch) { launches.push_back(launch); });
  for (CommandLaunchOp launch : launches) {
    int64_t stream = launch.getStream();
    int event = tables.numEvents++;
    int64_t &priority = tables.streamPriority[stream];
    priority = std::max<int64_t>(priority, launch.getPriority());
    if (failed(outlineCompute(launch, stream, tables, rewriter)))
      return failure();
    // The collectives' lowering reads which stream to issue on.
    for (Operation &op : launch.getBody().front().without_terminator())
      if (op.getName().getStringRef().starts_with("braid.cmd."))
        op.setAttr(kStreamAttr, rewriter.getI32IntegerAttr(stream));
    rewriter.setInsertionPoint(launch);
    callOpaque(rewriter, launch.getLoc(), "braid_exec_fork", {},
               {self(rewriter), i32(rewriter, stream)});
    launch.getBody().front().getTerminator()->erase();
    rewriter.inlineBlockBefore(&launch.getBody().front(), launch);
    callOpaque(rewriter, launch.getLoc(), "braid_exec_record", {},
               {self(rewriter), i32(rewriter, event), i32(rewriter, stream)});
    for (Operation *user : llvm::make_early_inc_range(launch->getUsers())) {
      auto wait = cast<CommandWaitOp>(user);
      rewriter.setInsertionPoint(wait);
      callOpaque(rewriter, wait.getLoc(), "braid_exec_wait", {},
                 {self(rewriter), i32(rewriter, event)});
      rewriter.eraseOp(wait);
    }
    rewriter.eraseOp(launch);
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Step 4: the dialect conversion
//===----------------------------------------------------------------------===//

// A converted memref is a pointer to its first element (the layout's
// offset already applied, so dynamic offsets from rank-dependent subviews
// need no runtime descriptor); strides must be static.

/// Elements from the buffer's first element to element `indices`, as a
/// size_t value.
FailureOr<Value> linearIndex(ConversionPatternRewriter &rewriter,
                             Location loc, MemRefType type,
                             ValueRange indices) {
  auto [strides, offset] = type.getStridesAndOffset();
  if (llvm::any_of(strides, ShapedType::isDynamic))
    return failure();
  Type sizeT = emitc::SizeTType::get(rewriter.getContext());
  auto constant = [&](int64_t value) -> Value {
    return emitc::ConstantOp::create(
        rewriter, loc, sizeT, rewriter.getIntegerAttr(rewriter.getIndexType(),
                                                      value));
  };
  Value linear;
  for (auto [index, stride] : llvm::zip(indices, strides)) {
    Value term = stride == 1 ? index
                             : emitc::MulOp::create(rewriter, loc, sizeT,
                                                    index, constant(stride))
                                   .getResult();
    linear = linear ? emitc::AddOp::create(rewriter, loc, sizeT, linear, term)
                          .getResult()
                    : term;
  }
  return linear ? linear : constant(0);
}

/// `pointer` advanced by `elements` (a size_t value).
Value advance(ConversionPatternRewriter &rewriter, Location loc,
              Value pointer, Value elements) {
  // Pointer arithmetic takes a plain integer, not size_t.
  Value shift =
      emitc::CastOp::create(rewriter, loc, rewriter.getI64Type(), elements);
  return emitc::AddOp::create(rewriter, loc, pointer.getType(), pointer,
                              shift);
}

/// memref.subview: the source's first element moved by the offsets.
struct SubViewLowering : public OpConversionPattern<memref::SubViewOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(memref::SubViewOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    MemRefType source = op.getSourceType();
    auto [strides, offset] = source.getStridesAndOffset();
    auto [resultStrides, resultOffset] =
        op.getType().getStridesAndOffset();
    if (llvm::any_of(strides, ShapedType::isDynamic) ||
        llvm::any_of(resultStrides, ShapedType::isDynamic))
      return op.emitOpError() << "makes a view with dynamic strides "
                              << op.getType()
                              << "; the host code needs static strides";
    Location loc = op.getLoc();
    Type sizeT = emitc::SizeTType::get(rewriter.getContext());
    SmallVector<Value> offsets;
    unsigned dynamicIndex = 0;
    for (OpFoldResult value : op.getMixedOffsets()) {
      if (auto attr = dyn_cast<Attribute>(value))
        offsets.push_back(emitc::ConstantOp::create(
            rewriter, loc, sizeT,
            rewriter.getIntegerAttr(rewriter.getIndexType(),
                                    cast<IntegerAttr>(attr).getInt())));
      else
        offsets.push_back(adaptor.getOffsets()[dynamicIndex++]);
    }
    FailureOr<Value> elements = linearIndex(rewriter, loc, source, offsets);
    if (failed(elements))
      return failure();
    rewriter.replaceOp(op, advance(rewriter, loc, adaptor.getSource(),
                                   *elements));
    return success();
  }
};

/// The element a load or store reaches, as an lvalue.
template <typename OpTy>
FailureOr<Value> elementOf(OpTy op, typename OpTy::Adaptor adaptor,
                           ConversionPatternRewriter &rewriter) {
  FailureOr<Value> index = linearIndex(rewriter, op.getLoc(),
                                       op.getMemRefType(), adaptor.getIndices());
  if (failed(index))
    return rewriter.notifyMatchFailure(op, "dynamic layout");
  auto pointer = cast<TypedValue<emitc::PointerType>>(adaptor.getMemref());
  return emitc::SubscriptOp::create(rewriter, op.getLoc(), pointer, *index)
      .getResult();
}

struct LoadLowering : public OpConversionPattern<memref::LoadOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(memref::LoadOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    FailureOr<Value> element = elementOf(op, adaptor, rewriter);
    if (failed(element))
      return failure();
    rewriter.replaceOpWithNewOp<emitc::LoadOp>(
        op, cast<emitc::LValueType>(element->getType()).getValueType(),
        *element);
    return success();
  }
};

struct StoreLowering : public OpConversionPattern<memref::StoreOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(memref::StoreOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    FailureOr<Value> element = elementOf(op, adaptor, rewriter);
    if (failed(element))
      return failure();
    rewriter.replaceOpWithNewOp<emitc::AssignOp>(op, *element,
                                                 adaptor.getValue());
    return success();
  }
};

/// memref.view into the arena: the base pointer moved by the byte shift,
/// reinterpreted as the element type.
struct ViewLowering : public OpConversionPattern<memref::ViewOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(memref::ViewOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Type result = getTypeConverter()->convertType(op.getType());
    if (!result)
      return failure();
    Value bytes = advance(rewriter, op.getLoc(), adaptor.getSource(),
                          adaptor.getByteShift());
    rewriter.replaceOpWithNewOp<emitc::CallOpaqueOp>(
        op, TypeRange{result}, "reinterpret_cast", ValueRange{bytes},
        ArrayAttr(), rewriter.getArrayAttr({TypeAttr::get(result)}));
    return success();
  }
};

/// Views whose result type carries the layout: the base pointer is
/// unchanged.
template <typename OpTy>
struct SameBaseViewLowering : public OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;
  LogicalResult
  matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = cast<MemRefType>(op->getResult(0).getType());
    auto source = cast<MemRefType>(op->getOperand(0).getType());
    auto [strides, offset] = type.getStridesAndOffset();
    auto [sourceStrides, sourceOffset] = source.getStridesAndOffset();
    if (llvm::any_of(strides, ShapedType::isDynamic))
      return op->emitOpError() << "makes a view with dynamic strides "
                               << type
                               << "; the host code needs static strides";
    // Reshapes, casts and transposes keep the first element, except a
    // reinterpret_cast, which sets an offset from the base.
    if (offset != sourceOffset) {
      if (ShapedType::isDynamic(offset) || ShapedType::isDynamic(sourceOffset))
        return op->emitOpError() << "moves a view by a dynamic offset";
      Type sizeT = emitc::SizeTType::get(rewriter.getContext());
      Value shift = emitc::ConstantOp::create(
          rewriter, op->getLoc(), sizeT,
          rewriter.getIntegerAttr(rewriter.getIndexType(),
                                  offset - sourceOffset));
      rewriter.replaceOp(op, advance(rewriter, op->getLoc(),
                                     adaptor.getOperands().front(), shift));
      return success();
    }
    rewriter.replaceOp(op, adaptor.getOperands().front());
    return success();
  }
};

struct DeallocLowering : public OpConversionPattern<memref::DeallocOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(memref::DeallocOp op, OpAdaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.eraseOp(op);
    return success();
  }
};

struct CopyLowering : public OpConversionPattern<memref::CopyOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(memref::CopyOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto sourceType = cast<MemRefType>(op.getSource().getType());
    FailureOr<int64_t> bytes = getStaticByteSize(sourceType);
    if (failed(bytes))
      return failure();
    callOpaque(rewriter, op.getLoc(), "braid_emit_copy",
               ValueRange{adaptor.getTarget(), adaptor.getSource()},
               {rewriter.getIndexAttr(0), rewriter.getIndexAttr(1),
                rewriter.getI64IntegerAttr(*bytes)});
    rewriter.eraseOp(op);
    return success();
  }
};

/// A constant global: a static array in the emitted file.
struct GetGlobalLowering : public OpConversionPattern<memref::GetGlobalOp> {
  GetGlobalLowering(const TypeConverter &converter, MLIRContext *context,
                    CodegenTarget codegen)
      : OpConversionPattern(converter, context), codegen(codegen) {}
  CodegenTarget codegen;
  LogicalResult
  matchAndRewrite(memref::GetGlobalOp op, OpAdaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Type result = getTypeConverter()->convertType(op.getType());
    std::string symbol = ("braid_global_" + op.getName()).str();
    rewriter.replaceOpWithNewOp<emitc::LiteralOp>(
        op, result,
        codegen == CodegenTarget::Cuda ? "braid_cuda_global(" + symbol + ")"
                                       : symbol);
    return success();
  }
};

/// braid.cmd.* collectives: one braid_exec call.
template <typename OpTy>
struct CollectiveLowering : public OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;
  LogicalResult
  matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto sourceType = cast<MemRefType>(op.getSource().getType());
    Type element = sourceType.getElementType();
    int dtype = runtimeDType(element);
    if (dtype < 0)
      return op.emitOpError() << "communicates " << element
                              << ", which the runtime cannot send "
                                 "(f64, f32, f16, bf16, i64, i32, i8)";
    auto comm = op->template getAttrOfType<IntegerAttr>(kCommAttr);
    auto stream = op->template getAttrOfType<IntegerAttr>(kStreamAttr);
    int64_t streamIndex = stream ? stream.getInt() : 0;
    SmallVector<Attribute> args{self(rewriter), i32(rewriter, comm.getInt()),
                                rewriter.getIndexAttr(0),
                                rewriter.getIndexAttr(1)};
    StringRef callee;
    if (failed(describe(op, rewriter, args, callee)))
      return failure();
    SmallVector<Value> operands{adaptor.getSource(), adaptor.getTarget()};
    std::string triggered;
    if (std::optional<CommandTrigger> trigger = getCommandTrigger(op)) {
      // braid_exec_*_triggered: the counter, its epoch, then chunks per
      // rank (a ring) or chunks (all_gather) and tiles per chunk.
      int64_t chunks = trigger->chunks;
      if (!isa<CommandAllGatherOp>(op.getOperation())) {
        FailureOr<int64_t> size =
            getGroupSize(op, op->template getAttrOfType<FlatSymbolRefAttr>(
                                 "grid"),
                         op->template getAttrOfType<DenseI16ArrayAttr>("axes")
                             .asArrayRef());
        if (failed(size) || ShapedType::isDynamic(*size))
          return op.emitOpError() << "needs a static group size";
        chunks /= *size;
      }
      triggered = (callee + "_triggered").str();
      callee = triggered;
      operands.push_back(rewriter.getRemappedValue(trigger->counter));
      operands.push_back(rewriter.getRemappedValue(trigger->epoch));
      args.push_back(rewriter.getIndexAttr(2));
      args.push_back(rewriter.getIndexAttr(3));
      args.push_back(rewriter.getI64IntegerAttr(chunks));
      args.push_back(rewriter.getI64IntegerAttr(trigger->tiles));
    }
    args.push_back(i32(rewriter, streamIndex));
    args.push_back(where(rewriter, op));
    callOpaque(rewriter, loc, callee, operands, args);
    rewriter.eraseOp(op);
    return success();
  }

  /// Count, dtype and the op's own arguments, in the callee's order.
  LogicalResult describe(OpTy op, OpBuilder &builder,
                         SmallVectorImpl<Attribute> &args,
                         StringRef &callee) const;
};

/// The enumerators by name: C++ does not convert an int to an enum.
Attribute dtypeAttr(OpBuilder &builder, MemRefType type) {
  return emitc::OpaqueAttr::get(builder.getContext(),
                                runtimeDTypeName(type.getElementType()));
}

Attribute reductionAttr(OpBuilder &builder, int reduction) {
  static const char *names[] = {"BRAID_RT_SUM", "BRAID_RT_MAX",
                                "BRAID_RT_MIN", "BRAID_RT_PROD"};
  return emitc::OpaqueAttr::get(builder.getContext(), names[reduction]);
}

/// Count, dtype and reduction of a reducing collective.
template <typename OpTy>
LogicalResult describeReduction(OpTy op, OpBuilder &builder, int64_t count,
                                SmallVectorImpl<Attribute> &args) {
  int reduction = runtimeReduction(op.getReduction());
  if (reduction < 0)
    return op.emitOpError() << "reduction '"
                            << stringifyReductionKind(op.getReduction())
                            << "' has no runtime counterpart";
  args.push_back(builder.getI64IntegerAttr(count));
  args.push_back(dtypeAttr(builder, op.getSource().getType()));
  args.push_back(reductionAttr(builder, reduction));
  return success();
}

template <>
LogicalResult CollectiveLowering<CommandAllReduceOp>::describe(
    CommandAllReduceOp op, OpBuilder &builder,
    SmallVectorImpl<Attribute> &args, StringRef &callee) const {
  callee = "braid_exec_all_reduce";
  return describeReduction(op, builder, op.getSourceElements(), args);
}

template <>
LogicalResult CollectiveLowering<CommandReduceScatterOp>::describe(
    CommandReduceScatterOp op, OpBuilder &builder,
    SmallVectorImpl<Attribute> &args, StringRef &callee) const {
  callee = "braid_exec_reduce_scatter";
  return describeReduction(op, builder, op.getTargetElements(), args);
}

template <>
LogicalResult CollectiveLowering<CommandAllGatherOp>::describe(
    CommandAllGatherOp op, OpBuilder &builder,
    SmallVectorImpl<Attribute> &args, StringRef &callee) const {
  callee = "braid_exec_all_gather";
  args.push_back(builder.getI64IntegerAttr(op.getSourceElements()));
  args.push_back(dtypeAttr(builder, op.getSource().getType()));
  return success();
}

template <>
LogicalResult CollectiveLowering<CommandAllToAllOp>::describe(
    CommandAllToAllOp op, OpBuilder &builder,
    SmallVectorImpl<Attribute> &args, StringRef &callee) const {
  FailureOr<int64_t> size = getGroupSize(op, op.getGridAttr(), op.getAxes());
  if (failed(size) || ShapedType::isDynamic(*size))
    return op.emitOpError() << "needs a static group size";
  callee = "braid_exec_all_to_all";
  args.push_back(builder.getI64IntegerAttr(op.getSourceElements() / *size));
  args.push_back(dtypeAttr(builder, op.getSource().getType()));
  return success();
}

template <>
LogicalResult CollectiveLowering<CommandBroadcastOp>::describe(
    CommandBroadcastOp op, OpBuilder &builder,
    SmallVectorImpl<Attribute> &args, StringRef &callee) const {
  callee = "braid_exec_broadcast";
  args.push_back(builder.getI64IntegerAttr(op.getSourceElements()));
  args.push_back(dtypeAttr(builder, op.getSource().getType()));
  args.push_back(builder.getI32IntegerAttr(op.getRoot()));
  return success();
}

template <>
LogicalResult CollectiveLowering<CommandCollectivePermuteOp>::describe(
    CommandCollectivePermuteOp op, OpBuilder &builder,
    SmallVectorImpl<Attribute> &args, StringRef &callee) const {
  callee = "braid_exec_permute";
  args.push_back(builder.getI64IntegerAttr(op.getSourceElements()));
  args.push_back(dtypeAttr(builder, op.getSource().getType()));
  // An array temporary (braid_emitted.h): the runtime reads the pairs
  // before the call returns.
  std::string pairs =
      "braid_pairs<" + std::to_string(op.getPairs().size()) + ">{{";
  llvm::raw_string_ostream os(pairs);
  llvm::interleaveComma(op.getPairs(), os);
  os << "}}.data";
  args.push_back(emitc::OpaqueAttr::get(builder.getContext(), pairs));
  args.push_back(builder.getI32IntegerAttr(op.getPairs().size() / 2));
  return success();
}

struct RankLowering : public OpConversionPattern<RankOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(RankOp op, OpAdaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto comm = op->getAttrOfType<IntegerAttr>(kCommAttr);
    Type sizeT = emitc::SizeTType::get(rewriter.getContext());
    auto call = emitc::CallOpaqueOp::create(
        rewriter, op.getLoc(), TypeRange{rewriter.getI64Type()},
        "braid_exec_comm_rank", ValueRange(),
        rewriter.getArrayAttr({self(rewriter), i32(rewriter, comm.getInt())}));
    rewriter.replaceOpWithNewOp<emitc::CastOp>(op, sizeT, call.getResult(0));
    return success();
  }
};

Attribute elemAttr(OpBuilder &builder, Type type) {
  return builder.getI32IntegerAttr(kernelElem(type));
}

/// The shape, transposes, element types and strides of a runtime GEMM
/// (isRuntimeGemm), in braid_emit_gemm_desc's order.
SmallVector<Attribute> gemmShapeArgs(OpBuilder &rewriter,
                                     linalg::LinalgOp op) {
  SmallVector<MemRefType> types;
  for (Value operand : op->getOperands())
    types.push_back(cast<MemRefType>(operand.getType()));
  bool batched = types[0].getRank() == 3;
    auto dim = [&](MemRefType type, int fromEnd) {
      return type.getShape()[type.getRank() - 1 - fromEnd];
    };
    auto leading = [&](MemRefType type) {
      return type.getStridesAndOffset().first[type.getRank() - 2];
    };
    auto batchStride = [&](MemRefType type) -> int64_t {
      return batched ? type.getStridesAndOffset().first[0] : 0;
    };
  auto [transA, transB] = *gemmTransposes(op);
  int64_t batch = batched ? types[0].getShape()[0] : 1;
  // C is [m, n]; A is stored [m, k] ([k, m] transposed).
  int64_t m = dim(types[2], 1), n = dim(types[2], 0);
  int64_t k = dim(types[0], transA ? 1 : 0);
  SmallVector<Attribute> args{
        rewriter.getI64IntegerAttr(batch), rewriter.getI64IntegerAttr(m),
        rewriter.getI64IntegerAttr(n), rewriter.getI64IntegerAttr(k),
        rewriter.getI32IntegerAttr(transA), rewriter.getI32IntegerAttr(transB),
        elemAttr(rewriter, types[0].getElementType()),
        elemAttr(rewriter, types[1].getElementType()),
        elemAttr(rewriter, types[2].getElementType()),
        rewriter.getI64IntegerAttr(leading(types[0])),
        rewriter.getI64IntegerAttr(leading(types[1])),
        rewriter.getI64IntegerAttr(leading(types[2])),
        rewriter.getI64IntegerAttr(batchStride(types[0])),
        rewriter.getI64IntegerAttr(batchStride(types[1])),
        rewriter.getI64IntegerAttr(batchStride(types[2]))};
  return args;
}

/// linalg.matmul / batch_matmul -> braid_emit_gemm.
template <typename OpTy>
struct GemmLowering : public OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;
  LogicalResult
  matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    SmallVector<Attribute> args = gemmShapeArgs(rewriter, op);
    for (int64_t i = 0; i < 3; ++i)
      args.push_back(rewriter.getIndexAttr(i));
    args.push_back(where(rewriter, op));
    callOpaque(rewriter, op.getLoc(), "braid_emit_gemm",
               adaptor.getOperands(), args);
    rewriter.eraseOp(op);
    return success();
  }
};

/// braid.cmd.counter -> its index among the program's counters.
struct CounterLowering : public OpConversionPattern<CommandCounterOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(CommandCounterOp op, OpAdaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto index = op->getAttrOfType<IntegerAttr>(kCounterAttr);
    if (!index)
      return op.emitOpError() << "has no counter index (the lowering "
                                 "assigns them before converting)";
    rewriter.replaceOpWithNewOp<emitc::ConstantOp>(op, index.getType(),
                                                   index);
    return success();
  }
};

/// braid.cmd.next_epoch -> braid_exec_next_epoch.
struct NextEpochLowering : public OpConversionPattern<CommandNextEpochOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(CommandNextEpochOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto call = emitc::CallOpaqueOp::create(
        rewriter, op.getLoc(), TypeRange{rewriter.getI64Type()},
        "braid_exec_next_epoch", ValueRange{adaptor.getCounter()},
        rewriter.getArrayAttr({self(rewriter), rewriter.getIndexAttr(0),
                               where(rewriter, op)}));
    rewriter.replaceOp(op, call.getResults());
    return success();
  }
};

/// The ops of a chunked_compute's body after its producer (its first op).
SmallVector<Operation *> chunkedEpilogue(CommandChunkedComputeOp op) {
  SmallVector<Operation *> epilogue;
  for (Operation &nested :
       llvm::drop_begin(op.getBody().front().without_terminator()))
    epilogue.push_back(&nested);
  return epilogue;
}

/// Rows of each block an outlined epilogue runs on: the output's rows over
/// chunks x tiles (checkChunkedProducers: they divide).
int64_t epilogueBlockRows(CommandChunkedComputeOp op) {
  return op.getOutput().getType().getShape()[0] /
         (op.getChunks() * op.getTiles());
}

/// The producer a chunked_compute runs as one of the runtime's chunked
/// producers: its body's first op, a linalg.matmul the runtime GEMM takes
/// (then, optionally, an epilogue of linalg ops that run on blocks of rows)
/// or a braid.cmd.compute of a braid.grouped_matmul; the last op writes the
/// output. Failure with the reason in `whyNot`.
FailureOr<Operation *> chunkedProducer(CommandChunkedComputeOp op,
                                       std::string &whyNot) {
  Operation *first = &op.getBody().front().front();
  SmallVector<Operation *> epilogue = chunkedEpilogue(op);
  Value written;
  if (auto matmul = dyn_cast<linalg::MatmulOp>(first)) {
    if (!isRuntimeGemm(matmul)) {
      whyNot = "its linalg.matmul is not on f64, f32, f16 or bf16 row-major "
               "buffers, which the runtime GEMM takes";
      return failure();
    }
    for (Operation *next : epilogue) {
      if (!isa<linalg::LinalgOp>(next))
        whyNot = "its epilogue's '" + next->getName().getStringRef().str() +
                 "' is not a linalg op";
      else if (llvm::any_of(next->getOperands(), [&](Value operand) {
                 return op->isAncestor(operand.getParentBlock()->getParentOp());
               }))
        whyNot = "its epilogue uses a value computed inside the "
                 "chunked_compute";
      else
        (void)checkRowBlockEpilogue(next, whyNot);
      if (!whyNot.empty())
        return failure();
    }
    written = epilogue.empty()
                  ? matmul.getDpsInits()[0]
                  : cast<linalg::LinalgOp>(epilogue.back()).getDpsInits()[0];
    if (!epilogue.empty()) {
      auto rows = cast<MemRefType>(matmul.getDpsInits()[0].getType());
      if (op.getOutput().getType().getShape() != rows.getShape()) {
        whyNot = "its epilogue changes the matmul's shape";
        return failure();
      }
      int64_t blocks = op.getChunks() * op.getTiles();
      if (rows.getShape()[0] % blocks != 0) {
        whyNot = "its epilogue runs on equal blocks of rows, but the " +
                 std::to_string(rows.getShape()[0]) + " rows do not cut "
                 "into " + std::to_string(op.getChunks()) + " chunks of " +
                 std::to_string(op.getTiles()) + " tile blocks";
        return failure();
      }
    }
  } else if (auto compute = dyn_cast<CommandComputeOp>(first);
             compute &&
             isa_and_nonnull<GroupedMatmulOp>(
                 compute.getSingleComputation()) &&
             compute.getOutputs().size() == 1) {
    if (!epilogue.empty()) {
      whyNot = "an epilogue runs after a linalg.matmul only, not after a "
               "braid.grouped_matmul";
      return failure();
    }
    written = compute.getOutputs()[0];
  } else {
    whyNot = "it starts with '" + first->getName().getStringRef().str() +
             "', not a linalg.matmul or a braid.cmd.compute of one "
             "braid.grouped_matmul";
    return failure();
  }
  if (written != op.getOutput()) {
    whyNot = "its last op does not write the output it releases";
    return failure();
  }
  return first;
}

/// Checked before anything is lowered (the body's matmul would otherwise
/// become loops).
LogicalResult checkChunkedProducers(func::FuncOp function) {
  WalkResult walk = function.walk([](CommandChunkedComputeOp op) {
    std::string whyNot;
    if (succeeded(chunkedProducer(op, whyNot)))
      return WalkResult::advance();
    op.emitOpError() << "cannot run on the runtime's chunked producers, "
                        "the only producers that release a counter: "
                     << whyNot;
    return WalkResult::interrupt();
  });
  return failure(walk.wasInterrupted());
}

/// What a chunked_compute's epilogue uses from outside the op, in a fixed
/// order: the outlined epilogue's arguments (before the row).
SmallVector<Value> epilogueCaptures(CommandChunkedComputeOp op) {
  llvm::SetVector<Value> captured;
  for (Operation *next : chunkedEpilogue(op)) {
    captured.insert(next->getOperands().begin(), next->getOperands().end());
    getUsedValuesDefinedAbove(next->getRegions(), captured);
  }
  return captured.takeVector();
}

/// Each chunked_compute with an epilogue: the epilogue outlined into a
/// function of one block of rows, `braid_epilogue_<i>(captures..., row)`,
/// its ops cloned onto the block's rows of every operand (a subview at
/// `row` wherever an operand is indexed by the output's row loop). The op
/// keeps its epilogue (its captures name the call's arguments) and is
/// marked with the function; the functions are returned for the loop
/// nests (CPU) or kernels (CUDA) of their ops.
SmallVector<func::FuncOp> outlineChunkedEpilogues(func::FuncOp function) {
  SmallVector<func::FuncOp> outlined;
  MLIRContext *context = function.getContext();
  IRRewriter rewriter(context);
  function.walk([&](CommandChunkedComputeOp op) {
    SmallVector<Operation *> epilogue = chunkedEpilogue(op);
    if (epilogue.empty())
      return;
    int64_t rowsPerBlock = epilogueBlockRows(op);
    SmallVector<Value> captured = epilogueCaptures(op);
    SmallVector<Type> types(ValueRange(captured).getTypes());
    types.push_back(rewriter.getIndexType());
    std::string name = "braid_epilogue_" + std::to_string(outlined.size());
    rewriter.setInsertionPoint(function);
    auto callee = func::FuncOp::create(rewriter, op.getLoc(), name,
                                       rewriter.getFunctionType(types, {}));
    callee.setPrivate();
    Block *entry = callee.addEntryBlock();
    Value row = entry->getArguments().back();
    IRMapping mapping;
    for (auto [value, argument] : llvm::zip(captured, entry->getArguments()))
      mapping.map(value, argument);
    rewriter.setInsertionPointToStart(entry);
    for (Operation *next : epilogue) {
      auto linalgOp = cast<linalg::LinalgOp>(next);
      unsigned rowLoop = cast<AffineDimExpr>(
                             linalgOp
                                 .getMatchingIndexingMap(
                                     linalgOp.getDpsInitOperand(0))
                                 .getResult(0))
                             .getPosition();
      SmallVector<std::pair<unsigned, Value>> blocks;
      for (OpOperand &operand : next->getOpOperands()) {
        auto type = dyn_cast<MemRefType>(operand.get().getType());
        if (!type)
          continue;
        AffineMap map = linalgOp.getMatchingIndexingMap(&operand);
        SmallVector<OpFoldResult> offsets, sizes, strides;
        bool sliced = false;
        for (auto [dim, result] : llvm::enumerate(map.getResults())) {
          bool isRow = result == getAffineDimExpr(rowLoop, context);
          sliced |= isRow;
          offsets.push_back(isRow ? OpFoldResult(row)
                                  : OpFoldResult(rewriter.getIndexAttr(0)));
          sizes.push_back(rewriter.getIndexAttr(
              isRow ? rowsPerBlock : type.getShape()[dim]));
          strides.push_back(rewriter.getIndexAttr(1));
        }
        if (!sliced)
          continue;
        blocks.push_back(
            {operand.getOperandNumber(),
             memref::SubViewOp::create(rewriter, next->getLoc(),
                                       mapping.lookup(operand.get()), offsets,
                                       sizes, strides)});
      }
      Operation *clone = rewriter.clone(*next, mapping);
      for (auto [number, block] : blocks)
        clone->setOperand(number, block);
    }
    func::ReturnOp::create(rewriter, op.getLoc());
    op->setAttr(kEpilogueAttr, FlatSymbolRefAttr::get(callee));
    outlined.push_back(callee);
  });
  return outlined;
}

/// braid.cmd.chunked_compute -> braid_emit_gemm_signal (a linalg.matmul) or
/// braid_emit_grouped_matmul_signal (a braid.grouped_matmul)
/// (the runtime's chunked GEMM, on the launch's stream).
struct ChunkedComputeLowering
    : public OpConversionPattern<CommandChunkedComputeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(CommandChunkedComputeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    // (checkChunkedProducers accepted its body before the conversion.)
    Operation *producer = &op.getBody().front().front();
    auto epilogue = op->getAttrOfType<FlatSymbolRefAttr>(kEpilogueAttr);
    auto comm = op->getAttrOfType<IntegerAttr>(kCommAttr);
    auto stream = op->getAttrOfType<IntegerAttr>(kStreamAttr);
    SmallVector<Attribute> args{
        self(rewriter), i32(rewriter, stream ? stream.getInt() : 0)};
    SmallVector<Value> operands;
    StringRef callee;
    if (auto matmul = dyn_cast<linalg::MatmulOp>(producer)) {
      // a, b, c.
      callee = epilogue ? "braid_emit_gemm_epilogue_signal"
                        : "braid_emit_gemm_signal";
      llvm::append_range(args, gemmShapeArgs(rewriter, matmul));
      for (Value operand : matmul->getOperands())
        operands.push_back(rewriter.getRemappedValue(operand));
      for (int64_t i = 0; i < 3; ++i)
        args.push_back(rewriter.getIndexAttr(i));
    } else {
      // lhs, rhs, group_sizes, out (the braid.cmd.compute's buffers).
      auto compute = cast<CommandComputeOp>(producer);
      auto grouped = cast<GroupedMatmulOp>(compute.getSingleComputation());
      callee = "braid_emit_grouped_matmul_signal";
      auto lhs = grouped.getLhs().getType();
      auto rhs = grouped.getRhs().getType();
      args.push_back(elemAttr(rewriter, lhs.getElementType()));
      args.push_back(elemAttr(rewriter, grouped.getType().getElementType()));
      for (int64_t size : {lhs.getShape()[0], lhs.getShape()[1],
                           rhs.getShape()[2], rhs.getShape()[0]})
        args.push_back(rewriter.getI64IntegerAttr(size));
      for (Value input : compute.getInputs())
        operands.push_back(rewriter.getRemappedValue(input));
      operands.push_back(adaptor.getOutput());
      args.push_back(rewriter.getIndexAttr(0));
      args.push_back(rewriter.getIndexAttr(1));
      args.push_back(rewriter.getIndexAttr(2));
      args.push_back(elemAttr(
          rewriter, grouped.getGroupSizes().getType().getElementType()));
      args.push_back(rewriter.getIndexAttr(3));
    }
    int64_t next = operands.size();
    operands.push_back(adaptor.getCounter());
    operands.push_back(adaptor.getEpoch());
    args.push_back(rewriter.getIndexAttr(next));
    args.push_back(rewriter.getIndexAttr(next + 1));
    args.push_back(i32(rewriter, comm.getInt()));
    args.push_back(i32(rewriter, op.getOrder() == FusionOrder::Ring));
    args.push_back(rewriter.getI64IntegerAttr(op.getChunks()));
    args.push_back(rewriter.getI64IntegerAttr(op.getTiles()));
    if (!epilogue) {
      // A bare matmul runs no epilogue.
      if (isa<linalg::MatmulOp>(producer))
        args.push_back(
            emitc::OpaqueAttr::get(rewriter.getContext(), "nullptr"));
      args.push_back(where(rewriter, op));
      callOpaque(rewriter, op.getLoc(), callee, operands, args);
      rewriter.eraseOp(op);
      return success();
    }
    // The outlined epilogue of one block of rows, its captures last.
    args.push_back(rewriter.getI64IntegerAttr(epilogueBlockRows(op)));
    args.push_back(where(rewriter, op));
    for (Value value : epilogueCaptures(op)) {
      args.push_back(rewriter.getIndexAttr(operands.size()));
      operands.push_back(rewriter.getRemappedValue(value));
    }
    emitc::CallOpaqueOp::create(
        rewriter, op.getLoc(), TypeRange(), callee, operands,
        rewriter.getArrayAttr(args),
        rewriter.getArrayAttr({emitc::OpaqueAttr::get(
            rewriter.getContext(), epilogue.getValue())}));
    rewriter.eraseOp(op);
    return success();
  }
};

/// linalg.softmax on contiguous buffers -> braid_emit_softmax.
struct SoftmaxLowering : public OpConversionPattern<linalg::SoftmaxOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(linalg::SoftmaxOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto input = dyn_cast<MemRefType>(op.getInput().getType());
    auto output = dyn_cast<MemRefType>(op.getOutput().getType());
    if (!input || !output ||
        !memref::isStaticShapeAndContiguousRowMajor(input) ||
        !memref::isStaticShapeAndContiguousRowMajor(output))
      return op.emitOpError() << "needs contiguous buffers for the runtime "
                                 "softmax";
    int64_t dim = op.getDimension(), outer = 1, inner = 1;
    for (int64_t i = 0; i < input.getRank(); ++i)
      (i < dim ? outer : inner) *= i == dim ? 1 : input.getShape()[i];
    callOpaque(rewriter, op.getLoc(), "braid_emit_softmax",
               ValueRange{adaptor.getInput(), adaptor.getOutput()},
               {rewriter.getI32IntegerAttr(kernelElem(input.getElementType())),
                rewriter.getI64IntegerAttr(outer),
                rewriter.getI64IntegerAttr(input.getShape()[dim]),
                rewriter.getI64IntegerAttr(inner), rewriter.getIndexAttr(0),
                rewriter.getIndexAttr(1), where(rewriter, op)});
    rewriter.eraseOp(op);
    return success();
  }
};

int64_t innerSize(Type type) {
  auto shaped = cast<ShapedType>(type);
  return shaped.getRank() == 0 ? 1 : shaped.getShape().back();
}

/// braid.cmd.compute around a layer op -> its runtime kernel.
struct ComputeLowering : public OpConversionPattern<CommandComputeOp> {
  ComputeLowering(const TypeConverter &converter, MLIRContext *context,
                  StringRef targetName)
      : OpConversionPattern(converter, context), targetName(targetName) {}
  StringRef targetName;
  LogicalResult
  matchAndRewrite(CommandComputeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Operation *computation = op.getSingleComputation();
    if (!computation)
      return op.emitOpError() << "holds more than one op; the lowering maps "
                                 "one layer op to one kernel";
    Location loc = op.getLoc();
    SmallVector<Value> pointers(adaptor.getOperands());
    auto index = [&](unsigned i) { return rewriter.getIndexAttr(i); };
    auto i64 = [&](int64_t v) { return rewriter.getI64IntegerAttr(v); };
    Attribute whereAttr = where(rewriter, computation);
    LogicalResult result =
        llvm::TypeSwitch<Operation *, LogicalResult>(computation)
            .Case([&](RMSNormOp norm) -> LogicalResult {
              auto type = norm.getInput().getType();
              int64_t width = innerSize(type);
              if (norm.getResult().getType().getElementType() !=
                  type.getElementType())
                return norm.emitOpError()
                       << "changes the element type; the runtime kernel "
                          "keeps it";
              callOpaque(rewriter, loc, "braid_emit_rmsnorm", pointers,
                         {elemAttr(rewriter, type.getElementType()),
                          i64(type.getNumElements() / width), i64(width),
                          index(0), index(1),
                          rewriter.getF32FloatAttr(
                              norm.getEpsilon().convertToFloat()),
                          index(2), whereAttr});
              return success();
            })
            .Case([&](LayerNormOp norm) -> LogicalResult {
              auto type = norm.getInput().getType();
              int64_t width = innerSize(type);
              callOpaque(rewriter, loc, "braid_emit_layernorm", pointers,
                         {elemAttr(rewriter, type.getElementType()),
                          i64(type.getNumElements() / width), i64(width),
                          index(0), index(1), index(2),
                          rewriter.getF32FloatAttr(
                              norm.getEpsilon().convertToFloat()),
                          index(3), whereAttr});
              return success();
            })
            .Case([&](SwiGLUOp swiglu) -> LogicalResult {
              auto type = swiglu.getGate().getType();
              callOpaque(rewriter, loc, "braid_emit_swiglu", pointers,
                         {elemAttr(rewriter, type.getElementType()),
                          i64(type.getNumElements()), index(0), index(1),
                          index(2), whereAttr});
              return success();
            })
            .Case([&](ActivationOp activation) -> LogicalResult {
              auto type = activation.getInput().getType();
              callOpaque(rewriter, loc, "braid_emit_activation", pointers,
                         {i32(rewriter, static_cast<int64_t>(
                                            activation.getKind())),
                          elemAttr(rewriter, type.getElementType()),
                          i64(type.getNumElements()), index(0), index(1),
                          whereAttr});
              return success();
            })
            .Case([&](AttentionOp attention) -> LogicalResult {
              auto q = attention.getQuery().getType();
              auto k = attention.getKey().getType();
              auto v = attention.getValue().getType();
              if (q.getRank() != 4)
                return attention.emitOpError()
                       << "has rank-" << q.getRank()
                       << " operands; the runtime kernel takes [B, H, S, D]";
              double scale = attention.getScale()
                                 ? attention.getScale()->convertToDouble()
                                 : 0.0;
              SmallVector<Attribute> args{
                  i64(q.getShape()[0]), i64(q.getShape()[1]),
                  i64(k.getShape()[1]), i64(q.getShape()[2]),
                  i64(k.getShape()[2]), i64(q.getShape()[3]),
                  i64(v.getShape()[3]),
                  i32(rewriter, attention.getCausal() ? 1 : 0),
                  rewriter.getF64FloatAttr(scale),
                  elemAttr(rewriter, q.getElementType())};
              bool masked = static_cast<bool>(attention.getMask());
              if (masked) {
                auto mask = attention.getMask().getType();
                args.push_back(elemAttr(rewriter, mask.getElementType()));
                SmallVector<int64_t> shape(4 - mask.getRank(), 1);
                llvm::append_range(shape, mask.getShape());
                for (int64_t size : shape)
                  args.push_back(i64(size));
              } else {
                args.push_back(elemAttr(rewriter, q.getElementType()));
                for (int i = 0; i < 4; ++i)
                  args.push_back(i64(1));
              }
              args.append({index(0), index(1), index(2)});
              args.push_back(masked ? Attribute(index(3))
                                    : emitc::OpaqueAttr::get(
                                          rewriter.getContext(), "nullptr"));
              args.push_back(index(masked ? 4 : 3));
              args.push_back(whereAttr);
              callOpaque(rewriter, loc, "braid_emit_attention", pointers,
                         args);
              return success();
            })
            .Case([&](GatherOp gather) -> LogicalResult {
              auto source = gather.getSource().getType();
              auto indices = gather.getIndices().getType();
              int64_t axis = gather.getAxis(), outer = 1, inner = 1;
              for (int64_t i = 0; i < source.getRank(); ++i)
                if (i != axis)
                  (i < axis ? outer : inner) *= source.getShape()[i];
              callOpaque(rewriter, loc, "braid_emit_gather", pointers,
                         {elemAttr(rewriter, source.getElementType()),
                          i64(outer), i64(source.getShape()[axis]),
                          i64(inner), index(0),
                          i64(indices.getNumElements()), index(1),
                          elemAttr(rewriter, indices.getElementType()),
                          index(2), whereAttr});
              return success();
            })
            .Case([&](ScatterOp scatter) -> LogicalResult {
              auto dest = scatter.getDest().getType();
              auto indices = scatter.getIndices().getType();
              int64_t axis = scatter.getAxis(), outer = 1, inner = 1;
              for (int64_t i = 0; i < dest.getRank(); ++i)
                if (i != axis)
                  (i < axis ? outer : inner) *= dest.getShape()[i];
              // Operands: updates, dest, indices, then the result.
              callOpaque(rewriter, loc, "braid_emit_scatter", pointers,
                         {i32(rewriter,
                              static_cast<int64_t>(scatter.getKind())),
                          elemAttr(rewriter, dest.getElementType()),
                          i64(outer), i64(dest.getShape()[axis]), i64(inner),
                          i64(indices.getNumElements()), index(0), index(2),
                          elemAttr(rewriter, indices.getElementType()),
                          index(1), index(3), whereAttr});
              return success();
            })
            .Case([&](TopKOp topk) -> LogicalResult {
              auto type = topk.getInput().getType();
              int64_t width = innerSize(type);
              callOpaque(rewriter, loc, "braid_emit_topk", pointers,
                         {elemAttr(rewriter, type.getElementType()),
                          i64(type.getNumElements() / width), i64(width),
                          i64(topk.getK()), index(0), index(1), index(2),
                          elemAttr(rewriter,
                                   topk.getIndices().getType().getElementType()),
                          whereAttr});
              return success();
            })
            .Case([&](SortOp sort) -> LogicalResult {
              auto type = sort.getInput().getType();
              int64_t width = innerSize(type);
              callOpaque(rewriter, loc, "braid_emit_sort", pointers,
                         {elemAttr(rewriter, type.getElementType()),
                          i64(type.getNumElements() / width), i64(width),
                          i32(rewriter, sort.getDescending() ? 1 : 0),
                          index(0), index(1), index(2),
                          elemAttr(rewriter,
                                   sort.getIndices().getType().getElementType()),
                          whereAttr});
              return success();
            })
            .Case([&](GroupedMatmulOp matmul) -> LogicalResult {
              // Operands: lhs, rhs, group_sizes, then the result.
              auto lhs = matmul.getLhs().getType();
              auto rhs = matmul.getRhs().getType();
              callOpaque(rewriter, loc, "braid_emit_grouped_matmul", pointers,
                         {elemAttr(rewriter, lhs.getElementType()),
                          elemAttr(rewriter,
                                   matmul.getType().getElementType()),
                          i64(lhs.getShape()[0]), i64(lhs.getShape()[1]),
                          i64(rhs.getShape()[2]), i64(rhs.getShape()[0]),
                          index(0), index(1), index(2),
                          elemAttr(rewriter, matmul.getGroupSizes()
                                                 .getType()
                                                 .getElementType()),
                          index(3), whereAttr});
              return success();
            })
            .Case([&](MoEGateOp gate) -> LogicalResult {
              // Operands: logits, then weights and experts.
              auto logits = gate.getLogits().getType();
              callOpaque(rewriter, loc, "braid_emit_moe_gate", pointers,
                         {elemAttr(rewriter, logits.getElementType()),
                          i64(logits.getShape()[0]), i64(logits.getShape()[1]),
                          i64(gate.getK()),
                          i32(rewriter, gate.getNormalize() ? 1 : 0),
                          index(0), index(1), index(2),
                          elemAttr(rewriter,
                                   gate.getExperts().getType().getElementType()),
                          whereAttr});
              return success();
            })
            .Case([&](MoEPermuteOp permute) -> LogicalResult {
              // Operands: input, experts, then permuted, group_sizes and
              // row_map.
              auto input = permute.getInput().getType();
              auto experts = permute.getExperts().getType();
              callOpaque(rewriter, loc, "braid_emit_moe_permute", pointers,
                         {elemAttr(rewriter, input.getElementType()),
                          i64(input.getShape()[0]), i64(input.getShape()[1]),
                          i64(experts.getShape()[1]),
                          i64(permute.getNumExperts()), index(0), index(1),
                          elemAttr(rewriter, experts.getElementType()),
                          index(2), index(3),
                          elemAttr(rewriter, permute.getGroupSizes()
                                                 .getType()
                                                 .getElementType()),
                          index(4),
                          elemAttr(rewriter, permute.getRowMap()
                                                 .getType()
                                                 .getElementType()),
                          whereAttr});
              return success();
            })
            .Case([&](MoEUnpermuteOp unpermute) -> LogicalResult {
              // Operands: input, row_map, weights, then the result.
              auto input = unpermute.getInput().getType();
              auto weights = unpermute.getWeights().getType();
              callOpaque(rewriter, loc, "braid_emit_moe_unpermute", pointers,
                         {elemAttr(rewriter, input.getElementType()),
                          elemAttr(rewriter, weights.getElementType()),
                          i64(weights.getShape()[0]),
                          i64(weights.getShape()[1]),
                          i64(input.getShape()[1]), i64(input.getShape()[0]),
                          index(0), index(1),
                          elemAttr(rewriter, unpermute.getRowMap()
                                                 .getType()
                                                 .getElementType()),
                          index(2), index(3), whereAttr});
              return success();
            })
            .Default([&](Operation *other) -> LogicalResult {
              return other->emitOpError()
                     << "has no runtime kernel on the " << targetName
                     << " target yet";
            });
    if (failed(result))
      return failure();
    rewriter.eraseOp(op);
    return success();
  }
};

/// extf/truncf between f32 and bf16/f16: the bit-pattern conversions.
struct NarrowExtLowering : public OpConversionPattern<arith::ExtFOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(arith::ExtFOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Type in = op.getIn().getType();
    if (!isNarrowFloat(in))
      return failure();
    Value wide =
        emitc::CallOpaqueOp::create(
            rewriter, op.getLoc(), TypeRange{rewriter.getF32Type()},
            in.isBF16() ? "braid_bf16_to_f32" : "braid_f16_to_f32",
            adaptor.getIn())
            .getResult(0);
    if (op.getType().isF32())
      rewriter.replaceOp(op, wide);
    else
      rewriter.replaceOpWithNewOp<emitc::CastOp>(op, op.getType(), wide);
    return success();
  }
};

struct NarrowTruncLowering : public OpConversionPattern<arith::TruncFOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(arith::TruncFOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Type out = op.getType();
    if (!isNarrowFloat(out))
      return failure();
    Value in = adaptor.getIn();
    if (!op.getIn().getType().isF32())
      in = emitc::CastOp::create(rewriter, op.getLoc(), rewriter.getF32Type(),
                                 in);
    rewriter.replaceOpWithNewOp<emitc::CallOpaqueOp>(
        op, TypeRange{getTypeConverter()->convertType(out)},
        out.isBF16() ? "braid_f32_to_bf16" : "braid_f32_to_f16", in);
    return success();
  }
};

struct NarrowConstantLowering : public OpConversionPattern<arith::ConstantOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(arith::ConstantOp op, OpAdaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto value = dyn_cast<FloatAttr>(op.getValue());
    if (!value || !isNarrowFloat(value.getType()))
      return failure();
    Value wide = emitc::ConstantOp::create(
        rewriter, op.getLoc(), rewriter.getF32Type(),
        rewriter.getF32FloatAttr(value.getValueAsDouble()));
    rewriter.replaceOpWithNewOp<emitc::CallOpaqueOp>(
        op, TypeRange{getTypeConverter()->convertType(value.getType())},
        value.getType().isBF16() ? "braid_f32_to_bf16" : "braid_f32_to_f16",
        wide);
    return success();
  }
};

/// Unsigned division and remainder on index: size_t is unsigned already.
template <typename OpTy, typename EmitOp>
struct UnsignedIndexLowering : public OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;
  LogicalResult
  matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (!op.getType().isIndex())
      return failure();
    rewriter.replaceOpWithNewOp<EmitOp>(
        op, this->getTypeConverter()->convertType(op.getType()),
        adaptor.getLhs(), adaptor.getRhs());
    return success();
  }
};

/// A call made before the conversion (braid_emit_launch) whose operands are
/// still memrefs and indices: the same call on the converted values.
struct CallOperandsLowering : public OpConversionPattern<emitc::CallOpaqueOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(emitc::CallOpaqueOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    SmallVector<Type> results;
    if (failed(getTypeConverter()->convertTypes(op->getResultTypes(),
                                                results)))
      return failure();
    rewriter.replaceOpWithNewOp<emitc::CallOpaqueOp>(
        op, results, op.getCallee(), adaptor.getOperands(),
        op.getArgsAttr(), op.getTemplateArgsAttr());
    return success();
  }
};

/// Scalar ops with a C++ counterpart taking and returning the same type.
struct CallLowering : public ConversionPattern {
  CallLowering(const TypeConverter &converter, MLIRContext *context,
               StringRef opName, StringRef callee)
      : ConversionPattern(converter, opName, /*benefit=*/2, context),
        callee(callee.str()) {}

  LogicalResult
  matchAndRewrite(Operation *op, ArrayRef<Value> operands,
                  ConversionPatternRewriter &rewriter) const override {
    if (op->getNumResults() != 1)
      return failure();
    Type result = getTypeConverter()->convertType(op->getResult(0).getType());
    if (!result || !(result.isF32() || result.isF64()))
      return failure();
    rewriter.replaceOpWithNewOp<emitc::CallOpaqueOp>(op, TypeRange{result},
                                                     callee, operands);
    return success();
  }

  std::string callee;
};

void populateScalarCallPatterns(const TypeConverter &converter,
                                RewritePatternSet &patterns) {
  static const std::pair<const char *, const char *> calls[] = {
      {"arith.maximumf", "braid_maximumf"},
      {"arith.minimumf", "braid_minimumf"},
      {"arith.maxnumf", "std::fmax"},
      {"arith.minnumf", "std::fmin"},
      {"arith.remf", "braid_remf"},
      {"math.absf", "std::fabs"},
      {"math.sqrt", "std::sqrt"},
      {"math.rsqrt", "braid_rsqrt"},
      {"math.exp", "std::exp"},
      {"math.exp2", "std::exp2"},
      {"math.expm1", "std::expm1"},
      {"math.log", "std::log"},
      {"math.log2", "std::log2"},
      {"math.log10", "std::log10"},
      {"math.log1p", "std::log1p"},
      {"math.tanh", "std::tanh"},
      {"math.sin", "std::sin"},
      {"math.cos", "std::cos"},
      {"math.tan", "std::tan"},
      {"math.atan", "std::atan"},
      {"math.atan2", "std::atan2"},
      {"math.erf", "std::erf"},
      {"math.erfc", "std::erfc"},
      {"math.cbrt", "std::cbrt"},
      {"math.sinh", "std::sinh"},
      {"math.cosh", "std::cosh"},
      {"math.asin", "std::asin"},
      {"math.acos", "std::acos"},
      {"math.powf", "std::pow"},
      {"math.floor", "std::floor"},
      {"math.ceil", "std::ceil"},
      {"math.round", "std::round"},
      {"math.roundeven", "std::nearbyint"},
      {"math.trunc", "std::trunc"},
      {"math.fma", "std::fma"},
      {"math.copysign", "std::copysign"},
  };
  for (auto [name, callee] : calls)
    patterns.add<CallLowering>(converter, patterns.getContext(), name, callee);
}

//===----------------------------------------------------------------------===//
// Step 5: globals and the descriptor, verbatim
//===----------------------------------------------------------------------===//

std::string cElementType(Type type) {
  if (type.isF32()) return "float";
  if (type.isF64()) return "double";
  if (isNarrowFloat(type)) return "uint16_t";
  if (type.isInteger(1)) return "bool";
  if (type.isInteger(8)) return "int8_t";
  if (type.isInteger(16)) return "int16_t";
  if (type.isInteger(32)) return "int32_t";
  if (type.isInteger(64)) return "int64_t";
  return "";
}

std::string cValue(Type type, Attribute value) {
  std::string text;
  llvm::raw_string_ostream os(text);
  if (auto f = dyn_cast<FloatAttr>(value)) {
    double v = f.getValueAsDouble();
    if (isNarrowFloat(type)) {
      APFloat narrow = f.getValue();
      os << narrow.bitcastToAPInt().getZExtValue();
    } else if (std::isnan(v)) {
      os << "NAN";
    } else if (std::isinf(v)) {
      os << (v < 0 ? "-INFINITY" : "INFINITY");
    } else {
      os << llvm::format("%a", v);
      if (type.isF32())
        os << "f";
    }
  } else if (auto i = dyn_cast<IntegerAttr>(value)) {
    if (type.isInteger(1))
      os << (i.getValue().isZero() ? "false" : "true");
    else
      os << i.getValue().getSExtValue() << (type.isInteger(64) ? "LL" : "");
  }
  return text;
}

FailureOr<std::string> emitGlobal(memref::GlobalOp global,
                                  CodegenTarget codegen) {
  auto type = cast<MemRefType>(global.getType());
  auto init = dyn_cast_or_null<DenseElementsAttr>(
      global.getInitialValue().value_or(Attribute()));
  std::string element = cElementType(type.getElementType());
  if (!init || element.empty() || !type.hasStaticShape())
    return global.emitOpError()
           << "cannot be emitted: only static dense constants of numeric "
              "types are";
  std::string text;
  llvm::raw_string_ostream os(text);
  // CUDA: device memory, its address taken on the host
  // (braid_cuda_global in braid_emitted_cuda.h).
  os << (codegen == CodegenTarget::Cuda ? "static __device__ " : "static ")
     << element << " braid_global_" << global.getSymName() << "["
     << std::max<int64_t>(type.getNumElements(), 1) << "] = {";
  int64_t count = type.getNumElements();
  for (int64_t i = 0; i < count; ++i) {
    if (i)
      os << ", ";
    Attribute value = init.isSplat() ? init.getSplatValue<Attribute>()
                                     : init.getValues<Attribute>()[i];
    os << cValue(type.getElementType(), value);
  }
  os << "};\n";
  return text;
}

struct ArgumentInfo {
  enum Kind { Input, Result, Arena } kind;
  int64_t resultIndex = 0;
  MemRefType type;
};

std::string tensorInfo(MemRefType type) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << "{" << runtimeDTypeName(type.getElementType()) << ", "
     << type.getRank() << ", {";
  llvm::interleaveComma(type.getShape(), os);
  if (type.getRank() == 0)
    os << "0";
  os << "}}";
  return text;
}

std::string jsonShape(ArrayRef<int64_t> shape) {
  std::string text = "[";
  llvm::raw_string_ostream os(text);
  llvm::interleaveComma(shape, os);
  os << "]";
  return text;
}

FailureOr<std::string>
emitDescriptor(func::FuncOp function, StringRef originalName, std::string &json,
               ArrayRef<ArgumentInfo> arguments, const ProgramTables &tables,
               int64_t worldSize, int64_t arenaBytes, StringRef source,
               CodegenTarget codegen) {
  std::string text;
  llvm::raw_string_ostream os(text);
  SmallVector<const ArgumentInfo *> inputs, results;
  for (const ArgumentInfo &argument : arguments) {
    if (argument.kind == ArgumentInfo::Arena)
      continue;
    if (!runtimeDTypeName(argument.type.getElementType()) ||
        argument.type.getRank() > 8)
      return function.emitError()
             << "has an argument or result of type " << argument.type
             << "; compiled programs exchange f64, f32, f16, bf16, i64, i32 "
                "and i8 tensors of rank <= 8";
    (argument.kind == ArgumentInfo::Input ? inputs : results)
        .push_back(&argument);
  }
  llvm::stable_sort(results, [](const ArgumentInfo *a, const ArgumentInfo *b) {
    return a->resultIndex < b->resultIndex;
  });
  os << "extern \"C\" {\n";
  auto emitTensors = [&](StringRef name,
                         ArrayRef<const ArgumentInfo *> list) {
    if (list.empty())
      return;
    os << "static const braid_program_tensor " << name << "[] = {\n";
    for (const ArgumentInfo *argument : list)
      os << "  " << tensorInfo(argument->type) << ",\n";
    os << "};\n";
  };
  emitTensors("braid_args", inputs);
  emitTensors("braid_results", results);
  for (auto [index, comm] : llvm::enumerate(tables.comms)) {
    os << "static const int64_t braid_comm" << index << "_shape[] = {";
    llvm::interleaveComma(comm.shape, os);
    os << "};\nstatic const int32_t braid_comm" << index << "_axes[] = {";
    llvm::interleaveComma(comm.axes, os);
    os << "};\n";
    if (!comm.deviceOrder.empty()) {
      os << "static const int32_t braid_comm" << index << "_order[] = {";
      llvm::interleaveComma(comm.deviceOrder, os);
      os << "};\n";
    }
  }
  if (!tables.comms.empty()) {
    os << "static const braid_program_comm braid_comms[] = {\n";
    for (auto [index, comm] : llvm::enumerate(tables.comms))
      os << "  {" << cString(comm.grid) << ", " << comm.shape.size()
         << ", braid_comm" << index << "_shape, "
         << (comm.deviceOrder.empty()
                 ? std::string("nullptr")
                 : "braid_comm" + std::to_string(index) + "_order")
         << ", " << comm.axes.size() << ", braid_comm" << index << "_axes},\n";
    os << "};\n";
  }
  int64_t numStreams = tables.streamPriority.empty()
                           ? 0
                           : tables.streamPriority.rbegin()->first;
  if (numStreams > 0) {
    // braid: higher priority runs first; the runtime: lower runs first.
    os << "static const int32_t braid_stream_priorities[] = {";
    for (int64_t stream = 1; stream <= numStreams; ++stream) {
      auto it = tables.streamPriority.find(stream);
      os << (stream > 1 ? ", " : "")
         << -(it == tables.streamPriority.end() ? 0 : it->second);
    }
    os << "};\n";
  }
  // The step: unpack the caller's buffers in the function's argument order.
  os << "static void braid_step(braid_exec *exec, const void *const *args, "
        "void *const *results, char *arena) {\n"
     << "  braid_exec_self = exec;\n  " << kStepBody << "(";
  int64_t inputIndex = 0;
  for (auto [position, argument] : llvm::enumerate(arguments)) {
    if (position)
      os << ", ";
    std::string element = argument.kind == ArgumentInfo::Arena
                              ? "int8_t"
                              : cElementType(argument.type.getElementType());
    if (argument.kind == ArgumentInfo::Arena)
      os << "reinterpret_cast<int8_t *>(arena)";
    else if (argument.kind == ArgumentInfo::Input)
      os << "const_cast<" << element << " *>(static_cast<const " << element
         << " *>(args[" << inputIndex++ << "]))";
    else
      os << "static_cast<" << element << " *>(results["
         << argument.resultIndex << "])";
  }
  os << ");\n}\n";

  // Metadata for tools.
  llvm::raw_string_ostream js(json);
  js << "{\"function\": " << cString(originalName) << ", \"world_size\": "
     << worldSize << ", \"arena_bytes\": " << arenaBytes
     << ", \"collective_hash\": \""
     << llvm::format_hex(tables.collectiveHash, 18) << "\", \"args\": [";
  for (auto [i, argument] : llvm::enumerate(inputs))
    js << (i ? ", " : "") << "{\"dtype\": \""
       << argument->type.getElementType() << "\", \"shape\": "
       << jsonShape(argument->type.getShape()) << "}";
  js << "], \"results\": [";
  for (auto [i, argument] : llvm::enumerate(results))
    js << (i ? ", " : "") << "{\"dtype\": \""
       << argument->type.getElementType() << "\", \"shape\": "
       << jsonShape(argument->type.getShape()) << "}";
  js << "], \"comms\": [";
  for (auto [i, comm] : llvm::enumerate(tables.comms))
    js << (i ? ", " : "") << "{\"grid\": \"" << comm.grid
       << "\", \"shape\": " << jsonShape(comm.shape) << ", \"axes\": ["
       << llvm::join(llvm::map_range(comm.axes,
                                     [](int32_t a) { return std::to_string(a); }),
                     ", ")
       << "]}";
  js << "], \"streams\": " << numStreams
     << ", \"events\": " << tables.numEvents
     << ", \"counters\": " << tables.numCounters << ", \"device\": \""
     << (codegen == CodegenTarget::Cuda ? "cuda" : "cpu") << "\"}";

  os << "const braid_program_desc braid_program_descriptor = {\n"
     << "  BRAID_PROGRAM_ABI_VERSION, " << cString(originalName) << ", "
     << cString(source) << ", " << worldSize << ",\n  " << inputs.size()
     << ", " << (inputs.empty() ? "nullptr" : "braid_args") << ", "
     << results.size() << ", "
     << (results.empty() ? "nullptr" : "braid_results") << ",\n  "
     << arenaBytes << "ULL, 64, " << llvm::format_hex(tables.collectiveHash, 18)
     << "ULL,\n  " << tables.comms.size() << ", "
     << (tables.comms.empty() ? "nullptr" : "braid_comms") << ", "
     << numStreams << ", "
     << (numStreams ? "braid_stream_priorities" : "nullptr") << ", "
     << tables.numEvents << ",\n  " << cString(json) << ",\n  braid_step, "
     << (codegen == CodegenTarget::Cuda ? "BRAID_PROGRAM_DEVICE_CUDA"
                                        : "BRAID_PROGRAM_DEVICE_CPU")
     << ", " << tables.numCounters << "};\n"
     << "}\n";
  return text;
}

//===----------------------------------------------------------------------===//
// The pass
//===----------------------------------------------------------------------===//

/// The input file, from the module's or the function's location.
StringRef sourceName(ModuleOp module) {
  for (Location loc : {module.getLoc()})
    if (auto file = dyn_cast<FileLineColLoc>(loc))
      return file.getFilename().getValue();
  for (auto function : module.getOps<func::FuncOp>())
    if (auto file = dyn_cast<FileLineColLoc>(function.getLoc()))
      return file.getFilename().getValue();
  return "";
}

struct ConvertBraidToEmitCPass
    : public braid::impl::ConvertBraidToEmitCBase<ConvertBraidToEmitCPass> {
  using Base::Base;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *context = &getContext();
    SmallVector<func::FuncOp> functions;
    for (auto function : module.getOps<func::FuncOp>())
      if (!function.isExternal())
        functions.push_back(function);
    if (functions.size() != 1) {
      module.emitError() << "has " << functions.size()
                         << " functions with a body; a compiled program is "
                            "one function (inline calls first)";
      return signalPassFailure();
    }
    func::FuncOp function = functions.front();
    std::string originalName = function.getSymName().str();

    std::string targetName = target;
    if (targetName.empty())
      if (auto device = module->getAttrOfType<StringAttr>(kDeviceAttr))
        targetName = device.getValue().str();
    if (targetName.empty())
      targetName = "cpu";
    if (targetName != "cpu" && targetName != "cuda") {
      module.emitError() << "target '" << targetName
                         << "' is not one of cpu, cuda";
      return signalPassFailure();
    }
    CodegenTarget codegen =
        targetName == "cuda" ? CodegenTarget::Cuda : CodegenTarget::Cpu;

    // Arguments: inputs, result buffers, the arena.
    SmallVector<ArgumentInfo> arguments;
    int64_t arenaBytes = 0;
    for (unsigned i = 0; i < function.getNumArguments(); ++i) {
      auto type = dyn_cast<MemRefType>(function.getArgumentTypes()[i]);
      if (!type || !type.hasStaticShape() || !type.getLayout().isIdentity()) {
        function.emitError()
            << "argument " << i << " has type "
            << function.getArgumentTypes()[i]
            << "; the buffer level passes static row-major memrefs (run "
               "braid-buffer-pipeline)";
        return signalPassFailure();
      }
      ArgumentInfo info{ArgumentInfo::Input, 0, type};
      if (auto result = function.getArgAttrOfType<IntegerAttr>(
              i, BraidDialect::kResultArgAttrName)) {
        info.kind = ArgumentInfo::Result;
        info.resultIndex = result.getInt();
      } else if (function.getArgAttr(i, BraidDialect::kArenaArgAttrName)) {
        info.kind = ArgumentInfo::Arena;
        arenaBytes = type.getNumElements();
      }
      arguments.push_back(info);
    }
    if (function.getNumResults() != 0) {
      function.emitError() << "returns values; the buffer level writes "
                              "results into output parameters (run "
                              "braid-buffer-pipeline)";
      return signalPassFailure();
    }
    if (!function.getBody().hasOneBlock()) {
      function.emitError() << "has several blocks; lower control flow to "
                              "scf first";
      return signalPassFailure();
    }
    int64_t worldSize = getLargestDeviceCount(module);

    ProgramTables tables;
    int numKernels = 0;
    if (failed(checkChunkedProducers(function)))
      return signalPassFailure();
    SmallVector<func::FuncOp> withLoopNests{function};
    llvm::append_range(withLoopNests, outlineChunkedEpilogues(function));
    for (func::FuncOp nests : withLoopNests) {
      if (codegen == CodegenTarget::Cuda) {
        if (failed(outlineLoopNestsAsKernels(nests, numKernels)))
          return signalPassFailure();
      } else if (failed(lowerLinalgToLoops(nests))) {
        return signalPassFailure();
      }
    }
    if (failed(assignTablesAndFlattenLaunches(function, tables)))
      return signalPassFailure();
    if (codegen == CodegenTarget::Cuda &&
        failed(checkNoHostDataAccess(module)))
      return signalPassFailure();
    {
      RewritePatternSet widen(context);
      widen.add<WidenNarrowFloatOp>(context);
      widen.add<ExpandIntegerMinMax<arith::MaxSIOp, arith::CmpIPredicate::sgt>,
                ExpandIntegerMinMax<arith::MaxUIOp, arith::CmpIPredicate::ugt>,
                ExpandIntegerMinMax<arith::MinSIOp, arith::CmpIPredicate::slt>,
                ExpandIntegerMinMax<arith::MinUIOp, arith::CmpIPredicate::ult>,
                ExpandIntegerAbs>(context);
      // Index arithmetic of loop nests with non-identity indexing maps
      // (reversals, shifts) is affine.apply: arith, which EmitC takes.
      populateAffineToStdConversionPatterns(widen);
      // Every function: the step, outlined launch bodies and kernels.
      if (failed(applyPatternsGreedily(module, std::move(widen))))
        return signalPassFailure();
    }
    // Globals become static arrays.
    std::string globals;
    for (auto global :
         llvm::make_early_inc_range(module.getOps<memref::GlobalOp>())) {
      FailureOr<std::string> text = emitGlobal(global, codegen);
      if (failed(text))
        return signalPassFailure();
      globals += *text;
      global.erase();
    }
    // Say which op cannot be lowered before the conversion says it less
    // clearly.
    WalkResult unsupported = function.walk([&](Operation *op) {
      if (isa<memref::AllocOp, memref::AllocaOp>(op)) {
        op->emitOpError() << "remains: the host code allocates nothing "
                             "itself (run braid-plan-arena)";
        return WalkResult::interrupt();
      }
      if (isa<StartOp, AwaitOp>(op)) {
        op->emitOpError() << "remains: run braid-convert-async-to-streams";
        return WalkResult::interrupt();
      }
      if (auto compute = dyn_cast<CommandComputeOp>(op))
        return WalkResult::skip();
      return WalkResult::advance();
    });
    if (unsupported.wasInterrupted())
      return signalPassFailure();

    std::string metadata;
    FailureOr<std::string> descriptor = emitDescriptor(
        function, originalName, metadata, arguments, tables, worldSize, arenaBytes,
        sourceName(module), codegen);
    if (failed(descriptor))
      return signalPassFailure();
    function.setSymName(kStepBody);

    TypeConverter converter;
    converter.addConversion([](Type type) { return type; });
    converter.addConversion([context](FloatType type) -> Type {
      if (isNarrowFloat(type))
        return emitc::OpaqueType::get(context, "uint16_t");
      return type;
    });
    converter.addConversion([&converter](MemRefType type) -> Type {
      Type element = converter.convertType(type.getElementType());
      if (!element)
        return Type();
      return emitc::PointerType::get(element);
    });
    // A counter is its index among the program's (braid_exec_next_epoch,
    // braid_exec_gemm_signal and the triggered collectives take it).
    converter.addConversion([context](CounterType) -> Type {
      return IntegerType::get(context, 32);
    });
    populateEmitCSizeTTypeConversions(converter);

    ConversionTarget target(*context);
    target.addLegalDialect<emitc::EmitCDialect>();
    target.addDynamicallyLegalOp<emitc::CallOpaqueOp>(
        [&](emitc::CallOpaqueOp call) {
          return converter.isLegal(call->getOperandTypes()) &&
                 converter.isLegal(call->getResultTypes());
        });
    target.addLegalOp<ModuleOp, shard::GridOp>();
    target.addIllegalDialect<arith::ArithDialect, math::MathDialect,
                             memref::MemRefDialect, scf::SCFDialect,
                             func::FuncDialect, linalg::LinalgDialect,
                             BraidDialect>();
    target.addLegalOp<shard::GridOp>();

    RewritePatternSet patterns(context);
    populateArithToEmitCPatterns(converter, patterns);
    populateSCFToEmitCConversionPatterns(patterns, converter);
    populateFuncToEmitCPatterns(converter, patterns);
    populateScalarCallPatterns(converter, patterns);
    patterns.add<LoadLowering, StoreLowering, ViewLowering,
                 SubViewLowering,
                 SameBaseViewLowering<memref::ExpandShapeOp>,
                 SameBaseViewLowering<memref::CollapseShapeOp>,
                 SameBaseViewLowering<memref::CastOp>,
                 SameBaseViewLowering<memref::ReinterpretCastOp>,
                 SameBaseViewLowering<memref::TransposeOp>, DeallocLowering,
                 CopyLowering,
                 CollectiveLowering<CommandAllReduceOp>,
                 CollectiveLowering<CommandAllGatherOp>,
                 CollectiveLowering<CommandReduceScatterOp>,
                 CollectiveLowering<CommandAllToAllOp>,
                 CollectiveLowering<CommandBroadcastOp>,
                 CollectiveLowering<CommandCollectivePermuteOp>, RankLowering,
                 GemmLowering<linalg::MatmulOp>,
                 GemmLowering<linalg::BatchMatmulOp>, SoftmaxLowering,
                 CounterLowering, NextEpochLowering, ChunkedComputeLowering,
                 CallOperandsLowering>(converter, context);
    patterns.add<ComputeLowering>(converter, context,
                                  codegen == CodegenTarget::Cuda ? "CUDA"
                                                                 : "CPU");
    patterns.add<GetGlobalLowering>(converter, context, codegen);
    patterns.add<UnsignedIndexLowering<arith::RemUIOp, emitc::RemOp>,
                 UnsignedIndexLowering<arith::DivUIOp, emitc::DivOp>>(
        converter, context, /*benefit=*/2);
    patterns.add<NarrowExtLowering, NarrowTruncLowering,
                 NarrowConstantLowering>(converter, context, /*benefit=*/3);
    if (failed(applyFullConversion(module, target, std::move(patterns))))
      return signalPassFailure();

    // Outlined loop nests are the CUDA kernels.
    module.walk([&](emitc::FuncOp function) {
      if (!function->removeAttr(kKernelAttr))
        return;
      function.setSpecifiersAttr(
          OpBuilder(context).getStrArrayAttr({"__global__"}));
    });
    module->removeAttr(kDeviceAttr);
    // The descriptor's JSON, for tools that write it beside the sources
    // (braid-compile --emit-sources); C++ translation ignores it.
    module->setAttr(kMetadataAttr, StringAttr::get(context, metadata));

    // Grids were only read for the descriptor.
    for (auto grid : llvm::make_early_inc_range(module.getOps<shard::GridOp>()))
      grid.erase();

    OpBuilder builder(context);
    builder.setInsertionPointToStart(module.getBody());
    emitc::IncludeOp::create(builder, module.getLoc(),
                             codegen == CodegenTarget::Cuda
                                 ? "braid_rt/braid_emitted_cuda.h"
                                 : "braid_rt/braid_emitted.h",
                             false);
    if (!globals.empty())
      emitc::VerbatimOp::create(builder, module.getLoc(), globals);
    builder.setInsertionPointToEnd(module.getBody());
    emitc::VerbatimOp::create(builder, module.getLoc(), *descriptor);
  }
};

} // namespace
