//===- TestUtils.h - parse braid IR in unit tests ---------------*- C++ -*-===//

#ifndef BRAID_UNITTESTS_TESTUTILS_H
#define BRAID_UNITTESTS_TESTUTILS_H

#include "braid/Dialect/Braid/IR/BraidDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Parser/Parser.h"

#include "gtest/gtest.h"

namespace mlir::braid::test {

/// A context with braid, its external models, and the upstream dialects the
/// tests' IR uses.
inline std::unique_ptr<mlir::MLIRContext> makeContext() {
  mlir::DialectRegistry registry;
  registry.insert<mlir::func::FuncDialect, mlir::linalg::LinalgDialect,
                  mlir::math::MathDialect, mlir::arith::ArithDialect,
                  mlir::tensor::TensorDialect, mlir::shard::ShardDialect>();
  mlir::braid::registerBraidDialect(registry);
  auto context = std::make_unique<mlir::MLIRContext>(registry);
  context->loadAllAvailableDialects();
  return context;
}

/// The first op named `opName` in `module`, or nullptr.
inline mlir::Operation *findFirst(mlir::ModuleOp module,
                                  llvm::StringRef opName) {
  mlir::Operation *found = nullptr;
  module.walk([&](mlir::Operation *op) {
    if (!found && op->getName().getStringRef() == opName)
      found = op;
  });
  return found;
}

} // namespace mlir::braid::test

#endif // BRAID_UNITTESTS_TESTUTILS_H
