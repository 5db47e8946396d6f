/* Tests for src/engine/quant*: f16/bf16 conversions, known-answer blocks,
 * quantize round trips, SIMD-vs-scalar parity for every ISA the CPU runs,
 * and real blocks of the default model against values from Python's gguf. */
#include <float.h>
#include <stdlib.h>
#include <string.h>

#include "../src/engine/quant.h"
#include "../src/plan/memory.h"
#include "lib/rng.h"
#include "lib/t.h"

/* ---- helpers --------------------------------------------------------------- */

static uint32_t f2u(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static float u2f(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }

static const uint32_t ALL_TYPES[] = {GGML_TYPE_F32, GGML_TYPE_F16, GGML_TYPE_BF16, GGML_TYPE_Q4_0,
                                     GGML_TYPE_Q4_1, GGML_TYPE_Q5_0, GGML_TYPE_Q5_1, GGML_TYPE_Q8_0};
#define N_TYPES (int)(sizeof ALL_TYPES / sizeof ALL_TYPES[0])
static const int SIMD_ISAS[] = {QUANT_ISA_AVX2, QUANT_ISA_AVX512};

static bool is_block_type(uint32_t t) { return quant_get_ref(t)->block_elems == 32; }

/* Random test vectors of several shapes: kind 0 normal-ish, 1 huge/tiny
 * magnitudes per block, 2 with zero blocks, 3 one outlier per block, 4 all
 * positive (offset-heavy for the "_1" types). */
static void fill(float *x, int64_t n, int kind) {
    for (int64_t i = 0; i < n; i++) {
        const int64_t blk = i / 32;
        float v = rng_sym() + rng_sym() + rng_sym();
        switch (kind) {
        case 1: v *= (blk % 3 == 0) ? 1000.0f : (blk % 3 == 1) ? 1e-4f : 1.0f; break;
        case 2: if (blk % 2 == 0) v = 0.0f; break;
        case 3: if (i % 32 == (blk * 7) % 32) v *= 50.0f; break;
        case 4: v = 3.0f + v; break;
        default: break;
        }
        x[i] = v;
    }
}

/* ---- f16 / bf16 --------------------------------------------------------------- */

/* The value of a half computed from its fields in double, independent of the
 * code under test. */
static double f16_value(uint16_t h) {
    const int s = h >> 15, e = (h >> 10) & 31, m = h & 1023;
    double v = e == 0 ? ldexp(m, -24) : e == 31 ? (m ? NAN : INFINITY) : ldexp(1024 + m, e - 25);
    return s ? -v : v;
}

static void test_f16_exhaustive(void) {
    int bad = 0;
    for (uint32_t h = 0; h < 65536; h++) {
        const float f = fc_f16_to_f32((uint16_t)h);
        const double want = f16_value((uint16_t)h);
        if (isnan(want)) {
            const uint16_t back = fc_f32_to_f16(f);
            if (!isnan(f) || (back & 0x7C00) != 0x7C00 || !(back & 0x3FF) || (back & 0x8000) != (h & 0x8000)) bad++;
            continue;
        }
        if ((double)f != want || !!signbit(f) != (int)(h >> 15)) { if (bad++ < 5) CHECK_MSG(0, "f16 %04x -> %g, want %g", h, f, want); }
        if (fc_f32_to_f16(f) != h) { if (bad++ < 5) CHECK_MSG(0, "f16 %04x round trip -> %04x", h, fc_f32_to_f16(f)); }
        /* midpoint towards the next half up in magnitude: ties go to even */
        const uint16_t mag = h & 0x7FFF;
        if (mag < 0x7BFF) {
            const double up = f16_value((uint16_t)(h + 1));
            const float mid = (float)((want + up) / 2); /* 12 significant bits: exact in float */
            const uint16_t even = (h & 1) ? (uint16_t)(h + 1) : (uint16_t)h;
            if (fc_f32_to_f16(mid) != even) { if (bad++ < 5) CHECK_MSG(0, "f16 tie %g -> %04x want %04x", mid, fc_f32_to_f16(mid), even); }
            const float above = nextafterf(mid, mid > 0 ? INFINITY : -INFINITY);
            const float below = nextafterf(mid, 0.0f);
            if (mid != 0.0f && (fc_f32_to_f16(above) != (uint16_t)(h + 1) || fc_f32_to_f16(below) != h)) {
                if (bad++ < 5) CHECK_MSG(0, "f16 near tie of %04x", h);
            }
        }
    }
    CHECK_EQ_INT(bad, 0);
    /* overflow and underflow edges */
    CHECK_EQ_INT(fc_f32_to_f16(65504.0f), 0x7BFF);
    CHECK_EQ_INT(fc_f32_to_f16(65519.99f), 0x7BFF);
    CHECK_EQ_INT(fc_f32_to_f16(65520.0f), 0x7C00);
    CHECK_EQ_INT(fc_f32_to_f16(-1e10f), 0xFC00);
    CHECK_EQ_INT(fc_f32_to_f16(INFINITY), 0x7C00);
    CHECK_EQ_INT(fc_f32_to_f16(ldexpf(1.0f, -25)), 0x0000);            /* tie to even: 0 */
    CHECK_EQ_INT(fc_f32_to_f16(nextafterf(ldexpf(1.0f, -25), 1.0f)), 0x0001);
    CHECK_EQ_INT(fc_f32_to_f16(-ldexpf(1.0f, -26)), 0x8000);
    CHECK_EQ_INT(fc_f32_to_f16(FLT_MIN / 4), 0x0000);                  /* float subnormal range */
    CHECK_EQ_INT(fc_f32_to_f16(ldexpf(1.5f, -24)), 0x0002);            /* 1.5 units: tie to 2 */
    CHECK_EQ_INT(fc_f32_to_f16(ldexpf(1023.5f, -24)), 0x0400);         /* subnormal rounds up to normal */
}

static void test_bf16_exhaustive(void) {
    int bad = 0;
    for (uint32_t h = 0; h < 65536; h++) {
        const float f = fc_bf16_to_f32((uint16_t)h);
        if (f2u(f) != h << 16) bad++;
        if (isnan(f)) { if (!isnan(fc_bf16_to_f32(fc_f32_to_bf16(f)))) bad++; continue; }
        if (fc_f32_to_bf16(f) != h) bad++;
        if ((h & 0x7FFF) < 0x7F7F) { /* ties and near-ties to the next value up */
            const uint32_t mid = (h << 16) | 0x8000;
            const uint16_t even = (h & 1) ? (uint16_t)(h + 1) : (uint16_t)h;
            if (fc_f32_to_bf16(u2f(mid)) != even) bad++;
            if (fc_f32_to_bf16(u2f(mid + 1)) != (uint16_t)(h + 1)) bad++;
            if (fc_f32_to_bf16(u2f(mid - 1)) != h) bad++;
        }
    }
    CHECK_EQ_INT(bad, 0);
    CHECK_EQ_INT(fc_f32_to_bf16(1.0f), 0x3F80);
    CHECK_EQ_INT(fc_f32_to_bf16(FLT_MAX), 0x7F80); /* rounds up to inf */
    CHECK((fc_f32_to_bf16(NAN) & 0x7FC0) == 0x7FC0);
    CHECK((fc_f32_to_bf16(u2f(0x7F800001)) & 0x7F80) == 0x7F80 && (fc_f32_to_bf16(u2f(0x7F800001)) & 0x7F));
}

/* The SIMD f32 -> f16 conversions (F16 quantize) against the scalar one on
 * every half midpoint and on random floats over the whole range. */
static void test_f16_quantize_parity(void) {
    enum { N = 65536 * 3 };
    float *x = malloc(N * sizeof(float));
    uint16_t *want = malloc(N * 2), *got = malloc(N * 2);
    rng_seed(7);
    for (int i = 0; i < N; i++) {
        if (i < 65536) x[i] = (float)((f16_value((uint16_t)i) + f16_value((uint16_t)(i + 1))) / 2);
        else x[i] = u2f((uint32_t)rng_u64()) ;
        if (isnan(x[i]) || (i < 65536 && ((i & 0x7C00) == 0x7C00 || (i & 0x7FFF) == 0x7BFF))) x[i] = rng_sym();
        if (i >= 65536 && i < 65536 * 2) x[i] = ldexpf(rng_sym(), (int)(rng_u64() % 50) - 30);
    }
    quant_get_ref(GGML_TYPE_F16)->quantize(x, want, N);
    int tested = 0;
    for (size_t k = 0; k < 2; k++) {
        const quant_traits *t = quant_get_isa(GGML_TYPE_F16, SIMD_ISAS[k]);
        if (!t) continue;
        tested++;
        t->quantize(x, got, N);
        int bad = 0;
        for (int i = 0; i < N; i++)
            if (got[i] != want[i] && bad++ < 5)
                CHECK_MSG(0, "%s: f16(%a) = %04x, scalar %04x", quant_isa_name(SIMD_ISAS[k]), x[i], got[i], want[i]);
    }
    if (!tested) t_skip("no SIMD ISA on this CPU");
    free(x); free(want); free(got);
}

/* ---- known answers on hand-built blocks --------------------------------------- */

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }

/* Dequantizes blk with every ISA and compares with want[32]. Also dots it
 * with an activation block of all ones (d = 1, s = 32): the plain sum. */
static void check_block(uint32_t type, const uint8_t *blk, const float *want) {
    fc_block_q8 ones = {1.0f, 32.0f, {0}};
    memset(ones.qs, 1, sizeof ones.qs);
    double sum = 0;
    for (int j = 0; j < 32; j++) sum += want[j];
    for (int isa = QUANT_ISA_SCALAR; isa <= QUANT_ISA_AVX512; isa++) {
        const quant_traits *t = quant_get_isa(type, isa);
        if (!t) continue;
        float got[32];
        t->dequant(blk, got, 32);
        for (int j = 0; j < 32; j++)
            CHECK_MSG(got[j] == want[j], "%s %s: element %d = %g, want %g", t->name, quant_isa_name(isa), j, got[j], want[j]);
        CHECK_NEAR(t->dot(blk, &ones, 32), sum, 1e-6 * (fabs(sum) + 1));
    }
}

static void test_known_blocks(void) {
    uint8_t b[40];
    float want[32];
    /* Q4_1: d = 0.5, m = -1, element j has code j (low nibbles), element
     * j + 16 has code 15 - j (high nibbles). */
    put16(b, 0x3800); put16(b + 2, 0xBC00);
    for (int j = 0; j < 16; j++) b[4 + j] = (uint8_t)(j | ((15 - j) << 4));
    for (int j = 0; j < 16; j++) { want[j] = 0.5f * j - 1.0f; want[j + 16] = 0.5f * (15 - j) - 1.0f; }
    check_block(GGML_TYPE_Q4_1, b, want);

    /* Q4_0: d = 0.25, codes j and (j * 5) % 16, value (code - 8) * d */
    put16(b, 0x3400);
    for (int j = 0; j < 16; j++) b[2 + j] = (uint8_t)(j | (((j * 5) % 16) << 4));
    for (int j = 0; j < 16; j++) { want[j] = (j - 8) * 0.25f; want[j + 16] = ((j * 5) % 16 - 8) * 0.25f; }
    check_block(GGML_TYPE_Q4_0, b, want);

    /* Q5_0: d = 1, qh = 0xA5A5F00F (fifth bit of element j is bit j) */
    const uint32_t qh = 0xA5A5F00Fu;
    put16(b, 0x3C00);
    for (int k = 0; k < 4; k++) b[2 + k] = (uint8_t)(qh >> (8 * k));
    for (int j = 0; j < 16; j++) b[6 + j] = (uint8_t)((15 - j) | (j << 4));
    for (int j = 0; j < 32; j++) {
        const int low = j < 16 ? 15 - j : j - 16;
        want[j] = (float)((low | (int)((qh >> j) & 1) << 4) - 16);
    }
    check_block(GGML_TYPE_Q5_0, b, want);

    /* Q5_1: d = 2, m = 0.5, same codes */
    put16(b, 0x4000); put16(b + 2, 0x3800);
    for (int k = 0; k < 4; k++) b[4 + k] = (uint8_t)(qh >> (8 * k));
    for (int j = 0; j < 16; j++) b[8 + j] = (uint8_t)((15 - j) | (j << 4));
    for (int j = 0; j < 32; j++) {
        const int low = j < 16 ? 15 - j : j - 16;
        want[j] = 2.0f * (float)(low | (int)((qh >> j) & 1) << 4) + 0.5f;
    }
    check_block(GGML_TYPE_Q5_1, b, want);

    /* Q8_0: d = -0.125, codes -128, -120, ..., 120 */
    put16(b, 0xB000);
    for (int j = 0; j < 32; j++) { b[2 + j] = (uint8_t)(int8_t)(j * 8 - 128); want[j] = (j * 8 - 128) * -0.125f; }
    check_block(GGML_TYPE_Q8_0, b, want);

    /* F16 and BF16 rows: a few well-known encodings */
    const uint16_t h16[8] = {0x3C00, 0xC000, 0x7BFF, 0x0001, 0x8000, 0x3555, 0x0400, 0xFBFF};
    const float v16[8] = {1.0f, -2.0f, 65504.0f, 5.9604644775390625e-8f, -0.0f, 0.333251953125f, 6.103515625e-5f, -65504.0f};
    const uint16_t hb[8] = {0x3F80, 0xC000, 0x4049, 0x0001, 0x8000, 0x7F7F, 0x3C00, 0xBF80};
    const float vb[8] = {1.0f, -2.0f, 3.140625f, 9.18354961579912e-41f, -0.0f, 3.3895313892515355e38f, 0.0078125f, -1.0f};
    for (int isa = QUANT_ISA_SCALAR; isa <= QUANT_ISA_AVX512; isa++) {
        const quant_traits *t16 = quant_get_isa(GGML_TYPE_F16, isa), *tb = quant_get_isa(GGML_TYPE_BF16, isa);
        if (!t16) continue;
        uint8_t raw[16];
        float got[8];
        for (int j = 0; j < 8; j++) put16(raw + 2 * j, h16[j]);
        t16->dequant(raw, got, 8);
        for (int j = 0; j < 8; j++) CHECK_MSG(f2u(got[j]) == f2u(v16[j]), "F16 %04x -> %g (%s)", h16[j], got[j], quant_isa_name(isa));
        for (int j = 0; j < 8; j++) put16(raw + 2 * j, hb[j]);
        tb->dequant(raw, got, 8);
        for (int j = 0; j < 8; j++) CHECK_MSG(f2u(got[j]) == f2u(vb[j]), "BF16 %04x -> %g (%s)", hb[j], got[j], quant_isa_name(isa));
    }
}

/* ---- quantize round trips (scalar reference) -------------------------------- */

/* The scale rules, recomputed here: returns d (unrounded) and the offset
 * (min for "_1" types, 0 otherwise) and the largest code. */
static void scale_rule(uint32_t type, const float *x, float *d, float *m, int *qmax) {
    float amax = 0, max = 0, mn = FLT_MAX, mx = -FLT_MAX;
    for (int j = 0; j < 32; j++) {
        if (fabsf(x[j]) > amax) { amax = fabsf(x[j]); max = x[j]; }
        mn = fminf(mn, x[j]); mx = fmaxf(mx, x[j]);
    }
    *m = 0;
    switch (type) {
    case GGML_TYPE_Q4_0: *d = max / -8; *qmax = 8; break;
    case GGML_TYPE_Q5_0: *d = max / -16; *qmax = 16; break;
    case GGML_TYPE_Q4_1: *d = (mx - mn) / 15; *m = mn; *qmax = 15; break;
    case GGML_TYPE_Q5_1: *d = (mx - mn) / 31; *m = mn; *qmax = 31; break;
    default: *d = amax / 127; *qmax = 127; break;
    }
}

static void test_round_trip(void) {
    enum { N = 4096 };
    float *x = malloc(N * sizeof(float)), *y = malloc(N * sizeof(float));
    uint8_t *row = malloc(N * 4);
    for (int ti = 0; ti < N_TYPES; ti++) {
        const quant_traits *t = quant_get_ref(ALL_TYPES[ti]);
        for (int kind = 0; kind < 5; kind++) {
            rng_seed(100 + (uint64_t)kind);
            fill(x, N, kind);
            t->quantize(x, row, N);
            t->dequant(row, y, N);
            int bad = 0;
            if (!is_block_type(t->type)) {
                const double rel = t->type == GGML_TYPE_F32 ? 0 : t->type == GGML_TYPE_F16 ? ldexp(1, -11) : ldexp(1, -8);
                for (int i = 0; i < N; i++) {
                    /* f16 subnormals have an absolute step of 2^-24 */
                    const double tol = rel * fabs(x[i]) + (t->type == GGML_TYPE_F16 ? ldexp(1, -25) : 0);
                    if (!(fabs((double)x[i] - y[i]) <= tol) && bad++ < 5) CHECK_MSG(0, "%s [%d] %g -> %g", t->name, i, x[i], y[i]);
                }
                continue;
            }
            for (int b = 0; b < N / 32; b++) {
                const float *xb = x + 32 * b;
                const uint8_t *blk = row + (size_t)b * t->block_bytes;
                float d, m;
                int qmax;
                scale_rule(t->type, xb, &d, &m, &qmax);
                /* the stored scale is the rule's d rounded to f16 */
                const uint16_t dh = (uint16_t)(blk[0] | blk[1] << 8);
                if (dh != fc_f32_to_f16(d) && bad++ < 5) CHECK_MSG(0, "%s block %d: d %04x, rule says %g", t->name, b, dh, d);
                const float ds = fc_f16_to_f32(dh);
                float ms = 0;
                if (t->type == GGML_TYPE_Q4_1 || t->type == GGML_TYPE_Q5_1) {
                    const uint16_t mh = (uint16_t)(blk[2] | blk[3] << 8);
                    if (mh != fc_f32_to_f16(m) && bad++ < 5) CHECK_MSG(0, "%s block %d: m %04x, want f16(%g)", t->name, b, mh, m);
                    ms = fc_f16_to_f32(mh);
                }
                for (int j = 0; j < 32; j++) {
                    /* half a step, or a whole one where "_0" clips the code
                     * (x * id beyond the largest positive code), plus the
                     * f16 rounding of d and m over the largest code */
                    const double id = d != 0 ? 1.0 / d : 0;
                    const bool clipped = (t->type == GGML_TYPE_Q4_0 && xb[j] * id > 7.5) ||
                                         (t->type == GGML_TYPE_Q5_0 && xb[j] * id > 15.5);
                    const double tol = (clipped ? 1.0 : 0.5) * fabs(d) + qmax * fabs((double)d - ds) +
                                       fabs((double)m - ms) + 1e-6 * (fabs(xb[j]) + fabs(m) + fabs(d) * qmax);
                    const double err = fabs((double)xb[j] - y[32 * b + j]);
                    if (!(err <= tol) && bad++ < 5)
                        CHECK_MSG(0, "%s kind %d block %d [%d]: %g -> %g, err %g > %g", t->name, kind, b, j, xb[j], y[32 * b + j], err, tol);
                }
            }
            CHECK_MSG(bad == 0, "%s kind %d: %d bad", t->name, kind, bad);
        }
    }
    free(x); free(y); free(row);
}

/* ---- SIMD vs scalar ------------------------------------------------------------ */

/* Random valid blocks: random code bytes, finite f16 scales of mixed size
 * (zero blocks too), mins of either sign. For F16/BF16/F32 rows, random
 * finite values. */
static void random_row(const quant_traits *t, uint8_t *row, int64_t n, int kind) {
    const int64_t nb = n / t->block_elems;
    if (!is_block_type(t->type)) {
        float *x = malloc((size_t)n * sizeof(float));
        fill(x, n, kind);
        quant_get_ref(t->type)->quantize(x, row, n);
        free(x);
        return;
    }
    for (int64_t i = 0; i < (int64_t)(nb * t->block_bytes); i++) row[i] = (uint8_t)rng_u64();
    for (int64_t b = 0; b < nb; b++) {
        uint8_t *blk = row + b * t->block_bytes;
        float d = rng_sym() * (kind == 1 ? (b % 2 ? 100.0f : 1e-3f) : 0.1f);
        if (kind == 2 && b % 3 == 0) d = 0;
        put16(blk, fc_f32_to_f16(d));
        if (t->type == GGML_TYPE_Q4_1 || t->type == GGML_TYPE_Q5_1) put16(blk + 2, fc_f32_to_f16(rng_sym() * 2));
        if (kind == 3 && t->type == GGML_TYPE_Q8_0) /* extreme codes */
            for (int j = 0; j < 32; j++) blk[2 + j] = (j % 2) ? 0x80 : 0x7F;
    }
}

static void act_of(const quant_traits *t, const float *x, void *act, int64_t n) {
    if (t->act_type == FC_ACT_Q8) quant_get_ops(QUANT_ISA_SCALAR)->act_q8(x, act, n);
    else memcpy(act, x, (size_t)n * sizeof(float));
}

/* Error budget of a dot: float rounding relative to the sum of the
 * magnitudes of its terms, including the offset terms (min * s, or k*d*s for
 * "_0" types, which the SIMD kernels fold in that way). */
static double dot_budget(const quant_traits *t, const uint8_t *row, const void *act, int64_t n) {
    float *w = malloc((size_t)n * sizeof(float));
    t->dequant(row, w, n);
    double s = 0;
    if (t->act_type == FC_ACT_F32) {
        const float *a = act;
        for (int64_t i = 0; i < n; i++) s += fabs((double)w[i] * a[i]);
    } else {
        const fc_block_q8 *a = act;
        for (int64_t i = 0; i < n; i++) s += fabs((double)w[i] * a[i / 32].d * a[i / 32].qs[i % 32]);
        for (int64_t b = 0; b < n / 32; b++) {
            const float d = fc_f16_to_f32((uint16_t)(row[b * t->block_bytes] | row[b * t->block_bytes + 1] << 8));
            double sa = 0;
            for (int j = 0; j < 32; j++) sa += fabs((double)a[b].qs[j]);
            s += 32.0 * fabs(d) * a[b].d * sa; /* the offset folding: up to 31*d*|s| */
        }
    }
    free(w);
    return 2e-6 * s + 1e-30;
}

static void test_simd_parity(void) {
    static const int64_t block_sizes[] = {32, 64, 96, 160, 256, 544, 1024, 2080, 4096};
    static const int64_t plain_sizes[] = {1, 7, 8, 9, 31, 33, 100, 257, 1000, 4096};
    int tested = 0;
    float *x = malloc(4096 * sizeof(float)), *wr = malloc(4096 * sizeof(float)), *ws = malloc(4096 * sizeof(float));
    uint8_t *row = malloc(4 * 4096 * 4);
    void *act = malloc(4096 * sizeof(float));
    for (size_t k = 0; k < 2; k++) {
        const int isa = SIMD_ISAS[k];
        for (int ti = 0; ti < N_TYPES; ti++) {
            const quant_traits *ts = quant_get_isa(ALL_TYPES[ti], isa), *tr = quant_get_ref(ALL_TYPES[ti]);
            if (!ts) continue;
            tested++;
            const bool blocky = is_block_type(tr->type);
            const int64_t *sizes = blocky ? block_sizes : plain_sizes;
            const int n_sizes = blocky ? 9 : 10;
            int bad = 0;
            for (int si = 0; si < n_sizes; si++) {
                const int64_t n = sizes[si];
                for (int kind = 0; kind < 4; kind++) {
                    rng_seed(1000 * (uint64_t)si + (uint64_t)kind + 17 * (uint64_t)ti);
                    random_row(tr, row, n, kind);
                    fill(x, n, kind);
                    act_of(tr, x, act, n);
                    /* dequant: bit-exact */
                    tr->dequant(row, wr, n);
                    ts->dequant(row, ws, n);
                    for (int64_t i = 0; i < n; i++)
                        if (f2u(wr[i]) != f2u(ws[i]) && bad++ < 5)
                            CHECK_MSG(0, "%s/%s dequant n=%lld [%lld]: %a vs %a", tr->name, quant_isa_name(isa), (long long)n, (long long)i, ws[i], wr[i]);
                    /* dot: within the float-rounding budget */
                    const double want = tr->dot(row, act, n), got = ts->dot(row, act, n);
                    const double tol = dot_budget(tr, row, act, n);
                    if (!(fabs(got - want) <= tol) && bad++ < 5)
                        CHECK_MSG(0, "%s/%s dot n=%lld kind %d: %.9g vs scalar %.9g (tol %g)", tr->name, quant_isa_name(isa), (long long)n, kind, got, want, tol);
                    /* multi-row: 4 rows (3 sharing the act with row 0's data shuffled) */
                    if (blocky || n % 8 == 0) {
                        const size_t rb = (size_t)(n / tr->block_elems * tr->block_bytes);
                        for (int r = 1; r < 4; r++) random_row(tr, row + r * rb, n, kind);
                        float out[4];
                        for (int nr = 1; nr <= 4; nr++) {
                            quant_dot_rows(ts, row, rb, nr, act, n, out);
                            for (int r = 0; r < nr; r++) {
                                const double wr_ = tr->dot(row + r * rb, act, n);
                                const double tol_r = dot_budget(tr, row + r * rb, act, n);
                                if (!(fabs(out[r] - wr_) <= tol_r) && bad++ < 5)
                                    CHECK_MSG(0, "%s/%s dot_rows(%d) row %d n=%lld: %.9g vs %.9g", tr->name, quant_isa_name(isa), nr, r, (long long)n, out[r], wr_);
                            }
                        }
                    }
                }
            }
            CHECK_MSG(bad == 0, "%s/%s: %d mismatches", tr->name, quant_isa_name(isa), bad);
        }
    }
    if (!tested) t_skip("no SIMD ISA on this CPU");
    free(x); free(wr); free(ws); free(row); free(act);
}

/* tile4: 4 rows x 4 activation rows against 16 scalar dots, for every type
 * and ISA (scalar included), rows and activations at odd strides. */
static void test_tile4(void) {
    static const int64_t block_sizes[] = {32, 64, 96, 160, 576, 1024, 1536, 2080, 4096};
    static const int64_t plain_sizes[] = {1, 7, 8, 9, 33, 100, 576, 1000, 4096};
    static const int isas[] = {QUANT_ISA_SCALAR, QUANT_ISA_AVX2, QUANT_ISA_AVX512};
    float *x = malloc(4096 * sizeof(float));
    uint8_t *rows = malloc(4 * (4096 * 4 + 64));
    uint8_t *acts = malloc(4 * (4096 * 4 + 64));
    int tested = 0;
    for (size_t k = 0; k < 3; k++) {
        const int isa = isas[k];
        for (int ti = 0; ti < N_TYPES; ti++) {
            const quant_traits *ts = quant_get_isa(ALL_TYPES[ti], isa), *tr = quant_get_ref(ALL_TYPES[ti]);
            if (!ts) continue;
            CHECK_MSG(ts->tile4 != NULL, "%s/%s: no tile4", tr->name, quant_isa_name(isa));
            tested++;
            const bool blocky = is_block_type(tr->type);
            const int64_t *sizes = blocky ? block_sizes : plain_sizes;
            int bad = 0;
            for (int si = 0; si < 9; si++) {
                const int64_t n = sizes[si];
                for (int kind = 0; kind < 4; kind++) {
                    rng_seed(7000 * (uint64_t)si + (uint64_t)kind + 31 * (uint64_t)ti + 5 * k);
                    /* strides with slack (odd for row data: unaligned blocks) */
                    const size_t rb = (size_t)(n / tr->block_elems * tr->block_bytes) + 3 + (size_t)kind;
                    const size_t ab = quant_act_bytes(tr->act_type, n) + 4 * (size_t)kind;
                    for (int r = 0; r < 4; r++) random_row(tr, rows + r * rb, n, kind);
                    for (int t = 0; t < 4; t++) {
                        fill(x, n, (kind + t) % 4);
                        act_of(tr, x, acts + t * ab, n);
                    }
                    float out[4 * 6];
                    for (int i = 0; i < 24; i++) out[i] = -12345.0f;
                    quant_tile4(ts, rows, rb, acts, ab, n, out, 6); /* out_stride 6: gaps stay untouched */
                    for (int t = 0; t < 4; t++) {
                        for (int r = 0; r < 4; r++) {
                            const double want = tr->dot(rows + r * rb, acts + t * ab, n);
                            const double tol = dot_budget(tr, rows + r * rb, acts + t * ab, n);
                            const double got = out[t * 6 + r];
                            if (!(fabs(got - want) <= tol) && bad++ < 5)
                                CHECK_MSG(0, "%s/%s tile4 n=%lld kind %d [t%d r%d]: %.9g vs %.9g (tol %g)", tr->name,
                                          quant_isa_name(isa), (long long)n, kind, t, r, got, want, tol);
                        }
                        if ((out[t * 6 + 4] != -12345.0f || out[t * 6 + 5] != -12345.0f) && bad++ < 5)
                            CHECK_MSG(0, "%s/%s tile4 wrote outside its tile", tr->name, quant_isa_name(isa));
                    }
                }
            }
            CHECK_MSG(bad == 0, "%s/%s tile4: %d mismatches", tr->name, quant_isa_name(isa), bad);
        }
    }
    CHECK(tested >= N_TYPES);
    free(x); free(rows); free(acts);
}

/* The activation quantizer: SIMD must equal scalar bit for bit (including
 * ties, which round to even, zero blocks and huge/tiny blocks). */
static void test_act_parity(void) {
    enum { N = 4096 };
    float *x = malloc(N * sizeof(float));
    fc_block_q8 *want = malloc(N / 32 * sizeof(fc_block_q8)), *got = malloc(N / 32 * sizeof(fc_block_q8));
    const quant_ops *ref = quant_get_ops(QUANT_ISA_SCALAR);
    CHECK(ref != NULL);
    CHECK_EQ_U64(quant_act_bytes(FC_ACT_Q8, N), N / 32 * 40);
    CHECK_EQ_U64(quant_act_bytes(FC_ACT_F32, N), N * 4);
    /* scalar known answer: amax 127 -> d = 1, id = 1: ties round to even */
    float t[32];
    for (int j = 0; j < 32; j++) t[j] = (j == 0) ? 127.0f : (float)(j % 8) - 3.5f; /* -3.5..3.5 */
    ref->act_q8(t, want, 32);
    CHECK(want[0].d == 1.0f);
    int s = 0;
    for (int j = 1; j < 32; j++) {
        const int even = ((int)floorf(t[j]) % 2 == 0) ? (int)floorf(t[j]) : (int)ceilf(t[j]);
        CHECK_MSG(want[0].qs[j] == even, "tie %g -> %d, want %d", t[j], want[0].qs[j], even);
        s += want[0].qs[j];
    }
    CHECK(want[0].qs[0] == 127);
    CHECK(want[0].s == (float)(s + 127));
    int tested = 0;
    for (size_t k = 0; k < 2; k++) {
        const quant_ops *o = quant_get_ops(SIMD_ISAS[k]);
        if (!o) continue;
        tested++;
        for (int kind = 0; kind < 6; kind++) {
            rng_seed(50 + (uint64_t)kind);
            if (kind < 5) fill(x, N, kind);
            else for (int i = 0; i < N; i++) x[i] = (float)(int)(rng_sym() * 127) + 0.5f * (i % 2); /* ties */
            ref->act_q8(x, want, N);
            o->act_q8(x, got, N);
            CHECK_MSG(memcmp(want, got, N / 32 * sizeof(fc_block_q8)) == 0, "%s act_q8 kind %d differs", quant_isa_name(SIMD_ISAS[k]), kind);
        }
        /* dot_f32 and axpy */
        float *y0 = malloc(N * sizeof(float)), *y1 = malloc(N * sizeof(float));
        static const int64_t sizes[] = {1, 5, 8, 15, 16, 17, 33, 64, 100, 1000, 4096};
        for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
            const int64_t n = sizes[si];
            fill(x, n, 0);
            fill(y0, n, 3);
            double sa = 0;
            for (int64_t i = 0; i < n; i++) sa += fabs((double)x[i] * y0[i]);
            CHECK_NEAR(o->dot_f32(x, y0, n), ref->dot_f32(x, y0, n), 2e-6 * sa + 1e-30);
            memcpy(y1, y0, (size_t)n * sizeof(float));
            ref->axpy_f32(y0, 0.37f, x, n);
            o->axpy_f32(y1, 0.37f, x, n);
            for (int64_t i = 0; i < n; i++) /* one rounding (FMA) vs two */
                CHECK_MSG(fabsf(y0[i] - y1[i]) <= 2.4e-7f * (fabsf(y0[i]) + fabsf(0.37f * x[i])), "axpy n=%lld [%lld]", (long long)n, (long long)i);
        }
        free(y0); free(y1);
    }
    if (!tested) t_skip("no SIMD ISA on this CPU");
    free(x); free(want); free(got);
}

/* The scalar dot against a double-precision sum of dequantized values:
 * checks the reference's block/offset algebra independently. */
static void test_ref_dot_algebra(void) {
    enum { N = 1024 };
    float *x = malloc(N * sizeof(float)), *w = malloc(N * sizeof(float));
    uint8_t *row = malloc(N * 4);
    void *act = malloc(N * sizeof(float));
    for (int ti = 0; ti < N_TYPES; ti++) {
        const quant_traits *t = quant_get_ref(ALL_TYPES[ti]);
        for (int kind = 0; kind < 4; kind++) {
            rng_seed(77 + (uint64_t)kind);
            random_row(t, row, N, kind);
            fill(x, N, kind);
            act_of(t, x, act, N);
            t->dequant(row, w, N);
            double want = 0, mag = 0;
            for (int i = 0; i < N; i++) {
                const double a = t->act_type == FC_ACT_F32 ? ((float *)act)[i]
                                                          : (double)((fc_block_q8 *)act)[i / 32].d * ((fc_block_q8 *)act)[i / 32].qs[i % 32];
                want += (double)w[i] * a;
                mag += fabs((double)w[i] * a);
            }
            CHECK_NEAR(t->dot(row, act, N), want, 1e-5 * mag + 1e-30);
        }
    }
    free(x); free(w); free(row); free(act);
}

/* Worst cases for the integer steps of the SIMD dots and tiles (int16 pair
 * sums, Q8_0's -128, the +128 shift of the VNNI Q8_0 tile): every byte of
 * the blocks 0xFF, 0x80 or 0x7F against activations of +127 everywhere or
 * of alternating sign, every ISA against the scalar dot. */
static void test_extremes(void) {
    enum { N = 512 };
    static const uint32_t types[] = {GGML_TYPE_Q4_0, GGML_TYPE_Q4_1, GGML_TYPE_Q5_0, GGML_TYPE_Q5_1, GGML_TYPE_Q8_0};
    static const uint8_t bytes[] = {0xFF, 0x80, 0x7F};
    float x[N];
    uint8_t *rows = malloc(4 * N * 2), *acts = malloc(4 * N * 2);
    int tested = 0;
    for (size_t k = 0; k < 2; k++)
        for (size_t ti = 0; ti < sizeof types / sizeof types[0]; ti++) {
            const quant_traits *ts = quant_get_isa(types[ti], SIMD_ISAS[k]), *tr = quant_get_ref(types[ti]);
            if (!ts) continue;
            tested++;
            const size_t rb = (size_t)(N / 32 * tr->block_bytes), ab = quant_act_bytes(tr->act_type, N);
            const bool has_m = tr->type == GGML_TYPE_Q4_1 || tr->type == GGML_TYPE_Q5_1;
            int bad = 0;
            for (size_t bi = 0; bi < sizeof bytes; bi++)
                for (int sign = 0; sign < 2; sign++) {
                    memset(rows, bytes[bi], 4 * rb);
                    for (int r = 0; r < 4; r++)
                        for (int b = 0; b < N / 32; b++) {
                            put16(rows + r * rb + b * tr->block_bytes, fc_f32_to_f16(0.01f * (float)(r + 1)));
                            if (has_m) put16(rows + r * rb + b * tr->block_bytes + 2, fc_f32_to_f16(-0.02f));
                        }
                    for (int t = 0; t < 4; t++) {
                        for (int i = 0; i < N; i++) x[i] = sign && (i / 4 + t) % 2 ? -1.0f : 1.0f;
                        act_of(tr, x, acts + t * ab, N);
                    }
                    float tile[16];
                    quant_tile4(ts, rows, rb, acts, ab, N, tile, 4);
                    for (int t = 0; t < 4; t++)
                        for (int r = 0; r < 4; r++) {
                            const uint8_t *w = rows + r * rb, *a = acts + t * ab;
                            const double want = tr->dot(w, a, N), tol = dot_budget(tr, w, a, N);
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
    free(rows); free(acts);
}

/* FITCHAT_DOTS=bits (0: unset, the measured widths) and the kernels chosen
 * again; returns the ISA. */
static int set_dot_bits(int bits) {
    char v[8];
    snprintf(v, sizeof v, "%d", bits);
    if (bits) setenv("FITCHAT_DOTS", v, 1);
    else unsetenv("FITCHAT_DOTS");
    return quant_init(QUANT_ISA_AUTO);
}

/* ---- dispatch ------------------------------------------------------------------- */

static void test_dispatch(void) {
    const int best = quant_init(QUANT_ISA_AUTO);
    CHECK(best >= QUANT_ISA_SCALAR && best <= QUANT_ISA_AMX);
    printf("  best ISA: %s\n", quant_isa_name(best));
    for (int ti = 0; ti < N_TYPES; ti++) {
        const quant_traits *t = quant_get(ALL_TYPES[ti]);
        CHECK(t && t->type == ALL_TYPES[ti] && t->dequant && t->dot && t->quantize);
        CHECK(t && t == quant_get_isa(ALL_TYPES[ti], best));
        const ggml_type_info *g = ggml_type_get(ALL_TYPES[ti]);
        CHECK(t && g && t->block_elems == g->block_elems && t->block_bytes == g->block_bytes && !strcmp(t->name, g->name));
    }
    CHECK(quant_get(GGML_TYPE_IQ2_XXS) == NULL);
    CHECK(quant_get(GGML_TYPE_COUNT) == NULL);
    CHECK(quant_get(12345) == NULL);
    CHECK(quant_get_isa(GGML_TYPE_Q4_0, 7) == NULL);
    CHECK(quant_get_ops(QUANT_ISA_SCALAR) != NULL);
    setenv("FITCHAT_ISA", "scalar", 1);
    CHECK_EQ_INT(quant_init(QUANT_ISA_AUTO), QUANT_ISA_SCALAR);
    CHECK(quant_get(GGML_TYPE_Q8_0) == quant_get_ref(GGML_TYPE_Q8_0));
    setenv("FITCHAT_ISA", "avx2", 1);
    CHECK_EQ_INT(quant_init(QUANT_ISA_AUTO), best < QUANT_ISA_AVX2 ? best : QUANT_ISA_AVX2);
    CHECK_EQ_INT(quant_init(QUANT_ISA_SCALAR), QUANT_ISA_SCALAR); /* a cap, never above the caller's ISA */
    setenv("FITCHAT_ISA", "avx512", 1); /* keeps AMX off */
    CHECK_EQ_INT(quant_init(QUANT_ISA_AUTO), best < QUANT_ISA_AVX512 ? best : QUANT_ISA_AVX512);
    setenv("FITCHAT_ISA", "amx", 1);
    CHECK_EQ_INT(quant_init(QUANT_ISA_AUTO), best);
    /* the AMX table: the AVX-512 kernels, its own repacked tiles */
    if (best == QUANT_ISA_AMX) {
        CHECK(quant_get_isa(GGML_TYPE_Q4_K, QUANT_ISA_AMX) == quant_get_isa(GGML_TYPE_Q4_K, QUANT_ISA_AVX512));
        CHECK_EQ_U64(quant_repack_set(), MEM_REPACK_X8);
    }
    const quant_repacker *amx = quant_repacker_get_isa(MEM_REPACK_X8, GGML_TYPE_Q4_1, QUANT_ISA_AMX);
    CHECK(best == QUANT_ISA_AMX ? amx && amx->isa == QUANT_ISA_AMX : amx == NULL);
    unsetenv("FITCHAT_ISA");
    /* the dots' width: measured or forced under AVX-512, none elsewhere; the
     * AVX-512 rows of a width are that width's kernels */
    if (best >= QUANT_ISA_AVX512) {
        const int measured = quant_dot_bits(GGML_TYPE_Q4_1);
        CHECK(measured == 256 || measured == 512);
        set_dot_bits(512);
        const quant_traits w512 = *quant_get(GGML_TYPE_Q4_1); /* a copy: quant_init rewrites the rows */
        const quant_dot_fn k512 = quant_get(GGML_TYPE_Q4_K)->dot;
        CHECK_EQ_INT(quant_dot_bits(GGML_TYPE_Q8_0), 512);
        set_dot_bits(256);
        CHECK_EQ_INT(quant_dot_bits(GGML_TYPE_Q8_0), 256);
        CHECK(quant_get(GGML_TYPE_Q4_1)->dot != w512.dot && quant_get(GGML_TYPE_Q4_1)->dot_rows != w512.dot_rows);
        CHECK(quant_get(GGML_TYPE_Q4_K)->dot == k512); /* only the 4/5/8-bit rows change */
        setenv("FITCHAT_DOTS", "wide", 1); /* not a width: measured */
        CHECK_EQ_INT(quant_init(QUANT_ISA_AUTO), best);
        CHECK_EQ_INT(quant_dot_bits(GGML_TYPE_Q4_1), measured);
        CHECK_EQ_INT(set_dot_bits(0), best);
    }
    CHECK_EQ_INT(quant_dot_bits(GGML_TYPE_Q4_K), 0);
    setenv("FITCHAT_ISA", "avx2", 1);
    quant_init(QUANT_ISA_AUTO);
    CHECK_EQ_INT(quant_dot_bits(GGML_TYPE_Q4_1), 0);
    unsetenv("FITCHAT_ISA");
    CHECK_EQ_INT(quant_init(QUANT_ISA_SCALAR), QUANT_ISA_SCALAR);
    CHECK_EQ_INT(quant_init(QUANT_ISA_AUTO), best);
    CHECK_EQ_INT(quant_init(QUANT_ISA_AUTO), best); /* idempotent */
    /* the dispatched helpers work */
    float a[40], b[40];
    for (int i = 0; i < 40; i++) { a[i] = (float)i; b[i] = 1.0f; }
    CHECK_NEAR(fc_dot_f32(a, b, 40), 780.0, 1e-4);
    fc_axpy_f32(b, 2.0f, a, 40);
    CHECK(b[39] == 79.0f);
}

/* ---- real data ------------------------------------------------------------------- */

/* The KV cache's Q4_0 quantizer (kvrot.h: least-squares scale): plain
 * Q4_0 blocks, zero blocks stay zero, values on a grid of levels come
 * back exactly, and the squared error is under that of ggml's rule
 * d = max / -8: by over 10 % on Gaussian-like blocks (what rotated keys
 * look like), by 3 % with an outlier in every block. quant_kv_quantizer
 * picks it for Q4_0 only. */
static void test_kv_q4_0(void) {
    enum { N = 32 * 512 };
    static float x[N], a[N], b[N];
    static uint8_t row[N];
    const quant_traits *q = quant_get_ref(GGML_TYPE_Q4_0);
    CHECK(quant_kv_quantizer(GGML_TYPE_Q4_0) == quant_kv_quantize_q4_0);
    CHECK(quant_kv_quantizer(GGML_TYPE_Q8_0) == quant_get(GGML_TYPE_Q8_0)->quantize);
    CHECK(quant_kv_quantizer(GGML_TYPE_F16) == quant_get(GGML_TYPE_F16)->quantize);
    memset(x, 0, sizeof x);
    for (int i = 0; i < 32; i++) x[32 + i] = (float)(i % 16 - 8) * 0.25f; /* block 1: the levels -8..7, d = 0.25 */
    quant_kv_quantize_q4_0(x, row, 64);
    q->dequant(row, a, 64);
    CHECK(memcmp(a, x, sizeof(float) * 64) == 0);
    rng_seed(23);
    for (int outlier = 0; outlier < 2; outlier++) {
        for (int i = 0; i < N; i++) { /* sum of four uniforms: roughly Gaussian */
            x[i] = rng_sym() + rng_sym() + rng_sym() + rng_sym();
            if (outlier && i % 32 == 7) x[i] *= 6.0f;
        }
        double e_kv = 0, e_ref = 0;
        quant_kv_quantize_q4_0(x, row, N);
        q->dequant(row, a, N);
        q->quantize(x, row, N);
        q->dequant(row, b, N);
        for (int i = 0; i < N; i++) {
            e_kv += (double)(a[i] - x[i]) * (a[i] - x[i]);
            e_ref += (double)(b[i] - x[i]) * (b[i] - x[i]);
        }
        CHECK_MSG(e_kv < (outlier ? 0.97 : 0.9) * e_ref, "outlier %d: squared error %g, ggml's rule %g", outlier, e_kv, e_ref);
        /* what the cache gives back quantizes to the same bytes (the
         * engines round the batch's keys, then store the rounded ones) */
        static uint8_t row2[N];
        quant_kv_quantize_q4_0(x, row, N);
        q->dequant(row, a, N);
        quant_kv_quantize_q4_0(a, row2, N);
        CHECK_MSG(memcmp(row, row2, (size_t)ggml_row_bytes(GGML_TYPE_Q4_0, N)) == 0, "outlier %d: not idempotent", outlier);
    }
}

static void test_real_blocks(void) {
    const char *model = t_model_path();
    if (!model) { t_skip("default model not present"); return; }
    FILE *ef = fopen("tests/data/quant_expected.txt", "r");
    if (!ef) { t_skip("tests/data/quant_expected.txt not found (run from the repo root)"); return; }
    FILE *mf = fopen(model, "rb");
    CHECK(mf != NULL);
    char line[256], name[128], tname[16];
    long long off, first, count;
    int slices = 0;
    while (mf && fgets(line, sizeof line, ef)) {
        if (sscanf(line, "slice %127s %15s %lld %lld %lld", name, tname, &off, &first, &count) != 5) continue;
        const int type = ggml_type_from_name(tname);
        const quant_traits *tr = quant_get_ref((uint32_t)type);
        CHECK(tr != NULL && first % 32 == 0 && count % 32 == 0 && count <= 128);
        if (!tr) break;
        float want[128], got[128];
        for (long long i = 0; i < count; i++) {
            if (!fgets(line, sizeof line, ef)) break;
            want[i] = strtof(line, NULL);
        }
        uint8_t raw[128 / 32 * 34];
        const size_t nbytes = (size_t)(count / 32) * tr->block_bytes;
        CHECK(fseek(mf, (long)(off + first / 32 * tr->block_bytes), SEEK_SET) == 0);
        CHECK(fread(raw, 1, nbytes, mf) == nbytes);
        for (int isa = QUANT_ISA_SCALAR; isa <= QUANT_ISA_AVX512; isa++) {
            const quant_traits *t = quant_get_isa((uint32_t)type, isa);
            if (!t) continue;
            t->dequant(raw, got, count);
            for (long long i = 0; i < count; i++)
                CHECK_MSG(fabsf(got[i] - want[i]) <= 1e-6f * fabsf(want[i]), "%s %s [%lld] = %.9g, gguf says %.9g (%s)", name, tname, first + i, got[i], want[i], quant_isa_name(isa));
        }
        slices++;
    }
    CHECK_EQ_INT(slices, 4);
    if (mf) fclose(mf);
    fclose(ef);
}

/* dot_rows (where an ISA has one: the two-stream kernels of the 4/5/8-bit
 * types) returns each row's dot bit for bit, for every row count (odd ones
 * leave a row to the dot), short rows (one block: no four-block step) and
 * long ones, unaligned row strides. */
static void test_dot_rows_exact(void) {
    static const int64_t lens[] = {32, 96, 192, 224, 576, 1056, 65792 /* past the 4-bit rows' 64 Ki limit */};
    enum { NR = 7 };
    int n_checked = 0;
    for (int bits = 256; bits <= 512; bits += 256)
    for (size_t k = 0; k < sizeof SIMD_ISAS / sizeof SIMD_ISAS[0]; k++)
        for (int ti = 0; ti < N_TYPES; ti++) {
            if (set_dot_bits(bits) < QUANT_ISA_AVX512 && bits == 512) continue;
            const quant_traits *ts = quant_get_isa(ALL_TYPES[ti], SIMD_ISAS[k]);
            if (!ts || !ts->dot_rows) continue;
            for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
                const int64_t n = lens[li];
                const size_t rb = (size_t)(n / ts->block_elems * ts->block_bytes) + 3;
                uint8_t *rows = malloc(NR * rb), *act = malloc((size_t)n * 4 + 64);
                float *x = malloc((size_t)n * sizeof(float));
                rng_seed(91 + 7 * (uint64_t)ti + li);
                for (int r = 0; r < NR; r++) random_row(ts, rows + r * rb, n, r % 3);
                fill(x, n, 1);
                act_of(ts, x, act, n);
                for (int nr = 1; nr <= NR; nr++) {
                    float out[NR];
                    quant_dot_rows(ts, rows, rb, nr, act, n, out);
                    for (int r = 0; r < nr; r++) {
                        const float want = ts->dot(rows + r * rb, act, n);
                        CHECK_MSG(memcmp(&out[r], &want, sizeof want) == 0, "%s/%s (dots %d-bit) n=%lld dot_rows(%d) row %d: %.9g vs dot %.9g",
                                  ts->name, quant_isa_name(SIMD_ISAS[k]), bits, (long long)n, nr, r, out[r], want);
                    }
                }
                n_checked++;
                free(rows); free(act); free(x);
            }
        }
    set_dot_bits(0);
    if (!n_checked) t_skip("no ISA with a dot_rows for these types on this CPU");
}

/* The 4/5/8-bit types' dots and tiles of the AVX-512 table against the
 * AVX2 table's, bit for bit, with the AVX-512 dots at both widths
 * (FITCHAT_DOTS=256, 512): one source (quant_dotq_x86.h) whose vpdpbusd
 * adds the same four products per lane as vpmaddubsw + vpmaddwd, its
 * 512-bit twin (quant_avx512.c) holding the two FMA chains in one register,
 * and the same 4x4 tiles, so which table and width a CPU gets changes no
 * float. Random rows, and raw -128 activations, which no quantizer writes. */
static void test_legacy_isas_agree(void) {
    static const uint32_t types[] = {GGML_TYPE_Q4_0, GGML_TYPE_Q4_1, GGML_TYPE_Q5_0, GGML_TYPE_Q5_1, GGML_TYPE_Q8_0};
    static const int64_t lens[] = {32, 64, 96, 160, 192, 224, 1056, 4096};
    enum { NR = 5, NMAX = 4096 };
    uint8_t *rows = malloc(NR * (NMAX * 2 + 64)), *acts = malloc(4 * (NMAX * 2 + 64));
    float *x = malloc(NMAX * sizeof(float));
    int tested = 0;
    for (int bits = 256; bits <= 512; bits += 256)
    for (size_t ti = 0; ti < sizeof types / sizeof types[0]; ti++) {
        if (set_dot_bits(bits) < QUANT_ISA_AVX512) break;
        const quant_traits *a2 = quant_get_isa(types[ti], QUANT_ISA_AVX2), *a5 = quant_get_isa(types[ti], QUANT_ISA_AVX512);
        if (!a2 || !a5) continue;
        CHECK_EQ_INT(quant_dot_bits(types[ti]), bits);
        tested++;
        for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++)
            for (int kind = 0; kind < 5; kind++) {
                const int64_t n = lens[li];
                const size_t rb = (size_t)(n / a2->block_elems * a2->block_bytes) + 1, ab = quant_act_bytes(a2->act_type, n) + 4;
                rng_seed(4242 + 13 * ti + 5 * li + (uint64_t)kind);
                for (int r = 0; r < NR; r++) random_row(a2, rows + r * rb, n, (r + kind) % 4);
                for (int t = 0; t < 4; t++) {
                    fill(x, n, (kind + t) % 4);
                    act_of(a2, x, acts + t * ab, n);
                    if (kind == 4 && t % 2) /* raw -128 codes */
                        for (int64_t b = 0; b < n / 32; b++) memset(((fc_block_q8 *)(void *)(acts + t * ab))[b].qs, 0x80, 32);
                }
                float d2[NR], d5[NR], r2[NR], r5[NR], t2[16], t5[16];
                for (int t = 0; t < 4; t++) {
                    for (int r = 0; r < NR; r++) {
                        d2[r] = a2->dot(rows + r * rb, acts + t * ab, n);
                        d5[r] = a5->dot(rows + r * rb, acts + t * ab, n);
                    }
                    quant_dot_rows(a2, rows, rb, NR, acts + t * ab, n, r2);
                    quant_dot_rows(a5, rows, rb, NR, acts + t * ab, n, r5);
                    CHECK_MSG(!memcmp(d2, d5, sizeof d2) && !memcmp(r2, r5, sizeof r2), "%s n=%lld kind %d token %d: the AVX-512 %d-bit dots differ from the AVX2 ones (row 0: %.9g vs %.9g)",
                              a2->name, (long long)n, kind, t, bits, d5[0], d2[0]);
                }
                quant_tile4(a2, rows, rb, acts, ab, n, t2, 4);
                quant_tile4(a5, rows, rb, acts, ab, n, t5, 4);
                CHECK_MSG(!memcmp(t2, t5, sizeof t2), "%s n=%lld kind %d: the AVX-512 tile4 differs from the AVX2 one", a2->name, (long long)n, kind);
            }
    }
    set_dot_bits(0);
    if (!tested) t_skip("this CPU has no AVX-512 VNNI (the two tables cannot both run)");
    free(rows); free(acts); free(x);
}

int main(void) {
    quant_init(QUANT_ISA_AUTO);
    T_RUN(test_f16_exhaustive);
    T_RUN(test_bf16_exhaustive);
    T_RUN(test_f16_quantize_parity);
    T_RUN(test_known_blocks);
    T_RUN(test_round_trip);
    T_RUN(test_ref_dot_algebra);
    T_RUN(test_simd_parity);
    T_RUN(test_tile4);
    T_RUN(test_dot_rows_exact);
    T_RUN(test_legacy_isas_agree);
    T_RUN(test_extremes);
    T_RUN(test_act_parity);
    T_RUN(test_dispatch);
    T_RUN(test_real_blocks);
    T_RUN(test_kv_q4_0);
    return t_done();
}
