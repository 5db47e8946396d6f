/* fitchat run — raw completion (no chat template) and the logits/ids dumps
 * the reference tests compare against. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../engine/engine.h"
#include "../engine/sampler.h"
#include "../engine/threads.h"
#include "../format/gguf.h"
#include "../model/arch.h"
#include "../text/tokenizer.h"
#include "commands.h"

static int parse_ids(const char *s, int32_t **out, int *n) {
    int cap = 64, k = 0;
    int32_t *v = malloc((size_t)cap * sizeof *v);
    if (!v) return -1;
    while (*s) {
        while (*s == ' ' || *s == ',' || *s == '\t' || *s == '\n') s++;
        if (!*s) break;
        char *end;
        errno = 0;
        long x = strtol(s, &end, 10);
        if (end == s || errno || x < 0 || x > INT32_MAX) { free(v); return -1; }
        if (k == cap) {
            int32_t *nv = realloc(v, (size_t)(cap *= 2) * sizeof *v);
            if (!nv) { free(v); return -1; }
            v = nv;
        }
        v[k++] = (int32_t)x;
        s = end;
    }
    *out = v;
    *n = k;
    return 0;
}

static int kv_type(const char *s, uint32_t *t) {
    int id = ggml_type_from_name(s);
    if (id != GGML_TYPE_F32 && id != GGML_TYPE_F16 && id != GGML_TYPE_Q8_0 && id != GGML_TYPE_Q4_0) return -1;
    *t = (uint32_t)id;
    return 0;
}

static void usage(FILE *o) {
    fprintf(o,
            "usage: fitchat run [-m MODEL] (-p PROMPT | --tokens \"ID ID ...\") [-n N] [options]\n"
            "  -m, --model FILE       GGUF model (default: the default model)\n"
            "  -p, --prompt TEXT      prompt text (raw: no chat template; BOS as the model wants)\n"
            "  --tokens IDS           prompt as token ids (prints the generated ids)\n"
            "  -n, --n-predict N      tokens to generate (default 64; 0 = only evaluate the prompt)\n"
            "  -c, --ctx-size N       context length (default 4096, capped at the model's)\n"
            "  -b, --batch-size N     prompt tokens per forward call (default 512)\n"
            "  -t, --threads N        threads (default: all cores)\n"
            "  -ctk, -ctv, --kv-type T  KV cache type: f32, f16, q8_0, q4_0 (default f16)\n"
            "  --attn flash|plain     attention kernel (default flash)\n"
            "  --greedy               greedy decoding (same as --temp 0)\n"
            "  --exact                float32 activations (no 8-bit activation rounding; slow, for checks)\n"
            "  --temp X --top-k N --top-p X --min-p X --repeat-penalty X -s SEED\n"
            "  --logits-out FILE      write float32 logits of every prompt position\n"
            "  --ids-out FILE         write the generated ids\n");
}

int cmd_run(int argc, char **argv) {
    const char *model = NULL, *tokens_s = NULL, *prompt_s = NULL, *logits_out = NULL, *ids_out = NULL;
    int n_predict = 64, n_ctx = 0, n_batch = 512, n_threads = fc_n_cores();
    uint32_t tk = GGML_TYPE_F16, tv = GGML_TYPE_F16;
    bool flash = true, exact = false;
    fc_sampler_params sp = {.temperature = 0.7f, .top_k = 40, .top_p = 0.95f, .min_p = 0.05f, .repeat_penalty = 1.0f,
                            .repeat_last_n = 64, .seed = (uint64_t)time(NULL)};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define NEED() do { if (!v) { fprintf(stderr, "fitchat run: %s needs a value\n", a); return 2; } i++; } while (0)
#define INT_ARG(dst, lo, hi) do { NEED(); char *e_; long x_ = strtol(v, &e_, 10); \
        if (*e_ || e_ == v || x_ < (lo) || x_ > (hi)) { fprintf(stderr, "fitchat run: %s %s: must be an integer in %ld..%ld\n", a, v, (long)(lo), (long)(hi)); return 2; } dst = (int)x_; } while (0)
#define FLT_ARG(dst, lo, hi) do { NEED(); char *e_; double x_ = strtod(v, &e_); \
        if (*e_ || e_ == v || !(x_ >= (lo) && x_ <= (hi))) { fprintf(stderr, "fitchat run: %s %s: must be a number in %g..%g\n", a, v, (double)(lo), (double)(hi)); return 2; } dst = (float)x_; } while (0)
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) { usage(stdout); return 0; }
        else if (!strcmp(a, "-m") || !strcmp(a, "--model")) { NEED(); model = v; }
        else if (!strcmp(a, "--tokens")) { NEED(); tokens_s = v; }
        else if (!strcmp(a, "-p") || !strcmp(a, "--prompt")) { NEED(); prompt_s = v; }
        else if (!strcmp(a, "-n") || !strcmp(a, "--n-predict")) INT_ARG(n_predict, 0, 1 << 24);
        else if (!strcmp(a, "-c") || !strcmp(a, "--ctx-size")) INT_ARG(n_ctx, 1, 1 << 24);
        else if (!strcmp(a, "-b") || !strcmp(a, "--batch-size")) INT_ARG(n_batch, 1, 8192);
        else if (!strcmp(a, "-t") || !strcmp(a, "--threads")) INT_ARG(n_threads, 1, 1024);
        else if (!strcmp(a, "-ctk") || !strcmp(a, "--cache-type-k") || !strcmp(a, "-ctv") || !strcmp(a, "--cache-type-v") || !strcmp(a, "--kv-type")) {
            NEED();
            uint32_t t;
            if (kv_type(v, &t)) { fprintf(stderr, "fitchat run: %s %s: KV type must be f32, f16, q8_0 or q4_0\n", a, v); return 2; }
            if (strcmp(a, "-ctv") && strcmp(a, "--cache-type-v")) tk = t;
            if (strcmp(a, "-ctk") && strcmp(a, "--cache-type-k")) tv = t;
        } else if (!strcmp(a, "--attn")) {
            NEED();
            if (!strcmp(v, "flash")) flash = true;
            else if (!strcmp(v, "plain")) flash = false;
            else { fprintf(stderr, "fitchat run: --attn %s: must be flash or plain\n", v); return 2; }
        } else if (!strcmp(a, "--greedy")) sp.temperature = 0;
        else if (!strcmp(a, "--exact")) exact = true;
        else if (!strcmp(a, "--temp")) FLT_ARG(sp.temperature, 0, 100);
        else if (!strcmp(a, "--top-k")) INT_ARG(sp.top_k, 0, 1 << 30);
        else if (!strcmp(a, "--top-p")) FLT_ARG(sp.top_p, 0, 1);
        else if (!strcmp(a, "--min-p")) FLT_ARG(sp.min_p, 0, 1);
        else if (!strcmp(a, "--repeat-penalty")) FLT_ARG(sp.repeat_penalty, 0.01, 100);
        else if (!strcmp(a, "-s") || !strcmp(a, "--seed")) { NEED(); sp.seed = strtoull(v, NULL, 10); }
        else if (!strcmp(a, "--logits-out")) { NEED(); logits_out = v; }
        else if (!strcmp(a, "--ids-out")) { NEED(); ids_out = v; }
        else { fprintf(stderr, "fitchat run: unknown option '%s' (see fitchat run --help)\n", a); return 2; }
    }
    char buf[1024], why[1200];
    if (!model && !(model = default_model_path(buf, sizeof buf, why, sizeof why))) {
        fprintf(stderr, "fitchat run: %s\n", why);
        return 2;
    }
    if (!tokens_s == !prompt_s) {
        fprintf(stderr, "fitchat run: give the prompt with -p TEXT or --tokens \"ID ID ...\" (one of them)\n");
        return 2;
    }
    int32_t *prompt = NULL;
    int n_prompt = 0;
    if (tokens_s && (parse_ids(tokens_s, &prompt, &n_prompt) || n_prompt == 0)) {
        fprintf(stderr, "fitchat run: --tokens: expected a list of token ids\n");
        free(prompt);
        return 2;
    }
    fc_err err = {0};
    int rc = 0;
    gguf_file *f = gguf_open(model, &err);
    model_desc d = {0};
    fc_engine *e = NULL;
    fc_sampler *s = NULL;
    float *all = NULL;
    int32_t *ids = NULL;
    tokenizer *tok = NULL;
    if (!f || model_desc_load(f, &d, &err)) goto fail;
    if (prompt_s) {
        if (!(tok = tok_load(f, &err))) goto fail;
        n_prompt = tok_encode(tok, prompt_s, strlen(prompt_s), tok_add_bos(tok), true, &prompt, &err);
        if (n_prompt < 0) goto fail;
        if (n_prompt == 0) { fc_errf(&err, FC_EINPUT, "the prompt is empty"); goto fail; }
    }
    if (n_ctx == 0) n_ctx = d.n_ctx_train && d.n_ctx_train < 4096 ? (int)d.n_ctx_train : 4096;
    if (n_prompt + n_predict > n_ctx) {
        fc_errf(&err, FC_EINPUT, "prompt (%d tokens) plus %d to generate exceeds the context of %d (raise -c)", n_prompt, n_predict, n_ctx);
        goto fail;
    }
    fc_engine_params ep = {.n_ctx = (uint32_t)n_ctx, .n_batch = (uint32_t)n_batch, .n_threads = n_threads, .type_k = tk,
                           .type_v = tv, .flash = flash, .all_logits = logits_out != NULL, .exact = exact};
    if (!(e = engine_new(f, &d, &ep, &err))) goto fail;
    if (logits_out) {
        all = malloc((size_t)n_prompt * d.n_vocab * sizeof *all);
        if (!all) { fc_errf(&err, FC_EFAIL, "out of memory for %d x %u logits", n_prompt, d.n_vocab); goto fail; }
    }
    if (engine_eval(e, prompt, n_prompt, all, &err)) goto fail;
    if (logits_out) {
        FILE *o = fopen(logits_out, "wb");
        if (!o || fwrite(all, sizeof *all, (size_t)n_prompt * d.n_vocab, o) != (size_t)n_prompt * d.n_vocab || fclose(o)) {
            fc_errf(&err, FC_EFAIL, "%s: cannot write logits", logits_out);
            goto fail;
        }
    }
    if (!(s = sampler_new(&sp, (int)d.n_vocab)) || !(ids = malloc(((size_t)n_prompt + n_predict + 1) * sizeof *ids))) {
        fc_errf(&err, FC_EFAIL, "out of memory");
        goto fail;
    }
    memcpy(ids, prompt, (size_t)n_prompt * sizeof *ids);
    int n = n_prompt;
    for (int i = 0; i < n_predict; i++) {
        int32_t next = sampler_sample(s, engine_logits(e), ids, n);
        ids[n++] = next;
        if (tok) {
            size_t len;
            const char *piece = tok_piece(tok, next, false, &len);
            fwrite(piece, 1, len, stdout);
            if (tok_is_eog(tok, next)) break;
        } else {
            printf("%d%c", next, i + 1 == n_predict ? '\n' : ' ');
        }
        fflush(stdout);
        if (i + 1 < n_predict && engine_eval(e, &next, 1, NULL, &err)) goto fail;
    }
    if (ids_out) {
        FILE *o = fopen(ids_out, "w");
        if (!o) { fc_errf(&err, FC_EFAIL, "%s: cannot write: %s", ids_out, strerror(errno)); goto fail; }
        for (int i = n_prompt; i < n; i++) fprintf(o, "%d%c", ids[i], i + 1 == n ? '\n' : ' ');
        if (n == n_prompt) fputc('\n', o);
        if (fclose(o)) { fc_errf(&err, FC_EFAIL, "%s: cannot write", ids_out); goto fail; }
    }
    if (tok) printf("\n");
    goto done;
fail:
    fflush(stdout);
    fprintf(stderr, "fitchat run: %s\n", err.msg);
    rc = err.code == FC_EINPUT ? 2 : 1;
done:
    free(ids);
    free(all);
    free(prompt);
    tok_free(tok);
    sampler_free(s);
    engine_free(e);
    model_desc_free(&d);
    gguf_close(f);
    return rc;
}
