/* `faceprint bench pipeline` (bench_pipeline.h): decode + detect + align +
 * descriptor on one photo with one face, each stage and the whole, median of
 * N runs after warm-up. Target of the pipeline issue: single-thread full
 * pipeline <= 25 ms and >= 10x faster than face-api's TF.js full pipeline
 * (SSD MobileNet + landmarks68 + descriptor); response time PERF-12. */
#include "bench_pipeline.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_util.h"
#include "faceprint/face.h"
#include "faceprint/face_detect.h"
#include "faceprint/image.h"
#include "vision/vision.h"

#define DEFAULT_IMAGE "data/face_recognition_examples/examples/obama-480p.jpg"
#define WARMUP 3

enum { ST_DECODE, ST_DETECT, ST_ALIGN, ST_DESCRIPTOR, ST_FULL, ST_DETECT_MULTI, N_STAGES };
static const char *const stage_names[N_STAGES] = {
    "decode", "detect", "align", "descriptor", "full", "detect_multiscale",
};
static const char *const stage_desc[N_STAGES] = {
    "decode (read file + JPEG -> RGB8)",
    "detect (BlazeFace 256, single pass = fp_face_detect)",
    "align (similarity warp -> 2x 150x150 float chips)",
    "descriptor (align + ResNet 128-d, chip + mirror)",
    "full: decode + detect + main face + descriptor",
    "detect multi-scale (fp_face_detect_ex defaults, not in full)",
};

typedef struct stage_stats {
    double median, p10, p90;
} stage_stats;

static stage_stats stats(double *v, int n)
{
    stage_stats s;
    s.median = bench_median(v, (size_t)n); /* sorts v */
    s.p10 = v[(n * 1) / 10];
    s.p90 = v[(n * 9) / 10 < n ? (n * 9) / 10 : n - 1];
    return s;
}

/* Peer medians parsed from bench.mjs's table ("<stage> median <ms> ms ..."). */
typedef struct peer_times {
    double decode, human_detect, human_blazeface, human_full, faceapi_ssd, faceapi_rec, faceapi_full;
} peer_times;

static int run_peer(const char *peer_dir, const char *image, int runs, peer_times *p)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "cd '%s' && node bench.mjs '%s' %d 2>&1", peer_dir, image, runs);
    FILE *fp = popen(cmd, "r");
    if (!fp)
        return 0;
    static const struct {
        const char *prefix;
        size_t off;
    } keys[] = {
        {"decode (sharp", offsetof(peer_times, decode)},
        {"human: detect only", offsetof(peer_times, human_detect)},
        {"human: blazeface model only", offsetof(peer_times, human_blazeface)},
        {"human: full", offsetof(peer_times, human_full)},
        {"faceapi: detect only (ssd", offsetof(peer_times, faceapi_ssd)},
        {"faceapi: face_recognition_model", offsetof(peer_times, faceapi_rec)},
        {"faceapi: full", offsetof(peer_times, faceapi_full)},
    };
    char line[1024];
    int found = 0;
    while (fgets(line, sizeof line, fp)) {
        fputs(line, stderr);
        const char *m = strstr(line, " median ");
        if (!m)
            continue;
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
            if (!strncmp(line, keys[k].prefix, strlen(keys[k].prefix))) {
                double v = strtod(m + 8, NULL);
                memcpy((char *)p + keys[k].off, &v, sizeof v);
                found++;
            }
    }
    int rc = pclose(fp);
    return rc == 0 && p->faceapi_full > 0 ? found : 0;
}

static int usage(void)
{
    fprintf(stderr, "usage: faceprint bench pipeline [--json] [--threads N] [--runs N] [--image PATH] [--vs-tfjs]\n"
                    "  default image: <shared>/" DEFAULT_IMAGE "\n");
    return 2;
}

int fp_bench_pipeline_main(int argc, char **argv, const char *models_dir, const char *shared_dir)
{
    int json = 0, threads = 1, vs_tfjs = 0, runs = 30;
    const char *image = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json"))
            json = 1;
        else if (!strcmp(argv[i], "--vs-tfjs"))
            vs_tfjs = 1;
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--runs") && i + 1 < argc)
            runs = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--image") && i + 1 < argc)
            image = argv[++i];
        else
            return usage();
    }
    if (threads < 1 || runs < 1 || runs > 100000)
        return usage();
    char image_buf[4096];
    if (!image) {
        snprintf(image_buf, sizeof image_buf, "%s/%s", shared_dir, DEFAULT_IMAGE);
        image = image_buf;
    }
    char abs_image[4096];
    if (!realpath(image, abs_image)) {
        fprintf(stderr, "bench pipeline: cannot open %s\n", image);
        return 1;
    }

    fp_error err = {0};
    fp_face_engine *e = NULL;
    fp_face_config cfg = {models_dir, threads, 0.f, 0.f};
    if (fp_face_engine_new(&cfg, &e, &err) != FP_OK) {
        fprintf(stderr, "bench pipeline: %s\n", err.message);
        return 1;
    }
    double *t[N_STAGES];
    for (int s = 0; s < N_STAGES; s++)
        t[s] = calloc((size_t)runs, sizeof(double));
    float *chips = malloc(sizeof(float) * 2 * FP_FACE_CHIP_SIZE * FP_FACE_CHIP_SIZE * 3);
    int rc = 0, width = 0, height = 0, n_faces = 0, n_multi = 0;
    for (int s = 0; s < N_STAGES; s++)
        if (!t[s])
            rc = 1;
    if (!chips)
        rc = 1;
    static const float zero[3] = {0.f, 0.f, 0.f};
    float desc[FP_FACE_DESCRIPTOR_DIM];
    for (int r = -WARMUP; r < runs && rc == 0; r++) {
        double dt[N_STAGES];
        fp_image *img = NULL;
        fp_face faces[16];
        int n = 0;
        /* full pipeline, as an application calls it */
        double t0 = bench_now_ms();
        fp_status st = fp_image_load(abs_image, 0, &img, &err);
        double t1 = bench_now_ms();
        if (st == FP_OK)
            st = fp_face_detect(e, img, faces, 16, &n, &err);
        double t2 = bench_now_ms();
        int m = fp_face_main(faces, n, img ? img->width : 0, img ? img->height : 0);
        if (st == FP_OK && m < 0)
            st = fp_error_set(&err, FP_ERR_NOT_FOUND, "no face in the image");
        if (st == FP_OK)
            st = fp_face_descriptor(e, img, &faces[m], desc, &err);
        double t3 = bench_now_ms();
        dt[ST_DECODE] = t1 - t0;
        dt[ST_DETECT] = t2 - t1;
        dt[ST_DESCRIPTOR] = t3 - t2;
        dt[ST_FULL] = t3 - t0;
        /* the alignment alone (the descriptor includes it) */
        if (st == FP_OK) {
            double a0 = bench_now_ms();
            st = vis_chip_pair_f32(img, &faces[m], FP_FACE_CHIP_SIZE, 1.f / 255.f, zero, chips, &err);
            dt[ST_ALIGN] = bench_now_ms() - a0;
        }
        /* the multi-scale detector on the same image (not part of full) */
        if (st == FP_OK) {
            double d0 = bench_now_ms();
            st = fp_face_detect_ex(e, img, NULL, faces, 16, &n_multi, &err);
            dt[ST_DETECT_MULTI] = bench_now_ms() - d0;
        }
        if (st != FP_OK) {
            fprintf(stderr, "bench pipeline: %s\n", err.message);
            rc = 1;
        } else if (r >= 0) {
            for (int s = 0; s < N_STAGES; s++)
                t[s][r] = dt[s];
        }
        if (img) {
            width = img->width;
            height = img->height;
        }
        n_faces = n;
        fp_image_free(img);
    }
    if (chips)
        explicit_bzero(chips, sizeof(float) * 2 * FP_FACE_CHIP_SIZE * FP_FACE_CHIP_SIZE * 3);
    free(chips);
    explicit_bzero(desc, sizeof desc);
    fp_face_engine_free(e);

    stage_stats res[N_STAGES];
    if (rc == 0) {
        for (int s = 0; s < N_STAGES; s++)
            res[s] = stats(t[s], runs);
        if (!json)
            printf("image %s (%dx%d, %d face(s), multi-scale %d, %d tile runs), threads %d, median of %d runs after "
                   "%d warm-up\n",
                   abs_image, width, height, n_faces, n_multi, fp_face_detect_plan(width, height, NULL, NULL),
                   threads, runs, WARMUP);
        for (int s = 0; s < N_STAGES; s++) {
            if (json)
                printf("{\"stage\":\"%s\",\"threads\":%d,\"runs\":%d,\"width\":%d,\"height\":%d,\"ms\":%.3f,"
                       "\"p10\":%.3f,\"p90\":%.3f}\n",
                       stage_names[s], threads, runs, width, height, res[s].median, res[s].p10, res[s].p90);
            else
                printf("%-62s median %8.2f ms  (p10 %.2f, p90 %.2f)\n", stage_desc[s], res[s].median, res[s].p10,
                       res[s].p90);
        }
    }
    if (rc == 0 && vs_tfjs) {
        char peer_dir[4096];
        /* the runner lives next to the models: <repo>/.cache/peer */
        snprintf(peer_dir, sizeof peer_dir, "%s/../../.cache/peer", models_dir);
        peer_times p = {0};
        if (!json)
            printf("running the TF.js peer: cd %s && node bench.mjs %s %d\n", peer_dir, abs_image, runs);
        fflush(stdout);
        if (!run_peer(peer_dir, abs_image, runs, &p)) {
            fprintf(stderr, "bench pipeline: the TF.js peer failed (run scripts/setup-peer.sh first)\n");
            rc = 1;
        } else {
            double full = res[ST_FULL].median;
            if (json)
                printf("{\"stage\":\"tfjs\",\"decode_ms\":%.2f,\"human_detect_ms\":%.2f,\"human_blazeface_ms\":%.2f,"
                       "\"human_full_ms\":%.2f,\"faceapi_ssd_ms\":%.2f,\"faceapi_descriptor_ms\":%.2f,"
                       "\"faceapi_full_ms\":%.2f,\"ratio_faceapi_full\":%.2f,\"ratio_human_detect\":%.2f,"
                       "\"ratio_faceapi_descriptor\":%.2f}\n",
                       p.decode, p.human_detect, p.human_blazeface, p.human_full, p.faceapi_ssd, p.faceapi_rec,
                       p.faceapi_full, p.faceapi_full / full, p.human_detect / res[ST_DETECT].median,
                       p.faceapi_rec / (res[ST_DESCRIPTOR].median / 2));
            else {
                printf("%-44s %10s %10s %8s\n", "stage (TF.js wasm-simd 1 thread)", "tfjs ms", "ours ms", "ratio");
                printf("%-44s %10.2f %10.2f %7.1fx\n", "decode (sharp vs libjpeg)", p.decode, res[ST_DECODE].median,
                       p.decode / res[ST_DECODE].median);
                printf("%-44s %10.2f %10.2f %7.1fx\n", "Human detect only vs our detect", p.human_detect,
                       res[ST_DETECT].median, p.human_detect / res[ST_DETECT].median);
                printf("%-44s %10.2f %10.2f %7.1fx\n", "Human blazeface model vs our detect", p.human_blazeface,
                       res[ST_DETECT].median, p.human_blazeface / res[ST_DETECT].median);
                printf("%-44s %10.2f %10.2f %7.1fx\n", "face-api descriptor (1 chip) vs ours (2)", p.faceapi_rec,
                       res[ST_DESCRIPTOR].median, p.faceapi_rec / res[ST_DESCRIPTOR].median);
                printf("%-44s %10.2f %10.2f %7.1fx\n", "face-api full vs our full", p.faceapi_full, full,
                       p.faceapi_full / full);
                printf("%-44s %10.2f %10.2f %7.1fx\n", "Human full (more models) vs our full", p.human_full, full,
                       p.human_full / full);
                printf("target: ours <= 25 ms single-thread: %s; >= 10x face-api full: %s\n",
                       full <= 25.0 ? "met" : "NOT met", p.faceapi_full / full >= 10.0 ? "met" : "NOT met");
            }
        }
    }
    for (int s = 0; s < N_STAGES; s++)
        free(t[s]);
    return rc;
}
