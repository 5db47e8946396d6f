/* quant_k_avx512 — AVX-512 VNNI dots of Q4_K and Q6_K and their two-stream
 * dot_rows (generation; compiled with the AVX-512 flags, -mavx512vnni
 * included; quant.c picks the AVX-512 table only on CPUs with F, BW, VL, DQ
 * and VNNI). Scalar twins: quant_k_ref.c; Q2_K, Q3_K, Q5_K:
 * quant_k235_avx512.c; IQ4_NL, IQ4_XS: quant_iq4_avx512.c. The prompt path
 * of Q4_K, Q5_K and Q6_K is the repacked tiles' (quant_repack_avx512.c) and
 * the AVX2 4x4 tiles', which share their arithmetic.
 */
#if defined(__x86_64__)

#include "quant_x86.h"

#define QK FC_QK_K

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
