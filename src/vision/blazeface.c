/* BlazeFace output decoding (Human 3.3.6 face/blazeface.ts and
 * facemeshutil.generateAnchors, as documented in
 * shared/reference/peer/README.md): per anchor, column 0 is the score logit,
 * columns 1-2 the box centre offset from the anchor, 3-4 the box width and
 * height, 5-16 six key points as offsets from the anchor, all in 256x256
 * model-input pixels. */
#include "vision/vision.h"

#include <math.h>

void bf_make_anchors(float anchors[BF_ANCHORS][2])
{
    static const int strides[2] = {16, 32};
    static const int per_cell[2] = {2, 6};
    int k = 0;
    for (int level = 0; level < 2; level++) {
        int grid = BF_INPUT / strides[level];
        for (int gy = 0; gy < grid; gy++)
            for (int gx = 0; gx < grid; gx++)
                for (int a = 0; a < per_cell[level]; a++) {
                    anchors[k][0] = (float)strides[level] * ((float)gx + 0.5f);
                    anchors[k][1] = (float)strides[level] * ((float)gy + 0.5f);
                    k++;
                }
    }
}

static float sigmoid(float x)
{
    return 1.f / (1.f + expf(-x));
}

static int decode_level(const float (*anchors)[2], const float *scores, const float *reg, int count,
                        float min_score, bf_box *out)
{
    int n = 0;
    for (int i = 0; i < count; i++) {
        float score = sigmoid(scores[i]);
        /* !(>=) also drops NaN scores from a broken model. */
        if (!(score >= min_score))
            continue;
        const float *r = reg + (size_t)i * BF_REG;
        float cx = r[0] + anchors[i][0], cy = r[1] + anchors[i][1];
        float hw = r[2] * 0.5f, hh = r[3] * 0.5f;
        if (!isfinite(cx) || !isfinite(cy) || !(hw > 0.f) || !(hh > 0.f) || !isfinite(hw) || !isfinite(hh))
            continue;
        bf_box *b = &out[n++];
        b->x1 = cx - hw;
        b->y1 = cy - hh;
        b->x2 = cx + hw;
        b->y2 = cy + hh;
        b->score = score;
        for (int k = 0; k < FP_FACE_KEYPOINTS; k++) {
            b->kp[k][0] = r[4 + 2 * k] + anchors[i][0];
            b->kp[k][1] = r[5 + 2 * k] + anchors[i][1];
        }
    }
    return n;
}

int bf_decode(const float anchors[BF_ANCHORS][2], const float *scores512, const float *reg512,
              const float *scores384, const float *reg384, float min_score, bf_box *out)
{
    /* Human's order: the 512 anchors of the 16x16 grid, then the 384 of the 8x8 grid. */
    int n = decode_level(anchors, scores512, reg512, BF_ANCHORS_16, min_score, out);
    n += decode_level(anchors + BF_ANCHORS_16, scores384, reg384, BF_ANCHORS_8, min_score, out + n);
    return n;
}
