/* stubs — weak placeholders for subcommands whose module has not landed yet.
 * Each real cmd_*.c overrides its placeholder at link time. */
#include <stdio.h>

#include "commands.h"

#define PLACEHOLDER(fn, name) \
    __attribute__((weak)) int fn(int argc, char **argv) { \
        (void)argc; (void)argv; \
        fprintf(stderr, "fitchat %s: not available in this build yet\n", name); \
        return 1; \
    }

PLACEHOLDER(cmd_info, "info")
PLACEHOLDER(cmd_gpu, "gpu")
PLACEHOLDER(cmd_plan, "plan")
PLACEHOLDER(cmd_tokenize, "tokenize")
PLACEHOLDER(cmd_run, "run")
PLACEHOLDER(cmd_bench, "bench")
PLACEHOLDER(cmd_chat, "chat")
