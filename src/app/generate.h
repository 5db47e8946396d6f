/* generate — the one token loop: every front end (the chat, fitchat run, the
 * server) generates through session_generate(), or through its steps
 * (gen_begin / gen_next / gen_accept / gen_end) where a scheduler
 * interleaves several replies (src/serve/sched.h); both apply the same
 * stop rules, in one place (gen_next).
 *
 * Given an engine whose KV cache holds hist->ids[0..hist->n) and whose
 * logits are those of the last of them, it samples, streams and evaluates
 * token after token until one of the stop rules ends the reply:
 *   - an end-of-generation token (tok_is_eog: every eos / eot / eom / end of
 *     turn the model declares), when stop_at_eog; it is neither emitted nor
 *     evaluated;
 *   - a stop string in the text (the template's end-of-turn markers): the
 *     text ends before it;
 *   - max_tokens tokens generated (the last one is emitted, not evaluated);
 *   - the context full (the last token is emitted, not evaluated);
 *   - *interrupt set (Ctrl-C; a client gone).
 * Text goes out through a txt_stream (src/text/stream.h): valid UTF-8,
 * never part of a stop string. Every evaluated token is appended to hist,
 * so hist stays equal to what the cache holds.
 *
 * One thread at a time per engine; no global state.
 */
#ifndef FC_GENERATE_H
#define FC_GENERATE_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "../engine/engine.h"
#include "../engine/sampler.h"
#include "../text/stream.h"
#include "../text/tokenizer.h"
#include "../util/err.h"

/* The tokens in the KV cache, in order (owned by the caller; grown here). */
typedef struct gen_history {
    int32_t *ids;
    int n, cap;
} gen_history;

/* Room for n tokens; 0, or -1 with err when out of memory. */
int gen_history_reserve(gen_history *h, int n, fc_err *err);

typedef struct gen_params {
    int max_tokens;             /* > 0: at most this many; <= 0: no limit but the context */
    bool stop_at_eog;           /* end-of-generation tokens end the reply */
    const char *const *stops;   /* stop strings, NULL-terminated (NULL: none) */
    txt_emit_fn emit;           /* the reply's text as it becomes safe (NULL: not streamed) */
    void *emit_ctx;
    void (*on_token)(void *ctx, int32_t id); /* every token generated, before its text (NULL: none) */
    void *token_ctx;
    const volatile sig_atomic_t *interrupt; /* NULL: none */
    /* OpenAI's penalties over the tokens of this reply: a token's logit is
     * lowered by presence_penalty once it appeared and by frequency_penalty
     * per appearance (0, 0: off). n_vocab is needed when either is set. */
    float presence_penalty, frequency_penalty;
    int n_vocab;
} gen_params;

enum gen_stop { GEN_EOG, GEN_STOP_STRING, GEN_MAX_TOKENS, GEN_CTX_FULL, GEN_INTERRUPTED };

typedef struct gen_result {
    enum gen_stop stop;
    int n_gen;                  /* tokens generated (the eog token not counted) */
    double seconds;             /* wall time of the loop */
    char *text;                 /* the emitted text, NUL-terminated (owned: free it) */
    size_t text_len;
} gen_result;

/* ---- the loop in steps, for a scheduler ---- */

typedef struct gen_state {
    gen_params p;               /* a copy (the pointers in it stay borrowed) */
    txt_stream st;
    gen_result res;             /* n_gen and stop as they stand */
    double t0;
    bool done;
    int32_t *counts;            /* [n_vocab] appearances in this reply (penalties only) */
    float *biased;              /* [n_vocab] logits after the penalties (penalties only) */
} gen_state;

/* Starts a reply. 0, or -1 with err (out of memory). */
int gen_begin(gen_state *g, const gen_params *p, fc_err *err);

/* Samples the next token from logits (those of hist's last token) and
 * applies the stop rules. Returns 1 with *id: evaluate *id through the
 * engine, then call gen_accept; 0: the reply is over (g->res.stop says
 * why); -1 with err (out of memory). */
int gen_next(gen_state *g, const tokenizer *tok, fc_sampler *smp, const float *logits, const gen_history *hist,
             int n_ctx, int32_t *id, fc_err *err);

/* *id was evaluated: it joins hist. 0, or -1 with err. */
int gen_accept(gen_state *g, gen_history *hist, int32_t id, fc_err *err);

/* Ends the reply: flushes the text held back and fills *out (as
 * session_generate). Always frees g's buffers. 0, or -1 with err. */
int gen_end(gen_state *g, gen_result *out, fc_err *err);

/* Generates as described above. Returns 0 with *out filled (out->text set
 * even when empty), or -1 with err (an engine error, out of memory); on
 * error out->text is NULL. */
int session_generate(fc_engine *e, const tokenizer *tok, fc_sampler *smp, gen_history *hist, const gen_params *p,
                     gen_result *out, fc_err *err);

#endif
