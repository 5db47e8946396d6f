/* http — the server's HTTP side, on libmicrohttpd (no HTTP parsing of our own).
 *
 * Routes (docs/serve.md): POST /v1/chat/completions, POST /v1/completions, GET /v1/models
 * (also without the /v1 prefix), GET /health, GET /metrics, GET / (up or not), and
 * ollama's POST /api/chat, POST /api/generate, GET /api/tags, POST /api/show, GET /api/ps,
 * GET /api/version. A known path with another method is a 405 (with Allow), OPTIONS a
 * CORS preflight (204; 403 for an origin not allowed), anything else a 404. Errors have
 * OpenAI's shape (ollama's {"error": "..."} on the /api/ paths) and name the field at
 * fault. Responses to a web page from an allowed origin (cors_origins; by default pages
 * of this machine, as ollama does) carry Access-Control-Allow-Origin.
 *
 * Listening starts before the model is loaded: until http_set_ready, /health answers 503
 * {"status": "loading"} and every other route 503. With an API key, every route but
 * /health needs "Authorization: Bearer KEY" (compared in constant time; 401 otherwise).
 * A body over max_body is a 413 (read to its end and dropped, up to a bound, so the client
 * sees the answer rather than a reset). A full queue is a 503 with Retry-After.
 *
 * One thread per connection (libmicrohttpd's); a generating request's thread waits on its
 * job and checks, between waits (100 ms at most), whether the client closed the
 * connection; if so it cancels the job, so the slot is freed at the worker's next step.
 * Streams: text/event-stream "data: {...}" events ending with "data: [DONE]" (OpenAI),
 * application/x-ndjson lines (ollama).
 *
 * http_start / http_stop pair; the scheduler and model info given to http_set_ready must
 * outlive http_stop.
 */
#ifndef FC_SERVE_HTTP_H
#define FC_SERVE_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "../util/err.h"
#include "format.h"
#include "sched.h"

typedef struct srv_http_config {
    const char *host;       /* IPv4 or IPv6 address */
    int port;               /* 0: any free port (http_port says which) */
    const char *api_key;    /* NULL: none */
    size_t max_body;        /* bytes */
    unsigned timeout;       /* seconds a connection may stay idle */
    unsigned max_connections;
    const char *cors_origins; /* CORS_ORIGINS: "*", or origins separated by ','; NULL: this machine's pages */
} srv_http_config;

typedef struct srv_http srv_http;

/* Listens (answers 503 until http_set_ready). NULL with err (FC_EINPUT for a bad
 * address, FC_EFAIL when the port cannot be bound). */
srv_http *http_start(const srv_http_config *c, fc_err *err);
int http_port(const srv_http *h);
/* The model is loaded: requests go to sc. m: the model as the lists show it; dev: the
 * device lines of /metrics (copied). */
void http_set_ready(srv_http *h, srv_sched *sc, const srv_model_info *m, const srv_metrics *dev);
/* Shutting down: /health answers 503 {"status": "draining"} (a load balancer takes the
 * replica out); the other routes go on (the scheduler refuses new generations). NULL ok. */
void http_set_draining(srv_http *h);
/* Generation requests taken (queued, running, or still sending their reply). */
int http_n_generating(srv_http *h);
/* Whether a web page from origin o (a request's Origin header; NULL ok) may read this
 * server's answers: list (CORS_ORIGINS) "*" allows any, else one of its comma-separated
 * origins (compared without case), and always a page of this machine: http(s)://localhost,
 * 127.0.0.1 or [::1], with or without a port, as ollama allows by default. */
bool http_origin_allowed(const char *list, const char *o);
/* Stops listening, closes every connection and joins their threads. NULL ok. */
void http_stop(srv_http *h);

#endif
