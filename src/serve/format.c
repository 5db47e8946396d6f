/* format — see format.h. */
#include "format.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../app/generate.h"

/* ---- the buffer ---- */

static bool reserve(srv_sb *b, size_t more) {
    if (b->oom) return false;
    if (b->n + more + 1 <= b->cap) return true;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->n + more + 1) cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) { b->oom = true; return false; }
    b->p = p;
    b->cap = cap;
    return true;
}

void srv_sb_add(srv_sb *b, const char *s, size_t n) {
    if (!reserve(b, n)) return;
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

void srv_sb_str(srv_sb *b, const char *s) { srv_sb_add(b, s, strlen(s)); }

void srv_sb_printf(srv_sb *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !reserve(b, (size_t)n)) return;
    va_start(ap, fmt);
    vsnprintf(b->p + b->n, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->n += (size_t)n;
}

void srv_sb_json(srv_sb *b, const char *s, size_t n) {
    if (!reserve(b, n + 2)) return;
    srv_sb_add(b, "\"", 1);
    size_t run = 0; /* bytes copied as they are, in one go */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        srv_sb_add(b, s + run, i - run);
        run = i + 1;
        switch (c) {
        case '"': srv_sb_add(b, "\\\"", 2); break;
        case '\\': srv_sb_add(b, "\\\\", 2); break;
        case '\n': srv_sb_add(b, "\\n", 2); break;
        case '\r': srv_sb_add(b, "\\r", 2); break;
        case '\t': srv_sb_add(b, "\\t", 2); break;
        default: srv_sb_printf(b, "\\u%04x", c); break;
        }
    }
    srv_sb_add(b, s + run, n - run);
    srv_sb_add(b, "\"", 1);
}

void srv_sb_free(srv_sb *b) {
    if (!b) return;
    free(b->p);
    memset(b, 0, sizeof *b);
}

static void json_cstr(srv_sb *b, const char *s) { srv_sb_json(b, s, strlen(s)); }

/* ---- errors ---- */

void srv_fmt_error(srv_sb *b, const srv_error *e, bool ollama) {
    if (ollama) {
        srv_sb_str(b, "{\"error\":");
        json_cstr(b, e->message);
        srv_sb_str(b, "}");
        return;
    }
    srv_sb_str(b, "{\"error\":{\"message\":");
    json_cstr(b, e->message);
    srv_sb_str(b, ",\"type\":");
    json_cstr(b, e->type ? e->type : "invalid_request_error");
    srv_sb_str(b, ",\"param\":");
    if (e->param[0]) json_cstr(b, e->param);
    else srv_sb_str(b, "null");
    srv_sb_str(b, ",\"code\":");
    if (e->code) json_cstr(b, e->code);
    else srv_sb_str(b, "null");
    srv_sb_str(b, "}}");
}

/* ---- replies ---- */

const char *srv_finish_reason(int gen_stop) {
    return gen_stop == GEN_MAX_TOKENS || gen_stop == GEN_CTX_FULL ? "length" : "stop";
}

static bool is_chat(srv_api a) { return a == SRV_CHAT || a == SRV_OLLAMA_CHAT; }
static bool is_ollama(srv_api a) { return a == SRV_OLLAMA_CHAT || a == SRV_OLLAMA_GENERATE; }

static void head(srv_sb *b, const srv_reply_id *r, const char *object) {
    srv_sb_str(b, "{\"id\":");
    json_cstr(b, r->id);
    srv_sb_printf(b, ",\"object\":\"%s\",\"created\":%lld,\"model\":", object, (long long)r->created);
    json_cstr(b, r->model);
}

static void usage(srv_sb *b, const srv_usage *u) {
    srv_sb_printf(b, "{\"prompt_tokens\":%d,\"completion_tokens\":%d,\"total_tokens\":%d}", u->prompt, u->completion,
                  u->prompt + u->completion);
}

/* A time in RFC 3339, UTC, as ollama writes it. */
static void rfc3339(char when[40], int64_t created) {
    time_t t = (time_t)created;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(when, 40, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* ollama: "model", "created_at" (RFC 3339, UTC) */
static void ollama_head(srv_sb *b, const srv_reply_id *r) {
    char when[40];
    rfc3339(when, (int64_t)r->created);
    srv_sb_str(b, "{\"model\":");
    json_cstr(b, r->model);
    srv_sb_printf(b, ",\"created_at\":\"%s\"", when);
}

static void ollama_text(srv_sb *b, const srv_reply_id *r, const char *text, size_t len) {
    if (r->api == SRV_OLLAMA_CHAT) {
        srv_sb_str(b, ",\"message\":{\"role\":\"assistant\",\"content\":");
        srv_sb_json(b, text, len);
        srv_sb_str(b, "}");
    } else {
        srv_sb_str(b, ",\"response\":");
        srv_sb_json(b, text, len);
    }
}

static void ollama_done(srv_sb *b, const srv_reply_id *r, const char *finish, const srv_usage *u, double prompt_s,
                        double gen_s) {
    long long p_ns = (long long)(prompt_s * 1e9), g_ns = (long long)(gen_s * 1e9);
    long long t_ns = (long long)(r->total_s * 1e9);
    if (t_ns < p_ns + g_ns) t_ns = p_ns + g_ns;
    srv_sb_str(b, ",\"done\":true,\"done_reason\":");
    json_cstr(b, finish);
    srv_sb_printf(b,
                  ",\"total_duration\":%lld,\"load_duration\":0,\"prompt_eval_count\":%d,\"prompt_eval_duration\":%lld,"
                  "\"eval_count\":%d,\"eval_duration\":%lld}\n",
                  t_ns, u->prompt, p_ns, u->completion, g_ns);
}

/* The choice's text: a chat message ("message", or "delta" when streamed, with the role in
 * the first chunk) or a completion's "text"; then its logprobs and finish_reason key. */
static void choice_text(srv_sb *b, const srv_reply_id *r, const char *text, size_t len, const char *msg_key,
                        bool role) {
    srv_sb_str(b, ",\"choices\":[{\"index\":0,");
    if (is_chat(r->api)) {
        srv_sb_printf(b, "\"%s\":{", msg_key);
        if (role) srv_sb_str(b, "\"role\":\"assistant\",");
        srv_sb_str(b, "\"content\":");
        srv_sb_json(b, text, len);
        srv_sb_str(b, "}");
    } else {
        srv_sb_str(b, "\"text\":");
        srv_sb_json(b, text, len);
    }
    srv_sb_str(b, ",\"logprobs\":null,\"finish_reason\":");
}

void srv_fmt_reply(srv_sb *b, const srv_reply_id *r, const char *text, size_t len, const char *finish,
                   const srv_usage *u, double prompt_s, double gen_s) {
    if (is_ollama(r->api)) {
        ollama_head(b, r);
        ollama_text(b, r, text, len);
        ollama_done(b, r, finish, u, prompt_s, gen_s);
        return;
    }
    head(b, r, is_chat(r->api) ? "chat.completion" : "text_completion");
    choice_text(b, r, text, len, "message", true);
    json_cstr(b, finish);
    srv_sb_str(b, "}],\"usage\":");
    usage(b, u);
    srv_sb_str(b, "}");
}

void srv_fmt_chunk(srv_sb *b, const srv_reply_id *r, const char *text, size_t len, bool first, const char *finish,
                   bool usage_null) {
    if (is_ollama(r->api)) {
        ollama_head(b, r);
        ollama_text(b, r, text, len);
        srv_sb_str(b, ",\"done\":false}\n");
        return;
    }
    srv_sb_str(b, "data: ");
    head(b, r, is_chat(r->api) ? "chat.completion.chunk" : "text_completion");
    choice_text(b, r, text, len, "delta", first);
    if (finish) json_cstr(b, finish);
    else srv_sb_str(b, "null");
    srv_sb_str(b, "}]");
    if (usage_null) srv_sb_str(b, ",\"usage\":null");
    srv_sb_str(b, "}\n\n");
}

void srv_fmt_stream_end(srv_sb *b, const srv_reply_id *r, const char *finish, const srv_usage *u,
                        bool include_usage, double prompt_s, double gen_s) {
    if (is_ollama(r->api)) {
        ollama_head(b, r);
        ollama_text(b, r, "", 0);
        ollama_done(b, r, finish, u, prompt_s, gen_s);
        return;
    }
    if (include_usage) {
        srv_sb_str(b, "data: ");
        head(b, r, is_chat(r->api) ? "chat.completion.chunk" : "text_completion");
        srv_sb_str(b, ",\"choices\":[],\"usage\":");
        usage(b, u);
        srv_sb_str(b, "}\n\n");
    }
    srv_sb_str(b, "data: [DONE]\n\n");
}

/* ---- the model list ---- */

void srv_fmt_model(srv_sb *b, const srv_model_info *m) {
    srv_sb_str(b, "{\"id\":");
    json_cstr(b, m->name);
    srv_sb_printf(b, ",\"object\":\"model\",\"created\":%lld,\"owned_by\":\"fitchat\"}", (long long)m->created);
}

void srv_fmt_models(srv_sb *b, const srv_model_info *m) {
    srv_sb_str(b, "{\"object\":\"list\",\"data\":[");
    srv_fmt_model(b, m);
    srv_sb_str(b, "]}");
}

/* ollama's "details" object */
static void ollama_details(srv_sb *b, const srv_model_info *m) {
    srv_sb_str(b, "{\"parent_model\":\"\",\"format\":\"gguf\",\"family\":");
    json_cstr(b, m->family);
    srv_sb_str(b, ",\"families\":[");
    json_cstr(b, m->family);
    srv_sb_str(b, "],\"parameter_size\":");
    json_cstr(b, m->params);
    srv_sb_str(b, ",\"quantization_level\":");
    json_cstr(b, m->quant);
    srv_sb_str(b, "}");
}

/* "name", "model", "size", "digest", "details" of one model entry */
static void ollama_entry(srv_sb *b, const srv_model_info *m) {
    srv_sb_str(b, "\"name\":");
    json_cstr(b, m->name);
    srv_sb_str(b, ",\"model\":");
    json_cstr(b, m->name);
    srv_sb_printf(b, ",\"size\":%llu,\"digest\":\"\",\"details\":", (unsigned long long)m->size);
    ollama_details(b, m);
}

void srv_fmt_tags(srv_sb *b, const srv_model_info *m) {
    char when[40];
    rfc3339(when, (int64_t)m->created);
    srv_sb_str(b, "{\"models\":[{");
    ollama_entry(b, m);
    srv_sb_printf(b, ",\"modified_at\":\"%s\"}]}", when);
}

void srv_fmt_show(srv_sb *b, const srv_model_info *m) {
    char when[40];
    rfc3339(when, (int64_t)m->created);
    srv_sb_str(b, "{\"modelfile\":");
    srv_sb mf = {0};
    srv_sb_printf(&mf, "# served by fitchat (one GGUF file; settings from modelconf.json and flags)\nFROM %s\n", m->name);
    srv_sb_json(b, mf.p ? mf.p : "", mf.n);
    srv_sb_free(&mf);
    srv_sb_str(b, ",\"parameters\":\"\",\"template\":");
    json_cstr(b, m->template_text ? m->template_text : "");
    srv_sb_str(b, ",\"details\":");
    ollama_details(b, m);
    srv_sb_str(b, ",\"model_info\":{\"general.architecture\":");
    json_cstr(b, m->family);
    srv_sb_printf(b, ",\"general.parameter_count\":%llu", (unsigned long long)m->n_params);
    const struct { const char *key; uint32_t v; } hp[] = {
        {"context_length", m->n_ctx_train}, {"embedding_length", m->n_embd}, {"block_count", m->n_layer},
        {"attention.head_count", m->n_head}, {"attention.head_count_kv", m->n_head_kv},
    };
    for (size_t i = 0; i < sizeof hp / sizeof hp[0]; i++) {
        srv_sb_str(b, ",");
        srv_sb mk = {0};
        srv_sb_printf(&mk, "%s.%s", m->family, hp[i].key);
        srv_sb_json(b, mk.p ? mk.p : "", mk.n);
        srv_sb_free(&mk);
        srv_sb_printf(b, ":%u", hp[i].v);
    }
    srv_sb_printf(b, "},\"capabilities\":[\"completion\"],\"modified_at\":\"%s\"}", when);
}

void srv_fmt_ps(srv_sb *b, const srv_model_info *m) {
    srv_sb_str(b, "{\"models\":[{");
    ollama_entry(b, m);
    /* loaded for as long as the server runs: no expiry; ollama writes a time far ahead */
    srv_sb_printf(b, ",\"expires_at\":\"9999-12-31T23:59:59Z\",\"size_vram\":%llu,\"context_length\":%d}]}",
                  (unsigned long long)m->gpu_bytes, m->n_ctx);
}

/* ---- /metrics ---- */

static void metric(srv_sb *b, const char *name, const char *type, const char *help) {
    srv_sb_printf(b, "# HELP fitchat_%s %s\n# TYPE fitchat_%s %s\n", name, help, name, type);
}

/* A label value: backslash, quote and newline escaped (Prometheus text format). */
static void label(srv_sb *b, const char *s) {
    for (; *s; s++) {
        if (*s == '\\' || *s == '"') srv_sb_printf(b, "\\%c", *s);
        else if (*s == '\n') srv_sb_str(b, "\\n");
        else srv_sb_add(b, s, 1);
    }
}

void srv_fmt_metrics(srv_sb *b, const srv_metrics *m) {
    metric(b, "requests_total", "counter", "Generating requests by outcome.");
    srv_sb_printf(b, "fitchat_requests_total{outcome=\"ok\"} %llu\n", (unsigned long long)m->requests_ok);
    srv_sb_printf(b, "fitchat_requests_total{outcome=\"failed\"} %llu\n", (unsigned long long)m->requests_failed);
    srv_sb_printf(b, "fitchat_requests_total{outcome=\"rejected\"} %llu\n", (unsigned long long)m->requests_rejected);
    srv_sb_printf(b, "fitchat_requests_total{outcome=\"cancelled\"} %llu\n", (unsigned long long)m->requests_cancelled);
    metric(b, "prompt_tokens_total", "counter", "Prompt tokens evaluated (not counting reused ones).");
    srv_sb_printf(b, "fitchat_prompt_tokens_total %llu\n", (unsigned long long)m->prompt_tokens);
    metric(b, "prompt_tokens_reused_total", "counter", "Prompt tokens found in a slot's KV cache (prefix reuse).");
    srv_sb_printf(b, "fitchat_prompt_tokens_reused_total %llu\n", (unsigned long long)m->reused_tokens);
    metric(b, "generated_tokens_total", "counter", "Tokens generated.");
    srv_sb_printf(b, "fitchat_generated_tokens_total %llu\n", (unsigned long long)m->generated_tokens);
    metric(b, "prompt_tokens_per_second", "gauge", "Prompt tokens per second of prompt evaluation, all time.");
    srv_sb_printf(b, "fitchat_prompt_tokens_per_second %.3f\n",
                  m->prompt_seconds > 0 ? (double)m->prompt_tokens / m->prompt_seconds : 0.0);
    metric(b, "generated_tokens_per_second", "gauge", "Generated tokens per second of generation, all time.");
    srv_sb_printf(b, "fitchat_generated_tokens_per_second %.3f\n",
                  m->gen_seconds > 0 ? (double)m->generated_tokens / m->gen_seconds : 0.0);
    metric(b, "requests_active", "gauge", "Requests holding a slot.");
    srv_sb_printf(b, "fitchat_requests_active %d\n", m->active);
    metric(b, "requests_queued", "gauge", "Requests waiting for a slot.");
    srv_sb_printf(b, "fitchat_requests_queued %d\n", m->queued);
    metric(b, "slots", "gauge", "Slots (requests generated at the same time).");
    srv_sb_printf(b, "fitchat_slots %d\n", m->n_slots);
    metric(b, "queue_size", "gauge", "Requests that may wait for a slot.");
    srv_sb_printf(b, "fitchat_queue_size %d\n", m->queue_size);
    metric(b, "kv_cells_used", "gauge", "KV cache cells in use per slot.");
    for (int i = 0; i < m->n_slots && i < 64; i++)
        srv_sb_printf(b, "fitchat_kv_cells_used{slot=\"%d\"} %d\n", i, m->slot_cells[i]);
    metric(b, "kv_cells", "gauge", "KV cache cells per slot (the context).");
    srv_sb_printf(b, "fitchat_kv_cells %d\n", m->n_ctx);
    metric(b, "device_planned_bytes", "gauge", "Bytes the plan gives each device (weights, KV, buffers; all slots).");
    for (int i = 0; i < m->n_devices; i++) {
        srv_sb_str(b, "fitchat_device_planned_bytes{device=\"");
        label(b, m->dev[i].name);
        srv_sb_printf(b, "\"} %llu\n", (unsigned long long)m->dev[i].planned);
    }
    metric(b, "device_allocated_bytes", "gauge", "Bytes allocated on each device (the engines' allocation logs).");
    for (int i = 0; i < m->n_devices; i++) {
        srv_sb_str(b, "fitchat_device_allocated_bytes{device=\"");
        label(b, m->dev[i].name);
        srv_sb_printf(b, "\"} %llu\n", (unsigned long long)m->dev[i].allocated);
    }
}

/* ---- the API key ---- */

bool srv_key_equal(const char *given, size_t given_len, const char *key, size_t key_len) {
    /* Every byte position up to the longer length is visited and folded in with no
     * branch on the contents; the length difference is folded in too. */
    size_t n = given_len > key_len ? given_len : key_len;
    volatile unsigned char diff = (unsigned char)(given_len != key_len);
    for (size_t i = 0; i < n; i++) {
        unsigned char a = i < given_len ? (unsigned char)given[i] : 0;
        unsigned char k = i < key_len ? (unsigned char)key[i] : 0;
        diff |= (unsigned char)(a ^ k);
    }
    return diff == 0;
}
