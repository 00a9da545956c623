/* Q-11 / Q-12 (GB/T 37036.3 7.2.2 b 1, b 2): degree of eye and mouth
 * closure, from the openness values of a landmark model (0 = closed .. 1 =
 * wide open). Eyes: the less open of the known eyes must reach
 * min_eye_openness ("eyes closed"). Mouth: openness at most
 * max_mouth_openness ("mouth open"). Unknown (NAN) values skip the check. */
#include "quality/quality_internal.h"

#include <math.h>

void q_check_closure(const fp_quality_config *cfg, const q_ctx *c, fp_quality_report *rep)
{
    const fp_quality_face *f = c->face;
    fp_quality_result *e = &rep->checks[FP_QUALITY_EYES];
    float eye = NAN;
    for (int i = 0; i < 2; i++)
        if (!isnan(f->eye_openness[i]) && (isnan(eye) || f->eye_openness[i] < eye))
            eye = f->eye_openness[i];
    if ((cfg->disabled & FP_QUALITY_BIT(FP_QUALITY_EYES)) || isnan(eye))
        q_skip(e);
    else
        q_set(e, eye, q_score_ratio(eye, cfg->min_eye_openness), eye >= cfg->min_eye_openness,
              FP_QREASON_EYES_CLOSED);

    fp_quality_result *m = &rep->checks[FP_QUALITY_MOUTH];
    float mouth = f->mouth_openness;
    if ((cfg->disabled & FP_QUALITY_BIT(FP_QUALITY_MOUTH)) || isnan(mouth))
        q_skip(m);
    else
        q_set(m, mouth, q_score_below(mouth, cfg->max_mouth_openness, 1), mouth <= cfg->max_mouth_openness,
              FP_QREASON_MOUTH_OPEN);
}
