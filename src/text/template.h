/* template — chat templates: a conversation to the prompt text a chat model was trained on.
 *
 * fitchat has no Jinja interpreter (like llama.cpp's llm_chat_apply_template): it recognises
 * the family of a model's `tokenizer.chat_template` by its distinctive markers and renders
 * that family's published format in C. The output equals what the published Jinja template
 * produces, with one convention (llama.cpp's): the text never starts with the BOS token,
 * because the tokenizer adds it (tokenizer.ggml.add_bos_token). BOS text that a template
 * emits *inside* the conversation (Llama-2's "<s>" before each later [INST]) is kept, and
 * the tokenizer must parse special tokens in it.
 *
 *   kind     format (S system, U user, A assistant)                   leading BOS
 *   chatml   <|im_start|>role\nX<|im_end|>\n ... <|im_start|>assistant\n   none (SmolLM2, Qwen)
 *   llama2   [INST] <<SYS>>\nS\n<</SYS>>\n\nU [/INST] A </s><s>[INST] U [/INST]
 *                                       (content stripped)               <s> by the tokenizer
 *   mistral  [INST] S\n\nU [/INST]A</s>[INST] U [/INST]  (v0.1; S folded) <s> by the tokenizer
 *   llama3   <|start_header_id|>role<|end_header_id|>\n\nX<|eot_id|> (content trimmed)
 *                                                                        <|begin_of_text|> by the tokenizer
 *   gemma    <start_of_turn>user\nS\n\nU<end_of_turn>\n<start_of_turn>model\nA<end_of_turn>\n
 *            (no system role: S folded into the first user turn as Gemma 3 does; U, A trimmed)
 *                                                                        <bos> by the tokenizer
 *   phi3     <|system|>\nS<|end|>\n<|user|>\nU<|end|>\n<|assistant|>\nA<|end|>\n
 *                                                                        <s> by the tokenizer
 *   zephyr   <|system|>\nS</s>\n<|user|>\nU</s>\n<|assistant|>\nA</s>\n   <s> by the tokenizer
 *
 * llama2 and mistral have no generation prompt: the text after the last user turn already
 * ends with "[/INST]", so add_generation_prompt changes nothing for them.
 *
 * Pure functions, no global state, thread-safe. tmpl_render allocates its output (caller
 * frees); errors are reported through fc_err (FC_EINPUT for bad input).
 */
#ifndef FC_TEMPLATE_H
#define FC_TEMPLATE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "../util/err.h"
#include "jinja.h"

enum tmpl_kind {
    TMPL_CHATML,
    TMPL_LLAMA2,  /* [INST] with a <<SYS>> block */
    TMPL_MISTRAL, /* [INST], system prompt folded into the first user turn */
    TMPL_LLAMA3,
    TMPL_GEMMA,
    TMPL_PHI3,
    TMPL_ZEPHYR,
    TMPL_COUNT
};

typedef enum tmpl_role { TMPL_SYSTEM, TMPL_USER, TMPL_ASSISTANT } tmpl_role;

typedef struct tmpl_msg {
    tmpl_role role;
    const char *content; /* UTF-8, NUL-terminated, borrowed */
} tmpl_msg;

/* Recognises the family of a Jinja chat template by its markers:
 *   <|im_start|> chatml, <|start_header_id|> llama3, <start_of_turn> gemma,
 *   <|user|> with <|end|> phi3, <|user|> with </s> or eos_token zephyr,
 *   [INST] with <<SYS>> llama2, [INST] alone mistral.
 * NULL, empty or unrecognised text gives TMPL_CHATML with *guessed = true (the caller
 * warns); otherwise *guessed = false. guessed may be NULL. */
enum tmpl_kind tmpl_detect(const char *jinja, bool *guessed);

/* The system prompt a ChatML template inserts when the conversation has none (SmolLM2: "You
 * are a helpful AI assistant named SmolLM, trained by Hugging Face"; Qwen2.5 has one too):
 * the literal text of a '<|im_start|>system' + newline ... '<|im_end|>' block in jinja, with
 * Jinja's \n escapes undone. Returns a malloc'd string (caller frees), or NULL if there is
 * none (or out of memory). The chat passes it as the system message when the user set no
 * SYSTEM_PROMPT, so that the prompt equals what the model's own template renders. */
char *tmpl_default_system(const char *jinja);

/* The kind named by a MODEL_TYPE value ("chatml", "llama2", "mistral", "llama3", "gemma",
 * "phi3", "zephyr"; case-insensitive). Returns 0, or -1 with FC_EINPUT naming the valid ones. */
int tmpl_from_name(const char *name, enum tmpl_kind *out, fc_err *err);

/* The name tmpl_from_name accepts for kind ("?" if out of range). */
const char *tmpl_name(enum tmpl_kind kind);

/* "chatml, llama2, mistral, llama3, gemma, phi3, zephyr", for help and error texts. */
const char *tmpl_names(void);

/* Renders msgs[0..n) to *out (malloc'd, caller frees; NULL on failure). Messages may come in
 * any order for chatml, llama3, phi3 and zephyr. For llama2, mistral and gemma a system
 * message must come before the first user turn (it is folded into that turn); elsewhere it is
 * an FC_EINPUT error. add_generation_prompt appends the opening of the assistant's turn. */
int tmpl_render(enum tmpl_kind kind, const tmpl_msg *msgs, int n, bool add_generation_prompt,
                char **out, fc_err *err);

/* tmpl_render with the literal mask: *literal (if not NULL; malloc'd, *len bytes, caller
 * frees) is 1 on the bytes that came from message text, 0 on the family's own markers, for
 * tok_encode_masked. */
int tmpl_render_masked(enum tmpl_kind kind, const tmpl_msg *msgs, int n, bool add_generation_prompt,
                       char **out, unsigned char **literal, size_t *len, fc_err *err);

/* The family of a model by its general.architecture, for a GGUF without a chat template
 * (gemma, gemma2, gemma3 -> gemma; phi3 -> phi3; qwen2, qwen3, smollm3 -> chatml). Unknown
 * architectures give chatml with *known = false. */
enum tmpl_kind tmpl_from_arch(const char *arch, bool *known);

/* ---- the chat's template: the model's own Jinja template, else a built-in family ---- */

typedef struct tmpl_chat {
    enum tmpl_kind kind;  /* the built-in family: the fallback, and its stop strings */
    jinja_tmpl *jinja;    /* the Jinja template rendered, or NULL: the family is */
    char *bos, *eos;      /* bos_token / eos_token given to the template (owned) */
    char source[512];     /* where the Jinja template came from ("tokenizer.chat_template", a file) */
    char warning[1200];   /* why the Jinja template is not (or no longer) used; "" if it is */
    char failure[1024];   /* the template's own error behind warning ("NAME line N: msg") */
    time_t now;           /* strftime_now's time; 0: the clock at each rendering */
} tmpl_chat;

/* Sets up t: src[0..len) (NULL: none) is parsed and test-rendered with one user message;
 * if either fails, t->warning says why (naming source and the construct) and the family
 * kind is used instead. Never fails except out of memory (-1 with err). bos / eos may be
 * NULL (""). */
int tmpl_chat_init(tmpl_chat *t, const char *src, size_t len, const char *source, enum tmpl_kind kind,
                   const char *bos, const char *eos, fc_err *err);
void tmpl_chat_free(tmpl_chat *t); /* NULL ok */

/* Renders the conversation with the Jinja template (messages as {role, content} with roles
 * "system", "user", "assistant"; add_generation_prompt; bos_token; eos_token; tools and
 * documents as none, as Hugging Face passes them) or the family.
 * If the Jinja template fails (raise_exception, an unsupported construct), t->warning is
 * set and the family renders this and every later conversation. Outputs as
 * tmpl_render_masked (literal may be NULL). */
int tmpl_chat_render(tmpl_chat *t, const tmpl_msg *msgs, int n, bool add_generation_prompt, char **out,
                     unsigned char **literal, size_t *len, fc_err *err);

/* tmpl_chat_render for a server: t is only read, so several threads may render at once,
 * and a conversation the Jinja template refuses (raise_exception, "roles must alternate")
 * is an FC_EINPUT error with the template's message instead of a switch to the family
 * for everyone after. */
int tmpl_chat_render_strict(const tmpl_chat *t, const tmpl_msg *msgs, int n, bool add_generation_prompt, char **out,
                            unsigned char **literal, size_t *len, fc_err *err);

/* The end-of-turn markers of kind as text (NULL-terminated static list): generation stops
 * on them as well as on the model's EOS token. */
const char *const *tmpl_stop_strings(enum tmpl_kind kind);

#endif
