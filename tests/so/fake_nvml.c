/* fake_nvml — a scripted stand-in for libnvidia-ml.so, loaded by the tests
 * through FITCHAT_NVML_LIB. It exports the NVML functions fitchat uses and
 * answers from the text file named by FAKE_NVML_SCRIPT, read at nvmlInit:
 *
 *   init RC          return code of nvmlInit_v2 (default 0; 18 = driver/library mismatch)
 *   count_rc RC      return code of nvmlDeviceGetCount_v2
 *   mem_rc RC        return code of nvmlDeviceGetMemoryInfo
 *   handle_rc I RC   return code of nvmlDeviceGetHandleByIndex_v2 for device I only
 *   driver VERSION   nvmlSystemGetDriverVersion
 *   device NAME|UUID|TOTAL|USED|FREE   one line per GPU (bytes)
 *
 * It also counts calls: nvmlShutdown must balance nvmlInit (checked through
 * FAKE_NVML_LOG, a file to which it appends "init" / "shutdown").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXD 8
static struct { char name[96], uuid[96]; unsigned long long total, used, free; } dev[MAXD];
static int n_dev, init_rc, count_rc, mem_rc, handle_i = -1, handle_rc;
static char driver[80] = "550.54.15";

static void logline(const char *s) {
    const char *p = getenv("FAKE_NVML_LOG");
    FILE *f = p ? fopen(p, "a") : NULL;
    if (f) { fprintf(f, "%s\n", s); fclose(f); }
}

static void load(void) {
    n_dev = 0; init_rc = count_rc = mem_rc = handle_rc = 0; handle_i = -1;
    const char *p = getenv("FAKE_NVML_SCRIPT");
    FILE *f = p ? fopen(p, "r") : NULL;
    if (!f) return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = 0;
        if (!strncmp(line, "init ", 5)) init_rc = atoi(line + 5);
        else if (!strncmp(line, "count_rc ", 9)) count_rc = atoi(line + 9);
        else if (!strncmp(line, "mem_rc ", 7)) mem_rc = atoi(line + 7);
        else if (!strncmp(line, "handle_rc ", 10)) sscanf(line + 10, "%d %d", &handle_i, &handle_rc);
        else if (!strncmp(line, "driver ", 7)) snprintf(driver, sizeof driver, "%s", line + 7);
        else if (!strncmp(line, "device ", 7) && n_dev < MAXD) {
            char *s = line + 7, *fld[5] = {0};
            for (int i = 0; i < 5; i++) { fld[i] = s; s = strchr(s, '|'); if (!s) break; *s++ = 0; }
            if (!fld[4]) continue;
            snprintf(dev[n_dev].name, 96, "%s", fld[0]);
            snprintf(dev[n_dev].uuid, 96, "%s", fld[1]);
            dev[n_dev].total = strtoull(fld[2], NULL, 10);
            dev[n_dev].used = strtoull(fld[3], NULL, 10);
            dev[n_dev].free = strtoull(fld[4], NULL, 10);
            n_dev++;
        }
    }
    fclose(f);
}

typedef struct { unsigned long long total, free, used; } nvmlMemory_t;

int nvmlInit_v2(void) { load(); logline("init"); return init_rc; }
int nvmlShutdown(void) { logline("shutdown"); return 0; }
int nvmlDeviceGetCount_v2(unsigned *n) { if (count_rc) return count_rc; *n = (unsigned)n_dev; return 0; }
int nvmlDeviceGetHandleByIndex_v2(unsigned i, void **h) {
    if (i >= (unsigned)n_dev) return 2;
    if ((int)i == handle_i) return handle_rc;
    *h = &dev[i];
    return 0;
}
static int idx(void *h) { return (int)(((char *)h - (char *)dev) / (long)sizeof dev[0]); }
int nvmlDeviceGetName(void *h, char *buf, unsigned len) { snprintf(buf, len, "%s", dev[idx(h)].name); return 0; }
int nvmlDeviceGetUUID(void *h, char *buf, unsigned len) { snprintf(buf, len, "%s", dev[idx(h)].uuid); return 0; }
int nvmlDeviceGetMemoryInfo(void *h, nvmlMemory_t *m) {
    if (mem_rc) return mem_rc;
    m->total = dev[idx(h)].total; m->used = dev[idx(h)].used; m->free = dev[idx(h)].free;
    return 0;
}
int nvmlSystemGetDriverVersion(char *buf, unsigned len) { snprintf(buf, len, "%s", driver); return 0; }
const char *nvmlErrorString(int rc) { return rc ? "fake NVML error" : "Success"; }
