/* Planner policy: budgets never exceeded, plans maximal, explicit values
 * honoured, auto values decided, clear errors for bad config values. */
#include <stdlib.h>
#include <string.h>

#include "../src/plan/planner.h"
#include "lib/fixtures.h"
#include "lib/t.h"

#define MiB (1024ull * 1024)
#define GiB (1024ull * MiB)

typedef struct {
    gguf_file *f;
    model_desc d;
    mem_model m;
} loaded;

static loaded FX[8];

static int load_all(void) {
    for (int i = 0; i < FX_N_ALL; i++) {
        char path[512];
        fc_err e = {0};
        snprintf(path, sizeof path, "%s/%s.gguf", t_tmpdir(), FX_ALL[i]->name);
        if (fx_write(FX_ALL[i], path, NULL, &e) || !(FX[i].f = gguf_open(path, &e)) ||
            model_desc_load(FX[i].f, &FX[i].d, &e) || mem_model_init(&FX[i].m, FX[i].f, &FX[i].d, &e)) {
            printf("fixture %s: %s\n", FX_ALL[i]->name, e.msg);
            return -1;
        }
    }
    return 0;
}

static const mem_model *fx(const fx_shape *s) {
    for (int i = 0; i < FX_N_ALL; i++)
        if (FX_ALL[i] == s) return &FX[i].m;
    return NULL;
}

static gpu_device gpu(const char *name, uint64_t total, uint64_t used) {
    gpu_device g = {0};
    snprintf(g.name, sizeof g.name, "%s", name);
    g.total = total;
    g.used = used;
    g.free = total - used;
    return g;
}

static gpu_inventory inv1(uint64_t total, uint64_t used) {
    gpu_inventory inv = {.n = 1, .source = GPU_SRC_OVERRIDE};
    inv.dev[0] = gpu("test", total, used);
    return inv;
}

static bool has_line(char (*lines)[PLAN_LINE], int n, const char *needle) {
    for (int i = 0; i < n; i++)
        if (strstr(lines[i], needle)) return true;
    return false;
}

/* Everything the engine would allocate on device j, recomputed. */
static uint64_t dev_total(const mem_model *m, const mem_config *c, enum mem_dev_kind kind, uint32_t first, uint32_t n,
                          bool head) {
    mem_bytes b;
    mem_device_bytes(m, c, kind, first, n, head, &b);
    return b.total;
}

/* Whether any contiguous split of the last L layers (+ head on the last
 * GPU) over two GPUs fits: brute force, independent of the planner. */
static bool any_split2(const mem_model *m, const mem_config *c, const uint64_t *budget, uint32_t L) {
    uint32_t first = m->n_layer - L;
    for (uint32_t a = 0; a <= L; a++)
        if (dev_total(m, c, MEM_DEV_GPU, first, a, false) <= budget[0] &&
            dev_total(m, c, MEM_DEV_GPU, first + a, L - a, true) <= budget[1])
            return true;
    return false;
}

static void check_plan_sane(const mem_model *m, const plan_result *r, const char *what) {
    uint32_t next = r->cpu_layers;
    CHECK_EQ_INT(r->cpu_layers + r->n_gpu_layers, m->n_layer);
    for (int j = 0; j < r->n_dev; j++) {
        const plan_device *d = &r->dev[j];
        CHECK_MSG(d->first_layer == next, "%s: device %d starts at %u, expected %u (contiguous)", what, j, d->first_layer, next);
        next += d->n_layers;
        CHECK_MSG(d->bytes.total <= d->budget, "%s: device %d plans %llu > budget %llu", what, j,
                  (unsigned long long)d->bytes.total, (unsigned long long)d->budget);
        CHECK_EQ_U64(d->bytes.total, dev_total(m, &r->cfg, d->kind, d->first_layer, d->n_layers, d->head));
    }
    CHECK_EQ_INT(next, m->n_layer);
    for (uint32_t il = 0; il < m->n_layer; il++) CHECK((plan_layer_device(r, il) >= 0) == (il >= r->cpu_layers));
}

/* Every fixture × target × context × KV type × GPU set: within budget,
 * and one more layer (or the head) would not fit any contiguous split. */
static void test_sweep_budget_and_maximal(void) {
    const double targets[] = {0.6, 0.7, 0.8, 0.9};
    const uint32_t ctxs[] = {2048, 4096, 8192, 16384, 32768};
    const int32_t kvs[] = {GGML_TYPE_F16, GGML_TYPE_Q8_0, GGML_TYPE_Q4_0};
    gpu_inventory invs[4] = {inv1(8 * GiB, 857 * MiB), inv1(24 * GiB, 300 * MiB), inv1(2 * GiB, 100 * MiB)};
    invs[3].n = 2;
    invs[3].dev[0] = gpu("a", 8 * GiB, 500 * MiB);
    invs[3].dev[1] = gpu("b", 12 * GiB, 700 * MiB);
    int plans = 0;
    for (int fi = 0; fi < FX_N_ALL; fi++)
        for (size_t ti = 0; ti < 4; ti++)
            for (size_t ci = 0; ci < 5; ci++)
                for (size_t ki = 0; ki < 3; ki++)
                    for (int gi = 0; gi < 4; gi++) {
                        const mem_model *m = &FX[fi].m;
                        plan_params p;
                        plan_params_default(&p);
                        p.target = targets[ti];
                        p.n_ctx = ctxs[ci];
                        p.type_k = p.type_v = kvs[ki];
                        plan_result r;
                        fc_err e = {0};
                        char what[160];
                        snprintf(what, sizeof what, "%s target %.1f ctx %u kv %d gpus %d", FX_ALL[fi]->name, targets[ti],
                                 ctxs[ci], kvs[ki], gi);
                        if (plan_compute(m, &invs[gi], &p, &r, &e)) { CHECK_MSG(0, "%s: %s", what, e.msg); continue; }
                        plans++;
                        check_plan_sane(m, &r, what);
                        CHECK(!r.over_budget);
                        for (int w = 0; w < r.n_warnings; w++) CHECK_MSG(strstr(r.warnings[w], "trained context"), "%s: %s", what, r.warnings[w]);
                        uint32_t L = r.n_gpu_layers;
                        if (invs[gi].n == 1) {
                            if (!r.head_on_gpu) {
                                CHECK_EQ_INT(L, 0);
                                CHECK_MSG(dev_total(m, &r.cfg, MEM_DEV_GPU, m->n_layer, 0, true) > r.dev[0].budget,
                                          "%s: the head would fit", what);
                            } else if (L < m->n_layer) {
                                CHECK_MSG(dev_total(m, &r.cfg, MEM_DEV_GPU, m->n_layer - L - 1, L + 1, true) > r.dev[0].budget,
                                          "%s: %u layers planned but %u fit", what, L, L + 1);
                            }
                        } else {
                            uint64_t b[2] = {r.dev[0].budget, r.dev[1].budget};
                            CHECK((int)r.dev[0].head + (int)r.dev[1].head == (int)r.head_on_gpu);
                            if (r.dev[0].head) CHECK(r.dev[1].n_layers == 0); /* nothing after the head's GPU */
                            /* maximal over both choices of the head's GPU */
                            if (r.head_on_gpu && L < m->n_layer)
                                CHECK_MSG(!any_split2(m, &r.cfg, b, L + 1) &&
                                              dev_total(m, &r.cfg, MEM_DEV_GPU, m->n_layer - L - 1, L + 1, true) > b[0],
                                          "%s: %u layers planned but %u fit", what, L, L + 1);
                        }
                    }
    CHECK_EQ_INT(plans, FX_N_ALL * 4 * 5 * 3 * 4);
}

/* The original feature's example: Mistral-7B Q4_K_M, 8 GiB card with
 * 857 MiB used, 80 %, 32K f16. Its formula promised 8 layers from 512 MiB
 * KV per layer; with GQA's 128 MiB the expected count is derived here by
 * walking layers from the last one. */
static void test_original_example(void) {
    const mem_model *m = fx(&FX_MISTRAL_7B);
    gpu_inventory inv = inv1(8192 * MiB, 857 * MiB);
    plan_params p;
    plan_params_default(&p);
    p.n_ctx = 32768;
    plan_result r;
    fc_err e = {0};
    CHECK(plan_compute(m, &inv, &p, &r, &e) == 0);
    uint64_t budget = (uint64_t)(0.8 * 8192 * MiB) - 857 * MiB;
    CHECK_EQ_U64(r.dev[0].budget, budget);
    /* Fixed cost, buffers and the head (Q6_K 4096 × 32000 + norm) first. */
    uint64_t used = 300 * MiB + r.dev[0].bytes.buffers + 32000ull * 4096 / 256 * 210 + 4096 * 4;
    uint32_t n = 0;
    while (n < 32) {
        uint64_t layer = m->layer_weights[31 - n] + 128 * MiB;
        if (used + layer > budget) break;
        used += layer;
        n++;
    }
    CHECK_EQ_INT(r.n_gpu_layers, n);
    CHECK(n >= 19 && n <= 21); /* far more than the original's 8 */
    CHECK_EQ_U64(r.dev[0].bytes.total, used);
    CHECK(r.head_on_gpu);
    CHECK(has_line(r.reasons, r.n_reasons, "LAYERS auto"));
}

/* Keeping every position's logits (fitchat run --logits-out) costs n_batch
 * rows of n_vocab floats instead of one on the CPU and on the device with the
 * head, and nothing elsewhere. */
static void test_all_logits(void) {
    const mem_model *m = fx(&FX_MISTRAL_7B);
    gpu_inventory inv = inv1(24576 * MiB, 0);
    plan_params p;
    plan_params_default(&p);
    p.layers = 32;
    p.n_batch = 64;
    plan_result one, all;
    fc_err e = {0};
    CHECK(plan_compute(m, &inv, &p, &one, &e) == 0);
    p.all_logits = true;
    CHECK(plan_compute(m, &inv, &p, &all, &e) == 0);
    CHECK(one.head_on_gpu && all.head_on_gpu);
    const uint64_t extra = 63ull * 32000 * sizeof(float);
    CHECK_EQ_U64(all.cpu.buffers, one.cpu.buffers + extra);
    CHECK_EQ_U64(all.dev[0].bytes.buffers, one.dev[0].bytes.buffers + extra);
    CHECK_EQ_U64(all.cpu.kv, one.cpu.kv);
}

static void test_layers_explicit(void) {
    const mem_model *m = fx(&FX_MISTRAL_7B);
    gpu_inventory inv = inv1(8 * GiB, 857 * MiB);
    plan_params p;
    plan_params_default(&p);
    plan_result r;
    fc_err e = {0};
    p.layers = 7;
    CHECK(plan_compute(m, &inv, &p, &r, &e) == 0);
    CHECK_EQ_INT(r.n_gpu_layers, 7);
    CHECK_EQ_INT(r.dev[0].first_layer, 25);
    CHECK(r.head_on_gpu && r.n_warnings == 0);
    char more[64]; /* the reason says how many auto would take */
    snprintf(more, sizeof more, "LAYERS 7: set by LAYERS / -ngl (up to %d would fit", r.max_fit);
    CHECK_MSG(r.max_fit > 7 && has_line(r.reasons, r.n_reasons, more), "max_fit %d", r.max_fit);
    p.layers = 100; /* more than the model has: everything */
    CHECK(plan_compute(m, &inv, &p, &r, &e) == 0);
    CHECK_EQ_INT(r.n_gpu_layers, 32);
    p.layers = 0;
    CHECK(plan_compute(m, &inv, &p, &r, &e) == 0);
    CHECK(r.n_gpu_layers == 0 && !r.head_on_gpu && r.dev[0].bytes.total == 0);
    /* Too many for the card: honoured, with a warning naming the largest N. */
    p.layers = 32;
    p.n_ctx = 32768;
    CHECK(plan_compute(m, &inv, &p, &r, &e) == 0);
    CHECK_EQ_INT(r.n_gpu_layers, 32);
    CHECK(r.over_budget && r.n_warnings == 1 && r.dev[0].headroom < 0);
    char want[64];
    snprintf(want, sizeof want, "the largest that fits is %d", r.max_fit);
    CHECK_MSG(strstr(r.warnings[0], want), "warning: %s", r.warnings[0]);
    CHECK(r.max_fit > 0 && r.max_fit < 32);
}

static void test_kv_auto(void) {
    const mem_model *m = fx(&FX_MISTRAL_7B);
    plan_params p;
    plan_params_default(&p);
    p.type_k = p.type_v = PLAN_AUTO;
    plan_result r, rq;
    fc_err e = {0};
    /* A big card: f16 already holds everything. */
    gpu_inventory big = inv1(24 * GiB, 0);
    p.n_ctx = 8192;
    CHECK(plan_compute(m, &big, &p, &r, &e) == 0);
    CHECK_EQ_INT(r.cfg.type_k, GGML_TYPE_F16);
    CHECK_EQ_INT(r.n_gpu_layers, 32);
    /* 8 GiB at 32K: more compression, more layers; auto takes the most. */
    gpu_inventory small = inv1(8 * GiB, 857 * MiB);
    p.n_ctx = 32768;
    CHECK(plan_compute(m, &small, &p, &r, &e) == 0);
    uint32_t best = 0;
    int32_t best_t = -1;
    const int32_t order[] = {GGML_TYPE_F16, GGML_TYPE_Q8_0, GGML_TYPE_Q4_0};
    for (int i = 0; i < 3; i++) {
        plan_params q = p;
        q.type_k = q.type_v = order[i];
        CHECK(plan_compute(m, &small, &q, &rq, &e) == 0);
        if (best_t < 0 || rq.n_gpu_layers > best) { best = rq.n_gpu_layers; best_t = order[i]; }
    }
    CHECK_EQ_INT(r.cfg.type_k, best_t);
    CHECK_EQ_INT(r.cfg.type_v, best_t);
    CHECK_EQ_INT(r.n_gpu_layers, best);
    CHECK(has_line(r.reasons, r.n_reasons, "least compressed"));
    /* the reason names each type's recorded quality cost and the bound */
    char kl[64];
    snprintf(kl, sizeof kl, "q4_0 (KL %.3g)", PLAN_KV_KL_Q4_0);
    CHECK(has_line(r.reasons, r.n_reasons, kl));
    snprintf(kl, sizeof kl, "at most KL %.3g", PLAN_KV_AUTO_MAX_KL);
    CHECK(has_line(r.reasons, r.n_reasons, kl));
    CHECK(plan_kv_cost(GGML_TYPE_F16) == 0 && plan_kv_cost(GGML_TYPE_F32) == 0);
    CHECK(plan_kv_cost(GGML_TYPE_Q8_0) > 0 && plan_kv_cost(GGML_TYPE_Q8_0) < plan_kv_cost(GGML_TYPE_Q4_0));
    CHECK(plan_kv_cost(GGML_TYPE_Q4_K) < 0);
    /* every type auto may take is under the bound (q4_0 only since the rotation) */
    CHECK(plan_kv_cost(GGML_TYPE_Q4_0) <= PLAN_KV_AUTO_MAX_KL);
    /* An explicit V type stays; only K is decided. */
    p.type_v = GGML_TYPE_Q8_0;
    CHECK(plan_compute(m, &small, &p, &r, &e) == 0);
    CHECK_EQ_INT(r.cfg.type_v, GGML_TYPE_Q8_0);
}

static void test_ctx_auto(void) {
    const mem_model *m = fx(&FX_MISTRAL_7B);
    gpu_inventory inv = inv1(8 * GiB, 857 * MiB);
    plan_params p;
    plan_params_default(&p);
    p.n_ctx = PLAN_AUTO;
    plan_result r, r2;
    fc_err e = {0};
    CHECK(plan_compute(m, &inv, &p, &r, &e) == 0);
    CHECK(r.cfg.n_ctx >= 4096 && r.cfg.n_ctx <= 32768);
    CHECK_EQ_INT(r.n_gpu_layers, 32);
    CHECK(r.cfg.n_ctx % 256 == 0 || r.cfg.n_ctx == 32768);
    plan_params q = p;
    q.n_ctx = r.cfg.n_ctx + 256;
    if (r.cfg.n_ctx < 32768) {
        CHECK(plan_compute(m, &inv, &q, &r2, &e) == 0);
        CHECK_MSG(r2.n_gpu_layers < 32, "n_ctx %u + 256 still fits", r.cfg.n_ctx);
    }
    /* Big card: capped by N_CTX_MAX; tiny card: never below N_CTX_MIN. */
    gpu_inventory big = inv1(80 * GiB, 0);
    CHECK(plan_compute(m, &big, &p, &r, &e) == 0);
    CHECK_EQ_INT(r.cfg.n_ctx, 32768);
    p.n_ctx_max = 20000;
    CHECK(plan_compute(m, &big, &p, &r, &e) == 0);
    CHECK_EQ_INT(r.cfg.n_ctx, 20000);
    gpu_inventory tiny = inv1(2 * GiB, 0);
    CHECK(plan_compute(m, &tiny, &p, &r, &e) == 0);
    CHECK_EQ_INT(r.cfg.n_ctx, 4096);
    /* Llama-2 is trained at 4096: the cap is the trained context. */
    CHECK(plan_compute(fx(&FX_LLAMA2_7B), &big, &p, &r, &e) == 0);
    CHECK_EQ_INT(r.cfg.n_ctx, 4096);
    /* Default: trained capped at 4096. */
    p.n_ctx = 0;
    CHECK(plan_compute(m, &big, &p, &r, &e) == 0);
    CHECK_EQ_INT(r.cfg.n_ctx, 4096);
}

static void test_no_gpu(void) {
    gpu_inventory none = {.n = 0};
    snprintf(none.reason, sizeof none.reason, "NVML: libnvidia-ml.so.1 not found");
    plan_params p;
    plan_params_default(&p);
    p.layers = 10;
    plan_result r;
    fc_err e = {0};
    CHECK(plan_compute(fx(&FX_QWEN25_7B), &none, &p, &r, &e) == 0);
    CHECK_EQ_INT(r.n_gpu_layers, 0);
    CHECK_EQ_INT(r.cpu_layers, 28);
    CHECK(has_line(r.reasons, r.n_reasons, "no GPU (NVML: libnvidia-ml.so.1 not found)"));
    CHECK(r.cpu.weights == FX[3].m.data_bytes); /* everything, head included */
    p.layers = PLAN_AUTO;
    p.type_k = p.type_v = PLAN_AUTO;
    p.n_ctx = PLAN_AUTO;
    CHECK(plan_compute(fx(&FX_QWEN25_7B), &none, &p, &r, &e) == 0);
    CHECK_EQ_INT(r.cfg.type_k, GGML_TYPE_F16);
    CHECK_EQ_INT(r.cfg.n_ctx, 4096);
}

/* REPACK auto: the copy where the host's memory holds it with the mapped
 * weights and the rest, off (with its reason, the context kept) where not;
 * REPACK on keeps it and the context shrinks instead. */
static void test_repack_auto(void) {
    gpu_inventory none = {.n = 0};
    snprintf(none.host_source, sizeof none.host_source, "MemAvailable (test)");
    plan_params p;
    plan_params_default(&p);
    p.repack = MEM_REPACK_X8;
    p.repack_auto = true;
    p.n_ctx = PLAN_AUTO;
    plan_result r;
    fc_err e = {0};
    const mem_model *m = fx(&FX_MISTRAL_7B);
    none.host_avail = 64 * GiB;
    CHECK(plan_compute(m, &none, &p, &r, &e) == 0);
    const uint64_t rp = r.cpu.repacked, w = r.cpu.weights, rest = plan_host_need(&r) - rp;
    const uint32_t ctx = r.cfg.n_ctx;
    CHECK(rp > 3 * GiB && r.cfg.repack == MEM_REPACK_X8);
    CHECK(!has_line(r.reasons, r.n_reasons, "REPACK auto"));
    none.host_avail = rp + w + rest; /* exactly enough */
    CHECK(plan_compute(m, &none, &p, &r, &e) == 0);
    CHECK_EQ_U64(r.cpu.repacked, rp);
    none.host_avail = rp + w + rest - 1;
    CHECK(plan_compute(m, &none, &p, &r, &e) == 0);
    CHECK_EQ_U64(r.cpu.repacked, 0);
    CHECK_EQ_INT(r.cfg.repack, MEM_REPACK_OFF);
    CHECK_EQ_INT(r.cfg.n_ctx, ctx);
    CHECK(has_line(r.reasons, r.n_reasons, "repacked weights: off (REPACK auto)"));
    CHECK(plan_host_need(&r) <= none.host_avail);
    CHECK(!has_line(r.warnings, r.n_warnings, "read from disk again")); /* rest + weights fit */
    /* the allocations fit, but not with the mapped weights beside them: a warning */
    p.n_ctx = 4096;
    p.repack_auto = false;
    p.repack = MEM_REPACK_OFF;
    CHECK(plan_compute(m, &none, &p, &r, &e) == 0);
    none.host_avail = plan_host_need(&r) + r.cpu.weights - 1;
    CHECK(plan_compute(m, &none, &p, &r, &e) == 0);
    CHECK_MSG(has_line(r.warnings, r.n_warnings, "parts of the weights will be read from disk again"), "%d warnings",
              r.n_warnings);
    none.host_avail += 1;
    CHECK(plan_compute(m, &none, &p, &r, &e) == 0);
    CHECK(!has_line(r.warnings, r.n_warnings, "read from disk again"));
    p.n_ctx = PLAN_AUTO;
    p.repack = MEM_REPACK_X8;
    p.repack_auto = true;
    none.host_avail = rp + w + rest - 1;
    p.repack_auto = false; /* REPACK on: the copy stays, it fits without the mapped weights */
    CHECK(plan_compute(m, &none, &p, &r, &e) == 0);
    CHECK_EQ_U64(r.cpu.repacked, rp);
    none.host_avail = rp + rest / 2; /* on, short: the context shrinks to fit */
    CHECK(plan_compute(m, &none, &p, &r, &e) == 0);
    CHECK_EQ_U64(r.cpu.repacked, rp);
    CHECK(r.cfg.n_ctx < ctx && plan_host_need(&r) <= none.host_avail);
}

static void test_multi_gpu(void) {
    const mem_model *m = fx(&FX_MIXTRAL_8X7B);
    gpu_inventory inv = {.n = 2};
    inv.dev[0] = gpu("a", 24 * GiB, 0);
    inv.dev[1] = gpu("b", 12 * GiB, 0);
    plan_params p;
    plan_params_default(&p);
    plan_result r;
    fc_err e = {0};
    CHECK(plan_compute(m, &inv, &p, &r, &e) == 0);
    check_plan_sane(m, &r, "mixtral 24+12");
    CHECK(r.dev[1].head && !r.dev[0].head);
    CHECK(r.dev[0].n_layers > r.dev[1].n_layers); /* the bigger card takes more */
    CHECK(has_line(r.reasons, r.n_reasons, "2 GPUs"));
    /* A small last card that cannot hold the head must not leave a large one idle: the
     * head and every layer go on the first (a 24 GiB card and a 6 GiB one with 4.4 GiB
     * in use by others). */
    const mem_model *m7 = fx(&FX_LLAMA2_7B);
    inv.dev[0] = gpu("big", 24 * GiB, 300 * MiB);
    inv.dev[1] = gpu("small", 6 * GiB, 4500 * MiB);
    CHECK(plan_compute(m7, &inv, &p, &r, &e) == 0);
    check_plan_sane(m7, &r, "7b 24+6(used)");
    CHECK_MSG(r.head_on_gpu && r.dev[0].head && !r.dev[1].head && r.n_gpu_layers == m7->n_layer,
              "head on 0: %d, on 1: %d, layers %u", r.dev[0].head, r.dev[1].head, r.n_gpu_layers);
    CHECK(dev_total(m7, &r.cfg, MEM_DEV_GPU, m7->n_layer, 0, true) > r.dev[1].budget); /* the case is real */
    CHECK(has_line(r.reasons, r.n_reasons, "the head and the last layers on GPU"));
    /* An emulated device pays no fixed cost. */
    inv.n = 1;
    inv.dev[0] = gpu("emulated", 2 * GiB, 0);
    inv.dev[0].emulated = true;
    CHECK(plan_compute(fx(&FX_LLAMA2_7B), &inv, &p, &r, &e) == 0);
    CHECK(r.dev[0].kind == MEM_DEV_EMULATED && r.dev[0].bytes.fixed == 0 && r.n_gpu_layers > 0);
}

static void test_vram_reserve(void) {
    gpu_device g = gpu("x", 8 * GiB, 1 * GiB);
    plan_params p;
    plan_params_default(&p);
    uint64_t b0 = plan_budget(&g, &p);
    CHECK_EQ_U64(b0, (uint64_t)(0.8 * 8 * GiB) - GiB);
    p.vram_reserve = 1536 * MiB;
    CHECK_EQ_U64(plan_budget(&g, &p), b0 - 1536 * MiB);
    /* Free memory minus the safety reserve caps the budget. */
    g.free = 2 * GiB;
    p.vram_reserve = 0;
    CHECK_EQ_U64(plan_budget(&g, &p), 2 * GiB - PLAN_SAFETY_RESERVE);
    p.vram_reserve = 100 * GiB;
    CHECK_EQ_U64(plan_budget(&g, &p), 0);
}

static void test_bad_params(void) {
    plan_params p;
    fc_err e;
#define BAD(stmt, a, b, c) do { plan_params_default(&p); stmt; e.msg[0] = 0; \
        CHECK(plan_params_validate(&p, &e) < 0 && e.code == FC_EINPUT); \
        CHECK_MSG(strstr(e.msg, a) && strstr(e.msg, b) && strstr(e.msg, c), "message: %s", e.msg); } while (0)
    BAD(p.layers = -5, "LAYERS (-ngl)", "-5", "\"auto\" or an integer >= 0");
    BAD(p.target = 1.5, "TARGET_VRAM_USAGE (--target)", "1.5", "0 < x <= 1");
    BAD(p.target = 0, "TARGET_VRAM_USAGE", "= 0", "0 < x <= 1");
    BAD(p.target = -0.2, "TARGET_VRAM_USAGE", "-0.2", "0 < x <= 1");
    BAD(p.type_k = GGML_TYPE_Q4_K, "KV_CACHE_QUANT (-ctk)", "Q4_K", "auto, f32, f16, q8_0, q4_0");
    BAD(p.type_v = GGML_TYPE_Q5_0, "KV_CACHE_QUANT (-ctv)", "Q5_0", "f16");
    BAD(p.n_ctx = -7, "N_CTX (-c)", "-7", "\"auto\" or 16..16777216");
    BAD(p.n_ctx = 1ll << 30, "N_CTX (-c)", "1073741824", "16..16777216");
    BAD(p.n_ctx = 15, "N_CTX (-c)", "15", "16..16777216");
    BAD(p.n_ctx_min = 50000, "N_CTX_MIN", "50000", "N_CTX_MAX (32768)");
    BAD(p.n_ctx_max = 0, "N_CTX_MAX", "0", "1..16777216");
    BAD(p.flash = 3, "FLASH_ATTN (-fa)", "3", "auto, on, off");
    BAD(p.n_batch = 0, "N_BATCH (-b)", "0", "1..8192");
    BAD(p.n_batch = 8193, "N_BATCH (-b)", "8193", "1..8192"); /* the engine's limit, the config's too */
    BAD(p.fixed_cost = -9, "FIXED_COST (--fixed-cost)", "-9", ">= 0");
    plan_params_default(&p);
    CHECK(plan_params_validate(&p, &e) == 0);
    /* plan_compute validates too. */
    p.target = 2;
    plan_result r;
    gpu_inventory inv = inv1(8 * GiB, 0);
    CHECK(plan_compute(fx(&FX_LLAMA2_7B), &inv, &p, &r, &e) < 0);
}

int main(void) {
    if (load_all()) {
        printf("@@ 0 1 0\n");
        return 1;
    }
    T_RUN(test_sweep_budget_and_maximal);
    T_RUN(test_original_example);
    T_RUN(test_layers_explicit);
    T_RUN(test_all_logits);
    T_RUN(test_kv_auto);
    T_RUN(test_ctx_auto);
    T_RUN(test_no_gpu);
    T_RUN(test_repack_auto);
    T_RUN(test_multi_gpu);
    T_RUN(test_vram_reserve);
    T_RUN(test_bad_params);
    for (int i = 0; i < FX_N_ALL; i++) {
        mem_model_free(&FX[i].m);
        model_desc_free(&FX[i].d);
        gguf_close(FX[i].f);
    }
    return t_done();
}
