/* engine — runs a model as the plan splits it: the first layers on the CPU
 * (cpu_stage.c), the last ones and the output head on GPUs (CUDA stages,
 * src/cuda/) or host-emulated GPUs, chained in plan order (stage.h). Token
 * embeddings are gathered on the CPU; the hidden state crosses to each
 * device once per forward call and the logits come back once.
 *
 * Memory: every stage allocates through the accounting allocator
 * (devmem.h) exactly what the memory model computes for its device: weights
 * (the CPU reads its own in place from the mapping), KV cache per layer,
 * work buffers. The allocation log holds every entry with its device; tests
 * and scripts/gpu-check.sh compare it to the plan. A device that runs out
 * of memory fails engine_new() with FC_ENOMEM and the numbers (the session
 * then retries with fewer GPU layers).
 *
 * The engine borrows the gguf_file and model_desc (they must outlive it).
 * Sequences: an engine holds n_seq KV caches (the server's slots; 1 for
 * the chat). engine_eval and engine_rewind work on sequence 0;
 * engine_eval_batch evaluates tokens of several sequences in one forward
 * pass (the weights read once for all of them), each token's arithmetic
 * independent of the batch it shares (batch invariance). Several sequences
 * run on the CPU and on emulated GPUs; the CUDA stage runs one.
 *
 * One engine is used by one thread at a time; it owns its thread pool.
 */
#ifndef FC_ENGINE_H
#define FC_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include "../plan/memory.h"
#include "../plan/workbuf.h"
#include "devmem.h"
#include "model.h"

/* One device of the plan: layers [first_layer, first_layer + n_layers), the
 * head on the last one that runs anything; a device with no layers and no
 * head is idle (holds nothing). Layers before the devices' run on the CPU.
 * Allocation log entries carry the index into dev[]. */
typedef struct fc_engine_device {
    enum mem_dev_kind kind;   /* MEM_DEV_GPU (CUDA) or MEM_DEV_EMULATED */
    int ordinal;              /* CUDA device ordinal (GPU) */
    char name[96];            /* for messages */
    uint32_t first_layer, n_layers;
    bool head;
    uint64_t cap;             /* emulated: the device's size; allocations past it fail */
} fc_engine_device;

typedef struct fc_engine_params {
    uint32_t n_ctx;       /* context length (KV rows per layer) of each sequence */
    uint32_t n_seq;       /* sequences, each with its own KV cache (0 means 1): the server's slots */
    uint32_t n_batch;     /* tokens per forward call */
    int n_threads;        /* >= 1 */
    uint32_t type_k;      /* KV types: GGML_TYPE_F32, F16, Q8_0 or Q4_0 */
    uint32_t type_v;
    bool flash;           /* tiled online-softmax attention */
    bool all_logits;      /* keep logits of every position (for comparisons) */
    bool exact;           /* float32 activations everywhere (slow; for reference checks) */
    uint32_t repack;      /* the CPU's repacked layouts (enum mem_repack: the plan's; 0 = none) */
    int n_dev;            /* devices running the last layers (0: all on the CPU) */
    fc_engine_device dev[GPU_MAX_DEVICES];
    /* called while weights upload to GPUs (may be NULL) */
    void (*progress)(void *ctx, const char *device, uint64_t done, uint64_t total);
    void *progress_ctx;
} fc_engine_params;

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

/* Several sequences in one forward pass: item i appends its n tokens to
 * sequence seq (at that sequence's n_past). Each sequence at most once per
 * call, n >= 1, all items together at most n_batch tokens. The last token
 * of each item with logits set gets its logits (engine_batch_logits). A
 * token's results do not depend on the other items of the call (batch
 * invariance): the same tokens alone give the same bits. FC_EINPUT for a
 * bad item (sequence, token id, context full). */
typedef struct fc_batch_item {
    int seq;
    const int32_t *tokens;
    int n;
    bool logits;
} fc_batch_item;
int engine_eval_batch(fc_engine *e, const fc_batch_item *items, int n_items, fc_err *err);
/* [n_vocab] logits of item i of the last engine_eval_batch (NULL if it did not ask). */
const float *engine_batch_logits(const fc_engine *e, int i);
int engine_n_seq(const fc_engine *e);
int engine_seq_n_past(const fc_engine *e, int seq);
/* engine_rewind for one sequence. */
void engine_seq_rewind(fc_engine *e, int seq, int n_past);

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
/* Bytes the CUDA context of device i cost (cudaMemGetInfo before / after
 * creating it); 0 for emulated devices. */
uint64_t engine_device_context_bytes(const fc_engine *e, int i);
/* Layers on the CPU (the rest are on the devices). */
uint32_t engine_cpu_layers(const fc_engine *e);
const fc_engine_params *engine_params(const fc_engine *e);

#endif
