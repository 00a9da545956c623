#include "nn/ops.h"

#include <math.h>
#include <pthread.h>

/* The table is immutable after its one-time initialisation. */
static nn_op_impl op_table[NN_OP_COUNT];
static pthread_once_t op_table_once = PTHREAD_ONCE_INIT;

static void op_table_init(void)
{
    nn_ops_register_conv(op_table);
    nn_ops_register_elementwise(op_table);
    nn_ops_register_reduce(op_table);
    nn_ops_register_pool(op_table);
    nn_ops_register_shape(op_table);
    nn_ops_register_dwpw(op_table);
}

const nn_op_impl *nn_op_impl_get(nn_op op)
{
    pthread_once(&op_table_once, op_table_init);
    if (op < 0 || op >= NN_OP_COUNT || !op_table[op].run)
        return NULL;
    return &op_table[op];
}

fp_status nn_op_fail(const nn_node *n, fp_error *err, fp_status st, const char *what)
{
    return fp_error_set(err, st, "node '%s' (%s): %s", n->name, nn_op_name(n->op), what);
}

fp_status nn_conv_out_size(int64_t in, int k, int stride, int dilation, nn_pad_mode mode, int pad_lo, int pad_hi,
                           int64_t *out, int *pad_before)
{
    if (k < 1 || stride < 1 || dilation < 1 || in < 1)
        return FP_ERR_SHAPE;
    int64_t eff = (int64_t)(k - 1) * dilation + 1;
    switch (mode) {
    case NN_PAD_SAME: {
        /* TensorFlow's rule: the extra pixel of an odd total goes after */
        int64_t o = (in + stride - 1) / stride;
        int64_t total = (o - 1) * stride + eff - in;
        if (total < 0)
            total = 0;
        *out = o;
        *pad_before = (int)(total / 2);
        return FP_OK;
    }
    case NN_PAD_EXPLICIT:
        in += pad_lo + pad_hi;
        *pad_before = pad_lo;
        break;
    default:
        *pad_before = 0;
    }
    if (in < eff)
        return FP_ERR_SHAPE;
    *out = (in - eff) / stride + 1;
    return FP_OK;
}

void nn_apply_act(float *x, int64_t n, int64_t channels, nn_act act, const float *prelu, float leaky)
{
    switch (act) {
    case NN_ACT_RELU:
        for (int64_t i = 0; i < n; i++) x[i] = x[i] > 0 ? x[i] : 0;
        break;
    case NN_ACT_RELU6:
        for (int64_t i = 0; i < n; i++) x[i] = x[i] < 0 ? 0 : (x[i] > 6 ? 6 : x[i]);
        break;
    case NN_ACT_LEAKY_RELU:
        for (int64_t i = 0; i < n; i++) x[i] = x[i] < 0 ? x[i] * leaky : x[i];
        break;
    case NN_ACT_PRELU:
        for (int64_t i = 0; i < n; i++) x[i] = x[i] < 0 ? x[i] * prelu[i % channels] : x[i];
        break;
    case NN_ACT_SIGMOID:
        for (int64_t i = 0; i < n; i++) x[i] = 1.0f / (1.0f + expf(-x[i]));
        break;
    default:
        break;
    }
}
