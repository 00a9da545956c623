/* `faceprint bench pipeline`: end-to-end face pipeline latency on one image
 * (decode + detect + align + descriptor), optionally next to the TF.js
 * peer pipelines (face-api full, Human stages) timed in the same run. */
#ifndef FP_BENCH_PIPELINE_H
#define FP_BENCH_PIPELINE_H

/* argv[0] is "pipeline". Options: --json --threads N --runs N --image PATH
 * --vs-tfjs --detect single|multi. Output contract: with --json one object
 * per stage per line, keys stage, threads, ms (median), p10, p90, and with
 * --vs-tfjs a last line {"stage":"tfjs", ...} holding the peer medians and
 * the ratios peer_ms / our full-pipeline ms. */
int fp_bench_pipeline_main(int argc, char **argv, const char *models_dir, const char *shared_dir);

#endif
