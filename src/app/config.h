/* config — every setting of a model-using command, with its value and where it came from.
 *
 * Built in three layers, later ones winning: defaults, then modelconf.json, then command-line
 * flags. The file is `--config FILE`, else ./modelconf.json, else
 * $XDG_CONFIG_HOME/fitchat/modelconf.json (XDG_CONFIG_HOME defaults to ~/.config), else none.
 *
 * modelconf.json is a JSON object with the upper-case keys of the original Python system
 * (MODEL, MODEL_TYPE, LAYERS, TARGET_VRAM_USAGE, KV_CACHE_QUANT, N_CTX, ... see docs/config.md).
 * Two documented conveniences: a line holding only `...` (the original's "rest of the file",
 * with an optional trailing comma) and lines starting with `//` are ignored, and so is a comma
 * left dangling before `}` or `]` by them. Unknown keys are warnings (with a did-you-mean
 * suggestion), collected in cfg->warnings; a wrong type or range is an FC_EINPUT error naming
 * the file, the key, the value and what is allowed. MODEL is relative to the file's folder.
 *
 * Ownership: an fc_config owns all its strings (free with config_free, which accepts NULL
 * and a zeroed struct). Origins point at static strings or at cfg->config_path. Library code:
 * nothing is printed; not thread-safe per struct (no global state).
 */
#ifndef FC_CONFIG_H
#define FC_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../util/err.h"

/* The settings, each with its own origin. KV_CACHE_QUANT in the file sets both KV types;
 * -ctk and -ctv set one each. */
typedef enum fc_setting {
    FC_SET_MODEL, FC_SET_MODEL_TYPE, FC_SET_LAYERS, FC_SET_TARGET, FC_SET_KV_TYPE_K, FC_SET_KV_TYPE_V,
    FC_SET_N_CTX, FC_SET_N_CTX_MIN, FC_SET_N_CTX_MAX, FC_SET_FLASH_ATTN, FC_SET_VRAM_RESERVE,
    FC_SET_N_THREADS, FC_SET_N_BATCH, FC_SET_TEMPERATURE, FC_SET_TOP_K, FC_SET_TOP_P, FC_SET_MIN_P,
    FC_SET_REPEAT_PENALTY, FC_SET_SEED, FC_SET_MAX_TOKENS, FC_SET_SYSTEM_PROMPT, FC_SET_PROMPT,
    FC_SET_GPU, FC_SET_RAM, FC_SET_CHAT_TEMPLATE_FILE, FC_SET_THINKING, FC_SET_REPACK,
    FC_SET_HOST, FC_SET_PORT, FC_SET_N_PARALLEL, FC_SET_API_KEY, FC_SET_API_KEY_FILE, FC_SET_TIMEOUT,
    FC_SET_MAX_BODY, FC_SET_QUEUE_SIZE, FC_SET_DRAIN_TIMEOUT, FC_SET_CORS_ORIGINS,
    FC_SET_COUNT
} fc_setting;

typedef enum fc_source { FC_SRC_DEFAULT, FC_SRC_FILE, FC_SRC_FLAG, FC_SRC_ENV } fc_source;

typedef struct fc_origin {
    fc_source src;
    const char *name; /* FILE: the config path; FLAG: the flag as typed ("--target", "-c");
                         ENV: the variable; DEFAULT: NULL. Never owned. */
} fc_origin;

#define FC_LAYERS_AUTO (-1)       /* n_gpu_layers: the planner decides */
#define FC_KV_AUTO (-1)           /* kv_type_*: the planner picks f16/q8_0/q4_0 to fit */
#define FC_CTX_MODEL 0            /* n_ctx: the model's trained context, at most 4096 */
#define FC_CTX_AUTO (-1)          /* n_ctx: the largest in [n_ctx_min, n_ctx_max] that fits */
#define FC_PARALLEL_AUTO (-1)     /* n_parallel: fitchat serve decides (docs/serve.md) */

#define FC_VRAM_RESERVE_DEFAULT 0ull /* the target fraction and the planner's 128 MiB safety reserve already leave room */

typedef enum fc_flash_attn { FC_FA_AUTO, FC_FA_ON, FC_FA_OFF } fc_flash_attn;
typedef enum fc_repack { FC_REPACK_OFF, FC_REPACK_ON, FC_REPACK_AUTO } fc_repack; /* OFF is 0: `if (repack)` */

typedef struct fc_config {
    char *model;           /* path of the GGUF file (default: the cached default model) */
    int model_type;        /* enum tmpl_kind, or -1: detect from tokenizer.chat_template */
    int n_gpu_layers;      /* >= 0, or FC_LAYERS_AUTO */
    double target;         /* TARGET_VRAM_USAGE, 0 < x <= 1 */
    int kv_type_k;         /* GGML_TYPE_F32/F16/Q8_0/Q4_0, or FC_KV_AUTO */
    int kv_type_v;         /* same */
    int n_ctx;             /* >= 16, FC_CTX_MODEL or FC_CTX_AUTO */
    int n_ctx_min;         /* >= 16, <= n_ctx_max; bounds for FC_CTX_AUTO */
    int n_ctx_max;
    fc_flash_attn flash_attn;
    uint64_t vram_reserve; /* bytes kept free on every GPU */
    int n_threads;         /* >= 1 */
    int n_batch;           /* 1..8192 */
    double temperature;    /* >= 0 (0: greedy) */
    int top_k;             /* >= 0, 0: off */
    double top_p;          /* 0 < x <= 1 */
    double min_p;          /* 0 <= x < 1 */
    double repeat_penalty; /* > 0 */
    int64_t seed;          /* >= 0, or -1: random */
    int max_tokens;        /* >= 1, or -1: until the end of the turn */
    char *system_prompt;   /* NULL: none (the template's own default, if any) */
    char *prompt;          /* -p: a first user message / the run prompt; NULL if none */
    char *chat_template_file; /* CHAT_TEMPLATE_FILE: a Jinja chat template used instead of the model's; NULL */
    bool show_thinking;    /* THINKING: show (true, dimmed) or hide a reasoning model's thinking */
    fc_repack repack;      /* REPACK: weights the CPU's prompt kernels read faster in another layout get a
                            * copy in it at load (host memory, a plan item); auto (the default): unless the
                            * host's memory cannot hold it with the rest (the planner decides) */
    char **gpu_specs;      /* --gpu SPEC, in order (n_gpu_specs); parsed by the GPU module */
    int n_gpu_specs;
    char *ram_spec;        /* --ram SIZE: host memory to plan with instead of the measured (NULL: measure) */

    /* fitchat serve. Every command reads these keys from the shared modelconf.json (and
     * ignores them); only serve takes their flags (config_load_ex with CONFIG_SERVER). */
    char *host;            /* HOST: the address to listen on, default 127.0.0.1 */
    int port;              /* PORT: 0..65535 (0: any free port), default 8080 */
    int n_parallel;        /* N_PARALLEL: slots, 1..FC_N_SEQ_MAX (plan/memory.h), or FC_PARALLEL_AUTO */
    char *api_key;         /* API_KEY: the bearer key clients must send (NULL: none) */
    char *api_key_file;    /* API_KEY_FILE: a file whose first line is the key (NULL: none) */
    char *cors_origins;    /* CORS_ORIGINS: web page origins that may call the server, ','-separated,
                            * or "*" (NULL: pages of this machine only) */
    int timeout;           /* TIMEOUT: seconds a connection may stay idle, default 600 */
    uint64_t max_body;     /* MAX_BODY: largest request body in bytes, default 4 MiB */
    int queue_size;        /* QUEUE_SIZE: requests that may wait for a slot, default 16 */
    int drain_timeout;     /* DRAIN_TIMEOUT: seconds SIGTERM/SIGINT lets running and queued
                            * requests finish before they are cut (0: at once), default 30 */
    bool server;           /* the server's flags are accepted */
    bool no_gen;           /* the command generates no text (CONFIG_NO_GEN) */

    const char *config_path; /* the modelconf.json that was loaded (the last), NULL if none */
    char **paths;          /* every file loaded, in order (n_paths); owns what origins point at */
    int n_paths;
    fc_origin origin[FC_SET_COUNT];
    char **warnings;       /* one line each ("FILE: unknown key 'X' (did you mean 'Y'?)") */
    int n_warnings;
} fc_config;

/* Called for each command-line argument the config parser does not know (argv[i]). Returns
 * the number of arguments it consumed from i (>= 1), 0 if it does not know the argument
 * either (the parser then fails with "unknown flag" / "unexpected argument"), or -1 after
 * filling err. Lets commands add their own flags and positional arguments. */
typedef int (*config_extra_fn)(void *ctx, int argc, char **argv, int i, fc_err *err);

/* The defaults (into a struct the caller then owns; free with config_free). Returns 0, or -1
 * only when out of memory. */
int config_init(fc_config *cfg, fc_err *err);

void config_free(fc_config *cfg);

/* The whole sequence for a command: defaults, the config file (--config in argv, else the
 * lookup above), then the flags in argv[0..argc) (argv[0] is a flag or argument, not the
 * program name). On failure cfg is freed and zeroed. */
int config_load(fc_config *cfg, int argc, char **argv, config_extra_fn extra, void *ctx, fc_err *err);

/* config_load with options: CONFIG_SERVER accepts the server's flags (--host, --port, -np,
 * --api-key, ...); config_print then shows the server's keys too. CONFIG_NO_GEN: the command
 * generates no text (info, plan, gpu, template, tokenize). A wrong value in the file for a key
 * the command does not use (the server's keys without CONFIG_SERVER, the sampling keys and
 * MAX_TOKENS / THINKING with CONFIG_NO_GEN) is a warning naming it, not an error: the
 * setting keeps its default, and the commands that use it stop on it. */
#define CONFIG_SERVER 1u
#define CONFIG_NO_GEN 2u
int config_load_ex(fc_config *cfg, int argc, char **argv, config_extra_fn extra, void *ctx, unsigned flags,
                   fc_err *err);

/* Where config_load looks for the file when there is no --config: writes the first of
 * ./modelconf.json and $XDG_CONFIG_HOME/fitchat/modelconf.json that exists into buf and
 * returns buf, or returns NULL if neither exists. */
const char *config_find_file(char *buf, size_t cap);

/* Applies the settings of one modelconf.json on top of cfg (which must be initialised) and
 * records path as their origin. */
int config_load_file(fc_config *cfg, const char *path, fc_err *err);

/* Same for JSON text already in memory (path names it in messages and anchors MODEL). */
int config_load_text(fc_config *cfg, const char *path, const char *text, size_t len, fc_err *err);

/* Applies flags on top of cfg. --config is accepted and ignored here (config_load uses it). */
int config_apply_args(fc_config *cfg, int argc, char **argv, config_extra_fn extra, void *ctx, fc_err *err);

/* Sets one modelconf key from a string, as a flag would (origin: flag `origin`), with the
 * key's own validation and message. For commands whose flags map onto keys that have no
 * chat flag (fitchat plan --ctx-min). */
int config_set_key(fc_config *cfg, const char *key, const char *value, const char *origin, fc_err *err);

/* Checks the settings that depend on each other (N_CTX_MIN <= N_CTX_MAX, N_CTX within them
 * when given); config_load calls it last. */
int config_validate(const fc_config *cfg, fc_err *err);

/* The effective configuration, one key per line: "KEY  value  (origin)". */
void config_print(FILE *out, const fc_config *cfg);

/* The flags config_apply_args knows, one per line with a short help text, for --help
 * (the chat's; config_print_server_flags: the server's own). */
void config_print_flags(FILE *out);
/* The same without the flags whose first spelling is in skip (NULL-terminated): a command
 * that gives those letters its own meaning (bench's -p, -n). */
void config_print_flags_except(FILE *out, const char *const *skip);
void config_print_server_flags(FILE *out);

#endif
