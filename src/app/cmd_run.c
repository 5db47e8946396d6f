/* fitchat run — raw completion (no chat template), and the logits / ids
 * dumps the reference tests compare against. Settings come from the same
 * config as the chat (modelconf.json, then flags), the model from the same
 * session (plan, engine, sampler); run adds its own flags. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../format/ggml_types.h"
#include "../plan/memory.h"
#include "../util/fmt.h"
#include "commands.h"
#include "config.h"
#include "generate.h"
#include "session.h"

typedef struct {
    const char *tokens_s, *logits_out, *gen_logits_out, *ids_out;
    bool greedy, exact, help, mem;
    fc_config *cfg;
} run_args;

/* "ID ID ..." (spaces, commas, tabs or newlines between) into *out (caller frees). -1 with
 * err naming the first entry that is not a token id (a number 0..2^31-1). */
static int parse_ids(const char *s, int32_t **out, int *n, fc_err *err) {
    int cap = 64, k = 0;
    int32_t *v = malloc((size_t)cap * sizeof *v);
    if (!v) return fc_errf(err, FC_EFAIL, "out of memory");
    while (*s) {
        while (*s == ' ' || *s == ',' || *s == '\t' || *s == '\n') s++;
        if (!*s) break;
        char *end;
        errno = 0;
        long x = strtol(s, &end, 10);
        if (end == s || errno || x < 0 || x > INT32_MAX || (*end && !strchr(" ,\t\n", *end))) {
            const size_t len = strcspn(s, " ,\t\n");
            free(v);
            char entry[48], shown[48];
            snprintf(entry, sizeof entry, "%.*s", (int)(len < 40 ? len : 40), s);
            return fc_errf(err, FC_EINPUT, "--tokens: entry %d '%s' is not a token id (a number >= 0)", k + 1,
                           fmt_printable(shown, sizeof shown, entry));
        }
        if (k == cap) {
            int32_t *nv = realloc(v, (size_t)(cap *= 2) * sizeof *v);
            if (!nv) { free(v); return fc_errf(err, FC_EFAIL, "out of memory"); }
            v = nv;
        }
        v[k++] = (int32_t)x;
        s = end;
    }
    *out = v;
    *n = k;
    return 0;
}

/* run's own flags, on top of the config's (config.h). */
static int extra(void *ctx, int argc, char **argv, int i, fc_err *err) {
    run_args *a = ctx;
    const char *f = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(f, "-h") || !strcmp(f, "--help")) { a->help = true; return 1; }
    if (!strcmp(f, "--greedy")) { a->greedy = true; return 1; }
    if (!strcmp(f, "--exact")) { a->exact = true; return 1; }
    if (!strcmp(f, "--mem")) { a->mem = true; return 1; }
    bool takes = !strcmp(f, "--tokens") || !strcmp(f, "--logits-out") || !strcmp(f, "--gen-logits-out") ||
                 !strcmp(f, "--ids-out") || !strcmp(f, "--kv-type") || !strcmp(f, "--attn");
    if (!takes) return 0;
    if (!v) return fc_errf(err, FC_EINPUT, "%s needs a value", f);
    if (!strcmp(f, "--tokens")) a->tokens_s = v;
    else if (!strcmp(f, "--logits-out")) a->logits_out = v;
    else if (!strcmp(f, "--gen-logits-out")) a->gen_logits_out = v;
    else if (!strcmp(f, "--ids-out")) a->ids_out = v;
    else if (!strcmp(f, "--kv-type")) {
        int t = ggml_type_from_name(v);
        if (t < 0 || !mem_kv_type_allowed((uint32_t)t))
            return fc_errf(err, FC_EINPUT, "--kv-type %s: must be " FC_KV_TYPE_NAMES, v);
        a->cfg->kv_type_k = a->cfg->kv_type_v = t;
        a->cfg->origin[FC_SET_KV_TYPE_K] = a->cfg->origin[FC_SET_KV_TYPE_V] = (fc_origin){FC_SRC_FLAG, "--kv-type"};
    } else {
        if (strcmp(v, "flash") && strcmp(v, "plain")) return fc_errf(err, FC_EINPUT, "--attn %s: must be flash or plain", v);
        a->cfg->flash_attn = !strcmp(v, "flash") ? FC_FA_ON : FC_FA_OFF;
        a->cfg->origin[FC_SET_FLASH_ATTN] = (fc_origin){FC_SRC_FLAG, "--attn"};
    }
    return 2;
}

static void usage(void) {
    printf("usage: fitchat run (-p PROMPT | --tokens \"ID ID ...\") [-n N] [options]\n"
           "Completes a prompt as it is (no chat template; BOS as the model wants).\n\n"
           "  -p, --prompt TEXT      prompt text (special tokens like <|im_start|> are recognised)\n"
           "  --tokens IDS           prompt as token ids; prints the generated ids\n"
           "  -n, --n-predict N      tokens to generate (-1: until end of text or a full context; 0: only the prompt)\n"
           "  --greedy               greedy decoding without repetition penalty (--temp 0 --repeat-penalty 1)\n"
           "  --kv-type T            KV cache type for K and V: f32, f16, q8_0, q4_0 (or -ctk / -ctv)\n"
           "  --attn flash|plain     attention kernel (same as -fa on|off)\n"
           "  --exact                float activations (no 8-bit activation rounding; slow, for checks)\n"
           "  --logits-out FILE      write float32 logits of every prompt position (n_tokens x n_vocab)\n"
           "  --gen-logits-out FILE  write the float32 logits each generated token was sampled from (n_generated x\n"
           "                         n_vocab; the first row is the prompt's last position)\n"
           "  --ids-out FILE         write the generated ids\n"
           "  --mem                  print the plan and, per device, planned vs allocated memory (stderr)\n\n"
           "Shared with the chat (modelconf.json keys in brackets):\n");
    static const char *const shown_above[] = {"-p", "-n", NULL};
    config_print_flags_except(stdout, shown_above);
}

/* The generated ids (for --ids-out), printed as they come in token mode,
 * and (--gen-logits-out) the logits each was sampled from: the engine's
 * last token's, as the token is chosen. */
typedef struct run_out {
    int32_t *ids;
    int n;
    bool print_ids;
    FILE *logits;          /* NULL: not asked */
    const fc_engine *engine;
    int n_vocab;
    int write_errno;       /* the first failed write's errno, 0: none */
} run_out;

/* The reason of a failed write or close (stdio leaves errno set; EIO
 * where it does not). */
static int write_errno(void) { return errno ? errno : EIO; }

static void on_token(void *ctx, int32_t id) {
    run_out *o = ctx;
    if (o->logits && !o->write_errno && fwrite(engine_logits(o->engine), sizeof(float), (size_t)o->n_vocab, o->logits) != (size_t)o->n_vocab)
        o->write_errno = write_errno();
    o->ids[o->n++] = id;
    if (o->print_ids) {
        printf(o->n > 1 ? " %d" : "%d", id);
        fflush(stdout);
    }
}

static void emit_text(void *ctx, const char *text, size_t len) {
    (void)ctx;
    fwrite(text, 1, len, stdout);
    fflush(stdout);
}

int cmd_run(int argc, char **argv) {
    fc_config cfg;
    fc_err err = {0};
    run_args a = {.cfg = &cfg};
    /* "-n 0" (evaluate the prompt only, for the logits dumps) is run's own:
     * as MAX_TOKENS, 0 is not a valid reply length, so take it out first. */
    char **args = malloc((size_t)(argc + 1) * sizeof *args);
    int n_args = 0;
    bool eval_only = false;
    if (!args) { fprintf(stderr, "fitchat run: out of memory\n"); return 1; }
    for (int i = 1; i < argc; i++) {
        bool is_n = !strcmp(argv[i], "-n") || !strcmp(argv[i], "--n-predict");
        if (is_n && i + 1 < argc && !strcmp(argv[i + 1], "0")) {
            eval_only = true;
            i++;
            continue;
        }
        char *end;
        if (is_n && i + 1 < argc && (strtol(argv[i + 1], &end, 10) < -1 || *end || end == argv[i + 1])) {
            /* run's range differs from MAX_TOKENS' (0 is allowed here): say run's. */
            fprintf(stderr, "fitchat run: %s %s: must be an integer >= 0 (0: evaluate the prompt only), or -1 (until the context is full)\n",
                    argv[i], argv[i + 1]);
            free(args);
            return 2;
        }
        args[n_args++] = argv[i];
    }
    args[n_args] = NULL;
    int lrc = cmd_load_settings("run", &cfg, n_args, args, extra, &a);
    free(args);
    if (lrc) return lrc;
    if (a.help) { usage(); config_free(&cfg); return 0; }
    if (a.greedy) { cfg.temperature = 0; cfg.repeat_penalty = 1; }
    int rc = 0;
    fc_session s = {0};
    int32_t *prompt = NULL;
    gen_history hist = {0};
    run_out ro = {0};
    int n_prompt = 0;
    float *all = NULL;
    FILE *logits_f = NULL, *ids_f = NULL;
    if (!a.tokens_s == !cfg.prompt) {
        fc_errf(&err, FC_EINPUT, "give the prompt with -p TEXT or --tokens \"ID ID ...\" (one of them)");
        goto fail;
    }
    if (a.tokens_s && parse_ids(a.tokens_s, &prompt, &n_prompt, &err)) goto fail;
    if (a.tokens_s && n_prompt == 0) {
        fc_errf(&err, FC_EINPUT, "--tokens: no token ids given");
        goto fail;
    }
    /* the output files first: a path that cannot be written fails before the load */
    if (a.logits_out && !(logits_f = fopen(a.logits_out, "wb"))) {
        fc_errf(&err, FC_EFAIL, "%s: cannot write logits: %s", a.logits_out, strerror(errno));
        goto fail;
    }
    if (a.gen_logits_out && !(ro.logits = fopen(a.gen_logits_out, "wb"))) {
        fc_errf(&err, FC_EFAIL, "%s: cannot write logits: %s", a.gen_logits_out, strerror(errno));
        goto fail;
    }
    if (a.ids_out && !(ids_f = fopen(a.ids_out, "w"))) {
        fc_errf(&err, FC_EFAIL, "%s: cannot write: %s", a.ids_out, strerror(errno));
        goto fail;
    }
    session_opts so = {.exact = a.exact, .all_logits = a.logits_out != NULL, .progress = session_progress_stderr};
    if (session_open_ex(&s, &cfg, &so, &err)) goto fail;
    for (int i = 0; i < s.n_notices; i++) fprintf(stderr, "fitchat run: warning: %s\n", s.notices[i]);
    for (int i = 0; i < s.plan.n_warnings; i++) fprintf(stderr, "fitchat run: warning: %s\n", s.plan.warnings[i]);
    if (a.mem) {
        char line[1024];
        fprintf(stderr, "plan: %s\n", session_plan_line(line, sizeof line, &s.plan, &s.inv));
        session_memory_report(stderr, &s);
    }
    if (cfg.prompt) {
        n_prompt = tok_encode(s.tok, cfg.prompt, strlen(cfg.prompt), tok_add_bos(s.tok), true, &prompt, &err);
        if (n_prompt < 0) goto fail;
        if (n_prompt == 0) { fc_errf(&err, FC_EINPUT, "the prompt is empty"); goto fail; }
    }
    int n_ctx = engine_n_ctx(s.engine), n_vocab = engine_n_vocab(s.engine);
    int n_predict = eval_only ? 0 : cfg.max_tokens >= 0 ? cfg.max_tokens : n_ctx - n_prompt;
    if (n_prompt + n_predict > n_ctx) {
        fc_errf(&err, FC_EINPUT, "the prompt (%d tokens) plus %d to generate exceeds the context of %d tokens (raise N_CTX / -c)",
                n_prompt, n_predict, n_ctx);
        goto fail;
    }
    if (a.logits_out && !(all = malloc((size_t)n_prompt * n_vocab * sizeof *all))) {
        fc_errf(&err, FC_EFAIL, "out of memory for %d x %d logits", n_prompt, n_vocab);
        goto fail;
    }
    if (engine_eval(s.engine, prompt, n_prompt, all, &err)) goto fail;
    if (a.logits_out) {
        /* a row per write: one write of a GiB (Gemma 3, 1024 positions) took a
         * VM's kernel 5.6-7 s here, the same GiB in 1 MiB pieces 0.4-2.6 s */
        int bad = 0; /* the first failure's errno */
        for (int i = 0; i < n_prompt && !bad; i++)
            if (fwrite(all + (size_t)i * n_vocab, sizeof *all, (size_t)n_vocab, logits_f) != (size_t)n_vocab) bad = write_errno();
        if (fclose(logits_f) && !bad) bad = write_errno();
        logits_f = NULL;
        if (bad) {
            fc_errf(&err, FC_EFAIL, "%s: cannot write logits: %s", a.logits_out, strerror(bad));
            goto fail;
        }
    }
    /* The prompt is in the cache; session_generate samples, prints and
     * evaluates the rest (run_out collects the ids for --ids-out). */
    ro.print_ids = a.tokens_s != NULL;
    ro.engine = s.engine;
    ro.n_vocab = n_vocab;
    if (!(ro.ids = malloc(((size_t)n_predict + 1) * sizeof *ro.ids))) { fc_errf(&err, FC_EFAIL, "out of memory"); goto fail; }
    hist.ids = prompt;
    hist.n = hist.cap = n_prompt;
    prompt = NULL;
    if (n_predict > 0) {
        gen_params gp = {
            .max_tokens = n_predict,
            .stop_at_eog = !a.tokens_s, /* token mode prints exactly -n ids */
            .emit = a.tokens_s ? NULL : emit_text,
            .on_token = on_token,
            .token_ctx = &ro,
        };
        gen_result gr;
        if (session_generate(s.engine, s.tok, s.sampler, &hist, &gp, &gr, &err)) goto fail;
        free(gr.text);
        if (a.tokens_s && ro.n) printf("\n");
        if (!a.tokens_s) printf("\n");
    }
    if (ro.logits) {
        if (fclose(ro.logits) != 0 && !ro.write_errno) ro.write_errno = write_errno();
        ro.logits = NULL;
        if (ro.write_errno) {
            fc_errf(&err, FC_EFAIL, "%s: cannot write logits: %s", a.gen_logits_out, strerror(ro.write_errno));
            goto fail;
        }
    }
    if (ids_f) {
        for (int i = 0; i < ro.n; i++) fprintf(ids_f, "%d%c", ro.ids[i], i + 1 == ro.n ? '\n' : ' ');
        if (ro.n == 0) fputc('\n', ids_f);
        int bad = ferror(ids_f) ? write_errno() : 0;
        if (fclose(ids_f) && !bad) bad = write_errno();
        ids_f = NULL;
        if (bad) { fc_errf(&err, FC_EFAIL, "%s: cannot write: %s", a.ids_out, strerror(bad)); goto fail; }
    }
    goto done;
fail:
    fflush(stdout);
    fprintf(stderr, "fitchat run: %s\n", err.msg);
    rc = err.code == FC_EINPUT ? 2 : 1;
done:
    if (ro.logits) fclose(ro.logits);
    if (logits_f) fclose(logits_f);
    if (ids_f) fclose(ids_f);
    free(ro.ids);
    free(hist.ids);
    free(all);
    free(prompt);
    session_close(&s);
    config_free(&cfg);
    return rc;
}
