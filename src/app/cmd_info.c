/* cmd_info — `fitchat info [-v] [--json] [MODEL]`: what a GGUF file holds,
 * for a new user (human report) or a script (--json, same facts).
 *
 * Everything comes from the header: the GGUF reader never touches tensor
 * data, so this runs in milliseconds on any model size. The facts are
 * gathered once into an info_report, then printed by one of two writers,
 * so the human and JSON outputs cannot drift apart.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../format/ggml_types.h"
#include "../format/gguf.h"
#include "../model/arch.h"
#include "../text/template.h"
#include "../text/tokenizer.h"
#include "../util/err.h"
#include "../util/fmt.h"
#include "commands.h"
#include "config.h"
#include "session.h"

typedef struct {
    uint32_t count;
    uint64_t bytes;
} type_stat;

typedef struct {
    const gguf_file *f;
    bool have_desc;           /* model_desc_load succeeded */
    model_desc d;
    char desc_err[1024];      /* why there are no hparams, when tensors exist */
    type_stat types[GGML_TYPE_COUNT];
    uint32_t n_layers_seen;   /* length of layer_bytes: max(n_layer, last blk.N + 1) */
    uint64_t *layer_bytes;    /* [n_layers_seen] weight bytes of the tensors blk.N.* */
    uint32_t *layer_tensors;  /* [n_layers_seen] tensor count per layer */
    uint64_t layers_total;
    uint64_t outside_total;   /* tensors not in any blk.N */
    const char *tok_model;    /* tokenizer.ggml.model or NULL */
    const char *tok_pre;      /* tokenizer.ggml.pre or NULL */
    uint64_t n_tokens, n_merges;
    const char *template_name; /* NULL when the file has no chat template */
    uint64_t template_len;
    char chat_path[1600];      /* which path the chat takes (session_template_line), "" for no tokenizer */
} info_report;

/* The chat template's family, by markers that each family's Jinja text contains. */
static const char *template_family(const char *t) {
    bool guessed;
    enum tmpl_kind k = tmpl_detect(t, &guessed);
    return guessed ? "unrecognised" : tmpl_name(k);
}

static const char *tokenizer_kind(const char *model) {
    static const struct { const char *model, *kind; } KINDS[] = {
        {"gpt2", "byte-level BPE"}, {"llama", "SentencePiece"}, {"bert", "WordPiece"},
        {"t5", "Unigram"},          {"rwkv", "RWKV greedy"},    {"none", "none"},
    };
    for (size_t i = 0; i < sizeof KINDS / sizeof KINDS[0]; i++)
        if (!strcmp(model, KINDS[i].model)) return KINDS[i].kind;
    return "unknown";
}

/* Where a tensor outside the layers belongs, for the report. */
static const char *outside_role(const char *name) {
    if (!strncmp(name, "token_embd", 10) || strstr(name, "embd") || strstr(name, "embed")) return "embeddings";
    if (!strcmp(name, "output.weight") || !strcmp(name, "output.bias")) return "output head";
    if (strstr(name, "norm")) return "norm";
    return "other";
}

static int report_build(info_report *r, const gguf_file *f, const fc_config *cfg) {
    memset(r, 0, sizeof *r);
    r->f = f;
    fc_err e = {0};
    if (model_desc_load(f, &r->d, &e) == 0) r->have_desc = true;
    else snprintf(r->desc_err, sizeof r->desc_err, "%s", e.msg);

    uint32_t n = r->have_desc && f->n_tensors ? r->d.n_layer : 0;
    for (uint64_t i = 0; i < f->n_tensors; i++) {
        int il = model_tensor_layer(f->tensors[i].name);
        if (il >= 0 && (uint32_t)il + 1 > n) n = (uint32_t)il + 1;
    }
    r->n_layers_seen = n;
    r->layer_bytes = calloc(n ? n : 1, sizeof *r->layer_bytes);
    r->layer_tensors = calloc(n ? n : 1, sizeof *r->layer_tensors);
    if (!r->layer_bytes || !r->layer_tensors) return -1;
    for (uint64_t i = 0; i < f->n_tensors; i++) {
        const gguf_tensor *t = &f->tensors[i];
        r->types[t->type].count++; /* the reader guarantees t->type has a row */
        r->types[t->type].bytes += t->n_bytes;
        int il = model_tensor_layer(t->name);
        if (il >= 0) {
            r->layer_bytes[il] += t->n_bytes;
            r->layer_tensors[il]++;
            r->layers_total += t->n_bytes;
        } else {
            r->outside_total += t->n_bytes;
        }
    }
    r->tok_model = gguf_get_str(f, "tokenizer.ggml.model", NULL);
    r->tok_pre = gguf_get_str(f, "tokenizer.ggml.pre", NULL);
    r->n_tokens = gguf_arr_n(gguf_find(f, "tokenizer.ggml.tokens"));
    r->n_merges = gguf_arr_n(gguf_find(f, "tokenizer.ggml.merges"));
    const gguf_kv *tmpl = gguf_find(f, "tokenizer.chat_template");
    if (tmpl && tmpl->type == GGUF_TYPE_STRING) {
        r->template_name = template_family(tmpl->v.str);
        r->template_len = tmpl->str_len;
    }
    /* the chat's choice with these settings (MODEL_TYPE, CHAT_TEMPLATE_FILE) */
    tokenizer *tok = r->tok_model ? tok_load(f, &e) : NULL;
    tmpl_chat ct;
    if (tok && session_chat_template(&ct, f, tok, cfg, NULL, &e) == 0) {
        session_template_line(r->chat_path, sizeof r->chat_path, &ct, cfg);
        tmpl_chat_free(&ct);
    }
    tok_free(tok);
    return 0;
}

static void report_free(info_report *r) {
    if (r->have_desc) model_desc_free(&r->d);
    free(r->layer_bytes);
    free(r->layer_tensors);
}

/* Layer with the fewest / most weight bytes (first such layer). */
static void layer_extremes(const info_report *r, uint32_t *lo, uint32_t *hi) {
    *lo = *hi = 0;
    for (uint32_t i = 1; i < r->n_layers_seen; i++) {
        if (r->layer_bytes[i] < r->layer_bytes[*lo]) *lo = i;
        if (r->layer_bytes[i] > r->layer_bytes[*hi]) *hi = i;
    }
}

/* Type ids sorted by bytes, largest first; returns how many are used. */
static int types_by_bytes(const info_report *r, int order[GGML_TYPE_COUNT]) {
    int n = 0;
    for (int t = 0; t < GGML_TYPE_COUNT; t++) {
        if (!r->types[t].count) continue;
        int j = n++;
        while (j > 0 && r->types[order[j - 1]].bytes < r->types[t].bytes) { order[j] = order[j - 1]; j--; }
        order[j] = t;
    }
    return n;
}

/* Shortest decimal that reads back as the same float ("1e-05", "100000"). */
static const char *fmt_float(char *buf, size_t cap, float v) {
    if (v > -1e15f && v < 1e15f && v == (float)(int64_t)v) { /* NaN fails the range test */
        snprintf(buf, cap, "%.0f", (double)v);
        return buf;
    }
    for (int p = 1; p <= 9; p++) {
        snprintf(buf, cap, "%.*g", p, (double)v);
        if (strtof(buf, NULL) == v) break;
    }
    return buf;
}

/* --- human report -------------------------------------------------------- */

static void print_human(const info_report *r, bool verbose) {
    const gguf_file *f = r->f;
    char b1[32], b2[32], b3[32];
    printf("%-14s %s\n", "file", f->path);
    printf("%-14s %s (%" PRIu64 " bytes)\n", "size", fmt_bytes(b1, sizeof b1, f->size), f->size);
    printf("%-14s version %u, %" PRIu64 " metadata keys, %" PRIu64 " tensors, alignment %u\n", "gguf", f->version,
           f->n_kv, f->n_tensors, f->alignment);
    const char *arch = gguf_get_str(f, "general.architecture", NULL);
    const char *name = gguf_get_str(f, "general.name", NULL);
    printf("%-14s %s%s\n", "architecture", arch ? arch : "(none)",
           r->have_desc && !arch_runnable(&r->d) ? " (this build cannot run it; info and plan work)" : "");
    char cb[256];
    if (name) printf("%-14s %s\n", "name", fmt_printable(cb, sizeof cb, name));

    if (r->have_desc) {
        const model_desc *d = &r->d;
        char fb[32], fe[32];
        printf("\nhyper-parameters\n");
        printf("  %-22s %u\n", "layers", d->n_layer);
        printf("  %-22s %u\n", "embedding size", d->n_embd);
        printf("  %-22s %u\n", "attention heads", d->n_head);
        printf("  %-22s %u%s\n", "KV heads", d->n_head_kv,
               d->n_head_kv && d->n_head_kv < d->n_head ? " (grouped-query attention)" : "");
        if (d->head_dim_k == d->head_dim_v) printf("  %-22s %u\n", "head dim", d->head_dim_k);
        else printf("  %-22s %u (keys), %u (values)\n", "head dim", d->head_dim_k, d->head_dim_v);
        printf("  %-22s %u\n", "feed-forward size", d->n_ff);
        printf("  %-22s %u\n", "vocabulary", d->n_vocab);
        if (d->n_ctx_train) printf("  %-22s %u tokens\n", "trained context", d->n_ctx_train);
        else printf("  %-22s (not given)\n", "trained context");
        printf("  %-22s base %s, %s, %u dims, scaling %s\n", "RoPE", fmt_float(fb, sizeof fb, d->rope_base),
               d->rope_type == ROPE_NEOX ? "neox" : "normal", d->n_rot, d->rope_scaling);
        printf("  %-22s %s\n", "norm epsilon", fmt_float(fe, sizeof fe, d->norm_eps));
        if (d->n_swa) printf("  %-22s %u tokens\n", "sliding window", d->n_swa);
        if (d->n_expert) printf("  %-22s %u (%u used per token)\n", "experts", d->n_expert, d->n_expert_used);
        if (f->n_tensors)
            printf("  %-22s %s\n", "output head", d->tied_output ? "tied to the token embeddings" : "output.weight");
    }

    printf("\n");
    if (f->n_tensors == 0) {
        printf("tensors        no tensors (vocabulary only)\n");
    } else {
        printf("tensors        %" PRIu64 ", %s of weights (data at offset %" PRIu64 ")\n", f->n_tensors,
               fmt_bytes(b1, sizeof b1, f->data_bytes), f->data_offset);
        int order[GGML_TYPE_COUNT];
        int nt = types_by_bytes(r, order);
        printf("  %-8s %8s %12s %7s\n", "type", "tensors", "bytes", "share");
        for (int i = 0; i < nt; i++) {
            const type_stat *s = &r->types[order[i]];
            printf("  %-8s %8u %12s %6.1f%%\n", ggml_type_name((uint32_t)order[i]), s->count,
                   fmt_bytes(b1, sizeof b1, s->bytes), f->data_bytes ? 100.0 * (double)s->bytes / (double)f->data_bytes : 0.0);
        }
        if (r->n_layers_seen) {
            uint32_t lo, hi;
            layer_extremes(r, &lo, &hi);
            printf("\nlayer weights  %s in %u layer%s; ", fmt_bytes(b1, sizeof b1, r->layers_total), r->n_layers_seen,
                   r->n_layers_seen == 1 ? "" : "s");
            if (r->layer_bytes[lo] == r->layer_bytes[hi])
                printf("each %s (%" PRIu64 " bytes)\n", fmt_bytes(b2, sizeof b2, r->layer_bytes[lo]), r->layer_bytes[lo]);
            else
                printf("min %s (layer %u), max %s (layer %u)\n", fmt_bytes(b2, sizeof b2, r->layer_bytes[lo]), lo,
                       fmt_bytes(b3, sizeof b3, r->layer_bytes[hi]), hi);
            if (verbose)
                for (uint32_t i = 0; i < r->n_layers_seen; i++)
                    printf("  layer %-4u %12s  %" PRIu64 " bytes, %u tensors\n", i,
                           fmt_bytes(b1, sizeof b1, r->layer_bytes[i]), r->layer_bytes[i], r->layer_tensors[i]);
        }
        printf("\noutside layers %s\n", fmt_bytes(b1, sizeof b1, r->outside_total));
        for (uint64_t i = 0; i < f->n_tensors; i++) {
            const gguf_tensor *t = &f->tensors[i];
            if (model_tensor_layer(t->name) >= 0) continue;
            printf("  %-24s %-12s %-6s %12s\n", fmt_printable(cb, sizeof cb, t->name), outside_role(t->name), ggml_type_name(t->type),
                   fmt_bytes(b1, sizeof b1, t->n_bytes));
        }
    }

    printf("\n%-14s ", "tokenizer");
    if (r->tok_model) {
        printf("%s (%s)", fmt_printable(cb, sizeof cb, r->tok_model), tokenizer_kind(r->tok_model));
        if (r->tok_pre) printf(", pre-tokenizer %s", fmt_printable(cb, sizeof cb, r->tok_pre));
        printf(", %" PRIu64 " tokens", r->n_tokens);
        if (r->n_merges) printf(", %" PRIu64 " merge%s", r->n_merges, r->n_merges == 1 ? "" : "s");
        printf("\n");
    } else {
        printf("(none)\n");
    }
    if (r->template_name) printf("%-14s %s (%" PRIu64 " bytes)\n", "chat template", r->template_name, r->template_len);
    else printf("%-14s (none)\n", "chat template");
    if (r->chat_path[0]) printf("%-14s %s\n", "chat prompt", fmt_printable(cb, sizeof cb, r->chat_path));
    if (!r->have_desc && f->n_tensors == 0 && r->desc_err[0] && verbose)
        printf("%-14s none (%s)\n", "hparams", r->desc_err);
}

/* --- JSON ---------------------------------------------------------------- */

/* Writes s[0..n) as a JSON string: escapes quotes, backslashes and control
 * bytes, and replaces invalid UTF-8 with U+FFFD so the output always parses. */
static void json_str_n(FILE *o, const char *s, size_t n) {
    const unsigned char *p = (const unsigned char *)s;
    fputc('"', o);
    for (size_t i = 0; i < n;) {
        unsigned c = p[i];
        if (c == '"' || c == '\\') { fputc('\\', o); fputc((int)c, o); i++; continue; }
        if (c < 0x20) { fprintf(o, "\\u%04x", c); i++; continue; }
        if (c < 0x80) { fputc((int)c, o); i++; continue; }
        size_t len = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
        bool ok = len && i + len <= n;
        for (size_t k = 1; ok && k < len; k++) ok = (p[i + k] & 0xc0) == 0x80;
        if (ok && len == 3) ok = !(c == 0xe0 && p[i + 1] < 0xa0) && !(c == 0xed && p[i + 1] >= 0xa0);
        if (ok && len == 4) ok = !(c == 0xf0 && p[i + 1] < 0x90) && !(c == 0xf4 && p[i + 1] >= 0x90);
        if (ok) { fwrite(p + i, 1, len, o); i += len; }
        else { fputs("\\ufffd", o); i++; }
    }
    fputc('"', o);
}

static void json_str(FILE *o, const char *s) {
    if (s) json_str_n(o, s, strlen(s));
    else fputs("null", o);
}

static void print_json(const info_report *r) {
    const gguf_file *f = r->f;
    FILE *o = stdout;
    char fb[32];
    fputs("{\n  \"file\": ", o);
    json_str(o, f->path);
    fprintf(o, ",\n  \"file_size\": %" PRIu64 ",\n  \"gguf_version\": %u,\n  \"n_kv\": %" PRIu64
               ",\n  \"n_tensors\": %" PRIu64 ",\n  \"alignment\": %u,\n  \"data_offset\": %" PRIu64
               ",\n  \"tensor_bytes\": %" PRIu64 ",\n  \"vocab_only\": %s,\n  \"architecture\": ",
            f->size, f->version, f->n_kv, f->n_tensors, f->alignment, f->data_offset, f->data_bytes,
            f->n_tensors == 0 ? "true" : "false");
    json_str(o, gguf_get_str(f, "general.architecture", NULL));
    fputs(",\n  \"name\": ", o);
    json_str(o, gguf_get_str(f, "general.name", NULL));
    fputs(",\n  \"hparams\": ", o);
    if (r->have_desc) {
        const model_desc *d = &r->d;
        fprintf(o, "{\"n_layer\": %u, \"n_embd\": %u, \"n_head\": %u, \"n_head_kv\": %u, \"head_dim\": %u, "
                   "\"head_dim_v\": %u, \"n_ff\": %u, \"n_vocab\": %u, \"n_ctx_train\": %u, ",
                d->n_layer, d->n_embd, d->n_head, d->n_head_kv, d->head_dim_k, d->head_dim_v, d->n_ff, d->n_vocab,
                d->n_ctx_train);
        fprintf(o, "\"rope_base\": %s, ", fmt_float(fb, sizeof fb, d->rope_base));
        fprintf(o, "\"rope_type\": \"%s\", \"rope_dims\": %u, \"rope_scaling\": ",
                d->rope_type == ROPE_NEOX ? "neox" : "normal", d->n_rot);
        json_str(o, d->rope_scaling);
        fprintf(o, ", \"norm_eps\": %s, ", fmt_float(fb, sizeof fb, d->norm_eps));
        fprintf(o, "\"n_swa\": %u, \"n_expert\": %u, \"n_expert_used\": %u, \"tied_output\": %s, \"runnable\": %s}",
                d->n_swa, d->n_expert, d->n_expert_used, d->tied_output ? "true" : "false",
                arch_runnable(d) ? "true" : "false");
    } else {
        fputs("null", o);
    }

    fputs(",\n  \"tensor_types\": [", o);
    int order[GGML_TYPE_COUNT];
    int nt = types_by_bytes(r, order);
    for (int i = 0; i < nt; i++)
        fprintf(o, "%s\n    {\"type\": \"%s\", \"count\": %u, \"bytes\": %" PRIu64 "}", i ? "," : "",
                ggml_type_name((uint32_t)order[i]), r->types[order[i]].count, r->types[order[i]].bytes);
    fputs(nt ? "\n  ]" : "]", o);

    fprintf(o, ",\n  \"layers\": {\"count\": %u, \"total_bytes\": %" PRIu64, r->n_layers_seen, r->layers_total);
    if (r->n_layers_seen) {
        uint32_t lo, hi;
        layer_extremes(r, &lo, &hi);
        fprintf(o, ", \"min_bytes\": %" PRIu64 ", \"min_layer\": %u, \"max_bytes\": %" PRIu64 ", \"max_layer\": %u",
                r->layer_bytes[lo], lo, r->layer_bytes[hi], hi);
    }
    fputs(", \"bytes\": [", o);
    for (uint32_t i = 0; i < r->n_layers_seen; i++) fprintf(o, "%s%" PRIu64, i ? ", " : "", r->layer_bytes[i]);
    fputs("]}", o);

    fprintf(o, ",\n  \"outside_layers\": {\"total_bytes\": %" PRIu64 ", \"tensors\": [", r->outside_total);
    int first = 1;
    for (uint64_t i = 0; i < f->n_tensors; i++) {
        const gguf_tensor *t = &f->tensors[i];
        if (model_tensor_layer(t->name) >= 0) continue;
        fputs(first ? "\n    {\"name\": " : ",\n    {\"name\": ", o);
        first = 0;
        json_str(o, t->name);
        fprintf(o, ", \"role\": \"%s\", \"type\": \"%s\", \"bytes\": %" PRIu64 "}", outside_role(t->name),
                ggml_type_name(t->type), t->n_bytes);
    }
    fputs(first ? "]}" : "\n  ]}", o);

    fputs(",\n  \"tokenizer\": ", o);
    if (r->tok_model) {
        fputs("{\"model\": ", o);
        json_str(o, r->tok_model);
        fprintf(o, ", \"kind\": \"%s\", \"pre\": ", tokenizer_kind(r->tok_model));
        json_str(o, r->tok_pre);
        fprintf(o, ", \"n_tokens\": %" PRIu64 ", \"n_merges\": %" PRIu64 "}", r->n_tokens, r->n_merges);
    } else {
        fputs("null", o);
    }
    fputs(",\n  \"chat_template\": ", o);
    if (r->template_name) fprintf(o, "{\"name\": \"%s\", \"bytes\": %" PRIu64 "}", r->template_name, r->template_len);
    else fputs("null", o);
    fputs(",\n  \"chat_prompt\": ", o);
    if (r->chat_path[0]) json_str(o, r->chat_path);
    else fputs("null", o);
    fputs("\n}\n", o);
}

static void usage(FILE *o) {
    fprintf(o, "usage: fitchat info [-v] [--json] [MODEL]\n"
               "  Describes a GGUF model file from its header (no weights are read).\n"
               "  MODEL        the .gguf file (default: the default model in the cache)\n"
               "  -m MODEL     the same, as an option\n"
               "  -v           also list the weight bytes of every layer\n"
               "  --json       print the same facts as JSON, for scripts\n");
}

typedef struct info_flags {
    bool verbose, json, help;
    const char *path; /* positional MODEL */
} info_flags;

static int info_extra(void *ctx, int argc, char **argv, int i, fc_err *err) {
    (void)argc;
    info_flags *fl = ctx;
    const char *a = argv[i];
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) { fl->help = true; return 1; }
    if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) { fl->verbose = true; return 1; }
    if (!strcmp(a, "--json")) { fl->json = true; return 1; }
    if (a[0] != '-' || !a[1]) {
        if (fl->path) return fc_errf(err, FC_EINPUT, "more than one model given ('%s' and '%s')", fl->path, a);
        fl->path = a;
        return 1;
    }
    return 0;
}

int cmd_info(int argc, char **argv) {
    /* The same settings as the chat (modelconf.json, flags): MODEL names the
     * default file, MODEL_TYPE / CHAT_TEMPLATE_FILE the chat prompt line. */
    info_flags fl = {0};
    fc_config cfg;
    int lrc = cmd_load_settings_ex("info", &cfg, argc - 1, argv + 1, info_extra, &fl, CONFIG_NO_GEN);
    if (lrc) return lrc;
    if (fl.help) { usage(stdout); config_free(&cfg); return 0; }
    bool verbose = fl.verbose, json = fl.json;
    const char *path = fl.path ? fl.path : cfg.origin[FC_SET_MODEL].src != FC_SRC_DEFAULT ? cfg.model : NULL;
    char buf[1024], why[1200];
    if (!path) {
        path = default_model_path(buf, sizeof buf, why, sizeof why);
        if (!path) {
            fprintf(stderr, "fitchat info: %s\n", why);
            config_free(&cfg);
            return FC_EINPUT;
        }
    }
    fc_err err = {0};
    gguf_file *f = gguf_open(path, &err);
    if (!f) {
        fprintf(stderr, "fitchat info: %s\n", err.msg);
        config_free(&cfg);
        return err.code ? err.code : FC_EFAIL;
    }
    info_report r;
    int built = report_build(&r, f, &cfg);
    config_free(&cfg);
    if (built) {
        fprintf(stderr, "fitchat info: %s: out of memory\n", path);
        report_free(&r);
        gguf_close(f);
        return FC_EFAIL;
    }
    /* A model file whose hyper-parameters are unreadable is bad input; a
     * vocabulary-only file simply has none. */
    if (!r.have_desc && f->n_tensors > 0) {
        fprintf(stderr, "fitchat info: %s\n", r.desc_err);
        report_free(&r);
        gguf_close(f);
        return FC_EINPUT;
    }
    if (json) print_json(&r);
    else print_human(&r, verbose);
    report_free(&r);
    gguf_close(f);
    if (fflush(stdout) != 0) return FC_EFAIL;
    return FC_OK;
}
