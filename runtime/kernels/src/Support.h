//===- Support.h - argument checks, errors and type dispatch ----*- C++ -*-===//
//
// Shared by the CPU and CUDA entry points: the thread-local error message,
// checks that name the op, and the switch from a braid_rt_elem to a C++
// type.
//
//===----------------------------------------------------------------------===//

#ifndef BRAID_RT_KERNELS_SRC_SUPPORT_H
#define BRAID_RT_KERNELS_SRC_SUPPORT_H

#include "braid_rt/kernels.h"
#include "braid_rt/kernels/Float.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <sstream>
#include <string>
#include <type_traits>
#include <utility>

namespace braid_rt::kernels {

/// Records "op: message" as this thread's last error and returns `code`.
braid_rt_kernel_status fail(braid_rt_kernel_status code, const char *op,
                            const std::string &message);

/// Builds a message from streamable parts.
template <typename... Parts> std::string concat(Parts &&...parts) {
  std::ostringstream os;
  (os << ... << std::forward<Parts>(parts));
  return os.str();
}

template <typename... Parts>
braid_rt_kernel_status invalid(const char *op, Parts &&...parts) {
  return fail(BRAID_RT_KERNEL_INVALID_ARGUMENT, op,
              concat(std::forward<Parts>(parts)...));
}

/// Checks that every size is non-negative; names the first that is not.
braid_rt_kernel_status
checkSizes(const char *op,
           std::initializer_list<std::pair<const char *, int64_t>> sizes);

/// Checks that `numerics` is one of braid_rt_gemm_numerics.
braid_rt_kernel_status checkNumerics(const char *op,
                                     braid_rt_gemm_numerics numerics);

/// Checks that `pointer` is non-null when `elements` > 0.
braid_rt_kernel_status checkPointer(const char *op, const char *name,
                                    const void *pointer, int64_t elements);

/// `a * b` without overflow (false when it would).
bool mulChecked(int64_t a, int64_t b, int64_t &product);

bool isFloatElem(braid_rt_elem type);
bool isIndexElem(braid_rt_elem type);

/// The braid_rt_elem of a C++ element type.
template <typename T> constexpr braid_rt_elem elemOf() {
  if constexpr (std::is_same_v<T, float>)
    return BRAID_RT_ELEM_F32;
  else if constexpr (std::is_same_v<T, bf16>)
    return BRAID_RT_ELEM_BF16;
  else if constexpr (std::is_same_v<T, f16>)
    return BRAID_RT_ELEM_F16;
  else if constexpr (std::is_same_v<T, double>)
    return BRAID_RT_ELEM_F64;
  else if constexpr (std::is_same_v<T, uint8_t>)
    return BRAID_RT_ELEM_I1;
  else if constexpr (std::is_same_v<T, int8_t>)
    return BRAID_RT_ELEM_I8;
  else if constexpr (std::is_same_v<T, int16_t>)
    return BRAID_RT_ELEM_I16;
  else if constexpr (std::is_same_v<T, int32_t>)
    return BRAID_RT_ELEM_I32;
  else
    return BRAID_RT_ELEM_I64;
}

/// Strict order of two values: integers as integers, floats with NaN above
/// every number (the interpreter's `lessThan`).
template <typename T> bool lessThan(T a, T b) {
  if constexpr (std::is_integral_v<T>) {
    return a < b;
  } else {
    double x = toDouble(a), y = toDouble(b);
    if (std::isnan(x) || std::isnan(y))
      return !std::isnan(x) && std::isnan(y);
    return x < y;
  }
}

/// Calls fn(T{}) with T the C++ type of a floating-point `type`; returns
/// the result of fn, or an invalid-argument error naming `op` and `what`.
template <typename Fn>
braid_rt_kernel_status dispatchFloat(const char *op, const char *what,
                                     braid_rt_elem type, Fn &&fn) {
  switch (type) {
  case BRAID_RT_ELEM_F32:
    return fn(float{});
  case BRAID_RT_ELEM_BF16:
    return fn(bf16{});
  case BRAID_RT_ELEM_F16:
    return fn(f16{});
  case BRAID_RT_ELEM_F64:
    return fn(double{});
  default:
    return invalid(op, what, " must be f32, bf16, f16 or f64, not ",
                   braid_rt_elem_name(type));
  }
}

/// As dispatchFloat, for the integer types too (i1 as uint8_t).
template <typename Fn>
braid_rt_kernel_status dispatchNumeric(const char *op, const char *what,
                                       braid_rt_elem type, Fn &&fn) {
  switch (type) {
  case BRAID_RT_ELEM_I1:
    return fn(uint8_t{});
  case BRAID_RT_ELEM_I8:
    return fn(int8_t{});
  case BRAID_RT_ELEM_I16:
    return fn(int16_t{});
  case BRAID_RT_ELEM_I32:
    return fn(int32_t{});
  case BRAID_RT_ELEM_I64:
    return fn(int64_t{});
  default:
    return dispatchFloat(op, what, type, std::forward<Fn>(fn));
  }
}

/// Calls fn(I{}) with I int32_t or int64_t.
template <typename Fn>
braid_rt_kernel_status dispatchIndex(const char *op, const char *what,
                                     braid_rt_elem type, Fn &&fn) {
  switch (type) {
  case BRAID_RT_ELEM_I32:
    return fn(int32_t{});
  case BRAID_RT_ELEM_I64:
    return fn(int64_t{});
  default:
    return invalid(op, what, " must be i32 or i64, not ",
                   braid_rt_elem_name(type));
  }
}

/// Scratch of at least `bytes` bytes owned by the calling thread (for
/// callers that pass no workspace); valid until its next call.
void *threadScratch(size_t bytes);

/// Checks a GEMM descriptor: sizes, strides, leading dimensions, types.
braid_rt_kernel_status checkGemmDesc(const char *op,
                                     const braid_rt_gemm_desc *desc);

/// Runs a GEMM whose descriptor passed checkGemmDesc on the CPU; a null
/// workspace selects the per-thread one.
braid_rt_kernel_status runCpuGemm(const braid_rt_gemm_desc &desc, const void *a,
                                  const void *b, void *c,
                                  braid_rt_gemm_numerics numerics,
                                  void *workspace, size_t workspaceBytes);

/// Checks a chunked GEMM (braid_rt_cpu_gemm_chunked, braid_rt_cuda_gemm_
/// chunked): one matrix, a cut along M or N whose extent is a multiple of
/// `chunks`, an order naming every chunk once (null: natural), at least one
/// tile per chunk.
braid_rt_kernel_status checkChunkedGemm(const char *op,
                                        const braid_rt_gemm_desc *desc,
                                        braid_rt_gemm_cut cut, int64_t chunks,
                                        const int64_t *order,
                                        int64_t tilesPerChunk);

/// Checks a chunked grouped matmul (braid_rt_cpu_grouped_matmul_chunked,
/// braid_rt_cuda_grouped_matmul_chunked): the grouped matmul's shape and
/// types, group sizes of an index type, and `chunks` row chunks as
/// checkChunkedGemm checks a cut along M.
braid_rt_kernel_status
checkChunkedGroupedMatmul(const char *op, braid_rt_elem type,
                          braid_rt_elem outType, int64_t rows, int64_t depth,
                          int64_t cols, int64_t experts, const void *groupSizes,
                          braid_rt_elem sizesType, int64_t chunks,
                          const int64_t *order, int64_t tilesPerChunk);

/// The order of every chunked producer (arguments checked by
/// checkChunkedGemm): an axis of `extent` cut into `chunks` equal chunks;
/// for each position of `order` (null: natural) and each of the chunk's
/// `tilesPerChunk` blocks (braid_rt_chunk_tile_range), `block(begin, end)`
/// on the block's half-open range of the axis (not called when it is
/// empty), then `release(user, position, tile)`.
template <typename Block>
int forEachChunkBlock(int64_t extent, int64_t chunks, const int64_t *order,
                      int64_t tilesPerChunk, Block &&block,
                      braid_rt_gemm_release_fn release, void *user) {
  for (int64_t position = 0; position < chunks; ++position) {
    int64_t chunk = order ? order[position] : position;
    for (int64_t tile = 0; tile < tilesPerChunk; ++tile) {
      int64_t begin = 0, end = 0;
      braid_rt_chunk_tile_range(extent, chunks, chunk, tilesPerChunk, tile,
                                &begin, &end);
      if (end > begin)
        if (int status = block(begin, end))
          return status;
      if (release)
        if (int status = release(user, position, tile))
          return status;
    }
  }
  return BRAID_RT_KERNEL_OK;
}

/// The loop of both chunked GEMMs (arguments checked by checkChunkedGemm):
/// forEachChunkBlock along the cut, with `gemm(piece, a, b, c)` on the
/// sub-matrices each block needs. A cut along M or N leaves every
/// element's dot product over K as one call computes it.
template <typename Gemm>
int forEachChunkTile(const braid_rt_gemm_desc &desc, const void *a,
                     const void *b, void *c, braid_rt_gemm_cut cut,
                     int64_t chunks, const int64_t *order,
                     int64_t tilesPerChunk, Gemm &&gemm,
                     braid_rt_gemm_release_fn release, void *user) {
  bool alongM = cut == BRAID_RT_GEMM_CUT_M;
  size_t aElem = braid_rt_elem_size(desc.a_type);
  size_t bElem = braid_rt_elem_size(desc.b_type);
  size_t cElem = braid_rt_elem_size(desc.c_type);
  return forEachChunkBlock(
      alongM ? desc.m : desc.n, chunks, order, tilesPerChunk,
      [&](int64_t begin, int64_t end) {
        braid_rt_gemm_desc piece = desc;
        const char *aPiece = static_cast<const char *>(a);
        const char *bPiece = static_cast<const char *>(b);
        char *cPiece = static_cast<char *>(c);
        if (alongM) {
          piece.m = end - begin;
          // Row `begin` of A: a column of the stored [k, m] when transposed.
          aPiece += (desc.trans_a ? begin : begin * desc.lda) * aElem;
          cPiece += begin * desc.ldc * cElem;
        } else {
          piece.n = end - begin;
          bPiece += (desc.trans_b ? begin * desc.ldb : begin) * bElem;
          cPiece += begin * cElem;
        }
        return gemm(piece, a ? aPiece : nullptr, b ? bPiece : nullptr,
                    c ? cPiece : nullptr);
      },
      release, user);
}

/// Checks shared by the CPU and CUDA entry points of the layer ops.
braid_rt_kernel_status checkActivationKind(const char *op,
                                           braid_rt_activation kind);
braid_rt_kernel_status checkRows(const char *op, int64_t rows, int64_t width,
                                 float epsilon);
braid_rt_kernel_status checkSoftmaxShape(const char *op, int64_t outer,
                                         int64_t extent, int64_t inner);
/// Checks rows x width and, for top-k, 1 <= k <= width.
braid_rt_kernel_status checkSelection(const char *op, int64_t rows,
                                      int64_t width, std::optional<int64_t> k);
braid_rt_kernel_status checkGroupedMatmul(const char *op, braid_rt_elem type,
                                          braid_rt_elem outType, int64_t rows,
                                          int64_t depth, int64_t cols,
                                          int64_t experts);
braid_rt_kernel_status checkMoeGate(const char *op, int64_t tokens,
                                    int64_t numExperts, int64_t k);
braid_rt_kernel_status checkMoePermute(const char *op, int64_t tokens,
                                       int64_t hidden, int64_t k,
                                       int64_t numExperts);
braid_rt_kernel_status checkMoeUnpermute(const char *op, int64_t tokens,
                                         int64_t k, int64_t hidden,
                                         int64_t rows);
braid_rt_kernel_status checkIndexing(const char *op, int64_t outer,
                                     int64_t axisSize, int64_t inner,
                                     int64_t numIndices);
/// Checks an attention descriptor; `scale` receives the effective scale.
braid_rt_kernel_status checkAttention(const char *op,
                                      const braid_rt_attention_desc *desc,
                                      bool hasMask, double &scale);

} // namespace braid_rt::kernels

#endif // BRAID_RT_KERNELS_SRC_SUPPORT_H
