// RUN: braid-opt %s -braid-raise-layer-ops | FileCheck %s
// RUN: braid-opt %s -braid-raise-layer-ops -braid-explain --mlir-print-op-on-diagnostic=false -o %t.ignored 2>&1 | FileCheck %s --check-prefix=REMARK
// The raised ops compute in f32 and round once: the f64-relative contract.
// RUN: braid-opt %s -braid-raise-layer-ops -o %t.mlir
// RUN: %braid-diff %s --compare=%t.mlir --tolerance-factor=4 --entry=silu_call
// RUN: %braid-diff %s --compare=%t.mlir --tolerance-factor=4 --entry=silu_div
// RUN: %braid-diff %s --compare=%t.mlir --tolerance-factor=4 --entry=swiglu_bf16
// RUN: %braid-diff %s --compare=%t.mlir --tolerance-factor=4 --entry=swiglu_f32
// RUN: %braid-diff %s --compare=%t.mlir --tolerance-factor=4 --entry=sigmoid
// RUN: %braid-diff %s --compare=%t.mlir --tolerance-factor=4 --entry=gelu_erf
// RUN: %braid-diff %s --compare=%t.mlir --tolerance-factor=4 --entry=gelu_tanh
// RUN: %braid-diff %s --compare=%t.mlir --tolerance-factor=4 --entry=sigmoid_used_twice
// RUN: %braid-diff %s --compare=%t.mlir --exact --entry=relu_call
// RUN: %braid-diff %s --compare=%t.mlir --tolerance-factor=4 --entry=gelu_erfc

// JAX's library function: `call @silu` to a private function whose body is
// negate / exponential / add / divide / multiply. The call becomes the op
// and the function, no longer called, goes.
// CHECK-NOT: func.func private @silu
// CHECK-LABEL: func.func @silu_call
// CHECK-SAME: (%[[X:.*]]: tensor<4x32xf32>)
// CHECK-NEXT: %[[Y:.*]] = braid.activation silu %[[X]] : tensor<4x32xf32>
// CHECK-NEXT: return %[[Y]]
// REMARK-DAG: remark: raised to braid.activation silu (body of @silu)
func.func private @silu(%x: tensor<4x32xf32>) -> tensor<4x32xf32> {
  %neg = arith.negf %x : tensor<4x32xf32>
  %exp = math.exp %neg : tensor<4x32xf32>
  %one = arith.constant dense<1.0> : tensor<4x32xf32>
  %den = arith.addf %one, %exp : tensor<4x32xf32>
  %sig = arith.divf %one, %den : tensor<4x32xf32>
  %y = arith.mulf %x, %sig : tensor<4x32xf32>
  return %y : tensor<4x32xf32>
}
func.func @silu_call(%x: tensor<4x32xf32>) -> tensor<4x32xf32> {
  %y = func.call @silu(%x) : (tensor<4x32xf32>) -> tensor<4x32xf32>
  return %y : tensor<4x32xf32>
}

// x / (1 + exp(-x)), inline.
// CHECK-LABEL: func.func @silu_div
// CHECK-SAME: (%[[X:.*]]: tensor<64xf32>)
// CHECK-NEXT: %[[Y:.*]] = braid.activation silu %[[X]] : tensor<64xf32>
// CHECK-NEXT: return %[[Y]]
func.func @silu_div(%x: tensor<64xf32>) -> tensor<64xf32> {
  %neg = arith.negf %x : tensor<64xf32>
  %exp = math.exp %neg : tensor<64xf32>
  %one = arith.constant dense<1.0> : tensor<64xf32>
  %den = arith.addf %exp, %one : tensor<64xf32>
  %y = arith.divf %x, %den : tensor<64xf32>
  return %y : tensor<64xf32>
}

// bf16 gate and up, the silu computed in f32 and truncated: one bf16
// braid.swiglu.
// CHECK-LABEL: func.func @swiglu_bf16
// CHECK-SAME: (%[[G:.*]]: tensor<8x64xbf16>, %[[U:.*]]: tensor<8x64xbf16>)
// CHECK-NEXT: %[[Y:.*]] = braid.swiglu %[[G]], %[[U]] : tensor<8x64xbf16>
// CHECK-NEXT: return %[[Y]]
// REMARK-DAG: remark: raised to braid.swiglu
func.func @swiglu_bf16(%gb: tensor<8x64xbf16>, %u: tensor<8x64xbf16>) -> tensor<8x64xbf16> {
  %g = arith.extf %gb : tensor<8x64xbf16> to tensor<8x64xf32>
  %neg = arith.negf %g : tensor<8x64xf32>
  %exp = math.exp %neg : tensor<8x64xf32>
  %one = arith.constant dense<1.0> : tensor<8x64xf32>
  %den = arith.addf %one, %exp : tensor<8x64xf32>
  %sig = arith.divf %one, %den : tensor<8x64xf32>
  %s = arith.mulf %sig, %g : tensor<8x64xf32>
  %sb = arith.truncf %s : tensor<8x64xf32> to tensor<8x64xbf16>
  %y = arith.mulf %sb, %u : tensor<8x64xbf16>
  return %y : tensor<8x64xbf16>
}

// silu(g) * u through the private function, all f32.
// CHECK-LABEL: func.func @swiglu_f32
// CHECK-SAME: (%[[G:.*]]: tensor<4x32xf32>, %[[U:.*]]: tensor<4x32xf32>)
// CHECK-NEXT: %[[Y:.*]] = braid.swiglu %[[G]], %[[U]] : tensor<4x32xf32>
// CHECK-NEXT: return %[[Y]]
func.func @swiglu_f32(%g: tensor<4x32xf32>, %u: tensor<4x32xf32>) -> tensor<4x32xf32> {
  %s = func.call @silu(%g) : (tensor<4x32xf32>) -> tensor<4x32xf32>
  %y = arith.mulf %u, %s : tensor<4x32xf32>
  return %y : tensor<4x32xf32>
}

// CHECK-LABEL: func.func @sigmoid
// CHECK-NEXT: braid.activation sigmoid
// CHECK-NEXT: return
func.func @sigmoid(%x: tensor<16xf32>) -> tensor<16xf32> {
  %neg = arith.negf %x : tensor<16xf32>
  %exp = math.exp %neg : tensor<16xf32>
  %one = arith.constant dense<1.0> : tensor<16xf32>
  %den = arith.addf %one, %exp : tensor<16xf32>
  %sig = arith.divf %one, %den : tensor<16xf32>
  return %sig : tensor<16xf32>
}

// 0.5 * x * (1 + erf(x * 1/sqrt(2))).
// CHECK-LABEL: func.func @gelu_erf
// CHECK-SAME: (%[[X:.*]]: tensor<4x16xf32>)
// CHECK-NEXT: braid.activation gelu %[[X]]
// CHECK-NEXT: return
func.func @gelu_erf(%x: tensor<4x16xf32>) -> tensor<4x16xf32> {
  %c = arith.constant dense<0.707106769> : tensor<4x16xf32>
  %u = arith.mulf %x, %c : tensor<4x16xf32>
  %erf = math.erf %u : tensor<4x16xf32>
  %one = arith.constant dense<1.0> : tensor<4x16xf32>
  %cdf = arith.addf %erf, %one : tensor<4x16xf32>
  %half = arith.constant dense<0.5> : tensor<4x16xf32>
  %hx = arith.mulf %half, %x : tensor<4x16xf32>
  %y = arith.mulf %hx, %cdf : tensor<4x16xf32>
  return %y : tensor<4x16xf32>
}

// jax.nn.gelu(approximate=True): x * 0.5 * (1 + tanh(sqrt(2/pi) * (x +
// 0.044715 * x * x * x))).
// CHECK-LABEL: func.func @gelu_tanh
// CHECK-SAME: (%[[X:.*]]: tensor<4x16xf32>)
// CHECK-NEXT: braid.activation gelu_tanh %[[X]]
// CHECK-NEXT: return
func.func @gelu_tanh(%x: tensor<4x16xf32>) -> tensor<4x16xf32> {
  %x2 = arith.mulf %x, %x : tensor<4x16xf32>
  %x3 = arith.mulf %x, %x2 : tensor<4x16xf32>
  %k = arith.constant dense<0.044715> : tensor<4x16xf32>
  %kx3 = arith.mulf %k, %x3 : tensor<4x16xf32>
  %in = arith.addf %x, %kx3 : tensor<4x16xf32>
  %s = arith.constant dense<0.797884583> : tensor<4x16xf32>
  %arg = arith.mulf %s, %in : tensor<4x16xf32>
  %t = math.tanh %arg : tensor<4x16xf32>
  %one = arith.constant dense<1.0> : tensor<4x16xf32>
  %p = arith.addf %one, %t : tensor<4x16xf32>
  %half = arith.constant dense<0.5> : tensor<4x16xf32>
  %cdf = arith.mulf %half, %p : tensor<4x16xf32>
  %y = arith.mulf %x, %cdf : tensor<4x16xf32>
  return %y : tensor<4x16xf32>
}

// Near misses.

// The sigmoid is also returned: it is raised on its own, the silu is not.
// CHECK-LABEL: func.func @sigmoid_used_twice
// CHECK-SAME: (%[[X:.*]]: tensor<16xf32>)
// CHECK-NEXT: %[[S:.*]] = braid.activation sigmoid %[[X]]
// CHECK-NEXT: %[[Y:.*]] = arith.mulf %[[X]], %[[S]]
// CHECK-NEXT: return %[[Y]], %[[S]]
// REMARK-DAG: remark: activation silu not raised: an intermediate has other users
func.func @sigmoid_used_twice(%x: tensor<16xf32>) -> (tensor<16xf32>, tensor<16xf32>) {
  %neg = arith.negf %x : tensor<16xf32>
  %exp = math.exp %neg : tensor<16xf32>
  %one = arith.constant dense<1.0> : tensor<16xf32>
  %den = arith.addf %one, %exp : tensor<16xf32>
  %sig = arith.divf %one, %den : tensor<16xf32>
  %y = arith.mulf %x, %sig : tensor<16xf32>
  return %y, %sig : tensor<16xf32>, tensor<16xf32>
}

// 2 + exp(-x) is no sigmoid.
// CHECK-LABEL: func.func @wrong_constant
// CHECK-NOT: braid.activation
// CHECK: return
func.func @wrong_constant(%x: tensor<16xf32>) -> tensor<16xf32> {
  %neg = arith.negf %x : tensor<16xf32>
  %exp = math.exp %neg : tensor<16xf32>
  %two = arith.constant dense<2.0> : tensor<16xf32>
  %den = arith.addf %two, %exp : tensor<16xf32>
  %y = arith.divf %x, %den : tensor<16xf32>
  return %y : tensor<16xf32>
}

// a * sigmoid(b): only the sigmoid is raised.
// CHECK-LABEL: func.func @different_operands
// CHECK: braid.activation sigmoid
// CHECK-NOT: braid.activation silu
// CHECK: arith.mulf
func.func @different_operands(%a: tensor<16xf32>, %b: tensor<16xf32>) -> tensor<16xf32> {
  %neg = arith.negf %b : tensor<16xf32>
  %exp = math.exp %neg : tensor<16xf32>
  %one = arith.constant dense<1.0> : tensor<16xf32>
  %den = arith.addf %one, %exp : tensor<16xf32>
  %sig = arith.divf %one, %den : tensor<16xf32>
  %y = arith.mulf %a, %sig : tensor<16xf32>
  return %y : tensor<16xf32>
}

// The silu has a second user: no swiglu.
// CHECK-LABEL: func.func @silu_used_twice
// CHECK: braid.activation silu
// CHECK-NOT: braid.swiglu
// REMARK-DAG: remark: swiglu not raised: the silu has other users
func.func @silu_used_twice(%g: tensor<4x32xf32>, %u: tensor<4x32xf32>) -> (tensor<4x32xf32>, tensor<4x32xf32>) {
  %s = func.call @silu(%g) : (tensor<4x32xf32>) -> tensor<4x32xf32>
  %y = arith.mulf %u, %s : tensor<4x32xf32>
  return %y, %s : tensor<4x32xf32>, tensor<4x32xf32>
}

// GELU with 0.6 where 1/sqrt(2) belongs.
// CHECK-LABEL: func.func @gelu_wrong_scale
// CHECK-NOT: braid.activation
// CHECK: math.erf
func.func @gelu_wrong_scale(%x: tensor<4x16xf32>) -> tensor<4x16xf32> {
  %c = arith.constant dense<0.6> : tensor<4x16xf32>
  %u = arith.mulf %x, %c : tensor<4x16xf32>
  %erf = math.erf %u : tensor<4x16xf32>
  %one = arith.constant dense<1.0> : tensor<4x16xf32>
  %cdf = arith.addf %erf, %one : tensor<4x16xf32>
  %half = arith.constant dense<0.5> : tensor<4x16xf32>
  %hx = arith.mulf %half, %x : tensor<4x16xf32>
  %y = arith.mulf %hx, %cdf : tensor<4x16xf32>
  return %y : tensor<4x16xf32>
}

// A public function is an entry point, not a helper: its calls stay.
// CHECK-LABEL: func.func @public_helper
// CHECK: call @silu_public
func.func @silu_public(%x: tensor<16xf32>) -> tensor<16xf32> {
  %neg = arith.negf %x : tensor<16xf32>
  %exp = math.exp %neg : tensor<16xf32>
  %one = arith.constant dense<1.0> : tensor<16xf32>
  %den = arith.addf %one, %exp : tensor<16xf32>
  %y = arith.divf %x, %den : tensor<16xf32>
  return %y : tensor<16xf32>
}
func.func @public_helper(%x: tensor<16xf32>) -> tensor<16xf32> {
  %y = func.call @silu_public(%x) : (tensor<16xf32>) -> tensor<16xf32>
  return %y : tensor<16xf32>
}

// jax.nn.relu, through its private helper: max(x, 0).
// CHECK-LABEL: func.func @relu_call
// CHECK-SAME: (%[[X:.*]]: tensor<16xf32>)
// CHECK-NEXT: %[[Y:.*]] = braid.activation relu %[[X]] : tensor<16xf32>
// CHECK-NEXT: return %[[Y]]
func.func private @relu(%x: tensor<16xf32>) -> tensor<16xf32> {
  %zero = arith.constant dense<0.0> : tensor<16xf32>
  %y = arith.maximumf %x, %zero : tensor<16xf32>
  return %y : tensor<16xf32>
}
func.func @relu_call(%x: tensor<16xf32>) -> tensor<16xf32> {
  %y = func.call @relu(%x) : (tensor<16xf32>) -> tensor<16xf32>
  return %y : tensor<16xf32>
}

// max(x, 1) is no relu.
// CHECK-LABEL: func.func @max_with_one
// CHECK: arith.maximumf
func.func @max_with_one(%x: tensor<16xf32>) -> tensor<16xf32> {
  %one = arith.constant dense<1.0> : tensor<16xf32>
  %y = arith.maximumf %x, %one : tensor<16xf32>
  return %y : tensor<16xf32>
}

// jax.nn.gelu(approximate=False) as the importer emits it: 0.5 * x *
// erfc(-x * 1/sqrt(2)).
// CHECK-LABEL: func.func @gelu_erfc
// CHECK-SAME: (%[[X:.*]]: tensor<4x64xf32>)
// CHECK-NEXT: %[[Y:.*]] = braid.activation gelu %[[X]]
// CHECK-NEXT: return %[[Y]]
func.func @gelu_erfc(%x: tensor<4x64xf32>) -> tensor<4x64xf32> {
  %half = arith.constant dense<0.5> : tensor<4x64xf32>
  %hx = arith.mulf %half, %x : tensor<4x64xf32>
  %neg = arith.negf %x : tensor<4x64xf32>
  %c = arith.constant dense<0.7071067690849304> : tensor<4x64xf32>
  %u = arith.mulf %neg, %c : tensor<4x64xf32>
  %e = math.erfc %u : tensor<4x64xf32>
  %y = arith.mulf %hx, %e : tensor<4x64xf32>
  return %y : tensor<4x64xf32>
}

// erfc(+x / sqrt 2) is 1 - erf: not a GELU.
// CHECK-LABEL: func.func @erfc_wrong_sign
// CHECK-NOT: braid.activation
// CHECK: math.erfc
func.func @erfc_wrong_sign(%x: tensor<4x64xf32>) -> tensor<4x64xf32> {
  %half = arith.constant dense<0.5> : tensor<4x64xf32>
  %hx = arith.mulf %half, %x : tensor<4x64xf32>
  %c = arith.constant dense<0.7071067690849304> : tensor<4x64xf32>
  %u = arith.mulf %x, %c : tensor<4x64xf32>
  %e = math.erfc %u : tensor<4x64xf32>
  %y = arith.mulf %hx, %e : tensor<4x64xf32>
  return %y : tensor<4x64xf32>
}

// Invalid inputs for the raising: scalar forms inside a linalg.generic
// body stay scalar arith (braid ops take tensors), and dynamic shapes are
// fine for element-wise ops.
// CHECK-LABEL: func.func @scalar_body
// CHECK: linalg.generic
// CHECK: arith.maximumf
// CHECK: arith.divf
// CHECK-NOT: braid.activation
func.func @scalar_body(%x: tensor<16xf32>) -> tensor<16xf32> {
  %e = tensor.empty() : tensor<16xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%x : tensor<16xf32>) outs(%e : tensor<16xf32>) {
  ^bb0(%in: f32, %out: f32):
    %zero = arith.constant 0.0 : f32
    %r = arith.maximumf %in, %zero : f32
    %one = arith.constant 1.0 : f32
    %neg = arith.negf %r : f32
    %exp = math.exp %neg : f32
    %den = arith.addf %one, %exp : f32
    %s = arith.divf %r, %den : f32
    linalg.yield %s : f32
  } -> tensor<16xf32>
  return %y : tensor<16xf32>
}

// CHECK-LABEL: func.func @silu_dynamic
// CHECK-NEXT: braid.activation silu %{{.*}} : tensor<?x64xf32>
func.func @silu_dynamic(%x: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %neg = arith.negf %x : tensor<?x64xf32>
  %exp = math.exp %neg : tensor<?x64xf32>
  %c0 = arith.constant 0 : index
  %d = tensor.dim %x, %c0 : tensor<?x64xf32>
  %one = arith.constant 1.0 : f32
  %e = tensor.empty(%d) : tensor<?x64xf32>
  %ones = linalg.fill ins(%one : f32) outs(%e : tensor<?x64xf32>) -> tensor<?x64xf32>
  %den = arith.addf %ones, %exp : tensor<?x64xf32>
  %y = arith.divf %x, %den : tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}
