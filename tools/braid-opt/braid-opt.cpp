//===- braid-opt.cpp - Braid's optimizer driver ---------------------------===//
//
// mlir-opt with the braid dialect, its passes and the test passes that
// print Braid's analyses.
//
//===----------------------------------------------------------------------===//

#include "braid/Conversion/Passes.h"
#include "braid/Dialect/Braid/IR/BraidDialect.h"
#include "braid/Dialect/Braid/Transforms/BufferizableOpInterfaceImpl.h"
#include "braid/Dialect/Braid/Transforms/Passes.h"
#include "braid/Dialect/Braid/Transforms/Pipelines.h"

#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

namespace mlir::braid::test {
void registerTestPasses();
} // namespace mlir::braid::test

int main(int argc, char **argv) {
  mlir::registerAllPasses();
  mlir::braid::registerBraidPasses();
  mlir::braid::registerBraidConversionPasses();
  mlir::braid::registerBraidPipelines();
  mlir::braid::test::registerTestPasses();

  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  mlir::braid::registerBraidDialect(registry);
  mlir::braid::registerBufferizableOpInterfaceExternalModels(registry);
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "Braid optimizer driver\n", registry));
}
