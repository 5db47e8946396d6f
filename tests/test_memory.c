/* The memory model against numbers derived here from the published configs
 * (config.json of each model) and the block layouts of ggml-common.h:
 * Q4_0 18 B / 32, Q8_0 34 B / 32, Q4_K 144 B / 256, Q6_K 210 B / 256. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../src/plan/memory.h"
#include "../src/plan/workbuf.h"
#include "lib/fixtures.h"
#include "lib/t.h"

#define MiB (1024ull * 1024)
#define Q4_0(n) ((uint64_t)(n) / 32 * 18)
#define Q8_0(n) ((uint64_t)(n) / 32 * 34)
#define Q4_K(n) ((uint64_t)(n) / 256 * 144)
#define Q6_K(n) ((uint64_t)(n) / 256 * 210)
#define F32(n) ((uint64_t)(n) * 4)

typedef struct {
    gguf_file *f;
    model_desc d;
    mem_model m;
    uint64_t size;
} loaded;

static int load(const fx_shape *s, loaded *l) {
    char path[512];
    fc_err e = {0};
    snprintf(path, sizeof path, "%s/%s.gguf", t_tmpdir(), s->name);
    memset(l, 0, sizeof *l);
    if (fx_write(s, path, &l->size, &e)) { t_fail(__FILE__, __LINE__, "fx_write: %s", e.msg); return -1; }
    l->f = gguf_open(path, &e);
    if (!l->f) { t_fail(__FILE__, __LINE__, "gguf_open: %s", e.msg); return -1; }
    if (model_desc_load(l->f, &l->d, &e)) { t_fail(__FILE__, __LINE__, "model_desc_load: %s", e.msg); return -1; }
    if (mem_model_init(&l->m, l->f, &l->d, &e)) { t_fail(__FILE__, __LINE__, "mem_model_init: %s", e.msg); return -1; }
    struct stat st;
    if (stat(path, &st) == 0) CHECK_MSG((uint64_t)st.st_blocks * 512 < (1u << 20), "fixture %s takes %llu bytes of disk",
                                        s->name, (unsigned long long)st.st_blocks * 512);
    return 0;
}

static void unload(loaded *l) {
    mem_model_free(&l->m);
    model_desc_free(&l->d);
    gguf_close(l->f);
}

static const mem_config CFG_F16_4K = {.n_ctx = 4096, .n_batch = 512, .type_k = GGML_TYPE_F16, .type_v = GGML_TYPE_F16,
                                      .flash = true, .n_threads = 1, .fixed_cost = 300 * MiB};

/* Mistral-7B-v0.1: 32 layers, hidden 4096, 8 KV heads × 128, ff 14336,
 * vocab 32000; Q4_K_M puts Q6_K on attn_v and ffn_down for layers i < 4,
 * i >= 28, or (i - 4) % 3 == 2. The real file
 * (mistral-7b-instruct-v0.1.Q4_K_M.gguf) is 4,368,439,584 bytes. */
static void test_mistral_q4_k_m(void) {
    loaded l;
    if (load(&FX_MISTRAL_7B, &l)) return;
    uint64_t E = 4096, KV = 8 * 128, FF = 14336, V = 32000;
    uint64_t plain = Q4_K(E * E) * 2 + Q4_K(E * KV) * 2 + Q4_K(E * FF) * 3 + F32(E) * 2;
    uint64_t more = plain - Q4_K(E * KV) + Q6_K(E * KV) - Q4_K(E * FF) + Q6_K(E * FF);
    CHECK_EQ_U64(plain, 122716160);
    uint64_t sum = 0;
    for (uint32_t i = 0; i < 32; i++) {
        bool m = i < 4 || i >= 28 || (i - 4) % 3 == 2;
        CHECK_EQ_U64(l.m.layer_weights[i], m ? more : plain);
        sum += l.m.layer_weights[i];
    }
    CHECK_EQ_U64(l.m.token_embd, Q4_K(E * V));
    CHECK_EQ_U64(l.m.output, Q6_K(E * V));
    CHECK_EQ_U64(l.m.output_norm, F32(E));
    CHECK_EQ_U64(l.m.shared, 0);
    CHECK_EQ_U64(l.m.data_bytes, sum + Q4_K(E * V) + Q6_K(E * V) + F32(E));
    CHECK_EQ_U64(l.m.data_bytes, 4367704064ull);
    /* The published file differs only by its tokenizer metadata (< 1 MiB). */
    CHECK(4368439584ull - l.size < MiB);
    CHECK_EQ_INT(l.m.type_count[GGML_TYPE_Q6_K], 33);
    /* GQA: 8 KV heads × 128, not the hidden size. */
    uint32_t F16 = GGML_TYPE_F16, Q8 = GGML_TYPE_Q8_0, Q4 = GGML_TYPE_Q4_0;
    CHECK_EQ_U64(mem_kv_layer_bytes(&l.d, 0, 32768, F16, F16), 128 * MiB);
    CHECK_EQ_U64(mem_kv_layer_bytes(&l.d, 31, 32768, Q8, Q8), 68 * MiB);
    CHECK_EQ_U64(mem_kv_layer_bytes(&l.d, 5, 32768, Q4, Q4), 36 * MiB);
    CHECK_EQ_U64(mem_kv_layer_bytes(&l.d, 5, 32768, F16, Q4), 64 * MiB + 18 * MiB);
    CHECK_EQ_U64(mem_kv_layer_k_bytes(&l.d, 5, 4096, GGML_TYPE_F32), 16 * MiB);
    unload(&l);
}

/* Llama-2-7B: no GQA (32 KV heads × 128), ff 11008; all Q4_0, output Q6_K. */
static void test_llama2_7b(void) {
    loaded l;
    if (load(&FX_LLAMA2_7B, &l)) return;
    uint64_t E = 4096, FF = 11008, V = 32000;
    uint64_t layer = Q4_0(E * E) * 4 + Q4_0(E * FF) * 3 + F32(E) * 2;
    for (uint32_t i = 0; i < 32; i++) CHECK_EQ_U64(l.m.layer_weights[i], layer);
    CHECK_EQ_U64(l.m.output, Q6_K(E * V));
    CHECK_EQ_U64(mem_kv_layer_bytes(&l.d, 7, 4096, GGML_TYPE_F16, GGML_TYPE_F16), 2 * 4096 * E * 2);
    CHECK_EQ_U64(mem_kv_layer_bytes(&l.d, 7, 4096, GGML_TYPE_F16, GGML_TYPE_F16), 64 * MiB);
    unload(&l);
}

/* Llama-3.1-8B: 8 KV heads, vocab 128256, rope_freqs (64 f32) shared. */
static void test_llama31_8b(void) {
    loaded l;
    if (load(&FX_LLAMA31_8B, &l)) return;
    uint64_t E = 4096, KV = 1024, FF = 14336, V = 128256;
    uint64_t layer = Q8_0(E * E) * 2 + Q8_0(E * KV) * 2 + Q8_0(E * FF) * 3 + F32(E) * 2;
    CHECK_EQ_U64(l.m.layer_weights[17], layer);
    CHECK_EQ_U64(l.m.shared, F32(64));
    CHECK_EQ_U64(l.m.token_embd, Q8_0(E * V));
    CHECK_EQ_U64(l.m.output, Q8_0(E * V));
    CHECK_EQ_U64(mem_kv_layer_bytes(&l.d, 0, 8192, GGML_TYPE_F16, GGML_TYPE_F16), 32 * MiB);
    /* A GPU with layers gets rope_freqs; one with only the head does not. */
    mem_bytes b;
    mem_device_bytes(&l.m, &CFG_F16_4K, MEM_DEV_GPU, 30, 2, true, &b);
    CHECK_EQ_U64(b.weights, 2 * layer + F32(64) + Q8_0(E * V) + F32(E));
    CHECK_EQ_U64(b.kv, 2 * 16 * MiB);
    CHECK_EQ_U64(b.fixed, 300 * MiB);
    CHECK_EQ_U64(b.total, b.weights + b.kv + b.buffers + b.fixed);
    mem_device_bytes(&l.m, &CFG_F16_4K, MEM_DEV_GPU, 32, 0, true, &b);
    CHECK_EQ_U64(b.weights, Q8_0(E * V) + F32(E));
    mem_device_bytes(&l.m, &CFG_F16_4K, MEM_DEV_GPU, 0, 0, false, &b);
    CHECK_EQ_U64(b.total, 0);
    unload(&l);
}

/* Qwen2.5-7B: hidden 3584, 28 heads, 4 KV heads × 128, ff 18944, q/k/v
 * biases, untied head, 28 layers. */
static void test_qwen25_7b(void) {
    loaded l;
    if (load(&FX_QWEN25_7B, &l)) return;
    uint64_t E = 3584, KV = 512, FF = 18944, V = 152064;
    uint64_t layer = Q4_K(E * E) * 2 + Q4_K(E * KV) * 2 + Q4_K(E * FF) * 3 + F32(E + KV + KV) + F32(E) * 2;
    CHECK_EQ_U64(l.m.layer_weights[27], layer);
    CHECK_EQ_U64(l.m.output, Q6_K(E * V));
    CHECK_EQ_U64(mem_kv_layer_bytes(&l.d, 3, 32768, GGML_TYPE_F16, GGML_TYPE_F16), 64 * MiB);
    CHECK_EQ_U64(mem_kv_layer_bytes(&l.d, 3, 32768, GGML_TYPE_Q8_0, GGML_TYPE_Q8_0), 34 * MiB);
    unload(&l);
}

/* Gemma-3-12B: 48 layers, 8 KV heads × 256, window 1024 on every layer but
 * each sixth; tied embeddings (the head is token_embd, copied to a GPU). */
static void test_gemma3_swa(void) {
    loaded l;
    if (load(&FX_GEMMA3_12B, &l)) return;
    uint64_t E = 3840, V = 262208;
    CHECK(l.d.tied_output);
    CHECK_EQ_U64(l.m.output, Q8_0(E * V));
    uint64_t total = 0;
    for (uint32_t i = 0; i < 48; i++) {
        bool global = i % 6 == 5;
        uint64_t want = global ? 32768ull * 2 * 2048 * 2 : 1024ull * 2 * 2048 * 2;
        CHECK_EQ_U64(mem_kv_layer_bytes(&l.d, i, 32768, GGML_TYPE_F16, GGML_TYPE_F16), want);
        total += mem_kv_layer_bytes(&l.d, i, 32768, GGML_TYPE_F16, GGML_TYPE_F16);
    }
    CHECK_EQ_U64(total, (8 * 256 + 40 * 8) * MiB);
    /* Below the window every layer keeps the whole context. */
    CHECK_EQ_U64(mem_kv_layer_bytes(&l.d, 0, 512, GGML_TYPE_F16, GGML_TYPE_F16), 512ull * 2 * 2048 * 2);
    /* Tied head on the CPU: the embedding table is counted once. */
    mem_bytes b;
    mem_device_bytes(&l.m, &CFG_F16_4K, MEM_DEV_CPU, 0, 0, true, &b);
    CHECK_EQ_U64(b.weights, Q8_0(E * V) + F32(E));
    mem_device_bytes(&l.m, &CFG_F16_4K, MEM_DEV_GPU, 48, 0, true, &b);
    CHECK_EQ_U64(b.weights, Q8_0(E * V) + F32(E));
    unload(&l);
}

/* Which layers slide, by architecture, on Qwen2.5-7B's shape (28 layers, 4 KV heads × 128):
 * gpt-oss every other layer (even ones local), Cohere 2 three in four, and an architecture
 * without a known pattern none (its KV planned whole, never less than a runtime keeps). */
static void test_swa_patterns(void) {
    static const struct { const char *arch, *name; uint32_t period; } C[] = {
        {"gpt-oss", "swa-gpt-oss", 2}, {"cohere2", "swa-cohere2", 4}, {"qwen2", "swa-qwen2", 0}, {"llama", "swa-llama", 0},
    };
    const uint64_t full = 32768ull * 2 * 512 * 2, local = 128ull * 2 * 512 * 2; /* f16 K + V rows, 4 heads × 128 */
    for (size_t c = 0; c < sizeof C / sizeof C[0]; c++) {
        fx_shape sh = FX_QWEN25_7B;
        sh.arch = C[c].arch;
        sh.name = C[c].name;
        sh.n_swa = 128;
        loaded l;
        if (load(&sh, &l)) return;
        for (uint32_t i = 0; i < 28; i++) {
            const bool slides = C[c].period && i % C[c].period < C[c].period - 1;
            CHECK_MSG(mem_kv_layer_bytes(&l.d, i, 32768, GGML_TYPE_F16, GGML_TYPE_F16) == (slides ? local : full),
                      "%s layer %u: %llu", C[c].arch, i,
                      (unsigned long long)mem_kv_layer_bytes(&l.d, i, 32768, GGML_TYPE_F16, GGML_TYPE_F16));
        }
        unload(&l);
    }
}

/* Mixtral-8x7B: 8 experts of ff 14336 per layer, router 4096 × 8 f32. */
static void test_mixtral_experts(void) {
    loaded l;
    if (load(&FX_MIXTRAL_8X7B, &l)) return;
    uint64_t E = 4096, KV = 1024, FF = 14336;
    uint64_t layer = Q4_K(E * E) * 2 + Q4_K(E * KV) * 2 + Q4_K(E * FF * 8) * 3 + F32(E * 8) + F32(E) * 2;
    CHECK_EQ_U64(l.m.layer_weights[0], layer);
    CHECK(l.size > 24ull << 30); /* ~25 GiB file, a few KB of disk */
    CHECK_EQ_U64(mem_kv_layer_bytes(&l.d, 0, 32768, GGML_TYPE_F16, GGML_TYPE_F16), 128 * MiB);
    unload(&l);
}

/* Buffers are workbuf's, CPU side holds embeddings and pays no fixed cost. */
static void test_device_composition(void) {
    loaded l;
    if (load(&FX_MISTRAL_7B, &l)) return;
    mem_config c = CFG_F16_4K;
    c.n_threads = 4;
    /* the CPU keeps a logits buffer even without the head: a GPU's logits come back to it */
    workbuf_params wp = {.n_ctx = 4096, .n_batch = 512, .flash = true, .n_threads = 4, .has_output = true, .n_outputs = 1};
    workbuf_layout wl;
    workbuf_layout_compute(&l.d, &wp, &wl);
    mem_bytes b;
    mem_device_bytes(&l.m, &c, MEM_DEV_CPU, 0, 10, false, &b);
    CHECK_EQ_U64(b.buffers, wl.total);
    CHECK_EQ_U64(b.fixed, 0);
    uint64_t w = l.m.token_embd, kv = 0;
    for (uint32_t i = 0; i < 10; i++) { w += l.m.layer_weights[i]; kv += 16 * MiB; }
    CHECK_EQ_U64(b.weights, w);
    CHECK_EQ_U64(b.kv, kv);
    /* Plain attention keeps n_ctx scores per thread, flash a tile of keys
     * and values: at 131072 tokens plain needs more. A real GPU has neither
     * (nor quantized activations); an emulated one runs the CPU code. */
    mem_config lc = c;
    lc.n_ctx = 131072;
    lc.flash = false;
    uint64_t plain = mem_buffer_bytes(&l.d, &lc, MEM_DEV_CPU, true);
    lc.flash = true;
    CHECK(plain > mem_buffer_bytes(&l.d, &lc, MEM_DEV_CPU, true));
    workbuf_params gp = {.n_ctx = 4096, .n_batch = 512, .flash = true, .n_threads = 1, .has_output = true, .n_outputs = 1,
                         .device = true, .cuda = true};
    workbuf_layout_compute(&l.d, &gp, &wl);
    CHECK_EQ_U64(wl.bytes[WB_SCORES], 0);
    CHECK_EQ_U64(wl.bytes[WB_ACT], 0);
    CHECK_EQ_U64(mem_buffer_bytes(&l.d, &c, MEM_DEV_GPU, true), wl.total);
    gp.cuda = false; /* emulated: the CPU code, with the CPU's threads */
    gp.n_threads = c.n_threads;
    workbuf_layout_compute(&l.d, &gp, &wl);
    CHECK(wl.bytes[WB_SCORES] > 0 && wl.bytes[WB_ACT] > 0);
    CHECK_EQ_U64(mem_buffer_bytes(&l.d, &c, MEM_DEV_EMULATED, true), wl.total);
    mem_device_bytes(&l.m, &c, MEM_DEV_EMULATED, 20, 12, true, &b);
    CHECK_EQ_U64(b.fixed, 0);
    mem_device_bytes(&l.m, &c, MEM_DEV_GPU, 20, 12, true, &b);
    CHECK_EQ_U64(b.fixed, 300 * MiB);
    unload(&l);
}

/* Repacked weights (MEM_ITEM_REPACKED): with the AVX2 layouts the CPU holds
 * a copy of each Q4_K layer matrix of its layers, 1280 bytes per 8 rows x
 * 256 values (rows past the last whole group are not copied), after the
 * weights; never the embeddings, the head or another type; a GPU or an
 * emulated device none; REPACK off none. */
typedef struct { uint64_t bytes; int n, bad; bool after_weights; int seen_other; } rp_walk;
static int rp_item(void *ctx, const mem_item *it) {
    rp_walk *w = ctx;
    if (it->kind != MEM_ITEM_REPACKED) { if (w->n && it->kind == MEM_ITEM_WEIGHTS) w->after_weights = false; return 0; }
    if (!w->n) w->after_weights = true;
    w->n++;
    w->bytes += it->bytes;
    if (it->layer < 0 || it->role != MEM_ROLE_LAYER || it->tensor < 0 || strncmp(it->name, "blk.", 4)) w->bad++;
    return 0;
}
static void test_repacked_items(void) {
    CHECK_EQ_U64(mem_repack_bytes(MEM_REPACK_X8, GGML_TYPE_Q4_K, 4096, 4096), 4096ull / 8 * 16 * 1280);
    CHECK_EQ_U64(mem_repack_bytes(MEM_REPACK_X8, GGML_TYPE_Q4_K, 512, 12), 1 * 2 * 1280);
    CHECK_EQ_U64(mem_repack_bytes(MEM_REPACK_X8, GGML_TYPE_Q4_K, 512, 7), 0);
    CHECK_EQ_U64(mem_repack_bytes(MEM_REPACK_X8, GGML_TYPE_Q6_K, 4096, 4096), 4096ull / 8 * 16 * 2464);
    CHECK_EQ_U64(mem_repack_bytes(MEM_REPACK_X8, GGML_TYPE_Q5_K, 4096, 4096), 4096ull / 8 * 16 * 1536);
    CHECK_EQ_U64(mem_repack_bytes(MEM_REPACK_OFF, GGML_TYPE_Q4_K, 4096, 4096), 0);
    CHECK_EQ_U64(mem_repack_bytes(MEM_REPACK_X8, GGML_TYPE_Q4_0, 576, 1536), 1536ull / 8 * 18 * 160);
    CHECK_EQ_U64(mem_repack_bytes(MEM_REPACK_X8, GGML_TYPE_Q4_1, 576, 1536), 1536ull / 8 * 18 * 192);
    CHECK_EQ_U64(mem_repack_bytes(MEM_REPACK_X8, GGML_TYPE_Q5_0, 640, 20), 2ull * 20 * 288);
    CHECK_EQ_U64(mem_repack_bytes(MEM_REPACK_X8, GGML_TYPE_Q5_1, 64, 8), 2ull * 320);
    CHECK_EQ_U64(mem_repack_bytes(MEM_REPACK_X8, GGML_TYPE_Q4_1, 48, 8), 0); /* not whole blocks */
    CHECK_EQ_U64(mem_repack_bytes(MEM_REPACK_X8, GGML_TYPE_Q8_0, 4096, 4096), 4096ull / 8 * 128 * 288);
    CHECK_EQ_U64(mem_repack_bytes(MEM_REPACK_X8, GGML_TYPE_IQ4_NL, 4096, 4096), 4096ull / 8 * 128 * 160);
    CHECK_EQ_U64(mem_repack_bytes(MEM_REPACK_X8, GGML_TYPE_IQ4_XS, 4096, 4096), 4096ull / 8 * 16 * 1184);
    CHECK_EQ_U64(mem_repack_bytes(MEM_REPACK_X8, GGML_TYPE_IQ4_XS, 4064, 4096), 0); /* not whole super-blocks */
    CHECK_EQ_U64(mem_repack_bytes(MEM_REPACK_X8, GGML_TYPE_Q3_K, 4096, 4096), 0);    /* no layout */
    loaded l;
    if (load(&FX_MISTRAL_7B, &l)) return;
    mem_config c = CFG_F16_4K;
    c.repack = MEM_REPACK_X8;
    const uint64_t E = 4096, KV = 8 * 128, FF = 14336;
#define RP(n) ((uint64_t)(n) / 2048 * 1280)
#define RP6(n) ((uint64_t)(n) / 2048 * 2464)
    uint64_t want = 0;
    for (uint32_t i = 0; i < 10; i++) {
        bool m = i < 4 || i >= 28 || (i - 4) % 3 == 2; /* Q6_K attn_v, ffn_down */
        want += RP(E * E) * 2 + RP(E * KV) * (m ? 1 : 2) + RP(E * FF) * (m ? 2 : 3);
        if (m) want += RP6(E * KV) + RP6(E * FF);
    }
#undef RP
#undef RP6
    mem_bytes b, off;
    mem_device_bytes(&l.m, &c, MEM_DEV_CPU, 0, 10, false, &b);
    CHECK_EQ_U64(b.repacked, want);
    CHECK_EQ_U64(b.total, b.weights + b.kv + b.buffers + b.repacked);
    rp_walk w = {0};
    mem_manifest(&l.m, &c, MEM_DEV_CPU, 0, 10, false, rp_item, &w);
    CHECK_EQ_U64(w.bytes, want);
    CHECK_EQ_INT(w.n, 10 * 7); /* 7 matrices a layer (Q4_K, and Q6_K for 2 of them in 6 of the 10) */
    CHECK_EQ_INT(w.bad, 0);
    CHECK(w.after_weights);
    mem_device_bytes(&l.m, &c, MEM_DEV_CPU, 0, 32, true, &b); /* the head (Q6_K) and the embeddings: not copied */
    CHECK(b.repacked > want);
    for (int k = 1; k <= 2; k++) {
        mem_device_bytes(&l.m, &c, (enum mem_dev_kind)k, 10, 22, true, &b);
        CHECK_EQ_U64(b.repacked, 0);
    }
    c.repack = MEM_REPACK_OFF;
    mem_device_bytes(&l.m, &c, MEM_DEV_CPU, 0, 10, false, &off);
    CHECK_EQ_U64(off.repacked, 0);
    unload(&l);
}

/* The tensors mem_tensor_held() gives each device add up to the plan's
 * weights, for every fixture (tied heads included), split and kind; every
 * tensor is held by the CPU or by the device exactly once, except a tied
 * head's copy and shared tensors (copied to every device running a layer). Devices also hold the RoPE tables, the CPU does not. */
static void test_tensor_held(void) {
    for (int fi = 0; fi < FX_N_ALL; fi++) {
        loaded l;
        if (load(FX_ALL[fi], &l)) return;
        mem_config c = CFG_F16_4K;
        c.n_threads = 1; /* the same attention scratch on every kind */
        uint32_t L = l.d.n_layer, splits[] = {0, 1, L / 2, L - 1, L};
        for (size_t si = 0; si < sizeof splits / sizeof *splits; si++) {
            uint32_t k = splits[si];
            for (int kind = MEM_DEV_GPU; kind <= MEM_DEV_EMULATED; kind++) {
                bool head = k > 0;
                mem_bytes cpu, dev;
                mem_device_bytes(&l.m, &c, MEM_DEV_CPU, 0, L - k, !head, &cpu);
                mem_device_bytes(&l.m, &c, (enum mem_dev_kind)kind, L - k, k, head, &dev);
                uint64_t held_cpu = 0, held_dev = 0;
                for (uint64_t i = 0; i < l.f->n_tensors; i++) {
                    const gguf_tensor *t = &l.f->tensors[i];
                    bool on_cpu = mem_tensor_held(&l.d, t->name, MEM_DEV_CPU, 0, L - k, !head);
                    bool on_dev = mem_tensor_held(&l.d, t->name, (enum mem_dev_kind)kind, L - k, k, head);
                    held_cpu += on_cpu ? t->n_bytes : 0;
                    held_dev += on_dev ? t->n_bytes : 0;
                    bool tied_copy = l.d.tied_output && head && !strcmp(t->name, "token_embd.weight");
                    bool shared = model_tensor_layer(t->name) < 0 && strcmp(t->name, "token_embd.weight") &&
                                  strcmp(t->name, "output.weight") && strncmp(t->name, "output_norm.", 12);
                    bool shared_copy = shared && k > 0 && k < L; /* with the layers, on both sides */
                    CHECK_MSG(on_cpu + on_dev == 1 + tied_copy + shared_copy, "%s: %s held %d + %d times (split %u)", FX_ALL[fi]->name,
                              t->name, on_cpu, on_dev, k);
                }
                CHECK_EQ_U64(held_cpu, cpu.weights);
                CHECK_EQ_U64(held_dev, dev.weights);
                /* a device's buffers: the CPU's plus the RoPE tables, less the
                 * quantized activations and attention scratch on a real GPU */
                uint64_t rope = 2 * (uint64_t)(l.d.n_rot / 2) * sizeof(double), less = 0;
                if (kind == MEM_DEV_GPU) {
                    workbuf_params wp = {.n_ctx = c.n_ctx, .n_batch = c.n_batch, .flash = c.flash, .n_threads = 1,
                                         .has_output = head, .n_outputs = 1};
                    workbuf_layout wl;
                    workbuf_layout_compute(&l.d, &wp, &wl);
                    less = wl.bytes[WB_ACT] + wl.bytes[WB_SCORES];
                }
                CHECK_EQ_U64(mem_buffer_bytes(&l.d, &c, (enum mem_dev_kind)kind, head) + less -
                                 mem_buffer_bytes(&l.d, &c, MEM_DEV_CPU, head),
                             rope);
            }
        }
        unload(&l);
    }
}

static void test_kv_type_check(void) {
    loaded l;
    if (load(&FX_LLAMA2_7B, &l)) return;
    fc_err e = {0};
    CHECK(mem_kv_type_check(&l.d, GGML_TYPE_Q4_0, "KV_CACHE_QUANT", &e) == 0);
    CHECK(mem_kv_type_check(&l.d, GGML_TYPE_Q4_K, "KV_CACHE_QUANT (-ctk)", &e) < 0);
    CHECK(strstr(e.msg, "KV_CACHE_QUANT (-ctk) = Q4_K") && strstr(e.msg, "f16, q8_0, q4_0"));
    /* A head dim of 80 with one KV head: 80 values are not whole q8_0 blocks. */
    l.d.head_dim_k = 80;
    for (uint32_t i = 0; i < l.d.n_layer; i++) l.d.n_head_kv_l[i] = 1;
    CHECK(mem_kv_type_check(&l.d, GGML_TYPE_Q8_0, "KV_CACHE_QUANT", &e) < 0);
    CHECK(strstr(e.msg, "multiple of 32") != NULL);
    CHECK(mem_kv_type_check(&l.d, GGML_TYPE_F16, "KV_CACHE_QUANT", &e) == 0);
    /* 32 KV heads of 80: rows of 2560 are whole blocks, the heads are not */
    for (uint32_t i = 0; i < l.d.n_layer; i++) l.d.n_head_kv_l[i] = 32;
    CHECK(mem_kv_type_check(&l.d, GGML_TYPE_Q4_0, "KV_CACHE_QUANT", &e) < 0);
    CHECK(strstr(e.msg, "K 80") != NULL);
    unload(&l);
}

/* The table of measured CUDA contexts: GPU name exact, driver by major
 * version (a dot boundary), the most specific row first; the repository's
 * own table holds no measurement yet, so every GPU gets the constant. */
static void test_cuda_context_table(void) {
    static const mem_cuda_context rows[] = {
        {NULL, "550", 1},
        {"NVIDIA H200", "550", 500},
        {"NVIDIA H200", "550.54", 510},
        {"NVIDIA H100 80GB HBM3", "", 400},
    };
    const size_t n = sizeof rows / sizeof rows[0];
    CHECK(mem_cuda_context_find(rows, n, "NVIDIA H200", "550.90.07") == &rows[1]);
    CHECK(mem_cuda_context_find(rows, n, "NVIDIA H200", "550.54.15") == &rows[2]);
    CHECK(mem_cuda_context_find(rows, n, "NVIDIA H200", "5501.1") == NULL); /* "550" is not a prefix of 5501 */
    CHECK(mem_cuda_context_find(rows, n, "NVIDIA H200", "535.104.05") == NULL);
    CHECK(mem_cuda_context_find(rows, n, "NVIDIA H200 NVL", "550.54.15") == NULL);
    CHECK(mem_cuda_context_find(rows, n, "NVIDIA H100 80GB HBM3", "CUDA 12.4") == &rows[3]);
    CHECK(mem_cuda_context_find(rows, n, NULL, "550") == NULL);
    CHECK(mem_cuda_context_find(rows, n, "NVIDIA H200", NULL) == NULL);
    const mem_cuda_context *used = &rows[0];
    CHECK_EQ_U64(mem_cuda_fixed_cost("NVIDIA H200", "550.54.15", &used), MEM_CUDA_FIXED_COST);
    CHECK(used == NULL);
    CHECK_EQ_U64(mem_cuda_fixed_cost(NULL, NULL, NULL), MEM_CUDA_FIXED_COST);
}

int main(void) {
    T_RUN(test_mistral_q4_k_m);
    T_RUN(test_llama2_7b);
    T_RUN(test_llama31_8b);
    T_RUN(test_qwen25_7b);
    T_RUN(test_gemma3_swa);
    T_RUN(test_swa_patterns);
    T_RUN(test_mixtral_experts);
    T_RUN(test_device_composition);
    T_RUN(test_repacked_items);
    T_RUN(test_tensor_held);
    T_RUN(test_kv_type_check);
    T_RUN(test_cuda_context_table);
    return t_done();
}
