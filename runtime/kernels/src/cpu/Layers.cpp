//===- Layers.cpp - CPU norms, activations and softmax --------------------===//
//
// Two numerics, as for the GEMM:
//
//  * sequential: each loop is the interpreter's (executeRMSNorm,
//    executeLayerNorm, activate, executeSoftmax) with `A` its f32
//    accumulator rounding: bitwise braid-interp, a scalar chain of double
//    operations each rounded to f32, slow.
//  * BLAS (the fast numerics; no BLAS call is involved): the same
//    expressions in f32 on vectors (Vectors.h), which round like the
//    interpreter's, with the sums in eight partial sums, exp by a
//    polynomial and gelu_tanh's tanh through exp. gelu keeps the sequential
//    code (erf in double dominates it); f64 data always does.
//
//===----------------------------------------------------------------------===//

#include "../Support.h"
#include "Vectors.h"
#include "braid_rt/kernels/CpuKernels.h"

#include <algorithm>
#include <cmath>
#include <type_traits>
#include <utility>
#include <vector>

namespace braid_rt::kernels {
namespace cpu {
namespace {

/// The interpreter's `activate` for data of type T.
template <typename T> double activate(braid_rt_activation kind, double x) {
  auto A = [](double value) { return roundAccumulator<T>(value); };
  switch (kind) {
  case BRAID_RT_ACTIVATION_RELU:
    return x > 0 ? x : 0.0;
  case BRAID_RT_ACTIVATION_SIGMOID:
    return A(1.0 / A(1.0 + A(std::exp(-x))));
  case BRAID_RT_ACTIVATION_SILU:
    return A(x / A(1.0 + A(std::exp(-x))));
  case BRAID_RT_ACTIVATION_GELU:
    return A(A(0.5 * x) * A(1.0 + A(std::erf(A(x * M_SQRT1_2)))));
  case BRAID_RT_ACTIVATION_GELU_TANH: {
    double inner = A(0.7978845608028654 * A(x + A(0.044715 * A(x * A(x * x)))));
    return A(A(0.5 * x) * A(1.0 + A(std::tanh(inner))));
  }
  }
  return NAN; // the entry point rejects other kinds
}

} // namespace

template <typename T>
void rmsnormSequential(int64_t rows, int64_t width, const T *x,
                       const T *weight, float epsilon, T *y) {
  auto A = [](double value) { return roundAccumulator<T>(value); };
  for (int64_t row = 0; row < rows; ++row) {
    const T *in = x + row * width;
    T *out = y + row * width;
    double sumSquares = 0;
    for (int64_t j = 0; j < width; ++j) {
      double value = toDouble(in[j]);
      sumSquares = A(sumSquares + A(value * value));
    }
    double inverse =
        A(1.0 / std::sqrt(A(A(sumSquares / static_cast<double>(width)) +
                            static_cast<double>(epsilon))));
    for (int64_t j = 0; j < width; ++j)
      out[j] = roundTo<T>(A(toDouble(in[j]) * inverse) * toDouble(weight[j]));
  }
}

template <typename T>
void layernormSequential(int64_t rows, int64_t width, const T *x,
                         const T *gamma, const T *beta, float epsilon, T *y) {
  auto A = [](double value) { return roundAccumulator<T>(value); };
  double count = static_cast<double>(width);
  for (int64_t row = 0; row < rows; ++row) {
    const T *in = x + row * width;
    T *out = y + row * width;
    double sum = 0;
    for (int64_t j = 0; j < width; ++j)
      sum = A(sum + toDouble(in[j]));
    double mean = A(sum / count);
    double sumSquares = 0;
    for (int64_t j = 0; j < width; ++j) {
      double deviation = A(toDouble(in[j]) - mean);
      sumSquares = A(sumSquares + A(deviation * deviation));
    }
    double inverse =
        A(1.0 /
          std::sqrt(A(A(sumSquares / count) + static_cast<double>(epsilon))));
    for (int64_t j = 0; j < width; ++j) {
      double normalized = A(A(toDouble(in[j]) - mean) * inverse);
      out[j] =
          roundTo<T>(A(normalized * toDouble(gamma[j])) + toDouble(beta[j]));
    }
  }
}

template <typename T>
void activationSequential(braid_rt_activation kind, int64_t n, const T *x,
                          T *y) {
  for (int64_t i = 0; i < n; ++i)
    y[i] = roundTo<T>(activate<T>(kind, toDouble(x[i])));
}

template <typename T>
void swigluSequential(int64_t n, const T *gate, const T *up, T *y) {
  for (int64_t i = 0; i < n; ++i)
    y[i] = roundTo<T>(activate<T>(BRAID_RT_ACTIVATION_SILU, toDouble(gate[i])) *
                      toDouble(up[i]));
}

template <typename T>
void softmaxSequential(int64_t outer, int64_t extent, int64_t inner,
                       const T *x, T *y) {
  auto A = [](double value) { return roundAccumulator<T>(value); };
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      const T *in = x + o * extent * inner + i;
      T *out = y + o * extent * inner + i;
      double maximum = -INFINITY;
      for (int64_t j = 0; j < extent; ++j)
        maximum = std::fmax(maximum, toDouble(in[j * inner]));
      double sum = 0;
      for (int64_t j = 0; j < extent; ++j)
        sum = A(sum + A(std::exp(toDouble(in[j * inner]) - maximum)));
      for (int64_t j = 0; j < extent; ++j) {
        double e = A(std::exp(toDouble(in[j * inner]) - maximum));
        out[j * inner] = roundTo<T>(e / sum);
      }
    }
}


//===----------------------------------------------------------------------===//
// The fast numerics: f32 vectors
//===----------------------------------------------------------------------===//

namespace {

using simd::Floats;

/// 1 / sqrt(sumSquares / width + epsilon) as the interpreter rounds it.
float inverseRms(float sumSquares, int64_t width, float epsilon) {
  float meanSquare = sumSquares / static_cast<float>(width) + epsilon;
  return static_cast<float>(1.0 /
                            std::sqrt(static_cast<double>(meanSquare)));
}

void rmsnormRow(const float *in, const float *weight, int64_t width,
                float epsilon, float *out) {
  float sumSquares =
      simd::sumOf(in, width, [](Floats value) { return value * value; });
  float inverse = inverseRms(sumSquares, width, epsilon);
  simd::transform(
      width, out, [&](Floats x, Floats w) { return (x * inverse) * w; }, in,
      weight);
}

void layernormRow(const float *in, const float *gamma, const float *beta,
                  int64_t width, float epsilon, float *out) {
  float mean = simd::sumOf(in, width) / static_cast<float>(width);
  float sumSquares = simd::sumOf(in, width, [&](Floats value) {
    Floats deviation = value - mean;
    return deviation * deviation;
  });
  float inverse = inverseRms(sumSquares, width, epsilon);
  auto normalize = [&](Floats x, Floats g, Floats b) {
    return ((x - mean) * inverse) * g + b;
  };
  simd::transform(width, out, normalize, in, gamma, beta);
}

/// softmax of one contiguous row; `out` may be `in`.
void softmaxRow(const float *in, int64_t extent, float *out) {
  float maximum = simd::maxOf(in, extent);
  simd::transform(
      extent, out, [&](Floats x) { return simd::exp(x - maximum); }, in);
  float sum = simd::sumOf(out, extent);
  simd::transform(
      extent, out, [&](Floats e) { return e / sum; }, out);
}

Floats silu(Floats x) { return x / (1.0f + simd::exp(-x)); }

/// The interpreter's tanh-approximated gelu in f32, tanh(y) as
/// 1 - 2 / (e^(2y) + 1): an absolute error of a few f32 ulps of 1, which
/// the 1 + tanh that follows turns into a relative one (small tanh lose
/// their relative accuracy, which the sum does not see).
Floats geluTanh(Floats x) {
  Floats inner = 0.7978845608028654f * (x + 0.044715f * (x * (x * x)));
  Floats tanh = 1.0f - 2.0f / (simd::exp(inner + inner) + 1.0f);
  return (0.5f * x) * (1.0f + tanh);
}

/// `values` as f32: the data itself for f32, else converted into `storage`.
template <typename T>
const float *asFloats(const T *values, int64_t count,
                      std::vector<float> &storage) {
  if constexpr (std::is_same_v<T, float>) {
    return values;
  } else {
    storage.resize(count);
    simd::toFloats(values, count, storage.data());
    return storage.data();
  }
}

/// Calls row(in, out) on each f32 row of [rows, width] data: f32 rows in
/// place, bf16/f16 rows through converted copies.
template <typename T, typename Row>
void forEachRow(int64_t rows, int64_t width, const T *x, T *y, Row &&row) {
  std::vector<float> in, out(std::is_same_v<T, float> ? 0 : width);
  for (int64_t r = 0; r < rows; ++r) {
    const float *rowIn = asFloats(x + r * width, width, in);
    if constexpr (std::is_same_v<T, float>) {
      row(rowIn, y + r * width);
    } else {
      row(rowIn, out.data());
      simd::fromFloats(out.data(), width, y + r * width);
    }
  }
}

/// y[i] = fn(x[i]...) over n elements, bf16/f16 in converted chunks.
template <typename T, typename Fn, typename... In, size_t... Operand>
void elementwiseChunks(int64_t n, T *y, Fn &&fn,
                       std::index_sequence<Operand...>, const In *...x) {
  constexpr int64_t kChunk = 1024;
  float in[sizeof...(In)][kChunk], out[kChunk];
  for (int64_t start = 0; start < n; start += kChunk) {
    int64_t count = std::min(kChunk, n - start);
    (simd::toFloats(x + start, count, in[Operand]), ...);
    simd::transform(count, out, fn, static_cast<const float *>(in[Operand])...);
    simd::fromFloats(out, count, y + start);
  }
}

template <typename T, typename Fn, typename... In>
void elementwise(int64_t n, T *y, Fn &&fn, const In *...x) {
  if constexpr (std::is_same_v<T, float>)
    simd::transform(n, y, fn, x...);
  else
    elementwiseChunks(n, y, fn, std::index_sequence_for<In...>{}, x...);
}

} // namespace

template <typename T>
void rmsnorm(int64_t rows, int64_t width, const T *x, const T *weight,
             float epsilon, T *y, braid_rt_gemm_numerics numerics) {
  if constexpr (!std::is_same_v<T, double>) {
    if (numerics == BRAID_RT_GEMM_BLAS) {
      std::vector<float> weightStorage;
      const float *w = asFloats(weight, width, weightStorage);
      forEachRow(rows, width, x, y, [&](const float *in, float *out) {
        rmsnormRow(in, w, width, epsilon, out);
      });
      return;
    }
  }
  rmsnormSequential(rows, width, x, weight, epsilon, y);
}

template <typename T>
void layernorm(int64_t rows, int64_t width, const T *x, const T *gamma,
               const T *beta, float epsilon, T *y,
               braid_rt_gemm_numerics numerics) {
  if constexpr (!std::is_same_v<T, double>) {
    if (numerics == BRAID_RT_GEMM_BLAS) {
      std::vector<float> gammaStorage, betaStorage;
      const float *g = asFloats(gamma, width, gammaStorage);
      const float *b = asFloats(beta, width, betaStorage);
      forEachRow(rows, width, x, y, [&](const float *in, float *out) {
        layernormRow(in, g, b, width, epsilon, out);
      });
      return;
    }
  }
  layernormSequential(rows, width, x, gamma, beta, epsilon, y);
}

template <typename T>
void activation(braid_rt_activation kind, int64_t n, const T *x, T *y,
                braid_rt_gemm_numerics numerics) {
  if constexpr (!std::is_same_v<T, double>) {
    if (numerics == BRAID_RT_GEMM_BLAS) {
      switch (kind) {
      case BRAID_RT_ACTIVATION_RELU:
        // NaN > 0 is false: NaN gives 0, as in the interpreter.
        return elementwise(
            n, y, [](Floats v) { return v > 0.0f ? v : Floats{}; }, x);
      case BRAID_RT_ACTIVATION_SIGMOID:
        return elementwise(
            n, y, [](Floats v) { return 1.0f / (1.0f + simd::exp(-v)); }, x);
      case BRAID_RT_ACTIVATION_SILU:
        return elementwise(n, y, silu, x);
      case BRAID_RT_ACTIVATION_GELU_TANH:
        return elementwise(n, y, geluTanh, x);
      case BRAID_RT_ACTIVATION_GELU:
        break;
      }
    }
  }
  activationSequential(kind, n, x, y);
}

template <typename T>
void swiglu(int64_t n, const T *gate, const T *up, T *y,
            braid_rt_gemm_numerics numerics) {
  if constexpr (!std::is_same_v<T, double>) {
    if (numerics == BRAID_RT_GEMM_BLAS)
      return elementwise(
          n, y, [](Floats g, Floats u) { return silu(g) * u; }, gate, up);
  }
  swigluSequential(n, gate, up, y);
}

template <typename T>
void softmax(int64_t outer, int64_t extent, int64_t inner, const T *x, T *y,
             braid_rt_gemm_numerics numerics) {
  if constexpr (!std::is_same_v<T, double>) {
    if (numerics == BRAID_RT_GEMM_BLAS) {
      if (inner == 1)
        return forEachRow(outer, extent, x, y,
                          [&](const float *in, float *out) {
                            softmaxRow(in, extent, out);
                          });
      // A strided row is gathered, normalised and scattered back.
      std::vector<float> row(extent);
      for (int64_t o = 0; o < outer; ++o)
        for (int64_t i = 0; i < inner; ++i) {
          const T *in = x + o * extent * inner + i;
          T *out = y + o * extent * inner + i;
          for (int64_t j = 0; j < extent; ++j)
            row[j] = static_cast<float>(toDouble(in[j * inner]));
          softmaxRow(row.data(), extent, row.data());
          for (int64_t j = 0; j < extent; ++j)
            out[j * inner] = roundTo<T>(row[j]);
        }
      return;
    }
  }
  softmaxSequential(outer, extent, inner, x, y);
}

#define BRAID_RT_INSTANTIATE_LAYERS(T)                                         \
  template void rmsnorm<T>(int64_t, int64_t, const T *, const T *, float, T *, \
                           braid_rt_gemm_numerics);                            \
  template void layernorm<T>(int64_t, int64_t, const T *, const T *,           \
                             const T *, float, T *, braid_rt_gemm_numerics);   \
  template void activation<T>(braid_rt_activation, int64_t, const T *, T *,    \
                              braid_rt_gemm_numerics);                         \
  template void swiglu<T>(int64_t, const T *, const T *, T *,                  \
                          braid_rt_gemm_numerics);                             \
  template void softmax<T>(int64_t, int64_t, int64_t, const T *, T *,          \
                           braid_rt_gemm_numerics);
BRAID_RT_INSTANTIATE_LAYERS(float)
BRAID_RT_INSTANTIATE_LAYERS(bf16)
BRAID_RT_INSTANTIATE_LAYERS(f16)
BRAID_RT_INSTANTIATE_LAYERS(double)

} // namespace cpu

braid_rt_kernel_status checkActivationKind(const char *op,
                                           braid_rt_activation kind) {
  switch (kind) {
  case BRAID_RT_ACTIVATION_SILU:
  case BRAID_RT_ACTIVATION_GELU:
  case BRAID_RT_ACTIVATION_GELU_TANH:
  case BRAID_RT_ACTIVATION_RELU:
  case BRAID_RT_ACTIVATION_SIGMOID:
    return BRAID_RT_KERNEL_OK;
  }
  return invalid(op, "unknown activation kind ", static_cast<int>(kind));
}

braid_rt_kernel_status checkRows(const char *op, int64_t rows, int64_t width,
                                 float epsilon) {
  if (braid_rt_kernel_status status =
          checkSizes(op, {{"rows", rows}, {"width", width}}))
    return status;
  int64_t elements;
  if (!mulChecked(rows, width, elements))
    return invalid(op, rows, " x ", width, " elements overflow int64");
  if (!std::isfinite(epsilon) || epsilon < 0)
    return invalid(op, "epsilon must be finite and non-negative, not ",
                   epsilon);
  return BRAID_RT_KERNEL_OK;
}

braid_rt_kernel_status checkSoftmaxShape(const char *op, int64_t outer,
                                         int64_t extent, int64_t inner) {
  if (braid_rt_kernel_status status = checkSizes(
          op, {{"outer", outer}, {"extent", extent}, {"inner", inner}}))
    return status;
  int64_t elements;
  if (!mulChecked(outer, extent, elements) ||
      !mulChecked(elements, inner, elements))
    return invalid(op, outer, " x ", extent, " x ", inner,
                   " elements overflow int64");
  return BRAID_RT_KERNEL_OK;
}

} // namespace braid_rt::kernels

using namespace braid_rt::kernels;

extern "C" {

int braid_rt_cpu_rmsnorm(braid_rt_elem type, int64_t rows, int64_t width,
                         const void *x, const void *weight, float epsilon,
                         void *y, braid_rt_gemm_numerics numerics) {
  constexpr const char *op = "braid.rmsnorm";
  if (braid_rt_kernel_status status = checkRows(op, rows, width, epsilon))
    return status;
  if (braid_rt_kernel_status status = checkNumerics(op, numerics))
    return status;
  int64_t elements = rows * width;
  if (braid_rt_kernel_status status = checkPointer(op, "x", x, elements))
    return status;
  if (braid_rt_kernel_status status = checkPointer(op, "y", y, elements))
    return status;
  if (braid_rt_kernel_status status =
          checkPointer(op, "weight", weight, elements))
    return status;
  return dispatchFloat(op, "the element type", type, [&](auto tag) {
    using T = decltype(tag);
    cpu::rmsnorm(rows, width, static_cast<const T *>(x),
                 static_cast<const T *>(weight), epsilon, static_cast<T *>(y),
                 numerics);
    return BRAID_RT_KERNEL_OK;
  });
}

int braid_rt_cpu_layernorm(braid_rt_elem type, int64_t rows, int64_t width,
                           const void *x, const void *gamma, const void *beta,
                           float epsilon, void *y,
                           braid_rt_gemm_numerics numerics) {
  constexpr const char *op = "braid.layernorm";
  if (braid_rt_kernel_status status = checkRows(op, rows, width, epsilon))
    return status;
  if (braid_rt_kernel_status status = checkNumerics(op, numerics))
    return status;
  int64_t elements = rows * width;
  for (auto [name, pointer] : {std::pair<const char *, const void *>{"x", x},
                               {"gamma", gamma},
                               {"beta", beta},
                               {"y", y}})
    if (braid_rt_kernel_status status =
            checkPointer(op, name, pointer, elements))
      return status;
  return dispatchFloat(op, "the element type", type, [&](auto tag) {
    using T = decltype(tag);
    cpu::layernorm(rows, width, static_cast<const T *>(x),
                   static_cast<const T *>(gamma), static_cast<const T *>(beta),
                   epsilon, static_cast<T *>(y), numerics);
    return BRAID_RT_KERNEL_OK;
  });
}

int braid_rt_cpu_activation(braid_rt_activation kind, braid_rt_elem type,
                            int64_t n, const void *x, void *y,
                            braid_rt_gemm_numerics numerics) {
  constexpr const char *op = "braid.activation";
  if (braid_rt_kernel_status status = checkActivationKind(op, kind))
    return status;
  if (braid_rt_kernel_status status = checkNumerics(op, numerics))
    return status;
  if (braid_rt_kernel_status status = checkSizes(op, {{"n", n}}))
    return status;
  if (braid_rt_kernel_status status = checkPointer(op, "x", x, n))
    return status;
  if (braid_rt_kernel_status status = checkPointer(op, "y", y, n))
    return status;
  return dispatchFloat(op, "the element type", type, [&](auto tag) {
    using T = decltype(tag);
    cpu::activation(kind, n, static_cast<const T *>(x), static_cast<T *>(y),
                    numerics);
    return BRAID_RT_KERNEL_OK;
  });
}

int braid_rt_cpu_swiglu(braid_rt_elem type, int64_t n, const void *gate,
                        const void *up, void *y,
                        braid_rt_gemm_numerics numerics) {
  constexpr const char *op = "braid.swiglu";
  if (braid_rt_kernel_status status = checkSizes(op, {{"n", n}}))
    return status;
  if (braid_rt_kernel_status status = checkNumerics(op, numerics))
    return status;
  for (auto [name, pointer] :
       {std::pair<const char *, const void *>{"gate", gate},
        {"up", up},
        {"y", y}})
    if (braid_rt_kernel_status status = checkPointer(op, name, pointer, n))
      return status;
  return dispatchFloat(op, "the element type", type, [&](auto tag) {
    using T = decltype(tag);
    cpu::swiglu(n, static_cast<const T *>(gate), static_cast<const T *>(up),
                static_cast<T *>(y), numerics);
    return BRAID_RT_KERNEL_OK;
  });
}

int braid_rt_cpu_softmax(braid_rt_elem type, int64_t outer, int64_t extent,
                         int64_t inner, const void *x, void *y,
                         braid_rt_gemm_numerics numerics) {
  constexpr const char *op = "linalg.softmax";
  if (braid_rt_kernel_status status =
          checkSoftmaxShape(op, outer, extent, inner))
    return status;
  if (braid_rt_kernel_status status = checkNumerics(op, numerics))
    return status;
  int64_t elements = outer * extent * inner;
  if (braid_rt_kernel_status status = checkPointer(op, "x", x, elements))
    return status;
  if (braid_rt_kernel_status status = checkPointer(op, "y", y, elements))
    return status;
  return dispatchFloat(op, "the element type", type, [&](auto tag) {
    using T = decltype(tag);
    cpu::softmax(outer, extent, inner, static_cast<const T *>(x),
                 static_cast<T *>(y), numerics);
    return BRAID_RT_KERNEL_OK;
  });
}

} // extern "C"
