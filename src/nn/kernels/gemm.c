/* Packed, cache-blocked SGEMM driver (GotoBLAS/BLIS loop order). B is the
 * constant operand (weights) and is packed once at prepare time into
 * NR-wide panels per KC block; A (activations) is packed per MC x KC block
 * into MR-tall panels in the caller's scratch, so the micro-kernel streams
 * both operands with unit stride: one B micro-panel stays in L1 while the
 * A block is swept from L2. */
#include <stdlib.h>
#include <string.h>
#include "internal.h"

/* Block sizes are per ISA, in units that keep the micro-panels in L1 and
 * the A block in L2 on Zen 4 (32 KiB L1d, 1 MiB L2). */
static const gemm_kernel_info kernels[] = {
    {NN_ISA_SCALAR, 4, 8, 128, GEMM_MAX_KC, gemm_ukr_scalar, gemm_pack_rows_scalar},
    {NN_ISA_AVX2, 6, 16, 144, GEMM_MAX_KC, gemm_ukr_avx2, gemm_pack_rows_avx2},
    {NN_ISA_AVX512, 8, 32, 144, GEMM_MAX_KC, gemm_ukr_avx512, gemm_pack_rows_avx2},
};

const gemm_kernel_info *gemm_kernel_for(nn_isa isa)
{
    for (size_t i = sizeof kernels / sizeof kernels[0]; i-- > 0;)
        if (kernels[i].isa <= isa)
            return &kernels[i];
    return &kernels[0];
}

/* Splits K evenly so no block is a tiny remainder. */
static int pick_kc(int k, int kc_max)
{
    int nblk = (k + kc_max - 1) / kc_max;
    return (k + nblk - 1) / nblk;
}

fp_status gemm_b_pack(gemm_b *g, nn_isa isa, int k, int n, const float *src, int transpose)
{
    memset(g, 0, sizeof *g);
    if (k < 1 || n < 1 || !src)
        return FP_ERR_INVALID_ARG;
    const gemm_kernel_info *ki = gemm_kernel_for(isa);
    int nr = ki->nr;
    g->ki = ki;
    g->k = k;
    g->n = n;
    g->kc = pick_kc(k, ki->kc);
    g->npanels = (n + nr - 1) / nr;
    size_t npad = (size_t)g->npanels * (size_t)nr;
    size_t bytes = (size_t)k * npad * sizeof(float);
    bytes = (bytes + 63) & ~(size_t)63;
    g->packed = aligned_alloc(64, bytes);
    if (!g->packed)
        return FP_ERR_NOMEM;
    for (int p0 = 0; p0 < k; p0 += g->kc) {
        int kcb = k - p0 < g->kc ? k - p0 : g->kc;
        float *blk = g->packed + (size_t)p0 * npad;
        for (int jp = 0; jp < g->npanels; jp++) {
            float *panel = blk + (size_t)jp * (size_t)kcb * (size_t)nr;
            for (int p = 0; p < kcb; p++)
                for (int jj = 0; jj < nr; jj++) {
                    int j = jp * nr + jj;
                    float v = 0.0f;
                    if (j < n)
                        v = transpose ? src[(size_t)j * (size_t)k + (size_t)(p0 + p)]
                                      : src[(size_t)(p0 + p) * (size_t)n + (size_t)j];
                    panel[(size_t)p * (size_t)nr + (size_t)jj] = v;
                }
        }
    }
    return FP_OK;
}

void gemm_b_free(gemm_b *g)
{
    if (g) {
        free(g->packed);
        g->packed = NULL;
    }
}

void gemm_pack_rows_scalar(const float *const *rows, int mr, int len, float *dst)
{
    for (int i = 0; i < mr; i++)
        for (int p = 0; p < len; p++)
            dst[(size_t)p * (size_t)mr + (size_t)i] = rows[i] ? rows[i][p] : 0.0f;
}

void gemm_pack_a_dense(const gemm_a_src *s, const gemm_kernel_info *ki, int64_t m0, int mc, int64_t p0, int kc,
                       float *dst)
{
    const int mr = ki->mr;
    const float *rows[GEMM_MAX_MR];
    for (int i0 = 0; i0 < mc; i0 += mr) {
        for (int i = 0; i < mr; i++) {
            int64_t row = m0 + i0 + i;
            rows[i] = i0 + i < mc && row < s->m ? s->a + row * s->lda + p0 : NULL;
        }
        ki->pack_rows(rows, mr, kc, dst + (size_t)i0 * (size_t)kc);
    }
}

void gemm_store_tile(const float *acc, int NR, int mr, int nr, float *c, int64_t ldc, int flags,
                     const gemm_epi *e, int64_t row0, int64_t col0)
{
    for (int i = 0; i < mr; i++) {
        float *crow = c + (int64_t)i * ldc;
        const float *res = (flags & GEMM_FIRST) && e->residual
                               ? e->residual + (row0 + i) * ldc + col0 : NULL;
        for (int j = 0; j < nr; j++) {
            float v = acc[i * NR + j];
            if (flags & GEMM_FIRST) {
                if (e->bias)
                    v += e->bias[col0 + j];
                if (res)
                    v += res[j];
            } else {
                v += crow[j];
            }
            if (flags & GEMM_LAST)
                v = nn_act_apply(v, e, col0 + j);
            crow[j] = v;
        }
    }
}

/* ---- driver ------------------------------------------------------------------ */

typedef struct gemm_job {
    const gemm_b *b;
    const gemm_a_src *a;
    float *c;
    int64_t ldc;
    gemm_epi epi;
    int mc;
    int64_t n_mblocks;
    int panels_per_chunk, n_chunks;
    char *scratch;
    size_t per_thread;
} gemm_job;

static size_t per_thread_bytes(const gemm_kernel_info *ki, int kc)
{
    size_t b = (size_t)ki->mc * (size_t)kc * sizeof(float) + 64;
    return (b + 63) & ~(size_t)63;
}

size_t gemm_scratch_bytes(const gemm_b *b, int64_t m, int n_threads)
{
    if (n_threads < 1)
        n_threads = 1;
    return (size_t)n_threads * per_thread_bytes(b->ki, b->kc) + 64;
}

static void gemm_task(void *ctx, int64_t t, int thread)
{
    const gemm_job *j = ctx;
    const gemm_b *b = j->b;
    const gemm_kernel_info *ki = b->ki;
    const int MR = ki->mr, NR = ki->nr;
    int64_t mb = t / j->n_chunks;
    int chunk = (int)(t % j->n_chunks);
    int64_t M = j->a->m;
    int64_t m0 = mb * j->mc;
    int mcur = (int)(M - m0 < j->mc ? M - m0 : j->mc);
    int jp0 = chunk * j->panels_per_chunk;
    int jp1 = jp0 + j->panels_per_chunk;
    if (jp1 > b->npanels)
        jp1 = b->npanels;
    float *abuf = (float *)(j->scratch + (size_t)thread * j->per_thread);
    size_t npad = (size_t)b->npanels * (size_t)NR;
    int mpanels = (mcur + MR - 1) / MR;

    for (int p0 = 0; p0 < b->k; p0 += b->kc) {
        int kcb = b->k - p0 < b->kc ? b->k - p0 : b->kc;
        int flags = (p0 == 0 ? GEMM_FIRST : 0) | (p0 + kcb == b->k ? GEMM_LAST : 0);
        j->a->pack(j->a, ki, m0, mcur, p0, kcb, abuf);
        const float *bblk = b->packed + (size_t)p0 * npad;
        for (int jp = jp0; jp < jp1; jp++) {
            const float *bp = bblk + (size_t)jp * (size_t)kcb * (size_t)NR;
            int64_t col0 = (int64_t)jp * NR;
            int nr = (int)(b->n - col0 < NR ? b->n - col0 : NR);
            for (int ip = 0; ip < mpanels; ip++) {
                int64_t row0 = m0 + (int64_t)ip * MR;
                int mr = (int)(M - row0 < MR ? M - row0 : MR);
                ki->ukr(kcb, abuf + (size_t)ip * (size_t)MR * (size_t)kcb, bp,
                        j->c + row0 * j->ldc + col0, j->ldc, flags, &j->epi, row0, col0, mr, nr);
            }
        }
    }
}

void gemm_run(const gemm_b *b, const gemm_a_src *a, float *c, int64_t ldc, const nn_epilogue *ep,
              void *scratch, nn_threadpool *tp)
{
    int64_t M = a->m;
    if (M <= 0)
        return;
    const gemm_kernel_info *ki = b->ki;
    int threads = nn_threadpool_size(tp);
    gemm_job j;
    j.b = b;
    j.a = a;
    j.c = c;
    j.ldc = ldc;
    j.epi = gemm_epi_from(ep);
    j.per_thread = per_thread_bytes(ki, b->kc);
    j.scratch = (char *)(((uintptr_t)scratch + 63) & ~(uintptr_t)63);

    /* Balance M blocks (equal sizes, multiples of MR) rather than leaving
     * a sliver block at the end. */
    int64_t nmb = ceil_div64(M, ki->mc);
    if (threads > 1 && nmb < threads)
        nmb = ceil_div64(M, ki->mr) < threads ? ceil_div64(M, ki->mr) : threads;
    int64_t mc = ceil_div64(ceil_div64(M, nmb), ki->mr) * ki->mr;
    j.mc = (int)mc;
    j.n_mblocks = ceil_div64(M, mc);

    /* Few M blocks: also split N so every thread gets a few tasks; repacking
     * A per N chunk costs O(mc*k) against O(mc*k*chunk) of compute. */
    int chunks = 1;
    if (threads > 1 && j.n_mblocks < 4L * threads) {
        int64_t want = ceil_div64(4L * threads, j.n_mblocks);
        chunks = (int)(want < b->npanels ? want : b->npanels);
    }
    j.panels_per_chunk = (b->npanels + chunks - 1) / chunks;
    j.n_chunks = (b->npanels + j.panels_per_chunk - 1) / j.panels_per_chunk;
    nn_threadpool_parallel_for(tp, j.n_mblocks * j.n_chunks, gemm_task, &j);
}
