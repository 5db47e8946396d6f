/* Parity of the CUDA kernels with their CPU twins (src/cuda/ vs
 * src/engine/), one test per entry point of cuda_backend.h, on fresh random
 * inputs (tests/lib/rng.h). Built in every build; where the binary has no
 * CUDA backend every test is skipped ("built without CUDA"), where there is
 * no GPU too ("no GPU: <reason>"): skipped, never passed.
 *
 * Error budgets (and why):
 * - dequantize, KV store, KV rotation: exact. The device decodes with the CPU's float
 *   operations in the CPU's order (no FMA contraction) and quantizes KV rows
 *   with the CPU's rules; the rotation does the CPU twin's butterflies
 *   (fc_kv_rotate_ref) with unfused float operations.
 * - matrix products: |gpu - ref| <= 1e-4 * sum_i |w_i x_i| + 1e-6, ref the
 *   CPU-dequantized rows dotted with x in double. The weights decode exactly;
 *   what differs is the float summation order (worst case n * 2^-24 of the
 *   absolute sum, 3e-5 at n = 512). The same for every type.
 * - RMSNorm: 2e-6 relative (the double sum of squares is added in another
 *   order; the scale rarely differs by one float ulp).
 * - RoPE: 1e-6 absolute (double cos/sin of the device libm vs glibc, both
 *   within an ulp of double, rounded to float; values of magnitude ~1).
 * - GLU: 1e-5 relative + 1e-6 (device expf / tanhf are within 2 ulp).
 * - attention: 2e-5 absolute (outputs are convex combinations of values in
 *   [-1, 1]; online softmax in float in another order than the reference in
 *   double).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../src/cuda/cuda_backend.h"
#include "../src/engine/ops.h"
#include "../src/engine/quant.h"
#include "lib/rng.h"
#include "lib/t.h"

static bool need_gpu(void) {
    if (!cuda_built()) { t_skip("built without CUDA"); return false; }
    char why[256] = "";
    if (cuda_device_count(why, sizeof why) == 0) { t_skip("no GPU: %s", why); return false; }
    return true;
}

static const uint32_t TYPES[] = {GGML_TYPE_F32,  GGML_TYPE_F16,  GGML_TYPE_BF16, GGML_TYPE_Q4_0,   GGML_TYPE_Q4_1,
                                 GGML_TYPE_Q5_0, GGML_TYPE_Q5_1, GGML_TYPE_Q8_0, GGML_TYPE_Q2_K,   GGML_TYPE_Q3_K,
                                 GGML_TYPE_Q4_K, GGML_TYPE_Q5_K, GGML_TYPE_Q6_K, GGML_TYPE_IQ4_NL, GGML_TYPE_IQ4_XS};
#define N_TYPES (int)(sizeof TYPES / sizeof TYPES[0])
static const uint32_t KV_TYPES[] = {GGML_TYPE_F32, GGML_TYPE_F16, GGML_TYPE_Q8_0, GGML_TYPE_Q4_0};

static void fill(float *x, int64_t n, float scale) {
    for (int64_t i = 0; i < n; i++) x[i] = (rng_sym() + rng_sym()) * scale;
}

static bool same_bits(float a, float b) { return memcmp(&a, &b, 4) == 0 || (a != a && b != b); }

static void test_dequant(void) {
    if (!need_gpu()) return;
    rng_seed(11);
    enum { N = 2048 };
    static float x[N], want[N], got[N];
    static uint8_t row[N * 4];
    for (int i = 0; i < N_TYPES; i++) {
        const quant_traits *q = quant_get(TYPES[i]);
        fill(x, N, 1.0f);
        q->quantize(x, row, N);
        q->dequant(row, want, N);
        fc_err err = {0};
        if (cuda_test_dequant(TYPES[i], row, N, got, &err)) { t_fail(__FILE__, __LINE__, "%s", err.msg); continue; }
        int bad = 0;
        for (int e = 0; e < N; e++)
            if (!same_bits(got[e], want[e]) && bad++ < 3)
                t_fail(__FILE__, __LINE__, "%s element %d: %.9g, CPU %.9g", q->name, e, got[e], want[e]);
    }
}

static void test_matmul(void) {
    if (!need_gpu()) return;
    rng_seed(12);
    const int n_toks[] = {1, 3, 17, 64};
    const int64_t n_in = 512, n_out = 67; /* 67: not a multiple of any tile */
    float *wf = malloc(sizeof(float) * n_in * n_out), *x = malloc(sizeof(float) * n_in * 64);
    float *y = malloc(sizeof(float) * n_out * 64);
    uint8_t *w = malloc((size_t)n_in * n_out * 4);
    for (int i = 0; i < N_TYPES; i++) {
        const quant_traits *q = quant_get(TYPES[i]);
        const size_t rb = (size_t)ggml_row_bytes(TYPES[i], n_in);
        fill(wf, n_in * n_out, 0.5f);
        for (int64_t r = 0; r < n_out; r++) q->quantize(wf + r * n_in, w + r * rb, n_in);
        for (int64_t r = 0; r < n_out; r++) q->dequant(w + r * rb, wf + r * n_in, n_in);
        for (int k = 0; k < 4; k++) {
            const int n_tok = n_toks[k];
            fill(x, n_in * n_tok, 1.0f);
            fc_err err = {0};
            if (cuda_test_matmul(TYPES[i], w, n_in, n_out, x, n_tok, y, &err)) { t_fail(__FILE__, __LINE__, "%s", err.msg); continue; }
            int bad = 0;
            for (int t = 0; t < n_tok; t++)
                for (int64_t r = 0; r < n_out; r++) {
                    double ref = 0, mag = 0;
                    for (int64_t e = 0; e < n_in; e++) {
                        ref += (double)wf[r * n_in + e] * x[t * n_in + e];
                        mag += fabs((double)wf[r * n_in + e] * x[t * n_in + e]);
                    }
                    const double got = y[t * n_out + r];
                    if (!(fabs(got - ref) <= 1e-4 * mag + 1e-6) && bad++ < 3)
                        t_fail(__FILE__, __LINE__, "%s n_tok %d token %d row %lld: %.9g, CPU %.9g", q->name, n_tok, t,
                               (long long)r, got, ref);
                }
        }
    }
    free(wf); free(x); free(y); free(w);
}

/* Decode rows long enough that each warp of the matvec kernel takes several
 * chunks (8192: 2 to 8 chunks per warp): the staging area is reused, which
 * the __syncwarp after each chunk protects. */
static void test_matvec_long_rows(void) {
    if (!need_gpu()) return;
    rng_seed(18);
    const int64_t n_in = 8192, n_out = 5;
    float *wf = malloc(sizeof(float) * n_in * n_out), *x = malloc(sizeof(float) * n_in), y[5];
    uint8_t *w = malloc((size_t)n_in * n_out * 4);
    for (int i = 0; i < N_TYPES; i++) {
        const quant_traits *q = quant_get(TYPES[i]);
        const size_t rb = (size_t)ggml_row_bytes(TYPES[i], n_in);
        fill(wf, n_in * n_out, 0.5f);
        fill(x, n_in, 1.0f);
        for (int64_t r = 0; r < n_out; r++) q->quantize(wf + r * n_in, w + r * rb, n_in);
        for (int64_t r = 0; r < n_out; r++) q->dequant(w + r * rb, wf + r * n_in, n_in);
        fc_err err = {0};
        if (cuda_test_matmul(TYPES[i], w, n_in, n_out, x, 1, y, &err)) { t_fail(__FILE__, __LINE__, "%s", err.msg); continue; }
        for (int64_t r = 0; r < n_out; r++) {
            double ref = 0, mag = 0;
            for (int64_t e = 0; e < n_in; e++) {
                ref += (double)wf[r * n_in + e] * x[e];
                mag += fabs((double)wf[r * n_in + e] * x[e]);
            }
            CHECK_MSG(fabs(y[r] - ref) <= 1e-4 * mag + 1e-6, "%s row %lld: %.9g, CPU %.9g", q->name, (long long)r, y[r], ref);
        }
    }
    free(wf); free(x); free(w);
}

static void test_rmsnorm(void) {
    if (!need_gpu()) return;
    rng_seed(13);
    const int ns[] = {64, 576, 4096};
    for (int k = 0; k < 3; k++) {
        const int n = ns[k], rows = 5;
        float *x = malloc(sizeof(float) * n * rows), *w = malloc(sizeof(float) * n);
        float *got = malloc(sizeof(float) * n * rows), *want = malloc(sizeof(float) * n * rows);
        fill(x, (int64_t)n * rows, 2.0f);
        fill(w, n, 1.0f);
        for (int r = 0; r < rows; r++) fc_rmsnorm(want + r * n, x + r * n, w, n, 1e-6f);
        fc_err err = {0};
        if (cuda_test_rmsnorm(x, w, rows, n, 1e-6f, got, &err)) t_fail(__FILE__, __LINE__, "%s", err.msg);
        else
            for (int i = 0, bad = 0; i < n * rows; i++)
                if (!(fabsf(got[i] - want[i]) <= 2e-6f * fabsf(want[i]) + 1e-7f) && bad++ < 3)
                    t_fail(__FILE__, __LINE__, "n %d element %d: %.9g, CPU %.9g", n, i, got[i], want[i]);
        free(x); free(w); free(got); free(want);
    }
}

static void test_rope(void) {
    if (!need_gpu()) return;
    rng_seed(14);
    const int n_tok = 3, n_heads = 4, head_dim = 64, pos0s[] = {0, 5000};
    const int n_rots[] = {64, 32};
    for (int kind = 0; kind < 2; kind++)
        for (int a = 0; a < 2; a++)
            for (int b = 0; b < 2; b++) {
                const int n_rot = n_rots[a], pos0 = pos0s[b];
                double inv_freq[32];
                for (int i = 0; i < n_rot / 2; i++) inv_freq[i] = pow(10000.0, -2.0 * i / n_rot);
                float v[3 * 4 * 64], want[3 * 4 * 64];
                fill(v, n_tok * n_heads * head_dim, 1.0f);
                memcpy(want, v, sizeof v);
                for (int t = 0; t < n_tok; t++)
                    fc_rope(want + t * n_heads * head_dim, n_heads, head_dim, n_rot, pos0 + t, inv_freq, (enum rope_kind)kind);
                fc_err err = {0};
                if (cuda_test_rope(v, n_tok, n_heads, head_dim, n_rot, pos0, inv_freq, kind, &err)) {
                    t_fail(__FILE__, __LINE__, "%s", err.msg);
                    continue;
                }
                for (int i = 0, bad = 0; i < n_tok * n_heads * head_dim; i++)
                    if (!(fabsf(v[i] - want[i]) <= 1e-6f) && bad++ < 3)
                        t_fail(__FILE__, __LINE__, "kind %d n_rot %d pos0 %d element %d: %.9g, CPU %.9g", kind, n_rot, pos0,
                               i, v[i], want[i]);
            }
}

static void test_glu(void) {
    if (!need_gpu()) return;
    rng_seed(15);
    enum { N = 3000 };
    static float g[N], u[N], got[N];
    for (int act = 0; act < 2; act++) {
        fill(g, N, 4.0f);
        fill(u, N, 1.0f);
        fc_err err = {0};
        if (cuda_test_glu(g, u, N, act, got, &err)) { t_fail(__FILE__, __LINE__, "%s", err.msg); continue; }
        for (int i = 0, bad = 0; i < N; i++) {
            const float x = g[i];
            /* engine.c: SiLU, and the GELU of its exact mode */
            const float want = act == 0 ? x / (1.0f + expf(-x)) * u[i]
                                        : 0.5f * x * (1.0f + tanhf(0.7978845608f * (x + 0.044715f * x * x * x))) * u[i];
            if (!(fabsf(got[i] - want) <= 1e-5f * fabsf(want) + 1e-6f) && bad++ < 3)
                t_fail(__FILE__, __LINE__, "act %d element %d: %.9g, CPU %.9g", act, i, got[i], want);
        }
    }
}

static void test_kv_store(void) {
    if (!need_gpu()) return;
    rng_seed(16);
    enum { N = 1024 };
    static float x[N];
    static uint8_t want[N * 4], got[N * 4];
    for (int k = 0; k < 4; k++) {
        const quant_traits *q = quant_get(KV_TYPES[k]);
        const size_t bytes = (size_t)ggml_row_bytes(KV_TYPES[k], N);
        for (int rep = 0; rep < 4; rep++) {
            fill(x, N, rep == 0 ? 1e-3f : rep == 1 ? 300.0f : 1.0f);
            if (rep == 3) for (int i = 0; i < 64; i++) x[i] = 0.0f; /* zero blocks: d = 0 */
            quant_kv_quantizer(KV_TYPES[k])(x, want, N);
            fc_err err = {0};
            if (cuda_test_kv_store(KV_TYPES[k], x, N, got, &err)) { t_fail(__FILE__, __LINE__, "%s", err.msg); continue; }
            CHECK_MSG(memcmp(got, want, bytes) == 0, "%s rep %d: the row differs from the CPU's KV quantizer's", q->name, rep);
        }
    }
}

/* The KV rotation (kvrot.h) against its CPU twin, for power-of-two heads
 * and ones made of several chunks (80, 96, 192). */
static void test_kv_rotate(void) {
    if (!need_gpu()) return;
    rng_seed(17);
    static const int dims[] = {32, 64, 80, 96, 128, 192, 256, 512};
    enum { N_VEC = 37 };
    static float x[N_VEC * 512], want[N_VEC * 512];
    for (size_t di = 0; di < sizeof dims / sizeof dims[0]; di++) {
        const int hd = dims[di], n = N_VEC * hd;
        fill(x, n, 3.0f);
        x[5] = 200.0f; /* an outlier channel, as in real keys */
        memcpy(want, x, sizeof(float) * (size_t)n);
        fc_kv_rotate_ref(want, N_VEC, hd);
        fc_err err = {0};
        if (cuda_test_kv_rotate(x, N_VEC, hd, &err)) { t_fail(__FILE__, __LINE__, "%s", err.msg); continue; }
        CHECK_MSG(memcmp(x, want, sizeof(float) * (size_t)n) == 0, "head dim %d: differs from fc_kv_rotate_ref", hd);
    }
}

/* Straightforward attention in double over dequantized rows. */
static void ref_attention(const float *q, const float *k, const float *v, int n_tok, int pos0, int n_head, int n_head_kv,
                          int hd, uint32_t n_window, float scale, float *out) {
    const int n_kv = pos0 + n_tok;
    double *s = malloc(sizeof(double) * n_kv);
    for (int t = 0; t < n_tok; t++)
        for (int h = 0; h < n_head; h++) {
            const int kvh = h / (n_head / n_head_kv), pos = pos0 + t;
            const int first = n_window && pos + 1 > (int)n_window ? pos + 1 - (int)n_window : 0;
            const float *qh = q + ((size_t)t * n_head + h) * hd;
            double mx = -INFINITY, sum = 0;
            for (int p = first; p <= pos; p++) {
                double d = 0;
                for (int i = 0; i < hd; i++) d += (double)qh[i] * k[((size_t)p * n_head_kv + kvh) * hd + i];
                s[p] = d * scale;
                if (s[p] > mx) mx = s[p];
            }
            for (int p = first; p <= pos; p++) { s[p] = exp(s[p] - mx); sum += s[p]; }
            for (int i = 0; i < hd; i++) {
                double o = 0;
                for (int p = first; p <= pos; p++) o += s[p] * v[((size_t)p * n_head_kv + kvh) * hd + i];
                out[((size_t)t * n_head + h) * hd + i] = (float)(o / sum);
            }
        }
    free(s);
}

static void test_attention(void) {
    if (!need_gpu()) return;
    rng_seed(17);
    /* (n_tok, pos0, window): decode, prefill from 0, prefill after a cache, windowed decode and prefill */
    const int cases[][3] = {{1, 37, 0}, {17, 0, 0}, {17, 20, 0}, {1, 300, 64}, {64, 100, 48}, {3, 5, 4}};
    const int hds[] = {64, 128, 256};
    for (int kt = 0; kt < 4; kt++)
        for (int vt = 0; vt < 4; vt++)
            for (int c = 0; c < 6; c++) {
                if (kt != vt && c > 1) continue; /* mixed K/V types: two shapes */
                const int n_tok = cases[c][0], pos0 = cases[c][1], hd = hds[(kt + vt + c) % 3];
                const uint32_t window = (uint32_t)cases[c][2];
                const int n_head = 8, n_head_kv = c % 2 ? 2 : 8 / (1 + c % 3); /* GQA 4:1, 1:1, 2:1 */
                const int n_kv = pos0 + n_tok, kv_w = n_head_kv * hd;
                const quant_traits *qk = quant_get(KV_TYPES[kt]), *qv = quant_get(KV_TYPES[vt]);
                const size_t kb = (size_t)ggml_row_bytes(qk->type, kv_w), vb = (size_t)ggml_row_bytes(qv->type, kv_w);
                float *q = malloc(sizeof(float) * n_tok * n_head * hd), *kf = malloc(sizeof(float) * n_kv * kv_w);
                float *vf = malloc(sizeof(float) * n_kv * kv_w), *got = malloc(sizeof(float) * n_tok * n_head * hd);
                float *want = malloc(sizeof(float) * n_tok * n_head * hd);
                uint8_t *kr = malloc(kb * n_kv), *vr = malloc(vb * n_kv);
                fill(q, (int64_t)n_tok * n_head * hd, 1.0f);
                fill(kf, (int64_t)n_kv * kv_w, 1.0f);
                fill(vf, (int64_t)n_kv * kv_w, 0.5f);
                for (int p = 0; p < n_kv; p++) {
                    qk->quantize(kf + (size_t)p * kv_w, kr + p * kb, kv_w);
                    qk->dequant(kr + p * kb, kf + (size_t)p * kv_w, kv_w);
                    qv->quantize(vf + (size_t)p * kv_w, vr + p * vb, kv_w);
                    qv->dequant(vr + p * vb, vf + (size_t)p * kv_w, kv_w);
                }
                const float scale = 1.0f / sqrtf((float)hd);
                ref_attention(q, kf, vf, n_tok, pos0, n_head, n_head_kv, hd, window, scale, want);
                fc_err err = {0};
                if (cuda_test_attention(q, kr, vr, qk->type, qv->type, n_tok, pos0, n_head, n_head_kv, hd, window, scale, got, &err))
                    t_fail(__FILE__, __LINE__, "%s", err.msg);
                else
                    for (int i = 0, bad = 0; i < n_tok * n_head * hd; i++)
                        if (!(fabsf(got[i] - want[i]) <= 2e-5f) && bad++ < 3)
                            t_fail(__FILE__, __LINE__, "K %s V %s n_tok %d pos0 %d window %u hd %d kv heads %d, element %d: %.9g, ref %.9g",
                                   qk->name, qv->name, n_tok, pos0, window, hd, n_head_kv, i, got[i], want[i]);
                free(q); free(kf); free(vf); free(got); free(want); free(kr); free(vr);
            }
}

/* Without a GPU the entry points fail cleanly (never crash, never pretend). */
static void test_no_gpu_reports(void) {
    char why[256] = "";
    const int n = cuda_device_count(why, sizeof why);
    if (n > 0) { t_skip("a GPU is present"); return; }
    CHECK(why[0] != 0);
    fc_err err = {0};
    float x[8] = {0}, y[8];
    CHECK(cuda_test_glu(x, x, 8, 0, y, &err) == -1);
    CHECK(err.code == FC_EFAIL);
    uint64_t ctx = 1;
    CHECK(cuda_device_init(0, &ctx, &err) == -1);
    CHECK_EQ_U64(ctx, 0);
}

int main(void) {
    quant_init(QUANT_ISA_AUTO);
    T_RUN(test_dequant);
    T_RUN(test_matmul);
    T_RUN(test_matvec_long_rows);
    T_RUN(test_rmsnorm);
    T_RUN(test_rope);
    T_RUN(test_glu);
    T_RUN(test_kv_store);
    T_RUN(test_kv_rotate);
    T_RUN(test_attention);
    T_RUN(test_no_gpu_reports);
    return t_done();
}
