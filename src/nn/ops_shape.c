/* Data-movement ops: Reshape/Identity (zero-copy aliases), Pad, Concat,
 * Slice/StridedSlice, Transpose and ResizeBilinear (TF semantics). */
#include <math.h>
#include <string.h>

#include "nn/ops.h"

/* ---- reshape / identity ---------------------------------------------------- */

static fp_status reshape_infer(nn_graph *g, nn_node *n, fp_error *err)
{
    const nn_shape *x = nn_in_shape(g, n, 0);
    if (n->op == NN_OP_IDENTITY) {
        *nn_out_shape(g, n) = *x;
        return FP_OK;
    }
    nn_shape s = n->attrs.shape;
    int64_t known = 1;
    int unknown = -1;
    for (int i = 0; i < s.rank; i++) {
        if (s.dim[i] == -1) {
            if (unknown >= 0)
                return nn_op_fail(n, err, FP_ERR_SHAPE, "more than one -1 in the target shape");
            unknown = i;
        } else if (s.dim[i] < 0) {
            return nn_op_fail(n, err, FP_ERR_SHAPE, "negative dimension in the target shape");
        } else {
            known *= s.dim[i];
        }
    }
    int64_t total = nn_shape_numel(x);
    if (unknown >= 0) {
        if (known == 0 || total % known)
            return nn_op_fail(n, err, FP_ERR_SHAPE, "cannot infer the -1 dimension");
        s.dim[unknown] = total / known;
    } else if (known != total) {
        return nn_op_fail(n, err, FP_ERR_SHAPE, "element count changes");
    }
    *nn_out_shape(g, n) = s;
    return FP_OK;
}

static void copy_run(const nn_exec_ctx *ctx, const nn_graph *g, const nn_node *n)
{
    /* Only reached when the planner could not alias (e.g. output of a graph input). */
    const float *src = ctx->ptrs[n->inputs[0]];
    float *dst = ctx->ptrs[n->output];
    if (src != dst)
        memcpy(dst, src, (size_t)nn_shape_numel(&g->values[n->output].shape) * sizeof(float));
}

/* ---- pad ----------------------------------------------------------------------- */

static fp_status pad_infer(nn_graph *g, nn_node *n, fp_error *err)
{
    nn_shape s = *nn_in_shape(g, n, 0);
    for (int i = 0; i < s.rank; i++) {
        if (n->attrs.paddings[i][0] < 0 || n->attrs.paddings[i][1] < 0)
            return nn_op_fail(n, err, FP_ERR_UNSUPPORTED, "negative padding");
        s.dim[i] += n->attrs.paddings[i][0] + n->attrs.paddings[i][1];
    }
    *nn_out_shape(g, n) = s;
    return FP_OK;
}

static void pad_run(const nn_exec_ctx *ctx, const nn_graph *g, const nn_node *n)
{
    const nn_shape *x = nn_in_shape(g, n, 0), *o = &g->values[n->output].shape;
    const float *in = ctx->ptrs[n->inputs[0]];
    float *out = ctx->ptrs[n->output];
    int64_t total = nn_shape_numel(o);
    int r = x->rank;
    int last_only = r > 0;
    for (int i = 0; i < r - 1; i++)
        last_only &= n->attrs.paddings[i][0] == 0 && n->attrs.paddings[i][1] == 0;
    if (last_only) {
        /* channel padding (BlazeFace's residual widening): one pass, each
         * output element written once, no call per pixel */
        int64_t lo = n->attrs.paddings[r - 1][0], c = x->dim[r - 1], oc = o->dim[r - 1];
        int64_t rows = oc ? total / oc : 0;
        const float v = n->attrs.pad_value;
        for (int64_t row = 0; row < rows; row++) {
            const float *src = in + row * c;
            float *dst = out + row * oc;
            for (int64_t k = 0; k < lo; k++)
                dst[k] = v;
            for (int64_t k = 0; k < c; k++)
                dst[lo + k] = src[k];
            for (int64_t k = lo + c; k < oc; k++)
                dst[k] = v;
        }
        return;
    }
    for (int64_t i = 0; i < total; i++)
        out[i] = n->attrs.pad_value;
    int64_t inner = r ? x->dim[r - 1] : 1;
    int64_t rows = inner ? nn_shape_numel(x) / inner : 0;
    int64_t ostr[NN_MAX_RANK], acc = 1;
    for (int i = r - 1; i >= 0; i--) {
        ostr[i] = acc;
        acc *= o->dim[i];
    }
    int64_t idx[NN_MAX_RANK] = {0};
    for (int64_t row = 0; row < rows; row++) {
        int64_t off = r ? n->attrs.paddings[r - 1][0] : 0;
        for (int i = 0; i < r - 1; i++)
            off += (idx[i] + n->attrs.paddings[i][0]) * ostr[i];
        memcpy(out + off, in + row * inner, (size_t)inner * sizeof(float));
        for (int i = r - 2; i >= 0; i--) {
            if (++idx[i] < x->dim[i])
                break;
            idx[i] = 0;
        }
    }
}

/* ---- concat ------------------------------------------------------------------- */

static fp_status concat_infer(nn_graph *g, nn_node *n, fp_error *err)
{
    nn_shape s = *nn_in_shape(g, n, 0);
    int ax = n->attrs.axis < 0 ? n->attrs.axis + s.rank : n->attrs.axis;
    if (ax < 0 || ax >= s.rank)
        return nn_op_fail(n, err, FP_ERR_SHAPE, "concat axis out of range");
    n->attrs.axis = ax;
    for (int i = 1; i < n->n_inputs; i++) {
        const nn_shape *t = nn_in_shape(g, n, i);
        if (t->rank != s.rank)
            return nn_op_fail(n, err, FP_ERR_SHAPE, "concat inputs differ in rank");
        for (int d = 0; d < s.rank; d++)
            if (d != ax && t->dim[d] != s.dim[d])
                return nn_op_fail(n, err, FP_ERR_SHAPE, "concat inputs differ off the axis");
        s.dim[ax] += t->dim[ax];
    }
    *nn_out_shape(g, n) = s;
    return FP_OK;
}

static void concat_run(const nn_exec_ctx *ctx, const nn_graph *g, const nn_node *n)
{
    const nn_shape *o = &g->values[n->output].shape;
    int ax = n->attrs.axis;
    int64_t outer = 1, inner = 1;
    for (int i = 0; i < ax; i++)
        outer *= o->dim[i];
    for (int i = ax + 1; i < o->rank; i++)
        inner *= o->dim[i];
    float *out = ctx->ptrs[n->output];
    int64_t row = o->dim[ax] * inner, col = 0;
    for (int k = 0; k < n->n_inputs; k++) {
        int64_t chunk = nn_in_shape(g, n, k)->dim[ax] * inner;
        const float *in = ctx->ptrs[n->inputs[k]];
        for (int64_t r = 0; r < outer; r++)
            memcpy(out + r * row + col, in + r * chunk, (size_t)chunk * sizeof(float));
        col += chunk;
    }
}

/* ---- slice / strided slice ----------------------------------------------------- */

/* Canonical per-axis begin and step plus the output extents, shared by both ops. */
typedef struct {
    int64_t begin[NN_MAX_RANK], step[NN_MAX_RANK], len[NN_MAX_RANK];
} slice_plan;

static fp_status plan_slice(const nn_graph *g, const nn_node *n, slice_plan *p, nn_shape *out, fp_error *err)
{
    const nn_shape *x = nn_in_shape(g, n, 0);
    const nn_attrs *a = &n->attrs;
    memset(out, 0, sizeof *out);
    if (a->ellipsis_mask || a->new_axis_mask)
        return nn_op_fail(n, err, FP_ERR_UNSUPPORTED, "ellipsis/new-axis masks are not supported");
    if (a->n_slice > x->rank)
        return nn_op_fail(n, err, FP_ERR_SHAPE, "slice has more axes than the input");
    for (int i = 0; i < x->rank; i++) {
        int64_t dim = x->dim[i], b = 0, e = dim, s = 1;
        if (i < a->n_slice) {
            if (n->op == NN_OP_SLICE) {
                b = a->begin[i];
                e = a->size[i] < 0 ? dim : b + a->size[i];
            } else {
                s = a->strides[i];
                if (s == 0)
                    return nn_op_fail(n, err, FP_ERR_FORMAT, "zero stride");
                b = (a->begin_mask >> i & 1) ? (s > 0 ? 0 : dim - 1) : a->begin[i];
                e = (a->end_mask >> i & 1) ? (s > 0 ? dim : -dim - 1) : a->end[i];
                if (!(a->begin_mask >> i & 1) && b < 0) b += dim;
                if (!(a->end_mask >> i & 1) && e < 0) e += dim;
                if (a->shrink_axis_mask >> i & 1) e = b + 1, s = 1;
            }
        }
        /* clamp like TF */
        if (s > 0) {
            b = b < 0 ? 0 : (b > dim ? dim : b);
            e = e < 0 ? 0 : (e > dim ? dim : e);
        } else {
            b = b < -1 ? -1 : (b > dim - 1 ? dim - 1 : b);
            e = e < -1 ? -1 : (e > dim - 1 ? dim - 1 : e);
        }
        int64_t len = s > 0 ? (e - b + s - 1) / s : (b - e + (-s) - 1) / (-s);
        if (len < 0)
            len = 0;
        if (n->op == NN_OP_SLICE && (b + len > dim || a->begin[i] < 0))
            return nn_op_fail(n, err, FP_ERR_SHAPE, "slice out of range");
        p->begin[i] = b;
        p->step[i] = s;
        p->len[i] = len;
        if (!(n->op == NN_OP_STRIDED_SLICE && i < a->n_slice && (a->shrink_axis_mask >> i & 1)))
            out->dim[out->rank++] = len;
    }
    return FP_OK;
}

static fp_status slice_infer(nn_graph *g, nn_node *n, fp_error *err)
{
    slice_plan p;
    nn_shape out;
    fp_status st = plan_slice(g, n, &p, &out, err);
    if (st == FP_OK)
        *nn_out_shape(g, n) = out;
    return st;
}

static void slice_run(const nn_exec_ctx *ctx, const nn_graph *g, const nn_node *n)
{
    const nn_shape *x = nn_in_shape(g, n, 0);
    slice_plan p;
    nn_shape out;
    plan_slice(g, n, &p, &out, NULL);
    int64_t istr[NN_MAX_RANK], acc = 1;
    for (int i = x->rank - 1; i >= 0; i--) {
        istr[i] = acc;
        acc *= x->dim[i];
    }
    const float *in = ctx->ptrs[n->inputs[0]];
    float *dst = ctx->ptrs[n->output];
    int64_t total = 1;
    for (int i = 0; i < x->rank; i++)
        total *= p.len[i];
    int64_t idx[NN_MAX_RANK] = {0};
    for (int64_t e = 0; e < total; e++) {
        int64_t off = 0;
        for (int i = 0; i < x->rank; i++)
            off += (p.begin[i] + idx[i] * p.step[i]) * istr[i];
        dst[e] = in[off];
        for (int i = x->rank - 1; i >= 0; i--) {
            if (++idx[i] < p.len[i])
                break;
            idx[i] = 0;
        }
    }
}

/* ---- transpose ---------------------------------------------------------------- */

static fp_status transpose_infer(nn_graph *g, nn_node *n, fp_error *err)
{
    const nn_shape *x = nn_in_shape(g, n, 0);
    nn_shape s = *x;
    int seen[NN_MAX_RANK] = {0};
    for (int i = 0; i < x->rank; i++) {
        int pi = n->attrs.perm[i];
        if (pi < 0 || pi >= x->rank || seen[pi]++)
            return nn_op_fail(n, err, FP_ERR_SHAPE, "invalid permutation");
        s.dim[i] = x->dim[pi];
    }
    *nn_out_shape(g, n) = s;
    return FP_OK;
}

static void transpose_run(const nn_exec_ctx *ctx, const nn_graph *g, const nn_node *n)
{
    const nn_shape *x = nn_in_shape(g, n, 0), *o = &g->values[n->output].shape;
    int64_t istr[NN_MAX_RANK], acc = 1;
    for (int i = x->rank - 1; i >= 0; i--) {
        istr[i] = acc;
        acc *= x->dim[i];
    }
    const float *in = ctx->ptrs[n->inputs[0]];
    float *dst = ctx->ptrs[n->output];
    int64_t total = nn_shape_numel(o), idx[NN_MAX_RANK] = {0};
    for (int64_t e = 0; e < total; e++) {
        int64_t off = 0;
        for (int i = 0; i < o->rank; i++)
            off += idx[i] * istr[n->attrs.perm[i]];
        dst[e] = in[off];
        for (int i = o->rank - 1; i >= 0; i--) {
            if (++idx[i] < o->dim[i])
                break;
            idx[i] = 0;
        }
    }
}

/* ---- resize bilinear ------------------------------------------------------------ */

static fp_status resize_infer(nn_graph *g, nn_node *n, fp_error *err)
{
    nn_shape s = *nn_in_shape(g, n, 0);
    if (s.rank != 4 || n->attrs.out_hw[0] < 1 || n->attrs.out_hw[1] < 1)
        return nn_op_fail(n, err, FP_ERR_SHAPE, "resize expects NHWC input and a positive size");
    s.dim[1] = n->attrs.out_hw[0];
    s.dim[2] = n->attrs.out_hw[1];
    *nn_out_shape(g, n) = s;
    return FP_OK;
}

/* Source coordinate of destination index d, computed in float32 as TF does. */
static float resize_source(int64_t d, int64_t in, int64_t out, int align, int half)
{
    float scale = (align && out > 1) ? (float)(in - 1) / (float)(out - 1) : (float)in / (float)out;
    if (half) {
        float s = ((float)d + 0.5f) * scale - 0.5f;
        return s < 0 ? 0 : s;
    }
    return (float)d * scale;
}

static void resize_run(const nn_exec_ctx *ctx, const nn_graph *g, const nn_node *n)
{
    const nn_shape *x = nn_in_shape(g, n, 0), *o = &g->values[n->output].shape;
    const float *in = ctx->ptrs[n->inputs[0]];
    float *out = ctx->ptrs[n->output];
    int64_t ih = x->dim[1], iw = x->dim[2], c = x->dim[3], oh = o->dim[1], ow = o->dim[2];
    for (int64_t b = 0; b < x->dim[0]; b++)
        for (int64_t oy = 0; oy < oh; oy++) {
            float sy = resize_source(oy, ih, oh, n->attrs.align_corners, n->attrs.half_pixel_centers);
            int64_t y0 = (int64_t)floorf(sy), y1 = y0 + 1 < ih ? y0 + 1 : ih - 1;
            float fy = sy - (float)y0;
            for (int64_t ox = 0; ox < ow; ox++) {
                float sx = resize_source(ox, iw, ow, n->attrs.align_corners, n->attrs.half_pixel_centers);
                int64_t x0 = (int64_t)floorf(sx), x1 = x0 + 1 < iw ? x0 + 1 : iw - 1;
                float fx = sx - (float)x0;
                const float *tl = in + ((b * ih + y0) * iw + x0) * c, *tr = in + ((b * ih + y0) * iw + x1) * c;
                const float *bl = in + ((b * ih + y1) * iw + x0) * c, *br = in + ((b * ih + y1) * iw + x1) * c;
                float *dst = out + ((b * oh + oy) * ow + ox) * c;
                for (int64_t k = 0; k < c; k++) {
                    float top = tl[k] + (tr[k] - tl[k]) * fx;
                    float bottom = bl[k] + (br[k] - bl[k]) * fx;
                    dst[k] = top + (bottom - top) * fy;
                }
            }
        }
}

void nn_ops_register_shape(nn_op_impl *t)
{
    t[NN_OP_RESHAPE] = (nn_op_impl){reshape_infer, NULL, NULL, copy_run, 1};
    t[NN_OP_IDENTITY] = (nn_op_impl){reshape_infer, NULL, NULL, copy_run, 1};
    t[NN_OP_PAD] = (nn_op_impl){pad_infer, NULL, NULL, pad_run, 0};
    t[NN_OP_CONCAT] = (nn_op_impl){concat_infer, NULL, NULL, concat_run, 0};
    t[NN_OP_SLICE] = (nn_op_impl){slice_infer, NULL, NULL, slice_run, 0};
    t[NN_OP_STRIDED_SLICE] = (nn_op_impl){slice_infer, NULL, NULL, slice_run, 0};
    t[NN_OP_TRANSPOSE] = (nn_op_impl){transpose_infer, NULL, NULL, transpose_run, 0};
    t[NN_OP_RESIZE_BILINEAR] = (nn_op_impl){resize_infer, NULL, NULL, resize_run, 0};
}
