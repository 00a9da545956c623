/* faceprint evaluation: accuracy of the face pipeline on labelled image sets.
 *
 *   set         images of a directory tree DIR/<identity>/<image> (identity
 *               = folder name, LFW layout), sorted by path
 *   embed       main-face descriptor of every image, in N worker threads,
 *               each with its own fp_face_engine (an engine is single-threaded)
 *   cache       binary descriptor cache keyed by path + size + mtime, so a
 *               repeated evaluation only embeds new or changed files
 *   hist        genuine / impostor distance histograms in fine bins; every
 *               metric (TAR at FAR, EER, DET curve) is read off them, so they
 *               are exact at bin edges (accept = distance < threshold)
 *   all_pairs   every image against every other (87.5 M pairs on LFW)
 *   folds       LFW 10-fold verification protocol accuracy
 *
 * Failure to acquire (FTA): an image with no face (or that cannot be read)
 * has no descriptor. Every comparison involving it is decided "reject": a
 * false rejection for a genuine pair, a correct rejection for an impostor
 * pair (the ISO/IEC 19795-1 "generalised" FAR/FRR). Such pairs are counted
 * in the denominators (gen_fail / imp_fail) but never in a distance bin.
 *
 * Descriptors are biometric data (SPEC DP-1): fp_eval_set_free wipes them,
 * and the cache file is written with mode 0600. */
#ifndef FACEPRINT_EVAL_H
#define FACEPRINT_EVAL_H

#include <stdint.h>
#include <stdio.h>

#include "faceprint/face.h"
#include "faceprint/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- histograms and metrics ---------------------------------------------- */

#define FP_EVAL_BIN_WIDTH 1e-4
#define FP_EVAL_MAX_DISTANCE 4.0 /* distances >= this land in the last bin */

typedef struct fp_eval_hist {
    double bin_width;
    int bins;        /* bins - 1 regular bins + 1 overflow bin */
    uint64_t *gen;   /* genuine distances, bin k = [k*w, (k+1)*w) */
    uint64_t *imp;   /* impostor distances */
    uint64_t gen_fail; /* genuine pairs with an FTA image: always rejected */
    uint64_t imp_fail; /* impostor pairs with an FTA image: always rejected */
} fp_eval_hist;

/* Zeroed histogram; bin_width <= 0 / max_distance <= 0 pick the defaults. */
fp_status fp_eval_hist_init(fp_eval_hist *h, double bin_width, double max_distance, fp_error *err);
void fp_eval_hist_free(fp_eval_hist *h);
void fp_eval_hist_add(fp_eval_hist *h, int genuine, double distance);
/* dst += src (same geometry, else FP_ERR_INVALID_ARG). */
fp_status fp_eval_hist_merge(fp_eval_hist *dst, const fp_eval_hist *src);
uint64_t fp_eval_hist_genuine(const fp_eval_hist *h);  /* incl. gen_fail */
uint64_t fp_eval_hist_impostor(const fp_eval_hist *h); /* incl. imp_fail */

/* Accept rate of genuine / impostor pairs at threshold index k (accept =
 * bin < k, i.e. distance < k * bin_width), k in 0..bins. */
double fp_eval_tar_at(const fp_eval_hist *h, int k);
double fp_eval_far_at(const fp_eval_hist *h, int k);

typedef struct fp_eval_point {
    double far_target; /* requested FAR */
    double tar;        /* genuine accept rate at the chosen threshold */
    double far;        /* actual FAR there (<= far_target) */
    double threshold;  /* distance threshold (accept below) */
    int feasible;      /* 0 when no threshold reaches far_target with TAR > 0
                          and enough impostor pairs (fewer than 1/far_target) */
} fp_eval_point;

/* Highest TAR whose FAR <= far_target (the largest such threshold). */
fp_eval_point fp_eval_tar_at_far(const fp_eval_hist *h, double far_target);

/* Equal error rate: where FRR = 1 - TAR crosses FAR, linearly interpolated
 * between the two neighbouring thresholds; *threshold may be NULL. */
double fp_eval_eer(const fp_eval_hist *h, double *threshold);

/* DET curve (FAR vs FRR, both log10 axes) as a standalone SVG document.
 * Returns a malloc'd NUL-terminated string (caller frees) or NULL on OOM.
 * title is escaped; extra_label (may be NULL) is printed under the title. */
char *fp_eval_det_svg(const fp_eval_hist *h, const char *title, const char *extra_label);
fp_status fp_eval_write_det_svg(const fp_eval_hist *h, const char *path, const char *title,
                                const char *extra_label, fp_error *err);

/* ---- image sets and embedding -------------------------------------------- */

typedef struct fp_eval_image {
    char *path;
    int label;             /* identity index into fp_eval_set.ids */
    int ok;                /* 1 = descriptor valid */
    int n_faces;           /* faces found (0 = FTA) */
    fp_face face;          /* main face (keypoints zero when from the cache) */
    char error[128];       /* read/decode/model error, "" when none */
} fp_eval_image;

typedef struct fp_eval_set {
    int n;                 /* images */
    fp_eval_image *images;
    int n_ids;
    char **ids;            /* identity names, sorted */
    float *desc;           /* n x FP_FACE_DESCRIPTOR_DIM; row i valid when images[i].ok */
} fp_eval_set;

/* DIR/<identity>/<file>.{jpg,jpeg,png} (case-insensitive), sorted by path.
 * FP_ERR_NOT_FOUND when the directory holds no such image. */
fp_status fp_eval_set_from_dir(const char *dir, fp_eval_set **out, fp_error *err);
/* An empty set of n images; fp_eval_set_add_image fills them. */
fp_status fp_eval_set_new(int n, fp_eval_set **out, fp_error *err);
/* Sets image i to path with identity name id (label assigned on first use). */
fp_status fp_eval_set_add_image(fp_eval_set *set, int i, const char *path, const char *id, fp_error *err);
/* Wipes the descriptors, frees everything. NULL is a no-op. */
void fp_eval_set_free(fp_eval_set *set);

/* Descriptor cache (see docs/ACCURACY.md "Embedding cache" for the format). */
typedef struct fp_eval_cache fp_eval_cache;
/* Loads path; a missing file, a different tag or a corrupt file gives an
 * empty cache (and *note, when not NULL, says why). Errors only for OOM. */
fp_status fp_eval_cache_load(const char *path, const char *tag, fp_eval_cache **out, char *note,
                             size_t note_size, fp_error *err);
/* Looks up path: returns 1 and fills the outputs when an entry with the
 * file's current size and mtime exists, else 0 (stale or absent). */
int fp_eval_cache_get(const fp_eval_cache *c, const char *path, int *n_faces, fp_face *face,
                      float desc[FP_FACE_DESCRIPTOR_DIM]);
/* Adds / replaces the entry of path (stats the file now). */
fp_status fp_eval_cache_put(fp_eval_cache *c, const char *path, int n_faces, const fp_face *face,
                            const float desc[FP_FACE_DESCRIPTOR_DIM], fp_error *err);
int fp_eval_cache_size(const fp_eval_cache *c);
/* Writes path atomically (temp file + rename), mode 0600. */
fp_status fp_eval_cache_save(const fp_eval_cache *c, const char *path, fp_error *err);
/* Wipes descriptors and frees. NULL is a no-op. */
void fp_eval_cache_free(fp_eval_cache *c);
/* Tag of the current pipeline; a cache written under another tag is ignored. */
#define FP_EVAL_CACHE_TAG "blazeface256+dlib-chip150+faceapi-resnet128-flipavg/v1"

/* Which detected face an image stands for. */
enum {
    FP_EVAL_MAIN_LARGEST = 0, /* fp_face_main: largest box inside the image (the product rule, CAP-6) */
    FP_EVAL_MAIN_CENTER = 1   /* box centre nearest the image centre (LFW's protocol: the
                                 labelled person is the centred face) */
};
/* Index of the face whose box centre is nearest the image centre (ties to
 * the higher score); -1 when n <= 0. */
int fp_eval_main_center(const fp_face *faces, int n, int width, int height);

typedef struct fp_eval_embed_opts {
    const char *models_dir; /* required */
    int threads;            /* worker threads, each with its own engine; <= 0 = all cores */
    float min_score;        /* detector threshold, 0 = engine default */
    fp_eval_cache *cache;   /* may be NULL; hits are used, misses added */
    FILE *progress;         /* may be NULL: a line every ~10 % */
    int main_rule;          /* FP_EVAL_MAIN_*; the cache tag must differ per rule */
} fp_eval_embed_opts;

typedef struct fp_eval_embed_stats {
    int cached;     /* images served from the cache */
    int computed;   /* images run through the pipeline */
    int no_face;    /* images with no face */
    int errors;     /* images that could not be read/decoded */
    double seconds; /* wall time */
} fp_eval_embed_stats;

/* Main-face descriptor of every image of set. Image-level failures (no
 * face, unreadable file) are recorded per image (ok = 0), not returned. */
fp_status fp_eval_embed(fp_eval_set *set, const fp_eval_embed_opts *opts, fp_eval_embed_stats *stats,
                        fp_error *err);

/* ---- all pairs ------------------------------------------------------------ */

#define FP_EVAL_WORST 16

typedef struct fp_eval_pair {
    int a, b;        /* image indices */
    float distance;
} fp_eval_pair;

typedef struct fp_eval_all_pairs_result {
    fp_eval_hist hist;
    /* largest-distance genuine pairs and smallest-distance impostor pairs,
     * worst first (n_worst_* of them) */
    fp_eval_pair worst_gen[FP_EVAL_WORST];
    int n_worst_gen;
    fp_eval_pair worst_imp[FP_EVAL_WORST];
    int n_worst_imp;
    double seconds;
} fp_eval_all_pairs_result;

/* Every pair i < j of set (genuine when labels agree), distances by
 * fp_face_distance, in threads (<= 0 = all cores). Free res->hist with
 * fp_eval_hist_free. */
fp_status fp_eval_all_pairs(const fp_eval_set *set, int threads, fp_eval_all_pairs_result *res, fp_error *err);

/* ---- LFW 10-fold protocol -------------------------------------------------- */

/* n pairs: distance (INFINITY = FTA, always "different"), same (1 genuine),
 * fold (0..n_folds-1). For each fold the threshold maximising accuracy on
 * the other folds is applied to it: acc[f] and thr[f] (n_folds entries). */
fp_status fp_eval_folds(const double *distance, const unsigned char *same, const int *fold, int n, int n_folds,
                        double *acc, double *thr, fp_error *err);

/* Number of online CPUs (>= 1). */
int fp_eval_cpu_count(void);

#ifdef __cplusplus
}
#endif
#endif
