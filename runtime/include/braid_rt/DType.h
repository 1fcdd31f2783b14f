//===- DType.h - element types and reductions -------------------*- C++ -*-===//
//
// The element types and reduction operators collectives carry, the f16/bf16
// conversions the CPU paths use, and the one reduction the MPI engine
// applies: a left fold over the members in group order (0, 1, ..., P-1)
// that rounds to the element type after every step. That is the fold
// braid-interp uses (docs/Interpreter.md, "Numerics"), so a compiled program
// reduces to the same bits as the reference interpreter, and every rank of a
// group gets the same bits.
//
//===----------------------------------------------------------------------===//

#ifndef BRAID_RT_DTYPE_H
#define BRAID_RT_DTYPE_H

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace braid_rt {

/// Values are those of braid_rt_dtype in braid_rt.h.
enum class DType : int { F64 = 0, F32, F16, BF16, I64, I32, I8 };
constexpr int kNumDTypes = 7;

/// Values are those of braid_rt_reduce_op in braid_rt.h.
enum class ReduceOp : int { Sum = 0, Max, Min, Prod };
constexpr int kNumReduceOps = 4;

bool isValid(DType dtype);
bool isValid(ReduceOp op);
size_t dtypeSize(DType dtype);
const char *dtypeName(DType dtype);
const char *reduceOpName(ReduceOp op);

/// IEEE binary16 / bfloat16 <-> binary32. Narrowing rounds to nearest even;
/// NaN stays NaN (quiet), overflow goes to infinity.
float halfToFloat(uint16_t bits);
uint16_t floatToHalf(float value);
inline float bf16ToFloat(uint16_t bits) {
  uint32_t wide = static_cast<uint32_t>(bits) << 16;
  float value;
  std::memcpy(&value, &wide, sizeof(value));
  return value;
}
uint16_t floatToBf16(float value);

/// dst[i] = reduce(srcs[0][i], srcs[1][i], ..., srcs[n-1][i]) for i < count,
/// folded left in the order of `srcs`, rounding to `dtype` after each step.
/// Floats: NaN in either operand of max/min gives NaN; sum/prod are IEEE.
/// f16/bf16 steps are computed in f32 and rounded to the type, which equals
/// exact-then-round because f32 has more than 2p+2 bits. Integers wrap
/// (two's complement). `dst` may alias any source.
void reduceInOrder(void *dst, const void *const *srcs, size_t numSrcs,
                   size_t count, DType dtype, ReduceOp op);

} // namespace braid_rt

#endif // BRAID_RT_DTYPE_H
