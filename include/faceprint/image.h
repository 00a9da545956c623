/* faceprint images: decoding (JPEG, PNG) into 8-bit RGB, and the geometric
 * helpers the face pipeline needs (resize, crop, affine warp).
 *
 * Face images are personal sensitive data (SPEC DP-1): fp_image_free wipes
 * the pixels before releasing them, so a freed face image does not linger
 * in the heap (DP-20, DP-21, REC-14). Decoders treat every input as hostile:
 * corrupt or truncated data fails with a status and a message, never a crash,
 * and the declared size is checked against the limits below before the pixel
 * buffer is allocated. */
#ifndef FACEPRINT_IMAGE_H
#define FACEPRINT_IMAGE_H

#include <stddef.h>
#include <stdint.h>
#include "faceprint/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Decoding limits: larger images fail with FP_ERR_LIMIT before any pixel
 * memory is allocated (a 40 MP RGB8 image is 120 MB). */
#define FP_IMAGE_MAX_PIXELS 40000000LL
#define FP_IMAGE_MAX_SIDE 16384

/* An 8-bit RGB image, rows top to bottom, pixel (x, y) at
 * pixels[y * stride + 3 * x]. channels is always 3 for now (kept explicit so
 * the layout is self-describing). Created by fp_image_new or a decoder,
 * released by fp_image_free. */
typedef struct fp_image {
    int width;
    int height;
    int channels;
    size_t stride; /* bytes per row, >= 3 * width */
    uint8_t *pixels;
} fp_image;

/* Decoding flags. */
#define FP_IMAGE_IGNORE_EXIF 1u /* keep the stored orientation (no EXIF rotation) */

/* A zero-filled width x height RGB8 image. FP_ERR_INVALID_ARG for a 0 or
 * negative side, FP_ERR_LIMIT above FP_IMAGE_MAX_SIDE / FP_IMAGE_MAX_PIXELS. */
fp_status fp_image_new(int width, int height, fp_image **out, fp_error *err);
/* Wipes the pixels (explicit_bzero) and frees. NULL is a no-op. */
void fp_image_free(fp_image *img);

/* Decoders. data[0..len) holds a whole file. JPEG: grayscale, YCbCr, RGB,
 * CMYK and YCCK (Adobe, inverted) become RGB; unless FP_IMAGE_IGNORE_EXIF,
 * the EXIF Orientation tag (APP1, IFD0) is applied so the result is upright.
 * PNG: palette, gray, gray+alpha, RGBA and 16-bit become RGB8 (alpha is
 * dropped, not composited - the same as the reference decoders, see
 * shared/reference/peer/README.md "Image decoding"). Errors: FP_ERR_FORMAT
 * (not an image / corrupt), FP_ERR_TRUNCATED (data ends early),
 * FP_ERR_LIMIT (too large), FP_ERR_INVALID_ARG (zero size), FP_ERR_NOMEM. */
fp_status fp_image_decode_jpeg(const void *data, size_t len, unsigned flags, fp_image **out,
                               fp_error *err);
fp_status fp_image_decode_png(const void *data, size_t len, unsigned flags, fp_image **out,
                              fp_error *err);
/* Picks the decoder from the signature; FP_ERR_UNSUPPORTED for other formats. */
fp_status fp_image_decode(const void *data, size_t len, unsigned flags, fp_image **out, fp_error *err);
/* Reads and decodes a file (at most 256 MiB); the file bytes are wiped after decoding. */
fp_status fp_image_load(const char *path, unsigned flags, fp_image **out, fp_error *err);

/* EXIF orientation (1..8) of a JPEG file, 1 when absent or unreadable. */
int fp_image_jpeg_orientation(const void *data, size_t len);
/* Returns the image rotated/flipped so that EXIF orientation `orientation`
 * (1..8) becomes upright (1 = plain copy). */
fp_status fp_image_orient(const fp_image *src, int orientation, fp_image **out, fp_error *err);

/* Bilinear resize with TF.js `resizeBilinear(alignCorners=false,
 * halfPixelCenters=false)` semantics (TF1 "legacy": source coordinate =
 * dst index * in/out, no half-pixel offset), float32 arithmetic, so model
 * inputs match the references. dst receives width*height*3 floats, NHWC,
 * each value v * scale + offset[c] (e.g. scale 1/127.5, offsets -1). */
fp_status fp_image_resize_to_float(const fp_image *src, int width, int height, float scale,
                                   const float offset[3], float *dst);
/* The same resize into a new RGB8 image (values rounded to nearest). */
fp_status fp_image_resize(const fp_image *src, int width, int height, fp_image **out, fp_error *err);
/* Copy of the rectangle (x, y, w, h); parts outside src are zero (black). */
fp_status fp_image_crop(const fp_image *src, int x, int y, int w, int h, fp_image **out, fp_error *err);

/* Affine warp: out pixel (u, v) (integer pixel coordinates) samples src at
 * (m[0]*u + m[1]*v + m[2], m[3]*u + m[4]*v + m[5]) bilinearly; samples whose
 * 2x2 neighbourhood lies entirely outside src are 0, partly outside ones
 * treat the missing neighbours as 0. m maps OUTPUT to SOURCE coordinates
 * (the inverse of the usual image -> chip matrix; see fp_affine_invert).
 * _f32 writes width*height*3 floats v * scale + offset[c] (per channel, so a
 * mean subtraction fits); flip_x mirrors the output left-right. */
fp_status fp_image_warp_affine(const fp_image *src, const double m[6], int width, int height,
                               fp_image **out, fp_error *err);
fp_status fp_image_warp_affine_f32(const fp_image *src, const double m[6], int width, int height,
                                   float scale, const float offset[3], int flip_x, float *dst);
/* Inverse of a 2x3 affine matrix; FP_ERR_INVALID_ARG when singular. */
fp_status fp_affine_invert(const double m[6], double inv[6]);

/* Box-filter downscale by an integer factor (each output pixel = mean of a
 * factor x factor block, edges clamped): used before bilinear sampling when
 * a warp shrinks by 2x or more, to avoid aliasing. */
fp_status fp_image_downscale_box(const fp_image *src, int factor, fp_image **out, fp_error *err);

#ifdef __cplusplus
}
#endif
#endif
