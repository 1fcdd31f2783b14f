// A misspelt inline parameter (input for set-target.mlir).
module attributes {braid.target = #braid.target<"cpu-1gbe", {links = {intra_node = {bandwidth = 1.0e9}}}>} {
}
