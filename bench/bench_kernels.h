/* `faceprint bench kernels`: GEMM / conv / depthwise micro-benchmarks. */
#ifndef FP_BENCH_KERNELS_H
#define FP_BENCH_KERNELS_H

/* argv[0] is the subcommand name; returns a process exit code. */
int fp_bench_kernels_main(int argc, char **argv);

#endif
