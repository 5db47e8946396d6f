#include "vecmath.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "kvrot.h"

/* Eight float lanes (GCC vector extensions). The bodies below are
 * always_inline and written once; each public function calls them from an
 * AVX2 build (target attribute) where the CPU has it, a portable build
 * otherwise. -std=c11 leaves floating-point contraction off, so both builds
 * round every operation alike. */
typedef float v8f __attribute__((vector_size(32)));
typedef int32_t v8i __attribute__((vector_size(32)));
typedef float v4f __attribute__((vector_size(16)));
typedef double v4d __attribute__((vector_size(32)));
#define INLINE static inline __attribute__((always_inline))
/* v8f-returning helpers are always inlined: no call ever passes one, so
 * GCC's note that the AVX calling convention differs does not apply */
#pragma GCC diagnostic ignored "-Wpsabi"
#define V8_SEL(m, a, b) ((v8f)(((v8i)(a) & (m)) | ((v8i)(b) & ~(m))))

INLINE v8f ld8(const float *p) { v8f v; memcpy(&v, p, sizeof v); return v; }
#define ST8(p, v)                               \
    do {                                        \
        const v8f st8_v_ = (v);                 \
        memcpy((p), &st8_v_, sizeof st8_v_);    \
    } while (0)
INLINE v8f splat8(float x) { return (v8f){0} + x; }

/* e^z without libm, branch-free: z clamped to [-87, 88] (finite results),
 * z = n ln2 + r with |r| <= ln2 / 2 (n rounded by the 1.5 * 2^23 trick), a
 * degree-6 polynomial for e^r (relative error ~2e-7), times 2^n built in the
 * exponent bits. */
INLINE v8f exp8(const v8f *zp) { /* by pointer: GCC notes every v8f parameter's ABI */
    v8f z = *zp;
    z = V8_SEL(z < -87.0f, splat8(-87.0f), z);
    z = V8_SEL(z > 88.0f, splat8(88.0f), z);
    const v8f n = (z * 1.44269504089f + 12582912.0f) - 12582912.0f;
    const v8f r = (z - n * 0.693145751953125f) - n * 1.428606765330187e-06f;
    v8f p = splat8(1.0f / 720.0f);
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    const v8i sc = (__builtin_convertvector(n, v8i) + 127) << 23;
    return p * (v8f)sc;
}

INLINE float exp1(float z) {
    const v8f v = splat8(z);
    return exp8(&v)[0];
}

/* ---- gated activations ------------------------------------------------------ */

/* act(x) = x / (1 + e^z): z = -x (SiLU) or z = -2 sqrt(2/pi) (x + 0.044715 x^3)
 * (GELU, tanh form: 0.5 x (1 + tanh u) = x / (1 + e^(-2u))) */
INLINE void glu_body(const bool gelu, float *g, const float *u, int n) {
    for (int r = 0; r < n; r += 8) {
        v8f x, y;
        if (r + 8 <= n) { x = ld8(g + r); y = ld8(u + r); }
        else {
            x = y = (v8f){0};
            memcpy(&x, g + r, (size_t)(n - r) * sizeof(float));
            memcpy(&y, u + r, (size_t)(n - r) * sizeof(float));
        }
        const v8f z = gelu ? -1.5957691216f * (x + 0.044715f * x * x * x) : -x;
        const v8f out = x / (1.0f + exp8(&z)) * y;
        if (r + 8 <= n) ST8(g + r, out);
        else memcpy(g + r, &out, (size_t)(n - r) * sizeof(float));
    }
}

/* ---- attention tiles -------------------------------------------------------- */

/* ((v0 + v4) + (v2 + v6)) + ((v1 + v5) + (v3 + v7)) */
INLINE float hsum8(const v8f *v) {
#if defined(__clang__) /* the fuzz build (make fuzz) compiles with clang */
    const v8f a = *v + __builtin_shufflevector(*v, *v, 4, 5, 6, 7, 0, 1, 2, 3);
    const v8f b = a + __builtin_shufflevector(a, a, 2, 3, 0, 1, 6, 7, 4, 5);
#else
    const v8f a = *v + __builtin_shuffle(*v, (v8i){4, 5, 6, 7, 0, 1, 2, 3});
    const v8f b = a + __builtin_shuffle(a, (v8i){2, 3, 0, 1, 6, 7, 4, 5});
#endif
    return b[0] + b[1];
}

#if defined(__clang__)
#define SHUF2(a, b, ...) __builtin_shufflevector((a), (b), __VA_ARGS__)
#define SHUF1(a, ...) __builtin_shufflevector((a), (a), __VA_ARGS__)
#else
#define SHUF2(a, b, ...) __builtin_shuffle((a), (b), (v8i){__VA_ARGS__})
#define SHUF1(a, ...) __builtin_shuffle((a), (v8i){__VA_ARGS__})
#endif

/* hsum8 of eight vectors at once, lane j = hsum8(&a[j]) bit for bit (the
 * same additions of the same pairs, transposed: 15 shuffles and 7 adds for
 * eight sums where eight hsum8 take 16 shuffles, 16 vector and 8 scalar
 * adds and 8 extracts). */
INLINE v8f hsum8x8(const v8f *a) {
    v8f P[4], Q[2];
    _Pragma("GCC unroll 4") for (int j = 0; j < 4; j++) /* [k0: v0+v4 v1+v5 v2+v6 v3+v7 | k1: the same] for keys 2j, 2j + 1 */
        P[j] = SHUF2(a[2 * j], a[2 * j + 1], 0, 1, 2, 3, 8, 9, 10, 11) + SHUF2(a[2 * j], a[2 * j + 1], 4, 5, 6, 7, 12, 13, 14, 15);
    _Pragma("GCC unroll 2") for (int j = 0; j < 2; j++) /* [k0: b0 b1, k2: b0 b1 | k1: b0 b1, k3: b0 b1], b0 = s0 + s2, b1 = s1 + s3 */
        Q[j] = SHUF2(P[2 * j], P[2 * j + 1], 0, 1, 8, 9, 4, 5, 12, 13) + SHUF2(P[2 * j], P[2 * j + 1], 2, 3, 10, 11, 6, 7, 14, 15);
    const v8f r = SHUF2(Q[0], Q[1], 0, 2, 8, 10, 4, 6, 12, 14) + SHUF2(Q[0], Q[1], 1, 3, 9, 11, 5, 7, 13, 15); /* b0 + b1: keys 0 2 4 6 | 1 3 5 7 */
    return SHUF1(r, 0, 4, 1, 5, 2, 6, 3, 7);
}

/* Eight positions at a time where n_dim is a multiple of 8 (eight
 * independent sums, reduced together by hsum8x8), then four, then one; the
 * head's values in lanes of 8, a scalar tail where n_dim is not a multiple
 * of 8. Every position's score is the same floats whichever way: lane sums
 * over the chunks of 8 in order, hsum8's tree, the tail, times scale. */
INLINE void scores_body(const float *q, const float *k, int n_dim, int p0, int p1, float scale, float *s) {
    const int n8 = n_dim & ~7;
    int p = p0;
    if (n8 == n_dim)
        for (; p + 8 <= p1; p += 8) {
            const float *kp = k + (size_t)p * n_dim;
            v8f a[8];
            _Pragma("GCC unroll 8") for (int j = 0; j < 8; j++) a[j] = (v8f){0};
            for (int i = 0; i < n8; i += 8) {
                const v8f qi = ld8(q + i);
                _Pragma("GCC unroll 8") for (int j = 0; j < 8; j++) a[j] = a[j] + qi * ld8(kp + (size_t)j * n_dim + i);
            }
            ST8(s + p, hsum8x8(a) * scale);
        }
    for (; p + 4 <= p1; p += 4) {
        const float *k0 = k + (size_t)p * n_dim, *k1 = k0 + n_dim, *k2 = k1 + n_dim, *k3 = k2 + n_dim;
        v8f a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0};
        for (int i = 0; i < n8; i += 8) {
            const v8f qi = ld8(q + i);
            a0 = a0 + qi * ld8(k0 + i);
            a1 = a1 + qi * ld8(k1 + i);
            a2 = a2 + qi * ld8(k2 + i);
            a3 = a3 + qi * ld8(k3 + i);
        }
        float t0 = hsum8(&a0), t1 = hsum8(&a1), t2 = hsum8(&a2), t3 = hsum8(&a3);
        for (int i = n8; i < n_dim; i++) {
            t0 += q[i] * k0[i];
            t1 += q[i] * k1[i];
            t2 += q[i] * k2[i];
            t3 += q[i] * k3[i];
        }
        s[p] = t0 * scale;
        s[p + 1] = t1 * scale;
        s[p + 2] = t2 * scale;
        s[p + 3] = t3 * scale;
    }
    for (; p < p1; p++) {
        const float *kp = k + (size_t)p * n_dim;
        v8f a = {0};
        for (int i = 0; i < n8; i += 8) a = a + ld8(q + i) * ld8(kp + i);
        float t = hsum8(&a);
        for (int i = n8; i < n_dim; i++) t += q[i] * kp[i];
        s[p] = t * scale;
    }
}

/* ng (1-4) groups of 8 weights: s[i] = e^(s[i] - m_new), and for each
 * group in order *sum += (double)((w0 + w1) + (w2 + w3)) +
 * (double)((w4 + w5) + (w6 + w7)). The groups' float sums are computed as
 * lanes of one vector (the same pairs, transposed; a missing group's lanes
 * are zeros, unused): 6 shuffles and 3 adds for four groups where each
 * group alone takes 7 extracts and 6 scalar adds. */
INLINE void exp_groups(float *s, float m_new, int ng, double *sum) {
    v8f w[4] = {{0}, {0}, {0}, {0}};
    _Pragma("GCC unroll 4") for (int j = 0; j < 4; j++)
        if (j < ng) {
            const v8f z = ld8(s + 8 * j) - m_new;
            w[j] = exp8(&z);
            ST8(s + 8 * j, w[j]);
        }
    /* [a01 a23 b01 b23 a45 a67 b45 b67] of groups a, b (xy: wx + wy) */
    const v8f P0 = SHUF2(w[0], w[1], 0, 2, 8, 10, 4, 6, 12, 14) + SHUF2(w[0], w[1], 1, 3, 9, 11, 5, 7, 13, 15);
    const v8f P1 = SHUF2(w[2], w[3], 0, 2, 8, 10, 4, 6, 12, 14) + SHUF2(w[2], w[3], 1, 3, 9, 11, 5, 7, 13, 15);
    /* [A0 A1 A2 A3 B0 B1 B2 B3]: A = 01 + 23, B = 45 + 67 of group j */
    const v8f Q = SHUF2(P0, P1, 0, 2, 8, 10, 4, 6, 12, 14) + SHUF2(P0, P1, 1, 3, 9, 11, 5, 7, 13, 15);
    v4f qa, qb;
    memcpy(&qa, &Q, sizeof qa);
    memcpy(&qb, (const float *)&Q + 4, sizeof qb);
    const v4d t = __builtin_convertvector(qa, v4d) + __builtin_convertvector(qb, v4d);
    _Pragma("GCC unroll 4") for (int j = 0; j < 4; j++)
        if (j < ng) *sum += t[j];
}

INLINE float softmax_body(float *s, int p0, int p1, float *m, double *l, bool fast) {
    /* the maximum (NaN skipped as by s > tmax ? s : tmax): eight lanes, then
     * across them, then the tail; a max is the same whatever the order (a
     * tie of +0 and -0 may keep either: e^(s - m) and the correction are
     * the same floats with both) */
    v8f vmax = splat8(-INFINITY);
    int q = p0;
    for (; q + 8 <= p1; q += 8) {
        const v8f x = ld8(s + q);
        vmax = V8_SEL(x > vmax, x, vmax);
    }
    float tmax = -INFINITY;
    for (int i = 0; i < 8; i++) tmax = vmax[i] > tmax ? vmax[i] : tmax;
    for (; q < p1; q++) tmax = s[q] > tmax ? s[q] : tmax;
    const float m_old = *m, m_new = tmax > m_old ? tmax : m_old;
    const float corr = m_old == -INFINITY ? 0.0f : fast ? exp1(m_old - m_new) : expf(m_old - m_new);
    double sum = 0;
    int p = p0;
    if (fast) {
        for (; p + 32 <= p1; p += 32) exp_groups(s + p, m_new, 4, &sum);
        if (p + 8 <= p1) {
            exp_groups(s + p, m_new, (p1 - p) / 8, &sum);
            p += (p1 - p) / 8 * 8;
        }
    }
    if (fast && p < p1) { /* the last 1-7: one e^x of their lanes (lane by lane the same floats), summed in order */
        float buf[8] = {0};
        for (int i = 0; i < p1 - p; i++) buf[i] = s[p + i];
        v8f z = ld8(buf) - m_new;
        z = exp8(&z);
        ST8(buf, z);
        for (int i = 0; p < p1; p++, i++) {
            s[p] = buf[i];
            sum += s[p];
        }
    }
    for (; p < p1; p++) {
        s[p] = expf(s[p] - m_new);
        sum += s[p];
    }
    *l = *l * corr + sum;
    *m = m_new;
    return corr;
}

/* Each output value: out * corr, then + w[p] * v[p] for p in order. 64
 * values at a time (eight independent chains: the adds' latency hidden),
 * then 32, then one. */
INLINE void accum_v_body(float *out, float corr, const float *w, const float *v, int n_dim, int p0, int p1) {
    int c = 0;
    for (; c + 64 <= n_dim; c += 64) {
        v8f a[8];
        _Pragma("GCC unroll 8") for (int j = 0; j < 8; j++) a[j] = ld8(out + c + 8 * j) * corr;
        for (int p = p0; p < p1; p++) {
            const v8f wp = splat8(w[p]);
            const float *x = v + (size_t)p * n_dim + c;
            _Pragma("GCC unroll 8") for (int j = 0; j < 8; j++) a[j] = a[j] + wp * ld8(x + 8 * j);
        }
        _Pragma("GCC unroll 8") for (int j = 0; j < 8; j++) ST8(out + c + 8 * j, a[j]);
    }
    for (; c + 32 <= n_dim; c += 32) {
        v8f a0 = ld8(out + c) * corr, a1 = ld8(out + c + 8) * corr, a2 = ld8(out + c + 16) * corr,
            a3 = ld8(out + c + 24) * corr;
        for (int p = p0; p < p1; p++) {
            const v8f wp = splat8(w[p]);
            const float *x = v + (size_t)p * n_dim + c;
            a0 = a0 + wp * ld8(x);
            a1 = a1 + wp * ld8(x + 8);
            a2 = a2 + wp * ld8(x + 16);
            a3 = a3 + wp * ld8(x + 24);
        }
        ST8(out + c, a0);
        ST8(out + c + 8, a1);
        ST8(out + c + 16, a2);
        ST8(out + c + 24, a3);
    }
    for (; c < n_dim; c++) {
        float a = out[c] * corr;
        for (int p = p0; p < p1; p++) a = a + w[p] * v[(size_t)p * n_dim + c];
        out[c] = a;
    }
}

/* ---- RMS norm ------------------------------------------------------------------- */

/* fc_rmsnorm's arithmetic (ops.h): the squares summed in double in four
 * chains (chain k: the elements i = k mod 4, in order; here the lanes of one
 * vector), ((c0 + c1) + (c2 + c3)), the tail into chain 0; then
 * out = x * scale * w in float. */
INLINE void rmsnorm_body(float *out, const float *x, const float *w, int n, float eps) {
    v4d ss = {0, 0, 0, 0};
    int i = 0;
    for (; i + 4 <= n; i += 4) {
        float f[4];
        memcpy(f, x + i, sizeof f);
        const v4d xd = {f[0], f[1], f[2], f[3]};
        ss = ss + xd * xd;
    }
    double s0 = ss[0];
    for (; i < n; i++) s0 += (double)x[i] * x[i];
    const double sum = (s0 + ss[1]) + (ss[2] + ss[3]);
    const float scale = (float)(1.0 / sqrt(sum / n + eps));
    i = 0;
    for (; i + 8 <= n; i += 8) ST8(out + i, ld8(x + i) * scale * ld8(w + i));
    for (; i < n; i++) out[i] = x[i] * scale * w[i];
}

/* ---- KV rotation -------------------------------------------------------------- */

/* One butterfly stage of span h < 8 inside a vector of 8: lane i (bit h of
 * i clear) gets x[i] + x[i + h], lane i + h gets x[i] - x[i + h] (b - x
 * there: the partner b is x[i]), the scalar reference's very operations. */
#define KVROT_STAGE(v, lo, ...) /* the partner lanes: __VA_ARGS__ (GCC >= 12 and clang) */ \
    do {                                                                                     \
        const v8f b_ = __builtin_shufflevector((v), (v), __VA_ARGS__);                      \
        (v) = V8_SEL((lo), (v) + b_, b_ - (v));                                              \
    } while (0)

INLINE void kv_rotate_body(float *x, int n_vec, int head_dim) {
    const int n = kvrot_chunk(head_dim);
    const float scale = kvrot_scale(n);
    for (int v = 0; v < n_vec; v++) {
        float *h = x + (size_t)v * head_dim;
        for (int c = 0; c < head_dim; c += n) {
            float *p = h + c;
            if (n < 8) { /* tiny heads: the scalar loops */
                for (int span = 1; span < n; span *= 2)
                    for (int i = 0; i < n; i += 2 * span)
                        for (int j = i; j < i + span; j++) {
                            const float a = p[j], b = p[j + span];
                            p[j] = a + b;
                            p[j + span] = a - b;
                        }
                continue;
            }
            for (int i = 0; i < n; i += 8) { /* spans 1, 2, 4: inside each group of 8 */
                v8f a = ld8(p + i);
                KVROT_STAGE(a, ((v8i){-1, 0, -1, 0, -1, 0, -1, 0}), 1, 0, 3, 2, 5, 4, 7, 6);
                KVROT_STAGE(a, ((v8i){-1, -1, 0, 0, -1, -1, 0, 0}), 2, 3, 0, 1, 6, 7, 4, 5);
                KVROT_STAGE(a, ((v8i){-1, -1, -1, -1, 0, 0, 0, 0}), 4, 5, 6, 7, 0, 1, 2, 3);
                ST8(p + i, a);
            }
            for (int span = 8; span < n; span *= 2)
                for (int i = 0; i < n; i += 2 * span)
                    for (int j = i; j < i + span; j += 8) {
                        const v8f a = ld8(p + j), b = ld8(p + j + span);
                        ST8(p + j, a + b);
                        ST8(p + j + span, a - b);
                    }
        }
        int i = 0;
        for (; i + 8 <= head_dim; i += 8) ST8(h + i, ld8(h + i) * scale);
        for (; i < head_dim; i++) h[i] *= scale;
    }
}

/* kvq_q4_0_scale (kvrot.h) with eight candidates in one vector: each
 * lane runs one candidate's sums over the values in order, the very float
 * operations of the scalar search; the winner is then picked in candidate
 * order with the same strict comparison. */
INLINE void kvq_scales_body(const float *x, int n_blocks, float *d) {
    for (int b = 0; b < n_blocks; b++, x += 32) {
        const float max = kvq_signed_max(x);
        d[b] = 0.0f;
        if (max == 0.0f) continue;
        float best = 0.0f;
        for (int c0 = 0; c0 < KVQ_N_CAND; c0 += 8) {
            /* kvq_cand lane by lane (past the last: the last again), then one division */
            v8f k = {0, 1, 2, 3, 4, 5, 6, 7};
            k = k + (float)c0;
            k = V8_SEL(k < (float)KVQ_N_CAND, k, splat8((float)(KVQ_N_CAND - 1)));
            const v8f iscale = -((k - 9.0f) * 0.1f + 8.0f) / max;
            v8f lx = {0}, l2 = {0};
            for (int j = 0; j < 32; j++) {
                const v8f xj = splat8(x[j]);
                const v8f r = (iscale * xj + 12582912.0f) - 12582912.0f;
                const v8f l = V8_SEL(r >= -8.0f, V8_SEL(r <= 7.0f, r, splat8(7.0f)), splat8(-8.0f));
                lx = lx + xj * l;
                l2 = l2 + l * l;
            }
            for (int q = 0; q < 8 && c0 + q < KVQ_N_CAND; q++)
                if (l2[q] > 0.0f && lx[q] * lx[q] > best * l2[q]) {
                    d[b] = lx[q] / l2[q];
                    best = d[b] * lx[q];
                }
        }
    }
}

/* ---- the two builds and the dispatch ------------------------------------------ */

#if defined(__x86_64__)
#define AVX2_FN __attribute__((target("avx2,fma"))) static
/* gelu a constant in each body (no select inside the loop) */
AVX2_FN void glu_avx2(bool gelu, float *g, const float *u, int n) {
    if (gelu) glu_body(true, g, u, n);
    else glu_body(false, g, u, n);
}
AVX2_FN void scores_avx2(const float *q, const float *k, int n_dim, int p0, int p1, float scale, float *s) {
    scores_body(q, k, n_dim, p0, p1, scale, s);
}
AVX2_FN float softmax_avx2(float *s, int p0, int p1, float *m, double *l, bool fast) { return softmax_body(s, p0, p1, m, l, fast); }
AVX2_FN void accum_v_avx2(float *out, float corr, const float *w, const float *v, int n_dim, int p0, int p1) {
    accum_v_body(out, corr, w, v, n_dim, p0, p1);
}
AVX2_FN void kv_rotate_avx2(float *x, int n_vec, int head_dim) { kv_rotate_body(x, n_vec, head_dim); }
AVX2_FN void rmsnorm_avx2(float *out, const float *x, const float *w, int n, float eps) { rmsnorm_body(out, x, w, n, eps); }
AVX2_FN void kvq_scales_avx2(const float *x, int n_blocks, float *d) { kvq_scales_body(x, n_blocks, d); }
static bool have_avx2(void) { return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"); }
/* 1: the AVX2 build, 0: the portable one; chosen by vm_init (quant_init
 * calls it with the kernels' ISA, so FITCHAT_ISA caps both), else the CPU. */
static int vm_simd = -1;
static bool use_avx2(void) {
    if (vm_simd < 0) vm_simd = have_avx2();
    return vm_simd;
}
#define DISPATCH(avx2_call, plain_call) \
    do {                                \
        if (use_avx2()) avx2_call;      \
        else plain_call;                \
    } while (0)
int vm_init(bool simd) {
    vm_simd = simd && have_avx2();
    return vm_simd;
}
#else
#define DISPATCH(avx2_call, plain_call) plain_call
int vm_init(bool simd) {
    (void)simd;
    return 0;
}
#endif

static void glu_plain(bool gelu, float *g, const float *u, int n) {
    if (gelu) glu_body(true, g, u, n);
    else glu_body(false, g, u, n);
}

void vm_glu_fast(bool gelu, float *g, const float *u, int n) {
    DISPATCH(glu_avx2(gelu, g, u, n), glu_plain(gelu, g, u, n));
}

void vm_scores(const float *q, const float *k, int n_dim, int p0, int p1, float scale, float *s) {
    DISPATCH(scores_avx2(q, k, n_dim, p0, p1, scale, s), scores_body(q, k, n_dim, p0, p1, scale, s));
}

float vm_softmax_tile(float *s, int p0, int p1, float *m, double *l, bool fast) {
    float corr;
    DISPATCH(corr = softmax_avx2(s, p0, p1, m, l, fast), corr = softmax_body(s, p0, p1, m, l, fast));
    return corr;
}

void vm_accum_v(float *out, float corr, const float *w, const float *v, int n_dim, int p0, int p1) {
    DISPATCH(accum_v_avx2(out, corr, w, v, n_dim, p0, p1), accum_v_body(out, corr, w, v, n_dim, p0, p1));
}

void vm_rmsnorm(float *out, const float *x, const float *w, int n, float eps) {
    DISPATCH(rmsnorm_avx2(out, x, w, n, eps), rmsnorm_body(out, x, w, n, eps));
}

void vm_kv_rotate(float *x, int n_vec, int head_dim) {
    DISPATCH(kv_rotate_avx2(x, n_vec, head_dim), kv_rotate_body(x, n_vec, head_dim));
}

void vm_kvq_q4_0_scales(const float *x, int n_blocks, float *d) {
    DISPATCH(kvq_scales_avx2(x, n_blocks, d), kvq_scales_body(x, n_blocks, d));
}
