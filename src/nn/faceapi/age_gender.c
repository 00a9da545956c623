/* face-api AgeGenderNet (src/ageGenderNet/ + src/xception/TinyXception.ts with
 * 2 main blocks):
 *
 *   relu(conv_in 3x3/2 SAME + bias)                                   56x56x32
 *   reduction_block_0 (input not activated), reduction_block_1       28, 14
 *   main_block_0, main_block_1                                       14x14x128
 *   exit reduction_block, relu(separable_conv)                       7x7x512
 *   avgpool 7/2 valid, fc/age [512,1] -> age [N], fc/gender [512,2] -> logits,
 *   softmax -> gender_probs.
 *
 * reduction block: y = sep1(relu(sep0(a))), a = relu(x) or x;
 *                  maxpool 3/2 SAME(y) + expansion_conv 1x1/2 (x)
 * main block:      x + sep2(relu(sep1(relu(sep0(relu(x))))))
 * Separable convs are common/depthwiseSeparableConv (SAME, bias, no act); a
 * relu that only feeds the next conv is fused into the previous one. */
#include <stdio.h>

#include "faceapi_common.h"

static int reduction_block(fa_ctx *c, const char *prefix, int x, int64_t cin, int64_t cout,
                           int activate_input)
{
    char name[160], p[160];
    int a = x;
    if (activate_input) {
        snprintf(name, sizeof name, "%s/input_relu", prefix);
        a = fa_unary(c, NN_OP_RELU, name, x);
    }
    snprintf(p, sizeof p, "%s/separable_conv0", prefix);
    int y = fa_sepconv(c, p, a, cin, cout, 1, NN_ACT_RELU, 0.0f);
    snprintf(p, sizeof p, "%s/separable_conv1", prefix);
    y = fa_sepconv(c, p, y, cout, cout, 1, NN_ACT_NONE, 0.0f);
    snprintf(name, sizeof name, "%s/maxpool", prefix);
    y = fa_pool(c, NN_OP_MAXPOOL, name, y, 3, 2, NN_PAD_SAME);

    int64_t fd[4] = {1, 1, cin, cout};
    snprintf(name, sizeof name, "%s/expansion_conv/filters", prefix);
    int f = fa_take(c, name, 4, fd);
    snprintf(name, sizeof name, "%s/expansion_conv/bias", prefix);
    int b = fa_take(c, name, 1, &cout);
    if (f < 0 || b < 0)
        return c->err->status;
    snprintf(name, sizeof name, "%s/expansion_conv", prefix);
    int e = fa_conv(c, name, x, f, b, 2, NN_PAD_SAME, NN_ACT_NONE);
    snprintf(name, sizeof name, "%s/add", prefix);
    return fa_binary(c, NN_OP_ADD, name, y, e);
}

static int main_block(fa_ctx *c, const char *prefix, int x, int64_t ch)
{
    char name[160], p[160];
    snprintf(name, sizeof name, "%s/input_relu", prefix);
    int y = fa_unary(c, NN_OP_RELU, name, x);
    for (int k = 0; k < 3; k++) {
        snprintf(p, sizeof p, "%s/separable_conv%d", prefix, k);
        y = fa_sepconv(c, p, y, ch, ch, 1, k < 2 ? NN_ACT_RELU : NN_ACT_NONE, 0.0f);
    }
    snprintf(name, sizeof name, "%s/add", prefix);
    return fa_binary(c, NN_OP_ADD, name, y, x);
}

int fa_build_age_gender(fa_ctx *c, const nn_shape *req)
{
    nn_shape in;
    int x = fa_input(c, req, 112, 112, 0, &in);
    if (x < 0)
        return x;

    int64_t fd[4] = {3, 3, 3, 32}, c32 = 32;
    int f = fa_take(c, "entry_flow/conv_in/filters", 4, fd);
    int b = fa_take(c, "entry_flow/conv_in/bias", 1, &c32);
    if (f < 0 || b < 0)
        return c->err->status;
    x = fa_conv(c, "entry_flow/conv_in", x, f, b, 2, NN_PAD_SAME, NN_ACT_RELU);
    x = reduction_block(c, "entry_flow/reduction_block_0", x, 32, 64, 0);
    x = reduction_block(c, "entry_flow/reduction_block_1", x, 64, 128, 1);
    x = main_block(c, "middle_flow/main_block_0", x, 128);
    x = main_block(c, "middle_flow/main_block_1", x, 128);
    x = reduction_block(c, "exit_flow/reduction_block", x, 128, 256, 1);
    x = fa_sepconv(c, "exit_flow/separable_conv", x, 256, 512, 1, NN_ACT_RELU, 0.0f);

    x = fa_pool(c, NN_OP_AVGPOOL, "avgpool", x, 7, 2, NN_PAD_VALID);
    int64_t flat[2] = {in.dim[0], 512};
    x = fa_reshape(c, "flatten", x, 2, flat);

    int age = fa_fc(c, "fc/age", "fc/age/out", x, 512, 1);
    int64_t n = in.dim[0];
    age = fa_reshape(c, "age", age, 1, &n);
    int logits = fa_fc(c, "fc/gender", "gender_logits", x, 512, 2);
    int probs = fa_softmax(c, "gender_probs", logits, -1);

    if (fa_output(c, age) < 0 || fa_output(c, logits) < 0 || fa_output(c, probs) < 0)
        return c->err->status != FP_OK ? c->err->status : FP_ERR_INTERNAL;
    return probs;
}
