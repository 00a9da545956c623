/* Image statistics shared by the quality checks: luma statistics of a
 * rectangle, luma resampling, and the score curves. */
#include "quality/quality_internal.h"

#include <math.h>

q_stats q_luma_stats(const fp_image *img, int x0, int y0, int x1, int y1, int step)
{
    q_stats s = {0, 0, 0, 0, 0};
    double sum = 0, sum2 = 0;
    long long dark = 0, bright = 0;
    if (step < 1)
        step = 1;
    for (int y = y0; y < y1; y += step)
        for (int x = x0; x < x1; x += step) {
            float v = q_luma(img, x, y);
            sum += v;
            sum2 += (double)v * v;
            dark += v <= Q_DARK_LUMA;
            bright += v >= Q_BRIGHT_LUMA;
            s.n++;
        }
    if (s.n > 0) {
        s.mean = sum / (double)s.n;
        double var = sum2 / (double)s.n - s.mean * s.mean;
        s.std = var > 0 ? sqrt(var) : 0;
        s.dark = (double)dark / (double)s.n;
        s.bright = (double)bright / (double)s.n;
    }
    return s;
}

void q_luma_resample(const fp_image *img, int x0, int y0, int x1, int y1, int ow, int oh, float *dst)
{
    int w = x1 - x0, h = y1 - y0;
    double sx = (double)w / ow, sy = (double)h / oh;
    for (int v = 0; v < oh; v++)
        for (int u = 0; u < ow; u++) {
            float out;
            if (sx >= 1.0 && sy >= 1.0) {
                /* box average over the source pixels whose centres fall in the cell */
                int ax = x0 + (int)floor(u * sx), bx = x0 + (int)floor((u + 1) * sx);
                int ay = y0 + (int)floor(v * sy), by = y0 + (int)floor((v + 1) * sy);
                if (bx <= ax)
                    bx = ax + 1;
                if (by <= ay)
                    by = ay + 1;
                if (bx > x1)
                    bx = x1;
                if (by > y1)
                    by = y1;
                double sum = 0;
                for (int y = ay; y < by; y++)
                    for (int x = ax; x < bx; x++)
                        sum += q_luma(img, x, y);
                out = (float)(sum / ((double)(bx - ax) * (by - ay)));
            } else {
                /* bilinear, half-pixel centres, edges clamped */
                double fx = (u + 0.5) * sx - 0.5, fy = (v + 0.5) * sy - 0.5;
                if (fx < 0)
                    fx = 0;
                if (fy < 0)
                    fy = 0;
                int ix = (int)fx, iy = (int)fy;
                if (ix > w - 1)
                    ix = w - 1;
                if (iy > h - 1)
                    iy = h - 1;
                int jx = ix + 1 < w ? ix + 1 : w - 1, jy = iy + 1 < h ? iy + 1 : h - 1;
                double ax = fx - ix, ay = fy - iy;
                if (ax > 1)
                    ax = 1;
                if (ay > 1)
                    ay = 1;
                double top = (1 - ax) * q_luma(img, x0 + ix, y0 + iy) + ax * q_luma(img, x0 + jx, y0 + iy);
                double bot = (1 - ax) * q_luma(img, x0 + ix, y0 + jy) + ax * q_luma(img, x0 + jx, y0 + jy);
                out = (float)((1 - ay) * top + ay * bot);
            }
            dst[(size_t)v * ow + u] = out;
        }
}

static float clamp01(float v)
{
    return v < 0 ? 0 : v > 1 ? 1 : v;
}

float q_score_above(float v, float thr)
{
    if (!(v > 0))
        return 0;
    if (!(thr > 0))
        return 1;
    return v / (v + thr);
}

float q_score_ratio(float v, float thr)
{
    if (!(thr > 0))
        return clamp01(0.5f + 0.5f * v);
    if (thr >= 1)
        return clamp01(0.5f * v / thr);
    if (v < thr)
        return clamp01(0.5f * v / thr);
    return clamp01(0.5f + 0.5f * (v - thr) / (1 - thr));
}

float q_score_below(float v, float thr, float worst)
{
    if (!(v > 0))
        return 1;
    if (v <= thr)
        return clamp01(1 - 0.5f * v / thr);
    if (!(worst > thr))
        return 0;
    return clamp01(0.5f * (worst - v) / (worst - thr));
}

void q_skip(fp_quality_result *r)
{
    r->evaluated = 0;
    r->pass = 1;
    r->score = NAN;
    r->value = NAN;
    r->reason = FP_QREASON_NONE;
}

void q_set(fp_quality_result *r, float value, float score, int pass, fp_quality_reason reason)
{
    r->evaluated = 1;
    r->pass = pass;
    r->value = value;
    r->score = score;
    r->reason = pass ? FP_QREASON_NONE : reason;
}
