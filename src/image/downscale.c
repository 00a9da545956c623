/* Integer-factor box downscale: the anti-aliasing step before a bilinear
 * warp that shrinks a large face by 2x or more (bilinear alone samples only
 * 4 source pixels per output pixel and would alias; dlib's chip extractor
 * does the same with its image pyramid). */
#include "image/image_internal.h"

fp_status fp_image_downscale_box(const fp_image *src, int factor, fp_image **out, fp_error *err)
{
    if (!src || !src->pixels || !out || factor < 1)
        return fp_error_set(err, FP_ERR_INVALID_ARG, "downscale: bad arguments");
    *out = NULL;
    /* ceil: a partial block at the right/bottom edge averages the pixels it has. */
    int w = (src->width + factor - 1) / factor, h = (src->height + factor - 1) / factor;
    fp_image *dst;
    fp_status st = fp_image_new(w, h, &dst, err);
    if (st != FP_OK)
        return st;
    for (int oy = 0; oy < h; oy++) {
        int y0 = oy * factor, y1 = y0 + factor < src->height ? y0 + factor : src->height;
        for (int ox = 0; ox < w; ox++) {
            int x0 = ox * factor, x1 = x0 + factor < src->width ? x0 + factor : src->width;
            unsigned sum[3] = {0, 0, 0};
            for (int y = y0; y < y1; y++) {
                const uint8_t *p = src->pixels + (size_t)y * src->stride + 3 * (size_t)x0;
                for (int x = x0; x < x1; x++, p += 3) {
                    sum[0] += p[0];
                    sum[1] += p[1];
                    sum[2] += p[2];
                }
            }
            unsigned n = (unsigned)((y1 - y0) * (x1 - x0));
            uint8_t *d = dst->pixels + (size_t)oy * dst->stride + 3 * (size_t)ox;
            for (int c = 0; c < 3; c++)
                d[c] = (uint8_t)((sum[c] + n / 2) / n);
        }
    }
    *out = dst;
    return FP_OK;
}
