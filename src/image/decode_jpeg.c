/* JPEG decoding with libjpeg-turbo into RGB8.
 *
 * libjpeg reports fatal errors through error_exit(), which must not return:
 * we longjmp back to fp_image_decode_jpeg and turn the message into a
 * status. Warnings that mean the pixels are not what the file should hold
 * (premature end of data, bad Huffman codes, ...) are promoted to errors, so
 * a damaged photo is never silently enrolled or compared with grey-filled
 * rows: "Premature end of JPEG file" -> FP_ERR_TRUNCATED, the other
 * corrupt-data warnings -> FP_ERR_FORMAT.
 *
 * Decoding parameters are libjpeg's defaults (islow IDCT, fancy upsampling),
 * which is what the reference decoders use: the output is bit-identical to
 * the `rgb8_sha256` of shared/reference/pipeline (*.jsonl). */
#include "image/image_internal.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>

/* A progressive JPEG may legally contain any number of scans, and each one
 * costs a pass over the whole coefficient buffer: a tiny hostile file can
 * burn minutes of CPU. Real encoders use ~10; libjpeg-turbo's own tools
 * suggest a cap of this order. */
#define JPEG_MAX_SCANS 256

typedef struct jpeg_ctx {
    struct jpeg_error_mgr pub; /* first: libjpeg casts cinfo->err to this */
    struct jpeg_progress_mgr progress;
    jmp_buf jump;
    fp_status status;          /* status to report after the longjmp */
    char message[JMSG_LENGTH_MAX];
    /* Owned resources, reachable after a longjmp (no volatile locals needed). */
    fp_image *img;
    unsigned char *row;        /* CMYK scanline scratch */
    size_t row_bytes;
} jpeg_ctx;

static void on_error_exit(j_common_ptr cinfo)
{
    jpeg_ctx *ctx = (jpeg_ctx *)cinfo->err;
    if (ctx->status == FP_OK) {
        switch (cinfo->err->msg_code) {
        case JERR_BAD_PRECISION:       /* 12/16-bit samples: this build decodes 8-bit only */
        case JERR_NOT_COMPILED:
        case JERR_NOTIMPL:
        case JERR_CONVERSION_NOTIMPL:
            ctx->status = FP_ERR_UNSUPPORTED;
            break;
        default:
            ctx->status = FP_ERR_FORMAT;
        }
    }
    if (!ctx->message[0])
        (*cinfo->err->format_message)(cinfo, ctx->message);
    longjmp(ctx->jump, 1);
}

static void on_emit_message(j_common_ptr cinfo, int level)
{
    if (level >= 0) /* trace messages */
        return;
    jpeg_ctx *ctx = (jpeg_ctx *)cinfo->err;
    ctx->pub.num_warnings++;
    switch (ctx->pub.msg_code) {
    case JWRN_JPEG_EOF:
        ctx->status = FP_ERR_TRUNCATED;
        break;
    case JWRN_HIT_MARKER:
    case JWRN_HUFF_BAD_CODE:
    case JWRN_MUST_RESYNC:
    case JWRN_NOT_SEQUENTIAL:
    case JWRN_BOGUS_PROGRESSION:
    case JWRN_ARITH_BAD_CODE:
        ctx->status = FP_ERR_FORMAT;
        break;
    default:
        /* Harmless: extraneous bytes before a marker, unknown JFIF/Adobe
         * revisions, a bad ICC chunk - the pixels are still complete. */
        return;
    }
    (*cinfo->err->format_message)(cinfo, ctx->message);
    longjmp(ctx->jump, 1);
}

static void on_progress(j_common_ptr cinfo)
{
    if (!cinfo->is_decompressor)
        return;
    j_decompress_ptr d = (j_decompress_ptr)cinfo;
    if (d->input_scan_number > JPEG_MAX_SCANS) {
        jpeg_ctx *ctx = (jpeg_ctx *)cinfo->err;
        ctx->status = FP_ERR_LIMIT;
        snprintf(ctx->message, sizeof ctx->message, "more than %d progressive scans", JPEG_MAX_SCANS);
        longjmp(ctx->jump, 1);
    }
}

/* Inverted (Adobe) CMYK: stored values are 255 - ink, so R = C*K/255 with the
 * stored C and K; plain CMYK stores ink amounts, R = (255-C)(255-K)/255. */
static void cmyk_row_to_rgb(const unsigned char *in, unsigned char *out, int width, int inverted)
{
    for (int x = 0; x < width; x++) {
        unsigned c = in[4 * x], m = in[4 * x + 1], y = in[4 * x + 2], k = in[4 * x + 3];
        if (!inverted) {
            c = 255 - c;
            m = 255 - m;
            y = 255 - y;
            k = 255 - k;
        }
        out[3 * x] = (unsigned char)((c * k + 127) / 255);
        out[3 * x + 1] = (unsigned char)((m * k + 127) / 255);
        out[3 * x + 2] = (unsigned char)((y * k + 127) / 255);
    }
}

static int read_orientation(j_decompress_ptr cinfo)
{
    for (jpeg_saved_marker_ptr m = cinfo->marker_list; m; m = m->next)
        if (m->marker == JPEG_APP0 + 1 && m->data_length >= 6 && !memcmp(m->data, "Exif\0\0", 6))
            return img_exif_orientation(m->data + 6, m->data_length - 6);
    return 1;
}

fp_status fp_image_decode_jpeg(const void *data, size_t len, unsigned flags, fp_image **out, fp_error *err)
{
    if (!out)
        return fp_error_set(err, FP_ERR_INVALID_ARG, "JPEG: out is NULL");
    *out = NULL;
    if (!data || len == 0)
        return fp_error_set(err, FP_ERR_INVALID_ARG, "JPEG: empty input");
    if (len < 3 || ((const unsigned char *)data)[0] != 0xFF || ((const unsigned char *)data)[1] != 0xD8)
        return fp_error_set(err, FP_ERR_FORMAT, "JPEG: missing SOI marker (not a JPEG file)");
    if ((unsigned long)len != len)
        return fp_error_set(err, FP_ERR_LIMIT, "JPEG: input too large");

    struct jpeg_decompress_struct cinfo;
    jpeg_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    memset(&cinfo, 0, sizeof cinfo);
    cinfo.err = jpeg_std_error(&ctx.pub);
    ctx.pub.error_exit = on_error_exit;
    ctx.pub.emit_message = on_emit_message;
    ctx.progress.progress_monitor = on_progress;

    if (setjmp(ctx.jump)) {
        fp_status st = ctx.status != FP_OK ? ctx.status : FP_ERR_FORMAT;
        jpeg_destroy_decompress(&cinfo);
        if (ctx.row) {
            explicit_bzero(ctx.row, ctx.row_bytes);
            free(ctx.row);
        }
        fp_image_free(ctx.img);
        return fp_error_set(err, st, "JPEG: %s", ctx.message[0] ? ctx.message : "decoding failed");
    }

    jpeg_create_decompress(&cinfo);
    cinfo.progress = &ctx.progress;
    jpeg_mem_src(&cinfo, data, (unsigned long)len);
    if (!(flags & FP_IMAGE_IGNORE_EXIF))
        jpeg_save_markers(&cinfo, JPEG_APP0 + 1, 0xFFFF);
    jpeg_read_header(&cinfo, TRUE);
    /* Saved markers live in libjpeg's per-image pool, which
     * jpeg_finish_decompress releases: read the orientation now. */
    int orientation = (flags & FP_IMAGE_IGNORE_EXIF) ? 1 : read_orientation(&cinfo);

    /* The header alone tells the size: refuse before libjpeg or we allocate
     * anything proportional to it. */
    fp_status st = img_check_size(cinfo.image_width, cinfo.image_height, "JPEG", err);
    if (st != FP_OK) {
        jpeg_destroy_decompress(&cinfo);
        return st;
    }

    int cmyk = cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK;
    cinfo.out_color_space = cmyk ? JCS_CMYK : JCS_RGB; /* gray / YCbCr / RGB -> RGB */
    jpeg_start_decompress(&cinfo);
    if ((int)cinfo.output_components != (cmyk ? 4 : 3)) {
        ctx.status = FP_ERR_UNSUPPORTED;
        snprintf(ctx.message, sizeof ctx.message, "unexpected %d output components", cinfo.output_components);
        longjmp(ctx.jump, 1);
    }

    fp_error alloc_err;
    st = fp_image_new((int)cinfo.output_width, (int)cinfo.output_height, &ctx.img, &alloc_err);
    if (st != FP_OK) {
        ctx.status = st;
        snprintf(ctx.message, sizeof ctx.message, "%s", alloc_err.message);
        longjmp(ctx.jump, 1);
    }
    if (cmyk) {
        ctx.row_bytes = (size_t)cinfo.output_width * 4;
        ctx.row = malloc(ctx.row_bytes);
        if (!ctx.row) {
            ctx.status = FP_ERR_NOMEM;
            snprintf(ctx.message, sizeof ctx.message, "out of memory");
            longjmp(ctx.jump, 1);
        }
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        unsigned char *dst = ctx.img->pixels + (size_t)cinfo.output_scanline * ctx.img->stride;
        JSAMPROW row = cmyk ? ctx.row : dst;
        if (jpeg_read_scanlines(&cinfo, &row, 1) != 1) {
            ctx.status = FP_ERR_TRUNCATED;
            snprintf(ctx.message, sizeof ctx.message, "no more scanlines at row %u", cinfo.output_scanline);
            longjmp(ctx.jump, 1);
        }
        if (cmyk)
            cmyk_row_to_rgb(ctx.row, dst, (int)cinfo.output_width, cinfo.saw_Adobe_marker);
    }
    /* Reads to EOI, so damage after the last scanline is reported too. */
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    if (ctx.row) {
        explicit_bzero(ctx.row, ctx.row_bytes);
        free(ctx.row);
    }
    fp_image *img = ctx.img;
    st = img_apply_orientation(&img, orientation, err);
    if (st != FP_OK)
        return st;
    *out = img;
    return FP_OK;
}
