/* Landmark stage (face.h "Landmarks", src/vision/landmarks.c, mesh_geom.c)
 * against Human 3.3.6 (shared/reference):
 *
 *  - the 192x192 facemesh crop equals Human's input tensor (tensors/facemesh,
 *    TF cropAndResize semantics);
 *  - on every face crop Human ran facemesh on (pipeline/human.jsonl
 *    detector_crops, 49 crops on 32 images) our face flag matches Human's,
 *    and on the 43 kept faces the 326 mesh points Human does not refine with
 *    its iris model agree with Human's truncated integers within one-pixel
 *    flips (x, y and z); the 142 iris-refined eye-region points within 6 %
 *    of the face width (mean 2.6 %: we do not run the iris model yet);
 *  - end to end from our own detector the mesh is as close;
 *  - pose (Q-9, CAP-5): near 0 on frontal LFW faces; a mirrored image
 *    negates yaw and roll and keeps pitch; yaw has the documented sign;
 *  - eye openness: Yale "sleepy" (eyes closed) and "wink" images score
 *    lower than the same subjects' "normal" images (a minimal GIF decoder
 *    below reads Yale's GIFs); mouth openness: BBT "surprised" >
 *    "neutral";
 *  - mesh-derived alignment points, scratch buffers wiped (REC-14),
 *    argument errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/file.h"
#include "core/json.h"
#include "faceprint/face.h"
#include "faceprint/image.h"
#include "support/fixture.h"
#include "vision/landmarks.h"

#define MAX_CROPS 16
#define N_IMAGES 32
#define REF_POINTS 478

typedef struct ref_crop {
    float crop[4];
    float faceflag;
    int kept;
    int face; /* index into faces[], -1 if Human dropped the crop */
} ref_crop;

typedef struct ref_face {
    double box[4];
    float crop[4];
    float (*mesh)[3]; /* REF_POINTS x (x, y, z), Human's integers */
} ref_face;

typedef struct ref_image {
    char path[256];
    int width, height;
    int n_crops, n_faces;
    ref_crop crops[MAX_CROPS];
    ref_face faces[MAX_CROPS];
} ref_image;

static ref_image refs[N_IMAGES];
static fp_face_engine *engine;

/* ---- reference loading ---------------------------------------------------- */

static void read_floats(const fp_json *arr, float *out, size_t n)
{
    assert_true(arr && arr->type == FP_JSON_ARRAY && arr->length == n);
    for (size_t i = 0; i < n; i++)
        out[i] = (float)fp_json_at(arr, i)->number;
}

static void human_line(int i, const fp_json *root)
{
    ref_image *r = &refs[i];
    snprintf(r->path, sizeof r->path, "%s", fp_json_get_string(root, "path"));
    double w, h;
    assert_true(fp_json_get_number(root, "width", &w) && fp_json_get_number(root, "height", &h));
    r->width = (int)w, r->height = (int)h;
    const fp_json *crops = fp_json_get(root, "detector_crops");
    for (size_t k = 0; crops && k < crops->length && k < MAX_CROPS; k++) {
        const fp_json *c = fp_json_at(crops, k);
        ref_crop *rc = &r->crops[r->n_crops++];
        read_floats(fp_json_get(c, "crop_box_xyxy"), rc->crop, 4);
        double v;
        assert_true(fp_json_get_number(c, "faceflag", &v));
        rc->faceflag = (float)v;
        const fp_json *kept = fp_json_get(c, "kept");
        rc->kept = kept && kept->type == FP_JSON_TRUE;
        rc->face = -1;
    }
    const fp_json *faces = fp_json_get(root, "faces");
    for (size_t k = 0; faces && k < faces->length && k < MAX_CROPS; k++) {
        const fp_json *f = fp_json_at(faces, k);
        ref_face *rf = &r->faces[r->n_faces];
        float box[4];
        read_floats(fp_json_get(f, "box"), box, 4);
        for (int j = 0; j < 4; j++)
            rf->box[j] = box[j];
        read_floats(fp_json_get(f, "detector_crop_xyxy"), rf->crop, 4);
        const fp_json *mesh = fp_json_get(f, "mesh");
        assert_true(mesh && mesh->length == REF_POINTS);
        rf->mesh = malloc(sizeof *rf->mesh * REF_POINTS);
        assert_non_null(rf->mesh);
        for (size_t p = 0; p < REF_POINTS; p++)
            read_floats(fp_json_at(mesh, p), rf->mesh[p], 3);
        for (int c = 0; c < r->n_crops; c++)
            if (!memcmp(r->crops[c].crop, rf->crop, sizeof rf->crop))
                r->crops[c].face = r->n_faces;
        r->n_faces++;
    }
}

static int setup(void **state)
{
    (void)state;
    assert_int_equal(fx_for_each_jsonl("reference/pipeline/human.jsonl", N_IMAGES, human_line), N_IMAGES);
    engine = fx_face_engine_open();
    if (!engine)
        return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    fp_face_engine_free(engine);
    for (int i = 0; i < N_IMAGES; i++)
        for (int k = 0; k < refs[i].n_faces; k++)
            free(refs[i].faces[k].mesh);
    return 0;
}

static const ref_image *find_ref(const char *suffix)
{
    for (int i = 0; i < N_IMAGES; i++) {
        size_t n = strlen(refs[i].path), k = strlen(suffix);
        if (n >= k && !strcmp(refs[i].path + n - k, suffix))
            return &refs[i];
    }
    fail_msg("no reference image %s", suffix);
    return NULL;
}

static fp_image *load_shared(const char *rel)
{
    fp_image *img = NULL;
    fp_error err = {0};
    if (fp_image_load(fx_shared_path(rel), 0, &img, &err) != FP_OK)
        fail_msg("%s: %s", rel, err.message);
    return img;
}

/* Landmarks of the main face found by our own detector. */
static void main_face_landmarks(const fp_image *img, fp_face *face, fp_landmarks *lm)
{
    fp_face faces[16];
    int n = 0;
    fp_error err = {0};
    assert_int_equal(fp_face_detect(engine, img, faces, 16, &n, &err), FP_OK);
    assert_true(n >= 1);
    int m = fp_face_main(faces, n, img->width, img->height);
    assert_true(m >= 0);
    *face = faces[m];
    assert_int_equal(fp_face_landmarks(engine, img, face, lm, &err), FP_OK);
}

static fp_image *mirror(const fp_image *src)
{
    fp_image *dst = NULL;
    fp_error err = {0};
    assert_int_equal(fp_image_new(src->width, src->height, &dst, &err), FP_OK);
    for (int y = 0; y < src->height; y++)
        for (int x = 0; x < src->width; x++)
            memcpy(dst->pixels + (size_t)y * dst->stride + 3 * (size_t)(src->width - 1 - x),
                   src->pixels + (size_t)y * src->stride + 3 * (size_t)x, 3);
    return dst;
}

/* ---- crop and mesh parity ------------------------------------------------- */

static void test_crop_matches_fixture(void **state)
{
    (void)state;
    static const struct {
        const char *image, *tensor;
        float crop[4];
    } cases[] = {
        {"data/lfw/lfw/Colin_Powell/Colin_Powell_0001.jpg", "reference/tensors/facemesh/lfw_colin_powell_0001/input_1.f32",
         {26, 42, 106, 122}},
        {"data/compreface_samples/images/009_C.jpg", "reference/tensors/facemesh/compreface_009_c/input_1.f32",
         {39, 101, 304, 367}},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        fp_image *img = load_shared(cases[c].image);
        size_t n = 0;
        float *ref = fx_read_f32(fx_shared_path(cases[c].tensor), &n);
        assert_non_null(ref);
        assert_int_equal(n, (size_t)FM_INPUT * FM_INPUT * 3);
        float *ours = malloc(n * sizeof(float));
        assert_non_null(ours);
        const float *b = cases[c].crop;
        const float box[4] = {b[1] / (float)img->height, b[0] / (float)img->width, b[3] / (float)img->height,
                              b[2] / (float)img->width};
        vis_crop_and_resize(img, box, FM_INPUT, FM_INPUT, 255.f, ours);
        fx_diff d = fx_compare(ours, ref, n);
        print_message("%s: crop max |diff| %g\n", cases[c].image, d.max_abs);
        assert_true(d.max_abs < 1e-6);
        free(ours);
        free(ref);
        fp_image_free(img);
    }
}

/* Mesh points Human 3.3.6 overwrites with the iris model's eye contours
 * (iris.ts replaceIrisCoords, MESH_ANNOTATIONS {left,right}{EyeUpper0..2,
 * EyeLower0..3, EyebrowUpper, EyebrowLower}: 2 x 71 points). We run
 * facemesh only, so these are compared loosely. */
static const int iris_replaced[] = {
    246, 161, 160, 159, 158, 157, 173, 33,  7,   163, 144, 145, 153, 154, 155, 133, 247, 30,  29,  27,
    28,  56,  190, 130, 25,  110, 24,  23,  22,  26,  112, 243, 113, 225, 224, 223, 222, 221, 189, 226,
    31,  228, 229, 230, 231, 232, 233, 244, 143, 111, 117, 118, 119, 120, 121, 128, 245, 156, 70,  63,
    105, 66,  107, 55,  193, 35,  124, 46,  53,  52,  65,  466, 388, 387, 386, 385, 384, 398, 263, 249,
    390, 373, 374, 380, 381, 382, 362, 467, 260, 259, 257, 258, 286, 414, 359, 255, 339, 254, 253, 252,
    256, 341, 463, 342, 445, 444, 443, 442, 441, 413, 446, 261, 448, 449, 450, 451, 452, 453, 464, 372,
    340, 346, 347, 348, 349, 350, 357, 465, 383, 300, 293, 334, 296, 336, 285, 417, 265, 353, 276, 283,
    282, 295};

/* Every crop Human ran facemesh on: same face flag decision, and on kept
 * faces the mesh within a small fraction of the crop size. Human truncates
 * x and y (facemeshutil), so we compare floor(ours) too. */
static void test_mesh_parity_with_human(void **state)
{
    (void)state;
    const int n_replaced = (int)(sizeof iris_replaced / sizeof iris_replaced[0]);
    assert_int_equal(n_replaced, 142);
    char eye[FP_FACE_MESH_POINTS] = {0};
    for (int k = 0; k < n_replaced; k++)
        eye[iris_replaced[k]] = 1;
    int crops = 0, kept = 0;
    double worst_mean = 0, sum_mean = 0, worst_pt = 0, sum_eye = 0;
    for (int i = 0; i < N_IMAGES; i++) {
        const ref_image *r = &refs[i];
        fp_image *img = load_shared(r->path);
        for (int c = 0; c < r->n_crops; c++) {
            const ref_crop *rc = &r->crops[c];
            fp_landmarks lm;
            fp_error err = {0};
            assert_int_equal(fp_face_landmarks_crop(engine, img, rc->crop, &lm, &err), FP_OK);
            crops++;
            /* Same keep decision (Human: rounded faceflag > 0.2). */
            assert_int_equal(lm.face_score > 0.2f, rc->kept);
            assert_true(fabsf(lm.face_score - rc->faceflag) < 0.02f);
            if (rc->face < 0)
                continue;
            const ref_face *rf = &r->faces[rc->face];
            double side = rc->crop[2] - rc->crop[0], sum = 0, worst = 0, eye_sum = 0;
            for (int p = 0; p < FP_FACE_MESH_POINTS; p++) {
                double dx = floor(lm.mesh[p][0]) - rf->mesh[p][0], dy = floor(lm.mesh[p][1]) - rf->mesh[p][1];
                double d = hypot(dx, dy);
                if (eye[p]) {
                    eye_sum += hypot(lm.mesh[p][0] - rf->mesh[p][0] - 0.5, lm.mesh[p][1] - rf->mesh[p][1] - 0.5);
                    continue;
                }
                sum += d;
                worst = fmax(worst, d);
                /* z: Human keeps the crop scale (and rounds), we the image scale. */
                double z = lm.mesh[p][2] * FM_INPUT / side;
                assert_true(fabs(z - rf->mesh[p][2]) <= 1.0 + 1e-3 * fabs(z));
            }
            double mean = sum / (FP_FACE_MESH_POINTS - n_replaced);
            double eye_rel = eye_sum / n_replaced / (side / 1.4);
            sum_eye += eye_rel;
            /* The eye region differs by the iris refinement only: a few % of the face. */
            if (eye_rel > 0.03)
                print_message("%s crop %d: eye region %.2f %%\n", r->path, c, 100 * eye_rel);
            assert_true(eye_rel < 0.06);
            /* Crop side = 1.4 x face box width: < 2 % of the box width. */
            double rel = mean / (side / 1.4);
            if (rel > 0.005)
                print_message("%s crop %d: mean %.2f px (%.2f %% of the face), worst %.1f px\n", r->path, c, mean,
                              100 * rel, worst);
            assert_true(rel < 0.01);
            assert_true(worst <= 1.5); /* a one-pixel flip of a truncated coordinate per axis */
            worst_mean = fmax(worst_mean, rel);
            worst_pt = fmax(worst_pt, worst);
            sum_mean += rel;
            kept++;
        }
        fp_image_free(img);
    }
    print_message("facemesh parity: %d crops, %d kept faces; 326 non-eye points: mean error %.3f %% of the face "
                  "width (worst face %.3f %%), worst point %.1f px; 142 iris-refined eye points: %.2f %%\n",
                  crops, kept, 100 * sum_mean / kept, 100 * worst_mean, worst_pt, 100 * sum_eye / kept);
    assert_int_equal(crops, 49);
    assert_int_equal(kept, 43);
}

/* From our own detector (default configuration): the mesh is as close to
 * Human's, since our crops equal Human's within 1 px. */
static void test_mesh_end_to_end(void **state)
{
    (void)state;
    static const char *const images[] = {"Colin_Powell_0001.jpg", "George_W_Bush_0001.jpg", "images/009_C.jpg",
                                         "examples/obama-480p.jpg", "expressions/surprised.jpg"};
    for (size_t k = 0; k < sizeof images / sizeof images[0]; k++) {
        const ref_image *r = find_ref(images[k]);
        fp_image *img = load_shared(r->path);
        fp_face face;
        fp_landmarks lm;
        main_face_landmarks(img, &face, &lm);
        const ref_face *rf = &r->faces[0];
        double sum = 0;
        for (int p = 0; p < FP_FACE_MESH_POINTS; p++)
            sum += hypot(lm.mesh[p][0] - (rf->mesh[p][0] + 0.5), lm.mesh[p][1] - (rf->mesh[p][1] + 0.5));
        double rel = sum / FP_FACE_MESH_POINTS / face.w;
        print_message("%s: end to end mean mesh error %.2f %% of the box width, face score %.3f\n", images[k],
                      100 * rel, lm.face_score);
        assert_true(rel < 0.02);
        assert_true(lm.face_score > 0.9f);
        /* points5 are inside the face box region, eyes above nose above mouth. */
        assert_true(lm.points5[FP_LM5_EYE_LEFT][0] < lm.points5[FP_LM5_EYE_RIGHT][0]);
        assert_true(lm.points5[FP_LM5_MOUTH_LEFT][0] < lm.points5[FP_LM5_MOUTH_RIGHT][0]);
        assert_true(lm.points5[FP_LM5_EYE_LEFT][1] < lm.points5[FP_LM5_NOSE][1]);
        assert_true(lm.points5[FP_LM5_NOSE][1] < lm.points5[FP_LM5_MOUTH_LEFT][1]);
        fp_image_free(img);
    }
}

/* ---- pose ----------------------------------------------------------------- */

static void test_pose_frontal_and_mirror(void **state)
{
    (void)state;
    /* The 16 LFW images of the reference set; the first three are
     * near-frontal (looking into the camera). */
    static const char *const images[] = {
        "Serena_Williams_0002.jpg",  "Tony_Blair_0002.jpg",       "Serena_Williams_0001.jpg",
        "George_W_Bush_0001.jpg",    "George_W_Bush_0002.jpg",    "Colin_Powell_0002.jpg",
        "Jennifer_Aniston_0001.jpg", "Jennifer_Aniston_0002.jpg", "Vladimir_Putin_0001.jpg",
        "Vladimir_Putin_0002.jpg",   "Angelina_Jolie_0001.jpg",   "Angelina_Jolie_0002.jpg",
        "Hugo_Chavez_0001.jpg",      "Hugo_Chavez_0002.jpg",      "Gloria_Macapagal_Arroyo_0001.jpg",
        "Gloria_Macapagal_Arroyo_0002.jpg"};
    double worst[3] = {0, 0, 0};
    for (size_t k = 0; k < sizeof images / sizeof images[0]; k++) {
        const ref_image *r = find_ref(images[k]);
        fp_image *img = load_shared(r->path);
        fp_face face, mface;
        fp_landmarks lm, ml;
        main_face_landmarks(img, &face, &lm);
        fp_image *flipped = mirror(img);
        main_face_landmarks(flipped, &mface, &ml);
        print_message("%-34s yaw %6.1f pitch %6.1f roll %6.1f | mirrored yaw %6.1f pitch %6.1f roll %6.1f\n",
                      images[k], lm.yaw, lm.pitch, lm.roll, ml.yaw, ml.pitch, ml.roll);
        if (k < 3)
            assert_true(fabsf(lm.yaw) < 6.f && fabsf(lm.pitch) < 10.f && fabsf(lm.roll) < 6.f);
        /* Mirror: yaw and roll change sign, pitch stays (within the model's
         * own left/right asymmetry, a few degrees). */
        worst[0] = fmax(worst[0], fabsf(lm.yaw + ml.yaw));
        worst[1] = fmax(worst[1], fabsf(lm.pitch - ml.pitch));
        worst[2] = fmax(worst[2], fabsf(lm.roll + ml.roll));
        fp_image_free(flipped);
        fp_image_free(img);
    }
    print_message("mirror: worst |yaw + yaw'| %.1f, |pitch - pitch'| %.1f, |roll + roll'| %.1f degrees\n", worst[0],
                  worst[1], worst[2]);
    assert_true(worst[0] < 4.5 && worst[1] < 3.0 && worst[2] < 3.0);
}

/* Sign conventions on a clearly turned face and a synthetic rotation. */
static void test_pose_signs(void **state)
{
    (void)state;
    /* Colin_Powell_0001: the subject looks to his left (image right): his
     * left face half is compressed, the nose tip right of the eye midpoint. */
    const ref_image *r = find_ref("Colin_Powell_0001.jpg");
    fp_image *img = load_shared(r->path);
    fp_face face, mface;
    fp_landmarks lm, ml;
    main_face_landmarks(img, &face, &lm);
    fp_image *flipped = mirror(img);
    main_face_landmarks(flipped, &mface, &ml);
    print_message("Colin_Powell_0001: yaw %.1f pitch %.1f roll %.1f; mirrored yaw %.1f roll %.1f\n", lm.yaw, lm.pitch,
                  lm.roll, ml.yaw, ml.roll);
    float eye_mid = 0.5f * (lm.points5[0][0] + lm.points5[1][0]);
    assert_true(lm.points5[FP_LM5_NOSE][0] > eye_mid);
    assert_true(lm.yaw > 10.f);
    assert_true(ml.yaw < -10.f);
    fp_image_free(flipped);
    fp_image_free(img);

    /* Synthetic: rotate a reference mesh in the image plane by +20 degrees
     * clockwise (image y down) -> roll + 20; yaw and pitch unchanged. */
    const ref_face *rf = &r->faces[0];
    fp_landmarks a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    const double t = 20.0 * 3.14159265358979 / 180.0;
    for (int p = 0; p < FP_FACE_MESH_POINTS; p++) {
        double x = rf->mesh[p][0], y = rf->mesh[p][1], z = rf->mesh[p][2] * 80.0 / FM_INPUT;
        a.mesh[p][0] = (float)x, a.mesh[p][1] = (float)y, a.mesh[p][2] = (float)z;
        b.mesh[p][0] = (float)(cos(t) * x - sin(t) * y);
        b.mesh[p][1] = (float)(sin(t) * x + cos(t) * y);
        b.mesh[p][2] = (float)z;
    }
    fp_landmarks_derive(&a);
    fp_landmarks_derive(&b);
    print_message("synthetic roll: %.2f -> %.2f\n", a.roll, b.roll);
    assert_true(fabsf(b.roll - a.roll - 20.f) < 0.5f);
    assert_true(fabsf(b.yaw - a.yaw) < 0.5f && fabsf(b.pitch - a.pitch) < 0.5f);
    /* Rotating about the vertical axis so the nose moves to image right
     * (subject turns to their left) increases yaw. x' = x cos + z sin. */
    const double cx = 75, cz = 0, ty = 15.0 * 3.14159265358979 / 180.0;
    for (int p = 0; p < FP_FACE_MESH_POINTS; p++) {
        double x = a.mesh[p][0] - cx, z = a.mesh[p][2] - cz;
        b.mesh[p][0] = (float)(cx + cos(ty) * x - sin(ty) * z);
        b.mesh[p][1] = a.mesh[p][1];
        b.mesh[p][2] = (float)(cz + sin(ty) * x + cos(ty) * z);
    }
    fp_landmarks_derive(&b);
    print_message("synthetic yaw: %.2f -> %.2f\n", a.yaw, b.yaw);
    assert_true(fabsf(b.yaw - a.yaw - 15.f) < 1.f);
}

/* ---- openness ------------------------------------------------------------- */

/* Minimal GIF reader for the Yale faces (first frame, global or local
 * palette, LZW, interlace). Test-only: the library does not decode GIF. */
static fp_image *load_gif(const char *rel)
{
    char *data = NULL;
    size_t len = 0;
    fp_error err = {0};
    if (fp_read_file(fx_shared_path(rel), (size_t)16 << 20, &data, &len, &err) != FP_OK)
        return NULL;
    const uint8_t *d = (const uint8_t *)data;
    fp_image *img = NULL;
    uint8_t *idx = NULL;
    if (len < 13 || memcmp(d, "GIF8", 4))
        goto out;
    int sw = d[6] | d[7] << 8, sh = d[8] | d[9] << 8;
    size_t pos = 13;
    uint8_t pal[256][3];
    memset(pal, 0, sizeof pal);
    if (d[10] & 0x80) {
        int n = 2 << (d[10] & 7);
        if (pos + 3 * (size_t)n > len)
            goto out;
        memcpy(pal, d + pos, 3 * (size_t)n);
        pos += 3 * (size_t)n;
    }
    while (pos < len && d[pos] == 0x21) { /* extensions */
        pos += 2;
        while (pos < len && d[pos])
            pos += d[pos] + 1u;
        pos++;
    }
    if (pos + 10 > len || d[pos] != 0x2c)
        goto out;
    int x0 = d[pos + 1] | d[pos + 2] << 8, y0 = d[pos + 3] | d[pos + 4] << 8;
    int w = d[pos + 5] | d[pos + 6] << 8, h = d[pos + 7] | d[pos + 8] << 8, flags = d[pos + 9];
    pos += 10;
    if (flags & 0x80) {
        int n = 2 << (flags & 7);
        if (pos + 3 * (size_t)n > len)
            goto out;
        memcpy(pal, d + pos, 3 * (size_t)n);
        pos += 3 * (size_t)n;
    }
    if (pos >= len || w <= 0 || h <= 0 || x0 + w > sw || y0 + h > sh)
        goto out;
    int min_code = d[pos++];
    if (min_code < 2 || min_code > 8)
        goto out;
    /* Gather the sub-blocks. */
    uint8_t *lzw = malloc(len);
    size_t n_lzw = 0;
    while (pos < len && d[pos]) {
        size_t b = d[pos];
        if (pos + 1 + b > len)
            break;
        memcpy(lzw + n_lzw, d + pos + 1, b);
        n_lzw += b;
        pos += 1 + b;
    }
    idx = calloc((size_t)w * h, 1);
    static uint16_t prefix[4096];
    static uint8_t suffix[4096], stack[4097];
    const int clear = 1 << min_code, eoi = clear + 1;
    int size = min_code + 1, next = eoi + 1, prev = -1, first = 0;
    size_t bit = 0, out_n = 0, total = (size_t)w * h;
    for (int i = 0; i < clear; i++)
        prefix[i] = 0xffff, suffix[i] = (uint8_t)i;
    while (out_n < total && bit + (size_t)size <= n_lzw * 8) {
        int code = 0;
        for (int b = 0; b < size; b++, bit++)
            code |= ((lzw[bit >> 3] >> (bit & 7)) & 1) << b;
        if (code == clear) {
            size = min_code + 1, next = eoi + 1, prev = -1;
            continue;
        }
        if (code == eoi)
            break;
        int sp = 0, c = code;
        if (prev < 0) {
            idx[out_n++] = (uint8_t)code;
            prev = first = code;
            continue;
        }
        if (code >= next) { /* KwKwK */
            stack[sp++] = (uint8_t)first;
            c = prev;
        }
        while (c >= clear && sp < 4096) {
            stack[sp++] = suffix[c];
            c = prefix[c];
        }
        stack[sp++] = (uint8_t)c;
        first = c;
        while (sp && out_n < total)
            idx[out_n++] = stack[--sp];
        if (next < 4096) {
            prefix[next] = (uint16_t)prev;
            suffix[next] = (uint8_t)first;
            next++;
            if (next == (1 << size) && size < 12)
                size++;
        }
        prev = code;
    }
    free(lzw);
    if (fp_image_new(sw, sh, &img, &err) != FP_OK)
        goto out;
    static const int pass_start[4] = {0, 4, 2, 1}, pass_step[4] = {8, 8, 4, 2};
    int row = 0;
    for (int pass = 0; pass < ((flags & 0x40) ? 4 : 1); pass++)
        for (int y = (flags & 0x40) ? pass_start[pass] : 0; y < h; y += (flags & 0x40) ? pass_step[pass] : 1, row++)
            for (int x = 0; x < w; x++)
                memcpy(img->pixels + (size_t)(y0 + y) * img->stride + 3 * (size_t)(x0 + x), pal[idx[(size_t)row * w + x]],
                       3);
out:
    free(idx);
    free(data);
    return img;
}

static void test_eye_openness(void **state)
{
    (void)state;
    /* Yale faces: "sleepy" = both eyes closed, "wink" = one eye closed. */
    static const char *const subjects[] = {"subject03", "subject04", "subject05", "subject06", "subject14"};
    int checked = 0;
    for (size_t s = 0; s < sizeof subjects / sizeof subjects[0]; s++) {
        char path[256];
        float open[3][2];
        int ok = 1;
        static const char *const kinds[3] = {"normal", "sleepy", "wink"};
        for (int k = 0; k < 3 && ok; k++) {
            snprintf(path, sizeof path, "data/yale_faces/yalefaces/%s/%s.%s.gif", subjects[s], subjects[s], kinds[k]);
            fp_image *img = load_gif(path);
            if (!img) {
                ok = 0;
                break;
            }
            fp_face face;
            fp_landmarks lm;
            main_face_landmarks(img, &face, &lm);
            open[k][0] = lm.eye_open[0];
            open[k][1] = lm.eye_open[1];
            fp_image_free(img);
        }
        if (!ok)
            continue;
        print_message("%s eyes open: normal %.3f %.3f, sleepy %.3f %.3f, wink %.3f %.3f\n", subjects[s], open[0][0],
                      open[0][1], open[1][0], open[1][1], open[2][0], open[2][1]);
        /* Sleepy: both eyes lower than normal; wink: the winking eye lower. */
        assert_true(open[1][0] < open[0][0] && open[1][1] < open[0][1]);
        float wink_min = fminf(open[2][0], open[2][1]), normal_min = fminf(open[0][0], open[0][1]);
        assert_true(wink_min < normal_min);
        checked++;
    }
    assert_true(checked >= 3);
}

static void test_mouth_openness(void **state)
{
    (void)state;
    fp_image *a = load_shared("data/faceapijs_bbt/expressions/surprised.jpg");
    fp_image *b = load_shared("data/faceapijs_bbt/expressions/neutral.jpg");
    fp_face fa, fb;
    fp_landmarks la, lb;
    main_face_landmarks(a, &fa, &la);
    main_face_landmarks(b, &fb, &lb);
    print_message("mouth open: surprised %.3f, neutral %.3f\n", la.mouth_open, lb.mouth_open);
    assert_true(la.mouth_open > 2.f * lb.mouth_open && la.mouth_open > lb.mouth_open + 0.2f);
    fp_image_free(a);
    fp_image_free(b);

    /* Definition check on Human's own mesh: gap(13, 14) / width(61, 291). */
    const ref_face *rf = &find_ref("expressions/surprised.jpg")->faces[0];
    fp_landmarks lm;
    memset(&lm, 0, sizeof lm);
    for (int p = 0; p < FP_FACE_MESH_POINTS; p++)
        memcpy(lm.mesh[p], rf->mesh[p], sizeof lm.mesh[p]);
    fp_landmarks_derive(&lm);
    double gap = hypot(rf->mesh[13][0] - rf->mesh[14][0], rf->mesh[13][1] - rf->mesh[14][1]);
    double width = hypot(rf->mesh[61][0] - rf->mesh[291][0], rf->mesh[61][1] - rf->mesh[291][1]);
    assert_true(fabs(lm.mouth_open - gap / width) < 1e-5);
    /* Nose tip is mesh 1; mouth corners 61 / 291. */
    assert_true(lm.points5[FP_LM5_NOSE][0] == rf->mesh[1][0] && lm.points5[FP_LM5_NOSE][1] == rf->mesh[1][1]);
    assert_true(lm.points5[FP_LM5_MOUTH_LEFT][0] == rf->mesh[61][0]);
    assert_true(lm.points5[FP_LM5_MOUTH_RIGHT][0] == rf->mesh[291][0]);
}

/* ---- alignment points, wiping, errors ------------------------------------- */

static void test_mesh_alignment_points(void **state)
{
    (void)state;
    const ref_image *r = find_ref("Colin_Powell_0001.jpg");
    fp_image *img = load_shared(r->path);
    fp_face face, mf;
    fp_landmarks lm;
    main_face_landmarks(img, &face, &lm);
    fp_face_from_landmarks(&face, &lm, &mf);
    /* Eye centres from the mesh contours agree with BlazeFace's eyes and with
     * Human's iris centres (kps5 61,66 / 86,68) within a few pixels. */
    for (int k = 0; k < 2; k++) {
        assert_true(hypot(mf.keypoints[k][0] - face.keypoints[k][0], mf.keypoints[k][1] - face.keypoints[k][1]) < 4);
        assert_true(hypot(mf.keypoints[k][0] - lm.points5[k][0], mf.keypoints[k][1] - lm.points5[k][1]) < 1e-3);
    }
    assert_true(hypot(mf.keypoints[0][0] - 61.5, mf.keypoints[0][1] - 66.5) < 3);
    assert_true(hypot(mf.keypoints[1][0] - 86.5, mf.keypoints[1][1] - 68.5) < 3);
    assert_true(mf.x == face.x && mf.w == face.w && mf.score == face.score);
    double m[6];
    assert_int_equal(fp_face_align_matrix(&mf, FP_FACE_CHIP_SIZE, m), FP_OK);
    /* A descriptor from mesh alignment is close to the BlazeFace-aligned one. */
    float da[FP_FACE_DESCRIPTOR_DIM], db[FP_FACE_DESCRIPTOR_DIM];
    fp_error err = {0};
    assert_int_equal(fp_face_descriptor(engine, img, &face, da, &err), FP_OK);
    assert_int_equal(fp_face_descriptor(engine, img, &mf, db, &err), FP_OK);
    float dist = fp_face_distance(da, db);
    print_message("descriptor distance BlazeFace vs mesh alignment: %.3f\n", dist);
    assert_true(dist < 0.3f);
    fp_image_free(img);
}

static void test_wipe_and_errors(void **state)
{
    (void)state;
    const ref_image *r = find_ref("Colin_Powell_0001.jpg");
    fp_image *img = load_shared(r->path);
    fp_face face;
    fp_landmarks lm;
    main_face_landmarks(img, &face, &lm);
    /* REC-14: crop and raw outputs are wiped after the call. */
    assert_non_null(engine->mesh);
    for (size_t i = 0; i < (size_t)FM_INPUT * FM_INPUT * 3; i++)
        assert_true(engine->mesh->input[i] == 0.f);
    for (int o = 0; o < 3; o++)
        for (size_t i = 0; i < engine->mesh->output_n[o]; i++)
            assert_true(engine->mesh->output[o][i] == 0.f);

    fp_error err = {0};
    assert_int_equal(fp_face_landmarks(NULL, img, &face, &lm, &err), FP_ERR_INVALID_ARG);
    assert_int_equal(fp_face_landmarks(engine, NULL, &face, &lm, &err), FP_ERR_INVALID_ARG);
    assert_int_equal(fp_face_landmarks(engine, img, NULL, &lm, &err), FP_ERR_INVALID_ARG);
    assert_int_equal(fp_face_landmarks(engine, img, &face, NULL, &err), FP_ERR_INVALID_ARG);
    fp_face bad = face;
    bad.w = 0;
    assert_int_equal(fp_face_landmarks(engine, img, &bad, &lm, &err), FP_ERR_INVALID_ARG);
    bad = face;
    bad.x = NAN;
    assert_int_equal(fp_face_landmarks(engine, img, &bad, &lm, &err), FP_ERR_INVALID_ARG);
    const float empty[4] = {10, 10, 10, 40}, huge[4] = {0, 0, 1e30f, 1e30f};
    assert_int_equal(fp_face_landmarks_crop(engine, img, empty, &lm, &err), FP_ERR_INVALID_ARG);
    assert_int_equal(fp_face_landmarks_crop(engine, img, huge, &lm, &err), FP_ERR_INVALID_ARG);
    /* A crop entirely outside the image is valid (zeros in, no face out). */
    const float outside[4] = {-500, -500, -300, -300};
    assert_int_equal(fp_face_landmarks_crop(engine, img, outside, &lm, &err), FP_OK);
    assert_true(lm.face_score < 0.2f);
    fp_image_free(img);

    /* A missing model fails on first use, with a message. */
    fp_face_engine *e2 = NULL;
    fp_face_config cfg = {fx_model_path(""), 1, 0.f, 0.f};
    assert_int_equal(fp_face_engine_new(&cfg, &e2, &err), FP_OK);
    free(e2->models_dir);
    e2->models_dir = strdup("/nonexistent");
    img = load_shared(r->path);
    assert_int_not_equal(fp_face_landmarks(e2, img, &face, &lm, &err), FP_OK);
    assert_true(err.message[0] != 0);
    fp_image_free(img);
    fp_face_engine_free(e2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crop_matches_fixture),
        cmocka_unit_test(test_mesh_parity_with_human),
        cmocka_unit_test(test_mesh_end_to_end),
        cmocka_unit_test(test_pose_frontal_and_mirror),
        cmocka_unit_test(test_pose_signs),
        cmocka_unit_test(test_eye_openness),
        cmocka_unit_test(test_mouth_openness),
        cmocka_unit_test(test_mesh_alignment_points),
        cmocka_unit_test(test_wipe_and_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
