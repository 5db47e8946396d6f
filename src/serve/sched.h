/* sched — the server's slots, its bounded queue and the one worker thread that runs the
 * model.
 *
 * A job is one generating request. A connection thread prepares it (sched_prepare: the
 * chat template and the tokenizer, special tokens parsed only in the template's own text,
 * never in message text; the context limit checked), submits it (sched_submit: 503 when
 * the queue is full), then reads its text as it grows (sched_wait) until it is done. A
 * client that goes away cancels its job (sched_cancel): the worker frees the slot at the
 * start of its next step.
 *
 * Slots: slot i is the session engine's sequence i (the plan's N_PARALLEL sequences, each
 * with its own KV cache of n_ctx cells) and the tokens in it, so a queued job goes to the
 * idle slot whose cache shares the longest prefix with its prompt, and only the rest is
 * evaluated.
 *
 * The worker's step (continuous batching): for every active slot, either its next prompt
 * chunk (n_batch less one token for each other slot: chunked prefill, so a long prompt
 * does not stall the others) or its next token (sampled from the logits of the last
 * step); then all these items go through the model in one forward pass
 * (engine_eval_batch: the weights are read once for all slots); then each slot takes its
 * result. A token's arithmetic depends only on its own item, so at temperature 0 a
 * request gives the same text alone or under load (batch invariance).
 *
 * Threads: the worker alone touches the engines and samplers; everything shared is under
 * one mutex; each job has its own condition variable. Jobs are reference counted (the
 * connection and the scheduler); the last release frees them.
 */
#ifndef FC_SERVE_SCHED_H
#define FC_SERVE_SCHED_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "../app/generate.h"
#include "../app/session.h"
#include "format.h"
#include "request.h"

typedef struct srv_job {
    srv_request req;          /* owned */
    /* set by sched_prepare */
    int32_t *prompt;          /* [n_prompt] tokens */
    int n_prompt;
    int max_tokens;           /* 0: until the end of the turn or the context */
    char **stops;             /* NULL-terminated: the template's end-of-turn markers and the request's */
    fc_sampler_params sp;
    float presence_penalty, frequency_penalty;
    /* written by the worker under the scheduler's lock */
    srv_sb text;              /* the reply so far */
    bool started;             /* has a slot */
    bool done;
    bool failed;              /* with err (the engine failed) */
    srv_error err;
    int stop;                 /* enum gen_stop */
    int n_gen, n_reused;
    double prompt_s, gen_s;
    int slot;
    volatile sig_atomic_t cancel; /* the client left */
    pthread_cond_t cond;
    int refs;
    struct srv_job *next;     /* in the queue */
} srv_job;

typedef struct srv_sched srv_sched;

/* Slots on the session's engine (its sequences; s must outlive the
 * scheduler); starts the worker. cfg gives the default sampling, MAX_TOKENS, the system
 * prompt and the queue size. Returns NULL with err. */
srv_sched *sched_new(fc_session *s, const fc_config *cfg, int n_slots, fc_err *err);
/* Graceful shutdown: from now on new jobs get a 503 (code "server_shutting_down"); the
 * running and queued ones go on to their end. Returns how many are running or queued
 * (call again to see them finish). NULL ok (0). */
int sched_drain(srv_sched *sc);
/* Stops the worker: jobs still running end as interrupted, queued ones with a 503.
 * Waiting connections then see them done. */
void sched_stop(srv_sched *sc);
/* Stops the worker (jobs still running end as cancelled), frees the slots (not
 * the session's). NULL ok. */
void sched_free(srv_sched *sc);

int sched_n_slots(const srv_sched *sc);
int sched_n_ctx(const srv_sched *sc);

/* A job for req (moved into it: *req is zeroed). NULL when out of memory. */
srv_job *sched_job_new(srv_request *req);
/* Renders and tokenizes the job's prompt and checks it against the context: 0, or -1 with
 * e (400 naming the field, or context_length_exceeded). Any thread. */
int sched_prepare(srv_sched *sc, srv_job *j, srv_error *e);
/* Queues the job: 0, or -1 with e (503 when the queue is full, or the server stops). */
int sched_submit(srv_sched *sc, srv_job *j, srv_error *e);
/* Waits up to timeout_ms for text past *seen or the end; appends the new text to out
 * and advances *seen. Returns true when the job is done (and all its text was given). */
bool sched_wait(srv_sched *sc, srv_job *j, size_t *seen, srv_sb *out, int timeout_ms);
/* The client left: the worker frees the job's slot at its next step. */
void sched_cancel(srv_sched *sc, srv_job *j);
/* Drops the connection's reference (NULL ok). */
void sched_release(srv_sched *sc, srv_job *j);

/* Counters for /metrics (the device bytes are the caller's). */
void sched_metrics(srv_sched *sc, srv_metrics *m);
/* Counts a request refused before it reached the queue (bad input, full queue). */
void sched_count_rejected(srv_sched *sc);

/* The bytes the engines allocated: *cpu on the CPU, dev[i] on device i (the mapped
 * weights counted once). */
void sched_allocated(srv_sched *sc, uint64_t *cpu, uint64_t *dev, int n_dev);

#endif
