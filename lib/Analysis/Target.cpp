//===- Target.cpp - the module's #braid.target, resolved ------------------===//

#include "braid/Analysis/Target.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/StringSet.h"

using namespace mlir;
using namespace mlir::braid;

TargetAttr mlir::braid::getTarget(Operation *op) {
  for (Operation *current = op; current; current = current->getParentOp())
    if (auto target = current->getAttrOfType<TargetAttr>(
            BraidDialect::kTargetAttrName))
      return target;
  return nullptr;
}

namespace {

constexpr llvm::StringLiteral kInlineSource = "inline in #braid.target";

/// The keys a profile has at each level: inline parameters are checked
/// against them so a misspelt override is an error, not silently ignored.
const llvm::StringSet<> &knownKeys(StringRef level) {
  static const llvm::StringMap<llvm::StringSet<>> keys = [] {
    llvm::StringMap<llvm::StringSet<>> result;
    result["root"] = {"description", "devices_per_node", "compute", "links",
                      "policies"};
    result["compute"] = {"peak_flops",      "vector_flops",
                         "memory_bandwidth", "memory_efficiency",
                         "num_sms",          "gemm_tile_m",
                         "gemm_tile_n",      "gemm_efficiency",
                         "gemm_overhead",    "kernel_overhead",
                         "kernels"};
    result["peak_flops"] = {"f64", "f32", "f16", "bf16"};
    result["links"] = {"intra_node", "inter_node", "collective_launch",
                       "comm_sms", "trigger_latency"};
    result["intra_node"] = {"bus_bandwidth", "step_latency", "algorithms",
                            "collectives"};
    result["inter_node"] = result["intra_node"];
    result["policies"] = {"min_gain", "stream_switch_cost"};
    result["collective_fit"] = {"latency", "bandwidth"};
    result["kernel_fit"] = {"latency", "bandwidth", "flop_rate"};
    return result;
  }();
  return keys.find(level)->second;
}

/// Whether `key` names something at `level`. Below `collectives` the keys
/// are collective names, then group sizes; below `kernels`, op names, then
/// element types.
bool isKnownKey(StringRef level, StringRef key) {
  if (level == "kernels")
    return key.contains('.');
  if (level == "kernel")
    return true;
  if (level == "collectives")
    return parseCollectiveKind(key).has_value();
  if (level == "collective") {
    int64_t groupSize = 0;
    return !key.getAsInteger(10, groupSize) && groupSize >= 2;
  }
  return knownKeys(level).contains(key);
}

/// The level of the dictionary `key` holds at `level`, or none when it
/// holds a value.
std::optional<StringRef> childLevel(StringRef level, StringRef key) {
  if (level == "collectives")
    return StringRef("collective");
  if (level == "collective")
    return StringRef("collective_fit");
  if (level == "kernels")
    return StringRef("kernel");
  if (level == "kernel")
    return StringRef("kernel_fit");
  if (llvm::is_contained({StringRef("compute"), StringRef("links"),
                          StringRef("policies"), StringRef("peak_flops"),
                          StringRef("intra_node"), StringRef("inter_node"),
                          StringRef("collectives"), StringRef("kernels")},
                         key))
    return key;
  return std::nullopt;
}

/// Lays `parameters` over `object` (the file format, level `level`).
LogicalResult overlay(llvm::json::Object &object, DictionaryAttr parameters,
                      StringRef level,
                      function_ref<InFlightDiagnostic()> emitError) {
  for (NamedAttribute entry : parameters) {
    StringRef key = entry.getName().getValue();
    if (level == "collectives" && !isKnownKey(level, key))
      return emitError() << "#braid.target: '" << key
                         << "' in 'collectives' is not a collective";
    if (level == "kernels" && !isKnownKey(level, key))
      return emitError() << "#braid.target: kernel fits are keyed by op "
                            "names such as braid.rmsnorm, not '"
                         << key << "'";
    if (level == "collective" && !isKnownKey(level, key))
      return emitError() << "#braid.target: collective fits are keyed by "
                            "group sizes of at least 2, not '"
                         << key << "'";
    if (!isKnownKey(level, key))
      return emitError() << "#braid.target: unknown parameter '" << key
                         << "'" << (level == "root" ? "" : " in '")
                         << (level == "root" ? "" : level)
                         << (level == "root" ? "" : "'");
    Attribute value = entry.getValue();
    std::optional<StringRef> nestedLevel = childLevel(level, key);
    if (auto nested = dyn_cast<DictionaryAttr>(value)) {
      if (!nestedLevel)
        return emitError() << "#braid.target: '" << key
                           << "' takes a number, not a dictionary";
      llvm::json::Object *child = object.getObject(key);
      if (!child) {
        object[key] = llvm::json::Object();
        child = object.getObject(key);
      }
      if (failed(overlay(*child, nested, *nestedLevel, emitError)))
        return failure();
      continue;
    }
    if (nestedLevel)
      return emitError() << "#braid.target: '" << key
                         << "' takes a dictionary, not a value";
    if (key == "description") {
      auto text = dyn_cast<StringAttr>(value);
      if (!text)
        return emitError() << "#braid.target: 'description' takes a string";
      object[key] = text.getValue().str();
      continue;
    }
    if (key == "algorithms") {
      auto list = dyn_cast<ArrayAttr>(value);
      llvm::json::Array names;
      for (Attribute name : list ? list.getValue() : ArrayRef<Attribute>()) {
        auto text = dyn_cast<StringAttr>(name);
        if (!text)
          return emitError()
                 << "#braid.target: 'algorithms' takes an array of strings";
        names.push_back(text.getValue().str());
      }
      if (!list)
        return emitError()
               << "#braid.target: 'algorithms' takes an array of strings";
      object[key] = std::move(names);
      continue;
    }
    std::optional<double> number;
    if (auto real = dyn_cast<FloatAttr>(value))
      number = real.getValueAsDouble();
    else if (auto integer = dyn_cast<IntegerAttr>(value))
      number = static_cast<double>(integer.getValue().getSExtValue());
    if (!number)
      return emitError() << "#braid.target: '" << key << "' takes a number";
    if (key == "devices_per_node") {
      if (*number < 1 || *number != static_cast<int64_t>(*number))
        return emitError()
               << "#braid.target: 'devices_per_node' takes a positive integer";
      object[key] = static_cast<int64_t>(*number);
      continue;
    }
    object[key] = llvm::json::Object{{"value", *number},
                                     {"source", kInlineSource}};
  }
  return success();
}

/// The file format's `{value, source}` entries as plain numbers.
Attribute toAttribute(Builder &b, const llvm::json::Value &value) {
  if (const llvm::json::Object *object = value.getAsObject()) {
    if (std::optional<double> number = object->getNumber("value"))
      return b.getF64FloatAttr(*number);
    SmallVector<NamedAttribute> entries;
    for (const auto &[key, child] : *object)
      if (Attribute attr = toAttribute(b, child))
        entries.push_back(b.getNamedAttr(StringRef(key), attr));
    return b.getDictionaryAttr(entries);
  }
  if (const llvm::json::Array *array = value.getAsArray()) {
    SmallVector<Attribute> elements;
    for (const llvm::json::Value &element : *array)
      if (Attribute attr = toAttribute(b, element))
        elements.push_back(attr);
    return b.getArrayAttr(elements);
  }
  if (std::optional<StringRef> text = value.getAsString())
    return b.getStringAttr(*text);
  if (std::optional<int64_t> integer = value.getAsInteger())
    return b.getI64IntegerAttr(*integer);
  if (std::optional<double> number = value.getAsNumber())
    return b.getF64FloatAttr(*number);
  return nullptr;
}

} // namespace

FailureOr<HardwareProfile>
mlir::braid::resolveTarget(TargetAttr target,
                           function_ref<InFlightDiagnostic()> emitError) {
  StringRef name = target.getProfile().getValue();
  DictionaryAttr parameters = target.getParameters();
  llvm::json::Object root;
  std::string origin;
  llvm::Expected<std::string> file = HardwareProfile::locate(name);
  if (file) {
    llvm::Expected<llvm::json::Object> read = HardwareProfile::readFile(*file);
    if (!read)
      return emitError() << llvm::toString(read.takeError());
    root = std::move(*read);
    origin = *file;
  } else if (parameters) {
    // Not a known profile: the parameters define the whole machine.
    llvm::consumeError(file.takeError());
    root["name"] = name.str();
    origin = ("#braid.target<\"" + name + "\">").str();
  } else {
    return emitError() << llvm::toString(file.takeError());
  }
  if (parameters) {
    if (failed(overlay(root, parameters, "root", emitError)))
      return failure();
    origin += " with #braid.target parameters";
  }
  llvm::Expected<HardwareProfile> profile =
      HardwareProfile::fromJSON(root, origin);
  if (!profile)
    return emitError() << llvm::toString(profile.takeError());
  profile->name = name.str();
  return std::move(*profile);
}

FailureOr<CostModel> mlir::braid::getTargetCostModel(Operation *anchor) {
  TargetAttr target = getTarget(anchor);
  if (!target)
    target = TargetAttr::get(
        anchor->getContext(),
        StringAttr::get(anchor->getContext(), kDefaultTargetProfile),
        nullptr);
  FailureOr<HardwareProfile> profile =
      resolveTarget(target, [&] { return anchor->emitError(); });
  if (failed(profile))
    return failure();
  return CostModel(std::move(*profile));
}

FailureOr<TargetAttr>
mlir::braid::makeTarget(MLIRContext *context, StringRef nameOrPath,
                        function_ref<InFlightDiagnostic()> emitError) {
  llvm::Expected<std::string> file = HardwareProfile::locate(nameOrPath);
  if (!file)
    return emitError() << llvm::toString(file.takeError());
  llvm::Expected<llvm::json::Object> root = HardwareProfile::readFile(*file);
  if (!root)
    return emitError() << llvm::toString(root.takeError());
  llvm::Expected<HardwareProfile> profile =
      HardwareProfile::fromJSON(*root, *file);
  if (!profile)
    return emitError() << llvm::toString(profile.takeError());
  Builder b(context);
  bool isPath = *file == nameOrPath.str();
  if (!isPath)
    return TargetAttr::get(context, b.getStringAttr(nameOrPath), nullptr);
  // A file outside the search path: its numbers go inline.
  SmallVector<NamedAttribute> entries;
  for (const auto &[key, value] : *root) {
    if (key == "name")
      continue;
    if (Attribute attr = toAttribute(b, value))
      entries.push_back(b.getNamedAttr(StringRef(key), attr));
  }
  return TargetAttr::get(context, b.getStringAttr(profile->name),
                         b.getDictionaryAttr(entries));
}
