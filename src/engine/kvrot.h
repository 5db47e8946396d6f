/* kvrot — how KV head vectors are stored quantized: rotated, and (Q4_0)
 * with a least-squares block scale.
 *
 * Why: a Q4_0 / Q8_0 block has one scale per 32 values, and the keys of
 * small models carry a few outlier channels (SmolLM2: |k| 20x the block's
 * typical value), so the scale fits the outlier and the other 31 values
 * round to few levels. An orthogonal rotation R spreads every channel over
 * the whole head; the scores are unchanged in exact arithmetic when the
 * queries get the same rotation ((R q) . (R k) = q . k), and the attention
 * output of rotated values is R out, which R^T = R takes back. llama.cpp
 * does the same (attn_rot_k, a Hadamard rotation). Random sign flips
 * before the transform (R = H D / sqrt(n), as in QuaRot) were measured and
 * did not help here (SmolLM2 q4_0 KL 0.074 with them, 0.068 without;
 * Gemma 3 0.111 and 0.112), so R is the plain normalised Hadamard matrix.
 *
 * The rotation: a head of head_dim values is split into chunks of
 * kvrot_chunk(head_dim) values, the largest power of two that divides
 * head_dim (head dims that are not a power of two, such as 80 or 96, get
 * several chunks); each chunk gets x -> H_n x / sqrt(n) with the fast
 * Walsh-Hadamard transform (Sylvester's H_n, symmetric and H_n H_n = n I,
 * so the rotation is its own inverse). The butterflies (a + b, a - b)
 * run in stages of span 1, 2, 4, ... n/2; every backend (ops.c's scalar
 * reference, vecmath.c's SIMD, src/cuda/kv.cu) does exactly these float
 * operations, so their results are equal bit for bit.
 *
 * When: K is rotated (and the queries with it) when type_k is a block
 * type (kvrot_on), V when type_v is; f16 / f32 caches are never rotated.
 * The cache holds the same number of bytes either way (the plan is
 * unchanged).
 *
 * The Q4_0 scale of a KV block (kvq_q4_0_scale): ggml's Q4_0 takes
 * d = max / -8 (the value of largest magnitude lands exactly on level -8),
 * which wastes levels when one value stands out. We try the inverse
 * scales -(8 + 0.1 k) / max, k = -9..9 (kvq_cand), round x to levels in
 * [-8, 7] with each, take the
 * least-squares d = sum(x l) / sum(l^2) of those levels and keep the one
 * of least squared error (ggml's make_qx_quants search, there used for
 * the K-quants' sub-blocks; a clipped scale, as QuaRot uses for its KV
 * cache). The block is still a plain Q4_0 block (same bytes, same
 * dequantization); only the quantizer differs.
 *
 * Header only, pure; C and CUDA include it. KVQ_MUL / KVQ_ADD keep the
 * device from contracting products and sums into FMAs, so the search
 * gives the CPU's result bit for bit.
 */
#ifndef FC_KVROT_H
#define FC_KVROT_H

#include <math.h>
#include <stdbool.h>
#include <stdint.h>

#include "../format/ggml_types.h"

#ifdef __CUDACC__
#define KVROT_FN __host__ __device__ __forceinline__
#else
#define KVROT_FN static inline
#endif

/* Whether a cache of this type is stored rotated. */
KVROT_FN bool kvrot_on(uint32_t type) { return type == GGML_TYPE_Q8_0 || type == GGML_TYPE_Q4_0; }

/* The Hadamard chunk of a head: the largest power of two dividing head_dim. */
KVROT_FN int kvrot_chunk(int head_dim) { return head_dim & -head_dim; }

/* 1 / sqrt(n) for a chunk of n values, rounded once to float (the same
 * constant on every backend: the CUDA launcher passes this host value). */
KVROT_FN float kvrot_scale(int n) {
    float s = 1.0f;
    int k = 0;
    while ((1 << k) < n) k++;
    for (int i = 0; i + 1 < k; i += 2) s *= 0.5f;               /* exact: powers of two */
    return k % 2 ? s * 0.70710678118654752f : s;                /* one rounding for odd k */
}

#ifdef __CUDA_ARCH__
#define KVQ_MUL(a, b) __fmul_rn((a), (b))
#define KVQ_ADD(a, b) __fadd_rn((a), (b))
#else
#define KVQ_MUL(a, b) ((a) * (b))
#define KVQ_ADD(a, b) ((a) + (b))
#endif

/* Round to nearest (ties to even), clamped to the Q4_0 levels [-8, 7].
 * Adding and taking away 1.5 * 2^23 rounds any |v| < 2^22 (larger ones
 * only need their sign here), with no libm call; NaN goes to -8. */
KVROT_FN int kvq_level4(float v) {
    const float r = KVQ_ADD(KVQ_ADD(v, 12582912.0f), -12582912.0f);
    return r >= -8.0f ? (r <= 7.0f ? (int)r : 7) : -8;
}

/* The candidates of kvq_q4_0_scale: the block's value of largest
 * magnitude goes to level -(8 + 0.1 k), k = -9..9. (Stronger clipping,
 * down to level -1, lowers the squared error of some blocks further but
 * raised SmolLM2's q4_0 KL from 0.068 to 0.086: the large values of the
 * keys are the ones attention needs.) */
#define KVQ_N_CAND 19
KVROT_FN float kvq_cand(int i) { return KVQ_ADD(8.0f, KVQ_MUL(0.1f, (float)(i - 9))); }

/* The value of largest magnitude, with its sign (the first one). */
KVROT_FN float kvq_signed_max(const float *x) {
    float amax = 0.0f, max = 0.0f;
    for (int j = 0; j < 32; j++)
        if (amax < fabsf(x[j])) {
            amax = fabsf(x[j]);
            max = x[j];
        }
    return max;
}

/* The Q4_0 scale of one KV block of 32 values (before its rounding to
 * f16); 0 for a block of zeros. Each candidate's sums run over the values
 * in order (vecmath.c vectorises over candidates instead; summing in
 * eight lanes of values measurably changed which candidate won near ties
 * and raised SmolLM2's q4_0 KL from 0.068 to 0.083). */
KVROT_FN float kvq_q4_0_scale(const float *x) {
    const float max = kvq_signed_max(x);
    if (max == 0.0f) return 0.0f;
    float best = 0.0f, d = 0.0f;
    for (int c = 0; c < KVQ_N_CAND; c++) {
        const float iscale = -kvq_cand(c) / max;
        float sumlx = 0.0f, suml2 = 0.0f;
        for (int j = 0; j < 32; j++) {
            const float l = (float)kvq_level4(KVQ_MUL(iscale, x[j]));
            sumlx = KVQ_ADD(sumlx, KVQ_MUL(x[j], l));
            suml2 = KVQ_ADD(suml2, KVQ_MUL(l, l));
        }
        if (suml2 > 0.0f && KVQ_MUL(sumlx, sumlx) > KVQ_MUL(best, suml2)) {
            d = sumlx / suml2;
            best = KVQ_MUL(d, sumlx);
        }
    }
    return d;
}

/* The 16 bytes of levels of one Q4_0 KV block at scale dq (an f16
 * value). Returns false when no level reaches -8, -7 or 7 (and dq is not
 * 0): the caller then takes ggml's scale max / -8 instead (rare). *flip: every level lies in
 * [-7, 7] and dq < 0, so the levels were negated and the caller stores
 * -dq. With these two rules every stored block has a level of magnitude 7
 * or 8 and d >= 0 unless it needs level -8, and quantizing what the cache
 * gives back finds the same bytes (candidates 7.1 and 8 reproduce it
 * exactly): the engines round the batch's keys first and store the
 * rounded keys after attention. */
KVROT_FN bool kvq_q4_0_levels(const float *x, float dq, uint8_t *qs, bool *flip) {
    const float id = dq != 0.0f ? 1.0f / dq : 0.0f;
    int l[32];
    bool has_m8 = false, big = false;
    for (int j = 0; j < 32; j++) {
        l[j] = kvq_level4(KVQ_MUL(x[j], id));
        has_m8 |= l[j] == -8;
        big |= l[j] <= -7 || l[j] >= 7;
    }
    *flip = dq < 0.0f && !has_m8;
    for (int j = 0; j < 16; j++)
        qs[j] = (uint8_t)(((*flip ? -l[j] : l[j]) + 8) | (((*flip ? -l[j + 16] : l[j + 16]) + 8) << 4));
    return big || dq == 0.0f; /* a block of zeros keeps d = +0 */
}

#endif
