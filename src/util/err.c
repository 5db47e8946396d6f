#include "err.h"

#include <stdio.h>
#include <string.h>

int fc_errf(fc_err *err, int code, const char *fmt, ...) {
    if (!err) return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    err->code = code;
    return -1;
}

int fc_err_prefix(fc_err *err, const char *fmt, ...) {
    if (!err) return -1;
    char head[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(head, sizeof head, fmt, ap);
    va_end(ap);
    char old[sizeof err->msg];
    memcpy(old, err->msg, sizeof old);
    snprintf(err->msg, sizeof err->msg, "%s: %s", head, old);
    if (err->code == FC_OK) err->code = FC_EFAIL;
    return -1;
}

void fc_err_clear(fc_err *err) {
    if (!err) return;
    err->code = FC_OK;
    err->msg[0] = '\0';
}
