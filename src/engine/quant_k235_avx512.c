/* quant_k235_avx512 — AVX-512 VNNI 4x4 tiles of Q2_K and Q3_K and the dots
 * of Q2_K, Q3_K and Q5_K (compiled with the AVX-512 flags; the table of
 * quant_avx512.c takes them through QUANT_K_ROWS_AVX512; Q5_K's prompt path
 * is the repacked tiles', quant_repack_avx512.c). Scalar twins: quant_k_ref.c.
 *
 * The tiles' layout (quant_x86.h): 256-bit registers, 128-bit lane x = row 2h + x
 * of row pair h, one 128-bit broadcast of 16 activations per vpdpbusd, four
 * tokens sharing every unpacked weight register, the lanes of each token's
 * float accumulators summed per row at the end. Every integer sum equals
 * the scalar one exactly (offsets and mins go through the activation's
 * bsums); results differ only in the float rounding of the per-super-block
 * terms. What differs per type:
 *   Q2_K  code * scale <= 3 * 15 fits a byte: the tile turns the codes
 *         into code * scale once per row pair (one pshufb of a table per
 *         register, index code | 4 * (group % 4), four tables of 4 groups)
 *         and vpdpbusd accumulates straight into the super-block sum: no
 *         pack, no vpdpwssd per token.
 *   Q3_K  the same with signed scales: tables of 2 groups, c * sc where
 *         sc >= 0 and (7 - c) * |sc| where sc < 0 (<= 7 * 32, unsigned), the
 *         index (code value + 4) joins the 2 low bits and the hmask bit with
 *         vpternlog; the difference from (c - 4) * sc (4 sc or -3 sc per
 *         element) goes through the bsums.
 * The dots (generation, one row and one token) are the Q6_K dot's shape:
 * 32 codes per register in element order, one vpdpbusd per 32 elements, two
 * results packed to int16 and one vpdpwssd with their scales.
 */
#if defined(__x86_64__)

#include "quant_x86.h"

#define QK FC_QK_K

/* v shifted by whole bits so that bit `from` of each byte lands on bit `to`
 * (16-bit shifts: the bits that cross from the neighbouring byte are not
 * `to`, the caller masks them off) */
static inline __m256i bit_to(__m256i v, int from, int to) {
    return from >= to ? _mm256_srli_epi16(v, from - to) : _mm256_slli_epi16(v, to - from);
}

/* a | (b & c) */
static inline __m256i or_and(__m256i a, __m256i b, __m256i c) { return _mm256_ternarylogic_epi32(a, b, c, 0xF8); }

/* (v >> shift) & mask per byte */
static inline __m256i bits(__m256i v, int shift, char mask) {
    return _mm256_and_si256(shift ? _mm256_srli_epi16(v, shift) : v, _mm256_set1_epi8(mask));
}

/* Q3_K: the 12 scale bytes of the blocks in each 128-bit lane of x (lane
 * bytes 4..15 = scales 0..11, bytes 0..3 ignored) -> the 16 signed scales
 * as bytes. Low nibbles: bytes [s0..s7, s0..s7], the upper 8 shifted right
 * 4 as one 64-bit lane; high 2 bits: dword k = s8..s11 rotated so that bits
 * 2k, 2k + 1 of each byte land on bits 4, 5. */
static inline __m256i q3k_scales(__m256i x) {
    const __m256i lo = _mm256_and_si256(
        _mm256_srlv_epi64(_mm256_shuffle_epi8(x, _mm256_broadcastsi128_si256(_mm_setr_epi8(4, 5, 6, 7, 8, 9, 10, 11, 4, 5, 6, 7, 8, 9, 10, 11))),
                          _mm256_setr_epi64x(0, 4, 0, 4)),
        _mm256_set1_epi8(0x0F));
    const __m256i hi = _mm256_rolv_epi32(_mm256_shuffle_epi32(x, _MM_SHUFFLE(3, 3, 3, 3)), _mm256_setr_epi32(4, 2, 0, 30, 4, 2, 0, 30));
    return _mm256_sub_epi8(or_and(lo, hi, _mm256_set1_epi8(0x30)), _mm256_set1_epi8(32));
}

/* ---- 4x4 tiles ------------------------------------------------------------------- */

/* Q2_K: the pshufb table of code * scale for the groups 4k..4k + 3 of the
 * row in each lane of the scale bytes sc8 (group g = byte g): byte 4 sel + c
 * = c * scale of group 4k + sel. One vpmullw of the scale words [s s s' s'
 * ..] by the byte pairs (0, 1), (2, 3): c * s <= 45, no carry crosses a
 * byte. */
static inline __m256i q2k_lut(__m256i sc8, int k) {
    const char g = (char)(4 * k), z = -1;
    const __m256i pat = _mm256_broadcastsi128_si256(_mm_setr_epi8(g, z, g, z, g + 1, z, g + 1, z, g + 2, z, g + 2, z, g + 3, z, g + 3, z));
    return _mm256_mullo_epi16(_mm256_shuffle_epi8(sc8, pat), _mm256_set1_epi32(0x03020100));
}

/* The Q2_K / Q3_K tiles' inner step: is[t][h] += u0[h] . token t's
 * activations [off, off + 16) + u1[h] . [off + 16, off + 32) (broadcast to
 * both lanes), for the four tokens and both row pairs. */
static inline __attribute__((always_inline)) void dpbusd_4tok(__m256i is[4][2], const __m256i u0[2], const __m256i u1[2],
                                                              const fc_block_q8k *const at[4], int off) {
    _Pragma("GCC unroll 4")
    for (int t = 0; t < 4; t++) {
        const int8_t *q = at[t]->qs + off;
        const __m256i a0 = bc16(q), a1 = bc16(q + 16);
        _Pragma("GCC unroll 2")
        for (int h = 0; h < 2; h++) is[t][h] = _mm256_dpbusd_epi32(_mm256_dpbusd_epi32(is[t][h], u0[h], a0), u1[h], a1);
    }
}

/* the table index of the 2-bit codes at bits 2j, 2j + 1 of v in group sel (0..3) of a table */
static inline __m256i q2k_index(__m256i v, int j, int sel) {
    return _mm256_ternarylogic_epi32(j ? _mm256_srli_epi16(v, 2 * j) : v, _mm256_set1_epi8(3), _mm256_set1_epi8((char)(4 * sel)), 0xEA); /* a & b | c */
}

void quant_avx512_tile4_q2_k(KT_ARGS) {
    KT_SETUP(blk_q2_k);
    const __m256i low4 = _mm256_set1_epi8(0x0F), zero = _mm256_setzero_si256();
    for (int64_t i = 0; i < n / QK; i++) {
        const uint8_t *p[4] = {(const uint8_t *)&br[0][i], (const uint8_t *)&br[1][i], (const uint8_t *)&br[2][i], (const uint8_t *)&br[3][i]};
        const fc_block_q8k *const at[4] = {&ar[0][i], &ar[1][i], &ar[2][i], &ar[3][i]};
        /* per row pair: the code * scale tables, and per token the integer sums and mins */
        __m256i lut[2][4], is[4][2], ms[4][2];
        _Pragma("GCC unroll 2")
        for (int h = 0; h < 2; h++) {
            const __m256i s = rows2_16(p[2 * h], p[2 * h + 1], offsetof(blk_q2_k, scales));
            const __m256i sc8 = _mm256_and_si256(s, low4);
            _Pragma("GCC unroll 4")
            for (int k = 0; k < 4; k++) lut[h][k] = q2k_lut(sc8, k);
            /* mins: words of groups 0..7 against bsums 0..7, of 8..15 against 8..15 */
            const __m256i m = bits(s, 4, 0x0F), mlo = _mm256_unpacklo_epi8(m, zero), mhi = _mm256_unpackhi_epi8(m, zero);
            _Pragma("GCC unroll 4")
            for (int t = 0; t < 4; t++) {
                ms[t][h] = _mm256_dpwssd_epi32(_mm256_dpwssd_epi32(zero, mlo, bc16(at[t]->bsums)), mhi, bc16(at[t]->bsums + 8));
                is[t][h] = zero;
            }
        }
        _Pragma("GCC unroll 2")
        for (int hq = 0; hq < 2; hq++) {
            /* qs bytes 32hq + l, bits 2j, 2j + 1: element 128hq + 32j + l, group 8hq + 2j + (l >= 16) */
            __m256i ql[2], qh[2];
            _Pragma("GCC unroll 2")
            for (int h = 0; h < 2; h++) rows2_32(p[2 * h], p[2 * h + 1], offsetof(blk_q2_k, qs) + 32 * (size_t)hq, &ql[h], &qh[h]);
            _Pragma("GCC unroll 4")
            for (int j = 0; j < 4; j++) {
                const int g = 8 * hq + 2 * j; /* groups g (ql) and g + 1 (qh), in table g / 4 */
                __m256i u0[2], u1[2];
                _Pragma("GCC unroll 2")
                for (int h = 0; h < 2; h++) {
                    u0[h] = _mm256_shuffle_epi8(lut[h][g / 4], q2k_index(ql[h], j, g % 4));
                    u1[h] = _mm256_shuffle_epi8(lut[h][g / 4], q2k_index(qh[h], j, g % 4 + 1));
                }
                dpbusd_4tok(is, u0, u1, at, 128 * hq + 32 * j);
            }
        }
        _Pragma("GCC unroll 2")
        for (int h = 0; h < 2; h++) {
            const __m256 d = rows2_f16(p[2 * h], p[2 * h + 1], offsetof(blk_q2_k, d));
            const __m256 dmin = rows2_f16(p[2 * h], p[2 * h + 1], offsetof(blk_q2_k, dmin));
            _Pragma("GCC unroll 4")
            for (int t = 0; t < 4; t++) {
                const __m256 da = _mm256_set1_ps(at[t]->d);
                acc[t][h] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(is[t][h]), _mm256_mul_ps(d, da), acc[t][h]);
                acc[t][h] = _mm256_fnmadd_ps(_mm256_cvtepi32_ps(ms[t][h]), _mm256_mul_ps(dmin, da), acc[t][h]);
            }
        }
    }
    tile_store8(acc, out, out_stride);
}

/* Q3_K: table k of the rows in the lanes of a8 (|scales|) and neg8 (0xFF
 * where the scale is negative), groups 2k, 2k + 1: byte 8 sel + c = c * sc
 * of group 2k + sel if sc >= 0, else (7 - c) * |sc| (both <= 7 * 32, so
 * unsigned). One vpmullw of the |sc| words by the byte pairs (c, c + 1),
 * xor'ed with 7 where negative. */
static inline __m256i q3k_lut(__m256i a8, __m256i neg8, int k) {
    const char g = (char)(2 * k), h = (char)(2 * k + 1), z = -1;
    const __m256i absw = _mm256_shuffle_epi8(a8, _mm256_broadcastsi128_si256(_mm_setr_epi8(g, z, g, z, g, z, g, z, h, z, h, z, h, z, h, z)));
    const __m256i negw = _mm256_shuffle_epi8(neg8, _mm256_broadcastsi128_si256(_mm_setr_epi8(g, g, g, g, g, g, g, g, h, h, h, h, h, h, h, h)));
    const __m256i c = _mm256_ternarylogic_epi32(_mm256_set1_epi64x(0x0706050403020100), negw, _mm256_set1_epi8(7), 0x78); /* a ^ (b & c) */
    return _mm256_mullo_epi16(absw, c);
}

/* the table index of the 3-bit codes (bits 2j, 2j + 1 of q, bit k of hm as bit 2) in group sel (0, 1) */
static inline __m256i q3k_index(__m256i q, __m256i hm, int j, int k, int sel) {
    const __m256i lo = _mm256_ternarylogic_epi32(j ? _mm256_srli_epi16(q, 2 * j) : q, _mm256_set1_epi8(3), _mm256_set1_epi8((char)(8 * sel)), 0xEA); /* a & b | c */
    return or_and(lo, bit_to(hm, k, 2), _mm256_set1_epi8(0x04));
}

void quant_avx512_tile4_q3_k(KT_ARGS) {
    KT_SETUP(blk_q3_k);
    const __m256i zero = _mm256_setzero_si256();
    for (int64_t i = 0; i < n / QK; i++) {
        const uint8_t *p[4] = {(const uint8_t *)&br[0][i], (const uint8_t *)&br[1][i], (const uint8_t *)&br[2][i], (const uint8_t *)&br[3][i]};
        const fc_block_q8k *const at[4] = {&ar[0][i], &ar[1][i], &ar[2][i], &ar[3][i]};
        /* per row pair: the 8 tables, hmask bytes 0..15 (hm[h][0]) and 16..31 (hm[h][1]) */
        __m256i lut[2][8], hm[2][2], is[4][2];
        _Pragma("GCC unroll 2")
        for (int h = 0; h < 2; h++) {
            /* the 16 bytes before d (qs 60..63, then the scales) of each row */
            const __m256i s8 = q3k_scales(rows2_16(p[2 * h], p[2 * h + 1], offsetof(blk_q3_k, scales) - 4));
            const __m256i neg = _mm256_cmpgt_epi8(zero, s8), a8 = _mm256_abs_epi8(s8);
            _Pragma("GCC unroll 8")
            for (int k = 0; k < 8; k++) lut[h][k] = q3k_lut(a8, neg, k);
            rows2_32(p[2 * h], p[2 * h + 1], offsetof(blk_q3_k, hmask), &hm[h][0], &hm[h][1]);
            /* value * sc = entry - off: off = 4 sc (sc >= 0), -3 sc (< 0); start from -sum_g off_g bsum_g */
            const __m256i off = _mm256_sub_epi8(_mm256_slli_epi16(a8, 2), _mm256_and_si256(a8, neg));
            const __m256i olo = _mm256_unpacklo_epi8(off, zero), ohi = _mm256_unpackhi_epi8(off, zero);
            _Pragma("GCC unroll 4")
            for (int t = 0; t < 4; t++)
                is[t][h] = _mm256_sub_epi32(zero, _mm256_dpwssd_epi32(_mm256_dpwssd_epi32(zero, olo, bc16(at[t]->bsums)), ohi, bc16(at[t]->bsums + 8)));
        }
        _Pragma("GCC unroll 2")
        for (int hq = 0; hq < 2; hq++) {
            /* qs bytes 32hq + l, bits 2j, 2j + 1, and bit 4hq + j of hmask[l]: element 128hq + 32j + l,
             * group 8hq + 2j + (l >= 16), table 4hq + j */
            __m256i ql[2], qh[2];
            _Pragma("GCC unroll 2")
            for (int h = 0; h < 2; h++) rows2_32(p[2 * h], p[2 * h + 1], offsetof(blk_q3_k, qs) + 32 * (size_t)hq, &ql[h], &qh[h]);
            _Pragma("GCC unroll 4")
            for (int j = 0; j < 4; j++) {
                __m256i u0[2], u1[2];
                _Pragma("GCC unroll 2")
                for (int h = 0; h < 2; h++) {
                    u0[h] = _mm256_shuffle_epi8(lut[h][4 * hq + j], q3k_index(ql[h], hm[h][0], j, 4 * hq + j, 0));
                    u1[h] = _mm256_shuffle_epi8(lut[h][4 * hq + j], q3k_index(qh[h], hm[h][1], j, 4 * hq + j, 1));
                }
                dpbusd_4tok(is, u0, u1, at, 128 * hq + 32 * j);
            }
        }
        _Pragma("GCC unroll 2")
        for (int h = 0; h < 2; h++) {
            const __m256 d = rows2_f16(p[2 * h], p[2 * h + 1], offsetof(blk_q3_k, d));
            _Pragma("GCC unroll 4")
            for (int t = 0; t < 4; t++)
                acc[t][h] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(is[t][h]), _mm256_mul_ps(d, _mm256_set1_ps(at[t]->d)), acc[t][h]);
        }
    }
    tile_store8(acc, out, out_stride);
}

/* ---- dots (one row, one token) ------------------------------------------------------ */

/* packs(S_c, S_c+1) of the 32-element chunks c, c + 1 (c even) of a 128-element half, each
 * 128-bit lane x of S_c = group 2c + x: lane x = [group 2c + x (4 words), group 2c + 2 + x
 * (4 words)]; the scale words of those groups from the half's 8 scale words */
#define DOT_PACK01 _mm256_setr_epi8(0, 1, 0, 1, 0, 1, 0, 1, 4, 5, 4, 5, 4, 5, 4, 5, 2, 3, 2, 3, 2, 3, 2, 3, 6, 7, 6, 7, 6, 7, 6, 7)
#define DOT_PACK23 _mm256_add_epi8(DOT_PACK01, _mm256_set1_epi8(8))

/* is, is2 += the half's four chunk sums c0..c3 against activations q, times the scale words
 * w01 (groups of packs(S0, S1)) and w23; two vpdpwssd chains */
#define DOT_HALF(is, is2, c0, c1, c2, c3, q, w01, w23)                                               \
    do {                                                                                             \
        const __m256i s0_ = _mm256_dpbusd_epi32(zero, c0, _mm256_loadu_si256((const __m256i *)(const void *)(q)));      \
        const __m256i s1_ = _mm256_dpbusd_epi32(zero, c1, _mm256_loadu_si256((const __m256i *)(const void *)((q) + 32)));  \
        const __m256i s2_ = _mm256_dpbusd_epi32(zero, c2, _mm256_loadu_si256((const __m256i *)(const void *)((q) + 64)));  \
        const __m256i s3_ = _mm256_dpbusd_epi32(zero, c3, _mm256_loadu_si256((const __m256i *)(const void *)((q) + 96)));  \
        is = _mm256_dpwssd_epi32(is, _mm256_packs_epi32(s0_, s1_), w01);                             \
        is2 = _mm256_dpwssd_epi32(is2, _mm256_packs_epi32(s2_, s3_), w23);                           \
    } while (0)

/* Q2_K: the 16 scales and mins as int16 from one load; the super-block's
 * scale sum and min sum go through one 512-bit convert and one fma against
 * [d * d_a x8 | dmin * d_a x8], as in the Q4_K dot. */
float quant_avx512_dot_q2_k(const void *row, const void *act, int64_t n) {
    const blk_q2_k *b = row;
    const fc_block_q8k *a = act;
    const __m256i zero = _mm256_setzero_si256();
    const __m512i dsel = _mm512_setr_epi32(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1);
    __m512 acc = _mm512_setzero_ps();
    for (int64_t i = 0; i < n / QK; i++) {
        const __m128i s = _mm_loadu_si128((const __m128i *)(const void *)b[i].scales);
        const __m256i sc8 = _mm256_broadcastsi128_si256(_mm_and_si128(s, _mm_set1_epi8(0x0F)));
        const __m256i mn16 = _mm256_cvtepu8_epi16(_mm_and_si128(_mm_srli_epi16(s, 4), _mm_set1_epi8(0x0F)));
        __m256i is = zero, is2 = zero;
        _Pragma("GCC unroll 2")
        for (int hf = 0; hf < 2; hf++) {
            /* the scale words of DOT_HALF straight from the scale bytes (zero-extended by pshufb) */
            const char g = (char)(8 * hf), z = -1;
            const __m256i pat = _mm256_setr_epi8(g, z, g, z, g, z, g, z, g + 2, z, g + 2, z, g + 2, z, g + 2, z,
                                                 g + 1, z, g + 1, z, g + 1, z, g + 1, z, g + 3, z, g + 3, z, g + 3, z, g + 3, z);
            const __m256i q = _mm256_loadu_si256((const __m256i *)(const void *)(b[i].qs + 32 * hf));
            DOT_HALF(is, is2, bits(q, 0, 3), bits(q, 2, 3), bits(q, 4, 3), bits(q, 6, 3), a[i].qs + 128 * hf,
                     _mm256_shuffle_epi8(sc8, pat), _mm256_shuffle_epi8(sc8, _mm256_add_epi8(pat, _mm256_set1_epi16(4))));
        }
        const __m256i mins = _mm256_madd_epi16(_mm256_loadu_si256((const __m256i *)(const void *)a[i].bsums), mn16);
        const __m128 dd = _mm_mul_ps(_mm_cvtph_ps(_mm_cvtsi32_si128((int)fc_rd32(b[i].d))), _mm_set1_ps(a[i].d));
        const __m512i sums = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_add_epi32(is, is2)), mins, 1);
        acc = _mm512_fmadd_ps(_mm512_permutexvar_ps(dsel, _mm512_castps128_ps512(dd)), _mm512_cvtepi32_ps(sums), acc);
    }
    return hsum8(_mm256_sub_ps(_mm512_castps512_ps256(acc), _mm512_extractf32x8_ps(acc, 1)));
}

/* Q3_K: codes (value + 4) of chunk j of half hf: 2 bits of qs, bit 4hf + j
 * of hmask as bit 2; the offset 4 goes through the bsums. */
float quant_avx512_dot_q3_k(const void *row, const void *act, int64_t n) {
    const blk_q3_k *b = row;
    const fc_block_q8k *a = act;
    const __m256i zero = _mm256_setzero_si256(), bit2 = _mm256_set1_epi8(0x04);
    __m256 acc = _mm256_setzero_ps();
    for (int64_t i = 0; i < n / QK; i++) {
        /* the 16 bytes before d: qs 60..63, scales (inside the block) */
        const uint8_t *sp = (const uint8_t *)&b[i] + offsetof(blk_q3_k, scales) - 4;
        const __m128i s8 = _mm256_castsi256_si128(q3k_scales(_mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)(const void *)sp))));
        const __m256i sc16 = _mm256_cvtepi8_epi16(s8);
        /* codes are value + 4: start from -4 * (bsums . scales) */
        __m256i is = _mm256_sub_epi32(zero, _mm256_slli_epi32(_mm256_madd_epi16(_mm256_loadu_si256((const __m256i *)(const void *)a[i].bsums), sc16), 2));
        __m256i is2 = zero;
        const __m256i hm = _mm256_loadu_si256((const __m256i *)(const void *)b[i].hmask);
        _Pragma("GCC unroll 2")
        for (int hf = 0; hf < 2; hf++) {
            const __m256i sch = _mm256_broadcastsi128_si256(hf ? _mm256_extracti128_si256(sc16, 1) : _mm256_castsi256_si128(sc16));
            const __m256i q = _mm256_loadu_si256((const __m256i *)(const void *)(b[i].qs + 32 * hf));
            const __m256i c0 = or_and(bits(q, 0, 3), bit_to(hm, 4 * hf, 2), bit2);
            const __m256i c1 = or_and(bits(q, 2, 3), bit_to(hm, 4 * hf + 1, 2), bit2);
            const __m256i c2 = or_and(bits(q, 4, 3), bit_to(hm, 4 * hf + 2, 2), bit2);
            const __m256i c3 = or_and(bits(q, 6, 3), bit_to(hm, 4 * hf + 3, 2), bit2);
            DOT_HALF(is, is2, c0, c1, c2, c3, a[i].qs + 128 * hf, _mm256_shuffle_epi8(sch, DOT_PACK01), _mm256_shuffle_epi8(sch, DOT_PACK23));
        }
        acc = _mm256_fmadd_ps(_mm256_set1_ps(a[i].d * f16(b[i].d)), _mm256_cvtepi32_ps(_mm256_add_epi32(is, is2)), acc);
    }
    return hsum8(acc);
}

/* Q5_K: as the Q4_K dot with the fifth bit or'ed in; the 8 scales and 8
 * mins from k45_unpack (bytes 0..7, 8..15). Per 32-byte chunk m: the low
 * nibbles (sub-block 2m) and high ones (2m + 1) each one vpdpbusd (<= 4 *
 * 31 * 127 per lane), packed to int16 (per 128-bit lane: 4 sums of 2m, then
 * 4 of 2m + 1), one vpdpwssd with both scales. */
float quant_avx512_dot_q5_k(const void *row, const void *act, int64_t n) {
    const blk_q5_k *b = row;
    const fc_block_q8k *a = act;
    const __m256i zero = _mm256_setzero_si256(), bit4 = _mm256_set1_epi8(0x10);
    const __m256i mn_words = _mm256_setr_epi8(8, -1, 8, -1, 9, -1, 9, -1, 10, -1, 10, -1, 11, -1, 11, -1,
                                              12, -1, 12, -1, 13, -1, 13, -1, 14, -1, 14, -1, 15, -1, 15, -1);
    const __m512i dsel = _mm512_setr_epi32(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1);
    __m512 acc = _mm512_setzero_ps();
    for (int64_t i = 0; i < n / QK; i++) {
        const __m256i sm2 = _mm256_broadcastsi128_si256(k45_unpack(b[i].scales));
        const __m256i qh = _mm256_loadu_si256((const __m256i *)(const void *)b[i].qh);
        __m256i is[2] = {zero, zero};
        _Pragma("GCC unroll 4")
        for (int m = 0; m < 4; m++) {
            const __m256i q = _mm256_loadu_si256((const __m256i *)(const void *)(b[i].qs + 32 * m));
            const __m256i lo = or_and(bits(q, 0, 0x0F), bit_to(qh, 2 * m, 4), bit4);
            const __m256i hi = or_and(bits(q, 4, 0x0F), bit_to(qh, 2 * m + 1, 4), bit4);
            const int8_t *aq = a[i].qs + 64 * m;
            const __m256i s0 = _mm256_dpbusd_epi32(zero, lo, _mm256_loadu_si256((const __m256i *)(const void *)aq));
            const __m256i s1 = _mm256_dpbusd_epi32(zero, hi, _mm256_loadu_si256((const __m256i *)(const void *)(aq + 32)));
            const char w0 = (char)(2 * m), w1 = (char)(2 * m + 1), z = -1;
            const __m256i pat = _mm256_setr_epi8(w0, z, w0, z, w0, z, w0, z, w1, z, w1, z, w1, z, w1, z,
                                                 w0, z, w0, z, w0, z, w0, z, w1, z, w1, z, w1, z, w1, z);
            is[m & 1] = _mm256_dpwssd_epi32(is[m & 1], _mm256_packs_epi32(s0, s1), _mm256_shuffle_epi8(sm2, pat));
        }
        /* mins: min j covers bsums 2j, 2j + 1 */
        const __m256i mins = _mm256_madd_epi16(_mm256_loadu_si256((const __m256i *)(const void *)a[i].bsums),
                                               _mm256_shuffle_epi8(sm2, mn_words));
        const __m128 dd = _mm_mul_ps(_mm_cvtph_ps(_mm_cvtsi32_si128((int)fc_rd32(b[i].d))), _mm_set1_ps(a[i].d));
        const __m512i sums = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_add_epi32(is[0], is[1])), mins, 1);
        acc = _mm512_fmadd_ps(_mm512_permutexvar_ps(dsel, _mm512_castps128_ps512(dd)), _mm512_cvtepi32_ps(sums), acc);
    }
    return hsum8(_mm256_sub_ps(_mm512_castps512_ps256(acc), _mm512_extractf32x8_ps(acc, 1)));
}

#endif /* __x86_64__ */
