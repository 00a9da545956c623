/* `faceprint bench nn`: model-only latency of every packaged model on the
 * reference inputs (the same tensors the parity tests use), optionally next
 * to the TF.js WASM-SIMD reference runner timed in the same run. */
#include "bench_nn.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_util.h"
#include "core/file.h"
#include "core/json.h"
#include "nn/refcase.h"

#define MAX_MODELS 32

typedef struct {
    char name[64];
    double ms, gflops, tfjs_ms;
    long long peak_bytes, unplanned_bytes;
    int ok;
} model_result;

static int cmp_str(const void *a, const void *b)
{
    return strcmp((const char *)a, (const char *)b);
}

static int list_models(const char *tensors_dir, char names[][64], const char *only)
{
    DIR *d = opendir(tensors_dir);
    if (!d)
        return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < MAX_MODELS) {
        if (e->d_name[0] == '.')
            continue;
        char idx[1024];
        snprintf(idx, sizeof idx, "%s/%s/index.json", tensors_dir, e->d_name);
        if (access(idx, R_OK) != 0)
            continue;
        if (only && *only) {
            /* comma-separated exact names */
            int hit = 0;
            const char *p = only;
            size_t len = strlen(e->d_name);
            while (*p) {
                const char *comma = strchr(p, ',');
                size_t l = comma ? (size_t)(comma - p) : strlen(p);
                if (l == len && !strncmp(p, e->d_name, l))
                    hit = 1;
                p += l + (comma ? 1 : 0);
            }
            if (!hit)
                continue;
        }
        snprintf(names[n++], 64, "%.63s", e->d_name);
    }
    closedir(d);
    qsort(names, (size_t)n, 64, cmp_str);
    return n;
}

static int time_model(const char *tensors_dir, const char *models_dir, const char *model, int threads, int runs,
                      model_result *r)
{
    fp_error err = {0};
    nn_ref_case rc;
    snprintf(r->name, sizeof r->name, "%s", model);
    fp_status st = nn_ref_load(tensors_dir, models_dir, model, 0, &rc, &err);
    const nn_ref_tensor *input = NULL;
    for (int i = 0; st == FP_OK && i < rc.n_tensors; i++)
        if (rc.tensors[i].is_input)
            input = &rc.tensors[i];
    if (st == FP_OK && !input)
        st = fp_error_set(&err, FP_ERR_FORMAT, "no input");
    fp_nn_options opt = {0};
    const char *first = NULL;
    fp_nn_model *m = NULL;
    fp_nn_session *s = NULL;
    fp_threadpool *tp = NULL;
    float *in = NULL, *outs[NN_REF_MAX_TENSORS] = {0};
    size_t count;
    if (st == FP_OK) {
        opt.n_input_shapes = 1;
        opt.input_shapes = &input->shape;
        opt.input_names = &first;
        st = fp_nn_model_load(rc.model_path, &opt, &m, &err);
    }
    if (st == FP_OK)
        st = nn_ref_read(input, &in, &count, &err);
    if (st == FP_OK && threads > 1)
        st = fp_threadpool_new(threads, &tp);
    if (st == FP_OK)
        st = fp_nn_session_new(m, tp, &s);
    int n_out = st == FP_OK ? fp_nn_model_num_outputs(m) : 0;
    for (int i = 0; st == FP_OK && i < n_out && i < NN_REF_MAX_TENSORS; i++) {
        fp_shape shape;
        fp_nn_model_output(m, i, NULL, &shape);
        size_t n = 1;
        for (int d = 0; d < shape.rank; d++)
            n *= (size_t)shape.dim[d];
        outs[i] = malloc(n * sizeof(float));
        if (!outs[i])
            st = FP_ERR_NOMEM;
    }
    if (st == FP_OK) {
        const float *inputs[1] = {in};
        double *t = malloc((size_t)runs * sizeof *t);
        for (int i = 0; i < 5 && st == FP_OK; i++) /* warm-up, as the TF.js runner does */
            st = fp_nn_session_run(s, inputs, outs);
        for (int i = 0; i < runs && st == FP_OK && t; i++) {
            double t0 = bench_now_ms();
            st = fp_nn_session_run(s, inputs, outs);
            t[i] = bench_now_ms() - t0;
        }
        if (st == FP_OK && t) {
            r->ms = bench_median(t, (size_t)runs);
            r->gflops = fp_nn_model_flops(m) / (r->ms * 1e6);
            r->peak_bytes = fp_nn_model_peak_bytes(m);
            r->unplanned_bytes = fp_nn_model_unplanned_bytes(m);
            r->ok = 1;
        }
        free(t);
    }
    if (st != FP_OK)
        fprintf(stderr, "bench nn: %s: %s\n", model, err.message[0] ? err.message : fp_strerror(st));
    for (int i = 0; i < NN_REF_MAX_TENSORS; i++)
        free(outs[i]);
    free(in);
    fp_nn_session_free(s);
    fp_threadpool_free(tp);
    fp_nn_model_free(m);
    return st == FP_OK;
}

/* Runs the TF.js reference runner (bench-models.mjs of shared/reference/peer,
 * installed by scripts/setup-peer.sh) and reads back its medians. */
static int run_tfjs(const char *peer_dir, const char *shared_dir, int runs, const char *only,
                    model_result *res, int n)
{
    char out[256], cmd[4096];
    snprintf(out, sizeof out, "/tmp/faceprint-tfjs-%d.json", (int)getpid());
    snprintf(cmd, sizeof cmd, "cd '%s' && node bench-models.mjs %d --shared '%s' --out '%s'%s%s >&2", peer_dir,
             runs, shared_dir, out, only && *only ? " --only " : "", only && *only ? only : "");
    if (system(cmd) != 0) {
        fprintf(stderr, "bench nn: the TF.js runner failed (run scripts/setup-peer.sh first)\n");
        return 0;
    }
    char *text;
    size_t len;
    fp_json_doc *doc;
    fp_error err = {0};
    if (fp_read_file(out, (size_t)16 << 20, &text, &len, &err) != FP_OK)
        return 0;
    unlink(out);
    fp_status st = fp_json_parse(text, len, NULL, &doc, &err);
    free(text);
    if (st != FP_OK)
        return 0;
    const fp_json *results = fp_json_get(fp_json_root(doc), "results");
    for (size_t i = 0; results && i < results->length; i++) {
        const char *model = fp_json_get_string(results->items[i], "model");
        double median;
        if (!model || !fp_json_get_number(results->items[i], "median", &median))
            continue;
        for (int k = 0; k < n; k++)
            if (!strcmp(res[k].name, model))
                res[k].tfjs_ms = median;
    }
    fp_json_doc_free(doc);
    return 1;
}

int fp_bench_nn_main(int argc, char **argv, const char *models_dir, const char *shared_dir)
{
    int json = 0, threads = 1, vs_tfjs = 0, runs = 30;
    const char *only = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json")) json = 1;
        else if (!strcmp(argv[i], "--vs-tfjs")) vs_tfjs = 1;
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc) threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--runs") && i + 1 < argc) runs = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--only") && i + 1 < argc) only = argv[++i];
        else {
            fprintf(stderr, "usage: faceprint bench nn [--json] [--threads N] [--vs-tfjs] [--runs N] [--only a,b]\n");
            return 2;
        }
    }
    if (threads < 1 || threads > 256 || runs < 1 || runs > 100000) {
        fprintf(stderr, "bench nn: bad --threads or --runs\n");
        return 2;
    }
    char tensors_dir[2048], peer_dir[2048];
    snprintf(tensors_dir, sizeof tensors_dir, "%s/reference/tensors", shared_dir);
    char names[MAX_MODELS][64];
    int n = list_models(tensors_dir, names, only);
    if (n == 0) {
        fprintf(stderr, "bench nn: no reference models under %s\n", tensors_dir);
        return 1;
    }
    model_result res[MAX_MODELS];
    memset(res, 0, sizeof res);
    int failures = 0;
    /* the runner lives next to the models: <repo>/.cache/peer */
    snprintf(peer_dir, sizeof peer_dir, "%s/../../.cache/peer", models_dir);
    for (int i = 0; i < n; i++) {
        failures += !time_model(tensors_dir, models_dir, names[i], threads, runs, &res[i]);
        /* TF.js is timed right after us, model by model, so both sides see
         * the same machine state: on a shared VM the speed drifts by up to
         * 1.5x over minutes, which skewed ratios taken minutes apart */
        if (vs_tfjs && !run_tfjs(peer_dir, shared_dir, runs, names[i], &res[i], 1))
            failures++;
    }
    double peak = bench_peak_gflops_per_core() * threads;
    if (!json)
        printf("%-24s %7s %9s %9s %7s %10s %9s %7s\n", "model", "threads", "ms", "GFLOP/s", "%peak", "arena KiB",
               "tfjs ms", "ratio");
    for (int i = 0; i < n; i++) {
        const model_result *r = &res[i];
        if (!r->ok)
            continue;
        double ratio = r->tfjs_ms > 0 ? r->tfjs_ms / r->ms : 0;
        if (json) {
            printf("{\"model\": \"%s\", \"threads\": %d, \"ms\": %.3f, \"gflops\": %.2f, \"peak_fraction\": %.3f, "
                   "\"arena_bytes\": %lld, \"unplanned_bytes\": %lld",
                   r->name, threads, r->ms, r->gflops, peak > 0 ? r->gflops / peak : 0, r->peak_bytes,
                   r->unplanned_bytes);
            if (vs_tfjs && r->tfjs_ms > 0)
                printf(", \"tfjs_ms\": %.2f, \"ratio\": %.2f", r->tfjs_ms, ratio);
            printf("}\n");
        } else {
            printf("%-24s %7d %9.3f %9.2f %6.1f%% %10.0f", r->name, threads, r->ms, r->gflops,
                   peak > 0 ? 100 * r->gflops / peak : 0, r->peak_bytes / 1024.0);
            if (r->tfjs_ms > 0)
                printf(" %9.2f %6.1fx", r->tfjs_ms, ratio);
            printf("\n");
        }
    }
    return failures ? 1 : 0;
}
