/* stage — one device's share of a forward pass: a contiguous range of layers
 * [first, first + n_layers) and, on the last stage, the output head, with
 * their weights, KV cache and work buffers on that device.
 *
 * The engine (engine.c) chains stages in plan order: the CPU stage (token
 * embeddings and the first layers), then each GPU's range. The hidden state
 * (n_tok rows of n_embd floats, in host memory) crosses into a device stage
 * once and comes back once per forward call; the head's stage returns the
 * logits of the rows asked for.
 *
 * Every stage allocates through its fc_devmem exactly the memory model's
 * manifest for its device (mem_manifest, src/plan/memory.h) by walking it
 * (stage_allocate), so the allocation log is the plan by construction.
 * Three implementations share this contract, each a backend table
 * (fc_backend) the engine calls through:
 *   cpu_stage   (cpu_stage.c)  the CPU forward pass; weights in the mapping;
 *   emulated    (cpu_stage.c)  the same code, but weights copied into and KV
 *                              and buffers allocated from a capped host
 *                              arena: a GPU without CUDA, for tests;
 *   cuda_stage  (src/cuda/)    CUDA kernels on one GPU.
 */
#ifndef FC_STAGE_H
#define FC_STAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../plan/memory.h"
#include "../plan/workbuf.h"
#include "devmem.h"
#include "model.h"

struct fc_pool;

/* A forward call's tokens: segments, each a run of tokens of one sequence
 * at consecutive positions (its own KV cache), in token order covering
 * [0, n_tok); a sequence has at most one segment per call. The head
 * computes the logits of the rows out[0..n_out) (in that order). A token's
 * arithmetic depends only on its segment (its length and the token's place
 * in it), never on the other segments of the call: batch invariance. */
typedef struct fc_seg {
    int seq;        /* 0 .. n_seq - 1 */
    int t0, n;      /* tokens [t0, t0 + n) of the call */
    int pos0;       /* position of token t0 in its sequence */
} fc_seg;

typedef struct fc_ubatch {
    int n_tok;
    int n_seg;
    const fc_seg *seg;
    const int *out; /* rows whose logits the head computes */
    int n_out;
} fc_ubatch;

typedef struct fc_stage_desc {
    const gguf_file *file;
    const model_desc *d;
    const fc_model *model;      /* host model: every pointer into the mapping / host tables */
    const mem_model *mm;        /* the memory model: the stage allocates its manifest */
    enum mem_dev_kind kind;     /* MEM_DEV_CPU, MEM_DEV_EMULATED or MEM_DEV_GPU */
    uint32_t first, n_layers;   /* layers this stage runs */
    bool head;                  /* runs output_norm + output (+ softcap) */
    mem_config cfg;             /* n_ctx, n_seq, n_batch, KV types, flash, n_threads, n_outputs */
    bool exact;                 /* float activations (CPU code only) */
    struct fc_pool *pool;       /* CPU and emulated stages: the engine's threads (borrowed) */
    int ordinal;                /* GPU stages: the CUDA device */
    /* GPU stages: called while weights upload (may be NULL) */
    void (*progress)(void *ctx, uint64_t done, uint64_t total);
    void *progress_ctx;
} fc_stage_desc;

/* ---- allocation: the manifest walked through the device's allocator ------ */

/* What a stage holds, as stage_allocate() allocated it. */
typedef struct fc_stage_mem {
    void **tensor;              /* [file->n_tensors] the held tensor's bytes on the device (the
                                 * mapping on the CPU), NULL where not held */
    uint8_t **k, **v;           /* [n_layer] KV cache of the stage's layers (n_seq caches one
                                 * after the other), NULL outside */
    void *buf[WB_COUNT];        /* work buffers (workbuf.h), NULL where not needed */
    workbuf_layout wl;          /* their sizes (the manifest's buffer items) */
    uint64_t upload_bytes;      /* weights copied to the device (0 on the CPU) */
    void **repacked;            /* [file->n_tensors] the CPU's repacked copy of the tensor
                                 * (MEM_ITEM_REPACKED, quant_repack_rows), NULL where none */
} fc_stage_mem;

/* Allocates mem_manifest()'s items for sd's device, in order, through m:
 * weights uploaded (a device) or logged as mapped (the CPU), "k" and "v"
 * of each layer, the work buffers; the fixed cost is the device's own
 * (created with it). So the allocation log is the manifest, item for item.
 * On failure (FC_ENOMEM naming the item) what was allocated stays in m
 * (devmem_release frees it) and out's arrays are freed. */
int stage_allocate(const fc_stage_desc *sd, fc_devmem *m, fc_stage_mem *out, fc_err *err);
void stage_mem_free(fc_stage_mem *sm); /* the host arrays; device memory belongs to the fc_devmem */

/* The CPU stage's model: sd->model with its own copy of the layer array,
 * whose weights with a repacked copy in sm (row offset a whole number of
 * groups: fused views included) get rp, rp_rows and rp_tile set. */
int stage_repacked_view(const fc_stage_desc *sd, const fc_stage_mem *sm, fc_model *view, fc_err *err);

/* Weights a device stage will upload (for progress). */
uint64_t stage_upload_bytes(const fc_stage_desc *sd);

/* Fills *view with sd->model's description whose weight, bias and norm
 * pointers of layers [first, first + n_layers) and of the head point at
 * the stage's copies in sm (other layers are zeroed). Fused views (phi3)
 * keep their offsets into the copied tensor. The RoPE tables stay host
 * pointers. */
int stage_weights_view(const fc_stage_desc *sd, const fc_stage_mem *sm, fc_model *view, fc_err *err);
void stage_view_free(fc_model *view);

/* ---- the stage interface ----------------------------------------------------
 * A backend runs stages on one kind of device. The engine holds its stages
 * as fc_stage pointers and calls only through the table; each backend's
 * stage struct begins with an fc_stage. */

typedef struct fc_backend fc_backend;
typedef struct fc_stage {
    const fc_backend *be;
} fc_stage;

struct fc_backend {
    const char *name;            /* "cpu", "emulated", "cuda" */
    enum mem_dev_kind kind;
    const fc_devmem_ops *mem;    /* how the device allocates and uploads */
    /* Creates the device's context before its first allocation and says
     * what it cost (0 where nothing is created); NULL: nothing to do. */
    int (*device_init)(int ordinal, uint64_t *context_bytes, fc_err *err);
    /* Allocates the stage through m (stage_allocate) and prepares it. */
    fc_stage *(*stage_new)(const fc_stage_desc *sd, fc_devmem *m, fc_err *err);
    /* Runs the stage's layers over x (ub->n_tok rows of n_embd, host
     * memory; the stage's output replaces them). When the stage has the
     * head, the logits of rows ub->out go to logits ((n_out, n_vocab), host
     * memory). */
    int (*eval)(fc_stage *s, float *x, const fc_ubatch *ub, float *logits, fc_err *err);
    void (*stage_free)(fc_stage *s); /* host state only; NULL accepted */
    /* Devices of this kind (0 with a reason: "built without CUDA", ...). */
    int (*device_count)(char *why, size_t cap);
    /* The device ordinal of an NVML UUID (cuda_device_of_uuid); NULL: none */
    int (*device_of_uuid)(const char *uuid);
    bool (*built)(void);         /* this binary has the backend (CUDA: make CUDA=1) */
    bool (*host_emulator)(void); /* the devices are the CUDA host emulator (tests) */
};

/* The backend of a device kind. */
const fc_backend *stage_backend(enum mem_dev_kind kind);

/* The three backends: cpu_stage.c (CPU and emulated), src/cuda/stage.cu or
 * cuda_none.c (CUDA). */
extern const fc_backend backend_cpu, backend_emulated, backend_cuda;

/* The CPU stage's (n_batch, n_embd) residual buffer, where the engine
 * gathers the embeddings and where every stage's output lands, and its
 * logits buffer ((n_outputs, n_vocab), NULL unless head). */
float *cpu_stage_x(fc_stage *s);
float *cpu_stage_logits(fc_stage *s);

#endif
