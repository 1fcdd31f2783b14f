//===- PassUtils.cpp - helpers shared by braid passes ---------------------===//

#include "braid/Dialect/Braid/Transforms/Passes.h"

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

std::string mlir::braid::formatMicros(double seconds) {
  return llvm::formatv("{0:f3} us", seconds * 1e6).str();
}
