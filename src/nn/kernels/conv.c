/* Conv2D as GEMM: M = n*oh*ow output pixels, K = kh*kw*cin in HWI order,
 * N = cout. With that K order the HWIO filter already is the row-major
 * [K, N] B matrix, and A is read straight out of the NHWC input while
 * packing (implicit im2col): only one MC x KC block of the im2col matrix
 * ever exists, in the thread's scratch. 1x1 stride-1 unpadded convs are a
 * plain GEMM on the input. */
#include <stdlib.h>
#include <string.h>
#include "internal.h"

struct nn_conv_prepared {
    nn_conv_desc d;
    gemm_b b;
    int pointwise;
    conv_direct *direct;     /* few input channels on AVX-512, else NULL */
    wino_plan *wino;         /* 3x3 stride 1 where Winograd pays, else NULL */
};

static int desc_ok(const nn_conv_desc *d)
{
    return d->n > 0 && d->ih > 0 && d->iw > 0 && d->cin > 0 && d->oh > 0 && d->ow > 0 &&
           d->cout > 0 && d->kh > 0 && d->kw > 0 && d->sh > 0 && d->sw > 0 && d->dh > 0 &&
           d->dw > 0 && (int64_t)d->kh * d->kw * d->cin < INT32_MAX;
}

/* Taken only where it measured faster than the GEMM: inputs narrower than
 * one vector (the GEMM's gather is the bottleneck there) and outputs that
 * fit the register block. */
static fp_status direct_prepare(const nn_conv_desc *d, const float *filter_hwio, conv_direct **out)
{
    *out = NULL;
    int mr = conv_direct_block_pixels((d->cout + 7) / 8);
    if (nn_cpu_isa() < NN_ISA_AVX512 || d->cin >= 8 || mr == 0 || d->ow < mr)
        return FP_OK;
    return conv_direct_new(d, filter_hwio, out);
}

/* Winograd needs AVX2 for its transforms, enough channels for the 16
 * GEMMs to dominate them, and enough tiles per image to amortise reading
 * 16/9 times more weights (at 4x4 outputs it lost to the GEMM). */
static int wino_pays(const nn_conv_desc *d)
{
    int64_t tiles = (int64_t)((d->oh + 1) / 2) * ((d->ow + 1) / 2);
    return nn_cpu_isa() >= NN_ISA_AVX2 && wino_eligible(d) && d->cin >= 16 && d->cout >= 16 && tiles >= 16;
}

fp_status nn_conv2d_prepare(const nn_conv_desc *d, const float *filter_hwio, nn_conv_prepared **out)
{
    if (!out)
        return FP_ERR_INVALID_ARG;
    *out = NULL;
    if (!d || !filter_hwio || !desc_ok(d))
        return FP_ERR_INVALID_ARG;
    nn_conv_prepared *p = calloc(1, sizeof *p);
    if (!p)
        return FP_ERR_NOMEM;
    p->d = *d;
    p->pointwise = d->kh == 1 && d->kw == 1 && d->sh == 1 && d->sw == 1 && d->pad_top == 0 &&
                   d->pad_left == 0 && d->oh == d->ih && d->ow == d->iw;
    fp_status st = direct_prepare(d, filter_hwio, &p->direct);
    if (st == FP_OK && !p->direct && wino_pays(d))
        st = wino_new(d, filter_hwio, nn_cpu_isa(), &p->wino);
    if (st == FP_OK && !p->direct && !p->wino)
        st = gemm_b_pack(&p->b, nn_cpu_isa(), d->kh * d->kw * d->cin, d->cout, filter_hwio, 0);
    if (st != FP_OK) {
        nn_conv2d_prepared_free(p);
        return st;
    }
    *out = p;
    return FP_OK;
}

void nn_conv2d_prepared_free(nn_conv_prepared *p)
{
    if (p) {
        gemm_b_free(&p->b);
        conv_direct_free(p->direct);
        wino_free(p->wino);
        free(p);
    }
}

static int64_t conv_m(const nn_conv_desc *d)
{
    return (int64_t)d->n * d->oh * d->ow;
}

size_t nn_conv2d_scratch_bytes(const nn_conv_prepared *p, int n_threads)
{
    if (p->direct)
        return (size_t)(n_threads < 1 ? 1 : n_threads) * p->direct->strip_bytes + 64;
    if (p->wino)
        return wino_scratch_bytes(p->wino, n_threads);
    return gemm_scratch_bytes(&p->b, conv_m(&p->d), n_threads);
}

double nn_conv2d_flops(const nn_conv_desc *d)
{
    return 2.0 * d->n * d->oh * d->ow * (double)d->cout * d->kh * d->kw * d->cin;
}

/* One im2col row (output pixel) restricted to K range [p0, p0+kc), copied
 * to o in runs that are contiguous in the input: cin floats per tap, or a
 * whole kernel row when dw == 1 and the row is inside the image. */
static void gather_conv_row(const nn_conv_desc *d, const float *in, int64_t row, int64_t p0, int kc, float *o)
{
    const int cin = d->cin, kw = d->kw;
    const int row_k = kw * cin;
    int64_t hw = (int64_t)d->oh * d->ow;
    int64_t b = row / hw, r = row % hw;
    int oy = (int)(r / d->ow), ox = (int)(r % d->ow);
    int iy0 = oy * d->sh - d->pad_top, ix0 = ox * d->sw - d->pad_left;
    const float *img = in + b * (int64_t)d->ih * d->iw * cin;

    int ky = (int)(p0 / row_k);
    int pos = (int)(p0 % row_k); /* kx * cin + ci within kernel row ky */
    int left = kc;
    while (left > 0) {
        int iy = iy0 + ky * d->dh;
        int kx = pos / cin, ci = pos % cin;
        int ix = ix0 + kx * d->dw;
        int len;
        const float *src = NULL;
        if (iy < 0 || iy >= d->ih) {
            len = row_k - pos;
        } else if (ix < 0 || ix >= d->iw) {
            len = cin - ci;
        } else {
            int nkx = 1;
            if (d->dw == 1) {
                nkx = kw - kx;
                if (nkx > d->iw - ix)
                    nkx = d->iw - ix;
            }
            len = nkx * cin - ci;
            src = img + ((int64_t)iy * d->iw + ix) * cin + ci;
        }
        if (len > left)
            len = left;
        if (src)
            memcpy(o, src, (size_t)len * sizeof *o);
        else
            memset(o, 0, (size_t)len * sizeof *o);
        o += len;
        left -= len;
        pos += len;
        if (pos >= row_k) {
            pos -= row_k;
            ky++;
        }
    }
}

/* Wide inputs (cin >= 8): every tap is a run of cin contiguous floats for
 * all rows of the panel at once, so the rows' tap pointers feed the
 * transposing packer directly with no intermediate copy. */
static void pack_panel_taps(const nn_conv_desc *d, const float *in, const gemm_kernel_info *ki, int64_t row0,
                            int nrows, int64_t p0, int kc, float *o)
{
    const int cin = d->cin, row_k = d->kw * cin, mr = ki->mr;
    int64_t hw = (int64_t)d->oh * d->ow;
    int iy0[GEMM_MAX_MR], ix0[GEMM_MAX_MR];
    const float *img[GEMM_MAX_MR], *rows[GEMM_MAX_MR];
    for (int i = 0; i < mr; i++) {
        img[i] = NULL;
        iy0[i] = ix0[i] = 0;
        if (i < nrows) {
            int64_t row = row0 + i, b = row / hw, r = row % hw;
            iy0[i] = (int)(r / d->ow) * d->sh - d->pad_top;
            ix0[i] = (int)(r % d->ow) * d->sw - d->pad_left;
            img[i] = in + b * (int64_t)d->ih * d->iw * cin;
        }
    }
    int ky = (int)(p0 / row_k), pos = (int)(p0 % row_k), left = kc;
    while (left > 0) {
        int kx = pos / cin, ci = pos % cin;
        int len = cin - ci < left ? cin - ci : left;
        for (int i = 0; i < mr; i++) {
            int iy = iy0[i] + ky * d->dh, ix = ix0[i] + kx * d->dw;
            rows[i] = img[i] && iy >= 0 && iy < d->ih && ix >= 0 && ix < d->iw
                          ? img[i] + ((int64_t)iy * d->iw + ix) * cin + ci : NULL;
        }
        ki->pack_rows(rows, mr, len, o);
        o += (size_t)len * (size_t)mr;
        left -= len;
        pos += len;
        if (pos >= row_k) {
            pos -= row_k;
            ky++;
        }
    }
}

static void pack_a_conv(const gemm_a_src *s, const gemm_kernel_info *ki, int64_t m0, int mc, int64_t p0, int kc,
                        float *dst)
{
    const int mr = ki->mr;
    for (int i0 = 0; i0 < mc; i0 += mr) {
        float *panel = dst + (size_t)i0 * (size_t)kc;
        int64_t row0 = m0 + i0;
        int nrows = mc - i0 < mr ? mc - i0 : mr;
        if (row0 + nrows > s->m)
            nrows = (int)(s->m - row0);
        if (s->conv->cin >= 8) {
            pack_panel_taps(s->conv, s->a, ki, row0, nrows, p0, kc, panel);
            continue;
        }
        /* Narrow inputs: taps are too short to transpose, so gather each row
         * contiguously first (long memcpy runs), then transpose once. */
        float tmp[GEMM_MAX_MR][GEMM_MAX_KC];
        const float *rows[GEMM_MAX_MR];
        for (int i = 0; i < mr; i++) {
            rows[i] = NULL;
            if (i < nrows) {
                gather_conv_row(s->conv, s->a, row0 + i, p0, kc, tmp[i]);
                rows[i] = tmp[i];
            }
        }
        ki->pack_rows(rows, mr, kc, panel);
    }
}

typedef struct direct_job {
    const conv_direct *cd;
    const float *in;
    float *out;
    gemm_epi epi;
    char *scratch;
} direct_job;

static void direct_task(void *ctx, int64_t t, int thread)
{
    const direct_job *j = ctx;
    float *strip = (float *)(j->scratch + (size_t)thread * j->cd->strip_bytes);
    conv_direct_tile_avx512(j->cd, j->in, j->out, &j->epi, t, strip);
}

void nn_conv2d_run(const nn_conv_prepared *p, const float *in, float *out, const nn_epilogue *ep,
                   void *scratch, nn_threadpool *tp)
{
    if (p->direct) {
        direct_job j = {p->direct, in, out, gemm_epi_from(ep),
                        (char *)(((uintptr_t)scratch + 63) & ~(uintptr_t)63)};
        nn_threadpool_parallel_for(tp, (int64_t)p->d.n * p->direct->tiles_per_image, direct_task, &j);
        return;
    }
    if (p->wino) {
        wino_run(p->wino, in, out, ep, scratch, tp);
        return;
    }
    gemm_a_src a;
    memset(&a, 0, sizeof a);
    a.m = conv_m(&p->d);
    a.a = in;
    a.conv = &p->d;
    if (p->pointwise) {
        a.pack = gemm_pack_a_dense;
        a.lda = p->d.cin;
    } else {
        a.pack = pack_a_conv;
    }
    gemm_run(&p->b, &a, out, p->d.cout, ep, scratch, tp);
}
