/* Conv2D, depthwise Conv2D and MatMul nodes: shape rules plus the glue to the
 * packed kernels in kernels/ (weights are packed once, at compile time). */
#include <stdio.h>
#include <string.h>

#include "nn/ops.h"

fp_status nn_conv_geometry(const nn_graph *g, const nn_node *n, int filter_slot, int depthwise, nn_conv_desc *d,
                           int64_t out_dims[4], fp_error *err)
{
    const nn_shape *x = nn_in_shape(g, n, 0), *f = nn_in_shape(g, n, filter_slot);
    const nn_attrs *a = &n->attrs;
    if (x->rank != 4 || f->rank != 4)
        return nn_op_fail(n, err, FP_ERR_SHAPE, "input and filter must be 4-D (NHWC / HWIO)");
    if (f->dim[2] != x->dim[3])
        return nn_op_fail(n, err, FP_ERR_SHAPE, "filter input channels do not match the input");
    if (!g->values[n->inputs[filter_slot]].is_const)
        return nn_op_fail(n, err, FP_ERR_UNSUPPORTED, "filter must be a constant");
    int64_t oh, ow;
    int pt, pl;
    fp_status st = nn_conv_out_size(x->dim[1], (int)f->dim[0], a->stride[0], a->dilation[0], a->pad_mode,
                                    a->pad[0], a->pad[1], &oh, &pt);
    if (st == FP_OK)
        st = nn_conv_out_size(x->dim[2], (int)f->dim[1], a->stride[1], a->dilation[1], a->pad_mode, a->pad[2],
                              a->pad[3], &ow, &pl);
    if (st != FP_OK)
        return nn_op_fail(n, err, st, "kernel larger than the padded input");
    int64_t cout = depthwise ? f->dim[2] * f->dim[3] : f->dim[3];
    memset(d, 0, sizeof *d);
    d->n = (int)x->dim[0];
    d->ih = (int)x->dim[1];
    d->iw = (int)x->dim[2];
    d->cin = (int)x->dim[3];
    d->oh = (int)oh;
    d->ow = (int)ow;
    d->cout = (int)cout;
    d->kh = (int)f->dim[0];
    d->kw = (int)f->dim[1];
    d->sh = a->stride[0];
    d->sw = a->stride[1];
    d->dh = a->dilation[0];
    d->dw = a->dilation[1];
    d->pad_top = pt;
    d->pad_left = pl;
    out_dims[0] = x->dim[0];
    out_dims[1] = oh;
    out_dims[2] = ow;
    out_dims[3] = cout;
    return FP_OK;
}

static fp_status conv_desc(const nn_graph *g, const nn_node *n, nn_conv_desc *d, int64_t out_dims[4],
                           fp_error *err)
{
    return nn_conv_geometry(g, n, 1, n->op == NN_OP_DWCONV2D, d, out_dims, err);
}

/* Bias / prelu operands must be constant vectors of the output channel count. */
fp_status nn_check_epilogue_inputs(const nn_graph *g, const nn_node *n, int64_t cout, fp_error *err)
{
    int idx = 2;
    if (n->attrs.has_bias) {
        const nn_value *b = &g->values[n->inputs[idx++]];
        if (nn_shape_numel(&b->shape) != cout)
            return nn_op_fail(n, err, FP_ERR_SHAPE, "bias length does not match output channels");
    }
    if (n->attrs.has_prelu) {
        const nn_value *p = &g->values[n->inputs[idx++]];
        if (nn_shape_numel(&p->shape) != cout)
            return nn_op_fail(n, err, FP_ERR_SHAPE, "prelu alpha length does not match output channels");
    }
    if (n->attrs.fused_add_input >= 0) {
        const nn_value *r = &g->values[n->inputs[n->attrs.fused_add_input]];
        if (nn_shape_numel(&r->shape) != nn_shape_numel(&g->values[n->output].shape))
            return nn_op_fail(n, err, FP_ERR_SHAPE, "fused residual has the wrong size");
    }
    return FP_OK;
}

static fp_status conv_infer(nn_graph *g, nn_node *n, fp_error *err)
{
    nn_conv_desc d;
    int64_t dims[4];
    fp_status st = conv_desc(g, n, &d, dims, err);
    if (st != FP_OK)
        return st;
    *nn_out_shape(g, n) = nn_shape_make(4, dims);
    return nn_check_epilogue_inputs(g, n, dims[3], err);
}

static fp_status conv_prepare(nn_graph *g, nn_node *n, fp_error *err)
{
    nn_conv_desc d;
    int64_t dims[4];
    fp_status st = conv_desc(g, n, &d, dims, err);
    if (st != FP_OK)
        return st;
    const float *filter = g->values[n->inputs[1]].data;
    if (n->op == NN_OP_CONV2D) {
        nn_conv_prepared *p;
        st = nn_conv2d_prepare(&d, filter, &p);
        n->prepared = p;
        n->prepared_free = (void (*)(void *))nn_conv2d_prepared_free;
    } else {
        nn_dwconv_prepared *p;
        st = nn_dwconv2d_prepare(&d, filter, &p);
        n->prepared = p;
        n->prepared_free = (void (*)(void *))nn_dwconv2d_prepared_free;
    }
    return st == FP_OK ? FP_OK : nn_op_fail(n, err, st, "cannot prepare kernel");
}

static size_t conv_scratch(const nn_graph *g, const nn_node *n, int n_threads)
{
    if (n->op == NN_OP_CONV2D)
        return nn_conv2d_scratch_bytes(n->prepared, n_threads);
    return nn_dwconv2d_scratch_bytes(n->prepared, n_threads);
}

void nn_fill_epilogue(const nn_exec_ctx *ctx, const nn_node *n, nn_epilogue *ep)
{
    int idx = 2;
    memset(ep, 0, sizeof *ep);
    ep->act = n->attrs.act;
    ep->leaky_alpha = n->attrs.act_alpha;
    if (n->attrs.has_bias)
        ep->bias = ctx->ptrs[n->inputs[idx++]];
    if (n->attrs.has_prelu)
        ep->prelu_alpha = ctx->ptrs[n->inputs[idx++]];
    if (n->attrs.fused_add_input >= 0)
        ep->residual = ctx->ptrs[n->inputs[n->attrs.fused_add_input]];
}

static void conv_run(const nn_exec_ctx *ctx, const nn_graph *g, const nn_node *n)
{
    nn_epilogue ep;
    nn_fill_epilogue(ctx, n, &ep);
    const float *in = ctx->ptrs[n->inputs[0]];
    float *out = ctx->ptrs[n->output];
    if (n->op == NN_OP_CONV2D)
        nn_conv2d_run(n->prepared, in, out, &ep, ctx->scratch, ctx->tp);
    else
        nn_dwconv2d_run(n->prepared, in, out, &ep, ctx->scratch, ctx->tp);
}

/* MatMul: a [.., k] x b [k, n]; leading dims of a flattened into m. */
static fp_status matmul_dims(const nn_graph *g, const nn_node *n, int64_t *m, int64_t *k, int64_t *nn,
                             fp_error *err)
{
    const nn_shape *a = nn_in_shape(g, n, 0), *b = nn_in_shape(g, n, 1);
    if (a->rank < 1 || b->rank != 2)
        return nn_op_fail(n, err, FP_ERR_SHAPE, "expects a [.., k] x [k, n]");
    if (n->attrs.transpose_a)
        return nn_op_fail(n, err, FP_ERR_UNSUPPORTED, "transpose_a is not supported");
    if (!g->values[n->inputs[1]].is_const)
        return nn_op_fail(n, err, FP_ERR_UNSUPPORTED, "the right operand must be a constant");
    *k = a->dim[a->rank - 1];
    *m = nn_shape_numel(a) / (*k ? *k : 1);
    int64_t bk = n->attrs.transpose_b ? b->dim[1] : b->dim[0];
    *nn = n->attrs.transpose_b ? b->dim[0] : b->dim[1];
    if (bk != *k)
        return nn_op_fail(n, err, FP_ERR_SHAPE, "inner dimensions differ");
    return FP_OK;
}

static fp_status matmul_infer(nn_graph *g, nn_node *n, fp_error *err)
{
    int64_t m = 0, k = 0, nn = 0;
    fp_status st = matmul_dims(g, n, &m, &k, &nn, err);
    if (st != FP_OK)
        return st;
    nn_shape out = *nn_in_shape(g, n, 0);
    out.dim[out.rank - 1] = nn;
    *nn_out_shape(g, n) = out;
    return nn_check_epilogue_inputs(g, n, nn, err);
}

static fp_status matmul_prepare(nn_graph *g, nn_node *n, fp_error *err)
{
    int64_t m = 0, k = 0, nn = 0;
    fp_status st = matmul_dims(g, n, &m, &k, &nn, err);
    if (st != FP_OK)
        return st;
    nn_matmul_prepared *p;
    st = nn_matmul_prepare((int)k, (int)nn, g->values[n->inputs[1]].data, n->attrs.transpose_b, &p);
    if (st != FP_OK)
        return nn_op_fail(n, err, st, "cannot prepare kernel");
    n->prepared = p;
    n->prepared_free = (void (*)(void *))nn_matmul_prepared_free;
    return FP_OK;
}

static int64_t matmul_m(const nn_graph *g, const nn_node *n)
{
    const nn_shape *a = nn_in_shape(g, n, 0);
    int64_t k = a->dim[a->rank - 1];
    return nn_shape_numel(a) / (k ? k : 1);
}

static size_t matmul_scratch(const nn_graph *g, const nn_node *n, int n_threads)
{
    return nn_matmul_scratch_bytes(n->prepared, (int)matmul_m(g, n), n_threads);
}

static void matmul_run(const nn_exec_ctx *ctx, const nn_graph *g, const nn_node *n)
{
    nn_epilogue ep;
    nn_fill_epilogue(ctx, n, &ep);
    nn_matmul_run(n->prepared, (int)matmul_m(g, n), ctx->ptrs[n->inputs[0]], ctx->ptrs[n->output], &ep,
                  ctx->scratch, ctx->tp);
}

void nn_ops_register_conv(nn_op_impl *t)
{
    t[NN_OP_CONV2D] = (nn_op_impl){conv_infer, conv_prepare, conv_scratch, conv_run, 0};
    t[NN_OP_DWCONV2D] = (nn_op_impl){conv_infer, conv_prepare, conv_scratch, conv_run, 0};
    t[NN_OP_MATMUL] = (nn_op_impl){matmul_infer, matmul_prepare, matmul_scratch, matmul_run, 0};
}
