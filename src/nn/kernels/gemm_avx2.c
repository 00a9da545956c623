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

/* Tile body for R rows; 6 for full tiles, 4/2/1 for thin problems and M
 * edge panels. Fully unrolled fixed-size loops keep acc[][] in registers. */
#define DEFINE_TILE(R)                                                                          \
    static void tile_r##R(int64_t kc, const float *a, const float *b, float *c, int64_t ldc,   \
                          int flags, const gemm_epi *e, int64_t row0, int64_t col0)            \
    {                                                                                          \
        __m256 acc[R][2];                                                                      \
        _Pragma("GCC unroll 6") for (int i = 0; i < R; i++) acc[i][0] = acc[i][1] =            \
            _mm256_setzero_ps();                                                               \
        _Pragma("GCC unroll 6") for (int i = 0; i < R; i++)                                    \
            _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0);                            \
        _Pragma("GCC unroll 4") for (int64_t p = 0; p < kc; p++) {                             \
            __m256 b0 = _mm256_load_ps(b + p * NR), b1 = _mm256_load_ps(b + p * NR + 8);       \
            _Pragma("GCC unroll 6") for (int i = 0; i < R; i++) {                              \
                __m256 av = _mm256_broadcast_ss(a + p * MR + i);                               \
                acc[i][0] = _mm256_fmadd_ps(av, b0, acc[i][0]);                                \
                acc[i][1] = _mm256_fmadd_ps(av, b1, acc[i][1]);                                \
            }                                                                                  \
        }                                                                                      \
        _Pragma("GCC unroll 6") for (int i = 0; i < R; i++)                                    \
            finish_row(acc[i][0], acc[i][1], c + i * ldc, flags, e, row0 + i, ldc, col0);      \
    }

DEFINE_TILE(6)
DEFINE_TILE(4)
DEFINE_TILE(2)
DEFINE_TILE(1)

/* Partial tiles (N edge) accumulate into a full-width tile on the stack and
 * go through the scalar store; M edges pick the smallest row variant. */
void gemm_ukr_avx2(int64_t kc, const float *a, const float *b, float *c, int64_t ldc, int flags,
                   const gemm_epi *e, int64_t row0, int64_t col0, int mr, int nr)
{
    if (nr == NR && (mr == 6 || mr == 4 || mr == 2 || mr == 1)) {
        if (mr == 6)
            tile_r6(kc, a, b, c, ldc, flags, e, row0, col0);
        else if (mr == 4)
            tile_r4(kc, a, b, c, ldc, flags, e, row0, col0);
        else if (mr == 2)
            tile_r2(kc, a, b, c, ldc, flags, e, row0, col0);
        else
            tile_r1(kc, a, b, c, ldc, flags, e, row0, col0);
        return;
    }
    float tmp[MR * NR] __attribute__((aligned(32)));
    gemm_epi raw = {0};
    int R = mr > 4 ? 6 : mr > 2 ? 4 : mr == 2 ? 2 : 1;
    /* raw epilogue + FIRST-only flag makes the tile a plain store of acc */
    if (R == 6)
        tile_r6(kc, a, b, tmp, NR, GEMM_FIRST, &raw, 0, 0);
    else if (R == 4)
        tile_r4(kc, a, b, tmp, NR, GEMM_FIRST, &raw, 0, 0);
    else if (R == 2)
        tile_r2(kc, a, b, tmp, NR, GEMM_FIRST, &raw, 0, 0);
    else
        tile_r1(kc, a, b, tmp, NR, GEMM_FIRST, &raw, 0, 0);
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
