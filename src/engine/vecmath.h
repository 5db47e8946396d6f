/* vecmath — the float vector loops of the CPU forward pass that are not
 * matrix products: the gated feed-forward activations, the inner steps
 * of tiled (flash-style) attention and the rotation of quantized KV heads.
 *
 * Each function has an AVX2 + FMA build, picked at run time where the CPU
 * has them, and a portable one (GCC vector extensions; SSE2 on x86-64).
 * The two builds give bit-identical results (the same bodies compiled
 * twice, no contraction under -std=c11; tests/test_ops.c checks it), so the
 * choice is a matter of speed alone. quant_init() selects the build with
 * the kernels' ISA, so FITCHAT_ISA=scalar runs the portable loops too.
 * "fast" variants use a polynomial e^x (relative error ~2e-7); the exact
 * mode of the engine keeps libm's expf / tanhf. Pure, thread-safe.
 */
#ifndef FC_VECMATH_H
#define FC_VECMATH_H

#include <stdbool.h>

/* Selects the AVX2 build (simd, where the CPU has AVX2 and FMA) or the
 * portable one for every later call; returns 1 if the AVX2 build is in use.
 * Not thread-safe: call before the loops run (quant_init does). */
int vm_init(bool simd);

/* g[r] = act(g[r]) * u[r] for r in [0, n): SiLU (gelu false) or GELU in its
 * tanh form, with the polynomial e^x. */
void vm_glu_fast(bool gelu, float *g, const float *u, int n);

/* Scores of one query row against a tile of keys, one row of n_dim per
 * position: s[p] = scale * sum_i q[i] k[p * n_dim + i] for p in [p0, p1). */
void vm_scores(const float *q, const float *k, int n_dim, int p0, int p1, float scale, float *s);

/* Softmax weights of s[p0, p1) against the running maximum *m and sum *l
 * of one query row: updates *m to the new maximum, writes
 * s[p] = e^(s[p] - m) and returns the factor e^(m_old - m) by which the
 * row's earlier sum and output must be scaled (0 before any tile). The sum
 * of the new weights is added to *l after that scaling. fast: polynomial
 * e^x; else libm's expf. */
float vm_softmax_tile(float *s, int p0, int p1, float *m, double *l, bool fast);

/* out[i] = out[i] * corr + sum_{p in [p0, p1)} w[p] v[p * n_dim + i] for i
 * in [0, n_dim). */
void vm_accum_v(float *out, float corr, const float *w, const float *v, int n_dim, int p0, int p1);

/* fc_rmsnorm (ops.h): the same floats, the squares' double chains as the
 * lanes of a vector. out may be x. */
void vm_rmsnorm(float *out, const float *x, const float *w, int n, float eps);

/* d[b] = kvq_q4_0_scale(x + 32 b) for b < n_blocks (kvrot.h: the
 * least-squares Q4_0 scale of a KV block), equal to it bit for bit: the
 * same eight lanes, one vector. */
void vm_kvq_q4_0_scales(const float *x, int n_blocks, float *d);

/* The KV rotation (kvrot.h, its own inverse) of n_vec head vectors of
 * head_dim floats in place. Equal bit for bit to fc_kv_rotate_ref (ops.h):
 * the same butterflies in the same stages, eight lanes at a time. */
void vm_kv_rotate(float *x, int n_vec, int head_dim);

#endif
