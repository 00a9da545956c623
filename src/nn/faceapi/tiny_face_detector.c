/* face-api TinyFaceDetector (src/tinyFaceDetector/ + src/tinyYolov2/, the
 * "mobilenet" variant with separable convs and a first plain conv):
 *
 *   conv0 3x3 valid (16) + bias, leaky(0.1), maxpool 2/2 SAME
 *   conv1..conv5: separable 3x3 (pad 1, valid) + bias, leaky(0.1), each
 *                 followed by maxpool 2/2 SAME except conv5 (maxpool 2/1 SAME)
 *   conv8 1x1 valid (25) + bias  -> [N, S/32, S/32, 25]
 *
 * face-api's leaky(x) = relu(x - 0.1 x) + 0.1 x, i.e. leaky ReLU with slope
 * 0.1 (fused into the convolutions here). */
#include <stdio.h>

#include "faceapi_common.h"

#define LEAKY_ALPHA 0.10000000149011612f

int fa_build_tiny_face_detector(fa_ctx *c, const nn_shape *req)
{
    int x = fa_input(c, req, 416, 416, FA_ANY_SQUARE32, NULL);
    if (x < 0)
        return x;

    int64_t f0d[4] = {3, 3, 3, 16}, c16 = 16;
    int f0 = fa_take(c, "conv0/filters", 4, f0d);
    int b0 = fa_take(c, "conv0/bias", 1, &c16);
    if (f0 < 0 || b0 < 0)
        return c->err->status;
    x = fa_conv_leaky(c, "conv0", x, f0, b0, 1, NN_PAD_VALID, LEAKY_ALPHA);
    x = fa_pool(c, NN_OP_MAXPOOL, "maxpool0", x, 2, 2, NN_PAD_SAME);

    static const int64_t ch[6] = {16, 32, 64, 128, 256, 512};
    for (int i = 1; i <= 5; i++) {
        char name[32];
        snprintf(name, sizeof name, "conv%d", i);
        x = fa_sepconv(c, name, x, ch[i - 1], ch[i], 1, NN_ACT_LEAKY_RELU, LEAKY_ALPHA);
        snprintf(name, sizeof name, "maxpool%d", i);
        x = fa_pool(c, NN_OP_MAXPOOL, name, x, 2, i == 5 ? 1 : 2, NN_PAD_SAME);
    }

    int64_t f8d[4] = {1, 1, 512, 25}, c25 = 25;
    int f8 = fa_take(c, "conv8/filters", 4, f8d);
    int b8 = fa_take(c, "conv8/bias", 1, &c25);
    if (f8 < 0 || b8 < 0)
        return c->err->status;
    x = fa_conv(c, "output", x, f8, b8, 1, NN_PAD_VALID, NN_ACT_NONE);
    return fa_output(c, x);
}
