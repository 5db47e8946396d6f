/* threads — a persistent pthread pool for the forward pass.
 *
 * pool_run(pool, fn, ctx, n_tasks) runs fn(ctx, task, thread) for every task
 * in [0, n_tasks), spread over the pool's threads and the caller (thread
 * index 0 is the caller), and returns when all tasks are done. Tasks are
 * handed out with an atomic counter, so uneven tasks balance themselves.
 *
 * Generation calls pool_run a few hundred times per token, so workers spin
 * on an atomic generation number for a short while before sleeping on a
 * condition variable: waking a sleeping thread costs tens of microseconds,
 * which would dominate a 135M-parameter model. One pool may be used by one
 * caller thread at a time; pool_free joins the workers.
 */
#ifndef FC_THREADS_H
#define FC_THREADS_H

typedef struct fc_pool fc_pool;
typedef void (*pool_task_fn)(void *ctx, int task, int thread);

/* n_threads >= 1 (1 = everything runs on the caller). NULL on failure. */
fc_pool *pool_new(int n_threads);
void pool_free(fc_pool *p);
int pool_size(const fc_pool *p);
void pool_run(fc_pool *p, pool_task_fn fn, void *ctx, int n_tasks);

/* Online CPU cores (at least 1). */
int fc_n_cores(void);

#endif
