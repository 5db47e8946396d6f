/* bench_dot — memory bandwidth of the quantized dot kernels: one pass over
 * a ~100 MB weight matrix (rows of n = 4096) against one activation vector,
 * the shape of token generation, for each type and ISA. Prints GB/s of
 * weight bytes streamed (best of several passes) and the activation
 * quantization rate.
 *
 *   build/tests/tools/bench_dot [MB] [passes] [n] [run]
 *
 * n: values per row (default 4096; Gemma 3's tied head has 640); run: rows
 * per quant_dot_rows call (default all of them; the engine's generation
 * path takes runs of 2048, cpu_stage.c DOT_ROWS_RUN). Types whose block
 * does not divide n are left out.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../src/engine/quant.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
    const double mb = argc > 1 ? atof(argv[1]) : 100;
    const int passes = argc > 2 ? atoi(argv[2]) : 5;
    const int64_t n = argc > 3 ? atoll(argv[3]) : 4096;
    const int run_arg = argc > 4 ? atoi(argv[4]) : 0;
    if (n <= 0 || n % 32) {
        fprintf(stderr, "bench_dot: n must be a positive multiple of 32\n");
        return 2;
    }
    static const uint32_t types[] = {GGML_TYPE_Q4_0, GGML_TYPE_Q4_1, GGML_TYPE_Q5_0, GGML_TYPE_Q5_1, GGML_TYPE_Q8_0, GGML_TYPE_F16,
                                     GGML_TYPE_Q2_K, GGML_TYPE_Q3_K, GGML_TYPE_Q4_K, GGML_TYPE_Q5_K, GGML_TYPE_Q6_K,
                                     GGML_TYPE_IQ4_NL, GGML_TYPE_IQ4_XS};
    float *x = malloc((size_t)n * sizeof(float));
    for (int64_t i = 0; i < n; i++) x[i] = (float)((i * 7919) % 1000) / 500.0f - 1.0f;
    printf("%-6s %-8s %10s %10s\n", "type", "isa", "GB/s", "dot_rows");
    for (size_t ti = 0; ti < sizeof types / sizeof types[0]; ti++) {
        const quant_traits *r = quant_get_ref(types[ti]);
        if (n % r->block_elems) continue;
        const size_t row_bytes = (size_t)(n / r->block_elems) * r->block_bytes;
        const int rows = (int)(mb * 1e6 / (double)row_bytes);
        uint8_t *w = malloc(row_bytes * (size_t)rows);
        /* real-looking blocks: quantize random floats once, repeat them */
        r->quantize(x, w, n);
        for (int i = 1; i < rows; i++) memcpy(w + (size_t)i * row_bytes, w, row_bytes);
        for (size_t i = 0; i < row_bytes * (size_t)rows; i += 4096) w[i] ^= (uint8_t)i; /* touch every page */
        void *act = malloc(quant_act_bytes(r->act_type, n));
        float *out = malloc((size_t)rows * sizeof(float));
        for (int isa = QUANT_ISA_SCALAR; isa <= QUANT_ISA_AVX512; isa++) {
            const quant_traits *t = quant_get_isa(types[ti], isa);
            if (!t) continue;
            quant_init(isa);
            quant_act_from_f32(r->act_type, x, act, n);
            double best = 1e30, best_rows = 1e30;
            const int np = isa == QUANT_ISA_SCALAR ? 2 : passes;
            volatile float sink = 0;
            for (int p = 0; p < np; p++) {
                double t0 = now();
                for (int i = 0; i < rows; i++) out[i] = t->dot(w + (size_t)i * row_bytes, act, n);
                double t1 = now();
                const int run = run_arg > 0 ? run_arg : rows;
                for (int r0 = 0; r0 < rows; r0 += run)
                    quant_dot_rows(t, w + (size_t)r0 * row_bytes, row_bytes, rows - r0 < run ? rows - r0 : run, act, n, out + r0);
                double t2 = now();
                sink += out[rows - 1];
                if (t1 - t0 < best) best = t1 - t0;
                if (t2 - t1 < best_rows) best_rows = t2 - t1;
            }
            (void)sink;
            const double bytes = (double)row_bytes * rows;
            printf("%-6s %-8s %10.2f %10.2f\n", t->name, quant_isa_name(isa), bytes / best / 1e9, bytes / best_rows / 1e9);
        }
        free(w); free(act); free(out);
    }
    /* activation quantization, n = 4096 per call */
    fc_block_q8 *q = malloc(quant_act_bytes(FC_ACT_Q8, n));
    for (int isa = QUANT_ISA_SCALAR; isa <= QUANT_ISA_AVX512; isa++) {
        const quant_ops *o = quant_get_ops(isa);
        if (!o) continue;
        const int reps = 20000;
        double t0 = now();
        for (int k = 0; k < reps; k++) o->act_q8(x, q, n);
        double t1 = now();
        printf("act_q8 %-8s %10.2f Gfloat/s\n", quant_isa_name(isa), (double)n * reps / (t1 - t0) / 1e9);
    }
    free(q); free(x);
    return 0;
}
