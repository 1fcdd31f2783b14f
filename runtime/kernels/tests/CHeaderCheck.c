/*===- CHeaderCheck.c - braid_rt/kernels.h is a C header -----------------===//
 *
 * Compiled as C11 so the entry points stay callable from C (and from the
 * EmitC host code); KernelUnitTest calls the function below.
 *
 *===----------------------------------------------------------------------===*/

#include "braid_rt/kernels.h"

int braid_rt_kernels_c_header_check(void) {
  float x[4] = {1.0f, -2.0f, 0.5f, 0.0f};
  float y[4];
  braid_rt_gemm_desc desc = braid_rt_gemm_desc_dense(
      1, 1, 1, 1, BRAID_RT_ELEM_F32, BRAID_RT_ELEM_F32, BRAID_RT_ELEM_F32, 0);
  if (braid_rt_cpu_activation(BRAID_RT_ACTIVATION_RELU, BRAID_RT_ELEM_F32, 4, x,
                              y, BRAID_RT_GEMM_BLAS) != BRAID_RT_KERNEL_OK)
    return 1;
  if (y[0] != 1.0f || y[1] != 0.0f)
    return 2;
  if (braid_rt_cpu_gemm(&desc, x, x, y, BRAID_RT_GEMM_SEQUENTIAL, 0, 0) !=
          BRAID_RT_KERNEL_OK ||
      y[0] != 1.0f)
    return 3;
  return 0;
}
