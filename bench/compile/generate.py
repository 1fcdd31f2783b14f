#!/usr/bin/env python3
"""Writes a Llama-3-70B TP8 program of N layers written out layer after layer
in one function, for measuring how compile time grows with program size.

  bench/compile/generate.py N {forward,forward-backward} OUTPUT

forward:  N copies of examples/llama70b_tp8_layer.mlir's body, each layer's
          output feeding the next, every layer with its own weights.
forward-backward: that forward, then per layer in reverse the MLP backward of
          examples/llama70b_tp8_mlp_backward.mlir, reading the activations the
          forward saved (the gathered MLP input, gate, up, SwiGLU output) and
          passing its input gradient through the residual to the layer
          below; it returns every weight gradient. (The attention block's
          backward has no op yet: its gradient is taken as the residual's.)

The layer bodies are read from the two examples, so the benchmark follows
them when they change. Standard library only.
"""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FORWARD_EXAMPLE = ROOT / "examples" / "llama70b_tp8_layer.mlir"
BACKWARD_EXAMPLE = ROOT / "examples" / "llama70b_tp8_mlp_backward.mlir"

SSA = re.compile(r"%([A-Za-z_][A-Za-z0-9_$.]*)")


class Template:
    """One example function: its arguments, body lines and returned values."""

    def __init__(self, path):
        text = path.read_text()
        match = re.search(r"func\.func @\w+\((.*?)\)\s*->.*?\{\n(.*)\n"
                          r"\s*return (.*?) : (.*?)\n", text, re.DOTALL)
        grid = re.search(r"^shard\.grid .*$", text, re.MULTILINE)
        if not match or not grid:
            sys.exit(f"{path}: error: expected a shard.grid and a func.func "
                     "that ends in a return")
        self.grid = grid.group(0)
        self.argument_types = dict(
            re.findall(r"%(\w+)\s*:\s*(tensor<[^>]*>)", match.group(1)))
        self.arguments = list(self.argument_types)
        self.body = [line.strip() for line in match.group(2).splitlines()
                     if line.strip() and not line.strip().startswith("//")]
        self.results = list(zip(SSA.findall(match.group(3)),
                                re.findall(r"tensor<[^>]*>", match.group(4))))

    def instantiate(self, suffix, bound):
        """The body with every value renamed `name_suffix`, except the
        arguments, which become the values `bound` maps them to."""
        def rename(match):
            name = match.group(1)
            if name in self.arguments:
                return "%" + bound[name]
            return f"%{name}_{suffix}"
        lines = [SSA.sub(rename, line) for line in self.body]
        results = [(f"{name}_{suffix}", result_type)
                   for name, result_type in self.results]
        return lines, results


def generate(layers, backward):
    forward = Template(FORWARD_EXAMPLE)
    mlp_backward = Template(BACKWARD_EXAMPLE)
    if forward.grid != mlp_backward.grid:
        sys.exit("error: the two examples use different grids")
    weights = [name for name in forward.arguments if name != "x"]
    args = [("x", forward.argument_types["x"])]
    for layer in range(layers):
        args += [(f"{name}_{layer}", forward.argument_types[name])
                 for name in weights]
    body = []
    current = "x"
    for layer in range(layers):
        bound = {"x": current}
        bound.update({name: f"{name}_{layer}" for name in weights})
        lines, [(out, _)] = forward.instantiate(f"f{layer}", bound)
        body.append(f"// Layer {layer} forward.")
        body += lines
        current = out
    results = [(current, forward.argument_types["x"])]

    if backward:
        transposed = ["w_gate_t", "w_up_t", "w_down_t"]
        args.append(("dy", mlp_backward.argument_types["dy"]))
        for layer in range(layers):
            args += [(f"{name}_{layer}", mlp_backward.argument_types[name])
                     for name in transposed]
        grad = "dy"
        for layer in reversed(range(layers)):
            f = f"f{layer}"
            b = f"b{layer}"
            # What the layer's forward saved, in the types the backward reads.
            saved = [
                f"%gate_{b} = arith.truncf %g_{f} : tensor<4096x3584xf32> to tensor<4096x3584xbf16>",
                f"%up_{b} = arith.truncf %u_{f} : tensor<4096x3584xf32> to tensor<4096x3584xbf16>",
                f"%eh_{b} = tensor.empty() : tensor<3584x4096xbf16>",
                f"%h_t_{b} = linalg.transpose ins(%h16_{f} : tensor<4096x3584xbf16>) outs(%eh_{b} : tensor<3584x4096xbf16>) permutation = [1, 0]",
                f"%ex_{b} = tensor.empty() : tensor<8192x4096xbf16>",
                f"%x_t_{b} = linalg.transpose ins(%t2_{f} : tensor<4096x8192xbf16>) outs(%ex_{b} : tensor<8192x4096xbf16>) permutation = [1, 0]",
            ]
            bound = {"dy": grad, "x": f"t2_{f}", "h": f"h16_{f}",
                     "gate": f"gate_{b}", "up": f"up_{b}",
                     "h_t": f"h_t_{b}", "x_t": f"x_t_{b}"}
            bound.update({name: f"{name}_{layer}" for name in transposed})
            lines, [(dx, _), *grads] = mlp_backward.instantiate(b, bound)
            body.append(f"// Layer {layer} MLP backward.")
            body += saved + lines
            # The residual carries the incoming gradient past the MLP block.
            body += [
                f"%dy32_{b} = arith.extf %{grad} : tensor<512x8192xbf16> to tensor<512x8192xf32>",
                f"%dres_{b} = arith.addf %dy32_{b}, %{dx} : tensor<512x8192xf32>",
                f"%dnext_{b} = arith.truncf %dres_{b} : tensor<512x8192xf32> to tensor<512x8192xbf16>",
            ]
            grad = f"dnext_{b}"
            results += grads
        results.append((grad, mlp_backward.argument_types["dy"]))

    mode = "forward-backward" if backward else "forward"
    name = mode.replace("-", "_")
    header = f"// Generated by bench/compile/generate.py {layers} {mode}: do not edit."
    out = [header, forward.grid, ""]
    out.append(f"func.func @{name}(" +
               ", ".join(f"%{n}: {t}" for n, t in args) + ")")
    out.append("    -> (" + ", ".join(t for _, t in results) + ") {")
    out += ["  " + line for line in body]
    out.append("  return " + ", ".join("%" + n for n, _ in results) + " : " +
               ", ".join(t for _, t in results))
    out.append("}")
    return "\n".join(out) + "\n"


def main(argv):
    if len(argv) != 4 or argv[2] not in ("forward", "forward-backward"):
        sys.exit(f"usage: {argv[0]} N {{forward,forward-backward}} OUTPUT")
    try:
        layers = int(argv[1])
    except ValueError:
        layers = 0
    if layers < 1:
        sys.exit(f"{argv[0]}: error: N must be a positive integer, got '{argv[1]}'")
    Path(argv[3]).write_text(generate(layers, argv[2] == "forward-backward"))


if __name__ == "__main__":
    main(sys.argv)
