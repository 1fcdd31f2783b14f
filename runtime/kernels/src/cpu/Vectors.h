//===- Vectors.h - f32 vectors of the fast numerics -------------*- C++ -*-===//
//
// The fast numerics (BRAID_RT_GEMM_BLAS) of the layer kernels and of
// attention's softmax compute in f32, four lanes at a time, with GCC/Clang
// vector extensions: one SSE register on baseline x86-64 (what the library
// is built for), so the loops are vectorised whatever the optimiser
// decides. Element-wise f32 operations give the same bits as the
// interpreter's double operation rounded to f32 (double has more than
// 2 * 24 + 2 bits, so that double rounding is innocuous); what differs from
// the interpreter is the order of sums and exp.
//
// * Sums keep eight partial sums (element i goes to partial sum i mod 8),
//   added as ((s0 + s4) + (s1 + s5)) + ((s2 + s6) + (s3 + s7)) at the end:
//   a fixed order, independent of the instruction set.
// * exp is a polynomial in f32 (Cephes' expf): within 1 ulp of e^x for
//   every f32 x (an exhaustive run found 0.99 ulp at most, the correctly
//   rounded value for 99.2% of them; KernelUnitTest checks a sample), 0
//   below -104 and +inf above 89 as e^x rounds there, NaN for NaN.
//
//===----------------------------------------------------------------------===//

#ifndef BRAID_RT_KERNELS_SRC_CPU_VECTORS_H
#define BRAID_RT_KERNELS_SRC_CPU_VECTORS_H

#include "braid_rt/kernels/Float.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>

namespace braid_rt::kernels::cpu::simd {

constexpr int64_t kLanes = 4;

using Floats = float __attribute__((vector_size(kLanes * sizeof(float))));
using Ints = int32_t __attribute__((vector_size(kLanes * sizeof(int32_t))));

inline Floats splat(float value) { return Floats{} + value; }

/// The elements of `count` that fill whole vectors.
inline int64_t wholeVectors(int64_t count) { return count - count % kLanes; }

inline Floats load(const float *from) {
  Floats value;
  std::memcpy(&value, from, sizeof value);
  return value;
}

inline void store(float *to, Floats value) {
  std::memcpy(to, &value, sizeof value);
}

/// e^x lane by lane; see the file comment for its accuracy.
inline Floats exp(Floats x) {
  // Clamped, e^x still rounds to 0 and +inf beyond; NaN passes.
  x = x < -104.0f ? splat(-104.0f) : x;
  x = x > 89.0f ? splat(89.0f) : x;
  // x = n ln2 + r, |r| <= ln2 / 2: adding 1.5 * 2^23 rounds x / ln2 to the
  // integer n held in the low bits.
  constexpr float kShift = 0x1.8p23f;
  Floats shifted = x * 0x1.715476p0f + kShift;
  Floats n = shifted - kShift;
  Floats r = x - n * 0x1.62e4p-1f; // ln2 to 16 bits: n times it is exact
  r = r - n * 0x1.7f7d1cp-20f;     // the rest of ln2
  Floats p = splat(1.9875691500e-4f);
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * (r * r) + r + 1.0f;
  // 2^n as two normal powers (n lies in [-150, 129]) so that results in the
  // subnormal range round once, in the last product.
  Ints exponent = (Ints)shifted - (Ints)splat(kShift);
  Ints half = exponent >> 1;
  Floats low = (Floats)((half + 127) << 23);
  Floats high = (Floats)((exponent - half + 127) << 23);
  return p * low * high;
}

/// Lane-wise max that skips NaN like std::fmax: a NaN in `value` keeps
/// `current`.
inline Floats maxSkippingNan(Floats current, Floats value) {
  return value > current ? value : current;
}

/// The largest non-NaN of `count` floats (-inf if none).
inline float maxOf(const float *values, int64_t count) {
  int64_t whole = wholeVectors(count);
  Floats lanes = splat(-INFINITY);
  for (int64_t i = 0; i < whole; i += kLanes)
    lanes = maxSkippingNan(lanes, load(values + i));
  float result = -INFINITY;
  for (int64_t lane = 0; lane < kLanes; ++lane)
    result = lanes[lane] > result ? lanes[lane] : result;
  for (int64_t i = whole; i < count; ++i)
    result = values[i] > result ? values[i] : result;
  return result;
}

/// The lanes' own values.
struct Identity {
  Floats operator()(Floats value) const { return value; }
};

/// The sum of term(values[i]) over `count` floats, in the order of the file
/// comment.
template <typename Term = Identity>
inline float sumOf(const float *values, int64_t count, Term &&term = {}) {
  Floats low{}, high{}; // partial sums 0-3 and 4-7
  int64_t i = 0, whole = count - count % (2 * kLanes);
  for (; i < whole; i += 2 * kLanes) {
    low += term(load(values + i));
    high += term(load(values + i + kLanes));
  }
  float tail[2 * kLanes] = {};
  std::memcpy(tail, values + i, sizeof(float) * (count - i));
  // Lanes past the end add nothing, whatever term(0) is.
  const Ints lane = {0, 1, 2, 3};
  int32_t left = static_cast<int32_t>(count - i);
  low += lane < left ? term(load(tail)) : Floats{};
  high += lane + static_cast<int32_t>(kLanes) < left ? term(load(tail + kLanes))
                                                      : Floats{};
  Floats pairs = low + high;
  return (pairs[0] + pairs[1]) + (pairs[2] + pairs[3]);
}

/// out[i] = fn(in...)[i] for `count` elements, whole vectors and then the
/// tail through a zero-padded vector; `out` may be one of the inputs.
template <typename Fn, typename... In>
inline void transform(int64_t count, float *out, Fn &&fn, const In *...in) {
  int64_t i = wholeVectors(count);
  for (int64_t at = 0; at < i; at += kLanes)
    store(out + at, fn(load(in + at)...));
  if (i == count)
    return;
  auto padded = [&](const float *from) {
    float tail[kLanes] = {};
    std::memcpy(tail, from + i, sizeof(float) * (count - i));
    return load(tail);
  };
  float result[kLanes];
  store(result, fn(padded(in)...));
  std::memcpy(out + i, result, sizeof(float) * (count - i));
}

/// bf16 bit patterns, four at a time.
using Halves = uint16_t __attribute__((vector_size(kLanes * sizeof(uint16_t))));
using Words = uint32_t __attribute__((vector_size(kLanes * sizeof(uint32_t))));

/// toFloat(bf16) on four lanes: the pattern in the high half of an f32.
inline Floats bf16ToFloats(const bf16 *from) {
  Halves halves;
  std::memcpy(&halves, from, sizeof halves);
  return (Floats)(__builtin_convertvector(halves, Words) << 16);
}

/// bf16FromFloat on four lanes: nearest even, NaN kept quiet.
inline void floatsToBf16(Floats value, bf16 *to) {
  Words bits = (Words)value;
  Words rounded = (bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16;
  Words quiet = (bits >> 16) | 0x40u;
  Words result = (bits & 0x7fffffffu) > 0x7f800000u ? quiet : rounded;
  Halves halves = __builtin_convertvector(result, Halves);
  std::memcpy(to, &halves, sizeof halves);
}

/// `count` elements of T as f32, and f32 back to T rounded to nearest even.
template <typename T>
inline void toFloats(const T *in, int64_t count, float *out) {
  if constexpr (std::is_same_v<T, float>) {
    std::memcpy(out, in, sizeof(float) * count);
  } else if constexpr (std::is_same_v<T, bf16>) {
    int64_t whole = wholeVectors(count);
    for (int64_t i = 0; i < whole; i += kLanes)
      store(out + i, bf16ToFloats(in + i));
    for (int64_t i = whole; i < count; ++i)
      out[i] = toFloat(in[i]);
  } else {
    for (int64_t i = 0; i < count; ++i)
      out[i] = toFloat(in[i]);
  }
}

template <typename T>
inline void fromFloats(const float *in, int64_t count, T *out) {
  if constexpr (std::is_same_v<T, float>) {
    std::memcpy(out, in, sizeof(float) * count);
  } else if constexpr (std::is_same_v<T, bf16>) {
    int64_t whole = wholeVectors(count);
    for (int64_t i = 0; i < whole; i += kLanes)
      floatsToBf16(load(in + i), out + i);
    for (int64_t i = whole; i < count; ++i)
      out[i] = bf16FromFloat(in[i]);
  } else {
    for (int64_t i = 0; i < count; ++i)
      out[i] = f16FromFloat(in[i]);
  }
}

} // namespace braid_rt::kernels::cpu::simd

#endif // BRAID_RT_KERNELS_SRC_CPU_VECTORS_H
