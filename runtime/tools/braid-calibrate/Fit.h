//===- Fit.h - least-squares fits of braid-calibrate ------------*- C++ -*-===//
//
// The cost model's formulas are linear in their parameters once the
// hardware-independent work of each measurement is known (billed FLOPs,
// bytes, ring steps), except the max() of a streaming kernel. Every fit
// minimises the sum of squared *relative* errors, so a 10 us point counts as
// much as a 10 ms one.
//
//===----------------------------------------------------------------------===//

#ifndef BRAID_CALIBRATE_FIT_H
#define BRAID_CALIBRATE_FIT_H

#include <optional>
#include <vector>

namespace braid_calibrate {

/// Minimises sum_i ((rows[i] . x - targets[i]) / targets[i])^2; nothing
/// when the columns are linearly dependent (too few distinct points).
std::optional<std::vector<double>>
relativeLeastSquares(const std::vector<std::vector<double>> &rows,
                     const std::vector<double> &targets);

/// `seconds = intercept + slope * size` by relative least squares, with
/// the intercept kept >= 0 (refitted through the origin otherwise) and the
/// slope > 0 (at least `minSlope`). Nothing with fewer than two distinct
/// sizes.
struct Line {
  double intercept = 0;
  double slope = 0;
};
std::optional<Line> fitLine(const std::vector<double> &sizes,
                            const std::vector<double> &seconds,
                            double minSlope);

/// A streaming kernel as the cost model times it:
/// max(bytes / (bandwidth * efficiency), flops / vectorFlops) + overhead.
struct StreamingPoint {
  double bytes = 0;
  double flops = 0;
  double seconds = 0;
};
struct StreamingFit {
  double efficiency = 1;
  double vectorFlops = 0;
  double overhead = 0;
  /// Whether the compute term explains the points better than memory
  /// alone. Otherwise vectorFlops is the fallback, raised where needed to
  /// the smallest rate that keeps every point memory-bound
  /// (vectorFlopsRaised): all the points say about it.
  bool computeBoundSeen = false;
  bool vectorFlopsRaised = false;
};
/// Searches efficiency in [0.01, 4] (above 1 when the points run from
/// cache faster than `bandwidth`) and vectorFlops in [1e7, 1e14] FLOP/s
/// on logarithmic grids (the overhead in closed form for each pair), then
/// refines around the best pair; also without the compute term. Nothing
/// without points.
std::optional<StreamingFit>
fitStreaming(const std::vector<StreamingPoint> &points, double bandwidth,
             double fallbackVectorFlops);

double median(std::vector<double> values);

} // namespace braid_calibrate

#endif // BRAID_CALIBRATE_FIT_H
