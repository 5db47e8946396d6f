/* tok_spm — SentencePiece-style BPE encoding of one text fragment, as
 * llama.cpp's llm_tokenizer_spm_session: spaces become "▁" (with one in
 * front when asked), the text is split into UTF-8 characters, and the
 * adjacent pair whose concatenation is a vocabulary token with the highest
 * score is merged until none is left (leftmost on ties). Characters that
 * never became tokens fall back to <0xXX> byte tokens. */
#include <stdlib.h>
#include <string.h>

#include "tok_internal.h"
#include "unicode.h"

static bool try_pair(const tokenizer *t, const char *buf, tok_sym *syms, tok_heap *h, int32_t left, int32_t right) {
    if (left < 0 || right < 0) return true;
    uint32_t size = syms[left].n + syms[right].n;
    int32_t id = strtab_find(&t->vocab, buf + syms[left].start, size);
    if (id < 0) return true;
    return tok_heap_push(h, (tok_cand){.score = t->score[id], .left = left, .right = right, .size = size});
}

bool spm_encode_fragment(const tokenizer *t, const char *text, size_t len, bool space_prefix, idvec *out) {
    static const char SPACE[] = "\xE2\x96\x81"; /* U+2581 ▁ */
    size_t n_spaces = 0;
    for (size_t i = 0; i < len; i++) n_spaces += text[i] == ' ';
    size_t blen = len + 2 * n_spaces + (space_prefix ? 3 : 0); /* ' ' (1 byte) -> "▁" (3) */
    if (blen == 0) return true;
    bool ok = false;
    char *buf = malloc(blen);
    tok_sym *syms = malloc(blen * sizeof *syms);
    tok_heap h = {0};
    if (!buf || !syms) goto done;
    size_t b = 0;
    if (space_prefix) { memcpy(buf, SPACE, 3); b = 3; }
    for (size_t i = 0; i < len; i++) {
        if (text[i] == ' ') { memcpy(buf + b, SPACE, 3); b += 3; }
        else buf[b++] = text[i];
    }
    int32_t n = 0;
    for (size_t i = 0; i < blen;) {
        /* one symbol per character; a byte that is not valid UTF-8 is a
         * symbol of its own (llama.cpp trusts the lead byte and would swallow
         * the following "▁" into a broken character) */
        uint32_t cp;
        size_t k = utf8_decode(buf + i, blen - i, &cp);
        syms[n] = (tok_sym){(uint32_t)i, (uint32_t)k, n - 1, i + k < blen ? n + 1 : -1};
        n++;
        i += k;
    }
    for (int32_t i = 1; i < n; i++)
        if (!try_pair(t, buf, syms, &h, i - 1, i)) goto done;
    while (h.n) {
        tok_cand c = tok_heap_pop(&h);
        tok_sym *l = &syms[c.left], *r = &syms[c.right];
        if (l->n == 0 || r->n == 0 || l->n + r->n != c.size || l->next != c.right) continue;
        l->n += r->n;
        r->n = 0;
        l->next = r->next;
        if (r->next >= 0) syms[r->next].prev = c.left;
        if (!try_pair(t, buf, syms, &h, l->prev, c.left) || !try_pair(t, buf, syms, &h, c.left, l->next))
            goto done;
    }
    for (int32_t i = 0; i >= 0; i = syms[i].next) {
        int32_t id = strtab_find(&t->vocab, buf + syms[i].start, syms[i].n);
        if (id >= 0) {
            if (!idvec_push(out, id)) goto done;
            continue;
        }
        for (uint32_t j = 0; j < syms[i].n; j++) {
            unsigned char byte = (unsigned char)buf[syms[i].start + j];
            id = t->byte_token[byte] >= 0 ? t->byte_token[byte] : t->unk;
            if (id >= 0 && !idvec_push(out, id)) goto done;
        }
    }
    ok = true;
done:
    free(buf);
    free(syms);
    free(h.v);
    return ok;
}
