/* kv — the KV cache rows on the device: rounding new keys and values to
 * what the cache gives back, and storing them. The quantizers are the CPU's
 * (quant_kv_quantizer: f16 round to nearest even; Q8_0 d = amax / 127 and
 * roundf; Q4_0 kvrot.h's least-squares scale, rint to levels), written with
 * unfused float operations so the rows are bit for bit the CPU's. One thread
 * per 32-value block (F32/F16: per value); rows are a few KiB.
 * The rotation of quantized heads (kvrot.h): one block of KVROT_THREADS
 * threads per head vector, the head in shared memory, one butterfly stage
 * at a time (a pair per thread, __syncthreads between stages), the same
 * float operations as ops.c's fc_kv_rotate_ref.
 */
#include "blocks.cuh"
#include "c_api.cuh"
#include "common.cuh"
#include "kernels.cuh"

extern "C" {
#include "../engine/kvrot.h"
}

#define KVROT_THREADS 64
#define KVROT_MAXD 1024 /* head dims the rotation kernel takes */

__device__ __forceinline__ uint16_t f32_to_f16_bits(float f) { return __half_as_ushort(__float2half_rn(f)); }

/* 32 values into one block of type (Q8_0 or Q4_0) at b. */
__device__ void quant_block(uint32_t type, const float *x, uint8_t *b) {
    if (type == GGML_TYPE_Q8_0) {
        float amax = 0.0f;
        for (int j = 0; j < 32; j++) amax = fmaxf(amax, fabsf(x[j]));
        const float d = amax / 127, id = d != 0.0f ? 1.0f / d : 0.0f;
        const uint16_t dh = f32_to_f16_bits(d);
        b[0] = (uint8_t)dh;
        b[1] = (uint8_t)(dh >> 8);
        for (int j = 0; j < 32; j++) b[2 + j] = (uint8_t)(int8_t)roundf(fc_mul(x[j], id));
    } else { /* quant_kv_quantize_q4_0: kvrot.h's least-squares scale */
        uint16_t dh = f32_to_f16_bits(kvq_q4_0_scale(x));
        bool flip;
        if (!kvq_q4_0_levels(x, __half2float(__ushort_as_half(dh)), b + 2, &flip)) {
            dh = f32_to_f16_bits(kvq_signed_max(x) / -8);
            kvq_q4_0_levels(x, __half2float(__ushort_as_half(dh)), b + 2, &flip);
        }
        if (flip) dh ^= 0x8000u;
        b[0] = (uint8_t)dh;
        b[1] = (uint8_t)(dh >> 8);
    }
}

/* unit u of row r: a value (F16) or a 32-value block */
__global__ void kv_round_kernel(uint32_t type, float *x, int64_t n, int64_t units_per_row, int64_t n_units) {
    const int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n_units) return;
    float *xr = x + (i / units_per_row) * n;
    const int64_t u = i % units_per_row;
    if (type == GGML_TYPE_F16) {
        xr[u] = __half2float(__float2half_rn(xr[u]));
        return;
    }
    uint8_t b[34];
    float *xb = xr + 32 * u;
    quant_block(type, xb, b);
    float o[8];
    for (int g = 0; g < 4; g++) {
        if (type == GGML_TYPE_Q8_0) dq8<GGML_TYPE_Q8_0>(b, 8 * g, o);
        else dq8<GGML_TYPE_Q4_0>(b, 8 * g, o);
        for (int k = 0; k < 8; k++) xb[8 * g + k] = o[k];
    }
}

__global__ void kv_store_kernel(uint32_t type, const float *__restrict__ x, int64_t n, int64_t units_per_row, int64_t n_units,
                                uint8_t *cache, size_t row_bytes, int pos_first, int kv_rows) {
    const int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n_units) return;
    const int64_t r = i / units_per_row, u = i % units_per_row;
    const float *xr = x + r * n;
    uint8_t *row = cache + (size_t)((pos_first + r) % kv_rows) * row_bytes;
    switch (type) {
    case GGML_TYPE_F32: ((float *)row)[u] = xr[u]; break; /* rows of floats are 4-byte aligned */
    case GGML_TYPE_F16: {
        const uint16_t h = f32_to_f16_bits(xr[u]);
        row[2 * u] = (uint8_t)h;
        row[2 * u + 1] = (uint8_t)(h >> 8);
        break;
    }
    case GGML_TYPE_Q8_0: quant_block(type, xr + 32 * u, row + 34 * u); break;
    default: quant_block(type, xr + 32 * u, row + 18 * u); break;
    }
}

/* Head vector blockIdx.x of head_dim floats, chunks of n (kvrot_chunk). */
__global__ void __launch_bounds__(KVROT_THREADS) kv_rotate_kernel(float *x, int head_dim, int n, float scale) {
    __shared__ float h[KVROT_MAXD];
    float *xv = x + (size_t)blockIdx.x * head_dim;
    for (int i = threadIdx.x; i < head_dim; i += KVROT_THREADS) h[i] = xv[i];
    __syncthreads();
    for (int span = 1; span < n; span *= 2) {
        /* pair j: chunk j / (n / 2), then its (span group, offset) */
        for (int j = threadIdx.x; j < head_dim / 2; j += KVROT_THREADS) {
            const int c = j / (n / 2), jj = j % (n / 2);
            const int i = c * n + jj / span * 2 * span + jj % span;
            const float a = h[i], b = h[i + span];
            h[i] = fc_add(a, b);
            h[i + span] = fc_sub(a, b);
        }
        __syncthreads();
    }
    for (int i = threadIdx.x; i < head_dim; i += KVROT_THREADS) xv[i] = fc_mul(h[i], scale);
}

int kv_rotate_launch(cudaStream_t st, float *x, int n_vec, int head_dim, fc_err *err) {
    if (head_dim <= 0 || head_dim > KVROT_MAXD)
        return fc_errf(err, FC_EINPUT, "CUDA kv rotate: head dim %d is not supported (1..%d)", head_dim, KVROT_MAXD);
    if (n_vec <= 0) return 0;
    const int n = kvrot_chunk(head_dim);
    FC_LAUNCH(kv_rotate_kernel, n_vec, KVROT_THREADS, 0, st)(x, head_dim, n, kvrot_scale(n));
    CU_LAUNCHED(err, "kv rotate");
    return 0;
}

static int kv_check(uint32_t type, int64_t n, const char *what, fc_err *err) {
    if (type != GGML_TYPE_F32 && type != GGML_TYPE_F16 && type != GGML_TYPE_Q8_0 && type != GGML_TYPE_Q4_0)
        return fc_errf(err, FC_EINPUT, "CUDA %s: KV type %s is not supported (f32, f16, q8_0, q4_0)", what, ggml_type_name(type));
    if ((type == GGML_TYPE_Q8_0 || type == GGML_TYPE_Q4_0) && n % 32)
        return fc_errf(err, FC_EINPUT, "CUDA %s: KV rows of %lld values are not a multiple of 32", what, (long long)n);
    return 0;
}

static int64_t units(uint32_t type, int64_t n) {
    return type == GGML_TYPE_F32 || type == GGML_TYPE_F16 ? n : n / 32;
}

int kv_round_launch(cudaStream_t st, uint32_t type, float *x, int n_rows, int64_t n, fc_err *err) {
    if (kv_check(type, n, "kv round", err)) return -1;
    if (type == GGML_TYPE_F32 || n_rows <= 0) return 0;
    const int64_t upr = units(type, n), total = upr * n_rows;
    FC_LAUNCH(kv_round_kernel, cdiv(total, 128), 128, 0, st)(type, x, n, upr, total);
    CU_LAUNCHED(err, "kv round");
    return 0;
}

int kv_store_launch(cudaStream_t st, uint32_t type, const float *x, int n_rows, int64_t n, uint8_t *cache,
                    size_t row_bytes, int pos_first, int kv_rows, fc_err *err) {
    if (kv_check(type, n, "kv store", err)) return -1;
    if (n_rows <= 0) return 0;
    if (n_rows > kv_rows) return fc_errf(err, FC_EINPUT, "CUDA kv store: %d rows into a cache of %d", n_rows, kv_rows);
    const int64_t upr = units(type, n), total = upr * n_rows;
    FC_LAUNCH(kv_store_kernel, cdiv(total, 128), 128, 0, st)(type, x, n, upr, total, cache, row_bytes, pos_first, kv_rows);
    CU_LAUNCHED(err, "kv store");
    return 0;
}
