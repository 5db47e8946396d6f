/* sampler — picks the next token from logits.
 *
 * Order (as llama.cpp's default chain): repetition penalty over the last
 * `repeat_last_n` tokens, then greedy if temperature <= 0, else top-k,
 * top-p, min-p, temperature, and a draw from the remaining distribution with
 * a seeded xoshiro256** generator (same seed, same logits: same tokens).
 * A sampler owns its scratch buffers; one thread at a time.
 */
#ifndef FC_SAMPLER_H
#define FC_SAMPLER_H

#include <stdint.h>

typedef struct fc_sampler_params {
    float temperature;     /* <= 0: greedy */
    int top_k;             /* <= 0: off */
    float top_p;           /* >= 1: off */
    float min_p;           /* <= 0: off */
    float repeat_penalty;  /* 1: off */
    int repeat_last_n;     /* window of recent tokens the penalty looks at */
    uint64_t seed;
} fc_sampler_params;

typedef struct fc_sampler fc_sampler;

fc_sampler *sampler_new(const fc_sampler_params *p, int n_vocab);
void sampler_free(fc_sampler *s);
/* Samples from logits[n_vocab] (not modified), given the recent tokens. */
int32_t sampler_sample(fc_sampler *s, const float *logits, const int32_t *recent, int n_recent);
/* Index of the largest logit (ties: the lowest index). */
int32_t sampler_argmax(const float *logits, int n_vocab);

#endif
