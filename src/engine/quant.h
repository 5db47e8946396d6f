/* quant — block formats of weights, activations and the KV cache: conversion
 * to and from float, and dot products, with a scalar reference and SIMD
 * versions (AVX2, AVX-512) chosen once at start-up.
 *
 * One traits row per GGML type (ggml_types.h ids) that the engine can run.
 * Weight rows are dotted with activations that were first converted to the
 * row's act_type (quantized once per token, reused for every row): this is
 * what makes the quantized matrix-vector product cheap.
 *
 * Activation formats (internal, never stored in files):
 *   FC_ACT_F32  plain float32.
 *   FC_ACT_Q8   blocks of 32: { float d; float s; int8_t qs[32]; } (40 B),
 *               x[i] ~= d * qs[i], s = d * sum(qs). Used by Q4_0, Q4_1,
 *               Q5_0, Q5_1, Q8_0 and IQ4_NL weights (s serves the "_1"
 *               types' min).
 *   FC_ACT_Q8K  blocks of 256: { float d; int8_t qs[256]; int16_t bsums[16]; }
 *               (292 B), x[i] ~= d * qs[i], bsums[g] = sum of qs[16g..16g+15]
 *               (the K-quants' mins and offsets are per group of 16 or 32, so
 *               they apply to these sums). Same rounding as FC_ACT_Q8 (d =
 *               amax / 127, ties to even), not ggml's -128-based Q8_K rule.
 *               Used by Q2_K..Q6_K and IQ4_XS weights (super-blocks of 256).
 *
 * Contract: n is a multiple of the type's block size (callers check shapes
 * when loading a model); pointers may be unaligned; functions are pure and
 * thread-safe once quant_init() has run. quant_init() is called once before
 * threads start (it is the only writer of the dispatch table).
 */
#ifndef FC_QUANT_H
#define FC_QUANT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../format/ggml_types.h"
#include "../plan/workbuf.h"

enum fc_act_type { FC_ACT_F32 = 0, FC_ACT_Q8 = 1, FC_ACT_Q8K = 2 };

#define FC_QK8 32
typedef struct {
    float d;            /* scale */
    float s;            /* d * sum(qs) */
    int8_t qs[FC_QK8];
} fc_block_q8;
_Static_assert(sizeof(fc_block_q8) == 40, "fc_block_q8 is 40 bytes");

#define FC_QK_K 256
typedef struct {
    float d;                  /* scale */
    int8_t qs[FC_QK_K];
    int16_t bsums[FC_QK_K / 16]; /* sums of qs in groups of 16 */
} fc_block_q8k;
_Static_assert(sizeof(fc_block_q8k) == 292, "fc_block_q8k is 292 bytes");
/* the work buffers are sized from the planner's copy of these sizes */
_Static_assert(sizeof(fc_block_q8) == WORKBUF_ACT_Q8_BYTES && FC_QK8 == WORKBUF_ACT_Q8_ELEMS, "WORKBUF_ACT_Q8_*");
_Static_assert(sizeof(fc_block_q8k) == WORKBUF_ACT_Q8K_BYTES && FC_QK_K == WORKBUF_ACT_Q8K_ELEMS, "WORKBUF_ACT_Q8K_*");

/* Dequantize n values of a row into out. */
typedef void (*quant_dequant_fn)(const void *row, float *out, int64_t n);
/* Quantize n floats into a row of this type (weights/KV: nearest rounding,
 * the same scale rule as ggml's reference quantizers). */
typedef void (*quant_quantize_fn)(const float *x, void *row, int64_t n);
/* Dot product of a weight row (this type) with activations in act_type. */
typedef float (*quant_dot_fn)(const void *row, const void *act, int64_t n);
/* n_rows dot products of consecutive weight rows (row r starts at
 * rows + r * row_stride bytes) with the same activations: out[r]. */
typedef void (*quant_dot_rows_fn)(const void *rows, size_t row_stride, int n_rows,
                                  const void *act, int64_t n, float *out);
/* out[t * out_stride + r] = dot(row r, act t) for r < 4, t < 4: four weight rows (row_stride bytes apart)
 * times four activation rows (act_stride bytes apart), n elements each. NULL where not provided. */
typedef void (*quant_tile4_fn)(const void *rows, size_t row_stride, const void *act, size_t act_stride, int64_t n, float *out, size_t out_stride);
/* out[t] = dot(row, act[t]) for t < 4, each equal to the type's dot bit for bit (the same
 * integer sums and float steps in the same order, the weight codes unpacked once for the
 * four): several sequences' generation tokens in one step read each weight row once and
 * still get the results they would get alone (batch invariance). */
typedef void (*quant_dot4_fn)(const void *row, const void *const act[4], int64_t n, float out[4]);

typedef struct quant_traits {
    uint32_t type;                /* ggml type id */
    const char *name;
    uint32_t block_elems, block_bytes;
    enum fc_act_type act_type;    /* what vec_dot wants as activations */
    quant_dequant_fn dequant;     /* always set */
    quant_quantize_fn quantize;   /* always set (K-quants and IQ4: a simple
                                   * valid quantizer, not ggml's search) */
    quant_dot_fn dot;             /* always set */
    quant_dot_rows_fn dot_rows;   /* multi-row kernel sharing the activation
                                   * loads; NULL: quant_dot_rows loops dot */
    quant_tile4_fn tile4;         /* 4 rows x 4 activation rows, each weight
                                   * block unpacked once for four tokens;
                                   * NULL: quant_tile4 loops dot */
    quant_dot4_fn dot4;           /* one row x 4 tokens, the dot's bits;
                                   * NULL: none (cpu_stage reads rows from L2) */
    bool tile_bits;               /* dot (and dot_rows) give tile4's results
                                   * bit for bit, as the repacked tiles do: the arithmetic of a (row,
                                   * token) is the same in every kernel, so a
                                   * batch's tokens may share tiles whatever
                                   * sequence they belong to (batch
                                   * invariance); otherwise a sequence's
                                   * short runs take the dots */
} quant_traits;

enum quant_isa { QUANT_ISA_SCALAR = 0, QUANT_ISA_AVX2 = 1, QUANT_ISA_AVX512 = 2, QUANT_ISA_AMX = 3, QUANT_ISA_AUTO = -1 };

/* Chooses the kernels: QUANT_ISA_AUTO picks the best the CPU supports (and
 * honours env FITCHAT_ISA=scalar|avx2|avx512|amx as a cap; AVX-512 means F,
 * BW, VL, DQ and VNNI; AMX is AVX-512 plus AMX-TILE and AMX-INT8 that the
 * kernel lets the process use: the AVX-512 kernels with AMX tiles for the
 * repacked weights). Returns the ISA chosen. Idempotent. */
int quant_init(int isa);
const char *quant_isa_name(int isa);
/* The ISA of the active kernels (what quant_init chose; scalar before it runs). */
int quant_isa(void);
/* The width of the active dots of Q4_0, Q4_1, Q5_0, Q5_1 and Q8_0 under the
 * AVX-512 and AMX ISAs: 256 or 512 (bits), measured per type at start-up or
 * forced by env FITCHAT_DOTS=256|512; either gives the same floats. 0 for
 * other types and ISAs. */
int quant_dot_bits(uint32_t type);

/* Traits of a runnable type, or NULL if the engine cannot run it. */
const quant_traits *quant_get(uint32_t type);

/* The scalar reference traits, whatever quant_init chose (for tests). */
const quant_traits *quant_get_ref(uint32_t type);
/* The traits of a given ISA, or NULL if not compiled in or the CPU lacks it
 * (for tests comparing SIMD against scalar). */
const quant_traits *quant_get_isa(uint32_t type, int isa);

/* n_rows dots of consecutive rows (row r at rows + r * row_stride bytes)
 * with one activation vector in t->act_type: out[r] = dot(row r, act).
 * Uses t->dot_rows when the ISA has one; results equal t->dot's up to the
 * float rounding of the per-block sums. */
void quant_dot_rows(const quant_traits *t, const void *rows, size_t row_stride, int n_rows,
                    const void *act, int64_t n, float *out);

/* The 4x4 tile (see quant_tile4_fn) through t->tile4, or 16 calls of
 * t->dot where the ISA has none. Results equal t->dot's up to the float
 * rounding of the per-block sums. */
void quant_tile4(const quant_traits *t, const void *rows, size_t row_stride, const void *act,
                 size_t act_stride, int64_t n, float *out, size_t out_stride);

/* ---- repacked weights (the prompt path) ----------------------------------
 * An ISA's prompt kernels may read some weight types faster from a copy made
 * at load in an interleaved layout: groups of `group` consecutive rows, one
 * block per super-block of the type. Which layouts exist and their exact
 * sizes are the memory model's (mem_repack_bytes, src/plan/memory.h: enum
 * mem_repack); the copy is a plan item of its own (MEM_ITEM_REPACKED). The
 * tile over a group gives results equal bit for bit to the type's tile4 on
 * the original rows (same integer sums, same float steps per output).
 * Generation (one token) reads the original rows. */

/* out[t * out_stride + r] = dot(row r of the group, act t) for r < group, t < n_tok. */
typedef void (*quant_rtile_fn)(const void *group, const void *act, size_t act_stride, int64_t n, int n_tok, float *out,
                               size_t out_stride);
typedef struct quant_repacker {
    uint32_t repack;         /* enum mem_repack: the layout set this belongs to */
    uint32_t type;           /* ggml type of the original rows */
    int group;               /* rows per group */
    uint32_t block_elems;    /* values per block of the copy (the type's block) */
    size_t block_bytes;      /* bytes per group and block */
    /* rows [0, group) of the original (row_stride bytes apart, n values
     * each) -> one group of the copy, n / block_elems blocks */
    void (*pack)(const void *rows, size_t row_stride, int64_t n, void *dst);
    quant_rtile_fn tile;
    int isa;                 /* enum quant_isa: the table whose tile4 the tile equals bit for bit */
} quant_repacker;

/* The layout set the active kernels read (MEM_REPACK_X8 with the AVX2 and
 * AVX-512 and AMX tables, which share the layouts and the tiles' arithmetic;
 * MEM_REPACK_OFF for the scalar table). */
uint32_t quant_repack_set(void);
/* The repacker of type under layout set repack for the active kernels, NULL
 * if none (or the CPU cannot run that layout's kernels). */
const quant_repacker *quant_repacker_get(uint32_t repack, uint32_t type);
/* The same for the kernels of a given ISA (tests). */
const quant_repacker *quant_repacker_get_isa(uint32_t repack, uint32_t type, int isa);
/* The start-up check of the AMX tiles (quant_init runs it once before it
 * chooses them): each repacked type's AMX tile against the AVX2 tile on
 * random blocks, 16 tokens, bit for bit, a fault (SIGILL, SIGSEGV) caught;
 * true if all agree, else false with a line on stderr. tile_of: the tiles
 * to check instead of the AMX ones (tests); NULL: the AMX tiles. False off
 * x86-64. */
bool quant_amx_selftest(quant_rtile_fn (*tile_of)(uint32_t type));
/* Copies n_rows rows (whole groups only: n_rows / group of them) into dst. */
void quant_repack_rows(const quant_repacker *rp, const void *rows, size_t row_stride, int64_t n_rows, int64_t n, void *dst);

/* Activations: bytes needed for n values in act_type, and the conversion
 * from float (n multiple of 32 for FC_ACT_Q8, of 256 for FC_ACT_Q8K). */
size_t quant_act_bytes(enum fc_act_type t, int64_t n);
void quant_act_from_f32(enum fc_act_type t, const float *x, void *out, int64_t n);

/* The non-type kernels of one ISA, for tests and benchmarks comparing SIMD
 * against scalar. quant_get_ops returns NULL if the ISA is not compiled in
 * or the CPU lacks it. act_q8 and act_q8k must match the scalar ones
 * bit for bit. */
typedef struct quant_ops {
    void (*act_q8)(const float *x, fc_block_q8 *out, int64_t n);
    void (*act_q8k)(const float *x, fc_block_q8k *out, int64_t n); /* bit for bit too */
    float (*dot_f32)(const float *a, const float *b, int64_t n);
    void (*axpy_f32)(float *y, float a, const float *x, int64_t n);
} quant_ops;
const quant_ops *quant_get_ops(int isa);

/* The quantizer of a KV cache row of this type: Q4_0's own
 * (quant_kv_quantize_q4_0, kvrot.h's least-squares scale), every other
 * type's traits quantizer. NULL for a type the engine cannot run. */
quant_quantize_fn quant_kv_quantizer(uint32_t type);
void quant_kv_quantize_q4_0(const float *x, void *row, int64_t n);

/* Half and bfloat16 conversions (round to nearest even). */
float fc_f16_to_f32(uint16_t h);
uint16_t fc_f32_to_f16(float f);
float fc_bf16_to_f32(uint16_t h);
uint16_t fc_f32_to_bf16(float f);

/* Vector helpers used by the forward pass (dispatched like the dots). */
float fc_dot_f32(const float *a, const float *b, int64_t n);
/* y[i] += a * x[i] */
void fc_axpy_f32(float *y, float a, const float *x, int64_t n);

#endif
