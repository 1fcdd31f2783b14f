// Inline measured fits that are wrong (input for set-target-measured.mlir).
module attributes {braid.target = #braid.target<"cpu-1gbe", {links = {inter_node = {collectives = {all_sum = {"2" = {latency = 1.0e-05, bandwidth = 1.0e+09}}}}}}>} {
func.func @main() { return }
}
// -----
module attributes {braid.target = #braid.target<"cpu-1gbe", {links = {inter_node = {collectives = {all_reduce = {two = {latency = 1.0e-05, bandwidth = 1.0e+09}}}}}}>} {
func.func @main() { return }
}
// -----
module attributes {braid.target = #braid.target<"cpu-1gbe", {compute = {kernels = {rmsnorm = {f32 = {latency = 1.0e-05, bandwidth = 1.0e+09}}}}}>} {
func.func @main() { return }
}
// -----
module attributes {braid.target = #braid.target<"cpu-1gbe", {links = {inter_node = {collectives = 3.0}}}>} {
func.func @main() { return }
}
// -----
module attributes {braid.target = #braid.target<"cpu-1gbe", {compute = {kernels = {braid.rmsnorm = {f32 = {latency = 1.0e-05, rate = 1.0e+09}}}}}>} {
func.func @main() { return }
}
