/* quant_avx2 — AVX2 + FMA + F16C kernels (the Makefile compiles *_avx2.c with
 * -mavx2 -mfma -mf16c; quant.c only picks this table when the CPU has them).
 *
 * Every kernel here has a scalar twin in quant_ref.c; test_quant.c compares
 * them. Dots against FC_ACT_Q8 keep per-block integer sums exact (maddubs on
 * unsigned weight codes times signed activations, then madd to int32) and
 * fold the weight offset of the "_0" types into the min term:
 *   d*(q - k) . a  ==  d*da*sum(q*qa) + (-k*d) * s_a
 * so every type runs the same unsigned-times-signed inner step, with no
 * sign fix-ups and no horizontal sum inside the loop. Results differ from
 * the scalar ones only in float rounding of the per-block terms.
 * Dequantizers and the activation quantizer match the scalar ones exactly.
 */
#if defined(__x86_64__)

#include "quant_x86.h"

/* helpers and the dots of the 4/5/8-bit types (quant_dotq_x86.h) */
#define QDOT(name) quant_avx2_##name
#include "quant_dotq_x86.h"

/* ---- dots against FC_ACT_F32 ----------------------------------------------- */

static inline __m256 load_f16x8(const uint8_t *p) { return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p)); }
static inline __m256 load_bf16x8(const uint8_t *p) {
    const __m256i w = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)p));
    return _mm256_castsi256_ps(_mm256_slli_epi32(w, 16));
}
static inline __m256 load_f32x8(const uint8_t *p) { return _mm256_loadu_ps((const float *)(const void *)p); }

/* 32 elements per step in four accumulators; LOAD8 reads 8 weights at
 * element offset k; the tail goes element by element through SCALAR. */
#define DOT_F_LOOP(ESIZE, LOAD8, SCALAR)                                            \
    const uint8_t *w = row;                                                         \
    const float *x = act;                                                           \
    __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;                     \
    int64_t k = 0;                                                                  \
    for (; k + 32 <= n; k += 32) {                                                  \
        s0 = _mm256_fmadd_ps(LOAD8(w + (k + 0) * ESIZE), _mm256_loadu_ps(x + k + 0), s0);   \
        s1 = _mm256_fmadd_ps(LOAD8(w + (k + 8) * ESIZE), _mm256_loadu_ps(x + k + 8), s1);   \
        s2 = _mm256_fmadd_ps(LOAD8(w + (k + 16) * ESIZE), _mm256_loadu_ps(x + k + 16), s2); \
        s3 = _mm256_fmadd_ps(LOAD8(w + (k + 24) * ESIZE), _mm256_loadu_ps(x + k + 24), s3); \
    }                                                                               \
    for (; k + 8 <= n; k += 8)                                                      \
        s0 = _mm256_fmadd_ps(LOAD8(w + k * ESIZE), _mm256_loadu_ps(x + k), s0);     \
    float sum = hsum8(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3))); \
    for (; k < n; k++) sum += SCALAR(w + k * ESIZE) * x[k];                         \
    return sum

static inline float rd_f32(const uint8_t *p) { float v; memcpy(&v, p, 4); return v; }
static inline float rd_bf16(const uint8_t *p) { return fc_bf16_to_f32(fc_rd16(p)); }

static float dot_f32w(const void *row, const void *act, int64_t n) { DOT_F_LOOP(4, load_f32x8, rd_f32); }
static float dot_f16(const void *row, const void *act, int64_t n) { DOT_F_LOOP(2, load_f16x8, f16); }
static float dot_bf16(const void *row, const void *act, int64_t n) { DOT_F_LOOP(2, load_bf16x8, rd_bf16); }

static float vdot_f32(const float *a, const float *b, int64_t n) { return dot_f32w(a, b, n); }

/* ---- 4x4 tiles: four weight rows times four activation rows ---------------- */

/* Codes c of one weight block times the qs of four activation blocks (one
 * per token): int32 lanes [t0 t1 t2 t3 | t0 t1 t2 t3], each 128-bit half a
 * partial sum (elements 0..15 and 16..31). The int16 pair sums of maddubs
 * are transposed and added (unpack 32, then 64: lanes [t0 t0 t1 t1 t2 t2 t3
 * t3]; measured 3-5 % faster than vphaddw on Zen 4) before one madd widens
 * them: for codes <= 31 and |a| <= 127 a lane holds at most
 * 4 * 2 * 31 * 127 = 31496, inside int16. */
static inline __m256i isum4_u(__m256i c, const fc_block_q8 *a0, const fc_block_q8 *a1,
                              const fc_block_q8 *a2, const fc_block_q8 *a3) {
    const __m256i p0 = _mm256_maddubs_epi16(c, act_qs(a0));
    const __m256i p1 = _mm256_maddubs_epi16(c, act_qs(a1));
    const __m256i p2 = _mm256_maddubs_epi16(c, act_qs(a2));
    const __m256i p3 = _mm256_maddubs_epi16(c, act_qs(a3));
    const __m256i z01 = _mm256_add_epi16(_mm256_unpacklo_epi32(p0, p1), _mm256_unpackhi_epi32(p0, p1));
    const __m256i z23 = _mm256_add_epi16(_mm256_unpacklo_epi32(p2, p3), _mm256_unpackhi_epi32(p2, p3));
    const __m256i h = _mm256_add_epi16(_mm256_unpacklo_epi64(z01, z23), _mm256_unpackhi_epi64(z01, z23));
    return _mm256_madd_epi16(h, _mm256_set1_epi16(1));
}

/* The same for signed weights (Q8_0): |w| times a with w's sign; the pair
 * sums reach 2 * 128 * 127, so they widen to int32 before the transpose. */
static inline __m256i isum4_s(__m256i w, const fc_block_q8 *a0, const fc_block_q8 *a1,
                              const fc_block_q8 *a2, const fc_block_q8 *a3) {
    const __m256i u = _mm256_sign_epi8(w, w), one = _mm256_set1_epi16(1);
    const __m256i p0 = _mm256_madd_epi16(_mm256_maddubs_epi16(u, _mm256_sign_epi8(act_qs(a0), w)), one);
    const __m256i p1 = _mm256_madd_epi16(_mm256_maddubs_epi16(u, _mm256_sign_epi8(act_qs(a1), w)), one);
    const __m256i p2 = _mm256_madd_epi16(_mm256_maddubs_epi16(u, _mm256_sign_epi8(act_qs(a2), w)), one);
    const __m256i p3 = _mm256_madd_epi16(_mm256_maddubs_epi16(u, _mm256_sign_epi8(act_qs(a3), w)), one);
    const __m256i z01 = _mm256_add_epi32(_mm256_unpacklo_epi32(p0, p1), _mm256_unpackhi_epi32(p0, p1));
    const __m256i z23 = _mm256_add_epi32(_mm256_unpacklo_epi32(p2, p3), _mm256_unpackhi_epi32(p2, p3));
    return _mm256_add_epi32(_mm256_unpacklo_epi64(z01, z23), _mm256_unpackhi_epi64(z01, z23));
}

/* Two rows' isum4 results -> [row x: t0..t3 | row y: t0..t3], full sums. */
static inline __m256 join_rows(__m256i x, __m256i y) {
    return _mm256_cvtepi32_ps(_mm256_add_epi32(_mm256_permute2x128_si256(x, y, 0x20),
                                               _mm256_permute2x128_si256(x, y, 0x31)));
}

/* acc01 lanes [r0: t0..t3 | r1: t0..t3], acc23 the same for rows 2, 3. */
static inline void tile_store(__m256 acc01, __m256 acc23, float *out, size_t out_stride) {
    float tmp[16];
    _mm256_storeu_ps(tmp, acc01);
    _mm256_storeu_ps(tmp + 8, acc23);
    for (int t = 0; t < 4; t++)
        for (int r = 0; r < 4; r++) out[(size_t)t * out_stride + r] = tmp[4 * r + t];
}

/* One block step for all 16 (row, token) pairs. Scales: the four tokens'
 * (d, s) pairs become da = [d_a x4 | d_a x4] and sa likewise; the four rows'
 * (d, m) halves (times K, as in DOT_Q_LOOP) give [d0 x4 | d1 x4] etc. by
 * permutes. Per pair of rows: one FMA for the block sums and, with HAS_M,
 * one for the min terms m * s. */
#define TILE_Q_LOOP(BT, CODES, ISUM, DM, K, HAS_M)                                            \
    const BT *b0 = rows, *b1 = (const BT *)((const uint8_t *)rows + row_stride);              \
    const BT *b2 = (const BT *)((const uint8_t *)rows + 2 * row_stride);                      \
    const BT *b3 = (const BT *)((const uint8_t *)rows + 3 * row_stride);                      \
    const fc_block_q8 *a0 = act, *a1 = (const fc_block_q8 *)((const uint8_t *)act + act_stride); \
    const fc_block_q8 *a2 = (const fc_block_q8 *)((const uint8_t *)act + 2 * act_stride);     \
    const fc_block_q8 *a3 = (const fc_block_q8 *)((const uint8_t *)act + 3 * act_stride);     \
    const int64_t nb = n / FC_QK;                                                             \
    const __m256 k = K;                                                                       \
    const __m256i sel_da = _mm256_setr_epi32(0, 2, 4, 6, 0, 2, 4, 6);                         \
    const __m256i sel_sa = _mm256_setr_epi32(1, 3, 5, 7, 1, 3, 5, 7);                         \
    const __m256i sel_d01 = _mm256_setr_epi32(0, 0, 0, 0, 2, 2, 2, 2);                        \
    const __m256i sel_m01 = _mm256_setr_epi32(1, 1, 1, 1, 3, 3, 3, 3);                        \
    const __m256i sel_d23 = _mm256_setr_epi32(4, 4, 4, 4, 6, 6, 6, 6);                        \
    const __m256i sel_m23 = _mm256_setr_epi32(5, 5, 5, 5, 7, 7, 7, 7);                        \
    __m256 acc01 = _mm256_setzero_ps(), acc23 = _mm256_setzero_ps();                          \
    for (int64_t i = 0; i < nb; i++) {                                                        \
        const __m128i q01 = _mm_unpacklo_epi64(_mm_loadl_epi64((const __m128i *)(const void *)&a0[i]), \
                                               _mm_loadl_epi64((const __m128i *)(const void *)&a1[i])); \
        const __m128i q23 = _mm_unpacklo_epi64(_mm_loadl_epi64((const __m128i *)(const void *)&a2[i]), \
                                               _mm_loadl_epi64((const __m128i *)(const void *)&a3[i])); \
        const __m256 as = _mm256_castsi256_ps(_mm256_set_m128i(q23, q01));                    \
        const __m256 da = _mm256_permutevar8x32_ps(as, sel_da);                               \
        const __m256 dm = _mm256_mul_ps(_mm256_cvtph_ps(_mm_setr_epi32(DM(b0, i), DM(b1, i), DM(b2, i), DM(b3, i))), k); \
        const __m256i x0 = ISUM(CODES(b0, i), &a0[i], &a1[i], &a2[i], &a3[i]);                \
        const __m256i x1 = ISUM(CODES(b1, i), &a0[i], &a1[i], &a2[i], &a3[i]);                \
        acc01 = _mm256_fmadd_ps(join_rows(x0, x1), _mm256_mul_ps(_mm256_permutevar8x32_ps(dm, sel_d01), da), acc01); \
        const __m256i x2 = ISUM(CODES(b2, i), &a0[i], &a1[i], &a2[i], &a3[i]);                \
        const __m256i x3 = ISUM(CODES(b3, i), &a0[i], &a1[i], &a2[i], &a3[i]);                \
        acc23 = _mm256_fmadd_ps(join_rows(x2, x3), _mm256_mul_ps(_mm256_permutevar8x32_ps(dm, sel_d23), da), acc23); \
        if (HAS_M) {                                                                          \
            const __m256 sa = _mm256_permutevar8x32_ps(as, sel_sa);                           \
            acc01 = _mm256_fmadd_ps(_mm256_permutevar8x32_ps(dm, sel_m01), sa, acc01);        \
            acc23 = _mm256_fmadd_ps(_mm256_permutevar8x32_ps(dm, sel_m23), sa, acc23);        \
        }                                                                                     \
    }                                                                                         \
    tile_store(acc01, acc23, out, out_stride)

#define TILE_ARGS const void *rows, size_t row_stride, const void *act, size_t act_stride, int64_t n, float *out, size_t out_stride
void quant_avx2_tile4_q4_0(TILE_ARGS) { TILE_Q_LOOP(blk_q4_0, CODES4, isum4_u, DM_DUP, K_Q4_0, 1); }
void quant_avx2_tile4_q4_1(TILE_ARGS) { TILE_Q_LOOP(blk_q4_1, CODES4, isum4_u, DM_PAIR, K_ONE, 1); }
void quant_avx2_tile4_q5_0(TILE_ARGS) { TILE_Q_LOOP(blk_q5_0, CODES5, isum4_u, DM_DUP, K_Q5_0, 1); }
void quant_avx2_tile4_q5_1(TILE_ARGS) { TILE_Q_LOOP(blk_q5_1, CODES5, isum4_u, DM_PAIR, K_ONE, 1); }
void quant_avx2_tile4_q8_0(TILE_ARGS) { TILE_Q_LOOP(blk_q8_0, CODES8, isum4_s, DM_DUP, K_ONE, 0); }

/* Plain-float weights: two rows at a time times the four tokens, eight
 * accumulators (enough independent FMA chains); each 8-weight load (and f16
 * conversion) serves four tokens, each activation load two rows. */
#define TILE_F_LOOP(ESIZE, LOAD8, SCALAR)                                                     \
    const float *x[4];                                                                        \
    for (int t = 0; t < 4; t++) x[t] = (const float *)(const void *)((const uint8_t *)act + (size_t)t * act_stride); \
    for (int rp = 0; rp < 4; rp += 2) {                                                       \
        const uint8_t *w0 = (const uint8_t *)rows + (size_t)rp * row_stride, *w1 = w0 + row_stride; \
        __m256 s00 = _mm256_setzero_ps(), s01 = s00, s02 = s00, s03 = s00;                    \
        __m256 s10 = s00, s11 = s00, s12 = s00, s13 = s00;                                    \
        int64_t k = 0;                                                                        \
        for (; k + 8 <= n; k += 8) {                                                          \
            const __m256 v0 = LOAD8(w0 + k * ESIZE), v1 = LOAD8(w1 + k * ESIZE);              \
            __m256 xv = _mm256_loadu_ps(x[0] + k);                                            \
            s00 = _mm256_fmadd_ps(v0, xv, s00); s10 = _mm256_fmadd_ps(v1, xv, s10);           \
            xv = _mm256_loadu_ps(x[1] + k);                                                   \
            s01 = _mm256_fmadd_ps(v0, xv, s01); s11 = _mm256_fmadd_ps(v1, xv, s11);           \
            xv = _mm256_loadu_ps(x[2] + k);                                                   \
            s02 = _mm256_fmadd_ps(v0, xv, s02); s12 = _mm256_fmadd_ps(v1, xv, s12);           \
            xv = _mm256_loadu_ps(x[3] + k);                                                   \
            s03 = _mm256_fmadd_ps(v0, xv, s03); s13 = _mm256_fmadd_ps(v1, xv, s13);           \
        }                                                                                     \
        float r0[4] = {hsum8(s00), hsum8(s01), hsum8(s02), hsum8(s03)};                       \
        float r1[4] = {hsum8(s10), hsum8(s11), hsum8(s12), hsum8(s13)};                       \
        for (; k < n; k++) {                                                                  \
            const float u0 = SCALAR(w0 + k * ESIZE), u1 = SCALAR(w1 + k * ESIZE);             \
            for (int t = 0; t < 4; t++) { r0[t] += u0 * x[t][k]; r1[t] += u1 * x[t][k]; }     \
        }                                                                                     \
        for (int t = 0; t < 4; t++) {                                                         \
            out[(size_t)t * out_stride + rp] = r0[t];                                         \
            out[(size_t)t * out_stride + rp + 1] = r1[t];                                     \
        }                                                                                     \
    }

void quant_avx2_tile4_f32(TILE_ARGS) { TILE_F_LOOP(4, load_f32x8, rd_f32); }
void quant_avx2_tile4_f16(TILE_ARGS) { TILE_F_LOOP(2, load_f16x8, f16); }
QUANT_TILE4_FROM_DOT(tile4_bf16, dot_bf16)

static void vaxpy_f32(float *y, float a, const float *x, int64_t n) {
    const __m256 va = _mm256_set1_ps(a);
    int64_t k = 0;
    for (; k + 16 <= n; k += 16) {
        _mm256_storeu_ps(y + k, _mm256_fmadd_ps(va, _mm256_loadu_ps(x + k), _mm256_loadu_ps(y + k)));
        _mm256_storeu_ps(y + k + 8, _mm256_fmadd_ps(va, _mm256_loadu_ps(x + k + 8), _mm256_loadu_ps(y + k + 8)));
    }
    for (; k + 8 <= n; k += 8)
        _mm256_storeu_ps(y + k, _mm256_fmadd_ps(va, _mm256_loadu_ps(x + k), _mm256_loadu_ps(y + k)));
    for (; k < n; k++) y[k] += a * x[k];
}

/* ---- dequantizers (bit-exact with quant_ref.c) ------------------------------ */

static void dequant_f16(const void *row, float *out, int64_t n) {
    const uint8_t *p = row;
    int64_t k = 0;
    for (; k + 8 <= n; k += 8) _mm256_storeu_ps(out + k, load_f16x8(p + 2 * k));
    for (; k < n; k++) out[k] = f16(p + 2 * k);
}

/* 32 signed bytes -> 32 floats times d (no FMA: the scalar twin rounds once) */
static inline void store_i8x32(float *out, __m256i q, __m256 d) {
    const __m128i lo = _mm256_castsi256_si128(q), hi = _mm256_extracti128_si256(q, 1);
    _mm256_storeu_ps(out + 0, _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(lo)), d));
    _mm256_storeu_ps(out + 8, _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(lo, 8))), d));
    _mm256_storeu_ps(out + 16, _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(hi)), d));
    _mm256_storeu_ps(out + 24, _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(hi, 8))), d));
}

static void dequant_q8_0(const void *row, float *out, int64_t n) {
    const blk_q8_0 *b = row;
    for (int64_t i = 0; i < n / FC_QK; i++, out += FC_QK)
        store_i8x32(out, _mm256_loadu_si256((const __m256i *)b[i].qs), _mm256_set1_ps(f16(b[i].d)));
}

static void dequant_q4_0(const void *row, float *out, int64_t n) {
    const blk_q4_0 *b = row;
    for (int64_t i = 0; i < n / FC_QK; i++, out += FC_QK)
        store_i8x32(out, _mm256_sub_epi8(nibbles(b[i].qs), _mm256_set1_epi8(8)), _mm256_set1_ps(f16(b[i].d)));
}

static void dequant_q4_1(const void *row, float *out, int64_t n) {
    const blk_q4_1 *b = row;
    for (int64_t i = 0; i < n / FC_QK; i++, out += FC_QK) {
        float tmp[FC_QK];
        store_i8x32(tmp, nibbles(b[i].qs), _mm256_set1_ps(f16(b[i].d)));
        const __m256 m = _mm256_set1_ps(f16(b[i].m));
        for (int j = 0; j < FC_QK; j += 8) _mm256_storeu_ps(out + j, _mm256_add_ps(_mm256_loadu_ps(tmp + j), m));
    }
}

static void quantize_f16(const float *x, void *row, int64_t n) {
    uint8_t *p = row;
    int64_t k = 0;
    for (; k + 8 <= n; k += 8)
        _mm_storeu_si128((__m128i *)(p + 2 * k), _mm256_cvtps_ph(_mm256_loadu_ps(x + k), _MM_FROUND_TO_NEAREST_INT));
    for (; k < n; k++) fc_wr16(p + 2 * k, fc_f32_to_f16(x[k]));
}

/* ---- activations --------------------------------------------------------- */

static void act_q8(const float *x, fc_block_q8 *out, int64_t n) {
    const __m256 sign = _mm256_set1_ps(-0.0f);
    const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    for (int64_t i = 0; i < n / FC_QK8; i++, x += FC_QK8) {
        __m256 v0 = _mm256_loadu_ps(x), v1 = _mm256_loadu_ps(x + 8);
        __m256 v2 = _mm256_loadu_ps(x + 16), v3 = _mm256_loadu_ps(x + 24);
        const __m256 m = _mm256_max_ps(_mm256_max_ps(_mm256_andnot_ps(sign, v0), _mm256_andnot_ps(sign, v1)),
                                       _mm256_max_ps(_mm256_andnot_ps(sign, v2), _mm256_andnot_ps(sign, v3)));
        __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
        m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
        m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
        const float d = _mm_cvtss_f32(m4) / 127;
        const __m256 id = _mm256_set1_ps(d != 0.0f ? 1.0f / d : 0.0f);
        enum { rnd = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC }; /* a constant (clang requires one) */
        const __m256i i0 = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(v0, id), rnd));
        const __m256i i1 = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(v1, id), rnd));
        const __m256i i2 = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(v2, id), rnd));
        const __m256i i3 = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(v3, id), rnd));
        const int sum = hsum8_i32(_mm256_add_epi32(_mm256_add_epi32(i0, i1), _mm256_add_epi32(i2, i3)));
        /* packs work per 128-bit lane: the permute restores element order */
        __m256i q = _mm256_packs_epi16(_mm256_packs_epi32(i0, i1), _mm256_packs_epi32(i2, i3));
        q = _mm256_permutevar8x32_epi32(q, order);
        _mm256_storeu_si256((__m256i *)out[i].qs, q);
        out[i].d = d;
        out[i].s = d * (float)sum;
    }
}

/* ---- the table --------------------------------------------------------------- */


static const quant_traits AVX2[GGML_TYPE_COUNT] = {
    QUANT_ROW(GGML_TYPE_F32, quant_ref_dequant_f32, quant_ref_quantize_f32, dot_f32w, quant_avx2_tile4_f32),
    QUANT_ROW(GGML_TYPE_F16, dequant_f16, quantize_f16, dot_f16, quant_avx2_tile4_f16),
    QUANT_ROW(GGML_TYPE_BF16, quant_ref_dequant_bf16, quant_ref_quantize_bf16, dot_bf16, tile4_bf16),
    QUANT_ROW_DR(GGML_TYPE_Q4_0, dequant_q4_0, quant_ref_quantize_q4_0, quant_avx2_dot_q4_0, quant_avx2_dot_rows_q4_0, quant_avx2_tile4_q4_0),
    QUANT_ROW_DR(GGML_TYPE_Q4_1, dequant_q4_1, quant_ref_quantize_q4_1, quant_avx2_dot_q4_1, quant_avx2_dot_rows_q4_1, quant_avx2_tile4_q4_1),
    QUANT_ROW_DR(GGML_TYPE_Q5_0, quant_ref_dequant_q5_0, quant_ref_quantize_q5_0, quant_avx2_dot_q5_0, quant_avx2_dot_rows_q5_0, quant_avx2_tile4_q5_0),
    QUANT_ROW_DR(GGML_TYPE_Q5_1, quant_ref_dequant_q5_1, quant_ref_quantize_q5_1, quant_avx2_dot_q5_1, quant_avx2_dot_rows_q5_1, quant_avx2_tile4_q5_1),
    QUANT_ROW_DR(GGML_TYPE_Q8_0, dequant_q8_0, quant_ref_quantize_q8_0, quant_avx2_dot_q8_0, quant_avx2_dot_rows_q8_0, quant_avx2_tile4_q8_0),
    /* K-quants and IQ4 (quant_k_avx2.c) */
    QUANT_K_ROWS_AVX2,
};

const quant_kernels quant_kernels_avx2 = {AVX2, {act_q8, quant_avx2_act_q8k, vdot_f32, vaxpy_f32}};

#endif /* __x86_64__ */
