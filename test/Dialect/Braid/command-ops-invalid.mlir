// RUN: braid-opt %s -split-input-file -verify-diagnostics
// Verifier errors of the buffer-level op family.

shard.grid @tp(shape = 4)
func.func @gather_size(%x: memref<16x8xf32>, %g: memref<32x8xf32>) {
  // expected-error @below {{target holds 256 elements, expected 512 (the source's times the group size 4)}}
  braid.cmd.all_gather %x, %g on @tp axes = [0] : memref<16x8xf32>, memref<32x8xf32>
  return
}

// -----

shard.grid @tp(shape = 3)
func.func @scatter_uneven(%x: memref<16x8xf32>, %s: memref<4x8xf32>) {
  // expected-error @below {{source holds 128 elements, not a multiple of the group size 3}}
  braid.cmd.reduce_scatter %x, %s on @tp axes = [0] reduction = sum : memref<16x8xf32>, memref<4x8xf32>
  return
}

// -----

shard.grid @tp(shape = 4)
func.func @strided(%x: memref<16x8xf32, strided<[16, 1]>>) {
  // expected-error @below {{source 'memref<16x8xf32, strided<[16, 1]>>' is not a contiguous row-major buffer}}
  braid.cmd.all_reduce %x, %x on @tp axes = [0] reduction = sum : memref<16x8xf32, strided<[16, 1]>>, memref<16x8xf32, strided<[16, 1]>>
  return
}

// -----

shard.grid @tp(shape = 4)
func.func @types(%x: memref<16xf32>, %y: memref<16xbf16>) {
  // expected-error @below {{source element type 'f32' differs from target element type 'bf16'}}
  braid.cmd.all_reduce %x, %y on @tp axes = [0] reduction = sum : memref<16xf32>, memref<16xbf16>
  return
}

// -----

shard.grid @tp(shape = 4)
func.func @no_grid(%x: memref<16xf32>) {
  // expected-error @below {{grid @ep is not defined}}
  braid.cmd.all_reduce %x, %x on @ep axes = [0] reduction = sum : memref<16xf32>, memref<16xf32>
  return
}

// -----

shard.grid @tp(shape = 4)
func.func @permute_outside(%x: memref<16xf32>) {
  // expected-error @below {{pair position 4 is outside the group of size 4}}
  braid.cmd.collective_permute %x, %x on @tp axes = [0] pairs = [3, 4] : memref<16xf32>, memref<16xf32>
  return
}

// -----

shard.grid @tp(shape = 4)
func.func @root(%x: memref<16xf32>) {
  // expected-error @below {{root 4 is outside the group of size 4}}
  braid.cmd.broadcast %x, %x on @tp axes = [0] root = 4 : memref<16xf32>, memref<16xf32>
  return
}

// -----

func.func @host_stream(%x: memref<16xf32>) {
  // expected-error @below {{'braid.cmd.launch' op attribute 'stream' failed to satisfy constraint}}
  %e = braid.cmd.launch stream = 0 {
  }
  return
}

// -----

func.func @nested(%x: memref<16xf32>) {
  %e = braid.cmd.launch stream = 1 {
    // expected-error @below {{inside another launch; launches are issued by the host stream}}
    %f = braid.cmd.launch stream = 2 {
    }
  }
  return
}

// -----

func.func @wait_inside(%x: memref<16xf32>) {
  %e = braid.cmd.launch stream = 1 {
  }
  %f = braid.cmd.launch stream = 2 {
    // expected-error @below {{inside a launch; only the host stream waits for events}}
    braid.cmd.wait %e
  }
  return
}

// -----

func.func @wait_arg(%e: !braid.event) {
  // expected-error @below {{waits for an event that no braid.cmd.launch produced}}
  braid.cmd.wait %e
  return
}

// -----

func.func @compute_args(%x: memref<16xf32>, %y: memref<16xf32>) {
  // expected-error @below {{body argument 0 of type 'tensor<8xf32>' is not the tensor of input buffer 'memref<16xf32>'}}
  braid.cmd.compute ins(%x : memref<16xf32>) outs(%y : memref<16xf32>) {
  ^bb0(%t: tensor<8xf32>):
    %e = tensor.empty() : tensor<16xf32>
    braid.cmd.yield %e : tensor<16xf32>
  }
  return
}

// -----

func.func @compute_yield(%x: memref<16xf32>, %y: memref<16xf32>) {
  // expected-error @below {{yielded value 0 of type 'tensor<8xf32>' does not fit output buffer 'memref<16xf32>'}}
  braid.cmd.compute ins(%x : memref<16xf32>) outs(%y : memref<16xf32>) {
  ^bb0(%t: tensor<16xf32>):
    %e = tensor.empty() : tensor<8xf32>
    braid.cmd.yield %e : tensor<8xf32>
  }
  return
}
