//===- RaiseActivation.cpp - braid.activation / braid.swiglu --------------===//

#include "RaiseUtils.h"

#include "braid/Dialect/Braid/IR/BraidDialect.h"

void mlir::braid::populateRaiseActivationPatterns(RewritePatternSet &patterns,
                                                  RaiseRemarks *remarks) {}
