/* gguf_writer — a tiny header-only GGUF writer for the tools that make test
 * inputs (fuzz seeds, the 7B-shaped benchmark header). It writes bytes in
 * file order and knows nothing of the reader; no validation on purpose.
 * Little-endian hosts only (as GGUF v2/v3 files are). */
#ifndef FC_GGUF_WRITER_H
#define FC_GGUF_WRITER_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    uint8_t *b;
    size_t n, cap;
} gw_buf;

static inline void gw_put(gw_buf *o, const void *p, size_t n) {
    if (n == 0) return; /* p may be NULL (an empty buffer) */
    if (o->n + n > o->cap) {
        o->cap = (o->n + n) * 2 + 256;
        o->b = realloc(o->b, o->cap);
        if (!o->b) { fprintf(stderr, "out of memory\n"); exit(1); }
    }
    memcpy(o->b + o->n, p, n);
    o->n += n;
}
static inline void gw_u8(gw_buf *o, uint8_t v) { gw_put(o, &v, 1); }
static inline void gw_u16(gw_buf *o, uint16_t v) { gw_put(o, &v, 2); }
static inline void gw_u32(gw_buf *o, uint32_t v) { gw_put(o, &v, 4); }
static inline void gw_u64(gw_buf *o, uint64_t v) { gw_put(o, &v, 8); }
static inline void gw_f32(gw_buf *o, float v) { gw_put(o, &v, 4); }
static inline void gw_f64(gw_buf *o, double v) { gw_put(o, &v, 8); }
static inline void gw_str(gw_buf *o, const char *s) { gw_u64(o, strlen(s)); gw_put(o, s, strlen(s)); }

/* Metadata and tensor infos are collected separately, then joined. */
typedef struct {
    uint32_t version, alignment;
    gw_buf kv, ti;
    uint64_t n_kv, n_tensors, data_end;
} gw_file;

/* Value types, as in GGUF. */
enum { GW_U8, GW_I8, GW_U16, GW_I16, GW_U32, GW_I32, GW_F32, GW_BOOL, GW_STR, GW_ARR, GW_U64, GW_I64, GW_F64 };

static inline gw_buf *gw_key(gw_file *g, const char *key, uint32_t type) {
    gw_str(&g->kv, key);
    gw_u32(&g->kv, type);
    g->n_kv++;
    return &g->kv;
}
static inline void gw_kv_u32(gw_file *g, const char *k, uint32_t v) { gw_u32(gw_key(g, k, GW_U32), v); }
static inline void gw_kv_f32(gw_file *g, const char *k, float v) { gw_f32(gw_key(g, k, GW_F32), v); }
static inline void gw_kv_str(gw_file *g, const char *k, const char *v) { gw_str(gw_key(g, k, GW_STR), v); }
/* Starts an array of n elements of type et; the caller writes the elements. */
static inline gw_buf *gw_kv_arr(gw_file *g, const char *k, uint32_t et, uint64_t n) {
    gw_buf *o = gw_key(g, k, GW_ARR);
    gw_u32(o, et);
    gw_u64(o, n);
    return o;
}

/* A tensor of `bytes` bytes placed after the previous one, aligned. */
static inline void gw_tensor(gw_file *g, const char *name, uint32_t type, uint32_t n_dims, const uint64_t *ne, uint64_t bytes) {
    uint64_t off = (g->data_end + g->alignment - 1) / g->alignment * g->alignment;
    gw_str(&g->ti, name);
    gw_u32(&g->ti, n_dims);
    for (uint32_t d = 0; d < n_dims; d++) gw_u64(&g->ti, ne[d]);
    gw_u32(&g->ti, type);
    gw_u64(&g->ti, off);
    g->n_tensors++;
    g->data_end = off + bytes;
}

/* The header and infos, padded to the alignment when there are tensors.
 * The data section (data_end bytes) is left to the caller. */
static inline gw_buf gw_header(const gw_file *g) {
    gw_buf o = {0};
    gw_put(&o, "GGUF", 4);
    gw_u32(&o, g->version);
    gw_u64(&o, g->n_tensors);
    gw_u64(&o, g->n_kv);
    gw_put(&o, g->kv.b, g->kv.n);
    gw_put(&o, g->ti.b, g->ti.n);
    if (g->n_tensors)
        while (o.n % g->alignment) gw_u8(&o, 0);
    return o;
}

static inline void gw_free(gw_file *g) { free(g->kv.b); free(g->ti.b); }

/* Writes o to DIR/NAME, says so on stdout, frees o and g; exits (naming the
 * tool) when the file cannot be written. For the seed writers. */
static inline void gw_save(const char *tool, const char *dir, const char *name, gw_buf *o, gw_file *g) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *fp = fopen(path, "wb");
    if (!fp || fwrite(o->b, 1, o->n, fp) != o->n) { fprintf(stderr, "%s: cannot write %s\n", tool, path); exit(1); }
    fclose(fp);
    printf("%s: %zu bytes\n", path, o->n);
    free(o->b);
    gw_free(g);
}

#endif
