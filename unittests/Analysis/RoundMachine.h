//===- RoundMachine.h - a hardware profile with round numbers ---*- C++ -*-===//
//
// Shared by the cost-model and timing-model tests, so every expectation is
// easy to redo by hand: a 1000x1000 GEMM is 100 tiles, one wave on 100 SMs.
//
//===----------------------------------------------------------------------===//

#ifndef BRAID_UNITTESTS_ANALYSIS_ROUNDMACHINE_H
#define BRAID_UNITTESTS_ANALYSIS_ROUNDMACHINE_H

#include "braid/Analysis/HardwareProfile.h"

namespace mlir {
namespace braid {

/// A machine with round numbers so every expectation is easy to redo by hand.
inline HardwareProfile roundMachine() {
  HardwareProfile hw;
  hw.name = "round";
  hw.devicesPerNode = 4;
  hw.peakFlops["bf16"] = 100e12;
  hw.vectorFlops = 10e12;
  hw.memoryBandwidth = 1e12;
  hw.memoryEfficiency = 0.5;
  hw.numSMs = 100;
  hw.gemmTileM = 100;
  hw.gemmTileN = 100;
  hw.gemmEfficiency = 0.5;
  hw.gemmOverhead = 2e-6;
  hw.kernelOverhead = 1e-6;
  hw.intraNode = {100e9, 1e-6, {CollectiveAlgorithm::Ring}};
  hw.interNode = {10e9, 10e-6,
                  {CollectiveAlgorithm::Ring, CollectiveAlgorithm::Tree,
                   CollectiveAlgorithm::Star}};
  hw.collectiveLaunch = 5e-6;
  hw.commSMs = 20;
  return hw;
}

} // namespace braid
} // namespace mlir

#endif // BRAID_UNITTESTS_ANALYSIS_ROUNDMACHINE_H
