/* PNG decoding with libpng into RGB8.
 *
 * libpng reports errors by calling png_error(), which longjmps to the
 * setjmp in fp_image_decode_png; our read callback serves the bytes from
 * memory and raises "truncated" itself when the file ends early, which is
 * how FP_ERR_TRUNCATED is told apart from other damage (FP_ERR_FORMAT).
 * Palette, gray, 16-bit and alpha are all converted to RGB8; alpha is
 * dropped without compositing, as the reference decoders do. */
#include "image/image_internal.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>

typedef struct png_ctx {
    const unsigned char *data;
    size_t len, pos;
    int truncated;
    char message[200];
    /* Owned resources, reachable after a longjmp. */
    fp_image *img;
    png_bytep *rows;
} png_ctx;

static void on_read(png_structp png, png_bytep out, size_t n)
{
    png_ctx *ctx = png_get_io_ptr(png);
    if (n > ctx->len - ctx->pos) {
        ctx->truncated = 1;
        png_error(png, "file ends before the data it declares");
    }
    memcpy(out, ctx->data + ctx->pos, n);
    ctx->pos += n;
}

static void on_error(png_structp png, png_const_charp msg)
{
    png_ctx *ctx = png_get_error_ptr(png);
    if (!ctx->message[0])
        snprintf(ctx->message, sizeof ctx->message, "%s", msg);
    png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp msg)
{
    /* Warnings (bad ancillary chunks, ...) leave the pixels intact. */
    (void)png;
    (void)msg;
}

fp_status fp_image_decode_png(const void *data, size_t len, unsigned flags, fp_image **out, fp_error *err)
{
    (void)flags; /* PNG has no orientation tag we honour (eXIf is rare and not applied by browsers either) */
    if (!out)
        return fp_error_set(err, FP_ERR_INVALID_ARG, "PNG: out is NULL");
    *out = NULL;
    if (!data || len == 0)
        return fp_error_set(err, FP_ERR_INVALID_ARG, "PNG: empty input");
    if (len < 8 || png_sig_cmp(data, 0, 8))
        return fp_error_set(err, len < 8 ? FP_ERR_TRUNCATED : FP_ERR_FORMAT, "PNG: bad signature");

    /* IHDR must be the first chunk: check its size before libpng reads any
     * further (png_read_info walks every chunk up to the first IDAT). A zero
     * side is left to libpng, which reports the malformed header. */
    const unsigned char *p = data;
    if (len >= 24 && !memcmp(p + 12, "IHDR", 4)) {
        unsigned long long w = (unsigned long long)p[16] << 24 | p[17] << 16 | p[18] << 8 | p[19];
        unsigned long long h = (unsigned long long)p[20] << 24 | p[21] << 16 | p[22] << 8 | p[23];
        if (w > 0 && h > 0) {
            fp_status st = img_check_size((long long)w, (long long)h, "PNG", err);
            if (st != FP_OK)
                return st;
        }
    }

    png_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.data = data;
    ctx.len = len;
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &ctx, on_error, on_warning);
    if (!png)
        return fp_error_set(err, FP_ERR_NOMEM, "PNG: out of memory");
    png_infop info = png_create_info_struct(png);
    if (!info) {
        png_destroy_read_struct(&png, NULL, NULL);
        return fp_error_set(err, FP_ERR_NOMEM, "PNG: out of memory");
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, NULL);
        free(ctx.rows);
        fp_image_free(ctx.img);
        return fp_error_set(err, ctx.truncated ? FP_ERR_TRUNCATED : FP_ERR_FORMAT, "PNG: %s",
                            ctx.message[0] ? ctx.message : "decoding failed");
    }
    png_set_read_fn(png, &ctx, on_read);
    png_read_info(png, info);

    png_uint_32 w = png_get_image_width(png, info), h = png_get_image_height(png, info);
    /* IHDR tells the size: refuse before anything proportional is allocated. */
    fp_status st = img_check_size(w, h, "PNG", err);
    if (st != FP_OK) {
        png_destroy_read_struct(&png, &info, NULL);
        return st;
    }

    int color = png_get_color_type(png, info);
    int depth = png_get_bit_depth(png, info);
    if (depth == 16)
        png_set_strip_16(png); /* high byte, as libvips does */
    if (color == PNG_COLOR_TYPE_PALETTE)
        png_set_palette_to_rgb(png);
    if (color == PNG_COLOR_TYPE_GRAY && depth < 8)
        png_set_expand_gray_1_2_4_to_8(png);
    if (color == PNG_COLOR_TYPE_GRAY || color == PNG_COLOR_TYPE_GRAY_ALPHA)
        png_set_gray_to_rgb(png);
    if (color & PNG_COLOR_MASK_ALPHA)
        png_set_strip_alpha(png);
    /* tRNS is not expanded to alpha, so palette/gray/RGB with tRNS stay RGB. */
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    if (png_get_channels(png, info) != 3 || png_get_bit_depth(png, info) != 8 ||
        png_get_rowbytes(png, info) != (size_t)w * 3) {
        snprintf(ctx.message, sizeof ctx.message, "unexpected layout after conversion");
        png_error(png, ctx.message);
    }

    fp_error alloc_err;
    st = fp_image_new((int)w, (int)h, &ctx.img, &alloc_err);
    if (st != FP_OK) {
        png_destroy_read_struct(&png, &info, NULL);
        return fp_error_set(err, st, "PNG: %s", alloc_err.message);
    }
    ctx.rows = malloc(sizeof *ctx.rows * h);
    if (!ctx.rows) {
        png_destroy_read_struct(&png, &info, NULL);
        fp_image_free(ctx.img);
        return fp_error_set(err, FP_ERR_NOMEM, "PNG: out of memory");
    }
    for (png_uint_32 y = 0; y < h; y++)
        ctx.rows[y] = ctx.img->pixels + (size_t)y * ctx.img->stride;
    png_read_image(png, ctx.rows);
    /* Reads the chunks after IDAT up to IEND (CRCs checked), so a file cut
     * after its pixel data is still reported as truncated. */
    png_read_end(png, NULL);
    png_destroy_read_struct(&png, &info, NULL);
    free(ctx.rows);
    *out = ctx.img;
    return FP_OK;
}
