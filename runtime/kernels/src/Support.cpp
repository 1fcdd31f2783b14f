//===- Support.cpp - errors, element types and checks ---------------------===//

#include "Support.h"

#include <algorithm>

#include <limits>
#include <vector>

namespace braid_rt::kernels {
namespace {
thread_local std::string lastError;
} // namespace

braid_rt_kernel_status fail(braid_rt_kernel_status code, const char *op,
                            const std::string &message) {
  lastError = std::string(op) + ": " + message;
  return code;
}

braid_rt_kernel_status
checkSizes(const char *op,
           std::initializer_list<std::pair<const char *, int64_t>> sizes) {
  for (const auto &[name, size] : sizes)
    if (size < 0)
      return invalid(op, name, " is negative (", size, ")");
  return BRAID_RT_KERNEL_OK;
}

braid_rt_kernel_status checkNumerics(const char *op,
                                     braid_rt_gemm_numerics numerics) {
  if (numerics != BRAID_RT_GEMM_BLAS && numerics != BRAID_RT_GEMM_SEQUENTIAL)
    return invalid(op, "unknown numerics ", static_cast<int>(numerics));
  return BRAID_RT_KERNEL_OK;
}

braid_rt_kernel_status checkPointer(const char *op, const char *name,
                                    const void *pointer, int64_t elements) {
  if (!pointer && elements > 0)
    return invalid(op, name, " is null");
  return BRAID_RT_KERNEL_OK;
}

bool mulChecked(int64_t a, int64_t b, int64_t &product) {
  if (a < 0 || b < 0)
    return false;
  if (a != 0 && b > std::numeric_limits<int64_t>::max() / a)
    return false;
  product = a * b;
  return true;
}

bool isFloatElem(braid_rt_elem type) {
  return type == BRAID_RT_ELEM_F32 || type == BRAID_RT_ELEM_BF16 ||
         type == BRAID_RT_ELEM_F16 || type == BRAID_RT_ELEM_F64;
}

bool isIndexElem(braid_rt_elem type) {
  return type == BRAID_RT_ELEM_I32 || type == BRAID_RT_ELEM_I64;
}

braid_rt_kernel_status checkChunkedGemm(const char *op,
                                        const braid_rt_gemm_desc *desc,
                                        braid_rt_gemm_cut cut, int64_t chunks,
                                        const int64_t *order,
                                        int64_t tiles_per_chunk) {
  if (!desc)
    return invalid(op, "the GEMM descriptor is null");
  if (desc->batch != 1)
    return invalid(op, "batch = ", desc->batch,
                   " (a chunked GEMM computes one matrix)");
  if (cut != BRAID_RT_GEMM_CUT_M && cut != BRAID_RT_GEMM_CUT_N)
    return invalid(op, "cut ", static_cast<int>(cut),
                   " is neither M (0) nor N (1)");
  bool alongM = cut == BRAID_RT_GEMM_CUT_M;
  int64_t extent = alongM ? desc->m : desc->n;
  const char *axis = alongM ? "m" : "n";
  if (chunks < 1)
    return invalid(op, "chunks = ", chunks, " (at least 1)");
  if (tiles_per_chunk < 1)
    return invalid(op, "tiles_per_chunk = ", tiles_per_chunk,
                   " (at least 1)");
  if (extent < 0 || extent % chunks != 0)
    return invalid(op, axis, " = ", extent,
                   " is not a multiple of chunks = ", chunks,
                   " (chunk c must be exactly the c-th part of the output)");
  if (order) {
    std::vector<bool> seen(static_cast<size_t>(chunks), false);
    for (int64_t i = 0; i < chunks; ++i) {
      if (order[i] < 0 || order[i] >= chunks || seen[order[i]])
        return invalid(op, "order[", i, "] = ", order[i],
                       ": the order must name each of the ", chunks,
                       " chunks once");
      seen[order[i]] = true;
    }
  }
  return BRAID_RT_KERNEL_OK;
}

} // namespace braid_rt::kernels

extern "C" {

int braid_rt_kernels_api_version(void) { return BRAID_RT_KERNELS_API_VERSION; }

void braid_rt_chunk_tile_range(int64_t extent, int64_t chunks, int64_t chunk,
                               int64_t tiles_per_chunk, int64_t tile,
                               int64_t *begin, int64_t *end) {
  int64_t chunkExtent = extent / chunks;
  // First row (column) of tile block `index` of a chunk.
  auto blockBegin = [&](int64_t index) {
    return index * (chunkExtent / tiles_per_chunk) +
           std::min(index, chunkExtent % tiles_per_chunk);
  };
  *begin = chunk * chunkExtent + blockBegin(tile);
  *end = chunk * chunkExtent + blockBegin(tile + 1);
}

const char *braid_rt_kernel_last_error(void) {
  return braid_rt::kernels::lastError.c_str();
}

size_t braid_rt_elem_size(braid_rt_elem type) {
  switch (type) {
  case BRAID_RT_ELEM_F64:
  case BRAID_RT_ELEM_I64:
    return 8;
  case BRAID_RT_ELEM_F32:
  case BRAID_RT_ELEM_I32:
    return 4;
  case BRAID_RT_ELEM_F16:
  case BRAID_RT_ELEM_BF16:
  case BRAID_RT_ELEM_I16:
    return 2;
  case BRAID_RT_ELEM_I8:
  case BRAID_RT_ELEM_I1:
    return 1;
  }
  return 0;
}

const char *braid_rt_elem_name(braid_rt_elem type) {
  switch (type) {
  case BRAID_RT_ELEM_F32:
    return "f32";
  case BRAID_RT_ELEM_F16:
    return "f16";
  case BRAID_RT_ELEM_BF16:
    return "bf16";
  case BRAID_RT_ELEM_F64:
    return "f64";
  case BRAID_RT_ELEM_I1:
    return "i1";
  case BRAID_RT_ELEM_I8:
    return "i8";
  case BRAID_RT_ELEM_I16:
    return "i16";
  case BRAID_RT_ELEM_I32:
    return "i32";
  case BRAID_RT_ELEM_I64:
    return "i64";
  }
  return "unknown";
}

braid_rt_gemm_desc braid_rt_gemm_desc_dense(int64_t batch, int64_t m, int64_t n,
                                            int64_t k, braid_rt_elem a_type,
                                            braid_rt_elem b_type,
                                            braid_rt_elem c_type,
                                            int32_t accumulate) {
  braid_rt_gemm_desc desc{};
  desc.m = m;
  desc.n = n;
  desc.k = k;
  desc.a_type = a_type;
  desc.b_type = b_type;
  desc.c_type = c_type;
  desc.lda = k;
  desc.ldb = n;
  desc.ldc = n;
  desc.batch = batch;
  desc.stride_a = m * k;
  desc.stride_b = k * n;
  desc.stride_c = m * n;
  desc.accumulate = accumulate;
  return desc;
}

} // extern "C"
