/* quant_impl — private to src/engine/quant*.c: the GGML block structs, the
 * per-ISA kernel tables and the scalar kernels the SIMD tables fall back to.
 *
 * Block structs hold only byte arrays so that a block may sit at any address
 * (rows of 18- or 20-byte blocks are unaligned by nature); f16 fields are
 * read with fc_rd16(). Layouts are ggml's (ggml-common.h), little-endian.
 * Immutable data, thread-safe.
 */
#ifndef FC_QUANT_IMPL_H
#define FC_QUANT_IMPL_H

#include <string.h>

#include "quant.h"

#define FC_QK 32 /* elements per block of the five legacy quant types */

typedef struct { uint8_t d[2]; uint8_t qs[16]; } blk_q4_0;             /* x = d * (q - 8) */
typedef struct { uint8_t d[2], m[2]; uint8_t qs[16]; } blk_q4_1;       /* x = d * q + m */
typedef struct { uint8_t d[2]; uint8_t qh[4]; uint8_t qs[16]; } blk_q5_0;       /* x = d * (q - 16) */
typedef struct { uint8_t d[2], m[2]; uint8_t qh[4]; uint8_t qs[16]; } blk_q5_1; /* x = d * q + m */
typedef struct { uint8_t d[2]; int8_t qs[32]; } blk_q8_0;              /* x = d * q */
/* Nibble layout (Q4/Q5): qs[j] low nibble is element j, high nibble element
 * j + 16. Q5 fifth bits: bit j of the little-endian uint32 qh is element j. */
_Static_assert(sizeof(blk_q4_0) == 18, "block_q4_0 is 18 bytes");
_Static_assert(sizeof(blk_q4_1) == 20, "block_q4_1 is 20 bytes");
_Static_assert(sizeof(blk_q5_0) == 22, "block_q5_0 is 22 bytes");
_Static_assert(sizeof(blk_q5_1) == 24, "block_q5_1 is 24 bytes");
_Static_assert(sizeof(blk_q8_0) == 34, "block_q8_0 is 34 bytes");

/* K-quants and IQ4 (super-blocks of 256 elements, FC_QK_K; IQ4_NL blocks of
 * 32). Element e of a super-block: see quant_k_ref.c for where its code,
 * scale and offset live; the scale of Q2_K, Q3_K and Q6_K covers 16 elements
 * (e / 16), that of Q4_K, Q5_K and IQ4_XS 32 (e / 32). */
typedef struct { uint8_t scales[16]; uint8_t qs[64]; uint8_t d[2], dmin[2]; } blk_q2_k;  /* d*(sc&15)*q - dmin*(sc>>4) */
typedef struct { uint8_t hmask[32]; uint8_t qs[64]; uint8_t scales[12]; uint8_t d[2]; } blk_q3_k; /* d*(sc-32)*(q-4) */
typedef struct { uint8_t d[2], dmin[2]; uint8_t scales[12]; uint8_t qs[128]; } blk_q4_k; /* d*sc*q - dmin*m */
typedef struct { uint8_t d[2], dmin[2]; uint8_t scales[12]; uint8_t qh[32]; uint8_t qs[128]; } blk_q5_k;
typedef struct { uint8_t ql[128]; uint8_t qh[64]; int8_t scales[16]; uint8_t d[2]; } blk_q6_k; /* d*sc*(q-32) */
typedef struct { uint8_t d[2]; uint8_t qs[16]; } blk_iq4_nl;                                 /* d*kv[q] */
typedef struct { uint8_t d[2]; uint8_t scales_h[2]; uint8_t scales_l[4]; uint8_t qs[128]; } blk_iq4_xs; /* d*(ls-32)*kv[q] */
_Static_assert(sizeof(blk_q2_k) == 84, "block_q2_K is 84 bytes");
_Static_assert(sizeof(blk_q3_k) == 110, "block_q3_K is 110 bytes");
_Static_assert(sizeof(blk_q4_k) == 144, "block_q4_K is 144 bytes");
_Static_assert(sizeof(blk_q5_k) == 176, "block_q5_K is 176 bytes");
_Static_assert(sizeof(blk_q6_k) == 210, "block_q6_K is 210 bytes");
_Static_assert(sizeof(blk_iq4_nl) == 18, "block_iq4_nl is 18 bytes");
_Static_assert(sizeof(blk_iq4_xs) == 136, "block_iq4_xs is 136 bytes");

/* The 16 non-linear levels of IQ4_NL and IQ4_XS (ggml's kvalues_iq4nl). */
extern const int8_t quant_iq4_levels[16];

static inline uint16_t fc_rd16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static inline uint32_t fc_rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static inline void fc_wr16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }

/* Everything one instruction set provides. traits has GGML_TYPE_COUNT rows;
 * a row with name == NULL is a type the engine cannot run. */
typedef struct quant_kernels {
    const quant_traits *traits;
    quant_ops ops;
} quant_kernels;

extern const quant_kernels quant_kernels_ref;
#if defined(__x86_64__)
extern const quant_kernels quant_kernels_avx2;
extern const quant_kernels quant_kernels_avx512;
extern const quant_kernels quant_kernels_avx512w; /* the same, with the 512-bit dots of the 4/5/8-bit types */
#endif

/* Scalar kernels (quant_ref.c), shared by the SIMD tables where a type has
 * no faster version. */
void quant_ref_dequant_f32(const void *row, float *out, int64_t n);
void quant_ref_dequant_f16(const void *row, float *out, int64_t n);
void quant_ref_dequant_bf16(const void *row, float *out, int64_t n);
void quant_ref_dequant_q4_0(const void *row, float *out, int64_t n);
void quant_ref_dequant_q4_1(const void *row, float *out, int64_t n);
void quant_ref_dequant_q5_0(const void *row, float *out, int64_t n);
void quant_ref_dequant_q5_1(const void *row, float *out, int64_t n);
void quant_ref_dequant_q8_0(const void *row, float *out, int64_t n);

void quant_ref_quantize_f32(const float *x, void *row, int64_t n);
void quant_ref_quantize_f16(const float *x, void *row, int64_t n);
void quant_ref_quantize_bf16(const float *x, void *row, int64_t n);
void quant_ref_quantize_q4_0(const float *x, void *row, int64_t n);
void quant_ref_quantize_q4_1(const float *x, void *row, int64_t n);
void quant_ref_quantize_q5_0(const float *x, void *row, int64_t n);
void quant_ref_quantize_q5_1(const float *x, void *row, int64_t n);
void quant_ref_quantize_q8_0(const float *x, void *row, int64_t n);

float quant_ref_dot_bf16(const void *row, const void *act, int64_t n);

/* Round to nearest, ties to even, for |v| < 2^22: adding 1.5 * 2^23 pushes
 * the fraction out of the mantissa under the default rounding mode (what the
 * SIMD round instructions do, so activation quantizers match bit for bit). */
static inline int quant_round_even(float v) {
    const float r = (v + 12582912.0f) - 12582912.0f;
    return (int)r;
}

/* K-quants and IQ4 (quant_k_ref.c): scalar kernels, the activation quantizer
 * FC_ACT_Q8K, and the 6-bit scale unpacking shared with the SIMD files. */
#define QUANT_K_TYPES(X) X(q2_k) X(q3_k) X(q4_k) X(q5_k) X(q6_k) X(iq4_nl) X(iq4_xs)
#define QUANT_K_DECL(t)                                                   \
    void quant_ref_dequant_##t(const void *row, float *out, int64_t n);  \
    void quant_ref_quantize_##t(const float *x, void *row, int64_t n);   \
    float quant_ref_dot_##t(const void *row, const void *act, int64_t n);
QUANT_K_TYPES(QUANT_K_DECL)
void quant_ref_act_q8k(const float *x, fc_block_q8k *out, int64_t n);
/* Q4_K/Q5_K: scale and min of sub-block j (0..7), 6 bits each. */
static inline void quant_k4_scale_min(const uint8_t s[12], int j, int *sc, int *m) {
    if (j < 4) { *sc = s[j] & 63; *m = s[j + 4] & 63; }
    else { *sc = (s[j + 4] & 0x0F) | ((s[j - 4] >> 6) << 4); *m = (s[j + 4] >> 4) | ((s[j] >> 6) << 4); }
}
/* Q3_K: the 16 signed scales (6-bit codes minus 32). */
static inline void quant_q3k_scales(const uint8_t s[12], int out[16]) {
    for (int i = 0; i < 16; i++) {
        const int lo = i < 8 ? s[i] & 0x0F : s[i - 8] >> 4, hi = (s[8 + i % 4] >> (2 * (i / 4))) & 3;
        out[i] = (lo | hi << 4) - 32;
    }
}
/* IQ4_XS: the 8 signed sub-block scales (6-bit codes minus 32). */
static inline void quant_iq4xs_scales(const blk_iq4_xs *b, int out[8]) {
    const unsigned h = fc_rd16(b->scales_h);
    for (int i = 0; i < 8; i++) out[i] = (((b->scales_l[i / 2] >> (4 * (i % 2))) & 0x0F) | (int)(((h >> (2 * i)) & 3) << 4)) - 32;
}

/* A row of a kernel table (quant_ref.c, quant_avx2.c, quant_avx512.c): the
 * type's facts, written once below, then one instruction set's kernels
 * (dot_rows NULL; QUANT_ROW_DR with a dot_rows: the AVX2 rows of
 * the 4/5/8-bit types, the AVX-512 Q4_K and Q6_K rows). */
#define QUANT_ROW(id, dequant, quantize, dot, tile4) [id] = {id, QUANT_FACTS_##id, dequant, quantize, dot, NULL, tile4, NULL, false}
#define QUANT_ROW_DR(id, dequant, quantize, dot, dot_rows, tile4) \
    [id] = {id, QUANT_FACTS_##id, dequant, quantize, dot, dot_rows, tile4, NULL, false}
/* with a dot4 (one row x four tokens, the dot's bits: the AVX2 Q6_K), or with tile_bits
 * (the dot computes the tile's arithmetic: the AVX2 Q4_K and Q5_K) */
#define QUANT_ROW_D4(id, dequant, quantize, dot, tile4, dot4) \
    [id] = {id, QUANT_FACTS_##id, dequant, quantize, dot, NULL, tile4, dot4, false}
#define QUANT_ROW_TB(id, dequant, quantize, dot, dot_rows, tile4) \
    [id] = {id, QUANT_FACTS_##id, dequant, quantize, dot, dot_rows, tile4, NULL, true}
/* name, elements per block, bytes per block, the activation format the dot wants */
#define QUANT_FACTS_GGML_TYPE_F32    "F32", 1, 4, FC_ACT_F32
#define QUANT_FACTS_GGML_TYPE_F16    "F16", 1, 2, FC_ACT_F32
#define QUANT_FACTS_GGML_TYPE_BF16   "BF16", 1, 2, FC_ACT_F32
#define QUANT_FACTS_GGML_TYPE_Q4_0   "Q4_0", 32, 18, FC_ACT_Q8
#define QUANT_FACTS_GGML_TYPE_Q4_1   "Q4_1", 32, 20, FC_ACT_Q8
#define QUANT_FACTS_GGML_TYPE_Q5_0   "Q5_0", 32, 22, FC_ACT_Q8
#define QUANT_FACTS_GGML_TYPE_Q5_1   "Q5_1", 32, 24, FC_ACT_Q8
#define QUANT_FACTS_GGML_TYPE_Q8_0   "Q8_0", 32, 34, FC_ACT_Q8
#define QUANT_FACTS_GGML_TYPE_Q2_K   "Q2_K", 256, 84, FC_ACT_Q8K
#define QUANT_FACTS_GGML_TYPE_Q3_K   "Q3_K", 256, 110, FC_ACT_Q8K
#define QUANT_FACTS_GGML_TYPE_Q4_K   "Q4_K", 256, 144, FC_ACT_Q8K
#define QUANT_FACTS_GGML_TYPE_Q5_K   "Q5_K", 256, 176, FC_ACT_Q8K
#define QUANT_FACTS_GGML_TYPE_Q6_K   "Q6_K", 256, 210, FC_ACT_Q8K
#define QUANT_FACTS_GGML_TYPE_IQ4_NL "IQ4_NL", 32, 18, FC_ACT_Q8
#define QUANT_FACTS_GGML_TYPE_IQ4_XS "IQ4_XS", 256, 136, FC_ACT_Q8K
/* The K-quant and IQ4 rows, the same in every table: scalar dequantize and
 * quantize (the engine only dequantizes in exact mode and for embeddings),
 * the dots DOT##t and the tiles tile4_##t the including file defines. */
#define QUANT_K_ROW(id, t, DOT) QUANT_ROW(id, quant_ref_dequant_##t, quant_ref_quantize_##t, DOT##t, tile4_##t)
#define QUANT_K_ROWS(DOT)                                                                          \
    QUANT_K_ROW(GGML_TYPE_Q2_K, q2_k, DOT), QUANT_K_ROW(GGML_TYPE_Q3_K, q3_k, DOT),                 \
    QUANT_K_ROW(GGML_TYPE_Q4_K, q4_k, DOT), QUANT_K_ROW(GGML_TYPE_Q5_K, q5_k, DOT),                 \
    QUANT_K_ROW(GGML_TYPE_Q6_K, q6_k, DOT), QUANT_K_ROW(GGML_TYPE_IQ4_NL, iq4_nl, DOT),             \
    QUANT_K_ROW(GGML_TYPE_IQ4_XS, iq4_xs, DOT)

/* The 4x4 tile as 16 dots (the scalar definition of tile4). */
static inline void quant_tile4_dots(quant_dot_fn dot, const void *rows, size_t row_stride, const void *act,
                                    size_t act_stride, int64_t n, float *out, size_t out_stride) {
    for (int t = 0; t < 4; t++)
        for (int r = 0; r < 4; r++)
            out[(size_t)t * out_stride + r] = dot((const uint8_t *)rows + (size_t)r * row_stride,
                                                  (const uint8_t *)act + (size_t)t * act_stride, n);
}
/* Defines static void NAME(...) as a tile4 made of 16 calls of DOT. */
#define QUANT_TILE4_FROM_DOT(NAME, DOT)                                                             \
    static void NAME(const void *rows, size_t row_stride, const void *act, size_t act_stride,       \
                     int64_t n, float *out, size_t out_stride) {                                    \
        quant_tile4_dots(DOT, rows, row_stride, act, act_stride, n, out, out_stride);               \
    }

#if defined(__x86_64__)
/* AVX2 tiles (quant_avx2.c), the AVX-512 table's too (the repacked tiles
 * share their arithmetic). The dots of the 4/5/8-bit types are each table's
 * own, from one source (quant_dotq_x86.h). */
void quant_avx2_tile4_q4_0(const void *, size_t, const void *, size_t, int64_t, float *, size_t);
void quant_avx2_tile4_q4_1(const void *, size_t, const void *, size_t, int64_t, float *, size_t);
void quant_avx2_tile4_q5_0(const void *, size_t, const void *, size_t, int64_t, float *, size_t);
void quant_avx2_tile4_q5_1(const void *, size_t, const void *, size_t, int64_t, float *, size_t);
void quant_avx2_tile4_q8_0(const void *, size_t, const void *, size_t, int64_t, float *, size_t);
void quant_avx2_tile4_f32(const void *, size_t, const void *, size_t, int64_t, float *, size_t);
void quant_avx2_tile4_f16(const void *, size_t, const void *, size_t, int64_t, float *, size_t);
/* K-quant and IQ4 dots and the FC_ACT_Q8K quantizer (quant_k_avx2.c); the
 * AVX-512 table shares the quantizer (its K dots are its own). */
#define QUANT_K_AVX2_DECL(t) float quant_avx2_dot_##t(const void *row, const void *act, int64_t n);
QUANT_K_TYPES(QUANT_K_AVX2_DECL)
void quant_avx2_act_q8k(const float *x, fc_block_q8k *out, int64_t n);
/* The AVX2 tiles of every K type (quant_k_avx2.c); the IQ4 ones compute the
 * repacked tiles' arithmetic. */
#define QUANT_K_AVX2_TILE_DECL(t) \
    void quant_avx2_tile4_##t(const void *, size_t, const void *, size_t, int64_t, float *, size_t);
QUANT_K_TYPES(QUANT_K_AVX2_TILE_DECL)
#define QUANT_K_ROW_AVX2(id, t) \
    QUANT_ROW(id, quant_ref_dequant_##t, quant_ref_quantize_##t, quant_avx2_dot_##t, quant_avx2_tile4_##t)
void quant_avx2_dot4_q6_k(const void *row, const void *const act[4], int64_t n, float out[4]);
#define QUANT_K_ROW_AVX2_D4(id, t) \
    QUANT_ROW_D4(id, quant_ref_dequant_##t, quant_ref_quantize_##t, quant_avx2_dot_##t, quant_avx2_tile4_##t, quant_avx2_dot4_##t)
void quant_avx2_dot_rows_q4_k(const void *rows, size_t row_stride, int n_rows, const void *act, int64_t n, float *out);
void quant_avx2_dot_rows_q5_k(const void *rows, size_t row_stride, int n_rows, const void *act, int64_t n, float *out);
#define QUANT_K_ROW_AVX2_TB(id, t) \
    QUANT_ROW_TB(id, quant_ref_dequant_##t, quant_ref_quantize_##t, quant_avx2_dot_##t, quant_avx2_dot_rows_##t, quant_avx2_tile4_##t)
#define QUANT_K_ROWS_AVX2                                                                           \
    QUANT_K_ROW_AVX2(GGML_TYPE_Q2_K, q2_k), QUANT_K_ROW_AVX2(GGML_TYPE_Q3_K, q3_k),                 \
    QUANT_K_ROW_AVX2_TB(GGML_TYPE_Q4_K, q4_k), QUANT_K_ROW_AVX2_TB(GGML_TYPE_Q5_K, q5_k),           \
    QUANT_K_ROW_AVX2_D4(GGML_TYPE_Q6_K, q6_k), QUANT_K_ROW_AVX2(GGML_TYPE_IQ4_NL, iq4_nl),             \
    QUANT_K_ROW_AVX2(GGML_TYPE_IQ4_XS, iq4_xs)
/* The AVX-512 table's K rows: the AVX-512 VNNI dots of every K and IQ4 type
 * (quant_k_avx512.c: Q4_K, Q6_K, with a two-stream dot_rows for generation;
 * quant_k235_avx512.c: Q2_K, Q3_K, Q5_K; quant_iq4_avx512.c: IQ4_XS;
 * quant_avx512.c: IQ4_NL, with the 4-bit types' paired dot_rows) and VNNI 4x4 tiles of Q2_K, Q3_K and the IQ4 types (these with the
 * repacked tiles' arithmetic); Q4_K, Q5_K and Q6_K take the AVX2 4x4 tiles,
 * whose arithmetic the repacked tiles share (quant_repack_avx512.c). */
#define QUANT_K_AVX512_DOT_DECL(t) float quant_avx512_dot_##t(const void *row, const void *act, int64_t n);
QUANT_K_TYPES(QUANT_K_AVX512_DOT_DECL)
#define QUANT_K_AVX512_TILE_DECL(t) \
    void quant_avx512_tile4_##t(const void *, size_t, const void *, size_t, int64_t, float *, size_t);
QUANT_K_AVX512_TILE_DECL(q2_k)
QUANT_K_AVX512_TILE_DECL(q3_k)
QUANT_K_AVX512_TILE_DECL(iq4_nl)
QUANT_K_AVX512_TILE_DECL(iq4_xs)
void quant_avx512_dot_rows_q4_k(const void *rows, size_t row_stride, int n_rows, const void *act, int64_t n, float *out);
void quant_avx512_dot_rows_q6_k(const void *rows, size_t row_stride, int n_rows, const void *act, int64_t n, float *out);
/* IQ4_NL's dot and paired dot_rows: the 4-bit types' (quant_dotq_x86.h), in quant_avx512.c */
void quant_avx512_dot_rows_iq4_nl(const void *rows, size_t row_stride, int n_rows, const void *act, int64_t n, float *out);
#define QUANT_K_ROW_AVX512(id, t) \
    QUANT_ROW(id, quant_ref_dequant_##t, quant_ref_quantize_##t, quant_avx512_dot_##t, quant_avx512_tile4_##t)
#define QUANT_K_ROW_AVX512_T2(id, t, dot_rows) \
    QUANT_ROW_DR(id, quant_ref_dequant_##t, quant_ref_quantize_##t, quant_avx512_dot_##t, dot_rows, quant_avx2_tile4_##t)
#define QUANT_K_ROWS_AVX512                                                                         \
    QUANT_K_ROW_AVX512(GGML_TYPE_Q2_K, q2_k), QUANT_K_ROW_AVX512(GGML_TYPE_Q3_K, q3_k),             \
    QUANT_K_ROW_AVX512_T2(GGML_TYPE_Q4_K, q4_k, quant_avx512_dot_rows_q4_k),                        \
    QUANT_K_ROW_AVX512_T2(GGML_TYPE_Q5_K, q5_k, NULL),                                              \
    QUANT_K_ROW_AVX512_T2(GGML_TYPE_Q6_K, q6_k, quant_avx512_dot_rows_q6_k),                        \
    QUANT_ROW_DR(GGML_TYPE_IQ4_NL, quant_ref_dequant_iq4_nl, quant_ref_quantize_iq4_nl, quant_avx512_dot_iq4_nl,    \
                 quant_avx512_dot_rows_iq4_nl, quant_avx512_tile4_iq4_nl),                                           \
    QUANT_K_ROW_AVX512(GGML_TYPE_IQ4_XS, iq4_xs)
#endif

#endif
