#include "gguf_write.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/format/ggml_types.h"
#include "../../src/format/gguf.h"

typedef struct {
    uint8_t *p;
    uint64_t len, cap;
} bytebuf;

typedef struct {
    char *name;
    uint32_t type, n_dims;
    int64_t ne[GGUF_MAX_DIMS];
    uint64_t n_bytes, offset;
    const void *data; /* borrowed; NULL = hole */
} wtensor;

struct gguf_writer {
    bytebuf kv;        /* serialized key/values */
    uint64_t n_kv;
    wtensor *t;
    uint64_t n_t, cap_t;
    uint32_t alignment;
    uint64_t data_end; /* offset after the last tensor, relative to the data section */
    fc_err err;        /* first error */
};

static void fail(gguf_writer *w, int code, const char *fmt, const char *arg) {
    if (w->err.code) return;
    fc_errf(&w->err, code, fmt, arg);
}

static void put(gguf_writer *w, bytebuf *b, const void *src, uint64_t n) {
    if (w->err.code || n == 0) return;
    if (b->len + n > b->cap) {
        uint64_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n) cap *= 2;
        uint8_t *p = realloc(b->p, cap);
        if (!p) { fail(w, FC_EFAIL, "gguf_write: out of memory (%s)", "metadata"); return; }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, src, n);
    b->len += n;
}

static void put_u32(gguf_writer *w, bytebuf *b, uint32_t v) { put(w, b, &v, 4); }
static void put_u64(gguf_writer *w, bytebuf *b, uint64_t v) { put(w, b, &v, 8); }
static void put_str(gguf_writer *w, bytebuf *b, const char *s, uint64_t n) {
    put_u64(w, b, n);
    put(w, b, s, n);
}

gguf_writer *gw_new(void) {
    gguf_writer *w = calloc(1, sizeof *w);
    if (w) w->alignment = GGUF_DEFAULT_ALIGNMENT;
    return w;
}

void gw_free(gguf_writer *w) {
    if (!w) return;
    free(w->kv.p);
    for (uint64_t i = 0; i < w->n_t; i++) free(w->t[i].name);
    free(w->t);
    free(w);
}

static void kv_head(gguf_writer *w, const char *key, uint32_t type) {
    put_str(w, &w->kv, key, strlen(key));
    put_u32(w, &w->kv, type);
    w->n_kv++;
}

#define SCALAR(fn, ctype, gtype) \
    void fn(gguf_writer *w, const char *key, ctype v) { kv_head(w, key, gtype); put(w, &w->kv, &v, sizeof v); }
SCALAR(gw_kv_u8, uint8_t, GGUF_TYPE_UINT8)
SCALAR(gw_kv_i8, int8_t, GGUF_TYPE_INT8)
SCALAR(gw_kv_u16, uint16_t, GGUF_TYPE_UINT16)
SCALAR(gw_kv_i16, int16_t, GGUF_TYPE_INT16)
SCALAR(gw_kv_u32, uint32_t, GGUF_TYPE_UINT32)
SCALAR(gw_kv_i32, int32_t, GGUF_TYPE_INT32)
SCALAR(gw_kv_u64, uint64_t, GGUF_TYPE_UINT64)
SCALAR(gw_kv_i64, int64_t, GGUF_TYPE_INT64)
SCALAR(gw_kv_f32, float, GGUF_TYPE_FLOAT32)
SCALAR(gw_kv_f64, double, GGUF_TYPE_FLOAT64)

void gw_kv_bool(gguf_writer *w, const char *key, bool v) {
    uint8_t b = v ? 1 : 0;
    kv_head(w, key, GGUF_TYPE_BOOL);
    put(w, &w->kv, &b, 1);
}

void gw_kv_str(gguf_writer *w, const char *key, const char *v) {
    kv_head(w, key, GGUF_TYPE_STRING);
    put_str(w, &w->kv, v, strlen(v));
}

void gw_kv_arr(gguf_writer *w, const char *key, uint32_t elem_type, uint64_t n, const void *data) {
    uint64_t es = gguf_vtype_size(elem_type);
    if (!es) { fail(w, FC_EINPUT, "gguf_write: %s: array element type must be a scalar", key); return; }
    kv_head(w, key, GGUF_TYPE_ARRAY);
    put_u32(w, &w->kv, elem_type);
    put_u64(w, &w->kv, n);
    put(w, &w->kv, data, n * es);
}

void gw_kv_arr_str(gguf_writer *w, const char *key, uint64_t n, const char *const *strs, const uint64_t *lens) {
    kv_head(w, key, GGUF_TYPE_ARRAY);
    put_u32(w, &w->kv, GGUF_TYPE_STRING);
    put_u64(w, &w->kv, n);
    for (uint64_t i = 0; i < n; i++) put_str(w, &w->kv, strs[i], lens ? lens[i] : strlen(strs[i]));
}

void gw_kv_raw(gguf_writer *w, const void *bytes, uint64_t n) {
    put(w, &w->kv, bytes, n);
    w->n_kv++;
}

void gw_set_alignment(gguf_writer *w, uint32_t alignment) {
    if (!alignment || (alignment & (alignment - 1))) { fail(w, FC_EINPUT, "gguf_write: alignment %s", "must be a power of two"); return; }
    if (w->n_t) { fail(w, FC_EINPUT, "gguf_write: %s", "set the alignment before adding tensors"); return; }
    w->alignment = alignment;
    if (alignment != GGUF_DEFAULT_ALIGNMENT) gw_kv_u32(w, "general.alignment", alignment);
}

void gw_tensor(gguf_writer *w, const char *name, uint32_t type, uint32_t n_dims, const int64_t *ne, const void *data) {
    if (w->err.code) return;
    const ggml_type_info *ti = ggml_type_get(type);
    if (!ti) { fail(w, FC_EINPUT, "gguf_write: tensor %s: unknown type", name); return; }
    if (n_dims < 1 || n_dims > GGUF_MAX_DIMS) { fail(w, FC_EINPUT, "gguf_write: tensor %s: 1..4 dims", name); return; }
    uint64_t n = 1;
    for (uint32_t d = 0; d < n_dims; d++) {
        if (ne[d] <= 0) { fail(w, FC_EINPUT, "gguf_write: tensor %s: dims must be positive", name); return; }
        n *= (uint64_t)ne[d];
    }
    if ((uint64_t)ne[0] % ti->block_elems) {
        fail(w, FC_EINPUT, "gguf_write: tensor %s: row is not a multiple of the block", name);
        return;
    }
    if (w->n_t == w->cap_t) {
        uint64_t cap = w->cap_t ? 2 * w->cap_t : 64;
        wtensor *t = realloc(w->t, cap * sizeof *t);
        if (!t) { fail(w, FC_EFAIL, "gguf_write: out of memory (%s)", name); return; }
        w->t = t;
        w->cap_t = cap;
    }
    wtensor *t = &w->t[w->n_t];
    memset(t, 0, sizeof *t);
    t->name = strdup(name);
    if (!t->name) { fail(w, FC_EFAIL, "gguf_write: out of memory (%s)", name); return; }
    t->type = type;
    t->n_dims = n_dims;
    for (uint32_t d = 0; d < GGUF_MAX_DIMS; d++) t->ne[d] = d < n_dims ? ne[d] : 1;
    t->n_bytes = n / ti->block_elems * ti->block_bytes;
    t->offset = (w->data_end + w->alignment - 1) / w->alignment * w->alignment;
    t->data = data;
    w->data_end = t->offset + t->n_bytes;
    w->n_t++;
}

void gw_tensor2(gguf_writer *w, const char *name, uint32_t type, int64_t ne0, int64_t ne1, const void *data) {
    int64_t ne[2] = {ne0, ne1};
    gw_tensor(w, name, type, ne1 == 1 ? 1 : 2, ne, data);
}

uint64_t gw_data_bytes(const gguf_writer *w) {
    uint64_t s = 0;
    for (uint64_t i = 0; i < w->n_t; i++) s += w->t[i].n_bytes;
    return s;
}

static int write_all(int fd, const void *p, uint64_t n, uint64_t at) {
    const uint8_t *b = p;
    while (n) {
        ssize_t k = pwrite(fd, b, n > (1u << 30) ? (1u << 30) : n, (off_t)at);
        if (k < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        b += k;
        at += (uint64_t)k;
        n -= (uint64_t)k;
    }
    return 0;
}

int gw_write_file(gguf_writer *w, const char *path, uint64_t *file_size, fc_err *err) {
    if (w->err.code) {
        if (err) *err = w->err;
        return -1;
    }
    bytebuf h = {0};
    put(w, &h, "GGUF", 4);
    put_u32(w, &h, 3);
    put_u64(w, &h, w->n_t);
    put_u64(w, &h, w->n_kv);
    put(w, &h, w->kv.p, w->kv.len);
    for (uint64_t i = 0; i < w->n_t; i++) {
        const wtensor *t = &w->t[i];
        put_str(w, &h, t->name, strlen(t->name));
        put_u32(w, &h, t->n_dims);
        for (uint32_t d = 0; d < t->n_dims; d++) put_u64(w, &h, (uint64_t)t->ne[d]);
        put_u32(w, &h, t->type);
        put_u64(w, &h, t->offset);
    }
    if (w->err.code) {
        free(h.p);
        if (err) *err = w->err;
        return -1;
    }
    uint64_t data_off = (h.len + w->alignment - 1) / w->alignment * w->alignment;
    /* An empty data section still ends aligned; a file with tensors ends at
     * the last tensor's last byte. */
    uint64_t size = data_off + w->data_end;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        free(h.p);
        return fc_errf(err, FC_EFAIL, "%s: cannot create: %s", path, strerror(errno));
    }
    int rc = write_all(fd, h.p, h.len, 0);
    for (uint64_t i = 0; !rc && i < w->n_t; i++)
        if (w->t[i].data) rc = write_all(fd, w->t[i].data, w->t[i].n_bytes, data_off + w->t[i].offset);
    if (!rc) rc = ftruncate(fd, (off_t)size);
    if (rc) {
        fc_errf(err, FC_EFAIL, "%s: cannot write: %s", path, strerror(errno));
        close(fd);
        free(h.p);
        return -1;
    }
    if (close(fd)) {
        free(h.p);
        return fc_errf(err, FC_EFAIL, "%s: cannot close: %s", path, strerror(errno));
    }
    free(h.p);
    if (file_size) *file_size = size;
    return 0;
}
