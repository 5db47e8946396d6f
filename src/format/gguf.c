/* gguf — strict GGUF reader. Every read goes through the cursor below, which
 * checks the length first; nothing is read from the buffer without a check.
 * See gguf.h for the contract. */
#include "gguf.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ggml_types.h"
#include "../util/file.h"

#define GGUF_MAX_NEST 8 /* arrays of arrays deeper than this are refused */

typedef struct {
    uint64_t n_slots;  /* power of two */
    int64_t *slot;     /* index + 1 into kv or tensors; 0 = empty */
} name_index;

typedef struct {
    void *map;         /* mmap'd region, or NULL for gguf_parse */
    size_t map_len;
    name_index kv_index;
    name_index tensor_index;
    uint64_t kv_cap, tensor_cap; /* allocated entries of kv and tensors */
    char *path_copy;
} gguf_priv;

typedef struct {
    const uint8_t *b;
    uint64_t len, pos;
    const char *name;
    fc_err *err;
} cursor;

static int bad(cursor *c, uint64_t at, const char *what) {
    return fc_errf(c->err, FC_EINPUT, "%s: offset %" PRIu64 ": %s", c->name, at, what);
}

static int need(cursor *c, uint64_t n, const char *what) {
    if (n > c->len - c->pos) {
        char msg[256];
        snprintf(msg, sizeof msg, "truncated file: %s needs %" PRIu64 " bytes, %" PRIu64 " left", what, n,
                 c->len - c->pos);
        return bad(c, c->pos, msg);
    }
    return 0;
}

static int rd_u32(cursor *c, uint32_t *v, const char *what) {
    if (need(c, 4, what)) return -1;
    memcpy(v, c->b + c->pos, 4);
    c->pos += 4;
    return 0;
}

static int rd_u64(cursor *c, uint64_t *v, const char *what) {
    if (need(c, 8, what)) return -1;
    memcpy(v, c->b + c->pos, 8);
    c->pos += 8;
    return 0;
}

/* A GGUF string: u64 length then bytes. Returns a pointer into the buffer. */
static int rd_str(cursor *c, const char **s, uint64_t *len, const char *what) {
    uint64_t at = c->pos;
    if (rd_u64(c, len, what)) return -1;
    if (*len > c->len - c->pos) {
        char msg[256];
        snprintf(msg, sizeof msg, "%s length %" PRIu64 " runs past the end of the file (%" PRIu64 " bytes left)",
                 what, *len, c->len - c->pos);
        return bad(c, at, msg);
    }
    *s = (const char *)c->b + c->pos;
    c->pos += *len;
    return 0;
}

uint64_t gguf_vtype_size(uint32_t type) {
    switch (type) {
    case GGUF_TYPE_UINT8: case GGUF_TYPE_INT8: case GGUF_TYPE_BOOL: return 1;
    case GGUF_TYPE_UINT16: case GGUF_TYPE_INT16: return 2;
    case GGUF_TYPE_UINT32: case GGUF_TYPE_INT32: case GGUF_TYPE_FLOAT32: return 4;
    case GGUF_TYPE_UINT64: case GGUF_TYPE_INT64: case GGUF_TYPE_FLOAT64: return 8;
    default: return 0;
    }
}

const char *gguf_vtype_name(uint32_t type) {
    static const char *names[GGUF_TYPE_COUNT] = {"u8", "i8", "u16", "i16", "u32", "i32", "f32", "bool",
                                                 "string", "array", "u64", "i64", "f64"};
    return type < GGUF_TYPE_COUNT ? names[type] : "invalid";
}

/* A key or tensor name from the file, made safe for a one-line message:
 * control and non-ASCII bytes become \xNN, and long names are cut to 80
 * characters with "...". Returned by value so it can be used inline as
 * show(name).s for the duration of the call. */
typedef struct {
    char s[96];
} shown;

static shown show(const char *name) {
    shown o;
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        if (n + 4 > 80) {
            memcpy(o.s + n, "...", 4);
            return o;
        }
        if (*p < 0x20 || *p >= 0x7f || *p == '\\') n += (size_t)snprintf(o.s + n, 5, "\\x%02x", *p);
        else o.s[n++] = (char)*p;
    }
    o.s[n] = '\0';
    return o;
}

static char *dup_n(const char *s, uint64_t n) {
    char *d = malloc(n + 1);
    if (!d) return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

/* --- name index: open addressing on FNV-1a ------------------------------ */

static uint64_t fnv(const char *s) {
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) h = (h ^ (uint8_t)*s) * 1099511628211ull;
    return h;
}

static int index_init(name_index *ix, uint64_t n) {
    uint64_t slots = 16;
    while (slots < 2 * n + 1) slots <<= 1;
    ix->n_slots = slots;
    ix->slot = calloc(slots, sizeof *ix->slot);
    return ix->slot ? 0 : -1;
}

/* Finds name; names(i) gives the name of entry i. Returns the entry or -1,
 * and the slot where it is or would go. */
typedef const char *(*name_of_fn)(const void *base, int64_t i);

static int64_t index_find(const name_index *ix, const void *base, name_of_fn name_of, const char *name,
                          uint64_t *slot_out) {
    if (!ix->slot) return -1;
    uint64_t mask = ix->n_slots - 1, s = fnv(name) & mask;
    for (;;) {
        int64_t e = ix->slot[s];
        if (e == 0) break;
        if (strcmp(name_of(base, e - 1), name) == 0) {
            if (slot_out) *slot_out = s;
            return e - 1;
        }
        s = (s + 1) & mask;
    }
    if (slot_out) *slot_out = s;
    return -1;
}

static const char *kv_name(const void *base, int64_t i) { return ((const gguf_kv *)base)[i].key; }
static const char *tensor_name(const void *base, int64_t i) { return ((const gguf_tensor *)base)[i].name; }

/* Makes room for entry i of a table (kv or tensors) whose header declares
 * `declared` entries. The table grows by doubling, so memory follows the
 * entries actually parsed rather than the count the header claims: that count
 * is bounded only by the file size, which for a sparse file can be far more
 * than the bytes really there. Rebuilds the name index for the new capacity
 * from entries [0, i). */
static int table_reserve(void **arr, uint64_t *cap, uint64_t i, uint64_t declared, size_t elem, name_index *ix,
                         name_of_fn name_of) {
    if (i < *cap) return 0;
    uint64_t ncap = *cap ? *cap * 2 : 64;
    if (ncap > declared) ncap = declared;
    void *na = realloc(*arr, ncap * elem);
    if (!na) return -1;
    memset((char *)na + *cap * elem, 0, (ncap - *cap) * elem);
    *arr = na;
    *cap = ncap;
    name_index nx;
    if (index_init(&nx, ncap)) return -1;
    for (uint64_t k = 0; k < i; k++) {
        uint64_t s = 0;
        index_find(&nx, na, name_of, name_of(na, (int64_t)k), &s);
        nx.slot[s] = (int64_t)k + 1;
    }
    free(ix->slot);
    *ix = nx;
    return 0;
}

/* --- values -------------------------------------------------------------- */

/* Skips (validates) one value of type t at the cursor; depth limits nesting.
 * For arrays, fills the array fields of kv if kv is not NULL. */
static int parse_value(cursor *c, uint32_t t, int depth, gguf_kv *kv);

static int parse_array(cursor *c, int depth, gguf_kv *kv) {
    uint64_t at = c->pos;
    uint32_t et;
    uint64_t n;
    if (rd_u32(c, &et, "array element type")) return -1;
    if (et >= GGUF_TYPE_COUNT) {
        char msg[96];
        snprintf(msg, sizeof msg, "unknown array element type %u", et);
        return bad(c, at, msg);
    }
    if (depth >= GGUF_MAX_NEST) return bad(c, at, "arrays nested too deeply");
    if (rd_u64(c, &n, "array length")) return -1;
    uint64_t esize = gguf_vtype_size(et);
    /* Every element takes at least one byte (strings 8, arrays 12). */
    uint64_t min_each = esize ? esize : (et == GGUF_TYPE_STRING ? 8 : 12);
    if (n > (c->len - c->pos) / min_each) {
        char msg[200];
        snprintf(msg, sizeof msg, "array of %" PRIu64 " %s elements runs past the end of the file", n,
                 gguf_vtype_name(et));
        return bad(c, at + 4, msg);
    }
    if (kv) {
        kv->arr_type = et;
        kv->arr_n = n;
        kv->arr_data = c->b + c->pos;
    }
    if (esize) {
        c->pos += n * esize;
        return 0;
    }
    uint64_t *offs = NULL;
    if (kv) {
        offs = malloc((n + 1) * sizeof *offs);
        if (!offs) return fc_errf(c->err, FC_EFAIL, "%s: out of memory for an array of %" PRIu64, c->name, n);
        kv->arr_offs = offs;
    }
    uint64_t start = c->pos;
    for (uint64_t i = 0; i < n; i++) {
        if (offs) offs[i] = c->pos - start;
        if (parse_value(c, et, depth + 1, NULL)) return -1;
    }
    if (offs) offs[n] = c->pos - start;
    return 0;
}

static int parse_value(cursor *c, uint32_t t, int depth, gguf_kv *kv) {
    if (t == GGUF_TYPE_STRING) {
        const char *s;
        uint64_t len;
        if (rd_str(c, &s, &len, "string value")) return -1;
        if (kv) {
            kv->str_len = len;
            kv->v.str = dup_n(s, len);
            if (!kv->v.str) return fc_errf(c->err, FC_EFAIL, "%s: out of memory", c->name);
        }
        return 0;
    }
    if (t == GGUF_TYPE_ARRAY) return parse_array(c, depth, kv);
    uint64_t size = gguf_vtype_size(t);
    if (need(c, size, gguf_vtype_name(t))) return -1;
    if (kv) {
        const uint8_t *p = c->b + c->pos;
        switch (t) {
        case GGUF_TYPE_UINT8: kv->v.u64 = p[0]; break;
        case GGUF_TYPE_INT8: kv->v.i64 = (int8_t)p[0]; break;
        case GGUF_TYPE_BOOL: kv->v.u64 = p[0] != 0; break;
        case GGUF_TYPE_UINT16: { uint16_t v; memcpy(&v, p, 2); kv->v.u64 = v; break; }
        case GGUF_TYPE_INT16: { int16_t v; memcpy(&v, p, 2); kv->v.i64 = v; break; }
        case GGUF_TYPE_UINT32: { uint32_t v; memcpy(&v, p, 4); kv->v.u64 = v; break; }
        case GGUF_TYPE_INT32: { int32_t v; memcpy(&v, p, 4); kv->v.i64 = v; break; }
        case GGUF_TYPE_FLOAT32: { float v; memcpy(&v, p, 4); kv->v.f64 = v; break; }
        case GGUF_TYPE_UINT64: { uint64_t v; memcpy(&v, p, 8); kv->v.u64 = v; break; }
        case GGUF_TYPE_INT64: { int64_t v; memcpy(&v, p, 8); kv->v.i64 = v; break; }
        case GGUF_TYPE_FLOAT64: { double v; memcpy(&v, p, 8); kv->v.f64 = v; break; }
        }
    }
    c->pos += size;
    return 0;
}

/* --- the file ------------------------------------------------------------ */

void gguf_close(gguf_file *f) {
    if (!f) return;
    for (uint64_t i = 0; f->kv && i < f->n_kv; i++) {
        free((char *)f->kv[i].key);
        if (f->kv[i].type == GGUF_TYPE_STRING) free((char *)f->kv[i].v.str);
        free((uint64_t *)f->kv[i].arr_offs);
    }
    for (uint64_t i = 0; f->tensors && i < f->n_tensors; i++) free((char *)f->tensors[i].name);
    free(f->kv);
    free(f->tensors);
    gguf_priv *p = f->priv;
    if (p) {
        free(p->kv_index.slot);
        free(p->tensor_index.slot);
        if (p->map) munmap(p->map, p->map_len);
        free(p->path_copy);
        free(p);
    }
    free(f);
}

static int cmp_offset(const void *a, const void *b) {
    const gguf_tensor *x = *(const gguf_tensor *const *)a, *y = *(const gguf_tensor *const *)b;
    return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* Both parsers count f->n_kv / f->n_tensors up as entries are allocated, so
 * that gguf_close frees exactly what was filled when parsing stops early. */
static int parse_kvs(gguf_file *f, cursor *c, gguf_priv *p, uint64_t declared) {
    for (uint64_t i = 0; i < declared; i++) {
        if (table_reserve((void **)&f->kv, &p->kv_cap, i, declared, sizeof *f->kv, &p->kv_index, kv_name))
            return fc_errf(c->err, FC_EFAIL, "%s: out of memory for %" PRIu64 " metadata entries", c->name, declared);
        f->n_kv = i + 1;
        gguf_kv *kv = &f->kv[i];
        kv->offset = c->pos;
        const char *key;
        uint64_t klen;
        if (rd_str(c, &key, &klen, "key")) return -1;
        if (klen == 0) return bad(c, kv->offset, "empty metadata key");
        if (memchr(key, '\0', klen)) return bad(c, kv->offset, "metadata key contains a NUL byte");
        kv->key = dup_n(key, klen);
        if (!kv->key) return fc_errf(c->err, FC_EFAIL, "%s: out of memory", c->name);
        uint64_t slot = 0;
        if (index_find(&p->kv_index, f->kv, kv_name, kv->key, &slot) >= 0) {
            char msg[300];
            snprintf(msg, sizeof msg, "duplicate metadata key '%s'", show(kv->key).s);
            return bad(c, kv->offset, msg);
        }
        p->kv_index.slot[slot] = (int64_t)i + 1;
        uint64_t tat = c->pos;
        if (rd_u32(c, &kv->type, "value type")) return -1;
        if (kv->type >= GGUF_TYPE_COUNT) {
            char msg[300];
            snprintf(msg, sizeof msg, "key '%s': unknown value type %u", show(kv->key).s, kv->type);
            return bad(c, tat, msg);
        }
        if (parse_value(c, kv->type, 0, kv)) return -1;
    }
    return 0;
}

static int parse_tensor_infos(gguf_file *f, cursor *c, gguf_priv *p, uint64_t declared) {
    for (uint64_t i = 0; i < declared; i++) {
        if (table_reserve((void **)&f->tensors, &p->tensor_cap, i, declared, sizeof *f->tensors, &p->tensor_index,
                          tensor_name))
            return fc_errf(c->err, FC_EFAIL, "%s: out of memory for %" PRIu64 " tensor infos", c->name, declared);
        f->n_tensors = i + 1;
        gguf_tensor *t = &f->tensors[i];
        t->info_offset = c->pos;
        const char *name;
        uint64_t nlen;
        char msg[400];
        if (rd_str(c, &name, &nlen, "tensor name")) return -1;
        if (nlen == 0) return bad(c, t->info_offset, "empty tensor name");
        if (memchr(name, '\0', nlen)) return bad(c, t->info_offset, "tensor name contains a NUL byte");
        t->name = dup_n(name, nlen);
        if (!t->name) return fc_errf(c->err, FC_EFAIL, "%s: out of memory", c->name);
        uint64_t slot = 0;
        if (index_find(&p->tensor_index, f->tensors, tensor_name, t->name, &slot) >= 0) {
            snprintf(msg, sizeof msg, "duplicate tensor name '%s'", show(t->name).s);
            return bad(c, t->info_offset, msg);
        }
        p->tensor_index.slot[slot] = (int64_t)i + 1;
        uint64_t at = c->pos;
        if (rd_u32(c, &t->n_dims, "tensor dimension count")) return -1;
        if (t->n_dims < 1 || t->n_dims > GGUF_MAX_DIMS) {
            snprintf(msg, sizeof msg, "tensor '%s': %u dimensions (must be 1..%d)", show(t->name).s, t->n_dims, GGUF_MAX_DIMS);
            return bad(c, at, msg);
        }
        uint64_t n = 1;
        for (uint32_t d = 0; d < GGUF_MAX_DIMS; d++) t->ne[d] = 1;
        for (uint32_t d = 0; d < t->n_dims; d++) {
            uint64_t ne, dat = c->pos;
            if (rd_u64(c, &ne, "tensor dimension")) return -1;
            if (ne == 0 || ne > (uint64_t)INT64_MAX) {
                snprintf(msg, sizeof msg, "tensor '%s': dimension %u is %" PRIu64, show(t->name).s, d, ne);
                return bad(c, dat, msg);
            }
            if (__builtin_mul_overflow(n, ne, &n) || n > (uint64_t)INT64_MAX) {
                snprintf(msg, sizeof msg, "tensor '%s': element count overflows at dimension %u", show(t->name).s, d);
                return bad(c, dat, msg);
            }
            t->ne[d] = (int64_t)ne;
        }
        t->n_elems = n;
        uint64_t tat = c->pos;
        if (rd_u32(c, &t->type, "tensor type")) return -1;
        const ggml_type_info *ti = ggml_type_get(t->type);
        if (!ti) {
            snprintf(msg, sizeof msg, "tensor '%s': unknown tensor type id %u", show(t->name).s, t->type);
            return bad(c, tat, msg);
        }
        if ((uint64_t)t->ne[0] % ti->block_elems) {
            snprintf(msg, sizeof msg, "tensor '%s': row of %" PRId64 " elements is not a multiple of %s's block of %u",
                     show(t->name).s, t->ne[0], ti->name, ti->block_elems);
            return bad(c, tat, msg);
        }
        if (__builtin_mul_overflow(n / ti->block_elems, (uint64_t)ti->block_bytes, &t->n_bytes)) {
            snprintf(msg, sizeof msg, "tensor '%s': byte size overflows", show(t->name).s);
            return bad(c, tat, msg);
        }
        uint64_t oat = c->pos;
        if (rd_u64(c, &t->offset, "tensor data offset")) return -1;
        if (t->offset % f->alignment) {
            snprintf(msg, sizeof msg, "tensor '%s': data offset %" PRIu64 " is not a multiple of the alignment %u",
                     show(t->name).s, t->offset, f->alignment);
            return bad(c, oat, msg);
        }
    }
    return 0;
}

/* Checks that every tensor lies inside the file and none overlap. */
static int check_tensor_data(gguf_file *f, cursor *c) {
    char msg[400];
    if (f->n_tensors == 0) return 0;
    if (f->data_offset > f->size) {
        snprintf(msg, sizeof msg, "truncated file: data section starts at %" PRIu64 " but the file has %" PRIu64 " bytes",
                 f->data_offset, f->size);
        return bad(c, f->size, msg);
    }
    uint64_t room = f->size - f->data_offset;
    const gguf_tensor **order = malloc(f->n_tensors * sizeof *order);
    if (!order) return fc_errf(c->err, FC_EFAIL, "%s: out of memory", c->name);
    for (uint64_t i = 0; i < f->n_tensors; i++) {
        gguf_tensor *t = &f->tensors[i];
        if (t->offset > room || t->n_bytes > room - t->offset) {
            snprintf(msg, sizeof msg,
                     "tensor '%s': data [%" PRIu64 ", +%" PRIu64 ") runs past the end of the file (data section is %" PRIu64 " bytes)",
                     show(t->name).s, t->offset, t->n_bytes, room);
            free(order);
            return bad(c, f->data_offset + (t->offset < room ? t->offset : room), msg);
        }
        t->data = f->bytes + f->data_offset + t->offset;
        f->data_bytes += t->n_bytes;
        order[i] = t;
    }
    qsort(order, f->n_tensors, sizeof *order, cmp_offset);
    for (uint64_t i = 1; i < f->n_tensors; i++) {
        const gguf_tensor *a = order[i - 1], *b = order[i];
        if (a->offset + a->n_bytes > b->offset) {
            snprintf(msg, sizeof msg, "tensor '%s' overlaps tensor '%s' (data at %" PRIu64 "+%" PRIu64 " and %" PRIu64 ")",
                     show(b->name).s, show(a->name).s, a->offset, a->n_bytes, b->offset);
            uint64_t at = f->data_offset + b->offset;
            free(order);
            return bad(c, at, msg);
        }
    }
    free(order);
    return 0;
}

gguf_file *gguf_parse(const void *bytes, uint64_t len, const char *name, fc_err *err) {
    cursor c = {.b = bytes, .len = len, .pos = 0, .name = name ? name : "<memory>", .err = err};
    gguf_file *f = calloc(1, sizeof *f);
    gguf_priv *p = calloc(1, sizeof *p);
    if (!f || !p) {
        free(f);
        free(p);
        fc_errf(err, FC_EFAIL, "%s: out of memory", c.name);
        return NULL;
    }
    f->priv = p;
    p->path_copy = dup_n(c.name, strlen(c.name));
    f->path = p->path_copy ? p->path_copy : "<memory>";
    c.name = f->path;
    f->bytes = bytes;
    f->size = len;
    f->alignment = GGUF_DEFAULT_ALIGNMENT;

    if (len < 4) { bad(&c, 0, "not a GGUF file: shorter than the 4-byte magic"); goto fail; }
    if (memcmp(bytes, "GGUF", 4) != 0) {
        char msg[120];
        const uint8_t *m = bytes;
        snprintf(msg, sizeof msg, "not a GGUF file: magic is %02x %02x %02x %02x, expected \"GGUF\"", m[0], m[1], m[2], m[3]);
        bad(&c, 0, msg);
        goto fail;
    }
    c.pos = 4;
    if (rd_u32(&c, &f->version, "version")) goto fail;
    if (f->version != 2 && f->version != 3) {
        char msg[160];
        if (f->version == 0x02000000u || f->version == 0x03000000u)
            snprintf(msg, sizeof msg, "big-endian GGUF files are not supported");
        else
            snprintf(msg, sizeof msg, "unsupported GGUF version %u (supported: 2 and 3)", f->version);
        bad(&c, 4, msg);
        goto fail;
    }
    uint64_t n_tensors, n_kv;
    if (rd_u64(&c, &n_tensors, "tensor count") || rd_u64(&c, &n_kv, "metadata count")) goto fail;
    /* A tensor info takes at least 33 bytes, a key/value at least 13. */
    if (n_tensors > (len - c.pos) / 33) {
        char msg[160];
        snprintf(msg, sizeof msg, "tensor count %" PRIu64 " runs past the end of the file", n_tensors);
        bad(&c, 8, msg);
        goto fail;
    }
    if (n_kv > (len - c.pos) / 13) {
        char msg[160];
        snprintf(msg, sizeof msg, "metadata count %" PRIu64 " runs past the end of the file", n_kv);
        bad(&c, 16, msg);
        goto fail;
    }
    if (parse_kvs(f, &c, p, n_kv)) goto fail;

    const gguf_kv *al = gguf_find(f, "general.alignment");
    if (al) {
        if (al->type != GGUF_TYPE_UINT32) {
            bad(&c, al->offset, "general.alignment must be a u32");
            goto fail;
        }
        if (al->v.u64 == 0 || (al->v.u64 & (al->v.u64 - 1)) || al->v.u64 > (1u << 30)) {
            char msg[120];
            if (al->v.u64 && !(al->v.u64 & (al->v.u64 - 1)))
                snprintf(msg, sizeof msg, "general.alignment %" PRIu64 " is larger than 2^30", al->v.u64);
            else
                snprintf(msg, sizeof msg, "general.alignment %" PRIu64 " is not a power of two", al->v.u64);
            bad(&c, al->offset, msg);
            goto fail;
        }
        f->alignment = (uint32_t)al->v.u64;
    }
    if (parse_tensor_infos(f, &c, p, n_tensors)) goto fail;
    f->data_offset = (c.pos + f->alignment - 1) / f->alignment * f->alignment;
    if (check_tensor_data(f, &c)) goto fail;
    return f;
fail:
    gguf_close(f);
    return NULL;
}

gguf_file *gguf_open(const char *path, fc_err *err) {
    struct stat st;
    int fd = fc_open_regular(path, &st, err);
    if (fd < 0) return NULL;
    if (st.st_size == 0) {
        fc_errf(err, FC_EINPUT, "%s: offset 0: empty file", path);
        close(fd);
        return NULL;
    }
    void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED) {
        fc_errf(err, FC_EFAIL, "%s: cannot map %lld bytes: %s", path, (long long)st.st_size, strerror(errno));
        return NULL;
    }
    gguf_file *f = gguf_parse(map, (uint64_t)st.st_size, path, err);
    if (!f) {
        munmap(map, (size_t)st.st_size);
        return NULL;
    }
    gguf_priv *p = f->priv;
    p->map = map;
    p->map_len = (size_t)st.st_size;
    return f;
}

/* --- accessors ----------------------------------------------------------- */

const gguf_kv *gguf_find(const gguf_file *f, const char *key) {
    if (!f || !key) return NULL;
    const gguf_priv *p = f->priv;
    int64_t i = index_find(&p->kv_index, f->kv, kv_name, key, NULL);
    return i >= 0 ? &f->kv[i] : NULL;
}

const gguf_tensor *gguf_tensor_find(const gguf_file *f, const char *name) {
    if (!f || !name) return NULL;
    const gguf_priv *p = f->priv;
    int64_t i = index_find(&p->tensor_index, f->tensors, tensor_name, name, NULL);
    return i >= 0 ? &f->tensors[i] : NULL;
}

static bool is_signed(uint32_t t) {
    return t == GGUF_TYPE_INT8 || t == GGUF_TYPE_INT16 || t == GGUF_TYPE_INT32 || t == GGUF_TYPE_INT64;
}
static bool is_unsigned(uint32_t t) {
    return t == GGUF_TYPE_UINT8 || t == GGUF_TYPE_UINT16 || t == GGUF_TYPE_UINT32 || t == GGUF_TYPE_UINT64;
}

int64_t gguf_get_int(const gguf_file *f, const char *key, int64_t def) {
    const gguf_kv *kv = gguf_find(f, key);
    if (!kv) return def;
    if (is_signed(kv->type)) return kv->v.i64;
    if (is_unsigned(kv->type)) return kv->v.u64 > (uint64_t)INT64_MAX ? def : (int64_t)kv->v.u64;
    return def;
}

double gguf_get_float(const gguf_file *f, const char *key, double def) {
    const gguf_kv *kv = gguf_find(f, key);
    if (!kv) return def;
    if (kv->type == GGUF_TYPE_FLOAT32 || kv->type == GGUF_TYPE_FLOAT64) return kv->v.f64;
    if (is_signed(kv->type)) return (double)kv->v.i64;
    if (is_unsigned(kv->type)) return (double)kv->v.u64;
    return def;
}

bool gguf_get_bool(const gguf_file *f, const char *key, bool def) {
    const gguf_kv *kv = gguf_find(f, key);
    if (!kv) return def;
    if (kv->type == GGUF_TYPE_BOOL || is_unsigned(kv->type)) return kv->v.u64 != 0;
    if (is_signed(kv->type)) return kv->v.i64 != 0;
    return def;
}

const char *gguf_get_str(const gguf_file *f, const char *key, const char *def) {
    const gguf_kv *kv = gguf_find(f, key);
    return kv && kv->type == GGUF_TYPE_STRING ? kv->v.str : def;
}

uint64_t gguf_arr_n(const gguf_kv *kv) { return kv && kv->type == GGUF_TYPE_ARRAY ? kv->arr_n : 0; }

static const uint8_t *arr_elem(const gguf_kv *kv, uint64_t i) {
    if (!kv || kv->type != GGUF_TYPE_ARRAY || i >= kv->arr_n) return NULL;
    uint64_t sz = gguf_vtype_size(kv->arr_type);
    return sz ? kv->arr_data + i * sz : NULL;
}

int64_t gguf_arr_int(const gguf_kv *kv, uint64_t i, int64_t def) {
    const uint8_t *p = arr_elem(kv, i);
    if (!p) return def;
    switch (kv->arr_type) {
    case GGUF_TYPE_UINT8: case GGUF_TYPE_BOOL: return p[0];
    case GGUF_TYPE_INT8: return (int8_t)p[0];
    case GGUF_TYPE_UINT16: { uint16_t v; memcpy(&v, p, 2); return v; }
    case GGUF_TYPE_INT16: { int16_t v; memcpy(&v, p, 2); return v; }
    case GGUF_TYPE_UINT32: { uint32_t v; memcpy(&v, p, 4); return v; }
    case GGUF_TYPE_INT32: { int32_t v; memcpy(&v, p, 4); return v; }
    case GGUF_TYPE_UINT64: { uint64_t v; memcpy(&v, p, 8); return v > (uint64_t)INT64_MAX ? def : (int64_t)v; }
    case GGUF_TYPE_INT64: { int64_t v; memcpy(&v, p, 8); return v; }
    /* Out-of-range or NaN floats would make the cast undefined. */
    case GGUF_TYPE_FLOAT32: { float v; memcpy(&v, p, 4); return v >= -0x1p63f && v < 0x1p63f ? (int64_t)v : def; }
    case GGUF_TYPE_FLOAT64: { double v; memcpy(&v, p, 8); return v >= -0x1p63 && v < 0x1p63 ? (int64_t)v : def; }
    default: return def;
    }
}

double gguf_arr_float(const gguf_kv *kv, uint64_t i, double def) {
    const uint8_t *p = arr_elem(kv, i);
    if (!p) return def;
    if (kv->arr_type == GGUF_TYPE_FLOAT32) { float v; memcpy(&v, p, 4); return v; }
    if (kv->arr_type == GGUF_TYPE_FLOAT64) { double v; memcpy(&v, p, 8); return v; }
    if (kv->arr_type == GGUF_TYPE_UINT64) { uint64_t v; memcpy(&v, p, 8); return (double)v; }
    /* Every other element type is an integer that fits int64: no default needed. */
    return (double)gguf_arr_int(kv, i, 0);
}

const char *gguf_arr_str(const gguf_kv *kv, uint64_t i, uint64_t *len) {
    if (!kv || kv->type != GGUF_TYPE_ARRAY || kv->arr_type != GGUF_TYPE_STRING || i >= kv->arr_n) return NULL;
    const uint8_t *p = kv->arr_data + kv->arr_offs[i];
    uint64_t n;
    memcpy(&n, p, 8);
    if (len) *len = n;
    return (const char *)p + 8;
}
