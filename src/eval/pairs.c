/* Every pair of an image set into genuine / impostor histograms, rows of the
 * upper triangle handed out in chunks to worker threads, each with its own
 * histogram (merged at the end), so the inner loop is one fp_face_distance
 * and one increment. */
#include "faceprint/eval.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ROW_CHUNK 8

typedef struct pairs_job {
    const fp_eval_set *set;
    atomic_int next_row;
} pairs_job;

typedef struct pairs_worker {
    pairs_job *job;
    fp_eval_hist hist;
    fp_eval_pair worst_gen[FP_EVAL_WORST]; /* sorted, largest distance first */
    int n_gen;
    fp_eval_pair worst_imp[FP_EVAL_WORST]; /* sorted, smallest distance first */
    int n_imp;
} pairs_worker;

/* Keeps the FP_EVAL_WORST "worst" pairs: sign +1 keeps the largest
 * distances, -1 the smallest. */
static void keep_worst(fp_eval_pair *list, int *n, int sign, fp_eval_pair p)
{
    if (*n == FP_EVAL_WORST && sign * (p.distance - list[*n - 1].distance) <= 0)
        return;
    int i = *n < FP_EVAL_WORST ? (*n)++ : FP_EVAL_WORST - 1;
    while (i > 0 && sign * (p.distance - list[i - 1].distance) > 0) {
        list[i] = list[i - 1];
        i--;
    }
    list[i] = p;
}

static void *pairs_main(void *arg)
{
    pairs_worker *w = arg;
    const fp_eval_set *s = w->job->set;
    const int n = s->n;
    fp_eval_hist *h = &w->hist;
    const double inv_w = 1.0 / h->bin_width;
    const int last = h->bins - 1;
    for (;;) {
        int r0 = atomic_fetch_add(&w->job->next_row, ROW_CHUNK);
        if (r0 >= n)
            break;
        int r1 = r0 + ROW_CHUNK < n ? r0 + ROW_CHUNK : n;
        for (int i = r0; i < r1; i++) {
            const fp_eval_image *a = &s->images[i];
            const float *da = s->desc + (size_t)i * FP_FACE_DESCRIPTOR_DIM;
            if (!a->ok) { /* FTA: every pair of this row is a rejection */
                for (int j = i + 1; j < n; j++) {
                    if (s->images[j].label == a->label)
                        h->gen_fail++;
                    else
                        h->imp_fail++;
                }
                continue;
            }
            float imp_cut = w->n_imp == FP_EVAL_WORST ? w->worst_imp[FP_EVAL_WORST - 1].distance : INFINITY;
            for (int j = i + 1; j < n; j++) {
                const fp_eval_image *b = &s->images[j];
                int genuine = b->label == a->label;
                if (!b->ok) {
                    if (genuine)
                        h->gen_fail++;
                    else
                        h->imp_fail++;
                    continue;
                }
                float d = fp_face_distance(da, s->desc + (size_t)j * FP_FACE_DESCRIPTOR_DIM);
                double q = (double)d * inv_w;
                int k = q >= (double)last ? last : (int)q;
                if (genuine) {
                    h->gen[k]++;
                    keep_worst(w->worst_gen, &w->n_gen, +1, (fp_eval_pair){i, j, d});
                } else {
                    h->imp[k]++;
                    if (d < imp_cut) {
                        keep_worst(w->worst_imp, &w->n_imp, -1, (fp_eval_pair){i, j, d});
                        if (w->n_imp == FP_EVAL_WORST)
                            imp_cut = w->worst_imp[FP_EVAL_WORST - 1].distance;
                    }
                }
            }
        }
    }
    return NULL;
}

fp_status fp_eval_all_pairs(const fp_eval_set *set, int threads, fp_eval_all_pairs_result *res, fp_error *err)
{
    if (!set || !res)
        return fp_error_set(err, FP_ERR_INVALID_ARG, "eval all-pairs: bad arguments");
    memset(res, 0, sizeof *res);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (threads <= 0)
        threads = fp_eval_cpu_count();
    if (threads > 256)
        threads = 256;
    fp_status st = fp_eval_hist_init(&res->hist, 0, 0, err);
    if (st != FP_OK)
        return st;
    pairs_job job;
    job.set = set;
    atomic_init(&job.next_row, 0);
    pairs_worker *ws = calloc((size_t)threads, sizeof *ws);
    pthread_t *tids = calloc((size_t)threads, sizeof *tids);
    if (!ws || !tids)
        st = fp_error_set(err, FP_ERR_NOMEM, "eval all-pairs: out of memory");
    int inited = 0;
    for (int t = 0; st == FP_OK && t < threads; t++) {
        ws[t].job = &job;
        st = fp_eval_hist_init(&ws[t].hist, 0, 0, err);
        if (st == FP_OK)
            inited = t + 1;
    }
    int started = 0;
    for (int t = 1; st == FP_OK && t < threads; t++) {
        if (pthread_create(&tids[t], NULL, pairs_main, &ws[t]) != 0)
            break; /* the remaining workers' rows go to the calling thread */
        started = t;
    }
    if (st == FP_OK)
        pairs_main(&ws[0]);
    for (int t = 1; t <= started; t++)
        pthread_join(tids[t], NULL);
    for (int t = 0; t < inited; t++) {
        if (st == FP_OK) {
            fp_eval_hist_merge(&res->hist, &ws[t].hist);
            for (int k = 0; k < ws[t].n_gen; k++)
                keep_worst(res->worst_gen, &res->n_worst_gen, +1, ws[t].worst_gen[k]);
            for (int k = 0; k < ws[t].n_imp; k++)
                keep_worst(res->worst_imp, &res->n_worst_imp, -1, ws[t].worst_imp[k]);
        }
        fp_eval_hist_free(&ws[t].hist);
    }
    free(ws);
    free(tids);
    if (st != FP_OK)
        fp_eval_hist_free(&res->hist);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    res->seconds = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) * 1e-9;
    return st;
}
