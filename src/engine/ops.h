/* ops — the per-token operations of the forward pass that are not matrix
 * products: RMSNorm, rotary position embeddings, and the scalar reference
 * of the KV rotation (kvrot.h). Pure, thread-safe. */
#ifndef FC_OPS_H
#define FC_OPS_H

#include "../model/arch.h"

/* out[i] = x[i] / sqrt(mean(x^2) + eps) * w[i]; the sum of squares in double
 * (four running sums of every fourth square, added at the end). */
void fc_rmsnorm(float *out, const float *x, const float *w, int n, float eps);

/* Rotates the first n_rot dims of each of n_heads heads (head_dim apart) by
 * pos * inv_freq[i] (inv_freq[i] = base^(-2i/n_rot) * linear scale). ROPE_NORM
 * pairs dims (2i, 2i+1); ROPE_NEOX pairs (i, i + n_rot/2). Angles in double:
 * at position 8000 a float angle would be off by ~1e-3 rad. */
void fc_rope(float *v, int n_heads, int head_dim, int n_rot, int pos, const double *inv_freq, enum rope_kind kind);

/* fc_rope in two steps, so that the queries and keys of one position share
 * the sines and cosines: fc_rope_angles fills cs[2i] = cos, cs[2i + 1] = sin
 * of pos * inv_freq[i] for i < n_rot / 2; fc_rope_apply rotates by them.
 * fc_rope(v, ...) equals fc_rope_angles then fc_rope_apply, bit for bit. */
void fc_rope_angles(float *cs, int n_rot, int pos, const double *inv_freq);
void fc_rope_apply(float *v, int n_heads, int head_dim, int n_rot, const float *cs, enum rope_kind kind);

/* The KV rotation (kvrot.h, its own inverse) of n_vec head vectors of
 * head_dim floats in place. Scalar reference of vm_kv_rotate and of the
 * CUDA kernel (kv.cu); all three agree bit for bit. */
void fc_kv_rotate_ref(float *x, int n_vec, int head_dim);

#endif
