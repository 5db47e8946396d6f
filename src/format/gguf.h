/* gguf — a strict, zero-copy reader of GGUF v2 and v3 files.
 *
 * gguf_parse() works on (bytes, length) and does no I/O; gguf_open() maps a
 * file read-only and parses it. Parsing validates everything before anything
 * is returned: magic, version, every count and length against the end of
 * the buffer, value types, nested arrays, tensor dims (1..4, positive, no
 * overflowing products, multiple of the block size), tensor types, alignment,
 * tensor data inside the file and not overlapping, no duplicate keys or
 * tensor names. Tensor data itself is never read.
 *
 * Errors: FC_EINPUT with "FILE: offset N: what is wrong" for bad files,
 * FC_EFAIL for I/O or memory failures. Messages are always one line: keys
 * and tensor names quoted from the file show control and non-ASCII bytes as
 * \xNN and are cut at 80 characters. Memory use follows the entries actually
 * present, not the counts a header claims.
 *
 * Ownership: a gguf_file owns its mapping (when opened from a path) and all
 * tables. Pointers returned by the accessors (strings, tensor infos, data)
 * stay valid until gguf_close(). Read-only after parsing: the accessors are
 * thread-safe.
 */
#ifndef FC_GGUF_H
#define FC_GGUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../util/err.h"

enum gguf_vtype {
    GGUF_TYPE_UINT8 = 0,
    GGUF_TYPE_INT8 = 1,
    GGUF_TYPE_UINT16 = 2,
    GGUF_TYPE_INT16 = 3,
    GGUF_TYPE_UINT32 = 4,
    GGUF_TYPE_INT32 = 5,
    GGUF_TYPE_FLOAT32 = 6,
    GGUF_TYPE_BOOL = 7,
    GGUF_TYPE_STRING = 8,
    GGUF_TYPE_ARRAY = 9,
    GGUF_TYPE_UINT64 = 10,
    GGUF_TYPE_INT64 = 11,
    GGUF_TYPE_FLOAT64 = 12,
    GGUF_TYPE_COUNT
};

#define GGUF_MAX_DIMS 4
#define GGUF_DEFAULT_ALIGNMENT 32

/* One metadata key/value. Scalars are decoded; arrays point into the buffer. */
typedef struct gguf_kv {
    const char *key;          /* NUL-terminated copy */
    uint32_t type;            /* enum gguf_vtype */
    uint64_t offset;          /* file offset of the key's length field */
    union {
        uint64_t u64;         /* unsigned integer types and bool */
        int64_t i64;          /* signed integer types */
        double f64;           /* FLOAT32 / FLOAT64 */
        const char *str;      /* STRING: NUL-terminated copy (may hold NULs; see len) */
    } v;
    uint64_t str_len;         /* STRING: length in bytes */
    /* ARRAY only: */
    uint32_t arr_type;        /* element type (may itself be ARRAY) */
    uint64_t arr_n;           /* element count */
    const uint8_t *arr_data;  /* first element in the buffer (may be unaligned) */
    const uint64_t *arr_offs; /* STRING or ARRAY elements: offset of each element
                                 from arr_data (n + 1 entries; last is the end) */
} gguf_kv;

typedef struct gguf_tensor {
    const char *name;          /* NUL-terminated copy */
    uint32_t n_dims;           /* 1..4 */
    int64_t ne[GGUF_MAX_DIMS]; /* elements per dim, ne[0] fastest; unused dims are 1 */
    uint32_t type;             /* enum ggml_type */
    uint64_t offset;           /* relative to the data section, as stored */
    uint64_t n_elems;          /* product of ne */
    uint64_t n_bytes;          /* exact bytes from the type table */
    const void *data;          /* into the buffer: data section + offset */
    uint64_t info_offset;      /* file offset of this tensor's info record */
} gguf_tensor;

typedef struct gguf_file {
    const char *path;          /* as given (copy); "<memory>" for gguf_parse without name */
    const uint8_t *bytes;      /* whole file */
    uint64_t size;
    uint32_t version;          /* 2 or 3 */
    uint64_t n_kv;
    gguf_kv *kv;               /* [n_kv] in file order (NULL when n_kv is 0) */
    uint64_t n_tensors;
    gguf_tensor *tensors;      /* [n_tensors] in file order (NULL when n_tensors is 0) */
    uint32_t alignment;        /* general.alignment or 32 */
    uint64_t data_offset;      /* file offset of the data section */
    uint64_t data_bytes;       /* sum of tensor bytes */
    /* private */
    void *priv;
} gguf_file;

/* Parses bytes[0..len). name is used in messages. The buffer must outlive the
 * returned file. Returns NULL and fills err on failure. */
gguf_file *gguf_parse(const void *bytes, uint64_t len, const char *name, fc_err *err);

/* Maps path read-only and parses it. Returns NULL and fills err on failure. */
gguf_file *gguf_open(const char *path, fc_err *err);

/* Frees everything, unmaps if mapped. NULL is accepted. */
void gguf_close(gguf_file *f);

/* Metadata lookup; NULL if absent. */
const gguf_kv *gguf_find(const gguf_file *f, const char *key);

/* Typed getters: the value if the key exists with a compatible type (any
 * integer type for _int, FLOAT32/FLOAT64 or integers for _float, BOOL or an
 * integer for _bool), else def. */
int64_t gguf_get_int(const gguf_file *f, const char *key, int64_t def);
double gguf_get_float(const gguf_file *f, const char *key, double def);
bool gguf_get_bool(const gguf_file *f, const char *key, bool def);
const char *gguf_get_str(const gguf_file *f, const char *key, const char *def);

/* Arrays. gguf_arr_n returns 0 for non-arrays. Element getters convert any
 * numeric element type; out-of-range index or wrong type returns def/NULL. */
uint64_t gguf_arr_n(const gguf_kv *kv);
int64_t gguf_arr_int(const gguf_kv *kv, uint64_t i, int64_t def);
double gguf_arr_float(const gguf_kv *kv, uint64_t i, double def);
/* String element i: pointer into the buffer (NOT NUL-terminated) and length. */
const char *gguf_arr_str(const gguf_kv *kv, uint64_t i, uint64_t *len);

/* Size in bytes of one element of a scalar type, 0 for STRING/ARRAY/unknown. */
uint64_t gguf_vtype_size(uint32_t type);
const char *gguf_vtype_name(uint32_t type);

/* Tensor lookup by exact name; NULL if absent. O(1) average. */
const gguf_tensor *gguf_tensor_find(const gguf_file *f, const char *name);

#endif
