/* cpu_stage — the CPU forward pass, top to bottom, one for every runnable
 * architecture (what differs is data in fc_layer / fc_model, see model.h):
 * per layer [RMSNorm, Q/K/V (+ bias), per-head Q/K norms, RoPE, attention
 * over the cache and the batch (windowed on sliding-window layers), KV
 * store, Wo (+ post-norm) + residual, RMSNorm, gate/up + SwiGLU or GeGLU,
 * down (+ post-norm) + residual] -> RMSNorm -> output head (-> softcap).
 * The same code serves the host-emulated GPU (stage.h): then the weights are
 * copies in the device's capped arena and x / logits cross in and out.
 *
 * KV cache: layer il has kv_rows[il] = mem_layer_ctx() rows, the memory
 * model's number. On sliding-window layers that is the window, used as a
 * ring (position p in row p % rows). So that a batch never overwrites rows
 * its own earlier tokens still need, attention reads the batch's keys and
 * values from the work buffers (rounded to the KV type first, so they equal
 * what the cache would give back) and older ones from the cache; the batch
 * is stored after attention. A cache of a block type (Q8_0, Q4_0) holds
 * rotated heads (kvrot.h): keys with the queries after RoPE, values before
 * the store and the attention output back after the weighted sum.
 *
 * Parallelism: each step that touches weights is one pool_run over chunks of
 * weight rows (every thread streams its own rows; decoding is bound by memory
 * bandwidth, so the rows are what must be split). Attention is split over
 * (token, head) pairs. Small per-token steps run on the calling thread. */
#include "stage.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../plan/memory.h"
#include "kvrot.h"
#include "ops.h"
#include "threads.h"
#include "vecmath.h"

/* A run of tokens [t0, t0 + n) that the matmuls treat as one group: tile
 * kernels in groups from t0, leftovers and short runs through the dots, so
 * that a token's result depends only on its run (batch invariance). */
typedef struct mm_seg { int t0, n; } mm_seg;

typedef struct fc_cpu_stage {
    fc_stage base;                  /* the backend table (stage.h) */
    fc_model model;                 /* CPU: the host model; emulated: the view of the copies */
    bool own_view;                  /* model.layers was allocated by stage_upload_weights */
    const model_desc *d;
    fc_stage_desc sd;
    struct { bool exact, flash; } p;
    fc_pool *pool;                  /* borrowed */
    fc_devmem *mem;                 /* borrowed */
    /* KV cache of the stage's layers: n_ctx positions (or the window), head
     * by head: head h's row for position p (head_dim values in the KV type)
     * at (h * kv_rows + p % kv_rows) * k_head_bytes, so a head's positions
     * are one run of memory (attention reads them as one stream) */
    uint8_t **k_cache, **v_cache;   /* [n_layer] -> (n_head_kv, kv_rows[il], head_dim); NULL outside the range */
    uint32_t *kv_rows;              /* [n_layer] mem_layer_ctx(): n_ctx, or the window (a ring) */
    size_t *k_seq_bytes, *v_seq_bytes; /* [n_layer] one sequence's cache (the memory model's bytes) */
    size_t k_row_bytes, v_row_bytes;   /* all heads of one position */
    size_t k_head_bytes, v_head_bytes; /* one head of one position */
    const quant_traits *kq, *vq;
    quant_quantize_fn k_quantize, v_quantize; /* quant_kv_quantizer(type_k / type_v) */
    bool rot_k, rot_v;              /* kvrot_on(type_k / type_v): heads stored rotated */
    /* work buffers (workbuf.h), one allocation each */
    void *buf[WB_COUNT];
    float *x;        /* (n_batch, n_embd) residual stream */
    float *xb;       /* (n_batch, n_embd) normed input of a block */
    float *q;        /* (n_batch, n_head * head_dim_k) */
    float *k;        /* (n_batch, n_head_kv * head_dim_k) new keys */
    float *v;        /* (n_batch, n_head_kv * head_dim_v) new values */
    float *att;      /* (n_batch, n_head * head_dim_v) attention output */
    float *gate;     /* (n_batch, n_ff) SwiGLU output */
    float *up;       /* (n_batch, n_ff) */
    uint8_t *act;    /* (n_batch, act row) quantized activations: each row
                      * FC_ACT_Q8 at 0, FC_ACT_Q8K at act_q8k_off */
    size_t act_stride, act_q8k_off;
    float *scratch;  /* (n_threads, scratch_floats) attention scratch */
    size_t scratch_floats;
    uint32_t att_rows;  /* flash attention's query rows per task at most (workbuf_att_rows) */
    float *logits;   /* (n_outputs, n_vocab) */
    fc_stage_mem mem_held;          /* what stage_allocate gave (host arrays owned) */
    /* the call being evaluated: its segments, and per token its position and segment */
    const fc_ubatch *ub;
    int *tok_pos, *tok_seg;         /* [n_batch] host bookkeeping */
    mm_seg *mm_segs, *out_segs;     /* [n_batch] the matmuls' token segments (layers, head) */
    int n_mm_segs, n_out_segs;
    int *seg_task0;                 /* [n_batch + 1] flash attention: first task of each segment */
} fc_cpu_stage;

/* ---- allocation ---------------------------------------------------------- */

static void cpu_stage_free(fc_stage *s);

static fc_stage *cpu_stage_new(const fc_stage_desc *sd, fc_devmem *m, fc_err *err) {
    const model_desc *d = sd->d;
    fc_cpu_stage *e = calloc(1, sizeof *e);
    if (!e) { fc_errf(err, FC_EFAIL, "out of memory"); return NULL; }
    e->base.be = stage_backend(sd->kind);
    e->d = d;
    e->sd = *sd;
    e->p.exact = sd->exact;
    e->p.flash = sd->cfg.flash;
    e->pool = sd->pool;
    e->mem = m;
    e->kq = quant_get(sd->cfg.type_k);
    e->vq = quant_get(sd->cfg.type_v);
    e->k_quantize = quant_kv_quantizer(sd->cfg.type_k);
    e->v_quantize = quant_kv_quantizer(sd->cfg.type_v);
    e->rot_k = kvrot_on(sd->cfg.type_k);
    e->rot_v = kvrot_on(sd->cfg.type_v);
    e->k_row_bytes = (size_t)ggml_row_bytes(sd->cfg.type_k, model_n_embd_k(d, 0));
    e->v_row_bytes = (size_t)ggml_row_bytes(sd->cfg.type_v, model_n_embd_v(d, 0));
    e->k_head_bytes = (size_t)ggml_row_bytes(sd->cfg.type_k, d->head_dim_k);
    e->v_head_bytes = (size_t)ggml_row_bytes(sd->cfg.type_v, d->head_dim_v);

    /* the manifest: the CPU logs its weights in the mapping, an emulated
     * device copies them; then KV and buffers */
    if (stage_allocate(sd, m, &e->mem_held, err)) goto fail;
    const fc_stage_mem *sm = &e->mem_held;
    bool repacked = false;
    for (uint64_t i = 0; i < sd->file->n_tensors; i++) repacked |= sm->repacked[i] != NULL;
    if (sd->kind == MEM_DEV_CPU && !repacked) {
        e->model = *sd->model;
    } else if (sd->kind == MEM_DEV_CPU) {
        /* layers of its own, whose weights point at their repacked copies */
        if (stage_repacked_view(sd, sm, &e->model, err)) goto fail;
        e->own_view = true;
    } else {
        if (stage_weights_view(sd, sm, &e->model, err)) { stage_view_free(&e->model); goto fail; }
        e->own_view = true;
    }
    e->k_cache = sm->k;
    e->v_cache = sm->v;
    e->kv_rows = calloc(d->n_layer, sizeof *e->kv_rows);
    e->k_seq_bytes = calloc(d->n_layer, sizeof *e->k_seq_bytes);
    e->v_seq_bytes = calloc(d->n_layer, sizeof *e->v_seq_bytes);
    const size_t nb = sd->cfg.n_batch ? sd->cfg.n_batch : 1;
    e->tok_pos = calloc(nb, sizeof *e->tok_pos);
    e->tok_seg = calloc(nb, sizeof *e->tok_seg);
    e->mm_segs = calloc(nb, sizeof *e->mm_segs);
    e->out_segs = calloc(nb, sizeof *e->out_segs);
    e->seg_task0 = calloc(nb + 1, sizeof *e->seg_task0);
    if (!e->kv_rows || !e->k_seq_bytes || !e->v_seq_bytes || !e->tok_pos || !e->tok_seg || !e->mm_segs || !e->out_segs || !e->seg_task0) {
        fc_errf(err, FC_EFAIL, "out of memory");
        goto fail;
    }
    for (uint32_t il = sd->first; il < sd->first + sd->n_layers; il++) {
        e->kv_rows[il] = mem_layer_ctx(d, il, sd->cfg.n_ctx);
        e->k_seq_bytes[il] = (size_t)mem_kv_layer_k_bytes(d, il, sd->cfg.n_ctx, sd->cfg.type_k);
        e->v_seq_bytes[il] = (size_t)mem_kv_layer_v_bytes(d, il, sd->cfg.n_ctx, sd->cfg.type_v);
    }

    const workbuf_layout *wl = &sm->wl;
    for (int i = 0; i < WB_COUNT; i++) e->buf[i] = sm->buf[i];
    e->x = e->buf[WB_X]; e->xb = e->buf[WB_XB]; e->q = e->buf[WB_Q]; e->k = e->buf[WB_K]; e->v = e->buf[WB_V];
    e->att = e->buf[WB_ATT]; e->gate = e->buf[WB_FF_GATE]; e->up = e->buf[WB_FF_UP]; e->act = e->buf[WB_ACT];
    e->scratch = e->buf[WB_SCORES]; e->logits = e->buf[WB_LOGITS];
    e->act_stride = (size_t)(wl->bytes[WB_ACT] / sd->cfg.n_batch);
    e->act_q8k_off = (size_t)wl->act_q8k_offset;
    e->scratch_floats = (size_t)(wl->bytes[WB_SCORES] / sizeof(float) / (sd->cfg.n_threads ? sd->cfg.n_threads : 1));
    e->att_rows = workbuf_att_rows(d);
    if (e->buf[WB_ROPE]) {
        /* the device's own copy of the RoPE tables; layers point into it */
        size_t half = d->n_rot / 2;
        double *rope = e->buf[WB_ROPE];
        memcpy(rope, sd->model->rope_inv_freq, half * sizeof *rope);
        if (sd->model->rope_inv_freq_swa) memcpy(rope + half, sd->model->rope_inv_freq_swa, half * sizeof *rope);
        for (uint32_t il = sd->first; il < sd->first + sd->n_layers; il++) {
            fc_layer *L = &e->model.layers[il];
            L->rope_inv_freq = L->rope_inv_freq == sd->model->rope_inv_freq_swa && sd->model->rope_inv_freq_swa ? rope + half : rope;
        }
    }
    return &e->base;
fail:
    cpu_stage_free(&e->base);
    return NULL;
}

static void cpu_stage_free(fc_stage *s) {
    fc_cpu_stage *e = (fc_cpu_stage *)s;
    if (!e) return;
    /* memory belongs to the devmem (released by the engine) */
    stage_mem_free(&e->mem_held);
    free(e->kv_rows);
    free(e->k_seq_bytes);
    free(e->v_seq_bytes);
    free(e->tok_pos);
    free(e->tok_seg);
    free(e->mm_segs);
    free(e->out_segs);
    free(e->seg_task0);
    if (e->own_view) stage_view_free(&e->model);
    free(e);
}

float *cpu_stage_x(fc_stage *s) { return ((fc_cpu_stage *)s)->x; }
float *cpu_stage_logits(fc_stage *s) { return ((fc_cpu_stage *)s)->logits; }

/* ---- matrix x vectors ----------------------------------------------------- */

/* One weight times the n_tok activation rows, into dst (overwrite or add). */
typedef struct {
    const fc_weight *w;
    const void *act;        /* quantized rows (act_stride apart) or f32 rows */
    size_t act_stride;      /* bytes between token rows */
    float *dst;             /* (n_tok, dst_stride) */
    size_t dst_stride;      /* floats */
    bool accumulate;        /* dst += W x (residual connections) */
    bool exact;             /* float activations, dequantized rows */
    int act_rows;           /* token rows the act buffer holds (the tiles may read stale ones) */
    int rows_per_task;
    int n_tasks;
} mm_job;

typedef struct {
    mm_job jobs[3];
    int n_jobs;
    int n_tok;
    const mm_seg *segs;     /* the token runs, covering [0, n_tok) */
    int n_segs;
    bool glu;               /* jobs[0] gate, jobs[1] up: dst of job 0 = act(gate) * up */
    enum fc_ffn_act act;
} mm_batch;

enum { ROW_BLOCK = 16 };
/* Prompts: tokens per round of a row block (their results are staged on
 * the stack, then written out one row run per token) */
enum { TOK_CHUNK = 16 };
/* rows per quant_dot_rows call of one token (8 KiB of results on the stack) */
enum { DOT_ROWS_RUN = 2048 };

/* Exact mode: each weight row is dequantized and dotted with the float
 * activations, so the only rounding left is float32's (reference checks). */
/* y[r] = s + bias (or y[r] += that when accumulating) */
static inline void mm_put(const mm_job *j, float *y, int r, float s) {
    if (j->w->bias) s += j->w->bias[r];
    y[r] = j->accumulate ? y[r] + s : s;
}

static void mm_rows_exact(const mm_job *j, int r0, int r1, int t_begin, int t_end) {
    const fc_weight *w = j->w;
    float row[w->n_in]; /* VLA: at most the widest row (n_ff), tens of KiB */
    for (int r = r0; r < r1; r++) {
        w->q->dequant((const uint8_t *)w->data + (size_t)r * w->row_bytes, row, w->n_in);
        for (int t = t_begin; t < t_end; t++) {
            const float *a = (const float *)((const uint8_t *)j->act + (size_t)t * j->act_stride);
            float *y = j->dst + (size_t)t * j->dst_stride;
            mm_put(j, y, r, fc_dot_f32(row, a, w->n_in));
        }
    }
}

/* Rows [r0, re) of the row block [rb, re) (at most ROW_BLOCK rows) times
 * tokens t, t + 1, ... < t_end in groups of 4 by the 4x4 tile (each weight
 * block is unpacked once for the four tokens); leftover rows go through
 * dot. Results go to blk[(token - t0) * ROW_BLOCK + row - rb]. Returns the
 * first token not done (fewer than 4 left). */
static int mm_tiles(const mm_job *j, quant_tile4_fn tile, int rb, int r0, int re, int t, int t_end,
                    float *blk, int t0) {
    const fc_weight *w = j->w;
    const uint8_t *rows = w->data;
    for (; t + 4 <= t_end; t += 4) {
        const uint8_t *a = (const uint8_t *)j->act + (size_t)t * j->act_stride;
        float *ob = blk + (size_t)(t - t0) * ROW_BLOCK;
        int r = r0;
        for (; r + 4 <= re; r += 4) {
            float o[16];
            tile(rows + (size_t)r * w->row_bytes, w->row_bytes, a, j->act_stride, w->n_in, o, 4);
            for (int tt = 0; tt < 4; tt++) memcpy(ob + tt * ROW_BLOCK + (r - rb), o + 4 * tt, 4 * sizeof(float));
        }
        for (; r < re; r++)
            for (int tt = 0; tt < 4; tt++)
                ob[tt * ROW_BLOCK + (r - rb)] =
                    w->q->dot(rows + (size_t)r * w->row_bytes, a + (size_t)tt * j->act_stride, w->n_in);
    }
    return t;
}

typedef float v4f __attribute__((vector_size(16)));

/* blk (tokens [t0, t1) x rows [rb, re), ROW_BLOCK apart) into dst: one
 * run of contiguous floats per token row, written in one go after the
 * tiles (scattered 16-byte stores into token rows a power of two apart
 * were 3 % of a prompt's time) */
static void mm_put_block(const mm_job *j, const float *blk, int rb, int re, int t0, int t1) {
    const float *bias = j->w->bias ? j->w->bias + rb : NULL;
    const bool acc = j->accumulate;
    for (int t = t0; t < t1; t++) {
        const float *restrict o = blk + (size_t)(t - t0) * ROW_BLOCK; /* o[r - rb]: row r's result */
        float *restrict y = j->dst + (size_t)t * j->dst_stride + rb;
        if (re - rb == ROW_BLOCK && !bias && !acc) memcpy(y, o, ROW_BLOCK * sizeof(float)); /* inlined */
        else if (re - rb == ROW_BLOCK) /* mm_put's operations, four rows a vector */
            for (int i = 0; i < ROW_BLOCK; i += 4) {
                v4f s, v;
                memcpy(&s, o + i, sizeof s);
                if (bias) { memcpy(&v, bias + i, sizeof v); s += v; }
                if (acc) { memcpy(&v, y + i, sizeof v); s = v + s; }
                memcpy(y + i, &s, sizeof s);
            }
        else
            for (int r = rb; r < re; r++) mm_put(j, y - rb, r, o[r - rb]);
    }
}

/* Rows [r0, r1) for the tokens of one run [t_begin, t_end). */
static void mm_rows_run(const mm_job *j, int r0, int r1, int t_begin, int t_end) {
    const fc_weight *w = j->w;
    const uint8_t *rows = w->data;
    const int n_tok = t_end - t_begin;
    if (j->exact) { mm_rows_exact(j, r0, r1, t_begin, t_end); return; }
    /* 2-3 tokens of a type whose dots compute the tiles' arithmetic (tile_bits:
     * the same bits either way): one pass of 4-token tiles, the weights read
     * once; the row after the last is the buffer's (stale) and its results are
     * dropped. */
    int t_pad = t_end;
    if (n_tok >= 2 && n_tok < 4 && w->q->tile_bits && t_begin + 4 <= j->act_rows) t_pad = t_begin + 4;
    else if (n_tok < 4) {
        /* generation (one token) and tiny batches: long runs of rows per
         * quant_dot_rows, whose AVX-512 Q4_K / Q6_K kernels read rows r and
         * r + n / 2 as two sequential streams (faster from DRAM than one,
         * quant_k_avx512.c); runs of 256 rows for 2-3 tokens, so the rows
         * are still in L2 for the next token */
        float o[DOT_ROWS_RUN];
        const int run = n_tok == 1 ? DOT_ROWS_RUN : DOT_ROWS_RUN / 8;
        const bool direct = !w->bias && !j->accumulate; /* the results go straight to dst */
        for (int rb = r0; rb < r1; rb += run) {
            const int re = rb + run < r1 ? rb + run : r1;
            for (int t = t_begin; t < t_end; t++) {
                float *y = j->dst + (size_t)t * j->dst_stride;
                quant_dot_rows(w->q, rows + (size_t)rb * w->row_bytes, w->row_bytes, re - rb,
                               (const uint8_t *)j->act + (size_t)t * j->act_stride, w->n_in, direct ? y + rb : o);
                if (!direct)
                    for (int r = rb; r < re; r++) mm_put(j, y, r, o[r - rb]);
            }
        }
        return;
    }
    const quant_tile4_fn tile4 = w->q->tile4;
    float blk[TOK_CHUNK * ROW_BLOCK];
    for (int rb = r0; rb < r1; rb += ROW_BLOCK) {
        const int re = rb + ROW_BLOCK < r1 ? rb + ROW_BLOCK : r1;
        for (int t0 = t_begin; t0 < t_pad; t0 += TOK_CHUNK) {
            const int t1 = t0 + TOK_CHUNK < t_pad ? t0 + TOK_CHUNK : t_pad, t_out = t1 < t_end ? t1 : t_end;
            int t = t0;
            /* the chunk's result lines (one per token row, dst_stride apart:
             * no stream the hardware prefetchers follow), for writing */
            for (int tt = t0; tt < t_out; tt++) __builtin_prefetch(j->dst + (size_t)tt * j->dst_stride + rb, 1, 3);
            /* the repacked copy's tiles where there is one, then 4 tokens x
             * 4 rows, then dots */
            if (w->rp && tile4) {
                /* the repacked copy: whole groups of rows times the tokens
                 * the 4x4 tiles would take (results equal theirs bit for
                 * bit), the rows past the copy by those tiles */
                const int nt4 = (t1 - t) / 4 * 4, g = w->rp_group, rend = re < w->rp_rows ? re : (int)w->rp_rows;
                int r = rb;
                for (; nt4 && rb % g == 0 && r + g <= rend; r += g) /* row blocks start at multiples of 16 */
                    w->rp_tile((const uint8_t *)w->rp + (size_t)(r / g) * w->rp_group_bytes,
                               (const uint8_t *)j->act + (size_t)t * j->act_stride, j->act_stride, w->n_in, nt4,
                               blk + (size_t)(t - t0) * ROW_BLOCK + (r - rb), ROW_BLOCK);
                if (r < re) mm_tiles(j, tile4, rb, r, re, t, t + nt4, blk, t0);
                t += nt4;
            }
            if (tile4) t = mm_tiles(j, tile4, rb, rb, re, t, t1, blk, t0);
            for (; t < t1; t++) {
                const uint8_t *a = (const uint8_t *)j->act + (size_t)t * j->act_stride;
                float *ob = blk + (size_t)(t - t0) * ROW_BLOCK;
                for (int r = rb; r < re; r++) ob[r - rb] = w->q->dot(rows + (size_t)r * w->row_bytes, a, w->n_in);
            }
            mm_put_block(j, blk, rb, re, t0, t_out);
        }
    }
}

/* Rows [r0, r1) for the tokens tok[0..n) of the short runs (generation:
 * one token per sequence), each token's results the dot's bits as when it
 * runs alone: with a dot4, each row once for four tokens (from L1 for the
 * next four); without, runs of rows that stay in L2 while every token's
 * dot_rows reads them. */
static void mm_rows_tokens(const mm_job *j, int r0, int r1, const int *tok, int n) {
    const fc_weight *w = j->w;
    const uint8_t *rows = w->data, *act = j->act;
    if (w->q->dot4) {
        for (int r = r0; r < r1; r++) {
            const uint8_t *row = rows + (size_t)r * w->row_bytes;
            int g = 0;
            for (; g + 1 < n; g += 4) { /* a last group of 2-3 repeats its last token */
                const void *a4[4];
                for (int k = 0; k < 4; k++) a4[k] = act + (size_t)tok[g + k < n ? g + k : n - 1] * j->act_stride;
                float o[4];
                w->q->dot4(row, a4, w->n_in, o);
                for (int k = 0; k < 4 && g + k < n; k++) mm_put(j, j->dst + (size_t)tok[g + k] * j->dst_stride, r, o[k]);
            }
            if (g < n) mm_put(j, j->dst + (size_t)tok[g] * j->dst_stride, r, w->q->dot(row, act + (size_t)tok[g] * j->act_stride, w->n_in));
        }
        return;
    }
    float o[DOT_ROWS_RUN / 8];
    for (int rb = r0; rb < r1; rb += DOT_ROWS_RUN / 8) {
        const int re = rb + DOT_ROWS_RUN / 8 < r1 ? rb + DOT_ROWS_RUN / 8 : r1;
        for (int i = 0; i < n; i++) {
            quant_dot_rows(w->q, rows + (size_t)rb * w->row_bytes, w->row_bytes, re - rb, act + (size_t)tok[i] * j->act_stride,
                           w->n_in, o);
            float *y = j->dst + (size_t)tok[i] * j->dst_stride;
            for (int r = rb; r < re; r++) mm_put(j, y, r, o[r - rb]);
        }
    }
}

/* Rows [r0, r1) for every run of the batch. Where the type's dots compute
 * the tiles' arithmetic (tile_bits), all the batch's tokens as one run:
 * the generation tokens of several sequences share tiles (the weights read
 * once for all) and still get the bits they would get alone. Otherwise
 * prompt runs by the tiles, the tokens of the short runs (which take the
 * dots) together. */
static void mm_rows(const mm_batch *b, const mm_job *j, int r0, int r1) {
    if (j->w->q->tile_bits && !j->exact) { mm_rows_run(j, r0, r1, 0, b->n_tok); return; }
    int tok[FC_N_SEQ_MAX * 3], n = 0;
    for (int i = 0; i < b->n_segs; i++) {
        const mm_seg *sg = &b->segs[i];
        if (j->exact || sg->n >= 4 || n + sg->n > (int)(sizeof tok / sizeof tok[0]))
            mm_rows_run(j, r0, r1, sg->t0, sg->t0 + sg->n);
        else
            for (int t = sg->t0; t < sg->t0 + sg->n; t++) tok[n++] = t;
    }
    if (n == 1) mm_rows_run(j, r0, r1, tok[0], tok[0] + 1); /* one stream: the two-stream dot_rows */
    else if (n) mm_rows_tokens(j, r0, r1, tok, n);
}

static void mm_task(void *ctx, int task, int thread) {
    (void)thread;
    const mm_batch *b = ctx;
    if (b->glu) {
        const mm_job *g = &b->jobs[0], *u = &b->jobs[1];
        int r0 = task * g->rows_per_task, r1 = r0 + g->rows_per_task;
        if (r1 > g->w->n_out) r1 = (int)g->w->n_out;
        mm_rows(b, g, r0, r1);
        mm_rows(b, u, r0, r1);
        for (int t = 0; t < b->n_tok; t++) {
            float *gv = g->dst + (size_t)t * g->dst_stride, *uv = u->dst + (size_t)t * u->dst_stride;
            if (!g->exact)
                vm_glu_fast(b->act == FFN_GELU_TANH, gv + r0, uv + r0, r1 - r0);
            else if (b->act == FFN_GELU_TANH)
                for (int r = r0; r < r1; r++) {
                    float x = gv[r];
                    gv[r] = 0.5f * x * (1.0f + tanhf(0.7978845608f * (x + 0.044715f * x * x * x))) * uv[r];
                }
            else
                for (int r = r0; r < r1; r++) gv[r] = gv[r] / (1.0f + expf(-gv[r])) * uv[r];
        }
        return;
    }
    for (int i = 0; i < b->n_jobs; i++) {
        const mm_job *j = &b->jobs[i];
        if (task < j->n_tasks) {
            int r0 = task * j->rows_per_task, r1 = r0 + j->rows_per_task;
            if (r1 > j->w->n_out) r1 = (int)j->w->n_out;
            mm_rows(b, j, r0, r1);
            return;
        }
        task -= j->n_tasks;
    }
}

/* Splits each job's rows into chunks: enough tasks to balance the threads,
 * rows a multiple of ROW_BLOCK. Generation: 4 per thread (long runs of rows
 * for the two-stream dots); prompts: 16 per thread, so that the last task
 * handed out is short and threads finish together. */
static int mm_plan(fc_cpu_stage *e, mm_batch *b) {
    int nt = pool_size(e->pool), total = 0;
    const int per_thread = b->n_tok < 4 ? 4 : 16;
    int64_t all_rows = 0;
    for (int i = 0; i < b->n_jobs; i++) all_rows += b->jobs[i].w->n_out;
    for (int i = 0; i < b->n_jobs; i++) {
        mm_job *j = &b->jobs[i];
        int64_t want = nt == 1 ? 1 : (int64_t)per_thread * nt * j->w->n_out / all_rows + 1;
        int64_t rows = (j->w->n_out + want - 1) / want;
        rows = (rows + ROW_BLOCK - 1) / ROW_BLOCK * ROW_BLOCK;
        j->rows_per_task = (int)rows;
        j->n_tasks = (int)((j->w->n_out + rows - 1) / rows);
        total += j->n_tasks;
    }
    return total;
}

static void mm_run(fc_cpu_stage *e, mm_batch *b) {
    int n_tasks = mm_plan(e, b);
    if (b->glu) n_tasks = b->jobs[0].n_tasks;
    pool_run(e->pool, mm_task, b, n_tasks);
}

/* The activations a weight wants: f32 rows as they are, or the quantized copy. */
static void set_act(const fc_cpu_stage *e, mm_job *j, const float *src, size_t src_stride_floats) {
    j->exact = e->p.exact;
    if (j->w->q->act_type == FC_ACT_F32 || j->exact) {
        j->act = src;
        j->act_stride = src_stride_floats * sizeof(float);
        j->act_rows = 0;
    } else {
        j->act = e->act + (j->w->q->act_type == FC_ACT_Q8K ? e->act_q8k_off : 0);
        j->act_stride = e->act_stride;
        j->act_rows = (int)e->sd.cfg.n_batch;
    }
}

/* Quantizes n_tok rows of width n (stride in floats) into e->act, in each
 * form (FC_ACT_Q8, FC_ACT_Q8K) that one of the weights wants. */
typedef struct { const fc_cpu_stage *e; const float *src; size_t stride; int64_t n; bool q8, q8k; } quant_job;

static void quant_task(void *ctx, int t, int thread) {
    (void)thread;
    const quant_job *q = ctx;
    const float *src = q->src + (size_t)t * q->stride;
    uint8_t *row = q->e->act + (size_t)t * q->e->act_stride;
    if (q->q8) quant_act_from_f32(FC_ACT_Q8, src, row, q->n);
    if (q->q8k) quant_act_from_f32(FC_ACT_Q8K, src, row + q->e->act_q8k_off, q->n);
}

static void quantize_rows(fc_cpu_stage *e, const float *src, size_t stride, int64_t n, int n_tok,
                          const fc_weight *w0, const fc_weight *w1, const fc_weight *w2) {
    if (e->p.exact) return;
    quant_job q = {e, src, stride, n, false, false};
    const fc_weight *ws[3] = {w0, w1, w2};
    for (int i = 0; i < 3; i++) {
        if (!ws[i]) continue;
        q.q8 |= ws[i]->q->act_type == FC_ACT_Q8;
        q.q8k |= ws[i]->q->act_type == FC_ACT_Q8K;
    }
    if (q.q8 || q.q8k) pool_run(e->pool, quant_task, &q, n_tok);
}

/* ---- attention ------------------------------------------------------------ */

typedef struct {
    fc_cpu_stage *e;
    int il;
    int heads_per_task;     /* flash: query heads of one KV head per task */
} att_job;

/* Sequence seq's cache of layer il, keys or values (n_seq caches one after
 * the other, each the memory model's bytes for one sequence). */
static uint8_t *kv_seq_base(const fc_cpu_stage *e, bool is_v, int il, int seq) {
    return is_v ? e->v_cache[il] + (size_t)seq * e->v_seq_bytes[il] : e->k_cache[il] + (size_t)seq * e->k_seq_bytes[il];
}

/* Head kvh's keys (is_v false) or values of positions [p0, p0 + n) of
 * segment sg's sequence as floats, one row of head_dim per position, into
 * dst: cached positions (< sg->pos0) dequantized a run of ring rows per
 * call, the segment's own copied from this call's rows. */
static void kv_run(const att_job *j, const fc_seg *sg, bool is_v, int p0, int n, int kvh, float *dst) {
    const fc_cpu_stage *e = j->e;
    const model_desc *d = e->d;
    const size_t hd = is_v ? d->head_dim_v : d->head_dim_k, rows = e->kv_rows[j->il];
    const size_t head_bytes = is_v ? e->v_head_bytes : e->k_head_bytes;
    const uint8_t *base = kv_seq_base(e, is_v, j->il, sg->seq) + (size_t)kvh * rows * head_bytes;
    const quant_traits *q = is_v ? e->vq : e->kq;
    int p = p0;
    const int end = p0 + n, cached_end = end < sg->pos0 ? end : sg->pos0;
    while (p < cached_end) {
        const size_t row = (size_t)p % rows;
        const int run = (int)(rows - row) < cached_end - p ? (int)(rows - row) : cached_end - p;
        q->dequant(base + row * head_bytes, dst + (size_t)(p - p0) * hd, (int64_t)run * (int64_t)hd);
        p += run;
    }
    const float *batch = (is_v ? e->v : e->k) + (size_t)kvh * hd;
    for (; p < end; p++)
        memcpy(dst + (size_t)(p - p0) * hd, batch + (size_t)(sg->t0 + p - sg->pos0) * d->n_head_kv * hd,
               hd * sizeof(float));
}

/* Head kvh of position p's key (is_v false) or value, as floats, in buf
 * (plain attention). */
static inline const float *kv_head(const att_job *j, const fc_seg *sg, bool is_v, int p, int kvh, float *buf) {
    kv_run(j, sg, is_v, p, 1, kvh, buf);
    return buf;
}

/* First position query position pos sees (sliding window: the last
 * n_window positions, this one included). */
static inline int att_first(const fc_layer *L, int pos) {
    const int64_t n = (int64_t)pos + 1;
    return L->n_window && n > (int64_t)L->n_window ? (int)(n - (int64_t)L->n_window) : 0;
}

/* Plain attention, one task per (token, query head): all scores, then the
 * softmax, then the weighted sum of values. */
static void att_plain_task(void *ctx, int task, int thread) {
    const att_job *j = ctx;
    fc_cpu_stage *e = j->e;
    const model_desc *d = e->d;
    const fc_layer *L = &e->model.layers[j->il];
    int hk = (int)d->head_dim_k, hv = (int)d->head_dim_v;
    int t = task / (int)d->n_head, h = task % (int)d->n_head;
    int kvh = h / (int)(d->n_head / d->n_head_kv);
    const fc_seg *sg = &e->ub->seg[e->tok_seg[t]];
    int pos = e->tok_pos[t], n_kv = pos + 1, first = att_first(L, pos);
    const float *q = e->q + (size_t)t * d->n_head * hk + (size_t)h * hk;
    float *out = e->att + (size_t)t * d->n_head * hv + (size_t)h * hv;
    float *scratch = e->scratch + (size_t)thread * e->scratch_floats;
    float *kbuf = scratch, *vbuf = scratch + hk, *scores = scratch + hk + hv;
    float scale = e->model.attn_scale;
    float mx = -INFINITY;
    for (int p = first; p < n_kv; p++) {
        float s = fc_dot_f32(q, kv_head(j, sg, false, p, kvh, kbuf), hk) * scale;
        scores[p - first] = s;
        if (s > mx) mx = s;
    }
    double sum = 0;
    for (int p = first; p < n_kv; p++) { scores[p - first] = expf(scores[p - first] - mx); sum += scores[p - first]; }
    memset(out, 0, (size_t)hv * sizeof *out);
    for (int p = first; p < n_kv; p++)
        fc_axpy_f32(out, (float)(scores[p - first] / sum), kv_head(j, sg, true, p, kvh, vbuf), hv);
}

/* Flash attention, one task per (block of WORKBUF_ATT_TOKENS tokens of one
 * segment, group of heads_per_task query heads of one KV head): over tiles
 * of WORKBUF_FLASH_TILE positions (aligned to multiples of the tile, so a
 * row's tiles depend only on its position: batch invariance), the keys and
 * values of the tile are gathered once into the thread's scratch (kv_run),
 * then each query row takes its scores, softmax weights against its running
 * maximum and sum (online softmax) and weighted values (vecmath.h). Rows see
 * positions [first, pos].
 *
 * The rows go in blocks of RB (WORKBUF_ATT_SCORE_ROWS): the block's scores
 * a run of keys at a time for all its rows, so each run is read from L1 by
 * every row (the whole tile, TILE x head_dim floats, is in L2 only), then
 * each row's softmax, then the weighted values a run at a time likewise.
 * Every score and every output value is the same floats as row by row:
 * vm_scores computes each position alone, and vm_accum_v's chain per value
 * (out * corr, then + w[p] v[p] in order) continues across runs with corr 1
 * (x * 1 = x). */
static void att_flash_task(void *ctx, int task, int thread) {
    enum { TILE = WORKBUF_FLASH_TILE, TB = WORKBUF_ATT_TOKENS, RB = WORKBUF_ATT_SCORE_ROWS };
    const att_job *j = ctx;
    fc_cpu_stage *e = j->e;
    const model_desc *d = e->d;
    const fc_layer *L = &e->model.layers[j->il];
    const int hk = (int)d->head_dim_k, hv = (int)d->head_dim_v, n_head = (int)d->n_head;
    const int group = n_head / (int)d->n_head_kv, gs = j->heads_per_task, per_kv = group / gs;
    const int per_block = (int)d->n_head_kv * per_kv;
    /* the task's segment: the last one whose first task is <= task */
    int si = 0, lo_s = 0, hi_s = e->ub->n_seg - 1;
    while (lo_s <= hi_s) {
        const int mid = (lo_s + hi_s) / 2;
        if (e->seg_task0[mid] <= task) si = mid, lo_s = mid + 1;
        else hi_s = mid - 1;
    }
    const fc_seg *sg = &e->ub->seg[si];
    task -= e->seg_task0[si];
    /* the last token blocks (the most positions) first, so no thread is
     * left with a long task at the end */
    const int n_blocks = (sg->n + TB - 1) / TB, tb = n_blocks - 1 - task / per_block;
    const int kvh = task % per_block / per_kv, h0 = kvh * group + task % per_kv * gs;
    const int t0 = sg->t0 + tb * TB, nt = sg->t0 + sg->n - t0 < TB ? sg->t0 + sg->n - t0 : TB, rows = gs * nt;
    const int rmax = (int)e->att_rows;
    float *scratch = e->scratch + (size_t)thread * e->scratch_floats;
    double *l = (double *)(void *)scratch;
    float *m = scratch + 2 * rmax, *s = m + rmax, *kt = s + (size_t)RB * TILE, *vt = kt + (size_t)hk * TILE;
    const float scale = e->model.attn_scale;
    const int pos_t0 = sg->pos0 + (t0 - sg->t0);
    const int lo = att_first(L, pos_t0) / TILE * TILE, hi = pos_t0 + nt; /* positions any row sees, from a tile boundary */
    /* row r: token t0 + r % nt, head h0 + r / nt; its output in e->att */
#define ATT_OUT(r) (e->att + ((size_t)(t0 + (r) % nt) * n_head + (size_t)(h0 + (r) / nt)) * hv)
    for (int r = 0; r < rows; r++) {
        m[r] = -INFINITY;
        l[r] = 0;
        memset(ATT_OUT(r), 0, (size_t)hv * sizeof(float));
    }
    /* keys (values) per run: 16 KiB of them, at least 8 */
    const int krun = 4096 / hk > 8 ? 4096 / hk : 8, vrun = 4096 / hv > 8 ? 4096 / hv : 8;
    for (int p0 = lo; p0 < hi; p0 += TILE) {
        const int n = hi - p0 < TILE ? hi - p0 : TILE;
        kv_run(j, sg, false, p0, n, kvh, kt);
        kv_run(j, sg, true, p0, n, kvh, vt);
        for (int r0 = 0; r0 < rows; r0 += RB) {
            const int nr = rows - r0 < RB ? rows - r0 : RB;
            int a[RB], b[RB];
            float corr[RB];
            const float *qr[RB];
            for (int i = 0; i < nr; i++) {
                const int r = r0 + i, t = t0 + r % nt, h = h0 + r / nt, pos = pos_t0 + r % nt, first = att_first(L, pos);
                a[i] = first > p0 ? first - p0 : 0;
                b[i] = pos + 1 - p0 < n ? pos + 1 - p0 : n;
                qr[i] = e->q + ((size_t)t * n_head + (size_t)h) * hk;
            }
            for (int k0 = 0; k0 < n; k0 += krun)
                for (int i = 0; i < nr; i++) {
                    const int ka = a[i] > k0 ? a[i] : k0, kb = b[i] < k0 + krun ? b[i] : k0 + krun;
                    if (ka < kb) vm_scores(qr[i], kt, hk, ka, kb, scale, s + (size_t)i * TILE);
                }
            for (int i = 0; i < nr; i++)
                if (a[i] < b[i]) corr[i] = vm_softmax_tile(s + (size_t)i * TILE, a[i], b[i], &m[r0 + i], &l[r0 + i], !e->p.exact);
            for (int v0 = 0; v0 < n; v0 += vrun)
                for (int i = 0; i < nr; i++) {
                    const int va = a[i] > v0 ? a[i] : v0, vb = b[i] < v0 + vrun ? b[i] : v0 + vrun;
                    if (va < vb) vm_accum_v(ATT_OUT(r0 + i), va == a[i] ? corr[i] : 1.0f, s + (size_t)i * TILE, vt, hv, va, vb);
                }
        }
    }
    for (int r = 0; r < rows; r++) {
        float *out = ATT_OUT(r);
        const float inv = (float)(1.0 / l[r]);
        for (int i = 0; i < hv; i++) out[i] *= inv;
    }
#undef ATT_OUT
}

/* Attention of the call's tokens, each over its own sequence. Flash: the
 * largest head group (a divisor of the query heads per KV head) that still
 * gives two tasks per thread, so generation (one token) keeps the threads
 * busy; the grouping changes which thread computes a row, not how. */
static void attention(fc_cpu_stage *e, int il) {
    const model_desc *d = e->d;
    const fc_ubatch *ub = e->ub;
    att_job aj = {e, il, 1};
    if (!e->p.flash) {
        pool_run(e->pool, att_plain_task, &aj, ub->n_tok * (int)d->n_head);
        return;
    }
    const int group = (int)(d->n_head / d->n_head_kv);
    int blocks = 0;
    for (int i = 0; i < ub->n_seg; i++) blocks += (ub->seg[i].n + WORKBUF_ATT_TOKENS - 1) / WORKBUF_ATT_TOKENS;
    const int want = 2 * pool_size(e->pool);
    for (int gs = group; gs >= 1; gs--)
        if (group % gs == 0 && blocks * (int)d->n_head_kv * (group / gs) >= want) { aj.heads_per_task = gs; break; }
    const int per_block = (int)d->n_head_kv * (group / aj.heads_per_task);
    e->seg_task0[0] = 0;
    for (int i = 0; i < ub->n_seg; i++)
        e->seg_task0[i + 1] = e->seg_task0[i] + (ub->seg[i].n + WORKBUF_ATT_TOKENS - 1) / WORKBUF_ATT_TOKENS * per_block;
    pool_run(e->pool, att_flash_task, &aj, e->seg_task0[ub->n_seg]);
}

/* ---- the forward pass ----------------------------------------------------- */

typedef struct { fc_cpu_stage *e; int il; } tok_job;

/* Rounds n values in place to what a cache row of type q gives back. */
static void kv_round(const quant_traits *q, quant_quantize_fn quantize, float *v, int64_t n, size_t row_bytes) {
    if (q->type == GGML_TYPE_F32) return;
    uint8_t row[row_bytes]; /* VLA: one KV row, a few KiB */
    quantize(v, row, n);
    q->dequant(row, v, n);
}

/* Per token: the per-head Q/K norms, RoPE, the rotation of quantized KV
 * heads (queries with the keys), and the new keys and values rounded to
 * the KV type (attention reads them from e->k / e->v). */
static void qk_task(void *ctx, int t, int thread) {
    (void)thread;
    const tok_job *j = ctx;
    fc_cpu_stage *e = j->e;
    const model_desc *d = e->d;
    const fc_layer *L = &e->model.layers[j->il];
    int pos = e->tok_pos[t], hk = (int)d->head_dim_k;
    float *q = e->q + (size_t)t * d->n_head * hk;
    float *k = e->k + (size_t)t * d->n_head_kv * hk;
    float *v = e->v + (size_t)t * d->n_head_kv * d->head_dim_v;
    if (L->q_norm)
        for (uint32_t h = 0; h < d->n_head; h++) fc_rmsnorm(q + (size_t)h * hk, q + (size_t)h * hk, L->q_norm, hk, d->norm_eps);
    if (L->k_norm)
        for (uint32_t h = 0; h < d->n_head_kv; h++) fc_rmsnorm(k + (size_t)h * hk, k + (size_t)h * hk, L->k_norm, hk, d->norm_eps);
    float cs[d->n_rot > 0 ? d->n_rot : 1]; /* VLA: the position's cos, sin pairs, shared by q and k */
    fc_rope_angles(cs, (int)d->n_rot, pos, L->rope_inv_freq);
    fc_rope_apply(q, (int)d->n_head, hk, (int)d->n_rot, cs, d->rope_type);
    fc_rope_apply(k, (int)d->n_head_kv, hk, (int)d->n_rot, cs, d->rope_type);
    if (e->rot_k) {
        vm_kv_rotate(q, (int)d->n_head, hk);
        vm_kv_rotate(k, (int)d->n_head_kv, hk);
    }
    if (e->rot_v) vm_kv_rotate(v, (int)d->n_head_kv, (int)d->head_dim_v);
    kv_round(e->kq, e->k_quantize, k, (int64_t)d->n_head_kv * hk, e->k_row_bytes);
    kv_round(e->vq, e->v_quantize, v, (int64_t)d->n_head_kv * d->head_dim_v, e->v_row_bytes);
}

/* Token t's key and value heads into its sequence's cache (rows pos %
 * kv_rows). Only the last kv_rows tokens of a segment survive in a ring:
 * earlier ones would be overwritten, so they are not stored. */
static void store_task(void *ctx, int t, int thread) {
    (void)thread;
    const tok_job *j = ctx;
    fc_cpu_stage *e = j->e;
    const model_desc *d = e->d;
    const fc_seg *sg = &e->ub->seg[e->tok_seg[t]];
    const size_t rows = e->kv_rows[j->il], row = (size_t)e->tok_pos[t] % rows;
    if ((size_t)(sg->t0 + sg->n - t) > rows) return;
    uint8_t *kc = kv_seq_base(e, false, j->il, sg->seq), *vc = kv_seq_base(e, true, j->il, sg->seq);
    for (size_t h = 0; h < d->n_head_kv; h++) {
        e->k_quantize(e->k + ((size_t)t * d->n_head_kv + h) * d->head_dim_k, kc + (h * rows + row) * e->k_head_bytes,
                      d->head_dim_k);
        e->v_quantize(e->v + ((size_t)t * d->n_head_kv + h) * d->head_dim_v, vc + (h * rows + row) * e->v_head_bytes,
                      d->head_dim_v);
    }
}

/* Token t's attention output back from the rotated values (kvrot.h: the
 * rotation is its own inverse). */
static void unrotate_task(void *ctx, int t, int thread) {
    (void)thread;
    const fc_cpu_stage *e = ctx;
    const model_desc *d = e->d;
    vm_kv_rotate(e->att + (size_t)t * d->n_head * d->head_dim_v, (int)d->n_head, (int)d->head_dim_v);
}

typedef struct { fc_cpu_stage *e; const float *norm; int n_tok; } norm_job;

static void norm_task(void *ctx, int t, int thread) {
    (void)thread;
    const norm_job *j = ctx;
    int n = (int)j->e->d->n_embd;
    fc_rmsnorm(j->e->xb + (size_t)t * n, j->e->x + (size_t)t * n, j->norm, n, j->e->d->norm_eps);
}

/* x[t] += rmsnorm(xb[t]) * norm: a post-norm on a block's output (xb) before the residual add. */
static void post_norm_add_task(void *ctx, int t, int thread) {
    (void)thread;
    const norm_job *j = ctx;
    int n = (int)j->e->d->n_embd;
    float *xb = j->e->xb + (size_t)t * n, *x = j->e->x + (size_t)t * n;
    fc_rmsnorm(xb, xb, j->norm, n, j->e->d->norm_eps);
    for (int i = 0; i < n; i++) x[i] += xb[i];
}

/* x += W in, or x += post_norm(W in) when the layer has the post-norm. */
static void residual_add(fc_cpu_stage *e, const fc_weight *w, const float *in, size_t in_w, const float *post_norm, int n_tok) {
    size_t n_embd = e->d->n_embd;
    quantize_rows(e, in, in_w, (int64_t)in_w, n_tok, w, NULL, NULL);
    mm_batch o = {.n_jobs = 1, .n_tok = n_tok, .segs = e->mm_segs, .n_segs = e->n_mm_segs};
    o.jobs[0] = (mm_job){.w = w, .dst = post_norm ? e->xb : e->x, .dst_stride = n_embd, .accumulate = !post_norm};
    set_act(e, &o.jobs[0], in, in_w);
    mm_run(e, &o);
    if (post_norm) {
        norm_job pj = {e, post_norm, n_tok};
        pool_run(e->pool, post_norm_add_task, &pj, n_tok);
    }
}

static void forward_layer(fc_cpu_stage *e, int il) {
    const model_desc *d = e->d;
    const int n_tok = e->ub->n_tok;
    const fc_layer *L = &e->model.layers[il];
    size_t n_embd = d->n_embd, q_w = (size_t)d->n_head * d->head_dim_k, kv_wk = (size_t)d->n_head_kv * d->head_dim_k;
    size_t kv_wv = (size_t)d->n_head_kv * d->head_dim_v, att_w = (size_t)d->n_head * d->head_dim_v;

    /* attention block */
    norm_job nj = {e, L->attn_norm, n_tok};
    pool_run(e->pool, norm_task, &nj, n_tok);
    quantize_rows(e, e->xb, n_embd, (int64_t)n_embd, n_tok, &L->wq, &L->wk, &L->wv);
    mm_batch b = {.n_jobs = 3, .n_tok = n_tok, .segs = e->mm_segs, .n_segs = e->n_mm_segs};
    b.jobs[0] = (mm_job){.w = &L->wq, .dst = e->q, .dst_stride = q_w};
    b.jobs[1] = (mm_job){.w = &L->wk, .dst = e->k, .dst_stride = kv_wk};
    b.jobs[2] = (mm_job){.w = &L->wv, .dst = e->v, .dst_stride = kv_wv};
    for (int i = 0; i < 3; i++) set_act(e, &b.jobs[i], e->xb, n_embd);
    mm_run(e, &b);
    tok_job tj = {e, il};
    pool_run(e->pool, qk_task, &tj, n_tok);
    attention(e, il);
    if (e->rot_v) pool_run(e->pool, unrotate_task, e, n_tok);
    pool_run(e->pool, store_task, &tj, n_tok);
    residual_add(e, &L->wo, e->att, att_w, L->attn_post_norm, n_tok);

    /* feed-forward block */
    nj.norm = L->ffn_norm;
    pool_run(e->pool, norm_task, &nj, n_tok);
    quantize_rows(e, e->xb, n_embd, (int64_t)n_embd, n_tok, &L->w_gate, &L->w_up, NULL);
    mm_batch f = {.n_jobs = 2, .n_tok = n_tok, .glu = true, .act = e->model.ffn_act, .segs = e->mm_segs, .n_segs = e->n_mm_segs};
    f.jobs[0] = (mm_job){.w = &L->w_gate, .dst = e->gate, .dst_stride = d->n_ff};
    f.jobs[1] = (mm_job){.w = &L->w_up, .dst = e->up, .dst_stride = d->n_ff};
    set_act(e, &f.jobs[0], e->xb, n_embd);
    set_act(e, &f.jobs[1], e->xb, n_embd);
    mm_run(e, &f);
    residual_add(e, &L->w_down, e->gate, d->n_ff, L->ffn_post_norm, n_tok);
}

/* Output head over the rows ub->out of the residual stream: the rows of
 * one segment form one matmul run, so a row's logits depend only on its
 * segment (batch invariance). */
static void forward_output(fc_cpu_stage *e) {
    const model_desc *d = e->d;
    const fc_ubatch *ub = e->ub;
    const int n_out = ub->n_out;
    size_t n_embd = d->n_embd;
    e->n_out_segs = 0;
    for (int i = 0; i < n_out; i++) {
        fc_rmsnorm(e->xb + (size_t)i * n_embd, e->x + (size_t)ub->out[i] * n_embd, e->model.output_norm, (int)n_embd,
                   d->norm_eps);
        if (i > 0 && e->tok_seg[ub->out[i]] == e->tok_seg[ub->out[i - 1]]) e->out_segs[e->n_out_segs - 1].n++;
        else e->out_segs[e->n_out_segs++] = (mm_seg){i, 1};
    }
    quantize_rows(e, e->xb, n_embd, (int64_t)n_embd, n_out, &e->model.output, NULL, NULL);
    mm_batch b = {.n_jobs = 1, .n_tok = n_out, .segs = e->out_segs, .n_segs = e->n_out_segs};
    b.jobs[0] = (mm_job){.w = &e->model.output, .dst = e->logits, .dst_stride = d->n_vocab};
    set_act(e, &b.jobs[0], e->xb, n_embd);
    mm_run(e, &b);
    float cap = e->model.logit_softcap;
    if (cap > 0)
        for (size_t i = 0; i < (size_t)n_out * d->n_vocab; i++) e->logits[i] = cap * tanhf(e->logits[i] / cap);
}

static int cpu_stage_eval(fc_stage *s, float *x, const fc_ubatch *ub, float *logits, fc_err *err) {
    fc_cpu_stage *e = (fc_cpu_stage *)s;
    const model_desc *d = e->d;
    const int n_tok = ub->n_tok;
    if (n_tok <= 0) return 0;
    if ((uint32_t)n_tok > e->sd.cfg.n_batch || (uint32_t)ub->n_out > mem_n_outputs(&e->sd.cfg))
        return fc_errf(err, FC_EINPUT, "stage: %d tokens, %d logit rows (at most %u and %u)", n_tok, ub->n_out,
                       e->sd.cfg.n_batch, mem_n_outputs(&e->sd.cfg));
    /* per token its position and segment; the matmuls' runs are the segments */
    e->ub = ub;
    e->n_mm_segs = ub->n_seg;
    for (int i = 0; i < ub->n_seg; i++) {
        const fc_seg *sg = &ub->seg[i];
        if (sg->seq < 0 || (uint32_t)sg->seq >= mem_n_seq(&e->sd.cfg) || sg->t0 < 0 || sg->n < 1 || sg->t0 + sg->n > n_tok ||
            sg->pos0 < 0 || (int64_t)sg->pos0 + sg->n > (int64_t)e->sd.cfg.n_ctx)
            return fc_errf(err, FC_EINPUT, "stage: segment %d (sequence %d, tokens %d..%d at %d) is out of range", i,
                           sg->seq, sg->t0, sg->t0 + sg->n, sg->pos0);
        e->mm_segs[i] = (mm_seg){sg->t0, sg->n};
        for (int t = sg->t0; t < sg->t0 + sg->n; t++) e->tok_pos[t] = sg->pos0 + (t - sg->t0), e->tok_seg[t] = i;
    }
    size_t row = (size_t)d->n_embd * sizeof(float);
    if (x != e->x) memcpy(e->x, x, (size_t)n_tok * row);  /* the hidden state crosses in */
    for (uint32_t il = e->sd.first; il < e->sd.first + e->sd.n_layers; il++) forward_layer(e, (int)il);
    if (e->sd.head && ub->n_out > 0) {
        forward_output(e);
        if (logits != e->logits) memcpy(logits, e->logits, (size_t)ub->n_out * d->n_vocab * sizeof(float));
    } else if (x != e->x) {
        memcpy(x, e->x, (size_t)n_tok * row);              /* and out */
    }
    e->ub = NULL;
    return 0;
}

static int cpu_device_count(char *why, size_t cap) {
    (void)why; (void)cap;
    return 1;
}
static bool no_emulator(void) { return false; }
static bool built(void) { return true; }

const fc_backend backend_cpu = {
    .name = "cpu", .kind = MEM_DEV_CPU, .mem = &devmem_host_ops, .device_init = NULL,
    .stage_new = cpu_stage_new, .eval = cpu_stage_eval, .stage_free = cpu_stage_free,
    .device_count = cpu_device_count, .built = built, .host_emulator = no_emulator,
};

/* A GPU emulated in host memory: the CPU code over copies in a capped arena. */
const fc_backend backend_emulated = {
    .name = "emulated", .kind = MEM_DEV_EMULATED, .mem = &devmem_host_ops, .device_init = NULL,
    .stage_new = cpu_stage_new, .eval = cpu_stage_eval, .stage_free = cpu_stage_free,
    .device_count = cpu_device_count, .built = built, .host_emulator = no_emulator,
};
