/* Unit tests for src/util: byte sizes, errors, the type table, atomic writes. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../src/format/ggml_types.h"
#include "../src/util/err.h"
#include "../src/util/file.h"
#include "../src/util/fmt.h"
#include "lib/t.h"

static void test_parse_bytes(void) {
    uint64_t v;
    CHECK(parse_bytes("8GiB", &v) == 0); CHECK_EQ_U64(v, 8ull << 30);
    CHECK(parse_bytes("857MiB", &v) == 0); CHECK_EQ_U64(v, 857ull << 20);
    CHECK(parse_bytes("1.5G", &v) == 0); CHECK_EQ_U64(v, 3ull << 29);
    CHECK(parse_bytes("512k", &v) == 0); CHECK_EQ_U64(v, 512ull << 10);
    CHECK(parse_bytes("1024", &v) == 0); CHECK_EQ_U64(v, 1024);
    CHECK(parse_bytes("12 GB", &v) == 0); CHECK_EQ_U64(v, 12ull << 30);
    CHECK(parse_bytes("", &v) < 0);
    CHECK(parse_bytes("-1G", &v) < 0);
    CHECK(parse_bytes("8X", &v) < 0);
    CHECK(parse_bytes("8GiBs", &v) < 0);
    CHECK(parse_bytes("1e30G", &v) < 0);
}

static void test_fmt_bytes(void) {
    char b[32];
    CHECK_STR(fmt_bytes(b, sizeof b, 512), "512 B");
    CHECK_STR(fmt_bytes(b, sizeof b, 3ull << 29), "1.50 GiB");
    CHECK_STR(fmt_bytes(b, sizeof b, 128ull << 20), "128 MiB");
}

static void test_err(void) {
    fc_err e = {0};
    CHECK(fc_errf(&e, FC_EINPUT, "bad %d", 7) == -1);
    CHECK_STR(e.msg, "bad 7");
    CHECK_EQ_INT(e.code, FC_EINPUT);
    fc_err_prefix(&e, "file %s", "x.gguf");
    CHECK_STR(e.msg, "file x.gguf: bad 7");
    CHECK(fc_errf(NULL, FC_EINPUT, "dropped") == -1);
}

/* Block sizes as published in ggml-common.h's block structs, computed here
 * from the struct fields rather than copied from the table. */
static void test_type_table(void) {
    const int f16 = 2;
    struct { int id; unsigned elems, bytes; } want[] = {
        {GGML_TYPE_Q4_0, 32, f16 + 16}, {GGML_TYPE_Q4_1, 32, 2 * f16 + 16},
        {GGML_TYPE_Q5_0, 32, f16 + 4 + 16}, {GGML_TYPE_Q5_1, 32, 2 * f16 + 4 + 16},
        {GGML_TYPE_Q8_0, 32, f16 + 32},
        {GGML_TYPE_Q2_K, 256, 16 + 64 + 2 * f16}, {GGML_TYPE_Q3_K, 256, 32 + 64 + 12 + f16},
        {GGML_TYPE_Q4_K, 256, 2 * f16 + 12 + 128}, {GGML_TYPE_Q5_K, 256, 2 * f16 + 12 + 32 + 128},
        {GGML_TYPE_Q6_K, 256, 128 + 64 + 16 + f16}, {GGML_TYPE_Q8_K, 256, 4 + 256 + 16 * 2},
        {GGML_TYPE_IQ4_NL, 32, f16 + 16}, {GGML_TYPE_IQ4_XS, 256, f16 + 2 + 4 + 128},
        {GGML_TYPE_F32, 1, 4}, {GGML_TYPE_BF16, 1, 2}, {GGML_TYPE_F64, 1, 8},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const ggml_type_info *t = ggml_type_get(want[i].id);
        CHECK_MSG(t && t->block_elems == want[i].elems && t->block_bytes == want[i].bytes,
                  "type %d: table says %u/%u, struct layout %u/%u", want[i].id,
                  t ? t->block_elems : 0, t ? t->block_bytes : 0, want[i].elems, want[i].bytes);
    }
    CHECK(ggml_type_get(4) == NULL);   /* retired Q4_2 */
    CHECK(ggml_type_get(31) == NULL);  /* retired Q4_0_4_4 */
    CHECK(ggml_type_get(1000) == NULL);
    CHECK_EQ_INT(ggml_type_from_name("q8_0"), GGML_TYPE_Q8_0);
    CHECK_EQ_INT(ggml_type_from_name("nope"), -1);
    CHECK_EQ_U64(ggml_row_bytes(GGML_TYPE_Q4_1, 576), 18 * 20);
    CHECK_EQ_U64(ggml_row_bytes(GGML_TYPE_Q4_1, 100), 0);
}

/* fc_write_file_atomic: a file keeps its permissions, a link is written through, and what is
 * not a regular file is refused and left as it was. */
static void test_write_atomic(void) {
    const char *dir = t_tmpdir();
    char f[512], link[512], fifo[512], sub[512];
    snprintf(f, sizeof f, "%s/priv.json", dir);
    snprintf(link, sizeof link, "%s/link.json", dir);
    snprintf(fifo, sizeof fifo, "%s/fifo", dir);
    snprintf(sub, sizeof sub, "%s/folder", dir);
    fc_err e = {0};
    CHECK(fc_write_file_atomic(f, "one", 3, &e) == 0);
    CHECK(chmod(f, 0604) == 0); /* no umask gives this by itself */
    CHECK_MSG(fc_write_file_atomic(f, "two", 3, &e) == 0, "%s", e.msg);
    struct stat st;
    CHECK(stat(f, &st) == 0 && (st.st_mode & 0777) == 0604 && st.st_size == 3);
    CHECK(symlink("priv.json", link) == 0);
    CHECK_MSG(fc_write_file_atomic(link, "three", 5, &e) == 0, "%s", e.msg);
    CHECK(lstat(link, &st) == 0 && S_ISLNK(st.st_mode));
    CHECK(stat(f, &st) == 0 && st.st_size == 5 && (st.st_mode & 0777) == 0604);
    /* a link to nothing is refused, not replaced by a file */
    char dangling[512];
    snprintf(dangling, sizeof dangling, "%s/dangling.json", dir);
    CHECK(symlink("nowhere/none.json", dangling) == 0);
    CHECK(fc_write_file_atomic(dangling, "x", 1, &e) < 0 && strstr(e.msg, "does not exist"));
    CHECK(lstat(dangling, &st) == 0 && S_ISLNK(st.st_mode));
    unlink(dangling);
    CHECK(mkfifo(fifo, 0600) == 0);
    CHECK(fc_write_file_atomic(fifo, "x", 1, &e) < 0 && e.code == FC_EINPUT && strstr(e.msg, "FIFO"));
    CHECK(lstat(fifo, &st) == 0 && S_ISFIFO(st.st_mode));
    CHECK(mkdir(sub, 0700) == 0);
    CHECK(fc_write_file_atomic(sub, "x", 1, &e) < 0 && strstr(e.msg, "directory"));
    CHECK(lstat(sub, &st) == 0 && S_ISDIR(st.st_mode));
    unlink(link);
    unlink(f);
    unlink(fifo);
    rmdir(sub);
}

int main(void) {
    T_RUN(test_parse_bytes);
    T_RUN(test_fmt_bytes);
    T_RUN(test_err);
    T_RUN(test_type_table);
    T_RUN(test_write_atomic);
    return t_done();
}
