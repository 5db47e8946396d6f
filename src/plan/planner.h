/* planner — the policy: which layers go to which GPU, with which KV type
 * and context, and why. Sizes come only from memory.h.
 *
 * Policy (docs/plan.md has the user-facing version):
 * - budget per GPU = min(target × total − used by others, free − PLAN_SAFETY_RESERVE)
 *   − vram_reserve, never below 0;
 * - the output head goes first, then layers from the last one backwards,
 *   while they fit (so a forward pass crosses CPU -> GPU once);
 * - several GPUs: the offloaded layers are split into contiguous ranges in
 *   device order in proportion to each GPU's room (budget − fixed cost −
 *   buffers − the head on the last GPU); if that split overflows one GPU,
 *   the ranges are packed greedily from the last GPU instead. The head
 *   goes on the last GPU with a budget unless an earlier one holds more
 *   layers with it (the GPUs after the head's get nothing). The layer
 *   count chosen is the largest any contiguous split can hold (maximal);
 * - LAYERS = N is honoured exactly (N > n_layer means all); if it does not
 *   fit, a warning gives the numbers and the largest N that fits;
 * - "auto" values (PLAN_AUTO) are decided, explicit values never changed:
 *   KV type auto = the least compressed of f16, q8_0, q4_0 that puts the
 *   most layers on the GPU, among the types whose recorded quality cost
 *   (plan_kv_cost) is at most PLAN_KV_AUTO_MAX_KL; n_ctx auto = the largest context (multiple of
 *   256, or the cap) up to min(trained, n_ctx_max) that keeps the wanted
 *   layers on the GPU, never below min(n_ctx_min, trained); flash auto = on;
 * - no GPU: every layer on the CPU, one reason line, never an error.
 *
 * plan_result is plain data (no heap), safe to copy. Pure, thread-safe.
 */
#ifndef FC_PLANNER_H
#define FC_PLANNER_H

#include <stdbool.h>
#include <stdint.h>

#include "gpuinfo.h"
#include "memory.h"

#define PLAN_AUTO (-1)
#define PLAN_SAFETY_RESERVE ((uint64_t)128 << 20) /* kept free on every GPU besides the target */
#define PLAN_N_CTX_DEFAULT_CAP 4096u              /* N_CTX unset: trained context capped here */
#define PLAN_N_CTX_MIN_DEFAULT 4096u
#define PLAN_N_CTX_MAX_DEFAULT 32768u
#define PLAN_N_CTX_LIMIT FC_N_CTX_MAX
#define PLAN_N_BATCH_DEFAULT 512u
#define PLAN_N_SEQ_AUTO_MAX 4u
#define PLAN_MAX_LINES 24
#define PLAN_LINE 320

/* What a KV cache type costs in quality, as recorded: the mean KL
 * divergence (nats per token) of the next-token distribution from f16's,
 * teacher-forced on the first 1024 tokens of GPL-3, the worse of
 * SmolLM2-135M and Gemma 3 270M (tests/kvquality.test.sh measures it and
 * fails above its per-model bounds; BENCHMARKS.md has the table). */
#define PLAN_KV_KL_Q8_0 0.008
#define PLAN_KV_KL_Q4_0 0.112
/* KV_CACHE_QUANT auto never takes a type that costs more than this: about
 * what llama.cpp's q4_0 KV costs on Gemma 3 270M (0.139). fitchat's q4_0
 * without the rotation (0.23 on SmolLM2) would be over it. */
#define PLAN_KV_AUTO_MAX_KL 0.15

typedef struct plan_params {
    int32_t layers;        /* LAYERS / -ngl: PLAN_AUTO, or N >= 0 (N > n_layer = all) */
    double target;         /* TARGET_VRAM_USAGE / --target: 0 < x <= 1 (default 0.8) */
    int32_t type_k;        /* KV_CACHE_QUANT / -ctk: GGML_TYPE_F32/F16/Q8_0/Q4_0 or PLAN_AUTO */
    int32_t type_v;        /* KV_CACHE_QUANT / -ctv: same */
    bool kv_default;       /* type_k / type_v are the defaults, not the user's choice (for the reasons) */
    int64_t n_ctx;         /* N_CTX / -c: 0 = default, PLAN_AUTO, or tokens (1..2^24) */
    uint32_t n_ctx_min;    /* N_CTX_MIN (auto context floor), default 4096 */
    uint32_t n_ctx_max;    /* N_CTX_MAX (auto context cap), default 32768 */
    int32_t flash;         /* FLASH_ATTN / -fa: PLAN_AUTO, 0 off, 1 on */
    uint64_t vram_reserve; /* VRAM_RESERVE / --vram-reserve: bytes left free on each GPU */
    uint32_t n_batch;      /* -b: tokens per forward call (default 512) */
    int64_t fixed_cost;    /* --fixed-cost: bytes per GPU, or -1 for MEM_CUDA_FIXED_COST */
    uint32_t n_threads;    /* CPU threads (sizes the CPU's scratch), 0 = 1 */
    bool all_logits;       /* the engine keeps every position's logits (n_batch rows, not 1) */
    int32_t n_seq;         /* N_PARALLEL / -np (fitchat serve): sequences with a KV cache each (1..FC_N_SEQ_MAX),
                            * or PLAN_AUTO: as many as PLAN_N_SEQ_AUTO_MAX that keep the layers one would put on
                            * the GPUs there and leave half the host memory free */
    uint32_t repack;       /* REPACK: the CPU's repacked layouts (enum mem_repack, the engine's
                            * quant_repack_set()), MEM_REPACK_OFF when off */
    bool repack_auto;      /* REPACK auto: the planner turns the copy off (with a reason) where the host's
                            * available memory cannot hold it, the CPU's mapped weights and the rest */
} plan_params;

typedef struct plan_device {
    int gpu;               /* index into the inventory's dev[] */
    enum mem_dev_kind kind;/* MEM_DEV_GPU or MEM_DEV_EMULATED */
    uint64_t budget;       /* bytes this plan may use */
    uint32_t first_layer;  /* layers [first_layer, first_layer + n_layers) */
    uint32_t n_layers;
    bool head;             /* holds the output head and final norm */
    mem_bytes bytes;       /* what the engine allocates here */
    int64_t headroom;      /* budget - bytes.total; < 0 only when LAYERS=N was forced */
} plan_device;

typedef struct plan_result {
    uint32_t n_layer;
    uint32_t n_gpu_layers;     /* layers on GPUs: the last n_gpu_layers of the model */
    bool head_on_gpu;
    int n_dev;                 /* == inventory n */
    plan_device dev[GPU_MAX_DEVICES];
    mem_bytes cpu;             /* the CPU side: embeddings, CPU layers, their KV, buffers */
    uint32_t cpu_layers;       /* layers [0, cpu_layers) on the CPU */
    mem_config cfg;            /* chosen n_ctx, KV types, flash, n_batch, fixed cost */
    int32_t max_fit;           /* the most layers the GPUs can hold with this config */
    bool over_budget;          /* LAYERS=N forced past a budget */
    int n_reasons, n_warnings;
    char reasons[PLAN_MAX_LINES][PLAN_LINE];  /* one line per decision */
    char warnings[PLAN_MAX_LINES][PLAN_LINE];
} plan_result;

/* The recorded quality cost of a KV type (PLAN_KV_KL_*; 0 for f16 and
 * f32), or -1 for a type that is not a KV type. */
double plan_kv_cost(uint32_t type);

/* Defaults: everything auto except target 0.8, KV f16, n_ctx default,
 * flash auto, n_batch 512, fixed cost the constant. */
void plan_params_default(plan_params *p);

/* FC_EINPUT naming the key and flag, the value and the allowed range. */
int plan_params_validate(const plan_params *p, fc_err *err);

/* Budget of GPU g under p (see the policy above). */
uint64_t plan_budget(const gpu_device *g, const plan_params *p);

/* Plans model m on the GPUs of inv (n may be 0), and the host: the CPU
 * side's allocations (KV of CPU layers, buffers, emulated GPUs; not the
 * mapped weights) must fit in inv->host_avail when that is known. An
 * explicit N_CTX that does not fit is FC_EINPUT; an unset or auto one
 * shrinks to the largest multiple of 256 that fits. FC_EINPUT for invalid
 * params or a KV type the model's rows cannot use. */
int plan_compute(const mem_model *m, const gpu_inventory *inv, const plan_params *p, plan_result *r, fc_err *err);

/* Where layer il runs: index into r->dev, or -1 for the CPU. */
int plan_layer_device(const plan_result *r, uint32_t il);

/* Host memory the plan allocates (see plan_compute). */
uint64_t plan_host_need(const plan_result *r);

/* Bytes on all GPUs together. */
uint64_t plan_gpu_total(const plan_result *r);

#endif
