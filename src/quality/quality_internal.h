/* Internals of the quality checks (include/faceprint/quality.h): the shared
 * context built once per face, image statistics helpers, and one function
 * per check (one check per file). */
#ifndef FP_QUALITY_INTERNAL_H
#define FP_QUALITY_INTERNAL_H

#include "faceprint/quality.h"

/* Luma thresholds for "clipped" pixels (under / over exposure). */
#define Q_DARK_LUMA 16
#define Q_BRIGHT_LUMA 240

typedef struct q_ctx {
    const fp_image *img;
    const fp_quality_face *face;
    /* Face box clipped to the image, integer pixels [x0, x1) x [y0, y1). */
    int x0, y0, x1, y1;
    int has_eyes;       /* n_keypoints >= 4 with finite eye, nose and mouth points */
    float eye_distance; /* NAN without key points */
    float split_x;      /* left / right split: eye midpoint x, else box centre */
} q_ctx;

/* BT.601 luma of pixel (x, y), 0..255. */
static inline float q_luma(const fp_image *img, int x, int y)
{
    const unsigned char *p = img->pixels + (size_t)y * img->stride + 3 * (size_t)x;
    return 0.299f * p[0] + 0.587f * p[1] + 0.114f * p[2];
}

/* Luma statistics of the rectangle [x0, x1) x [y0, y1) (already clipped),
 * sampling every `step` pixels in both directions. */
typedef struct q_stats {
    double mean, std, dark, bright; /* dark / bright: fractions of clipped pixels */
    long long n;
} q_stats;
q_stats q_luma_stats(const fp_image *img, int x0, int y0, int x1, int y1, int step);

/* Luma of [x0, x1) x [y0, y1) resampled to ow x oh (box average when
 * shrinking, bilinear when growing) into dst[oh * ow]. */
void q_luma_resample(const fp_image *img, int x0, int y0, int x1, int y1, int ow, int oh, float *dst);

/* Scores: 0..1, 0.5 exactly at the threshold. */
float q_score_above(float v, float thr);          /* higher is better, unbounded: v / (v + thr) */
float q_score_ratio(float v, float thr);          /* higher is better, v in 0..1 */
float q_score_below(float v, float thr, float worst); /* lower is better, v in 0..worst */

/* Result helpers. */
void q_skip(fp_quality_result *r);
void q_set(fp_quality_result *r, float value, float score, int pass, fp_quality_reason reason);

/* The checks. Each fills its result (and report measurements it owns). */
void q_check_size(const fp_quality_config *cfg, const q_ctx *c, fp_quality_report *rep);
fp_status q_check_sharpness(const fp_quality_config *cfg, const q_ctx *c, fp_quality_report *rep, fp_error *err);
void q_check_illumination(const fp_quality_config *cfg, const q_ctx *c, fp_quality_report *rep);
void q_check_completeness(const fp_quality_config *cfg, const q_ctx *c, fp_quality_report *rep);
void q_check_occlusion(const fp_quality_config *cfg, const q_ctx *c, fp_quality_report *rep);
void q_check_pose(const fp_quality_config *cfg, const q_ctx *c, fp_quality_report *rep);
void q_check_closure(const fp_quality_config *cfg, const q_ctx *c, fp_quality_report *rep);

#endif
