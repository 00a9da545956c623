/* Winograd F(2x2, 3x3) for 3x3 stride-1 convolutions: each 2x2 output tile
 * costs 16 multiplies per (cin, cout) pair instead of 36, as 16 independent
 * GEMMs [tiles x cin] x [cin x cout] on transformed data. The transforms
 * only use 0, +-1 and +-0.5, so results stay within a few ulps of the
 * direct sum. Tiles are processed in blocks whose transformed inputs and
 * products stay in L2, one block per task. */
#include <stdlib.h>
#include <string.h>
#include "internal.h"

int wino_eligible(const nn_conv_desc *d)
{
    return d->kh == 3 && d->kw == 3 && d->sh == 1 && d->sw == 1 && d->dh == 1 && d->dw == 1;
}

void wino_free(wino_plan *w)
{
    if (w) {
        for (int e = 0; e < 16; e++)
            gemm_b_free(&w->u[e]);
        free(w->zeros);
        free(w);
    }
}

fp_status wino_new(const nn_conv_desc *d, const float *filter_hwio, nn_isa isa, wino_plan **out)
{
    *out = NULL;
    wino_plan *w = calloc(1, sizeof *w);
    float *g = malloc((size_t)16 * (size_t)d->cin * (size_t)d->cout * sizeof *g);
    if (!w || !g) {
        free(w);
        free(g);
        return FP_ERR_NOMEM;
    }
    w->d = *d;
    w->zeros = calloc((size_t)(d->cin > d->cout ? d->cin : d->cout), sizeof(float));
    if (!w->zeros) {
        free(g);
        wino_free(w);
        return FP_ERR_NOMEM;
    }
    /* U = G f G^T with G = [1 0 0; .5 .5 .5; .5 -.5 .5; 0 0 1], per (ci, co) */
    static const float G[4][3] = {{1, 0, 0}, {0.5f, 0.5f, 0.5f}, {0.5f, -0.5f, 0.5f}, {0, 0, 1}};
    size_t cc = (size_t)d->cin * (size_t)d->cout;
    for (size_t q = 0; q < cc; q++) {
        float f[3][3], t[4][3];
        for (int ky = 0; ky < 3; ky++)
            for (int kx = 0; kx < 3; kx++)
                f[ky][kx] = filter_hwio[(size_t)(ky * 3 + kx) * cc + q];
        for (int i = 0; i < 4; i++)
            for (int kx = 0; kx < 3; kx++)
                t[i][kx] = G[i][0] * f[0][kx] + G[i][1] * f[1][kx] + G[i][2] * f[2][kx];
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++)
                g[(size_t)(i * 4 + j) * cc + q] = t[i][0] * G[j][0] + t[i][1] * G[j][1] + t[i][2] * G[j][2];
    }
    fp_status st = FP_OK;
    for (int e = 0; e < 16 && st == FP_OK; e++)
        st = gemm_b_pack(&w->u[e], isa, d->cin, d->cout, g + (size_t)e * cc, 0);
    free(g);
    if (st != FP_OK) {
        wino_free(w);
        return st;
    }
    w->tiles_h = (d->oh + 1) / 2;
    w->tiles_w = (d->ow + 1) / 2;
    w->tiles = (int64_t)d->n * w->tiles_h * w->tiles_w;
    /* transformed inputs + products of one block: about 512 KiB, half of L2 */
    int64_t blk = 8192 / (d->cin + d->cout);
    blk = blk < 16 ? 16 : blk > 256 ? 256 : blk;
    blk = blk / 8 * 8;
    if (blk > w->tiles)
        blk = w->tiles;
    w->block = (int)blk;
    w->v_floats = (size_t)16 * (size_t)blk * (size_t)d->cin;
    /* + one pixel of sink for the outputs of tiles that overhang the image */
    w->m_floats = (size_t)16 * (size_t)blk * (size_t)d->cout + (size_t)d->cout;
    w->gemm_bytes = gemm_scratch_bytes(&w->u[0], blk, 1);
    w->per_thread = (((w->v_floats + w->m_floats) * sizeof(float) + 63) & ~(size_t)63) +
                    ((w->gemm_bytes + 63) & ~(size_t)63);
    *out = w;
    return FP_OK;
}

size_t wino_scratch_bytes(const wino_plan *w, int n_threads)
{
    return (size_t)(n_threads < 1 ? 1 : n_threads) * w->per_thread + 64;
}

typedef struct wino_job {
    const wino_plan *w;
    const float *in;
    float *out;
    gemm_epi epi;
    char *scratch;
    int64_t block;            /* tiles per task, <= w->block (buffer strides stay w->block) */
} wino_job;

static void wino_task(void *ctx, int64_t blk, int thread)
{
    const wino_job *j = ctx;
    const wino_plan *w = j->w;
    const nn_conv_desc *d = &w->d;
    char *mine = j->scratch + (size_t)thread * w->per_thread;
    float *v = (float *)mine, *m = v + w->v_floats;
    char *gs = mine + (((w->v_floats + w->m_floats) * sizeof(float) + 63) & ~(size_t)63);
    int64_t t0 = blk * j->block;
    int nt = (int)(w->tiles - t0 < j->block ? w->tiles - t0 : j->block);
    wino_input_avx2(w, j->in, t0, nt, v);
    for (int e = 0; e < 16; e++) {
        gemm_a_src a;
        memset(&a, 0, sizeof a);
        a.pack = gemm_pack_a_dense;
        a.m = nt;
        a.a = v + (size_t)e * (size_t)w->block * (size_t)d->cin;
        a.lda = d->cin;
        gemm_run(&w->u[e], &a, m + (size_t)e * (size_t)w->block * (size_t)d->cout, d->cout, NULL, gs, NULL);
    }
    wino_output_avx2(w, m, t0, nt, &j->epi, j->out);
}

void wino_run(const wino_plan *w, const float *in, float *out, const nn_epilogue *ep, void *scratch,
              nn_threadpool *tp)
{
    wino_job j = {w, in, out, gemm_epi_from(ep), (char *)(((uintptr_t)scratch + 63) & ~(uintptr_t)63), w->block};
    /* equal blocks (no one-tile sliver at the end), and a couple per thread
     * on small maps: 81 tiles in blocks of 80 would leave a thread idle */
    int64_t nb = ceil_div64(w->tiles, w->block);
    int threads = nn_threadpool_size(tp);
    int64_t want = threads > 1 ? 2L * threads : 1;
    if (nb < want)
        nb = want < w->tiles ? want : w->tiles;
    j.block = ceil_div64(w->tiles, nb);
    nn_threadpool_parallel_for(tp, ceil_div64(w->tiles, j.block), wino_task, &j);
}
