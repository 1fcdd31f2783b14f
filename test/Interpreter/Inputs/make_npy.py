"""Writes the .npy files bad-inputs.mlir feeds to braid-interp, and checks
the results of the good ones."""
import os
import sys

import numpy as np

root = sys.argv[1]
good = np.arange(8, dtype=np.float32).reshape(2, 4)

if len(sys.argv) > 2 and sys.argv[2] == "--check-output":
    out = sys.argv[3]
    inputs = [np.load(f"{root}/good/rank{r}/arg0.npy") for r in range(2)]
    expected = inputs[0] + inputs[1]
    for r in range(2):
        got = np.load(f"{out}/rank{r}/result0.npy")
        if got.dtype != np.float32 or not np.array_equal(got, expected):
            sys.exit(f"rank {r}: got {got!r}, expected {expected!r}")
    sys.exit(0)

np.save(f"{root}/dtype/arg0.npy", good.astype(np.float64))
np.save(f"{root}/shape/arg0.npy", np.zeros((3, 4), np.float32))
with open(f"{root}/header/arg0.npy", "wb") as f:
    header = b"{'fortran_order': False}".ljust(118) + b"\n"
    f.write(b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header)
with open(f"{root}/magic/arg0.npy", "wb") as f:
    f.write(b"PK\x03\x04 not a numpy file")
np.save(f"{root}/truncated/arg0.npy", good)
with open(f"{root}/truncated/arg0.npy", "r+b") as f:
    size = os.path.getsize(f"{root}/truncated/arg0.npy")
    f.truncate(size - 20)
np.save(f"{root}/fortran/arg0.npy", np.asfortranarray(good))
for r in range(2):
    os.makedirs(f"{root}/good/rank{r}", exist_ok=True)
    np.save(f"{root}/good/rank{r}/arg0.npy", good * (r + 1))
