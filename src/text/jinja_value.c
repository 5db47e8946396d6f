/* jinja_value — values: the string builder, constructors, lists and dicts, truthiness,
 * equality and order, str() and repr() as Python writes them, iteration. See jinja_int.h. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jinja_int.h"
#include "unicode.h"

/* ---- string builder ---- */

void jb_put(jbuf *b, const char *s, const unsigned char *m, size_t n) {
    if (b->over || !n) return;
    if (b->len + n > JINJA_MAX_OUTPUT) { b->over = true; return; }
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1) cap *= 2;
        char *ns = realloc(b->s, cap);
        if (ns) b->s = ns;
        unsigned char *nm = ns ? realloc(b->m, cap) : NULL;
        if (!ns || !nm) { b->over = true; return; }
        b->m = nm;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    if (m) memcpy(b->m + b->len, m, n);
    else memset(b->m + b->len, 0, n);
    b->len += n;
    b->s[b->len] = 0;
}
void jb_puts(jbuf *b, const char *s) { jb_put(b, s, NULL, strlen(s)); }
void jb_putc(jbuf *b, char c, unsigned char m) { jb_put(b, &c, &m, 1); }
void jb_free(jbuf *b) { free(b->s); free(b->m); *b = (jbuf){0}; }

/* ---- values ---- */

int jx_fail(jctx *c, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int rc = jinja_verr(c->err, &c->failed, c->t->name, c->line, fmt, ap);
    va_end(ap);
    return rc;
}

void jx_oom(jctx *c) { jx_fail(c, "the template needs more than %u MiB of memory", JINJA_MAX_MEMORY >> 20); }

jv jx_int(int64_t i) { jv v = {.t = JV_INT}; v.u.i = i; return v; }
jv jx_float(double f) { jv v = {.t = JV_FLOAT}; v.u.f = f; return v; }
jv jx_bool(bool b) { jv v = {.t = JV_BOOL}; v.u.b = b; return v; }
jv jx_none(void) { return (jv){.t = JV_NONE}; }
jv jx_undef(const char *hint) { jv v = {.t = JV_UNDEF}; v.u.uhint = hint; return v; }
jv jx_cstr(const char *s) { jv v = {.t = JV_STR, .len = (uint32_t)strlen(s)}; v.u.str.s = s; return v; }

jv jx_str(jctx *c, const char *s, const unsigned char *m, size_t n) {
    if (n > JINJA_MAX_OUTPUT) { jx_fail(c, "a string of %zu bytes is too long", n); return jx_undef(NULL); }
    jv v = {.t = JV_STR, .len = (uint32_t)n};
    char *d = ja_alloc(&c->ar, n + 1);
    if (!d) { jx_oom(c); return jx_undef(NULL); }
    if (n) memcpy(d, s, n);
    v.u.str.s = d;
    bool any = false;
    for (size_t i = 0; m && i < n && !any; i++) any = m[i];
    if (any) {
        unsigned char *dm = ja_alloc(&c->ar, n);
        if (!dm) { jx_oom(c); return jx_undef(NULL); }
        memcpy(dm, m, n);
        v.u.str.m = dm;
    }
    return v;
}

jv jx_from_buf(jctx *c, jbuf *b) {
    if (b->over) { jb_free(b); jx_fail(c, "a string grew past %u MiB", JINJA_MAX_OUTPUT >> 20); return jx_undef(NULL); }
    jv v = jx_str(c, b->s ? b->s : "", b->m, b->len);
    jb_free(b);
    return v;
}

jlist *jx_list(jctx *c, size_t cap) {
    jlist *l = ja_alloc(&c->ar, sizeof *l);
    if (l && cap) {
        l->v = ja_alloc(&c->ar, cap * sizeof *l->v);
        l->cap = l->v ? cap : 0;
    }
    if (!l || c->ar.oom) jx_oom(c);
    return l;
}

bool jx_list_push(jctx *c, jlist *l, jv v) {
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 4;
        jv *nv = ja_alloc(&c->ar, cap * sizeof *nv);
        if (!nv) { jx_oom(c); return false; }
        if (l->n) memcpy(nv, l->v, l->n * sizeof *nv);
        l->v = nv;
        l->cap = cap;
    }
    l->v[l->n++] = v;
    return true;
}

jdict *jx_dict(jctx *c) {
    jdict *d = ja_alloc(&c->ar, sizeof *d);
    if (!d) jx_oom(c);
    return d;
}

jv *jx_dict_get(jdict *d, jv k) {
    for (size_t i = 0; i < d->n; i++)
        if (jx_equal(d->k[i], k)) return &d->v[i];
    return NULL;
}

jv jx_dict_getstr(jdict *d, const char *key) {
    jv *v = jx_dict_get(d, jx_cstr(key));
    return v ? *v : jx_undef(NULL);
}

bool jx_dict_set(jctx *c, jdict *d, jv k, jv v) {
    jv *old = jx_dict_get(d, k);
    if (old) { *old = v; return true; }
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 4;
        jv *nk = ja_alloc(&c->ar, cap * sizeof *nk), *nv = ja_alloc(&c->ar, cap * sizeof *nv);
        if (!nk || !nv) { jx_oom(c); return false; }
        if (d->n) { memcpy(nk, d->k, d->n * sizeof *nk); memcpy(nv, d->v, d->n * sizeof *nv); }
        d->k = nk; d->v = nv; d->cap = cap;
    }
    d->k[d->n] = k;
    d->v[d->n++] = v;
    return true;
}

const char *jx_typename(jv v) {
    static const char *const names[] = {"undefined", "NoneType", "bool", "int", "float", "str", "list",
                                        "dict", "macro", "LoopContext", "function", "method"};
    if (v.t == JV_LIST && v.u.l->tuple) return "tuple";
    if (v.t == JV_LIST && v.u.l->gen) return "generator";
    if (v.t == JV_DICT && v.u.d->ns) return "Namespace";
    return names[v.t];
}

bool jx_truthy(jv v) {
    switch (v.t) {
    case JV_UNDEF: case JV_NONE: return false;
    case JV_BOOL: return v.u.b;
    case JV_INT: return v.u.i != 0;
    case JV_FLOAT: return v.u.f != 0;
    case JV_STR: return v.len > 0;
    case JV_LIST: return v.u.l->gen || v.u.l->n > 0;
    case JV_DICT: return v.u.d->n > 0;
    default: return true;
    }
}


static bool equal(jv a, jv b, int depth);
bool jx_equal(jv a, jv b) { return equal(a, b, 0); }

/* values nested deeper than JINJA_MAX_VALUE_NEST compare unequal (no deep recursion) */
static bool equal(jv a, jv b, int depth) {
    if (depth > JINJA_MAX_VALUE_NEST) return false;
    if (jx_is_num(a) && jx_is_num(b)) {
        if (a.t != JV_FLOAT && b.t != JV_FLOAT) return jx_inum(a) == jx_inum(b);
        return jx_num(a) == jx_num(b);
    }
    if (a.t != b.t) return false;
    switch (a.t) {
    case JV_UNDEF: case JV_NONE: return true;
    case JV_STR: return a.len == b.len && !memcmp(a.u.str.s, b.u.str.s, a.len);
    case JV_LIST:
        if (a.u.l->n != b.u.l->n || a.u.l->tuple != b.u.l->tuple) return false;
        for (size_t i = 0; i < a.u.l->n; i++)
            if (!equal(a.u.l->v[i], b.u.l->v[i], depth + 1)) return false;
        return true;
    case JV_DICT:
        if (a.u.d->n != b.u.d->n) return false;
        for (size_t i = 0; i < a.u.d->n; i++) {
            jv *o = jx_dict_get(b.u.d, a.u.d->k[i]);
            if (!o || !equal(a.u.d->v[i], *o, depth + 1)) return false;
        }
        return true;
    case JV_MACRO: return a.u.mac == b.u.mac;
    case JV_FUNC: return a.u.fn == b.u.fn;
    default: return false;
    }
}

int jx_compare(jctx *c, jv a, jv b, bool *ok) {
    *ok = true;
    if (jx_is_num(a) && jx_is_num(b)) {
        if (a.t != JV_FLOAT && b.t != JV_FLOAT) return jx_inum(a) < jx_inum(b) ? -1 : jx_inum(a) > jx_inum(b);
        return jx_num(a) < jx_num(b) ? -1 : jx_num(a) > jx_num(b);
    }
    if (a.t == JV_STR && b.t == JV_STR) { /* UTF-8 byte order is code point order */
        size_t n = a.len < b.len ? a.len : b.len;
        int r = memcmp(a.u.str.s, b.u.str.s, n);
        return r ? (r < 0 ? -1 : 1) : a.len < b.len ? -1 : a.len > b.len;
    }
    if (a.t == JV_LIST && b.t == JV_LIST) {
        for (size_t i = 0; i < a.u.l->n && i < b.u.l->n; i++) {
            if (jx_equal(a.u.l->v[i], b.u.l->v[i])) continue;
            if (++c->vdepth > JINJA_MAX_VALUE_NEST) { c->vdepth--; *ok = false; return 0; }
            int r = jx_compare(c, a.u.l->v[i], b.u.l->v[i], ok);
            c->vdepth--;
            return r;
        }
        return a.u.l->n < b.u.l->n ? -1 : a.u.l->n > b.u.l->n;
    }
    *ok = false;
    return 0;
}

/* Python's repr of a float: the shortest digits that read back, exponent form outside
 * 1e-4 <= |x| < 1e16. */
static void write_float(jbuf *b, double f) {
    char buf[64];
    if (isnan(f)) { jb_puts(b, "nan"); return; }
    if (isinf(f)) { jb_puts(b, f < 0 ? "-inf" : "inf"); return; }
    int prec;
    for (prec = 0; prec < 17; prec++) {
        snprintf(buf, sizeof buf, "%.*e", prec, f);
        if (strtod(buf, NULL) == f) break;
    }
    snprintf(buf, sizeof buf, "%.*e", prec, f);
    char digits[32];
    int nd = 0;
    const char *q = buf;
    bool neg = *q == '-';
    if (neg) q++;
    for (; *q && *q != 'e'; q++) if (*q != '.') digits[nd++] = *q;
    int exp = atoi(q + 1);
    while (nd > 1 && digits[nd - 1] == '0') nd--;
    char out[64];
    int k = 0;
    if (neg) out[k++] = '-';
    if (exp >= -4 && exp < 16) {
        if (exp < 0) {
            out[k++] = '0'; out[k++] = '.';
            for (int i = 0; i < -exp - 1; i++) out[k++] = '0';
            for (int i = 0; i < nd; i++) out[k++] = digits[i];
        } else {
            for (int i = 0; i <= exp; i++) out[k++] = i < nd ? digits[i] : '0';
            out[k++] = '.';
            if (nd > exp + 1) for (int i = exp + 1; i < nd; i++) out[k++] = digits[i];
            else out[k++] = '0';
        }
        out[k] = 0;
    } else {
        out[k++] = digits[0];
        if (nd > 1) { out[k++] = '.'; for (int i = 1; i < nd; i++) out[k++] = digits[i]; }
        snprintf(out + k, sizeof out - (size_t)k, "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
    }
    jb_puts(b, out);
}

/* Python's str.isprintable() for one code point */
static bool py_printable(uint32_t cp) {
    if (cp == ' ') return true;
    int k = ucp_class(cp);
    return k != UCP_CONTROL && k != UCP_UNDEFINED && k != UCP_SEPARATOR;
}

/* Python's repr of a str: quotes, escapes, non-printable code points as \xhh / \uhhhh / \Uhhhhhhhh */
static void repr_str(jbuf *b, jv v) {
    bool has_sq = memchr(v.u.str.s, '\'', v.len) != NULL, has_dq = memchr(v.u.str.s, '"', v.len) != NULL;
    char q = has_sq && !has_dq ? '"' : '\'';
    jb_putc(b, q, 0);
    for (size_t i = 0; i < v.len;) {
        uint32_t cp;
        size_t k = utf8_decode(v.u.str.s + i, v.len - i, &cp);
        unsigned char m = v.u.str.m ? v.u.str.m[i] : 0;
        char esc[16];
        const char *e = NULL;
        if (cp == (uint32_t)q || cp == '\\') { esc[0] = '\\'; esc[1] = (char)cp; esc[2] = 0; e = esc; }
        else if (cp == '\n') e = "\\n";
        else if (cp == '\r') e = "\\r";
        else if (cp == '\t') e = "\\t";
        else if (!py_printable(cp)) {
            snprintf(esc, sizeof esc, cp < 0x100 ? "\\x%02x" : cp < 0x10000 ? "\\u%04x" : "\\U%08x", (unsigned)cp);
            e = esc;
        }
        if (e) for (; *e; e++) jb_putc(b, *e, m);
        else jb_put(b, v.u.str.s + i, v.u.str.m ? v.u.str.m + i : NULL, k);
        i += k;
    }
    jb_putc(b, q, 0);
}

void jx_repr(jctx *c, jbuf *b, jv v) {
    if (++c->vdepth > JINJA_MAX_VALUE_NEST) { c->vdepth--; jx_fail(c, "a value nested too deeply to print"); return; }
    switch (v.t) {
    case JV_STR: repr_str(b, v); break;
    case JV_LIST: {
        jlist *l = v.u.l;
        jb_puts(b, l->tuple ? "(" : "[");
        for (size_t i = 0; i < l->n; i++) { if (i) jb_puts(b, ", "); jx_repr(c, b, l->v[i]); }
        jb_puts(b, l->tuple ? (l->n == 1 ? ",)" : ")") : "]");
        break;
    }
    case JV_DICT: {
        jdict *d = v.u.d;
        if (d->ns) { jb_puts(b, "<Namespace {"); }
        else jb_puts(b, "{");
        for (size_t i = 0; i < d->n; i++) {
            if (i) jb_puts(b, ", ");
            jx_repr(c, b, d->k[i]);
            jb_puts(b, ": ");
            jx_repr(c, b, d->v[i]);
        }
        jb_puts(b, d->ns ? "}>" : "}");
        break;
    }
    default: jx_write(c, b, v); break;
    }
    c->vdepth--;
}

void jx_write(jctx *c, jbuf *b, jv v) {
    char buf[32];
    switch (v.t) {
    case JV_UNDEF: break;
    case JV_NONE: jb_puts(b, "None"); break;
    case JV_BOOL: jb_puts(b, v.u.b ? "True" : "False"); break;
    case JV_INT: snprintf(buf, sizeof buf, "%lld", (long long)v.u.i); jb_puts(b, buf); break;
    case JV_FLOAT: write_float(b, v.u.f); break;
    case JV_STR: jb_put(b, v.u.str.s, v.u.str.m, v.len); break;
    case JV_LIST: case JV_DICT:
        if (v.t == JV_LIST && v.u.l->gen) { jx_fail(c, "printing a generator (add |list)"); break; }
        jx_repr(c, b, v);
        break;
    case JV_MACRO: jb_puts(b, "<Macro>"); break;
    case JV_LOOP: jb_puts(b, "<LoopContext>"); break;
    default: jb_puts(b, "<function>"); break;
    }
}

jv jx_tostr(jctx *c, jv v) {
    if (v.t == JV_STR) return v;
    jbuf b = {0};
    jx_write(c, &b, v);
    return jx_from_buf(c, &b);
}

jlist *jx_iter(jctx *c, jv v) {
    switch (v.t) {
    case JV_LIST: return v.u.l;
    case JV_UNDEF: return jx_list(c, 0);
    case JV_DICT: {
        jlist *l = jx_list(c, v.u.d->n);
        for (size_t i = 0; l && i < v.u.d->n; i++) l->v[l->n++] = v.u.d->k[i];
        return l;
    }
    case JV_STR: { /* code points */
        jlist *l = jx_list(c, v.len);
        for (size_t i = 0; l && i < v.len;) {
            size_t k = 1;
            while (i + k < v.len && ((unsigned char)v.u.str.s[i + k] & 0xC0) == 0x80) k++;
            jv s = {.t = JV_STR, .len = (uint32_t)k};
            s.u.str.s = v.u.str.s + i;
            s.u.str.m = v.u.str.m ? v.u.str.m + i : NULL;
            l->v[l->n++] = s;
            i += k;
        }
        return l;
    }
    default:
        jx_fail(c, "'%s' object is not iterable", jx_typename(v));
        return NULL;
    }
}

