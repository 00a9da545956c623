/* Face detection with BlazeFace over the whole image (CAP-3), and the
 * main-face rule (CAP-6). */
#include "vision/vision.h"

#include <stdlib.h>
#include <math.h>
#include <string.h>

fp_status fp_face_detect(fp_face_engine *e, const fp_image *img, fp_face *faces, int max, int *n,
                         fp_error *err)
{
    if (n)
        *n = 0;
    if (!e || !img || !img->pixels || !n || max < 0 || (max > 0 && !faces))
        return fp_error_set(err, FP_ERR_INVALID_ARG, "detect: bad arguments");
    /* Human's preprocessing: the whole image, aspect not kept, resized
     * bilinearly (TF legacy) to 256x256, then x / 127.5 - 1. */
    static const float minus_one[3] = {-1.f, -1.f, -1.f};
    fp_status st = fp_image_resize_to_float(img, BF_INPUT, BF_INPUT, 1.f / 127.5f, minus_one, e->det_input);
    if (st != FP_OK)
        return fp_error_set(err, st, "detect: cannot resize the image");
    const float *in[1] = {e->det_input};
    st = fp_nn_session_run(e->det_session, in, e->det_output);
    explicit_bzero(e->det_input, sizeof(float) * BF_INPUT * BF_INPUT * 3);
    if (st != FP_OK)
        return fp_error_set(err, st, "detect: blazeface run failed");

    bf_box *boxes = malloc(sizeof *boxes * BF_ANCHORS);
    if (!boxes)
        return fp_error_set(err, FP_ERR_NOMEM, "detect: out of memory");
    int count = bf_decode((const float(*)[2])e->anchors, e->det_output[e->det_out[0]], e->det_output[e->det_out[1]],
                          e->det_output[e->det_out[2]], e->det_output[e->det_out[3]], e->min_score, boxes);
    count = bf_nms(boxes, count, e->nms_iou);
    for (int i = 0; i < 4; i++)
        explicit_bzero(e->det_output[i], e->det_output_n[i] * sizeof(float));

    /* Model-input pixels -> image pixels (independent x and y scales, since
     * the aspect ratio was not kept). */
    const float sx = (float)img->width / BF_INPUT, sy = (float)img->height / BF_INPUT;
    int out_n = count < max ? count : max;
    for (int i = 0; i < out_n; i++) {
        const bf_box *b = &boxes[i];
        fp_face *f = &faces[i];
        /* BlazeFace regresses square boxes in its (aspect-distorted) input,
         * and the side it predicts fits the face along the less compressed
         * image axis; the other side comes out too short. So the box is
         * reported square with the longer side, about the predicted centre -
         * Human's squarifyBox, which the reference crops confirm. */
        float cx = 0.5f * (b->x1 + b->x2) * sx, cy = 0.5f * (b->y1 + b->y2) * sy;
        float bw = (b->x2 - b->x1) * sx, bh = (b->y2 - b->y1) * sy;
        float side = bw > bh ? bw : bh;
        f->x = cx - 0.5f * side;
        f->y = cy - 0.5f * side;
        f->w = side;
        f->h = side;
        f->score = b->score;
        for (int k = 0; k < FP_FACE_KEYPOINTS; k++) {
            f->keypoints[k][0] = b->kp[k][0] * sx;
            f->keypoints[k][1] = b->kp[k][1] * sy;
        }
    }
    /* Face positions are face data too (DP-1). */
    explicit_bzero(boxes, sizeof *boxes * BF_ANCHORS);
    free(boxes);
    *n = out_n;
    return FP_OK;
}

/* Area of the part of the box inside the image (the whole box when the
 * image size is unknown). */
static float visible_area(const fp_face *f, int width, int height)
{
    float x0 = f->x, y0 = f->y, x1 = f->x + f->w, y1 = f->y + f->h;
    if (width > 0 && height > 0) {
        x0 = x0 > 0.f ? x0 : 0.f;
        y0 = y0 > 0.f ? y0 : 0.f;
        x1 = x1 < (float)width ? x1 : (float)width;
        y1 = y1 < (float)height ? y1 : (float)height;
    }
    return x1 > x0 && y1 > y0 ? (x1 - x0) * (y1 - y0) : 0.f;
}

/* 1 at the image centre falling linearly to 0 at a corner (1 when the image
 * size is unknown). */
static float centrality(const fp_face *f, int width, int height)
{
    if (width <= 0 || height <= 0)
        return 1.f;
    float dx = f->x + 0.5f * f->w - 0.5f * (float)width, dy = f->y + 0.5f * f->h - 0.5f * (float)height;
    float r = sqrtf(dx * dx + dy * dy) / (0.5f * sqrtf((float)width * (float)width + (float)height * (float)height));
    return r < 1.f ? 1.f - r : 0.f;
}

int fp_face_main(const fp_face *faces, int n, int width, int height)
{
    /* The person presenting themselves is close to the camera (large face)
     * and in the middle of the frame; bystanders sit at the edges, often cut
     * by the border. So the rule weighs the visible area (the part inside
     * the image) by centrality. Area alone picked a larger border-cut
     * neighbour on LFW (Holly_Hunter_0007 -> Morgan Freeman), which was the
     * largest source of genuine-pair errors (docs/ACCURACY.md). A face at a
     * corner needs a centred rival to be 10x smaller before it wins. Ties go
     * to the higher score. */
    int best = -1;
    float best_weight = -1.f;
    for (int i = 0; i < n && faces; i++) {
        float c = centrality(&faces[i], width, height);
        float weight = visible_area(&faces[i], width, height) * (c > 0.1f ? c : 0.1f);
        if (weight > best_weight || (weight == best_weight && faces[i].score > faces[best].score)) {
            best = i;
            best_weight = weight;
        }
    }
    return best;
}
