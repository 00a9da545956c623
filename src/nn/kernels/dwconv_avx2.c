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

#define LD(p) (masked ? _mm256_maskload_ps((p), mask) : _mm256_loadu_ps(p))

static inline __attribute__((always_inline)) __m256 epi8(__m256 v, const gemm_epi *e, const float *res, int c,
                                                         __m256i mask, const int masked)
{
    const __m256 zero = _mm256_setzero_ps();
    if (e->bias)
        v = _mm256_add_ps(v, LD(e->bias + c));
    if (res)
        v = _mm256_add_ps(v, LD(res + c));
    switch (e->act) {
    case NN_ACT_RELU: return _mm256_max_ps(v, zero);
    case NN_ACT_RELU6: return _mm256_min_ps(_mm256_max_ps(v, zero), _mm256_set1_ps(6.0f));
    case NN_ACT_LEAKY_RELU:
        return _mm256_blendv_ps(_mm256_mul_ps(v, _mm256_set1_ps(e->leaky)), v,
                                _mm256_cmp_ps(v, zero, _CMP_GT_OQ));
    case NN_ACT_PRELU:
        return _mm256_blendv_ps(_mm256_mul_ps(v, LD(e->prelu + c)), v,
                                _mm256_cmp_ps(v, zero, _CMP_GT_OQ));
    default: return v;
    }
}

/* Accumulates PX horizontally adjacent output pixels for one 8-channel
 * block: every filter vector is loaded once and used PX times, and the PX
 * independent FMA chains hide the FMA latency (25 taps in one chain would
 * be latency-bound). in0 is the input of pixel 0 at tap (ky0, kx0). */
static inline __attribute__((always_inline)) void px_block(const int PX, const int MASKED, const float *in0, const float *f0,
                                                           int nky, int nkx, int64_t in_ky, int64_t in_kx,
                                                           int64_t in_px, int64_t f_ky, int C, __m256i m,
                                                           __m256 *acc)
{
    for (int q = 0; q < PX; q++)
        acc[q] = _mm256_setzero_ps();
    for (int ky = 0; ky < nky; ky++) {
        const float *ip = in0 + ky * in_ky;
        const float *fp = f0 + ky * f_ky;
        for (int kx = 0; kx < nkx; kx++, ip += in_kx, fp += C) {
            /* masked moves are slow on AMD: only the C % 8 tail uses them */
            __m256 fv = MASKED ? _mm256_maskload_ps(fp, m) : _mm256_loadu_ps(fp);
#pragma GCC unroll 8
            for (int q = 0; q < PX; q++) {
                __m256 x = MASKED ? _mm256_maskload_ps(ip + q * in_px, m) : _mm256_loadu_ps(ip + q * in_px);
                acc[q] = _mm256_fmadd_ps(x, fv, acc[q]);
            }
        }
    }
}

/* Stride 1, 8 pixels, K taps per kernel row: output q at tap kx reads
 * input pixel q + kx, so with the filter row in registers each input vector
 * loaded serves up to K outputs: 7 + K loads per kernel row instead of
 * 9 * K, which turns the loop from load-bound to FMA-bound. Each
 * accumulator still sums its taps in (ky, kx) order, so the results are
 * bit-identical to px_block's. */
static inline __attribute__((always_inline)) void px_block_slide(const int K, const float *in0, const float *f0,
                                                                 int nky, int64_t in_ky, int64_t f_ky, int C,
                                                                 __m256 *acc)
{
#pragma GCC unroll 8
    for (int q = 0; q < 8; q++)
        acc[q] = _mm256_setzero_ps();
    for (int ky = 0; ky < nky; ky++) {
        const float *ip = in0 + ky * in_ky;
        const float *fp = f0 + ky * f_ky;
        __m256 fv[7];
#pragma GCC unroll 7
        for (int kx = 0; kx < K; kx++)
            fv[kx] = _mm256_loadu_ps(fp + kx * C);
#pragma GCC unroll 16
        for (int i = 0; i < 8 + K - 1; i++) {
            __m256 x = _mm256_loadu_ps(ip + i * C);
#pragma GCC unroll 7
            for (int kx = 0; kx < K; kx++) {
                int q = i - kx;
                if (q >= 0 && q < 8)
                    acc[q] = _mm256_fmadd_ps(x, fv[kx], acc[q]);
            }
        }
    }
}

/* PX output pixels starting at ox, all channels: pixel blocks outside the
 * channel loop keep the blocks' input window hot in L1 across channels. */
static inline __attribute__((always_inline)) void dw_pixels(const dw_job *j, const int PX, int ox, int kx0,
                                                            int kx1, const float *img, float *orow,
                                                            const float *rrow, int ky0, int ky1)
{
    const nn_conv_desc *d = j->d;
    const int C = d->cin, sw = d->sw;
    const int64_t in_kx = (int64_t)d->dw * C, in_ky = (int64_t)d->dh * d->iw * C, in_px = (int64_t)sw * C;
    const int64_t f_ky = (int64_t)d->kw * C;
    const __m256i full = _mm256_set1_epi32(-1);
    const int ix = ox * sw - d->pad_left + kx0 * d->dw;
    const float *in0 = img + (int64_t)ix * C;
    const float *f0 = j->filter + (int64_t)ky0 * f_ky + (int64_t)kx0 * C;
    __m256 acc[8];
    int c = 0;
    /* the sliding form needs the whole kernel row inside the image */
    const int slide = PX == 8 && sw == 1 && d->dw == 1 && kx0 == 0 && kx1 == d->kw ? d->kw : 0;
    for (; c + 8 <= C; c += 8) {
        if (slide == 3)
            px_block_slide(3, in0 + c, f0 + c, ky1 - ky0, in_ky, f_ky, C, acc);
        else if (slide == 5)
            px_block_slide(5, in0 + c, f0 + c, ky1 - ky0, in_ky, f_ky, C, acc);
        else
            px_block(PX, 0, in0 + c, f0 + c, ky1 - ky0, kx1 - kx0, in_ky, in_kx, in_px, f_ky, C, full, acc);
        for (int q = 0; q < PX; q++) {
            int64_t o = (int64_t)(ox + q) * C;
            _mm256_storeu_ps(orow + o + c, epi8(acc[q], &j->epi, rrow ? rrow + o : NULL, c, full, 0));
        }
    }
    if (c < C) {
        const __m256i m = _mm256_cmpgt_epi32(_mm256_set1_epi32(C - c), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
        px_block(PX, 1, in0 + c, f0 + c, ky1 - ky0, kx1 - kx0, in_ky, in_kx, in_px, f_ky, C, m, acc);
        for (int q = 0; q < PX; q++) {
            int64_t o = (int64_t)(ox + q) * C;
            _mm256_maskstore_ps(orow + o + c, m, epi8(acc[q], &j->epi, rrow ? rrow + o : NULL, c, m, 1));
        }
    }
}

void dw_rows_avx2(const dw_job *j, int64_t r0, int64_t r1)
{
    const nn_conv_desc *d = j->d;
    const int C = d->cin, sw = d->sw;
    /* output columns whose whole kernel row lies inside the image */
    int ox_lo = d->pad_left > 0 ? (d->pad_left + sw - 1) / sw : 0;
    int span = (d->kw - 1) * d->dw;
    int ox_hi = d->iw - 1 - span + d->pad_left < 0 ? 0 : (d->iw - 1 - span + d->pad_left) / sw + 1;
    if (ox_hi > d->ow)
        ox_hi = d->ow;
    for (int64_t r = r0; r < r1; r++) {
        int64_t b = r / d->oh;
        int oy = (int)(r % d->oh);
        int iy0 = oy * d->sh - d->pad_top, ky0, ky1;
        tap_range(iy0, d->dh, d->kh, d->ih, &ky0, &ky1);
        const float *img = j->in + (b * d->ih + iy0 + ky0 * d->dh) * (int64_t)d->iw * C;
        float *orow = j->out + (r - j->out_row0) * d->ow * C;
        const float *rrow = j->epi.residual ? j->epi.residual + r * d->ow * C : NULL;
        for (int ox = 0; ox < d->ow;) {
            if (C < 256 && ox >= ox_lo && ox + 8 <= ox_hi) {
                dw_pixels(j, 8, ox, 0, d->kw, img, orow, rrow, ky0, ky1);
                ox += 8;
            } else if (ox >= ox_lo && ox + 4 <= ox_hi) {
                dw_pixels(j, 4, ox, 0, d->kw, img, orow, rrow, ky0, ky1);
                ox += 4;
            } else {
                int kx0, kx1;
                tap_range(ox * sw - d->pad_left, d->dw, d->kw, d->iw, &kx0, &kx1);
                dw_pixels(j, 1, ox, kx0, kx1, img, orow, rrow, ky0, ky1);
                ox++;
            }
        }
        if (j->epi.act == NN_ACT_SIGMOID)
            for (int64_t k = 0; k < (int64_t)d->ow * C; k++)
                orow[k] = 1.0f / (1.0f + expf(-orow[k]));
    }
}
