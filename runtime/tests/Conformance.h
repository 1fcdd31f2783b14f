//===- Conformance.h - what the multi-rank suites share ---------*- C++ -*-===//
//
// The conformance suite runs every test once per engine this build and
// machine have (MPI on CPU ranks; NCCL when built with CUDA and a GPU per
// rank is present), all ranks running the same tests in the same order.
// Inputs are a pure function of (seed, world rank, index), so every rank
// computes the serial reference of its whole group by itself.
//
//===----------------------------------------------------------------------===//

#ifndef BRAID_RT_TESTS_CONFORMANCE_H
#define BRAID_RT_TESTS_CONFORMANCE_H

#include "braid_rt/Context.h"
#include "braid_rt/DType.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace braid_rt::test {

/// Names of the engines under test ("mpi", "nccl").
std::vector<std::string> engineNames();
Context &contextFor(const std::string &engine);

/// Bytes of `count` elements of `dtype` drawn from (seed, worldRank).
/// Floats are uniform in [-1, 1) times 2^k, k uniform in [-8, 8], rounded
/// to the type, so a sum's rounding depends on its order; integers are in
/// [-100, 100].
std::vector<char> makeInput(DType dtype, uint64_t seed, int worldRank,
                            size_t count);

/// The serial reference: fold `inputs` (one per member, in group order)
/// left, each step exact in double and rounded to `dtype` (nearest even),
/// integers wrapping; NaN in max/min gives NaN. Written independently of
/// the runtime's reduceInOrder.
std::vector<char> referenceReduce(const std::vector<std::vector<char>> &inputs,
                                  DType dtype, ReduceOp op, size_t count);

/// Memory of the engine's device holding a copy of host bytes.
class DeviceBuffer {
public:
  DeviceBuffer(Device &device, size_t bytes);
  DeviceBuffer(Device &device, const std::vector<char> &contents);
  ~DeviceBuffer();
  DeviceBuffer(const DeviceBuffer &) = delete;
  DeviceBuffer &operator=(const DeviceBuffer &) = delete;
  void *data() const { return data_; }
  template <typename T = char> T *as() const { return static_cast<T *>(data_); }
  std::vector<char> read() const;
  void write(const std::vector<char> &contents);

private:
  Device &device_;
  void *data_ = nullptr;
  size_t bytes_;
};

/// First differing element, as "element 12: 0x3c00 != 0x3c01", or "".
std::string firstDifference(const std::vector<char> &actual,
                            const std::vector<char> &expected, DType dtype);

/// A group the suite runs collectives in: the world, or axes of a 2-D grid
/// (optionally with a reversed device order).
struct GroupSpec {
  std::string name;
  std::vector<int64_t> shape;
  std::vector<int> order;
  std::vector<int> axes;
  bool world = false;
};
std::vector<GroupSpec> groupSpecs(int worldSize);
/// World ranks of this rank's group, in group order, derived by brute force
/// over grid positions (independently of Grid.cpp).
std::vector<int> expectedMembers(const GroupSpec &spec, int worldRank,
                                 int worldSize);

std::vector<DType> allDTypes();
std::vector<ReduceOp> allReduceOps();

} // namespace braid_rt::test

#endif // BRAID_RT_TESTS_CONFORMANCE_H
