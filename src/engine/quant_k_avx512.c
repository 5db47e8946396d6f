/* quant_k_avx512 — AVX-512 VNNI tiles of Q4_K and Q6_K (compiled with the
 * AVX-512 flags, -mavx512vnni included; quant.c picks the AVX-512 table only
 * on CPUs with F, BW, VL, DQ and VNNI). Scalar twins: quant_k_ref.c; Q2_K,
 * Q3_K, Q5_K: quant_k235_avx512.c; IQ4_NL, IQ4_XS: quant_iq4_avx512.c.
 * Also 4-row x 8-token tiles of both (tile8, mm_rows' token octets), and the
 * Q4_K and Q6_K dots and two-stream dot_rows (generation), at the end.
 *
 * Layout: a 256-bit register holds 16 bytes of each of two weight rows
 * (128-bit lane x = row 2h + x of row pair h), so one vpdpbusd against a
 * 128-bit broadcast of one token's 16 activations gives, in int32 lane
 * (x, p), the row's sum over elements 4p..4p+3 of those 16. No horizontal
 * sum is needed inside the loop: lanes keep rows apart, and each token has its own accumulators, so
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
 * per-super-block terms. The lanes of a token's float accumulators are
 * summed per row once, at the end. 256-bit, not 512: the 128-bit
 * broadcast is a plain load only at 256 bits on Zen 4 (measured: 512-bit
 * tiles with vbroadcasti32x4 ran 1.5x slower than without the broadcasts).
 */
#if defined(__x86_64__)

#include "quant_x86.h"

#define QK FC_QK_K

/* The K tiles below are written once for nt tokens (4 or 8, a constant
 * after inlining): quant_avx512_tile4_* and tile8_* are the same code.
 * tile8 unpacks each weight chunk (nibble masks, row-pair permutes, scale
 * words) once for eight tokens instead of four (AVX-512VL: ymm16..31 hold
 * the sixteen int32 sums; the float accumulators are touched once per
 * super-block, so their spills cost little): in cache ~10 % more MAC/s than
 * tile4 on Zen 4, the vpdpbusd count per MAC being the same. Per (row,
 * token) both run the same int32 lanes and float operations in the same
 * order, so tile8's results are two tile4 calls' bit for bit. */

/* acc of nt tokens -> out (tile_store8 per four tokens) */
static inline void tile_store_nt(const __m256 acc[8][2], float *out, size_t out_stride, int nt) {
    tile_store8(acc, out, out_stride);
    if (nt == 8) tile_store8(acc + 4, out + 4 * out_stride, out_stride);
}

/* Q4_K: per row pair, the 6-bit scales and mins as int16 words (k45_unpack);
 * each 32-byte chunk m of qs holds sub-blocks 2m (low nibbles) and 2m + 1
 * (high): four vpdpbusd give their two 16-element sums per lane, packed to
 * int16 and multiplied by the two scale words with one vpdpwssd. Mins: min
 * j covers bsums 2j, 2j + 1; their sums P_j once per token (vphaddw), as
 * words [P0 P4 P1 P5 P2 P6 P3 P7] against the mins in the same order, so
 * one vpdpwssd per row pair and token gives in int32 lane k m_k P_k +
 * m_k+4 P_k+4. */
static inline __attribute__((always_inline)) void q4k_tile(KT_ARGS, const int nt) {
    KT_SETUP_NT(blk_q4_k, nt);
    const __m256i low4 = _mm256_set1_epi8(0x0F), zero = _mm256_setzero_si256();
    const __m128i p04 = _mm_setr_epi8(0, 1, 8, 9, 2, 3, 10, 11, 4, 5, 12, 13, 6, 7, 14, 15);
    for (int64_t i = 0; i < n / QK; i++) {
        const uint8_t *p[4] = {(const uint8_t *)&br[0][i], (const uint8_t *)&br[1][i], (const uint8_t *)&br[2][i], (const uint8_t *)&br[3][i]};
        /* per row pair h: lane x = row 2h + x; scales as int16 words 0..7, mins likewise */
        __m256i sc16[2], mn16[2];
        _Pragma("GCC unroll 2")
        for (int h = 0; h < 2; h++) {
            const __m256i sm = _mm256_set_m128i(k45_unpack(br[2 * h + 1][i].scales), k45_unpack(br[2 * h][i].scales));
            sc16[h] = _mm256_unpacklo_epi8(sm, zero);
            mn16[h] = _mm256_unpackhi_epi8(sm, zero);
        }
        __m256i is[8][2];
        _Pragma("GCC unroll 8")
        for (int t = 0; t < nt; t++) is[t][0] = is[t][1] = zero;
        _Pragma("GCC unroll 4")
        for (int m = 0; m < 4; m++) {
            __m256i ca0[2], ca1[2], cb0[2], cb1[2], sc[2];
            _Pragma("GCC unroll 2")
            for (int h = 0; h < 2; h++) {
                __m256i zlo, zhi;
                rows2_32(p[2 * h], p[2 * h + 1], offsetof(blk_q4_k, qs) + 32 * (size_t)m, &zlo, &zhi);
                ca0[h] = _mm256_and_si256(zlo, low4);
                ca1[h] = _mm256_and_si256(zhi, low4);
                cb0[h] = _mm256_and_si256(_mm256_srli_epi16(zlo, 4), low4);
                cb1[h] = _mm256_and_si256(_mm256_srli_epi16(zhi, 4), low4);
                sc[h] = words_ab(sc16[h], 2 * m, 2 * m + 1);
            }
            _Pragma("GCC unroll 8")
            for (int t = 0; t < nt; t++) {
                const int8_t *q = ar[t][i].qs + 64 * m;
                const __m256i a0 = bc16(q), a1 = bc16(q + 16), b0 = bc16(q + 32), b1 = bc16(q + 48);
                _Pragma("GCC unroll 2")
                for (int h = 0; h < 2; h++) {
                    const __m256i sa = _mm256_dpbusd_epi32(_mm256_dpbusd_epi32(zero, ca0[h], a0), ca1[h], a1);
                    const __m256i sb = _mm256_dpbusd_epi32(_mm256_dpbusd_epi32(zero, cb0[h], b0), cb1[h], b1);
                    is[t][h] = _mm256_dpwssd_epi32(is[t][h], _mm256_packs_epi32(sa, sb), sc[h]);
                }
            }
        }
        __m256i bs2[8];
        _Pragma("GCC unroll 8")
        for (int t = 0; t < nt; t++) {
            const int16_t *b = ar[t][i].bsums;
            const __m128i ps = _mm_hadd_epi16(_mm_loadu_si128((const __m128i *)(const void *)b), _mm_loadu_si128((const __m128i *)(const void *)(b + 8)));
            bs2[t] = _mm256_broadcastsi128_si256(_mm_shuffle_epi8(ps, p04));
        }
        _Pragma("GCC unroll 2")
        for (int h = 0; h < 2; h++) {
            const __m256i mn = _mm256_shuffle_epi8(mn16[h], _mm256_broadcastsi128_si256(p04));
            const __m256 d = rows2_f16(p[2 * h], p[2 * h + 1], offsetof(blk_q4_k, d));
            const __m256 dmin = rows2_f16(p[2 * h], p[2 * h + 1], offsetof(blk_q4_k, dmin));
            _Pragma("GCC unroll 8")
            for (int t = 0; t < nt; t++) {
                const __m256i ms = _mm256_dpwssd_epi32(zero, mn, bs2[t]);
                const __m256 da = _mm256_set1_ps(ar[t][i].d);
                acc[t][h] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(is[t][h]), _mm256_mul_ps(d, da), acc[t][h]);
                acc[t][h] = _mm256_fnmadd_ps(_mm256_cvtepi32_ps(ms), _mm256_mul_ps(dmin, da), acc[t][h]);
            }
        }
    }
    tile_store_nt(acc, out, out_stride, nt);
}

void quant_avx512_tile4_q4_k(KT_ARGS) { q4k_tile(rows, row_stride, act, act_stride, n, out, out_stride, 4); }
void quant_avx512_tile8_q4_k(KT_ARGS) { q4k_tile(rows, row_stride, act, act_stride, n, out, out_stride, 8); }

/* Q6_K codes (value + 32) of 16 elements: nibbles l (bits 0..3) or'ed with
 * bits 4, 5 of h (already shifted there): l | (h & 0x30) */
static inline __m256i q6_codes(__m256i l, __m256i h) {
    return _mm256_ternarylogic_epi32(l, h, _mm256_set1_epi8(0x30), 0xF8);
}

/* Q6_K: per row pair the 16 signed scales as int16 words; each 32-element
 * chunk is two 16-element sums per lane (vpdpbusd), packed and multiplied
 * by its two scale words (vpdpwssd); the codes' offset 32 goes through the
 * bsums first. */
static inline __attribute__((always_inline)) void q6k_tile(KT_ARGS, const int nt) {
    KT_SETUP_NT(blk_q6_k, nt);
    const __m256i low4 = _mm256_set1_epi8(0x0F), zero = _mm256_setzero_si256();
    for (int64_t i = 0; i < n / QK; i++) {
        const uint8_t *p[4] = {(const uint8_t *)&br[0][i], (const uint8_t *)&br[1][i], (const uint8_t *)&br[2][i], (const uint8_t *)&br[3][i]};
        /* per row pair: the 16 signed scales as int16, groups 0..7 (sw_lo) and 8..15 (sw_hi) */
        __m256i sw_lo[2], sw_hi[2], is[8][2];
        _Pragma("GCC unroll 2")
        for (int h = 0; h < 2; h++) {
            const __m256i s8 = _mm256_set_m128i(_mm_loadu_si128((const __m128i *)(const void *)br[2 * h + 1][i].scales),
                                                _mm_loadu_si128((const __m128i *)(const void *)br[2 * h][i].scales));
            const __m256i sgn = _mm256_cmpgt_epi8(zero, s8);
            sw_lo[h] = _mm256_unpacklo_epi8(s8, sgn);
            sw_hi[h] = _mm256_unpackhi_epi8(s8, sgn);
            /* codes are value + 32: start from -32 * sum_g sc_g bsum_g */
            _Pragma("GCC unroll 8")
            for (int t = 0; t < nt; t++) {
                const __m256i off = _mm256_dpwssd_epi32(_mm256_dpwssd_epi32(zero, sw_lo[h], bc16(ar[t][i].bsums)), sw_hi[h], bc16(ar[t][i].bsums + 8));
                is[t][h] = _mm256_sub_epi32(zero, _mm256_slli_epi32(off, 5));
            }
        }
        _Pragma("GCC unroll 2")
        for (int hf = 0; hf < 2; hf++) {
            /* chunk c (32 elements, groups 2c and 2c + 1 of this half): low bits
             * from ql bytes 0..31 (c even) or 32..63 (c odd), low or high nibble
             * (c < 2 or not); high bits from qh bits 2c, 2c + 1 */
            __m256i qhlo[2], qhhi[2];
            _Pragma("GCC unroll 2")
            for (int h = 0; h < 2; h++) rows2_32(p[2 * h], p[2 * h + 1], offsetof(blk_q6_k, qh) + 32 * (size_t)hf, &qhlo[h], &qhhi[h]);
            _Pragma("GCC unroll 4")
            for (int c = 0; c < 4; c++) {
                __m256i clo[2], chi[2], sc[2];
                _Pragma("GCC unroll 2")
                for (int h = 0; h < 2; h++) {
                    __m256i llo, lhi, hlo = qhlo[h], hhi = qhhi[h];
                    rows2_32(p[2 * h], p[2 * h + 1], offsetof(blk_q6_k, ql) + 64 * (size_t)hf + 32 * (size_t)(c & 1), &llo, &lhi);
                    if (c >= 2) { llo = _mm256_srli_epi16(llo, 4); lhi = _mm256_srli_epi16(lhi, 4); }
                    switch (c) {
                    case 0: hlo = _mm256_slli_epi16(hlo, 4); hhi = _mm256_slli_epi16(hhi, 4); break;
                    case 1: hlo = _mm256_slli_epi16(hlo, 2); hhi = _mm256_slli_epi16(hhi, 2); break;
                    case 2: break;
                    default: hlo = _mm256_srli_epi16(hlo, 2); hhi = _mm256_srli_epi16(hhi, 2); break;
                    }
                    clo[h] = q6_codes(_mm256_and_si256(llo, low4), hlo);
                    chi[h] = q6_codes(_mm256_and_si256(lhi, low4), hhi);
                    sc[h] = words_ab(hf ? sw_hi[h] : sw_lo[h], 2 * c, 2 * c + 1);
                }
                _Pragma("GCC unroll 8")
                for (int t = 0; t < nt; t++) {
                    const int8_t *q = ar[t][i].qs + 128 * hf + 32 * c;
                    const __m256i a0 = bc16(q), a1 = bc16(q + 16);
                    _Pragma("GCC unroll 2")
                    for (int h = 0; h < 2; h++) {
                        const __m256i s0 = _mm256_dpbusd_epi32(zero, clo[h], a0), s1 = _mm256_dpbusd_epi32(zero, chi[h], a1);
                        is[t][h] = _mm256_dpwssd_epi32(is[t][h], _mm256_packs_epi32(s0, s1), sc[h]);
                    }
                }
            }
        }
        _Pragma("GCC unroll 2")
        for (int h = 0; h < 2; h++) {
            const __m256 d = rows2_f16(p[2 * h], p[2 * h + 1], offsetof(blk_q6_k, d));
            _Pragma("GCC unroll 8")
            for (int t = 0; t < nt; t++)
                acc[t][h] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(is[t][h]), _mm256_mul_ps(d, _mm256_set1_ps(ar[t][i].d)), acc[t][h]);
        }
    }
    tile_store_nt(acc, out, out_stride, nt);
}

void quant_avx512_tile4_q6_k(KT_ARGS) { q6k_tile(rows, row_stride, act, act_stride, n, out, out_stride, 4); }
void quant_avx512_tile8_q6_k(KT_ARGS) { q6k_tile(rows, row_stride, act, act_stride, n, out, out_stride, 8); }

/* ---- dots (one row, one token): VNNI -------------------------------------------- */

/* K_DOTS(t, BT, k, SUM) defines quant_avx512_dot_<t> and dot_rows_<t> from
 * the per-super-block step k##_step (constants k##_consts, set up by
 * k##_setup) and SUM, the accumulator's final sum: the dot runs the step
 * along one row; dot_rows along rows r and r + part (part = n_rows /
 * DOT_STREAMS) at once, the odd row by the dot; each row's steps are the
 * dot's, in the same order. */
#define K_DOTS(t, BT, k, SUM)                                                                               \
    float quant_avx512_dot_##t(const void *row, const void *act, int64_t n) {                             \
        const BT *b = row;                                                                                \
        const fc_block_q8k *a = act;                                                                      \
        k##_consts c;                                                                                     \
        k##_setup(&c);                                                                                    \
        __m256 acc = _mm256_setzero_ps();                                                                 \
        for (int64_t i = 0; i < n / QK; i++) acc = k##_step(&c, &b[i], &a[i], acc);                       \
        return SUM(acc);                                                                                  \
    }                                                                                                     \
    void quant_avx512_dot_rows_##t(const void *rows, size_t row_stride, int n_rows, const void *act,       \
                                   int64_t n, float *out) {                                               \
        const fc_block_q8k *a = act;                                                                      \
        const int part = n_rows / DOT_STREAMS;                                                            \
        k##_consts c;                                                                                     \
        k##_setup(&c);                                                                                    \
        for (int r = 0; r < part; r++) {                                                                  \
            const BT *b[DOT_STREAMS];                                                                     \
            __m256 acc[DOT_STREAMS];                                                                      \
            for (int s = 0; s < DOT_STREAMS; s++) {                                                       \
                b[s] = (const BT *)(const void *)((const uint8_t *)rows + (size_t)(r + s * part) * row_stride); \
                acc[s] = _mm256_setzero_ps();                                                             \
            }                                                                                             \
            for (int64_t i = 0; i < n / QK; i++) {                                                        \
                _Pragma("GCC unroll 4")                                                                   \
                for (int s = 0; s < DOT_STREAMS; s++) acc[s] = k##_step(&c, &b[s][i], &a[i], acc[s]);     \
            }                                                                                             \
            for (int s = 0; s < DOT_STREAMS; s++) out[r + s * part] = SUM(acc[s]);                        \
        }                                                                                                 \
        for (int r = DOT_STREAMS * part; r < n_rows; r++)                                                 \
            out[r] = quant_avx512_dot_##t((const uint8_t *)rows + (size_t)r * row_stride, act, n);        \
    }


/* Each dot is a per-super-block step (q4k_step, q6k_step) on a float
 * accumulator: the dot runs it along one row, dot_rows along DOT_STREAMS
 * rows at once, rows r and r + n_rows / 2 (generation calls dot_rows on
 * runs of up to 2048 rows, cpu_stage.c mm_rows). Each row's steps are the
 * dot's, in the same order, so dot_rows returns the dot's floats exactly.
 * Why two rows half a run apart: one thread reads two long sequential
 * streams from DRAM faster than one (more lines in flight; 300 MB of
 * n = 2048 Q4_K rows: 1.25-1.3x the one-row rate), and the two rows' steps
 * are independent chains that overlap where one waits. Neighbouring rows
 * (r, r + 1) read 1152-byte pieces alternately from two places instead:
 * 3x slower than one row, the prefetchers lose the stream (the multi-row
 * dots dropped earlier, BENCHMARKS.md). Four streams measured the same as
 * two; software prefetch 1 KiB / 4 KiB ahead in the streams was slower. */
enum { DOT_STREAMS = 2 };

/* Q4_K: per 32-byte chunk m of codes, the low nibbles (sub-block 2m) and
 * the high ones (2m + 1) each take one 256-bit vpdpbusd against their 32
 * activations (8 sums of 4 products, <= 4 * 15 * 127); the two results are
 * packed to int16 (per 128-bit lane: 4 sums of 2m, then 4 of 2m + 1) and
 * one vpdpwssd applies both scales. The 6-bit scales and mins are unpacked
 * with six 128-bit ops into bytes [sc0..3, m0..3, sc4..7, m4..7], from which
 * one pshufb (zeroing the high bytes) gives each chunk's scale words and one
 * the doubled min words for the bsums. One vphaddd folds the 8 lanes of the
 * super-block's scale sum and the 8 of its min sum into [S S M M | S S M M]
 * (sums of at most 2 * 8 * 63 * 7620, inside int32), converted and fma'd
 * against [d, d, dmin, dmin] * d_a (the d, dmin pair converted by one
 * vcvtph2ps) in 256 bits: a 512-bit convert, permute and fma of the two
 * 8-lane sums cost more (in cache 1.03-1.06x). The min lanes are subtracted
 * once per row. */
typedef struct {
    __m256i low4, mn_words, pat[4];
    __m128i sm_keep, srl_lo, srl_hi, m30;
    __m256i dsel;
} q4k_consts;

static inline void q4k_setup(q4k_consts *c) {
    c->low4 = _mm256_set1_epi8(0x0F);
    c->mn_words = _mm256_setr_epi8(4, -1, 4, -1, 5, -1, 5, -1, 6, -1, 6, -1, 7, -1, 7, -1,
                                   12, -1, 12, -1, 13, -1, 13, -1, 14, -1, 14, -1, 15, -1, 15, -1);
    for (int m = 0; m < 4; m++) {
        /* scale bytes of sub-blocks 2m, 2m + 1 in sm: 2m, 2m + 1 (m < 2) or 2m + 4, 2m + 5 */
        const char w0 = (char)(m < 2 ? 2 * m : 2 * m + 4), w1 = (char)(w0 + 1), z = -1;
        c->pat[m] = _mm256_setr_epi8(w0, z, w0, z, w0, z, w0, z, w1, z, w1, z, w1, z, w1, z,
                                     w0, z, w0, z, w0, z, w0, z, w1, z, w1, z, w1, z, w1, z);
    }
    c->sm_keep = _mm_setr_epi32(0x3f3f3f3f, 0x3f3f3f3f, 0x0f0f0f0f, 0x0f0f0f0f);
    c->srl_lo = _mm_setr_epi32(0, 0, 0, 4);
    c->srl_hi = _mm_setr_epi32(32, 32, 2, 2);
    c->m30 = _mm_set1_epi8(0x30);
    c->dsel = _mm256_setr_epi32(0, 0, 1, 1, 0, 0, 1, 1); /* [d, d, dmin, dmin] x2 */
}

static inline __m256 q4k_step(const q4k_consts *c, const blk_q4_k *b, const fc_block_q8k *a, __m256 acc) {
    const __m256i zero = _mm256_setzero_si256();
    /* scales bytes u0, u1, u2 (the 4 bytes after are qs, unused) -> [sc0..3, m0..3, sc4..7, m4..7] */
    const __m128i x = _mm_loadu_si128((const __m128i *)(const void *)b->scales);
    const __m128i lo6 = _mm_srlv_epi32(_mm_shuffle_epi32(x, _MM_SHUFFLE(2, 2, 1, 0)), c->srl_lo);
    const __m128i hi2 = _mm_and_si128(_mm_srlv_epi32(_mm_shuffle_epi32(x, _MM_SHUFFLE(1, 0, 0, 0)), c->srl_hi), c->m30);
    const __m128i sm = _mm_ternarylogic_epi32(c->sm_keep, lo6, hi2, 0xCA); /* keep ? lo6 : hi2 */
    const __m256i sm2 = _mm256_broadcastsi128_si256(sm);
    /* two chains of vpdpwssd (latency 4-5 each): one would bound the loop */
    __m256i is[2] = {zero, zero};
    _Pragma("GCC unroll 4")
    for (int m = 0; m < 4; m++) {
        const __m256i q = _mm256_loadu_si256((const __m256i *)(const void *)(b->qs + 32 * m));
        const __m256i lo = _mm256_and_si256(q, c->low4), hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), c->low4);
        const int8_t *aq = a->qs + 64 * m;
        const __m256i s0 = _mm256_dpbusd_epi32(zero, lo, _mm256_loadu_si256((const __m256i *)(const void *)aq));
        const __m256i s1 = _mm256_dpbusd_epi32(zero, hi, _mm256_loadu_si256((const __m256i *)(const void *)(aq + 32)));
        is[m & 1] = _mm256_dpwssd_epi32(is[m & 1], _mm256_packs_epi32(s0, s1), _mm256_shuffle_epi8(sm2, c->pat[m]));
    }
    /* mins: min j covers bsums 2j, 2j + 1 */
    const __m256i mins = _mm256_madd_epi16(_mm256_loadu_si256((const __m256i *)(const void *)a->bsums),
                                           _mm256_shuffle_epi8(sm2, c->mn_words));
    const __m128 dd = _mm_mul_ps(_mm_cvtph_ps(_mm_cvtsi32_si128((int)fc_rd32(b->d))), _mm_set1_ps(a->d));
    /* [scale sums 01, 23, min sums 01, 23 | 45, 67, 45, 67] */
    const __m256i sums = _mm256_hadd_epi32(_mm256_add_epi32(is[0], is[1]), mins);
    return _mm256_fmadd_ps(_mm256_permutexvar_ps(c->dsel, _mm256_castps128_ps256(dd)), _mm256_cvtepi32_ps(sums), acc);
}

/* the scale terms minus the min terms */
static inline float q4k_sum(__m256 acc) { return hsum8(_mm256_mul_ps(acc, _mm256_setr_ps(1, 1, -1, -1, 1, 1, -1, -1))); }

K_DOTS(q4_k, blk_q4_k, q4k, q4k_sum)

/* Q6_K: 32 codes (value + 32) per 256-bit register in element order, so
 * 128-bit lane x holds scale group 2c + x of chunk c; one vpdpbusd per chunk
 * (8 sums of 4 products, <= 4 * 63 * 127), two chunks packed to int16 and
 * one vpdpwssd with their four scales; the offset 32 goes through the bsums
 * as in the AVX2 dot. */
typedef struct {
    __m256i low4, m30, p01, p23;
} q6k_consts;

static inline void q6k_setup(q6k_consts *c) {
    c->low4 = _mm256_set1_epi8(0x0F);
    c->m30 = _mm256_set1_epi8(0x30);
    /* packs(S_c, S_c+1) of chunks c, c + 1 (c even): lane x words 0..3 = group 2c + x, 4..7 = group
     * 2c + 2 + x; the scales of half hf are words 0..7 of sch in both lanes */
    c->p01 = _mm256_setr_epi8(0, 1, 0, 1, 0, 1, 0, 1, 4, 5, 4, 5, 4, 5, 4, 5,
                              2, 3, 2, 3, 2, 3, 2, 3, 6, 7, 6, 7, 6, 7, 6, 7);
    c->p23 = _mm256_add_epi8(c->p01, _mm256_set1_epi8(8));
}

static inline __m256 q6k_step(const q6k_consts *c, const blk_q6_k *b, const fc_block_q8k *a, __m256 acc) {
    const __m256i zero = _mm256_setzero_si256();
    const __m128i s8 = _mm_loadu_si128((const __m128i *)(const void *)b->scales);
    const __m256i sc16 = _mm256_cvtepi8_epi16(s8);
    /* codes are value + 32: start from -32 * (bsums . scales) */
    __m256i is = _mm256_sub_epi32(zero, _mm256_slli_epi32(_mm256_madd_epi16(_mm256_loadu_si256((const __m256i *)(const void *)a->bsums), sc16), 5));
    __m256i is2 = zero; /* a second vpdpwssd chain */
    _Pragma("GCC unroll 2")
    for (int hf = 0; hf < 2; hf++) {
        const __m256i sch = _mm256_broadcastsi128_si256(hf ? _mm256_extracti128_si256(sc16, 1) : _mm256_castsi256_si128(sc16));
        const __m256i l0 = _mm256_loadu_si256((const __m256i *)(const void *)(b->ql + 64 * hf));
        const __m256i l1 = _mm256_loadu_si256((const __m256i *)(const void *)(b->ql + 64 * hf + 32));
        const __m256i qh = _mm256_loadu_si256((const __m256i *)(const void *)(b->qh + 32 * hf));
        const __m256i c0 = _mm256_ternarylogic_epi32(_mm256_and_si256(l0, c->low4), _mm256_slli_epi16(qh, 4), c->m30, 0xF8);
        const __m256i c1 = _mm256_ternarylogic_epi32(_mm256_and_si256(l1, c->low4), _mm256_slli_epi16(qh, 2), c->m30, 0xF8);
        const __m256i c2 = _mm256_ternarylogic_epi32(_mm256_and_si256(_mm256_srli_epi16(l0, 4), c->low4), qh, c->m30, 0xF8);
        const __m256i c3 = _mm256_ternarylogic_epi32(_mm256_and_si256(_mm256_srli_epi16(l1, 4), c->low4), _mm256_srli_epi16(qh, 2), c->m30, 0xF8);
        const int8_t *q = a->qs + 128 * hf;
        const __m256i s0 = _mm256_dpbusd_epi32(zero, c0, _mm256_loadu_si256((const __m256i *)(const void *)q));
        const __m256i s1 = _mm256_dpbusd_epi32(zero, c1, _mm256_loadu_si256((const __m256i *)(const void *)(q + 32)));
        const __m256i s2 = _mm256_dpbusd_epi32(zero, c2, _mm256_loadu_si256((const __m256i *)(const void *)(q + 64)));
        const __m256i s3 = _mm256_dpbusd_epi32(zero, c3, _mm256_loadu_si256((const __m256i *)(const void *)(q + 96)));
        /* packs(s0, s1): lane x = [group 0 + x (4 words), group 2 + x (4 words)] of this half */
        is = _mm256_dpwssd_epi32(is, _mm256_packs_epi32(s0, s1), _mm256_shuffle_epi8(sch, c->p01));
        is2 = _mm256_dpwssd_epi32(is2, _mm256_packs_epi32(s2, s3), _mm256_shuffle_epi8(sch, c->p23));
    }
    return _mm256_fmadd_ps(_mm256_set1_ps(a->d * f16(b->d)), _mm256_cvtepi32_ps(_mm256_add_epi32(is, is2)), acc);
}

K_DOTS(q6_k, blk_q6_k, q6k, hsum8)

#endif /* __x86_64__ */
