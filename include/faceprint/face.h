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
 * largest box area inside the width x height image weighted by centrality
 * (1 at the centre, falling linearly to 0.1 towards the corners; pass 0, 0
 * to use the whole box, unweighted), ties to the higher score; -1 when n <= 0. */
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


/* ---- Landmarks: dense face mesh, pose, eye and mouth openness -------------
 *
 * Human 3.3.6's facemesh.json (MediaPipe Face Mesh, 468 points) run on
 * Human's 192x192 face crop: the detector box enlarged 1.4x about its centre,
 * squared (Math.round), cut with TF cropAndResize semantics, /255 (exactly as
 * shared/reference/peer/README.md documents). The model is loaded on the
 * first call (engines that never ask for landmarks do not pay for it).
 *
 * Eye-region points are facemesh's own: Human 3.3.6 also runs iris.json and
 * overwrites 2 x 71 eye/brow points with the iris model's contours (not done
 * here yet; the other 326 points equal Human's, see tests/vision/
 * test_landmarks.c).
 *
 * Mesh index conventions are MediaPipe's: points 33/133 are the outer/inner
 * corners of the subject's RIGHT eye (left in the image), 263/362 of the
 * subject's LEFT eye, 1 the nose tip, 61/291 the mouth corners, 13/14 the
 * inner lips, 10 the top of the forehead, 152 the chin.
 *
 * Pose (SPEC Q-9, CAP-5), degrees, from the mesh's own 3D axes (method in
 * src/vision/mesh_geom.c): the face's x axis is the mean of 8 symmetric
 * point pairs (subject's right -> left), its y axis runs forehead (10) ->
 * chin (152) made orthogonal to x, z = x cross y (into the scene). Camera
 * frame: x right, y down, z away from the camera.
 *   yaw   > 0  the subject turns to THEIR left (nose points to image right)
 *   pitch > 0  the subject looks up (chin up)
 *   roll  > 0  the face is rotated clockwise in the image (head tilted to
 *              the subject's left shoulder)
 * A horizontally mirrored image negates yaw and roll and keeps pitch.
 *
 * Openness: eye = mean gap of 3 upper/lower lid point pairs
 * divided by the corner-to-corner eye width (about 0.25..0.35 open, < 0.15
 * closed); mouth = inner-lip gap (13-14) divided by the corner distance
 * (61-291) (about 0 closed, > 0.3 wide open). */
#define FP_FACE_MESH_POINTS 468

/* points5 order: like FP_FACE_KP_*, "left"/"right" as seen in the image. */
enum {
    FP_LM5_EYE_LEFT = 0,    /* centre of the eye contour left in the image (subject's right eye) */
    FP_LM5_EYE_RIGHT = 1,   /* centre of the eye contour right in the image */
    FP_LM5_NOSE = 2,        /* nose tip (mesh 1) */
    FP_LM5_MOUTH_LEFT = 3,  /* mouth corner left in the image (mesh 61) */
    FP_LM5_MOUTH_RIGHT = 4  /* mouth corner right in the image (mesh 291) */
};

typedef struct fp_landmarks {
    /* x, y in image pixels (float, not truncated as Human does); z relative
     * depth in the same pixel scale, negative = towards the camera (Human
     * leaves z in 192-crop units: multiply ours by 192 / crop side). */
    float mesh[FP_FACE_MESH_POINTS][3];
    float points5[5][2];
    float yaw, pitch, roll;  /* degrees, conventions above */
    float eye_open[2];       /* [0] eye left in the image (subject's right), [1] right in the image */
    float mouth_open;
    float face_score;        /* facemesh output_faceflag, 0..1 (Human keeps faces > 0.2) */
    float crop[4];           /* the 192-crop box used, x1, y1, x2, y2 image pixels */
} fp_landmarks;

/* Runs facemesh on the crop Human would cut from the detected face and
 * fills *out. Errors: FP_ERR_INVALID_ARG, FP_ERR_IO / FP_ERR_FORMAT /
 * FP_ERR_NOMEM (first call: loading facemesh.json), FP_ERR_INTERNAL
 * (non-finite output). The crop and raw outputs are wiped after use. */
fp_status fp_face_landmarks(fp_face_engine *engine, const fp_image *img, const fp_face *face, fp_landmarks *out,
                            fp_error *err);

/* The same on an explicit crop box (x1, y1, x2, y2 image pixels, square),
 * e.g. Human's own `detector_crops` for parity tests. */
fp_status fp_face_landmarks_crop(fp_face_engine *engine, const fp_image *img, const float crop_xyxy[4],
                                 fp_landmarks *out, fp_error *err);

/* Recomputes points5, pose and openness from out->mesh (used by
 * fp_face_landmarks; exposed so they can be checked on reference meshes). */
void fp_landmarks_derive(fp_landmarks *lm);

/* A copy of *face whose alignment key points (eyes, nose, mouth centre) are
 * replaced by mesh-derived ones: eye contour centres, nose tip (mesh 1) and
 * the centre of the inner lips (mesh 13, 14, 78, 308), i.e. the points of
 * dlib's template (align.c). Box, score and ears are kept. */
void fp_face_from_landmarks(const fp_face *face, const fp_landmarks *lm, fp_face *out);

#ifdef __cplusplus
}
#endif
#endif
