/* Reductions (Sum, Mean, Max over axes) and Softmax. */
#include <float.h>
#include <math.h>
#include <string.h>

#include "nn/ops.h"

static int normalise_axis(int axis, int rank)
{
    return axis < 0 ? axis + rank : axis;
}

static fp_status reduce_infer(nn_graph *g, nn_node *n, fp_error *err)
{
    const nn_shape *x = nn_in_shape(g, n, 0);
    int reduced[NN_MAX_RANK] = {0};
    for (int i = 0; i < n->attrs.n_axes; i++) {
        int ax = normalise_axis(n->attrs.axes[i], x->rank);
        if (ax < 0 || ax >= x->rank)
            return nn_op_fail(n, err, FP_ERR_SHAPE, "reduction axis out of range");
        n->attrs.axes[i] = ax;
        reduced[ax] = 1;
    }
    nn_shape out;
    memset(&out, 0, sizeof out);
    for (int i = 0; i < x->rank; i++) {
        if (!reduced[i])
            out.dim[out.rank++] = x->dim[i];
        else if (n->attrs.keep_dims)
            out.dim[out.rank++] = 1;
    }
    *nn_out_shape(g, n) = out;
    return FP_OK;
}

static void reduce_run(const nn_exec_ctx *ctx, const nn_graph *g, const nn_node *n)
{
    const nn_shape *x = nn_in_shape(g, n, 0);
    const float *in = ctx->ptrs[n->inputs[0]];
    float *out = ctx->ptrs[n->output];
    int reduced[NN_MAX_RANK] = {0};
    for (int i = 0; i < n->attrs.n_axes; i++)
        reduced[n->attrs.axes[i]] = 1;
    /* output strides expressed on the input's axes (0 on reduced axes) */
    int64_t ostride[NN_MAX_RANK], acc = 1, count = 1;
    for (int i = x->rank - 1; i >= 0; i--) {
        if (reduced[i]) {
            ostride[i] = 0;
            count *= x->dim[i];
        } else {
            ostride[i] = acc;
            acc *= x->dim[i];
        }
    }
    int64_t n_out = acc, n_in = nn_shape_numel(x);
    double *sum = ctx->scratch; /* sized by reduce_scratch */
    int is_max = n->op == NN_OP_MAX_REDUCE;
    for (int64_t i = 0; i < n_out; i++)
        sum[i] = is_max ? -DBL_MAX : 0.0;
    int64_t idx[NN_MAX_RANK] = {0};
    for (int64_t e = 0; e < n_in; e++) {
        int64_t o = 0;
        for (int i = 0; i < x->rank; i++)
            o += idx[i] * ostride[i];
        if (is_max)
            sum[o] = in[e] > sum[o] ? in[e] : sum[o];
        else
            sum[o] += in[e];
        for (int i = x->rank - 1; i >= 0; i--) {
            if (++idx[i] < x->dim[i])
                break;
            idx[i] = 0;
        }
    }
    for (int64_t i = 0; i < n_out; i++)
        out[i] = (float)(n->op == NN_OP_MEAN ? sum[i] / (double)(count ? count : 1) : sum[i]);
}

static size_t reduce_scratch(const nn_graph *g, const nn_node *n, int n_threads)
{
    return (size_t)nn_shape_numel(&g->values[n->output].shape) * sizeof(double);
}

static fp_status softmax_infer(nn_graph *g, nn_node *n, fp_error *err)
{
    const nn_shape *x = nn_in_shape(g, n, 0);
    int ax = normalise_axis(n->attrs.axis, x->rank);
    if (ax != x->rank - 1)
        return nn_op_fail(n, err, FP_ERR_UNSUPPORTED, "softmax only over the last axis");
    *nn_out_shape(g, n) = *x;
    return FP_OK;
}

static void softmax_run(const nn_exec_ctx *ctx, const nn_graph *g, const nn_node *n)
{
    const nn_shape *x = nn_in_shape(g, n, 0);
    int64_t inner = x->dim[x->rank - 1], outer = inner ? nn_shape_numel(x) / inner : 0;
    const float *in = ctx->ptrs[n->inputs[0]];
    float *out = ctx->ptrs[n->output];
    for (int64_t r = 0; r < outer; r++) {
        const float *row = in + r * inner;
        float *dst = out + r * inner;
        float mx = row[0];
        for (int64_t i = 1; i < inner; i++)
            mx = row[i] > mx ? row[i] : mx;
        float total = 0;
        for (int64_t i = 0; i < inner; i++) {
            dst[i] = expf(row[i] - mx);
            total += dst[i];
        }
        for (int64_t i = 0; i < inner; i++)
            dst[i] /= total;
    }
}

void nn_ops_register_reduce(nn_op_impl *t)
{
    t[NN_OP_SUM] = (nn_op_impl){reduce_infer, NULL, reduce_scratch, reduce_run, 0};
    t[NN_OP_MEAN] = (nn_op_impl){reduce_infer, NULL, reduce_scratch, reduce_run, 0};
    t[NN_OP_MAX_REDUCE] = (nn_op_impl){reduce_infer, NULL, reduce_scratch, reduce_run, 0};
    t[NN_OP_SOFTMAX] = (nn_op_impl){softmax_infer, NULL, NULL, softmax_run, 0};
}
