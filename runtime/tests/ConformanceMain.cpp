//===- ConformanceMain.cpp - engines, listeners, shared helpers -----------===//

#include "Conformance.h"

#include "braid_rt/Watchdog.h"

#ifdef BRAID_RT_HAVE_MPI
#include <mpi.h>
#endif
#ifdef BRAID_RT_HAVE_CUDA
#include <cuda_runtime.h>
#endif

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <sstream>

namespace braid_rt::test {

namespace {

std::map<std::string, std::unique_ptr<Context>> &contexts() {
  static std::map<std::string, std::unique_ptr<Context>> all;
  return all;
}

int worldRankForOutput = 0;

/// Ranks other than 0 print failures only, prefixed with their rank, so a
/// failing rank is heard without 8 copies of every line.
class FailuresOnly : public ::testing::EmptyTestEventListener {
  void OnTestStart(const ::testing::TestInfo &info) override {
    test_ = std::string(info.test_suite_name()) + "." + info.name();
  }
  // Runs with gtest's lock held: no calls back into UnitTest here.
  void OnTestPartResult(const ::testing::TestPartResult &result) override {
    if (!result.failed())
      return;
    std::fprintf(stderr, "[rank %d] %s:%d: failure in %s\n%s\n",
                 worldRankForOutput,
                 result.file_name() ? result.file_name() : "?",
                 result.line_number(), test_.c_str(), result.summary());
  }
  std::string test_;
};

double roundToFormat(double value, int precision, int minExponent,
                     double maxFinite) {
  if (std::isnan(value) || std::isinf(value) || value == 0)
    return value;
  int exponent;
  std::frexp(value, &exponent);
  int quantumExponent = std::max(exponent, minExponent + 1) - precision;
  double result =
      std::ldexp(std::nearbyint(std::ldexp(value, -quantumExponent)),
                 quantumExponent);
  if (std::fabs(result) > maxFinite)
    return std::copysign(INFINITY, value);
  return result;
}

double roundTo(DType dtype, double value) {
  switch (dtype) {
  case DType::F64:
    return value;
  case DType::F32:
    return static_cast<float>(value);
  case DType::F16:
    return roundToFormat(value, 11, -14, 65504.0);
  case DType::BF16:
    return roundToFormat(value, 8, -126, std::ldexp(255.0, 120));
  default:
    return value;
  }
}

bool isFloat(DType dtype) {
  return dtype == DType::F64 || dtype == DType::F32 || dtype == DType::F16 ||
         dtype == DType::BF16;
}

double loadFloat(DType dtype, const char *at) {
  switch (dtype) {
  case DType::F64: {
    double value;
    std::memcpy(&value, at, 8);
    return value;
  }
  case DType::F32: {
    float value;
    std::memcpy(&value, at, 4);
    return value;
  }
  case DType::F16: {
    uint16_t bits;
    std::memcpy(&bits, at, 2);
    return halfToFloat(bits);
  }
  case DType::BF16: {
    uint16_t bits;
    std::memcpy(&bits, at, 2);
    return bf16ToFloat(bits);
  }
  default:
    return 0;
  }
}

/// `value` must already be representable in `dtype`.
void storeFloat(DType dtype, char *at, double value) {
  switch (dtype) {
  case DType::F64:
    std::memcpy(at, &value, 8);
    return;
  case DType::F32: {
    float narrow = static_cast<float>(value);
    std::memcpy(at, &narrow, 4);
    return;
  }
  case DType::F16: {
    uint16_t bits = floatToHalf(static_cast<float>(value));
    std::memcpy(at, &bits, 2);
    return;
  }
  case DType::BF16: {
    uint16_t bits = floatToBf16(static_cast<float>(value));
    std::memcpy(at, &bits, 2);
    return;
  }
  default:
    return;
  }
}

int64_t loadInt(DType dtype, const char *at) {
  switch (dtype) {
  case DType::I64: {
    int64_t value;
    std::memcpy(&value, at, 8);
    return value;
  }
  case DType::I32: {
    int32_t value;
    std::memcpy(&value, at, 4);
    return value;
  }
  default:
    return static_cast<int8_t>(*at);
  }
}

void storeInt(DType dtype, char *at, uint64_t value) {
  switch (dtype) {
  case DType::I64:
    std::memcpy(at, &value, 8);
    return;
  case DType::I32: {
    uint32_t narrow = static_cast<uint32_t>(value);
    std::memcpy(at, &narrow, 4);
    return;
  }
  default:
    *at = static_cast<char>(static_cast<uint8_t>(value));
  }
}

} // namespace

std::vector<std::string> engineNames() {
  std::vector<std::string> names;
  for (auto &[name, context] : contexts())
    names.push_back(name);
  return names;
}

Context &contextFor(const std::string &engine) {
  return *contexts().at(engine);
}

std::vector<DType> allDTypes() {
  return {DType::F64, DType::F32, DType::F16, DType::BF16,
          DType::I64, DType::I32, DType::I8};
}

std::vector<ReduceOp> allReduceOps() {
  return {ReduceOp::Sum, ReduceOp::Max, ReduceOp::Min, ReduceOp::Prod};
}

std::vector<char> makeInput(DType dtype, uint64_t seed, int worldRank,
                            size_t count) {
  std::mt19937_64 generator(seed * 1000003u + static_cast<uint64_t>(worldRank));
  size_t element = dtypeSize(dtype);
  std::vector<char> bytes(count * element);
  std::uniform_real_distribution<double> unit(-1.0, 1.0);
  std::uniform_int_distribution<int> scale(-8, 8);
  std::uniform_int_distribution<int> small(-100, 100);
  for (size_t i = 0; i < count; ++i) {
    if (isFloat(dtype))
      storeFloat(dtype, &bytes[i * element],
                 roundTo(dtype, std::ldexp(unit(generator), scale(generator))));
    else
      storeInt(dtype, &bytes[i * element],
               static_cast<uint64_t>(static_cast<int64_t>(small(generator))));
  }
  return bytes;
}

std::vector<char> referenceReduce(const std::vector<std::vector<char>> &inputs,
                                  DType dtype, ReduceOp op, size_t count) {
  size_t element = dtypeSize(dtype);
  std::vector<char> result(count * element);
  for (size_t i = 0; i < count; ++i) {
    if (isFloat(dtype)) {
      double acc = loadFloat(dtype, &inputs[0][i * element]);
      for (size_t m = 1; m < inputs.size(); ++m) {
        double next = loadFloat(dtype, &inputs[m][i * element]);
        double exact = 0;
        switch (op) {
        case ReduceOp::Sum:
          exact = acc + next;
          break;
        case ReduceOp::Prod:
          exact = acc * next;
          break;
        case ReduceOp::Max:
          exact = std::isnan(acc) || std::isnan(next) ? NAN
                  : acc < next                        ? next
                                                      : acc;
          break;
        case ReduceOp::Min:
          exact = std::isnan(acc) || std::isnan(next) ? NAN
                  : next < acc                        ? next
                                                      : acc;
          break;
        }
        // Rounding the double result once more is exact rounding: double
        // has more than twice the bits of f32 and narrower, plus two.
        acc = roundTo(dtype, exact);
      }
      storeFloat(dtype, &result[i * element], acc);
    } else {
      // Every step wraps to the type: store the 64-bit result narrow and
      // load it back.
      int64_t acc = loadInt(dtype, &inputs[0][i * element]);
      for (size_t m = 1; m < inputs.size(); ++m) {
        int64_t next = loadInt(dtype, &inputs[m][i * element]);
        uint64_t wide = 0;
        switch (op) {
        case ReduceOp::Sum:
          wide = static_cast<uint64_t>(acc) + static_cast<uint64_t>(next);
          break;
        case ReduceOp::Prod:
          wide = static_cast<uint64_t>(acc) * static_cast<uint64_t>(next);
          break;
        case ReduceOp::Max:
          wide = static_cast<uint64_t>(acc < next ? next : acc);
          break;
        case ReduceOp::Min:
          wide = static_cast<uint64_t>(next < acc ? next : acc);
          break;
        }
        char narrow[8];
        storeInt(dtype, narrow, wide);
        acc = loadInt(dtype, narrow);
      }
      storeInt(dtype, &result[i * element], static_cast<uint64_t>(acc));
    }
  }
  return result;
}

DeviceBuffer::DeviceBuffer(Device &device, size_t bytes)
    : device_(device), bytes_(bytes) {
  auto allocated = device.allocate(bytes, 256, MemoryKind::Device);
  if (!allocated.isOk()) {
    ADD_FAILURE() << allocated.status().toString();
    return;
  }
  data_ = allocated.value();
}

DeviceBuffer::DeviceBuffer(Device &device, const std::vector<char> &contents)
    : DeviceBuffer(device, contents.size()) {
  write(contents);
}

DeviceBuffer::~DeviceBuffer() {
  if (data_)
    device_.deallocate(data_, MemoryKind::Device);
}

std::vector<char> DeviceBuffer::read() const {
  std::vector<char> contents(bytes_);
  Status status = device_.copyToHost(contents.data(), data_, bytes_);
  EXPECT_TRUE(status.isOk()) << status.toString();
  return contents;
}

void DeviceBuffer::write(const std::vector<char> &contents) {
  Status status =
      device_.copyToDevice(data_, contents.data(), std::min(bytes_, contents.size()));
  EXPECT_TRUE(status.isOk()) << status.toString();
}

std::string firstDifference(const std::vector<char> &actual,
                            const std::vector<char> &expected, DType dtype) {
  if (actual.size() != expected.size())
    return "sizes differ: " + std::to_string(actual.size()) + " != " +
           std::to_string(expected.size());
  size_t element = dtypeSize(dtype);
  for (size_t i = 0; i < actual.size(); i += element) {
    if (std::memcmp(&actual[i], &expected[i], element) == 0)
      continue;
    std::ostringstream text;
    text << "element " << i / element << ": got 0x";
    for (size_t b = element; b-- > 0;)
      text << std::hex << ((static_cast<unsigned>(actual[i + b]) >> 4) & 15)
           << (static_cast<unsigned>(actual[i + b]) & 15);
    text << ", want 0x";
    for (size_t b = element; b-- > 0;)
      text << std::hex << ((static_cast<unsigned>(expected[i + b]) >> 4) & 15)
           << (static_cast<unsigned>(expected[i + b]) & 15);
    return text.str();
  }
  return "";
}

std::vector<GroupSpec> groupSpecs(int worldSize) {
  // The most square 2-D grid with a <= b.
  int a = 1;
  for (int d = 1; d * d <= worldSize; ++d)
    if (worldSize % d == 0)
      a = d;
  int b = worldSize / a;
  std::vector<int64_t> shape = {a, b};
  std::vector<int> reversed;
  for (int rank = worldSize; rank-- > 0;)
    reversed.push_back(rank);
  std::string grid = std::to_string(a) + "x" + std::to_string(b);
  return {
      {"world", {worldSize}, {}, {0}, true},
      {"grid" + grid + "_axis0", shape, {}, {0}},
      {"grid" + grid + "_axis1", shape, {}, {1}},
      {"grid" + grid + "_axes10", shape, {}, {1, 0}},
      {"grid" + grid + "_reversed_axis1", shape, reversed, {1}},
  };
}

std::vector<int> expectedMembers(const GroupSpec &spec, int worldRank,
                                 int worldSize) {
  auto rankAt = [&](int position) {
    return spec.order.empty() ? position : spec.order[position];
  };
  auto coordinates = [&](int position) {
    std::vector<int64_t> at(spec.shape.size());
    for (size_t axis = spec.shape.size(); axis-- > 0;) {
      at[axis] = position % spec.shape[axis];
      position /= static_cast<int>(spec.shape[axis]);
    }
    return at;
  };
  int myPosition = 0;
  for (int position = 0; position < worldSize; ++position)
    if (rankAt(position) == worldRank)
      myPosition = position;
  std::vector<int64_t> mine = coordinates(myPosition);
  std::vector<std::pair<int64_t, int>> members; // (key, world rank)
  for (int position = 0; position < worldSize; ++position) {
    std::vector<int64_t> at = coordinates(position);
    bool same = true;
    for (size_t axis = 0; axis < spec.shape.size(); ++axis) {
      bool listed = false;
      for (int a : spec.axes)
        listed |= a == static_cast<int>(axis);
      if (!listed && at[axis] != mine[axis])
        same = false;
    }
    if (!same)
      continue;
    int64_t key = 0;
    for (int a : spec.axes)
      key = key * spec.shape[a] + at[a];
    members.push_back({key, rankAt(position)});
  }
  std::sort(members.begin(), members.end());
  std::vector<int> ranks;
  for (auto &member : members)
    ranks.push_back(member.second);
  return ranks;
}

} // namespace braid_rt::test

using namespace braid_rt;

int main(int argc, char **argv) {
  auto &engines = test::contexts();
#ifdef BRAID_RT_HAVE_MPI
  auto mpi = initMpiContext(&argc, &argv);
  if (!mpi.isOk()) {
    std::fprintf(stderr, "braid_rt_conformance: %s\n",
                 mpi.status().toString().c_str());
    return 1;
  }
  test::worldRankForOutput = mpi.value()->rank();
  engines["mpi"] = std::move(mpi.value());
#endif
#ifdef BRAID_RT_HAVE_CUDA
  int gpus = 0;
  if (cudaGetDeviceCount(&gpus) == cudaSuccess && gpus > 0) {
    int worldSize = engines.count("mpi") ? engines["mpi"]->size() : 1;
    int worldRank = engines.count("mpi") ? engines["mpi"]->rank() : 0;
    // NCCL needs a GPU of its own per rank.
    if (worldSize <= gpus) {
      auto nccl = initNcclContext(&argc, &argv, worldRank % gpus);
      if (!nccl.isOk()) {
        std::fprintf(stderr, "braid_rt_conformance: %s\n",
                     nccl.status().toString().c_str());
        return 1;
      }
      engines["nccl"] = std::move(nccl.value());
    } else if (worldRank == 0) {
      std::printf("braid_rt_conformance: %d ranks share %d GPUs; NCCL not "
                  "tested at this rank count\n",
                  worldSize, gpus);
    }
  }
#endif
  ::testing::InitGoogleTest(&argc, argv);
  if (test::worldRankForOutput != 0) {
    auto &listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
    listeners.Append(new test::FailuresOnly);
  }
  int result = RUN_ALL_TESTS();
#ifdef BRAID_RT_HAVE_MPI
  // Every rank's verdict decides the exit code of every rank.
  if (engines.count("mpi")) {
    int worst = 0;
    MPI_Allreduce(&result, &worst, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    result = worst;
  }
#endif
  // Contexts before MPI_Finalize: the MPI context finalizes last.
  engines.erase("nccl");
  engines.clear();
  return result;
}
