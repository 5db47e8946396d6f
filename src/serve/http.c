/* http — see http.h. */
#include "http.h"

#include "../util/clock.h"
#include "../util/fmt.h"
#include "../util/version.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#define WAIT_MS 100                       /* between checks of a waiting client */
#define DISCARD_MAX (64ull << 20)         /* beyond max_body, bytes read before closing */

struct srv_http {
    struct MHD_Daemon *d;
    srv_http_config cfg;
    char *api_key;
    size_t key_len;
    int port;
    _Atomic(srv_sched *) sched;          /* NULL while loading */
    atomic_bool draining;                /* http_set_draining: /health says 503 */
    atomic_int n_generating;             /* generations submitted whose replies are not all sent */
    srv_model_info model;
    srv_metrics dev;                     /* the device lines of /metrics */
    atomic_ulong reply_counter;
};

/* One request's state across the access handler's calls. */
typedef struct conn_ctx {
    srv_sb body;
    uint64_t got;          /* body bytes received */
    uint64_t declared;     /* Content-Length, 0 if none */
    bool too_large;
    bool counted;          /* a generation, in h->n_generating until the request completes */
    double t0;             /* monotonic seconds when its headers arrived (ollama's total_duration) */
} conn_ctx;

/* A streamed reply: read by libmicrohttpd through stream_read. */
typedef struct stream_ctx {
    srv_http *h;
    srv_sched *sc;
    srv_job *job;
    struct MHD_Connection *conn;
    srv_reply_id id;
    double t0;             /* conn_ctx.t0 */
    size_t seen;           /* of the job's text */
    srv_sb pending;        /* formatted, not yet sent */
    size_t off;
    bool first, ended;
} stream_ctx;

/* ---- responses ---- */

bool http_origin_allowed(const char *list, const char *o) {
    if (!o || !*o) return false;
    if (list && *list) {
        if (!strcmp(list, "*")) return true;
        const size_t n = strlen(o);
        for (const char *p = list; *p;) {
            const char *e = strchr(p, ',');
            const size_t len = e ? (size_t)(e - p) : strlen(p);
            if (len == n && !strncasecmp(p, o, n)) return true;
            if (!e) break;
            p = e + 1;
        }
    }
    const char *rest = !strncasecmp(o, "http://", 7) ? o + 7 : !strncasecmp(o, "https://", 8) ? o + 8 : NULL;
    if (!rest) return false;
    static const char *const local[] = {"localhost", "127.0.0.1", "[::1]"};
    for (size_t i = 0; i < sizeof local / sizeof local[0]; i++) {
        const size_t l = strlen(local[i]);
        if (strncasecmp(rest, local[i], l)) continue;
        const char *port = rest + l;
        if (!*port) return true;
        if (*port++ != ':' || !*port) return false;
        while (*port >= '0' && *port <= '9') port++;
        return !*port;
    }
    return false;
}

/* Queues r, with the CORS headers when the request came from an allowed web page. */
static enum MHD_Result queue(const srv_http *h, struct MHD_Connection *c, unsigned status, struct MHD_Response *r) {
    const char *o = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin");
    if (o) MHD_add_response_header(r, "Vary", "Origin");
    if (http_origin_allowed(h->cfg.cors_origins, o)) MHD_add_response_header(r, "Access-Control-Allow-Origin", o);
    return MHD_queue_response(c, status, r);
}

static enum MHD_Result send_body(const srv_http *h, struct MHD_Connection *c, int status, const char *type, const char *body, size_t n,
                                 const char *retry_after, const char *allow) {
    struct MHD_Response *r = MHD_create_response_from_buffer(n, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!r) return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    if (retry_after) MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, retry_after);
    if (allow) MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
    if (status == 401) MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
    enum MHD_Result rc = queue(h, c, (unsigned)status, r);
    MHD_destroy_response(r);
    return rc;
}

static enum MHD_Result send_sb(const srv_http *h, struct MHD_Connection *c, int status, const char *type, srv_sb *b) {
    if (b->oom) {
        static const char oom[] = "{\"error\":{\"message\":\"out of memory\",\"type\":\"server_error\",\"param\":null,\"code\":null}}";
        srv_sb_free(b);
        return send_body(h, c, 500, "application/json", oom, sizeof oom - 1, NULL, NULL);
    }
    enum MHD_Result rc = send_body(h, c, status, type, b->p ? b->p : "", b->n, NULL, NULL);
    srv_sb_free(b);
    return rc;
}

static enum MHD_Result send_error(const srv_http *h, struct MHD_Connection *c, const srv_error *e, bool ollama, const char *allow) {
    srv_sb b = {0};
    srv_fmt_error(&b, e, ollama);
    enum MHD_Result rc = b.oom ? MHD_NO
                               : send_body(h, c, e->status, "application/json", b.p, b.n, e->status == 503 ? "1" : NULL, allow);
    srv_sb_free(&b);
    return rc;
}

/* ---- the client ---- */

/* Whether the client closed its side: a hang-up, or end of file where a request could
 * begin (bytes already there, a pipelined request, do not count). */
static bool client_gone(struct MHD_Connection *c) {
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (!ci) return false;
    struct pollfd p = {.fd = ci->connect_fd, .events = POLLIN | POLLRDHUP};
    if (poll(&p, 1, 0) <= 0) return false;
    if (p.revents & (POLLHUP | POLLERR | POLLRDHUP)) return true;
    char ch;
    return (p.revents & POLLIN) && recv(ci->connect_fd, &ch, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
}

static bool authorized(srv_http *h, struct MHD_Connection *c) {
    if (!h->api_key) return true;
    const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    if (!v || strncmp(v, "Bearer ", 7)) return false;
    v += 7;
    return srv_key_equal(v, strlen(v), h->api_key, h->key_len);
}

/* ---- generating ---- */

static void reply_id(srv_http *h, srv_api api, srv_reply_id *id) {
    unsigned long n = atomic_fetch_add(&h->reply_counter, 1) + 1;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    id->api = api;
    snprintf(id->id, sizeof id->id, "%s-%lx%08lx", api == SRV_CHAT ? "chatcmpl" : "cmpl", (unsigned long)ts.tv_sec, n);
    id->model = h->model.name;
    id->created = (int64_t)ts.tv_sec;
    id->total_s = 0; /* set when the reply ends */
}

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max) {
    (void)pos;
    stream_ctx *st = cls;
    bool ollama = st->id.api == SRV_OLLAMA_CHAT || st->id.api == SRV_OLLAMA_GENERATE;
    while (st->off == st->pending.n) {
        if (st->ended) return MHD_CONTENT_READER_END_OF_STREAM;
        st->pending.n = 0;
        st->off = 0;
        srv_sb delta = {0};
        bool done = sched_wait(st->sc, st->job, &st->seen, &delta, WAIT_MS);
        srv_job *j = st->job;
        if (delta.n) {
            srv_fmt_chunk(&st->pending, &st->id, delta.p, delta.n, st->first, NULL, j->req.include_usage);
            st->first = false;
        }
        srv_sb_free(&delta);
        if (done) {
            /* The job is done: its fields no longer change. */
            if (j->failed) {
                if (!ollama) srv_sb_str(&st->pending, "data: ");
                srv_fmt_error(&st->pending, &j->err, ollama);
                srv_sb_str(&st->pending, ollama ? "\n" : "\n\n");
            } else {
                const char *finish = srv_finish_reason(j->stop);
                srv_usage u = {j->n_prompt, j->n_gen};
                if (!ollama) srv_fmt_chunk(&st->pending, &st->id, "", 0, st->first, finish, j->req.include_usage);
                st->id.total_s = fc_now_s() - st->t0;
                srv_fmt_stream_end(&st->pending, &st->id, finish, &u, j->req.include_usage, j->prompt_s, j->gen_s);
            }
            st->ended = true;
        } else if (!st->pending.n && client_gone(st->conn)) {
            sched_cancel(st->sc, j);
            return MHD_CONTENT_READER_END_WITH_ERROR;
        }
        if (st->pending.oom) return MHD_CONTENT_READER_END_WITH_ERROR;
    }
    size_t n = st->pending.n - st->off;
    if (n > max) n = max;
    memcpy(buf, st->pending.p + st->off, n);
    st->off += n;
    return (ssize_t)n;
}

static void stream_free(void *cls) {
    stream_ctx *st = cls;
    sched_cancel(st->sc, st->job); /* a no-op when it is done */
    sched_release(st->sc, st->job);
    srv_sb_free(&st->pending);
    free(st);
}

static enum MHD_Result generate(srv_http *h, srv_sched *sc, struct MHD_Connection *c, srv_api api, conn_ctx *cc) {
    bool ollama = api == SRV_OLLAMA_CHAT || api == SRV_OLLAMA_GENERATE;
    srv_error e = {0};
    srv_request req;
    if (srv_request_parse(api, cc->body.p ? cc->body.p : "", cc->body.n, &req, &e)) {
        sched_count_rejected(sc);
        return send_error(h, c, &e, ollama, NULL);
    }
    if (req.load_only) { /* ollama's "load" / "unload": the model is always loaded */
        srv_reply_id id;
        reply_id(h, api, &id);
        srv_sb b = {0};
        const srv_usage u = {0, 0};
        srv_fmt_reply(&b, &id, "", 0, req.unload ? "unload" : "load", &u, 0, 0);
        srv_request_free(&req);
        return send_sb(h, c, 200, "application/json", &b);
    }
    srv_job *j = sched_job_new(&req);
    if (!j) {
        srv_request_free(&req);
        srv_fail(&e, 500, NULL, "out of memory");
        return send_error(h, c, &e, ollama, NULL);
    }
    if (sched_prepare(sc, j, &e)) {
        sched_count_rejected(sc);
        sched_release(sc, j);
        return send_error(h, c, &e, ollama, NULL);
    }
    if (sched_submit(sc, j, &e)) {
        sched_release(sc, j);
        return send_error(h, c, &e, ollama, NULL);
    }
    cc->counted = true; /* until completed_cb: the reply's last byte is sent or the client left */
    atomic_fetch_add(&h->n_generating, 1);
    srv_reply_id id;
    reply_id(h, api, &id);
    if (j->req.stream) {
        stream_ctx *st = calloc(1, sizeof *st);
        struct MHD_Response *r = st ? MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, stream_read, st, stream_free) : NULL;
        if (!r) {
            free(st);
            sched_cancel(sc, j);
            sched_release(sc, j);
            return MHD_NO;
        }
        *st = (stream_ctx){.h = h, .sc = sc, .job = j, .conn = c, .id = id, .t0 = cc->t0, .first = true};
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ollama ? "application/x-ndjson" : "text/event-stream");
        MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
        enum MHD_Result rc = queue(h, c, MHD_HTTP_OK, r);
        MHD_destroy_response(r); /* stream_free runs when libmicrohttpd is done with it */
        return rc;
    }
    /* Not streamed: wait for the whole reply, watching the client. */
    size_t seen = 0;
    srv_sb text = {0};
    while (!sched_wait(sc, j, &seen, &text, WAIT_MS)) {
        if (client_gone(c)) {
            sched_cancel(sc, j);
            sched_release(sc, j);
            srv_sb_free(&text);
            return MHD_NO;
        }
    }
    enum MHD_Result rc;
    if (j->failed || text.oom) {
        if (text.oom) srv_fail(&j->err, 500, NULL, "out of memory");
        rc = send_error(h, c, &j->err, ollama, NULL);
    } else {
        srv_sb b = {0};
        srv_usage u = {j->n_prompt, j->n_gen};
        id.total_s = fc_now_s() - cc->t0;
        srv_fmt_reply(&b, &id, text.p ? text.p : "", text.n, srv_finish_reason(j->stop), &u, j->prompt_s, j->gen_s);
        rc = send_sb(h, c, 200, "application/json", &b);
    }
    srv_sb_free(&text);
    sched_release(sc, j);
    return rc;
}

/* ---- routing ---- */

typedef enum route {
    R_NONE, R_ROOT, R_HEALTH, R_METRICS, R_VERSION, R_MODELS, R_TAGS, R_SHOW, R_PS, R_CHAT, R_COMPLETION, R_OLLAMA_CHAT,
    R_OLLAMA_GENERATE
} route;

static const struct {
    const char *path;
    route r;
    const char *method;
} ROUTES[] = {
    {"/", R_ROOT, "GET"},
    {"/health", R_HEALTH, "GET"},
    {"/api/version", R_VERSION, "GET"},
    {"/metrics", R_METRICS, "GET"},
    {"/v1/models", R_MODELS, "GET"},
    {"/models", R_MODELS, "GET"},
    {"/api/tags", R_TAGS, "GET"},
    {"/api/show", R_SHOW, "POST"},
    {"/api/ps", R_PS, "GET"},
    {"/v1/chat/completions", R_CHAT, "POST"},
    {"/chat/completions", R_CHAT, "POST"},
    {"/v1/completions", R_COMPLETION, "POST"},
    {"/completions", R_COMPLETION, "POST"},
    {"/api/chat", R_OLLAMA_CHAT, "POST"},
    {"/api/generate", R_OLLAMA_GENERATE, "POST"},
};

static enum MHD_Result handle(srv_http *h, struct MHD_Connection *c, const char *url, const char *method,
                              conn_ctx *cc) {
    srv_error e = {0};
    bool ollama = !strncmp(url, "/api/", 5);
    int k = -1;
    for (size_t i = 0; i < sizeof ROUTES / sizeof ROUTES[0]; i++)
        if (!strcmp(url, ROUTES[i].path)) { k = (int)i; break; }
    const char *model_id = NULL; /* GET /v1/models/ID (OpenAI's models.retrieve) */
    if (k < 0 && (!strncmp(url, "/v1/models/", 11) || !strncmp(url, "/models/", 8)) && url[url[1] == 'v' ? 11 : 8]) {
        model_id = url + (url[1] == 'v' ? 11 : 8);
        for (size_t i = 0; i < sizeof ROUTES / sizeof ROUTES[0]; i++)
            if (ROUTES[i].r == R_MODELS) { k = (int)i; break; }
    }
    if (k < 0) {
        char shown[80];
        srv_fail(&e, 404, NULL, "no such endpoint: %s %s", method, fmt_printable(shown, sizeof shown, url));
        return send_error(h, c, &e, ollama, NULL);
    }
    if (!strcmp(method, "OPTIONS")) { /* a browser's CORS preflight: no key needed */
        const char *o = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin");
        if (o && !http_origin_allowed(h->cfg.cors_origins, o)) {
            char shown[80];
            srv_fail(&e, 403, NULL, "origin %s may not call this server (CORS_ORIGINS lists the allowed ones)",
                     fmt_printable(shown, sizeof shown, o));
            return send_error(h, c, &e, ollama, NULL);
        }
        struct MHD_Response *r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
        if (!r) return MHD_NO;
        char methods[32];
        snprintf(methods, sizeof methods, "%s, OPTIONS", ROUTES[k].method);
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, methods);
        if (o) {
            const char *want = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Access-Control-Request-Headers");
            MHD_add_response_header(r, "Access-Control-Allow-Methods", methods);
            MHD_add_response_header(r, "Access-Control-Allow-Headers", want && *want ? want : "Authorization, Content-Type");
            MHD_add_response_header(r, "Access-Control-Max-Age", "600");
        }
        enum MHD_Result rc = queue(h, c, 204, r);
        MHD_destroy_response(r);
        return rc;
    }
    bool head_ok = !strcmp(ROUTES[k].method, "GET") && !strcmp(method, "HEAD");
    if (strcmp(method, ROUTES[k].method) && !head_ok) {
        srv_fail(&e, 405, NULL, "%s %s: method not allowed (use %s)", method, url, ROUTES[k].method);
        return send_error(h, c, &e, ollama, ROUTES[k].method);
    }
    if (cc->too_large) {
        if (cc->declared > h->cfg.max_body)
            srv_fail(&e, 413, NULL, "body: %llu bytes, over the limit of %zu (MAX_BODY)", (unsigned long long)cc->declared,
                     h->cfg.max_body);
        else
            srv_fail(&e, 413, NULL, "body: %llu bytes or more, over the limit of %zu (MAX_BODY)",
                     (unsigned long long)cc->got, h->cfg.max_body);
        e.code = "request_too_large";
        return send_error(h, c, &e, ollama, NULL);
    }
    srv_sched *sc = atomic_load(&h->sched);
    route r = ROUTES[k].r;
    if (r == R_ROOT) { /* what ollama's clients probe: up or not (GET /health says more) */
        static const char up[] = "fitchat is running\n";
        return send_body(h, c, 200, "text/plain; charset=utf-8", up, sizeof up - 1, NULL, NULL);
    }
    if (r == R_VERSION) {
        static const char v[] = "{\"version\":\"" FC_VERSION "\"}";
        return send_body(h, c, 200, "application/json", v, sizeof v - 1, NULL, NULL);
    }
    if (r == R_HEALTH) {
        static const char ok[] = "{\"status\":\"ok\"}", loading[] = "{\"status\":\"loading\"}",
                          draining[] = "{\"status\":\"draining\"}";
        if (atomic_load(&h->draining)) return send_body(h, c, 503, "application/json", draining, sizeof draining - 1, "5", NULL);
        return sc ? send_body(h, c, 200, "application/json", ok, sizeof ok - 1, NULL, NULL)
                  : send_body(h, c, 503, "application/json", loading, sizeof loading - 1, "1", NULL);
    }
    if (!authorized(h, c)) {
        srv_fail(&e, 401, NULL, "invalid or missing API key (send 'Authorization: Bearer KEY')");
        e.code = "invalid_api_key";
        return send_error(h, c, &e, ollama, NULL);
    }
    if (!sc) {
        srv_fail(&e, 503, NULL, "the model is loading; retry when GET /health answers 200");
        e.code = "model_loading";
        return send_error(h, c, &e, ollama, NULL);
    }
    srv_sb b = {0};
    switch (r) {
    case R_METRICS: {
        srv_metrics m;
        sched_metrics(sc, &m);
        m.n_devices = h->dev.n_devices;
        memcpy(m.dev, h->dev.dev, sizeof m.dev);
        srv_fmt_metrics(&b, &m);
        return send_sb(h, c, 200, "text/plain; version=0.0.4; charset=utf-8", &b);
    }
    case R_MODELS:
        if (!model_id) { srv_fmt_models(&b, &h->model); return send_sb(h, c, 200, "application/json", &b); }
        if (strcmp(model_id, h->model.name)) {
            char shown[80];
            srv_fail(&e, 404, "model", "model '%s' not found (this server has '%s')", fmt_printable(shown, sizeof shown, model_id),
                     h->model.name);
            e.code = "model_not_found";
            return send_error(h, c, &e, false, NULL);
        }
        srv_fmt_model(&b, &h->model);
        return send_sb(h, c, 200, "application/json", &b);
    case R_TAGS: srv_fmt_tags(&b, &h->model); return send_sb(h, c, 200, "application/json", &b);
    case R_PS: srv_fmt_ps(&b, &h->model); return send_sb(h, c, 200, "application/json", &b);
    case R_SHOW:
        if (srv_show_parse(cc->body.p ? cc->body.p : "", cc->body.n, h->model.name, &e)) return send_error(h, c, &e, true, NULL);
        srv_fmt_show(&b, &h->model);
        return send_sb(h, c, 200, "application/json", &b);
    case R_CHAT: return generate(h, sc, c, SRV_CHAT, cc);
    case R_COMPLETION: return generate(h, sc, c, SRV_COMPLETION, cc);
    case R_OLLAMA_CHAT: return generate(h, sc, c, SRV_OLLAMA_CHAT, cc);
    case R_OLLAMA_GENERATE: return generate(h, sc, c, SRV_OLLAMA_GENERATE, cc);
    default: break;
    }
    return MHD_NO;
}

static enum MHD_Result access_cb(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                 const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls) {
    (void)version;
    srv_http *h = cls;
    conn_ctx *cc = *con_cls;
    if (!cc) { /* the headers are in; the body (if any) comes in the next calls */
        if (!(cc = calloc(1, sizeof *cc))) return MHD_NO;
        *con_cls = cc;
        cc->t0 = fc_now_s();
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl) {
            unsigned long long n = strtoull(cl, NULL, 10);
            cc->declared = n;
            if (n > h->cfg.max_body) {
                cc->too_large = true;
                /* Answer now, then close: a body too large even to drain, or a client that waits
                 * for "100 Continue" before sending it (RFC 9110 10.1.1: the final status
                 * instead, so it never uploads the body). */
                const char *expect = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_EXPECT);
                if (n > h->cfg.max_body + DISCARD_MAX || (expect && !strcasecmp(expect, "100-continue")))
                    return handle(h, c, url, method, cc);
            }
        }
        return MHD_YES;
    }
    if (*upload_data_size) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        cc->got += n;
        if (cc->too_large) /* read to the end (the client then reads the 413), within a bound */
            return cc->got > h->cfg.max_body + DISCARD_MAX ? MHD_NO : MHD_YES;
        if (cc->got > h->cfg.max_body) {
            cc->too_large = true;
            srv_sb_free(&cc->body);
            return MHD_YES;
        }
        srv_sb_add(&cc->body, upload_data, n);
        return cc->body.oom ? MHD_NO : MHD_YES;
    }
    return handle(h, c, url, method, cc);
}

static void completed_cb(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe) {
    (void)c;
    (void)toe;
    srv_http *h = cls;
    conn_ctx *cc = *con_cls;
    if (!cc) return;
    if (cc->counted) atomic_fetch_sub(&h->n_generating, 1);
    srv_sb_free(&cc->body);
    free(cc);
    *con_cls = NULL;
}

/* ---- start and stop ---- */

srv_http *http_start(const srv_http_config *c, fc_err *err) {
    struct sockaddr_in a4 = {0};
    struct sockaddr_in6 a6 = {0};
    struct sockaddr *addr;
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL;
    if (inet_pton(AF_INET, c->host, &a4.sin_addr) == 1) {
        a4.sin_family = AF_INET;
        a4.sin_port = htons((uint16_t)c->port);
        addr = (struct sockaddr *)&a4;
    } else if (inet_pton(AF_INET6, c->host, &a6.sin6_addr) == 1) {
        a6.sin6_family = AF_INET6;
        a6.sin6_port = htons((uint16_t)c->port);
        addr = (struct sockaddr *)&a6;
        flags |= MHD_USE_IPv6;
    } else {
        fc_errf(err, FC_EINPUT, "HOST = %s: not an IPv4 or IPv6 address", c->host);
        return NULL;
    }
    srv_http *h = calloc(1, sizeof *h);
    if (!h) { fc_errf(err, FC_EFAIL, "out of memory"); return NULL; }
    h->cfg = *c;
    if (c->api_key) {
        if (!(h->api_key = strdup(c->api_key))) { free(h); fc_errf(err, FC_EFAIL, "out of memory"); return NULL; }
        h->key_len = strlen(h->api_key);
    }
    h->cfg.api_key = NULL;
    h->d = MHD_start_daemon(flags, (uint16_t)c->port, NULL, NULL, access_cb, h,
                            MHD_OPTION_SOCK_ADDR, addr,
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)c->timeout,
                            MHD_OPTION_CONNECTION_LIMIT, (unsigned int)c->max_connections,
                            MHD_OPTION_NOTIFY_COMPLETED, completed_cb, h,
                            MHD_OPTION_STRICT_FOR_CLIENT, (int)1,
                            MHD_OPTION_END);
    if (!h->d) {
        fc_errf(err, FC_EFAIL, "cannot listen on %s port %d (in use, or not an address of this machine)", c->host, c->port);
        free(h->api_key);
        free(h);
        return NULL;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
    h->port = di ? di->port : c->port;
    return h;
}

int http_port(const srv_http *h) { return h->port; }

void http_set_ready(srv_http *h, srv_sched *sc, const srv_model_info *m, const srv_metrics *dev) {
    h->model = *m;
    h->dev = *dev;
    atomic_store(&h->sched, sc);
}

void http_set_draining(srv_http *h) {
    if (h) atomic_store(&h->draining, true);
}

int http_n_generating(srv_http *h) { return h ? atomic_load(&h->n_generating) : 0; }

void http_stop(srv_http *h) {
    if (!h) return;
    MHD_stop_daemon(h->d);
    free(h->api_key);
    free(h);
}
