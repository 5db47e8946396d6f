/* Tests for src/format/gguf: files are built byte by byte by the small
 * builder below (not by the reader's own code), round-tripped through the
 * API, then broken in every way the reader promises to catch. Every hostile
 * buffer is parsed from an exact-size heap copy, so under `make asan` a read
 * one byte past the end is a test failure. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "../fuzz/gguf_touch.h"
#include "../src/format/ggml_types.h"
#include "../src/format/gguf.h"
#include "lib/t.h"

/* --- a byte buffer and the GGUF builder ---------------------------------- */

typedef struct {
    uint8_t *b;
    size_t n, cap;
} bytes_t;

static void put(bytes_t *o, const void *p, size_t n) {
    if (n == 0) return; /* p may be NULL (an empty buffer) */
    if (o->n + n > o->cap) {
        o->cap = (o->n + n) * 2 + 64;
        o->b = realloc(o->b, o->cap);
        if (!o->b) abort();
    }
    memcpy(o->b + o->n, p, n);
    o->n += n;
}
static void put_u8(bytes_t *o, uint8_t v) { put(o, &v, 1); }
static void put_u16(bytes_t *o, uint16_t v) { put(o, &v, 2); }
static void put_u32(bytes_t *o, uint32_t v) { put(o, &v, 4); }
static void put_u64(bytes_t *o, uint64_t v) { put(o, &v, 8); }
static void put_f32(bytes_t *o, float v) { put(o, &v, 4); }
static void put_f64(bytes_t *o, double v) { put(o, &v, 8); }
static void put_str(bytes_t *o, const char *s) { put_u64(o, strlen(s)); put(o, s, strlen(s)); }
static void set_u32(bytes_t *o, size_t at, uint32_t v) { memcpy(o->b + at, &v, 4); }
static void set_u64(bytes_t *o, size_t at, uint64_t v) { memcpy(o->b + at, &v, 8); }
static void bytes_free(bytes_t *o) { free(o->b); memset(o, 0, sizeof *o); }

typedef struct {
    uint32_t version;
    bytes_t kv, ti;
    uint64_t n_kv, n_tensors;
    uint64_t data_end;   /* data section bytes: end of the last tensor */
    uint32_t alignment;  /* what the builder pads to (set general.alignment to match) */
} gg;

#define AUTO UINT64_MAX

static void gg_init(gg *g, uint32_t version) {
    memset(g, 0, sizeof *g);
    g->version = version;
    g->alignment = 32;
}
static void gg_free(gg *g) { bytes_free(&g->kv); bytes_free(&g->ti); }

/* Starts a key/value: the key and the value type; the caller writes the value. */
static bytes_t *gg_key(gg *g, const char *key, uint32_t type) {
    put_str(&g->kv, key);
    put_u32(&g->kv, type);
    g->n_kv++;
    return &g->kv;
}
static void gg_u32(gg *g, const char *k, uint32_t v) { put_u32(gg_key(g, k, GGUF_TYPE_UINT32), v); }
static void gg_str(gg *g, const char *k, const char *v) { put_str(gg_key(g, k, GGUF_TYPE_STRING), v); }

/* Block sizes written here from ggml's block structs, independently of the
 * reader's type table. */
static uint64_t tensor_bytes(uint32_t type, uint64_t n) {
    switch (type) {
    case GGML_TYPE_F32: return n * 4;
    case GGML_TYPE_F16: return n * 2;
    case GGML_TYPE_Q8_0: return n / 32 * 34;
    case GGML_TYPE_Q4_1: return n / 32 * 20;
    default: abort();
    }
}

static void gg_tensor_raw(gg *g, const char *name, uint32_t n_dims, const uint64_t *ne, uint32_t type, uint64_t offset) {
    put_str(&g->ti, name);
    put_u32(&g->ti, n_dims);
    for (uint32_t d = 0; d < n_dims; d++) put_u64(&g->ti, ne[d]);
    put_u32(&g->ti, type);
    put_u64(&g->ti, offset);
    g->n_tensors++;
}

/* A well-formed tensor; AUTO puts it after the previous one, aligned. */
static uint64_t gg_tensor(gg *g, const char *name, uint32_t type, uint32_t n_dims, const uint64_t *ne, uint64_t offset) {
    uint64_t n = 1;
    for (uint32_t d = 0; d < n_dims; d++) n *= ne[d];
    uint64_t bytes = tensor_bytes(type, n);
    if (offset == AUTO) offset = (g->data_end + g->alignment - 1) / g->alignment * g->alignment;
    gg_tensor_raw(g, name, n_dims, ne, type, offset);
    if (offset + bytes > g->data_end) g->data_end = offset + bytes;
    return offset;
}

/* Header, metadata, tensor infos, padding, then data_end bytes of a pattern.
 * The file ends exactly where the last tensor ends. */
static bytes_t gg_finish(gg *g) {
    bytes_t o = {0};
    put(&o, "GGUF", 4);
    put_u32(&o, g->version);
    put_u64(&o, g->n_tensors);
    put_u64(&o, g->n_kv);
    put(&o, g->kv.b, g->kv.n);
    put(&o, g->ti.b, g->ti.n);
    if (g->n_tensors) {
        while (o.n % g->alignment) put_u8(&o, 0);
        for (uint64_t i = 0; i < g->data_end; i++) put_u8(&o, (uint8_t)(i * 7 + 1));
    }
    return o;
}

/* File offset of the length field of the GGUF string `s` (a key or a tensor
 * name) in b; aborts if absent so a broken builder cannot pass silently. */
static size_t find_str(const bytes_t *b, const char *s) {
    uint64_t len = strlen(s);
    for (size_t i = 0; i + 8 + len <= b->n; i++)
        if (!memcmp(b->b + i, &len, 8) && !memcmp(b->b + i + 8, s, len)) return i;
    fprintf(stderr, "builder: '%s' not found\n", s);
    abort();
}
/* Offset of the value type of key k, and of the first byte after it. */
static size_t type_at(const bytes_t *b, const char *k) { return find_str(b, k) + 8 + strlen(k); }
static size_t value_at(const bytes_t *b, const char *k) { return type_at(b, k) + 4; }
/* Offsets inside the info of tensor `name`: its n_dims, dim d, type, offset. */
static size_t ndims_at(const bytes_t *b, const char *name) { return find_str(b, name) + 8 + strlen(name); }
static size_t dim_at(const bytes_t *b, const char *name, int d) { return ndims_at(b, name) + 4 + 8 * (size_t)d; }
static size_t ttype_at(const bytes_t *b, const char *name, uint32_t n_dims) { return ndims_at(b, name) + 4 + 8 * n_dims; }
static size_t toff_at(const bytes_t *b, const char *name, uint32_t n_dims) { return ttype_at(b, name, n_dims) + 4; }

/* The base file: every value type, arrays of strings, nested arrays, and two
 * tensors. Each test breaks a copy of it. */
static bytes_t make_base(uint32_t version) {
    gg g;
    gg_init(&g, version);
    gg_str(&g, "general.architecture", "llama");
    put_u8(gg_key(&g, "t.u8", GGUF_TYPE_UINT8), 200);
    put_u8(gg_key(&g, "t.i8", GGUF_TYPE_INT8), (uint8_t)-5);
    put_u16(gg_key(&g, "t.u16", GGUF_TYPE_UINT16), 65000);
    put_u16(gg_key(&g, "t.i16", GGUF_TYPE_INT16), (uint16_t)-30000);
    put_u32(gg_key(&g, "t.u32", GGUF_TYPE_UINT32), 4000000000u);
    put_u32(gg_key(&g, "t.i32", GGUF_TYPE_INT32), (uint32_t)-2000000000);
    put_f32(gg_key(&g, "t.f32", GGUF_TYPE_FLOAT32), 1.5f);
    put_u8(gg_key(&g, "t.bool", GGUF_TYPE_BOOL), 1);
    put_str(gg_key(&g, "t.str", GGUF_TYPE_STRING), "h\xc3\xa9llo");
    put_u64(gg_key(&g, "t.u64", GGUF_TYPE_UINT64), (1ull << 63) + 5);
    put_u64(gg_key(&g, "t.i64", GGUF_TYPE_INT64), (uint64_t)-(1ll << 62));
    put_f64(gg_key(&g, "t.f64", GGUF_TYPE_FLOAT64), 3.25);
    bytes_t *o = gg_key(&g, "t.arr_i32", GGUF_TYPE_ARRAY);
    put_u32(o, GGUF_TYPE_INT32); put_u64(o, 3);
    put_u32(o, 1); put_u32(o, (uint32_t)-2); put_u32(o, 3);
    o = gg_key(&g, "t.arr_f32", GGUF_TYPE_ARRAY);
    put_u32(o, GGUF_TYPE_FLOAT32); put_u64(o, 2);
    put_f32(o, 0.5f); put_f32(o, -1.0f);
    o = gg_key(&g, "t.arr_str", GGUF_TYPE_ARRAY);
    put_u32(o, GGUF_TYPE_STRING); put_u64(o, 3);
    put_str(o, "a"); put_str(o, ""); put_str(o, "ccc");
    o = gg_key(&g, "t.arr_nested", GGUF_TYPE_ARRAY); /* [["x","yy"], [], [u16 7]] */
    put_u32(o, GGUF_TYPE_ARRAY); put_u64(o, 3);
    put_u32(o, GGUF_TYPE_STRING); put_u64(o, 2); put_str(o, "x"); put_str(o, "yy");
    put_u32(o, GGUF_TYPE_UINT8); put_u64(o, 0);
    put_u32(o, GGUF_TYPE_UINT16); put_u64(o, 1); put_u16(o, 7);
    gg_u32(&g, "general.alignment", 32);
    gg_tensor(&g, "tensor.alpha", GGML_TYPE_F32, 1, (uint64_t[]){16}, AUTO);          /* 64 bytes at 0 */
    gg_tensor(&g, "tensor.beta", GGML_TYPE_Q8_0, 2, (uint64_t[]){32, 2}, AUTO);       /* 68 bytes at 64 */
    bytes_t b = gg_finish(&g);
    gg_free(&g);
    return b;
}

/* --- expectations -------------------------------------------------------- */

/* Parses an exact-size heap copy of b[0..len). */
static gguf_file *parse_copy(const bytes_t *b, size_t len, uint8_t **copy, fc_err *err) {
    *copy = malloc(len ? len : 1);
    memcpy(*copy, b->b, len);
    return gguf_parse(*copy, len, "case.gguf", err);
}

static void expect_fail_(const char *file, int line, const bytes_t *b, const char *frag1, const char *frag2) {
    uint8_t *copy;
    fc_err err = {0};
    gguf_file *f = parse_copy(b, b->n, &copy, &err);
    if (f) {
        t_fail(file, line, "parsed, expected an error containing '%s'", frag1 ? frag1 : "(anything)");
        gguf_close(f);
    } else {
        if (err.code != FC_EINPUT) t_fail(file, line, "error class %d, expected FC_EINPUT: %s", err.code, err.msg);
        if (strncmp(err.msg, "case.gguf: offset ", 18)) t_fail(file, line, "message lacks 'case.gguf: offset N': %s", err.msg);
        if (strchr(err.msg, '\n')) t_fail(file, line, "message is not one line: %s", err.msg);
        if (frag1 && !strstr(err.msg, frag1)) t_fail(file, line, "message '%s' lacks '%s'", err.msg, frag1);
        if (frag2 && !strstr(err.msg, frag2)) t_fail(file, line, "message '%s' lacks '%s'", err.msg, frag2);
    }
    free(copy);
}
#define EXPECT_FAIL(b, frag1, frag2) expect_fail_(__FILE__, __LINE__, (b), (frag1), (frag2))

/* --- valid files --------------------------------------------------------- */

static void check_base(const gguf_file *f, uint32_t version) {
    CHECK_EQ_INT(f->version, version);
    CHECK_EQ_U64(f->n_kv, 18);
    CHECK_EQ_U64(f->n_tensors, 2);
    CHECK_EQ_INT(f->alignment, 32);
    CHECK_STR(gguf_get_str(f, "general.architecture", NULL), "llama");
    CHECK_EQ_INT(gguf_get_int(f, "t.u8", 0), 200);
    CHECK_EQ_INT(gguf_get_int(f, "t.i8", 0), -5);
    CHECK_EQ_INT(gguf_get_int(f, "t.u16", 0), 65000);
    CHECK_EQ_INT(gguf_get_int(f, "t.i16", 0), -30000);
    CHECK_EQ_INT(gguf_get_int(f, "t.u32", 0), 4000000000ll);
    CHECK_EQ_INT(gguf_get_int(f, "t.i32", 0), -2000000000ll);
    CHECK_NEAR(gguf_get_float(f, "t.f32", 0), 1.5, 0);
    CHECK(gguf_get_bool(f, "t.bool", false));
    CHECK_STR(gguf_get_str(f, "t.str", NULL), "h\xc3\xa9llo");
    CHECK_EQ_U64(gguf_find(f, "t.str")->str_len, 6);
    CHECK_EQ_U64(gguf_find(f, "t.u64")->v.u64, (1ull << 63) + 5);
    CHECK_EQ_INT(gguf_get_int(f, "t.u64", -1), -1); /* does not fit int64: the default */
    CHECK_EQ_INT(gguf_get_int(f, "t.i64", 0), -(1ll << 62));
    CHECK_NEAR(gguf_get_float(f, "t.f64", 0), 3.25, 0);
    /* Conversions and wrong types. */
    CHECK_NEAR(gguf_get_float(f, "t.i16", 0), -30000, 0);
    CHECK_EQ_INT(gguf_get_int(f, "t.f32", 9), 9);
    CHECK_EQ_INT(gguf_get_int(f, "t.str", 9), 9);
    CHECK(gguf_get_str(f, "t.u8", NULL) == NULL);
    CHECK(gguf_get_bool(f, "t.u8", false));
    CHECK(!gguf_get_bool(f, "t.str", false));
    CHECK_EQ_INT(gguf_get_int(f, "missing", 42), 42);
    CHECK(gguf_find(f, "missing") == NULL);
    CHECK_EQ_U64(gguf_arr_n(gguf_find(f, "t.u8")), 0);
    for (uint32_t t = 0; t < GGUF_TYPE_COUNT; t++) {
        static const char *keys[] = {"t.u8", "t.i8", "t.u16", "t.i16", "t.u32", "t.i32", "t.f32",
                                     "t.bool", "t.str", "t.arr_i32", "t.u64", "t.i64", "t.f64"};
        const gguf_kv *kv = gguf_find(f, keys[t]);
        CHECK_MSG(kv && kv->type == t, "key %s: type %d, expected %u (%s)", keys[t], kv ? (int)kv->type : -1, t,
                  gguf_vtype_name(t));
    }
    /* Arrays. */
    const gguf_kv *a = gguf_find(f, "t.arr_i32");
    CHECK_EQ_U64(gguf_arr_n(a), 3);
    CHECK_EQ_INT(a->arr_type, GGUF_TYPE_INT32);
    CHECK_EQ_INT(gguf_arr_int(a, 0, 0), 1);
    CHECK_EQ_INT(gguf_arr_int(a, 1, 0), -2);
    CHECK_EQ_INT(gguf_arr_int(a, 2, 0), 3);
    CHECK_EQ_INT(gguf_arr_int(a, 3, 77), 77);
    CHECK_NEAR(gguf_arr_float(a, 1, 0), -2.0, 0);
    CHECK(gguf_arr_str(a, 0, NULL) == NULL);
    const gguf_kv *af = gguf_find(f, "t.arr_f32");
    CHECK_NEAR(gguf_arr_float(af, 0, 0), 0.5, 0);
    CHECK_NEAR(gguf_arr_float(af, 1, 0), -1.0, 0);
    CHECK_EQ_INT(gguf_arr_int(af, 1, 0), -1);
    const gguf_kv *as = gguf_find(f, "t.arr_str");
    CHECK_EQ_U64(gguf_arr_n(as), 3);
    uint64_t len = 99;
    const char *s = gguf_arr_str(as, 0, &len);
    CHECK(s && len == 1 && !memcmp(s, "a", 1));
    s = gguf_arr_str(as, 1, &len);
    CHECK(s && len == 0);
    s = gguf_arr_str(as, 2, &len);
    CHECK(s && len == 3 && !memcmp(s, "ccc", 3));
    CHECK(gguf_arr_str(as, 3, &len) == NULL);
    CHECK_EQ_INT(gguf_arr_int(as, 0, -3), -3);
    const gguf_kv *an = gguf_find(f, "t.arr_nested");
    CHECK_EQ_U64(gguf_arr_n(an), 3);
    CHECK_EQ_INT(an->arr_type, GGUF_TYPE_ARRAY);
    /* Element spans from arr_offs: 12 + (9 + 10), 12, 12 + 2 bytes. */
    CHECK_EQ_U64(an->arr_offs[0], 0);
    CHECK_EQ_U64(an->arr_offs[1], 31);
    CHECK_EQ_U64(an->arr_offs[2], 43);
    CHECK_EQ_U64(an->arr_offs[3], 57);
    uint32_t et;
    uint64_t en;
    memcpy(&et, an->arr_data + an->arr_offs[2], 4);
    memcpy(&en, an->arr_data + an->arr_offs[2] + 4, 8);
    CHECK(et == GGUF_TYPE_UINT16 && en == 1);
    /* Tensors. */
    const gguf_tensor *ta = gguf_tensor_find(f, "tensor.alpha"), *tb = gguf_tensor_find(f, "tensor.beta");
    CHECK(ta == &f->tensors[0] && tb == &f->tensors[1]);
    CHECK(gguf_tensor_find(f, "tensor.gamma") == NULL);
    CHECK(f->data_offset % 32 == 0);
    CHECK_EQ_U64(f->size, f->data_offset + 64 + 68);
    CHECK_EQ_INT(ta->n_dims, 1);
    CHECK_EQ_INT(ta->ne[0], 16);
    CHECK_EQ_INT(ta->ne[1], 1);
    CHECK_EQ_U64(ta->n_bytes, 64);
    CHECK_EQ_U64(ta->offset, 0);
    CHECK_EQ_INT(tb->n_dims, 2);
    CHECK_EQ_INT(tb->ne[1], 2);
    CHECK_EQ_U64(tb->n_elems, 64);
    CHECK_EQ_U64(tb->n_bytes, 68);
    CHECK_EQ_U64(tb->offset, 64);
    CHECK_EQ_INT(tb->type, GGML_TYPE_Q8_0);
    CHECK(tb->data == f->bytes + f->data_offset + 64);
    CHECK_EQ_INT(((const uint8_t *)tb->data)[0], (uint8_t)(64 * 7 + 1));
    CHECK_EQ_U64(f->data_bytes, 132);
    CHECK(ta->info_offset < tb->info_offset && tb->info_offset < f->data_offset);
    uint64_t sink = 0;
    CHECK_EQ_INT(gguf_touch_all(f, &sink), 0);
}

static void test_roundtrip(void) {
    for (uint32_t v = 2; v <= 3; v++) {
        bytes_t b = make_base(v);
        uint8_t *copy;
        fc_err err = {0};
        gguf_file *f = parse_copy(&b, b.n, &copy, &err);
        CHECK_MSG(f, "v%u: %s", v, err.msg);
        if (f) {
            CHECK_STR(f->path, "case.gguf");
            check_base(f, v);
        }
        gguf_close(f);
        free(copy);
        bytes_free(&b);
    }
    gguf_close(NULL);
    /* No name: "<memory>". */
    bytes_t b = make_base(3);
    gguf_file *f = gguf_parse(b.b, b.n, NULL, NULL);
    CHECK(f && !strcmp(f->path, "<memory>"));
    gguf_close(f);
    bytes_free(&b);
}

/* Metadata only, and a bigger alignment. */
static void test_vocab_only_and_alignment(void) {
    gg g;
    gg_init(&g, 3);
    gg_str(&g, "general.architecture", "llama");
    bytes_t b = gg_finish(&g);
    gguf_file *f = gguf_parse(b.b, b.n, "v.gguf", NULL);
    CHECK(f && f->n_tensors == 0 && f->n_kv == 1 && f->data_bytes == 0);
    gguf_close(f);
    bytes_free(&b);
    gg_free(&g);

    gg_init(&g, 3);
    g.alignment = 256;
    gg_u32(&g, "general.alignment", 256);
    gg_tensor(&g, "x", GGML_TYPE_F32, 1, (uint64_t[]){8}, AUTO);
    gg_tensor(&g, "y", GGML_TYPE_F16, 3, (uint64_t[]){4, 3, 2}, AUTO);
    gg_tensor(&g, "z", GGML_TYPE_Q4_1, 4, (uint64_t[]){32, 1, 2, 3}, AUTO);
    b = gg_finish(&g);
    fc_err err = {0};
    f = gguf_parse(b.b, b.n, "a.gguf", &err);
    CHECK_MSG(f, "%s", err.msg);
    if (f) {
        CHECK_EQ_INT(f->alignment, 256);
        CHECK_EQ_U64(f->data_offset % 256, 0);
        CHECK_EQ_U64(gguf_tensor_find(f, "y")->offset, 256);
        CHECK_EQ_U64(gguf_tensor_find(f, "y")->n_bytes, 48);
        CHECK_EQ_U64(gguf_tensor_find(f, "z")->offset, 512);
        CHECK_EQ_U64(gguf_tensor_find(f, "z")->n_bytes, 6 * 20);
        CHECK_EQ_INT(gguf_tensor_find(f, "z")->ne[3], 3);
    }
    gguf_close(f);
    bytes_free(&b);
    gg_free(&g);
}

static void test_open(void) {
    char path[512];
    snprintf(path, sizeof path, "%s/base.gguf", t_tmpdir());
    bytes_t b = make_base(3);
    FILE *fp = fopen(path, "wb");
    CHECK(fp && fwrite(b.b, 1, b.n, fp) == b.n);
    if (fp) fclose(fp);
    fc_err err = {0};
    gguf_file *f = gguf_open(path, &err);
    CHECK_MSG(f, "%s", err.msg);
    if (f) {
        CHECK_STR(f->path, path);
        check_base(f, 3);
    }
    gguf_close(f);
    bytes_free(&b);

    snprintf(path, sizeof path, "%s/absent.gguf", t_tmpdir());
    CHECK(gguf_open(path, &err) == NULL);
    CHECK_EQ_INT(err.code, FC_EINPUT);
    CHECK(strstr(err.msg, "absent.gguf: cannot open") != NULL);
    snprintf(path, sizeof path, "%s/empty.gguf", t_tmpdir());
    fp = fopen(path, "wb");
    if (fp) fclose(fp);
    CHECK(gguf_open(path, &err) == NULL);
    CHECK(err.code == FC_EINPUT && strstr(err.msg, "empty.gguf: offset 0: empty file"));
    CHECK(gguf_open(t_tmpdir(), &err) == NULL);
    CHECK(err.code == FC_EINPUT && strstr(err.msg, "is a directory"));
    /* A FIFO with no writer: refused at once, never waited on (open() used to block). */
    snprintf(path, sizeof path, "%s/fifo.gguf", t_tmpdir());
    CHECK(mkfifo(path, 0600) == 0);
    CHECK(gguf_open(path, &err) == NULL);
    CHECK(err.code == FC_EINPUT && strstr(err.msg, "fifo.gguf: ") && strstr(err.msg, "FIFO"));
    CHECK(gguf_open("/dev/zero", &err) == NULL);
    CHECK(err.code == FC_EINPUT && strstr(err.msg, "/dev/zero: is a character device"));
}

/* --- the hostile corpus -------------------------------------------------- */

/* Every prefix of a valid file fails cleanly and says where. */
static void test_every_truncation(void) {
    for (uint32_t v = 2; v <= 3; v++) {
        bytes_t b = make_base(v);
        for (size_t len = 0; len < b.n; len++) {
            uint8_t *copy;
            fc_err err = {0};
            gguf_file *f = parse_copy(&b, len, &copy, &err);
            CHECK_MSG(!f, "v%u: prefix of %zu of %zu bytes parsed", v, len, b.n);
            gguf_close(f);
            CHECK_MSG(err.code == FC_EINPUT && !strncmp(err.msg, "case.gguf: offset ", 18),
                      "v%u: prefix %zu: code %d, message '%s'", v, len, err.code, err.msg);
            /* The offset named is inside (or at the end of) what was given. */
            unsigned long long at = strtoull(err.msg + 18, NULL, 10);
            CHECK_MSG(at <= len, "prefix %zu: offset %llu is past the end: %s", len, at, err.msg);
            free(copy);
        }
        bytes_free(&b);
    }
    /* Spot checks of what the messages say. */
    bytes_t b = make_base(3);
    b.n = 3;
    EXPECT_FAIL(&b, "offset 0: not a GGUF file: shorter than the 4-byte magic", NULL);
    b.n = 6;
    EXPECT_FAIL(&b, "offset 4: truncated file: version needs 4 bytes, 2 left", NULL);
    b.n = 20;
    EXPECT_FAIL(&b, "offset 16: truncated file: metadata count needs 8 bytes, 4 left", NULL);
    b.n = 30;
    EXPECT_FAIL(&b, "offset 8: tensor count 2 runs past the end of the file", NULL);
    bytes_t full = make_base(3);
    b.n = full.n - 1;
    EXPECT_FAIL(&b, "tensor 'tensor.beta': data [64, +68) runs past the end of the file (data section is 131 bytes)", NULL);
    bytes_free(&full);
    bytes_free(&b);
}

/* Any single flipped byte: it parses (and every accessor stays in bounds) or
 * it fails with FC_EINPUT and an offset. */
static void test_flipped_bytes(void) {
    static const uint8_t masks[] = {0x01, 0x80, 0xff, 0x10};
    bytes_t b = make_base(3);
    int parsed = 0, failed = 0;
    for (size_t pos = 0; pos < b.n; pos++) {
        for (size_t m = 0; m < sizeof masks; m++) {
            uint8_t *copy = malloc(b.n);
            memcpy(copy, b.b, b.n);
            copy[pos] ^= masks[m];
            fc_err err = {0};
            gguf_file *f = gguf_parse(copy, b.n, "case.gguf", &err);
            if (f) {
                uint64_t sink = 0;
                CHECK_MSG(gguf_touch_all(f, &sink) == 0, "byte %zu ^ 0x%02x: an accessor left the buffer", pos, masks[m]);
                parsed++;
            } else {
                CHECK_MSG(err.code == FC_EINPUT && !strncmp(err.msg, "case.gguf: offset ", 18),
                          "byte %zu ^ 0x%02x: code %d, message '%s'", pos, masks[m], err.code, err.msg);
                failed++;
            }
            gguf_close(f);
            free(copy);
        }
    }
    /* Flips in the tensor data always parse; flips in the magic never do. */
    CHECK(parsed >= 4 * 132);
    CHECK(failed >= 4 * 4);
    bytes_free(&b);
}

static void test_huge_counts(void) {
    bytes_t b = make_base(3);
    bytes_t c = {0};
#define FRESH() do { bytes_free(&c); put(&c, b.b, b.n); } while (0)
    FRESH(); set_u64(&c, 16, UINT64_MAX);
    EXPECT_FAIL(&c, "offset 16: metadata count 18446744073709551615 runs past the end of the file", NULL);
    FRESH(); set_u64(&c, 16, UINT64_MAX / 13);
    EXPECT_FAIL(&c, "offset 16: metadata count 1418980313362273201 runs past", NULL);
    FRESH(); set_u64(&c, 8, UINT64_MAX);
    EXPECT_FAIL(&c, "offset 8: tensor count 18446744073709551615 runs past the end of the file", NULL);
    FRESH(); set_u64(&c, 8, UINT64_MAX / 33 + 1);
    EXPECT_FAIL(&c, "offset 8: tensor count", "runs past");
    /* A count that fits the file size but not its contents: the 19th key is
     * read from the tensor infos and something later breaks. */
    FRESH(); set_u64(&c, 16, 19);
    EXPECT_FAIL(&c, NULL, NULL);
    /* Key, string value, tensor name, array lengths. */
    FRESH(); set_u64(&c, 24, UINT64_MAX);
    EXPECT_FAIL(&c, "offset 24: key length 18446744073709551615 runs past the end of the file", NULL);
    FRESH(); set_u64(&c, 24, UINT64_MAX - 5);
    EXPECT_FAIL(&c, "offset 24: key length 18446744073709551610", NULL);
    FRESH(); set_u64(&c, value_at(&b, "t.str"), UINT64_MAX - 1);
    char frag[128];
    snprintf(frag, sizeof frag, "offset %zu: string value length 18446744073709551614 runs past", value_at(&b, "t.str"));
    EXPECT_FAIL(&c, frag, NULL);
    FRESH(); set_u64(&c, find_str(&b, "tensor.beta"), UINT64_MAX);
    snprintf(frag, sizeof frag, "offset %zu: tensor name length 18446744073709551615", find_str(&b, "tensor.beta"));
    EXPECT_FAIL(&c, frag, NULL);
    size_t arr_len = value_at(&b, "t.arr_i32") + 4;
    uint64_t lens[] = {UINT64_MAX, UINT64_MAX / 4 + 1, UINT64_MAX / 4, 1ull << 62, 1000000};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        FRESH(); set_u64(&c, arr_len, lens[i]);
        snprintf(frag, sizeof frag, "offset %zu: array of %" PRIu64 " i32 elements runs past the end of the file", arr_len,
                 lens[i]);
        EXPECT_FAIL(&c, frag, NULL);
    }
    FRESH(); set_u64(&c, value_at(&b, "t.arr_str") + 4, UINT64_MAX / 8);
    EXPECT_FAIL(&c, "array of 2305843009213693951 string elements runs past", NULL);
    FRESH(); set_u64(&c, value_at(&b, "t.arr_nested") + 4, UINT64_MAX / 12 + 1);
    EXPECT_FAIL(&c, "array elements runs past", NULL);
    /* A dimension of the base file's tensor. */
    FRESH(); set_u64(&c, dim_at(&b, "tensor.beta", 1), UINT64_MAX);
    snprintf(frag, sizeof frag, "offset %zu: tensor 'tensor.beta': dimension 1 is 18446744073709551615",
             dim_at(&b, "tensor.beta", 1));
    EXPECT_FAIL(&c, frag, NULL);
    /* An element string inside an array. */
    FRESH(); set_u64(&c, find_str(&b, "ccc"), UINT64_MAX);
    snprintf(frag, sizeof frag, "offset %zu: string value length 18446744073709551615", find_str(&b, "ccc"));
    EXPECT_FAIL(&c, frag, NULL);
#undef FRESH
    bytes_free(&c);
    bytes_free(&b);
}

/* A one-tensor file with the given raw dims/type/offset. */
static bytes_t one_tensor(uint32_t n_dims, const uint64_t *ne, uint32_t type, uint64_t offset, uint64_t data_bytes) {
    gg g;
    gg_init(&g, 3);
    gg_str(&g, "a.b", "x");
    gg_tensor_raw(&g, "w", n_dims, ne, type, offset);
    g.data_end = data_bytes;
    bytes_t b = gg_finish(&g);
    gg_free(&g);
    return b;
}

static void test_dims(void) {
    bytes_t b;
    /* The info of "w" starts at 24 + (8+3+4+8+1) = 48: name 9, n_dims at 57, dims from 61. */
    b = one_tensor(2, (uint64_t[]){1ull << 32, 1ull << 32}, GGML_TYPE_F32, 0, 64);
    EXPECT_FAIL(&b, "offset 69: tensor 'w': element count overflows at dimension 1", NULL);
    bytes_free(&b);
    b = one_tensor(4, (uint64_t[]){1 << 16, 1 << 16, 1 << 16, 1 << 16}, GGML_TYPE_F32, 0, 64);
    EXPECT_FAIL(&b, "offset 85: tensor 'w': element count overflows at dimension 3", NULL);
    bytes_free(&b);
    b = one_tensor(2, (uint64_t[]){1ull << 62, 2}, GGML_TYPE_F32, 0, 64); /* 2^63 > INT64_MAX */
    EXPECT_FAIL(&b, "element count overflows at dimension 1", NULL);
    bytes_free(&b);
    b = one_tensor(1, (uint64_t[]){1ull << 63}, GGML_TYPE_F32, 0, 64);
    EXPECT_FAIL(&b, "offset 61: tensor 'w': dimension 0 is 9223372036854775808", NULL);
    bytes_free(&b);
    b = one_tensor(2, (uint64_t[]){4, 0}, GGML_TYPE_F32, 0, 64);
    EXPECT_FAIL(&b, "offset 69: tensor 'w': dimension 1 is 0", NULL);
    bytes_free(&b);
    b = one_tensor(1, (uint64_t[]){1ull << 62}, GGML_TYPE_F32, 0, 64); /* 2^62 floats = 2^64 bytes */
    EXPECT_FAIL(&b, "offset 69: tensor 'w': byte size overflows", NULL);
    bytes_free(&b);
    b = one_tensor(1, (uint64_t[]){1ull << 40}, GGML_TYPE_F32, 0, 64); /* fits the arithmetic, not the file */
    EXPECT_FAIL(&b, "tensor 'w': data [0, +4398046511104) runs past the end of the file (data section is 64 bytes)", NULL);
    bytes_free(&b);
    b = one_tensor(0, NULL, GGML_TYPE_F32, 0, 64);
    EXPECT_FAIL(&b, "offset 57: tensor 'w': 0 dimensions (must be 1..4)", NULL);
    bytes_free(&b);
    b = one_tensor(5, (uint64_t[]){1, 1, 1, 1, 1}, GGML_TYPE_F32, 0, 64);
    EXPECT_FAIL(&b, "offset 57: tensor 'w': 5 dimensions (must be 1..4)", NULL);
    bytes_free(&b);
    b = one_tensor(1, (uint64_t[]){33}, GGML_TYPE_Q8_0, 0, 64);
    EXPECT_FAIL(&b, "offset 69: tensor 'w': row of 33 elements is not a multiple of Q8_0's block of 32", NULL);
    bytes_free(&b);
    /* The reference layout the offsets above assume parses. */
    b = one_tensor(1, (uint64_t[]){16}, GGML_TYPE_F32, 0, 64);
    gguf_file *f = gguf_parse(b.b, b.n, "ok", NULL);
    CHECK(f && f->tensors[0].info_offset == 48);
    gguf_close(f);
    bytes_free(&b);
}

static void test_unknown_types(void) {
    bytes_t b = make_base(3), c = {0};
    char frag[160];
    uint32_t bad_vt[] = {13, 255, UINT32_MAX};
    for (size_t i = 0; i < 3; i++) {
        bytes_free(&c); put(&c, b.b, b.n);
        set_u32(&c, type_at(&b, "t.u16"), bad_vt[i]);
        snprintf(frag, sizeof frag, "offset %zu: key 't.u16': unknown value type %u", type_at(&b, "t.u16"), bad_vt[i]);
        EXPECT_FAIL(&c, frag, NULL);
        bytes_free(&c); put(&c, b.b, b.n);
        set_u32(&c, value_at(&b, "t.arr_i32"), bad_vt[i]);
        snprintf(frag, sizeof frag, "offset %zu: unknown array element type %u", value_at(&b, "t.arr_i32"), bad_vt[i]);
        EXPECT_FAIL(&c, frag, NULL);
    }
    /* The element type of a nested array. */
    bytes_free(&c); put(&c, b.b, b.n);
    size_t inner = value_at(&b, "t.arr_nested") + 12;
    set_u32(&c, inner, 77);
    snprintf(frag, sizeof frag, "offset %zu: unknown array element type 77", inner);
    EXPECT_FAIL(&c, frag, NULL);
    /* Tensor types: retired ids, past the table, huge. */
    uint32_t bad_tt[] = {4, 5, 31, 36, GGML_TYPE_COUNT, 1000, UINT32_MAX};
    for (size_t i = 0; i < sizeof bad_tt / sizeof bad_tt[0]; i++) {
        bytes_free(&c); put(&c, b.b, b.n);
        size_t at = ttype_at(&b, "tensor.beta", 2);
        set_u32(&c, at, bad_tt[i]);
        snprintf(frag, sizeof frag, "offset %zu: tensor 'tensor.beta': unknown tensor type id %u", at, bad_tt[i]);
        EXPECT_FAIL(&c, frag, NULL);
    }
    bytes_free(&c);
    bytes_free(&b);
}

static void test_nesting(void) {
    for (int depth = 7; depth <= 9; depth++) {
        gg g;
        gg_init(&g, 3);
        bytes_t *o = gg_key(&g, "deep", GGUF_TYPE_ARRAY);
        for (int d = 0; d < depth - 1; d++) { put_u32(o, GGUF_TYPE_ARRAY); put_u64(o, 1); }
        put_u32(o, GGUF_TYPE_UINT8); put_u64(o, 1); put_u8(o, 5);
        bytes_t b = gg_finish(&g);
        if (depth <= 8) {
            fc_err err = {0};
            gguf_file *f = gguf_parse(b.b, b.n, "n", &err);
            CHECK_MSG(f, "depth %d: %s", depth, err.msg);
            gguf_close(f);
        } else {
            EXPECT_FAIL(&b, "arrays nested too deeply", NULL);
        }
        bytes_free(&b);
        gg_free(&g);
    }
}

static void test_tensor_data(void) {
    bytes_t b = make_base(3), c = {0};
    size_t at = toff_at(&b, "tensor.beta", 2);
    char frag[200];
    put(&c, b.b, b.n); set_u64(&c, at, 65);
    snprintf(frag, sizeof frag, "offset %zu: tensor 'tensor.beta': data offset 65 is not a multiple of the alignment 32", at);
    EXPECT_FAIL(&c, frag, NULL);
    bytes_free(&c); put(&c, b.b, b.n); set_u64(&c, at, 96); /* aligned, but 96 + 68 > 132 */
    EXPECT_FAIL(&c, "tensor 'tensor.beta': data [96, +68) runs past the end of the file (data section is 132 bytes)", NULL);
    bytes_free(&c); put(&c, b.b, b.n); set_u64(&c, at, 1ull << 40);
    EXPECT_FAIL(&c, "tensor 'tensor.beta': data [1099511627776, +68) runs past the end", NULL);
    bytes_free(&c); put(&c, b.b, b.n); set_u64(&c, at, UINT64_MAX - 31); /* aligned, and offset + size wraps */
    EXPECT_FAIL(&c, "runs past the end of the file", NULL);
    bytes_free(&c); put(&c, b.b, b.n); set_u64(&c, at, 32); /* alpha is [0, 64) */
    EXPECT_FAIL(&c, "tensor 'tensor.beta' overlaps tensor 'tensor.alpha' (data at 0+64 and 32)", NULL);
    bytes_free(&c); put(&c, b.b, b.n); set_u64(&c, at, 0);
    EXPECT_FAIL(&c, "overlaps tensor", NULL);
    bytes_free(&c);
    bytes_free(&b);
    /* Data section start beyond the end: infos end, padding missing. */
    gg g;
    gg_init(&g, 3);
    gg_tensor(&g, "w", GGML_TYPE_F32, 1, (uint64_t[]){8}, AUTO);
    b = gg_finish(&g);
    gg_free(&g);
    size_t infos_end = 24 + 8 + 1 + 4 + 8 + 4 + 8;
    b.n = infos_end + 1;
    snprintf(frag, sizeof frag, "offset %zu: truncated file: data section starts at 64", infos_end + 1);
    EXPECT_FAIL(&b, frag, NULL);
    bytes_free(&b);
}

static void test_duplicates(void) {
    gg g;
    gg_init(&g, 3);
    gg_str(&g, "a.b", "one");
    gg_u32(&g, "a.c", 1);
    gg_u32(&g, "a.b", 2);
    bytes_t b = gg_finish(&g);
    /* The second a.b starts after header 24 + (8+3+4+8+3) + (8+3+4+4). */
    EXPECT_FAIL(&b, "offset 69: duplicate metadata key 'a.b'", NULL);
    bytes_free(&b);
    gg_free(&g);

    gg_init(&g, 3);
    gg_tensor(&g, "w", GGML_TYPE_F32, 1, (uint64_t[]){8}, AUTO);
    gg_tensor(&g, "v", GGML_TYPE_F32, 1, (uint64_t[]){8}, AUTO);
    gg_tensor(&g, "w", GGML_TYPE_F32, 1, (uint64_t[]){8}, AUTO);
    b = gg_finish(&g);
    EXPECT_FAIL(&b, "offset 90: duplicate tensor name 'w'", NULL);
    bytes_free(&b);
    gg_free(&g);

    /* Many keys, so the table and its index grow several times; the
     * duplicate is found across growths. */
    gg_init(&g, 3);
    char k[32];
    for (int i = 0; i < 1000; i++) { snprintf(k, sizeof k, "k.%d", i); gg_u32(&g, k, (uint32_t)i); }
    for (int i = 0; i < 300; i++) {
        snprintf(k, sizeof k, "t.%d", i);
        gg_tensor(&g, k, GGML_TYPE_F32, 1, (uint64_t[]){8}, AUTO);
    }
    b = gg_finish(&g);
    fc_err err = {0};
    gguf_file *f = gguf_parse(b.b, b.n, "many", &err);
    CHECK_MSG(f, "%s", err.msg);
    if (f) {
        CHECK_EQ_INT(gguf_get_int(f, "k.0", -1), 0);
        CHECK_EQ_INT(gguf_get_int(f, "k.999", -1), 999);
        CHECK_EQ_INT(gguf_get_int(f, "k.517", -1), 517);
        CHECK(gguf_tensor_find(f, "t.299") == &f->tensors[299]);
        CHECK(gguf_tensor_find(f, "t.64") == &f->tensors[64]);
    }
    gguf_close(f);
    bytes_free(&b);
    gg_u32(&g, "k.700", 1);
    b = gg_finish(&g);
    EXPECT_FAIL(&b, "duplicate metadata key 'k.700'", NULL);
    bytes_free(&b);
    gg_free(&g);

    /* Names from the file are escaped in messages, which stay one line
     * (a fuzzer finding: a key holding a newline split the message). */
    gg_init(&g, 3);
    put_u32(gg_key(&g, "a\nb\x1b[2J\xff", 77), 0);
    b = gg_finish(&g);
    EXPECT_FAIL(&b, "offset 40: key 'a\\x0ab\\x1b[2J\\xff': unknown value type 77", NULL);
    bytes_free(&b);
    gg_free(&g);
    gg_init(&g, 3);
    char longname[300];
    memset(longname, 'n', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    gg_tensor_raw(&g, longname, 1, (uint64_t[]){8}, GGML_TYPE_F32, 1 << 20);
    b = gg_finish(&g);
    EXPECT_FAIL(&b, "tensor 'nnnnnnnnnn", "nnn...': data [1048576, +32) runs past the end of the file (data section is 0 bytes)");
    bytes_free(&b);
    gg_free(&g);

    gg_init(&g, 3);
    put_u64(&g.kv, 0); put_u32(&g.kv, GGUF_TYPE_UINT8); put_u8(&g.kv, 0); g.n_kv++;
    b = gg_finish(&g);
    EXPECT_FAIL(&b, "offset 24: empty metadata key", NULL);
    bytes_free(&b);
    gg_free(&g);
    gg_init(&g, 3);
    put_u64(&g.kv, 3); put(&g.kv, "a\0b", 3); put_u32(&g.kv, GGUF_TYPE_UINT8); put_u8(&g.kv, 0); g.n_kv++;
    b = gg_finish(&g);
    EXPECT_FAIL(&b, "offset 24: metadata key contains a NUL byte", NULL);
    bytes_free(&b);
    gg_free(&g);
}

static void test_bad_alignment(void) {
    struct { uint32_t type; uint64_t v; const char *frag; } cases[] = {
        {GGUF_TYPE_UINT32, 0, "offset 24: general.alignment 0 is not a power of two"},
        {GGUF_TYPE_UINT32, 3, "offset 24: general.alignment 3 is not a power of two"},
        {GGUF_TYPE_UINT32, 96, "general.alignment 96 is not a power of two"},
        {GGUF_TYPE_UINT32, 1u << 31, "general.alignment 2147483648 is larger than 2^30"},
        {GGUF_TYPE_UINT64, 32, "offset 24: general.alignment must be a u32"},
        {GGUF_TYPE_INT32, 32, "general.alignment must be a u32"},
        {GGUF_TYPE_STRING, 0, "general.alignment must be a u32"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        gg g;
        gg_init(&g, 3);
        bytes_t *o = gg_key(&g, "general.alignment", cases[i].type);
        if (cases[i].type == GGUF_TYPE_UINT64) put_u64(o, cases[i].v);
        else if (cases[i].type == GGUF_TYPE_STRING) put_str(o, "32");
        else put_u32(o, (uint32_t)cases[i].v);
        gg_tensor(&g, "w", GGML_TYPE_F32, 1, (uint64_t[]){8}, AUTO);
        bytes_t b = gg_finish(&g);
        EXPECT_FAIL(&b, cases[i].frag, NULL);
        bytes_free(&b);
        gg_free(&g);
    }
    /* Alignment 64 makes offset 32 misaligned. */
    gg g;
    gg_init(&g, 3);
    g.alignment = 64;
    gg_u32(&g, "general.alignment", 64);
    gg_tensor(&g, "w", GGML_TYPE_F32, 1, (uint64_t[]){8}, 32);
    bytes_t b = gg_finish(&g);
    EXPECT_FAIL(&b, "tensor 'w': data offset 32 is not a multiple of the alignment 64", NULL);
    bytes_free(&b);
    gg_free(&g);
}

static void test_header(void) {
    bytes_t b = make_base(3), c = {0};
    uint32_t versions[] = {0, 1, 4, 0x01000000u, UINT32_MAX};
    char frag[120];
    for (size_t i = 0; i < sizeof versions / sizeof versions[0]; i++) {
        bytes_free(&c); put(&c, b.b, b.n); set_u32(&c, 4, versions[i]);
        snprintf(frag, sizeof frag, "offset 4: unsupported GGUF version %u (supported: 2 and 3)", versions[i]);
        EXPECT_FAIL(&c, frag, NULL);
    }
    bytes_free(&c); put(&c, b.b, b.n); set_u32(&c, 4, 0x03000000u);
    EXPECT_FAIL(&c, "offset 4: big-endian GGUF files are not supported", NULL);
    bytes_free(&c); put(&c, b.b, b.n); set_u32(&c, 4, 0x02000000u);
    EXPECT_FAIL(&c, "big-endian", NULL);
    bytes_free(&c); put(&c, b.b, b.n); memcpy(c.b, "GGML", 4);
    EXPECT_FAIL(&c, "offset 0: not a GGUF file: magic is 47 47 4d 4c, expected \"GGUF\"", NULL);
    bytes_free(&c); put(&c, b.b, b.n); memcpy(c.b, "FUGG", 4);
    EXPECT_FAIL(&c, "not a GGUF file", NULL);
    bytes_free(&c);
    bytes_free(&b);
}

/* Regression: the reader once allocated its tables for the declared counts.
 * A sparse file can make those counts huge (they are bounded only by the
 * file size), and calloc then failed (exit 1, "out of memory") or the
 * process swapped, instead of a clean FC_EINPUT at the first bad entry. */
static void test_sparse_huge_count(void) {
    char path[512];
    snprintf(path, sizeof path, "%s/sparse.gguf", t_tmpdir());
    int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);
    CHECK(fd >= 0);
    if (fd < 0) return;
    uint8_t hdr[24] = {'G', 'G', 'U', 'F', 3};
    uint64_t n_kv = 4000000000ull; /* ~350 GB of tables if allocated up front */
    memcpy(hdr + 16, &n_kv, 8);
    int ok = write(fd, hdr, sizeof hdr) == (ssize_t)sizeof hdr && ftruncate(fd, 64ll << 30) == 0;
    close(fd);
    if (!ok) {
        t_skip("cannot make a 64 GiB sparse file here: %s", strerror(errno));
        unlink(path);
        return;
    }
    fc_err err = {0};
    gguf_file *f = gguf_open(path, &err);
    CHECK(!f);
    gguf_close(f);
    CHECK_MSG(err.code == FC_EINPUT && strstr(err.msg, "offset 24: empty metadata key"), "code %d: %s", err.code, err.msg);
    unlink(path);
}

/* --- the CLI ------------------------------------------------------------- */

static const char *build_dir(void) {
    const char *b = getenv("FITCHAT_BUILD");
    return b && *b ? b : "build";
}

static void write_file(const char *path, const bytes_t *b) {
    FILE *fp = fopen(path, "wb");
    if (!fp || fwrite(b->b, 1, b->n, fp) != b->n) t_fail(__FILE__, __LINE__, "cannot write %s", path);
    if (fp) fclose(fp);
}

/* Runs `fitchat info ARGS` with stdout and stderr in files; returns the exit
 * status and fills err (the whole stderr). */
static int run_info(const char *args, char *out_path, size_t cap, char *err, size_t err_cap) {
    char errp[600], cmd[2000];
    snprintf(out_path, cap, "%s/out.txt", t_tmpdir());
    snprintf(errp, sizeof errp, "%s/err.txt", t_tmpdir());
    snprintf(cmd, sizeof cmd, "%s/fitchat info %s >%s 2>%s", build_dir(), args, out_path, errp);
    int st = system(cmd);
    FILE *fp = fopen(errp, "rb");
    size_t n = fp ? fread(err, 1, err_cap - 1, fp) : 0;
    err[n] = '\0';
    if (fp) fclose(fp);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_cli_hostile(void) {
    char fitchat[600];
    snprintf(fitchat, sizeof fitchat, "%s/fitchat", build_dir());
    if (access(fitchat, X_OK) != 0) { t_skip("%s not built", fitchat); return; }
    bytes_t b = make_base(3);
    struct { const char *name; size_t at; int width; uint64_t v; size_t len; const char *frag; } cases[] = {
        {"trunc.gguf", 0, 0, 0, 100, "runs past the end of the file"},
        {"trunc2.gguf", 0, 0, 0, 330, "truncated file"},
        {"magic.gguf", 0, 4, 0x4c4d4747, 0, "not a GGUF file"},
        {"version.gguf", 4, 4, 7, 0, "offset 4: unsupported GGUF version 7"},
        {"count.gguf", 16, 8, UINT64_MAX, 0, "offset 16: metadata count"},
        {"overlap.gguf", toff_at(&b, "tensor.beta", 2), 8, 32, 0, "overlaps"},
        {"ttype.gguf", ttype_at(&b, "tensor.beta", 2), 4, 1000, 0, "unknown tensor type id 1000"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bytes_t c = {0};
        put(&c, b.b, b.n);
        if (cases[i].width == 4) set_u32(&c, cases[i].at, (uint32_t)cases[i].v);
        if (cases[i].width == 8) set_u64(&c, cases[i].at, cases[i].v);
        if (cases[i].len) c.n = cases[i].len;
        char path[600], args[700], out[600], err[4096];
        snprintf(path, sizeof path, "%s/%s", t_tmpdir(), cases[i].name);
        write_file(path, &c);
        for (int json = 0; json < 2; json++) {
            snprintf(args, sizeof args, "%s'%s'", json ? "--json " : "", path);
            int rc = run_info(args, out, sizeof out, err, sizeof err);
            CHECK_MSG(rc == 2, "%s: exit %d, expected 2", cases[i].name, rc);
            char *nl = strchr(err, '\n');
            CHECK_MSG(nl && nl[1] == '\0', "%s: stderr is not one line: '%s'", cases[i].name, err);
            char want[700];
            snprintf(want, sizeof want, "fitchat info: %s: offset ", path);
            CHECK_MSG(!strncmp(err, want, strlen(want)), "%s: stderr '%s' does not start '%s'", cases[i].name, err, want);
            CHECK_MSG(strstr(err, cases[i].frag), "%s: stderr '%s' lacks '%s'", cases[i].name, err, cases[i].frag);
            struct stat st;
            CHECK_MSG(stat(out, &st) == 0 && st.st_size == 0, "%s: printed to stdout on error", cases[i].name);
        }
        bytes_free(&c);
    }
    char out[600], err[4096], args[700];
    snprintf(args, sizeof args, "'%s/absent.gguf'", t_tmpdir());
    CHECK_EQ_INT(run_info(args, out, sizeof out, err, sizeof err), 2);
    CHECK(strstr(err, "fitchat info: ") == err && strstr(err, "absent.gguf: cannot open"));
    CHECK_EQ_INT(run_info("--bogus", out, sizeof out, err, sizeof err), 2);
    CHECK(strstr(err, "unknown flag '--bogus'") != NULL); /* the config loader's message, as for every command */
    /* A file that parses but has no hyper-parameters although it has tensors. */
    snprintf(args, sizeof args, "%s/base.gguf", t_tmpdir());
    write_file(args, &b);
    CHECK_EQ_INT(run_info(args, out, sizeof out, err, sizeof err), 2);
    CHECK_MSG(strstr(err, "missing metadata key llama.block_count") != NULL, "%s", err);
    bytes_free(&b);
}

/* Strings from the file reach --json escaped (quotes, backslashes, control
 * bytes, invalid UTF-8) and the human report without control bytes. */
static void test_cli_escaping(void) {
    char fitchat[600];
    snprintf(fitchat, sizeof fitchat, "%s/fitchat", build_dir());
    if (access(fitchat, X_OK) != 0) { t_skip("%s not built", fitchat); return; }
    gg g;
    gg_init(&g, 3);
    gg_str(&g, "general.architecture", "llama");
    gg_str(&g, "general.name", "q\"b\\s\n\x01\xff\xc3\xa9\x1b[31m");
    gg_u32(&g, "llama.block_count", 1);
    gg_u32(&g, "llama.embedding_length", 32);
    gg_u32(&g, "llama.attention.head_count", 4);
    gg_tensor(&g, "token_embd.weight", GGML_TYPE_F32, 2, (uint64_t[]){32, 4}, AUTO);
    gg_tensor(&g, "blk.0.attn_q.weight", GGML_TYPE_Q8_0, 2, (uint64_t[]){32, 32}, AUTO);
    bytes_t b = gg_finish(&g);
    gg_free(&g);
    char path[600], args[700], out[600], err[4096];
    snprintf(path, sizeof path, "%s/escape.gguf", t_tmpdir());
    write_file(path, &b);
    bytes_free(&b);
    snprintf(args, sizeof args, "--json '%s'", path);
    CHECK_EQ_INT(run_info(args, out, sizeof out, err, sizeof err), 0);
    FILE *fp = fopen(out, "rb");
    char json[8192] = {0};
    if (fp) { if (fread(json, 1, sizeof json - 1, fp) == 0) json[0] = 0; fclose(fp); }
    cJSON *j = cJSON_Parse(json);
    CHECK_MSG(j, "invalid JSON:\n%s", json);
    const cJSON *name = cJSON_GetObjectItem(j, "name");
    CHECK_MSG(cJSON_IsString(name) && !strcmp(name->valuestring, "q\"b\\s\n\x01\xef\xbf\xbd\xc3\xa9\x1b[31m"),
              "name decoded as '%s'", cJSON_IsString(name) ? name->valuestring : "?");
    const cJSON *layers = cJSON_GetObjectItem(j, "layers");
    CHECK_EQ_INT(cJSON_GetObjectItem(layers, "count") ? cJSON_GetObjectItem(layers, "count")->valuedouble : -1, 1);
    CHECK_EQ_INT(cJSON_GetArrayItem(cJSON_GetObjectItem(layers, "bytes"), 0) ?
                 cJSON_GetArrayItem(cJSON_GetObjectItem(layers, "bytes"), 0)->valuedouble : -1, 32 * 34);
    const cJSON *h = cJSON_GetObjectItem(j, "hparams");
    CHECK_EQ_INT(cJSON_GetObjectItem(h, "n_vocab") ? cJSON_GetObjectItem(h, "n_vocab")->valuedouble : -1, 4);
    cJSON_Delete(j);
    snprintf(args, sizeof args, "'%s'", path);
    CHECK_EQ_INT(run_info(args, out, sizeof out, err, sizeof err), 0);
    fp = fopen(out, "rb");
    char text[8192] = {0};
    if (fp) { if (fread(text, 1, sizeof text - 1, fp) == 0) text[0] = 0; fclose(fp); }
    CHECK_MSG(strstr(text, "name           q\"b\\s??\xff\xc3\xa9?[31m\n"), "report:\n%s", text);
    CHECK(!strchr(text, '\x1b'));
}

int main(void) {
    T_RUN(test_roundtrip);
    T_RUN(test_vocab_only_and_alignment);
    T_RUN(test_open);
    T_RUN(test_every_truncation);
    T_RUN(test_flipped_bytes);
    T_RUN(test_huge_counts);
    T_RUN(test_dims);
    T_RUN(test_unknown_types);
    T_RUN(test_nesting);
    T_RUN(test_tensor_data);
    T_RUN(test_duplicates);
    T_RUN(test_bad_alignment);
    T_RUN(test_header);
    T_RUN(test_sparse_huge_count);
    T_RUN(test_cli_hostile);
    T_RUN(test_cli_escaping);
    return t_done();
}
