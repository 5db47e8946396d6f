/* model — the weights of a runnable model, pointing straight into the
 * mmap'd GGUF (no copies: the file's blocks are the engine's blocks).
 *
 * One layer description serves every runnable architecture: what an
 * architecture adds to the llama layer is data here (a norm pointer that is
 * NULL where the architecture has none, a bias, a window, a RoPE table, the
 * feed-forward activation), never an arch test in the forward pass. Fused
 * tensors (phi3's attn_qkv, its gate+up ffn_up) are split at load into row
 * views, so the forward pass sees separate Q/K/V and gate/up weights.
 *
 * model_load() checks that the architecture and every tensor's type and
 * shape are ones the CPU engine can run, naming the first one it cannot
 * (FC_EINPUT). The model borrows the gguf_file and model_desc: both must
 * outlive it. Immutable after load; thread-safe to read.
 */
#ifndef FC_MODEL_H
#define FC_MODEL_H

#include "../format/gguf.h"
#include "../model/arch.h"
#include "quant.h"

typedef struct fc_weight {
    const void *data;             /* rows of type `type`, row-major, in the mapping */
    const quant_traits *q;        /* kernels for this type */
    int64_t n_in, n_out;          /* ne[0] (row length), ne[1] (rows) */
    size_t row_bytes;
    const char *name;
    const float *bias;            /* (n_out) F32 `.bias` tensor added to the product, or NULL */
    /* the CPU stage's repacked copy (stage_repacked_view, quant.h): rows
     * [0, rp_rows) in groups of rp_group, rp_group_bytes apart, read by
     * rp_tile in prompts; NULL: none */
    const void *rp;
    int64_t rp_rows;
    int rp_group;
    size_t rp_group_bytes;
    quant_rtile_fn rp_tile;
} fc_weight;

enum fc_ffn_act {
    FFN_SILU = 0,                 /* silu(gate) * up (SwiGLU: llama, qwen, phi3) */
    FFN_GELU_TANH = 1,            /* gelu_tanh(gate) * up (GeGLU: gemma) */
};

typedef struct fc_layer {
    const float *attn_norm;       /* (n_embd) */
    fc_weight wq;                 /* (n_head * head_dim_k) x n_embd; rows of attn_qkv when fused */
    fc_weight wk;                 /* (n_head_kv * head_dim_k) x n_embd */
    fc_weight wv;                 /* (n_head_kv * head_dim_v) x n_embd */
    const float *q_norm, *k_norm; /* (head_dim_k) RMSNorm of each head before RoPE (qwen3, gemma3), or NULL */
    fc_weight wo;                 /* n_embd x (n_head * head_dim_v) */
    const float *attn_post_norm;  /* (n_embd) RMSNorm of the attention output before the residual add (gemma3), or NULL */
    const float *ffn_norm;        /* (n_embd) */
    fc_weight w_gate;             /* n_ff x n_embd; the first n_ff rows of ffn_up when fused */
    fc_weight w_up;               /* n_ff x n_embd */
    fc_weight w_down;             /* n_embd x n_ff */
    const float *ffn_post_norm;   /* (n_embd) RMSNorm of the feed-forward output before the residual add, or NULL */
    const double *rope_inv_freq;  /* [n_rot / 2] this layer's RoPE table (sliding-window layers: the local base) */
    uint32_t n_window;            /* attends to the last n_window positions (itself included); 0 = all */
} fc_layer;

typedef struct fc_model {
    const gguf_file *file;
    const model_desc *desc;
    fc_weight tok_embd;           /* n_vocab rows of n_embd (gathered per token) */
    fc_layer *layers;             /* [n_layer] */
    const float *output_norm;     /* (n_embd) */
    fc_weight output;             /* n_vocab x n_embd (tok_embd when tied) */
    double *rope_inv_freq;        /* [n_rot / 2] base^(-2i/n_rot) * linear scale / rope_freqs[i] (Llama 3.1; double: angles reach 1e4 rad) */
    double *rope_inv_freq_swa;    /* [n_rot / 2] same for sliding-window layers (rope_base_swa; gemma3: no scale, no factors) */
    enum fc_ffn_act ffn_act;
    float embd_scale;             /* token embeddings are multiplied by this (gemma: sqrt(n_embd)), else 1 */
    float attn_scale;             /* attention scores are q.k times this, 1/sqrt(head_dim) unless the arch says otherwise */
    float logit_softcap;          /* logits = c * tanh(logits / c) when > 0 ({arch}.final_logit_softcapping) */
} fc_model;

/* FC_EINPUT naming the architecture (or the feature) when the engine cannot
 * run the model; checks the description only, so callers can refuse a file
 * before loading a tokenizer or planning. */
int model_check_runnable(const model_desc *d, const char *path, fc_err *err);

int model_load(fc_model *m, const gguf_file *f, const model_desc *d, fc_err *err);
void model_free(fc_model *m);

#endif
