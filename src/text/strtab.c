/* strtab — string index. See strtab.h. */
#include "strtab.h"

#include <stdlib.h>
#include <string.h>

#define FNV_OFFSET 1469598103934665603ull
#define FNV_PRIME 1099511628211ull

static uint64_t fnv(uint64_t h, const char *s, size_t n) {
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * FNV_PRIME;
    return h;
}

static uint64_t hash2(const char *a, size_t an, int sep, const char *b, size_t bn) {
    uint64_t h = fnv(FNV_OFFSET, a, an);
    if (sep >= 0) { char c = (char)sep; h = fnv(h, &c, 1); }
    h = fnv(h, b, bn);
    return h ^ (h >> 29);
}

static bool equal2(const strtab *t, int32_t i, const char *a, size_t an, int sep, const char *b, size_t bn) {
    size_t n = an + (sep >= 0) + bn;
    if (t->len[i] != n) return false;
    const char *s = t->arena + t->off[i];
    if (an && memcmp(s, a, an)) return false;
    if (sep >= 0 && s[an] != (char)sep) return false;
    return !bn || !memcmp(s + an + (sep >= 0), b, bn);
}

bool strtab_build(strtab *t, const char *arena, const uint32_t *off, const uint32_t *len, uint32_t n,
                  bool keep_first) {
    uint64_t cap = 16;
    while (cap < 2ull * n) cap *= 2;
    t->arena = arena; t->off = off; t->len = len;
    t->mask = (uint32_t)(cap - 1);
    t->slot = malloc(cap * sizeof *t->slot);
    if (!t->slot) return false;
    memset(t->slot, 0xFF, cap * sizeof *t->slot);
    for (uint32_t i = 0; i < n; i++) {
        if (!len[i]) continue;
        const char *s = arena + off[i];
        uint32_t h = (uint32_t)hash2(s, len[i], -1, NULL, 0) & t->mask;
        while (t->slot[h] >= 0 && !equal2(t, t->slot[h], s, len[i], -1, NULL, 0)) h = (h + 1) & t->mask;
        if (t->slot[h] < 0 || !keep_first) t->slot[h] = (int32_t)i;
    }
    return true;
}

void strtab_free(strtab *t) {
    if (!t) return;
    free(t->slot);
    t->slot = NULL;
}

int32_t strtab_find2(const strtab *t, const char *a, size_t an, int sep, const char *b, size_t bn) {
    if (!t->slot) return -1;
    uint32_t h = (uint32_t)hash2(a, an, sep, b, bn) & t->mask;
    for (;;) {
        int32_t i = t->slot[h];
        if (i < 0) return -1;
        if (equal2(t, i, a, an, sep, b, bn)) return i;
        h = (h + 1) & t->mask;
    }
}
