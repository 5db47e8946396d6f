/* matvec — the decode kernel: one activation vector times a quantized
 * weight matrix, reading the blocks as they are stored (no dequantized copy).
 *
 * Decoding is bound by memory bandwidth: every weight byte is read once per
 * token, so the kernel is built around moving those bytes well.
 * - A block of MV_WARPS warps computes MV_ROWS rows; its warps split each row
 *   into chunks of E elements (a whole number of blocks) and take every
 *   MV_WARPS-th chunk, so even a 256-row matrix spreads over 128 blocks.
 * - A warp stages its chunk of each of its rows into shared memory with
 *   16-byte loads of the aligned words that cover it (rows of 18-byte blocks
 *   start anywhere; the aligned words are what coalesces), streaming past the
 *   caches (__ldcs: weights are read once, the activations stay cached), then
 *   decodes groups of 8 elements from shared memory (blocks.cuh).
 * - Each lane loads its 8 activations once (two float4, L1/L2 hits: every
 *   block reads the same vector) and uses them for all MV_ROWS rows.
 * - Lane sums are reduced with warp shuffles, the warps' with shared memory;
 *   bias and the residual accumulate happen in the epilogue.
 * The last 16-byte word of a tensor may reach past its end: words that would
 * are read byte by byte up to w_end, so nothing past the rows is touched.
 * The first word starts at the 16-byte boundary at or before the rows, up
 * to 15 bytes earlier, inside the same allocation: cudaMalloc aligns each
 * to 256 bytes, and a view into a larger tensor has that tensor before it.
 */
#include "blocks.cuh"
#include "c_api.cuh"
#include "common.cuh"
#include "kernels.cuh"

#define MV_WARPS 4
#define MV_ROWS 2

/* Elements per warp chunk: about 1 KiB of weight bytes per row. */
template <int T> struct mv_cfg {
    static constexpr int GPL = T == GGML_TYPE_F32 ? 1 : (T == GGML_TYPE_F16 || T == GGML_TYPE_BF16) ? 2 : 4;
    static constexpr int E = 256 * GPL;
    static constexpr int BYTES = E / blk<T>::QK * blk<T>::BB;
    static constexpr int SB = (BYTES + 32 + 15) / 16 * 16; /* staging bytes per row (16 for the misalignment) */
};

template <int T>
__global__ void __launch_bounds__(MV_WARPS * 32)
    matvec_kernel(const uint8_t *__restrict__ w, size_t row_bytes, const uint8_t *w_end, int n_in, int n_out,
                  const float *__restrict__ x, const float *__restrict__ bias, float *__restrict__ y, int accumulate) {
    constexpr int QK = blk<T>::QK, BB = blk<T>::BB, E = mv_cfg<T>::E, SB = mv_cfg<T>::SB;
    __shared__ __align__(16) uint8_t stage[MV_WARPS][MV_ROWS][SB];
    __shared__ float part[MV_WARPS][MV_ROWS];
    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    const int r0 = blockIdx.x * MV_ROWS;
    float acc[MV_ROWS];
#pragma unroll
    for (int r = 0; r < MV_ROWS; r++) acc[r] = 0.0f;

    const int n_chunks = (n_in + E - 1) / E;
    for (int c = warp; c < n_chunks; c += MV_WARPS) {
        const int e0 = c * E, ne = min(E, n_in - e0);
        const int nbytes = ne / QK * BB;
        int off[MV_ROWS];
#pragma unroll
        for (int r = 0; r < MV_ROWS; r++) {
            off[r] = 0;
            if (r0 + r >= n_out) continue;
            const uint8_t *gs = w + (size_t)(r0 + r) * row_bytes + (size_t)(e0 / QK) * BB;
            const uint8_t *a0 = (const uint8_t *)((uintptr_t)gs & ~(uintptr_t)15);
            off[r] = (int)(gs - a0);
            const int n_words = (off[r] + nbytes + 15) / 16;
            for (int i = lane; i < n_words; i += 32) {
                const uint8_t *p = a0 + 16 * i;
                if (p + 16 <= w_end) {
                    *(uint4 *)&stage[warp][r][16 * i] = __ldcs((const uint4 *)p);
                } else {
                    for (int k = 0; k < 16; k++) stage[warp][r][16 * i + k] = p + k < w_end ? p[k] : 0;
                }
            }
        }
        __syncwarp();
        for (int g = lane; g < ne / 8; g += 32) {
            const float4 xa = *(const float4 *)(x + e0 + 8 * g), xb = *(const float4 *)(x + e0 + 8 * g + 4);
            const float xv[8] = {xa.x, xa.y, xa.z, xa.w, xb.x, xb.y, xb.z, xb.w};
#pragma unroll
            for (int r = 0; r < MV_ROWS; r++) {
                if (r0 + r >= n_out) continue;
                float wv[8];
                dq8<T>(&stage[warp][r][off[r] + (8 * g / QK) * BB], (8 * g) % QK, wv);
                float s = 0.0f;
#pragma unroll
                for (int i = 0; i < 8; i++) s += wv[i] * xv[i];
                acc[r] += s;
            }
        }
        __syncwarp(); /* the next chunk overwrites the staging area */
    }
#pragma unroll
    for (int r = 0; r < MV_ROWS; r++) {
        const float s = warp_sum(acc[r]);
        if (lane == 0) part[warp][r] = s;
    }
    __syncthreads();
    if (threadIdx.x < MV_ROWS && r0 + (int)threadIdx.x < n_out) {
        const int row = r0 + threadIdx.x;
        float s = 0.0f;
        for (int i = 0; i < MV_WARPS; i++) s += part[i][threadIdx.x];
        if (bias) s += bias[row];
        y[row] = accumulate ? y[row] + s : s;
    }
}

int matvec_launch(cudaStream_t st, uint32_t type, const void *w, int64_t n_in, int64_t n_out, size_t row_bytes,
                  const float *x, const float *bias, float *y, bool accumulate, fc_err *err) {
    if (n_out <= 0) return 0;
    const uint8_t *wb = (const uint8_t *)w, *w_end = wb + (size_t)n_out * row_bytes;
    const dim3 grid((unsigned)cdiv(n_out, MV_ROWS)), block(MV_WARPS * 32);
    switch (type) {
#define MV_CASE(T)                                                                                           \
    case T:                                                                                                  \
        FC_LAUNCH(matvec_kernel<T>, grid, block, 0, st)(wb, row_bytes, w_end, (int)n_in, (int)n_out, x, bias, y,    \
                                                 accumulate);                                                \
        break;
        FC_FOR_EACH_TYPE(MV_CASE)
#undef MV_CASE
    default: return fc_errf(err, FC_EINPUT, "CUDA matvec: weight type %s is not supported", ggml_type_name(type));
    }
    CU_LAUNCHED(err, "matvec");
    return 0;
}
