/* Q-9 (GB/T 37036.3 7.2.2 a 4, FR-AUTO 5.4 c): head pose within range.
 * Needs yaw / pitch / roll from a landmark model; unknown (NAN) angles are
 * not checked, and with all three unknown the check is skipped. value = the
 * largest |angle| / limit (1 = at the limit); the prompt names the axis
 * that exceeds its limit the most. Sign conventions: see fp_quality_face. */
#include "quality/quality_internal.h"

#include <math.h>

void q_check_pose(const fp_quality_config *cfg, const q_ctx *c, fp_quality_report *rep)
{
    fp_quality_result *r = &rep->checks[FP_QUALITY_POSE];
    const fp_quality_face *f = c->face;
    float ang[3] = {f->yaw, f->pitch, f->roll};
    float lim[3] = {cfg->max_yaw, cfg->max_pitch, cfg->max_roll};
    if ((cfg->disabled & FP_QUALITY_BIT(FP_QUALITY_POSE)) || (isnan(ang[0]) && isnan(ang[1]) && isnan(ang[2]))) {
        q_skip(r);
        return;
    }
    float worst = 0;
    int axis = -1;
    for (int i = 0; i < 3; i++) {
        if (isnan(ang[i]))
            continue;
        float rel = lim[i] > 0 ? fabsf(ang[i]) / lim[i] : (ang[i] != 0 ? INFINITY : 0);
        if (axis < 0 || rel > worst)
            worst = rel, axis = i;
    }
    fp_quality_reason reason = FP_QREASON_HEAD_TILTED;
    if (axis == 0) /* face points to the image right = subject turned to their left */
        reason = ang[0] > 0 ? FP_QREASON_TURN_RIGHT : FP_QREASON_TURN_LEFT;
    else if (axis == 1) /* chin up: lower the head */
        reason = ang[1] > 0 ? FP_QREASON_LOWER_HEAD : FP_QREASON_RAISE_HEAD;
    float score = worst <= 1 ? 1 - 0.5f * worst : (worst < 2 ? 0.5f * (2 - worst) : 0);
    q_set(r, worst, score, worst <= 1, reason);
}
