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

/* ---- 4x4 tiles (VNNI): four weight rows times four activation rows ---------- */

/* A 512-bit register holds 16 bytes of each of the four rows (128-bit lane
 * r = row r); one vpdpbusd against a 128-bit broadcast of a token's 16
 * activations gives in int32 lane (r, p) row r's sum over 4 of them. Each
 * token keeps its own float accumulator (lanes (r, p), summed over p once at
 * the end), so the unpacked weights serve four tokens and the activations
 * are broadcast loads: no transpose of the four tokens' sums per block (the
 * cost of the AVX2 tiles, quant_avx2.c). Per block and token: two vpdpbusd,
 * one conversion and one FMA with d_r * d_a (and one with the offset or min
 * m_r times s_a, lane (r, 0) only, for the 4/5-bit types).
 * Q8_0 weights are signed: the activations go in as unsigned a + 128 and
 * the sums start from -128 * (the weights' sums), so they stay exact. */

/* 16 bytes at off of four blocks, block r in lane r */
static inline __m512i rows4_16(const uint8_t *const p[4], size_t off) {
    const __m512i t = _mm512_castsi128_si512(_mm_loadu_si128((const __m128i *)(const void *)(p[0] + off)));
    const __m512i t1 = _mm512_inserti32x4(t, _mm_loadu_si128((const __m128i *)(const void *)(p[1] + off)), 1);
    const __m512i t2 = _mm512_inserti32x4(t1, _mm_loadu_si128((const __m128i *)(const void *)(p[2] + off)), 2);
    return _mm512_inserti32x4(t2, _mm_loadu_si128((const __m128i *)(const void *)(p[3] + off)), 3);
}
static inline __m512i bcast16b(const void *p) { return _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)p)); }

/* nibbles of four blocks: c0 = elements 0..15 (low nibbles), c1 = 16..31 */
#define VCODES4(BT, p, c0, c1)                                                                    \
    const __m512i z_ = rows4_16(p, offsetof(BT, qs));                                             \
    __m512i c0 = _mm512_and_si512(z_, _mm512_set1_epi8(0x0F));                                    \
    __m512i c1 = _mm512_and_si512(_mm512_srli_epi16(z_, 4), _mm512_set1_epi8(0x0F))
/* plus the fifth bits: bits 0..15 of each block's qh to c0's lane, 16..31 to c1's */
#define VCODES5(BT, p, c0, c1)                                                                    \
    VCODES4(BT, p, c0, c1);                                                                       \
    {                                                                                             \
        const uint64_t h0 = fc_rd32(p[0] + offsetof(BT, qh)), h1 = fc_rd32(p[1] + offsetof(BT, qh)); \
        const uint64_t h2 = fc_rd32(p[2] + offsetof(BT, qh)), h3 = fc_rd32(p[3] + offsetof(BT, qh)); \
        const __mmask64 m0 = (h0 & 0xFFFF) | (h1 & 0xFFFF) << 16 | (h2 & 0xFFFF) << 32 | (h3 & 0xFFFF) << 48; \
        const __mmask64 m1 = (h0 >> 16) | (h1 >> 16) << 16 | (h2 >> 16) << 32 | (h3 >> 16) << 48;   \
        c0 = _mm512_mask_add_epi8(c0, m0, c0, _mm512_set1_epi8(0x10));                            \
        c1 = _mm512_mask_add_epi8(c1, m1, c1, _mm512_set1_epi8(0x10));                            \
    }
#define VCODES8(BT, p, c0, c1)                                                                    \
    const __m512i c0 = rows4_16(p, offsetof(BT, qs)), c1 = rows4_16(p, offsetof(BT, qs) + 16)

/* (d, m) halves of the four blocks as in DOT_Q_LOOP: DM_PAIR for "_1" types, DM_DUP for "_0" */
#define VDM_PAIR(p, r) (int)fc_rd32(p[r])
#define VDM_DUP(p, r) (int)((uint32_t)fc_rd16(p[r]) * 0x10001u)

/* One loop for the five types: CODES unpacks, DM gives the (d, m) halves,
 * K multiplies m (1 for "_1" types, -k for "_0"), HAS_M adds m * s_a,
 * SIGNED marks Q8_0. */
#define TILE_V_LOOP(BT, CODES, DM, K, HAS_M, SIGNED)                                             \
    const uint8_t *br[4];                                                                         \
    const fc_block_q8 *ar[4];                                                                     \
    for (int r = 0; r < 4; r++) br[r] = (const uint8_t *)rows + (size_t)r * row_stride;           \
    for (int t = 0; t < 4; t++) ar[t] = (const fc_block_q8 *)(const void *)((const uint8_t *)act + (size_t)t * act_stride); \
    /* macc: the m * s_a terms apart, so each accumulator takes one FMA per block */            \
    __m512 acc[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()}; \
    __m512 macc[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()}; \
    const __m512i idx_d = _mm512_setr_epi32(0, 0, 0, 0, 2, 2, 2, 2, 4, 4, 4, 4, 6, 6, 6, 6);    \
    const __m512i idx_m = _mm512_setr_epi32(1, 1, 1, 1, 3, 3, 3, 3, 5, 5, 5, 5, 7, 7, 7, 7);    \
    for (int64_t i = 0; i < n / FC_QK; i++) {                                                     \
        const uint8_t *p[4] = {br[0] + i * (int64_t)sizeof(BT), br[1] + i * (int64_t)sizeof(BT),  \
                               br[2] + i * (int64_t)sizeof(BT), br[3] + i * (int64_t)sizeof(BT)}; \
        CODES(BT, p, c0, c1);                                                                     \
        const __m512 dm = _mm512_castps256_ps512(_mm256_cvtph_ps(_mm_setr_epi32(DM(p, 0), DM(p, 1), DM(p, 2), DM(p, 3)))); \
        const __m512 dv = _mm512_permutexvar_ps(idx_d, dm);                                       \
        const __m512 mv = _mm512_mul_ps(_mm512_maskz_permutexvar_ps(0x1111, idx_m, dm), _mm512_set1_ps(K)); \
        __m512i s0 = _mm512_setzero_si512();                                                      \
        if (SIGNED) {                                                                             \
            const __m512i one = _mm512_set1_epi8(1);                                              \
            const __m512i ws = _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(s0, one, c0), one, c1);    \
            s0 = _mm512_sub_epi32(s0, _mm512_slli_epi32(ws, 7));                                  \
        }                                                                                         \
        _Pragma("GCC unroll 4")                                                                   \
        for (int t = 0; t < 4; t++) {                                                             \
            const fc_block_q8 *a = &ar[t][i];                                                     \
            __m512i a0 = bcast16b(a->qs), a1 = bcast16b(a->qs + 16);                              \
            if (SIGNED) {                                                                         \
                a0 = _mm512_xor_si512(a0, _mm512_set1_epi8((char)0x80));                          \
                a1 = _mm512_xor_si512(a1, _mm512_set1_epi8((char)0x80));                          \
                const __m512i sum = _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(s0, a0, c0), a1, c1); \
                acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sum), _mm512_mul_ps(dv, _mm512_set1_ps(a->d)), acc[t]); \
            } else {                                                                              \
                const __m512i sum = _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(s0, c0, a0), c1, a1); \
                acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sum), _mm512_mul_ps(dv, _mm512_set1_ps(a->d)), acc[t]); \
            }                                                                                     \
            if (HAS_M) macc[t] = _mm512_fmadd_ps(mv, _mm512_set1_ps(a->s), macc[t]);               \
        }                                                                                         \
    }                                                                                             \
    for (int t = 0; t < 4; t++) {                                                                 \
        float v[16];                                                                              \
        _mm512_storeu_ps(v, _mm512_add_ps(acc[t], macc[t]));                                     \
        for (int r = 0; r < 4; r++) out[(size_t)t * out_stride + r] = (v[4 * r] + v[4 * r + 1]) + (v[4 * r + 2] + v[4 * r + 3]); \
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
    QUANT_ROW(GGML_TYPE_Q4_0, dequant_q4_0, quant_ref_quantize_q4_0, dot_q4_0, tile4_q4_0),
    QUANT_ROW(GGML_TYPE_Q4_1, dequant_q4_1, quant_ref_quantize_q4_1, dot_q4_1, tile4_q4_1),
    QUANT_ROW(GGML_TYPE_Q5_0, dequant_q5_0, quant_ref_quantize_q5_0, dot_q5_0, tile4_q5_0),
    QUANT_ROW(GGML_TYPE_Q5_1, dequant_q5_1, quant_ref_quantize_q5_1, dot_q5_1, tile4_q5_1),
    QUANT_ROW(GGML_TYPE_Q8_0, dequant_q8_0, quant_ref_quantize_q8_0, dot_q8_0, tile4_q8_0),
    /* K-quants and IQ4 (quant_k_avx2.c, quant_k_avx512.c) */
    QUANT_K_ROWS_AVX512,
};

const quant_kernels quant_kernels_avx512 = {AVX512, {act_q8, quant_avx2_act_q8k, vdot_f32, vaxpy_f32}};

#endif /* __x86_64__ */
