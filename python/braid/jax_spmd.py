"""The per-device program XLA's SPMD partitioner makes of a jitted JAX
program, as StableHLO text for braid-import-stablehlo.

    from braid.jax_spmd import partitioned_stablehlo
    text = partitioned_stablehlo(jax.jit(step).lower(*args))

Runs in the JAX process (it compiles the program). A `jit` whose arguments
carry `NamedSharding`s and whose body has sharding constraints but no
`shard_map` is partitioned by XLA (Shardy propagation, then the SPMD
partitioner); this returns the module right after the `spmd-partitioning`
pass -- per-device shapes, explicit collectives, nothing fused yet --
converted back to StableHLO with jaxlib's own HLO importer. That is exactly
the partitioning JAX runs, so braid's per-rank program computes what JAX
computes (docs/Import.md, "Auto-sharded programs"; docs/Rationale.md says
why this partitioner).
"""

from __future__ import annotations

import glob
import os
import tempfile

_PASS = "spmd-partitioning"


def _field1(proto: bytes) -> bytes:
    """Field 1 (hlo_module) of a serialized xla.HloProto: the dump wraps the
    HloModuleProto that the HLO importer takes."""
    if not proto or proto[0] != 0x0A:
        raise ValueError("not an HloProto dump (field 1 missing)")
    n, shift, i = 0, 0, 1
    while True:
        c = proto[i]
        i += 1
        n |= (c & 0x7F) << shift
        shift += 7
        if c < 0x80:
            break
    return proto[i:i + n]


def partitioned_stablehlo(lowered) -> str:
    """StableHLO text of the partitioned per-device module of `lowered`
    (what `jax.jit(f).lower(*args)` returns)."""
    from jax._src.interpreters import mlir as jmlir
    from jax._src.lib import xla_client
    from jax._src.lib.mlir import ir

    with tempfile.TemporaryDirectory(prefix="braid-spmd-") as d:
        lowered.compile(compiler_options={
            "xla_dump_to": d,
            "xla_dump_hlo_pass_re": _PASS,
            "xla_dump_hlo_as_proto": True,
            "xla_dump_hlo_as_text": False,
        })
        dumps = sorted(glob.glob(os.path.join(d, f"*.after_{_PASS}.*hlo.pb")))
        if not dumps:
            raise RuntimeError(f"XLA wrote no module after '{_PASS}' (is the program "
                               "partitioned at all? it needs more than one device)")
        with open(dumps[-1], "rb") as fh:
            module_proto = _field1(fh.read())
    bytecode = xla_client._xla.mlir.hlo_to_stablehlo(module_proto)
    source = lowered.compiler_ir("stablehlo").operation.attributes
    with jmlir.make_ir_context(), ir.Location.unknown():
        module = ir.Module.parse(bytecode)
        # the HLO importer drops the partition count: the grid's size
        for key in ("mhlo.num_partitions", "mhlo.num_replicas"):
            if key in source:
                module.operation.attributes[key] = ir.IntegerAttr.get(
                    ir.IntegerType.get_signless(32), ir.IntegerAttr(source[key]).value)
        return module.operation.get_asm(large_elements_limit=None, enable_debug_info=False)
