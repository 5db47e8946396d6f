/* gen_7b_header — writes a GGUF file shaped like Llama-2-7B in Q4_K_M:
 * 32 layers, 4096 embedding, 11008 feed-forward, 32 heads, a 32000-token
 * vocabulary with scores and token types, a 61000-entry merges-like string
 * array, a chat template, and 291 tensors in Q4_K / Q6_K / F32 with the
 * Q4_K_M rule for which attn_v and ffn_down get Q6_K. Only the header is
 * written; the data region is made a hole with ftruncate, so the file has
 * its true size (~3.8 GiB) but takes no disk. For bench/info-speed.sh.
 * Usage: gen_7b_header OUT.gguf */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "gguf_writer.h"

enum { T_F32 = 0, T_Q4_K = 12, T_Q6_K = 14 };

static uint64_t bytes_of(uint32_t type, uint64_t n) {
    return type == T_F32 ? n * 4 : type == T_Q4_K ? n / 256 * 144 : n / 256 * 210;
}

static void tensor2(gw_file *g, const char *name, uint32_t type, uint64_t ne0, uint64_t ne1) {
    gw_tensor(g, name, type, ne1 ? 2 : 1, (uint64_t[]){ne0, ne1}, bytes_of(type, ne0 * (ne1 ? ne1 : 1)));
}

int main(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: gen_7b_header OUT.gguf\n"); return 2; }
    const uint32_t n_layer = 32, n_embd = 4096, n_ff = 11008, n_vocab = 32000, n_merges = 61000;
    gw_file g = {.version = 3, .alignment = 32};
    gw_kv_str(&g, "general.architecture", "llama");
    gw_kv_str(&g, "general.name", "LLaMA v2 (7B-shaped header for benchmarks)");
    gw_kv_u32(&g, "llama.context_length", 4096);
    gw_kv_u32(&g, "llama.embedding_length", n_embd);
    gw_kv_u32(&g, "llama.block_count", n_layer);
    gw_kv_u32(&g, "llama.feed_forward_length", n_ff);
    gw_kv_u32(&g, "llama.rope.dimension_count", 128);
    gw_kv_u32(&g, "llama.attention.head_count", 32);
    gw_kv_u32(&g, "llama.attention.head_count_kv", 32);
    gw_kv_f32(&g, "llama.attention.layer_norm_rms_epsilon", 1e-5f);
    gw_kv_u32(&g, "general.file_type", 15);
    gw_kv_str(&g, "tokenizer.ggml.model", "llama");
    char s[64];
    gw_buf *o = gw_kv_arr(&g, "tokenizer.ggml.tokens", GW_STR, n_vocab);
    for (uint32_t i = 0; i < n_vocab; i++) {
        if (i < 3) gw_str(o, i == 0 ? "<unk>" : i == 1 ? "<s>" : "</s>");
        else if (i < 259) { snprintf(s, sizeof s, "<0x%02X>", i - 3); gw_str(o, s); }
        else { snprintf(s, sizeof s, "\xe2\x96\x81tok%u", i); gw_str(o, s); }
    }
    o = gw_kv_arr(&g, "tokenizer.ggml.scores", GW_F32, n_vocab);
    for (uint32_t i = 0; i < n_vocab; i++) gw_f32(o, -(float)i);
    o = gw_kv_arr(&g, "tokenizer.ggml.token_type", GW_I32, n_vocab);
    for (uint32_t i = 0; i < n_vocab; i++) gw_u32(o, i < 3 ? 3 : i < 259 ? 6 : 1);
    o = gw_kv_arr(&g, "tokenizer.ggml.merges", GW_STR, n_merges);
    for (uint32_t i = 0; i < n_merges; i++) { snprintf(s, sizeof s, "t%u k%u", i % 977, i); gw_str(o, s); }
    gw_kv_u32(&g, "tokenizer.ggml.bos_token_id", 1);
    gw_kv_u32(&g, "tokenizer.ggml.eos_token_id", 2);
    gw_kv_str(&g, "tokenizer.chat_template",
              "{% if messages[0]['role'] == 'system' %}{{ '<<SYS>>\\n' + messages[0]['content'] + '\\n<</SYS>>' }}{% endif %}"
              "{% for m in messages %}{% if m['role'] == 'user' %}{{ bos_token + '[INST] ' + m['content'] + ' [/INST]' }}"
              "{% else %}{{ ' ' + m['content'] + eos_token }}{% endif %}{% endfor %}");

    tensor2(&g, "token_embd.weight", T_Q4_K, n_embd, n_vocab);
    for (uint32_t il = 0; il < n_layer; il++) {
        /* llama.cpp's Q4_K_M: attn_v and ffn_down get Q6_K in the first and
         * last eighth of the layers and every third layer between. */
        int more = il < n_layer / 8 || il >= 7 * n_layer / 8 || (il - n_layer / 8) % 3 == 2;
        char name[64];
#define T(suffix, type, a, b) do { snprintf(name, sizeof name, "blk.%u." suffix, il); tensor2(&g, name, type, a, b); } while (0)
        T("attn_norm.weight", T_F32, n_embd, 0);
        T("attn_q.weight", T_Q4_K, n_embd, n_embd);
        T("attn_k.weight", T_Q4_K, n_embd, n_embd);
        T("attn_v.weight", more ? T_Q6_K : T_Q4_K, n_embd, n_embd);
        T("attn_output.weight", T_Q4_K, n_embd, n_embd);
        T("ffn_gate.weight", T_Q4_K, n_embd, n_ff);
        T("ffn_up.weight", T_Q4_K, n_embd, n_ff);
        T("ffn_down.weight", more ? T_Q6_K : T_Q4_K, n_ff, n_embd);
        T("ffn_norm.weight", T_F32, n_embd, 0);
#undef T
    }
    tensor2(&g, "output_norm.weight", T_F32, n_embd, 0);
    tensor2(&g, "output.weight", T_Q6_K, n_embd, n_vocab);

    gw_buf h = gw_header(&g);
    int fd = open(argv[1], O_CREAT | O_TRUNC | O_WRONLY, 0644);
    if (fd < 0 || write(fd, h.b, h.n) != (ssize_t)h.n || ftruncate(fd, (off_t)(h.n + g.data_end)) != 0) {
        perror(argv[1]);
        return 1;
    }
    close(fd);
    printf("%s: %llu tensors, header %zu bytes, file %llu bytes\n", argv[1], (unsigned long long)g.n_tensors, h.n,
           (unsigned long long)(h.n + g.data_end));
    free(h.b);
    gw_free(&g);
    return 0;
}
