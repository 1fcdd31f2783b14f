//===- validate.cpp - the cost model against published measurements -------===//
//
//   braid-validate-cost-model bench/profiles
//
// Predicts every published point in <profiles>/published-points.json that a
// profile covers and prints prediction, measurement and error, separating
// the points the profiles were fitted to from held-out points.
//
//===----------------------------------------------------------------------===//

#include "braid/Analysis/CostModel.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <array>
#include <cmath>
#include <map>

using namespace mlir;
using namespace mlir::braid;

namespace {

/// Which profile models a published machine, and on how many ranks.
struct MachineMap {
  StringRef machinePrefix;
  StringRef profile;
  int64_t ranks;
};

const MachineMap kMachines[] = {
    {"H100-SXM-80GB", "h100-sxm-x8", 1},
    {"H200-SXM-141GB", "h200-sxm-x8", 1},
    {"A100-SXM4-80GB", "a100-sxm-x8", 1},
    {"8xH100-SXM-NVLink4", "h100-sxm-x8", 8},
    {"8xH200-SXM-NVLink4", "h200-sxm-x8", 8},
    {"8xA100-SXM4-80GB-NVLink3", "a100-sxm-x8", 8},
    {"2xH100-NVSwitch", "h100-sxm-x8", 2},
    {"2x8-H20-NDR400", "h100-sxm-2x8-ib", 16},
};

/// Points a profile's constants were fitted to (see the profiles' sources):
/// predicting them checks the fit, not the model.
bool isFitted(StringRef machine, StringRef kind, StringRef dtype, int64_t m,
              int64_t n, int64_t k, int64_t bytes, StringRef algo) {
  if (kind == "gemm")
    return machine == "H100-SXM-80GB" && dtype == "bf16" && m == n &&
           n == k && (m == 1024 || m == 4096);
  if (machine == "8xH100-SXM-NVLink4")
    return bytes == 1024 || algo == "Ring";
  if (machine == "8xA100-SXM4-80GB-NVLink3")
    return bytes == 8589934592LL;
  return machine.starts_with("2x8-H20");
}

} // namespace

int main(int argc, char **argv) {
  if (argc != 2) {
    llvm::errs() << "usage: braid-validate-cost-model <profiles-dir>\n";
    return 2;
  }
  StringRef dir = argv[1];
  SmallString<256> pointsPath(dir);
  llvm::sys::path::append(pointsPath, "published-points.json");
  auto buffer = llvm::MemoryBuffer::getFile(pointsPath);
  if (!buffer) {
    llvm::errs() << pointsPath << ": cannot read\n";
    return 1;
  }
  llvm::Expected<llvm::json::Value> json =
      llvm::json::parse((*buffer)->getBuffer());
  if (!json || !json->getAsArray()) {
    llvm::errs() << pointsPath << ": not a JSON array\n";
    return 1;
  }

  MLIRContext context;
  Builder builder(&context);
  llvm::outs() << llvm::formatv("{0,-26} {1,-10} {2,-22} {3,12} {4,12} {5,8}  "
                                "{6}\n",
                                "machine", "kind", "shape / bytes",
                                "published", "predicted", "error", "use");
  struct Tally {
    double error = 0;
    int count = 0, within15 = 0;
  };
  // [kind][fitted]
  std::map<std::string, std::array<Tally, 2>> tallies;
  for (const llvm::json::Value &entry : *json->getAsArray()) {
    const llvm::json::Object *point = entry.getAsObject();
    StringRef machine = point->getString("machine").value_or("");
    StringRef kind = point->getString("kind").value_or("");
    StringRef unit = point->getString("unit").value_or("");
    StringRef dtype = point->getString("dtype").value_or("");
    StringRef algo = point->getString("algo").value_or("");
    std::optional<double> value = point->getNumber("value");
    const MachineMap *map = nullptr;
    for (const MachineMap &candidate : kMachines)
      if (machine.starts_with(candidate.machinePrefix))
        map = &candidate;
    // NVLS (NVLink SHARP) is not modelled: the model predicts ring.
    if (!map || !value || algo == "NVLS")
      continue;
    llvm::Expected<HardwareProfile> profile = HardwareProfile::load(
        (dir + "/" + map->profile + ".json").str());
    if (!profile) {
      llvm::errs() << llvm::toString(profile.takeError()) << "\n";
      return 1;
    }
    CostModel model(*profile);

    double predicted = 0;
    std::string shape;
    int64_t m = 0, n = 0, k = 0, bytes = 0;
    if (kind == "gemm" && unit == "TFLOP/s" &&
        (dtype == "bf16" || dtype == "fp16")) {
      const llvm::json::Object *dims = point->getObject("shape");
      if (!dims)
        continue;
      m = dims->getInteger("M").value_or(0);
      n = dims->getInteger("N").value_or(0);
      k = dims->getInteger("K").value_or(0);
      if (!m || !n || !k)
        continue;
      Type element = dtype == "bf16" ? Type(builder.getBF16Type())
                                     : Type(builder.getF16Type());
      int64_t gemmBytes = 2 * (m * k + k * n + m * n);
      OpTime time = model.gemmTime(m, n, k, 1, element, gemmBytes,
                                   profile->numSMs);
      predicted = 2.0 * m * n * k / time.seconds / 1e12;
      shape = llvm::formatv("{0}x{1}x{2} {3}", m, n, k, dtype).str();
    } else if (kind == "all_reduce") {
      std::optional<int64_t> size = point->getInteger("bytes");
      if (!size)
        continue;
      bytes = *size;
      const LinkProfile &link = map->ranks > profile->devicesPerNode
                                    ? profile->interNode
                                    : profile->intraNode;
      double seconds = model
                           .bestCollective(CollectiveKind::AllReduce, bytes,
                                           map->ranks, link)
                           .second;
      double p = map->ranks;
      if (unit == "us")
        predicted = seconds * 1e6;
      else if (unit == "GB/s busbw")
        predicted = bytes * 2 * (p - 1) / p / seconds / 1e9;
      else
        continue;
      shape = llvm::formatv("{0} B, {1} ranks", bytes, map->ranks).str();
    } else {
      continue;
    }
    double error = (predicted - *value) / *value;
    bool isFit = isFitted(machine, kind, dtype, m, n, k, bytes, algo);
    llvm::outs() << llvm::formatv(
        "{0,-26} {1,-10} {2,-22} {3,12:f2} {4,12:f2} {5,7:f1}%  {6}\n",
        machine.take_front(26), kind, shape, *value, predicted, error * 100,
        isFit ? "fitted" : "held out");
    Tally &tally = tallies[kind.str()][isFit];
    tally.error += std::fabs(error);
    ++tally.count;
    tally.within15 += std::fabs(error) <= 0.15;
  }
  for (const auto &[kind, pair] : tallies)
    for (int isFit : {1, 0}) {
      const Tally &tally = pair[isFit];
      if (tally.count)
        llvm::outs() << llvm::formatv(
            "{0} {1}: {2} points, mean |error| {3:f1}%, {4} within 15%\n",
            kind, isFit ? "fitted" : "held out", tally.count,
            100 * tally.error / tally.count, tally.within15);
    }
  return 0;
}
