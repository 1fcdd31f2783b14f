#!/usr/bin/env python3
"""Checks a braid-run of TestProgram.cpp against values computed here.

usage: check_run.py OUTPUT_DIR NP [--trace FILE] [--same-as OTHER_OUTPUT_DIR]

Arguments are read from OUTPUT_DIR (braid-run writes the inputs it
generated there), or from OTHER_OUTPUT_DIR with --same-as (a run on the
inputs of that one).

The expected results follow the program's comment, with the runtime's
numerics: the GEMM's products are exact in f32 on braid-run's generated
inputs, reductions fold left in rank order rounding after every step
(bf16: through f32, to nearest even).
"""
import json
import sys

import numpy as np


def bf16_round(values):
    """Rounds f32 values to bf16 (nearest even), returned as f32."""
    bits = np.asarray(values, dtype=np.float32).view(np.uint32).astype(np.uint64)
    bits = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16 << 16
    return bits.astype(np.uint32).view(np.float32)


def fail(message):
    print("check_run: " + message)
    sys.exit(1)


def expect_equal(name, got, want):
    if got.dtype != want.dtype or got.shape != want.shape:
        fail("%s: got %s %s, expected %s %s" % (name, got.dtype, got.shape,
                                               want.dtype, want.shape))
    if got.tobytes() != want.tobytes():
        fail("%s: got\n%s\nexpected\n%s" % (name, got, want))


def check_results(out, np_ranks, inputs):
    args = [[np.load("%s/rank%d/arg%d.npy" % (inputs, r, i)) for i in range(4)]
            for r in range(np_ranks)]
    products = [(a[0].astype(np.float64) @ a[1].astype(np.float64))
                .astype(np.float32) for a in args]
    reduced = products[0]
    for product in products[1:]:
        reduced = reduced + product  # f32 + f32 rounds to f32
    bf16_sum = args[0][3]
    for a in args[1:]:
        bf16_sum = bf16_round(bf16_sum + a[3])
    gathered = np.concatenate([a[2] for a in args])
    for r in range(np_ranks):
        got = [np.load("%s/rank%d/result%d.npy" % (out, r, i))
               for i in range(6)]
        prev = args[(r - 1) % np_ranks][2]
        chain = args[r - 1][2] if r > 0 else np.zeros(6, np.int32)
        want = [reduced, prev, chain, gathered,
                np.float32(2) * reduced + np.float32(r), bf16_sum]
        for i in range(6):
            expect_equal("rank%d/result%d.npy" % (r, i), got[i], want[i])
    timing = json.load(open(out + "/timing.json"))
    if timing["np"] != np_ranks or len(timing["step_ms"]) != timing["iters"]:
        fail("timing.json: %s" % timing)
    if not timing["min_ms"] <= timing["median_ms"]:
        fail("timing.json: min above median: %s" % timing)


def check_trace(path, np_ranks, num_streams=2):
    trace = json.load(open(path))
    events = trace["traceEvents"]
    processes = {e["pid"]: e["args"]["name"] for e in events
                 if e["ph"] == "M" and e["name"] == "process_name"}
    if processes != {r: "rank %d" % r for r in range(np_ranks)}:
        fail("trace: processes %s" % processes)
    threads = {(e["pid"], e["tid"]): e["args"]["name"] for e in events
               if e["ph"] == "M" and e["name"] == "thread_name"}
    want_threads = {(r, s): ("stream 0 (host)" if s == 0 else "stream %d" % s)
                    for r in range(np_ranks) for s in range(num_streams + 1)}
    if threads != want_threads:
        fail("trace: threads %s" % threads)
    spans = [e for e in events if e["ph"] == "X"]
    for r in range(np_ranks):
        names = {(e["tid"], e["name"]) for e in spans if e["pid"] == r}
        for want in [(0, "test.mlir:10:3 setup"),
                     (0, "test.mlir:15:3 collective_permute"),
                     (0, "test.mlir:16:3 all_gather"),
                     (0, "test.mlir:17:3 scale"),
                     (1, "test.mlir:11:3 matmul"),
                     (1, "test.mlir:12:3 all_reduce"),
                     (2, "test.mlir:14:3 all_reduce")]:
            if want not in names:
                fail("trace: rank %d has no span %s (has %s)" % (r, want,
                                                                  names))
    for e in spans:
        if e["ts"] < 0 or e["dur"] < 0 or e["cat"] not in (
                "compute", "communication"):
            fail("trace: bad span %s" % e)


def main():
    out, np_ranks = sys.argv[1], int(sys.argv[2])
    rest = sys.argv[3:]
    inputs = rest[rest.index("--same-as") + 1] if "--same-as" in rest else out
    check_results(out, np_ranks, inputs)
    if "--trace" in rest:
        check_trace(rest[rest.index("--trace") + 1], np_ranks)
    if "--same-as" in rest:
        other = rest[rest.index("--same-as") + 1]
        for r in range(np_ranks):
            for i in range(6):
                name = "rank%d/result%d.npy" % (r, i)
                expect_equal(name, np.load(out + "/" + name),
                             np.load(other + "/" + name))
    print("check_run: %s: %d ranks OK" % (out, np_ranks))


if __name__ == "__main__":
    main()
