//===- NumericsContract.h - is a candidate close enough? -------*- C++ -*-===//
//
// The numerics contract (docs/Interpreter.md, shared DESIGN.md): a candidate
// (a rewritten program's run, or a compiled program's outputs) against a
// baseline run of the interpreter, result by result. Integer results must
// be exact; a floating-point result may be at most `factor` times less
// accurate than the baseline against the f64 reference run, with the unit
// roundoff of its type as the floor of the baseline's error. Or, with
// --exact, every result bitwise equal. `braid-interp --compare` and
// `--check-outputs` both judge with these functions.
//
//===----------------------------------------------------------------------===//

#ifndef BRAID_INTERPRETER_NUMERICSCONTRACT_H
#define BRAID_INTERPRETER_NUMERICSCONTRACT_H

#include "braid/Interpreter/Interpreter.h"

#include <optional>
#include <string>
#include <vector>

namespace mlir {
namespace braid {
namespace interp {

/// How reports name the two sides.
struct ContractLabels {
  /// The run whose error sets the bound ("original").
  std::string baseline = "original";
  /// The run judged ("rewritten").
  std::string candidate = "rewritten";
  /// The judged run as a sentence's subject ("the rewritten program").
  std::string candidateSubject = "the rewritten program";
};

/// A result that breaks the contract, on `rank` (the worst one when the
/// measure covers all ranks).
struct ContractViolation {
  size_t result = 0;
  size_t rank = 0;
  std::string message;
};

/// What a comparison found: one summary line per result (for the user) and
/// the violations (for errors).
struct ContractReport {
  std::vector<std::string> summary;
  std::vector<ContractViolation> violations;
  bool passed() const { return violations.empty(); }
};

/// Unit roundoff of a floating-point kind (2^-53 for the others).
double unitRoundoff(ElemKind kind);

/// max |x - ref| / max |ref| of result `index` over every rank (max |x -
/// ref| when ref is all zeros; a NaN on one side only counts as infinite),
/// and the rank and element of the largest |x - ref|. Each result has its
/// own scale: a large result next to a small one must not hide the small
/// one's error.
struct ResultError {
  double relative = 0;
  size_t worstRank = 0;
  int64_t worstElement = 0;
};
ResultError relativeError(const RankValues &values, const RankValues &reference,
                          size_t index);

/// The first (rank, element) where result `index` of `a` and `b` are not
/// bitwise equal; nothing when they are.
std::optional<std::pair<size_t, int64_t>>
findDifference(const RankValues &a, const RankValues &b, size_t index);

/// The candidate has the baseline's number of results and each has the
/// baseline's kind and shape on every rank (dynamic result types, or a
/// lowering's result buffers, may hide a difference). The other comparisons
/// assume this holds.
ContractReport compareShapes(const RankValues &baseline,
                             const RankValues &candidate,
                             const ContractLabels &labels = {});

/// Every result bitwise equal on every rank.
ContractReport compareExact(const RankValues &baseline,
                            const RankValues &candidate,
                            const ContractLabels &labels = {});

/// The contract, result by result, against the f64 run `reference` (of the
/// baseline's program).
ContractReport compareWithContract(const RankValues &baseline,
                                   const RankValues &candidate,
                                   const RankValues &reference, double factor,
                                   const ContractLabels &labels = {});

} // namespace interp
} // namespace braid
} // namespace mlir

#endif // BRAID_INTERPRETER_NUMERICSCONTRACT_H
