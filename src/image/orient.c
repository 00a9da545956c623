/* EXIF orientation: rotate/flip a decoded image so that it is upright
 * (Q-4 "rotation correction" for the common camera case). */
#include "image/image_internal.h"

#include <string.h>

fp_status fp_image_orient(const fp_image *src, int orientation, fp_image **out, fp_error *err)
{
    if (!src || !out || orientation < 1 || orientation > 8)
        return fp_error_set(err, FP_ERR_INVALID_ARG, "orient: bad arguments (orientation %d)", orientation);
    const int w = src->width, h = src->height;
    const int swap = orientation >= 5; /* 5..8 exchange width and height */
    fp_image *dst;
    fp_status st = fp_image_new(swap ? h : w, swap ? w : h, &dst, err);
    if (st != FP_OK)
        return st;
    for (int oy = 0; oy < dst->height; oy++) {
        uint8_t *row = dst->pixels + (size_t)oy * dst->stride;
        for (int ox = 0; ox < dst->width; ox++) {
            int sx, sy;
            /* Source pixel of output (ox, oy); EXIF 2..8 as in TIFF 6.0. */
            switch (orientation) {
            case 2: sx = w - 1 - ox; sy = oy; break;          /* mirror */
            case 3: sx = w - 1 - ox; sy = h - 1 - oy; break;  /* rotate 180 */
            case 4: sx = ox; sy = h - 1 - oy; break;          /* flip vertical */
            case 5: sx = oy; sy = ox; break;                  /* transpose */
            case 6: sx = oy; sy = h - 1 - ox; break;          /* rotate 90 clockwise */
            case 7: sx = w - 1 - oy; sy = h - 1 - ox; break;  /* transverse */
            case 8: sx = w - 1 - oy; sy = ox; break;          /* rotate 90 counter-clockwise */
            default: sx = ox; sy = oy; break;
            }
            memcpy(row + 3 * (size_t)ox, src->pixels + (size_t)sy * src->stride + 3 * (size_t)sx, 3);
        }
    }
    *out = dst;
    return FP_OK;
}

fp_status img_apply_orientation(fp_image **img, int orientation, fp_error *err)
{
    if (orientation <= 1 || orientation > 8)
        return FP_OK;
    fp_image *rotated;
    fp_status st = fp_image_orient(*img, orientation, &rotated, err);
    fp_image_free(*img);
    *img = st == FP_OK ? rotated : NULL;
    return st;
}
