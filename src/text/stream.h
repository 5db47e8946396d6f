/* stream — reply text as it streams: pieces of tokens in, text that is safe
 * to show out.
 *
 * A token's bytes can end inside a multi-byte UTF-8 character, and a stop
 * string ("<|im_end|>", "</s>") can arrive split over several tokens. The
 * filter holds back an incomplete character and any tail that could begin
 * a stop string, emits the rest as valid UTF-8 (invalid bytes become
 * U+FFFD), and ends the text before the first stop string. Every front end
 * (the chat, fitchat run, the server to come) streams through it, via
 * session_generate (src/app/generate.h).
 *
 * No global state; one txt_stream per reply, owned by the caller.
 */
#ifndef FC_TEXT_STREAM_H
#define FC_TEXT_STREAM_H

#include <stdbool.h>
#include <stddef.h>

/* Receives each piece of reply text as it becomes safe to show: valid,
 * complete UTF-8 (never a partial multi-byte character), never part of a
 * stop string. Not NUL-terminated. */
typedef void (*txt_emit_fn)(void *ctx, const char *text, size_t len);

/* ---- UTF-8 ---- */

/* Copies in[0..n) to out as valid UTF-8: each invalid byte becomes U+FFFD
 * (EF BF BD). An incomplete sequence at the end is left unconsumed unless
 * final (then it becomes U+FFFD too). out needs room for 3 * n bytes.
 * Returns the bytes of in consumed; *out_len receives the bytes written. */
size_t txt_utf8_take(const char *in, size_t n, bool final, char *out, size_t *out_len);

/* Whether s[0..n) is valid UTF-8 (no overlongs, surrogates or > U+10FFFF). */
bool txt_utf8_valid(const char *s, size_t n);
/* The offset of the first byte of s[0..n) that does not start a valid UTF-8 character
 * (an incomplete one at the end included), or n if there is none. */
size_t txt_utf8_invalid_at(const char *s, size_t n);

/* ---- the streaming filter: pieces in, safe text out ---- */

typedef struct txt_stream {
    const char *const *stops; /* NULL-terminated stop strings, borrowed (may be NULL) */
    char *raw;                /* [raw_len] bytes of the pieces so far */
    size_t raw_len, raw_cap;
    size_t raw_done;          /* raw[0..raw_done) has been emitted */
    char *text;               /* [text_len] what was emitted: valid UTF-8, NUL-terminated */
    size_t text_len, text_cap;
    bool stopped;             /* a stop string was found; nothing more is emitted */
} txt_stream;

void txt_stream_init(txt_stream *st, const char *const *stops);
void txt_stream_free(txt_stream *st);
/* Adds one token's bytes. Returns 1 when a stop string completed (the text
 * before it has been emitted), 0 to go on, -1 when out of memory. */
int txt_stream_push(txt_stream *st, const char *piece, size_t n, txt_emit_fn emit, void *ctx);
/* The reply ended: emits what was held back (an incomplete character as
 * U+FFFD, a partial stop string as the text it is). 0, or -1 out of memory. */
int txt_stream_finish(txt_stream *st, txt_emit_fn emit, void *ctx);

#endif
