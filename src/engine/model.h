/* model — the weights of a runnable model, pointing straight into the
 * mmap'd GGUF (no copies: the file's blocks are the engine's blocks).
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
} fc_weight;

typedef struct fc_layer {
    const float *attn_norm;       /* (n_embd) */
    fc_weight wq;                 /* (n_head * head_dim_k) x n_embd */
    fc_weight wk;                 /* (n_head_kv * head_dim_k) x n_embd */
    fc_weight wv;                 /* (n_head_kv * head_dim_v) x n_embd */
    fc_weight wo;                 /* n_embd x (n_head * head_dim_v) */
    const float *ffn_norm;        /* (n_embd) */
    fc_weight w_gate;             /* n_ff x n_embd */
    fc_weight w_up;               /* n_ff x n_embd */
    fc_weight w_down;             /* n_embd x n_ff */
} fc_layer;

typedef struct fc_model {
    const gguf_file *file;
    const model_desc *desc;
    fc_weight tok_embd;           /* n_vocab rows of n_embd (gathered per token) */
    fc_layer *layers;             /* [n_layer] */
    const float *output_norm;     /* (n_embd) */
    fc_weight output;             /* n_vocab x n_embd (tok_embd when tied) */
    double *rope_inv_freq;        /* [n_rot / 2] base^(-2i/n_rot) * linear scale (double: angles reach 1e4 rad) */
} fc_model;

/* FC_EINPUT naming the architecture (or the feature) when the engine cannot
 * run the model; checks the description only, so callers can refuse a file
 * before loading a tokenizer or planning. */
int model_check_runnable(const model_desc *d, const char *path, fc_err *err);

int model_load(fc_model *m, const gguf_file *f, const model_desc *d, fc_err *err);
void model_free(fc_model *m);

#endif
