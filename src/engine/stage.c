/* stage — the allocation walk and the weights view every backend shares (stage.h). */
#include "stage.h"

#include <stdlib.h>
#include <string.h>

#include "quant.h"
#include "threads.h"

typedef struct {
    const fc_stage_desc *sd;
    fc_devmem *m;
    fc_stage_mem *out;
    fc_err *err;
} alloc_walk;

static enum fc_alloc_kind alloc_kind(enum mem_item_kind k) {
    return k == MEM_ITEM_WEIGHTS ? ALLOC_WEIGHTS : k == MEM_ITEM_BUFFER ? ALLOC_BUFFER : ALLOC_KV;
}

/* A repacked copy: allocated like any item during the walk, filled from
 * the mapped tensor after it (fill_repacked). */
static int alloc_repacked(alloc_walk *w, const mem_item *it) {
    const gguf_tensor *t = &w->sd->file->tensors[it->tensor];
    if (!quant_repacker_get(w->sd->cfg.repack, t->type)) /* the plan and the kernels disagree: a bug */
        return fc_errf(w->err, FC_EFAIL, "no repacked layout %u for %s (%s)", w->sd->cfg.repack, t->name,
                       ggml_type_name(t->type));
    void *p = devmem_alloc(w->m, ALLOC_REPACKED, it->layer, it->name, it->bytes, w->err);
    if (!p) return -1;
    w->out->repacked[it->tensor] = p;
    return 0;
}

/* The copies in the layout of the CPU's kernels (quant_repack_rows), on
 * the stage's threads: units of REPACK_UNIT row groups over all tensors
 * (copying a 1B model's 636 MiB took 1.7 s on one thread, half of it the
 * kernel zeroing the new pages on first touch, which the threads share). */
enum { REPACK_UNIT = 64 };
typedef struct {
    const fc_stage_desc *sd;
    const fc_stage_mem *sm;
    uint64_t *first_unit; /* [n_tensors + 1]: the tensor's first unit */
} repack_job;

static void repack_task(void *ctx, int task, int thread) {
    (void)thread;
    const repack_job *j = ctx;
    uint64_t lo = 0, hi = j->sd->file->n_tensors; /* the tensor holding unit `task` */
    while (hi - lo > 1) {
        const uint64_t mid = lo + (hi - lo) / 2;
        if (j->first_unit[mid] <= (uint64_t)task) lo = mid;
        else hi = mid;
    }
    const gguf_tensor *t = &j->sd->file->tensors[lo];
    const quant_repacker *rp = quant_repacker_get(j->sd->cfg.repack, t->type);
    const int64_t g0 = ((int64_t)task - (int64_t)j->first_unit[lo]) * REPACK_UNIT, groups = (int64_t)t->ne[1] / rp->group;
    const int64_t g1 = g0 + REPACK_UNIT < groups ? g0 + REPACK_UNIT : groups;
    const size_t stride = (size_t)ggml_row_bytes(t->type, t->ne[0]);
    const size_t group_bytes = (size_t)(t->ne[0] / rp->block_elems) * rp->block_bytes;
    quant_repack_rows(rp, (const uint8_t *)t->data + (size_t)(g0 * rp->group) * stride, stride, (g1 - g0) * rp->group,
                      (int64_t)t->ne[0], (uint8_t *)j->sm->repacked[lo] + (size_t)g0 * group_bytes);
}

static int fill_repacked(const fc_stage_desc *sd, const fc_stage_mem *sm, fc_err *err) {
    const uint64_t n = sd->file->n_tensors;
    uint64_t *first = malloc((n + 1) * sizeof *first), units = 0;
    if (!first) return fc_errf(err, FC_EFAIL, "out of memory");
    for (uint64_t i = 0; i < n; i++) {
        first[i] = units;
        if (!sm->repacked[i]) continue;
        const gguf_tensor *t = &sd->file->tensors[i];
        const int64_t groups = (int64_t)t->ne[1] / quant_repacker_get(sd->cfg.repack, t->type)->group;
        units += (uint64_t)((groups + REPACK_UNIT - 1) / REPACK_UNIT);
    }
    first[n] = units;
    if (units > (uint64_t)INT32_MAX) { free(first); return fc_errf(err, FC_EFAIL, "too many repacked rows"); }
    repack_job j = {sd, sm, first};
    const int nt = sd->cfg.n_threads > 1 ? (int)sd->cfg.n_threads : 1;
    fc_pool *pool = units ? pool_new(nt) : NULL;
    if (units && !pool) { free(first); return fc_errf(err, FC_EFAIL, "cannot start %d threads", nt); }
    if (pool) pool_run(pool, repack_task, &j, (int)units);
    pool_free(pool);
    free(first);
    return 0;
}

static int alloc_item(void *ctx, const mem_item *it) {
    alloc_walk *w = ctx;
    fc_stage_mem *o = w->out;
    if (it->kind == MEM_ITEM_FIXED) return 0; /* the device's context: created with it */
    if (it->kind == MEM_ITEM_REPACKED) return alloc_repacked(w, it);
    if (it->kind == MEM_ITEM_WEIGHTS) {
        const gguf_tensor *t = &w->sd->file->tensors[it->tensor];
        if (it->mapped) {
            o->tensor[it->tensor] = (void *)t->data;
            return devmem_log_mapped(w->m, it->layer, it->name, it->bytes, w->err);
        }
        void *p = devmem_upload(w->m, ALLOC_WEIGHTS, it->layer, it->name, t->data, it->bytes, w->err);
        if (!p && it->bytes) return -1;
        o->tensor[it->tensor] = p;
        o->upload_bytes += it->bytes;
        return 0;
    }
    void *p = devmem_alloc(w->m, alloc_kind(it->kind), it->layer, it->name, it->bytes, w->err);
    if (!p && it->bytes) return -1;
    if (it->kind == MEM_ITEM_KV_K) o->k[it->layer] = p;
    else if (it->kind == MEM_ITEM_KV_V) o->v[it->layer] = p;
    else o->buf[it->wb] = p;
    return 0;
}

int stage_allocate(const fc_stage_desc *sd, fc_devmem *m, fc_stage_mem *out, fc_err *err) {
    const model_desc *d = sd->d;
    memset(out, 0, sizeof *out);
    out->tensor = calloc(sd->file->n_tensors ? sd->file->n_tensors : 1, sizeof *out->tensor);
    out->k = calloc(d->n_layer ? d->n_layer : 1, sizeof *out->k);
    out->v = calloc(d->n_layer ? d->n_layer : 1, sizeof *out->v);
    out->repacked = calloc(sd->file->n_tensors ? sd->file->n_tensors : 1, sizeof *out->repacked);
    if (!out->tensor || !out->k || !out->v || !out->repacked) {
        stage_mem_free(out);
        return fc_errf(err, FC_EFAIL, "out of memory");
    }
    workbuf_params wp = mem_workbuf_params(&sd->cfg, sd->kind, sd->kind == MEM_DEV_CPU || sd->head);
    workbuf_layout_compute(d, &wp, &out->wl);
    alloc_walk w = {sd, m, out, err};
    if (mem_manifest(sd->mm, &sd->cfg, sd->kind, sd->first, sd->n_layers, sd->head, alloc_item, &w) ||
        fill_repacked(sd, out, err)) {
        stage_mem_free(out);
        return -1;
    }
    return 0;
}

void stage_mem_free(fc_stage_mem *sm) {
    if (!sm) return;
    free(sm->tensor);
    free(sm->k);
    free(sm->v);
    free(sm->repacked);
    sm->repacked = NULL;
    sm->tensor = NULL;
    sm->k = sm->v = NULL;
}

static int sum_upload(void *ctx, const mem_item *it) {
    if (it->kind == MEM_ITEM_WEIGHTS && !it->mapped) *(uint64_t *)ctx += it->bytes;
    return 0;
}

uint64_t stage_upload_bytes(const fc_stage_desc *sd) {
    uint64_t total = 0;
    mem_manifest(sd->mm, &sd->cfg, sd->kind, sd->first, sd->n_layers, sd->head, sum_upload, &total);
    return total;
}

/* Host ranges of the held tensors and where their copies are. */
typedef struct { const uint8_t *host; uint64_t bytes; uint8_t *dev; } copy_map;

static const void *remap(const copy_map *map, int n, const void *host) {
    if (!host) return NULL;
    const uint8_t *p = host;
    for (int i = 0; i < n; i++)
        if (p >= map[i].host && p < map[i].host + map[i].bytes) return map[i].dev + (p - map[i].host);
    return NULL; /* not held by this device */
}

static void remap_weight(fc_weight *w, const copy_map *map, int n) {
    w->data = remap(map, n, w->data);
    w->bias = remap(map, n, w->bias);
}

int stage_weights_view(const fc_stage_desc *sd, const fc_stage_mem *sm, fc_model *view, fc_err *err) {
    const gguf_file *f = sd->file;
    const model_desc *d = sd->d;
    memset(view, 0, sizeof *view);
    copy_map *map = calloc(f->n_tensors ? f->n_tensors : 1, sizeof *map);
    if (!map) return fc_errf(err, FC_EFAIL, "out of memory");
    int n = 0;
    for (uint64_t i = 0; i < f->n_tensors; i++)
        if (sm->tensor[i]) map[n++] = (copy_map){f->tensors[i].data, f->tensors[i].n_bytes, sm->tensor[i]};
    *view = *sd->model;
    view->layers = calloc(d->n_layer, sizeof *view->layers);
    if (!view->layers) { free(map); return fc_errf(err, FC_EFAIL, "out of memory"); }
    for (uint32_t il = sd->first; il < sd->first + sd->n_layers && il < d->n_layer; il++) {
        fc_layer *L = &view->layers[il];
        *L = sd->model->layers[il];
        fc_weight *ws[] = {&L->wq, &L->wk, &L->wv, &L->wo, &L->w_gate, &L->w_up, &L->w_down};
        for (size_t k = 0; k < sizeof ws / sizeof *ws; k++) remap_weight(ws[k], map, n);
        L->attn_norm = remap(map, n, L->attn_norm);
        L->q_norm = remap(map, n, L->q_norm);
        L->k_norm = remap(map, n, L->k_norm);
        L->attn_post_norm = remap(map, n, L->attn_post_norm);
        L->ffn_norm = remap(map, n, L->ffn_norm);
        L->ffn_post_norm = remap(map, n, L->ffn_post_norm);
    }
    remap_weight(&view->tok_embd, map, n);
    if (sd->head) {
        remap_weight(&view->output, map, n);
        view->output_norm = remap(map, n, view->output_norm);
    } else {
        view->output = (fc_weight){0};
        view->output_norm = NULL;
    }
    free(map);
    return 0;
}

/* w->rp from the repacked copy of the tensor w->data lies in, if any */
static void set_repacked(const fc_stage_desc *sd, const fc_stage_mem *sm, fc_weight *w) {
    const gguf_file *f = sd->file;
    if (!w->data || !w->q) return;
    const uint8_t *p = w->data;
    for (uint64_t i = 0; i < f->n_tensors; i++) {
        const gguf_tensor *t = &f->tensors[i];
        const uint8_t *base = t->data;
        if (!sm->repacked[i] || p < base || p >= base + t->n_bytes) continue;
        const quant_repacker *rp = quant_repacker_get(sd->cfg.repack, t->type);
        const size_t row_bytes = (size_t)ggml_row_bytes(t->type, t->ne[0]), off = (size_t)(p - base);
        if (!rp || t->type != w->q->type || w->row_bytes != row_bytes || off % row_bytes) return;
        const int64_t row0 = (int64_t)(off / row_bytes), rows = t->ne[1] / rp->group * rp->group;
        if (row0 % rp->group || row0 >= rows) return;
        const int64_t avail = rows - row0, cap = w->n_out / rp->group * rp->group;
        const size_t group_bytes = (size_t)(t->ne[0] / rp->block_elems) * rp->block_bytes;
        w->rp = (const uint8_t *)sm->repacked[i] + (size_t)(row0 / rp->group) * group_bytes;
        w->rp_rows = avail < cap ? avail : cap;
        w->rp_group = rp->group;
        w->rp_group_bytes = group_bytes;
        w->rp_tile = rp->tile;
        return;
    }
}

int stage_repacked_view(const fc_stage_desc *sd, const fc_stage_mem *sm, fc_model *view, fc_err *err) {
    const model_desc *d = sd->d;
    *view = *sd->model;
    view->layers = calloc(d->n_layer ? d->n_layer : 1, sizeof *view->layers);
    if (!view->layers) return fc_errf(err, FC_EFAIL, "out of memory");
    memcpy(view->layers, sd->model->layers, d->n_layer * sizeof *view->layers);
    for (uint32_t il = sd->first; il < sd->first + sd->n_layers && il < d->n_layer; il++) {
        fc_layer *L = &view->layers[il];
        fc_weight *ws[] = {&L->wq, &L->wk, &L->wv, &L->wo, &L->w_gate, &L->w_up, &L->w_down};
        for (size_t k = 0; k < sizeof ws / sizeof *ws; k++) set_repacked(sd, sm, ws[k]);
    }
    return 0;
}

void stage_view_free(fc_model *view) {
    if (!view) return;
    free(view->layers);
    view->layers = NULL;
}

const fc_backend *stage_backend(enum mem_dev_kind kind) {
    switch (kind) {
    case MEM_DEV_CPU: return &backend_cpu;
    case MEM_DEV_EMULATED: return &backend_emulated;
    case MEM_DEV_GPU: return &backend_cuda;
    }
    return NULL;
}
