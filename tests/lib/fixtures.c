#include "fixtures.h"

#include <stdio.h>
#include <string.h>

#include "../../src/format/ggml_types.h"
#include "gguf_write.h"

/* meta-llama/Llama-2-7b-hf: no GQA; TheBloke's Q4_0 (output Q6_K). */
const fx_shape FX_LLAMA2_7B = {"llama-2-7b-q4_0", "llama", 32, 4096, 32, 32, 128, 11008, 32000, 4096, 0, 0, 0,
                               false, false, false, false, FX_MIX_UNIFORM, GGML_TYPE_Q4_0, GGML_TYPE_Q4_0, GGML_TYPE_Q6_K};
/* mistralai/Mistral-7B-v0.1: 8 KV heads of 128; Q4_K_M. */
const fx_shape FX_MISTRAL_7B = {"mistral-7b-v0.1-q4_k_m", "llama", 32, 4096, 32, 8, 128, 14336, 32000, 32768, 0, 0, 0,
                                false, false, false, false, FX_MIX_Q4_K_M, GGML_TYPE_Q4_K, GGML_TYPE_Q4_K, GGML_TYPE_Q6_K};
/* meta-llama/Llama-3.1-8B: 128256 vocab, rope_freqs; Q8_0. */
const fx_shape FX_LLAMA31_8B = {"llama-3.1-8b-q8_0", "llama", 32, 4096, 32, 8, 128, 14336, 128256, 131072, 0, 0, 0,
                                false, false, false, true, FX_MIX_UNIFORM, GGML_TYPE_Q8_0, GGML_TYPE_Q8_0, GGML_TYPE_Q8_0};
/* Qwen/Qwen2.5-7B: 28 layers, 4 KV heads, q/k/v biases, untied; Q4_K (output Q6_K). */
const fx_shape FX_QWEN25_7B = {"qwen2.5-7b-q4_k", "qwen2", 28, 3584, 28, 4, 128, 18944, 152064, 32768, 0, 0, 0,
                               false, true, false, false, FX_MIX_UNIFORM, GGML_TYPE_Q4_K, GGML_TYPE_Q4_K, GGML_TYPE_Q6_K};
/* google/gemma-3-12b: head_dim 256, window 1024 on 5 of every 6 layers, tied; Q8_0. */
const fx_shape FX_GEMMA3_12B = {"gemma-3-12b-q8_0", "gemma3", 48, 3840, 16, 8, 256, 15360, 262208, 131072, 1024, 0, 0,
                                true, false, true, false, FX_MIX_UNIFORM, GGML_TYPE_Q8_0, GGML_TYPE_Q8_0, GGML_TYPE_Q8_0};
/* mistralai/Mixtral-8x7B-v0.1: 8 experts, 2 used; Q4_K (output Q6_K). */
const fx_shape FX_MIXTRAL_8X7B = {"mixtral-8x7b-q4_k", "llama", 32, 4096, 32, 8, 128, 14336, 32000, 32768, 0, 8, 2,
                                  false, false, false, false, FX_MIX_UNIFORM, GGML_TYPE_Q4_K, GGML_TYPE_Q4_K, GGML_TYPE_Q6_K};

const fx_shape *const FX_ALL[] = {&FX_LLAMA2_7B, &FX_MISTRAL_7B, &FX_LLAMA31_8B, &FX_QWEN25_7B, &FX_GEMMA3_12B, &FX_MIXTRAL_8X7B};
const int FX_N_ALL = sizeof FX_ALL / sizeof FX_ALL[0];

const fx_shape *fx_find(const char *name) {
    for (int i = 0; i < FX_N_ALL; i++)
        if (!strcmp(FX_ALL[i]->name, name)) return FX_ALL[i];
    return NULL;
}

/* llama.cpp's use_more_bits(i, n) for Q4_K_M's attn_v and ffn_down. */
static bool more_bits(uint32_t i, uint32_t n) { return i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2; }

static void key(char *buf, size_t cap, const char *arch, const char *suffix) { snprintf(buf, cap, "%s.%s", arch, suffix); }

int fx_write(const fx_shape *s, const char *path, uint64_t *size, fc_err *err) {
    gguf_writer *w = gw_new();
    if (!w) return fc_errf(err, FC_EFAIL, "out of memory");
    char k[160], t[160];
    const char *a = s->arch;
    gw_kv_str(w, "general.architecture", a);
    gw_kv_str(w, "general.name", s->name);
    key(k, sizeof k, a, "block_count"); gw_kv_u32(w, k, s->n_layer);
    key(k, sizeof k, a, "context_length"); gw_kv_u32(w, k, s->n_ctx_train);
    key(k, sizeof k, a, "embedding_length"); gw_kv_u32(w, k, s->n_embd);
    key(k, sizeof k, a, "feed_forward_length"); gw_kv_u32(w, k, s->n_ff);
    key(k, sizeof k, a, "attention.head_count"); gw_kv_u32(w, k, s->n_head);
    key(k, sizeof k, a, "attention.head_count_kv"); gw_kv_u32(w, k, s->n_head_kv);
    key(k, sizeof k, a, "attention.key_length"); gw_kv_u32(w, k, s->head_dim);
    key(k, sizeof k, a, "attention.value_length"); gw_kv_u32(w, k, s->head_dim);
    key(k, sizeof k, a, "attention.layer_norm_rms_epsilon"); gw_kv_f32(w, k, 1e-5f);
    key(k, sizeof k, a, "rope.freq_base"); gw_kv_f32(w, k, 10000.0f);
    if (s->n_swa) { key(k, sizeof k, a, "attention.sliding_window"); gw_kv_u32(w, k, s->n_swa); }
    if (s->n_expert) {
        key(k, sizeof k, a, "expert_count"); gw_kv_u32(w, k, s->n_expert);
        key(k, sizeof k, a, "expert_used_count"); gw_kv_u32(w, k, s->n_expert_used);
    }
    gw_kv_str(w, "tokenizer.ggml.model", "llama");

    const uint32_t F32 = GGML_TYPE_F32;
    uint32_t n_q = s->n_head * s->head_dim, n_kv = s->n_head_kv * s->head_dim, E = s->n_embd;
    gw_tensor2(w, "token_embd.weight", s->type_embd, E, s->n_vocab, NULL);
    if (s->rope_freqs) gw_tensor2(w, "rope_freqs.weight", F32, s->head_dim / 2, 1, NULL);
    for (uint32_t il = 0; il < s->n_layer; il++) {
        bool more = s->mix == FX_MIX_Q4_K_M && more_bits(il, s->n_layer);
        uint32_t tm = s->type_main, tv = more ? GGML_TYPE_Q6_K : tm, td = more ? GGML_TYPE_Q6_K : tm;
#define T(suffix) (snprintf(t, sizeof t, "blk.%u.%s", il, suffix), t)
        gw_tensor2(w, T("attn_norm.weight"), F32, E, 1, NULL);
        gw_tensor2(w, T("attn_q.weight"), tm, E, n_q, NULL);
        gw_tensor2(w, T("attn_k.weight"), tm, E, n_kv, NULL);
        gw_tensor2(w, T("attn_v.weight"), tv, E, n_kv, NULL);
        if (s->qkv_bias) {
            gw_tensor2(w, T("attn_q.bias"), F32, n_q, 1, NULL);
            gw_tensor2(w, T("attn_k.bias"), F32, n_kv, 1, NULL);
            gw_tensor2(w, T("attn_v.bias"), F32, n_kv, 1, NULL);
        }
        if (s->gemma_norms) {
            gw_tensor2(w, T("attn_q_norm.weight"), F32, s->head_dim, 1, NULL);
            gw_tensor2(w, T("attn_k_norm.weight"), F32, s->head_dim, 1, NULL);
            gw_tensor2(w, T("post_attention_norm.weight"), F32, E, 1, NULL);
            gw_tensor2(w, T("post_ffw_norm.weight"), F32, E, 1, NULL);
        }
        gw_tensor2(w, T("attn_output.weight"), tm, n_q, E, NULL);
        gw_tensor2(w, T("ffn_norm.weight"), F32, E, 1, NULL);
        if (s->n_expert) {
            int64_t up[3] = {E, s->n_ff, s->n_expert}, down[3] = {s->n_ff, E, s->n_expert};
            gw_tensor2(w, T("ffn_gate_inp.weight"), F32, E, s->n_expert, NULL);
            gw_tensor(w, T("ffn_gate_exps.weight"), tm, 3, up, NULL);
            gw_tensor(w, T("ffn_up_exps.weight"), tm, 3, up, NULL);
            gw_tensor(w, T("ffn_down_exps.weight"), td, 3, down, NULL);
        } else {
            gw_tensor2(w, T("ffn_gate.weight"), tm, E, s->n_ff, NULL);
            gw_tensor2(w, T("ffn_up.weight"), tm, E, s->n_ff, NULL);
            gw_tensor2(w, T("ffn_down.weight"), td, s->n_ff, E, NULL);
        }
#undef T
    }
    gw_tensor2(w, "output_norm.weight", F32, E, 1, NULL);
    if (!s->tied) gw_tensor2(w, "output.weight", s->type_out, E, s->n_vocab, NULL);
    int rc = gw_write_file(w, path, size, err);
    gw_free(w);
    return rc;
}
