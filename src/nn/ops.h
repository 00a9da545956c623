/* Per-op behaviour: shape inference, kernel preparation, execution. The
 * compiler (plan.c) and executor (exec.c) only go through this table. */
#ifndef FP_NN_OPS_H
#define FP_NN_OPS_H

#include "nn/graph.h"
#include "nn/kernels/kernels.h"

/* Everything a kernel sees while running: one pointer per graph value
 * (consts, arena slots and aliases already resolved), scratch, threads. */
typedef struct nn_exec_ctx {
    float *const *ptrs;
    void *scratch;
    nn_threadpool *tp;
} nn_exec_ctx;

typedef fp_status (*nn_infer_fn)(nn_graph *g, nn_node *n, fp_error *err);
typedef fp_status (*nn_prepare_fn)(nn_graph *g, nn_node *n, fp_error *err);
typedef size_t (*nn_scratch_fn)(const nn_graph *g, const nn_node *n, int n_threads);
typedef void (*nn_run_fn)(const nn_exec_ctx *ctx, const nn_graph *g, const nn_node *n);

typedef struct nn_op_impl {
    nn_infer_fn infer;
    nn_prepare_fn prepare;   /* optional: pack weights after fusion */
    nn_scratch_fn scratch;   /* optional */
    nn_run_fn run;
    int alias;               /* output shares the first input's storage (reshape, identity) */
} nn_op_impl;

const nn_op_impl *nn_op_impl_get(nn_op op);

/* Implementations grouped by file; each returns its part of the table. */
void nn_ops_register_conv(nn_op_impl *table);
void nn_ops_register_elementwise(nn_op_impl *table);
void nn_ops_register_reduce(nn_op_impl *table);
void nn_ops_register_pool(nn_op_impl *table);
void nn_ops_register_shape(nn_op_impl *table);
void nn_ops_register_dwpw(nn_op_impl *table);

/* Shared helpers for the op files. */
static inline const nn_shape *nn_in_shape(const nn_graph *g, const nn_node *n, int i)
{
    return &g->values[n->inputs[i]].shape;
}
static inline nn_shape *nn_out_shape(nn_graph *g, const nn_node *n)
{
    return &g->values[n->output].shape;
}
fp_status nn_op_fail(const nn_node *n, fp_error *err, fp_status st, const char *what);
/* SAME/VALID/EXPLICIT output size and leading padding along one axis. */
fp_status nn_conv_out_size(int64_t in, int k, int stride, int dilation, nn_pad_mode mode, int pad_lo, int pad_hi,
                           int64_t *out, int *pad_before);
/* Conv geometry of node n: input 0 with the HWIO (or depthwise) filter in
 * input slot filter_slot and n's stride/dilation/padding attributes. */
fp_status nn_conv_geometry(const nn_graph *g, const nn_node *n, int filter_slot, int depthwise, nn_conv_desc *d,
                           int64_t out_dims[4], fp_error *err);
/* The conv/matmul epilogue operands ([x, w, bias?, prelu?, residual?]):
 * shape checks at compile time, pointers at run time. */
/* Operand count of [x, w, bias?, prelu?, residual?]: where NN_OP_DWPW's
 * depthwise operands start. */
static inline int nn_epilogue_end(const nn_attrs *a)
{
    return 2 + (a->has_bias != 0) + (a->has_prelu != 0) + (a->fused_add_input >= 0);
}
fp_status nn_check_epilogue_inputs(const nn_graph *g, const nn_node *n, int64_t cout, fp_error *err);
void nn_fill_epilogue(const nn_exec_ctx *ctx, const nn_node *n, nn_epilogue *ep);
/* Applies an activation in place (used where no fused kernel exists). */
void nn_apply_act(float *x, int64_t n, int64_t channels, nn_act act, const float *prelu, float leaky);

#endif
