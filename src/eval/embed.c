/* Main-face descriptors of an image set in worker threads, one face engine
 * per thread (an engine is single-threaded, see faceprint/face.h). */
#include "faceprint/eval.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_FACES 64

typedef struct embed_job {
    fp_eval_set *set;
    const int *todo; /* image indices to compute */
    int n_todo;
    atomic_int next;
    atomic_int done;
    pthread_mutex_t lock; /* progress output */
    FILE *progress;
    int next_report;
    double t0;
} embed_job;

typedef struct worker {
    embed_job *job;
    fp_face_engine *engine;
    int main_rule;
} worker;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

int fp_eval_main_center(const fp_face *faces, int n, int width, int height)
{
    int best = -1;
    double best_d = 0;
    for (int i = 0; faces && i < n; i++) {
        double dx = faces[i].x + faces[i].w / 2 - width / 2.0, dy = faces[i].y + faces[i].h / 2 - height / 2.0;
        double d = dx * dx + dy * dy;
        if (best < 0 || d < best_d || (d == best_d && faces[i].score > faces[best].score)) {
            best = i;
            best_d = d;
        }
    }
    return best;
}

static void embed_one(fp_face_engine *engine, int main_rule, fp_eval_image *im, float *desc)
{
    fp_error err = {0};
    fp_image *img = NULL;
    fp_face faces[MAX_FACES];
    int n = 0;
    im->ok = 0;
    im->n_faces = 0;
    im->error[0] = 0;
    fp_status st = fp_image_load(im->path, 0, &img, &err);
    if (st == FP_OK)
        st = fp_face_detect(engine, img, faces, MAX_FACES, &n, &err);
    if (st == FP_OK && n > 0) {
        int m = main_rule == FP_EVAL_MAIN_CENTER ? fp_eval_main_center(faces, n, img->width, img->height)
                                                 : fp_face_main(faces, n, img->width, img->height);
        im->face = faces[m];
        im->n_faces = n;
        st = fp_face_descriptor(engine, img, &im->face, desc, &err);
        im->ok = st == FP_OK;
    }
    if (st != FP_OK)
        snprintf(im->error, sizeof im->error, "%s", err.message[0] ? err.message : fp_strerror(st));
    fp_image_free(img); /* wiped: not needed once the descriptor exists (DP-20) */
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    embed_job *job = w->job;
    for (;;) {
        int t = atomic_fetch_add(&job->next, 1);
        if (t >= job->n_todo)
            break;
        int i = job->todo[t];
        embed_one(w->engine, w->main_rule, &job->set->images[i], job->set->desc + (size_t)i * FP_FACE_DESCRIPTOR_DIM);
        int done = atomic_fetch_add(&job->done, 1) + 1;
        if (job->progress) {
            pthread_mutex_lock(&job->lock);
            if (done >= job->next_report) {
                double el = now_s() - job->t0;
                fprintf(job->progress, "embed: %d/%d images, %.1f s, %.1f images/s\n", done, job->n_todo, el,
                        done / (el > 0 ? el : 1e-9));
                fflush(job->progress);
                job->next_report = done + (job->n_todo + 9) / 10;
            }
            pthread_mutex_unlock(&job->lock);
        }
    }
    return NULL;
}

fp_status fp_eval_embed(fp_eval_set *set, const fp_eval_embed_opts *opts, fp_eval_embed_stats *stats,
                        fp_error *err)
{
    if (!set || !opts || !opts->models_dir)
        return fp_error_set(err, FP_ERR_INVALID_ARG, "eval embed: bad arguments");
    fp_eval_embed_stats s = {0};
    double t0 = now_s();
    int *todo = malloc(((size_t)set->n + 1) * sizeof *todo);
    if (!todo)
        return fp_error_set(err, FP_ERR_NOMEM, "eval embed: out of memory");
    int n_todo = 0;
    for (int i = 0; i < set->n; i++) {
        fp_eval_image *im = &set->images[i];
        float *d = set->desc + (size_t)i * FP_FACE_DESCRIPTOR_DIM;
        int nf = 0;
        if (opts->cache && fp_eval_cache_get(opts->cache, im->path, &nf, &im->face, d)) {
            im->n_faces = nf;
            im->ok = nf > 0;
            im->error[0] = 0;
            s.cached++;
        } else {
            todo[n_todo++] = i;
        }
    }
    int threads = opts->threads > 0 ? opts->threads : fp_eval_cpu_count();
    if (threads > n_todo)
        threads = n_todo;
    fp_status st = FP_OK;
    worker *ws = calloc((size_t)threads + 1, sizeof *ws);
    pthread_t *tids = calloc((size_t)threads + 1, sizeof *tids);
    embed_job job;
    memset(&job, 0, sizeof job);
    job.set = set;
    job.todo = todo;
    job.n_todo = n_todo;
    atomic_init(&job.next, 0);
    atomic_init(&job.done, 0);
    job.progress = opts->progress;
    job.next_report = (n_todo + 9) / 10;
    job.t0 = t0;
    if (!ws || !tids)
        st = fp_error_set(err, FP_ERR_NOMEM, "eval embed: out of memory");
    /* Engines are created here, one after the other, then used by one thread each. */
    fp_face_config cfg = {opts->models_dir, 1, opts->min_score, 0.f};
    for (int t = 0; st == FP_OK && t < threads; t++) {
        ws[t].job = &job;
        ws[t].main_rule = opts->main_rule;
        st = fp_face_engine_new(&cfg, &ws[t].engine, err);
    }
    int started = 0;
    if (st == FP_OK && pthread_mutex_init(&job.lock, NULL) != 0)
        st = fp_error_set(err, FP_ERR_THREAD, "eval embed: mutex");
    int have_lock = st == FP_OK;
    /* worker 0 runs on the calling thread */
    for (int t = 1; st == FP_OK && t < threads; t++) {
        if (pthread_create(&tids[t], NULL, worker_main, &ws[t]) != 0) {
            st = fp_error_set(err, FP_ERR_THREAD, "eval embed: cannot start thread %d", t);
            break;
        }
        started = t;
    }
    if (threads > 0 && ws && have_lock)
        worker_main(&ws[0]); /* also drains the queue when a thread failed to start */
    for (int t = 1; t <= started; t++)
        pthread_join(tids[t], NULL);
    if (have_lock)
        pthread_mutex_destroy(&job.lock);
    for (int t = 0; ws && t < threads; t++)
        fp_face_engine_free(ws[t].engine);
    free(ws);
    free(tids);
    /* Record results in the cache (read/decode errors are not cached). */
    for (int k = 0; k < n_todo && st == FP_OK && atomic_load(&job.done) == n_todo; k++) {
        int i = todo[k];
        fp_eval_image *im = &set->images[i];
        if (im->ok || (im->n_faces == 0 && !im->error[0])) {
            s.computed++;
            if (opts->cache)
                st = fp_eval_cache_put(opts->cache, im->path, im->n_faces, &im->face,
                                       set->desc + (size_t)i * FP_FACE_DESCRIPTOR_DIM, err);
        }
    }
    for (int i = 0; i < set->n; i++) {
        if (set->images[i].error[0])
            s.errors++;
        else if (!set->images[i].ok)
            s.no_face++;
    }
    free(todo);
    s.seconds = now_s() - t0;
    if (stats)
        *stats = s;
    return st;
}
