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
    w->bias = NULL;
    /* optional bias: "x.weight" -> "x.bias" */
    size_t len = strlen(name);
    if (len > 7 && !strcmp(name + len - 7, ".weight")) {
        char bn[160];
        snprintf(bn, sizeof bn, "%.*s.bias", (int)(len - 7), name);
        const gguf_tensor *b = gguf_tensor_find(f, bn);
        if (b) {
            if (b->type != GGML_TYPE_F32 || b->n_elems != (uint64_t)n_out || (uintptr_t)b->data % sizeof(float))
                return fc_errf(err, FC_EINPUT, "%s: tensor %s must be F32 with %lld elements, 4-byte aligned (is %s, %llu)",
                               f->path, bn, (long long)n_out, ggml_type_name(b->type), (unsigned long long)b->n_elems);
            w->bias = b->data;
        }
    }
    return 0;
}

/* Rows [r0, r0 + n) of w as a weight of its own (fused tensors). */
static fc_weight weight_rows(const fc_weight *w, int64_t r0, int64_t n) {
    fc_weight v = *w;
    v.data = (const uint8_t *)w->data + (size_t)r0 * w->row_bytes;
    v.n_out = n;
    v.bias = w->bias ? w->bias + r0 : NULL;
    return v;
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
        if (!d->n_head_kv_l[il])
            return fc_errf(err, FC_EINPUT, "%s: layer %u has no KV heads (%s.attention.head_count_kv = 0); the engine needs at least one",
                           path, il, d->arch);
        if (d->n_head_l[il] != d->n_head || d->n_head_kv_l[il] != d->n_head_kv || d->n_ff_l[il] != d->n_ff)
            return fc_errf(err, FC_EINPUT, "%s: layer %u has different head or feed-forward sizes; not supported yet", path, il);
    }
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
    m->rope_inv_freq_swa = calloc(d->n_rot / 2 + 1, sizeof(double));
    if (!m->layers || !m->rope_inv_freq || !m->rope_inv_freq_swa) { model_free(m); return fc_errf(err, FC_EFAIL, "out of memory"); }
    /* What the architecture adds to the llama layer (see model.h). */
    bool qk_norm = d->arch_id == ARCH_QWEN3 || d->arch_id == ARCH_GEMMA3;
    bool post_norms = d->arch_id == ARCH_GEMMA3;
    bool fused = d->arch_id == ARCH_PHI3; /* attn_qkv (Q, K, V rows) and ffn_up (gate rows, then up rows) */
    m->ffn_act = d->arch_id == ARCH_GEMMA3 ? FFN_GELU_TANH : FFN_SILU;
    m->embd_scale = d->arch_id == ARCH_GEMMA3 ? sqrtf((float)d->n_embd) : 1.0f;
    /* Gemma 3 scales queries by query_pre_attn_scalar^-1/2, which no GGUF key
     * holds: it is head_dim except in the 27B (62 layers), where it is
     * n_embd / n_head (llama.cpp decides the same way, by model size). */
    m->attn_scale = 1.0f / sqrtf((float)d->head_dim_k);
    if (d->arch_id == ARCH_GEMMA3 && d->n_layer == 62) m->attn_scale = 1.0f / sqrtf((float)(d->n_embd / d->n_head));
    char key[96];
    snprintf(key, sizeof key, "%s.final_logit_softcapping", d->arch);
    double cap = gguf_get_float(f, key, 0.0);
    m->logit_softcap = cap > 0 && cap < 1e6 ? (float)cap : 0.0f;
    if (gguf_tensor_find(f, "rope_factors_long.weight") || gguf_tensor_find(f, "rope_factors_short.weight")) {
        fc_errf(err, FC_EINPUT, "%s: long-context RoPE factors (rope_factors_long) are not supported by the engine yet", f->path);
        goto fail;
    }

    int64_t hk = d->head_dim_k, hv = d->head_dim_v;
    int64_t n_q = d->n_head * hk, n_k = d->n_head_kv * hk, n_v = d->n_head_kv * hv;
    for (uint32_t il = 0; il < d->n_layer; il++) {
        fc_layer *L = &m->layers[il];
        char n[96];
#define W(field, suffix, nin, nout) \
        snprintf(n, sizeof n, "blk.%u." suffix ".weight", il); \
        if (get_weight(f, n, nin, nout, &L->field, err)) goto fail;
#define NORM(field, suffix, len) \
        snprintf(n, sizeof n, "blk.%u." suffix ".weight", il); \
        if (get_norm(f, n, len, &L->field, err)) goto fail;
        NORM(attn_norm, "attn_norm", d->n_embd)
        NORM(ffn_norm, "ffn_norm", d->n_embd)
        if (fused) {
            fc_weight qkv, gate_up;
            W(wq, "attn_qkv", d->n_embd, n_q + n_k + n_v)
            qkv = L->wq;
            L->wq = weight_rows(&qkv, 0, n_q);
            L->wk = weight_rows(&qkv, n_q, n_k);
            L->wv = weight_rows(&qkv, n_q + n_k, n_v);
            W(w_gate, "ffn_up", d->n_embd, 2 * (int64_t)d->n_ff)
            gate_up = L->w_gate;
            L->w_gate = weight_rows(&gate_up, 0, d->n_ff);
            L->w_up = weight_rows(&gate_up, d->n_ff, d->n_ff);
        } else {
            W(wq, "attn_q", d->n_embd, n_q)
            W(wk, "attn_k", d->n_embd, n_k)
            W(wv, "attn_v", d->n_embd, n_v)
            W(w_gate, "ffn_gate", d->n_embd, d->n_ff)
            W(w_up, "ffn_up", d->n_embd, d->n_ff)
        }
        W(wo, "attn_output", d->n_head * hv, d->n_embd)
        W(w_down, "ffn_down", d->n_ff, d->n_embd)
        if (qk_norm) {
            NORM(q_norm, "attn_q_norm", hk)
            NORM(k_norm, "attn_k_norm", hk)
        }
        if (post_norms) {
            NORM(attn_post_norm, "post_attention_norm", d->n_embd)
            NORM(ffn_post_norm, "post_ffw_norm", d->n_embd)
        }
#undef W
#undef NORM
        bool swa = d->n_swa && d->swa_l[il];
        L->n_window = swa ? d->n_swa : 0;
        L->rope_inv_freq = swa ? m->rope_inv_freq_swa : m->rope_inv_freq;
    }
    /* Gemma 3's local layers use their own base and no scaling (the HF
     * model's rotary_emb_local); other sliding-window models share one RoPE. */
    double scale_swa = d->arch_id == ARCH_GEMMA3 ? 1.0 : d->rope_scale_linear;
    /* Llama 3.1/3.2's frequency factors (rope_freqs.weight, one per rotated
     * pair): llama.cpp's ggml_rope_ext divides each angle by its factor,
     * theta_i = pos * base^(-2i/n_rot) / f_i, so they fold into the table.
     * They belong to the standard RoPE: Gemma 3's local table has its own. */
    const float *ff = NULL;
    const gguf_tensor *tf = gguf_tensor_find(f, "rope_freqs.weight");
    if (tf) {
        if (get_norm(f, "rope_freqs.weight", d->n_rot / 2, &ff, err)) goto fail;
        for (uint32_t i = 0; i < d->n_rot / 2; i++)
            if (!(ff[i] > 0.0f) || !isfinite(ff[i])) {
                fc_errf(err, FC_EINPUT, "%s: tensor rope_freqs.weight: factor %u is %g, expected a positive finite number",
                        f->path, i, (double)ff[i]);
                goto fail;
            }
    }
    for (uint32_t i = 0; i < d->n_rot / 2; i++) {
        double fi = ff ? (double)ff[i] : 1.0;
        m->rope_inv_freq[i] = pow(d->rope_base, -2.0 * i / d->n_rot) * d->rope_scale_linear / fi;
        m->rope_inv_freq_swa[i] = pow(d->rope_base_swa, -2.0 * i / d->n_rot) * scale_swa /
                                  (d->arch_id == ARCH_GEMMA3 ? 1.0 : fi);
    }
    return 0;
fail:
    model_free(m);
    return -1;
}

void model_free(fc_model *m) {
    if (!m) return;
    free(m->layers);
    free(m->rope_inv_freq);
    free(m->rope_inv_freq_swa);
    m->layers = NULL;
    m->rope_inv_freq = m->rope_inv_freq_swa = NULL;
}
