#include "template.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

/* One row per kind: its MODEL_TYPE name and its end-of-turn markers. */
static const char *const STOP_CHATML[] = {"<|im_end|>", NULL};
static const char *const STOP_EOS_S[] = {"</s>", NULL};
static const char *const STOP_LLAMA3[] = {"<|eot_id|>", NULL};
static const char *const STOP_GEMMA[] = {"<end_of_turn>", NULL};
static const char *const STOP_PHI3[] = {"<|end|>", NULL};

static const struct {
    const char *name;
    const char *const *stops;
} KINDS[TMPL_COUNT] = {
    [TMPL_CHATML] = {"chatml", STOP_CHATML},
    [TMPL_LLAMA2] = {"llama2", STOP_EOS_S},
    [TMPL_MISTRAL] = {"mistral", STOP_EOS_S},
    [TMPL_LLAMA3] = {"llama3", STOP_LLAMA3},
    [TMPL_GEMMA] = {"gemma", STOP_GEMMA},
    [TMPL_PHI3] = {"phi3", STOP_PHI3},
    [TMPL_ZEPHYR] = {"zephyr", STOP_EOS_S},
};

const char *tmpl_name(enum tmpl_kind kind) {
    return (unsigned)kind < TMPL_COUNT ? KINDS[kind].name : "?";
}

const char *tmpl_names(void) { return "chatml, llama2, mistral, llama3, gemma, phi3, zephyr"; }

const char *const *tmpl_stop_strings(enum tmpl_kind kind) {
    static const char *const none[] = {NULL};
    return (unsigned)kind < TMPL_COUNT ? KINDS[kind].stops : none;
}

int tmpl_from_name(const char *name, enum tmpl_kind *out, fc_err *err) {
    for (int k = 0; name && k < TMPL_COUNT; k++)
        if (!strcasecmp(name, KINDS[k].name)) { *out = (enum tmpl_kind)k; return 0; }
    return fc_errf(err, FC_EINPUT, "unknown chat template '%s' (known: %s)", name ? name : "(null)",
                   tmpl_names());
}

enum tmpl_kind tmpl_detect(const char *jinja, bool *guessed) {
    enum tmpl_kind kind = TMPL_CHATML;
    bool known = true;
    /* Order matters: the more specific markers first (a Llama-3 template never contains
     * <|im_start|>, but zephyr and phi3 share <|user|>). */
    if (!jinja || !*jinja) known = false;
    else if (strstr(jinja, "<|im_start|>")) kind = TMPL_CHATML;
    else if (strstr(jinja, "<|start_header_id|>")) kind = TMPL_LLAMA3;
    else if (strstr(jinja, "<start_of_turn>")) kind = TMPL_GEMMA;
    else if (strstr(jinja, "<|user|>") && strstr(jinja, "<|end|>")) kind = TMPL_PHI3;
    else if (strstr(jinja, "<|user|>") && (strstr(jinja, "</s>") || strstr(jinja, "eos_token")))
        kind = TMPL_ZEPHYR;
    else if (strstr(jinja, "[INST]")) kind = strstr(jinja, "<<SYS>>") ? TMPL_LLAMA2 : TMPL_MISTRAL;
    else known = false;
    if (guessed) *guessed = !known;
    return kind;
}

char *tmpl_default_system(const char *jinja) {
    static const char open[] = "<|im_start|>system";
    for (const char *p = jinja ? strstr(jinja, open) : NULL; p; p = strstr(p + 1, open)) {
        const char *text = p + sizeof open - 1;
        if (*text == '\n') text++;
        else if (text[0] == '\\' && text[1] == 'n') text += 2;
        else continue; /* '<|im_start|>system' + ... : not a literal block */
        const char *end = strstr(text, "<|im_end|>");
        if (!end || end <= text) continue;
        /* A literal: no Jinja expression or string concatenation inside. */
        bool literal = true;
        for (const char *q = text; q < end && literal; q++)
            literal = !(*q == '{' || *q == '}' || *q == '\'' || *q == '"' || *q == '+' || *q == '%');
        if (!literal) continue;
        char *out = malloc((size_t)(end - text) + 1);
        if (!out) return NULL;
        size_t n = 0;
        for (const char *q = text; q < end; q++) {
            if (q[0] == '\\' && q + 1 < end && (q[1] == 'n' || q[1] == 't' || q[1] == '\\')) {
                out[n++] = q[1] == 'n' ? '\n' : q[1] == 't' ? '\t' : '\\';
                q++;
            } else {
                out[n++] = *q;
            }
        }
        out[n] = '\0';
        return out;
    }
    return NULL;
}

/* A growable string with its literal mask (1: message text); on allocation failure it sets
 * oom and drops further text. lit is the mask of what sb_put appends. */
typedef struct sbuf {
    char *s;
    unsigned char *m;
    size_t len, cap;
    bool oom;
    unsigned char lit;
} sbuf;

static void sb_putm(sbuf *b, const char *s, const unsigned char *m, size_t n) {
    if (b->oom) return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1) cap *= 2;
        char *p = realloc(b->s, cap);
        if (p) b->s = p;
        unsigned char *q = p ? realloc(b->m, cap) : NULL;
        if (!p || !q) { b->oom = true; return; }
        b->m = q;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    if (m) memcpy(b->m + b->len, m, n);
    else memset(b->m + b->len, b->lit, n);
    b->len += n;
    b->s[b->len] = '\0';
}

static void sb_putn(sbuf *b, const char *s, size_t n) { sb_putm(b, s, NULL, n); }
static void sb_put(sbuf *b, const char *s) { sb_putn(b, s, strlen(s)); }
/* message text */
static void sb_put_lit(sbuf *b, const char *s) { b->lit = 1; sb_put(b, s); b->lit = 0; }

/* Appends message text s without leading/trailing whitespace (Jinja's trim, Python's strip). */
static void sb_put_trimmed(sbuf *b, const char *s) {
    size_t n = strlen(s);
    while (n && isspace((unsigned char)*s)) { s++; n--; }
    while (n && isspace((unsigned char)s[n - 1])) n--;
    b->lit = 1;
    sb_putn(b, s, n);
    b->lit = 0;
}

/* Appends another sbuf's text with its mask, trimmed if trim. */
static void sb_put_sb(sbuf *b, const sbuf *from, bool trim) {
    size_t a = 0, n = from->len;
    if (trim) {
        while (a < n && isspace((unsigned char)from->s[a])) a++;
        while (n > a && isspace((unsigned char)from->s[n - 1])) n--;
    }
    if (n > a) sb_putm(b, from->s + a, from->m + a, n - a);
}

static const char *role_name(tmpl_role r) {
    return r == TMPL_SYSTEM ? "system" : r == TMPL_USER ? "user" : "assistant";
}

/* chatml, llama3, phi3, zephyr: every message is its own block "open(role) content close". */
static void render_blocks(sbuf *b, enum tmpl_kind kind, const tmpl_msg *m, int n, bool gen) {
    for (int i = 0; i < n; i++) {
        const char *role = role_name(m[i].role);
        switch (kind) {
        case TMPL_CHATML:
            sb_put(b, "<|im_start|>"); sb_put(b, role); sb_put(b, "\n");
            sb_put_lit(b, m[i].content); sb_put(b, "<|im_end|>\n");
            break;
        case TMPL_LLAMA3:
            sb_put(b, "<|start_header_id|>"); sb_put(b, role); sb_put(b, "<|end_header_id|>\n\n");
            sb_put_trimmed(b, m[i].content); sb_put(b, "<|eot_id|>");
            break;
        default: /* phi3, zephyr */
            sb_put(b, "<|"); sb_put(b, role); sb_put(b, "|>\n");
            sb_put_lit(b, m[i].content); sb_put(b, kind == TMPL_PHI3 ? "<|end|>\n" : "</s>\n");
            break;
        }
    }
    if (!gen) return;
    if (kind == TMPL_CHATML) sb_put(b, "<|im_start|>assistant\n");
    else if (kind == TMPL_LLAMA3) sb_put(b, "<|start_header_id|>assistant<|end_header_id|>\n\n");
    else sb_put(b, "<|assistant|>\n");
}

/* llama2, mistral, gemma: no system turn of their own; the system prompt (messages before the
 * first user turn) is folded into the first user turn. */
static int render_folded(sbuf *b, enum tmpl_kind kind, const tmpl_msg *m, int n, bool gen, fc_err *err) {
    const char *system = NULL;
    bool seen_user = false, any_turn = false;
    sbuf user = {0};
    for (int i = 0; i < n; i++) {
        if (m[i].role == TMPL_SYSTEM) {
            if (seen_user || any_turn || system) {
                free(user.s); free(user.m);
                return fc_errf(err, FC_EINPUT, "message %d: the %s template takes one system prompt, "
                               "before the first user turn", i, tmpl_name(kind));
            }
            system = m[i].content;
            continue;
        }
        /* The user text as the template sees it, with the system prompt folded in. */
        user.len = 0;
        if (user.s) user.s[0] = '\0';
        const char *content = m[i].content;
        bool folded = false; /* content is user's text (with its mask) */
        if (m[i].role == TMPL_USER && system && !seen_user) {
            if (kind == TMPL_LLAMA2) {
                sb_put(&user, "<<SYS>>\n"); sb_put_lit(&user, system); sb_put(&user, "\n<</SYS>>\n\n");
                sb_put_lit(&user, content);
            } else if (kind == TMPL_MISTRAL) {
                sb_put_lit(&user, system); sb_put(&user, "\n\n"); sb_put_lit(&user, content);
            } else { /* gemma 3: first_user_prefix + (content | trim) */
                sb_put_lit(&user, system); sb_put(&user, "\n\n"); sb_put_trimmed(&user, content);
            }
            if (user.oom) break;
            content = user.s;
            folded = true;
        }
        bool is_user = m[i].role == TMPL_USER;
        if (!is_user && system && !seen_user) {
            free(user.s); free(user.m);
            return fc_errf(err, FC_EINPUT, "message %d: the %s template folds the system prompt into "
                           "the first user turn, but an assistant turn comes first", i, tmpl_name(kind));
        }
        switch (kind) {
        case TMPL_LLAMA2: /* bos + '[INST] ' + content.strip() + ' [/INST]' / ' ' + strip + ' ' + eos */
            if (is_user) {
                if (any_turn) sb_put(b, "<s>");
                sb_put(b, "[INST] ");
                if (folded) sb_put_sb(b, &user, true);
                else sb_put_trimmed(b, content);
                sb_put(b, " [/INST]");
            } else {
                sb_put(b, " "); sb_put_trimmed(b, content); sb_put(b, " </s>");
            }
            break;
        case TMPL_MISTRAL: /* '[INST] ' + content + ' [/INST]' / content + eos */
            if (is_user) {
                sb_put(b, "[INST] ");
                if (folded) sb_put_sb(b, &user, false);
                else sb_put_lit(b, content);
                sb_put(b, " [/INST]");
            } else { sb_put_lit(b, content); sb_put(b, "</s>"); }
            break;
        default: /* gemma */
            sb_put(b, is_user ? "<start_of_turn>user\n" : "<start_of_turn>model\n");
            if (folded) sb_put_sb(b, &user, false); /* already trimmed where gemma trims */
            else sb_put_trimmed(b, content);
            sb_put(b, "<end_of_turn>\n");
            break;
        }
        seen_user |= is_user;
        any_turn = true;
    }
    free(user.s); free(user.m);
    if (user.oom) b->oom = true;
    /* A system prompt with no user turn to carry it: give it an empty one. */
    if (system && !seen_user && !any_turn) {
        tmpl_msg one[2] = {{TMPL_SYSTEM, system}, {TMPL_USER, ""}};
        return render_folded(b, kind, one, 2, gen, err);
    }
    if (gen && kind == TMPL_GEMMA) sb_put(b, "<start_of_turn>model\n");
    return 0;
}

int tmpl_render(enum tmpl_kind kind, const tmpl_msg *msgs, int n, bool add_generation_prompt,
                char **out, fc_err *err) {
    size_t len;
    return tmpl_render_masked(kind, msgs, n, add_generation_prompt, out, NULL, &len, err);
}

int tmpl_render_masked(enum tmpl_kind kind, const tmpl_msg *msgs, int n, bool add_generation_prompt,
                       char **out, unsigned char **literal, size_t *len, fc_err *err) {
    *out = NULL;
    if (literal) *literal = NULL;
    *len = 0;
    if ((unsigned)kind >= TMPL_COUNT) return fc_errf(err, FC_EINPUT, "chat template kind %d is not known", (int)kind);
    if (n < 0 || (n > 0 && !msgs)) return fc_errf(err, FC_EINPUT, "chat template: %d messages", n);
    for (int i = 0; i < n; i++) {
        if ((unsigned)msgs[i].role > TMPL_ASSISTANT)
            return fc_errf(err, FC_EINPUT, "message %d: role %d is not system, user or assistant", i, (int)msgs[i].role);
        if (!msgs[i].content) return fc_errf(err, FC_EINPUT, "message %d (%s): no content", i, role_name(msgs[i].role));
    }
    sbuf b = {0};
    sb_put(&b, ""); /* an empty conversation still gives a string */
    int rc = 0;
    if (kind == TMPL_LLAMA2 || kind == TMPL_MISTRAL || kind == TMPL_GEMMA)
        rc = render_folded(&b, kind, msgs, n, add_generation_prompt, err);
    else
        render_blocks(&b, kind, msgs, n, add_generation_prompt);
    if (rc == 0 && b.oom) rc = fc_errf(err, FC_EFAIL, "chat template: out of memory");
    if (rc) { free(b.s); free(b.m); return rc; }
    *out = b.s;
    *len = b.len;
    if (literal) *literal = b.m;
    else free(b.m);
    return 0;
}

enum tmpl_kind tmpl_from_arch(const char *arch, bool *known) {
    static const struct { const char *arch; enum tmpl_kind kind; } ARCHS[] = {
        {"gemma", TMPL_GEMMA}, {"gemma2", TMPL_GEMMA}, {"gemma3", TMPL_GEMMA}, {"gemma3n", TMPL_GEMMA},
        {"phi3", TMPL_PHI3}, {"qwen2", TMPL_CHATML}, {"qwen3", TMPL_CHATML}, {"qwen2moe", TMPL_CHATML},
        {"qwen3moe", TMPL_CHATML}, {"smollm3", TMPL_CHATML},
    };
    for (size_t i = 0; arch && i < sizeof ARCHS / sizeof ARCHS[0]; i++)
        if (!strcmp(arch, ARCHS[i].arch)) { if (known) *known = true; return ARCHS[i].kind; }
    if (known) *known = false;
    return TMPL_CHATML;
}

void tmpl_chat_free(tmpl_chat *t) {
    if (!t) return;
    jinja_free(t->jinja);
    free(t->bos);
    free(t->eos);
    memset(t, 0, sizeof *t);
}

int tmpl_chat_init(tmpl_chat *t, const char *src, size_t len, const char *source, enum tmpl_kind kind,
                   const char *bos, const char *eos, fc_err *err) {
    memset(t, 0, sizeof *t);
    t->kind = kind;
    snprintf(t->source, sizeof t->source, "%s", source ? source : "chat template");
    t->bos = strdup(bos ? bos : "");
    t->eos = strdup(eos ? eos : "");
    if (!t->bos || !t->eos) { tmpl_chat_free(t); return fc_errf(err, FC_EFAIL, "out of memory"); }
    if (!src) return 0;
    fc_err e = {0};
    const char *base = strrchr(t->source, '/');
    t->jinja = jinja_parse(src, len, base ? base + 1 : t->source, &e);
    if (!t->jinja) {
        snprintf(t->failure, sizeof t->failure, "%s", e.msg);
        snprintf(t->warning, sizeof t->warning, "%s; using the built-in %s format", e.msg, tmpl_name(kind));
        return 0;
    }
    /* a test rendering finds what the template needs and we lack before the chat starts */
    tmpl_msg probe = {TMPL_USER, "Hello"};
    char *out = NULL;
    size_t n;
    if (tmpl_chat_render(t, &probe, 1, true, &out, NULL, &n, &e)) {
        if (!t->jinja) return 0; /* the warning is set, the family took over */
        tmpl_chat_free(t);
        return fc_errf(err, FC_EFAIL, "%s", e.msg);
    }
    free(out);
    return 0;
}

/* The Jinja template alone: 0, or -1 with e (FC_EFAIL out of memory, else the template's
 * own error). t is only read (a parsed template may be rendered from several threads). */
static int render_jinja(const tmpl_chat *t, const tmpl_msg *msgs, int n, bool add_generation_prompt, char **out,
                        unsigned char **literal, size_t *len, fc_err *e) {
    cJSON *data = cJSON_CreateObject(), *own = cJSON_CreateObject();
    cJSON *list = data ? cJSON_AddArrayToObject(data, "messages") : NULL;
    bool ok = own && list && cJSON_AddStringToObject(own, "bos_token", t->bos) &&
              cJSON_AddStringToObject(own, "eos_token", t->eos) &&
              cJSON_AddBoolToObject(own, "add_generation_prompt", add_generation_prompt) &&
              cJSON_AddNullToObject(own, "tools") && cJSON_AddNullToObject(own, "documents");
    for (int i = 0; ok && i < n; i++) {
        cJSON *m = cJSON_CreateObject();
        ok = m && cJSON_AddItemToArray(list, m) && (unsigned)msgs[i].role <= TMPL_ASSISTANT && msgs[i].content &&
             cJSON_AddStringToObject(m, "role", role_name(msgs[i].role)) &&
             cJSON_AddStringToObject(m, "content", msgs[i].content);
        if (!m) break;
    }
    int rc = -1;
    if (ok) {
        jinja_vars vars = {.data = data, .own = own, .now = t->now ? t->now : time(NULL)};
        rc = jinja_render(t->jinja, &vars, out, literal, len, e);
    } else {
        fc_errf(e, FC_EFAIL, "out of memory, or a message without role or content");
    }
    cJSON_Delete(data);
    cJSON_Delete(own);
    return rc;
}

int tmpl_chat_render(tmpl_chat *t, const tmpl_msg *msgs, int n, bool add_generation_prompt, char **out,
                     unsigned char **literal, size_t *len, fc_err *err) {
    if (t->jinja && n >= 0 && (n == 0 || msgs)) {
        fc_err e = {0};
        if (render_jinja(t, msgs, n, add_generation_prompt, out, literal, len, &e) == 0) return 0;
        if (e.code == FC_EFAIL) return fc_errf(err, FC_EFAIL, "%s", e.msg);
        snprintf(t->failure, sizeof t->failure, "%s", e.msg);
        snprintf(t->warning, sizeof t->warning, "%s; using the built-in %s format", e.msg, tmpl_name(t->kind));
        jinja_free(t->jinja);
        t->jinja = NULL;
    }
    return tmpl_render_masked(t->kind, msgs, n, add_generation_prompt, out, literal, len, err);
}

int tmpl_chat_render_strict(const tmpl_chat *t, const tmpl_msg *msgs, int n, bool add_generation_prompt, char **out,
                            unsigned char **literal, size_t *len, fc_err *err) {
    if (t->jinja && n >= 0 && (n == 0 || msgs)) {
        fc_err e = {0};
        if (render_jinja(t, msgs, n, add_generation_prompt, out, literal, len, &e) == 0) return 0;
        return fc_errf(err, e.code == FC_EFAIL ? FC_EFAIL : FC_EINPUT, "%s", e.msg);
    }
    return tmpl_render_masked(t->kind, msgs, n, add_generation_prompt, out, literal, len, err);
}
