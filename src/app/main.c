/* fitchat — entry point: dispatches to the subcommands in commands.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "../util/version.h"
#include "commands.h"

static const struct {
    const char *name;
    int (*fn)(int, char **);
    const char *help;
} COMMANDS[] = {
    {"chat", cmd_chat, "interactive chat with the model (default)"},
    {"run", cmd_run, "complete a prompt (raw, no chat template)"},
    {"info", cmd_info, "describe a GGUF model file"},
    {"plan", cmd_plan, "plan GPU offloading and memory for a model"},
    {"gpu", cmd_gpu, "list the GPUs and their memory"},
    {"tokenize", cmd_tokenize, "print the token ids of a text"},
    {"template", cmd_template, "print the prompt the chat template renders"},
    {"bench", cmd_bench, "measure prompt and generation speed"},
    {"serve", cmd_serve, "serve the model over HTTP (OpenAI and ollama APIs)"},
};

static void usage(FILE *out) {
    fprintf(out, "usage: fitchat [COMMAND] [OPTIONS]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof COMMANDS / sizeof COMMANDS[0]; i++)
        fprintf(out, "  %-10s %s\n", COMMANDS[i].name, COMMANDS[i].help);
    fprintf(out, "\n'fitchat COMMAND --help' shows a command's options; 'fitchat --version' the version.\n");
}

/* A command's output that could not be written (a full disk, a closed stdout) is a failure,
 * not a success with nothing said: stdout is flushed and checked once, here. */
static int finish(const char *cmd, int rc) {
    errno = 0;
    const bool flush_failed = fflush(stdout) != 0;
    if ((flush_failed || ferror(stdout)) && rc == 0) {
        fprintf(stderr, "fitchat %s: could not write the output to stdout%s%s\n", cmd, flush_failed ? ": " : "",
                flush_failed ? strerror(errno) : "");
        rc = 1;
    }
    return rc;
}

int main(int argc, char **argv) {
    if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help"))) {
        usage(stdout);
        return 0;
    }
    if (argc >= 2 && !strcmp(argv[1], "--version")) {
        printf("fitchat %s\n", FC_VERSION);
        return 0;
    }
    if (argc >= 2 && argv[1][0] != '-') {
        for (size_t i = 0; i < sizeof COMMANDS / sizeof COMMANDS[0]; i++)
            if (!strcmp(argv[1], COMMANDS[i].name)) return finish(argv[1], COMMANDS[i].fn(argc - 1, argv + 1));
        fprintf(stderr, "fitchat: unknown command '%s'\n", argv[1]);
        usage(stderr);
        return 2;
    }
    /* No command: chat, with whatever options were given. */
    argv[0] = "chat";
    return finish("chat", cmd_chat(argc, argv));
}
