/* Kernel micro-benchmarks: median time of repeated runs of the conv / dwconv
 * / matmul shapes our models use, as GFLOP/s and as a fraction of the
 * machine's FMA peak (2 FMA pipes x 8 floats x 2 flops x clock per core on
 * Zen 4, for both AVX2 and AVX-512 since Zen 4 splits 512-bit ops). The
 * "faceapi-resnet" row sums every conv of the face-api descriptor network. */
#include "bench_kernels.h"
#include "bench_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nn/kernels/kernels.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

typedef enum shape_kind { K_CONV, K_DW, K_MATMUL } shape_kind;

typedef struct shape {
    const char *name;
    shape_kind kind;
    int ih, iw, cin, cout, k, stride, same; /* conv; matmul: ih = m, cin = k, cout = n */
    int count;                              /* occurrences in the face-api ResNet (0 = not part) */
} shape;

static const shape shapes[] = {
    /* face-api ResNet-34 descriptor, 150x150 input */
    {"resnet conv7x7/2 3->32 150", K_CONV, 150, 150, 3, 32, 7, 2, 0, 1},
    {"resnet conv3x3 32 @35", K_CONV, 35, 35, 32, 32, 3, 1, 1, 6},
    {"resnet conv3x3/2 32->64 35", K_CONV, 35, 35, 32, 64, 3, 2, 0, 1},
    {"resnet conv3x3 64 @17", K_CONV, 17, 17, 64, 64, 3, 1, 1, 7},
    {"resnet conv3x3/2 64->128 17", K_CONV, 17, 17, 64, 128, 3, 2, 0, 1},
    {"resnet conv3x3 128 @8", K_CONV, 8, 8, 128, 128, 3, 1, 1, 5},
    {"resnet conv3x3/2 128->256 8", K_CONV, 8, 8, 128, 256, 3, 2, 0, 1},
    {"resnet conv3x3 256 @3", K_CONV, 3, 3, 256, 256, 3, 1, 1, 5},
    {"resnet conv3x3/2 256->256 3", K_CONV, 3, 3, 256, 256, 3, 2, 0, 1},
    {"resnet conv3x3 256 @1", K_CONV, 1, 1, 256, 256, 3, 1, 1, 1},
    /* BlazeFace / FaceMesh pointwise + depthwise */
    {"blaze 1x1 24->24 @64", K_CONV, 64, 64, 24, 24, 1, 1, 0, 0},
    {"blaze 1x1 48->48 @32", K_CONV, 32, 32, 48, 48, 1, 1, 0, 0},
    {"blaze 1x1 96->96 @16", K_CONV, 16, 16, 96, 96, 1, 1, 0, 0},
    {"blaze 1x1 96->96 @8", K_CONV, 8, 8, 96, 96, 1, 1, 0, 0},
    {"blaze dw5x5 24 @64", K_DW, 64, 64, 24, 24, 5, 1, 1, 0},
    {"blaze dw5x5/2 48 64", K_DW, 64, 64, 48, 48, 5, 2, 1, 0},
    {"mesh dw3x3 128 @16", K_DW, 16, 16, 128, 128, 3, 1, 1, 0},
    /* SSD MobileNetV1 512x512 and faceres 224x224 */
    {"ssd 1x1 32->64 @256", K_CONV, 256, 256, 32, 64, 1, 1, 0, 0},
    {"ssd 1x1 128->128 @128", K_CONV, 128, 128, 128, 128, 1, 1, 0, 0},
    {"ssd 1x1 256->256 @64", K_CONV, 64, 64, 256, 256, 1, 1, 0, 0},
    {"ssd 1x1 512->512 @32", K_CONV, 32, 32, 512, 512, 1, 1, 0, 0},
    {"ssd 1x1 1024->1024 @16", K_CONV, 16, 16, 1024, 1024, 1, 1, 0, 0},
    {"ssd conv3x3/2 3->32 512", K_CONV, 512, 512, 3, 32, 3, 2, 1, 0},
    {"ssd dw3x3 32 @256", K_DW, 256, 256, 32, 32, 3, 1, 1, 0},
    {"faceres 1x1 512->512 @14", K_CONV, 14, 14, 512, 512, 1, 1, 0, 0},
    {"faceres 1x1 1024->1024 @7", K_CONV, 7, 7, 1024, 1024, 1, 1, 0, 0},
    {"faceres dw3x3 64 @112", K_DW, 112, 112, 64, 64, 3, 1, 1, 0},
    {"faceres dw3x3 512 @14", K_DW, 14, 14, 512, 512, 3, 1, 1, 0},
    /* plain GEMMs */
    {"matmul 256x256x256", K_MATMUL, 256, 1, 256, 256, 1, 1, 0, 0},
    {"matmul 1024x1024x1024", K_MATMUL, 1024, 1, 1024, 1024, 1, 1, 0, 0},
    {"matmul 1x128x2304 (fc)", K_MATMUL, 1, 1, 2304, 128, 1, 1, 0, 0},
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* First "cpu MHz" of /proc/cpuinfo, in GHz; 0 if unavailable. */

#if defined(__x86_64__)
/* /proc/cpuinfo reports the nominal clock; under boost (or in a VM) the
 * core runs faster, so also measure what 12 independent FMA chains reach. */
__attribute__((target("avx2,fma"))) static double measured_peak_gflops(void)
{
    __m256 a0 = _mm256_set1_ps(0.f), a1 = _mm256_set1_ps(1.f), a2 = _mm256_set1_ps(2.f);
    __m256 a3 = _mm256_set1_ps(3.f), a4 = _mm256_set1_ps(4.f), a5 = _mm256_set1_ps(5.f);
    __m256 a6 = _mm256_set1_ps(6.f), a7 = _mm256_set1_ps(7.f), a8 = _mm256_set1_ps(8.f);
    __m256 a9 = _mm256_set1_ps(9.f), a10 = _mm256_set1_ps(10.f), a11 = _mm256_set1_ps(11.f);
    const __m256 x = _mm256_set1_ps(0.999999f), y = _mm256_set1_ps(1e-7f);
    const long iters = 20000000;
    double best = 0.0;
    for (int rep = 0; rep < 3; rep++) {
        double t0 = now_s();
        for (long n = 0; n < iters; n++) {
            a0 = _mm256_fmadd_ps(a0, x, y); a1 = _mm256_fmadd_ps(a1, x, y);
            a2 = _mm256_fmadd_ps(a2, x, y); a3 = _mm256_fmadd_ps(a3, x, y);
            a4 = _mm256_fmadd_ps(a4, x, y); a5 = _mm256_fmadd_ps(a5, x, y);
            a6 = _mm256_fmadd_ps(a6, x, y); a7 = _mm256_fmadd_ps(a7, x, y);
            a8 = _mm256_fmadd_ps(a8, x, y); a9 = _mm256_fmadd_ps(a9, x, y);
            a10 = _mm256_fmadd_ps(a10, x, y); a11 = _mm256_fmadd_ps(a11, x, y);
        }
        double t = now_s() - t0;
        double g = iters * 12.0 * 16.0 / t * 1e-9;
        if (g > best)
            best = g;
    }
    float sink[8];
    __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)),
                             _mm256_add_ps(_mm256_add_ps(a4, a5), _mm256_add_ps(a6, a7)));
    s = _mm256_add_ps(s, _mm256_add_ps(_mm256_add_ps(a8, a9), _mm256_add_ps(a10, a11)));
    _mm256_storeu_ps(sink, s);
    return sink[0] == 12345.0f ? 0.0 : best;
}
#endif

static nn_conv_desc make_desc(const shape *s)
{
    nn_conv_desc d;
    memset(&d, 0, sizeof d);
    d.n = 1;
    d.ih = s->ih;
    d.iw = s->iw;
    d.cin = s->cin;
    d.cout = s->cout;
    d.kh = d.kw = s->k;
    d.sh = d.sw = s->stride;
    d.dh = d.dw = 1;
    if (s->same) {
        d.oh = (s->ih + s->stride - 1) / s->stride;
        d.ow = (s->iw + s->stride - 1) / s->stride;
        int ph = (d.oh - 1) * s->stride + s->k - s->ih, pw = (d.ow - 1) * s->stride + s->k - s->iw;
        d.pad_top = ph > 0 ? ph / 2 : 0;
        d.pad_left = pw > 0 ? pw / 2 : 0;
    } else {
        d.oh = (s->ih - s->k) / s->stride + 1;
        d.ow = (s->iw - s->k) / s->stride + 1;
    }
    return d;
}

static float *rand_buf(size_t n)
{
    float *p = malloc(n * sizeof *p);
    if (p)
        for (size_t i = 0; i < n; i++)
            p[i] = (float)((i * 2654435761u) % 1000) * 0.001f - 0.5f;
    return p;
}

/* Median seconds per run; flops receives the work of one run. */
static double bench_shape(const shape *s, nn_threadpool *tp, double min_time, double *flops)
{
    int threads = nn_threadpool_size(tp);
    nn_conv_desc d = make_desc(s);
    size_t in_n, out_n, w_n;
    if (s->kind == K_MATMUL) {
        in_n = (size_t)s->ih * s->cin;
        out_n = (size_t)s->ih * s->cout;
        w_n = (size_t)s->cin * s->cout;
        *flops = 2.0 * s->ih * s->cin * (double)s->cout;
    } else {
        in_n = (size_t)d.ih * d.iw * d.cin;
        out_n = (size_t)d.oh * d.ow * d.cout;
        w_n = (size_t)d.kh * d.kw * d.cin * (s->kind == K_DW ? 1 : (size_t)d.cout);
        *flops = s->kind == K_DW ? 2.0 * d.oh * d.ow * d.cout * d.kh * d.kw : nn_conv2d_flops(&d);
    }
    float *in = rand_buf(in_n), *w = rand_buf(w_n), *bias = rand_buf((size_t)s->cout);
    float *out = malloc(out_n * sizeof *out);
    nn_conv_prepared *cp = NULL;
    nn_dwconv_prepared *dp = NULL;
    nn_matmul_prepared *mp = NULL;
    size_t sb = 0;
    fp_status st = FP_ERR_NOMEM;
    if (in && w && bias && out) {
        if (s->kind == K_CONV && (st = nn_conv2d_prepare(&d, w, &cp)) == FP_OK)
            sb = nn_conv2d_scratch_bytes(cp, threads);
        else if (s->kind == K_DW && (st = nn_dwconv2d_prepare(&d, w, &dp)) == FP_OK)
            sb = nn_dwconv2d_scratch_bytes(dp, threads);
        else if (s->kind == K_MATMUL && (st = nn_matmul_prepare(s->cin, s->cout, w, 0, &mp)) == FP_OK)
            sb = nn_matmul_scratch_bytes(mp, s->ih, threads);
    }
    void *scratch = malloc(sb ? sb : 1);
    double median = -1.0;
    if (st == FP_OK && scratch) {
        nn_epilogue ep;
        memset(&ep, 0, sizeof ep);
        ep.bias = bias;
        ep.act = NN_ACT_RELU;
        enum { MAX_REPS = 2000 };
        static double t[MAX_REPS];
        int reps = 0;
        double start = now_s();
        for (int r = -3;; r++) { /* three untimed warm-up runs */
            double t0 = now_s();
            if (cp)
                nn_conv2d_run(cp, in, out, &ep, scratch, tp);
            else if (dp)
                nn_dwconv2d_run(dp, in, out, &ep, scratch, tp);
            else
                nn_matmul_run(mp, s->ih, in, out, &ep, scratch, tp);
            double t1 = now_s();
            if (r < 0)
                continue;
            t[reps++] = t1 - t0;
            if (reps >= MAX_REPS || (reps >= 5 && t1 - start > min_time))
                break;
        }
        qsort(t, (size_t)reps, sizeof t[0], cmp_double);
        median = t[reps / 2];
    }
    nn_conv2d_prepared_free(cp);
    nn_dwconv2d_prepared_free(dp);
    nn_matmul_prepared_free(mp);
    free(scratch);
    free(in);
    free(w);
    free(bias);
    free(out);
    return median;
}

static void usage(void)
{
    fprintf(stderr,
            "usage: faceprint bench kernels [--threads 1,2] [--isa scalar|avx2|avx512]\n"
            "                               [--time SECONDS_PER_SHAPE] [--filter SUBSTRING]\n");
}

int fp_bench_kernels_main(int argc, char **argv)
{
    const char *thread_list = "1,2", *filter = NULL;
    double min_time = 0.3;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            thread_list = argv[++i];
        else if (!strcmp(argv[i], "--isa") && i + 1 < argc) {
            const char *v = argv[++i];
            nn_cpu_isa_override(!strcmp(v, "scalar") ? NN_ISA_SCALAR : !strcmp(v, "avx2") ? NN_ISA_AVX2
                                                                                           : NN_ISA_AVX512);
        } else if (!strcmp(argv[i], "--time") && i + 1 < argc)
            min_time = atof(argv[++i]);
        else if (!strcmp(argv[i], "--filter") && i + 1 < argc)
            filter = argv[++i];
        else {
            usage();
            return 2;
        }
    }
    int tcounts[8], n_t = 0;
    for (const char *p = thread_list; *p && n_t < 8;) {
        int v = atoi(p);
        if (v < 1 || v > 256) {
            usage();
            return 2;
        }
        tcounts[n_t++] = v;
        p = strchr(p, ',');
        if (!p)
            break;
        p++;
    }
    double ghz = bench_cpu_ghz();
    double peak = 2.0 * 8.0 * 2.0 * ghz; /* GFLOP/s per core */
    double mpeak = 0.0;
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        mpeak = measured_peak_gflops();
#endif
    printf("isa %s, clock %.3f GHz (/proc/cpuinfo) -> nominal peak %.1f GFLOP/s per core;\n"
           "measured FMA peak %.1f GFLOP/s per core (effective clock %.2f GHz)\n",
           nn_isa_name(nn_cpu_isa()), ghz, peak, mpeak, mpeak / 32.0);
    for (int ti = 0; ti < n_t; ti++) {
        nn_threadpool *tp = NULL;
        if (nn_threadpool_new(tcounts[ti], &tp) != FP_OK) {
            fprintf(stderr, "cannot create a pool of %d threads\n", tcounts[ti]);
            return 1;
        }
        double tpeak = peak * tcounts[ti], tmpeak = mpeak * tcounts[ti];
        printf("\nthreads %d (nominal peak %.1f, measured peak %.1f GFLOP/s)\n", tcounts[ti], tpeak, tmpeak);
        printf("%-30s %10s %10s %9s %7s %7s\n", "shape", "MFLOP", "ms", "GFLOP/s", "%nom", "%meas");
        double model_s = 0.0, model_flops = 0.0;
        for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
            const shape *s = &shapes[i];
            if (filter && !strstr(s->name, filter))
                continue;
            double fl, sec = bench_shape(s, tp, min_time, &fl);
            if (sec <= 0) {
                printf("%-30s failed\n", s->name);
                continue;
            }
            double gf = fl / sec * 1e-9;
            printf("%-30s %10.2f %10.4f %9.1f %6.1f%% %6.1f%%\n", s->name, fl * 1e-6, sec * 1e3, gf,
                   tpeak > 0 ? 100.0 * gf / tpeak : 0.0, tmpeak > 0 ? 100.0 * gf / tmpeak : 0.0);
            model_s += sec * s->count;
            model_flops += fl * s->count;
            fflush(stdout);
        }
        if (model_s > 0) {
            double gf = model_flops / model_s * 1e-9;
            printf("%-30s %10.2f %10.4f %9.1f %6.1f%% %6.1f%%\n", "faceapi-resnet (all convs)",
                   model_flops * 1e-6, model_s * 1e3, gf, tpeak > 0 ? 100.0 * gf / tpeak : 0.0,
                   tmpeak > 0 ? 100.0 * gf / tmpeak : 0.0);
        }
        nn_threadpool_free(tp);
    }
    return 0;
}
