//===- Support.cpp - errors, element types and checks ---------------------===//

#include "Support.h"

#include <limits>

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

} // namespace braid_rt::kernels

extern "C" {

int braid_rt_kernels_api_version(void) { return BRAID_RT_KERNELS_API_VERSION; }

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
