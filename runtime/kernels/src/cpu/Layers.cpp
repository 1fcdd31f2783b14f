//===- Layers.cpp - CPU norms, activations and softmax --------------------===//
//
// Each loop is the interpreter's (executeRMSNorm, executeLayerNorm,
// activate, executeSoftmax) with `A` its f32 accumulator rounding.
//
//===----------------------------------------------------------------------===//

#include "../Support.h"
#include "braid_rt/kernels/CpuKernels.h"

#include <cmath>

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
void rmsnorm(int64_t rows, int64_t width, const T *x, const T *weight,
             float epsilon, T *y) {
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
void layernorm(int64_t rows, int64_t width, const T *x, const T *gamma,
               const T *beta, float epsilon, T *y) {
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
void activation(braid_rt_activation kind, int64_t n, const T *x, T *y) {
  for (int64_t i = 0; i < n; ++i)
    y[i] = roundTo<T>(activate<T>(kind, toDouble(x[i])));
}

template <typename T> void swiglu(int64_t n, const T *gate, const T *up, T *y) {
  for (int64_t i = 0; i < n; ++i)
    y[i] = roundTo<T>(activate<T>(BRAID_RT_ACTIVATION_SILU, toDouble(gate[i])) *
                      toDouble(up[i]));
}

template <typename T>
void softmax(int64_t outer, int64_t extent, int64_t inner, const T *x, T *y) {
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

#define BRAID_RT_INSTANTIATE_LAYERS(T)                                         \
  template void rmsnorm<T>(int64_t, int64_t, const T *, const T *, float,      \
                           T *);                                               \
  template void layernorm<T>(int64_t, int64_t, const T *, const T *,           \
                             const T *, float, T *);                           \
  template void activation<T>(braid_rt_activation, int64_t, const T *, T *);   \
  template void swiglu<T>(int64_t, const T *, const T *, T *);                 \
  template void softmax<T>(int64_t, int64_t, int64_t, const T *, T *);
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
                         void *y) {
  constexpr const char *op = "braid.rmsnorm";
  if (braid_rt_kernel_status status = checkRows(op, rows, width, epsilon))
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
                 static_cast<const T *>(weight), epsilon, static_cast<T *>(y));
    return BRAID_RT_KERNEL_OK;
  });
}

int braid_rt_cpu_layernorm(braid_rt_elem type, int64_t rows, int64_t width,
                           const void *x, const void *gamma, const void *beta,
                           float epsilon, void *y) {
  constexpr const char *op = "braid.layernorm";
  if (braid_rt_kernel_status status = checkRows(op, rows, width, epsilon))
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
                   epsilon, static_cast<T *>(y));
    return BRAID_RT_KERNEL_OK;
  });
}

int braid_rt_cpu_activation(braid_rt_activation kind, braid_rt_elem type,
                            int64_t n, const void *x, void *y) {
  constexpr const char *op = "braid.activation";
  if (braid_rt_kernel_status status = checkActivationKind(op, kind))
    return status;
  if (braid_rt_kernel_status status = checkSizes(op, {{"n", n}}))
    return status;
  if (braid_rt_kernel_status status = checkPointer(op, "x", x, n))
    return status;
  if (braid_rt_kernel_status status = checkPointer(op, "y", y, n))
    return status;
  return dispatchFloat(op, "the element type", type, [&](auto tag) {
    using T = decltype(tag);
    cpu::activation(kind, n, static_cast<const T *>(x), static_cast<T *>(y));
    return BRAID_RT_KERNEL_OK;
  });
}

int braid_rt_cpu_swiglu(braid_rt_elem type, int64_t n, const void *gate,
                        const void *up, void *y) {
  constexpr const char *op = "braid.swiglu";
  if (braid_rt_kernel_status status = checkSizes(op, {{"n", n}}))
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
                static_cast<T *>(y));
    return BRAID_RT_KERNEL_OK;
  });
}

int braid_rt_cpu_softmax(braid_rt_elem type, int64_t outer, int64_t extent,
                         int64_t inner, const void *x, void *y) {
  constexpr const char *op = "linalg.softmax";
  if (braid_rt_kernel_status status =
          checkSoftmaxShape(op, outer, extent, inner))
    return status;
  int64_t elements = outer * extent * inner;
  if (braid_rt_kernel_status status = checkPointer(op, "x", x, elements))
    return status;
  if (braid_rt_kernel_status status = checkPointer(op, "y", y, elements))
    return status;
  return dispatchFloat(op, "the element type", type, [&](auto tag) {
    using T = decltype(tag);
    cpu::softmax(outer, extent, inner, static_cast<const T *>(x),
                 static_cast<T *>(y));
    return BRAID_RT_KERNEL_OK;
  });
}

} // extern "C"
