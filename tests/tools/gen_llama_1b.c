/* gen_llama_1b — writes a synthetic Llama-3.2-1B-shaped GGUF in a Q4_K_M
 * mix, for benchmarks (bench/llama1b-speed.sh): n_embd 2048, 16 layers, 32
 * heads, 8 KV heads, n_ff 8192, RoPE base 500000, tied embeddings, and the
 * tokenizer of the default model (every tokenizer.* key copied from
 * SmolLM2-135M, so the vocabulary is 49152 and the model has ~1.07 G
 * parameters, ~667 MB of weights).
 *
 * Types follow llama.cpp's Q4_K_M rule (llama_tensor_get_type): Q4_K for
 * most matrices; Q6_K for the token embedding (it is also the output head
 * when there is no output.weight), and for attn_v and ffn_down in the layers
 * where use_more_bits() holds (the first and last eighth and every third
 * layer between: 8 of 16 here). Norms are F32 ones.
 *
 * Blocks are random, not sparse: random bytes for every code, random 6-bit
 * (Q4_K) or 8-bit (Q6_K) sub-block scales, and f16 super-block scales sized
 * so that a row's elements have a standard deviation of about
 * 1 / sqrt(n_in) and (for Q4_K) a mean near zero (the min is set to cancel
 * the codes' mean), so activations stay finite through 16 layers.
 *
 * The header is written with tests/lib/gguf_write (tensor data as holes),
 * then the file is reopened with the GGUF reader for the data offsets and
 * the blocks are written in place, 1 MiB at a time.
 *   gen_llama_1b TOKENIZER.gguf OUT.gguf [SEED]
 */
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/engine/quant.h"
#include "../../src/format/gguf.h"
#include "../lib/gguf_write.h"
#include "../lib/rng.h"

enum { N_LAYER = 16, N_EMBD = 2048, N_HEAD = 32, N_HEAD_KV = 8, N_FF = 8192 };
enum { QK = 256, Q4K_BYTES = 144, Q6K_BYTES = 210 };

/* llama.cpp's use_more_bits(i_layer, n_layers) */
static int use_more_bits(int il, int n) { return il < n / 8 || il >= 7 * n / 8 || (il - n / 8) % 3 == 2; }

/* Copies every tokenizer.* key of src into w (scalars, strings, arrays of
 * numbers or strings). Returns the number copied, -1 on a type it cannot copy. */
static int copy_tokenizer(const gguf_file *src, gguf_writer *w) {
    int n = 0;
    for (uint64_t i = 0; i < src->n_kv; i++) {
        const gguf_kv *kv = &src->kv[i];
        if (strncmp(kv->key, "tokenizer.", 10) != 0) continue;
        switch (kv->type) {
        case GGUF_TYPE_UINT8: gw_kv_u8(w, kv->key, (uint8_t)kv->v.u64); break;
        case GGUF_TYPE_INT8: gw_kv_i8(w, kv->key, (int8_t)kv->v.i64); break;
        case GGUF_TYPE_UINT16: gw_kv_u16(w, kv->key, (uint16_t)kv->v.u64); break;
        case GGUF_TYPE_INT16: gw_kv_i16(w, kv->key, (int16_t)kv->v.i64); break;
        case GGUF_TYPE_UINT32: gw_kv_u32(w, kv->key, (uint32_t)kv->v.u64); break;
        case GGUF_TYPE_INT32: gw_kv_i32(w, kv->key, (int32_t)kv->v.i64); break;
        case GGUF_TYPE_UINT64: gw_kv_u64(w, kv->key, kv->v.u64); break;
        case GGUF_TYPE_INT64: gw_kv_i64(w, kv->key, kv->v.i64); break;
        case GGUF_TYPE_FLOAT32: gw_kv_f32(w, kv->key, (float)kv->v.f64); break;
        case GGUF_TYPE_FLOAT64: gw_kv_f64(w, kv->key, kv->v.f64); break;
        case GGUF_TYPE_BOOL: gw_kv_bool(w, kv->key, kv->v.u64 != 0); break;
        case GGUF_TYPE_STRING: gw_kv_str(w, kv->key, kv->v.str); break;
        case GGUF_TYPE_ARRAY:
            if (kv->arr_type == GGUF_TYPE_STRING) {
                const char **strs = malloc(kv->arr_n * sizeof *strs);
                uint64_t *lens = malloc(kv->arr_n * sizeof *lens);
                if (!strs || !lens) { free(strs); free(lens); return -1; }
                for (uint64_t k = 0; k < kv->arr_n; k++) strs[k] = gguf_arr_str(kv, k, &lens[k]);
                gw_kv_arr_str(w, kv->key, kv->arr_n, strs, lens);
                free(strs);
                free(lens);
            } else if (kv->arr_type != GGUF_TYPE_ARRAY) {
                gw_kv_arr(w, kv->key, kv->arr_type, kv->arr_n, kv->arr_data);
            } else {
                return -1;
            }
            break;
        default: return -1;
        }
        n++;
    }
    return n;
}

/* A random f16 near v (times 0.75..1.25), never zero, inf or NaN. */
static uint16_t rand_f16(float v) { return fc_f32_to_f16(v * (0.75f + 0.5f * rng_unit())); }

static void rand_bytes(uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i += 8) {
        const uint64_t r = rng_u64();
        memcpy(p + i, &r, n - i < 8 ? n - i : 8);
    }
}

/* Q4_K: x = d * sc * q - dmin * m, q uniform in 0..15 (mean 7.5, sd 4.6).
 * sc uniform in 16..63 (mean 39.5); dmin = d * 8 and m = round(7.5 * sc / 8)
 * so that each sub-block's mean is about zero. Element sd ~ d * 39.5 * 4.6. */
static void block_q4_k(uint8_t *b, float sd) {
    const float d = sd / (39.5f * 4.6f);
    const uint16_t dh = rand_f16(d), mh = fc_f32_to_f16(fc_f16_to_f32(dh) * 8.0f);
    memcpy(b, &dh, 2);
    memcpy(b + 2, &mh, 2);
    uint8_t *s = b + 4;
    int sc[8], m[8];
    for (int j = 0; j < 8; j++) {
        sc[j] = 16 + (int)(rng_u64() % 48);
        m[j] = (int)lrintf(7.5f * (float)sc[j] / 8.0f);
    }
    /* ggml's 12-byte packing of eight 6-bit scales and mins */
    for (int j = 0; j < 4; j++) {
        s[j] = (uint8_t)((sc[j] & 63) | ((sc[j + 4] >> 4) << 6));
        s[j + 4] = (uint8_t)((m[j] & 63) | ((m[j + 4] >> 4) << 6));
        s[j + 8] = (uint8_t)((sc[j + 4] & 15) | ((m[j + 4] & 15) << 4));
    }
    rand_bytes(b + 16, 128);
}

/* Q6_K: x = d * sc * (q - 32), q uniform in 0..63 (sd 18.5), sc uniform in
 * 16..63 (mean 39.5, positive or negative). */
static void block_q6_k(uint8_t *b, float sd) {
    rand_bytes(b, 192); /* ql, qh */
    int8_t *sc = (int8_t *)(b + 192);
    for (int j = 0; j < 16; j++) {
        const int v = 16 + (int)(rng_u64() % 48);
        sc[j] = (int8_t)(rng_u64() & 1 ? v : -v);
    }
    const uint16_t dh = rand_f16(sd / (39.5f * 18.5f));
    memcpy(b + 208, &dh, 2);
}

typedef struct { const char *name; uint32_t type; int64_t ne0, ne1; } spec;

int main(int argc, char **argv) {
    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: gen_llama_1b TOKENIZER.gguf OUT.gguf [SEED]\n");
        return 2;
    }
    fc_err err = {0};
    gguf_file *tok = gguf_open(argv[1], &err);
    if (!tok) { fprintf(stderr, "gen_llama_1b: %s\n", err.msg); return 1; }
    const gguf_kv *tokens = gguf_find(tok, "tokenizer.ggml.tokens");
    if (!tokens) { fprintf(stderr, "gen_llama_1b: %s has no tokenizer.ggml.tokens\n", argv[1]); return 1; }
    const int64_t n_vocab = (int64_t)gguf_arr_n(tokens);
    rng_seed(argc == 4 ? strtoull(argv[3], NULL, 10) : 1234);

    gguf_writer *w = gw_new();
    gw_kv_str(w, "general.architecture", "llama");
    gw_kv_str(w, "general.name", "Llama 3.2 1B shape, random Q4_K_M weights (gen_llama_1b)");
    gw_kv_u32(w, "general.file_type", 15); /* LLAMA_FTYPE_MOSTLY_Q4_K_M */
    gw_kv_u32(w, "llama.context_length", 8192);
    gw_kv_u32(w, "llama.embedding_length", N_EMBD);
    gw_kv_u32(w, "llama.block_count", N_LAYER);
    gw_kv_u32(w, "llama.feed_forward_length", N_FF);
    gw_kv_u32(w, "llama.attention.head_count", N_HEAD);
    gw_kv_u32(w, "llama.attention.head_count_kv", N_HEAD_KV);
    gw_kv_u32(w, "llama.rope.dimension_count", N_EMBD / N_HEAD);
    gw_kv_f32(w, "llama.rope.freq_base", 500000.0f);
    gw_kv_f32(w, "llama.attention.layer_norm_rms_epsilon", 1e-5f);
    gw_kv_u32(w, "llama.vocab_size", (uint32_t)n_vocab);
    const int n_tok_keys = copy_tokenizer(tok, w);
    if (n_tok_keys <= 0) { fprintf(stderr, "gen_llama_1b: cannot copy the tokenizer keys of %s\n", argv[1]); return 1; }

    /* the tensor table, in llama.cpp's order */
    enum { MAX_T = 2 + 9 * N_LAYER };
    spec specs[MAX_T];
    char names[MAX_T][48];
    int nt = 0;
#define ADD(nm, ty, a, b) do { snprintf(names[nt], sizeof names[nt], "%s", nm); specs[nt] = (spec){names[nt], ty, a, b}; nt++; } while (0)
    ADD("token_embd.weight", GGML_TYPE_Q6_K, N_EMBD, n_vocab);
    for (int il = 0; il < N_LAYER; il++) {
        const uint32_t more = use_more_bits(il, N_LAYER) ? GGML_TYPE_Q6_K : GGML_TYPE_Q4_K;
        char nm[48];
#define L(suffix, ty, a, b) do { snprintf(nm, sizeof nm, "blk.%d." suffix, il); ADD(nm, ty, a, b); } while (0)
        L("attn_norm.weight", GGML_TYPE_F32, N_EMBD, 0);
        L("attn_q.weight", GGML_TYPE_Q4_K, N_EMBD, N_EMBD);
        L("attn_k.weight", GGML_TYPE_Q4_K, N_EMBD, N_EMBD / N_HEAD * N_HEAD_KV);
        L("attn_v.weight", more, N_EMBD, N_EMBD / N_HEAD * N_HEAD_KV);
        L("attn_output.weight", GGML_TYPE_Q4_K, N_EMBD, N_EMBD);
        L("ffn_norm.weight", GGML_TYPE_F32, N_EMBD, 0);
        L("ffn_gate.weight", GGML_TYPE_Q4_K, N_EMBD, N_FF);
        L("ffn_up.weight", GGML_TYPE_Q4_K, N_EMBD, N_FF);
        L("ffn_down.weight", more, N_FF, N_EMBD);
#undef L
    }
    ADD("output_norm.weight", GGML_TYPE_F32, N_EMBD, 0);
#undef ADD
    for (int i = 0; i < nt; i++) {
        if (specs[i].ne1) gw_tensor2(w, specs[i].name, specs[i].type, specs[i].ne0, specs[i].ne1, NULL);
        else gw_tensor(w, specs[i].name, specs[i].type, 1, &specs[i].ne0, NULL);
    }
    uint64_t size = 0;
    if (gw_write_file(w, argv[2], &size, &err) != 0) { fprintf(stderr, "gen_llama_1b: %s\n", err.msg); return 1; }
    gw_free(w);
    gguf_close(tok);

    /* fill the holes */
    gguf_file *g = gguf_open(argv[2], &err);
    if (!g) { fprintf(stderr, "gen_llama_1b: reopening: %s\n", err.msg); return 1; }
    const int fd = open(argv[2], O_WRONLY);
    if (fd < 0) { perror(argv[2]); return 1; }
    enum { CHUNK = 1 << 20 };
    uint8_t *buf = malloc(CHUNK + Q6K_BYTES);
    if (!buf) { fprintf(stderr, "gen_llama_1b: out of memory\n"); return 1; }
    uint64_t n_params = 0;
    for (uint64_t i = 0; i < g->n_tensors; i++) {
        const gguf_tensor *t = &g->tensors[i];
        const uint64_t off = g->data_offset + t->offset;
        n_params += t->n_elems;
        const float sd = 1.0f / sqrtf((float)t->ne[0]);
        uint64_t done = 0;
        while (done < t->n_bytes) {
            size_t fill = 0;
            if (t->type == GGML_TYPE_F32) {
                /* norm weights: ones (finite RMS norms, as a fresh model) */
                for (; fill + 4 <= CHUNK && done + fill < t->n_bytes; fill += 4) { const float one = 1.0f; memcpy(buf + fill, &one, 4); }
            } else {
                const size_t bb = t->type == GGML_TYPE_Q4_K ? Q4K_BYTES : Q6K_BYTES;
                for (; fill + bb <= CHUNK && done + fill < t->n_bytes; fill += bb)
                    if (t->type == GGML_TYPE_Q4_K) block_q4_k(buf + fill, sd);
                    else block_q6_k(buf + fill, sd);
            }
            if (pwrite(fd, buf, fill, (off_t)(off + done)) != (ssize_t)fill) { perror(argv[2]); return 1; }
            done += fill;
        }
    }
    free(buf);
    if (close(fd) != 0) { perror(argv[2]); return 1; }
    printf("%s: %llu bytes, %llu tensors, %.3f G parameters, %llu bytes of weights, %d tokenizer keys\n", argv[2],
           (unsigned long long)size, (unsigned long long)g->n_tensors, (double)n_params / 1e9,
           (unsigned long long)g->data_bytes, n_tok_keys);
    gguf_close(g);
    return 0;
}
