#include "memory.h"

#include <stdlib.h>
#include <string.h>

#include "workbuf.h"

enum mem_role mem_tensor_role(const char *name, int *layer) {
    int il = model_tensor_layer(name);
    if (layer) *layer = il;
    if (il >= 0) return MEM_ROLE_LAYER;
    if (!strcmp(name, "token_embd.weight")) return MEM_ROLE_EMBD;
    if (!strcmp(name, "output.weight")) return MEM_ROLE_OUTPUT;
    if (!strncmp(name, "output_norm.", 12)) return MEM_ROLE_OUTPUT_NORM;
    return MEM_ROLE_SHARED;
}

int mem_model_init(mem_model *m, const gguf_file *f, const model_desc *d, fc_err *err) {
    memset(m, 0, sizeof *m);
    m->d = d;
    m->file = f;
    m->n_layer = d->n_layer;
    m->file_size = f->size;
    m->layer_weights = calloc(d->n_layer ? d->n_layer : 1, sizeof *m->layer_weights);
    m->role = calloc(f->n_tensors ? f->n_tensors : 1, sizeof *m->role);
    if (!m->layer_weights || !m->role) {
        mem_model_free(m);
        return fc_errf(err, FC_EFAIL, "out of memory");
    }
    for (uint64_t i = 0; i < f->n_tensors; i++) {
        const gguf_tensor *t = &f->tensors[i];
        m->data_bytes += t->n_bytes;
        if (t->type < GGML_TYPE_COUNT) {
            m->type_count[t->type]++;
            m->type_bytes[t->type] += t->n_bytes;
        }
        int il;
        enum mem_role role = mem_tensor_role(t->name, &il);
        m->role[i] = (uint8_t)role;
        switch (role) {
        case MEM_ROLE_LAYER:
            if ((uint32_t)il >= d->n_layer) {
                fc_errf(err, FC_EINPUT, "%s: tensor '%s' names layer %d but the model has %u layers", f->path, t->name,
                        il, d->n_layer);
                mem_model_free(m);
                return -1;
            }
            m->layer_weights[il] += t->n_bytes;
            break;
        case MEM_ROLE_EMBD: m->token_embd = t->n_bytes; break;
        case MEM_ROLE_OUTPUT: m->output = t->n_bytes; break;
        case MEM_ROLE_OUTPUT_NORM: m->output_norm += t->n_bytes; break;
        case MEM_ROLE_SHARED: m->shared += t->n_bytes; break;
        }
    }
    if (!gguf_tensor_find(f, "output.weight")) m->output = m->token_embd; /* tied: the device gets a copy */
    return 0;
}

void mem_model_free(mem_model *m) {
    if (!m) return;
    free(m->layer_weights);
    free(m->role);
    m->layer_weights = NULL;
    m->role = NULL;
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

uint32_t mem_n_seq(const mem_config *c) { return c->n_seq ? c->n_seq : 1; }

uint32_t mem_n_outputs(const mem_config *c) {
    uint32_t n = c->n_outputs ? c->n_outputs : 1, s = mem_n_seq(c);
    return n > s ? n : s; /* a call gives every sequence's last token its logits */
}

workbuf_params mem_workbuf_params(const mem_config *c, enum mem_dev_kind kind, bool has_output) {
    return (workbuf_params){
        .n_ctx = c->n_ctx,
        .n_batch = c->n_batch,
        .flash = c->flash,
        .n_threads = kind != MEM_DEV_GPU ? (c->n_threads ? c->n_threads : 1) : 1, /* emulated: CPU code */
        .has_output = has_output,
        .n_outputs = mem_n_outputs(c),
        .device = kind != MEM_DEV_CPU,
        .cuda = kind == MEM_DEV_GPU,
    };
}

/* Whether a device holds a tensor of this role (layer il for layer tensors). */
static bool role_held(enum mem_role role, int il, bool tied, enum mem_dev_kind kind, uint32_t first, uint32_t n_layers,
                      bool head) {
    switch (role) {
    case MEM_ROLE_LAYER: return il >= 0 && (uint32_t)il >= first && (uint32_t)il - first < n_layers;
    case MEM_ROLE_EMBD: return kind == MEM_DEV_CPU || (head && tied); /* a device's tied head is a copy */
    case MEM_ROLE_OUTPUT:
    case MEM_ROLE_OUTPUT_NORM: return head;
    case MEM_ROLE_SHARED: return n_layers > 0;
    }
    return false;
}

bool mem_tensor_held(const model_desc *d, const char *name, enum mem_dev_kind kind, uint32_t first, uint32_t n_layers,
                     bool head) {
    int il;
    enum mem_role role = mem_tensor_role(name, &il);
    return role_held(role, il, d->tied_output, kind, first, n_layers, head);
}

/* The buffer items of a device of this kind. */
static int buffer_items(const model_desc *d, const mem_config *c, enum mem_dev_kind kind, bool has_output,
                        mem_item_fn fn, void *ctx) {
    workbuf_params p = mem_workbuf_params(c, kind, has_output);
    workbuf_layout l;
    workbuf_layout_compute(d, &p, &l);
    for (int i = 0; i < WB_COUNT; i++) {
        if (!l.bytes[i]) continue;
        mem_item it = {.kind = MEM_ITEM_BUFFER, .layer = -1, .name = workbuf_name(i), .bytes = l.bytes[i], .tensor = -1, .wb = i};
        int rc = fn(ctx, &it);
        if (rc) return rc;
    }
    return 0;
}

int mem_manifest(const mem_model *m, const mem_config *c, enum mem_dev_kind kind, uint32_t first, uint32_t n_layers,
                 bool head, mem_item_fn fn, void *ctx) {
    const model_desc *d = m->d;
    const gguf_file *f = m->file;
    if (first > m->n_layer) first = m->n_layer;
    if (n_layers > m->n_layer - first) n_layers = m->n_layer - first;
    if (kind != MEM_DEV_CPU && n_layers == 0 && !head) return 0; /* an idle GPU holds nothing */
    int rc;
    for (uint64_t i = 0; i < f->n_tensors; i++) {
        const gguf_tensor *t = &f->tensors[i];
        enum mem_role role = (enum mem_role)m->role[i];
        int il = role == MEM_ROLE_LAYER ? model_tensor_layer(t->name) : -1;
        if (!role_held(role, il, d->tied_output, kind, first, n_layers, head)) continue;
        mem_item it = {.kind = MEM_ITEM_WEIGHTS, .layer = il, .name = t->name, .bytes = t->n_bytes,
                       .mapped = kind == MEM_DEV_CPU, .role = role, .tensor = (int64_t)i, .wb = -1};
        if ((rc = fn(ctx, &it))) return rc;
    }
    if (kind == MEM_DEV_CPU && c->repack != MEM_REPACK_OFF)
        for (uint64_t i = 0; i < f->n_tensors; i++) {
            const gguf_tensor *t = &f->tensors[i];
            enum mem_role role = (enum mem_role)m->role[i];
            int il = role == MEM_ROLE_LAYER ? model_tensor_layer(t->name) : -1;
            if (!role_held(role, il, d->tied_output, kind, first, n_layers, head)) continue;
            const uint64_t b = mem_tensor_repack_bytes(t, role, c->repack);
            if (!b) continue;
            mem_item it = {.kind = MEM_ITEM_REPACKED, .layer = il, .name = t->name, .bytes = b, .role = role,
                           .tensor = (int64_t)i, .wb = -1};
            if ((rc = fn(ctx, &it))) return rc;
        }
    for (uint32_t il = first; il < first + n_layers; il++) {
        mem_item k = {.kind = MEM_ITEM_KV_K, .layer = (int)il, .name = "k",
                      .bytes = mem_n_seq(c) * mem_kv_layer_k_bytes(d, il, c->n_ctx, c->type_k), .tensor = -1, .wb = -1};
        if ((rc = fn(ctx, &k))) return rc;
        mem_item v = {.kind = MEM_ITEM_KV_V, .layer = (int)il, .name = "v",
                      .bytes = mem_n_seq(c) * mem_kv_layer_v_bytes(d, il, c->n_ctx, c->type_v), .tensor = -1, .wb = -1};
        if ((rc = fn(ctx, &v))) return rc;
    }
    /* The CPU always holds a logits buffer: a GPU head's logits come back to it. */
    if ((rc = buffer_items(d, c, kind, kind == MEM_DEV_CPU || head, fn, ctx))) return rc;
    if (kind == MEM_DEV_GPU) {
        mem_item it = {.kind = MEM_ITEM_FIXED, .layer = -1, .name = "CUDA context", .bytes = c->fixed_cost, .tensor = -1, .wb = -1};
        if ((rc = fn(ctx, &it))) return rc;
    }
    return 0;
}

const char *mem_item_kind_name(enum mem_item_kind k) {
    switch (k) {
    case MEM_ITEM_WEIGHTS: return "weights";
    case MEM_ITEM_KV_K: return "kv k";
    case MEM_ITEM_KV_V: return "kv v";
    case MEM_ITEM_BUFFER: return "buffer";
    case MEM_ITEM_FIXED: return "fixed";
    case MEM_ITEM_REPACKED: return "repacked";
    }
    return "?";
}

uint64_t mem_repack_bytes(uint32_t repack, uint32_t type, int64_t n_in, int64_t n_rows) {
    if (repack != MEM_REPACK_X8 || n_in <= 0 || n_rows <= 0) return 0;
    static const struct { uint32_t type, elems, bytes; } x8[] = { /* per 8 rows x one block of elems values */
        {GGML_TYPE_Q4_K, 256, MEM_REPACK_Q4_K_X8_BYTES}, {GGML_TYPE_Q5_K, 256, MEM_REPACK_Q5_K_X8_BYTES},
        {GGML_TYPE_Q6_K, 256, MEM_REPACK_Q6_K_X8_BYTES}, {GGML_TYPE_Q5_0, 32, MEM_REPACK_Q5_0_X8_BYTES},
        {GGML_TYPE_Q5_1, 32, MEM_REPACK_Q5_1_X8_BYTES},  {GGML_TYPE_Q8_0, 32, MEM_REPACK_Q8_0_X8_BYTES},
        {GGML_TYPE_Q4_0, 32, MEM_REPACK_Q4_0_X8_BYTES},  {GGML_TYPE_Q4_1, 32, MEM_REPACK_Q4_1_X8_BYTES},
        {GGML_TYPE_IQ4_NL, 32, MEM_REPACK_IQ4_NL_X8_BYTES}, {GGML_TYPE_IQ4_XS, 256, MEM_REPACK_IQ4_XS_X8_BYTES}};
    for (size_t i = 0; i < sizeof x8 / sizeof x8[0]; i++)
        if (x8[i].type == type)
            return n_in % x8[i].elems ? 0
                                      : (uint64_t)n_rows / MEM_REPACK_X8_ROWS * (uint64_t)(n_in / x8[i].elems) * x8[i].bytes;
    return 0;
}

uint64_t mem_tensor_repack_bytes(const gguf_tensor *t, enum mem_role role, uint32_t repack) {
    if (role != MEM_ROLE_LAYER || t->n_dims != 2) return 0;
    return mem_repack_bytes(repack, t->type, (int64_t)t->ne[0], (int64_t)t->ne[1]);
}

static int add_item(void *ctx, const mem_item *it) {
    mem_bytes *b = ctx;
    switch (it->kind) {
    case MEM_ITEM_WEIGHTS: b->weights += it->bytes; break;
    case MEM_ITEM_KV_K:
    case MEM_ITEM_KV_V: b->kv += it->bytes; break;
    case MEM_ITEM_BUFFER: b->buffers += it->bytes; break;
    case MEM_ITEM_FIXED: b->fixed += it->bytes; break;
    case MEM_ITEM_REPACKED: b->repacked += it->bytes; break;
    }
    b->total += it->bytes;
    return 0;
}

uint64_t mem_buffer_bytes(const model_desc *d, const mem_config *c, enum mem_dev_kind kind, bool has_output) {
    mem_bytes b = {0};
    buffer_items(d, c, kind, has_output, add_item, &b);
    return b.buffers;
}

void mem_device_bytes(const mem_model *m, const mem_config *c, enum mem_dev_kind kind, uint32_t first,
                      uint32_t n_layers, bool head, mem_bytes *out) {
    memset(out, 0, sizeof *out);
    mem_manifest(m, c, kind, first, n_layers, head, add_item, out);
}
