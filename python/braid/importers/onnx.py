"""braid-import-onnx: placeholder until the importer lands."""
import sys
def main() -> int:
    print("braid-import-onnx: not implemented yet", file=sys.stderr)
    return 2
