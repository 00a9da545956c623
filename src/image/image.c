/* fp_image lifetime: allocation with size limits, and wiping on free. */
#include "image/image_internal.h"

#include <stdlib.h>
#include <string.h>

fp_status img_check_size(long long width, long long height, const char *what, fp_error *err)
{
    if (width <= 0 || height <= 0)
        return fp_error_set(err, FP_ERR_INVALID_ARG, "%s: empty image (%lldx%lld)", what, width, height);
    if (width > FP_IMAGE_MAX_SIDE || height > FP_IMAGE_MAX_SIDE)
        return fp_error_set(err, FP_ERR_LIMIT, "%s: %lldx%lld exceeds the %d pixel side limit", what, width,
                            height, FP_IMAGE_MAX_SIDE);
    if (width * height > FP_IMAGE_MAX_PIXELS)
        return fp_error_set(err, FP_ERR_LIMIT, "%s: %lldx%lld exceeds the %lld pixel limit", what, width,
                            height, FP_IMAGE_MAX_PIXELS);
    return FP_OK;
}

fp_status fp_image_new(int width, int height, fp_image **out, fp_error *err)
{
    if (!out)
        return fp_error_set(err, FP_ERR_INVALID_ARG, "fp_image_new: out is NULL");
    *out = NULL;
    fp_status st = img_check_size(width, height, "image", err);
    if (st != FP_OK)
        return st;
    fp_image *img = malloc(sizeof *img);
    if (!img)
        return fp_error_set(err, FP_ERR_NOMEM, "image: out of memory");
    img->width = width;
    img->height = height;
    img->channels = 3;
    img->stride = (size_t)width * 3;
    /* calloc: a fresh image is black, which the warp/crop helpers rely on
     * for their zero fill, and no stale heap bytes can leak through it. */
    img->pixels = calloc((size_t)height, img->stride);
    if (!img->pixels) {
        free(img);
        return fp_error_set(err, FP_ERR_NOMEM, "image: out of memory for %dx%d", width, height);
    }
    *out = img;
    return FP_OK;
}

void fp_image_free(fp_image *img)
{
    if (!img)
        return;
    if (img->pixels) {
        /* Face images must not survive in freed memory (DP-20/DP-21, REC-14). */
        explicit_bzero(img->pixels, img->stride * (size_t)img->height);
        free(img->pixels);
    }
    explicit_bzero(img, sizeof *img);
    free(img);
}
