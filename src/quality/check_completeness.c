/* Q-8 (GB/T 37036.3 7.2.2 a 3, FR-AUTO 5.4 d): is the whole face in the
 * image? The box grown by completeness_margin of its side on every side
 * must lie at least min_inside_fraction inside the image, and the eye,
 * nose and mouth points must be inside. value = the inside fraction. */
#include "quality/quality_internal.h"

#include <math.h>

static double overlap(double a0, double a1, double lim)
{
    double lo = a0 > 0 ? a0 : 0, hi = a1 < lim ? a1 : lim;
    return hi > lo ? hi - lo : 0;
}

void q_check_completeness(const fp_quality_config *cfg, const q_ctx *c, fp_quality_report *rep)
{
    fp_quality_result *r = &rep->checks[FP_QUALITY_COMPLETENESS];
    if (cfg->disabled & FP_QUALITY_BIT(FP_QUALITY_COMPLETENESS)) {
        q_skip(r);
        return;
    }
    const fp_quality_face *f = c->face;
    double m = cfg->completeness_margin > 0 ? cfg->completeness_margin : 0;
    double gx0 = f->x - m * f->w, gx1 = f->x + (1 + m) * f->w;
    double gy0 = f->y - m * f->h, gy1 = f->y + (1 + m) * f->h;
    double area = (gx1 - gx0) * (gy1 - gy0);
    float inside = area > 0 ? (float)(overlap(gx0, gx1, c->img->width) * overlap(gy0, gy1, c->img->height) / area) : 0;
    int kp_inside = 1;
    for (int k = 0; k < 4 && k < f->n_keypoints; k++) {
        float x = f->keypoints[k][0], y = f->keypoints[k][1];
        if (!(x >= 0 && y >= 0 && x < c->img->width && y < c->img->height))
            kp_inside = 0;
    }
    float score = q_score_ratio(inside, cfg->min_inside_fraction);
    if (!kp_inside && score > 0.25f)
        score = 0.25f;
    q_set(r, inside, score, kp_inside && inside >= cfg->min_inside_fraction, FP_QREASON_FACE_CUT_OFF);
}
