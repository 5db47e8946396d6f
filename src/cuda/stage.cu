/* stage — the CUDA stage: layers [first, first + n_layers) of a model (and
 * the output head when it is the last stage) on one GPU, with the same
 * contract as cpu_stage (stage.h) and the same arithmetic as engine.c's
 * forward pass, in its own kernels (kernels.cuh).
 *
 * Memory: everything on the device comes from the caller's fc_devmem, in the
 * memory model's order and sizes: the weights (stage_upload_weights), then
 * per layer "k" and "v" (mem_kv_layer_{k,v}_bytes), then the work buffers of
 * workbuf_layout_compute() in index order. The fc_devmem owns them all:
 * devmem_release() frees them; cuda_stage_free() frees only host state and
 * the stream. There is no WB_ACT and no WB_SCORES (workbuf_params.cuda):
 * activations stay float and attention keeps its scores in registers.
 *
 * One call: the hidden state (n_tok rows) is copied in once and out once;
 * the head's logits rows come back once. Everything runs on one stream; the
 * call returns after the stream is done. Not thread-safe.
 *
 * Several sequences (the server's slots, cfg.n_seq): each layer's KV holds
 * n_seq caches one after the other, each the memory model's bytes for one
 * sequence, as on the CPU. A call's segments (stage.h) share the row-wise
 * kernels (norms, matrix products, activations); RoPE, attention and the
 * cache stores run per segment, at its positions in its own cache. Batch
 * invariance: with several sequences every matrix product runs the tiled
 * kernel, whose sums for a (row, token) do not depend on the other tokens
 * (the one-token decode kernel splits rows across warps and sums in
 * another order), so a token gets the same bits alone or in a batch.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blocks.cuh"
#include "c_api.cuh"
#include "common.cuh"
#include "kernels.cuh"

extern "C" {
#include "../engine/kvrot.h"
}

#define PROGRESS_STEP ((uint64_t)64 << 20)

struct fc_cuda_stage {
    fc_stage base;              /* the backend table (stage.h) */
    fc_stage_desc sd;
    const model_desc *d;
    int ordinal;
    cudaStream_t st;
    fc_model view;              /* device pointers for the stage's layers and head */
    bool have_view;
    uint8_t **k_cache, **v_cache; /* [n_layers]: (kv_rows, k/v row bytes) in type_k / type_v */
    uint32_t *kv_rows;          /* [n_layers] mem_layer_ctx(): n_ctx, or the window (a ring) */
    size_t *k_row_bytes, *v_row_bytes;
    size_t *k_seq_bytes, *v_seq_bytes; /* [n_layers] one sequence's cache (the memory model's) */
    uint32_t n_seq;
    bool invariant;             /* several sequences: the tiled product for every token count */
    void *buf[WB_COUNT];        /* workbuf.h; row strides follow each layer's widths */
    uint32_t n_outputs;         /* logits rows WB_LOGITS holds */
    fc_stage_mem held;          /* what stage_allocate gave (host arrays owned) */
};

/* ---- upload with progress: wraps the fc_devmem's ops while weights upload ---- */

typedef struct progress_ctx {
    const fc_devmem_ops *ops;
    void *ctx;
    void (*fn)(void *, uint64_t, uint64_t);
    void *fn_ctx;
    uint64_t done, total, last;
} progress_ctx;

static void *pw_alloc(void *c, uint64_t b) { progress_ctx *p = (progress_ctx *)c; return p->ops->alloc(p->ctx, b); }
static void pw_free(void *c, void *ptr) { progress_ctx *p = (progress_ctx *)c; p->ops->free(p->ctx, ptr); }
static uint64_t pw_free_now(void *c) { progress_ctx *p = (progress_ctx *)c; return p->ops->free_now(p->ctx); }
static int pw_upload(void *c, void *dst, const void *src, uint64_t bytes) {
    progress_ctx *p = (progress_ctx *)c;
    for (uint64_t off = 0; off < bytes; off += PROGRESS_STEP) {
        const uint64_t n = bytes - off < PROGRESS_STEP ? bytes - off : PROGRESS_STEP;
        if (p->ops->upload(p->ctx, (uint8_t *)dst + off, (const uint8_t *)src + off, n)) return -1;
        p->done += n;
        if (p->fn && p->done - p->last >= PROGRESS_STEP) {
            p->last = p->done;
            p->fn(p->fn_ctx, p->done < p->total ? p->done : p->total, p->total);
        }
    }
    return 0;
}
static const fc_devmem_ops progress_ops = {pw_alloc, pw_free, pw_upload, pw_free_now};

/* ---- creation -------------------------------------------------------------- */

static int check_weight(const fc_weight *w, const char *what, int il, fc_err *err) {
    if (!w->data) return 0;
    const uint32_t type = w->q ? w->q->type : (uint32_t)GGML_TYPE_COUNT;
    if (!mm_type_supported(type))
        return fc_errf(err, FC_EINPUT, "CUDA stage: layer %d %s has type %s, which the CUDA kernels do not run", il, what,
                       ggml_type_name(type));
    if (w->n_in % 8) return fc_errf(err, FC_EINPUT, "CUDA stage: layer %d %s rows of %lld are not a multiple of 8", il, what, (long long)w->n_in);
    return 0;
}

static int stage_check(const fc_stage_desc *sd, fc_err *err) {
    const model_desc *d = sd->d;
    const uint32_t kt[2] = {sd->cfg.type_k, sd->cfg.type_v};
    for (int i = 0; i < 2; i++)
        if (!mem_kv_type_allowed(kt[i]))
            return fc_errf(err, FC_EINPUT, "CUDA stage: KV type %s is not supported", ggml_type_name(kt[i]));
    if (d->head_dim_k % 32 || d->head_dim_v % 32 || d->head_dim_k > 256 || d->head_dim_v > 256)
        return fc_errf(err, FC_EINPUT, "CUDA stage: head dims %u/%u are not supported (multiples of 32 up to 256)",
                       d->head_dim_k, d->head_dim_v);
    if (d->n_embd % 8) return fc_errf(err, FC_EINPUT, "CUDA stage: n_embd %u is not a multiple of 8", d->n_embd);
    if (sd->first + sd->n_layers > d->n_layer) return fc_errf(err, FC_EINPUT, "CUDA stage: layers %u..%u of %u", sd->first, sd->first + sd->n_layers, d->n_layer);
    return 0;
}

static void cuda_stage_free(fc_stage *st);

static fc_stage *cuda_stage_new(const fc_stage_desc *sd, fc_devmem *m, fc_err *err) {
    const int ordinal = sd->ordinal;
    if (stage_check(sd, err)) return NULL;
    char why[256] = "";
    if (cuda_device_count(why, sizeof why) <= ordinal) {
        fc_errf(err, FC_EFAIL, "CUDA device %d: not available (%s)", ordinal, why[0] ? why : "no such device");
        return NULL;
    }
    fc_cuda_stage *s = (fc_cuda_stage *)calloc(1, sizeof *s);
    if (!s) { fc_errf(err, FC_EFAIL, "out of memory"); return NULL; }
    s->base.be = &backend_cuda;
    s->sd = *sd;
    s->d = sd->d;
    s->ordinal = ordinal;
    const model_desc *d = sd->d;
    const uint32_t nl = sd->n_layers;
    s->k_cache = (uint8_t **)calloc(nl + 1, sizeof *s->k_cache);
    s->v_cache = (uint8_t **)calloc(nl + 1, sizeof *s->v_cache);
    s->kv_rows = (uint32_t *)calloc(nl + 1, sizeof *s->kv_rows);
    s->k_row_bytes = (size_t *)calloc(nl + 1, sizeof *s->k_row_bytes);
    s->v_row_bytes = (size_t *)calloc(nl + 1, sizeof *s->v_row_bytes);
    s->k_seq_bytes = (size_t *)calloc(nl + 1, sizeof *s->k_seq_bytes);
    s->v_seq_bytes = (size_t *)calloc(nl + 1, sizeof *s->v_seq_bytes);
    s->n_seq = mem_n_seq(&sd->cfg);
    s->invariant = s->n_seq > 1;
    if (!s->k_cache || !s->v_cache || !s->kv_rows || !s->k_row_bytes || !s->v_row_bytes || !s->k_seq_bytes || !s->v_seq_bytes) {
        fc_errf(err, FC_EFAIL, "out of memory");
        goto fail;
    }
    {
        char what[96];
        snprintf(what, sizeof what, "device %d: cudaSetDevice", ordinal);
        if (cudaSetDevice(ordinal) != cudaSuccess) {
            const cudaError_t rc = cudaGetLastError();
            fc_errf(err, FC_EFAIL, "CUDA: %s: %s", what, cudaGetErrorString(rc));
            goto fail;
        }
        if (cudaStreamCreateWithFlags(&s->st, cudaStreamNonBlocking) != cudaSuccess) {
            const cudaError_t rc = cudaGetLastError();
            fc_errf(err, FC_EFAIL, "CUDA: device %d: creating a stream: %s", ordinal, cudaGetErrorString(rc));
            s->st = NULL;
            goto fail;
        }
    }

    /* the manifest through the device's allocator, with progress every
     * ~64 MiB while the weights upload */
    {
        progress_ctx pc = {m->ops, m->ctx, sd->progress, sd->progress_ctx, 0, stage_upload_bytes(sd), 0};
        const fc_devmem_ops *ops = m->ops;
        void *ctx = m->ctx;
        m->ops = &progress_ops;
        m->ctx = &pc;
        const int rc = stage_allocate(sd, m, &s->held, err);
        m->ops = ops;
        m->ctx = ctx;
        if (rc) goto fail;
        if (sd->progress) sd->progress(sd->progress_ctx, pc.total, pc.total);
    }
    if (stage_weights_view(sd, &s->held, &s->view, err)) goto fail;
    s->have_view = true;
    for (uint32_t i = 0; i < nl; i++) {
        const fc_layer *L = &s->view.layers[sd->first + i];
        const int il = (int)(sd->first + i);
        if (check_weight(&L->wq, "attn_q", il, err) || check_weight(&L->wk, "attn_k", il, err) ||
            check_weight(&L->wv, "attn_v", il, err) || check_weight(&L->wo, "attn_output", il, err) ||
            check_weight(&L->w_gate, "ffn_gate", il, err) || check_weight(&L->w_up, "ffn_up", il, err) ||
            check_weight(&L->w_down, "ffn_down", il, err))
            goto fail;
    }
    if (sd->head && check_weight(&s->view.output, "output", -1, err)) goto fail;

    /* KV cache per layer (rows of the layer's widths) and the work buffers */
    for (uint32_t i = 0; i < nl; i++) {
        const uint32_t il = sd->first + i;
        s->kv_rows[i] = mem_layer_ctx(d, il, sd->cfg.n_ctx);
        s->k_row_bytes[i] = (size_t)kv_row_bytes(sd->cfg.type_k, (int64_t)model_n_embd_k(d, il));
        s->v_row_bytes[i] = (size_t)kv_row_bytes(sd->cfg.type_v, (int64_t)model_n_embd_v(d, il));
        s->k_seq_bytes[i] = (size_t)mem_kv_layer_k_bytes(d, il, sd->cfg.n_ctx, sd->cfg.type_k);
        s->v_seq_bytes[i] = (size_t)mem_kv_layer_v_bytes(d, il, sd->cfg.n_ctx, sd->cfg.type_v);
        if (s->k_seq_bytes[i] < (uint64_t)s->kv_rows[i] * s->k_row_bytes[i] ||
            s->v_seq_bytes[i] < (uint64_t)s->kv_rows[i] * s->v_row_bytes[i]) {
            fc_errf(err, FC_EFAIL, "CUDA stage: layer %u: the memory model's KV bytes are less than %u rows need", il,
                    s->kv_rows[i]);
            goto fail;
        }
        s->k_cache[i] = s->held.k[il];
        s->v_cache[i] = s->held.v[il];
    }
    for (int i = 0; i < WB_COUNT; i++) s->buf[i] = s->held.buf[i];
    s->n_outputs = mem_n_outputs(&sd->cfg);
    {
        const size_t half = d->n_rot / 2;
        if (half && !s->buf[WB_ROPE]) {
            fc_errf(err, FC_EFAIL, "CUDA stage: the work-buffer layout has no RoPE tables (workbuf_params.device unset)");
            goto fail;
        }
        if (half) {
            const fc_model *hm = sd->model;
            if (cudaMemcpy(s->buf[WB_ROPE], hm->rope_inv_freq, half * sizeof(double), cudaMemcpyHostToDevice) != cudaSuccess ||
                (hm->rope_inv_freq_swa &&
                 cudaMemcpy((double *)s->buf[WB_ROPE] + half, hm->rope_inv_freq_swa, half * sizeof(double),
                            cudaMemcpyHostToDevice) != cudaSuccess)) {
                const cudaError_t rc = cudaGetLastError();
                fc_errf(err, FC_EFAIL, "CUDA: uploading the RoPE tables: %s", cudaGetErrorString(rc));
                goto fail;
            }
        }
        /* The uploads (cudaMemcpy: the legacy stream, and from pageable
         * memory it may return before the DMA lands) done before the first
         * kernel on s->st, a non-blocking stream that does not wait for the
         * legacy one (found in review; the emulator copies synchronously) */
        if (cudaDeviceSynchronize() != cudaSuccess) {
            const cudaError_t rc = cudaGetLastError();
            fc_errf(err, FC_EFAIL, "CUDA: device %d: finishing the uploads: %s", ordinal, cudaGetErrorString(rc));
            goto fail;
        }
    }
    return &s->base;
fail:
    cuda_stage_free(&s->base);
    return NULL;
}

static void cuda_stage_free(fc_stage *st) {
    fc_cuda_stage *s = (fc_cuda_stage *)st;
    if (!s) return;
    if (s->st) {
        cudaSetDevice(s->ordinal);
        cudaStreamSynchronize(s->st);
        cudaStreamDestroy(s->st);
        cudaGetLastError();
    }
    if (s->have_view) stage_view_free(&s->view);
    stage_mem_free(&s->held);
    free(s->k_cache);
    free(s->v_cache);
    free(s->kv_rows);
    free(s->k_row_bytes);
    free(s->v_row_bytes);
    free(s->k_seq_bytes);
    free(s->v_seq_bytes);
    free(s);
}

/* ---- the forward pass -------------------------------------------------------- */

/* out (n_tok rows, out_stride apart) = or += w in (+ bias). */
static int mm(fc_cuda_stage *s, const fc_weight *w, const float *in, int64_t in_stride, int n_tok, float *out,
              int64_t out_stride, bool accumulate, int il, fc_err *err) {
    if (s->invariant ? matmul_launch(s->st, w->q->type, w->data, w->n_in, w->n_out, w->row_bytes, in, in_stride, n_tok, w->bias,
                                     out, out_stride, accumulate, err)
                     : mm_launch(s->st, w->q->type, w->data, w->n_in, w->n_out, w->row_bytes, in, in_stride, n_tok, w->bias, out,
                                 out_stride, accumulate, err))
        return il >= 0 ? fc_err_prefix(err, "layer %d %s", il, w->name ? w->name : "?")
                       : fc_err_prefix(err, "%s", w->name ? w->name : "output");
    return 0;
}

/* x += W in, or x += post_norm(W in) (xb holds W in) when the layer has one. */
static int residual(fc_cuda_stage *s, const fc_weight *w, const float *in, int64_t in_w, const float *post_norm,
                    int n_tok, int il, fc_err *err) {
    const model_desc *d = s->d;
    float *x = (float *)s->buf[WB_X], *xb = (float *)s->buf[WB_XB];
    if (!post_norm) return mm(s, w, in, in_w, n_tok, x, d->n_embd, true, il, err);
    if (mm(s, w, in, in_w, n_tok, xb, d->n_embd, false, il, err)) return -1;
    return rmsnorm_launch(s->st, xb, post_norm, x, n_tok, (int)d->n_embd, d->norm_eps, true, err);
}

static int forward_layer(fc_cuda_stage *s, uint32_t i, const fc_ubatch *ub, fc_err *err) {
    const int n_tok = ub->n_tok;
    const model_desc *d = s->d;
    const int il = (int)(s->sd.first + i);
    const fc_layer *L = &s->view.layers[il];
    const int n_head = (int)d->n_head_l[il], n_head_kv = (int)d->n_head_kv_l[il];
    const int hk = (int)d->head_dim_k, hv = (int)d->head_dim_v, n_embd = (int)d->n_embd;
    const int64_t q_w = (int64_t)n_head * hk, kv_wk = (int64_t)n_head_kv * hk, kv_wv = (int64_t)n_head_kv * hv;
    const int64_t att_w = (int64_t)n_head * hv, n_ff = L->w_gate.n_out;
    float *x = (float *)s->buf[WB_X], *xb = (float *)s->buf[WB_XB], *q = (float *)s->buf[WB_Q];
    float *k = (float *)s->buf[WB_K], *v = (float *)s->buf[WB_V], *att = (float *)s->buf[WB_ATT];
    float *gate = (float *)s->buf[WB_FF_GATE], *up = (float *)s->buf[WB_FF_UP];
    const double *rope = (const double *)s->buf[WB_ROPE];
    const fc_model *hm = s->sd.model;
    if (hm->rope_inv_freq_swa && L->rope_inv_freq == hm->rope_inv_freq_swa) rope += d->n_rot / 2;

    /* attention block */
    if (rmsnorm_launch(s->st, x, L->attn_norm, xb, n_tok, n_embd, d->norm_eps, false, err)) return -1;
    if (mm(s, &L->wq, xb, n_embd, n_tok, q, q_w, false, il, err) || mm(s, &L->wk, xb, n_embd, n_tok, k, kv_wk, false, il, err) ||
        mm(s, &L->wv, xb, n_embd, n_tok, v, kv_wv, false, il, err))
        return -1;
    if (L->q_norm && rmsnorm_launch(s->st, q, L->q_norm, q, n_tok * n_head, hk, d->norm_eps, false, err)) return -1;
    if (L->k_norm && rmsnorm_launch(s->st, k, L->k_norm, k, n_tok * n_head_kv, hk, d->norm_eps, false, err)) return -1;
    for (int g = 0; g < ub->n_seg; g++) { /* each segment at its own positions */
        const fc_seg *sg = &ub->seg[g];
        if (rope_launch(s->st, q + sg->t0 * q_w, sg->n, n_head, hk, (int)d->n_rot, sg->pos0, rope, d->rope_type, err) ||
            rope_launch(s->st, k + sg->t0 * kv_wk, sg->n, n_head_kv, hk, (int)d->n_rot, sg->pos0, rope, d->rope_type, err))
            return -1;
    }
    /* quantized caches hold rotated heads (src/engine/kvrot.h): keys with the queries, values */
    if (kvrot_on(s->sd.cfg.type_k) && (kv_rotate_launch(s->st, q, n_tok * n_head, hk, err) ||
                                   kv_rotate_launch(s->st, k, n_tok * n_head_kv, hk, err)))
        return -1;
    if (kvrot_on(s->sd.cfg.type_v) && kv_rotate_launch(s->st, v, n_tok * n_head_kv, hv, err)) return -1;
    if (kv_round_launch(s->st, s->sd.cfg.type_k, k, n_tok, kv_wk, err) || kv_round_launch(s->st, s->sd.cfg.type_v, v, n_tok, kv_wv, err))
        return -1;
    for (int g = 0; g < ub->n_seg; g++) { /* each segment against its own sequence's cache */
        const fc_seg *sg = &ub->seg[g];
        uint8_t *kc = s->k_cache[i] + (size_t)sg->seq * s->k_seq_bytes[i], *vc = s->v_cache[i] + (size_t)sg->seq * s->v_seq_bytes[i];
        attn_args a;
        memset(&a, 0, sizeof a);
        a.q = q + sg->t0 * q_w;
        a.k_new = k + sg->t0 * kv_wk;
        a.v_new = v + sg->t0 * kv_wv;
        a.k_cache = kc;
        a.v_cache = vc;
        a.type_k = s->sd.cfg.type_k;
        a.type_v = s->sd.cfg.type_v;
        a.k_row_bytes = s->k_row_bytes[i];
        a.v_row_bytes = s->v_row_bytes[i];
        a.kv_rows = (int)s->kv_rows[i];
        a.n_tok = sg->n;
        a.pos0 = sg->pos0;
        a.n_head = n_head;
        a.n_head_kv = n_head_kv;
        a.hk = hk;
        a.hv = hv;
        a.n_window = (int)L->n_window;
        a.scale = s->view.attn_scale;
        a.out = att + sg->t0 * att_w;
        if (attention_launch(s->st, &a, err)) return fc_err_prefix(err, "layer %d", il);
    }
    if (kvrot_on(s->sd.cfg.type_v) && kv_rotate_launch(s->st, att, n_tok * n_head, hv, err)) return -1; /* R R out = out */
    for (int g = 0; g < ub->n_seg; g++) {
        const fc_seg *sg = &ub->seg[g];
        uint8_t *kc = s->k_cache[i] + (size_t)sg->seq * s->k_seq_bytes[i], *vc = s->v_cache[i] + (size_t)sg->seq * s->v_seq_bytes[i];
        /* only the last kv_rows tokens survive in a ring: earlier ones would be overwritten */
        const int first_t = sg->n > (int)s->kv_rows[i] ? sg->n - (int)s->kv_rows[i] : 0, t = sg->t0 + first_t;
        if (kv_store_launch(s->st, s->sd.cfg.type_k, k + t * kv_wk, sg->n - first_t, kv_wk, kc, s->k_row_bytes[i], sg->pos0 + first_t,
                            (int)s->kv_rows[i], err) ||
            kv_store_launch(s->st, s->sd.cfg.type_v, v + t * kv_wv, sg->n - first_t, kv_wv, vc, s->v_row_bytes[i], sg->pos0 + first_t,
                            (int)s->kv_rows[i], err))
            return -1;
    }
    if (residual(s, &L->wo, att, att_w, L->attn_post_norm, n_tok, il, err)) return -1;

    /* feed-forward block */
    if (rmsnorm_launch(s->st, x, L->ffn_norm, xb, n_tok, n_embd, d->norm_eps, false, err)) return -1;
    if (mm(s, &L->w_gate, xb, n_embd, n_tok, gate, n_ff, false, il, err) || mm(s, &L->w_up, xb, n_embd, n_tok, up, n_ff, false, il, err))
        return -1;
    if (glu_launch(s->st, gate, up, (int64_t)n_tok * n_ff, s->view.ffn_act == FFN_GELU_TANH ? 1 : 0, gate, err)) return -1;
    return residual(s, &L->w_down, gate, n_ff, L->ffn_post_norm, n_tok, il, err);
}

static int cuda_stage_eval(fc_stage *st, float *x, const fc_ubatch *ub, float *logits, fc_err *err) {
    fc_cuda_stage *s = (fc_cuda_stage *)st;
    const model_desc *d = s->d;
    const int n_tok = ub->n_tok, n_out = ub->n_out;
    if (n_tok <= 0) return 0;
    if ((uint32_t)n_tok > s->sd.cfg.n_batch)
        return fc_errf(err, FC_EINPUT, "CUDA stage: %d tokens in one call (batch %u)", n_tok, s->sd.cfg.n_batch);
    /* segments in token order covering [0, n_tok), each in its sequence's context */
    for (int g = 0, next = 0; g < ub->n_seg; g++) {
        const fc_seg *sg = &ub->seg[g];
        if (sg->seq < 0 || (uint32_t)sg->seq >= s->n_seq || sg->t0 != next || sg->n < 1 || sg->pos0 < 0 ||
            (int64_t)sg->pos0 + sg->n > (int64_t)s->sd.cfg.n_ctx)
            return fc_errf(err, FC_EINPUT, "CUDA stage: segment %d (sequence %d, %d tokens at position %d) does not fit "
                           "(%u sequences, context %u)", g, sg->seq, sg->n, sg->pos0, s->n_seq, s->sd.cfg.n_ctx);
        next += sg->n;
        if (g == ub->n_seg - 1 && next != n_tok)
            return fc_errf(err, FC_EINPUT, "CUDA stage: the segments cover %d of %d tokens", next, n_tok);
    }
    const bool want_logits = s->sd.head && logits && n_out > 0; /* n_out 0: a batch before the last */
    if (want_logits && (uint32_t)n_out > s->n_outputs)
        return fc_errf(err, FC_EINPUT, "CUDA stage: %d logits rows (at most %u)", n_out, s->n_outputs);
    for (int i = 0; want_logits && i < n_out; i++)
        if (ub->out[i] < 0 || ub->out[i] >= n_tok) return fc_errf(err, FC_EINPUT, "CUDA stage: logits row %d of %d tokens", ub->out[i], n_tok);
    char what[64];
    snprintf(what, sizeof what, "device %d: cudaSetDevice", s->ordinal);
    CU(err, cudaSetDevice(s->ordinal), what);
    float *dx = (float *)s->buf[WB_X];
    const size_t x_bytes = (size_t)n_tok * d->n_embd * sizeof(float), row = d->n_embd * sizeof(float);
    CU(err, cudaMemcpyAsync(dx, x, x_bytes, cudaMemcpyHostToDevice, s->st), "uploading the hidden state");
    for (uint32_t i = 0; i < s->sd.n_layers; i++)
        if (forward_layer(s, i, ub, err)) {
            cudaStreamSynchronize(s->st);
            return -1;
        }
    if (want_logits) {
        float *xb = (float *)s->buf[WB_XB], *dl = (float *)s->buf[WB_LOGITS];
        const int64_t n_vocab = s->view.output.n_out;
        /* the logits rows, gathered (runs of consecutive rows, one copy each) */
        for (int i = 0; i < n_out;) {
            int n = 1;
            while (i + n < n_out && ub->out[i + n] == ub->out[i] + n) n++;
            CU(err, cudaMemcpyAsync((uint8_t *)xb + (size_t)i * row, (const uint8_t *)dx + (size_t)ub->out[i] * row, (size_t)n * row,
                                    cudaMemcpyDeviceToDevice, s->st),
               "gathering the logits rows");
            i += n;
        }
        if (rmsnorm_launch(s->st, xb, s->view.output_norm, xb, n_out, (int)d->n_embd, d->norm_eps, false, err) ||
            mm(s, &s->view.output, xb, d->n_embd, n_out, dl, n_vocab, false, -1, err) ||
            softcap_launch(s->st, dl, (int64_t)n_out * n_vocab, s->view.logit_softcap, err)) {
            cudaStreamSynchronize(s->st);
            return -1;
        }
        CU(err, cudaMemcpyAsync(logits, dl, (size_t)n_out * n_vocab * sizeof(float), cudaMemcpyDeviceToHost, s->st),
           "downloading the logits");
    }
    if (!s->sd.head) /* the next stage's input; after the head nobody reads it */
        CU(err, cudaMemcpyAsync(x, dx, x_bytes, cudaMemcpyDeviceToHost, s->st), "downloading the hidden state");
    CU(err, cudaStreamSynchronize(s->st), "running the layers (a kernel failed)");
    return 0;
}

extern "C" const fc_backend backend_cuda = {
    "cuda", MEM_DEV_GPU, &cuda_devmem_ops, cuda_device_init, cuda_stage_new, cuda_stage_eval, cuda_stage_free,
    cuda_device_count, cuda_device_of_uuid, cuda_built, cuda_emulated,
};
