#!/usr/bin/env python3
"""A hardware profile (bench/profiles format) calibrated by braid-gpu-bench.

usage: make-profile.py MEASUREMENTS.json BASE_PROFILE.json OUT.json

Starts from the datasheet profile of the GPU (BASE: h100-sxm-x8 or
h200-sxm-x8) and replaces what one GPU measures: memory efficiency (the
device-to-device copy bandwidth over the datasheet's), GEMM efficiency
(the best bf16 GEMM over the datasheet peak), GEMM and kernel overheads and
the SM count. Links keep the base's values: one GPU measures no link.
"""
import json
import sys


def main() -> int:
    measured = json.load(open(sys.argv[1]))
    profile = json.load(open(sys.argv[2]))
    gpu = measured.get("gpu", "GPU")
    source = f"measured by bench/gpu/gpu-bench.cu (scripts/gpu-check.sh) on {gpu}"
    compute = profile["compute"]
    bandwidth = compute["memory_bandwidth"]["value"]
    peak = compute["peak_flops"]["bf16"]["value"]
    updates = {
        "memory_efficiency": measured["copy_bandwidth"] / bandwidth,
        "gemm_efficiency": measured["gemm_bf16_flops"] / peak,
        "gemm_overhead": measured["gemm_overhead"],
        "kernel_overhead": measured["kernel_overhead"],
        "num_sms": measured["num_sms"],
    }
    for key, value in updates.items():
        compute[key] = {"value": value, "source": source}
    profile["name"] = profile["name"] + "-measured"
    profile["description"] = f"{profile['description']}; compute calibrated on {gpu}"
    with open(sys.argv[3], "w") as out:
        json.dump(profile, out, indent=2)
        out.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
