/* Depthwise conv, multiplier 1, vectorised over channels (NHWC keeps a
 * pixel's channels contiguous, and so does the [kh, kw, C] filter). Four
 * ymm accumulators per pass cover 32 channels so the tap address arithmetic
 * is amortised; the C % 8 tail uses masked loads and stores. */
#include <immintrin.h>
#include "internal.h"

static inline void tap_range(int o, int dil, int k, int size, int *lo, int *hi)
{
    int l = o < 0 ? (-o + dil - 1) / dil : 0;
    int h = size - o <= 0 ? 0 : (size - o + dil - 1) / dil;
    *lo = l < k ? l : k;
    *hi = h < k ? h : k;
}

static inline __m256 epi8(__m256 v, const gemm_epi *e, const float *res, int c, __m256i mask)
{
    const __m256 zero = _mm256_setzero_ps();
    if (e->bias)
        v = _mm256_add_ps(v, _mm256_maskload_ps(e->bias + c, mask));
    if (res)
        v = _mm256_add_ps(v, _mm256_maskload_ps(res + c, mask));
    switch (e->act) {
    case NN_ACT_RELU: return _mm256_max_ps(v, zero);
    case NN_ACT_RELU6: return _mm256_min_ps(_mm256_max_ps(v, zero), _mm256_set1_ps(6.0f));
    case NN_ACT_LEAKY_RELU:
        return _mm256_blendv_ps(_mm256_mul_ps(v, _mm256_set1_ps(e->leaky)), v,
                                _mm256_cmp_ps(v, zero, _CMP_GT_OQ));
    case NN_ACT_PRELU:
        return _mm256_blendv_ps(_mm256_mul_ps(v, _mm256_maskload_ps(e->prelu + c, mask)), v,
                                _mm256_cmp_ps(v, zero, _CMP_GT_OQ));
    default: return v;
    }
}

typedef struct taps {
    const float *in;   /* input pixel of tap (ky0, kx0), channel 0 */
    const float *f;    /* filter at tap (ky0, kx0) */
    int64_t in_ky, in_kx; /* input strides between taps */
    int64_t f_ky;
    int nky, nkx;
    int C;
} taps;

void dw_rows_avx2(const dw_job *j, int64_t r0, int64_t r1)
{
    const nn_conv_desc *d = j->d;
    const int C = d->cin;
    const __m256i full = _mm256_set1_epi32(-1);
    const __m256i tail = _mm256_cmpgt_epi32(_mm256_set1_epi32(C % 8),
                                            _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    for (int64_t r = r0; r < r1; r++) {
        int64_t b = r / d->oh;
        int oy = (int)(r % d->oh);
        int iy0 = oy * d->sh - d->pad_top, ky0, ky1;
        tap_range(iy0, d->dh, d->kh, d->ih, &ky0, &ky1);
        const float *img = j->in + b * (int64_t)d->ih * d->iw * C;
        for (int ox = 0; ox < d->ow; ox++) {
            int ix0 = ox * d->sw - d->pad_left, kx0, kx1;
            tap_range(ix0, d->dw, d->kw, d->iw, &kx0, &kx1);
            int64_t pix = r * d->ow + ox;
            float *o = j->out + pix * C;
            const float *res = j->epi.residual ? j->epi.residual + pix * C : NULL;
            taps t;
            t.in = img + ((int64_t)(iy0 + ky0 * d->dh) * d->iw + (ix0 + kx0 * d->dw)) * C;
            t.f = j->filter + (int64_t)(ky0 * d->kw + kx0) * C;
            t.in_ky = (int64_t)d->dh * d->iw * C;
            t.in_kx = (int64_t)d->dw * C;
            t.f_ky = (int64_t)d->kw * C;
            t.nky = ky1 - ky0;
            t.nkx = kx1 - kx0;
            int c = 0;
            for (; c + 32 <= C; c += 32) {
                __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
                for (int ky = 0; ky < t.nky; ky++) {
                    const float *ip = t.in + ky * t.in_ky + c;
                    const float *fp = t.f + ky * t.f_ky + c;
                    for (int kx = 0; kx < t.nkx; kx++, ip += t.in_kx, fp += C) {
                        a0 = _mm256_fmadd_ps(_mm256_loadu_ps(ip), _mm256_loadu_ps(fp), a0);
                        a1 = _mm256_fmadd_ps(_mm256_loadu_ps(ip + 8), _mm256_loadu_ps(fp + 8), a1);
                        a2 = _mm256_fmadd_ps(_mm256_loadu_ps(ip + 16), _mm256_loadu_ps(fp + 16), a2);
                        a3 = _mm256_fmadd_ps(_mm256_loadu_ps(ip + 24), _mm256_loadu_ps(fp + 24), a3);
                    }
                }
                _mm256_storeu_ps(o + c, epi8(a0, &j->epi, res, c, full));
                _mm256_storeu_ps(o + c + 8, epi8(a1, &j->epi, res, c + 8, full));
                _mm256_storeu_ps(o + c + 16, epi8(a2, &j->epi, res, c + 16, full));
                _mm256_storeu_ps(o + c + 24, epi8(a3, &j->epi, res, c + 24, full));
            }
            for (; c < C; c += 8) {
                __m256i m = c + 8 <= C ? full : tail;
                __m256 a0 = _mm256_setzero_ps();
                for (int ky = 0; ky < t.nky; ky++) {
                    const float *ip = t.in + ky * t.in_ky + c;
                    const float *fp = t.f + ky * t.f_ky + c;
                    for (int kx = 0; kx < t.nkx; kx++, ip += t.in_kx, fp += C)
                        a0 = _mm256_fmadd_ps(_mm256_maskload_ps(ip, m), _mm256_maskload_ps(fp, m), a0);
                }
                _mm256_maskstore_ps(o + c, m, epi8(a0, &j->epi, res, c, m));
            }
            if (j->epi.act == NN_ACT_SIGMOID)
                for (int k = 0; k < C; k++)
                    o[k] = 1.0f / (1.0f + expf(-o[k]));
        }
    }
}
