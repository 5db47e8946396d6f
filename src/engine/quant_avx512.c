/* quant_avx512 — AVX-512 (F, BW, VL, DQ, VNNI) kernels (the Makefile
 * compiles *_avx512.c with -mavx512f -mavx512bw -mavx512vl -mavx512dq
 * -mavx512vnni plus AVX2/FMA/F16C; quant.c only picks this table when the
 * CPU has all of them, and picks it automatically: see quant.c).
 *
 * What is here: the float dots (masked tails, no element loop), the
 * dequantizers, the activation quantizer, and the VNNI 4x4 tiles of the
 * 4/5/8-bit types (prompt processing). The dots of those types are the
 * AVX2 ones (faster on Zen 4, see below); the K-quant and IQ4 rows come
 * from quant_k_avx512.c, quant_k235_avx512.c and quant_iq4_avx512.c.
 * Every kernel has a scalar twin in quant_ref.c that test_quant.c compares.
 */
#if defined(__x86_64__)

#include "quant_x86.h"

/* ---- helpers --------------------------------------------------------------- */

/* One block's codes, 256-bit: nibbles in element order, and the fifth bits. */
static inline __m256i nibbles1(const uint8_t *qs) {
    const __m128i t = _mm_loadu_si128((const __m128i *)qs);
    return _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(t, 4), t), _mm256_set1_epi8(0x0F));
}
static inline __m256i fifth_bits1(const uint8_t *qh) {
    return _mm256_maskz_mov_epi8((__mmask32)fc_rd32(qh), _mm256_set1_epi8(0x10));
}

/* ---- dots against FC_ACT_Q8: the AVX2 ones (quant_avx2.c) ----------------------
 * The 512-bit dots of the 4/5/8-bit types (two blocks per register) measured
 * 20-35 % slower than the AVX2 ones on Zen 4, which splits 512-bit
 * operations in two (BENCHMARKS.md), so this table takes the AVX2 dots and
 * adds what is faster here: the VNNI tiles below. */

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

/* ---- 4x4 tiles (VNNI): four weight rows times four activation rows ---------- */

/* A 256-bit register holds 16 bytes of each of two rows (128-bit lane x =
 * row 2h + x of row pair h); one vpdpbusd against a 128-bit broadcast of a
 * token's 16 activations gives in int32 lane (x, p) the row's sum over 4 of
 * them. Each token keeps its own float accumulators (lanes (x, p), summed
 * over p once at the end), so the unpacked weights serve four tokens and
 * the activations are broadcast loads: no transpose of the four tokens' sums
 * per block (the cost of the AVX2 tiles, quant_avx2.c). Per block, token
 * and row pair: two vpdpbusd, one conversion and one FMA with d_r * d_a
 * (and one with the offset or min m_r times s_a, lane (x, 0) only, for the
 * 4/5-bit types). 256-bit, not 512: vbroadcasti128 from memory is a plain
 * load on Zen 4, the 512-bit vbroadcasti32x4 also costs a shuffle uop
 * (measured 1.5x slower for these tiles).
 * Q8_0 weights are signed: the activations go in as unsigned a + 128 and
 * the sums start from -128 * (the weights' sums), so they stay exact. */

/* rows2_16 and bc16: quant_x86.h */

/* nibbles of blocks x, y: c0 = elements 0..15 (low nibbles), c1 = 16..31 */
#define VCODES4(BT, x, y, c0, c1)                                                                 \
    const __m256i z_ = rows2_16(x, y, offsetof(BT, qs));                                          \
    __m256i c0 = _mm256_and_si256(z_, _mm256_set1_epi8(0x0F));                                    \
    __m256i c1 = _mm256_and_si256(_mm256_srli_epi16(z_, 4), _mm256_set1_epi8(0x0F))
/* plus the fifth bits: bits 0..15 of each block's qh to c0's lane, 16..31 to c1's */
#define VCODES5(BT, x, y, c0, c1)                                                                 \
    VCODES4(BT, x, y, c0, c1);                                                                    \
    {                                                                                             \
        const uint32_t hx = fc_rd32(x + offsetof(BT, qh)), hy = fc_rd32(y + offsetof(BT, qh));    \
        c0 = _mm256_mask_add_epi8(c0, (__mmask32)((hx & 0xFFFF) | hy << 16), c0, _mm256_set1_epi8(0x10)); \
        c1 = _mm256_mask_add_epi8(c1, (__mmask32)((hx >> 16) | (hy & 0xFFFF0000u)), c1, _mm256_set1_epi8(0x10)); \
    }
#define VCODES8(BT, x, y, c0, c1)                                                                 \
    const __m256i c0 = rows2_16(x, y, offsetof(BT, qs)), c1 = rows2_16(x, y, offsetof(BT, qs) + 16)

/* (d, m) halves of blocks x, y as in DOT_Q_LOOP: DM_PAIR for "_1" types, DM_DUP for "_0" */
#define VDM_PAIR(x) (int)fc_rd32(x)
#define VDM_DUP(x) (int)((uint32_t)fc_rd16(x) * 0x10001u)

/* One loop for the five types: CODES unpacks, DM gives the (d, m) halves,
 * K multiplies m (1 for "_1" types, -k for "_0"), HAS_M adds m * s_a,
 * SIGNED marks Q8_0. Eight accumulators (token, row pair) in registers: a
 * ninth set (the m * s_a terms apart) spilled to the stack. */
#define TILE_V_LOOP(BT, CODES, DM, K, HAS_M, SIGNED)                                             \
    const uint8_t *br[4];                                                                         \
    const fc_block_q8 *ar[4];                                                                     \
    for (int r = 0; r < 4; r++) br[r] = (const uint8_t *)rows + (size_t)r * row_stride;           \
    for (int t = 0; t < 4; t++) ar[t] = (const fc_block_q8 *)(const void *)((const uint8_t *)act + (size_t)t * act_stride); \
    __m256 acc[4][2];                                                                             \
    for (int t = 0; t < 4; t++) acc[t][0] = acc[t][1] = _mm256_setzero_ps();                      \
    const __m256i idx_d = _mm256_setr_epi32(0, 0, 0, 0, 2, 2, 2, 2);                              \
    for (int64_t i = 0; i < n / FC_QK; i++) {                                                     \
        _Pragma("GCC unroll 2")                                                                   \
        for (int h = 0; h < 2; h++) {                                                             \
            const uint8_t *x = br[2 * h] + i * (int64_t)sizeof(BT), *y = br[2 * h + 1] + i * (int64_t)sizeof(BT); \
            CODES(BT, x, y, c0, c1);                                                              \
            /* [d_x, m_x, d_y, m_y, 0, 0, 0, 0] */                                                \
            const __m256 dm = _mm256_zextps128_ps256(_mm_cvtph_ps(_mm_setr_epi32(DM(x), DM(y), 0, 0))); \
            const __m256 dv = _mm256_permutevar8x32_ps(dm, idx_d);                                \
            const __m256 mv = _mm256_mul_ps(_mm256_permutevar8x32_ps(dm, _mm256_setr_epi32(1, 4, 4, 4, 3, 4, 4, 4)), _mm256_set1_ps(K)); \
            __m256i s0 = _mm256_setzero_si256();                                                  \
            if (SIGNED) {                                                                         \
                const __m256i one = _mm256_set1_epi8(1);                                          \
                const __m256i ws = _mm256_dpbusd_epi32(_mm256_dpbusd_epi32(s0, one, c0), one, c1); \
                s0 = _mm256_sub_epi32(s0, _mm256_slli_epi32(ws, 7));                              \
            }                                                                                     \
            _Pragma("GCC unroll 4")                                                               \
            for (int t = 0; t < 4; t++) {                                                         \
                const fc_block_q8 *a = &ar[t][i];                                                 \
                __m256i a0 = bc16(a->qs), a1 = bc16(a->qs + 16);                                  \
                __m256i sum;                                                                      \
                if (SIGNED) {                                                                     \
                    a0 = _mm256_xor_si256(a0, _mm256_set1_epi8((char)0x80));                      \
                    a1 = _mm256_xor_si256(a1, _mm256_set1_epi8((char)0x80));                      \
                    sum = _mm256_dpbusd_epi32(_mm256_dpbusd_epi32(s0, a0, c0), a1, c1);           \
                } else {                                                                          \
                    sum = _mm256_dpbusd_epi32(_mm256_dpbusd_epi32(s0, c0, a0), c1, a1);           \
                }                                                                                 \
                acc[t][h] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sum), _mm256_mul_ps(dv, _mm256_set1_ps(a->d)), acc[t][h]); \
                if (HAS_M) acc[t][h] = _mm256_fmadd_ps(mv, _mm256_set1_ps(a->s), acc[t][h]);       \
            }                                                                                     \
        }                                                                                         \
    }                                                                                             \
    for (int t = 0; t < 4; t++)                                                                   \
        for (int h = 0; h < 2; h++) {                                                             \
            float v[8];                                                                           \
            _mm256_storeu_ps(v, acc[t][h]);                                                       \
            out[(size_t)t * out_stride + 2 * h] = (v[0] + v[1]) + (v[2] + v[3]);                  \
            out[(size_t)t * out_stride + 2 * h + 1] = (v[4] + v[5]) + (v[6] + v[7]);              \
        }

#define TILE_ARGS const void *rows, size_t row_stride, const void *act, size_t act_stride, int64_t n, float *out, size_t out_stride
static void tile4_q4_0(TILE_ARGS) { TILE_V_LOOP(blk_q4_0, VCODES4, VDM_DUP, -8.0f, 1, 0) }
static void tile4_q4_1(TILE_ARGS) { TILE_V_LOOP(blk_q4_1, VCODES4, VDM_PAIR, 1.0f, 1, 0) }
static void tile4_q5_0(TILE_ARGS) { TILE_V_LOOP(blk_q5_0, VCODES5, VDM_DUP, -16.0f, 1, 0) }
static void tile4_q5_1(TILE_ARGS) { TILE_V_LOOP(blk_q5_1, VCODES5, VDM_PAIR, 1.0f, 1, 0) }
static void tile4_q8_0(TILE_ARGS) { TILE_V_LOOP(blk_q8_0, VCODES8, VDM_DUP, 0.0f, 0, 1) }

/* ---- the table --------------------------------------------------------------- */

QUANT_TILE4_FROM_DOT(tile4_bf16, dot_bf16)


static const quant_traits AVX512[GGML_TYPE_COUNT] = {
    QUANT_ROW(GGML_TYPE_F32, quant_ref_dequant_f32, quant_ref_quantize_f32, dot_f32w, quant_avx2_tile4_f32),
    QUANT_ROW(GGML_TYPE_F16, dequant_f16, quantize_f16, dot_f16, quant_avx2_tile4_f16),
    QUANT_ROW(GGML_TYPE_BF16, quant_ref_dequant_bf16, quant_ref_quantize_bf16, dot_bf16, tile4_bf16),
    QUANT_ROW_DR(GGML_TYPE_Q4_0, dequant_q4_0, quant_ref_quantize_q4_0, quant_avx2_dot_q4_0, quant_avx2_dot_rows_q4_0, tile4_q4_0),
    QUANT_ROW_DR(GGML_TYPE_Q4_1, dequant_q4_1, quant_ref_quantize_q4_1, quant_avx2_dot_q4_1, quant_avx2_dot_rows_q4_1, tile4_q4_1),
    QUANT_ROW_DR(GGML_TYPE_Q5_0, dequant_q5_0, quant_ref_quantize_q5_0, quant_avx2_dot_q5_0, quant_avx2_dot_rows_q5_0, tile4_q5_0),
    QUANT_ROW_DR(GGML_TYPE_Q5_1, dequant_q5_1, quant_ref_quantize_q5_1, quant_avx2_dot_q5_1, quant_avx2_dot_rows_q5_1, tile4_q5_1),
    QUANT_ROW_DR(GGML_TYPE_Q8_0, dequant_q8_0, quant_ref_quantize_q8_0, quant_avx2_dot_q8_0, quant_avx2_dot_rows_q8_0, tile4_q8_0),
    /* K-quants and IQ4 (quant_k_avx2.c, quant_k_avx512.c) */
    QUANT_K_ROWS_AVX512,
};

const quant_kernels quant_kernels_avx512 = {AVX512, {act_q8, quant_avx2_act_q8k, vdot_f32, vaxpy_f32}};

#endif /* __x86_64__ */
