/* jinja_eval — values, scopes and the evaluator. See jinja.h and jinja_int.h. */
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
    if (c->failed) return -1;
    c->failed = true;
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    jinja_clean_msg(msg);
    return fc_errf(c->err, FC_EINPUT, "%s line %d: %s", c->t->name, c->line, msg);
}

static void oom(jctx *c) { jx_fail(c, "the template needs more than %u MiB of memory", JINJA_MAX_MEMORY >> 20); }

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
    if (!d) { oom(c); return jx_undef(NULL); }
    if (n) memcpy(d, s, n);
    v.u.str.s = d;
    bool any = false;
    for (size_t i = 0; m && i < n && !any; i++) any = m[i];
    if (any) {
        unsigned char *dm = ja_alloc(&c->ar, n);
        if (!dm) { oom(c); return jx_undef(NULL); }
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
    if (!l || c->ar.oom) oom(c);
    return l;
}

bool jx_list_push(jctx *c, jlist *l, jv v) {
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 4;
        jv *nv = ja_alloc(&c->ar, cap * sizeof *nv);
        if (!nv) { oom(c); return false; }
        if (l->n) memcpy(nv, l->v, l->n * sizeof *nv);
        l->v = nv;
        l->cap = cap;
    }
    l->v[l->n++] = v;
    return true;
}

jdict *jx_dict(jctx *c) {
    jdict *d = ja_alloc(&c->ar, sizeof *d);
    if (!d) oom(c);
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
        if (!nk || !nv) { oom(c); return false; }
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

static bool is_num(jv v) { return v.t == JV_INT || v.t == JV_FLOAT || v.t == JV_BOOL; }
static double num(jv v) { return v.t == JV_FLOAT ? v.u.f : v.t == JV_INT ? (double)v.u.i : v.u.b; }
static int64_t inum(jv v) { return v.t == JV_INT ? v.u.i : v.u.b; }

static bool equal(jv a, jv b, int depth);
bool jx_equal(jv a, jv b) { return equal(a, b, 0); }

/* values nested deeper than JINJA_MAX_VALUE_NEST compare unequal (no deep recursion) */
static bool equal(jv a, jv b, int depth) {
    if (depth > JINJA_MAX_VALUE_NEST) return false;
    if (is_num(a) && is_num(b)) {
        if (a.t != JV_FLOAT && b.t != JV_FLOAT) return inum(a) == inum(b);
        return num(a) == num(b);
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
    if (is_num(a) && is_num(b)) {
        if (a.t != JV_FLOAT && b.t != JV_FLOAT) return inum(a) < inum(b) ? -1 : inum(a) > inum(b);
        return num(a) < num(b) ? -1 : num(a) > num(b);
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

/* ---- scopes ---- */

static jscope *scope_new(jctx *c, jscope *parent) {
    jscope *s = ja_alloc(&c->ar, sizeof *s);
    if (!s) { oom(c); return NULL; }
    s->parent = parent;
    return s;
}

static jv *scope_find(jscope *s, const char *name) {
    for (; s; s = s->parent)
        for (int i = s->n - 1; i >= 0; i--)
            if (!strcmp(s->names[i], name)) return &s->vals[i];
    return NULL;
}

static bool scope_set(jctx *c, jscope *s, const char *name, jv v) {
    for (int i = 0; i < s->n; i++)
        if (!strcmp(s->names[i], name)) { s->vals[i] = v; return true; }
    if (s->n == s->cap) {
        int cap = s->cap ? s->cap * 2 : 8;
        const char **nn = ja_alloc(&c->ar, (size_t)cap * sizeof *nn);
        jv *nv = ja_alloc(&c->ar, (size_t)cap * sizeof *nv);
        if (!nn || !nv) { oom(c); return false; }
        if (s->n) { memcpy(nn, s->names, (size_t)s->n * sizeof *nn); memcpy(nv, s->vals, (size_t)s->n * sizeof *nv); }
        s->names = nn; s->vals = nv; s->cap = cap;
    }
    s->names[s->n] = name;
    s->vals[s->n++] = v;
    return true;
}

/* ---- attributes and items ---- */

static int64_t cp_count(jv s) { return (int64_t)jl_utf8_len(s.u.str.s, s.len); }

/* byte offset of code point k in s (k <= count) */
static size_t cp_offset(jv s, int64_t k) {
    size_t i = 0;
    for (; i < s.len && k > 0; k--) {
        i++;
        while (i < s.len && ((unsigned char)s.u.str.s[i] & 0xC0) == 0x80) i++;
    }
    return i;
}

static jv substr(jv s, size_t from, size_t to) {
    jv r = s;
    r.len = (uint32_t)(to - from);
    r.u.str.s = s.u.str.s + from;
    r.u.str.m = s.u.str.m ? s.u.str.m + from : NULL;
    return r;
}

jv jx_getattr(jctx *c, jv obj, const char *name) {
    switch (obj.t) {
    case JV_UNDEF:
        jx_fail(c, "%s has no attribute '%s'", obj.u.uhint ? obj.u.uhint : "undefined value", name);
        return obj;
    case JV_DICT:
        if (!obj.u.d->ns && jl_is_method(obj, name)) break;
        {
            jv *v = jx_dict_get(obj.u.d, jx_cstr(name));
            if (v) return *v;
        }
        {
            char *hint = ja_alloc(&c->ar, strlen(name) + 40);
            if (hint) sprintf(hint, "'dict object' has no attribute '%s'", name);
            return jx_undef(hint);
        }
    case JV_LOOP: {
        jloop *l = obj.u.loop;
        int64_t n = (int64_t)l->items->n, i = l->index0;
        if (!strcmp(name, "index")) return jx_int(i + 1);
        if (!strcmp(name, "index0")) return jx_int(i);
        if (!strcmp(name, "first")) return jx_bool(i == 0);
        if (!strcmp(name, "last")) return jx_bool(i == n - 1);
        if (!strcmp(name, "length")) return jx_int(n);
        if (!strcmp(name, "revindex")) return jx_int(n - i);
        if (!strcmp(name, "revindex0")) return jx_int(n - i - 1);
        if (!strcmp(name, "previtem")) return i > 0 ? l->items->v[i - 1] : jx_undef("there is no previous item");
        if (!strcmp(name, "nextitem")) return i + 1 < n ? l->items->v[i + 1] : jx_undef("there is no next item");
        if (!strcmp(name, "depth")) return jx_int(1);
        if (!strcmp(name, "depth0")) return jx_int(0);
        if (!strcmp(name, "cycle")) break;
        jx_fail(c, "loop.%s is not supported", name);
        return jx_undef(NULL);
    }
    default: break;
    }
    if (jl_is_method(obj, name)) {
        jmethod *m = ja_alloc(&c->ar, sizeof *m);
        if (!m) { oom(c); return jx_undef(NULL); }
        m->self = obj;
        m->name = name;
        jv v = {.t = JV_METHOD};
        v.u.meth = m;
        return v;
    }
    char *hint = ja_alloc(&c->ar, strlen(name) + 64);
    if (hint) sprintf(hint, "'%s object' has no attribute '%s'", jx_typename(obj), name);
    return jx_undef(hint);
}

jv jx_getitem(jctx *c, jv obj, jv key) {
    if (obj.t == JV_DICT) {
        jv *v = jx_dict_get(obj.u.d, key);
        if (v) return *v;
        if (key.t == JV_STR) {
            char *name = ja_strndup(&c->ar, key.u.str.s, key.len);
            if (name && jl_is_method(obj, name)) return jx_getattr(c, obj, name);
        }
        return jx_undef("a missing key");
    }
    if (obj.t == JV_LIST && obj.u.l->gen) {
        jx_fail(c, "'generator' object is not subscriptable");
        return jx_undef(NULL);
    }
    if ((obj.t == JV_LIST || obj.t == JV_STR) && (key.t == JV_INT || key.t == JV_BOOL)) {
        int64_t n = obj.t == JV_LIST ? (int64_t)obj.u.l->n : cp_count(obj), i = inum(key);
        if (i < 0) i += n;
        if (i < 0 || i >= n) return jx_undef("an index out of range");
        if (obj.t == JV_LIST) return obj.u.l->v[i];
        return substr(obj, cp_offset(obj, i), cp_offset(obj, i + 1));
    }
    if (obj.t == JV_UNDEF) {
        jx_fail(c, "%s has no item", obj.u.uhint ? obj.u.uhint : "undefined value");
        return obj;
    }
    if (key.t == JV_STR) {
        char *name = ja_strndup(&c->ar, key.u.str.s, key.len);
        if (name) return jx_getattr(c, obj, name);
    }
    return jx_undef("no such item");
}

static jv slice(jctx *c, jv obj, jv from, jv to, jv step) {
    if (obj.t != JV_LIST && obj.t != JV_STR) { jx_fail(c, "'%s' object cannot be sliced", jx_typename(obj)); return jx_undef(NULL); }
    for (int k = 0; k < 3; k++) {
        jv x = k == 0 ? from : k == 1 ? to : step;
        if (x.t != JV_NONE && x.t != JV_UNDEF && x.t != JV_INT && x.t != JV_BOOL) {
            jx_fail(c, "slice indices must be integers or None");
            return jx_undef(NULL);
        }
    }
    int64_t n = obj.t == JV_LIST ? (int64_t)obj.u.l->n : cp_count(obj);
    int64_t st = step.t == JV_INT || step.t == JV_BOOL ? inum(step) : 1;
    if (st == 0) { jx_fail(c, "slice step cannot be zero"); return jx_undef(NULL); }
    bool has_a = from.t == JV_INT || from.t == JV_BOOL, has_b = to.t == JV_INT || to.t == JV_BOOL;
    int64_t a = has_a ? inum(from) : st > 0 ? 0 : n - 1, b = has_b ? inum(to) : st > 0 ? n : -1;
    if (has_a) { if (a < 0) a += n; if (a < 0) a = st > 0 ? 0 : -1; if (a >= n) a = st > 0 ? n : n - 1; }
    if (has_b) { if (b < 0) b += n; if (b < 0) b = st > 0 ? 0 : -1; if (b >= n) b = st > 0 ? n : n - 1; }
    if (obj.t == JV_STR && st == 1) {
        if (b < a) b = a;
        return substr(obj, cp_offset(obj, a), cp_offset(obj, b));
    }
    jlist *items = jx_iter(c, obj);
    jlist *out = items ? jx_list(c, 0) : NULL;
    if (!out) return jx_undef(NULL);
    for (int64_t i = a; st > 0 ? i < b : i > b; i += st)
        if (!jx_list_push(c, out, items->v[i])) return jx_undef(NULL);
    if (obj.t == JV_LIST) { jv r = {.t = JV_LIST}; out->tuple = obj.u.l->tuple; r.u.l = out; return r; }
    jbuf sb = {0};
    for (size_t i = 0; i < out->n; i++) jb_put(&sb, out->v[i].u.str.s, out->v[i].u.str.m, out->v[i].len);
    return jx_from_buf(c, &sb);
}

/* ---- evaluation ---- */

static jv eval(jctx *c, const jnode *n, jscope *s);
static void exec_body(jctx *c, const jnodes *body, jscope *s);

static bool step(jctx *c, const jnode *n) {
    c->line = n->line;
    if (++c->steps > JINJA_MAX_STEPS) { jx_fail(c, "the template runs too long (more than %ld steps)", JINJA_MAX_STEPS); return false; }
    return !c->failed;
}

static jv arith(jctx *c, int op, jv a, jv b) {
    if (a.t == JV_UNDEF || b.t == JV_UNDEF) {
        jv u = a.t == JV_UNDEF ? a : b;
        jx_fail(c, "%s", u.u.uhint ? u.u.uhint : "an undefined value in arithmetic");
        return jx_undef(NULL);
    }
    if (op == OP_ADD && (a.safe || b.safe)) { /* Markup + x escapes x */
        if (!a.safe) a = jl_filter(c, "escape", a, NULL, 0, NULL, NULL, 0);
        if (!b.safe) b = jl_filter(c, "escape", b, NULL, 0, NULL, NULL, 0);
        if (c->failed) return jx_undef(NULL);
    }
    if (op == OP_ADD && a.t == JV_STR && b.t == JV_STR) {
        jbuf sb = {0};
        jb_put(&sb, a.u.str.s, a.u.str.m, a.len);
        jb_put(&sb, b.u.str.s, b.u.str.m, b.len);
        jv r = jx_from_buf(c, &sb);
        r.safe = a.safe || b.safe;
        return r;
    }
    if (op == OP_ADD && a.t == JV_LIST && b.t == JV_LIST) {
        jlist *l = jx_list(c, a.u.l->n + b.u.l->n);
        if (!l) return jx_undef(NULL);
        for (size_t i = 0; i < a.u.l->n; i++) l->v[l->n++] = a.u.l->v[i];
        for (size_t i = 0; i < b.u.l->n; i++) l->v[l->n++] = b.u.l->v[i];
        l->tuple = a.u.l->tuple;
        jv r = {.t = JV_LIST};
        r.u.l = l;
        return r;
    }
    if (op == OP_MUL && ((a.t == JV_STR && b.t == JV_INT) || (a.t == JV_INT && b.t == JV_STR))) {
        jv s = a.t == JV_STR ? a : b;
        int64_t k = a.t == JV_INT ? a.u.i : b.u.i;
        if (k > 0 && (uint64_t)k * s.len > JINJA_MAX_OUTPUT) { jx_fail(c, "string repetition too long"); return jx_undef(NULL); }
        jbuf sb = {0};
        for (int64_t i = 0; i < k; i++) jb_put(&sb, s.u.str.s, s.u.str.m, s.len);
        return jx_from_buf(c, &sb);
    }
    if (!is_num(a) || !is_num(b)) {
        static const char *const sym[] = {"+", "-", "*", "/", "//", "%", "**"};
        jx_fail(c, "unsupported operand types for %s: '%s' and '%s'", sym[op], jx_typename(a), jx_typename(b));
        return jx_undef(NULL);
    }
    bool ints = a.t != JV_FLOAT && b.t != JV_FLOAT;
    int64_t x = ints ? inum(a) : 0, y = ints ? inum(b) : 0, r;
    double fa = num(a), fb = num(b);
    switch (op) {
    case OP_ADD: if (ints) { if (__builtin_add_overflow(x, y, &r)) break; return jx_int(r); } return jx_float(fa + fb);
    case OP_SUB: if (ints) { if (__builtin_sub_overflow(x, y, &r)) break; return jx_int(r); } return jx_float(fa - fb);
    case OP_MUL: if (ints) { if (__builtin_mul_overflow(x, y, &r)) break; return jx_int(r); } return jx_float(fa * fb);
    case OP_DIV:
        if (fb == 0) { jx_fail(c, "division by zero"); return jx_undef(NULL); }
        return jx_float(fa / fb);
    case OP_FLOORDIV: case OP_MOD:
        if (fb == 0) { jx_fail(c, "integer division or modulo by zero"); return jx_undef(NULL); }
        if (ints) {
            if (x == INT64_MIN && y == -1) break;
            int64_t q = x / y, m = x % y;
            if (m != 0 && ((m < 0) != (y < 0))) { q--; m += y; }
            return jx_int(op == OP_FLOORDIV ? q : m);
        } else {
            double m = fmod(fa, fb);
            if (m != 0 && ((m < 0) != (fb < 0))) m += fb;
            return jx_float(op == OP_FLOORDIV ? floor(fa / fb) : m);
        }
    case OP_POW:
        if (ints && y >= 0) {
            int64_t acc = 1;
            for (int64_t i = 0; i < y; i++) {
                if (__builtin_mul_overflow(acc, x, &acc)) { jx_fail(c, "integer overflow"); return jx_undef(NULL); }
                if (acc == 0 || acc == 1) break;
            }
            return jx_int(acc);
        }
        return jx_float(pow(fa, fb));
    }
    jx_fail(c, "integer overflow");
    return jx_undef(NULL);
}

static bool contains(jctx *c, jv hay, jv needle) {
    if (hay.t == JV_STR) {
        if (needle.t != JV_STR) { jx_fail(c, "'in <string>' requires a string on the left, not '%s'", jx_typename(needle)); return false; }
        if (!needle.len) return true;
        return needle.len <= hay.len && memmem(hay.u.str.s, hay.len, needle.u.str.s, needle.len);
    }
    if (hay.t == JV_LIST) {
        for (size_t i = 0; i < hay.u.l->n; i++) if (jx_equal(hay.u.l->v[i], needle)) return true;
        return false;
    }
    if (hay.t == JV_DICT) return jx_dict_get(hay.u.d, needle) != NULL;
    if (hay.t == JV_UNDEF) return false;
    jx_fail(c, "argument of type '%s' is not iterable", jx_typename(hay));
    return false;
}

/* evaluates a call's arguments into arena arrays */
static bool eval_args(jctx *c, const jnode *n, jscope *s, jv **args, jv **kw) {
    *args = n->args.n ? ja_alloc(&c->ar, (size_t)n->args.n * sizeof **args) : NULL;
    *kw = n->kwargs.n ? ja_alloc(&c->ar, (size_t)n->kwargs.n * sizeof **kw) : NULL;
    if ((n->args.n && !*args) || (n->kwargs.n && !*kw)) { oom(c); return false; }
    for (int i = 0; i < n->args.n && !c->failed; i++) (*args)[i] = eval(c, n->args.v[i], s);
    for (int i = 0; i < n->kwargs.n && !c->failed; i++) (*kw)[i] = eval(c, n->kwargs.v[i], s);
    return !c->failed;
}

jv jx_call_macro(jctx *c, jv fn, jv *args, int n_args, const char **kwnames, jv *kwargs, int n_kw) {
    jmacro *m = fn.u.mac;
    const jnode *def = m->def;
    if (c->depth >= JINJA_MAX_DEPTH) { jx_fail(c, "macro calls nested more than %d deep", JINJA_MAX_DEPTH); return jx_undef(NULL); }
    jscope *s = scope_new(c, m->closure);
    if (!s) return jx_undef(NULL);
    int np = def->n_names;
    jlist *varargs = jx_list(c, 0);
    jdict *kwextra = jx_dict(c);
    if (!varargs || !kwextra) return jx_undef(NULL);
    varargs->tuple = true;
    for (int i = 0; i < n_args; i++) {
        if (i < np) { if (!scope_set(c, s, def->names[i], args[i])) return jx_undef(NULL); }
        else if (!jx_list_push(c, varargs, args[i])) return jx_undef(NULL);
    }
    for (int k = 0; k < n_kw; k++) {
        int i;
        for (i = 0; i < np && strcmp(def->names[i], kwnames[k]); i++) {}
        if (i < np) { if (!scope_set(c, s, def->names[i], kwargs[k])) return jx_undef(NULL); }
        else if (!jx_dict_set(c, kwextra, jx_cstr(kwnames[k]), kwargs[k])) return jx_undef(NULL);
    }
    for (int i = 0; i < np; i++) {
        bool set = false;
        for (int j = 0; j < s->n && !set; j++) set = !strcmp(s->names[j], def->names[i]);
        if (set) continue;
        jv d = def->kind == N_MACRO && def->args.v[i] ? eval(c, def->args.v[i], s) : jx_undef(NULL);
        if (d.t == JV_UNDEF && !d.u.uhint) {
            char *hint = ja_alloc(&c->ar, strlen(def->names[i]) + 64);
            if (hint) sprintf(hint, "parameter '%s' was not provided", def->names[i]);
            d.u.uhint = hint;
        }
        if (c->failed || !scope_set(c, s, def->names[i], d)) return jx_undef(NULL);
    }
    jv vv = {.t = JV_LIST}, kv = {.t = JV_DICT};
    vv.u.l = varargs;
    kv.u.d = kwextra;
    if (!scope_set(c, s, "varargs", vv) || !scope_set(c, s, "kwargs", kv)) return jx_undef(NULL);
    if (m->caller.t == JV_MACRO && !scope_set(c, s, "caller", m->caller)) return jx_undef(NULL);
    jbuf out = {0}, *saved = c->out;
    int line = c->line, flow = c->flow;
    c->out = &out;
    c->depth++;
    exec_body(c, &def->body, s);
    c->depth--;
    c->out = saved;
    c->line = line;
    c->flow = flow;
    if (c->failed) { jb_free(&out); return jx_undef(NULL); }
    return jx_from_buf(c, &out);
}

static jv call(jctx *c, const jnode *n, jscope *s, jv caller) {
    jv fn = eval(c, n->a, s), *args, *kw;
    if (c->failed || !eval_args(c, n, s, &args, &kw)) return jx_undef(NULL);
    c->line = n->line;
    switch (fn.t) {
    case JV_MACRO: {
        if (caller.t == JV_MACRO) {
            jmacro *m = ja_alloc(&c->ar, sizeof *m);
            if (!m) { oom(c); return jx_undef(NULL); }
            *m = *fn.u.mac;
            m->caller = caller;
            fn.u.mac = m;
        }
        return jx_call_macro(c, fn, args, n->args.n, n->kwnames, kw, n->kwargs.n);
    }
    case JV_FUNC: return jl_global(c, fn.u.fn, args, n->args.n, n->kwnames, kw, n->kwargs.n);
    case JV_METHOD: return jl_method(c, fn.u.meth->self, fn.u.meth->name, args, n->args.n, n->kwnames, kw, n->kwargs.n);
    case JV_UNDEF:
        jx_fail(c, "%s is not callable", fn.u.uhint ? fn.u.uhint : "an undefined value");
        return jx_undef(NULL);
    default:
        jx_fail(c, "'%s' object is not callable", jx_typename(fn));
        return jx_undef(NULL);
    }
}

static jv eval_node(jctx *c, const jnode *n, jscope *s);

static jv eval(jctx *c, const jnode *n, jscope *s) {
    if (c->nest >= JINJA_MAX_EVAL_NEST) { jx_fail(c, "the template nests evaluation more than %d deep", JINJA_MAX_EVAL_NEST); return jx_undef(NULL); }
    c->nest++;
    jv v = eval_node(c, n, s);
    c->nest--;
    return v;
}

static jv eval_node(jctx *c, const jnode *n, jscope *s) {
    if (!step(c, n)) return jx_undef(NULL);
    switch (n->kind) {
    case E_LIT: return n->val;
    case E_NAME: {
        jv *v = scope_find(s, n->str);
        if (v) return *v;
        int fn = jl_global_find(n->str);
        if (fn >= 0) { jv f = {.t = JV_FUNC}; f.u.fn = fn; return f; }
        char *hint = ja_alloc(&c->ar, strlen(n->str) + 32);
        if (hint) sprintf(hint, "'%s' is undefined", n->str);
        return jx_undef(hint);
    }
    case E_ATTR: {
        jv o = eval(c, n->a, s);
        return c->failed ? o : jx_getattr(c, o, n->str);
    }
    case E_ITEM: {
        jv o = eval(c, n->a, s), k = eval(c, n->b, s);
        return c->failed ? o : jx_getitem(c, o, k);
    }
    case E_SLICE: {
        jv o = eval(c, n->a, s);
        jv a = n->b ? eval(c, n->b, s) : jx_none(), b = n->c ? eval(c, n->c, s) : jx_none();
        jv st = n->d ? eval(c, n->d, s) : jx_none();
        return c->failed ? o : slice(c, o, a, b, st);
    }
    case E_CALL: return call(c, n, s, jx_undef(NULL));
    case E_FILTER: {
        jv v = n->a ? eval(c, n->a, s) : jx_undef(NULL), *args, *kw;
        if (c->failed || !eval_args(c, n, s, &args, &kw)) return jx_undef(NULL);
        c->line = n->line;
        return jl_filter(c, n->str, v, args, n->args.n, n->kwnames, kw, n->kwargs.n);
    }
    case E_TEST: {
        jv v = eval(c, n->a, s), *args, *kw;
        if (c->failed || !eval_args(c, n, s, &args, &kw)) return jx_undef(NULL);
        c->line = n->line;
        bool r = jl_test(c, n->str, v, args, n->args.n);
        return jx_bool(n->neg ? !r : r);
    }
    case E_NEG: case E_POS: {
        jv v = eval(c, n->a, s);
        if (c->failed) return v;
        if (!is_num(v)) { jx_fail(c, "bad operand type for unary %c: '%s'", n->kind == E_NEG ? '-' : '+', jx_typename(v)); return v; }
        if (n->kind == E_POS) return v.t == JV_BOOL ? jx_int(v.u.b) : v;
        if (v.t == JV_FLOAT) return jx_float(-v.u.f);
        if (inum(v) == INT64_MIN) { jx_fail(c, "integer overflow"); return v; }
        return jx_int(-inum(v));
    }
    case E_NOT: { jv v = eval(c, n->a, s); return jx_bool(!jx_truthy(v)); }
    case E_AND: { jv a = eval(c, n->a, s); return !jx_truthy(a) || c->failed ? a : eval(c, n->b, s); }
    case E_OR: { jv a = eval(c, n->a, s); return jx_truthy(a) || c->failed ? a : eval(c, n->b, s); }
    case E_COND: {
        jv cond = eval(c, n->a, s);
        if (c->failed) return cond;
        if (jx_truthy(cond)) return eval(c, n->b, s);
        return n->c ? eval(c, n->c, s) : jx_undef("the inline if has no else");
    }
    case E_BIN: {
        jv a = eval(c, n->a, s), b = eval(c, n->b, s);
        if (c->failed) return a;
        c->line = n->line;
        if (n->op == OP_CONCAT) {
            jbuf sb = {0};
            jx_write(c, &sb, a);
            jx_write(c, &sb, b);
            return jx_from_buf(c, &sb);
        }
        return arith(c, n->op, a, b);
    }
    case E_CMP: {
        jv a = eval(c, n->a, s);
        for (int i = 0; i < n->args.n && !c->failed; i++) {
            jv b = eval(c, n->args.v[i], s);
            if (c->failed) break;
            c->line = n->line;
            bool r, ok = true;
            int op = n->ops[i];
            if (op == OP_EQ) r = jx_equal(a, b);
            else if (op == OP_NE) r = !jx_equal(a, b);
            else if (op == OP_IN) r = contains(c, b, a);
            else if (op == OP_NOTIN) r = !contains(c, b, a);
            else {
                int k = jx_compare(c, a, b, &ok);
                if (!ok) {
                    static const char *const sym[] = {"<", "<=", ">", ">="};
                    jx_fail(c, "'%s' not supported between instances of '%s' and '%s'", sym[op - OP_LT],
                            jx_typename(a), jx_typename(b));
                    break;
                }
                r = op == OP_LT ? k < 0 : op == OP_LE ? k <= 0 : op == OP_GT ? k > 0 : k >= 0;
            }
            if (!r) return jx_bool(false);
            a = b;
        }
        return jx_bool(!c->failed);
    }
    case E_LIST: case E_TUPLE: {
        jlist *l = jx_list(c, (size_t)n->args.n);
        if (!l) return jx_undef(NULL);
        l->tuple = n->kind == E_TUPLE;
        for (int i = 0; i < n->args.n && !c->failed; i++) l->v[l->n++] = eval(c, n->args.v[i], s);
        jv r = {.t = JV_LIST};
        r.u.l = l;
        return r;
    }
    case E_DICT: {
        jdict *d = jx_dict(c);
        if (!d) return jx_undef(NULL);
        for (int i = 0; i < n->args.n && !c->failed; i++) {
            jv k = eval(c, n->args.v[i], s), v = eval(c, n->kwargs.v[i], s);
            if (!c->failed) jx_dict_set(c, d, k, v);
        }
        jv r = {.t = JV_DICT};
        r.u.d = d;
        return r;
    }
    default:
        jx_fail(c, "internal: node %d is not an expression", n->kind);
        return jx_undef(NULL);
    }
}

static void output(jctx *c, jv v) {
    if (v.t == JV_UNDEF && c->failed) return;
    jx_write(c, c->out, v);
    if (c->out->over) jx_fail(c, "the output grew past %u MiB", JINJA_MAX_OUTPUT >> 20);
}

/* assigns v to the target names of n (one name, or a tuple unpacked) */
static bool assign(jctx *c, const jnode *n, jscope *s, jv v) {
    if (!n->tuple_target) return scope_set(c, s, n->names[0], v);
    jlist *items = jx_iter(c, v);
    if (!items) return false;
    if ((int)items->n != n->n_names) {
        jx_fail(c, "cannot unpack %zu values into %d names", items->n, n->n_names);
        return false;
    }
    for (int i = 0; i < n->n_names; i++) if (!scope_set(c, s, n->names[i], items->v[i])) return false;
    return true;
}

static void exec_for(jctx *c, const jnode *n, jscope *s) {
    jv seq = eval(c, n->a, s);
    if (c->failed) return;
    jlist *items = jx_iter(c, seq);
    if (!items) return;
    if (seq.t == JV_DICT || n->b) { /* a copy: the body may not change what is iterated */
        jlist *copy = jx_list(c, items->n);
        if (!copy) return;
        for (size_t i = 0; i < items->n; i++) copy->v[copy->n++] = items->v[i];
        items = copy;
    }
    if (n->b) { /* for x in xs if cond: the loop sees only the items that pass */
        jlist *kept = jx_list(c, items->n);
        jscope *fs = scope_new(c, s);
        if (!kept || !fs) return;
        for (size_t i = 0; i < items->n && step(c, n); i++) {
            fs->n = 0;
            if (!assign(c, n, fs, items->v[i])) return;
            jv ok = eval(c, n->b, fs);
            if (jx_truthy(ok)) kept->v[kept->n++] = items->v[i];
        }
        if (c->failed) return;
        items = kept;
    }
    jloop *loop = ja_alloc(&c->ar, sizeof *loop);
    if (!loop) { oom(c); return; }
    loop->items = items;
    jv lv = {.t = JV_LOOP};
    lv.u.loop = loop;
    jscope *body = scope_new(c, s); /* one scope, emptied for each iteration */
    for (size_t i = 0; i < items->n && body && !c->failed; i++) {
        loop->index0 = (int64_t)i;
        body->n = 0;
        if (!step(c, n)) return; /* an empty body still counts */
        if (!scope_set(c, body, "loop", lv) || !assign(c, n, body, items->v[i])) return;
        exec_body(c, &n->body, body);
        if (c->flow == 1) { c->flow = 0; break; }
        c->flow = 0;
    }
    if (!items->n && !c->failed) exec_body(c, &n->orelse, s);
}

static jv capture(jctx *c, const jnodes *body, jscope *s) {
    jbuf out = {0}, *saved = c->out;
    c->out = &out;
    exec_body(c, body, s);
    c->out = saved;
    if (c->failed) { jb_free(&out); return jx_undef(NULL); }
    return jx_from_buf(c, &out);
}

/* applies a filter chain whose innermost value is v */
static jv apply_chain(jctx *c, const jnode *f, jscope *s, jv v) {
    if (f->a) v = apply_chain(c, f->a, s, v);
    jv *args, *kw;
    if (c->failed || !eval_args(c, f, s, &args, &kw)) return jx_undef(NULL);
    c->line = f->line;
    return jl_filter(c, f->str, v, args, f->args.n, f->kwnames, kw, f->kwargs.n);
}

static void exec_node(jctx *c, const jnode *n, jscope *s);

static void exec_stmt(jctx *c, const jnode *n, jscope *s) {
    if (c->nest >= JINJA_MAX_EVAL_NEST) { jx_fail(c, "the template nests evaluation more than %d deep", JINJA_MAX_EVAL_NEST); return; }
    c->nest++;
    exec_node(c, n, s);
    c->nest--;
}

static void exec_node(jctx *c, const jnode *n, jscope *s) {
    if (!step(c, n)) return;
    switch (n->kind) {
    case N_TEXT: jb_put(c->out, n->str, NULL, n->len); if (c->out->over) output(c, jx_none()); break;
    case N_OUT: output(c, eval(c, n->a, s)); break;
    case N_IF: {
        jv cond = eval(c, n->a, s);
        if (c->failed) break;
        exec_body(c, jx_truthy(cond) ? &n->body : &n->orelse, s);
        break;
    }
    case N_FOR: exec_for(c, n, s); break;
    case N_SET: {
        jv v = eval(c, n->a, s);
        if (c->failed) break;
        if (n->str) { /* ns.attr = v */
            jv *ns = scope_find(s, n->names[0]);
            if (!ns || ns->t != JV_DICT || !ns->u.d->ns) {
                jx_fail(c, "cannot assign attribute '%s' on '%s': it is not a namespace()", n->str, n->names[0]);
                break;
            }
            jx_dict_set(c, ns->u.d, jx_cstr(n->str), v);
        } else {
            assign(c, n, s, v);
        }
        break;
    }
    case N_SETBLOCK: {
        jv v = capture(c, &n->body, s);
        if (!c->failed && n->a) v = apply_chain(c, n->a, s, v);
        if (!c->failed) scope_set(c, s, n->names[0], v);
        break;
    }
    case N_MACRO: {
        jmacro *m = ja_alloc(&c->ar, sizeof *m);
        if (!m) { oom(c); break; }
        m->def = n;
        m->closure = s;
        jv v = {.t = JV_MACRO};
        v.u.mac = m;
        scope_set(c, s, n->str, v);
        break;
    }
    case N_CALLBLOCK: {
        jmacro *m = ja_alloc(&c->ar, sizeof *m);
        if (!m) { oom(c); break; }
        m->def = n; /* caller(): the block's body with the call block's parameters */
        m->closure = s;
        jv caller = {.t = JV_MACRO};
        caller.u.mac = m;
        output(c, call(c, n->a, s, caller));
        break;
    }
    case N_FILTERBLOCK: {
        jv v = capture(c, &n->body, s);
        if (!c->failed) output(c, apply_chain(c, n->a, s, v));
        break;
    }
    case N_BREAK: c->flow = 1; break;
    case N_CONTINUE: c->flow = 2; break;
    default: jx_fail(c, "internal: node %d is not a statement", n->kind); break;
    }
}

static void exec_body(jctx *c, const jnodes *body, jscope *s) {
    for (int i = 0; i < body->n && !c->failed && !c->flow; i++) exec_stmt(c, body->v[i], s);
}

/* cJSON -> values; strings get mask 1 when outside */
static jv from_json(jctx *c, const cJSON *j, bool outside, int depth) {
    if (depth > 100) { jx_fail(c, "the variables are nested more than 100 deep"); return jx_undef(NULL); }
    if (cJSON_IsString(j)) {
        size_t n = strlen(j->valuestring);
        jv v = {.t = JV_STR, .len = (uint32_t)n};
        v.u.str.s = j->valuestring;
        if (outside && n) {
            unsigned char *m = ja_alloc(&c->ar, n);
            if (!m) { oom(c); return jx_undef(NULL); }
            memset(m, 1, n);
            v.u.str.m = m;
        }
        return v;
    }
    if (cJSON_IsBool(j)) return jx_bool(cJSON_IsTrue(j));
    if (cJSON_IsNull(j)) return jx_none();
    if (cJSON_IsNumber(j)) {
        double d = j->valuedouble;
        if (d == floor(d) && fabs(d) < 9e15) return jx_int((int64_t)d);
        return jx_float(d);
    }
    if (cJSON_IsArray(j)) {
        jlist *l = jx_list(c, (size_t)cJSON_GetArraySize(j));
        if (!l) return jx_undef(NULL);
        for (const cJSON *e = j->child; e && !c->failed; e = e->next) l->v[l->n++] = from_json(c, e, outside, depth + 1);
        jv v = {.t = JV_LIST};
        v.u.l = l;
        return v;
    }
    if (cJSON_IsObject(j)) {
        jdict *d = jx_dict(c);
        if (!d) return jx_undef(NULL);
        for (const cJSON *e = j->child; e && !c->failed; e = e->next)
            jx_dict_set(c, d, jx_cstr(e->string ? e->string : ""), from_json(c, e, outside, depth + 1));
        jv v = {.t = JV_DICT};
        v.u.d = d;
        return v;
    }
    return jx_undef(NULL);
}

int jinja_render(const jinja_tmpl *t, const jinja_vars *vars, char **out, unsigned char **literal, size_t *len,
                 fc_err *err) {
    *out = NULL;
    if (literal) *literal = NULL;
    *len = 0;
    jctx c = {.t = t, .err = err, .now = vars ? vars->now : 0};
    c.ar.limit = JINJA_MAX_MEMORY;
    jbuf buf = {0};
    c.out = &buf;
    c.root = scope_new(&c, NULL);
    for (int pass = 0; pass < 2 && vars && c.root; pass++) {
        const cJSON *obj = pass ? vars->own : vars->data;
        for (const cJSON *e = obj ? obj->child : NULL; e && !c.failed; e = e->next)
            if (e->string) scope_set(&c, c.root, e->string, from_json(&c, e, pass == 0, 0));
    }
    if (c.root && !c.failed) exec_body(&c, &t->body, c.root);
    if (!c.failed && buf.over) jx_fail(&c, "the output grew past %u MiB", JINJA_MAX_OUTPUT >> 20);
    ja_free(&c.ar);
    if (c.failed || !c.root) {
        if (!c.failed) fc_errf(err, FC_EFAIL, "%s: out of memory", t->name);
        jb_free(&buf);
        return -1;
    }
    if (!buf.s) { buf.s = calloc(1, 1); buf.m = calloc(1, 1); }
    if (!buf.s || !buf.m) { jb_free(&buf); return fc_errf(err, FC_EFAIL, "%s: out of memory", t->name); }
    *out = buf.s;
    *len = buf.len;
    if (literal) *literal = buf.m;
    else free(buf.m);
    return 0;
}
