/* quant_x86 — private to the x86 kernel files (quant_*avx2.c, quant_*avx512.c,
 * quant_repack_amx.c, directly or through quant_dotq_x86.h and
 * quant_repack_x86.h): the small AVX2 + F16C helpers they all use, the IQ4
 * level tables as registers, and the row-pair layout helpers of the VNNI
 * tiles. Include only from a file the Makefile compiles with at least
 * -mavx2 -mfma -mf16c, inside its #if defined(__x86_64__). */
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

/* IQ4_NL's and IQ4_XS's 16 levels in both 128-bit lanes, for vpshufb by
 * nibble: as signed bytes, and + 128 as unsigned bytes (1..241, for
 * vpdpbusd, whose caller takes 128 * the activations' sum back). */
static inline __m256i iq4_lut_s8(void) {
    return _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(const void *)quant_iq4_levels));
}
static inline __m256i iq4_lut_u8(void) { return _mm256_xor_si256(iq4_lut_s8(), _mm256_set1_epi8((char)0x80)); }

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

/* ---- the VNNI tiles' row-pair layout (quant_avx512.c, quant_k_avx512.c,
 * quant_k235_avx512.c): a 256-bit register holds 16 bytes of each of two
 * weight rows, 128-bit lane x = row 2h + x of row pair h; a token's 16
 * activations are broadcast to both lanes. */

/* 16 bytes at off of blocks x and y: [x | y] */
static inline __m256i rows2_16(const uint8_t *x, const uint8_t *y, size_t off) {
    return _mm256_set_m128i(_mm_loadu_si128((const __m128i *)(const void *)(y + off)), _mm_loadu_si128((const __m128i *)(const void *)(x + off)));
}

/* bytes [off, off + 32) of rows x and y -> lo = [x bytes 0..15 | y bytes 0..15], hi = bytes 16..31 */
static inline void rows2_32(const uint8_t *x, const uint8_t *y, size_t off, __m256i *lo, __m256i *hi) {
    const __m256i qx = _mm256_loadu_si256((const __m256i *)(const void *)(x + off));
    const __m256i qy = _mm256_loadu_si256((const __m256i *)(const void *)(y + off));
    *lo = _mm256_permute2x128_si256(qx, qy, 0x20);
    *hi = _mm256_permute2x128_si256(qx, qy, 0x31);
}

/* 16 bytes at p in both 128-bit lanes: a load (vbroadcasti128 m128), no
 * shuffle uop; the 512-bit broadcast costs one on Zen 4, which made the
 * 512-bit form of these tiles 1.5x slower */
static inline __m256i bc16(const void *p) { return _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)p)); }

/* words 0..3 of each 128-bit lane = word a of that lane, words 4..7 = word b */
static inline __m256i words_ab(__m256i v, int a, int b) {
    const char a0 = (char)(2 * a), a1 = (char)(2 * a + 1), b0 = (char)(2 * b), b1 = (char)(2 * b + 1);
    return _mm256_shuffle_epi8(v, _mm256_broadcastsi128_si256(_mm_setr_epi8(a0, a1, a0, a1, a0, a1, a0, a1, b0, b1, b0, b1, b0, b1, b0, b1)));
}

/* acc[t][h] lanes [row 2h: 4 partial sums | row 2h + 1: 4] -> out[t * out_stride + r] */
static inline void tile_store8(const __m256 acc[4][2], float *out, size_t out_stride) {
    for (int t = 0; t < 4; t++)
        for (int h = 0; h < 2; h++) {
            float v[8];
            _mm256_storeu_ps(v, acc[t][h]);
            out[(size_t)t * out_stride + 2 * h] = (v[0] + v[1]) + (v[2] + v[3]);
            out[(size_t)t * out_stride + 2 * h + 1] = (v[4] + v[5]) + (v[6] + v[7]);
        }
}

/* lanes [f16 at off of block x x4 | of block y x4] as float */
static inline __m256 rows2_f16(const uint8_t *x, const uint8_t *y, size_t off) {
    const __m128 f = _mm_cvtph_ps(_mm_setr_epi32(fc_rd16(x + off), fc_rd16(y + off), 0, 0)); /* [x, 0, y, 0] */
    return _mm256_permutevar8x32_ps(_mm256_castps128_ps256(f), _mm256_setr_epi32(0, 0, 0, 0, 2, 2, 2, 2));
}

/* the K tiles' arguments and setup: br[r] = row r's blocks, ar[t] = token t's, acc[t][h]
 * = float sums in the tile_store8 layout */
#define KT_ARGS const void *rows, size_t row_stride, const void *act, size_t act_stride, int64_t n, float *out, size_t out_stride
#define KT_SETUP(BT) KT_SETUP_NT(BT, 4)
/* the same for nt tokens (at most 8) */
#define KT_SETUP_NT(BT, nt)                                                                       \
    const BT *br[4];                                                                              \
    const fc_block_q8k *ar[8];                                                                    \
    for (int r = 0; r < 4; r++) br[r] = (const BT *)(const void *)((const uint8_t *)rows + (size_t)r * row_stride); \
    for (int t = 0; t < (nt); t++) ar[t] = (const fc_block_q8k *)(const void *)((const uint8_t *)act + (size_t)t * act_stride); \
    __m256 acc[8][2];                                                                             \
    for (int t = 0; t < (nt); t++) acc[t][0] = acc[t][1] = _mm256_setzero_ps()

#endif
