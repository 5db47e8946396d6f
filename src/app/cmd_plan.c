/* fitchat plan MODEL — the memory plan: GPUs, model, per-layer sizes, the
 * layers that fit at 60-90 % targets, the chosen plan with its reasons, and
 * the context × KV type table. --json for scripts. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../format/ggml_types.h"
#include "../model/arch.h"
#include "../plan/planner.h"
#include "../util/fmt.h"
#include "cmd_gpu.h"
#include "commands.h"
#include "config.h"
#include "session.h"

#define MiBf(x) ((double)(x) / 1048576.0)

static void usage(FILE *out) {
    fprintf(out,
            "usage: fitchat plan [OPTIONS] [MODEL.gguf]\n\n"
            "Plans GPU offloading and memory for a model (nothing is loaded). It reads the same\n"
            "settings as the chat (defaults, then modelconf.json: ./, $XDG_CONFIG_HOME/fitchat/ or\n"
            "--config FILE, then flags), so in a folder with a modelconf.json it plans what `fitchat chat`\n"
            "and `fitchat run` will run there.\n"
            "  MODEL                the model (else MODEL / -m, else the default model)\n"
            "  --fixed-cost SIZE    per-GPU CUDA context cost to plan with (default: measured or 300MiB;\n"
            "                       env FITCHAT_FIXED_COST)\n"
            "  --json               machine-readable output\n"
            "  -np, --parallel N|auto\n"
            "                       plan N sequences, each with its own KV cache: what `fitchat serve -np N`\n"
            "                       runs (default 1, the chat)\n"
            "  --items              every item the plan places on each device (the allocation manifest:\n"
            "                       tensors, KV halves, work buffers, fixed cost), in the order the\n"
            "                       engine allocates them\n"
            "  -h, --help           this text\n\n"
            "Settings (modelconf.json keys in brackets):\n");
    config_print_flags(out);
    fprintf(out, "\n--gpu SPEC plans for a described GPU instead of asking the driver: 8GiB |\n"
                 "name=RTX 3070,total=8GiB,used=857MiB | sim:512MiB. --ram SIZE likewise for the host.\n");
}

typedef struct plan_flags {
    bool json, help, items;
    const char *model;       /* positional MODEL */
    int64_t fixed_cost;      /* -1: the default */
    int32_t n_seq;           /* --parallel: 1 (the chat), N, or PLAN_AUTO (as fitchat serve) */
} plan_flags;

static int plan_extra(void *ctx, int argc, char **argv, int i, fc_err *err) {
    plan_flags *fl = ctx;
    const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "--json")) { fl->json = true; return 1; }
    if (!strcmp(a, "--items")) { fl->items = true; return 1; }
    if (!strcmp(a, "--parallel") || !strcmp(a, "-np")) { /* the server's slots (N_PARALLEL) */
        char *end = NULL;
        long n = val ? strtol(val, &end, 10) : 0;
        if (val && !strcmp(val, "auto")) fl->n_seq = PLAN_AUTO;
        else if (!val || end == val || *end || n < 1 || n > (long)FC_N_SEQ_MAX)
            return fc_errf(err, FC_EINPUT, "%s %s: must be auto or a number from 1 to %u", a, val ? val : "(missing)",
                           FC_N_SEQ_MAX);
        else fl->n_seq = (int32_t)n;
        return 2;
    }
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) { fl->help = true; return 1; }
    if (!strcmp(a, "--fixed-cost")) {
        uint64_t b;
        if (!val || parse_bytes(val, &b)) return fc_errf(err, FC_EINPUT, "--fixed-cost: needs a size such as 300MiB");
        fl->fixed_cost = (int64_t)b;
        return 2;
    }
    if (a[0] != '-') {
        if (fl->model) return fc_errf(err, FC_EINPUT, "more than one model given ('%s', '%s')", fl->model, a);
        fl->model = a;
        return 1;
    }
    return 0;
}

typedef struct {
    double target;
    uint32_t layers;
    bool head;
    uint64_t vram, total;
} target_row;

static uint64_t gpu_total_mem(const gpu_inventory *inv) {
    uint64_t t = 0;
    for (int i = 0; i < inv->n; i++) t += inv->dev[i].total;
    return t;
}

/* The manifest of one device, as JSON items or text lines. */
typedef struct { cJSON *arr; const char *device; } items_out;

static int item_json(void *ctx, const mem_item *it) {
    items_out *o = ctx;
    cJSON *x = cJSON_CreateObject();
    cJSON_AddStringToObject(x, "kind", mem_item_kind_name(it->kind));
    cJSON_AddNumberToObject(x, "layer", it->layer);
    cJSON_AddStringToObject(x, "name", it->name);
    cJSON_AddNumberToObject(x, "bytes", (double)it->bytes);
    if (it->kind == MEM_ITEM_WEIGHTS) cJSON_AddBoolToObject(x, "mapped", it->mapped);
    cJSON_AddItemToArray(o->arr, x);
    return 0;
}

static int item_text(void *ctx, const mem_item *it) {
    const items_out *o = ctx;
    char b[32], layer[16] = "-";
    if (it->layer >= 0) snprintf(layer, sizeof layer, "%d", it->layer);
    printf("  %-20.20s %-8s %5s  %-36s %12s%s\n", o->device, mem_item_kind_name(it->kind), layer, it->name,
           fmt_bytes(b, sizeof b, it->bytes), it->mapped ? "  (mapped)" : "");
    return 0;
}

static void add_bytes(cJSON *o, const mem_bytes *b) {
    cJSON_AddNumberToObject(o, "weights", (double)b->weights);
    cJSON_AddNumberToObject(o, "kv", (double)b->kv);
    cJSON_AddNumberToObject(o, "buffers", (double)b->buffers);
    cJSON_AddNumberToObject(o, "fixed", (double)b->fixed);
    cJSON_AddNumberToObject(o, "repacked", (double)b->repacked);
    cJSON_AddNumberToObject(o, "total", (double)b->total);
}

static const uint32_t CTX_ROWS[] = {2048, 4096, 8192, 16384, 32768};
static const uint32_t KV_COLS[] = {GGML_TYPE_F16, GGML_TYPE_Q8_0, GGML_TYPE_Q4_0};
#define N_CTX_ROWS 5
#define N_KV_COLS 3

int cmd_plan(int argc, char **argv) {
    plan_flags fl = {.fixed_cost = -1, .n_seq = 1};
    fc_config cfg;
    fc_err err = {0};
    const char *fc_env = getenv("FITCHAT_FIXED_COST");
    if (fc_env && *fc_env) {
        uint64_t b;
        if (parse_bytes(fc_env, &b)) {
            fprintf(stderr, "fitchat plan: FITCHAT_FIXED_COST = '%s' is not valid: allowed a size such as 300MiB\n", fc_env);
            return 2;
        }
        fl.fixed_cost = (int64_t)b;
    }
    int lrc = cmd_load_settings_ex("plan", &cfg, argc - 1, argv + 1, plan_extra, &fl, CONFIG_NO_GEN);
    if (lrc) return lrc;
    if (fl.help) {
        usage(stdout);
        config_free(&cfg);
        return 0;
    }
    if (fl.model && cfg.origin[FC_SET_MODEL].src == FC_SRC_FLAG) {
        fprintf(stderr, "fitchat plan: more than one model given ('%s' and %s %s)\n", fl.model,
                cfg.origin[FC_SET_MODEL].name, cfg.model);
        config_free(&cfg);
        return 2;
    }
    if ((fl.model && config_set_key(&cfg, "MODEL", fl.model, "MODEL", &err)) || config_validate(&cfg, &err)) {
        fprintf(stderr, "fitchat plan: %s\n", err.msg);
        config_free(&cfg);
        return 2;
    }
    char defpath[1024], why[1200];
    if (!default_model_path(defpath, sizeof defpath, why, sizeof why) && !strcmp(defpath, cfg.model)) {
        fprintf(stderr, "fitchat plan: %s\n", why);
        config_free(&cfg);
        return 2;
    }
    const char *model = cfg.model;
    plan_params p;
    session_plan_params(&cfg, false, &p);
    if (fl.fixed_cost >= 0) p.fixed_cost = fl.fixed_cost;
    p.n_seq = fl.n_seq;
    bool json = fl.json;
    if (plan_params_validate(&p, &err)) { fprintf(stderr, "fitchat plan: %s\n", err.msg); config_free(&cfg); return 2; }
    gpu_inventory inv;
    if (session_inventory(&cfg, &inv, &err)) {
        fprintf(stderr, "fitchat plan: %s\n", err.msg);
        config_free(&cfg);
        return err.code == FC_EINPUT ? 2 : 1;
    }
    gguf_file *f = gguf_open(model, &err);
    if (!f) { fprintf(stderr, "fitchat plan: %s\n", err.msg); config_free(&cfg); return err.code == FC_EINPUT ? 2 : 1; }
    model_desc d;
    mem_model m;
    int rc = 0;
    if (model_desc_load(f, &d, &err)) { fprintf(stderr, "fitchat plan: %s\n", err.msg); gguf_close(f); config_free(&cfg); return 2; }
    if (mem_model_init(&m, f, &d, &err)) { fprintf(stderr, "fitchat plan: %s\n", err.msg); rc = 2; goto out_desc; }

    plan_result r;
    if (plan_compute(&m, &inv, &p, &r, &err)) { fprintf(stderr, "fitchat plan: %s\n", err.msg); rc = err.code == FC_EINPUT ? 2 : 1; goto out; }

    /* Targets 60..90 % and the context × KV table, all with LAYERS auto. */
    target_row rows[4];
    uint64_t tot = gpu_total_mem(&inv);
    for (int i = 0; i < 4; i++) {
        plan_params q = p;
        q.target = 0.6 + 0.1 * i;
        q.n_ctx = r.cfg.n_ctx;
        q.type_k = (int32_t)r.cfg.type_k;
        q.type_v = (int32_t)r.cfg.type_v;
        q.flash = r.cfg.flash;
        plan_result t;
        rows[i] = (target_row){q.target, 0, false, 0, tot};
        if (plan_compute(&m, &inv, &q, &t, NULL) == 0) {
            rows[i].layers = t.n_gpu_layers;
            rows[i].head = t.head_on_gpu;
            rows[i].vram = plan_gpu_total(&t);
        }
    }
    uint32_t n_rows = 0, ctx_rows[N_CTX_ROWS];
    for (int i = 0; i < N_CTX_ROWS; i++)
        if (!d.n_ctx_train || CTX_ROWS[i] <= d.n_ctx_train) ctx_rows[n_rows++] = CTX_ROWS[i];
    struct { uint32_t layers; uint64_t vram; bool ok; } table[N_CTX_ROWS][N_KV_COLS];
    for (uint32_t i = 0; i < n_rows; i++)
        for (int k = 0; k < N_KV_COLS; k++) {
            plan_params q = p;
            q.layers = PLAN_AUTO;
            q.n_ctx = ctx_rows[i];
            q.type_k = q.type_v = (int32_t)KV_COLS[k];
            q.flash = r.cfg.flash;
            plan_result t;
            table[i][k].ok = plan_compute(&m, &inv, &q, &t, NULL) == 0;
            table[i][k].layers = t.n_gpu_layers;
            table[i][k].vram = plan_gpu_total(&t);
        }

    uint64_t wsum = 0, kvsum = 0;
    for (uint32_t il = 0; il < m.n_layer; il++) {
        wsum += m.layer_weights[il];
        kvsum += mem_n_seq(&r.cfg) * mem_kv_layer_bytes(&d, il, r.cfg.n_ctx, r.cfg.type_k, r.cfg.type_v);
    }

    if (json) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "model", model);
        cJSON_AddNumberToObject(o, "file_bytes", (double)m.file_size);
        cJSON_AddStringToObject(o, "arch", d.arch);
        cJSON_AddBoolToObject(o, "runnable", arch_runnable(&d)); /* whether fitchat's engine runs it */
        cJSON_AddNumberToObject(o, "n_layer", m.n_layer);
        cJSON_AddNumberToObject(o, "n_ctx_train", d.n_ctx_train);
        cJSON_AddNumberToObject(o, "n_gpu_layers", r.n_gpu_layers);
        cJSON_AddBoolToObject(o, "output_on_gpu", r.head_on_gpu);
        cJSON_AddNumberToObject(o, "n_ctx", r.cfg.n_ctx);
        cJSON_AddStringToObject(o, "type_k", mem_kv_type_name(r.cfg.type_k));
        cJSON_AddStringToObject(o, "type_v", mem_kv_type_name(r.cfg.type_v));
        cJSON_AddBoolToObject(o, "flash_attn", r.cfg.flash);
        cJSON_AddNumberToObject(o, "n_batch", r.cfg.n_batch);
        cJSON_AddNumberToObject(o, "n_parallel", mem_n_seq(&r.cfg));
        cJSON_AddNumberToObject(o, "fixed_cost_bytes", (double)r.cfg.fixed_cost);
        cJSON_AddNumberToObject(o, "max_fit_layers", r.max_fit);
        cJSON_AddBoolToObject(o, "over_budget", r.over_budget);
        cJSON *g = cJSON_AddObjectToObject(o, "gpu_inventory");
        cJSON_AddStringToObject(g, "source", gpu_source_name(inv.source));
        cJSON_AddStringToObject(g, "driver", inv.driver);
        cJSON_AddStringToObject(g, "path", inv.path);
        cJSON_AddStringToObject(g, "reason", inv.reason);
        cJSON *ga = cJSON_AddArrayToObject(g, "gpus");
        for (int i = 0; i < inv.n; i++) {
            cJSON *x = cJSON_CreateObject();
            cJSON_AddNumberToObject(x, "index", inv.dev[i].index);
            cJSON_AddStringToObject(x, "name", inv.dev[i].name);
            cJSON_AddStringToObject(x, "uuid", inv.dev[i].uuid);
            cJSON_AddNumberToObject(x, "total_bytes", (double)inv.dev[i].total);
            cJSON_AddNumberToObject(x, "used_bytes", (double)inv.dev[i].used);
            cJSON_AddNumberToObject(x, "free_bytes", (double)inv.dev[i].free);
            cJSON_AddBoolToObject(x, "emulated", inv.dev[i].emulated);
            cJSON_AddItemToArray(ga, x);
        }
        cJSON *da = cJSON_AddArrayToObject(o, "devices");
        for (int j = 0; j < r.n_dev; j++) {
            const plan_device *pd = &r.dev[j];
            cJSON *x = cJSON_CreateObject();
            cJSON_AddNumberToObject(x, "gpu", inv.dev[pd->gpu].index);
            cJSON_AddStringToObject(x, "name", inv.dev[pd->gpu].name);
            cJSON_AddBoolToObject(x, "emulated", pd->kind == MEM_DEV_EMULATED);
            cJSON_AddNumberToObject(x, "budget_bytes", (double)pd->budget);
            cJSON_AddNumberToObject(x, "first_layer", pd->first_layer);
            cJSON_AddNumberToObject(x, "n_layers", pd->n_layers);
            cJSON_AddBoolToObject(x, "output", pd->head);
            add_bytes(cJSON_AddObjectToObject(x, "planned_bytes"), &pd->bytes);
            cJSON_AddNumberToObject(x, "headroom_bytes", (double)pd->headroom);
            if (fl.items) {
                items_out io = {cJSON_AddArrayToObject(x, "items"), NULL};
                mem_manifest(&m, &r.cfg, pd->kind, pd->first_layer, pd->n_layers, pd->head, item_json, &io);
            }
            cJSON_AddItemToArray(da, x);
        }
        cJSON *c = cJSON_AddObjectToObject(o, "cpu");
        cJSON_AddNumberToObject(c, "n_layers", r.cpu_layers);
        cJSON_AddBoolToObject(c, "output", !r.head_on_gpu);
        add_bytes(cJSON_AddObjectToObject(c, "planned_bytes"), &r.cpu);
        if (fl.items) {
            items_out io = {cJSON_AddArrayToObject(c, "items"), NULL};
            mem_manifest(&m, &r.cfg, MEM_DEV_CPU, 0, r.cpu_layers, !r.head_on_gpu, item_json, &io);
        }
        cJSON *h = cJSON_AddObjectToObject(o, "host");
        cJSON_AddNumberToObject(h, "available_bytes", (double)inv.host_avail);
        cJSON_AddStringToObject(h, "source", inv.host_source);
        cJSON_AddNumberToObject(h, "allocated_bytes", (double)plan_host_need(&r));
        cJSON *la = cJSON_AddArrayToObject(o, "layers");
        for (uint32_t il = 0; il < m.n_layer; il++) {
            cJSON *x = cJSON_CreateObject();
            int dj = plan_layer_device(&r, il);
            cJSON_AddNumberToObject(x, "index", il);
            cJSON_AddNumberToObject(x, "device", dj < 0 ? -1 : inv.dev[r.dev[dj].gpu].index);
            cJSON_AddNumberToObject(x, "weight_bytes", (double)m.layer_weights[il]);
            cJSON_AddNumberToObject(x, "kv_bytes",
                                    (double)(mem_n_seq(&r.cfg) * mem_kv_layer_bytes(&d, il, r.cfg.n_ctx, r.cfg.type_k, r.cfg.type_v)));
            cJSON_AddNumberToObject(x, "n_ctx", mem_layer_ctx(&d, il, r.cfg.n_ctx));
            cJSON_AddItemToArray(la, x);
        }
        cJSON *ra = cJSON_AddArrayToObject(o, "reasons");
        for (int i = 0; i < r.n_reasons; i++) cJSON_AddItemToArray(ra, cJSON_CreateString(r.reasons[i]));
        cJSON *wa = cJSON_AddArrayToObject(o, "warnings");
        for (int i = 0; i < r.n_warnings; i++) cJSON_AddItemToArray(wa, cJSON_CreateString(r.warnings[i]));
        cJSON *ta = cJSON_AddArrayToObject(o, "targets");
        for (int i = 0; i < 4; i++) {
            cJSON *x = cJSON_CreateObject();
            cJSON_AddNumberToObject(x, "target", rows[i].target);
            cJSON_AddNumberToObject(x, "n_gpu_layers", rows[i].layers);
            cJSON_AddBoolToObject(x, "output_on_gpu", rows[i].head);
            cJSON_AddNumberToObject(x, "vram_bytes", (double)rows[i].vram);
            cJSON_AddItemToArray(ta, x);
        }
        cJSON *ca = cJSON_AddArrayToObject(o, "context_table");
        for (uint32_t i = 0; i < n_rows; i++)
            for (int k = 0; k < N_KV_COLS; k++) {
                cJSON *x = cJSON_CreateObject();
                cJSON_AddNumberToObject(x, "n_ctx", ctx_rows[i]);
                cJSON_AddStringToObject(x, "kv_type", mem_kv_type_name(KV_COLS[k]));
                cJSON_AddNumberToObject(x, "n_gpu_layers", table[i][k].layers);
                cJSON_AddNumberToObject(x, "vram_bytes", (double)table[i][k].vram);
                cJSON_AddItemToArray(ca, x);
            }
        char *s = cJSON_Print(o);
        if (s) { puts(s); free(s); } else rc = 1;
        cJSON_Delete(o);
        goto out;
    }

    char b1[32], b2[32], b3[32], b4[32], b5[32], b6[32];
    gpu_print_table(stdout, &inv);
    printf("\nmodel: %s\n  %s, %u layers, %s%s%s, trained context %u\n  types:", model,
           fmt_bytes(b1, sizeof b1, m.file_size), m.n_layer, d.arch, d.n_expert ? ", experts " : "",
           d.n_expert ? (snprintf(b2, sizeof b2, "%u (%u used)", d.n_expert, d.n_expert_used), b2) : "", d.n_ctx_train);
    for (uint32_t t = 0; t < GGML_TYPE_COUNT; t++)
        if (m.type_count[t]) printf(" %s %u (%s)", ggml_type_name(t), m.type_count[t], fmt_bytes(b1, sizeof b1, m.type_bytes[t]));
    printf("\n  per layer: %.1f MiB weights + %.1f MiB KV (%s/%s) @ %u = %.1f MiB%s\n", MiBf(wsum) / m.n_layer,
           MiBf(kvsum) / m.n_layer, mem_kv_type_name(r.cfg.type_k), mem_kv_type_name(r.cfg.type_v), r.cfg.n_ctx,
           MiBf(wsum + kvsum) / m.n_layer, " (average; every layer in --json)");
    printf("  outside the layers: token embeddings %s (CPU), output head %s%s, final norm %s%s%s\n",
           fmt_bytes(b1, sizeof b1, m.token_embd), fmt_bytes(b2, sizeof b2, m.output), d.tied_output ? " (tied)" : "",
           fmt_bytes(b3, sizeof b3, m.output_norm), m.shared ? ", shared " : "", m.shared ? fmt_bytes(b4, sizeof b4, m.shared) : "");
    if (!arch_runnable(&d))
        printf("  note: fitchat's engine cannot run this model yet (%s%s): this plan sizes it only; chat, run and "
               "serve refuse it\n", d.arch, d.n_expert ? " with experts" : "");

    if (inv.n) {
        printf("\ntarget   layers on GPU   planned VRAM   of total\n");
        for (int i = 0; i < 4; i++)
            printf("  %3.0f%%   %5u%-10s %12s   %5.1f%%\n", rows[i].target * 100, rows[i].layers, rows[i].head ? " + head" : "",
                   fmt_bytes(b1, sizeof b1, rows[i].vram), tot ? 100.0 * (double)rows[i].vram / (double)tot : 0.0);
    }

    printf("\nplan: %u of %u layers on the GPU%s, n_ctx %u, KV %s/%s, flash attention %s, batch %u\n", r.n_gpu_layers,
           r.n_layer, r.head_on_gpu ? " + output head" : "", r.cfg.n_ctx, mem_kv_type_name(r.cfg.type_k), mem_kv_type_name(r.cfg.type_v),
           r.cfg.flash ? "on" : "off", r.cfg.n_batch);
    printf("  %-26s %10s %10s %10s %10s %10s %10s %10s\n", "device", "layers", "weights", "KV", "buffers", "fixed", "total", "headroom");
    for (int j = 0; j < r.n_dev; j++) {
        const plan_device *pd = &r.dev[j];
        char lay[32], name[64];
        if (pd->n_layers) snprintf(lay, sizeof lay, "%u-%u%s", pd->first_layer, pd->first_layer + pd->n_layers - 1, pd->head ? "+out" : "");
        else snprintf(lay, sizeof lay, "%s", pd->head ? "out" : "-");
        snprintf(name, sizeof name, "GPU %d %s", inv.dev[pd->gpu].index, inv.dev[pd->gpu].name);
        char head_room[40]; /* over the budget: "-16.4 GiB!" */
        snprintf(head_room, sizeof head_room, "%s%s%s", pd->headroom < 0 ? "-" : "",
                 fmt_bytes(b6, sizeof b6, (uint64_t)(pd->headroom < 0 ? -pd->headroom : pd->headroom)), pd->headroom < 0 ? "!" : "");
        printf("  %-26.26s %10s %10s %10s %10s %10s %10s %10s\n", name, lay, fmt_bytes(b1, sizeof b1, pd->bytes.weights),
               fmt_bytes(b2, sizeof b2, pd->bytes.kv), fmt_bytes(b3, sizeof b3, pd->bytes.buffers),
               fmt_bytes(b4, sizeof b4, pd->bytes.fixed), fmt_bytes(b5, sizeof b5, pd->bytes.total), head_room);
        printf("  %-26s %10s budget %s\n", "", "", fmt_bytes(b1, sizeof b1, pd->budget));
    }
    {
        char lay[32];
        if (r.cpu_layers) snprintf(lay, sizeof lay, "0-%u%s", r.cpu_layers - 1, r.head_on_gpu ? "" : "+out");
        else snprintf(lay, sizeof lay, "%s", r.head_on_gpu ? "-" : "out");
        printf("  %-26s %10s %10s %10s %10s %10s %10s   (weights include token embeddings)\n", "CPU", lay,
               fmt_bytes(b1, sizeof b1, r.cpu.weights), fmt_bytes(b2, sizeof b2, r.cpu.kv),
               fmt_bytes(b3, sizeof b3, r.cpu.buffers), fmt_bytes(b4, sizeof b4, r.cpu.fixed),
               fmt_bytes(b5, sizeof b5, r.cpu.total));
        if (r.cpu.repacked)
            printf("  %-26s %10s total includes %s of repacked weights (REPACK on: copies for the prompt kernels, in "
                   "host memory)\n", "", "", fmt_bytes(b1, sizeof b1, r.cpu.repacked));
        if (inv.host_avail)
            printf("  %-26s %10s allocates %s of %s\n", "", "", fmt_bytes(b1, sizeof b1, plan_host_need(&r)),
                   inv.host_source);
    }
    if (fl.items) {
        printf("items (the allocation manifest, in allocation order):\n");
        for (int j = 0; j < r.n_dev; j++) {
            const plan_device *pd = &r.dev[j];
            char name[32];
            snprintf(name, sizeof name, "GPU %d", inv.dev[pd->gpu].index);
            items_out io = {NULL, name};
            mem_manifest(&m, &r.cfg, pd->kind, pd->first_layer, pd->n_layers, pd->head, item_text, &io);
        }
        items_out io = {NULL, "CPU"};
        mem_manifest(&m, &r.cfg, MEM_DEV_CPU, 0, r.cpu_layers, !r.head_on_gpu, item_text, &io);
    }
    printf("why:\n");
    for (int i = 0; i < r.n_reasons; i++) printf("  - %s\n", r.reasons[i]);
    for (int i = 0; i < r.n_warnings; i++) printf("warning: %s\n", r.warnings[i]);

    if (inv.n) {
        printf("\ncontext impact (layers on GPU / planned VRAM, LAYERS auto, target %.0f%%):\n  %-7s", p.target * 100, "n_ctx");
        for (int k = 0; k < N_KV_COLS; k++) printf(" %22s", mem_kv_type_name(KV_COLS[k]));
        printf("\n");
        for (uint32_t i = 0; i < n_rows; i++) {
            printf("  %-7u", ctx_rows[i]);
            for (int k = 0; k < N_KV_COLS; k++) {
                char cell[48];
                if (table[i][k].ok) snprintf(cell, sizeof cell, "%u / %s", table[i][k].layers, fmt_bytes(b1, sizeof b1, table[i][k].vram));
                else snprintf(cell, sizeof cell, "n/a");
                printf(" %22s", cell);
            }
            printf("\n");
        }
    }
out:
    mem_model_free(&m);
out_desc:
    model_desc_free(&d);
    gguf_close(f);
    config_free(&cfg);
    return rc;
}
