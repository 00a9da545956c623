/* Format sniffing and file loading on top of the JPEG / PNG decoders. */
#include "image/image_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/file.h"

/* Files above this are refused before reading: 40 MP of even a poorly
 * compressed JPEG stays well below it. */
#define IMAGE_MAX_FILE_BYTES ((size_t)256 << 20)

fp_status fp_image_decode(const void *data, size_t len, unsigned flags, fp_image **out, fp_error *err)
{
    if (!out)
        return fp_error_set(err, FP_ERR_INVALID_ARG, "image: out is NULL");
    *out = NULL;
    const unsigned char *p = data;
    if (!p || len == 0)
        return fp_error_set(err, FP_ERR_INVALID_ARG, "image: empty input");
    if (len >= 2 && p[0] == 0xFF && p[1] == 0xD8)
        return fp_image_decode_jpeg(data, len, flags, out, err);
    if (len >= 4 && !memcmp(p, "\x89PNG", 4))
        return fp_image_decode_png(data, len, flags, out, err);
    return fp_error_set(err, FP_ERR_UNSUPPORTED, "image: unknown format (only JPEG and PNG are supported)");
}

fp_status fp_image_load(const char *path, unsigned flags, fp_image **out, fp_error *err)
{
    if (!path || !out)
        return fp_error_set(err, FP_ERR_INVALID_ARG, "image: NULL argument");
    *out = NULL;
    char *data = NULL;
    size_t len = 0;
    fp_status st = fp_read_file(path, IMAGE_MAX_FILE_BYTES, &data, &len, err);
    if (st != FP_OK)
        return st;
    st = fp_image_decode(data, len, flags, out, err);
    /* The encoded file is as sensitive as the pixels (DP-20). */
    explicit_bzero(data, len);
    free(data);
    if (st != FP_OK && err) {
        /* Name the file: "a.jpg: JPEG: Premature end of JPEG file". */
        char msg[sizeof err->message];
        snprintf(msg, sizeof msg, "%s: %s", path, err->message);
        memcpy(err->message, msg, sizeof msg);
    }
    return st;
}
