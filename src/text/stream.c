/* stream — see stream.h. */
#include "stream.h"

#include <stdlib.h>
#include <string.h>

/* ---- UTF-8 ---- */

/* The sequence at s[0..n): 1 with *len when valid, 0 when valid so far but cut
 * short by n, -1 when s[0] does not start a valid sequence. */
static int utf8_seq(const unsigned char *s, size_t n, size_t *len) {
    unsigned char c = s[0], lo = 0x80, hi = 0xBF;
    size_t need;
    if (c < 0x80) { *len = 1; return 1; }
    if (c >= 0xC2 && c <= 0xDF) need = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        need = 3;
        if (c == 0xE0) lo = 0xA0; /* overlong */
        if (c == 0xED) hi = 0x9F; /* surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 4;
        if (c == 0xF0) lo = 0x90; /* overlong */
        if (c == 0xF4) hi = 0x8F; /* > U+10FFFF */
    } else return -1;
    for (size_t i = 1; i < need; i++) {
        if (i >= n) return 0;
        unsigned char b = s[i];
        if (i == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xBF)) return -1;
    }
    *len = need;
    return 1;
}

size_t txt_utf8_take(const char *in, size_t n, bool final, char *out, size_t *out_len) {
    const unsigned char *s = (const unsigned char *)in;
    size_t i = 0, o = 0;
    while (i < n) {
        size_t len = 0;
        int r = utf8_seq(s + i, n - i, &len);
        if (r == 0 && !final) break;
        if (r == 1) {
            memcpy(out + o, s + i, len);
            o += len;
            i += len;
        } else {
            /* Invalid, or incomplete at the very end: U+FFFD for the lead byte;
             * an incomplete tail becomes one U+FFFD. */
            memcpy(out + o, "\xEF\xBF\xBD", 3);
            o += 3;
            i += r == 0 ? n - i : 1;
        }
    }
    *out_len = o;
    return i;
}

size_t txt_utf8_invalid_at(const char *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        size_t len = 0;
        if (utf8_seq((const unsigned char *)s + i, n - i, &len) != 1) return i;
        i += len;
    }
    return n;
}

bool txt_utf8_valid(const char *s, size_t n) { return txt_utf8_invalid_at(s, n) == n; }

/* ---- the streaming filter ---- */

void txt_stream_init(txt_stream *st, const char *const *stops) {
    memset(st, 0, sizeof *st);
    st->stops = stops;
}

void txt_stream_free(txt_stream *st) {
    if (!st) return;
    free(st->raw);
    free(st->text);
    memset(st, 0, sizeof *st);
}

static int grow(char **buf, size_t *cap, size_t need) {
    if (need <= *cap) return 0;
    size_t c = *cap ? *cap : 256;
    while (c < need) c *= 2;
    char *p = realloc(*buf, c);
    if (!p) return -1;
    *buf = p;
    *cap = c;
    return 0;
}

/* Emits raw[raw_done..limit) as valid UTF-8 (holding back an incomplete
 * character unless final). */
static int stream_emit(txt_stream *st, size_t limit, bool final, txt_emit_fn emit, void *ctx) {
    if (limit <= st->raw_done) return 0;
    size_t n = limit - st->raw_done, out = 0;
    if (grow(&st->text, &st->text_cap, st->text_len + 3 * n + 1)) return -1;
    st->raw_done += txt_utf8_take(st->raw + st->raw_done, n, final, st->text + st->text_len, &out);
    if (out && emit) emit(ctx, st->text + st->text_len, out);
    st->text_len += out;
    st->text[st->text_len] = '\0';
    return 0;
}

static const char *find_bytes(const char *hay, size_t n, const char *needle, size_t k) {
    if (k == 0 || k > n) return NULL;
    for (size_t i = 0; i + k <= n; i++)
        if (hay[i] == needle[0] && !memcmp(hay + i, needle, k)) return hay + i;
    return NULL;
}

int txt_stream_push(txt_stream *st, const char *piece, size_t n, txt_emit_fn emit, void *ctx) {
    if (st->stopped) return 1;
    if (grow(&st->raw, &st->raw_cap, st->raw_len + n + 1)) return -1;
    memcpy(st->raw + st->raw_len, piece, n);
    st->raw_len += n;
    /* A stop string never starts before raw_done: text that could begin one
     * is held back until it is known. */
    const char *pend = st->raw + st->raw_done;
    size_t n_pend = st->raw_len - st->raw_done;
    const char *first = NULL;
    for (int i = 0; st->stops && st->stops[i]; i++) {
        const char *p = find_bytes(pend, n_pend, st->stops[i], strlen(st->stops[i]));
        if (p && (!first || p < first)) first = p;
    }
    if (first) {
        st->stopped = true;
        if (stream_emit(st, (size_t)(first - st->raw), true, emit, ctx)) return -1;
        return 1;
    }
    size_t hold = 0;
    for (int i = 0; st->stops && st->stops[i]; i++) {
        size_t k = strlen(st->stops[i]);
        for (size_t j = k > 1 ? k - 1 : 0; j > hold; j--)
            if (j <= n_pend && !memcmp(st->raw + st->raw_len - j, st->stops[i], j)) { hold = j; break; }
    }
    return stream_emit(st, st->raw_len - hold, false, emit, ctx);
}

int txt_stream_finish(txt_stream *st, txt_emit_fn emit, void *ctx) {
    if (st->stopped) return 0;
    if (stream_emit(st, st->raw_len, true, emit, ctx)) return -1;
    if (!st->text && grow(&st->text, &st->text_cap, 1) == 0) st->text[0] = '\0';
    return st->text ? 0 : -1;
}
