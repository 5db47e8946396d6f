/* bench_template — how long the Jinja interpreter takes to render a long conversation.
 *
 * usage: bench_template TEMPLATE [TURNS [RUNS]]
 * Parses TEMPLATE once, then renders a conversation of a system prompt and TURNS user +
 * assistant turns (default 100; about 60 bytes each) RUNS times (default 31) with
 * add_generation_prompt, and prints the median, min and max time of one rendering (and the
 * parse time, output bytes). The messages are built as the chat builds them (tmpl_chat). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../src/text/template.h"

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: bench_template TEMPLATE [TURNS [RUNS]]\n"); return 2; }
    int turns = argc > 2 ? atoi(argv[2]) : 100, runs = argc > 3 ? atoi(argv[3]) : 31;
    if (turns < 1 || runs < 1 || runs > 10000) { fprintf(stderr, "bench_template: bad TURNS or RUNS\n"); return 2; }
    FILE *f = fopen(argv[1], "rb");
    if (!f) { fprintf(stderr, "bench_template: cannot open %s\n", argv[1]); return 2; }
    static char src[1 << 20];
    size_t len = fread(src, 1, sizeof src - 1, f);
    fclose(f);
    int n = 1 + 2 * turns;
    tmpl_msg *m = calloc((size_t)n, sizeof *m);
    char (*text)[80] = calloc((size_t)n, sizeof *text);
    if (!m || !text) return 1;
    m[0] = (tmpl_msg){TMPL_SYSTEM, "You are a helpful assistant. Answer briefly."};
    for (int i = 1; i < n; i++) {
        snprintf(text[i], sizeof text[i], i % 2 ? "Question %d: what is %d times %d, and why?" : "It is %d, because %d x %d.",
                 i, i * 3, i + 7);
        m[i] = (tmpl_msg){i % 2 ? TMPL_USER : TMPL_ASSISTANT, text[i]};
    }
    fc_err err = {0};
    double t0 = now_s();
    tmpl_chat ct;
    if (tmpl_chat_init(&ct, src, len, argv[1], TMPL_CHATML, "<|begin_of_text|>", "<|eot_id|>", &err)) {
        fprintf(stderr, "bench_template: %s\n", err.msg);
        return 1;
    }
    double t_parse = now_s() - t0;
    if (!ct.jinja) { fprintf(stderr, "bench_template: %s\n", ct.warning); return 1; }
    ct.now = 1721995200;
    double *t = calloc((size_t)runs, sizeof *t);
    size_t out_len = 0;
    for (int r = 0; r < runs; r++) {
        char *out;
        unsigned char *lit;
        double a = now_s();
        if (tmpl_chat_render(&ct, m, n, true, &out, &lit, &out_len, &err) || !ct.jinja) {
            fprintf(stderr, "bench_template: %s\n", ct.warning[0] ? ct.warning : err.msg);
            return 1;
        }
        t[r] = now_s() - a;
        free(out);
        free(lit);
    }
    qsort(t, (size_t)runs, sizeof *t, cmp_d);
    printf("%d messages, %zu bytes out; parse+probe %.3f ms; render median %.3f ms (min %.3f, max %.3f, %d runs)\n", n,
           out_len, t_parse * 1e3, t[runs / 2] * 1e3, t[0] * 1e3, t[runs - 1] * 1e3, runs);
    tmpl_chat_free(&ct);
    free(t);
    free(m);
    free(text);
    return 0;
}
