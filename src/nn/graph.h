/* The runtime's graph IR: values (tensors) produced by nodes (ops), built by
 * the model loaders through the builder functions below, then optimised
 * (constant folding, batch-norm/bias/activation fusion), shape-checked and
 * memory-planned by nn_graph_compile (plan.c) before any execution.
 *
 * Conventions: float32 only at run time; images NHWC; Conv2D filters HWIO
 * [kh, kw, cin, cout]; depthwise filters [kh, kw, cin, multiplier]; MatMul
 * weights [k, n]. Shape-like operands (Reshape's shape, Pad's paddings...)
 * are resolved into node attributes by the loaders, never tensors. */
#ifndef FP_NN_GRAPH_H
#define FP_NN_GRAPH_H

#include <stddef.h>
#include <stdint.h>
#include "faceprint/status.h"

#define NN_MAX_RANK 6
#define NN_MAX_INPUTS 8

typedef struct nn_shape {
    int rank;
    int64_t dim[NN_MAX_RANK];
} nn_shape;

typedef enum nn_op {
    NN_OP_INPUT = 0,     /* graph input placeholder */
    NN_OP_CONST,         /* constant tensor (weights) */
    NN_OP_CONV2D,        /* in: x, filter[, bias][, prelu alpha] ; attrs: conv + act */
    NN_OP_DWCONV2D,      /* in: x, filter[, bias][, prelu alpha] */
    NN_OP_MATMUL,        /* in: a, b[, bias][, prelu alpha] ; 2-D (leading dims of a flattened) */
    NN_OP_ADD, NN_OP_SUB, NN_OP_MUL, NN_OP_DIV, NN_OP_MAXIMUM, NN_OP_MINIMUM,
    NN_OP_SQUARED_DIFF,  /* binary, numpy broadcasting */
    NN_OP_ABS, NN_OP_NEG, NN_OP_SQUARE, NN_OP_SQRT, NN_OP_RSQRT, NN_OP_EXP, NN_OP_LOG,
    NN_OP_RELU, NN_OP_RELU6, NN_OP_LEAKY_RELU, NN_OP_SIGMOID, NN_OP_TANH,
    NN_OP_PRELU,         /* in: x, alpha (broadcast over x) */
    NN_OP_SOFTMAX,       /* over attrs.axis (last axis when -1) */
    NN_OP_SUM, NN_OP_MEAN, NN_OP_MAX_REDUCE, /* over attrs.axes, attrs.keep_dims */
    NN_OP_MAXPOOL, NN_OP_AVGPOOL,            /* attrs: ksize, stride, pad mode */
    NN_OP_PAD,           /* attrs.paddings, constant attrs.pad_value */
    NN_OP_RESHAPE,       /* attrs.shape (may contain one -1) */
    NN_OP_CONCAT,        /* n inputs along attrs.axis */
    NN_OP_STRIDED_SLICE, /* attrs.begin/end/strides + masks (TF semantics) */
    NN_OP_SLICE,         /* attrs.begin/size (TF Slice) */
    NN_OP_TRANSPOSE,     /* attrs.perm */
    NN_OP_RESIZE_BILINEAR, /* attrs.size, align_corners, half_pixel_centers */
    NN_OP_IDENTITY,
    NN_OP_BIAS_ADD,      /* in: x, bias over last axis (folded into conv when possible) */
    NN_OP_DWPW,          /* fusion only: depthwise conv feeding a 1x1 conv, see fuse_dwpw.c */
    NN_OP_COUNT
} nn_op;

typedef enum nn_act {
    NN_ACT_NONE = 0, NN_ACT_RELU, NN_ACT_RELU6, NN_ACT_LEAKY_RELU, NN_ACT_PRELU, NN_ACT_SIGMOID
} nn_act;

typedef enum nn_pad_mode { NN_PAD_VALID = 0, NN_PAD_SAME, NN_PAD_EXPLICIT } nn_pad_mode;

typedef struct nn_attrs {
    /* convolution and pooling */
    int stride[2];            /* h, w */
    int dilation[2];          /* h, w */
    int ksize[2];             /* pooling window h, w */
    nn_pad_mode pad_mode;
    int pad[4];               /* explicit: top, bottom, left, right */
    /* fused epilogue of CONV2D / DWCONV2D / MATMUL */
    nn_act act;
    float act_alpha;          /* leaky relu slope */
    int has_bias;             /* inputs[2] is a bias of length cout */
    int has_prelu;            /* inputs[2 + has_bias] is a per-channel alpha */
    /* residual add fused into the epilogue (set by the fusion pass only):
     * inputs[fused_add_input] is added after bias, before the activation */
    int fused_add_input;      /* -1 = none */
    /* depthwise stage of a fused NN_OP_DWPW (geometry is in the conv fields
     * above, the pointwise epilogue in act..fused_add_input) */
    nn_act dw_act;
    float dw_act_alpha;
    int dw_has_bias, dw_has_prelu;
    /* reductions, softmax, concat */
    int axis;
    int axes[NN_MAX_RANK];
    int n_axes;
    int keep_dims;
    /* matmul */
    int transpose_a, transpose_b;
    /* reshape / transpose */
    nn_shape shape;
    int perm[NN_MAX_RANK];
    /* pad */
    int64_t paddings[NN_MAX_RANK][2];
    float pad_value;
    /* strided slice / slice */
    int64_t begin[NN_MAX_RANK], end[NN_MAX_RANK], strides[NN_MAX_RANK], size[NN_MAX_RANK];
    int n_slice;
    int begin_mask, end_mask, ellipsis_mask, new_axis_mask, shrink_axis_mask;
    /* resize */
    int out_hw[2];
    int align_corners, half_pixel_centers;
} nn_attrs;

typedef struct nn_value {
    char *name;               /* owned; graph-unique */
    nn_shape shape;           /* known after compile (consts and inputs: at creation) */
    int producer;             /* node index, or -1 for consts and inputs */
    float *data;              /* consts: owned float32 data; NULL otherwise */
    int is_const;
    int is_input;
    int is_output;
    int n_consumers;          /* filled by compile */
    /* memory plan (compile): byte offset in the session arena, or -1 for
     * consts / values aliased to another (reshape, identity) */
    int64_t offset;
    int alias_of;             /* value whose storage this one shares, or -1 */
} nn_value;

typedef struct nn_node {
    nn_op op;
    char *name;               /* owned; for error messages */
    int inputs[NN_MAX_INPUTS];
    int n_inputs;
    int output;               /* value index */
    nn_attrs attrs;
    int dead;                 /* removed by an optimisation pass */
    /* kernel state prepared at compile time (e.g. packed GEMM weights),
     * owned by the node and freed with the graph */
    void *prepared;
    void (*prepared_free)(void *);
} nn_node;

typedef struct nn_graph {
    nn_value *values;
    int n_values, cap_values;
    nn_node *nodes;
    int n_nodes, cap_nodes;
    int *inputs, n_inputs;    /* value indices, in declaration order */
    int *outputs, n_outputs;  /* value indices, in declaration order */
    int *order, n_order;      /* execution order of live nodes (compile) */
    int64_t arena_bytes;      /* planned peak activation memory (compile) */
    int64_t naive_bytes;      /* sum of all activation sizes, for the plan report */
    int compiled;
} nn_graph;

/* ---- builder ------------------------------------------------------------ */

fp_status nn_graph_new(nn_graph **out);
void nn_graph_free(nn_graph *g);

/* Every builder function returns the new value index (>= 0) or a negative
 * fp_status. Names are copied. */
int nn_graph_input(nn_graph *g, const char *name, const nn_shape *shape);
/* Takes ownership of data (malloc'd, element count = product of shape). */
int nn_graph_const(nn_graph *g, const char *name, const nn_shape *shape, float *data);
/* Copies data. */
int nn_graph_const_copy(nn_graph *g, const char *name, const nn_shape *shape, const float *data);
int nn_graph_node(nn_graph *g, nn_op op, const char *name, const int *inputs, int n_inputs,
                  const nn_attrs *attrs);
fp_status nn_graph_mark_output(nn_graph *g, int value);
int nn_graph_find_value(const nn_graph *g, const char *name);

/* Default attributes: stride/dilation 1, VALID, no act, fused_add_input -1,
 * axis -1. Always start from this before setting fields. */
void nn_attrs_init(nn_attrs *a);

/* Convenience wrappers used by the hand-written architectures (face-api):
 * conv with optional bias (bias < 0 = none) and activation. */
int nn_build_conv2d(nn_graph *g, const char *name, int x, int filter, int bias,
                    int stride, nn_pad_mode pad, nn_act act);
int nn_build_dwconv2d(nn_graph *g, const char *name, int x, int filter, int bias,
                      int stride, nn_pad_mode pad, nn_act act);
int nn_build_binary(nn_graph *g, nn_op op, const char *name, int a, int b);
int nn_build_unary(nn_graph *g, nn_op op, const char *name, int x);
int nn_build_pool(nn_graph *g, nn_op op, const char *name, int x, int k, int stride, nn_pad_mode pad);

/* ---- shapes ------------------------------------------------------------- */

int64_t nn_shape_numel(const nn_shape *s);
int nn_shape_equal(const nn_shape *a, const nn_shape *b);
nn_shape nn_shape_make(int rank, const int64_t *dims);
/* numpy-style broadcast of a and b; FP_ERR_SHAPE if incompatible */
fp_status nn_shape_broadcast(const nn_shape *a, const nn_shape *b, nn_shape *out);

const char *nn_op_name(nn_op op);

#endif
