/* quant_x86 — private to the x86 kernel files (quant_avx2.c, quant_k_avx2.c,
 * quant_avx512.c, quant_k_avx512.c): the small AVX2 + F16C helpers they all use. Include only
 * from a file the Makefile compiles with at least -mavx2 -mfma -mf16c, inside
 * its #if defined(__x86_64__). */
#ifndef FC_QUANT_X86_H
#define FC_QUANT_X86_H

#include <immintrin.h>
#include <string.h>

#include "quant_impl.h"

/* The sum of the 8 lanes. */
static inline float hsum8(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* The sum of the 8 int32 lanes. */
static inline int hsum8_i32(__m256i v) {
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(1, 0, 3, 2)));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(2, 3, 0, 1)));
    return _mm_cvtsi128_si32(s);
}

/* The f16 at p (any alignment) as a float. */
static inline float f16(const uint8_t *p) { return _cvtsh_ss(fc_rd16(p)); }

/* Q4_K/Q5_K: the 12 scale bytes -> 8 scales (bytes 0..7) and 8 mins (8..15) */
static inline __m128i k45_unpack(const uint8_t s[12]) {
    uint32_t u[4];
    memcpy(u, s, 12);
    const uint32_t m6 = 0x3f3f3f3f, m4 = 0x0f0f0f0f, m2 = 0x03030303;
    u[3] = ((u[2] >> 4) & m4) | (((u[1] >> 6) & m2) << 4);
    const uint32_t mins_lo = u[1] & m6;
    u[1] = (u[2] & m4) | (((u[0] >> 6) & m2) << 4);
    u[2] = mins_lo;
    u[0] &= m6;
    return _mm_setr_epi32((int)u[0], (int)u[1], (int)u[2], (int)u[3]);
}

#endif
