#include "bench_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

double bench_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

double bench_median(double *v, size_t n)
{
    if (n == 0)
        return 0;
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

double bench_cpu_ghz(void)
{
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return 0;
    char line[512];
    double mhz = 0;
    while (fgets(line, sizeof line, f)) {
        if (!strncmp(line, "cpu MHz", 7)) {
            const char *colon = strchr(line, ':');
            if (colon)
                mhz = atof(colon + 1);
            break;
        }
    }
    fclose(f);
    return mhz / 1000.0;
}

double bench_measured_ghz(void)
{
#if defined(__x86_64__)
    /* A chain of dependent integer adds retires one per cycle on every x86
     * core of the last decade, so adds per second = cycles per second at the
     * clock the core actually runs (turbo included), which /proc does not show. */
    double best = 0;
    for (int rep = 0; rep < 5; rep++) {
        unsigned long long x = 0, y = 1;
        const long iters = 20000000;
        double t0 = bench_now_ms();
        for (long i = 0; i < iters; i++)
            __asm__ volatile("add %1, %0\n\tadd %1, %0\n\tadd %1, %0\n\tadd %1, %0\n\t"
                             "add %1, %0\n\tadd %1, %0\n\tadd %1, %0\n\tadd %1, %0\n\t"
                             "add %1, %0\n\tadd %1, %0"
                             : "+r"(x)
                             : "r"(y));
        double ms = bench_now_ms() - t0;
        double ghz = (double)iters * 10.0 / (ms * 1e6);
        best = ghz > best ? ghz : best;
    }
    return best;
#else
    return bench_cpu_ghz();
#endif
}

double bench_peak_gflops_per_core(void)
{
    double ghz = bench_measured_ghz();
    if (ghz <= 0)
        ghz = bench_cpu_ghz();
    return 2.0 * 8.0 * 2.0 * ghz;
}
