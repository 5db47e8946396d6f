/* cuda_fp16.h for the CUDA host emulator (tests/cuda_emu/README in
 * docs/gpu.md): __half and the conversions the backend uses, rounding to
 * nearest even exactly as the hardware's cvt.rn.f16.f32 does. */
#ifndef FC_CUDA_EMU_FP16_H
#define FC_CUDA_EMU_FP16_H

#include "cuda_runtime.h"

struct __half {
    unsigned short x;
};

__host__ __device__ inline unsigned short __half_as_ushort(__half h) { return h.x; }
__host__ __device__ inline __half __ushort_as_half(unsigned short u) { return __half{u}; }

/* f16 -> f32: exact (NaN payloads kept, as the hardware does). */
__host__ __device__ inline float __half2float(__half h) {
    const uint32_t sign = (uint32_t)(h.x & 0x8000u) << 16, exp = (h.x >> 10) & 0x1Fu, mant = h.x & 0x3FFu;
    uint32_t bits;
    if (exp == 0x1F) bits = sign | 0x7F800000u | (mant << 13);
    else if (exp != 0) bits = sign | ((exp + 112) << 23) | (mant << 13);
    else if (mant == 0) bits = sign;
    else { /* subnormal: normalise */
        int e = 113;
        uint32_t m = mant;
        while (!(m & 0x400u)) { m <<= 1; e--; }
        bits = sign | ((uint32_t)e << 23) | ((m & 0x3FFu) << 13);
    }
    return __uint_as_float(bits);
}

/* f32 -> f16, round to nearest even; overflow to infinity, NaN stays NaN (quiet). */
__host__ __device__ inline __half __float2half_rn(float f) {
    const uint32_t u = __float_as_uint(f), sign = (u >> 16) & 0x8000u;
    const uint32_t a = u & 0x7FFFFFFFu;
    if (a > 0x7F800000u) return __half{(unsigned short)(sign | 0x7E00u | ((a >> 13) & 0x3FFu))};
    if (a >= 0x47800000u) return __half{(unsigned short)(sign | 0x7C00u)}; /* >= 65536: inf (also rounds there) */
    const int e = (int)(a >> 23) - 127;
    uint32_t h;
    if (e >= -14) { /* normal f16: 10 mantissa bits, drop 13 */
        const uint32_t m = a & 0x7FFFFFu, rest = m & 0x1FFFu;
        h = (uint32_t)(e + 15) << 10 | m >> 13;
        if (rest > 0x1000u || (rest == 0x1000u && (h & 1))) h++; /* a carry into the exponent is right */
    } else if (e >= -25) { /* subnormal f16: value = m * 2^-24 */
        const uint32_t m = (a & 0x7FFFFFu) | 0x800000u; /* value = m * 2^(e-23) */
        const int shift = -e - 14 + 13;                 /* bits to drop: 14..24 */
        const uint32_t rest = m & ((1u << shift) - 1), halfway = 1u << (shift - 1);
        h = m >> shift;
        if (rest > halfway || (rest == halfway && (h & 1))) h++;
    } else {
        h = 0;
    }
    return __half{(unsigned short)(sign | h)};
}

#endif
