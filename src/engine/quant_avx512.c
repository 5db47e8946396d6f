/* quant_avx512 — AVX-512 (F, BW, VL, DQ, VNNI) kernels (the Makefile
 * compiles *_avx512.c with -mavx512f -mavx512bw -mavx512vl -mavx512dq
 * -mavx512vnni plus AVX2/FMA/F16C; quant.c only picks this table when the
 * CPU has all of them, and picks it automatically: see quant.c).
 *
 * What is here: the float dots (masked tails, no element loop), the
 * dequantizers, the activation quantizer, and the dots of the 4/5/8-bit
 * types (quant_dotq_x86.h with vpdpbusd: the AVX2 dots' floats), with
 * 512-bit twins that give the same floats (two tables, quant_kernels_avx512
 * and quant_kernels_avx512w; quant.c measures which runs faster); their
 * prompt path is the repacked tiles' (quant_repack_avx512.c) and the AVX2
 * 4x4 tiles'. The K-quant and IQ4 rows come from quant_k_avx512.c,
 * quant_k235_avx512.c and quant_iq4_avx512.c.
 * Every kernel has a scalar twin in quant_ref.c that test_quant.c compares.
 */
#if defined(__x86_64__)

#include "quant_x86.h"

/* the dots of the 4/5/8-bit types, vpdpbusd inside (quant_dotq_x86.h) */
#define QDOT(name) quant_avx512_##name
#include "quant_dotq_x86.h"

/* ---- helpers --------------------------------------------------------------- */

/* One block's codes, 256-bit: nibbles in element order, and the fifth bits. */
static inline __m256i nibbles1(const uint8_t *qs) {
    const __m128i t = _mm_loadu_si128((const __m128i *)qs);
    return _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(t, 4), t), _mm256_set1_epi8(0x0F));
}
static inline __m256i fifth_bits1(const uint8_t *qh) {
    return _mm256_maskz_mov_epi8((__mmask32)fc_rd32(qh), _mm256_set1_epi8(0x10));
}

/* ---- dots against FC_ACT_Q8: quant_dotq_x86.h, included above ---------------- */

/* ---- the same dots, 512-bit: two blocks per register -------------------------
 * quant_dotq_x86.h's dots keep even blocks on one FMA chain (acc0) and odd
 * ones on another (acc1); here one zmm holds both chains, acc0 in the low
 * eight lanes and acc1 in the high ones, and each FMA takes a pair of
 * blocks. Every lane sees the same products, scales and additions in the
 * same order, so these return the 256-bit dots' floats bit for bit (the
 * tests compare them); which of the two runs is chosen per CPU at start-up
 * (quant.c, choose_dot_bits): Zen 4 splits 512-bit operations in two, CPUs with
 * full-width units may not. */

/* two blocks' 16 bytes of nibbles -> 64 codes, each block's in element order */
static inline __m512i nibbles2(const uint8_t *qs0, const uint8_t *qs1) {
    const __m512i v = _mm512_inserti64x4(_mm512_castsi256_si512(bc16(qs0)), bc16(qs1), 1);
    return _mm512_and_si512(_mm512_srlv_epi64(v, _mm512_setr_epi64(0, 0, 4, 4, 0, 0, 4, 4)), _mm512_set1_epi8(0x0F));
}
/* the fifth bits of two Q5 blocks: 0x10 in byte j where bit j is set */
static inline __m512i fifth_bits2(const uint8_t *qh0, const uint8_t *qh1) {
    const __mmask64 m = (__mmask64)fc_rd32(qh0) | (__mmask64)fc_rd32(qh1) << 32;
    return _mm512_maskz_mov_epi8(m, _mm512_set1_epi8(0x10));
}
static inline __m512i load2_256(const void *p0, const void *p1) {
    return _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)p0)),
                              _mm256_loadu_si256((const __m256i *)p1), 1);
}
static inline __m512 dot2_u8_s8(__m512i u, __m512i s) {
    return _mm512_cvtepi32_ps(_mm512_dpbusd_epi32(_mm512_setzero_si512(), u, s));
}
#define CODES4W(B, i) nibbles2((B)[i].qs, (B)[(i) + 1].qs)
#define CODES5W(B, i) _mm512_or_si512(CODES4W(B, i), fifth_bits2((B)[i].qh, (B)[(i) + 1].qh))
#define ACTS2(A, i) load2_256((A)[i].qs, (A)[(i) + 1].qs)

/* DOT_QW(t, BT, CODES2, DM, K): QDOT(dotw_##t) and QDOT(dotw_rows_##t), the
 * dot_##t and the two-stream rows (DOT_ROWS_Q) of quant_dotq_x86.h with step4 on zmm; the last
 * blocks go through the 256-bit t##_finish, which gets acc0 and acc1 as the
 * halves of the zmm. */
typedef struct {
    __m512 acc;
    __m256 macc;
} dotw_acc;
#define DOTW_ACC_ZERO() {_mm512_setzero_ps(), _mm256_setzero_ps()}
static inline void dotw_finish_prep(const dotw_acc *w, dot_acc *s) {
    s->acc0 = _mm512_castps512_ps256(w->acc);
    s->acc1 = _mm512_extractf32x8_ps(w->acc, 1);
    s->macc = w->macc;
}
#define DOT_QW(t, BT, CODES2, DM, K)                                                                      \
    static inline __attribute__((always_inline)) void t##_step4w(dotw_acc *s, const BT *b, const fc_block_q8 *a, int64_t i, __m256 k) { \
        const __m256 sc = _mm256_mul_ps(SCALES4(BT, DM, b, i, a), k);                                  \
        const __m512 sc5 = _mm512_castps256_ps512(sc);                                                   \
        const __m512 p01 = dot2_u8_s8(CODES2(b, i), ACTS2(a, i));                                        \
        const __m512 p23 = dot2_u8_s8(CODES2(b, i + 2), ACTS2(a, i + 2));                                \
        s->acc = _mm512_fmadd_ps(_mm512_permutexvar_ps(_mm512_setr_epi32(0, 0, 0, 0, 0, 0, 0, 0, 2, 2, 2, 2, 2, 2, 2, 2), sc5), p01, s->acc); \
        s->acc = _mm512_fmadd_ps(_mm512_permutexvar_ps(_mm512_setr_epi32(4, 4, 4, 4, 4, 4, 4, 4, 6, 6, 6, 6, 6, 6, 6, 6), sc5), p23, s->acc); \
        s->macc = _mm256_add_ps(s->macc, sc);                                                           \
    }                                                                                                   \
    static inline float t##_finishw(const dotw_acc *w, const BT *b, const fc_block_q8 *a, int64_t i, int64_t nb) { \
        dot_acc s;                                                                                      \
        dotw_finish_prep(w, &s);                                                                        \
        return t##_finish(&s, b, a, i, nb);                                                             \
    }                                                                                                   \
    static float QDOT(dotw_##t)(const void *row, const void *act, int64_t n) {                            \
        const fc_block_q8 *a = act;                                                                     \
        const int64_t nb = n / FC_QK;                                                                   \
        const __m256 k = K;                                                                             \
        ROW1(BT, dotw_acc, DOTW_ACC_ZERO, 4, t##_step4w(s_, b_, a, i, k), t##_finishw(s_, b_, a, i, nb)) \
    }                                                                                                   \
    static void QDOT(dotw_rows_##t)(const void *rows, size_t row_stride, int n_rows, const void *act, int64_t n, \
                                    float *out) {                                                       \
        const fc_block_q8 *a = act;                                                                     \
        const int64_t nb = n / FC_QK;                                                                   \
        const __m256 k = K;                                                                             \
        ROWS2(BT, dotw_acc, DOTW_ACC_ZERO, 4, t##_step4w(s_, b_, a, i, k), t##_finishw(s_, b_, a, i, nb), QDOT(dotw_##t)); \
    }

DOT_QW(q4_0, blk_q4_0, CODES4W, DM_DUP, K_Q4_0)
DOT_QW(q4_1, blk_q4_1, CODES4W, DM_PAIR, K_ONE)
DOT_QW(q5_0, blk_q5_0, CODES5W, DM_DUP, K_Q5_0)
DOT_QW(q5_1, blk_q5_1, CODES5W, DM_PAIR, K_ONE)

/* Q8_0: signed codes; |w| times a with w's sign, as dot_s8_s8 */
static inline __attribute__((always_inline)) void q8_0_step2w(dotw_acc *s, const blk_q8_0 *b, const fc_block_q8 *a, int64_t i) {
    const __m512i w = load2_256(b[i].qs, b[i + 1].qs), x = ACTS2(a, i);
    const __m512i xs = _mm512_mask_sub_epi8(x, _mm512_movepi8_mask(w), _mm512_setzero_si512(), x);
    const __m512 p01 = dot2_u8_s8(_mm512_abs_epi8(w), xs);
    const __m512 sc = _mm512_insertf32x8(_mm512_set1_ps(f16(b[i].d) * a[i].d), _mm256_set1_ps(f16(b[i + 1].d) * a[i + 1].d), 1);
    s->acc = _mm512_fmadd_ps(sc, p01, s->acc);
}
static inline float q8_0_finishw(const dotw_acc *w, const blk_q8_0 *b, const fc_block_q8 *a, int64_t i, int64_t nb) {
    dot_acc s;
    dotw_finish_prep(w, &s);
    return q8_0_finish(&s, b, a, i, nb);
}
Q8_0_DOTS(dotw, dotw_rows, dotw_acc, DOTW_ACC_ZERO, q8_0_step2w, q8_0_finishw)

/* ---- dots against FC_ACT_F32 ----------------------------------------------- */

static inline __m512 load_f32x16(const uint8_t *p, __mmask16 m) { return _mm512_maskz_loadu_ps(m, p); }
static inline __m512 load_f16x16(const uint8_t *p, __mmask16 m) { return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, p)); }
static inline __m512 load_bf16x16(const uint8_t *p, __mmask16 m) {
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(m, p)), 16));
}

/* 64 elements per step in four accumulators, then 16 at a time, then one
 * masked step for the last n % 16. */
#define DOT_F_LOOP(ESIZE, LOAD16)                                                     \
    const uint8_t *w = row;                                                           \
    const float *x = act;                                                             \
    const __mmask16 all = 0xFFFF;                                                     \
    __m512 s0 = _mm512_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;                       \
    int64_t k = 0;                                                                    \
    for (; k + 64 <= n; k += 64) {                                                    \
        s0 = _mm512_fmadd_ps(LOAD16(w + (k + 0) * ESIZE, all), _mm512_loadu_ps(x + k + 0), s0);   \
        s1 = _mm512_fmadd_ps(LOAD16(w + (k + 16) * ESIZE, all), _mm512_loadu_ps(x + k + 16), s1); \
        s2 = _mm512_fmadd_ps(LOAD16(w + (k + 32) * ESIZE, all), _mm512_loadu_ps(x + k + 32), s2); \
        s3 = _mm512_fmadd_ps(LOAD16(w + (k + 48) * ESIZE, all), _mm512_loadu_ps(x + k + 48), s3); \
    }                                                                                 \
    for (; k + 16 <= n; k += 16)                                                      \
        s0 = _mm512_fmadd_ps(LOAD16(w + k * ESIZE, all), _mm512_loadu_ps(x + k), s0); \
    if (k < n) {                                                                      \
        const __mmask16 m = (__mmask16)((1u << (n - k)) - 1);                         \
        s1 = _mm512_fmadd_ps(LOAD16(w + k * ESIZE, m), _mm512_maskz_loadu_ps(m, x + k), s1);      \
    }                                                                                 \
    return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3)))

static float dot_f32w(const void *row, const void *act, int64_t n) { DOT_F_LOOP(4, load_f32x16); }
static float dot_f16(const void *row, const void *act, int64_t n) { DOT_F_LOOP(2, load_f16x16); }
static float dot_bf16(const void *row, const void *act, int64_t n) { DOT_F_LOOP(2, load_bf16x16); }

static float vdot_f32(const float *a, const float *b, int64_t n) { return dot_f32w(a, b, n); }

static void vaxpy_f32(float *y, float a, const float *x, int64_t n) {
    const __m512 va = _mm512_set1_ps(a);
    int64_t k = 0;
    for (; k + 32 <= n; k += 32) {
        _mm512_storeu_ps(y + k, _mm512_fmadd_ps(va, _mm512_loadu_ps(x + k), _mm512_loadu_ps(y + k)));
        _mm512_storeu_ps(y + k + 16, _mm512_fmadd_ps(va, _mm512_loadu_ps(x + k + 16), _mm512_loadu_ps(y + k + 16)));
    }
    for (; k < n; k += 16) {
        const __mmask16 m = n - k >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n - k)) - 1);
        _mm512_mask_storeu_ps(y + k, m, _mm512_fmadd_ps(va, _mm512_maskz_loadu_ps(m, x + k), _mm512_maskz_loadu_ps(m, y + k)));
    }
}

/* ---- dequantizers (bit-exact with quant_ref.c) ------------------------------ */

static void dequant_f16(const void *row, float *out, int64_t n) {
    const uint8_t *p = row;
    for (int64_t k = 0; k < n; k += 16) {
        const __mmask16 m = n - k >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n - k)) - 1);
        _mm512_mask_storeu_ps(out + k, m, load_f16x16(p + 2 * k, m));
    }
}

/* 32 signed bytes -> 32 floats times d, plus m when add_m (mul then add: the
 * scalar twin rounds twice, so no FMA) */
static inline void store_i8x32(float *out, __m256i q, __m512 d, __m512 m, int add_m) {
    __m512 lo = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm256_castsi256_si128(q))), d);
    __m512 hi = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm256_extracti128_si256(q, 1))), d);
    if (add_m) { lo = _mm512_add_ps(lo, m); hi = _mm512_add_ps(hi, m); }
    _mm512_storeu_ps(out, lo);
    _mm512_storeu_ps(out + 16, hi);
}

static void dequant_q8_0(const void *row, float *out, int64_t n) {
    const blk_q8_0 *b = row;
    for (int64_t i = 0; i < n / FC_QK; i++, out += FC_QK)
        store_i8x32(out, _mm256_loadu_si256((const __m256i *)b[i].qs), _mm512_set1_ps(f16(b[i].d)), _mm512_setzero_ps(), 0);
}

static void dequant_q4_0(const void *row, float *out, int64_t n) {
    const blk_q4_0 *b = row;
    for (int64_t i = 0; i < n / FC_QK; i++, out += FC_QK)
        store_i8x32(out, _mm256_sub_epi8(nibbles1(b[i].qs), _mm256_set1_epi8(8)), _mm512_set1_ps(f16(b[i].d)), _mm512_setzero_ps(), 0);
}

static void dequant_q4_1(const void *row, float *out, int64_t n) {
    const blk_q4_1 *b = row;
    for (int64_t i = 0; i < n / FC_QK; i++, out += FC_QK)
        store_i8x32(out, nibbles1(b[i].qs), _mm512_set1_ps(f16(b[i].d)), _mm512_set1_ps(f16(b[i].m)), 1);
}

static void dequant_q5_0(const void *row, float *out, int64_t n) {
    const blk_q5_0 *b = row;
    for (int64_t i = 0; i < n / FC_QK; i++, out += FC_QK) {
        const __m256i q = _mm256_or_si256(nibbles1(b[i].qs), fifth_bits1(b[i].qh));
        store_i8x32(out, _mm256_sub_epi8(q, _mm256_set1_epi8(16)), _mm512_set1_ps(f16(b[i].d)), _mm512_setzero_ps(), 0);
    }
}

static void dequant_q5_1(const void *row, float *out, int64_t n) {
    const blk_q5_1 *b = row;
    for (int64_t i = 0; i < n / FC_QK; i++, out += FC_QK) {
        const __m256i q = _mm256_or_si256(nibbles1(b[i].qs), fifth_bits1(b[i].qh));
        store_i8x32(out, q, _mm512_set1_ps(f16(b[i].d)), _mm512_set1_ps(f16(b[i].m)), 1);
    }
}

static void quantize_f16(const float *x, void *row, int64_t n) {
    uint8_t *p = row;
    for (int64_t k = 0; k < n; k += 16) {
        const __mmask16 m = n - k >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n - k)) - 1);
        const __m256i h = _mm512_cvtps_ph(_mm512_maskz_loadu_ps(m, x + k), _MM_FROUND_TO_NEAREST_INT);
        _mm256_mask_storeu_epi16(p + 2 * k, m, h);
    }
}

/* ---- activations --------------------------------------------------------- */

static void act_q8(const float *x, fc_block_q8 *out, int64_t n) {
    for (int64_t i = 0; i < n / FC_QK8; i++, x += FC_QK8) {
        const __m512 v0 = _mm512_loadu_ps(x), v1 = _mm512_loadu_ps(x + 16);
        const float d = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_abs_ps(v0), _mm512_abs_ps(v1))) / 127;
        const __m512 id = _mm512_set1_ps(d != 0.0f ? 1.0f / d : 0.0f);
        /* round half to even and convert in one step */
        const __m512i i0 = _mm512_cvt_roundps_epi32(_mm512_mul_ps(v0, id), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        const __m512i i1 = _mm512_cvt_roundps_epi32(_mm512_mul_ps(v1, id), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        _mm_storeu_si128((__m128i *)out[i].qs, _mm512_cvtsepi32_epi8(i0));
        _mm_storeu_si128((__m128i *)(out[i].qs + 16), _mm512_cvtsepi32_epi8(i1));
        out[i].d = d;
        out[i].s = d * (float)_mm512_reduce_add_epi32(_mm512_add_epi32(i0, i1));
    }
}

/* IQ4_NL's dot and dot_rows (quant_dotq_x86.h), for the K rows' table entry */
float quant_avx512_dot_iq4_nl(const void *row, const void *act, int64_t n) { return QDOT(dot_iq4nl)(row, act, n); }
void quant_avx512_dot_rows_iq4_nl(const void *rows, size_t row_stride, int n_rows, const void *act, int64_t n, float *out) {
    QDOT(dot_rows_iq4nl)(rows, row_stride, n_rows, act, n, out);
}

/* ---- 4x4 tiles: the AVX2 ones (quant_avx2.c) ----------------------------------
 * The prompt path reads the repacked copies (quant_repack_avx512.c, VNNI),
 * whose results equal the AVX2 tiles' bit for bit; the 4x4 tiles take the
 * rows and tokens past them, and everything when REPACK is off, so a
 * setting changes the speed and never the logits. (This file's own VNNI
 * 4x4 tiles, row pairs with four partial sums per row, were 1.3-2.8x the
 * AVX2 tiles but with other float roundings; the repacked VNNI tiles are
 * faster than either, BENCHMARKS.md.) */

/* ---- the table --------------------------------------------------------------- */

QUANT_TILE4_FROM_DOT(tile4_bf16, dot_bf16)


/* The legacy rows take the 256-bit dots (dot, dot_rows) or the 512-bit ones
 * (dotw, dotw_rows): the two tables below differ there only. */
#define AVX512_ROWS(dot, dot_rows)                                                                                           \
    QUANT_ROW(GGML_TYPE_F32, quant_ref_dequant_f32, quant_ref_quantize_f32, dot_f32w, quant_avx2_tile4_f32),                  \
    QUANT_ROW(GGML_TYPE_F16, dequant_f16, quantize_f16, dot_f16, quant_avx2_tile4_f16),                                       \
    QUANT_ROW(GGML_TYPE_BF16, quant_ref_dequant_bf16, quant_ref_quantize_bf16, dot_bf16, tile4_bf16),                         \
    QUANT_ROW_DR(GGML_TYPE_Q4_0, dequant_q4_0, quant_ref_quantize_q4_0, quant_avx512_##dot##_q4_0, quant_avx512_##dot_rows##_q4_0, quant_avx2_tile4_q4_0), \
    QUANT_ROW_DR(GGML_TYPE_Q4_1, dequant_q4_1, quant_ref_quantize_q4_1, quant_avx512_##dot##_q4_1, quant_avx512_##dot_rows##_q4_1, quant_avx2_tile4_q4_1), \
    QUANT_ROW_DR(GGML_TYPE_Q5_0, dequant_q5_0, quant_ref_quantize_q5_0, quant_avx512_##dot##_q5_0, quant_avx512_##dot_rows##_q5_0, quant_avx2_tile4_q5_0), \
    QUANT_ROW_DR(GGML_TYPE_Q5_1, dequant_q5_1, quant_ref_quantize_q5_1, quant_avx512_##dot##_q5_1, quant_avx512_##dot_rows##_q5_1, quant_avx2_tile4_q5_1), \
    QUANT_ROW_DR(GGML_TYPE_Q8_0, dequant_q8_0, quant_ref_quantize_q8_0, quant_avx512_##dot##_q8_0, quant_avx512_##dot_rows##_q8_0, quant_avx2_tile4_q8_0), \
    /* K-quants and IQ4 (quant_k_avx2.c, quant_k_avx512.c) */                                                                \
    QUANT_K_ROWS_AVX512

static const quant_traits AVX512[GGML_TYPE_COUNT] = {AVX512_ROWS(dot, dot_rows)};
static const quant_traits AVX512W[GGML_TYPE_COUNT] = {AVX512_ROWS(dotw, dotw_rows)};

const quant_kernels quant_kernels_avx512 = {AVX512, {act_q8, quant_avx2_act_q8k, vdot_f32, vaxpy_f32}};
const quant_kernels quant_kernels_avx512w = {AVX512W, {act_q8, quant_avx2_act_q8k, vdot_f32, vaxpy_f32}};

#endif /* __x86_64__ */
