/* Distance histograms and the metrics read off them (see faceprint/eval.h):
 * TAR at FAR, EER, the LFW 10-fold protocol. */
#include "faceprint/eval.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

fp_status fp_eval_hist_init(fp_eval_hist *h, double bin_width, double max_distance, fp_error *err)
{
    if (!h)
        return fp_error_set(err, FP_ERR_INVALID_ARG, "eval: NULL histogram");
    memset(h, 0, sizeof *h);
    if (!(bin_width > 0))
        bin_width = FP_EVAL_BIN_WIDTH;
    if (!(max_distance > 0))
        max_distance = FP_EVAL_MAX_DISTANCE;
    double nb = ceil(max_distance / bin_width);
    if (!(nb >= 1 && nb <= 1e8))
        return fp_error_set(err, FP_ERR_LIMIT, "eval: %g / %g gives too many bins", max_distance, bin_width);
    h->bin_width = bin_width;
    h->bins = (int)nb + 1;
    h->gen = calloc((size_t)h->bins, sizeof *h->gen);
    h->imp = calloc((size_t)h->bins, sizeof *h->imp);
    if (!h->gen || !h->imp) {
        fp_eval_hist_free(h);
        return fp_error_set(err, FP_ERR_NOMEM, "eval: cannot allocate %d histogram bins", (int)nb + 1);
    }
    return FP_OK;
}

void fp_eval_hist_free(fp_eval_hist *h)
{
    if (!h)
        return;
    free(h->gen);
    free(h->imp);
    h->gen = h->imp = NULL;
    h->bins = 0;
}

void fp_eval_hist_add(fp_eval_hist *h, int genuine, double distance)
{
    if (!(distance == distance) || isinf(distance)) { /* NaN / inf: a failed comparison */
        if (genuine)
            h->gen_fail++;
        else
            h->imp_fail++;
        return;
    }
    double q = distance / h->bin_width;
    int k = q <= 0 ? 0 : q >= (double)(h->bins - 1) ? h->bins - 1 : (int)q;
    if (genuine)
        h->gen[k]++;
    else
        h->imp[k]++;
}

fp_status fp_eval_hist_merge(fp_eval_hist *dst, const fp_eval_hist *src)
{
    if (!dst || !src || dst->bins != src->bins || dst->bin_width != src->bin_width)
        return FP_ERR_INVALID_ARG;
    for (int k = 0; k < dst->bins; k++) {
        dst->gen[k] += src->gen[k];
        dst->imp[k] += src->imp[k];
    }
    dst->gen_fail += src->gen_fail;
    dst->imp_fail += src->imp_fail;
    return FP_OK;
}

static uint64_t sum_bins(const uint64_t *b, int n)
{
    uint64_t s = 0;
    for (int k = 0; k < n; k++)
        s += b[k];
    return s;
}

uint64_t fp_eval_hist_genuine(const fp_eval_hist *h)
{
    return sum_bins(h->gen, h->bins) + h->gen_fail;
}

uint64_t fp_eval_hist_impostor(const fp_eval_hist *h)
{
    return sum_bins(h->imp, h->bins) + h->imp_fail;
}

double fp_eval_tar_at(const fp_eval_hist *h, int k)
{
    uint64_t n = fp_eval_hist_genuine(h);
    if (k > h->bins)
        k = h->bins;
    return n ? (double)sum_bins(h->gen, k < 0 ? 0 : k) / (double)n : 0.0;
}

double fp_eval_far_at(const fp_eval_hist *h, int k)
{
    uint64_t n = fp_eval_hist_impostor(h);
    if (k > h->bins)
        k = h->bins;
    return n ? (double)sum_bins(h->imp, k < 0 ? 0 : k) / (double)n : 0.0;
}

fp_eval_point fp_eval_tar_at_far(const fp_eval_hist *h, double far_target)
{
    fp_eval_point p = {far_target, 0, 0, 0, 0};
    uint64_t ng = fp_eval_hist_genuine(h), ni = fp_eval_hist_impostor(h);
    if (!ng || !ni)
        return p;
    /* The largest k whose accepted impostors stay within far_target * ni. */
    double allowed = far_target * (double)ni;
    uint64_t imp_acc = 0, gen_acc = 0;
    int k = 0;
    while (k < h->bins && (double)(imp_acc + h->imp[k]) <= allowed) {
        imp_acc += h->imp[k];
        gen_acc += h->gen[k];
        k++;
    }
    p.tar = (double)gen_acc / (double)ng;
    p.far = (double)imp_acc / (double)ni;
    p.threshold = k * h->bin_width;
    p.feasible = allowed >= 1.0;
    return p;
}

double fp_eval_eer(const fp_eval_hist *h, double *threshold)
{
    uint64_t ng = fp_eval_hist_genuine(h), ni = fp_eval_hist_impostor(h);
    if (threshold)
        *threshold = 0;
    if (!ng || !ni)
        return 0.0;
    uint64_t gen_acc = 0, imp_acc = 0;
    double prev_far = 0.0, prev_frr = 1.0; /* k = 0: nothing accepted */
    for (int k = 1; k <= h->bins; k++) {
        gen_acc += h->gen[k - 1];
        imp_acc += h->imp[k - 1];
        double far = (double)imp_acc / (double)ni, frr = 1.0 - (double)gen_acc / (double)ng;
        if (far >= frr) {
            double d0 = prev_far - prev_frr, d1 = far - frr; /* d0 < 0 <= d1 */
            double t = d1 - d0 > 0 ? -d0 / (d1 - d0) : 0.0;
            if (threshold)
                *threshold = (k - 1 + t) * h->bin_width;
            return prev_far + t * (far - prev_far);
        }
        prev_far = far;
        prev_frr = frr;
    }
    /* FRR stays above FAR = 1 (only with failed genuine pairs): EER = FRR floor. */
    if (threshold)
        *threshold = h->bins * h->bin_width;
    return (prev_far + prev_frr) / 2;
}

/* ---- LFW 10-fold protocol -------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

typedef struct scored {
    double d;
    unsigned char same;
} scored;

static int cmp_scored(const void *a, const void *b)
{
    return cmp_double(&((const scored *)a)->d, &((const scored *)b)->d);
}

fp_status fp_eval_folds(const double *distance, const unsigned char *same, const int *fold, int n, int n_folds,
                        double *acc, double *thr, fp_error *err)
{
    if (!distance || !same || !fold || n <= 0 || n_folds < 2 || !acc || !thr)
        return fp_error_set(err, FP_ERR_INVALID_ARG, "eval folds: bad arguments");
    for (int i = 0; i < n; i++)
        if (fold[i] < 0 || fold[i] >= n_folds)
            return fp_error_set(err, FP_ERR_INVALID_ARG, "eval folds: pair %d has fold %d", i, fold[i]);
    scored *train = malloc((size_t)n * sizeof *train);
    if (!train)
        return fp_error_set(err, FP_ERR_NOMEM, "eval folds: out of memory");
    for (int f = 0; f < n_folds; f++) {
        int m = 0, pos = 0;
        for (int i = 0; i < n; i++)
            if (fold[i] != f) {
                train[m].d = distance[i];
                train[m].same = same[i] ? 1 : 0;
                pos += train[m].same;
                m++;
            }
        qsort(train, (size_t)m, sizeof *train, cmp_scored);
        /* Threshold below train[0]: accept nothing, correct = negatives. Then
         * move it past each group of equal distances. */
        int correct = m - pos, best = correct;
        double best_thr = m ? (isfinite(train[0].d) ? train[0].d - 1e-6 : 0.0) : FP_FACE_DEFAULT_THRESHOLD;
        for (int i = 0; i < m && isfinite(train[i].d);) {
            int j = i;
            while (j < m && train[j].d == train[i].d) {
                correct += train[j].same ? 1 : -1;
                j++;
            }
            if (correct > best) {
                best = correct;
                /* accept d < thr: midway to the next distance */
                best_thr = j < m && isfinite(train[j].d) ? (train[i].d + train[j].d) / 2 : train[i].d + 1e-6;
            }
            i = j;
        }
        int right = 0, total = 0;
        for (int i = 0; i < n; i++)
            if (fold[i] == f) {
                int accept = isfinite(distance[i]) && distance[i] < best_thr;
                right += accept == (same[i] != 0);
                total++;
            }
        acc[f] = total ? (double)right / total : 0.0;
        thr[f] = best_thr;
    }
    free(train);
    return FP_OK;
}

int fp_eval_cpu_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n >= 1 ? (int)(n > 1024 ? 1024 : n) : 1;
}
