//===- Fit.cpp - least-squares fits of braid-calibrate --------------------===//

#include "Fit.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <tuple>

namespace braid_calibrate {

std::optional<std::vector<double>>
relativeLeastSquares(const std::vector<std::vector<double>> &rows,
                     const std::vector<double> &targets) {
  if (rows.empty())
    return std::nullopt;
  size_t n = rows.front().size();
  // Normal equations of the weighted problem (weight 1 / target).
  std::vector<std::vector<double>> a(n, std::vector<double>(n + 1, 0));
  for (size_t i = 0; i < rows.size(); ++i) {
    double w = 1 / (targets[i] * targets[i]);
    for (size_t r = 0; r < n; ++r) {
      for (size_t c = 0; c < n; ++c)
        a[r][c] += w * rows[i][r] * rows[i][c];
      a[r][n] += w * rows[i][r] * targets[i];
    }
  }
  // Gaussian elimination with partial pivoting; a pivot that vanishes
  // against the column's scale means the columns are dependent.
  for (size_t c = 0; c < n; ++c) {
    size_t pivot = c;
    for (size_t r = c + 1; r < n; ++r)
      if (std::fabs(a[r][c]) > std::fabs(a[pivot][c]))
        pivot = r;
    double scale = 0;
    for (size_t r = 0; r < n; ++r)
      scale = std::max(scale, std::fabs(a[r][c]));
    if (scale == 0 || std::fabs(a[pivot][c]) < 1e-12 * scale)
      return std::nullopt;
    std::swap(a[c], a[pivot]);
    for (size_t r = 0; r < n; ++r) {
      if (r == c)
        continue;
      double factor = a[r][c] / a[c][c];
      for (size_t k = c; k <= n; ++k)
        a[r][k] -= factor * a[c][k];
    }
  }
  std::vector<double> x(n);
  for (size_t c = 0; c < n; ++c)
    x[c] = a[c][n] / a[c][c];
  return x;
}

std::optional<Line> fitLine(const std::vector<double> &sizes,
                            const std::vector<double> &seconds,
                            double minSlope) {
  bool distinct = false;
  for (double size : sizes)
    distinct |= size != sizes.front();
  if (sizes.size() < 2 || !distinct)
    return std::nullopt;
  std::vector<std::vector<double>> rows;
  for (double size : sizes)
    rows.push_back({1.0, size});
  std::optional<std::vector<double>> x = relativeLeastSquares(rows, seconds);
  if (!x)
    return std::nullopt;
  Line line{(*x)[0], (*x)[1]};
  if (line.intercept < 0) {
    rows.clear();
    for (double size : sizes)
      rows.push_back({size});
    x = relativeLeastSquares(rows, seconds);
    if (!x)
      return std::nullopt;
    line = Line{0, (*x)[0]};
  }
  line.slope = std::max(line.slope, minSlope);
  return line;
}

namespace {

/// Above 1: loops on data in cache run faster than memcpy streams data
/// the size of memory_bandwidth's measurement.
constexpr double kMaxEfficiency = 4;

struct Trial {
  double error = std::numeric_limits<double>::infinity();
  double overhead = 0;
};

Trial evaluate(const std::vector<StreamingPoint> &points, double bandwidth,
               double efficiency, double vectorFlops) {
  double sumWeights = 0, sumResiduals = 0;
  std::vector<double> modelled(points.size());
  for (size_t i = 0; i < points.size(); ++i) {
    const StreamingPoint &p = points[i];
    modelled[i] = std::max(p.bytes / (bandwidth * efficiency),
                           vectorFlops > 0 ? p.flops / vectorFlops : 0.0);
    double w = 1 / (p.seconds * p.seconds);
    sumWeights += w;
    sumResiduals += w * (p.seconds - modelled[i]);
  }
  Trial trial;
  trial.overhead = std::max(0.0, sumResiduals / sumWeights);
  trial.error = 0;
  for (size_t i = 0; i < points.size(); ++i) {
    double relative =
        (modelled[i] + trial.overhead - points[i].seconds) / points[i].seconds;
    trial.error += relative * relative;
  }
  return trial;
}

std::vector<double> logGrid(double low, double high, int perDecade) {
  std::vector<double> grid;
  int steps = static_cast<int>(std::ceil(std::log10(high / low) * perDecade));
  for (int i = 0; i <= steps; ++i)
    grid.push_back(low * std::pow(high / low, static_cast<double>(i) / steps));
  return grid;
}

} // namespace

std::optional<StreamingFit>
fitStreaming(const std::vector<StreamingPoint> &points, double bandwidth,
             double fallbackVectorFlops) {
  if (points.empty() || !(bandwidth > 0))
    return std::nullopt;
  std::vector<double> efficiencies = logGrid(0.01, kMaxEfficiency, 50);
  std::vector<double> rates = logGrid(1e7, 1e14, 20);
  // The best (efficiency, rate) on the grid, then refined between the
  // neighbouring grid points; a rate of 0 leaves compute out.
  auto search = [&](const std::vector<double> &rateGrid) {
    size_t bestE = 0, bestV = 0;
    Trial best;
    for (size_t e = 0; e < efficiencies.size(); ++e)
      for (size_t v = 0; v < rateGrid.size(); ++v) {
        Trial trial = evaluate(points, bandwidth, efficiencies[e], rateGrid[v]);
        if (trial.error < best.error) {
          best = trial;
          bestE = e;
          bestV = v;
        }
      }
    double e = efficiencies[bestE], v = rateGrid[bestV];
    auto around = [](const std::vector<double> &grid, size_t i) {
      return std::pair<double, double>{grid[i ? i - 1 : 0],
                                       grid[std::min(i + 1, grid.size() - 1)]};
    };
    auto [eLow, eHigh] = around(efficiencies, bestE);
    auto [vLow, vHigh] = around(rateGrid, bestV);
    std::vector<double> fineRates =
        v > 0 ? logGrid(vLow, vHigh, 200) : std::vector<double>{0};
    StreamingFit fit;
    fit.efficiency = e;
    fit.vectorFlops = v;
    for (double fineE : logGrid(eLow, eHigh, 200))
      for (double fineV : fineRates) {
        Trial trial = evaluate(points, bandwidth, fineE, fineV);
        if (trial.error < best.error) {
          best = trial;
          fit.efficiency = fineE;
          fit.vectorFlops = fineV;
        }
      }
    fit.overhead = best.overhead;
    return std::pair<StreamingFit, double>{fit, best.error};
  };
  // Memory alone is a line in bytes: solved exactly.
  StreamingFit memoryOnly;
  double memoryError = std::numeric_limits<double>::infinity();
  std::vector<double> bytes, times;
  for (const StreamingPoint &p : points) {
    bytes.push_back(p.bytes);
    times.push_back(p.seconds);
  }
  if (std::optional<Line> line = fitLine(bytes, times, 1e-18)) {
    memoryOnly.efficiency =
        std::clamp(1 / (line->slope * bandwidth), 0.01, kMaxEfficiency);
    Trial trial = evaluate(points, bandwidth, memoryOnly.efficiency, 0);
    memoryOnly.overhead = trial.overhead;
    memoryError = trial.error;
  } else {
    std::tie(memoryOnly, memoryError) = search({0});
  }
  auto [withCompute, computeError] = search(rates);
  // Compute is seen when it explains the runs clearly better.
  if (computeError < memoryError * 0.99 - 1e-12) {
    withCompute.computeBoundSeen = true;
    return withCompute;
  }
  // Otherwise the runs say nothing about the vector rate beyond a lower
  // bound: the rate that keeps each of them memory-bound.
  double bound = 0;
  for (const StreamingPoint &p : points)
    bound = std::max(bound, p.flops * bandwidth * memoryOnly.efficiency /
                                p.bytes);
  memoryOnly.vectorFlops = std::max(fallbackVectorFlops, bound);
  memoryOnly.vectorFlopsRaised = bound > fallbackVectorFlops;
  return memoryOnly;
}

double median(std::vector<double> values) {
  if (values.empty())
    return 0;
  std::sort(values.begin(), values.end());
  size_t n = values.size();
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

} // namespace braid_calibrate
