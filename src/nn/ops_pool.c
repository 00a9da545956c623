/* MaxPool / AvgPool over NHWC. Padding follows TensorFlow: padded cells are
 * ignored by max and excluded from the average's divisor. The channel loop
 * is innermost so it vectorises. */
#include <float.h>
#include <string.h>

#include "nn/ops.h"

static fp_status pool_geometry(const nn_graph *g, const nn_node *n, int64_t *oh, int64_t *ow, int *pt, int *pl,
                               fp_error *err)
{
    const nn_shape *x = nn_in_shape(g, n, 0);
    const nn_attrs *a = &n->attrs;
    if (x->rank != 4)
        return nn_op_fail(n, err, FP_ERR_SHAPE, "pooling expects NHWC input");
    if (nn_conv_out_size(x->dim[1], a->ksize[0], a->stride[0], 1, a->pad_mode, a->pad[0], a->pad[1], oh, pt) !=
            FP_OK ||
        nn_conv_out_size(x->dim[2], a->ksize[1], a->stride[1], 1, a->pad_mode, a->pad[2], a->pad[3], ow, pl) !=
            FP_OK)
        return nn_op_fail(n, err, FP_ERR_SHAPE, "window larger than the input");
    return FP_OK;
}

static fp_status pool_infer(nn_graph *g, nn_node *n, fp_error *err)
{
    int64_t oh, ow;
    int pt, pl;
    fp_status st = pool_geometry(g, n, &oh, &ow, &pt, &pl, err);
    if (st != FP_OK)
        return st;
    const nn_shape *x = nn_in_shape(g, n, 0);
    int64_t dims[4] = {x->dim[0], oh, ow, x->dim[3]};
    *nn_out_shape(g, n) = nn_shape_make(4, dims);
    return FP_OK;
}

typedef struct {
    const nn_node *node;
    const float *in;
    float *out;
    int64_t ih, iw, c, oh, ow;
    int pt, pl;
} pool_job;

static void pool_row(void *ctx, int64_t task, int thread)
{
    const pool_job *j = ctx;
    const nn_attrs *a = &j->node->attrs;
    int64_t b = task / j->oh, oy = task % j->oh;
    int is_max = j->node->op == NN_OP_MAXPOOL;
    int64_t y0 = oy * a->stride[0] - j->pt;
    for (int64_t ox = 0; ox < j->ow; ox++) {
        int64_t x0 = ox * a->stride[1] - j->pl;
        float *restrict dst = j->out + ((b * j->oh + oy) * j->ow + ox) * j->c;
        for (int64_t c = 0; c < j->c; c++)
            dst[c] = is_max ? -FLT_MAX : 0.0f;
        int count = 0;
        for (int ky = 0; ky < a->ksize[0]; ky++) {
            int64_t y = y0 + ky;
            if (y < 0 || y >= j->ih)
                continue;
            for (int kx = 0; kx < a->ksize[1]; kx++) {
                int64_t x = x0 + kx;
                if (x < 0 || x >= j->iw)
                    continue;
                const float *restrict src = j->in + ((b * j->ih + y) * j->iw + x) * j->c;
                count++;
                if (is_max)
                    for (int64_t c = 0; c < j->c; c++)
                        dst[c] = src[c] > dst[c] ? src[c] : dst[c];
                else
                    for (int64_t c = 0; c < j->c; c++)
                        dst[c] += src[c];
            }
        }
        if (!is_max && count > 0) {
            float inv = 1.0f / (float)count;
            for (int64_t c = 0; c < j->c; c++)
                dst[c] *= inv;
        }
        if (a->act == NN_ACT_RELU)
            for (int64_t c = 0; c < j->c; c++)
                dst[c] = dst[c] > 0 ? dst[c] : 0;
        else if (a->act == NN_ACT_RELU6)
            for (int64_t c = 0; c < j->c; c++)
                dst[c] = dst[c] < 0 ? 0 : (dst[c] > 6 ? 6 : dst[c]);
    }
}

static void pool_run(const nn_exec_ctx *ctx, const nn_graph *g, const nn_node *n)
{
    const nn_shape *x = nn_in_shape(g, n, 0);
    const nn_shape *o = &g->values[n->output].shape;
    pool_job j = {n, ctx->ptrs[n->inputs[0]], ctx->ptrs[n->output], x->dim[1], x->dim[2], x->dim[3],
                  o->dim[1], o->dim[2], 0, 0};
    int64_t oh, ow;
    pool_geometry(g, n, &oh, &ow, &j.pt, &j.pl, NULL);
    nn_threadpool_parallel_for(ctx->tp, x->dim[0] * j.oh, pool_row, &j);
}

void nn_ops_register_pool(nn_op_impl *t)
{
    t[NN_OP_MAXPOOL] = (nn_op_impl){pool_infer, NULL, NULL, pool_run, 0};
    t[NN_OP_AVGPOOL] = (nn_op_impl){pool_infer, NULL, NULL, pool_run, 0};
}
