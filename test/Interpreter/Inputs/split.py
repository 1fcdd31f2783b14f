"""Splits a test file at '// ----- NAME' markers into DIR/NAME files.

Lets one lit test hold several small programs that must fail differently.
"""
import re
import sys

source, out_dir = sys.argv[1], sys.argv[2]
name, lines = None, []
chunks = {}
for line in open(source):
    match = re.match(r"// ----- (\S+)", line)
    if match:
        if name:
            chunks[name] = lines
        name, lines = match.group(1), []
    elif name:
        lines.append(line)
if name:
    chunks[name] = lines
for chunk_name, chunk_lines in chunks.items():
    with open(f"{out_dir}/{chunk_name}", "w") as f:
        f.writelines(chunk_lines)
