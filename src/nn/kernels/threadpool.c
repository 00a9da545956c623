/* Persistent worker pool. A model run issues ~100 parallel_for calls of a
 * few microseconds each, so waking sleeping threads through the kernel on
 * every call would cost more than the work: workers spin on the job
 * generation for a while after each job and only then sleep on a condvar.
 * Tasks are claimed one at a time from an atomic counter, which balances
 * uneven tiles (edge blocks) for free. */
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

/* Long enough to bridge the serial gaps between kernels of one model run,
 * short enough not to burn a core for long once the run is over. */
#define SPIN_NS 2000000LL

struct nn_threadpool {
    int n;                         /* including the caller */
    pthread_t *threads;
    int n_started;
    pthread_mutex_t mu;
    pthread_cond_t wake;
    pthread_cond_t done;
    _Atomic uint64_t generation;   /* bumped once per job */
    _Atomic int sleepers;          /* workers inside (or entering) cond_wait */
    _Atomic int64_t next;          /* next unclaimed task */
    _Atomic int pending;           /* workers not yet finished with the job */
    int64_t n_tasks;
    nn_task_fn fn;
    void *ctx;
    _Atomic int stop;
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

static void run_tasks(nn_threadpool *tp, int id)
{
    int64_t t;
    while ((t = atomic_fetch_add_explicit(&tp->next, 1, memory_order_relaxed)) < tp->n_tasks)
        tp->fn(tp->ctx, t, id);
}

static uint64_t wait_for_job(nn_threadpool *tp, uint64_t seen)
{
    uint64_t g;
    int64_t deadline = now_ns() + SPIN_NS;
    for (unsigned i = 0;; i++) {
        g = atomic_load_explicit(&tp->generation, memory_order_acquire);
        if (g != seen || atomic_load_explicit(&tp->stop, memory_order_relaxed))
            return g;
        CPU_RELAX();
        if ((i & 255) == 255 && now_ns() > deadline)
            break;
    }
    /* sleepers++ then re-check generation (both seq_cst) pairs with the
     * dispatcher's generation++ then sleepers read: one of the two always
     * sees the other, so a wake-up cannot be lost. */
    pthread_mutex_lock(&tp->mu);
    atomic_fetch_add(&tp->sleepers, 1);
    while ((g = atomic_load(&tp->generation)) == seen && !atomic_load(&tp->stop))
        pthread_cond_wait(&tp->wake, &tp->mu);
    atomic_fetch_sub(&tp->sleepers, 1);
    pthread_mutex_unlock(&tp->mu);
    return g;
}

static void *worker_main(void *p)
{
    worker_arg *wa = p;
    nn_threadpool *tp = wa->tp;
    int id = wa->id;
    free(wa);
    uint64_t seen = 0;
    for (;;) {
        seen = wait_for_job(tp, seen);
        if (atomic_load_explicit(&tp->stop, memory_order_acquire))
            break;
        run_tasks(tp, id);
        if (atomic_fetch_sub_explicit(&tp->pending, 1, memory_order_acq_rel) == 1) {
            pthread_mutex_lock(&tp->mu);
            pthread_cond_signal(&tp->done);
            pthread_mutex_unlock(&tp->mu);
        }
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
    pthread_cond_init(&tp->done, NULL);
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
    pthread_cond_destroy(&tp->done);
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
    if (!tp || tp->n_started == 0 || n_tasks == 1) {
        for (int64_t t = 0; t < n_tasks; t++)
            fn(ctx, t, 0);
        return;
    }
    tp->fn = fn;
    tp->ctx = ctx;
    tp->n_tasks = n_tasks;
    atomic_store_explicit(&tp->next, 0, memory_order_relaxed);
    atomic_store_explicit(&tp->pending, tp->n_started, memory_order_relaxed);
    atomic_fetch_add(&tp->generation, 1); /* seq_cst: publishes the job */
    if (atomic_load(&tp->sleepers) > 0) {
        pthread_mutex_lock(&tp->mu);
        pthread_cond_broadcast(&tp->wake);
        pthread_mutex_unlock(&tp->mu);
    }
    run_tasks(tp, 0);
    /* Workers are normally still spinning from the previous job, so the
     * stragglers finish within microseconds; sleep only if they do not. */
    for (int i = 0; i < 20000; i++) {
        if (atomic_load_explicit(&tp->pending, memory_order_acquire) == 0)
            return;
        CPU_RELAX();
    }
    pthread_mutex_lock(&tp->mu);
    while (atomic_load_explicit(&tp->pending, memory_order_acquire) != 0)
        pthread_cond_wait(&tp->done, &tp->mu);
    pthread_mutex_unlock(&tp->mu);
}
