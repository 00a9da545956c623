/* Whole-frame quality (SPEC ): no face, several faces (a
 * second person in the frame, or the user not alone in front of the
 * camera), scene too dark / too bright, and a back-lit main face (a bright
 * window behind the user: the face is much darker than the background). */
#include "quality/quality_internal.h"

#include <math.h>
#include <string.h>

/* Sampling step so that about 256k pixels are read. */
static int frame_step(const fp_image *img)
{
    double px = (double)img->width * img->height;
    int step = (int)sqrt(px / 262144.0);
    return step < 1 ? 1 : step;
}

static int clampi(double v, int hi)
{
    return v < 0 ? 0 : v > hi ? hi : (int)v;
}

static void add_reason(fp_quality_environment_report *out, fp_quality_reason r)
{
    if (out->n_reasons < FP_QUALITY_MAX_ENV_REASONS)
        out->reasons[out->n_reasons++] = r;
}

fp_status fp_quality_environment(const fp_quality_config *cfg, const fp_image *img, const fp_quality_face *faces,
                                 int n_faces, fp_quality_environment_report *out, fp_error *err)
{
    fp_quality_config defaults;
    if (!cfg) {
        fp_quality_config_default(&defaults);
        cfg = &defaults;
    }
    if (!img || !img->pixels || !out || n_faces < 0 || (n_faces > 0 && !faces))
        return fp_error_set(err, FP_ERR_INVALID_ARG, "quality environment: bad argument");
    memset(out, 0, sizeof *out);
    int step = frame_step(img);
    q_stats s = q_luma_stats(img, 0, 0, img->width, img->height, step);
    out->brightness = (float)s.mean;
    out->dark_fraction = (float)s.dark;
    out->bright_fraction = (float)s.bright;
    out->face_brightness = NAN;
    out->background_brightness = NAN;

    /* main face = the largest valid box */
    out->main_face = -1;
    double best_area = 0;
    for (int i = 0; i < n_faces; i++) {
        const fp_quality_face *f = &faces[i];
        if (!(f->w > 0 && f->h > 0 && isfinite(f->x) && isfinite(f->y) && isfinite(f->w) && isfinite(f->h)))
            continue;
        double a = (double)f->w * f->h;
        if (out->main_face < 0 || a > best_area)
            best_area = a, out->main_face = i;
    }
    if (out->main_face >= 0) {
        const fp_quality_face *m = &faces[out->main_face];
        double side = m->w < m->h ? m->w : m->h;
        for (int i = 0; i < n_faces; i++) {
            const fp_quality_face *f = &faces[i];
            if (!(f->w > 0 && f->h > 0))
                continue;
            double fs = f->w < f->h ? f->w : f->h;
            if (i == out->main_face || fs >= cfg->several_faces_ratio * side)
                out->n_faces++;
        }
        /* face vs background luma */
        int fx0 = clampi(floor(m->x), img->width), fx1 = clampi(ceil((double)m->x + m->w), img->width);
        int fy0 = clampi(floor(m->y), img->height), fy1 = clampi(ceil((double)m->y + m->h), img->height);
        q_stats fs = q_luma_stats(img, fx0, fy0, fx1, fy1, 1);
        double gx0 = m->x - 0.25 * m->w, gx1 = m->x + 1.25 * m->w, gy0 = m->y - 0.25 * m->h,
               gy1 = m->y + 1.25 * m->h;
        int bx0 = clampi(floor(gx0), img->width), bx1 = clampi(ceil(gx1), img->width);
        int by0 = clampi(floor(gy0), img->height), by1 = clampi(ceil(gy1), img->height);
        q_stats grown = q_luma_stats(img, bx0, by0, bx1, by1, 1);
        /* background = frame minus the grown box, from the sampled frame
         * mean and the exact grown-box sum (both are means of the same
         * intensity field; the sampling error is negligible) */
        double frame_px = (double)img->width * img->height, grown_px = (double)grown.n;
        if (fs.n > 0) {
            out->face_brightness = (float)fs.mean;
            if (frame_px - grown_px >= 0.05 * frame_px) {
                double bg = (s.mean * frame_px - grown.mean * grown_px) / (frame_px - grown_px);
                out->background_brightness = (float)(bg < 0 ? 0 : bg > 255 ? 255 : bg);
            }
        }
    }

    if (out->n_faces == 0)
        add_reason(out, FP_QREASON_NO_FACE);
    else if (out->n_faces > 1)
        add_reason(out, FP_QREASON_SEVERAL_FACES);
    if (s.mean < cfg->scene_min_brightness)
        add_reason(out, FP_QREASON_SCENE_TOO_DARK);
    else if (s.mean > cfg->scene_max_brightness)
        add_reason(out, FP_QREASON_SCENE_TOO_BRIGHT);
    if (!isnan(out->background_brightness) && out->background_brightness >= 100 &&
        out->face_brightness < cfg->backlit_ratio * out->background_brightness)
        add_reason(out, FP_QREASON_BACKLIT);
    out->pass = out->n_reasons == 0;
    return FP_OK;
}
