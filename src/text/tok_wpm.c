/* tok_wpm — WordPiece encoding of one text fragment (BERT), as llama.cpp's
 * llm_tokenizer_wpm_session: lowercase, reduce each code point to the first
 * of its canonical decomposition (dropping accents), drop control
 * characters, split at whitespace and around punctuation, ASCII symbols and
 * CJK ideographs; then cover each word "▁word" greedily with the longest
 * vocabulary tokens, or emit the unknown token for the word when that fails. */
#include <stdlib.h>
#include <string.h>

#include "tok_internal.h"
#include "unicode.h"

static bool is_chinese_char(uint32_t c) {
    return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF) ||
           (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) ||
           (c >= 0x2B920 && c <= 0x2CEAF) || /* sic: 0x2B920, as Hugging Face's code */
           (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

/* Covers "▁" + word[0..n) with the longest tokens, left to right. */
static bool encode_word(const tokenizer *t, char *buf, size_t n, idvec *out) {
    size_t start = out->n;
    for (size_t i = 0; i < n;) {
        size_t j = n - i > t->max_token_len ? i + t->max_token_len : n;
        int32_t id = -1;
        for (; j > i && (id = strtab_find(&t->vocab, buf + i, j - i)) < 0; j--) {}
        if (id < 0) { out->n = start; break; } /* one gap spoils the word */
        if (!idvec_push(out, id)) return false;
        i = j;
    }
    if (out->n == start && t->unk >= 0) return idvec_push(out, t->unk);
    return true;
}

bool wpm_encode_fragment(const tokenizer *t, const char *text, size_t len, idvec *out) {
    static const char SPACE[] = "\xE2\x96\x81"; /* U+2581 ▁, the word-start mark */
    char *buf = malloc(4 * len + 3); /* lowercase/decomposed UTF-8 stays within 4 bytes per input byte */
    if (!buf) return false;
    size_t n = 0; /* bytes of the current word after its "▁" */
    memcpy(buf, SPACE, 3);
    bool ok = true;
    for (size_t i = 0; i < len && ok;) {
        uint32_t cp;
        i += utf8_decode(text + i, len - i, &cp);
        int cls = ucp_class(cp);
        if (ucp_is_space(cp)) {
            if (n) ok = encode_word(t, buf, 3 + n, out);
            n = 0;
            continue;
        }
        if (cp == 0 || cp == 0xFFFD || cls == UCP_CONTROL) continue;
        uint32_t c = ucp_nfd_first_cp(cp);
        cls = ucp_class(c);
        c = ucp_to_lower(c);
        if (cls == UCP_PUNCT || (c < 0x7F && cls == UCP_SYMBOL) || is_chinese_char(c)) {
            if (n) ok = encode_word(t, buf, 3 + n, out);
            n = utf8_encode(c, buf + 3);
            if (ok) ok = encode_word(t, buf, 3 + n, out);
            n = 0;
            continue;
        }
        n += utf8_encode(c, buf + 3 + n);
    }
    if (ok && n) ok = encode_word(t, buf, 3 + n, out);
    free(buf);
    return ok;
}
