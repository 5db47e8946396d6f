/* quant_iq4_avx512 — AVX-512 VNNI 4x4 tiles of IQ4_NL (blocks of 32,
 * FC_ACT_Q8) and IQ4_XS (super-blocks of 256, FC_ACT_Q8K), and the IQ4_XS
 * dot; compiled with the AVX-512 flags. Scalar twins: quant_k_ref.c. The
 * prompt path reads the repacked copy (quant_repack_avx512.c); the 4x4 tiles
 * run with REPACK off and on the rows past the last group of 8, and compute
 * the repacked tiles' arithmetic. IQ4_NL's dot is the 4-bit types' (quant_dotq_x86.h).
 *
 * The levels are signed (-127..113) and vpdpbusd wants unsigned x signed:
 * the kernels look codes up in the levels + 128 (pshufb into levels ^ 0x80,
 * 1..241) and take 128 * (the activations' sum) back: IQ4_XS through the
 * bsums (one vpmaddwd or vpdpwssd against the scales), IQ4_NL (fc_block_q8
 * has no integer sum) through vpdpbusd of 0x80 with the same activations.
 * Cheaper than |level| times the activation carrying the level's sign
 * (measured on Zen 4 for the IQ4_NL dot: about 20 % slower with vpsignb).
 * Every integer sum equals the scalar one.
 */
#if defined(__x86_64__)

#include "quant_x86.h"

#define QK FC_QK_K

/* IQ4_XS: the 8 signed sub-block scales (6-bit codes minus 32) as int16 */
static inline __m128i iq4xs_scales16(const blk_iq4_xs *b) {
    const uint32_t l = fc_rd32(b->scales_l);
    const __m128i lo = _mm_cvtepu8_epi16(_mm_unpacklo_epi8(_mm_cvtsi32_si128((int)(l & 0x0F0F0F0F)),
                                                           _mm_cvtsi32_si128((int)((l >> 4) & 0x0F0F0F0F))));
    /* bits 2s, 2s + 1 of scales_h to bits 4, 5 of word s */
    const __m128i h = _mm_slli_epi16(_mm_srlv_epi16(_mm_set1_epi16((short)fc_rd16(b->scales_h)), _mm_setr_epi16(0, 2, 4, 6, 8, 10, 12, 14)), 4);
    return _mm_sub_epi16(_mm_ternarylogic_epi32(lo, h, _mm_set1_epi16(0x30), 0xF8), _mm_set1_epi16(32)); /* lo | (h & 0x30) */
}

/* ---- tiles: the repacked tiles' arithmetic ------------------------------------------
 * Every (row, token) result equals the repacked tiles' (quant_repack_avx512.c)
 * and the AVX2 4x4 tiles' (quant_k_avx2.c) bit for bit: per block (IQ4_XS:
 * super-block) the exact integer sum S, then acc = fma(S, d * d_a, acc), one
 * chain per result. The sums are made as 256-bit registers holding 16 bytes of
 * each of two rows (128-bit lane x = row 2h + x), 128-bit broadcast loads of
 * each token's activations; per block three hadds per two tokens reduce the
 * four lanes of each row to S, [(r0, t) (r2, t) (r0, t + 1) (r2, t + 1) | (r1, t)
 * (r3, t) (r1, t + 1) (r3, t + 1)], and one fma per two tokens follows. */

/* S of tokens t, t + 1 (s[t][h]: [row 2h: 4 partial sums | row 2h + 1: 4]) in the lanes above */
static inline __m256i sums_pair(const __m256i s[][2], int t) {
    return _mm256_hadd_epi32(_mm256_hadd_epi32(s[t][0], s[t][1]), _mm256_hadd_epi32(s[t + 1][0], s[t + 1][1]));
}
/* d_r * d_a of tokens 2p, 2p + 1 in the same lanes, from the rows' d (d4) and the tokens' (da4) */
static inline __m256 scales_pair(__m128 d4, __m128 da4, int p) {
    const __m256 d = _mm256_permutevar8x32_ps(_mm256_castps128_ps256(d4), _mm256_setr_epi32(0, 2, 0, 2, 1, 3, 1, 3));
    const __m256i ti = p ? _mm256_setr_epi32(2, 2, 3, 3, 2, 2, 3, 3) : _mm256_setr_epi32(0, 0, 1, 1, 0, 0, 1, 1);
    return _mm256_mul_ps(d, _mm256_permutevar8x32_ps(_mm256_castps128_ps256(da4), ti));
}
/* the four rows' f16 d at byte off of their block i as floats */
static inline __m128 rows4_f16(const uint8_t *const br[4], size_t off) {
    return _mm_cvtph_ps(_mm_setr_epi16((short)fc_rd16(br[0] + off), (short)fc_rd16(br[1] + off), (short)fc_rd16(br[2] + off),
                                       (short)fc_rd16(br[3] + off), 0, 0, 0, 0));
}
static inline void tile_store_pairs(const __m256 acc[2], float *out, size_t os) {
    static const int row[8] = {0, 2, 0, 2, 1, 3, 1, 3}, tok[8] = {0, 0, 1, 1, 0, 0, 1, 1};
    for (int p = 0; p < 2; p++) {
        float v[8];
        _mm256_storeu_ps(v, acc[p]);
        for (int k = 0; k < 8; k++) out[(size_t)(2 * p + tok[k]) * os + row[k]] = v[k];
    }
}

/* IQ4_NL: per block and row pair the codes of elements 0..15 (low nibbles)
 * and 16..31 (high) looked up once; per token, 128 * sum(a) (two vpdpbusd of
 * 0x80, negated) is where both row pairs' sums start. */
void quant_avx512_tile4_iq4_nl(KT_ARGS) {
    const uint8_t *br[4];
    const fc_block_q8 *ar[4];
    for (int r = 0; r < 4; r++) br[r] = (const uint8_t *)rows + (size_t)r * row_stride;
    for (int t = 0; t < 4; t++) ar[t] = (const fc_block_q8 *)(const void *)((const uint8_t *)act + (size_t)t * act_stride);
    __m256 acc[2] = {_mm256_setzero_ps(), _mm256_setzero_ps()};
    const __m256i lut = iq4_lut_u8(), low4 = _mm256_set1_epi8(0x0F), k80 = _mm256_set1_epi8((char)0x80), zero = _mm256_setzero_si256();
    for (int64_t i = 0; i < n / 32; i++, br[0] += sizeof(blk_iq4_nl), br[1] += sizeof(blk_iq4_nl), br[2] += sizeof(blk_iq4_nl), br[3] += sizeof(blk_iq4_nl)) {
        __m256i c0[2], c1[2], s[4][2];
        _Pragma("GCC unroll 2")
        for (int h = 0; h < 2; h++) {
            const __m256i z = rows2_16(br[2 * h], br[2 * h + 1], offsetof(blk_iq4_nl, qs));
            c0[h] = _mm256_shuffle_epi8(lut, _mm256_and_si256(z, low4));
            c1[h] = _mm256_shuffle_epi8(lut, _mm256_and_si256(_mm256_srli_epi16(z, 4), low4));
        }
        _Pragma("GCC unroll 4")
        for (int t = 0; t < 4; t++) {
            const fc_block_q8 *a = &ar[t][i];
            const __m256i a0 = bc16(a->qs), a1 = bc16(a->qs + 16);
            const __m256i off = _mm256_sub_epi32(zero, _mm256_dpbusd_epi32(_mm256_dpbusd_epi32(zero, k80, a0), k80, a1));
            _Pragma("GCC unroll 2")
            for (int h = 0; h < 2; h++) s[t][h] = _mm256_dpbusd_epi32(_mm256_dpbusd_epi32(off, c0[h], a0), c1[h], a1);
        }
        const __m128 d4 = rows4_f16(br, offsetof(blk_iq4_nl, d)), da4 = _mm_setr_ps(ar[0][i].d, ar[1][i].d, ar[2][i].d, ar[3][i].d);
        _Pragma("GCC unroll 2")
        for (int p = 0; p < 2; p++) acc[p] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sums_pair(s, 2 * p)), scales_pair(d4, da4, p), acc[p]);
    }
    tile_store_pairs(acc, out, out_stride);
}

/* IQ4_XS: per super-block and row pair the scales as int32 (one vpermt2d per
 * sub-block gives [row 2h: ls x4 | row 2h + 1: ls x4]) and -128 * scale
 * words against the bsums for the start of each token's sum; per sub-block
 * two vpdpbusd, one vpmulld, one add per token and row pair. */
void quant_avx512_tile4_iq4_xs(KT_ARGS) {
    const blk_iq4_xs *br[4];
    const fc_block_q8k *ar[4];
    for (int r = 0; r < 4; r++) br[r] = (const blk_iq4_xs *)(const void *)((const uint8_t *)rows + (size_t)r * row_stride);
    for (int t = 0; t < 4; t++) ar[t] = (const fc_block_q8k *)(const void *)((const uint8_t *)act + (size_t)t * act_stride);
    __m256 acc[2] = {_mm256_setzero_ps(), _mm256_setzero_ps()};
    const __m256i lut = iq4_lut_u8(), low4 = _mm256_set1_epi8(0x0F), zero = _mm256_setzero_si256();
    for (int64_t i = 0; i < n / QK; i++) {
        __m256i ls32[2][2], is[4][2];
        _Pragma("GCC unroll 2")
        for (int h = 0; h < 2; h++) {
            const __m128i l0 = iq4xs_scales16(&br[2 * h][i]), l1 = iq4xs_scales16(&br[2 * h + 1][i]);
            ls32[h][0] = _mm256_cvtepi16_epi32(l0);
            ls32[h][1] = _mm256_cvtepi16_epi32(l1);
            /* -128 * ls_s for bsums 2s, 2s + 1: words [s0 s0 .. s3 s3] and [s4 s4 .. s7 s7] per lane */
            const __m256i neg = _mm256_sub_epi16(zero, _mm256_slli_epi16(_mm256_set_m128i(l1, l0), 7));
            const __m256i mlo = _mm256_unpacklo_epi16(neg, neg), mhi = _mm256_unpackhi_epi16(neg, neg);
            _Pragma("GCC unroll 4")
            for (int t = 0; t < 4; t++)
                is[t][h] = _mm256_dpwssd_epi32(_mm256_dpwssd_epi32(zero, mlo, bc16(ar[t][i].bsums)), mhi, bc16(ar[t][i].bsums + 8));
        }
        _Pragma("GCC unroll 2")
        for (int s = 0; s < 8; s++) {
            __m256i c0[2], c1[2], sc[2];
            _Pragma("GCC unroll 2")
            for (int h = 0; h < 2; h++) {
                const __m256i z = rows2_16((const uint8_t *)&br[2 * h][i], (const uint8_t *)&br[2 * h + 1][i], offsetof(blk_iq4_xs, qs) + 16 * (size_t)s);
                c0[h] = _mm256_shuffle_epi8(lut, _mm256_and_si256(z, low4));
                c1[h] = _mm256_shuffle_epi8(lut, _mm256_and_si256(_mm256_srli_epi16(z, 4), low4));
                sc[h] = _mm256_permutex2var_epi32(ls32[h][0], _mm256_setr_epi32(s, s, s, s, 8 + s, 8 + s, 8 + s, 8 + s), ls32[h][1]);
            }
            _Pragma("GCC unroll 4")
            for (int t = 0; t < 4; t++) {
                const int8_t *q = ar[t][i].qs + 32 * s;
                const __m256i a0 = bc16(q), a1 = bc16(q + 16);
                _Pragma("GCC unroll 2")
                for (int h = 0; h < 2; h++) {
                    const __m256i sum = _mm256_dpbusd_epi32(_mm256_dpbusd_epi32(zero, c0[h], a0), c1[h], a1);
                    is[t][h] = _mm256_add_epi32(is[t][h], _mm256_mullo_epi32(sum, sc[h]));
                }
            }
        }
        const uint8_t *b4[4] = {(const uint8_t *)&br[0][i], (const uint8_t *)&br[1][i], (const uint8_t *)&br[2][i], (const uint8_t *)&br[3][i]};
        const __m128 d4 = rows4_f16(b4, offsetof(blk_iq4_xs, d)), da4 = _mm_setr_ps(ar[0][i].d, ar[1][i].d, ar[2][i].d, ar[3][i].d);
        _Pragma("GCC unroll 2")
        for (int p = 0; p < 2; p++) acc[p] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sums_pair(is, 2 * p)), scales_pair(d4, da4, p), acc[p]);
    }
    tile_store_pairs(acc, out, out_stride);
}

/* ---- dots (one row, one token) --------------------------------------------------- */

/* IQ4_XS: 32 code bytes (sub-blocks 2c and 2c + 1) per register, so
 * 128-bit lane x holds sub-block 2c + x (low nibbles: elements 0..15, high:
 * 16..31); the activations are regrouped to match with two vperm2i128.
 * Levels + 128 through two vpdpbusd, one vpmulld by [ls_2c x4 | ls_2c+1
 * x4]; the sum starts at -128 * (bsums . scales), one vpmaddwd. */
float quant_avx512_dot_iq4_xs(const void *row, const void *act, int64_t n) {
    const blk_iq4_xs *b = row;
    const fc_block_q8k *a = act;
    const __m256i lut = iq4_lut_u8(), low4 = _mm256_set1_epi8(0x0F), zero = _mm256_setzero_si256();
    __m256 acc = _mm256_setzero_ps();
    for (int64_t i = 0; i < n / QK; i++) {
        const __m128i ls = iq4xs_scales16(&b[i]);
        const __m256i ls32 = _mm256_cvtepi16_epi32(ls);
        const __m256i ls2 = _mm256_set_m128i(_mm_unpackhi_epi16(ls, ls), _mm_unpacklo_epi16(ls, ls));
        __m256i is = _mm256_sub_epi32(zero, _mm256_slli_epi32(_mm256_madd_epi16(_mm256_loadu_si256((const __m256i *)(const void *)a[i].bsums), ls2), 7));
        _Pragma("GCC unroll 4")
        for (int c = 0; c < 4; c++) {
            const __m256i q = _mm256_loadu_si256((const __m256i *)(const void *)(b[i].qs + 32 * c));
            const __m256i lo = _mm256_shuffle_epi8(lut, _mm256_and_si256(q, low4));
            const __m256i hi = _mm256_shuffle_epi8(lut, _mm256_and_si256(_mm256_srli_epi16(q, 4), low4));
            const __m256i x = _mm256_loadu_si256((const __m256i *)(const void *)(a[i].qs + 64 * c));
            const __m256i y = _mm256_loadu_si256((const __m256i *)(const void *)(a[i].qs + 64 * c + 32));
            const __m256i s = _mm256_dpbusd_epi32(_mm256_dpbusd_epi32(zero, lo, _mm256_permute2x128_si256(x, y, 0x20)), hi,
                                                  _mm256_permute2x128_si256(x, y, 0x31));
            const __m256i sc = _mm256_permutevar8x32_epi32(ls32, _mm256_setr_epi32(2 * c, 2 * c, 2 * c, 2 * c, 2 * c + 1, 2 * c + 1, 2 * c + 1, 2 * c + 1));
            is = _mm256_add_epi32(is, _mm256_mullo_epi32(s, sc));
        }
        acc = _mm256_fmadd_ps(_mm256_set1_ps(a[i].d * f16(b[i].d)), _mm256_cvtepi32_ps(is), acc);
    }
    return hsum8(acc);
}

#endif /* __x86_64__ */
