/* faceprint face pipeline: detection, alignment and descriptors.
 *
 *   detect      BlazeFace (Human's blazeface.json, 256x256 "back" model):
 *               boxes, scores and 6 key points in image pixels.
 *   align       similarity transform (rotation, scale, translation; no
 *               shear, no reflection) from the eye centres, nose tip and
 *               mouth centre to dlib's 150x150 face-chip template (25 %
 *               padding), so roll is removed and every face reaches the
 *               descriptor at one size (SPEC ).
 *   describe    face-api's face_recognition_model (dlib ResNet-34, 128-d)
 *               on the chip and on its mirror image, averaged (99.0 % on
 *               1200 LFW pairs at the 0.6 threshold, see descriptor.c).
 *   compare     Euclidean distance; below FP_FACE_DEFAULT_THRESHOLD = same
 *               person (REC-11, REC-12; the threshold is a caller setting,
 *               REC-6).
 *
 * Lifetimes (libuv style): the caller creates and frees the engine; it owns
 * the loaded models, their sessions and scratch buffers, and is used by one
 * thread at a time (create one engine per thread for parallel work). Scratch
 * buffers holding chips and descriptors are wiped after each call (REC-14). */
#ifndef FACEPRINT_FACE_H
#define FACEPRINT_FACE_H

#include "faceprint/image.h"
#include "faceprint/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FP_FACE_DESCRIPTOR_DIM 128
#define FP_FACE_KEYPOINTS 6
/* face-api / dlib: distance < 0.6 = same person (dlib reports 99.38 % on LFW). */
#define FP_FACE_DEFAULT_THRESHOLD 0.6f
/* Side of the aligned chip fed to the descriptor model (dlib's 150x150). */
#define FP_FACE_CHIP_SIZE 150

/* Key point order (BlazeFace's): "left"/"right" are as seen in the image,
 * so FP_FACE_KP_EYE_LEFT is the subject's right eye. */
enum {
    FP_FACE_KP_EYE_LEFT = 0,
    FP_FACE_KP_EYE_RIGHT = 1,
    FP_FACE_KP_NOSE = 2,
    FP_FACE_KP_MOUTH = 3,
    FP_FACE_KP_EAR_LEFT = 4,
    FP_FACE_KP_EAR_RIGHT = 5
};

typedef struct fp_face {
    /* Square box, image pixels (may extend past the image). BlazeFace's box
     * is tight (about eyebrows to mouth/chin); Human enlarges it 1.4x for
     * its landmark crops. */
    float x, y, w, h;
    float score;                          /* detector confidence 0..1 */
    float keypoints[FP_FACE_KEYPOINTS][2]; /* (x, y) image pixels */
} fp_face;

typedef struct fp_face_config {
    const char *models_dir; /* root of the npm model packages (".../node_modules"); required */
    int threads;            /* worker threads incl. the caller; <= 1 = caller only */
    float min_score;        /* detections below are dropped; 0 = default 0.45 */
    float nms_iou;          /* overlap above which the weaker box is dropped; 0 = default 0.1 */
} fp_face_config;

typedef struct fp_face_engine fp_face_engine;

/* Loads BlazeFace and the face-api recognition model from cfg->models_dir.
 * Errors: FP_ERR_INVALID_ARG, FP_ERR_IO / FP_ERR_FORMAT (model files),
 * FP_ERR_NOMEM, FP_ERR_THREAD. */
fp_status fp_face_engine_new(const fp_face_config *cfg, fp_face_engine **out, fp_error *err);
void fp_face_engine_free(fp_face_engine *engine);

/* Detects faces, strongest first. faces[0..max) receives at most max of
 * them, *n the number written (0 = no face, which is not an error). The
 * whole image is resized to 256x256 as Human does, so faces smaller than
 * about 1/10 of the image side are missed (no tiling yet). */
fp_status fp_face_detect(fp_face_engine *engine, const fp_image *img, fp_face *faces, int max, int *n,
                         fp_error *err);

/* Index of the main face (CAP-6 "select the main face by a rule"): the
 * largest box area inside the width x height image (pass 0, 0 to use the
 * whole box), ties to the higher score; -1 when n <= 0. */
int fp_face_main(const fp_face *faces, int n, int width, int height);

/* 2x3 matrix mapping chip pixel (u, v) of a size x size chip to image
 * pixels (the form fp_image_warp_affine takes). FP_ERR_INVALID_ARG when the
 * key points are degenerate (coincident or not finite). */
fp_status fp_face_align_matrix(const fp_face *face, int size, double chip_to_image[6]);

/* The aligned size x size RGB8 chip of a face (for inspection / tests; the
 * descriptor builds its own float chip). */
fp_status fp_face_chip(const fp_image *img, const fp_face *face, int size, fp_image **out, fp_error *err);

/* 128-d descriptor of a detected face. Not L2-normalised: distances are in
 * the model's own scale, where the 0.6 threshold applies. */
fp_status fp_face_descriptor(fp_face_engine *engine, const fp_image *img, const fp_face *face,
                             float out[FP_FACE_DESCRIPTOR_DIM], fp_error *err);

/* Euclidean distance of two 128-d descriptors. */
float fp_face_distance(const float *a, const float *b);

#ifdef __cplusplus
}
#endif
#endif
