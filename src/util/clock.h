/* clock — seconds on the monotonic clock, for durations (speeds, timeouts, ollama's
 * durations). Never goes back; not the time of day. Thread-safe. */
#ifndef FC_CLOCK_H
#define FC_CLOCK_H

#include <time.h>

static inline double fc_now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

#endif
