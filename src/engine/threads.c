#include "threads.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CPU_RELAX() _mm_pause()
#elif defined(__aarch64__)
#define CPU_RELAX() __asm__ volatile("yield")
#else
#define CPU_RELAX() ((void)0)
#endif

/* Idle workers poll this many times (a fraction of a millisecond) for the
 * next job, then yield the CPU for a while, then sleep on the condition
 * variable. The caller polls briefly for stragglers, then yields: on a
 * machine busier than its cores, a worker that was preempted must get the
 * CPU back quickly instead of the caller burning it. */
#define SPIN_POLLS 20000
#define YIELD_ROUNDS 200
#define MAIN_SPIN_POLLS 2000

/* The job counter packs the job's generation (high 32 bits) and the next
 * task index (low 32 bits). Tasks are claimed with compare-and-swap, so a
 * worker that wakes up late for an old job can never claim (or skip) a task
 * of a newer one. Each generation's job lives in slot[gen & 1]; the caller
 * writes slot (g+2)&1 only after every task of g+1 is done, so a successful
 * claim always reads the job it claimed from. */
typedef struct {
    pool_task_fn fn;
    void *ctx;
    uint32_t n_tasks;
} job;

typedef struct {
    fc_pool *pool;
    int index;
    pthread_t tid;
} worker;

struct fc_pool {
    int n_threads;
    worker *workers;           /* [n_threads - 1] */
    job slot[2];
    _Atomic uint64_t counter;  /* gen << 32 | next task */
    atomic_uint done;          /* tasks finished in the current job */
    atomic_int n_sleeping;
    atomic_int stop;
    pthread_mutex_t mu;
    pthread_cond_t cv;
};

static uint32_t gen_of(uint64_t v) { return (uint32_t)(v >> 32); }

/* Claims and runs tasks of generation g until none are left. */
static void run_tasks(fc_pool *p, uint32_t g, int thread) {
    uint64_t v = atomic_load_explicit(&p->counter, memory_order_acquire);
    for (;;) {
        if (gen_of(v) != g) return;
        const job *j = &p->slot[g & 1];
        uint32_t idx = (uint32_t)v;
        if (idx >= j->n_tasks) return;
        if (!atomic_compare_exchange_weak_explicit(&p->counter, &v, v + 1, memory_order_acq_rel, memory_order_acquire))
            continue;
        j->fn(j->ctx, (int)idx, thread);
        atomic_fetch_add_explicit(&p->done, 1, memory_order_release);
        v = atomic_load_explicit(&p->counter, memory_order_acquire);
    }
}

static void *worker_main(void *arg) {
    worker *w = arg;
    fc_pool *p = w->pool;
    uint32_t seen = gen_of(atomic_load(&p->counter));
    for (;;) {
        uint32_t g;
        int polls = 0;
        while ((g = gen_of(atomic_load_explicit(&p->counter, memory_order_acquire))) == seen) {
            if (atomic_load_explicit(&p->stop, memory_order_relaxed)) return NULL;
            if (++polls < SPIN_POLLS) { CPU_RELAX(); continue; }
            if (polls < SPIN_POLLS + YIELD_ROUNDS) { sched_yield(); continue; }
            pthread_mutex_lock(&p->mu);
            atomic_fetch_add(&p->n_sleeping, 1);
            while (gen_of(atomic_load(&p->counter)) == seen && !atomic_load(&p->stop)) pthread_cond_wait(&p->cv, &p->mu);
            atomic_fetch_sub(&p->n_sleeping, 1);
            pthread_mutex_unlock(&p->mu);
            polls = 0;
        }
        if (atomic_load(&p->stop)) return NULL;
        seen = g;
        run_tasks(p, g, w->index);
    }
}

int fc_n_cores(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

fc_pool *pool_new(int n_threads) {
    if (n_threads < 1) n_threads = 1;
    fc_pool *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->n_threads = n_threads;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    if (n_threads > 1) {
        p->workers = calloc((size_t)n_threads - 1, sizeof *p->workers);
        if (!p->workers) { free(p); return NULL; }
        for (int i = 0; i < n_threads - 1; i++) {
            p->workers[i].pool = p;
            p->workers[i].index = i + 1;
            if (pthread_create(&p->workers[i].tid, NULL, worker_main, &p->workers[i]) != 0) {
                p->n_threads = i + 1; /* keep the ones that started */
                break;
            }
        }
    }
    return p;
}

void pool_free(fc_pool *p) {
    if (!p) return;
    pthread_mutex_lock(&p->mu);
    atomic_store(&p->stop, 1);
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->n_threads - 1; i++) pthread_join(p->workers[i].tid, NULL);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    free(p->workers);
    free(p);
}

int pool_size(const fc_pool *p) { return p->n_threads; }

void pool_run(fc_pool *p, pool_task_fn fn, void *ctx, int n_tasks) {
    if (n_tasks <= 0) return;
    if (p->n_threads == 1 || n_tasks == 1) {
        for (int t = 0; t < n_tasks; t++) fn(ctx, t, 0);
        return;
    }
    uint32_t g = gen_of(atomic_load_explicit(&p->counter, memory_order_relaxed)) + 1;
    p->slot[g & 1] = (job){fn, ctx, (uint32_t)n_tasks};
    atomic_store_explicit(&p->done, 0, memory_order_relaxed);
    atomic_store_explicit(&p->counter, (uint64_t)g << 32, memory_order_release);
    if (atomic_load(&p->n_sleeping) > 0) {
        pthread_mutex_lock(&p->mu);
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
    }
    run_tasks(p, g, 0);
    int polls = 0;
    while (atomic_load_explicit(&p->done, memory_order_acquire) < (unsigned)n_tasks) {
        if (++polls < MAIN_SPIN_POLLS) CPU_RELAX();
        else sched_yield();
    }
}
