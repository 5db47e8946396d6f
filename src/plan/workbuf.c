#include "workbuf.h"

#include <stddef.h>

static const char *NAMES[WB_COUNT] = {"x", "xb", "q", "k", "v", "att", "ff_gate", "ff_up", "act_q", "scores", "logits", "rope"};

const char *workbuf_name(int i) { return i >= 0 && i < WB_COUNT ? NAMES[i] : "?"; }

#define FLASH_TILE WORKBUF_FLASH_TILE

uint32_t workbuf_att_rows(const model_desc *d) {
    uint32_t g = 1;
    for (uint32_t il = 0; il < d->n_layer; il++) {
        uint32_t kv = d->n_head_kv_l[il] ? d->n_head_kv_l[il] : 1;
        uint32_t gl = (d->n_head_l[il] + kv - 1) / kv;
        if (gl > g) g = gl;
    }
    return g * WORKBUF_ATT_TOKENS;
}

uint64_t workbuf_flash_floats(const model_desc *d) {
    uint64_t r = workbuf_att_rows(d);
    uint64_t n = 3 * r + (uint64_t)WORKBUF_ATT_SCORE_ROWS * FLASH_TILE + (uint64_t)FLASH_TILE * (d->head_dim_k + d->head_dim_v);
    return (n + 15) / 16 * 16;
}

void workbuf_layout_compute(const model_desc *d, const workbuf_params *p, workbuf_layout *out) {
    uint64_t nb = p->n_batch ? p->n_batch : 1, f = sizeof(float);
    uint32_t max_head = 0, max_head_kv = 0, max_ff = 0;
    for (uint32_t il = 0; il < d->n_layer; il++) {
        if (d->n_head_l[il] > max_head) max_head = d->n_head_l[il];
        if (d->n_head_kv_l[il] > max_head_kv) max_head_kv = d->n_head_kv_l[il];
        if (d->n_ff_l[il] > max_ff) max_ff = d->n_ff_l[il];
    }
    uint64_t q_w = (uint64_t)max_head * d->head_dim_k, att_w = (uint64_t)max_head * d->head_dim_v;
    uint64_t widest = d->n_embd;
    if (max_ff > widest) widest = max_ff;
    if (att_w > widest) widest = att_w;
    widest = (widest + WORKBUF_ACT_Q8_ELEMS - 1) / WORKBUF_ACT_Q8_ELEMS * WORKBUF_ACT_Q8_ELEMS;
    for (int i = 0; i < WB_COUNT; i++) out->bytes[i] = 0;
    out->bytes[WB_X] = nb * d->n_embd * f;
    out->bytes[WB_XB] = nb * d->n_embd * f;
    out->bytes[WB_Q] = nb * q_w * f;
    out->bytes[WB_K] = nb * max_head_kv * d->head_dim_k * f;
    out->bytes[WB_V] = nb * max_head_kv * d->head_dim_v * f;
    out->bytes[WB_ATT] = nb * att_w * f;
    out->bytes[WB_FF_GATE] = nb * max_ff * f;
    out->bytes[WB_FF_UP] = nb * max_ff * f;
    /* Each token's row holds both quantized forms of one input: FC_ACT_Q8
     * (legacy quants, IQ4_NL) then FC_ACT_Q8K (K-quants, IQ4_XS), because
     * weights sharing an input may want different forms (llama.cpp's K-quant
     * mixes fall back to Q5_0/Q8_0 for some tensors). */
    out->act_q8k_offset = (widest / WORKBUF_ACT_Q8_ELEMS) * WORKBUF_ACT_Q8_BYTES;
    out->bytes[WB_ACT] = nb * (out->act_q8k_offset + (widest / WORKBUF_ACT_Q8K_ELEMS) * WORKBUF_ACT_Q8K_BYTES);
    if (p->cuda) out->bytes[WB_ACT] = 0;
    uint32_t nt = p->n_threads ? p->n_threads : 1;
    /* flash: per thread, tiles of keys, values and scores (workbuf_flash_floats);
     * plain attention materialises one query head's n_ctx scores per thread */
    if (p->cuda)
        out->bytes[WB_SCORES] = 0;
    else if (p->flash)
        out->bytes[WB_SCORES] = (uint64_t)nt * workbuf_flash_floats(d) * f;
    else
        out->bytes[WB_SCORES] = (uint64_t)nt * (p->n_ctx + d->head_dim_v + d->head_dim_k) * f;
    if (p->has_output) out->bytes[WB_LOGITS] = (uint64_t)(p->n_outputs ? p->n_outputs : 1) * d->n_vocab * f;
    if (p->device) out->bytes[WB_ROPE] = 2 * (uint64_t)(d->n_rot / 2) * sizeof(double);
    out->total = 0;
    for (int i = 0; i < WB_COUNT; i++) out->total += out->bytes[i];
}
