/* t — the tiny test harness every tests/test_*.c uses.
 *
 * A test is a function registered with T_RUN(fn) from main(); CHECK* macros
 * record failures with file:line and keep going; t_skip() marks the current
 * test skipped with a reason. Each test prints one line: "ok", "FAIL" or
 * "skip". t_done() prints the machine-readable tally "@@ P F S" that
 * tests/run.sh sums into the closing "N passed, N failed, N skipped" line,
 * and returns the exit status. Single-threaded.
 *
 * One test by name: T_ONLY=test_interrupt build/tests/test_chat (a
 * comma-separated list of names; the others do not run and are not
 * counted).
 */
#ifndef FC_T_H
#define FC_T_H

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

void t_begin(const char *name);
void t_end(void);
void t_fail(const char *file, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void t_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
bool t_failed(void);
int t_done(void);

/* Whether the test named name runs (env T_ONLY, see above). */
bool t_wanted(const char *name);

/* Paths: the default model (env FITCHAT_MODEL, else the cache path) and the
 * test data folder (env FITCHAT_TESTDATA, else tests/data/external).
 * t_model_path() returns NULL if the file is absent. */
const char *t_model_path(void);
const char *t_testdata(void);
/* A fresh temporary directory for this test binary (removed by t_done). */
const char *t_tmpdir(void);

#define T_RUN(fn) do { if (t_wanted(#fn)) { t_begin(#fn); fn(); t_end(); } } while (0)

#define CHECK(c) do { if (!(c)) t_fail(__FILE__, __LINE__, "CHECK(%s)", #c); } while (0)
#define CHECK_MSG(c, ...) do { if (!(c)) t_fail(__FILE__, __LINE__, __VA_ARGS__); } while (0)
#define CHECK_EQ_INT(a, b) do { long long _a = (long long)(a), _b = (long long)(b); \
    if (_a != _b) t_fail(__FILE__, __LINE__, "%s == %lld, expected %s == %lld", #a, _a, #b, _b); } while (0)
#define CHECK_EQ_U64(a, b) do { unsigned long long _a = (unsigned long long)(a), _b = (unsigned long long)(b); \
    if (_a != _b) t_fail(__FILE__, __LINE__, "%s == %llu, expected %s == %llu", #a, _a, #b, _b); } while (0)
#define CHECK_STR(a, b) do { const char *_a = (a), *_b = (b); \
    if (!_a || !_b || strcmp(_a, _b)) t_fail(__FILE__, __LINE__, "%s == \"%s\", expected \"%s\"", #a, _a ? _a : "(null)", _b ? _b : "(null)"); } while (0)
#define CHECK_NEAR(a, b, tol) do { double _a = (a), _b = (b); \
    if (!(fabs(_a - _b) <= (tol))) t_fail(__FILE__, __LINE__, "%s == %.9g, expected %.9g (tol %g)", #a, _a, _b, (double)(tol)); } while (0)

#endif
