/* devmem — the accounting allocator. Every byte the engine holds on a
 * device (the CPU, a host-emulated GPU, a CUDA GPU) is allocated through
 * here and recorded in one allocation log, so that "what the plan says" and
 * "what the engine holds" are compared number for number (tests, `fitchat
 * run --mem`, /stats in the chat, scripts/gpu-check.sh).
 *
 * A device may have a cap: an emulated GPU has exactly its size, so going
 * past it fails the way cudaMalloc fails on a full card (FC_ENOMEM with the
 * numbers). Weights the CPU reads from the mapped file are logged without
 * being allocated (mapped = true). Not thread-safe: one engine, one thread.
 */
#ifndef FC_DEVMEM_H
#define FC_DEVMEM_H

#include <stdbool.h>
#include <stdint.h>

#include "../plan/gpuinfo.h"
#include "../util/err.h"

#define FC_DEV_CPU (-1)

/* ALLOC_REPACKED: weights copied into a kernel's layout at load (CPU only,
 * memory.h's MEM_ITEM_REPACKED) */
enum fc_alloc_kind { ALLOC_WEIGHTS = 0, ALLOC_KV = 1, ALLOC_BUFFER = 2, ALLOC_REPACKED = 3, ALLOC_KINDS = 4 };

typedef struct fc_alloc_entry {
    int device;           /* FC_DEV_CPU or the plan's device index */
    enum fc_alloc_kind kind;
    int layer;            /* -1 outside layers */
    const char *what;     /* "k", "v", buffer name, tensor name (static or the file's) */
    uint64_t bytes;
    bool mapped;          /* weights read in place from the mapped file */
} fc_alloc_entry;

typedef struct fc_alloc_log {
    fc_alloc_entry *entries;
    int n;
    uint64_t total[ALLOC_KINDS];                      /* the CPU, per kind */
    uint64_t dev_total[GPU_MAX_DEVICES][ALLOC_KINDS]; /* each device, per kind */
} fc_alloc_log;

/* How a device allocates raw memory. alloc returns NULL when the device is
 * out of memory; upload copies host bytes into device memory. */
typedef struct fc_devmem_ops {
    void *(*alloc)(void *ctx, uint64_t bytes);
    void (*free)(void *ctx, void *p);
    int (*upload)(void *ctx, void *dst, const void *src, uint64_t bytes); /* 0 or -1 */
    uint64_t (*free_now)(void *ctx); /* bytes free on the device now (for messages), or 0 if unknown */
} fc_devmem_ops;

/* Host memory (posix_memalign, 64-byte aligned): the CPU and emulated devices. */
extern const fc_devmem_ops devmem_host_ops;

typedef struct fc_devmem {
    int device;                 /* FC_DEV_CPU or the plan's device index */
    char label[128];            /* "CPU", "GPU 0 (NVIDIA H100)", "emulated GPU 0 (sim)" */
    uint64_t cap;               /* bytes it may hand out; UINT64_MAX = whatever the device gives */
    uint64_t used;              /* bytes handed out (mapped weights not counted) */
    fc_alloc_log *log;          /* shared by all devices of one engine */
    const fc_devmem_ops *ops;
    void *ctx;                  /* passed to ops */
    void **live;                /* allocations to free */
    int n_live;
} fc_devmem;

void devmem_init(fc_devmem *m, int device, const char *label, uint64_t cap, fc_alloc_log *log,
                 const fc_devmem_ops *ops, void *ctx);

/* Allocates bytes (0 gives NULL and logs nothing) and logs them. Past the
 * cap, or when the device refuses: FC_ENOMEM naming the device, the item
 * ("layer 17 k"), its size, what is already held and what is free. */
void *devmem_alloc(fc_devmem *m, enum fc_alloc_kind kind, int layer, const char *what, uint64_t bytes, fc_err *err);

/* Allocates and fills from host memory (weights). */
void *devmem_upload(fc_devmem *m, enum fc_alloc_kind kind, int layer, const char *what, const void *src,
                    uint64_t bytes, fc_err *err);

/* Logs weights used in place from the mapping (CPU only): nothing allocated. */
int devmem_log_mapped(fc_devmem *m, int layer, const char *what, uint64_t bytes, fc_err *err);

/* Frees everything m handed out (the log keeps its entries). */
void devmem_release(fc_devmem *m);

void alloc_log_free(fc_alloc_log *log);

#endif
