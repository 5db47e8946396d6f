/* fmt — small formatting and parsing helpers shared by the commands.
 *
 * Byte sizes are printed in binary units (KiB, MiB, GiB) and parsed from the
 * same forms ("8GiB", "857MiB", "1.5G", "512M", "1048576"). Pure functions,
 * thread-safe, no allocation: callers pass the buffer.
 */
#ifndef FC_FMT_H
#define FC_FMT_H

#include <stddef.h>
#include <stdint.h>

/* Writes a size like "1.50 GiB" or "123.4 MiB" into buf (always terminated). */
const char *fmt_bytes(char *buf, size_t cap, uint64_t bytes);

/* Parses "8GiB", "8G", "8GB" (all binary), "857MiB", "512K", "1024" (bytes).
 * Returns 0 and sets *out, or -1 for anything malformed or overflowing. */
int parse_bytes(const char *s, uint64_t *out);

/* s made safe to print on a terminal: control bytes (which could move the
 * cursor, clear the screen or set the window title) become '?', and it is cut
 * to fit buf (always terminated). Returns buf. */
const char *fmt_printable(char *buf, size_t cap, const char *s);

/* Where JSON text s[0..n) holds a NUL character: a raw NUL byte, or a
 * \u0000 escape inside a string (which a C string would silently cut
 * short). Returns its byte offset, or (size_t)-1 when there is none. */
size_t json_nul_at(const char *s, size_t n);

/* The 1-based line of byte offset off in s (for error messages). */
int text_line_at(const char *s, size_t off);

#endif
