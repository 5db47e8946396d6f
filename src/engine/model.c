#include "model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int get_weight(const gguf_file *f, const char *name, int64_t n_in, int64_t n_out, fc_weight *w, fc_err *err) {
    const gguf_tensor *t = gguf_tensor_find(f, name);
    if (!t) return fc_errf(err, FC_EINPUT, "%s: missing tensor %s", f->path, name);
    if (t->n_dims != 2 || t->ne[0] != n_in || t->ne[1] != n_out)
        return fc_errf(err, FC_EINPUT, "%s: tensor %s has shape [%lld, %lld], expected [%lld, %lld]", f->path, name,
                       (long long)t->ne[0], (long long)t->ne[1], (long long)n_in, (long long)n_out);
    const quant_traits *q = quant_get(t->type);
    if (!q)
        return fc_errf(err, FC_EINPUT, "%s: tensor %s has type %s, which the engine cannot run yet", f->path, name,
                       ggml_type_name(t->type));
    if (n_in % q->block_elems)
        return fc_errf(err, FC_EINPUT, "%s: tensor %s (%s) rows of %lld are not a multiple of its block size %u", f->path,
                       name, q->name, (long long)n_in, q->block_elems);
    w->data = t->data;
    w->q = q;
    w->n_in = n_in;
    w->n_out = n_out;
    w->row_bytes = (size_t)ggml_row_bytes(t->type, (uint64_t)n_in);
    w->name = t->name;
    return 0;
}

static int get_norm(const gguf_file *f, const char *name, int64_t n, const float **out, fc_err *err) {
    const gguf_tensor *t = gguf_tensor_find(f, name);
    if (!t) return fc_errf(err, FC_EINPUT, "%s: missing tensor %s", f->path, name);
    if (t->type != GGML_TYPE_F32 || t->n_elems != (uint64_t)n)
        return fc_errf(err, FC_EINPUT, "%s: tensor %s must be F32 with %lld elements (is %s, %llu)", f->path, name,
                       (long long)n, ggml_type_name(t->type), (unsigned long long)t->n_elems);
    if ((uintptr_t)t->data % sizeof(float))
        return fc_errf(err, FC_EINPUT, "%s: tensor %s is not 4-byte aligned", f->path, name);
    *out = t->data;
    return 0;
}

int model_check_runnable(const model_desc *d, const char *path, fc_err *err) {
    if (!arch_runnable(d))
        return fc_errf(err, FC_EINPUT, "%s: architecture '%s'%s is not supported by the engine yet (fitchat plan can still plan it)",
                       path, d->arch, d->n_expert ? " with experts" : "");
    for (uint32_t il = 0; il < d->n_layer; il++) {
        if (d->n_head_l[il] != d->n_head || d->n_head_kv_l[il] != d->n_head_kv || d->n_ff_l[il] != d->n_ff || !d->n_head_kv)
            return fc_errf(err, FC_EINPUT, "%s: layer %u has different head or feed-forward sizes; not supported yet", path, il);
    }
    if (d->n_swa)
        return fc_errf(err, FC_EINPUT, "%s: sliding-window attention (window %u) is not supported by the engine yet", path, d->n_swa);
    return 0;
}

int model_load(fc_model *m, const gguf_file *f, const model_desc *d, fc_err *err) {
    memset(m, 0, sizeof *m);
    m->file = f;
    m->desc = d;
    if (model_check_runnable(d, f->path, err)) return -1;
    if (d->n_vocab == 0) return fc_errf(err, FC_EINPUT, "%s: vocabulary size is unknown", f->path);
    if (get_weight(f, "token_embd.weight", d->n_embd, d->n_vocab, &m->tok_embd, err)) return -1;
    if (get_norm(f, "output_norm.weight", d->n_embd, &m->output_norm, err)) return -1;
    if (d->tied_output) m->output = m->tok_embd;
    else if (get_weight(f, "output.weight", d->n_embd, d->n_vocab, &m->output, err)) return -1;

    m->layers = calloc(d->n_layer, sizeof *m->layers);
    m->rope_inv_freq = calloc(d->n_rot / 2 + 1, sizeof(double));
    if (!m->layers || !m->rope_inv_freq) { model_free(m); return fc_errf(err, FC_EFAIL, "out of memory"); }
    int64_t hk = d->head_dim_k, hv = d->head_dim_v;
    for (uint32_t il = 0; il < d->n_layer; il++) {
        fc_layer *L = &m->layers[il];
        char n[96];
#define W(field, suffix, nin, nout) \
        snprintf(n, sizeof n, "blk.%u." suffix ".weight", il); \
        if (get_weight(f, n, nin, nout, &L->field, err)) goto fail;
        snprintf(n, sizeof n, "blk.%u.attn_norm.weight", il);
        if (get_norm(f, n, d->n_embd, &L->attn_norm, err)) goto fail;
        snprintf(n, sizeof n, "blk.%u.ffn_norm.weight", il);
        if (get_norm(f, n, d->n_embd, &L->ffn_norm, err)) goto fail;
        W(wq, "attn_q", d->n_embd, d->n_head * hk)
        W(wk, "attn_k", d->n_embd, d->n_head_kv * hk)
        W(wv, "attn_v", d->n_embd, d->n_head_kv * hv)
        W(wo, "attn_output", d->n_head * hv, d->n_embd)
        W(w_gate, "ffn_gate", d->n_embd, d->n_ff)
        W(w_up, "ffn_up", d->n_embd, d->n_ff)
        W(w_down, "ffn_down", d->n_ff, d->n_embd)
#undef W
    }
    for (uint32_t i = 0; i < d->n_rot / 2; i++)
        m->rope_inv_freq[i] = pow(d->rope_base, -2.0 * i / d->n_rot) * d->rope_scale_linear;
    return 0;
fail:
    model_free(m);
    return -1;
}

void model_free(fc_model *m) {
    if (!m) return;
    free(m->layers);
    free(m->rope_inv_freq);
    m->layers = NULL;
    m->rope_inv_freq = NULL;
}
