/* gen_llama_1b — writes a synthetic Llama-shaped GGUF with random weights in
 * a Q4_K_M mix, for benchmarks (bench/kquant-speed.sh) and the GPU check
 * (scripts/gpu-check.sh). Shapes (-s):
 *   1b    Llama 3.2 1B: n_embd 2048, 16 layers, 32 heads, 8 KV heads,
 *         n_ff 8192, tied embeddings (the default);
 *   8b    Llama 3 8B: n_embd 4096, 32 layers, 32 heads, 8 KV heads,
 *         n_ff 14336, an output head of its own (with -v 128256: 4.9 GB);
 *   tiny  4 layers, n_embd 256, 4 heads, 2 KV heads, n_ff 768, tied: the
 *         end-to-end logits check (every row of every tensor random);
 *   mini  6 layers, n_embd 512, 8 heads, 2 KV heads, n_ff 1536, untied: the
 *         8B's stand-in on the CUDA host emulator.
 * Weight mixes (-q): q4_k_m (the default, below); iq4_xs and iq4_nl put
 * every layer matrix in that type (llama.cpp's IQ4_XS / IQ4_NL files; the
 * embeddings and the head as in q4_k_m), for the IQ4 prompt kernels' speed.
 * All with RoPE base 500000 and the tokenizer of TOKENIZER.gguf (every
 * tokenizer.* key copied); -v N pads its vocabulary to N tokens with unused
 * control tokens (Llama 3's is 128256), otherwise the vocabulary is the
 * tokenizer's own.
 *
 * Types follow llama.cpp's Q4_K_M rule (llama_tensor_get_type): Q4_K for
 * most matrices; Q6_K for the output head (token_embd.weight when tied, then
 * the embeddings are Q6_K too; else output.weight, and the embeddings Q4_K),
 * and for attn_v and ffn_down in the layers where use_more_bits() holds (the
 * first and last eighth and every third layer between). Norms are F32 ones.
 *
 * Blocks are random, not sparse: random bytes for every code, random 6-bit
 * (Q4_K) or 8-bit (Q6_K) sub-block scales, and f16 super-block scales sized
 * so that a row's elements have a standard deviation of about
 * 1 / sqrt(n_in) and (for Q4_K) a mean near zero (the min is set to cancel
 * the codes' mean), so activations stay finite through every layer.
 *
 * Speed (an 8B must be written in seconds): one pool of POOL_BYTES random
 * blocks per (type, row length); each tensor is its pool repeated from a
 * random block, so rows repeat every few thousand rows (nothing a speed or
 * memory check can see; a tensor smaller than the pool is entirely random).
 * The header is written with tests/lib/gguf_write (tensor data as holes),
 * the file reopened with the GGUF reader for the data offsets, and -j N
 * threads (default: the online cores) pwrite the tensors in 64 MiB pieces.
 *   gen_llama_1b [-s 1b|8b|tiny|mini] [-q q4_k_m|iq4_xs|iq4_nl] [-v N_VOCAB] [-j THREADS] TOKENIZER.gguf OUT.gguf [SEED]
 */
#include <ctype.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/engine/quant.h"
#include "../../src/format/gguf.h"
#include "../lib/gguf_write.h"
#include "../lib/rng.h"

enum { QK = 256, Q4K_BYTES = 144, Q6K_BYTES = 210, IQ4XS_BYTES = 136, IQ4NL_BYTES = 18 };

typedef struct {
    const char *name;
    int n_layer, n_embd, n_head, n_head_kv, n_ff;
    bool tied; /* the head is token_embd.weight */
} shape;

static const shape SHAPES[] = {
    {"1b", 16, 2048, 32, 8, 8192, true},
    {"8b", 32, 4096, 32, 8, 14336, false},
    {"tiny", 4, 256, 4, 2, 768, true},
    {"mini", 6, 512, 8, 2, 1536, false},
};

/* llama.cpp's use_more_bits(i_layer, n_layers) */
static int use_more_bits(int il, int n) { return il < n / 8 || il >= 7 * n / 8 || (il - n / 8) % 3 == 2; }

/* Copies every tokenizer.* key of src into w (scalars, strings, arrays of
 * numbers or strings). The per-token arrays (tokens, scores, token_type) are
 * padded to n_vocab entries with unused control tokens
 * "<|reserved_special_token_K|>" (score 0, type 3), as Llama 3 pads its own
 * vocabulary, so a smaller real vocabulary gives a model of the true shape.
 * Returns the number copied, -1 on a type it cannot copy or out of memory. */
static int copy_tokenizer(const gguf_file *src, gguf_writer *w, uint64_t n_vocab) {
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
                const bool pad = strcmp(kv->key, "tokenizer.ggml.tokens") == 0 && n_vocab > kv->arr_n;
                const uint64_t n = pad ? n_vocab : kv->arr_n;
                const char **strs = malloc(n * sizeof *strs);
                uint64_t *lens = malloc(n * sizeof *lens);
                char *extra = malloc((n - kv->arr_n) * 32 + 1);
                if (!strs || !lens || !extra) { free(strs); free(lens); free(extra); return -1; }
                for (uint64_t k = 0; k < kv->arr_n; k++) strs[k] = gguf_arr_str(kv, k, &lens[k]);
                for (uint64_t k = kv->arr_n; k < n; k++) {
                    char *e = extra + (k - kv->arr_n) * 32;
                    lens[k] = (uint64_t)snprintf(e, 32, "<|reserved_special_token_%llu|>",
                                                 (unsigned long long)(k - kv->arr_n));
                    strs[k] = e;
                }
                gw_kv_arr_str(w, kv->key, n, strs, lens);
                free(strs);
                free(lens);
                free(extra);
            } else if ((strcmp(kv->key, "tokenizer.ggml.scores") == 0 || strcmp(kv->key, "tokenizer.ggml.token_type") == 0) &&
                       n_vocab > kv->arr_n && gguf_vtype_size(kv->arr_type) == 4) {
                /* f32 scores (0 for the padding) or i32 types (3: control) */
                uint8_t *a = calloc(n_vocab, 4);
                if (!a) return -1;
                memcpy(a, kv->arr_data, kv->arr_n * 4);
                const int32_t control = 3;
                if (kv->key[16] == 't') /* token_type */
                    for (uint64_t k = kv->arr_n; k < n_vocab; k++) memcpy(a + 4 * k, &control, 4);
                gw_kv_arr(w, kv->key, kv->arr_type, n_vocab, a);
                free(a);
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

/* The IQ4 levels' root mean square (ggml's kvalues_iq4nl: mean -5.9, rms 67.4). */
static const float IQ4_RMS = 67.4f;

/* IQ4_XS: x = d * ls * level, ls uniform in 16..31 with a random sign (the
 * 6-bit code ls + 32), the level index uniform. Element sd ~ d * 23.5 * 67.4. */
static void block_iq4_xs(uint8_t *b, float sd) {
    const uint16_t dh = rand_f16(sd / (23.5f * IQ4_RMS));
    memcpy(b, &dh, 2);
    uint16_t h = 0;
    uint8_t l[4] = {0};
    for (int s = 0; s < 8; s++) {
        const int v = 16 + (int)(rng_u64() % 16), code = (rng_u64() & 1 ? v : -v) + 32;
        l[s / 2] |= (uint8_t)((code & 15) << (4 * (s % 2)));
        h |= (uint16_t)((code >> 4) << (2 * s));
    }
    memcpy(b + 2, &h, 2);
    memcpy(b + 4, l, 4);
    rand_bytes(b + 8, 128);
}

/* IQ4_NL: x = d * level. */
static void block_iq4_nl(uint8_t *b, float sd) {
    const uint16_t dh = rand_f16(sd / IQ4_RMS);
    memcpy(b, &dh, 2);
    rand_bytes(b + 2, 16);
}

typedef struct { const char *name; uint32_t type; int64_t ne0, ne1; } spec;

/* A pool of random blocks of one type for rows of ne0 elements. */
enum { POOL_BYTES = 8 << 20, MAX_POOLS = 8, PIECE = 64 << 20 };
typedef struct { uint32_t type; int64_t ne0; uint8_t *data; size_t n_bytes, block; } pool;

static pool *pool_get(pool *pools, int *n_pools, uint32_t type, int64_t ne0) {
    for (int i = 0; i < *n_pools; i++)
        if (pools[i].type == type && pools[i].ne0 == ne0) return &pools[i];
    if (*n_pools == MAX_POOLS) return NULL;
    pool *p = &pools[(*n_pools)++];
    p->type = type;
    p->ne0 = ne0;
    p->block = type == GGML_TYPE_Q4_K ? Q4K_BYTES : type == GGML_TYPE_IQ4_XS ? IQ4XS_BYTES : type == GGML_TYPE_IQ4_NL ? IQ4NL_BYTES : Q6K_BYTES;
    p->n_bytes = POOL_BYTES / p->block * p->block;
    p->data = malloc(p->n_bytes);
    if (!p->data) return NULL;
    const float sd = 1.0f / sqrtf((float)ne0);
    for (size_t o = 0; o < p->n_bytes; o += p->block)
        if (type == GGML_TYPE_Q4_K) block_q4_k(p->data + o, sd);
        else if (type == GGML_TYPE_IQ4_XS) block_iq4_xs(p->data + o, sd);
        else if (type == GGML_TYPE_IQ4_NL) block_iq4_nl(p->data + o, sd);
        else block_q6_k(p->data + o, sd);
    return p;
}

/* One tensor's data: bytes [0, n_bytes) at file offset off, drawn from its
 * pool starting at block start (F32 tensors: ones, pool NULL). */
typedef struct { uint64_t off, n_bytes, start; const pool *pool; } job;

typedef struct {
    int fd;
    const job *jobs;
    int n_jobs;
    atomic_ullong next; /* next piece: job index << 32 | piece index */
    atomic_int failed;
    const uint8_t *ones; /* PIECE bytes of float 1.0 */
} writer;

static int write_piece(const writer *w, const job *j, uint64_t from, uint64_t len) {
    while (len > 0) {
        const uint8_t *src;
        uint64_t n;
        if (!j->pool) {
            src = w->ones;
            n = len;
        } else {
            const uint64_t pos = (j->start * j->pool->block + from) % j->pool->n_bytes;
            src = j->pool->data + pos;
            n = j->pool->n_bytes - pos < len ? j->pool->n_bytes - pos : len;
        }
        if (pwrite(w->fd, src, n, (off_t)(j->off + from)) != (ssize_t)n) return -1;
        from += n;
        len -= n;
    }
    return 0;
}

static void *writer_thread(void *arg) {
    writer *w = arg;
    for (;;) {
        /* pieces are numbered across jobs: claim (job, piece) pairs in order */
        unsigned long long cur = atomic_load(&w->next), nxt;
        int ji;
        uint64_t pi;
        do {
            ji = (int)(cur >> 32);
            pi = cur & 0xffffffffu;
            if (ji >= w->n_jobs) return NULL;
            nxt = (pi + 1) * PIECE < w->jobs[ji].n_bytes ? cur + 1 : (unsigned long long)(ji + 1) << 32;
        } while (!atomic_compare_exchange_weak(&w->next, &cur, nxt));
        const job *j = &w->jobs[ji];
        const uint64_t from = pi * PIECE, len = j->n_bytes - from < PIECE ? j->n_bytes - from : PIECE;
        if (write_piece(w, j, from, len) != 0) { atomic_store(&w->failed, 1); return NULL; }
    }
}

static int usage(void) {
    fprintf(stderr, "usage: gen_llama_1b [-s 1b|8b|tiny|mini] [-q q4_k_m|iq4_xs|iq4_nl] [-v N_VOCAB] [-j THREADS] TOKENIZER.gguf OUT.gguf [SEED]\n");
    return 2;
}

int main(int argc, char **argv) {
    const shape *sh = &SHAPES[0];
    /* the mix: the type of the layer matrices (q4_k_m: Q4_K, Q6_K where use_more_bits), file_type */
    uint32_t layer_type = GGML_TYPE_Q4_K, file_type = 15; /* LLAMA_FTYPE_MOSTLY_Q4_K_M */
    const char *mix = "q4_k_m";
    long pad_vocab = 0, n_threads = sysconf(_SC_NPROCESSORS_ONLN);
    int a = 1;
    for (; a + 1 < argc && argv[a][0] == '-'; a += 2) {
        if (strcmp(argv[a], "-s") == 0) {
            sh = NULL;
            for (size_t i = 0; i < sizeof SHAPES / sizeof SHAPES[0]; i++)
                if (strcmp(argv[a + 1], SHAPES[i].name) == 0) sh = &SHAPES[i];
            if (!sh) { fprintf(stderr, "gen_llama_1b: unknown shape '%s' (1b, 8b, tiny or mini)\n", argv[a + 1]); return 2; }
        } else if (strcmp(argv[a], "-q") == 0) {
            mix = argv[a + 1];
            if (strcmp(mix, "q4_k_m") == 0) layer_type = GGML_TYPE_Q4_K, file_type = 15;
            else if (strcmp(mix, "iq4_xs") == 0) layer_type = GGML_TYPE_IQ4_XS, file_type = 30; /* LLAMA_FTYPE_MOSTLY_IQ4_XS */
            else if (strcmp(mix, "iq4_nl") == 0) layer_type = GGML_TYPE_IQ4_NL, file_type = 25; /* LLAMA_FTYPE_MOSTLY_IQ4_NL */
            else { fprintf(stderr, "gen_llama_1b: unknown mix '%s' (q4_k_m, iq4_xs or iq4_nl)\n", mix); return 2; }
        } else if (strcmp(argv[a], "-v") == 0) {
            pad_vocab = strtol(argv[a + 1], NULL, 10);
            if (pad_vocab <= 0 || pad_vocab > (1 << 24)) { fprintf(stderr, "gen_llama_1b: -v %s: want 1..16777216 tokens\n", argv[a + 1]); return 2; }
        } else if (strcmp(argv[a], "-j") == 0) {
            n_threads = strtol(argv[a + 1], NULL, 10);
            if (n_threads <= 0 || n_threads > 256) { fprintf(stderr, "gen_llama_1b: -j %s: want 1..256 threads\n", argv[a + 1]); return 2; }
        } else {
            return usage();
        }
    }
    if (argc - a < 2 || argc - a > 3) return usage();
    const char *tok_path = argv[a], *out_path = argv[a + 1];
    fc_err err = {0};
    gguf_file *tok = gguf_open(tok_path, &err);
    if (!tok) { fprintf(stderr, "gen_llama_1b: %s\n", err.msg); return 1; }
    const gguf_kv *tokens = gguf_find(tok, "tokenizer.ggml.tokens");
    if (!tokens) { fprintf(stderr, "gen_llama_1b: %s has no tokenizer.ggml.tokens\n", tok_path); return 1; }
    const int64_t n_tok = (int64_t)gguf_arr_n(tokens);
    const int64_t n_vocab = pad_vocab > n_tok ? pad_vocab : n_tok;
    rng_seed(argc - a == 3 ? strtoull(argv[a + 2], NULL, 10) : 1234);

    const int N_LAYER = sh->n_layer, N_EMBD = sh->n_embd, N_HEAD = sh->n_head, N_HEAD_KV = sh->n_head_kv, N_FF = sh->n_ff;
    char title[128];
    char mix_uc[16] = {0};
    for (size_t i = 0; i + 1 < sizeof mix_uc && mix[i]; i++) mix_uc[i] = (char)toupper((unsigned char)mix[i]);
    snprintf(title, sizeof title, "Llama %s shape, random %s weights (gen_llama_1b)", sh->name, mix_uc);
    gguf_writer *w = gw_new();
    gw_kv_str(w, "general.architecture", "llama");
    gw_kv_str(w, "general.name", title);
    gw_kv_u32(w, "general.file_type", file_type);
    gw_kv_u32(w, "llama.context_length", 8192);
    gw_kv_u32(w, "llama.embedding_length", (uint32_t)N_EMBD);
    gw_kv_u32(w, "llama.block_count", (uint32_t)N_LAYER);
    gw_kv_u32(w, "llama.feed_forward_length", (uint32_t)N_FF);
    gw_kv_u32(w, "llama.attention.head_count", (uint32_t)N_HEAD);
    gw_kv_u32(w, "llama.attention.head_count_kv", (uint32_t)N_HEAD_KV);
    gw_kv_u32(w, "llama.rope.dimension_count", (uint32_t)(N_EMBD / N_HEAD));
    gw_kv_f32(w, "llama.rope.freq_base", 500000.0f);
    gw_kv_f32(w, "llama.attention.layer_norm_rms_epsilon", 1e-5f);
    gw_kv_u32(w, "llama.vocab_size", (uint32_t)n_vocab);
    const int n_tok_keys = copy_tokenizer(tok, w, (uint64_t)n_vocab);
    if (n_tok_keys <= 0) { fprintf(stderr, "gen_llama_1b: cannot copy the tokenizer keys of %s\n", tok_path); return 1; }

    /* the tensor table, in llama.cpp's order */
    const int max_t = 3 + 9 * N_LAYER;
    spec *specs = calloc((size_t)max_t, sizeof *specs);
    char (*names)[48] = calloc((size_t)max_t, sizeof *names);
    if (!specs || !names) { fprintf(stderr, "gen_llama_1b: out of memory\n"); return 1; }
    int nt = 0;
#define ADD(nm, ty, a, b) do { snprintf(names[nt], sizeof names[nt], "%s", nm); specs[nt] = (spec){names[nt], ty, a, b}; nt++; } while (0)
    ADD("token_embd.weight", sh->tied ? GGML_TYPE_Q6_K : GGML_TYPE_Q4_K, N_EMBD, n_vocab);
    for (int il = 0; il < N_LAYER; il++) {
        const uint32_t Q = layer_type, more = Q == GGML_TYPE_Q4_K && use_more_bits(il, N_LAYER) ? GGML_TYPE_Q6_K : Q;
        char nm[48];
#define L(suffix, ty, a, b) do { snprintf(nm, sizeof nm, "blk.%d." suffix, il); ADD(nm, ty, a, b); } while (0)
        L("attn_norm.weight", GGML_TYPE_F32, N_EMBD, 0);
        L("attn_q.weight", Q, N_EMBD, N_EMBD);
        L("attn_k.weight", Q, N_EMBD, N_EMBD / N_HEAD * N_HEAD_KV);
        L("attn_v.weight", more, N_EMBD, N_EMBD / N_HEAD * N_HEAD_KV);
        L("attn_output.weight", Q, N_EMBD, N_EMBD);
        L("ffn_norm.weight", GGML_TYPE_F32, N_EMBD, 0);
        L("ffn_gate.weight", Q, N_EMBD, N_FF);
        L("ffn_up.weight", Q, N_EMBD, N_FF);
        L("ffn_down.weight", more, N_FF, N_EMBD);
#undef L
    }
    ADD("output_norm.weight", GGML_TYPE_F32, N_EMBD, 0);
    if (!sh->tied) ADD("output.weight", GGML_TYPE_Q6_K, N_EMBD, n_vocab);
#undef ADD
    for (int i = 0; i < nt; i++) {
        if (specs[i].ne1) gw_tensor2(w, specs[i].name, specs[i].type, specs[i].ne0, specs[i].ne1, NULL);
        else gw_tensor(w, specs[i].name, specs[i].type, 1, &specs[i].ne0, NULL);
    }
    uint64_t size = 0;
    if (gw_write_file(w, out_path, &size, &err) != 0) { fprintf(stderr, "gen_llama_1b: %s\n", err.msg); return 1; }
    gw_free(w);
    gguf_close(tok);

    /* fill the holes: pools first (one thread, the seeded generator), then the writers */
    gguf_file *g = gguf_open(out_path, &err);
    if (!g) { fprintf(stderr, "gen_llama_1b: reopening: %s\n", err.msg); return 1; }
    pool pools[MAX_POOLS];
    int n_pools = 0;
    job *jobs = calloc(g->n_tensors, sizeof *jobs);
    uint8_t *ones = malloc(PIECE);
    if (!jobs || !ones) { fprintf(stderr, "gen_llama_1b: out of memory\n"); return 1; }
    for (size_t i = 0; i < PIECE / 4; i++) { const float one = 1.0f; memcpy(ones + 4 * i, &one, 4); }
    uint64_t n_params = 0;
    for (uint64_t i = 0; i < g->n_tensors; i++) {
        const gguf_tensor *t = &g->tensors[i];
        n_params += t->n_elems;
        job *j = &jobs[i];
        j->off = g->data_offset + t->offset;
        j->n_bytes = t->n_bytes;
        if (t->type != GGML_TYPE_F32) {
            j->pool = pool_get(pools, &n_pools, t->type, (int64_t)t->ne[0]);
            if (!j->pool) { fprintf(stderr, "gen_llama_1b: out of memory for the block pools\n"); return 1; }
            j->start = rng_u64() % (j->pool->n_bytes / j->pool->block);
        }
    }
    writer wr = {.jobs = jobs, .n_jobs = (int)g->n_tensors, .ones = ones};
    atomic_init(&wr.next, 0);
    atomic_init(&wr.failed, 0);
    wr.fd = open(out_path, O_WRONLY);
    if (wr.fd < 0) { perror(out_path); return 1; }
    pthread_t th[256];
    for (long i = 0; i < n_threads; i++)
        if (pthread_create(&th[i], NULL, writer_thread, &wr) != 0) { n_threads = i; break; }
    if (n_threads == 0) writer_thread(&wr);
    for (long i = 0; i < n_threads; i++) pthread_join(th[i], NULL);
    if (atomic_load(&wr.failed)) { perror(out_path); return 1; }
    if (close(wr.fd) != 0) { perror(out_path); return 1; }
    for (int i = 0; i < n_pools; i++) free(pools[i].data);
    free(jobs);
    free(ones);
    free(specs);
    free(names);
    printf("%s: %s shape, %llu bytes, %llu tensors, %.3f G parameters, %llu bytes of weights, vocabulary %lld "
           "(%lld from the tokenizer), %d tokenizer keys\n",
           out_path, sh->name, (unsigned long long)size, (unsigned long long)g->n_tensors, (double)n_params / 1e9,
           (unsigned long long)g->data_bytes, (long long)n_vocab, (long long)n_tok, n_tok_keys);
    gguf_close(g);
    return 0;
}
