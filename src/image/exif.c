/* EXIF Orientation: the one EXIF field we honour, parsed by hand so that a
 * hostile APP1 segment can at worst yield "orientation 1". Every read is
 * bounds-checked against the segment length. */
#include "image/image_internal.h"

#include <string.h>

static unsigned rd16(const unsigned char *p, int big_endian)
{
    return big_endian ? (unsigned)(p[0] << 8 | p[1]) : (unsigned)(p[1] << 8 | p[0]);
}

static unsigned long rd32(const unsigned char *p, int big_endian)
{
    return big_endian ? ((unsigned long)p[0] << 24 | (unsigned long)p[1] << 16 | (unsigned long)p[2] << 8 | p[3])
                      : ((unsigned long)p[3] << 24 | (unsigned long)p[2] << 16 | (unsigned long)p[1] << 8 | p[0]);
}

int img_exif_orientation(const unsigned char *tiff, size_t len)
{
    if (!tiff || len < 8)
        return 1;
    int be;
    if (tiff[0] == 'I' && tiff[1] == 'I')
        be = 0;
    else if (tiff[0] == 'M' && tiff[1] == 'M')
        be = 1;
    else
        return 1;
    if (rd16(tiff + 2, be) != 42)
        return 1;
    unsigned long ifd = rd32(tiff + 4, be);
    if (ifd > len || len - ifd < 2)
        return 1;
    unsigned count = rd16(tiff + ifd, be);
    /* 12 bytes per entry; clamp to what the block really holds. */
    size_t avail = (len - ifd - 2) / 12;
    if (count > avail)
        count = (unsigned)avail;
    for (unsigned i = 0; i < count; i++) {
        const unsigned char *e = tiff + ifd + 2 + (size_t)i * 12;
        if (rd16(e, be) != 0x0112)
            continue;
        unsigned type = rd16(e + 2, be);
        unsigned long n = rd32(e + 4, be);
        if (type != 3 || n != 1) /* SHORT x 1, stored inline in the value field */
            return 1;
        unsigned v = rd16(e + 8, be);
        return v >= 1 && v <= 8 ? (int)v : 1;
    }
    return 1;
}

int fp_image_jpeg_orientation(const void *data, size_t len)
{
    const unsigned char *p = data;
    if (!p || len < 4 || p[0] != 0xFF || p[1] != 0xD8)
        return 1;
    size_t pos = 2;
    /* Walk the marker segments up to the first scan; APP1 "Exif\0\0" holds a
     * TIFF block whose IFD0 carries tag 0x0112. */
    while (pos + 4 <= len) {
        if (p[pos] != 0xFF)
            return 1;
        unsigned marker = p[pos + 1];
        if (marker == 0xFF) { /* fill byte */
            pos++;
            continue;
        }
        if (marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01) {
            pos += 2;
            continue;
        }
        if (marker == 0xDA || marker == 0xD9) /* start of scan / end of image */
            return 1;
        size_t seg = (size_t)p[pos + 2] << 8 | p[pos + 3];
        if (seg < 2 || seg > len - pos - 2)
            return 1;
        const unsigned char *body = p + pos + 4;
        size_t body_len = seg - 2;
        if (marker == 0xE1 && body_len >= 6 && !memcmp(body, "Exif\0\0", 6))
            return img_exif_orientation(body + 6, body_len - 6);
        pos += 2 + seg;
    }
    return 1;
}
