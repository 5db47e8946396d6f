/* strtab — an open-addressing hash index from byte strings to the indices of
 * a string table (an arena plus per-string offset and length), used for
 * vocabulary and merge lookups. Keys may be given in two parts joined by an
 * optional separator byte, so "left right" merge keys need no copying.
 * Not thread-safe while building; lookups are read-only.
 */
#ifndef FC_STRTAB_H
#define FC_STRTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct strtab {
    const char *arena;     /* borrowed: the strings */
    const uint32_t *off;   /* borrowed: [n] offset of string i in arena */
    const uint32_t *len;   /* borrowed: [n] length of string i */
    int32_t *slot;         /* [mask + 1] string index or -1 */
    uint32_t mask;
} strtab;

/* Indexes strings 0..n-1. Of equal strings the first is kept if keep_first,
 * else the last. Empty strings are not indexed. false if out of memory. */
bool strtab_build(strtab *t, const char *arena, const uint32_t *off, const uint32_t *len, uint32_t n,
                  bool keep_first);
void strtab_free(strtab *t);
/* Index of the string equal to a[0..an) + sep + b[0..bn) (sep < 0: none), or -1. */
int32_t strtab_find2(const strtab *t, const char *a, size_t an, int sep, const char *b, size_t bn);
static inline int32_t strtab_find(const strtab *t, const char *s, size_t n) {
    return strtab_find2(t, s, n, -1, NULL, 0);
}

#endif
