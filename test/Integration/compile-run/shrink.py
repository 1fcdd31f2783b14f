"""Writes a small-shape copy of a bundled example (examples/*.mlir are at
model shapes for the estimate): every dimension in the example's map is
replaced, keeping the relations between them (tokens per rank x ranks,
heads x head dim, ...), so the program runs on MPI ranks in seconds.

usage: shrink.py EXAMPLE.mlir OUT.mlir
"""
import os
import re
import sys

MAPS = {
    "gpt3_175b_tp8_mlp": {1024: 8, 8192: 64, 12288: 32, 6144: 16},
    "gpt3_175b_tp16_mlp": {512: 4, 8192: 64, 12288: 32, 3072: 8},
    # 8 query heads of 128 per rank, fused QKV 1280 = (8 + 2) x 128 (the
    # value block at 1152 = 9 x 128).
    "llama70b_tp8_layer": {128: 4, 1024: 32, 1152: 36, 1280: 40, 512: 4, 4096: 32,
                           8192: 16, 3584: 8},
    "llama70b_tp8_mlp_backward": {512: 4, 4096: 32, 8192: 16, 3584: 8},
}


def main():
    source, target = sys.argv[1], sys.argv[2]
    name = os.path.splitext(os.path.basename(source))[0]
    sizes = MAPS[name]
    text = open(source).read()
    pattern = re.compile(r"(?<![\d.])(%s)(?![\d.])" %
                         "|".join(str(k) for k in sorted(sizes, reverse=True)))
    # Only code lines: comments keep the model's shapes.
    lines = [line if line.lstrip().startswith("//")
             else pattern.sub(lambda m: str(sizes[int(m.group(1))]), line)
             for line in text.splitlines(keepends=True)]
    with open(target, "w") as f:
        f.write("".join(lines))


if __name__ == "__main__":
    main()
