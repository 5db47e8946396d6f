/* err — error reporting for library code.
 *
 * Library functions never print or exit. On failure they fill an fc_err with
 * one human-readable line (naming the file, offset, key or tensor involved)
 * and a class, and return a negative status. Only src/app/ prints and exits.
 * An fc_err is plain data: no allocation, safe to copy, NULL is accepted
 * everywhere (the message is then dropped).
 */
#ifndef FC_ERR_H
#define FC_ERR_H

#include <stdarg.h>

/* Exit codes of the fitchat program, and classes of library errors. */
enum {
    FC_OK = 0,
    FC_EFAIL = 1,   /* runtime failure: I/O, out of memory, device error */
    FC_EINPUT = 2,  /* bad input: hostile or unsupported file, bad config, bad flag */
    FC_ENOMEM = 3,  /* a device ran out of memory (the engine retries with fewer GPU layers) */
};

typedef struct fc_err {
    int code;       /* FC_EFAIL or FC_EINPUT once set, FC_OK while clear */
    char msg[1024]; /* one line, NUL-terminated, never longer than the buffer */
} fc_err;

/* Sets err (if not NULL) to code and a printf-style message; returns -1 so
 * that callers can write `return fc_errf(err, FC_EINPUT, "...")`. */
int fc_errf(fc_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prefixes an existing message with "prefix: " (for adding context upward). */
int fc_err_prefix(fc_err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

void fc_err_clear(fc_err *err);

#endif
