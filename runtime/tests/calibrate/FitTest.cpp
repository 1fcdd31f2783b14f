//===- FitTest.cpp - braid-calibrate's fits and its JSON ------------------===//

#include "Fit.h"
#include "Json.h"

#include "gtest/gtest.h"

#include <cmath>

using namespace braid_calibrate;
namespace json = braid_rt::json;

namespace {

TEST(FitTest, LeastSquaresRecoversAnExactLine) {
  // seconds = 5 us + bytes / 2 GB/s.
  std::vector<double> sizes = {1e3, 1e4, 1e5, 1e6}, times;
  for (double size : sizes)
    times.push_back(5e-6 + size / 2e9);
  std::optional<Line> line = fitLine(sizes, times, 1e-16);
  ASSERT_TRUE(line);
  EXPECT_NEAR(line->intercept, 5e-6, 1e-12);
  EXPECT_NEAR(1 / line->slope, 2e9, 1e3);
}

TEST(FitTest, RelativeErrorsWeighSmallPointsAsMuchAsLargeOnes) {
  // One point 10% high at each end: absolute least squares would let the
  // 1 s point set the line; relative weights split the error.
  std::vector<double> sizes = {1, 1e6}, times = {1.1e-6, 1.1};
  std::optional<Line> line = fitLine(sizes, times, 1e-16);
  ASSERT_TRUE(line);
  EXPECT_NEAR(line->intercept + line->slope * 1, 1.1e-6, 1e-9);
  EXPECT_NEAR(line->intercept + line->slope * 1e6, 1.1, 1e-6);
}

TEST(FitTest, NegativeInterceptRefitsThroughTheOrigin) {
  std::vector<double> sizes = {1e3, 2e3, 4e3}, times = {0.5e-6, 1.9e-6,
                                                          4.1e-6};
  std::optional<Line> line = fitLine(sizes, times, 1e-16);
  ASSERT_TRUE(line);
  EXPECT_EQ(line->intercept, 0);
  EXPECT_GT(line->slope, 0);
}

TEST(FitTest, FlatCurveKeepsTheMinimumSlope) {
  std::vector<double> sizes = {1e3, 1e4}, times = {10e-6, 9e-6};
  std::optional<Line> line = fitLine(sizes, times, 1e-13);
  ASSERT_TRUE(line);
  EXPECT_EQ(line->slope, 1e-13);
}

TEST(FitTest, OneSizeCannotBeFitted) {
  EXPECT_FALSE(fitLine({4096, 4096}, {1e-5, 1.1e-5}, 1e-16));
  EXPECT_FALSE(fitLine({}, {}, 1e-16));
  // Dependent columns: no solution rather than a wild one.
  EXPECT_FALSE(relativeLeastSquares({{1, 2}, {2, 4}}, {1, 2}));
}

TEST(FitTest, StreamingFitRecoversMemoryAndComputeBoundKernels) {
  // bandwidth 10 GB/s at efficiency 0.5, 1 GFLOP/s, 2 us overhead; the
  // last two points are compute-bound.
  double bandwidth = 10e9;
  std::vector<StreamingPoint> points;
  for (auto [bytes, flops] : {std::pair<double, double>{1e5, 1e3},
                              {1e6, 1e4},
                              {1e7, 1e5},
                              {1e5, 1e6},
                              {1e6, 1e7}}) {
    double t = std::max(bytes / (bandwidth * 0.5), flops / 1e9) + 2e-6;
    points.push_back({bytes, flops, t});
  }
  std::optional<StreamingFit> fit = fitStreaming(points, bandwidth, 1e12);
  ASSERT_TRUE(fit);
  EXPECT_NEAR(fit->efficiency, 0.5, 0.01);
  EXPECT_NEAR(fit->vectorFlops / 1e9, 1, 0.02);
  EXPECT_NEAR(fit->overhead, 2e-6, 0.1e-6);
  EXPECT_TRUE(fit->computeBoundSeen);
}

TEST(FitTest, MemoryBoundKernelsOnlyBoundTheVectorRate) {
  // FLOPs proportional to bytes (an element-wise loop): the compute term
  // could stand in for the memory term, so nothing is learnt about it but
  // a lower bound, flops / rate <= bytes / (bandwidth x efficiency):
  // 1/10 x 10e9 x 0.8 = 8e8 flop/s.
  double bandwidth = 10e9;
  std::vector<StreamingPoint> points;
  for (double bytes : {1e5, 1e6, 1e7})
    points.push_back({bytes, bytes / 10, bytes / (bandwidth * 0.8) + 1e-6});
  std::optional<StreamingFit> fit = fitStreaming(points, bandwidth, 5e9);
  ASSERT_TRUE(fit);
  EXPECT_NEAR(fit->efficiency, 0.8, 0.01);
  EXPECT_NEAR(fit->overhead, 1e-6, 0.05e-6);
  EXPECT_FALSE(fit->computeBoundSeen);
  // Above the bound the fallback stays; below it, it is raised.
  EXPECT_EQ(fit->vectorFlops, 5e9);
  EXPECT_FALSE(fit->vectorFlopsRaised);
  fit = fitStreaming(points, bandwidth, 1e8);
  ASSERT_TRUE(fit);
  EXPECT_NEAR(fit->vectorFlops / 8e8, 1, 0.02);
  EXPECT_TRUE(fit->vectorFlopsRaised);
}

TEST(FitTest, LoopsFromCacheMayBeatTheMemoryBandwidth) {
  // Element-wise loops at twice memcpy's rate out of memory.
  double bandwidth = 10e9;
  std::vector<StreamingPoint> points;
  for (double bytes : {1e4, 1e5, 1e6})
    points.push_back({bytes, bytes / 12, bytes / (bandwidth * 2) + 0.5e-6});
  std::optional<StreamingFit> fit = fitStreaming(points, bandwidth, 1e10);
  ASSERT_TRUE(fit);
  EXPECT_NEAR(fit->efficiency, 2, 0.02);
  EXPECT_NEAR(fit->overhead, 0.5e-6, 0.02e-6);
}

TEST(JsonTest, RoundTripKeepsOrderTypesAndEscapes) {
  std::string text = R"({"name": "cpu", "n": 2, "x": 1.5e-06,
    "list": [true, false, null, "a\"b\\c"],
    "source": "SOURCES.md \u00a76 \ud83d\ude00", "empty": {}})";
  json::Value value;
  std::string error;
  ASSERT_TRUE(json::parse(text, value, error)) << error;
  ASSERT_TRUE(value.isObject());
  EXPECT_EQ(value.members()[0].first, "name");
  EXPECT_EQ(value.members()[1].first, "n");
  EXPECT_EQ(value.find("n")->number(), 2);
  EXPECT_EQ(value.find("x")->number(), 1.5e-06);
  EXPECT_EQ(value.find("list")->items()[3].string(), "a\"b\\c");
  EXPECT_EQ(value.find("source")->string(),
            "SOURCES.md \xc2\xa7"
            "6 \xf0\x9f\x98\x80");
  std::string written = json::write(value);
  EXPECT_NE(written.find("\"n\": 2,"), std::string::npos) << written;
  EXPECT_NE(written.find("1.5e-06"), std::string::npos) << written;
  EXPECT_NE(written.find("\\u00a76 \\ud83d\\ude00"), std::string::npos)
      << written;
  json::Value again;
  ASSERT_TRUE(json::parse(written, again, error)) << error;
  EXPECT_EQ(json::write(again), written);
}

TEST(JsonTest, NumbersReadBackExactly) {
  for (double number : {0.1, 1.0 / 3, 850507795076.0559, 1e-300, -2.5}) {
    json::Value value = json::Value::object();
    value["v"] = number;
    json::Value back;
    std::string error;
    ASSERT_TRUE(json::parse(json::write(value), back, error)) << error;
    EXPECT_EQ(back.find("v")->number(), number);
  }
}

TEST(JsonTest, ErrorsSayWhere) {
  json::Value value;
  std::string error;
  EXPECT_FALSE(json::parse("{\"a\": 1,\n \"b\": }", value, error));
  EXPECT_EQ(error, "line 2, column 7: unexpected '}'");
  EXPECT_FALSE(json::parse("{\"a\": 1, \"a\": 2}", value, error));
  EXPECT_NE(error.find("duplicate key 'a'"), std::string::npos);
  EXPECT_FALSE(json::parse("[1, 2] x", value, error));
  EXPECT_NE(error.find("unexpected text after the value"), std::string::npos);
  EXPECT_FALSE(json::parse("\"abc", value, error));
  EXPECT_NE(error.find("unterminated string"), std::string::npos);
}

} // namespace
