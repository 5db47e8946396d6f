/* quant_ref — the scalar reference kernels: the definition every SIMD kernel
 * is tested against, and the path on CPUs without AVX2.
 *
 * Quantizers follow ggml's reference rules (quantize_row_*_ref): Q4_0/Q5_0
 * take the value of largest magnitude as max and d = max / -8 (-16); Q4_1/Q5_1
 * use d = (max - min) / 15 (31) and the min as offset; Q8_0 d = amax / 127.
 * The inverse scale is computed from the float d, before it is rounded to f16.
 *
 * The activation quantizer (FC_ACT_Q8) rounds half to even rather than
 * ggml's roundf, because that is what the SIMD round instructions do and
 * the SIMD versions must match this one bit for bit.
 */
#include <float.h>
#include <math.h>

#include "quant_impl.h"

/* ---- F32, F16, BF16 ---------------------------------------------------- */

void quant_ref_dequant_f32(const void *row, float *out, int64_t n) {
    memcpy(out, row, (size_t)n * sizeof(float));
}

void quant_ref_dequant_f16(const void *row, float *out, int64_t n) {
    const uint8_t *p = row;
    for (int64_t i = 0; i < n; i++) out[i] = fc_f16_to_f32(fc_rd16(p + 2 * i));
}

void quant_ref_dequant_bf16(const void *row, float *out, int64_t n) {
    const uint8_t *p = row;
    for (int64_t i = 0; i < n; i++) out[i] = fc_bf16_to_f32(fc_rd16(p + 2 * i));
}

void quant_ref_quantize_f32(const float *x, void *row, int64_t n) {
    memcpy(row, x, (size_t)n * sizeof(float));
}

void quant_ref_quantize_f16(const float *x, void *row, int64_t n) {
    uint8_t *p = row;
    for (int64_t i = 0; i < n; i++) fc_wr16(p + 2 * i, fc_f32_to_f16(x[i]));
}

void quant_ref_quantize_bf16(const float *x, void *row, int64_t n) {
    uint8_t *p = row;
    for (int64_t i = 0; i < n; i++) fc_wr16(p + 2 * i, fc_f32_to_bf16(x[i]));
}

static float dot_f32(const void *row, const void *act, int64_t n) {
    const uint8_t *w = row;
    const float *a = act;
    float sum = 0.0f;
    for (int64_t i = 0; i < n; i++) {
        float v;
        memcpy(&v, w + 4 * i, 4);
        sum += v * a[i];
    }
    return sum;
}

static float dot_f16(const void *row, const void *act, int64_t n) {
    const uint8_t *w = row;
    const float *a = act;
    float sum = 0.0f;
    for (int64_t i = 0; i < n; i++) sum += fc_f16_to_f32(fc_rd16(w + 2 * i)) * a[i];
    return sum;
}

float quant_ref_dot_bf16(const void *row, const void *act, int64_t n) {
    const uint8_t *w = row;
    const float *a = act;
    float sum = 0.0f;
    for (int64_t i = 0; i < n; i++) sum += fc_bf16_to_f32(fc_rd16(w + 2 * i)) * a[i];
    return sum;
}

/* ---- Block quantizers --------------------------------------------------- */

/* The value of largest magnitude, with its sign (ggml's "max" of Q4_0/Q5_0). */
static float signed_absmax(const float *x, int n) {
    float amax = 0.0f, max = 0.0f;
    for (int j = 0; j < n; j++)
        if (amax < fabsf(x[j])) { amax = fabsf(x[j]); max = x[j]; }
    return max;
}

static void min_max(const float *x, int n, float *min, float *max) {
    *min = FLT_MAX;
    *max = -FLT_MAX;
    for (int j = 0; j < n; j++) {
        if (x[j] < *min) *min = x[j];
        if (x[j] > *max) *max = x[j];
    }
}

static int imin(int a, int b) { return a < b ? a : b; }

void quant_ref_quantize_q4_0(const float *x, void *row, int64_t n) {
    blk_q4_0 *y = row;
    for (int64_t i = 0; i < n / FC_QK; i++, x += FC_QK) {
        const float d = signed_absmax(x, FC_QK) / -8;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        fc_wr16(y[i].d, fc_f32_to_f16(d));
        for (int j = 0; j < 16; j++) {
            /* x * id lies in [-8, 8]; +8.5 then truncation rounds to nearest */
            const int q0 = imin(15, (int)(x[j] * id + 8.5f));
            const int q1 = imin(15, (int)(x[j + 16] * id + 8.5f));
            y[i].qs[j] = (uint8_t)(q0 | (q1 << 4));
        }
    }
}

void quant_ref_quantize_q4_1(const float *x, void *row, int64_t n) {
    blk_q4_1 *y = row;
    for (int64_t i = 0; i < n / FC_QK; i++, x += FC_QK) {
        float min, max;
        min_max(x, FC_QK, &min, &max);
        const float d = (max - min) / 15;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        fc_wr16(y[i].d, fc_f32_to_f16(d));
        fc_wr16(y[i].m, fc_f32_to_f16(min));
        for (int j = 0; j < 16; j++) {
            const int q0 = imin(15, (int)((x[j] - min) * id + 0.5f));
            const int q1 = imin(15, (int)((x[j + 16] - min) * id + 0.5f));
            y[i].qs[j] = (uint8_t)(q0 | (q1 << 4));
        }
    }
}

static void put_q5(uint8_t qs[16], uint8_t qh[4], const int q[FC_QK]) {
    uint32_t h = 0;
    for (int j = 0; j < 16; j++) {
        qs[j] = (uint8_t)((q[j] & 0x0F) | ((q[j + 16] & 0x0F) << 4));
        h |= (uint32_t)((q[j] >> 4) & 1) << j;
        h |= (uint32_t)((q[j + 16] >> 4) & 1) << (j + 16);
    }
    memcpy(qh, &h, 4);
}

void quant_ref_quantize_q5_0(const float *x, void *row, int64_t n) {
    blk_q5_0 *y = row;
    for (int64_t i = 0; i < n / FC_QK; i++, x += FC_QK) {
        const float d = signed_absmax(x, FC_QK) / -16;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        int q[FC_QK];
        for (int j = 0; j < FC_QK; j++) q[j] = imin(31, (int)(x[j] * id + 16.5f));
        fc_wr16(y[i].d, fc_f32_to_f16(d));
        put_q5(y[i].qs, y[i].qh, q);
    }
}

void quant_ref_quantize_q5_1(const float *x, void *row, int64_t n) {
    blk_q5_1 *y = row;
    for (int64_t i = 0; i < n / FC_QK; i++, x += FC_QK) {
        float min, max;
        min_max(x, FC_QK, &min, &max);
        const float d = (max - min) / 31;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        int q[FC_QK];
        for (int j = 0; j < FC_QK; j++) q[j] = imin(31, (int)((x[j] - min) * id + 0.5f));
        fc_wr16(y[i].d, fc_f32_to_f16(d));
        fc_wr16(y[i].m, fc_f32_to_f16(min));
        put_q5(y[i].qs, y[i].qh, q);
    }
}

void quant_ref_quantize_q8_0(const float *x, void *row, int64_t n) {
    blk_q8_0 *y = row;
    for (int64_t i = 0; i < n / FC_QK; i++, x += FC_QK) {
        float amax = 0.0f;
        for (int j = 0; j < FC_QK; j++) amax = fmaxf(amax, fabsf(x[j]));
        const float d = amax / 127;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        fc_wr16(y[i].d, fc_f32_to_f16(d));
        for (int j = 0; j < FC_QK; j++) y[i].qs[j] = (int8_t)roundf(x[j] * id);
    }
}

/* ---- Block dequantizers ------------------------------------------------- */

/* The 32 unsigned 4- or 5-bit codes of a block, element order. */
static void codes4(const uint8_t qs[16], int q[FC_QK]) {
    for (int j = 0; j < 16; j++) { q[j] = qs[j] & 0x0F; q[j + 16] = qs[j] >> 4; }
}

static void codes5(const uint8_t qs[16], const uint8_t qh[4], int q[FC_QK]) {
    const uint32_t h = fc_rd32(qh);
    codes4(qs, q);
    for (int j = 0; j < FC_QK; j++) q[j] |= (int)((h >> j) & 1) << 4;
}

void quant_ref_dequant_q4_0(const void *row, float *out, int64_t n) {
    const blk_q4_0 *b = row;
    for (int64_t i = 0; i < n / FC_QK; i++, out += FC_QK) {
        const float d = fc_f16_to_f32(fc_rd16(b[i].d));
        int q[FC_QK];
        codes4(b[i].qs, q);
        for (int j = 0; j < FC_QK; j++) out[j] = (float)(q[j] - 8) * d;
    }
}

void quant_ref_dequant_q4_1(const void *row, float *out, int64_t n) {
    const blk_q4_1 *b = row;
    for (int64_t i = 0; i < n / FC_QK; i++, out += FC_QK) {
        const float d = fc_f16_to_f32(fc_rd16(b[i].d)), m = fc_f16_to_f32(fc_rd16(b[i].m));
        int q[FC_QK];
        codes4(b[i].qs, q);
        for (int j = 0; j < FC_QK; j++) out[j] = (float)q[j] * d + m;
    }
}

void quant_ref_dequant_q5_0(const void *row, float *out, int64_t n) {
    const blk_q5_0 *b = row;
    for (int64_t i = 0; i < n / FC_QK; i++, out += FC_QK) {
        const float d = fc_f16_to_f32(fc_rd16(b[i].d));
        int q[FC_QK];
        codes5(b[i].qs, b[i].qh, q);
        for (int j = 0; j < FC_QK; j++) out[j] = (float)(q[j] - 16) * d;
    }
}

void quant_ref_dequant_q5_1(const void *row, float *out, int64_t n) {
    const blk_q5_1 *b = row;
    for (int64_t i = 0; i < n / FC_QK; i++, out += FC_QK) {
        const float d = fc_f16_to_f32(fc_rd16(b[i].d)), m = fc_f16_to_f32(fc_rd16(b[i].m));
        int q[FC_QK];
        codes5(b[i].qs, b[i].qh, q);
        for (int j = 0; j < FC_QK; j++) out[j] = (float)q[j] * d + m;
    }
}

void quant_ref_dequant_q8_0(const void *row, float *out, int64_t n) {
    const blk_q8_0 *b = row;
    for (int64_t i = 0; i < n / FC_QK; i++, out += FC_QK) {
        const float d = fc_f16_to_f32(fc_rd16(b[i].d));
        for (int j = 0; j < FC_QK; j++) out[j] = (float)b[i].qs[j] * d;
    }
}

/* ---- Dots against FC_ACT_Q8 --------------------------------------------- */
/* Integer sum per block, then one float multiply-add per block:
 *   offset types (_0): d_w * d_a * sum((q_w - k) * q_a)
 *   min types (_1):    d_w * d_a * sum(q_w * q_a) + m_w * s_a            */

static int isum(const int q[FC_QK], int offset, const int8_t qa[FC_QK]) {
    int s = 0;
    for (int j = 0; j < FC_QK; j++) s += (q[j] - offset) * qa[j];
    return s;
}

static float dot_q4_0(const void *row, const void *act, int64_t n) {
    const blk_q4_0 *b = row;
    const fc_block_q8 *a = act;
    float sum = 0.0f;
    for (int64_t i = 0; i < n / FC_QK; i++) {
        int q[FC_QK];
        codes4(b[i].qs, q);
        sum += fc_f16_to_f32(fc_rd16(b[i].d)) * a[i].d * (float)isum(q, 8, a[i].qs);
    }
    return sum;
}

static float dot_q4_1(const void *row, const void *act, int64_t n) {
    const blk_q4_1 *b = row;
    const fc_block_q8 *a = act;
    float sum = 0.0f;
    for (int64_t i = 0; i < n / FC_QK; i++) {
        int q[FC_QK];
        codes4(b[i].qs, q);
        sum += fc_f16_to_f32(fc_rd16(b[i].d)) * a[i].d * (float)isum(q, 0, a[i].qs) +
               fc_f16_to_f32(fc_rd16(b[i].m)) * a[i].s;
    }
    return sum;
}

static float dot_q5_0(const void *row, const void *act, int64_t n) {
    const blk_q5_0 *b = row;
    const fc_block_q8 *a = act;
    float sum = 0.0f;
    for (int64_t i = 0; i < n / FC_QK; i++) {
        int q[FC_QK];
        codes5(b[i].qs, b[i].qh, q);
        sum += fc_f16_to_f32(fc_rd16(b[i].d)) * a[i].d * (float)isum(q, 16, a[i].qs);
    }
    return sum;
}

static float dot_q5_1(const void *row, const void *act, int64_t n) {
    const blk_q5_1 *b = row;
    const fc_block_q8 *a = act;
    float sum = 0.0f;
    for (int64_t i = 0; i < n / FC_QK; i++) {
        int q[FC_QK];
        codes5(b[i].qs, b[i].qh, q);
        sum += fc_f16_to_f32(fc_rd16(b[i].d)) * a[i].d * (float)isum(q, 0, a[i].qs) +
               fc_f16_to_f32(fc_rd16(b[i].m)) * a[i].s;
    }
    return sum;
}

static float dot_q8_0(const void *row, const void *act, int64_t n) {
    const blk_q8_0 *b = row;
    const fc_block_q8 *a = act;
    float sum = 0.0f;
    for (int64_t i = 0; i < n / FC_QK; i++) {
        int s = 0;
        for (int j = 0; j < FC_QK; j++) s += b[i].qs[j] * a[i].qs[j];
        sum += fc_f16_to_f32(fc_rd16(b[i].d)) * a[i].d * (float)s;
    }
    return sum;
}

/* ---- Activations and vector helpers ------------------------------------- */

static void act_q8(const float *x, fc_block_q8 *out, int64_t n) {
    for (int64_t i = 0; i < n / FC_QK8; i++, x += FC_QK8) {
        float amax = 0.0f;
        for (int j = 0; j < FC_QK8; j++) amax = fmaxf(amax, fabsf(x[j]));
        const float d = amax / 127;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        int sum = 0;
        for (int j = 0; j < FC_QK8; j++) {
            const float v = x[j] * id;
            /* |v| <= 127 (+rounding) for finite x; NaN/inf blocks give garbage, not UB */
            const int q = (v == v && fabsf(v) < 128.0f) ? quant_round_even(v) : 0;
            out[i].qs[j] = (int8_t)q;
            sum += q;
        }
        out[i].d = d;
        out[i].s = d * (float)sum;
    }
}

static float vdot_f32(const float *a, const float *b, int64_t n) {
    float sum = 0.0f;
    for (int64_t i = 0; i < n; i++) sum += a[i] * b[i];
    return sum;
}

static void vaxpy_f32(float *y, float a, const float *x, int64_t n) {
    for (int64_t i = 0; i < n; i++) y[i] += a * x[i];
}

/* ---- The table ------------------------------------------------------------ */

QUANT_TILE4_FROM_DOT(tile4_f32, dot_f32)
QUANT_TILE4_FROM_DOT(tile4_f16, dot_f16)
QUANT_TILE4_FROM_DOT(tile4_bf16, quant_ref_dot_bf16)
QUANT_TILE4_FROM_DOT(tile4_q4_0, dot_q4_0)
QUANT_TILE4_FROM_DOT(tile4_q4_1, dot_q4_1)
QUANT_TILE4_FROM_DOT(tile4_q5_0, dot_q5_0)
QUANT_TILE4_FROM_DOT(tile4_q5_1, dot_q5_1)
QUANT_TILE4_FROM_DOT(tile4_q8_0, dot_q8_0)
#define K_TILE4(t) QUANT_TILE4_FROM_DOT(tile4_##t, quant_ref_dot_##t)
QUANT_K_TYPES(K_TILE4)

static const quant_traits REF[GGML_TYPE_COUNT] = {
    QUANT_ROW(GGML_TYPE_F32, quant_ref_dequant_f32, quant_ref_quantize_f32, dot_f32, tile4_f32),
    QUANT_ROW(GGML_TYPE_F16, quant_ref_dequant_f16, quant_ref_quantize_f16, dot_f16, tile4_f16),
    QUANT_ROW(GGML_TYPE_BF16, quant_ref_dequant_bf16, quant_ref_quantize_bf16, quant_ref_dot_bf16, tile4_bf16),
    QUANT_ROW(GGML_TYPE_Q4_0, quant_ref_dequant_q4_0, quant_ref_quantize_q4_0, dot_q4_0, tile4_q4_0),
    QUANT_ROW(GGML_TYPE_Q4_1, quant_ref_dequant_q4_1, quant_ref_quantize_q4_1, dot_q4_1, tile4_q4_1),
    QUANT_ROW(GGML_TYPE_Q5_0, quant_ref_dequant_q5_0, quant_ref_quantize_q5_0, dot_q5_0, tile4_q5_0),
    QUANT_ROW(GGML_TYPE_Q5_1, quant_ref_dequant_q5_1, quant_ref_quantize_q5_1, dot_q5_1, tile4_q5_1),
    QUANT_ROW(GGML_TYPE_Q8_0, quant_ref_dequant_q8_0, quant_ref_quantize_q8_0, dot_q8_0, tile4_q8_0),
    QUANT_K_ROWS(quant_ref_dot_),
};

const quant_kernels quant_kernels_ref = {REF, {act_q8, quant_ref_act_q8k, vdot_f32, vaxpy_f32}};
