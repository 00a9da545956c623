/* Internal helpers shared by the face-api architecture builders.
 *
 * Every helper takes and returns graph value indices; a negative argument
 * (an earlier failure) is passed straight through, so a builder can chain
 * calls and check once. The first failure is recorded in ctx->err with a
 * message naming the architecture and the layer. */
#ifndef FP_NN_FACEAPI_COMMON_H
#define FP_NN_FACEAPI_COMMON_H

#include "faceapi.h"

typedef struct fa_ctx {
    nn_graph *g;
    nn_weights *w;
    fp_error *err;     /* never NULL */
    const char *arch;
} fa_ctx;

/* Records status st (negative) with a formatted message unless an error is
 * already recorded; returns the recorded status. */
int fa_fail(fa_ctx *c, int st, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Looks up a float weight and checks its shape (rank, dims). NULL with the
 * error recorded (FP_ERR_NOT_FOUND / FP_ERR_SHAPE / FP_ERR_FORMAT). */
nn_weight *fa_weight(fa_ctx *c, const char *name, int rank, const int64_t *dims);
/* Moves a checked weight into the graph as a constant. */
int fa_take(fa_ctx *c, const char *name, int rank, const int64_t *dims);
/* Takes ownership of data (malloc'd). */
int fa_const(fa_ctx *c, const char *name, int rank, const int64_t *dims, float *data);
/* A constant of shape [1] (broadcast scalar). */
int fa_scalar(fa_ctx *c, const char *name, float value);

/* Validates/chooses the input shape and creates the "input" value. req may be
 * NULL (default [1, h, w, 3]); flags: FA_ANY_SQUARE32 lets a square size that
 * is a multiple of 32 replace h/w; FA_BATCH1 forbids N > 1. */
#define FA_ANY_SQUARE32 1
#define FA_BATCH1 2
int fa_input(fa_ctx *c, const nn_shape *req, int64_t h, int64_t w, int flags, nn_shape *chosen);

int fa_conv(fa_ctx *c, const char *name, int x, int filter, int bias, int stride, nn_pad_mode pad,
            nn_act act);
int fa_dwconv(fa_ctx *c, const char *name, int x, int filter, int bias, int stride, nn_pad_mode pad,
              nn_act act);
/* Leaky ReLU epilogue with slope alpha. */
int fa_conv_leaky(fa_ctx *c, const char *name, int x, int filter, int bias, int stride,
                  nn_pad_mode pad, float alpha);
int fa_binary(fa_ctx *c, nn_op op, const char *name, int a, int b);
int fa_unary(fa_ctx *c, nn_op op, const char *name, int x);
int fa_pool(fa_ctx *c, nn_op op, const char *name, int x, int k, int stride, nn_pad_mode pad);
int fa_reshape(fa_ctx *c, const char *name, int x, int rank, const int64_t *dims);
/* Zero padding of a rank-4 tensor: pads[axis][0 = before, 1 = after]. */
int fa_pad4(fa_ctx *c, const char *name, int x, const int64_t pads[4][2]);
int fa_slice(fa_ctx *c, const char *name, int x, int rank, const int64_t *begin, const int64_t *size);
int fa_concat(fa_ctx *c, const char *name, const int *xs, int n, int axis);
int fa_mean(fa_ctx *c, const char *name, int x, const int *axes, int n_axes, int keep_dims);
/* a [.., k] x b [k, n] (no bias). */
int fa_matmul(fa_ctx *c, const char *name, int a, int b);
int fa_softmax(fa_ctx *c, const char *name, int x, int axis);
int fa_output(fa_ctx *c, int x);

/* face-api separable convolution (common/depthwiseSeparableConv.ts and the
 * tinyYolov2 variant): 3x3 depthwise (stride, SAME, no bias) followed by a
 * 1x1 pointwise convolution with bias and the given activation. Weights
 * <prefix>/depthwise_filter [3,3,cin,1], <prefix>/pointwise_filter
 * [1,1,cin,cout], <prefix>/bias [cout]. */
int fa_sepconv(fa_ctx *c, const char *prefix, int x, int64_t cin, int64_t cout, int stride,
               nn_act act, float leaky_alpha);

/* face-api fully connected layer: x [N, k] x <prefix>/weights [k, n] + <prefix>/bias [n]. */
int fa_fc(fa_ctx *c, const char *prefix, const char *out_name, int x, int64_t k, int64_t n);

/* The architectures (one file each). */
int fa_build_resnet(fa_ctx *c, const nn_shape *req);
int fa_build_ssd_mobilenetv1(fa_ctx *c, const nn_shape *req);
int fa_build_tiny_face_detector(fa_ctx *c, const nn_shape *req);
int fa_build_landmarks68(fa_ctx *c, const nn_shape *req, int tiny);
int fa_build_age_gender(fa_ctx *c, const nn_shape *req);

#endif
