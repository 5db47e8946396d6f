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
 * Every stage allocates through its fc_devmem exactly what the memory model
 * says for its device (src/plan/memory.h): the tensors mem_tensor_held()
 * names, mem_kv_layer_{k,v}_bytes() per layer, and workbuf_layout_compute()
 * for its kind. Three implementations share this contract:
 *   cpu_stage   (cpu_stage.c)  the CPU forward pass; weights in the mapping;
 *   emulated    (cpu_stage.c)  the same code, but weights copied into and KV
 *                              and buffers allocated from a capped host
 *                              arena: a GPU without CUDA, for tests;
 *   cuda_stage  (src/cuda/)    CUDA kernels on one GPU.
 */
#ifndef FC_STAGE_H
#define FC_STAGE_H

#include <stdbool.h>
#include <stdint.h>

#include "../plan/memory.h"
#include "../plan/workbuf.h"
#include "devmem.h"
#include "model.h"

typedef struct fc_stage_desc {
    const gguf_file *file;
    const model_desc *d;
    const fc_model *model;      /* host model: every pointer into the mapping / host tables */
    enum mem_dev_kind kind;     /* MEM_DEV_CPU, MEM_DEV_EMULATED or MEM_DEV_GPU */
    uint32_t first, n_layers;   /* layers this stage runs */
    bool head;                  /* runs output_norm + output (+ softcap) */
    uint32_t n_ctx, n_batch;
    uint32_t type_k, type_v;    /* KV: GGML_TYPE_F32, F16, Q8_0, Q4_0 */
    bool flash;                 /* online-softmax attention (GPU stages always use it) */
    bool exact;                 /* float activations (CPU code only) */
    int n_threads;              /* CPU and emulated stages */
    uint32_t n_outputs;         /* logit rows the head keeps per call: 1, or n_batch */
} fc_stage_desc;

/* The work-buffer parameters of a stage (what workbuf_layout_compute gets). */
workbuf_params stage_workbuf_params(const fc_stage_desc *sd);

/* Copies the tensors a device stage holds (mem_tensor_held) into m, and
 * fills *view with sd->model's description whose weight, bias and norm
 * pointers of layers [first, first + n_layers) and of the head point at the
 * copies (other layers are zeroed). Fused views (phi3) keep their offsets
 * into the copied tensor. The RoPE tables stay host pointers. */
int stage_upload_weights(const fc_stage_desc *sd, fc_devmem *m, fc_model *view, fc_err *err);
void stage_view_free(fc_model *view);

/* ---- CPU and emulated stages (cpu_stage.c) -------------------------------- */

typedef struct fc_cpu_stage fc_cpu_stage;
struct fc_pool;

/* kind MEM_DEV_CPU: weights used in place (logged as mapped);
 * MEM_DEV_EMULATED: weights copied into m. pool is shared, borrowed. */
fc_cpu_stage *cpu_stage_new(const fc_stage_desc *sd, fc_devmem *m, struct fc_pool *pool, fc_err *err);
void cpu_stage_free(fc_cpu_stage *s);

/* The stage's (n_batch, n_embd) residual buffer: the CPU stage's is where
 * the engine gathers the embeddings and where every stage's output lands. */
float *cpu_stage_x(fc_cpu_stage *s);
/* The stage's logits buffer ((n_outputs, n_vocab)), NULL unless head. */
float *cpu_stage_logits(fc_cpu_stage *s);

/* Runs the stage's layers over x (n_tok rows of n_embd, host memory; the
 * stage's output replaces them). When the stage has the head, the logits of
 * rows [out_first, out_first + n_out) go to logits ((n_out, n_vocab)). */
int cpu_stage_eval(fc_cpu_stage *s, float *x, int n_tok, int pos0, int out_first, int n_out, float *logits,
                   fc_err *err);

#endif
