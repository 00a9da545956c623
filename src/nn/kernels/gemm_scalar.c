/* Portable 4x8 micro-kernel for CPUs (or FP_NN_ISA=scalar runs) without
 * AVX2. Written as fixed-size loops so the compiler can keep the tile in
 * registers and use whatever SIMD the baseline target has. */
#include "internal.h"

#define MR 4
#define NR 8

void gemm_ukr_scalar(int64_t kc, const float *a, const float *b, float *c, int64_t ldc, int flags,
                     const gemm_epi *e, int64_t row0, int64_t col0, int mr, int nr)
{
    float acc[MR * NR] = {0};
    for (int64_t p = 0; p < kc; p++) {
        for (int i = 0; i < MR; i++)
            for (int j = 0; j < NR; j++)
                acc[i * NR + j] += a[i] * b[j];
        a += MR;
        b += NR;
    }
    gemm_store_tile(acc, NR, mr, nr, c, ldc, flags, e, row0, col0);
}
