//===- BraidDialect.cpp - braid dialect, types and attributes -------------===//

#include "braid/Dialect/Braid/IR/BraidDialect.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "mlir/Transforms/InliningUtils.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallBitVector.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::braid;

#include "braid/Dialect/Braid/IR/BraidDialect.cpp.inc"
#include "braid/Dialect/Braid/IR/BraidEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "braid/Dialect/Braid/IR/BraidAttrs.cpp.inc"

#define GET_TYPEDEF_CLASSES
#include "braid/Dialect/Braid/IR/BraidTypes.cpp.inc"

namespace {
/// Every braid op is what one rank runs (SPMD): a collective names its grid
/// by symbol, which resolves the same from the caller, and a start captures
/// values from above, which inlining remaps. So every braid op may move into
/// a caller, and a call inside a `braid.start` body may be inlined there as
/// long as the callee is one block (the body stays a single block).
struct BraidInlinerInterface : DialectInlinerInterface {
  using DialectInlinerInterface::DialectInlinerInterface;

  bool isLegalToInline(Operation *, Operation *, bool) const final {
    return true;
  }
  bool isLegalToInline(Region *, Region *src, bool, IRMapping &) const final {
    return src->hasOneBlock();
  }
  bool isLegalToInline(Operation *, Region *, bool, IRMapping &) const final {
    return true;
  }
};
} // namespace

void BraidDialect::initialize() {
  registerTypes();
  registerAttributes();
  addOperations<
#define GET_OP_LIST
#include "braid/Dialect/Braid/IR/BraidOps.cpp.inc"
      ,
#define GET_OP_LIST
#include "braid/Dialect/Braid/IR/BraidCommandOps.cpp.inc"
      >();
  addInterfaces<BraidInlinerInterface>();
}

void BraidDialect::registerTypes() {
  addTypes<
#define GET_TYPEDEF_LIST
#include "braid/Dialect/Braid/IR/BraidTypes.cpp.inc"
      >();
}

void BraidDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "braid/Dialect/Braid/IR/BraidAttrs.cpp.inc"
      >();
}

Operation *BraidDialect::materializeConstant(OpBuilder &builder,
                                             Attribute value, Type type,
                                             Location loc) {
  return arith::ConstantOp::materialize(builder, value, type, loc);
}

LogicalResult BraidDialect::verifyRegionArgAttribute(Operation *op, unsigned,
                                                     unsigned argIndex,
                                                     NamedAttribute attr) {
  if (attr.getName() == kResultArgAttrName) {
    auto index = dyn_cast<IntegerAttr>(attr.getValue());
    if (!index || index.getInt() < 0)
      return op->emitError() << "'" << kResultArgAttrName << "' on argument "
                             << argIndex
                             << " must be a non-negative integer (the result "
                                "it holds)";
    return success();
  }
  if (attr.getName() == kArenaArgAttrName) {
    if (!isa<UnitAttr>(attr.getValue()))
      return op->emitError() << "'" << kArenaArgAttrName
                             << "' is a unit attribute";
    return success();
  }
  return op->emitError() << "unknown braid argument attribute '"
                         << attr.getName().getValue() << "'";
}

LogicalResult BraidDialect::verifyRegionResultAttribute(Operation *op,
                                                        unsigned, unsigned,
                                                        NamedAttribute attr) {
  return op->emitError() << "unknown braid result attribute '"
                         << attr.getName().getValue() << "'";
}

LogicalResult BraidDialect::verifyOperationAttribute(Operation *op,
                                                     NamedAttribute attr) {
  if (attr.getName() == kMeasuredTimeAttrName) {
    auto time = dyn_cast<FloatAttr>(attr.getValue());
    if (!time || !(time.getValueAsDouble() >= 0) ||
        !std::isfinite(time.getValueAsDouble()))
      return op->emitError() << "'" << kMeasuredTimeAttrName
                             << "' must be a non-negative float (microseconds)";
    return success();
  }
  if (attr.getName() == kArenaBytesAttrName) {
    auto bytes = dyn_cast<IntegerAttr>(attr.getValue());
    if (!bytes || bytes.getInt() < 0)
      return op->emitError() << "'" << kArenaBytesAttrName
                             << "' must be a non-negative integer (bytes)";
    return success();
  }
  if (attr.getName() == kRingStepAttrName) {
    auto step = dyn_cast<DenseI64ArrayAttr>(attr.getValue());
    if (!step || step.size() != 3 || step[0] < 0 || step[2] < 1 ||
        step[1] < 0 || step[1] >= step[2])
      return op->emitError() << "'" << kRingStepAttrName
                             << "' must be array<i64: ring, step, steps> "
                                "with 0 <= ring and 0 <= step < steps";
    return success();
  }
  if (attr.getName() == kDecompositionAttrName) {
    auto plan = dyn_cast<DecompositionPlanAttr>(attr.getValue());
    if (!plan)
      return op->emitError() << "'" << kDecompositionAttrName
                             << "' must be a #braid.decomposition attribute";
    if (!isa<AllGatherOp, ReduceScatterOp, AllReduceOp>(op))
      return op->emitError() << "'" << kDecompositionAttrName
                             << "' belongs on braid.all_gather, "
                                "braid.reduce_scatter or braid.all_reduce, "
                                "not on '"
                             << op->getName() << "'";
    if (plan.getForm() == DecompositionForm::Chunks && !isa<AllReduceOp>(op))
      return op->emitError() << "a chunked decomposition applies to "
                                "braid.all_reduce only";
    if (plan.getForm() == DecompositionForm::BidirectionalRing &&
        !isa<AllGatherOp>(op))
      return op->emitError() << "a bidirectional ring applies to "
                                "braid.all_gather only";
    if (plan.getWire() && isa<AllGatherOp>(op))
      return op->emitError() << "an all_gather ring moves shards, not "
                                "partial sums: it takes no wire type";
    return success();
  }
  if (attr.getName() == kFusionAttrName) {
    if (!isa<TriggerAttr>(attr.getValue()))
      return op->emitError() << "'" << kFusionAttrName
                             << "' must be a #braid.trigger attribute";
    if (!isa<AllGatherOp, ReduceScatterOp, AllReduceOp>(op))
      return op->emitError() << "'" << kFusionAttrName
                             << "' belongs on braid.all_gather, "
                                "braid.reduce_scatter or braid.all_reduce, "
                                "not on '"
                             << op->getName() << "'";
    return success();
  }
  if (attr.getName() == kTargetAttrName) {
    if (!isa<TargetAttr>(attr.getValue()))
      return op->emitError() << "'" << kTargetAttrName
                             << "' must be a #braid.target attribute";
    if (!isa<ModuleOp>(op))
      return op->emitError() << "'" << kTargetAttrName
                             << "' belongs on a module, not on '"
                             << op->getName() << "'";
    return success();
  }
  if (attr.getName() == kProgramMetadataAttrName) {
    if (!isa<StringAttr>(attr.getValue()) || !isa<ModuleOp>(op))
      return op->emitError() << "'" << kProgramMetadataAttrName
                             << "' must be a string on a module";
    return success();
  }
  if (attr.getName() == kDeviceAttrName) {
    auto device = dyn_cast<StringAttr>(attr.getValue());
    if (!device || (device.getValue() != "cpu" && device.getValue() != "cuda"))
      return op->emitError() << "'" << kDeviceAttrName
                             << "' must be \"cpu\" or \"cuda\"";
    if (!isa<ModuleOp>(op))
      return op->emitError() << "'" << kDeviceAttrName
                             << "' belongs on a module, not on '"
                             << op->getName() << "'";
    return success();
  }
  if (attr.getName() != kDeviceOrderAttrName)
    return op->emitError() << "unknown braid attribute '"
                           << attr.getName().getValue() << "'";
  auto order = dyn_cast<DeviceOrderAttr>(attr.getValue());
  if (!order)
    return op->emitError() << "'" << kDeviceOrderAttrName
                           << "' must be a #braid.device_order attribute";
  auto grid = dyn_cast<shard::GridOp>(op);
  if (!grid)
    return op->emitError() << "'" << kDeviceOrderAttrName
                           << "' belongs on a shard.grid, not on '"
                           << op->getName() << "'";
  if (llvm::any_of(grid.getShape(), ShapedType::isDynamic))
    return op->emitError() << "'" << kDeviceOrderAttrName
                           << "' needs a grid of static shape";
  if (failed(verifyGridDeviceCount(grid, grid)))
    return failure();
  int64_t numDevices = getStaticDeviceCount(grid);
  if (static_cast<int64_t>(order.getDevices().size()) != numDevices)
    return op->emitError() << "device order lists "
                           << order.getDevices().size()
                           << " devices but the grid has " << numDevices;
  return success();
}

LogicalResult
DecompositionPlanAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                              DecompositionForm form, int64_t count,
                              Type wire) {
  if (count < 2)
    return emitError() << "a decomposition needs at least 2 steps or chunks, "
                          "not "
                       << count;
  if (wire && !llvm::isa<Float32Type, BFloat16Type, Float16Type>(wire))
    return emitError() << "partial sums travel as f32, bf16 or f16, not "
                       << wire;
  return success();
}

LogicalResult TriggerAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                  TriggerKind kind, int64_t count, int64_t m,
                                  int64_t n, int64_t threshold) {
  if (kind == TriggerKind::Chunk) {
    if (m || n || threshold)
      return emitError() << "a chunk trigger takes only 'count' (tiles are "
                            "for the tile trigger)";
    if (count < 2)
      return emitError() << "a chunk trigger needs at least 2 chunks, not "
                         << count;
    return success();
  }
  if (count)
    return emitError() << "a tile trigger takes 'm', 'n' and 'threshold', "
                          "not 'count' (its chunks are the collective's)";
  if (m < 1 || n < 1)
    return emitError() << "a tile trigger needs a tile of at least 1x1, not "
                       << m << "x" << n;
  if (threshold < 1)
    return emitError() << "a tile trigger needs a threshold of at least one "
                          "tile, not "
                       << threshold;
  return success();
}

// #braid.trigger<chunk, count = C> | #braid.trigger<tile, m = M, n = N,
// threshold = T>
Attribute TriggerAttr::parse(AsmParser &parser, Type) {
  StringRef keyword;
  SMLoc loc = parser.getCurrentLocation();
  if (parser.parseLess() || parser.parseKeyword(&keyword))
    return {};
  std::optional<TriggerKind> kind = symbolizeTriggerKind(keyword);
  if (!kind) {
    parser.emitError(loc) << "expected 'chunk' or 'tile', got '" << keyword
                          << "'";
    return {};
  }
  int64_t count = 0, m = 0, n = 0, threshold = 0;
  llvm::StringMap<int64_t *> fields{{"count", &count},
                                    {"m", &m},
                                    {"n", &n},
                                    {"threshold", &threshold}};
  llvm::StringSet<> seen;
  while (succeeded(parser.parseOptionalComma())) {
    StringRef name;
    SMLoc at = parser.getCurrentLocation();
    if (parser.parseKeyword(&name))
      return {};
    auto it = fields.find(name);
    if (it == fields.end()) {
      parser.emitError(at) << "unknown trigger parameter '" << name
                           << "' (count, m, n, threshold)";
      return {};
    }
    if (!seen.insert(name).second) {
      parser.emitError(at) << "trigger parameter '" << name
                           << "' given twice";
      return {};
    }
    if (parser.parseEqual() || parser.parseInteger(*it->second))
      return {};
  }
  if (parser.parseGreater())
    return {};
  return getChecked([&] { return parser.emitError(loc); },
                    parser.getContext(), *kind, count, m, n, threshold);
}

void TriggerAttr::print(AsmPrinter &printer) const {
  printer << "<" << stringifyTriggerKind(getKind());
  if (isChunk())
    printer << ", count = " << getCount();
  else
    printer << ", m = " << getM() << ", n = " << getN()
            << ", threshold = " << getThreshold();
  printer << ">";
}

LogicalResult
DeviceOrderAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                        ArrayRef<int64_t> devices) {
  llvm::SmallBitVector seen(devices.size());
  for (int64_t device : devices) {
    if (device < 0 || device >= static_cast<int64_t>(devices.size()))
      return emitError() << "device order entry " << device
                         << " is outside [0, " << devices.size() << ")";
    if (seen.test(device))
      return emitError() << "device " << device
                         << " appears twice in the device order";
    seen.set(device);
  }
  return success();
}

LogicalResult FutureType::verify(function_ref<InFlightDiagnostic()> emitError,
                                 ArrayRef<Type> valueTypes) {
  for (Type type : valueTypes) {
    bool nested = false;
    type.walk([&](FutureType) { nested = true; });
    if (nested)
      return emitError() << "a future cannot hold another future";
  }
  return success();
}

// `!braid.future<>` holds nothing: a start awaited only for ordering.
Type FutureType::parse(AsmParser &parser) {
  SmallVector<Type> valueTypes;
  if (parser.parseLess())
    return {};
  if (failed(parser.parseOptionalGreater())) {
    if (parser.parseTypeList(valueTypes) || parser.parseGreater())
      return {};
  }
  return getChecked([&] { return parser.emitError(parser.getNameLoc()); },
                    parser.getContext(), valueTypes);
}

void FutureType::print(AsmPrinter &printer) const {
  printer << "<";
  llvm::interleaveComma(getValueTypes(), printer);
  printer << ">";
}

//===----------------------------------------------------------------------===//
// Shared helpers
//===----------------------------------------------------------------------===//

FailureOr<int64_t> mlir::braid::getElementByteSize(Type type) {
  if (type.isIndex())
    return 8;
  if (auto complex = dyn_cast<ComplexType>(type)) {
    FailureOr<int64_t> part = getElementByteSize(complex.getElementType());
    return failed(part) ? part : FailureOr<int64_t>(2 * *part);
  }
  if (!type.isIntOrFloat())
    return failure();
  unsigned bits = type.getIntOrFloatBitWidth();
  return std::max<int64_t>(1, (bits + 7) / 8);
}

FailureOr<int64_t> mlir::braid::checkedMul(int64_t a, int64_t b) {
  int64_t result;
  if (llvm::MulOverflow(a, b, result))
    return failure();
  return result;
}

FailureOr<int64_t> mlir::braid::getStaticNumElements(Type type) {
  auto shaped = dyn_cast<ShapedType>(type);
  if (!shaped)
    return 1;
  if (!shaped.hasStaticShape())
    return failure();
  int64_t elements = 1;
  for (int64_t dim : shaped.getShape()) {
    FailureOr<int64_t> product = checkedMul(elements, dim);
    if (failed(product))
      return failure();
    elements = *product;
  }
  return elements;
}

FailureOr<int64_t> mlir::braid::getStaticByteSize(Type type) {
  auto shaped = dyn_cast<ShapedType>(type);
  if (!shaped)
    return getElementByteSize(type);
  if (!shaped.hasStaticShape())
    return failure();
  FailureOr<int64_t> elementBytes = getElementByteSize(shaped.getElementType());
  FailureOr<int64_t> elements = getStaticNumElements(shaped);
  if (failed(elementBytes) || failed(elements))
    return failure();
  return checkedMul(*elements, *elementBytes);
}

std::string mlir::braid::getCommunicatorName(CollectiveOpInterface op) {
  std::string name;
  llvm::raw_string_ostream os(name);
  os << op.getGridSymbol() << " axes [";
  llvm::interleaveComma(op.getGroupAxes(), os);
  os << "]";
  return name;
}

/// The product of the static axes of `grid`; nullopt when it overflows.
static std::optional<int64_t> countStaticDevices(shard::GridOp grid) {
  int64_t count = 1;
  for (int64_t dim : grid.getShape()) {
    if (ShapedType::isDynamic(dim))
      continue;
    FailureOr<int64_t> product = checkedMul(count, dim);
    if (failed(product))
      return std::nullopt;
    count = *product;
  }
  return count;
}

int64_t mlir::braid::getStaticDeviceCount(shard::GridOp grid) {
  return countStaticDevices(grid).value_or(std::numeric_limits<int64_t>::max());
}

LogicalResult mlir::braid::verifyGridDeviceCount(shard::GridOp grid,
                                                 Operation *user) {
  std::optional<int64_t> count = countStaticDevices(grid);
  if (count && *count <= kMaxGridDevices)
    return success();
  InFlightDiagnostic diag =
      user == grid.getOperation() ? grid.emitError() : user->emitOpError();
  diag << "grid @" << grid.getSymName() << " has ";
  if (count)
    diag << *count;
  else
    diag << "more than " << std::numeric_limits<int64_t>::max();
  diag << " devices; braid handles grids of at most " << kMaxGridDevices
       << " devices (it enumerates every rank)";
  if (user != grid.getOperation())
    diag.attachNote(grid.getLoc()) << "grid declared here";
  return failure();
}

int64_t mlir::braid::getLargestDeviceCount(Operation *root) {
  int64_t count = 1;
  root->walk([&](shard::GridOp grid) {
    int64_t devices = getStaticDeviceCount(grid);
    if (devices <= kMaxGridDevices)
      count = std::max(count, devices);
  });
  return count;
}

shard::GridOp mlir::braid::lookupGrid(Operation *from, FlatSymbolRefAttr grid,
                                      SymbolTableCollection *symbolTables) {
  if (!grid)
    return nullptr;
  Operation *symbol =
      symbolTables ? symbolTables->lookupNearestSymbolFrom(from, grid)
                   : SymbolTable::lookupNearestSymbolFrom(from, grid);
  return dyn_cast_or_null<shard::GridOp>(symbol);
}

FailureOr<int64_t> mlir::braid::getGroupSize(Operation *from,
                                             FlatSymbolRefAttr grid,
                                             ArrayRef<int16_t> axes,
                                             SymbolTableCollection *tables) {
  shard::GridOp gridOp = lookupGrid(from, grid, tables);
  if (!gridOp)
    return failure();
  int64_t size = 1;
  for (int16_t axis : axes) {
    if (axis < 0 || axis >= gridOp.getRank())
      return failure();
    int64_t axisSize = gridOp.getShape()[axis];
    if (ShapedType::isDynamic(axisSize) || axisSize <= 0)
      return failure();
    FailureOr<int64_t> product = checkedMul(size, axisSize);
    if (failed(product))
      return failure();
    size = *product;
  }
  return size;
}

void mlir::braid::registerBraidDialect(DialectRegistry &registry) {
  registry.insert<BraidDialect>();
  registerUpstreamCostModels(registry);
  registerTilingInterfaceExternalModels(registry);
}
