/* fixtures — header-only GGUF files shaped like real published models,
 * written with gguf_write (tensor data left as holes: true file size, a few
 * KB of disk). Shapes are the models' published configs (config.json on
 * their model cards); the type mixes follow llama.cpp's quantizer rules.
 *
 * Tests must derive their expected numbers from the published config in the
 * test itself, not from these tables or the code under test.
 */
#ifndef FC_FIXTURES_H
#define FC_FIXTURES_H

#include <stdbool.h>
#include <stdint.h>

#include "../../src/util/err.h"

enum fx_mix {
    FX_MIX_UNIFORM = 0, /* every 2-D weight type_main, output type_out, token_embd type_embd */
    FX_MIX_Q4_K_M,      /* llama.cpp Q4_K_M: Q4_K, with Q6_K for attn_v and ffn_down on the
                           "use_more_bits" layers and for output.weight */
};

typedef struct fx_shape {
    const char *name;      /* "mistral-7b-v0.1-q4_k_m" */
    const char *arch;      /* general.architecture */
    uint32_t n_layer, n_embd, n_head, n_head_kv, head_dim, n_ff, n_vocab, n_ctx_train;
    uint32_t n_swa;        /* sliding window (gemma3: 5 local layers, 1 global) */
    uint32_t n_expert, n_expert_used;
    bool tied;             /* no output.weight */
    bool qkv_bias;         /* qwen2 */
    bool gemma_norms;      /* q/k norms and post-attention / post-ffn norms */
    bool rope_freqs;       /* llama 3.1: rope_freqs.weight [head_dim / 2] */
    enum fx_mix mix;
    uint32_t type_main, type_embd, type_out;
} fx_shape;

extern const fx_shape FX_LLAMA2_7B, FX_MISTRAL_7B, FX_LLAMA31_8B, FX_QWEN25_7B, FX_GEMMA3_12B, FX_MIXTRAL_8X7B;
extern const fx_shape *const FX_ALL[];
extern const int FX_N_ALL;

const fx_shape *fx_find(const char *name);

/* Writes the fixture to path; *size gets its size. */
int fx_write(const fx_shape *s, const char *path, uint64_t *size, fc_err *err);

#endif
