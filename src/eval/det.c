/* DET curve (FAR vs FRR on log10 axes) as a small standalone SVG. */
#include "faceprint/eval.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct sbuf {
    char *data;
    size_t len, cap;
    int oom;
} sbuf;

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void sb_printf(sbuf *b, const char *fmt, ...)
{
    if (b->oom)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->data ? b->data + b->len : NULL, b->data ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->oom = 1;
            return;
        }
        if (b->data && b->len + (size_t)n < b->cap) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = b->cap ? b->cap * 2 : 4096;
        while (cap < b->len + (size_t)n + 1)
            cap *= 2;
        char *p = realloc(b->data, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->data = p;
        b->cap = cap;
    }
}

static void sb_escaped(sbuf *b, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<': sb_printf(b, "&lt;"); break;
        case '>': sb_printf(b, "&gt;"); break;
        case '&': sb_printf(b, "&amp;"); break;
        case '"': sb_printf(b, "&quot;"); break;
        default:
            if ((unsigned char)*s >= 0x20)
                sb_printf(b, "%c", *s);
        }
    }
}

/* Plot geometry. */
#define W 640
#define H 520
#define ML 70  /* left margin */
#define MR 20
#define MT 60
#define MB 60

typedef struct axes {
    double x0, x1, y0, y1; /* log10 ranges */
} axes;

static double px(const axes *a, double far)
{
    double l = far > 0 ? log10(far) : a->x0;
    if (l < a->x0)
        l = a->x0;
    return ML + (l - a->x0) / (a->x1 - a->x0) * (W - ML - MR);
}

static double py(const axes *a, double frr)
{
    double l = frr > 0 ? log10(frr) : a->y0;
    if (l < a->y0)
        l = a->y0;
    return MT + (a->y1 - l) / (a->y1 - a->y0) * (H - MT - MB);
}

char *fp_eval_det_svg(const fp_eval_hist *h, const char *title, const char *extra_label)
{
    sbuf b = {0};
    uint64_t ng = fp_eval_hist_genuine(h), ni = fp_eval_hist_impostor(h);
    axes a = {-6, 0, -4, 0};
    if (ni > 0)
        a.x0 = fmin(-1, floor(log10(1.0 / (double)ni)));
    if (ng > 0)
        a.y0 = fmin(-1, floor(log10(1.0 / (double)ng)));
    sb_printf(&b,
              "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
              "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
              "font-family=\"sans-serif\" font-size=\"12\">\n"
              "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"white\"/>\n",
              W, H, W, H, W, H);
    sb_printf(&b, "<text x=\"%d\" y=\"22\" font-size=\"15\" text-anchor=\"middle\">", W / 2);
    sb_escaped(&b, title ? title : "DET curve");
    sb_printf(&b, "</text>\n");
    if (extra_label) {
        sb_printf(&b, "<text x=\"%d\" y=\"42\" text-anchor=\"middle\" fill=\"#444\">", W / 2);
        sb_escaped(&b, extra_label);
        sb_printf(&b, "</text>\n");
    }
    /* grid and ticks: one line per decade */
    sb_printf(&b, "<g stroke=\"#ddd\" stroke-width=\"1\">\n");
    for (int e = (int)a.x0; e <= (int)a.x1; e++)
        sb_printf(&b, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\"/>\n", px(&a, pow(10, e)), MT,
                  px(&a, pow(10, e)), H - MB);
    for (int e = (int)a.y0; e <= (int)a.y1; e++)
        sb_printf(&b, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\"/>\n", ML, py(&a, pow(10, e)), W - MR,
                  py(&a, pow(10, e)));
    sb_printf(&b, "</g>\n<g text-anchor=\"middle\">\n");
    for (int e = (int)a.x0; e <= (int)a.x1; e++)
        sb_printf(&b, "<text x=\"%.1f\" y=\"%d\">1e%d</text>\n", px(&a, pow(10, e)), H - MB + 16, e);
    sb_printf(&b, "</g>\n<g text-anchor=\"end\">\n");
    for (int e = (int)a.y0; e <= (int)a.y1; e++)
        sb_printf(&b, "<text x=\"%d\" y=\"%.1f\">1e%d</text>\n", ML - 6, py(&a, pow(10, e)) + 4, e);
    sb_printf(&b, "</g>\n");
    sb_printf(&b,
              "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"black\"/>\n"
              "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">FAR (impostor pairs accepted, log scale)</text>\n"
              "<text x=\"18\" y=\"%d\" text-anchor=\"middle\" transform=\"rotate(-90 18 %d)\">"
              "FRR (genuine pairs rejected, log scale)</text>\n",
              ML, MT, W - ML - MR, H - MT - MB, (ML + W - MR) / 2, H - 18, (MT + H - MB) / 2, (MT + H - MB) / 2);
    /* curve: thresholds from 0 upwards; a point when it moves >= 0.5 px */
    if (ng && ni) {
        sb_printf(&b, "<polyline fill=\"none\" stroke=\"#1f5fbf\" stroke-width=\"2\" points=\"");
        uint64_t ga = 0, ia = 0;
        double lx = -1e9, ly = -1e9;
        for (int k = 0; k <= h->bins; k++) {
            if (k > 0) {
                ga += h->gen[k - 1];
                ia += h->imp[k - 1];
            }
            double far = (double)ia / (double)ni, frr = 1.0 - (double)ga / (double)ng;
            double x = px(&a, far), y = py(&a, frr);
            if (k == h->bins || fabs(x - lx) >= 0.5 || fabs(y - ly) >= 0.5) {
                sb_printf(&b, "%.1f,%.1f ", x, y);
                lx = x;
                ly = y;
            }
        }
        sb_printf(&b, "\"/>\n");
        /* operating points */
        static const double fars[] = {1e-2, 1e-3, 1e-4, 1e-5};
        for (size_t i = 0; i < sizeof fars / sizeof fars[0]; i++) {
            fp_eval_point p = fp_eval_tar_at_far(h, fars[i]);
            if (!p.feasible)
                continue;
            double x = px(&a, fars[i]), y = py(&a, 1 - p.tar);
            sb_printf(&b,
                      "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"#d0402b\"/>\n"
                      "<text x=\"%.1f\" y=\"%.1f\" fill=\"#d0402b\">FRR %.2f%% @ FAR %g</text>\n",
                      x, y, x + 6, y - 6, 100 * (1 - p.tar), fars[i]);
        }
        double thr;
        double eer = fp_eval_eer(h, &thr);
        double x = px(&a, eer), y = py(&a, eer);
        sb_printf(&b,
                  "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"#2b8a3e\"/>\n"
                  "<text x=\"%.1f\" y=\"%.1f\" fill=\"#2b8a3e\">EER %.2f%% (d=%.3f)</text>\n",
                  x, y, x + 6, y + 14, 100 * eer, thr);
    }
    sb_printf(&b, "</svg>\n");
    if (b.oom) {
        free(b.data);
        return NULL;
    }
    return b.data;
}

fp_status fp_eval_write_det_svg(const fp_eval_hist *h, const char *path, const char *title,
                                const char *extra_label, fp_error *err)
{
    char *svg = fp_eval_det_svg(h, title, extra_label);
    if (!svg)
        return fp_error_set(err, FP_ERR_NOMEM, "DET svg: out of memory");
    FILE *f = fopen(path, "w");
    if (!f) {
        free(svg);
        return fp_error_set(err, FP_ERR_IO, "%s: %s", path, strerror(errno));
    }
    size_t len = strlen(svg);
    int bad = fwrite(svg, 1, len, f) != len;
    bad |= fclose(f) != 0;
    free(svg);
    return bad ? fp_error_set(err, FP_ERR_IO, "%s: write failed", path) : FP_OK;
}
