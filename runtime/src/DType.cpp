//===- DType.cpp - element types and reductions ---------------------------===//

#include "braid_rt/DType.h"
#include "ElementOps.h"

#include <cmath>
#include <limits>
#include <type_traits>

namespace braid_rt {

bool isValid(DType dtype) {
  int value = static_cast<int>(dtype);
  return value >= 0 && value < kNumDTypes;
}

bool isValid(ReduceOp op) {
  int value = static_cast<int>(op);
  return value >= 0 && value < kNumReduceOps;
}

size_t dtypeSize(DType dtype) {
  switch (dtype) {
  case DType::F64:
  case DType::I64:
    return 8;
  case DType::F32:
  case DType::I32:
    return 4;
  case DType::F16:
  case DType::BF16:
    return 2;
  case DType::I8:
    return 1;
  }
  return 0;
}

const char *dtypeName(DType dtype) {
  switch (dtype) {
  case DType::F64:
    return "f64";
  case DType::F32:
    return "f32";
  case DType::F16:
    return "f16";
  case DType::BF16:
    return "bf16";
  case DType::I64:
    return "i64";
  case DType::I32:
    return "i32";
  case DType::I8:
    return "i8";
  }
  return "invalid-dtype";
}

const char *reduceOpName(ReduceOp op) {
  switch (op) {
  case ReduceOp::Sum:
    return "sum";
  case ReduceOp::Max:
    return "max";
  case ReduceOp::Min:
    return "min";
  case ReduceOp::Prod:
    return "prod";
  }
  return "invalid-reduce-op";
}

float halfToFloat(uint16_t bits) { return elements::halfToFloat(bits); }
uint16_t floatToHalf(float value) { return elements::floatToHalf(value); }
uint16_t floatToBf16(float value) { return elements::floatToBf16(value); }

namespace {

using elements::combineFloat;
using elements::combineInt;

// Folds block by block: each block of the result is computed in a local
// accumulator before it is stored, so `dst` may alias any source, and the
// inner loops over one source vectorise.
constexpr size_t kBlock = 512;

template <typename T>
void foldNative(void *dst, const void *const *srcs, size_t numSrcs,
                size_t count, ReduceOp op) {
  T acc[kBlock];
  for (size_t begin = 0; begin < count; begin += kBlock) {
    size_t n = count - begin < kBlock ? count - begin : kBlock;
    std::memcpy(acc, static_cast<const T *>(srcs[0]) + begin, n * sizeof(T));
    for (size_t s = 1; s < numSrcs; ++s) {
      const T *next = static_cast<const T *>(srcs[s]) + begin;
      for (size_t i = 0; i < n; ++i) {
        if constexpr (std::is_floating_point_v<T>)
          acc[i] = combineFloat(acc[i], next[i], op);
        else
          acc[i] = combineInt(acc[i], next[i], op);
      }
    }
    std::memcpy(static_cast<T *>(dst) + begin, acc, n * sizeof(T));
  }
}

template <float (*ToFloat)(uint16_t), uint16_t (*FromFloat)(float)>
void foldHalf(void *dst, const void *const *srcs, size_t numSrcs, size_t count,
              ReduceOp op) {
  // `acc` always holds a value of the narrow type, widened.
  float acc[kBlock];
  for (size_t begin = 0; begin < count; begin += kBlock) {
    size_t n = count - begin < kBlock ? count - begin : kBlock;
    const uint16_t *first = static_cast<const uint16_t *>(srcs[0]) + begin;
    for (size_t i = 0; i < n; ++i)
      acc[i] = ToFloat(first[i]);
    for (size_t s = 1; s < numSrcs; ++s) {
      const uint16_t *next = static_cast<const uint16_t *>(srcs[s]) + begin;
      for (size_t i = 0; i < n; ++i)
        acc[i] = ToFloat(FromFloat(combineFloat(acc[i], ToFloat(next[i]), op)));
    }
    uint16_t *out = static_cast<uint16_t *>(dst) + begin;
    for (size_t i = 0; i < n; ++i)
      out[i] = FromFloat(acc[i]);
  }
}

} // namespace

void reduceInOrder(void *dst, const void *const *srcs, size_t numSrcs,
                   size_t count, DType dtype, ReduceOp op) {
  if (numSrcs == 0)
    return;
  switch (dtype) {
  case DType::F64:
    return foldNative<double>(dst, srcs, numSrcs, count, op);
  case DType::F32:
    return foldNative<float>(dst, srcs, numSrcs, count, op);
  case DType::F16:
    return foldHalf<halfToFloat, floatToHalf>(dst, srcs, numSrcs, count, op);
  case DType::BF16:
    return foldHalf<bf16ToFloat, floatToBf16>(dst, srcs, numSrcs, count, op);
  case DType::I64:
    return foldNative<int64_t>(dst, srcs, numSrcs, count, op);
  case DType::I32:
    return foldNative<int32_t>(dst, srcs, numSrcs, count, op);
  case DType::I8:
    return foldNative<int8_t>(dst, srcs, numSrcs, count, op);
  }
}

} // namespace braid_rt
