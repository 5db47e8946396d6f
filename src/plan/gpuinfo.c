#include "gpuinfo.h"

#include <ctype.h>
#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/fmt.h"

const char *gpu_source_name(enum gpu_source s) {
    switch (s) {
    case GPU_SRC_OVERRIDE: return "override";
    case GPU_SRC_NVML: return "NVML";
    case GPU_SRC_CUDART: return "CUDA runtime";
    default: return "none";
    }
}

__attribute__((format(printf, 3, 4))) static void append(char *buf, size_t cap, const char *fmt, ...) {
    size_t len = strlen(buf);
    if (len + 1 >= cap) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + len, cap - len, fmt, ap);
    va_end(ap);
}

/* --- overrides ------------------------------------------------------------ */

static char *trim(char *s) {
    while (isspace((unsigned char)*s)) s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1])) *--e = '\0';
    return s;
}

static int size_field(const char *spec, const char *field, const char *val, uint64_t *out, fc_err *err) {
    if (parse_bytes(val, out))
        return fc_errf(err, FC_EINPUT, "--gpu '%s': %s = '%s' is not a size: allowed e.g. 8GiB, 857MiB, 8589934592", spec,
                       field, val);
    return 0;
}

int gpu_override_parse(const char *spec, gpu_inventory *inv, fc_err *err) {
    if (inv->n >= GPU_MAX_DEVICES)
        return fc_errf(err, FC_EINPUT, "--gpu '%s': more than %d GPUs", spec, GPU_MAX_DEVICES);
    char buf[512];
    if (strlen(spec) >= sizeof buf) return fc_errf(err, FC_EINPUT, "--gpu: spec longer than %zu bytes", sizeof buf - 1);
    snprintf(buf, sizeof buf, "%s", spec);
    char *s = trim(buf);
    gpu_device g = {0};
    g.index = g.ordinal = inv->n;
    bool have_total = false, have_free = false;
    if (!*s) return fc_errf(err, FC_EINPUT, "--gpu '': empty GPU spec: allowed SIZE, sim:SIZE or name=..,total=..,used=..");
    if (!strncmp(s, "sim:", 4)) {
        if (size_field(spec, "sim", trim(s + 4), &g.total, err)) return -1;
        g.emulated = true;
        char size[32];
        snprintf(g.name, sizeof g.name, "sim %s", fmt_bytes(size, sizeof size, g.total)); /* "sim 512 MiB" */
        have_total = true;
    } else if (!strchr(s, '=')) {
        if (size_field(spec, "total", s, &g.total, err)) return -1;
        snprintf(g.name, sizeof g.name, "override");
        have_total = true;
    } else {
        snprintf(g.name, sizeof g.name, "override");
        for (char *save = NULL, *f = strtok_r(s, ",", &save); f; f = strtok_r(NULL, ",", &save)) {
            char *eq = strchr(f, '=');
            if (!eq) return fc_errf(err, FC_EINPUT, "--gpu '%s': field '%s' has no '=': allowed name, total, used, free, uuid, sim", spec, trim(f));
            *eq = '\0';
            char *k = trim(f), *v = trim(eq + 1);
            if (!strcmp(k, "name")) snprintf(g.name, sizeof g.name, "%s", v);
            else if (!strcmp(k, "uuid")) snprintf(g.uuid, sizeof g.uuid, "%s", v);
            else if (!strcmp(k, "total")) { if (size_field(spec, k, v, &g.total, err)) return -1; have_total = true; }
            else if (!strcmp(k, "used")) { if (size_field(spec, k, v, &g.used, err)) return -1; }
            else if (!strcmp(k, "free")) { if (size_field(spec, k, v, &g.free, err)) return -1; have_free = true; }
            else if (!strcmp(k, "sim")) { g.emulated = !strcmp(v, "1") || !strcmp(v, "yes") || !strcmp(v, "true"); }
            else return fc_errf(err, FC_EINPUT, "--gpu '%s': unknown field '%s': allowed name, total, used, free, uuid, sim", spec, k);
        }
    }
    if (!have_total || g.total == 0)
        return fc_errf(err, FC_EINPUT, "--gpu '%s': total must be a size above 0 (e.g. total=8GiB)", spec);
    if (g.used > g.total)
        return fc_errf(err, FC_EINPUT, "--gpu '%s': used = %llu is more than total = %llu", spec,
                       (unsigned long long)g.used, (unsigned long long)g.total);
    if (!have_free) g.free = g.total - g.used;
    if (g.free > g.total)
        return fc_errf(err, FC_EINPUT, "--gpu '%s': free = %llu is more than total = %llu", spec,
                       (unsigned long long)g.free, (unsigned long long)g.total);
    inv->dev[inv->n++] = g;
    inv->source = GPU_SRC_OVERRIDE;
    return 0;
}

/* --- NVML ----------------------------------------------------------------- */

typedef struct { unsigned long long total, free, used; } nvml_memory; /* nvmlMemory_t */
typedef void *nvml_device;

static const char *nvml_code_name(int rc) {
    switch (rc) {
    case 1: return "NVML_ERROR_UNINITIALIZED";
    case 2: return "NVML_ERROR_INVALID_ARGUMENT";
    case 3: return "NVML_ERROR_NOT_SUPPORTED";
    case 4: return "NVML_ERROR_NO_PERMISSION";
    case 6: return "NVML_ERROR_NOT_FOUND";
    case 9: return "NVML_ERROR_DRIVER_NOT_LOADED (no NVIDIA driver running)";
    case 12: return "NVML_ERROR_LIBRARY_NOT_FOUND";
    case 13: return "NVML_ERROR_FUNCTION_NOT_FOUND";
    case 15: return "NVML_ERROR_GPU_IS_LOST";
    case 17: return "NVML_ERROR_OPERATING_SYSTEM";
    case 18: return "NVML_ERROR_LIB_RM_VERSION_MISMATCH (driver/library version mismatch: reboot or reinstall the driver)";
    case 999: return "NVML_ERROR_UNKNOWN";
    default: return "NVML error";
    }
}

static void *open_lib(const char *env, const char *const *names, char *which, size_t cap, char *why, size_t why_cap) {
    const char *over = getenv(env);
    if (over && *over) {
        void *h = dlopen(over, RTLD_NOW | RTLD_LOCAL);
        snprintf(which, cap, "%s", over);
        if (!h) {
            const char *e = dlerror();
            snprintf(why, why_cap, "%s not found or not loadable (%s=%s: %s)", over, env, over, e ? e : "?");
        }
        return h;
    }
    for (int i = 0; names[i]; i++) {
        void *h = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
        if (h) {
            snprintf(which, cap, "%s", names[i]);
            return h;
        }
    }
    (void)dlerror();
    snprintf(which, cap, "%s", names[0]);
    snprintf(why, why_cap, "library not found (%s", names[0]);
    for (int i = 1; names[i]; i++) append(why, why_cap, ", %s", names[i]);
    append(why, why_cap, ")");
    return NULL;
}

typedef struct {
    int (*name)(nvml_device, char *, unsigned);
    int (*uuid)(nvml_device, char *, unsigned);
} nvml_fns;

/* Adds NVML device d (GPU index; the MIG device in slot mig_slot of it, or
 * -1) with its memory to the inventory. */
static void nvml_add(gpu_inventory *inv, const nvml_fns *fn, nvml_device d, const nvml_memory *mem, unsigned index,
                     int mig_slot) {
    gpu_device *g = &inv->dev[inv->n];
    memset(g, 0, sizeof *g);
    g->index = (int)index;
    /* a MIG device's CUDA ordinal is a guess (its place in the list) until
     * session_inventory matches UUIDs: CUDA counts MIG devices, not GPUs */
    g->ordinal = mig_slot < 0 ? (int)index : inv->n;
    inv->n++;
    if (!fn->name || fn->name(d, g->name, sizeof g->name)) snprintf(g->name, sizeof g->name, "GPU %u", index);
    g->name[sizeof g->name - 1] = '\0';
    if (mig_slot >= 0 && !strstr(g->name, "MIG")) append(g->name, sizeof g->name, " MIG device %d", mig_slot);
    if (!fn->uuid || fn->uuid(d, g->uuid, sizeof g->uuid)) g->uuid[0] = '\0';
    g->uuid[sizeof g->uuid - 1] = '\0';
    g->total = mem->total;
    g->used = mem->used <= mem->total ? mem->used : mem->total;
    g->free = mem->free <= mem->total ? mem->free : mem->total;
}

/* Returns 1 with devices, 0 without (why filled). */
static int try_nvml(gpu_inventory *inv, char *why, size_t why_cap) {
    static const char *const names[] = {"libnvidia-ml.so.1", "libnvidia-ml.so", NULL};
    char lib[256];
    void *h = open_lib("FITCHAT_NVML_LIB", names, lib, sizeof lib, why, why_cap);
    if (!h) return 0;
    int (*init)(void) = (int (*)(void))dlsym(h, "nvmlInit_v2");
    if (!init) init = (int (*)(void))dlsym(h, "nvmlInit");
    int (*shutdown)(void) = (int (*)(void))dlsym(h, "nvmlShutdown");
    int (*count)(unsigned *) = (int (*)(unsigned *))dlsym(h, "nvmlDeviceGetCount_v2");
    if (!count) count = (int (*)(unsigned *))dlsym(h, "nvmlDeviceGetCount");
    int (*by_index)(unsigned, nvml_device *) = (int (*)(unsigned, nvml_device *))dlsym(h, "nvmlDeviceGetHandleByIndex_v2");
    if (!by_index) by_index = (int (*)(unsigned, nvml_device *))dlsym(h, "nvmlDeviceGetHandleByIndex");
    int (*get_name)(nvml_device, char *, unsigned) = (int (*)(nvml_device, char *, unsigned))dlsym(h, "nvmlDeviceGetName");
    int (*get_uuid)(nvml_device, char *, unsigned) = (int (*)(nvml_device, char *, unsigned))dlsym(h, "nvmlDeviceGetUUID");
    int (*get_mem)(nvml_device, nvml_memory *) = (int (*)(nvml_device, nvml_memory *))dlsym(h, "nvmlDeviceGetMemoryInfo");
    int (*get_driver)(char *, unsigned) = (int (*)(char *, unsigned))dlsym(h, "nvmlSystemGetDriverVersion");
    const nvml_fns fn = {get_name, get_uuid};
    const struct { /* MIG (NVML 11+, Ampere and later): optional */
        int (*mode)(nvml_device, unsigned *, unsigned *);
        int (*max)(nvml_device, unsigned *);
        int (*by_index)(nvml_device, unsigned, nvml_device *);
    } mig = {(int (*)(nvml_device, unsigned *, unsigned *))dlsym(h, "nvmlDeviceGetMigMode"),
             (int (*)(nvml_device, unsigned *))dlsym(h, "nvmlDeviceGetMaxMigDeviceCount"),
             (int (*)(nvml_device, unsigned, nvml_device *))dlsym(h, "nvmlDeviceGetMigDeviceHandleByIndex")};
    if (!init || !shutdown || !count || !by_index || !get_mem) {
        snprintf(why, why_cap, "%s lacks the NVML functions fitchat needs (nvmlInit_v2, nvmlDeviceGetCount_v2, "
                 "nvmlDeviceGetHandleByIndex_v2, nvmlDeviceGetMemoryInfo)", lib);
        dlclose(h);
        return 0;
    }
    int rc = init();
    if (rc) {
        snprintf(why, why_cap, "nvmlInit failed: %s (%d)", nvml_code_name(rc), rc);
        dlclose(h);
        return 0;
    }
    unsigned n = 0;
    rc = count(&n);
    int found = 0;
    if (rc) {
        snprintf(why, why_cap, "nvmlDeviceGetCount failed: %s (%d)", nvml_code_name(rc), rc);
    } else if (n == 0) {
        snprintf(why, why_cap, "no device (NVML sees 0 GPUs)");
    } else {
        if (get_driver && get_driver(inv->driver, sizeof inv->driver)) inv->driver[0] = '\0';
        inv->driver[sizeof inv->driver - 1] = '\0';
        for (unsigned i = 0; i < n && inv->n < GPU_MAX_DEVICES; i++) {
            nvml_device dev = NULL;
            nvml_memory mem = {0};
            unsigned mig_on = 0, mig_pending = 0, slots = 0;
            if (!(rc = by_index(i, &dev)) && mig.mode && mig.max && mig.by_index && !mig.mode(dev, &mig_on, &mig_pending) &&
                mig_on == 1 && !mig.max(dev, &slots)) {
                /* MIG mode: CUDA runs on the MIG devices, each with its
                 * own memory and UUID; the parent's memory is the whole
                 * card (and only root may ask for it) */
                int found_mig = 0;
                for (unsigned k = 0; k < slots && inv->n < GPU_MAX_DEVICES; k++) {
                    nvml_device m = NULL;
                    if (mig.by_index(dev, k, &m)) continue; /* NVML_ERROR_NOT_FOUND: an empty slot */
                    if ((rc = get_mem(m, &mem))) {
                        if (!why[0])
                            snprintf(why, why_cap, "GPU %u MIG device %u: NVML query failed: %s (%d)", i, k,
                                     nvml_code_name(rc), rc);
                        continue;
                    }
                    nvml_add(inv, &fn, m, &mem, i, (int)k);
                    found_mig = 1;
                }
                if (!found_mig && !why[0])
                    snprintf(why, why_cap, "GPU %u: MIG mode on but no MIG device (create one: nvidia-smi mig -cgi PROFILE -C)", i);
                continue;
            }
            if (rc || (rc = get_mem(dev, &mem))) {
                /* that GPU only (NVML counts devices this process may not
                 * query, NVML_ERROR_NO_PERMISSION): the first such failure
                 * is the reason if none answers, else noted in the path */
                if (!why[0]) snprintf(why, why_cap, "GPU %u: NVML query failed: %s (%d)", i, nvml_code_name(rc), rc);
                continue;
            }
            nvml_add(inv, &fn, dev, &mem, i, -1);
        }
        found = inv->n > 0;
        if (found) {
            inv->source = GPU_SRC_NVML;
            snprintf(inv->library, sizeof inv->library, "%s", lib);
        }
    }
    shutdown();
    dlclose(h);
    return found;
}

/* --- CUDA runtime ----------------------------------------------------------- */

static const char *cuda_code_name(int rc) {
    switch (rc) {
    case 3: return "cudaErrorInitializationError";
    case 35: return "cudaErrorInsufficientDriver (no NVIDIA driver, or a driver/library mismatch: the driver is older than the CUDA runtime)";
    case 100: return "cudaErrorNoDevice (no device)";
    case 101: return "cudaErrorInvalidDevice";
    case 803: return "cudaErrorSystemDriverMismatch (driver/library version mismatch)";
    case 999: return "cudaErrorUnknown";
    default: return "CUDA error";
    }
}

static int try_cudart(gpu_inventory *inv, char *why, size_t why_cap) {
    static const char *const names[] = {"libcudart.so", "libcudart.so.12", "libcudart.so.11.0", NULL};
    char lib[256];
    void *h = open_lib("FITCHAT_CUDART_LIB", names, lib, sizeof lib, why, why_cap);
    if (!h) return 0;
    int (*count)(int *) = (int (*)(int *))dlsym(h, "cudaGetDeviceCount");
    int (*set)(int) = (int (*)(int))dlsym(h, "cudaSetDevice");
    int (*mem)(size_t *, size_t *) = (int (*)(size_t *, size_t *))dlsym(h, "cudaMemGetInfo");
    int (*drv)(int *) = (int (*)(int *))dlsym(h, "cudaDriverGetVersion");
    if (!count || !set || !mem) {
        snprintf(why, why_cap, "%s lacks cudaGetDeviceCount / cudaSetDevice / cudaMemGetInfo", lib);
        dlclose(h);
        return 0;
    }
    int n = 0, rc = count(&n);
    if (rc) {
        snprintf(why, why_cap, "cudaGetDeviceCount failed: %s (%d)", cuda_code_name(rc), rc);
    } else if (n <= 0) {
        snprintf(why, why_cap, "no device (the CUDA runtime sees 0 GPUs)");
    } else {
        int v = 0;
        if (drv && !drv(&v) && v > 0) snprintf(inv->driver, sizeof inv->driver, "CUDA %d.%d", v / 1000, v % 1000 / 10);
        for (int i = 0; i < n && inv->n < GPU_MAX_DEVICES; i++) {
            size_t fr = 0, tot = 0;
            if ((rc = set(i)) || (rc = mem(&fr, &tot))) {
                snprintf(why, why_cap, "GPU %d: cudaMemGetInfo failed: %s (%d)", i, cuda_code_name(rc), rc);
                inv->n = 0;
                break;
            }
            gpu_device *g = &inv->dev[inv->n++];
            memset(g, 0, sizeof *g);
            g->index = g->ordinal = i;
            snprintf(g->name, sizeof g->name, "CUDA device %d", i);
            g->total = tot;
            g->free = fr <= tot ? fr : tot;
            g->used = tot - g->free;
        }
        if (inv->n) {
            inv->source = GPU_SRC_CUDART;
            snprintf(inv->library, sizeof inv->library, "%s", lib);
        }
    }
    dlclose(h);
    return inv->n > 0;
}

int gpu_query(gpu_inventory *inv, fc_err *err) {
    (void)err;
    memset(inv, 0, sizeof *inv);
    char why_nvml[300] = "", why_cuda[300] = "";
    if (try_nvml(inv, why_nvml, sizeof why_nvml)) {
        if (why_nvml[0]) snprintf(inv->path, sizeof inv->path, "NVML (%s); %s, left out", inv->library, why_nvml);
        else snprintf(inv->path, sizeof inv->path, "NVML (%s)", inv->library);
        return 0;
    }
    memset(inv->dev, 0, sizeof inv->dev);
    inv->n = 0;
    inv->driver[0] = '\0';
    if (try_cudart(inv, why_cuda, sizeof why_cuda)) {
        snprintf(inv->path, sizeof inv->path, "NVML: %s -> CUDA runtime (%s)", why_nvml, inv->library);
        return 0;
    }
    inv->n = 0;
    inv->source = GPU_SRC_NONE;
    snprintf(inv->reason, sizeof inv->reason, "NVML: %s; CUDA runtime: %s", why_nvml, why_cuda);
    snprintf(inv->path, sizeof inv->path, "NVML: %s -> CUDA runtime: %s -> no GPU, planning for the CPU", why_nvml,
             why_cuda);
    return 0;
}

/* A "Key:   1234 kB" line of /proc/meminfo, in bytes (0 if absent). */
static uint64_t meminfo(const char *text, const char *key) {
    const char *p = strstr(text, key);
    if (!p) return 0;
    p += strlen(key);
    unsigned long long kb = strtoull(p, NULL, 10);
    return (uint64_t)kb << 10;
}

/* Reads a small text file into buf (NUL-terminated); -1 if unreadable. */
static int read_small(const char *path, char *buf, size_t cap) {
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    size_t n = fread(buf, 1, cap - 1, f);
    fclose(f);
    buf[n] = '\0';
    return 0;
}

int host_memory_query(const char *ram, gpu_inventory *inv, fc_err *err) {
    char b1[32], b2[32];
    inv->host_avail = 0;
    inv->host_source[0] = '\0';
    if (ram && *ram) {
        if (parse_bytes(ram, &inv->host_avail) || inv->host_avail == 0)
            return fc_errf(err, FC_EINPUT, "--ram / FITCHAT_RAM = '%s': must be a size such as 16GiB", ram);
        inv->host_total = inv->host_avail;
        snprintf(inv->host_source, sizeof inv->host_source, "%s set by --ram / FITCHAT_RAM",
                 fmt_bytes(b1, sizeof b1, inv->host_avail));
        return 0;
    }
    char text[8192];
    if (read_small("/proc/meminfo", text, sizeof text) == 0) {
        inv->host_total = meminfo(text, "MemTotal:");
        inv->host_avail = meminfo(text, "MemAvailable:");
        if (inv->host_avail)
            snprintf(inv->host_source, sizeof inv->host_source, "MemAvailable %s of %s",
                     fmt_bytes(b1, sizeof b1, inv->host_avail), fmt_bytes(b2, sizeof b2, inv->host_total));
    }
    /* The cgroup's limit: v2 ("0::/path": memory.max, "max" = none, and
     * memory.current) or v1 ("N:memory:/path": memory.limit_in_bytes, a
     * huge value = none, and memory.usage_in_bytes). */
    char cg[2048], path[2400], v[64];
    if (read_small("/proc/self/cgroup", cg, sizeof cg) == 0) {
        for (char *save = NULL, *line = strtok_r(cg, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
            const char *rel, *dir, *fmax, *fcur;
            if (!strncmp(line, "0::", 3)) {
                rel = line + 3, dir = "/sys/fs/cgroup", fmax = "memory.max", fcur = "memory.current";
            } else {
                char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
                if (!c2 || (size_t)(c2 - c1 - 1) != 6 || strncmp(c1 + 1, "memory", 6)) continue;
                rel = c2 + 1, dir = "/sys/fs/cgroup/memory", fmax = "memory.limit_in_bytes", fcur = "memory.usage_in_bytes";
            }
            if (!strcmp(rel, "/")) rel = "";
            snprintf(path, sizeof path, "%s%s/%s", dir, rel, fmax);
            if (read_small(path, v, sizeof v) != 0 || !strncmp(v, "max", 3)) continue;
            uint64_t limit = strtoull(v, NULL, 10), used = 0;
            if (!limit || limit >= (uint64_t)1 << 60) continue; /* v1's "no limit" is about 2^63 */
            snprintf(path, sizeof path, "%s%s/%s", dir, rel, fcur);
            if (read_small(path, v, sizeof v) == 0) used = strtoull(v, NULL, 10);
            uint64_t room = limit > used ? limit - used : 0;
            if (!inv->host_avail || room < inv->host_avail) {
                inv->host_avail = room;
                snprintf(inv->host_source, sizeof inv->host_source, "cgroup memory limit %s, %s in use",
                         fmt_bytes(b1, sizeof b1, limit), fmt_bytes(b2, sizeof b2, used));
            }
        }
    }
    return 0;
}

static int gpu_inventory_devices(const char *const *specs, int n_specs, gpu_inventory *inv, fc_err *err);

int gpu_inventory_get(const char *const *specs, int n_specs, gpu_inventory *inv, fc_err *err) {
    int rc = gpu_inventory_devices(specs, n_specs, inv, err);
    if (rc) return rc;
    return host_memory_query(getenv("FITCHAT_RAM"), inv, err) ? fc_err_prefix(err, "FITCHAT_RAM") : 0;
}

static int gpu_inventory_devices(const char *const *specs, int n_specs, gpu_inventory *inv, fc_err *err) {
    memset(inv, 0, sizeof *inv);
    if (n_specs > 0) {
        for (int i = 0; i < n_specs; i++)
            if (gpu_override_parse(specs[i], inv, err)) return -1;
        snprintf(inv->path, sizeof inv->path, "override (--gpu); NVML not queried");
        return 0;
    }
    const char *env = getenv("FITCHAT_GPU");
    if (env && *env) {
        char *copy = strdup(env);
        if (!copy) return fc_errf(err, FC_EFAIL, "out of memory");
        int rc = 0;
        for (char *save = NULL, *s = strtok_r(copy, ";", &save); s && !rc; s = strtok_r(NULL, ";", &save))
            if (*trim(s)) rc = gpu_override_parse(s, inv, err);
        free(copy);
        if (rc) return fc_err_prefix(err, "FITCHAT_GPU");
        if (!inv->n) return fc_errf(err, FC_EINPUT, "FITCHAT_GPU = '%s' names no GPU", env);
        snprintf(inv->path, sizeof inv->path, "override (FITCHAT_GPU); NVML not queried");
        return 0;
    }
    return gpu_query(inv, err);
}
