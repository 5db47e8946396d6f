/* format — everything the server writes back: OpenAI and ollama JSON bodies, the
 * server-sent-event and NDJSON framing of streams, error bodies, the Prometheus text of
 * /metrics, and the constant-time API key comparison.
 *
 * Text from the model or the client goes through srv_sb_json (a JSON string with every
 * control byte escaped and lengths, not NULs, bounding it), so a reply holding quotes,
 * newlines or a NUL byte still gives valid JSON and one SSE event per chunk (an event's
 * data never holds a raw newline).
 *
 * Pure functions on a growable buffer; no global state, thread-safe. A buffer that ran out
 * of memory says so (sb->oom) and holds what fitted; the caller sends a 500 instead.
 */
#ifndef FC_SERVE_FORMAT_H
#define FC_SERVE_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "request.h"

/* A growable byte buffer (zero-initialise; free with srv_sb_free). p is NUL-terminated. */
typedef struct srv_sb {
    char *p;
    size_t n, cap;
    bool oom;
} srv_sb;

void srv_sb_add(srv_sb *b, const char *s, size_t n);
void srv_sb_str(srv_sb *b, const char *s);
void srv_sb_printf(srv_sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* s[0..n) as a quoted JSON string. */
void srv_sb_json(srv_sb *b, const char *s, size_t n);
void srv_sb_free(srv_sb *b);

/* The error body: OpenAI's {"error": {"message", "type", "param", "code"}}, or ollama's
 * {"error": "message"}. */
void srv_fmt_error(srv_sb *b, const srv_error *e, bool ollama);

/* Token counts of one reply. */
typedef struct srv_usage {
    int prompt, completion;
} srv_usage;

/* What every chunk of one reply shares. */
typedef struct srv_reply_id {
    srv_api api;
    char id[48];          /* "chatcmpl-..." / "cmpl-..." */
    const char *model;    /* the model's name as /v1/models lists it */
    int64_t created;      /* Unix seconds */
    double total_s;       /* seconds since the request arrived, when the reply ends: ollama's
                           * total_duration (queueing included; 0: prompt + generation) */
} srv_reply_id;

/* "stop" or "length" for a gen_stop (src/app/generate.h). */
const char *srv_finish_reason(int gen_stop);

/* A whole (non-streamed) reply: OpenAI's chat.completion / text_completion, or ollama's
 * final object (done: true, with the counts and durations in nanoseconds). */
void srv_fmt_reply(srv_sb *b, const srv_reply_id *r, const char *text, size_t len, const char *finish,
                   const srv_usage *u, double prompt_s, double gen_s);

/* One streamed event, framing included: "data: {...}\n\n" for OpenAI (a chunk with the
 * delta text; role "assistant" in the first chat chunk when first; finish set in the last
 * one; usage_null: "usage": null on every chunk when the client asked for usage), a line
 * of NDJSON for ollama (done: false). */
void srv_fmt_chunk(srv_sb *b, const srv_reply_id *r, const char *text, size_t len, bool first, const char *finish,
                   bool usage_null);
/* The end of a stream: for OpenAI the usage chunk (when include_usage) and "data: [DONE]";
 * for ollama the done: true line with the counts. */
void srv_fmt_stream_end(srv_sb *b, const srv_reply_id *r, const char *finish, const srv_usage *u,
                        bool include_usage, double prompt_s, double gen_s);

/* GET /v1/models and ollama's GET /api/tags for the one model. */
typedef struct srv_model_info {
    const char *name;        /* the id clients use */
    int64_t created;         /* the file's modification time */
    uint64_t size;           /* file bytes */
    const char *family;      /* general.architecture */
    const char *quant;       /* "Q4_1" */
    const char *params;      /* "135M" */
    uint64_t n_params;       /* weights' elements */
    const char *template_text; /* tokenizer.chat_template, or "" */
    uint32_t n_ctx_train, n_embd, n_layer, n_head, n_head_kv;
    int n_ctx;               /* a slot's context */
    uint64_t gpu_bytes;      /* planned on the GPUs (ollama's size_vram) */
} srv_model_info;
void srv_fmt_models(srv_sb *b, const srv_model_info *m);
/* GET /v1/models/ID: the one model object */
void srv_fmt_model(srv_sb *b, const srv_model_info *m);
void srv_fmt_tags(srv_sb *b, const srv_model_info *m);
/* ollama's POST /api/show (template, details, model_info with the hyper-parameters under
 * "ARCH.*" keys) and GET /api/ps (the loaded model, its context and GPU bytes). */
void srv_fmt_show(srv_sb *b, const srv_model_info *m);
void srv_fmt_ps(srv_sb *b, const srv_model_info *m);

/* Counters for /metrics (a snapshot taken under the scheduler's lock). */
#define SRV_METRICS_DEVICES 9
typedef struct srv_metrics {
    uint64_t requests_ok, requests_failed, requests_rejected;
    uint64_t requests_cancelled; /* the client closed the connection before the reply's end */
    uint64_t prompt_tokens, generated_tokens, reused_tokens;
    double prompt_seconds, gen_seconds;
    int active, queued, n_slots, queue_size;
    int slot_cells[64];               /* KV cells in use per slot ([n_slots]) */
    int n_ctx;
    int n_devices;
    struct {
        const char *name;             /* "CPU", "GPU 0 (name)" */
        uint64_t planned, allocated;  /* bytes: weights + KV + buffers */
    } dev[SRV_METRICS_DEVICES];
} srv_metrics;
void srv_fmt_metrics(srv_sb *b, const srv_metrics *m);

/* Whether the key a client sent equals the server's, in time that depends on neither
 * the contents nor where they first differ (only on the lengths' maximum). */
bool srv_key_equal(const char *given, size_t given_len, const char *key, size_t key_len);

#endif
