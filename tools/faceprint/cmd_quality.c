/* `faceprint quality` (see cmd_quality.h and docs/CLI.md). */
#include "cmd_quality.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "faceprint/face.h"
#include "faceprint/image.h"
#include "faceprint/quality.h"

#define MAX_FACES 64

/* Thresholds settable with --set NAME=VALUE (names = the config fields). */
static const struct {
    const char *name;
    size_t offset;
} settable[] = {
#define F(field) {#field, offsetof(fp_quality_config, field)}
    F(min_eye_distance),   F(min_face_size),        F(min_sharpness),      F(min_brightness),
    F(max_brightness),     F(max_clipped_fraction), F(min_contrast),       F(min_uniformity),
    F(completeness_margin), F(min_inside_fraction), F(min_skin_match),     F(max_yaw),
    F(max_pitch),          F(max_roll),             F(min_eye_openness),   F(max_mouth_openness),
    F(scene_min_brightness), F(scene_max_brightness), F(backlit_ratio),    F(several_faces_ratio),
#undef F
};

typedef struct q_opts {
    int json, summary, threads;
    float min_score;
    fp_quality_config cfg;
    int n_paths;
    char **paths;
} q_opts;

static int set_threshold(fp_quality_config *cfg, const char *arg)
{
    const char *eq = strchr(arg, '=');
    double v;
    if (!eq || !tool_parse_number(eq + 1, -1e6, 1e6, &v))
        return 0;
    for (size_t i = 0; i < sizeof settable / sizeof settable[0]; i++)
        if (strlen(settable[i].name) == (size_t)(eq - arg) && !strncmp(settable[i].name, arg, (size_t)(eq - arg))) {
            *(float *)((char *)cfg + settable[i].offset) = (float)v;
            return 1;
        }
    return 0;
}

static int disable_check(fp_quality_config *cfg, const char *name)
{
    for (int c = 0; c < FP_QUALITY_N_CHECKS; c++)
        if (!strcmp(fp_quality_check_name((fp_quality_check)c), name)) {
            cfg->disabled |= FP_QUALITY_BIT(c);
            return 1;
        }
    return 0;
}

static int parse_opts(int argc, char **argv, q_opts *o)
{
    memset(o, 0, sizeof *o);
    o->threads = 1;
    fp_quality_config_default(&o->cfg);
    o->paths = calloc((size_t)argc + 1, sizeof *o->paths);
    if (!o->paths)
        return 2;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        double v;
        int has = i + 1 < argc;
        if (!strcmp(a, "--json")) {
            o->json = 1;
        } else if (!strcmp(a, "--summary")) {
            o->summary = 1;
        } else if (!strcmp(a, "--threads") && has && tool_parse_number(argv[i + 1], 1, 256, &v)) {
            o->threads = (int)v, i++;
        } else if (!strcmp(a, "--min-score") && has && tool_parse_number(argv[i + 1], 0.01, 1, &v)) {
            o->min_score = (float)v, i++;
        } else if (!strcmp(a, "--set") && has && set_threshold(&o->cfg, argv[i + 1])) {
            i++;
        } else if (!strcmp(a, "--disable") && has && disable_check(&o->cfg, argv[i + 1])) {
            i++;
        } else if (!strcmp(a, "--")) {
            while (++i < argc)
                o->paths[o->n_paths++] = argv[i];
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "faceprint quality: bad option '%s'%s\n", a, has ? " (or bad value)" : "");
            return 2;
        } else {
            o->paths[o->n_paths++] = argv[i];
        }
    }
    return 0;
}

/* JSON number, null for NAN / infinity. */
static void json_num(float v)
{
    if (isfinite(v))
        printf("%.4g", v);
    else
        printf("null");
}

static void print_reasons_json(const fp_quality_reason *r, int n)
{
    putchar('[');
    for (int i = 0; i < n; i++) {
        printf("%s{\"code\":\"%s\",\"text\":", i ? "," : "", fp_quality_reason_name(r[i]));
        tool_json_string(stdout, fp_quality_reason_text(r[i]));
        putchar('}');
    }
    putchar(']');
}

static void print_env_json(const fp_quality_environment_report *e)
{
    printf("{\"pass\":%s,\"faces\":%d,\"brightness\":", e->pass ? "true" : "false", e->n_faces);
    json_num(e->brightness);
    printf(",\"dark_fraction\":");
    json_num(e->dark_fraction);
    printf(",\"bright_fraction\":");
    json_num(e->bright_fraction);
    printf(",\"face_brightness\":");
    json_num(e->face_brightness);
    printf(",\"background_brightness\":");
    json_num(e->background_brightness);
    printf(",\"reasons\":");
    print_reasons_json(e->reasons, e->n_reasons);
    putchar('}');
}

static void print_report_json(const fp_face *f, const fp_quality_report *r)
{
    printf("{\"box\":[%.1f,%.1f,%.1f,%.1f],\"score\":%.4f,\"pass\":%s,\"quality\":", f->x, f->y, f->w, f->h,
           f->score, r->pass ? "true" : "false");
    json_num(r->score);
    printf(",\"reasons\":");
    print_reasons_json(r->failures, r->n_failures);
    printf(",\"checks\":{");
    for (int c = 0; c < FP_QUALITY_N_CHECKS; c++) {
        const fp_quality_result *x = &r->checks[c];
        printf("%s\"%s\":{\"evaluated\":%s,\"pass\":%s,\"value\":", c ? "," : "",
               fp_quality_check_name((fp_quality_check)c), x->evaluated ? "true" : "false",
               x->pass ? "true" : "false");
        json_num(x->value);
        printf(",\"score\":");
        json_num(x->score);
        printf(",\"reason\":");
        if (x->reason != FP_QREASON_NONE)
            printf("\"%s\"", fp_quality_reason_name(x->reason));
        else
            printf("null");
        putchar('}');
    }
    printf("},\"measures\":{\"eye_distance\":");
    json_num(r->eye_distance);
    printf(",\"face_size\":");
    json_num(r->face_size);
    printf(",\"brightness\":");
    json_num(r->brightness);
    printf(",\"contrast\":");
    json_num(r->contrast);
    printf(",\"dark_fraction\":");
    json_num(r->dark_fraction);
    printf(",\"bright_fraction\":");
    json_num(r->bright_fraction);
    printf(",\"left_brightness\":");
    json_num(r->left_brightness);
    printf(",\"right_brightness\":");
    json_num(r->right_brightness);
    printf("}}");
}

static void print_report_text(const fp_face *f, const fp_quality_report *r)
{
    printf("  main face: box x=%.0f y=%.0f w=%.0f h=%.0f: %s (quality %.2f)\n", f->x, f->y, f->w, f->h,
           r->pass ? "PASS" : "FAIL", r->score);
    for (int c = 0; c < FP_QUALITY_N_CHECKS; c++) {
        const fp_quality_result *x = &r->checks[c];
        if (!x->evaluated) {
            printf("    %-12s  -        not evaluated\n", fp_quality_check_name((fp_quality_check)c));
            continue;
        }
        printf("    %-12s  %-7.4g  %.2f  %s%s%s\n", fp_quality_check_name((fp_quality_check)c), x->value, x->score,
               x->pass ? "ok" : "FAIL: ", x->pass ? "" : fp_quality_reason_text(x->reason), "");
    }
}

int cmd_quality(int argc, char **argv)
{
    q_opts o;
    int rc = parse_opts(argc, argv, &o);
    if (rc == 0 && o.n_paths == 0) {
        fprintf(stderr, "usage: faceprint quality [--json] [--summary] [--threads N] [--min-score S]\n"
                        "                         [--set NAME=VALUE]... [--disable CHECK]... IMAGE...\n");
        rc = 2;
    }
    fp_face_engine *engine = NULL;
    if (rc == 0) {
        fp_face_config fc = {tool_models_dir(), o.threads, o.min_score, 0.f};
        fp_error err = {0};
        fp_status st = fp_face_engine_new(&fc, &engine, &err);
        if (st != FP_OK)
            rc = tool_fail("cannot load the face models", st, &err);
    }
    long n_images = 0, n_pass = 0, n_env_pass = 0;
    long per_reason[FP_QREASON_COUNT] = {0};
    for (int i = 0; rc != 2 && engine && i < o.n_paths; i++) {
        fp_error err = {0};
        fp_image *img = NULL;
        fp_face faces[MAX_FACES];
        fp_quality_face qf[MAX_FACES];
        int n = 0;
        fp_status st = fp_image_load(o.paths[i], 0, &img, &err);
        if (st == FP_OK)
            st = fp_face_detect(engine, img, faces, MAX_FACES, &n, &err);
        if (st != FP_OK) {
            rc = tool_fail(o.paths[i], st, &err);
            fp_image_free(img);
            continue;
        }
        for (int k = 0; k < n; k++)
            fp_quality_face_from_detection(&faces[k], &qf[k]);
        fp_quality_environment_report env;
        fp_quality_report rep;
        int main_face = fp_face_main(faces, n, img->width, img->height);
        /* pose and eye/mouth closure come from the face mesh (Q-10..Q-12);
         * both modules use yaw > 0 = nose toward image right, pitch > 0 = up */
        if (main_face >= 0) {
            fp_landmarks *lm = malloc(sizeof *lm);
            fp_error lm_err = {0};
            if (lm && fp_face_landmarks(engine, img, &faces[main_face], lm, &lm_err) == FP_OK) {
                qf[main_face].yaw = lm->yaw;
                qf[main_face].pitch = lm->pitch;
                qf[main_face].roll = lm->roll;
                qf[main_face].eye_openness[0] = lm->eye_open[0];
                qf[main_face].eye_openness[1] = lm->eye_open[1];
                qf[main_face].mouth_openness = lm->mouth_open;
            }
            if (lm)
                explicit_bzero(lm, sizeof *lm);
            free(lm);
        }
        st = fp_quality_environment(&o.cfg, img, qf, n, &env, &err);
        if (st == FP_OK && main_face >= 0)
            st = fp_quality_assess(&o.cfg, img, &qf[main_face], &rep, &err);
        if (st != FP_OK) {
            rc = tool_fail(o.paths[i], st, &err);
            fp_image_free(img);
            continue;
        }
        n_images++;
        n_env_pass += env.pass;
        for (int k = 0; k < env.n_reasons; k++)
            per_reason[env.reasons[k]]++;
        if (main_face >= 0) {
            n_pass += rep.pass;
            for (int k = 0; k < rep.n_failures; k++)
                per_reason[rep.failures[k]]++;
        }
        if (o.json) {
            printf("{\"path\":");
            tool_json_string(stdout, o.paths[i]);
            printf(",\"width\":%d,\"height\":%d,\"pass\":%s,\"environment\":", img->width, img->height,
                   env.pass && main_face >= 0 && rep.pass ? "true" : "false");
            print_env_json(&env);
            printf(",\"face\":");
            if (main_face >= 0)
                print_report_json(&faces[main_face], &rep);
            else
                printf("null");
            printf("}\n");
        } else {
            printf("%s: %dx%d, %d face%s: %s\n", o.paths[i], img->width, img->height, n, n == 1 ? "" : "s",
                   env.pass && main_face >= 0 && rep.pass ? "PASS" : "FAIL");
            printf("  environment: %s", env.pass ? "ok" : "");
            for (int k = 0; k < env.n_reasons; k++)
                printf("%s%s", k ? ", " : "", fp_quality_reason_text(env.reasons[k]));
            printf(" (frame luma %.0f", env.brightness);
            if (!isnan(env.face_brightness))
                printf(", face %.0f", env.face_brightness);
            if (!isnan(env.background_brightness))
                printf(", background %.0f", env.background_brightness);
            printf(")\n");
            if (main_face >= 0)
                print_report_text(&faces[main_face], &rep);
        }
        fp_image_free(img);
    }
    if (o.summary && n_images > 0) {
        FILE *s = o.json ? stderr : stdout;
        fprintf(s, "summary: %ld images, main face passes %ld, environment passes %ld\n", n_images, n_pass,
                n_env_pass);
        for (int r = 1; r < FP_QREASON_COUNT; r++)
            if (per_reason[r])
                fprintf(s, "  %-20s %ld\n", fp_quality_reason_name((fp_quality_reason)r), per_reason[r]);
    }
    fp_face_engine_free(engine);
    free(o.paths);
    return rc;
}
