/* Face image quality assessment (include/faceprint/quality.h, SPEC
 * section 3, GB/T 37036.3 7.2.2) on real images from shared/data, with
 * faces from fp_face_detect:
 *
 *  - a sharp LFW face passes every image check;
 *  - the same image box-blurred fails sharpness;
 *  - darkened / brightened / low-contrast / half-shadowed versions fail the
 *    illumination checks with the right reason;
 *  - a face cut by the image border fails completeness;
 *  - a downscaled face fails size;
 *  - a synthetic mask over the lower face fails occlusion;
 *  - pose, eye and mouth inputs give the right prompts and are skipped when
 *    unknown;
 *  - thresholds and disabled checks change the outcome (configurable);
 *  - whole frame: several faces on the BBT group scenes, no face on the
 *    compreface landscape 017_0, too dark, back-lit;
 *  - best frame of a blur series is the sharp one, none when all fail
 *    (Q-14);
 *  - 90 %+ of the first 100 LFW images pass; argument errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "faceprint/face.h"
#include "faceprint/image.h"
#include "faceprint/quality.h"
#include "support/fixture.h"

#define MAX_FACES 16
#define SHARP_LFW "data/lfw/lfw/Abba_Eban/Abba_Eban_0001.jpg"

static fp_face_engine *engine;

static int setup(void **state)
{
    (void)state;
    engine = fx_face_engine_open();
    if (!engine)
        return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    fp_face_engine_free(engine);
    return 0;
}

/* ---- helpers ---------------------------------------------------------------- */

static fp_image *load(const char *rel)
{
    fp_image *img = NULL;
    fp_error err = {0};
    assert_int_equal(fp_image_load(fx_shared_path(rel), 0, &img, &err), FP_OK);
    return img;
}

/* Detects faces; returns the count, faces[] as quality faces, *main the main one. */
static int detect(const fp_image *img, fp_quality_face *faces, int *main_face)
{
    fp_face det[MAX_FACES];
    int n = 0;
    fp_error err = {0};
    assert_int_equal(fp_face_detect(engine, img, det, MAX_FACES, &n, &err), FP_OK);
    for (int i = 0; i < n; i++)
        fp_quality_face_from_detection(&det[i], &faces[i]);
    if (main_face)
        *main_face = fp_face_main(det, n, img->width, img->height);
    return n;
}

/* The sharp LFW image and its main face. */
static fp_image *sharp_face(fp_quality_face *face)
{
    fp_image *img = load(SHARP_LFW);
    fp_quality_face faces[MAX_FACES];
    int m = -1;
    assert_true(detect(img, faces, &m) >= 1);
    *face = faces[m];
    return img;
}

static fp_image *copy(const fp_image *src)
{
    fp_image *dst = NULL;
    assert_int_equal(fp_image_crop(src, 0, 0, src->width, src->height, &dst, NULL), FP_OK);
    return dst;
}

/* (2r+1)^2 box blur, edges use the pixels inside. */
static fp_image *box_blur(const fp_image *s, int r)
{
    fp_image *d = copy(s);
    for (int y = 0; y < s->height; y++)
        for (int x = 0; x < s->width; x++)
            for (int c = 0; c < 3; c++) {
                int sum = 0, n = 0;
                for (int dy = -r; dy <= r; dy++)
                    for (int dx = -r; dx <= r; dx++) {
                        int xx = x + dx, yy = y + dy;
                        if (xx < 0 || yy < 0 || xx >= s->width || yy >= s->height)
                            continue;
                        sum += s->pixels[(size_t)yy * s->stride + 3 * (size_t)xx + c];
                        n++;
                    }
                d->pixels[(size_t)y * d->stride + 3 * (size_t)x + c] = (uint8_t)((sum + n / 2) / n);
            }
    return d;
}

static uint8_t clamp8(double v)
{
    return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : lround(v));
}

/* v -> a * v + b on every channel of the rectangle (whole image when w <= 0). */
static void affine_pixels(fp_image *img, double a, double b, int x0, int y0, int w, int h)
{
    if (w <= 0)
        x0 = 0, y0 = 0, w = img->width, h = img->height;
    for (int y = y0; y < y0 + h && y < img->height; y++)
        for (int x = x0; x < x0 + w && x < img->width; x++)
            for (int c = 0; c < 3; c++) {
                uint8_t *p = &img->pixels[(size_t)y * img->stride + 3 * (size_t)x + c];
                *p = clamp8(a * *p + b);
            }
}

static void fill(fp_image *img, int x0, int y0, int x1, int y1, uint8_t r, uint8_t g, uint8_t b)
{
    for (int y = y0 < 0 ? 0 : y0; y < y1 && y < img->height; y++)
        for (int x = x0 < 0 ? 0 : x0; x < x1 && x < img->width; x++) {
            uint8_t *p = &img->pixels[(size_t)y * img->stride + 3 * (size_t)x];
            p[0] = r, p[1] = g, p[2] = b;
        }
}

static fp_quality_report assess(const fp_quality_config *cfg, const fp_image *img, const fp_quality_face *f)
{
    fp_quality_report rep;
    fp_error err = {0};
    assert_int_equal(fp_quality_assess(cfg, img, f, &rep, &err), FP_OK);
    return rep;
}

static int has_reason(const fp_quality_report *r, fp_quality_reason reason)
{
    for (int i = 0; i < r->n_failures; i++)
        if (r->failures[i] == reason)
            return 1;
    return 0;
}

static void print_report(const char *what, const fp_quality_report *r)
{
    print_message("%s: %s score %.3f", what, r->pass ? "pass" : "FAIL", r->score);
    for (int c = 0; c < FP_QUALITY_N_CHECKS; c++)
        if (r->checks[c].evaluated)
            print_message(" %s=%.3g", fp_quality_check_name((fp_quality_check)c), r->checks[c].value);
    for (int i = 0; i < r->n_failures; i++)
        print_message(" [%s]", fp_quality_reason_name(r->failures[i]));
    print_message("\n");
}

/* ---- per-face checks -------------------------------------------------------- */

/* a sharp, well-lit frontal LFW face passes every image check; pose,
 * eyes and mouth are unknown without a landmark model, so not evaluated. */
static void test_sharp_face_passes(void **state)
{
    (void)state;
    fp_quality_face f;
    fp_image *img = sharp_face(&f);
    fp_quality_report r = assess(NULL, img, &f);
    print_report("sharp", &r);
    assert_true(r.pass);
    assert_int_equal(r.n_failures, 0);
    for (int c = FP_QUALITY_SIZE; c <= FP_QUALITY_OCCLUSION; c++) {
        assert_true(r.checks[c].evaluated);
        assert_true(r.checks[c].pass);
        assert_true(r.checks[c].score >= 0.5f && r.checks[c].score <= 1.f);
        assert_int_equal(r.checks[c].reason, FP_QREASON_NONE);
    }
    for (int c = FP_QUALITY_POSE; c <= FP_QUALITY_MOUTH; c++) {
        assert_false(r.checks[c].evaluated);
        assert_true(r.checks[c].pass);
        assert_true(isnan(r.checks[c].score));
    }
    assert_true(r.eye_distance > 20 && r.eye_distance < 40);
    assert_true(r.score > 0.5f && r.score <= 1.f);
    fp_image_free(img);
}

/* 5x5 and 7x7 box blurs fail sharpness ("image too blurry"),
 * and sharpness falls monotonically with the blur radius. */
static void test_blur_fails_sharpness(void **state)
{
    (void)state;
    fp_quality_face f;
    fp_image *img = sharp_face(&f);
    float prev = assess(NULL, img, &f).checks[FP_QUALITY_SHARPNESS].value;
    for (int radius = 1; radius <= 3; radius++) {
        fp_image *b = box_blur(img, radius);
        fp_quality_report r = assess(NULL, b, &f);
        print_report(radius == 1 ? "blur3" : radius == 2 ? "blur5" : "blur7", &r);
        float v = r.checks[FP_QUALITY_SHARPNESS].value;
        assert_true(v < prev);
        prev = v;
        if (radius >= 2) {
            assert_false(r.pass);
            assert_false(r.checks[FP_QUALITY_SHARPNESS].pass);
            assert_int_equal(r.checks[FP_QUALITY_SHARPNESS].reason, FP_QREASON_TOO_BLURRY);
            assert_true(has_reason(&r, FP_QREASON_TOO_BLURRY));
            assert_true(r.checks[FP_QUALITY_SHARPNESS].score < 0.5f);
            assert_string_equal(fp_quality_reason_text(FP_QREASON_TOO_BLURRY), "image too blurry");
        }
        fp_image_free(b);
    }
    fp_image_free(img);
}

/* darkened -> "too dark", brightened -> "too bright", squeezed luma
 * range -> "low contrast", one face half in shadow -> "uneven lighting". */
static void test_illumination(void **state)
{
    (void)state;
    fp_quality_face f;
    fp_image *img = sharp_face(&f);

    fp_image *dark = copy(img);
    affine_pixels(dark, 0.25, 0, 0, 0, 0, 0);
    fp_quality_report r = assess(NULL, dark, &f);
    print_report("dark", &r);
    assert_false(r.pass);
    assert_int_equal(r.checks[FP_QUALITY_BRIGHTNESS].reason, FP_QREASON_TOO_DARK);
    assert_true(has_reason(&r, FP_QREASON_TOO_DARK));
    assert_false(has_reason(&r, FP_QREASON_TOO_BRIGHT));
    assert_true(r.brightness < 60);

    fp_image *bright = copy(img);
    affine_pixels(bright, 2.2, 40, 0, 0, 0, 0);
    r = assess(NULL, bright, &f);
    print_report("bright", &r);
    assert_false(r.pass);
    assert_int_equal(r.checks[FP_QUALITY_BRIGHTNESS].reason, FP_QREASON_TOO_BRIGHT);
    assert_false(has_reason(&r, FP_QREASON_TOO_DARK));
    assert_true(r.bright_fraction > 0.25f);

    fp_image *flat = copy(img);
    affine_pixels(flat, 0.2, 0.8 * 120, 0, 0, 0, 0);
    r = assess(NULL, flat, &f);
    print_report("flat", &r);
    assert_false(r.pass);
    assert_int_equal(r.checks[FP_QUALITY_CONTRAST].reason, FP_QREASON_LOW_CONTRAST);
    assert_true(r.checks[FP_QUALITY_BRIGHTNESS].pass); /* mean stays mid-grey */

    /* shadow over the image-left half of the face (split at the eye midpoint) */
    fp_image *half = copy(img);
    int split = (int)lroundf((f.keypoints[0][0] + f.keypoints[1][0]) / 2);
    affine_pixels(half, 0.35, 0, 0, 0, split, img->height);
    r = assess(NULL, half, &f);
    print_report("half shadow", &r);
    assert_false(r.pass);
    assert_int_equal(r.checks[FP_QUALITY_UNIFORMITY].reason, FP_QREASON_UNEVEN_LIGHTING);
    assert_true(r.left_brightness < 0.5f * r.right_brightness);

    fp_image_free(dark);
    fp_image_free(bright);
    fp_image_free(flat);
    fp_image_free(half);
    fp_image_free(img);
}

/* cropping the image through the face leaves the box partly outside:
 * "face partly outside the image"; the uncropped face passes. */
static void test_completeness(void **state)
{
    (void)state;
    fp_quality_face f;
    fp_image *img = sharp_face(&f);
    assert_true(assess(NULL, img, &f).checks[FP_QUALITY_COMPLETENESS].pass);
    int cut = (int)(f.x + 0.4f * f.w);
    fp_image *cropped = NULL;
    assert_int_equal(fp_image_crop(img, cut, 0, img->width - cut, img->height, &cropped, NULL), FP_OK);
    fp_quality_face g = f;
    g.x -= (float)cut;
    for (int k = 0; k < g.n_keypoints; k++)
        g.keypoints[k][0] -= (float)cut;
    fp_quality_report r = assess(NULL, cropped, &g);
    print_report("cut", &r);
    assert_false(r.pass);
    assert_int_equal(r.checks[FP_QUALITY_COMPLETENESS].reason, FP_QREASON_FACE_CUT_OFF);
    assert_true(r.checks[FP_QUALITY_COMPLETENESS].value < 0.7f);
    assert_string_equal(fp_quality_reason_text(FP_QREASON_FACE_CUT_OFF), "face partly outside the image");

    /* a box touching the edge (its 10 % margin outside) also fails */
    int near = (int)f.x;
    fp_image *edge = NULL;
    assert_int_equal(fp_image_crop(img, near, 0, img->width - near, img->height, &edge, NULL), FP_OK);
    g = f;
    g.x -= (float)near;
    for (int k = 0; k < g.n_keypoints; k++)
        g.keypoints[k][0] -= (float)near;
    r = assess(NULL, edge, &g);
    assert_int_equal(r.checks[FP_QUALITY_COMPLETENESS].reason, FP_QREASON_FACE_CUT_OFF);
    fp_image_free(edge);
    fp_image_free(cropped);
    fp_image_free(img);
}

/* the image downscaled to 30 % makes the face ~8 px between the eyes:
 * "face too small". The detector itself still finds it in a 45x45 image
 * upscaled to 256, so the test uses its own detection when there is one. */
static void test_small_face(void **state)
{
    (void)state;
    fp_quality_face f;
    fp_image *img = sharp_face(&f);
    fp_image *tiny = NULL;
    assert_int_equal(fp_image_resize(img, 45, 45, &tiny, NULL), FP_OK);
    fp_quality_face faces[MAX_FACES], g;
    int m = -1;
    if (detect(tiny, faces, &m) > 0) {
        g = faces[m];
    } else {
        g = f;
        float s = 45.f / (float)img->width;
        g.x *= s, g.y *= s, g.w *= s, g.h *= s;
        for (int k = 0; k < g.n_keypoints; k++)
            g.keypoints[k][0] *= s, g.keypoints[k][1] *= s;
    }
    fp_quality_report r = assess(NULL, tiny, &g);
    print_report("tiny", &r);
    assert_false(r.pass);
    assert_int_equal(r.checks[FP_QUALITY_SIZE].reason, FP_QREASON_FACE_TOO_SMALL);
    assert_true(r.eye_distance < 12);
    /* without key points the box side decides */
    g.n_keypoints = 0;
    r = assess(NULL, tiny, &g);
    assert_int_equal(r.checks[FP_QUALITY_SIZE].reason, FP_QREASON_FACE_TOO_SMALL);
    assert_true(isnan(r.eye_distance));
    assert_false(r.checks[FP_QUALITY_OCCLUSION].evaluated);
    fp_image_free(tiny);
    fp_image_free(img);
}

/* Q-16 occlusion heuristic: a light-blue "surgical mask" and a black one
 * painted from just below the nose tip down fail ("face may be covered");
 * a grey-scale copy is not evaluated. */
static void test_occlusion(void **state)
{
    (void)state;
    fp_quality_face f;
    fp_image *img = sharp_face(&f);
    static const uint8_t colours[2][3] = {{150, 190, 220}, {25, 25, 28}};
    for (int i = 0; i < 2; i++) {
        fp_image *masked = copy(img);
        int top = (int)(f.keypoints[FP_FACE_KP_NOSE][1] + 0.2f * (f.keypoints[3][1] - f.keypoints[2][1]));
        fill(masked, (int)(f.x - 0.1f * f.w), top, (int)(f.x + 1.1f * f.w), (int)(f.y + 1.3f * f.h), colours[i][0],
             colours[i][1], colours[i][2]);
        fp_quality_report r = assess(NULL, masked, &f);
        print_report(i ? "black mask" : "blue mask", &r);
        assert_false(r.pass);
        assert_int_equal(r.checks[FP_QUALITY_OCCLUSION].reason, FP_QREASON_FACE_COVERED);
        assert_true(r.checks[FP_QUALITY_OCCLUSION].value < 0.2f);
        fp_image_free(masked);
    }
    fp_image *grey = copy(img);
    for (int y = 0; y < grey->height; y++)
        for (int x = 0; x < grey->width; x++) {
            uint8_t *p = &grey->pixels[(size_t)y * grey->stride + 3 * (size_t)x];
            p[0] = p[1] = p[2] = clamp8(0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2]);
        }
    fp_quality_report r = assess(NULL, grey, &f);
    assert_false(r.checks[FP_QUALITY_OCCLUSION].evaluated);
    assert_true(r.pass);
    fp_image_free(grey);
    fp_image_free(img);
}

/* optional pose / openness inputs. Sign conventions of
 * fp_quality_face: yaw > 0 = face toward the image right -> "turn your
 * head right"; pitch > 0 = chin up -> "lower your head". */
static void test_pose_eyes_mouth(void **state)
{
    (void)state;
    fp_quality_face f;
    fp_image *img = sharp_face(&f);
    static const struct {
        float yaw, pitch, roll, eye0, eye1, mouth;
        fp_quality_reason want;
    } cases[] = {
        {40, 0, 0, NAN, NAN, NAN, FP_QREASON_TURN_RIGHT},
        {-40, 0, 0, NAN, NAN, NAN, FP_QREASON_TURN_LEFT},
        {0, 30, 0, NAN, NAN, NAN, FP_QREASON_LOWER_HEAD},
        {NAN, -30, NAN, NAN, NAN, NAN, FP_QREASON_RAISE_HEAD},
        {5, 5, 35, NAN, NAN, NAN, FP_QREASON_HEAD_TILTED},
        {30, 40, 0, NAN, NAN, NAN, FP_QREASON_LOWER_HEAD}, /* pitch exceeds its limit more */
        {NAN, NAN, NAN, 0.05f, 0.6f, NAN, FP_QREASON_EYES_CLOSED},
        {NAN, NAN, NAN, NAN, 0.1f, NAN, FP_QREASON_EYES_CLOSED},
        {NAN, NAN, NAN, NAN, NAN, 0.6f, FP_QREASON_MOUTH_OPEN},
        {10, -10, 10, 0.5f, 0.5f, 0.1f, FP_QREASON_NONE},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fp_quality_face g = f;
        g.yaw = cases[i].yaw, g.pitch = cases[i].pitch, g.roll = cases[i].roll;
        g.eye_openness[0] = cases[i].eye0, g.eye_openness[1] = cases[i].eye1;
        g.mouth_openness = cases[i].mouth;
        fp_quality_report r = assess(NULL, img, &g);
        if (cases[i].want == FP_QREASON_NONE) {
            assert_true(r.pass);
            assert_true(r.checks[FP_QUALITY_POSE].evaluated && r.checks[FP_QUALITY_EYES].evaluated &&
                        r.checks[FP_QUALITY_MOUTH].evaluated);
        } else {
            assert_false(r.pass);
            assert_int_equal(r.n_failures, 1);
            assert_int_equal(r.failures[0], cases[i].want);
        }
    }
    assert_string_equal(fp_quality_reason_text(FP_QREASON_TURN_LEFT), "turn your head left");
    assert_string_equal(fp_quality_reason_text(FP_QREASON_HEAD_TILTED), "keep your head straight");
    assert_string_equal(fp_quality_reason_name(FP_QREASON_EYES_CLOSED), "eyes_closed");
    fp_image_free(img);
}

/* Thresholds are configuration: a stricter sharpness or size threshold
 * fails the sharp face, a disabled check lets the blurred one through, a
 * looser yaw limit accepts 40 degrees. */
static void test_config_changes_outcome(void **state)
{
    (void)state;
    fp_quality_face f;
    fp_image *img = sharp_face(&f);
    fp_quality_config cfg;
    fp_quality_config_default(&cfg);
    fp_quality_report r = assess(&cfg, img, &f);
    assert_true(r.pass);

    fp_quality_config strict = cfg;
    strict.min_sharpness = 2 * r.checks[FP_QUALITY_SHARPNESS].value;
    assert_int_equal(assess(&strict, img, &f).checks[FP_QUALITY_SHARPNESS].reason, FP_QREASON_TOO_BLURRY);
    strict = cfg;
    strict.min_eye_distance = r.eye_distance + 5;
    assert_int_equal(assess(&strict, img, &f).checks[FP_QUALITY_SIZE].reason, FP_QREASON_FACE_TOO_SMALL);
    strict = cfg;
    strict.min_brightness = r.brightness + 10;
    strict.max_brightness = 250;
    assert_int_equal(assess(&strict, img, &f).checks[FP_QUALITY_BRIGHTNESS].reason, FP_QREASON_TOO_DARK);

    fp_image *blurred = box_blur(img, 2);
    assert_false(assess(&cfg, blurred, &f).pass);
    fp_quality_config lenient = cfg;
    lenient.disabled = FP_QUALITY_BIT(FP_QUALITY_SHARPNESS);
    r = assess(&lenient, blurred, &f);
    assert_false(r.checks[FP_QUALITY_SHARPNESS].evaluated);
    assert_true(r.pass);
    lenient = cfg;
    lenient.min_sharpness = 0.001f;
    assert_true(assess(&lenient, blurred, &f).pass);

    fp_quality_face g = f;
    g.yaw = 40;
    assert_false(assess(&cfg, img, &g).pass);
    lenient = cfg;
    lenient.max_yaw = 45;
    assert_true(assess(&lenient, img, &g).pass);
    fp_image_free(blurred);
    fp_image_free(img);
}

/* ---- whole frame ------------------------------------------------------------ */

static fp_quality_environment_report environment(const fp_quality_config *cfg, const fp_image *img, int *n_out)
{
    fp_quality_face faces[MAX_FACES];
    int n = detect(img, faces, NULL);
    fp_quality_environment_report e;
    fp_error err = {0};
    assert_int_equal(fp_quality_environment(cfg, img, faces, n, &e, &err), FP_OK);
    if (n_out)
        *n_out = n;
    return e;
}

static int env_has(const fp_quality_environment_report *e, fp_quality_reason r)
{
    for (int i = 0; i < e->n_reasons; i++)
        if (e->reasons[i] == r)
            return 1;
    return 0;
}

/* every BBT group scene reports several faces, the compreface
 * landscape 017_0 no face, the LFW portrait nothing. */
static void test_environment_faces(void **state)
{
    (void)state;
    char rel[128];
    for (int i = 1; i <= 5; i++) {
        snprintf(rel, sizeof rel, "data/faceapijs_bbt/group_scenes/bbt%d.jpg", i);
        fp_image *img = load(rel);
        int n = 0;
        fp_quality_environment_report e = environment(NULL, img, &n);
        print_message("bbt%d: %d detected, %d counted, pass %d\n", i, n, e.n_faces, e.pass);
        assert_false(e.pass);
        assert_true(e.n_faces >= 2);
        assert_true(env_has(&e, FP_QREASON_SEVERAL_FACES));
        assert_false(env_has(&e, FP_QREASON_NO_FACE));
        assert_true(e.main_face >= 0);
        fp_image_free(img);
    }
    fp_image *land = load("data/compreface_samples/images/017_0.jpg");
    fp_quality_environment_report e = environment(NULL, land, NULL);
    assert_false(e.pass);
    assert_int_equal(e.n_faces, 0);
    assert_int_equal(e.main_face, -1);
    assert_true(env_has(&e, FP_QREASON_NO_FACE));
    assert_true(isnan(e.face_brightness));
    assert_string_equal(fp_quality_reason_name(FP_QREASON_NO_FACE), "no_face");
    fp_image_free(land);

    fp_image *portrait = load(SHARP_LFW);
    e = environment(NULL, portrait, NULL);
    assert_true(e.pass);
    assert_int_equal(e.n_faces, 1);
    /* several_faces_ratio: with ratio 0 a tiny second box counts, with 0.5 not */
    fp_quality_face two[2];
    assert_int_equal(detect(portrait, two, NULL), 1);
    two[1] = two[0];
    two[1].w = two[1].h = two[0].w / 4;
    fp_quality_config cfg;
    fp_quality_config_default(&cfg);
    assert_int_equal(fp_quality_environment(&cfg, portrait, two, 2, &e, NULL), FP_OK);
    assert_int_equal(e.n_faces, 1);
    cfg.several_faces_ratio = 0;
    assert_int_equal(fp_quality_environment(&cfg, portrait, two, 2, &e, NULL), FP_OK);
    assert_true(env_has(&e, FP_QREASON_SEVERAL_FACES));
    fp_image_free(portrait);
}

/* a darkened frame is "scene too dark"; a bright background
 * around a darkened face is back-lit. */
static void test_environment_light(void **state)
{
    (void)state;
    fp_quality_face f;
    fp_image *img = sharp_face(&f);
    fp_image *dark = copy(img);
    affine_pixels(dark, 0.2, 0, 0, 0, 0, 0);
    fp_quality_environment_report e;
    assert_int_equal(fp_quality_environment(NULL, dark, &f, 1, &e, NULL), FP_OK);
    assert_true(env_has(&e, FP_QREASON_SCENE_TOO_DARK));
    assert_false(env_has(&e, FP_QREASON_BACKLIT));

    fp_image *backlit = copy(img);
    affine_pixels(backlit, 1.0, 150, 0, 0, 0, 0); /* bright window everywhere */
    int x0 = (int)(f.x - 0.25f * f.w), y0 = (int)(f.y - 0.25f * f.h), side = (int)(1.5f * f.w);
    fp_image *face_only = NULL;
    assert_int_equal(fp_image_crop(img, x0, y0, side, side, &face_only, NULL), FP_OK);
    for (int y = 0; y < side; y++) /* paste the original face region back, darkened */
        for (int x = 0; x < side; x++)
            if (y0 + y >= 0 && x0 + x >= 0 && y0 + y < img->height && x0 + x < img->width)
                for (int c = 0; c < 3; c++)
                    backlit->pixels[(size_t)(y0 + y) * backlit->stride + 3 * (size_t)(x0 + x) + c] =
                        clamp8(0.5 * face_only->pixels[(size_t)y * face_only->stride + 3 * (size_t)x + c]);
    assert_int_equal(fp_quality_environment(NULL, backlit, &f, 1, &e, NULL), FP_OK);
    print_message("backlit: face %.0f background %.0f\n", e.face_brightness, e.background_brightness);
    assert_true(env_has(&e, FP_QREASON_BACKLIT));
    assert_true(e.face_brightness < 0.55f * e.background_brightness);
    assert_int_equal(fp_quality_environment(NULL, img, &f, 1, &e, NULL), FP_OK);
    assert_false(env_has(&e, FP_QREASON_BACKLIT));
    fp_image_free(face_only);
    fp_image_free(backlit);
    fp_image_free(dark);
    fp_image_free(img);
}

/* ---- best frame ------------------------------------------------------------- */

/* in a shuffled blur series the sharp frame wins; with a lenient
 * sharpness threshold (all pass) the ranking still follows sharpness; with
 * every frame failing there is no best frame. */
static void test_best_frame(void **state)
{
    (void)state;
    fp_quality_face f;
    fp_image *img = sharp_face(&f);
    static const int radii[5] = {2, 1, 0, 3, 4};
    fp_quality_report reps[5], lenient_reps[5];
    fp_quality_config lenient;
    fp_quality_config_default(&lenient);
    lenient.min_sharpness = 0.001f;
    for (int i = 0; i < 5; i++) {
        fp_image *b = radii[i] ? box_blur(img, radii[i]) : copy(img);
        reps[i] = assess(NULL, b, &f);
        lenient_reps[i] = assess(&lenient, b, &f);
        fp_image_free(b);
    }
    assert_int_equal(fp_quality_best(reps, 5), 2);
    assert_int_equal(fp_quality_best(lenient_reps, 5), 2);
    for (int i = 0; i < 5; i++)
        assert_true(lenient_reps[i].pass);
    /* without the sharp frame, the least blurred (radius 1) among passing ones */
    lenient_reps[2].pass = 0;
    assert_int_equal(fp_quality_best(lenient_reps, 5), 1);
    reps[2].pass = 0;
    reps[1].pass = 0;
    assert_int_equal(fp_quality_best(reps, 5), -1);
    assert_int_equal(fp_quality_best(reps, 0), -1);
    assert_int_equal(fp_quality_best(NULL, 3), -1);
    fp_image_free(img);
}

/* ---- data set and errors ---------------------------------------------------- */

/* Default thresholds on real photos: at least 90 % of the first 100 LFW
 * images (sorted paths, one face each) pass. */
static void test_lfw_pass_rate(void **state)
{
    (void)state;
    FILE *list = fopen(fx_shared_path("data/lfw/protocol/lfw-names.txt"), "r");
    assert_non_null(list);
    char line[256];
    int tried = 0, passed = 0;
    long per_reason[FP_QREASON_COUNT] = {0};
    while (tried < 100 && fgets(line, sizeof line, list)) {
        char name[200];
        if (sscanf(line, "%199s", name) != 1)
            continue;
        char rel[512];
        snprintf(rel, sizeof rel, "data/lfw/lfw/%s/%s_0001.jpg", name, name);
        fp_image *img = NULL;
        if (fp_image_load(fx_shared_path(rel), 0, &img, NULL) != FP_OK)
            continue;
        fp_quality_face faces[MAX_FACES];
        int m = -1;
        if (detect(img, faces, &m) > 0) {
            fp_quality_report r = assess(NULL, img, &faces[m]);
            passed += r.pass;
            for (int i = 0; i < r.n_failures; i++)
                per_reason[r.failures[i]]++;
        }
        tried++;
        fp_image_free(img);
    }
    fclose(list);
    print_message("LFW: %d / %d pass;", passed, tried);
    for (int i = 1; i < FP_QREASON_COUNT; i++)
        if (per_reason[i])
            print_message(" %s %ld", fp_quality_reason_name((fp_quality_reason)i), per_reason[i]);
    print_message("\n");
    assert_int_equal(tried, 100);
    assert_true(passed >= 90);
}

static void test_errors(void **state)
{
    (void)state;
    fp_quality_face f;
    fp_image *img = sharp_face(&f);
    fp_quality_report r;
    fp_error err = {0};
    assert_int_equal(fp_quality_assess(NULL, NULL, &f, &r, &err), FP_ERR_INVALID_ARG);
    assert_int_equal(fp_quality_assess(NULL, img, NULL, &r, &err), FP_ERR_INVALID_ARG);
    assert_int_equal(fp_quality_assess(NULL, img, &f, NULL, &err), FP_ERR_INVALID_ARG);
    fp_quality_face g = f;
    g.w = 0;
    assert_int_equal(fp_quality_assess(NULL, img, &g, &r, &err), FP_ERR_INVALID_ARG);
    g = f;
    g.x = NAN;
    assert_int_equal(fp_quality_assess(NULL, img, &g, &r, &err), FP_ERR_INVALID_ARG);
    g = f;
    g.x = 1e6f;
    assert_int_equal(fp_quality_assess(NULL, img, &g, &r, &err), FP_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "outside"));
    g = f;
    g.n_keypoints = 2;
    assert_int_equal(fp_quality_assess(NULL, img, &g, &r, &err), FP_ERR_INVALID_ARG);
    fp_quality_config cfg;
    fp_quality_config_default(&cfg);
    cfg.max_yaw = NAN;
    assert_int_equal(fp_quality_assess(&cfg, img, &f, &r, &err), FP_ERR_INVALID_ARG);
    /* NAN key points: size falls back to the box, occlusion is skipped */
    g = f;
    g.keypoints[0][0] = NAN;
    assert_int_equal(fp_quality_assess(NULL, img, &g, &r, &err), FP_OK);
    assert_true(isnan(r.eye_distance));
    assert_false(r.checks[FP_QUALITY_OCCLUSION].evaluated);
    /* absurd but finite key points: no overflow (checked under UBSan), the
     * key points are outside the image so completeness fails */
    g = f;
    for (int k = 0; k < g.n_keypoints; k++)
        g.keypoints[k][0] = (k & 1) ? 3e38f : -3e38f, g.keypoints[k][1] = 1e30f;
    assert_int_equal(fp_quality_assess(NULL, img, &g, &r, &err), FP_OK);
    assert_int_equal(r.checks[FP_QUALITY_COMPLETENESS].reason, FP_QREASON_FACE_CUT_OFF);
    assert_false(r.checks[FP_QUALITY_OCCLUSION].evaluated);

    fp_quality_environment_report e;
    assert_int_equal(fp_quality_environment(NULL, NULL, NULL, 0, &e, &err), FP_ERR_INVALID_ARG);
    assert_int_equal(fp_quality_environment(NULL, img, NULL, 1, &e, &err), FP_ERR_INVALID_ARG);
    assert_int_equal(fp_quality_environment(NULL, img, &f, -1, &e, &err), FP_ERR_INVALID_ARG);
    assert_int_equal(fp_quality_environment(NULL, img, NULL, 0, &e, &err), FP_OK);
    assert_true(env_has(&e, FP_QREASON_NO_FACE));

    assert_string_equal(fp_quality_check_name(FP_QUALITY_SHARPNESS), "sharpness");
    assert_string_equal(fp_quality_check_name((fp_quality_check)99), "unknown");
    assert_string_equal(fp_quality_reason_name((fp_quality_reason)-1), "unknown");
    assert_string_equal(fp_quality_reason_text(FP_QREASON_COUNT), "unknown");
    /* every reason has a distinct name */
    for (int i = 0; i < FP_QREASON_COUNT; i++)
        for (int j = i + 1; j < FP_QREASON_COUNT; j++)
            assert_string_not_equal(fp_quality_reason_name((fp_quality_reason)i),
                                    fp_quality_reason_name((fp_quality_reason)j));
    fp_image_free(img);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sharp_face_passes),
        cmocka_unit_test(test_blur_fails_sharpness),
        cmocka_unit_test(test_illumination),
        cmocka_unit_test(test_completeness),
        cmocka_unit_test(test_small_face),
        cmocka_unit_test(test_occlusion),
        cmocka_unit_test(test_pose_eyes_mouth),
        cmocka_unit_test(test_config_changes_outcome),
        cmocka_unit_test(test_environment_faces),
        cmocka_unit_test(test_environment_light),
        cmocka_unit_test(test_best_frame),
        cmocka_unit_test(test_lfw_pass_rate),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
