/* The fused depthwise -> pointwise node built by fuse_dwpw.c. Inputs:
 *   [x, pw_filter, pw_bias?, pw_prelu?, residual?, dw_filter, dw_bias?, dw_prelu?]
 * so slots 1.. follow the usual conv epilogue layout (shared helpers apply)
 * and the depthwise operands come after. Geometry attributes are the
 * depthwise conv's; the pointwise conv is 1x1, stride 1, unpadded. */
#include <string.h>

#include "nn/ops.h"

static int dw_slot(const nn_node *n)
{
    return nn_epilogue_end(&n->attrs);
}

static fp_status dwpw_desc(const nn_graph *g, const nn_node *n, nn_conv_desc *d, int64_t dims[4], fp_error *err)
{
    int slot = dw_slot(n);
    int need = slot + 1 + (n->attrs.dw_has_bias != 0) + (n->attrs.dw_has_prelu != 0);
    if (n->n_inputs != need)
        return nn_op_fail(n, err, FP_ERR_FORMAT, "wrong operand count");
    fp_status st = nn_conv_geometry(g, n, slot, 1, d, dims, err);
    if (st != FP_OK)
        return st;
    const nn_shape *f = nn_in_shape(g, n, slot), *w = nn_in_shape(g, n, 1);
    if (f->dim[3] != 1)
        return nn_op_fail(n, err, FP_ERR_UNSUPPORTED, "depthwise multiplier must be 1");
    if (w->rank != 4 || w->dim[0] != 1 || w->dim[1] != 1 || w->dim[2] != d->cin || !g->values[n->inputs[1]].is_const)
        return nn_op_fail(n, err, FP_ERR_SHAPE, "pointwise filter must be a constant [1, 1, cin, cout]");
    for (int k = slot + 1; k < n->n_inputs; k++)
        if (nn_shape_numel(nn_in_shape(g, n, k)) != d->cin)
            return nn_op_fail(n, err, FP_ERR_SHAPE, "depthwise bias/alpha length does not match channels");
    dims[3] = w->dim[3];
    return FP_OK;
}

static fp_status dwpw_infer(nn_graph *g, nn_node *n, fp_error *err)
{
    nn_conv_desc d;
    int64_t dims[4];
    fp_status st = dwpw_desc(g, n, &d, dims, err);
    if (st != FP_OK)
        return st;
    *nn_out_shape(g, n) = nn_shape_make(4, dims);
    return nn_check_epilogue_inputs(g, n, dims[3], err);
}

static fp_status dwpw_prepare(nn_graph *g, nn_node *n, fp_error *err)
{
    nn_conv_desc d;
    int64_t dims[4];
    fp_status st = dwpw_desc(g, n, &d, dims, err);
    if (st != FP_OK)
        return st;
    nn_dwpw_prepared *p;
    st = nn_dwpw_prepare(&d, g->values[n->inputs[dw_slot(n)]].data, (int)dims[3], g->values[n->inputs[1]].data, &p);
    if (st != FP_OK)
        return nn_op_fail(n, err, st, "cannot prepare kernel");
    n->prepared = p;
    n->prepared_free = (void (*)(void *))nn_dwpw_prepared_free;
    return FP_OK;
}

static size_t dwpw_scratch(const nn_graph *g, const nn_node *n, int n_threads)
{
    return nn_dwpw_scratch_bytes(n->prepared, n_threads);
}

static void dwpw_run(const nn_exec_ctx *ctx, const nn_graph *g, const nn_node *n)
{
    nn_epilogue pw, dw;
    nn_fill_epilogue(ctx, n, &pw);
    memset(&dw, 0, sizeof dw);
    int k = dw_slot(n) + 1;
    dw.act = n->attrs.dw_act;
    dw.leaky_alpha = n->attrs.dw_act_alpha;
    if (n->attrs.dw_has_bias)
        dw.bias = ctx->ptrs[n->inputs[k++]];
    if (n->attrs.dw_has_prelu)
        dw.prelu_alpha = ctx->ptrs[n->inputs[k++]];
    nn_dwpw_run(n->prepared, ctx->ptrs[n->inputs[0]], ctx->ptrs[n->output], &dw, &pw, ctx->scratch, ctx->tp);
}

void nn_ops_register_dwpw(nn_op_impl *t)
{
    t[NN_OP_DWPW] = (nn_op_impl){dwpw_infer, dwpw_prepare, dwpw_scratch, dwpw_run, 0};
}
