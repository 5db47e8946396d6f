/* fake_cudart — a scripted stand-in for libcudart.so (FITCHAT_CUDART_LIB),
 * answering from the file named by FAKE_CUDART_SCRIPT:
 *
 *   count_rc RC     return code of cudaGetDeviceCount (35 = insufficient driver, 100 = no device)
 *   count N         devices
 *   total BYTES     cudaMemGetInfo total, every device
 *   free BYTES      cudaMemGetInfo free
 *   driver N        cudaDriverGetVersion (12040 = 12.4)
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int count_rc, count, driver = 12040, cur;
static unsigned long long total, free_b;

static void load(void) {
    count_rc = count = 0;
    total = free_b = 0;
    const char *p = getenv("FAKE_CUDART_SCRIPT");
    FILE *f = p ? fopen(p, "r") : NULL;
    if (!f) return;
    char line[256];
    while (fgets(line, sizeof line, f)) {
        if (!strncmp(line, "count_rc ", 9)) count_rc = atoi(line + 9);
        else if (!strncmp(line, "count ", 6)) count = atoi(line + 6);
        else if (!strncmp(line, "total ", 6)) total = strtoull(line + 6, NULL, 10);
        else if (!strncmp(line, "free ", 5)) free_b = strtoull(line + 5, NULL, 10);
        else if (!strncmp(line, "driver ", 7)) driver = atoi(line + 7);
    }
    fclose(f);
}

int cudaGetDeviceCount(int *n) { load(); if (count_rc) return count_rc; *n = count; return 0; }
int cudaSetDevice(int i) { if (i < 0 || i >= count) return 101; cur = i; return 0; }
int cudaMemGetInfo(size_t *fr, size_t *tot) { *fr = (size_t)free_b; *tot = (size_t)total; return 0; }
int cudaDriverGetVersion(int *v) { *v = driver; return 0; }
