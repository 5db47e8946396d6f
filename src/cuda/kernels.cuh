/* kernels — the launchers of the backend's kernels, one per operation of
 * the forward pass (the stage and the test entry points call these). All
 * pointers are device memory unless named host_; every launcher runs on the
 * given stream, checks the launch, and returns 0 or -1 with err naming the
 * kernel. Shapes: row-major, "rows of n floats" means row r at r * n.
 * Internal header (CUDA only).
 */
#ifndef FC_CUDA_KERNELS_CUH
#define FC_CUDA_KERNELS_CUH

#include <cuda_runtime.h>
#include <stdbool.h>
#include <stdint.h>

#include "../util/err.h"

/* Whether the matrix kernels run weights of this ggml type. */
bool mm_type_supported(uint32_t type);

/* y[t * y_stride + r] (=, or += when accumulate) dot(row r of w, x[t * x_stride ..]) + bias[r]
 * for r < n_out, t < n_tok. w: n_out rows of n_in elements of type, row_bytes apart (rows
 * may be a view into a larger tensor; the kernels read nothing past the n_out rows, and
 * before them at most the 15 bytes down to a 16-byte boundary, inside the allocation).
 * n_tok == 1: the decode kernel (matvec.cu); more: the tiled kernel (matmul.cu).
 * n_in must be a multiple of 8 and of the type's block; x_stride a multiple of 4. */
int mm_launch(cudaStream_t st, uint32_t type, const void *w, int64_t n_in, int64_t n_out, size_t row_bytes,
              const float *x, int64_t x_stride, int n_tok, const float *bias, float *y, int64_t y_stride,
              bool accumulate, fc_err *err);
int matvec_launch(cudaStream_t st, uint32_t type, const void *w, int64_t n_in, int64_t n_out, size_t row_bytes,
                  const float *x, const float *bias, float *y, bool accumulate, fc_err *err);
int matmul_launch(cudaStream_t st, uint32_t type, const void *w, int64_t n_in, int64_t n_out, size_t row_bytes,
                  const float *x, int64_t x_stride, int n_tok, const float *bias, float *y, int64_t y_stride,
                  bool accumulate, fc_err *err);
/* out (n_total floats) = the row's values (n_total a multiple of 8). */
int dequant_launch(cudaStream_t st, uint32_t type, const void *row, int64_t n_total, float *out, fc_err *err);

/* norm_rope_act.cu */
/* out[r] = rmsnorm(x[r]) * w (n_rows rows of n; out may be x), or, with
 * add, out[r] += that (a post-norm before the residual add). */
int rmsnorm_launch(cudaStream_t st, const float *x, const float *w, float *out, int n_rows, int n, float eps,
                   bool add, fc_err *err);
/* RoPE on n_tok rows of n_heads heads (row stride n_heads * head_dim) at
 * positions pos0 + t; inv_freq: (n_rot / 2) doubles on the device. */
int rope_launch(cudaStream_t st, float *v, int n_tok, int n_heads, int head_dim, int n_rot, int pos0,
                const double *inv_freq, int kind, fc_err *err);
/* out[i] = act(g[i]) * u[i]; act 0 SiLU, 1 GELU (tanh form); out may be g. */
int glu_launch(cudaStream_t st, const float *g, const float *u, int64_t n, int act, float *out, fc_err *err);
/* v[i] = cap * tanh(v[i] / cap) */
int softcap_launch(cudaStream_t st, float *v, int64_t n, float cap, fc_err *err);

/* kv.cu: KV types F32, F16, Q8_0, Q4_0 (n a multiple of 32 for the block types). */
/* Each of n_rows rows of n floats becomes what a cache row of type gives back. */
int kv_round_launch(cudaStream_t st, uint32_t type, float *x, int n_rows, int64_t n, fc_err *err);
/* Row r of x (n floats) into cache row (pos_first + r) % kv_rows (row_bytes apart). */
int kv_store_launch(cudaStream_t st, uint32_t type, const float *x, int n_rows, int64_t n, uint8_t *cache,
                    size_t row_bytes, int pos_first, int kv_rows, fc_err *err);

/* The KV rotation (src/engine/kvrot.h, its own inverse) of n_vec head
 * vectors of head_dim floats (at most 1024) in place. */
int kv_rotate_launch(cudaStream_t st, float *x, int n_vec, int head_dim, fc_err *err);

/* attention.cu: online-softmax attention of n_tok queries at positions
 * pos0.. over positions [first, pos] each (causal; first = pos + 1 - n_window
 * with a window). Positions >= pos0 come from k_new / v_new (this batch,
 * already rounded to the KV types) unless those are NULL; older ones from the
 * cache row p % kv_rows. */
typedef struct attn_args {
    const float *q;              /* (n_tok, n_head * hk) */
    const float *k_new, *v_new;  /* (n_tok, n_head_kv * hk / hv) or NULL */
    const uint8_t *k_cache, *v_cache;
    uint32_t type_k, type_v;
    size_t k_row_bytes, v_row_bytes;
    int kv_rows;
    int n_tok, pos0, n_head, n_head_kv, hk, hv;
    int n_window;                /* 0: all positions */
    float scale;
    float *out;                  /* (n_tok, n_head * hv) */
} attn_args;
/* hk and hv: multiples of 32, at most 256. */
int attention_launch(cudaStream_t st, const attn_args *a, fc_err *err);

#endif
