/* Depthwise conv feeding a 1x1 conv, run tile by tile: a few output rows
 * of the depthwise stage go to the thread's scratch and the pointwise GEMM
 * consumes them while they are still in L1/L2. Run separately, the two ops
 * stream the (often > L2-sized) intermediate map through L3 twice. */
#include <stdlib.h>
#include <string.h>
#include "internal.h"

/* Depthwise tile budget: small enough that the tile, the packed A block and
 * the B panels share L2 with room to spare, big enough that per-tile costs
 * (one GEMM call, border columns) stay small. */
#define TILE_FLOATS 8192

struct nn_dwpw_prepared {
    nn_conv_desc d;    /* depthwise stage: cout == cin */
    int cout;          /* pointwise outputs */
    nn_isa isa;
    float *dw_filter;  /* [kh, kw, cin] */
    gemm_b pw;         /* [cin, cout] */
    conv_direct *pw_direct; /* AVX-512, small cout: no packing, no lanes wasted on N = 16 / 24 */
    int tile_rows;     /* depthwise output rows per tile */
    size_t tile_bytes, per_thread;
};

fp_status nn_dwpw_prepare(const nn_conv_desc *d, const float *dw_filter, int cout, const float *pw_filter,
                          nn_dwpw_prepared **out)
{
    if (!out)
        return FP_ERR_INVALID_ARG;
    *out = NULL;
    if (!d || !dw_filter || !pw_filter || cout < 1 || d->n < 1 || d->ih < 1 || d->iw < 1 || d->cin < 1 ||
        d->cout != d->cin || d->oh < 1 || d->ow < 1 || d->kh < 1 || d->kw < 1 || d->sh < 1 || d->sw < 1 ||
        d->dh < 1 || d->dw < 1)
        return FP_ERR_INVALID_ARG;
    nn_dwpw_prepared *p = calloc(1, sizeof *p);
    if (!p)
        return FP_ERR_NOMEM;
    p->d = *d;
    p->cout = cout;
    p->isa = nn_cpu_isa();
    size_t count = (size_t)d->kh * (size_t)d->kw * (size_t)d->cin;
    p->dw_filter = malloc(count * sizeof(float));
    fp_status st = p->dw_filter ? FP_OK : FP_ERR_NOMEM;
    if (st == FP_OK)
        memcpy(p->dw_filter, dw_filter, count * sizeof(float));
    /* multiples of 32 fill the GEMM's 32-wide AVX-512 tiles, which then win */
    if (st == FP_OK && p->isa >= NN_ISA_AVX512 && cout % 32 != 0 && conv_direct_block_pixels((cout + 7) / 8) > 0) {
        nn_conv_desc pd;
        memset(&pd, 0, sizeof pd);
        pd.n = pd.ih = pd.iw = pd.oh = pd.ow = 1;
        pd.kh = pd.kw = pd.sh = pd.sw = pd.dh = pd.dw = 1;
        pd.cin = d->cin;
        pd.cout = cout;
        st = conv_direct_new(&pd, pw_filter, &p->pw_direct);
    }
    if (st == FP_OK && !p->pw_direct)
        st = gemm_b_pack(&p->pw, p->isa, d->cin, cout, pw_filter, 0);
    if (st != FP_OK) {
        nn_dwpw_prepared_free(p);
        return st;
    }
    int64_t row_floats = (int64_t)d->ow * d->cin;
    int64_t rows = TILE_FLOATS / row_floats;
    int64_t total_rows = (int64_t)d->n * d->oh;
    p->tile_rows = (int)(rows < 1 ? 1 : rows > total_rows ? total_rows : rows);
    p->tile_bytes = ((size_t)p->tile_rows * (size_t)row_floats * sizeof(float) + 63) & ~(size_t)63;
    int64_t tile_m = (int64_t)p->tile_rows * d->ow;
    size_t gemm_bytes = p->pw_direct ? 0 : gemm_scratch_bytes(&p->pw, tile_m, 1);
    p->per_thread = p->tile_bytes + ((gemm_bytes + 63) & ~(size_t)63);
    *out = p;
    return FP_OK;
}

void nn_dwpw_prepared_free(nn_dwpw_prepared *p)
{
    if (p) {
        gemm_b_free(&p->pw);
        conv_direct_free(p->pw_direct);
        free(p->dw_filter);
        free(p);
    }
}

size_t nn_dwpw_scratch_bytes(const nn_dwpw_prepared *p, int n_threads)
{
    return (size_t)(n_threads < 1 ? 1 : n_threads) * p->per_thread + 64;
}

typedef struct dwpw_job {
    const nn_dwpw_prepared *p;
    const float *in;
    float *out;
    gemm_epi dw_epi;
    nn_epilogue pw_ep;
    char *scratch;
    int64_t rows, tile_rows;
    void (*rows_fn)(const dw_job *, int64_t, int64_t);
} dwpw_job;

static void dwpw_tile(void *ctx, int64_t t, int thread)
{
    const dwpw_job *j = ctx;
    const nn_dwpw_prepared *p = j->p;
    const nn_conv_desc *d = &p->d;
    int64_t r0 = t * j->tile_rows;
    int64_t r1 = r0 + j->tile_rows < j->rows ? r0 + j->tile_rows : j->rows;
    char *mine = j->scratch + (size_t)thread * p->per_thread;
    float *tile = (float *)mine;

    dw_job dj;
    dj.d = d;
    dj.filter = p->dw_filter;
    dj.in = j->in;
    dj.out = tile;
    dj.out_row0 = r0;
    dj.epi = j->dw_epi;
    j->rows_fn(&dj, r0, r1);

    int64_t pix0 = r0 * d->ow;
    if (p->pw_direct) {
        gemm_epi e = gemm_epi_from(&j->pw_ep);
        conv_direct_pixels_avx512(p->pw_direct, tile, d->cin, (r1 - r0) * d->ow, j->out + pix0 * p->cout, &e,
                                  e.residual ? e.residual + pix0 * p->cout : NULL);
        return;
    }
    gemm_a_src a;
    memset(&a, 0, sizeof a);
    a.pack = gemm_pack_a_dense;
    a.m = (r1 - r0) * d->ow;
    a.a = tile;
    a.lda = d->cin;
    nn_epilogue ep = j->pw_ep;
    if (ep.residual)
        ep.residual += pix0 * p->cout;
    gemm_run(&p->pw, &a, j->out + pix0 * p->cout, p->cout, &ep, mine + p->tile_bytes, NULL);
}

void nn_dwpw_run(const nn_dwpw_prepared *p, const float *in, float *out, const nn_epilogue *dw_ep,
                 const nn_epilogue *pw_ep, void *scratch, nn_threadpool *tp)
{
    dwpw_job j;
    j.p = p;
    j.in = in;
    j.out = out;
    j.dw_epi = gemm_epi_from(dw_ep);
    j.dw_epi.residual = NULL;
    if (pw_ep)
        j.pw_ep = *pw_ep;
    else
        memset(&j.pw_ep, 0, sizeof j.pw_ep);
    j.scratch = (char *)(((uintptr_t)scratch + 63) & ~(uintptr_t)63);
    j.rows = (int64_t)p->d.n * p->d.oh;
    j.rows_fn = p->isa >= NN_ISA_AVX2 ? dw_rows_avx2 : dw_rows_scalar;
    /* small maps: shorter tiles so every thread gets a few */
    int threads = nn_threadpool_size(tp);
    j.tile_rows = p->tile_rows;
    if (threads > 1 && ceil_div64(j.rows, j.tile_rows) < 4L * threads)
        j.tile_rows = ceil_div64(j.rows, 4L * threads);
    nn_threadpool_parallel_for(tp, ceil_div64(j.rows, j.tile_rows), dwpw_tile, &j);
}
