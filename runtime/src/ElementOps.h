//===- ElementOps.h - one element of a reduction, host and device -*- C++ -*-===//
//
// The arithmetic of reduceInOrder on single elements: f16/bf16 conversions
// (round to nearest even, NaN kept quiet) and the four reductions. Compiled
// by the C++ compiler for the MPI engine's folds (DType.cpp) and by nvcc for
// the NCCL engine's fold kernel (backends/nccl/ChunkFold.cu), so the two
// engines round every step identically and their triggered collectives are
// bitwise equal.
//
//===----------------------------------------------------------------------===//

#ifndef BRAID_RT_SRC_ELEMENTOPS_H
#define BRAID_RT_SRC_ELEMENTOPS_H

#include "braid_rt/DType.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>

#ifdef __CUDACC__
#define BRAID_RT_HOST_DEVICE __host__ __device__
#else
#define BRAID_RT_HOST_DEVICE
#endif

namespace braid_rt::elements {

BRAID_RT_HOST_DEVICE inline uint32_t floatBits(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  return bits;
}

BRAID_RT_HOST_DEVICE inline float bitsFloat(uint32_t bits) {
  float value;
  std::memcpy(&value, &bits, sizeof(value));
  return value;
}

BRAID_RT_HOST_DEVICE inline float halfToFloat(uint16_t bits) {
  uint32_t sign = static_cast<uint32_t>(bits & 0x8000u) << 16;
  uint32_t exponent = (bits >> 10) & 0x1fu;
  uint32_t mantissa = bits & 0x3ffu;
  if (exponent == 0x1f) // inf / NaN
    return bitsFloat(sign | 0x7f800000u | (mantissa << 13));
  if (exponent == 0) {
    if (mantissa == 0)
      return bitsFloat(sign);
    // Subnormal: value = mantissa * 2^-24, exact in f32.
    float magnitude = static_cast<float>(mantissa) * 0x1p-24f;
    return sign ? -magnitude : magnitude;
  }
  return bitsFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
}

BRAID_RT_HOST_DEVICE inline uint16_t floatToHalf(float value) {
  uint32_t bits = floatBits(value);
  uint16_t sign = static_cast<uint16_t>((bits >> 16) & 0x8000u);
  uint32_t magnitude = bits & 0x7fffffffu;
  if (magnitude > 0x7f800000u) // NaN: keep it quiet
    return sign | 0x7e00u | static_cast<uint16_t>((bits >> 13) & 0x1ffu);
  if (magnitude >= 0x47800000u) // >= 65536: infinity (also for inf)
    return sign | 0x7c00u;
  float absValue = bitsFloat(magnitude);
  if (magnitude < 0x38800000u) { // below 2^-14: subnormal or zero
    // Multiplying by 2^24 makes the subnormal's unit 1; the float->int
    // step rounds to nearest even (nearbyintf in the default mode).
    float scaled = absValue * 0x1p24f;
    uint32_t rounded = static_cast<uint32_t>(nearbyintf(scaled));
    return sign | static_cast<uint16_t>(rounded); // may round up to 0x400
  }
  // Normal: drop 13 mantissa bits, rounding to nearest even; a carry into
  // the exponent is correct (up to infinity at 65520).
  uint32_t rounded = magnitude + 0xfffu + ((magnitude >> 13) & 1u);
  uint32_t half = (rounded >> 13) - (112u << 10);
  return sign | static_cast<uint16_t>(half);
}

BRAID_RT_HOST_DEVICE inline float bf16ToFloat(uint16_t bits) {
  return bitsFloat(static_cast<uint32_t>(bits) << 16);
}

BRAID_RT_HOST_DEVICE inline uint16_t floatToBf16(float value) {
  uint32_t bits = floatBits(value);
  if ((bits & 0x7fffffffu) > 0x7f800000u) // NaN: keep it quiet
    return static_cast<uint16_t>((bits >> 16) | 0x40u);
  uint32_t rounded = bits + 0x7fffu + ((bits >> 16) & 1u);
  return static_cast<uint16_t>(rounded >> 16);
}

/// The host's std::numeric_limits<T>::quiet_NaN(), spelled out for device
/// code.
template <typename T> BRAID_RT_HOST_DEVICE inline T quietNaN() {
  if constexpr (std::is_same_v<T, float>) {
    return bitsFloat(0x7fc00000u);
  } else {
    uint64_t bits = 0x7ff8000000000000ull;
    double value;
    std::memcpy(&value, &bits, sizeof(value));
    return value;
  }
}

/// `value` (a NaN) with its quiet bit set, payload and sign kept.
template <typename T> BRAID_RT_HOST_DEVICE inline T quieted(T value) {
  if constexpr (std::is_same_v<T, float>) {
    return bitsFloat(floatBits(value) | 0x00400000u);
  } else {
    uint64_t bits;
    std::memcpy(&bits, &value, sizeof(bits));
    bits |= 0x0008000000000000ull;
    std::memcpy(&value, &bits, sizeof(value));
    return value;
  }
}

/// a op b. A sum or product with a NaN operand is the first NaN operand,
/// quieted: what x86 returns for one NaN, spelled out because CUDA returns
/// a canonical NaN and the compiler may swap a commutative op's operands.
/// Max/min of a NaN is the quiet NaN.
template <typename T>
BRAID_RT_HOST_DEVICE inline T combineFloat(T a, T b, ReduceOp op) {
  switch (op) {
  case ReduceOp::Sum:
  case ReduceOp::Prod:
    if (a != a)
      return quieted(a);
    if (b != b)
      return quieted(b);
    return op == ReduceOp::Sum ? a + b : a * b;
  case ReduceOp::Max:
    if (a != a || b != b)
      return quietNaN<T>();
    return a < b ? b : a;
  case ReduceOp::Min:
    if (a != a || b != b)
      return quietNaN<T>();
    return b < a ? b : a;
  }
  return a;
}

/// a op b, wrapping.
template <typename T>
BRAID_RT_HOST_DEVICE inline T combineInt(T a, T b, ReduceOp op) {
  using U = std::make_unsigned_t<T>;
  switch (op) {
  case ReduceOp::Sum:
    return static_cast<T>(static_cast<U>(a) + static_cast<U>(b));
  case ReduceOp::Prod:
    // Promote to unsigned long long so i8/i32 products wrap instead of
    // overflowing a signed int.
    return static_cast<T>(static_cast<unsigned long long>(static_cast<U>(a)) *
                          static_cast<unsigned long long>(static_cast<U>(b)));
  case ReduceOp::Max:
    return a < b ? b : a;
  case ReduceOp::Min:
    return b < a ? b : a;
  }
  return a;
}

} // namespace braid_rt::elements

#endif // BRAID_RT_SRC_ELEMENTOPS_H
