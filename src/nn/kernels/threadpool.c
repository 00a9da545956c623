/* Persistent worker pool. A model run issues ~100 parallel_for calls of a
 * few microseconds each, so waking sleeping threads through the kernel on
 * every call would cost more than the work: workers spin on the job word
 * for a while after each job and only then sleep on a condvar.
 *
 * A job is done when all its tasks are, not when every worker has checked
 * in: the caller claims tasks too, so a worker that is asleep or not
 * scheduled (another process on its core) simply misses the job instead of
 * stalling it for a scheduler time slice. That also makes the spin cheap to
 * keep short. Tasks are claimed one at a time by a CAS on one word holding
 * (generation, next task), which balances uneven tiles for free and can
 * never hand out a task of a job that is not the current one. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include "kernels.h"

#if defined(__x86_64__) || defined(__i386__)
#define CPU_RELAX() __builtin_ia32_pause()
#else
#define CPU_RELAX() ((void)0)
#endif

/* Bridges the gaps between the kernels of one model run (tens of us);
 * longer gaps cost a futex wake per job at most, not a stalled job, and a
 * shorter spin leaves the core to other processes sooner (measured: a 2 ms
 * spin slowed a concurrent single-threaded run on this 2-core machine). */
#define SPIN_NS 100000LL
#define CLOSED 0xFFFFFFFFu           /* task field of a finished job */
#define MAX_TASKS 0x7FFFFFFF

struct nn_threadpool {
    int n;                         /* including the caller */
    pthread_t *threads;
    int n_started;
    pthread_mutex_t mu;
    pthread_cond_t wake;
    pthread_cond_t done_cv;
    _Atomic uint64_t word;         /* generation << 32 | next unclaimed task (CLOSED when over) */
    _Atomic int sleepers;          /* workers inside (or entering) cond_wait */
    _Atomic int64_t done;          /* tasks finished in the current job */
    _Atomic int caller_waiting;
    /* job fields: written (release) only while the word is CLOSED, read
     * (acquire) before a claim whose CAS then proves they were current */
    _Atomic int64_t n_tasks;
    _Atomic(nn_task_fn) fn;
    _Atomic(void *) ctx;
    _Atomic int stop;
    uint32_t generation;           /* caller only */
};

typedef struct worker_arg {
    nn_threadpool *tp;
    int id;
} worker_arg;

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void task_finished(nn_threadpool *tp, int64_t n)
{
    if (atomic_fetch_add(&tp->done, 1) + 1 == n && atomic_load(&tp->caller_waiting)) {
        pthread_mutex_lock(&tp->mu);
        pthread_cond_signal(&tp->done_cv);
        pthread_mutex_unlock(&tp->mu);
    }
}

/* Claims and runs tasks of generation gen until none are left. */
static void run_tasks(nn_threadpool *tp, uint32_t gen, int id)
{
    for (;;) {
        uint64_t w = atomic_load_explicit(&tp->word, memory_order_acquire);
        if ((uint32_t)(w >> 32) != gen)
            return;
        int64_t n = atomic_load_explicit(&tp->n_tasks, memory_order_acquire);
        nn_task_fn fn = atomic_load_explicit(&tp->fn, memory_order_acquire);
        void *ctx = atomic_load_explicit(&tp->ctx, memory_order_acquire);
        uint32_t t = (uint32_t)w;
        if (t == CLOSED || (int64_t)t >= n)
            return;
        if (!atomic_compare_exchange_weak(&tp->word, &w, w + 1))
            continue;
        fn(ctx, (int64_t)t, id);
        task_finished(tp, n);
    }
}

/* Next generation after seen that is still open, or seen if stopping. */
static uint32_t wait_for_job(nn_threadpool *tp, uint32_t seen)
{
    for (;;) {
        int64_t deadline = now_ns() + SPIN_NS;
        uint64_t w;
        for (unsigned i = 0;; i++) {
            w = atomic_load_explicit(&tp->word, memory_order_acquire);
            if ((uint32_t)(w >> 32) != seen || atomic_load_explicit(&tp->stop, memory_order_relaxed))
                break;
            CPU_RELAX();
            if ((i & 255) == 255 && now_ns() > deadline) {
                /* sleepers++ then re-check the word (both seq_cst) pairs with
                 * the caller's word store then sleepers read: one of the two
                 * always sees the other, so a wake-up cannot be lost */
                pthread_mutex_lock(&tp->mu);
                atomic_fetch_add(&tp->sleepers, 1);
                while ((uint32_t)((w = atomic_load(&tp->word)) >> 32) == seen && !atomic_load(&tp->stop))
                    pthread_cond_wait(&tp->wake, &tp->mu);
                atomic_fetch_sub(&tp->sleepers, 1);
                pthread_mutex_unlock(&tp->mu);
                break;
            }
        }
        if (atomic_load_explicit(&tp->stop, memory_order_acquire))
            return seen;
        if ((uint32_t)w != CLOSED)
            return (uint32_t)(w >> 32);
        seen = (uint32_t)(w >> 32); /* slept through a whole job */
    }
}

static void *worker_main(void *p)
{
    worker_arg *wa = p;
    nn_threadpool *tp = wa->tp;
    int id = wa->id;
    free(wa);
    uint32_t seen = 0;
    for (;;) {
        seen = wait_for_job(tp, seen);
        if (atomic_load_explicit(&tp->stop, memory_order_acquire))
            break;
        run_tasks(tp, seen, id);
    }
    return NULL;
}

static void stop_workers(nn_threadpool *tp)
{
    pthread_mutex_lock(&tp->mu);
    atomic_store(&tp->stop, 1);
    pthread_cond_broadcast(&tp->wake);
    pthread_mutex_unlock(&tp->mu);
    for (int i = 0; i < tp->n_started; i++)
        pthread_join(tp->threads[i], NULL);
    tp->n_started = 0;
}

fp_status nn_threadpool_new(int n_threads, nn_threadpool **out)
{
    if (!out || n_threads < 1 || n_threads > 1024)
        return FP_ERR_INVALID_ARG;
    *out = NULL;
    nn_threadpool *tp = calloc(1, sizeof *tp);
    if (!tp)
        return FP_ERR_NOMEM;
    tp->n = n_threads;
    pthread_mutex_init(&tp->mu, NULL);
    pthread_cond_init(&tp->wake, NULL);
    pthread_cond_init(&tp->done_cv, NULL);
    atomic_store(&tp->word, (uint64_t)CLOSED);
    if (n_threads > 1) {
        tp->threads = calloc((size_t)n_threads - 1, sizeof *tp->threads);
        if (!tp->threads) {
            nn_threadpool_free(tp);
            return FP_ERR_NOMEM;
        }
        for (int i = 0; i < n_threads - 1; i++) {
            worker_arg *wa = malloc(sizeof *wa);
            if (!wa) {
                nn_threadpool_free(tp);
                return FP_ERR_NOMEM;
            }
            wa->tp = tp;
            wa->id = i + 1;
            if (pthread_create(&tp->threads[i], NULL, worker_main, wa) != 0) {
                free(wa);
                nn_threadpool_free(tp);
                return FP_ERR_THREAD;
            }
            tp->n_started++;
        }
    }
    *out = tp;
    return FP_OK;
}

void nn_threadpool_free(nn_threadpool *tp)
{
    if (!tp)
        return;
    stop_workers(tp);
    pthread_cond_destroy(&tp->done_cv);
    pthread_cond_destroy(&tp->wake);
    pthread_mutex_destroy(&tp->mu);
    free(tp->threads);
    free(tp);
}

int nn_threadpool_size(const nn_threadpool *tp)
{
    return tp ? tp->n : 1;
}

void nn_threadpool_parallel_for(nn_threadpool *tp, int64_t n_tasks, nn_task_fn fn, void *ctx)
{
    if (n_tasks <= 0)
        return;
    if (!tp || tp->n_started == 0 || n_tasks == 1 || n_tasks > MAX_TASKS) {
        for (int64_t t = 0; t < n_tasks; t++)
            fn(ctx, t, 0);
        return;
    }
    /* the word is CLOSED here, so no late worker can act on these yet */
    atomic_store_explicit(&tp->done, 0, memory_order_relaxed);
    atomic_store_explicit(&tp->n_tasks, n_tasks, memory_order_release);
    atomic_store_explicit(&tp->fn, fn, memory_order_release);
    atomic_store_explicit(&tp->ctx, ctx, memory_order_release);
    uint32_t gen = ++tp->generation;
    atomic_store(&tp->word, (uint64_t)gen << 32); /* seq_cst: publishes the job */
    if (atomic_load(&tp->sleepers) > 0) {
        pthread_mutex_lock(&tp->mu);
        pthread_cond_broadcast(&tp->wake);
        pthread_mutex_unlock(&tp->mu);
    }
    run_tasks(tp, gen, 0);
    /* all tasks are claimed; the ones still running on workers normally
     * finish within microseconds, so sleep only if they do not */
    for (int i = 0; i < 20000 && atomic_load_explicit(&tp->done, memory_order_acquire) < n_tasks; i++)
        CPU_RELAX();
    if (atomic_load_explicit(&tp->done, memory_order_acquire) < n_tasks) {
        pthread_mutex_lock(&tp->mu);
        atomic_store(&tp->caller_waiting, 1);
        while (atomic_load(&tp->done) < n_tasks)
            pthread_cond_wait(&tp->done_cv, &tp->mu);
        atomic_store(&tp->caller_waiting, 0);
        pthread_mutex_unlock(&tp->mu);
    }
    atomic_store(&tp->word, (uint64_t)gen << 32 | CLOSED);
}
