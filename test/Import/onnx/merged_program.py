"""Several imported programs compiled and run as one.

A compiled program is one function, and each braid-compile and braid-run
costs a host-compiler run and an MPI launch. To compile and run many small
imported programs at the same rank count, their functions become private
functions of one module whose @main takes every program's arguments and
returns every program's results, in order; braid-compile inlines them. The
merged program is compiled, its buffer level compared with its tensor level
in the interpreter, run on MPI ranks, and its results checked by the
interpreter under the numerics contract; each program's results are then
read back under their own indices.
"""
import os
import re
import shutil
import subprocess
import sys

import numpy as np


class Failed(Exception):
    pass


# Element types a compiled program cannot take or return (its ABI has no
# i16 or i1), carried as the next wider type: truncated on the way in,
# extended on the way out, so the programs still compute on their own types.
WIDENED = {"i16": ("i32", "arith.extsi", np.int32),
           "i1": ("i8", "arith.extui", np.int8)}


def _element_type(tensor_type):
    inner = tensor_type[len("tensor<"):-1]
    return inner.split("x")[-1]


def _widened(tensor_type):
    """(wide type, extension op, numpy dtype) or None."""
    element = _element_type(tensor_type)
    if element not in WIDENED:
        return None
    wide, extend, dtype = WIDENED[element]
    return tensor_type[:-1 - len(element)] + wide + ">", extend, dtype


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise Failed(f"FAILED: {' '.join(cmd)}\n{p.stdout}{p.stderr}")
    return p


def _split_top_level(text):
    """Comma-separated items, commas inside <>, () or [] excepted."""
    items, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch in "<([{":
            depth += 1
        elif ch in ">)]}":
            depth -= 1
        elif ch == "," and depth == 0:
            items.append(text[start:i].strip())
            start = i + 1
    if text[start:].strip():
        items.append(text[start:].strip())
    return items


def _signature(text, name):
    """(argument types, result types) of `func.func @name` in text."""
    head = re.search(r"func\.func @" + re.escape(name) + r"\(", text)
    if not head:
        raise Failed(f"no func.func @{name} in the imported program")
    i, depth = head.end(), 1
    while depth:
        depth += {"(": 1, ")": -1}.get(text[i], 0)
        i += 1
    args = [a.split(":", 1)[1].strip()
            for a in _split_top_level(text[head.end():i - 1])]
    rest = text[i:].lstrip()
    results = []
    if rest.startswith("->"):
        rest = rest[2:].lstrip()
        if rest.startswith("("):
            j, depth = 1, 1
            while depth:
                depth += {"(": 1, ")": -1}.get(rest[j], 0)
                j += 1
            results = _split_top_level(rest[1:j - 1])
        else:
            results = [rest.split()[0]]
    return args, results


class MergedProgram:
    """Programs added with add() (the text of one imported function @main
    plus its module-level declarations, and its per-rank inputs
    DIR/rankR/argN.npy), then written, compiled and run with build()."""

    def __init__(self, workdir, np_):
        self.workdir = workdir
        self.np = np_
        self.decls = []
        self.funcs = []
        self.calls = []  # (callee, first arg, arg types, first result, result types)
        self.inputs = []  # (merged arg index, input dir, arg index, type)
        self.num_args = 0
        self.num_results = 0

    def add(self, text, inputs_dir):
        """Adds a program; returns the index of its first result in the
        merged program."""
        callee = f"program{len(self.calls)}"
        args, results = _signature(text, "main")
        body = []
        for line in text.splitlines():
            if line.startswith("shard.grid"):
                if line not in self.decls:
                    self.decls.append(line)
            elif not line.startswith("//"):
                body.append(line)
        func = "\n".join(body).replace("func.func @main(",
                                       f"func.func private @{callee}(", 1)
        self.funcs.append(func)
        for k, arg_type in enumerate(args):
            self.inputs.append((self.num_args + k, inputs_dir, k, arg_type))
        first = self.num_results
        self.calls.append((callee, self.num_args, args, first, results))
        self.num_args += len(args)
        self.num_results += len(results)
        return first

    def text(self):
        def boundary(t):
            w = _widened(t)
            return w[0] if w else t
        arg_types = [boundary(t) for c in self.calls for t in c[2]]
        result_types = [boundary(t) for c in self.calls for t in c[4]]
        lines = list(self.decls) + self.funcs
        sig = ", ".join(f"%a{i}: {t}" for i, t in enumerate(arg_types))
        lines.append(f"func.func @main({sig}) -> ({', '.join(result_types)}) {{")
        returned = []
        for n, (callee, first_arg, args, _, results) in enumerate(self.calls):
            operands = []
            for k, t in enumerate(args):
                operand = f"%a{first_arg + k}"
                w = _widened(t)
                if w:
                    lines.append(f"  %n{first_arg + k} = arith.trunci {operand} : "
                                 f"{w[0]} to {t}")
                    operand = f"%n{first_arg + k}"
                operands.append(operand)
            fn_type = f"({', '.join(args)}) -> ({', '.join(results)})"
            lhs = f"%r{n}:{len(results)}" if len(results) > 1 else f"%r{n}"
            lines.append(f"  {lhs} = func.call @{callee}({', '.join(operands)}) "
                         f": {fn_type}")
            for k, t in enumerate(results):
                value = f"%r{n}#{k}" if len(results) > 1 else f"%r{n}"
                w = _widened(t)
                if w:
                    lines.append(f"  %w{n}_{k} = {w[1]} {value} : {t} to {w[0]}")
                    value = f"%w{n}_{k}"
                returned.append(value)
        lines.append(f"  return {', '.join(returned)} : {', '.join(result_types)}")
        lines.append("}")
        return "\n".join(lines) + "\n"

    def build(self, compile_tool, run_tool, interp, flags=()):
        """Writes, compiles, checks and runs the merged program; returns the
        run directory (rankR/resultN.npy under merged indices)."""
        if os.path.exists(self.workdir):
            shutil.rmtree(self.workdir)
        os.makedirs(self.workdir)
        mlir = os.path.join(self.workdir, "merged.mlir")
        with open(mlir, "w") as f:
            f.write(self.text())
        indir = os.path.join(self.workdir, "in")
        for r in range(self.np):
            os.makedirs(os.path.join(indir, f"rank{r}"))
            for merged, src, k, arg_type in self.inputs:
                source = os.path.join(src, f"rank{r}", f"arg{k}.npy")
                target = os.path.join(indir, f"rank{r}", f"arg{merged}.npy")
                w = _widened(arg_type)
                if w:
                    np.save(target, np.load(source).astype(w[2]))
                else:
                    os.link(source, target)
        so = os.path.join(self.workdir, "merged.so")
        buffers = os.path.join(self.workdir, "buffers.mlir")
        run([compile_tool, mlir, "-o", so, "--emit-buffers", buffers] + list(flags))
        # The buffer level equals the tensor level in the interpreter.
        # (on the real inputs: random ones would put indices out of range).
        run([interp, "--quiet", "--schedules=2", mlir, f"--inputs={indir}",
             f"--compare={buffers}"])
        out = os.path.join(self.workdir, "run")
        run([run_tool, so, "--np", str(self.np), "--inputs", indir,
             "--output-dir", out, "--iters", "1", "--warmup", "0",
             "--timeout", "120"])
        # The compiled results meet the numerics contract against the
        # interpreter's run of the same program on the same inputs.
        run([interp, "--quiet", mlir, f"--inputs={indir}",
             f"--check-outputs={out}"])
        return out


if __name__ == "__main__":
    sys.exit("merged_program.py is a helper of compile_models.py and backend_ops.py")
