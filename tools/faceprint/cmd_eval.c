/* `faceprint eval all-pairs | verify` (see cmd_eval.h, docs/ACCURACY.md). */
#include "cmd_eval.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "faceprint/eval.h"

typedef struct eval_opts {
    const char *dir, *pairs, *cache, *det_svg;
    int json, threads, main_rule;
    float min_score;
} eval_opts;

static const double FARS[] = {1e-2, 1e-3, 1e-4, 1e-5};
static const char *const FAR_KEYS[] = {"1e-2", "1e-3", "1e-4", "1e-5"};
#define N_FARS 4

static int usage(void)
{
    fprintf(stderr,
            "usage: faceprint eval all-pairs --dir DIR [--json] [--threads N] [--cache FILE] [--det-svg FILE]\n"
            "       faceprint eval verify --dir DIR --pairs PAIRS.txt [--json] [--threads N] [--cache FILE]\n"
            "  common: [--main largest|center] [--min-score S]\n"
            "  DIR/<identity>/<image>; every image's main face is embedded (--threads workers, default all\n"
            "  cores). all-pairs: TAR at FAR 1e-2..1e-5, EER, FTA over every pair; verify: LFW 10-fold accuracy.\n");
    return 2;
}

static int parse(int argc, char **argv, eval_opts *o)
{
    memset(o, 0, sizeof *o);
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        char *end;
        if (!strcmp(a, "--json")) {
            o->json = 1;
        } else if (!strcmp(a, "--dir") && v) {
            o->dir = v, i++;
        } else if (!strcmp(a, "--pairs") && v) {
            o->pairs = v, i++;
        } else if (!strcmp(a, "--cache") && v) {
            o->cache = v, i++;
        } else if (!strcmp(a, "--det-svg") && v) {
            o->det_svg = v, i++;
        } else if (!strcmp(a, "--main") && v && (!strcmp(v, "largest") || !strcmp(v, "center"))) {
            o->main_rule = !strcmp(v, "center") ? FP_EVAL_MAIN_CENTER : FP_EVAL_MAIN_LARGEST, i++;
        } else if (!strcmp(a, "--threads") && v) {
            errno = 0;
            long t = strtol(v, &end, 10);
            if (errno || *end || t < 1 || t > 256) {
                fprintf(stderr, "faceprint eval: bad --threads '%s'\n", v);
                return usage();
            }
            o->threads = (int)t, i++;
        } else if (!strcmp(a, "--min-score") && v) {
            errno = 0;
            double s = strtod(v, &end);
            if (errno || *end || !(s >= 0.01 && s <= 1)) {
                fprintf(stderr, "faceprint eval: bad --min-score '%s'\n", v);
                return usage();
            }
            o->min_score = (float)s, i++;
        } else {
            fprintf(stderr, "faceprint eval: bad argument '%s'\n", a);
            return usage();
        }
    }
    if (!o->dir) {
        fprintf(stderr, "faceprint eval: --dir is required\n");
        return usage();
    }
    return 0;
}

/* Embeds set (cache load / save around it); progress on stderr. */
static int embed_set(const eval_opts *o, fp_eval_set *set, fp_eval_embed_stats *stats)
{
    fp_error err = {0};
    fp_eval_cache *cache = NULL;
    char note[128];
    fp_status st = FP_OK;
    if (o->cache) {
        /* descriptors of another main-face rule are different entries */
        const char *tag = o->main_rule == FP_EVAL_MAIN_CENTER ? FP_EVAL_CACHE_TAG "/main=center" : FP_EVAL_CACHE_TAG;
        st = fp_eval_cache_load(o->cache, tag, &cache, note, sizeof note, &err);
        if (st != FP_OK)
            return tool_fail(o->cache, st, &err);
        fprintf(stderr, "cache %s: %d entries%s%s\n", o->cache, fp_eval_cache_size(cache), note[0] ? ", " : "",
                note);
    }
    fp_eval_embed_opts eo = {tool_models_dir(), o->threads, o->min_score, cache, stderr, o->main_rule};
    fprintf(stderr, "embedding %d images with %d threads\n", set->n,
            o->threads > 0 ? o->threads : fp_eval_cpu_count());
    st = fp_eval_embed(set, &eo, stats, &err);
    if (st == FP_OK && cache && stats->computed > 0)
        st = fp_eval_cache_save(cache, o->cache, &err);
    fp_eval_cache_free(cache);
    if (st != FP_OK)
        return tool_fail("embedding", st, &err);
    fprintf(stderr, "embedded: %d cached, %d computed, %d no face, %d unreadable, %.1f s\n", stats->cached,
            stats->computed, stats->no_face, stats->errors, stats->seconds);
    return 0;
}

static void print_pair_json(const fp_eval_set *set, const fp_eval_pair *p)
{
    printf("{\"a\":");
    tool_json_string(stdout, set->images[p->a].path);
    printf(",\"b\":");
    tool_json_string(stdout, set->images[p->b].path);
    printf(",\"distance\":%.4f}", p->distance);
}

static int all_pairs(const eval_opts *o)
{
    fp_error err = {0};
    fp_eval_set *set = NULL;
    fp_status st = fp_eval_set_from_dir(o->dir, &set, &err);
    if (st != FP_OK)
        return tool_fail(o->dir, st, &err);
    fp_eval_embed_stats es;
    int rc = embed_set(o, set, &es);
    fp_eval_all_pairs_result r;
    memset(&r, 0, sizeof r);
    if (rc == 0) {
        st = fp_eval_all_pairs(set, o->threads, &r, &err);
        if (st != FP_OK)
            rc = tool_fail("all pairs", st, &err);
    }
    if (rc != 0) {
        fp_eval_set_free(set);
        return rc;
    }
    const fp_eval_hist *h = &r.hist;
    uint64_t ng = fp_eval_hist_genuine(h), ni = fp_eval_hist_impostor(h);
    int fta_n = es.no_face + es.errors;
    double fta = set->n ? (double)fta_n / set->n : 0;
    fp_eval_point pt[N_FARS], pm[N_FARS];
    /* matcher only: the same histogram without the FTA pairs */
    fp_eval_hist hm = *h;
    hm.gen_fail = hm.imp_fail = 0;
    for (int i = 0; i < N_FARS; i++) {
        pt[i] = fp_eval_tar_at_far(h, FARS[i]);
        pm[i] = fp_eval_tar_at_far(&hm, FARS[i]);
    }
    double eer_thr, eer = fp_eval_eer(h, &eer_thr);
    double eer_m_thr, eer_m = fp_eval_eer(&hm, &eer_m_thr);
    int k06 = (int)lround(FP_FACE_DEFAULT_THRESHOLD / h->bin_width);
    double tar06 = fp_eval_tar_at(h, k06), far06 = fp_eval_far_at(h, k06);
    fprintf(stderr, "all pairs: %.1f s\n", r.seconds);
    if (o->det_svg) {
        char label[256];
        snprintf(label, sizeof label, "%d images, %llu genuine / %llu impostor pairs, FTA %.2f%% (counted as rejects)",
                 set->n, (unsigned long long)ng, (unsigned long long)ni, 100 * fta);
        st = fp_eval_write_det_svg(h, o->det_svg, "faceprint DET: BlazeFace + dlib chip + ResNet-128", label, &err);
        if (st != FP_OK)
            rc = tool_fail(o->det_svg, st, &err);
    }
    if (o->json) {
        printf("{\"dir\":");
        tool_json_string(stdout, o->dir);
        printf(",\"main_face\":\"%s\"", o->main_rule == FP_EVAL_MAIN_CENTER ? "center" : "largest");
        printf(",\"images\":%d,\"identities\":%d,\"genuine_pairs\":%llu,\"impostor_pairs\":%llu", set->n, set->n_ids,
               (unsigned long long)ng, (unsigned long long)ni);
        printf(",\"fta\":%.6f,\"fta_images\":%d,\"genuine_pairs_fta\":%llu,\"impostor_pairs_fta\":%llu", fta, fta_n,
               (unsigned long long)h->gen_fail, (unsigned long long)h->imp_fail);
        printf(",\"tar\":{");
        for (int i = 0; i < N_FARS; i++)
            printf("%s\"%s\":%.6f", i ? "," : "", FAR_KEYS[i], pt[i].tar);
        printf("},\"far\":{");
        for (int i = 0; i < N_FARS; i++)
            printf("%s\"%s\":%.3e", i ? "," : "", FAR_KEYS[i], pt[i].far);
        printf("},\"threshold\":{");
        for (int i = 0; i < N_FARS; i++)
            printf("%s\"%s\":%.4f", i ? "," : "", FAR_KEYS[i], pt[i].threshold);
        /* 1 impostor pair: FARs below this are not measurable (tar at them is
         * then the TAR with no impostor accepted) */
        printf("},\"far_resolution\":%.3e", ni ? 1.0 / (double)ni : 1.0);
        printf(",\"eer\":%.6f,\"eer_threshold\":%.4f", eer, eer_thr);
        printf(",\"matcher_only\":{\"tar\":{");
        for (int i = 0; i < N_FARS; i++)
            printf("%s\"%s\":%.6f", i ? "," : "", FAR_KEYS[i], pm[i].tar);
        printf("},\"eer\":%.6f,\"eer_threshold\":%.4f}", eer_m, eer_m_thr);
        printf(",\"at_threshold_0.6\":{\"tar\":%.6f,\"far\":%.3e}", tar06, far06);
        printf(",\"bin_width\":%g,\"embed_seconds\":%.2f,\"pairs_seconds\":%.2f,\"cached\":%d,\"computed\":%d",
               h->bin_width, es.seconds, r.seconds, es.cached, es.computed);
        printf(",\"worst_genuine\":[");
        for (int i = 0; i < r.n_worst_gen; i++) {
            printf(i ? "," : "");
            print_pair_json(set, &r.worst_gen[i]);
        }
        printf("],\"worst_impostor\":[");
        for (int i = 0; i < r.n_worst_imp; i++) {
            printf(i ? "," : "");
            print_pair_json(set, &r.worst_imp[i]);
        }
        printf("],\"fta_list\":[");
        for (int i = 0, k = 0; i < set->n; i++)
            if (!set->images[i].ok) {
                printf(k++ ? "," : "");
                tool_json_string(stdout, set->images[i].path);
            }
        printf("]}\n");
    } else {
        printf("%s: %d images, %d identities\n", o->dir, set->n, set->n_ids);
        printf("pairs: %llu genuine, %llu impostor\n", (unsigned long long)ng, (unsigned long long)ni);
        printf("FTA: %d images (%.3f%%); %llu genuine pairs counted as rejections\n", fta_n, 100 * fta,
               (unsigned long long)h->gen_fail);
        printf("%-8s %10s %12s %10s %14s\n", "FAR", "TAR", "actual FAR", "threshold", "TAR(no FTA)");
        for (int i = 0; i < N_FARS; i++)
            printf("%-8s %9.3f%% %12.2e %10.4f %13.3f%%%s\n", FAR_KEYS[i], 100 * pt[i].tar, pt[i].far,
                   pt[i].threshold, 100 * pm[i].tar, pt[i].feasible ? "" : "  (too few impostor pairs)");
        printf("EER %.3f%% at distance %.4f (matcher only %.3f%%)\n", 100 * eer, eer_thr, 100 * eer_m);
        printf("at the default threshold 0.6: TAR %.3f%%, FAR %.2e\n", 100 * tar06, far06);
        printf("worst genuine pairs:\n");
        for (int i = 0; i < r.n_worst_gen && i < 5; i++)
            printf("  %.4f %s %s\n", r.worst_gen[i].distance, set->images[r.worst_gen[i].a].path,
                   set->images[r.worst_gen[i].b].path);
    }
    fp_eval_hist_free(&r.hist);
    fp_eval_set_free(set);
    return rc;
}

/* ---- verify: LFW pairs file ------------------------------------------------ */

typedef struct ref {
    char *path;
    int pair, side;
} ref;

static int cmp_ref(const void *a, const void *b)
{
    return strcmp(((const ref *)a)->path, ((const ref *)b)->path);
}

static int verify(const eval_opts *o)
{
    if (!o->pairs) {
        fprintf(stderr, "faceprint eval verify: --pairs is required\n");
        return usage();
    }
    FILE *f = fopen(o->pairs, "r");
    if (!f) {
        fprintf(stderr, "faceprint: %s: %s\n", o->pairs, strerror(errno));
        return 1;
    }
    int n_folds = 0, per_fold = 0;
    char line[1024];
    if (!fgets(line, sizeof line, f) || sscanf(line, "%d %d", &n_folds, &per_fold) != 2 || n_folds < 2 ||
        n_folds > 100 || per_fold < 1 || per_fold > 100000) {
        fclose(f);
        fprintf(stderr, "faceprint: %s: first line must be '<folds> <pairs per class per fold>'\n", o->pairs);
        return 1;
    }
    int n = n_folds * per_fold * 2;
    ref *refs = calloc((size_t)n * 2, sizeof *refs);
    unsigned char *same = calloc((size_t)n, 1);
    int *fold = calloc((size_t)n, sizeof *fold);
    int *img_of = calloc((size_t)n * 2, sizeof *img_of);
    double *dist = calloc((size_t)n, sizeof *dist);
    int rc = refs && same && fold && img_of && dist ? 0 : 1;
    int m = 0;
    while (rc == 0 && m < n && fgets(line, sizeof line, f)) {
        char a[256], b[256];
        int ia, ib;
        char path[1024];
        if (sscanf(line, "%255s %d %255s %d", a, &ia, b, &ib) == 4) {
            same[m] = 0;
        } else if (sscanf(line, "%255s %d %d", a, &ia, &ib) == 3) {
            snprintf(b, sizeof b, "%s", a);
            same[m] = 1;
        } else {
            if (line[strspn(line, " \t\r\n")] == 0)
                continue;
            fprintf(stderr, "faceprint: %s: bad line %d\n", o->pairs, m + 2);
            rc = 1;
            break;
        }
        fold[m] = m / (2 * per_fold);
        snprintf(path, sizeof path, "%s/%s/%s_%04d.jpg", o->dir, a, a, ia);
        refs[2 * m] = (ref){strdup(path), m, 0};
        snprintf(path, sizeof path, "%s/%s/%s_%04d.jpg", o->dir, b, b, ib);
        refs[2 * m + 1] = (ref){strdup(path), m, 1};
        if (!refs[2 * m].path || !refs[2 * m + 1].path)
            rc = 1;
        m++;
    }
    fclose(f);
    if (rc == 0 && m != n) {
        fprintf(stderr, "faceprint: %s: %d pairs, header promises %d\n", o->pairs, m, n);
        rc = 1;
    }
    fp_eval_set *set = NULL;
    fp_error err = {0};
    int n_unique = 0;
    if (rc == 0) {
        qsort(refs, (size_t)n * 2, sizeof *refs, cmp_ref);
        for (int i = 0; i < 2 * n; i++) {
            if (i == 0 || strcmp(refs[i].path, refs[i - 1].path))
                n_unique++;
            img_of[2 * refs[i].pair + refs[i].side] = n_unique - 1;
        }
        fp_status st = fp_eval_set_new(n_unique, &set, &err);
        for (int i = 0, u = -1; st == FP_OK && i < 2 * n; i++) {
            if (i > 0 && !strcmp(refs[i].path, refs[i - 1].path))
                continue;
            u++;
            /* identity = the folder name */
            char id[1024];
            snprintf(id, sizeof id, "%s", refs[i].path + strlen(o->dir) + 1);
            char *slash = strchr(id, '/');
            if (slash)
                *slash = 0;
            st = fp_eval_set_add_image(set, u, refs[i].path, id, &err);
        }
        if (st != FP_OK)
            rc = tool_fail("verify", st, &err);
    }
    fp_eval_embed_stats es;
    if (rc == 0)
        rc = embed_set(o, set, &es);
    double acc[100], thr[100];
    int fta_pairs = 0, right06 = 0;
    if (rc == 0) {
        for (int i = 0; i < n; i++) {
            int a = img_of[2 * i], b = img_of[2 * i + 1];
            if (set->images[a].ok && set->images[b].ok) {
                dist[i] = fp_face_distance(set->desc + (size_t)a * FP_FACE_DESCRIPTOR_DIM,
                                           set->desc + (size_t)b * FP_FACE_DESCRIPTOR_DIM);
            } else {
                dist[i] = INFINITY;
                fta_pairs++;
            }
            right06 += (dist[i] < FP_FACE_DEFAULT_THRESHOLD) == (same[i] != 0);
        }
        fp_status st = fp_eval_folds(dist, same, fold, n, n_folds, acc, thr, &err);
        if (st != FP_OK)
            rc = tool_fail("folds", st, &err);
    }
    if (rc == 0) {
        double mean = 0, var = 0;
        for (int k = 0; k < n_folds; k++)
            mean += acc[k] / n_folds;
        for (int k = 0; k < n_folds; k++)
            var += (acc[k] - mean) * (acc[k] - mean) / (n_folds - 1);
        double sd = sqrt(var);
        int fta_images = es.no_face + es.errors;
        if (o->json) {
            printf("{\"pairs_file\":");
            tool_json_string(stdout, o->pairs);
            printf(",\"main_face\":\"%s\"", o->main_rule == FP_EVAL_MAIN_CENTER ? "center" : "largest");
            printf(",\"pairs\":%d,\"folds\":%d,\"images\":%d,\"fta_images\":%d,\"fta_pairs\":%d,"
                   "\"accuracy\":%.6f,\"std\":%.6f,\"accuracy_at_0.6\":%.6f,\"fold_accuracy\":[",
                   n, n_folds, set->n, fta_images, fta_pairs, mean, sd, (double)right06 / n);
            for (int k = 0; k < n_folds; k++)
                printf("%s%.4f", k ? "," : "", acc[k]);
            printf("],\"fold_threshold\":[");
            for (int k = 0; k < n_folds; k++)
                printf("%s%.4f", k ? "," : "", thr[k]);
            printf("],\"embed_seconds\":%.2f}\n", es.seconds);
        } else {
            printf("%s: %d pairs in %d folds, %d images (%d without a face; %d pairs count as 'different')\n",
                   o->pairs, n, n_folds, set->n, fta_images, fta_pairs);
            for (int k = 0; k < n_folds; k++)
                printf("  fold %2d: accuracy %.2f%% (threshold %.4f from the other folds)\n", k + 1, 100 * acc[k],
                       thr[k]);
            printf("accuracy %.2f%% +- %.2f%% (mean +- sample std over folds); at fixed 0.6: %.2f%%\n", 100 * mean,
                   100 * sd, 100.0 * right06 / n);
        }
    }
    for (int i = 0; refs && i < 2 * n; i++)
        free(refs[i].path);
    free(refs);
    free(same);
    free(fold);
    free(img_of);
    free(dist);
    fp_eval_set_free(set);
    return rc;
}

int cmd_eval(int argc, char **argv)
{
    if (argc < 2)
        return usage();
    eval_opts o;
    if (!strcmp(argv[1], "all-pairs")) {
        int rc = parse(argc, argv, &o);
        return rc ? rc : all_pairs(&o);
    }
    if (!strcmp(argv[1], "verify")) {
        int rc = parse(argc, argv, &o);
        return rc ? rc : verify(&o);
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage();
        return 0;
    }
    fprintf(stderr, "faceprint eval: unknown mode '%s'\n", argv[1]);
    return usage();
}
