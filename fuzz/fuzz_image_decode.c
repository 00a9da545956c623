/* libFuzzer target: the JPEG / PNG decoders and the EXIF parser on
 * arbitrary bytes.
 *
 * Every input goes through fp_image_decode (format sniffing), the JPEG and
 * PNG decoders directly, with and without EXIF orientation, and the EXIF
 * TIFF parser. Invariants (abort on violation): success <=> an image is
 * returned; a returned image is RGB8 within FP_IMAGE_MAX_SIDE /
 * FP_IMAGE_MAX_PIXELS with every row readable; failures set fp_error to the
 * returned status with a non-empty message and are one of the documented
 * decoder statuses; orientations are 1..8.
 *
 * Seed corpus: a few small JPEG/PNG files (e.g. shared/data/lfw images);
 * build with cmake -DFP_FUZZ=ON -DCMAKE_C_COMPILER=clang. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "faceprint/image.h"
#include "image/image_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef fp_status (*decode_fn)(const void *, size_t, unsigned, fp_image **, fp_error *);

static void check(decode_fn fn, const uint8_t *buf, size_t size, unsigned flags)
{
    fp_image *img = (fp_image *)1; /* must be overwritten */
    fp_error err;
    memset(&err, 0, sizeof err);
    fp_status st = fn(buf, size, flags, &img, &err);
    if (st == FP_OK) {
        if (!img || img->channels != 3 || img->width <= 0 || img->height <= 0 ||
            img->width > FP_IMAGE_MAX_SIDE || img->height > FP_IMAGE_MAX_SIDE ||
            (long long)img->width * img->height > FP_IMAGE_MAX_PIXELS || img->stride < 3 * (size_t)img->width)
            abort();
        /* Touch the first and last byte of every row: ASan checks the extent. */
        volatile uint8_t sink = 0;
        for (int y = 0; y < img->height; y++)
            sink ^= img->pixels[(size_t)y * img->stride] ^
                    img->pixels[(size_t)y * img->stride + 3 * (size_t)img->width - 1];
        (void)sink;
        fp_image_free(img);
        return;
    }
    if (img != NULL || err.status != st || !err.message[0])
        abort();
    switch (st) {
    case FP_ERR_FORMAT:
    case FP_ERR_TRUNCATED:
    case FP_ERR_LIMIT:
    case FP_ERR_UNSUPPORTED:
    case FP_ERR_INVALID_ARG: /* empty input */
    case FP_ERR_NOMEM:
        break;
    default:
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* an exact-size heap copy: any read past the end is an ASan error */
    uint8_t *buf = malloc(size ? size : 1);
    if (!buf)
        return 0;
    if (size)
        memcpy(buf, data, size);
    check(fp_image_decode, buf, size, 0);
    check(fp_image_decode_jpeg, buf, size, FP_IMAGE_IGNORE_EXIF);
    check(fp_image_decode_png, buf, size, 0);
    int o = fp_image_jpeg_orientation(buf, size);
    int t = img_exif_orientation(buf, size);
    if (o < 1 || o > 8 || t < 1 || t > 8)
        abort();
    free(buf);
    return 0;
}
