/* Q-6 (GB/T 37036.3 7.2.2 a 1): is the face large enough for the
 * recognition algorithm? Both the inter-eye distance (when the eyes are
 * known) and the smaller box side must reach their minimum. */
#include "quality/quality_internal.h"

#include <math.h>

void q_check_size(const fp_quality_config *cfg, const q_ctx *c, fp_quality_report *rep)
{
    const fp_quality_face *f = c->face;
    float side = f->w < f->h ? f->w : f->h;
    rep->face_size = side;
    rep->eye_distance = c->eye_distance;
    fp_quality_result *r = &rep->checks[FP_QUALITY_SIZE];
    if (cfg->disabled & FP_QUALITY_BIT(FP_QUALITY_SIZE)) {
        q_skip(r);
        return;
    }
    /* value: the eye distance when known (the finer measure), else the box
     * side; the score is the worse of the two relative margins. */
    float s_box = q_score_above(side, cfg->min_face_size);
    float score = s_box;
    int pass = side >= cfg->min_face_size;
    float value = side;
    if (c->has_eyes) {
        float s_eye = q_score_above(c->eye_distance, cfg->min_eye_distance);
        score = s_eye < s_box ? s_eye : s_box;
        pass = pass && c->eye_distance >= cfg->min_eye_distance;
        value = c->eye_distance;
    }
    q_set(r, value, score, pass, FP_QREASON_FACE_TOO_SMALL);
}
