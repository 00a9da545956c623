/* Internals of the face pipeline (include/faceprint/face.h). */
#ifndef FP_VISION_H
#define FP_VISION_H

#include "faceprint/face.h"
#include "faceprint/nn.h"

/* BlazeFace "back" model geometry (Human 3.3.6 face/blazeface.ts): 256x256
 * input; 512 anchors on the 16x16 grid (stride 16, 2 per cell) then 384 on
 * the 8x8 grid (stride 32, 6 per cell); 17 regressor values per anchor. */
#define BF_INPUT 256
#define BF_ANCHORS 896
#define BF_ANCHORS_16 512
#define BF_ANCHORS_8 384
#define BF_REG 16

struct fp_face_engine {
    fp_threadpool *tp;
    fp_nn_model *det_model;
    fp_nn_session *det_session;
    int det_out[4];          /* output index of: scores 512, regressors 512, scores 384, regressors 384 */
    float *det_input;        /* 1 x 256 x 256 x 3 */
    float *det_output[4];    /* in model output order */
    size_t det_output_n[4];  /* their element counts */
    float anchors[BF_ANCHORS][2]; /* anchor centres, input pixels */
    fp_nn_model *rec_model;
    fp_nn_session *rec_session;
    float *rec_input;        /* 2 x 150 x 150 x 3: the chip and its mirror */
    float *rec_output;       /* 2 x 128 */
    float min_score;
    float nms_iou;
    /* Landmark stage (landmarks.c): loaded on first use from models_dir. */
    char *models_dir;
    struct vis_mesh *mesh;
};

/* One decoded BlazeFace candidate, in model-input pixels. */
typedef struct bf_box {
    float x1, y1, x2, y2;
    float score;
    float kp[FP_FACE_KEYPOINTS][2];
} bf_box;

/* Fills anchors[896][2] (centres in input pixels, Human's generateAnchors). */
void bf_make_anchors(float anchors[BF_ANCHORS][2]);

/* Decodes the raw model outputs into candidates with score >= min_score;
 * out must hold BF_ANCHORS entries. Returns the count. */
int bf_decode(const float anchors[BF_ANCHORS][2], const float *scores512, const float *reg512,
              const float *scores384, const float *reg384, float min_score, bf_box *out);

/* Greedy non-maximum suppression (TF.js nonMaxSuppression semantics: by
 * descending score, drop a box whose IoU with a kept one is > iou). Sorts
 * boxes in place and returns the number kept (at the front). */
int bf_nms(bf_box *boxes, int n, float iou);

/* Intersection over union of two [x1,y1,x2,y2] boxes (0 for empty ones). */
float vis_iou(float ax1, float ay1, float ax2, float ay2, float bx1, float by1, float bx2, float by2);

/* Writes the 2 x size x size x 3 float chip pair (aligned chip, its mirror)
 * normalised as v * scale + offset[c], for the recognition model. */
fp_status vis_chip_pair_f32(const fp_image *img, const fp_face *face, int size, float scale,
                            const float offset[3], float *dst, fp_error *err);

#endif
