//===- CollectiveMatching.h - do all ranks issue the same collectives? -*- C++ -*-===//
//
// NCCL and MPI match the k-th collective a rank issues on a communicator with
// the k-th collective of every other member. If two ranks disagree (another
// op, group, shape or order) the job hangs or corrupts data. This library
// records what each rank issues and reports disagreements with the op, the
// ranks and their positions. The interpreter feeds it as ranks execute; the
// static order verifier feeds it from shapes alone.
//
//===----------------------------------------------------------------------===//

#ifndef BRAID_ANALYSIS_COLLECTIVEMATCHING_H
#define BRAID_ANALYSIS_COLLECTIVEMATCHING_H

#include "braid/Dialect/Braid/IR/BraidDialect.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace mlir {
namespace braid {

/// The ranks of one group instance: the ranks that share a rank's
/// coordinates on every grid axis outside the group, in group order.
struct GroupInstance {
  /// Names the communicator: grid, axes and the fixed coordinates.
  std::string communicator;
  /// Global ranks (devices: the grid's row-major positions mapped through its
  /// braid.device_order, if any) in group order.
  SmallVector<int64_t> members;
  /// Position of the queried rank within `members`.
  int64_t position = 0;
};

/// The group instance containing global rank (device) `rank` of `grid` formed
/// by `axes`, found at the position the grid's device order gives it; failure for dynamic grids, grids over kMaxGridDevices devices,
/// axes outside the grid or ranks outside the grid.
FailureOr<GroupInstance> resolveGroup(shard::GridOp grid,
                                      ArrayRef<int16_t> axes, int64_t rank);

/// Everything ranks must agree on for one collective.
struct CollectiveSignature {
  /// "braid.all_reduce" plus its attributes and operand type, as printed.
  std::string description;
  Location loc;

  /// Signature of `op` with operand types as written.
  static CollectiveSignature of(CollectiveOpInterface op);
};

/// Records collectives per communicator in issue order and reports the first
/// disagreement.
class CollectiveMatcher {
public:
  /// What happened to an issued collective.
  struct Arrival {
    /// Index of this collective on its communicator (0-based).
    int64_t sequence = 0;
    /// All members have issued it and they agree.
    bool complete = false;
  };

  /// `rank` (at `group.position`) issues `signature` on `group`. Fails, with
  /// a message in `error`, when a member that issued the same sequence
  /// number on this communicator issued something else.
  FailureOr<Arrival> arrive(const GroupInstance &group, int64_t rank,
                            const CollectiveSignature &signature,
                            std::string &error);

  /// Collectives some members issued and others never did (what would hang
  /// NCCL), one line each; empty when everything matched.
  std::vector<std::string> describeIncomplete() const;

private:
  struct Rendezvous {
    SmallVector<int64_t> members;
    std::vector<std::optional<CollectiveSignature>> byPosition;
    int64_t arrived = 0;
  };
  /// (communicator, sequence) -> rendezvous.
  std::map<std::pair<std::string, int64_t>, Rendezvous> rendezvous;
  /// (communicator, rank) -> next sequence number.
  std::map<std::pair<std::string, int64_t>, int64_t> nextSequence;
};

} // namespace braid
} // namespace mlir

#endif // BRAID_ANALYSIS_COLLECTIVEMATCHING_H
