/* fitchat serve — an OpenAI- and ollama-compatible HTTP server for one model.
 *
 * Settings come from the same loader as the chat (modelconf.json, then flags), with the
 * server's own keys (HOST, PORT, N_PARALLEL, API_KEY, API_KEY_FILE, TIMEOUT, MAX_BODY,
 * QUEUE_SIZE); the model from the same session. It listens first (so /health can say
 * "loading"), loads the model, makes the slots, then serves until SIGINT or SIGTERM,
 * when running requests end as interrupted and the process exits 0. The HTTP side is
 * src/serve/http.c, the slots and the worker src/serve/sched.c (docs/serve.md).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../serve/http.h"
#include "../serve/sched.h"
#include "../util/file.h"
#include "../util/fmt.h"
#include "commands.h"
#include "config.h"
#include "session.h"

#define SERVE_AUTO_SLOTS 4  /* N_PARALLEL "auto" on the CPU, when the host memory allows */

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
           "Endpoints: POST /v1/chat/completions, POST /v1/completions, GET /v1/models, GET /health,\n"
           "GET /metrics (Prometheus), POST /api/chat, POST /api/generate, GET /api/tags (docs/serve.md).\n\n"
           "Server (modelconf.json keys in brackets):\n");
    config_print_server_flags(stdout);
    printf("  %-36s %s\n\n", "--print-config", "show every setting and where it came from, then exit");
    printf("-np N: N slots, each with its own KV cache of N_CTX tokens; a request goes to the idle slot\n"
           "whose cache shares the longest prefix with its prompt; each step evaluates one prompt chunk\n"
           "or one token of every busy slot. \"auto\": %d slots when the model runs on the CPU and the\n"
           "host memory holds their KV caches, else 1. More than one slot with layers on a GPU awaits\n"
           "batched evaluation in the engine (one weights copy for all slots): use -np 1 there.\n\n"
           "Model and sampling (the defaults of every request; a request's own fields win):\n",
           SERVE_AUTO_SLOTS);
    config_print_flags(stdout);
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

/* The number of slots: N_PARALLEL, or "auto" (see usage). */
static int choose_slots(const fc_config *cfg, const fc_session *s, fc_err *err) {
    bool gpu = s->plan.n_gpu_layers > 0 || s->plan.head_on_gpu;
    uint64_t per_slot = s->plan.cpu.kv + s->plan.cpu.buffers;
    uint64_t avail = s->inv.host_avail; /* 0: unknown */
    uint64_t room = avail > s->plan.cpu.total ? avail - s->plan.cpu.total : 0;
    int n = cfg->n_parallel;
    if (n == FC_PARALLEL_AUTO) {
        if (gpu) return 1;
        n = SERVE_AUTO_SLOTS;
        while (n > 1 && avail && per_slot * (uint64_t)(n - 1) > room / 2) n--; /* leave half the room free */
        return n;
    }
    if (n > 1 && gpu)
        return fc_errf(err, FC_EINPUT,
                       "N_PARALLEL = %d with %u layers on a GPU: parallel slots on GPUs await batched evaluation "
                       "(one copy of the weights for all slots); use -np 1, or LAYERS 0", n, s->plan.n_gpu_layers);
    if (n > 1 && avail && per_slot * (uint64_t)(n - 1) > room) {
        char a[32], b[32];
        return fc_errf(err, FC_EINPUT, "N_PARALLEL = %d needs %s more host memory for the slots' KV caches and buffers, "
                       "but %s is left (lower -np or N_CTX)", n, fmt_bytes(a, sizeof a, per_slot * (uint64_t)(n - 1)),
                       fmt_bytes(b, sizeof b, room));
    }
    return n;
}

/* The device lines of /metrics: planned (the plan, KV and buffers once per slot) and
 * allocated (the engines' logs). */
static void device_lines(const fc_session *s, srv_sched *sc, int n_slots, srv_metrics *m, char names[][160]) {
    memset(m, 0, sizeof *m);
    uint64_t cpu, dev[GPU_MAX_DEVICES];
    sched_allocated(sc, &cpu, dev, s->plan.n_dev);
    const mem_bytes *p = &s->plan.cpu;
    snprintf(names[0], 160, "CPU");
    m->dev[0].name = names[0];
    m->dev[0].planned = p->weights + (uint64_t)n_slots * (p->kv + p->buffers);
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
        .max_connections = (unsigned)(FC_PARALLEL_MAX + cfg.queue_size + 64),
    };
    http = http_start(&hc, &err);
    if (!http) goto fail;
    const char *h = cfg.host;
    bool v6 = strchr(h, ':') != NULL;
    fprintf(stderr, "fitchat serve: listening on http://%s%s%s:%d (loading the model)\n", v6 ? "[" : "", h, v6 ? "]" : "",
            http_port(http));
    /* While the model loads, Ctrl-C stops the process at once. */
    pthread_sigmask(SIG_UNBLOCK, &stop_set, NULL);
    session_opts so = {.progress = session_progress_stderr};
    int orc = session_open_ex(&s, &cfg, &so, &err);
    pthread_sigmask(SIG_BLOCK, &stop_set, NULL);
    if (orc) goto fail;
    for (int i = 0; i < s.n_notices; i++) fprintf(stderr, "fitchat serve: warning: %s\n", s.notices[i]);
    for (int i = 0; i < s.plan.n_warnings; i++) fprintf(stderr, "fitchat serve: warning: %s\n", s.plan.warnings[i]);
    int n_slots = choose_slots(&cfg, &s, &err);
    if (n_slots < 0) goto fail;
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
    srv_model_info mi = {
        .name = name,
        .created = have_st ? (int64_t)st.st_mtime : 0,
        .size = have_st ? (uint64_t)st.st_size : 0,
        .family = s.desc.arch,
        .quant = "",
        .params = "",
    };
    srv_metrics devs;
    device_lines(&s, sc, n_slots, &devs, dev_names);
    http_set_ready(http, sc, &mi, &devs);
    fprintf(stderr, "fitchat serve: ready: %s; %d slot%s of %d tokens, queue %d%s\n",
            session_plan_line(line, sizeof line, &s.plan, &s.inv), n_slots, n_slots == 1 ? "" : "s",
            sched_n_ctx(sc), cfg.queue_size, key ? ", API key required" : "");

    int sig = 0;
    sigwait(&stop_set, &sig);
    fprintf(stderr, "fitchat serve: %s: stopping\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
    goto done;
fail:
    fprintf(stderr, "fitchat serve: %s\n", err.msg);
    rc = err.code == FC_EINPUT ? 2 : 1;
done:
    sched_stop(sc);   /* running requests end; their connections finish */
    http_stop(http);  /* joins the connection threads */
    sched_free(sc);
    session_close(&s);
    free(key);
    config_free(&cfg);
    return rc;
}
