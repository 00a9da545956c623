/* Timing and machine facts shared by the benchmarks. */
#ifndef FP_BENCH_UTIL_H
#define FP_BENCH_UTIL_H

#include <stddef.h>

double bench_now_ms(void);
/* Sorts v in place and returns its median. */
double bench_median(double *v, size_t n);
/* Nominal clock from /proc/cpuinfo ("cpu MHz"), GHz; 0 if unknown. */
double bench_cpu_ghz(void);
/* Clock the core really runs at, measured with a chain of dependent adds
 * (one per cycle); GHz. */
double bench_measured_ghz(void);
/* Single-precision FMA peak of one core, GFLOP/s: 2 FMA pipes x 8 lanes x 2
 * flops x measured clock (AVX2 on Zen 3/4; Zen 4 executes 512-bit FMAs as two halves,
 * so AVX-512 does not raise the peak). */
double bench_peak_gflops_per_core(void);

#endif
