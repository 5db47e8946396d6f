#include "devmem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *host_alloc(void *ctx, uint64_t bytes) {
    (void)ctx;
    void *p = NULL;
    if ((uint64_t)(size_t)bytes != bytes || posix_memalign(&p, 64, (size_t)bytes) != 0) return NULL;
    return p;
}
static void host_free(void *ctx, void *p) { (void)ctx; free(p); }
static int host_upload(void *ctx, void *dst, const void *src, uint64_t bytes) {
    (void)ctx;
    memcpy(dst, src, (size_t)bytes);
    return 0;
}
static uint64_t host_free_now(void *ctx) { (void)ctx; return 0; }
const fc_devmem_ops devmem_host_ops = {host_alloc, host_free, host_upload, host_free_now};

void devmem_init(fc_devmem *m, int device, const char *label, uint64_t cap, fc_alloc_log *log,
                 const fc_devmem_ops *ops, void *ctx) {
    memset(m, 0, sizeof *m);
    m->device = device;
    snprintf(m->label, sizeof m->label, "%s", label);
    m->cap = cap;
    m->log = log;
    m->ops = ops;
    m->ctx = ctx;
}

static int log_add(fc_devmem *m, enum fc_alloc_kind kind, int layer, const char *what, uint64_t bytes, bool mapped,
                   fc_err *err) {
    fc_alloc_log *log = m->log;
    fc_alloc_entry *n = realloc(log->entries, (size_t)(log->n + 1) * sizeof *n);
    if (!n) return fc_errf(err, FC_EFAIL, "out of memory (allocation log)");
    log->entries = n;
    n[log->n++] = (fc_alloc_entry){m->device, kind, layer, what, bytes, mapped};
    if (m->device == FC_DEV_CPU) log->total[kind] += bytes;
    else if (m->device >= 0 && m->device < GPU_MAX_DEVICES) log->dev_total[m->device][kind] += bytes;
    return 0;
}

static const char *mib(char *buf, size_t cap, uint64_t b) {
    snprintf(buf, cap, "%.1f MiB", (double)b / (1024.0 * 1024.0));
    return buf;
}

static int no_room(fc_devmem *m, int layer, const char *what, uint64_t bytes, fc_err *err) {
    char item[96], a[32], b[32], c[32], f[48] = "";
    if (layer >= 0) snprintf(item, sizeof item, "layer %d %s", layer, what);
    else snprintf(item, sizeof item, "%s", what);
    uint64_t free_now = m->ops->free_now ? m->ops->free_now(m->ctx) : 0;
    if (m->cap != UINT64_MAX)
        snprintf(f, sizeof f, ", cap %s", mib(c, sizeof c, m->cap));
    else if (free_now)
        snprintf(f, sizeof f, ", %s free on the device now", mib(c, sizeof c, free_now));
    return fc_errf(err, FC_ENOMEM, "%s is out of memory allocating %s (%s) with %s already held%s", m->label, item,
                   mib(a, sizeof a, bytes), mib(b, sizeof b, m->used), f);
}

void *devmem_alloc(fc_devmem *m, enum fc_alloc_kind kind, int layer, const char *what, uint64_t bytes, fc_err *err) {
    if (bytes == 0) return NULL;
    if (m->cap != UINT64_MAX && (m->used > m->cap || bytes > m->cap - m->used)) {
        no_room(m, layer, what, bytes, err);
        return NULL;
    }
    void **live = realloc(m->live, (size_t)(m->n_live + 1) * sizeof *live);
    if (!live) { fc_errf(err, FC_EFAIL, "out of memory"); return NULL; }
    m->live = live;
    void *p = m->ops->alloc(m->ctx, bytes);
    if (!p) {
        if (m->device == FC_DEV_CPU) fc_errf(err, FC_EFAIL, "out of host memory allocating %s (%llu bytes)", what, (unsigned long long)bytes);
        else no_room(m, layer, what, bytes, err);
        return NULL;
    }
    if (log_add(m, kind, layer, what, bytes, false, err)) { m->ops->free(m->ctx, p); return NULL; }
    m->live[m->n_live++] = p;
    m->used += bytes;
    return p;
}

void *devmem_upload(fc_devmem *m, enum fc_alloc_kind kind, int layer, const char *what, const void *src,
                    uint64_t bytes, fc_err *err) {
    void *p = devmem_alloc(m, kind, layer, what, bytes, err);
    if (!p) return NULL;
    if (m->ops->upload(m->ctx, p, src, bytes)) {
        fc_errf(err, FC_EFAIL, "%s: copying %s (%llu bytes) to the device failed", m->label, what, (unsigned long long)bytes);
        return NULL; /* freed with the rest by devmem_release */
    }
    return p;
}

int devmem_log_mapped(fc_devmem *m, int layer, const char *what, uint64_t bytes, fc_err *err) {
    return log_add(m, ALLOC_WEIGHTS, layer, what, bytes, true, err);
}

void devmem_release(fc_devmem *m) {
    if (!m) return;
    for (int i = m->n_live - 1; i >= 0; i--) m->ops->free(m->ctx, m->live[i]);
    free(m->live);
    m->live = NULL;
    m->n_live = 0;
    m->used = 0;
}

void alloc_log_free(fc_alloc_log *log) {
    if (!log) return;
    free(log->entries);
    memset(log, 0, sizeof *log);
}
