/* Depthwise conv: prepare keeps a private copy of the filter; run splits
 * the n*oh output rows into tasks. The AVX2 path covers multiplier 1 (every
 * model we ship); other multipliers use the portable loop. */
#include <stdlib.h>
#include <string.h>
#include "internal.h"

struct nn_dwconv_prepared {
    nn_conv_desc d;
    int mult;
    nn_isa isa;
    float *filter;
};

fp_status nn_dwconv2d_prepare(const nn_conv_desc *d, const float *filter, nn_dwconv_prepared **out)
{
    if (!out)
        return FP_ERR_INVALID_ARG;
    *out = NULL;
    if (!d || !filter || d->n < 1 || d->ih < 1 || d->iw < 1 || d->cin < 1 || d->oh < 1 ||
        d->ow < 1 || d->kh < 1 || d->kw < 1 || d->sh < 1 || d->sw < 1 || d->dh < 1 || d->dw < 1 ||
        d->cout < d->cin || d->cout % d->cin != 0)
        return FP_ERR_INVALID_ARG;
    nn_dwconv_prepared *p = calloc(1, sizeof *p);
    if (!p)
        return FP_ERR_NOMEM;
    p->d = *d;
    p->mult = d->cout / d->cin;
    p->isa = nn_cpu_isa();
    size_t count = (size_t)d->kh * (size_t)d->kw * (size_t)d->cout;
    p->filter = malloc(count * sizeof(float));
    if (!p->filter) {
        free(p);
        return FP_ERR_NOMEM;
    }
    memcpy(p->filter, filter, count * sizeof(float));
    *out = p;
    return FP_OK;
}

void nn_dwconv2d_prepared_free(nn_dwconv_prepared *p)
{
    if (p) {
        free(p->filter);
        free(p);
    }
}

size_t nn_dwconv2d_scratch_bytes(const nn_dwconv_prepared *p, int n_threads)
{
    return 0;
}

/* First/last+1 tap index whose input coordinate o + t*dil is in [0, size). */
static inline void tap_range(int o, int dil, int k, int size, int *lo, int *hi)
{
    int l = o < 0 ? (-o + dil - 1) / dil : 0;
    int h = size - o <= 0 ? 0 : (size - o + dil - 1) / dil;
    *lo = l < k ? l : k;
    *hi = h < k ? h : k;
}

void dw_rows_scalar(const dw_job *j, int64_t r0, int64_t r1)
{
    const nn_conv_desc *d = j->d;
    const int C = d->cin, mult = d->cout / d->cin, cout = d->cout;
    for (int64_t r = r0; r < r1; r++) {
        int64_t b = r / d->oh;
        int oy = (int)(r % d->oh);
        int iy0 = oy * d->sh - d->pad_top, ky0, ky1;
        tap_range(iy0, d->dh, d->kh, d->ih, &ky0, &ky1);
        const float *img = j->in + b * (int64_t)d->ih * d->iw * C;
        for (int ox = 0; ox < d->ow; ox++) {
            int ix0 = ox * d->sw - d->pad_left, kx0, kx1;
            tap_range(ix0, d->dw, d->kw, d->iw, &kx0, &kx1);
            int64_t pix = r * d->ow + ox;
            float *o = j->out + (pix - j->out_row0 * d->ow) * cout;
            for (int oc = 0; oc < cout; oc++) {
                int c = oc / mult;
                float s = 0.0f;
                for (int ky = ky0; ky < ky1; ky++) {
                    const float *irow = img + (int64_t)(iy0 + ky * d->dh) * d->iw * C;
                    for (int kx = kx0; kx < kx1; kx++)
                        s += irow[(int64_t)(ix0 + kx * d->dw) * C + c] *
                             j->filter[(int64_t)(ky * d->kw + kx) * cout + oc];
                }
                if (j->epi.bias)
                    s += j->epi.bias[oc];
                if (j->epi.residual)
                    s += j->epi.residual[pix * cout + oc];
                o[oc] = nn_act_apply(s, &j->epi, oc);
            }
        }
    }
}

typedef struct dw_task {
    dw_job job;
    int64_t rows, rows_per_task;
    void (*rows_fn)(const dw_job *, int64_t, int64_t);
} dw_task;

static void dw_task_fn(void *ctx, int64_t t, int thread)
{
    const dw_task *dt = ctx;
    int64_t r0 = t * dt->rows_per_task;
    int64_t r1 = r0 + dt->rows_per_task < dt->rows ? r0 + dt->rows_per_task : dt->rows;
    dt->rows_fn(&dt->job, r0, r1);
}

void nn_dwconv2d_run(const nn_dwconv_prepared *p, const float *in, float *out, const nn_epilogue *ep,
                     void *scratch, nn_threadpool *tp)
{
    dw_task dt;
    dt.job.d = &p->d;
    dt.job.filter = p->filter;
    dt.job.in = in;
    dt.job.out = out;
    dt.job.out_row0 = 0;
    dt.job.epi = gemm_epi_from(ep);
    dt.rows = (int64_t)p->d.n * p->d.oh;
    dt.rows_fn = p->isa >= NN_ISA_AVX2 && p->mult == 1 ? dw_rows_avx2 : dw_rows_scalar;
    /* A few tasks per thread absorbs the uneven cost of border rows without
     * paying a dispatch per row. */
    int threads = nn_threadpool_size(tp);
    int64_t n_tasks = threads > 1 ? 4L * threads : 1;
    if (n_tasks > dt.rows)
        n_tasks = dt.rows;
    dt.rows_per_task = ceil_div64(dt.rows, n_tasks);
    nn_threadpool_parallel_for(tp, ceil_div64(dt.rows, dt.rows_per_task), dw_task_fn, &dt);
}
