/* Internal layout of the public model/session handles (include/faceprint/nn.h). */
#ifndef FP_NN_MODEL_H
#define FP_NN_MODEL_H

#include "faceprint/nn.h"
#include "nn/graph.h"
#include "nn/kernels/kernels.h"

struct fp_nn_model {
    nn_graph *graph;  /* compiled, read-only after load */
    double flops;
};

struct fp_threadpool {
    nn_threadpool *pool;
};

/* Loaders: build (but do not compile) a graph from files on disk. */
fp_status nn_load_tfjs_graph(const char *model_json_path, const fp_nn_options *options, nn_graph **out,
                             fp_error *err);
fp_status nn_load_faceapi(const char *manifest_path, const fp_nn_options *options, nn_graph **out,
                          fp_error *err);

/* Applies options->input_shapes to the graph inputs (unknown dims -> 1). */
fp_status nn_apply_input_shapes(nn_graph *g, const fp_nn_options *options, fp_error *err);

#endif
