/* The CUDA block decoders (src/cuda/blocks.cuh) compiled for the host and
 * compared, bit for bit, with the CPU's dequantizers (quant_get(type)->
 * dequant) on random blocks of every type: blocks made by the CPU quantizer
 * from random floats, and blocks of random bytes (any scale, any code, NaN
 * and infinite scales included). Needs no GPU; built by nvcc (make CUDA=1). */
#include <string.h>

#include "../../src/cuda/blocks.cuh"
#include "../../src/cuda/c_api.cuh"

extern "C" {
#include "../lib/rng.h"
#include "../lib/t.h"
extern const int8_t quant_iq4_levels[16]; /* quant_k_ref.c */
}

/* Decodes n values of a row of type with dq8_row<T>. */
template <int T> static void decode_row(const uint8_t *row, int64_t n, float *out) {
    for (int64_t e = 0; e < n; e += 8) dq8_row<T>(row, e, out + e);
}

static bool decode(uint32_t type, const uint8_t *row, int64_t n, float *out) {
    switch (type) {
#define DEC_CASE(T) case T: decode_row<T>(row, n, out); return true;
        FC_FOR_EACH_TYPE(DEC_CASE)
#undef DEC_CASE
    default: return false;
    }
}

static bool same_bits(float a, float b) {
    uint32_t x, y;
    memcpy(&x, &a, 4);
    memcpy(&y, &b, 4);
    return x == y || (a != a && b != b);
}

static const uint32_t TYPES[] = {GGML_TYPE_F32,  GGML_TYPE_F16,  GGML_TYPE_BF16, GGML_TYPE_Q4_0,   GGML_TYPE_Q4_1,
                                 GGML_TYPE_Q5_0, GGML_TYPE_Q5_1, GGML_TYPE_Q8_0, GGML_TYPE_Q2_K,   GGML_TYPE_Q3_K,
                                 GGML_TYPE_Q4_K, GGML_TYPE_Q5_K, GGML_TYPE_Q6_K, GGML_TYPE_IQ4_NL, GGML_TYPE_IQ4_XS};

enum { N = 1024 }; /* four super-blocks */

static void check_type(uint32_t type, bool random_bytes) {
    const quant_traits *q = quant_get(type);
    CHECK_MSG(q != NULL, "%s: no CPU traits", ggml_type_name(type));
    if (!q) return;
    static uint8_t row[N * 4];
    static float x[N], want[N], got[N];
    const size_t bytes = (size_t)ggml_row_bytes(type, N);
    for (int rep = 0; rep < 20; rep++) {
        if (random_bytes) {
            for (size_t i = 0; i < bytes; i++) row[i] = (uint8_t)rng_u64();
        } else {
            const float scale = rep % 4 == 0 ? 1e-3f : rep % 4 == 1 ? 100.0f : 1.0f;
            for (int i = 0; i < N; i++) x[i] = (rng_sym() + rng_sym()) * scale;
            q->quantize(x, row, N);
        }
        q->dequant(row, want, N);
        CHECK_MSG(decode(type, row, N, got), "%s: no device decoder", ggml_type_name(type));
        int bad = 0;
        for (int i = 0; i < N; i++)
            if (!same_bits(got[i], want[i])) {
                if (bad++ < 3)
                    t_fail(__FILE__, __LINE__, "%s %s rep %d element %d: %.9g, CPU %.9g", ggml_type_name(type),
                           random_bytes ? "random bytes" : "quantized", rep, i, got[i], want[i]);
            }
    }
}

static void test_blocks_from_quantizer(void) {
    rng_seed(71);
    for (uint32_t type : TYPES) check_type(type, false);
}

static void test_blocks_from_random_bytes(void) {
    rng_seed(72);
    for (uint32_t type : TYPES) check_type(type, true);
}

/* The KV element reader the attention uses, against the CPU dequantizer. */
static void test_kv_elem(void) {
    rng_seed(73);
    const uint32_t kv[] = {GGML_TYPE_F32, GGML_TYPE_F16, GGML_TYPE_Q8_0, GGML_TYPE_Q4_0};
    static uint8_t row[N * 4];
    static float x[N], want[N];
    for (uint32_t type : kv) {
        const quant_traits *q = quant_get(type);
        for (int i = 0; i < N; i++) x[i] = rng_sym() * 3.0f;
        q->quantize(x, row, N);
        q->dequant(row, want, N);
        CHECK_EQ_INT(kv_row_bytes(type, N), (long long)ggml_row_bytes(type, N));
        int bad = 0;
        for (int i = 0; i < N; i++)
            if (!same_bits(kv_elem(type, row, i), want[i]) && bad++ < 3)
                t_fail(__FILE__, __LINE__, "%s element %d: %.9g, CPU %.9g", ggml_type_name(type), i, kv_elem(type, row, i), want[i]);
    }
}

static void test_iq4_levels(void) {
    for (int i = 0; i < 16; i++) CHECK_EQ_INT(iq4_level(i), quant_iq4_levels[i]);
}

int main(void) {
    quant_init(QUANT_ISA_AUTO);
    T_RUN(test_blocks_from_quantizer);
    T_RUN(test_blocks_from_random_bytes);
    T_RUN(test_kv_elem);
    T_RUN(test_iq4_levels);
    return t_done();
}
