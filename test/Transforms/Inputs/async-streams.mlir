// Input for convert-to-async.mlir: a hand-written start on stream 1 and
// collectives on one communicator in two functions.
shard.grid @tp(shape = 2x2)
func.func @helper(%x: tensor<8xf32>) -> tensor<8xf32> {
  %r = braid.all_reduce %x on @tp axes = [1] reduction = sum : tensor<8xf32>
  return %r : tensor<8xf32>
}
func.func @main(%x: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) {
  %f = braid.start stream = 1 {
    %r = braid.all_reduce %x on @tp axes = [0] reduction = sum : tensor<8xf32>
    braid.yield %r : tensor<8xf32>
  } : !braid.future<tensor<8xf32>>
  %a = braid.await %f : !braid.future<tensor<8xf32>>
  %b = braid.all_reduce %x on @tp axes = [0] reduction = max : tensor<8xf32>
  %c = func.call @helper(%x) : (tensor<8xf32>) -> tensor<8xf32>
  return %a, %b, %c : tensor<8xf32>, tensor<8xf32>, tensor<8xf32>
}
