#include "faceapi_common.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int fa_fail(fa_ctx *c, int st, const char *fmt, ...)
{
    if (c->err->status != FP_OK)
        return c->err->status;
    char msg[sizeof c->err->message];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fp_error_set(c->err, (fp_status)st, "%s: %s", c->arch, msg);
    return st;
}

static void shape_str(const int64_t *dims, int rank, char *buf, size_t cap)
{
    size_t n = 0;
    buf[0] = 0;
    n += (size_t)snprintf(buf + n, cap - n, "[");
    for (int i = 0; i < rank && n < cap; i++)
        n += (size_t)snprintf(buf + n, cap - n, i ? ",%lld" : "%lld", (long long)dims[i]);
    if (n < cap)
        snprintf(buf + n, cap - n, "]");
}

nn_weight *fa_weight(fa_ctx *c, const char *name, int rank, const int64_t *dims)
{
    nn_weight *wt = nn_weights_find(c->w, name);
    if (!wt) {
        fa_fail(c, FP_ERR_NOT_FOUND, "weight '%s' is missing from the manifest", name);
        return NULL;
    }
    if (wt->is_int || !wt->data) {
        fa_fail(c, FP_ERR_FORMAT, "weight '%s' is %s", name,
                wt->is_int ? "an int32 tensor, expected float32" : "already used");
        return NULL;
    }
    int ok = wt->shape.rank == rank;
    for (int i = 0; ok && i < rank; i++)
        ok = wt->shape.dim[i] == dims[i];
    if (!ok) {
        char got[96], want[96];
        shape_str(wt->shape.dim, wt->shape.rank, got, sizeof got);
        shape_str(dims, rank, want, sizeof want);
        fa_fail(c, FP_ERR_SHAPE, "weight '%s' has shape %s, expected %s", name, got, want);
        return NULL;
    }
    return wt;
}

int fa_take(fa_ctx *c, const char *name, int rank, const int64_t *dims)
{
    if (!fa_weight(c, name, rank, dims))
        return c->err->status;
    int v = nn_weights_take(c->g, c->w, name, rank, dims, c->err);
    if (v < 0)
        return fa_fail(c, v, "cannot take weight '%s'", name);
    return v;
}

int fa_const(fa_ctx *c, const char *name, int rank, const int64_t *dims, float *data)
{
    if (!data)
        return fa_fail(c, FP_ERR_NOMEM, "out of memory for constant '%s'", name);
    nn_shape s = nn_shape_make(rank, dims);
    int v = nn_graph_const(c->g, name, &s, data);
    if (v < 0) {
        free(data);
        return fa_fail(c, v, "cannot add constant '%s' (%s)", name, fp_status_name((fp_status)v));
    }
    return v;
}

int fa_scalar(fa_ctx *c, const char *name, float value)
{
    float *d = malloc(sizeof *d);
    if (d)
        *d = value;
    int64_t one = 1;
    return fa_const(c, name, 1, &one, d);
}

int fa_input(fa_ctx *c, const nn_shape *req, int64_t h, int64_t w, int flags, nn_shape *chosen)
{
    int64_t dims[4] = {1, h, w, 3};
    if (req) {
        if (req->rank != 4 || req->dim[0] < 1 || req->dim[3] != 3)
            return fa_fail(c, FP_ERR_SHAPE, "input must be [N,H,W,3] with N >= 1");
        if ((flags & FA_BATCH1) && req->dim[0] != 1)
            return fa_fail(c, FP_ERR_SHAPE, "input batch must be 1, got %lld", (long long)req->dim[0]);
        int64_t rh = req->dim[1], rw = req->dim[2];
        if (flags & FA_ANY_SQUARE32) {
            if (rh != rw || rh < 32 || rh % 32 != 0 || rh > 4096)
                return fa_fail(c, FP_ERR_SHAPE,
                               "input must be square with a size that is a multiple of 32, got %lldx%lld",
                               (long long)rh, (long long)rw);
        } else if (rh != h || rw != w) {
            return fa_fail(c, FP_ERR_SHAPE, "input must be [N,%lld,%lld,3], got [%lld,%lld,%lld,3]",
                           (long long)h, (long long)w, (long long)req->dim[0], (long long)rh,
                           (long long)rw);
        }
        dims[0] = req->dim[0];
        dims[1] = rh;
        dims[2] = rw;
    }
    nn_shape s = nn_shape_make(4, dims);
    if (chosen)
        *chosen = s;
    int v = nn_graph_input(c->g, "input", &s);
    if (v < 0)
        return fa_fail(c, v, "cannot add the input (%s)", fp_status_name((fp_status)v));
    return v;
}

static int add_node(fa_ctx *c, nn_op op, const char *name, const int *ins, int n, const nn_attrs *a)
{
    for (int i = 0; i < n; i++)
        if (ins[i] < 0)
            return ins[i];
    int v = nn_graph_node(c->g, op, name, ins, n, a);
    if (v < 0)
        return fa_fail(c, v, "cannot add %s node '%s' (%s)", nn_op_name(op), name,
                       fp_status_name((fp_status)v));
    return v;
}

static int conv_like(fa_ctx *c, nn_op op, const char *name, int x, int filter, int bias, int stride,
                     nn_pad_mode pad, nn_act act, float alpha)
{
    nn_attrs a;
    nn_attrs_init(&a);
    a.stride[0] = a.stride[1] = stride;
    a.pad_mode = pad;
    a.act = act;
    a.act_alpha = alpha;
    int ins[3] = {x, filter, bias};
    int n = 2;
    if (bias != -1) { /* -1 = no bias; other negatives are errors passed through */
        a.has_bias = 1;
        n = 3;
    }
    return add_node(c, op, name, ins, n, &a);
}

int fa_conv(fa_ctx *c, const char *name, int x, int filter, int bias, int stride, nn_pad_mode pad,
            nn_act act)
{
    return conv_like(c, NN_OP_CONV2D, name, x, filter, bias, stride, pad, act, 0.0f);
}

int fa_dwconv(fa_ctx *c, const char *name, int x, int filter, int bias, int stride, nn_pad_mode pad,
              nn_act act)
{
    return conv_like(c, NN_OP_DWCONV2D, name, x, filter, bias, stride, pad, act, 0.0f);
}

int fa_conv_leaky(fa_ctx *c, const char *name, int x, int filter, int bias, int stride,
                  nn_pad_mode pad, float alpha)
{
    return conv_like(c, NN_OP_CONV2D, name, x, filter, bias, stride, pad, NN_ACT_LEAKY_RELU, alpha);
}

int fa_binary(fa_ctx *c, nn_op op, const char *name, int a, int b)
{
    nn_attrs at;
    nn_attrs_init(&at);
    int ins[2] = {a, b};
    return add_node(c, op, name, ins, 2, &at);
}

int fa_unary(fa_ctx *c, nn_op op, const char *name, int x)
{
    nn_attrs at;
    nn_attrs_init(&at);
    return add_node(c, op, name, &x, 1, &at);
}

int fa_pool(fa_ctx *c, nn_op op, const char *name, int x, int k, int stride, nn_pad_mode pad)
{
    nn_attrs at;
    nn_attrs_init(&at);
    at.ksize[0] = at.ksize[1] = k;
    at.stride[0] = at.stride[1] = stride;
    at.pad_mode = pad;
    return add_node(c, op, name, &x, 1, &at);
}

int fa_reshape(fa_ctx *c, const char *name, int x, int rank, const int64_t *dims)
{
    nn_attrs at;
    nn_attrs_init(&at);
    at.shape = nn_shape_make(rank, dims);
    return add_node(c, NN_OP_RESHAPE, name, &x, 1, &at);
}

int fa_pad4(fa_ctx *c, const char *name, int x, const int64_t pads[4][2])
{
    nn_attrs at;
    nn_attrs_init(&at);
    for (int i = 0; i < 4; i++) {
        at.paddings[i][0] = pads[i][0];
        at.paddings[i][1] = pads[i][1];
    }
    at.pad_value = 0.0f;
    return add_node(c, NN_OP_PAD, name, &x, 1, &at);
}

int fa_slice(fa_ctx *c, const char *name, int x, int rank, const int64_t *begin, const int64_t *size)
{
    nn_attrs at;
    nn_attrs_init(&at);
    at.n_slice = rank;
    for (int i = 0; i < rank; i++) {
        at.begin[i] = begin[i];
        at.size[i] = size[i];
    }
    return add_node(c, NN_OP_SLICE, name, &x, 1, &at);
}

int fa_concat(fa_ctx *c, const char *name, const int *xs, int n, int axis)
{
    nn_attrs at;
    nn_attrs_init(&at);
    at.axis = axis;
    return add_node(c, NN_OP_CONCAT, name, xs, n, &at);
}

int fa_mean(fa_ctx *c, const char *name, int x, const int *axes, int n_axes, int keep_dims)
{
    nn_attrs at;
    nn_attrs_init(&at);
    for (int i = 0; i < n_axes; i++)
        at.axes[i] = axes[i];
    at.n_axes = n_axes;
    at.keep_dims = keep_dims;
    return add_node(c, NN_OP_MEAN, name, &x, 1, &at);
}

int fa_matmul(fa_ctx *c, const char *name, int a, int b)
{
    nn_attrs at;
    nn_attrs_init(&at);
    int ins[2] = {a, b};
    return add_node(c, NN_OP_MATMUL, name, ins, 2, &at);
}

int fa_softmax(fa_ctx *c, const char *name, int x, int axis)
{
    nn_attrs at;
    nn_attrs_init(&at);
    at.axis = axis;
    return add_node(c, NN_OP_SOFTMAX, name, &x, 1, &at);
}

int fa_output(fa_ctx *c, int x)
{
    if (x < 0)
        return x;
    fp_status st = nn_graph_mark_output(c->g, x);
    if (st != FP_OK)
        return fa_fail(c, st, "cannot mark output '%s'", c->g->values[x].name);
    return x;
}

int fa_sepconv(fa_ctx *c, const char *prefix, int x, int64_t cin, int64_t cout, int stride,
               nn_act act, float leaky_alpha)
{
    char name[160], nd[160];
    int64_t dwd[4] = {3, 3, cin, 1}, pwd[4] = {1, 1, cin, cout};
    snprintf(name, sizeof name, "%s/depthwise_filter", prefix);
    int dwf = fa_take(c, name, 4, dwd);
    snprintf(name, sizeof name, "%s/pointwise_filter", prefix);
    int pwf = fa_take(c, name, 4, pwd);
    snprintf(name, sizeof name, "%s/bias", prefix);
    int b = fa_take(c, name, 1, &cout);
    if (dwf < 0 || pwf < 0 || b < 0)
        return c->err->status;
    snprintf(nd, sizeof nd, "%s/depthwise", prefix);
    int y = fa_dwconv(c, nd, x, dwf, -1, stride, NN_PAD_SAME, NN_ACT_NONE);
    snprintf(nd, sizeof nd, "%s/pointwise", prefix);
    return conv_like(c, NN_OP_CONV2D, nd, y, pwf, b, 1, NN_PAD_VALID, act, leaky_alpha);
}

int fa_fc(fa_ctx *c, const char *prefix, const char *out_name, int x, int64_t k, int64_t n)
{
    char name[160];
    int64_t wd[2] = {k, n};
    snprintf(name, sizeof name, "%s/weights", prefix);
    int wv = fa_take(c, name, 2, wd);
    snprintf(name, sizeof name, "%s/bias", prefix);
    int bv = fa_take(c, name, 1, &n);
    if (wv < 0 || bv < 0)
        return c->err->status;
    /* matmul with its bias in the fused epilogue (face-api: tf.add(tf.matMul(x, w), b)) */
    nn_attrs at;
    nn_attrs_init(&at);
    at.has_bias = 1;
    int ins[3] = {x, wv, bv};
    return add_node(c, NN_OP_MATMUL, out_name, ins, 3, &at);
}
