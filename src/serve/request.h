/* request — the body of an API request (JSON), parsed and validated into a plain struct.
 *
 * One parser for the four generating endpoints: OpenAI's /v1/chat/completions and
 * /v1/completions, ollama's /api/chat and /api/generate. Every field the server uses is
 * checked here (type and range); a bad one is an srv_error with status 400 whose message
 * and param name the field ("messages[2].role", "temperature"), so the HTTP layer only
 * formats it. Fields the server does not use are ignored, except those whose meaning it
 * cannot honour (n > 1, tools and functions, logprobs, logit_bias, JSON mode and schemas,
 * images, token-id prompts, ollama's think and context): they are a 400 too, rather than a
 * silently different answer.
 *
 * Pure: no I/O, no model, no global state, thread-safe; hostile-input safe (fuzzed by
 * fuzz/fuzz_serve.c: any bytes give either a request or one error line). Message text is
 * kept as the client sent it (valid UTF-8, no NUL); tokenizing it is the scheduler's job,
 * with special-token parsing off.
 *
 * Ownership: srv_request owns every string in it; srv_request_free (NULL and a zeroed
 * struct accepted) frees them.
 */
#ifndef FC_SERVE_REQUEST_H
#define FC_SERVE_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../text/template.h"

typedef enum srv_api { SRV_CHAT, SRV_COMPLETION, SRV_OLLAMA_CHAT, SRV_OLLAMA_GENERATE } srv_api;

/* An error as the client sees it (OpenAI's {"error": {message, type, param, code}}). */
typedef struct srv_error {
    int status;         /* HTTP status: 400, 401, 404, 405, 413, 500, 503 */
    const char *type;   /* "invalid_request_error", "authentication_error", ... (static) */
    const char *code;   /* NULL, or "context_length_exceeded", "invalid_api_key", ... (static) */
    char param[64];     /* the field at fault, "" for none */
    char message[400];  /* one line */
} srv_error;

/* Fills e (type from the status) and returns -1. param may be NULL. */
int srv_fail(srv_error *e, int status, const char *param, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#define SRV_MAX_STOPS 8      /* stop strings per request */
#define SRV_COMPLETION_MAX_TOKENS 16 /* /v1/completions without max_tokens (OpenAI's default) */
#define SRV_MAX_STOP_LEN 256 /* bytes per stop string */

typedef struct srv_msg {
    tmpl_role role;
    char *content;      /* text parts joined; "" for none */
} srv_msg;

/* Which sampling fields the request set (the server's settings fill the others). */
enum {
    SRV_SET_TEMPERATURE = 1u << 0, SRV_SET_TOP_P = 1u << 1, SRV_SET_TOP_K = 1u << 2, SRV_SET_MIN_P = 1u << 3,
    SRV_SET_SEED = 1u << 4, SRV_SET_REPEAT_PENALTY = 1u << 5,
};

typedef struct srv_request {
    srv_api api;
    char *model;              /* as sent, NULL if none (every name serves the one model) */
    srv_msg *msgs;            /* chat APIs: [n_msgs], at least one */
    int n_msgs;
    char *prompt;             /* completion APIs: the prompt text */
    char *system;             /* ollama generate's "system", NULL if none */
    bool raw;                 /* ollama generate: prompt as it is, no chat template */
    bool stream;              /* OpenAI default false, ollama default true */
    bool include_usage;       /* stream_options.include_usage */
    bool ignore_eos;          /* ignore_eos (llama.cpp's extension): only the limits end the reply */
    unsigned set;             /* SRV_SET_* */
    double temperature;       /* 0..100 */
    double top_p;             /* (0, 1] */
    int top_k;                /* >= 0 */
    double min_p;             /* [0, 1) */
    double repeat_penalty;    /* (0, 100] */
    double presence_penalty;  /* [-2, 2], 0 if not set */
    double frequency_penalty; /* [-2, 2], 0 if not set */
    uint64_t seed;
    int max_tokens;           /* >= 1, or -1: not set (until the end of the turn or the context);
                               * /v1/completions: SRV_COMPLETION_MAX_TOKENS unless set */
    bool load_only;           /* ollama: no prompt / no messages: "load the model", answered at once */
    bool unload;              /* ollama: keep_alive 0 (with load_only: done_reason "unload") */
    char *stops[SRV_MAX_STOPS];
    int n_stops;
} srv_request;

/* Parses body[0..len) for api into *out (zeroed first). Returns 0, or -1 with *e filled
 * (status 400) and *out freed. */
int srv_request_parse(srv_api api, const char *body, size_t len, srv_request *out, srv_error *e);
void srv_request_free(srv_request *r);

/* POST /api/show's body (ollama): {"model": NAME} (or the older "name"), NAME the server's
 * model `ours` with or without a ":latest" tag. 0, or -1 with *e (400 a bad body, 404 another
 * model). */
int srv_show_parse(const char *body, size_t len, const char *ours, srv_error *e);

#endif
