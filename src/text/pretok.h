/* pretok — byte-level BPE pre-tokenizers: split text into the words that BPE
 * merges never cross, exactly as the regex lists of llama.cpp's
 * llm_tokenizer_bpe do for each tokenizer.ggml.pre type.
 *
 * Each regex is a hand-written matcher over code points. Like llama.cpp, the
 * regexes of a type run one after another: every regex splits each fragment
 * left by the previous one into its matches and the gaps between them (gaps
 * are kept as fragments too). Lookarounds and `$` see only the fragment.
 *
 * Pure functions; output arrays are malloc'ed and owned by the caller.
 */
#ifndef FC_PRETOK_H
#define FC_PRETOK_H

#include <stddef.h>
#include <stdint.h>

enum pretok_type {
    PRETOK_DEFAULT,        /* no or unknown-but-empty pre: llama.cpp's fallback list */
    PRETOK_GPT2,           /* gpt-2, mpt, olmo, jais, roberta-bpe, ... */
    PRETOK_LLAMA3,         /* llama3 / llama-bpe, dbrx, smaug-bpe, falcon3 */
    PRETOK_QWEN2,          /* qwen2, stablelm2, deepseek-r1-qwen: llama3 with single digits */
    PRETOK_STARCODER,      /* starcoder, refact, smollm, command-r, codeshell, exaone */
    PRETOK_FALCON,
    PRETOK_DEEPSEEK_LLM,
    PRETOK_DEEPSEEK_CODER,
};

/* A fragment: code points [start, end) of the text. */
typedef struct pretok_span { uint32_t start, end; } pretok_span;

/* Splits cp[0..n) into *out (count returned, >= 0; 0 for n == 0), or -1 when
 * out of memory. */
long pretok_split(enum pretok_type type, const uint32_t *cp, size_t n, pretok_span **out);

#endif
