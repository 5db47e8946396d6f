/* Tests for the K-quants (Q2_K..Q6_K), IQ4_NL and IQ4_XS kernels and the
 * FC_ACT_Q8K activations: known answers from the gguf Python package on
 * crafted blocks, quantize round trips, the scalar dot against a double sum,
 * and every SIMD ISA against the scalar kernels on random blocks (dot,
 * dot_rows, tile4, activation quantizer bit for bit), and the repacked
 * layouts' tiles against the tile4 of their ISA, bit for bit. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../src/engine/quant.h"
#include "../src/plan/memory.h"
#include "lib/amx_emu.h"
#include "lib/rng.h"
#include "lib/t.h"

/* Each type with the byte offsets of its f16 fields and the byte range of
 * its codes (zeroed to get the offset part of each value). */
typedef struct { uint32_t type; int half[2], n_half; int code0, code1; } ktype;
static const ktype KT[] = {
    {GGML_TYPE_Q2_K, {80, 82}, 2, 16, 80},  {GGML_TYPE_Q3_K, {108, 0}, 1, 0, 96},
    {GGML_TYPE_Q4_K, {0, 2}, 2, 16, 144},   {GGML_TYPE_Q5_K, {0, 2}, 2, 16, 176},
    {GGML_TYPE_Q6_K, {208, 0}, 1, 0, 192},  {GGML_TYPE_IQ4_NL, {0, 0}, 1, 2, 18},
    {GGML_TYPE_IQ4_XS, {0, 0}, 1, 8, 136},
};
#define N_KT (int)(sizeof KT / sizeof KT[0])
static const int SIMD_ISAS[] = {QUANT_ISA_AVX2, QUANT_ISA_AVX512};

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }

/* x: kind 0 normal-ish, 1 huge/tiny per 256, 2 zero super-blocks, 3 outliers, 4 all positive */
static void fill(float *x, int64_t n, int kind) {
    for (int64_t i = 0; i < n; i++) {
        const int64_t blk = i / 256;
        float v = rng_sym() + rng_sym() + rng_sym();
        switch (kind) {
        case 1: v *= (blk % 3 == 0) ? 1000.0f : (blk % 3 == 1) ? 1e-4f : 1.0f; break;
        case 2: if (blk % 2 == 0) v = 0.0f; break;
        case 3: if (i % 37 == 0) v *= 50.0f; break;
        case 4: v = 3.0f + v; break;
        default: break;
        }
        x[i] = v;
    }
}

/* Random valid blocks: random bytes with finite f16 scales of mixed size. */
static void random_row(const ktype *k, const quant_traits *t, uint8_t *row, int64_t n, int kind) {
    const int64_t nb = n / t->block_elems;
    for (int64_t i = 0; i < nb * (int64_t)t->block_bytes; i++) row[i] = (uint8_t)rng_u64();
    for (int64_t b = 0; b < nb; b++)
        for (int h = 0; h < k->n_half; h++) {
            float d = rng_sym() * (kind == 1 ? (b % 2 ? 10.0f : 1e-3f) : 0.05f);
            if (kind == 2 && b % 3 == h) d = 0;
            put16(row + b * t->block_bytes + k->half[h], fc_f32_to_f16(d));
        }
}

static void act_of(const quant_traits *t, const float *x, void *act, int64_t n) {
    if (t->act_type == FC_ACT_Q8K) quant_get_ops(QUANT_ISA_SCALAR)->act_q8k(x, act, n);
    else quant_get_ops(QUANT_ISA_SCALAR)->act_q8(x, act, n);
}

/* The activation value of element i. */
static double act_val(const quant_traits *t, const void *act, int64_t i) {
    if (t->act_type == FC_ACT_Q8K) {
        const fc_block_q8k *a = act;
        return (double)a[i / 256].d * a[i / 256].qs[i % 256];
    }
    const fc_block_q8 *a = act;
    return (double)a[i / 32].d * a[i / 32].qs[i % 32];
}

/* Error budget of a dot: float rounding relative to the magnitudes of the
 * scale part and the offset part of every term (the kernels sum them apart). */
static double dot_budget(const ktype *k, const quant_traits *t, const uint8_t *row, const void *act, int64_t n) {
    const size_t rb = (size_t)(n / t->block_elems * t->block_bytes);
    uint8_t *z = malloc(rb);
    float *w = malloc((size_t)n * sizeof(float)), *w0 = malloc((size_t)n * sizeof(float));
    memcpy(z, row, rb);
    for (int64_t b = 0; b < n / t->block_elems; b++) memset(z + b * t->block_bytes + k->code0, 0, (size_t)(k->code1 - k->code0));
    t->dequant(row, w, n);
    t->dequant(z, w0, n);
    double s = 0;
    for (int64_t i = 0; i < n; i++) s += (fabs((double)w[i] - w0[i]) + fabs((double)w0[i])) * fabs(act_val(t, act, i));
    free(z); free(w); free(w0);
    return 4e-6 * s + 1e-30;
}

/* ---- known answers: gguf's dequantization of crafted blocks ----------------- */

static void test_known_answers(void) {
    const char *path = "tests/data/quant_k_expected.txt";
    FILE *f = fopen(path, "r");
    if (!f) { t_skip("%s not found (run from the repo root)", path); return; }
    static char line[8192];
    char tname[16];
    int n, nbytes, cases = 0;
    while (fgets(line, sizeof line, f)) {
        if (sscanf(line, "block %15s %d %d", tname, &n, &nbytes) != 3) continue;
        const int type = ggml_type_from_name(tname);
        const quant_traits *tr = quant_get_ref((uint32_t)type);
        CHECK_MSG(tr != NULL && n <= 512 && nbytes == n / (int)tr->block_elems * (int)tr->block_bytes, "%s", tname);
        if (!tr || n > 512) break;
        uint8_t raw[512 / 32 * 34 + 512];
        float want[512], got[512];
        CHECK(fgets(line, sizeof line, f) != NULL);
        for (int i = 0; i < nbytes; i++) {
            unsigned v;
            CHECK(sscanf(line + 2 * i, "%2x", &v) == 1);
            raw[i] = (uint8_t)v;
        }
        double amax = 0;
        for (int i = 0; i < n; i++) {
            CHECK(fgets(line, sizeof line, f) != NULL);
            want[i] = strtof(line, NULL);
            amax = fmax(amax, fabs(want[i]));
        }
        for (int isa = QUANT_ISA_SCALAR; isa <= QUANT_ISA_AVX512; isa++) {
            const quant_traits *t = quant_get_isa((uint32_t)type, isa);
            if (!t) continue;
            t->dequant(raw, got, n);
            int bad = 0;
            for (int i = 0; i < n; i++)
                if (!(fabsf(got[i] - want[i]) <= 1e-6 * fabs(want[i]) + 1e-7 * amax) && bad++ < 5)
                    CHECK_MSG(0, "%s %s [%d] = %.9g, gguf says %.9g", tname, quant_isa_name(isa), i, got[i], want[i]);
            /* the dot with an activation against gguf's values */
            float x[512];
            rng_seed((uint64_t)type);
            fill(x, n, 0);
            static uint8_t act[512 * 4];
            act_of(tr, x, act, n);
            double ref = 0, mag = 0;
            for (int i = 0; i < n; i++) { ref += (double)want[i] * act_val(tr, act, i); mag += fabs((double)want[i] * act_val(tr, act, i)); }
            CHECK_MSG(fabs(t->dot(raw, act, n) - ref) <= 1e-5 * mag + 1e-6 * amax * n, "%s %s dot %.9g vs gguf %.9g", tname, quant_isa_name(isa), t->dot(raw, act, n), ref);
        }
        cases++;
    }
    fclose(f);
    CHECK_EQ_INT(cases, N_KT);
}

/* ---- quantize round trips ------------------------------------------------------ */

static void test_round_trip(void) {
    enum { N = 4096 };
    /* relative RMS error budgets of the simple quantizers on normal-ish data
     * (measured worst case about 2/3 of these); outlier blocks (kind 3)
     * stretch the scales, twice the budget */
    static const double budget[] = {0.45, 0.30, 0.12, 0.06, 0.03, 0.12, 0.12};
    double worst[N_KT][5] = {{0}};
    float *x = malloc(N * sizeof(float)), *y = malloc(N * sizeof(float));
    uint8_t *row = malloc(N * 2);
    for (int ki = 0; ki < N_KT; ki++) {
        const quant_traits *t = quant_get_ref(KT[ki].type);
        CHECK(t && t->quantize);
        for (int kind = 0; kind < 5; kind++) {
            rng_seed(300 + (uint64_t)kind);
            fill(x, N, kind);
            t->quantize(x, row, N);
            t->dequant(row, y, N);
            for (int64_t b = 0; b < N / 256; b++) {
                double e2 = 0, x2 = 0;
                for (int j = 0; j < 256; j++) {
                    const double e = (double)y[b * 256 + j] - x[b * 256 + j];
                    e2 += e * e;
                    x2 += (double)x[b * 256 + j] * x[b * 256 + j];
                }
                const double bk = budget[ki] * (kind == 3 ? 2 : 1);
                if (x2 > 0) worst[ki][kind] = fmax(worst[ki][kind], sqrt(e2 / x2));
                CHECK_MSG(isfinite(e2) && e2 <= bk * bk * x2 + 1e-30, "%s kind %d block %lld: rms err %.3g of %.3g",
                          t->name, kind, (long long)b, sqrt(e2 / 256), sqrt(x2 / 256));
            }
        }
    }
    for (int ki = 0; ki < N_KT; ki++)
        printf("  %-6s worst relative rms error per kind: %.3f %.3f %.3f %.3f %.3f\n", quant_get_ref(KT[ki].type)->name,
               worst[ki][0], worst[ki][1], worst[ki][2], worst[ki][3], worst[ki][4]);
    free(x); free(y); free(row);
}

/* ---- the scalar dot against a double sum of dequantized values ------------------ */

static void test_ref_dot_algebra(void) {
    enum { N = 2048 };
    float *x = malloc(N * sizeof(float)), *w = malloc(N * sizeof(float));
    uint8_t *row = malloc(N * 2), *act = malloc(N * 2);
    for (int ki = 0; ki < N_KT; ki++) {
        const quant_traits *t = quant_get_ref(KT[ki].type);
        for (int kind = 0; kind < 5; kind++) {
            rng_seed(77 + (uint64_t)kind + 100 * (uint64_t)ki);
            random_row(&KT[ki], t, row, N, kind);
            fill(x, N, kind);
            act_of(t, x, act, N);
            t->dequant(row, w, N);
            double want = 0;
            for (int i = 0; i < N; i++) want += (double)w[i] * act_val(t, act, i);
            const double got = t->dot(row, act, N), tol = dot_budget(&KT[ki], t, row, act, N);
            CHECK_MSG(fabs(got - want) <= tol, "%s kind %d: dot %.9g, double sum %.9g (tol %g)", t->name, kind, got, want, tol);
        }
    }
    free(x); free(w); free(row); free(act);
}

/* ---- SIMD vs scalar --------------------------------------------------------------- */

static void test_simd_parity(void) {
    static const int64_t sizes[] = {256, 512, 768, 1024, 2816, 4096};
    enum { NMAX = 4096 };
    float *x = malloc(NMAX * sizeof(float)), *wr = malloc(NMAX * sizeof(float)), *ws = malloc(NMAX * sizeof(float));
    uint8_t *rows = malloc(4 * (NMAX * 2 + 64)), *acts = malloc(4 * (NMAX * 2 + 64));
    int tested = 0;
    for (size_t k = 0; k < 2; k++) {
        const int isa = SIMD_ISAS[k];
        for (int ki = 0; ki < N_KT; ki++) {
            const quant_traits *ts = quant_get_isa(KT[ki].type, isa), *tr = quant_get_ref(KT[ki].type);
            if (!ts) continue;
            tested++;
            CHECK(ts->act_type == tr->act_type && ts->tile4 != NULL);
            int bad = 0;
            for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
                const int64_t n = sizes[si] - (tr->block_elems == 32 ? 32 * (int64_t)si : 0); /* odd block counts too */
                for (int kind = 0; kind < 5; kind++) {
                    rng_seed(1000 * (uint64_t)si + (uint64_t)kind + 17 * (uint64_t)ki + 3 * k);
                    const size_t rb = (size_t)(n / tr->block_elems * tr->block_bytes) + 1 + (size_t)kind; /* unaligned */
                    const size_t ab = quant_act_bytes(tr->act_type, n) + 4 * (size_t)kind;
                    for (int r = 0; r < 4; r++) random_row(&KT[ki], tr, rows + r * rb, n, kind);
                    for (int t = 0; t < 4; t++) { fill(x, n, (kind + t) % 5); act_of(tr, x, acts + t * ab, n); }
                    tr->dequant(rows, wr, n);
                    ts->dequant(rows, ws, n);
                    if (memcmp(wr, ws, (size_t)n * sizeof(float)) && bad++ < 5)
                        CHECK_MSG(0, "%s/%s dequant n=%lld differs", tr->name, quant_isa_name(isa), (long long)n);
                    float out[4], tile[4 * 5];
                    quant_dot_rows(ts, rows, rb, 4, acts, n, out);
                    quant_tile4(ts, rows, rb, acts, ab, n, tile, 5);
                    for (int t = 0; t < 4; t++)
                        for (int r = 0; r < 4; r++) {
                            const uint8_t *w = rows + r * rb, *a = acts + t * ab;
                            const double want = tr->dot(w, a, n), tol = dot_budget(&KT[ki], tr, w, a, n);
                            const double got = ts->dot(w, a, n);
                            if (!(fabs(got - want) <= tol) && bad++ < 5)
                                CHECK_MSG(0, "%s/%s dot n=%lld kind %d r%d t%d: %.9g vs scalar %.9g (tol %g)", tr->name,
                                          quant_isa_name(isa), (long long)n, kind, r, t, got, want, tol);
                            if (!(fabs(tile[t * 5 + r] - want) <= tol) && bad++ < 5)
                                CHECK_MSG(0, "%s/%s tile4 n=%lld [t%d r%d]: %.9g vs %.9g", tr->name, quant_isa_name(isa), (long long)n, t, r, tile[t * 5 + r], want);
                            if (t == 0 && !(fabs(out[r] - want) <= tol) && bad++ < 5)
                                CHECK_MSG(0, "%s/%s dot_rows n=%lld r%d: %.9g vs %.9g", tr->name, quant_isa_name(isa), (long long)n, r, out[r], want);
                        }
                }
            }
            CHECK_MSG(bad == 0, "%s/%s: %d mismatches", tr->name, quant_isa_name(isa), bad);
        }
    }
    if (!tested) t_skip("no SIMD ISA on this CPU");
    free(x); free(wr); free(ws); free(rows); free(acts);
}

/* ---- FC_ACT_Q8K ---------------------------------------------------------------------- */

/* dot_rows against the same ISA's dot, bit for bit, for 1..7 rows (the
 * AVX-512 Q4_K / Q6_K dot_rows pair rows r and r + n_rows / 2, and the odd
 * row goes alone): each row's float sum is the dot's, in the same order. */
static void test_dot_rows_exact(void) {
    enum { N = 1024, NR = 7 };
    float *x = malloc(N * sizeof(float));
    uint8_t *rows = malloc(NR * (N * 2 + 64)), *act = malloc(N * 2 + 64);
    for (size_t k = 0; k < 2; k++)
        for (int ki = 0; ki < N_KT; ki++) {
            const quant_traits *ts = quant_get_isa(KT[ki].type, SIMD_ISAS[k]);
            if (!ts) continue;
            /* IQ4_NL: also 29 blocks (the paired rows' 4-block steps, then a tail of 1) */
            for (int64_t n = N; n >= N - 96; n -= 96) {
                if (n < N && ts->block_elems != 32) break;
                const size_t rb = (size_t)(n / ts->block_elems * ts->block_bytes) + 3; /* unaligned rows */
                rng_seed(77 + 13 * (uint64_t)ki + k + (uint64_t)n);
                for (int r = 0; r < NR; r++) random_row(&KT[ki], ts, rows + r * rb, n, r % 5);
                fill(x, n, 1);
                act_of(ts, x, act, n);
                for (int nr = 1; nr <= NR; nr++) {
                    float out[NR];
                    quant_dot_rows(ts, rows, rb, nr, act, n, out);
                    for (int r = 0; r < nr; r++) {
                        const float want = ts->dot(rows + r * rb, act, n);
                        CHECK_MSG(memcmp(&out[r], &want, sizeof want) == 0, "%s/%s n=%lld dot_rows(%d) row %d: %.9g vs dot %.9g",
                                  ts->name, quant_isa_name(SIMD_ISAS[k]), (long long)n, nr, r, out[r], want);
                    }
                }
            }
        }
    free(x); free(rows); free(act);
}

/* The kernels a batched generation step uses, bit for bit: dot4 (one row x
 * four tokens, where an ISA has one) against the same ISA's dot, and, for
 * types whose dot computes the tile's arithmetic (tile_bits), the dot
 * against tile4 for every (row, token). Random rows of every kind and four
 * different activations, then rows of extreme bytes (0xFF, 0x80, 0x7F)
 * against activations of +-1. */
static void test_dot4_exact(void) {
    enum { N = 1024 };
    static const uint8_t bytes[] = {0xFF, 0x80, 0x7F};
    float *x = malloc(N * sizeof(float));
    uint8_t *row = malloc(4 * (N * 2 + 64)), *acts = malloc(4 * (N * 2 + 64));
    int n_checked = 0;
    for (size_t k = 0; k < 2; k++)
        for (int ki = 0; ki < N_KT; ki++) {
            const quant_traits *ts = quant_get_isa(KT[ki].type, SIMD_ISAS[k]);
            if (!ts || (!ts->dot4 && !ts->tile_bits)) continue;
            n_checked++;
            const size_t rb = (size_t)(N / ts->block_elems * ts->block_bytes), ab = quant_act_bytes(ts->act_type, N) + 4; /* unaligned for SIMD, 4-byte aligned for the structs */
            rng_seed(991 + 7 * (uint64_t)ki + k);
            int bad = 0;
            for (int c = 0; c < 5 + 2 * (int)sizeof bytes; c++) {
                if (c < 5) {
                    random_row(&KT[ki], ts, row, N, c);
                    for (int t = 0; t < 4; t++) { fill(x, N, (c + t) % 5); act_of(ts, x, acts + t * ab, N); }
                } else {
                    const int e = c - 5;
                    memset(row, bytes[e / 2], rb);
                    for (int64_t b = 0; b < N / ts->block_elems; b++)
                        for (int h = 0; h < KT[ki].n_half; h++)
                            put16(row + b * ts->block_bytes + KT[ki].half[h], fc_f32_to_f16(0.01f * (float)(e + 1)));
                    for (int t = 0; t < 4; t++) {
                        for (int i = 0; i < N; i++) x[i] = e % 2 && (i / 4 + t) % 2 ? -1.0f : 1.0f;
                        act_of(ts, x, acts + t * ab, N);
                    }
                }
                const void *a4[4] = {acts, acts + ab, acts + 2 * ab, acts + 3 * ab};
                float out[4], tile[4 * 4];
                if (ts->dot4) ts->dot4(row, a4, N, out);
                if (ts->tile_bits) {
                    for (int r = 1; r < 4; r++) memcpy(row + r * rb, row, rb); /* 4 copies of the row */
                    ts->tile4(row, rb, acts, ab, N, tile, 4);
                }
                for (int t = 0; t < 4; t++) {
                    const float want = ts->dot(row, a4[t], N);
                    if (ts->dot4 && memcmp(&out[t], &want, sizeof want) && bad++ < 5)
                        CHECK_MSG(0, "%s/%s dot4 case %d token %d: %.9g vs dot %.9g", ts->name, quant_isa_name(SIMD_ISAS[k]), c, t,
                                  out[t], want);
                    for (int r = 0; ts->tile_bits && r < 4; r++)
                        if (memcmp(&tile[4 * t + r], &want, sizeof want) && bad++ < 5)
                            CHECK_MSG(0, "%s/%s (tile_bits) case %d token %d: dot %.9g vs tile4 %.9g", ts->name,
                                      quant_isa_name(SIMD_ISAS[k]), c, t, want, tile[4 * t + r]);
                }
            }
            CHECK_MSG(bad == 0, "%s/%s: %d dot4 mismatches", ts->name, quant_isa_name(SIMD_ISAS[k]), bad);
        }
    if (!n_checked) t_skip("no ISA with a dot4 or tile_bits for these types on this CPU");
    free(x); free(row); free(acts);
}

/* ---- the IQ4 prompt tiles' arithmetic ---------------------------------------------
 * Every IQ4 tile (each table's 4x4 tile, each ISA's repacked tile) computes,
 * per result, the exact integer sum S of each block (IQ4_XS: super-block, the
 * sub-block sums times their scales) and acc = fma(S, d * d_a, acc) in block
 * order: so REPACK and the CPU's table change no logit. Checked bit for bit
 * against that arithmetic written here from ggml's block layouts. */
static const int8_t IQ4_LEVELS[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};
static float iq4_canonical(uint32_t type, const uint8_t *row, const void *act, int64_t n) {
    float acc = 0.0f;
    if (type == GGML_TYPE_IQ4_NL) {
        const fc_block_q8 *a = act;
        for (int64_t i = 0; i < n / 32; i++) {
            const uint8_t *b = row + 18 * i;
            int32_t S = 0;
            for (int j = 0; j < 16; j++)
                S += IQ4_LEVELS[b[2 + j] & 15] * a[i].qs[j] + IQ4_LEVELS[b[2 + j] >> 4] * a[i].qs[j + 16];
            acc = fmaf((float)S, fc_f16_to_f32((uint16_t)(b[0] | b[1] << 8)) * a[i].d, acc);
        }
    } else { /* IQ4_XS: d (2 bytes), scales_h (2), scales_l (4), qs (128) */
        const fc_block_q8k *a = act;
        for (int64_t i = 0; i < n / 256; i++) {
            const uint8_t *b = row + 136 * i;
            const unsigned h = (unsigned)(b[2] | b[3] << 8);
            int32_t S = 0;
            for (int sb = 0; sb < 8; sb++) {
                const int ls = (((b[4 + sb / 2] >> (4 * (sb % 2))) & 15) | (int)(((h >> (2 * sb)) & 3) << 4)) - 32;
                int32_t ss = 0;
                for (int j = 0; j < 16; j++)
                    ss += IQ4_LEVELS[b[8 + 16 * sb + j] & 15] * a[i].qs[32 * sb + j] + IQ4_LEVELS[b[8 + 16 * sb + j] >> 4] * a[i].qs[32 * sb + 16 + j];
                S += ls * ss;
            }
            acc = fmaf((float)S, fc_f16_to_f32((uint16_t)(b[0] | b[1] << 8)) * a[i].d, acc);
        }
    }
    return acc;
}

static void test_iq4_tiles_canonical(void) {
    enum { ROWS = 8, TOKS = 8, NMAX = 1024 };
    static const uint32_t types[] = {GGML_TYPE_IQ4_NL, GGML_TYPE_IQ4_XS};
    static const ktype kt[] = {{GGML_TYPE_IQ4_NL, {0, 0}, 1, 2, 18}, {GGML_TYPE_IQ4_XS, {0, 0}, 1, 8, 136}};
    float *x = malloc(NMAX * sizeof(float)), want[TOKS][ROWS], got[TOKS][ROWS];
    uint8_t *rows = malloc(ROWS * NMAX), *acts = malloc(TOKS * 2 * NMAX), *packed = malloc(2 * ROWS * NMAX);
    int tested = 0;
    for (size_t k = 0; k < sizeof SIMD_ISAS / sizeof SIMD_ISAS[0]; k++)
        for (int ti = 0; ti < 2; ti++) {
            const quant_traits *ts = quant_get_isa(types[ti], SIMD_ISAS[k]);
            const quant_repacker *rp = quant_repacker_get_isa(MEM_REPACK_X8, types[ti], SIMD_ISAS[k]);
            if (!ts) continue;
            tested++;
            CHECK_MSG(rp != NULL, "%s/%s: no repacked layout", ts->name, quant_isa_name(SIMD_ISAS[k]));
            for (int64_t n = 256; n <= NMAX; n += 768)
                for (int kind = 0; kind < 5; kind++) {
                    rng_seed(4242 + (uint64_t)(31 * kind + 7 * ti) + (uint64_t)n + 3 * k);
                    const size_t rb = (size_t)(n / ts->block_elems * ts->block_bytes), ab = quant_act_bytes(ts->act_type, n);
                    for (int r = 0; r < ROWS; r++) random_row(&kt[ti], ts, rows + r * rb, n, kind);
                    for (int t = 0; t < TOKS; t++) { fill(x, n, (kind + t) % 5); act_of(ts, x, acts + t * ab, n); }
                    for (int t = 0; t < TOKS; t++)
                        for (int r = 0; r < ROWS; r++) want[t][r] = iq4_canonical(types[ti], rows + r * rb, acts + t * ab, n);
                    for (int t = 0; t < TOKS; t += 4)
                        for (int r = 0; r < ROWS; r += 4) ts->tile4(rows + r * rb, rb, acts + t * ab, ab, n, &got[t][r], ROWS);
                    CHECK_MSG(!memcmp(got, want, sizeof got), "%s/%s tile4 n=%lld kind %d: %.9g vs %.9g", ts->name,
                              quant_isa_name(SIMD_ISAS[k]), (long long)n, kind, got[0][0], want[0][0]);
                    if (!rp) continue;
                    quant_repack_rows(rp, rows, rb, ROWS, n, packed);
                    memset(got, 0, sizeof got);
                    rp->tile(packed, acts, ab, n, TOKS, &got[0][0], ROWS);
                    CHECK_MSG(!memcmp(got, want, sizeof got), "%s/%s repacked n=%lld kind %d: %.9g vs %.9g", ts->name,
                              quant_isa_name(SIMD_ISAS[k]), (long long)n, kind, got[0][0], want[0][0]);
                }
        }
    if (!tested) t_skip("no SIMD ISA on this CPU");
    free(x); free(rows); free(acts); free(packed);
}

/* the token counts a repacked tile is called with: every remainder of the
 * 4- and 8-token passes, and around the AMX tiles' 16 */
static const int TILE_NTOK[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 15, 16, 17, 20, 24, 31, 32, 33, 35};

static void repack_vs_tile4(const quant_repacker *rp, quant_rtile_fn tile, const quant_traits *ts, const uint8_t *rows,
                            size_t rb, int n_rows, const uint8_t *acts, size_t ab, int64_t n, const char *what, int kind) {
    enum { TMAX = 36, RMAX = 24 };
    const size_t gb = (size_t)(n / rp->block_elems) * rp->block_bytes;
    uint8_t *packed = malloc(gb * (size_t)(n_rows / rp->group) + 1);
    CHECK_EQ_U64(mem_repack_bytes(rp->repack, rp->type, n, n_rows), (uint64_t)(gb * (size_t)(n_rows / rp->group)));
    quant_repack_rows(rp, rows, rb, n_rows, n, packed);
    float want[TMAX * RMAX], got[TMAX * (RMAX + 3)];
    for (int t = 0; t < TMAX; t += 4)
        for (int r = 0; r + 4 <= n_rows; r += 4) ts->tile4(rows + (size_t)r * rb, rb, acts + (size_t)t * ab, ab, n, want + t * RMAX + r, RMAX);
    for (size_t ni = 0; ni < sizeof TILE_NTOK / sizeof TILE_NTOK[0]; ni++) {
        const int nt = TILE_NTOK[ni];
        memset(got, 0, sizeof got);
        for (int g = 0; g < n_rows / rp->group; g++) tile(packed + (size_t)g * gb, acts, ab, n, nt, got + g * rp->group, RMAX + 3);
        for (int t = 0; t < nt; t++)
            for (int r = 0; r < n_rows / rp->group * rp->group; r++)
                CHECK_MSG(memcmp(&got[t * (RMAX + 3) + r], &want[t * RMAX + r], sizeof(float)) == 0,
                          "%s repacked %s n=%lld kind %d tokens %d [t%d r%d]: %.9g vs tile4 %.9g", ts->name, what, (long long)n,
                          kind, nt, t, r, got[t * (RMAX + 3) + r], want[t * RMAX + r]);
    }
    free(packed);
}

/* Every type's repacked layout under the tiles of isa (emu: the emulated
 * AMX tiles instead, over the AVX2 repackers) against isa's 4x4 tile, bit
 * for bit, on random and extreme blocks. Returns the number of types run. */
static int repack_exact(int isa, quant_rtile_fn (*emu)(uint32_t)) {
    static const int64_t sizes[] = {256, 768, 2048};
    static const uint8_t bytes[] = {0x00, 0x80, 0x7F, 0xFF};
    enum { NMAX = 2048, ROWS = 24, TOKS = 36 };
    float *x = malloc(NMAX * sizeof(float));
    uint8_t *rows = malloc(ROWS * (NMAX * 2 + 64)), *acts = malloc(TOKS * (NMAX * 2 + 64));
    /* the K types, then the legacy types a layout may take (f16 d at 0, codes after) */
    ktype all[N_KT + 5];
    memcpy(all, KT, sizeof KT);
    const ktype legacy[] = {{GGML_TYPE_Q4_0, {0, 0}, 1, 2, 18}, {GGML_TYPE_Q4_1, {0, 2}, 2, 4, 20},
                            {GGML_TYPE_Q5_0, {0, 0}, 1, 2, 22}, {GGML_TYPE_Q5_1, {0, 2}, 2, 4, 24},
                            {GGML_TYPE_Q8_0, {0, 0}, 1, 2, 34}};
    memcpy(all + N_KT, legacy, sizeof legacy);
    int tested = 0;
    const size_t k = (size_t)isa;
    for (int ki = 0; ki < N_KT + 5; ki++) {
        {
            const ktype *const KT = all; /* shadows the file's table: every type above */
            const quant_repacker *rp = quant_repacker_get_isa(MEM_REPACK_X8, KT[ki].type, isa);
            const quant_traits *ts = quant_get_isa(KT[ki].type, isa);
            if (!rp || !ts) continue;
            CHECK(rp->repack == MEM_REPACK_X8 && rp->isa == isa && rp->type == KT[ki].type && rp->group > 0 && ROWS % rp->group == 0);
            const quant_rtile_fn tile = emu ? emu(KT[ki].type) : rp->tile;
            CHECK_MSG(tile != NULL, "%s: no emulated AMX tile", ts->name);
            if (!tile) continue;
            /* tdpbssd (AMX: Q8_0, IQ4) and the VNNI Q8_0 and IQ4 tiles'
             * codes + 128 multiply a raw -128 activation as it is, the 4x4 Q8_0 and IQ4
             * tiles as +128 * -w's sign (quant_repack_amx.c,
             * quant_repack_avx512.c): -127 there, as every quantizer writes */
            const bool amx = emu || isa == QUANT_ISA_AMX, iq4 = KT[ki].type == GGML_TYPE_IQ4_NL || KT[ki].type == GGML_TYPE_IQ4_XS,
                       raw127 = (amx || isa == QUANT_ISA_AVX512) && (KT[ki].type == GGML_TYPE_Q8_0 || iq4);
            tested++;
            for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++)
                for (int kind = 0; kind < 5; kind++) {
                    const int64_t n = sizes[si];
                    rng_seed(1700 + 31 * (uint64_t)ki + 7 * (uint64_t)kind + si + 5 * k);
                    const size_t rb = (size_t)(n / ts->block_elems * ts->block_bytes) + (size_t)kind;
                    const size_t ab = quant_act_bytes(ts->act_type, n) + 4 * (size_t)kind;
                    const int n_rows = kind % 2 ? ROWS : rp->group;
                    for (int r = 0; r < n_rows; r++) random_row(&KT[ki], ts, rows + r * rb, n, (kind + r) % 5);
                    for (int t = 0; t < TOKS; t++) { fill(x, n, (kind + t) % 5); act_of(ts, x, acts + t * ab, n); }
                    repack_vs_tile4(rp, tile, ts, rows, rb, n_rows, acts, ab, n, "random", kind);
                }
            enum { N = 512 };
            const size_t rb = (size_t)(N / ts->block_elems * ts->block_bytes), ab = quant_act_bytes(ts->act_type, N);
            for (size_t bi = 0; bi < sizeof bytes; bi++)
                for (int sign = 0; sign < 3; sign++) {
                    memset(rows, bytes[bi], (size_t)ROWS * rb);
                    for (int r = 0; r < ROWS; r++)
                        for (int64_t b = 0; b < N / ts->block_elems; b++)
                            for (int h = 0; h < KT[ki].n_half; h++)
                                put16(rows + r * rb + b * ts->block_bytes + KT[ki].half[h], fc_f32_to_f16(0.01f * (float)(r + 1)));
                    for (int t = 0; t < TOKS; t++) {
                        for (int i = 0; i < N; i++) x[i] = sign == 1 && (i / 4 + t) % 2 ? -1.0f : 1.0f;
                        act_of(ts, x, acts + t * ab, N);
                        const int v = t % 2 ? 127 : raw127 ? -127 : -128; /* raw -128 (or +127), which no quantizer writes */
                        if (sign == 2 && ts->act_type == FC_ACT_Q8K)
                            for (int64_t b = 0; b < N / 256; b++) {
                                fc_block_q8k *a = (fc_block_q8k *)(void *)(acts + t * ab) + b;
                                memset(a->qs, v & 0xFF, sizeof a->qs);
                                for (int g = 0; g < 16; g++) a->bsums[g] = (int16_t)(16 * v);
                            }
                        else if (sign == 2)
                            for (int64_t b = 0; b < N / 32; b++) memset(((fc_block_q8 *)(void *)(acts + t * ab))[b].qs, v & 0xFF, 32);
                    }
                    repack_vs_tile4(rp, tile, ts, rows, rb, ROWS, acts, ab, N, amx ? "extreme (AMX)" : "extreme", (int)(3 * bi) + sign);
                }
        }
    }
    free(x); free(rows); free(acts);
    return tested;
}

static void test_repack_exact(void) {
    /* one layout set, each ISA's tiles */
    const int tested = repack_exact(QUANT_ISA_AVX2, NULL) + repack_exact(QUANT_ISA_AVX512, NULL);
    if (!tested) t_skip("no repacked layout runs on this CPU");
}

/* The AMX tiles themselves: only where the CPU has AMX-INT8 and the kernel
 * grants the tile state. */
static void test_repack_amx(void) {
    if (!quant_repacker_get_isa(MEM_REPACK_X8, GGML_TYPE_Q4_0, QUANT_ISA_AMX)) {
        t_skip("this CPU has no AMX-INT8, or the kernel refused the tile state (the emulated tiles run in test_repack_amx_emu)");
        return;
    }
    CHECK_EQ_INT(repack_exact(QUANT_ISA_AMX, NULL), 10);
}

/* The AMX tiles' tiling, layouts and steps with the tile instructions
 * emulated (tests/lib/amx_emu_avx2.c), against the AVX2 4x4 tiles. */
static void test_repack_amx_emu(void) {
#if defined(__x86_64__)
    if (!quant_repacker_get_isa(MEM_REPACK_X8, GGML_TYPE_Q4_0, QUANT_ISA_AVX2)) {
        t_skip("this CPU has no AVX2 (the emulated AMX tiles are AVX2 code around the emulation)");
        return;
    }
    CHECK_EQ_INT(repack_exact(QUANT_ISA_AVX2, quant_amxemu_tile), 10);
#else
    t_skip("x86-64 only");
#endif
}

#if defined(__x86_64__)
/* a tile one result of which is a bit off, and a tile that faults */
static void tile_off_by_one_bit(const void *w, const void *act, size_t act_stride, int64_t n, int n_tok, float *out,
                                size_t out_stride) {
    quant_amxemu_tile(GGML_TYPE_Q4_K)(w, act, act_stride, n, n_tok, out, out_stride);
    uint32_t u;
    memcpy(&u, &out[3 * out_stride + 5], 4);
    u ^= 1;
    memcpy(&out[3 * out_stride + 5], &u, 4);
}
static void tile_faults(const void *w, const void *act, size_t act_stride, int64_t n, int n_tok, float *out,
                        size_t out_stride) {
    (void)w; (void)act; (void)act_stride; (void)n; (void)n_tok; (void)out; (void)out_stride;
    __builtin_trap(); /* ud2: SIGILL, as an instruction the CPU lacks */
}
static quant_rtile_fn wrong_q4_k(uint32_t type) { return type == GGML_TYPE_Q4_K ? tile_off_by_one_bit : quant_amxemu_tile(type); }
static quant_rtile_fn faulting_q6_k(uint32_t type) { return type == GGML_TYPE_Q6_K ? tile_faults : quant_amxemu_tile(type); }
#endif

/* The start-up check that guards the AMX tiles: passes the (emulated)
 * tiles, refuses a tile one bit off, survives a tile that faults. */
static void test_amx_selftest(void) {
#if defined(__x86_64__)
    if (!quant_repacker_get_isa(MEM_REPACK_X8, GGML_TYPE_Q4_0, QUANT_ISA_AVX2)) {
        t_skip("this CPU has no AVX2 (the check compares with the AVX2 tiles)");
        return;
    }
    CHECK(quant_amx_selftest(quant_amxemu_tile));
    printf("  (two lines on stderr follow: the check refusing a wrong tile and a faulting one)\n");
    fflush(stdout);
    CHECK(!quant_amx_selftest(wrong_q4_k));
    CHECK(!quant_amx_selftest(faulting_q6_k));
    CHECK(quant_amx_selftest(quant_amxemu_tile)); /* the signal handlers were put back */
#else
    CHECK(!quant_amx_selftest(NULL));
#endif
}

static void test_act_q8k(void) {
    enum { N = 4096 };
    float *x = malloc(N * sizeof(float));
    fc_block_q8k *want = malloc(N / 256 * sizeof(fc_block_q8k)), *got = malloc(N / 256 * sizeof(fc_block_q8k));
    const quant_ops *ref = quant_get_ops(QUANT_ISA_SCALAR);
    CHECK_EQ_U64(quant_act_bytes(FC_ACT_Q8K, N), N / 256 * 292);
    /* the engine's activation rows are sized for FC_ACT_Q8, which is larger */
    CHECK(quant_act_bytes(FC_ACT_Q8K, N) <= quant_act_bytes(FC_ACT_Q8, N));
    /* known answer: amax 127 -> d = 1, ties to even, bsums */
    float t[256];
    for (int j = 0; j < 256; j++) t[j] = (j == 5) ? -127.0f : (float)(j % 8) - 3.5f;
    ref->act_q8k(t, want, 256);
    CHECK(want[0].d == 1.0f && want[0].qs[5] == -127);
    for (int g = 0; g < 16; g++) {
        int s = 0;
        for (int j = 16 * g; j < 16 * g + 16; j++) {
            if (j != 5) {
                const int even = ((int)floorf(t[j]) % 2 == 0) ? (int)floorf(t[j]) : (int)ceilf(t[j]);
                CHECK_MSG(want[0].qs[j] == even, "tie %g -> %d", t[j], want[0].qs[j]);
            }
            s += want[0].qs[j];
        }
        CHECK_EQ_INT(want[0].bsums[g], s);
    }
    /* quant_act_from_f32 goes through the active table */
    quant_act_from_f32(FC_ACT_Q8K, t, got, 256);
    CHECK(memcmp(want, got, sizeof(fc_block_q8k)) == 0);
    int tested = 0;
    for (size_t k = 0; k < 2; k++) {
        const quant_ops *o = quant_get_ops(SIMD_ISAS[k]);
        if (!o) continue;
        tested++;
        for (int kind = 0; kind < 6; kind++) {
            rng_seed(50 + (uint64_t)kind);
            if (kind < 5) fill(x, N, kind);
            else for (int i = 0; i < N; i++) x[i] = (float)(int)(rng_sym() * 127) + 0.5f * (i % 2); /* ties */
            ref->act_q8k(x, want, N);
            o->act_q8k(x, got, N);
            CHECK_MSG(memcmp(want, got, N / 256 * sizeof(fc_block_q8k)) == 0, "%s act_q8k kind %d differs", quant_isa_name(SIMD_ISAS[k]), kind);
        }
    }
    if (!tested) t_skip("no SIMD ISA on this CPU");
    free(x); free(want); free(got);
}

/* Worst cases for the integer steps of the SIMD kernels (int16 pair sums,
 * the int16 packing of the VNNI kernels): every byte of the blocks 0xFF,
 * 0x80 or 0x7F (largest codes, scales and mins; -128 and 127 as Q6_K
 * scales) against activations of +127 everywhere or of alternating sign,
 * dot and tile4 of every ISA against the scalar dot. */
static void test_extremes(void) {
    enum { N = 512 };
    static const uint8_t bytes[] = {0xFF, 0x80, 0x7F};
    float *x = malloc(N * sizeof(float));
    uint8_t *rows = malloc(4 * (N * 2 + 8)), *acts = malloc(4 * (N * 2 + 8));
    int tested = 0;
    for (size_t k = 0; k < 2; k++)
        for (int ki = 0; ki < N_KT; ki++) {
            const quant_traits *ts = quant_get_isa(KT[ki].type, SIMD_ISAS[k]), *tr = quant_get_ref(KT[ki].type);
            if (!ts) continue;
            tested++;
            const size_t rb = (size_t)(N / tr->block_elems * tr->block_bytes), ab = quant_act_bytes(tr->act_type, N);
            int bad = 0;
            for (size_t bi = 0; bi < sizeof bytes; bi++)
                for (int sign = 0; sign < 2; sign++) {
                    memset(rows, bytes[bi], 4 * rb);
                    for (int r = 0; r < 4; r++)
                        for (int64_t b = 0; b < N / tr->block_elems; b++)
                            for (int h = 0; h < KT[ki].n_half; h++)
                                put16(rows + r * rb + b * tr->block_bytes + KT[ki].half[h], fc_f32_to_f16(0.01f * (float)(r + 1)));
                    for (int t = 0; t < 4; t++) {
                        for (int i = 0; i < N; i++) x[i] = sign && (i / 4 + t) % 2 ? -1.0f : 1.0f;
                        act_of(tr, x, acts + t * ab, N);
                    }
                    float tile[16];
                    quant_tile4(ts, rows, rb, acts, ab, N, tile, 4);
                    for (int t = 0; t < 4; t++)
                        for (int r = 0; r < 4; r++) {
                            const uint8_t *w = rows + r * rb, *a = acts + t * ab;
                            const double want = tr->dot(w, a, N), tol = dot_budget(&KT[ki], tr, w, a, N);
                            if (!(fabs(ts->dot(w, a, N) - want) <= tol) && bad++ < 5)
                                CHECK_MSG(0, "%s/%s dot, bytes 0x%02X sign %d: %.9g vs %.9g", tr->name, quant_isa_name(SIMD_ISAS[k]),
                                          bytes[bi], sign, ts->dot(w, a, N), want);
                            if (!(fabs(tile[4 * t + r] - want) <= tol) && bad++ < 5)
                                CHECK_MSG(0, "%s/%s tile4 [t%d r%d], bytes 0x%02X sign %d: %.9g vs %.9g", tr->name,
                                          quant_isa_name(SIMD_ISAS[k]), t, r, bytes[bi], sign, tile[4 * t + r], want);
                        }
                }
            CHECK_MSG(bad == 0, "%s/%s: %d mismatches on extreme blocks", tr->name, quant_isa_name(SIMD_ISAS[k]), bad);
        }
    if (!tested) t_skip("no SIMD ISA on this CPU");
    free(x); free(rows); free(acts);
}

static void test_dispatch(void) {
    const int best = quant_init(QUANT_ISA_AUTO);
    for (int ki = 0; ki < N_KT; ki++) {
        const quant_traits *t = quant_get(KT[ki].type);
        const ggml_type_info *g = ggml_type_get(KT[ki].type);
        CHECK(t && t == quant_get_isa(KT[ki].type, best) && t->dequant && t->dot && t->quantize && t->tile4);
        CHECK(t && g && t->block_elems == g->block_elems && t->block_bytes == g->block_bytes && !strcmp(t->name, g->name));
        CHECK(t && t->act_type == (t->block_elems == 256 ? FC_ACT_Q8K : FC_ACT_Q8));
    }
    CHECK(quant_get(GGML_TYPE_Q8_K) == NULL); /* activations only, never weights here */
}

int main(void) {
    quant_init(QUANT_ISA_AUTO);
    T_RUN(test_known_answers);
    T_RUN(test_round_trip);
    T_RUN(test_ref_dot_algebra);
    T_RUN(test_act_q8k);
    T_RUN(test_simd_parity);
    T_RUN(test_dot_rows_exact);
    T_RUN(test_dot4_exact);
    T_RUN(test_iq4_tiles_canonical);
    T_RUN(test_repack_exact);
    T_RUN(test_repack_amx);
    T_RUN(test_repack_amx_emu);
    T_RUN(test_amx_selftest);
    T_RUN(test_extremes);
    T_RUN(test_dispatch);
    return t_done();
}
