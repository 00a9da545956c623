/* faceprint multi-scale face detection (CAP-3 for small faces).
 *
 * fp_face_detect (face.h) reproduces Human's detector exactly: the whole
 * image squashed to 256x256, one BlazeFace run, so a face smaller than about
 * 1/10 of the image side is missed. fp_face_detect_ex adds:
 *   - a full-image pass that keeps the aspect ratio (image padded to a
 *     square with black at the right/bottom) or squashes it as Human does;
 *   - an image pyramid of overlapping square tiles, so that a face of
 *     min_face pixels reaches >= FP_FACE_TILE_FACE_PX pixels at the 256x256
 *     model input. Level k tiles have side T * 2^k (T = min_face * 256 /
 *     FP_FACE_TILE_FACE_PX), overlap T_k / 4, and only keep faces of side
 *     <= T_k / 4 that do not cross an inner tile edge (larger faces belong to
 *     the next level or to the full-image pass). Levels stop when a tile
 *     would cover the whole image. Sources shrunk 2x or more are box-filtered
 *     first (no aliasing);
 *   - one NMS over all candidates in image pixels.
 * Small images (long side <= T) get the full-image pass only, so LFW-sized
 * inputs cost one model run. The number of tile runs is capped by
 * max_tiles: when the pyramid would need more, T grows (the effective
 * minimum face grows) until it fits, so the time per image is bounded by
 * (1 + max_tiles) BlazeFace runs plus the resampling.
 *
 * Defaults chosen by measurement (docs/BENCHMARKS.md "Pipeline",
 * FP_DETECT_RECALL_FULL=1 test_detect_recall): pad to square, min_face 20,
 * max_tiles 16, tile score 0.7 gave 100 % recall and precision on dlib's 43
 * boxes and CompreFace's 46 faces (Human's single pass: 95.3 % / 97.8 %
 * recall), and 99.95 % acquisition on the first 2000 LFW images (PERF-1).
 * Cost: up to 1 + 16 BlazeFace runs (about 10 ms each, single thread), so
 * this is for enrolment / group photos; fp_face_detect stays the one-run
 * path for verification. */
#ifndef FACEPRINT_FACE_DETECT_H
#define FACEPRINT_FACE_DETECT_H

#include "faceprint/face.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A face is wanted at >= this many model-input pixels in some pass. */
#define FP_FACE_TILE_FACE_PX 24
#define FP_FACE_DEFAULT_MIN_FACE 20
#define FP_FACE_DEFAULT_MAX_TILES 16
#define FP_FACE_DEFAULT_TILE_SCORE 0.7f

typedef struct fp_face_detect_options {
    int min_face;  /* smallest wanted face side, image pixels; 0 = default, < 0 = no tiles */
    int squash;    /* full-image pass: 1 = squash to 256x256 (Human), 0 = pad to square */
    int max_tiles; /* cap on tile runs per image; 0 = default, < 0 = no tiles */
    float tile_min_score; /* score a tile candidate needs; 0 = default FP_FACE_DEFAULT_TILE_SCORE
                           * (raised over the engine's min_score: tiles see more background) */
} fp_face_detect_options;

/* Like fp_face_detect (same output convention: strongest first, square
 * boxes in image pixels), with the passes chosen by opt (NULL = defaults). */
fp_status fp_face_detect_ex(fp_face_engine *engine, const fp_image *img, const fp_face_detect_options *opt,
                            fp_face *faces, int max, int *n, fp_error *err);

/* Number of tile runs fp_face_detect_ex makes for a width x height image
 * (0 = full-image pass only), and the effective minimum face side, image
 * pixels, after the max_tiles cap (may be NULL). */
int fp_face_detect_plan(int width, int height, const fp_face_detect_options *opt, int *min_face_out);

#ifdef __cplusplus
}
#endif
#endif
