/* Kernels against naive double-precision references: every ISA this CPU
 * has, pools of 1, 2 and 3 threads, odd and degenerate shapes, strides,
 * padding, dilation, depthwise multipliers and every epilogue. Error bound
 * per element: 1e-5 of the accumulated magnitude sum |a*b| + |bias| + |res|
 * (all activations are 1-Lipschitz, so the bound survives them). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/kernels/kernels.h"

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 32);
}

static int rnd_int(int lo, int hi) /* inclusive */
{
    return lo + (int)(rnd() % (uint32_t)(hi - lo + 1));
}

static float rnd_f(void)
{
    return (float)((rnd() >> 8) * (1.0 / 16777216.0) * 2.0 - 1.0);
}

static float *rnd_buf(size_t n)
{
    float *p = malloc((n ? n : 1) * sizeof *p);
    assert_non_null(p);
    for (size_t i = 0; i < n; i++)
        p[i] = rnd_f();
    return p;
}

static const nn_act all_acts[] = {NN_ACT_NONE, NN_ACT_RELU, NN_ACT_RELU6, NN_ACT_LEAKY_RELU,
                                  NN_ACT_PRELU, NN_ACT_SIGMOID};

/* Random epilogue over `cols` channels for an output of `count` floats;
 * buffers are owned by the caller through *owned (3 slots). */
static nn_epilogue make_epilogue(int cols, size_t count, int act_idx, int with_bias, int with_res,
                                 float *owned[3])
{
    nn_epilogue ep;
    memset(&ep, 0, sizeof ep);
    owned[0] = owned[1] = owned[2] = NULL;
    if (with_bias)
        ep.bias = owned[0] = rnd_buf((size_t)cols);
    if (with_res)
        ep.residual = owned[1] = rnd_buf(count);
    ep.act = all_acts[act_idx];
    if (ep.act == NN_ACT_PRELU) {
        owned[2] = rnd_buf((size_t)cols);
        for (int i = 0; i < cols; i++)
            owned[2][i] = fabsf(owned[2][i]);
        ep.prelu_alpha = owned[2];
    }
    ep.leaky_alpha = 0.2f;
    return ep;
}

static double ref_act(double v, const nn_epilogue *ep, int col)
{
    switch (ep->act) {
    case NN_ACT_RELU: return v > 0 ? v : 0;
    case NN_ACT_RELU6: return v > 0 ? (v < 6 ? v : 6) : 0;
    case NN_ACT_LEAKY_RELU: return v > 0 ? v : v * ep->leaky_alpha;
    case NN_ACT_PRELU: return v > 0 ? v : v * ep->prelu_alpha[col];
    case NN_ACT_SIGMOID: return 1.0 / (1.0 + exp(-v));
    default: return v;
    }
}

/* Applies the epilogue to raw sums and checks out against it. */
static void check_output(const float *out, const double *sum, const double *mag, size_t rows, int cols,
                         const nn_epilogue *ep, const float *res_copy, const char *what)
{
    for (size_t r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++) {
            size_t i = r * (size_t)cols + (size_t)c;
            double v = sum[i], m = mag[i];
            if (ep->bias) {
                v += ep->bias[c];
                m += fabs(ep->bias[c]);
            }
            if (res_copy) {
                v += res_copy[i];
                m += fabs(res_copy[i]);
            }
            double want = ref_act(v, ep, c);
            double err = fabs(out[i] - want);
            if (!(err <= 1e-5 * m + 1e-6)) {
                fail_msg("%s: row %zu col %d: got %.9g want %.9g (mag %.3g, act %d)", what, r, c,
                         (double)out[i], want, m, (int)ep->act);
            }
        }
}

static int n_isas(void)
{
    nn_cpu_isa_override(NN_ISA_AVX512);
    nn_isa hw = nn_cpu_isa();
    return (int)hw + 1;
}

static nn_threadpool *pools[4];

static int setup_pools(void **state)
{
    for (int t = 1; t <= 3; t++)
        if (nn_threadpool_new(t, &pools[t]) != FP_OK)
            return -1;
    return 0;
}

static int teardown_pools(void **state)
{
    for (int t = 1; t <= 3; t++)
        nn_threadpool_free(pools[t]);
    nn_cpu_isa_override(-1);
    return 0;
}

/* ---- cpu + thread pool -------------------------------------------------------- */

static void test_isa(void **state)
{
    nn_cpu_isa_override(NN_ISA_AVX512);
    nn_isa hw = nn_cpu_isa(); /* best the CPU has, ignoring FP_NN_ISA */
    nn_cpu_isa_override(-1);
    nn_isa dflt = nn_cpu_isa(); /* capped by FP_NN_ISA */
    assert_true(dflt <= hw);
    assert_non_null(nn_isa_name(hw));
    assert_string_equal(nn_isa_name(NN_ISA_SCALAR), "scalar");
    assert_string_equal(nn_isa_name(NN_ISA_AVX2), "avx2");
    nn_cpu_isa_override(NN_ISA_SCALAR);
    assert_int_equal(nn_cpu_isa(), NN_ISA_SCALAR);
    nn_cpu_isa_override(-1);
    assert_int_equal(nn_cpu_isa(), dflt);
}

typedef struct tp_ctx {
    _Atomic int hits[1000];
    _Atomic int bad_thread;
    int size;
} tp_ctx;

static void tp_task(void *ctx, int64_t t, int thread)
{
    tp_ctx *c = ctx;
    atomic_fetch_add(&c->hits[t], 1);
    if (thread < 0 || thread >= c->size)
        atomic_store(&c->bad_thread, 1);
}

static void test_threadpool(void **state)
{
    static tp_ctx c;
    assert_int_equal(nn_threadpool_size(NULL), 1);
    for (int t = 1; t <= 3; t++) {
        nn_threadpool *tp = pools[t];
        assert_int_equal(nn_threadpool_size(tp), t);
        for (int rep = 0; rep < 300; rep++) {
            int n = rep % 7 == 0 ? 1000 : rnd_int(0, 40);
            for (int i = 0; i < 1000; i++)
                atomic_store(&c.hits[i], 0);
            atomic_store(&c.bad_thread, 0);
            c.size = t;
            nn_threadpool_parallel_for(tp, n, tp_task, &c);
            for (int i = 0; i < 1000; i++)
                assert_int_equal(atomic_load(&c.hits[i]), i < n ? 1 : 0);
            assert_int_equal(atomic_load(&c.bad_thread), 0);
        }
    }
    c.size = 1;
    nn_threadpool_parallel_for(NULL, 10, tp_task, &c);
    /* create/destroy churn, including destroy right after a job */
    for (int i = 0; i < 20; i++) {
        nn_threadpool *tp;
        assert_int_equal(nn_threadpool_new(1 + i % 3, &tp), FP_OK);
        if (i % 2) {
            for (int k = 0; k < 1000; k++)
                atomic_store(&c.hits[k], 0);
            c.size = 1 + i % 3;
            nn_threadpool_parallel_for(tp, 100, tp_task, &c);
        }
        nn_threadpool_free(tp);
    }
    assert_int_not_equal(nn_threadpool_new(0, &(nn_threadpool *){NULL}), FP_OK);
}

/* ---- matmul -------------------------------------------------------------------- */

static void run_matmul_case(int m, int n, int k, int transpose, int act_idx, int with_bias, int with_res,
                            int in_place)
{
    float *a = rnd_buf((size_t)m * (size_t)k);
    float *b = rnd_buf((size_t)k * (size_t)n);
    size_t count = (size_t)m * (size_t)n;
    double *sum = calloc(count ? count : 1, sizeof *sum), *mag = calloc(count ? count : 1, sizeof *mag);
    assert_non_null(sum);
    assert_non_null(mag);
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++)
            for (int p = 0; p < k; p++) {
                float bv = transpose ? b[(size_t)j * (size_t)k + (size_t)p] : b[(size_t)p * (size_t)n + (size_t)j];
                double prod = (double)a[(size_t)i * (size_t)k + (size_t)p] * bv;
                sum[(size_t)i * (size_t)n + (size_t)j] += prod;
                mag[(size_t)i * (size_t)n + (size_t)j] += fabs(prod);
            }
    float *owned[3];
    nn_epilogue ep = make_epilogue(n, count, act_idx, with_bias, with_res, owned);
    float *res_copy = NULL;
    if (with_res) {
        res_copy = malloc(count * sizeof *res_copy);
        memcpy(res_copy, owned[1], count * sizeof *res_copy);
    }
    char what[160];
    for (int isa = 0; isa < n_isas(); isa++) {
        nn_cpu_isa_override(isa);
        nn_matmul_prepared *p;
        assert_int_equal(nn_matmul_prepare(k, n, b, transpose, &p), FP_OK);
        for (int t = 1; t <= 3; t++) {
            void *scratch = malloc(nn_matmul_scratch_bytes(p, m, t));
            float *c = malloc((count ? count : 1) * sizeof *c);
            for (size_t i = 0; i < count; i++)
                c[i] = NAN;
            if (in_place && with_res) {
                memcpy(c, res_copy, count * sizeof *c);
                ep.residual = c;
            }
            nn_matmul_run(p, m, a, c, &ep, scratch, pools[t]);
            snprintf(what, sizeof what, "matmul m%d n%d k%d T%d isa %s threads %d%s", m, n, k, transpose,
                     nn_isa_name((nn_isa)isa), t, in_place ? " in-place" : "");
            check_output(c, sum, mag, (size_t)m, n, &ep, res_copy, what);
            ep.residual = owned[1];
            free(c);
            free(scratch);
        }
        nn_matmul_prepared_free(p);
    }
    nn_cpu_isa_override(-1);
    free(res_copy);
    for (int i = 0; i < 3; i++)
        free(owned[i]);
    free(a);
    free(b);
    free(sum);
    free(mag);
}

static void test_matmul(void **state)
{
    static const int shapes[][3] = {
        {1, 1, 1}, {1, 16, 1}, {6, 16, 4}, {7, 17, 5}, {1, 200, 300}, {300, 1, 7}, {13, 33, 257},
        {145, 40, 64}, {200, 70, 600}, {5, 1000, 3}, {64, 24, 24}, {49, 130, 1024}, {288, 64, 1},
    };
    int i = 0;
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++, i++)
        run_matmul_case(shapes[s][0], shapes[s][1], shapes[s][2], (int)(s & 1), i % 6, (i / 2) % 2,
                        (i / 3) % 2, 0);
    for (int r = 0; r < 16; r++, i++)
        run_matmul_case(rnd_int(1, 90), rnd_int(1, 90), rnd_int(1, 300), rnd() & 1, i % 6, rnd() & 1,
                        rnd() & 1, 0);
    run_matmul_case(50, 37, 700, 0, 1, 1, 1, 1); /* residual aliasing the output, K split */
}

/* ---- conv2d -------------------------------------------------------------------- */

static void ref_conv(const nn_conv_desc *d, const float *in, const float *f, int depthwise, double *sum,
                     double *mag)
{
    int mult = depthwise ? d->cout / d->cin : 0;
    for (int b = 0; b < d->n; b++)
        for (int oy = 0; oy < d->oh; oy++)
            for (int ox = 0; ox < d->ow; ox++)
                for (int oc = 0; oc < d->cout; oc++) {
                    double s = 0, m = 0;
                    for (int ky = 0; ky < d->kh; ky++)
                        for (int kx = 0; kx < d->kw; kx++) {
                            int iy = oy * d->sh - d->pad_top + ky * d->dh;
                            int ix = ox * d->sw - d->pad_left + kx * d->dw;
                            if (iy < 0 || iy >= d->ih || ix < 0 || ix >= d->iw)
                                continue;
                            const float *px = in + (((size_t)b * d->ih + iy) * d->iw + ix) * d->cin;
                            if (depthwise) {
                                double prod = (double)px[oc / mult] *
                                              f[((size_t)ky * d->kw + kx) * d->cout + oc];
                                s += prod;
                                m += fabs(prod);
                            } else {
                                for (int ci = 0; ci < d->cin; ci++) {
                                    double prod = (double)px[ci] *
                                                  f[(((size_t)ky * d->kw + kx) * d->cin + ci) * d->cout + oc];
                                    s += prod;
                                    m += fabs(prod);
                                }
                            }
                        }
                    size_t o = (((size_t)b * d->oh + oy) * d->ow + ox) * d->cout + oc;
                    sum[o] = s;
                    mag[o] = m;
                }
}

/* SAME-style: output size from stride, padding split TF-style (extra at the end). */
static nn_conv_desc make_desc(int n, int ih, int iw, int cin, int cout, int kh, int kw, int s, int dil,
                              int same)
{
    nn_conv_desc d;
    memset(&d, 0, sizeof d);
    d.n = n; d.ih = ih; d.iw = iw; d.cin = cin; d.cout = cout;
    d.kh = kh; d.kw = kw; d.sh = s; d.sw = s; d.dh = dil; d.dw = dil;
    int ekh = (kh - 1) * dil + 1, ekw = (kw - 1) * dil + 1;
    if (same) {
        d.oh = (ih + s - 1) / s;
        d.ow = (iw + s - 1) / s;
        int ph = (d.oh - 1) * s + ekh - ih, pw = (d.ow - 1) * s + ekw - iw;
        d.pad_top = ph > 0 ? ph / 2 : 0;
        d.pad_left = pw > 0 ? pw / 2 : 0;
    } else {
        d.oh = (ih - ekh) / s + 1;
        d.ow = (iw - ekw) / s + 1;
    }
    return d;
}

static void run_conv_case(const nn_conv_desc *d, int depthwise, int act_idx, int with_bias, int with_res)
{
    size_t in_count = (size_t)d->n * d->ih * d->iw * d->cin;
    size_t f_count = (size_t)d->kh * d->kw * (depthwise ? (size_t)d->cout : (size_t)d->cin * d->cout);
    size_t count = (size_t)d->n * d->oh * d->ow * d->cout;
    float *in = rnd_buf(in_count), *f = rnd_buf(f_count);
    double *sum = calloc(count, sizeof *sum), *mag = calloc(count, sizeof *mag);
    assert_non_null(sum);
    assert_non_null(mag);
    ref_conv(d, in, f, depthwise, sum, mag);
    float *owned[3];
    nn_epilogue ep = make_epilogue(d->cout, count, act_idx, with_bias, with_res, owned);
    char what[200];
    for (int isa = 0; isa < n_isas(); isa++) {
        nn_cpu_isa_override(isa);
        nn_conv_prepared *cp = NULL;
        nn_dwconv_prepared *dp = NULL;
        if (depthwise)
            assert_int_equal(nn_dwconv2d_prepare(d, f, &dp), FP_OK);
        else
            assert_int_equal(nn_conv2d_prepare(d, f, &cp), FP_OK);
        for (int t = 1; t <= 3; t++) {
            size_t sb = depthwise ? nn_dwconv2d_scratch_bytes(dp, t) : nn_conv2d_scratch_bytes(cp, t);
            void *scratch = malloc(sb ? sb : 1);
            float *out = malloc(count * sizeof *out);
            for (size_t i = 0; i < count; i++)
                out[i] = NAN;
            if (depthwise)
                nn_dwconv2d_run(dp, in, out, &ep, scratch, pools[t]);
            else
                nn_conv2d_run(cp, in, out, &ep, scratch, pools[t]);
            snprintf(what, sizeof what,
                     "%s n%d %dx%dx%d->%dx%dx%d k%dx%d s%d d%d pad %d,%d isa %s threads %d",
                     depthwise ? "dwconv" : "conv", d->n, d->ih, d->iw, d->cin, d->oh, d->ow, d->cout,
                     d->kh, d->kw, d->sh, d->dh, d->pad_top, d->pad_left, nn_isa_name((nn_isa)isa), t);
            check_output(out, sum, mag, count / (size_t)d->cout, d->cout, &ep, owned[1], what);
            free(out);
            free(scratch);
        }
        nn_conv2d_prepared_free(cp);
        nn_dwconv2d_prepared_free(dp);
    }
    nn_cpu_isa_override(-1);
    for (int i = 0; i < 3; i++)
        free(owned[i]);
    free(in);
    free(f);
    free(sum);
    free(mag);
}

static void test_conv2d(void **state)
{
    /* n, ih, iw, cin, cout, kh, kw, stride, dilation, same */
    static const int cases[][10] = {
        {1, 1, 1, 1, 1, 1, 1, 1, 1, 0},     {1, 8, 8, 16, 16, 1, 1, 1, 1, 0},
        {2, 7, 5, 3, 5, 1, 1, 1, 1, 0},     {1, 9, 9, 3, 8, 3, 3, 1, 1, 1},
        {1, 17, 13, 3, 32, 7, 7, 2, 1, 0},  {1, 15, 15, 32, 32, 3, 3, 1, 1, 1},
        {1, 15, 15, 32, 64, 3, 3, 2, 1, 1}, {1, 5, 5, 70, 33, 3, 3, 1, 1, 1},
        {2, 10, 11, 5, 7, 3, 3, 1, 2, 1},   {1, 12, 12, 4, 6, 5, 5, 2, 1, 1},
        {1, 9, 9, 8, 8, 1, 1, 2, 1, 0},     {1, 6, 6, 300, 20, 1, 1, 1, 1, 0},
        {1, 4, 4, 16, 17, 3, 3, 1, 1, 1},   {1, 3, 20, 2, 3, 3, 1, 1, 1, 1},
        {1, 13, 14, 6, 40, 3, 3, 2, 1, 0},  {1, 2, 2, 1, 1, 3, 3, 1, 1, 1},
        /* few input channels and wide rows: the direct (non-GEMM) path, with
         * every output group split, masked tails and slid-back last blocks */
        {1, 40, 41, 3, 24, 5, 5, 2, 1, 1},  {1, 19, 50, 3, 16, 3, 3, 1, 1, 1},
        {1, 18, 31, 3, 64, 3, 3, 1, 1, 0},  {2, 24, 27, 4, 40, 3, 3, 1, 2, 1},
        {1, 21, 37, 3, 32, 7, 7, 2, 1, 0},  {1, 16, 30, 1, 8, 3, 3, 1, 1, 1},
        {1, 20, 26, 3, 20, 3, 3, 2, 1, 1},  {1, 11, 40, 7, 56, 3, 3, 1, 1, 1},
        {1, 9, 33, 2, 5, 1, 1, 1, 1, 0},    {1, 17, 29, 3, 33, 3, 3, 1, 1, 1},
        /* 3x3 stride 1 with enough tiles: Winograd, incl. odd sizes, VALID,
         * channel counts off the vector width and two images */
        {1, 9, 9, 16, 16, 3, 3, 1, 1, 1},   {2, 12, 11, 20, 24, 3, 3, 1, 1, 0},
        {1, 13, 10, 64, 40, 3, 3, 1, 1, 1}, {1, 20, 20, 17, 70, 3, 3, 1, 1, 0},
        {1, 8, 8, 128, 16, 3, 3, 1, 1, 1},  {2, 7, 9, 33, 19, 3, 3, 1, 1, 1},
    };
    int i = 0;
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++, i++) {
        const int *v = cases[c];
        nn_conv_desc d = make_desc(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9]);
        run_conv_case(&d, 0, i % 6, (i / 2) % 2 == 0, (i / 3) % 2);
    }
    for (int r = 0; r < 14; r++, i++) {
        int k = rnd_int(1, 5), s = rnd_int(1, 3), dil = rnd_int(1, 2);
        int ih = rnd_int((k - 1) * dil + 1, 14), iw = rnd_int((k - 1) * dil + 1, 14);
        nn_conv_desc d = make_desc(rnd_int(1, 2), ih, iw, rnd_int(1, 40), rnd_int(1, 40), k, rnd_int(1, 5) > 2 ? k : 1,
                                   s, dil, rnd() & 1);
        if (d.ow < 1 || d.oh < 1)
            continue;
        run_conv_case(&d, 0, i % 6, rnd() & 1, rnd() & 1);
    }
}

static void test_dwconv2d(void **state)
{
    /* n, ih, iw, cin, cout, kh, kw, stride, dilation, same */
    static const int cases[][10] = {
        {1, 1, 1, 1, 1, 1, 1, 1, 1, 0},      {1, 16, 16, 24, 24, 3, 3, 1, 1, 1},
        {1, 16, 16, 24, 24, 3, 3, 2, 1, 1},  {1, 9, 11, 37, 37, 5, 5, 1, 1, 1},
        {1, 9, 9, 40, 40, 5, 5, 2, 1, 1},    {2, 8, 7, 5, 10, 3, 3, 1, 1, 1},
        {1, 10, 10, 3, 6, 3, 3, 2, 2, 1},    {1, 12, 12, 64, 64, 3, 3, 1, 2, 1},
        {1, 7, 7, 8, 8, 3, 3, 1, 1, 0},      {1, 6, 6, 33, 99, 3, 3, 1, 1, 1},
        {1, 3, 3, 1024, 1024, 3, 3, 1, 1, 1}, {1, 2, 2, 9, 9, 5, 5, 1, 1, 1},
    };
    int i = 0;
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++, i++) {
        const int *v = cases[c];
        nn_conv_desc d = make_desc(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9]);
        run_conv_case(&d, 1, i % 6, (i / 2) % 2 == 0, (i / 3) % 2);
    }
    for (int r = 0; r < 14; r++, i++) {
        int k = rnd_int(1, 5), s = rnd_int(1, 2), dil = rnd_int(1, 2);
        int ih = rnd_int((k - 1) * dil + 1, 14), iw = rnd_int((k - 1) * dil + 1, 14);
        int cin = rnd_int(1, 70);
        nn_conv_desc d = make_desc(rnd_int(1, 2), ih, iw, cin, cin * rnd_int(1, 2), k, k, s, dil, rnd() & 1);
        run_conv_case(&d, 1, i % 6, rnd() & 1, rnd() & 1);
    }
}

static void test_reference_and_flops(void **state)
{
    const float a[6] = {1, 2, 3, 4, 5, 6}, b[6] = {7, 8, 9, 10, 11, 12};
    float c[4];
    nn_gemm_reference(2, 2, 3, a, b, c);
    assert_true(c[0] == 58 && c[1] == 64 && c[2] == 139 && c[3] == 154);
    nn_conv_desc d = make_desc(1, 10, 10, 3, 8, 3, 3, 1, 1, 1);
    assert_true(nn_conv2d_flops(&d) == 2.0 * 100 * 8 * 27);
    nn_conv_prepared *p = (nn_conv_prepared *)&d;
    d.cin = 0;
    assert_int_equal(nn_conv2d_prepare(&d, a, &p), FP_ERR_INVALID_ARG);
    assert_null(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_isa),
        cmocka_unit_test(test_threadpool),
        cmocka_unit_test(test_reference_and_flops),
        cmocka_unit_test(test_matmul),
        cmocka_unit_test(test_conv2d),
        cmocka_unit_test(test_dwconv2d),
    };
    return cmocka_run_group_tests(tests, setup_pools, teardown_pools);
}
