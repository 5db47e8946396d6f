/* tok_heap — the queue of candidate merges shared by the BPE (tok_bpe.c) and
 * SentencePiece (tok_spm.c) encoders: a binary min-heap on tok_cand_before. */
#include <stdlib.h>

#include "tok_internal.h"

/* Highest score first, then lowest rank, then leftmost. BPE candidates all
 * score 0 and SentencePiece ones all rank 0, so each encoder sees only its
 * own order. A NaN score is never before anything, as in llama.cpp. */
static bool tok_cand_before(const tok_cand *a, const tok_cand *b) {
    return a->score > b->score ||
           (a->score == b->score && (a->rank < b->rank || (a->rank == b->rank && a->left < b->left)));
}

bool tok_heap_push(tok_heap *h, tok_cand c) {
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 64;
        tok_cand *v = realloc(h->v, cap * sizeof *v);
        if (!v) return false;
        h->v = v;
        h->cap = cap;
    }
    size_t i = h->n++;
    while (i > 0) {
        size_t up = (i - 1) / 2;
        if (!tok_cand_before(&c, &h->v[up])) break;
        h->v[i] = h->v[up];
        i = up;
    }
    h->v[i] = c;
    return true;
}

tok_cand tok_heap_pop(tok_heap *h) {
    tok_cand top = h->v[0], last = h->v[--h->n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= h->n) break;
        if (c + 1 < h->n && tok_cand_before(&h->v[c + 1], &h->v[c])) c++;
        if (!tok_cand_before(&h->v[c], &last)) break;
        h->v[i] = h->v[c];
        i = c;
    }
    if (h->n) h->v[i] = last;
    return top;
}
