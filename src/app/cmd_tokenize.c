/* fitchat tokenize — print the token ids of a text.
 *
 *   fitchat tokenize [-m MODEL] [-v] [--bos] [--special] TEXT
 *
 * Ids are printed space-separated on one line; -v prints one line per token
 * instead: the id and the quoted piece. TEXT "-" reads standard input.
 * Works with vocabulary-only GGUF files. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../format/gguf.h"
#include "../text/tokenizer.h"
#include "../text/unicode.h"
#include "commands.h"
#include "config.h"

static void usage(FILE *out) {
    fprintf(out,
            "usage: fitchat tokenize [-m MODEL] [-v] [--bos] [--special] TEXT\n"
            "  -m, --model MODEL  GGUF file with a tokenizer (default: the default model)\n"
            "  -v, --verbose      one line per token: id and quoted piece\n"
            "  --bos              prepend the BOS token\n"
            "  --special          recognise control-token text such as <|im_start|>\n"
            "  TEXT               the text; '-' reads standard input\n");
}

/* The piece in double quotes, with C escapes for quotes, backslashes,
 * control characters and bytes that are not complete UTF-8 (a piece may be
 * part of a character). */
static void print_quoted(const char *s, size_t n) {
    putchar('"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x80) {
            uint32_t cp;
            size_t k = utf8_decode(s + i, n - i, &cp);
            if (cp == 0xFFFD && k == 1) printf("\\x%02x", c);
            else fwrite(s + i, 1, k, stdout);
            i += k - 1;
        } else if (c == '"' || c == '\\') printf("\\%c", c);
        else if (c == '\n') printf("\\n");
        else if (c == '\t') printf("\\t");
        else if (c == '\r') printf("\\r");
        else if (c < 0x20 || c == 0x7F) printf("\\x%02x", c);
        else putchar(c);
    }
    putchar('"');
}

/* Standard input, whole, up to TOKENIZE_STDIN_MAX bytes: more is an error (*too_big), not
 * an endless allocation (`tokenize - < /dev/zero`). NULL when out of memory or too big. */
#define TOKENIZE_STDIN_MAX ((size_t)64 << 20)
static char *read_stdin(size_t *len, bool *too_big) {
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap + 1);
    *too_big = false;
    while (buf) {
        size_t got = fread(buf + n, 1, cap - n, stdin);
        n += got;
        if (n > TOKENIZE_STDIN_MAX) { /* one byte past the limit is enough to know */
            *too_big = true;
            free(buf);
            return NULL;
        }
        if (n < cap) break;
        size_t grow = cap * 2 > TOKENIZE_STDIN_MAX ? TOKENIZE_STDIN_MAX + 1 : cap * 2;
        char *b = realloc(buf, grow + 1);
        if (!b) { free(buf); buf = NULL; break; }
        buf = b;
        cap = grow;
    }
    if (buf) buf[n] = '\0';
    *len = n;
    return buf;
}

int cmd_tokenize(int argc, char **argv) {
    const char *model = NULL, *text = NULL;
    bool verbose = false, bos = false, special = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) { usage(stdout); return 0; }
        if (!strcmp(a, "-m") || !strcmp(a, "--model")) {
            if (++i >= argc) { fprintf(stderr, "fitchat tokenize: %s needs a file name\n", a); return 2; }
            model = argv[i];
        } else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) verbose = true;
        else if (!strcmp(a, "--bos")) bos = true;
        else if (!strcmp(a, "--special")) special = true;
        else if (!strcmp(a, "--")) {
            if (i + 1 < argc) text = argv[++i];
            if (i + 1 < argc) { fprintf(stderr, "fitchat tokenize: more than one TEXT (quote it)\n"); return 2; }
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "fitchat tokenize: unknown option '%s' (see --help)\n", a);
            return 2;
        } else if (text) {
            fprintf(stderr, "fitchat tokenize: more than one TEXT (quote it)\n");
            return 2;
        } else text = a;
    }
    if (!text) { fprintf(stderr, "fitchat tokenize: no TEXT given (see --help)\n"); return 2; }
    char path[4096], why[4200];
    if (!model) { /* modelconf.json's MODEL, as every command takes it; else the default model */
        fc_config cfg;
        fc_err ce = {0};
        if (config_load_ex(&cfg, 0, NULL, NULL, NULL, CONFIG_NO_GEN, &ce)) { fprintf(stderr, "fitchat tokenize: %s\n", ce.msg); return 2; }
        for (int i = 0; i < cfg.n_warnings; i++) fprintf(stderr, "fitchat tokenize: warning: %s\n", cfg.warnings[i]);
        if (cfg.origin[FC_SET_MODEL].src != FC_SRC_DEFAULT && cfg.model) {
            snprintf(path, sizeof path, "%s", cfg.model);
            model = path;
        }
        config_free(&cfg);
    }
    if (!model) {
        model = default_model_path(path, sizeof path, why, sizeof why);
        if (!model) { fprintf(stderr, "fitchat tokenize: %s\n", why); return 2; }
    }
    size_t len = strlen(text);
    char *input = NULL;
    if (!strcmp(text, "-")) {
        bool too_big;
        input = read_stdin(&len, &too_big);
        if (!input && too_big) {
            fprintf(stderr, "fitchat tokenize: standard input is larger than %zu MiB, the most it reads\n", TOKENIZE_STDIN_MAX >> 20);
            return 2;
        }
        if (!input) { fprintf(stderr, "fitchat tokenize: out of memory reading standard input\n"); return 1; }
        text = input;
    }
    fc_err err = {0};
    int rc = 0;
    tokenizer *t = NULL;
    int32_t *ids = NULL;
    gguf_file *f = gguf_open(model, &err);
    if (f) t = tok_load(f, &err);
    int n = t ? tok_encode(t, text, len, bos, special, &ids, &err) : -1;
    if (n < 0) {
        fprintf(stderr, "fitchat tokenize: %s\n", err.msg);
        rc = err.code == FC_EINPUT ? 2 : 1;
    } else if (verbose) {
        for (int i = 0; i < n; i++) {
            size_t plen;
            const char *p = tok_piece(t, ids[i], true, &plen);
            printf("%6d ", ids[i]);
            print_quoted(p, plen);
            putchar('\n');
        }
    } else {
        for (int i = 0; i < n; i++) printf(i ? " %d" : "%d", ids[i]);
        putchar('\n');
    }
    free(ids);
    free(input);
    tok_free(t);
    gguf_close(f);
    return rc;
}
