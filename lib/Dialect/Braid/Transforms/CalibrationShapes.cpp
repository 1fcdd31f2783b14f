//===- CalibrationShapes.cpp - what braid-calibrate should measure --------===//
//
// Lists, as braid-calibrate options, the GEMM shapes, kernel sizes and
// collective payloads a program runs, so the calibration measures the
// machine at the program's own sizes (docs/Performance-calibration.md).
//
//===----------------------------------------------------------------------===//

#include "braid/Analysis/CostModel.h"
#include "braid/Dialect/Braid/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/ToolOutputFile.h"

namespace mlir {
namespace braid {
#define GEN_PASS_DEF_BRAIDCALIBRATIONSHAPES
#include "braid/Dialect/Braid/Transforms/Passes.h.inc"
} // namespace braid
} // namespace mlir

using namespace mlir;
using namespace mlir::braid;

namespace {

std::string typeName(Type type) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << getElementTypeOrSelf(type);
  return text;
}

std::string joined(ArrayRef<int64_t> sizes) {
  std::string text;
  for (int64_t size : sizes)
    text += (text.empty() ? "" : "x") + std::to_string(size);
  return text;
}

int64_t productOf(ArrayRef<int64_t> sizes) {
  int64_t result = 1;
  for (int64_t size : sizes)
    result *= size;
  return result;
}

std::string where(Operation *op) {
  std::string text;
  llvm::raw_string_ostream os(text);
  if (auto loc = dyn_cast<FileLineColLoc>(op->getLoc()))
    os << loc.getFilename().getValue() << ":" << loc.getLine() << ":"
       << loc.getColumn() << " ";
  os << "(" << op->getName().getStringRef() << ")";
  return text;
}

/// The braid-calibrate option that measures `op`; empty for an op that
/// runs no kernel; failure for one whose size is not static.
FailureOr<std::string> optionFor(Operation *op,
                                 SymbolTableCollection &tables) {
  // arith and math on tensors are element-wise loops once lowered.
  bool tensorArithmetic =
      op->getDialect() &&
      isa<arith::ArithDialect, math::MathDialect>(op->getDialect()) &&
      op->getNumResults() == 1 && isa<TensorType>(op->getResult(0).getType());
  if (!tensorArithmetic &&
      !isa<CollectiveOpInterface, linalg::LinalgOp, linalg::SoftmaxOp,
           GroupedMatmulOp, RMSNormOp, SwiGLUOp, ActivationOp, AttentionOp>(
          op))
    return std::string();
  auto isStatic = [](Value value) {
    auto type = dyn_cast<ShapedType>(value.getType());
    return !type || type.hasStaticShape();
  };
  if (!llvm::all_of(op->getOperands(), isStatic) ||
      !llvm::all_of(op->getResults(), isStatic))
    return failure();

  if (auto collective = dyn_cast<CollectiveOpInterface>(op)) {
    FailureOr<int64_t> size = collective.getGroupSize(&tables);
    FailureOr<int64_t> payload = collective.getPayloadBytes();
    if (failed(size) || failed(payload))
      return failure();
    if (*size <= 1)
      return std::string();
    return "--collective " +
           stringifyCollectiveKind(getCollectiveKind(collective)).str() + ":" +
           std::to_string(*payload) + ":" + std::to_string(*size);
  }
  if (std::optional<GemmShape> gemm = getGemmShape(op)) {
    SmallVector<int64_t> sizes;
    if (gemm->batch > 1)
      sizes.push_back(gemm->batch);
    sizes.append({gemm->m, gemm->n, gemm->k});
    return "--gemm " + joined(sizes) + ":" + typeName(gemm->element);
  }
  if (auto norm = dyn_cast<RMSNormOp>(op)) {
    ArrayRef<int64_t> shape = norm.getInput().getType().getShape();
    return "--rmsnorm " +
           joined({productOf(shape.drop_back()), shape.back()}) + ":" +
           typeName(norm.getInput().getType());
  }
  if (auto softmax = dyn_cast<linalg::SoftmaxOp>(op)) {
    ArrayRef<int64_t> shape = softmax.getInputOperandType().getShape();
    int64_t dim = softmax.getDimension();
    return "--softmax " +
           joined({productOf(shape.take_front(dim)), shape[dim],
                   productOf(shape.drop_front(dim + 1))}) +
           ":" + typeName(softmax.getInputOperandType());
  }
  if (auto swiglu = dyn_cast<SwiGLUOp>(op))
    return "--swiglu " +
           std::to_string(productOf(swiglu.getGate().getType().getShape())) +
           ":" + typeName(swiglu.getGate().getType());
  if (auto activation = dyn_cast<ActivationOp>(op))
    return "--activation " +
           std::to_string(
               productOf(activation.getInput().getType().getShape())) +
           ":" + typeName(activation.getInput().getType());
  if (auto attention = dyn_cast<AttentionOp>(op)) {
    ArrayRef<int64_t> q = attention.getQuery().getType().getShape();
    ArrayRef<int64_t> k = attention.getKey().getType().getShape();
    ArrayRef<int64_t> v = attention.getValue().getType().getShape();
    return "--attention " + joined({q[0], q[1], k[1], q[2], k[2], q[3], v[3]}) +
           ":" + typeName(attention.getQuery().getType()) +
           (attention.getCausal() ? ":causal" : "");
  }
  if (tensorArithmetic) {
    auto type = cast<ShapedType>(op->getResult(0).getType());
    return "--elementwise " + std::to_string(type.getNumElements()) + ":" +
           typeName(type);
  }
  // Element-wise linalg ops become loops over their iteration space.
  if (auto linalgOp = dyn_cast<linalg::LinalgOp>(op)) {
    if (linalgOp.getNumParallelLoops() != linalgOp.getNumLoops() ||
        linalgOp->getNumResults() == 0)
      return std::string();
    return "--elementwise " +
           std::to_string(productOf(linalgOp.getStaticLoopRanges())) + ":" +
           typeName(linalgOp->getResult(0).getType());
  }
  return std::string();
}

struct BraidCalibrationShapesPass
    : braid::impl::BraidCalibrationShapesBase<BraidCalibrationShapesPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTableCollection tables;
    struct Use {
      int64_t count = 0;
      Operation *first = nullptr;
    };
    // First appearance order, so the list reads like the program.
    std::vector<std::pair<std::string, Use>> options;
    llvm::StringMap<size_t> index;
    module.walk([&](func::FuncOp function) {
      if (function.isExternal())
        return;
      function.walk([&](Operation *op) {
        FailureOr<std::string> option = optionFor(op, tables);
        if (failed(option)) {
          op->emitRemark() << "not listed for calibration: its shape or "
                              "group is not static";
          return;
        }
        if (option->empty())
          return;
        auto [it, inserted] = index.try_emplace(*option, options.size());
        if (inserted)
          options.push_back({*option, Use()});
        Use &use = options[it->second].second;
        if (use.count++ == 0)
          use.first = op;
      });
    });

    std::string error;
    std::unique_ptr<llvm::ToolOutputFile> file = openOutputFile(output, &error);
    if (!file) {
      module.emitError() << "cannot write '" << output << "': " << error;
      return signalPassFailure();
    }
    for (const auto &[option, use] : options)
      file->os() << option << "  # " << use.count
                 << (use.count == 1 ? " op" : " ops") << ", first at "
                 << where(use.first) << "\n";
    file->keep();
    markAllAnalysesPreserved();
  }
};

} // namespace
