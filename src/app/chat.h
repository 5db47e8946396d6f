/* chat — a conversation with a model: its messages, the prompt they render
 * to, the tokens already in the engine's KV cache, and the streaming of a
 * reply as valid UTF-8 text.
 *
 * Incremental evaluation: before each reply the whole conversation is
 * rendered with the chat template and tokenized; the longest common prefix
 * with the tokens already in the KV cache is kept (engine_rewind to it) and
 * only the rest is evaluated. So a new turn costs its own tokens, and an
 * edited history (/reset, /system, /load, dropped turns) costs only what
 * changed. Invariant: cache[0..n_cache) are exactly the engine's positions
 * [0, engine_n_past).
 *
 * Context overflow: when the rendered conversation plus room for the reply
 * (MAX_TOKENS, else a quarter of the context) does not fit, the oldest
 * user/assistant turns are dropped (the system prompt stays) until it does;
 * the reply's stats say how many were dropped so the front end can tell the
 * user.
 *
 * Stopping: at an end-of-generation token (tok_is_eog), at any of the
 * template's stop strings appearing in the text (also when split over
 * several tokens: text that may begin a stop string is held back until it
 * is known), at MAX_TOKENS, when the context is full, or when *interrupt
 * becomes non-zero (checked between tokens and between prompt batches).
 *
 * Ownership: a chat borrows the engine, tokenizer and sampler (they must
 * outlive it) and owns its messages (copies of the text given). Errors:
 * fc_err; FC_EINPUT for bad input (a message that cannot fit, a bad file),
 * FC_EFAIL otherwise. Nothing is printed; text goes to the emit callback.
 * One thread at a time.
 */
#ifndef FC_CHAT_H
#define FC_CHAT_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../engine/engine.h"
#include "../engine/sampler.h"
#include "../text/stream.h"
#include "../text/template.h"
#include "../text/tokenizer.h"
#include "../util/err.h"

/* ---- a reasoning model's thinking ---- */

/* Splits reply text into thinking (between "<think>" and "</think>", tags included; from the
 * start of the reply when *starts_thinking, read at the first piece: the prompt opened
 * <think>) and answer. Each goes to its own callback; thinking NULL drops it (hidden).
 * A tag split over pieces is held back until it is known. */
typedef struct chat_think {
    txt_emit_fn answer, thinking; /* thinking may be NULL */
    void *ctx;
    const bool *starts_thinking;   /* may be NULL */
    bool started, in_think;
    char pend[16];
    size_t n_pend;
} chat_think;

void chat_think_init(chat_think *t, const bool *starts_thinking, txt_emit_fn answer, txt_emit_fn thinking,
                     void *ctx);
/* A txt_emit_fn: ctx is the chat_think. */
void chat_think_push(void *t, const char *text, size_t len);
/* The reply ended: what was held back goes out. */
void chat_think_finish(chat_think *t);

/* ---- the conversation ---- */

typedef struct chat_msg {
    tmpl_role role;
    char *content; /* owned, UTF-8 */
} chat_msg;

/* What the last chat_sync / chat_reply did. */
typedef struct chat_stats {
    int n_reused;       /* prompt tokens kept from the KV cache */
    int n_prompt;       /* prompt tokens evaluated */
    double prompt_s;    /* seconds evaluating them */
    int n_gen;          /* tokens generated (an end-of-turn token not counted) */
    double gen_s;       /* seconds generating */
    int n_dropped;      /* oldest turns dropped to make room */
    bool interrupted;   /* *interrupt stopped it */
    bool taken_back;    /* stopped before any reply text: the message is not in the conversation */
    bool max_tokens;    /* the reply reached MAX_TOKENS */
    bool ctx_full;      /* the reply filled the context */
} chat_stats;

typedef struct fc_chat {
    fc_engine *engine;      /* borrowed */
    const tokenizer *tok;   /* borrowed */
    fc_sampler *sampler;    /* borrowed */
    enum tmpl_kind tmpl;    /* the built-in family (stop strings; rendering when ct is NULL) */
    tmpl_chat *ct;          /* borrowed, may be NULL: the chat template (Jinja, falls back to a family) */
    bool reply_thinks;      /* the last rendered prompt ends inside "<think>": the reply starts thinking */
    int max_tokens;         /* >= 1, or -1: until the end of the turn */
    chat_msg *msgs;         /* [n_msgs]; msgs[0] is the system prompt if it has role SYSTEM */
    int n_msgs, cap_msgs;
    int n_loaded;           /* messages the last chat_from_json / chat_load read from its file (the
                             * system prompt it keeps when the file has none is not counted) */
    int32_t *cache;         /* [n_cache] the tokens in the KV cache */
    int n_cache, cap_cache;
    chat_stats last;        /* of the last reply */
} fc_chat;

/* A rendered prompt text[0..len) with its literal mask (NULL: none) to the tokens the model
 * sees: control tokens only in the template's own text (tok_encode_masked), one BOS (a
 * template that writes bos_token itself gets it once, not twice). *thinks (may be NULL):
 * the prompt ends with "<think>", so the reply starts inside the model's thinking.
 * Returns the count (tokens in *toks, caller frees) or -1 with err. */
int chat_tokenize_prompt(const tokenizer *tok, const char *text, const unsigned char *lit, size_t len, int32_t **toks,
                         bool *thinks, fc_err *err);

/* The engine's cache is cleared (engine_rewind(e, 0)). */
int chat_init(fc_chat *c, fc_engine *e, const tokenizer *tok, fc_sampler *s, enum tmpl_kind tmpl, int max_tokens,
              fc_err *err);
void chat_free(fc_chat *c); /* NULL ok */

/* Sets (text non-empty) or removes (NULL or "") the system prompt; the rest
 * of the conversation stays. */
int chat_set_system(fc_chat *c, const char *text, fc_err *err);
const char *chat_system(const fc_chat *c); /* NULL if none */
/* Forgets every turn, keeping the system prompt. */
void chat_reset(fc_chat *c);
/* Appends a message (a system message only as the first). */
int chat_push(fc_chat *c, tmpl_role role, const char *text, fc_err *err);
/* Turns (user messages) in the conversation. */
int chat_n_turns(const fc_chat *c);

/* Makes the KV cache hold the rendered conversation plus the assistant's
 * opening (dropping old turns if needed), evaluating only what is not
 * cached yet. Fills *st (may be NULL). On an interrupt it returns 0 with
 * st->interrupted and a partly filled cache. */
int chat_sync(fc_chat *c, chat_stats *st, const volatile sig_atomic_t *interrupt, fc_err *err);

/* One turn: appends the user message, syncs, generates the reply (streamed
 * to emit) and appends it as the assistant's message. An interrupted reply
 * keeps the text shown so far (an empty one removes the user message too).
 * On error the user message is removed again. Stats in c->last. */
int chat_reply(fc_chat *c, const char *user, txt_emit_fn emit, void *ctx, const volatile sig_atomic_t *interrupt,
               fc_err *err);

/* The conversation as JSON:
 *   {"format": "fitchat-chat", "version": 1, "template": "chatml",
 *    "messages": [{"role": "system"|"user"|"assistant", "content": "..."}, ...]}
 * chat_to_json returns a malloc'd string (NULL when out of memory). */
char *chat_to_json(const fc_chat *c);
/* Replaces the conversation with the one in json (the object above, or a bare
 * array of messages). Without a system message the current one is kept.
 * name labels errors (the file). Nothing changes on error. */
int chat_from_json(fc_chat *c, const char *json, const char *name, fc_err *err);
/* chat_save writes atomically (a temporary file renamed over path: a full
 * disk never leaves half a conversation). chat_load reads a regular file of
 * at most CHAT_LOAD_MAX bytes (a FIFO, device or directory is refused at
 * once, never waited on). */
#define CHAT_LOAD_MAX (64u << 20)
int chat_save(const fc_chat *c, const char *path, fc_err *err);
int chat_load(fc_chat *c, const char *path, fc_err *err);

#endif
