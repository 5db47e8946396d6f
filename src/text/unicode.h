/* unicode — the little Unicode the tokenizers need: UTF-8 decoding that never
 * fails, general-category classes, the White_Space property, and GPT-2's
 * byte <-> code point mapping for byte-level BPE.
 *
 * Category data comes from scripts/gen_unicode_data.py (Python's
 * unicodedata) as sorted run tables in unicode_data.c. All functions are
 * pure and thread-safe; no allocation.
 */
#ifndef FC_UNICODE_H
#define FC_UNICODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* General category classes (first letter of the category), one per code point. */
enum {
    UCP_UNDEFINED = 0, /* Cn: unassigned */
    UCP_LETTER,        /* L* */
    UCP_NUMBER,        /* N* */
    UCP_PUNCT,         /* P* */
    UCP_SYMBOL,        /* S* */
    UCP_MARK,          /* M* */
    UCP_SEPARATOR,     /* Z* */
    UCP_CONTROL,       /* Cc, Cf, Co, Cs */
};

typedef struct ucp_run { uint32_t start; uint8_t cls; } ucp_run;
typedef struct ucp_range { uint32_t first, last; } ucp_range;
typedef struct ucp_pair { uint32_t from, to; } ucp_pair;

extern const ucp_run ucp_runs[];          /* sorted by start; runs[0].start == 0 */
extern const size_t ucp_n_runs;
extern const ucp_range ucp_white_space[]; /* sorted, inclusive */
extern const size_t ucp_n_white_space;
extern const ucp_range ucp_deepseek_llm_letters[];
extern const size_t ucp_n_deepseek_llm_letters;
extern const ucp_pair ucp_lower[];     /* sorted by from */
extern const size_t ucp_n_lower;
extern const ucp_pair ucp_nfd_first[]; /* sorted by from; Hangul syllables excluded */
extern const size_t ucp_n_nfd_first;

/* Category class of cp (UCP_UNDEFINED above 0x10FFFF). */
int ucp_class(uint32_t cp);
bool ucp_is_space(uint32_t cp);   /* Unicode White_Space, what regex \s matches */
static inline bool ucp_is_letter(uint32_t cp) { return ucp_class(cp) == UCP_LETTER; }
static inline bool ucp_is_number(uint32_t cp) { return ucp_class(cp) == UCP_NUMBER; }
static inline bool ucp_is_punct(uint32_t cp) { return ucp_class(cp) == UCP_PUNCT; }
bool ucp_in_ranges(uint32_t cp, const ucp_range *r, size_t n);
/* Simple lowercase (first code point of the full lowercase). */
uint32_t ucp_to_lower(uint32_t cp);
/* First code point of the canonical decomposition (cp itself if none): what
 * llama.cpp's WordPiece "NFD" keeps, which drops accents. */
uint32_t ucp_nfd_first_cp(uint32_t cp);

/* Decodes one code point from s[0..len), len >= 1. Returns the bytes used
 * (1..4). Invalid or truncated sequences decode as U+FFFD using one byte, so
 * every byte of the input belongs to exactly one code point. */
size_t utf8_decode(const char *s, size_t len, uint32_t *cp);
/* Length of the UTF-8 sequence a lead byte announces (1 for invalid leads). */
size_t utf8_len(unsigned char lead);
/* Encodes cp (<= 0x10FFFF) into out[0..4); returns the byte count. */
size_t utf8_encode(uint32_t cp, char *out);

/* GPT-2 byte-level BPE: the printable code point standing for byte b. */
uint32_t bytes_to_unicode(uint8_t b);
/* The inverse: byte for code point cp, or -1 if cp stands for no byte. */
int unicode_to_byte(uint32_t cp);

#endif
