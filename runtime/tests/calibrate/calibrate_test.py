#!/usr/bin/env python3
"""braid-calibrate end to end at tiny sizes.

    calibrate_test.py BRAID_CALIBRATE WORKDIR NP

Runs the tool (its parent mode launches the ranks), then checks that the
profile is well-formed JSON with every field the cost model reads
(lib/Analysis/HardwareProfile.cpp), that every number is finite and of the
right sign with a source, that what the tool measures is marked measured
and the rest kept, and that the report lists each measurement. Bad
arguments fail before any rank starts. Prints PASS or FAIL lines.
"""
import json
import math
import os
import shutil
import subprocess
import sys

tool, work, np = sys.argv[1], sys.argv[2], int(sys.argv[3])
failures = []


def fail(message):
    failures.append(message)
    print("FAIL: " + message)


def run(args, expect_ok=True):
    result = subprocess.run([tool] + args, capture_output=True, text=True,
                            timeout=120)
    if (result.returncode == 0) != expect_ok:
        fail("%s exited %d\nstdout:\n%s\nstderr:\n%s"
             % (" ".join(args), result.returncode, result.stdout,
                result.stderr))
    return result


shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
profile_path = os.path.join(work, "profile.json")
shapes = os.path.join(work, "shapes.txt")
with open(shapes, "w") as f:
    # What braid-opt --braid-calibration-shapes writes.
    f.write("--gemm 2x24x40x56:bf16  # 1 op, first at p.mlir:3:5\n"
            "--collective all_reduce:8192:2  # 1 op\n"
            "--collective all_gather:4096:3  # does not tile np 2\n")
result = run(["--np", str(np), "--sweep", "tiny", "--out", profile_path,
              "--machine", "test machine", "--shapes", shapes,
              "--name", "test-calibrated"])
report = result.stdout
print(report)

with open(profile_path) as f:
    profile = json.load(f)


def entry(path):
    """`path` is dotted, or a tuple of keys (op names have dots)."""
    keys = path if isinstance(path, tuple) else path.split(".")
    path = ".".join(keys)
    node = profile
    for key in keys:
        if not isinstance(node, dict) or key not in node:
            fail("missing '%s'" % path)
            return None
        node = node[key]
    return node


def check_number(path, measured, positive=True):
    node = entry(path)
    if isinstance(path, tuple):
        path = ".".join(path)
    if node is None:
        return
    value, source = node.get("value"), node.get("source", "")
    if not isinstance(value, (int, float)) or not math.isfinite(value):
        fail("%s: value %r is not a finite number" % (path, value))
        return
    if value < 0 or (positive and value == 0):
        fail("%s: value %r is not %s" % (path, value,
                                         "positive" if positive else ">= 0"))
    kept = "not measured by braid-calibrate"
    if measured is None:  # the data decides
        measured = not source.startswith(kept)
    want = "measured: " if measured else kept
    if not source.startswith(want):
        fail("%s: source %r does not start with %r" % (path, source, want))
    if measured and "on test machine, " not in source:
        fail("%s: source %r does not name the machine and date"
             % (path, source))


if profile.get("name") != "test-calibrated":
    fail("name is %r" % profile.get("name"))
if not isinstance(profile.get("devices_per_node"), int):
    fail("devices_per_node is not an integer")
for key in ["memory_bandwidth", "memory_efficiency", "gemm_efficiency",
            "peak_flops.f32", "peak_flops.bf16"]:
    check_number("compute." + key, measured=True)
# Measured only when the element-wise runs show a compute-bound one (or
# raise the base's rate); otherwise kept.
check_number("compute.vector_flops", measured=None)
# The layer kernels, each fitted on its own.
for op, rate in [("braid.rmsnorm", "bandwidth"), ("linalg.softmax", "bandwidth"),
                 ("braid.swiglu", "bandwidth"), ("braid.activation", "bandwidth"),
                 ("braid.attention", "flop_rate")]:
    check_number(("compute", "kernels", op, "f32", "latency"), measured=True,
                 positive=False)
    check_number(("compute", "kernels", op, "f32", rate), measured=True)
for key in ["gemm_overhead", "kernel_overhead"]:
    check_number("compute." + key, measured=True, positive=False)
# Never measured: the base's values, marked kept.
for key in ["num_sms", "gemm_tile_m", "gemm_tile_n"]:
    check_number("compute." + key, measured=False)
check_number("compute.peak_flops.f64", measured=False)
check_number("links.comm_sms", measured=False, positive=False)
check_number("links.collective_launch", measured=True)
check_number("policies.stream_switch_cost", measured=True)
check_number("policies.min_gain", measured=False) if "min_gain" in \
    profile.get("policies", {}) else None
kinds = ["all_reduce", "all_gather", "reduce_scatter", "all_to_all",
         "collective_permute", "broadcast"]
for link in ["intra_node", "inter_node"]:
    if not isinstance(entry("links.%s.algorithms" % link), list):
        fail("links.%s.algorithms is not a list" % link)
    if np == 1:
        # One rank has no link to measure.
        check_number("links.%s.bus_bandwidth" % link, measured=False)
        check_number("links.%s.step_latency" % link, measured=False)
        if "collectives" in profile["links"][link]:
            fail("links.%s has collectives at one rank" % link)
        continue
    check_number("links.%s.bus_bandwidth" % link, measured=True)
    check_number("links.%s.step_latency" % link, measured=True,
                 positive=False)
    for kind in kinds:
        for group in [g for g in range(2, np + 1) if np % g == 0]:
            base = "links.%s.collectives.%s.%d" % (link, kind, group)
            check_number(base + ".latency", measured=True, positive=False)
            check_number(base + ".bandwidth", measured=True)

# The report lists what was measured, the shapes file's entries included.
for needle in ["## stream switch", "## GEMM", "2x24x40x56:bf16", "rmsnorm",
               "softmax", "swiglu", "activation", "elementwise", "copy",
               "## attention", "wrote " + profile_path]:
    if needle not in report:
        fail("the report has no '%s'" % needle)
if np > 1:
    for needle in ["## collectives", "collective_permute", "ring model"]:
        if needle not in report:
            fail("the report has no '%s'" % needle)
    # The program's own payload joins the sweep; a group of 3 cannot
    # tile 2 ranks and is named as skipped.
    if not any(line.split()[:3] == ["all_reduce", "2", "8192"]
               for line in report.splitlines()):
        fail("the report has no all_reduce of 8192 B over 2 ranks")
    if "skipped: all_gather of 4096 B over 3 ranks" not in report:
        fail("the group of 3 is not reported as skipped")

# Mistakes are reported before any rank starts.
for args, message in [
        (["--gemm", "12x0x3"], "--gemm: '0' is not a positive integer"),
        (["--gemm", "4x4x4:i8"], "element type 'i8' is not one of"),
        (["--collective", "all_sum:64:2"], "'all_sum' is not all_reduce"),
        (["--base", os.path.join(work, "missing.json")],
         "--base: cannot read"),
        (["--shapes", os.path.join(work, "none.txt")],
         "--shapes: cannot read"),
        (["--frobnicate", "1"], "unknown option '--frobnicate'")]:
    bad = run(args, expect_ok=False)
    if message not in bad.stderr:
        fail("%s: stderr %r lacks %r" % (args, bad.stderr, message))

if not failures:
    print("PASS: calibrate np%d" % np)
sys.exit(1 if failures else 0)
