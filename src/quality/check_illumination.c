/* Q-10 (GB/T 37036.3 7.2.2 b 3, FR-AUTO 5.4 b): brightness and illumination
 * of the face box, three results:
 *   brightness  mean luma within [min_brightness, max_brightness] and at
 *               most max_clipped_fraction of under- (luma <= 16) or over-
 *               (>= 240) exposed pixels: "too dark" / "too bright";
 *   contrast    luma standard deviation >= min_contrast: "low contrast";
 *   uniformity  mean luma of the darker half / the brighter half, split at
 *               the eye midpoint (so a turned head splits at its own
 *               middle), >= min_uniformity: "uneven lighting". */
#include "quality/quality_internal.h"

#include <math.h>

static void brightness(const fp_quality_config *cfg, const q_stats *s, fp_quality_result *r)
{
    float mean = (float)s->mean, lo = cfg->min_brightness, hi = cfg->max_brightness;
    float score;
    if (mean < lo)
        score = lo > 0 ? 0.5f * mean / lo : 0;
    else if (mean > hi)
        score = hi < 255 ? 0.5f * (255 - mean) / (255 - hi) : 0;
    else {
        float half = (hi - lo) / 2, d = mean - lo < hi - mean ? mean - lo : hi - mean;
        score = half > 0 ? 0.5f + 0.5f * d / half : 1;
    }
    /* clipped pixels pull the score down as well */
    float clip = (float)(s->dark > s->bright ? s->dark : s->bright);
    float sclip = q_score_below(clip, cfg->max_clipped_fraction, 1);
    if (sclip < score)
        score = sclip;
    fp_quality_reason reason = FP_QREASON_NONE;
    if (mean < lo || s->dark > cfg->max_clipped_fraction)
        reason = FP_QREASON_TOO_DARK;
    if (mean > hi || s->bright > cfg->max_clipped_fraction)
        if (reason == FP_QREASON_NONE || s->bright > s->dark)
            reason = FP_QREASON_TOO_BRIGHT;
    q_set(r, mean, score, reason == FP_QREASON_NONE, reason);
}

void q_check_illumination(const fp_quality_config *cfg, const q_ctx *c, fp_quality_report *rep)
{
    q_stats s = q_luma_stats(c->img, c->x0, c->y0, c->x1, c->y1, 1);
    rep->brightness = (float)s.mean;
    rep->contrast = (float)s.std;
    rep->dark_fraction = (float)s.dark;
    rep->bright_fraction = (float)s.bright;
    /* clamp in float first: split_x comes from caller key points */
    float sx = c->split_x;
    int split = !(sx >= (float)c->x0 + 1) ? c->x0 + 1 : sx > (float)c->x1 - 1 ? c->x1 - 1 : (int)lroundf(sx);
    q_stats left = q_luma_stats(c->img, c->x0, c->y0, split, c->y1, 1);
    q_stats right = q_luma_stats(c->img, split, c->y0, c->x1, c->y1, 1);
    rep->left_brightness = left.n ? (float)left.mean : NAN;
    rep->right_brightness = right.n ? (float)right.mean : NAN;

    if (cfg->disabled & FP_QUALITY_BIT(FP_QUALITY_BRIGHTNESS))
        q_skip(&rep->checks[FP_QUALITY_BRIGHTNESS]);
    else
        brightness(cfg, &s, &rep->checks[FP_QUALITY_BRIGHTNESS]);

    if (cfg->disabled & FP_QUALITY_BIT(FP_QUALITY_CONTRAST))
        q_skip(&rep->checks[FP_QUALITY_CONTRAST]);
    else
        q_set(&rep->checks[FP_QUALITY_CONTRAST], (float)s.std, q_score_above((float)s.std, cfg->min_contrast),
              s.std >= cfg->min_contrast, FP_QREASON_LOW_CONTRAST);

    fp_quality_result *u = &rep->checks[FP_QUALITY_UNIFORMITY];
    if ((cfg->disabled & FP_QUALITY_BIT(FP_QUALITY_UNIFORMITY)) || !left.n || !right.n) {
        q_skip(u);
    } else {
        double lo = left.mean < right.mean ? left.mean : right.mean;
        double hi = left.mean < right.mean ? right.mean : left.mean;
        float ratio = hi > 0 ? (float)(lo / hi) : 1.f;
        q_set(u, ratio, q_score_ratio(ratio, cfg->min_uniformity), ratio >= cfg->min_uniformity,
              FP_QREASON_UNEVEN_LIGHTING);
    }
}
