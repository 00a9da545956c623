/* tf.image.cropAndResize (bilinear) for one box of an RGB8 image, following
 * TF's CPU / wasm kernel (crop_and_resize.cc) step by step in float32, so
 * the facemesh input equals the reference fixture (shared/reference/tensors/
 * facemesh/<case>/input_1.f32). */
#include "vision/landmarks.h"

#include <math.h>

void vis_crop_and_resize(const fp_image *img, const float box[4], int out_h, int out_w, float divisor, float *dst)
{
    const int ih = img->height, iw = img->width;
    const float y1 = box[0], x1 = box[1], y2 = box[2], x2 = box[3];
    const float hs = out_h > 1 ? (y2 - y1) * (float)(ih - 1) / (float)(out_h - 1) : 0.f;
    const float ws = out_w > 1 ? (x2 - x1) * (float)(iw - 1) / (float)(out_w - 1) : 0.f;
    for (int y = 0; y < out_h; y++) {
        float *row = dst + (size_t)y * out_w * 3;
        const float in_y = out_h > 1 ? y1 * (float)(ih - 1) + (float)y * hs : 0.5f * (y1 + y2) * (float)(ih - 1);
        if (!(in_y >= 0.f && in_y <= (float)(ih - 1))) {
            for (int i = 0; i < out_w * 3; i++)
                row[i] = 0.f;
            continue;
        }
        const int top = (int)floorf(in_y), bottom = (int)ceilf(in_y);
        const float ly = in_y - (float)top;
        const uint8_t *rt = img->pixels + (size_t)top * img->stride;
        const uint8_t *rb = img->pixels + (size_t)bottom * img->stride;
        for (int x = 0; x < out_w; x++) {
            float *o = row + (size_t)x * 3;
            const float in_x = out_w > 1 ? x1 * (float)(iw - 1) + (float)x * ws : 0.5f * (x1 + x2) * (float)(iw - 1);
            if (!(in_x >= 0.f && in_x <= (float)(iw - 1))) {
                o[0] = o[1] = o[2] = 0.f;
                continue;
            }
            const int left = (int)floorf(in_x), right = (int)ceilf(in_x);
            const float lx = in_x - (float)left;
            for (int c = 0; c < 3; c++) {
                const float tl = rt[3 * left + c], tr = rt[3 * right + c];
                const float bl = rb[3 * left + c], br = rb[3 * right + c];
                const float t = tl + (tr - tl) * lx;
                const float b = bl + (br - bl) * lx;
                o[c] = (t + (b - t) * ly) / divisor;
            }
        }
    }
}
