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

#define MiBf(x) ((double)(x) / 1048576.0)

static void usage(FILE *out) {
    fprintf(out,
            "usage: fitchat plan [OPTIONS] MODEL.gguf\n\n"
            "Plans GPU offloading and memory for a model (nothing is loaded).\n"
            "  -m, --model PATH     the model (or give it as the argument)\n"
            "  -ngl N|auto          LAYERS: layers on the GPU (default auto)\n"
            "  -c N|auto            N_CTX: context length (default: trained, capped at 4096)\n"
            "  -ctk, -ctv TYPE      KV_CACHE_QUANT for K / V: f16, q8_0, q4_0, f32 or auto (default f16)\n"
            "  -fa on|off|auto      FLASH_ATTN (default auto = on)\n"
            "  --target X           TARGET_VRAM_USAGE, 0 < X <= 1 or a percentage (default 0.8)\n"
            "  --vram-reserve SIZE  VRAM_RESERVE: leave SIZE free on each GPU (e.g. 1.5GiB)\n"
            "  --ctx-min N, --ctx-max N   N_CTX_MIN / N_CTX_MAX for -c auto (default 4096 / 32768)\n"
            "  -b N                 batch size (default 512)\n"
            "  -t N                 CPU threads (sizes the CPU scratch; default 1)\n"
            "  --fixed-cost SIZE    per-GPU CUDA context cost (default 300MiB; env FITCHAT_FIXED_COST)\n"
            "  --gpu SPEC           plan for this GPU instead of asking the driver (repeatable):\n"
            "                       8GiB | name=RTX 3070,total=8GiB,used=857MiB | sim:512MiB\n"
            "  --ram SIZE           plan for this much host memory instead of MemAvailable / the cgroup limit\n"
            "                       (env FITCHAT_RAM)\n"
            "  --json               machine-readable output\n");
}

static int bad_flag(const char *flag, const char *val, const char *allowed) {
    fprintf(stderr, "fitchat plan: %s = '%s' is not valid: allowed %s\n", flag, val, allowed);
    return 2;
}

static int parse_int(const char *s, long long lo, long long hi, long long *out) {
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (!*s || *end || errno || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}

static int parse_kv(const char *s, int32_t *out) {
    if (!strcmp(s, "auto")) { *out = PLAN_AUTO; return 0; }
    int t = ggml_type_from_name(s);
    if (t < 0 || !mem_kv_type_allowed((uint32_t)t)) return -1;
    *out = t;
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

static void add_bytes(cJSON *o, const mem_bytes *b) {
    cJSON_AddNumberToObject(o, "weights", (double)b->weights);
    cJSON_AddNumberToObject(o, "kv", (double)b->kv);
    cJSON_AddNumberToObject(o, "buffers", (double)b->buffers);
    cJSON_AddNumberToObject(o, "fixed", (double)b->fixed);
    cJSON_AddNumberToObject(o, "total", (double)b->total);
}

static const uint32_t CTX_ROWS[] = {2048, 4096, 8192, 16384, 32768};
static const uint32_t KV_COLS[] = {GGML_TYPE_F16, GGML_TYPE_Q8_0, GGML_TYPE_Q4_0};
#define N_CTX_ROWS 5
#define N_KV_COLS 3

int cmd_plan(int argc, char **argv) {
    plan_params p;
    plan_params_default(&p);
    const char *model = NULL, *ram = NULL, *specs[GPU_MAX_DEVICES];
    int n_specs = 0;
    bool json = false;
    long long v;
    const char *fc_env = getenv("FITCHAT_FIXED_COST");
    if (fc_env && *fc_env) {
        uint64_t b;
        if (parse_bytes(fc_env, &b)) return bad_flag("FITCHAT_FIXED_COST", fc_env, "a size such as 300MiB");
        p.fixed_cost = (int64_t)b;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) { usage(stdout); return 0; }
        if (!strcmp(a, "--json")) { json = true; continue; }
        if (a[0] != '-') {
            if (model) { fprintf(stderr, "fitchat plan: more than one model given ('%s', '%s')\n", model, a); return 2; }
            model = a;
            continue;
        }
        if (!val) { fprintf(stderr, "fitchat plan: unknown option or missing value for '%s'\n", a); usage(stderr); return 2; }
        i++;
        if (!strcmp(a, "-m") || !strcmp(a, "--model")) model = val;
        else if (!strcmp(a, "-ngl") || !strcmp(a, "--n-gpu-layers")) {
            if (!strcmp(val, "auto")) p.layers = PLAN_AUTO;
            else if (parse_int(val, 0, 1 << 30, &v)) return bad_flag("LAYERS (-ngl)", val, "\"auto\" or an integer >= 0");
            else p.layers = (int32_t)v;
        } else if (!strcmp(a, "-c") || !strcmp(a, "--ctx-size")) {
            if (!strcmp(val, "auto")) p.n_ctx = PLAN_AUTO;
            else if (parse_int(val, 1, PLAN_N_CTX_LIMIT, &v)) return bad_flag("N_CTX (-c)", val, "\"auto\" or 1..16777216");
            else p.n_ctx = v;
        } else if (!strcmp(a, "-ctk") || !strcmp(a, "--cache-type-k")) {
            if (parse_kv(val, &p.type_k)) return bad_flag("KV_CACHE_QUANT (-ctk)", val, "auto, f32, f16, q8_0, q4_0");
        } else if (!strcmp(a, "-ctv") || !strcmp(a, "--cache-type-v")) {
            if (parse_kv(val, &p.type_v)) return bad_flag("KV_CACHE_QUANT (-ctv)", val, "auto, f32, f16, q8_0, q4_0");
        } else if (!strcmp(a, "-fa") || !strcmp(a, "--flash-attn")) {
            if (!strcmp(val, "auto")) p.flash = PLAN_AUTO;
            else if (!strcmp(val, "on") || !strcmp(val, "1")) p.flash = 1;
            else if (!strcmp(val, "off") || !strcmp(val, "0")) p.flash = 0;
            else return bad_flag("FLASH_ATTN (-fa)", val, "auto, on, off");
        } else if (!strcmp(a, "--target")) {
            char *end;
            double t = strtod(val, &end);
            if (end != val && *end == '%' && !end[1]) t /= 100, end++;
            if (end == val || *end || !(t > 0 && t <= 1)) return bad_flag("TARGET_VRAM_USAGE (--target)", val, "0 < x <= 1 (or 1%..100%)");
            p.target = t;
        } else if (!strcmp(a, "--vram-reserve")) {
            if (parse_bytes(val, &p.vram_reserve)) return bad_flag("VRAM_RESERVE (--vram-reserve)", val, "a size such as 1.5GiB");
        } else if (!strcmp(a, "--fixed-cost")) {
            uint64_t b;
            if (parse_bytes(val, &b)) return bad_flag("FIXED_COST (--fixed-cost)", val, "a size such as 300MiB");
            p.fixed_cost = (int64_t)b;
        } else if (!strcmp(a, "--ctx-min")) {
            if (parse_int(val, 1, PLAN_N_CTX_LIMIT, &v)) return bad_flag("N_CTX_MIN (--ctx-min)", val, "1..16777216");
            p.n_ctx_min = (uint32_t)v;
        } else if (!strcmp(a, "--ctx-max")) {
            if (parse_int(val, 1, PLAN_N_CTX_LIMIT, &v)) return bad_flag("N_CTX_MAX (--ctx-max)", val, "1..16777216");
            p.n_ctx_max = (uint32_t)v;
        } else if (!strcmp(a, "-b") || !strcmp(a, "--batch-size")) {
            if (parse_int(val, 1, 65536, &v)) return bad_flag("N_BATCH (-b)", val, "1..65536");
            p.n_batch = (uint32_t)v;
        } else if (!strcmp(a, "-t") || !strcmp(a, "--threads")) {
            if (parse_int(val, 1, 4096, &v)) return bad_flag("N_THREADS (-t)", val, "1..4096");
            p.n_threads = (uint32_t)v;
        } else if (!strcmp(a, "--ram")) {
            uint64_t b;
            if (parse_bytes(val, &b) || !b) return bad_flag("--ram", val, "a size such as 16GiB");
            ram = val;
        } else if (!strcmp(a, "--gpu")) {
            if (n_specs == GPU_MAX_DEVICES) { fprintf(stderr, "fitchat plan: more than %d --gpu\n", GPU_MAX_DEVICES); return 2; }
            specs[n_specs++] = val;
        } else {
            fprintf(stderr, "fitchat plan: unknown option '%s'\n", a);
            usage(stderr);
            return 2;
        }
    }
    char defpath[1024], why[512];
    if (!model && !(model = default_model_path(defpath, sizeof defpath, why, sizeof why))) {
        fprintf(stderr, "fitchat plan: no model given and the default model is not there (%s)\n", why);
        return 2;
    }
    fc_err err = {0};
    if (plan_params_validate(&p, &err)) { fprintf(stderr, "fitchat plan: %s\n", err.msg); return 2; }
    gpu_inventory inv;
    if (gpu_inventory_get(specs, n_specs, &inv, &err) || (ram && host_memory_query(ram, &inv, &err))) {
        fprintf(stderr, "fitchat plan: %s\n", err.msg);
        return err.code == FC_EINPUT ? 2 : 1;
    }
    gguf_file *f = gguf_open(model, &err);
    if (!f) { fprintf(stderr, "fitchat plan: %s\n", err.msg); return err.code == FC_EINPUT ? 2 : 1; }
    model_desc d;
    mem_model m;
    int rc = 0;
    if (model_desc_load(f, &d, &err)) { fprintf(stderr, "fitchat plan: %s\n", err.msg); gguf_close(f); return 2; }
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
        kvsum += mem_kv_layer_bytes(&d, il, r.cfg.n_ctx, r.cfg.type_k, r.cfg.type_v);
    }

    if (json) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "model", model);
        cJSON_AddNumberToObject(o, "file_bytes", (double)m.file_size);
        cJSON_AddStringToObject(o, "arch", d.arch);
        cJSON_AddNumberToObject(o, "n_layer", m.n_layer);
        cJSON_AddNumberToObject(o, "n_ctx_train", d.n_ctx_train);
        cJSON_AddNumberToObject(o, "n_gpu_layers", r.n_gpu_layers);
        cJSON_AddBoolToObject(o, "output_on_gpu", r.head_on_gpu);
        cJSON_AddNumberToObject(o, "n_ctx", r.cfg.n_ctx);
        cJSON_AddStringToObject(o, "type_k", mem_kv_type_name(r.cfg.type_k));
        cJSON_AddStringToObject(o, "type_v", mem_kv_type_name(r.cfg.type_v));
        cJSON_AddBoolToObject(o, "flash_attn", r.cfg.flash);
        cJSON_AddNumberToObject(o, "n_batch", r.cfg.n_batch);
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
            cJSON_AddItemToArray(da, x);
        }
        cJSON *c = cJSON_AddObjectToObject(o, "cpu");
        cJSON_AddNumberToObject(c, "n_layers", r.cpu_layers);
        cJSON_AddBoolToObject(c, "output", !r.head_on_gpu);
        add_bytes(cJSON_AddObjectToObject(c, "planned_bytes"), &r.cpu);
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
            cJSON_AddNumberToObject(x, "kv_bytes", (double)mem_kv_layer_bytes(&d, il, r.cfg.n_ctx, r.cfg.type_k, r.cfg.type_v));
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
        printf("  %-26.26s %10s %10s %10s %10s %10s %10s %9s%s\n", name, lay, fmt_bytes(b1, sizeof b1, pd->bytes.weights),
               fmt_bytes(b2, sizeof b2, pd->bytes.kv), fmt_bytes(b3, sizeof b3, pd->bytes.buffers),
               fmt_bytes(b4, sizeof b4, pd->bytes.fixed), fmt_bytes(b5, sizeof b5, pd->bytes.total),
               fmt_bytes(b6, sizeof b6, (uint64_t)(pd->headroom < 0 ? -pd->headroom : pd->headroom)), pd->headroom < 0 ? "!" : "");
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
        if (inv.host_avail)
            printf("  %-26s %10s allocates %s of %s\n", "", "", fmt_bytes(b1, sizeof b1, plan_host_need(&r)),
                   inv.host_source);
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
    return rc;
}
