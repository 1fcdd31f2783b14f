//===- NumericsContract.cpp - is a candidate's result close enough? -------===//

#include "braid/Interpreter/NumericsContract.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>

using namespace mlir;
using namespace mlir::braid::interp;

/// `value` printed with a printf `format`.
static std::string printed(const char *format, double value) {
  std::string text;
  llvm::raw_string_ostream(text) << llvm::format(format, value);
  return text;
}

double mlir::braid::interp::unitRoundoff(ElemKind kind) {
  switch (kind) {
  case ElemKind::F32:
    return std::ldexp(1.0, -24);
  case ElemKind::F16:
    return std::ldexp(1.0, -11);
  case ElemKind::BF16:
    return std::ldexp(1.0, -8);
  default:
    return std::ldexp(1.0, -53);
  }
}

ResultError mlir::braid::interp::relativeError(const RankValues &values,
                                               const RankValues &reference,
                                               size_t index) {
  ResultError error;
  double maxDiff = 0, maxRef = 0;
  for (size_t rank = 0; rank < values.size(); ++rank) {
    const Tensor &x = values[rank][index];
    const Tensor &ref = reference[rank][index];
    for (int64_t i = 0; i < x.numElements(); ++i) {
      double a = x.get(i).asDouble(), b = ref.get(i).asDouble();
      double diff =
          std::isnan(a) != std::isnan(b) ? INFINITY : std::fabs(a - b);
      if (diff > maxDiff) {
        maxDiff = diff;
        error.worstRank = rank;
        error.worstElement = i;
      }
      maxRef = std::fmax(maxRef, std::fabs(b));
    }
  }
  error.relative = maxRef > 0 ? maxDiff / maxRef : maxDiff;
  return error;
}

std::optional<std::pair<size_t, int64_t>>
mlir::braid::interp::findDifference(const RankValues &a, const RankValues &b,
                                    size_t index) {
  for (size_t rank = 0; rank < a.size(); ++rank) {
    const Tensor &x = a[rank][index];
    const Tensor &y = b[rank][index];
    if (x.bitwiseEqual(y))
      continue;
    int64_t element = 0;
    while (element < x.numElements() &&
           x.get(element).bitwiseEqual(y.get(element)))
      ++element;
    return std::make_pair(rank, element);
  }
  return std::nullopt;
}

ContractReport
mlir::braid::interp::compareShapes(const RankValues &baseline,
                                   const RankValues &candidate,
                                   const ContractLabels &labels) {
  ContractReport report;
  for (size_t rank = 0; rank < baseline.size(); ++rank) {
    if (candidate[rank].size() != baseline[rank].size()) {
      report.violations.push_back({0, rank,
                                   "rank " + std::to_string(rank) + " has " +
                                       std::to_string(candidate[rank].size()) +
                                       " results but the " + labels.baseline +
                                       " has " +
                                       std::to_string(baseline[rank].size())});
      continue;
    }
    for (size_t r = 0; r < baseline[rank].size(); ++r) {
      const Tensor &expected = baseline[rank][r];
      const Tensor &actual = candidate[rank][r];
      if (expected.kind() == actual.kind() &&
          expected.shape() == actual.shape())
        continue;
      report.violations.push_back(
          {r, rank,
           "result #" + std::to_string(r) + " of rank " + std::to_string(rank) +
               " is " + actual.typeString() + " but the " + labels.baseline +
               "'s is " + expected.typeString()});
    }
  }
  return report;
}

ContractReport mlir::braid::interp::compareExact(const RankValues &baseline,
                                                 const RankValues &candidate,
                                                 const ContractLabels &labels) {
  ContractReport report;
  size_t numResults = baseline.empty() ? 0 : baseline.front().size();
  for (size_t r = 0; r < numResults; ++r) {
    auto difference = findDifference(baseline, candidate, r);
    if (!difference)
      continue;
    auto [rank, element] = *difference;
    report.violations.push_back(
        {r, rank,
         "not bitwise equal: rank " + std::to_string(rank) + " result #" +
             std::to_string(r) + " element " + std::to_string(element) + ": " +
             printed("%.9g", baseline[rank][r].get(element).asDouble()) + " (" +
             labels.baseline + ") vs " +
             printed("%.9g", candidate[rank][r].get(element).asDouble()) +
             " (" + labels.candidate + ")"});
  }
  if (report.passed())
    report.summary.push_back("bitwise equal on all " +
                             std::to_string(baseline.size()) + " ranks");
  return report;
}

ContractReport mlir::braid::interp::compareWithContract(
    const RankValues &baseline, const RankValues &candidate,
    const RankValues &reference, double factor, const ContractLabels &labels) {
  ContractReport report;
  size_t numResults = baseline.empty() ? 0 : baseline.front().size();
  for (size_t r = 0; r < numResults; ++r) {
    const Tensor &first = baseline.front()[r];
    std::string line;
    llvm::raw_string_ostream os(line);
    os << "result #" << r << " " << first.typeString() << ": ";
    if (!first.isFloat()) {
      auto difference = findDifference(baseline, candidate, r);
      if (!difference) {
        os << "integers equal on all " << baseline.size() << " ranks";
        report.summary.push_back(line);
        continue;
      }
      auto [rank, element] = *difference;
      os << "integers differ";
      report.summary.push_back(line);
      report.violations.push_back(
          {r, rank,
           "integer result #" + std::to_string(r) + " differs on rank " +
               std::to_string(rank) + " at element " + std::to_string(element) +
               ": " + std::to_string(baseline[rank][r].get(element).i) + " (" +
               labels.baseline + ") vs " +
               std::to_string(candidate[rank][r].get(element).i) + " (" +
               labels.candidate + "); integer results must be exact"});
      continue;
    }
    double baselineError = relativeError(baseline, reference, r).relative;
    ResultError candidateError = relativeError(candidate, reference, r);
    double roundoff = unitRoundoff(first.kind());
    double bound = factor * std::fmax(baselineError, roundoff);
    os << llvm::format("relative error vs f64: %s %.3e, %s %.3e (bound %.3e "
                       "= %.2f x max(%s, unit roundoff %.3e))",
                       labels.baseline.c_str(), baselineError,
                       labels.candidate.c_str(), candidateError.relative, bound,
                       factor, labels.baseline.c_str(), roundoff);
    report.summary.push_back(line);
    if (candidateError.relative <= bound)
      continue;
    size_t rank = candidateError.worstRank;
    int64_t element = candidateError.worstElement;
    report.violations.push_back(
        {r, rank,
         labels.candidateSubject +
             " is less accurate than the numerics contract allows: result #" +
             std::to_string(r) + " has relative error " +
             printed("%.3e", candidateError.relative) +
             " vs f64, over the bound " + printed("%.3e", bound) +
             " (largest difference on rank " + std::to_string(rank) +
             ", element " + std::to_string(element) + ": " +
             printed("%.9g", candidate[rank][r].get(element).asDouble()) +
             " vs " +
             printed("%.9g", reference[rank][r].get(element).asDouble()) +
             " in f64)"});
  }
  return report;
}
