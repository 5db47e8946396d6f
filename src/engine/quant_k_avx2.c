/* quant_k_avx2 — AVX2 dots of the K-quants, IQ4_NL and IQ4_XS, and the
 * FC_ACT_Q8K activation quantizer (compiled with -mavx2 -mfma -mf16c; the
 * AVX-512 table uses these too). Scalar twins: quant_k_ref.c.
 *
 * Every dot runs the same step on 32 elements at a time: unsigned weight
 * codes (0..63) times signed activations through maddubs (pairs fit int16:
 * 2 * 63 * 127), then madd with the group scales as int16 (the low 128-bit
 * lane holds the first 16 elements, i.e. one scale group of 16, the high
 * lane the next), accumulating int32 per super-block. The weight offsets
 * (Q3_K's 4, Q6_K's 32) and the mins (Q2_K, Q4_K, Q5_K) apply to the
 * activation's bsums, so the integer sums equal the scalar ones exactly and
 * results differ only in the float rounding of the per-super-block terms.
 * IQ4 levels are signed: |level| times the activation with the level's sign.
 * Q2_K..Q6_K also have 4x4 tiles here (shared by the AVX-512 table):
 * each row's codes and scales are unpacked once for the four tokens.
 */
#if defined(__x86_64__)

#include "quant_x86.h"

#define QK FC_QK_K

static inline __m256i load32(const void *p) { return _mm256_loadu_si256((const __m256i *)p); }
static inline __m256i low_bits(__m256i v, int shift, int mask) {
    return _mm256_and_si256(_mm256_srli_epi16(v, shift), _mm256_set1_epi8((char)mask));
}

/* acc += sum over pairs of codes * a, times the int16 scales sc */
static inline __m256i mac(__m256i acc, __m256i codes, const int8_t *a, __m256i sc) {
    return _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(codes, load32(a)), sc));
}

/* ---- dots against FC_ACT_Q8K ------------------------------------------------- */

/* The scale steps share one idea: a super-block's scales are unpacked once
 * into a vector of int16 (a few shifts and masks on the 12 or 16 scale
 * bytes), each sub-block's scale is then a byte shuffle of that vector, the
 * integer sums stay in int32 lanes for the whole super-block, and the offset
 * or min term is one madd of the activation's bsums with the scales (no
 * horizontal sum inside the loop). */

/* int16 lane i of v (0..7) in every lane of both halves; v holds the same
 * 8 int16 in each 128-bit half */
static inline __m256i bcast16(__m256i v, int i) {
    return _mm256_shuffle_epi8(v, _mm256_set1_epi16((short)(0x0100 * (2 * i + 1) + 2 * i)));
}
/* int16 lane 2c of v in the low half, lane 2c + 1 in the high half (c 0..3);
 * v holds the same 8 int16 in each 128-bit half */
static inline __m256i pair16(__m256i v, int c) {
    const short lo = (short)(0x0100 * (4 * c + 1) + 4 * c), hi = (short)(0x0100 * (4 * c + 3) + 4 * c + 2);
    return _mm256_shuffle_epi8(v, _mm256_setr_epi16(lo, lo, lo, lo, lo, lo, lo, lo, hi, hi, hi, hi, hi, hi, hi, hi));
}
static inline __m256i bcast128(__m128i v) { return _mm256_broadcastsi128_si256(v); }

/* Q4_K/Q5_K mins as the 16 bsum-group weights (min j covers groups 2j, 2j + 1) */
static inline __m256i k45_min16(__m128i sm) {
    const __m128i m = _mm_cvtepu8_epi16(_mm_srli_si128(sm, 8));
    return _mm256_set_m128i(_mm_unpackhi_epi16(m, m), _mm_unpacklo_epi16(m, m));
}
/* Q3_K: the 12 scale bytes -> the 16 signed scales as int16 */
static inline __m256i q3k_unpack(const uint8_t s[12]) {
    uint32_t u[3];
    memcpy(u, s, 12);
    const uint32_t m4 = 0x0f0f0f0f, m2 = 0x03030303;
    const __m128i v = _mm_setr_epi32((int)((u[0] & m4) | ((u[2] & m2) << 4)), (int)((u[1] & m4) | (((u[2] >> 2) & m2) << 4)),
                                     (int)(((u[0] >> 4) & m4) | (((u[2] >> 4) & m2) << 4)),
                                     (int)(((u[1] >> 4) & m4) | (((u[2] >> 6) & m2) << 4)));
    return _mm256_cvtepi8_epi16(_mm_sub_epi8(v, _mm_set1_epi8(32)));
}

float quant_avx2_dot_q2_k(const void *row, const void *act, int64_t n) {
    const blk_q2_k *b = row;
    const fc_block_q8k *a = act;
    __m256 acc = _mm256_setzero_ps(), macc = _mm256_setzero_ps();
    for (int64_t i = 0; i < n / QK; i++) {
        const __m128i s = _mm_loadu_si128((const __m128i *)b[i].scales);
        const __m256i scv = _mm256_cvtepu8_epi16(_mm_and_si128(s, _mm_set1_epi8(0x0F)));
        const __m256i mv = _mm256_cvtepu8_epi16(_mm_and_si128(_mm_srli_epi16(s, 4), _mm_set1_epi8(0x0F)));
        __m256i isum = _mm256_setzero_si256();
        _Pragma("GCC unroll 4")
        for (int h = 0; h < 2; h++) {
            const __m256i q = load32(b[i].qs + 32 * h);
            const __m256i sc = bcast128(h ? _mm256_extracti128_si256(scv, 1) : _mm256_castsi256_si128(scv));
            _Pragma("GCC unroll 4")
            for (int j = 0; j < 4; j++)
                isum = mac(isum, low_bits(q, 2 * j, 3), a[i].qs + 128 * h + 32 * j, pair16(sc, j));
        }
        acc = _mm256_fmadd_ps(_mm256_set1_ps(a[i].d * f16(b[i].d)), _mm256_cvtepi32_ps(isum), acc);
        macc = _mm256_fmadd_ps(_mm256_set1_ps(a[i].d * f16(b[i].dmin)),
                               _mm256_cvtepi32_ps(_mm256_madd_epi16(load32(a[i].bsums), mv)), macc);
    }
    return hsum8(_mm256_sub_ps(acc, macc));
}

float quant_avx2_dot_q3_k(const void *row, const void *act, int64_t n) {
    const blk_q3_k *b = row;
    const fc_block_q8k *a = act;
    __m256 acc = _mm256_setzero_ps();
    for (int64_t i = 0; i < n / QK; i++) {
        const __m256i scv = q3k_unpack(b[i].scales);
        const __m256i hm = load32(b[i].hmask);
        /* codes are value + 4: start from -4 * (bsums . scales) */
        __m256i isum = _mm256_sub_epi32(_mm256_setzero_si256(), _mm256_slli_epi32(_mm256_madd_epi16(load32(a[i].bsums), scv), 2));
        _Pragma("GCC unroll 4")
        for (int h = 0; h < 2; h++) {
            const __m256i q = load32(b[i].qs + 32 * h);
            const __m256i sc = bcast128(h ? _mm256_extracti128_si256(scv, 1) : _mm256_castsi256_si128(scv));
            _Pragma("GCC unroll 4")
            for (int j = 0; j < 4; j++) {
                const int c = 4 * h + j;
                const __m256i codes = _mm256_or_si256(low_bits(q, 2 * j, 3), _mm256_slli_epi16(low_bits(hm, c, 1), 2));
                isum = mac(isum, codes, a[i].qs + 32 * c, pair16(sc, j));
            }
        }
        acc = _mm256_fmadd_ps(_mm256_set1_ps(a[i].d * f16(b[i].d)), _mm256_cvtepi32_ps(isum), acc);
    }
    return hsum8(acc);
}

/* Q4_K/Q5_K codes of sub-blocks 2j (lo) and 2j + 1 (hi) */
#define Q4K_CODES(B, j, lo, hi)                          \
    const __m256i q_ = load32((B)->qs + 32 * (j));       \
    const __m256i lo = low_bits(q_, 0, 0x0F), hi = low_bits(q_, 4, 0x0F)
#define Q5K_CODES(B, j, lo, hi)                                                                   \
    const __m256i q_ = load32((B)->qs + 32 * (j)), qh_ = load32((B)->qh);                        \
    const __m256i lo = _mm256_or_si256(low_bits(q_, 0, 0x0F), _mm256_slli_epi16(low_bits(qh_, 2 * (j), 1), 4)); \
    const __m256i hi = _mm256_or_si256(low_bits(q_, 4, 0x0F), _mm256_slli_epi16(low_bits(qh_, 2 * (j) + 1, 1), 4))

/* Q4_K / Q5_K: the 4x4 tile's arithmetic for one row and one token, so that
 * the dot's result equals tile4's (and the repacked tiles') bit for
 * bit and a batch's generation tokens may share tiles (quant.h, tile_bits):
 * per super-block the integer sums of the codes and of the mins are summed
 * across lanes (exact), then one FMA with d * d_a and one FNMA with
 * dmin * d_a on a scalar accumulator, as the tile does per (row, token). */
#define K45_BLOCK(BT, CODES, b, a, acc)                                                          \
    do {                                                                                          \
        const __m128i sm = k45_unpack((b)->scales);                                               \
        const __m256i sc = bcast128(_mm_cvtepu8_epi16(sm));                                       \
        __m256i isum = _mm256_setzero_si256();                                                    \
        _Pragma("GCC unroll 4")                                                                   \
        for (int j = 0; j < 4; j++) {                                                             \
            CODES(b, j, lo, hi);                                                                  \
            isum = mac(isum, lo, (a)->qs + 64 * j, bcast16(sc, 2 * j));                           \
            isum = mac(isum, hi, (a)->qs + 64 * j + 32, bcast16(sc, 2 * j + 1));                  \
        }                                                                                         \
        const __m256i msum = _mm256_madd_epi16(load32((a)->bsums), k45_min16(sm));                \
        const __m256i h = _mm256_hadd_epi32(isum, msum); /* [i01 i23 m01 m23 | i45 i67 m45 m67] */ \
        __m128i q = _mm_add_epi32(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1));     \
        q = _mm_hadd_epi32(q, q); /* [codes sum, mins sum, ...] */                                \
        const __m128 f = _mm_cvtepi32_ps(q);                                                      \
        acc = _mm_fmadd_ss(f, _mm_set_ss(f16((b)->d) * (a)->d), acc);                             \
        acc = _mm_fnmadd_ss(_mm_movehdup_ps(f), _mm_set_ss(f16((b)->dmin) * (a)->d), acc);        \
    } while (0)
#define DOT_K45(BT, CODES)                                                                        \
    const BT *b = row;                                                                            \
    const fc_block_q8k *a = act;                                                                  \
    __m128 acc = _mm_setzero_ps();                                                                \
    for (int64_t i = 0; i < n / QK; i++) K45_BLOCK(BT, CODES, &b[i], &a[i], acc);                 \
    return _mm_cvtss_f32(acc)
/* rows r and r + n_rows / 2 in lockstep (two streams from memory, two FMA
 * chains), each row's steps the dot's: the dot's results */
#define DOT_ROWS_K45(BT, CODES, t)                                                                \
    const fc_block_q8k *a = act;                                                                  \
    const int part = n_rows / 2;                                                                  \
    for (int r = 0; r < part; r++) {                                                              \
        const BT *b0 = (const BT *)(const void *)((const uint8_t *)rows + (size_t)r * row_stride); \
        const BT *b1 = (const BT *)(const void *)((const uint8_t *)rows + (size_t)(r + part) * row_stride); \
        __m128 acc0 = _mm_setzero_ps(), acc1 = acc0;                                              \
        for (int64_t i = 0; i < n / QK; i++) {                                                    \
            K45_BLOCK(BT, CODES, &b0[i], &a[i], acc0);                                            \
            K45_BLOCK(BT, CODES, &b1[i], &a[i], acc1);                                            \
        }                                                                                         \
        out[r] = _mm_cvtss_f32(acc0);                                                             \
        out[r + part] = _mm_cvtss_f32(acc1);                                                      \
    }                                                                                             \
    for (int r = 2 * part; r < n_rows; r++) out[r] = quant_avx2_dot_##t((const uint8_t *)rows + (size_t)r * row_stride, act, n)

float quant_avx2_dot_q4_k(const void *row, const void *act, int64_t n) { DOT_K45(blk_q4_k, Q4K_CODES); }
float quant_avx2_dot_q5_k(const void *row, const void *act, int64_t n) { DOT_K45(blk_q5_k, Q5K_CODES); }
void quant_avx2_dot_rows_q4_k(const void *rows, size_t row_stride, int n_rows, const void *act, int64_t n, float *out) {
    DOT_ROWS_K45(blk_q4_k, Q4K_CODES, q4_k);
}
void quant_avx2_dot_rows_q5_k(const void *rows, size_t row_stride, int n_rows, const void *act, int64_t n, float *out) {
    DOT_ROWS_K45(blk_q5_k, Q5K_CODES, q5_k);
}

/* Q6_K codes (value + 32) of the four 32-element chunks of half h */
#define Q6K_CODES(B, h, c0, c1, c2, c3)                                                           \
    const __m256i ql0_ = load32((B)->ql + 64 * (h)), ql1_ = load32((B)->ql + 64 * (h) + 32);     \
    const __m256i qh_ = load32((B)->qh + 32 * (h));                                               \
    const __m256i c0 = _mm256_or_si256(low_bits(ql0_, 0, 0x0F), _mm256_slli_epi16(low_bits(qh_, 0, 3), 4)); \
    const __m256i c1 = _mm256_or_si256(low_bits(ql1_, 0, 0x0F), _mm256_slli_epi16(low_bits(qh_, 2, 3), 4)); \
    const __m256i c2 = _mm256_or_si256(low_bits(ql0_, 4, 0x0F), _mm256_slli_epi16(low_bits(qh_, 4, 3), 4)); \
    const __m256i c3 = _mm256_or_si256(low_bits(ql1_, 4, 0x0F), _mm256_slli_epi16(low_bits(qh_, 6, 3), 4))

float quant_avx2_dot_q6_k(const void *row, const void *act, int64_t n) {
    const blk_q6_k *b = row;
    const fc_block_q8k *a = act;
    __m256 acc = _mm256_setzero_ps();
    for (int64_t i = 0; i < n / QK; i++) {
        const __m256i scv = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)b[i].scales));
        /* codes are value + 32: start from -32 * (bsums . scales) */
        __m256i isum = _mm256_sub_epi32(_mm256_setzero_si256(), _mm256_slli_epi32(_mm256_madd_epi16(load32(a[i].bsums), scv), 5));
        _Pragma("GCC unroll 4")
        for (int h = 0; h < 2; h++) {
            Q6K_CODES(&b[i], h, c0, c1, c2, c3);
            const __m256i sc = bcast128(h ? _mm256_extracti128_si256(scv, 1) : _mm256_castsi256_si128(scv));
            const int8_t *aq = a[i].qs + 128 * h;
            isum = mac(isum, c0, aq, pair16(sc, 0));
            isum = mac(isum, c1, aq + 32, pair16(sc, 1));
            isum = mac(isum, c2, aq + 64, pair16(sc, 2));
            isum = mac(isum, c3, aq + 96, pair16(sc, 3));
        }
        acc = _mm256_fmadd_ps(_mm256_set1_ps(a[i].d * f16(b[i].d)), _mm256_cvtepi32_ps(isum), acc);
    }
    return hsum8(acc);
}

/* quant_avx2_dot_q6_k for four tokens, each token's steps the dot's (its bits) */
#define Q6K_MAC4(c, off, s)                                                                       \
    x0 = mac(x0, c, a0[i].qs + (off), s); x1 = mac(x1, c, a1[i].qs + (off), s);                   \
    x2 = mac(x2, c, a2[i].qs + (off), s); x3 = mac(x3, c, a3[i].qs + (off), s)
#define Q6K_START(ak) _mm256_sub_epi32(_mm256_setzero_si256(), _mm256_slli_epi32(_mm256_madd_epi16(load32(ak[i].bsums), scv), 5))
void quant_avx2_dot4_q6_k(const void *row, const void *const act[4], int64_t n, float out[4]) {
    const blk_q6_k *b = row;
    const fc_block_q8k *a0 = act[0], *a1 = act[1], *a2 = act[2], *a3 = act[3];
    __m256 c0 = _mm256_setzero_ps(), c1 = c0, c2 = c0, c3 = c0;
    for (int64_t i = 0; i < n / QK; i++) {
        const __m256i scv = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)b[i].scales));
        __m256i x0 = Q6K_START(a0), x1 = Q6K_START(a1), x2 = Q6K_START(a2), x3 = Q6K_START(a3);
        _Pragma("GCC unroll 4")
        for (int h = 0; h < 2; h++) {
            Q6K_CODES(&b[i], h, q0, q1, q2, q3);
            const __m256i sc = bcast128(h ? _mm256_extracti128_si256(scv, 1) : _mm256_castsi256_si128(scv));
            const __m256i s0 = pair16(sc, 0), s1 = pair16(sc, 1), s2 = pair16(sc, 2), s3 = pair16(sc, 3);
            Q6K_MAC4(q0, 128 * h, s0);
            Q6K_MAC4(q1, 128 * h + 32, s1);
            Q6K_MAC4(q2, 128 * h + 64, s2);
            Q6K_MAC4(q3, 128 * h + 96, s3);
        }
        const float bd = f16(b[i].d);
        c0 = _mm256_fmadd_ps(_mm256_set1_ps(a0[i].d * bd), _mm256_cvtepi32_ps(x0), c0);
        c1 = _mm256_fmadd_ps(_mm256_set1_ps(a1[i].d * bd), _mm256_cvtepi32_ps(x1), c1);
        c2 = _mm256_fmadd_ps(_mm256_set1_ps(a2[i].d * bd), _mm256_cvtepi32_ps(x2), c2);
        c3 = _mm256_fmadd_ps(_mm256_set1_ps(a3[i].d * bd), _mm256_cvtepi32_ps(x3), c3);
    }
    out[0] = hsum8(c0); out[1] = hsum8(c1); out[2] = hsum8(c2); out[3] = hsum8(c3);
}

/* ---- 4x4 tiles: four weight rows times four activation rows ------------------ */

/* Per super-block and row: the codes and scales are unpacked once and serve
 * the four tokens, each token's integer sum stays in its own int32 vector;
 * red4 then transposes the four into one vector, join gives a row pair's
 * full sums [r0: t0..t3 | r1: t0..t3] for one FMA with d_r * d_a. */

/* x0..x3 (one per token) -> [t0 t1 t2 t3 | t0 t1 t2 t3], each half a partial sum */
static inline __m256i red4(__m256i x0, __m256i x1, __m256i x2, __m256i x3) {
    const __m256i z01 = _mm256_add_epi32(_mm256_unpacklo_epi32(x0, x1), _mm256_unpackhi_epi32(x0, x1));
    const __m256i z23 = _mm256_add_epi32(_mm256_unpacklo_epi32(x2, x3), _mm256_unpackhi_epi32(x2, x3));
    return _mm256_add_epi32(_mm256_unpacklo_epi64(z01, z23), _mm256_unpackhi_epi64(z01, z23));
}
/* red4 results of two rows -> [row x: t0..t3 | row y: t0..t3], full sums */
static inline __m256 join(__m256i x, __m256i y) {
    return _mm256_cvtepi32_ps(_mm256_add_epi32(_mm256_permute2x128_si256(x, y, 0x20), _mm256_permute2x128_si256(x, y, 0x31)));
}
/* bsums of the four tokens times w16 -> red4 form */
static inline __m256i bsums4(const fc_block_q8k *const at[4], __m256i w16) {
    return red4(_mm256_madd_epi16(load32(at[0]->bsums), w16), _mm256_madd_epi16(load32(at[1]->bsums), w16),
                _mm256_madd_epi16(load32(at[2]->bsums), w16), _mm256_madd_epi16(load32(at[3]->bsums), w16));
}
static inline __m256 rows2(float x, float y) { return _mm256_setr_ps(x, x, x, x, y, y, y, y); }

/* acc[p] lanes [row 2p: t0..t3 | row 2p + 1: t0..t3] */
static inline void ktile_store(const __m256 acc[2], float *out, size_t out_stride) {
    float tmp[16];
    _mm256_storeu_ps(tmp, acc[0]);
    _mm256_storeu_ps(tmp + 8, acc[1]);
    for (int t = 0; t < 4; t++)
        for (int r = 0; r < 4; r++) out[(size_t)t * out_stride + r] = tmp[4 * r + t];
}

#define KTILE_SETUP(BT)                                                                           \
    const BT *br[4];                                                                              \
    const fc_block_q8k *ar[4];                                                                    \
    for (int r = 0; r < 4; r++) br[r] = (const BT *)(const void *)((const uint8_t *)rows + (size_t)r * row_stride); \
    for (int t = 0; t < 4; t++) ar[t] = (const fc_block_q8k *)(const void *)((const uint8_t *)act + (size_t)t * act_stride); \
    __m256 acc[2] = {_mm256_setzero_ps(), _mm256_setzero_ps()}

/* x_t += codes times token t's 32 activations at offset off, times scale sc */
#define KTILE_MAC(codes, off, sc)                                                                 \
    x0 = mac(x0, codes, at[0]->qs + (off), sc); x1 = mac(x1, codes, at[1]->qs + (off), sc);       \
    x2 = mac(x2, codes, at[2]->qs + (off), sc); x3 = mac(x3, codes, at[3]->qs + (off), sc)

/* One loop for every K tile: ROW(blk, s, m) sets a row's integer sums s
 * (and with HAS_MIN its min sums m) for the four tokens at[] in red4 form;
 * per row pair, one FMA with d_r * d_a and, with HAS_MIN, one with
 * dmin_r * d_a. */
#define KTILE_LOOP(BT, ROW, HAS_MIN, DMIN)                                                              \
    KTILE_SETUP(BT);                                                                              \
    for (int64_t i = 0; i < n / QK; i++) {                                                        \
        const fc_block_q8k *const at[4] = {&ar[0][i], &ar[1][i], &ar[2][i], &ar[3][i]};          \
        const __m256 da = _mm256_setr_ps(at[0]->d, at[1]->d, at[2]->d, at[3]->d, at[0]->d, at[1]->d, at[2]->d, at[3]->d); \
        for (int p = 0; p < 2; p++) {                                                             \
            __m256i s[2], m[2] = {_mm256_setzero_si256(), _mm256_setzero_si256()};                \
            for (int k = 0; k < 2; k++) {                                                         \
                const BT *blk = &br[2 * p + k][i];                                                \
                ROW(blk, s[k], m[k]);                                                             \
            }                                                                                     \
            const BT *b0 = &br[2 * p][i], *b1 = &br[2 * p + 1][i];                                \
            acc[p] = _mm256_fmadd_ps(join(s[0], s[1]), _mm256_mul_ps(rows2(f16(b0->d), f16(b1->d)), da), acc[p]); \
            if (HAS_MIN)                                                                          \
                acc[p] = _mm256_fnmadd_ps(join(m[0], m[1]), _mm256_mul_ps(rows2(DMIN(b0), DMIN(b1)), da), acc[p]); \
        }                                                                                         \
    }                                                                                             \
    ktile_store(acc, out, out_stride)
#define KTILE_DMIN(B) f16((B)->dmin)
#define KTILE_NO_DMIN(B) 0.0f
#define KTILE_ARGS const void *rows, size_t row_stride, const void *act, size_t act_stride, int64_t n, float *out, size_t out_stride

#define Q2K_ROW(blk, s, m)                                                                        \
    const __m128i s_ = _mm_loadu_si128((const __m128i *)(blk)->scales);                           \
    const __m256i scv = _mm256_cvtepu8_epi16(_mm_and_si128(s_, _mm_set1_epi8(0x0F)));             \
    __m256i x0 = _mm256_setzero_si256(), x1 = x0, x2 = x0, x3 = x0;                               \
    _Pragma("GCC unroll 4")                                                                       \
    for (int h = 0; h < 2; h++) {                                                                 \
        const __m256i q = load32((blk)->qs + 32 * h);                                             \
        const __m256i sc = bcast128(h ? _mm256_extracti128_si256(scv, 1) : _mm256_castsi256_si128(scv)); \
        _Pragma("GCC unroll 4")                                                                   \
        for (int j = 0; j < 4; j++) {                                                             \
            const __m256i codes = low_bits(q, 2 * j, 3), scj = pair16(sc, j);                     \
            KTILE_MAC(codes, 128 * h + 32 * j, scj);                                              \
        }                                                                                         \
    }                                                                                             \
    s = red4(x0, x1, x2, x3);                                                                     \
    m = bsums4(at, _mm256_cvtepu8_epi16(_mm_and_si128(_mm_srli_epi16(s_, 4), _mm_set1_epi8(0x0F))))

#define Q3K_ROW(blk, s, m)                                                                        \
    const __m256i scv = q3k_unpack((blk)->scales), hm = load32((blk)->hmask);                     \
    __m256i x0 = _mm256_setzero_si256(), x1 = x0, x2 = x0, x3 = x0;                               \
    _Pragma("GCC unroll 4")                                                                       \
    for (int h = 0; h < 2; h++) {                                                                 \
        const __m256i q = load32((blk)->qs + 32 * h);                                             \
        const __m256i sc = bcast128(h ? _mm256_extracti128_si256(scv, 1) : _mm256_castsi256_si128(scv)); \
        _Pragma("GCC unroll 4")                                                                   \
        for (int j = 0; j < 4; j++) {                                                             \
            const __m256i codes = _mm256_or_si256(low_bits(q, 2 * j, 3), _mm256_slli_epi16(low_bits(hm, 4 * h + j, 1), 2)); \
            const __m256i scj = pair16(sc, j);                                                    \
            KTILE_MAC(codes, 128 * h + 32 * j, scj);                                              \
        }                                                                                         \
    }                                                                                             \
    /* codes are value + 4 */                                                                     \
    s = _mm256_sub_epi32(red4(x0, x1, x2, x3), _mm256_slli_epi32(bsums4(at, scv), 2));            \
    (void)m

#define K45_ROW(CODES, blk, s, m)                                                                 \
    const __m128i sm = k45_unpack((blk)->scales);                                                 \
    const __m256i sc = bcast128(_mm_cvtepu8_epi16(sm));                                           \
    __m256i x0 = _mm256_setzero_si256(), x1 = x0, x2 = x0, x3 = x0;                               \
    _Pragma("GCC unroll 4")                                                                       \
    for (int j = 0; j < 4; j++) {                                                                 \
        CODES(blk, j, lo, hi);                                                                    \
        const __m256i sl = bcast16(sc, 2 * j), sh = bcast16(sc, 2 * j + 1);                       \
        KTILE_MAC(lo, 64 * j, sl);                                                                \
        KTILE_MAC(hi, 64 * j + 32, sh);                                                           \
    }                                                                                             \
    s = red4(x0, x1, x2, x3);                                                                     \
    m = bsums4(at, k45_min16(sm))
#define Q4K_ROW(blk, s, m) K45_ROW(Q4K_CODES, blk, s, m)
#define Q5K_ROW(blk, s, m) K45_ROW(Q5K_CODES, blk, s, m)

#define Q6K_ROW(blk, s, m)                                                                        \
    const __m256i scv = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(blk)->scales));    \
    __m256i x0 = _mm256_setzero_si256(), x1 = x0, x2 = x0, x3 = x0;                               \
    _Pragma("GCC unroll 4")                                                                       \
    for (int h = 0; h < 2; h++) {                                                                 \
        Q6K_CODES(blk, h, c0, c1, c2, c3);                                                        \
        const __m256i sc = bcast128(h ? _mm256_extracti128_si256(scv, 1) : _mm256_castsi256_si128(scv)); \
        const __m256i sc0 = pair16(sc, 0), sc1 = pair16(sc, 1), sc2 = pair16(sc, 2), sc3 = pair16(sc, 3); \
        KTILE_MAC(c0, 128 * h, sc0);                                                              \
        KTILE_MAC(c1, 128 * h + 32, sc1);                                                         \
        KTILE_MAC(c2, 128 * h + 64, sc2);                                                         \
        KTILE_MAC(c3, 128 * h + 96, sc3);                                                         \
    }                                                                                             \
    /* codes are value + 32 */                                                                    \
    s = _mm256_sub_epi32(red4(x0, x1, x2, x3), _mm256_slli_epi32(bsums4(at, scv), 5));            \
    (void)m

void quant_avx2_tile4_q2_k(KTILE_ARGS) { KTILE_LOOP(blk_q2_k, Q2K_ROW, 1, KTILE_DMIN); }
void quant_avx2_tile4_q3_k(KTILE_ARGS) { KTILE_LOOP(blk_q3_k, Q3K_ROW, 0, KTILE_NO_DMIN); }
void quant_avx2_tile4_q4_k(KTILE_ARGS) { KTILE_LOOP(blk_q4_k, Q4K_ROW, 1, KTILE_DMIN); }
void quant_avx2_tile4_q5_k(KTILE_ARGS) { KTILE_LOOP(blk_q5_k, Q5K_ROW, 1, KTILE_DMIN); }
void quant_avx2_tile4_q6_k(KTILE_ARGS) { KTILE_LOOP(blk_q6_k, Q6K_ROW, 0, KTILE_NO_DMIN); }


/* 16 bytes of packed nibbles -> 32 signed levels in element order */
static inline __m256i iq4_levels(const uint8_t *qs) {
    const __m256i table = iq4_lut_s8();
    const __m128i t = _mm_loadu_si128((const __m128i *)qs);
    const __m256i idx = _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(t, 4), t), _mm256_set1_epi8(0x0F));
    return _mm256_shuffle_epi8(table, idx);
}

/* signed levels v times a: |v| * (a with v's sign); pairs <= 2 * 127 * 127 fit int16 */
static inline __m256i maddubs_signed(__m256i v, const int8_t *a) {
    return _mm256_maddubs_epi16(_mm256_sign_epi8(v, v), _mm256_sign_epi8(load32(a), v));
}

/* IQ4_XS: the 8 signed sub-block scales as int16, the same 8 in each half */
static inline __m256i iq4xs_unpack(const blk_iq4_xs *b) {
    const uint32_t l = fc_rd32(b->scales_l);
    const __m128i lo = _mm_cvtepu8_epi16(_mm_unpacklo_epi8(_mm_cvtsi32_si128((int)(l & 0x0F0F0F0F)),
                                                           _mm_cvtsi32_si128((int)((l >> 4) & 0x0F0F0F0F))));
    /* bits 2s, 2s + 1 of scales_h to the top of lane s, then to bits 4, 5 */
    const __m128i h = _mm_mullo_epi16(_mm_set1_epi16((short)fc_rd16(b->scales_h)),
                                      _mm_setr_epi16(1 << 14, 1 << 12, 1 << 10, 1 << 8, 1 << 6, 1 << 4, 1 << 2, 1));
    const __m128i hi = _mm_slli_epi16(_mm_srli_epi16(h, 14), 4);
    return bcast128(_mm_sub_epi16(_mm_or_si128(lo, hi), _mm_set1_epi16(32)));
}

float quant_avx2_dot_iq4_xs(const void *row, const void *act, int64_t n) {
    const blk_iq4_xs *b = row;
    const fc_block_q8k *a = act;
    __m256 acc = _mm256_setzero_ps();
    for (int64_t i = 0; i < n / QK; i++) {
        const __m256i ls = iq4xs_unpack(&b[i]);
        __m256i isum = _mm256_setzero_si256();
        _Pragma("GCC unroll 8")
        for (int s = 0; s < 8; s++) {
            const __m256i p16 = maddubs_signed(iq4_levels(b[i].qs + 16 * s), a[i].qs + 32 * s);
            isum = _mm256_add_epi32(isum, _mm256_madd_epi16(p16, bcast16(ls, s)));
        }
        acc = _mm256_fmadd_ps(_mm256_set1_ps(a[i].d * f16(b[i].d)), _mm256_cvtepi32_ps(isum), acc);
    }
    return hsum8(acc);
}

float quant_avx2_dot_iq4_nl(const void *row, const void *act, int64_t n) {
    const blk_iq4_nl *b = row;
    const fc_block_q8 *a = act;
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    const __m256i one = _mm256_set1_epi16(1);
    int64_t i = 0;
    for (; i + 1 < n / 32; i += 2) {
        const __m256i p0 = _mm256_madd_epi16(maddubs_signed(iq4_levels(b[i].qs), a[i].qs), one);
        const __m256i p1 = _mm256_madd_epi16(maddubs_signed(iq4_levels(b[i + 1].qs), a[i + 1].qs), one);
        acc0 = _mm256_fmadd_ps(_mm256_set1_ps(f16(b[i].d) * a[i].d), _mm256_cvtepi32_ps(p0), acc0);
        acc1 = _mm256_fmadd_ps(_mm256_set1_ps(f16(b[i + 1].d) * a[i + 1].d), _mm256_cvtepi32_ps(p1), acc1);
    }
    if (i < n / 32) {
        const __m256i p0 = _mm256_madd_epi16(maddubs_signed(iq4_levels(b[i].qs), a[i].qs), one);
        acc0 = _mm256_fmadd_ps(_mm256_set1_ps(f16(b[i].d) * a[i].d), _mm256_cvtepi32_ps(p0), acc0);
    }
    return hsum8(_mm256_add_ps(acc0, acc1));
}

/* ---- IQ4 tiles: the repacked tiles' arithmetic ------------------------------
 * Every (row, token) result equals the repacked tiles' (quant_repack_*.c)
 * bit for bit, so that the REPACK setting does not change a logit: per
 * block (IQ4_XS: super-block) the exact integer sum S of the levels (times
 * the sub-block scales) times the activations, then acc = fma(S, d * d_a,
 * acc), one chain per result in block order. A row's four tokens' sums are
 * reduced together (two hadds) into one 128-bit register, lane t = token t.
 * The repacked copy is the prompt path; these run with REPACK off and on the
 * rows past the last group of 8. */

/* lane t: the sum of v_t's eight int32 lanes */
static inline __m128i hsum4x8(__m256i v0, __m256i v1, __m256i v2, __m256i v3) {
    const __m256i h = _mm256_hadd_epi32(_mm256_hadd_epi32(v0, v1), _mm256_hadd_epi32(v2, v3));
    return _mm_add_epi32(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1));
}
/* out[t * out_stride + r] = acc[r] lane t */
static inline void iq4_tile_store(__m128 acc[4], float *out, size_t out_stride) {
    _MM_TRANSPOSE4_PS(acc[0], acc[1], acc[2], acc[3]);
    for (int t = 0; t < 4; t++) _mm_storeu_ps(out + (size_t)t * out_stride, acc[t]);
}

void quant_avx2_tile4_iq4_nl(KTILE_ARGS) {
    const fc_block_q8 *ar[4];
    for (int t = 0; t < 4; t++) ar[t] = (const fc_block_q8 *)(const void *)((const uint8_t *)act + (size_t)t * act_stride);
    __m128 acc[4];
    for (int r = 0; r < 4; r++) acc[r] = _mm_setzero_ps();
    const __m256i one = _mm256_set1_epi16(1);
    for (int64_t i = 0; i < n / 32; i++) {
        const __m256i a0 = load32(ar[0][i].qs), a1 = load32(ar[1][i].qs), a2 = load32(ar[2][i].qs), a3 = load32(ar[3][i].qs);
        const __m128 da = _mm_setr_ps(ar[0][i].d, ar[1][i].d, ar[2][i].d, ar[3][i].d);
        _Pragma("GCC unroll 4")
        for (int r = 0; r < 4; r++) {
            const blk_iq4_nl *b = (const blk_iq4_nl *)(const void *)((const uint8_t *)rows + (size_t)r * row_stride) + i;
            const __m256i v = iq4_levels(b->qs), u = _mm256_sign_epi8(v, v);
#define NL_SUM(a) _mm256_madd_epi16(_mm256_maddubs_epi16(u, _mm256_sign_epi8(a, v)), one)
            const __m128i S = hsum4x8(NL_SUM(a0), NL_SUM(a1), NL_SUM(a2), NL_SUM(a3));
#undef NL_SUM
            acc[r] = _mm_fmadd_ps(_mm_cvtepi32_ps(S), _mm_mul_ps(_mm_set1_ps(f16(b->d)), da), acc[r]);
        }
    }
    iq4_tile_store(acc, out, out_stride);
}

void quant_avx2_tile4_iq4_xs(KTILE_ARGS) {
    const fc_block_q8k *ar[4];
    for (int t = 0; t < 4; t++) ar[t] = (const fc_block_q8k *)(const void *)((const uint8_t *)act + (size_t)t * act_stride);
    __m128 acc[4];
    for (int r = 0; r < 4; r++) acc[r] = _mm_setzero_ps();
    for (int64_t i = 0; i < n / QK; i++) {
        const __m128 da = _mm_setr_ps(ar[0][i].d, ar[1][i].d, ar[2][i].d, ar[3][i].d);
        for (int r = 0; r < 4; r++) {
            const blk_iq4_xs *b = (const blk_iq4_xs *)(const void *)((const uint8_t *)rows + (size_t)r * row_stride) + i;
            const __m256i ls = iq4xs_unpack(b);
            __m256i is[4];
            for (int t = 0; t < 4; t++) is[t] = _mm256_setzero_si256();
            _Pragma("GCC unroll 8")
            for (int s = 0; s < 8; s++) {
                const __m256i v = iq4_levels(b->qs + 16 * s), u = _mm256_sign_epi8(v, v), sc = bcast16(ls, s);
                _Pragma("GCC unroll 4")
                for (int t = 0; t < 4; t++)
                    is[t] = _mm256_add_epi32(is[t], _mm256_madd_epi16(_mm256_maddubs_epi16(u, _mm256_sign_epi8(load32(ar[t][i].qs + 32 * s), v)), sc));
            }
            const __m128i S = hsum4x8(is[0], is[1], is[2], is[3]);
            acc[r] = _mm_fmadd_ps(_mm_cvtepi32_ps(S), _mm_mul_ps(_mm_set1_ps(f16(b->d)), da), acc[r]);
        }
    }
    iq4_tile_store(acc, out, out_stride);
}

/* ---- FC_ACT_Q8K (bit-exact with quant_ref_act_q8k) ---------------------------- */

void quant_avx2_act_q8k(const float *x, fc_block_q8k *out, int64_t n) {
    const __m256 sign = _mm256_set1_ps(-0.0f);
    const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    enum { rnd = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC }; /* a constant (clang requires one) */
    for (int64_t i = 0; i < n / QK; i++, x += QK) {
        __m256 m = _mm256_setzero_ps();
        for (int j = 0; j < QK; j += 8) m = _mm256_max_ps(m, _mm256_andnot_ps(sign, _mm256_loadu_ps(x + j)));
        __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
        m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
        m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
        const float d = _mm_cvtss_f32(m4) / 127;
        const __m256 id = _mm256_set1_ps(d != 0.0f ? 1.0f / d : 0.0f);
        for (int j = 0; j < QK; j += 32) {
            const __m256i i0 = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(_mm256_loadu_ps(x + j), id), rnd));
            const __m256i i1 = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(_mm256_loadu_ps(x + j + 8), id), rnd));
            const __m256i i2 = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(_mm256_loadu_ps(x + j + 16), id), rnd));
            const __m256i i3 = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(_mm256_loadu_ps(x + j + 24), id), rnd));
            out[i].bsums[j / 16] = (int16_t)hsum8_i32(_mm256_add_epi32(i0, i1));
            out[i].bsums[j / 16 + 1] = (int16_t)hsum8_i32(_mm256_add_epi32(i2, i3));
            /* packs work per 128-bit lane: the permute restores element order */
            __m256i q = _mm256_packs_epi16(_mm256_packs_epi32(i0, i1), _mm256_packs_epi32(i2, i3));
            _mm256_storeu_si256((__m256i *)(out[i].qs + j), _mm256_permutevar8x32_epi32(q, order));
        }
        out[i].d = d;
    }
}

#endif /* __x86_64__ */
