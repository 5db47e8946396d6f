/* fitchat bench — prompt-processing and generation speed, llama-bench style:
 * ppN evaluates N tokens in one batch from an empty context, tgN generates N
 * tokens one at a time through session_generate() (sampling included, as in
 * the chat); with -d D both start after D tokens already in the context
 * (evaluated before the clock starts: attention at depth). Each test runs -r
 * times after one warm-up run and prints the median tokens/s with the spread
 * (min..max) and the peak RSS.
 *
 * The model runs as the chat would run it here: the settings come through
 * the one config loader (defaults, modelconf.json, flags: -m, -ngl, -ctk,
 * -ctv, -c, -b, --gpu, --target, ...) and the session's plan; the bench's
 * own flags (-p, -n, -d, -r, -t LIST, --attn, -np) are taken out first. The
 * context grows to what the tests need, the batch is the prompt test's
 * length unless -b / N_BATCH says otherwise, and sampling is greedy.
 *
 * With -np P (P >= 2) the generation test is the server's: P sequences with
 * a KV cache each (planned as `fitchat serve -np P` plans them), each step
 * one engine_eval_batch of one token per sequence with its logits (fixed
 * tokens: the evaluation without the sampling), tokens/s summed over the P. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "../engine/engine.h"
#include "../engine/threads.h"
#include "../util/clock.h"
#include "../util/fmt.h"
#include "commands.h"
#include "config.h"
#include "generate.h"
#include "session.h"

/* The CPU's model name, family and model (/proc/cpuinfo: virtual machines
 * often show only "AMD EPYC", the family and model tell Zen 4 from Zen 5),
 * "unknown CPU" where there is none. */
static const char *cpu_model_name(char *buf, size_t cap) {
    snprintf(buf, cap, "unknown CPU");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) return buf;
    char line[256], name[128] = "", family[16] = "", model[16] = "";
    while (fgets(line, sizeof line, f) && !(*name && *family && *model)) {
        const char *v = strchr(line, ':');
        if (!v) continue;
        v += 1 + (v[1] == ' ');
        const int len = (int)strcspn(v, "\n");
        if (!strncmp(line, "model name", 10)) snprintf(name, sizeof name, "%.*s", len, v);
        else if (!strncmp(line, "cpu family", 10)) snprintf(family, sizeof family, "%.*s", len, v);
        else if (!strncmp(line, "model\t", 6) || !strncmp(line, "model ", 6)) snprintf(model, sizeof model, "%.*s", len, v);
    }
    fclose(f);
    if (*name) snprintf(buf, cap, *family && *model ? "%s (family %s, model %s)" : "%s", name, family, model);
    return buf;
}

/* "; 4/5/8-bit dots: 256-bit" (or which types run 512-bit) under the
 * AVX-512 kernels, "" under others (quant_dot_bits). */
static const char *dot_widths(char *buf, size_t cap) {
    static const uint32_t types[] = {GGML_TYPE_Q4_0, GGML_TYPE_Q4_1, GGML_TYPE_Q5_0, GGML_TYPE_Q5_1, GGML_TYPE_Q8_0};
    char wide[64] = "";
    int n_wide = 0;
    for (size_t i = 0; i < sizeof types / sizeof *types; i++)
        if (quant_dot_bits(types[i]) == 512) {
            const size_t len = strlen(wide);
            snprintf(wide + len, sizeof wide - len, "%s%s", n_wide++ ? " " : "", quant_get(types[i])->name);
        }
    if (!quant_dot_bits(GGML_TYPE_Q4_0)) snprintf(buf, cap, "%s", "");
    else if (n_wide == 0) snprintf(buf, cap, "; 4/5/8-bit dots: 256-bit (FITCHAT_DOTS=512 forces 512)");
    else if (n_wide == 5) snprintf(buf, cap, "; 4/5/8-bit dots: 512-bit (FITCHAT_DOTS=256 forces 256)");
    else snprintf(buf, cap, "; 4/5/8-bit dots: 512-bit for %s, 256-bit for the others", wide);
    return buf;
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

/* tgN with P sequences: each gets toks[depth] after the first depth tokens,
 * then n batched steps of one token per sequence; aggregate tokens/s. */
static double run_parallel(fc_engine *e, const int32_t *toks, int depth, int n_batch, int n, int P, fc_err *err) {
    fc_batch_item it[FC_N_SEQ_MAX];
    int32_t tok[FC_N_SEQ_MAX];
    for (int q = 0; q < P; q++) {
        engine_seq_rewind(e, q, 0);
        for (int i = 0; i < depth; i += n_batch) {
            fc_batch_item d = {q, toks + i, depth - i < n_batch ? depth - i : n_batch, false};
            if (engine_eval_batch(e, &d, 1, err)) return -1;
        }
    }
    for (int q = 0; q < P; q++) it[q] = (fc_batch_item){q, toks + depth, 1, true};
    if (engine_eval_batch(e, it, P, err)) return -1;
    const double t0 = fc_now_s();
    for (int step = 0; step < n; step++) {
        for (int q = 0; q < P; q++) {
            tok[q] = toks[depth + 1 + (step + 5 * q) % (n + 1)]; /* the sequences differ */
            it[q] = (fc_batch_item){q, &tok[q], 1, true};
        }
        if (engine_eval_batch(e, it, P, err)) return -1;
    }
    return (double)n * P / (fc_now_s() - t0);
}

/* One run of a test (tokens toks[depth..depth + n) after the first depth in
 * the context; tg: n tokens generated after toks[depth]); returns tokens/s
 * or -1 with err. */
static double run_test(fc_session *s, const int32_t *toks, int depth, int n_batch, int n, bool batch, int par,
                       gen_history *hist, fc_err *err) {
    fc_engine *e = s->engine;
    if (par > 1 && !batch) return run_parallel(e, toks, depth, n_batch, n, par, err); /* fills each sequence's depth */
    if (fill_depth(e, toks, depth, n_batch, err)) return -1;
    double t0 = fc_now_s();
    if (batch) {
        if (engine_eval(e, toks + depth, n, NULL, err)) return -1;
        return n / (fc_now_s() - t0);
    }
    /* generation as the chat does it: sample, stream, evaluate, n times */
    if (engine_eval(e, toks + depth, 1, NULL, err) || gen_history_reserve(hist, depth + n + 2, err)) return -1;
    memcpy(hist->ids, toks, (size_t)(depth + 1) * sizeof *toks);
    hist->n = depth + 1;
    t0 = fc_now_s();
    gen_params gp = {.max_tokens = n + 1, .stop_at_eog = false}; /* the last token sampled is not evaluated */
    gen_result gr;
    if (session_generate(e, s->tok, s->sampler, hist, &gp, &gr, err)) return -1;
    free(gr.text);
    if (gr.n_gen != n + 1) return fc_errf(err, FC_EFAIL, "generation stopped after %d of %d tokens", gr.n_gen, n + 1);
    return n / (fc_now_s() - t0);
}

static int parse_list(const char *s, int *out, int cap) {
    int n = 0;
    while (*s && n < cap) {
        char *end;
        long v = strtol(s, &end, 10);
        if (end == s || v < 1 || v > 1 << 20) return -1;
        out[n++] = (int)v;
        s = *end == ',' ? end + 1 : end;
        if (*end && *end != ',') return -1;
    }
    return n;
}

typedef struct bench_flags {
    int n_pp, n_tg, reps, depth, n_par;
    const char *threads;     /* -t LIST */
    const char *attn;        /* --attn flash|plain */
    bool help;
} bench_flags;

/* The chat's flags (first spellings) the bench's help leaves out: those a benchmark has
 * no use for (the replies' text, length and template are its own: fixed token ids,
 * greedy, -p / -n) and -t, which is its own list. */
static const char *const BENCH_HIDDEN[] = {"--model-type", "--temp", "--top-k", "--top-p", "--min-p",
                                           "--repeat-penalty", "-s", "-n", "--system", "--chat-template-file",
                                           "--thinking", "-p", "-t", NULL};

/* The bench's own flags: taken out of argv before the config loader sees
 * the rest (their letters mean other things to it: -p prompt, -n tokens). */
static int bench_flag(bench_flags *b, int argc, char **argv, int i, fc_err *err) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) { b->help = true; return 1; }
    if (!strcmp(a, "--prompt") || !strcmp(a, "--n-predict"))
        return fc_errf(err, FC_EINPUT, "%s: not a bench flag (-p N and -n N set the tests' lengths)", a);
    int *num = !strcmp(a, "-p") ? &b->n_pp : !strcmp(a, "-n") ? &b->n_tg : !strcmp(a, "-d") ? &b->depth
             : !strcmp(a, "-r") ? &b->reps : !strcmp(a, "-np") || !strcmp(a, "--parallel") ? &b->n_par : NULL;
    if (num) {
        long lo = num == &b->reps || num == &b->n_par ? 1 : 0;
        long hi = num == &b->reps ? 1000 : num == &b->depth ? 1 << 20 : num == &b->n_par ? FC_N_SEQ_MAX : 65536;
        char *end = NULL;
        long x = v ? strtol(v, &end, 10) : 0;
        if (!v || end == v || *end || x < lo || x > hi)
            return fc_errf(err, FC_EINPUT, "%s %s: needs a number from %ld to %ld", a, v ? v : "(missing)", lo, hi);
        *num = (int)x;
        return 2;
    }
    if (!strcmp(a, "-t") || !strcmp(a, "--threads")) {
        if (!v) return fc_errf(err, FC_EINPUT, "%s: needs thread counts like 1,2", a);
        b->threads = v;
        return 2;
    }
    if (!strcmp(a, "--attn")) {
        if (!v || (strcmp(v, "flash") && strcmp(v, "plain"))) return fc_errf(err, FC_EINPUT, "--attn: flash or plain");
        b->attn = v;
        return 2;
    }
    return 0;
}

static void usage(void) {
    printf("usage: fitchat bench [-p N] [-n N] [-d N] [-t T[,T...]] [-r REPS] [--attn flash|plain] [-np P] [SETTINGS]\n"
           "  -p N   prompt-processing test of N tokens (0 = skip; default 128)\n"
           "  -n N   generation test of N tokens (0 = skip; default 64)\n"
           "  -d N   depth: both tests start with N tokens already in the context (default 0)\n"
           "  -t T   thread counts, comma separated (default: N_THREADS, else all cores)\n"
           "  -r R   repetitions (default 5; median and min..max reported)\n"
           "  --attn flash|plain   the attention kernel (FLASH_ATTN)\n"
           "  -np P  the generation test as the server runs it: P sequences, one batched step\n"
           "         per token of each (fixed tokens, no sampling); tokens/s summed (default 1)\n\n"
           "The model runs as `fitchat chat` would run it here: the same settings (defaults,\n"
           "modelconf.json, then these flags) and the same plan. -ngl N puts the output head and the\n"
           "last N layers on the GPU; --gpu sim:SIZE emulates one in host memory. The last line\n"
           "names the CPU and its kernels: env FITCHAT_ISA=scalar|avx2|avx512|amx caps them,\n"
           "FITCHAT_DOTS=256|512 forces the width of the 4/5/8-bit dots (else measured at start).\n"
           "Settings (the chat's, less those a benchmark does not use):\n");
    config_print_flags_except(stdout, BENCH_HIDDEN);
}

int cmd_bench(int argc, char **argv) {
    bench_flags bf = {.n_pp = 128, .n_tg = 64, .reps = 5, .n_par = 1};
    fc_err err = {0};
    /* split argv: the bench's flags here, the rest to the config loader */
    char **rest = calloc((size_t)argc + 1, sizeof *rest);
    if (!rest) { fprintf(stderr, "fitchat bench: out of memory\n"); return 1; }
    int n_rest = 0;
    for (int i = 1; i < argc;) {
        int used = bench_flag(&bf, argc, argv, i, &err);
        if (used < 0) { fprintf(stderr, "fitchat bench: %s\n", err.msg); free(rest); return 2; }
        if (used == 0) rest[n_rest++] = argv[i++];
        else i += used;
    }
    if (bf.help) { usage(); free(rest); return 0; }
    if (!bf.n_pp && !bf.n_tg) {
        fprintf(stderr, "fitchat bench: -p 0 and -n 0: nothing to measure\n");
        free(rest);
        return 2;
    }
    fc_config cfg;
    int rc = cmd_load_settings("bench", &cfg, n_rest, rest, NULL, NULL);
    free(rest);
    if (rc) return rc;
    int threads[16], n_threads_list = 1;
    threads[0] = cfg.origin[FC_SET_N_THREADS].src != FC_SRC_DEFAULT ? cfg.n_threads : fc_n_cores();
    if (bf.threads && (n_threads_list = parse_list(bf.threads, threads, 16)) <= 0) {
        fprintf(stderr, "fitchat bench: -t %s: expected thread counts like 1,2\n", bf.threads);
        config_free(&cfg);
        return 2;
    }
    /* what the tests need of the context and the batch */
    const int n_pp = bf.n_pp, n_tg = bf.n_tg, depth = bf.depth, reps = bf.reps, n_par = bf.n_par;
    int need = depth + (n_pp > n_tg ? n_pp : n_tg) + 2;
    if (need < (int)FC_N_CTX_MIN) need = (int)FC_N_CTX_MIN;
    char num[32];
    if (cfg.n_ctx < need && cfg.origin[FC_SET_N_CTX].src != FC_SRC_DEFAULT) {
        fprintf(stderr, "fitchat bench: N_CTX %d (%s) is smaller than the tests need: -d + the longer of -p and -n + 2 "
                        "= %d tokens\n", cfg.n_ctx, cfg.origin[FC_SET_N_CTX].name ? cfg.origin[FC_SET_N_CTX].name : "set",
                need);
        config_free(&cfg);
        return 2;
    }
    if (cfg.n_ctx < need) {
        snprintf(num, sizeof num, "%d", need);
        if (config_set_key(&cfg, "N_CTX", num, "-p/-n/-d", &err)) goto fail_cfg;
    }
    if (cfg.origin[FC_SET_N_BATCH].src == FC_SRC_DEFAULT) {
        int n_batch = n_pp > 0 ? n_pp : depth > 0 ? (depth < 512 ? depth : 512) : 1;
        if (n_batch < n_par) n_batch = n_par; /* one step holds a token of each sequence */
        snprintf(num, sizeof num, "%d", n_batch);
        if (config_set_key(&cfg, "N_BATCH", num, "-p/-n/-d", &err)) goto fail_cfg;
    }
    if (bf.attn && config_set_key(&cfg, "FLASH_ATTN", !strcmp(bf.attn, "flash") ? "on" : "off", "--attn", &err)) goto fail_cfg;
    if (n_par > 1) {
        snprintf(num, sizeof num, "%d", n_par);
        if (config_set_key(&cfg, "N_PARALLEL", num, "-np", &err)) goto fail_cfg;
    }
    cfg.temperature = 0; /* greedy: the same tokens every run */

    int32_t *toks = NULL;
    gen_history hist = {0};
    bool header = false;
    for (int ti = 0; ti < n_threads_list; ti++) {
        cfg.n_threads = threads[ti] > 0 ? threads[ti] : 1;
        fc_session s;
        session_opts so = {.progress = session_progress_stderr, .server = n_par > 1};
        if (session_open_ex(&s, &cfg, &so, &err)) goto fail_run;
        const model_desc *d = &s.desc;
        const int n_batch = (int)s.plan.cfg.n_batch;
        if (!toks) {
            toks = malloc((size_t)need * sizeof *toks);
            if (!toks) { fc_errf(&err, FC_EFAIL, "out of memory"); session_close(&s); goto fail_run; }
            uint64_t x = 88172645463325252ull; /* fixed pseudo-random token ids */
            for (int i = 0; i < need; i++) {
                x ^= x << 13; x ^= x >> 7; x ^= x << 17;
                toks[i] = (int32_t)(x % d->n_vocab);
            }
        }
        char size[32], kv[24];
        const char *slash = strrchr(s.model_path, '/');
        const int tw = (depth ? 15 : 7) + (n_par > 1 ? 4 : 0); /* "tg64 @ d1024", "tg64 x8" */
        if (!header) {
            printf("| %-34s | %10s | %7s | %4s | %9s | %8s | %*s | %29s |\n", "model", "size", "threads", "ngl", "kv", "attn", tw,
                   "test", "t/s (median, min..max)");
            printf("|%.36s|%.12s|%.9s|%.6s|%.11s|%.10s|%.*s|%.31s|\n", "------------------------------------", "------------",
                   "---------", "------", "-----------", "----------", tw + 2, "-----------------", "-------------------------------");
            header = true;
        }
        snprintf(kv, sizeof kv, "%s/%s", ggml_type_name(s.plan.cfg.type_k), ggml_type_name(s.plan.cfg.type_v));
        for (int test = 0; test < 2; test++) {
            int n = test == 0 ? n_pp : n_tg;
            if (n == 0) continue;
            double *r = malloc((size_t)reps * sizeof *r);
            if (!r || run_test(&s, toks, depth, n_batch, n, test == 0, n_par, &hist, &err) < 0) { /* warm-up */
                free(r);
                session_close(&s);
                goto fail_run;
            }
            for (int k = 0; k < reps; k++)
                if ((r[k] = run_test(&s, toks, depth, n_batch, n, test == 0, n_par, &hist, &err)) < 0) {
                    free(r);
                    session_close(&s);
                    goto fail_run;
                }
            qsort(r, (size_t)reps, sizeof *r, cmp_d);
            char label[32], tps[64]; /* tps: up to "99999.99 (99999.99..99999.99)", the column's 29 */
            char par[16] = "";
            if (test == 1 && n_par > 1) snprintf(par, sizeof par, " x%d", n_par);
            if (depth) snprintf(label, sizeof label, "%s%d%s @ d%d", test == 0 ? "pp" : "tg", n, par, depth);
            else snprintf(label, sizeof label, "%s%d%s", test == 0 ? "pp" : "tg", n, par);
            snprintf(tps, sizeof tps, "%.2f (%.2f..%.2f)", r[reps / 2], r[0], r[reps - 1]);
            printf("| %-34.34s | %10s | %7d | %4u | %9s | %8s | %*s | %29s |\n", slash ? slash + 1 : s.model_path,
                   fmt_bytes(size, sizeof size, s.file->data_bytes), cfg.n_threads, s.plan.n_gpu_layers, kv,
                   s.plan.cfg.flash ? "flash" : "plain", tw, label, tps);
            fflush(stdout);
            free(r);
        }
        if (ti == n_threads_list - 1) {
            struct rusage ru;
            getrusage(RUSAGE_SELF, &ru);
            char rss[32];
            printf("\npeak RSS: %s (weights are mapped from the file; %s of them)\n",
                   fmt_bytes(rss, sizeof rss, (uint64_t)ru.ru_maxrss * 1024), fmt_bytes(size, sizeof size, s.file->data_bytes));
            char cpu[128], dots[160];
            printf("CPU: %s; kernels: %s (FITCHAT_ISA caps them)%s; repacked weights: %s\n", cpu_model_name(cpu, sizeof cpu),
                   quant_isa_name(quant_isa()), dot_widths(dots, sizeof dots), s.plan.cfg.repack ? "on" : "off");
        }
        session_close(&s);
    }
    free(toks);
    free(hist.ids);
    config_free(&cfg);
    return 0;
fail_run:
    free(toks);
    free(hist.ids);
fail_cfg:
    fprintf(stderr, "fitchat bench: %s\n", err.msg);
    rc = err.code == FC_EINPUT ? 2 : 1;
    config_free(&cfg);
    return rc;
}
