/* device — the CUDA devices: whether there are any (and why not), the cost
 * of a context, and the raw memory functions fc_devmem allocates through
 * (the only cudaMalloc / cudaFree of the backend).
 *
 * The runtime is linked statically; without an NVIDIA driver its first call
 * fails with cudaErrorInsufficientDriver and cuda_device_count says "no CUDA
 * driver", so the same binary runs on machines without a GPU.
 */
#include <stdio.h>
#include <string.h>

#include "c_api.cuh"
#include "common.cuh"

extern "C" {
#include "../plan/gpuinfo.h"
}

bool cuda_built(void) { return true; }

#ifdef FC_CUDA_EMU
bool cuda_emulated(void) { return true; }
#else
bool cuda_emulated(void) { return false; }
#endif

int cuda_device_count(char *why, size_t cap) {
    int n = 0;
    const cudaError_t rc = cudaGetDeviceCount(&n);
    if (rc != cudaSuccess) {
        cudaGetLastError(); /* clear the sticky-free error state */
        if (why && cap) {
            int drv = 0;
            if (rc == cudaErrorInsufficientDriver && cudaDriverGetVersion(&drv) == cudaSuccess && drv > 0)
                /* a driver older than the toolkit this binary was built with (CUDA 13 needs R580+) */
                snprintf(why, cap, "the NVIDIA driver supports CUDA %d.%d, this build's runtime needs %d.%d: update the "
                         "driver, or build with an older CUDA toolkit", drv / 1000, drv % 1000 / 10, CUDART_VERSION / 1000,
                         CUDART_VERSION % 1000 / 10);
            else if (rc == cudaErrorInsufficientDriver)
                snprintf(why, cap, "no CUDA driver (%s)", cudaGetErrorString(rc));
            else if (rc == cudaErrorNoDevice)
                snprintf(why, cap, "no device");
            else
                snprintf(why, cap, "%s: %s", cudaGetErrorName(rc), cudaGetErrorString(rc));
        }
        return 0;
    }
    if (n == 0 && why && cap) snprintf(why, cap, "no device");
    return n;
}

/* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx": NVML's spelling of a UUID after
 * its "GPU-" (a GPU) or "MIG-" (a MIG device: CUDA reports the MIG
 * device's own UUID, the one CUDA_VISIBLE_DEVICES=MIG-... takes). */
static void uuid_string(const cudaUUID_t *u, char *out, size_t cap) {
    const unsigned char *b = (const unsigned char *)u->bytes;
    snprintf(out, cap, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3],
             b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

/* Whether NVML's UUID string names the device with CUDA's UUID u. */
static bool same_uuid(const char *nvml, const cudaUUID_t *u) {
    if (strncmp(nvml, "GPU-", 4) && strncmp(nvml, "MIG-", 4)) return false;
    char s[64];
    uuid_string(u, s, sizeof s);
    return !strcmp(nvml + 4, s);
}

int cuda_device_of_uuid(const char *uuid) {
    int n = 0;
    const cudaError_t rc = cudaGetDeviceCount(&n);
    if (rc != cudaSuccess) cudaGetLastError();
    if (rc == cudaErrorNoDevice || (rc == cudaSuccess && n == 0)) return -1; /* a driver, no device visible */
    if (rc != cudaSuccess) return -2;
    for (int i = 0; i < n; i++) {
        cudaDeviceProp prop;
        if (cudaGetDeviceProperties(&prop, i) != cudaSuccess) {
            cudaGetLastError();
            continue;
        }
        if (same_uuid(uuid, &prop.uuid)) return i;
    }
    return -1;
}

/* Free bytes before this process has a context on the device: NVML's view
 * of the device with the same UUID (NVML needs no context). 0 if unknown. */
static uint64_t free_before_context(int ordinal) {
    cudaDeviceProp prop;
    if (cudaGetDeviceProperties(&prop, ordinal) != cudaSuccess) { cudaGetLastError(); return 0; }
    static gpu_inventory inv; /* large; one thread (device set-up happens before any stage runs) */
    memset(&inv, 0, sizeof inv);
    if (gpu_query(&inv, NULL) || inv.source != GPU_SRC_NVML) return 0;
    for (int i = 0; i < inv.n; i++)
        if (same_uuid(inv.dev[i].uuid, &prop.uuid)) return inv.dev[i].free;
    return 0;
}

int cuda_device_init(int ordinal, uint64_t *context_bytes, fc_err *err) {
    if (context_bytes) *context_bytes = 0;
    char why[256] = "";
    const int n = cuda_device_count(why, sizeof why);
    if (ordinal < 0 || ordinal >= n)
        return fc_errf(err, FC_EFAIL, "CUDA device %d: not available (%s)", ordinal, n ? "no such device" : why);
    const uint64_t before = free_before_context(ordinal);
    char what[64];
    snprintf(what, sizeof what, "device %d: cudaSetDevice", ordinal);
    CU(err, cudaSetDevice(ordinal), what);
    snprintf(what, sizeof what, "device %d: creating the context", ordinal);
    CU(err, cudaFree(0), what);
    size_t free_b = 0, total_b = 0;
    snprintf(what, sizeof what, "device %d: cudaMemGetInfo", ordinal);
    CU(err, cudaMemGetInfo(&free_b, &total_b), what);
    /* Without NVML the cost is not separable from other processes' use:
     * report everything in use (an upper bound). */
    const uint64_t cost = before >= free_b && before ? before - free_b : (uint64_t)(total_b - free_b);
    if (context_bytes) *context_bytes = cost;
    return 0;
}

/* ---- fc_devmem_ops: ctx points to an int holding the device ordinal ------- */

static bool set_device(void *ctx) {
    if (cudaSetDevice(ctx ? *(const int *)ctx : 0) != cudaSuccess) { cudaGetLastError(); return false; }
    return true;
}

static void *cuda_alloc(void *ctx, uint64_t bytes) {
    if (!set_device(ctx)) return NULL;
    void *p = NULL;
    if (cudaMalloc(&p, (size_t)bytes) != cudaSuccess) {
        cudaGetLastError(); /* out of memory is not sticky: clear it */
        return NULL;
    }
    return p;
}

static void cuda_free_fn(void *ctx, void *p) {
    if (!p || !set_device(ctx)) return;
    if (cudaFree(p) != cudaSuccess) cudaGetLastError();
}

static int cuda_upload(void *ctx, void *dst, const void *src, uint64_t bytes) {
    if (!set_device(ctx)) return -1;
    if (cudaMemcpy(dst, src, (size_t)bytes, cudaMemcpyHostToDevice) != cudaSuccess) {
        cudaGetLastError();
        return -1;
    }
    return 0;
}

static uint64_t cuda_free_now(void *ctx) {
    if (!set_device(ctx)) return 0;
    size_t f = 0, t = 0;
    if (cudaMemGetInfo(&f, &t) != cudaSuccess) { cudaGetLastError(); return 0; }
    return f;
}

extern "C" const fc_devmem_ops cuda_devmem_ops = {cuda_alloc, cuda_free_fn, cuda_upload, cuda_free_now};
