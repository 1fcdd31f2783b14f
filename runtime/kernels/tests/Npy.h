//===- Npy.h - the .npy files of the kernels' reference data ----*- C++ -*-===//
//
// Reads what braid-interp and numpy write: version 1-3, little-endian,
// C order. No dependency beyond the standard library, so the GPU test
// shares it.
//
//===----------------------------------------------------------------------===//

#ifndef BRAID_RT_KERNELS_TESTS_NPY_H
#define BRAID_RT_KERNELS_TESTS_NPY_H

#include <cstdint>
#include <string>
#include <vector>

namespace braid_rt::kernels::testing {

struct NpyArray {
  /// numpy's descr without the byte-order character: "f4", "f2", "f8",
  /// "i8", "i4", "i2", "i1", "b1".
  std::string dtype;
  std::vector<int64_t> shape;
  std::vector<unsigned char> bytes;

  int64_t numElements() const;
  size_t itemSize() const;
};

/// Reads `path`; on failure returns false and sets `error`.
bool readNpy(const std::string &path, NpyArray &array, std::string &error);

} // namespace braid_rt::kernels::testing

#endif // BRAID_RT_KERNELS_TESTS_NPY_H
