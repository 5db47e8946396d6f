/* quant_repack — private to src/engine/quant*.c: the repacked weight layouts
 * of the prompt path (quant.h, quant_repack_*), one per ISA and type.
 *
 * One layout set, MEM_REPACK_X8 (packed by quant_repack_avx2.c), read by
 * the AVX2 tiles there, the AVX-512 VNNI tiles of quant_repack_avx512.c and
 * the AMX-INT8 tiles of quant_repack_amx.c; groups of 8 consecutive rows:
 *   Q4_K: one blk_q4_kx8 per super-block of 256 values (1280 bytes for the
 *         eight rows' 8 x 144 = 1152);
 *   Q5_K: one blk_q5_kx8 per super-block (1536 bytes for 8 x 176 = 1408:
 *         Q4_K's layout and the fifth bits interleaved the same way);
 *   Q6_K: one blk_q6_kx8 per super-block (2464 bytes for 8 x 210 = 1680:
 *         the 6-bit codes as bytes, the scales twice over);
 *   Q5_0: one blk_q5_0x8 per block of 32 values (288 bytes for 8 x 22 =
 *         176: the 5-bit codes as bytes); Q5_1 likewise with the mins
 *         (blk_q5_1x8, 320 bytes for 8 x 24 = 192);
 *   Q8_0: one blk_q8_0x8 per block of 32 values (288 bytes for 8 x 34 =
 *         272);
 *   Q4_0: one blk_q4_0x8 per block of 32 values (160 bytes for 8 x 18 =
 *         144: the nibbles stay packed); Q4_1 likewise with the mins
 *         (blk_q4_1x8, 192 bytes for 8 x 20 = 160); IQ4_NL the same
 *         layout as Q4_0 (blk_iq4_nlx8: its blocks are Q4_0's bytes, the
 *         nibbles index the levels instead of minus 8);
 *   IQ4_XS: one blk_iq4_xsx8 per super-block of 256 values (1184 bytes for
 *         8 x 136 = 1088: the nibbles packed, the 6-bit scales as bytes). */
#ifndef FC_QUANT_REPACK_H
#define FC_QUANT_REPACK_H

#include "quant_impl.h"

typedef struct {
    float d[8], dmin[8];   /* the rows' f16 scales as floats */
    uint8_t sc[8][16];     /* sub-block s: row r's 6-bit scale at bytes 2r and 2r + 1 */
    uint8_t mn[4][16];     /* sub-blocks 2p, 2p + 1: row r's mins at bytes 2r, 2r + 1 */
    uint8_t qs[1024];      /* [j 0..3][c 0..7][r 0..7][4]: row r's qs[32j + 4c .. + 4] */
} blk_q4_kx8;
_Static_assert(sizeof(blk_q4_kx8) == 1280, "blk_q4_kx8 is 1280 bytes");

typedef struct {
    blk_q4_kx8 k4;         /* d, dmin, scales, mins, the low four bits of the codes: as Q4_K's */
    uint8_t qh[256];       /* [c 0..7][r 0..7][4]: row r's qh[4c .. 4c + 4] (bit s: sub-block s's element) */
} blk_q5_kx8;
_Static_assert(sizeof(blk_q5_kx8) == 1536, "blk_q5_kx8 is 1536 bytes");

typedef struct {
    float d[8];            /* the rows' f16 scales as floats */
    int8_t sc[16][16];     /* sub-block s: row r's scale at bytes 2r and 2r + 1 */
    int8_t sp[8][16];      /* sub-blocks 2p, 2p + 1: row r's scales at bytes 2r, 2r + 1 */
    uint8_t qs[2048];      /* [h 0..1][k 0..3][c 0..7][r 0..7][4]: row r's codes (value + 32, 0..63) of
                            * elements 128h + 32k + 4c .. + 3 */
} blk_q6_kx8;
_Static_assert(sizeof(blk_q6_kx8) == 2464, "blk_q6_kx8 is 2464 bytes");

typedef struct {
    float d[8];            /* the rows' f16 scales as floats */
    uint8_t qs[256];       /* [c 0..7][r 0..7][4]: row r's codes (0..31) of elements 4c .. 4c + 3 */
} blk_q5_0x8;
_Static_assert(sizeof(blk_q5_0x8) == 288, "blk_q5_0x8 is 288 bytes");

typedef struct {
    float d[8];            /* the rows' f16 scales as floats */
    int8_t qs[256];        /* [c 0..7][r 0..7][4]: row r's qs[4c .. 4c + 4] */
} blk_q8_0x8;
_Static_assert(sizeof(blk_q8_0x8) == 288, "blk_q8_0x8 is 288 bytes");

typedef struct {
    float d[8], m[8];      /* the rows' f16 scales and mins as floats */
    uint8_t qs[256];       /* as blk_q5_0x8's */
} blk_q5_1x8;
_Static_assert(sizeof(blk_q5_1x8) == 320, "blk_q5_1x8 is 320 bytes");

typedef struct {
    float d[8];            /* the rows' f16 scales as floats */
    uint8_t qs[128];       /* [c 0..3][r 0..7][4]: row r's qs[4c .. 4c + 4]: low nibbles elements
                            * 4c .. 4c + 3, high nibbles elements 16 + 4c .. 16 + 4c + 3 */
} blk_q4_0x8;
_Static_assert(sizeof(blk_q4_0x8) == 160, "blk_q4_0x8 is 160 bytes");

typedef struct {
    float d[8], m[8];      /* the rows' f16 scales and mins as floats */
    uint8_t qs[128];       /* as blk_q4_0x8's */
} blk_q4_1x8;
_Static_assert(sizeof(blk_q4_1x8) == 192, "blk_q4_1x8 is 192 bytes");

typedef blk_q4_0x8 blk_iq4_nlx8; /* d, then the nibbles as Q4_0's: the levels' indices */

typedef struct {
    float d[8];            /* the rows' f16 scales as floats */
    int8_t sc[8][16];      /* sub-block s: row r's scale (-32..31) at bytes 2r and 2r + 1 */
    uint8_t qs[1024];      /* [s 0..7][c 0..3][r 0..7][4]: row r's qs[16s + 4c .. + 4]: low nibbles elements
                            * 32s + 4c .. + 3, high nibbles 32s + 16 + 4c .. + 3 */
} blk_iq4_xsx8;
_Static_assert(sizeof(blk_iq4_xsx8) == 1184, "blk_iq4_xsx8 is 1184 bytes");

#if defined(__x86_64__)
void quant_avx2_repack_q5_0(const void *src, size_t row_stride, int64_t n_in, void *dst);
void quant_avx2_tile_q5_0x8(const void *w, const void *act, size_t act_stride, int64_t n, int n_tok, float *out,
                            size_t out_stride);
void quant_avx2_repack_q5_1(const void *src, size_t row_stride, int64_t n_in, void *dst);
void quant_avx2_tile_q5_1x8(const void *w, const void *act, size_t act_stride, int64_t n, int n_tok, float *out,
                            size_t out_stride);
void quant_avx2_repack_q8_0(const void *src, size_t row_stride, int64_t n_in, void *dst);
void quant_avx2_tile_q8_0x8(const void *w, const void *act, size_t act_stride, int64_t n, int n_tok, float *out,
                            size_t out_stride);
void quant_avx2_repack_q4_0(const void *src, size_t row_stride, int64_t n_in, void *dst);
void quant_avx2_tile_q4_0x8(const void *w, const void *act, size_t act_stride, int64_t n, int n_tok, float *out,
                            size_t out_stride);
void quant_avx2_repack_q4_1(const void *src, size_t row_stride, int64_t n_in, void *dst);
void quant_avx2_tile_q4_1x8(const void *w, const void *act, size_t act_stride, int64_t n, int n_tok, float *out,
                            size_t out_stride);
void quant_avx2_repack_q5_k(const void *src, size_t row_stride, int64_t n_in, void *dst);
void quant_avx2_tile_q5_kx8(const void *w, const void *act, size_t act_stride, int64_t n, int n_tok, float *out,
                            size_t out_stride);
void quant_avx2_repack_q6_k(const void *src, size_t row_stride, int64_t n_in, void *dst);
void quant_avx2_tile_q6_kx8(const void *w, const void *act, size_t act_stride, int64_t n, int n_tok, float *out,
                            size_t out_stride);
void quant_avx2_repack_q4_k(const void *src, size_t row_stride, int64_t n_in, void *dst);
void quant_avx2_tile_q4_kx8(const void *w, const void *act, size_t act_stride, int64_t n, int n_tok, float *out,
                            size_t out_stride);
void quant_avx2_repack_iq4_nl(const void *src, size_t row_stride, int64_t n_in, void *dst);
void quant_avx2_tile_iq4_nlx8(const void *w, const void *act, size_t act_stride, int64_t n, int n_tok, float *out,
                              size_t out_stride);
void quant_avx2_repack_iq4_xs(const void *src, size_t row_stride, int64_t n_in, void *dst);
void quant_avx2_tile_iq4_xsx8(const void *w, const void *act, size_t act_stride, int64_t n, int n_tok, float *out,
                              size_t out_stride);
/* AVX-512 VNNI tiles over the same layouts (quant_repack_avx512.c): the AVX2
 * tiles' results bit for bit, for the AVX-512 table */
#define QUANT_AVX512_RTILE_DECL(t) \
    void quant_avx512_tile_##t##x8(const void *w, const void *act, size_t act_stride, int64_t n, int n_tok, float *out, size_t out_stride);
QUANT_AVX512_RTILE_DECL(q4_k)
QUANT_AVX512_RTILE_DECL(q5_k)
QUANT_AVX512_RTILE_DECL(q6_k)
QUANT_AVX512_RTILE_DECL(q5_0)
QUANT_AVX512_RTILE_DECL(q5_1)
QUANT_AVX512_RTILE_DECL(q8_0)
QUANT_AVX512_RTILE_DECL(q4_0)
QUANT_AVX512_RTILE_DECL(q4_1)
QUANT_AVX512_RTILE_DECL(iq4_nl)
QUANT_AVX512_RTILE_DECL(iq4_xs)
/* AMX-INT8 tiles over the same layouts (quant_repack_amx.c): 16 tokens a
 * tile product, the AVX2 tiles' results bit for bit (Q8_0, IQ4_NL and
 * IQ4_XS: for activation bytes in [-127, 127], what the quantizers write) */
#define QUANT_AMX_RTILE_DECL(t) \
    void quant_amx_tile_##t##x8(const void *w, const void *act, size_t act_stride, int64_t n, int n_tok, float *out, size_t out_stride);
QUANT_AMX_RTILE_DECL(q4_k)
QUANT_AMX_RTILE_DECL(q5_k)
QUANT_AMX_RTILE_DECL(q6_k)
QUANT_AMX_RTILE_DECL(q5_0)
QUANT_AMX_RTILE_DECL(q5_1)
QUANT_AMX_RTILE_DECL(q8_0)
QUANT_AMX_RTILE_DECL(q4_0)
QUANT_AMX_RTILE_DECL(q4_1)
QUANT_AMX_RTILE_DECL(iq4_nl)
QUANT_AMX_RTILE_DECL(iq4_xs)
#endif

#endif
