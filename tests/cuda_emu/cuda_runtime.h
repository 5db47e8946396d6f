/* cuda_runtime.h for the CUDA host emulator: src/cuda compiles as host C++
 * (g++ -DFC_CUDA_EMU -Itests/cuda_emu) and its kernels run on the CPU, one
 * block after another, the threads of a block as fibers of one host thread
 * that switch only at barriers (__syncthreads, __syncwarp, shuffles); see
 * emu.cpp. One emulated device with a fixed amount of memory in host memory.
 * Only what src/cuda uses is here. */
#ifndef FC_CUDA_EMU_RUNTIME_H
#define FC_CUDA_EMU_RUNTIME_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <tuple>
#include <type_traits>
#include <utility>

#ifndef FC_CUDA_EMU
#error "tests/cuda_emu is the CUDA host emulator: build with -DFC_CUDA_EMU (make CUDA=emu)"
#endif

/* ---- qualifiers ------------------------------------------------------------ */
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __restrict__ __restrict
#define __align__(n) __attribute__((aligned(n)))
/* Blocks run one after another on one host thread (launches are serialised),
 * so a block's shared memory is a static of the kernel. */
#define __shared__ static

/* ---- vector types ------------------------------------------------------------ */
struct uint3 { unsigned x, y, z; };
struct dim3 {
    unsigned x, y, z;
    constexpr dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};
/* The device's alignments: a misaligned vector access is a fault on the GPU
 * (and a UBSan alignment error here, -fsanitize=alignment). */
struct alignas(16) float4 { float x, y, z, w; };
struct alignas(8) float2 { float x, y; };
struct alignas(16) uint4 { unsigned x, y, z, w; };
inline float4 make_float4(float x, float y, float z, float w) { return float4{x, y, z, w}; }
inline float2 make_float2(float x, float y) { return float2{x, y}; }

extern thread_local uint3 threadIdx, blockIdx;
extern thread_local dim3 blockDim, gridDim;

/* ---- device functions ------------------------------------------------------------ */
inline int min(int a, int b) { return a < b ? a : b; }
inline int max(int a, int b) { return a > b ? a : b; }
inline float __fadd_rn(float a, float b) { return a + b; } /* built with -ffp-contract=off: never fused */
inline float __fsub_rn(float a, float b) { return a - b; }
inline float __fmul_rn(float a, float b) { return a * b; }
inline float __uint_as_float(unsigned u) { float f; memcpy(&f, &u, 4); return f; }
inline unsigned __float_as_uint(float f) { unsigned u; memcpy(&u, &f, 4); return u; }

namespace fc_emu {
[[noreturn]] void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void check_aligned(const void *p, size_t a, const char *what);
uint64_t shfl_xor(unsigned mask, uint64_t v, int lane_mask, int width);
}

void __syncthreads(void);
void __syncwarp(unsigned mask = 0xffffffffu);
template <class T> inline T __shfl_xor_sync(unsigned mask, T v, int lane_mask, int width = 32) {
    static_assert(sizeof(T) <= 8 && std::is_trivially_copyable<T>::value, "shuffles move up to 8 bytes");
    uint64_t b = 0;
    memcpy(&b, &v, sizeof v);
    b = fc_emu::shfl_xor(mask, b, lane_mask, width);
    memcpy(&v, &b, sizeof v);
    return v;
}
/* Streaming load: a plain load, which must be aligned as on the device. */
template <class T> inline T __ldcs(const T *p) {
    fc_emu::check_aligned(p, alignof(T), "__ldcs");
    return *p;
}

/* ---- runtime ------------------------------------------------------------ */
typedef enum cudaError {
    cudaSuccess = 0,
    cudaErrorInvalidValue = 1,
    cudaErrorMemoryAllocation = 2,
    cudaErrorInvalidConfiguration = 9,
    cudaErrorInvalidDevicePointer = 17,
    cudaErrorInvalidMemcpyDirection = 21,
    cudaErrorInsufficientDriver = 35,
    cudaErrorNoDevice = 100,
    cudaErrorInvalidDevice = 101,
    cudaErrorInvalidResourceHandle = 400,
    cudaErrorLaunchFailure = 719,
} cudaError_t;

enum cudaMemcpyKind { cudaMemcpyHostToHost = 0, cudaMemcpyHostToDevice = 1, cudaMemcpyDeviceToHost = 2, cudaMemcpyDeviceToDevice = 3, cudaMemcpyDefault = 4 };

typedef struct fc_emu_stream *cudaStream_t;
#define cudaStreamNonBlocking 0x01

typedef struct cudaUUID_st { char bytes[16]; } cudaUUID_t;
struct cudaDeviceProp {
    char name[256];
    cudaUUID_t uuid;
    size_t totalGlobalMem;
    int major, minor, multiProcessorCount, warpSize;
};

cudaError_t cudaGetDeviceCount(int *n);
cudaError_t cudaSetDevice(int ordinal);
cudaError_t cudaGetDeviceProperties(cudaDeviceProp *p, int ordinal);
cudaError_t cudaMalloc(void **p, size_t bytes);
cudaError_t cudaFree(void *p);
cudaError_t cudaMemGetInfo(size_t *free_b, size_t *total_b);
cudaError_t cudaMemcpy(void *dst, const void *src, size_t bytes, cudaMemcpyKind kind);
cudaError_t cudaMemcpyAsync(void *dst, const void *src, size_t bytes, cudaMemcpyKind kind, cudaStream_t st);
cudaError_t cudaStreamCreateWithFlags(cudaStream_t *st, unsigned flags);
cudaError_t cudaStreamDestroy(cudaStream_t st);
cudaError_t cudaStreamSynchronize(cudaStream_t st);
cudaError_t cudaDeviceSynchronize(void);
cudaError_t cudaDriverGetVersion(int *v);
#define CUDART_VERSION 12040
cudaError_t cudaGetLastError(void);
const char *cudaGetErrorName(cudaError_t e);
const char *cudaGetErrorString(cudaError_t e);

/* ---- launches: FC_LAUNCH(kernel, grid, block, smem, stream)(args...) ---------- */
namespace fc_emu {
struct launch_cfg {
    dim3 grid, block;
    size_t smem;
    cudaStream_t st;
    const char *name;
};
/* Runs body(ctx) as every thread of every block of the grid (or records a
 * launch error for cudaGetLastError). */
void run_grid(const launch_cfg &c, void (*body)(void *), void *ctx);
/* A pointer argument must be null or point into (or just past) a device allocation. */
void check_device_ptr(const void *p, const char *kernel, int arg);

template <class T> inline void check_arg(const T &, const char *, int) {}
template <class T> inline void check_arg(T *const &p, const char *k, int i) { check_device_ptr(p, k, i); }

template <class... P> struct launcher {
    void (*kernel)(P...);
    launch_cfg c;
    template <class... A> void operator()(A &&...a) const {
        static_assert(sizeof...(A) == sizeof...(P), "kernel argument count");
        std::tuple<std::decay_t<P>...> args(std::forward<A>(a)...); /* by value, as the launch copies them */
        std::apply([&](const auto &...v) {
            int i = 0;
            (check_arg(v, c.name, i++), ...);
        }, args);
        auto body = [&] { std::apply(kernel, args); };
        run_grid(c, [](void *p) { (*(decltype(body) *)p)(); }, &body);
    }
};
template <class... P>
inline launcher<P...> make_launcher(void (*k)(P...), dim3 grid, dim3 block, size_t smem, cudaStream_t st, const char *name) {
    return launcher<P...>{k, launch_cfg{grid, block, smem, st, name}};
}
} // namespace fc_emu

#define FC_EMU_LAUNCH(k, grid, block, smem, st) fc_emu::make_launcher(k, grid, block, smem, st, #k)

#endif
