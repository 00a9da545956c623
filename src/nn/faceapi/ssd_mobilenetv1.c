/* face-api SsdMobilenetv1 (src/ssdMobilenetv1/): MobileNet-v1 backbone, SSD
 * prediction heads and the in-net box decoding of outputLayer.ts.
 *
 *   conv_0: 3x3/2 SAME (32) + offset, relu6
 *   conv_1..13: depthwise 3x3 (stride 2 at 2, 4, 6, 12) SAME + batch norm,
 *               relu6; pointwise 1x1 + offset, relu6       (conv11 kept)
 *   prediction: 8 pointwise layers (1x1, 3x3/2 alternating) + relu6, and six
 *               box predictors (1x1 convs + bias) on conv11, out, p1, p3, p5, p7
 *   box_predictions [1,5118,1,4], class_predictions [1,5118,3]: concat of the
 *   heads; boxes [5118,4] decoded against Output/extra_dim anchors
 *   (variances 10, 10, 5, 5); scores [5118] = sigmoid(logit[..., 1]).
 *
 * Batch norm of the depthwise layers ((x - mean) * gamma / sqrt(var + eps) +
 * beta) is folded into the depthwise filter and a bias. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "faceapi_common.h"

#define SSD_BN_EPS 0.0010000000474974513
#define SSD_ANCHORS 5118

/* <prefix>/Conv2d_<idx>_pointwise: conv (k x k, stride) + offset, relu6. */
static int pointwise(fa_ctx *c, const char *prefix, int idx, int x, int64_t k, int64_t cin,
                     int64_t cout, int stride)
{
    char name[160];
    int64_t fd[4] = {k, k, cin, cout};
    snprintf(name, sizeof name, "%s/Conv2d_%d_pointwise/weights", prefix, idx);
    int f = fa_take(c, name, 4, fd);
    snprintf(name, sizeof name, "%s/Conv2d_%d_pointwise/convolution_bn_offset", prefix, idx);
    int b = fa_take(c, name, 1, &cout);
    if (f < 0 || b < 0)
        return c->err->status;
    snprintf(name, sizeof name, "%s/Conv2d_%d_pointwise", prefix, idx);
    return fa_conv(c, name, x, f, b, stride, NN_PAD_SAME, NN_ACT_RELU6);
}

/* MobilenetV1/Conv2d_<idx>_depthwise: depthwise 3x3 + batch norm (folded), relu6. */
static int depthwise_bn(fa_ctx *c, int idx, int x, int64_t ch, int stride)
{
    char name[160];
    int64_t fd[4] = {3, 3, ch, 1};
    snprintf(name, sizeof name, "MobilenetV1/Conv2d_%d_depthwise/depthwise_weights", idx);
    nn_weight *f = fa_weight(c, name, 4, fd);
    snprintf(name, sizeof name, "MobilenetV1/Conv2d_%d_depthwise/BatchNorm/gamma", idx);
    nn_weight *gamma = fa_weight(c, name, 1, &ch);
    snprintf(name, sizeof name, "MobilenetV1/Conv2d_%d_depthwise/BatchNorm/beta", idx);
    nn_weight *beta = fa_weight(c, name, 1, &ch);
    snprintf(name, sizeof name, "MobilenetV1/Conv2d_%d_depthwise/BatchNorm/moving_mean", idx);
    nn_weight *mean = fa_weight(c, name, 1, &ch);
    snprintf(name, sizeof name, "MobilenetV1/Conv2d_%d_depthwise/BatchNorm/moving_variance", idx);
    nn_weight *var = fa_weight(c, name, 1, &ch);
    if (!f || !gamma || !beta || !mean || !var)
        return c->err->status;

    float *ff = malloc((size_t)(9 * ch) * sizeof *ff);
    float *fb = malloc((size_t)ch * sizeof *fb);
    double *s = malloc((size_t)ch * sizeof *s);
    if (!ff || !fb || !s) {
        free(ff), free(fb), free(s);
        return fa_fail(c, FP_ERR_NOMEM, "out of memory folding depthwise %d", idx);
    }
    for (int64_t i = 0; i < ch; i++) {
        s[i] = (double)gamma->data[i] / sqrt((double)var->data[i] + SSD_BN_EPS);
        fb[i] = (float)((double)beta->data[i] - (double)mean->data[i] * s[i]);
    }
    for (int64_t i = 0; i < 9 * ch; i++)
        ff[i] = (float)((double)f->data[i] * s[i % ch]);
    free(s);
    snprintf(name, sizeof name, "MobilenetV1/Conv2d_%d_depthwise/depthwise_weights_bn", idx);
    int fv = fa_const(c, name, 4, fd, ff);
    snprintf(name, sizeof name, "MobilenetV1/Conv2d_%d_depthwise/bias_bn", idx);
    int bv = fa_const(c, name, 1, &ch, fb);
    if (fv < 0 || bv < 0)
        return c->err->status;
    snprintf(name, sizeof name, "MobilenetV1/Conv2d_%d_depthwise", idx);
    return fa_dwconv(c, name, x, fv, bv, stride, NN_PAD_SAME, NN_ACT_RELU6);
}

/* Prediction/BoxPredictor_<idx>: box encodings [1,-1,1,4] and class logits [1,-1,3]. */
static int box_predictor(fa_ctx *c, int idx, int x, int64_t cin, int64_t n_anchor, int *cls_out)
{
    char name[160];
    int64_t nb = n_anchor * 4, nc = n_anchor * 3;
    int64_t bfd[4] = {1, 1, cin, nb}, cfd[4] = {1, 1, cin, nc};
    snprintf(name, sizeof name, "Prediction/BoxPredictor_%d/BoxEncodingPredictor/weights", idx);
    int bf = fa_take(c, name, 4, bfd);
    snprintf(name, sizeof name, "Prediction/BoxPredictor_%d/BoxEncodingPredictor/biases", idx);
    int bb = fa_take(c, name, 1, &nb);
    snprintf(name, sizeof name, "Prediction/BoxPredictor_%d/ClassPredictor/weights", idx);
    int cf = fa_take(c, name, 4, cfd);
    snprintf(name, sizeof name, "Prediction/BoxPredictor_%d/ClassPredictor/biases", idx);
    int cb = fa_take(c, name, 1, &nc);
    if (bf < 0 || bb < 0 || cf < 0 || cb < 0)
        return c->err->status;

    snprintf(name, sizeof name, "Prediction/BoxPredictor_%d/BoxEncodingPredictor", idx);
    int box = fa_conv(c, name, x, bf, bb, 1, NN_PAD_SAME, NN_ACT_NONE);
    snprintf(name, sizeof name, "Prediction/BoxPredictor_%d/box_reshape", idx);
    static const int64_t bshape[4] = {1, -1, 1, 4};
    box = fa_reshape(c, name, box, 4, bshape);

    snprintf(name, sizeof name, "Prediction/BoxPredictor_%d/ClassPredictor", idx);
    int cls = fa_conv(c, name, x, cf, cb, 1, NN_PAD_SAME, NN_ACT_NONE);
    snprintf(name, sizeof name, "Prediction/BoxPredictor_%d/class_reshape", idx);
    static const int64_t cshape[3] = {1, -1, 3};
    *cls_out = fa_reshape(c, name, cls, 3, cshape);
    return box;
}

/* outputLayer.ts decodeBoxesLayer against the anchors of Output/extra_dim. */
static int decode_boxes(fa_ctx *c, int box_predictions)
{
    int64_t ad[3] = {1, SSD_ANCHORS, 4};
    nn_weight *anchors = fa_weight(c, "Output/extra_dim", 3, ad);
    if (!anchors)
        return c->err->status;
    /* sizes and centres exactly as the float32 tensor ops compute them */
    float *sz[2], *ct[2];
    for (int k = 0; k < 2; k++) {
        sz[k] = malloc(SSD_ANCHORS * sizeof(float));
        ct[k] = malloc(SSD_ANCHORS * sizeof(float));
    }
    int64_t col[2] = {SSD_ANCHORS, 1};
    int v_sz[2] = {-1, -1}, v_ct[2] = {-1, -1};
    if (sz[0] && sz[1] && ct[0] && ct[1]) {
        const float *a = anchors->data;
        for (int i = 0; i < SSD_ANCHORS; i++) {
            for (int k = 0; k < 2; k++) {
                float size = a[4 * i + 2 + k] - a[4 * i + k];
                sz[k][i] = size;
                ct[k][i] = a[4 * i + k] + size / 2.0f;
            }
        }
    }
    v_sz[0] = fa_const(c, "Output/anchor_size_y", 2, col, sz[0]);
    v_sz[1] = fa_const(c, "Output/anchor_size_x", 2, col, sz[1]);
    v_ct[0] = fa_const(c, "Output/anchor_center_y", 2, col, ct[0]);
    v_ct[1] = fa_const(c, "Output/anchor_center_x", 2, col, ct[1]);
    if (v_sz[0] < 0 || v_sz[1] < 0 || v_ct[0] < 0 || v_ct[1] < 0)
        return c->err->status;
    int ten = fa_scalar(c, "Output/ten", 10.0f);
    int five = fa_scalar(c, "Output/five", 5.0f);
    int two = fa_scalar(c, "Output/two", 2.0f);

    static const int64_t flat[2] = {SSD_ANCHORS, 4};
    int enc = fa_reshape(c, "Output/encodings", box_predictions, 2, flat);
    int v[4];
    for (int k = 0; k < 4; k++) {
        char name[64];
        int64_t begin[2] = {0, k}, size[2] = {SSD_ANCHORS, 1};
        snprintf(name, sizeof name, "Output/encoding_%d", k);
        v[k] = fa_slice(c, name, enc, 2, begin, size);
    }
    int lo[2], hi[2];
    static const char *axis_name[2] = {"y", "x"};
    for (int k = 0; k < 2; k++) {
        char name[64];
        /* half extent: exp(t_size / 5) * size / 2 */
        snprintf(name, sizeof name, "Output/%s/size_div", axis_name[k]);
        int h = fa_binary(c, NN_OP_DIV, name, v[2 + k], five);
        snprintf(name, sizeof name, "Output/%s/size_exp", axis_name[k]);
        h = fa_unary(c, NN_OP_EXP, name, h);
        snprintf(name, sizeof name, "Output/%s/size_mul", axis_name[k]);
        h = fa_binary(c, NN_OP_MUL, name, h, v_sz[k]);
        snprintf(name, sizeof name, "Output/%s/half", axis_name[k]);
        h = fa_binary(c, NN_OP_DIV, name, h, two);
        /* centre: t_centre / 10 * size + anchor centre */
        snprintf(name, sizeof name, "Output/%s/center_div", axis_name[k]);
        int m = fa_binary(c, NN_OP_DIV, name, v[k], ten);
        snprintf(name, sizeof name, "Output/%s/center_mul", axis_name[k]);
        m = fa_binary(c, NN_OP_MUL, name, m, v_sz[k]);
        snprintf(name, sizeof name, "Output/%s/center", axis_name[k]);
        m = fa_binary(c, NN_OP_ADD, name, m, v_ct[k]);
        snprintf(name, sizeof name, "Output/%s/min", axis_name[k]);
        lo[k] = fa_binary(c, NN_OP_SUB, name, m, h);
        snprintf(name, sizeof name, "Output/%s/max", axis_name[k]);
        hi[k] = fa_binary(c, NN_OP_ADD, name, m, h);
    }
    int parts[4] = {lo[0], lo[1], hi[0], hi[1]};
    return fa_concat(c, "boxes", parts, 4, 1);
}

int fa_build_ssd_mobilenetv1(fa_ctx *c, const nn_shape *req)
{
    int x = fa_input(c, req, 512, 512, FA_BATCH1, NULL);
    if (x < 0)
        return x;

    static const int64_t ch[14] = {32, 64, 128, 128, 256, 256, 512, 512, 512, 512, 512, 512, 1024, 1024};
    x = pointwise(c, "MobilenetV1", 0, x, 3, 3, 32, 2);
    int conv11 = -1;
    for (int i = 1; i <= 13; i++) {
        int stride = (i == 2 || i == 4 || i == 6 || i == 12) ? 2 : 1;
        x = depthwise_bn(c, i, x, ch[i - 1], stride);
        x = pointwise(c, "MobilenetV1", i, x, 1, ch[i - 1], ch[i], 1);
        if (i == 11)
            conv11 = x;
    }
    if (x < 0)
        return x;

    /* prediction layer */
    int p0 = pointwise(c, "Prediction", 0, x, 1, 1024, 256, 1);
    int p1 = pointwise(c, "Prediction", 1, p0, 3, 256, 512, 2);
    int p2 = pointwise(c, "Prediction", 2, p1, 1, 512, 128, 1);
    int p3 = pointwise(c, "Prediction", 3, p2, 3, 128, 256, 2);
    int p4 = pointwise(c, "Prediction", 4, p3, 1, 256, 128, 1);
    int p5 = pointwise(c, "Prediction", 5, p4, 3, 128, 256, 2);
    int p6 = pointwise(c, "Prediction", 6, p5, 1, 256, 64, 1);
    int p7 = pointwise(c, "Prediction", 7, p6, 3, 64, 128, 2);
    if (p7 < 0)
        return p7;

    const int feats[6] = {conv11, x, p1, p3, p5, p7};
    static const int64_t feat_ch[6] = {512, 1024, 512, 256, 256, 128};
    static const int64_t n_anchor[6] = {3, 6, 6, 6, 6, 6};
    int boxes[6], classes[6];
    for (int i = 0; i < 6; i++) {
        boxes[i] = box_predictor(c, i, feats[i], feat_ch[i], n_anchor[i], &classes[i]);
        if (boxes[i] < 0)
            return boxes[i];
        if (classes[i] < 0)
            return classes[i];
    }
    int box_predictions = fa_concat(c, "box_predictions", boxes, 6, 1);
    int class_predictions = fa_concat(c, "class_predictions", classes, 6, 1);

    int decoded = decode_boxes(c, box_predictions);

    static const int64_t sbegin[3] = {0, 0, 1}, ssize[3] = {1, SSD_ANCHORS, 1};
    int s = fa_slice(c, "Output/face_logit", class_predictions, 3, sbegin, ssize);
    s = fa_unary(c, NN_OP_SIGMOID, "Output/face_sigmoid", s);
    static const int64_t sshape[1] = {SSD_ANCHORS};
    int scores = fa_reshape(c, "scores", s, 1, sshape);

    if (fa_output(c, box_predictions) < 0 || fa_output(c, class_predictions) < 0 ||
        fa_output(c, decoded) < 0 || fa_output(c, scores) < 0)
        return c->err->status != FP_OK ? c->err->status : FP_ERR_INTERNAL;
    return scores;
}
