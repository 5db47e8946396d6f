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
/* AVX2 tiles (quant_avx2.c), shared by the AVX-512 table: 512-bit integer
 * ops measured no faster on Zen 4. */
void quant_avx2_tile4_q4_0(const void *, size_t, const void *, size_t, int64_t, float *, size_t);
void quant_avx2_tile4_q4_1(const void *, size_t, const void *, size_t, int64_t, float *, size_t);
void quant_avx2_tile4_q5_0(const void *, size_t, const void *, size_t, int64_t, float *, size_t);
void quant_avx2_tile4_q5_1(const void *, size_t, const void *, size_t, int64_t, float *, size_t);
void quant_avx2_tile4_q8_0(const void *, size_t, const void *, size_t, int64_t, float *, size_t);
void quant_avx2_tile4_f32(const void *, size_t, const void *, size_t, int64_t, float *, size_t);
void quant_avx2_tile4_f16(const void *, size_t, const void *, size_t, int64_t, float *, size_t);
#endif

#endif
