"""braid-import-stablehlo: placeholder until the importer lands."""
import sys
def main() -> int:
    print("braid-import-stablehlo: not implemented yet", file=sys.stderr)
    return 2
