/* generate — see generate.h. */
#include "generate.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../util/clock.h"

int gen_history_reserve(gen_history *h, int n, fc_err *err) {
    if (n <= h->cap) return 0;
    int cap = h->cap ? h->cap : 256;
    while (cap < n) cap *= 2;
    int32_t *p = realloc(h->ids, (size_t)cap * sizeof *p);
    if (!p) return fc_errf(err, FC_EFAIL, "out of memory");
    h->ids = p;
    h->cap = cap;
    return 0;
}

int gen_begin(gen_state *g, const gen_params *p, fc_err *err) {
    memset(g, 0, sizeof *g);
    g->p = *p;
    txt_stream_init(&g->st, p->stops);
    g->t0 = fc_now_s();
    if ((p->presence_penalty != 0 || p->frequency_penalty != 0) && p->n_vocab > 0) {
        g->counts = calloc((size_t)p->n_vocab, sizeof *g->counts);
        g->biased = malloc((size_t)p->n_vocab * sizeof *g->biased);
        if (!g->counts || !g->biased) {
            free(g->counts);
            free(g->biased);
            txt_stream_free(&g->st);
            return fc_errf(err, FC_EFAIL, "out of memory");
        }
    }
    return 0;
}

/* The logits with the presence / frequency penalties of this reply. */
static const float *penalized(gen_state *g, const float *logits, const gen_history *hist) {
    if (!g->counts) return logits;
    memcpy(g->biased, logits, (size_t)g->p.n_vocab * sizeof *logits);
    /* The reply's tokens are the last n_gen of hist (the newest one, not
     * yet evaluated, is never there: gen_accept adds it). Each distinct
     * token is adjusted once, when its first appearance is met. */
    for (int i = hist->n - g->res.n_gen; i < hist->n; i++) {
        int32_t id = hist->ids[i];
        if (id < 0 || id >= g->p.n_vocab || g->counts[id] <= 0) continue;
        float c = (float)g->counts[id];
        g->biased[id] -= g->p.presence_penalty + c * g->p.frequency_penalty;
        g->counts[id] = -g->counts[id]; /* done for this step */
    }
    for (int i = hist->n - g->res.n_gen; i < hist->n; i++) {
        int32_t id = hist->ids[i];
        if (id >= 0 && id < g->p.n_vocab && g->counts[id] < 0) g->counts[id] = -g->counts[id];
    }
    return g->biased;
}

int gen_next(gen_state *g, const tokenizer *tok, fc_sampler *smp, const float *logits, const gen_history *hist,
             int n_ctx, int32_t *id_out, fc_err *err) {
    const gen_params *p = &g->p;
    if (g->done) return 0;
    g->done = true;
    if (p->interrupt && *p->interrupt) { g->res.stop = GEN_INTERRUPTED; return 0; }
    const int32_t id = sampler_sample(smp, penalized(g, logits, hist), hist->ids, hist->n);
    if (p->stop_at_eog && tok_is_eog(tok, id)) { g->res.stop = GEN_EOG; return 0; }
    g->res.n_gen++;
    if (p->on_token) p->on_token(p->token_ctx, id);
    size_t len = 0;
    const char *piece = tok_piece(tok, id, false, &len);
    const int r = txt_stream_push(&g->st, piece, len, p->emit, p->emit_ctx);
    if (r < 0) return fc_errf(err, FC_EFAIL, "out of memory");
    if (r > 0) { g->res.stop = GEN_STOP_STRING; return 0; }
    if (p->max_tokens > 0 && g->res.n_gen >= p->max_tokens) { g->res.stop = GEN_MAX_TOKENS; return 0; }
    if (hist->n >= n_ctx) { g->res.stop = GEN_CTX_FULL; return 0; }
    g->done = false;
    *id_out = id;
    return 1;
}

int gen_accept(gen_state *g, gen_history *hist, int32_t id, fc_err *err) {
    if (gen_history_reserve(hist, hist->n + 1, err)) return -1;
    hist->ids[hist->n++] = id;
    if (g->counts && id >= 0 && id < g->p.n_vocab) g->counts[id]++;
    return 0;
}

int gen_end(gen_state *g, gen_result *out, fc_err *err) {
    int rc = 0;
    *out = g->res;
    out->text = NULL;
    out->text_len = 0;
    out->seconds = fc_now_s() - g->t0;
    if (txt_stream_finish(&g->st, g->p.emit, g->p.emit_ctx)) rc = fc_errf(err, FC_EFAIL, "out of memory");
    if (rc == 0) {
        out->text = g->st.text; /* the stream's buffer becomes the result's */
        out->text_len = g->st.text_len;
        g->st.text = NULL;
    }
    txt_stream_free(&g->st);
    free(g->counts);
    free(g->biased);
    g->counts = NULL;
    g->biased = NULL;
    return rc;
}

int session_generate(fc_engine *e, const tokenizer *tok, fc_sampler *smp, gen_history *hist, const gen_params *p,
                     gen_result *out, fc_err *err) {
    memset(out, 0, sizeof *out);
    gen_state g;
    if (gen_begin(&g, p, err)) return -1;
    const int n_ctx = engine_n_ctx(e);
    int rc = 0;
    for (;;) {
        int32_t id;
        int r = gen_next(&g, tok, smp, engine_logits(e), hist, n_ctx, &id, err);
        if (r < 0) { rc = -1; break; }
        if (r == 0) break;
        if (engine_eval(e, &id, 1, NULL, err) || gen_accept(&g, hist, id, err)) { rc = -1; break; }
    }
    gen_result res;
    fc_err end_err = {0};
    int erc = gen_end(&g, &res, &end_err);
    if (rc) { free(res.text); return -1; }
    if (erc) { if (err) *err = end_err; return -1; }
    *out = res;
    return 0;
}
