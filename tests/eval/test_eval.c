/* Evaluation code (include/faceprint/eval.h):
 *
 *  - metrics on synthetic distance distributions with known answers: two
 *    uniform distributions (EER 25 %, TAR at FAR 1e-2 = 51 %, exact), two
 *    normal distributions (EER = Phi(-3), TAR at FAR 1e-3 = Phi(6 - 3.09)),
 *    FTA pairs counted as rejections, the 10-fold protocol threshold choice;
 *  - the DET SVG is well-formed XML (balanced tags, no NaN) with the curve;
 *  - the embedding cache round-trips (mode 0600), is invalidated when a file
 *    changes (size or mtime), and ignores corrupt files and other tags;
 *  - a tiny all-pairs run on 4 LFW identities with >= 2 images each: pair
 *    counts, cache hits on the second run, thread-count independence. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "faceprint/eval.h"
#include "support/fixture.h"

/* ---- synthetic distributions ------------------------------------------- */

static void fill_uniform(fp_eval_hist *h)
{
    assert_int_equal(fp_eval_hist_init(h, 0, 0, NULL), FP_OK);
    /* genuine: 0.00025 + 0.001 i on [0, 1); impostor: the same shifted by 0.5
     * (off the 1e-4 bin edges, so binning is exact) */
    for (int i = 0; i < 1000; i++) {
        fp_eval_hist_add(h, 1, 0.00025 + 0.001 * i);
        fp_eval_hist_add(h, 0, 0.50025 + 0.001 * i);
    }
}

static void test_uniform_known_answers(void **state)
{
    (void)state;
    fp_eval_hist h;
    fill_uniform(&h);
    assert_int_equal(fp_eval_hist_genuine(&h), 1000);
    assert_int_equal(fp_eval_hist_impostor(&h), 1000);
    /* FRR(t) = 1 - t, FAR(t) = t - 0.5: they cross at t = 0.75, EER 25 % */
    double thr;
    double eer = fp_eval_eer(&h, &thr);
    assert_float_equal(eer, 0.25, 1e-12);
    assert_true(thr > 0.7490 && thr <= 0.7500 + 1e-9);
    /* FAR <= 1 %: at most 10 impostors (0.50025..0.50925) accepted; the
     * largest such threshold is 0.5102 (the 11th impostor is 0.51025), where
     * 510 genuine distances (0.00025..0.50925) are below. */
    fp_eval_point p = fp_eval_tar_at_far(&h, 1e-2);
    assert_float_equal(p.tar, 0.510, 1e-12);
    assert_float_equal(p.far, 0.010, 1e-12);
    assert_float_equal(p.threshold, 0.5102, 1e-9);
    assert_true(p.feasible);
    /* FAR 1e-3 needs >= 1000 impostor pairs: here exactly 1 may be accepted */
    p = fp_eval_tar_at_far(&h, 1e-3);
    assert_true(p.feasible);
    assert_float_equal(p.far, 0.001, 1e-12);
    assert_float_equal(p.tar, 0.501, 1e-12);
    /* FAR 1e-4 is below one impostor pair: no impostor accepted, flagged */
    p = fp_eval_tar_at_far(&h, 1e-4);
    assert_false(p.feasible);
    assert_float_equal(p.far, 0.0, 0);
    assert_float_equal(p.tar, 0.500, 1e-12);
    /* rates at a bin index */
    assert_float_equal(fp_eval_tar_at(&h, 7500), 0.75, 1e-12);
    assert_float_equal(fp_eval_far_at(&h, 7500), 0.25, 1e-12);
    assert_float_equal(fp_eval_tar_at(&h, h.bins), 1.0, 1e-12);
    assert_float_equal(fp_eval_far_at(&h, 0), 0.0, 0);
    fp_eval_hist_free(&h);
}

static void test_fta_counts_as_rejection(void **state)
{
    (void)state;
    fp_eval_hist h;
    fill_uniform(&h);
    /* 1000 genuine pairs with a failed image: never accepted, so TAR halves;
     * 1000 failed impostor pairs are correct rejections: FAR halves. */
    for (int i = 0; i < 1000; i++) {
        fp_eval_hist_add(&h, 1, INFINITY);
        fp_eval_hist_add(&h, 0, NAN);
    }
    assert_int_equal(h.gen_fail, 1000);
    assert_int_equal(h.imp_fail, 1000);
    assert_int_equal(fp_eval_hist_genuine(&h), 2000);
    assert_float_equal(fp_eval_tar_at(&h, h.bins), 0.5, 1e-12);
    assert_float_equal(fp_eval_far_at(&h, h.bins), 0.5, 1e-12);
    /* FAR <= 1e-2 of 2000 = 20 impostors: threshold 0.5202, 520 genuine */
    fp_eval_point p = fp_eval_tar_at_far(&h, 1e-2);
    assert_float_equal(p.tar, 520.0 / 2000, 1e-12);
    assert_float_equal(p.threshold, 0.5202, 1e-9);
    /* merge doubles every count */
    fp_eval_hist h2;
    fill_uniform(&h2);
    assert_int_equal(fp_eval_hist_merge(&h2, &h), FP_OK);
    assert_int_equal(fp_eval_hist_genuine(&h2), 3000);
    assert_int_equal(h2.gen_fail, 1000);
    fp_eval_hist h3;
    assert_int_equal(fp_eval_hist_init(&h3, 1e-3, 1.0, NULL), FP_OK);
    assert_int_equal(fp_eval_hist_merge(&h3, &h), FP_ERR_INVALID_ARG);
    fp_eval_hist_free(&h);
    fp_eval_hist_free(&h2);
    fp_eval_hist_free(&h3);
}

static double phi(double x)
{
    return 0.5 * erfc(-x / sqrt(2.0));
}

static double phi_inv(double p)
{
    double lo = -10, hi = 10;
    for (int i = 0; i < 80; i++) {
        double mid = (lo + hi) / 2;
        if (phi(mid) < p)
            lo = mid;
        else
            hi = mid;
    }
    return (lo + hi) / 2;
}

static void test_normal_known_answers(void **state)
{
    (void)state;
    /* genuine N(0.4, 0.1), impostor N(1.0, 0.1), as evenly spaced quantiles */
    enum { N = 200000 };
    fp_eval_hist h;
    assert_int_equal(fp_eval_hist_init(&h, 0, 0, NULL), FP_OK);
    for (int i = 0; i < N; i++) {
        double z = phi_inv((i + 0.5) / N);
        fp_eval_hist_add(&h, 1, 0.4 + 0.1 * z);
        fp_eval_hist_add(&h, 0, 1.0 + 0.1 * z);
    }
    /* EER at the midpoint 0.7: Phi(-3) */
    double thr;
    double eer = fp_eval_eer(&h, &thr);
    assert_float_equal(eer, phi(-3.0), 2e-5);
    assert_float_equal(thr, 0.7, 2e-4);
    /* FAR f: the threshold sits just below impostor quantile number
     * floor(f N), i.e. at z = Phi^-1((floor(f N) + 0.5) / N) (-> 1.0 + 0.1 z
     * as N grows), and TAR = Phi(z + 6) */
    static const double fars[] = {1e-2, 1e-3, 1e-4, 1e-5};
    for (int i = 0; i < 4; i++) {
        double z = phi_inv((floor(fars[i] * N) + 0.5) / N);
        fp_eval_point p = fp_eval_tar_at_far(&h, fars[i]);
        assert_true(p.feasible);
        assert_true(p.far <= fars[i]);
        assert_float_equal(p.threshold, 1.0 + 0.1 * z, 1.5e-4);
        assert_float_equal(p.tar, phi(z + 6.0), 1e-4);
    }
    /* and the population answer at 1e-3: Phi(6 - 3.0902) = 99.82 % */
    assert_float_equal(fp_eval_tar_at_far(&h, 1e-3).tar, phi(6.0 + phi_inv(1e-3)), 5e-4);
    fp_eval_hist_free(&h);
}

static void test_folds(void **state)
{
    (void)state;
    /* 10 folds x 20 pairs: genuine 0.3, impostor 0.9, except in fold 3 one
     * genuine pair at 1.2 (an error whatever the threshold) and one FTA
     * genuine pair in fold 7 (INFINITY: always "different"). */
    enum { F = 10, P = 20 };
    double d[F * P];
    unsigned char same[F * P];
    int fold[F * P];
    for (int i = 0; i < F * P; i++) {
        fold[i] = i / P;
        same[i] = (i % 2) == 0;
        d[i] = same[i] ? 0.3 : 0.9;
    }
    d[3 * P] = 1.2;
    d[7 * P + 2] = INFINITY;
    double acc[F], thr[F];
    assert_int_equal(fp_eval_folds(d, same, fold, F * P, F, acc, thr, NULL), FP_OK);
    for (int f = 0; f < F; f++) {
        double want = (f == 3 || f == 7) ? 19.0 / 20 : 1.0;
        assert_float_equal(acc[f], want, 1e-12);
        assert_true(thr[f] > 0.3 && thr[f] < 0.9);
    }
    fold[0] = F;
    assert_int_equal(fp_eval_folds(d, same, fold, F * P, F, acc, thr, NULL), FP_ERR_INVALID_ARG);
}

/* ---- DET SVG ----------------------------------------------------------- */

/* Minimal well-formedness check: every <name ...> is closed by </name> in
 * order or self-closed, attribute quotes balance, no text outside the root. */
static int xml_well_formed(const char *s)
{
    char stack[64][32];
    int depth = 0, roots = 0;
    const char *p = s;
    if (!strncmp(p, "<?xml", 5)) {
        p = strstr(p, "?>");
        if (!p)
            return 0;
        p += 2;
    }
    while (*p) {
        if (*p != '<') {
            if (depth == 0 && !strchr(" \t\r\n", *p))
                return 0; /* text outside the root */
            if (*p == '&' && strncmp(p, "&lt;", 4) && strncmp(p, "&gt;", 4) && strncmp(p, "&amp;", 5) &&
                strncmp(p, "&quot;", 6))
                return 0;
            p++;
            continue;
        }
        const char *q = p + 1;
        int closing = *q == '/';
        if (closing)
            q++;
        char name[32];
        int n = 0;
        while (*q && !strchr(" \t\r\n/>", *q) && n < 31)
            name[n++] = *q++;
        name[n] = 0;
        if (!n)
            return 0;
        int in_quote = 0;
        while (*q && (in_quote || *q != '>')) {
            if (*q == '"')
                in_quote = !in_quote;
            if (*q == '<' && !in_quote)
                return 0;
            q++;
        }
        if (!*q)
            return 0;
        int self = q[-1] == '/';
        if (closing) {
            if (depth == 0 || strcmp(stack[depth - 1], name))
                return 0;
            depth--;
        } else if (!self) {
            if (depth == 0)
                roots++;
            if (depth == 64)
                return 0;
            strcpy(stack[depth++], name);
        } else if (depth == 0) {
            return 0;
        }
        p = q + 1;
    }
    return depth == 0 && roots == 1;
}

static void test_det_svg(void **state)
{
    (void)state;
    assert_true(xml_well_formed("<?xml version=\"1.0\"?>\n<a x=\"1\"><b/><c>t &amp; u</c></a>\n"));
    assert_false(xml_well_formed("<a><b></a></b>"));
    assert_false(xml_well_formed("<a>"));
    fp_eval_hist h;
    fill_uniform(&h);
    for (int i = 0; i < 10; i++)
        fp_eval_hist_add(&h, 1, INFINITY);
    char *svg = fp_eval_det_svg(&h, "DET <test> & \"quotes\"", "1000 + 1000 pairs");
    assert_non_null(svg);
    assert_true(xml_well_formed(svg));
    assert_non_null(strstr(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert_non_null(strstr(svg, "<polyline"));
    assert_non_null(strstr(svg, "DET &lt;test&gt; &amp; &quot;quotes&quot;"));
    assert_non_null(strstr(svg, "EER"));
    assert_null(strstr(svg, "nan"));
    assert_null(strstr(svg, "inf"));
    free(svg);
    /* empty histogram: axes only, still well-formed */
    fp_eval_hist e;
    assert_int_equal(fp_eval_hist_init(&e, 0, 0, NULL), FP_OK);
    svg = fp_eval_det_svg(&e, NULL, NULL);
    assert_non_null(svg);
    assert_true(xml_well_formed(svg));
    assert_null(strstr(svg, "<polyline"));
    free(svg);
    /* to a file */
    char path[] = "/tmp/fp_det_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(fp_eval_write_det_svg(&h, path, "t", NULL, NULL), FP_OK);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    static char buf[1 << 20];
    size_t len = fread(buf, 1, sizeof buf - 1, f);
    buf[len] = 0;
    fclose(f);
    assert_true(len > 100 && xml_well_formed(buf));
    unlink(path);
    fp_error err = {0};
    assert_int_equal(fp_eval_write_det_svg(&h, "/nonexistent-dir/x.svg", "t", NULL, &err), FP_ERR_IO);
    fp_eval_hist_free(&h);
    fp_eval_hist_free(&e);
}

/* ---- cache ---------------------------------------------------------------- */

static void write_file(const char *path, const char *content)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(content, f);
    fclose(f);
}

static void test_cache(void **state)
{
    (void)state;
    char dir[] = "/tmp/fp_cache_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char img_a[256], img_b[256], cpath[256];
    snprintf(img_a, sizeof img_a, "%s/a.jpg", dir);
    snprintf(img_b, sizeof img_b, "%s/b.jpg", dir);
    snprintf(cpath, sizeof cpath, "%s/emb.cache", dir);
    write_file(img_a, "image a bytes");
    write_file(img_b, "image b");
    float da[FP_FACE_DESCRIPTOR_DIM], out[FP_FACE_DESCRIPTOR_DIM];
    for (int i = 0; i < FP_FACE_DESCRIPTOR_DIM; i++)
        da[i] = (float)sin(i * 0.37) * 0.1f;
    fp_face face = {10.5f, 20.25f, 30, 30, 0.875f, {{0}}};

    char note[128];
    fp_eval_cache *c = NULL;
    assert_int_equal(fp_eval_cache_load(cpath, "tag1", &c, note, sizeof note, NULL), FP_OK);
    assert_int_equal(fp_eval_cache_size(c), 0);
    assert_string_equal(note, "new cache file");
    assert_int_equal(fp_eval_cache_put(c, img_a, 2, &face, da, NULL), FP_OK);
    assert_int_equal(fp_eval_cache_put(c, img_b, 0, NULL, NULL, NULL), FP_OK); /* no face */
    assert_int_equal(fp_eval_cache_put(c, img_b, 0, NULL, NULL, NULL), FP_OK); /* replaces */
    assert_int_equal(fp_eval_cache_size(c), 2);
    fp_error err = {0};
    assert_int_equal(fp_eval_cache_put(c, "/nonexistent/x.jpg", 1, &face, da, &err), FP_ERR_IO);
    assert_int_equal(fp_eval_cache_save(c, cpath, NULL), FP_OK);
    fp_eval_cache_free(c);

    struct stat sb;
    assert_int_equal(stat(cpath, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600); /* biometric data */

    /* round trip */
    assert_int_equal(fp_eval_cache_load(cpath, "tag1", &c, note, sizeof note, NULL), FP_OK);
    assert_int_equal(fp_eval_cache_size(c), 2);
    int nf = -1;
    fp_face got;
    assert_int_equal(fp_eval_cache_get(c, img_a, &nf, &got, out), 1);
    assert_int_equal(nf, 2);
    assert_memory_equal(out, da, sizeof da);
    assert_float_equal(got.x, 10.5f, 0);
    assert_float_equal(got.score, 0.875f, 0);
    assert_int_equal(fp_eval_cache_get(c, img_b, &nf, NULL, NULL), 1);
    assert_int_equal(nf, 0);
    assert_int_equal(fp_eval_cache_get(c, "/tmp/not-in-cache.jpg", &nf, NULL, NULL), 0);

    /* a changed file (new size) misses; so does a new mtime at the same size */
    write_file(img_a, "image A bytes, changed");
    assert_int_equal(fp_eval_cache_get(c, img_a, &nf, NULL, out), 0);
    write_file(img_b, "image B"); /* same size */
    struct timespec ts[2] = {{1000000, 0}, {1000000, 0}};
    assert_int_equal(utimensat(AT_FDCWD, img_b, ts, 0), 0);
    assert_int_equal(fp_eval_cache_get(c, img_b, &nf, NULL, NULL), 0);
    /* re-put refreshes the entry */
    assert_int_equal(fp_eval_cache_put(c, img_a, 1, &face, da, NULL), FP_OK);
    assert_int_equal(fp_eval_cache_get(c, img_a, &nf, NULL, out), 1);
    assert_int_equal(nf, 1);
    fp_eval_cache_free(c);

    /* another pipeline tag: ignored */
    assert_int_equal(fp_eval_cache_load(cpath, "tag2", &c, note, sizeof note, NULL), FP_OK);
    assert_int_equal(fp_eval_cache_size(c), 0);
    assert_non_null(strstr(note, "another pipeline"));
    fp_eval_cache_free(c);

    /* one flipped byte: checksum mismatch, empty cache */
    FILE *f = fopen(cpath, "r+b");
    assert_non_null(f);
    fseek(f, 40, SEEK_SET);
    int ch = fgetc(f);
    fseek(f, 40, SEEK_SET);
    fputc(ch ^ 0x20, f);
    fclose(f);
    assert_int_equal(fp_eval_cache_load(cpath, "tag1", &c, note, sizeof note, NULL), FP_OK);
    assert_int_equal(fp_eval_cache_size(c), 0);
    assert_non_null(strstr(note, "checksum"));
    fp_eval_cache_free(c);
    /* truncated / not a cache */
    write_file(cpath, "FPEMBC0");
    assert_int_equal(fp_eval_cache_load(cpath, "tag1", &c, note, sizeof note, NULL), FP_OK);
    assert_int_equal(fp_eval_cache_size(c), 0);
    fp_eval_cache_free(c);

    unlink(img_a);
    unlink(img_b);
    unlink(cpath);
    rmdir(dir);
}

static void test_main_center(void **state)
{
    (void)state;
    /* a large face cut by the border (what area alone would pick: LFW's
     * Holly_Hunter_0007) and the centred one: both rules pick the centred face */
    fp_face f[3] = {{-12.5f, 23.3f, 71.9f, 71.9f, 0.8f, {{0}}},
                    {47.9f, 50.4f, 62.9f, 62.9f, 0.9f, {{0}}},
                    {100, 0, 20, 20, 0.99f, {{0}}}};
    assert_int_equal(fp_face_main(f, 3, 150, 150), 1);
    assert_int_equal(fp_eval_main_center(f, 3, 150, 150), 1);
    assert_int_equal(fp_eval_main_center(f, 0, 150, 150), -1);
}

/* ---- tiny all-pairs run on LFW --------------------------------------------- */

static void test_all_pairs_tiny_lfw(void **state)
{
    (void)state;
    static const char *const people[] = {"Aaron_Peirsol", "Abel_Pacheco", "Akhmed_Zakayev", "Amber_Tamblyn"};
    static const int counts[] = {4, 4, 3, 2};
    char dir[] = "/tmp/fp_lfw4_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char link[512], target[512], cpath[512];
    for (int i = 0; i < 4; i++) {
        snprintf(target, sizeof target, "%s", fx_shared_path("data/lfw/lfw"));
        snprintf(target + strlen(target), sizeof target - strlen(target), "/%s", people[i]);
        snprintf(link, sizeof link, "%s/%s", dir, people[i]);
        assert_int_equal(symlink(target, link), 0);
    }
    snprintf(cpath, sizeof cpath, "%s.cache", dir);
    fp_error err = {0};
    fp_eval_set *set = NULL;
    assert_int_equal(fp_eval_set_from_dir(dir, &set, &err), FP_OK);
    assert_int_equal(set->n, 13);
    assert_int_equal(set->n_ids, 4);
    for (int i = 0, k = 0; i < 4; i++)
        for (int j = 0; j < counts[i]; j++, k++) {
            assert_string_equal(set->ids[set->images[k].label], people[i]); /* sorted by path */
            assert_non_null(strstr(set->images[k].path, people[i]));
        }

    fp_eval_cache *cache = NULL;
    assert_int_equal(fp_eval_cache_load(cpath, FP_EVAL_CACHE_TAG, &cache, NULL, 0, NULL), FP_OK);
    char models[4096];
    snprintf(models, sizeof models, "%s", fx_model_path(""));
    fp_eval_embed_opts eo = {models, 2, 0, cache, NULL, FP_EVAL_MAIN_LARGEST};
    fp_eval_embed_stats st;
    assert_int_equal(fp_eval_embed(set, &eo, &st, &err), FP_OK);
    assert_int_equal(st.computed, 13);
    assert_int_equal(st.cached, 0);
    assert_int_equal(st.errors, 0);
    assert_int_equal(st.no_face, 0);
    assert_int_equal(fp_eval_cache_save(cache, cpath, NULL), FP_OK);
    fp_eval_cache_free(cache);

    fp_eval_all_pairs_result r1, r2;
    assert_int_equal(fp_eval_all_pairs(set, 2, &r1, &err), FP_OK);
    /* C(4,2) + C(4,2) + C(3,2) + C(2,2) genuine of C(13,2) = 78 pairs */
    assert_int_equal(fp_eval_hist_genuine(&r1.hist), 16);
    assert_int_equal(fp_eval_hist_impostor(&r1.hist), 62);
    assert_int_equal(r1.hist.gen_fail, 0);
    assert_int_equal(r1.n_worst_gen, 16);
    assert_int_equal(r1.n_worst_imp, 16);
    /* worst lists are sorted and hold the true extremes */
    for (int i = 1; i < r1.n_worst_gen; i++)
        assert_true(r1.worst_gen[i - 1].distance >= r1.worst_gen[i].distance);
    const fp_eval_pair *wp = &r1.worst_gen[0];
    assert_int_equal(set->images[wp->a].label, set->images[wp->b].label);
    assert_float_equal(wp->distance,
                       fp_face_distance(set->desc + (size_t)wp->a * FP_FACE_DESCRIPTOR_DIM,
                                        set->desc + (size_t)wp->b * FP_FACE_DESCRIPTOR_DIM),
                       0);
    /* the ResNet separates these people: genuine pairs mostly below 0.6,
     * the closest impostor pair above the median genuine distance */
    assert_true(fp_eval_tar_at(&r1.hist, 6000) >= 0.8);
    assert_true(fp_eval_far_at(&r1.hist, 6000) <= 0.05);
    assert_true(r1.worst_imp[0].distance > r1.worst_gen[8].distance);

    /* one thread gives the same histogram */
    assert_int_equal(fp_eval_all_pairs(set, 1, &r2, &err), FP_OK);
    assert_memory_equal(r1.hist.gen, r2.hist.gen, (size_t)r1.hist.bins * sizeof *r1.hist.gen);
    assert_memory_equal(r1.hist.imp, r2.hist.imp, (size_t)r1.hist.bins * sizeof *r1.hist.imp);
    fp_eval_hist_free(&r2.hist);

    /* second run: every descriptor from the cache, identical */
    fp_eval_set *set2 = NULL;
    assert_int_equal(fp_eval_set_from_dir(dir, &set2, &err), FP_OK);
    assert_int_equal(fp_eval_cache_load(cpath, FP_EVAL_CACHE_TAG, &cache, NULL, 0, NULL), FP_OK);
    assert_int_equal(fp_eval_cache_size(cache), 13);
    eo.cache = cache;
    assert_int_equal(fp_eval_embed(set2, &eo, &st, &err), FP_OK);
    assert_int_equal(st.cached, 13);
    assert_int_equal(st.computed, 0);
    assert_memory_equal(set->desc, set2->desc, (size_t)13 * FP_FACE_DESCRIPTOR_DIM * sizeof(float));
    fp_eval_cache_free(cache);

    /* an FTA image (not a face) turns its genuine pairs into rejections */
    set2->images[0].ok = 0;
    assert_int_equal(fp_eval_all_pairs(set2, 2, &r2, &err), FP_OK);
    assert_int_equal(r2.hist.gen_fail, 3);  /* Aaron_Peirsol_0001 with the 3 others */
    assert_int_equal(r2.hist.imp_fail, 9);
    assert_int_equal(fp_eval_hist_genuine(&r2.hist), 16);
    assert_true(fp_eval_tar_at(&r2.hist, r2.hist.bins) <= 13.0 / 16 + 1e-12);
    fp_eval_hist_free(&r2.hist);

    fp_eval_hist_free(&r1.hist);
    fp_eval_set_free(set);
    fp_eval_set_free(set2);
    for (int i = 0; i < 4; i++) {
        snprintf(link, sizeof link, "%s/%s", dir, people[i]);
        unlink(link);
    }
    rmdir(dir);
    unlink(cpath);

    /* errors */
    assert_int_equal(fp_eval_set_from_dir("/nonexistent-dir", &set, &err), FP_ERR_NOT_FOUND);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_uniform_known_answers),
        cmocka_unit_test(test_fta_counts_as_rejection),
        cmocka_unit_test(test_normal_known_answers),
        cmocka_unit_test(test_folds),
        cmocka_unit_test(test_det_svg),
        cmocka_unit_test(test_cache),
        cmocka_unit_test(test_main_center),
        cmocka_unit_test(test_all_pairs_tiny_lfw),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
