#include "chat.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../util/clock.h"
#include "../util/file.h"
#include "generate.h"
#include "../util/fmt.h"

/* ---- a reasoning model's thinking ---- */

void chat_think_init(chat_think *t, const bool *starts_thinking, txt_emit_fn answer, txt_emit_fn thinking,
                     void *ctx) {
    memset(t, 0, sizeof *t);
    t->answer = answer;
    t->thinking = thinking;
    t->ctx = ctx;
    t->starts_thinking = starts_thinking;
}

static void think_out(chat_think *t, const char *s, size_t n) {
    if (!n) return;
    if (!t->in_think) t->answer(t->ctx, s, n);
    else if (t->thinking) t->thinking(t->ctx, s, n);
}

void chat_think_push(void *ctx, const char *text, size_t len) {
    chat_think *t = ctx;
    if (!t->started) {
        t->started = true;
        t->in_think = t->starts_thinking && *t->starts_thinking;
    }
    for (size_t i = 0; i < len; i++) {
        t->pend[t->n_pend++] = text[i];
        const char *tag = t->in_think ? "</think>" : "<think>";
        size_t tl = strlen(tag);
        if (t->n_pend <= tl && !memcmp(t->pend, tag, t->n_pend)) {
            if (t->n_pend < tl) continue;
            if (!t->in_think) t->in_think = true; /* the tags belong to the thinking */
            think_out(t, t->pend, t->n_pend);
            if (!strcmp(tag, "</think>")) t->in_think = false;
            t->n_pend = 0;
            continue;
        }
        /* not the tag: out go the bytes before the next '<' (which may start one) */
        size_t k = 1;
        while (k < t->n_pend && t->pend[k] != '<') k++;
        think_out(t, t->pend, k);
        memmove(t->pend, t->pend + k, t->n_pend - k);
        t->n_pend -= k;
    }
}

void chat_think_finish(chat_think *t) {
    think_out(t, t->pend, t->n_pend);
    t->n_pend = 0;
}

/* ---- the conversation ---- */

int chat_init(fc_chat *c, fc_engine *e, const tokenizer *tok, fc_sampler *s, enum tmpl_kind tmpl, int max_tokens,
              fc_err *err) {
    (void)err;
    memset(c, 0, sizeof *c);
    c->engine = e;
    c->tok = tok;
    c->sampler = s;
    c->tmpl = tmpl;
    c->max_tokens = max_tokens;
    engine_rewind(e, 0);
    return 0;
}

static void msg_remove(fc_chat *c, int i, int count) {
    if (count <= 0) return;
    for (int k = i; k < i + count; k++) free(c->msgs[k].content);
    memmove(c->msgs + i, c->msgs + i + count, (size_t)(c->n_msgs - i - count) * sizeof *c->msgs);
    c->n_msgs -= count;
}

void chat_free(fc_chat *c) {
    if (!c) return;
    msg_remove(c, 0, c->n_msgs);
    free(c->msgs);
    free(c->cache);
    memset(c, 0, sizeof *c);
}

static bool has_system(const fc_chat *c) { return c->n_msgs > 0 && c->msgs[0].role == TMPL_SYSTEM; }

const char *chat_system(const fc_chat *c) { return has_system(c) ? c->msgs[0].content : NULL; }

static int msg_insert(fc_chat *c, int at, tmpl_role role, const char *text, fc_err *err) {
    if (c->n_msgs == c->cap_msgs) {
        int cap = c->cap_msgs ? c->cap_msgs * 2 : 16;
        chat_msg *m = realloc(c->msgs, (size_t)cap * sizeof *m);
        if (!m) return fc_errf(err, FC_EFAIL, "out of memory");
        c->msgs = m;
        c->cap_msgs = cap;
    }
    char *copy = strdup(text ? text : "");
    if (!copy) return fc_errf(err, FC_EFAIL, "out of memory");
    memmove(c->msgs + at + 1, c->msgs + at, (size_t)(c->n_msgs - at) * sizeof *c->msgs);
    c->msgs[at] = (chat_msg){role, copy};
    c->n_msgs++;
    return 0;
}

/* Text typed or piped in must be UTF-8: the tokenizer, the template and /save's JSON take
 * nothing else (and /load refuses it). */
static int check_utf8(const char *what, const char *text, fc_err *err) {
    const size_t n = text ? strlen(text) : 0, at = txt_utf8_invalid_at(text, n);
    if (at == n) return 0;
    return fc_errf(err, FC_EINPUT, "%s is not valid UTF-8 (byte 0x%02X at offset %zu; is the terminal set to UTF-8?)", what,
                   (unsigned char)text[at], at);
}

int chat_set_system(fc_chat *c, const char *text, fc_err *err) {
    if (text && check_utf8("the system prompt", text, err)) return -1;
    if (has_system(c)) msg_remove(c, 0, 1);
    if (!text || !*text) return 0;
    return msg_insert(c, 0, TMPL_SYSTEM, text, err);
}

void chat_reset(fc_chat *c) {
    int keep = has_system(c) ? 1 : 0;
    msg_remove(c, keep, c->n_msgs - keep);
}

int chat_push(fc_chat *c, tmpl_role role, const char *text, fc_err *err) {
    if (role != TMPL_ASSISTANT && check_utf8(role == TMPL_SYSTEM ? "the system prompt" : "the message", text, err))
        return -1;
    if (role == TMPL_SYSTEM) {
        if (c->n_msgs) return fc_errf(err, FC_EINPUT, "a system message can only come first");
        return msg_insert(c, 0, role, text, err);
    }
    return msg_insert(c, c->n_msgs, role, text, err);
}

int chat_n_turns(const fc_chat *c) {
    int n = 0;
    for (int i = 0; i < c->n_msgs; i++) n += c->msgs[i].role == TMPL_USER;
    return n;
}

int chat_tokenize_prompt(const tokenizer *tok, const char *text, const unsigned char *lit, size_t len, int32_t **toks,
                         bool *thinks, fc_err *err) {
    /* A Jinja template that writes bos_token itself: the tokenizer adds BOS already. */
    size_t skip = 0;
    bool add_bos = tok_add_bos(tok);
    int32_t bos = tok_bos(tok);
    if (bos >= 0) {
        const char *bt = tok_text(tok, bos);
        size_t bl = strlen(bt);
        if (bl && bl <= len && !memcmp(text, bt, bl) && !(lit && memchr(lit, 1, bl))) {
            skip = bl;
            add_bos = true; /* the template asked for it */
        }
    }
    size_t end = len;
    while (end > skip && (text[end - 1] == '\n' || text[end - 1] == ' ')) end--;
    if (thinks) *thinks = end - skip >= 7 && !memcmp(text + end - 7, "<think>", 7);
    return tok_encode_masked(tok, text + skip, len - skip, lit ? lit + skip : NULL, add_bos, toks, err);
}

/* The conversation rendered and tokenized (with the assistant's opening):
 * the system message (if any) and the messages from index `from` on.
 * Message text stays text: control tokens are parsed only in the
 * template's own text (tok_encode_masked). */
static int render_tokens_from(fc_chat *c, int from, int32_t **toks, fc_err *err) {
    int sys = has_system(c) ? 1 : 0;
    if (from < sys) from = sys;
    int n = sys + c->n_msgs - from;
    tmpl_msg *m = malloc(((size_t)n + 1) * sizeof *m);
    if (!m) return fc_errf(err, FC_EFAIL, "out of memory");
    int k = 0;
    if (sys) m[k++] = (tmpl_msg){c->msgs[0].role, c->msgs[0].content};
    for (int i = from; i < c->n_msgs; i++) m[k++] = (tmpl_msg){c->msgs[i].role, c->msgs[i].content};
    char *text = NULL;
    unsigned char *lit = NULL;
    size_t len = 0;
    int rc = c->ct ? tmpl_chat_render(c->ct, m, k, true, &text, &lit, &len, err)
                   : tmpl_render_masked(c->tmpl, m, k, true, &text, &lit, &len, err);
    free(m);
    if (rc) return -1;
    int nt = chat_tokenize_prompt(c->tok, text, lit, len, toks, &c->reply_thinks, err);
    free(text);
    free(lit);
    return nt;
}

/* Makes the conversation fit: when it takes more than n_ctx - reserve tokens,
 * drops the oldest turns (a user message and the replies after it), never
 * the last user message. The number of turns kept is found by doubling then
 * bisecting, rendering only the kept suffix each time, so the cost grows with
 * what fits in the context, not with the length of the conversation (a
 * /load-ed file of 100 000 messages is one full render, then small ones).
 * Returns the token count with *toks, or -1 (err; FC_EINPUT when even the
 * last turn does not fit, or when interrupted: then nothing is dropped).
 * *n_dropped counts the turns dropped. */
static int fit_context(fc_chat *c, int n_ctx, int reserve, int32_t **toks, int *n_dropped,
                       const volatile sig_atomic_t *interrupt, fc_err *err) {
    *n_dropped = 0;
    int n = render_tokens_from(c, 0, toks, err);
    if (n < 0 || n + reserve <= n_ctx) return n;
    free(*toks);
    *toks = NULL;
    /* Turn starts after the system message; the last one is the current message. */
    int first = has_system(c) ? 1 : 0, n_turns = 0;
    for (int i = first; i < c->n_msgs; i++) n_turns += c->msgs[i].role == TMPL_USER;
    int *start = malloc(((size_t)n_turns + 1) * sizeof *start);
    if (!start) return fc_errf(err, FC_EFAIL, "out of memory");
    n_turns = 0;
    for (int i = first; i < c->n_msgs; i++)
        if (c->msgs[i].role == TMPL_USER) start[n_turns++] = i;
    if (n_turns == 0) { free(start); start = NULL; }
    /* fits(m): the last m turns (and the system message) leave the reserve. */
    int lo = 0, hi = n_turns; /* the last lo turns fit (0: none known), the last hi do not */
    int rc = 0;
    bool bisect = false; /* doubling until a try does not fit, then bisecting */
    while (lo + 1 < hi && rc == 0) {
        if (interrupt && *interrupt) { rc = fc_errf(err, FC_EINPUT, "interrupted while fitting the conversation"); break; }
        int m = bisect ? lo + (hi - lo) / 2 : (lo ? 2 * lo : 1);
        if (m >= hi) m = lo + (hi - lo) / 2;
        if (m <= lo) m = lo + 1;
        int32_t *t = NULL;
        int nt = render_tokens_from(c, start[n_turns - m], &t, err);
        free(t);
        if (nt < 0) { rc = -1; break; }
        if (nt + reserve <= n_ctx) lo = m;
        else { hi = m; bisect = true; }
    }
    int keep = lo ? lo : 1;
    int from = n_turns ? start[n_turns - keep] : first;
    free(start);
    if (rc) return -1;
    if (!lo && from > first) { /* not even the last turn leaves the reserve: drop nothing unless it fits */
        int32_t *t = NULL;
        int nt = render_tokens_from(c, from, &t, err);
        free(t);
        if (nt < 0) return -1;
        if (nt >= n_ctx)
            return fc_errf(err, FC_EINPUT, "the message takes %d tokens%s but the context holds %d (raise N_CTX / -c)", nt,
                           has_system(c) ? " with the system prompt" : "", n_ctx);
    }
    if (from > first) {
        *n_dropped = n_turns - keep;
        msg_remove(c, first, from - first);
    }
    n = render_tokens_from(c, 0, toks, err);
    if (n < 0) return -1;
    if (n + reserve <= n_ctx || n < n_ctx) return n; /* the reply gets what is left */
    free(*toks);
    *toks = NULL;
    return fc_errf(err, FC_EINPUT, "the message takes %d tokens%s but the context holds %d (raise N_CTX / -c)", n,
                   has_system(c) ? " with the system prompt" : "", n_ctx);
}

/* Room for n tokens in the cache list (the chat's gen_history). */
static int cache_reserve(fc_chat *c, int n, fc_err *err) {
    gen_history h = {c->cache, c->n_cache, c->cap_cache};
    int rc = gen_history_reserve(&h, n, err);
    c->cache = h.ids;
    c->cap_cache = h.cap;
    return rc;
}

int chat_sync(fc_chat *c, chat_stats *st, const volatile sig_atomic_t *interrupt, fc_err *err) {
    chat_stats local;
    if (!st) st = &local;
    memset(st, 0, sizeof *st);
    int n_ctx = engine_n_ctx(c->engine);
    /* Room for the reply: MAX_TOKENS, else a quarter of the context; never more
     * than half, so that a small context still holds a turn or two. */
    int reserve = c->max_tokens > 0 ? c->max_tokens : n_ctx / 4;
    if (reserve > n_ctx / 2) reserve = n_ctx / 2;
    if (reserve < 1) reserve = 1;
    int32_t *toks = NULL;
    int n = fit_context(c, n_ctx, reserve, &toks, &st->n_dropped, interrupt, err);
    if (n < 0) return -1;
    if (n == 0) return fc_errf(err, FC_EINPUT, "the chat template rendered no tokens");
    int common = 0;
    while (common < c->n_cache && common < n && c->cache[common] == toks[common]) common++;
    if (common == n) common = n - 1; /* re-evaluate the last token: its logits start the reply */
    engine_rewind(c->engine, common);
    common = engine_n_past(c->engine); /* a sliding-window ring may have had to start over */
    c->n_cache = common;
    st->n_reused = common;
    if (cache_reserve(c, n, err)) { free(toks); return -1; }
    int n_batch = (int)engine_params(c->engine)->n_batch;
    if (n_batch < 1) n_batch = 1;
    double t0 = fc_now_s();
    for (int i = common; i < n; i += n_batch) {
        if (interrupt && *interrupt) { st->interrupted = true; break; }
        int k = n - i < n_batch ? n - i : n_batch;
        if (engine_eval(c->engine, toks + i, k, NULL, err)) { free(toks); return -1; }
        memcpy(c->cache + i, toks + i, (size_t)k * sizeof *toks);
        c->n_cache += k;
        st->n_prompt += k;
    }
    st->prompt_s = fc_now_s() - t0;
    free(toks);
    return 0;
}

int chat_reply(fc_chat *c, const char *user, txt_emit_fn emit, void *ctx, const volatile sig_atomic_t *interrupt,
               fc_err *err) {
    chat_stats *st = &c->last;
    if (chat_push(c, TMPL_USER, user, err)) return -1;
    if (chat_sync(c, st, interrupt, err)) {
        msg_remove(c, c->n_msgs - 1, 1);
        return -1;
    }
    /* The tokens in the cache are the history session_generate samples
     * against and extends. */
    gen_history hist = {c->cache, c->n_cache, c->cap_cache};
    gen_params gp = {
        .max_tokens = c->max_tokens,
        .stop_at_eog = true,
        .stops = tmpl_stop_strings(c->tmpl),
        .emit = emit,
        .emit_ctx = ctx,
        .interrupt = interrupt,
    };
    gen_result gr;
    int rc = session_generate(c->engine, c->tok, c->sampler, &hist, &gp, &gr, err);
    c->cache = hist.ids;
    c->n_cache = hist.n;
    c->cap_cache = hist.cap;
    st->n_gen = gr.n_gen;
    st->gen_s = gr.seconds;
    st->interrupted = gr.stop == GEN_INTERRUPTED;
    st->max_tokens = gr.stop == GEN_MAX_TOKENS;
    st->ctx_full = gr.stop == GEN_CTX_FULL;
    if (rc == 0) {
        if (st->interrupted && gr.text_len == 0) {
            msg_remove(c, c->n_msgs - 1, 1);
            st->taken_back = true;
        }
        else rc = chat_push(c, TMPL_ASSISTANT, gr.text, err);
    } else msg_remove(c, c->n_msgs - 1, 1);
    free(gr.text);
    return rc;
}

/* ---- /save and /load ---- */

static const char *role_name(tmpl_role r) {
    return r == TMPL_SYSTEM ? "system" : r == TMPL_USER ? "user" : "assistant";
}

char *chat_to_json(const fc_chat *c) {
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    cJSON_AddStringToObject(o, "format", "fitchat-chat");
    cJSON_AddNumberToObject(o, "version", 1);
    /* informational: the model's own Jinja template, or the built-in family */
    cJSON_AddStringToObject(o, "template", c->ct && c->ct->jinja ? "jinja" : tmpl_name(c->tmpl));
    cJSON *a = cJSON_AddArrayToObject(o, "messages");
    for (int i = 0; a && i < c->n_msgs; i++) {
        cJSON *m = cJSON_CreateObject();
        if (!m) break;
        cJSON_AddStringToObject(m, "role", role_name(c->msgs[i].role));
        cJSON_AddStringToObject(m, "content", c->msgs[i].content);
        cJSON_AddItemToArray(a, m);
    }
    char *s = cJSON_Print(o);
    cJSON_Delete(o);
    return s;
}

int chat_from_json(fc_chat *c, const char *json, const char *name, fc_err *err) {
    size_t nul = json_nul_at(json, strlen(json));
    if (nul != (size_t)-1)
        return fc_errf(err, FC_EINPUT, "%s: line %d: a \\u0000 escape is not allowed (it would cut the message short)",
                       name, text_line_at(json, nul));
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithOpts(json, &end, true); /* nothing but white space after it */
    if (!root) {
        const char *at = end ? end : cJSON_GetErrorPtr();
        const size_t off = at && at >= json ? (size_t)(at - json) : 0;
        return fc_errf(err, FC_EINPUT, "%s: line %d: not valid JSON (near offset %zu)", name, text_line_at(json, off), off);
    }
    const cJSON *arr = root;
    if (cJSON_IsObject(root)) {
        arr = cJSON_GetObjectItemCaseSensitive(root, "messages");
        /* /save's own fields, when present, must be what this version writes */
        const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(root, "format");
        const cJSON *ver = cJSON_GetObjectItemCaseSensitive(root, "version");
        if (fmt && !(cJSON_IsString(fmt) && !strcmp(fmt->valuestring, "fitchat-chat"))) {
            cJSON_Delete(root);
            return fc_errf(err, FC_EINPUT, "%s: \"format\" must be \"fitchat-chat\" (a conversation from /save)", name);
        }
        if (ver && !(cJSON_IsNumber(ver) && ver->valuedouble == 1)) {
            cJSON_Delete(root);
            return fc_errf(err, FC_EINPUT, "%s: \"version\" must be 1 (the version this fitchat reads and writes)", name);
        }
    }
    if (!cJSON_IsArray(arr)) {
        cJSON_Delete(root);
        return fc_errf(err, FC_EINPUT, "%s: expected {\"messages\": [...]} or an array of messages", name);
    }
    fc_chat tmp = {0};
    int i = 0, rc = 0;
    const cJSON *m;
    cJSON_ArrayForEach(m, arr) {
        const cJSON *role = cJSON_GetObjectItemCaseSensitive(m, "role");
        const cJSON *content = cJSON_GetObjectItemCaseSensitive(m, "content");
        tmpl_role r;
        if (!cJSON_IsString(role) || !cJSON_IsString(content)) {
            rc = fc_errf(err, FC_EINPUT, "%s: message %d: needs string \"role\" and \"content\"%s", name, i + 1,
                         cJSON_IsArray(content) ? " (content as a list of parts is not supported)" : "");
            break;
        }
        if (!strcmp(role->valuestring, "system")) r = TMPL_SYSTEM;
        else if (!strcmp(role->valuestring, "user")) r = TMPL_USER;
        else if (!strcmp(role->valuestring, "assistant")) r = TMPL_ASSISTANT;
        else {
            char shown[64];
            rc = fc_errf(err, FC_EINPUT, "%s: message %d: role '%s' is not system, user or assistant", name, i + 1,
                         fmt_printable(shown, sizeof shown, role->valuestring));
            break;
        }
        if (r == TMPL_SYSTEM && i > 0) {
            rc = fc_errf(err, FC_EINPUT, "%s: message %d: a system message can only come first", name, i + 1);
            break;
        }
        const size_t len = strlen(content->valuestring), bad = txt_utf8_invalid_at(content->valuestring, len);
        if (bad != len) {
            rc = fc_errf(err, FC_EINPUT, "%s: message %d: content is not valid UTF-8 (byte 0x%02X at offset %zu of it)", name,
                         i + 1, (unsigned char)content->valuestring[bad], bad);
            break;
        }
        if ((rc = chat_push(&tmp, r, content->valuestring, err))) break;
        i++;
    }
    cJSON_Delete(root);
    if (!rc && !has_system(&tmp) && has_system(c)) rc = msg_insert(&tmp, 0, TMPL_SYSTEM, c->msgs[0].content, err);
    if (rc) {
        chat_free(&tmp);
        return -1;
    }
    msg_remove(c, 0, c->n_msgs);
    free(c->msgs);
    c->msgs = tmp.msgs;
    c->n_msgs = tmp.n_msgs;
    c->cap_msgs = tmp.cap_msgs;
    c->n_loaded = i;
    return 0;
}

int chat_save(const fc_chat *c, const char *path, fc_err *err) {
    char *s = chat_to_json(c);
    if (!s) return fc_errf(err, FC_EFAIL, "out of memory");
    size_t n = strlen(s);
    s[n] = '\n'; /* chat_to_json's terminator becomes the final newline */
    int rc = fc_write_file_atomic(path, s, n + 1, err);
    free(s);
    return rc;
}

int chat_load(fc_chat *c, const char *path, fc_err *err) {
    char *buf;
    size_t n;
    if (fc_read_file(path, CHAT_LOAD_MAX, &buf, &n, err)) return -1;
    if (memchr(buf, '\0', n)) {
        size_t at = (size_t)((char *)memchr(buf, '\0', n) - buf);
        free(buf);
        return fc_errf(err, FC_EINPUT, "%s: offset %zu: a NUL byte (not a JSON conversation)", path, at);
    }
    int rc = chat_from_json(c, buf, path, err);
    free(buf);
    return rc;
}
