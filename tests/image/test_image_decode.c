/* Image decoding and geometry (include/faceprint/image.h).
 *
 *  - the 32 pipeline reference images (JPEG and PNG) decode to exactly the
 *    pixels the TF.js references started from (`rgb8_sha256` in
 *    shared/reference/pipeline/human.jsonl);
 *  - hostile input fails with the right status and never crashes: truncated
 *    JPEG/PNG -> FP_ERR_TRUNCATED, garbage -> FP_ERR_FORMAT /
 *    FP_ERR_UNSUPPORTED, headers claiming 20000x20000 -> FP_ERR_LIMIT before
 *    any pixel allocation, empty input -> FP_ERR_INVALID_ARG;
 *  - 1x1 images, grayscale and (Adobe) CMYK JPEGs, palette/gray/16-bit/
 *    alpha PNGs (generated here with libjpeg / libpng) become RGB8;
 *  - EXIF orientation 1..8 (Q-4 rotation correction), malformed EXIF is
 *    ignored;
 *  - the TF-legacy bilinear resize reproduces BlazeFace's captured input
 *    tensor; crop/warp/downscale basics. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/sha256.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <png.h>

#include "core/file.h"
#include "core/json.h"
#include "faceprint/image.h"
#include "image/image_internal.h"
#include "support/fixture.h"

#define LFW_COLIN "data/lfw/lfw/Colin_Powell/Colin_Powell_0001.jpg"
#define OBAMA "data/face_recognition_examples/examples/obama-480p.jpg"
#define SPOOF_PNG "data/spoof_liveness_apfol/real/0.png"

/* ---- SHA-256 (FIPS 180-4) of the decoded pixels ---------------------------- */

static void sha256_hex(const unsigned char *data, size_t len, char hex[65])
{
    fp_sha256_hex(data, len, hex);
}

/* ---- helpers -------------------------------------------------------------- */

static unsigned char *read_shared(const char *rel, size_t *len)
{
    char *data = NULL;
    fp_error err;
    if (fp_read_file(fx_shared_path(rel), (size_t)64 << 20, &data, len, &err) != FP_OK) {
        print_error("cannot read %s: %s\n", rel, err.message);
        fail();
    }
    return (unsigned char *)data;
}

static fp_image *load_shared(const char *rel, unsigned flags)
{
    fp_image *img = NULL;
    fp_error err = {0};
    fp_status st = fp_image_load(fx_shared_path(rel), flags, &img, &err);
    if (st != FP_OK)
        print_error("%s: %s\n", rel, err.message);
    assert_int_equal(st, FP_OK);
    return img;
}

static const uint8_t *px(const fp_image *img, int x, int y)
{
    return img->pixels + (size_t)y * img->stride + 3 * (size_t)x;
}

/* Encodes rows of `components` samples per pixel as a baseline JPEG. */
static unsigned char *encode_jpeg(const uint8_t *samples, int w, int h, int components, J_COLOR_SPACE space,
                                  const unsigned char *app1, size_t app1_len, unsigned long *out_len)
{
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr jerr;
    unsigned char *buf = NULL;
    c.err = jpeg_std_error(&jerr);
    jpeg_create_compress(&c);
    jpeg_mem_dest(&c, &buf, out_len);
    c.image_width = (JDIMENSION)w;
    c.image_height = (JDIMENSION)h;
    c.input_components = components;
    c.in_color_space = space;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, 95, TRUE);
    jpeg_start_compress(&c, TRUE);
    if (app1)
        jpeg_write_marker(&c, JPEG_APP0 + 1, app1, (unsigned)app1_len);
    while (c.next_scanline < c.image_height) {
        JSAMPROW row = (JSAMPROW)(samples + (size_t)c.next_scanline * w * components);
        jpeg_write_scanlines(&c, &row, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    return buf;
}

typedef struct png_buf {
    unsigned char *data;
    size_t len, cap;
} png_buf;

static void png_buf_write(png_structp png, png_bytep in, size_t n)
{
    png_buf *b = png_get_io_ptr(png);
    if (b->len + n > b->cap) {
        b->cap = (b->len + n) * 2;
        b->data = realloc(b->data, b->cap);
        assert_non_null(b->data);
    }
    memcpy(b->data + b->len, in, n);
    b->len += n;
}

static void png_buf_flush(png_structp png)
{
    (void)png;
}

/* Encodes a PNG; rows are `rowbytes` apart; palette used for PNG_COLOR_TYPE_PALETTE. */
static png_buf encode_png(const uint8_t *rows, int w, int h, int color_type, int depth, size_t rowbytes,
                          const png_color *palette, int n_palette)
{
    png_buf b = {0};
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    assert_true(png && info);
    if (setjmp(png_jmpbuf(png)))
        fail_msg("libpng write failed");
    png_set_write_fn(png, &b, png_buf_write, png_buf_flush);
    png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, depth, color_type, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (palette)
        png_set_PLTE(png, info, palette, n_palette);
    png_write_info(png, info);
    if (depth == 16)
        png_set_swap(png); /* our 16-bit test rows are little-endian */
    for (int y = 0; y < h; y++)
        png_write_row(png, (png_const_bytep)(rows + (size_t)y * rowbytes));
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    return b;
}

/* ---- reference pixels ----------------------------------------------------- */

/* REC-4/CAP-8: photos in the usual formats decode to exactly the pixels the
 * reference pipelines saw (libjpeg-turbo 2.1.5 / libpng are bit-identical to
 * the references, per shared/reference/peer/README.md). */
static int reference_rotated;

static void check_reference_line(int index, const fp_json *root)
{
    const char *path = fp_json_get_string(root, "path"), *want = fp_json_get_string(root, "rgb8_sha256");
    double w = 0, h = 0;
    assert_true(path && want && fp_json_get_number(root, "width", &w) && fp_json_get_number(root, "height", &h));
    /* The references decode without EXIF rotation. */
    fp_image *img = load_shared(path, FP_IMAGE_IGNORE_EXIF);
    assert_int_equal(img->width, (int)w);
    assert_int_equal(img->height, (int)h);
    assert_int_equal(img->stride, (size_t)img->width * 3);
    char hex[65];
    sha256_hex(img->pixels, img->stride * (size_t)img->height, hex);
    if (strcmp(hex, want))
        print_error("%s: rgb8 sha256 %s, reference %s\n", path, hex, want);
    assert_string_equal(hex, want);
    /* With EXIF honoured, the same pixels unless the file is rotated. */
    fp_image *oriented = load_shared(path, 0);
    if (oriented->width != img->width || memcmp(oriented->pixels, img->pixels, img->stride * (size_t)img->height))
        reference_rotated++;
    fp_image_free(oriented);
    fp_image_free(img);
}

static void test_reference_sha256(void **state)
{
    (void)state;
    reference_rotated = 0;
    int checked = fx_for_each_jsonl("reference/pipeline/human.jsonl", 32, check_reference_line);
    print_message("decoded %d reference images bit-identically (%d carry an EXIF rotation)\n", checked,
                  reference_rotated);
    assert_int_equal(checked, 32);
}

/* ---- hostile input -------------------------------------------------------- */

static void test_truncated_jpeg(void **state)
{
    (void)state;
    size_t len;
    unsigned char *data = read_shared(OBAMA, &len);
    fp_image *img = NULL;
    fp_error err = {0};
    assert_int_equal(fp_image_decode(data, len, 0, &img, &err), FP_OK);
    fp_image_free(img);
    /* Cuts in the header, in the entropy-coded data, and just before EOI. */
    const size_t cuts[] = {3, 20, 200, 700, len / 3, len / 2, len - 100, len - 2};
    for (size_t i = 0; i < sizeof cuts / sizeof *cuts; i++) {
        unsigned char *copy = malloc(cuts[i]); /* exact size: ASan sees over-reads */
        memcpy(copy, data, cuts[i]);
        img = (fp_image *)1;
        memset(&err, 0, sizeof err);
        fp_status st = fp_image_decode(copy, cuts[i], 0, &img, &err);
        if (st != FP_ERR_TRUNCATED)
            print_error("cut at %zu: %s (%s)\n", cuts[i], fp_status_name(st), err.message);
        assert_int_equal(st, FP_ERR_TRUNCATED);
        assert_null(img);
        assert_int_equal(err.status, FP_ERR_TRUNCATED);
        assert_true(strstr(err.message, "JPEG") != NULL);
        free(copy);
    }
    free(data);
}

static void test_truncated_png(void **state)
{
    (void)state;
    size_t len;
    unsigned char *data = read_shared(SPOOF_PNG, &len);
    const size_t cuts[] = {8, 20, 40, len / 2, len - 13, len - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof *cuts; i++) {
        unsigned char *copy = malloc(cuts[i]);
        memcpy(copy, data, cuts[i]);
        fp_image *img = (fp_image *)1;
        fp_error err = {0};
        fp_status st = fp_image_decode(copy, cuts[i], 0, &img, &err);
        if (st != FP_ERR_TRUNCATED)
            print_error("cut at %zu: %s (%s)\n", cuts[i], fp_status_name(st), err.message);
        assert_int_equal(st, FP_ERR_TRUNCATED);
        assert_null(img);
        free(copy);
    }
    free(data);
}

static void test_garbage(void **state)
{
    (void)state;
    unsigned char junk[4096];
    uint32_t s = 12345;
    for (size_t i = 0; i < sizeof junk; i++) {
        s = s * 1103515245u + 12345u;
        junk[i] = (unsigned char)(s >> 16);
    }
    fp_image *img = (fp_image *)1;
    fp_error err = {0};
    junk[0] = 'G';
    assert_int_equal(fp_image_decode(junk, sizeof junk, 0, &img, &err), FP_ERR_UNSUPPORTED);
    assert_null(img);
    assert_int_equal(fp_image_decode_jpeg(junk, sizeof junk, 0, &img, &err), FP_ERR_FORMAT);
    assert_int_equal(fp_image_decode_png(junk, sizeof junk, 0, &img, &err), FP_ERR_FORMAT);
    /* A JPEG signature followed by garbage: libjpeg errors, we return. */
    junk[0] = 0xFF, junk[1] = 0xD8, junk[2] = 0xFF, junk[3] = 0xC0;
    fp_status st = fp_image_decode(junk, sizeof junk, 0, &img, &err);
    assert_true(st == FP_ERR_FORMAT || st == FP_ERR_TRUNCATED);
    assert_null(img);
    assert_true(strstr(err.message, "JPEG:") != NULL);
    /* A PNG signature followed by garbage: bad IHDR / CRC. */
    memcpy(junk, "\x89PNG\r\n\x1a\n", 8);
    st = fp_image_decode(junk, sizeof junk, 0, &img, &err);
    assert_true(st == FP_ERR_FORMAT || st == FP_ERR_TRUNCATED);
    assert_null(img);
    /* Empty input. */
    assert_int_equal(fp_image_decode(junk, 0, 0, &img, &err), FP_ERR_INVALID_ARG);
    assert_int_equal(fp_image_decode(NULL, 10, 0, &img, &err), FP_ERR_INVALID_ARG);

    /* Damage inside a real JPEG's entropy-coded data: an error status or a
     * (damaged) image, never a crash. Most flipped bytes still form valid
     * Huffman codes, so libjpeg cannot notice them all. */
    size_t len;
    unsigned char *data = read_shared(LFW_COLIN, &len);
    int detected = 0;
    for (int k = 0; k < 16; k++) {
        unsigned char *copy = malloc(len);
        memcpy(copy, data, len);
        for (size_t i = len / 2 + (size_t)k * 37; i < len / 2 + (size_t)k * 37 + 24; i++)
            copy[i] ^= 0x5A;
        st = fp_image_decode(copy, len, 0, &img, &err);
        assert_true(st == FP_OK || st == FP_ERR_FORMAT || st == FP_ERR_TRUNCATED);
        detected += st != FP_OK;
        fp_image_free(st == FP_OK ? img : NULL);
        free(copy);
    }
    print_message("corrupted entropy data detected in %d/16 cases\n", detected);
    free(data);
}

static uint32_t crc32_png(const unsigned char *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
    }
    return ~c;
}

static void put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24), p[1] = (unsigned char)(v >> 16), p[2] = (unsigned char)(v >> 8),
    p[3] = (unsigned char)v;
}

/* A PNG that is just signature + IHDR(w, h) + IEND. */
static size_t png_header_only(unsigned char out[64], uint32_t w, uint32_t h)
{
    memcpy(out, "\x89PNG\r\n\x1a\n", 8);
    put32(out + 8, 13);
    memcpy(out + 12, "IHDR", 4);
    put32(out + 16, w);
    put32(out + 20, h);
    out[24] = 8, out[25] = 2, out[26] = 0, out[27] = 0, out[28] = 0; /* RGB8 */
    put32(out + 29, crc32_png(out + 12, 17));
    put32(out + 33, 0);
    memcpy(out + 37, "IEND", 4);
    put32(out + 41, crc32_png(out + 37, 4));
    return 45;
}

/* FP_ERR_LIMIT comes from the header, before any pixel buffer exists:
 * 20000x20000 RGB8 would be 1.2 GB. */
static void test_limits(void **state)
{
    (void)state;
    unsigned char png[64];
    fp_image *img = (fp_image *)1;
    fp_error err = {0};
    size_t n = png_header_only(png, 20000, 20000);
    assert_int_equal(fp_image_decode(png, n, 0, &img, &err), FP_ERR_LIMIT);
    assert_null(img);
    assert_true(strstr(err.message, "20000x20000") != NULL);
    n = png_header_only(png, 16385, 1);
    assert_int_equal(fp_image_decode(png, n, 0, &img, &err), FP_ERR_LIMIT);
    n = png_header_only(png, 8000, 6000); /* 48 MP, each side allowed */
    assert_int_equal(fp_image_decode(png, n, 0, &img, &err), FP_ERR_LIMIT);
    n = png_header_only(png, 0, 10); /* libpng rejects a zero width itself */
    assert_int_equal(fp_image_decode(png, n, 0, &img, &err), FP_ERR_FORMAT);

    /* The same for a JPEG whose SOF0 claims 20000x20000. */
    size_t len;
    unsigned char *jpg = read_shared(LFW_COLIN, &len);
    size_t sof = 0;
    for (size_t i = 2; i + 9 < len; i++)
        if (jpg[i] == 0xFF && (jpg[i + 1] == 0xC0 || jpg[i + 1] == 0xC2)) {
            sof = i;
            break;
        }
    assert_true(sof > 0);
    jpg[sof + 5] = 20000 >> 8, jpg[sof + 6] = 20000 & 0xFF; /* height */
    jpg[sof + 7] = 20000 >> 8, jpg[sof + 8] = 20000 & 0xFF; /* width */
    assert_int_equal(fp_image_decode(jpg, len, 0, &img, &err), FP_ERR_LIMIT);
    assert_null(img);
    jpg[sof + 5] = 0, jpg[sof + 6] = 0; /* zero height: libjpeg's "empty image" */
    assert_int_equal(fp_image_decode(jpg, len, 0, &img, &err), FP_ERR_FORMAT);
    free(jpg);

    assert_int_equal(fp_image_new(0, 5, &img, &err), FP_ERR_INVALID_ARG);
    assert_int_equal(fp_image_new(16385, 1, &img, &err), FP_ERR_LIMIT);
    assert_int_equal(fp_image_new(10000, 5000, &img, &err), FP_ERR_LIMIT);
    assert_int_equal(fp_image_new(16384, 2441, &img, &err), FP_OK); /* 39.99 MP */
    fp_image_free(img);
}

/* ---- colour spaces and small images --------------------------------------- */

static void test_tiny_images(void **state)
{
    (void)state;
    const uint8_t rgb[3] = {200, 40, 90};
    unsigned long jlen = 0;
    unsigned char *jpg = encode_jpeg(rgb, 1, 1, 3, JCS_RGB, NULL, 0, &jlen);
    fp_image *img = NULL;
    fp_error err = {0};
    assert_int_equal(fp_image_decode(jpg, jlen, 0, &img, &err), FP_OK);
    assert_int_equal(img->width, 1);
    assert_int_equal(img->height, 1);
    for (int c = 0; c < 3; c++)
        assert_true(abs(img->pixels[c] - rgb[c]) <= 6);
    fp_image_free(img);
    free(jpg);

    png_buf p = encode_png(rgb, 1, 1, PNG_COLOR_TYPE_RGB, 8, 3, NULL, 0);
    assert_int_equal(fp_image_decode(p.data, p.len, 0, &img, &err), FP_OK);
    assert_int_equal(img->width, 1);
    assert_memory_equal(img->pixels, rgb, 3);
    fp_image_free(img);
    free(p.data);
}

static void test_gray_and_cmyk_jpeg(void **state)
{
    (void)state;
    fp_image *src = load_shared(LFW_COLIN, 0);
    const int w = src->width, h = src->height;
    uint8_t *gray = malloc((size_t)w * h), *cmyk = malloc((size_t)w * h * 4);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            const uint8_t *p = px(src, x, y);
            gray[y * w + x] = (uint8_t)((299 * p[0] + 587 * p[1] + 114 * p[2] + 500) / 1000);
            /* Adobe-style inverted CMYK with no black ink: stored C,M,Y =
             * 255 - ink = R,G,B; stored K = 255 - 0. */
            memcpy(cmyk + 4 * ((size_t)y * w + x), p, 3);
            cmyk[4 * ((size_t)y * w + x) + 3] = 255;
        }
    unsigned long glen = 0, clen = 0;
    unsigned char *gjpg = encode_jpeg(gray, w, h, 1, JCS_GRAYSCALE, NULL, 0, &glen);
    unsigned char *cjpg = encode_jpeg(cmyk, w, h, 4, JCS_CMYK, NULL, 0, &clen);

    fp_image *img = NULL;
    fp_error err = {0};
    assert_int_equal(fp_image_decode(gjpg, glen, 0, &img, &err), FP_OK);
    assert_int_equal(img->width, w);
    double diff = 0;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            const uint8_t *q = px(img, x, y);
            assert_true(q[0] == q[1] && q[1] == q[2]);
            diff += abs(q[0] - gray[y * w + x]);
        }
    print_message("grayscale JPEG -> RGB: mean |diff| %.2f\n", diff / (w * h));
    assert_true(diff / (w * h) < 2.0);
    fp_image_free(img);

    assert_int_equal(fp_image_decode(cjpg, clen, 0, &img, &err), FP_OK);
    diff = 0;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int c = 0; c < 3; c++)
                diff += abs(px(img, x, y)[c] - px(src, x, y)[c]);
    print_message("CMYK JPEG -> RGB: mean |diff| %.2f\n", diff / (3.0 * w * h));
    assert_true(diff / (3.0 * w * h) < 3.0);
    fp_image_free(img);

    free(gjpg);
    free(cjpg);
    free(gray);
    free(cmyk);
    fp_image_free(src);
}

static void test_png_variants(void **state)
{
    (void)state;
    enum { W = 7, H = 5 };
    uint8_t rgb[H][W][3];
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            rgb[y][x][0] = (uint8_t)(x * 30), rgb[y][x][1] = (uint8_t)(y * 50), rgb[y][x][2] = (uint8_t)(x * y);
    fp_image *img = NULL;
    fp_error err = {0};

    /* RGBA: alpha dropped, colour kept. */
    uint8_t rgba[H][W][4];
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            memcpy(rgba[y][x], rgb[y][x], 3), rgba[y][x][3] = (uint8_t)(x * 20);
    png_buf p = encode_png(&rgba[0][0][0], W, H, PNG_COLOR_TYPE_RGB_ALPHA, 8, W * 4, NULL, 0);
    assert_int_equal(fp_image_decode(p.data, p.len, 0, &img, &err), FP_OK);
    assert_memory_equal(img->pixels, rgb, sizeof rgb);
    fp_image_free(img);
    free(p.data);

    /* 16-bit RGB: the high byte. */
    uint16_t rgb16[H][W][3];
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            for (int c = 0; c < 3; c++)
                rgb16[y][x][c] = (uint16_t)(rgb[y][x][c] << 8 | 0x7F);
    p = encode_png((const uint8_t *)rgb16, W, H, PNG_COLOR_TYPE_RGB, 16, W * 6, NULL, 0);
    assert_int_equal(fp_image_decode(p.data, p.len, 0, &img, &err), FP_OK);
    assert_memory_equal(img->pixels, rgb, sizeof rgb);
    fp_image_free(img);
    free(p.data);

    /* Gray + alpha: gray replicated. */
    uint8_t ga[H][W][2];
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            ga[y][x][0] = (uint8_t)(x * 36), ga[y][x][1] = 128;
    p = encode_png(&ga[0][0][0], W, H, PNG_COLOR_TYPE_GRAY_ALPHA, 8, W * 2, NULL, 0);
    assert_int_equal(fp_image_decode(p.data, p.len, 0, &img, &err), FP_OK);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            for (int c = 0; c < 3; c++)
                assert_int_equal(px(img, x, y)[c], ga[y][x][0]);
    fp_image_free(img);
    free(p.data);

    /* 4-bit palette. */
    png_color pal[3] = {{255, 0, 0}, {0, 255, 0}, {10, 20, 30}};
    uint8_t idx[H][(W + 1) / 2];
    for (int y = 0; y < H; y++)
        for (int b = 0; b < (W + 1) / 2; b++)
            idx[y][b] = (uint8_t)(((2 * b + y) % 3) << 4 | ((2 * b + 1 + y) % 3));
    p = encode_png(&idx[0][0], W, H, PNG_COLOR_TYPE_PALETTE, 4, (W + 1) / 2, pal, 3);
    assert_int_equal(fp_image_decode(p.data, p.len, 0, &img, &err), FP_OK);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            const png_color *e = &pal[(x + y) % 3];
            assert_int_equal(px(img, x, y)[0], e->red);
            assert_int_equal(px(img, x, y)[1], e->green);
            assert_int_equal(px(img, x, y)[2], e->blue);
        }
    fp_image_free(img);
    free(p.data);

    /* 1-bit gray. */
    uint8_t bits[H][1];
    for (int y = 0; y < H; y++)
        bits[y][0] = 0xA4; /* 1010010 */
    p = encode_png(&bits[0][0], W, H, PNG_COLOR_TYPE_GRAY, 1, 1, NULL, 0);
    assert_int_equal(fp_image_decode(p.data, p.len, 0, &img, &err), FP_OK);
    assert_int_equal(px(img, 0, 0)[0], 255);
    assert_int_equal(px(img, 1, 0)[0], 0);
    assert_int_equal(px(img, 5, 4)[2], 255);
    fp_image_free(img);
    free(p.data);
}

/* ---- EXIF orientation (Q-4) ----------------------------------------------- */

/* APP1 payload "Exif\0\0" + a TIFF block with IFD0 = {Orientation}. */
static size_t exif_app1(unsigned char *out, int big_endian, unsigned orientation)
{
    memcpy(out, "Exif\0\0", 6);
    unsigned char *t = out + 6;
    memset(t, 0, 26);
    if (big_endian) {
        memcpy(t, "MM\0\x2a\0\0\0\x08", 8);
        t[8] = 0, t[9] = 1;                      /* one entry */
        t[10] = 0x01, t[11] = 0x12;              /* tag 0x0112 */
        t[12] = 0, t[13] = 3;                    /* SHORT */
        t[14] = 0, t[15] = 0, t[16] = 0, t[17] = 1; /* count 1 */
        t[18] = 0, t[19] = (unsigned char)orientation;
    } else {
        memcpy(t, "II\x2a\0\x08\0\0\0", 8);
        t[8] = 1, t[9] = 0;
        t[10] = 0x12, t[11] = 0x01;
        t[12] = 3, t[13] = 0;
        t[14] = 1, t[15] = 0, t[16] = 0, t[17] = 0;
        t[18] = (unsigned char)orientation, t[19] = 0;
    }
    return 6 + 26;
}

static void test_exif_orientation(void **state)
{
    (void)state;
    /* Semantics on a 3x2 image with distinct pixels: source pixel of each
     * output pixel, by orientation (TIFF 6.0). */
    fp_image *src = NULL, *out = NULL;
    fp_error err = {0};
    assert_int_equal(fp_image_new(3, 2, &src, &err), FP_OK);
    for (int y = 0; y < 2; y++)
        for (int x = 0; x < 3; x++)
            src->pixels[(size_t)y * src->stride + 3 * (size_t)x] = (uint8_t)(10 * y + x); /* "yx" */
    static const uint8_t expect[9][6] = {
        {0},
        {0, 1, 2, 10, 11, 12},   /* 1: as stored */
        {2, 1, 0, 12, 11, 10},   /* 2: mirrored */
        {12, 11, 10, 2, 1, 0},   /* 3: rotated 180 */
        {10, 11, 12, 0, 1, 2},   /* 4: flipped vertically */
        {0, 10, 1, 11, 2, 12},   /* 5: transposed (2 wide, 3 tall) */
        {10, 0, 11, 1, 12, 2},   /* 6: rotated 90 clockwise */
        {12, 2, 11, 1, 10, 0},   /* 7: transversed */
        {2, 12, 1, 11, 0, 10},   /* 8: rotated 90 counter-clockwise */
    };
    for (int o = 1; o <= 8; o++) {
        assert_int_equal(fp_image_orient(src, o, &out, &err), FP_OK);
        assert_int_equal(out->width, o >= 5 ? 2 : 3);
        for (int i = 0; i < 6; i++) {
            int x = i % out->width, y = i / out->width;
            assert_int_equal(out->pixels[(size_t)y * out->stride + 3 * (size_t)x], expect[o][i]);
        }
        fp_image_free(out);
    }
    fp_image_free(src);

    /* Through the JPEG decoder: a landscape photo re-encoded with an APP1
     * Exif block saying "rotate 90 clockwise" (both byte orders) comes out
     * portrait, equal to the stored pixels rotated. */
    fp_image *photo = load_shared(OBAMA, 0);
    unsigned char app1[64];
    for (int be = 0; be < 2; be++) {
        size_t n = exif_app1(app1, be, 6);
        unsigned long jlen = 0;
        unsigned char *jpg = encode_jpeg(photo->pixels, photo->width, photo->height, 3, JCS_RGB, app1, n, &jlen);
        assert_int_equal(fp_image_jpeg_orientation(jpg, jlen), 6);
        fp_image *upright = NULL, *stored = NULL, *rotated = NULL;
        assert_int_equal(fp_image_decode(jpg, jlen, 0, &upright, &err), FP_OK);
        assert_int_equal(fp_image_decode(jpg, jlen, FP_IMAGE_IGNORE_EXIF, &stored, &err), FP_OK);
        assert_int_equal(upright->width, photo->height);
        assert_int_equal(upright->height, photo->width);
        assert_int_equal(stored->width, photo->width);
        assert_int_equal(fp_image_orient(stored, 6, &rotated, &err), FP_OK);
        assert_memory_equal(upright->pixels, rotated->pixels, upright->stride * (size_t)upright->height);
        fp_image_free(upright);
        fp_image_free(stored);
        fp_image_free(rotated);
        free(jpg);
    }
    fp_image_free(photo);

    /* Malformed EXIF is ignored (orientation 1), never read out of bounds. */
    size_t n = exif_app1(app1, 0, 6);
    unsigned char *tiff = app1 + 6;
    assert_int_equal(img_exif_orientation(tiff, n - 6), 6);
    assert_int_equal(img_exif_orientation(tiff, 12), 1);   /* entry cut off */
    tiff[18] = 9;                                          /* out of range */
    assert_int_equal(img_exif_orientation(tiff, n - 6), 1);
    tiff[18] = 6, tiff[4] = 0xF0;                          /* IFD offset past the end */
    assert_int_equal(img_exif_orientation(tiff, n - 6), 1);
    tiff[4] = 8, tiff[8] = 0xFF, tiff[9] = 0xFF;           /* 65535 entries claimed */
    assert_int_equal(img_exif_orientation(tiff, n - 6), 6); /* the one present is still found */
    tiff[12] = 4;                                          /* LONG instead of SHORT */
    assert_int_equal(img_exif_orientation(tiff, n - 6), 1);
    assert_int_equal(img_exif_orientation(tiff, 3), 1);
    const unsigned char not_jpeg[] = "\xFF\xD8\xFF\xE1\xFF\xFF";
    assert_int_equal(fp_image_jpeg_orientation(not_jpeg, sizeof not_jpeg - 1), 1); /* APP1 longer than the data */
}

/* ---- geometry ------------------------------------------------------------- */

/* BlazeFace's captured input (reference/tensors/blazeface) was made by
 * TF.js resizeBilinear + x/127.5 - 1 from the decoded LFW image. */
static void test_resize_matches_tfjs(void **state)
{
    (void)state;
    fp_image *img = load_shared(LFW_COLIN, 0);
    size_t count = 0;
    float *want = fx_read_f32(fx_shared_path("reference/tensors/blazeface/lfw_colin_powell_0001/input.f32"), &count);
    assert_non_null(want);
    assert_int_equal(count, 256 * 256 * 3);
    float *got = malloc(count * sizeof *got);
    const float off[3] = {-1.f, -1.f, -1.f};
    assert_int_equal(fp_image_resize_to_float(img, 256, 256, 1.f / 127.5f, off, got), FP_OK);
    fx_diff d = fx_compare(got, want, count);
    print_message("resize vs TF.js blazeface input: max |diff| %.3g\n", d.max_abs);
    assert_true(d.max_abs < 1e-6);

    fp_image *small = NULL;
    fp_error err = {0};
    assert_int_equal(fp_image_resize(img, 75, 75, &small, &err), FP_OK);
    /* Halving with the legacy rule samples the even source pixels exactly. */
    assert_memory_equal(px(small, 10, 20), px(img, 20, 40), 3);
    fp_image_free(small);
    free(got);
    free(want);
    fp_image_free(img);
}

static void test_crop_warp_downscale(void **state)
{
    (void)state;
    fp_image *img = load_shared(LFW_COLIN, 0), *out = NULL;
    fp_error err = {0};
    /* Crop partly outside: the outside part is black. */
    assert_int_equal(fp_image_crop(img, -10, 140, 30, 20, &out, &err), FP_OK);
    assert_memory_equal(px(out, 10, 0), px(img, 0, 140), 3);
    assert_memory_equal(px(out, 29, 9), px(img, 19, 149), 3);
    static const uint8_t black[3] = {0, 0, 0};
    assert_memory_equal(px(out, 9, 0), black, 3);
    assert_memory_equal(px(out, 15, 10), black, 3);
    fp_image_free(out);

    /* Identity and integer translation reproduce pixels; outside is black. */
    const double ident[6] = {1, 0, 0, 0, 1, 0}, shift[6] = {1, 0, 5, 0, 1, -3};
    assert_int_equal(fp_image_warp_affine(img, ident, 150, 150, &out, &err), FP_OK);
    assert_memory_equal(out->pixels, img->pixels, img->stride * 150);
    fp_image_free(out);
    assert_int_equal(fp_image_warp_affine(img, shift, 150, 150, &out, &err), FP_OK);
    assert_memory_equal(px(out, 0, 3), px(img, 5, 0), 3);
    assert_memory_equal(px(out, 0, 0), black, 3);
    assert_memory_equal(px(out, 149, 100), black, 3);
    fp_image_free(out);

    /* Float chip with mirror: column u of the mirror = column 149 - u. */
    float *a = malloc(sizeof(float) * 150 * 150 * 3), *b = malloc(sizeof(float) * 150 * 150 * 3);
    const float off[3] = {-0.5f, 0.f, 0.25f};
    assert_int_equal(fp_image_warp_affine_f32(img, ident, 150, 150, 1.f / 255.f, off, 0, a), FP_OK);
    assert_int_equal(fp_image_warp_affine_f32(img, ident, 150, 150, 1.f / 255.f, off, 1, b), FP_OK);
    assert_float_equal(a[3 * (7 * 150 + 3) + 2], px(img, 3, 7)[2] / 255.f + 0.25f, 1e-6);
    for (int c = 0; c < 3; c++)
        assert_float_equal(a[3 * (7 * 150 + 3) + c], b[3 * (7 * 150 + 146) + c], 0);
    free(a);
    free(b);

    double inv[6];
    const double m[6] = {0.5, -0.8, 10, 0.8, 0.5, -4};
    assert_int_equal(fp_affine_invert(m, inv), FP_OK);
    assert_true(fabs(inv[0] * 10 + inv[1] * -4 + inv[2]) < 1e-9); /* maps (10,-4) back to the origin */
    assert_true(fabs(inv[3] * 10 + inv[4] * -4 + inv[5]) < 1e-9);
    const double singular[6] = {1, 2, 0, 2, 4, 0};
    assert_int_equal(fp_affine_invert(singular, inv), FP_ERR_INVALID_ARG);

    /* Box downscale: each output pixel is the rounded block mean. */
    assert_int_equal(fp_image_downscale_box(img, 4, &out, &err), FP_OK);
    assert_int_equal(out->width, 38); /* ceil(150 / 4) */
    unsigned sum = 0;
    for (int y = 8; y < 12; y++)
        for (int x = 4; x < 8; x++)
            sum += px(img, x, y)[1];
    assert_int_equal(px(out, 1, 2)[1], (sum + 8) / 16);
    fp_image_free(out);
    fp_image_free(img);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reference_sha256),
        cmocka_unit_test(test_truncated_jpeg),
        cmocka_unit_test(test_truncated_png),
        cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_tiny_images),
        cmocka_unit_test(test_gray_and_cmyk_jpeg),
        cmocka_unit_test(test_png_variants),
        cmocka_unit_test(test_exif_orientation),
        cmocka_unit_test(test_resize_matches_tfjs),
        cmocka_unit_test(test_crop_warp_downscale),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
