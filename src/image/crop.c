/* Rectangular crop with zero (black) fill outside the source, the padding
 * convention of the face-api crops. */
#include "image/image_internal.h"

#include <string.h>

fp_status fp_image_crop(const fp_image *src, int x, int y, int w, int h, fp_image **out, fp_error *err)
{
    if (!src || !src->pixels || !out)
        return fp_error_set(err, FP_ERR_INVALID_ARG, "crop: NULL argument");
    *out = NULL;
    fp_image *dst;
    fp_status st = fp_image_new(w, h, &dst, err); /* zero-filled */
    if (st != FP_OK)
        return st;
    /* Intersection of [x, x+w) x [y, y+h) with the source, in 64 bits so
     * extreme offsets cannot overflow. */
    long long x0 = x > 0 ? x : 0, y0 = y > 0 ? y : 0;
    long long x1 = (long long)x + w, y1 = (long long)y + h;
    if (x1 > src->width)
        x1 = src->width;
    if (y1 > src->height)
        y1 = src->height;
    for (long long sy = y0; sy < y1 && x0 < x1; sy++)
        memcpy(dst->pixels + (size_t)(sy - y) * dst->stride + 3 * (size_t)(x0 - x),
               src->pixels + (size_t)sy * src->stride + 3 * (size_t)x0, 3 * (size_t)(x1 - x0));
    *out = dst;
    return FP_OK;
}
