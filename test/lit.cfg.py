# -*- Python -*-
import os
import sys

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "BRAID"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.braid_obj_root, "test")
config.excludes = ["CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py", "Inputs", "lib"]

config.substitutions.append(("%PATH%", config.environment["PATH"]))
config.substitutions.append(("%braid_src_root", config.braid_src_root))
config.substitutions.append(("%braid_obj_root", config.braid_obj_root))

llvm_config.with_system_environment(["HOME", "INCLUDE", "LIB", "TMP", "TEMP"])
llvm_config.use_default_substitutions()

tool_dirs = [config.braid_tools_dir, config.llvm_tools_dir]
llvm_config.add_tool_substitutions(
    ["braid-opt", "braid-interp", "braid-validate-cost-model", "braid-compile",
     "braid-translate"], tool_dirs)

# Compiled programs run on the runtime's build tree (scripts/build.sh builds
# it beside the compiler's): braid-run launches them under mpirun.
config.substitutions.append(
    ("%braid-run", os.path.join(config.braid_runtime_build_dir, "tools",
                                "braid-run", "braid-run")))
# braid-calibrate measures this machine into a profile, also on MPI ranks.
config.substitutions.append(
    ("%braid-calibrate", os.path.join(config.braid_runtime_build_dir, "tools",
                                      "braid-calibrate", "braid-calibrate")))

# The Python that runs lit (Debian's, with python3-numpy) runs the numpy
# reference checks.
config.substitutions.append(("%python", sys.executable))
# Differential check of a rewrite, to add to any pass test:
#   RUN: braid-opt %s -some-pass -o %t.mlir
#   RUN: %braid-diff %s --compare=%t.mlir --exact
# Same random inputs for both, several interleavings of ranks and streams.
config.substitutions.append(
    ("%braid-diff", "braid-interp --quiet --schedules=3 --input-seed=11"))

# The importers and the producers they are checked against (JAX,
# onnxruntime) live in the checkout's .venv, made by scripts/install-deps.sh.
# A missing .venv makes the import tests fail, never skip.
venv_bin = os.path.join(config.braid_src_root, ".venv", "bin")
# The importers under test are this checkout's, whatever checkout the .venv's
# editable install points at (a worktree may share another's .venv).
config.environment["PYTHONPATH"] = os.path.join(config.braid_src_root, "python")
config.substitutions.append(("%venv-python", os.path.join(venv_bin, "python")))
config.substitutions.append(
    ("%braid-import-stablehlo", os.path.join(venv_bin, "braid-import-stablehlo")))
config.substitutions.append(
    ("%braid-import-onnx", os.path.join(venv_bin, "braid-import-onnx")))
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.with_environment("PATH", config.braid_tools_dir, append_path=True)

# The CUDA target's builds (test/Integration/cuda): nvcc on PATH and a
# runtime built with CUDA (it writes braid-runtime-link.cmake).
import shutil  # noqa: E402

if shutil.which("nvcc") and os.path.exists(
    os.path.join(config.braid_runtime_build_dir, "braid-runtime-link.cmake")
):
    config.available_features.add("cuda")
config.substitutions.append(
    ("%braid_runtime_build_dir", config.braid_runtime_build_dir))
