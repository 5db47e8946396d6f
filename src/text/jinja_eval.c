/* jinja_eval — scopes, attributes and items, and the evaluator of expressions and
 * statements. See jinja.h and jinja_int.h. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jinja_int.h"
#include "unicode.h"

/* ---- scopes ---- */

static jscope *scope_new(jctx *c, jscope *parent) {
    jscope *s = ja_alloc(&c->ar, sizeof *s);
    if (!s) { jx_oom(c); return NULL; }
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
        if (!nn || !nv) { jx_oom(c); return false; }
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
        if (!m) { jx_oom(c); return jx_undef(NULL); }
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
        int64_t n = obj.t == JV_LIST ? (int64_t)obj.u.l->n : cp_count(obj), i = jx_inum(key);
        if (i < 0) i += n;
        if (i < 0 || i >= n) return jx_undef("an index out of range");
        if (obj.t == JV_LIST) return obj.u.l->v[i];
        return jv_substr(obj, cp_offset(obj, i), cp_offset(obj, i + 1));
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
    int64_t st = step.t == JV_INT || step.t == JV_BOOL ? jx_inum(step) : 1;
    if (st == 0) { jx_fail(c, "slice step cannot be zero"); return jx_undef(NULL); }
    bool has_a = from.t == JV_INT || from.t == JV_BOOL, has_b = to.t == JV_INT || to.t == JV_BOOL;
    int64_t a = has_a ? jx_inum(from) : st > 0 ? 0 : n - 1, b = has_b ? jx_inum(to) : st > 0 ? n : -1;
    if (has_a) { if (a < 0) a += n; if (a < 0) a = st > 0 ? 0 : -1; if (a >= n) a = st > 0 ? n : n - 1; }
    if (has_b) { if (b < 0) b += n; if (b < 0) b = st > 0 ? 0 : -1; if (b >= n) b = st > 0 ? n : n - 1; }
    if (obj.t == JV_STR && st == 1) {
        if (b < a) b = a;
        return jv_substr(obj, cp_offset(obj, a), cp_offset(obj, b));
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
    if (!jx_is_num(a) || !jx_is_num(b)) {
        static const char *const sym[] = {"+", "-", "*", "/", "//", "%", "**"};
        jx_fail(c, "unsupported operand types for %s: '%s' and '%s'", sym[op], jx_typename(a), jx_typename(b));
        return jx_undef(NULL);
    }
    bool ints = a.t != JV_FLOAT && b.t != JV_FLOAT;
    int64_t x = ints ? jx_inum(a) : 0, y = ints ? jx_inum(b) : 0, r;
    double fa = jx_num(a), fb = jx_num(b);
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
    if ((n->args.n && !*args) || (n->kwargs.n && !*kw)) { jx_oom(c); return false; }
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
            if (!m) { jx_oom(c); return jx_undef(NULL); }
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
        if (!jx_is_num(v)) { jx_fail(c, "bad operand type for unary %c: '%s'", n->kind == E_NEG ? '-' : '+', jx_typename(v)); return v; }
        if (n->kind == E_POS) return v.t == JV_BOOL ? jx_int(v.u.b) : v;
        if (v.t == JV_FLOAT) return jx_float(-v.u.f);
        if (jx_inum(v) == INT64_MIN) { jx_fail(c, "integer overflow"); return v; }
        return jx_int(-jx_inum(v));
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
    if (!loop) { jx_oom(c); return; }
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
        if (!m) { jx_oom(c); break; }
        m->def = n;
        m->closure = s;
        jv v = {.t = JV_MACRO};
        v.u.mac = m;
        scope_set(c, s, n->str, v);
        break;
    }
    case N_CALLBLOCK: {
        jmacro *m = ja_alloc(&c->ar, sizeof *m);
        if (!m) { jx_oom(c); break; }
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
            if (!m) { jx_oom(c); return jx_undef(NULL); }
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
