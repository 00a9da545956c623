/* MatMul with a constant right-hand side: the same packed GEMM as conv, with
 * A read as a dense row-major matrix. */
#include <stdlib.h>
#include <string.h>
#include "internal.h"

struct nn_matmul_prepared {
    gemm_b b;
};

fp_status nn_matmul_prepare(int k, int n, const float *b, int transpose_b, nn_matmul_prepared **out)
{
    if (!out)
        return FP_ERR_INVALID_ARG;
    *out = NULL;
    if (k < 1 || n < 1 || !b)
        return FP_ERR_INVALID_ARG;
    nn_matmul_prepared *p = calloc(1, sizeof *p);
    if (!p)
        return FP_ERR_NOMEM;
    fp_status st = gemm_b_pack(&p->b, nn_cpu_isa(), k, n, b, transpose_b);
    if (st != FP_OK) {
        free(p);
        return st;
    }
    *out = p;
    return FP_OK;
}

void nn_matmul_prepared_free(nn_matmul_prepared *p)
{
    if (p) {
        gemm_b_free(&p->b);
        free(p);
    }
}

size_t nn_matmul_scratch_bytes(const nn_matmul_prepared *p, int m, int n_threads)
{
    return gemm_scratch_bytes(&p->b, m, n_threads);
}

void nn_matmul_run(const nn_matmul_prepared *p, int m, const float *a, float *c, const nn_epilogue *ep,
                   void *scratch, nn_threadpool *tp)
{
    gemm_a_src src;
    memset(&src, 0, sizeof src);
    src.pack = gemm_pack_a_dense;
    src.m = m;
    src.a = a;
    src.lda = p->b.k;
    gemm_run(&p->b, &src, c, p->b.n, ep, scratch, tp);
}

void nn_gemm_reference(int m, int n, int k, const float *a, const float *b, float *c)
{
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            double s = 0.0;
            for (int p = 0; p < k; p++)
                s += (double)a[(size_t)i * (size_t)k + (size_t)p] * b[(size_t)p * (size_t)n + (size_t)j];
            c[(size_t)i * (size_t)n + (size_t)j] = (float)s;
        }
}
