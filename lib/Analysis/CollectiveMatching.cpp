//===- CollectiveMatching.cpp - do all ranks issue the same collectives? --===//

#include "braid/Analysis/CollectiveMatching.h"

#include "mlir/IR/Diagnostics.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace mlir::braid;

FailureOr<GroupInstance> mlir::braid::resolveGroup(shard::GridOp grid,
                                                   ArrayRef<int16_t> axes,
                                                   int64_t rank) {
  ArrayRef<int64_t> shape = grid.getShape();
  if (llvm::any_of(shape, ShapedType::isDynamic))
    return failure();
  // Callers walk every rank; the op verifiers refuse larger grids.
  int64_t numRanks = getStaticDeviceCount(grid);
  if (numRanks > kMaxGridDevices || rank < 0 || rank >= numRanks)
    return failure();
  if (llvm::any_of(axes, [&](int16_t axis) {
        return axis < 0 || axis >= static_cast<int64_t>(shape.size());
      }))
    return failure();

  // Ranks are devices (world ranks), as in the runtime: a grid with a
  // braid.device_order runs position p on device order[p]. Grids of one
  // program may order their devices differently (docs/Rationale.md,
  // "Explicit device groups").
  auto order =
      grid->getAttrOfType<DeviceOrderAttr>(BraidDialect::kDeviceOrderAttrName);
  auto deviceAt = [&](int64_t position) {
    return order ? order.getDevices()[position] : position;
  };
  int64_t gridPosition = rank;
  if (order) {
    auto it = llvm::find(order.getDevices(), rank);
    if (it == order.getDevices().end())
      return failure();
    gridPosition = it - order.getDevices().begin();
  }

  SmallVector<int64_t> coords(shape.size());
  for (int64_t d = shape.size() - 1, rest = gridPosition; d >= 0; --d) {
    coords[d] = rest % shape[d];
    rest /= shape[d];
  }
  auto linear = [&](ArrayRef<int64_t> c) {
    int64_t result = 0;
    for (size_t d = 0; d < shape.size(); ++d)
      result = result * shape[d] + c[d];
    return result;
  };

  GroupInstance group;
  llvm::raw_string_ostream name(group.communicator);
  name << "@" << grid.getSymName() << " axes [";
  llvm::interleaveComma(axes, name);
  name << "]";
  SmallVector<bool> inGroup(shape.size(), false);
  for (int16_t axis : axes)
    inGroup[axis] = true;
  bool anyFixed = false;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (inGroup[d])
      continue;
    name << (anyFixed ? ", " : " at ") << "axis " << d << " = " << coords[d];
    anyFixed = true;
  }

  int64_t groupSize = 1;
  for (int16_t axis : axes)
    groupSize *= shape[axis];
  SmallVector<int64_t> memberCoords(coords);
  for (int64_t position = 0; position < groupSize; ++position) {
    // Row-major over the group axes: the first axis varies slowest.
    for (int64_t i = axes.size() - 1, rest = position; i >= 0; --i) {
      memberCoords[axes[i]] = rest % shape[axes[i]];
      rest /= shape[axes[i]];
    }
    int64_t member = deviceAt(linear(memberCoords));
    if (member == rank)
      group.position = position;
    group.members.push_back(member);
  }
  return group;
}

CollectiveSignature CollectiveSignature::of(CollectiveOpInterface op) {
  std::string text;
  llvm::raw_string_ostream os(text);
  Operation *operation = op.getOperation();
  os << operation->getName() << " ";
  operation->getPropertiesAsAttribute().print(os);
  os << " : " << op.getCommunicatedValue().getType();
  return CollectiveSignature{text, operation->getLoc()};
}

static std::string describeArrival(int64_t rank, int64_t position,
                                   const CollectiveSignature &signature) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << "rank " << rank << " (position " << position << ") issues "
     << signature.description << " at " << signature.loc;
  return text;
}

FailureOr<CollectiveMatcher::Arrival>
CollectiveMatcher::arrive(const GroupInstance &group, int64_t rank,
                          const CollectiveSignature &signature,
                          std::string &error) {
  int64_t &next = nextSequence[{group.communicator, rank}];
  Arrival arrival;
  arrival.sequence = next++;
  Rendezvous &meeting = rendezvous[{group.communicator, arrival.sequence}];
  if (meeting.byPosition.empty()) {
    meeting.members = group.members;
    meeting.byPosition.resize(group.members.size());
  }
  for (auto [position, other] : llvm::enumerate(meeting.byPosition)) {
    if (!other || other->description == signature.description)
      continue;
    llvm::raw_string_ostream os(error);
    os << "ranks disagree on collective #" << arrival.sequence << " of "
       << group.communicator << ": "
       << describeArrival(meeting.members[position], position, *other)
       << "; "
       << describeArrival(rank, group.position, signature);
    return failure();
  }
  meeting.byPosition[group.position] = signature;
  arrival.complete = ++meeting.arrived ==
                     static_cast<int64_t>(meeting.members.size());
  return arrival;
}

std::vector<std::string> CollectiveMatcher::describeIncomplete() const {
  std::vector<std::string> lines;
  for (const auto &[key, meeting] : rendezvous) {
    if (meeting.arrived == static_cast<int64_t>(meeting.members.size()))
      continue;
    std::string line;
    llvm::raw_string_ostream os(line);
    os << "collective #" << key.second << " of " << key.first << ": ";
    const CollectiveSignature *issued = nullptr;
    SmallVector<int64_t> missing;
    for (auto [position, signature] : llvm::enumerate(meeting.byPosition)) {
      if (signature)
        issued = &*signature;
      else
        missing.push_back(meeting.members[position]);
    }
    os << issued->description << " at " << issued->loc
       << " was never issued by rank";
    os << (missing.size() > 1 ? "s " : " ");
    llvm::interleaveComma(missing, os);
    lines.push_back(line);
  }
  return lines;
}
