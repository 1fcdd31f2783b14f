//===- HardwareProfile.cpp - machine numbers for the cost model -----------===//

#include "braid/Analysis/HardwareProfile.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <cstdlib>

using namespace mlir;
using namespace mlir::braid;

StringRef mlir::braid::stringifyCollectiveKind(CollectiveKind kind) {
  switch (kind) {
  case CollectiveKind::AllReduce:
    return "all_reduce";
  case CollectiveKind::AllGather:
    return "all_gather";
  case CollectiveKind::ReduceScatter:
    return "reduce_scatter";
  case CollectiveKind::AllToAll:
    return "all_to_all";
  case CollectiveKind::Permute:
    return "collective_permute";
  case CollectiveKind::Broadcast:
    return "broadcast";
  }
  llvm_unreachable("unknown collective kind");
}

std::optional<CollectiveKind> mlir::braid::parseCollectiveKind(StringRef name) {
  for (CollectiveKind kind :
       {CollectiveKind::AllReduce, CollectiveKind::AllGather,
        CollectiveKind::ReduceScatter, CollectiveKind::AllToAll,
        CollectiveKind::Permute, CollectiveKind::Broadcast})
    if (stringifyCollectiveKind(kind) == name)
      return kind;
  return std::nullopt;
}

const KernelFit *HardwareProfile::kernelFit(StringRef opName,
                                            Type elementType) const {
  if (measuredKernels.empty())
    return nullptr;
  std::string type;
  llvm::raw_string_ostream os(type);
  os << elementType;
  auto it = measuredKernels.find({opName.str(), type});
  return it == measuredKernels.end() ? nullptr : &it->second;
}

double HardwareProfile::peakFor(Type elementType) const {
  std::string key;
  llvm::raw_string_ostream os(key);
  os << elementType;
  auto it = peakFlops.find(key);
  if (it != peakFlops.end())
    return it->second;
  it = peakFlops.find("f32");
  return it != peakFlops.end() ? it->second : vectorFlops;
}

namespace {

/// Reads `{"value": number, "source": "..."}` entries; a number without a
/// source is rejected so every figure stays traceable.
class Reader {
public:
  Reader(StringRef path) : path(path) {}

  llvm::Error error(const Twine &what) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   path + ": " + what);
  }

  llvm::Expected<double> number(const llvm::json::Object &object,
                                StringRef key, StringRef where) {
    const llvm::json::Object *entry = object.getObject(key);
    if (!entry)
      return error("missing '" + where + "." + key +
                   "' (an object with \"value\" and \"source\")");
    std::optional<double> value = entry->getNumber("value");
    std::optional<StringRef> source = entry->getString("source");
    if (!value)
      return error("'" + where + "." + key + ".value' must be a number");
    if (!source || source->empty())
      return error("'" + where + "." + key + "' has no source");
    return *value;
  }

  llvm::Expected<const llvm::json::Object *>
  object(const llvm::json::Object &parent, StringRef key) {
    const llvm::json::Object *child = parent.getObject(key);
    if (!child)
      return error("missing object '" + key + "'");
    return child;
  }

private:
  std::string path;
};

/// `collectives`: {kind: {group size: {latency, bandwidth}}}.
llvm::Error readCollectiveFits(Reader &reader,
                               const llvm::json::Object &collectives,
                               StringRef linkKey, LinkProfile &link) {
  for (const auto &[kindName, byGroup] : collectives) {
    std::string where = (linkKey + ".collectives." + StringRef(kindName)).str();
    std::optional<CollectiveKind> kind = parseCollectiveKind(kindName);
    if (!kind)
      return reader.error("'" + where +
                          "' is not a collective (use all_reduce, "
                          "all_gather, reduce_scatter, all_to_all, "
                          "collective_permute, broadcast)");
    const llvm::json::Object *groups = byGroup.getAsObject();
    if (!groups)
      return reader.error("'" + where +
                          "' must map group sizes to measured fits");
    for (const auto &[groupText, fitValue] : *groups) {
      std::string at = where + "." + std::string(StringRef(groupText));
      int64_t groupSize = 0;
      if (StringRef(groupText).getAsInteger(10, groupSize) || groupSize < 2)
        return reader.error("'" + at +
                            "': group sizes are integers of at least 2");
      const llvm::json::Object *fit = fitValue.getAsObject();
      if (!fit)
        return reader.error("'" + at +
                            "' must be an object with latency and bandwidth");
      auto latency = reader.number(*fit, "latency", at);
      if (!latency)
        return latency.takeError();
      auto bandwidth = reader.number(*fit, "bandwidth", at);
      if (!bandwidth)
        return bandwidth.takeError();
      if (!(*latency >= 0) || !(*bandwidth > 0) || !std::isfinite(*latency) ||
          !std::isfinite(*bandwidth))
        return reader.error("'" + at +
                            "': latency must be >= 0 and bandwidth > 0");
      link.measured[{*kind, groupSize}] = {*latency, *bandwidth};
    }
  }
  return llvm::Error::success();
}

/// `compute.kernels`: {op name: {element type: {latency, bandwidth,
/// flop_rate}}}, at least one rate per fit.
llvm::Error readKernelFits(Reader &reader, const llvm::json::Object &kernels,
                           HardwareProfile &profile) {
  for (const auto &[opName, byType] : kernels) {
    std::string where = ("compute.kernels." + StringRef(opName)).str();
    if (!StringRef(opName).contains('.'))
      return reader.error("'" + where +
                          "': kernels are named by their op, e.g. "
                          "braid.rmsnorm");
    const llvm::json::Object *types = byType.getAsObject();
    if (!types)
      return reader.error("'" + where +
                          "' must map element types to measured fits");
    for (const auto &[typeName, fitValue] : *types) {
      std::string at = where + "." + std::string(StringRef(typeName));
      const llvm::json::Object *fit = fitValue.getAsObject();
      if (!fit)
        return reader.error("'" + at + "' must be an object with latency "
                                       "and bandwidth or flop_rate");
      KernelFit kernel;
      auto latency = reader.number(*fit, "latency", at);
      if (!latency)
        return latency.takeError();
      kernel.latency = *latency;
      for (auto [key, target] :
           {std::pair<StringRef, double *>{"bandwidth", &kernel.bandwidth},
            {"flop_rate", &kernel.flopRate}}) {
        if (!fit->getObject(key))
          continue;
        auto rate = reader.number(*fit, key, at);
        if (!rate)
          return rate.takeError();
        if (!(*rate > 0) || !std::isfinite(*rate))
          return reader.error("'" + at + "." + key + "' must be > 0");
        *target = *rate;
      }
      if (!(kernel.latency >= 0) || !std::isfinite(kernel.latency))
        return reader.error("'" + at + ".latency' must be >= 0");
      if (kernel.bandwidth == 0 && kernel.flopRate == 0)
        return reader.error("'" + at + "' needs a bandwidth or a flop_rate");
      profile.measuredKernels[{std::string(StringRef(opName)),
                               std::string(StringRef(typeName))}] = kernel;
    }
  }
  return llvm::Error::success();
}

llvm::Error readLink(Reader &reader, const llvm::json::Object &links,
                     StringRef key, LinkProfile &link) {
  auto object = reader.object(links, key);
  if (!object)
    return object.takeError();
  auto bandwidth = reader.number(**object, "bus_bandwidth", key);
  if (!bandwidth)
    return bandwidth.takeError();
  auto latency = reader.number(**object, "step_latency", key);
  if (!latency)
    return latency.takeError();
  link.busBandwidth = *bandwidth;
  link.stepLatency = *latency;
  if (const llvm::json::Array *algorithms = (*object)->getArray("algorithms")) {
    link.algorithms.clear();
    for (const llvm::json::Value &entry : *algorithms) {
      std::optional<StringRef> name = entry.getAsString();
      std::optional<CollectiveAlgorithm> algorithm;
      if (name == "ring")
        algorithm = CollectiveAlgorithm::Ring;
      else if (name == "tree")
        algorithm = CollectiveAlgorithm::Tree;
      else if (name == "star")
        algorithm = CollectiveAlgorithm::Star;
      if (!algorithm)
        return reader.error("'" + key +
                            ".algorithms' lists an unknown algorithm (use "
                            "ring, tree, star)");
      link.algorithms.push_back(*algorithm);
    }
  }
  if (const llvm::json::Object *collectives =
          (*object)->getObject("collectives"))
    return readCollectiveFits(reader, *collectives, key, link);
  return llvm::Error::success();
}

} // namespace

llvm::Expected<llvm::json::Object>
HardwareProfile::readFile(StringRef path) {
  auto buffer = llvm::MemoryBuffer::getFile(path);
  if (!buffer)
    return llvm::createStringError(buffer.getError(),
                                   path + ": cannot read profile");
  llvm::Expected<llvm::json::Value> json =
      llvm::json::parse((*buffer)->getBuffer());
  if (!json)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   path + ": " +
                                       llvm::toString(json.takeError()));
  llvm::json::Object *root = json->getAsObject();
  if (!root)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   path + ": the profile must be a JSON object");
  return std::move(*root);
}

llvm::Expected<HardwareProfile> HardwareProfile::load(StringRef path) {
  llvm::Expected<llvm::json::Object> root = readFile(path);
  if (!root)
    return root.takeError();
  return fromJSON(*root, path);
}

llvm::Expected<HardwareProfile>
HardwareProfile::fromJSON(const llvm::json::Object &rootObject,
                          StringRef origin) {
  Reader reader(origin);
  const llvm::json::Object *root = &rootObject;
  HardwareProfile profile;
  if (std::optional<StringRef> name = root->getString("name"))
    profile.name = name->str();
  else
    return reader.error("missing 'name'");
  if (std::optional<StringRef> description = root->getString("description"))
    profile.description = description->str();
  if (std::optional<int64_t> perNode = root->getInteger("devices_per_node"))
    profile.devicesPerNode = *perNode;
  else
    return reader.error("missing integer 'devices_per_node'");

  auto compute = reader.object(*root, "compute");
  if (!compute)
    return compute.takeError();
  auto peaks = reader.object(**compute, "peak_flops");
  if (!peaks)
    return peaks.takeError();
  for (StringRef key : {"f64", "f32", "f16", "bf16"}) {
    if (!(*peaks)->getObject(key))
      continue;
    auto value = reader.number(**peaks, key, "compute.peak_flops");
    if (!value)
      return value.takeError();
    profile.peakFlops[key.str()] = *value;
  }
  if (profile.peakFlops.empty())
    return reader.error("'compute.peak_flops' lists no element type");

  struct Field {
    StringRef key;
    double *target;
  };
  double numSMs = 0, tileM = 0, tileN = 0;
  for (Field field : {Field{"vector_flops", &profile.vectorFlops},
                      Field{"memory_bandwidth", &profile.memoryBandwidth},
                      Field{"num_sms", &numSMs},
                      Field{"gemm_tile_m", &tileM},
                      Field{"gemm_tile_n", &tileN},
                      Field{"gemm_efficiency", &profile.gemmEfficiency},
                      Field{"gemm_overhead", &profile.gemmOverhead},
                      Field{"memory_efficiency", &profile.memoryEfficiency},
                      Field{"kernel_overhead", &profile.kernelOverhead}}) {
    auto value = reader.number(**compute, field.key, "compute");
    if (!value)
      return value.takeError();
    *field.target = *value;
  }
  profile.numSMs = static_cast<int64_t>(numSMs);
  profile.gemmTileM = static_cast<int64_t>(tileM);
  profile.gemmTileN = static_cast<int64_t>(tileN);
  if (profile.numSMs <= 0 || profile.gemmTileM <= 0 || profile.gemmTileN <= 0 ||
      profile.memoryBandwidth <= 0 || profile.gemmEfficiency <= 0 ||
      profile.memoryEfficiency <= 0)
    return reader.error("compute figures must be positive");

  if (const llvm::json::Object *kernels = (*compute)->getObject("kernels"))
    if (llvm::Error error = readKernelFits(reader, *kernels, profile))
      return std::move(error);

  auto links = reader.object(*root, "links");
  if (!links)
    return links.takeError();
  if (llvm::Error error = readLink(reader, **links, "intra_node",
                                   profile.intraNode))
    return std::move(error);
  if (llvm::Error error = readLink(reader, **links, "inter_node",
                                   profile.interNode))
    return std::move(error);
  auto launch = reader.number(**links, "collective_launch", "links");
  if (!launch)
    return launch.takeError();
  profile.collectiveLaunch = *launch;
  auto commSMs = reader.number(**links, "comm_sms", "links");
  if (!commSMs)
    return commSMs.takeError();
  profile.commSMs = static_cast<int64_t>(*commSMs);
  if ((*links)->getObject("trigger_latency")) {
    auto latency = reader.number(**links, "trigger_latency", "links");
    if (!latency)
      return latency.takeError();
    if (!(*latency >= 0))
      return reader.error("'links.trigger_latency' must be >= 0");
    profile.triggerLatency = *latency;
  }
  if (profile.intraNode.busBandwidth <= 0 || profile.interNode.busBandwidth <= 0)
    return reader.error("link bandwidths must be positive");

  if (const llvm::json::Object *policies = root->getObject("policies")) {
    for (Field field : {Field{"min_gain", &profile.minGain},
                        Field{"stream_switch_cost", &profile.streamSwitchCost}}) {
      if (!policies->getObject(field.key))
        continue;
      auto value = reader.number(*policies, field.key, "policies");
      if (!value)
        return value.takeError();
      *field.target = *value;
    }
    if (!(profile.minGain >= 0 && profile.minGain < 1))
      return reader.error("'policies.min_gain' must be in [0, 1)");
    if (policies->getObject("stream_switch_cost") &&
        !(profile.streamSwitchCost >= 0))
      return reader.error("'policies.stream_switch_cost' must be >= 0");
  }
  return profile;
}

SmallVector<std::string> HardwareProfile::searchPath() {
  SmallVector<std::string> directories;
  if (const char *env = std::getenv("BRAID_PROFILE_PATH")) {
    SmallVector<StringRef> parts;
    StringRef(env).split(parts, ':', /*MaxSplit=*/-1, /*KeepEmpty=*/false);
    for (StringRef part : parts)
      directories.push_back(part.str());
  }
  // Installed tools and the build tree keep profiles in
  // <prefix>/share/braid/profiles beside <prefix>/bin.
  static int anchor;
  std::string executable =
      llvm::sys::fs::getMainExecutable(nullptr, (void *)&anchor);
  if (!executable.empty()) {
    SmallString<256> shared(llvm::sys::path::parent_path(
        llvm::sys::path::parent_path(executable)));
    llvm::sys::path::append(shared, "share", "braid", "profiles");
    directories.push_back(std::string(shared));
  }
  directories.push_back(BRAID_SOURCE_PROFILE_DIR);
  return directories;
}

llvm::Expected<std::string> HardwareProfile::locate(StringRef nameOrPath) {
  if (nameOrPath.ends_with(".json") || llvm::sys::fs::exists(nameOrPath))
    return nameOrPath.str();
  SmallVector<std::string> directories = searchPath();
  for (const std::string &directory : directories) {
    SmallString<256> path(directory);
    llvm::sys::path::append(path, nameOrPath + ".json");
    if (llvm::sys::fs::exists(path))
      return std::string(path);
  }
  std::string where;
  for (const std::string &directory : directories)
    where += (where.empty() ? "" : ", ") + directory;
  return llvm::createStringError(
      llvm::inconvertibleErrorCode(),
      "no hardware profile named '" + nameOrPath + "' in " + where +
          " (use a name from there or a path to a .json file)");
}
