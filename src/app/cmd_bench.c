/* fitchat bench — prompt-processing and generation speed, llama-bench style:
 * ppN evaluates N tokens in one batch from an empty context, tgN generates N
 * tokens one at a time; with -d D both start after D tokens already in the
 * context (evaluated before the clock starts: attention at depth). Each test
 * runs -r times after one warm-up run and prints the median tokens/s with
 * the spread (min..max) and the peak RSS. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "../engine/engine.h"
#include "../engine/threads.h"
#include "../format/gguf.h"
#include "../model/arch.h"
#include "../util/fmt.h"
#include "../plan/gpuinfo.h"
#include "../plan/memory.h"
#include "commands.h"
#include "session.h"

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Puts the first depth tokens in the context, in batches of n_batch: kept
 * from the last run where the engine can rewind to them, else evaluated
 * again. 0 or -1 with err. */
static int fill_depth(fc_engine *e, const int32_t *toks, int depth, int n_batch, fc_err *err) {
    engine_rewind(e, depth);
    if (engine_n_past(e) == depth) return 0;
    engine_rewind(e, 0);
    for (int i = 0; i < depth; i += n_batch)
        if (engine_eval(e, toks + i, depth - i < n_batch ? depth - i : n_batch, NULL, err)) return -1;
    return 0;
}

/* One run of a test (tokens toks[depth..depth + n) after the first depth in
 * the context); returns tokens/s or -1 with err. */
static double run_test(fc_engine *e, const int32_t *toks, int depth, int n_batch, int n, bool batch, fc_err *err) {
    if (fill_depth(e, toks, depth, n_batch, err)) return -1;
    toks += depth;
    double t0 = now_s();
    if (batch) {
        if (engine_eval(e, toks, n, NULL, err)) return -1;
    } else {
        for (int i = 0; i < n; i++)
            if (engine_eval(e, &toks[i], 1, NULL, err)) return -1;
    }
    return n / (now_s() - t0);
}

static int parse_list(const char *s, int *out, int cap) {
    int n = 0;
    while (*s && n < cap) {
        char *end;
        long v = strtol(s, &end, 10);
        if (end == s || v < 0 || v > 1 << 20) return -1;
        out[n++] = (int)v;
        s = *end == ',' ? end + 1 : end;
        if (*end && *end != ',') return -1;
    }
    return n;
}

int cmd_bench(int argc, char **argv) {
    const char *model = NULL, *ts = NULL;
    int n_pp = 128, n_tg = 64, reps = 5, n_ctx = 0, depth = 0;
    uint32_t tk = GGML_TYPE_F16, tv = GGML_TYPE_F16;
    bool flash = true;
    int ngl = 0;
    const char *gpu_specs[GPU_MAX_DEVICES];
    int n_gpu_specs = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            printf("usage: fitchat bench [-m MODEL] [-p N] [-n N] [-d N] [-t T[,T...]] [-r REPS] [-ctk T] [-ctv T] [--attn flash|plain]\n"
                   "                     [-ngl N] [--gpu SPEC]\n"
                   "  -ngl N  the output head and the last N layers on the first GPU (default 0: all on the CPU)\n"
                   "  --gpu SPEC  the GPU (as for fitchat gpu; sim:SIZE emulates one in host memory)\n"
                   "  -p N   prompt-processing test of N tokens (0 = skip; default 128)\n"
                   "  -n N   generation test of N tokens (0 = skip; default 64)\n"
                   "  -d N   depth: both tests start with N tokens already in the context (default 0)\n"
                   "  -t T   thread counts, comma separated (default: all cores)\n"
                   "  -r R   repetitions (default 5; median and min..max reported)\n");
            return 0;
        }
        if (!v) { fprintf(stderr, "fitchat bench: %s needs a value\n", a); return 2; }
        i++;
        char *end = NULL;
        long x = strtol(v, &end, 10);
        bool num = end != v && *end == '\0';
        if (!strcmp(a, "-m") || !strcmp(a, "--model")) model = v;
        else if (!strcmp(a, "-t") || !strcmp(a, "--threads")) ts = v;
        else if ((!strcmp(a, "-p")) && num && x >= 0 && x <= 65536) n_pp = (int)x;
        else if ((!strcmp(a, "-n")) && num && x >= 0 && x <= 65536) n_tg = (int)x;
        else if ((!strcmp(a, "-d")) && num && x >= 0 && x <= 1 << 20) depth = (int)x;
        else if ((!strcmp(a, "-r")) && num && x >= 1 && x <= 1000) reps = (int)x;
        else if ((!strcmp(a, "-c")) && num && x >= 1) n_ctx = (int)x;
        else if ((!strcmp(a, "-ngl")) && num && x >= 0 && x <= 100000) ngl = (int)x;
        else if (!strcmp(a, "--gpu") && n_gpu_specs < GPU_MAX_DEVICES) gpu_specs[n_gpu_specs++] = v;
        else if (!strcmp(a, "-ctk") || !strcmp(a, "-ctv")) {
            int t = ggml_type_from_name(v);
            if (t < 0 || !mem_kv_type_allowed((uint32_t)t)) {
                fprintf(stderr, "fitchat bench: %s %s: KV type must be " FC_KV_TYPE_NAMES "\n", a, v);
                return 2;
            }
            if (!strcmp(a, "-ctk")) tk = (uint32_t)t; else tv = (uint32_t)t;
        } else if (!strcmp(a, "--attn") && (!strcmp(v, "flash") || !strcmp(v, "plain"))) flash = !strcmp(v, "flash");
        else { fprintf(stderr, "fitchat bench: bad option or value: %s %s\n", a, v); return 2; }
    }
    int threads[16], n_threads_list = 1;
    threads[0] = fc_n_cores();
    if (ts && (n_threads_list = parse_list(ts, threads, 16)) <= 0) {
        fprintf(stderr, "fitchat bench: -t %s: expected thread counts like 1,2\n", ts);
        return 2;
    }
    char buf[1024], why[1200];
    if (!model && !(model = default_model_path(buf, sizeof buf, why, sizeof why))) {
        fprintf(stderr, "fitchat bench: %s\n", why);
        return 2;
    }
    fc_err err = {0};
    gguf_file *f = gguf_open(model, &err);
    model_desc d = {0};
    int rc = 0;
    int32_t *toks = NULL;
    if (!f || model_desc_load(f, &d, &err)) goto fail;
    int need = depth + (n_pp > n_tg ? n_pp : n_tg) + 1;
    if (n_ctx < need) n_ctx = need;
    toks = malloc((size_t)need * sizeof *toks);
    if (!toks) { fc_errf(&err, FC_EFAIL, "out of memory"); goto fail; }
    uint64_t x = 88172645463325252ull; /* fixed pseudo-random token ids */
    for (int i = 0; i < need; i++) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        toks[i] = (int32_t)(x % d.n_vocab);
    }
    fc_engine_device dev = {0};
    if (ngl > 0) {
        /* the first GPU of the inventory (flags, else FITCHAT_GPU, else the driver) */
        gpu_inventory inv;
        if (gpu_inventory_get(gpu_specs, n_gpu_specs, &inv, &err)) goto fail;
        if (inv.n == 0) { fc_errf(&err, FC_EINPUT, "-ngl %d: no GPU (%s)", ngl, inv.reason); goto fail; }
        if ((uint32_t)ngl > d.n_layer) ngl = (int)d.n_layer;
        dev = (fc_engine_device){.kind = inv.dev[0].emulated ? MEM_DEV_EMULATED : MEM_DEV_GPU, .ordinal = inv.dev[0].index,
                                 .first_layer = d.n_layer - (uint32_t)ngl, .n_layers = (uint32_t)ngl, .head = true,
                                 .cap = inv.dev[0].emulated ? inv.dev[0].total : 0};
        snprintf(dev.name, sizeof dev.name, "%s", inv.dev[0].name);
    }
    char size[32];
    const char *slash = strrchr(model, '/');
    const int tw = depth ? 15 : 7; /* "tg64 @ d1024" */
    printf("| %-34s | %10s | %7s | %4s | %9s | %8s | %*s | %22s |\n", "model", "size", "threads", "ngl", "kv", "attn", tw, "test",
           "t/s (median, min..max)");
    printf("|%.36s|%.12s|%.9s|%.6s|%.11s|%.10s|%.*s|%.24s|\n", "------------------------------------", "------------", "---------",
           "------", "-----------", "----------", tw + 2, "-----------------", "------------------------");
    for (int ti = 0; ti < n_threads_list; ti++) {
        const int n_batch = n_pp > 0 ? n_pp : depth > 0 ? (depth < 512 ? depth : 512) : 1;
        fc_engine_params ep = {.n_ctx = (uint32_t)n_ctx, .n_batch = (uint32_t)n_batch, .n_threads = threads[ti] ? threads[ti] : 1,
                               .type_k = tk, .type_v = tv, .flash = flash, .n_dev = ngl > 0, .dev = {dev},
                               .progress = session_progress_stderr};
        fc_engine *e = engine_new(f, &d, &ep, &err);
        if (!e) goto fail;
        for (int test = 0; test < 2; test++) {
            int n = test == 0 ? n_pp : n_tg;
            if (n == 0) continue;
            double *r = malloc((size_t)reps * sizeof *r);
            if (!r || run_test(e, toks, depth, n_batch, n, test == 0, &err) < 0) { free(r); engine_free(e); goto fail; } /* warm-up */
            for (int k = 0; k < reps; k++)
                if ((r[k] = run_test(e, toks, depth, n_batch, n, test == 0, &err)) < 0) { free(r); engine_free(e); goto fail; }
            qsort(r, (size_t)reps, sizeof *r, cmp_d);
            char label[32], tps[64];
            if (depth) snprintf(label, sizeof label, "%s%d @ d%d", test == 0 ? "pp" : "tg", n, depth);
            else snprintf(label, sizeof label, "%s%d", test == 0 ? "pp" : "tg", n);
            snprintf(tps, sizeof tps, "%.2f (%.2f..%.2f)", r[reps / 2], r[0], r[reps - 1]);
            printf("| %-34.34s | %10s | %7d | %4d | %4s/%-4s | %8s | %*s | %22s |\n", slash ? slash + 1 : model,
                   fmt_bytes(size, sizeof size, f->data_bytes), ep.n_threads, ngl, ggml_type_name(tk), ggml_type_name(tv),
                   flash ? "flash" : "plain", tw, label, tps);
            fflush(stdout);
            free(r);
        }
        engine_free(e);
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    char rss[32];
    printf("\npeak RSS: %s (weights are mapped from the file; %s of them)\n", fmt_bytes(rss, sizeof rss, (uint64_t)ru.ru_maxrss * 1024),
           fmt_bytes(size, sizeof size, f->data_bytes));
    goto done;
fail:
    fprintf(stderr, "fitchat bench: %s\n", err.msg);
    rc = err.code == FC_EINPUT ? 2 : 1;
done:
    free(toks);
    model_desc_free(&d);
    gguf_close(f);
    return rc;
}
