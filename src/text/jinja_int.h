/* jinja_int — what jinja_parse.c, jinja_value.c, jinja_eval.c and jinja_lib.c share: the arena, values,
 * the string builder, AST nodes and the evaluation context. Not a public header.
 *
 * Memory: a template's AST lives in its own arena; a rendering's values live in another,
 * freed at once when the rendering ends (values are never freed one by one, strings are
 * immutable and shared). Each arena has a byte limit, so a hostile template runs out of
 * budget, not of memory. */
#ifndef FC_JINJA_INT_H
#define FC_JINJA_INT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jinja.h"

enum {
    JINJA_MAX_NEST = 128,             /* parser: nested expressions / blocks */
    JINJA_MAX_DEPTH = 64,             /* macro calls within macro calls */
    JINJA_MAX_EVAL_NEST = 1500,       /* statements and expressions evaluated within each other:
                                       * bounds the C stack (about 2 MB at -O0 with ASan) */
    JINJA_MAX_VALUE_NEST = 200,       /* lists / dicts inside each other when compared or printed */
};
/* (the fuzz target builds with smaller ones, -D...) */
#ifndef JINJA_MAX_STEPS
#define JINJA_MAX_STEPS 20000000L     /* evaluated nodes and loop iterations per rendering */
#endif
#ifndef JINJA_MAX_OUTPUT
#define JINJA_MAX_OUTPUT (64u << 20)  /* bytes of output (and of any one string) */
#endif
#ifndef JINJA_MAX_MEMORY
#define JINJA_MAX_MEMORY (512u << 20) /* bytes of values per rendering */
#endif

typedef struct jarena {
    struct jchunk *head;
    size_t total, limit;
    bool oom;
} jarena;
void *ja_alloc(jarena *a, size_t n); /* zeroed; NULL (and a->oom) past the limit */
char *ja_strndup(jarena *a, const char *s, size_t n);
void ja_free(jarena *a);

enum jtype { JV_UNDEF, JV_NONE, JV_BOOL, JV_INT, JV_FLOAT, JV_STR, JV_LIST, JV_DICT,
             JV_MACRO, JV_LOOP, JV_FUNC, JV_METHOD };

struct jlist;
struct jdict;
struct jmacro;
struct jloop;
struct jmethod;

typedef struct jv {
    uint8_t t;
    bool safe;    /* JV_STR: a markupsafe.Markup (|safe): "+" escapes the other operand */
    uint32_t len; /* JV_STR: bytes */
    union {
        bool b;
        int64_t i;
        double f;
        struct { const char *s; const unsigned char *m; } str; /* m NULL: all template text */
        struct jlist *l;
        struct jdict *d;
        struct jmacro *mac;
        struct jloop *loop;
        int fn;            /* JV_FUNC: a global function (JF_*) */
        struct jmethod *meth;
        const char *uhint; /* JV_UNDEF: "'x' is undefined" or NULL */
    } u;
} jv;

/* The bytes [from, to) of string s, sharing its storage (and its mask of
 * message bytes). */
static inline jv jv_substr(jv s, size_t from, size_t to) {
    jv r = s;
    r.len = (uint32_t)(to - from);
    r.u.str.s = s.u.str.s + from;
    r.u.str.m = s.u.str.m ? s.u.str.m + from : NULL;
    return r;
}

/* gen: the result of map/select/reject/...: a Python generator (always true, no len, not
 * JSON-serializable, not subscriptable; |list makes a list of it) */
typedef struct jlist { jv *v; size_t n, cap; bool tuple, gen; } jlist;
typedef struct jdict { jv *k, *v; size_t n, cap; bool ns; } jdict; /* insertion order */
typedef struct jmethod { jv self; const char *name; } jmethod;

/* A growable string with its mask (malloc'd, not arena). */
typedef struct jbuf {
    char *s;
    unsigned char *m;
    size_t len, cap;
    bool over; /* past JINJA_MAX_OUTPUT or out of memory */
} jbuf;
void jb_put(jbuf *b, const char *s, const unsigned char *m, size_t n); /* m NULL: zeros */
void jb_puts(jbuf *b, const char *s);
void jb_putc(jbuf *b, char c, unsigned char m);
void jb_free(jbuf *b);

/* Makes an error message one printable line: control characters (a template's own
 * raise_exception text may hold newlines or escape sequences) become spaces. */
void jinja_clean_msg(char *s);
/* The one error of a rendering or parse: "NAME line N: message" (the message
 * made one printable line) into err as FC_EINPUT, once: *failed is set and a
 * later call only returns -1. Returns -1. */
int jinja_verr(fc_err *err, bool *failed, const char *name, int line, const char *fmt, va_list ap);

/* AST */
enum jkind {
    /* statements */
    N_TEXT, N_OUT, N_IF, N_FOR, N_SET, N_SETBLOCK, N_MACRO, N_CALLBLOCK, N_FILTERBLOCK,
    N_BREAK, N_CONTINUE,
    /* expressions */
    E_LIT, E_NAME, E_ATTR, E_ITEM, E_SLICE, E_CALL, E_FILTER, E_TEST, E_NEG, E_POS, E_NOT,
    E_BIN, E_AND, E_OR, E_CMP, E_COND, E_LIST, E_TUPLE, E_DICT,
};

/* binary and comparison operators */
enum jop { OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_FLOORDIV, OP_MOD, OP_POW, OP_CONCAT,
           OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_IN, OP_NOTIN };

typedef struct jnode jnode;
typedef struct jnodes { jnode **v; int n; } jnodes;

/* One node; which fields mean what depends on kind:
 *   N_TEXT       str/len
 *   N_OUT        a = expression
 *   N_IF         a = condition, body, orelse (an elif is an N_IF alone in orelse)
 *   N_FOR        names = targets (n_names, tuple if > 1 or tuple_target), a = iterable,
 *                b = filter condition or NULL, body, orelse
 *   N_SET        names[0] = variable, str = attribute (ns.attr) or NULL, names = tuple
 *                targets, a = value
 *   N_SETBLOCK   names[0], body, a = filter chain (E_FILTER with a NULL base) or NULL
 *   N_MACRO      str = name, names = parameters, args = defaults (NULL entries), body
 *   N_CALLBLOCK  a = the call, names = caller parameters, body
 *   N_FILTERBLOCK a = filter chain, body
 *   E_LIT        val;  E_NAME str;  E_ATTR a, str;  E_ITEM a, b;  E_SLICE a, b, c, d (a[b:c:d])
 *   E_CALL       a = callee, args, kwnames/kwargs
 *   E_FILTER     a = value (NULL in a filter block), str = filter, args, kwnames/kwargs
 *   E_TEST       a, str = test, args, neg
 *   E_NEG E_POS E_NOT  a;  E_BIN a op b;  E_AND E_OR a, b
 *   E_CMP        a, then args[i] compared with ops[i] (chained)
 *   E_COND       b if a else c (c NULL: undefined)
 *   E_LIST E_TUPLE  args;  E_DICT  args = keys, kwargs = values */
struct jnode {
    uint8_t kind, op;
    bool neg, tuple_target;
    int line;
    jnode *a, *b, *c, *d;
    jnodes body, orelse, args, kwargs;
    const char **names; int n_names;
    const char **kwnames;
    uint8_t *ops;
    const char *str; size_t len;
    jv val;
};

struct jinja_tmpl {
    jarena ar;
    jnodes body;
    char name[128];
};

/* evaluation */
typedef struct jscope {
    struct jscope *parent;
    const char **names;
    jv *vals;
    int n, cap;
} jscope;

typedef struct jmacro {
    const jnode *def;   /* N_MACRO, or N_CALLBLOCK for caller() */
    jscope *closure;
    jv caller;          /* for a macro called from a call block, else undefined */
} jmacro;

typedef struct jloop {
    jlist *items;
    int64_t index0;
} jloop;

typedef struct jctx {
    const jinja_tmpl *t;
    jarena ar;
    fc_err *err;
    bool failed;
    int flow; /* 0, or the pending break (1) / continue (2) */
    int depth;
    int nest; /* evaluation recursion, see JINJA_MAX_EVAL_NEST */
    int vdepth; /* value recursion (printing, comparing), see JINJA_MAX_VALUE_NEST */
    long steps;
    int line; /* of the node being evaluated, for error messages */
    jbuf *out;
    jscope *root;
    time_t now;
} jctx;

/* jinja_value.c */
int jx_fail(jctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
jv jx_str(jctx *c, const char *s, const unsigned char *m, size_t n); /* copies */
jv jx_cstr(const char *s);                                           /* borrows a static string */
jv jx_from_buf(jctx *c, jbuf *b);                                    /* copies, frees b */
jv jx_int(int64_t i);
jv jx_float(double f);
jv jx_bool(bool b);
jv jx_none(void);
jv jx_undef(const char *hint);
jlist *jx_list(jctx *c, size_t cap);
bool jx_list_push(jctx *c, jlist *l, jv v);
jdict *jx_dict(jctx *c);
bool jx_dict_set(jctx *c, jdict *d, jv k, jv v);
jv *jx_dict_get(jdict *d, jv k);
jv jx_dict_getstr(jdict *d, const char *key);
bool jx_truthy(jv v);
bool jx_equal(jv a, jv b);
int jx_compare(jctx *c, jv a, jv b, bool *ok); /* <0, 0, >0; ok false when not comparable */
void jx_write(jctx *c, jbuf *b, jv v);         /* str(v) */
void jx_repr(jctx *c, jbuf *b, jv v);          /* repr(v) */
jv jx_tostr(jctx *c, jv v);
jlist *jx_iter(jctx *c, jv v);                 /* items of an iterable, NULL + error if not */
void jx_oom(jctx *c); /* fails with the memory limit's message */
static inline bool jx_is_num(jv v) { return v.t == JV_INT || v.t == JV_FLOAT || v.t == JV_BOOL; }
static inline double jx_num(jv v) { return v.t == JV_FLOAT ? v.u.f : v.t == JV_INT ? (double)v.u.i : v.u.b; }
static inline int64_t jx_inum(jv v) { return v.t == JV_INT ? v.u.i : v.u.b; } /* int or bool */

/* jinja_eval.c */
jv jx_getattr(jctx *c, jv obj, const char *name);
jv jx_getitem(jctx *c, jv obj, jv key);
jv jx_call_macro(jctx *c, jv fn, jv *args, int n_args, const char **kwnames, jv *kwargs, int n_kw);
const char *jx_typename(jv v);

/* jinja_lib.c */
jv jl_filter(jctx *c, const char *name, jv v, jv *args, int n, const char **kwn, jv *kw, int n_kw);
bool jl_test(jctx *c, const char *name, jv v, jv *args, int n);
jv jl_method(jctx *c, jv self, const char *name, jv *args, int n, const char **kwn, jv *kw, int n_kw);
jv jl_global(jctx *c, int fn, jv *args, int n, const char **kwn, jv *kw, int n_kw);
int jl_global_find(const char *name); /* JF_* or -1 */
bool jl_is_method(jv self, const char *name);
void jl_tojson(jctx *c, jbuf *b, jv v, int indent, int level);
size_t jl_utf8_len(const char *s, size_t n); /* code points */

#endif
