/* session — the one place that turns an fc_config into a running model.
 *
 * session_open() does, in order: open the GGUF file (mmap), read the model
 * description, load the tokenizer, take the GPU inventory (cfg->gpu_specs,
 * else FITCHAT_GPU, else the driver), build the memory model and compute the
 * plan from the config (LAYERS, TARGET_VRAM_USAGE, KV types, N_CTX, FLASH_ATTN,
 * VRAM_RESERVE, N_BATCH, N_THREADS), then create the engine with the plan's
 * context, KV types and attention kernel, and the sampler. It also resolves
 * the chat template (MODEL_TYPE, else detected from tokenizer.chat_template)
 * and the template's default system prompt, which every chat front end needs.
 * The engine runs the plan: the last n_gpu_layers and the head on the
 * plan's GPUs (CUDA), or on host-emulated ones ("sim:SIZE", for tests).
 * When a GPU runs out of memory anyway (another process took VRAM since
 * the inventory), the session takes a fresh inventory, plans again with
 * fewer layers and retries; each retry adds a line to notices[].
 *
 * No REPL logic here: the chat, a one-shot run or a server build on it.
 *
 * Ownership: a session owns everything it points at; session_close frees it
 * all (accepts NULL and a zeroed or half-opened session). The config is
 * only read during session_open. Errors: fc_err, FC_EINPUT for bad input
 * (missing or unsupported model, invalid settings), FC_EFAIL otherwise.
 * Nothing is printed. One thread at a time.
 */
#ifndef FC_SESSION_H
#define FC_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../engine/engine.h"
#include "../engine/sampler.h"
#include "../format/gguf.h"
#include "../model/arch.h"
#include "../plan/gpuinfo.h"
#include "../plan/memory.h"
#include "../plan/planner.h"
#include "../text/template.h"
#include "../text/tokenizer.h"
#include "../util/err.h"
#include "config.h"

typedef struct fc_session {
    char *model_path;          /* the GGUF file (owned copy) */
    gguf_file *file;           /* the mapping; weights stay in it */
    model_desc desc;
    tokenizer *tok;
    gpu_inventory inv;
    mem_model mem;
    plan_result plan;          /* what the planner decided (n_ctx, KV types, layers) */
    fc_engine *engine;
    fc_sampler *sampler;
    fc_sampler_params sampling; /* as given to the sampler (seed resolved) */
    enum tmpl_kind tmpl;       /* the built-in family (fallback, stop strings) */
    bool tmpl_guessed;         /* no MODEL_TYPE, no template and an unknown architecture: chatml is a guess */
    tmpl_chat chat_tmpl;       /* what the chat renders: the Jinja template, else the family */
    char *default_system;      /* the template's own default system prompt, or NULL */
    int max_tokens;            /* MAX_TOKENS: >= 1, or -1 until the end of the turn */
    int n_notices;             /* what the session had to do differently, for the user */
    char notices[4][PLAN_LINE + 512];
} fc_session;

/* Opens everything (see above) into *s (zeroed first). On failure *s is
 * closed and zeroed. */
int session_open(fc_session *s, const fc_config *cfg, fc_err *err);

/* Engine options beyond the config, for `fitchat run` and the tests. */
typedef struct session_opts {
    bool exact;       /* float activations (reference checks) */
    bool all_logits;  /* keep every position's logits */
    bool server;      /* plan and run N_PARALLEL sequences (fitchat serve); else one */
    /* weights upload progress to GPUs (NULL: none) */
    void (*progress)(void *ctx, const char *device, uint64_t done, uint64_t total);
    void *progress_ctx;
} session_opts;
int session_open_ex(fc_session *s, const fc_config *cfg, const session_opts *o, fc_err *err);
void session_close(fc_session *s);

/* The plan's inputs from the settings: the one conversion every command
 * uses (chat, run and plan plan the same thing from the same settings). */
void session_plan_params(const fc_config *cfg, bool all_logits, plan_params *pp);

/* The GPU inventory (cfg's --gpu specs, else FITCHAT_GPU, else the driver)
 * and the host's memory (--ram, else FITCHAT_RAM, else measured). */
int session_inventory(const fc_config *cfg, gpu_inventory *inv, fc_err *err);

/* The chat template for a model (see README "Chat templates"): MODEL_TYPE forces a built-in
 * family; else CHAT_TEMPLATE_FILE, else the model's tokenizer.chat_template, rendered by the
 * Jinja interpreter with the family recognised in it (else the architecture's) as fallback;
 * a GGUF without a template gets its architecture's family. *guessed (may be NULL): no
 * family is known and chatml is a guess. Errors: an unreadable CHAT_TEMPLATE_FILE. */
int session_chat_template(tmpl_chat *t, const gguf_file *f, const tokenizer *tok, const fc_config *cfg, bool *guessed,
                          fc_err *err);
/* The warning for a guessed chatml (session_chat_template's *guessed with no Jinja
 * template in use), in buf; one line. */
const char *session_guess_warning(char *buf, size_t cap);

/* One line saying which path the chat takes, for `fitchat info` and the banner:
 * "Jinja template (tokenizer.chat_template), built-in chatml as fallback" or
 * "built-in gemma format (MODEL_TYPE)". */
const char *session_template_line(char *buf, size_t cap, const tmpl_chat *t, const fc_config *cfg);

/* The banner's one-line summary of a plan into buf (always terminated);
 * returns buf. With GPUs:
 *   "24/32 layers on RTX 3070, KV q8_0, 8192 ctx, 6.1 of 8.0 GiB"
 * without:
 *   "0/30 layers on GPU (no GPU: <reason>), KV f16, 4096 ctx, CPU 118 MiB" */
const char *session_plan_line(char *buf, size_t cap, const plan_result *r, const gpu_inventory *inv);

/* The plan's bytes next to the allocation log's, one line per device that
 * holds anything ("CPU: planned weights .. KV .. buffers .. = ..; allocated
 * .. (matches the plan)"), and for CUDA GPUs the measured context cost
 * beside the plan's constant. */
void session_memory_report(FILE *out, const fc_session *s);

/* A progress callback for session_opts: a line on stderr, rewritten in
 * place on a terminal, for weights going to a GPU. */
void session_progress_stderr(void *ctx, const char *device, uint64_t done, uint64_t total);

/* A short model label into buf: general.name, else the file's base name,
 * with control bytes replaced (a model file must not drive the terminal).
 * Returns buf. */
const char *session_model_name(const fc_session *s, char *buf, size_t cap);

#endif
