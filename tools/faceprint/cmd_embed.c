/* `faceprint embed` (see cmd_embed.h). */
#include "cmd_embed.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "faceprint/face.h"
#include "faceprint/image.h"

#define MAX_FACES 64

static double json_num(float v)
{
    return isfinite(v) ? (double)v : 0.0; /* JSON has no NaN / inf */
}

/* One image: prints its line, returns 0 ok / 1 failed. */
static int embed_image(fp_face_engine *engine, const char *path, int json)
{
    fp_error err = {0};
    fp_image *img = NULL;
    fp_face faces[MAX_FACES];
    int n = 0;
    float(*desc)[FP_FACE_DESCRIPTOR_DIM] = NULL;
    fp_status st = fp_image_load(path, 0, &img, &err);
    if (st == FP_OK)
        st = fp_face_detect(engine, img, faces, MAX_FACES, &n, &err);
    if (st == FP_OK && n > 0) {
        /* main face first, the rest keep the detector's order */
        int m = fp_face_main(faces, n, img->width, img->height);
        fp_face main_face = faces[m];
        memmove(faces + 1, faces, (size_t)m * sizeof *faces);
        faces[0] = main_face;
        desc = calloc((size_t)n, sizeof *desc);
        if (!desc)
            st = fp_error_set(&err, FP_ERR_NOMEM, "out of memory");
        for (int k = 0; st == FP_OK && k < n; k++)
            st = fp_face_descriptor(engine, img, &faces[k], desc[k], &err);
    }
    fp_image_free(img); /* wiped (DP-20) */
    const char *msg = st == FP_OK ? NULL : err.message[0] ? err.message : fp_strerror(st);
    if (json) {
        fputs("{\"path\":", stdout);
        tool_json_string(stdout, path);
        fputs(",\"faces\":[", stdout);
        for (int k = 0; st == FP_OK && k < n; k++) {
            const fp_face *f = &faces[k];
            printf("%s{\"box\":[%.2f,%.2f,%.2f,%.2f],\"score\":%.4f,\"quality\":{},\"descriptor\":[", k ? "," : "",
                   json_num(f->x), json_num(f->y), json_num(f->w), json_num(f->h), json_num(f->score));
            for (int i = 0; i < FP_FACE_DESCRIPTOR_DIM; i++)
                printf("%s%.7g", i ? "," : "", json_num(desc[k][i]));
            fputs("]}", stdout);
        }
        fputs("],\"error\":", stdout);
        if (msg)
            tool_json_string(stdout, msg);
        else
            fputs("null", stdout);
        fputs("}\n", stdout);
    } else if (msg) {
        printf("%s: error: %s\n", path, msg);
    } else {
        printf("%s: %d face%s", path, n, n == 1 ? "" : "s");
        if (n > 0)
            printf(", main box x=%.0f y=%.0f w=%.0f h=%.0f score=%.2f", faces[0].x, faces[0].y, faces[0].w,
                   faces[0].h, faces[0].score);
        printf("\n");
    }
    fflush(stdout);
    if (desc) {
        explicit_bzero(desc, (size_t)n * sizeof *desc);
        free(desc);
    }
    return msg ? 1 : 0;
}

static int usage(void)
{
    fprintf(stderr, "usage: faceprint embed [--json] [--threads N] [--min-score S] IMAGE... | -\n"
                    "  one line per image (main face first); '-' reads paths from stdin, one a line\n");
    return 2;
}

int cmd_embed(int argc, char **argv)
{
    int json = 0, threads = 1, from_stdin = 0, n_paths = 0;
    float min_score = 0;
    char **paths = calloc((size_t)argc + 1, sizeof *paths);
    if (!paths)
        return 1;
    int rc = 0;
    for (int i = 1; i < argc && rc == 0; i++) {
        const char *a = argv[i];
        char *end;
        if (!strcmp(a, "--json")) {
            json = 1;
        } else if (!strcmp(a, "--threads") && i + 1 < argc) {
            errno = 0;
            long v = strtol(argv[++i], &end, 10);
            if (errno || *end || v < 1 || v > 256)
                rc = usage();
            threads = (int)v;
        } else if (!strcmp(a, "--min-score") && i + 1 < argc) {
            errno = 0;
            double v = strtod(argv[++i], &end);
            if (errno || *end || !(v >= 0.01 && v <= 1))
                rc = usage();
            min_score = (float)v;
        } else if (!strcmp(a, "-")) {
            from_stdin = 1;
        } else if (!strcmp(a, "--")) {
            while (++i < argc)
                paths[n_paths++] = argv[i];
        } else if (a[0] == '-') {
            fprintf(stderr, "faceprint embed: bad option '%s'\n", a);
            rc = usage();
        } else {
            paths[n_paths++] = argv[i];
        }
    }
    if (rc == 0 && n_paths == 0 && !from_stdin)
        rc = usage();
    fp_face_engine *engine = NULL;
    if (rc == 0) {
        fp_face_config cfg = {tool_models_dir(), threads, min_score, 0.f};
        fp_error err = {0};
        fp_status st = fp_face_engine_new(&cfg, &engine, &err);
        if (st != FP_OK)
            rc = tool_fail("cannot load the face models", st, &err);
    }
    int failed = 0;
    for (int i = 0; rc == 0 && i < n_paths; i++)
        failed |= embed_image(engine, paths[i], json);
    if (rc == 0 && from_stdin) {
        char *line = NULL;
        size_t cap = 0;
        ssize_t len;
        while ((len = getline(&line, &cap, stdin)) >= 0) {
            while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
                line[--len] = 0;
            if (len > 0)
                failed |= embed_image(engine, line, json);
        }
        free(line);
    }
    fp_face_engine_free(engine);
    free(paths);
    return rc ? rc : failed;
}
