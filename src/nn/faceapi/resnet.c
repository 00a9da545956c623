/* face-api FaceRecognitionNet (src/faceRecognitionNet/): the dlib
 * ResNet-34-like 128-d face descriptor.
 *
 *   conv 7x7/2 valid (32) + relu, maxpool 3/2 valid
 *   3 x residual(32), residualDown(64) + 3 x residual(64),
 *   residualDown(128) + 2 x residual(128), residualDown(256) + 2 x residual(256),
 *   residualDown(256), mean over H,W, matmul fc [256,128].
 *
 * Every conv is conv + bias, then a "scale" layer (x * weights + biases) that
 * we fold into the filter and bias. residual: relu(conv2(relu(conv1(x))) + x);
 * residualDown: conv1 is 3x3/2 valid and the shortcut is avgpool 2/2 of x,
 * zero-extended in channels (and the main branch zero-extended by a row and a
 * column at the bottom/right when the pooled map is larger). */
#include <stdio.h>
#include <stdlib.h>

#include "faceapi_common.h"

/* conv + bias + scale folded: returns the conv node (act = relu or none). */
static int conv_scaled(fa_ctx *c, const char *prefix, int x, int64_t k, int64_t cin, int64_t cout,
                       int stride, nn_pad_mode pad, nn_act act)
{
    char name[160];
    int64_t fd[4] = {k, k, cin, cout};
    snprintf(name, sizeof name, "%s/conv/filters", prefix);
    nn_weight *f = fa_weight(c, name, 4, fd);
    snprintf(name, sizeof name, "%s/conv/bias", prefix);
    nn_weight *b = fa_weight(c, name, 1, &cout);
    snprintf(name, sizeof name, "%s/scale/weights", prefix);
    nn_weight *sw = fa_weight(c, name, 1, &cout);
    snprintf(name, sizeof name, "%s/scale/biases", prefix);
    nn_weight *sb = fa_weight(c, name, 1, &cout);
    if (!f || !b || !sw || !sb)
        return c->err->status;

    int64_t nf = k * k * cin * cout;
    float *ff = malloc((size_t)nf * sizeof *ff);
    float *fb = malloc((size_t)cout * sizeof *fb);
    if (!ff || !fb) {
        free(ff);
        free(fb);
        return fa_fail(c, FP_ERR_NOMEM, "out of memory folding '%s'", prefix);
    }
    for (int64_t i = 0; i < nf; i++)
        ff[i] = (float)((double)f->data[i] * (double)sw->data[i % cout]);
    for (int64_t o = 0; o < cout; o++)
        fb[o] = (float)((double)b->data[o] * (double)sw->data[o] + (double)sb->data[o]);

    snprintf(name, sizeof name, "%s/conv/filters_scaled", prefix);
    int fv = fa_const(c, name, 4, fd, ff);
    snprintf(name, sizeof name, "%s/conv/bias_scaled", prefix);
    int bv = fa_const(c, name, 1, &cout, fb);
    if (fv < 0 || bv < 0)
        return c->err->status;
    snprintf(name, sizeof name, "%s/conv", prefix);
    return fa_conv(c, name, x, fv, bv, stride, pad, act);
}

static int residual(fa_ctx *c, const char *prefix, int x, int64_t ch)
{
    char p1[128], p2[128], name[160];
    snprintf(p1, sizeof p1, "%s/conv1", prefix);
    snprintf(p2, sizeof p2, "%s/conv2", prefix);
    int y = conv_scaled(c, p1, x, 3, ch, ch, 1, NN_PAD_SAME, NN_ACT_RELU);
    y = conv_scaled(c, p2, y, 3, ch, ch, 1, NN_PAD_SAME, NN_ACT_NONE);
    snprintf(name, sizeof name, "%s/add", prefix);
    y = fa_binary(c, NN_OP_ADD, name, y, x);
    snprintf(name, sizeof name, "%s/relu", prefix);
    return fa_unary(c, NN_OP_RELU, name, y);
}

/* *hw: spatial size of x in, of the result out (square maps). */
static int residual_down(fa_ctx *c, const char *prefix, int x, int64_t cin, int64_t cout, int64_t *hw)
{
    char p1[128], p2[128], name[160];
    int64_t in = *hw;
    int64_t conv_out = in >= 3 ? (in - 3) / 2 + 1 : 0; /* 3x3/2 valid */
    int64_t pool_out = in / 2;                         /* 2/2 valid */
    if (conv_out < 1 || pool_out < conv_out)
        return fa_fail(c, FP_ERR_SHAPE, "'%s': feature map %lldx%lld is too small", prefix,
                       (long long)in, (long long)in);
    snprintf(p1, sizeof p1, "%s/conv1", prefix);
    snprintf(p2, sizeof p2, "%s/conv2", prefix);
    int y = conv_scaled(c, p1, x, 3, cin, cout, 2, NN_PAD_VALID, NN_ACT_RELU);
    y = conv_scaled(c, p2, y, 3, cout, cout, 1, NN_PAD_SAME, NN_ACT_NONE);

    snprintf(name, sizeof name, "%s/avgpool", prefix);
    int pooled = fa_pool(c, NN_OP_AVGPOOL, name, x, 2, 2, NN_PAD_VALID);
    if (cout != cin) {
        int64_t pads[4][2] = {{0, 0}, {0, 0}, {0, 0}, {0, cout - cin}};
        snprintf(name, sizeof name, "%s/avgpool_padc", prefix);
        pooled = fa_pad4(c, name, pooled, pads);
    }
    if (pool_out != conv_out) {
        int64_t d = pool_out - conv_out;
        int64_t pads[4][2] = {{0, 0}, {0, d}, {0, d}, {0, 0}};
        snprintf(name, sizeof name, "%s/pad_hw", prefix);
        y = fa_pad4(c, name, y, pads);
    }
    snprintf(name, sizeof name, "%s/add", prefix);
    y = fa_binary(c, NN_OP_ADD, name, pooled, y);
    snprintf(name, sizeof name, "%s/relu", prefix);
    *hw = pool_out;
    return fa_unary(c, NN_OP_RELU, name, y);
}

int fa_build_resnet(fa_ctx *c, const nn_shape *req)
{
    nn_shape in;
    int x = fa_input(c, req, 150, 150, 0, &in);
    if (x < 0)
        return x;
    int64_t hw = in.dim[1];

    x = conv_scaled(c, "conv32_down", x, 7, 3, 32, 2, NN_PAD_VALID, NN_ACT_RELU);
    hw = (hw - 7) / 2 + 1;
    x = fa_pool(c, NN_OP_MAXPOOL, "maxpool", x, 3, 2, NN_PAD_VALID);
    hw = (hw - 3) / 2 + 1;

    x = residual(c, "conv32_1", x, 32);
    x = residual(c, "conv32_2", x, 32);
    x = residual(c, "conv32_3", x, 32);

    x = residual_down(c, "conv64_down", x, 32, 64, &hw);
    x = residual(c, "conv64_1", x, 64);
    x = residual(c, "conv64_2", x, 64);
    x = residual(c, "conv64_3", x, 64);

    x = residual_down(c, "conv128_down", x, 64, 128, &hw);
    x = residual(c, "conv128_1", x, 128);
    x = residual(c, "conv128_2", x, 128);

    x = residual_down(c, "conv256_down", x, 128, 256, &hw);
    x = residual(c, "conv256_1", x, 256);
    x = residual(c, "conv256_2", x, 256);
    x = residual_down(c, "conv256_down_out", x, 256, 256, &hw);

    static const int axes[2] = {1, 2};
    x = fa_mean(c, "global_avg", x, axes, 2, 0);
    int64_t fd[2] = {256, 128};
    int fc = fa_take(c, "fc", 2, fd);
    if (fc < 0)
        return fc;
    x = fa_matmul(c, "descriptor", x, fc);
    return fa_output(c, x);
}
