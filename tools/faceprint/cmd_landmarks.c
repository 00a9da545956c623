/* `faceprint landmarks` (see cmd_landmarks.h, docs/CLI.md): for every face
 * BlazeFace finds, facemesh's 468 points, the 5 alignment points, head pose
 * (Q-9, CAP-5), eye openness and mouth openness.
 *
 * --json prints one object per image per line; an image that cannot be read
 * or processed still gets its line, with "faces": [] and "error" set, and
 * makes the exit code 1. Mesh coordinates are printed with 0.1 px precision;
 * the printed data is face data (DP-1): output goes to stdout only. */
#include "cmd_landmarks.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "faceprint/face.h"
#include "faceprint/image.h"

#define LM_MAX_FACES 64

static void print_face_json(const fp_face *f, const fp_landmarks *lm)
{
    printf("{\"box\":[%.1f,%.1f,%.1f,%.1f],\"score\":%.4f,\"face_score\":%.4f,", f->x, f->y, f->w, f->h, f->score,
           lm->face_score);
    printf("\"pose\":{\"yaw\":%.2f,\"pitch\":%.2f,\"roll\":%.2f},", lm->yaw, lm->pitch, lm->roll);
    printf("\"eyes_open\":[%.4f,%.4f],\"mouth_open\":%.4f,\"points5\":[", lm->eye_open[0], lm->eye_open[1],
           lm->mouth_open);
    for (int k = 0; k < 5; k++)
        printf("%s[%.1f,%.1f]", k ? "," : "", lm->points5[k][0], lm->points5[k][1]);
    printf("],\"mesh\":[");
    for (int p = 0; p < FP_FACE_MESH_POINTS; p++)
        printf("%s[%.1f,%.1f,%.1f]", p ? "," : "", lm->mesh[p][0], lm->mesh[p][1], lm->mesh[p][2]);
    printf("]}");
}

static void print_face_text(int i, const fp_face *f, const fp_landmarks *lm)
{
    printf("  face %d: box x=%.1f y=%.1f w=%.1f h=%.1f score=%.3f mesh_score=%.3f\n", i, f->x, f->y, f->w, f->h,
           f->score, lm->face_score);
    printf("    pose yaw=%.1f pitch=%.1f roll=%.1f deg; eyes open %.2f %.2f; mouth open %.2f\n", lm->yaw, lm->pitch,
           lm->roll, lm->eye_open[0], lm->eye_open[1], lm->mouth_open);
    static const char *const names[5] = {"eye_l", "eye_r", "nose", "mouth_l", "mouth_r"};
    printf("   ");
    for (int k = 0; k < 5; k++)
        printf(" %s=(%.1f,%.1f)", names[k], lm->points5[k][0], lm->points5[k][1]);
    printf("\n");
}

/* One image: prints its line/block; returns 0 ok, 1 failed. */
static int run_image(fp_face_engine *engine, const char *path, int json)
{
    fp_error err = {0};
    fp_image *img = NULL;
    fp_face faces[LM_MAX_FACES];
    fp_landmarks *lms = NULL;
    int n = 0;
    fp_status st = fp_image_load(path, 0, &img, &err);
    const int load_failed = st != FP_OK; /* its message already names the path */
    if (st == FP_OK)
        st = fp_face_detect(engine, img, faces, LM_MAX_FACES, &n, &err);
    if (st == FP_OK && n > 0 && !(lms = calloc((size_t)n, sizeof *lms)))
        st = fp_error_set(&err, FP_ERR_NOMEM, "out of memory");
    for (int k = 0; st == FP_OK && k < n; k++)
        st = fp_face_landmarks(engine, img, &faces[k], &lms[k], &err);
    if (json) {
        printf("{\"path\":");
        tool_json_string(stdout, path);
        printf(",\"faces\":[");
        for (int k = 0; st == FP_OK && k < n; k++) {
            printf(k ? "," : "");
            print_face_json(&faces[k], &lms[k]);
        }
        printf("],\"error\":");
        if (st == FP_OK) {
            printf("null");
        } else {
            char msg[sizeof err.message + 64];
            snprintf(msg, sizeof msg, "%s (%s)", err.message[0] ? err.message : fp_strerror(st), fp_status_name(st));
            tool_json_string(stdout, msg);
        }
        printf("}\n");
    } else if (st == FP_OK) {
        printf("%s: %dx%d, %d face%s\n", path, img->width, img->height, n, n == 1 ? "" : "s");
        for (int k = 0; k < n; k++)
            print_face_text(k, &faces[k], &lms[k]);
    } else if (load_failed) {
        fprintf(stderr, "faceprint: %s (%s)\n", err.message[0] ? err.message : fp_strerror(st), fp_status_name(st));
    } else {
        tool_fail(path, st, &err);
    }
    /* Landmarks and boxes are face data: wipe them (DP-21). */
    if (lms) {
        explicit_bzero(lms, (size_t)n * sizeof *lms);
        free(lms);
    }
    explicit_bzero(faces, sizeof faces);
    fp_image_free(img);
    fflush(stdout);
    return st == FP_OK ? 0 : 1;
}

int cmd_landmarks(int argc, char **argv)
{
    int json = 0, threads = 1, n_paths = 0, rc = 0;
    float min_score = 0.f;
    char **paths = calloc((size_t)argc + 1, sizeof *paths);
    if (!paths)
        return 1;
    for (int i = 1; i < argc && rc == 0; i++) {
        const char *a = argv[i];
        double v;
        if (!strcmp(a, "--json")) {
            json = 1;
        } else if (!strcmp(a, "--threads") && i + 1 < argc && tool_parse_number(argv[i + 1], 1, 256, &v)) {
            threads = (int)v;
            i++;
        } else if (!strcmp(a, "--min-score") && i + 1 < argc && tool_parse_number(argv[i + 1], 0.01, 1, &v)) {
            min_score = (float)v;
            i++;
        } else if (!strcmp(a, "--")) {
            while (++i < argc)
                paths[n_paths++] = argv[i];
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "faceprint landmarks: bad option '%s'%s\n", a, i + 1 >= argc ? "" : " (or bad value)");
            rc = 2;
        } else {
            paths[n_paths++] = argv[i];
        }
    }
    if (rc == 0 && n_paths == 0) {
        fprintf(stderr, "usage: faceprint landmarks [--json] [--threads N] [--min-score S] IMAGE...\n");
        rc = 2;
    }
    fp_face_engine *engine = NULL;
    if (rc == 0) {
        fp_face_config cfg = {tool_models_dir(), threads, min_score, 0.f};
        fp_error err = {0};
        fp_status st = fp_face_engine_new(&cfg, &engine, &err);
        if (st != FP_OK)
            rc = tool_fail("cannot load the face models", st, &err);
    }
    for (int i = 0; engine && i < n_paths; i++)
        if (run_image(engine, paths[i], json))
            rc = 1;
    fp_face_engine_free(engine);
    free(paths);
    return rc;
}
