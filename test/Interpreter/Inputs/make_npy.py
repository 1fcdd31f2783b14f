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


def write(name, content):
    os.makedirs(f"{root}/{name}", exist_ok=True)
    with open(f"{root}/{name}/arg0.npy", "wb") as f:
        f.write(content)


def with_header(text, data=good.tobytes(), version=1):
    """A .npy file with the header dict `text` (padded as NumPy does)."""
    header = text.encode("latin-1")
    prefix = 10 if version == 1 else 12
    header += b" " * ((64 - (prefix + len(header) + 1) % 64) % 64) + b"\n"
    size = len(header).to_bytes(2 if version == 1 else 4, "little")
    return b"\x93NUMPY" + bytes([version, 0]) + size + header + data


np.save(f"{root}/dtype/arg0.npy", good.astype(np.float64))
np.save(f"{root}/shape/arg0.npy", np.zeros((3, 4), np.float32))
write("header", with_header("{'fortran_order': False}"))
write("magic", b"PK\x03\x04 not a numpy file")
np.save(f"{root}/truncated/arg0.npy", good)
with open(f"{root}/truncated/arg0.npy", "r+b") as f:
    size = os.path.getsize(f"{root}/truncated/arg0.npy")
    f.truncate(size - 20)
np.save(f"{root}/fortran/arg0.npy", np.asfortranarray(good))
write("nobrace", with_header("{'descr': '<f4', 'fortran_order': False, "
                             "'shape': (2, 4), "))
# Sizes that cannot be allocated: the file's length is checked first.
write("huge", with_header("{'descr': '<f4', 'fortran_order': False, "
                          "'shape': (1099511627776, 4), }"))
write("overflow", with_header("{'descr': '<f4', 'fortran_order': False, "
                              "'shape': (4611686018427387904, "
                              "4611686018427387904), }"))
write("overflow3", with_header(
    "{'descr': '<f4', 'fortran_order': False, 'shape': "
    "(9223372036854775807, 9223372036854775807, 9223372036854775807), }",
    version=2))
write("headerlength", b"\x93NUMPY\x02\x00\xff\xff\xff\xff{}")
write("empty", b"")
write("version", b"\x93NUMPY\x09\x00\x10\x00" + b" " * 16)
write("complex", with_header("{'descr': '<c8', 'fortran_order': False, "
                             "'shape': (2, 2), }"))
write("binary", with_header("{'descr': '<f4\xff\x01', 'fortran_order': "
                            "False, 'shape': (2, 4), }"))
write("negative", with_header("{'descr': '<f4', 'fortran_order': False, "
                              "'shape': (-2, -4), }"))
# rank0/ is there, rank1/arg0.npy is not.
os.makedirs(f"{root}/missingrank/rank0", exist_ok=True)
np.save(f"{root}/missingrank/rank0/arg0.npy", good)
for r in range(2):
    os.makedirs(f"{root}/good/rank{r}", exist_ok=True)
    np.save(f"{root}/good/rank{r}/arg0.npy", good * (r + 1))
    os.makedirs(f"{root}/extra/rank{r}", exist_ok=True)
    np.save(f"{root}/extra/rank{r}/arg0.npy", good * (r + 1))
# Inputs the program does not read: a typo, an argument it does not have,
# a shared file every rank's own overrides, a rank it does not run.
np.save(f"{root}/extra/rank1/arg_0.npy", good)
np.save(f"{root}/extra/arg1.npy", good)
np.save(f"{root}/extra/arg0.npy", good)
os.makedirs(f"{root}/extra/rank2", exist_ok=True)
