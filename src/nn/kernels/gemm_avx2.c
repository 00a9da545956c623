/* AVX2+FMA 6x16 micro-kernel: 12 ymm accumulators + 2 B vectors + 1
 * broadcast = 15 of the 16 ymm registers. Per k step it issues 12 FMAs
 * against 2 loads + 6 broadcasts, which two FMA pipes and three load ports
 * sustain at peak. The epilogue runs on the accumulators before the single
 * store of the tile, so C is written exactly once per K block. */
#include <immintrin.h>
#include "internal.h"

#define MR 6
#define NR 16

static inline __m256 act8(__m256 v, const gemm_epi *e, int64_t col)
{
    const __m256 zero = _mm256_setzero_ps();
    switch (e->act) {
    case NN_ACT_RELU: return _mm256_max_ps(v, zero);
    case NN_ACT_RELU6: return _mm256_min_ps(_mm256_max_ps(v, zero), _mm256_set1_ps(6.0f));
    case NN_ACT_LEAKY_RELU: {
        __m256 neg = _mm256_mul_ps(v, _mm256_set1_ps(e->leaky));
        return _mm256_blendv_ps(neg, v, _mm256_cmp_ps(v, zero, _CMP_GT_OQ));
    }
    case NN_ACT_PRELU: {
        __m256 neg = _mm256_mul_ps(v, _mm256_loadu_ps(e->prelu + col));
        return _mm256_blendv_ps(neg, v, _mm256_cmp_ps(v, zero, _CMP_GT_OQ));
    }
    default: return v;
    }
}

/* One row of the full tile: combine with bias/residual or previous C,
 * activate on the last block, store. Sigmoid is left to a scalar pass so it
 * matches expf exactly. */
static inline void finish_row(__m256 v0, __m256 v1, float *crow, int flags, const gemm_epi *e,
                              int64_t row, int64_t ldc, int64_t col0)
{
    if (flags & GEMM_FIRST) {
        if (e->bias) {
            v0 = _mm256_add_ps(v0, _mm256_loadu_ps(e->bias + col0));
            v1 = _mm256_add_ps(v1, _mm256_loadu_ps(e->bias + col0 + 8));
        }
        if (e->residual) {
            const float *r = e->residual + row * ldc + col0;
            v0 = _mm256_add_ps(v0, _mm256_loadu_ps(r));
            v1 = _mm256_add_ps(v1, _mm256_loadu_ps(r + 8));
        }
    } else {
        v0 = _mm256_add_ps(v0, _mm256_loadu_ps(crow));
        v1 = _mm256_add_ps(v1, _mm256_loadu_ps(crow + 8));
    }
    if ((flags & GEMM_LAST) && e->act != NN_ACT_NONE) {
        v0 = act8(v0, e, col0);
        v1 = act8(v1, e, col0 + 8);
    }
    _mm256_storeu_ps(crow, v0);
    _mm256_storeu_ps(crow + 8, v1);
    if ((flags & GEMM_LAST) && e->act == NN_ACT_SIGMOID)
        for (int j = 0; j < NR; j++)
            crow[j] = 1.0f / (1.0f + expf(-crow[j]));
}

#define STEP(o)                                                             \
    do {                                                                    \
        __m256 b0 = _mm256_load_ps(b + (o) * NR);                           \
        __m256 b1 = _mm256_load_ps(b + (o) * NR + 8);                       \
        __m256 av = _mm256_broadcast_ss(a + (o) * MR + 0);                  \
        c00 = _mm256_fmadd_ps(av, b0, c00); c01 = _mm256_fmadd_ps(av, b1, c01); \
        av = _mm256_broadcast_ss(a + (o) * MR + 1);                         \
        c10 = _mm256_fmadd_ps(av, b0, c10); c11 = _mm256_fmadd_ps(av, b1, c11); \
        av = _mm256_broadcast_ss(a + (o) * MR + 2);                         \
        c20 = _mm256_fmadd_ps(av, b0, c20); c21 = _mm256_fmadd_ps(av, b1, c21); \
        av = _mm256_broadcast_ss(a + (o) * MR + 3);                         \
        c30 = _mm256_fmadd_ps(av, b0, c30); c31 = _mm256_fmadd_ps(av, b1, c31); \
        av = _mm256_broadcast_ss(a + (o) * MR + 4);                         \
        c40 = _mm256_fmadd_ps(av, b0, c40); c41 = _mm256_fmadd_ps(av, b1, c41); \
        av = _mm256_broadcast_ss(a + (o) * MR + 5);                         \
        c50 = _mm256_fmadd_ps(av, b0, c50); c51 = _mm256_fmadd_ps(av, b1, c51); \
    } while (0)

void gemm_ukr_avx2(int64_t kc, const float *a, const float *b, float *c, int64_t ldc, int flags,
                   const gemm_epi *e, int64_t row0, int64_t col0, int mr, int nr)
{
    __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
    __m256 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;

    for (int i = 0; i < mr; i++)
        _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0);

    int64_t p = 0;
    for (; p + 4 <= kc; p += 4) {
        STEP(0);
        STEP(1);
        STEP(2);
        STEP(3);
        a += 4 * MR;
        b += 4 * NR;
    }
    for (; p < kc; p++) {
        STEP(0);
        a += MR;
        b += NR;
    }

    if (mr == MR && nr == NR) {
        finish_row(c00, c01, c + 0 * ldc, flags, e, row0 + 0, ldc, col0);
        finish_row(c10, c11, c + 1 * ldc, flags, e, row0 + 1, ldc, col0);
        finish_row(c20, c21, c + 2 * ldc, flags, e, row0 + 2, ldc, col0);
        finish_row(c30, c31, c + 3 * ldc, flags, e, row0 + 3, ldc, col0);
        finish_row(c40, c41, c + 4 * ldc, flags, e, row0 + 4, ldc, col0);
        finish_row(c50, c51, c + 5 * ldc, flags, e, row0 + 5, ldc, col0);
        return;
    }
    float tmp[MR * NR] __attribute__((aligned(32)));
    _mm256_store_ps(tmp + 0 * NR, c00); _mm256_store_ps(tmp + 0 * NR + 8, c01);
    _mm256_store_ps(tmp + 1 * NR, c10); _mm256_store_ps(tmp + 1 * NR + 8, c11);
    _mm256_store_ps(tmp + 2 * NR, c20); _mm256_store_ps(tmp + 2 * NR + 8, c21);
    _mm256_store_ps(tmp + 3 * NR, c30); _mm256_store_ps(tmp + 3 * NR + 8, c31);
    _mm256_store_ps(tmp + 4 * NR, c40); _mm256_store_ps(tmp + 4 * NR + 8, c41);
    _mm256_store_ps(tmp + 5 * NR, c50); _mm256_store_ps(tmp + 5 * NR + 8, c51);
    gemm_store_tile(tmp, NR, mr, nr, c, ldc, flags, e, row0, col0);
}

/* ---- A packing ------------------------------------------------------------------ */

static inline void transpose8(__m256 r[8])
{
    __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
    __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
    __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
    __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
    __m256 s0 = _mm256_shuffle_ps(t0, t2, 0x44), s1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    __m256 s2 = _mm256_shuffle_ps(t1, t3, 0x44), s3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    __m256 s4 = _mm256_shuffle_ps(t4, t6, 0x44), s5 = _mm256_shuffle_ps(t4, t6, 0xEE);
    __m256 s6 = _mm256_shuffle_ps(t5, t7, 0x44), s7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    r[0] = _mm256_permute2f128_ps(s0, s4, 0x20);
    r[1] = _mm256_permute2f128_ps(s1, s5, 0x20);
    r[2] = _mm256_permute2f128_ps(s2, s6, 0x20);
    r[3] = _mm256_permute2f128_ps(s3, s7, 0x20);
    r[4] = _mm256_permute2f128_ps(s0, s4, 0x31);
    r[5] = _mm256_permute2f128_ps(s1, s5, 0x31);
    r[6] = _mm256_permute2f128_ps(s2, s6, 0x31);
    r[7] = _mm256_permute2f128_ps(s3, s7, 0x31);
}

/* Transposes 8x8 blocks of up to 8 source rows into the k-major panel. For
 * mr < 8 each k row is written with a full 8-wide store whose last 8 - mr
 * lanes land on the next k row (or the next run, or the scratch slack) and
 * are overwritten later: the panel is always filled in address order. */
void gemm_pack_rows_avx2(const float *const *rows, int mr, int len, float *dst)
{
    __m256 r[8];
    const __m256 zero = _mm256_setzero_ps();
    int p = 0;
    for (; p + 8 <= len; p += 8) {
        for (int i = 0; i < 8; i++)
            r[i] = i < mr && rows[i] ? _mm256_loadu_ps(rows[i] + p) : zero;
        transpose8(r);
        float *o = dst + (size_t)p * (size_t)mr;
        if (mr == 8) {
            for (int k = 0; k < 8; k++)
                _mm256_storeu_ps(o + 8 * k, r[k]);
        } else {
            for (int k = 0; k < 8; k++)
                _mm256_storeu_ps(o + mr * k, r[k]);
        }
    }
    int t = len - p;
    if (t > 0) {
        __m256i m = _mm256_cmpgt_epi32(_mm256_set1_epi32(t), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
        for (int i = 0; i < 8; i++)
            r[i] = i < mr && rows[i] ? _mm256_maskload_ps(rows[i] + p, m) : zero;
        transpose8(r);
        float *o = dst + (size_t)p * (size_t)mr;
        for (int k = 0; k < t; k++)
            _mm256_storeu_ps(o + mr * k, r[k]);
    }
}
