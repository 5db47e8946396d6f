/* arch — what a GGUF file says about the model: architecture, hyper-
 * parameters per layer, and which tensors belong to which layer.
 *
 * model_desc_load() reads the `{arch}.*` keys (with per-layer arrays where
 * the architecture varies head counts or feed-forward sizes), derives the
 * dims the memory model and the engine need (head dims, GQA widths, sliding-
 * window layers and their RoPE base), and validates them (positive, head dims
 * consistent). It works for any architecture that uses the common keys, so
 * the planner can size any file; `arch_runnable` says whether the CPU engine
 * can execute it. A model_desc owns its arrays; free with model_desc_free().
 */
#ifndef FC_ARCH_H
#define FC_ARCH_H

#include <stdbool.h>
#include <stdint.h>

#include "../format/gguf.h"

enum rope_kind { ROPE_NORM = 0 /* adjacent pairs (2i, 2i+1) */, ROPE_NEOX = 1 /* pairs (i, i + n_rot/2) */ };

enum arch_id { ARCH_OTHER = 0, ARCH_LLAMA, ARCH_QWEN2, ARCH_QWEN3, ARCH_GEMMA2, ARCH_GEMMA3, ARCH_PHI3, ARCH_MIXTRAL_LIKE };

typedef struct model_desc {
    char arch[64];           /* general.architecture, e.g. "llama" */
    enum arch_id arch_id;
    char name[128];          /* general.name or "" */
    uint32_t n_layer;
    uint32_t n_embd;
    uint32_t n_vocab;
    uint32_t n_ctx_train;
    uint32_t n_head;         /* of layer 0 (see the per-layer arrays) */
    uint32_t n_head_kv;      /* of layer 0 */
    uint32_t n_ff;           /* of layer 0 */
    uint32_t head_dim_k;     /* key_length, else n_embd / n_head */
    uint32_t head_dim_v;     /* value_length, else n_embd / n_head */
    uint32_t n_rot;          /* rope.dimension_count, else head_dim_k */
    uint32_t *n_head_l;      /* [n_layer] */
    uint32_t *n_head_kv_l;   /* [n_layer] */
    uint32_t *n_ff_l;        /* [n_layer] */
    uint8_t *swa_l;          /* [n_layer] 1 = sliding-window layer */
    uint32_t n_swa;          /* window in tokens, 0 = none */
    float rope_base;         /* rope.freq_base, default 10000 */
    float rope_base_swa;     /* for sliding-window layers (Gemma 3: 10000) */
    float rope_scale_linear; /* 1 / rope.scaling.factor for linear scaling, else 1 */
    char rope_scaling[16];   /* "none", "linear", "yarn", ... */
    enum rope_kind rope_type;
    float norm_eps;          /* attention.layer_norm_rms_epsilon, default 1e-5 */
    uint32_t n_expert, n_expert_used;
    bool tied_output;        /* no output.weight: token_embd is the head */
} model_desc;

/* Reads the description; FC_EINPUT errors name the key and value. */
int model_desc_load(const gguf_file *f, model_desc *d, fc_err *err);
void model_desc_free(model_desc *d);

/* "blk.17.attn_q.weight" -> 17; -1 for tensors outside the layers. */
int model_tensor_layer(const char *tensor_name);

/* Whether the CPU engine can run this architecture: llama (and mistral),
 * qwen2, qwen3, gemma3, phi3; not with experts (MoE). */
bool arch_runnable(const model_desc *d);

/* KV row widths of layer il: n_head_kv_l[il] * head_dim_k (or _v). */
static inline uint64_t model_n_embd_k(const model_desc *d, uint32_t il) { return (uint64_t)d->n_head_kv_l[il] * d->head_dim_k; }
static inline uint64_t model_n_embd_v(const model_desc *d, uint32_t il) { return (uint64_t)d->n_head_kv_l[il] * d->head_dim_v; }

#endif
