"""Checks a braid-estimate trace: Chrome trace JSON with named processes
(ranks) and threads (streams) and complete events on them."""
import json
import sys

trace = json.load(open(sys.argv[1]))
events = trace["traceEvents"]
ranks = {e["pid"] for e in events if e["ph"] == "M" and e["name"] == "process_name"}
streams = {(e["pid"], e["tid"]) for e in events if e["ph"] == "M" and e["name"] == "thread_name"}
spans = [e for e in events if e["ph"] == "X"]
assert ranks, "no ranks"
assert all(e["dur"] > 0 and e["ts"] >= 0 for e in spans), "bad span"
assert all((e["pid"], e["tid"]) in streams for e in spans), "span on an unnamed track"
# estimate-overlap.mlir puts its all_reduce on stream 1 of all 8 ranks.
assert len(ranks) == 8, ranks
assert any(e["tid"] == 1 and e["name"] == "braid.all_reduce" for e in spans)
assert {e["pid"] for e in spans} == ranks, "every rank has a timeline"
print(f"{len(ranks)} ranks, {len(streams)} tracks, {len(spans)} spans")
