/* Element-wise unary and binary ops with numpy broadcasting. These are
 * memory-bound; the common cases (same shape, scalar, per-channel vector)
 * get straight loops the compiler vectorises, the rest a generic walk. */
#include <math.h>
#include <string.h>

#include "nn/ops.h"

typedef float (*binary_fn)(float a, float b);

static float f_add(float a, float b) { return a + b; }
static float f_sub(float a, float b) { return a - b; }
static float f_mul(float a, float b) { return a * b; }
static float f_div(float a, float b) { return a / b; }
static float f_max(float a, float b) { return a > b ? a : (isnan(a) ? a : b); }
static float f_min(float a, float b) { return a < b ? a : (isnan(a) ? a : b); }
static float f_sqdiff(float a, float b) { return (a - b) * (a - b); }
static float f_prelu(float x, float alpha) { return x < 0 ? x * alpha : x; }

static binary_fn binary_for(nn_op op)
{
    switch (op) {
    case NN_OP_ADD: case NN_OP_BIAS_ADD: return f_add;
    case NN_OP_SUB: return f_sub;
    case NN_OP_MUL: return f_mul;
    case NN_OP_DIV: return f_div;
    case NN_OP_MAXIMUM: return f_max;
    case NN_OP_MINIMUM: return f_min;
    case NN_OP_SQUARED_DIFF: return f_sqdiff;
    case NN_OP_PRELU: return f_prelu;
    default: return NULL;
    }
}

static fp_status binary_infer(nn_graph *g, nn_node *n, fp_error *err)
{
    if (n->n_inputs != 2)
        return nn_op_fail(n, err, FP_ERR_FORMAT, "expects two inputs");
    nn_shape out;
    if (nn_shape_broadcast(nn_in_shape(g, n, 0), nn_in_shape(g, n, 1), &out) != FP_OK)
        return nn_op_fail(n, err, FP_ERR_SHAPE, "operand shapes cannot be broadcast");
    *nn_out_shape(g, n) = out;
    return FP_OK;
}

/* Inner loops specialised per op so the compiler can vectorise them. */
#define DEFINE_LOOPS(NAME, EXPR)                                                                      \
    static void NAME##_vv(const float *a, const float *b, float *o, int64_t n)                      \
    {                                                                                               \
        for (int64_t i = 0; i < n; i++) { float x = a[i], y = b[i]; o[i] = (EXPR); }                \
    }                                                                                               \
    static void NAME##_vs(const float *a, float y, float *o, int64_t n)                             \
    {                                                                                               \
        for (int64_t i = 0; i < n; i++) { float x = a[i]; o[i] = (EXPR); }                          \
    }                                                                                               \
    static void NAME##_sv(float x, const float *b, float *o, int64_t n)                             \
    {                                                                                               \
        for (int64_t i = 0; i < n; i++) { float y = b[i]; o[i] = (EXPR); }                          \
    }

DEFINE_LOOPS(add, x + y)
DEFINE_LOOPS(sub, x - y)
DEFINE_LOOPS(mul, x * y)
DEFINE_LOOPS(div, x / y)
DEFINE_LOOPS(max, x > y ? x : y)
DEFINE_LOOPS(min, x < y ? x : y)
DEFINE_LOOPS(sqd, (x - y) * (x - y))
DEFINE_LOOPS(prelu, x < 0 ? x * y : x)

typedef struct {
    void (*vv)(const float *, const float *, float *, int64_t);
    void (*vs)(const float *, float, float *, int64_t);
    void (*sv)(float, const float *, float *, int64_t);
} loop_set;

static loop_set loops_for(nn_op op)
{
    switch (op) {
    case NN_OP_ADD: case NN_OP_BIAS_ADD: return (loop_set){add_vv, add_vs, add_sv};
    case NN_OP_SUB: return (loop_set){sub_vv, sub_vs, sub_sv};
    case NN_OP_MUL: return (loop_set){mul_vv, mul_vs, mul_sv};
    case NN_OP_DIV: return (loop_set){div_vv, div_vs, div_sv};
    case NN_OP_MAXIMUM: return (loop_set){max_vv, max_vs, max_sv};
    case NN_OP_MINIMUM: return (loop_set){min_vv, min_vs, min_sv};
    case NN_OP_SQUARED_DIFF: return (loop_set){sqd_vv, sqd_vs, sqd_sv};
    default: return (loop_set){prelu_vv, prelu_vs, prelu_sv};
    }
}

/* Walks the output in rows of its last dimension; each operand either
 * advances along that row (stride 1) or repeats one value (stride 0). */
static void binary_generic(const float *a, const nn_shape *sa, const float *b, const nn_shape *sb, float *o,
                           const nn_shape *so, nn_op op)
{
    int r = so->rank;
    int64_t stra[NN_MAX_RANK] = {0}, strb[NN_MAX_RANK] = {0};
    int64_t acc_a = 1, acc_b = 1;
    for (int i = r - 1; i >= 0; i--) {
        int ia = sa->rank - r + i, ib = sb->rank - r + i;
        int64_t da = ia >= 0 ? sa->dim[ia] : 1, db = ib >= 0 ? sb->dim[ib] : 1;
        stra[i] = da == 1 ? 0 : acc_a;
        strb[i] = db == 1 ? 0 : acc_b;
        acc_a *= da;
        acc_b *= db;
    }
    int64_t inner = r ? so->dim[r - 1] : 1;
    int64_t outer = inner ? nn_shape_numel(so) / inner : 0;
    loop_set ls = loops_for(op);
    binary_fn f = binary_for(op);
    int64_t idx[NN_MAX_RANK] = {0};
    for (int64_t row = 0; row < outer; row++) {
        int64_t oa = 0, ob = 0;
        for (int i = 0; i < r - 1; i++) {
            oa += idx[i] * stra[i];
            ob += idx[i] * strb[i];
        }
        const float *pa = a + oa, *pb = b + ob;
        float *po = o + row * inner;
        int64_t la = r ? stra[r - 1] : 0, lb = r ? strb[r - 1] : 0;
        if (la && lb)
            ls.vv(pa, pb, po, inner);
        else if (la)
            ls.vs(pa, pb[0], po, inner);
        else if (lb)
            ls.sv(pa[0], pb, po, inner);
        else
            for (int64_t i = 0; i < inner; i++) po[i] = f(pa[0], pb[0]);
        for (int i = r - 2; i >= 0; i--) { /* odometer over the outer dims */
            if (++idx[i] < so->dim[i])
                break;
            idx[i] = 0;
        }
    }
}

static void binary_run(const nn_exec_ctx *ctx, const nn_graph *g, const nn_node *n)
{
    const nn_shape *sa = nn_in_shape(g, n, 0), *sb = nn_in_shape(g, n, 1);
    const nn_shape *so = &g->values[n->output].shape;
    const float *a = ctx->ptrs[n->inputs[0]], *b = ctx->ptrs[n->inputs[1]];
    float *o = ctx->ptrs[n->output];
    int64_t na = nn_shape_numel(sa), nb = nn_shape_numel(sb), no = nn_shape_numel(so);
    loop_set ls = loops_for(n->op);
    if (na == no && nb == no)
        ls.vv(a, b, o, no);
    else if (na == no && nb == 1)
        ls.vs(a, b[0], o, no);
    else if (nb == no && na == 1)
        ls.sv(a[0], b, o, no);
    else
        binary_generic(a, sa, b, sb, o, so, n->op);
}

static fp_status unary_infer(nn_graph *g, nn_node *n, fp_error *err)
{
    if (n->n_inputs < 1)
        return nn_op_fail(n, err, FP_ERR_FORMAT, "expects one input");
    *nn_out_shape(g, n) = *nn_in_shape(g, n, 0);
    return FP_OK;
}

static void unary_run(const nn_exec_ctx *ctx, const nn_graph *g, const nn_node *n)
{
    const float *x = ctx->ptrs[n->inputs[0]];
    float *y = ctx->ptrs[n->output];
    int64_t cnt = nn_shape_numel(&g->values[n->output].shape);
    switch (n->op) {
    case NN_OP_ABS: for (int64_t i = 0; i < cnt; i++) y[i] = fabsf(x[i]); break;
    case NN_OP_NEG: for (int64_t i = 0; i < cnt; i++) y[i] = -x[i]; break;
    case NN_OP_SQUARE: for (int64_t i = 0; i < cnt; i++) y[i] = x[i] * x[i]; break;
    case NN_OP_SQRT: for (int64_t i = 0; i < cnt; i++) y[i] = sqrtf(x[i]); break;
    case NN_OP_RSQRT: for (int64_t i = 0; i < cnt; i++) y[i] = 1.0f / sqrtf(x[i]); break;
    case NN_OP_EXP: for (int64_t i = 0; i < cnt; i++) y[i] = expf(x[i]); break;
    case NN_OP_LOG: for (int64_t i = 0; i < cnt; i++) y[i] = logf(x[i]); break;
    case NN_OP_TANH: for (int64_t i = 0; i < cnt; i++) y[i] = tanhf(x[i]); break;
    default: {
        nn_act act = n->op == NN_OP_RELU ? NN_ACT_RELU
                   : n->op == NN_OP_RELU6 ? NN_ACT_RELU6
                   : n->op == NN_OP_LEAKY_RELU ? NN_ACT_LEAKY_RELU : NN_ACT_SIGMOID;
        if (y != x)
            memcpy(y, x, (size_t)cnt * sizeof *y);
        nn_apply_act(y, cnt, 1, act, NULL, n->attrs.act_alpha);
    }
    }
}

void nn_ops_register_elementwise(nn_op_impl *t)
{
    static const nn_op binary_ops[] = {NN_OP_ADD, NN_OP_SUB, NN_OP_MUL, NN_OP_DIV, NN_OP_MAXIMUM,
                                       NN_OP_MINIMUM, NN_OP_SQUARED_DIFF, NN_OP_PRELU, NN_OP_BIAS_ADD};
    static const nn_op unary_ops[] = {NN_OP_ABS, NN_OP_NEG, NN_OP_SQUARE, NN_OP_SQRT, NN_OP_RSQRT,
                                      NN_OP_EXP, NN_OP_LOG, NN_OP_TANH, NN_OP_RELU, NN_OP_RELU6,
                                      NN_OP_LEAKY_RELU, NN_OP_SIGMOID};
    for (size_t i = 0; i < sizeof binary_ops / sizeof *binary_ops; i++)
        t[binary_ops[i]] = (nn_op_impl){binary_infer, NULL, NULL, binary_run, 0};
    for (size_t i = 0; i < sizeof unary_ops / sizeof *unary_ops; i++)
        t[unary_ops[i]] = (nn_op_impl){unary_infer, NULL, NULL, unary_run, 0};
}
