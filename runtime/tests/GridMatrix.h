//===- GridMatrix.h - GEMM inputs every algorithm agrees on -----*- C++ -*-===//
//
// Shared by the producer-fusion tests (MPI ranks, NCCL on a GPU, compiled
// programs).
//
//===----------------------------------------------------------------------===//

#ifndef BRAID_RT_TESTS_GRIDMATRIX_H
#define BRAID_RT_TESTS_GRIDMATRIX_H

#include <cstdint>
#include <random>
#include <vector>

namespace braid_rt::test {

/// Floats on a grid every element type holds exactly (steps of 2^-7 in
/// [-1, 1)): products are exact in f32 and so are sums of up to a few
/// hundred of them, so a GEMM computes the same bits whatever its
/// algorithm, cut or summation order.
inline std::vector<float> gridMatrix(size_t elements, uint64_t seed) {
  std::mt19937_64 generator(seed);
  std::uniform_int_distribution<int> grid(-128, 127);
  std::vector<float> values(elements);
  for (float &value : values)
    value = static_cast<float>(grid(generator)) / 128.0f;
  return values;
}

} // namespace braid_rt::test

#endif // BRAID_RT_TESTS_GRIDMATRIX_H
