/* bench_tile — speed of the 4x4 tile kernels (prompt processing) and of the
 * dots (generation) per type and ISA, in cache: the engine's loop shape (16
 * rows of n = 2048 times 128 tokens, 4x4 tiles; 16 rows times 1 token for
 * the dot) repeated for a fixed CPU time. Timed with the thread's CPU clock
 * (CLOCK_THREAD_CPUTIME_ID), so other jobs on the machine take time slices
 * but not the count: the A/B of two kernels stays readable on a loaded
 * machine. Prints G multiply-adds per CPU second; where the ISA reads a repacked copy of the type
 * (quant_repacker_get), the repacked tile over the same rows (16 tokens per
 * call, as the engine's token chunks).
 *
 *   build/tests/tools/bench_tile [seconds per case] [TYPE ...]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../src/engine/quant.h"
#include "../../src/plan/memory.h"

static double cpu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

enum { N = 2048, ROWS = 16, TOKS = 128 };

int main(int argc, char **argv) {
    const double secs = argc > 1 ? atof(argv[1]) : 0.5;
    static const uint32_t all[] = {GGML_TYPE_Q4_0, GGML_TYPE_Q4_1, GGML_TYPE_Q5_0, GGML_TYPE_Q5_1, GGML_TYPE_Q8_0,
                                   GGML_TYPE_Q2_K, GGML_TYPE_Q3_K, GGML_TYPE_Q4_K, GGML_TYPE_Q5_K, GGML_TYPE_Q6_K,
                                   GGML_TYPE_IQ4_NL, GGML_TYPE_IQ4_XS};
    static const int isas[] = {QUANT_ISA_AVX2, QUANT_ISA_AVX512};
    float *x = malloc((size_t)N * sizeof(float));
    uint8_t *w = malloc((size_t)ROWS * N * 2), *a = malloc((size_t)TOKS * N * 2);
    float out[32], sink = 0;
    if (!x || !w || !a) return 1;
    printf("type   isa     tile4 GMAC/s   dot GMAC/s  repacked GMAC/s   (CPU time, in cache, n = %d)\n", N);
    for (size_t ti = 0; ti < sizeof all / sizeof all[0]; ti++) {
        const quant_traits *ref = quant_get_ref(all[ti]);
        if (argc > 2) {
            int want = 0;
            for (int k = 2; k < argc; k++) want |= !strcmp(argv[k], ref->name);
            if (!want) continue;
        }
        const size_t rb = (size_t)(N / ref->block_elems * ref->block_bytes), ab = quant_act_bytes(ref->act_type, N);
        for (int r = 0; r < ROWS; r++) {
            for (int i = 0; i < N; i++) x[i] = (float)((i * 7919 + r * 104729) % 2001) / 1000.0f - 1.0f;
            ref->quantize(x, w + r * rb, N);
        }
        for (int t = 0; t < TOKS; t++) {
            for (int i = 0; i < N; i++) x[i] = (float)((i * 6007 + t * 7411) % 1999) / 999.0f - 1.0f;
            quant_act_from_f32(ref->act_type, x, a + t * ab, N);
        }
        for (size_t k = 0; k < sizeof isas / sizeof isas[0]; k++) {
            const quant_traits *q = quant_get_isa(all[ti], isas[k]);
            if (!q) continue;
            double macs = 0, t0 = cpu_now(), el;
            do {
                for (int t = 0; t + 4 <= TOKS; t += 4)
                    for (int r = 0; r + 4 <= ROWS; r += 4) {
                        quant_tile4(q, w + r * rb, rb, a + t * ab, ab, N, out, 4);
                        sink += out[5];
                    }
                macs += (double)ROWS * TOKS * N;
            } while ((el = cpu_now() - t0) < secs);
            const double tile = macs / el * 1e-9;
            double rpt = 0;
            const quant_repacker *rp = quant_repacker_get_isa(MEM_REPACK_X8, all[ti], isas[k]);
            uint8_t *packed = rp ? malloc((size_t)(N / rp->block_elems) * rp->block_bytes * (ROWS / rp->group)) : NULL;
            if (packed) {
                const size_t gb = (size_t)(N / rp->block_elems) * rp->block_bytes;
                float o16[16 * ROWS];
                quant_repack_rows(rp, w, rb, ROWS, N, packed);
                macs = 0;
                t0 = cpu_now();
                do {
                    for (int t = 0; t + 16 <= TOKS; t += 16)
                        for (int g = 0; g < ROWS / rp->group; g++) {
                            rp->tile(packed + (size_t)g * gb, a + t * ab, ab, N, 16, o16, ROWS);
                            sink += o16[5];
                        }
                    macs += (double)ROWS * TOKS * N;
                } while ((el = cpu_now() - t0) < secs);
                rpt = macs / el * 1e-9;
                free(packed);
            }
            macs = 0;
            t0 = cpu_now();
            do {
                for (int rep = 0; rep < 64; rep++)
                    for (int r = 0; r < ROWS; r++) sink += q->dot(w + r * rb, a + (rep % TOKS) * ab, N);
                macs += 64.0 * ROWS * N;
            } while ((el = cpu_now() - t0) < secs);
            printf("%-6s %-7s %12.2f %12.2f", ref->name, quant_isa_name(isas[k]), tile, macs / el * 1e-9);
            if (rpt > 0) printf(" %15.2f", rpt);
            printf("\n");
        }
    }
    free(x); free(w); free(a);
    return sink == 12345.0f; /* keeps the results alive */
}
