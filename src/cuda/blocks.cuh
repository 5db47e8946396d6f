/* blocks — dequantization of every weight and KV type the engine runs, one
 * group of 8 consecutive elements at a time, as __host__ __device__ inline
 * functions: the kernels (matvec, matmul, attention, kv) and the host test
 * (tests/cuda_host/test_blocks.cu) compile the same code.
 *
 * Layouts are ggml's, exactly as src/engine/quant_ref.c and quant_k_ref.c
 * read them (those files are the definition; this one mirrors them). The
 * float operations are written in the CPU's order with fc_mul / fc_add /
 * fc_sub, which on the device are the _rn intrinsics the compiler never fuses
 * into an FMA: the results equal the CPU's dequant bit for bit.
 *
 * A "block" here is the type's block, except for the plain types (F32, F16,
 * BF16), which are read as blocks of 8 elements (QK = 8): then every type
 * is a whole number of groups of 8 per block, and a group of 8 never spans
 * two scales. Blocks may sit at any byte address (bytes are read one by
 * one or as unaligned little-endian pieces).
 */
#ifndef FC_CUDA_BLOCKS_CUH
#define FC_CUDA_BLOCKS_CUH

#include <cuda_fp16.h>
#include <stdint.h>
#include <string.h>

extern "C" {
#include "../format/ggml_types.h"
}

#define FC_HD __host__ __device__ __forceinline__

/* The device side of the __host__ __device__ functions below: device code,
 * and everything in the CUDA host emulator (whose intrinsics stand in). */
#if defined(__CUDA_ARCH__) || defined(FC_CUDA_EMU)
#define FC_DEVICE_PATH 1
#endif

FC_HD float fc_mul(float a, float b) {
#ifdef FC_DEVICE_PATH
    return __fmul_rn(a, b);
#else
    return a * b;
#endif
}
FC_HD float fc_add(float a, float b) {
#ifdef FC_DEVICE_PATH
    return __fadd_rn(a, b);
#else
    return a + b;
#endif
}
FC_HD float fc_sub(float a, float b) {
#ifdef FC_DEVICE_PATH
    return __fsub_rn(a, b);
#else
    return a - b;
#endif
}

FC_HD uint32_t rd16(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8; }
FC_HD uint32_t rd32(const uint8_t *p) { return rd16(p) | rd16(p + 2) << 16; }

FC_HD float bits_to_f32(uint32_t u) {
#ifdef FC_DEVICE_PATH
    return __uint_as_float(u);
#else
    float f;
    memcpy(&f, &u, 4);
    return f;
#endif
}
FC_HD uint32_t f32_to_bits(float f) {
#ifdef FC_DEVICE_PATH
    return __float_as_uint(f);
#else
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
#endif
}

/* f16 -> f32, exact (the same values as quant.c's fc_f16_to_f32). */
FC_HD float h2f(uint32_t h) {
#ifdef FC_DEVICE_PATH
    return __half2float(__ushort_as_half((unsigned short)h));
#else
    const uint32_t sign = (h & 0x8000u) << 16, exp = (h >> 10) & 0x1F, mant = h & 0x3FF;
    if (exp == 0x1F) return bits_to_f32(sign | 0x7F800000u | (mant << 13));
    if (exp != 0) return bits_to_f32(sign | ((exp + 112) << 23) | (mant << 13));
    if (mant == 0) return bits_to_f32(sign);
    const float v = (float)mant * (1.0f / 16777216.0f);
    return sign ? -v : v;
#endif
}

/* The 16 levels of IQ4_NL / IQ4_XS ({-127, -104, -83, -65, -49, -35, -22,
 * -10, 1, 13, 25, 38, 53, 69, 89, 113}) packed as bytes in two words: no
 * table in memory, the same code on host and device. */
FC_HD int iq4_level(int i) {
    const uint64_t lo = 0xF6EADDCFBFAD9881ull, hi = 0x7159453526190D01ull;
    return (int)(int8_t)(uint8_t)(((i < 8 ? lo : hi) >> (8 * (i & 7))) & 0xFF);
}

/* Per type: QK elements and BB bytes per block (plain types: blocks of 8). */
template <int T> struct blk;
#define FC_BLK(T_, QK_, BB_) template <> struct blk<T_> { static constexpr int QK = QK_, BB = BB_; };
FC_BLK(GGML_TYPE_F32, 8, 32)
FC_BLK(GGML_TYPE_F16, 8, 16)
FC_BLK(GGML_TYPE_BF16, 8, 16)
FC_BLK(GGML_TYPE_Q4_0, 32, 18)
FC_BLK(GGML_TYPE_Q4_1, 32, 20)
FC_BLK(GGML_TYPE_Q5_0, 32, 22)
FC_BLK(GGML_TYPE_Q5_1, 32, 24)
FC_BLK(GGML_TYPE_Q8_0, 32, 34)
FC_BLK(GGML_TYPE_Q2_K, 256, 84)
FC_BLK(GGML_TYPE_Q3_K, 256, 110)
FC_BLK(GGML_TYPE_Q4_K, 256, 144)
FC_BLK(GGML_TYPE_Q5_K, 256, 176)
FC_BLK(GGML_TYPE_Q6_K, 256, 210)
FC_BLK(GGML_TYPE_IQ4_NL, 32, 18)
FC_BLK(GGML_TYPE_IQ4_XS, 256, 136)
#undef FC_BLK

/* Calls M(type) for every type the backend runs (instantiations, switches). */
#define FC_FOR_EACH_TYPE(M)                                                                                     \
    M(GGML_TYPE_F32) M(GGML_TYPE_F16) M(GGML_TYPE_BF16) M(GGML_TYPE_Q4_0) M(GGML_TYPE_Q4_1) M(GGML_TYPE_Q5_0) \
    M(GGML_TYPE_Q5_1) M(GGML_TYPE_Q8_0) M(GGML_TYPE_Q2_K) M(GGML_TYPE_Q3_K) M(GGML_TYPE_Q4_K)                 \
    M(GGML_TYPE_Q5_K) M(GGML_TYPE_Q6_K) M(GGML_TYPE_IQ4_NL) M(GGML_TYPE_IQ4_XS)

/* Elements [j, j + 8) of block b (j a multiple of 8, below QK) into o. */
template <int T> FC_HD void dq8(const uint8_t *b, int j, float o[8]);

template <> FC_HD void dq8<GGML_TYPE_F32>(const uint8_t *b, int j, float o[8]) {
    (void)j;
    for (int i = 0; i < 8; i++) o[i] = bits_to_f32(rd32(b + 4 * i));
}
template <> FC_HD void dq8<GGML_TYPE_F16>(const uint8_t *b, int j, float o[8]) {
    (void)j;
    for (int i = 0; i < 8; i++) o[i] = h2f(rd16(b + 2 * i));
}
template <> FC_HD void dq8<GGML_TYPE_BF16>(const uint8_t *b, int j, float o[8]) {
    (void)j;
    for (int i = 0; i < 8; i++) o[i] = bits_to_f32(rd16(b + 2 * i) << 16);
}
/* Q4/Q5/IQ4_NL nibbles: qs[k] low nibble is element k, high nibble k + 16. */
FC_HD int nib32(const uint8_t *qs, int e) { return e < 16 ? qs[e] & 15 : qs[e - 16] >> 4; }

template <> FC_HD void dq8<GGML_TYPE_Q4_0>(const uint8_t *b, int j, float o[8]) {
    const float d = h2f(rd16(b));
    for (int i = 0; i < 8; i++) o[i] = fc_mul((float)(nib32(b + 2, j + i) - 8), d);
}
template <> FC_HD void dq8<GGML_TYPE_Q4_1>(const uint8_t *b, int j, float o[8]) {
    const float d = h2f(rd16(b)), m = h2f(rd16(b + 2));
    for (int i = 0; i < 8; i++) o[i] = fc_add(fc_mul((float)nib32(b + 4, j + i), d), m);
}
template <> FC_HD void dq8<GGML_TYPE_Q5_0>(const uint8_t *b, int j, float o[8]) {
    const float d = h2f(rd16(b));
    const uint32_t h = rd32(b + 2);
    for (int i = 0; i < 8; i++) {
        const int q = nib32(b + 6, j + i) | (int)((h >> (j + i)) & 1) << 4;
        o[i] = fc_mul((float)(q - 16), d);
    }
}
template <> FC_HD void dq8<GGML_TYPE_Q5_1>(const uint8_t *b, int j, float o[8]) {
    const float d = h2f(rd16(b)), m = h2f(rd16(b + 2));
    const uint32_t h = rd32(b + 4);
    for (int i = 0; i < 8; i++) {
        const int q = nib32(b + 8, j + i) | (int)((h >> (j + i)) & 1) << 4;
        o[i] = fc_add(fc_mul((float)q, d), m);
    }
}
template <> FC_HD void dq8<GGML_TYPE_Q8_0>(const uint8_t *b, int j, float o[8]) {
    const float d = h2f(rd16(b));
    for (int i = 0; i < 8; i++) o[i] = fc_mul((float)(int8_t)b[2 + j + i], d);
}
template <> FC_HD void dq8<GGML_TYPE_IQ4_NL>(const uint8_t *b, int j, float o[8]) {
    const float d = h2f(rd16(b));
    for (int i = 0; i < 8; i++) o[i] = fc_mul(d, (float)iq4_level(nib32(b + 2, j + i)));
}

/* K-quants: element e of a super-block, as quant_k_ref.c's unpack_* say. */
template <> FC_HD void dq8<GGML_TYPE_Q2_K>(const uint8_t *b, int j, float o[8]) {
    const uint8_t *scales = b, *qs = b + 16;
    const float d = h2f(rd16(b + 80)), dmin = h2f(rd16(b + 82));
    const int sc = scales[j / 16];
    const float d1 = fc_mul(d, (float)(sc & 0x0F)), m1 = fc_mul(dmin, (float)(sc >> 4));
    for (int i = 0; i < 8; i++) {
        const int e = j + i, q = (qs[(e / 128) * 32 + e % 32] >> (2 * ((e % 128) / 32))) & 3;
        o[i] = fc_sub(fc_mul(d1, (float)q), m1);
    }
}
template <> FC_HD void dq8<GGML_TYPE_Q3_K>(const uint8_t *b, int j, float o[8]) {
    const uint8_t *hmask = b, *qs = b + 32, *s = b + 96;
    const float d = h2f(rd16(b + 108));
    const int g = j / 16;
    const int lo = g < 8 ? s[g] & 0x0F : s[g - 8] >> 4, hi = (s[8 + g % 4] >> (2 * (g / 4))) & 3;
    const float d1 = fc_mul(d, (float)((lo | hi << 4) - 32));
    for (int i = 0; i < 8; i++) {
        const int e = j + i;
        const int ql = (qs[(e / 128) * 32 + e % 32] >> (2 * ((e % 128) / 32))) & 3;
        const int qh = (hmask[e % 32] >> ((e / 128) * 4 + (e % 128) / 32)) & 1;
        o[i] = fc_mul(d1, (float)((ql | qh << 2) - 4));
    }
}
/* Q4_K / Q5_K: scale and min of sub-block s (quant_impl.h quant_k4_scale_min). */
FC_HD void k4_scale_min(const uint8_t *s, int j, int *sc, int *m) {
    if (j < 4) {
        *sc = s[j] & 63;
        *m = s[j + 4] & 63;
    } else {
        *sc = (s[j + 4] & 0x0F) | ((s[j - 4] >> 6) << 4);
        *m = (s[j + 4] >> 4) | ((s[j] >> 6) << 4);
    }
}
template <> FC_HD void dq8<GGML_TYPE_Q4_K>(const uint8_t *b, int j, float o[8]) {
    const float d = h2f(rd16(b)), dmin = h2f(rd16(b + 2));
    int sc, m;
    k4_scale_min(b + 4, j / 32, &sc, &m);
    const float d1 = fc_mul(d, (float)sc), m1 = fc_mul(dmin, (float)m);
    const uint8_t *qs = b + 16 + (j / 64) * 32;
    const int shift = 4 * ((j / 32) & 1);
    for (int i = 0; i < 8; i++) o[i] = fc_sub(fc_mul(d1, (float)((qs[(j + i) % 32] >> shift) & 0x0F)), m1);
}
template <> FC_HD void dq8<GGML_TYPE_Q5_K>(const uint8_t *b, int j, float o[8]) {
    const float d = h2f(rd16(b)), dmin = h2f(rd16(b + 2));
    int sc, m;
    k4_scale_min(b + 4, j / 32, &sc, &m);
    const float d1 = fc_mul(d, (float)sc), m1 = fc_mul(dmin, (float)m);
    const uint8_t *qh = b + 16, *qs = b + 48 + (j / 64) * 32;
    const int shift = 4 * ((j / 32) & 1);
    for (int i = 0; i < 8; i++) {
        const int e = j + i, q = ((qs[e % 32] >> shift) & 0x0F) | ((qh[e % 32] >> (e / 32)) & 1) << 4;
        o[i] = fc_sub(fc_mul(d1, (float)q), m1);
    }
}
template <> FC_HD void dq8<GGML_TYPE_Q6_K>(const uint8_t *b, int j, float o[8]) {
    const uint8_t *ql = b, *qh = b + 128;
    const float d = h2f(rd16(b + 208));
    const float d1 = fc_mul(d, (float)(int8_t)b[192 + j / 16]);
    const int h = j / 128, k = (j % 128) / 32;
    for (int i = 0; i < 8; i++) {
        const int l = (j + i) % 32;
        const int lo = (ql[h * 64 + (k % 2) * 32 + l] >> (4 * (k / 2))) & 0x0F, hi = (qh[h * 32 + l] >> (2 * k)) & 3;
        o[i] = fc_mul(d1, (float)((lo | hi << 4) - 32));
    }
}
template <> FC_HD void dq8<GGML_TYPE_IQ4_XS>(const uint8_t *b, int j, float o[8]) {
    const float d = h2f(rd16(b));
    const uint32_t sh = rd16(b + 2);
    const int s = j / 32;
    const int ls = (((b[4 + s / 2] >> (4 * (s % 2))) & 0x0F) | (int)(((sh >> (2 * s)) & 3) << 4)) - 32;
    const float d1 = fc_mul(d, (float)ls);
    const uint8_t *qs = b + 8 + s * 16;
    for (int i = 0; i < 8; i++) {
        const int e = (j + i) % 32;
        o[i] = fc_mul(d1, (float)iq4_level((qs[e % 16] >> (4 * (e / 16))) & 0x0F));
    }
}

/* Elements [e, e + 8) of a row of type T (e a multiple of 8). */
template <int T> FC_HD void dq8_row(const uint8_t *row, int64_t e, float o[8]) {
    dq8<T>(row + (e / blk<T>::QK) * blk<T>::BB, (int)(e % blk<T>::QK), o);
}

/* One element of a KV row (types F32, F16, Q8_0, Q4_0 only): attention reads
 * heads element by element, one lane per element. */
FC_HD float kv_elem(uint32_t type, const uint8_t *row, int e) {
    switch (type) {
    case GGML_TYPE_F16: return h2f(rd16(row + 2 * e));
    case GGML_TYPE_Q8_0: {
        const uint8_t *b = row + (e / 32) * 34;
        return fc_mul((float)(int8_t)b[2 + e % 32], h2f(rd16(b)));
    }
    case GGML_TYPE_Q4_0: {
        const uint8_t *b = row + (e / 32) * 18;
        return fc_mul((float)(nib32(b + 2, e % 32) - 8), h2f(rd16(b)));
    }
    default: return bits_to_f32(rd32(row + 4 * e));
    }
}

/* Bytes of a KV row of n elements (n a multiple of 32 for the block types). */
FC_HD int64_t kv_row_bytes(uint32_t type, int64_t n) {
    switch (type) {
    case GGML_TYPE_F16: return 2 * n;
    case GGML_TYPE_Q8_0: return n / 32 * 34;
    case GGML_TYPE_Q4_0: return n / 32 * 18;
    default: return 4 * n;
    }
}

#endif
