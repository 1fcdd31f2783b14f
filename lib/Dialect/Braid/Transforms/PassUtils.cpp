//===- PassUtils.cpp - helpers shared by braid passes ---------------------===//

#include "braid/Dialect/Braid/Transforms/Passes.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FormatVariadic.h"

using namespace mlir;
using namespace mlir::braid;

static llvm::cl::opt<bool>
    clExplain("braid-explain",
              llvm::cl::desc("Report every decision Braid's passes make or "
                             "refuse as a remark on the op"),
              llvm::cl::init(false));

bool mlir::braid::isExplainRequested() { return clExplain; }

std::string mlir::braid::formatMicros(double seconds) {
  return llvm::formatv("{0:f3} us", seconds * 1e6).str();
}
