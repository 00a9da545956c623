/* Turning a freshly built graph into an executable plan. */
#ifndef FP_NN_COMPILE_H
#define FP_NN_COMPILE_H

#include "nn/graph.h"

/* Orders, shape-checks, folds constants, fuses epilogues, prepares kernels
 * and plans activation memory. After success the graph is read-only. */
fp_status nn_graph_compile(nn_graph *g, fp_error *err);

/* Passes (each usable on its own by tests). */
fp_status nn_graph_order(nn_graph *g, fp_error *err);        /* topological order of live nodes + consumer counts */
fp_status nn_graph_infer_shapes(nn_graph *g, fp_error *err);
fp_status nn_graph_fold_constants(nn_graph *g, fp_error *err);
fp_status nn_graph_fuse(nn_graph *g, fp_error *err);
fp_status nn_graph_fuse_dwpw(nn_graph *g, fp_error *err);  /* after nn_graph_fuse + order */
fp_status nn_graph_plan_memory(nn_graph *g, fp_error *err);

/* FLOPs of one run (2 x multiply-adds of conv/matmul). */
double nn_graph_flops(const nn_graph *g);

#endif
