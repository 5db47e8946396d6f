#include "t.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int n_pass, n_fail, n_skip;
static const char *cur;
static int cur_failed, cur_skipped;
static char tmpdir[256];

void t_begin(const char *name) { cur = name; cur_failed = 0; cur_skipped = 0; }

void t_end(void) {
    if (cur_failed) { n_fail++; printf("FAIL %s\n", cur); }
    else if (cur_skipped) { n_skip++; }
    else { n_pass++; printf("ok   %s\n", cur); }
    fflush(stdout);
}

void t_fail(const char *file, int line, const char *fmt, ...) {
    cur_failed++;
    if (cur_failed > 20) return; /* one broken loop must not flood the log */
    printf("  %s:%d: ", file, line);
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
}

void t_skip(const char *fmt, ...) {
    cur_skipped = 1;
    printf("skip %s: ", cur);
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
}

bool t_failed(void) { return cur_failed != 0; }

int t_done(void) {
    if (tmpdir[0]) {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmpdir);
    }
    printf("@@ %d %d %d\n", n_pass, n_fail, n_skip);
    return n_fail ? 1 : 0;
}

const char *t_model_path(void) {
    static char buf[1024];
    const char *p = getenv("FITCHAT_MODEL");
    if (p && *p) return access(p, R_OK) == 0 ? p : NULL;
    const char *cache = getenv("XDG_CACHE_HOME");
    if (cache && *cache) snprintf(buf, sizeof buf, "%s/fitchat/models/SmolLM2-135M-Instruct.Q4_1.gguf", cache);
    else snprintf(buf, sizeof buf, "%s/.cache/fitchat/models/SmolLM2-135M-Instruct.Q4_1.gguf", getenv("HOME") ? getenv("HOME") : "");
    return access(buf, R_OK) == 0 ? buf : NULL;
}

bool t_wanted(const char *name) {
    const char *only = getenv("T_ONLY");
    if (!only || !*only) return true;
    size_t n = strlen(name);
    for (const char *p = only; *p;) {
        const char *e = strchr(p, ',');
        size_t k = e ? (size_t)(e - p) : strlen(p);
        if (k == n && !strncmp(p, name, n)) return true;
        p += k + (e ? 1 : 0);
    }
    return false;
}

const char *t_testdata(void) {
    const char *p = getenv("FITCHAT_TESTDATA");
    return p && *p ? p : "tests/data/external";
}

const char *t_tmpdir(void) {
    if (!tmpdir[0]) {
        const char *base = getenv("TMPDIR"); /* tests/run.sh puts it on a RAM disk */
        if (!base || !*base || strlen(base) > sizeof tmpdir - 32) base = "/tmp";
        snprintf(tmpdir, sizeof tmpdir, "%s/fitchat-test-XXXXXX", base);
        if (!mkdtemp(tmpdir)) { perror("mkdtemp"); exit(1); }
    }
    return tmpdir;
}
