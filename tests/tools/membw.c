/* membw — the machine's read bandwidth, the ceiling of token generation.
 *   membw [MiB] [threads] [reps]   (defaults 512 MiB, 1 thread, 7 reps)
 * Each thread sums its slice of a buffer much larger than the caches with
 * AVX2 loads where available; prints the median GB/s (1e9 bytes/s). */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

typedef struct { const uint8_t *p; size_t n; double sum; } slice;

__attribute__((target("avx2"))) static double sum_avx2(const uint8_t *p, size_t n) {
#if defined(__x86_64__)
    __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
    for (size_t i = 0; i + 128 <= n; i += 128) {
        a0 = _mm256_add_epi64(a0, _mm256_loadu_si256((const __m256i *)(p + i)));
        a1 = _mm256_add_epi64(a1, _mm256_loadu_si256((const __m256i *)(p + i + 32)));
        a2 = _mm256_add_epi64(a2, _mm256_loadu_si256((const __m256i *)(p + i + 64)));
        a3 = _mm256_add_epi64(a3, _mm256_loadu_si256((const __m256i *)(p + i + 96)));
    }
    __m256i s = _mm256_add_epi64(_mm256_add_epi64(a0, a1), _mm256_add_epi64(a2, a3));
    int64_t v[4];
    _mm256_storeu_si256((__m256i *)v, s);
    return (double)(v[0] + v[1] + v[2] + v[3]);
#else
    (void)p; (void)n;
    return 0;
#endif
}

static void *run(void *arg) {
    slice *s = arg;
#if defined(__x86_64__)
    if (__builtin_cpu_supports("avx2")) { s->sum = sum_avx2(s->p, s->n); return NULL; }
#endif
    uint64_t acc = 0;
    for (size_t i = 0; i + 8 <= s->n; i += 8) { uint64_t v; memcpy(&v, s->p + i, 8); acc += v; }
    s->sum = (double)acc;
    return NULL;
}

static int cmp(const void *a, const void *b) { double x = *(const double *)a, y = *(const double *)b; return x < y ? -1 : x > y; }

int main(int argc, char **argv) {
    size_t mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 512;
    int nt = argc > 2 ? atoi(argv[2]) : 1, reps = argc > 3 ? atoi(argv[3]) : 7;
    if (mib < 16 || nt < 1 || nt > 256 || reps < 1 || reps > 1000) { fprintf(stderr, "usage: membw [MiB>=16] [threads] [reps]\n"); return 2; }
    size_t n = mib << 20;
    uint8_t *buf = aligned_alloc(64, n);
    if (!buf) { fprintf(stderr, "membw: cannot allocate %zu MiB\n", mib); return 1; }
    for (size_t i = 0; i < n; i++) buf[i] = (uint8_t)i;
    double *gbs = malloc((size_t)reps * sizeof *gbs), check = 0;
    for (int r = 0; r < reps; r++) {
        pthread_t t[256];
        slice s[256];
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        for (int i = 0; i < nt; i++) {
            s[i] = (slice){buf + n / nt * i, n / nt, 0};
            pthread_create(&t[i], NULL, run, &s[i]);
        }
        for (int i = 0; i < nt; i++) { pthread_join(t[i], NULL); check += s[i].sum; }
        clock_gettime(CLOCK_MONOTONIC, &b);
        gbs[r] = n / ((b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) * 1e-9) / 1e9;
    }
    qsort(gbs, (size_t)reps, sizeof *gbs, cmp);
    printf("%.2f\n", gbs[reps / 2]);
    fprintf(stderr, "membw: %zu MiB, %d thread(s), median of %d: %.2f GB/s (min %.2f, max %.2f) [%g]\n", mib, nt, reps,
            gbs[reps / 2], gbs[0], gbs[reps - 1], check > 0 ? 1.0 : 0.0);
    free(gbs);
    free(buf);
    return 0;
}
