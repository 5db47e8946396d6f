/* quant_avx512 — AVX-512 (F, BW, VL, DQ) kernels (the Makefile compiles
 * *_avx512.c with -mavx512f -mavx512bw -mavx512vl -mavx512dq plus AVX2/FMA/
 * F16C; quant.c only picks this table when the CPU has all of them).
 *
 * Same algebra as quant_avx2.c (see there): unsigned weight codes times
 * signed activations through maddubs/madd, the "_0" offset folded into the
 * min term, one float FMA per block. A 512-bit register holds two blocks:
 * lanes 0..7 of the int32 sums belong to block i, 8..15 to block i + 1, so
 * one broadcast pair of scales serves both. Tails use masked loads, so no
 * element-by-element loop is needed for plain-float rows.
 * Every kernel has a scalar twin in quant_ref.c that test_quant.c compares.
 */
#if defined(__x86_64__)

#include "quant_x86.h"

/* ---- helpers --------------------------------------------------------------- */

/* Two blocks' 16 bytes of nibbles -> 64 codes in element order:
 * [A low | A high | B low | B high]. */
static inline __m512i nibbles2(const uint8_t *qs0, const uint8_t *qs1) {
    const __m256i t = _mm256_set_m128i(_mm_loadu_si128((const __m128i *)qs1), _mm_loadu_si128((const __m128i *)qs0));
    const __m512i z = _mm512_inserti64x4(_mm512_castsi256_si512(t), _mm256_srli_epi16(t, 4), 1);
    return _mm512_and_si512(_mm512_shuffle_i64x2(z, z, _MM_SHUFFLE(3, 1, 2, 0)), _mm512_set1_epi8(0x0F));
}

/* Two blocks' qh -> 0x10 in every byte whose fifth bit is set. */
static inline __m512i fifth_bits2(const uint8_t *qh0, const uint8_t *qh1) {
    const __mmask64 bits = (__mmask64)fc_rd32(qh0) | (__mmask64)fc_rd32(qh1) << 32;
    return _mm512_maskz_mov_epi8(bits, _mm512_set1_epi8(0x10));
}

static inline __m512i act_qs2(const fc_block_q8 *a) {
    return _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)a[0].qs)),
                              _mm256_loadu_si256((const __m256i *)a[1].qs), 1);
}

static inline __m512 dot_u8_s8(__m512i u, __m512i s) {
    return _mm512_cvtepi32_ps(_mm512_madd_epi16(_mm512_maddubs_epi16(u, s), _mm512_set1_epi16(1)));
}

/* signed weights: |w| times a with w's sign; exact for w = -128 */
static inline __m512 dot_s8_s8(__m512i w, __m512i a) {
    const __m512i sa = _mm512_mask_sub_epi8(a, _mm512_movepi8_mask(w), _mm512_setzero_si512(), a);
    return dot_u8_s8(_mm512_abs_epi8(w), sa);
}

/* lanes 0..7 = s0, 8..15 = s1 */
static inline __m512 scale2(float s0, float s1) {
    return _mm512_insertf32x8(_mm512_set1_ps(s0), _mm256_set1_ps(s1), 1);
}

/* ---- dots against FC_ACT_Q8 ------------------------------------------------ */

/* CODES2(i) gives the unsigned codes of blocks i and i + 1, D(i) the scale,
 * M(i) the offset (min, or -k*d for "_0"). Four blocks per step into two
 * accumulators; an odd last block takes the 256-bit form of the same step
 * (a pair load would read past the row). */
#define DOT_Q_LOOP(BT, CODES2, CODES1, D, M)                                        \
    const BT *b = row;                                                              \
    const fc_block_q8 *a = act;                                                     \
    const int64_t nb = n / FC_QK;                                                   \
    __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();                  \
    float mins0 = 0.0f, mins1 = 0.0f;                                               \
    int64_t i = 0;                                                                  \
    for (; i + 3 < nb; i += 4) {                                                    \
        const __m512 p0 = dot_u8_s8(CODES2(i), act_qs2(&a[i]));                     \
        const __m512 p1 = dot_u8_s8(CODES2(i + 2), act_qs2(&a[i + 2]));             \
        acc0 = _mm512_fmadd_ps(scale2(D(i) * a[i].d, D(i + 1) * a[i + 1].d), p0, acc0);             \
        acc1 = _mm512_fmadd_ps(scale2(D(i + 2) * a[i + 2].d, D(i + 3) * a[i + 3].d), p1, acc1);     \
        mins0 += M(i) * a[i].s + M(i + 1) * a[i + 1].s;                             \
        mins1 += M(i + 2) * a[i + 2].s + M(i + 3) * a[i + 3].s;                     \
    }                                                                               \
    for (; i + 1 < nb; i += 2) {                                                    \
        const __m512 p0 = dot_u8_s8(CODES2(i), act_qs2(&a[i]));                     \
        acc0 = _mm512_fmadd_ps(scale2(D(i) * a[i].d, D(i + 1) * a[i + 1].d), p0, acc0);             \
        mins0 += M(i) * a[i].s + M(i + 1) * a[i + 1].s;                             \
    }                                                                               \
    float tail = 0.0f;                                                              \
    if (i < nb) {                                                                   \
        const __m256i ya = _mm256_loadu_si256((const __m256i *)a[i].qs);            \
        const __m256i p16 = _mm256_maddubs_epi16(CODES1(i), ya);                    \
        const __m256 p = _mm256_cvtepi32_ps(_mm256_madd_epi16(p16, _mm256_set1_epi16(1)));          \
        tail = D(i) * a[i].d * hsum8(p) + M(i) * a[i].s;      \
    }                                                                               \
    return _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1)) + (mins0 + mins1) + tail

/* One block's codes, 256-bit (for the odd last block). */
static inline __m256i nibbles1(const uint8_t *qs) {
    const __m128i t = _mm_loadu_si128((const __m128i *)qs);
    return _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(t, 4), t), _mm256_set1_epi8(0x0F));
}
static inline __m256i fifth_bits1(const uint8_t *qh) {
    return _mm256_maskz_mov_epi8((__mmask32)fc_rd32(qh), _mm256_set1_epi8(0x10));
}

#define CODES4_2(i) nibbles2(b[i].qs, b[(i) + 1].qs)
#define CODES4_1(i) nibbles1(b[i].qs)
#define CODES5_2(i) _mm512_or_si512(nibbles2(b[i].qs, b[(i) + 1].qs), fifth_bits2(b[i].qh, b[(i) + 1].qh))
#define CODES5_1(i) _mm256_or_si256(nibbles1(b[i].qs), fifth_bits1(b[i].qh))
#define D16(i) f16(b[i].d)
#define M16(i) f16(b[i].m)
#define M_Q4_0(i) (-8.0f * f16(b[i].d))
#define M_Q5_0(i) (-16.0f * f16(b[i].d))

static float dot_q4_0(const void *row, const void *act, int64_t n) { DOT_Q_LOOP(blk_q4_0, CODES4_2, CODES4_1, D16, M_Q4_0); }
static float dot_q4_1(const void *row, const void *act, int64_t n) { DOT_Q_LOOP(blk_q4_1, CODES4_2, CODES4_1, D16, M16); }
static float dot_q5_0(const void *row, const void *act, int64_t n) { DOT_Q_LOOP(blk_q5_0, CODES5_2, CODES5_1, D16, M_Q5_0); }
static float dot_q5_1(const void *row, const void *act, int64_t n) { DOT_Q_LOOP(blk_q5_1, CODES5_2, CODES5_1, D16, M16); }

static inline __m512i q8_codes2(const blk_q8_0 *b) {
    return _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)b[0].qs)),
                              _mm256_loadu_si256((const __m256i *)b[1].qs), 1);
}

static float dot_q8_0(const void *row, const void *act, int64_t n) {
    const blk_q8_0 *b = row;
    const fc_block_q8 *a = act;
    const int64_t nb = n / FC_QK;
    __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
    int64_t i = 0;
    for (; i + 3 < nb; i += 4) {
        const __m512 p0 = dot_s8_s8(q8_codes2(&b[i]), act_qs2(&a[i]));
        const __m512 p1 = dot_s8_s8(q8_codes2(&b[i + 2]), act_qs2(&a[i + 2]));
        acc0 = _mm512_fmadd_ps(scale2(f16(b[i].d) * a[i].d, f16(b[i + 1].d) * a[i + 1].d), p0, acc0);
        acc1 = _mm512_fmadd_ps(scale2(f16(b[i + 2].d) * a[i + 2].d, f16(b[i + 3].d) * a[i + 3].d), p1, acc1);
    }
    for (; i + 1 < nb; i += 2) {
        const __m512 p0 = dot_s8_s8(q8_codes2(&b[i]), act_qs2(&a[i]));
        acc0 = _mm512_fmadd_ps(scale2(f16(b[i].d) * a[i].d, f16(b[i + 1].d) * a[i + 1].d), p0, acc0);
    }
    if (i < nb) { /* odd last block: upper half of the pair zeroed */
        const __m512i w = _mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)b[i].qs));
        const __m512i y = _mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)a[i].qs));
        const __m512 p0 = dot_s8_s8(_mm512_maskz_mov_epi64(0x0F, w), _mm512_maskz_mov_epi64(0x0F, y));
        acc0 = _mm512_fmadd_ps(scale2(f16(b[i].d) * a[i].d, 0.0f), p0, acc0);
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1));
}

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

/* ---- the table --------------------------------------------------------------- */

QUANT_TILE4_FROM_DOT(tile4_bf16, dot_bf16)


static const quant_traits AVX512[GGML_TYPE_COUNT] = {
    QUANT_ROW(GGML_TYPE_F32, quant_ref_dequant_f32, quant_ref_quantize_f32, dot_f32w, quant_avx2_tile4_f32),
    QUANT_ROW(GGML_TYPE_F16, dequant_f16, quantize_f16, dot_f16, quant_avx2_tile4_f16),
    QUANT_ROW(GGML_TYPE_BF16, quant_ref_dequant_bf16, quant_ref_quantize_bf16, dot_bf16, tile4_bf16),
    QUANT_ROW(GGML_TYPE_Q4_0, dequant_q4_0, quant_ref_quantize_q4_0, dot_q4_0, quant_avx2_tile4_q4_0),
    QUANT_ROW(GGML_TYPE_Q4_1, dequant_q4_1, quant_ref_quantize_q4_1, dot_q4_1, quant_avx2_tile4_q4_1),
    QUANT_ROW(GGML_TYPE_Q5_0, dequant_q5_0, quant_ref_quantize_q5_0, dot_q5_0, quant_avx2_tile4_q5_0),
    QUANT_ROW(GGML_TYPE_Q5_1, dequant_q5_1, quant_ref_quantize_q5_1, dot_q5_1, quant_avx2_tile4_q5_1),
    QUANT_ROW(GGML_TYPE_Q8_0, dequant_q8_0, quant_ref_quantize_q8_0, dot_q8_0, quant_avx2_tile4_q8_0),
    /* K-quants and IQ4 (quant_k_avx2.c) */
    QUANT_K_ROWS_AVX2,
};

const quant_kernels quant_kernels_avx512 = {AVX512, {act_q8, quant_avx2_act_q8k, vdot_f32, vaxpy_f32}};

#endif /* __x86_64__ */
