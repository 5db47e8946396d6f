/* tokenizer — text <-> token ids for the vocabularies GGUF files carry.
 *
 * Supported tokenizer.ggml.model values:
 *   "gpt2"  byte-level BPE (GPT-2 byte mapping, ranked merges from
 *           tokenizer.ggml.merges, a pre-tokenizer chosen by tokenizer.ggml.pre:
 *           default, gpt-2/mpt/olmo, llama3/llama-bpe, qwen2, smollm/starcoder/
 *           refact/command-r, falcon, deepseek-llm, deepseek-coder, ...);
 *   "llama" SentencePiece BPE (score-ranked merges, <0xXX> byte fallback,
 *           "▁" for spaces with a leading one when add_space_prefix);
 *   "bert"  WordPiece (lowercased, accents dropped, greedy longest match).
 * The results match llama.cpp's tokenizers and its published test vectors.
 *
 * Ownership: a tokenizer borrows the gguf_file's strings during tok_load only;
 * it copies what it keeps, so the file may be closed afterwards. Strings it
 * returns stay valid until tok_free. Read-only after loading: all functions
 * except tok_free are thread-safe.
 *
 * Errors: tok_load and tok_encode return NULL / -1 and fill err (FC_EINPUT
 * naming the key for unsupported or malformed vocabularies, FC_EFAIL for
 * out of memory). Nothing is printed.
 */
#ifndef FC_TOKENIZER_H
#define FC_TOKENIZER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../format/gguf.h"
#include "../util/err.h"

typedef struct tokenizer tokenizer;

/* Reads the tokenizer.ggml.* keys of f. */
tokenizer *tok_load(const gguf_file *f, fc_err *err);
void tok_free(tokenizer *t); /* NULL ok */

/* Encodes text[0..len). add_bos: prepend BOS (callers pass tok_add_bos(t)
 * normally; ignored when the vocabulary has none). parse_special: recognise
 * the text of control tokens (e.g. "<|im_start|>") in the input and emit
 * their ids; false treats them as plain text. User-defined tokens (type 4)
 * are always recognised, as Hugging Face and llama.cpp do.
 * Returns the count and a malloc'ed array in *out (caller frees; NULL when the
 * count is 0), or -1 with err. */
int tok_encode(const tokenizer *t, const char *text, size_t len, bool add_bos, bool parse_special,
               int32_t **out, fc_err *err);

/* Like tok_encode with parse_special, but literal[i] != 0 marks byte i as message text
 * (literal: len bytes, or NULL for none): a control/unknown token is recognised only where
 * none of the bytes it covers is literal, so a user who types "<|im_start|>" gets those
 * characters as text, not a new turn. The text between recognised tokens is encoded as
 * whole fragments across template/message boundaries (as llama.cpp does), so a prompt
 * without special text in its messages encodes exactly as tok_encode(parse_special=true).
 * User-defined tokens (type 4) are recognised everywhere, as in tok_encode. */
int tok_encode_masked(const tokenizer *t, const char *text, size_t len, const unsigned char *literal, bool add_bos,
                      int32_t **out, fc_err *err);

/* The bytes token id stands for when printing output: byte-level BPE pieces
 * mapped back to raw bytes, SentencePiece "▁" -> " " and "<0x0A>" -> the byte;
 * control/unknown tokens -> "" unless special is true (then their text);
 * user-defined tokens -> their text. Not NUL-terminated in general (a piece may
 * hold a NUL byte): use *len. Out-of-range ids give "". Valid until tok_free. */
const char *tok_piece(const tokenizer *t, int32_t id, bool special, size_t *len);
/* The raw vocabulary string, NUL-terminated ("" for out-of-range ids). */
const char *tok_text(const tokenizer *t, int32_t id);
int32_t tok_n_vocab(const tokenizer *t);
int32_t tok_bos(const tokenizer *t); /* -1 if none */
int32_t tok_eos(const tokenizer *t); /* -1 if none */
int32_t tok_eot(const tokenizer *t); /* end of turn, -1 if none */
/* tokenizer.ggml.add_bos_token, else llama.cpp's default for the model
 * (true for SentencePiece and llama3-style BPE, false for other BPE). */
bool tok_add_bos(const tokenizer *t);
/* End of generation: EOS, EOT, and known end-of-turn tokens like <|im_end|>,
 * <|eot_id|>, <end_of_turn>, <|end|>, <|endoftext|>. */
bool tok_is_eog(const tokenizer *t, int32_t id);
/* Exact vocabulary lookup, -1 if absent. */
int32_t tok_find(const tokenizer *t, const char *text, size_t len);
/* "bpe (smollm)", "spm", ... */
const char *tok_kind(const tokenizer *t);

#endif
