"""Every op braid-import-onnx claims, checked against the ONNX package's own
backend node tests (onnx/backend/test/case/node: the cases behind
onnx/backend/test/data/node/test_<op>*/model.onnx and test_data_set_0).

    python backend_ops.py --interp braid-interp --workdir DIR
        [--compile braid-compile --run braid-run]

For each case: import the model on 1 rank, run it in braid-interp on the
stored inputs, compare with the stored outputs. With --compile and --run,
every case that imports is compiled instead, all in one program
(merged_program.py: its buffer level checked against its tensor level,
its run against the interpreter), run on 1 MPI rank and each case's results
compared with the stored outputs the same way. One line per case:
`PASS name (max err)`, `SKIP name: reason (importer error)` or `FAIL name`.
A case listed in EXPECTED_SKIPS must fail to import with an error containing
its reason; any other import error, any mismatch, and any listed case that
now imports are failures. Exit status 1 if anything failed.
"""
import argparse
import os
import subprocess
import sys
import warnings

import numpy as np

sys.dont_write_bytecode = True
warnings.simplefilter("ignore")

from braid.importers import onnx_import as imp  # noqa: E402

# The modules of onnx/backend/test/case/node that hold the claimed ops' cases.
MODULES = [
    "matmul", "gemm", "add", "sub", "mul", "div", "pow", "sqrt", "reciprocal",
    "neg", "exp", "tanh", "erf", "sigmoid", "relu", "gelu", "softmax",
    "layernormalization", "rmsnormalization", "reshape", "transpose", "concat",
    "split", "slice", "gather", "unsqueeze", "squeeze", "cast", "where",
    "equal", "less", "greater", "constant", "constantofshape", "shape",
    "expand", "trilu", "reducemean", "reducesum", "reducemax", "identity",
    "attention", "sin", "cos", "abs", "log", "max", "min", "clip", "flatten",
    "quantizelinear", "dequantizelinear", "dynamicquantizelinear", "matmulinteger",
]

# Cases that are expected not to import: (case-name regex, substring the
# importer's error must contain). Element types braid has no type for in its
# interpreter and runtime (unsigned, 2/4/8-bit floats and ints, strings),
# optional/sequence values, zero-size tensors, negative Slice steps, and
# integer Pow.
EXPECTED_SKIPS = [
    (r"_u?int[24]\b|_U?INT[24]\b|_U?INT[24]_|FLOAT4E2M1|FLOAT8E", "element type"),
    (r"_uint(8|16|32|64)$", "element type uint"),
    (r"_(UINT8|UINT16|UINT32|UINT64)", "element type uint"),
    (r"_string", "element type object"),
    (r"^test_identity_(opt|sequence)$", "is not a tensor"),
    (r"^test_pow_types_int", "integer Pow is not supported"),
    (r"^test_(reduce_sum_empty_set_non_reduced_axis_zero|reshape_allowzero_reordered)$",
     "zero-size tensors are not supported"),
    (r"^test_slice_neg_steps$", "Slice step -1 is not supported"),
    (r"^test_slice_start_out_of_bounds$", "Slice with an empty result is not supported"),
    (r"_(e4m3fn|e5m2|float4e2m1)", "element type float"),
    (r"^test_(de)?quantizelinear_blocked", "blocked quantization (block_size) is not supported"),
    (r"^test_quantizelinear_int16$", "quantizing to int16 is not supported"),
    (r"^test_dequantizelinear_int16$", "dequantizing int16 is not supported"),
]


# Attention cases by the feature braid.attention lacks (masks, KV caches,
# softcap, sliding windows, the extra outputs) or ONNX's top-left causal
# alignment with fewer queries than keys. Exact names: each must be selected
# and must fail to import with its reason.
ATTENTION_SKIPS = {
    'Attention with attn_mask is not supported': [
        "test_attention_23_boolmask_fullymasked_row_nan_robustness",
        "test_attention_23_fullymasked_qk_matmul_output_mode3_zero",
        "test_attention_24_fullymasked_qk_matmul_output_mode3_zero",
        "test_attention_24_qk_matmul_output_mode3_softmax_precision",
        "test_attention_3d_attn_mask",
        "test_attention_3d_diff_heads_sizes_attn_mask",
        "test_attention_3d_diff_heads_with_past_and_present",
        "test_attention_3d_gqa_attn_mask",
        "test_attention_3d_gqa_with_past_and_present",
        "test_attention_3d_with_past_and_present",
        "test_attention_3d_with_past_and_present_qk_matmul",
        "test_attention_3d_with_past_and_present_qk_matmul_bias",
        "test_attention_3d_with_past_and_present_qk_matmul_softcap",
        "test_attention_3d_with_past_and_present_qk_matmul_softmax",
        "test_attention_4d_attn_mask", "test_attention_4d_attn_mask_3d",
        "test_attention_4d_attn_mask_3d_causal", "test_attention_4d_attn_mask_4d",
        "test_attention_4d_attn_mask_4d_causal", "test_attention_4d_attn_mask_bool",
        "test_attention_4d_attn_mask_bool_4d",
        "test_attention_4d_attn_mask_causal_bf16",
        "test_attention_4d_causal_nonpad_attn_mask_composition",
        "test_attention_4d_causal_padded_kv_bf16",
        "test_attention_4d_diff_heads_mask4d_padded_kv",
        "test_attention_4d_diff_heads_sizes_attn_mask",
        "test_attention_4d_diff_heads_with_past_and_present",
        "test_attention_4d_diff_heads_with_past_and_present_mask3d",
        "test_attention_4d_diff_heads_with_past_and_present_mask4d",
        "test_attention_4d_gqa_attn_mask",
        "test_attention_4d_gqa_with_past_and_present",
        "test_attention_4d_gqa_with_past_and_present_fp16",
        "test_attention_4d_padded_kv_bf16", "test_attention_4d_softcap_neginf_mask",
        "test_attention_4d_softcap_neginf_mask_poison",
        "test_attention_4d_with_past_and_present",
        "test_attention_4d_with_past_and_present_qk_matmul",
        "test_attention_4d_with_past_and_present_qk_matmul_bias",
        "test_attention_4d_with_past_and_present_qk_matmul_bias_3d_mask",
        "test_attention_4d_with_past_and_present_qk_matmul_bias_3d_mask_causal",
        "test_attention_4d_with_past_and_present_qk_matmul_bias_4d_mask",
        "test_attention_4d_with_past_and_present_qk_matmul_bias_4d_mask_causal",
        "test_attention_4d_with_qk_matmul_bias",
        "test_attention_4d_with_qk_matmul_softcap",
        "test_attention_4d_with_qk_matmul_softmax",
        "test_attention_causal_boolmask_nan_robustness",
        "test_attention_local_window_ext_cache_float16_mask",
        "test_attention_local_window_ext_cache_rank2_mask",
        "test_attention_local_window_ext_cache_rank3_head_mask",
        "test_attention_local_window_ext_cache_rank4_batch_mask",
        "test_attention_local_window_gqa_rank4_mask",
        "test_attention_local_window_rank1_boolean_mask",
    ],
    'is_causal with': [
        "test_attention_3d_causal", "test_attention_3d_causal_bf16",
        "test_attention_3d_diff_heads_sizes_causal", "test_attention_3d_gqa_causal",
        "test_attention_4d_causal", "test_attention_4d_causal_bf16",
        "test_attention_4d_causal_fp16",
        "test_attention_4d_diff_heads_sizes_causal", "test_attention_4d_gqa_causal",
    ],
    'Attention with softcap is not supported': [
        "test_attention_3d_diff_heads_sizes_softcap",
        "test_attention_3d_gqa_softcap", "test_attention_3d_softcap",
        "test_attention_4d_diff_heads_sizes_softcap",
        "test_attention_4d_gqa_softcap", "test_attention_4d_softcap",
    ],
    "Attention attribute 'left_window_size' is not supported": [
        "test_attention_3d_local_window", "test_attention_bidirectional_window",
        "test_attention_local_window", "test_attention_local_window_default",
    ],
    'Attention with nonpad_kv_seqlen is not supported': [
        "test_attention_4d_causal_nonpad_batch_prefill",
        "test_attention_4d_causal_nonpad_continued_prefill",
        "test_attention_4d_causal_nonpad_negative_offset_structural_empty",
        "test_attention_4d_gqa_causal_nonpad_decode",
        "test_attention_4d_gqa_causal_nonpad_decode_fp16",
    ],
    'Attention with past_key is not supported': [
        "test_attention_4d_causal_with_past_and_present",
        "test_attention_local_window_with_past",
    ],
    "Attention's present_key/present_value/qk_matmul_output outputs are not supported": [
        "test_attention_4d_with_qk_matmul",
    ],
}


def expected_skip(name):
    import re
    for reason, names in ATTENTION_SKIPS.items():
        if name in names:
            return reason
    for pat, reason in EXPECTED_SKIPS:
        if re.search(pat, name):
            return reason
    return None


def case_op_types(case):
    return {n.op_type for n in case.model.graph.node}


def select(cases):
    """Single-node cases of a claimed op, and the function-expanded forms of
    those cases (test_<case>_expanded*) when every op in them is claimed."""
    single = {c.name for c in cases if c.kind == "node" and c.data_sets
              and len(c.model.graph.node) == 1
              and c.model.graph.node[0].op_type in imp.SUPPORTED}
    out = []
    for c in cases:
        if c.name in single:
            out.append(c)
        elif "_expanded" in c.name and c.data_sets:
            base = c.name[:c.name.index("_expanded")]
            if base in single and case_op_types(c) <= imp.SUPPORTED:
                out.append(c)
    return out


# Inputs that the ops read as static parameters (shapes, axes, sizes, k):
# the harness binds them to the stored values at import time.
STATIC_OPERANDS = {
    "Reshape": [1], "Expand": [1], "Slice": [1, 2, 3, 4], "Split": [1],
    "Squeeze": [1], "Unsqueeze": [1], "ReduceMean": [1], "ReduceSum": [1],
    "ReduceMax": [1], "Trilu": [1], "ConstantOfShape": [0],
    "Attention": [6],
}


def static_inputs(model):
    names = set()
    for n in model.graph.node:
        for k in STATIC_OPERANDS.get(n.op_type, []):
            if k < len(n.input) and n.input[k]:
                names.add(n.input[k])
    return names


def compare(got, want):
    if got.shape != want.shape:
        return False, f"shape {got.shape} != {want.shape}"
    if want.dtype.kind in "fc":
        w = want.astype(np.float64)
        g = got.astype(np.float64)
        same_nan = np.isnan(w) == np.isnan(g)
        fin = ~np.isnan(w)
        inf_ok = np.all(w[np.isinf(w)] == g[np.isinf(w)])
        tol = 1e-5 + 1e-4 * np.abs(w)
        if want.dtype == np.float16:
            tol = 1e-3 + 1e-3 * np.abs(w)
        finite = fin & ~np.isinf(w)
        err = np.abs(g - w)
        ok = same_nan.all() and inf_ok and np.all(err[finite] <= tol[finite])
        m = float(np.max(err[finite])) if finite.any() else 0.0
        return ok, f"max abs err {m:.2e}"
    ok = np.array_equal(got.astype(want.dtype), want)
    return ok, "exact" if ok else "values differ"


def import_case(c, workdir):
    """Imports the case on 1 rank into WORKDIR/<case>: prog.mlir and
    in/argN.npy. Returns ("import", error) or ("ok", (dir, text, outputs))."""
    d = os.path.join(workdir, c.name)
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, "model.onnx")
    import onnx
    onnx.save(c.model, path)
    inputs, outputs = c.data_sets[0]
    from onnx import numpy_helper
    names = [i.name for i in c.model.graph.input]
    feeds = {}
    for nm, arr in zip(names, inputs):
        if not isinstance(arr, np.ndarray):
            arr = numpy_helper.to_array(arr) if hasattr(arr, "HasField") else np.asarray(arr)
        feeds[nm] = arr
    bind = {nm: feeds[nm] for nm in static_inputs(c.model) if nm in feeds}
    try:
        model = imp.load_model(path)
        importer = imp.Importer(model, path, bind=bind)
        text = importer.run()
    except imp.ImportError_ as e:
        return "import", str(e).replace(path, "model.onnx")
    mlir = os.path.join(d, "prog.mlir")
    with open(mlir, "w") as f:
        f.write(text)
    indir = os.path.join(d, "in")
    os.makedirs(os.path.join(indir, "rank0"), exist_ok=True)
    for a in importer.manifest["arguments"]:
        np.save(os.path.join(indir, "rank0", f"arg{a['index']}.npy"),
                imp.interp_array(feeds[a["name"]], a["dtype"]))
    wants = []
    for want in outputs:
        if not isinstance(want, np.ndarray):
            want = numpy_helper.to_array(want) if hasattr(want, "HasField") else np.asarray(want)
        if want.dtype.name == "bfloat16":
            want = want.astype(np.float32)
        wants.append(np.asarray(want))
    return "ok", (d, text, wants)


def compare_all(load, wants):
    """(all equal, messages) for result k = load(k) against wants[k]."""
    msgs = []
    ok = True
    for k, want in enumerate(wants):
        good, msg = compare(load(k), want)
        ok &= good
        msgs.append(msg)
    return ok, "; ".join(msgs)


def run_case(c, interp, workdir):
    status, imported = import_case(c, workdir)
    if status != "ok":
        return status, imported
    d, _, wants = imported
    p = subprocess.run([interp, "--quiet", os.path.join(d, "prog.mlir"),
                        f"--inputs={os.path.join(d, 'in')}",
                        f"--output-dir={os.path.join(d, 'out')}"],
                       capture_output=True, text=True)
    if p.returncode != 0:
        return "fail", "braid-interp: " + (p.stderr.strip().splitlines() or ["?"])[0]
    good, msg = compare_all(
        lambda k: np.load(os.path.join(d, "out", "rank0", f"result{k}.npy")), wants)
    return ("pass" if good else "fail"), msg


def compile_cases(cases, a):
    """Every case that imports, in one program compiled with --compile and
    run with --run on 1 rank (merged_program.py): one status per case, as
    run_case gives."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from merged_program import Failed, MergedProgram
    program = MergedProgram(os.path.join(a.workdir, "compiled"), 1)
    imported = {}
    statuses = {}
    for c in cases:
        status, value = import_case(c, a.workdir)
        if status != "ok":
            statuses[c.name] = (status, value)
            continue
        d, text, wants = value
        imported[c.name] = (program.add(text, os.path.join(d, "in")), wants)
    try:
        out = program.build(a.compile, a.run, a.interp)
    except Failed as e:
        sys.stdout.write(str(e))
        for name in imported:
            statuses[name] = ("fail", "the merged program failed")
        return [statuses[c.name] for c in cases]
    for name, (first, wants) in imported.items():
        good, msg = compare_all(
            lambda k, first=first: np.load(
                os.path.join(out, "rank0", f"result{first + k}.npy")), wants)
        statuses[name] = ("pass" if good else "fail"), msg
    return [statuses[c.name] for c in cases]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--interp", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--only", help="comma-separated case names")
    ap.add_argument("--compile", help="braid-compile: compile every case that "
                    "imports into one program and run it with --run instead "
                    "of interpreting each case")
    ap.add_argument("--run", help="braid-run (with --compile)")
    a = ap.parse_args()
    import importlib

    from onnx.backend.test.case import node
    # Importing a case module generates its cases; only the claimed ops'.
    for mod in MODULES:
        importlib.import_module(f"onnx.backend.test.case.node.{mod}")
    cases = select(node._NodeTestCases)
    if a.only:
        want = set(a.only.split(","))
        cases = [c for c in cases if c.name in want]
    cases.sort(key=lambda c: c.name)
    counts = {"PASS": 0, "SKIP": 0, "FAIL": 0}

    def one(c):
        try:
            return run_case(c, a.interp, a.workdir)
        except Exception as e:  # noqa: BLE001 - a crash is a failure, go on
            return "fail", f"exception {type(e).__name__}: {e}"
    if a.compile:
        results = compile_cases(cases, a)
    else:
        from concurrent.futures import ThreadPoolExecutor
        with ThreadPoolExecutor(max_workers=3) as pool:
            results = list(pool.map(one, cases))
    for c, (status, msg) in zip(cases, results):
        reason = expected_skip(c.name)
        if status == "import":
            first = msg.splitlines()[0]
            if reason is not None and reason in msg:
                tag = "SKIP"
                line = f"SKIP {c.name}: {reason} ({first})"
            else:
                tag = "FAIL"
                line = f"FAIL {c.name}: import error: {first}"
        elif reason is not None:
            tag = "FAIL"
            line = f"FAIL {c.name}: listed as skipped ({reason}) but imports ({status}: {msg})"
        elif status == "pass":
            tag = "PASS"
            line = f"PASS {c.name} ({msg})"
        else:
            tag = "FAIL"
            line = f"FAIL {c.name}: {msg}"
        counts[tag] += 1
        print(line, flush=True)
    if not a.only:
        selected = {c.name for c in cases}
        for names in ATTENTION_SKIPS.values():
            for n in names:
                if n not in selected:
                    counts["FAIL"] += 1
                    print(f"FAIL {n}: listed in ATTENTION_SKIPS but not a selected case")
    label = "compiled backend node cases" if a.compile else "backend node cases"
    print(f"{label}: {counts['PASS']} passed, {counts['SKIP']} skipped, "
          f"{counts['FAIL']} failed")
    sys.exit(1 if counts["FAIL"] else 0)


if __name__ == "__main__":
    main()
