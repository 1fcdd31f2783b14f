//===- RaiseAttention.cpp - linalg.softmax / braid.attention --------------===//

#include "RaiseUtils.h"

#include "braid/Dialect/Braid/IR/BraidDialect.h"

void mlir::braid::populateRaiseSoftmaxPatterns(RewritePatternSet &patterns,
                                               RaiseRemarks *remarks) {}
void mlir::braid::populateRaiseAttentionPatterns(RewritePatternSet &patterns,
                                                 RaiseRemarks *remarks) {}
