/* The fixture writer: what it writes, the strict reader reads back. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../src/format/ggml_types.h"
#include "../src/format/gguf.h"
#include "lib/gguf_write.h"
#include "lib/t.h"

static void test_roundtrip(void) {
    char path[512];
    snprintf(path, sizeof path, "%s/rt.gguf", t_tmpdir());
    gguf_writer *w = gw_new();
    gw_set_alignment(w, 64);
    gw_kv_u8(w, "a.u8", 200);
    gw_kv_i8(w, "a.i8", -5);
    gw_kv_u16(w, "a.u16", 60000);
    gw_kv_i16(w, "a.i16", -30000);
    gw_kv_u32(w, "a.u32", 4000000000u);
    gw_kv_i32(w, "a.i32", -7);
    gw_kv_u64(w, "a.u64", 1ull << 40);
    gw_kv_i64(w, "a.i64", -(1ll << 40));
    gw_kv_f32(w, "a.f32", 0.5f);
    gw_kv_f64(w, "a.f64", 1e-300);
    gw_kv_bool(w, "a.bool", true);
    gw_kv_str(w, "a.str", "hello");
    int32_t ints[3] = {1, -2, 3};
    gw_kv_arr(w, "a.arr", GGUF_TYPE_INT32, 3, ints);
    const char *strs[] = {"<s>", "", "h\xc3\xa9"};
    gw_kv_arr_str(w, "a.strs", 3, strs, NULL);
    float data[64];
    for (int i = 0; i < 64; i++) data[i] = (float)i * 0.25f;
    gw_tensor2(w, "real.weight", GGML_TYPE_F32, 16, 4, data);
    gw_tensor2(w, "hole.weight", GGML_TYPE_Q8_0, 64, 3, NULL);
    int64_t ne3[3] = {32, 2, 2};
    gw_tensor(w, "cube.weight", GGML_TYPE_Q4_0, 3, ne3, NULL);
    CHECK_EQ_U64(gw_data_bytes(w), 256 + 3 * 68 + 4 * 18);
    uint64_t size = 0;
    fc_err e = {0};
    CHECK_MSG(gw_write_file(w, path, &size, &e) == 0, "%s", e.msg);
    gw_free(w);
    gguf_file *f = gguf_open(path, &e);
    CHECK_MSG(f != NULL, "%s", e.msg);
    if (!f) return;
    CHECK_EQ_U64(f->size, size);
    CHECK_EQ_INT(f->version, 3);
    CHECK_EQ_INT(f->alignment, 64);
    CHECK_EQ_INT(gguf_get_int(f, "a.u8", 0), 200);
    CHECK_EQ_INT(gguf_get_int(f, "a.i8", 0), -5);
    CHECK_EQ_INT(gguf_get_int(f, "a.u16", 0), 60000);
    CHECK_EQ_INT(gguf_get_int(f, "a.i16", 0), -30000);
    CHECK_EQ_INT(gguf_get_int(f, "a.u32", 0), 4000000000ll);
    CHECK_EQ_INT(gguf_get_int(f, "a.i32", 0), -7);
    CHECK_EQ_INT(gguf_get_int(f, "a.u64", 0), 1ll << 40);
    CHECK_EQ_INT(gguf_get_int(f, "a.i64", 0), -(1ll << 40));
    CHECK_NEAR(gguf_get_float(f, "a.f32", 0), 0.5, 0);
    CHECK_NEAR(gguf_get_float(f, "a.f64", 0), 1e-300, 0);
    CHECK(gguf_get_bool(f, "a.bool", false));
    CHECK_STR(gguf_get_str(f, "a.str", NULL), "hello");
    const gguf_kv *arr = gguf_find(f, "a.arr");
    CHECK(gguf_arr_n(arr) == 3 && gguf_arr_int(arr, 1, 0) == -2);
    const gguf_kv *sa = gguf_find(f, "a.strs");
    uint64_t len = 9;
    const char *s = gguf_arr_str(sa, 2, &len);
    CHECK(gguf_arr_n(sa) == 3 && len == 3 && s && !memcmp(s, "h\xc3\xa9", 3));
    CHECK(gguf_arr_str(sa, 1, &len) && len == 0);
    const gguf_tensor *t = gguf_tensor_find(f, "real.weight");
    CHECK(t && t->n_bytes == 256 && !memcmp(t->data, data, 256));
    t = gguf_tensor_find(f, "hole.weight");
    CHECK(t && t->offset % 64 == 0 && t->n_bytes == 3 * 68);
    if (t) {
        const uint8_t *z = t->data;
        int nz = 0;
        for (uint64_t i = 0; i < t->n_bytes; i++) nz += z[i] != 0;
        CHECK_EQ_INT(nz, 0);
    }
    t = gguf_tensor_find(f, "cube.weight");
    CHECK(t && t->n_dims == 3 && t->ne[2] == 2);
    gguf_close(f);
}

/* A 7B-sized hole costs no disk and still passes the strict checks. */
static void test_big_hole(void) {
    char path[512];
    snprintf(path, sizeof path, "%s/big.gguf", t_tmpdir());
    gguf_writer *w = gw_new();
    gw_kv_str(w, "general.architecture", "llama");
    gw_tensor2(w, "token_embd.weight", GGML_TYPE_F16, 4096, 32000, NULL);
    gw_tensor2(w, "huge.weight", GGML_TYPE_F32, 65536, 65536, NULL);
    uint64_t size = 0;
    fc_err e = {0};
    CHECK_MSG(gw_write_file(w, path, &size, &e) == 0, "%s", e.msg);
    gw_free(w);
    CHECK(size > (16ull << 30));
    struct stat st;
    CHECK(stat(path, &st) == 0 && (uint64_t)st.st_size == size && st.st_blocks * 512 < 65536);
    gguf_file *f = gguf_open(path, &e);
    CHECK_MSG(f != NULL, "%s", e.msg);
    gguf_close(f);
}

static void test_errors(void) {
    fc_err e = {0};
    gguf_writer *w = gw_new();
    gw_tensor2(w, "bad.weight", GGML_TYPE_Q4_K, 100, 2, NULL); /* not a multiple of 256 */
    gw_tensor2(w, "ok.weight", GGML_TYPE_F32, 4, 1, NULL);
    CHECK(gw_write_file(w, "/nonexistent/x.gguf", NULL, &e) < 0);
    CHECK_MSG(strstr(e.msg, "bad.weight") && strstr(e.msg, "block"), "%s", e.msg);
    gw_free(w);
    w = gw_new();
    CHECK(gw_write_file(w, "/nonexistent/dir/x.gguf", NULL, &e) < 0);
    CHECK_MSG(strstr(e.msg, "/nonexistent/dir/x.gguf") && strstr(e.msg, "cannot create"), "%s", e.msg);
    gw_free(w);
    gw_free(NULL);
}

int main(void) {
    T_RUN(test_roundtrip);
    T_RUN(test_big_hole);
    T_RUN(test_errors);
    return t_done();
}
