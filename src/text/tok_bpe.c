/* tok_bpe — byte-level BPE encoding of one text fragment: pre-tokenize into
 * words, map each word's bytes to GPT-2 stand-in characters, then apply the
 * ranked merges (lowest rank first, leftmost on ties) as llama.cpp's
 * llm_tokenizer_bpe_session does, with a binary heap of candidate pairs. */
#include <stdlib.h>
#include <string.h>

#include "tok_internal.h"
#include "unicode.h"

bool idvec_push(idvec *o, int32_t id) {
    if (o->n == o->cap) {
        size_t cap = o->cap ? o->cap * 2 : 256;
        int32_t *v = realloc(o->v, cap * sizeof *v);
        if (!v) return false;
        o->v = v;
        o->cap = cap;
    }
    o->v[o->n++] = id;
    return true;
}

typedef struct work {
    char *mapped; size_t mapped_cap;
    tok_sym *syms; size_t syms_cap;
    tok_heap heap;
} work;

static bool try_pair(const tokenizer *t, work *w, int32_t left, int32_t right) {
    if (left < 0 || right < 0) return true;
    const tok_sym *l = &w->syms[left], *r = &w->syms[right];
    int32_t rank = strtab_find2(&t->merges, w->mapped + l->start, l->n, ' ', w->mapped + r->start, r->n);
    if (rank < 0) return true;
    return tok_heap_push(&w->heap, (tok_cand){.rank = rank, .left = left, .right = right, .size = l->n + r->n});
}

static bool emit_symbol(const tokenizer *t, const work *w, const tok_sym *s, idvec *out) {
    int32_t id = strtab_find(&t->vocab, w->mapped + s->start, s->n);
    if (id >= 0) return idvec_push(out, id);
    /* Not a token (an incomplete vocabulary): fall back to the characters,
     * dropping any the vocabulary lacks, as llama.cpp does. */
    for (uint32_t i = 0; i < s->n;) {
        size_t n = utf8_len((unsigned char)w->mapped[s->start + i]);
        if (n > s->n - i) n = s->n - i;
        id = strtab_find(&t->vocab, w->mapped + s->start + i, n);
        if (id >= 0 && !idvec_push(out, id)) return false;
        i += (uint32_t)n;
    }
    return true;
}

static bool encode_word(const tokenizer *t, work *w, const unsigned char *bytes, size_t n, idvec *out) {
    if (2 * n > w->mapped_cap) {
        char *m = realloc(w->mapped, 2 * n);
        if (!m) return false;
        w->mapped = m;
        w->mapped_cap = 2 * n;
    }
    if (n > w->syms_cap) {
        tok_sym *s = realloc(w->syms, n * sizeof *s);
        if (!s) return false;
        w->syms = s;
        w->syms_cap = n;
    }
    uint32_t m = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t k = t->byte_utf8_len[bytes[i]];
        w->syms[i] = (tok_sym){m, k, (int32_t)i - 1, i + 1 < n ? (int32_t)i + 1 : -1};
        memcpy(w->mapped + m, t->byte_utf8[bytes[i]], k);
        m += k;
    }
    if (t->ignore_merges) {
        int32_t id = strtab_find(&t->vocab, w->mapped, m);
        if (id >= 0) return idvec_push(out, id);
    }
    w->heap.n = 0;
    for (size_t i = 1; i < n; i++)
        if (!try_pair(t, w, (int32_t)i - 1, (int32_t)i)) return false;
    while (w->heap.n) {
        tok_cand p = tok_heap_pop(&w->heap);
        tok_sym *l = &w->syms[p.left], *r = &w->syms[p.right];
        /* stale: one side was merged away or grew since the pair was queued */
        if (l->n == 0 || r->n == 0 || l->n + r->n != p.size || l->next != p.right) continue;
        l->n += r->n;
        r->n = 0;
        l->next = r->next;
        if (r->next >= 0) w->syms[r->next].prev = p.left;
        if (!try_pair(t, w, l->prev, p.left) || !try_pair(t, w, p.left, l->next)) return false;
    }
    for (int32_t i = 0; i >= 0; i = w->syms[i].next)
        if (!emit_symbol(t, w, &w->syms[i], out)) return false;
    return true;
}

bool bpe_encode_fragment(const tokenizer *t, const char *text, size_t len, idvec *out) {
    if (len == 0) return true;
    bool ok = false;
    uint32_t *cp = malloc(len * sizeof *cp);
    uint32_t *off = malloc((len + 1) * sizeof *off); /* byte offset of each code point */
    pretok_span *words = NULL;
    work w = {0};
    if (!cp || !off) goto done;
    size_t n = 0;
    for (size_t i = 0; i < len;) {
        off[n] = (uint32_t)i;
        i += utf8_decode(text + i, len - i, &cp[n]);
        n++;
    }
    off[n] = (uint32_t)len;
    long n_words = pretok_split(t->pre, cp, n, &words);
    if (n_words < 0) goto done;
    for (long i = 0; i < n_words; i++) {
        uint32_t a = off[words[i].start], b = off[words[i].end];
        if (!encode_word(t, &w, (const unsigned char *)text + a, b - a, out)) goto done;
    }
    ok = true;
done:
    free(cp);
    free(off);
    free(words);
    free(w.mapped);
    free(w.syms);
    free(w.heap.v);
    return ok;
}
