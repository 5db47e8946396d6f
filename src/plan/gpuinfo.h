/* gpuinfo — the GPU inventory: name, UUID and memory (total / used / free)
 * of every device, the driver version, and which path produced it.
 *
 * Sources, in order:
 * 1. overrides (--gpu flags, else the FITCHAT_GPU environment variable):
 *    "8GiB", "name=RTX 3070,total=8GiB,used=857MiB[,free=..][,uuid=..]",
 *    or "sim:512MiB" for a host-emulated device (named "sim 512 MiB";
 *    every table and label marks emulated devices as such, a name=..,sim=1
 *    device too). FITCHAT_GPU holds several, separated by ';'. With an
 *    override no GPU library is touched.
 * 2. NVML, loaded at run time with dlopen (libnvidia-ml.so.1, then
 *    libnvidia-ml.so; FITCHAT_NVML_LIB names another file), never linked;
 * 3. the CUDA runtime (cudaGetDeviceCount / cudaMemGetInfo, also dlopen'd:
 *    libcudart.so, .so.12, .so.11.0; FITCHAT_CUDART_LIB names another file);
 * 4. none: zero devices and a reason naming what each path said ("library
 *    not found", "driver/library version mismatch", "no device"). No GPU
 *    is not an error: the planner plans for the CPU.
 *
 * Libraries are opened, queried and closed inside gpu_query(); nothing is
 * kept loaded. Not thread-safe (dlopen/dlerror); call from one thread.
 */
#ifndef FC_GPUINFO_H
#define FC_GPUINFO_H

#include <stdbool.h>
#include <stdint.h>

#include "../util/err.h"

#define GPU_MAX_DEVICES 16

enum gpu_source { GPU_SRC_NONE = 0, GPU_SRC_OVERRIDE, GPU_SRC_NVML, GPU_SRC_CUDART };

typedef struct gpu_device {
    int index;          /* device index as the driver numbers it (override: position) */
    int ordinal;        /* the CUDA device that runs it: index, until session_inventory maps
                         * NVML's devices to CUDA's by UUID (NVML counts in PCI order; CUDA
                         * fastest first, and only what CUDA_VISIBLE_DEVICES leaves) */
    char name[96];
    char uuid[96];      /* "" when unknown */
    uint64_t total;     /* bytes */
    uint64_t used;      /* bytes used by others when queried */
    uint64_t free;      /* bytes free when queried */
    bool emulated;      /* "sim:" override: host memory, no CUDA */
} gpu_device;

typedef struct gpu_inventory {
    int n;                            /* devices, 0 = no GPU */
    gpu_device dev[GPU_MAX_DEVICES];
    enum gpu_source source;
    char driver[80];                  /* driver version, "" if unknown */
    char library[256];                /* the library that answered, "" for override / none */
    char path[512];                   /* the fallback path taken, one line */
    char reason[512];                 /* n == 0: why there is no GPU, one line */
    /* The host: memory this process may still take (0 = unknown, no check),
     * and where that figure came from, one line ("MemAvailable", "cgroup
     * memory.max 2.00 GiB, 310 MiB in use", "--ram"). */
    uint64_t host_avail;
    uint64_t host_total;              /* physical memory (MemTotal), 0 = unknown */
    char host_source[200];
} gpu_inventory;

const char *gpu_source_name(enum gpu_source s); /* "override", "NVML", "CUDA runtime", "none" */

/* Parses one override spec and appends its device(s) to inv (source becomes
 * GPU_SRC_OVERRIDE). FC_EINPUT naming the spec, field and value. */
int gpu_override_parse(const char *spec, gpu_inventory *inv, fc_err *err);

/* Queries NVML, then the CUDA runtime. Returns 0 with inv->n == 0 and
 * inv->reason set when there is no usable GPU; -1 only for bad environment
 * settings (never for a missing or failing GPU). */
int gpu_query(gpu_inventory *inv, fc_err *err);

/* The inventory the commands use: the specs if n_specs > 0, else
 * FITCHAT_GPU if set and non-empty, else gpu_query(); then the host's
 * memory (host_memory_query with FITCHAT_RAM). */
int gpu_inventory_get(const char *const *specs, int n_specs, gpu_inventory *inv, fc_err *err);

/* Fills inv's host fields: ram ("16GiB", from --ram or FITCHAT_RAM) if not
 * NULL or empty, else min(MemAvailable of /proc/meminfo, the cgroup v2
 * limit of this process minus its usage, where a limit is set). FC_EINPUT
 * for a malformed ram. Unreadable files leave host_avail 0 (unknown). */
int host_memory_query(const char *ram, gpu_inventory *inv, fc_err *err);

#endif
