/* quant_k_ref — scalar kernels of the K-quants (Q2_K..Q6_K), IQ4_NL and
 * IQ4_XS, and the FC_ACT_Q8K activation quantizer: the definition the SIMD
 * kernels (quant_k_avx2.c) are tested against.
 *
 * Layouts are ggml's (ggml-common.h block_q2_K ... block_iq4_xs). Where each
 * element e (0..255) of a super-block keeps its code, as the unpack_*
 * functions below spell out:
 *   Q2_K  2 bits: qs[(e/128)*32 + e%32] >> 2*((e%128)/32); scale and min of
 *         group e/16 in scales[e/16] (low and high nibble).
 *   Q3_K  the same 2 low bits, plus bit (e/128)*4 + (e%128)/32 of hmask[e%32]
 *         as bit 2; value code - 4; 16 6-bit scales packed in 12 bytes.
 *   Q4_K  qs[(e/64)*32 + e%32], low nibble for even e/32, high for odd;
 *         8 6-bit (scale, min) pairs packed in 12 bytes (quant_k4_scale_min).
 *   Q5_K  as Q4_K plus bit e/32 of qh[e%32] as bit 4.
 *   Q6_K  h = e/128, k = (e%128)/32, l = e%32: the nibble (k/2) of
 *         ql[h*64 + (k%2)*32 + l], with bits 2k..2k+1 of qh[h*32 + l] above
 *         it; value code - 32; int8 scale of group e/16.
 *   IQ4_XS nibble (e%32)/16 of qs[(e/32)*16 + e%16] indexes the level table;
 *         6-bit scale of sub-block e/32 (scales_l nibble, scales_h 2 bits).
 *   IQ4_NL blocks of 32 like Q4_0, the nibble indexes the level table.
 *
 * Dequantization follows ggml's float order (d * sc first, then times the
 * code, minus dmin * m), which is also what the gguf Python package does.
 * Dots against FC_ACT_Q8K keep every group sum exact in integers: the scales
 * multiply the integer group sums, the mins multiply the activation's bsums,
 * and each super-block costs two float multiply-adds.
 *
 * The quantizers are simple and produce valid blocks (one pass: scale from
 * the extreme value of each group, then nearest code), not ggml's iterative
 * searches for the best scale; they exist for tests and for building
 * fixtures, not for making model files.
 */
#include <math.h>

#include "quant_impl.h"

const int8_t quant_iq4_levels[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

#define QK FC_QK_K

/* ---- unpacking: the 256 codes of a super-block, element order -------------- */

static void unpack_q2k(const blk_q2_k *b, uint8_t q[QK]) {
    for (int e = 0; e < QK; e++) q[e] = (uint8_t)((b->qs[(e / 128) * 32 + e % 32] >> (2 * ((e % 128) / 32))) & 3);
}

/* codes 0..7, value code - 4 */
static void unpack_q3k(const blk_q3_k *b, uint8_t q[QK]) {
    for (int e = 0; e < QK; e++) {
        const int lo = (b->qs[(e / 128) * 32 + e % 32] >> (2 * ((e % 128) / 32))) & 3;
        const int hi = (b->hmask[e % 32] >> ((e / 128) * 4 + (e % 128) / 32)) & 1;
        q[e] = (uint8_t)(lo | hi << 2);
    }
}

static void unpack_q4k(const uint8_t qs[128], uint8_t q[QK]) {
    for (int e = 0; e < QK; e++) q[e] = (uint8_t)((qs[(e / 64) * 32 + e % 32] >> (4 * ((e / 32) & 1))) & 0x0F);
}

static void unpack_q5k(const blk_q5_k *b, uint8_t q[QK]) {
    unpack_q4k(b->qs, q);
    for (int e = 0; e < QK; e++) q[e] |= (uint8_t)(((b->qh[e % 32] >> (e / 32)) & 1) << 4);
}

/* codes 0..63, value code - 32 */
static void unpack_q6k(const blk_q6_k *b, uint8_t q[QK]) {
    for (int e = 0; e < QK; e++) {
        const int h = e / 128, k = (e % 128) / 32, l = e % 32;
        const int lo = (b->ql[h * 64 + (k % 2) * 32 + l] >> (4 * (k / 2))) & 0x0F;
        const int hi = (b->qh[h * 32 + l] >> (2 * k)) & 3;
        q[e] = (uint8_t)(lo | hi << 4);
    }
}

/* level values (not indexes) */
static void unpack_iq4xs(const blk_iq4_xs *b, int8_t v[QK]) {
    for (int e = 0; e < QK; e++)
        v[e] = quant_iq4_levels[(b->qs[(e / 32) * 16 + e % 16] >> (4 * ((e % 32) / 16))) & 0x0F];
}

static float h2f(const uint8_t *p) { return fc_f16_to_f32(fc_rd16(p)); }

/* ---- dequantizers ---------------------------------------------------------- */

void quant_ref_dequant_q2_k(const void *row, float *out, int64_t n) {
    const blk_q2_k *b = row;
    for (int64_t i = 0; i < n / QK; i++, out += QK) {
        const float d = h2f(b[i].d), dmin = h2f(b[i].dmin);
        uint8_t q[QK];
        unpack_q2k(&b[i], q);
        for (int e = 0; e < QK; e++) {
            const int sc = b[i].scales[e / 16];
            out[e] = d * (float)(sc & 0x0F) * (float)q[e] - dmin * (float)(sc >> 4);
        }
    }
}

void quant_ref_dequant_q3_k(const void *row, float *out, int64_t n) {
    const blk_q3_k *b = row;
    for (int64_t i = 0; i < n / QK; i++, out += QK) {
        const float d = h2f(b[i].d);
        uint8_t q[QK];
        int sc[16];
        unpack_q3k(&b[i], q);
        quant_q3k_scales(b[i].scales, sc);
        for (int e = 0; e < QK; e++) out[e] = d * (float)sc[e / 16] * (float)(q[e] - 4);
    }
}

/* Q4_K and Q5_K share the scales and the formula. */
static void dequant_k45(const uint8_t *dm, const uint8_t *scales, const uint8_t q[QK], float *out) {
    const float d = h2f(dm), dmin = h2f(dm + 2);
    for (int s = 0; s < 8; s++) {
        int sc, m;
        quant_k4_scale_min(scales, s, &sc, &m);
        const float d1 = d * (float)sc, m1 = dmin * (float)m;
        for (int l = 0; l < 32; l++) out[32 * s + l] = d1 * (float)q[32 * s + l] - m1;
    }
}

void quant_ref_dequant_q4_k(const void *row, float *out, int64_t n) {
    const blk_q4_k *b = row;
    for (int64_t i = 0; i < n / QK; i++, out += QK) {
        uint8_t q[QK];
        unpack_q4k(b[i].qs, q);
        dequant_k45(b[i].d, b[i].scales, q, out);
    }
}

void quant_ref_dequant_q5_k(const void *row, float *out, int64_t n) {
    const blk_q5_k *b = row;
    for (int64_t i = 0; i < n / QK; i++, out += QK) {
        uint8_t q[QK];
        unpack_q5k(&b[i], q);
        dequant_k45(b[i].d, b[i].scales, q, out);
    }
}

void quant_ref_dequant_q6_k(const void *row, float *out, int64_t n) {
    const blk_q6_k *b = row;
    for (int64_t i = 0; i < n / QK; i++, out += QK) {
        const float d = h2f(b[i].d);
        uint8_t q[QK];
        unpack_q6k(&b[i], q);
        for (int e = 0; e < QK; e++) out[e] = d * (float)b[i].scales[e / 16] * (float)(q[e] - 32);
    }
}

void quant_ref_dequant_iq4_nl(const void *row, float *out, int64_t n) {
    const blk_iq4_nl *b = row;
    for (int64_t i = 0; i < n / 32; i++, out += 32) {
        const float d = h2f(b[i].d);
        for (int j = 0; j < 16; j++) {
            out[j] = d * (float)quant_iq4_levels[b[i].qs[j] & 0x0F];
            out[j + 16] = d * (float)quant_iq4_levels[b[i].qs[j] >> 4];
        }
    }
}

void quant_ref_dequant_iq4_xs(const void *row, float *out, int64_t n) {
    const blk_iq4_xs *b = row;
    for (int64_t i = 0; i < n / QK; i++, out += QK) {
        const float d = h2f(b[i].d);
        int8_t v[QK];
        int ls[8];
        unpack_iq4xs(&b[i], v);
        quant_iq4xs_scales(&b[i], ls);
        for (int e = 0; e < QK; e++) out[e] = d * (float)ls[e / 32] * (float)v[e];
    }
}

/* ---- dots against FC_ACT_Q8K (IQ4_NL: FC_ACT_Q8) ------------------------------ */

/* sum over elements [e0, e0 + len) of (q[e] - off) * a[e] */
static int gsum(const uint8_t *q, int off, const int8_t *a, int e0, int len) {
    int s = 0;
    for (int e = e0; e < e0 + len; e++) s += (q[e] - off) * a[e];
    return s;
}

float quant_ref_dot_q2_k(const void *row, const void *act, int64_t n) {
    const blk_q2_k *b = row;
    const fc_block_q8k *a = act;
    float sum = 0.0f;
    for (int64_t i = 0; i < n / QK; i++) {
        uint8_t q[QK];
        unpack_q2k(&b[i], q);
        int isum = 0, msum = 0;
        for (int g = 0; g < 16; g++) {
            isum += (b[i].scales[g] & 0x0F) * gsum(q, 0, a[i].qs, 16 * g, 16);
            msum += (b[i].scales[g] >> 4) * a[i].bsums[g];
        }
        sum += a[i].d * h2f(b[i].d) * (float)isum - a[i].d * h2f(b[i].dmin) * (float)msum;
    }
    return sum;
}

float quant_ref_dot_q3_k(const void *row, const void *act, int64_t n) {
    const blk_q3_k *b = row;
    const fc_block_q8k *a = act;
    float sum = 0.0f;
    for (int64_t i = 0; i < n / QK; i++) {
        uint8_t q[QK];
        int sc[16], isum = 0;
        unpack_q3k(&b[i], q);
        quant_q3k_scales(b[i].scales, sc);
        for (int g = 0; g < 16; g++) isum += sc[g] * gsum(q, 4, a[i].qs, 16 * g, 16);
        sum += a[i].d * h2f(b[i].d) * (float)isum;
    }
    return sum;
}

static float dot_k45(const uint8_t *dm, const uint8_t *scales, const uint8_t q[QK], const fc_block_q8k *a) {
    int isum = 0, msum = 0;
    for (int s = 0; s < 8; s++) {
        int sc, m;
        quant_k4_scale_min(scales, s, &sc, &m);
        isum += sc * gsum(q, 0, a->qs, 32 * s, 32);
        msum += m * (a->bsums[2 * s] + a->bsums[2 * s + 1]);
    }
    return a->d * h2f(dm) * (float)isum - a->d * h2f(dm + 2) * (float)msum;
}

float quant_ref_dot_q4_k(const void *row, const void *act, int64_t n) {
    const blk_q4_k *b = row;
    const fc_block_q8k *a = act;
    float sum = 0.0f;
    for (int64_t i = 0; i < n / QK; i++) {
        uint8_t q[QK];
        unpack_q4k(b[i].qs, q);
        sum += dot_k45(b[i].d, b[i].scales, q, &a[i]);
    }
    return sum;
}

float quant_ref_dot_q5_k(const void *row, const void *act, int64_t n) {
    const blk_q5_k *b = row;
    const fc_block_q8k *a = act;
    float sum = 0.0f;
    for (int64_t i = 0; i < n / QK; i++) {
        uint8_t q[QK];
        unpack_q5k(&b[i], q);
        sum += dot_k45(b[i].d, b[i].scales, q, &a[i]);
    }
    return sum;
}

float quant_ref_dot_q6_k(const void *row, const void *act, int64_t n) {
    const blk_q6_k *b = row;
    const fc_block_q8k *a = act;
    float sum = 0.0f;
    for (int64_t i = 0; i < n / QK; i++) {
        uint8_t q[QK];
        int isum = 0;
        unpack_q6k(&b[i], q);
        for (int g = 0; g < 16; g++) isum += b[i].scales[g] * gsum(q, 32, a[i].qs, 16 * g, 16);
        sum += a[i].d * h2f(b[i].d) * (float)isum;
    }
    return sum;
}

float quant_ref_dot_iq4_nl(const void *row, const void *act, int64_t n) {
    const blk_iq4_nl *b = row;
    const fc_block_q8 *a = act;
    float sum = 0.0f;
    for (int64_t i = 0; i < n / 32; i++) {
        int s = 0;
        for (int j = 0; j < 16; j++)
            s += quant_iq4_levels[b[i].qs[j] & 0x0F] * a[i].qs[j] + quant_iq4_levels[b[i].qs[j] >> 4] * a[i].qs[j + 16];
        sum += h2f(b[i].d) * a[i].d * (float)s;
    }
    return sum;
}

float quant_ref_dot_iq4_xs(const void *row, const void *act, int64_t n) {
    const blk_iq4_xs *b = row;
    const fc_block_q8k *a = act;
    float sum = 0.0f;
    for (int64_t i = 0; i < n / QK; i++) {
        int8_t v[QK];
        int ls[8], isum = 0;
        unpack_iq4xs(&b[i], v);
        quant_iq4xs_scales(&b[i], ls);
        for (int s = 0; s < 8; s++) {
            int g = 0;
            for (int l = 0; l < 32; l++) g += v[32 * s + l] * a[i].qs[32 * s + l];
            isum += ls[s] * g;
        }
        sum += a[i].d * h2f(b[i].d) * (float)isum;
    }
    return sum;
}

/* ---- FC_ACT_Q8K ------------------------------------------------------------------ */

void quant_ref_act_q8k(const float *x, fc_block_q8k *out, int64_t n) {
    for (int64_t i = 0; i < n / QK; i++, x += QK) {
        float amax = 0.0f;
        for (int j = 0; j < QK; j++) amax = fmaxf(amax, fabsf(x[j]));
        const float d = amax / 127;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        for (int g = 0; g < QK / 16; g++) {
            int sum = 0;
            for (int j = 16 * g; j < 16 * g + 16; j++) {
                const float v = x[j] * id;
                /* |v| <= 127 (+rounding) for finite x; NaN/inf blocks give garbage, not UB */
                const int q = (v == v && fabsf(v) < 128.0f) ? quant_round_even(v) : 0;
                out[i].qs[j] = (int8_t)q;
                sum += q;
            }
            out[i].bsums[g] = (int16_t)sum;
        }
        out[i].d = d;
    }
}

/* ---- quantizers (simple, valid blocks) ---------------------------------------- */

static int clampi(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }
static int nearest(float v) { return (v == v && fabsf(v) < 1e9f) ? (int)lrintf(v) : 0; }
static float safe_inv(float d) { return d != 0.0f ? 1.0f / d : 0.0f; }

/* The value of largest magnitude, with its sign. */
static float extreme(const float *x, int n) {
    float amax = 0.0f, max = 0.0f;
    for (int j = 0; j < n; j++)
        if (amax < fabsf(x[j])) { amax = fabsf(x[j]); max = x[j]; }
    return max;
}

/* Per group of len elements: scale (max - min) / nmax and offset -min, with
 * the min clamped to <= 0 (the K-quants store -min >= 0). */
static void range_groups(const float *x, int n_groups, int len, int nmax, float *scale, float *mins) {
    for (int g = 0; g < n_groups; g++) {
        float lo = 0.0f, hi = -INFINITY;
        for (int j = 0; j < len; j++) {
            const float v = x[g * len + j];
            if (v < lo) lo = v;
            if (v > hi) hi = v;
        }
        if (hi < lo) hi = lo;
        scale[g] = (hi - lo) / (float)nmax;
        mins[g] = -lo;
    }
}

static float maxf(const float *v, int n) {
    float m = 0.0f;
    for (int i = 0; i < n; i++) m = fmaxf(m, v[i]);
    return m;
}

/* Codes of a block with per-group (d*sc, dmin*m): clamp(round((x + m) / d), 0, nmax). */
static void codes_affine(const float *x, int len, float dl, float ml, int nmax, uint8_t *q) {
    const float id = safe_inv(dl);
    for (int j = 0; j < len; j++) q[j] = (uint8_t)clampi(nearest((x[j] + ml) * id), 0, nmax);
}

void quant_ref_quantize_q2_k(const float *x, void *row, int64_t n) {
    blk_q2_k *b = row;
    for (int64_t i = 0; i < n / QK; i++, x += QK) {
        float scale[16], mins[16];
        range_groups(x, 16, 16, 3, scale, mins);
        const float ms = maxf(scale, 16), mm = maxf(mins, 16);
        fc_wr16(b[i].d, fc_f32_to_f16(ms / 15));
        fc_wr16(b[i].dmin, fc_f32_to_f16(mm / 15));
        const float d = h2f(b[i].d), dmin = h2f(b[i].dmin);
        uint8_t q[QK];
        for (int g = 0; g < 16; g++) {
            const int sc = clampi(nearest(scale[g] * safe_inv(d)), 0, 15), m = clampi(nearest(mins[g] * safe_inv(dmin)), 0, 15);
            b[i].scales[g] = (uint8_t)(sc | m << 4);
            codes_affine(x + 16 * g, 16, d * (float)sc, dmin * (float)m, 3, q + 16 * g);
        }
        memset(b[i].qs, 0, sizeof b[i].qs);
        for (int e = 0; e < QK; e++) b[i].qs[(e / 128) * 32 + e % 32] |= (uint8_t)(q[e] << (2 * ((e % 128) / 32)));
    }
}

void quant_ref_quantize_q3_k(const float *x, void *row, int64_t n) {
    blk_q3_k *b = row;
    for (int64_t i = 0; i < n / QK; i++, x += QK) {
        float scale[16], ms = 0.0f;
        for (int g = 0; g < 16; g++) { scale[g] = extreme(x + 16 * g, 16) / -4; ms = fmaxf(ms, fabsf(scale[g])); }
        fc_wr16(b[i].d, fc_f32_to_f16(ms / 31));
        const float d = h2f(b[i].d);
        memset(b[i].scales, 0, sizeof b[i].scales);
        memset(b[i].hmask, 0, sizeof b[i].hmask);
        memset(b[i].qs, 0, sizeof b[i].qs);
        for (int g = 0; g < 16; g++) {
            const int sc = clampi(nearest(scale[g] * safe_inv(d)), -31, 31), s6 = sc + 32;
            b[i].scales[g < 8 ? g : g - 8] |= (uint8_t)((s6 & 0x0F) << (g < 8 ? 0 : 4));
            b[i].scales[8 + g % 4] |= (uint8_t)((s6 >> 4) << (2 * (g / 4)));
            const float id = safe_inv(d * (float)sc);
            for (int e = 16 * g; e < 16 * g + 16; e++) {
                const int q = clampi(nearest(x[e] * id), -4, 3) + 4;
                b[i].qs[(e / 128) * 32 + e % 32] |= (uint8_t)((q & 3) << (2 * ((e % 128) / 32)));
                b[i].hmask[e % 32] |= (uint8_t)((q >> 2) << ((e / 128) * 4 + (e % 128) / 32));
            }
        }
    }
}

/* Q4_K/Q5_K: 8 sub-blocks of 32, codes 0..nmax; packs the scales, returns the codes. */
static void quantize_k45(const float *x, uint8_t *dm, uint8_t scales[12], int nmax, uint8_t q[QK]) {
    float scale[8], mins[8];
    range_groups(x, 8, 32, nmax, scale, mins);
    fc_wr16(dm, fc_f32_to_f16(maxf(scale, 8) / 63));
    fc_wr16(dm + 2, fc_f32_to_f16(maxf(mins, 8) / 63));
    const float d = h2f(dm), dmin = h2f(dm + 2);
    memset(scales, 0, 12);
    for (int j = 0; j < 8; j++) {
        const int sc = clampi(nearest(scale[j] * safe_inv(d)), 0, 63), m = clampi(nearest(mins[j] * safe_inv(dmin)), 0, 63);
        if (j < 4) {
            scales[j] = (uint8_t)sc;
            scales[j + 4] = (uint8_t)m;
        } else {
            scales[j + 4] = (uint8_t)((sc & 0x0F) | (m & 0x0F) << 4);
            scales[j - 4] |= (uint8_t)((sc >> 4) << 6);
            scales[j] |= (uint8_t)((m >> 4) << 6);
        }
    }
    for (int j = 0; j < 8; j++) { /* from the packed form: what dequant will see */
        int sc, m;
        quant_k4_scale_min(scales, j, &sc, &m);
        codes_affine(x + 32 * j, 32, d * (float)sc, dmin * (float)m, nmax, q + 32 * j);
    }
}

static void pack_q4k(const uint8_t q[QK], uint8_t qs[128]) {
    memset(qs, 0, 128);
    for (int e = 0; e < QK; e++) qs[(e / 64) * 32 + e % 32] |= (uint8_t)((q[e] & 0x0F) << (4 * ((e / 32) & 1)));
}

void quant_ref_quantize_q4_k(const float *x, void *row, int64_t n) {
    blk_q4_k *b = row;
    for (int64_t i = 0; i < n / QK; i++, x += QK) {
        uint8_t q[QK];
        quantize_k45(x, b[i].d, b[i].scales, 15, q);
        pack_q4k(q, b[i].qs);
    }
}

void quant_ref_quantize_q5_k(const float *x, void *row, int64_t n) {
    blk_q5_k *b = row;
    for (int64_t i = 0; i < n / QK; i++, x += QK) {
        uint8_t q[QK];
        quantize_k45(x, b[i].d, b[i].scales, 31, q);
        pack_q4k(q, b[i].qs);
        memset(b[i].qh, 0, sizeof b[i].qh);
        for (int e = 0; e < QK; e++) b[i].qh[e % 32] |= (uint8_t)((q[e] >> 4) << (e / 32));
    }
}

void quant_ref_quantize_q6_k(const float *x, void *row, int64_t n) {
    blk_q6_k *b = row;
    for (int64_t i = 0; i < n / QK; i++, x += QK) {
        float scale[16], ms = 0.0f;
        for (int g = 0; g < 16; g++) { scale[g] = extreme(x + 16 * g, 16) / -32; ms = fmaxf(ms, fabsf(scale[g])); }
        fc_wr16(b[i].d, fc_f32_to_f16(ms / 127));
        const float d = h2f(b[i].d);
        memset(b[i].ql, 0, sizeof b[i].ql);
        memset(b[i].qh, 0, sizeof b[i].qh);
        for (int g = 0; g < 16; g++) {
            const int sc = clampi(nearest(scale[g] * safe_inv(d)), -127, 127);
            b[i].scales[g] = (int8_t)sc;
            const float id = safe_inv(d * (float)sc);
            for (int e = 16 * g; e < 16 * g + 16; e++) {
                const int q = clampi(nearest(x[e] * id), -32, 31) + 32;
                const int h = e / 128, k = (e % 128) / 32, l = e % 32;
                b[i].ql[h * 64 + (k % 2) * 32 + l] |= (uint8_t)((q & 0x0F) << (4 * (k / 2)));
                b[i].qh[h * 32 + l] |= (uint8_t)((q >> 4) << (2 * k));
            }
        }
    }
}

/* The level index nearest to v. */
static int nearest_level(float v) {
    int best = 0;
    for (int k = 1; k < 16; k++)
        if (fabsf(v - (float)quant_iq4_levels[k]) < fabsf(v - (float)quant_iq4_levels[best])) best = k;
    return best;
}

void quant_ref_quantize_iq4_nl(const float *x, void *row, int64_t n) {
    blk_iq4_nl *b = row;
    for (int64_t i = 0; i < n / 32; i++, x += 32) {
        /* the extreme value maps to level -127 */
        fc_wr16(b[i].d, fc_f32_to_f16(extreme(x, 32) / -127));
        const float id = safe_inv(h2f(b[i].d));
        for (int j = 0; j < 16; j++)
            b[i].qs[j] = (uint8_t)(nearest_level(x[j] * id) | nearest_level(x[j + 16] * id) << 4);
    }
}

void quant_ref_quantize_iq4_xs(const float *x, void *row, int64_t n) {
    blk_iq4_xs *b = row;
    for (int64_t i = 0; i < n / QK; i++, x += QK) {
        float scale[8], ms = 0.0f;
        for (int s = 0; s < 8; s++) { scale[s] = extreme(x + 32 * s, 32) / -127; ms = fmaxf(ms, fabsf(scale[s])); }
        fc_wr16(b[i].d, fc_f32_to_f16(ms / 31));
        const float d = h2f(b[i].d);
        unsigned h = 0;
        memset(b[i].scales_l, 0, sizeof b[i].scales_l);
        memset(b[i].qs, 0, sizeof b[i].qs);
        for (int s = 0; s < 8; s++) {
            const int ls = clampi(nearest(scale[s] * safe_inv(d)), -32, 31), l6 = ls + 32;
            b[i].scales_l[s / 2] |= (uint8_t)((l6 & 0x0F) << (4 * (s % 2)));
            h |= (unsigned)(l6 >> 4) << (2 * s);
            const float id = safe_inv(d * (float)ls);
            for (int e = 32 * s; e < 32 * s + 32; e++)
                b[i].qs[(e / 32) * 16 + e % 16] |= (uint8_t)(nearest_level(x[e] * id) << (4 * ((e % 32) / 16)));
        }
        fc_wr16(b[i].scales_h, (uint16_t)h);
    }
}
