/* plan_bench FILE [RUNS] — in-process time of what `fitchat plan` computes:
 * gguf_open + model_desc_load + mem_model_init + the chosen plan + the 4
 * target rows + the 15-cell context table (no printing, no process start).
 * Prints the median and min over RUNS (default 200) in microseconds. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "../../src/plan/planner.h"

static double now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: plan_bench FILE [RUNS]\n"); return 2; }
    int runs = argc > 2 ? atoi(argv[2]) : 200;
    if (runs < 1) runs = 1;
    double *t = malloc(sizeof *t * (size_t)runs);
    gpu_inventory inv = {0};
    fc_err err = {0};
    if (!t || gpu_override_parse("name=RTX 3070,total=8GiB,used=857MiB", &inv, &err)) return 1;
    static const uint32_t ctx[] = {2048, 4096, 8192, 16384, 32768};
    static const int32_t kv[] = {GGML_TYPE_F16, GGML_TYPE_Q8_0, GGML_TYPE_Q4_0};
    unsigned sink = 0;
    for (int r = 0; r < runs; r++) {
        double t0 = now_us();
        gguf_file *f = gguf_open(argv[1], &err);
        model_desc d;
        mem_model m;
        if (!f || model_desc_load(f, &d, &err) || mem_model_init(&m, f, &d, &err)) { fprintf(stderr, "%s\n", err.msg); return 1; }
        plan_params p;
        plan_params_default(&p);
        p.n_ctx = 32768;
        plan_result pr;
        if (plan_compute(&m, &inv, &p, &pr, &err)) { fprintf(stderr, "%s\n", err.msg); return 1; }
        sink += pr.n_gpu_layers;
        for (int i = 0; i < 4; i++) {
            plan_params q = p;
            q.target = 0.6 + 0.1 * i;
            plan_compute(&m, &inv, &q, &pr, NULL);
            sink += pr.n_gpu_layers;
        }
        for (int i = 0; i < 5; i++)
            for (int k = 0; k < 3; k++) {
                plan_params q = p;
                q.n_ctx = ctx[i];
                q.type_k = q.type_v = kv[k];
                plan_compute(&m, &inv, &q, &pr, NULL);
                sink += pr.n_gpu_layers;
            }
        mem_model_free(&m);
        model_desc_free(&d);
        gguf_close(f);
        t[r] = now_us() - t0;
    }
    qsort(t, (size_t)runs, sizeof *t, cmp);
    printf("%.0f us median, %.0f us min over %d runs (layers sum %u)\n", t[runs / 2], t[0], runs, sink);
    free(t);
    return 0;
}
