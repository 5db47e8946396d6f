/* commands — the fitchat subcommands, one file each (src/app/cmd_*.c).
 *
 * Each takes the arguments after the subcommand name (argv[0] is the
 * subcommand) and returns the process exit status: 0 success, 1 runtime
 * failure, 2 bad input (FC_EINPUT). Commands print their own errors as one
 * line "fitchat CMD: message" on stderr.
 */
#ifndef FC_COMMANDS_H
#define FC_COMMANDS_H

#include <stdbool.h>

#include "config.h"

int cmd_info(int argc, char **argv);     /* cmd_info.c: model summary */
int cmd_gpu(int argc, char **argv);      /* cmd_gpu.c: GPU inventory */
int cmd_plan(int argc, char **argv);     /* cmd_plan.c: memory plan */
int cmd_tokenize(int argc, char **argv); /* cmd_tokenize.c */
int cmd_run(int argc, char **argv);      /* cmd_run.c: raw completion */
int cmd_bench(int argc, char **argv);    /* cmd_bench.c: speed table */
int cmd_chat(int argc, char **argv);     /* cmd_chat.c: the REPL */
int cmd_template(int argc, char **argv); /* cmd_template.c: the rendered chat prompt */
int cmd_serve(int argc, char **argv);    /* cmd_serve.c: the HTTP server */

/* A command's settings through the one loader (config_load: defaults,
 * modelconf.json, argv[0..argc) as flags, extra for the command's own),
 * reported as every command reports them: an error as one line "fitchat
 * CMD: message" (returns 2 for bad input, 1 otherwise; cfg is then freed),
 * each warning as "fitchat CMD: warning: ...". 0 with *cfg loaded. */
int cmd_load_settings(const char *cmd, fc_config *cfg, int argc, char **argv, config_extra_fn extra, void *ctx);
/* The same with config_load_ex's flags (CONFIG_SERVER: the server's flags). */
int cmd_load_settings_ex(const char *cmd, fc_config *cfg, int argc, char **argv, config_extra_fn extra, void *ctx,
                         unsigned flags);

/* The default model's cached path ($XDG_CACHE_HOME/fitchat/models/...), written
 * into buf; returns buf, or NULL if it is not there or not verified (message
 * in why; see model_check_record). */
const char *default_model_path(char *buf, unsigned cap, char *why, unsigned why_cap);

/* A cached model is checked once, when scripts/fetch-model.sh puts it in the
 * cache: it hashes the file and writes PATH.verified ("sha256 size mtime").
 * This compares the file's size and mtime with that record, so a model that
 * changed since (corrupted, truncated, replaced) is noticed at start without
 * hashing it again. Returns 0 when they match, or when there is no record
 * and required is false (a model of the user's own); else -1 with why. */
int model_check_record(const char *path, bool required, char *why, unsigned why_cap);

#endif
