//===- ReferenceCases.h - kernels against braid-interp's outputs -*- C++
//-*-===//
//
// tests/data/<case>/ holds one op's program, its inputs and braid-interp's
// results (generate_reference.py). `runCase` feeds the inputs to a kernel
// backend (the CPU or the CUDA entry points), reads the results back and
// compares them with the interpreter's:
//
//  * bitwise (any NaN equals any NaN) where the backend has the
//    interpreter's numerics;
//  * GEMMs whose K sum is reassociated (BLAS, cuBLASLt) against the
//    standard bound of two f32 dot products of length K,
//      |x - ref| <= 2 (K + 2) u32 (|c0| + sum_k |a_k b_k|) + 2^(1-p) |ref|,
//    p the precision of the result type (the last term covers the two
//    final roundings);
//  * otherwise (the CUDA layer ops) within the backend's tolerance.
//
// Integer results (indices, group sizes, row maps) are always bitwise.
//
//===----------------------------------------------------------------------===//

#ifndef BRAID_RT_KERNELS_TESTS_REFERENCECASES_H
#define BRAID_RT_KERNELS_TESTS_REFERENCECASES_H

#include "Npy.h"
#include "braid_rt/kernels.h"

#include <cmath>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace braid_rt::kernels::testing {

using braid_rt::npy::NpyArray;
using braid_rt::npy::readNpy;

/// A tensor in a kernel's element type, on the host.
struct HostTensor {
  braid_rt_elem type = BRAID_RT_ELEM_F32;
  std::vector<int64_t> shape;
  std::vector<unsigned char> bytes;

  int64_t numElements() const;
  void *data() { return bytes.data(); }
  const void *data() const { return bytes.data(); }
  /// Element `i` widened to double (floating-point or integer).
  double at(int64_t i) const;
};

HostTensor makeTensor(braid_rt_elem type, std::vector<int64_t> shape);
/// A tensor whose every byte is 0xff (NaN for floats): what a kernel must
/// overwrite.
HostTensor makePoisoned(braid_rt_elem type, std::vector<int64_t> shape);

struct Case {
  std::string name;
  std::map<std::string, std::string> params;
  std::vector<braid_rt_elem> argTypes, resultTypes;
  std::vector<NpyArray> args, results;

  std::string param(const std::string &key) const;
  int64_t intParam(const std::string &key) const;
  float floatParam(const std::string &key) const;
};

/// The case names listed in `dataDir`/cases.txt.
bool listCases(const std::string &dataDir, std::vector<std::string> &names,
               std::string &error);
bool loadCase(const std::string &dataDir, const std::string &name, Case &c,
              std::string &error);

/// An .npy input as a tensor of kernel type `type` (bf16 from its f32
/// storage, which must hold bf16 values exactly).
bool toKernel(const NpyArray &array, braid_rt_elem type, HostTensor &tensor,
              std::string &error);

/// "" when `got` equals `want` bitwise (NaNs equal); else the first
/// difference.
std::string compareExact(const HostTensor &got, const NpyArray &want);
/// "" when |got - want| <= bound[i] element-wise (NaNs must match).
std::string compareWithin(const HostTensor &got, const NpyArray &want,
                          const std::vector<double> &bound);
/// "" when |got - want| <= rtol |want| + atol max|want| element-wise.
std::string compareClose(const HostTensor &got, const NpyArray &want,
                         double rtol, double atol);

/// The GEMM bound of the header comment for every element of C = c0 + A·B
/// (`a`, `b`, `c0` in their kernel types; c0 may be empty).
std::vector<double> gemmBound(const braid_rt_gemm_desc &desc,
                              const HostTensor &a, const HostTensor &b,
                              const HostTensor *c0, const NpyArray &reference);

/// How a backend's results compare with the interpreter's.
enum class Agreement { Bitwise, Reassociated, Tolerance };

/// Runs `c` on `backend` and compares. Returns "" on success or a reason.
///
/// A Backend provides
///   using Buffer = ...;                      // with void *get()
///   Buffer upload(const HostTensor &);
///   void download(Buffer &, HostTensor &);   // the tensor's size and type
///   Agreement gemmAgreement();               // for matmul/grouped_matmul
///   std::string compareFloat(const Case &, const HostTensor &got,
///                            const NpyArray &want);  // for Tolerance
/// and one method per op with the C entry point's arguments (minus the
/// CUDA stream): rmsnorm, layernorm, activation, swiglu, softmax,
/// attention, gemm, groupedMatmul, moeGate, moePermute, moeUnpermute,
/// topk, sort, gather, scatter.
template <typename Backend>
std::string runCase(const Case &c, Backend &backend);

} // namespace braid_rt::kernels::testing

#include "ReferenceCases.inc"

#endif // BRAID_RT_KERNELS_TESTS_REFERENCECASES_H
