/* faceprint neural-network runtime: loads the packaged face models (TF.js
 * graph models and face-api weight manifests), compiles them into a static
 * execution plan and runs them on the CPU.
 *
 * Lifetimes (libuv style): the caller creates and frees every handle. A
 * model is immutable after load and may be shared by many sessions; a
 * session owns the activation arena and is used by one thread at a time. */
#ifndef FACEPRINT_NN_H
#define FACEPRINT_NN_H

#include <stddef.h>
#include <stdint.h>
#include "faceprint/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FP_MAX_RANK 6

typedef struct fp_shape {
    int rank;
    int64_t dim[FP_MAX_RANK];
} fp_shape;

typedef struct fp_threadpool fp_threadpool;
typedef struct fp_nn_model fp_nn_model;
typedef struct fp_nn_session fp_nn_session;

/* n_threads counts the calling thread (1 = run on the caller only). */
fp_status fp_threadpool_new(int n_threads, fp_threadpool **out);
void fp_threadpool_free(fp_threadpool *tp);

typedef struct fp_nn_options {
    /* Override input shapes (e.g. a batch of 2, or the tiny detector at 416x416).
     * Inputs with unknown (-1) dimensions that are not overridden get 1. */
    int n_input_shapes;
    const char *const *input_names;
    const fp_shape *input_shapes;
    /* face-api architecture when it cannot be inferred from the file name
     * ("face_recognition", "ssd_mobilenetv1", "tiny_face_detector",
     * "face_landmark_68", "face_landmark_68_tiny", "age_gender"). */
    const char *arch;
} fp_nn_options;

/* path: a TF.js graph model ("model.json" with weight shards beside it) or a
 * face-api weights manifest ("*-weights_manifest.json"). Unsupported ops and
 * corrupt or truncated files fail here with a message naming the culprit. */
fp_status fp_nn_model_load(const char *path, const fp_nn_options *options, fp_nn_model **out,
                           fp_error *err);
void fp_nn_model_free(fp_nn_model *model);

int fp_nn_model_num_inputs(const fp_nn_model *model);
int fp_nn_model_num_outputs(const fp_nn_model *model);
fp_status fp_nn_model_input(const fp_nn_model *model, int index, const char **name, fp_shape *shape);
fp_status fp_nn_model_output(const fp_nn_model *model, int index, const char **name, fp_shape *shape);
/* Planned activation memory of one session, and what it would be without buffer reuse. */
int64_t fp_nn_model_peak_bytes(const fp_nn_model *model);
int64_t fp_nn_model_unplanned_bytes(const fp_nn_model *model);
/* Multiply-adds x 2 of one run (convolutions and matrix products). */
double fp_nn_model_flops(const fp_nn_model *model);

/* tp may be NULL (single-threaded) and must outlive the session. */
fp_status fp_nn_session_new(const fp_nn_model *model, fp_threadpool *tp, fp_nn_session **out);
void fp_nn_session_free(fp_nn_session *session);
/* inputs[i] holds fp_nn_model_input(i)'s shape; outputs[i] receives output i
 * (caller-owned buffers, sized by fp_nn_model_output). */
fp_status fp_nn_session_run(fp_nn_session *session, const float *const *inputs, float *const *outputs);

#ifdef __cplusplus
}
#endif
#endif
