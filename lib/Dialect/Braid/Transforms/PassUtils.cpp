//===- PassUtils.cpp - helpers shared by braid passes ---------------------===//

#include "braid/Dialect/Braid/Transforms/Passes.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FormatVariadic.h"

using namespace mlir;
using namespace mlir::braid;

FailureOr<CostModel> mlir::braid::loadCostModel(Operation *anchor,
                                                StringRef profile,
                                                StringRef profileDir) {
  llvm::Expected<HardwareProfile> hardware = HardwareProfile::find(
      profile, profileDir.empty() ? StringRef(BRAID_DEFAULT_PROFILE_DIR)
                                  : profileDir);
  if (!hardware)
    return anchor->emitError() << llvm::toString(hardware.takeError());
  return CostModel(std::move(*hardware));
}

static llvm::cl::opt<bool>
    clExplain("braid-explain",
              llvm::cl::desc("Report every decision Braid's passes make or "
                             "refuse as a remark on the op"),
              llvm::cl::init(false));

bool mlir::braid::isExplainRequested() { return clExplain; }

std::string mlir::braid::formatMicros(double seconds) {
  return llvm::formatv("{0:f3} us", seconds * 1e6).str();
}
