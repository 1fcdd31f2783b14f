"""Braid's Python side: importers that print Braid IR text.

Each importer runs in its own process (jaxlib's bundled MLIR must never share
a process with Braid's LLVM 22) and hands `braid-opt` text.
"""
