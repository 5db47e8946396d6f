/* fitchat chat — the interactive chat (the default command).
 *
 * Three modes: a REPL with line editing and history (libedit) when stdin is
 * a terminal; one user message per line when it is not (each reply followed
 * by a blank line, for scripts); `-p TEXT` answers once and exits. All use
 * the session (model, plan, engine) and the chat (conversation, KV reuse,
 * streaming) modules.
 *
 * Ctrl-C: a handler sets g_interrupt, which the chat checks between tokens;
 * at the prompt a custom getc makes readline return, and two Ctrl-C in a row
 * at the prompt exit (the one that stopped a reply does not count: pressing it
 * twice to stop a reply must not end the chat). That flag and the output
 * settings below are the only globals: signal handlers and readline's
 * callbacks get no context pointer.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <editline/readline.h>

#include "../util/fmt.h"
#include "chat.h"
#include "commands.h"
#include "config.h"
#include "session.h"

static volatile sig_atomic_t g_interrupt;

static void on_sigint(int sig) {
    (void)sig;
    g_interrupt = 1;
}

/* readline's input: returns EOF when Ctrl-C arrives, so readline gives back. */
static int getc_interruptible(FILE *in) {
    for (;;) {
        unsigned char ch;
        ssize_t n = read(fileno(in), &ch, 1);
        if (n == 1) return ch;
        if (n == 0) return EOF;
        if (errno != EINTR || g_interrupt) return EOF;
    }
}

typedef struct chat_ui {
    bool color;      /* ANSI dim for notices */
    FILE *note;      /* where notices go: stdout in the REPL, stderr otherwise */
    fc_session *s;
    fc_chat *c;
    bool interactive;
    bool tty_out;    /* stdout is a terminal: the reply's control bytes are shown as '?' */
    bool show_thinking;
    bool warned_template; /* the chat template's warning has been shown */
} chat_ui;

static void note(const chat_ui *ui, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(const chat_ui *ui, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    if (ui->color) fputs("\x1b[2m", ui->note);
    vfprintf(ui->note, fmt, ap);
    if (ui->color) fputs("\x1b[0m", ui->note);
    fputc('\n', ui->note);
    fflush(ui->note);
    va_end(ap);
}

/* The model's text as it streams. On a terminal, control bytes other than
 * newline and tab become '?': the model's text must not move the cursor,
 * clear the screen or set the window title. */
static void put_model_text(const chat_ui *ui, const char *text, size_t len) {
    if (ui->tty_out) {
        for (size_t i = 0; i < len; i++) {
            unsigned char ch = (unsigned char)text[i];
            putchar((ch < 0x20 && ch != '\n' && ch != '\t') || ch == 0x7f ? '?' : ch);
        }
    } else {
        fwrite(text, 1, len, stdout);
    }
}

/* The answer (ctx: the chat_ui). */
static void emit_stdout(void *ctx, const char *text, size_t len) {
    put_model_text(ctx, text, len);
    fflush(stdout);
}

/* A reasoning model's thinking, dimmed on a terminal (ctx: the chat_ui). */
static void emit_dim(void *ctx, const char *text, size_t len) {
    const chat_ui *ui = ctx;
    if (ui->color) fputs("\x1b[2m", stdout);
    put_model_text(ui, text, len);
    if (ui->color) fputs("\x1b[0m", stdout);
    fflush(stdout);
}

/* ---- flags of this command ---- */

typedef struct chat_flags {
    bool print_config;
    bool help;
} chat_flags;

static int chat_extra(void *ctx, int argc, char **argv, int i, fc_err *err) {
    (void)argc;
    (void)err;
    chat_flags *fl = ctx;
    if (!strcmp(argv[i], "--print-config")) { fl->print_config = true; return 1; }
    if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) { fl->help = true; return 1; }
    return 0;
}

static void usage(FILE *o) {
    fprintf(o, "usage: fitchat [chat] [OPTIONS]\n\n"
               "Chats with a GGUF model. Settings come from modelconf.json (./, then $XDG_CONFIG_HOME/fitchat/,\n"
               "or --config FILE); flags override them.\n"
               "  -p, --prompt TEXT   answer one message and exit\n"
               "  --print-config      show the effective configuration and where each value came from\n"
               "  -h, --help          this text\n\n"
               "Settings:\n");
    static const char *const shown_above[] = {"-p", NULL};
    config_print_flags_except(o, shown_above);
    fprintf(o, "\nStdin not a terminal: one message per line, each reply followed by a blank line.\n"
               "In the chat, /help lists the commands.\n");
}

/* ---- the /commands ---- */

static void print_help(const chat_ui *ui) {
    (void)ui;
    printf("/help           this list\n"
           "/reset          forget the conversation (the system prompt stays)\n"
           "/system [TEXT]  set the system prompt (no TEXT: show it)\n"
           "/stats          context use, speed of the last reply, planned vs used memory\n"
           "/save FILE      save the conversation as JSON\n"
           "/load FILE      load a conversation saved with /save\n"
           "/quit           exit (also Ctrl-D; Ctrl-C stops a reply)\n"
           "\"\"\"             a message of several lines, ended by a line ending with \"\"\"\n");
}

static void print_stats(const chat_ui *ui) {
    const fc_session *s = ui->s;
    const chat_stats *st = &ui->c->last;
    const int turns = chat_n_turns(ui->c);
    /* the cache's tokens: after /reset still the old conversation's, until the next
     * message reuses their shared prefix (the system prompt) and drops the rest */
    printf("context: %d of %d tokens in the cache, %d turn%s\n", engine_n_past(s->engine), engine_n_ctx(s->engine),
           turns, turns == 1 ? "" : "s");
    if (st->n_prompt || st->n_gen || st->n_reused) {
        printf("last reply: prompt %d new tokens (%d reused) in %.2f s", st->n_prompt, st->n_reused, st->prompt_s);
        if (st->n_prompt && st->prompt_s > 0) printf(", %.1f tokens/s", st->n_prompt / st->prompt_s);
        printf("; generation %d tokens in %.2f s", st->n_gen, st->gen_s);
        if (st->n_gen && st->gen_s > 0) printf(", %.1f tokens/s", st->n_gen / st->gen_s);
        printf("\n");
    }
    printf("memory:\n");
    session_memory_report(stdout, s);
}

static const char *skip_space(const char *p) {
    while (*p == ' ' || *p == '\t') p++;
    return p;
}

/* A /command's failure: on the terminal a dimmed note, piped a line on stderr that names
 * the program and the command, as every other error of fitchat chat does. */
static void cmd_failed(const chat_ui *ui, const char *cmd, size_t n, const char *msg) {
    if (ui->interactive) note(ui, "error: %s", msg);
    else if (n) fprintf(stderr, "fitchat chat: /%.*s: %s\n", (int)n, cmd, msg);
    else fprintf(stderr, "fitchat chat: %s\n", msg);
}

/* Runs a /command. Returns 1 to quit, -1 when it failed (said), 0 otherwise. */
static int run_command(chat_ui *ui, const char *line) {
    const char *cmd = line + 1;
    size_t n = strcspn(cmd, " \t");
    const char *arg = skip_space(cmd + n);
    fc_err err = {0};
    int rc = 0;
#define IS(name) (n == strlen(name) && !strncmp(cmd, name, n))
    if (IS("quit") || IS("exit") || IS("bye") || IS("q")) return 1;
    if (IS("help") || IS("?")) print_help(ui);
    else if (IS("reset") || IS("clear")) {
        chat_reset(ui->c);
        note(ui, "(conversation cleared)");
    } else if (IS("system")) {
        if (!*arg) {
            const char *sys = chat_system(ui->c);
            if (sys) printf("%s\n", sys);
            else note(ui, "(no system prompt)");
        } else if (chat_set_system(ui->c, arg, &err)) {
            cmd_failed(ui, cmd, n, err.msg);
            rc = -1;
        } else note(ui, "(system prompt set)");
    } else if (IS("stats")) print_stats(ui);
    else if (IS("save") || IS("load")) {
        /* the file name as a shell would take it: trailing blanks dropped, ~/ is the home folder */
        char path[4096];
        size_t an = strlen(arg);
        while (an && (arg[an - 1] == ' ' || arg[an - 1] == '\t')) an--;
        const char *home = getenv("HOME");
        int pn = an >= 2 && arg[0] == '~' && arg[1] == '/' && home && *home
                     ? snprintf(path, sizeof path, "%s%.*s", home, (int)(an - 1), arg + 1)
                     : snprintf(path, sizeof path, "%.*s", (int)an, arg);
        arg = path;
        if (pn < 0 || (size_t)pn >= sizeof path) {
            cmd_failed(ui, cmd, n, "the file name is too long");
            rc = -1;
        } else if (!*arg) {
            cmd_failed(ui, cmd, n, IS("save") ? "usage: /save FILE" : "usage: /load FILE");
            rc = -1;
        } else if (IS("save") ? chat_save(ui->c, arg, &err) : chat_load(ui->c, arg, &err)) {
            cmd_failed(ui, cmd, n, err.msg);
            rc = -1;
        } else if (IS("save"))
            note(ui, "(saved %d message%s to %s)", ui->c->n_msgs, ui->c->n_msgs == 1 ? "" : "s", arg);
        else note(ui, "(loaded %d message%s from %s%s)", ui->c->n_loaded, ui->c->n_loaded == 1 ? "" : "s", arg,
                  ui->c->n_msgs > ui->c->n_loaded ? "; the system prompt kept" : "");
    } else {
        char msg[160];
        snprintf(msg, sizeof msg, "unknown command '/%.*s' (try /help)", (int)(n < 64 ? n : 64), cmd);
        cmd_failed(ui, cmd, 0, msg);
        rc = -1;
    }
#undef IS
    fflush(stdout);
    return rc;
}

/* One user message: stream the reply, then the notices. Returns 0, or the
 * exit status of a failure that should end the program. */
static int answer(chat_ui *ui, const char *text) {
    fc_err err = {0};
    g_interrupt = 0;
    chat_think th;
    chat_think_init(&th, &ui->c->reply_thinks, emit_stdout, ui->show_thinking ? emit_dim : NULL, ui);
    int rc = chat_reply(ui->c, text, chat_think_push, &th, &g_interrupt, &err);
    chat_think_finish(&th);
    const chat_stats *st = &ui->c->last;
    /* Ctrl-C can interrupt a write to a slow terminal (SIGINT has no SA_RESTART here): that
     * is not an output error, and must not make the exit status 1 (main.c's check). */
    if (ui->interactive && g_interrupt) clearerr(stdout);
    if (!ui->warned_template && ui->s->chat_tmpl.warning[0]) {
        ui->warned_template = true;
        fprintf(stderr, "fitchat chat: warning: %s\n", ui->s->chat_tmpl.warning);
    }
    if (rc) {
        printf("\n");
        fflush(stdout);
        fprintf(stderr, "fitchat chat: %s\n", err.msg);
        return err.code == FC_EINPUT ? 2 : 1; /* a message too long is not fatal */
    }
    printf("\n");
    fflush(stdout);
    if (st->n_dropped)
        note(ui, "(context full: dropped the %d oldest turn%s, the system prompt stays)", st->n_dropped,
             st->n_dropped == 1 ? "" : "s");
    if (st->taken_back) note(ui, "(stopped before the reply began: the message was not kept)");
    else if (st->interrupted) note(ui, "(stopped)");
    if (st->ctx_full) note(ui, "(context full: the reply was cut; older turns will be dropped on the next message)");
    return 0;
}

/* Appends n bytes of s and a NUL to the growing buffer *buf (*len bytes in it). -1 when out of memory. */
static int append(char **buf, size_t *len, size_t *cap, const char *s, size_t n) {
    if (*len + n + 1 > *cap) {
        size_t c = (*len + n + 1) * 2;
        char *b = realloc(*buf, c);
        if (!b) return -1;
        *buf = b;
        *cap = c;
    }
    memcpy(*buf + *len, s, n);
    *len += n;
    (*buf)[*len] = '\0';
    return 0;
}

/* A message of several lines, opened by a line starting with """ (ollama's convention):
 * first is the rest of that line; lines are read with the prompt "... " until one ends with
 * """, and joined with newlines (the quotes dropped). NULL when Ctrl-C or Ctrl-D cancels it
 * (said), or out of memory. */
static char *read_multiline(const chat_ui *ui, const char *first) {
    char *buf = NULL;
    size_t len = 0, cap = 0;
    char *line = NULL;
    const char *cur = first;
    bool have = false; /* a line is in buf (the next one needs a newline before it) */
    if (append(&buf, &len, &cap, "", 0)) return NULL;
    for (bool first_line = true;; first_line = false) {
        size_t n = strlen(cur);
        const bool last = n >= 3 && !strcmp(cur + n - 3, "\"\"\"");
        if (last) n -= 3;
        /* the opening and closing quotes' own empty lines are not lines of the message */
        const bool skip = n == 0 && (first_line || last);
        if (!skip) {
            if ((have && append(&buf, &len, &cap, "\n", 1)) || append(&buf, &len, &cap, cur, n)) break;
            have = true;
        }
        free(line);
        line = NULL;
        if (last) return buf;
        g_interrupt = 0;
        if (!(line = readline("... "))) {
            printf("\n");
            note(ui, "(the message of several lines was cancelled)");
            break;
        }
        cur = line;
    }
    free(line);
    free(buf);
    return NULL;
}

static int repl(chat_ui *ui) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: a blocked read() returns EINTR */
    sigaction(SIGINT, &sa, NULL);
    rl_catch_signals = 0;
    rl_getc_function = getc_interruptible;
    using_history();
    stifle_history(1000);
    int n_ctrl_c = 0; /* Ctrl-C in a row without a line in between */
    for (;;) {
        g_interrupt = 0;
        char *line = readline("> ");
        if (!line) {
            if (g_interrupt) {
                if (++n_ctrl_c >= 2) { printf("\n"); break; }
                printf("\n");
                note(ui, "(Ctrl-C again or Ctrl-D to exit)");
                continue;
            }
            printf("\n");
            break; /* Ctrl-D */
        }
        n_ctrl_c = 0;
        const char *p = skip_space(line);
        if (!*p) { free(line); continue; }
        add_history(line);
        if (p[0] == '/' && p[1] != '/') {
            int quit = run_command(ui, p) == 1;
            free(line);
            if (quit) break;
            continue;
        }
        char *multi = NULL;
        if (!strncmp(p, "\"\"\"", 3) && !(multi = read_multiline(ui, p + 3))) {
            free(line);
            continue;
        }
        const char *msg = multi ? multi : p[0] == '/' ? p + 1 : p;
        int rc = *skip_space(msg) ? answer(ui, msg) : 0;
        free(multi);
        free(line);
        if (rc == 1) return rc;
        printf("\n");
    }
    fflush(stdout);
    return 0;
}

/* Stdin is not a terminal: one message per line. */
static int piped(chat_ui *ui) {
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int rc = 0;
    int n_line = 0, n_failed = 0, n_msgs = 0, n_cmd_failed = 0;
    while (!rc && (n = getline(&line, &cap, stdin)) >= 0) {
        n_line++;
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = '\0';
        if (memchr(line, '\0', (size_t)n)) {
            /* A C string would stop at the NUL and send half the line. */
            fprintf(stderr, "fitchat chat: stdin line %d: contains a NUL byte; skipped\n", n_line);
            n_failed++;
            n_msgs++;
            continue;
        }
        const char *p = skip_space(line);
        if (!*p) continue;
        if (p[0] == '/' && p[1] != '/') {
            int r = run_command(ui, p);
            if (r == 1) break;
            n_cmd_failed += r < 0;
            continue;
        }
        n_msgs++;
        rc = answer(ui, p[0] == '/' ? p + 1 : p);
        if (rc == 2) { n_failed++; rc = 0; }
        printf("\n");
        fflush(stdout);
    }
    free(line);
    /* Scripts piping messages and commands in must see that some failed. */
    if (!rc && n_failed) fprintf(stderr, "fitchat chat: %d of %d message%s failed\n", n_failed, n_msgs, n_msgs == 1 ? "" : "s");
    if (!rc && n_cmd_failed) fprintf(stderr, "fitchat chat: %d command%s failed\n", n_cmd_failed, n_cmd_failed == 1 ? "" : "s");
    if (!rc && (n_failed || n_cmd_failed)) rc = 1;
    return rc;
}

int cmd_chat(int argc, char **argv) {
    chat_flags fl = {0};
    fc_config cfg;
    fc_err err = {0};
    int lrc = cmd_load_settings("chat", &cfg, argc - 1, argv + 1, chat_extra, &fl);
    if (lrc) return lrc;
    if (fl.help) {
        usage(stdout);
        config_free(&cfg);
        return 0;
    }
    if (fl.print_config) {
        config_print(stdout, &cfg);
        config_free(&cfg);
        return 0;
    }
    if (cfg.prompt && !*skip_space(cfg.prompt)) { /* before the model is loaded */
        fprintf(stderr, "fitchat chat: -p: the message is empty\n");
        config_free(&cfg);
        return 2;
    }
    fc_session s;
    session_opts so = {.progress = session_progress_stderr};
    if (session_open_ex(&s, &cfg, &so, &err)) {
        fprintf(stderr, "fitchat chat: %s\n", err.msg);
        config_free(&cfg);
        return err.code == FC_EINPUT ? 2 : 1;
    }
    bool interactive = !cfg.prompt && isatty(STDIN_FILENO);
    const char *no_color = getenv("NO_COLOR");
    chat_ui ui = {
        .color = interactive && isatty(STDOUT_FILENO) && !(no_color && *no_color),
        .note = interactive ? stdout : stderr,
        .s = &s,
        .interactive = interactive,
        .tty_out = isatty(STDOUT_FILENO),
        .show_thinking = cfg.show_thinking,
        .warned_template = s.chat_tmpl.warning[0] != 0,
    };
    if (s.chat_tmpl.warning[0]) fprintf(stderr, "fitchat chat: warning: %s\n", s.chat_tmpl.warning);
    char gw[300];
    if (s.tmpl_guessed && !s.chat_tmpl.jinja) fprintf(stderr, "fitchat chat: warning: %s\n", session_guess_warning(gw, sizeof gw));
    for (int i = 0; i < s.n_notices; i++) fprintf(stderr, "fitchat chat: warning: %s\n", s.notices[i]);
    for (int i = 0; i < s.plan.n_warnings; i++) fprintf(stderr, "fitchat chat: warning: %s\n", s.plan.warnings[i]);

    fc_chat c;
    int rc = 0;
    chat_init(&c, s.engine, s.tok, s.sampler, s.tmpl, s.max_tokens, &err);
    c.ct = &s.chat_tmpl;
    ui.c = &c;
    const char *sys = cfg.system_prompt ? cfg.system_prompt : s.default_system;
    if (chat_set_system(&c, sys, &err)) {
        fprintf(stderr, "fitchat chat: %s\n", err.msg);
        rc = 1;
        goto out;
    }
    if (cfg.prompt) {
        fc_err e2 = {0};
        chat_think th;
        chat_think_init(&th, &c.reply_thinks, emit_stdout, cfg.show_thinking ? emit_dim : NULL, &ui);
        int r = chat_reply(&c, cfg.prompt, chat_think_push, &th, NULL, &e2);
        chat_think_finish(&th);
        if (r) {
            fprintf(stderr, "fitchat chat: %s\n", e2.msg);
            rc = e2.code == FC_EINPUT ? 2 : 1;
        } else {
            printf("\n");
            fflush(stdout); /* the reply's end before the notice on stderr */
            if (c.last.ctx_full) note(&ui, "(context full: the reply was cut)");
        }
    } else if (interactive) {
        char line[600], name[200];
        char tl[1600];
        note(&ui, "fitchat — %s (%s)", session_model_name(&s, name, sizeof name),
             session_template_line(tl, sizeof tl, &s.chat_tmpl, &cfg));
        note(&ui, "%s", session_plan_line(line, sizeof line, &s.plan, &s.inv));
        note(&ui, "/help for commands, Ctrl-C stops a reply, Ctrl-D exits");
        rc = repl(&ui);
    } else rc = piped(&ui);
out:
    fflush(stdout);
    chat_free(&c);
    session_close(&s);
    config_free(&cfg);
    return rc;
}
