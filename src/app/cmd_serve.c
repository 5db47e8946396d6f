/* fitchat serve — an OpenAI- and ollama-compatible HTTP server for one model.
 *
 * Settings come from the same loader as the chat (modelconf.json, then flags), with the
 * server's own keys (HOST, PORT, N_PARALLEL, API_KEY, API_KEY_FILE, TIMEOUT, MAX_BODY,
 * QUEUE_SIZE, DRAIN_TIMEOUT); the model from the same session. It listens first (so /health
 * can say "loading"), loads the model, makes the slots, then serves until SIGINT or SIGTERM:
 * then it drains (/health 503 "draining", new requests 503, the running and queued ones
 * finish, for up to DRAIN_TIMEOUT seconds; a second signal cuts them) and exits 0. The HTTP side is
 * src/serve/http.c, the slots and the worker src/serve/sched.c (docs/serve.md).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "../serve/http.h"
#include "../serve/sched.h"
#include "../util/clock.h"
#include "../util/file.h"
#include "../util/fmt.h"
#include "commands.h"
#include "config.h"
#include "session.h"


typedef struct {
    bool help, print_config;
} serve_args;

static int extra(void *ctx, int argc, char **argv, int i, fc_err *err) {
    (void)argc;
    (void)err;
    serve_args *a = ctx;
    if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) { a->help = true; return 1; }
    if (!strcmp(argv[i], "--print-config")) { a->print_config = true; return 1; }
    return 0;
}

static void usage(void) {
    printf("usage: fitchat serve [options]\n"
           "An OpenAI-compatible HTTP server (and ollama's /api/chat, /api/generate, /api/tags) for one model.\n"
           "Endpoints: POST /v1/chat/completions, POST /v1/completions, GET /v1/models[/ID], GET /health,\n"
           "GET /metrics (Prometheus), POST /api/chat, POST /api/generate, GET /api/tags, POST /api/show,\n"
           "GET /api/ps (docs/serve.md). SIGTERM or SIGINT drains (DRAIN_TIMEOUT), a second one stops.\n\n"
           "Server (modelconf.json keys in brackets):\n");
    config_print_server_flags(stdout);
    printf("  %-36s %s\n\n", "--print-config", "show every setting and where it came from, then exit");
    printf("-np N: N slots, each with its own KV cache of N_CTX tokens (planned: `fitchat plan --parallel N`);\n"
           "a request goes to the idle slot whose cache shares the longest prefix with its prompt; each\n"
           "step evaluates one prompt chunk or one token of every busy slot in one forward pass.\n"
           "\"auto\": up to %u slots that keep the GPU layers and half the host memory free.\n\n"
           "Model and sampling (the defaults of every request; a request's own fields win):\n",
           PLAN_N_SEQ_AUTO_MAX);
    static const char *const unused[] = {"-p", NULL}; /* the prompts are the requests' */
    config_print_flags_except(stdout, unused);
}

/* API_KEY_FILE: its first line, trimmed. */
static int read_key_file(const char *path, char **key, fc_err *err) {
    char *buf;
    size_t n;
    if (fc_read_file(path, 64 * 1024, &buf, &n, err)) return fc_err_prefix(err, "API_KEY_FILE");
    size_t end = 0;
    while (end < n && buf[end] != '\n' && buf[end] != '\r') end++;
    size_t a = 0;
    while (a < end && (buf[a] == ' ' || buf[a] == '\t')) a++;
    while (end > a && (buf[end - 1] == ' ' || buf[end - 1] == '\t')) end--;
    if (end == a) { free(buf); return fc_errf(err, FC_EINPUT, "API_KEY_FILE %s: the first line is empty", path); }
    for (size_t i = a; i < end; i++)
        if ((unsigned char)buf[i] <= ' ' || (unsigned char)buf[i] >= 127) {
            free(buf);
            return fc_errf(err, FC_EINPUT, "API_KEY_FILE %s: the key holds a space or a non-printable byte", path);
        }
    memmove(buf, buf + a, end - a);
    buf[end - a] = '\0';
    *key = buf;
    return 0;
}

/* The device lines of /metrics: planned (the plan: the slots' KV caches are in it) and
 * allocated (the engine's log). */
static void device_lines(const fc_session *s, srv_sched *sc, srv_metrics *m, char names[][160]) {
    memset(m, 0, sizeof *m);
    uint64_t cpu, dev[GPU_MAX_DEVICES];
    sched_allocated(sc, &cpu, dev, s->plan.n_dev);
    const mem_bytes *p = &s->plan.cpu;
    snprintf(names[0], 160, "CPU");
    m->dev[0].name = names[0];
    m->dev[0].planned = p->weights + p->kv + p->buffers;
    m->dev[0].allocated = cpu;
    m->n_devices = 1;
    for (int i = 0; i < s->plan.n_dev && m->n_devices < SRV_METRICS_DEVICES; i++) {
        const plan_device *pd = &s->plan.dev[i];
        if (!pd->n_layers && !pd->head) continue;
        char shown[96];
        snprintf(names[m->n_devices], 160, "GPU %d (%s)", s->inv.dev[pd->gpu].index,
                 fmt_printable(shown, sizeof shown, s->inv.dev[pd->gpu].name));
        m->dev[m->n_devices].name = names[m->n_devices];
        m->dev[m->n_devices].planned = pd->bytes.weights + pd->bytes.kv + pd->bytes.buffers;
        m->dev[m->n_devices].allocated = dev[i];
        m->n_devices++;
    }
}

/* Seconds a stop gives the connections to send their last bytes before they are closed. */
#define SERVE_FINAL_SEND_S 2.0

/* After the first SIGINT or SIGTERM: /health says "draining" (a load balancer stops
 * sending), new generations get a 503, the running and queued ones finish and their
 * replies are sent, for up to timeout_s seconds; a second signal stops at once. */
static void drain(srv_http *http, srv_sched *sc, const sigset_t *stop_set, int sig, int timeout_s) {
    const char *name = sig == SIGINT ? "SIGINT" : "SIGTERM";
    http_set_draining(http);
    sched_drain(sc);
    int n = http_n_generating(http);
    if (n && timeout_s > 0) {
        fprintf(stderr, "fitchat serve: %s: draining: %d request%s to finish (up to %d s; %s again stops at once)\n", name, n,
                n == 1 ? "" : "s", timeout_s, name);
        const double end = fc_now_s() + timeout_s;
        while ((n = http_n_generating(http)) > 0) {
            const struct timespec tick = {0, 50 * 1000000L};
            const int again = sigtimedwait(stop_set, NULL, &tick);
            if (again > 0) {
                fprintf(stderr, "fitchat serve: %s again: stopping now; %d request%s cut short\n", again == SIGINT ? "SIGINT" : "SIGTERM",
                        n, n == 1 ? "" : "s");
                return;
            }
            if (fc_now_s() >= end) {
                fprintf(stderr, "fitchat serve: DRAIN_TIMEOUT (%d s) is over: stopping; %d request%s cut short\n", timeout_s, n,
                        n == 1 ? "" : "s");
                return;
            }
        }
        fprintf(stderr, "fitchat serve: every request finished: stopping\n");
        return;
    }
    if (n) fprintf(stderr, "fitchat serve: %s: stopping; %d request%s cut short (DRAIN_TIMEOUT 0)\n", name, n, n == 1 ? "" : "s");
    else fprintf(stderr, "fitchat serve: %s: stopping\n", name);
}

/* ollama's quantization_level: the type holding most of the weights' bytes ("Q4_1");
 * *n_params: the elements of every tensor. */
static const char *model_quant(const gguf_file *f, uint64_t *n_params) {
    uint64_t by_type[64] = {0};
    *n_params = 0;
    for (uint64_t i = 0; i < f->n_tensors; i++) {
        const gguf_tensor *t = &f->tensors[i];
        *n_params += t->n_elems;
        if (t->type < 64) by_type[t->type] += t->n_bytes;
    }
    uint32_t best = 0;
    for (uint32_t k = 1; k < 64; k++)
        if (by_type[k] > by_type[best]) best = k;
    const char *name = ggml_type_name(best);
    return name ? name : "";
}

int cmd_serve(int argc, char **argv) {
    fc_config cfg;
    fc_err err = {0};
    serve_args a = {0};
    int lrc = cmd_load_settings_ex("serve", &cfg, argc - 1, argv + 1, extra, &a, CONFIG_SERVER);
    if (lrc) return lrc;
    if (a.help) { usage(); config_free(&cfg); return 0; }
    if (a.print_config) { config_print(stdout, &cfg); config_free(&cfg); return 0; }

    int rc = 0;
    char *key = NULL;
    srv_http *http = NULL;
    srv_sched *sc = NULL;
    fc_session s = {0};
    if (cfg.api_key && cfg.api_key_file) {
        fc_errf(&err, FC_EINPUT, "API_KEY and API_KEY_FILE are both set: give one");
        goto fail;
    }
    if (cfg.api_key_file && read_key_file(cfg.api_key_file, &key, &err)) goto fail;
    if (cfg.api_key && !(key = strdup(cfg.api_key))) { fc_errf(&err, FC_EFAIL, "out of memory"); goto fail; }

    /* SIGINT and SIGTERM go to sigwait below, never to a server thread (the threads
     * started now inherit the mask); a closed socket is an error code, not SIGPIPE. */
    sigset_t stop_set;
    sigemptyset(&stop_set);
    sigaddset(&stop_set, SIGINT);
    sigaddset(&stop_set, SIGTERM);
    signal(SIGPIPE, SIG_IGN);
    pthread_sigmask(SIG_BLOCK, &stop_set, NULL);
    srv_http_config hc = {
        .host = cfg.host,
        .port = cfg.port,
        .api_key = key,
        .max_body = (size_t)cfg.max_body,
        .timeout = (unsigned)cfg.timeout,
        .cors_origins = cfg.cors_origins,
        .max_connections = (unsigned)(FC_N_SEQ_MAX + cfg.queue_size + 64),
    };
    http = http_start(&hc, &err);
    if (!http) goto fail;
    const char *h = cfg.host;
    bool v6 = strchr(h, ':') != NULL;
    fprintf(stderr, "fitchat serve: listening on http://%s%s%s:%d (loading the model)\n", v6 ? "[" : "", h, v6 ? "]" : "",
            http_port(http));
    /* While the model loads, Ctrl-C stops the process at once. */
    pthread_sigmask(SIG_UNBLOCK, &stop_set, NULL);
    /* FITCHAT_TEST_LOAD_DELAY_MS: the tests' way to see the loading state (a slow disk) */
    const char *delay = getenv("FITCHAT_TEST_LOAD_DELAY_MS");
    if (delay && atoi(delay) > 0) nanosleep(&(struct timespec){atoi(delay) / 1000, (long)(atoi(delay) % 1000) * 1000000L}, NULL);
    session_opts so = {.progress = session_progress_stderr, .server = true};
    int orc = session_open_ex(&s, &cfg, &so, &err);
    pthread_sigmask(SIG_BLOCK, &stop_set, NULL);
    if (orc) goto fail;
    for (int i = 0; i < s.n_notices; i++) fprintf(stderr, "fitchat serve: warning: %s\n", s.notices[i]);
    for (int i = 0; i < s.plan.n_warnings; i++) fprintf(stderr, "fitchat serve: warning: %s\n", s.plan.warnings[i]);
    const int n_slots = (int)(s.plan.cfg.n_seq ? s.plan.cfg.n_seq : 1);
    if (!(sc = sched_new(&s, &cfg, n_slots, &err))) goto fail;

    /* What /v1/models and /api/tags list. */
    char name[256], line[1024], dev_names[SRV_METRICS_DEVICES][160];
    const char *base = strrchr(s.model_path, '/');
    base = base ? base + 1 : s.model_path;
    fmt_printable(name, sizeof name, base);
    size_t nl = strlen(name);
    if (nl > 5 && !strcmp(name + nl - 5, ".gguf")) name[nl - 5] = '\0';
    struct stat st;
    bool have_st = stat(s.model_path, &st) == 0;
    char params[32];
    uint64_t n_params = 0;
    srv_metrics devs;
    device_lines(&s, sc, &devs, dev_names);
    uint64_t gpu_bytes = 0;
    for (int i = 1; i < devs.n_devices; i++) gpu_bytes += devs.dev[i].planned;
    srv_model_info mi = {
        .name = name,
        .created = have_st ? (int64_t)st.st_mtime : 0,
        .size = have_st ? (uint64_t)st.st_size : 0,
        .family = s.desc.arch,
        .quant = model_quant(s.file, &n_params),
        .params = params,
        .template_text = gguf_get_str(s.file, "tokenizer.chat_template", ""),
        .n_ctx_train = s.desc.n_ctx_train,
        .n_embd = s.desc.n_embd,
        .n_layer = s.desc.n_layer,
        .n_head = s.desc.n_head,
        .n_head_kv = s.desc.n_head_kv,
        .n_ctx = sched_n_ctx(sc),
        .gpu_bytes = gpu_bytes,
    };
    mi.n_params = n_params;
    if (n_params >= 1000000000ull) snprintf(params, sizeof params, "%.1fB", (double)n_params / 1e9);
    else snprintf(params, sizeof params, "%.0fM", (double)n_params / 1e6);
    http_set_ready(http, sc, &mi, &devs);
    fprintf(stderr, "fitchat serve: ready: %s; %d slot%s of %d tokens, queue %d%s\n",
            session_plan_line(line, sizeof line, &s.plan, &s.inv), n_slots, n_slots == 1 ? "" : "s",
            sched_n_ctx(sc), cfg.queue_size, key ? ", API key required" : "");

    int sig = 0;
    sigwait(&stop_set, &sig);
    drain(http, sc, &stop_set, sig, cfg.drain_timeout);
    goto done;
fail:
    fprintf(stderr, "fitchat serve: %s\n", err.msg);
    rc = err.code == FC_EINPUT ? 2 : 1;
done:
    sched_stop(sc);   /* running requests end; their connections finish */
    /* Let the connections send what ends them (the 503 or the stream's last event and its
     * terminating chunk) before the daemon closes their sockets: a short, bounded wait. */
    for (const double end = fc_now_s() + SERVE_FINAL_SEND_S; http_n_generating(http) > 0 && fc_now_s() < end;)
        nanosleep(&(struct timespec){0, 10 * 1000000L}, NULL);
    http_stop(http);  /* joins the connection threads */
    sched_free(sc);
    session_close(&s);
    free(key);
    config_free(&cfg);
    return rc;
}
