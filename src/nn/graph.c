#include "nn/graph.h"

#include <stdlib.h>
#include <string.h>

static const char *const op_names[NN_OP_COUNT] = {
    [NN_OP_INPUT] = "Input", [NN_OP_CONST] = "Const", [NN_OP_CONV2D] = "Conv2D",
    [NN_OP_DWCONV2D] = "DepthwiseConv2D", [NN_OP_MATMUL] = "MatMul", [NN_OP_ADD] = "Add",
    [NN_OP_SUB] = "Sub", [NN_OP_MUL] = "Mul", [NN_OP_DIV] = "RealDiv", [NN_OP_MAXIMUM] = "Maximum",
    [NN_OP_MINIMUM] = "Minimum", [NN_OP_SQUARED_DIFF] = "SquaredDifference", [NN_OP_ABS] = "Abs",
    [NN_OP_NEG] = "Neg", [NN_OP_SQUARE] = "Square", [NN_OP_SQRT] = "Sqrt", [NN_OP_RSQRT] = "Rsqrt",
    [NN_OP_EXP] = "Exp", [NN_OP_LOG] = "Log", [NN_OP_RELU] = "Relu", [NN_OP_RELU6] = "Relu6",
    [NN_OP_LEAKY_RELU] = "LeakyRelu", [NN_OP_SIGMOID] = "Sigmoid", [NN_OP_TANH] = "Tanh",
    [NN_OP_PRELU] = "Prelu", [NN_OP_SOFTMAX] = "Softmax", [NN_OP_SUM] = "Sum", [NN_OP_MEAN] = "Mean",
    [NN_OP_MAX_REDUCE] = "Max", [NN_OP_MAXPOOL] = "MaxPool", [NN_OP_AVGPOOL] = "AvgPool",
    [NN_OP_PAD] = "Pad", [NN_OP_RESHAPE] = "Reshape", [NN_OP_CONCAT] = "Concat",
    [NN_OP_STRIDED_SLICE] = "StridedSlice", [NN_OP_SLICE] = "Slice", [NN_OP_TRANSPOSE] = "Transpose",
    [NN_OP_RESIZE_BILINEAR] = "ResizeBilinear", [NN_OP_IDENTITY] = "Identity",
    [NN_OP_BIAS_ADD] = "BiasAdd", [NN_OP_DWPW] = "DepthwisePointwise",
};

const char *nn_op_name(nn_op op)
{
    return op >= 0 && op < NN_OP_COUNT && op_names[op] ? op_names[op] : "?";
}

void nn_attrs_init(nn_attrs *a)
{
    memset(a, 0, sizeof *a);
    a->stride[0] = a->stride[1] = 1;
    a->dilation[0] = a->dilation[1] = 1;
    a->ksize[0] = a->ksize[1] = 1;
    a->pad_mode = NN_PAD_VALID;
    a->fused_add_input = -1;
    a->axis = -1;
}

fp_status nn_graph_new(nn_graph **out)
{
    *out = calloc(1, sizeof **out);
    return *out ? FP_OK : FP_ERR_NOMEM;
}

void nn_graph_free(nn_graph *g)
{
    if (!g)
        return;
    for (int i = 0; i < g->n_values; i++) {
        free(g->values[i].name);
        free(g->values[i].data);
    }
    for (int i = 0; i < g->n_nodes; i++) {
        free(g->nodes[i].name);
        if (g->nodes[i].prepared && g->nodes[i].prepared_free)
            g->nodes[i].prepared_free(g->nodes[i].prepared);
    }
    free(g->values);
    free(g->nodes);
    free(g->inputs);
    free(g->outputs);
    free(g->order);
    free(g);
}

static int grow(void **arr, int *cap, int need, size_t elem)
{
    if (need <= *cap)
        return 1;
    int nc = *cap ? *cap * 2 : 64;
    while (nc < need)
        nc *= 2;
    void *p = realloc(*arr, (size_t)nc * elem);
    if (!p)
        return 0;
    *arr = p;
    *cap = nc;
    return 1;
}

static int add_value(nn_graph *g, const char *name, const nn_shape *shape)
{
    if (!grow((void **)&g->values, &g->cap_values, g->n_values + 1, sizeof *g->values))
        return FP_ERR_NOMEM;
    nn_value *v = &g->values[g->n_values];
    memset(v, 0, sizeof *v);
    v->name = strdup(name ? name : "");
    if (!v->name)
        return FP_ERR_NOMEM;
    if (shape)
        v->shape = *shape;
    v->producer = -1;
    v->offset = -1;
    v->alias_of = -1;
    return g->n_values++;
}

static int push_index(int **arr, int *n, int value)
{
    int *p = realloc(*arr, (size_t)(*n + 1) * sizeof *p);
    if (!p)
        return 0;
    p[(*n)++] = value;
    *arr = p;
    return 1;
}

int nn_graph_input(nn_graph *g, const char *name, const nn_shape *shape)
{
    int v = add_value(g, name, shape);
    if (v < 0)
        return v;
    g->values[v].is_input = 1;
    if (!push_index(&g->inputs, &g->n_inputs, v))
        return FP_ERR_NOMEM;
    return v;
}

int nn_graph_const(nn_graph *g, const char *name, const nn_shape *shape, float *data)
{
    int v = add_value(g, name, shape);
    if (v < 0) {
        free(data);
        return v;
    }
    g->values[v].is_const = 1;
    g->values[v].data = data;
    return v;
}

int nn_graph_const_copy(nn_graph *g, const char *name, const nn_shape *shape, const float *data)
{
    int64_t n = nn_shape_numel(shape);
    float *copy = malloc((size_t)(n > 0 ? n : 1) * sizeof *copy);
    if (!copy)
        return FP_ERR_NOMEM;
    if (n > 0)
        memcpy(copy, data, (size_t)n * sizeof *copy);
    return nn_graph_const(g, name, shape, copy);
}

int nn_graph_node(nn_graph *g, nn_op op, const char *name, const int *inputs, int n_inputs,
                  const nn_attrs *attrs)
{
    if (n_inputs < 0 || n_inputs > NN_MAX_INPUTS || op <= NN_OP_CONST || op >= NN_OP_COUNT)
        return FP_ERR_INVALID_ARG;
    for (int i = 0; i < n_inputs; i++)
        if (inputs[i] < 0 || inputs[i] >= g->n_values)
            return FP_ERR_INVALID_ARG;
    if (!grow((void **)&g->nodes, &g->cap_nodes, g->n_nodes + 1, sizeof *g->nodes))
        return FP_ERR_NOMEM;
    int out = add_value(g, name, NULL);
    if (out < 0)
        return out;
    nn_node *n = &g->nodes[g->n_nodes];
    memset(n, 0, sizeof *n);
    n->op = op;
    n->name = strdup(name ? name : "");
    if (!n->name)
        return FP_ERR_NOMEM;
    memcpy(n->inputs, inputs, (size_t)n_inputs * sizeof *inputs);
    n->n_inputs = n_inputs;
    n->output = out;
    if (attrs)
        n->attrs = *attrs;
    else
        nn_attrs_init(&n->attrs);
    g->values[out].producer = g->n_nodes;
    g->n_nodes++;
    return out;
}

fp_status nn_graph_mark_output(nn_graph *g, int value)
{
    if (value < 0 || value >= g->n_values)
        return FP_ERR_INVALID_ARG;
    g->values[value].is_output = 1;
    return push_index(&g->outputs, &g->n_outputs, value) ? FP_OK : FP_ERR_NOMEM;
}

int nn_graph_find_value(const nn_graph *g, const char *name)
{
    for (int i = g->n_values - 1; i >= 0; i--)
        if (strcmp(g->values[i].name, name) == 0)
            return i;
    return -1;
}

static int conv_like(nn_graph *g, nn_op op, const char *name, int x, int filter, int bias, int stride,
                     nn_pad_mode pad, nn_act act)
{
    nn_attrs a;
    nn_attrs_init(&a);
    a.stride[0] = a.stride[1] = stride;
    a.pad_mode = pad;
    a.act = act;
    int in[3] = {x, filter, bias};
    a.has_bias = bias >= 0;
    return nn_graph_node(g, op, name, in, bias >= 0 ? 3 : 2, &a);
}

int nn_build_conv2d(nn_graph *g, const char *name, int x, int filter, int bias, int stride,
                    nn_pad_mode pad, nn_act act)
{
    return conv_like(g, NN_OP_CONV2D, name, x, filter, bias, stride, pad, act);
}

int nn_build_dwconv2d(nn_graph *g, const char *name, int x, int filter, int bias, int stride,
                      nn_pad_mode pad, nn_act act)
{
    return conv_like(g, NN_OP_DWCONV2D, name, x, filter, bias, stride, pad, act);
}

int nn_build_binary(nn_graph *g, nn_op op, const char *name, int a, int b)
{
    int in[2] = {a, b};
    return nn_graph_node(g, op, name, in, 2, NULL);
}

int nn_build_unary(nn_graph *g, nn_op op, const char *name, int x)
{
    return nn_graph_node(g, op, name, &x, 1, NULL);
}

int nn_build_pool(nn_graph *g, nn_op op, const char *name, int x, int k, int stride, nn_pad_mode pad)
{
    nn_attrs a;
    nn_attrs_init(&a);
    a.ksize[0] = a.ksize[1] = k;
    a.stride[0] = a.stride[1] = stride;
    a.pad_mode = pad;
    return nn_graph_node(g, op, name, &x, 1, &a);
}

int64_t nn_shape_numel(const nn_shape *s)
{
    /* saturates instead of overflowing: hostile model files can declare
     * dimensions whose product exceeds int64; callers reject huge counts */
    int64_t n = 1;
    for (int i = 0; i < s->rank; i++) {
        int64_t d = s->dim[i];
        if (d < 0)
            return -1;
        if (d != 0 && n > INT64_MAX / d)
            return INT64_MAX;
        n *= d;
    }
    return n;
}

int nn_shape_equal(const nn_shape *a, const nn_shape *b)
{
    if (a->rank != b->rank)
        return 0;
    for (int i = 0; i < a->rank; i++)
        if (a->dim[i] != b->dim[i])
            return 0;
    return 1;
}

nn_shape nn_shape_make(int rank, const int64_t *dims)
{
    nn_shape s;
    memset(&s, 0, sizeof s);
    s.rank = rank;
    for (int i = 0; i < rank && i < NN_MAX_RANK; i++)
        s.dim[i] = dims[i];
    return s;
}

fp_status nn_shape_broadcast(const nn_shape *a, const nn_shape *b, nn_shape *out)
{
    nn_shape r;
    memset(&r, 0, sizeof r);
    r.rank = a->rank > b->rank ? a->rank : b->rank;
    for (int i = 0; i < r.rank; i++) {
        int ia = a->rank - r.rank + i, ib = b->rank - r.rank + i;
        int64_t da = ia >= 0 ? a->dim[ia] : 1, db = ib >= 0 ? b->dim[ib] : 1;
        if (da != db && da != 1 && db != 1)
            return FP_ERR_SHAPE;
        r.dim[i] = da == 1 ? db : da;
    }
    *out = r;
    return FP_OK;
}
