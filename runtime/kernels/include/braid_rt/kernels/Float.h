//===- Float.h - bf16/f16 storage and correctly rounded conversions -*- C++
//-*-===//
//
// The interpreter (docs/Interpreter.md) keeps every value as a double and
// rounds each result once to its element type, to nearest even. A kernel
// that mirrors it must round a double straight to bf16 or f16: going through
// f32 with round-to-nearest first can round twice. `roundTo<T>` rounds to
// f32 with round-to-odd and then to nearest even, which equals one direct
// rounding because f32 carries more than p + 2 bits of either format.
//
//===----------------------------------------------------------------------===//

#ifndef BRAID_RT_KERNELS_FLOAT_H
#define BRAID_RT_KERNELS_FLOAT_H

#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>

namespace braid_rt::kernels {

/// bfloat16 and IEEE half as their bit patterns.
struct bf16 {
  uint16_t bits;
};
struct f16 {
  uint16_t bits;
};

inline uint32_t bitsOf(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  return bits;
}

inline float floatOfBits(uint32_t bits) {
  float value;
  std::memcpy(&value, &bits, sizeof value);
  return value;
}

inline float toFloat(bf16 value) {
  return floatOfBits(static_cast<uint32_t>(value.bits) << 16);
}

inline float toFloat(f16 value) {
  uint32_t sign = static_cast<uint32_t>(value.bits & 0x8000u) << 16;
  uint32_t exponent = (value.bits >> 10) & 0x1fu;
  uint32_t mantissa = value.bits & 0x3ffu;
  if (exponent == 0) {
    // Zero or subnormal: mantissa * 2^-24, exact in f32.
    float magnitude = std::ldexp(static_cast<float>(mantissa), -24);
    return floatOfBits(bitsOf(magnitude) | sign);
  }
  if (exponent == 0x1f)
    return floatOfBits(sign | 0x7f800000u | (mantissa << 13));
  return floatOfBits(sign | ((exponent + 112u) << 23) | (mantissa << 13));
}

/// Nearest-even bf16 of an f32.
inline bf16 bf16FromFloat(float value) {
  uint32_t bits = bitsOf(value);
  if ((bits & 0x7fffffffu) > 0x7f800000u) // NaN: keep it quiet
    return bf16{static_cast<uint16_t>((bits >> 16) | 0x40u)};
  bits += 0x7fffu + ((bits >> 16) & 1u);
  return bf16{static_cast<uint16_t>(bits >> 16)};
}

/// Nearest-even IEEE half of an f32 (subnormals and overflow included).
inline f16 f16FromFloat(float value) {
  uint32_t bits = bitsOf(value);
  uint16_t sign = static_cast<uint16_t>((bits >> 16) & 0x8000u);
  uint32_t magnitude = bits & 0x7fffffffu;
  if (magnitude >= 0x7f800000u) // inf stays inf, NaN stays a quiet NaN
    return f16{static_cast<uint16_t>(
        sign | 0x7c00u |
        (magnitude > 0x7f800000u ? 0x200u | ((magnitude >> 13) & 0x3ffu)
                                 : 0u))};
  if (magnitude >= 0x477ff000u) // >= 65520 rounds past the largest half
    return f16{static_cast<uint16_t>(sign | 0x7c00u)};
  if (magnitude <= 0x33000000u) // <= 2^-25: ties to the even zero
    return f16{sign};
  if (magnitude < 0x38800000u) { // below 2^-14: a subnormal half
    uint32_t mantissa = (magnitude & 0x7fffffu) | 0x800000u;
    uint32_t shift = 126u - (magnitude >> 23);
    uint32_t half = mantissa >> shift;
    uint32_t rest = mantissa & ((1u << shift) - 1u);
    uint32_t midpoint = 1u << (shift - 1u);
    if (rest > midpoint || (rest == midpoint && (half & 1u)))
      ++half;
    return f16{static_cast<uint16_t>(sign | half)};
  }
  uint32_t half = (magnitude - 0x38000000u) >> 13;
  uint32_t rest = magnitude & 0x1fffu;
  if (rest > 0x1000u || (rest == 0x1000u && (half & 1u)))
    ++half; // a carry into the exponent is the right result
  return f16{static_cast<uint16_t>(sign | half)};
}

/// f32 nearest to `value` with round-to-odd: truncated toward zero, with the
/// last bit set when inexact.
inline float roundToOddFloat(double value) {
  float rounded = static_cast<float>(value);
  if (std::isnan(value) || static_cast<double>(rounded) == value)
    return rounded;
  if (std::fabs(static_cast<double>(rounded)) > std::fabs(value))
    rounded = std::nextafter(rounded, 0.0f);
  return floatOfBits(bitsOf(rounded) | 1u);
}

template <typename T> inline double toDouble(T value) {
  if constexpr (std::is_same_v<T, bf16> || std::is_same_v<T, f16>)
    return static_cast<double>(toFloat(value));
  else
    return static_cast<double>(value);
}

/// `value` rounded once to T, nearest even.
template <typename T> inline T roundTo(double value) {
  if constexpr (std::is_same_v<T, double>)
    return value;
  else if constexpr (std::is_same_v<T, float>)
    return static_cast<float>(value);
  else if constexpr (std::is_same_v<T, bf16>)
    return bf16FromFloat(roundToOddFloat(value));
  else
    return f16FromFloat(roundToOddFloat(value));
}

/// The interpreter's accumulator rounding: f32 for f32/bf16/f16 data, none
/// for f64 (`roundAccumulator` in lib/Interpreter).
template <typename T> inline double roundAccumulator(double value) {
  if constexpr (std::is_same_v<T, double>)
    return value;
  else
    return static_cast<double>(static_cast<float>(value));
}

} // namespace braid_rt::kernels

#endif // BRAID_RT_KERNELS_FLOAT_H
