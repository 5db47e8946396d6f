/* fuzz_serve — libFuzzer target for the server's request parsers: the first byte picks the
 * API (chat, completions, ollama chat, ollama generate, ollama show), the rest is the HTTP
 * body given to srv_request_parse (srv_show_parse for show: 0, or a 400 / 404 with a
 * one-line message); or (5) the rest is "CORS_ORIGINS\0Origin header" for
 * http_origin_allowed, whose answer must agree with a plain reading of its rule. A refusal must be a 400 with a one-line message (and the error body
 * valid for it); an accepted request must hold what request.h promises (valid UTF-8 text,
 * values in range; an ollama load / unload holds no text) and format a reply without
 * trouble. Anything else is a finding.
 * Seeds: fuzz/corpus-serve/. Run: make -f fuzz/Makefile run-serve. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../src/serve/format.h"
#include "../src/serve/http.h"
#include "../src/serve/request.h"
#include "../src/text/stream.h"

/* A page of this machine, read the long way: scheme, one of three hosts, then nothing or
 * ":" and one or more digits. */
static bool local_origin(const char *o) {
    static const char *const schemes[] = {"http://", "https://"}, *const hosts[] = {"localhost", "127.0.0.1", "[::1]"};
    for (int s = 0; s < 2; s++)
        for (int h = 0; h < 3; h++) {
            char want[64];
            snprintf(want, sizeof want, "%s%s", schemes[s], hosts[h]);
            const size_t n = strlen(want);
            if (strncasecmp(o, want, n)) continue;
            const char *port = o + n;
            if (!*port) return true;
            if (*port != ':' || !port[1]) return false;
            return strspn(port + 1, "0123456789") == strlen(port + 1);
        }
    return false;
}

static int fuzz_origin(const char *d, size_t n) {
    char *buf = malloc(n + 1);
    if (!buf) return 0;
    memcpy(buf, d, n);
    buf[n] = '\0';
    const size_t l = strlen(buf); /* list up to the first NUL, origin after it */
    const char *list = buf, *o = l < n ? buf + l + 1 : NULL;
    bool want = false;
    if (o && *o) {
        want = !strcmp(list, "*") || local_origin(o);
        for (const char *p = list; !want && *p;) { /* the list's entries, one by one */
            const size_t len = strcspn(p, ",");
            want = len == strlen(o) && !strncasecmp(p, o, len);
            p += len + (p[len] == ',');
        }
    }
    if (http_origin_allowed(list, o) != want || http_origin_allowed(NULL, o) != (o && *o && local_origin(o))) abort();
    free(buf);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    if (data[0] % 6 == 5) return fuzz_origin((const char *)data + 1, size - 1);
    if (data[0] % 6 == 4) {
        srv_error se = {0};
        if (srv_show_parse((const char *)data + 1, size - 1, "model", &se) &&
            ((se.status != 400 && se.status != 404) || !se.message[0] || strchr(se.message, '\n')))
            abort();
        return 0;
    }
    srv_api api = (srv_api)(data[0] % 6);
    srv_request r;
    srv_error e = {0};
    srv_sb b = {0};
    if (srv_request_parse(api, (const char *)data + 1, size - 1, &r, &e)) {
        if (e.status != 400 && e.status != 500) abort();
        if (!e.message[0] || strchr(e.message, '\n') || !e.type) abort();
        srv_fmt_error(&b, &e, api >= SRV_OLLAMA_CHAT);
        if (!b.oom && !txt_utf8_valid(b.p, b.n) && txt_utf8_valid(e.message, strlen(e.message))) abort();
        srv_sb_free(&b);
        return 0;
    }
    bool chat = api == SRV_CHAT || api == SRV_OLLAMA_CHAT;
    if (r.load_only) { /* ollama's load / unload: no text, answered at once */
        if (api < SRV_OLLAMA_CHAT || r.n_msgs || r.msgs || r.prompt) abort();
        srv_reply_id id = {.api = api, .id = "x", .model = "m", .created = 0};
        srv_usage u = {0, 0};
        srv_fmt_reply(&b, &id, "", 0, r.unload ? "unload" : "load", &u, 0, 0);
        srv_sb_free(&b);
        srv_request_free(&r);
        return 0;
    }
    if (r.unload && api < SRV_OLLAMA_CHAT) abort();
    if (chat && (r.n_msgs < 1 || !r.msgs)) abort();
    if (!chat && !r.prompt) abort();
    for (int i = 0; i < r.n_msgs; i++) {
        if ((unsigned)r.msgs[i].role > TMPL_ASSISTANT || !r.msgs[i].content) abort();
        if (!txt_utf8_valid(r.msgs[i].content, strlen(r.msgs[i].content))) abort();
    }
    if (r.n_stops < 0 || r.n_stops > SRV_MAX_STOPS) abort();
    for (int i = 0; i < r.n_stops; i++)
        if (!r.stops[i] || !r.stops[i][0] || strlen(r.stops[i]) > SRV_MAX_STOP_LEN) abort();
    if (r.max_tokens == 0 || r.max_tokens < -1) abort();
    if ((r.set & SRV_SET_TOP_P) && !(r.top_p > 0 && r.top_p <= 1)) abort();
    if ((r.set & SRV_SET_MIN_P) && !(r.min_p >= 0 && r.min_p < 1)) abort();
    if ((r.set & SRV_SET_TEMPERATURE) && !(r.temperature >= 0 && r.temperature <= 100)) abort();
    srv_reply_id id = {.api = api, .id = "x", .model = "m", .created = 0};
    srv_usage u = {1, 1};
    const char *text = chat ? r.msgs[0].content : r.prompt;
    srv_fmt_reply(&b, &id, text, strlen(text), "stop", &u, 0, 0);
    srv_fmt_chunk(&b, &id, text, strlen(text), true, NULL, r.include_usage);
    if (!b.oom && memchr(b.p, '\0', b.n)) abort();
    srv_sb_free(&b);
    srv_request_free(&r);
    return 0;
}
