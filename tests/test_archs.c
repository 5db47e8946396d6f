/* Engine tests on a gemma3-shaped model written here (zero weights: only
 * shapes and bytes matter): sliding-window layers keep exactly the window
 * in their KV cache, so the allocation log equals the plan; evaluating past
 * the window wraps the ring without touching memory outside it (ASan); and
 * rewinding once the ring has wrapped starts over. A llama model with
 * Llama 3.1's rope_freqs.weight: it stays mapped (the allocation log equals
 * the plan, which counts it as a shared tensor) and a wrong size or a
 * non-positive factor is FC_EINPUT naming it. (Numerics of every
 * architecture against the reference: tests/archs.test.sh.) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/engine/engine.h"
#include "../src/engine/model.h"
#include "../src/format/gguf.h"
#include "../src/model/arch.h"
#include "../src/plan/gpuinfo.h"
#include "../src/plan/memory.h"
#include "../src/plan/planner.h"
#include "lib/cpuplan.h"
#include "lib/t.h"
#include "tools/gguf_writer.h"

enum { N_EMBD = 64, N_HEAD = 2, N_KV = 1, HD = 32, N_FF = 128, VOCAB = 32, N_LAYER = 6, WINDOW = 4 };

static uint64_t q8_bytes(uint64_t n) { return n / 32 * 34; }

static void mat(gw_file *g, const char *name, uint64_t n_in, uint64_t n_out) {
    uint64_t ne[2] = {n_in, n_out};
    gw_tensor(g, name, 8 /* Q8_0 */, 2, ne, q8_bytes(n_in * n_out));
}

static void vec(gw_file *g, const char *name, uint64_t n) { gw_tensor(g, name, 0 /* F32 */, 1, &n, n * 4); }

/* The hyper-parameters both fixtures share: ARCH.block_count = n_layer,
 * context 64, and the N_EMBD / N_FF / N_HEAD / N_KV shape. */
static uint32_t g_n_kv = N_KV; /* head_count_kv written by hparams (a test may set 0) */
static void hparams(gw_file *g, const char *arch, uint32_t n_layer) {
    char k[64];
    gw_kv_str(g, "general.architecture", arch);
    static const char *keys[] = {"block_count", "context_length", "embedding_length", "feed_forward_length",
                                 "attention.head_count", "attention.head_count_kv"};
    const uint32_t vals[] = {n_layer, 64, N_EMBD, N_FF, N_HEAD, g_n_kv};
    for (int i = 0; i < 6; i++) {
        snprintf(k, sizeof k, "%s.%s", arch, keys[i]);
        gw_kv_u32(g, k, vals[i]);
    }
}

/* Writes g's header and data_end bytes of data as t_tmpdir()/FILE, frees g;
 * returns the path (malloc'd). */
static char *save(gw_file *g, const char *file, const uint8_t *data) {
    gw_buf h = gw_header(g);
    char *path = malloc(512);
    snprintf(path, 512, "%s/%s", t_tmpdir(), file);
    FILE *fp = fopen(path, "wb");
    CHECK(fp != NULL);
    if (fp) {
        fwrite(h.b, 1, h.n, fp);
        fwrite(data, 1, g->data_end, fp);
        fclose(fp);
    }
    free(h.b);
    gw_free(g);
    return path;
}

static char *write_gemma3_window(uint32_t window) {
    gw_file g = {.version = 3, .alignment = 32};
    hparams(&g, "gemma3", N_LAYER);
    gw_kv_u32(&g, "gemma3.attention.key_length", HD);
    gw_kv_u32(&g, "gemma3.attention.value_length", HD);
    gw_kv_u32(&g, "gemma3.attention.sliding_window", window);
    gw_kv_u32(&g, "gemma3.vocab_size", VOCAB);
    mat(&g, "token_embd.weight", N_EMBD, VOCAB);
    for (int il = 0; il < N_LAYER; il++) {
        char n[64];
#define M(s, a, b) snprintf(n, sizeof n, "blk.%d." s ".weight", il); mat(&g, n, a, b);
#define V(s, a) snprintf(n, sizeof n, "blk.%d." s ".weight", il); vec(&g, n, a);
        V("attn_norm", N_EMBD) M("attn_q", N_EMBD, N_HEAD * HD) M("attn_k", N_EMBD, N_KV * HD)
        M("attn_v", N_EMBD, N_KV * HD) V("attn_q_norm", HD) V("attn_k_norm", HD) M("attn_output", N_HEAD * HD, N_EMBD)
        V("post_attention_norm", N_EMBD) V("ffn_norm", N_EMBD) M("ffn_gate", N_EMBD, N_FF) M("ffn_up", N_EMBD, N_FF)
        M("ffn_down", N_FF, N_EMBD) V("post_ffw_norm", N_EMBD)
#undef M
#undef V
    }
    vec(&g, "output_norm.weight", N_EMBD);
    uint8_t *zeros = calloc(1, g.data_end);
    char *path = save(&g, "gemma3-tiny.gguf", zeros);
    free(zeros);
    return path;
}

static char *write_gemma3(void) { return write_gemma3_window(WINDOW); }

/* A hostile window: 2^31 became INT_MIN in the engine's window arithmetic
 * and crashed the first evaluation; it is refused at load, naming the key.
 * 2^30 (the largest count accepted) is larger than any context: it runs like
 * no window at all, with no overflow (UBSan in make asan). */
static void test_gemma3_huge_window(void) {
    char *path = write_gemma3_window(1u << 31);
    fc_err err = {0};
    gguf_file *f = gguf_open(path, &err);
    CHECK_MSG(f != NULL, "open: %s", err.msg);
    model_desc d;
    CHECK(f && model_desc_load(f, &d, &err) != 0);
    CHECK_EQ_INT(err.code, FC_EINPUT);
    CHECK_MSG(strstr(err.msg, "gemma3.attention.sliding_window = 2147483648 is out of range"), "message: %s", err.msg);
    gguf_close(f);
    remove(path);
    free(path);

    path = write_gemma3_window(1u << 30);
    f = gguf_open(path, &err);
    if (!f || model_desc_load(f, &d, &err)) { CHECK_MSG(0, "desc: %s", err.msg); gguf_close(f); free(path); return; }
    plan_result r;
    fc_engine_params ep;
    CHECK_MSG(t_cpu_plan(f, &d, 32, 8, 2, -1, -1, &r, &ep, &err) == 0, "plan: %s", err.msg);
    fc_engine *e = engine_new(f, &d, &ep, &err);
    CHECK_MSG(e != NULL, "engine: %s", err.msg);
    if (e) {
        int32_t toks[12];
        for (int i = 0; i < 12; i++) toks[i] = (i * 5) % VOCAB;
        CHECK(engine_eval(e, toks, 9, NULL, &err) == 0);
        for (int i = 9; i < 12; i++) CHECK(engine_eval(e, &toks[i], 1, NULL, &err) == 0);
        CHECK_EQ_INT(engine_n_past(e), 12);
        engine_free(e);
    }
    model_desc_free(&d);
    gguf_close(f);
    remove(path);
    free(path);
}

static void test_gemma3_swa_kv_equals_plan(void) {
    char *path = write_gemma3();
    fc_err err = {0};
    gguf_file *f = gguf_open(path, &err);
    CHECK_MSG(f != NULL, "open: %s", err.msg);
    model_desc d;
    if (!f || model_desc_load(f, &d, &err)) { CHECK_MSG(0, "desc: %s", err.msg); gguf_close(f); free(path); return; }
    CHECK(arch_runnable(&d));
    plan_result r;
    fc_engine_params ep;
    CHECK_MSG(t_cpu_plan(f, &d, 32, 8, 2, GGML_TYPE_Q8_0, GGML_TYPE_F16, &r, &ep, &err) == 0, "plan: %s", err.msg);
    fc_engine *e = engine_new(f, &d, &ep, &err);
    CHECK_MSG(e != NULL, "engine: %s", err.msg);
    if (e) {
        const fc_alloc_log *log = engine_alloc_log(e);
        t_check_log_equals_plan(e, &r);
        /* by hand: 5 local layers of WINDOW rows, 1 global of n_ctx rows;
         * K row 32 values in q8_0 (34 B), V row 32 in f16 (64 B) */
        uint64_t rows = (uint64_t)(N_LAYER - 1) * WINDOW + r.cfg.n_ctx;
        CHECK_EQ_U64(log->total[ALLOC_KV], rows * (34 + 64));
        /* past the window, in batches and one by one: the ring wraps */
        int32_t toks[20];
        for (int i = 0; i < 20; i++) toks[i] = (i * 7) % VOCAB;
        CHECK(engine_eval(e, toks, 13, NULL, &err) == 0);
        for (int i = 13; i < 20; i++) CHECK(engine_eval(e, &toks[i], 1, NULL, &err) == 0);
        CHECK_EQ_INT(engine_n_past(e), 20);
        engine_rewind(e, 19); /* one back: the window before 19 is still there */
        CHECK_EQ_INT(engine_n_past(e), 19);
        engine_rewind(e, 10); /* further: overwritten, so it starts over */
        CHECK_EQ_INT(engine_n_past(e), 0);
        engine_free(e);
    }
    model_desc_free(&d);
    gguf_close(f);
    remove(path);
    free(path);
}

/* llama with rope_freqs.weight (n_freqs F32 values 1, 1.5, 2, ..., then
 * `bad` at index 1 when bad != 0) as the first tensor, so its data is at
 * the start of the data section. */
static char *write_llama3(uint64_t n_freqs, float bad) {
    gw_file g = {.version = 3, .alignment = 32};
    hparams(&g, "llama", 2);
    gw_kv_u32(&g, "llama.vocab_size", VOCAB);
    vec(&g, "rope_freqs.weight", n_freqs);
    mat(&g, "token_embd.weight", N_EMBD, VOCAB);
    for (int il = 0; il < 2; il++) {
        char n[64];
#define M(s, a, b) snprintf(n, sizeof n, "blk.%d." s ".weight", il); mat(&g, n, a, b);
#define V(s, a) snprintf(n, sizeof n, "blk.%d." s ".weight", il); vec(&g, n, a);
        V("attn_norm", N_EMBD) M("attn_q", N_EMBD, N_EMBD) M("attn_k", N_EMBD, N_EMBD / N_HEAD * N_KV)
        M("attn_v", N_EMBD, N_EMBD / N_HEAD * N_KV) M("attn_output", N_EMBD, N_EMBD) V("ffn_norm", N_EMBD)
        M("ffn_gate", N_EMBD, N_FF) M("ffn_up", N_EMBD, N_FF) M("ffn_down", N_FF, N_EMBD)
#undef M
#undef V
    }
    vec(&g, "output_norm.weight", N_EMBD);
    mat(&g, "output.weight", N_EMBD, VOCAB);
    uint8_t *data = calloc(1, g.data_end);
    for (uint64_t i = 0; i < n_freqs; i++) {
        float v = i == 1 && bad != 0 ? (bad < 0 ? 0.0f : bad) : 1.0f + 0.5f * (float)i;
        memcpy(data + 4 * i, &v, 4);
    }
    char *path = save(&g, "llama3-tiny.gguf", data);
    free(data);
    return path;
}

/* Plans a llama3 file and starts an engine on it: either it runs and its
 * allocation log equals the plan, or it is refused naming rope_freqs. */
static void llama3_case(uint64_t n_freqs, float bad, bool expect_ok) {
    char *path = write_llama3(n_freqs, bad);
    fc_err err = {0};
    gguf_file *f = gguf_open(path, &err);
    CHECK_MSG(f != NULL, "open: %s", err.msg);
    model_desc d;
    if (!f || model_desc_load(f, &d, &err)) { CHECK_MSG(0, "desc: %s", err.msg); gguf_close(f); free(path); return; }
    CHECK(arch_runnable(&d));
    plan_result r;
    fc_engine_params ep;
    CHECK_MSG(t_cpu_plan(f, &d, 32, 8, 2, -1, -1, &r, &ep, &err) == 0, "plan: %s", err.msg);
    fc_engine *e = engine_new(f, &d, &ep, &err);
    if (expect_ok) {
        CHECK_MSG(e != NULL, "engine: %s", err.msg);
    } else {
        CHECK(e == NULL);
        CHECK_EQ_INT(err.code, FC_EINPUT);
        CHECK_MSG(strstr(err.msg, "rope_freqs.weight") != NULL, "error does not name the tensor: %s", err.msg);
    }
    if (e) {
        /* rope_freqs is one of the weights the plan counts; the engine maps it */
        t_check_log_equals_plan(e, &r);
        int32_t toks[6] = {1, 2, 3, 4, 5, 6};
        CHECK(engine_eval(e, toks, 6, NULL, &err) == 0);
        engine_free(e);
    }
    model_desc_free(&d);
    gguf_close(f);
    remove(path);
    free(path);
}

/* head_count_kv = 0 is refused by the engine naming the key (it used to say
 * "different head or feed-forward sizes"). */
static void test_zero_kv_heads(void) {
    g_n_kv = 0;
    char *path = write_llama3(N_EMBD / N_HEAD / 2, 0);
    g_n_kv = N_KV;
    fc_err err = {0};
    gguf_file *f = gguf_open(path, &err);
    model_desc d;
    if (!f || model_desc_load(f, &d, &err)) { CHECK_MSG(0, "desc: %s", err.msg); gguf_close(f); free(path); return; }
    CHECK(model_check_runnable(&d, path, &err) != 0);
    CHECK_MSG(strstr(err.msg, "no KV heads (llama.attention.head_count_kv = 0)") != NULL, "message: %s", err.msg);
    model_desc_free(&d);
    gguf_close(f);
    remove(path);
    free(path);
}

static void test_llama3_rope_freqs(void) {
    uint64_t half = N_EMBD / N_HEAD / 2;
    llama3_case(half, 0, true);
    llama3_case(half + 1, 0, false); /* not n_rot / 2 values */
    llama3_case(half, -1, false);    /* a zero factor */
}

int main(void) {
    T_RUN(test_gemma3_swa_kv_equals_plan);
    T_RUN(test_gemma3_huge_window);
    T_RUN(test_llama3_rope_freqs);
    T_RUN(test_zero_kv_heads);
    return t_done();
}
