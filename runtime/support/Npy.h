//===- Npy.h - NumPy .npy files without dependencies --------------*- C++ -*-===//
//
// Reads what braid-interp and numpy write (version 1-3, little-endian,
// C order) and writes what braid-interp writes (version 1, data aligned to
// 64 bytes). No dependency beyond the standard library: the kernels' tests
// (also on the GPU machine) and braid-run share it.
//
//===----------------------------------------------------------------------===//

#ifndef BRAID_RT_SUPPORT_NPY_H
#define BRAID_RT_SUPPORT_NPY_H

#include <cstdint>
#include <string>
#include <vector>

namespace braid_rt::npy {

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

/// Writes `array` to `path` (through `path`.tmp, renamed into place); on
/// failure returns false and sets `error`.
bool writeNpy(const std::string &path, const NpyArray &array,
              std::string &error);

/// The descr numpy writes for `dtype` ("<f4", "|i1", "|b1", ...).
std::string npyDescr(const std::string &dtype);

} // namespace braid_rt::npy

#endif // BRAID_RT_SUPPORT_NPY_H
