/* Affine warps (face alignment chips): bilinear sampling, zero outside. */
#include "image/image_internal.h"

#include <math.h>
#include <stddef.h>

fp_status fp_affine_invert(const double m[6], double inv[6])
{
    double det = m[0] * m[4] - m[1] * m[3];
    if (!isfinite(det) || fabs(det) < 1e-12)
        return FP_ERR_INVALID_ARG;
    double a = m[4] / det, b = -m[1] / det, d = -m[3] / det, e = m[0] / det;
    inv[0] = a;
    inv[1] = b;
    inv[2] = -(a * m[2] + b * m[5]);
    inv[3] = d;
    inv[4] = e;
    inv[5] = -(d * m[2] + e * m[5]);
    return FP_OK;
}

/* Bilinear value of src at (sx, sy); neighbours outside the image count as
 * 0, so the chip fades to black at the image border instead of smearing
 * edge pixels (the convention of the ArcFace/dlib alignment references). */
static void sample(const fp_image *src, double sx, double sy, float out[3])
{
    out[0] = out[1] = out[2] = 0.f;
    if (!(sx > -1.0 && sy > -1.0 && sx < src->width && sy < src->height)) /* also rejects NaN */
        return;
    int x0 = (int)floor(sx), y0 = (int)floor(sy);
    float fx = (float)(sx - x0), fy = (float)(sy - y0);
    float w[4] = {(1.f - fx) * (1.f - fy), fx * (1.f - fy), (1.f - fx) * fy, fx * fy};
    for (int k = 0; k < 4; k++) {
        int px = x0 + (k & 1), py = y0 + (k >> 1);
        if (px < 0 || py < 0 || px >= src->width || py >= src->height || w[k] == 0.f)
            continue;
        const uint8_t *p = src->pixels + (size_t)py * src->stride + 3 * (size_t)px;
        out[0] += w[k] * p[0];
        out[1] += w[k] * p[1];
        out[2] += w[k] * p[2];
    }
}

static int valid(const fp_image *src, const double m[6], int width, int height)
{
    if (!src || !src->pixels || !m || width <= 0 || height <= 0 || width > FP_IMAGE_MAX_SIDE ||
        height > FP_IMAGE_MAX_SIDE)
        return 0;
    for (int i = 0; i < 6; i++)
        if (!isfinite(m[i]))
            return 0;
    return 1;
}

fp_status fp_image_warp_affine(const fp_image *src, const double m[6], int width, int height,
                               fp_image **out, fp_error *err)
{
    if (!out || !valid(src, m, width, height))
        return fp_error_set(err, FP_ERR_INVALID_ARG, "warp: bad arguments");
    *out = NULL;
    fp_image *dst;
    fp_status st = fp_image_new(width, height, &dst, err);
    if (st != FP_OK)
        return st;
    for (int v = 0; v < height; v++) {
        uint8_t *row = dst->pixels + (size_t)v * dst->stride;
        for (int u = 0; u < width; u++) {
            float px[3];
            sample(src, m[0] * u + m[1] * v + m[2], m[3] * u + m[4] * v + m[5], px);
            for (int c = 0; c < 3; c++) {
                float r = px[c] + 0.5f;
                row[3 * u + c] = (uint8_t)(r > 255.f ? 255.f : r);
            }
        }
    }
    *out = dst;
    return FP_OK;
}

fp_status fp_image_warp_affine_f32(const fp_image *src, const double m[6], int width, int height,
                                   float scale, const float offset[3], int flip_x, float *dst)
{
    if (!dst || !offset || !valid(src, m, width, height))
        return FP_ERR_INVALID_ARG;
    for (int v = 0; v < height; v++) {
        float *row = dst + (size_t)v * width * 3;
        for (int u = 0; u < width; u++) {
            int su = flip_x ? width - 1 - u : u;
            float px[3];
            sample(src, m[0] * su + m[1] * v + m[2], m[3] * su + m[4] * v + m[5], px);
            for (int c = 0; c < 3; c++)
                row[3 * u + c] = px[c] * scale + offset[c];
        }
    }
    return FP_OK;
}
