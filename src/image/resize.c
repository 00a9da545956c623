/* Bilinear resize with TF1 "legacy" semantics (TF.js resizeBilinear with
 * alignCorners = halfPixelCenters = false), the resize every reference
 * model input was built with (shared/reference/peer/README.md, "TF.js resize
 * semantics"): source coordinate = dst index * (in / out), neighbours
 * floor and min(floor + 1, n - 1), float32 arithmetic in the same order as
 * XNNPACK's ibilinear kernel, so our inputs match the fixtures. */
#include "image/image_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct axis_tap {
    int i0, i1;  /* neighbour indices */
    float frac;  /* weight of i1 */
} axis_tap;

static void make_taps(int in, int out, axis_tap *taps)
{
    const float scale = (float)in / (float)out;
    for (int o = 0; o < out; o++) {
        float s = (float)o * scale;
        int i0 = (int)floorf(s);
        if (i0 > in - 1)
            i0 = in - 1;
        taps[o].i0 = i0;
        taps[o].i1 = i0 + 1 < in ? i0 + 1 : in - 1;
        taps[o].frac = s - (float)i0;
    }
}

/* One output pixel; out[c] = bilinear value of channel c in 0..255. */
static inline void sample(const fp_image *src, const axis_tap *tx, const axis_tap *ty, float out[3])
{
    const uint8_t *r0 = src->pixels + (size_t)ty->i0 * src->stride;
    const uint8_t *r1 = src->pixels + (size_t)ty->i1 * src->stride;
    const uint8_t *tl = r0 + 3 * (size_t)tx->i0, *tr = r0 + 3 * (size_t)tx->i1;
    const uint8_t *bl = r1 + 3 * (size_t)tx->i0, *br = r1 + 3 * (size_t)tx->i1;
    for (int c = 0; c < 3; c++) {
        float vtl = tl[c], vtr = tr[c], vbl = bl[c], vbr = br[c];
        float top = vtl + (vtr - vtl) * tx->frac;
        float bottom = vbl + (vbr - vbl) * tx->frac;
        out[c] = top + (bottom - top) * ty->frac;
    }
}

static fp_status check_args(const fp_image *src, int width, int height)
{
    if (!src || !src->pixels || src->width <= 0 || src->height <= 0 || width <= 0 || height <= 0 ||
        width > FP_IMAGE_MAX_SIDE || height > FP_IMAGE_MAX_SIDE)
        return FP_ERR_INVALID_ARG;
    return FP_OK;
}

static fp_status make_axis(const fp_image *src, int width, int height, axis_tap **tx, axis_tap **ty)
{
    *tx = malloc(sizeof **tx * (size_t)width);
    *ty = malloc(sizeof **ty * (size_t)height);
    if (!*tx || !*ty) {
        free(*tx);
        free(*ty);
        return FP_ERR_NOMEM;
    }
    make_taps(src->width, width, *tx);
    make_taps(src->height, height, *ty);
    return FP_OK;
}

fp_status fp_image_resize_to_float(const fp_image *src, int width, int height, float scale,
                                   const float offset[3], float *dst)
{
    if (check_args(src, width, height) != FP_OK || !dst || !offset)
        return FP_ERR_INVALID_ARG;
    axis_tap *tx, *ty;
    fp_status st = make_axis(src, width, height, &tx, &ty);
    if (st != FP_OK)
        return st;
    for (int y = 0; y < height; y++) {
        float *row = dst + (size_t)y * width * 3;
        for (int x = 0; x < width; x++) {
            float v[3];
            sample(src, &tx[x], &ty[y], v);
            for (int c = 0; c < 3; c++)
                row[3 * x + c] = v[c] * scale + offset[c];
        }
    }
    free(tx);
    free(ty);
    return FP_OK;
}

fp_status fp_image_resize(const fp_image *src, int width, int height, fp_image **out, fp_error *err)
{
    if (!out || check_args(src, width, height) != FP_OK)
        return fp_error_set(err, FP_ERR_INVALID_ARG, "resize: bad arguments");
    *out = NULL;
    fp_image *dst;
    fp_status st = fp_image_new(width, height, &dst, err);
    if (st != FP_OK)
        return st;
    axis_tap *tx, *ty;
    if (make_axis(src, width, height, &tx, &ty) != FP_OK) {
        fp_image_free(dst);
        return fp_error_set(err, FP_ERR_NOMEM, "resize: out of memory");
    }
    for (int y = 0; y < height; y++) {
        uint8_t *row = dst->pixels + (size_t)y * dst->stride;
        for (int x = 0; x < width; x++) {
            float v[3];
            sample(src, &tx[x], &ty[y], v);
            for (int c = 0; c < 3; c++) {
                float r = v[c] + 0.5f;
                row[3 * x + c] = (uint8_t)(r < 0.f ? 0.f : r > 255.f ? 255.f : r);
            }
        }
    }
    free(tx);
    free(ty);
    *out = dst;
    return FP_OK;
}
