/* Quantities derived from the 468-point face mesh (face.h "Landmarks"):
 * 5 alignment points, head pose, eye and mouth openness (SPEC,
 * Q-12, CAP-5).
 *
 * Pose method. No canonical mesh ships with the models, so the pose comes
 * from the mesh's own 3D geometry (x, y in image pixels, z in the same
 * scale): the face's x axis is the sum of 8 vectors between left/right
 * symmetric points (eye corners, mouth corners, cheek and jaw contour),
 * pointing from the subject's right to their left; the y axis is forehead
 * top (10) -> chin (152), made orthogonal to x; z = x cross y (pointing into
 * the scene for an upright face). The rotation R = [x y z] (columns) is
 * decomposed as R = Rz(roll) Ry(-yaw) Rx(-pitch), roll outermost, so an
 * in-plane rotation of the image changes roll only:
 *   yaw   = asin(x.z)          > 0 when the nose points to image right,
 *                               i.e. the subject turned to their left;
 *   pitch = atan2(-y.z, z.z)   > 0 when the face looks up (chin forward);
 *   roll  = atan2(x.y, x.x)    > 0 when the face is rotated clockwise in
 *                               the image (tilted to the subject's left shoulder).
 * Mirroring the image negates x-components, hence yaw and roll, and keeps
 * pitch (checked in tests/vision/test_landmarks.c). Human's own
 * calculateFaceAngle uses only 234/454 and 10/152; averaging 8 pairs makes
 * the x axis less sensitive to the jaw contour, which the model places
 * loosely on profile-ish faces. Pitch 0 means the forehead-chin line is
 * perpendicular to the view axis, so a relaxed frontal face reads a few
 * degrees. */
#include "vision/landmarks.h"

/* Calibrated zero of the pitch estimate (see mesh_pose). */
#define FP_MESH_PITCH_ZERO_DEG 5.7

#include <math.h>

/* Symmetric pairs (subject's right, subject's left): outer and inner eye
 * corners, mouth corners, face contour at the temples, cheeks and jaw. */
static const int sym_pairs[8][2] = {{33, 263}, {133, 362}, {61, 291}, {234, 454},
                                    {127, 356}, {93, 323},  {132, 361}, {58, 288}};

/* Eye contours (16 points each), MediaPipe order. */
static const int eye_r[16] = {33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246};
static const int eye_l[16] = {263, 249, 390, 373, 374, 380, 381, 382, 362, 398, 384, 385, 386, 387, 388, 466};
/* Upper / lower lid pairs across the eye (outer, middle, inner third). */
static const int lid_r[3][2] = {{160, 144}, {159, 145}, {158, 153}};
static const int lid_l[3][2] = {{387, 373}, {386, 374}, {385, 380}};
/* Inner lip points whose mean is the mouth centre of dlib's template. */
static const int mouth_inner[4] = {13, 14, 78, 308};

enum { MESH_NOSE_TIP = 1, MESH_FOREHEAD = 10, MESH_CHIN = 152, MESH_LIP_UP = 13, MESH_LIP_LOW = 14,
       MESH_MOUTH_R = 61, MESH_MOUTH_L = 291, MESH_EYE_R_OUT = 33, MESH_EYE_R_IN = 133,
       MESH_EYE_L_OUT = 263, MESH_EYE_L_IN = 362 };

static double dist2d(const float a[3], const float b[3])
{
    return hypot((double)a[0] - b[0], (double)a[1] - b[1]);
}

static void mean_points(const float (*mesh)[3], const int *idx, int n, float out[2])
{
    double x = 0, y = 0;
    for (int i = 0; i < n; i++)
        x += mesh[idx[i]][0], y += mesh[idx[i]][1];
    out[0] = (float)(x / n);
    out[1] = (float)(y / n);
}

static float eye_ratio(const float (*mesh)[3], const int lid[3][2], int c0, int c1)
{
    double w = dist2d(mesh[c0], mesh[c1]), gap = 0;
    for (int i = 0; i < 3; i++)
        gap += dist2d(mesh[lid[i][0]], mesh[lid[i][1]]);
    return w > 1e-6 ? (float)(gap / 3.0 / w) : 0.f;
}

static void normalise(double v[3])
{
    double n = sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
    if (n > 0)
        v[0] /= n, v[1] /= n, v[2] /= n;
}

void fp_landmarks_derive(fp_landmarks *lm)
{
    const float (*m)[3] = (const float (*)[3])lm->mesh;
    mean_points(m, eye_r, 16, lm->points5[FP_LM5_EYE_LEFT]);
    mean_points(m, eye_l, 16, lm->points5[FP_LM5_EYE_RIGHT]);
    lm->points5[FP_LM5_NOSE][0] = m[MESH_NOSE_TIP][0];
    lm->points5[FP_LM5_NOSE][1] = m[MESH_NOSE_TIP][1];
    lm->points5[FP_LM5_MOUTH_LEFT][0] = m[MESH_MOUTH_R][0];
    lm->points5[FP_LM5_MOUTH_LEFT][1] = m[MESH_MOUTH_R][1];
    lm->points5[FP_LM5_MOUTH_RIGHT][0] = m[MESH_MOUTH_L][0];
    lm->points5[FP_LM5_MOUTH_RIGHT][1] = m[MESH_MOUTH_L][1];

    lm->eye_open[0] = eye_ratio(m, lid_r, MESH_EYE_R_OUT, MESH_EYE_R_IN);
    lm->eye_open[1] = eye_ratio(m, lid_l, MESH_EYE_L_OUT, MESH_EYE_L_IN);
    double mw = dist2d(m[MESH_MOUTH_R], m[MESH_MOUTH_L]);
    lm->mouth_open = mw > 1e-6 ? (float)(dist2d(m[MESH_LIP_UP], m[MESH_LIP_LOW]) / mw) : 0.f;

    double x[3] = {0, 0, 0}, y[3], z[3];
    for (int p = 0; p < 8; p++)
        for (int c = 0; c < 3; c++)
            x[c] += (double)m[sym_pairs[p][1]][c] - m[sym_pairs[p][0]][c];
    normalise(x);
    for (int c = 0; c < 3; c++)
        y[c] = (double)m[MESH_CHIN][c] - m[MESH_FOREHEAD][c];
    double d = x[0] * y[0] + x[1] * y[1] + x[2] * y[2];
    for (int c = 0; c < 3; c++)
        y[c] -= d * x[c];
    normalise(y);
    z[0] = x[1] * y[2] - x[2] * y[1];
    z[1] = x[2] * y[0] - x[0] * y[2];
    z[2] = x[0] * y[1] - x[1] * y[0];
    const double deg = 57.295779513082320876798; /* 180 / pi */
    /* R = [x y z] = Rz(roll) Ry(-yaw) Rx(-pitch) (camera frame; roll is the
     * outermost rotation, so an in-plane rotation of the image changes roll
     * only). */
    lm->yaw = (float)(asin(fmax(-1.0, fmin(1.0, x[2]))) * deg);
    /* the forehead-chin axis leans back on a level face, so the raw angle of
     * a frontal face is about -6 deg (median over the first 300 LFW images,
     * whose faces are near frontal): shift so level reads 0 */
    lm->pitch = (float)(atan2(-y[2], z[2]) * deg) + FP_MESH_PITCH_ZERO_DEG;
    lm->roll = (float)(atan2(x[1], x[0]) * deg);
}

void fp_face_from_landmarks(const fp_face *face, const fp_landmarks *lm, fp_face *out)
{
    *out = *face;
    const float (*m)[3] = (const float (*)[3])lm->mesh;
    mean_points(m, eye_r, 16, out->keypoints[FP_FACE_KP_EYE_LEFT]);
    mean_points(m, eye_l, 16, out->keypoints[FP_FACE_KP_EYE_RIGHT]);
    out->keypoints[FP_FACE_KP_NOSE][0] = m[MESH_NOSE_TIP][0];
    out->keypoints[FP_FACE_KP_NOSE][1] = m[MESH_NOSE_TIP][1];
    mean_points(m, mouth_inner, 4, out->keypoints[FP_FACE_KP_MOUTH]);
}
