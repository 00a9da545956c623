/* `faceprint bench nn`: per-model latency, GFLOP/s, and the TF.js ratio. */
#ifndef FP_BENCH_NN_H
#define FP_BENCH_NN_H

/* argv[0] is "nn". Output contract (stable, used by our checks): with --json,
 * one object per model per line with keys model, threads, ms (median),
 * gflops, and with --vs-tfjs also tfjs_ms and ratio (tfjs_ms / ms). */
int fp_bench_nn_main(int argc, char **argv, const char *models_dir, const char *shared_dir);

#endif
