/* generate — see generate.h. */
#include "generate.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

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

int session_generate(fc_engine *e, const tokenizer *tok, fc_sampler *smp, gen_history *hist, const gen_params *p,
                     gen_result *out, fc_err *err) {
    memset(out, 0, sizeof *out);
    txt_stream st;
    txt_stream_init(&st, p->stops);
    const int n_ctx = engine_n_ctx(e);
    int rc = 0;
    double t0 = now_s();
    for (;;) {
        if (p->interrupt && *p->interrupt) { out->stop = GEN_INTERRUPTED; break; }
        const int32_t id = sampler_sample(smp, engine_logits(e), hist->ids, hist->n);
        if (p->stop_at_eog && tok_is_eog(tok, id)) { out->stop = GEN_EOG; break; }
        out->n_gen++;
        if (p->on_token) p->on_token(p->token_ctx, id);
        size_t len = 0;
        const char *piece = tok_piece(tok, id, false, &len);
        const int r = txt_stream_push(&st, piece, len, p->emit, p->emit_ctx);
        if (r < 0) { rc = fc_errf(err, FC_EFAIL, "out of memory"); break; }
        if (r > 0) { out->stop = GEN_STOP_STRING; break; }
        if (p->max_tokens > 0 && out->n_gen >= p->max_tokens) { out->stop = GEN_MAX_TOKENS; break; }
        if (hist->n >= n_ctx) { out->stop = GEN_CTX_FULL; break; }
        if (gen_history_reserve(hist, hist->n + 1, err) || engine_eval(e, &id, 1, NULL, err)) { rc = -1; break; }
        hist->ids[hist->n++] = id;
    }
    out->seconds = now_s() - t0;
    if (txt_stream_finish(&st, p->emit, p->emit_ctx) && !rc) rc = fc_errf(err, FC_EFAIL, "out of memory");
    if (rc == 0) {
        out->text = st.text; /* the stream's buffer becomes the result's */
        out->text_len = st.text_len;
        st.text = NULL;
    }
    txt_stream_free(&st);
    return rc;
}
