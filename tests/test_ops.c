/* RoPE pairings and scaling, RMSNorm, the KV rotation and the sampler,
 * against values computed here independently (complex rotation in double,
 * the rotation as an explicit matrix, explicit distributions); the float
 * vector loops of src/engine/vecmath.c: the AVX2 build equals the portable
 * one bit for bit (the twin test) and both are close to a float64
 * reference. */
#include <complex.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../src/engine/kvrot.h"
#include "../src/engine/ops.h"
#include "../src/engine/quant.h"
#include "../src/engine/vecmath.h"
#include "../src/engine/sampler.h"
#include "lib/t.h"

static float frand(unsigned *s) { *s = *s * 1103515245u + 12345u; return (float)((*s >> 8) & 0xffff) / 32768.0f - 1.0f; }

/* Reference: treat each pair as a complex number and multiply by e^{i theta}. */
static void rope_ref(double *v, int head_dim, int n_rot, int pos, double base, double scale, int neox) {
    for (int i = 0; i < n_rot / 2; i++) {
        double theta = pos * scale * pow(base, -2.0 * i / n_rot);
        int a = neox ? i : 2 * i, b = neox ? i + n_rot / 2 : 2 * i + 1;
        double complex z = (v[a] + I * v[b]) * cexp(I * theta);
        v[a] = creal(z);
        v[b] = cimag(z);
    }
    (void)head_dim;
}

static void check_rope(int neox, double scale, int n_rot) {
    enum { HD = 64, NH = 3 };
    double inv[HD / 2];
    for (int i = 0; i < n_rot / 2; i++) inv[i] = pow(10000.0, -2.0 * i / n_rot) * scale;
    unsigned s = 7;
    for (int pos = 0; pos < 5000; pos += 777) {
        float v[NH * HD];
        double r[NH * HD];
        for (int i = 0; i < NH * HD; i++) r[i] = v[i] = frand(&s);
        fc_rope(v, NH, HD, n_rot, pos, inv, neox ? ROPE_NEOX : ROPE_NORM);
        for (int h = 0; h < NH; h++) rope_ref(r + h * HD, HD, n_rot, pos, 10000.0, scale, neox);
        for (int i = 0; i < NH * HD; i++)
            CHECK_MSG(fabs(v[i] - r[i]) < 2e-6, "neox=%d scale=%g n_rot=%d pos %d dim %d: %g vs %g", neox, scale, n_rot, pos, i, v[i], r[i]);
    }
}

static void test_rope_normal(void) { check_rope(0, 1.0, 64); }
static void test_rope_neox(void) { check_rope(1, 1.0, 64); }
static void test_rope_linear_scaling_and_partial(void) {
    check_rope(0, 0.25, 64);
    check_rope(1, 0.5, 32); /* partial rotation: dims 32..63 untouched */
}

static void test_rope_position_zero_is_identity(void) {
    double inv[32];
    for (int i = 0; i < 32; i++) inv[i] = pow(10000.0, -2.0 * i / 64);
    float v[64], w[64];
    for (int i = 0; i < 64; i++) v[i] = w[i] = (float)i - 30;
    fc_rope(v, 1, 64, 64, 0, inv, ROPE_NORM);
    CHECK(memcmp(v, w, sizeof v) == 0);
}

static void test_rmsnorm(void) {
    float x[4] = {1, -2, 3, -4}, w[4] = {1, 1, 2, 0.5f}, out[4];
    fc_rmsnorm(out, x, w, 4, 0);
    double rms = sqrt((1 + 4 + 9 + 16) / 4.0);
    CHECK_NEAR(out[0], 1 / rms, 1e-6);
    CHECK_NEAR(out[2], 6 / rms, 1e-6);
    CHECK_NEAR(out[3], -2 / rms, 1e-6);
    float z[4] = {0}, zo[4];
    fc_rmsnorm(zo, z, w, 4, 1e-5f); /* eps keeps zeros finite */
    CHECK(zo[0] == 0 && isfinite(zo[1]));
}

enum { NV = 1000 };

static void logits_fixture(float *l) {
    unsigned s = 3;
    for (int i = 0; i < NV; i++) l[i] = frand(&s) * 3;
    l[123] = 9; l[456] = 8.5f; l[789] = 8;
}

/* The KV rotation (kvrot.h) as an explicit matrix in double: chunk c of n
 * values maps x to y[c + i] = sum_j (-1)^popcount(i & j) x[c + j] / sqrt(n)
 * (Sylvester's Hadamard matrix, the fast transform's natural order). The
 * reference must match it, applied twice give x back, keep dot products
 * (q . k: the attention scores) and spread an outlier channel; the SIMD
 * build must equal the reference bit for bit. */
static void test_kv_rotate(void) {
    static const int dims[] = {1, 2, 4, 8, 16, 32, 64, 80, 96, 128, 192, 256};
    unsigned s = 11;
    for (size_t di = 0; di < sizeof dims / sizeof dims[0]; di++) {
        enum { NV = 3, MAXD = 256 };
        const int hd = dims[di], n = kvrot_chunk(hd);
        CHECK(n >= 1 && hd % n == 0 && (n & (n - 1)) == 0 && (hd / n) % 2 == 1);
        CHECK_MSG(fabs((double)kvrot_scale(n) - 1.0 / sqrt(n)) < 1e-7, "scale for %d", n);
        float x[NV * MAXD], y[NV * MAXD], z[NV * MAXD];
        for (int i = 0; i < NV * hd; i++) x[i] = frand(&s);
        const int out_at = hd > 5 ? 5 : 0;
        x[out_at] = 40.0f; /* an outlier channel */
        memcpy(y, x, sizeof(float) * NV * hd);
        fc_kv_rotate_ref(y, NV, hd);
        for (int v = 0; v < NV; v++)
            for (int c = 0; c < hd; c += n)
                for (int i = 0; i < n; i++) {
                    double want = 0;
                    for (int j = 0; j < n; j++) want += (__builtin_popcount((unsigned)(i & j)) % 2 ? -1.0 : 1.0) * x[v * hd + c + j];
                    want /= sqrt(n);
                    CHECK_MSG(fabs(y[v * hd + c + i] - want) < 1e-5 * (1 + fabs(want)), "hd %d element %d: %g vs %g", hd,
                              c + i, y[v * hd + c + i], want);
                }
        /* the outlier's chunk: no value keeps more than 40 / sqrt(n) + the rest */
        if (n >= 32)
            for (int i = 0; i < n; i++) CHECK(fabsf(y[out_at / n * n + i]) < 40.0f / sqrtf((float)n) + 6.0f);
        /* scores survive: (R x0) . (R x1) = x0 . x1 */
        double d0 = 0, d1 = 0;
        for (int i = 0; i < hd; i++) { d0 += (double)x[i] * x[hd + i]; d1 += (double)y[i] * y[hd + i]; }
        CHECK_MSG(fabs(d0 - d1) < 1e-4 * (1 + fabs(d0)), "hd %d: dot %g, rotated %g", hd, d0, d1);
        memcpy(z, y, sizeof(float) * NV * hd);
        fc_kv_rotate_ref(z, NV, hd);
        for (int i = 0; i < NV * hd; i++) CHECK_MSG(fabsf(z[i] - x[i]) < 1e-5f * (1 + fabsf(x[i])), "hd %d: R R x at %d", hd, i);
        for (int twice = 0; twice < 2; twice++) {
            float a[NV * MAXD], b[NV * MAXD];
            memcpy(a, twice ? y : x, sizeof(float) * NV * hd);
            memcpy(b, a, sizeof(float) * NV * hd);
            fc_kv_rotate_ref(a, NV, hd);
            vm_kv_rotate(b, NV, hd);
            CHECK_MSG(memcmp(a, b, sizeof(float) * NV * hd) == 0, "hd %d: vm_kv_rotate differs from the reference", hd);
        }
    }
    CHECK(kvrot_on(GGML_TYPE_Q4_0) && kvrot_on(GGML_TYPE_Q8_0) && !kvrot_on(GGML_TYPE_F16) && !kvrot_on(GGML_TYPE_F32));
}

/* The SIMD least-squares Q4_0 scales equal kvrot.h's scalar search bit for
 * bit: random blocks, blocks with an outlier, zeros, tiny and huge values,
 * and blocks already on a grid of levels. */
static void test_kvq_scales(void) {
    enum { NB = 64 };
    static float x[NB * 32], d[NB];
    unsigned s = 5;
    for (int b = 0; b < NB; b++) {
        const float scale = b % 8 == 0 ? 1e-6f : b % 8 == 1 ? 3e4f : 1.0f;
        for (int j = 0; j < 32; j++) x[b * 32 + j] = frand(&s) * scale;
        if (b % 4 == 2) x[b * 32 + b % 32] *= 9.0f;
        if (b % 16 == 3) memset(x + b * 32, 0, 32 * sizeof(float));
        if (b % 16 == 5)
            for (int j = 0; j < 32; j++) x[b * 32 + j] = (float)(j % 15 - 7) * 0.125f; /* levels -7..7 */
    }
    vm_kvq_q4_0_scales(x, NB, d);
    for (int b = 0; b < NB; b++) {
        const float want = kvq_q4_0_scale(x + b * 32);
        CHECK_MSG(memcmp(&want, &d[b], sizeof want) == 0, "block %d: %.9g, scalar %.9g", b, d[b], want);
    }
}

static void test_greedy_and_topk1(void) {
    float l[NV];
    logits_fixture(l);
    CHECK_EQ_INT(sampler_argmax(l, NV), 123);
    fc_sampler_params p = {.temperature = 0, .repeat_penalty = 1};
    fc_sampler *s = sampler_new(&p, NV);
    CHECK_EQ_INT(sampler_sample(s, l, NULL, 0), 123);
    sampler_free(s);
    fc_sampler_params q = {.temperature = 5, .top_k = 1, .top_p = 1, .repeat_penalty = 1, .seed = 9};
    s = sampler_new(&q, NV);
    for (int i = 0; i < 50; i++) CHECK_EQ_INT(sampler_sample(s, l, NULL, 0), 123);
    sampler_free(s);
}

static void test_seed_reproducible(void) {
    float l[NV];
    logits_fixture(l);
    fc_sampler_params p = {.temperature = 1.5f, .top_k = 0, .top_p = 1, .repeat_penalty = 1, .seed = 42};
    fc_sampler *a = sampler_new(&p, NV), *b = sampler_new(&p, NV);
    int same = 1, distinct = 0, prev = -1;
    for (int i = 0; i < 200; i++) {
        int x = sampler_sample(a, l, NULL, 0), y = sampler_sample(b, l, NULL, 0);
        same &= x == y;
        distinct += x != prev;
        prev = x;
    }
    CHECK(same);
    CHECK_MSG(distinct > 20, "high temperature should vary: %d changes", distinct);
    sampler_free(a); sampler_free(b);
}

/* With temperature 1 and no filters, frequencies follow softmax(logits). */
static void test_distribution(void) {
    float l[4] = {0, 1, 2, 3};
    fc_sampler_params p = {.temperature = 1, .top_k = 0, .top_p = 1, .min_p = 0, .repeat_penalty = 1, .seed = 1};
    fc_sampler *s = sampler_new(&p, 4);
    int count[4] = {0};
    enum { N = 40000 };
    for (int i = 0; i < N; i++) count[sampler_sample(s, l, NULL, 0)]++;
    double z = 1 + exp(1) + exp(2) + exp(3);
    for (int k = 0; k < 4; k++) CHECK_NEAR(count[k] / (double)N, exp(k) / z, 0.01);
    sampler_free(s);
}

static void test_top_p_and_min_p_filter(void) {
    /* probabilities (T=1) ~ 0.64, 0.24, 0.09, 0.03 */
    float l[4] = {3, 2, 1, 0};
    fc_sampler_params p = {.temperature = 1, .top_k = 0, .top_p = 0.7f, .repeat_penalty = 1, .seed = 5};
    fc_sampler *s = sampler_new(&p, 4);
    for (int i = 0; i < 2000; i++) CHECK(sampler_sample(s, l, NULL, 0) <= 1);
    sampler_free(s);
    fc_sampler_params q = {.temperature = 1, .top_k = 0, .top_p = 1, .min_p = 0.3f, .repeat_penalty = 1, .seed = 5};
    s = sampler_new(&q, 4);
    for (int i = 0; i < 2000; i++) CHECK(sampler_sample(s, l, NULL, 0) <= 1); /* 0.09/0.64 < 0.3 */
    sampler_free(s);
}

/* top_k selects (the heap in sampler.c) what a full sort would: over a 50K vocabulary
 * of few distinct values (many ties), top_k = K gives the same draws, seed for seed, as
 * top_k off over logits where everything but the first K (larger logit first, ties by
 * the lower id, chosen here by K passes over the vocabulary) is pushed 1000 below. */
static void test_top_k_equals_full_sort(void) {
    enum { V = 50000, K = 40, DRAWS = 200 };
    float *l = malloc(V * sizeof *l), *masked = malloc(V * sizeof *masked);
    char *in = calloc(V, 1);
    uint64_t x = 7;
    for (int i = 0; i < V; i++) { x ^= x << 13; x ^= x >> 7; x ^= x << 17; l[i] = (float)(x % 64) * 0.25f - 8; }
    for (int k = 0; k < K; k++) {
        int best = -1;
        for (int i = 0; i < V; i++)
            if (!in[i] && (best < 0 || l[i] > l[best])) best = i;
        in[best] = 1;
    }
    for (int i = 0; i < V; i++) masked[i] = in[i] ? l[i] : l[i] - 1000;
    for (int cfg = 0; cfg < 2; cfg++) {
        fc_sampler_params p = {.temperature = 0.8f, .top_k = K, .top_p = cfg ? 0.9f : 1, .min_p = cfg ? 0.05f : 0,
                               .repeat_penalty = 1, .seed = 11};
        fc_sampler_params q = p;
        q.top_k = 0;
        fc_sampler *a = sampler_new(&p, V), *b = sampler_new(&q, V);
        int same = 0, inside = 0;
        for (int i = 0; i < DRAWS; i++) {
            int32_t u = sampler_sample(a, l, NULL, 0), w = sampler_sample(b, masked, NULL, 0);
            same += u == w;
            inside += in[u];
        }
        CHECK_EQ_INT(same, DRAWS);
        CHECK_EQ_INT(inside, DRAWS);
        sampler_free(a); sampler_free(b);
    }
    free(l); free(masked); free(in);
}

static void test_repeat_penalty(void) {
    float l[3] = {2.0f, 1.9f, -1};
    int32_t recent[3] = {0, 0, 0}; /* repeated: penalised once */
    fc_sampler_params p = {.temperature = 0, .repeat_penalty = 1.1f, .repeat_last_n = 64};
    fc_sampler *s = sampler_new(&p, 3);
    CHECK_EQ_INT(sampler_sample(s, l, recent, 3), 1); /* 2.0/1.1 = 1.82 < 1.9 */
    sampler_free(s);
    fc_sampler_params q = {.temperature = 0, .repeat_penalty = 1.1f, .repeat_last_n = 1};
    int32_t old[2] = {0, 2};
    s = sampler_new(&q, 3);
    CHECK_EQ_INT(sampler_sample(s, l, old, 2), 0); /* token 0 is outside the window */
    sampler_free(s);
    /* Greedy over a real-sized vocabulary with ties, zeros, negatives and a
     * window of repeats, against the rule written out here: the first id of
     * the largest value, a recent id's value l / 1.3 (l > 0) or l * 1.3. */
    enum { V = 50000 };
    float *big = malloc(V * sizeof *big);
    int32_t hist[80];
    uint64_t x = 99;
    fc_sampler_params r = {.temperature = 0, .repeat_penalty = 1.3f, .repeat_last_n = 64};
    s = sampler_new(&r, V);
    int bad = 0;
    for (int trial = 0; trial < 200 && big; trial++) {
        for (int i = 0; i < V; i++) {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            big[i] = (float)((int)(x % 41) - 20) / 4.0f; /* many ties, zeros */
        }
        for (int i = 0; i < 80; i++) {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            hist[i] = (int32_t)(x % 3 ? x % 64 : x % V); /* low ids, often repeated */
        }
        static bool in_window[V];
        memset(in_window, 0, sizeof in_window);
        for (int k = 80 - 64; k < 80; k++) in_window[hist[k]] = true;
        int want = -1;
        float wv = 0;
        for (int i = 0; i < V; i++) {
            float v = in_window[i] ? (big[i] > 0 ? big[i] / 1.3f : big[i] * 1.3f) : big[i];
            if (want < 0 || v > wv) want = i, wv = v;
        }
        if (sampler_sample(s, big, hist, 80) != want) bad++;
    }
    CHECK_MSG(bad == 0, "greedy with the repeat penalty: %d of 200 differ", bad);
    sampler_free(s);
    free(big);
}

/* Every vecmath loop, once per build, on lengths with and without a tail of
 * fewer than 8 floats; returns all outputs concatenated into out. */
static int vm_all(float *out, unsigned seed) {
    int n_out = 0;
    static const int lens[] = {1, 7, 8, 13, 64, 67};
    for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
        const int n = lens[li], dim = 40, p1 = n;
        float g[80], u[80], q[40], k[67 * 40], v[67 * 40], sc[67], acc[40];
        unsigned r = seed + (unsigned)li;
        for (int i = 0; i < n; i++) { g[i] = 4 * frand(&r); u[i] = frand(&r); }
        for (int i = 0; i < dim; i++) { q[i] = frand(&r); acc[i] = frand(&r); }
        for (int i = 0; i < n * dim; i++) { k[i] = frand(&r); v[i] = frand(&r); }
        for (int gelu = 0; gelu < 2; gelu++) {
            float gg[80];
            memcpy(gg, g, sizeof gg);
            vm_glu_fast(gelu, gg, u, n);
            memcpy(out + n_out, gg, (size_t)n * sizeof *gg);
            n_out += n;
        }
        vm_scores(q, k, dim, 0, p1, 0.125f, sc);
        memcpy(out + n_out, sc, (size_t)n * sizeof *sc);
        n_out += n;
        for (int fast = 0; fast < 2; fast++) {
            float s2[67], m = -INFINITY;
            double l = 0;
            memcpy(s2, sc, sizeof s2);
            float corr = vm_softmax_tile(s2, 0, p1, &m, &l, fast);
            out[n_out++] = corr;
            out[n_out++] = m;
            out[n_out++] = (float)l;
            memcpy(out + n_out, s2, (size_t)n * sizeof *s2);
            n_out += n;
            float a2[40];
            memcpy(a2, acc, sizeof a2);
            vm_accum_v(a2, 0.5f, s2, v, dim, 0, p1);
            memcpy(out + n_out, a2, sizeof a2);
            n_out += dim;
        }
    }
    return n_out;
}

/* The attention loops' and the RMS norm's documented order, written out in scalar code:
 * scores as lane sums over chunks of 8 in order, the tree
 * ((l0 + l4) + (l2 + l6)) + ((l1 + l5) + (l3 + l7)), the tail in order, times
 * scale; accum_v as out * corr then + w[p] * v[p] in order. Both builds
 * must give these floats exactly, whatever positions or values they take
 * together. */
static void test_vecmath_order(void) {
    static const int dims[] = {8, 40, 64, 67, 128, 256};
    enum { PMAX = 37 };
    float *k = malloc(PMAX * 256 * sizeof *k), *v = malloc(PMAX * 256 * sizeof *v);
    for (int build = 0; build < 2; build++) {
        if (vm_init(build == 1) != build) { t_skip("this CPU has no AVX2 + FMA: the portable build only"); continue; }
        for (size_t di = 0; di < sizeof dims / sizeof dims[0]; di++) {
            const int dim = dims[di];
            unsigned r = 99 + (unsigned)di;
            float q[256], w[PMAX], out[256], want_out[256], sc[PMAX];
            for (int i = 0; i < dim; i++) { q[i] = frand(&r); out[i] = frand(&r); }
            for (int i = 0; i < PMAX * dim; i++) { k[i] = frand(&r); v[i] = frand(&r); }
            for (int p = 0; p < PMAX; p++) w[p] = frand(&r) + 1.0f;
            for (int p0 = 0; p0 < 3; p0++) {
                const int p1 = PMAX - p0;
                vm_scores(q, k, dim, p0, p1, 0.125f, sc);
                int bad = 0;
                for (int p = p0; p < p1; p++) {
                    float l[8] = {0};
                    const int n8 = dim & ~7;
                    for (int i = 0; i < n8; i++) l[i % 8] = l[i % 8] + q[i] * k[p * dim + i];
                    float t = ((l[0] + l[4]) + (l[2] + l[6])) + ((l[1] + l[5]) + (l[3] + l[7]));
                    for (int i = n8; i < dim; i++) t += q[i] * k[p * dim + i];
                    const float want = t * 0.125f;
                    if (memcmp(&want, &sc[p], sizeof want)) bad++;
                }
                CHECK_MSG(bad == 0, "scores (%s build) dim %d from %d: %d differ from the documented order", build ? "AVX2" : "portable", dim, p0, bad);
                float got[256];
                memcpy(got, out, sizeof got);
                vm_accum_v(got, 0.75f, w, v, dim, p0, p1);
                for (int c = 0; c < dim; c++) {
                    float a = out[c] * 0.75f;
                    for (int p = p0; p < p1; p++) a = a + w[p] * v[p * dim + c];
                    want_out[c] = a;
                }
                CHECK_MSG(!memcmp(got, want_out, (size_t)dim * sizeof *got), "accum_v (%s build) dim %d from %d differs from the documented order",
                          build ? "AVX2" : "portable", dim, p0);
                /* fc_rmsnorm: four double chains of every fourth square, the tail into chain 0 */
                const int nn = dim - p0; /* 256, 255, 254 ...: every tail length */
                double ss[4] = {0, 0, 0, 0};
                int i = 0;
                for (; i + 4 <= nn; i += 4)
                    for (int c = 0; c < 4; c++) ss[c] += (double)k[i + c] * k[i + c];
                for (; i < nn; i++) ss[0] += (double)k[i] * k[i];
                const float sc_ = (float)(1.0 / sqrt(((ss[0] + ss[1]) + (ss[2] + ss[3])) / nn + 1e-6f));
                for (i = 0; i < nn; i++) want_out[i] = k[i] * sc_ * v[i];
                vm_rmsnorm(got, k, v, nn, 1e-6f);
                CHECK_MSG(!memcmp(got, want_out, (size_t)nn * sizeof *got), "rmsnorm (%s build) n %d differs from the documented order",
                          build ? "AVX2" : "portable", nn);
            }
        }
    }
    /* the softmax's sum: per whole group of 8 from p0,
     * (double)((w0 + w1) + (w2 + w3)) + (double)((w4 + w5) + (w6 + w7)),
     * then the last 1-7 one by one, added in order to the earlier sum
     * times the correction; 0-5 groups and every tail length */
    for (int build = 0; build < 2; build++) {
        if (vm_init(build == 1) != build) continue;
        int bad = 0;
        for (int p0 = 0; p0 < 3; p0++)
            for (int p1 = p0 + 1; p1 <= p0 + 47; p1++) {
                float s[64], m = 0.25f;
                double l = 3.0;
                unsigned r = 7u + (unsigned)(p0 * 64 + p1);
                for (int p = 0; p < 64; p++) s[p] = 4 * frand(&r);
                const float corr = vm_softmax_tile(s, p0, p1, &m, &l, true);
                double sum = 0;
                int p = p0;
                for (; p + 8 <= p1; p += 8)
                    sum += (double)((s[p] + s[p + 1]) + (s[p + 2] + s[p + 3])) + (double)((s[p + 4] + s[p + 5]) + (s[p + 6] + s[p + 7]));
                for (; p < p1; p++) sum += s[p];
                const double want = 3.0 * corr + sum;
                if (memcmp(&want, &l, sizeof l)) bad++;
            }
        CHECK_MSG(bad == 0, "softmax (%s build): %d sums differ from the documented order", build ? "AVX2" : "portable", bad);
    }
    vm_init(true);
    free(k); free(v);
}

static void test_vecmath_twins(void) {
    static float plain[4096], simd[4096];
    vm_init(false);
    int n = vm_all(plain, 7);
    if (!vm_init(true)) {
        t_skip("this CPU has no AVX2 + FMA: only the portable build runs");
    } else {
        int n2 = vm_all(simd, 7);
        CHECK_EQ_INT(n, n2);
        int first = -1;
        for (int i = 0; i < n && first < 0; i++)
            if (memcmp(&plain[i], &simd[i], sizeof(float)) != 0) first = i;
        CHECK_MSG(first < 0, "AVX2 and portable builds differ first at output %d: %.9g vs %.9g", first,
                  first >= 0 ? plain[first] : 0, first >= 0 ? simd[first] : 0);
    }
    /* Both against float64: scores and the SiLU of the first length-13 block. */
    unsigned r = 7 + 3;
    float g[80], u[80];
    for (int i = 0; i < 13; i++) { g[i] = 4 * frand(&r); u[i] = frand(&r); }
    for (int b = 0; b < 2; b++) {
        vm_init(b);
        float gg[13];
        memcpy(gg, g, sizeof gg);
        vm_glu_fast(false, gg, u, 13);
        for (int i = 0; i < 13; i++) {
            double x = g[i], want = x / (1 + exp(-x)) * u[i];
            CHECK_MSG(fabs(gg[i] - want) <= 1e-5 * (1 + fabs(want)), "SiLU build %d at %d: %.9g vs %.9g", b, i, gg[i], want);
        }
    }
    quant_init(QUANT_ISA_AUTO); /* back to what the engine would choose */
}

int main(void) {
    T_RUN(test_rope_normal);
    T_RUN(test_rope_neox);
    T_RUN(test_rope_linear_scaling_and_partial);
    T_RUN(test_rope_position_zero_is_identity);
    T_RUN(test_rmsnorm);
    T_RUN(test_kv_rotate);
    T_RUN(test_kvq_scales);
    T_RUN(test_greedy_and_topk1);
    T_RUN(test_seed_reproducible);
    T_RUN(test_distribution);
    T_RUN(test_top_p_and_min_p_filter);
    T_RUN(test_top_k_equals_full_sort);
    T_RUN(test_repeat_penalty);
    T_RUN(test_vecmath_twins);
    T_RUN(test_vecmath_order);
    return t_done();
}
