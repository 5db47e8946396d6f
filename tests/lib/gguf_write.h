/* gguf_write — writes GGUF v3 files for tests: any metadata (every scalar
 * type, strings, arrays of numbers or strings), a tensor table with any GGML
 * type, aligned data offsets, and tensor data that is either real bytes from
 * a buffer or a hole.
 *
 * A hole is never written: the file is extended with ftruncate, so a file
 * shaped like a 7B model has its true size, passes gguf_open's strict checks
 * (every tensor inside the file, no overlaps) and takes a few KB of disk.
 * Holes read back as zeros.
 *
 * Usage: gw_new(); gw_kv_*(...) and gw_tensor(...) in file order; then
 * gw_write_file(); gw_free(). Calls record the first error (out of memory,
 * bad type, row not a multiple of the block) and gw_write_file() reports it,
 * so a fixture builder can chain calls and check once.
 *
 * Ownership: keys, names and strings are copied. Tensor data pointers are
 * BORROWED until gw_write_file() returns. Not thread-safe per writer.
 */
#ifndef FC_GGUF_WRITE_H
#define FC_GGUF_WRITE_H

#include <stdbool.h>
#include <stdint.h>

#include "../../src/util/err.h"

typedef struct gguf_writer gguf_writer;

gguf_writer *gw_new(void);
void gw_free(gguf_writer *w); /* NULL is accepted */

/* Data alignment (power of two); also written as general.alignment (u32)
 * unless it is the default 32. Call before the first gw_tensor. */
void gw_set_alignment(gguf_writer *w, uint32_t alignment);

/* Metadata. Values are written in call order. */
void gw_kv_u8(gguf_writer *w, const char *key, uint8_t v);
void gw_kv_i8(gguf_writer *w, const char *key, int8_t v);
void gw_kv_u16(gguf_writer *w, const char *key, uint16_t v);
void gw_kv_i16(gguf_writer *w, const char *key, int16_t v);
void gw_kv_u32(gguf_writer *w, const char *key, uint32_t v);
void gw_kv_i32(gguf_writer *w, const char *key, int32_t v);
void gw_kv_u64(gguf_writer *w, const char *key, uint64_t v);
void gw_kv_i64(gguf_writer *w, const char *key, int64_t v);
void gw_kv_f32(gguf_writer *w, const char *key, float v);
void gw_kv_f64(gguf_writer *w, const char *key, double v);
void gw_kv_bool(gguf_writer *w, const char *key, bool v);
void gw_kv_str(gguf_writer *w, const char *key, const char *v);
/* Array of n scalars of GGUF type elem_type (enum gguf_vtype, not STRING or
 * ARRAY), packed little-endian in data (n * gguf_vtype_size bytes). */
void gw_kv_arr(gguf_writer *w, const char *key, uint32_t elem_type, uint64_t n, const void *data);
/* Array of n strings; lens may be NULL for NUL-terminated strings. */
void gw_kv_arr_str(gguf_writer *w, const char *key, uint64_t n, const char *const *strs, const uint64_t *lens);
/* Raw escape hatch for hostile-file tests: appends bytes to the metadata
 * section and counts one key/value. */
void gw_kv_raw(gguf_writer *w, const void *bytes, uint64_t n);

/* A tensor of ggml type `type` with n_dims dims ne[0..n_dims) (ne[0] fastest).
 * data: n_bytes of real tensor data (borrowed), or NULL for a hole. */
void gw_tensor(gguf_writer *w, const char *name, uint32_t type, uint32_t n_dims, const int64_t *ne, const void *data);
/* 2-D shorthand: a matrix of rows of ne0 elements, ne1 rows. */
void gw_tensor2(gguf_writer *w, const char *name, uint32_t type, int64_t ne0, int64_t ne1, const void *data);

/* Writes the file (header, metadata, tensor infos, padding, real data,
 * holes). Returns 0, or -1 with err filled (the first recorded error, or the
 * I/O error naming the path). *file_size gets the file's size if not NULL. */
int gw_write_file(gguf_writer *w, const char *path, uint64_t *file_size, fc_err *err);

/* Bytes of the tensors added so far (sum of exact sizes, no padding). */
uint64_t gw_data_bytes(const gguf_writer *w);

#endif
