/* Helpers shared by the image decoders and transforms (not public API). */
#ifndef FP_IMAGE_INTERNAL_H
#define FP_IMAGE_INTERNAL_H

#include "faceprint/image.h"

/* Checks a declared size against FP_IMAGE_MAX_SIDE / FP_IMAGE_MAX_PIXELS
 * (FP_ERR_LIMIT) and rejects empty images (FP_ERR_INVALID_ARG). what names
 * the source in the message ("JPEG", "PNG", ...). Decoders call it on the
 * header values BEFORE allocating pixels. */
fp_status img_check_size(long long width, long long height, const char *what, fp_error *err);

/* Applies EXIF orientation to *img in place of the original (frees it on
 * success and on failure). */
fp_status img_apply_orientation(fp_image **img, int orientation, fp_error *err);

/* Parses the EXIF Orientation tag out of a TIFF block (the APP1 payload
 * after "Exif\0\0"); returns 1..8, or 1 when absent or malformed. */
int img_exif_orientation(const unsigned char *tiff, size_t len);

#endif
