/* request — see request.h. */
#include "request.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../text/stream.h"
#include "../util/fmt.h"

static const char *type_of(int status) {
    switch (status) {
    case 401: return "authentication_error";
    case 403: return "permission_error";
    case 404: return "not_found_error";
    case 503: return "unavailable_error";
    case 500: return "server_error";
    default: return "invalid_request_error";
    }
}

int srv_fail(srv_error *e, int status, const char *param, const char *fmt, ...) {
    e->status = status;
    e->type = type_of(status);
    e->code = NULL;
    snprintf(e->param, sizeof e->param, "%s", param ? param : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
    for (char *p = e->message; *p; p++) /* one line, whatever the field held */
        if ((unsigned char)*p < ' ') *p = ' ';
    return -1;
}

void srv_request_free(srv_request *r) {
    if (!r) return;
    free(r->model);
    for (int i = 0; i < r->n_msgs; i++) free(r->msgs[i].content);
    free(r->msgs);
    free(r->prompt);
    free(r->system);
    for (int i = 0; i < r->n_stops; i++) free(r->stops[i]);
    memset(r, 0, sizeof *r);
}

/* ---- field helpers: each returns 0 (absent or fine) or -1 with e ---- */

static bool present(const cJSON *v) { return v && !cJSON_IsNull(v); }

static int get_number(const cJSON *o, const char *name, const char *param, double lo, double hi, bool lo_open,
                      double *out, bool *found, srv_error *e) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    *found = false;
    if (!present(v)) return 0;
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
        return srv_fail(e, 400, param, "%s: must be a number", param);
    double d = v->valuedouble;
    if (d > hi || d < lo || (lo_open && d == lo))
        return srv_fail(e, 400, param, "%s: %g is out of range %s%g, %g]", param, d, lo_open ? "(" : "[", lo, hi);
    *out = d;
    *found = true;
    return 0;
}

static int get_int(const cJSON *o, const char *name, const char *param, double lo, double hi, double *out, bool *found,
                   srv_error *e) {
    if (get_number(o, name, param, lo, hi, false, out, found, e)) {
        if (strstr(e->message, "out of range"))
            snprintf(e->message, sizeof e->message, "%s: must be an integer from %.0f to %.0f", param, lo, hi);
        return -1;
    }
    if (*found && *out != floor(*out)) return srv_fail(e, 400, param, "%s: must be an integer", param);
    return 0;
}

static int get_bool(const cJSON *o, const char *name, const char *param, bool *out, srv_error *e) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    if (!present(v)) return 0;
    if (!cJSON_IsBool(v)) return srv_fail(e, 400, param, "%s: must be true or false", param);
    *out = cJSON_IsTrue(v);
    return 0;
}

/* A copy of a JSON string that is valid UTF-8 (cJSON has already refused a \u0000: the
 * whole body is checked for it first). */
static int dup_text(const cJSON *v, const char *param, char **out, srv_error *e) {
    const char *s = v->valuestring;
    size_t n = strlen(s);
    if (!txt_utf8_valid(s, n)) return srv_fail(e, 400, param, "%s: not valid UTF-8", param);
    if (!(*out = malloc(n + 1))) return srv_fail(e, 500, param, "out of memory");
    memcpy(*out, s, n + 1);
    return 0;
}

static int get_string(const cJSON *o, const char *name, const char *param, char **out, srv_error *e) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    if (!present(v)) return 0;
    if (!cJSON_IsString(v)) return srv_fail(e, 400, param, "%s: must be a string", param);
    return dup_text(v, param, out, e);
}

/* "stop": a string or a list of strings. */
static int get_stops(const cJSON *o, const char *name, srv_request *r, srv_error *e) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    if (!present(v)) return 0;
    const char *param = name;
    if (cJSON_IsString(v)) {
        if (!v->valuestring[0]) return 0; /* "" stops nothing */
        if (strlen(v->valuestring) > SRV_MAX_STOP_LEN)
            return srv_fail(e, 400, param, "%s: longer than %d bytes", param, SRV_MAX_STOP_LEN);
        if (dup_text(v, param, &r->stops[0], e)) return -1;
        r->n_stops = 1;
        return 0;
    }
    if (!cJSON_IsArray(v)) return srv_fail(e, 400, param, "%s: must be a string or a list of strings", param);
    int i = 0;
    const cJSON *s;
    cJSON_ArrayForEach(s, v) {
        char p[48];
        snprintf(p, sizeof p, "%s[%d]", name, i);
        if (!cJSON_IsString(s)) return srv_fail(e, 400, p, "%s: must be a string", p);
        if (i >= SRV_MAX_STOPS) return srv_fail(e, 400, param, "%s: at most %d stop strings", param, SRV_MAX_STOPS);
        if (strlen(s->valuestring) > SRV_MAX_STOP_LEN)
            return srv_fail(e, 400, p, "%s: longer than %d bytes", p, SRV_MAX_STOP_LEN);
        i++;
        if (!s->valuestring[0]) continue;
        if (dup_text(s, p, &r->stops[r->n_stops], e)) return -1;
        r->n_stops++;
    }
    return 0;
}

/* The sampling fields, from the request object (OpenAI) or "options" (ollama). names:
 * OpenAI's or ollama's spelling of the length limit. */
static int get_sampling(const cJSON *o, const char *prefix, srv_request *r, srv_error *e) {
    char p[64];
    double d;
    bool f;
#define P(name) (snprintf(p, sizeof p, "%s%s", prefix, name), p)
    if (get_number(o, "temperature", P("temperature"), 0, 100, false, &d, &f, e)) return -1;
    if (f) { r->temperature = d; r->set |= SRV_SET_TEMPERATURE; }
    if (get_number(o, "top_p", P("top_p"), 0, 1, true, &d, &f, e)) return -1;
    if (f) { r->top_p = d; r->set |= SRV_SET_TOP_P; }
    if (get_int(o, "top_k", P("top_k"), 0, 1 << 30, &d, &f, e)) return -1;
    if (f) { r->top_k = (int)d; r->set |= SRV_SET_TOP_K; }
    if (get_number(o, "min_p", P("min_p"), 0, 1, false, &d, &f, e)) return -1;
    if (f && d >= 1) return srv_fail(e, 400, p, "%s: must be below 1", p);
    if (f) { r->min_p = d; r->set |= SRV_SET_MIN_P; }
    if (get_number(o, "repeat_penalty", P("repeat_penalty"), 0, 100, true, &d, &f, e)) return -1;
    if (f) { r->repeat_penalty = d; r->set |= SRV_SET_REPEAT_PENALTY; }
    if (get_number(o, "presence_penalty", P("presence_penalty"), -2, 2, false, &d, &f, e)) return -1;
    if (f) r->presence_penalty = d;
    if (get_number(o, "frequency_penalty", P("frequency_penalty"), -2, 2, false, &d, &f, e)) return -1;
    if (f) r->frequency_penalty = d;
    /* Any integer a client may send (OpenAI's is an int64; negative ones too). */
    if (get_int(o, "seed", P("seed"), -9007199254740992.0, 9007199254740992.0, &d, &f, e)) return -1;
    if (f) { r->seed = (uint64_t)(int64_t)d; r->set |= SRV_SET_SEED; }
    char stop_name[64];
    snprintf(stop_name, sizeof stop_name, "%s", "stop");
    if (get_stops(o, stop_name, r, e)) {
        if (*prefix) { /* name the field as the client wrote it */
            char was[sizeof e->param];
            snprintf(was, sizeof was, "%s", e->param);
            snprintf(e->param, sizeof e->param, "%s%s", prefix, was);
        }
        return -1;
    }
#undef P
    return 0;
}

/* The length limit: OpenAI's max_tokens / max_completion_tokens, ollama's num_predict. */
static int get_limit(const cJSON *o, const char *name, const char *param, srv_request *r, srv_error *e) {
    double d;
    bool f;
    if (get_int(o, name, param, 1, 1 << 30, &d, &f, e)) return -1;
    if (f) r->max_tokens = (int)d;
    return 0;
}

static int role_of(const char *s, tmpl_role *out) {
    if (!strcmp(s, "system") || !strcmp(s, "developer")) *out = TMPL_SYSTEM;
    else if (!strcmp(s, "user")) *out = TMPL_USER;
    else if (!strcmp(s, "assistant")) *out = TMPL_ASSISTANT;
    else return -1;
    return 0;
}

/* "content": a string, or (OpenAI) a list of {"type": "text", "text": ...} parts, joined. */
static int get_content(const cJSON *m, const char *pm, bool ollama, tmpl_role role, char **out, srv_error *e) {
    char p[64];
    snprintf(p, sizeof p, "%s.content", pm);
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(m, "content");
    if (!present(c) && role != TMPL_ASSISTANT) return srv_fail(e, 400, p, "%s: required", p);
    if (!present(c)) { /* an assistant turn that only called tools */
        *out = calloc(1, 1);
        return *out ? 0 : srv_fail(e, 500, p, "out of memory");
    }
    if (cJSON_IsString(c)) return dup_text(c, p, out, e);
    if (ollama || !cJSON_IsArray(c)) return srv_fail(e, 400, p, "%s: must be a string%s", p, ollama ? "" : " or a list of text parts");
    size_t n = 0;
    int i = 0;
    const cJSON *part;
    cJSON_ArrayForEach(part, c) {
        char pp[64];
        snprintf(pp, sizeof pp, "%s[%d]", p, i++);
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(part, "type");
        const cJSON *text = cJSON_GetObjectItemCaseSensitive(part, "text");
        if (!cJSON_IsObject(part) || !cJSON_IsString(type))
            return srv_fail(e, 400, pp, "%s: must be an object with a \"type\"", pp);
        if (strcmp(type->valuestring, "text")) {
            char shown[40];
            return srv_fail(e, 400, pp, "%s: type '%s' is not supported (only text parts)", pp,
                            fmt_printable(shown, sizeof shown, type->valuestring));
        }
        if (!cJSON_IsString(text)) return srv_fail(e, 400, pp, "%s.text: must be a string", pp);
        n += strlen(text->valuestring);
    }
    char *s = malloc(n + 1);
    if (!s) return srv_fail(e, 500, p, "out of memory");
    size_t k = 0;
    cJSON_ArrayForEach(part, c) {
        const char *t = cJSON_GetObjectItemCaseSensitive(part, "text")->valuestring;
        size_t l = strlen(t);
        memcpy(s + k, t, l);
        k += l;
    }
    s[k] = '\0';
    if (!txt_utf8_valid(s, k)) { free(s); return srv_fail(e, 400, p, "%s: not valid UTF-8", p); }
    *out = s;
    return 0;
}

static int get_messages(const cJSON *root, bool ollama, srv_request *r, srv_error *e) {
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(root, "messages");
    if (!present(a)) return srv_fail(e, 400, "messages", "messages: required");
    if (!cJSON_IsArray(a)) return srv_fail(e, 400, "messages", "messages: must be a list of messages");
    int n = cJSON_GetArraySize(a);
    if (n == 0) return srv_fail(e, 400, "messages", "messages: must hold at least one message");
    if (!(r->msgs = calloc((size_t)n, sizeof *r->msgs))) return srv_fail(e, 500, "messages", "out of memory");
    const cJSON *m;
    cJSON_ArrayForEach(m, a) {
        char pm[48];
        snprintf(pm, sizeof pm, "messages[%d]", r->n_msgs);
        if (!cJSON_IsObject(m)) return srv_fail(e, 400, pm, "%s: must be an object with \"role\" and \"content\"", pm);
        const cJSON *role = cJSON_GetObjectItemCaseSensitive(m, "role");
        char pr[64];
        snprintf(pr, sizeof pr, "%s.role", pm);
        if (!present(role)) return srv_fail(e, 400, pr, "%s: required", pr);
        if (!cJSON_IsString(role)) return srv_fail(e, 400, pr, "%s: must be a string", pr);
        tmpl_role tr;
        if (role_of(role->valuestring, &tr)) {
            char shown[40];
            return srv_fail(e, 400, pr, "%s: '%s' is not supported (system, developer, user or assistant)", pr,
                            fmt_printable(shown, sizeof shown, role->valuestring));
        }
        const cJSON *x;
        if ((x = cJSON_GetObjectItemCaseSensitive(m, "tool_calls")) && cJSON_GetArraySize(x) > 0)
            return srv_fail(e, 400, pm, "%s.tool_calls: tools are not supported", pm);
        if ((x = cJSON_GetObjectItemCaseSensitive(m, "images")) && cJSON_GetArraySize(x) > 0)
            return srv_fail(e, 400, pm, "%s.images: images are not supported", pm);
        if (get_content(m, pm, ollama, tr, &r->msgs[r->n_msgs].content, e)) return -1;
        r->msgs[r->n_msgs++].role = tr;
    }
    return 0;
}

/* Fields whose meaning the server cannot honour: refused rather than ignored. */
static int refuse_unsupported(const cJSON *root, srv_error *e) {
    const cJSON *v;
    if ((v = cJSON_GetObjectItemCaseSensitive(root, "n")) && present(v) &&
        !(cJSON_IsNumber(v) && v->valuedouble == 1))
        return srv_fail(e, 400, "n", "n: only 1 choice per request is supported");
    if ((v = cJSON_GetObjectItemCaseSensitive(root, "best_of")) && present(v) &&
        !(cJSON_IsNumber(v) && v->valuedouble == 1))
        return srv_fail(e, 400, "best_of", "best_of: only 1 is supported");
    if ((v = cJSON_GetObjectItemCaseSensitive(root, "tools")) && present(v) && cJSON_GetArraySize(v) > 0)
        return srv_fail(e, 400, "tools", "tools: tool calls are not supported");
    if ((v = cJSON_GetObjectItemCaseSensitive(root, "logprobs")) && present(v) && !cJSON_IsFalse(v))
        return srv_fail(e, 400, "logprobs", "logprobs: not supported");
    if ((v = cJSON_GetObjectItemCaseSensitive(root, "echo")) && cJSON_IsTrue(v))
        return srv_fail(e, 400, "echo", "echo: not supported");
    if ((v = cJSON_GetObjectItemCaseSensitive(root, "suffix")) && cJSON_IsString(v) && v->valuestring[0])
        return srv_fail(e, 400, "suffix", "suffix: not supported");
    if ((v = cJSON_GetObjectItemCaseSensitive(root, "functions")) && present(v) && cJSON_GetArraySize(v) > 0)
        return srv_fail(e, 400, "functions", "functions: function calls are not supported");
    if ((v = cJSON_GetObjectItemCaseSensitive(root, "function_call")) && present(v) &&
        !(cJSON_IsString(v) && !strcmp(v->valuestring, "none")))
        return srv_fail(e, 400, "function_call", "function_call: function calls are not supported (only \"none\")");
    /* "none" and "auto" (the model may answer in text) are what this server does */
    if ((v = cJSON_GetObjectItemCaseSensitive(root, "tool_choice")) && present(v) &&
        !(cJSON_IsString(v) && (!strcmp(v->valuestring, "none") || !strcmp(v->valuestring, "auto"))))
        return srv_fail(e, 400, "tool_choice", "tool_choice: tool calls are not supported (only \"none\" or \"auto\")");
    if ((v = cJSON_GetObjectItemCaseSensitive(root, "logit_bias")) && present(v) &&
        !(cJSON_IsObject(v) && !v->child))
        return srv_fail(e, 400, "logit_bias", "logit_bias: not supported");
    if ((v = cJSON_GetObjectItemCaseSensitive(root, "response_format")) && present(v)) {
        const cJSON *t = cJSON_IsObject(v) ? cJSON_GetObjectItemCaseSensitive(v, "type") : NULL;
        if (!cJSON_IsString(t))
            return srv_fail(e, 400, "response_format", "response_format: must be an object with a \"type\"");
        if (strcmp(t->valuestring, "text"))
            return srv_fail(e, 400, "response_format.type",
                            "response_format.type: \"%.40s\" is not supported (only \"text\": no JSON mode or schema)",
                            t->valuestring);
    }
    return 0;
}

/* ollama's fields this server cannot honour: a 400 rather than a different answer */
static int refuse_unsupported_ollama(const cJSON *root, srv_error *e) {
    const cJSON *v;
    if ((v = cJSON_GetObjectItemCaseSensitive(root, "tools")) && present(v) && cJSON_GetArraySize(v) > 0)
        return srv_fail(e, 400, "tools", "tools: tool calls are not supported");
    if ((v = cJSON_GetObjectItemCaseSensitive(root, "think")) && present(v) && !cJSON_IsFalse(v))
        return srv_fail(e, 400, "think", "think: thinking is not supported");
    if ((v = cJSON_GetObjectItemCaseSensitive(root, "suffix")) && present(v) && !(cJSON_IsString(v) && !v->valuestring[0]))
        return srv_fail(e, 400, "suffix", "suffix: not supported");
    if ((v = cJSON_GetObjectItemCaseSensitive(root, "context")) && present(v) && cJSON_GetArraySize(v) > 0)
        return srv_fail(e, 400, "context", "context: token contexts are not supported (send the conversation as messages)");
    const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(root, "format");
    if (present(fmt) && !(cJSON_IsString(fmt) && !fmt->valuestring[0]))
        return srv_fail(e, 400, "format", "format: structured output is not supported");
    return 0;
}

/* ollama's keep_alive: a duration ("5m", "0s", "-1") or seconds; only zero (unload after
 * the request) changes anything here. */
static int get_keep_alive(const cJSON *root, bool *zero, srv_error *e) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "keep_alive");
    *zero = false;
    if (!present(v)) return 0;
    if (cJSON_IsNumber(v)) { *zero = v->valuedouble == 0; return 0; }
    if (!cJSON_IsString(v)) return srv_fail(e, 400, "keep_alive", "keep_alive: must be a duration (\"5m\") or seconds");
    char *end = NULL;
    const double d = strtod(v->valuestring, &end);
    *zero = end != v->valuestring && d == 0;
    return 0;
}

static int parse_root(srv_api api, const cJSON *root, srv_request *r, srv_error *e) {
    bool ollama = api == SRV_OLLAMA_CHAT || api == SRV_OLLAMA_GENERATE;
    r->stream = ollama; /* ollama streams unless told not to */
    r->max_tokens = -1;
    if (get_string(root, "model", "model", &r->model, e)) return -1;
    if (get_bool(root, "stream", "stream", &r->stream, e)) return -1;
    if (get_bool(root, "ignore_eos", "ignore_eos", &r->ignore_eos, e)) return -1;
    if (ollama) {
        /* no prompt or no messages: ollama's "load the model" (keep_alive 0: "unload"),
         * answered at once; the model here is always loaded */
        const cJSON *w = cJSON_GetObjectItemCaseSensitive(root, api == SRV_OLLAMA_CHAT ? "messages" : "prompt");
        if (!present(w) || (cJSON_IsArray(w) && !w->child) || (cJSON_IsString(w) && !w->valuestring[0])) {
            if (refuse_unsupported_ollama(root, e) || get_keep_alive(root, &r->unload, e)) return -1;
            r->load_only = true;
            return 0;
        }
    }
    if (api == SRV_CHAT || api == SRV_OLLAMA_CHAT) {
        if (get_messages(root, ollama, r, e)) return -1;
    } else {
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(root, "prompt");
        if (!present(p)) return srv_fail(e, 400, "prompt", "prompt: required");
        if (cJSON_IsArray(p)) { /* OpenAI: a list of one prompt is a prompt */
            if (cJSON_GetArraySize(p) != 1 || !cJSON_IsString(cJSON_GetArrayItem(p, 0)))
                return srv_fail(e, 400, "prompt", "prompt: must be a string (or a list of one string; token ids and several prompts are not supported)");
            p = cJSON_GetArrayItem(p, 0);
        }
        if (!cJSON_IsString(p)) return srv_fail(e, 400, "prompt", "prompt: must be a string");
        if (dup_text(p, "prompt", &r->prompt, e)) return -1;
    }
    if (!ollama) {
        if (refuse_unsupported(root, e)) return -1;
        const cJSON *so = cJSON_GetObjectItemCaseSensitive(root, "stream_options");
        if (present(so)) {
            if (!cJSON_IsObject(so)) return srv_fail(e, 400, "stream_options", "stream_options: must be an object");
            if (!r->stream)
                return srv_fail(e, 400, "stream_options", "stream_options: only allowed when stream is true");
            if (get_bool(so, "include_usage", "stream_options.include_usage", &r->include_usage, e)) return -1;
        }
        if (get_sampling(root, "", r, e)) return -1;
        /* the legacy completions' max_tokens defaults to 16 (OpenAI's API reference) */
        if (api == SRV_COMPLETION) r->max_tokens = SRV_COMPLETION_MAX_TOKENS;
        if (get_limit(root, "max_tokens", "max_tokens", r, e)) return -1;
        if (get_limit(root, "max_completion_tokens", "max_completion_tokens", r, e)) return -1;
        return 0;
    }
    if (refuse_unsupported_ollama(root, e) || get_keep_alive(root, &r->unload, e)) return -1;
    if (api == SRV_OLLAMA_GENERATE) {
        if (get_string(root, "system", "system", &r->system, e)) return -1;
        if (get_bool(root, "raw", "raw", &r->raw, e)) return -1;
        const cJSON *im = cJSON_GetObjectItemCaseSensitive(root, "images");
        if (im && cJSON_GetArraySize(im) > 0) return srv_fail(e, 400, "images", "images: not supported");
    }
    const cJSON *opt = cJSON_GetObjectItemCaseSensitive(root, "options");
    if (!present(opt)) return 0;
    if (!cJSON_IsObject(opt)) return srv_fail(e, 400, "options", "options: must be an object");
    if (get_sampling(opt, "options.", r, e)) return -1;
    /* num_predict: -1 (no limit) and -2 (fill the context) both mean "until the context is
     * full" here; other values below 1 are errors. */
    double d;
    bool f;
    if (get_int(opt, "num_predict", "options.num_predict", -2, 1 << 30, &d, &f, e)) return -1;
    if (f && d == 0) return srv_fail(e, 400, "options.num_predict", "options.num_predict: must be >= 1, or -1 / -2 (no limit)");
    if (f && d > 0) r->max_tokens = (int)d;
    return 0;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

/* The first key found twice in one object anywhere in v, or NULL. RFC 8259 leaves duplicate
 * names undefined and parsers differ (cJSON reads the first, Python and JavaScript the last):
 * a proxy that checks the body would see another request than the one run, so it is refused.
 * *oom on a failed allocation. Sorting keeps a hostile object of many keys O(n log n). */
static const char *dup_key(const cJSON *v, bool *oom) {
    if (!cJSON_IsObject(v) && !cJSON_IsArray(v)) return NULL;
    int n = 0;
    for (const cJSON *c = v->child; c; c = c->next) n++;
    if (cJSON_IsObject(v) && n > 1) {
        const char **keys = malloc((size_t)n * sizeof *keys);
        if (!keys) { *oom = true; return NULL; }
        int k = 0;
        for (const cJSON *c = v->child; c; c = c->next) keys[k++] = c->string ? c->string : "";
        qsort(keys, (size_t)n, sizeof *keys, cmp_str);
        const char *dup = NULL;
        for (int i = 1; i < n && !dup; i++)
            if (!strcmp(keys[i - 1], keys[i])) dup = keys[i];
        free(keys);
        if (dup) return dup;
    }
    for (const cJSON *c = v->child; c; c = c->next) {
        const char *d = dup_key(c, oom);
        if (d || *oom) return d;
    }
    return NULL;
}

int srv_request_parse(srv_api api, const char *body, size_t len, srv_request *out, srv_error *e) {
    memset(out, 0, sizeof *out);
    out->api = api;
    size_t nul = json_nul_at(body, len);
    if (nul != (size_t)-1)
        return srv_fail(e, 400, NULL, "body: offset %zu: %s is not allowed", nul,
                        nul < len && body[nul] ? "a \\u0000 escape" : "a NUL byte");
    /* RFC 8259 7: control characters inside strings must be escaped, tab and newline too
     * (cJSON takes them raw); outside strings only white space (space, tab, LF, CR) may
     * appear (cJSON skips any byte up to 0x20 there). */
    bool in_str = false;
    for (size_t i = 0; i < len; i++) {
        const unsigned char ch = (unsigned char)body[i];
        if (in_str && ch == '\\') i++; /* the escaped character, whatever it is */
        else if (ch == '"') in_str = !in_str;
        else if (ch < 0x20 && in_str)
            return srv_fail(e, 400, NULL, "body: byte %zu: control character 0x%02X in a string not escaped (JSON needs \\u%04X)",
                            i, ch, ch);
        else if (ch < 0x20 && ch != '\t' && ch != '\n' && ch != '\r') /* outside a string: cJSON skips them */
            return srv_fail(e, 400, NULL, "body: byte %zu: control character 0x%02X outside a string", i, ch);
    }
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(body, len, &end, 0);
    if (!root) {
        size_t at = end && end >= body && end <= body + len ? (size_t)(end - body) : 0;
        return srv_fail(e, 400, NULL, "body: not valid JSON (near byte %zu)", at);
    }
    /* Only white space may follow the value. */
    for (const char *p = end; p && p < body + len; p++)
        if (*p != ' ' && *p != '\n' && *p != '\r' && *p != '\t') {
            cJSON_Delete(root);
            return srv_fail(e, 400, NULL, "body: text after the JSON value (byte %zu)", (size_t)(p - body));
        }
    bool oom = false;
    const char *dup = dup_key(root, &oom);
    int rc;
    if (oom) rc = srv_fail(e, 500, NULL, "out of memory");
    else if (dup) {
        char shown[80];
        rc = srv_fail(e, 400, NULL, "body: the key '%s' appears twice in one object", fmt_printable(shown, sizeof shown, dup));
    } else rc = cJSON_IsObject(root) ? parse_root(api, root, out, e) : srv_fail(e, 400, NULL, "body: must be a JSON object");
    cJSON_Delete(root);
    if (rc) srv_request_free(out);
    return rc;
}

int srv_show_parse(const char *body, size_t len, const char *ours, srv_error *e) {
    cJSON *root = cJSON_ParseWithLength(body, len);
    if (!root || !cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return srv_fail(e, 400, NULL, "body: not a JSON object (want {\"model\": \"NAME\"})");
    }
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "model");
    if (!v) v = cJSON_GetObjectItemCaseSensitive(root, "name");
    int rc = 0;
    if (!cJSON_IsString(v)) rc = srv_fail(e, 400, "model", "model: missing, or not a string");
    else {
        const char *name = v->valuestring;
        const size_t n = strlen(ours);
        if (strcmp(name, ours) && !(strncmp(name, ours, n) == 0 && !strcmp(name + n, ":latest"))) {
            char shown[80];
            rc = srv_fail(e, 404, "model", "model '%s' not found (this server has '%s')", fmt_printable(shown, sizeof shown, name), ours);
        }
    }
    cJSON_Delete(root);
    return rc;
}
