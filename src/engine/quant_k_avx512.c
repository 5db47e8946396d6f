/* quant_k_avx512 — AVX-512 VNNI tiles of Q4_K and Q6_K (compiled with the
 * AVX-512 flags, -mavx512vnni included; quant.c picks the AVX-512 table only
 * on CPUs with F, BW, VL, DQ and VNNI). Scalar twins: quant_k_ref.c; the
 * other K types and the dots stay the AVX2 ones (quant_k_avx2.c).
 *
 * Layout: a 512-bit register holds 16 bytes of each of the four weight rows
 * (128-bit lane r = row r), so one vpdpbusd against a 128-bit broadcast of
 * one token's 16 activations gives, in int32 lane (r, p), row r's sum over
 * elements 4p..4p+3 of those 16. No horizontal sum is needed inside the
 * loop: lanes keep rows apart, and each token has its own accumulators, so
 * the four tokens reuse every unpacked weight register and the activations
 * are plain broadcast loads (the 4x4 tiles of quant_k_avx2.c instead spend
 * a transpose per row and token).
 *
 * Sub-block scales: two 16-element sums s0, s1 (each lane a sum of at most
 * 8 products, |.| <= 8 * 15 * 127 for Q4_K and 4 * 63 * 127 for Q6_K, inside
 * int16) are packed to int16 (vpackssdw keeps 128-bit lanes, so rows stay
 * apart) and vpdpwssd multiplies them by their scales into the int32 super-
 * block sum. Offsets (Q6_K's 32) and mins (Q4_K) go through the
 * activation's bsums with one more vpdpwssd, so every integer sum equals the
 * scalar one exactly; results differ only in the float rounding of the
 * per-super-block terms. The 16 lanes of a token's float accumulator are
 * summed per row once, at the end.
 */
#if defined(__x86_64__)

#include "quant_x86.h"

#define QK FC_QK_K

/* bytes [off, off + 32) of four rows -> lo = [r0 bytes 0..15 | r1 | r2 | r3], hi = bytes 16..31 */
static inline void rows4_32(const uint8_t *const p[4], size_t off, __m512i *lo, __m512i *hi) {
    const __m512i t01 = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)(const void *)(p[0] + off))),
                                           _mm256_loadu_si256((const __m256i *)(const void *)(p[1] + off)), 1);
    const __m512i t23 = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)(const void *)(p[2] + off))),
                                           _mm256_loadu_si256((const __m256i *)(const void *)(p[3] + off)), 1);
    *lo = _mm512_shuffle_i64x2(t01, t23, _MM_SHUFFLE(2, 0, 2, 0));
    *hi = _mm512_shuffle_i64x2(t01, t23, _MM_SHUFFLE(3, 1, 3, 1));
}

/* four 128-bit values -> one register, x_r in lane r */
static inline __m512i lanes4(__m128i x0, __m128i x1, __m128i x2, __m128i x3) {
    const __m512i t01 = _mm512_inserti32x4(_mm512_castsi128_si512(x0), x1, 1);
    return _mm512_inserti32x4(_mm512_inserti32x4(t01, x2, 2), x3, 3);
}

static inline __m512i bcast16b(const void *p) { return _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)p)); }

/* int16 words of each 128-bit lane: words 0..3 = word a, words 4..7 = word b
 * of the same lane (a, b < 8) */
static inline __m512i words_ab(__m512i v, int a, int b) {
    const char a0 = (char)(2 * a), a1 = (char)(2 * a + 1), b0 = (char)(2 * b), b1 = (char)(2 * b + 1);
    return _mm512_shuffle_epi8(v, _mm512_broadcast_i32x4(_mm_setr_epi8(a0, a1, a0, a1, a0, a1, a0, a1, b0, b1, b0, b1, b0, b1, b0, b1)));
}

/* the 16 float lanes (r, p) of acc[t] summed over p -> out[t * out_stride + r]
 * (once per call: plain stores and scalar adds) */
static inline void tile_store16(const __m512 acc[4], float *out, size_t out_stride) {
    for (int t = 0; t < 4; t++) {
        float v[16];
        _mm512_storeu_ps(v, acc[t]);
        for (int r = 0; r < 4; r++) out[(size_t)t * out_stride + r] = (v[4 * r] + v[4 * r + 1]) + (v[4 * r + 2] + v[4 * r + 3]);
    }
}

/* lanes (r, p) = f16 at byte offset off of block r, as float */
static inline __m512 rows4_f16(const uint8_t *const p[4], size_t off) {
    const __m128i h = _mm_setr_epi32(fc_rd16(p[0] + off), fc_rd16(p[1] + off), fc_rd16(p[2] + off), fc_rd16(p[3] + off));
    /* each f16 in the low half of a dword; the high half is 0 */
    const __m256 f = _mm256_cvtph_ps(h);
    return _mm512_permutexvar_ps(_mm512_setr_epi32(0, 0, 0, 0, 2, 2, 2, 2, 4, 4, 4, 4, 6, 6, 6, 6), _mm512_castps256_ps512(f));
}

#define KT_ARGS const void *rows, size_t row_stride, const void *act, size_t act_stride, int64_t n, float *out, size_t out_stride
#define KT_SETUP(BT)                                                                              \
    const BT *br[4];                                                                              \
    const fc_block_q8k *ar[4];                                                                    \
    for (int r = 0; r < 4; r++) br[r] = (const BT *)(const void *)((const uint8_t *)rows + (size_t)r * row_stride); \
    for (int t = 0; t < 4; t++) ar[t] = (const fc_block_q8k *)(const void *)((const uint8_t *)act + (size_t)t * act_stride); \
    __m512 acc[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()}

/* Q4_K/Q5_K scale bytes -> [sc0..sc7, m0..m7] (quant_k_avx2.c's k45_unpack) */
static inline __m128i k45_scales(const uint8_t s[12]) {
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

void quant_avx512_tile4_q4_k(KT_ARGS) {
    KT_SETUP(blk_q4_k);
    const __m512i low4 = _mm512_set1_epi8(0x0F);
    for (int64_t i = 0; i < n / QK; i++) {
        const uint8_t *p[4] = {(const uint8_t *)&br[0][i], (const uint8_t *)&br[1][i], (const uint8_t *)&br[2][i], (const uint8_t *)&br[3][i]};
        const fc_block_q8k *const at[4] = {&ar[0][i], &ar[1][i], &ar[2][i], &ar[3][i]};
        /* per row lane: scales as int16 words 0..7, mins as words of the second register */
        const __m512i sm = lanes4(k45_scales(br[0][i].scales), k45_scales(br[1][i].scales),
                                  k45_scales(br[2][i].scales), k45_scales(br[3][i].scales));
        const __m512i sc16 = _mm512_unpacklo_epi8(sm, _mm512_setzero_si512());
        const __m512i mn16 = _mm512_unpackhi_epi8(sm, _mm512_setzero_si512());
        __m512i is[4], ms[4];
        /* mins (min j covers bsums 2j, 2j + 1): words [m0 m0 m1 m1 m2 m2 m3 m3] against bsums 0..7,
         * [m4 m4 .. m7 m7] against bsums 8..15, so lane (r, k) sums m_k (b_2k + b_2k+1) + m_k+4 (...) */
        const __m512i mlo = _mm512_shuffle_epi8(mn16, _mm512_broadcast_i32x4(_mm_setr_epi8(0, 1, 0, 1, 2, 3, 2, 3, 4, 5, 4, 5, 6, 7, 6, 7)));
        const __m512i mhi = _mm512_shuffle_epi8(mn16, _mm512_broadcast_i32x4(_mm_setr_epi8(8, 9, 8, 9, 10, 11, 10, 11, 12, 13, 12, 13, 14, 15, 14, 15)));
        _Pragma("GCC unroll 4")
        for (int t = 0; t < 4; t++) {
            is[t] = _mm512_setzero_si512();
            ms[t] = _mm512_dpwssd_epi32(_mm512_dpwssd_epi32(_mm512_setzero_si512(), mlo, bcast16b(at[t]->bsums)), mhi, bcast16b(at[t]->bsums + 8));
        }
        _Pragma("GCC unroll 4")
        for (int m = 0; m < 4; m++) {
            __m512i zlo, zhi;
            rows4_32(p, offsetof(blk_q4_k, qs) + 32 * (size_t)m, &zlo, &zhi);
            const __m512i ca0 = _mm512_and_si512(zlo, low4), ca1 = _mm512_and_si512(zhi, low4);
            const __m512i cb0 = _mm512_and_si512(_mm512_srli_epi16(zlo, 4), low4), cb1 = _mm512_and_si512(_mm512_srli_epi16(zhi, 4), low4);
            const __m512i sc = words_ab(sc16, 2 * m, 2 * m + 1);
            _Pragma("GCC unroll 4")
        for (int t = 0; t < 4; t++) {
                const int8_t *q = at[t]->qs + 64 * m;
                const __m512i sa = _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(_mm512_setzero_si512(), ca0, bcast16b(q)), ca1, bcast16b(q + 16));
                const __m512i sb = _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(_mm512_setzero_si512(), cb0, bcast16b(q + 32)), cb1, bcast16b(q + 48));
                is[t] = _mm512_dpwssd_epi32(is[t], _mm512_packs_epi32(sa, sb), sc);
            }
        }
        const __m512 d = rows4_f16(p, offsetof(blk_q4_k, d)), dmin = rows4_f16(p, offsetof(blk_q4_k, dmin));
        _Pragma("GCC unroll 4")
        for (int t = 0; t < 4; t++) {
            const __m512 da = _mm512_set1_ps(at[t]->d);
            acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(is[t]), _mm512_mul_ps(d, da), acc[t]);
            acc[t] = _mm512_fnmadd_ps(_mm512_cvtepi32_ps(ms[t]), _mm512_mul_ps(dmin, da), acc[t]);
        }
    }
    tile_store16(acc, out, out_stride);
}

/* Q6_K codes (value + 32) of 16 elements: nibbles l (already in bits 0..3)
 * or'ed with bits 4, 5 taken from h (already shifted there) */
static inline __m512i q6_codes(__m512i l, __m512i h) {
    /* A | (B & C) with A = l & 0x0F done by the caller */
    return _mm512_ternarylogic_epi32(l, h, _mm512_set1_epi8(0x30), 0xF8);
}

void quant_avx512_tile4_q6_k(KT_ARGS) {
    KT_SETUP(blk_q6_k);
    const __m512i low4 = _mm512_set1_epi8(0x0F);
    for (int64_t i = 0; i < n / QK; i++) {
        const uint8_t *p[4] = {(const uint8_t *)&br[0][i], (const uint8_t *)&br[1][i], (const uint8_t *)&br[2][i], (const uint8_t *)&br[3][i]};
        const fc_block_q8k *const at[4] = {&ar[0][i], &ar[1][i], &ar[2][i], &ar[3][i]};
        /* the 16 signed scales of each row as int16: groups 0..7 and 8..15 */
        __m128i s[4];
        for (int r = 0; r < 4; r++) s[r] = _mm_loadu_si128((const __m128i *)(const void *)br[r][i].scales);
        const __m512i s8 = lanes4(s[0], s[1], s[2], s[3]);
        const __m512i sgn = _mm512_movm_epi8(_mm512_movepi8_mask(s8)); /* 0xFF where negative */
        const __m512i sw_lo = _mm512_unpacklo_epi8(s8, sgn), sw_hi = _mm512_unpackhi_epi8(s8, sgn);
        __m512i is[4];
        /* codes are value + 32: start from -32 * sum_g sc_g bsum_g */
        _Pragma("GCC unroll 4")
        for (int t = 0; t < 4; t++) {
            const __m512i off = _mm512_dpwssd_epi32(_mm512_dpwssd_epi32(_mm512_setzero_si512(), sw_lo, bcast16b(at[t]->bsums)),
                                                    sw_hi, bcast16b(at[t]->bsums + 8));
            is[t] = _mm512_sub_epi32(_mm512_setzero_si512(), _mm512_slli_epi32(off, 5));
        }
        _Pragma("GCC unroll 4")
        for (int h = 0; h < 2; h++) {
            __m512i l0lo, l0hi, l1lo, l1hi, hlo, hhi;
            rows4_32(p, offsetof(blk_q6_k, ql) + 64 * (size_t)h, &l0lo, &l0hi);
            rows4_32(p, offsetof(blk_q6_k, ql) + 64 * (size_t)h + 32, &l1lo, &l1hi);
            rows4_32(p, offsetof(blk_q6_k, qh) + 32 * (size_t)h, &hlo, &hhi);
            const __m512i sw = h ? sw_hi : sw_lo;
            /* chunk c (32 elements, groups 2c and 2c + 1 of this half): low
             * bits from l0 / l1 (nibble c / 2), high bits from h at 2c */
            _Pragma("GCC unroll 4")
            for (int c = 0; c < 4; c++) {
                const __m512i llo = c & 1 ? l1lo : l0lo, lhi = c & 1 ? l1hi : l0hi;
                const __m512i nlo = c < 2 ? _mm512_and_si512(llo, low4) : _mm512_and_si512(_mm512_srli_epi16(llo, 4), low4);
                const __m512i nhi = c < 2 ? _mm512_and_si512(lhi, low4) : _mm512_and_si512(_mm512_srli_epi16(lhi, 4), low4);
                __m512i xlo, xhi; /* qh bits 2c, 2c + 1 moved to bits 4, 5 */
                switch (c) {
                case 0: xlo = _mm512_slli_epi16(hlo, 4); xhi = _mm512_slli_epi16(hhi, 4); break;
                case 1: xlo = _mm512_slli_epi16(hlo, 2); xhi = _mm512_slli_epi16(hhi, 2); break;
                case 2: xlo = hlo; xhi = hhi; break;
                default: xlo = _mm512_srli_epi16(hlo, 2); xhi = _mm512_srli_epi16(hhi, 2); break;
                }
                const __m512i clo = q6_codes(nlo, xlo), chi = q6_codes(nhi, xhi);
                const __m512i sc = words_ab(sw, 2 * c, 2 * c + 1);
                _Pragma("GCC unroll 4")
        for (int t = 0; t < 4; t++) {
                    const int8_t *q = at[t]->qs + 128 * h + 32 * c;
                    const __m512i s0 = _mm512_dpbusd_epi32(_mm512_setzero_si512(), clo, bcast16b(q));
                    const __m512i s1 = _mm512_dpbusd_epi32(_mm512_setzero_si512(), chi, bcast16b(q + 16));
                    is[t] = _mm512_dpwssd_epi32(is[t], _mm512_packs_epi32(s0, s1), sc);
                }
            }
        }
        const __m512 d = rows4_f16(p, offsetof(blk_q6_k, d));
        _Pragma("GCC unroll 4")
        for (int t = 0; t < 4; t++)
            acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(is[t]), _mm512_mul_ps(d, _mm512_set1_ps(at[t]->d)), acc[t]);
    }
    tile_store16(acc, out, out_stride);
}

#endif /* __x86_64__ */
