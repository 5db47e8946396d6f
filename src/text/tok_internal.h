/* tok_internal — the tokenizer struct shared by tokenizer.c (loading, API)
 * and the encoders tok_bpe.c, tok_spm.c, tok_wpm.c. Not a public header. */
#ifndef FC_TOK_INTERNAL_H
#define FC_TOK_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pretok.h"
#include "strtab.h"
#include "tokenizer.h"

/* tokenizer.ggml.token_type values (llama.cpp's llama_token_type) */
enum {
    TT_UNDEFINED = 0, TT_NORMAL = 1, TT_UNKNOWN = 2, TT_CONTROL = 3,
    TT_USER_DEFINED = 4, TT_UNUSED = 5, TT_BYTE = 6,
};

enum tok_model { TOK_BPE, TOK_SPM, TOK_WPM };

/* A growable id list for the encoders. */
typedef struct idvec { int32_t *v; size_t n, cap; } idvec;
bool idvec_push(idvec *o, int32_t id);

/* The merge loop of the BPE and SentencePiece encoders (tok_heap.c). A
 * symbol is a run of the fragment's bytes linked to its live neighbours
 * (-1 at the ends); a candidate is a merge of symbols left and right
 * (adjacent when queued) into size bytes. BPE ranks its candidates (lowest
 * first, score 0), SentencePiece scores them (highest first, rank 0); ties go
 * to the leftmost. */
typedef struct tok_sym { uint32_t start, n; int32_t prev, next; } tok_sym;
typedef struct tok_cand { float score; int32_t rank, left, right; uint32_t size; } tok_cand;
typedef struct tok_heap { tok_cand *v; size_t n, cap; } tok_heap; /* zero-init; free(v) */
bool tok_heap_push(tok_heap *h, tok_cand c); /* false when out of memory */
tok_cand tok_heap_pop(tok_heap *h);          /* the best candidate; h->n > 0 */

struct tokenizer {
    enum tok_model model;
    enum pretok_type pre;
    char kind[96];
    int32_t n_vocab;
    /* vocabulary strings, each NUL-terminated in text_arena */
    char *text_arena;
    uint32_t *text_off, *text_len; /* [n_vocab] */
    uint8_t *type;                 /* [n_vocab] TT_* */
    float *score;                  /* [n_vocab] SentencePiece scores (0 if absent) */
    strtab vocab;                  /* text -> id */
    /* printable pieces (see tok_piece) */
    char *piece_arena;
    uint32_t *piece_off, *piece_len; /* [n_vocab] */
    /* byte-level BPE */
    char *merge_arena;
    uint32_t *merge_off, *merge_len; /* [n_merges] "left right" */
    uint32_t n_merges;
    strtab merges;                   /* "left right" -> rank */
    char byte_utf8[256][2];          /* GPT-2 stand-in of each byte, UTF-8 */
    uint8_t byte_utf8_len[256];
    bool ignore_merges;              /* llama3: a word that is a token is kept whole */
    /* SentencePiece */
    int32_t byte_token[256];         /* <0xXX> ids, -1 if absent */
    bool add_space_prefix;
    /* WordPiece */
    size_t max_token_len;            /* longest vocabulary string, bytes */
    /* special tokens recognised in text, longest text first */
    int32_t *specials;
    size_t n_specials;
    int32_t bos, eos, eot, unk;
    bool add_bos;
    uint8_t *eog;                    /* [n_vocab] 1 = end of generation */
};

/* Encoders for one raw fragment (no special tokens inside). Append to out.
 * Return false only when out of memory. */
bool bpe_encode_fragment(const tokenizer *t, const char *text, size_t len, idvec *out);
bool spm_encode_fragment(const tokenizer *t, const char *text, size_t len, bool space_prefix, idvec *out);
bool wpm_encode_fragment(const tokenizer *t, const char *text, size_t len, idvec *out);

#endif
