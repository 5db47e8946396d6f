/* sched — see sched.h. */
#include "sched.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../app/chat.h"
#include "../util/clock.h"

enum slot_phase { SLOT_IDLE, SLOT_PREFILL, SLOT_GEN };

typedef struct slot {
    gen_history hist;         /* the tokens in this slot's KV cache (the engine's sequence of the slot's index) */
    int n_exact;              /* hist[0..n_exact) came from whole prompt chunks (sc->chunk each, from 0):
                                 what a fresh evaluation computes the same way, so what may be reused */
    srv_job *job;             /* NULL: idle */
    enum slot_phase phase;
    fc_sampler *sampler;      /* the job's */
    gen_state gen;
    srv_sb out;               /* text emitted during this step (worker only) */
    int cells;                /* hist.n as /metrics sees it (under the lock) */
    uint64_t last_used;       /* step counter at the last job's end (LRU among equals) */
    double t_gen0;            /* when the prompt was done */
    double prompt_s;          /* evaluation time of the job's prompt */
    /* this step */
    const int32_t *item;      /* tokens to evaluate, NULL: none */
    int n_item;
    int32_t next_id;          /* the sampled token (SLOT_GEN) */
    int batch_item;           /* its item in the last engine call with logits, or -1 */
    bool finished, failed;
    fc_err err;
    int n_prompt_eval;        /* prompt tokens evaluated this step (metrics) */
    double item_s;            /* evaluation time this step */
} slot;

struct srv_sched {
    fc_session *s;
    fc_engine *e;             /* the session's: one KV cache per slot (n_seq) */
    int n_slots, n_ctx, n_batch, n_vocab;
    int chunk;                /* prompt tokens per step and slot: n_batch less room for every other
                               * slot's token, so a chunk always fits next to them */
    int first;                /* the slot whose chunk goes first this step (rotates) */
    fc_batch_item items[FC_N_SEQ_MAX];
    slot slots[FC_N_SEQ_MAX];
    pthread_mutex_t mu;
    pthread_cond_t wake;
    pthread_t worker;
    bool worker_started, stopping;
    bool draining;            /* sched_drain: new jobs refused, the rest run to their end */
    srv_job *qhead, *qtail;
    int n_queued, n_active, queue_size;
    fc_sampler_params defaults;
    int64_t cfg_seed;
    int cfg_max_tokens;
    char *system;             /* SYSTEM_PROMPT, else the template's default (owned), or NULL */
    uint64_t steps, seed_counter;
    srv_metrics m;            /* the counters (requests, tokens, seconds) */
};

/* ---- jobs ---- */

srv_job *sched_job_new(srv_request *req) {
    srv_job *j = calloc(1, sizeof *j);
    if (!j) return NULL;
    if (pthread_cond_init(&j->cond, NULL)) { free(j); return NULL; }
    j->req = *req;
    memset(req, 0, sizeof *req);
    j->refs = 1;
    j->slot = -1;
    return j;
}

static void job_free(srv_job *j) {
    srv_request_free(&j->req);
    free(j->prompt);
    if (j->stops)
        for (char **p = j->stops; *p; p++) free(*p);
    free(j->stops);
    srv_sb_free(&j->text);
    pthread_cond_destroy(&j->cond);
    free(j);
}

/* Under the lock. */
static void job_unref(srv_job *j) {
    if (--j->refs == 0) job_free(j);
}

void sched_release(srv_sched *sc, srv_job *j) {
    if (!j) return;
    if (!sc) { job_free(j); return; }
    pthread_mutex_lock(&sc->mu);
    job_unref(j);
    pthread_mutex_unlock(&sc->mu);
}

void sched_cancel(srv_sched *sc, srv_job *j) {
    pthread_mutex_lock(&sc->mu);
    j->cancel = 1;
    pthread_cond_signal(&sc->wake); /* a queued job leaves the queue at once */
    pthread_mutex_unlock(&sc->mu);
}

/* ---- preparing a job (connection threads) ---- */

static int add_stop(char ***list, int *n, const char *s) {
    char **l = realloc(*list, (size_t)(*n + 2) * sizeof *l);
    if (!l) return -1;
    *list = l;
    if (!(l[*n] = strdup(s))) return -1;
    l[++*n] = NULL;
    return 0;
}

static int tokenize(srv_sched *sc, srv_job *j, srv_error *e) {
    const srv_request *r = &j->req;
    fc_err err = {0};
    const tokenizer *tok = sc->s->tok;
    if (r->api == SRV_COMPLETION || (r->api == SRV_OLLAMA_GENERATE && r->raw)) {
        /* Raw text, special-token parsing off: "<|im_start|>" in a prompt is text. */
        j->n_prompt = tok_encode(tok, r->prompt, strlen(r->prompt), tok_add_bos(tok), false, &j->prompt, &err);
        if (j->n_prompt < 0) return srv_fail(e, err.code == FC_EINPUT ? 400 : 500, "prompt", "prompt: %s", err.msg);
        return 0;
    }
    /* The conversation through the chat template, as the chat renders it: the system
     * prompt of the settings (or the template's own default) when the client sent none. */
    int n = r->api == SRV_OLLAMA_GENERATE ? 2 : r->n_msgs + 1;
    tmpl_msg *m = malloc((size_t)n * sizeof *m);
    if (!m) return srv_fail(e, 500, NULL, "out of memory");
    int k = 0;
    if (r->api == SRV_OLLAMA_GENERATE) {
        if (r->system) m[k++] = (tmpl_msg){TMPL_SYSTEM, r->system};
        else if (sc->system) m[k++] = (tmpl_msg){TMPL_SYSTEM, sc->system};
        m[k++] = (tmpl_msg){TMPL_USER, r->prompt};
    } else {
        if (r->msgs[0].role != TMPL_SYSTEM && sc->system) m[k++] = (tmpl_msg){TMPL_SYSTEM, sc->system};
        for (int i = 0; i < r->n_msgs; i++) m[k++] = (tmpl_msg){r->msgs[i].role, r->msgs[i].content};
    }
    char *text = NULL;
    unsigned char *lit = NULL;
    size_t len = 0;
    const char *field = r->api == SRV_OLLAMA_GENERATE ? "prompt" : "messages";
    int rc = tmpl_chat_render_strict(&sc->s->chat_tmpl, m, k, true, &text, &lit, &len, &err);
    free(m);
    if (rc) return srv_fail(e, err.code == FC_EINPUT ? 400 : 500, field, "%s: the chat template refuses them: %s", field, err.msg);
    j->n_prompt = chat_tokenize_prompt(tok, text, lit, len, &j->prompt, NULL, &err);
    free(text);
    free(lit);
    if (j->n_prompt < 0) return srv_fail(e, err.code == FC_EINPUT ? 400 : 500, field, "%s: %s", field, err.msg);
    return 0;
}

int sched_prepare(srv_sched *sc, srv_job *j, srv_error *e) {
    const srv_request *r = &j->req;
    bool chat = r->api == SRV_CHAT || r->api == SRV_OLLAMA_CHAT || (r->api == SRV_OLLAMA_GENERATE && !r->raw);
    const char *field = r->api == SRV_CHAT || r->api == SRV_OLLAMA_CHAT ? "messages" : "prompt";
    if (tokenize(sc, j, e)) return -1;
    if (j->n_prompt == 0) return srv_fail(e, 400, field, "%s: empty (no tokens)", field);
    if (j->n_prompt >= sc->n_ctx) {
        srv_fail(e, 400, field, "%s: the prompt takes %d tokens but a slot's context holds %d (N_CTX)", field,
                 j->n_prompt, sc->n_ctx);
        e->code = "context_length_exceeded";
        return -1;
    }
    /* OpenAI refuses a max_tokens the context cannot hold; ollama generates until the
     * context is full (done_reason "length"): num_predict is a ceiling there */
    const bool ollama = r->api == SRV_OLLAMA_CHAT || r->api == SRV_OLLAMA_GENERATE;
    if (!ollama && r->max_tokens > 0 && j->n_prompt + r->max_tokens > sc->n_ctx) {
        srv_fail(e, 400, "max_tokens", "max_tokens: the prompt (%d tokens) plus %d to generate exceeds a slot's context of %d tokens",
                 j->n_prompt, r->max_tokens, sc->n_ctx);
        e->code = "context_length_exceeded";
        return -1;
    }
    j->max_tokens = r->max_tokens > 0 ? r->max_tokens : sc->cfg_max_tokens > 0 ? sc->cfg_max_tokens : 0;
    if (j->max_tokens > sc->n_ctx - j->n_prompt) j->max_tokens = sc->n_ctx - j->n_prompt;
    int n_stops = 0;
    if (!(j->stops = calloc(1, sizeof *j->stops))) return srv_fail(e, 500, NULL, "out of memory");
    if (chat)
        for (const char *const *s = tmpl_stop_strings(sc->s->tmpl); s && *s; s++)
            if (add_stop(&j->stops, &n_stops, *s)) return srv_fail(e, 500, NULL, "out of memory");
    for (int i = 0; i < r->n_stops; i++)
        if (add_stop(&j->stops, &n_stops, r->stops[i])) return srv_fail(e, 500, NULL, "out of memory");
    fc_sampler_params sp = sc->defaults;
    if (r->set & SRV_SET_TEMPERATURE) sp.temperature = (float)r->temperature;
    if (r->set & SRV_SET_TOP_P) sp.top_p = (float)r->top_p;
    if (r->set & SRV_SET_TOP_K) sp.top_k = r->top_k;
    if (r->set & SRV_SET_MIN_P) sp.min_p = (float)r->min_p;
    if (r->set & SRV_SET_REPEAT_PENALTY) sp.repeat_penalty = (float)r->repeat_penalty;
    if (r->set & SRV_SET_SEED) sp.seed = r->seed;
    else if (sc->cfg_seed >= 0) sp.seed = (uint64_t)sc->cfg_seed;
    else {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        pthread_mutex_lock(&sc->mu);
        uint64_t c = ++sc->seed_counter;
        pthread_mutex_unlock(&sc->mu);
        sp.seed = (uint64_t)ts.tv_nsec * 0x9E3779B97F4A7C15ull ^ (uint64_t)ts.tv_sec ^ (c << 40);
    }
    j->sp = sp;
    j->presence_penalty = (float)r->presence_penalty;
    j->frequency_penalty = (float)r->frequency_penalty;
    return 0;
}

int sched_submit(srv_sched *sc, srv_job *j, srv_error *e) {
    pthread_mutex_lock(&sc->mu);
    int idle = sc->n_slots - sc->n_active;
    if (sc->stopping || sc->draining || sc->n_queued >= sc->queue_size + idle) {
        bool stopping = sc->stopping || sc->draining;
        sc->m.requests_rejected++;
        pthread_mutex_unlock(&sc->mu);
        if (stopping) srv_fail(e, 503, NULL, "the server is shutting down; send the request to another replica or retry later");
        else srv_fail(e, 503, NULL, "the server is busy: %d requests generating, %d waiting (QUEUE_SIZE); retry later", sc->n_active,
                      sc->n_queued);
        e->code = stopping ? "server_shutting_down" : "server_busy";
        return -1;
    }
    j->refs++;
    if (sc->qtail) sc->qtail->next = j;
    else sc->qhead = j;
    sc->qtail = j;
    sc->n_queued++;
    pthread_cond_signal(&sc->wake);
    pthread_mutex_unlock(&sc->mu);
    return 0;
}

bool sched_wait(srv_sched *sc, srv_job *j, size_t *seen, srv_sb *out, int timeout_ms) {
    pthread_mutex_lock(&sc->mu);
    if (j->text.n == *seen && !j->done) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
        ts.tv_sec += timeout_ms / 1000 + ts.tv_nsec / 1000000000L;
        ts.tv_nsec %= 1000000000L;
        while (j->text.n == *seen && !j->done)
            if (pthread_cond_timedwait(&j->cond, &sc->mu, &ts) == ETIMEDOUT) break;
    }
    if (j->text.n > *seen) {
        srv_sb_add(out, j->text.p + *seen, j->text.n - *seen);
        *seen = j->text.n;
    }
    bool done = j->done;
    pthread_mutex_unlock(&sc->mu);
    return done;
}

/* ---- the worker ---- */

static void slot_emit(void *ctx, const char *text, size_t len) { srv_sb_add(&((slot *)ctx)->out, text, len); }

/* Under the lock: the job is over (text, counts and status are in place). */
static void job_done(srv_sched *sc, srv_job *j) {
    j->done = true;
    if (j->failed) sc->m.requests_failed++;
    else if (j->stop == GEN_INTERRUPTED) sc->m.requests_cancelled++; /* the client went away */
    else sc->m.requests_ok++;
    pthread_cond_broadcast(&j->cond);
    job_unref(j);
}

/* Under the lock: gives the job to the idle slot whose cache shares the longest prefix
 * with its prompt (the least recently used among equals), rewinds that cache to the
 * shared prefix and sets up the sampling. */
static void start_job(srv_sched *sc, srv_job *j) {
    /* Reuse is in whole chunks, and only of what whole prompt chunks computed: a token's
     * arithmetic depends on its segment (a one-token step or a prompt chunk, and the
     * chunk's length), never on the other slots of a step; so evaluating the rest from a
     * chunk boundary gives exactly the cache and logits a fresh slot computes, and the
     * reply does not depend on what the slot held before (batch invariance). */
    int best = -1, best_common = -1;
    for (int i = 0; i < sc->n_slots; i++) {
        slot *sl = &sc->slots[i];
        if (sl->job) continue;
        int c = 0;
        while (c < sl->n_exact && c < j->n_prompt && sl->hist.ids[c] == j->prompt[c]) c++;
        if (c >= j->n_prompt) c = j->n_prompt - 1; /* the last token again: its logits start the reply */
        c -= c % sc->chunk;
        if (c > best_common || (c == best_common && sl->last_used < sc->slots[best].last_used)) {
            best = i;
            best_common = c;
        }
    }
    slot *sl = &sc->slots[best];
    engine_seq_rewind(sc->e, best, best_common);
    sl->hist.n = engine_seq_n_past(sc->e, best); /* a sliding-window ring may have had to start over */
    if (sl->hist.n % sc->chunk) { engine_seq_rewind(sc->e, best, 0); sl->hist.n = 0; }
    sl->batch_item = -1;
    if (sl->n_exact > sl->hist.n) sl->n_exact = sl->hist.n;
    j->n_reused = sl->hist.n;
    sc->m.reused_tokens += (uint64_t)j->n_reused;
    j->slot = best;
    j->started = true;
    sl->job = j;
    sl->phase = SLOT_PREFILL;
    sl->prompt_s = 0;
    sl->finished = sl->failed = false;
    fc_err_clear(&sl->err);
    sc->n_active++;
    gen_params gp = {
        .max_tokens = j->max_tokens,
        .stop_at_eog = !j->req.ignore_eos,
        .stops = (const char *const *)j->stops,
        .emit = slot_emit,
        .emit_ctx = sl,
        .interrupt = &j->cancel,
        .presence_penalty = j->presence_penalty,
        .frequency_penalty = j->frequency_penalty,
        .n_vocab = sc->n_vocab,
    };
    sl->sampler = sampler_new(&j->sp, sc->n_vocab);
    if (!sl->sampler || gen_history_reserve(&sl->hist, j->n_prompt, &sl->err) || gen_begin(&sl->gen, &gp, &sl->err)) {
        /* Nothing started: end the job here (the step skips a finished slot). */
        if (!sl->err.msg[0]) fc_errf(&sl->err, FC_EFAIL, "out of memory");
        if (sl->sampler) { sampler_free(sl->sampler); sl->sampler = NULL; }
        sl->phase = SLOT_IDLE;
        sl->job = NULL;
        sc->n_active--;
        j->failed = true;
        srv_fail(&j->err, 500, NULL, "%s", sl->err.msg);
        job_done(sc, j);
    }
}

/* Under the lock: queued jobs to idle slots; a job cancelled while queued ends at once. */
static void assign(srv_sched *sc) {
    while (sc->qhead && (sc->n_active < sc->n_slots || sc->qhead->cancel)) {
        srv_job *j = sc->qhead;
        sc->qhead = j->next;
        if (!sc->qhead) sc->qtail = NULL;
        j->next = NULL;
        sc->n_queued--;
        if (j->cancel) { j->stop = GEN_INTERRUPTED; job_done(sc, j); continue; }
        start_job(sc, j);
    }
}

/* Outside the lock: the slot's part of a step before evaluation. */
static void plan_item(srv_sched *sc, slot *sl) {
    srv_job *j = sl->job;
    sl->item = NULL;
    sl->n_item = 0;
    sl->n_prompt_eval = 0;
    sl->item_s = 0;
    if (sl->phase == SLOT_PREFILL) {
        if (j->cancel) { sl->gen.res.stop = GEN_INTERRUPTED; sl->finished = true; return; }
        int n = j->n_prompt - sl->hist.n;
        if (n > sc->chunk) n = sc->chunk;
        sl->item = j->prompt + sl->hist.n;
        sl->n_item = n;
        return;
    }
    const float *logits = engine_batch_logits(sc->e, sl->batch_item);
    if (!logits) { fc_errf(&sl->err, FC_EFAIL, "no logits for the slot"); sl->failed = sl->finished = true; return; }
    int r = gen_next(&sl->gen, sc->s->tok, sl->sampler, logits, &sl->hist, sc->n_ctx, &sl->next_id, &sl->err);
    if (r < 0) { sl->failed = sl->finished = true; return; }
    if (r == 0) { sl->finished = true; return; }
    sl->item = &sl->next_id;
    sl->n_item = 1;
}

/* Outside the lock: every item of the step through the model in one forward pass: each
 * generating slot's token first (they always fit: a chunk leaves room for every other
 * slot's), then the prompt chunks that fit, the first slot rotating. A slot whose chunk
 * does not fit waits a step. The step's time is shared out by tokens. */
static void eval_items(srv_sched *sc) {
    int n = 0, n_tok = 0, who[FC_N_SEQ_MAX];
    for (int pass = 0; pass < 2; pass++)
    for (int k = 0; k < sc->n_slots; k++) {
        const int i = (sc->first + k) % sc->n_slots;
        slot *sl = &sc->slots[i];
        if (pass == 0) sl->batch_item = -1;
        if (!sl->job || !sl->item || sl->finished || (sl->phase == SLOT_GEN) != (pass == 0)) continue;
        if (n_tok + sl->n_item > sc->n_batch) { sl->item = NULL; sl->n_item = 0; continue; } /* next step */
        sc->items[n] = (fc_batch_item){i, sl->item, sl->n_item, sl->phase == SLOT_GEN || sl->hist.n + sl->n_item == sl->job->n_prompt};
        who[n++] = i;
        n_tok += sl->n_item;
    }
    sc->first = (sc->first + 1) % sc->n_slots;
    if (!n) return;
    fc_err err = {0};
    double t0 = fc_now_s();
    int rc = engine_eval_batch(sc->e, sc->items, n, &err);
    double dt = fc_now_s() - t0;
    for (int k = 0; k < n; k++) {
        slot *sl = &sc->slots[who[k]];
        sl->item_s = dt * sl->n_item / n_tok;
        if (rc) {
            sl->err = err;
            sl->failed = sl->finished = true;
        } else if (sc->items[k].logits) {
            sl->batch_item = k;
        }
    }
}

/* Outside the lock: the slot takes its result. */
static void take_item(srv_sched *sc, slot *sl) {
    srv_job *j = sl->job;
    if (sl->finished || !sl->item) return;
    if (sl->phase == SLOT_PREFILL) {
        if (sl->n_item == sc->chunk && sl->n_exact == sl->hist.n) sl->n_exact += sl->n_item;
        memcpy(sl->hist.ids + sl->hist.n, sl->item, (size_t)sl->n_item * sizeof *sl->item);
        sl->hist.n += sl->n_item;
        sl->n_prompt_eval = sl->n_item;
        sl->prompt_s += sl->item_s;
        if (sl->hist.n == j->n_prompt) {
            sl->phase = SLOT_GEN;
            sl->t_gen0 = fc_now_s();
        }
        return;
    }
    if (gen_accept(&sl->gen, &sl->hist, sl->next_id, &sl->err)) sl->failed = sl->finished = true;
}

/* Under the lock: the step's text and counts reach the jobs; finished slots become idle. */
static void publish(srv_sched *sc) {
    for (int i = 0; i < sc->n_slots; i++) {
        slot *sl = &sc->slots[i];
        srv_job *j = sl->job;
        if (!j) continue;
        sc->m.prompt_tokens += (uint64_t)sl->n_prompt_eval;
        if (sl->phase == SLOT_PREFILL || sl->n_prompt_eval) sc->m.prompt_seconds += sl->item_s;
        else sc->m.gen_seconds += sl->item_s;
        sl->cells = sl->hist.n;
        if (sl->finished) {
            gen_result res;
            fc_err end_err = {0};
            if (gen_end(&sl->gen, &res, &end_err) && !sl->failed) { sl->failed = true; sl->err = end_err; }
            free(res.text);
            j->stop = (int)res.stop;
            j->n_gen = res.n_gen;
            j->prompt_s = sl->prompt_s;
            j->gen_s = sl->phase == SLOT_GEN ? fc_now_s() - sl->t_gen0 : 0;
            sc->m.generated_tokens += (uint64_t)res.n_gen;
            if (sl->failed) {
                j->failed = true;
                srv_fail(&j->err, 500, NULL, "generation failed: %s", sl->err.msg);
                engine_seq_rewind(sc->e, i, 0); /* the cache is in doubt: start over */
                sl->hist.n = sl->n_exact = 0;
                sl->cells = 0;
            } else if (sc->stopping && res.stop == GEN_INTERRUPTED) {
                /* cut short by the server's stop: an error, not a finished
                 * reply (neither API has a finish reason for it); the text
                 * already streamed stays with the client */
                j->failed = true;
                srv_fail(&j->err, 503, NULL, "the server is stopping: the reply was cut short after %d tokens", res.n_gen);
                j->err.code = "server_stopping";
            }
        }
        if (sl->out.n) {
            srv_sb_add(&j->text, sl->out.p, sl->out.n);
            if (j->text.oom && !j->failed) { j->failed = true; srv_fail(&j->err, 500, NULL, "out of memory"); }
            sl->out.n = 0;
            pthread_cond_broadcast(&j->cond);
        }
        if (sl->finished) {
            sampler_free(sl->sampler);
            sl->sampler = NULL;
            sl->job = NULL;
            sl->phase = SLOT_IDLE;
            sl->last_used = ++sc->steps;
            sc->n_active--;
            job_done(sc, j);
        }
    }
}

static void *worker_main(void *arg) {
    srv_sched *sc = arg;
    pthread_mutex_lock(&sc->mu);
    while (!sc->stopping) {
        assign(sc);
        if (sc->n_active == 0) {
            pthread_cond_wait(&sc->wake, &sc->mu);
            continue;
        }
        pthread_mutex_unlock(&sc->mu);
        for (int i = 0; i < sc->n_slots; i++)
            if (sc->slots[i].job) plan_item(sc, &sc->slots[i]);
        eval_items(sc);
        for (int i = 0; i < sc->n_slots; i++)
            if (sc->slots[i].job) take_item(sc, &sc->slots[i]);
        pthread_mutex_lock(&sc->mu);
        publish(sc);
    }
    /* Stopping: what runs ends as interrupted, what waits ends unserved. */
    for (int i = 0; i < sc->n_slots; i++) {
        slot *sl = &sc->slots[i];
        if (!sl->job) continue;
        sl->job->cancel = 1;
        sl->gen.res.stop = GEN_INTERRUPTED;
        sl->finished = true;
        sl->item = NULL;
        sl->n_prompt_eval = 0;
        sl->item_s = 0;
    }
    publish(sc);
    while (sc->qhead) {
        srv_job *j = sc->qhead;
        sc->qhead = j->next;
        sc->n_queued--;
        j->failed = true;
        srv_fail(&j->err, 503, NULL, "the server is stopping");
        j->err.code = "server_stopping";
        job_done(sc, j);
    }
    sc->qtail = NULL;
    pthread_mutex_unlock(&sc->mu);
    return NULL;
}

/* ---- set-up ---- */

srv_sched *sched_new(fc_session *s, const fc_config *cfg, int n_slots, fc_err *err) {
    if (n_slots < 1 || (unsigned)n_slots > FC_N_SEQ_MAX) {
        fc_errf(err, FC_EINPUT, "N_PARALLEL = %d: must be from 1 to %u", n_slots, FC_N_SEQ_MAX);
        return NULL;
    }
    srv_sched *sc = calloc(1, sizeof *sc);
    if (!sc) { fc_errf(err, FC_EFAIL, "out of memory"); return NULL; }
    if (engine_n_seq(s->engine) < n_slots) {
        fc_errf(err, FC_EFAIL, "the engine holds %d sequences, not %d", engine_n_seq(s->engine), n_slots);
        free(sc);
        return NULL;
    }
    sc->s = s;
    sc->e = s->engine;
    sc->n_slots = n_slots;
    sc->n_ctx = engine_n_ctx(s->engine);
    sc->n_batch = (int)engine_params(s->engine)->n_batch;
    if (sc->n_batch < 1) sc->n_batch = 1;
    sc->chunk = sc->n_batch - (n_slots - 1) > 0 ? sc->n_batch - (n_slots - 1) : 1;
    sc->n_vocab = engine_n_vocab(s->engine);
    sc->queue_size = cfg->queue_size;
    sc->defaults = s->sampling;
    sc->cfg_seed = cfg->seed;
    sc->cfg_max_tokens = cfg->max_tokens;
    const char *sys = cfg->system_prompt ? cfg->system_prompt : s->default_system;
    if (sys && !(sc->system = strdup(sys))) goto oom;
    pthread_mutex_init(&sc->mu, NULL);
    pthread_cond_init(&sc->wake, NULL);
    for (int i = 0; i < n_slots; i++) {
        sc->slots[i].batch_item = -1;
        engine_seq_rewind(s->engine, i, 0);
    }
    if (pthread_create(&sc->worker, NULL, worker_main, sc)) {
        fc_errf(err, FC_EFAIL, "cannot start the worker thread");
        sched_free(sc);
        return NULL;
    }
    sc->worker_started = true;
    return sc;
oom:
    free(sc);
    fc_errf(err, FC_EFAIL, "out of memory");
    return NULL;
}

int sched_drain(srv_sched *sc) {
    if (!sc) return 0;
    pthread_mutex_lock(&sc->mu);
    sc->draining = true;
    const int n = sc->n_active + sc->n_queued;
    pthread_mutex_unlock(&sc->mu);
    return n;
}

void sched_stop(srv_sched *sc) {
    if (!sc || !sc->worker_started) return;
    pthread_mutex_lock(&sc->mu);
    sc->stopping = true;
    pthread_cond_broadcast(&sc->wake);
    pthread_mutex_unlock(&sc->mu);
    pthread_join(sc->worker, NULL);
    sc->worker_started = false;
}

void sched_free(srv_sched *sc) {
    if (!sc) return;
    sched_stop(sc);
    for (int i = 0; i < sc->n_slots; i++) {
        slot *sl = &sc->slots[i];
        free(sl->hist.ids);
        srv_sb_free(&sl->out);
        sampler_free(sl->sampler);
    }
    free(sc->system);
    pthread_cond_destroy(&sc->wake);
    pthread_mutex_destroy(&sc->mu);
    free(sc);
}

int sched_n_slots(const srv_sched *sc) { return sc->n_slots; }
int sched_n_ctx(const srv_sched *sc) { return sc->n_ctx; }

void sched_count_rejected(srv_sched *sc) {
    pthread_mutex_lock(&sc->mu);
    sc->m.requests_rejected++;
    pthread_mutex_unlock(&sc->mu);
}

void sched_metrics(srv_sched *sc, srv_metrics *m) {
    pthread_mutex_lock(&sc->mu);
    *m = sc->m;
    m->active = sc->n_active;
    m->queued = sc->n_queued;
    m->n_slots = sc->n_slots;
    m->queue_size = sc->queue_size;
    m->n_ctx = sc->n_ctx;
    for (int i = 0; i < sc->n_slots; i++) m->slot_cells[i] = sc->slots[i].cells;
    pthread_mutex_unlock(&sc->mu);
}

void sched_allocated(srv_sched *sc, uint64_t *cpu, uint64_t *dev, int n_dev) {
    *cpu = 0;
    for (int d = 0; d < n_dev; d++) dev[d] = 0;
    /* The engine allocated everything before the worker started: its log does not change. */
    const fc_alloc_log *log = engine_alloc_log(sc->e);
    for (int k = 0; k < 3; k++) {
        *cpu += log->total[k];
        for (int d = 0; d < n_dev && d < GPU_MAX_DEVICES; d++) dev[d] += log->dev_total[d][k];
    }
}
