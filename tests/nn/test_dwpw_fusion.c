/* Depthwise -> pointwise fusion: random graphs compiled twice, once as is
 * (the pair fuses) and once with the depthwise output also marked as a
 * graph output (which must block the fusion); both must agree on every
 * element, for each ISA, with and without a thread pool. Covers stride 2,
 * SAME / VALID / explicit padding, depthwise bias + activation, and the
 * pointwise bias, residual (from the graph input or from an earlier
 * value) and prelu / relu epilogues. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/compile.h"
#include "nn/model.h"
#include "nn/ops.h"

static uint64_t rng = 0x243F6A8885A308D3ull;

static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 32);
}

static int rnd_int(int lo, int hi)
{
    return lo + (int)(rnd() % (uint32_t)(hi - lo + 1));
}

static float *rnd_buf(int64_t n)
{
    float *p = malloc((size_t)(n > 0 ? n : 1) * sizeof *p);
    assert_non_null(p);
    for (int64_t i = 0; i < n; i++)
        p[i] = (float)((rnd() >> 8) * (1.0 / 16777216.0) * 2.0 - 1.0);
    return p;
}

typedef struct pair_case {
    int n, h, w, c, cout, k, stride;
    nn_pad_mode pad;
    int pads[4];
    nn_act dw_act, pw_act;
    int dw_bias, pw_bias;
    int residual;            /* 0 none, 1 graph input x (stride 1, cout == c), 2 separate input */
} pair_case;

static int add_const(nn_graph *g, const char *name, int rank, const int64_t *dims)
{
    nn_shape s = nn_shape_make(rank, dims);
    int v = nn_graph_const(g, name, &s, rnd_buf(nn_shape_numel(&s)));
    assert_true(v >= 0);
    return v;
}

/* x -> dw (+bias, act) -> pw 1x1 (+bias) [+ residual] [prelu | relu]. The
 * weights come from the shared rng, so the caller reseeds it per build. */
static nn_graph *build(const pair_case *pc, int block_fusion, int64_t out_dims[4])
{
    nn_graph *g = NULL;
    assert_int_equal(nn_graph_new(&g), FP_OK);
    int64_t xd[4] = {pc->n, pc->h, pc->w, pc->c};
    nn_shape xs = nn_shape_make(4, xd);
    int x = nn_graph_input(g, "x", &xs);
    int64_t oh, ow;
    int pt, pl;
    assert_int_equal(nn_conv_out_size(pc->h, pc->k, pc->stride, 1, pc->pad, pc->pads[0], pc->pads[1], &oh, &pt),
                     FP_OK);
    assert_int_equal(nn_conv_out_size(pc->w, pc->k, pc->stride, 1, pc->pad, pc->pads[2], pc->pads[3], &ow, &pl),
                     FP_OK);
    int64_t od[4] = {pc->n, oh, ow, pc->cout};
    memcpy(out_dims, od, sizeof od);
    int y = -1;
    if (pc->residual == 2) {
        nn_shape ys = nn_shape_make(4, od);
        y = nn_graph_input(g, "y", &ys);
    }
    int64_t fd[4] = {pc->k, pc->k, pc->c, 1}, cd[1] = {pc->c}, pd[4] = {1, 1, pc->c, pc->cout},
            od1[1] = {pc->cout};
    nn_attrs a;
    nn_attrs_init(&a);
    a.stride[0] = a.stride[1] = pc->stride;
    a.pad_mode = pc->pad;
    memcpy(a.pad, pc->pads, sizeof a.pad);
    a.act = pc->dw_act;
    int in[4] = {x, add_const(g, "dw_f", 4, fd), -1, -1}, n_in = 2;
    if (pc->dw_bias) {
        in[n_in++] = add_const(g, "dw_b", 1, cd);
        a.has_bias = 1;
    }
    if (pc->dw_act == NN_ACT_PRELU) {
        in[n_in++] = add_const(g, "dw_alpha", 1, cd);
        a.has_prelu = 1;
    }
    int dw = nn_graph_node(g, NN_OP_DWCONV2D, "dw", in, n_in, &a);
    assert_true(dw >= 0);
    int pw = nn_build_conv2d(g, "pw", dw, add_const(g, "pw_f", 4, pd), pc->pw_bias ? add_const(g, "pw_b", 1, od1) : -1,
                             1, NN_PAD_SAME, NN_ACT_NONE);
    assert_true(pw >= 0);
    int v = pw;
    if (pc->residual)
        v = nn_build_binary(g, NN_OP_ADD, "res", v, pc->residual == 1 ? x : y);
    if (pc->pw_act == NN_ACT_PRELU) {
        int pin[2] = {v, add_const(g, "alpha", 1, od1)};
        v = nn_graph_node(g, NN_OP_PRELU, "prelu", pin, 2, NULL);
    } else if (pc->pw_act == NN_ACT_RELU) {
        v = nn_build_unary(g, NN_OP_RELU, "relu", v);
    }
    assert_true(v >= 0);
    assert_int_equal(nn_graph_mark_output(g, v), FP_OK);
    if (block_fusion)
        assert_int_equal(nn_graph_mark_output(g, dw), FP_OK);
    fp_error err = {0};
    fp_status st = nn_graph_compile(g, &err);
    if (st != FP_OK)
        fail_msg("compile: %s", err.message);
    return g;
}

static int count_fused(const nn_graph *g)
{
    int c = 0;
    for (int i = 0; i < g->n_order; i++)
        c += g->nodes[g->order[i]].op == NN_OP_DWPW && !g->nodes[g->order[i]].dead;
    return c;
}

static float *run(nn_graph *g, const float *x, const float *y, int64_t count, fp_threadpool *tp)
{
    fp_nn_model m = {g, 0};
    fp_nn_session *s = NULL;
    assert_int_equal(fp_nn_session_new(&m, tp, &s), FP_OK);
    float *outs[2] = {malloc((size_t)count * sizeof(float)), NULL};
    assert_non_null(outs[0]);
    if (g->n_outputs > 1) {
        outs[1] = malloc((size_t)nn_shape_numel(&g->values[g->outputs[1]].shape) * sizeof(float));
        assert_non_null(outs[1]);
    }
    const float *inputs[2] = {x, y};
    assert_int_equal(fp_nn_session_run(s, inputs, outs), FP_OK);
    fp_nn_session_free(s);
    free(outs[1]);
    return outs[0];
}

static void check_case(const pair_case *pc, fp_threadpool *tp)
{
    char what[160];
    snprintf(what, sizeof what, "n%d %dx%dx%d->%d k%d s%d pad %d act %d/%d bias %d/%d res %d", pc->n, pc->h, pc->w,
             pc->c, pc->cout, pc->k, pc->stride, (int)pc->pad, (int)pc->dw_act, (int)pc->pw_act, pc->dw_bias,
             pc->pw_bias, pc->residual);
    uint64_t seed = rng;
    int64_t od[4];
    nn_graph *fused = build(pc, 0, od);
    rng = seed;
    nn_graph *plain = build(pc, 1, od);
    if (count_fused(fused) != 1 || count_fused(plain) != 0)
        fail_msg("%s: expected exactly one fused node (got %d / %d)", what, count_fused(fused), count_fused(plain));
    int64_t xn = (int64_t)pc->n * pc->h * pc->w * pc->c, count = od[0] * od[1] * od[2] * od[3];
    float *x = rnd_buf(xn), *y = rnd_buf(count);
    float *a = run(fused, x, y, count, tp), *b = run(plain, x, y, count, tp);
    for (int64_t i = 0; i < count; i++)
        if (!(fabsf(a[i] - b[i]) <= 1e-5f * (1.0f + fabsf(b[i]))))
            fail_msg("%s: element %lld: fused %.9g unfused %.9g", what, (long long)i, (double)a[i], (double)b[i]);
    free(a);
    free(b);
    free(x);
    free(y);
    nn_graph_free(fused);
    nn_graph_free(plain);
}

static void test_fixed_cases(void **state)
{
    static const pair_case cases[] = {
        /* BlazeFace block: 5x5 SAME, residual from the block input, relu */
        {1, 20, 19, 24, 24, 5, 1, NN_PAD_SAME, {0}, NN_ACT_NONE, NN_ACT_RELU, 1, 1, 1},
        /* stride-2 SAME reduction, residual from another value */
        {1, 17, 22, 24, 48, 5, 2, NN_PAD_SAME, {0}, NN_ACT_NONE, NN_ACT_RELU, 1, 1, 2},
        /* FaceMesh: 3x3, prelu after the pointwise */
        {1, 12, 12, 16, 16, 3, 1, NN_PAD_SAME, {0}, NN_ACT_NONE, NN_ACT_PRELU, 1, 1, 1},
        /* MobileNet: relu6 on both, VALID, no residual */
        {2, 9, 11, 32, 40, 3, 1, NN_PAD_VALID, {0}, NN_ACT_RELU6, NN_ACT_RELU, 1, 1, 0},
        /* explicit asymmetric padding with stride 2, odd channel counts */
        {1, 15, 13, 13, 7, 3, 2, NN_PAD_EXPLICIT, {0, 1, 1, 0}, NN_ACT_RELU, NN_ACT_NONE, 0, 0, 2},
        /* wide rows: a tile holds a single row */
        {1, 6, 200, 64, 33, 3, 1, NN_PAD_SAME, {0}, NN_ACT_NONE, NN_ACT_PRELU, 1, 0, 0},
        /* 1x1 spatial */
        {3, 1, 1, 8, 5, 3, 1, NN_PAD_SAME, {0}, NN_ACT_PRELU, NN_ACT_RELU, 1, 1, 0},
    };
    fp_threadpool *tp = NULL;
    assert_int_equal(fp_threadpool_new(2, &tp), FP_OK);
    for (int isa = 0; isa <= NN_ISA_AVX512; isa++) {
        nn_cpu_isa_override(isa);
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            check_case(&cases[i], NULL);
            check_case(&cases[i], tp);
        }
    }
    nn_cpu_isa_override(-1);
    fp_threadpool_free(tp);
}

static void test_random_cases(void **state)
{
    static const nn_act dw_acts[] = {NN_ACT_NONE, NN_ACT_RELU, NN_ACT_RELU6, NN_ACT_PRELU};
    static const nn_act pw_acts[] = {NN_ACT_NONE, NN_ACT_RELU, NN_ACT_PRELU};
    fp_threadpool *tp = NULL;
    assert_int_equal(fp_threadpool_new(3, &tp), FP_OK);
    for (int r = 0; r < 40; r++) {
        pair_case pc;
        memset(&pc, 0, sizeof pc);
        pc.n = rnd_int(1, 2);
        pc.k = rnd_int(1, 3) * 2 - 1;
        pc.stride = rnd_int(1, 2);
        pc.h = rnd_int(pc.k, 30);
        pc.w = rnd_int(pc.k, 70);
        pc.c = rnd_int(1, 70);
        pc.cout = rnd() & 1 ? pc.c : rnd_int(1, 100);
        pc.pad = (nn_pad_mode)rnd_int(0, 2);
        for (int i = 0; i < 4; i++)
            pc.pads[i] = pc.pad == NN_PAD_EXPLICIT ? rnd_int(0, pc.k / 2) : 0;
        pc.dw_act = dw_acts[rnd() % 4];
        pc.pw_act = pw_acts[rnd() % 3];
        pc.dw_bias = rnd() & 1;
        pc.pw_bias = rnd() & 1;
        int same_shape = pc.stride == 1 && pc.cout == pc.c && pc.pad == NN_PAD_SAME;
        pc.residual = rnd_int(0, 2);
        if (pc.residual == 1 && !same_shape)
            pc.residual = 2;
        check_case(&pc, r & 1 ? tp : NULL);
    }
    fp_threadpool_free(tp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixed_cases),
        cmocka_unit_test(test_random_cases),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
