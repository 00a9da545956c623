/* face-api FaceLandmark68Net / FaceLandmark68TinyNet
 * (src/faceLandmarkNet/, src/faceFeatureExtractor/, src/faceProcessor/).
 *
 * Feature extractor = dense blocks on a 112x112 input:
 *   out1 = relu(conv0(x))            conv0: 3x3/2 SAME conv + bias in the first
 *                                    block, a stride-2 separable conv otherwise
 *   out2 = sep(out1)
 *   out3 = sep(relu(out1 + out2))
 *   [out4 = sep(relu(out1 + out2 + out3))]                     (dense block 4)
 *   result = relu(out1 + out2 + out3 [+ out4])
 * full: 4 x denseBlock4 (32, 64, 128, 256), avgpool 7/2 valid;
 * tiny: 3 x denseBlock3 (32, 64, 128), avgpool 14/2 valid;
 * then fc: [N, C] x [C, 136] + bias = landmarks_raw. */
#include <stdio.h>

#include "faceapi_common.h"

static int dense_block(fa_ctx *c, const char *prefix, int x, int64_t cin, int64_t cout, int first,
                       int n_convs)
{
    char name[160];
    int out1;
    if (first) {
        int64_t fd[4] = {3, 3, cin, cout};
        snprintf(name, sizeof name, "%s/conv0/filters", prefix);
        int f = fa_take(c, name, 4, fd);
        snprintf(name, sizeof name, "%s/conv0/bias", prefix);
        int b = fa_take(c, name, 1, &cout);
        if (f < 0 || b < 0)
            return c->err->status;
        snprintf(name, sizeof name, "%s/conv0", prefix);
        out1 = fa_conv(c, name, x, f, b, 2, NN_PAD_SAME, NN_ACT_RELU);
    } else {
        snprintf(name, sizeof name, "%s/conv0", prefix);
        out1 = fa_sepconv(c, name, x, cin, cout, 2, NN_ACT_RELU, 0.0f);
    }

    /* sum = out1 + out2 + ... evaluated as TF.js does: out1 + (out2 + (out3 + out4)) */
    int outs[4] = {out1, -1, -1, -1};
    int in = out1;
    for (int k = 1; k < n_convs; k++) {
        snprintf(name, sizeof name, "%s/conv%d", prefix, k);
        outs[k] = fa_sepconv(c, name, in, cout, cout, 1, NN_ACT_NONE, 0.0f);
        /* input of the next conv (or the block result) */
        int acc = outs[k];
        for (int j = k - 1; j >= 0; j--) {
            snprintf(name, sizeof name, "%s/sum%d_%d", prefix, k, j);
            acc = fa_binary(c, NN_OP_ADD, name, outs[j], acc);
        }
        if (k + 1 < n_convs)
            snprintf(name, sizeof name, "%s/in%d", prefix, k + 1);
        else
            snprintf(name, sizeof name, "%s/out", prefix);
        in = fa_unary(c, NN_OP_RELU, name, acc);
    }
    return in;
}

int fa_build_landmarks68(fa_ctx *c, const nn_shape *req, int tiny)
{
    nn_shape in;
    int x = fa_input(c, req, 112, 112, 0, &in);
    if (x < 0)
        return x;
    int64_t ch_out;
    if (tiny) {
        x = dense_block(c, "dense0", x, 3, 32, 1, 3);
        x = dense_block(c, "dense1", x, 32, 64, 0, 3);
        x = dense_block(c, "dense2", x, 64, 128, 0, 3);
        x = fa_pool(c, NN_OP_AVGPOOL, "avgpool", x, 14, 2, NN_PAD_VALID);
        ch_out = 128;
    } else {
        x = dense_block(c, "dense0", x, 3, 32, 1, 4);
        x = dense_block(c, "dense1", x, 32, 64, 0, 4);
        x = dense_block(c, "dense2", x, 64, 128, 0, 4);
        x = dense_block(c, "dense3", x, 128, 256, 0, 4);
        x = fa_pool(c, NN_OP_AVGPOOL, "avgpool", x, 7, 2, NN_PAD_VALID);
        ch_out = 256;
    }
    int64_t flat[2] = {in.dim[0], ch_out};
    x = fa_reshape(c, "flatten", x, 2, flat);
    x = fa_fc(c, "fc", "landmarks_raw", x, ch_out, 136);
    return fa_output(c, x);
}
