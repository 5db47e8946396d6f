/* memory — the memory model: every byte the engine will hold on a device,
 * listed item by item in one manifest that the planner sums and the engine
 * allocates (DESIGN.md, "The memory model").
 *
 * The allocation manifest (mem_manifest) is the one place that says what a
 * device holds when it runs layers [first, first + n_layers) and maybe the
 * head. Each item has a kind (weights, KV keys, KV values, work buffer,
 * fixed cost), a layer, a name and its bytes, in the order the engine
 * allocates them. mem_device_bytes() and the planner's per-layer and
 * per-device sums add its items up; each engine stage allocates by walking
 * the same manifest through its device's allocator (stage_allocate,
 * src/engine/stage.h), so the allocation log equals the plan by
 * construction; `fitchat plan --json --items` prints it.
 *
 * What goes where:
 * - weights of layer N = the exact bytes of the tensors "blk.N.*" (from the
 *   GGUF tensor table, never file size / layer count); the CPU reads its
 *   weights in place from the mapping (items marked mapped), a device holds
 *   copies;
 * - token embeddings (token_embd.weight) always stay on the CPU (a row
 *   gather); the output head (output.weight, or token_embd.weight when the
 *   embeddings are tied: then a device gets a copy) travels with the final
 *   norm (output_norm.*); other tensors outside the layers (e.g. Llama 3's
 *   rope_freqs) are "shared": on every device that runs a layer;
 * - KV cache of layer N = n_seq × n_ctx_layer × (row of n_head_kv ×
 *   head_dim_k in type_k + row of n_head_kv × head_dim_v in type_v),
 *   n_ctx_layer capped at the window on sliding-window layers, n_seq the
 *   sequences (the server's slots) each with its own cache;
 * - work buffers: workbuf_layout_compute() (src/plan/workbuf.h) for the
 *   device's kind; the CPU always has them (it gathers the embeddings, and
 *   the logits come back to it), a GPU only when it runs a layer or the
 *   head; devices also hold the RoPE tables (WB_ROPE);
 * - a fixed cost per GPU that runs anything (CUDA context, cuBLAS
 *   workspace): measured (mem_cuda_fixed_cost) or MEM_CUDA_FIXED_COST;
 *   created with the device, not allocated by a stage. Emulated devices
 *   (host memory pretending to be a GPU) have no fixed cost;
 * - repacked weights (CPU only): layer matrices of a type the prompt path of
 *   the CPU's kernels reads faster in an interleaved layout (mem_repack_bytes:
 *   which tensors, and their exact bytes, for the layout set mem_config.repack)
 *   get a copy in that layout in host memory, made at load; generation keeps
 *   reading the mapped file. One item per repacked tensor, after the weights.
 *
 * A mem_model is built once per file (it owns its arrays and borrows the
 * file); everything else is pure and thread-safe. Errors: FC_EINPUT naming
 * the tensor or type.
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
#include "workbuf.h"

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

/* What a tensor is to the memory model (mem_tensor_role). */
enum mem_role { MEM_ROLE_LAYER, MEM_ROLE_EMBD, MEM_ROLE_OUTPUT, MEM_ROLE_OUTPUT_NORM, MEM_ROLE_SHARED };

typedef struct mem_model {
    const model_desc *d;      /* borrowed; must outlive the mem_model */
    const gguf_file *file;    /* borrowed; must outlive the mem_model */
    uint32_t n_layer;
    uint8_t *role;            /* [file->n_tensors] enum mem_role of each tensor */
    /* sums over the roles (the manifest of one device holding everything) */
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
    uint32_t n_ctx;       /* context length in tokens (before SWA capping), per sequence */
    uint32_t n_seq;       /* sequences with a KV cache each (the server's slots); 0 means 1 */
    uint32_t n_batch;     /* tokens per forward call */
    uint32_t type_k;      /* KV key type: GGML_TYPE_F32, F16, Q8_0 or Q4_0 */
    uint32_t type_v;      /* KV value type, same set */
    bool flash;           /* tiled attention (no n_ctx score rows) */
    uint32_t n_threads;   /* CPU threads (per-thread scratch in the CPU buffers) */
    uint32_t n_outputs;   /* logit rows kept per call: 0 or 1 normally, n_batch to keep every position's */
    uint64_t fixed_cost;  /* per GPU device that runs anything */
    uint32_t repack;      /* the CPU's repacked layouts (enum mem_repack); MEM_REPACK_OFF: none */
} mem_config;

/* The repacked layouts an instruction set's prompt kernels read (the engine
 * says which one its CPU runs: quant_repack_set(), src/engine/quant.h; the
 * REPACK setting turns it off). One set so far, read by the AVX2, AVX-512
 * and AMX tiles alike. */
enum mem_repack {
    MEM_REPACK_OFF = 0,
    MEM_REPACK_X8 = 1, /* 8 rows interleaved: Q4_K, Q5_K, Q6_K, IQ4_XS: MEM_REPACK_*_X8_BYTES per 8 rows x 256
                        * values; Q5_0, Q5_1, Q8_0, Q4_0, Q4_1, IQ4_NL: per 8 rows x 32 values */
};
#define MEM_REPACK_X8_ROWS 8u
#define MEM_REPACK_Q4_K_X8_BYTES 1280u
#define MEM_REPACK_Q5_K_X8_BYTES 1536u
#define MEM_REPACK_Q6_K_X8_BYTES 2464u
#define MEM_REPACK_Q5_0_X8_BYTES 288u
#define MEM_REPACK_Q5_1_X8_BYTES 320u
#define MEM_REPACK_Q8_0_X8_BYTES 288u
#define MEM_REPACK_Q4_0_X8_BYTES 160u
#define MEM_REPACK_Q4_1_X8_BYTES 192u
#define MEM_REPACK_IQ4_NL_X8_BYTES 160u
#define MEM_REPACK_IQ4_XS_X8_BYTES 1184u

/* Bytes of the repacked copy of a (n_rows x n_in) matrix of ggml type `type`
 * under layout set `repack`, 0 when it is not repacked (another type, a
 * shape the layout does not cover, MEM_REPACK_OFF). Rows past the last whole
 * group of the layout are not copied (the kernels read them from the file). */
uint64_t mem_repack_bytes(uint32_t repack, uint32_t type, int64_t n_in, int64_t n_rows);
/* Whether a tensor is repacked on the CPU under `repack`: a layer matrix
 * (role MEM_ROLE_LAYER, 2 dimensions) with mem_repack_bytes > 0. */
uint64_t mem_tensor_repack_bytes(const gguf_tensor *t, enum mem_role role, uint32_t repack);

/* Bytes on one device, split the way the plan prints and the engine logs. */
typedef struct mem_bytes {
    uint64_t weights;     /* layer weights + head/norm + shared (+ token_embd on the CPU) */
    uint64_t kv;          /* KV cache of the device's layers */
    uint64_t buffers;     /* workbuf_layout total */
    uint64_t fixed;       /* fixed per-device cost */
    uint64_t repacked;    /* repacked weight copies (CPU only) */
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
 * computes the logits): the sum of its manifest's buffer items. */
uint64_t mem_buffer_bytes(const model_desc *d, const mem_config *c, enum mem_dev_kind kind, bool has_output);

/* The role of a tensor by its name; *layer gets N for "blk.N.*", else -1. */
enum mem_role mem_tensor_role(const char *name, int *layer);

/* Whether a device of this kind running layers [first, first + n_layers)
 * (and the head if head) holds tensor `name`, by the rules above: the CPU
 * reads its tensors in place from the mapping, a device holds a copy (a
 * tied head on a device: token_embd.weight is copied as the head).
 * mem_device_bytes()'s weights are the sum over the tensors this accepts. */
bool mem_tensor_held(const model_desc *d, const char *name, enum mem_dev_kind kind, uint32_t first, uint32_t n_layers,
                     bool head);

/* Everything a device holds when it runs layers [first, first + n_layers)
 * and, if head, the output head: the sums of mem_manifest()'s items by kind
 * (mapped weights included in weights). */
void mem_device_bytes(const mem_model *m, const mem_config *c, enum mem_dev_kind kind, uint32_t first,
                      uint32_t n_layers, bool head, mem_bytes *out);

/* ---- the allocation manifest -------------------------------------------- */

enum mem_item_kind { MEM_ITEM_WEIGHTS, MEM_ITEM_KV_K, MEM_ITEM_KV_V, MEM_ITEM_BUFFER, MEM_ITEM_FIXED, MEM_ITEM_REPACKED };

typedef struct mem_item {
    enum mem_item_kind kind;
    int layer;            /* -1 outside the layers */
    const char *name;     /* the tensor's name (the file's; a repacked copy's too), "k", "v", workbuf_name(), "CUDA context" */
    uint64_t bytes;
    bool mapped;          /* weights the CPU reads in place: logged, not allocated */
    enum mem_role role;   /* weights: what the tensor is */
    int64_t tensor;       /* weights, repacked: index in the file's tensor table; else -1 */
    int wb;               /* buffers: the WB_* index; else -1 */
} mem_item;

/* Called for each item in allocation order; a non-zero return stops the
 * walk and is returned by mem_manifest. */
typedef int (*mem_item_fn)(void *ctx, const mem_item *it);

/* The items of a device of this kind running layers [first, first +
 * n_layers) and, if head, the output head: the weights in the file's
 * tensor order, then (CPU) the repacked copies in the same order, then "k"
 * and "v" of each layer, then the work buffers in
 * WB_* order, then the fixed cost (GPU only). A GPU that runs nothing has
 * no items; the CPU always has its embeddings and buffers. The range is
 * clamped to the model. Returns 0 or fn's first non-zero return. */
int mem_manifest(const mem_model *m, const mem_config *c, enum mem_dev_kind kind, uint32_t first, uint32_t n_layers,
                 bool head, mem_item_fn fn, void *ctx);

/* The work-buffer parameters of a device of this kind (has_output: it
 * computes the logits): the one conversion from a mem_config. */
workbuf_params mem_workbuf_params(const mem_config *c, enum mem_dev_kind kind, bool has_output);

/* Sequences (c->n_seq, at least 1) and logit rows per call (n_outputs,
 * at least one per sequence). */
uint32_t mem_n_seq(const mem_config *c);
uint32_t mem_n_outputs(const mem_config *c);

/* "weights", "kv k", "kv v", "buffer", "fixed", "repacked". */
const char *mem_item_kind_name(enum mem_item_kind k);

/* The run's limits, defined here once: the config validates against them,
 * the planner plans within them, the engine and the CUDA stage refuse
 * anything outside (one message per limit, whatever the command). */
#define FC_N_CTX_MIN 16u            /* tokens of context */
#define FC_N_CTX_MAX (1u << 24)
#define FC_N_BATCH_MAX 8192u        /* tokens per forward call */
#define FC_N_THREADS_MAX 1024u      /* CPU threads */
#define FC_N_SEQ_MAX 64u            /* sequences with their own KV cache (the server's slots) */
/* The KV cache types (mem_kv_type_allowed), for messages. */
#define FC_KV_TYPE_NAMES "f32, f16, q8_0 or q4_0"

#endif
