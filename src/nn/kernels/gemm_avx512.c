/* AVX-512 8x32 micro-kernel: 16 zmm accumulators out of 32 registers. Zen 4
 * executes 512-bit FMAs on its two 256-bit pipes, so the peak equals AVX2's;
 * the gain is half the instructions per flop and masked stores, which make
 * partial tiles (N = 24, 48 ... in the mobile models) as cheap as full ones. */
#include <immintrin.h>
#include "internal.h"

#define MR 8
#define NR 32

static inline __m512 act16(__m512 v, const gemm_epi *e, int64_t col, __mmask16 m)
{
    const __m512 zero = _mm512_setzero_ps();
    switch (e->act) {
    case NN_ACT_RELU: return _mm512_max_ps(v, zero);
    case NN_ACT_RELU6: return _mm512_min_ps(_mm512_max_ps(v, zero), _mm512_set1_ps(6.0f));
    case NN_ACT_LEAKY_RELU: {
        __mmask16 neg = _mm512_cmp_ps_mask(v, zero, _CMP_LE_OQ);
        return _mm512_mask_mul_ps(v, neg, v, _mm512_set1_ps(e->leaky));
    }
    case NN_ACT_PRELU: {
        __mmask16 neg = _mm512_cmp_ps_mask(v, zero, _CMP_LE_OQ);
        return _mm512_mask_mul_ps(v, neg, v, _mm512_maskz_loadu_ps(m, e->prelu + col));
    }
    default: return v;
    }
}

static inline void finish_row(__m512 v0, __m512 v1, float *crow, int flags, const gemm_epi *e,
                              int64_t row, int64_t ldc, int64_t col0, __mmask16 m0, __mmask16 m1)
{
    if (flags & GEMM_FIRST) {
        if (e->bias) {
            v0 = _mm512_add_ps(v0, _mm512_maskz_loadu_ps(m0, e->bias + col0));
            v1 = _mm512_add_ps(v1, _mm512_maskz_loadu_ps(m1, e->bias + col0 + 16));
        }
        if (e->residual) {
            const float *r = e->residual + row * ldc + col0;
            v0 = _mm512_add_ps(v0, _mm512_maskz_loadu_ps(m0, r));
            v1 = _mm512_add_ps(v1, _mm512_maskz_loadu_ps(m1, r + 16));
        }
    } else {
        v0 = _mm512_add_ps(v0, _mm512_maskz_loadu_ps(m0, crow));
        v1 = _mm512_add_ps(v1, _mm512_maskz_loadu_ps(m1, crow + 16));
    }
    if ((flags & GEMM_LAST) && e->act != NN_ACT_NONE && e->act != NN_ACT_SIGMOID) {
        v0 = act16(v0, e, col0, m0);
        v1 = act16(v1, e, col0 + 16, m1);
    }
    _mm512_mask_storeu_ps(crow, m0, v0);
    _mm512_mask_storeu_ps(crow + 16, m1, v1);
}

/* The tile body for R rows. Instantiated for 8 (full tiles) and for 4, 2
 * and 1 so that thin problems (3x3 / 1x1 maps in the deep layers, FC
 * layers, M edge panels) do not pay for 8 rows of FMAs. The fixed-size
 * loops are fully unrolled, which keeps acc[][] in registers. */
#define DEFINE_TILE(R)                                                                          \
    static void tile_r##R(int64_t kc, const float *a, const float *b, float *c, int64_t ldc,   \
                          int flags, const gemm_epi *e, int64_t row0, int64_t col0, int mr,    \
                          int nr)                                                              \
    {                                                                                          \
        __m512 acc[R][2];                                                                      \
        _Pragma("GCC unroll 8") for (int i = 0; i < R; i++) acc[i][0] = acc[i][1] =            \
            _mm512_setzero_ps();                                                               \
        for (int i = 0; i < mr; i++) {                                                         \
            _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0);                            \
            _mm_prefetch((const char *)(c + i * ldc + 16), _MM_HINT_T0);                       \
        }                                                                                      \
        _Pragma("GCC unroll 4") for (int64_t p = 0; p < kc; p++) {                             \
            __m512 b0 = _mm512_load_ps(b + p * NR), b1 = _mm512_load_ps(b + p * NR + 16);      \
            _Pragma("GCC unroll 8") for (int i = 0; i < R; i++) {                              \
                __m512 av = _mm512_set1_ps(a[p * MR + i]);                                     \
                acc[i][0] = _mm512_fmadd_ps(av, b0, acc[i][0]);                                \
                acc[i][1] = _mm512_fmadd_ps(av, b1, acc[i][1]);                                \
            }                                                                                  \
        }                                                                                      \
        __mmask16 m0 = nr >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << nr) - 1u);            \
        __mmask16 m1 = nr >= 32 ? (__mmask16)0xFFFF                                            \
                       : nr <= 16 ? 0 : (__mmask16)((1u << (nr - 16)) - 1u);                   \
        _Pragma("GCC unroll 8") for (int i = 0; i < R; i++) if (i < mr)                        \
            finish_row(acc[i][0], acc[i][1], c + i * ldc, flags, e, row0 + i, ldc, col0, m0, m1); \
    }

DEFINE_TILE(8)
DEFINE_TILE(4)
DEFINE_TILE(2)
DEFINE_TILE(1)

void gemm_ukr_avx512(int64_t kc, const float *a, const float *b, float *c, int64_t ldc, int flags,
                     const gemm_epi *e, int64_t row0, int64_t col0, int mr, int nr)
{
    if (mr > 4)
        tile_r8(kc, a, b, c, ldc, flags, e, row0, col0, mr, nr);
    else if (mr > 2)
        tile_r4(kc, a, b, c, ldc, flags, e, row0, col0, mr, nr);
    else if (mr == 2)
        tile_r2(kc, a, b, c, ldc, flags, e, row0, col0, mr, nr);
    else
        tile_r1(kc, a, b, c, ldc, flags, e, row0, col0, mr, nr);
    if ((flags & GEMM_LAST) && e->act == NN_ACT_SIGMOID)
        for (int i = 0; i < mr; i++)
            for (int j = 0; j < nr; j++)
                c[i * ldc + j] = 1.0f / (1.0f + expf(-c[i * ldc + j]));
}
