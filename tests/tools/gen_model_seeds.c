/* gen_model_seeds — writes the seed corpus of fuzz/fuzz_model.c: tiny
 * models the engine runs (llama with a SentencePiece vocabulary, gemma3
 * with a sliding window of 4 and qwen2 with biases, both with a byte-level
 * BPE vocabulary and merges), Q8_0 matrices and F32 norms filled with small
 * deterministic values, so that the fuzzer starts from inputs that reach the
 * tokenizer, the planner and a forward pass. A few KB each.
 * Usage: gen_model_seeds DIR (fuzz/Makefile `seeds`). */
#include <stdio.h>

#include "gguf_writer.h"

enum { N_EMBD = 32, N_HEAD = 2, N_KV = 1, HD = 16, N_FF = 64, VOCAB = 300 };

static void mat(gw_file *g, const char *name, uint64_t n_in, uint64_t n_out) {
    uint64_t ne[2] = {n_in, n_out};
    gw_tensor(g, name, 8 /* Q8_0 */, 2, ne, n_in * n_out / 32 * 34);
}

static void vec(gw_file *g, const char *name, uint64_t n) { gw_tensor(g, name, 0 /* F32 */, 1, &n, n * 4); }

static void hparams(gw_file *g, const char *arch, uint32_t n_layer) {
    char k[96];
    static const char *keys[] = {"block_count", "context_length", "embedding_length", "feed_forward_length",
                                 "attention.head_count", "attention.head_count_kv"};
    const uint32_t vals[] = {n_layer, 64, N_EMBD, N_FF, N_HEAD, N_KV};
    gw_kv_str(g, "general.architecture", arch);
    gw_kv_str(g, "general.name", arch);
    for (int i = 0; i < 6; i++) {
        snprintf(k, sizeof k, "%s.%s", arch, keys[i]);
        gw_kv_u32(g, k, vals[i]);
    }
    snprintf(k, sizeof k, "%s.attention.layer_norm_rms_epsilon", arch);
    gw_kv_f32(g, k, 1e-6f);
}

/* SentencePiece: <unk> <s> </s>, 256 byte tokens, then words. */
static void vocab_spm(gw_file *g) {
    static const char *words[] = {"\xE2\x96\x81the", "\xE2\x96\x81" "a", "\xE2\x96\x81Hello", "\xE2\x96\x81world", "he",
                                  "ll", "o", "\xE2\x96\x81", "!", "1", "2"};
    const int nw = (int)(sizeof words / sizeof words[0]);
    gw_kv_str(g, "tokenizer.ggml.model", "llama");
    gw_buf *o = gw_kv_arr(g, "tokenizer.ggml.tokens", GW_STR, VOCAB);
    char t[16];
    gw_str(o, "<unk>");
    gw_str(o, "<s>");
    gw_str(o, "</s>");
    for (int b = 0; b < 256; b++) { snprintf(t, sizeof t, "<0x%02X>", b); gw_str(o, t); }
    for (int i = 259; i < VOCAB; i++) {
        if (i - 259 < nw) gw_str(o, words[i - 259]);
        else { snprintf(t, sizeof t, "w%d", i); gw_str(o, t); }
    }
    o = gw_kv_arr(g, "tokenizer.ggml.scores", GW_F32, VOCAB);
    for (int i = 0; i < VOCAB; i++) gw_f32(o, i < 259 ? 0.0f : -(float)(i - 259));
    o = gw_kv_arr(g, "tokenizer.ggml.token_type", GW_I32, VOCAB);
    for (int i = 0; i < VOCAB; i++) gw_u32(o, i == 0 ? 2 : i < 3 ? 3 : i < 259 ? 6 : 1);
    gw_kv_u32(g, "tokenizer.ggml.bos_token_id", 1);
    gw_kv_u32(g, "tokenizer.ggml.eos_token_id", 2);
}

/* GPT-2 byte-level BPE: the 256 byte symbols, merges, control tokens last. */
static void vocab_bpe(gw_file *g, const char *pre) {
    static const char *merged[] = {"\xC4\xA0t", "he", "\xC4\xA0the", "ll", "\xC4\xA0" "a", "in"};
    static const char *merges[] = {"\xC4\xA0 t", "h e", "\xC4\xA0t he", "l l", "\xC4\xA0 " "a", "i n"};
    const int nm = (int)(sizeof merges / sizeof merges[0]);
    gw_kv_str(g, "tokenizer.ggml.model", "gpt2");
    gw_kv_str(g, "tokenizer.ggml.pre", pre);
    gw_buf *o = gw_kv_arr(g, "tokenizer.ggml.tokens", GW_STR, VOCAB);
    for (int b = 0; b < 256; b++) { /* bytes_to_unicode: printable bytes map to themselves */
        int cp = b;
        if (!((b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255))) {
            int k = 0;
            for (int x = 0; x < b; x++)
                if (!((x >= 33 && x <= 126) || (x >= 161 && x <= 172) || (x >= 174 && x <= 255))) k++;
            cp = 256 + k;
        }
        char u[4];
        if (cp < 0x80) { u[0] = (char)cp; u[1] = 0; }
        else { u[0] = (char)(0xC0 | cp >> 6); u[1] = (char)(0x80 | (cp & 63)); u[2] = 0; }
        gw_str(o, u);
    }
    char t[16];
    for (int i = 256; i < VOCAB - 2; i++) {
        if (i - 256 < nm) gw_str(o, merged[i - 256]);
        else { snprintf(t, sizeof t, "x%d", i); gw_str(o, t); }
    }
    gw_str(o, "<|im_start|>");
    gw_str(o, "<|im_end|>");
    o = gw_kv_arr(g, "tokenizer.ggml.token_type", GW_I32, VOCAB);
    for (int i = 0; i < VOCAB; i++) gw_u32(o, i >= VOCAB - 2 ? 3 : 1);
    o = gw_kv_arr(g, "tokenizer.ggml.merges", GW_STR, (uint64_t)nm);
    for (int i = 0; i < nm; i++) gw_str(o, merges[i]);
    gw_kv_u32(g, "tokenizer.ggml.eos_token_id", VOCAB - 1);
    gw_kv_str(g, "tokenizer.chat_template", "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}");
}

/* The header, then small deterministic bytes as the tensors' data. */
static void write(const char *dir, const char *name, gw_file *g) {
    gw_buf o = gw_header(g);
    size_t start = o.n, end = o.n + g->data_end;
    /* any bytes are valid Q8_0 / F32 data, which is all the fuzzer needs */
    while (o.n < end) gw_u8(&o, (uint8_t)((o.n - start) * 37 % 7) - 3);
    gw_save("gen_model_seeds", dir, name, &o, g);
}

static void layers(gw_file *g, int n_layer, int gemma, int bias) {
    char n[64];
    mat(g, "token_embd.weight", N_EMBD, VOCAB);
    for (int il = 0; il < n_layer; il++) {
#define M(s, a, b) snprintf(n, sizeof n, "blk.%d." s ".weight", il); mat(g, n, a, b);
#define V(s, a) snprintf(n, sizeof n, "blk.%d." s ".weight", il); vec(g, n, a);
#define B(s, a) snprintf(n, sizeof n, "blk.%d." s ".bias", il); vec(g, n, a);
        V("attn_norm", N_EMBD) M("attn_q", N_EMBD, N_HEAD * HD) M("attn_k", N_EMBD, N_KV * HD)
        M("attn_v", N_EMBD, N_KV * HD) M("attn_output", N_HEAD * HD, N_EMBD)
        if (bias) { B("attn_q", N_HEAD * HD) B("attn_k", N_KV * HD) B("attn_v", N_KV * HD) }
        if (gemma) { V("attn_q_norm", HD) V("attn_k_norm", HD) V("post_attention_norm", N_EMBD) V("post_ffw_norm", N_EMBD) }
        V("ffn_norm", N_EMBD) M("ffn_gate", N_EMBD, N_FF) M("ffn_up", N_EMBD, N_FF) M("ffn_down", N_FF, N_EMBD)
#undef M
#undef V
#undef B
    }
    vec(g, "output_norm.weight", N_EMBD);
}

int main(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: gen_model_seeds DIR\n"); return 2; }
    {
        gw_file g = {.version = 3, .alignment = 32};
        hparams(&g, "llama", 2);
        vocab_spm(&g);
        layers(&g, 2, 0, 0);
        mat(&g, "output.weight", N_EMBD, VOCAB);
        write(argv[1], "llama-spm", &g);
    }
    {
        gw_file g = {.version = 3, .alignment = 32};
        hparams(&g, "gemma3", 6);
        gw_kv_u32(&g, "gemma3.attention.key_length", HD);
        gw_kv_u32(&g, "gemma3.attention.value_length", HD);
        gw_kv_u32(&g, "gemma3.attention.sliding_window", 4);
        vocab_bpe(&g, "default");
        layers(&g, 6, 1, 0);
        write(argv[1], "gemma3-bpe", &g);
    }
    {
        gw_file g = {.version = 3, .alignment = 32};
        hparams(&g, "qwen2", 1);
        vocab_bpe(&g, "qwen2");
        layers(&g, 1, 0, 1);
        mat(&g, "output.weight", N_EMBD, VOCAB);
        write(argv[1], "qwen2-bpe", &g);
    }
    return 0;
}
