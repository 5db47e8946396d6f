/* engine — the stages of a plan chained into one forward pass (engine.h). */
#include "engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../plan/memory.h"
#include "stage.h"
#include "threads.h"

typedef struct {
    fc_engine_device dev;
    fc_devmem mem;
    int ordinal;                /* ctx of cuda_devmem_ops */
    uint64_t context_bytes;
    const fc_engine_params *p;  /* for the progress callback */
    fc_stage *stage;            /* NULL: an idle device */
} engine_dev;

struct fc_engine {
    fc_model model;             /* host model: weights in the mapping */
    const model_desc *d;
    fc_engine_params p;
    fc_pool *pool;
    fc_alloc_log log;
    mem_model mm;               /* the manifests every stage allocates */
    fc_devmem cpu_mem;
    fc_stage *cpu;
    uint32_t cpu_layers;
    engine_dev dev[GPU_MAX_DEVICES];
    int n_dev;
    float *x, *logits;          /* the CPU stage's residual and logits buffers */
    bool ring;                  /* some layer's cache is a ring: rewinding loses positions */
    uint32_t n_seq;
    int *n_past;                /* [n_seq] positions each sequence's cache holds */
    fc_seg *segs;               /* [n_batch] a call's segments */
    int *out_rows;              /* [n_batch] its logit rows */
    int *item_row;              /* [n_batch] engine_eval_batch: item -> logits row, or -1 */
    int n_items;
};

static bool kv_type_ok(uint32_t t) { return mem_kv_type_allowed(t); }

/* Devices must cover the last layers contiguously, the head on the last. */
static int check_devices(const model_desc *d, const fc_engine_params *p, uint32_t *cpu_layers, fc_err *err) {
    if (p->n_dev < 0 || p->n_dev > GPU_MAX_DEVICES) return fc_errf(err, FC_EINPUT, "device count %d is out of range", p->n_dev);
    uint32_t total = 0;
    for (int i = 0; i < p->n_dev; i++) total += p->dev[i].n_layers;
    if (total > d->n_layer) return fc_errf(err, FC_EINPUT, "the devices run %u layers but the model has %u", total, d->n_layer);
    *cpu_layers = d->n_layer - total;
    uint32_t next = *cpu_layers;
    int last = -1; /* the last device that runs anything */
    for (int i = 0; i < p->n_dev; i++)
        if (p->dev[i].n_layers || p->dev[i].head) last = i;
    for (int i = 0; i < p->n_dev; i++) {
        const fc_engine_device *v = &p->dev[i];
        if (v->kind != MEM_DEV_GPU && v->kind != MEM_DEV_EMULATED)
            return fc_errf(err, FC_EINPUT, "device %d: kind %d is not a GPU or an emulated GPU", i, (int)v->kind);
        if (v->n_layers && v->first_layer != next)
            return fc_errf(err, FC_EINPUT, "device %d starts at layer %u, expected %u (ranges must be contiguous)", i,
                           v->first_layer, next);
        if (v->head && i != last) return fc_errf(err, FC_EINPUT, "device %d has the head but is not the last", i);
        next += v->n_layers;
    }
    return 0;
}

static void progress_thunk(void *ctx, uint64_t done, uint64_t total) {
    const engine_dev *v = ctx;
    if (v->p->progress) v->p->progress(v->p->progress_ctx, v->mem.label, done, total);
}

fc_engine *engine_new(const gguf_file *f, const model_desc *d, const fc_engine_params *p, fc_err *err) {
    if (p->n_ctx < 1 || p->n_ctx > FC_N_CTX_MAX) { fc_errf(err, FC_EINPUT, "context size %u is out of range (1..%u)", p->n_ctx, FC_N_CTX_MAX); return NULL; }
    if (p->n_batch < 1 || p->n_batch > FC_N_BATCH_MAX) { fc_errf(err, FC_EINPUT, "batch size %u is out of range (1..%u)", p->n_batch, FC_N_BATCH_MAX); return NULL; }
    if (p->n_threads < 1 || (unsigned)p->n_threads > FC_N_THREADS_MAX) { fc_errf(err, FC_EINPUT, "thread count %d is out of range (1..%u)", p->n_threads, FC_N_THREADS_MAX); return NULL; }
    if (!kv_type_ok(p->type_k) || !kv_type_ok(p->type_v)) {
        fc_errf(err, FC_EINPUT, "KV cache type %s is not supported (use f32, f16, q8_0 or q4_0)",
                ggml_type_name(kv_type_ok(p->type_k) ? p->type_v : p->type_k));
        return NULL;
    }
    uint32_t cpu_layers = 0;
    if (check_devices(d, p, &cpu_layers, err)) return NULL;
    if (p->n_seq > FC_N_SEQ_MAX) { fc_errf(err, FC_EINPUT, "%u sequences are out of range (1..%u)", p->n_seq, FC_N_SEQ_MAX); return NULL; }
    quant_init(QUANT_ISA_AUTO);
    fc_engine *e = calloc(1, sizeof *e);
    if (!e) { fc_errf(err, FC_EFAIL, "out of memory"); return NULL; }
    e->d = d;
    e->p = *p;
    e->cpu_layers = cpu_layers;
    e->n_seq = p->n_seq ? p->n_seq : 1;
    e->n_past = calloc(e->n_seq, sizeof *e->n_past);
    e->segs = calloc(p->n_batch, sizeof *e->segs);
    e->out_rows = calloc(p->n_batch, sizeof *e->out_rows);
    e->item_row = calloc(p->n_batch, sizeof *e->item_row);
    if (!e->n_past || !e->segs || !e->out_rows || !e->item_row) {
        free(e->n_past); free(e->segs); free(e->out_rows); free(e->item_row); free(e);
        fc_errf(err, FC_EFAIL, "out of memory");
        return NULL;
    }
    devmem_init(&e->cpu_mem, FC_DEV_CPU, "CPU", UINT64_MAX, &e->log, &devmem_host_ops, NULL);
    if (model_load(&e->model, f, d, err)) {
        free(e->n_past); free(e->segs); free(e->out_rows); free(e->item_row); free(e);
        return NULL;
    }
    const ggml_type_info *tk = ggml_type_get(p->type_k), *tv = ggml_type_get(p->type_v);
    if (d->head_dim_k % tk->block_elems || d->head_dim_v % tv->block_elems) {
        fc_errf(err, FC_EINPUT, "KV cache type %s needs head dimensions that are multiples of %u (model has %u/%u)",
                tk->name, tk->block_elems > tv->block_elems ? tk->block_elems : tv->block_elems, d->head_dim_k, d->head_dim_v);
        goto fail;
    }
    for (uint32_t il = 0; il < d->n_layer; il++) e->ring |= mem_layer_ctx(d, il, p->n_ctx) < p->n_ctx;
    if (!(e->pool = pool_new(p->n_threads))) { fc_errf(err, FC_EFAIL, "out of memory (thread pool)"); goto fail; }

    if (mem_model_init(&e->mm, f, d, err)) goto fail;

    bool head_on_dev = false;
    for (int i = 0; i < p->n_dev; i++) head_on_dev |= p->dev[i].head;
    fc_stage_desc sd = {
        .file = f, .d = d, .model = &e->model, .mm = &e->mm, .kind = MEM_DEV_CPU, .first = 0, .n_layers = cpu_layers,
        .head = !head_on_dev, .exact = p->exact, .pool = e->pool,
        .cfg = {.n_ctx = p->n_ctx, .n_seq = e->n_seq, .n_batch = p->n_batch, .type_k = p->type_k, .type_v = p->type_v, .flash = p->flash,
                .n_threads = (uint32_t)p->n_threads, .n_outputs = p->all_logits ? p->n_batch : 1,
                .repack = p->repack},
    };
    if (!(e->cpu = backend_cpu.stage_new(&sd, &e->cpu_mem, err))) goto fail;
    e->x = cpu_stage_x(e->cpu);
    e->logits = cpu_stage_logits(e->cpu);

    for (int i = 0; i < p->n_dev; i++) {
        engine_dev *v = &e->dev[i];
        v->dev = p->dev[i];
        v->p = &e->p;
        e->n_dev = i + 1;
        if (!v->dev.n_layers && !v->dev.head) continue; /* an idle GPU holds nothing */
        const fc_backend *be = stage_backend(v->dev.kind);
        char label[128];
        fc_stage_desc ds = sd;
        ds.kind = v->dev.kind;
        ds.first = v->dev.first_layer;
        ds.n_layers = v->dev.n_layers;
        ds.head = v->dev.head;
        ds.ordinal = v->ordinal = v->dev.ordinal;
        ds.progress = progress_thunk;
        ds.progress_ctx = v;
        if (v->dev.kind == MEM_DEV_EMULATED) snprintf(label, sizeof label, "emulated GPU %d (%s)", i, v->dev.name);
        else snprintf(label, sizeof label, "GPU %d (%s)", v->dev.ordinal, v->dev.name);
        if (be->device_init && be->device_init(v->ordinal, &v->context_bytes, err)) goto fail;
        uint64_t cap = v->dev.kind == MEM_DEV_EMULATED && v->dev.cap ? v->dev.cap : UINT64_MAX;
        devmem_init(&v->mem, i, label, cap, &e->log, be->mem, &v->ordinal);
        if (!(v->stage = be->stage_new(&ds, &v->mem, err))) goto fail;
    }
    return e;
fail:
    engine_free(e);
    return NULL;
}

void engine_free(fc_engine *e) {
    if (!e) return;
    for (int i = e->n_dev - 1; i >= 0; i--) {
        engine_dev *v = &e->dev[i];
        if (v->stage) v->stage->be->stage_free(v->stage);
        devmem_release(&v->mem);
    }
    if (e->cpu) e->cpu->be->stage_free(e->cpu);
    devmem_release(&e->cpu_mem);
    pool_free(e->pool);
    alloc_log_free(&e->log);
    mem_model_free(&e->mm);
    model_free(&e->model);
    free(e->n_past);
    free(e->segs);
    free(e->out_rows);
    free(e->item_row);
    free(e);
}

const float *engine_logits(const fc_engine *e) { return e->logits; }
int engine_n_past(const fc_engine *e) { return e->n_past[0]; }
int engine_n_ctx(const fc_engine *e) { return (int)e->p.n_ctx; }
int engine_n_vocab(const fc_engine *e) { return (int)e->d->n_vocab; }
int engine_n_seq(const fc_engine *e) { return (int)e->n_seq; }
int engine_seq_n_past(const fc_engine *e, int seq) { return seq >= 0 && (uint32_t)seq < e->n_seq ? e->n_past[seq] : 0; }
const fc_alloc_log *engine_alloc_log(const fc_engine *e) { return &e->log; }
const fc_engine_params *engine_params(const fc_engine *e) { return &e->p; }
uint64_t engine_device_context_bytes(const fc_engine *e, int i) { return i >= 0 && i < e->n_dev ? e->dev[i].context_bytes : 0; }
uint32_t engine_cpu_layers(const fc_engine *e) { return e->cpu_layers; }

const float *engine_batch_logits(const fc_engine *e, int i) {
    if (i < 0 || i >= e->n_items || e->item_row[i] < 0) return NULL;
    return e->logits + (size_t)e->item_row[i] * e->d->n_vocab;
}

void engine_seq_rewind(fc_engine *e, int seq, int n_past) {
    if (seq < 0 || (uint32_t)seq >= e->n_seq) return;
    if (n_past < 0) n_past = 0;
    const int have = e->n_past[seq];
    if (n_past >= have) return;
    /* A ring has overwritten the window before n_past once more than one
     * window's worth of positions followed it: start over. */
    for (uint32_t il = 0; e->ring && il < e->d->n_layer; il++) {
        uint32_t rows = mem_layer_ctx(e->d, il, e->p.n_ctx);
        if (rows < e->p.n_ctx && have - n_past > 1 && have > (int)rows) n_past = 0;
    }
    e->n_past[seq] = n_past;
}

void engine_rewind(fc_engine *e, int n_past) { engine_seq_rewind(e, 0, n_past); }

/* Every stage in order over the call in e->x; the head's logits of the
 * call's out rows land in e->logits. */
static int run_stages(fc_engine *e, const fc_ubatch *ub, fc_err *err) {
    if (e->cpu->be->eval(e->cpu, e->x, ub, e->logits, err)) return -1;
    for (int i = 0; i < e->n_dev; i++) {
        fc_stage *st = e->dev[i].stage;
        if (st && st->be->eval(st, e->x, ub, e->logits, err)) return -1;
    }
    return 0;
}

/* The embeddings of n tokens into rows [t0, t0 + n) of e->x. */
static void embed(fc_engine *e, const int32_t *tokens, int n, int t0) {
    const model_desc *d = e->d;
    const fc_weight *emb = &e->model.tok_embd;
    for (int t = 0; t < n; t++) {
        float *x = e->x + (size_t)(t0 + t) * d->n_embd;
        emb->q->dequant((const uint8_t *)emb->data + (size_t)tokens[t] * emb->row_bytes, x, d->n_embd);
        if (e->model.embd_scale != 1.0f)
            for (uint32_t i = 0; i < d->n_embd; i++) x[i] *= e->model.embd_scale;
    }
}

static int check_tokens(const fc_engine *e, const int32_t *tokens, int n, fc_err *err) {
    for (int i = 0; i < n; i++)
        if (tokens[i] < 0 || (uint32_t)tokens[i] >= e->d->n_vocab)
            return fc_errf(err, FC_EINPUT, "token id %d at position %d is outside the vocabulary (0..%u)", tokens[i], i,
                           e->d->n_vocab - 1);
    return 0;
}

int engine_eval(fc_engine *e, const int32_t *tokens, int n, float *logits_out, fc_err *err) {
    const model_desc *d = e->d;
    if (n <= 0) return 0;
    if (logits_out && !e->p.all_logits)
        return fc_errf(err, FC_EFAIL, "engine: all-position logits were not enabled (all_logits)");
    if ((int64_t)e->n_past[0] + n > (int64_t)e->p.n_ctx)
        return fc_errf(err, FC_EINPUT, "%d tokens do not fit in the context: %d of %u positions are used (raise N_CTX / -c)",
                       n, e->n_past[0], e->p.n_ctx);
    if (check_tokens(e, tokens, n, err)) return -1;
    e->n_items = 0;
    for (int done = 0; done < n;) {
        int nb = n - done < (int)e->p.n_batch ? n - done : (int)e->p.n_batch;
        embed(e, tokens + done, nb, 0);
        e->segs[0] = (fc_seg){.seq = 0, .t0 = 0, .n = nb, .pos0 = e->n_past[0]};
        fc_ubatch ub = {.n_tok = nb, .n_seg = 1, .seg = e->segs, .out = e->out_rows, .n_out = 0};
        if (logits_out) {
            for (int t = 0; t < nb; t++) e->out_rows[t] = t;
            ub.n_out = nb;
        } else if (done + nb == n) {
            e->out_rows[0] = nb - 1;
            ub.n_out = 1;
        }
        if (run_stages(e, &ub, err)) return -1;
        if (logits_out) {
            memcpy(logits_out + (size_t)done * d->n_vocab, e->logits, (size_t)nb * d->n_vocab * sizeof(float));
            if (nb > 1) memmove(e->logits, e->logits + (size_t)(nb - 1) * d->n_vocab, d->n_vocab * sizeof(float));
        }
        e->n_past[0] += nb;
        done += nb;
    }
    return 0;
}

int engine_eval_batch(fc_engine *e, const fc_batch_item *items, int n_items, fc_err *err) {
    e->n_items = 0;
    if (n_items <= 0) return 0;
    int n_tok = 0, n_out = 0;
    for (int i = 0; i < n_items; i++) {
        const fc_batch_item *it = &items[i];
        if (it->seq < 0 || (uint32_t)it->seq >= e->n_seq)
            return fc_errf(err, FC_EINPUT, "batch item %d: sequence %d is out of range (0..%u)", i, it->seq, e->n_seq - 1);
        if (it->n < 1) return fc_errf(err, FC_EINPUT, "batch item %d: no tokens", i);
        for (int k = 0; k < i; k++)
            if (items[k].seq == it->seq) return fc_errf(err, FC_EINPUT, "batch items %d and %d: the same sequence %d", k, i, it->seq);
        if ((int64_t)e->n_past[it->seq] + it->n > (int64_t)e->p.n_ctx)
            return fc_errf(err, FC_EINPUT, "sequence %d: %d tokens do not fit in the context: %d of %u positions are used",
                           it->seq, it->n, e->n_past[it->seq], e->p.n_ctx);
        if (check_tokens(e, it->tokens, it->n, err)) return fc_err_prefix(err, "sequence %d", it->seq);
        if (it->n > (int)e->p.n_batch - n_tok)
            return fc_errf(err, FC_EINPUT, "the batch's items hold more than %u tokens (N_BATCH)", e->p.n_batch);
        n_tok += it->n;
    }
    n_tok = 0;
    for (int i = 0; i < n_items; i++) {
        const fc_batch_item *it = &items[i];
        embed(e, it->tokens, it->n, n_tok);
        e->segs[i] = (fc_seg){.seq = it->seq, .t0 = n_tok, .n = it->n, .pos0 = e->n_past[it->seq]};
        e->item_row[i] = -1;
        if (it->logits) {
            e->item_row[i] = n_out;
            e->out_rows[n_out++] = n_tok + it->n - 1;
        }
        n_tok += it->n;
    }
    fc_ubatch ub = {.n_tok = n_tok, .n_seg = n_items, .seg = e->segs, .out = e->out_rows, .n_out = n_out};
    if (run_stages(e, &ub, err)) return -1;
    for (int i = 0; i < n_items; i++) e->n_past[items[i].seq] += items[i].n;
    e->n_items = n_items;
    return 0;
}
