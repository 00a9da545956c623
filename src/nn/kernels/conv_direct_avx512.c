/* Direct convolution for inputs with few channels (the RGB first layer of
 * every model). As a GEMM its K is only kh*kw*cin (27..147) and gathering
 * short runs of 3 floats into packed panels costs as much as the FMAs,
 * while N = cout (16, 24, 32) wastes part of a 32-wide GEMM tile. Here each
 * block of MR output pixels keeps all cout channels in registers (NV ymm
 * vectors per pixel) and broadcasts its inputs straight from a zero-padded
 * strip of input rows, so nothing is packed per pixel and no lane is wasted
 * beyond cout's round-up to 8. AVX-512VL doubles the ymm registers to 32,
 * which is what makes 24-accumulator blocks possible. */
#include <immintrin.h>
#include <string.h>
#include "internal.h"

static inline __m256 act_vec(__m256 v, const gemm_epi *e, const float *prelu, __mmask8 m)
{
    const __m256 zero = _mm256_setzero_ps();
    switch (e->act) {
    case NN_ACT_RELU: return _mm256_max_ps(v, zero);
    case NN_ACT_RELU6: return _mm256_min_ps(_mm256_max_ps(v, zero), _mm256_set1_ps(6.0f));
    case NN_ACT_LEAKY_RELU: {
        __mmask8 neg = _mm256_cmp_ps_mask(v, zero, _CMP_LE_OQ);
        return _mm256_mask_mul_ps(v, neg, v, _mm256_set1_ps(e->leaky));
    }
    case NN_ACT_PRELU: {
        __mmask8 neg = _mm256_cmp_ps_mask(v, zero, _CMP_LE_OQ);
        return _mm256_mask_mul_ps(v, neg, v, _mm256_maskz_loadu_ps(m, prelu));
    }
    default: return v;
    }
}

/* MR pixels x NV vectors. src: the block's first pixel at tap 0 in the
 * strip; psx: floats between horizontally adjacent output pixels. */
static inline __attribute__((always_inline)) void block(const int MR, const int NV, const conv_direct *cd, int c0,
                                                        const float *src, int64_t psx, float *dst,
                                                        const gemm_epi *e, const float *res)
{
    /* fixed sizes (not [MR][NV], a VLA) so the inlined copies keep them in registers */
    __m256 acc[24];
#pragma GCC unroll 24
    for (int p = 0; p < MR; p++)
#pragma GCC unroll 8
        for (int v = 0; v < NV; v++)
            acc[p * NV + v] = _mm256_setzero_ps();
    const float *w = cd->w + c0;
    const int64_t wstride = (int64_t)cd->nv * 8;
    const int *koff = cd->koff;
    for (int k = 0; k < cd->k; k++, w += wstride) {
        const float *s = src + koff[k];
        __m256 wv[8];
#pragma GCC unroll 8
        for (int v = 0; v < NV; v++)
            wv[v] = _mm256_load_ps(w + v * 8);
#pragma GCC unroll 24
        for (int p = 0; p < MR; p++) {
            __m256 a = _mm256_broadcast_ss(s + p * psx);
#pragma GCC unroll 8
            for (int v = 0; v < NV; v++)
                acc[p * NV + v] = _mm256_fmadd_ps(a, wv[v], acc[p * NV + v]);
        }
    }
    const int cout = cd->d.cout;
#pragma GCC unroll 24
    for (int p = 0; p < MR; p++) {
        float *o = dst + (int64_t)p * cout;
        const float *r = res ? res + (int64_t)p * cout : NULL;
#pragma GCC unroll 8
        for (int v = 0; v < NV; v++) {
            int c = c0 + v * 8;
            __mmask8 m = cout - c >= 8 ? (__mmask8)0xFF : (__mmask8)((1u << (cout - c)) - 1u);
            __m256 x = acc[p * NV + v];
            if (e->bias)
                x = _mm256_add_ps(x, _mm256_maskz_loadu_ps(m, e->bias + c));
            if (r)
                x = _mm256_add_ps(x, _mm256_maskz_loadu_ps(m, r + c));
            x = act_vec(x, e, e->prelu ? e->prelu + c : NULL, m);
            _mm256_mask_storeu_ps(o + c, m, x);
        }
    }
}

/* Zero-padded copy of the input rows output rows [oy0, oy1) of image b
 * read, so every tap of every pixel is in bounds. */
static void fill_strip(const conv_direct *cd, const float *in, int64_t b, int oy0, int oy1, float *strip)
{
    const nn_conv_desc *d = &cd->d;
    const int cin = d->cin, sw = cd->strip_w;
    int rows = (oy1 - oy0 - 1) * d->sh + (d->kh - 1) * d->dh + 1;
    int x_lo = d->pad_left, x_hi = d->pad_left + d->iw; /* strip columns holding image columns */
    if (x_hi > sw)
        x_hi = sw;
    const float *img = in + b * (int64_t)d->ih * d->iw * cin;
    for (int r = 0; r < rows; r++) {
        int iy = oy0 * d->sh - d->pad_top + r;
        float *o = strip + (int64_t)r * sw * cin;
        if (iy < 0 || iy >= d->ih || x_lo >= x_hi) {
            memset(o, 0, (size_t)sw * (size_t)cin * sizeof *o);
            continue;
        }
        memset(o, 0, (size_t)x_lo * (size_t)cin * sizeof *o);
        memcpy(o + (int64_t)x_lo * cin, img + (int64_t)iy * d->iw * cin, (size_t)(x_hi - x_lo) * (size_t)cin * sizeof *o);
        memset(o + (int64_t)x_hi * cin, 0, (size_t)(sw - x_hi) * (size_t)cin * sizeof *o);
    }
}

#define RUN_BLOCKS(MR, NV)                                                                        \
    if (npix < MR) {                                                                              \
        for (int64_t q = 0; q < npix; q++)                                                        \
            block(1, NV, cd, c0, src + q * psx, psx, dst + q * cout, e, res ? res + q * cout : NULL); \
        break;                                                                                    \
    }                                                                                             \
    for (int64_t q = 0; q < npix; q += MR) {                                                      \
        /* the last block slides back to stay full: a few pixels are computed twice */          \
        int64_t x0 = q + MR <= npix ? q : npix - MR;                                              \
        block(MR, NV, cd, c0, src + x0 * psx, psx, dst + x0 * cout, e, res ? res + x0 * cout : NULL); \
    }

void conv_direct_pixels_avx512(const conv_direct *cd, const float *src, int64_t psx, int64_t npix, float *dst,
                               const gemm_epi *e, const float *res)
{
    const int64_t cout = cd->d.cout;
    /* wide outputs go in groups of <= 4 vectors: more pixels per block
     * means fewer weight loads per FMA */
    for (int c0 = 0, left = cd->nv; left > 0;) {
        int g = left <= 4 ? left : left == 5 ? 3 : 4;
        switch (g) {
        case 1: RUN_BLOCKS(16, 1) break;
        case 2: RUN_BLOCKS(12, 2) break;
        case 3: RUN_BLOCKS(8, 3) break;
        default: RUN_BLOCKS(6, 4) break;
        }
        c0 += g * 8;
        left -= g;
    }
    if (e->act == NN_ACT_SIGMOID)
        for (int64_t k = 0; k < npix * cout; k++)
            dst[k] = 1.0f / (1.0f + expf(-dst[k]));
}

void conv_direct_tile_avx512(const conv_direct *cd, const float *in, float *out, const gemm_epi *e, int64_t tile,
                             float *strip)
{
    const nn_conv_desc *d = &cd->d;
    int64_t b = tile / cd->tiles_per_image;
    int oy0 = (int)(tile % cd->tiles_per_image) * cd->tile_rows;
    int oy1 = oy0 + cd->tile_rows < d->oh ? oy0 + cd->tile_rows : d->oh;
    fill_strip(cd, in, b, oy0, oy1, strip);
    const int64_t psx = (int64_t)d->sw * d->cin;
    for (int oy = oy0; oy < oy1; oy++) {
        const float *srow = strip + (int64_t)(oy - oy0) * d->sh * cd->strip_w * d->cin;
        int64_t pix = (b * d->oh + oy) * (int64_t)d->ow;
        conv_direct_pixels_avx512(cd, srow, psx, d->ow, out + pix * d->cout, e,
                                  e->residual ? e->residual + pix * d->cout : NULL);
    }
}

int conv_direct_block_pixels(int nv)
{
    static const int mr[5] = {0, 16, 12, 8, 6};
    return nv < 1 ? 0 : nv <= 4 ? mr[nv] : nv <= 8 ? 16 : 0;
}
