/* Epilogue fusion: a Conv2D / DepthwiseConv2D / MatMul absorbs the chain of
 * cheap ops that follows it when it is their only producer, so the output
 * is written once while still in cache:
 *   * Mul by a per-channel constant (batch-norm scale) -> filter scaled
 *   * Add / BiasAdd of a per-channel constant           -> bias
 *   * Add of a same-shaped tensor (residual)            -> fused residual
 *   * Relu / Relu6 / LeakyRelu / Sigmoid / Prelu        -> activation
 * and a MaxPool absorbs a following Relu / Relu6.
 * The order bias -> residual -> activation matches the kernels' epilogue. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/compile.h"
#include "nn/ops.h"

static int64_t out_channels(const nn_graph *g, const nn_node *n)
{
    const nn_shape *s = &g->values[n->output].shape;
    return s->dim[s->rank - 1];
}

/* The constant operand of a binary node (the other being `from`), if it is a
 * per-channel vector: numel == channels and only the last axis non-1. */
static int channel_const(const nn_graph *g, const nn_node *c, int from, int64_t channels)
{
    if (c->n_inputs != 2)
        return -1;
    int other = c->inputs[0] == from ? c->inputs[1] : c->inputs[0];
    if (other == from || !g->values[other].is_const)
        return -1;
    const nn_shape *s = &g->values[other].shape;
    if (nn_shape_numel(s) != channels)
        return -1;
    if (s->rank > 0 && s->dim[s->rank - 1] != channels)
        return -1;
    /* the result must keep the conv output's shape (no broadcast growth) */
    if (!nn_shape_equal(&g->values[c->output].shape, &g->values[from].shape))
        return -1;
    return other;
}

/* The single live consumer of value v, or NULL. */
static nn_node *sole_consumer(nn_graph *g, int v, const int *consumer_of)
{
    if (g->values[v].n_consumers != 1 || g->values[v].is_output)
        return NULL;
    int c = consumer_of[v];
    return c >= 0 ? &g->nodes[c] : NULL;
}

/* Replaces input slot layout [x, w, bias?, prelu?, residual?] with a new one. */
static void set_epilogue_inputs(nn_node *n, int bias, int prelu, int residual)
{
    int k = 2;
    n->attrs.has_bias = bias >= 0;
    n->attrs.has_prelu = prelu >= 0;
    if (bias >= 0) n->inputs[k++] = bias;
    if (prelu >= 0) n->inputs[k++] = prelu;
    n->attrs.fused_add_input = residual >= 0 ? k : -1;
    if (residual >= 0) n->inputs[k++] = residual;
    n->n_inputs = k;
}

static void current_epilogue(const nn_node *n, int *bias, int *prelu, int *residual)
{
    int k = 2;
    *bias = n->attrs.has_bias ? n->inputs[k++] : -1;
    *prelu = n->attrs.has_prelu ? n->inputs[k++] : -1;
    *residual = n->attrs.fused_add_input >= 0 ? n->inputs[n->attrs.fused_add_input] : -1;
}

/* New constant = copy of value v (so shared weights are never mutated). */
static int clone_const(nn_graph *g, int v)
{
    nn_value *src = &g->values[v];
    char name[300];
    snprintf(name, sizeof name, "%s/fused", src->name);
    nn_shape shape = src->shape;
    return nn_graph_const_copy(g, name, &shape, src->data);
}

static int fold_scale(nn_graph *g, nn_node *n, int scale_v)
{
    int64_t channels = out_channels(g, n);
    int filter = clone_const(g, n->inputs[1]);
    if (filter < 0)
        return filter;
    n->inputs[1] = filter;
    float *w = g->values[filter].data;
    const float *s = g->values[scale_v].data;
    const nn_shape *fs = &g->values[filter].shape;
    int64_t total = nn_shape_numel(fs);
    if (n->op == NN_OP_MATMUL && n->attrs.transpose_b) {
        int64_t k = fs->dim[1];
        for (int64_t i = 0; i < total; i++)
            w[i] *= s[i / k];
    } else {
        for (int64_t i = 0; i < total; i++)
            w[i] *= s[i % channels];
    }
    int bias, prelu, residual;
    current_epilogue(n, &bias, &prelu, &residual);
    if (bias >= 0) {
        int nb = clone_const(g, bias);
        if (nb < 0)
            return nb;
        float *b = g->values[nb].data;
        for (int64_t c = 0; c < channels; c++)
            b[c] *= s[c];
        set_epilogue_inputs(n, nb, prelu, residual);
    }
    return 0;
}

static int fold_bias(nn_graph *g, nn_node *n, int add_v, int negate)
{
    int64_t channels = out_channels(g, n);
    int bias, prelu, residual;
    current_epilogue(n, &bias, &prelu, &residual);
    nn_shape vec = nn_shape_make(1, &channels);
    float *b = malloc((size_t)channels * sizeof *b);
    if (!b)
        return FP_ERR_NOMEM;
    const float *add = g->values[add_v].data;
    for (int64_t c = 0; c < channels; c++)
        b[c] = (bias >= 0 ? g->values[bias].data[c] : 0.0f) + (negate ? -add[c] : add[c]);
    char name[300];
    snprintf(name, sizeof name, "%s/bias", g->nodes[g->values[n->output].producer].name);
    int nb = nn_graph_const(g, name, &vec, b);
    if (nb < 0)
        return nb;
    set_epilogue_inputs(n, nb, prelu, residual);
    return 0;
}

/* Makes node n produce consumer c's output and retires c. */
static void absorb(nn_graph *g, nn_node *n, nn_node *c)
{
    int n_index = (int)(n - g->nodes);
    g->values[n->output].producer = -1;
    n->output = c->output;
    g->values[c->output].producer = n_index;
    c->dead = 1;
}

/* max and a non-decreasing activation commute, so a MaxPool may apply the
 * Relu that follows it to 4x fewer values than the op would see alone */
static int try_fuse_pool(nn_graph *g, nn_node *n, const int *consumer_of)
{
    nn_node *c = sole_consumer(g, n->output, consumer_of);
    if (!c || c->dead || n->attrs.act != NN_ACT_NONE || (c->op != NN_OP_RELU && c->op != NN_OP_RELU6))
        return 0;
    n->attrs.act = c->op == NN_OP_RELU ? NN_ACT_RELU : NN_ACT_RELU6;
    absorb(g, n, c);
    return 1;
}

/* Whether value v is computed (transitively) from node `node`. */
static int depends_on(const nn_graph *g, int v, int node)
{
    unsigned char *seen = calloc((size_t)g->n_nodes, 1);
    int *stack = malloc(((size_t)g->n_nodes + 1) * sizeof *stack);
    int found = 1; /* out of memory: say yes, which only forgoes a fusion */
    if (seen && stack) {
        int sp = 0;
        found = 0;
        if (g->values[v].producer >= 0)
            stack[sp++] = g->values[v].producer;
        while (sp > 0 && !found) {
            int p = stack[--sp];
            if (p == node) {
                found = 1;
                break;
            }
            if (seen[p])
                continue;
            seen[p] = 1;
            const nn_node *m = &g->nodes[p];
            for (int k = 0; k < m->n_inputs; k++) {
                int q = g->values[m->inputs[k]].producer;
                if (q >= 0 && !seen[q] && sp < g->n_nodes)
                    stack[sp++] = q;
            }
        }
    }
    free(seen);
    free(stack);
    return found;
}

static int try_fuse_once(nn_graph *g, nn_node *n, const int *consumer_of)
{
    if (n->op == NN_OP_MAXPOOL)
        return try_fuse_pool(g, n, consumer_of);
    nn_node *c = sole_consumer(g, n->output, consumer_of);
    if (!c || c->dead)
        return 0;
    int64_t channels = out_channels(g, n);
    int from = n->output;
    int no_act = n->attrs.act == NN_ACT_NONE;
    int no_residual = n->attrs.fused_add_input < 0;
    int v;
    switch (c->op) {
    case NN_OP_MUL:
        if (!no_act || !no_residual || (v = channel_const(g, c, from, channels)) < 0)
            return 0;
        if (fold_scale(g, n, v) < 0)
            return -1;
        break;
    case NN_OP_ADD:
    case NN_OP_BIAS_ADD:
    case NN_OP_SUB:
        if (!no_act)
            return 0;
        if ((v = channel_const(g, c, from, channels)) >= 0) {
            if (c->op == NN_OP_SUB && c->inputs[0] != from)
                return 0; /* const - x is not a bias */
            if (fold_bias(g, n, v, c->op == NN_OP_SUB) < 0)
                return -1;
        } else if (c->op == NN_OP_ADD && no_residual && c->n_inputs == 2) {
            int other = c->inputs[0] == from ? c->inputs[1] : c->inputs[0];
            const nn_value *ov = &g->values[other];
            if (other == from || ov->is_const || !nn_shape_equal(&ov->shape, &g->values[from].shape))
                return 0;
            /* the residual must not be computed from the conv itself; when
             * it comes later in the current order (a channel Pad of the
             * block input, visited after the conv branch) the order pass
             * that follows fusion simply moves it before the conv */
            if (depends_on(g, other, (int)(n - g->nodes)))
                return 0;
            int bias, prelu, residual;
            current_epilogue(n, &bias, &prelu, &residual);
            set_epilogue_inputs(n, bias, prelu, other);
        } else {
            return 0;
        }
        break;
    case NN_OP_RELU:
    case NN_OP_RELU6:
    case NN_OP_SIGMOID:
    case NN_OP_LEAKY_RELU:
        if (!no_act)
            return 0;
        n->attrs.act = c->op == NN_OP_RELU ? NN_ACT_RELU
                     : c->op == NN_OP_RELU6 ? NN_ACT_RELU6
                     : c->op == NN_OP_SIGMOID ? NN_ACT_SIGMOID : NN_ACT_LEAKY_RELU;
        n->attrs.act_alpha = c->attrs.act_alpha;
        break;
    case NN_OP_PRELU:
        if (!no_act || c->inputs[0] != from || (v = channel_const(g, c, from, channels)) < 0)
            return 0;
        {
            int bias, prelu, residual;
            current_epilogue(n, &bias, &prelu, &residual);
            set_epilogue_inputs(n, bias, v, residual);
            n->attrs.act = NN_ACT_PRELU;
        }
        break;
    default:
        return 0;
    }
    absorb(g, n, c);
    return 1;
}

fp_status nn_graph_fuse(nn_graph *g, fp_error *err)
{
    int consumer_cap = g->n_values;
    int *consumer_of = malloc((size_t)consumer_cap * sizeof *consumer_of);
    if (!consumer_of)
        return fp_error_set(err, FP_ERR_NOMEM, "graph: out of memory");
    fp_status st = FP_OK;
    for (int i = 0; i < g->n_order && st == FP_OK; i++) {
        nn_node *n = &g->nodes[g->order[i]];
        if (n->dead || (n->op != NN_OP_CONV2D && n->op != NN_OP_DWCONV2D && n->op != NN_OP_MATMUL &&
                        n->op != NN_OP_MAXPOOL))
            continue;
        for (;;) {
            /* consumers are recomputed per step because fusion rewires edges
             * and adds constants; the graph is small so this stays cheap */
            if (g->n_values > consumer_cap) {
                int *grown = realloc(consumer_of, (size_t)g->n_values * sizeof *grown);
                if (!grown) {
                    st = fp_error_set(err, FP_ERR_NOMEM, "graph: out of memory while fusing");
                    break;
                }
                consumer_of = grown;
                consumer_cap = g->n_values;
            }
            for (int v = 0; v < g->n_values; v++)
                consumer_of[v] = -1;
            for (int j = 0; j < g->n_order; j++) {
                const nn_node *m = &g->nodes[g->order[j]];
                if (m->dead)
                    continue;
                for (int k = 0; k < m->n_inputs; k++)
                    consumer_of[m->inputs[k]] = g->order[j];
            }
            n = &g->nodes[g->order[i]]; /* builder calls may have moved the arrays */
            int r = try_fuse_once(g, n, consumer_of);
            if (r < 0) {
                st = fp_error_set(err, FP_ERR_NOMEM, "graph: out of memory while fusing");
                break;
            }
            if (r == 0)
                break;
        }
    }
    free(consumer_of);
    return st;
}
