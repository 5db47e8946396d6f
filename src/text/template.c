#include "template.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

/* A growable string; on allocation failure it sets oom and drops further text. */
typedef struct sbuf {
    char *s;
    size_t len, cap;
    bool oom;
} sbuf;

static void sb_putn(sbuf *b, const char *s, size_t n) {
    if (b->oom) return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1) cap *= 2;
        char *p = realloc(b->s, cap);
        if (!p) { b->oom = true; return; }
        b->s = p;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

static void sb_put(sbuf *b, const char *s) { sb_putn(b, s, strlen(s)); }

/* Appends s without leading/trailing whitespace (Jinja's trim and Python's strip). */
static void sb_put_trimmed(sbuf *b, const char *s) {
    size_t n = strlen(s);
    while (n && isspace((unsigned char)*s)) { s++; n--; }
    while (n && isspace((unsigned char)s[n - 1])) n--;
    sb_putn(b, s, n);
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
            sb_put(b, m[i].content); sb_put(b, "<|im_end|>\n");
            break;
        case TMPL_LLAMA3:
            sb_put(b, "<|start_header_id|>"); sb_put(b, role); sb_put(b, "<|end_header_id|>\n\n");
            sb_put_trimmed(b, m[i].content); sb_put(b, "<|eot_id|>");
            break;
        default: /* phi3, zephyr */
            sb_put(b, "<|"); sb_put(b, role); sb_put(b, "|>\n");
            sb_put(b, m[i].content); sb_put(b, kind == TMPL_PHI3 ? "<|end|>\n" : "</s>\n");
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
                free(user.s);
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
        if (m[i].role == TMPL_USER && system && !seen_user) {
            if (kind == TMPL_LLAMA2) {
                sb_put(&user, "<<SYS>>\n"); sb_put(&user, system); sb_put(&user, "\n<</SYS>>\n\n");
                sb_put(&user, content);
            } else if (kind == TMPL_MISTRAL) {
                sb_put(&user, system); sb_put(&user, "\n\n"); sb_put(&user, content);
            } else { /* gemma 3: first_user_prefix + (content | trim) */
                sb_put(&user, system); sb_put(&user, "\n\n"); sb_put_trimmed(&user, content);
            }
            if (user.oom) break;
            content = user.s;
        }
        bool is_user = m[i].role == TMPL_USER;
        if (!is_user && system && !seen_user) {
            free(user.s);
            return fc_errf(err, FC_EINPUT, "message %d: the %s template folds the system prompt into "
                           "the first user turn, but an assistant turn comes first", i, tmpl_name(kind));
        }
        switch (kind) {
        case TMPL_LLAMA2: /* bos + '[INST] ' + content.strip() + ' [/INST]' / ' ' + strip + ' ' + eos */
            if (is_user) {
                if (any_turn) sb_put(b, "<s>");
                sb_put(b, "[INST] "); sb_put_trimmed(b, content); sb_put(b, " [/INST]");
            } else {
                sb_put(b, " "); sb_put_trimmed(b, content); sb_put(b, " </s>");
            }
            break;
        case TMPL_MISTRAL: /* '[INST] ' + content + ' [/INST]' / content + eos */
            if (is_user) { sb_put(b, "[INST] "); sb_put(b, content); sb_put(b, " [/INST]"); }
            else { sb_put(b, content); sb_put(b, "</s>"); }
            break;
        default: /* gemma */
            sb_put(b, is_user ? "<start_of_turn>user\n" : "<start_of_turn>model\n");
            if (content == user.s) sb_put(b, content); /* already trimmed where gemma trims */
            else sb_put_trimmed(b, content);
            sb_put(b, "<end_of_turn>\n");
            break;
        }
        seen_user |= is_user;
        any_turn = true;
    }
    free(user.s);
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
    *out = NULL;
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
    if (rc) { free(b.s); return rc; }
    *out = b.s;
    return 0;
}
