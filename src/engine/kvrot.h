/* kvrot — the rotation of KV head vectors that are stored quantized.
 *
 * Why: a Q4_0 / Q8_0 block has one scale per 32 values, and the keys of
 * small models carry a few outlier channels (SmolLM2: |k| 20x the block's
 * typical value), so the scale fits the outlier and the other 31 values
 * round to few levels. An orthogonal rotation R spreads every channel over
 * the whole head; the scores are unchanged in exact arithmetic when the
 * queries get the same rotation ((R q) . (R k) = q . k), and the attention
 * output of rotated values is R out, which R^T takes back. llama.cpp does
 * the same (attn_rot_k, a Hadamard rotation); we add fixed random signs
 * (R = H D / sqrt(n), D a diagonal of +-1): with them no input direction
 * stays a single Hadamard row, which measurably lowers the Q4_0 cost on
 * SmolLM2 (BENCHMARKS.md, "KV cache quality").
 *
 * The rotation: a head of head_dim values is split into chunks of
 * kvrot_chunk(head_dim) values, the largest power of two that divides
 * head_dim (head dims that are not a power of two, such as 80 or 96, get
 * several chunks); each chunk c gets x -> H_n (D x) / sqrt(n) with the fast
 * Walsh-Hadamard transform, D[i] = kvrot_sign(i) over the head's index i.
 * The inverse is x -> D (H_n x) / sqrt(n). The butterflies (a + b, a - b)
 * run in stages of span 1, 2, 4, ... n/2; every backend (ops.c's scalar
 * reference, vecmath.c's SIMD, src/cuda/kv.cu) does exactly these float
 * operations, so their results are equal bit for bit.
 *
 * When: K is rotated (and the queries with it) when type_k is a block
 * type (kvrot_on), V when type_v is; f16 / f32 caches are never rotated.
 * The cache holds the same number of bytes either way (the plan is
 * unchanged). Header only, pure; C and CUDA include it.
 */
#ifndef FC_KVROT_H
#define FC_KVROT_H

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

/* D[i]: +1 or -1 for index i of a head, a fixed pseudo-random pattern (a
 * 32-bit integer hash; not a Walsh function, which H would only permute). */
KVROT_FN float kvrot_sign(int i) {
    uint32_t h = (uint32_t)i * 0x9E3779B1u + 0x7F4A7C15u;
    h ^= h >> 16;
    h *= 0x85EBCA6Bu;
    h ^= h >> 13;
    h *= 0xC2B2AE35u;
    h ^= h >> 16;
    return h & 1u ? -1.0f : 1.0f;
}

#endif
