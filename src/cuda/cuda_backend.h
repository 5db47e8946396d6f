/* cuda_backend — the CUDA device functions behind backend_cuda (stage.h)
 * and the kernel entry points its parity tests call. C linkage; implemented in src/cuda/ *.cu when fitchat is built with
 * CUDA (make CUDA=1, the default when nvcc is found), else by
 * src/engine/cuda_none.c, whose functions say "built without CUDA".
 *
 * Device memory: every cudaMalloc goes through the fc_devmem the caller
 * passes (cuda_devmem_ops), so the allocation log equals the plan. The
 * stage uploads its weights once at load (with a progress callback), keeps
 * its KV cache in type_k / type_v on the device, and runs every layer in
 * its range with its own kernels: quantized matrix-vector products reading
 * the blocks directly for decoding, a tiled dequantize-on-load matrix
 * product for prompts, RMSNorm, RoPE, SwiGLU / GeGLU, online-softmax
 * attention over the quantized cache. The hidden state crosses in once and
 * out once per call; logits come back once.
 */
#ifndef FC_CUDA_BACKEND_H
#define FC_CUDA_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../engine/devmem.h"
#include "../plan/workbuf.h" /* stage.h needs workbuf_params */
#include "../engine/stage.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Whether this binary was built with the CUDA backend. */
bool cuda_built(void);

/* Whether that backend is the CUDA host emulator (make CUDA=emu,
 * tests/cuda_emu): one emulated device, kernels run on the CPU. */
bool cuda_emulated(void);

/* Number of usable CUDA devices (0 with a reason in why: "built without
 * CUDA", "no CUDA driver", "no device"). Never fails otherwise. */
int cuda_device_count(char *why, size_t cap);

/* The ordinal of the CUDA device whose UUID, spelled as NVML spells it
 * ("GPU-xxxxxxxx-xxxx-..."), is uuid: -1 if CUDA sees no such device
 * (CUDA_VISIBLE_DEVICES hides it, or a MIG instance's UUID differs), -2
 * when CUDA cannot be asked (no backend, no driver or one too old for this
 * build: the engine says so when it starts). Creates no context. */
int cuda_device_of_uuid(const char *uuid);

/* Creates the CUDA context on device ordinal and measures what it cost:
 * cudaMemGetInfo free bytes before and after (context + kernel modules).
 * FC_EFAIL naming the device on failure. */
int cuda_device_init(int ordinal, uint64_t *context_bytes, fc_err *err);

/* Raw device memory for fc_devmem (ctx: pointer to an int holding the ordinal). */
extern const fc_devmem_ops cuda_devmem_ops;

/* The CUDA stage is backend_cuda (src/engine/stage.h), defined in stage.cu,
 * or in cuda_none.c where it says "built without CUDA". */

/* ---- kernel entry points for the parity tests (tests/test_cuda.c) --------
 * Each uploads its host inputs, runs one kernel, downloads the result.
 * Return 0, or -1 with err (no GPU: FC_EFAIL "no GPU"). */

/* y[t][r] = dot(row r of w (type, n_out rows of n_in), x[t]) for t < n_tok:
 * n_tok == 1 uses the decode kernel, more the prompt kernel. */
int cuda_test_matmul(uint32_t type, const void *w, int64_t n_in, int64_t n_out, const float *x, int n_tok, float *y,
                     fc_err *err);
/* dequantize n values of one row */
int cuda_test_dequant(uint32_t type, const void *row, int64_t n, float *out, fc_err *err);
int cuda_test_rmsnorm(const float *x, const float *w, int n_rows, int n, float eps, float *out, fc_err *err);
/* rope on n_tok rows of n_heads heads at positions pos0.. (kind: enum rope_kind) */
int cuda_test_rope(float *v, int n_tok, int n_heads, int head_dim, int n_rot, int pos0, const double *inv_freq,
                   int kind, fc_err *err);
/* act 0: silu(g) * u, 1: gelu_tanh(g) * u */
int cuda_test_glu(const float *g, const float *u, int64_t n, int act, float *out, fc_err *err);
/* KV row store: quantize n values into a row of type (F32/F16/Q8_0/Q4_0) */
int cuda_test_kv_store(uint32_t type, const float *x, int64_t n, void *row, fc_err *err);
/* The KV rotation (src/engine/kvrot.h) of n_vec head vectors in place
 * (twin: fc_kv_rotate_ref, equal bit for bit) */
int cuda_test_kv_rotate(float *x, int n_vec, int head_dim, fc_err *err);
/* Attention of n_tok queries (positions pos0..) over n_kv = pos0 + n_tok
 * cached positions, causal, GQA (n_head / n_head_kv), optional window,
 * K/V rows (n_kv rows of n_head_kv * head_dim) already in type_k / type_v.
 * q (n_tok, n_head * head_dim), out (n_tok, n_head * head_dim). */
int cuda_test_attention(const float *q, const void *k_rows, const void *v_rows, uint32_t type_k, uint32_t type_v,
                        int n_tok, int pos0, int n_head, int n_head_kv, int head_dim, uint32_t n_window, float scale,
                        float *out, fc_err *err);

#ifdef __cplusplus
}
#endif

#endif
