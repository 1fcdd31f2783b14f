//===- UpstreamCostModels.cpp - CostOpInterface for upstream ops ----------===//
//
// Braid programs compute with upstream arith, math, tensor and linalg ops;
// the cost model sees them through the same interface as braid's own ops.
//
//===----------------------------------------------------------------------===//

#include "braid/Dialect/Braid/IR/BraidDialect.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Interfaces/CastInterfaces.h"
#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace mlir::braid;

namespace {

bool isArithmetic(Operation *op) {
  Dialect *dialect = op->getDialect();
  if (!dialect || !isa<arith::ArithDialect, math::MathDialect>(dialect))
    return false;
  return !isa<CastOpInterface, arith::ConstantOp>(op);
}

/// arith and math ops: one operation per result element, except casts and
/// constants which do no arithmetic. Scalars live in registers: no bytes.
template <typename OpTy>
struct ElementwiseCostModel
    : CostOpInterface::ExternalModel<ElementwiseCostModel<OpTy>, OpTy> {
  FailureOr<OpCost> getCost(Operation *op) const {
    if (isa<arith::ConstantOp>(op))
      return OpCost{};
    int64_t elements = 1;
    if (op->getNumResults() == 1) {
      FailureOr<int64_t> count =
          getStaticNumElements(op->getResult(0).getType());
      if (failed(count))
        return failure();
      elements = *count;
    }
    return getBoundaryCost(op, isArithmetic(op) ? elements : 0);
  }
};

/// Any structured linalg op: the iteration space times the arithmetic ops of
/// its payload (a matmul's mulf + addf count 2, its extf none). Inits are read
/// only when the payload reads them.
template <typename OpTy>
struct StructuredCostModel
    : CostOpInterface::ExternalModel<StructuredCostModel<OpTy>, OpTy> {
  FailureOr<OpCost> getCost(Operation *op) const {
    auto linalgOp = cast<linalg::LinalgOp>(op);
    if (linalgOp.hasDynamicShape())
      return failure();
    int64_t payloadOps = 0;
    linalgOp.getBlock()->walk([&](Operation *nested) {
      if (isArithmetic(nested))
        ++payloadOps;
    });
    int64_t iterations = 1;
    for (int64_t range : linalgOp.getStaticLoopRanges()) {
      FailureOr<int64_t> next = checkedMul(iterations, range);
      if (failed(next))
        return failure();
      iterations = *next;
    }
    FailureOr<int64_t> flops = checkedMul(iterations, payloadOps);
    if (failed(flops))
      return failure();

    OpCost cost;
    cost.flops = *flops;
    auto addBytes = [](int64_t &total, Value value) -> LogicalResult {
      if (!isa<ShapedType>(value.getType()))
        return success();
      FailureOr<int64_t> bytes = getStaticByteSize(value.getType());
      return success(succeeded(bytes) &&
                     !llvm::AddOverflow(total, *bytes, total));
    };
    for (OpOperand *input : linalgOp.getDpsInputOperands())
      if (failed(addBytes(cost.bytesRead, input->get())))
        return failure();
    for (OpOperand &init : linalgOp.getDpsInitsMutable()) {
      if (linalgOp.payloadUsesValueFromOperand(&init) &&
          failed(addBytes(cost.bytesRead, init.get())))
        return failure();
      if (failed(addBytes(cost.bytesWritten, init.get())))
        return failure();
    }
    return cost;
  }
};

// max, subtract, exp, sum, divide.
struct SoftmaxCostModel
    : CostOpInterface::ExternalModel<SoftmaxCostModel, linalg::SoftmaxOp> {
  FailureOr<OpCost> getCost(Operation *op) const {
    auto softmax = cast<linalg::SoftmaxOp>(op);
    FailureOr<int64_t> elements =
        getStaticNumElements(softmax.getInput().getType());
    FailureOr<int64_t> bytes = getStaticByteSize(softmax.getInput().getType());
    if (failed(elements) || failed(bytes))
      return failure();
    FailureOr<int64_t> flops = checkedMul(5, *elements);
    if (failed(flops))
      return failure();
    return OpCost{*flops, *bytes, *bytes};
  }
};

/// Views and allocations move nothing.
template <typename OpTy>
struct FreeCostModel : CostOpInterface::ExternalModel<FreeCostModel<OpTy>, OpTy> {
  FailureOr<OpCost> getCost(Operation *) const { return OpCost{}; }
};

/// Copies the result-sized region: extract_slice, pad, generate, splat, ...
template <typename OpTy>
struct CopyResultCostModel
    : CostOpInterface::ExternalModel<CopyResultCostModel<OpTy>, OpTy> {
  FailureOr<OpCost> getCost(Operation *op) const {
    FailureOr<int64_t> bytes = getStaticByteSize(op->getResult(0).getType());
    if (failed(bytes))
      return failure();
    bool readsSource = op->getNumOperands() > 0 &&
                       isa<ShapedType>(op->getOperand(0).getType());
    return OpCost{0, readsSource ? *bytes : 0, *bytes};
  }
};

/// Slices bufferize to views: extract_slice to a subview its consumer reads
/// (a GEMM through its leading dimension), insert_slice to the producer
/// writing in place into the destination — destination-passing style is
/// what makes the decomposed rings' row blocks free to assemble. Elements
/// with no byte size still have no static work.
template <typename OpTy>
struct SliceViewCostModel
    : CostOpInterface::ExternalModel<SliceViewCostModel<OpTy>, OpTy> {
  FailureOr<OpCost> getCost(Operation *op) const {
    if (failed(getStaticByteSize(op->getResult(0).getType())))
      return failure();
    return OpCost{};
  }
};

template <template <typename> class Model, typename... Ops>
void attachAll(MLIRContext *ctx) {
  (Ops::template attachInterface<Model<Ops>>(*ctx), ...);
}

} // namespace

void mlir::braid::registerUpstreamCostModels(DialectRegistry &registry) {
  registry.addExtension(+[](MLIRContext *ctx, arith::ArithDialect *) {
    attachAll<ElementwiseCostModel,
#define GET_OP_LIST
#include "mlir/Dialect/Arith/IR/ArithOps.cpp.inc"
              >(ctx);
  });
  registry.addExtension(+[](MLIRContext *ctx, math::MathDialect *) {
    attachAll<ElementwiseCostModel,
#define GET_OP_LIST
#include "mlir/Dialect/Math/IR/MathOps.cpp.inc"
              >(ctx);
  });
  registry.addExtension(+[](MLIRContext *ctx, linalg::LinalgDialect *) {
    attachAll<StructuredCostModel,
#define GET_OP_LIST
#include "mlir/Dialect/Linalg/IR/LinalgStructuredOps.cpp.inc"
              >(ctx);
    linalg::SoftmaxOp::attachInterface<SoftmaxCostModel>(*ctx);
  });
  registry.addExtension(+[](MLIRContext *ctx, tensor::TensorDialect *) {
    attachAll<FreeCostModel, tensor::EmptyOp, tensor::ExpandShapeOp,
              tensor::CollapseShapeOp, tensor::ReshapeOp, tensor::CastOp,
              tensor::BitcastOp, tensor::DimOp, tensor::RankOp,
              tensor::ExtractOp, tensor::InsertOp>(ctx);
    attachAll<CopyResultCostModel, tensor::PadOp, tensor::GenerateOp,
              tensor::SplatOp, tensor::FromElementsOp, tensor::ConcatOp>(ctx);
    attachAll<SliceViewCostModel, tensor::ExtractSliceOp,
              tensor::InsertSliceOp>(ctx);
  });
}
