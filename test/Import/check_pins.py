"""Checks that python/pyproject.toml's dependency ranges (base and every
extra) hold the exact pins of python/requirements.txt, and that every
dependency is pinned there: `pip install ./python` then resolves to what CI
tests.

    python check_pins.py PYTHON_DIR
"""
import re
import sys
import tomllib

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name


def main(python_dir):
    with open(f"{python_dir}/pyproject.toml", "rb") as f:
        project = tomllib.load(f)["project"]
    pins = {}
    with open(f"{python_dir}/requirements.txt") as f:
        for line in f:
            line = line.split("#")[0].strip()
            if line:
                name, version = re.fullmatch(r"([A-Za-z0-9_.-]+)==(\S+)", line).groups()
                pins[canonicalize_name(name)] = version
    specs = [("dependencies", s) for s in project.get("dependencies", [])]
    for extra, deps in project.get("optional-dependencies", {}).items():
        specs += [(f"[{extra}]", s) for s in deps]
    bad = 0
    for where, spec in specs:
        req = Requirement(spec)
        pin = pins.get(canonicalize_name(req.name))
        if pin is None:
            print(f"pyproject.toml {where}: '{spec}' is not pinned in requirements.txt")
            bad += 1
        elif not req.specifier.contains(pin, prereleases=True):
            print(f"pyproject.toml {where}: '{spec}' does not hold the pin {req.name}=={pin}")
            bad += 1
    print(f"{len(specs) - bad} passed, {bad} failed: pyproject.toml requirements hold "
          f"the requirements.txt pins")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
