// RUN: braid-opt %s -convert-braid-to-emitc=target=cuda -split-input-file -verify-diagnostics

// The CUDA target keeps buffers on the device: host code that reads one
// (a scalar outside a loop nest) is refused, naming the op.
func.func @host_read(%x: memref<4xi32>, %out: memref<4xi32> {braid.result = 0 : i64},
                     %arena: memref<64xi8> {braid.arena}) {
  %c0 = arith.constant 0 : index
  // expected-error @below {{'memref.load' op reads or writes device memory on the host; the CUDA target keeps data on the GPU}}
  %v = memref.load %x[%c0] : memref<4xi32>
  memref.store %v, %out[%c0] : memref<4xi32>
  return
}

// -----

// A layer op without a kernel is named with the target.
func.func @no_kernel(%x: memref<4x8xf32>, %out: memref<4x8xf32> {braid.result = 0 : i64},
                     %arena: memref<64xi8> {braid.arena}) {
  // expected-error @below {{failed to legalize operation 'braid.cmd.compute'}}
  braid.cmd.compute ins(%x : memref<4x8xf32>) outs(%out : memref<4x8xf32>) {
  ^bb0(%tx: tensor<4x8xf32>):
    // expected-error @below {{'arith.negf' op has no runtime kernel on the CUDA target yet}}
    %n = arith.negf %tx : tensor<4x8xf32>
    braid.cmd.yield %n : tensor<4x8xf32>
  }
  return
}

