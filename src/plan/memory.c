#include "memory.h"

#include <stdlib.h>
#include <string.h>

#include "workbuf.h"

int mem_model_init(mem_model *m, const gguf_file *f, const model_desc *d, fc_err *err) {
    memset(m, 0, sizeof *m);
    m->d = d;
    m->n_layer = d->n_layer;
    m->file_size = f->size;
    m->layer_weights = calloc(d->n_layer, sizeof *m->layer_weights);
    if (!m->layer_weights) return fc_errf(err, FC_EFAIL, "out of memory");
    for (uint64_t i = 0; i < f->n_tensors; i++) {
        const gguf_tensor *t = &f->tensors[i];
        m->data_bytes += t->n_bytes;
        if (t->type < GGML_TYPE_COUNT) {
            m->type_count[t->type]++;
            m->type_bytes[t->type] += t->n_bytes;
        }
        int il = model_tensor_layer(t->name);
        if (il >= 0) {
            if ((uint32_t)il >= d->n_layer) {
                mem_model_free(m);
                return fc_errf(err, FC_EINPUT, "%s: tensor '%s' names layer %d but the model has %u layers", f->path,
                               t->name, il, d->n_layer);
            }
            m->layer_weights[il] += t->n_bytes;
        } else if (!strcmp(t->name, "token_embd.weight")) {
            m->token_embd = t->n_bytes;
        } else if (!strcmp(t->name, "output.weight")) {
            m->output = t->n_bytes;
        } else if (!strncmp(t->name, "output_norm.", 12)) {
            m->output_norm += t->n_bytes;
        } else {
            m->shared += t->n_bytes;
        }
    }
    if (!gguf_tensor_find(f, "output.weight")) m->output = m->token_embd; /* tied: the device gets a copy */
    return 0;
}

void mem_model_free(mem_model *m) {
    if (!m) return;
    free(m->layer_weights);
    m->layer_weights = NULL;
}

/* CUDA contexts measured on real GPUs by scripts/gpu-check.sh (its
 * "context" row prints the line to add here), one row per GPU model and
 * driver major version. No GPU has been measured yet: the row below is the
 * format, with a NULL name so that it never matches; never add a number that
 * was not measured. */
static const mem_cuda_context MEM_CUDA_CONTEXTS[] = {
    {NULL, "550", 0}, /* format: {"NVIDIA H200", "550", 524288000}, gpu-check YYYY-MM-DD */
};

/* Whether version starts with prefix followed by a dot or its end. */
static bool driver_matches(const char *version, const char *prefix) {
    size_t n = strlen(prefix);
    return strncmp(version, prefix, n) == 0 && (version[n] == '\0' || version[n] == '.' || n == 0);
}

const mem_cuda_context *mem_cuda_context_find(const mem_cuda_context *rows, size_t n, const char *gpu,
                                              const char *driver) {
    const mem_cuda_context *best = NULL;
    if (!gpu || !driver) return NULL;
    for (size_t i = 0; i < n; i++) {
        if (!rows[i].gpu || !rows[i].driver || strcmp(rows[i].gpu, gpu) != 0) continue;
        if (!driver_matches(driver, rows[i].driver)) continue;
        if (!best || strlen(rows[i].driver) > strlen(best->driver)) best = &rows[i];
    }
    return best;
}

uint64_t mem_cuda_fixed_cost(const char *gpu, const char *driver, const mem_cuda_context **measured) {
    const mem_cuda_context *row =
        mem_cuda_context_find(MEM_CUDA_CONTEXTS, sizeof MEM_CUDA_CONTEXTS / sizeof MEM_CUDA_CONTEXTS[0], gpu, driver);
    if (measured) *measured = row;
    return row ? row->bytes : MEM_CUDA_FIXED_COST;
}

bool mem_kv_type_allowed(uint32_t type) {
    return type == GGML_TYPE_F32 || type == GGML_TYPE_F16 || type == GGML_TYPE_Q8_0 || type == GGML_TYPE_Q4_0;
}

const char *mem_kv_type_name(uint32_t type) {
    switch (type) {
    case GGML_TYPE_F32: return "f32";
    case GGML_TYPE_F16: return "f16";
    case GGML_TYPE_Q8_0: return "q8_0";
    case GGML_TYPE_Q4_0: return "q4_0";
    default: return ggml_type_name(type);
    }
}

int mem_kv_type_check(const model_desc *d, uint32_t type, const char *what, fc_err *err) {
    if (!mem_kv_type_allowed(type))
        return fc_errf(err, FC_EINPUT, "%s = %s is not a KV cache type: allowed f32, f16, q8_0, q4_0", what,
                       ggml_type_name(type));
    /* per head, not per row: the engines store and read each KV head as a
     * run of whole blocks (a row of 32 heads of 80 values is 2560, a
     * multiple of 32, but no head is) */
    const ggml_type_info *ti = ggml_type_get(type);
    if (d->head_dim_k % ti->block_elems || d->head_dim_v % ti->block_elems)
        return fc_errf(err, FC_EINPUT,
                       "%s = %s needs KV heads that are a multiple of %u values, but the model's heads have K %u and V %u",
                       what, ggml_type_name(type), ti->block_elems, d->head_dim_k, d->head_dim_v);
    return 0;
}

uint32_t mem_layer_ctx(const model_desc *d, uint32_t il, uint32_t n_ctx) {
    if (d->n_swa && d->swa_l[il] && d->n_swa < n_ctx) return d->n_swa;
    return n_ctx;
}

uint64_t mem_kv_layer_k_bytes(const model_desc *d, uint32_t il, uint32_t n_ctx, uint32_t type_k) {
    return (uint64_t)mem_layer_ctx(d, il, n_ctx) * ggml_row_bytes(type_k, model_n_embd_k(d, il));
}

uint64_t mem_kv_layer_v_bytes(const model_desc *d, uint32_t il, uint32_t n_ctx, uint32_t type_v) {
    return (uint64_t)mem_layer_ctx(d, il, n_ctx) * ggml_row_bytes(type_v, model_n_embd_v(d, il));
}

uint64_t mem_kv_layer_bytes(const model_desc *d, uint32_t il, uint32_t n_ctx, uint32_t type_k, uint32_t type_v) {
    return mem_kv_layer_k_bytes(d, il, n_ctx, type_k) + mem_kv_layer_v_bytes(d, il, n_ctx, type_v);
}

uint64_t mem_buffer_bytes(const model_desc *d, const mem_config *c, enum mem_dev_kind kind, bool has_output) {
    workbuf_params p = {
        .n_ctx = c->n_ctx,
        .n_batch = c->n_batch,
        .flash = c->flash,
        .n_threads = kind != MEM_DEV_GPU ? (c->n_threads ? c->n_threads : 1) : 1, /* emulated: CPU code */
        .has_output = has_output,
        .n_outputs = c->n_outputs ? c->n_outputs : 1,
        .device = kind != MEM_DEV_CPU,
        .cuda = kind == MEM_DEV_GPU,
    };
    workbuf_layout l;
    workbuf_layout_compute(d, &p, &l);
    return l.total;
}

bool mem_tensor_held(const model_desc *d, const char *name, enum mem_dev_kind kind, uint32_t first, uint32_t n_layers,
                     bool head) {
    int il = model_tensor_layer(name);
    if (il >= 0) return (uint32_t)il >= first && (uint32_t)il - first < n_layers;
    bool embd = !strcmp(name, "token_embd.weight"), out = !strcmp(name, "output.weight");
    bool out_norm = !strncmp(name, "output_norm.", 12);
    if (kind == MEM_DEV_CPU) {
        if (embd) return true;
        if (out || out_norm) return head;
    } else {
        if (embd) return head && d->tied_output;
        if (out || out_norm) return head;
    }
    return n_layers > 0; /* shared: with the layers */
}

void mem_device_bytes(const mem_model *m, const mem_config *c, enum mem_dev_kind kind, uint32_t first,
                      uint32_t n_layers, bool head, mem_bytes *out) {
    memset(out, 0, sizeof *out);
    if (first > m->n_layer) first = m->n_layer;
    if (n_layers > m->n_layer - first) n_layers = m->n_layer - first;
    if (kind != MEM_DEV_CPU && n_layers == 0 && !head) return; /* an idle GPU holds nothing */
    for (uint32_t il = first; il < first + n_layers; il++) {
        out->weights += m->layer_weights[il];
        out->kv += mem_kv_layer_bytes(m->d, il, c->n_ctx, c->type_k, c->type_v);
    }
    if (n_layers) out->weights += m->shared;
    if (kind == MEM_DEV_CPU) {
        out->weights += m->token_embd;
        /* Tied head on the CPU is the embedding table itself: no copy. */
        if (head) out->weights += (m->d->tied_output ? 0 : m->output) + m->output_norm;
    } else if (head) {
        out->weights += m->output + m->output_norm;
    }
    /* The CPU always holds a logits buffer: a GPU head's logits come back to it. */
    out->buffers = mem_buffer_bytes(m->d, c, kind, kind == MEM_DEV_CPU || head);
    out->fixed = kind == MEM_DEV_GPU ? c->fixed_cost : 0;
    out->total = out->weights + out->kv + out->buffers + out->fixed;
}
