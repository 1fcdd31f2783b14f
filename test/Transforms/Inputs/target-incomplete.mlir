// A machine that is no known profile needs all its parameters (input for
// set-target.mlir).
module attributes {braid.target = #braid.target<"no-such-machine", {compute = {num_sms = 2}}>} {
}
