#include "arch.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct { const char *name; enum arch_id id; enum rope_kind rope; } ARCHS[] = {
    {"llama", ARCH_LLAMA, ROPE_NORM},   {"mistral", ARCH_LLAMA, ROPE_NORM}, {"qwen2", ARCH_QWEN2, ROPE_NEOX},
    {"qwen3", ARCH_QWEN3, ROPE_NEOX},   {"gemma2", ARCH_GEMMA2, ROPE_NEOX}, {"gemma3", ARCH_GEMMA3, ROPE_NEOX},
    {"phi3", ARCH_PHI3, ROPE_NEOX},     {"qwen2moe", ARCH_OTHER, ROPE_NEOX}, {"qwen3moe", ARCH_OTHER, ROPE_NEOX},
    {"gptneox", ARCH_OTHER, ROPE_NEOX}, {"falcon", ARCH_OTHER, ROPE_NEOX},  {"stablelm", ARCH_OTHER, ROPE_NEOX},
    {"phi2", ARCH_OTHER, ROPE_NEOX},    {"gemma", ARCH_OTHER, ROPE_NEOX},   {"starcoder2", ARCH_OTHER, ROPE_NEOX},
};

static const char *key(char *buf, size_t cap, const char *arch, const char *suffix) {
    snprintf(buf, cap, "%s.%s", arch, suffix);
    return buf;
}

/* Reads `{arch}.suffix` as a positive integer, or an array of n_layer
 * non-negative integers (per-layer values), into out[n_layer]. */
static int per_layer(const gguf_file *f, const model_desc *d, const char *suffix, uint32_t def, bool required,
                     bool allow_zero, uint32_t *out, fc_err *err) {
    char k[160];
    key(k, sizeof k, d->arch, suffix);
    const gguf_kv *kv = gguf_find(f, k);
    if (!kv) {
        if (required) return fc_errf(err, FC_EINPUT, "%s: missing metadata key %s", f->path, k);
        for (uint32_t i = 0; i < d->n_layer; i++) out[i] = def;
        return 0;
    }
    if (kv->type == GGUF_TYPE_ARRAY) {
        if (gguf_arr_n(kv) != d->n_layer)
            return fc_errf(err, FC_EINPUT, "%s: %s has %llu entries, expected one per layer (%u)", f->path, k,
                           (unsigned long long)gguf_arr_n(kv), d->n_layer);
        for (uint32_t i = 0; i < d->n_layer; i++) {
            int64_t v = gguf_arr_int(kv, i, -1);
            if (v < 0 || v > (1 << 24) || (!allow_zero && v == 0))
                return fc_errf(err, FC_EINPUT, "%s: %s[%u] = %lld is out of range", f->path, k, i, (long long)v);
            out[i] = (uint32_t)v;
        }
        return 0;
    }
    int64_t v = gguf_get_int(f, k, -1);
    if (v < (allow_zero ? 0 : 1) || v > (1 << 24))
        return fc_errf(err, FC_EINPUT, "%s: %s = %lld is not a valid count", f->path, k, (long long)v);
    for (uint32_t i = 0; i < d->n_layer; i++) out[i] = (uint32_t)v;
    return 0;
}

static int get_count(const gguf_file *f, const char *arch, const char *suffix, int64_t def, uint32_t *out, fc_err *err) {
    char k[160];
    key(k, sizeof k, arch, suffix);
    const gguf_kv *kv = gguf_find(f, k);
    if (!kv) {
        if (def < 0) return fc_errf(err, FC_EINPUT, "%s: missing metadata key %s", f->path, k);
        *out = (uint32_t)def;
        return 0;
    }
    /* Counts are used as int by the engine (positions, windows, rows):
     * 2^30 leaves room for sums of two without overflow. */
    int64_t v = gguf_get_int(f, k, -1);
    if (v < 0 || v > (int64_t)1 << 30) {
        if (kv->type == GGUF_TYPE_STRING)
            return fc_errf(err, FC_EINPUT, "%s: %s must be a non-negative integer (got a string)", f->path, k);
        return fc_errf(err, FC_EINPUT, "%s: %s = %lld is out of range (0..%lld)", f->path, k, (long long)v,
                       (long long)1 << 30);
    }
    *out = (uint32_t)v;
    return 0;
}

int model_tensor_layer(const char *name) {
    if (strncmp(name, "blk.", 4) != 0) return -1;
    const char *p = name + 4;
    if (*p < '0' || *p > '9') return -1;
    long v = 0;
    while (*p >= '0' && *p <= '9') {
        v = v * 10 + (*p - '0');
        if (v > 1000000) return -1;
        p++;
    }
    return *p == '.' ? (int)v : -1;
}

int model_desc_load(const gguf_file *f, model_desc *d, fc_err *err) {
    memset(d, 0, sizeof *d);
    const char *arch = gguf_get_str(f, "general.architecture", NULL);
    if (!arch) return fc_errf(err, FC_EINPUT, "%s: missing metadata key general.architecture", f->path);
    if (!*arch || strlen(arch) >= sizeof d->arch || strspn(arch, "abcdefghijklmnopqrstuvwxyz0123456789_-") != strlen(arch))
        return fc_errf(err, FC_EINPUT, "%s: general.architecture '%.40s' is not a valid architecture name", f->path, arch);
    snprintf(d->arch, sizeof d->arch, "%s", arch);
    snprintf(d->name, sizeof d->name, "%s", gguf_get_str(f, "general.name", ""));
    d->rope_type = ROPE_NORM;
    for (size_t i = 0; i < sizeof ARCHS / sizeof ARCHS[0]; i++)
        if (!strcmp(arch, ARCHS[i].name)) { d->arch_id = ARCHS[i].id; d->rope_type = ARCHS[i].rope; }

    if (get_count(f, arch, "block_count", -1, &d->n_layer, err)) return -1;
    if (d->n_layer == 0 || d->n_layer > 4096) return fc_errf(err, FC_EINPUT, "%s: %s.block_count = %u is out of range", f->path, arch, d->n_layer);
    if (get_count(f, arch, "embedding_length", -1, &d->n_embd, err)) return -1;
    if (d->n_embd == 0) return fc_errf(err, FC_EINPUT, "%s: %s.embedding_length is 0", f->path, arch);
    if (get_count(f, arch, "context_length", 0, &d->n_ctx_train, err)) return -1;

    d->n_head_l = calloc(d->n_layer, sizeof *d->n_head_l);
    d->n_head_kv_l = calloc(d->n_layer, sizeof *d->n_head_kv_l);
    d->n_ff_l = calloc(d->n_layer, sizeof *d->n_ff_l);
    d->swa_l = calloc(d->n_layer, 1);
    if (!d->n_head_l || !d->n_head_kv_l || !d->n_ff_l || !d->swa_l) {
        model_desc_free(d);
        return fc_errf(err, FC_EFAIL, "out of memory");
    }
    if (per_layer(f, d, "attention.head_count", 0, true, false, d->n_head_l, err)) goto fail;
    d->n_head = d->n_head_l[0];
    /* No head_count_kv means one KV head per query head (no GQA). */
    char k[160];
    if (gguf_find(f, key(k, sizeof k, arch, "attention.head_count_kv"))) {
        if (per_layer(f, d, "attention.head_count_kv", 0, true, true, d->n_head_kv_l, err)) goto fail;
    } else {
        memcpy(d->n_head_kv_l, d->n_head_l, d->n_layer * sizeof *d->n_head_l);
    }
    d->n_head_kv = d->n_head_kv_l[0];
    if (per_layer(f, d, "feed_forward_length", 0, false, true, d->n_ff_l, err)) goto fail;
    d->n_ff = d->n_ff_l[0];
    for (uint32_t il = 0; il < d->n_layer; il++) {
        if (d->n_head_kv_l[il] > d->n_head_l[il] || (d->n_head_kv_l[il] && d->n_head_l[il] % d->n_head_kv_l[il])) {
            fc_errf(err, FC_EINPUT, "%s: layer %u has %u heads and %u KV heads (must divide)", f->path, il,
                    d->n_head_l[il], d->n_head_kv_l[il]);
            goto fail;
        }
    }
    uint32_t hd = d->n_embd / d->n_head;
    if (get_count(f, arch, "attention.key_length", hd, &d->head_dim_k, err)) goto fail;
    if (get_count(f, arch, "attention.value_length", hd, &d->head_dim_v, err)) goto fail;
    if (d->head_dim_k == 0 || d->head_dim_v == 0) {
        fc_errf(err, FC_EINPUT, "%s: head dimension is 0 (%s.embedding_length %u / head_count %u)", f->path, arch,
                d->n_embd, d->n_head);
        goto fail;
    }
    if (get_count(f, arch, "rope.dimension_count", d->head_dim_k, &d->n_rot, err)) goto fail;
    if (d->n_rot > d->head_dim_k || d->n_rot % 2) {
        fc_errf(err, FC_EINPUT, "%s: %s.rope.dimension_count = %u must be even and at most the head dim %u", f->path,
                arch, d->n_rot, d->head_dim_k);
        goto fail;
    }

    /* Vocabulary: explicit key, else the token list, else the embedding rows. */
    uint32_t nv = 0;
    if (get_count(f, arch, "vocab_size", 0, &nv, err)) goto fail;
    if (!nv) nv = (uint32_t)gguf_arr_n(gguf_find(f, "tokenizer.ggml.tokens"));
    const gguf_tensor *emb = gguf_tensor_find(f, "token_embd.weight");
    if (!nv && emb && emb->n_dims >= 2) nv = (uint32_t)emb->ne[1];
    d->n_vocab = nv;
    d->tied_output = gguf_tensor_find(f, "output.weight") == NULL;

    double rope_base = gguf_get_float(f, key(k, sizeof k, arch, "rope.freq_base"), 10000.0);
    if (!(rope_base > 0 && rope_base < 1e30)) {
        fc_errf(err, FC_EINPUT, "%s: %s = %g is not a valid positive number", f->path, k, rope_base);
        goto fail;
    }
    d->rope_base = (float)rope_base;
    d->rope_base_swa = d->rope_base;
    snprintf(d->rope_scaling, sizeof d->rope_scaling, "%s", gguf_get_str(f, key(k, sizeof k, arch, "rope.scaling.type"), "none"));
    d->rope_scale_linear = 1.0f;
    double factor = gguf_get_float(f, key(k, sizeof k, arch, "rope.scaling.factor"), 0.0);
    if (!strcmp(d->rope_scaling, "linear") && factor > 1e-6 && factor < 1e6) d->rope_scale_linear = (float)(1.0 / factor);
    /* Older files give only rope.scale_linear. */
    double scale_linear = gguf_get_float(f, key(k, sizeof k, arch, "rope.scale_linear"), 0.0);
    if (scale_linear > 1e-6 && scale_linear < 1e6) d->rope_scale_linear = (float)(1.0 / scale_linear);
    double eps = gguf_get_float(f, key(k, sizeof k, arch, "attention.layer_norm_rms_epsilon"),
                                gguf_get_float(f, key(k, sizeof k, arch, "attention.layer_norm_epsilon"), 1e-5));
    if (!(eps >= 0 && eps < 1)) {
        fc_errf(err, FC_EINPUT, "%s: %s.attention.layer_norm_rms_epsilon = %g is out of range (0..1)", f->path, arch, eps);
        goto fail;
    }
    d->norm_eps = (float)eps;
    if (!(d->rope_base > 0) || !isfinite(d->rope_base) || !(d->norm_eps >= 0) || !isfinite(d->norm_eps)) {
        fc_errf(err, FC_EINPUT, "%s: %s.rope.freq_base = %g or epsilon = %g is not a valid positive number", f->path,
                arch, d->rope_base, d->norm_eps);
        goto fail;
    }
    if (get_count(f, arch, "expert_count", 0, &d->n_expert, err)) goto fail;
    if (get_count(f, arch, "expert_used_count", 0, &d->n_expert_used, err)) goto fail;

    /* Sliding windows: which layers slide is the file's
     * {arch}.attention.sliding_window_pattern where it has one (a flag per
     * layer, or llama.cpp's period n: n - 1 local layers, then one global; 0
     * every layer local, 1 none), else the pattern of the architectures known
     * to use one (as llama.cpp and Hugging Face run them): Gemma 2 and gpt-oss
     * every other layer (even ones local), Gemma 3 five local then one global
     * (RoPE base 10000 locally), Cohere 2 three local then one global; Phi-3
     * every layer, as Hugging Face runs it (llama.cpp turns its window off; the
     * engine follows Hugging Face, so the plan counts what the engine keeps).
     * Any other architecture gets no window: its KV cache is planned whole,
     * never smaller than what a runtime keeps. */
    if (get_count(f, arch, "attention.sliding_window", 0, &d->n_swa, err)) goto fail;
    if (d->n_swa) {
        const gguf_kv *pat = gguf_find(f, key(k, sizeof k, arch, "attention.sliding_window_pattern"));
        uint32_t period = 1;    /* llama.cpp's meaning: 1 no local layer, 0 all local */
        if (pat && pat->type == GGUF_TYPE_ARRAY) {
            uint32_t *flags = malloc(d->n_layer * sizeof *flags);
            if (!flags) {
                fc_errf(err, FC_EFAIL, "out of memory");
                goto fail;
            }
            const int r = per_layer(f, d, "attention.sliding_window_pattern", 0, true, true, flags, err);
            for (uint32_t il = 0; !r && il < d->n_layer; il++) d->swa_l[il] = flags[il] != 0;
            free(flags);
            if (r) goto fail;
        } else if (pat) {
            if (get_count(f, arch, "attention.sliding_window_pattern", 1, &period, err)) goto fail;
        } else if (d->arch_id == ARCH_GEMMA2 || !strcmp(arch, "gpt-oss")) period = 2;
        else if (d->arch_id == ARCH_GEMMA3) period = 6;
        else if (!strcmp(arch, "cohere2")) period = 4;
        else if (d->arch_id == ARCH_PHI3) period = 0; /* every layer local */
        if (d->arch_id == ARCH_GEMMA3) d->rope_base_swa = 10000.0f;
        for (uint32_t il = 0; il < d->n_layer && !(pat && pat->type == GGUF_TYPE_ARRAY); il++)
            d->swa_l[il] = period == 0 || il % period < period - 1;
    }
    return 0;
fail:
    model_desc_free(d);
    return -1;
}

void model_desc_free(model_desc *d) {
    if (!d) return;
    free(d->n_head_l);
    free(d->n_head_kv_l);
    free(d->n_ff_l);
    free(d->swa_l);
    d->n_head_l = d->n_head_kv_l = d->n_ff_l = NULL;
    d->swa_l = NULL;
}

bool arch_runnable(const model_desc *d) {
    bool known = d->arch_id == ARCH_LLAMA || d->arch_id == ARCH_QWEN2 || d->arch_id == ARCH_QWEN3 ||
                 d->arch_id == ARCH_GEMMA3 || d->arch_id == ARCH_PHI3;
    return known && d->n_expert == 0;
}
