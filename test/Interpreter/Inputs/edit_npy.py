"""Corrupts a run directory's .npy file the way a broken compiled program
would, for check-outputs.mlir: edit_npy.py FILE ACTION.

ACTION is one of
  scale=F        multiply every element by F
  nudge          move element 3 to the next float up (one ulp)
  add-int        add 1 to element 2 of an integer array
  rows=N         keep the first N rows
  as-f64         store the same values as float64
"""
import sys

import numpy as np

path, action = sys.argv[1], sys.argv[2]
a = np.load(path)
flat = a.reshape(-1)
if action.startswith("scale="):
    a = (a * float(action.split("=")[1])).astype(a.dtype)
elif action == "nudge":
    flat[3] = np.nextafter(flat[3], np.float32(np.inf))
elif action == "add-int":
    flat[2] += 1
elif action.startswith("rows="):
    a = a[: int(action.split("=")[1])]
elif action == "as-f64":
    a = a.astype(np.float64)
else:
    sys.exit(f"unknown action {action}")
np.save(path, a)
