/* Face alignment to the dlib face chip the recognition model was trained on.
 *
 * face-api's face_recognition_model is dlib's ResNet (dlib_face_recognition_
 * resnet_model_v1), trained on chips made by dlib's
 * get_face_chip_details(shape, 150, 0.25): a similarity transform fitting
 * the 68-point landmarks to dlib's mean face shape, with 25 % padding on each
 * side. BlazeFace gives only 6 points, so our template is that mean face
 * reduced to the points BlazeFace has (mean-shape coordinates in [0, 1],
 * from dlib's `mean_face_shape_x/y`, points 17-67):
 *
 *   eye, left in image   mean of points 36-41  (0.225492, 0.215990)
 *   eye, right in image  mean of points 42-47  (0.754761, 0.215990)
 *   nose tip             point 30              (0.490127, 0.515625)
 *   mouth centre         mean of points 60-67  (0.490127, 0.799073)
 *
 * chip pixel = (p + 0.25) / 1.5 * 150, e.g. the eyes land at (47.5, 46.6)
 * and (100.5, 46.6), the mouth at (74.0, 104.9). The ears are not used
 * (they vanish with yaw). The fit is least squares over the 4 points with
 * rotation + uniform scale + translation, so roll is removed and
 * every face is normalised to one size. Alternatives measured on
 * 1200 LFW pairs (descriptor.c): this fit 99.00 % at 0.6; nose weighted
 * 0.5 / 0 98.92 / 98.83 %; rotation from the eye line alone 98.67 %.
 *
 * Mesh-derived points (fp_face_from_landmarks: facemesh eye-contour centres,
 * nose tip = mesh 1, mouth centre = mean of inner-lip points 13/14/78/308)
 * were measured the same way (LFW pairs.txt folds 1-2, 1200 pairs, flip-
 * averaged descriptor, main face of our detector, no failures):
 *
 *   BlazeFace key points (default)          99.00 % at 0.6, AUC 0.99595
 *   mesh points                             98.75 % at 0.6, AUC 0.99527
 *   mesh, mouth = mid of corners 61/291     98.67 % at 0.6, AUC 0.99526
 *   mean of BlazeFace and mesh points       98.83 % at 0.6, AUC 0.99547
 *
 * so BlazeFace's points stay the default; mesh alignment is available by
 * passing the face from fp_face_from_landmarks to fp_face_descriptor. (A
 * fit of ~50 mesh points mapped to dlib's 68-point mean shape, as dlib
 * itself aligns, is untried.)
 *
 * A face much larger than the chip is first box-filtered by an integer
 * factor (dlib's extractor uses an image pyramid for the same reason) so
 * bilinear sampling does not alias. */
#include "vision/vision.h"

#include <math.h>
#include <stdlib.h>

#define CHIP_PADDING 0.25

static const double chip_template[4][2] = {
    {0.225492, 0.215990}, /* FP_FACE_KP_EYE_LEFT */
    {0.754761, 0.215990}, /* FP_FACE_KP_EYE_RIGHT */
    {0.490127, 0.515625}, /* FP_FACE_KP_NOSE */
    {0.490127, 0.799073}, /* FP_FACE_KP_MOUTH */
};

fp_status fp_face_align_matrix(const fp_face *face, int size, double m[6])
{
    if (!face || !m || size <= 0)
        return FP_ERR_INVALID_ARG;
    /* Least-squares similarity chip -> image in complex form: q = a p + t,
     * a = sum (q - q_mean) conj(p - p_mean) / sum |p - p_mean|^2. */
    double p[4][2], q[4][2], pm[2] = {0, 0}, qm[2] = {0, 0};
    for (int i = 0; i < 4; i++) {
        for (int c = 0; c < 2; c++) {
            p[i][c] = (chip_template[i][c] + CHIP_PADDING) / (1.0 + 2.0 * CHIP_PADDING) * size;
            q[i][c] = face->keypoints[i][c];
            if (!isfinite(q[i][c]))
                return FP_ERR_INVALID_ARG;
            pm[c] += p[i][c] / 4;
            qm[c] += q[i][c] / 4;
        }
    }
    double num_re = 0, num_im = 0, den = 0;
    for (int i = 0; i < 4; i++) {
        double px = p[i][0] - pm[0], py = p[i][1] - pm[1];
        double qx = q[i][0] - qm[0], qy = q[i][1] - qm[1];
        num_re += qx * px + qy * py;
        num_im += qy * px - qx * py;
        den += px * px + py * py;
    }
    double ar = num_re / den, ai = num_im / den;
    /* Coincident key points give a ~0 scale: no usable alignment. */
    if (!(hypot(ar, ai) > 1e-3))
        return FP_ERR_INVALID_ARG;
    m[0] = ar;
    m[1] = -ai;
    m[2] = qm[0] - (ar * pm[0] - ai * pm[1]);
    m[3] = ai;
    m[4] = ar;
    m[5] = qm[1] - (ai * pm[0] + ar * pm[1]);
    return FP_OK;
}

/* The image to sample from and the chip -> that-image matrix: img itself,
 * or (when the chip shrinks the face 2x or more) a box-filtered crop of the
 * region the chip covers. *owned is set when a new image was made. */
static fp_status prepare_source(const fp_image *img, const double m[6], int size, const fp_image **src,
                                fp_image **owned, double adj[6], fp_error *err)
{
    *owned = NULL;
    *src = img;
    for (int i = 0; i < 6; i++)
        adj[i] = m[i];
    double scale = hypot(m[0], m[3]); /* image pixels per chip pixel */
    if (scale < 2.0)
        return FP_OK;
    int factor = scale > 64.0 ? 64 : (int)scale;
    /* Bounding box of the chip in the image, 2 px margin for the filter. */
    double x0 = 1e300, y0 = 1e300, x1 = -1e300, y1 = -1e300;
    for (int k = 0; k < 4; k++) {
        double u = (k & 1) ? size : 0, v = (k & 2) ? size : 0;
        double x = m[0] * u + m[1] * v + m[2], y = m[3] * u + m[4] * v + m[5];
        x0 = fmin(x0, x), y0 = fmin(y0, y), x1 = fmax(x1, x), y1 = fmax(y1, y);
    }
    int cx0 = (int)fmax(0.0, floor(x0) - 2), cy0 = (int)fmax(0.0, floor(y0) - 2);
    int cx1 = (int)fmin((double)img->width, ceil(x1) + 2), cy1 = (int)fmin((double)img->height, ceil(y1) + 2);
    if (cx1 <= cx0 || cy1 <= cy0)
        return FP_OK; /* chip entirely outside: sampling gives zeros anyway */
    fp_image *crop, *small;
    fp_status st = fp_image_crop(img, cx0, cy0, cx1 - cx0, cy1 - cy0, &crop, err);
    if (st != FP_OK)
        return st;
    st = fp_image_downscale_box(crop, factor, &small, err);
    fp_image_free(crop);
    if (st != FP_OK)
        return st;
    /* Output pixel X of the box filter is centred on source x = X*f + (f-1)/2. */
    const double f = factor, c = (factor - 1) / 2.0;
    adj[0] = m[0] / f;
    adj[1] = m[1] / f;
    adj[2] = (m[2] - cx0 - c) / f;
    adj[3] = m[3] / f;
    adj[4] = m[4] / f;
    adj[5] = (m[5] - cy0 - c) / f;
    *src = small;
    *owned = small;
    return FP_OK;
}

/* The alignment of face to a size x size chip, as a matrix adj on the image
 * to sample (the original, or an owned pre-shrunk copy when the face must
 * shrink a lot; the caller frees *owned). */
static fp_status chip_source(const fp_image *img, const fp_face *face, int size, const fp_image **src,
                             fp_image **owned, double adj[6], fp_error *err)
{
    double m[6];
    if (fp_face_align_matrix(face, size, m) != FP_OK)
        return fp_error_set(err, FP_ERR_INVALID_ARG, "face chip: degenerate key points");
    return prepare_source(img, m, size, src, owned, adj, err);
}

fp_status fp_face_chip(const fp_image *img, const fp_face *face, int size, fp_image **out, fp_error *err)
{
    if (!img || !face || !out || size <= 0 || size > 4096)
        return fp_error_set(err, FP_ERR_INVALID_ARG, "face chip: bad arguments");
    *out = NULL;
    double adj[6];
    const fp_image *src;
    fp_image *owned;
    fp_status st = chip_source(img, face, size, &src, &owned, adj, err);
    if (st != FP_OK)
        return st;
    st = fp_image_warp_affine(src, adj, size, size, out, err);
    fp_image_free(owned);
    return st;
}

fp_status vis_chip_pair_f32(const fp_image *img, const fp_face *face, int size, float scale,
                            const float offset[3], float *dst, fp_error *err)
{
    double adj[6];
    const fp_image *src;
    fp_image *owned;
    fp_status st = chip_source(img, face, size, &src, &owned, adj, err);
    if (st != FP_OK)
        return st;
    size_t plane = (size_t)size * size * 3;
    st = fp_image_warp_affine_f32(src, adj, size, size, scale, offset, 0, dst);
    if (st == FP_OK)
        st = fp_image_warp_affine_f32(src, adj, size, size, scale, offset, 1, dst + plane);
    fp_image_free(owned);
    if (st != FP_OK)
        return fp_error_set(err, st, "face chip: warp failed");
    return FP_OK;
}
