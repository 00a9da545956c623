/* `faceprint detect` / `faceprint compare` (see cmd_face.h). */
#include "cmd_face.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "faceprint/face.h"
#include "faceprint/face_detect.h"
#include "faceprint/image.h"

#define MAX_FACES 64

typedef struct face_opts {
    int json;
    int multiscale;
    int threads;
    float min_score;
    float threshold;
    int n_paths;
    char **paths;
} face_opts;

static int parse_float(const char *s, float lo, float hi, float *out)
{
    double v;
    if (!tool_parse_number(s, lo, hi, &v))
        return 0;
    *out = (float)v;
    return 1;
}

/* Returns 0 on success, 2 on a usage error (message printed). */
static int parse_opts(int argc, char **argv, int allow_threshold, face_opts *o)
{
    memset(o, 0, sizeof *o);
    o->threads = 1;
    o->threshold = FP_FACE_DEFAULT_THRESHOLD;
    o->paths = calloc((size_t)argc + 1, sizeof *o->paths);
    if (!o->paths)
        return 2;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        float v;
        if (!strcmp(a, "--json")) {
            o->json = 1;
        } else if (!strcmp(a, "--multiscale")) {
            o->multiscale = 1;
        } else if (!strcmp(a, "--threads") && i + 1 < argc && parse_float(argv[i + 1], 1, 256, &v)) {
            o->threads = (int)v;
            i++;
        } else if (!strcmp(a, "--min-score") && i + 1 < argc && parse_float(argv[i + 1], 0.01f, 1, &v)) {
            o->min_score = v;
            i++;
        } else if (allow_threshold && !strcmp(a, "--threshold") && i + 1 < argc &&
                   parse_float(argv[i + 1], 0, 100, &v)) {
            o->threshold = v;
            i++;
        } else if (!strcmp(a, "--")) {
            while (++i < argc)
                o->paths[o->n_paths++] = argv[i];
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "faceprint %s: bad option '%s'%s\n", argv[0], a,
                    i + 1 >= argc ? "" : " (or bad value)");
            return 2;
        } else {
            o->paths[o->n_paths++] = argv[i];
        }
    }
    return 0;
}

/* fp_image_load's messages already start with the path. */
static int load_fail(fp_status st, const fp_error *err)
{
    fprintf(stderr, "faceprint: %s (%s)\n", err->message[0] ? err->message : fp_strerror(st), fp_status_name(st));
    return 1;
}

static fp_status open_engine(const face_opts *o, fp_face_engine **engine)
{
    fp_face_config cfg = {tool_models_dir(), o->threads, o->min_score, 0.f};
    fp_error err = {0};
    fp_status st = fp_face_engine_new(&cfg, engine, &err);
    if (st != FP_OK)
        tool_fail("cannot load the face models", st, &err);
    return st;
}

static void print_face_json(const fp_face *f)
{
    printf("{\"box\":[%.1f,%.1f,%.1f,%.1f],\"score\":%.4f,\"keypoints\":[", f->x, f->y, f->w, f->h, f->score);
    for (int k = 0; k < FP_FACE_KEYPOINTS; k++)
        printf("%s[%.1f,%.1f]", k ? "," : "", f->keypoints[k][0], f->keypoints[k][1]);
    printf("]}");
}

static void print_face_text(int i, const fp_face *f)
{
    static const char *const names[FP_FACE_KEYPOINTS] = {"eye_l", "eye_r", "nose", "mouth", "ear_l", "ear_r"};
    printf("  face %d: box x=%.1f y=%.1f w=%.1f h=%.1f score=%.3f\n   ", i, f->x, f->y, f->w, f->h, f->score);
    for (int k = 0; k < FP_FACE_KEYPOINTS; k++)
        printf(" %s=(%.1f,%.1f)", names[k], f->keypoints[k][0], f->keypoints[k][1]);
    printf("\n");
}

int cmd_detect(int argc, char **argv)
{
    face_opts o;
    int rc = parse_opts(argc, argv, 0, &o);
    if (rc == 0 && o.n_paths == 0) {
        fprintf(stderr, "usage: faceprint detect [--json] [--multiscale] [--threads N] [--min-score S] IMAGE...\n");
        rc = 2;
    }
    fp_face_engine *engine = NULL;
    if (rc == 0 && open_engine(&o, &engine) != FP_OK)
        rc = 1;
    for (int i = 0; rc != 2 && engine && i < o.n_paths; i++) {
        fp_error err = {0};
        fp_image *img = NULL;
        fp_face faces[MAX_FACES];
        int n = 0;
        fp_status st = fp_image_load(o.paths[i], 0, &img, &err);
        if (st != FP_OK) {
            rc = load_fail(st, &err);
            continue;
        }
        /* the multi-scale pyramid finds small faces in large photos at the
         * cost of up to 17 model runs; one squashed pass is the fast default */
        if (o.multiscale)
            st = fp_face_detect_ex(engine, img, NULL, faces, MAX_FACES, &n, &err);
        else
            st = fp_face_detect(engine, img, faces, MAX_FACES, &n, &err);
        if (st != FP_OK) {
            rc = tool_fail(o.paths[i], st, &err);
        } else if (o.json) {
            printf("{\"path\":");
            tool_json_string(stdout, o.paths[i]);
            printf(",\"width\":%d,\"height\":%d,\"main\":%d,\"faces\":[", img->width, img->height,
                   fp_face_main(faces, n, img->width, img->height));
            for (int k = 0; k < n; k++) {
                printf(k ? "," : "");
                print_face_json(&faces[k]);
            }
            printf("]}\n");
        } else {
            printf("%s: %dx%d, %d face%s\n", o.paths[i], img->width, img->height, n, n == 1 ? "" : "s");
            for (int k = 0; k < n; k++)
                print_face_text(k, &faces[k]);
        }
        fp_image_free(img);
    }
    fp_face_engine_free(engine);
    free(o.paths);
    return rc;
}

/* Loads path, detects its main face and computes the descriptor. On
 * failure prints a message naming the image and returns 1. */
static int describe_main_face(fp_face_engine *engine, const char *path, fp_face *face, int *n_faces,
                              float desc[FP_FACE_DESCRIPTOR_DIM])
{
    fp_error err = {0};
    fp_image *img = NULL;
    fp_face faces[MAX_FACES];
    int n = 0;
    fp_status st = fp_image_load(path, 0, &img, &err);
    if (st != FP_OK)
        return load_fail(st, &err);
    st = fp_face_detect(engine, img, faces, MAX_FACES, &n, &err);
    if (st == FP_OK && n == 0) {
        fp_image_free(img);
        fprintf(stderr, "faceprint: %s: no face found\n", path);
        return 1;
    }
    if (st == FP_OK) {
        *face = faces[fp_face_main(faces, n, img->width, img->height)];
        *n_faces = n;
        st = fp_face_descriptor(engine, img, face, desc, &err);
    }
    /* The image is not needed once the descriptor exists (DP-20). */
    fp_image_free(img);
    return st == FP_OK ? 0 : tool_fail(path, st, &err);
}

int cmd_compare(int argc, char **argv)
{
    face_opts o;
    int rc = parse_opts(argc, argv, 1, &o);
    if (rc == 0 && o.n_paths != 2) {
        fprintf(stderr, "usage: faceprint compare [--json] [--threshold T] [--threads N] A B\n");
        rc = 2;
    }
    fp_face_engine *engine = NULL;
    if (rc == 0 && open_engine(&o, &engine) != FP_OK)
        rc = 1;
    fp_face face[2];
    int n_faces[2] = {0, 0};
    float desc[2][FP_FACE_DESCRIPTOR_DIM];
    for (int i = 0; rc == 0 && i < 2; i++)
        rc = describe_main_face(engine, o.paths[i], &face[i], &n_faces[i], desc[i]);
    if (rc == 0) {
        /* A local developer tool shows the distance; a service answering
         * verification requests returns only the decision (REC-19). */
        float d = fp_face_distance(desc[0], desc[1]);
        int same = d < o.threshold;
        if (o.json) {
            printf("{\"a\":");
            tool_json_string(stdout, o.paths[0]);
            printf(",\"b\":");
            tool_json_string(stdout, o.paths[1]);
            printf(",\"faces_a\":%d,\"faces_b\":%d,\"box_a\":[%.1f,%.1f,%.1f,%.1f],\"box_b\":[%.1f,%.1f,%.1f,%.1f],"
                   "\"distance\":%.4f,\"threshold\":%.4f,\"same_person\":%s}\n",
                   n_faces[0], n_faces[1], face[0].x, face[0].y, face[0].w, face[0].h, face[1].x, face[1].y,
                   face[1].w, face[1].h, d, o.threshold, same ? "true" : "false");
        } else {
            for (int i = 0; i < 2; i++)
                printf("%s: %d face%s, main face box x=%.0f y=%.0f w=%.0f h=%.0f score=%.2f\n", o.paths[i],
                       n_faces[i], n_faces[i] == 1 ? "" : "s", face[i].x, face[i].y, face[i].w, face[i].h,
                       face[i].score);
            printf("distance %.4f (threshold %.2f): %s\n", d, o.threshold, same ? "same person" : "different people");
        }
    }
    explicit_bzero(desc, sizeof desc);
    fp_face_engine_free(engine);
    free(o.paths);
    return rc;
}
