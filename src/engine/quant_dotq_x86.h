/* quant_dotq_x86 — private to quant_avx2.c and quant_avx512.c: the dots of
 * the 4/5/8-bit types against FC_ACT_Q8 (generation) and the code-unpacking
 * helpers the AVX2 tiles share, written once for both tables. The including
 * file defines QDOT(name), the prefix of the static functions it gets
 * (quant_avx2_dot_q4_0, ...), and is compiled with at least -mavx2 -mfma
 * -mf16c. Compiled with AVX-512 VL and VNNI (quant_avx512.c), dot_u8_s8 is
 * one vpdpbusd instead of vpmaddubsw + vpmaddwd: the same four products per
 * int32 lane, so both tables' dots return the same floats bit for bit.
 */
#ifndef FC_QUANT_DOTQ_X86_H
#define FC_QUANT_DOTQ_X86_H

#include "quant_x86.h"

/* ---- helpers --------------------------------------------------------------- */

/* 16 bytes of packed nibbles -> 32 bytes in element order (low nibbles are
 * elements 0..15, high nibbles 16..31). */
static inline __m256i nibbles(const uint8_t *qs) {
    /* one broadcast load (no shuffle uop) and a variable shift of the upper
     * half: cheaper than load + shift + vinserti128 on the shuffle port */
    const __m256i v = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(const void *)qs));
    return _mm256_and_si256(_mm256_srlv_epi64(v, _mm256_setr_epi64x(0, 0, 4, 4)), _mm256_set1_epi8(0x0F));
}

/* The 32 bits of qh -> 32 bytes, 0x10 where bit j is set (the fifth bit of a
 * Q5 code), else 0. The 32 bits come in by a broadcast load (a load uop, not
 * a GPR move and a broadcast shuffle); one vpshufb spreads byte j/8 to the
 * eight bytes of lane j/8, one compare picks bit j%8 (ggml's
 * bytes_from_bits_32). */
static inline __m256i fifth_bits(const uint8_t *qh) {
    const __m256i spread = _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1,
                                            2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3);
    const __m256i bit = _mm256_set1_epi64x(0x8040201008040201LL);
#if defined(__clang__) /* clang's intrinsic is a plain float dereference: qh is not 4-byte aligned (UBSan) */
    uint32_t bits;
    memcpy(&bits, qh, 4);
    __m256i v = _mm256_set1_epi32((int)bits);
#else
    __m256i v = _mm256_castps_si256(_mm256_broadcast_ss((const float *)(const void *)qh));
#endif
    v = _mm256_shuffle_epi8(v, spread);
    v = _mm256_cmpeq_epi8(_mm256_and_si256(v, bit), bit);
    return _mm256_and_si256(v, _mm256_set1_epi8(0x10));
}

/* sum over pairs of u8 * s8 -> 8 int32 lanes (|pair| <= 2*255*127 fits the
 * int16 maddubs step only for codes <= 128: callers pass codes <= 31 here). */
static inline __m256 dot_u8_s8(__m256i u, __m256i s) {
#if defined(__AVX512VNNI__) && defined(__AVX512VL__)
    /* the same four products per int32 lane in one instruction */
    return _mm256_cvtepi32_ps(_mm256_dpbusd_epi32(_mm256_setzero_si256(), u, s));
#else
    const __m256i p16 = _mm256_maddubs_epi16(u, s);
    return _mm256_cvtepi32_ps(_mm256_madd_epi16(p16, _mm256_set1_epi16(1)));
#endif
}

/* signed weights: |w| * sign(w)·a, exact for w = -128 and |a| <= 127 */
static inline __m256 dot_s8_s8(__m256i w, __m256i a) {
    return dot_u8_s8(_mm256_sign_epi8(w, w), _mm256_sign_epi8(a, w));
}

static inline __m256i act_qs(const fc_block_q8 *a) { return _mm256_loadu_si256((const __m256i *)a->qs); }

/* ---- dots against FC_ACT_Q8 ------------------------------------------------ */

/* Scales of four blocks at once, as one vector
 *   [d0*da0, m0*sa0, d1*da1, m1*sa1 | d2*da2, m2*sa2, d3*da3, m3*sa3]
 * from dm (eight halves d0 m0 d1 m1 ...) and the activations' (d, s) pairs,
 * which sit at the start of each fc_block_q8. This replaces eight scalar f16
 * conversions and multiplies per four blocks by a handful of vector ops. */
static inline __m256 scales4(__m128i dm, const fc_block_q8 *a) {
    const __m128i a01 = _mm_unpacklo_epi64(_mm_loadl_epi64((const __m128i *)(const void *)&a[0]),
                                           _mm_loadl_epi64((const __m128i *)(const void *)&a[1]));
    const __m128i a23 = _mm_unpacklo_epi64(_mm_loadl_epi64((const __m128i *)(const void *)&a[2]),
                                           _mm_loadl_epi64((const __m128i *)(const void *)&a[3]));
    return _mm256_mul_ps(_mm256_cvtph_ps(dm), _mm256_castsi256_ps(_mm256_set_m128i(a23, a01)));
}

#if defined(__AVX512BW__) && defined(__AVX512VL__)
/* scales4 with both gathers vectorized (the AVX-512 table's dots): the f16
 * halves of blocks i..i+3, whose sizes are whole 16-bit words (S of them),
 * by one vpermw over 64 loaded bytes (vpermt2w with 16 more where the
 * fourth block's d lies past them): (d, m) pairs, or d twice (pair 0); the
 * activations' (d, s) by one vpermt2ps over 128 bytes. In range: the four
 * blocks span at least 72 and 160 bytes. The same floats as scales4. */
static inline __attribute__((always_inline)) __m256 scales4v(const uint8_t *p, int S, int pair, const fc_block_q8 *a) {
    const __m512i idx = _mm512_castsi128_si512(_mm_setr_epi16(0, (short)pair, (short)S, (short)(S + pair), (short)(2 * S),
                                                              (short)(2 * S + pair), (short)(3 * S), (short)(3 * S + pair)));
    const __m512i lo = _mm512_loadu_si512((const void *)p);
    const __m512i dm = 3 * S + pair < 32
                           ? _mm512_permutexvar_epi16(idx, lo)
                           : _mm512_permutex2var_epi16(lo, idx, _mm512_castsi128_si512(_mm_loadu_si128((const __m128i *)(const void *)(p + 64))));
    const float *af = (const float *)(const void *)a;
    const __m512 ds = _mm512_permutex2var_ps(_mm512_loadu_ps(af), _mm512_setr_epi32(0, 1, 10, 11, 20, 21, 30, 31, 0, 0, 0, 0, 0, 0, 0, 0),
                                             _mm512_loadu_ps(af + 16));
    return _mm256_mul_ps(_mm256_cvtph_ps(_mm512_castsi512_si128(dm)), _mm512_castps512_ps256(ds));
}
#define SCALES4(BT, DM, b, i, a) scales4v((const uint8_t *)&(b)[i], (int)(sizeof(BT) / 2), DM##_PAIRS, &(a)[i])
#else
#define SCALES4(BT, DM, b, i, a) scales4(_mm_setr_epi32(DM(b, i), DM(b, i + 1), DM(b, i + 2), DM(b, i + 3)), &(a)[i])
#endif
_Static_assert(sizeof(fc_block_q8) == 40, "scales4v's activation (d, s) offsets");

/* Codes, and d and m of blocks, of block array B: for "_1" types the two
 * f16 fields are adjacent at the start of the block (DM_PAIR); for "_0"
 * types d is duplicated (DM_DUP) and the offset -k*d applied through the K
 * vector. Shared by the dots and the tiles. */
#define CODES4(B, i) nibbles((B)[i].qs)
#define CODES5(B, i) _mm256_or_si256(nibbles((B)[i].qs), fifth_bits((B)[i].qh))
#define CODES8(B, i) _mm256_loadu_si256((const __m256i *)(B)[i].qs)
#define DM_PAIR(B, i) (int)fc_rd32((const uint8_t *)&(B)[i])
#define DM_DUP(B, i) (int)((uint32_t)fc_rd16((B)[i].d) * 0x10001u)
#define DM_PAIR_PAIRS 1 /* scales4v's pair */
#define DM_DUP_PAIRS 0
#define D16(B, i) f16((B)[i].d)
#define M16(B, i) f16((B)[i].m)
#define M_Q4_0(B, i) (-8.0f * f16((B)[i].d))
#define M_Q5_0(B, i) (-16.0f * f16((B)[i].d))
#define K_ONE _mm256_set1_ps(1.0f)
#define K_Q4_0 _mm256_setr_ps(1, -8, 1, -8, 1, -8, 1, -8)
#define K_Q5_0 _mm256_setr_ps(1, -16, 1, -16, 1, -16, 1, -16)

/* One row's running sums: two FMA chains and the min terms (lanes 1, 3, 5,
 * 7 of macc). */
typedef struct {
    __m256 acc0, acc1, macc;
} dot_acc;

/* DOT_Q(t, BT, CODES, DM, K, D, M) defines, for the four 4/5-bit types:
 *   t##_step4   four blocks of one row: the integer sums go through one FMA
 *               each with their broadcast scale, the min terms into macc;
 *   t##_finish  the last blocks (scalar scales) and the row's sum;
 *   QDOT(dot_##t)       one row.
 * DOT_ROWS_Q(name, t, BT, K) defines QDOT(dot_rows_##name): rows r and
 * r + n_rows / 2 in lockstep (two streams far apart keep more loads in
 * flight than one: the generation path; short rows also pay the set-up
 * once), the odd row by the dot. Each row takes the dot's steps in the
 * dot's order, so dot_rows returns the dot's floats exactly. The 4/5-bit
 * types' dot_rows are DOT_ROWS_QP's (below), the same floats again. */
#define DOT_Q(t, BT, CODES, DM, K, D, M)                                                                  \
    static inline __attribute__((always_inline)) void t##_step4(dot_acc *s, const BT *b, const fc_block_q8 *a, int64_t i, __m256 k) {  \
        const __m256 sc = _mm256_mul_ps(SCALES4(BT, DM, b, i, a), k);                                  \
        const __m256 p0 = dot_u8_s8(CODES(b, i), act_qs(&a[i]));                                       \
        const __m256 p1 = dot_u8_s8(CODES(b, i + 1), act_qs(&a[i + 1]));                               \
        const __m256 p2 = dot_u8_s8(CODES(b, i + 2), act_qs(&a[i + 2]));                               \
        const __m256 p3 = dot_u8_s8(CODES(b, i + 3), act_qs(&a[i + 3]));                               \
        s->acc0 = _mm256_fmadd_ps(_mm256_permutevar8x32_ps(sc, _mm256_set1_epi32(0)), p0, s->acc0);      \
        s->acc1 = _mm256_fmadd_ps(_mm256_permutevar8x32_ps(sc, _mm256_set1_epi32(2)), p1, s->acc1);      \
        s->acc0 = _mm256_fmadd_ps(_mm256_permutevar8x32_ps(sc, _mm256_set1_epi32(4)), p2, s->acc0);      \
        s->acc1 = _mm256_fmadd_ps(_mm256_permutevar8x32_ps(sc, _mm256_set1_epi32(6)), p3, s->acc1);      \
        s->macc = _mm256_add_ps(s->macc, sc);                                                           \
    }                                                                                                   \
    static inline float t##_finish(dot_acc *s, const BT *b, const fc_block_q8 *a, int64_t i, int64_t nb) { \
        float mins = hsum8(_mm256_blend_ps(_mm256_setzero_ps(), s->macc, 0xAA));                        \
        for (; i < nb; i++) {                                                                           \
            const __m256 p0 = dot_u8_s8(CODES(b, i), act_qs(&a[i]));                                   \
            s->acc0 = _mm256_fmadd_ps(_mm256_set1_ps(D(b, i) * a[i].d), p0, s->acc0);                   \
            mins += M(b, i) * a[i].s;                                                                   \
        }                                                                                               \
        return hsum8(_mm256_add_ps(s->acc0, s->acc1)) + mins;                                           \
    }                                                                                                   \
    static float QDOT(dot_##t)(const void *row, const void *act, int64_t n) {                             \
        const fc_block_q8 *a = act;                                                                     \
        const int64_t nb = n / FC_QK;                                                                   \
        const __m256 k = K;                                                                             \
        ROW1(BT, dot_acc, DOT_ACC_ZERO, 4, t##_step4(s_, b_, a, i, k), t##_finish(s_, b_, a, i, nb))     \
    }

/* The two-stream skeleton of every dot_rows here (the 256-bit and 512-bit
 * ones; ROW1 below is the dots'): rows r and r + n_rows / 2 in lockstep,
 * the statement STEP over blocks i..i+N-1 while N remain, then the float
 * FINISH for the rest; an odd last row by DOT. STEP and FINISH name the row's accumulator s_ (of
 * type ACC, zeroed by the function-like macro ZERO(), named without its
 * parentheses so that it passes through other macros) and blocks b_, and see
 * the caller's a, nb and whatever else it declared. */
#define ROWS2(BT, ACC, ZERO, N, STEP, FINISH, DOT)                                                        \
    do {                                                                                                \
        const int part_ = n_rows / 2;                                                                   \
        for (int r = 0; r < part_; r++) {                                                               \
            const BT *b0 = (const BT *)(const void *)((const uint8_t *)rows + (size_t)r * row_stride);  \
            const BT *b1 = (const BT *)(const void *)((const uint8_t *)rows + (size_t)(r + part_) * row_stride); \
            ACC s0 = ZERO(), s1 = ZERO();                                                                 \
            int64_t i = 0;                                                                              \
            for (; i + (N) <= nb; i += (N)) {                                                           \
                { ACC *s_ = &s0; const BT *b_ = b0; STEP; }                                             \
                { ACC *s_ = &s1; const BT *b_ = b1; STEP; }                                             \
            }                                                                                           \
            { ACC *s_ = &s0; const BT *b_ = b0; out[r] = FINISH; }                                      \
            { ACC *s_ = &s1; const BT *b_ = b1; out[r + part_] = FINISH; }                              \
        }                                                                                               \
        for (int r = 2 * part_; r < n_rows; r++) out[r] = DOT((const uint8_t *)rows + (size_t)r * row_stride, act, n); \
    } while (0)
/* The same for one row (the dots): returns FINISH for the row at `row`. */
#define ROW1(BT, ACC, ZERO, N, STEP, FINISH)                                                              \
    {                                                                                                   \
        const BT *b_ = row;                                                                             \
        ACC s0 = ZERO(), *s_ = &s0;                                                                     \
        int64_t i = 0;                                                                                  \
        for (; i + (N) <= nb; i += (N)) STEP;                                                           \
        return FINISH;                                                                                  \
    }
#define DOT_ACC_ZERO() {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()}

#define DOT_ROWS_Q(name, t, BT, K)                                                                        \
    static void QDOT(dot_rows_##name)(const void *rows, size_t row_stride, int n_rows, const void *act, int64_t n, \
                                      float *out) {                                                     \
        const fc_block_q8 *a = act;                                                                     \
        const int64_t nb = n / FC_QK;                                                                   \
        const __m256 k = K;                                                                             \
        ROWS2(BT, dot_acc, DOT_ACC_ZERO, 4, t##_step4(s_, b_, a, i, k), t##_finish(s_, b_, a, i, nb), QDOT(dot_##t)); \
    }

/* DOT_ROWS_QP(t, BT, DM, K, FIFTH): QDOT(dot_rows_##t) for the 4/5-bit
 * types, the activations laid out once per call to fit the weights' nibbles. A
 * block's 16 bytes hold elements 0-15 in the low nibbles and 16-31 in the
 * high ones; for a pair of blocks (i, i + 1) one 32-byte register takes
 * both blocks' bytes, and one mask and one shift give
 *   lo = [i: 0-15 | i+1: 0-15], hi = [i: 16-31 | i+1: 16-31],
 * (the Q5 types OR the matching fifth bits in), dotted with the
 * activations copied into the same order (ap: per pair,
 * 32 bytes of lo then 32 of hi). Lane j < 4 of lo's sums is lane j of
 * block i's, lane 4 + j is lane j of block i + 1's; hi's are lanes 4-7.
 * The accumulators are the dot's acc0 (even blocks) and acc1 (odd) with
 * their halves swapped between them (accA = [acc0 0-3 | acc1 0-3], accB =
 * [acc0 4-7 | acc1 4-7]), every lane taking the dot's products, scales
 * and additions in the dot's order, so the rows get the dot's floats bit
 * for bit (test_quant); per two blocks this saves a broadcast, a shift
 * and a scale permute. Rows longer than 64 Ki values (no such model yet)
 * take DOT_ROWS_Q's rows (the layout lives on the stack), an odd last row
 * the dot. */
static inline void act_pairs(const fc_block_q8 *a, int64_t nb4, int8_t *ap) {
    for (int64_t i = 0; i < nb4; i += 2) {
        const __m128i l0 = _mm_loadu_si128((const __m128i *)(const void *)a[i].qs), h0 = _mm_loadu_si128((const __m128i *)(const void *)(a[i].qs + 16));
        const __m128i l1 = _mm_loadu_si128((const __m128i *)(const void *)a[i + 1].qs), h1 = _mm_loadu_si128((const __m128i *)(const void *)(a[i + 1].qs + 16));
        _mm256_storeu_si256((__m256i *)(void *)(ap + 32 * i), _mm256_set_m128i(l1, l0));
        _mm256_storeu_si256((__m256i *)(void *)(ap + 32 * i + 32), _mm256_set_m128i(h1, h0));
    }
}
static inline __m256i pair_qs(const uint8_t *q0, const uint8_t *q1) {
    return _mm256_set_m128i(_mm_loadu_si128((const __m128i *)(const void *)q1), _mm_loadu_si128((const __m128i *)(const void *)q0));
}
/* The fifth bits of a pair of Q5 blocks in the lo / hi order: 0x10 in lo's
 * byte j (j < 16: block 0's element j, else block 1's element j - 16) and
 * in hi's (elements 16 + j) where the bit is set. AVX-512: two mask moves;
 * AVX2: each block's 32 bits broadcast in its own 128-bit lane, one
 * vpshufb per half spreading bytes 0-1 (lo) or 2-3 (hi), as fifth_bits. */
static inline void fifth_pair(const uint8_t *qh0, const uint8_t *qh1, __m256i *lo, __m256i *hi) {
#if defined(__AVX512BW__) && defined(__AVX512VL__)
    const uint32_t h0 = fc_rd32(qh0), h1 = fc_rd32(qh1);
    *lo = _mm256_maskz_mov_epi8((__mmask32)((h0 & 0xFFFFu) | h1 << 16), _mm256_set1_epi8(0x10));
    *hi = _mm256_maskz_mov_epi8((__mmask32)(h0 >> 16 | (h1 & 0xFFFF0000u)), _mm256_set1_epi8(0x10));
#else
    const __m256i bit = _mm256_set1_epi64x(0x8040201008040201LL), x10 = _mm256_set1_epi8(0x10);
#if defined(__clang__) /* as in fifth_bits: qh is not 4-byte aligned */
    const __m256i v = _mm256_blend_epi32(_mm256_set1_epi32((int)fc_rd32(qh0)), _mm256_set1_epi32((int)fc_rd32(qh1)), 0xF0);
#else /* two broadcast loads (load uops only) and a blend */
    const __m256i v = _mm256_castps_si256(_mm256_blend_ps(_mm256_broadcast_ss((const float *)(const void *)qh0),
                                                          _mm256_broadcast_ss((const float *)(const void *)qh1), 0xF0));
#endif
    const __m256i l = _mm256_shuffle_epi8(v, _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1,
                                                              0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1));
    const __m256i h = _mm256_shuffle_epi8(v, _mm256_setr_epi8(2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3,
                                                              2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3));
    *lo = _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(l, bit), bit), x10);
    *hi = _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(h, bit), bit), x10);
#endif
}
/* A pair's codes in the lo / hi order (DOT_ROWS_QP): the nibbles, and for
 * the Q5 types the fifth bits of elements 0-15 (lo) and 16-31 (hi) of each
 * block; IQ4_NL (FIFTH = PAIR_LEVELS): the nibbles' levels + 128. */
#define PAIR_LEVELS (-1)
#define PAIR_CODES(FIFTH, b, i, lo, hi)                                                                  \
    do {                                                                                                \
        const __m256i v_ = pair_qs((b)[i].qs, (b)[(i) + 1].qs), m_ = _mm256_set1_epi8(0x0F);            \
        lo = _mm256_and_si256(v_, m_);                                                                  \
        hi = _mm256_and_si256(_mm256_srli_epi16(v_, 4), m_);                                            \
        if (FIFTH == PAIR_LEVELS) {                                                                     \
            lo = _mm256_shuffle_epi8(iq4_lut_u8(), lo);                                                   \
            hi = _mm256_shuffle_epi8(iq4_lut_u8(), hi);                                                   \
        } else if (FIFTH) {                                                                             \
            __m256i flo_, fhi_;                                                                         \
            fifth_pair((const uint8_t *)&(b)[i] + (FIFTH), (const uint8_t *)&(b)[(i) + 1] + (FIFTH), &flo_, &fhi_); \
            lo = _mm256_or_si256(lo, flo_);                                                             \
            hi = _mm256_or_si256(hi, fhi_);                                                             \
        }                                                                                               \
    } while (0)
#define DOT_ROWS_QP(t, BT, DM, K, FIFTH)                                                                  \
    static inline __attribute__((always_inline)) void t##_step4p(dot_acc *s, const BT *b, const fc_block_q8 *a, const int8_t *ap, \
                                                                 int64_t i, __m256 k) {                  \
        const __m256 sc = _mm256_mul_ps(SCALES4(BT, DM, b, i, a), k);                                  \
        __m256i lo01, hi01, lo23, hi23;                                                                 \
        PAIR_CODES(FIFTH, b, i, lo01, hi01);                                                            \
        PAIR_CODES(FIFTH, b, i + 2, lo23, hi23);                                                        \
        const __m256i *x = (const __m256i *)(const void *)(ap + 32 * i);                               \
        const __m256 s01 = _mm256_permutevar8x32_ps(sc, _mm256_setr_epi32(0, 0, 0, 0, 2, 2, 2, 2));       \
        const __m256 s23 = _mm256_permutevar8x32_ps(sc, _mm256_setr_epi32(4, 4, 4, 4, 6, 6, 6, 6));       \
        s->acc0 = _mm256_fmadd_ps(s01, dot_u8_s8(lo01, _mm256_loadu_si256(x)), s->acc0);                \
        s->acc1 = _mm256_fmadd_ps(s01, dot_u8_s8(hi01, _mm256_loadu_si256(x + 1)), s->acc1);            \
        s->acc0 = _mm256_fmadd_ps(s23, dot_u8_s8(lo23, _mm256_loadu_si256(x + 2)), s->acc0);            \
        s->acc1 = _mm256_fmadd_ps(s23, dot_u8_s8(hi23, _mm256_loadu_si256(x + 3)), s->acc1);            \
        s->macc = _mm256_add_ps(s->macc, sc);                                                           \
    }                                                                                                   \
    /* accA, accB (held in acc0, acc1) back to the dot's acc0, acc1, then its finish */                \
    static inline float t##_finishp(dot_acc *s, const BT *b, const fc_block_q8 *a, int64_t i, int64_t nb) { \
        const __m256 A = s->acc0, B = s->acc1;                                                          \
        s->acc0 = _mm256_permute2f128_ps(A, B, 0x20);                                                   \
        s->acc1 = _mm256_permute2f128_ps(A, B, 0x31);                                                   \
        return t##_finish(s, b, a, i, nb);                                                              \
    }                                                                                                   \
    DOT_ROWS_Q(t##_2s, t, BT, K)                                                                        \
    static void QDOT(dot_rows_##t)(const void *rows, size_t row_stride, int n_rows, const void *act, int64_t n, \
                                   float *out) {                                                        \
        const fc_block_q8 *a = act;                                                                     \
        const int64_t nb = n / FC_QK, nb4 = nb & ~(int64_t)3;                                           \
        if (n > 65536 || nb4 == 0) { QDOT(dot_rows_##t##_2s)(rows, row_stride, n_rows, act, n, out); return; } \
        int8_t ap[nb4 * FC_QK]; /* VLA: at most 64 KiB */                                               \
        act_pairs(a, nb4, ap);                                                                          \
        const __m256 k = K;                                                                             \
        ROWS2(BT, dot_acc, DOT_ACC_ZERO, 4, t##_step4p(s_, b_, a, ap, i, k), t##_finishp(s_, b_, a, i, nb), QDOT(dot_##t)); \
    }

DOT_Q(q4_0, blk_q4_0, CODES4, DM_DUP, K_Q4_0, D16, M_Q4_0)
DOT_Q(q4_1, blk_q4_1, CODES4, DM_PAIR, K_ONE, D16, M16)
DOT_Q(q5_0, blk_q5_0, CODES5, DM_DUP, K_Q5_0, D16, M_Q5_0)
DOT_Q(q5_1, blk_q5_1, CODES5, DM_PAIR, K_ONE, D16, M16)
/* FIFTH: the offset of qh in the block, 0 for the 4-bit types */
DOT_ROWS_QP(q4_0, blk_q4_0, DM_DUP, K_Q4_0, 0)
DOT_ROWS_QP(q4_1, blk_q4_1, DM_PAIR, K_ONE, 0)
DOT_ROWS_QP(q5_0, blk_q5_0, DM_DUP, K_Q5_0, offsetof(blk_q5_0, qh))
DOT_ROWS_QP(q5_1, blk_q5_1, DM_PAIR, K_ONE, offsetof(blk_q5_1, qh))

/* Q8_0: signed codes, no min term; pairs of blocks on two FMA chains. */
static inline __attribute__((always_inline)) void q8_0_step2(dot_acc *s, const blk_q8_0 *b, const fc_block_q8 *a, int64_t i) {
    const __m256 p0 = dot_s8_s8(CODES8(b, i), act_qs(&a[i]));
    const __m256 p1 = dot_s8_s8(CODES8(b, i + 1), act_qs(&a[i + 1]));
    s->acc0 = _mm256_fmadd_ps(_mm256_set1_ps(f16(b[i].d) * a[i].d), p0, s->acc0);
    s->acc1 = _mm256_fmadd_ps(_mm256_set1_ps(f16(b[i + 1].d) * a[i + 1].d), p1, s->acc1);
}

static inline float q8_0_finish(dot_acc *s, const blk_q8_0 *b, const fc_block_q8 *a, int64_t i, int64_t nb) {
    if (i < nb) {
        const __m256 p0 = dot_s8_s8(CODES8(b, i), act_qs(&a[i]));
        s->acc0 = _mm256_fmadd_ps(_mm256_set1_ps(f16(b[i].d) * a[i].d), p0, s->acc0);
    }
    return hsum8(_mm256_add_ps(s->acc0, s->acc1));
}

/* Q8_0_DOTS(dot, rows, ACC, ZERO, STEP2, FINISH): QDOT(dot##_q8_0), one row,
 * and QDOT(rows##_q8_0), rows r and r + n_rows / 2 in lockstep (ROWS2), as
 * the other types', from a two-block step and a finish (this width's and
 * quant_avx512.c's 512-bit ones). */
#define Q8_0_DOTS(dot, rows_, ACC, ZERO, STEP2, FINISH)                                                   \
    static float QDOT(dot##_q8_0)(const void *row, const void *act, int64_t n) {                          \
        const fc_block_q8 *a = act;                                                                     \
        const int64_t nb = n / FC_QK;                                                                   \
        ROW1(blk_q8_0, ACC, ZERO, 2, STEP2(s_, b_, a, i), FINISH(s_, b_, a, i, nb))                      \
    }                                                                                                   \
    static void QDOT(rows_##_q8_0)(const void *rows, size_t row_stride, int n_rows, const void *act, int64_t n, \
                                   float *out) {                                                        \
        const fc_block_q8 *a = act;                                                                     \
        const int64_t nb = n / FC_QK;                                                                   \
        ROWS2(blk_q8_0, ACC, ZERO, 2, STEP2(s_, b_, a, i), FINISH(s_, b_, a, i, nb), QDOT(dot##_q8_0));  \
    }
Q8_0_DOTS(dot, dot_rows, dot_acc, DOT_ACC_ZERO, q8_0_step2, q8_0_finish)

#if defined(__AVX512VNNI__) && defined(__AVX512VL__)
/* IQ4_NL (the AVX-512 table: vpdpbusd takes the levels + 128, up to 241,
 * which would saturate the AVX2 maddubs' int16 pairs): Q4_0's block bytes,
 * the nibbles looked up in the levels + 128 (one vpshufb), and the 128 taken
 * back as Q4_0's 8 is, through the activations' sums: m = -128 d. The dot
 * and the paired dot_rows of the 4-bit types, the same floats as each other;
 * vs the exact integer sum of the prompt tiles, the offset's float rounding
 * (generation has its own kernels; tile_bits is false for IQ4_NL). */
#define CODES_NL(B, i) _mm256_shuffle_epi8(iq4_lut_u8(), nibbles((B)[i].qs))
#define M_IQ4_NL(B, i) (-128.0f * f16((B)[i].d))
#define K_IQ4_NL _mm256_setr_ps(1, -128, 1, -128, 1, -128, 1, -128)
DOT_Q(iq4nl, blk_iq4_nl, CODES_NL, DM_DUP, K_IQ4_NL, D16, M_IQ4_NL)
DOT_ROWS_QP(iq4nl, blk_iq4_nl, DM_DUP, K_IQ4_NL, PAIR_LEVELS)
#endif

#endif
