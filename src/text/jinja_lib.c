/* jinja_lib — the filters, tests, methods and globals that chat templates use, each as
 * jinja2 3.x / Python 3 define it (with Hugging Face's tojson). Case mapping (upper, lower,
 * title, capitalize) uses the simple one-to-one Unicode cases plus the common characters whose
 * upper case is two (U+00DF -> "SS", ligatures); title case is upper case. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jinja_int.h"
#include "unicode.h"

enum { JF_RANGE, JF_NAMESPACE, JF_RAISE, JF_STRFTIME, JF_DICT, JF_COUNT };
static const char *const GLOBALS[JF_COUNT] = {"range", "namespace", "raise_exception", "strftime_now", "dict"};

int jl_global_find(const char *name) {
    for (int i = 0; i < JF_COUNT; i++) if (!strcmp(GLOBALS[i], name)) return i;
    return -1;
}

size_t jl_utf8_len(const char *s, size_t n) {
    size_t k = 0;
    for (size_t i = 0; i < n; i++) k += ((unsigned char)s[i] & 0xC0) != 0x80;
    return k;
}

/* the code point at s[i] (i < n) and its byte length */
static uint32_t cp_at(const char *s, size_t n, size_t i, size_t *len) {
    unsigned char c = (unsigned char)s[i];
    int k = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    if (i + (size_t)k > n) k = 1;
    uint32_t cp = k == 1 ? c : k == 2 ? c & 0x1F : k == 3 ? c & 0x0F : c & 0x07;
    for (int j = 1; j < k; j++) cp = cp << 6 | ((unsigned char)s[i + j] & 0x3F);
    *len = (size_t)k;
    return cp;
}

/* the code point ending at s[i-1] */
static uint32_t cp_before(const char *s, size_t i, size_t *len) {
    size_t j = i - 1;
    while (j > 0 && ((unsigned char)s[j] & 0xC0) == 0x80 && i - j < 4) j--;
    return cp_at(s, i, j, len);
}

/* Python's str.isspace() */
static bool py_space(uint32_t c) {
    return (c >= 9 && c <= 13) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

static bool in_chars(uint32_t c, jv chars) {
    for (size_t i = 0, k; i < chars.len; i += k)
        if (cp_at(chars.u.str.s, chars.len, i, &k) == c) return true;
    return false;
}

/* strip: which 1 left, 2 right, 3 both; chars undefined/none: whitespace */
static jv strip(jv s, int which, jv chars) {
    bool ws = chars.t != JV_STR;
    size_t a = 0, b = s.len, k;
    while ((which & 1) && a < b) {
        uint32_t c = cp_at(s.u.str.s, b, a, &k);
        if (!(ws ? py_space(c) : in_chars(c, chars))) break;
        a += k;
    }
    while ((which & 2) && b > a) {
        uint32_t c = cp_before(s.u.str.s, b, &k);
        if (!(ws ? py_space(c) : in_chars(c, chars))) break;
        b -= k;
    }
    return jv_substr(s, a, b);
}

/* Simple case mapping of one code point (Python's one-to-one cases; the few that become two
 * characters, like U+00DF to "SS", keep the character). Upper case is the inverse of the
 * lower-case table: the smallest code point whose lower case is cp. */
static uint32_t cp_lower(uint32_t cp) { return ucp_to_lower(cp); }
static uint32_t cp_upper(uint32_t cp) {
    if (cp < 0x80) return cp >= 'a' && cp <= 'z' ? cp - 32 : cp;
    if (ucp_class(cp) != UCP_LETTER) return cp;
    for (size_t i = 0; i < ucp_n_lower; i++)
        if (ucp_lower[i].to == cp && ucp_lower[i].from != cp) return ucp_lower[i].from;
    return cp;
}
static bool cp_cased_letter(uint32_t cp) { return ucp_class(cp) == UCP_LETTER; }

/* Python's upper cases that are several characters (the common ones) */
static const char *upper_special(uint32_t cp) {
    switch (cp) {
    case 0xDF: return "SS";
    case 0x149: return "\xCA\xBCN";
    case 0xFB00: return "FF";
    case 0xFB01: return "FI";
    case 0xFB02: return "FL";
    case 0xFB03: return "FFI";
    case 0xFB04: return "FFL";
    case 0xFB05: case 0xFB06: return "ST";
    default: return NULL;
    }
}

/* mode 0 upper, 1 lower, 2 capitalize, 3 jinja title, 4 str.title */
static jv recase(jctx *c, jv s, int mode) {
    jbuf b = {0};
    bool start = true;
    for (size_t i = 0, k; i < s.len; i += k) {
        uint32_t cp = cp_at(s.u.str.s, s.len, i, &k), o;
        if (mode == 0) o = cp_upper(cp);
        else if (mode == 1) o = cp_lower(cp);
        else if (mode == 2) o = i == 0 ? cp_upper(cp) : cp_lower(cp);
        else {
            o = start ? cp_upper(cp) : cp_lower(cp);
            if (mode == 3) start = cp == '-' || cp == '(' || cp == '{' || cp == '[' || cp == '<' || py_space(cp);
            else start = !cp_cased_letter(cp);
        }
        unsigned char m = s.u.str.m ? s.u.str.m[i] : 0;
        const char *sp = o != cp && o == cp_upper(cp) ? upper_special(cp) : NULL;
        if (sp) { for (; *sp; sp++) jb_putc(&b, *sp, m); continue; }
        if (o == cp) { jb_put(&b, s.u.str.s + i, s.u.str.m ? s.u.str.m + i : NULL, k); continue; }
        char enc[4];
        size_t n = utf8_encode(o, enc);
        for (size_t j = 0; j < n; j++) jb_putc(&b, enc[j], m);
    }
    return jx_from_buf(c, &b);
}

static jv replace(jctx *c, jv s, jv old, jv new, int64_t count) {
    jbuf b = {0};
    size_t i = 0;
    int64_t done = 0;
    if (!old.len) { /* Python inserts new between every character */
        for (size_t k; i <= s.len && (count < 0 || done < count); i += k, done++) {
            jb_put(&b, new.u.str.s, new.u.str.m, new.len);
            if (i == s.len) { i++; break; }
            cp_at(s.u.str.s, s.len, i, &k);
            jb_put(&b, s.u.str.s + i, s.u.str.m ? s.u.str.m + i : NULL, k);
        }
        if (i < s.len) jb_put(&b, s.u.str.s + i, s.u.str.m ? s.u.str.m + i : NULL, s.len - i);
        return jx_from_buf(c, &b);
    }
    while (i < s.len && (count < 0 || done < count)) {
        const char *hit = memmem(s.u.str.s + i, s.len - i, old.u.str.s, old.len);
        if (!hit) break;
        size_t h = (size_t)(hit - s.u.str.s);
        jb_put(&b, s.u.str.s + i, s.u.str.m ? s.u.str.m + i : NULL, h - i);
        jb_put(&b, new.u.str.s, new.u.str.m, new.len);
        i = h + old.len;
        done++;
    }
    jb_put(&b, s.u.str.s + i, s.u.str.m ? s.u.str.m + i : NULL, s.len - i);
    if (b.over) jb_free(&b), b.over = true;
    return jx_from_buf(c, &b);
}

static jv list_val(jlist *l) { jv v = {.t = JV_LIST}; v.u.l = l; return v; }

static jv split(jctx *c, jv s, jv sep, int64_t maxsplit) {
    jlist *l = jx_list(c, 0);
    if (!l) return jx_undef(NULL);
    if (sep.t != JV_STR) {
        size_t i = 0, k;
        while (i < s.len) {
            while (i < s.len && py_space(cp_at(s.u.str.s, s.len, i, &k))) i += k;
            if (i >= s.len) break;
            if (maxsplit >= 0 && (int64_t)l->n >= maxsplit) {
                jv rest = strip(jv_substr(s, i, s.len), 2, jx_none());
                jx_list_push(c, l, rest);
                break;
            }
            size_t j = i;
            while (j < s.len && !py_space(cp_at(s.u.str.s, s.len, j, &k))) j += k;
            if (!jx_list_push(c, l, jv_substr(s, i, j))) break;
            i = j;
        }
        return list_val(l);
    }
    if (!sep.len) { jx_fail(c, "empty separator"); return jx_undef(NULL); }
    size_t i = 0;
    for (;;) {
        const char *hit = maxsplit < 0 || (int64_t)l->n < maxsplit ? memmem(s.u.str.s + i, s.len - i, sep.u.str.s, sep.len) : NULL;
        if (!hit) { jx_list_push(c, l, jv_substr(s, i, s.len)); break; }
        size_t h = (size_t)(hit - s.u.str.s);
        if (!jx_list_push(c, l, jv_substr(s, i, h))) break;
        i = h + sep.len;
    }
    return list_val(l);
}

/* ---- tojson (json.dumps, ensure_ascii=False) ---- */

static void json_str(jbuf *b, const char *s, const unsigned char *m, size_t n) {
    jb_putc(b, '"', 0);
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i], mk = m ? m[i] : 0;
        const char *e = NULL;
        char esc[8];
        switch (ch) {
        case '"': e = "\\\""; break;
        case '\\': e = "\\\\"; break;
        case '\n': e = "\\n"; break;
        case '\r': e = "\\r"; break;
        case '\t': e = "\\t"; break;
        case '\b': e = "\\b"; break;
        case '\f': e = "\\f"; break;
        default:
            if (ch < 0x20) { snprintf(esc, sizeof esc, "\\u%04x", ch); e = esc; }
        }
        if (e) for (; *e; e++) jb_putc(b, *e, mk);
        else jb_putc(b, (char)ch, mk);
    }
    jb_putc(b, '"', 0);
}

static void json_nl(jbuf *b, int indent, int level) {
    jb_putc(b, '\n', 0);
    for (int i = 0; i < indent * level; i++) jb_putc(b, ' ', 0);
}

void jl_tojson(jctx *c, jbuf *b, jv v, int indent, int level) {
    if (level > 100) { jx_fail(c, "tojson: a value nested more than 100 deep"); return; }
    if (v.t == JV_LIST && v.u.l->gen) { jx_fail(c, "Object of type generator is not JSON serializable"); return; }
    switch (v.t) {
    case JV_NONE: jb_puts(b, "null"); break;
    case JV_BOOL: jb_puts(b, v.u.b ? "true" : "false"); break;
    case JV_INT: jx_write(c, b, v); break;
    case JV_FLOAT:
        if (isnan(v.u.f)) jb_puts(b, "NaN");
        else if (isinf(v.u.f)) jb_puts(b, v.u.f < 0 ? "-Infinity" : "Infinity");
        else jx_write(c, b, v);
        break;
    case JV_STR: json_str(b, v.u.str.s, v.u.str.m, v.len); break;
    case JV_LIST:
        if (!v.u.l->n) { jb_puts(b, "[]"); break; }
        jb_putc(b, '[', 0);
        for (size_t i = 0; i < v.u.l->n && !c->failed; i++) {
            if (i) jb_puts(b, indent >= 0 ? "," : ", ");
            if (indent >= 0) json_nl(b, indent, level + 1);
            jl_tojson(c, b, v.u.l->v[i], indent, level + 1);
        }
        if (indent >= 0) json_nl(b, indent, level);
        jb_putc(b, ']', 0);
        break;
    case JV_DICT:
        if (!v.u.d->n) { jb_puts(b, "{}"); break; }
        jb_putc(b, '{', 0);
        for (size_t i = 0; i < v.u.d->n && !c->failed; i++) {
            if (i) jb_puts(b, indent >= 0 ? "," : ", ");
            if (indent >= 0) json_nl(b, indent, level + 1);
            jv k = v.u.d->k[i];
            if (k.t == JV_STR) json_str(b, k.u.str.s, k.u.str.m, k.len);
            else if (k.t == JV_INT || k.t == JV_FLOAT) { jb_putc(b, '"', 0); jx_write(c, b, k); jb_putc(b, '"', 0); }
            else if (k.t == JV_BOOL) jb_puts(b, k.u.b ? "\"true\"" : "\"false\"");
            else if (k.t == JV_NONE) jb_puts(b, "\"null\"");
            else { jx_fail(c, "tojson: keys must be str, int, float, bool or None, not %s", jx_typename(k)); return; }
            jb_puts(b, ": ");
            jl_tojson(c, b, v.u.d->v[i], indent, level + 1);
        }
        if (indent >= 0) json_nl(b, indent, level);
        jb_putc(b, '}', 0);
        break;
    default:
        jx_fail(c, "Object of type %s is not JSON serializable", v.t == JV_UNDEF ? "Undefined" : jx_typename(v));
    }
}

/* ---- helpers for filters ---- */

/* positional argument i, else keyword name, else def */
static jv arg(jv *args, int n, int i, const char **kwn, jv *kw, int n_kw, const char *name, jv def) {
    if (i >= 0 && i < n) return args[i];
    for (int k = 0; name && k < n_kw; k++) if (!strcmp(kwn[k], name)) return kw[k];
    return def;
}

static bool need_str(jctx *c, jv v, const char *what) {
    if (v.t == JV_STR) return true;
    jx_fail(c, "%s needs a string, got %s", what, jx_typename(v));
    return false;
}

static bool need_int(jctx *c, jv v, const char *what, int64_t *out) {
    if (v.t == JV_INT || v.t == JV_BOOL) { *out = v.t == JV_INT ? v.u.i : v.u.b; return true; }
    jx_fail(c, "%s needs an integer, got %s", what, jx_typename(v));
    return false;
}

/* attribute path "a.b.0" of v */
static jv attr_path(jctx *c, jv v, jv path) {
    if (path.t == JV_INT) return jx_getitem(c, v, path);
    if (!need_str(c, path, "attribute")) return jx_undef(NULL);
    size_t i = 0;
    while (i <= path.len && !c->failed) {
        const char *dot = memchr(path.u.str.s + i, '.', path.len - i);
        size_t e = dot ? (size_t)(dot - path.u.str.s) : path.len;
        char *part = ja_strndup(&c->ar, path.u.str.s + i, e - i);
        if (!part) return jx_undef(NULL);
        char *end;
        long long idx = strtoll(part, &end, 10);
        if (*part && !*end && v.t == JV_LIST) v = jx_getitem(c, v, jx_int(idx));
        else if (v.t == JV_UNDEF) return v;
        else v = jx_getitem(c, v, jx_str(c, part, NULL, e - i));
        i = e + 1;
        if (!dot) break;
    }
    return v;
}

static jv lowered(jctx *c, jv v) { return v.t == JV_STR ? recase(c, v, 1) : v; }

static int sort_cmp(jctx *c, jv a, jv b, bool *ok) {
    int r = jx_compare(c, a, b, ok);
    if (!*ok) jx_fail(c, "cannot sort %s and %s", jx_typename(a), jx_typename(b));
    return r;
}

/* stable insertion sort of items by keys (small lists only: templates sort tool lists) */
static void sort_items(jctx *c, jv *items, jv *keys, size_t n, bool reverse) {
    for (size_t i = 1; i < n && !c->failed; i++) {
        jv it = items[i], k = keys[i];
        size_t j = i;
        bool ok = true;
        while (j > 0) {
            int r = sort_cmp(c, keys[j - 1], k, &ok);
            if (!ok || (reverse ? r >= 0 : r <= 0)) break;
            items[j] = items[j - 1];
            keys[j] = keys[j - 1];
            j--;
        }
        items[j] = it;
        keys[j] = k;
        if (!ok) return;
    }
}

static jv select_filter(jctx *c, jv v, jv *args, int n, bool attr, bool keep) {
    if (!jx_truthy(v)) return list_val(jx_list(c, 0)); /* jinja2: "if value: for item in value" */
    jlist *items = jx_iter(c, v), *out = items ? jx_list(c, 0) : NULL;
    if (!out) return jx_undef(NULL);
    int first = attr ? 1 : 0;
    if (attr && n < 1) { jx_fail(c, "selectattr/rejectattr need an attribute"); return jx_undef(NULL); }
    const char *test = NULL;
    if (n > first) {
        if (!need_str(c, args[first], "the test name")) return jx_undef(NULL);
        test = ja_strndup(&c->ar, args[first].u.str.s, args[first].len);
    }
    for (size_t i = 0; i < items->n && !c->failed; i++) {
        jv x = attr ? attr_path(c, items->v[i], args[0]) : items->v[i];
        bool r = test ? jl_test(c, test, x, args + first + 1, n - first - 1) : jx_truthy(x);
        if (r == keep && !jx_list_push(c, out, items->v[i])) break;
    }
    out->gen = true;
    return list_val(out);
}

jv jl_filter(jctx *c, const char *name, jv v, jv *args, int n, const char **kwn, jv *kw, int n_kw) {
    jv none = jx_none();
#define ARG(i, kwname, def) arg(args, n, i, kwn, kw, n_kw, kwname, def)
    if (!strcmp(name, "safe")) { if (v.t != JV_STR) v = jx_tostr(c, v); v.safe = true; return v; }
    if (!strcmp(name, "e") || !strcmp(name, "escape")) { /* markupsafe.escape */
        if (v.t == JV_STR && v.safe) return v;
        jv s = jx_tostr(c, v);
        jbuf b = {0};
        for (size_t i = 0; i < s.len && !c->failed; i++) {
            char ch = s.u.str.s[i];
            unsigned char m = s.u.str.m ? s.u.str.m[i] : 0;
            const char *e = ch == '&' ? "&amp;" : ch == '<' ? "&lt;" : ch == '>' ? "&gt;" : ch == '"' ? "&#34;"
                          : ch == '\'' ? "&#39;" : NULL;
            if (e) for (; *e; e++) jb_putc(&b, *e, m);
            else jb_putc(&b, ch, m);
        }
        jv r = jx_from_buf(c, &b);
        r.safe = true;
        return r;
    }
    if (!strcmp(name, "default") || !strcmp(name, "d")) {
        bool boolean = jx_truthy(ARG(1, "boolean", jx_bool(false)));
        if (v.t == JV_UNDEF || (boolean && !jx_truthy(v))) return ARG(0, "default_value", jx_cstr(""));
        return v;
    }
    if (!strcmp(name, "string")) return jx_tostr(c, v);
    if (!strcmp(name, "tojson")) {
        jv ind = ARG(0, "indent", none);
        int64_t indent = -1;
        if (ind.t != JV_NONE && !need_int(c, ind, "tojson indent", &indent)) return jx_undef(NULL);
        if (indent > 64) indent = 64;
        jbuf b = {0};
        jl_tojson(c, &b, v, indent < 0 ? -1 : (int)indent, 0);
        if (c->failed) { jb_free(&b); return jx_undef(NULL); }
        return jx_from_buf(c, &b);
    }
    if (!strcmp(name, "length") || !strcmp(name, "count")) {
        if (v.t == JV_STR) return jx_int((int64_t)jl_utf8_len(v.u.str.s, v.len));
        if (v.t == JV_LIST && v.u.l->gen) { jx_fail(c, "object of type 'generator' has no len()"); return jx_undef(NULL); }
        if (v.t == JV_LIST) return jx_int((int64_t)v.u.l->n);
        if (v.t == JV_DICT) return jx_int((int64_t)v.u.d->n);
        if (v.t == JV_UNDEF) return jx_int(0);
        jx_fail(c, "object of type '%s' has no len()", jx_typename(v));
        return jx_undef(NULL);
    }
    if (!strcmp(name, "int")) {
        jv def = ARG(0, "default", jx_int(0));
        if (v.t == JV_INT) return v;
        if (v.t == JV_BOOL) return jx_int(v.u.b);
        if (v.t == JV_FLOAT) return isfinite(v.u.f) && fabs(v.u.f) < 9e18 ? jx_int((int64_t)v.u.f) : def;
        if (v.t == JV_STR) {
            char *s = ja_strndup(&c->ar, v.u.str.s, v.len), *end;
            if (!s) return jx_undef(NULL);
            long long i = strtoll(s, &end, 10);
            while (*end == ' ' || *end == '\n' || *end == '\t') end++;
            if (end != s && !*end) return jx_int(i);
            double f = strtod(s, &end);
            while (*end == ' ' || *end == '\n' || *end == '\t') end++;
            if (end != s && !*end && isfinite(f) && fabs(f) < 9e18) return jx_int((int64_t)f);
        }
        return def;
    }
    if (!strcmp(name, "float")) {
        jv def = ARG(0, "default", jx_float(0));
        if (v.t == JV_FLOAT) return v;
        if (v.t == JV_INT || v.t == JV_BOOL) return jx_float(v.t == JV_INT ? (double)v.u.i : v.u.b);
        if (v.t == JV_STR) {
            char *s = ja_strndup(&c->ar, v.u.str.s, v.len), *end;
            if (!s) return jx_undef(NULL);
            double f = strtod(s, &end);
            while (*end == ' ' || *end == '\n' || *end == '\t') end++;
            if (end != s && !*end) return jx_float(f);
        }
        return def;
    }
    if (!strcmp(name, "abs")) {
        if (v.t == JV_INT) return v.u.i == INT64_MIN ? (jx_fail(c, "integer overflow"), v) : jx_int(v.u.i < 0 ? -v.u.i : v.u.i);
        if (v.t == JV_FLOAT) return jx_float(fabs(v.u.f));
        jx_fail(c, "bad operand type for abs(): '%s'", jx_typename(v));
        return jx_undef(NULL);
    }
    if (!strcmp(name, "list")) {
        jlist *l = jx_iter(c, v), *o = l ? jx_list(c, l->n) : NULL;
        if (!o) return jx_undef(NULL);
        for (size_t i = 0; i < l->n; i++) o->v[o->n++] = l->v[i];
        return list_val(o);
    }
    if (!strcmp(name, "first") || !strcmp(name, "last")) {
        jlist *l = jx_iter(c, v);
        if (!l) return jx_undef(NULL);
        if (!l->n) return jx_undef("the sequence is empty");
        return l->v[name[0] == 'f' ? 0 : l->n - 1];
    }
    if (!strcmp(name, "reverse")) {
        jlist *l = jx_iter(c, v), *o = l ? jx_list(c, l->n) : NULL;
        if (!o) return jx_undef(NULL);
        for (size_t i = l->n; i > 0; i--) o->v[o->n++] = l->v[i - 1];
        if (v.t != JV_STR) { o->gen = true; return list_val(o); }
        jbuf b = {0};
        for (size_t i = 0; i < o->n; i++) jb_put(&b, o->v[i].u.str.s, o->v[i].u.str.m, o->v[i].len);
        return jx_from_buf(c, &b);
    }
    if (!strcmp(name, "join")) {
        jv sep = ARG(0, "d", jx_cstr("")), attr = ARG(1, "attribute", none);
        if (!need_str(c, sep, "join's separator")) return jx_undef(NULL);
        jlist *l = jx_iter(c, v);
        if (!l) return jx_undef(NULL);
        jbuf b = {0};
        for (size_t i = 0; i < l->n && !c->failed; i++) {
            if (i) jb_put(&b, sep.u.str.s, sep.u.str.m, sep.len);
            jx_write(c, &b, attr.t == JV_NONE ? l->v[i] : attr_path(c, l->v[i], attr));
        }
        return jx_from_buf(c, &b);
    }
    if (!strcmp(name, "items")) {
        if (v.t == JV_UNDEF) return list_val(jx_list(c, 0));
        if (v.t != JV_DICT) { jx_fail(c, "items needs a mapping, got %s", jx_typename(v)); return jx_undef(NULL); }
        return jl_method(c, v, "items", NULL, 0, NULL, NULL, 0);
    }
    if (!strcmp(name, "dictsort")) {
        if (v.t != JV_DICT) { jx_fail(c, "dictsort needs a mapping, got %s", jx_typename(v)); return jx_undef(NULL); }
        bool cs = jx_truthy(ARG(0, "case_sensitive", jx_bool(false)));
        jv by = ARG(1, "by", jx_cstr("key"));
        bool rev = jx_truthy(ARG(2, "reverse", jx_bool(false)));
        bool by_value = by.t == JV_STR && by.len == 5 && !memcmp(by.u.str.s, "value", 5);
        jv items = jl_method(c, v, "items", NULL, 0, NULL, NULL, 0);
        if (c->failed) return items;
        size_t cnt = items.u.l->n;
        jv *keys = ja_alloc(&c->ar, (cnt + 1) * sizeof *keys);
        if (!keys) return jx_undef(NULL);
        for (size_t i = 0; i < cnt; i++) {
            jv k = items.u.l->v[i].u.l->v[by_value ? 1 : 0];
            keys[i] = cs ? k : lowered(c, k);
        }
        sort_items(c, items.u.l->v, keys, cnt, rev);
        return items;
    }
    if (!strcmp(name, "sort")) {
        bool rev = jx_truthy(ARG(0, "reverse", jx_bool(false)));
        bool cs = jx_truthy(ARG(1, "case_sensitive", jx_bool(false)));
        jv attr = ARG(2, "attribute", none);
        jv list = jl_filter(c, "list", v, NULL, 0, NULL, NULL, 0);
        if (c->failed) return list;
        size_t cnt = list.u.l->n;
        jv *keys = ja_alloc(&c->ar, (cnt + 1) * sizeof *keys);
        if (!keys) return jx_undef(NULL);
        for (size_t i = 0; i < cnt; i++) {
            jv k = attr.t == JV_NONE ? list.u.l->v[i] : attr_path(c, list.u.l->v[i], attr);
            keys[i] = cs ? k : lowered(c, k);
        }
        sort_items(c, list.u.l->v, keys, cnt, rev);
        return list;
    }
    if (!strcmp(name, "unique")) {
        bool cs = jx_truthy(ARG(0, "case_sensitive", jx_bool(false)));
        jv attr = ARG(1, "attribute", none);
        jlist *l = jx_iter(c, v), *o = l ? jx_list(c, 0) : NULL, *seen = o ? jx_list(c, 0) : NULL;
        if (!seen) return jx_undef(NULL);
        for (size_t i = 0; i < l->n && !c->failed; i++) {
            jv k = attr.t == JV_NONE ? l->v[i] : attr_path(c, l->v[i], attr);
            if (!cs) k = lowered(c, k);
            bool dup = false;
            for (size_t j = 0; j < seen->n && !dup; j++) dup = jx_equal(seen->v[j], k);
            if (!dup && (!jx_list_push(c, seen, k) || !jx_list_push(c, o, l->v[i]))) break;
        }
        o->gen = true;
        return list_val(o);
    }
    if (!strcmp(name, "map")) {
        if (!jx_truthy(v)) return list_val(jx_list(c, 0));
        jlist *l = jx_iter(c, v), *o = l ? jx_list(c, l->n) : NULL;
        if (!o) return jx_undef(NULL);
        jv attr = ARG(-1, "attribute", none), def = ARG(-1, "default", jx_undef(NULL));
        if (attr.t == JV_NONE && (n < 1 || !need_str(c, args[0], "map's filter name"))) {
            if (!c->failed) jx_fail(c, "map needs a filter name or attribute=");
            return jx_undef(NULL);
        }
        const char *fname = attr.t == JV_NONE ? ja_strndup(&c->ar, args[0].u.str.s, args[0].len) : NULL;
        for (size_t i = 0; i < l->n && !c->failed; i++) {
            jv x;
            if (fname) x = jl_filter(c, fname, l->v[i], args + 1, n - 1, kwn, kw, n_kw);
            else { x = attr_path(c, l->v[i], attr); if (x.t == JV_UNDEF && def.t != JV_UNDEF) x = def; }
            o->v[o->n++] = x;
        }
        o->gen = true;
        return list_val(o);
    }
    if (!strcmp(name, "select")) return select_filter(c, v, args, n, false, true);
    if (!strcmp(name, "reject")) return select_filter(c, v, args, n, false, false);
    if (!strcmp(name, "selectattr")) return select_filter(c, v, args, n, true, true);
    if (!strcmp(name, "rejectattr")) return select_filter(c, v, args, n, true, false);
    if (!strcmp(name, "sum")) {
        jlist *l = jx_iter(c, v);
        jv attr = ARG(0, "attribute", none), acc = ARG(1, "start", jx_int(0));
        for (size_t i = 0; l && i < l->n && !c->failed; i++) {
            jv x = attr.t == JV_NONE ? l->v[i] : attr_path(c, l->v[i], attr);
            if (acc.t == JV_INT && x.t == JV_INT) {
                if (__builtin_add_overflow(acc.u.i, x.u.i, &acc.u.i)) { jx_fail(c, "integer overflow"); break; }
            } else if ((acc.t == JV_INT || acc.t == JV_FLOAT) && (x.t == JV_INT || x.t == JV_FLOAT)) {
                acc = jx_float((acc.t == JV_INT ? (double)acc.u.i : acc.u.f) + (x.t == JV_INT ? (double)x.u.i : x.u.f));
            } else { jx_fail(c, "sum: unsupported operand types '%s' and '%s'", jx_typename(acc), jx_typename(x)); break; }
        }
        return acc;
    }
    if (!strcmp(name, "min") || !strcmp(name, "max")) {
        jlist *l = jx_iter(c, v);
        if (!l) return jx_undef(NULL);
        if (!l->n) return jx_undef("the sequence is empty");
        jv best = l->v[0];
        for (size_t i = 1; i < l->n && !c->failed; i++) {
            bool ok;
            int r = sort_cmp(c, lowered(c, l->v[i]), lowered(c, best), &ok);
            if (ok && (name[1] == 'i' ? r < 0 : r > 0)) best = l->v[i];
        }
        return best;
    }
    if (!strcmp(name, "round")) {
        int64_t prec = 0;
        jv p = ARG(0, "precision", jx_int(0)), method = ARG(1, "method", jx_cstr("common"));
        if (!need_int(c, p, "round precision", &prec) || (v.t != JV_INT && v.t != JV_FLOAT)) {
            if (!c->failed) jx_fail(c, "round needs a number");
            return jx_undef(NULL);
        }
        double f = v.t == JV_INT ? (double)v.u.i : v.u.f, m = pow(10, (double)(prec > 15 ? 15 : prec));
        char kind = method.t == JV_STR && method.len ? method.u.str.s[0] : 'c';
        double r = kind == 'f' ? floor(f * m) / m : kind == 'c' && method.len == 4 && method.u.str.s[1] == 'e' ? ceil(f * m) / m
                 : round(f * m) / m;
        return jx_float(r);
    }
    /* string filters */
    if (v.t == JV_UNDEF && (!strcmp(name, "trim") || !strcmp(name, "upper") || !strcmp(name, "lower") ||
                            !strcmp(name, "title") || !strcmp(name, "capitalize") || !strcmp(name, "indent") ||
                            !strcmp(name, "replace") || !strcmp(name, "wordcount")))
        v = jx_cstr("");
    else if (v.t != JV_STR && (!strcmp(name, "trim") || !strcmp(name, "upper") || !strcmp(name, "lower") ||
                               !strcmp(name, "title") || !strcmp(name, "capitalize") || !strcmp(name, "indent") ||
                               !strcmp(name, "replace") || !strcmp(name, "wordcount")))
        v = jx_tostr(c, v);
    if (c->failed) return jx_undef(NULL);
    if (!strcmp(name, "trim")) return strip(v, 3, ARG(0, "chars", none));
    if (!strcmp(name, "upper")) return recase(c, v, 0);
    if (!strcmp(name, "lower")) return recase(c, v, 1);
    if (!strcmp(name, "capitalize")) return recase(c, v, 2);
    if (!strcmp(name, "title")) return recase(c, v, 3);
    if (!strcmp(name, "wordcount")) { /* len(re.findall(r"\w+", s)): \w is letters, numbers, '_' */
        int64_t words = 0;
        bool in_word = false;
        for (size_t i = 0, k; i < v.len; i += k) {
            uint32_t cp = cp_at(v.u.str.s, v.len, i, &k);
            bool w = cp == '_' || ucp_is_letter(cp) || ucp_is_number(cp);
            words += w && !in_word;
            in_word = w;
        }
        return jx_int(words);
    }
    if (!strcmp(name, "replace")) {
        jv old = ARG(0, "old", none), new = ARG(1, "new", none), cnt = ARG(2, "count", none);
        int64_t k = -1;
        if (old.t != JV_STR) old = jx_tostr(c, old);
        if (new.t != JV_STR) new = jx_tostr(c, new);
        if (cnt.t != JV_NONE && !need_int(c, cnt, "replace count", &k)) return jx_undef(NULL);
        return c->failed ? old : replace(c, v, old, new, k);
    }
    if (!strcmp(name, "indent")) {
        jv width = ARG(0, "width", jx_int(4)), first = ARG(1, "first", jx_bool(false)), blank = ARG(2, "blank", jx_bool(false));
        jbuf ind = {0}, b = {0};
        if (width.t == JV_STR) jb_put(&ind, width.u.str.s, width.u.str.m, width.len);
        else {
            int64_t w;
            if (!need_int(c, width, "indent width", &w)) return jx_undef(NULL);
            for (int64_t i = 0; i < w && i < 1024; i++) jb_putc(&ind, ' ', 0);
        }
        if (jx_truthy(first)) jb_put(&b, ind.s, ind.m, ind.len);
        /* the lines of str.splitlines(s + "\n"): the text after the last newline is a line,
         * even when empty */
        size_t i = 0;
        for (bool first_line = true;; first_line = false) {
            size_t e = i;
            while (e < v.len && v.u.str.s[e] != '\n' && v.u.str.s[e] != '\r') e++;
            if (!first_line) {
                jb_putc(&b, '\n', 0);
                if (e > i || jx_truthy(blank)) jb_put(&b, ind.s, ind.m, ind.len);
            }
            jb_put(&b, v.u.str.s + i, v.u.str.m ? v.u.str.m + i : NULL, e - i);
            if (e >= v.len) break;
            i = e + (v.u.str.s[e] == '\r' && e + 1 < v.len && v.u.str.s[e + 1] == '\n' ? 2 : 1);
        }
        jb_free(&ind);
        return jx_from_buf(c, &b);
    }
    jx_fail(c, "unknown filter '%s'", name);
    return jx_undef(NULL);
#undef ARG
}

bool jl_test(jctx *c, const char *name, jv v, jv *args, int n) {
    jv a = n > 0 ? args[0] : jx_undef(NULL);
    if (!strcmp(name, "defined")) return v.t != JV_UNDEF;
    if (!strcmp(name, "undefined")) return v.t == JV_UNDEF;
    if (!strcmp(name, "none")) return v.t == JV_NONE;
    if (!strcmp(name, "string")) return v.t == JV_STR;
    if (!strcmp(name, "number")) return v.t == JV_INT || v.t == JV_FLOAT || v.t == JV_BOOL;
    if (!strcmp(name, "integer")) return v.t == JV_INT;
    if (!strcmp(name, "float")) return v.t == JV_FLOAT;
    if (!strcmp(name, "boolean")) return v.t == JV_BOOL;
    if (!strcmp(name, "true")) return v.t == JV_BOOL && v.u.b;
    if (!strcmp(name, "false")) return v.t == JV_BOOL && !v.u.b;
    if (!strcmp(name, "mapping")) return v.t == JV_DICT;
    /* jinja2's Undefined has a length and iterates (as empty) */
    if (!strcmp(name, "sequence")) return v.t == JV_LIST || v.t == JV_STR || v.t == JV_DICT || v.t == JV_UNDEF;
    if (!strcmp(name, "iterable")) return v.t == JV_LIST || v.t == JV_STR || v.t == JV_DICT || v.t == JV_UNDEF;
    if (!strcmp(name, "callable")) return v.t == JV_MACRO || v.t == JV_FUNC || v.t == JV_METHOD;
    if (!strcmp(name, "equalto") || !strcmp(name, "eq") || !strcmp(name, "==") || !strcmp(name, "sameas"))
        return jx_equal(v, a) && (strcmp(name, "sameas") || v.t == a.t);
    if (!strcmp(name, "ne") || !strcmp(name, "!=")) return !jx_equal(v, a);
    if (!strcmp(name, "lower") || !strcmp(name, "upper")) {
        if (v.t != JV_STR) return false;
        bool any = false;
        for (size_t i = 0; i < v.len; i++) {
            char ch = v.u.str.s[i];
            if (name[0] == 'l' ? (ch >= 'A' && ch <= 'Z') : (ch >= 'a' && ch <= 'z')) return false;
            any |= (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z');
        }
        return any;
    }
    if (!strcmp(name, "odd") || !strcmp(name, "even") || !strcmp(name, "divisibleby")) {
        int64_t x, d = 2;
        if (!need_int(c, v, name, &x)) return false;
        if (name[0] == 'd' && !need_int(c, a, "divisibleby", &d)) return false;
        if (d == 0) { jx_fail(c, "divisibleby 0"); return false; }
        int64_t m = d == -1 ? 0 : x % d;
        return name[0] == 'o' ? m != 0 : m == 0;
    }
    if (!strcmp(name, "in")) {
        if (a.t == JV_STR && v.t == JV_STR) return v.len <= a.len && (v.len == 0 || memmem(a.u.str.s, a.len, v.u.str.s, v.len));
        if (a.t == JV_LIST) { for (size_t i = 0; i < a.u.l->n; i++) if (jx_equal(a.u.l->v[i], v)) return true; return false; }
        if (a.t == JV_DICT) return jx_dict_get(a.u.d, v) != NULL;
        jx_fail(c, "test 'in' needs a container");
        return false;
    }
    if (!strcmp(name, "gt") || !strcmp(name, "lt") || !strcmp(name, "ge") || !strcmp(name, "le") ||
        !strcmp(name, ">") || !strcmp(name, "<") || !strcmp(name, ">=") || !strcmp(name, "<=")) {
        bool ok;
        int r = jx_compare(c, v, a, &ok);
        if (!ok) { jx_fail(c, "test '%s': cannot compare %s and %s", name, jx_typename(v), jx_typename(a)); return false; }
        bool g = name[0] == 'g' || name[0] == '>', e = name[1] == 'e' || name[1] == '=';
        return g ? (e ? r >= 0 : r > 0) : (e ? r <= 0 : r < 0);
    }
    jx_fail(c, "unknown test '%s'", name);
    return false;
}

static const char *const STR_METHODS[] = {"strip", "lstrip", "rstrip", "split", "rsplit", "startswith", "endswith",
                                          "replace", "upper", "lower", "title", "capitalize", "find", "rfind",
                                          "count", "join", "splitlines", "isdigit", "isspace", "isalpha",
                                          "isalnum", "islower", "isupper", "format", NULL};
static const char *const DICT_METHODS[] = {"get", "items", "keys", "values", "pop", "update", "setdefault",
                                           "clear", "popitem", "copy", NULL};
static const char *const LIST_METHODS[] = {"append", "pop", "extend", "insert", "remove", "reverse", "sort",
                                           "clear", "index", "count", "copy", NULL};

static bool in_list(const char *const *l, const char *name) {
    for (; *l; l++) if (!strcmp(*l, name)) return true;
    return false;
}

bool jl_is_method(jv self, const char *name) {
    if (self.t == JV_STR) return in_list(STR_METHODS, name);
    if (self.t == JV_DICT) return in_list(DICT_METHODS, name);
    if (self.t == JV_LIST) return in_list(LIST_METHODS, name);
    if (self.t == JV_LOOP) return !strcmp(name, "cycle");
    return false;
}

static bool starts_ends(jctx *c, jv s, jv x, bool ends) {
    if (x.t == JV_LIST && x.u.l->tuple) {
        for (size_t i = 0; i < x.u.l->n; i++) if (starts_ends(c, s, x.u.l->v[i], ends)) return true;
        return false;
    }
    if (!need_str(c, x, ends ? "endswith" : "startswith")) return false;
    if (x.len > s.len) return false;
    return !memcmp(s.u.str.s + (ends ? s.len - x.len : 0), x.u.str.s, x.len);
}

jv jl_method(jctx *c, jv self, const char *name, jv *args, int n, const char **kwn, jv *kw, int n_kw) {
    jv none = jx_none();
#define ARG(i, kwname, def) arg(args, n, i, kwn, kw, n_kw, kwname, def)
    if (self.t == JV_LOOP) { /* loop.cycle(a, b, ...) */
        if (!n) { jx_fail(c, "loop.cycle needs at least one value"); return jx_undef(NULL); }
        return args[self.u.loop->index0 % n];
    }
    if (self.t == JV_DICT) {
        jdict *d = self.u.d;
        if (!strcmp(name, "get")) {
            jv *v = n > 0 ? jx_dict_get(d, args[0]) : NULL;
            return v ? *v : ARG(1, "default", none);
        }
        if (!strcmp(name, "items") || !strcmp(name, "keys") || !strcmp(name, "values")) {
            jlist *l = jx_list(c, d->n);
            for (size_t i = 0; l && i < d->n; i++) {
                if (name[0] == 'k') l->v[l->n++] = d->k[i];
                else if (name[0] == 'v') l->v[l->n++] = d->v[i];
                else {
                    jlist *pair = jx_list(c, 2);
                    if (!pair) return jx_undef(NULL);
                    pair->tuple = true;
                    pair->v[0] = d->k[i];
                    pair->v[1] = d->v[i];
                    pair->n = 2;
                    l->v[l->n++] = list_val(pair);
                }
            }
            return l ? list_val(l) : jx_undef(NULL);
        }
        if (!strcmp(name, "copy")) {
            jdict *o = jx_dict(c);
            for (size_t i = 0; o && i < d->n; i++) jx_dict_set(c, o, d->k[i], d->v[i]);
            jv r = {.t = JV_DICT};
            r.u.d = o;
            return r;
        }
    }
    if (self.t == JV_LIST) {
        if (!strcmp(name, "index") || !strcmp(name, "count")) {
            int64_t k = 0;
            for (size_t i = 0; i < self.u.l->n; i++) {
                if (n > 0 && jx_equal(self.u.l->v[i], args[0])) {
                    if (name[0] == 'i') return jx_int((int64_t)i);
                    k++;
                }
            }
            if (name[0] == 'i') { jx_fail(c, "value is not in list"); return jx_undef(NULL); }
            return jx_int(k);
        }
        if (!strcmp(name, "copy")) return jl_filter(c, "list", self, NULL, 0, NULL, NULL, 0);
    }
    if (self.t == JV_DICT || self.t == JV_LIST) {
        /* ImmutableSandboxedEnvironment refuses methods that change a list or dict */
        jx_fail(c, "access to attribute '%s' of '%s' object is unsafe.", name, jx_typename(self));
        return jx_undef(NULL);
    }
    if (self.t != JV_STR) { jx_fail(c, "'%s' object has no method '%s'", jx_typename(self), name); return jx_undef(NULL); }
    jv s = self;
    if (!strcmp(name, "strip")) return strip(s, 3, ARG(0, "chars", none));
    if (!strcmp(name, "lstrip")) return strip(s, 1, ARG(0, "chars", none));
    if (!strcmp(name, "rstrip")) return strip(s, 2, ARG(0, "chars", none));
    if (!strcmp(name, "upper")) return recase(c, s, 0);
    if (!strcmp(name, "lower")) return recase(c, s, 1);
    if (!strcmp(name, "capitalize")) return recase(c, s, 2);
    if (!strcmp(name, "title")) return recase(c, s, 4);
    if (!strcmp(name, "split") || !strcmp(name, "rsplit")) {
        int64_t k = -1;
        jv m = ARG(1, "maxsplit", jx_int(-1));
        if (!need_int(c, m, "split's maxsplit", &k)) return jx_undef(NULL);
        if (name[0] == 'r' && k >= 0) { jx_fail(c, "rsplit with maxsplit is not supported"); return jx_undef(NULL); }
        return split(c, s, ARG(0, "sep", none), k);
    }
    if (!strcmp(name, "startswith") || !strcmp(name, "endswith")) {
        if (n < 1) { jx_fail(c, "%s needs an argument", name); return jx_undef(NULL); }
        return jx_bool(starts_ends(c, s, args[0], name[0] == 'e'));
    }
    if (!strcmp(name, "replace")) {
        int64_t k = -1;
        if (n < 2 || !need_str(c, args[0], "replace") || !need_str(c, args[1], "replace")) {
            if (!c->failed) jx_fail(c, "replace needs two strings");
            return jx_undef(NULL);
        }
        if (n > 2 && !need_int(c, args[2], "replace count", &k)) return jx_undef(NULL);
        return replace(c, s, args[0], args[1], k);
    }
    if (!strcmp(name, "find") || !strcmp(name, "rfind") || !strcmp(name, "count")) {
        if (n < 1 || !need_str(c, args[0], name)) { if (!c->failed) jx_fail(c, "%s needs a string", name); return jx_undef(NULL); }
        jv x = args[0];
        int64_t found = -1, cnt = 0;
        for (size_t i = 0; i + x.len <= s.len;) {
            if (!memcmp(s.u.str.s + i, x.u.str.s, x.len)) {
                if (found < 0 || name[0] == 'r') found = (int64_t)jl_utf8_len(s.u.str.s, i);
                cnt++;
                if (name[0] == 'f') break;
                i += x.len ? x.len : 1;
            } else {
                i++;
            }
        }
        return jx_int(name[0] == 'c' ? cnt : found);
    }
    if (!strcmp(name, "join")) {
        jlist *l = n > 0 ? jx_iter(c, args[0]) : NULL;
        if (!l) { if (!c->failed) jx_fail(c, "join needs a list"); return jx_undef(NULL); }
        jbuf b = {0};
        for (size_t i = 0; i < l->n; i++) {
            if (i) jb_put(&b, s.u.str.s, s.u.str.m, s.len);
            if (l->v[i].t != JV_STR) { jb_free(&b); jx_fail(c, "sequence item %zu: expected str instance, %s found", i, jx_typename(l->v[i])); return jx_undef(NULL); }
            jb_put(&b, l->v[i].u.str.s, l->v[i].u.str.m, l->v[i].len);
        }
        return jx_from_buf(c, &b);
    }
    if (!strcmp(name, "splitlines")) {
        jlist *l = jx_list(c, 0);
        for (size_t i = 0; l && i < s.len;) {
            size_t e = i;
            while (e < s.len && s.u.str.s[e] != '\n' && s.u.str.s[e] != '\r') e++;
            if (!jx_list_push(c, l, jv_substr(s, i, e))) break;
            i = e + (e + 1 < s.len && s.u.str.s[e] == '\r' && s.u.str.s[e + 1] == '\n' ? 2 : 1);
        }
        return l ? list_val(l) : jx_undef(NULL);
    }
    if (!strncmp(name, "is", 2)) {
        if (!s.len) return jx_bool(false);
        bool all = true, cased = false;
        for (size_t i = 0; i < s.len && all; i++) {
            unsigned char ch = (unsigned char)s.u.str.s[i];
            bool d = ch >= '0' && ch <= '9', lo = ch >= 'a' && ch <= 'z', hi = ch >= 'A' && ch <= 'Z';
            if (!strcmp(name, "isdigit")) all = d;
            else if (!strcmp(name, "isspace")) all = py_space(ch);
            else if (!strcmp(name, "isalpha")) all = lo || hi;
            else if (!strcmp(name, "isalnum")) all = lo || hi || d;
            else if (!strcmp(name, "islower")) { all = !hi; cased |= lo; }
            else { all = !lo; cased |= hi; }
        }
        if (!strcmp(name, "islower") || !strcmp(name, "isupper")) all = all && cased;
        return jx_bool(all);
    }
    jx_fail(c, "the string method '%s' is not supported", name);
    return jx_undef(NULL);
#undef ARG
}

jv jl_global(jctx *c, int fn, jv *args, int n, const char **kwn, jv *kw, int n_kw) {
    switch (fn) {
    case JF_RANGE: {
        int64_t a = 0, b, st = 1;
        if (n < 1 || n > 3) { jx_fail(c, "range expects 1 to 3 arguments"); return jx_undef(NULL); }
        for (int i = 0; i < n; i++) if (!need_int(c, args[i], "range", i == 0 && n == 1 ? &b : i == 0 ? &a : i == 1 ? &b : &st)) return jx_undef(NULL);
        if (st == 0) { jx_fail(c, "range() arg 3 must not be zero"); return jx_undef(NULL); }
        jlist *l = jx_list(c, 0);
        for (int64_t i = a; l && (st > 0 ? i < b : i > b); i += st) {
            if (l->n >= 100000) { jx_fail(c, "Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000)."); return jx_undef(NULL); }
            if (!jx_list_push(c, l, jx_int(i))) break;
        }
        return l ? list_val(l) : jx_undef(NULL);
    }
    case JF_NAMESPACE: case JF_DICT: {
        jdict *d = jx_dict(c);
        if (!d) return jx_undef(NULL);
        d->ns = fn == JF_NAMESPACE;
        for (int i = 0; i < n; i++) {
            if (args[i].t != JV_DICT) { jx_fail(c, "%s() takes a mapping or keyword arguments", GLOBALS[fn]); return jx_undef(NULL); }
            for (size_t k = 0; k < args[i].u.d->n; k++) jx_dict_set(c, d, args[i].u.d->k[k], args[i].u.d->v[k]);
        }
        for (int k = 0; k < n_kw; k++) jx_dict_set(c, d, jx_cstr(kwn[k]), kw[k]);
        jv v = {.t = JV_DICT};
        v.u.d = d;
        return v;
    }
    case JF_RAISE: {
        jbuf b = {0};
        if (n > 0) jx_write(c, &b, args[0]);
        jx_fail(c, "%s", b.s ? b.s : "");
        jb_free(&b);
        return jx_undef(NULL);
    }
    case JF_STRFTIME: {
        if (n < 1 || !need_str(c, args[0], "strftime_now")) { if (!c->failed) jx_fail(c, "strftime_now needs a format"); return jx_undef(NULL); }
        char *fmt = ja_strndup(&c->ar, args[0].u.str.s, args[0].len), out[512];
        struct tm tm;
        time_t now = c->now;
        if (!fmt || !gmtime_r(&now, &tm)) return jx_undef(NULL);
        size_t k = args[0].len ? strftime(out, sizeof out, fmt, &tm) : 0;
        return jx_str(c, out, NULL, k);
    }
    default:
        jx_fail(c, "internal: function %d", fn);
        return jx_undef(NULL);
    }
}
