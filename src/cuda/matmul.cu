/* matmul — the prompt kernel: a tile of weight rows times a tile of
 * activation rows, the weights dequantized into shared memory as they are
 * loaded (each weight block is decoded once per tile of MM_BN tokens); and
 * mm_launch, which picks matvec for one token and this for more.
 *
 * Tile: MM_BM = 64 weight rows x MM_BN = 32 tokens, MM_BK = 64 elements per
 * step; 256 threads, each owning 4 rows x 2 tokens of the output. Weights
 * are decoded by groups of 8 (blocks.cuh) straight from global memory
 * (adjacent steps read adjacent bytes of the same rows, which the caches
 * hold); activations come in as float4. Any n_tok, any n_out; n_in a
 * multiple of 8. Correctness first: no tensor cores, no double buffering.
 */
#include "blocks.cuh"
#include "c_api.cuh"
#include "common.cuh"
#include "kernels.cuh"

#define MM_BM 64
#define MM_BN 32
#define MM_BK 64

template <int T>
__global__ void __launch_bounds__(256)
    matmul_kernel(const uint8_t *__restrict__ w, size_t row_bytes, int n_in, int n_out, const float *__restrict__ x,
                  int64_t x_stride, int n_tok, const float *__restrict__ bias, float *__restrict__ y, int64_t y_stride,
                  int accumulate) {
    __shared__ __align__(16) float ws[MM_BK][MM_BM + 4]; /* ws[k][row] */
    __shared__ __align__(16) float xs[MM_BK][MM_BN + 4]; /* xs[k][token] */
    const int tid = threadIdx.x, tx = tid % 16, ty = tid / 16;
    const int row0 = blockIdx.x * MM_BM, tok0 = blockIdx.y * MM_BN;
    float acc[4][2] = {};

    for (int k0 = 0; k0 < n_in; k0 += MM_BK) {
        /* 64 rows x 8 groups of 8 weights: two groups per thread */
        for (int i = tid; i < MM_BM * (MM_BK / 8); i += 256) {
            const int r = i / (MM_BK / 8), g = i % (MM_BK / 8), k = k0 + 8 * g;
            float v[8] = {};
            if (row0 + r < n_out && k < n_in) dq8_row<T>(w + (size_t)(row0 + r) * row_bytes, k, v);
#pragma unroll
            for (int j = 0; j < 8; j++) ws[8 * g + j][r] = v[j];
        }
        /* 32 tokens x 16 float4 */
        for (int i = tid; i < MM_BN * (MM_BK / 4); i += 256) {
            const int t = i / (MM_BK / 4), q = i % (MM_BK / 4), k = k0 + 4 * q;
            float4 v = make_float4(0.f, 0.f, 0.f, 0.f);
            if (tok0 + t < n_tok && k < n_in) v = *(const float4 *)(x + (size_t)(tok0 + t) * x_stride + k);
            xs[4 * q][t] = v.x;
            xs[4 * q + 1][t] = v.y;
            xs[4 * q + 2][t] = v.z;
            xs[4 * q + 3][t] = v.w;
        }
        __syncthreads();
#pragma unroll 8
        for (int k = 0; k < MM_BK; k++) {
            const float4 a = *(const float4 *)&ws[k][4 * tx];
            const float2 b = *(const float2 *)&xs[k][2 * ty];
            const float av[4] = {a.x, a.y, a.z, a.w}, bv[2] = {b.x, b.y};
#pragma unroll
            for (int r = 0; r < 4; r++)
#pragma unroll
                for (int t = 0; t < 2; t++) acc[r][t] += av[r] * bv[t];
        }
        __syncthreads();
    }
#pragma unroll
    for (int t = 0; t < 2; t++) {
        const int tok = tok0 + 2 * ty + t;
        if (tok >= n_tok) continue;
#pragma unroll
        for (int r = 0; r < 4; r++) {
            const int row = row0 + 4 * tx + r;
            if (row >= n_out) continue;
            float s = acc[r][t];
            if (bias) s += bias[row];
            float *o = y + (size_t)tok * y_stride + row;
            *o = accumulate ? *o + s : s;
        }
    }
}

template <int T> __global__ void dequant_kernel(const uint8_t *__restrict__ row, int64_t n_groups, float *__restrict__ out) {
    const int64_t g = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (g < n_groups) dq8_row<T>(row, 8 * g, out + 8 * g);
}

bool mm_type_supported(uint32_t type) {
    switch (type) {
#define SUP_CASE(T) case T:
        FC_FOR_EACH_TYPE(SUP_CASE)
#undef SUP_CASE
        return true;
    default: return false;
    }
}

static int shape_check(uint32_t type, int64_t n_in, int64_t n_out, int n_tok, const char *what, fc_err *err) {
    const ggml_type_info *ti = ggml_type_get(type);
    if (!mm_type_supported(type) || !ti)
        return fc_errf(err, FC_EINPUT, "CUDA %s: weight type %s is not supported", what, ggml_type_name(type));
    if (n_in <= 0 || n_in % 8 || n_in % ti->block_elems || n_in > INT32_MAX || n_out > INT32_MAX || n_tok < 0)
        return fc_errf(err, FC_EINPUT, "CUDA %s: %s rows of %lld elements are not supported (need a multiple of 8 and of %u)",
                       what, ti->name, (long long)n_in, ti->block_elems);
    return 0;
}

int matmul_launch(cudaStream_t st, uint32_t type, const void *w, int64_t n_in, int64_t n_out, size_t row_bytes,
                  const float *x, int64_t x_stride, int n_tok, const float *bias, float *y, int64_t y_stride,
                  bool accumulate, fc_err *err) {
    if (n_out <= 0 || n_tok <= 0) return 0;
    const dim3 grid((unsigned)cdiv(n_out, MM_BM), (unsigned)cdiv(n_tok, MM_BN)), block(256);
    const uint8_t *wb = (const uint8_t *)w;
    switch (type) {
#define MM_CASE(T)                                                                                           \
    case T:                                                                                                  \
        FC_LAUNCH(matmul_kernel<T>, grid, block, 0, st)(wb, row_bytes, (int)n_in, (int)n_out, x, x_stride, n_tok, bias, \
                                                 y, y_stride, accumulate);                                   \
        break;
        FC_FOR_EACH_TYPE(MM_CASE)
#undef MM_CASE
    default: return fc_errf(err, FC_EINPUT, "CUDA matmul: weight type %s is not supported", ggml_type_name(type));
    }
    CU_LAUNCHED(err, "matmul");
    return 0;
}

int mm_launch(cudaStream_t st, uint32_t type, const void *w, int64_t n_in, int64_t n_out, size_t row_bytes,
              const float *x, int64_t x_stride, int n_tok, const float *bias, float *y, int64_t y_stride,
              bool accumulate, fc_err *err) {
    if (shape_check(type, n_in, n_out, n_tok, "matrix product", err)) return -1;
    if (x_stride % 4 || ((uintptr_t)x & 15))
        return fc_errf(err, FC_EINPUT, "CUDA matrix product: activations must be 16-byte aligned rows");
    if (n_tok == 1) return matvec_launch(st, type, w, n_in, n_out, row_bytes, x, bias, y, accumulate, err);
    return matmul_launch(st, type, w, n_in, n_out, row_bytes, x, x_stride, n_tok, bias, y, y_stride, accumulate, err);
}

int dequant_launch(cudaStream_t st, uint32_t type, const void *row, int64_t n_total, float *out, fc_err *err) {
    if (shape_check(type, n_total, 1, 1, "dequantize", err)) return -1;
    const int64_t n_groups = n_total / 8;
    const dim3 grid((unsigned)cdiv(n_groups, 128)), block(128);
    const uint8_t *rb = (const uint8_t *)row;
    switch (type) {
#define DQ_CASE(T) case T: FC_LAUNCH(dequant_kernel<T>, grid, block, 0, st)(rb, n_groups, out); break;
        FC_FOR_EACH_TYPE(DQ_CASE)
#undef DQ_CASE
    default: return fc_errf(err, FC_EINPUT, "CUDA dequantize: type %s is not supported", ggml_type_name(type));
    }
    CU_LAUNCHED(err, "dequantize");
    return 0;
}
