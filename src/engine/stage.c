#include "stage.h"

#include <stdlib.h>
#include <string.h>

workbuf_params stage_workbuf_params(const fc_stage_desc *sd) {
    return (workbuf_params){
        .n_ctx = sd->n_ctx,
        .n_batch = sd->n_batch,
        .flash = sd->flash,
        .n_threads = sd->kind == MEM_DEV_GPU ? 1u : (uint32_t)(sd->n_threads > 0 ? sd->n_threads : 1),
        .has_output = sd->kind == MEM_DEV_CPU || sd->head,
        .n_outputs = sd->n_outputs ? sd->n_outputs : 1,
        .device = sd->kind != MEM_DEV_CPU,
        .cuda = sd->kind == MEM_DEV_GPU,
    };
}

/* Host ranges of the copied tensors and where their copies are. */
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

int stage_upload_weights(const fc_stage_desc *sd, fc_devmem *m, fc_model *view, fc_err *err) {
    const gguf_file *f = sd->file;
    const model_desc *d = sd->d;
    memset(view, 0, sizeof *view);
    copy_map *map = calloc(f->n_tensors ? f->n_tensors : 1, sizeof *map);
    if (!map) return fc_errf(err, FC_EFAIL, "out of memory");
    int n = 0;
    for (uint64_t i = 0; i < f->n_tensors; i++) {
        const gguf_tensor *t = &f->tensors[i];
        if (!mem_tensor_held(d, t->name, sd->kind, sd->first, sd->n_layers, sd->head)) continue;
        void *dev = devmem_upload(m, ALLOC_WEIGHTS, model_tensor_layer(t->name), t->name, t->data, t->n_bytes, err);
        if (!dev && t->n_bytes) { free(map); return -1; }
        map[n++] = (copy_map){t->data, t->n_bytes, dev};
    }
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

void stage_view_free(fc_model *view) {
    if (!view) return;
    free(view->layers);
    view->layers = NULL;
}
