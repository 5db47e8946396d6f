/* memory — the memory model: every byte the engine will hold on a device,
 * computed by the functions the planner uses to decide what fits
 * (DESIGN.md, "The memory model"). One source of truth: the engine's
 * allocator calls mem_device_bytes() for what it is about to allocate and
 * must log exactly these numbers.
 *
 * What goes where:
 * - weights of layer N = sum of the exact bytes of the tensors "blk.N.*"
 *   (from the GGUF tensor table, never file size / layer count);
 * - token embeddings (token_embd.weight) always stay on the CPU (a row
 *   gather); the output head (output.weight, or token_embd.weight when the
 *   embeddings are tied: then the device gets a copy) travels with the final
 *   norm (output_norm.*); other tensors outside the layers (e.g. Llama 3's
 *   rope_freqs) are "shared": copied to every device that runs a layer;
 * - KV cache of layer N = n_ctx_layer × (row of n_head_kv × head_dim_k in
 *   type_k + row of n_head_kv × head_dim_v in type_v), n_ctx_layer capped at
 *   the window on sliding-window layers;
 * - work buffers: workbuf_layout_compute() (src/plan/workbuf.h), the same
 *   function the engine allocates from; the CPU always has them (it gathers
 *   the embeddings, and the logits come back to it), a GPU only when it runs
 *   a layer or the head; devices also hold the RoPE tables (WB_ROPE);
 * - a fixed cost per GPU that runs anything (CUDA context, cuBLAS
 *   workspace): MEM_CUDA_FIXED_COST unless overridden. Emulated devices
 *   (host memory pretending to be a GPU) have no fixed cost.
 *
 * A mem_model is built once per file (it owns one array); everything else is
 * pure and thread-safe. Errors: FC_EINPUT naming the tensor or type.
 */
#ifndef FC_MEMORY_H
#define FC_MEMORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../format/ggml_types.h"
#include "../format/gguf.h"
#include "../model/arch.h"
#include "../util/err.h"

/* CUDA context per GPU where it has not been measured. An estimate
 * (driver and card dependent; llama.cpp users report 250–450 MiB); the
 * fallback of mem_cuda_fixed_cost(). Overridable with --fixed-cost /
 * FITCHAT_FIXED_COST. */
#define MEM_CUDA_FIXED_COST ((uint64_t)300 << 20)

/* One measured CUDA context: what creating it took on a GPU of this name
 * (as NVML and nvidia-smi give it, "NVIDIA H200") under a driver whose
 * version starts with `driver` up to a dot ("550" matches "550.54.15"; ""
 * matches any driver). scripts/gpu-check.sh prints the row to add. */
typedef struct mem_cuda_context {
    const char *gpu;
    const char *driver;
    uint64_t bytes;
} mem_cuda_context;

/* The measured row of rows[0..n) for (gpu, driver): the most specific
 * driver match, NULL when none. gpu and driver may be NULL (no match). */
const mem_cuda_context *mem_cuda_context_find(const mem_cuda_context *rows, size_t n, const char *gpu,
                                              const char *driver);

/* The fixed cost of a GPU: its measurement in the repository's table
 * (src/plan/memory.c, MEM_CUDA_CONTEXTS; docs/gpu.md lists the measured
 * GPUs), else MEM_CUDA_FIXED_COST. *measured (if not NULL) gets the row used,
 * or NULL for the constant. */
uint64_t mem_cuda_fixed_cost(const char *gpu, const char *driver, const mem_cuda_context **measured);

enum mem_dev_kind {
    MEM_DEV_CPU = 0,
    MEM_DEV_GPU = 1,      /* a CUDA device: pays the fixed cost */
    MEM_DEV_EMULATED = 2, /* host-emulated device ("sim:"): no fixed cost */
};

typedef struct mem_model {
    const model_desc *d;      /* borrowed; must outlive the mem_model */
    uint32_t n_layer;
    uint64_t *layer_weights;  /* [n_layer] bytes of the tensors blk.N.* */
    uint64_t token_embd;      /* token_embd.weight; on the CPU */
    uint64_t output;          /* the head: output.weight, or token_embd.weight if tied */
    uint64_t output_norm;     /* output_norm.* ; with the head */
    uint64_t shared;          /* other non-layer tensors; on every device that runs a layer */
    uint64_t file_size;       /* the GGUF file */
    uint64_t data_bytes;      /* sum of all tensor bytes */
    uint32_t type_count[GGML_TYPE_COUNT]; /* tensors per ggml type (the "type mix") */
    uint64_t type_bytes[GGML_TYPE_COUNT]; /* bytes per ggml type */
} mem_model;

/* The run-time choices that size KV and buffers. */
typedef struct mem_config {
    uint32_t n_ctx;       /* context length in tokens (before SWA capping) */
    uint32_t n_batch;     /* tokens per forward call */
    uint32_t type_k;      /* KV key type: GGML_TYPE_F32, F16, Q8_0 or Q4_0 */
    uint32_t type_v;      /* KV value type, same set */
    bool flash;           /* tiled attention (no n_ctx score rows) */
    uint32_t n_threads;   /* CPU threads (per-thread scratch in the CPU buffers) */
    uint32_t n_outputs;   /* logit rows kept per call: 0 or 1 normally, n_batch to keep every position's */
    uint64_t fixed_cost;  /* per GPU device that runs anything */
} mem_config;

/* Bytes on one device, split the way the plan prints and the engine logs. */
typedef struct mem_bytes {
    uint64_t weights;     /* layer weights + head/norm + shared (+ token_embd on the CPU) */
    uint64_t kv;          /* KV cache of the device's layers */
    uint64_t buffers;     /* workbuf_layout total */
    uint64_t fixed;       /* fixed per-device cost */
    uint64_t total;       /* sum of the above */
} mem_bytes;

/* Reads the tensor table of f (described by d) into m. FC_EINPUT if a
 * tensor names a layer >= n_layer. */
int mem_model_init(mem_model *m, const gguf_file *f, const model_desc *d, fc_err *err);
void mem_model_free(mem_model *m); /* NULL is accepted */

/* Whether type is one the KV cache may use (f32, f16, q8_0, q4_0). */
bool mem_kv_type_allowed(uint32_t type);

/* A KV type as the config spells it ("f32", "f16", "q8_0", "q4_0"); any
 * other type by its GGML name ("Q4_K"). Static storage. */
const char *mem_kv_type_name(uint32_t type);
/* FC_EINPUT unless type is allowed and every layer's K and V rows are a
 * multiple of its block (q8_0 / q4_0 work in blocks of 32). what names the
 * setting in the message ("KV_CACHE_QUANT (-ctk)"). */
int mem_kv_type_check(const model_desc *d, uint32_t type, const char *what, fc_err *err);

/* Context length layer il keeps: the window on sliding-window layers. */
uint32_t mem_layer_ctx(const model_desc *d, uint32_t il, uint32_t n_ctx);

/* KV bytes of layer il (K and V) for n_ctx tokens. Precondition:
 * mem_kv_type_check() passed for both types. */
uint64_t mem_kv_layer_bytes(const model_desc *d, uint32_t il, uint32_t n_ctx, uint32_t type_k, uint32_t type_v);
/* K part and V part separately. */
uint64_t mem_kv_layer_k_bytes(const model_desc *d, uint32_t il, uint32_t n_ctx, uint32_t type_k);
uint64_t mem_kv_layer_v_bytes(const model_desc *d, uint32_t il, uint32_t n_ctx, uint32_t type_v);

/* Work-buffer bytes of one device of the given kind (has_output: it
 * computes the logits). Calls workbuf_layout_compute(). */
uint64_t mem_buffer_bytes(const model_desc *d, const mem_config *c, enum mem_dev_kind kind, bool has_output);

/* Whether a device of this kind running layers [first, first + n_layers)
 * (and the head if head) holds tensor `name`, by the rules above: the CPU
 * reads its tensors in place from the mapping, a device holds a copy (a
 * tied head on a device: token_embd.weight is copied as the head).
 * mem_device_bytes()'s weights are the sum over the tensors this accepts. */
bool mem_tensor_held(const model_desc *d, const char *name, enum mem_dev_kind kind, uint32_t first, uint32_t n_layers,
                     bool head);

/* Everything a device holds when it runs layers [first, first + n_layers)
 * and, if head, the output head. For MEM_DEV_CPU the token embeddings are
 * included and the buffers always counted; a GPU that runs nothing holds
 * nothing. */
void mem_device_bytes(const mem_model *m, const mem_config *c, enum mem_dev_kind kind, uint32_t first,
                      uint32_t n_layers, bool head, mem_bytes *out);

/* The run's limits, defined here once: the config validates against them,
 * the planner plans within them, the engine and the CUDA stage refuse
 * anything outside (one message per limit, whatever the command). */
#define FC_N_CTX_MIN 16u            /* tokens of context */
#define FC_N_CTX_MAX (1u << 24)
#define FC_N_BATCH_MAX 8192u        /* tokens per forward call */
#define FC_N_THREADS_MAX 1024u      /* CPU threads */
/* The KV cache types (mem_kv_type_allowed), for messages. */
#define FC_KV_TYPE_NAMES "f32, f16, q8_0 or q4_0"

#endif
