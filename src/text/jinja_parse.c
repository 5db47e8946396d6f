/* jinja_parse — the arena, the lexer (jinja2's whitespace rules) and the recursive-descent
 * parser. See jinja.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jinja_int.h"

/* ---- arena ---- */

struct jchunk { struct jchunk *next; size_t used, cap; max_align_t data[]; };

void *ja_alloc(jarena *a, size_t n) {
    n = (n + 15) & ~(size_t)15;
    if (a->oom || n > a->limit) { a->oom = true; return NULL; }
    struct jchunk *h = a->head;
    if (!h || h->cap - h->used < n) {
        size_t cap = n > 65536 ? n : 65536;
        if (a->total + cap > a->limit) { a->oom = true; return NULL; }
        h = malloc(sizeof *h + cap);
        if (!h) { a->oom = true; return NULL; }
        h->next = a->head;
        h->used = 0;
        h->cap = cap;
        a->head = h;
        a->total += cap;
    }
    void *p = (char *)h->data + h->used;
    h->used += n;
    memset(p, 0, n);
    return p;
}

char *ja_strndup(jarena *a, const char *s, size_t n) {
    char *p = ja_alloc(a, n + 1);
    if (p && n) memcpy(p, s, n);
    return p;
}

void ja_free(jarena *a) {
    for (struct jchunk *h = a->head, *next; h; h = next) { next = h->next; free(h); }
    a->head = NULL;
    a->total = 0;
}

/* ---- lexer ---- */

enum { T_DATA, T_VAR_BEGIN, T_VAR_END, T_BLOCK_BEGIN, T_BLOCK_END, T_NAME, T_STRING, T_INT,
       T_FLOAT, T_OP, T_EOF };

typedef struct jtok {
    uint8_t type;
    int line;
    const char *s; size_t len; /* source text, or the decoded string / data */
    int64_t i;
    double f;
} jtok;

typedef struct jparser {
    jinja_tmpl *t;
    fc_err *err;
    bool failed;
    char *src; size_t n;   /* normalised source (LF only, trailing newline dropped) */
    jtok *toks; size_t n_toks, cap_toks, pos;
    int nest;
} jparser;

void jinja_clean_msg(char *s) {
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f) *s = ' ';
}

int jinja_verr(fc_err *err, bool *failed, const char *name, int line, const char *fmt, va_list ap) {
    if (*failed) return -1;
    *failed = true;
    char msg[768];
    vsnprintf(msg, sizeof msg, fmt, ap);
    jinja_clean_msg(msg);
    return fc_errf(err, FC_EINPUT, "%s line %d: %s", name, line, msg);
}

static int perr(jparser *p, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int perr(jparser *p, int line, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int rc = jinja_verr(p->err, &p->failed, p->t->name, line, fmt, ap);
    va_end(ap);
    return rc;
}

static bool push_tok(jparser *p, jtok t) {
    if (p->n_toks == p->cap_toks) {
        size_t cap = p->cap_toks ? p->cap_toks * 2 : 256;
        jtok *v = realloc(p->toks, cap * sizeof *v);
        if (!v) { perr(p, t.line, "out of memory"); return false; }
        p->toks = v;
        p->cap_toks = cap;
    }
    p->toks[p->n_toks++] = t;
    return true;
}

static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
static bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
static bool is_digit(char c) { return c >= '0' && c <= '9'; }

static int count_lines(const char *s, size_t n) {
    int k = 0;
    for (size_t i = 0; i < n; i++) k += s[i] == '\n';
    return k;
}

/* Decodes a Python string literal body (escapes as Python's unicode-escape). */
static bool decode_string(jparser *p, const char *s, size_t n, int line, jtok *t) {
    char *d = ja_alloc(&p->t->ar, n + 1);
    if (!d) return perr(p, line, "out of memory"), false;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '\\' || i + 1 >= n) { d[k++] = s[i]; continue; }
        char e = s[++i];
        int hex = e == 'x' ? 2 : e == 'u' ? 4 : e == 'U' ? 8 : 0;
        if (hex) {
            uint32_t cp = 0;
            if (i + (size_t)hex >= n) return perr(p, line, "truncated \\%c escape in a string", e), false;
            for (int j = 1; j <= hex; j++) {
                char h = s[i + j];
                int v = is_digit(h) ? h - '0' : (h | 0x20) >= 'a' && (h | 0x20) <= 'f' ? (h | 0x20) - 'a' + 10 : -1;
                if (v < 0) return perr(p, line, "bad \\%c escape in a string", e), false;
                cp = cp * 16 + (uint32_t)v;
            }
            i += (size_t)hex;
            if (cp > 0x10FFFF || (cp >= 0xD800 && cp < 0xE000))
                return perr(p, line, "escape \\%c%X is not a character", e, (unsigned)cp), false;
            if (cp < 0x80) d[k++] = (char)cp;
            else if (cp < 0x800) { d[k++] = (char)(0xC0 | cp >> 6); d[k++] = (char)(0x80 | (cp & 63)); }
            else if (cp < 0x10000) {
                d[k++] = (char)(0xE0 | cp >> 12); d[k++] = (char)(0x80 | ((cp >> 6) & 63));
                d[k++] = (char)(0x80 | (cp & 63));
            } else {
                d[k++] = (char)(0xF0 | cp >> 18); d[k++] = (char)(0x80 | ((cp >> 12) & 63));
                d[k++] = (char)(0x80 | ((cp >> 6) & 63)); d[k++] = (char)(0x80 | (cp & 63));
            }
            continue;
        }
        switch (e) {
        case 'n': d[k++] = '\n'; break;
        case 't': d[k++] = '\t'; break;
        case 'r': d[k++] = '\r'; break;
        case '\\': d[k++] = '\\'; break;
        case '\'': d[k++] = '\''; break;
        case '"': d[k++] = '"'; break;
        case '\n': break; /* line continuation */
        case 'a': d[k++] = '\a'; break;
        case 'b': d[k++] = '\b'; break;
        case 'f': d[k++] = '\f'; break;
        case 'v': d[k++] = '\v'; break;
        case '0': d[k++] = '\0'; break;
        default: d[k++] = '\\'; d[k++] = e; break;
        }
    }
    t->s = d;
    t->len = k;
    return true;
}

static const char *const OPS[] = {"**", "//", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "<",
                                  ">", "=", ".", ",", ":", "|", "(", ")", "[", "]", "{", "}"};

/* Tokens inside a tag, up to its end ("%}" or "}}" with - or + before). Returns the
 * position after the end marker (trailing whitespace rules applied), or 0 on error. */
static size_t lex_tag(jparser *p, size_t i, int *line, bool block, bool *line_start) {
    const char *s = p->src;
    size_t n = p->n;
    int depth = 0; /* brackets: "}}" inside { } is not the end */
    for (;;) {
        while (i < n && is_space(s[i])) { if (s[i] == '\n') (*line)++; i++; }
        if (i >= n) return perr(p, *line, "the template ends inside a %s", block ? "{% ... %} tag" : "{{ ... }}"), 0;
        char e0 = block ? '%' : '}';
        bool minus = s[i] == '-' && i + 2 < n && s[i + 1] == e0 && s[i + 2] == '}';
        bool plus = block && s[i] == '+' && i + 2 < n && s[i + 1] == e0 && s[i + 2] == '}';
        if ((minus || plus || (s[i] == e0 && i + 1 < n && s[i + 1] == '}')) && (block || depth == 0)) {
            i += minus || plus ? 3 : 2;
            if (!push_tok(p, (jtok){.type = block ? T_BLOCK_END : T_VAR_END, .line = *line})) return 0;
            if (minus) while (i < n && is_space(s[i])) { if (s[i] == '\n') (*line)++; i++; }
            else if (block && !plus && i < n && s[i] == '\n') { i++; (*line)++; } /* trim_blocks */
            *line_start = i > 0 && s[i - 1] == '\n';
            return i;
        }
        jtok t = {.line = *line, .s = s + i};
        if (is_alpha(s[i])) {
            size_t j = i;
            while (j < n && (is_alpha(s[j]) || is_digit(s[j]))) j++;
            t.type = T_NAME;
            t.len = j - i;
            i = j;
        } else if (is_digit(s[i])) {
            size_t j = i;
            bool fl = false;
            while (j < n && (is_digit(s[j]) || s[j] == '_')) j++;
            if (j + 1 < n && s[j] == '.' && is_digit(s[j + 1])) {
                fl = true;
                for (j++; j < n && (is_digit(s[j]) || s[j] == '_'); j++) {}
            }
            if (j < n && (s[j] == 'e' || s[j] == 'E')) {
                size_t k = j + 1;
                if (k < n && (s[k] == '+' || s[k] == '-')) k++;
                if (k < n && is_digit(s[k])) { fl = true; for (j = k; j < n && is_digit(s[j]); j++) {} }
            }
            char num[64];
            size_t m = 0;
            for (size_t k = i; k < j && m < sizeof num - 1; k++) if (s[k] != '_') num[m++] = s[k];
            num[m] = 0;
            if (j - i >= sizeof num - 1) return perr(p, *line, "number literal too long"), 0;
            errno = 0;
            if (fl) { t.type = T_FLOAT; t.f = strtod(num, NULL); }
            else {
                t.type = T_INT;
                t.i = strtoll(num, NULL, 10);
                if (errno) return perr(p, *line, "integer literal %s is too large", num), 0;
            }
            i = j;
        } else if (s[i] == '\'' || s[i] == '"') {
            char q = s[i];
            size_t j = i + 1;
            int start_line = *line;
            while (j < n && s[j] != q) {
                if (s[j] == '\\' && j + 1 < n) j++;
                if (s[j] == '\n') (*line)++;
                j++;
            }
            if (j >= n) return perr(p, start_line, "unterminated string literal"), 0;
            t.type = T_STRING;
            if (!decode_string(p, s + i + 1, j - i - 1, start_line, &t)) return 0;
            i = j + 1;
        } else {
            size_t k, nops = sizeof OPS / sizeof OPS[0];
            for (k = 0; k < nops; k++) {
                size_t l = strlen(OPS[k]);
                if (i + l <= n && !memcmp(s + i, OPS[k], l)) break;
            }
            if (k == nops) return perr(p, *line, "unexpected character '%c'", s[i]), 0;
            t.type = T_OP;
            t.len = strlen(OPS[k]);
            if (t.s[0] == '(' || t.s[0] == '[' || t.s[0] == '{') depth++;
            if ((t.s[0] == ')' || t.s[0] == ']' || t.s[0] == '}') && depth > 0) depth--;
            i += t.len;
        }
        if (!push_tok(p, t)) return 0;
    }
}

static bool lex(jparser *p) {
    const char *s = p->src;
    size_t n = p->n, i = 0;
    int line = 1;
    bool line_start = true;
    while (i < n) {
        /* the next tag opening */
        size_t j = i;
        int kind = 0; /* 1 {{, 2 {%, 3 {# */
        for (; j + 1 < n; j++) {
            if (s[j] != '{') continue;
            if (s[j + 1] == '{') { kind = 1; break; }
            if (s[j + 1] == '%') { kind = 2; break; }
            if (s[j + 1] == '#') { kind = 3; break; }
        }
        if (!kind) j = n;
        size_t data_end = j;
        char sign = kind && j + 2 < n ? s[j + 2] : 0;
        if (kind && sign == '-') {
            while (data_end > i && is_space(s[data_end - 1])) data_end--;
        } else if (kind >= 2 && sign != '+') { /* lstrip_blocks */
            size_t l = data_end;
            while (l > i && s[l - 1] != '\n') l--;
            bool has_nl = l > i;
            if (has_nl || line_start) {
                bool ws = l < data_end;
                for (size_t k = l; k < data_end && ws; k++) ws = is_space(s[k]);
                if (ws) data_end = l;
            }
        }
        if (data_end > i && !push_tok(p, (jtok){.type = T_DATA, .line = line, .s = s + i, .len = data_end - i}))
            return false;
        line += count_lines(s + i, j - i);
        if (!kind) break;
        i = j + 2 + (sign == '-' || sign == '+');
        if (kind == 3) {
            int start = line;
            size_t k = i;
            while (k + 1 < n && !(s[k] == '#' && s[k + 1] == '}')) k++;
            if (k + 1 >= n) return perr(p, start, "unterminated comment"), false;
            line += count_lines(s + i, k - i);
            bool minus = k > i && s[k - 1] == '-';
            i = k + 2;
            if (minus) while (i < n && is_space(s[i])) { if (s[i] == '\n') line++; i++; }
            else if (i < n && s[i] == '\n') { i++; line++; }
            line_start = s[i - 1] == '\n';
            continue;
        }
        if (!push_tok(p, (jtok){.type = kind == 1 ? T_VAR_BEGIN : T_BLOCK_BEGIN, .line = line})) return false;
        i = lex_tag(p, i, &line, kind == 2, &line_start);
        if (!i) return false;
    }
    return push_tok(p, (jtok){.type = T_EOF, .line = line});
}

/* ---- parser ---- */

static jtok *peek(jparser *p) { return &p->toks[p->pos]; }
static jtok *next(jparser *p) { jtok *t = &p->toks[p->pos]; if (t->type != T_EOF) p->pos++; return t; }
static bool is_op(const jtok *t, const char *op) {
    return t->type == T_OP && t->len == strlen(op) && !memcmp(t->s, op, t->len);
}
static bool is_name(const jtok *t, const char *name) {
    return t->type == T_NAME && t->len == strlen(name) && !memcmp(t->s, name, t->len);
}
static bool accept_op(jparser *p, const char *op) { if (is_op(peek(p), op)) { p->pos++; return true; } return false; }
static bool accept_name(jparser *p, const char *name) {
    if (is_name(peek(p), name)) { p->pos++; return true; }
    return false;
}
static const char *tok_desc(const jtok *t, char *buf, size_t n) {
    switch (t->type) {
    case T_EOF: return "the end of the template";
    case T_BLOCK_END: return "the end of the tag";
    case T_VAR_END: return "'}}'";
    case T_STRING: return "a string";
    case T_INT: case T_FLOAT: return "a number";
    default: snprintf(buf, n, "'%.*s'", (int)(t->len > 40 ? 40 : t->len), t->s); return buf;
    }
}
static bool expect_op(jparser *p, const char *op) {
    if (accept_op(p, op)) return true;
    char b[64];
    perr(p, peek(p)->line, "expected '%s', found %s", op, tok_desc(peek(p), b, sizeof b));
    return false;
}
static const char *expect_name(jparser *p) {
    jtok *t = peek(p);
    if (t->type != T_NAME) {
        char b[64];
        perr(p, t->line, "expected a name, found %s", tok_desc(t, b, sizeof b));
        return NULL;
    }
    p->pos++;
    const char *s = ja_strndup(&p->t->ar, t->s, t->len);
    if (!s) perr(p, t->line, "out of memory");
    return s;
}
static bool expect_end(jparser *p) {
    if (peek(p)->type == T_BLOCK_END) { p->pos++; return true; }
    char b[64];
    perr(p, peek(p)->line, "expected the end of the tag, found %s", tok_desc(peek(p), b, sizeof b));
    return false;
}

static jnode *mk(jparser *p, int kind, int line) {
    jnode *n = ja_alloc(&p->t->ar, sizeof *n);
    if (!n) { perr(p, line, "out of memory"); return NULL; }
    n->kind = (uint8_t)kind;
    n->line = line;
    return n;
}

/* growable node lists, built in malloc'd memory then moved into the arena */
typedef struct nvec { jnode **v; int n, cap; const char **names; } nvec;
static bool nv_push(jparser *p, nvec *v, jnode *n, const char *name) {
    if (v->n == v->cap) {
        int cap = v->cap ? v->cap * 2 : 8;
        jnode **nv = realloc(v->v, (size_t)cap * sizeof *nv);
        const char **nn = nv ? realloc(v->names, (size_t)cap * sizeof *nn) : NULL;
        if (nv) v->v = nv;
        if (!nv || !nn) { perr(p, n ? n->line : 0, "out of memory"); return false; }
        v->names = nn;
        v->cap = cap;
    }
    v->names[v->n] = name;
    v->v[v->n++] = n;
    return true;
}
static bool nv_done(jparser *p, nvec *v, jnodes *out, const char ***names) {
    out->n = v->n;
    out->v = NULL;
    bool ok = true;
    if (v->n) {
        out->v = ja_alloc(&p->t->ar, (size_t)v->n * sizeof *out->v);
        if (out->v) memcpy(out->v, v->v, (size_t)v->n * sizeof *out->v);
        if (names) {
            *names = ja_alloc(&p->t->ar, (size_t)v->n * sizeof **names);
            if (*names) memcpy(*names, v->names, (size_t)v->n * sizeof **names);
            else ok = false;
        }
        if (!out->v) ok = false;
    }
    free(v->v);
    free(v->names);
    *v = (nvec){0};
    if (!ok) perr(p, 0, "out of memory");
    return ok;
}

static jnode *parse_expr(jparser *p);
static jnode *parse_or(jparser *p);
static jnode *parse_unary(jparser *p, bool with_filter);

/* (args, kw=args) after '(' has been read */
static bool parse_args(jparser *p, jnode *n) {
    nvec pos = {0}, kw = {0};
    while (!accept_op(p, ")")) {
        if (pos.n + kw.n && !expect_op(p, ",")) goto fail;
        if (accept_op(p, ")")) break;
        jtok *t = peek(p);
        if (t->type == T_NAME && is_op(&p->toks[p->pos + 1], "=")) {
            const char *name = expect_name(p);
            p->pos++;
            jnode *v = parse_expr(p);
            if (!v || !nv_push(p, &kw, v, name)) goto fail;
        } else {
            if (kw.n) { perr(p, t->line, "a positional argument after a keyword argument"); goto fail; }
            jnode *v = parse_expr(p);
            if (!v || !nv_push(p, &pos, v, NULL)) goto fail;
        }
    }
    return nv_done(p, &pos, &n->args, NULL) && nv_done(p, &kw, &n->kwargs, &n->kwnames);
fail:
    free(pos.v); free(pos.names); free(kw.v); free(kw.names);
    return false;
}

static jnode *parse_primary(jparser *p) {
    jtok *t = next(p);
    jnode *n = NULL;
    switch (t->type) {
    case T_NAME:
        if (is_name(t, "true") || is_name(t, "True")) { n = mk(p, E_LIT, t->line); if (n) n->val = jx_bool(true); }
        else if (is_name(t, "false") || is_name(t, "False")) { n = mk(p, E_LIT, t->line); if (n) n->val = jx_bool(false); }
        else if (is_name(t, "none") || is_name(t, "None")) { n = mk(p, E_LIT, t->line); if (n) n->val = jx_none(); }
        else {
            n = mk(p, E_NAME, t->line);
            if (n && !(n->str = ja_strndup(&p->t->ar, t->s, t->len))) return perr(p, t->line, "out of memory"), NULL;
        }
        return n;
    case T_STRING: {
        /* adjacent string literals concatenate */
        size_t len = t->len;
        const char *s = t->s;
        while (peek(p)->type == T_STRING) {
            jtok *u = next(p);
            char *cat = ja_alloc(&p->t->ar, len + u->len + 1);
            if (!cat) return perr(p, t->line, "out of memory"), NULL;
            memcpy(cat, s, len);
            memcpy(cat + len, u->s, u->len);
            s = cat;
            len += u->len;
        }
        n = mk(p, E_LIT, t->line);
        if (n) { n->val.t = JV_STR; n->val.len = (uint32_t)len; n->val.u.str.s = s; }
        return n;
    }
    case T_INT: n = mk(p, E_LIT, t->line); if (n) n->val = jx_int(t->i); return n;
    case T_FLOAT: n = mk(p, E_LIT, t->line); if (n) n->val = jx_float(t->f); return n;
    case T_OP:
        if (is_op(t, "(")) {
            if (accept_op(p, ")")) { n = mk(p, E_TUPLE, t->line); return n; }
            jnode *e = parse_expr(p);
            if (!e) return NULL;
            if (is_op(peek(p), ",")) {
                nvec v = {0};
                if (!nv_push(p, &v, e, NULL)) return NULL;
                while (accept_op(p, ",")) {
                    if (is_op(peek(p), ")")) break;
                    jnode *x = parse_expr(p);
                    if (!x || !nv_push(p, &v, x, NULL)) { free(v.v); free(v.names); return NULL; }
                }
                n = mk(p, E_TUPLE, t->line);
                if (!n || !nv_done(p, &v, &n->args, NULL)) return NULL;
                e = n;
            }
            return expect_op(p, ")") ? e : NULL;
        }
        if (is_op(t, "[")) {
            nvec v = {0};
            while (!accept_op(p, "]")) {
                if (v.n && !expect_op(p, ",")) goto fail_list;
                if (accept_op(p, "]")) break;
                jnode *x = parse_expr(p);
                if (!x || !nv_push(p, &v, x, NULL)) goto fail_list;
            }
            n = mk(p, E_LIST, t->line);
            if (!n || !nv_done(p, &v, &n->args, NULL)) return NULL;
            return n;
        fail_list:
            free(v.v); free(v.names);
            return NULL;
        }
        if (is_op(t, "{")) {
            nvec k = {0}, v = {0};
            while (!accept_op(p, "}")) {
                if (k.n && !expect_op(p, ",")) goto fail_dict;
                if (accept_op(p, "}")) break;
                jnode *key = parse_expr(p);
                if (!key || !expect_op(p, ":")) goto fail_dict;
                jnode *val = parse_expr(p);
                if (!val || !nv_push(p, &k, key, NULL) || !nv_push(p, &v, val, NULL)) goto fail_dict;
            }
            n = mk(p, E_DICT, t->line);
            if (!n || !nv_done(p, &k, &n->args, NULL) || !nv_done(p, &v, &n->kwargs, NULL)) return NULL;
            return n;
        fail_dict:
            free(k.v); free(k.names); free(v.v); free(v.names);
            return NULL;
        }
        /* fall through */
    default: {
        char b[64];
        perr(p, t->line, "%s is not allowed here in an expression", tok_desc(t, b, sizeof b));
        return NULL;
    }
    }
}

static jnode *parse_postfix(jparser *p, jnode *n) {
    while (n) {
        int line = peek(p)->line;
        if (accept_op(p, ".")) {
            jtok *t = next(p);
            jnode *a = mk(p, E_ATTR, line);
            if (!a) return NULL;
            a->a = n;
            if (t->type == T_NAME) {
                if (!(a->str = ja_strndup(&p->t->ar, t->s, t->len))) return perr(p, line, "out of memory"), NULL;
            } else if (t->type == T_INT) { /* x.0 is x[0] */
                a->kind = E_ITEM;
                if (!(a->b = mk(p, E_LIT, line))) return NULL;
                a->b->val = jx_int(t->i);
            } else {
                return perr(p, line, "expected an attribute name after '.'"), NULL;
            }
            n = a;
        } else if (accept_op(p, "[")) {
            jnode *idx[3] = {NULL, NULL, NULL};
            bool slice = false;
            for (int k = 0; k < 3; k++) {
                if (!is_op(peek(p), ":") && !is_op(peek(p), "]")) {
                    if (!(idx[k] = parse_expr(p))) return NULL;
                }
                if (k < 2 && accept_op(p, ":")) { slice = true; continue; }
                break;
            }
            if (!expect_op(p, "]")) return NULL;
            jnode *a = mk(p, slice ? E_SLICE : E_ITEM, line);
            if (!a) return NULL;
            a->a = n;
            if (slice) { a->b = idx[0]; a->c = idx[1]; a->d = idx[2]; }
            else if (!(a->b = idx[0])) return perr(p, line, "empty subscript"), NULL;
            n = a;
        } else if (accept_op(p, "(")) {
            jnode *a = mk(p, E_CALL, line);
            if (!a) return NULL;
            a->a = n;
            if (!parse_args(p, a)) return NULL;
            n = a;
        } else {
            break;
        }
    }
    return n;
}

/* name(args) applied to value (NULL: a filter block's body) */
static jnode *parse_one_filter(jparser *p, jnode *value, int line) {
    jnode *f = mk(p, E_FILTER, line);
    if (!f) return NULL;
    f->a = value;
    if (!(f->str = expect_name(p))) return NULL;
    if (accept_op(p, "(") && !parse_args(p, f)) return NULL;
    return f;
}

static jnode *parse_filter_chain(jparser *p, int line) {
    jnode *n = parse_one_filter(p, NULL, line);
    while (n && accept_op(p, "|")) n = parse_one_filter(p, n, line);
    return n;
}

/* value | filter(args) | ..., value is test args */
static jnode *parse_filters(jparser *p, jnode *n) {
    while (n) {
        int line = peek(p)->line;
        if (accept_op(p, "|")) {
            n = parse_one_filter(p, n, line);
        } else if (accept_name(p, "is")) {
            jnode *f = mk(p, E_TEST, line);
            if (!f) return NULL;
            f->a = n;
            f->neg = accept_name(p, "not");
            const char *name = expect_name(p);
            if (!name) return NULL;
            f->str = name;
            jtok *t = peek(p);
            if (accept_op(p, "(")) {
                if (!parse_args(p, f)) return NULL;
            } else if (t->type == T_STRING || t->type == T_INT || t->type == T_FLOAT ||
                       (t->type == T_NAME && !is_name(t, "else") && !is_name(t, "or") && !is_name(t, "and") &&
                        !is_name(t, "if") && !is_name(t, "in") && !is_name(t, "is") && !is_name(t, "not")) ||
                       is_op(t, "[") || is_op(t, "{") || is_op(t, "-")) {
                jnode *arg = parse_unary(p, false);
                if (!arg) return NULL;
                f->args.v = ja_alloc(&p->t->ar, sizeof *f->args.v);
                if (!f->args.v) return perr(p, line, "out of memory"), NULL;
                f->args.v[0] = arg;
                f->args.n = 1;
            }
            n = f;
        } else {
            break;
        }
    }
    return n;
}

static jnode *parse_unary(jparser *p, bool with_filter) {
    int line = peek(p)->line;
    if (++p->nest > JINJA_MAX_NEST) return perr(p, line, "expressions nested too deeply"), NULL;
    jnode *n;
    if (accept_op(p, "-") || (is_op(peek(p), "+") && accept_op(p, "+"))) {
        bool neg = is_op(&p->toks[p->pos - 1], "-");
        jnode *a = parse_unary(p, false);
        n = a ? mk(p, neg ? E_NEG : E_POS, line) : NULL;
        if (n) n->a = a;
    } else {
        n = parse_postfix(p, parse_primary(p));
    }
    if (with_filter) n = parse_filters(p, n);
    p->nest--;
    return n;
}

static jnode *parse_bin(jparser *p, int level);

/* precedence levels: 0 + -, 1 ~, 2 * / // %, 3 ** */
static jnode *parse_bin(jparser *p, int level) {
    if (level > 3) return parse_unary(p, true);
    jnode *n = parse_bin(p, level + 1);
    for (;;) {
        if (!n) return NULL;
        jtok *t = peek(p);
        int op = -1;
        if (level == 0 && is_op(t, "+")) op = OP_ADD;
        else if (level == 0 && is_op(t, "-")) op = OP_SUB;
        else if (level == 1 && is_op(t, "~")) op = OP_CONCAT;
        else if (level == 2 && is_op(t, "*")) op = OP_MUL;
        else if (level == 2 && is_op(t, "/")) op = OP_DIV;
        else if (level == 2 && is_op(t, "//")) op = OP_FLOORDIV;
        else if (level == 2 && is_op(t, "%")) op = OP_MOD;
        else if (level == 3 && is_op(t, "**")) op = OP_POW;
        if (op < 0) return n;
        p->pos++;
        jnode *b = parse_bin(p, level + 1);
        jnode *x = b ? mk(p, E_BIN, t->line) : NULL;
        if (!x) return NULL;
        x->op = (uint8_t)op;
        x->a = n;
        x->b = b;
        n = x;
    }
}

static jnode *parse_compare(jparser *p) {
    jnode *n = parse_bin(p, 0);
    if (!n) return NULL;
    nvec rhs = {0};
    uint8_t ops[64];
    int line = peek(p)->line;
    for (;;) {
        jtok *t = peek(p);
        int op = -1;
        if (is_op(t, "==")) op = OP_EQ;
        else if (is_op(t, "!=")) op = OP_NE;
        else if (is_op(t, "<")) op = OP_LT;
        else if (is_op(t, "<=")) op = OP_LE;
        else if (is_op(t, ">")) op = OP_GT;
        else if (is_op(t, ">=")) op = OP_GE;
        else if (is_name(t, "in")) op = OP_IN;
        else if (is_name(t, "not") && is_name(&p->toks[p->pos + 1], "in")) { op = OP_NOTIN; p->pos++; }
        if (op < 0) break;
        p->pos++;
        if (rhs.n >= 64) { free(rhs.v); free(rhs.names); return perr(p, t->line, "comparison chain too long"), NULL; }
        jnode *b = parse_bin(p, 0);
        if (!b || !nv_push(p, &rhs, b, NULL)) { free(rhs.v); free(rhs.names); return NULL; }
        ops[rhs.n - 1] = (uint8_t)op;
    }
    if (!rhs.n) return n;
    jnode *c = mk(p, E_CMP, line);
    if (!c) { free(rhs.v); free(rhs.names); return NULL; }
    c->a = n;
    c->ops = ja_alloc(&p->t->ar, (size_t)rhs.n);
    if (!c->ops) { free(rhs.v); free(rhs.names); return perr(p, line, "out of memory"), NULL; }
    memcpy(c->ops, ops, (size_t)rhs.n);
    return nv_done(p, &rhs, &c->args, NULL) ? c : NULL;
}

static jnode *parse_not(jparser *p) {
    int line = peek(p)->line;
    if (accept_name(p, "not")) {
        if (++p->nest > JINJA_MAX_NEST) return perr(p, line, "expressions nested too deeply"), NULL;
        jnode *a = parse_not(p);
        p->nest--;
        jnode *n = a ? mk(p, E_NOT, line) : NULL;
        if (n) n->a = a;
        return n;
    }
    return parse_compare(p);
}

/* operand (word operand)*, left-associative: "and" over "not", "or" over "and". */
static jnode *parse_chain(jparser *p, const char *word, int kind, jnode *(*operand)(jparser *)) {
    jnode *n = operand(p);
    while (n && is_name(peek(p), word)) {
        int line = next(p)->line;
        jnode *b = operand(p);
        jnode *x = b ? mk(p, kind, line) : NULL;
        if (!x) return NULL;
        x->a = n; x->b = b; n = x;
    }
    return n;
}

static jnode *parse_and(jparser *p) { return parse_chain(p, "and", E_AND, parse_not); }
static jnode *parse_or(jparser *p) { return parse_chain(p, "or", E_OR, parse_and); }

static jnode *parse_expr(jparser *p) {
    int line = peek(p)->line;
    if (++p->nest > JINJA_MAX_NEST) return perr(p, line, "expressions nested too deeply"), NULL;
    jnode *n = parse_or(p);
    while (n && is_name(peek(p), "if")) {
        p->pos++;
        jnode *cond = parse_or(p);
        if (!cond) return NULL;
        jnode *x = mk(p, E_COND, line);
        if (!x) return NULL;
        x->a = cond;
        x->b = n;
        if (accept_name(p, "else") && !(x->c = parse_or(p))) return NULL;
        n = x;
    }
    p->nest--;
    return n;
}

/* targets of for / set: name or name, name, ... (optionally in parentheses) */
static bool parse_targets(jparser *p, jnode *n) {
    nvec v = {0};
    bool paren = accept_op(p, "(");
    do {
        if (paren && is_op(peek(p), ")")) break;
        const char *name = expect_name(p);
        if (!name || !nv_push(p, &v, NULL, name)) { free(v.v); free(v.names); return false; }
    } while (accept_op(p, ","));
    if (paren && !expect_op(p, ")")) { free(v.v); free(v.names); return false; }
    n->tuple_target = v.n > 1 || paren;
    n->n_names = v.n;
    jnodes dummy;
    return nv_done(p, &v, &dummy, &n->names);
}

static bool parse_body(jparser *p, nvec *body, const char *const *ends, const char **found);

static bool parse_stmt_body(jparser *p, jnodes *out, const char *const *ends, const char **found) {
    nvec v = {0};
    if (!parse_body(p, &v, ends, found)) { free(v.v); free(v.names); return false; }
    return nv_done(p, &v, out, NULL);
}

static jnode *parse_tag(jparser *p, int line);

/* Statements until one of ends (a NULL-terminated list of tag names; NULL: the end of the
 * template). *found is the end tag's name; its tag is consumed up to the name. */
static bool parse_body(jparser *p, nvec *body, const char *const *ends, const char **found) {
    for (;;) {
        jtok *t = next(p);
        if (t->type == T_EOF) {
            if (!ends) return true;
            return perr(p, t->line, "missing {%% %s %%}: the template ends first", ends[0]), false;
        }
        if (t->type == T_DATA) {
            jnode *n = mk(p, N_TEXT, t->line);
            if (!n) return false;
            n->str = t->s;
            n->len = t->len;
            if (!nv_push(p, body, n, NULL)) return false;
        } else if (t->type == T_VAR_BEGIN) {
            jnode *n = mk(p, N_OUT, t->line);
            if (!n || !(n->a = parse_expr(p))) return false;
            if (peek(p)->type != T_VAR_END) {
                char b[64];
                return perr(p, peek(p)->line, "expected '}}', found %s", tok_desc(peek(p), b, sizeof b)), false;
            }
            p->pos++;
            if (!nv_push(p, body, n, NULL)) return false;
        } else if (t->type == T_BLOCK_BEGIN) {
            jtok *name = peek(p);
            for (int k = 0; ends && ends[k]; k++) {
                if (is_name(name, ends[k])) { p->pos++; *found = ends[k]; return true; }
            }
            jnode *n = parse_tag(p, name->line);
            if (!n || !nv_push(p, body, n, NULL)) return false;
        } else {
            char b[64];
            return perr(p, t->line, "%s is not allowed here", tok_desc(t, b, sizeof b)), false;
        }
    }
}

static jnode *parse_tag(jparser *p, int line) {
    if (++p->nest > JINJA_MAX_NEST) return perr(p, line, "blocks nested too deeply"), NULL;
    jtok *t = next(p);
    jnode *n = NULL;
    const char *found = NULL;
    if (is_name(t, "if") || is_name(t, "elif")) {
        static const char *const ends[] = {"endif", "elif", "else", NULL};
        n = mk(p, N_IF, line);
        if (!n || !(n->a = parse_expr(p)) || !expect_end(p)) return NULL;
        if (!parse_stmt_body(p, &n->body, ends, &found)) return NULL;
        if (!strcmp(found, "elif")) {
            p->pos--; /* parse_tag reads the name 'elif' again */
            jnode *e = parse_tag(p, peek(p)->line);
            if (!e) return NULL;
            n->orelse.v = ja_alloc(&p->t->ar, sizeof *n->orelse.v);
            if (!n->orelse.v) return perr(p, line, "out of memory"), NULL;
            n->orelse.v[0] = e;
            n->orelse.n = 1;
        } else if (!strcmp(found, "else")) {
            static const char *const end[] = {"endif", NULL};
            if (!expect_end(p) || !parse_stmt_body(p, &n->orelse, end, &found) || !expect_end(p)) return NULL;
        } else if (!expect_end(p)) {
            return NULL;
        }
    } else if (is_name(t, "for")) {
        static const char *const ends[] = {"endfor", "else", NULL};
        n = mk(p, N_FOR, line);
        if (!n || !parse_targets(p, n)) return NULL;
        if (!accept_name(p, "in")) return perr(p, line, "expected 'in' in the for tag"), NULL;
        if (!(n->a = parse_or(p))) return NULL;
        if (accept_name(p, "if") && !(n->b = parse_expr(p))) return NULL;
        if (accept_name(p, "recursive")) return perr(p, line, "recursive for loops are not supported"), NULL;
        if (!expect_end(p) || !parse_stmt_body(p, &n->body, ends, &found)) return NULL;
        if (!strcmp(found, "else")) {
            static const char *const end[] = {"endfor", NULL};
            if (!expect_end(p) || !parse_stmt_body(p, &n->orelse, end, &found)) return NULL;
        }
        if (!expect_end(p)) return NULL;
    } else if (is_name(t, "set")) {
        jtok *name = peek(p);
        if (name->type == T_NAME && is_op(&p->toks[p->pos + 1], ".")) {
            n = mk(p, N_SET, line);
            if (!n) return NULL;
            n->names = ja_alloc(&p->t->ar, sizeof *n->names);
            if (!n->names) return perr(p, line, "out of memory"), NULL;
            n->n_names = 1;
            if (!(n->names[0] = expect_name(p))) return NULL;
            p->pos++;
            if (!(n->str = expect_name(p))) return NULL;
        } else {
            n = mk(p, N_SET, line);
            if (!n || !parse_targets(p, n)) return NULL;
        }
        if (accept_op(p, "=")) {
            if (!(n->a = parse_expr(p))) return NULL;
            if (is_op(peek(p), ",")) { /* set a = 1, 2 */
                nvec v = {0};
                if (!nv_push(p, &v, n->a, NULL)) return NULL;
                while (accept_op(p, ",")) {
                    jnode *x = parse_expr(p);
                    if (!x || !nv_push(p, &v, x, NULL)) { free(v.v); free(v.names); return NULL; }
                }
                jnode *tu = mk(p, E_TUPLE, line);
                if (!tu || !nv_done(p, &v, &tu->args, NULL)) return NULL;
                n->a = tu;
            }
            if (!expect_end(p)) return NULL;
        } else {
            static const char *const ends[] = {"endset", NULL};
            if (n->str || n->tuple_target) return perr(p, line, "a block set takes one name"), NULL;
            n->kind = N_SETBLOCK;
            if (is_op(peek(p), "|")) {
                p->pos++;
                if (!(n->a = parse_filter_chain(p, line))) return NULL;
            }
            if (!expect_end(p) || !parse_stmt_body(p, &n->body, ends, &found) || !expect_end(p)) return NULL;
        }
    } else if (is_name(t, "macro")) {
        static const char *const ends[] = {"endmacro", NULL};
        n = mk(p, N_MACRO, line);
        if (!n || !(n->str = expect_name(p)) || !expect_op(p, "(")) return NULL;
        nvec v = {0};
        while (!accept_op(p, ")")) {
            if (v.n && !expect_op(p, ",")) goto fail_macro;
            const char *param = expect_name(p);
            jnode *def = NULL;
            if (!param) goto fail_macro;
            if (accept_op(p, "=") && !(def = parse_expr(p))) goto fail_macro;
            if (!nv_push(p, &v, def, param)) goto fail_macro;
        }
        n->n_names = v.n;
        if (!nv_done(p, &v, &n->args, &n->names)) return NULL;
        if (!expect_end(p) || !parse_stmt_body(p, &n->body, ends, &found)) return NULL;
        accept_name(p, n->str); /* {% endmacro name %} */
        if (!expect_end(p)) return NULL;
        goto done;
    fail_macro:
        free(v.v); free(v.names);
        return NULL;
    } else if (is_name(t, "call")) {
        static const char *const ends[] = {"endcall", NULL};
        n = mk(p, N_CALLBLOCK, line);
        if (!n) return NULL;
        if (accept_op(p, "(")) {
            jnodes dummy;
            nvec v = {0};
            while (!accept_op(p, ")")) {
                if (v.n && !expect_op(p, ",")) { free(v.v); free(v.names); return NULL; }
                const char *param = expect_name(p);
                if (!param || !nv_push(p, &v, NULL, param)) { free(v.v); free(v.names); return NULL; }
            }
            n->n_names = v.n;
            if (!nv_done(p, &v, &dummy, &n->names)) return NULL;
        }
        if (!(n->a = parse_expr(p))) return NULL;
        if (n->a->kind != E_CALL) return perr(p, line, "a call block needs a macro call"), NULL;
        if (!expect_end(p) || !parse_stmt_body(p, &n->body, ends, &found) || !expect_end(p)) return NULL;
    } else if (is_name(t, "filter")) {
        static const char *const ends[] = {"endfilter", NULL};
        n = mk(p, N_FILTERBLOCK, line);
        if (!n) return NULL;
        if (!(n->a = parse_filter_chain(p, line))) return NULL;
        if (!expect_end(p) || !parse_stmt_body(p, &n->body, ends, &found) || !expect_end(p)) return NULL;
    } else if (is_name(t, "generation")) { /* transformers' tag: renders its body */
        static const char *const ends[] = {"endgeneration", NULL};
        n = mk(p, N_IF, line);
        if (!n || !(n->a = mk(p, E_LIT, line))) return NULL;
        n->a->val = jx_bool(true);
        if (!expect_end(p) || !parse_stmt_body(p, &n->body, ends, &found) || !expect_end(p)) return NULL;
    } else if (is_name(t, "break") || is_name(t, "continue")) {
        n = mk(p, is_name(t, "break") ? N_BREAK : N_CONTINUE, line);
        if (!n || !expect_end(p)) return NULL;
    } else {
        char b[64];
        return perr(p, line, "unsupported tag %s", tok_desc(t, b, sizeof b)), NULL;
    }
done:
    p->nest--;
    return n;
}

jinja_tmpl *jinja_parse(const char *src, size_t len, const char *name, fc_err *err) {
    jinja_tmpl *t = calloc(1, sizeof *t);
    if (!t) { fc_errf(err, FC_EFAIL, "out of memory parsing a template"); return NULL; }
    t->ar.limit = JINJA_MAX_MEMORY;
    snprintf(t->name, sizeof t->name, "%s", name && *name ? name : "chat template");
    jinja_clean_msg(t->name);
    jparser p = {.t = t, .err = err};
    /* CRLF and CR -> LF, then one trailing newline goes (keep_trailing_newline=False) */
    p.src = ja_alloc(&t->ar, len + 1);
    if (!p.src) { jinja_free(t); fc_errf(err, FC_EFAIL, "out of memory parsing a template"); return NULL; }
    for (size_t i = 0; i < len; i++) {
        if (src[i] == '\r') { p.src[p.n++] = '\n'; if (i + 1 < len && src[i + 1] == '\n') i++; }
        else p.src[p.n++] = src[i];
    }
    if (p.n && p.src[p.n - 1] == '\n') p.n--;
    p.src[p.n] = 0;
    nvec body = {0};
    bool ok = lex(&p) && parse_body(&p, &body, NULL, NULL) && nv_done(&p, &body, &t->body, NULL);
    if (!ok) { free(body.v); free(body.names); }
    free(p.toks);
    if (!ok || t->ar.oom) {
        if (!p.failed) fc_errf(err, FC_EFAIL, "%s: out of memory parsing", t->name);
        jinja_free(t);
        return NULL;
    }
    return t;
}

void jinja_free(jinja_tmpl *t) {
    if (!t) return;
    ja_free(&t->ar);
    free(t);
}
