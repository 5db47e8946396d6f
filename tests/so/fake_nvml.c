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
 *   mig PARENT SLOT NAME|UUID|TOTAL|USED|FREE   a MIG device in slot SLOT
 *                    (0..6) of GPU PARENT, which is then in MIG mode: its
 *                    own memory query answers NVML_ERROR_NO_PERMISSION, as
 *                    for a process without root (the NVML reference)
 *   mig_mode I M     GPU I's MIG mode (1: on) without a MIG device line
 *
 * It also counts calls: nvmlShutdown must balance nvmlInit (checked through
 * FAKE_NVML_LOG, a file to which it appends "init" / "shutdown").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXD 8
#define MIG_SLOTS 7
typedef struct { char name[96], uuid[96]; unsigned long long total, used, free; int used_slot; } rec;
static rec dev[MAXD], mig[MAXD][MIG_SLOTS];
static int n_dev, init_rc, count_rc, mem_rc, handle_i = -1, handle_rc, mig_mode[MAXD];
static char driver[80] = "550.54.15";

static void logline(const char *s) {
    const char *p = getenv("FAKE_NVML_LOG");
    FILE *f = p ? fopen(p, "a") : NULL;
    if (f) { fprintf(f, "%s\n", s); fclose(f); }
}

/* NAME|UUID|TOTAL|USED|FREE into r; -1 if a field is missing */
static int parse_rec(char *s, rec *r) {
    char *fld[5] = {0};
    for (int i = 0; i < 5; i++) { fld[i] = s; s = strchr(s, '|'); if (!s) break; *s++ = 0; }
    if (!fld[4]) return -1;
    snprintf(r->name, 96, "%s", fld[0]);
    snprintf(r->uuid, 96, "%s", fld[1]);
    r->total = strtoull(fld[2], NULL, 10);
    r->used = strtoull(fld[3], NULL, 10);
    r->free = strtoull(fld[4], NULL, 10);
    return 0;
}

static void load(void) {
    n_dev = 0; init_rc = count_rc = mem_rc = handle_rc = 0; handle_i = -1;
    memset(mig, 0, sizeof mig);
    memset(mig_mode, 0, sizeof mig_mode);
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
            if (!parse_rec(line + 7, &dev[n_dev])) n_dev++;
        } else if (!strncmp(line, "mig_mode ", 9)) {
            int g = -1, m = 0;
            if (sscanf(line + 9, "%d %d", &g, &m) == 2 && g >= 0 && g < MAXD) mig_mode[g] = m;
        } else if (!strncmp(line, "mig ", 4)) {
            int parent = -1, slot = -1, off = 0;
            if (sscanf(line + 4, "%d %d %n", &parent, &slot, &off) < 2 || parent < 0 || parent >= MAXD || slot < 0 ||
                slot >= MIG_SLOTS)
                continue;
            if (!parse_rec(line + 4 + off, &mig[parent][slot])) mig[parent][slot].used_slot = mig_mode[parent] = 1;
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
/* the GPU a handle names (-1: a MIG device) */
static int gpu_of(const void *h) {
    const rec *r = h;
    return r >= dev && r < dev + MAXD ? (int)(r - dev) : -1;
}
int nvmlDeviceGetName(void *h, char *buf, unsigned len) { snprintf(buf, len, "%s", ((rec *)h)->name); return 0; }
int nvmlDeviceGetUUID(void *h, char *buf, unsigned len) { snprintf(buf, len, "%s", ((rec *)h)->uuid); return 0; }
int nvmlDeviceGetMemoryInfo(void *h, nvmlMemory_t *m) {
    if (mem_rc) return mem_rc;
    const int g = gpu_of(h);
    if (g >= 0 && mig_mode[g]) return 4; /* NVML_ERROR_NO_PERMISSION: a MIG parent, not root */
    const rec *r = h;
    m->total = r->total; m->used = r->used; m->free = r->free;
    return 0;
}
int nvmlDeviceGetMigMode(void *h, unsigned *current, unsigned *pending) {
    const int g = gpu_of(h);
    if (g < 0) return 2;
    *current = *pending = (unsigned)mig_mode[g];
    return 0;
}
int nvmlDeviceGetMaxMigDeviceCount(void *h, unsigned *n) {
    const int g = gpu_of(h);
    if (g < 0) return 2;
    *n = mig_mode[g] ? MIG_SLOTS : 0;
    return 0;
}
int nvmlDeviceGetMigDeviceHandleByIndex(void *h, unsigned i, void **out) {
    const int g = gpu_of(h);
    if (g < 0 || i >= MIG_SLOTS) return 2;
    if (!mig[g][i].used_slot) return 6; /* NVML_ERROR_NOT_FOUND: no MIG device in that slot */
    *out = &mig[g][i];
    return 0;
}
int nvmlSystemGetDriverVersion(char *buf, unsigned len) { snprintf(buf, len, "%s", driver); return 0; }
const char *nvmlErrorString(int rc) { return rc ? "fake NVML error" : "Success"; }
