/* Multi-scale detection (include/faceprint/face_detect.h, CAP-3, PERF-1).
 *
 * The default run checks a small slice (fast, also under ASan):
 *   - the tile plan: no tiles for small images, bounded count for large ones;
 *   - dlib's 2008_004176.jpg (7 faces of 37 px in 480x438): the multi-scale
 *     detector finds at least as many annotated faces (IoU >= 0.4) as the
 *     single 256x256 pass, and all 7;
 *   - one LFW image: exactly one face, one model run;
 *   - argument errors.
 *
 * FP_DETECT_RECALL_FULL=1 prints the recall/precision table of
 * docs/BENCHMARKS.md "Pipeline" (dlib_faces_annotated boxes, CompreFace nose
 * points, dogs.jpg negatives, the first FP_LFW_N (default 2000) LFW images),
 * for several detector configurations. Matching rules:
 *   - boxes: greedy by detection score, a detection matches the unmatched
 *     annotated box of highest IoU if that IoU >= 0.4;
 *   - nose points: a detection matches an unmatched annotated nose inside its
 *     box (the one nearest the box centre);
 *   - LFW (150x150 web copies): acquired when some detection's centre lies
 *     within 0.2 x side (30 px) of the image centre (the subject is centred). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "faceprint/face.h"
#include "faceprint/face_detect.h"
#include "faceprint/image.h"
#include "support/fixture.h"

#define MAX_FACES 256
#define MAX_GT 64

static fp_face_engine *engine;

typedef struct gt_image {
    char file[128];
    int n;
    float box[MAX_GT][4]; /* x, y, w, h; or nose x, y */
    int points;           /* 1 = nose points */
} gt_image;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static float iou(const fp_face *f, const float *b)
{
    float ax2 = f->x + f->w, ay2 = f->y + f->h, bx2 = b[0] + b[2], by2 = b[1] + b[3];
    float iw = fminf(ax2, bx2) - fmaxf(f->x, b[0]), ih = fminf(ay2, by2) - fmaxf(f->y, b[1]);
    if (iw <= 0 || ih <= 0)
        return 0;
    float inter = iw * ih;
    return inter / (f->w * f->h + b[2] * b[3] - inter);
}

/* Faces are strongest first; returns matched count. */
static int match(const fp_face *faces, int n, const gt_image *g)
{
    int used[MAX_GT] = {0}, hits = 0;
    for (int i = 0; i < n; i++) {
        int best = -1;
        float best_v = 0;
        for (int j = 0; j < g->n; j++) {
            if (used[j])
                continue;
            float v;
            if (g->points) {
                const float *p = g->box[j];
                const fp_face *f = &faces[i];
                if (p[0] < f->x || p[0] > f->x + f->w || p[1] < f->y || p[1] > f->y + f->h)
                    continue;
                v = 1.f / (1.f + hypotf(p[0] - (f->x + f->w / 2), p[1] - (f->y + f->h / 2)));
            } else {
                v = iou(&faces[i], g->box[j]);
                if (v < 0.4f)
                    continue;
            }
            if (v > best_v)
                best = j, best_v = v;
        }
        if (best >= 0) {
            used[best] = 1;
            hits++;
        }
    }
    return hits;
}

/* dlib imglab XML: <image file='x'> <box top left width height/> ... */
static int load_dlib(gt_image *out, int max)
{
    int count = 0;
    static const char *const xmls[2] = {"data/dlib_faces_annotated/annotations/training.xml",
                                        "data/dlib_faces_annotated/annotations/testing.xml"};
    for (int x = 0; x < 2; x++) {
        FILE *fp = fopen(fx_shared_path(xmls[x]), "r");
        if (!fp)
            continue;
        char line[512];
        gt_image *cur = NULL;
        while (fgets(line, sizeof line, fp)) {
            char *p;
            if ((p = strstr(line, "<image file='")) && count < max) {
                cur = &out[count++];
                memset(cur, 0, sizeof *cur);
                sscanf(p + 13, "%127[^']", cur->file);
            } else if ((p = strstr(line, "<box top='")) && cur && cur->n < MAX_GT) {
                int t, l, w, h;
                if (sscanf(p, "<box top='%d' left='%d' width='%d' height='%d'", &t, &l, &w, &h) == 4) {
                    float *b = cur->box[cur->n++];
                    b[0] = (float)l, b[1] = (float)t, b[2] = (float)w, b[3] = (float)h;
                }
            } else if (strstr(line, "</image>"))
                cur = NULL;
        }
        fclose(fp);
    }
    return count;
}

static fp_status detect(const fp_image *img, const fp_face_detect_options *opt, fp_face *faces, int *n)
{
    fp_error err = {0};
    fp_status st = opt ? fp_face_detect_ex(engine, img, opt, faces, MAX_FACES, n, &err)
                       : fp_face_detect(engine, img, faces, MAX_FACES, n, &err);
    if (st != FP_OK)
        print_error("detect: %s\n", err.message);
    return st;
}

static fp_image *load(const char *rel)
{
    fp_image *img = NULL;
    fp_error err = {0};
    if (fp_image_load(fx_shared_path(rel), 0, &img, &err) != FP_OK)
        print_error("%s: %s\n", rel, err.message);
    return img;
}

/* ---- fast slice ------------------------------------------------------------ */

static void test_plan(void **state)
{
    (void)state;
    int eff = 0;
    /* LFW-sized and VGA-ish images with large faces: full pass only when the
     * long side is <= min_face * 256 / 24. */
    assert_int_equal(fp_face_detect_plan(150, 150, NULL, &eff), 0);
    assert_int_equal(fp_face_detect_plan(200, 200, NULL, &eff), 0);
    fp_face_detect_options none = {-1, 0, 0, 0.f};
    assert_int_equal(fp_face_detect_plan(4000, 3000, &none, NULL), 0);
    int t = fp_face_detect_plan(500, 375, NULL, &eff);
    assert_true(t > 0 && t <= FP_FACE_DEFAULT_MAX_TILES);
    assert_true(eff <= FP_FACE_DEFAULT_MIN_FACE + 1);
    /* Huge images: the cap holds and the minimum face grows. */
    t = fp_face_detect_plan(6988, 4664, NULL, &eff);
    assert_true(t > 0 && t <= FP_FACE_DEFAULT_MAX_TILES);
    assert_true(eff > FP_FACE_DEFAULT_MIN_FACE);
    fp_face_detect_options big = {20, 0, 1000, 0.f};
    assert_true(fp_face_detect_plan(2000, 1500, &big, &eff) > FP_FACE_DEFAULT_MAX_TILES);
}

static void test_small_faces(void **state)
{
    (void)state;
    static gt_image gt[16];
    int n_img = load_dlib(gt, 16);
    const gt_image *g = NULL;
    for (int i = 0; i < n_img; i++)
        if (!strcmp(gt[i].file, "2008_004176.jpg"))
            g = &gt[i];
    assert_non_null(g);
    assert_int_equal(g->n, 7);
    fp_image *img = load("data/dlib_faces_annotated/images/2008_004176.jpg");
    assert_non_null(img);
    fp_face faces[MAX_FACES];
    int n0 = 0, n1 = 0;
    assert_int_equal(detect(img, NULL, faces, &n0), FP_OK);
    int hit0 = match(faces, n0, g);
    assert_int_equal(detect(img, &(fp_face_detect_options){0, 0, 0, 0.f}, faces, &n1), FP_OK);
    int hit1 = match(faces, n1, g);
    print_message("2008_004176: single pass %d/%d (%d boxes), multi-scale %d/%d (%d boxes)\n", hit0, g->n, n0, hit1,
                  g->n, n1);
    assert_true(hit1 >= hit0);
    assert_int_equal(hit1, 7);
    assert_true(n1 - hit1 <= 1); /* at most one unmatched box */
    /* Boxes are square, in the image, strongest first. */
    for (int i = 0; i < n1; i++) {
        assert_true(faces[i].w == faces[i].h && faces[i].w > 0);
        if (i)
            assert_true(faces[i].score <= faces[i - 1].score);
    }
    fp_image_free(img);
}

static void test_lfw_one_face(void **state)
{
    (void)state;
    fp_image *img = load("data/lfw/lfw/Aaron_Eckhart/Aaron_Eckhart_0001.jpg");
    assert_non_null(img);
    fp_face faces[8];
    int n = 0;
    fp_error err = {0};
    assert_int_equal(fp_face_detect_ex(engine, img, NULL, faces, 8, &n, &err), FP_OK);
    assert_int_equal(n, 1);
    assert_true(fabsf(faces[0].x + faces[0].w / 2 - 75) < 20 && fabsf(faces[0].y + faces[0].h / 2 - 75) < 25);
    /* max bounds the output; 0 is allowed */
    assert_int_equal(fp_face_detect_ex(engine, img, NULL, NULL, 0, &n, &err), FP_OK);
    assert_int_equal(n, 0);
    assert_int_equal(fp_face_detect_ex(NULL, img, NULL, faces, 8, &n, &err), FP_ERR_INVALID_ARG);
    assert_int_equal(fp_face_detect_ex(engine, NULL, NULL, faces, 8, &n, &err), FP_ERR_INVALID_ARG);
    assert_int_equal(fp_face_detect_ex(engine, img, NULL, NULL, 8, &n, &err), FP_ERR_INVALID_ARG);
    assert_int_equal(fp_face_detect_ex(engine, img, NULL, faces, 8, NULL, &err), FP_ERR_INVALID_ARG);
    fp_image_free(img);
}

/* ---- full evaluation (FP_DETECT_RECALL_FULL=1) ------------------------------- */

typedef struct config {
    const char *name;
    int human; /* fp_face_detect */
    fp_face_detect_options opt;
} config;

static int load_compreface(gt_image *out, int max)
{
    FILE *fp = fopen(fx_shared_path("data/compreface_samples/annotations_nose_points.csv"), "r");
    if (!fp)
        return 0;
    char line[1024];
    int count = 0;
    if (!fgets(line, sizeof line, fp)) {
        fclose(fp);
        return 0;
    }
    while (count < max && fgets(line, sizeof line, fp)) {
        gt_image *g = &out[count];
        memset(g, 0, sizeof *g);
        g->points = 1;
        int faces = 0, pos = 0;
        if (sscanf(line, "%127[^,],%d,%n", g->file, &faces, &pos) < 2)
            continue;
        char *p = line + pos;
        float x, y;
        int used;
        while (g->n < MAX_GT && sscanf(p, "%f:%f%n", &x, &y, &used) == 2) {
            g->box[g->n][0] = x, g->box[g->n][1] = y;
            g->n++;
            p += used;
        }
        count++;
    }
    fclose(fp);
    return count;
}

static int cmp_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static void eval_set(const char *label, const char *dir, const gt_image *gt, int n_img, const config *cfg)
{
    int total_gt = 0, hits = 0, dets = 0;
    double ms = 0;
    for (int i = 0; i < n_img; i++) {
        char rel[512];
        snprintf(rel, sizeof rel, "%s/%s", dir, gt[i].file);
        fp_image *img = load(rel);
        if (!img)
            continue;
        fp_face faces[MAX_FACES];
        int n = 0;
        double t0 = now_ms();
        detect(img, cfg->human ? NULL : &cfg->opt, faces, &n);
        ms += now_ms() - t0;
        int h = match(faces, n, &gt[i]);
        if (getenv("FP_DETECT_RECALL_VERBOSE"))
            print_message("  %s %s: %d/%d, %d boxes\n", cfg->name, gt[i].file, h, gt[i].n, n);
        total_gt += gt[i].n;
        hits += h;
        dets += n;
        fp_image_free(img);
    }
    print_message("| %s | %s | %d/%d = %.1f %% | %d/%d = %.1f %% | %.0f |\n", cfg->name, label, hits, total_gt,
                  100.0 * hits / (total_gt ? total_gt : 1), hits, dets, 100.0 * hits / (dets ? dets : 1),
                  ms / (n_img ? n_img : 1));
}

static void eval_lfw(const config *cfg, int limit)
{
    const char *root = fx_shared_path("data/lfw/lfw");
    char rootbuf[1024];
    snprintf(rootbuf, sizeof rootbuf, "%s", root);
    struct dirent **people = NULL;
    int np = scandir(rootbuf, &people, NULL, cmp_name);
    int done = 0, acquired = 0, multi = 0;
    double ms = 0;
    for (int p = 0; p < np; p++) {
        if (people[p]->d_name[0] != '.' && done < limit) {
            char pdir[1400];
            snprintf(pdir, sizeof pdir, "%s/%s", rootbuf, people[p]->d_name);
            struct dirent **files = NULL;
            int nf = scandir(pdir, &files, NULL, cmp_name);
            for (int f = 0; f < nf; f++) {
                if (files[f]->d_name[0] != '.' && done < limit) {
                    char path[1800];
                    snprintf(path, sizeof path, "%s/%s", pdir, files[f]->d_name);
                    fp_image *img = NULL;
                    fp_error err = {0};
                    if (fp_image_load(path, 0, &img, &err) == FP_OK) {
                        fp_face faces[MAX_FACES];
                        int n = 0;
                        double t0 = now_ms();
                        detect(img, cfg->human ? NULL : &cfg->opt, faces, &n);
                        ms += now_ms() - t0;
                        int ok = 0;
                        for (int i = 0; i < n; i++)
                            if (hypotf(faces[i].x + faces[i].w / 2 - img->width / 2.f,
                                       faces[i].y + faces[i].h / 2 - img->height / 2.f) < 0.2f * img->width)
                                ok = 1;
                        acquired += ok;
                        multi += n > 1;
                        if (!ok && getenv("FP_DETECT_RECALL_VERBOSE"))
                            print_message("  %s: not acquired: %s (%d boxes)\n", cfg->name, path, n);
                        fp_image_free(img);
                        done++;
                    }
                }
                free(files[f]);
            }
            free(files);
        }
        free(people[p]);
    }
    free(people);
    print_message("| %s | LFW first %d | acquired %d = %.2f %% (FTA %.2f %%) | %d images with > 1 box | %.1f |\n",
                  cfg->name, done, acquired, 100.0 * acquired / (done ? done : 1),
                  100.0 - 100.0 * acquired / (done ? done : 1), multi, ms / (done ? done : 1));
}

static void test_full_table(void **state)
{
    (void)state;
    if (!getenv("FP_DETECT_RECALL_FULL")) {
        print_message("FP_DETECT_RECALL_FULL not set: table skipped\n");
        return;
    }
    static gt_image dlib[16], cf[32];
    int n_dlib = load_dlib(dlib, 16), n_cf = load_compreface(cf, 32);
    static gt_image dogs[1];
    memset(dogs, 0, sizeof dogs);
    snprintf(dogs[0].file, sizeof dogs[0].file, "dogs.jpg");
    const config cfgs[] = {
        {"single pass, squash (Human, fp_face_detect)", 1, {0, 0, 0, 0.f}},
        {"single pass, pad", 0, {-1, 0, 0, 0.f}},
        {"tiles min 20 max 16 score 0.45, squash", 0, {20, 1, 16, 0.45f}},
        {"tiles min 20 max 16 score 0.45, pad", 0, {20, 0, 16, 0.45f}},
        {"tiles min 20 max 16 score 0.6, pad", 0, {20, 0, 16, 0.6f}},
        {"tiles min 20 max 16 score 0.7, pad (default)", 0, {20, 0, 16, 0.7f}},
        {"tiles min 20 max 16 score 0.8, pad", 0, {20, 0, 16, 0.8f}},
        {"tiles min 32 max 16 score 0.7, pad", 0, {32, 0, 16, 0.7f}},
        {"tiles min 20 max 64 score 0.7, pad", 0, {20, 0, 64, 0.7f}},
    };
    const char *only = getenv("FP_DETECT_RECALL_ONLY");
    int lfw_n = getenv("FP_LFW_N") ? atoi(getenv("FP_LFW_N")) : 2000;
    print_message("| config | data | recall | precision | ms/image |\n|---|---|---|---|---:|\n");
    for (size_t c = 0; c < sizeof cfgs / sizeof cfgs[0]; c++) {
        if (only && !strstr(cfgs[c].name, only))
            continue;
        eval_set("dlib 9 images, 43 boxes, IoU >= 0.4", "data/dlib_faces_annotated/images", dlib, n_dlib, &cfgs[c]);
        eval_set("CompreFace 18 images, 46 noses", "data/compreface_samples/images", cf, n_cf, &cfgs[c]);
        eval_set("dlib dogs.jpg (no face)", "data/dlib_faces_annotated/images", dogs, 1, &cfgs[c]);
        if (lfw_n > 0)
            eval_lfw(&cfgs[c], lfw_n);
    }
}

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plan),
        cmocka_unit_test(test_small_faces),
        cmocka_unit_test(test_lfw_one_face),
        cmocka_unit_test(test_full_table),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
