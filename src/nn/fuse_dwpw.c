/* Depthwise -> pointwise fusion (after epilogue fusion, so both convs
 * already carry their bias / residual / activation): a DepthwiseConv2D
 * whose only reader is a 1x1 stride-1 Conv2D becomes part of that conv, an
 * NN_OP_DWPW node that never materialises the depthwise output (see
 * kernels/dwpw.c for why that pays). The depthwise output value loses its
 * producer and readers, so the memory plan no longer allocates it. */
#include <string.h>

#include "nn/compile.h"
#include "nn/ops.h"

static int is_pointwise(const nn_graph *g, const nn_node *n)
{
    if (n->dead || n->op != NN_OP_CONV2D || n->n_inputs != nn_epilogue_end(&n->attrs))
        return 0;
    const nn_shape *f = &g->values[n->inputs[1]].shape;
    const nn_attrs *a = &n->attrs;
    int unpadded = a->pad_mode != NN_PAD_EXPLICIT || (a->pad[0] | a->pad[1] | a->pad[2] | a->pad[3]) == 0;
    return f->rank == 4 && f->dim[0] == 1 && f->dim[1] == 1 && a->stride[0] == 1 && a->stride[1] == 1 && unpadded;
}

/* The depthwise conv that only feeds pw, or NULL. */
static nn_node *fusable_dw(nn_graph *g, const nn_node *pw)
{
    const nn_value *mid = &g->values[pw->inputs[0]];
    if (mid->producer < 0 || mid->is_output || mid->n_consumers != 1)
        return NULL;
    nn_node *dw = &g->nodes[mid->producer];
    if (dw->dead || dw->op != NN_OP_DWCONV2D || dw->attrs.fused_add_input >= 0 ||
        dw->n_inputs != nn_epilogue_end(&dw->attrs))
        return NULL;
    const nn_shape *f = &g->values[dw->inputs[1]].shape;
    if (f->rank != 4 || f->dim[3] != 1)
        return NULL;
    return dw;
}

static void fuse_pair(nn_graph *g, nn_node *dw, nn_node *pw)
{
    const nn_attrs *da = &dw->attrs;
    int mid = pw->inputs[0];
    pw->op = NN_OP_DWPW;
    pw->inputs[0] = dw->inputs[0];
    pw->inputs[pw->n_inputs++] = dw->inputs[1];
    for (int k = 2; k < dw->n_inputs; k++)
        pw->inputs[pw->n_inputs++] = dw->inputs[k];
    memcpy(pw->attrs.stride, da->stride, sizeof da->stride);
    memcpy(pw->attrs.dilation, da->dilation, sizeof da->dilation);
    memcpy(pw->attrs.pad, da->pad, sizeof da->pad);
    pw->attrs.pad_mode = da->pad_mode;
    pw->attrs.dw_act = da->act;
    pw->attrs.dw_act_alpha = da->act_alpha;
    pw->attrs.dw_has_bias = da->has_bias;
    pw->attrs.dw_has_prelu = da->has_prelu;
    dw->dead = 1;
    g->values[mid].producer = -1;
    g->values[mid].n_consumers = 0;
}

fp_status nn_graph_fuse_dwpw(nn_graph *g, fp_error *err)
{
    for (int i = 0; i < g->n_order; i++) {
        nn_node *pw = &g->nodes[g->order[i]];
        if (!is_pointwise(g, pw))
            continue;
        nn_node *dw = fusable_dw(g, pw);
        /* the depthwise operands must fit next to the pointwise ones */
        if (dw && pw->n_inputs + dw->n_inputs - 1 <= NN_MAX_INPUTS)
            fuse_pair(g, dw, pw);
    }
    return FP_OK;
}
