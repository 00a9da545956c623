/* Reference numbers only, never linked into faceprint: OpenBLAS cblas_sgemm
 * on the same M x N x K as `faceprint bench kernels` (conv shapes as their
 * im2col GEMM, so OpenBLAS is not charged for the im2col itself).
 * Build and run by hand:
 *   gcc -O2 -o /tmp/openblas_sgemm bench/openblas_compare/openblas_sgemm.c -lopenblas
 *   OPENBLAS_NUM_THREADS=1 /tmp/openblas_sgemm; OPENBLAS_NUM_THREADS=2 /tmp/openblas_sgemm */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(void)
{
    static const struct { const char *name; int m, n, k; } shapes[] = {
        {"resnet conv7x7/2 3->32 150", 72 * 72, 32, 147},
        {"resnet conv3x3 32 @35", 35 * 35, 32, 288},
        {"resnet conv3x3 64 @17", 17 * 17, 64, 576},
        {"resnet conv3x3 128 @8", 64, 128, 1152},
        {"resnet conv3x3 256 @3", 9, 256, 2304},
        {"resnet conv3x3 256 @1", 1, 256, 2304},
        {"blaze 1x1 24->24 @64", 4096, 24, 24},
        {"ssd 1x1 32->64 @256", 65536, 64, 32},
        {"ssd 1x1 128->128 @128", 16384, 128, 128},
        {"ssd 1x1 512->512 @32", 1024, 512, 512},
        {"faceres 1x1 1024->1024 @7", 49, 1024, 1024},
        {"matmul 1024x1024x1024", 1024, 1024, 1024},
    };
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        int m = shapes[s].m, n = shapes[s].n, k = shapes[s].k;
        float *a = malloc(sizeof(float) * m * k), *b = malloc(sizeof(float) * k * n), *c = malloc(sizeof(float) * m * n);
        for (long i = 0; i < (long)m * k; i++) a[i] = (float)(i % 7) * 0.1f;
        for (long i = 0; i < (long)k * n; i++) b[i] = (float)(i % 5) * 0.1f;
        double t[200], start = now_s();
        int reps = 0;
        for (int r = -3; reps < 200; r++) {
            double t0 = now_s();
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0f, a, k, b, n, 0.0f, c, n);
            double t1 = now_s();
            if (r >= 0)
                t[reps++] = t1 - t0;
            if (reps >= 5 && t1 - start > 0.3)
                break;
        }
        qsort(t, (size_t)reps, sizeof t[0], cmp);
        double fl = 2.0 * m * n * k;
        printf("%-30s %10.2f MFLOP %10.4f ms %8.1f GFLOP/s\n", shapes[s].name, fl * 1e-6, t[reps / 2] * 1e3,
               fl / t[reps / 2] * 1e-9);
        free(a); free(b); free(c);
    }
    return 0;
}
