/* engine — runs a model on the CPU: the KV cache, the work buffers and the
 * forward pass over a batch of tokens.
 *
 * Memory: the engine allocates exactly what the memory model computes: KV
 * cache per layer (n_ctx rows of n_head_kv * head_dim in type_k / type_v) and
 * the work buffers of workbuf_layout_compute(); weights stay in the mapping.
 * Every allocation is recorded in the allocation log, which tests compare to
 * the plan.
 *
 * The engine borrows the gguf_file and model_desc (they must outlive it).
 * One engine is used by one thread at a time; it owns its thread pool.
 */
#ifndef FC_ENGINE_H
#define FC_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include "../plan/workbuf.h"
#include "model.h"

typedef struct fc_engine_params {
    uint32_t n_ctx;       /* context length (KV rows per layer) */
    uint32_t n_batch;     /* tokens per forward call */
    int n_threads;        /* >= 1 */
    uint32_t type_k;      /* KV types: GGML_TYPE_F32, F16, Q8_0 or Q4_0 */
    uint32_t type_v;
    bool flash;           /* tiled online-softmax attention */
    bool all_logits;      /* keep logits of every position (for comparisons) */
    bool exact;           /* float32 activations everywhere (slow; for reference checks) */
} fc_engine_params;

enum fc_alloc_kind { ALLOC_WEIGHTS_MAPPED = 0, ALLOC_KV = 1, ALLOC_BUFFER = 2 };

typedef struct fc_alloc_entry {
    enum fc_alloc_kind kind;
    int layer;            /* -1 outside layers */
    const char *what;     /* "k", "v", buffer name, tensor name */
    uint64_t bytes;
} fc_alloc_entry;

typedef struct fc_alloc_log {
    fc_alloc_entry *entries;
    int n;
    uint64_t total[3];    /* per kind */
} fc_alloc_log;

typedef struct fc_engine fc_engine;

/* Validates params (names the bad one, FC_EINPUT) and allocates. */
fc_engine *engine_new(const gguf_file *f, const model_desc *d, const fc_engine_params *p, fc_err *err);
void engine_free(fc_engine *e);

/* Appends n tokens at position n_past and runs them through the model.
 * logits_out: NULL, or room for n * n_vocab floats receiving every
 * position's logits (needs all_logits). Afterwards engine_logits() gives the
 * last token's logits. FC_EINPUT when the context would overflow or a token
 * id is out of range. */
int engine_eval(fc_engine *e, const int32_t *tokens, int n, float *logits_out, fc_err *err);

const float *engine_logits(const fc_engine *e);   /* [n_vocab] of the last token evaluated */
int engine_n_past(const fc_engine *e);
int engine_n_ctx(const fc_engine *e);
int engine_n_vocab(const fc_engine *e);
/* Forgets positions >= n_past (0 clears the conversation). On a model with
 * sliding-window layers (their KV is a ring of the window) going back more
 * than one position, once the ring has wrapped, loses the window before
 * n_past: it starts over at 0. Callers read engine_n_past() afterwards. */
void engine_rewind(fc_engine *e, int n_past);
const fc_alloc_log *engine_alloc_log(const fc_engine *e);
const fc_engine_params *engine_params(const fc_engine *e);

#endif
