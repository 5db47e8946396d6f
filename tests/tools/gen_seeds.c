/* gen_seeds — writes the fuzz seed corpus for the GGUF reader: small valid
 * files of GGUF v2 and v3 with every value type, arrays of strings, nested
 * arrays and tensors, so the fuzzer starts from inputs that reach deep into
 * the parser. Usage: gen_seeds DIR (see fuzz/Makefile `seeds`). */
#include <stdio.h>

#include "gguf_writer.h"

static void write_seed(const char *dir, const char *name, gw_file *g, int with_data) {
    gw_buf o = gw_header(g);
    if (with_data) {
        size_t end = o.n + g->data_end; /* the file ends where the last tensor ends */
        while (o.n < end) gw_u8(&o, (uint8_t)(o.n * 13));
    }
    gw_save("gen_seeds", dir, name, &o, g);
}

static void all_scalars(gw_file *g) {
    gw_u8(gw_key(g, "s.u8", GW_U8), 250);
    gw_u8(gw_key(g, "s.i8", GW_I8), 0x80);
    gw_u16(gw_key(g, "s.u16", GW_U16), 65535);
    gw_u16(gw_key(g, "s.i16", GW_I16), 0x8000);
    gw_u32(gw_key(g, "s.u32", GW_U32), 7);
    gw_u32(gw_key(g, "s.i32", GW_I32), 0xffffffffu);
    gw_f32(gw_key(g, "s.f32", GW_F32), 0.25f);
    gw_u8(gw_key(g, "s.bool", GW_BOOL), 1);
    gw_str(gw_key(g, "s.str", GW_STR), "value");
    gw_u64(gw_key(g, "s.u64", GW_U64), UINT64_MAX);
    gw_u64(gw_key(g, "s.i64", GW_I64), 1ull << 63);
    gw_f64(gw_key(g, "s.f64", GW_F64), -2.5);
}

int main(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: gen_seeds DIR\n"); return 2; }
    const char *dir = argv[1];

    /* v3: every type, arrays of strings and of arrays, two tensors. */
    gw_file g = {.version = 3, .alignment = 32};
    gw_kv_str(&g, "general.architecture", "llama");
    all_scalars(&g);
    gw_buf *o = gw_kv_arr(&g, "a.str", GW_STR, 3);
    gw_str(o, "<s>"); gw_str(o, ""); gw_str(o, "\xc4\xa0t");
    o = gw_kv_arr(&g, "a.nested", GW_ARR, 2);
    gw_u32(o, GW_STR); gw_u64(o, 1); gw_str(o, "x");
    gw_u32(o, GW_I16); gw_u64(o, 2); gw_u16(o, 1); gw_u16(o, 2);
    o = gw_kv_arr(&g, "a.f32", GW_F32, 2);
    gw_f32(o, 1.0f); gw_f32(o, -0.0f);
    gw_kv_u32(&g, "general.alignment", 32);
    gw_tensor(&g, "w.f32", 0, 1, (uint64_t[]){8}, 32);
    gw_tensor(&g, "w.q8", 8, 2, (uint64_t[]){32, 2}, 68);
    write_seed(dir, "v3_types_tensors", &g, 1);

    /* v2, alignment 64, a Q4_1 and a 4-d F16 tensor. */
    g = (gw_file){.version = 2, .alignment = 64};
    gw_kv_str(&g, "general.architecture", "llama");
    gw_kv_u32(&g, "general.alignment", 64);
    o = gw_kv_arr(&g, "a.u8", GW_U8, 4);
    for (int i = 0; i < 4; i++) gw_u8(o, (uint8_t)i);
    gw_tensor(&g, "blk.0.q4", 3, 2, (uint64_t[]){64, 2}, 4 * 20);
    gw_tensor(&g, "blk.0.f16", 1, 4, (uint64_t[]){2, 2, 2, 2}, 32);
    write_seed(dir, "v2_align64", &g, 1);

    /* Vocabulary only, like llama.cpp's ggml-vocab-*.gguf. */
    g = (gw_file){.version = 3, .alignment = 32};
    gw_kv_str(&g, "general.architecture", "llama");
    gw_kv_str(&g, "tokenizer.ggml.model", "gpt2");
    gw_kv_str(&g, "tokenizer.ggml.pre", "smollm");
    static const char *toks[] = {"<|endoftext|>", "a", "b", "ab", "\xc4\xa0"};
    o = gw_kv_arr(&g, "tokenizer.ggml.tokens", GW_STR, 5);
    for (int i = 0; i < 5; i++) gw_str(o, toks[i]);
    o = gw_kv_arr(&g, "tokenizer.ggml.scores", GW_F32, 5);
    for (int i = 0; i < 5; i++) gw_f32(o, (float)-i);
    o = gw_kv_arr(&g, "tokenizer.ggml.token_type", GW_I32, 5);
    for (int i = 0; i < 5; i++) gw_u32(o, i == 0 ? 3 : 1);
    o = gw_kv_arr(&g, "tokenizer.ggml.merges", GW_STR, 1);
    gw_str(o, "a b");
    gw_kv_str(&g, "tokenizer.chat_template", "<|im_start|>{{ m }}<|im_end|>");
    write_seed(dir, "v3_vocab_only", &g, 0);

    /* A one-layer llama with hyper-parameters, as fitchat info reads them. */
    g = (gw_file){.version = 3, .alignment = 32};
    gw_kv_str(&g, "general.architecture", "llama");
    gw_kv_u32(&g, "llama.block_count", 1);
    gw_kv_u32(&g, "llama.embedding_length", 32);
    gw_kv_u32(&g, "llama.attention.head_count", 4);
    gw_kv_u32(&g, "llama.attention.head_count_kv", 2);
    gw_kv_u32(&g, "llama.feed_forward_length", 64);
    gw_kv_f32(&g, "llama.rope.freq_base", 10000.0f);
    gw_tensor(&g, "token_embd.weight", 8, 2, (uint64_t[]){32, 4}, 4 * 34);
    gw_tensor(&g, "blk.0.attn_norm.weight", 0, 1, (uint64_t[]){32}, 128);
    gw_tensor(&g, "blk.0.attn_q.weight", 8, 2, (uint64_t[]){32, 32}, 32 * 34);
    gw_tensor(&g, "output_norm.weight", 0, 1, (uint64_t[]){32}, 128);
    write_seed(dir, "v3_tiny_llama", &g, 1);

    /* The smallest valid file. */
    g = (gw_file){.version = 3, .alignment = 32};
    write_seed(dir, "v3_empty", &g, 0);
    return 0;
}
