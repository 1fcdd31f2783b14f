//===- Passes.td - braid conversion passes -------------------*- tablegen -*-===//

#ifndef BRAID_CONVERSION_PASSES_TD
#define BRAID_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertBraidToEmitC : Pass<"convert-braid-to-emitc", "::mlir::ModuleOp"> {
  let summary = "Lower a buffer-level braid program to EmitC host code (CPU or CUDA target)";
  let description = [{
    Input: the buffer level (docs/Lowering.md): one function on memrefs with
    an arena argument, braid.cmd.* ops, linalg on memrefs, scf, arith and
    math. Output: an EmitC module whose C++ (`braid-translate
    --braid-to-cpp`) is one step of the program, calling the runtime's
    braid_exec and kernel functions (runtime/include/braid_rt/
    braid_emitted.h), plus the program descriptor (braid_program.h).

    - linalg.matmul / batch_matmul with row-major operands -> the runtime
      GEMM; every other linalg op -> loops (linalg-to-loops), one loop nest
      per op, so element-wise chains fused beforehand become one nest;
    - braid.cmd.compute around a layer op -> its runtime kernel;
    - braid.cmd.* collectives -> braid_exec_* on the communicator of their
      grid and axes, on the stream of their launch;
    - braid.cmd.launch -> fork, its body issued on its stream, an event
      record; braid.cmd.wait -> a host wait on that event;
    - memrefs -> pointers (static strides and offsets computed at each
      access), bf16/f16 stored as uint16_t and computed in f32;
    - upstream arith/scf/func/math -> EmitC through upstream patterns.

    The CUDA target (`target=cuda`, or the module attribute
    `braid.device = "cuda"` that `braid-compile --target=cuda` sets) emits
    the same host code against `braid_rt/braid_emitted_cuda.h`: buffers
    live in device memory, the kernels and the GEMM are the runtime's CUDA
    ones on the stream of their launch, and every other linalg op becomes
    a `__global__` function of its own (its leading parallel loops spread
    over the threads of a grid-stride loop, the rest sequential in each
    thread, so a reduction keeps the interpreter's order), launched by the
    host. Host code that would read device memory (a scalar load outside
    a loop nest) is refused with a located error.

    An op it cannot lower is a located error naming the op.
  }];
  let options = [
    Option<"target", "target", "std::string", /*default=*/"\"\"",
           "cpu or cuda (default: the module's braid.device attribute, "
           "else cpu)">
  ];
  let dependentDialects = ["::mlir::emitc::EmitCDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::arith::ArithDialect"];
}

#endif // BRAID_CONVERSION_PASSES_TD
