/* gguf_touch — walks every accessor of a parsed gguf_file and reads every
 * byte the accessors point to, checking that each pointer lies inside the
 * parsed buffer. Shared by the libFuzzer target and tests/test_gguf.c, so
 * that "it parsed" always means "and everything it returned is in bounds".
 *
 * gguf_touch_all returns the number of violations found (0 for a sound
 * file) and folds the bytes it read into *sink so the reads are not
 * optimised away. Header-only on purpose: the fuzz build compiles it
 * without the test library.
 */
#ifndef FC_GGUF_TOUCH_H
#define FC_GGUF_TOUCH_H

#include <stdint.h>
#include <string.h>

#include "../src/format/gguf.h"

static inline int gguf_touch_inside(const gguf_file *f, const void *p, uint64_t n) {
    const uint8_t *b = p;
    return b >= f->bytes && (uint64_t)(b - f->bytes) <= f->size && n <= f->size - (uint64_t)(b - f->bytes);
}

static inline int gguf_touch_all(const gguf_file *f, uint64_t *sink) {
    int bad = 0;
    uint64_t h = f->version + f->alignment + f->data_offset + f->data_bytes;
    for (uint64_t i = 0; i < f->n_kv; i++) {
        const gguf_kv *kv = &f->kv[i];
        if (gguf_find(f, kv->key) != kv) bad++;
        if (kv->offset >= f->size) bad++;
        h += (uint64_t)gguf_get_int(f, kv->key, 0);
        double d = gguf_get_float(f, kv->key, 0.0);
        h += d == d;
        h += gguf_get_bool(f, kv->key, false);
        const char *s = gguf_get_str(f, kv->key, NULL);
        if (s) {
            for (uint64_t j = 0; j < kv->str_len; j++) h += (uint8_t)s[j];
            if (s[kv->str_len] != '\0') bad++;
        }
        uint64_t n = gguf_arr_n(kv);
        if (n && !gguf_touch_inside(f, kv->arr_data, 0)) bad++;
        for (uint64_t j = 0; j < n; j++) {
            h += (uint64_t)gguf_arr_int(kv, j, 0);
            double x = gguf_arr_float(kv, j, 0.0);
            h += x == x;
            uint64_t len = 0;
            const char *e = gguf_arr_str(kv, j, &len);
            if (e) {
                if (!gguf_touch_inside(f, e, len)) { bad++; continue; }
                for (uint64_t k = 0; k < len; k++) h += (uint8_t)e[k];
            }
            if (kv->arr_type == GGUF_TYPE_ARRAY || kv->arr_type == GGUF_TYPE_STRING) {
                /* Element j spans [offs[j], offs[j+1]) from arr_data. */
                uint64_t a = kv->arr_offs[j], z = kv->arr_offs[j + 1];
                if (z < a || !gguf_touch_inside(f, kv->arr_data + a, z - a)) { bad++; continue; }
                for (uint64_t k = a; k < z; k++) h += kv->arr_data[k];
            }
        }
        if (n) {
            uint64_t sz = gguf_vtype_size(kv->arr_type);
            if (sz && !gguf_touch_inside(f, kv->arr_data, n * sz)) bad++;
        }
        /* Out of range and wrong-type requests answer the default. */
        if (gguf_arr_int(kv, n, -7) != -7) bad++;
        if (gguf_arr_str(kv, n, NULL) != NULL) bad++;
        (void)gguf_vtype_name(kv->type);
    }
    uint64_t sum = 0;
    for (uint64_t i = 0; i < f->n_tensors; i++) {
        const gguf_tensor *t = &f->tensors[i];
        if (gguf_tensor_find(f, t->name) != t) bad++;
        if (t->n_dims < 1 || t->n_dims > GGUF_MAX_DIMS || t->n_bytes == 0) bad++;
        if (!gguf_touch_inside(f, t->data, t->n_bytes)) { bad++; continue; }
        if ((const uint8_t *)t->data != f->bytes + f->data_offset + t->offset) bad++;
        const uint8_t *d = t->data;
        h += d[0] + d[t->n_bytes - 1];
        sum += t->n_bytes;
    }
    if (sum != f->data_bytes) bad++;
    h += gguf_find(f, "no.such.key") != NULL;
    h += gguf_tensor_find(f, "no.such.tensor") != NULL;
    *sink += h;
    return bad;
}

#endif
