/*===- braid_rt/kernels.h - C entry points of Braid's kernels -----*- C -*-===//
 *
 * Plain C functions on raw pointers, shapes and element types that compiled
 * Braid host code calls: one per braid compute op (docs/Kernels.md), on the
 * CPU (`braid_rt_cpu_*`) and on CUDA devices (`braid_rt_cuda_*`, device
 * pointers, enqueued on a `cudaStream_t` passed as `void *`).
 *
 * Every tensor is dense and row-major. Every function returns a
 * `braid_rt_kernel_status`; on failure `braid_rt_kernel_last_error()` holds
 * a message naming the op ("braid.gather: index 12 is outside [0, 10)") for
 * the calling thread. Nothing aborts, throws or prints.
 *
 * Numerics are the reference interpreter's (docs/Interpreter.md): sums and
 * statistics accumulate in f32 (f64 for f64 data), sequentially where the
 * interpreter defines an order; results round once to their element type,
 * to nearest even. The CPU kernels are bitwise equal to braid-interp in
 * their sequential numerics; their fast (BLAS) numerics reassociate sums
 * and approximate exp within the numerics contract (docs/Kernels.md).
 *
 *===----------------------------------------------------------------------===*/

#ifndef BRAID_RT_KERNELS_H
#define BRAID_RT_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped on any incompatible change of the functions below. */
#define BRAID_RT_KERNELS_API_VERSION 2
int braid_rt_kernels_api_version(void);

/* Element types. bf16 and f16 are stored as their 16-bit patterns; i1 as
 * one byte holding 0 or 1. */
typedef enum braid_rt_elem {
  BRAID_RT_ELEM_F32 = 0,
  BRAID_RT_ELEM_F16 = 1,
  BRAID_RT_ELEM_BF16 = 2,
  BRAID_RT_ELEM_F64 = 3,
  BRAID_RT_ELEM_I1 = 4,
  BRAID_RT_ELEM_I8 = 5,
  BRAID_RT_ELEM_I16 = 6,
  BRAID_RT_ELEM_I32 = 7,
  BRAID_RT_ELEM_I64 = 8,
} braid_rt_elem;

/* Bytes per element; 0 for a value outside the enumeration. */
size_t braid_rt_elem_size(braid_rt_elem type);
/* "f32", "bf16", ...; "unknown" outside the enumeration. */
const char *braid_rt_elem_name(braid_rt_elem type);

/* Status codes. The values are those of braid_rt::StatusCode. */
typedef enum braid_rt_kernel_status {
  BRAID_RT_KERNEL_OK = 0,
  BRAID_RT_KERNEL_INVALID_ARGUMENT = 1,
  BRAID_RT_KERNEL_OUT_OF_MEMORY = 2,
  BRAID_RT_KERNEL_UNAVAILABLE = 6,
  BRAID_RT_KERNEL_INTERNAL = 7,
} braid_rt_kernel_status;

/* The message of the last failing call on this thread ("" if none). */
const char *braid_rt_kernel_last_error(void);

/*===-------------------------------------------------------------------===//
 * GEMM: C = A·B (accumulate = 0) or C = C + A·B (accumulate = 1, linalg's
 * init), batched. A is [m, k] (stored [k, m] when trans_a), B is [k, n]
 * (stored [n, k] when trans_b), C is [m, n]; leading dimensions in elements
 * of the stored row-major matrices; batch entries `stride_*` elements apart
 * (0 broadcasts one matrix to every entry). Operand types f32, bf16 and f16
 * (any mix) accumulate in f32; all-f64 accumulates in f64.
 *===-------------------------------------------------------------------===*/
typedef struct braid_rt_gemm_desc {
  int64_t m, n, k;
  int32_t trans_a, trans_b;
  braid_rt_elem a_type, b_type, c_type;
  int64_t lda, ldb, ldc;
  int64_t batch;
  int64_t stride_a, stride_b, stride_c;
  int32_t accumulate;
} braid_rt_gemm_desc;

/* Fills a desc for a dense batch of row-major GEMMs without transposes. */
braid_rt_gemm_desc braid_rt_gemm_desc_dense(int64_t batch, int64_t m, int64_t n,
                                            int64_t k, braid_rt_elem a_type,
                                            braid_rt_elem b_type,
                                            braid_rt_elem c_type,
                                            int32_t accumulate);

/* The numerics of the CPU GEMM, grouped matmul, attention and layer ops. */
typedef enum braid_rt_gemm_numerics {
  /* OpenBLAS sgemm/dgemm (CPU): K reassociated, bound in docs/Kernels.md. */
  BRAID_RT_GEMM_BLAS = 0,
  /* Sequential sums exactly as braid-interp: bitwise equal, slow. */
  BRAID_RT_GEMM_SEQUENTIAL = 1,
} braid_rt_gemm_numerics;

/* Scratch the CPU GEMM needs to convert bf16/f16 operands to f32 (0 for
 * f32 and f64 problems). */
size_t braid_rt_cpu_gemm_workspace_bytes(const braid_rt_gemm_desc *desc);
/* `workspace` may be NULL: the kernel then uses a buffer of its own, kept
 * per thread. */
int braid_rt_cpu_gemm(const braid_rt_gemm_desc *desc, const void *a,
                      const void *b, void *c, braid_rt_gemm_numerics numerics,
                      void *workspace, size_t workspace_bytes);

/*===-------------------------------------------------------------------===//
 * Producer fusion (docs/Runtime.md, "Triggered collectives"): the GEMM
 * above, computed chunk by chunk in the order a collective consumes its
 * output, releasing each piece as soon as it is stored.
 *
 * C is cut along M (row chunks) or N (column chunks) into `chunks` equal
 * chunks (the cut extent must be a multiple of `chunks`, so chunk c is
 * exactly the c-th `chunks`-th of C, as the triggered collectives of
 * braid_rt.h cut their buffers); `order[i]` is the chunk computed at
 * position i (NULL: 0, 1, ..., chunks-1; braid_rt_chunk_at in braid_rt.h
 * gives the ring order). Each chunk is computed as `tiles_per_chunk` tile
 * blocks along the same axis (1: the chunk at once; more: finer releases,
 * cut as evenly as the rows/columns allow), each one braid_rt_cpu_gemm call
 * on the sub-matrices. After tile t of position i is stored,
 * `release(user, i, t)` runs on the calling thread; a non-zero result stops
 * the GEMM and is returned (its message is the callback's to set).
 *
 * Because every element of C is one dot product over all of K either way,
 * the result is bitwise equal to braid_rt_cpu_gemm of the whole problem
 * with the same numerics (OpenBLAS keeps its K order per element; checked
 * by the runtime's tests). batch must be 1; accumulate is honoured.
 *===-------------------------------------------------------------------===*/
typedef enum braid_rt_gemm_cut {
  BRAID_RT_GEMM_CUT_M = 0, /* chunk c = rows [c*m/chunks, (c+1)*m/chunks) */
  BRAID_RT_GEMM_CUT_N = 1  /* chunk c = columns, likewise */
} braid_rt_gemm_cut;

typedef int (*braid_rt_gemm_release_fn)(void *user, int64_t position,
                                        int64_t tile);

/* The rows (cut M) or columns (cut N) [*begin, *end) of C that tile block
 * `tile` of chunk `chunk` covers, as the chunked GEMMs cut them: chunk c is
 * [c * extent / chunks, (c + 1) * extent / chunks), its tile blocks as even
 * as the chunk allows, the first ones one longer. */
void braid_rt_chunk_tile_range(int64_t extent, int64_t chunks, int64_t chunk,
                               int64_t tiles_per_chunk, int64_t tile,
                               int64_t *begin, int64_t *end);

int braid_rt_cpu_gemm_chunked(const braid_rt_gemm_desc *desc, const void *a,
                              const void *b, void *c,
                              braid_rt_gemm_numerics numerics, void *workspace,
                              size_t workspace_bytes, braid_rt_gemm_cut cut,
                              int64_t chunks, const int64_t *order,
                              int64_t tiles_per_chunk,
                              braid_rt_gemm_release_fn release, void *user);

/* braid.grouped_matmul (braid_rt_cpu_grouped_matmul) computed in `chunks`
 * row chunks in `order`, each as `tiles_per_chunk` row blocks, release(user,
 * position, tile) after each: the producer of a fused collective whose
 * producer is a grouped matmul. Every row is computed as one call computes
 * it (its group's GEMM over the same depth). */
int braid_rt_cpu_grouped_matmul_chunked(
    braid_rt_elem type, braid_rt_elem out_type, int64_t rows, int64_t depth,
    int64_t cols, int64_t experts, const void *lhs, const void *rhs,
    const void *group_sizes, braid_rt_elem sizes_type, void *out,
    braid_rt_gemm_numerics numerics, int64_t chunks, const int64_t *order,
    int64_t tiles_per_chunk, braid_rt_gemm_release_fn release, void *user);

/*===-------------------------------------------------------------------===//
 * Layer ops (braid dialect). `type` is the element type of the data
 * tensors; f32, bf16, f16 and f64 unless noted. `numerics`:
 * BRAID_RT_GEMM_SEQUENTIAL is braid-interp's bitwise; BRAID_RT_GEMM_BLAS
 * (no BLAS call: the name is the GEMM's) computes in f32 vectors with
 * reassociated sums and a polynomial exp, within the numerics contract
 * (docs/Kernels.md); f64 data and gelu (erf) keep the sequential code.
 *===-------------------------------------------------------------------===*/

/* braid.rmsnorm over the last dimension: x, y [rows, width], weight [width]. */
int braid_rt_cpu_rmsnorm(braid_rt_elem type, int64_t rows, int64_t width,
                         const void *x, const void *weight, float epsilon,
                         void *y, braid_rt_gemm_numerics numerics);
/* braid.layernorm over the last dimension (biased variance). */
int braid_rt_cpu_layernorm(braid_rt_elem type, int64_t rows, int64_t width,
                           const void *x, const void *gamma, const void *beta,
                           float epsilon, void *y,
                           braid_rt_gemm_numerics numerics);

typedef enum braid_rt_activation {
  BRAID_RT_ACTIVATION_SILU = 0,
  BRAID_RT_ACTIVATION_GELU = 1,
  BRAID_RT_ACTIVATION_GELU_TANH = 2,
  BRAID_RT_ACTIVATION_RELU = 3,
  BRAID_RT_ACTIVATION_SIGMOID = 4,
} braid_rt_activation;

/* braid.activation on n elements. */
int braid_rt_cpu_activation(braid_rt_activation kind, braid_rt_elem type,
                            int64_t n, const void *x, void *y,
                            braid_rt_gemm_numerics numerics);
/* braid.swiglu: y = silu(gate) * up on n elements. */
int braid_rt_cpu_swiglu(braid_rt_elem type, int64_t n, const void *gate,
                        const void *up, void *y,
                        braid_rt_gemm_numerics numerics);
/* linalg.softmax over the middle dimension of x, y [outer, extent, inner]. */
int braid_rt_cpu_softmax(braid_rt_elem type, int64_t outer, int64_t extent,
                         int64_t inner, const void *x, void *y,
                         braid_rt_gemm_numerics numerics);

/* braid.attention: q [B, H, Sq, D], k [B, Hkv, Skv, D], v [B, Hkv, Skv, Dv],
 * out [B, H, Sq, Dv]; optional additive mask of `mask_shape`, each dimension
 * 1 (broadcast) or the matching one of [B, H, Sq, Skv]. */
typedef struct braid_rt_attention_desc {
  int64_t batch, heads, kv_heads, q_len, kv_len, head_dim, v_head_dim;
  int32_t causal;
  /* The softmax scale; 0 means 1/sqrt(head_dim) (computed in double). */
  double scale;
  braid_rt_elem type;      /* query, key, value and result */
  braid_rt_elem mask_type; /* f32, bf16, f16 or f64; read when mask != NULL */
  int64_t mask_shape[4];
} braid_rt_attention_desc;

/* Scratch of the BLAS numerics: a block of scores and, for bf16/f16, f32
 * copies of the operands (0 for a NULL desc). */
size_t
braid_rt_cpu_attention_workspace_bytes(const braid_rt_attention_desc *desc);
/* `numerics` as for the GEMM: BRAID_RT_GEMM_SEQUENTIAL is braid-interp's
 * attention bitwise; BRAID_RT_GEMM_BLAS computes Q·Kᵀ and P·V with
 * sgemm/dgemm and the softmax in f32 (f64), within the numerics contract
 * (docs/Kernels.md). `workspace` as for braid_rt_cpu_gemm (NULL: the
 * kernel's own, kept per thread). */
int braid_rt_cpu_attention(const braid_rt_attention_desc *desc, const void *q,
                           const void *k, const void *v, const void *mask,
                           void *out, braid_rt_gemm_numerics numerics,
                           void *workspace, size_t workspace_bytes);

/* braid.grouped_matmul: lhs [rows, depth] grouped by expert, rhs
 * [experts, depth, cols], group_sizes [experts] (i32 or i64), out
 * [rows, cols] of `out_type` (rows past the groups are zero). `workspace`
 * as for braid_rt_cpu_gemm, sized by
 * braid_rt_cpu_grouped_matmul_workspace_bytes (NULL: the kernel's own). */
size_t braid_rt_cpu_grouped_matmul_workspace_bytes(braid_rt_elem type,
                                                   braid_rt_elem out_type,
                                                   int64_t rows, int64_t depth,
                                                   int64_t cols);
int braid_rt_cpu_grouped_matmul(braid_rt_elem type, braid_rt_elem out_type,
                                int64_t rows, int64_t depth, int64_t cols,
                                int64_t experts, const void *lhs,
                                const void *rhs, const void *group_sizes,
                                braid_rt_elem sizes_type, void *out,
                                braid_rt_gemm_numerics numerics,
                                void *workspace, size_t workspace_bytes);

/* braid.moe_gate: logits [tokens, num_experts] -> weights [tokens, k] (same
 * type), experts [tokens, k] (i32 or i64). */
int braid_rt_cpu_moe_gate(braid_rt_elem type, int64_t tokens,
                          int64_t num_experts, int64_t k, int32_t normalize,
                          const void *logits, void *weights, void *experts,
                          braid_rt_elem experts_type);

/* braid.moe_permute: input [tokens, hidden], experts [tokens, k] ->
 * permuted [tokens*k, hidden], group_sizes [num_experts], row_map [tokens*k].
 * Any element type for input (the rows are copied). */
int braid_rt_cpu_moe_permute(braid_rt_elem type, int64_t tokens, int64_t hidden,
                             int64_t k, int64_t num_experts, const void *input,
                             const void *experts, braid_rt_elem experts_type,
                             void *permuted, void *group_sizes,
                             braid_rt_elem sizes_type, void *row_map,
                             braid_rt_elem map_type);

/* braid.moe_unpermute: input [rows, hidden] (rows = tokens*k), row_map
 * [tokens*k], weights [tokens, k] of `weights_type` -> out [tokens, hidden]
 * of `type`. */
int braid_rt_cpu_moe_unpermute(braid_rt_elem type, braid_rt_elem weights_type,
                               int64_t tokens, int64_t k, int64_t hidden,
                               int64_t rows, const void *input,
                               const void *row_map, braid_rt_elem map_type,
                               const void *weights, void *out);

/* braid.topk along the last dimension: values [rows, k] (type of input, any
 * float or integer type), indices [rows, k] (i32 or i64). */
int braid_rt_cpu_topk(braid_rt_elem type, int64_t rows, int64_t width,
                      int64_t k, const void *input, void *values, void *indices,
                      braid_rt_elem index_type);
/* braid.sort along the last dimension (stable), with the argsort. */
int braid_rt_cpu_sort(braid_rt_elem type, int64_t rows, int64_t width,
                      int32_t descending, const void *input, void *values,
                      void *indices, braid_rt_elem index_type);

/* braid.gather: source [outer, axis_size, inner], indices [num_indices]
 * (any shape, flattened) -> out [outer, num_indices, inner]. Any type. */
int braid_rt_cpu_gather(braid_rt_elem type, int64_t outer, int64_t axis_size,
                        int64_t inner, const void *source, int64_t num_indices,
                        const void *indices, braid_rt_elem index_type,
                        void *out);

typedef enum braid_rt_scatter_kind {
  BRAID_RT_SCATTER_REPLACE = 0,
  BRAID_RT_SCATTER_ADD = 1,
} braid_rt_scatter_kind;

/* braid.scatter: updates [outer, num_indices, inner] into dest
 * [outer, axis_size, inner] at indices [num_indices]; out has dest's shape
 * and may be dest itself. Slices apply in increasing index order. */
int braid_rt_cpu_scatter(braid_rt_scatter_kind kind, braid_rt_elem type,
                         int64_t outer, int64_t axis_size, int64_t inner,
                         int64_t num_indices, const void *updates,
                         const void *indices, braid_rt_elem index_type,
                         const void *dest, void *out);

/*===-------------------------------------------------------------------===//
 * CUDA. Device pointers; `stream` is a cudaStream_t (NULL: the legacy
 * default stream). The calls only enqueue work. Data-dependent errors (an
 * index out of range) are not reported: such entries are skipped. In a
 * build without CUDA every function returns BRAID_RT_KERNEL_UNAVAILABLE.
 * Types: f32, bf16, f16 (and integer types where the CPU op takes them).
 *===-------------------------------------------------------------------===*/

/* 1 when the kernels were built with CUDA. */
int braid_rt_kernels_have_cuda(void);

/* cuBLASLt handle plus the heuristic chosen for each GEMM shape (once per
 * shape, then cached). One per device; not thread-safe. */
typedef struct braid_rt_cuda_gemm_cache braid_rt_cuda_gemm_cache;
int braid_rt_cuda_gemm_cache_create(braid_rt_cuda_gemm_cache **cache);
void braid_rt_cuda_gemm_cache_destroy(braid_rt_cuda_gemm_cache *cache);
/* Workspace the GEMMs are planned with (the caller's arena provides it). */
size_t braid_rt_cuda_gemm_workspace_bytes(void);
int braid_rt_cuda_gemm(braid_rt_cuda_gemm_cache *cache,
                       const braid_rt_gemm_desc *desc, const void *a,
                       const void *b, void *c, void *workspace,
                       size_t workspace_bytes, void *stream);

/*===-------------------------------------------------------------------===//
 * Producer fusion on CUDA (docs/Rationale.md, "Producer fusion on GPU").
 * Release flags are 32-bit words of device memory, one per chunk, that only
 * grow (epoch-valued, never reset). A consumer stream waits on a flag with
 * braid_rt_cuda_wait_flag: the wait is done by the stream's front end
 * (cuStreamWaitValue32, GEQ), not by a spinning kernel, so it holds no SM;
 * work enqueued after it (a NCCL operation on the communication stream)
 * starts when the flag is set.
 *===-------------------------------------------------------------------===*/

/* The CUDA twin of braid_rt_cpu_gemm_chunked (same cut, order, tile blocks
 * and checks): braid_rt_cuda_gemm on `stream` once per tile block, each
 * followed by release(user, position, tile), called on the host right
 * after the block's GEMM is enqueued. A release that enqueues a stream
 * memory write on `stream` (the runtime's counter signal,
 * braid_rt_counter_signal_cuda) thus marks the block done when its GEMM
 * has finished; that is how the runtime's triggered collectives are fed
 * on CUDA (docs/Runtime.md, "Triggered collectives on NCCL"). */
int braid_rt_cuda_gemm_chunked(braid_rt_cuda_gemm_cache *cache,
                               const braid_rt_gemm_desc *desc, const void *a,
                               const void *b, void *c, void *workspace,
                               size_t workspace_bytes, braid_rt_gemm_cut cut,
                               int64_t chunks, const int64_t *order,
                               int64_t tiles_per_chunk,
                               braid_rt_gemm_release_fn release, void *user,
                               void *stream);

/* The CUDA twin of braid_rt_cpu_grouped_matmul_chunked (same row chunks,
 * order, row blocks and checks; no numerics: the CUDA grouped matmul has
 * one): each row block is the rows [begin, end) of
 * braid_rt_cuda_grouped_matmul enqueued on `stream`, its rows finding their
 * experts in the device-side `group_sizes`, so the output is bitwise that
 * of one call; release(user, position, tile) is called on the host right
 * after the block is enqueued, as in braid_rt_cuda_gemm_chunked. */
int braid_rt_cuda_grouped_matmul_chunked(
    braid_rt_elem type, braid_rt_elem out_type, int64_t rows, int64_t depth,
    int64_t cols, int64_t experts, const void *lhs, const void *rhs,
    const void *group_sizes, braid_rt_elem sizes_type, void *out,
    int64_t chunks, const int64_t *order, int64_t tiles_per_chunk,
    braid_rt_gemm_release_fn release, void *user, void *stream);

/* Chunk trigger: braid_rt_cuda_gemm once per chunk (cut along M or N into
 * `chunks` equal chunks, `order` as for braid_rt_cpu_gemm_chunked), each
 * followed by cuStreamWriteValue32(flags[chunk] = epoch + 1) on `stream`, so
 * the flag is set when the chunk's GEMM has finished. A consumer waits for
 * flags[c] >= epoch + 1. */
int braid_rt_cuda_gemm_chunked_signal(
    braid_rt_cuda_gemm_cache *cache, const braid_rt_gemm_desc *desc,
    const void *a, const void *b, void *c, void *workspace,
    size_t workspace_bytes, braid_rt_gemm_cut cut, int64_t chunks,
    const int64_t *order, uint32_t *flags, uint32_t epoch, void *stream);

/* Tile trigger: Braid's own tiled GEMM (f32/bf16/f16 operands, f32
 * accumulation, C of any of those types; no transposes, batch 1) over C
 * cut along M into `chunks` equal row chunks. Tiles are scheduled chunk
 * by chunk in `order` (device-independent host array, NULL: natural); each
 * CTA stores its 64x64 tile and then adds 1 to flags[chunk] with release
 * semantics (all its stores are visible before the count). A chunk is
 * complete when flags[chunk] >= (epoch + 1) * braid_rt_cuda_tiles_per_chunk
 * (m, n, chunks). The kernel never waits: it cannot starve anything. */
int64_t braid_rt_cuda_tiles_per_chunk(int64_t m, int64_t n, int64_t chunks);
int braid_rt_cuda_gemm_tiles_signal(const braid_rt_gemm_desc *desc,
                                    const void *a, const void *b, void *c,
                                    int64_t chunks, const int64_t *order,
                                    uint32_t *flags, void *stream);

/* Later work on `stream` waits until flags[index] >= value
 * (cuStreamWaitValue32 GEQ: the stream front end waits, no SM spins). */
int braid_rt_cuda_wait_flag(const uint32_t *flags, int64_t index,
                            uint32_t value, void *stream);

int braid_rt_cuda_rmsnorm(braid_rt_elem type, int64_t rows, int64_t width,
                          const void *x, const void *weight, float epsilon,
                          void *y, void *stream);
int braid_rt_cuda_layernorm(braid_rt_elem type, int64_t rows, int64_t width,
                            const void *x, const void *gamma, const void *beta,
                            float epsilon, void *y, void *stream);
int braid_rt_cuda_activation(braid_rt_activation kind, braid_rt_elem type,
                             int64_t n, const void *x, void *y, void *stream);
int braid_rt_cuda_swiglu(braid_rt_elem type, int64_t n, const void *gate,
                         const void *up, void *y, void *stream);
int braid_rt_cuda_softmax(braid_rt_elem type, int64_t outer, int64_t extent,
                          int64_t inner, const void *x, void *y, void *stream);
int braid_rt_cuda_attention(const braid_rt_attention_desc *desc, const void *q,
                            const void *k, const void *v, const void *mask,
                            void *out, void *stream);
int braid_rt_cuda_grouped_matmul(braid_rt_elem type, braid_rt_elem out_type,
                                 int64_t rows, int64_t depth, int64_t cols,
                                 int64_t experts, const void *lhs,
                                 const void *rhs, const void *group_sizes,
                                 braid_rt_elem sizes_type, void *out,
                                 void *stream);
int braid_rt_cuda_moe_gate(braid_rt_elem type, int64_t tokens,
                           int64_t num_experts, int64_t k, int32_t normalize,
                           const void *logits, void *weights, void *experts,
                           braid_rt_elem experts_type, void *stream);
int braid_rt_cuda_moe_permute(braid_rt_elem type, int64_t tokens,
                              int64_t hidden, int64_t k, int64_t num_experts,
                              const void *input, const void *experts,
                              braid_rt_elem experts_type, void *permuted,
                              void *group_sizes, braid_rt_elem sizes_type,
                              void *row_map, braid_rt_elem map_type,
                              void *stream);
int braid_rt_cuda_moe_unpermute(braid_rt_elem type, braid_rt_elem weights_type,
                                int64_t tokens, int64_t k, int64_t hidden,
                                int64_t rows, const void *input,
                                const void *row_map, braid_rt_elem map_type,
                                const void *weights, void *out, void *stream);
int braid_rt_cuda_topk(braid_rt_elem type, int64_t rows, int64_t width,
                       int64_t k, const void *input, void *values,
                       void *indices, braid_rt_elem index_type, void *stream);
int braid_rt_cuda_sort(braid_rt_elem type, int64_t rows, int64_t width,
                       int32_t descending, const void *input, void *values,
                       void *indices, braid_rt_elem index_type, void *stream);
int braid_rt_cuda_gather(braid_rt_elem type, int64_t outer, int64_t axis_size,
                         int64_t inner, const void *source, int64_t num_indices,
                         const void *indices, braid_rt_elem index_type,
                         void *out, void *stream);
int braid_rt_cuda_scatter(braid_rt_scatter_kind kind, braid_rt_elem type,
                          int64_t outer, int64_t axis_size, int64_t inner,
                          int64_t num_indices, const void *updates,
                          const void *indices, braid_rt_elem index_type,
                          const void *dest, void *out, void *stream);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* BRAID_RT_KERNELS_H */
