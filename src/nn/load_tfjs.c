/* TF.js graph-model loader: model.json ("format": "graph-model") holds a
 * TensorFlow GraphDef as JSON plus a weights manifest. Nodes are converted
 * in topological order into our IR; shape operands (Reshape's shape, Pad's
 * paddings, reduction axes...) must be constants and become attributes.
 * Shapes are inferred while building so Squeeze/ExpandDims can be lowered
 * to Reshape. Any op we do not implement fails here, naming op and node. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/file.h"
#include "core/json.h"
#include "nn/model.h"
#include "nn/ops.h"
#include "nn/weights.h"

#define MAX_MODEL_JSON ((size_t)64 << 20)
#define MAX_NODES 200000

typedef struct {
    const fp_json *node;  /* JSON node */
    const char *name, *op;
    int value;            /* IR value of output 0 once built, -1 before */
    int weight;           /* index in weights for Const nodes, -1 otherwise */
    int n_deps, *deps;    /* indices of producer nodes (data inputs only) */
    int pending;          /* Kahn's algorithm counter */
} tf_node;

typedef struct {
    tf_node *nodes;
    int n;
    int *table;           /* open-addressing hash of node names -> index */
    int table_size;
    nn_graph *g;
    nn_weights *w;
    fp_error *err;
} loader;

/* ---- name lookup ------------------------------------------------------------- */

static uint64_t hash_name(const char *s, size_t len)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    return h;
}

static int lookup(const loader *L, const char *name, size_t len)
{
    size_t mask = (size_t)L->table_size - 1;
    for (size_t i = hash_name(name, len) & mask;; i = (i + 1) & mask) {
        int k = L->table[i];
        if (k < 0)
            return -1;
        if (strlen(L->nodes[k].name) == len && memcmp(L->nodes[k].name, name, len) == 0)
            return k;
    }
}

/* Input reference "node", "node:0" or "^node" (control edge, ignored: -2). */
static int resolve_input(const loader *L, const char *ref, int *out_index)
{
    if (ref[0] == '^')
        return -2;
    size_t len = strlen(ref);
    *out_index = 0;
    const char *colon = strrchr(ref, ':');
    if (colon) {
        char *end;
        long idx = strtol(colon + 1, &end, 10);
        if (*end == 0 && end != colon + 1) {
            len = (size_t)(colon - ref);
            *out_index = (int)idx;
        }
    }
    return lookup(L, ref, len);
}

/* ---- attribute access ----------------------------------------------------------- */

/* JSON numbers are doubles; converting one outside int64's range is
 * undefined behaviour in C, so clamp first (callers validate the value). */
static int64_t clamp_i64(double d)
{
    if (!(d == d))
        return 0;
    if (d > 1e18)
        return (int64_t)1e18;
    if (d < -1e18)
        return -(int64_t)1e18;
    return (int64_t)d;
}

static int clamp_int(long long v)
{
    return v > INT32_MAX ? INT32_MAX : v < INT32_MIN ? INT32_MIN : (int)v;
}

static const fp_json *attr(const tf_node *t, const char *key)
{
    return fp_json_get(fp_json_get(t->node, "attr"), key);
}

static int attr_int(const tf_node *t, const char *key, long long def)
{
    const fp_json *a = attr(t, key);
    const fp_json *i = fp_json_get(a, "i");
    if (i && i->type == FP_JSON_STRING)
        return clamp_int(strtoll(i->string, NULL, 10));
    if (i && i->type == FP_JSON_NUMBER)
        return clamp_int(clamp_i64(i->number));
    return clamp_int(def);
}

static int attr_bool(const tf_node *t, const char *key)
{
    const fp_json *b = fp_json_get(attr(t, key), "b");
    return b && b->type == FP_JSON_TRUE;
}

static float attr_float(const tf_node *t, const char *key, float def)
{
    const fp_json *f = fp_json_get(attr(t, key), "f");
    return f && f->type == FP_JSON_NUMBER ? (float)f->number : def;
}

static int b64_value(char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
}

/* Decodes a base64 attribute string ("s") into dst (NUL-terminated). */
static void b64_decode(const char *src, char *dst, size_t cap)
{
    size_t n = 0;
    unsigned acc = 0;
    int bits = 0;
    for (; *src && *src != '='; src++) {
        int v = b64_value(*src);
        if (v < 0)
            break;
        acc = acc << 6 | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (n + 1 < cap)
                dst[n++] = (char)(acc >> bits & 0xFF);
        }
    }
    dst[n] = 0;
}

static void attr_string(const tf_node *t, const char *key, char *dst, size_t cap)
{
    const fp_json *s = fp_json_get(attr(t, key), "s");
    dst[0] = 0;
    if (s && s->type == FP_JSON_STRING)
        b64_decode(s->string, dst, cap);
}

/* list.i of an attribute into out (returns count, -1 if absent). */
static int attr_int_list(const tf_node *t, const char *key, int64_t *out, int cap)
{
    const fp_json *list = fp_json_get(fp_json_get(attr(t, key), "list"), "i");
    if (!list || list->type != FP_JSON_ARRAY)
        return -1;
    int n = 0;
    for (size_t i = 0; i < list->length && n < cap; i++) {
        const fp_json *v = list->items[i];
        out[n++] = v->type == FP_JSON_STRING ? strtoll(v->string, NULL, 10) : clamp_i64(v->number);
    }
    return n;
}

static int attr_string_list(const tf_node *t, const char *key, char out[][32], int cap)
{
    const fp_json *list = fp_json_get(fp_json_get(attr(t, key), "list"), "s");
    if (!list || list->type != FP_JSON_ARRAY)
        return 0;
    int n = 0;
    for (size_t i = 0; i < list->length && n < cap; i++)
        if (list->items[i]->type == FP_JSON_STRING)
            b64_decode(list->items[i]->string, out[n++], 32);
    return n;
}

/* ---- helpers to create nodes --------------------------------------------------- */

static fp_status fail(loader *L, const tf_node *t, fp_status st, const char *what)
{
    return fp_error_set(L->err, st, "model.json: node '%s' (%s): %s", t->name, t->op, what);
}

/* Builds a node, infers its shape at once and returns its value. */
static int emit(loader *L, const tf_node *t, nn_op op, const int *in, int n_in, const nn_attrs *a,
                const char *suffix)
{
    char name[512];
    snprintf(name, sizeof name, "%s%s", t->name, suffix ? suffix : "");
    int v = nn_graph_node(L->g, op, name, in, n_in, a);
    if (v < 0)
        return fail(L, t, (fp_status)v, "cannot add node");
    nn_node *n = &L->g->nodes[L->g->values[v].producer];
    const nn_op_impl *impl = nn_op_impl_get(op);
    if (!impl)
        return fail(L, t, FP_ERR_UNSUPPORTED, "no kernel");
    fp_status st = impl->infer(L->g, n, L->err);
    return st == FP_OK ? v : st;
}

/* The producer of data input k ("^name" control edges skipped), or -1. */
static int data_input_node(const loader *L, const tf_node *t, int k, int *out_index)
{
    const fp_json *inputs = fp_json_get(t->node, "input");
    int data_k = -1;
    for (size_t i = 0; inputs && i < inputs->length; i++) {
        const fp_json *ref = inputs->items[i];
        if (ref->type != FP_JSON_STRING || ref->string[0] == '^')
            continue;
        if (++data_k == k) {
            int p = resolve_input(L, ref->string, out_index);
            return p >= 0 ? p : -1;
        }
    }
    return -1;
}

/* The IR value of data input k, creating float constants on first use. */
static int input_value(loader *L, const tf_node *t, int k)
{
    int idx = 0;
    int p = data_input_node(L, t, k, &idx);
    if (p < 0)
        return fail(L, t, FP_ERR_FORMAT, "missing input or input refers to an unknown node");
    if (idx != 0 && strcmp(L->nodes[p].op, "FusedBatchNorm") != 0 && strcmp(L->nodes[p].op, "FusedBatchNormV3") != 0)
        return fail(L, t, FP_ERR_UNSUPPORTED, "uses a secondary output of a multi-output op");
    tf_node *src = &L->nodes[p];
    if (src->value >= 0)
        return src->value;
    if (src->weight < 0)
        return fail(L, t, FP_ERR_FORMAT, "input is used before it is defined");
    nn_weight *wt = &L->w->items[src->weight];
    if (wt->is_int || !wt->data)
        return fail(L, t, FP_ERR_UNSUPPORTED, "integer tensor used as data");
    src->value = nn_graph_const(L->g, src->name, &wt->shape, wt->data);
    wt->data = NULL;
    if (src->value < 0)
        return fail(L, t, (fp_status)src->value, "cannot add constant");
    return src->value;
}

/* Integer constant input k (shape operands); *n receives the element count. */
static const int32_t *int_input(loader *L, const tf_node *t, int k, int64_t *n, nn_shape *shape)
{
    int idx = 0;
    int p = data_input_node(L, t, k, &idx);
    nn_weight *wt = p >= 0 && L->nodes[p].weight >= 0 ? &L->w->items[L->nodes[p].weight] : NULL;
    if (!wt || !wt->is_int || !wt->idata) {
        fail(L, t, FP_ERR_UNSUPPORTED, "shape operand must be an int32 constant");
        return NULL;
    }
    *n = nn_shape_numel(&wt->shape);
    if (shape)
        *shape = wt->shape;
    return wt->idata;
}

static int data_input_count(const tf_node *t)
{
    const fp_json *inputs = fp_json_get(t->node, "input");
    int n = 0;
    for (size_t i = 0; inputs && i < inputs->length; i++)
        if (inputs->items[i]->type == FP_JSON_STRING && inputs->items[i]->string[0] != '^')
            n++;
    return n;
}

static fp_status parse_padding(loader *L, const tf_node *t, nn_attrs *a)
{
    char pad[32];
    attr_string(t, "padding", pad, sizeof pad);
    if (strcmp(pad, "SAME") == 0) {
        a->pad_mode = NN_PAD_SAME;
    } else if (strcmp(pad, "VALID") == 0 || pad[0] == 0) {
        a->pad_mode = NN_PAD_VALID;
    } else if (strcmp(pad, "EXPLICIT") == 0) {
        int64_t p[8];
        if (attr_int_list(t, "explicit_paddings", p, 8) != 8)
            return fail(L, t, FP_ERR_FORMAT, "EXPLICIT padding without 8 explicit_paddings");
        a->pad_mode = NN_PAD_EXPLICIT;
        for (int i = 0; i < 4; i++) {
            if (p[2 + i] < 0 || p[2 + i] > 4096)
                return fail(L, t, FP_ERR_FORMAT, "explicit padding out of range");
            a->pad[i] = (int)p[2 + i];
        }
    } else {
        return fail(L, t, FP_ERR_UNSUPPORTED, "unknown padding mode");
    }
    char fmt[16];
    attr_string(t, "data_format", fmt, sizeof fmt);
    if (fmt[0] && strcmp(fmt, "NHWC") != 0)
        return fail(L, t, FP_ERR_UNSUPPORTED, "only NHWC data_format is supported");
    return FP_OK;
}

static fp_status parse_window(loader *L, const tf_node *t, nn_attrs *a, int pooling)
{
    int64_t v[4];
    if (attr_int_list(t, "strides", v, 4) == 4) {
        if (v[0] != 1 || v[3] != 1)
            return fail(L, t, FP_ERR_UNSUPPORTED, "batch/channel strides must be 1");
        a->stride[0] = clamp_int(v[1]);
        a->stride[1] = clamp_int(v[2]);
    }
    if (!pooling && attr_int_list(t, "dilations", v, 4) == 4) {
        a->dilation[0] = clamp_int(v[1]);
        a->dilation[1] = clamp_int(v[2]);
    }
    if (pooling) {
        if (attr_int_list(t, "ksize", v, 4) != 4 || v[0] != 1 || v[3] != 1)
            return fail(L, t, FP_ERR_UNSUPPORTED, "pooling window must be [1, h, w, 1]");
        a->ksize[0] = clamp_int(v[1]);
        a->ksize[1] = clamp_int(v[2]);
    }
    if (a->stride[0] < 1 || a->stride[1] < 1 || a->dilation[0] < 1 || a->dilation[1] < 1 || a->ksize[0] < 1 ||
        a->ksize[1] < 1 || a->stride[0] > 64 || a->stride[1] > 64 || a->dilation[0] > 64 || a->dilation[1] > 64)
        return fail(L, t, FP_ERR_FORMAT, "invalid stride, dilation or window");
    return parse_padding(L, t, a);
}

/* ---- op conversion -------------------------------------------------------------- */

static int convert_fused(loader *L, const tf_node *t, nn_op op)
{
    nn_attrs a;
    nn_attrs_init(&a);
    int matmul = op == NN_OP_MATMUL;
    if (matmul) {
        a.transpose_a = attr_bool(t, "transpose_a");
        a.transpose_b = attr_bool(t, "transpose_b");
    } else {
        fp_status st = parse_window(L, t, &a, 0);
        if (st != FP_OK)
            return st;
    }
    int in[NN_MAX_INPUTS];
    int n_in = 2;
    in[0] = input_value(L, t, 0);
    if (in[0] < 0)
        return in[0];
    in[1] = input_value(L, t, 1);
    if (in[1] < 0)
        return in[1];
    char fused[4][32];
    int n_fused = attr_string_list(t, "fused_ops", fused, 4);
    int arg = 2;
    for (int i = 0; i < n_fused; i++) {
        const char *f = fused[i];
        if (strcmp(f, "BiasAdd") == 0) {
            int b = input_value(L, t, arg++);
            if (b < 0)
                return b;
            in[n_in++] = b;
            a.has_bias = 1;
        } else if (strcmp(f, "Relu") == 0) {
            a.act = NN_ACT_RELU;
        } else if (strcmp(f, "Relu6") == 0) {
            a.act = NN_ACT_RELU6;
        } else if (strcmp(f, "Sigmoid") == 0) {
            a.act = NN_ACT_SIGMOID;
        } else if (strcmp(f, "LeakyRelu") == 0) {
            a.act = NN_ACT_LEAKY_RELU;
            a.act_alpha = attr_float(t, "leakyrelu_alpha", 0.2f);
        } else if (strcmp(f, "Prelu") == 0) {
            int p = input_value(L, t, arg++);
            if (p < 0)
                return p;
            in[n_in++] = p;
            a.has_prelu = 1;
            a.act = NN_ACT_PRELU;
        } else {
            char msg[64];
            snprintf(msg, sizeof msg, "unsupported fused op '%.31s'", f);
            return fail(L, t, FP_ERR_UNSUPPORTED, msg);
        }
    }
    /* bias/prelu constants may be shaped [1,1,c] etc.: the kernels read them flat */
    return emit(L, t, op, in, n_in, &a, NULL);
}

static int convert_binary(loader *L, const tf_node *t, nn_op op)
{
    int in[2] = {input_value(L, t, 0), -1};
    if (in[0] < 0)
        return in[0];
    in[1] = input_value(L, t, 1);
    if (in[1] < 0)
        return in[1];
    return emit(L, t, op, in, 2, NULL, NULL);
}

static int convert_unary(loader *L, const tf_node *t, nn_op op)
{
    int x = input_value(L, t, 0);
    if (x < 0)
        return x;
    nn_attrs a;
    nn_attrs_init(&a);
    if (op == NN_OP_LEAKY_RELU)
        a.act_alpha = attr_float(t, "alpha", 0.2f);
    return emit(L, t, op, &x, 1, &a, NULL);
}

static int reshape_to(loader *L, const tf_node *t, int x, const nn_shape *shape)
{
    nn_attrs a;
    nn_attrs_init(&a);
    a.shape = *shape;
    return emit(L, t, NN_OP_RESHAPE, &x, 1, &a, NULL);
}

static int convert_reshape_like(loader *L, const tf_node *t)
{
    int x = input_value(L, t, 0);
    if (x < 0)
        return x;
    nn_shape in = L->g->values[x].shape, out;
    memset(&out, 0, sizeof out);
    if (strcmp(t->op, "Reshape") == 0) {
        int64_t n;
        const int32_t *s = int_input(L, t, 1, &n, NULL);
        if (!s)
            return L->err ? L->err->status : FP_ERR_UNSUPPORTED;
        if (n > NN_MAX_RANK)
            return fail(L, t, FP_ERR_UNSUPPORTED, "rank too high");
        out.rank = (int)n;
        for (int i = 0; i < n; i++)
            out.dim[i] = s[i];
    } else if (strcmp(t->op, "Squeeze") == 0) {
        int64_t dims[NN_MAX_RANK];
        int nd = attr_int_list(t, "squeeze_dims", dims, NN_MAX_RANK);
        if (nd < 0)
            nd = attr_int_list(t, "axis", dims, NN_MAX_RANK);
        int drop[NN_MAX_RANK] = {0};
        for (int i = 0; i < nd; i++) {
            int64_t d = dims[i] < 0 ? dims[i] + in.rank : dims[i];
            if (d < 0 || d >= in.rank || in.dim[d] != 1)
                return fail(L, t, FP_ERR_SHAPE, "squeezed axis is not of size 1");
            drop[d] = 1;
        }
        for (int i = 0; i < in.rank; i++)
            if (!(nd > 0 ? drop[i] : in.dim[i] == 1))
                out.dim[out.rank++] = in.dim[i];
    } else { /* ExpandDims */
        int64_t n;
        const int32_t *axis = int_input(L, t, 1, &n, NULL);
        if (!axis || n != 1)
            return fail(L, t, FP_ERR_UNSUPPORTED, "axis must be a scalar constant");
        int ax = axis[0] < 0 ? axis[0] + in.rank + 1 : axis[0];
        if (ax < 0 || ax > in.rank || in.rank >= NN_MAX_RANK)
            return fail(L, t, FP_ERR_SHAPE, "axis out of range");
        for (int i = 0, k = 0; i <= in.rank; i++)
            out.dim[out.rank++] = i == ax ? 1 : in.dim[k++];
    }
    return reshape_to(L, t, x, &out);
}

static int convert_reduce(loader *L, const tf_node *t, nn_op op)
{
    int x = input_value(L, t, 0);
    if (x < 0)
        return x;
    int64_t n;
    const int32_t *axes = int_input(L, t, 1, &n, NULL);
    if (!axes || n > NN_MAX_RANK)
        return fail(L, t, FP_ERR_UNSUPPORTED, "axes must be a small int32 constant");
    nn_attrs a;
    nn_attrs_init(&a);
    a.n_axes = (int)n;
    for (int i = 0; i < n; i++)
        a.axes[i] = axes[i];
    a.keep_dims = attr_bool(t, "keep_dims");
    return emit(L, t, op, &x, 1, &a, NULL);
}

static int convert_pad(loader *L, const tf_node *t)
{
    int x = input_value(L, t, 0);
    if (x < 0)
        return x;
    int64_t n;
    const int32_t *p = int_input(L, t, 1, &n, NULL);
    int rank = L->g->values[x].shape.rank;
    if (!p || n != 2 * rank)
        return fail(L, t, FP_ERR_SHAPE, "paddings must be a [rank, 2] int32 constant");
    nn_attrs a;
    nn_attrs_init(&a);
    for (int i = 0; i < rank; i++) {
        a.paddings[i][0] = p[2 * i];
        a.paddings[i][1] = p[2 * i + 1];
    }
    if (strcmp(t->op, "PadV2") == 0) {
        int cv = input_value(L, t, 2);
        if (cv < 0)
            return cv;
        if (!L->g->values[cv].is_const || nn_shape_numel(&L->g->values[cv].shape) != 1)
            return fail(L, t, FP_ERR_UNSUPPORTED, "pad value must be a scalar constant");
        a.pad_value = L->g->values[cv].data[0];
    }
    return emit(L, t, NN_OP_PAD, &x, 1, &a, NULL);
}

static int convert_concat(loader *L, const tf_node *t)
{
    int n = data_input_count(t) - 1;
    if (n < 1 || n > NN_MAX_INPUTS)
        return fail(L, t, FP_ERR_UNSUPPORTED, "concat of more than 8 tensors");
    int in[NN_MAX_INPUTS];
    for (int i = 0; i < n; i++) {
        in[i] = input_value(L, t, i);
        if (in[i] < 0)
            return in[i];
    }
    int64_t cnt;
    const int32_t *axis = int_input(L, t, n, &cnt, NULL);
    if (!axis || cnt != 1)
        return fail(L, t, FP_ERR_UNSUPPORTED, "axis must be a scalar constant");
    nn_attrs a;
    nn_attrs_init(&a);
    a.axis = axis[0];
    if (n == 1)
        return emit(L, t, NN_OP_IDENTITY, in, 1, NULL, NULL);
    return emit(L, t, NN_OP_CONCAT, in, n, &a, NULL);
}

static int convert_slice(loader *L, const tf_node *t, int strided)
{
    int x = input_value(L, t, 0);
    if (x < 0)
        return x;
    int64_t nb, ne, ns;
    const int32_t *b = int_input(L, t, 1, &nb, NULL);
    const int32_t *e = b ? int_input(L, t, 2, &ne, NULL) : NULL;
    const int32_t *s = (e && strided) ? int_input(L, t, 3, &ns, NULL) : NULL;
    if (!b || !e || (strided && !s) || nb > NN_MAX_RANK || ne != nb || (strided && ns != nb))
        return fail(L, t, FP_ERR_UNSUPPORTED, "slice bounds must be int32 constants of equal length");
    nn_attrs a;
    nn_attrs_init(&a);
    a.n_slice = (int)nb;
    for (int i = 0; i < nb; i++) {
        a.begin[i] = b[i];
        if (strided) {
            a.end[i] = e[i];
            a.strides[i] = s[i];
        } else {
            a.size[i] = e[i];
        }
    }
    if (strided) {
        a.begin_mask = attr_int(t, "begin_mask", 0);
        a.end_mask = attr_int(t, "end_mask", 0);
        a.ellipsis_mask = attr_int(t, "ellipsis_mask", 0);
        a.new_axis_mask = attr_int(t, "new_axis_mask", 0);
        a.shrink_axis_mask = attr_int(t, "shrink_axis_mask", 0);
    }
    return emit(L, t, strided ? NN_OP_STRIDED_SLICE : NN_OP_SLICE, &x, 1, &a, NULL);
}

static int convert_transpose(loader *L, const tf_node *t)
{
    int x = input_value(L, t, 0);
    if (x < 0)
        return x;
    int64_t n;
    const int32_t *perm = int_input(L, t, 1, &n, NULL);
    if (!perm || n != L->g->values[x].shape.rank)
        return fail(L, t, FP_ERR_SHAPE, "perm must match the input rank");
    nn_attrs a;
    nn_attrs_init(&a);
    for (int i = 0; i < n; i++)
        a.perm[i] = perm[i];
    return emit(L, t, NN_OP_TRANSPOSE, &x, 1, &a, NULL);
}

static int convert_resize(loader *L, const tf_node *t)
{
    int x = input_value(L, t, 0);
    if (x < 0)
        return x;
    int64_t n;
    const int32_t *size = int_input(L, t, 1, &n, NULL);
    if (!size || n != 2)
        return fail(L, t, FP_ERR_UNSUPPORTED, "size must be an int32 constant [h, w]");
    nn_attrs a;
    nn_attrs_init(&a);
    a.out_hw[0] = size[0];
    a.out_hw[1] = size[1];
    a.align_corners = attr_bool(t, "align_corners");
    a.half_pixel_centers = attr_bool(t, "half_pixel_centers");
    return emit(L, t, NN_OP_RESIZE_BILINEAR, &x, 1, &a, NULL);
}

/* Inference-mode batch norm = per-channel scale and shift, emitted as
 * Mul + Add with constants so the fusion pass folds them into a conv. */
static int convert_batchnorm(loader *L, const tf_node *t)
{
    int x = input_value(L, t, 0);
    if (x < 0)
        return x;
    int p[4];
    for (int i = 0; i < 4; i++) {
        p[i] = input_value(L, t, i + 1);
        if (p[i] < 0)
            return p[i];
        if (!L->g->values[p[i]].is_const)
            return fail(L, t, FP_ERR_UNSUPPORTED, "batch-norm parameters must be constants");
    }
    int64_t c = nn_shape_numel(&L->g->values[p[0]].shape);
    for (int i = 1; i < 4; i++)
        if (nn_shape_numel(&L->g->values[p[i]].shape) != c)
            return fail(L, t, FP_ERR_SHAPE, "batch-norm parameters differ in length");
    float eps = attr_float(t, "epsilon", 0.001f);
    float *scale = malloc((size_t)c * sizeof *scale), *shift = malloc((size_t)c * sizeof *shift);
    if (!scale || !shift) {
        free(scale);
        free(shift);
        return fail(L, t, FP_ERR_NOMEM, "out of memory");
    }
    const float *gamma = L->g->values[p[0]].data, *beta = L->g->values[p[1]].data;
    const float *mean = L->g->values[p[2]].data, *var = L->g->values[p[3]].data;
    for (int64_t i = 0; i < c; i++) {
        scale[i] = gamma[i] / sqrtf(var[i] + eps);
        shift[i] = beta[i] - mean[i] * scale[i];
    }
    nn_shape vec = nn_shape_make(1, &c);
    char name[512];
    snprintf(name, sizeof name, "%s/scale", t->name);
    int sv = nn_graph_const(L->g, name, &vec, scale);
    snprintf(name, sizeof name, "%s/shift", t->name);
    int bv = nn_graph_const(L->g, name, &vec, shift);
    if (sv < 0 || bv < 0)
        return fail(L, t, FP_ERR_NOMEM, "out of memory");
    int in[2] = {x, sv};
    int m = emit(L, t, NN_OP_MUL, in, 2, NULL, "/mul");
    if (m < 0)
        return m;
    in[0] = m;
    in[1] = bv;
    return emit(L, t, NN_OP_ADD, in, 2, NULL, NULL);
}

typedef struct {
    const char *tf;
    nn_op op;
    int (*convert)(loader *, const tf_node *, nn_op);
} op_rule;

static int conv_rule(loader *L, const tf_node *t, nn_op op) { return convert_fused(L, t, op); }

static int matmul_rule(loader *L, const tf_node *t, nn_op op)
{
    return convert_fused(L, t, NN_OP_MATMUL);
}

static const op_rule rules[] = {
    {"Conv2D", NN_OP_CONV2D, conv_rule},
    {"_FusedConv2D", NN_OP_CONV2D, conv_rule},
    {"DepthwiseConv2dNative", NN_OP_DWCONV2D, conv_rule},
    {"FusedDepthwiseConv2dNative", NN_OP_DWCONV2D, conv_rule},
    {"MatMul", NN_OP_MATMUL, matmul_rule},
    {"_FusedMatMul", NN_OP_MATMUL, matmul_rule},
    {"Add", NN_OP_ADD, convert_binary},
    {"AddV2", NN_OP_ADD, convert_binary},
    {"BiasAdd", NN_OP_BIAS_ADD, convert_binary},
    {"Sub", NN_OP_SUB, convert_binary},
    {"Mul", NN_OP_MUL, convert_binary},
    {"RealDiv", NN_OP_DIV, convert_binary},
    {"Div", NN_OP_DIV, convert_binary},
    {"Maximum", NN_OP_MAXIMUM, convert_binary},
    {"Minimum", NN_OP_MINIMUM, convert_binary},
    {"SquaredDifference", NN_OP_SQUARED_DIFF, convert_binary},
    {"Prelu", NN_OP_PRELU, convert_binary},
    {"Abs", NN_OP_ABS, convert_unary},
    {"Neg", NN_OP_NEG, convert_unary},
    {"Square", NN_OP_SQUARE, convert_unary},
    {"Sqrt", NN_OP_SQRT, convert_unary},
    {"Rsqrt", NN_OP_RSQRT, convert_unary},
    {"Exp", NN_OP_EXP, convert_unary},
    {"Log", NN_OP_LOG, convert_unary},
    {"Relu", NN_OP_RELU, convert_unary},
    {"Relu6", NN_OP_RELU6, convert_unary},
    {"LeakyRelu", NN_OP_LEAKY_RELU, convert_unary},
    {"Sigmoid", NN_OP_SIGMOID, convert_unary},
    {"Tanh", NN_OP_TANH, convert_unary},
    {"Identity", NN_OP_IDENTITY, convert_unary},
    {"StopGradient", NN_OP_IDENTITY, convert_unary},
    {"Softmax", NN_OP_SOFTMAX, convert_unary},
    {"Sum", NN_OP_SUM, convert_reduce},
    {"Mean", NN_OP_MEAN, convert_reduce},
    {"Max", NN_OP_MAX_REDUCE, convert_reduce},
};

static int convert_pool(loader *L, const tf_node *t, nn_op op)
{
    int x = input_value(L, t, 0);
    if (x < 0)
        return x;
    nn_attrs a;
    nn_attrs_init(&a);
    fp_status st = parse_window(L, t, &a, 1);
    if (st != FP_OK)
        return st;
    return emit(L, t, op, &x, 1, &a, NULL);
}

static int convert_node(loader *L, const tf_node *t)
{
    for (size_t i = 0; i < sizeof rules / sizeof *rules; i++)
        if (strcmp(t->op, rules[i].tf) == 0)
            return rules[i].convert(L, t, rules[i].op);
    if (!strcmp(t->op, "MaxPool")) return convert_pool(L, t, NN_OP_MAXPOOL);
    if (!strcmp(t->op, "AvgPool")) return convert_pool(L, t, NN_OP_AVGPOOL);
    if (!strcmp(t->op, "Pad") || !strcmp(t->op, "PadV2")) return convert_pad(L, t);
    if (!strcmp(t->op, "Reshape") || !strcmp(t->op, "Squeeze") || !strcmp(t->op, "ExpandDims"))
        return convert_reshape_like(L, t);
    if (!strcmp(t->op, "ConcatV2")) return convert_concat(L, t);
    if (!strcmp(t->op, "StridedSlice")) return convert_slice(L, t, 1);
    if (!strcmp(t->op, "Slice")) return convert_slice(L, t, 0);
    if (!strcmp(t->op, "Transpose")) return convert_transpose(L, t);
    if (!strcmp(t->op, "ResizeBilinear")) return convert_resize(L, t);
    if (!strcmp(t->op, "FusedBatchNorm") || !strcmp(t->op, "FusedBatchNormV3")) return convert_batchnorm(L, t);
    if (!strcmp(t->op, "Cast")) {
        int x = input_value(L, t, 0);
        return x < 0 ? x : emit(L, t, NN_OP_IDENTITY, &x, 1, NULL, NULL);
    }
    char msg[128];
    snprintf(msg, sizeof msg, "unsupported op '%.100s'", t->op);
    return fail(L, t, FP_ERR_UNSUPPORTED, msg);
}

/* ---- model-level structure -------------------------------------------------------- */

static const fp_json *signature_of(const fp_json *root)
{
    const fp_json *sig = fp_json_get(root, "signature");
    if (!sig)
        sig = fp_json_get(fp_json_get(root, "userDefinedMetadata"), "signature");
    return sig;
}

/* Public tensor name: the signature key without a ":0" suffix. */
static void public_name(const char *key, char *dst, size_t cap)
{
    snprintf(dst, cap, "%s", key);
    size_t n = strlen(dst);
    if (n > 2 && strcmp(dst + n - 2, ":0") == 0)
        dst[n - 2] = 0;
}

static fp_status parse_tensor_shape(const fp_json *shape_obj, nn_shape *s)
{
    memset(s, 0, sizeof *s);
    const fp_json *dims = fp_json_get(shape_obj, "dim");
    if (!dims)
        return FP_ERR_FORMAT;
    if (dims->type != FP_JSON_ARRAY || dims->length > NN_MAX_RANK)
        return FP_ERR_FORMAT;
    s->rank = (int)dims->length;
    for (size_t i = 0; i < dims->length; i++) {
        const fp_json *size = fp_json_get(dims->items[i], "size");
        long long v = size && size->type == FP_JSON_STRING ? strtoll(size->string, NULL, 10)
                    : size && size->type == FP_JSON_NUMBER ? clamp_i64(size->number) : -1;
        if (v < -1 || v > (1 << 20))
            return FP_ERR_FORMAT;
        s->dim[i] = v;
    }
    return FP_OK;
}

static fp_status index_nodes(loader *L, const fp_json *list)
{
    if (!list || list->type != FP_JSON_ARRAY || list->length == 0 || list->length > MAX_NODES)
        return fp_error_set(L->err, FP_ERR_FORMAT, "model.json: modelTopology.node missing or too large");
    L->n = (int)list->length;
    L->nodes = calloc((size_t)L->n, sizeof *L->nodes);
    L->table_size = 16;
    while (L->table_size < 2 * L->n)
        L->table_size *= 2;
    L->table = malloc((size_t)L->table_size * sizeof *L->table);
    if (!L->nodes || !L->table)
        return fp_error_set(L->err, FP_ERR_NOMEM, "model.json: out of memory");
    for (int i = 0; i < L->table_size; i++)
        L->table[i] = -1;
    for (int i = 0; i < L->n; i++) {
        tf_node *t = &L->nodes[i];
        t->node = list->items[i];
        t->name = fp_json_get_string(t->node, "name");
        t->op = fp_json_get_string(t->node, "op");
        t->value = -1;
        t->weight = -1;
        if (!t->name || !t->op || !t->name[0])
            return fp_error_set(L->err, FP_ERR_FORMAT, "model.json: node %d without name or op", i);
        if (lookup(L, t->name, strlen(t->name)) >= 0)
            return fp_error_set(L->err, FP_ERR_FORMAT, "model.json: duplicate node '%s'", t->name);
        size_t mask = (size_t)L->table_size - 1;
        size_t h = hash_name(t->name, strlen(t->name)) & mask;
        while (L->table[h] >= 0)
            h = (h + 1) & mask;
        L->table[h] = i;
    }
    for (int i = 0; i < L->n; i++) {
        tf_node *t = &L->nodes[i];
        const fp_json *inputs = fp_json_get(t->node, "input");
        if (inputs && inputs->type != FP_JSON_ARRAY)
            return fp_error_set(L->err, FP_ERR_FORMAT, "model.json: node '%s': bad input list", t->name);
        int cnt = inputs ? (int)inputs->length : 0;
        t->deps = malloc((size_t)(cnt ? cnt : 1) * sizeof *t->deps);
        if (!t->deps)
            return fp_error_set(L->err, FP_ERR_NOMEM, "model.json: out of memory");
        for (int k = 0; k < cnt; k++) {
            const fp_json *ref = inputs->items[k];
            int idx;
            if (ref->type != FP_JSON_STRING)
                return fp_error_set(L->err, FP_ERR_FORMAT, "model.json: node '%s': bad input", t->name);
            int p = resolve_input(L, ref->string, &idx);
            if (p == -2)
                continue;
            if (p < 0)
                return fp_error_set(L->err, FP_ERR_FORMAT, "model.json: node '%s': unknown input '%s'", t->name,
                                    ref->string);
            t->deps[t->n_deps++] = p;
        }
    }
    return FP_OK;
}

static fp_status attach_weights(loader *L)
{
    for (int i = 0; i < L->w->n; i++) {
        const char *name = L->w->items[i].name;
        int k = lookup(L, name, strlen(name));
        if (k >= 0 && strcmp(L->nodes[k].op, "Const") == 0)
            L->nodes[k].weight = i;
    }
    for (int i = 0; i < L->n; i++)
        if (strcmp(L->nodes[i].op, "Const") == 0 && L->nodes[i].weight < 0)
            return fp_error_set(L->err, FP_ERR_FORMAT, "model.json: constant '%s' has no weights",
                                L->nodes[i].name);
    return FP_OK;
}

static fp_status add_inputs(loader *L, const fp_json *sig, const fp_nn_options *options)
{
    for (int i = 0; i < L->n; i++) {
        tf_node *t = &L->nodes[i];
        if (strcmp(t->op, "Placeholder") != 0)
            continue;
        nn_shape s;
        if (parse_tensor_shape(fp_json_get(attr(t, "shape"), "shape"), &s) != FP_OK) {
            /* fall back to the signature entry that names this node */
            const fp_json *ins = fp_json_get(sig, "inputs");
            int found = 0;
            for (size_t k = 0; ins && k < ins->length && !found; k++) {
                const char *nm = fp_json_get_string(ins->items[k], "name");
                char base[256];
                public_name(nm ? nm : "", base, sizeof base);
                if (strcmp(base, t->name) == 0)
                    found = parse_tensor_shape(fp_json_get(ins->items[k], "tensorShape"), &s) == FP_OK;
            }
            if (!found)
                return fp_error_set(L->err, FP_ERR_FORMAT, "model.json: input '%s' has no shape", t->name);
        }
        t->value = nn_graph_input(L->g, t->name, &s);
        if (t->value < 0)
            return fp_error_set(L->err, FP_ERR_NOMEM, "model.json: out of memory");
    }
    if (L->g->n_inputs == 0)
        return fp_error_set(L->err, FP_ERR_FORMAT, "model.json: no Placeholder input");
    return nn_apply_input_shapes(L->g, options, L->err);
}

/* Converts every node reachable from the outputs, producers first (Kahn). */
static fp_status build_nodes(loader *L)
{
    int *queue = malloc((size_t)L->n * sizeof *queue);
    int **users = calloc((size_t)L->n, sizeof *users);
    int *n_users = calloc((size_t)L->n, sizeof *n_users);
    fp_status st = FP_OK;
    if (!queue || !users || !n_users) {
        st = fp_error_set(L->err, FP_ERR_NOMEM, "model.json: out of memory");
        goto done;
    }
    for (int i = 0; i < L->n; i++)
        for (int k = 0; k < L->nodes[i].n_deps; k++)
            n_users[L->nodes[i].deps[k]]++;
    for (int i = 0; i < L->n; i++) {
        users[i] = malloc((size_t)(n_users[i] ? n_users[i] : 1) * sizeof **users);
        if (!users[i]) {
            st = fp_error_set(L->err, FP_ERR_NOMEM, "model.json: out of memory");
            goto done;
        }
        n_users[i] = 0;
    }
    for (int i = 0; i < L->n; i++) {
        L->nodes[i].pending = L->nodes[i].n_deps;
        for (int k = 0; k < L->nodes[i].n_deps; k++) {
            int p = L->nodes[i].deps[k];
            users[p][n_users[p]++] = i;
        }
    }
    int head = 0, tail = 0;
    for (int i = 0; i < L->n; i++)
        if (L->nodes[i].pending == 0)
            queue[tail++] = i;
    int done_count = 0;
    while (head < tail && st == FP_OK) {
        tf_node *t = &L->nodes[queue[head++]];
        done_count++;
        if (strcmp(t->op, "Const") && strcmp(t->op, "Placeholder") && strcmp(t->op, "NoOp")) {
            int v = convert_node(L, t);
            if (v < 0)
                st = (fp_status)v;
            else
                t->value = v;
        }
        int me = (int)(t - L->nodes);
        for (int k = 0; k < n_users[me]; k++)
            if (--L->nodes[users[me][k]].pending == 0)
                queue[tail++] = users[me][k];
    }
    if (st == FP_OK && done_count != L->n)
        st = fp_error_set(L->err, FP_ERR_FORMAT, "model.json: the graph has a cycle");
done:
    if (users)
        for (int i = 0; i < L->n; i++)
            free(users[i]);
    free(users);
    free(n_users);
    free(queue);
    return st;
}

static fp_status mark_outputs(loader *L, const fp_json *sig)
{
    const fp_json *outs = fp_json_get(sig, "outputs");
    if (!outs || outs->type != FP_JSON_OBJECT || outs->length == 0)
        return fp_error_set(L->err, FP_ERR_FORMAT, "model.json: no signature outputs");
    for (size_t i = 0; i < outs->length; i++) {
        const char *tensor = fp_json_get_string(outs->items[i], "name");
        int idx;
        int k = tensor ? resolve_input(L, tensor, &idx) : -1;
        if (k < 0 || L->nodes[k].value < 0 || idx != 0)
            return fp_error_set(L->err, FP_ERR_FORMAT, "model.json: output '%s' not produced", outs->keys[i]);
        /* outputs get their public name through an Identity so that two
         * outputs of one tensor, or an input used as output, stay distinct */
        char name[256];
        public_name(outs->keys[i], name, sizeof name);
        int src = L->nodes[k].value;
        int v = nn_graph_node(L->g, NN_OP_IDENTITY, name, &src, 1, NULL);
        if (v < 0)
            return fp_error_set(L->err, FP_ERR_NOMEM, "model.json: out of memory");
        L->g->values[v].shape = L->g->values[src].shape;
        fp_status st = nn_graph_mark_output(L->g, v);
        if (st != FP_OK)
            return fp_error_set(L->err, st, "model.json: cannot mark output");
    }
    /* public input names too */
    const fp_json *ins = fp_json_get(sig, "inputs");
    for (size_t i = 0; ins && ins->type == FP_JSON_OBJECT && i < ins->length; i++) {
        const char *tensor = fp_json_get_string(ins->items[i], "name");
        int idx;
        int k = tensor ? resolve_input(L, tensor, &idx) : -1;
        if (k < 0 || L->nodes[k].value < 0)
            continue;
        char name[256];
        public_name(outs == ins ? "" : ins->keys[i], name, sizeof name);
        char *dup = strdup(name);
        if (!dup)
            return fp_error_set(L->err, FP_ERR_NOMEM, "model.json: out of memory");
        free(L->g->values[L->nodes[k].value].name);
        L->g->values[L->nodes[k].value].name = dup;
    }
    return FP_OK;
}

fp_status nn_load_tfjs_graph(const char *path, const fp_nn_options *options, nn_graph **out, fp_error *err)
{
    *out = NULL;
    char *text = NULL;
    size_t len;
    fp_json_doc *doc = NULL;
    loader L = {.err = err};
    fp_status st = fp_read_file(path, MAX_MODEL_JSON, &text, &len, err);
    if (st == FP_OK)
        st = fp_json_parse(text, len, NULL, &doc, err);
    free(text);
    const fp_json *root = st == FP_OK ? fp_json_root(doc) : NULL;
    if (st == FP_OK) {
        const char *format = fp_json_get_string(root, "format");
        if (!format || strcmp(format, "graph-model") != 0)
            st = fp_error_set(err, FP_ERR_UNSUPPORTED, "%s: not a TF.js graph model (format '%s')", path,
                              format ? format : "missing");
    }
    if (st == FP_OK)
        st = nn_graph_new(&L.g) == FP_OK ? FP_OK : fp_error_set(err, FP_ERR_NOMEM, "out of memory");
    if (st == FP_OK)
        st = index_nodes(&L, fp_json_get(fp_json_get(root, "modelTopology"), "node"));
    if (st == FP_OK) {
        char dir[4096];
        fp_path_dirname(path, dir, sizeof dir);
        st = nn_weights_load(fp_json_get(root, "weightsManifest"), dir, &L.w, err);
    }
    if (st == FP_OK)
        st = attach_weights(&L);
    const fp_json *sig = st == FP_OK ? signature_of(root) : NULL;
    if (st == FP_OK)
        st = add_inputs(&L, sig, options);
    if (st == FP_OK)
        st = build_nodes(&L);
    if (st == FP_OK)
        st = mark_outputs(&L, sig);
    for (int i = 0; L.nodes && i < L.n; i++)
        free(L.nodes[i].deps);
    free(L.nodes);
    free(L.table);
    nn_weights_free(L.w);
    fp_json_doc_free(doc);
    if (st != FP_OK) {
        nn_graph_free(L.g);
        return st;
    }
    *out = L.g;
    return FP_OK;
}
