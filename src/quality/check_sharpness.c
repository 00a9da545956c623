/* Q-7 (GB/T 37036.3 7.2.2 a 2, FR-AUTO 5.4 a) and Q-16 (tell the user about
 * blurred images): sharpness of the face region.
 *
 * The clipped face box is resampled to Q_SHARP_W pixels wide (box average
 * when shrinking, so a large face is judged at the scale the recogniser
 * sees it), then
 *     sharpness = var(Laplacian) / (var(luma) + 16)
 * with the 4-neighbour Laplacian over the interior. Dividing by the luma
 * variance makes the measure independent of contrast and exposure (those
 * have their own checks); the +16 keeps flat, noise-only regions from
 * scoring high. */
#include "quality/quality_internal.h"

#include <math.h>
#include <stdlib.h>

#define Q_SHARP_W 64

fp_status q_check_sharpness(const fp_quality_config *cfg, const q_ctx *c, fp_quality_report *rep, fp_error *err)
{
    fp_quality_result *r = &rep->checks[FP_QUALITY_SHARPNESS];
    if (cfg->disabled & FP_QUALITY_BIT(FP_QUALITY_SHARPNESS)) {
        q_skip(r);
        return FP_OK;
    }
    int w = c->x1 - c->x0, h = c->y1 - c->y0;
    /* same scale on both axes: the full box width maps to Q_SHARP_W */
    double scale = (double)Q_SHARP_W / (c->face->w > 1 ? c->face->w : 1);
    int ow = (int)lround(w * scale), oh = (int)lround(h * scale);
    if (ow < 3 || oh < 3) {
        q_set(r, 0, 0, 0, FP_QREASON_TOO_BLURRY); /* nothing to measure: treat as unusable */
        return FP_OK;
    }
    float *g = malloc((size_t)ow * oh * sizeof *g);
    if (!g)
        return fp_error_set(err, FP_ERR_NOMEM, "quality: sharpness buffer");
    q_luma_resample(c->img, c->x0, c->y0, c->x1, c->y1, ow, oh, g);
    double s = 0, s2 = 0, l = 0, l2 = 0;
    long long n = 0, m = 0;
    for (int y = 0; y < oh; y++)
        for (int x = 0; x < ow; x++) {
            double v = g[(size_t)y * ow + x];
            s += v, s2 += v * v, n++;
            if (x > 0 && y > 0 && x < ow - 1 && y < oh - 1) {
                const float *p = g + (size_t)y * ow + x;
                double lap = p[-1] + p[1] + p[-ow] + p[ow] - 4.0 * p[0];
                l += lap, l2 += lap * lap, m++;
            }
        }
    free(g);
    double mean = s / n, var = s2 / n - mean * mean, lmean = l / m, lvar = l2 / m - lmean * lmean;
    if (var < 0)
        var = 0;
    if (lvar < 0)
        lvar = 0;
    float value = (float)(lvar / (var + 16.0));
    q_set(r, value, q_score_above(value, cfg->min_sharpness), value >= cfg->min_sharpness, FP_QREASON_TOO_BLURRY);
    return FP_OK;
}
