/* Plan of the direct convolution (kernel in conv_direct_avx512.c): weights
 * re-laid out as [k][nv * 8] so one row of ymm loads covers every output
 * channel of a tap, and the strip offsets of the taps in HWI order. */
#include <stdlib.h>
#include <string.h>
#include "internal.h"

void conv_direct_free(conv_direct *cd)
{
    if (cd) {
        free(cd->w);
        free(cd->koff);
        free(cd);
    }
}

fp_status conv_direct_new(const nn_conv_desc *d, const float *filter_hwio, conv_direct **out)
{
    *out = NULL;
    int nv = (d->cout + 7) / 8;
    if (conv_direct_block_pixels(nv) == 0)
        return FP_ERR_INVALID_ARG;
    conv_direct *cd = calloc(1, sizeof *cd);
    if (!cd)
        return FP_ERR_NOMEM;
    cd->d = *d;
    cd->nv = nv;
    cd->k = d->kh * d->kw * d->cin;
    cd->strip_w = (d->ow - 1) * d->sw + (d->kw - 1) * d->dw + 1;
    cd->tile_rows = d->oh < 8 ? d->oh : 8;
    cd->tiles_per_image = (d->oh + cd->tile_rows - 1) / cd->tile_rows;
    int strip_rows = (cd->tile_rows - 1) * d->sh + (d->kh - 1) * d->dh + 1;
    cd->strip_bytes = ((size_t)strip_rows * (size_t)cd->strip_w * (size_t)d->cin * sizeof(float) + 63) & ~(size_t)63;
    size_t wbytes = (size_t)cd->k * (size_t)nv * 8 * sizeof(float);
    cd->w = aligned_alloc(64, (wbytes + 63) & ~(size_t)63);
    cd->koff = malloc((size_t)cd->k * sizeof *cd->koff);
    if (!cd->w || !cd->koff) {
        conv_direct_free(cd);
        return FP_ERR_NOMEM;
    }
    memset(cd->w, 0, wbytes);
    int k = 0;
    for (int ky = 0; ky < d->kh; ky++)
        for (int kx = 0; kx < d->kw; kx++)
            for (int ci = 0; ci < d->cin; ci++, k++) {
                cd->koff[k] = ((ky * d->dh * cd->strip_w) + kx * d->dw) * d->cin + ci;
                memcpy(cd->w + (size_t)k * (size_t)nv * 8, filter_hwio + (size_t)k * (size_t)d->cout,
                       (size_t)d->cout * sizeof(float));
            }
    *out = cd;
    return FP_OK;
}
