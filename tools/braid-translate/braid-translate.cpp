//===- braid-translate.cpp - Braid's translations -------------------------===//
//
// `braid-translate --braid-to-cpp` prints the C++ of a module that
// convert-braid-to-emitc produced: the source braid-compile builds.
//
//===----------------------------------------------------------------------===//

#include "braid/Conversion/BraidToEmitC/BraidToEmitC.h"

#include "mlir/Dialect/EmitC/IR/EmitC.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Tools/mlir-translate/MlirTranslateMain.h"
#include "mlir/Tools/mlir-translate/Translation.h"

int main(int argc, char **argv) {
  mlir::TranslateFromMLIRRegistration braidToCpp(
      "braid-to-cpp",
      "the C++ of an EmitC module from convert-braid-to-emitc",
      [](mlir::Operation *op, llvm::raw_ostream &os) -> llvm::LogicalResult {
        auto module = llvm::dyn_cast<mlir::ModuleOp>(op);
        if (!module)
          return op->emitError("expected a builtin.module");
        return mlir::braid::translateBraidToCpp(module, os);
      },
      [](mlir::DialectRegistry &registry) {
        registry.insert<mlir::emitc::EmitCDialect>();
      });
  return mlir::failed(
      mlir::mlirTranslateMain(argc, argv, "Braid translation driver\n"));
}
