/* common — what every CUDA file of the backend shares: the error check that
 * turns a failed CUDA call into an fc_err naming the operation (never an
 * abort), the launch check, and small device helpers (warp sums, float
 * arithmetic that the compiler may not contract into FMAs, so that results
 * equal the CPU's bit for bit where the CPU twin is exact).
 *
 * Convention: launcher functions return 0 or -1 with err filled; kernels
 * never fail. Internal header (C++ / CUDA only).
 */
#ifndef FC_CUDA_COMMON_CUH
#define FC_CUDA_COMMON_CUH

#include <cuda_runtime.h>
#include <stdint.h>

#include "../util/err.h"

/* CU(err, call, what): on failure fills err with "what: cudaXxx: message
 * (file:line)" and returns -1 from the enclosing function. */
#define CU(err, call, what)                                                                                     \
    do {                                                                                                        \
        cudaError_t cu_rc_ = (call);                                                                            \
        if (cu_rc_ != cudaSuccess)                                                                              \
            return fc_errf((err), FC_EFAIL, "CUDA: %s: %s: %s (%s:%d)", (what), cudaGetErrorName(cu_rc_),       \
                           cudaGetErrorString(cu_rc_), __FILE__, __LINE__);                                     \
    } while (0)

/* FC_LAUNCH(kernel, grid, block, smem, stream)(args...): a kernel launch.
 * Under nvcc, kernel<<<grid, block, smem, stream>>>(args...); in the CUDA
 * host emulator (make CUDA=emu, tests/cuda_emu), a launcher object that runs
 * the grid on the CPU. */
#ifdef FC_CUDA_EMU
#define FC_LAUNCH(kernel, grid, block, smem, stream) FC_EMU_LAUNCH(kernel, grid, block, smem, stream)
#else
#define FC_LAUNCH(kernel, grid, block, smem, stream) kernel<<<grid, block, smem, stream>>>
#endif

/* After a launch: a bad configuration shows up here. */
#define CU_LAUNCHED(err, kernel) CU(err, cudaGetLastError(), "launching kernel " kernel)

static inline int cdiv(int64_t a, int64_t b) { return (int)((a + b - 1) / b); }

#if defined(__CUDACC__) || defined(FC_CUDA_EMU)
__device__ __forceinline__ float warp_sum(float v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}
__device__ __forceinline__ double warp_sum_d(double v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}
__device__ __forceinline__ float warp_max(float v) {
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}
#endif

#endif
