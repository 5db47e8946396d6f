/* fitchat template — the prompt text the chat would give the model, for diffing.
 *
 *   fitchat template [-m MODEL] [--chat-template-file FILE] [--model-type NAME]
 *                    [--messages FILE.json] [--no-generation-prompt]
 *
 * Writes exactly the rendered prompt (the template's output, nothing added) to standard
 * output and "N tokens" (as the chat tokenizes it: one BOS, control tokens only in the
 * template's own text) to standard error. The template is chosen as the chat chooses it
 * (session_chat_template, modelconf.json included); when the Jinja template cannot be used,
 * the warning goes to stderr and the built-in family renders. A template error
 * (raise_exception) exits 2 with the template's message.
 *
 * FILE.json: a list of {"role": "system"|"user"|"assistant", "content": "..."} or an object
 * with such a list under "messages"; default: one user message "Hello". SYSTEM_PROMPT
 * (--system) comes first unless the messages open with a system message. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../format/gguf.h"
#include "../text/template.h"
#include "../text/tokenizer.h"
#include "chat.h"
#include "commands.h"
#include "config.h"
#include "session.h"

typedef struct template_flags {
    const char *messages;
    bool no_gen, help;
} template_flags;

static int template_extra(void *ctx, int argc, char **argv, int i, fc_err *err) {
    template_flags *fl = ctx;
    if (!strcmp(argv[i], "--no-generation-prompt")) { fl->no_gen = true; return 1; }
    if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) { fl->help = true; return 1; }
    if (!strcmp(argv[i], "--messages")) {
        if (i + 1 >= argc) { fc_errf(err, FC_EINPUT, "--messages needs a file name"); return -1; }
        fl->messages = argv[i + 1];
        return 2;
    }
    return 0;
}

static void usage(FILE *o) {
    fprintf(o, "usage: fitchat template [-m MODEL] [--chat-template-file FILE] [--model-type NAME]\n"
               "                        [--system TEXT] [--messages FILE.json] [--no-generation-prompt]\n"
               "Writes the rendered prompt to stdout and its token count to stderr, as the chat renders it\n"
               "with these settings (modelconf.json's MODEL, MODEL_TYPE, CHAT_TEMPLATE_FILE and SYSTEM_PROMPT).\n"
               "  --messages FILE.json    [{\"role\": ..., \"content\": ...}, ...] or {\"messages\": [...]}, read as\n"
               "                          /load reads it (default: one user message \"Hello\")\n"
               "  --system TEXT           the system prompt, when the messages bring none\n"
               "  --no-generation-prompt  without the opening of the assistant's turn\n"
               "  -h, --help              this text\n");
}

/* Reads FILE.json with the chat's own /load reader (the same checks and messages; a
 * conversation the chat would refuse is refused here) into msgs, whose contents point into
 * conv (caller frees both). */
static int read_messages(const char *path, fc_chat *conv, tmpl_msg **msgs, int *n, fc_err *err) {
    if (chat_load(conv, path, err)) return -1;
    *n = conv->n_msgs;
    *msgs = calloc((size_t)*n + 1, sizeof **msgs);
    if (!*msgs) return fc_errf(err, FC_EFAIL, "out of memory");
    for (int i = 0; i < *n; i++) (*msgs)[i] = (tmpl_msg){conv->msgs[i].role, conv->msgs[i].content};
    return 0;
}

int cmd_template(int argc, char **argv) {
    template_flags fl = {0};
    fc_config cfg;
    fc_err err = {0};
    int lrc = cmd_load_settings_ex("template", &cfg, argc - 1, argv + 1, template_extra, &fl, CONFIG_NO_GEN);
    if (lrc) return lrc;
    if (fl.help) { usage(stdout); config_free(&cfg); return 0; }
    int rc = 0;
    fc_chat conv = {0};
    tmpl_msg *msgs = NULL, hello = {TMPL_USER, "Hello"};
    int n = 1;
    gguf_file *f = NULL;
    tokenizer *tok = NULL;
    tmpl_chat ct = {0};
    char *text = NULL;
    unsigned char *lit = NULL;
    int32_t *toks = NULL;
    size_t len = 0;
    if (fl.messages && read_messages(fl.messages, &conv, &msgs, &n, &err)) goto fail;
    /* SYSTEM_PROMPT / --system opens the conversation, as in the chat, unless the
     * messages bring their own */
    if (cfg.system_prompt && (!msgs || !n || msgs[0].role != TMPL_SYSTEM)) {
        tmpl_msg *m = calloc((size_t)n + 2, sizeof *m);
        if (!m) { fc_errf(&err, FC_EFAIL, "out of memory"); goto fail; }
        m[0] = (tmpl_msg){TMPL_SYSTEM, cfg.system_prompt};
        if (msgs) memcpy(m + 1, msgs, (size_t)n * sizeof *m);
        else m[1] = hello;
        free(msgs);
        msgs = m;
        n++;
    }
    if (!(f = gguf_open(cfg.model, &err)) || !(tok = tok_load(f, &err))) goto fail;
    bool guessed = false;
    if (session_chat_template(&ct, f, tok, &cfg, &guessed, &err)) goto fail;
    if (ct.warning[0]) fprintf(stderr, "fitchat template: warning: %s\n", ct.warning);
    char gw[300];
    if (guessed && !ct.jinja) fprintf(stderr, "fitchat template: warning: %s\n", session_guess_warning(gw, sizeof gw));
    bool had_jinja = ct.jinja != NULL;
    if (tmpl_chat_render(&ct, msgs ? msgs : &hello, n, !fl.no_gen, &text, &lit, &len, &err)) goto fail;
    if (had_jinja && !ct.jinja) { /* the template failed on this conversation: that is its answer */
        fprintf(stderr, "fitchat template: %s\n", ct.failure);
        rc = 2;
        goto out;
    }
    int nt = chat_tokenize_prompt(tok, text, lit, len, &toks, NULL, &err);
    if (nt < 0) goto fail;
    if (fwrite(text, 1, len, stdout) != len || fflush(stdout)) { fprintf(stderr, "fitchat template: write error\n"); rc = 1; goto out; }
    fprintf(stderr, "%d tokens\n", nt);
    goto out;
fail:
    fprintf(stderr, "fitchat template: %s\n", err.msg);
    rc = err.code == FC_EINPUT ? 2 : 1;
out:
    free(toks);
    free(text);
    free(lit);
    tmpl_chat_free(&ct);
    tok_free(tok);
    gguf_close(f);
    free(msgs);
    chat_free(&conv);
    config_free(&cfg);
    return rc;
}
