/* pretok — the pre-tokenizer regexes as matchers. See pretok.h.
 *
 * A matcher returns the length of the match starting at p inside the fragment
 * [p, end), or 0 for none; the driver searches left to right like a regex
 * iterator. Alternatives are tried in the regex's order (leftmost-first, as in
 * ECMAScript, Oniguruma and PCRE), with the backtracking each regex needs
 * spelled out where it matters.
 */
#include "pretok.h"

#include <stdbool.h>
#include <stdlib.h>

#include "unicode.h"

typedef size_t (*matcher)(const uint32_t *cp, size_t p, size_t end);

/* ---- character classes ---- */

static bool is_s(uint32_t c) { return ucp_is_space(c); }
static bool is_l(uint32_t c) { return c < 0x80 ? ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') : ucp_is_letter(c); }
static bool is_n(uint32_t c) { return c < 0x80 ? (c >= '0' && c <= '9') : ucp_is_number(c); }
static bool is_p(uint32_t c) { return ucp_is_punct(c); }
static bool is_crlf(uint32_t c) { return c == '\r' || c == '\n'; }
/* [^\s\p{L}\p{N}] */
static bool is_other(uint32_t c) { return !is_s(c) && !is_l(c) && !is_n(c); }
/* [\p{P}\$\+<=>\^~\|] and falcon's variant with '`' */
static bool is_punct_sym(uint32_t c) {
    return is_p(c) || c == '$' || c == '+' || c == '<' || c == '=' || c == '>' || c == '^' || c == '~' || c == '|';
}
static bool is_punct_sym_bt(uint32_t c) { return is_punct_sym(c) || c == '`'; }
/* [一-龥ࠀ-一가-퟿] */
static bool is_cjk(uint32_t c) {
    return (c >= 0x4E00 && c <= 0x9FA5) || (c >= 0x0800 && c <= 0x4E00) || (c >= 0xAC00 && c <= 0xD7FF);
}
/* deepseek-llm's cased-letter class */
static bool is_ds_letter(uint32_t c) {
    return ucp_in_ranges(c, ucp_deepseek_llm_letters, ucp_n_deepseek_llm_letters);
}
/* [!-/:-~！-／：-～‘-‟　-。] */
static bool is_ds_punct(uint32_t c) {
    return (c >= '!' && c <= '/') || (c >= ':' && c <= '~') || (c >= 0xFF01 && c <= 0xFF0F) ||
           (c >= 0xFF1A && c <= 0xFF5E) || (c >= 0x2018 && c <= 0x201F) || (c >= 0x3000 && c <= 0x3002);
}

static size_t run(const uint32_t *cp, size_t p, size_t end, bool (*cls)(uint32_t)) {
    size_t q = p;
    while (q < end && cls(cp[q])) q++;
    return q - p;
}

/* `prefix? cls+`, backtracking the optional prefix when cls+ then fails. */
static size_t opt_then_run(const uint32_t *cp, size_t p, size_t end, bool (*prefix)(uint32_t),
                           bool (*cls)(uint32_t)) {
    if (prefix(cp[p]) && p + 1 < end && cls(cp[p + 1])) return 1 + run(cp, p + 1, end, cls);
    return run(cp, p, end, cls);
}

static bool is_space_char(uint32_t c) { return c == ' '; }

/* 's|'t|'re|'ve|'m|'ll|'d, optionally case-insensitive (ASCII). */
static size_t contraction(const uint32_t *cp, size_t p, size_t end, bool fold) {
    if (cp[p] != '\'' || p + 1 >= end) return 0;
    uint32_t a = cp[p + 1], b = p + 2 < end ? cp[p + 2] : 0;
    if (fold) {
        if (a < 0x80) a |= (a >= 'A' && a <= 'Z') ? 0x20 : 0;
        if (b < 0x80) b |= (b >= 'A' && b <= 'Z') ? 0x20 : 0;
    }
    if (a == 's' || a == 't' || a == 'm' || a == 'd') return 2;
    if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return 3;
    return 0;
}

/* \s+(?!\S): the whole whitespace run at the end of the fragment, else the
 * run less its last character (which then precedes the non-space). */
static size_t spaces_not_before_nonspace(const uint32_t *cp, size_t p, size_t end) {
    size_t n = run(cp, p, end, is_s);
    if (n == 0) return 0;
    if (p + n == end) return n;
    return n - 1;
}

/* 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S) */
static size_t m_gpt2(const uint32_t *cp, size_t p, size_t end) {
    size_t n;
    if ((n = contraction(cp, p, end, false))) return n;
    if ((n = opt_then_run(cp, p, end, is_space_char, is_l))) return n;
    if ((n = opt_then_run(cp, p, end, is_space_char, is_n))) return n;
    if ((n = opt_then_run(cp, p, end, is_space_char, is_other))) return n;
    return spaces_not_before_nonspace(cp, p, end);
}

/* (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,D}| ?[^\s\p{L}\p{N}]+[\r\n]*|
 * \s*[\r\n]+|\s+(?!\S)|\s+   with D = 3 (llama3) or 1 (qwen2). */
static size_t llama3_like(const uint32_t *cp, size_t p, size_t end, size_t max_digits) {
    size_t n;
    if ((n = contraction(cp, p, end, true))) return n;
    uint32_t c = cp[p];
    if (!is_crlf(c) && !is_l(c) && !is_n(c) && p + 1 < end && is_l(cp[p + 1]))
        return 1 + run(cp, p + 1, end, is_l);
    if ((n = run(cp, p, end, is_l))) return n;
    if ((n = run(cp, p, end, is_n))) return n < max_digits ? n : max_digits;
    if ((n = opt_then_run(cp, p, end, is_space_char, is_other))) return n + run(cp, p + n, end, is_crlf);
    /* \s*[\r\n]+: up to the last CR/LF of the whitespace run */
    size_t ws = run(cp, p, end, is_s), last = 0;
    for (size_t i = 0; i < ws; i++)
        if (is_crlf(cp[p + i])) last = i + 1;
    if (last) return last;
    if ((n = spaces_not_before_nonspace(cp, p, end))) return n;
    return ws;
}
static size_t m_llama3(const uint32_t *cp, size_t p, size_t end) { return llama3_like(cp, p, end, 3); }
static size_t m_qwen2(const uint32_t *cp, size_t p, size_t end) { return llama3_like(cp, p, end, 1); }

static size_t m_punct_sym(const uint32_t *cp, size_t p, size_t end) { return run(cp, p, end, is_punct_sym); }
static size_t m_punct_sym_bt(const uint32_t *cp, size_t p, size_t end) { return run(cp, p, end, is_punct_sym_bt); }
static size_t m_numbers(const uint32_t *cp, size_t p, size_t end) { return run(cp, p, end, is_n); }
static size_t m_one_number(const uint32_t *cp, size_t p, size_t end) { (void)end; return is_n(cp[p]); }
static size_t m_one_crlf(const uint32_t *cp, size_t p, size_t end) { (void)end; return is_crlf(cp[p]); }
static size_t m_cjk(const uint32_t *cp, size_t p, size_t end) { return run(cp, p, end, is_cjk); }
/* [0-9][0-9][0-9] */
static size_t m_three_digits(const uint32_t *cp, size_t p, size_t end) {
    if (p + 3 > end) return 0;
    for (size_t i = 0; i < 3; i++)
        if (cp[p + i] < '0' || cp[p + i] > '9') return 0;
    return 3;
}
static size_t m_space_letters(const uint32_t *cp, size_t p, size_t end) { return opt_then_run(cp, p, end, is_s, is_l); }
static size_t m_space_punct(const uint32_t *cp, size_t p, size_t end) { return opt_then_run(cp, p, end, is_s, is_p); }
static size_t m_space_ds_letters(const uint32_t *cp, size_t p, size_t end) {
    return opt_then_run(cp, p, end, is_s, is_ds_letter);
}
static size_t m_space_ds_punct(const uint32_t *cp, size_t p, size_t end) {
    return opt_then_run(cp, p, end, is_s, is_ds_punct);
}
/* \s+$ : only the trailing whitespace of the fragment; marked specially
 * because testing it at every position would be quadratic. */
static size_t m_trailing_space(const uint32_t *cp, size_t p, size_t end) { (void)cp; (void)p; (void)end; return 0; }

#define MAX_STAGES 6
static const matcher STAGES[][MAX_STAGES] = {
    [PRETOK_DEFAULT] = {m_punct_sym, m_gpt2, m_numbers, m_three_digits},
    [PRETOK_GPT2] = {m_gpt2},
    [PRETOK_LLAMA3] = {m_llama3},
    [PRETOK_QWEN2] = {m_qwen2},
    [PRETOK_STARCODER] = {m_one_number, m_gpt2},
    [PRETOK_FALCON] = {m_punct_sym_bt, m_gpt2, m_three_digits},
    [PRETOK_DEEPSEEK_LLM] = {m_one_crlf, m_space_ds_letters, m_space_ds_punct, m_trailing_space, m_cjk, m_numbers},
    [PRETOK_DEEPSEEK_CODER] = {m_one_crlf, m_space_letters, m_space_punct, m_cjk, m_one_number},
};

typedef struct spans { pretok_span *v; size_t n, cap; } spans;

static bool push(spans *s, size_t a, size_t b) {
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        pretok_span *v = realloc(s->v, cap * sizeof *v);
        if (!v) return false;
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n++] = (pretok_span){(uint32_t)a, (uint32_t)b};
    return true;
}

/* Splits fragment [a, b) by one regex into out. */
static bool split_one(matcher m, const uint32_t *cp, size_t a, size_t b, spans *out) {
    if (m == m_trailing_space) {
        size_t t = b;
        while (t > a && is_s(cp[t - 1])) t--;
        if (t > a && !push(out, a, t)) return false;
        return t == b || push(out, t, b);
    }
    size_t gap = a, p = a;
    while (p < b) {
        size_t n = m(cp, p, b);
        if (!n) { p++; continue; }
        if (p > gap && !push(out, gap, p)) return false;
        if (!push(out, p, p + n)) return false;
        p += n;
        gap = p;
    }
    return gap == b || push(out, gap, b);
}

long pretok_split(enum pretok_type type, const uint32_t *cp, size_t n, pretok_span **out) {
    *out = NULL;
    if (n == 0) return 0;
    spans cur = {0}, next = {0};
    if (!push(&cur, 0, n)) return -1;
    for (size_t s = 0; s < MAX_STAGES && STAGES[type][s]; s++) {
        next.n = 0;
        for (size_t i = 0; i < cur.n; i++)
            if (!split_one(STAGES[type][s], cp, cur.v[i].start, cur.v[i].end, &next)) {
                free(cur.v);
                free(next.v);
                return -1;
            }
        spans t = cur; cur = next; next = t;
    }
    free(next.v);
    *out = cur.v;
    return (long)cur.n;
}
