/* Q-16 (3DP 5.4 a: tell the user about occluded images), heuristic only.
 *
 * In the frame of the eye axis (so roll does not matter), with d = the
 * inter-eye distance, we sample the upper lip (between nose tip and mouth
 * point) and the chin (0.3 d .. 0.6 d below the mouth point) and convert to
 * BT.601 chroma (Cb, Cr). value = share of those samples that look like
 * skin: inside a broad skin-chroma box (below) or close to the mean chroma
 * of the forehead (0.45 d .. 0.75 d above the eyes). A mask, scarf or
 * non-skin object over the lower face has a chroma outside both. The box
 * alone misses dark skin (little chroma); the forehead alone fails when it
 * is hair, a hat or shadow (that variant flagged 18 % of the first 500 LFW
 * images), hence the union. When the forehead and the lower face are both
 * colourless on average (a grey image) the check is not evaluated.
 *
 * Limits (documented in quality.h too): skin-coloured covers (a hand,
 * beige cloth) pass; thick beards may fail; the eye region is not examined
 * (sunglasses pass); strong coloured light or a heavy colour cast moves skin
 * out of the box. It is a prompt for the user ("face may be covered"), not
 * a certain decision. */
#include "quality/quality_internal.h"

#include <math.h>

#define Q_GRID_U 12
#define Q_GRID_V 5
/* Skin chroma box (Cb, Cr relative to 128), widened from Chai & Ngan's
 * Cb 77..127, Cr 133..173 (IEEE TCSVT 1999) to cover the JPEG and lighting
 * shifts of LFW; masks (blue, white, black, grey) have Cr near or below 0. */
#define Q_SKIN_CB_LO -60.0
#define Q_SKIN_CB_HI 5.0
#define Q_SKIN_CR_LO 4.0
#define Q_SKIN_CR_HI 55.0
/* ... or within this chroma distance of the forehead's mean chroma (dark
 * skin has little chroma and falls outside the box: Alek_Wek_0001). */
#define Q_REF_RADIUS 12.0
/* |Cb| + |Cr| below this on average: no colour information. */
#define Q_GREY_CHROMA 6.0

typedef struct q_frame {
    float ex, ey; /* unit vector along the eye axis (image left -> right) */
    float dx, dy; /* unit vector "down" the face */
    float d;
} q_frame;

typedef struct q_chroma {
    double cb, cr;
} q_chroma;

/* Samples a patch centred on (cx, cy) with half sizes hu (along the eyes)
 * and hv (down), writes chroma to out; returns the count. */
static int sample_patch(const fp_image *img, const q_frame *fr, float cx, float cy, float hu, float hv,
                        q_chroma *out)
{
    int n = 0;
    for (int j = 0; j < Q_GRID_V; j++)
        for (int i = 0; i < Q_GRID_U; i++) {
            float u = -hu + 2 * hu * (i + 0.5f) / Q_GRID_U, v = -hv + 2 * hv * (j + 0.5f) / Q_GRID_V;
            float fx = cx + u * fr->ex + v * fr->dx, fy = cy + u * fr->ey + v * fr->dy;
            if (!(fx >= 0 && fy >= 0 && fx < (float)img->width && fy < (float)img->height))
                continue; /* also rejects NAN */
            int x = (int)fx, y = (int)fy;
            if (x >= img->width || y >= img->height)
                continue;
            const unsigned char *p = img->pixels + (size_t)y * img->stride + 3 * (size_t)x;
            out[n].cb = -0.168736 * p[0] - 0.331264 * p[1] + 0.5 * p[2];
            out[n].cr = 0.5 * p[0] - 0.418688 * p[1] - 0.081312 * p[2];
            n++;
        }
    return n;
}

void q_check_occlusion(const fp_quality_config *cfg, const q_ctx *c, fp_quality_report *rep)
{
    fp_quality_result *r = &rep->checks[FP_QUALITY_OCCLUSION];
    if ((cfg->disabled & FP_QUALITY_BIT(FP_QUALITY_OCCLUSION)) || !c->has_eyes || !(c->eye_distance >= 4)) {
        q_skip(r);
        return;
    }
    const float(*kp)[2] = c->face->keypoints;
    q_frame fr;
    fr.d = c->eye_distance;
    fr.ex = (kp[FP_FACE_KP_EYE_RIGHT][0] - kp[FP_FACE_KP_EYE_LEFT][0]) / fr.d;
    fr.ey = (kp[FP_FACE_KP_EYE_RIGHT][1] - kp[FP_FACE_KP_EYE_LEFT][1]) / fr.d;
    fr.dx = -fr.ey, fr.dy = fr.ex;
    float mx = (kp[FP_FACE_KP_EYE_LEFT][0] + kp[FP_FACE_KP_EYE_RIGHT][0]) / 2;
    float my = (kp[FP_FACE_KP_EYE_LEFT][1] + kp[FP_FACE_KP_EYE_RIGHT][1]) / 2;
    float d = fr.d;

    q_chroma ref[Q_GRID_U * Q_GRID_V], test[2 * Q_GRID_U * Q_GRID_V];
    int nr = sample_patch(c->img, &fr, mx - 0.6f * d * fr.dx, my - 0.6f * d * fr.dy, 0.4f * d, 0.15f * d, ref);
    float nx = kp[FP_FACE_KP_NOSE][0], ny = kp[FP_FACE_KP_NOSE][1];
    float ox = kp[FP_FACE_KP_MOUTH][0], oy = kp[FP_FACE_KP_MOUTH][1];
    int nt = sample_patch(c->img, &fr, (nx + ox) / 2, (ny + oy) / 2, 0.3f * d, 0.06f * d, test);
    nt += sample_patch(c->img, &fr, ox + 0.45f * d * fr.dx, oy + 0.45f * d * fr.dy, 0.3f * d, 0.15f * d, test + nt);
    if (nr < Q_GRID_U * Q_GRID_V / 2 || nt < Q_GRID_U * Q_GRID_V / 2) {
        q_skip(r); /* forehead or lower face mostly outside the image */
        return;
    }
    /* Colour evidence: in a grey image (forehead and lower face both
     * without chroma on average) nothing can be said. */
    double rcb = 0, rcr = 0, rsat = 0, tsat = 0;
    for (int i = 0; i < nr; i++)
        rcb += ref[i].cb, rcr += ref[i].cr, rsat += fabs(ref[i].cb) + fabs(ref[i].cr);
    for (int i = 0; i < nt; i++)
        tsat += fabs(test[i].cb) + fabs(test[i].cr);
    rcb /= nr, rcr /= nr, rsat /= nr, tsat /= nt;
    if (rsat < Q_GREY_CHROMA && tsat < Q_GREY_CHROMA) {
        q_skip(r);
        return;
    }
    int match = 0;
    for (int i = 0; i < nt; i++) {
        double a = test[i].cb - rcb, b = test[i].cr - rcr;
        int in_box = test[i].cb >= Q_SKIN_CB_LO && test[i].cb <= Q_SKIN_CB_HI && test[i].cr >= Q_SKIN_CR_LO &&
                     test[i].cr <= Q_SKIN_CR_HI;
        match += in_box || a * a + b * b <= Q_REF_RADIUS * Q_REF_RADIUS;
    }
    float value = (float)match / (float)nt;
    q_set(r, value, q_score_ratio(value, cfg->min_skin_match), value >= cfg->min_skin_match,
          FP_QREASON_FACE_COVERED);
}
