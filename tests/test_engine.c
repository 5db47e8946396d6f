/* Engine tests on the real default model: attention modes and KV types
 * against each other, the allocation log against the memory model's
 * numbers, rewinding, and bad input. (Correctness against the independent
 * reference is tests/reference.test.sh.) */
#include <stdlib.h>
#include <string.h>

#include "../src/engine/engine.h"
#include "../src/engine/stage.h"
#include "../src/engine/sampler.h"
#include "../src/format/gguf.h"
#include "../src/model/arch.h"
#include "../src/plan/gpuinfo.h"
#include "../src/plan/memory.h"
#include "../src/plan/planner.h"
#include "../src/plan/workbuf.h"
#include "lib/cpuplan.h"
#include "lib/t.h"

static gguf_file *F;
static model_desc D;
/* A fixed prompt of SmolLM2 token ids ("<|im_start|>user\nWhat is the capital of France?..."). */
static const int32_t PROMPT[] = {1, 4093, 198, 1780, 314, 260, 3575, 282, 4649, 47, 2, 198, 1, 520, 9531, 198};
#define N_PROMPT ((int)(sizeof PROMPT / sizeof PROMPT[0]))

/* exact: float activations, so that differences come only from what a test
 * varies (8-bit activation rounding alone moves SmolLM2's logits by ~3 %,
 * which would drown the differences these tests look for). */
static fc_engine *mk_x(uint32_t tk, uint32_t tv, bool flash, bool all, int threads, uint32_t n_ctx, bool exact) {
    fc_err err = {0};
    fc_engine_params p = {.n_ctx = n_ctx, .n_batch = 8, .n_threads = threads, .type_k = tk, .type_v = tv, .flash = flash,
                          .all_logits = all, .exact = exact};
    fc_engine *e = engine_new(F, &D, &p, &err);
    CHECK_MSG(e != NULL, "engine_new: %s", err.msg);
    return e;
}

static fc_engine *mk(uint32_t tk, uint32_t tv, bool flash, bool all, int threads, uint32_t n_ctx) {
    return mk_x(tk, tv, flash, all, threads, n_ctx, true);
}

static float *all_logits(fc_engine *e) {
    fc_err err = {0};
    float *l = malloc((size_t)N_PROMPT * D.n_vocab * sizeof *l);
    CHECK(engine_eval(e, PROMPT, N_PROMPT, l, &err) == 0);
    return l;
}

/* max |a-b| / max|b| over each row, the worst row */
static double rel_err(const float *a, const float *b, int rows, int n) {
    double worst = 0;
    for (int r = 0; r < rows; r++) {
        double m = 0, mb = 0;
        for (int i = 0; i < n; i++) {
            double d = fabs((double)a[(size_t)r * n + i] - b[(size_t)r * n + i]);
            if (d > m) m = d;
            if (fabs(b[(size_t)r * n + i]) > mb) mb = fabs(b[(size_t)r * n + i]);
        }
        if (m / mb > worst) worst = m / mb;
    }
    return worst;
}

static void test_flash_equals_plain(void) {
    if (!F) { t_skip("default model absent (make models)"); return; }
    /* With f32 KV the two modes differ only in float summation order. With a
     * quantized cache, a 1e-7 difference in one layer's output can flip the
     * rounding of a K/V value written by the next layer, a jump of one
     * quantization step, so the budget follows the type's step: f16 2^-11,
     * q8_0 1/127, q4_0 1/8 of a block's range. */
    uint32_t types[] = {GGML_TYPE_F32, GGML_TYPE_F16, GGML_TYPE_Q8_0, GGML_TYPE_Q4_0};
    double tol[] = {1e-5, 2e-3, 0.03, 0.6};
    for (int i = 0; i < 4; i++) {
        fc_engine *a = mk(types[i], types[i], true, true, 2, 64), *b = mk(types[i], types[i], false, true, 2, 64);
        if (!a || !b) { engine_free(a); engine_free(b); return; }
        float *la = all_logits(a), *lb = all_logits(b);
        /* Same arithmetic in a different order: float rounding only. */
        double r = rel_err(la, lb, N_PROMPT, (int)D.n_vocab);
        printf("  KV %s: flash vs plain max relative error %.3g\n", ggml_type_name(types[i]), r);
        CHECK_MSG(r < tol[i], "KV %s: flash vs plain relative error %g", ggml_type_name(types[i]), r);
        free(la); free(lb); engine_free(a); engine_free(b);
    }
}

static void test_kv_types_close_to_f32(void) {
    if (!F) { t_skip("default model absent (make models)"); return; }
    fc_engine *ref = mk(GGML_TYPE_F32, GGML_TYPE_F32, true, true, 2, 64);
    if (!ref) return;
    float *lr = all_logits(ref);
    /* Budgets from the KV rounding (see above); measured: f16 6e-4, q8_0
     * 0.02, q4_0 0.30 (0.55 with the scalar kernels: a different summation
     * order flips different q4_0 roundings). */
    struct { uint32_t t; double tol; } cases[] = {{GGML_TYPE_F16, 2e-3}, {GGML_TYPE_Q8_0, 0.04}, {GGML_TYPE_Q4_0, 0.6}};
    for (int i = 0; i < 3; i++) {
        fc_engine *e = mk(cases[i].t, cases[i].t, true, true, 2, 64);
        if (!e) break;
        float *l = all_logits(e);
        double r = rel_err(l, lr, N_PROMPT, (int)D.n_vocab);
        printf("  KV %s vs f32: max relative error %.4g\n", ggml_type_name(cases[i].t), r);
        CHECK_MSG(r < cases[i].tol, "KV %s: relative error %g over %g", ggml_type_name(cases[i].t), r, cases[i].tol);
        free(l);
        engine_free(e);
    }
    free(lr);
    engine_free(ref);
}

static void test_threads_and_batches_agree(void) {
    if (!F) { t_skip("default model absent (make models)"); return; }
    fc_engine *a = mk(GGML_TYPE_F32, GGML_TYPE_F32, true, true, 1, 64);
    fc_engine *b = mk(GGML_TYPE_F32, GGML_TYPE_F32, true, false, 3, 64);
    if (!a || !b) { engine_free(a); engine_free(b); return; }
    float *la = all_logits(a);
    /* b: one token at a time, 3 threads; the last logits must match a's last row */
    fc_err err = {0};
    for (int i = 0; i < N_PROMPT; i++) CHECK(engine_eval(b, &PROMPT[i], 1, NULL, &err) == 0);
    double r = rel_err(engine_logits(b), la + (size_t)(N_PROMPT - 1) * D.n_vocab, 1, (int)D.n_vocab);
    CHECK_MSG(r < 1e-4, "token-by-token vs batched: %g", r);
    free(la); engine_free(a); engine_free(b);
}

static void test_rewind_reproduces(void) {
    if (!F) { t_skip("default model absent (make models)"); return; }
    fc_engine *e = mk(GGML_TYPE_F16, GGML_TYPE_F16, true, false, 2, 64);
    if (!e) return;
    fc_err err = {0};
    CHECK(engine_eval(e, PROMPT, N_PROMPT, NULL, &err) == 0);
    int32_t first = sampler_argmax(engine_logits(e), (int)D.n_vocab);
    CHECK(engine_eval(e, &first, 1, NULL, &err) == 0);
    CHECK_EQ_INT(engine_n_past(e), N_PROMPT + 1);
    engine_rewind(e, 4);
    CHECK_EQ_INT(engine_n_past(e), 4);
    CHECK(engine_eval(e, PROMPT + 4, N_PROMPT - 4, NULL, &err) == 0);
    CHECK_EQ_INT(sampler_argmax(engine_logits(e), (int)D.n_vocab), first);
    engine_free(e);
}

static void test_context_overflow_and_bad_tokens(void) {
    if (!F) { t_skip("default model absent (make models)"); return; }
    fc_engine *e = mk(GGML_TYPE_F16, GGML_TYPE_F16, true, false, 1, 8);
    if (!e) return;
    fc_err err = {0};
    CHECK(engine_eval(e, PROMPT, N_PROMPT, NULL, &err) < 0);
    CHECK_EQ_INT(err.code, FC_EINPUT);
    CHECK_MSG(strstr(err.msg, "context") != NULL, "message: %s", err.msg);
    int32_t bad = (int32_t)D.n_vocab;
    CHECK(engine_eval(e, &bad, 1, NULL, &err) < 0);
    CHECK_MSG(strstr(err.msg, "outside the vocabulary") != NULL, "message: %s", err.msg);
    CHECK_EQ_INT(engine_n_past(e), 0);
    engine_free(e);
    fc_engine_params p = {.n_ctx = 64, .n_batch = 8, .n_threads = 1, .type_k = GGML_TYPE_Q4_K, .type_v = GGML_TYPE_F16};
    CHECK(engine_new(F, &D, &p, &err) == NULL);
    CHECK_EQ_INT(err.code, FC_EINPUT);
    CHECK_MSG(strstr(err.msg, "Q4_K") != NULL, "message: %s", err.msg);
}

/* The allocation log against numbers computed here from the published
 * shapes: 30 layers, 3 KV heads of 64, and the work-buffer function. */
static void test_allocation_log(void) {
    if (!F) { t_skip("default model absent (make models)"); return; }
    fc_engine *e = mk(GGML_TYPE_Q8_0, GGML_TYPE_Q4_0, true, false, 2, 256);
    if (!e) return;
    const fc_alloc_log *log = engine_alloc_log(e);
    uint64_t kv_row_k = 192 / 32 * 34, kv_row_v = 192 / 32 * 18;
    CHECK_EQ_U64(log->total[ALLOC_KV], 30ull * 256 * (kv_row_k + kv_row_v));
    CHECK_EQ_U64(log->total[ALLOC_WEIGHTS], F->data_bytes);
    workbuf_params wp = {.n_ctx = 256, .n_batch = 8, .flash = true, .n_threads = 2, .has_output = true, .n_outputs = 1};
    workbuf_layout wl;
    workbuf_layout_compute(&D, &wp, &wl);
    CHECK_EQ_U64(log->total[ALLOC_BUFFER], wl.total);
    engine_free(e);
}

/* "The engine's allocation log equals fitchat plan's numbers for the CPU":
 * plan without a GPU, then build the engine with the plan's choices. */
static void test_allocation_equals_plan(void) {
    if (!F) { t_skip("default model absent (make models)"); return; }
    fc_err err = {0};
    plan_result r;
    fc_engine_params ep;
    CHECK_MSG(t_cpu_plan(F, &D, 512, 32, 2, GGML_TYPE_Q8_0, GGML_TYPE_F16, &r, &ep, &err) == 0, "plan: %s", err.msg);
    CHECK_EQ_INT(r.n_gpu_layers, 0);
    fc_engine *e = engine_new(F, &D, &ep, &err);
    CHECK_MSG(e != NULL, "engine: %s", err.msg);
    if (e) {
        t_check_log_equals_plan(e, &r);
        engine_free(e);
    }
}

/* Walks a manifest against the allocation log: the entries of `device`
 * must be its items, one for one, in order (the fixed cost is the device's
 * context, not a stage allocation). */
typedef struct { const fc_alloc_log *log; int device, next, bad, n; } log_walk;

static int check_item(void *ctx, const mem_item *it) {
    log_walk *w = ctx;
    if (it->kind == MEM_ITEM_FIXED) return 0;
    while (w->next < w->log->n && w->log->entries[w->next].device != w->device) w->next++;
    w->n++;
    if (w->next >= w->log->n) { w->bad++; return 0; }
    const fc_alloc_entry *a = &w->log->entries[w->next++];
    enum fc_alloc_kind k = it->kind == MEM_ITEM_WEIGHTS    ? ALLOC_WEIGHTS
                           : it->kind == MEM_ITEM_BUFFER   ? ALLOC_BUFFER
                           : it->kind == MEM_ITEM_REPACKED ? ALLOC_REPACKED
                                                           : ALLOC_KV;
    if (a->kind != k || a->layer != it->layer || strcmp(a->what, it->name) || a->bytes != it->bytes || a->mapped != it->mapped) {
        if (!w->bad) fprintf(stderr, "  item %d: log %s layer %d %llu, manifest %s layer %d %llu\n", w->n, a->what, a->layer,
                             (unsigned long long)a->bytes, it->name, it->layer, (unsigned long long)it->bytes);
        w->bad++;
    }
    return 0;
}

/* Emulated devices at the engine level: the log per device is the
 * device's manifest item for item (and so its sums are mem_device_bytes()
 * for the device's range), a cap one byte short fails with
 * FC_ENOMEM naming the device, and bad device ranges are refused. */
static void test_emulated_devices(void) {
    if (!F) { t_skip("default model absent (make models)"); return; }
    fc_err err = {0};
    mem_model mm;
    CHECK(mem_model_init(&mm, F, &D, &err) == 0);
    fc_engine_params p = {.n_ctx = 256, .n_batch = 8, .n_threads = 2, .type_k = GGML_TYPE_Q8_0, .type_v = GGML_TYPE_F16,
                          .flash = true, .exact = true, .n_dev = 2};
    p.dev[0] = (fc_engine_device){.kind = MEM_DEV_EMULATED, .name = "a", .first_layer = 10, .n_layers = 12};
    p.dev[1] = (fc_engine_device){.kind = MEM_DEV_EMULATED, .name = "b", .first_layer = 22, .n_layers = 8, .head = true};
    mem_config c = {.n_ctx = 256, .n_batch = 8, .type_k = GGML_TYPE_Q8_0, .type_v = GGML_TYPE_F16, .flash = true, .n_threads = 2};
    mem_bytes want[3];
    mem_device_bytes(&mm, &c, MEM_DEV_CPU, 0, 10, false, &want[0]);
    mem_device_bytes(&mm, &c, MEM_DEV_EMULATED, 10, 12, false, &want[1]);
    mem_device_bytes(&mm, &c, MEM_DEV_EMULATED, 22, 8, true, &want[2]);
    fc_engine *e = engine_new(F, &D, &p, &err);
    CHECK_MSG(e != NULL, "engine_new: %s", err.msg);
    if (e) {
        const fc_alloc_log *log = engine_alloc_log(e);
        const uint64_t *got[3] = {log->total, log->dev_total[0], log->dev_total[1]};
        for (int i = 0; i < 3; i++) {
            CHECK_EQ_U64(got[i][ALLOC_WEIGHTS], want[i].weights);
            CHECK_EQ_U64(got[i][ALLOC_KV], want[i].kv);
            CHECK_EQ_U64(got[i][ALLOC_BUFFER], want[i].buffers);
        }
        CHECK_EQ_INT(engine_cpu_layers(e), 10);
        /* item for item, in order, and nothing else on any device */
        struct { int dev; enum mem_dev_kind kind; uint32_t first, n; bool head; } range[3] = {
            {FC_DEV_CPU, MEM_DEV_CPU, 0, 10, false}, {0, MEM_DEV_EMULATED, 10, 12, false}, {1, MEM_DEV_EMULATED, 22, 8, true}};
        int items = 0;
        for (int i = 0; i < 3; i++) {
            log_walk w = {log, range[i].dev, 0, 0, 0};
            mem_manifest(&mm, &c, range[i].kind, range[i].first, range[i].n, range[i].head, check_item, &w);
            CHECK_MSG(w.bad == 0, "device %d: %d of %d items differ from the log", range[i].dev, w.bad, w.n);
            CHECK(w.n > 20);
            items += w.n;
        }
        CHECK_EQ_INT(log->n, items);
        engine_free(e);
    }
    /* and it computes what the CPU alone computes, to the bit */
    p.all_logits = true;
    if ((e = engine_new(F, &D, &p, &err))) {
        float *a = all_logits(e);
        engine_free(e);
        fc_engine *c0 = mk_x(GGML_TYPE_Q8_0, GGML_TYPE_F16, true, true, 2, 256, true);
        float *b = c0 ? all_logits(c0) : NULL;
        CHECK_MSG(a && b && !memcmp(a, b, (size_t)N_PROMPT * D.n_vocab * sizeof *a), "differ: rel %g",
                  a && b ? rel_err(a, b, N_PROMPT, (int)D.n_vocab) : -1.0);
        free(a);
        free(b);
        engine_free(c0);
    }
    p.all_logits = false;
    /* one byte short of what device b needs */
    p.dev[1].cap = want[2].weights + want[2].kv + want[2].buffers - 1;
    fc_err e2 = {0};
    CHECK(engine_new(F, &D, &p, &e2) == NULL);
    CHECK_EQ_INT(e2.code, FC_ENOMEM);
    CHECK_MSG(strstr(e2.msg, "emulated GPU 1 (b) is out of memory") != NULL, "message: %s", e2.msg);
    p.dev[1].cap = 0;
    /* a gap between the ranges, the head not on the last device */
    p.dev[1].first_layer = 23;
    fc_err e3 = {0};
    CHECK(engine_new(F, &D, &p, &e3) == NULL && e3.code == FC_EINPUT && strstr(e3.msg, "contiguous"));
    p.dev[1].first_layer = 22;
    p.dev[0].head = true;
    fc_err e4 = {0};
    CHECK(engine_new(F, &D, &p, &e4) == NULL && e4.code == FC_EINPUT && strstr(e4.msg, "head"));
    mem_model_free(&mm);
}


/* ---- several sequences in one forward pass --------------------------------- */

#define BI_SEQ 8
#define BI_CHUNK 16   /* prompt chunk: the same alone and in the batch */
#define BI_GEN 12     /* greedy tokens after the prompt */

typedef struct {
    int32_t prompt[80];
    int n_prompt, done, gen;      /* prompt tokens fed; tokens generated */
    int32_t last;                 /* the token to feed next when generating */
    float *logits;                /* [(1 + BI_GEN) rows of n_vocab]: after the prompt, after each token */
    int n_logits;
} bi_seq;

static int32_t argmax(const float *l, int n) {
    int best = 0;
    for (int i = 1; i < n; i++) if (l[i] > l[best]) best = i;
    return best;
}

/* The seq's next item: its next prompt chunk, or its last sampled token. */
static bool bi_item(bi_seq *q, int seq, fc_batch_item *it) {
    if (q->done < q->n_prompt) {
        int n = q->n_prompt - q->done < BI_CHUNK ? q->n_prompt - q->done : BI_CHUNK;
        *it = (fc_batch_item){seq, q->prompt + q->done, n, q->done + n == q->n_prompt};
        return true;
    }
    if (q->gen >= BI_GEN) return false;
    *it = (fc_batch_item){seq, &q->last, 1, true};
    return true;
}

/* After the call: the seq's logits (if asked) recorded, greedy next token. */
static void bi_after(bi_seq *q, const fc_batch_item *it, const float *l) {
    if (q->done < q->n_prompt) q->done += it->n;
    else q->gen++;
    if (it->logits && l) {
        memcpy(q->logits + (size_t)q->n_logits++ * D.n_vocab, l, D.n_vocab * sizeof(float));
        q->last = argmax(l, (int)D.n_vocab);
    }
}

/* Batch invariance: 8 conversations of different lengths run together,
 * each step one prompt chunk or one generated token per sequence in one
 * forward pass, give every sequence the same logits, bit for bit, as the
 * same sequence alone; with flash and plain attention, 1 and 2 threads. */
/* dev: NULL (the CPU alone), or the device that runs the last half of the
 * layers and the head; modes: 3 (flash 2 threads, plain 2 threads, flash
 * 1 thread) or 1 (the first). */
static void batch_invariance(const fc_engine_device *dev, int modes) {
    for (int mode = 0; mode < modes; mode++) {
        const bool flash = mode != 1;
        const int threads = mode == 2 ? 1 : 2;
        fc_err err = {0};
        fc_engine_params p = {.n_ctx = 256, .n_seq = BI_SEQ, .n_batch = 64, .n_threads = threads, .type_k = GGML_TYPE_F16,
                              .type_v = GGML_TYPE_F16, .flash = flash};
        if (dev) {
            p.n_dev = 1;
            p.dev[0] = *dev;
            p.dev[0].first_layer = D.n_layer / 2;
            p.dev[0].n_layers = D.n_layer - D.n_layer / 2;
            p.dev[0].head = true;
        }
        fc_engine *e = engine_new(F, &D, &p, &err);
        CHECK_MSG(e != NULL, "engine_new: %s", err.msg);
        if (!e) return;
        bi_seq alone[BI_SEQ], together[BI_SEQ];
        uint64_t x = 1234567;
        for (int s = 0; s < BI_SEQ; s++) {
            memset(&alone[s], 0, sizeof alone[s]);
            alone[s].n_prompt = 3 + 9 * s; /* 3 .. 66: short, one chunk, several chunks with a tail */
            for (int i = 0; i < alone[s].n_prompt; i++) {
                x ^= x << 13; x ^= x >> 7; x ^= x << 17;
                alone[s].prompt[i] = i < N_PROMPT ? PROMPT[i] : (int32_t)(x % D.n_vocab);
            }
            alone[s].logits = malloc((size_t)(1 + BI_GEN) * D.n_vocab * sizeof(float));
            together[s] = alone[s];
            together[s].logits = malloc((size_t)(1 + BI_GEN) * D.n_vocab * sizeof(float));
        }
        /* alone: each sequence by itself (in slot s, the others empty) */
        for (int s = 0; s < BI_SEQ; s++) {
            fc_batch_item it;
            while (bi_item(&alone[s], s, &it)) {
                CHECK_MSG(engine_eval_batch(e, &it, 1, &err) == 0, "alone: %s", err.msg);
                bi_after(&alone[s], &it, engine_batch_logits(e, 0));
            }
        }
        for (int s = 0; s < BI_SEQ; s++) engine_seq_rewind(e, s, 0);
        /* together: every step one item per unfinished sequence, in an order that rotates */
        for (int step = 0; step < 64; step++) {
            fc_batch_item items[BI_SEQ];
            int who[BI_SEQ], n = 0, toks = 0;
            for (int k = 0; k < BI_SEQ; k++) {
                int s = (k + step) % BI_SEQ;
                fc_batch_item it;
                if (bi_item(&together[s], s, &it) && toks + it.n <= 64) { items[n] = it; who[n++] = s; toks += it.n; }
            }
            if (!n) break;
            CHECK_MSG(engine_eval_batch(e, items, n, &err) == 0, "together: %s", err.msg);
            for (int i = 0; i < n; i++) bi_after(&together[who[i]], &items[i], engine_batch_logits(e, i));
        }
        for (int s = 0; s < BI_SEQ; s++) {
            CHECK_EQ_INT(together[s].n_logits, 1 + BI_GEN);
            CHECK_EQ_INT(alone[s].n_logits, 1 + BI_GEN);
            CHECK_MSG(!memcmp(alone[s].logits, together[s].logits, (size_t)(1 + BI_GEN) * D.n_vocab * sizeof(float)),
                      "mode %d: sequence %d (prompt %d) differs in one batch from alone: rel %g", mode, s,
                      alone[s].n_prompt, rel_err(together[s].logits, alone[s].logits, 1 + BI_GEN, (int)D.n_vocab));
            free(alone[s].logits);
            free(together[s].logits);
        }
        /* sequence 0 alone through engine_eval (the chat's call) is the same too */
        engine_seq_rewind(e, 0, 0);
        engine_free(e);
    }
}

static void test_batch_invariance(void) {
    if (!F) { t_skip("default model absent (make models)"); return; }
    batch_invariance(NULL, 3);
}

/* The same with the last half of the layers and the head on an emulated
 * device and on a CUDA device (a GPU, or the CUDA host emulator's: make
 * test-cuda-emu), each sequence's KV cache there. */
static void test_batch_invariance_devices(void) {
    if (!F) { t_skip("default model absent (make models)"); return; }
    fc_engine_device emu = {.kind = MEM_DEV_EMULATED, .name = "emulated"};
    batch_invariance(&emu, 1);
    char why[256] = "";
    if (!backend_cuda.built() || backend_cuda.device_count(why, sizeof why) < 1) {
        t_skip("CUDA: no device (%s)", why[0] ? why : "built without CUDA");
        return;
    }
    fc_engine_device gpu = {.kind = MEM_DEV_GPU, .ordinal = 0, .name = "CUDA 0"};
    batch_invariance(&gpu, 1);
}

/* Bad batches are refused naming the item. */
static void test_batch_errors(void) {
    if (!F) { t_skip("default model absent (make models)"); return; }
    fc_err err = {0};
    fc_engine_params p = {.n_ctx = 32, .n_seq = 2, .n_batch = 8, .n_threads = 1, .type_k = GGML_TYPE_F16, .type_v = GGML_TYPE_F16};
    fc_engine *e = engine_new(F, &D, &p, &err);
    CHECK_MSG(e != NULL, "engine_new: %s", err.msg);
    if (!e) return;
    int32_t t[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9}, bad = -1;
    fc_batch_item two[2] = {{0, t, 1, true}, {0, t, 1, true}};
    fc_err e1 = {0};
    CHECK(engine_eval_batch(e, two, 2, &e1) == -1 && strstr(e1.msg, "the same sequence"));
    fc_batch_item far = {2, t, 1, true};
    fc_err e2 = {0};
    CHECK(engine_eval_batch(e, &far, 1, &e2) == -1 && strstr(e2.msg, "sequence 2 is out of range"));
    fc_batch_item many[2] = {{0, t, 5, true}, {1, t, 4, true}};
    fc_err e3 = {0};
    CHECK(engine_eval_batch(e, many, 2, &e3) == -1 && strstr(e3.msg, "N_BATCH"));
    fc_batch_item neg = {1, &bad, 1, true};
    fc_err e4 = {0};
    CHECK(engine_eval_batch(e, &neg, 1, &e4) == -1 && strstr(e4.msg, "sequence 1") && strstr(e4.msg, "vocabulary"));
    CHECK_EQ_INT(engine_seq_n_past(e, 0), 0);
    CHECK_EQ_INT(engine_seq_n_past(e, 1), 0);
    engine_free(e);
}

static void test_unsupported_arch(void) {
    if (!F) { t_skip("default model absent (make models)"); return; }
    model_desc d2 = D;
    d2.arch_id = ARCH_GEMMA2; /* attention softcapping: not run yet */
    fc_err err = {0};
    fc_engine_params p = {.n_ctx = 64, .n_batch = 8, .n_threads = 1, .type_k = GGML_TYPE_F16, .type_v = GGML_TYPE_F16};
    CHECK(engine_new(F, &d2, &p, &err) == NULL);
    CHECK_EQ_INT(err.code, FC_EINPUT);
    CHECK_MSG(strstr(err.msg, "not supported") != NULL, "message: %s", err.msg);
}

int main(void) {
    fc_err err = {0};
    const char *path = t_model_path();
    if (path) {
        F = gguf_open(path, &err);
        if (!F || model_desc_load(F, &D, &err)) { printf("cannot load %s: %s\n", path, err.msg); F = NULL; }
    }
    T_RUN(test_flash_equals_plain);
    T_RUN(test_kv_types_close_to_f32);
    T_RUN(test_threads_and_batches_agree);
    T_RUN(test_rewind_reproduces);
    T_RUN(test_context_overflow_and_bad_tokens);
    T_RUN(test_allocation_log);
    T_RUN(test_allocation_equals_plan);
    T_RUN(test_emulated_devices);
    T_RUN(test_unsupported_arch);
    T_RUN(test_batch_invariance);
    T_RUN(test_batch_invariance_devices);
    T_RUN(test_batch_errors);
    if (F) { model_desc_free(&D); gguf_close(F); }
    return t_done();
}
