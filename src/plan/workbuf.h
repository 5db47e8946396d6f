/* workbuf — the engine's work buffers, sized by one function that both the
 * planner and the engine's allocator call (DESIGN.md, "The memory model").
 *
 * The engine allocates exactly workbuf_layout()'s entries per device, in
 * this order, and nothing else besides weights and KV cache, so a plan's
 * buffer bytes are the engine's buffer bytes. Pure, thread-safe.
 */
#ifndef FC_WORKBUF_H
#define FC_WORKBUF_H

#include <stdbool.h>
#include <stdint.h>

#include "../model/arch.h"

/* The quantized activation rows the CPU code keeps per token (WB_ACT):
 * blocks of WORKBUF_ACT_Q8_ELEMS values in WORKBUF_ACT_Q8_BYTES (a float
 * scale, its sum and the int8 values: FC_ACT_Q8 for legacy quants) and of
 * WORKBUF_ACT_Q8K_ELEMS in WORKBUF_ACT_Q8K_BYTES (K-quants). Sizes only;
 * the block layouts are the kernels' (src/engine/quant.h asserts they
 * agree). */
#define WORKBUF_ACT_Q8_ELEMS 32u
#define WORKBUF_ACT_Q8_BYTES 40u
#define WORKBUF_ACT_Q8K_ELEMS 256u
#define WORKBUF_ACT_Q8K_BYTES 292u

/* Positions per tile of the flash-style attention (scores kept per tile). */
#define WORKBUF_FLASH_TILE 256
/* Query tokens per flash attention task (with the query heads of one KV
 * head: each key and value tile is built once for all of them). */
#define WORKBUF_ATT_TOKENS 16
/* Query rows whose scores a flash task keeps at once (each block of keys
 * and values is read from L1 by all of them). */
#define WORKBUF_ATT_SCORE_ROWS 8

/* Flash attention's query rows per task at most: WORKBUF_ATT_TOKENS times
 * the largest number of query heads sharing a KV head. Its per-thread
 * scratch (WB_SCORES), in floats: the rows' running sums (R doubles) and
 * maxima (R floats), WORKBUF_ATT_SCORE_ROWS rows of scores (TILE each), the
 * key tile (TILE x head_dim_k) and the value tile (TILE x head_dim_v), the
 * total rounded up to 16 floats (workbuf_flash_floats). */
uint32_t workbuf_att_rows(const model_desc *d);
uint64_t workbuf_flash_floats(const model_desc *d);

typedef struct workbuf_params {
    uint32_t n_ctx;       /* context length in tokens */
    uint32_t n_batch;     /* tokens processed per forward call */
    bool flash;           /* tiled attention with online softmax (no n_ctx scores) */
    uint32_t n_threads;   /* CPU threads (per-thread scratch); 1 for GPU devices */
    bool has_output;      /* this device computes the output head (logits) */
    uint32_t n_outputs;   /* logit rows kept per call (1 normally, n_batch to dump all) */
    bool device;          /* a GPU or emulated device: also holds the RoPE tables (WB_ROPE) */
    bool cuda;            /* the CUDA backend's kernels (a real GPU): float activations and
                           * attention in registers, so no WB_ACT and no WB_SCORES */
} workbuf_params;

enum { WB_X, WB_XB, WB_Q, WB_K, WB_V, WB_ATT, WB_FF_GATE, WB_FF_UP, WB_ACT, WB_SCORES, WB_LOGITS, WB_ROPE, WB_COUNT };
/* WB_ROPE (devices only): the two RoPE tables of model.h (rope_inv_freq,
 * rope_inv_freq_swa), n_rot / 2 doubles each, copied from the host. */

typedef struct workbuf_layout {
    uint64_t bytes[WB_COUNT]; /* per buffer; 0 where not needed */
    uint64_t total;
    uint64_t act_q8k_offset;  /* bytes into each token's WB_ACT row where the
                               * FC_ACT_Q8K form starts (after the FC_ACT_Q8 one) */
} workbuf_layout;

/* Names for the allocation log: "x", "xb", "q", ... */
const char *workbuf_name(int i);

/* Computes the layout for a device running any layer range of model d. */
void workbuf_layout_compute(const model_desc *d, const workbuf_params *p, workbuf_layout *out);

#endif
