/* quant_repack_x86 — private to quant_repack_avx2.c, quant_repack_avx512.c
 * and quant_repack_amx.c: what the AVX2, AVX-512 VNNI and AMX tiles over the
 * repacked layouts (quant_repack.h) share, the per-block float steps and the
 * mins and offsets through the activations' bsums, so that all three give
 * the same floats by construction. Include only from a file compiled with
 * at least -mavx2 -mfma -mf16c, inside its #if defined(__x86_64__). */
#ifndef FC_QUANT_REPACK_X86_H
#define FC_QUANT_REPACK_X86_H

#include "quant_repack.h"
#include "quant_x86.h"

/* the 4 bytes at p in every int32 lane */
static inline __m256i bcast4(const int8_t *p) {
    int32_t v;
    memcpy(&v, p, 4);
    return _mm256_set1_epi32(v);
}

/* the eight rows' scales of a 16-byte (scale, scale) pair row as int32:
 * the high byte of each int16 pair, sign-extended (SIGNED) or not */
static inline __m256i scales32(const void *p, const int SIGNED) {
    const __m128i v = _mm_loadu_si128((const __m128i *)p);
    return SIGNED ? _mm256_srai_epi32(_mm256_cvtepi16_epi32(v), 8) : _mm256_srli_epi32(_mm256_cvtepu16_epi32(v), 8);
}

/* Q4_K / Q5_K: the codes of sub-block s from a register of the packed
 * nibbles q (low nibbles: even s, high: odd s) and, Q5, the register of qh
 * bytes at qh (bit s of each byte to bit 4: a 16-bit shift, what crosses
 * bytes is masked) */
static inline __attribute__((always_inline)) __m256i k45_codes(__m256i q, const uint8_t *qh, int s, const int Q5) {
    const __m256i m4 = _mm256_set1_epi8(0x0F);
    __m256i codes = s % 2 ? _mm256_and_si256(_mm256_srli_epi16(q, 4), m4) : _mm256_and_si256(q, m4);
    if (Q5) {
        const __m256i b = _mm256_loadu_si256((const __m256i *)(const void *)qh);
        const __m256i f = s <= 4 ? _mm256_slli_epi16(b, 4 - s) : _mm256_srli_epi16(b, s - 4);
        codes = _mm256_or_si256(codes, _mm256_and_si256(f, _mm256_set1_epi8(0x10)));
    }
    return codes;
}

/* Q4_K / Q5_K: the eight rows' sums of mins times sub-block activation sums
 * (int32 lanes), from the bsums pairs and the unpacked mins */
static inline __attribute__((always_inline)) __m256i k45x8_mins(const blk_q4_kx8 *w, const fc_block_q8k *a) {
    const __m256i s32 = _mm256_madd_epi16(_mm256_loadu_si256((const __m256i *)(const void *)a->bsums), _mm256_set1_epi16(1));
    const __m256i s16 = _mm256_packs_epi32(s32, s32); /* [s0 s1 s2 s3 s0..s3 | s4..s7 s4..s7] */
    __m256i mm = _mm256_setzero_si256();
    _Pragma("GCC unroll 4") for (int pr = 0; pr < 4; pr++) {
        const __m256i mv = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(const void *)w->mn[pr]));
        const __m256i sp = _mm256_permutevar8x32_epi32(s16, _mm256_set1_epi32(pr < 2 ? pr : pr + 2));
        mm = _mm256_add_epi32(mm, _mm256_madd_epi16(mv, sp));
    }
    return mm;
}

/* Q4_K / Q5_K: one super-block's float steps, acc = fma(S, d * d_a, acc)
 * then acc = fnma(M, dmin * d_a, acc), S the codes' integer sums, M the mins' */
static inline __attribute__((always_inline)) __m256 k45x8_step(__m256 acc, __m256i s, const blk_q4_kx8 *w, const fc_block_q8k *a) {
    const __m256 da = _mm256_set1_ps(a->d);
    acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), _mm256_mul_ps(_mm256_loadu_ps(w->d), da), acc);
    return _mm256_fnmadd_ps(_mm256_cvtepi32_ps(k45x8_mins(w, a)), _mm256_mul_ps(_mm256_loadu_ps(w->dmin), da), acc);
}

/* Q6_K: the codes are value + 32, so S minus 32 * (scales . bsums) per row;
 * then acc = fma(S, d * d_a, acc) */
static inline __attribute__((always_inline)) __m256 q6kx8_step(__m256 acc, __m256i s, const blk_q6_kx8 *w, const fc_block_q8k *a) {
    __m256i off = _mm256_setzero_si256();
    _Pragma("GCC unroll 8") for (int pr = 0; pr < 8; pr++) {
        const __m256i sp = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(const void *)w->sp[pr]));
        int32_t b2;
        memcpy(&b2, a->bsums + 2 * pr, 4);
        off = _mm256_add_epi32(off, _mm256_madd_epi16(sp, _mm256_set1_epi32(b2)));
    }
    const __m256i sum = _mm256_sub_epi32(s, _mm256_slli_epi32(off, 5));
    return _mm256_fmadd_ps(_mm256_cvtepi32_ps(sum), _mm256_mul_ps(_mm256_loadu_ps(w->d), _mm256_set1_ps(a->d)), acc);
}

/* The legacy types' float steps of one block for NT tokens: S (int32 per
 * row) times d * d_a, then (HAS_M) m * s_a, in the 4x4 tile's order
 * (quant_avx2.c, TILE_Q_LOOP); m = -8 d, -16 d or the blocks' mins */
static inline __attribute__((always_inline)) void legacy_steps(__m256 *facc, const __m256i *s, __m256 d, __m256 m,
                                                               const fc_block_q8 *const *a, const int NT,
                                                               const int HAS_M) {
    _Pragma("GCC unroll 8") for (int t = 0; t < NT; t++) {
        facc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s[t]), _mm256_mul_ps(d, _mm256_set1_ps(a[t]->d)), facc[t]);
        if (HAS_M) facc[t] = _mm256_fmadd_ps(m, _mm256_set1_ps(a[t]->s), facc[t]);
    }
}

/* X8_TILE(NAME, PASSES): the quant_rtile_fn NAME over n_tok tokens, as
 * passes of X8_PASS(KERNEL, ARG, NT) (NT tokens per kernel call while that
 * many are left; the last pass NT = 1) */
#define X8_PASS(KERNEL, ARG, NT)                                                                              \
    for (; t + (NT) <= n_tok; t += (NT))                                                                      \
        KERNEL(w, a + (size_t)t * act_stride, act_stride, n, out + (size_t)t * out_stride, out_stride, NT, ARG);
#define X8_TILE(NAME, PASSES)                                                                                 \
    void NAME(const void *w, const void *act, size_t act_stride, int64_t n, int n_tok, float *out, size_t out_stride) { \
        const uint8_t *a = act;                                                                               \
        int t = 0;                                                                                            \
        PASSES                                                                                                \
    }

#endif
