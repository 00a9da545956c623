/* Parity of our face-api graphs (src/nn/faceapi/) with TF.js: every stored
 * output of the 6 face-api models on both fixture cases, through the public
 * API (fp_nn_model_load on the *-weights_manifest.json). Also corrupt-model
 * failures (truncated shard, wrong weight shape, missing weight).
 *
 * Prints one "PARITY" line per model/case/output with max abs / rel / cosine. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/sha256.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/file.h"
#include "core/json.h"
#include "faceprint/nn.h"
#include "nn/faceapi/faceapi.h"
#include "support/fixture.h"

#define FACEAPI_DIR "@vladmandic/face-api/model/"
#define REL_TOL 1e-4
#define COS_TOL 0.99999

/* ---- small helpers -------------------------------------------------------- */

static fp_json_doc *load_json(const char *path)
{
    char *text = NULL;
    size_t len = 0;
    fp_error err;
    if (fp_read_file(path, (size_t)64 << 20, &text, &len, &err) != FP_OK) {
        print_error("cannot read %s: %s\n", path, err.message);
        return NULL;
    }
    fp_json_doc *doc = NULL;
    fp_status st = fp_json_parse(text, len, NULL, &doc, &err);
    free(text);
    if (st != FP_OK) {
        print_error("cannot parse %s: %s\n", path, err.message);
        return NULL;
    }
    return doc;
}

static int json_shape(const fp_json *t, fp_shape *s)
{
    const fp_json *sh = fp_json_get(t, "shape");
    if (!sh || sh->type != FP_JSON_ARRAY || sh->length > FP_MAX_RANK)
        return 0;
    s->rank = (int)sh->length;
    for (size_t i = 0; i < sh->length; i++)
        s->dim[i] = (int64_t)fp_json_at(sh, i)->number;
    return 1;
}

static int64_t shape_numel(const fp_shape *s)
{
    int64_t n = 1;
    for (int i = 0; i < s->rank; i++)
        n *= s->dim[i];
    return n;
}

static int shapes_equal(const fp_shape *a, const fp_shape *b)
{
    if (a->rank != b->rank)
        return 0;
    for (int i = 0; i < a->rank; i++)
        if (a->dim[i] != b->dim[i])
            return 0;
    return 1;
}

static const char *manifest_file(const fp_json *index)
{
    const fp_json *files = fp_json_get(index, "model_files");
    for (size_t i = 0; files && i < files->length; i++) {
        const char *f = fp_json_get_string(fp_json_at(files, i), "file");
        if (f && strstr(f, "-weights_manifest.json"))
            return f;
    }
    return NULL;
}

static const char *fixture_file(const char *model, const char *file)
{
    char rel[512];
    snprintf(rel, sizeof rel, "reference/tensors/%s/%s", model, file);
    return fx_shared_path(rel);
}

/* ---- SHA-256 (FIPS 180-4), to pin the model files to the fixtures' ones ---- */

static void sha256_hex(const unsigned char *data, size_t len, char hex[65])
{
    fp_sha256_hex(data, len, hex);
}

/* The packaged model files are byte-identical to the ones the fixtures came from. */
static void check_model_files(const fp_json *index)
{
    const fp_json *files = fp_json_get(index, "model_files");
    assert_non_null(files);
    for (size_t i = 0; i < files->length; i++) {
        const fp_json *f = fp_json_at(files, i);
        const char *file = fp_json_get_string(f, "file"), *want = fp_json_get_string(f, "sha256");
        assert_true(file && want);
        char rel[512];
        snprintf(rel, sizeof rel, "@vladmandic/face-api/%s", file);
        char *data = NULL;
        size_t len = 0;
        fp_error err;
        assert_int_equal(fp_read_file(fx_model_path(rel), (size_t)64 << 20, &data, &len, &err), FP_OK);
        char hex[65];
        sha256_hex((const unsigned char *)data, len, hex);
        free(data);
        if (strcmp(hex, want) != 0)
            print_error("%s: sha256 %s, fixtures were made with %s\n", file, hex, want);
        assert_string_equal(hex, want);
    }
}

/* ---- the parity run ------------------------------------------------------- */

typedef struct run_stats {
    int outputs_checked;
    double worst_rel;
} run_stats;

static void check_case(const char *model, const char *manifest_rel, const fp_json *cas, int override_input,
                       fp_threadpool *tp, run_stats *stats)
{
    const char *case_name = fp_json_get_string(cas, "case");
    const fp_json *tensors = fp_json_get(cas, "tensors");
    assert_non_null(case_name);
    assert_non_null(tensors);

    /* the fixture input */
    const fp_json *in_t = NULL;
    for (size_t i = 0; i < tensors->length; i++)
        if (strcmp(fp_json_get_string(fp_json_at(tensors, i), "role"), "input") == 0)
            in_t = fp_json_at(tensors, i);
    assert_non_null(in_t);
    fp_shape in_shape;
    assert_true(json_shape(in_t, &in_shape));

    const char *manifest_path = fx_model_path(manifest_rel);
    char manifest_copy[4096];
    snprintf(manifest_copy, sizeof manifest_copy, "%s", manifest_path);

    fp_nn_options opts;
    memset(&opts, 0, sizeof opts);
    const char *in_names[1] = {"input"};
    if (override_input) {
        opts.n_input_shapes = 1;
        opts.input_names = in_names;
        opts.input_shapes = &in_shape;
    }
    fp_nn_model *m = NULL;
    fp_error err = {FP_OK, {0}};
    fp_status st = fp_nn_model_load(manifest_copy, &opts, &m, &err);
    if (st != FP_OK)
        print_error("%s: load failed: %s (%s)\n", model, err.message, fp_status_name(st));
    assert_int_equal(st, FP_OK);

    assert_int_equal(fp_nn_model_num_inputs(m), 1);
    const char *iname = NULL;
    fp_shape ishape;
    assert_int_equal(fp_nn_model_input(m, 0, &iname, &ishape), FP_OK);
    assert_string_equal(iname, "input");
    assert_true(shapes_equal(&ishape, &in_shape));

    size_t n_in = 0;
    float *input = fx_read_f32(fixture_file(model, fp_json_get_string(in_t, "file")), &n_in);
    assert_non_null(input);
    assert_int_equal((int64_t)n_in, shape_numel(&in_shape));

    int n_out = fp_nn_model_num_outputs(m);
    assert_true(n_out >= 1 && n_out <= 8);
    float *outs[8] = {0};
    const char *onames[8];
    fp_shape oshapes[8];
    for (int i = 0; i < n_out; i++) {
        assert_int_equal(fp_nn_model_output(m, i, &onames[i], &oshapes[i]), FP_OK);
        outs[i] = malloc((size_t)shape_numel(&oshapes[i]) * sizeof(float));
        assert_non_null(outs[i]);
    }

    fp_nn_session *s = NULL;
    assert_int_equal(fp_nn_session_new(m, tp, &s), FP_OK);
    const float *ins[1] = {input};
    st = fp_nn_session_run(s, ins, outs);
    assert_int_equal(st, FP_OK);

    /* every stored output must be produced and match */
    int expected_index = 0;
    for (size_t t = 0; t < tensors->length; t++) {
        const fp_json *ot = fp_json_at(tensors, t);
        if (strcmp(fp_json_get_string(ot, "role"), "output") != 0)
            continue;
        const char *oname = fp_json_get_string(ot, "name");
        fp_shape ref_shape;
        assert_true(json_shape(ot, &ref_shape));
        size_t n_ref = 0;
        float *ref = fx_read_f32(fixture_file(model, fp_json_get_string(ot, "file")), &n_ref);
        assert_non_null(ref);

        const float *got = NULL;
        float post[136];
        int idx = -1;
        for (int i = 0; i < n_out; i++)
            if (strcmp(onames[i], oname) == 0)
                idx = i;
        if (idx >= 0) {
            /* graph outputs come in the fixture's order */
            assert_int_equal(idx, expected_index);
            expected_index++;
            if (!shapes_equal(&oshapes[idx], &ref_shape))
                print_error("%s/%s: output '%s' shape rank %d vs fixture rank %d\n", model, case_name, oname,
                            oshapes[idx].rank, ref_shape.rank);
            assert_true(shapes_equal(&oshapes[idx], &ref_shape));
            got = outs[idx];
        } else if (strcmp(oname, "landmarks") == 0) {
            /* post-processed in C from landmarks_raw and the crop size */
            int raw = -1;
            for (int i = 0; i < n_out; i++)
                if (strcmp(onames[i], "landmarks_raw") == 0)
                    raw = i;
            assert_true(raw >= 0);
            const fp_json *hw = fp_json_get(cas, "net_input_dims_hw");
            assert_non_null(hw);
            int h = (int)fp_json_at(hw, 0)->number, w = (int)fp_json_at(hw, 1)->number;
            assert_int_equal((int)n_ref, 136);
            nn_faceapi_landmarks_postprocess(outs[raw], w, h, 112, post);
            got = post;
        } else {
            print_error("%s/%s: the graph has no output '%s'\n", model, case_name, oname);
            fail();
        }

        fx_diff d = fx_compare(got, ref, n_ref);
        printf("PARITY %-22s %-22s %-18s n=%-6zu max_abs=%.3e max_ref=%.3e rel=%.3e cos=%.9f%s\n", model,
               case_name, oname, n_ref, d.max_abs, d.max_ref, d.rel, d.cosine, tp ? " (threads)" : "");
        if (d.rel > REL_TOL)
            print_error("%s/%s/%s: rel %.3e > %.0e (worst index %zu: got %.7g ref %.7g)\n", model, case_name,
                        oname, d.rel, REL_TOL, d.worst_index, (double)got[d.worst_index],
                        (double)ref[d.worst_index]);
        assert_true(d.rel <= REL_TOL);
        if (strcmp(oname, "descriptor") == 0)
            assert_true(d.cosine >= COS_TOL);
        stats->outputs_checked++;
        if (d.rel > stats->worst_rel)
            stats->worst_rel = d.rel;
        free(ref);
    }
    assert_int_equal(expected_index, n_out);

    fp_nn_session_free(s);
    for (int i = 0; i < n_out; i++)
        free(outs[i]);
    free(input);
    fp_nn_model_free(m);
}

static void check_model(const char *model, int override_input)
{
    char rel[256];
    snprintf(rel, sizeof rel, "reference/tensors/%s/index.json", model);
    fp_json_doc *doc = load_json(fx_shared_path(rel));
    assert_non_null(doc);
    const fp_json *index = fp_json_root(doc);
    check_model_files(index);
    const char *mf = manifest_file(index);
    assert_non_null(mf);
    char manifest_rel[512];
    snprintf(manifest_rel, sizeof manifest_rel, "@vladmandic/face-api/%s", mf);

    const fp_json *cases = fp_json_get(index, "cases");
    assert_non_null(cases);
    assert_true(cases->length >= 2);
    run_stats stats = {0, 0};
    for (size_t i = 0; i < cases->length; i++)
        check_case(model, manifest_rel, fp_json_at(cases, i), override_input, NULL, &stats);

    /* the same through a 4-thread pool: must agree just as well */
    fp_threadpool *tp = NULL;
    assert_int_equal(fp_threadpool_new(4, &tp), FP_OK);
    for (size_t i = 0; i < cases->length; i++)
        check_case(model, manifest_rel, fp_json_at(cases, i), override_input, tp, &stats);
    fp_threadpool_free(tp);

    printf("PARITY %-22s checked %d outputs, worst rel %.3e\n", model, stats.outputs_checked, stats.worst_rel);
    fp_json_doc_free(doc);
}

static void test_face_recognition(void **state)
{
    (void)state;
    check_model("face_recognition_model", 0);
}

static void test_ssd_mobilenetv1(void **state)
{
    (void)state;
    check_model("ssd_mobilenetv1", 0);
}

static void test_tiny_face_detector(void **state)
{
    (void)state;
    check_model("tiny_face_detector", 1); /* stored at 224 and 160 */
}

static void test_face_landmark_68(void **state)
{
    (void)state;
    check_model("face_landmark_68", 0);
}

static void test_face_landmark_68_tiny(void **state)
{
    (void)state;
    check_model("face_landmark_68_tiny", 0);
}

static void test_age_gender(void **state)
{
    (void)state;
    check_model("age_gender_model", 0);
}

/* ---- architecture names ---------------------------------------------------- */

static void test_arch_from_path(void **state)
{
    (void)state;
    static const char *const pairs[][2] = {
        {"/x/y/face_recognition_model-weights_manifest.json", "face_recognition"},
        {"ssd_mobilenetv1_model-weights_manifest.json", "ssd_mobilenetv1"},
        {"model/tiny_face_detector_model-weights_manifest.json", "tiny_face_detector"},
        {"face_landmark_68_model-weights_manifest.json", "face_landmark_68"},
        {"a/face_landmark_68_tiny_model-weights_manifest.json", "face_landmark_68_tiny"},
        {"age_gender_model-weights_manifest.json", "age_gender"},
    };
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        const char *a = nn_faceapi_arch_from_path(pairs[i][0]);
        assert_non_null(a);
        assert_string_equal(a, pairs[i][1]);
        assert_true(nn_faceapi_arch_known(a));
    }
    assert_null(nn_faceapi_arch_from_path(NULL));
    assert_null(nn_faceapi_arch_from_path("model.json"));
    assert_null(nn_faceapi_arch_from_path("face_expression_model-weights_manifest.json"));
    assert_null(nn_faceapi_arch_from_path("face_recognition_model.bin"));
    assert_null(nn_faceapi_arch_from_path("xface_recognition_model-weights_manifest.json"));
    assert_null(nn_faceapi_arch_from_path("face_recognition_model-weights_manifest.json/"));
    assert_false(nn_faceapi_arch_known("nope"));
}

/* ---- corrupt models --------------------------------------------------------- */

static char tmp_dir[256];

static void make_tmp_dir(void)
{
    const char *base = getenv("TMPDIR");
    snprintf(tmp_dir, sizeof tmp_dir, "%s/fp_faceapi_XXXXXX", base && *base ? base : "/tmp");
    assert_non_null(mkdtemp(tmp_dir));
}

static void write_file(const char *name, const void *data, size_t len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", tmp_dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
}

static void remove_tmp(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", tmp_dir, name);
    unlink(path);
}

static char *read_model_file(const char *name, size_t *len)
{
    char rel[256];
    snprintf(rel, sizeof rel, FACEAPI_DIR "%s", name);
    char *data = NULL;
    fp_error err;
    assert_int_equal(fp_read_file(fx_model_path(rel), (size_t)64 << 20, &data, len, &err), FP_OK);
    return data;
}

/* Replaces the first occurrence of from by to (same or different length). */
static char *replace_once(const char *text, const char *from, const char *to)
{
    const char *p = strstr(text, from);
    assert_non_null(p);
    size_t n = strlen(text) - strlen(from) + strlen(to);
    char *out = malloc(n + 1);
    assert_non_null(out);
    size_t pre = (size_t)(p - text);
    memcpy(out, text, pre);
    strcpy(out + pre, to);
    strcat(out, p + strlen(from));
    return out;
}

static fp_status load_tmp(const char *manifest_name, fp_error *err)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", tmp_dir, manifest_name);
    fp_nn_model *m = NULL;
    memset(err, 0, sizeof *err);
    fp_status st = fp_nn_model_load(path, NULL, &m, err);
    if (st == FP_OK)
        fp_nn_model_free(m);
    else
        assert_null(m);
    printf("CORRUPT %s -> %s: %s\n", manifest_name, fp_status_name(st), err->message);
    return st;
}

static void test_corrupt_models(void **state)
{
    (void)state;
    static const char manifest_name[] = "tiny_face_detector_model-weights_manifest.json";
    static const char bin_name[] = "tiny_face_detector_model.bin";
    size_t mlen = 0, blen = 0;
    char *manifest = read_model_file(manifest_name, &mlen);
    char *bin = read_model_file(bin_name, &blen);
    make_tmp_dir();
    fp_error err;

    /* intact copy loads */
    write_file(manifest_name, manifest, mlen);
    write_file(bin_name, bin, blen);
    assert_int_equal(load_tmp(manifest_name, &err), FP_OK);

    /* truncated shard: half, and one byte short */
    write_file(bin_name, bin, blen / 2);
    fp_status st = load_tmp(manifest_name, &err);
    assert_true(st == FP_ERR_TRUNCATED || st == FP_ERR_FORMAT);
    assert_int_equal(err.status, st);
    assert_true(strlen(err.message) > 0);
    write_file(bin_name, bin, blen - 1);
    st = load_tmp(manifest_name, &err);
    assert_true(st == FP_ERR_TRUNCATED || st == FP_ERR_FORMAT);
    assert_true(strlen(err.message) > 0);
    /* empty shard */
    write_file(bin_name, bin, 0);
    st = load_tmp(manifest_name, &err);
    assert_true(st == FP_ERR_TRUNCATED || st == FP_ERR_FORMAT);
    write_file(bin_name, bin, blen);

    /* a weight with a wrong (same element count) shape: caught by the builder */
    char *bad = replace_once(manifest, "\"name\":\"conv0/filters\",\"shape\":[3,3,3,16]",
                             "\"name\":\"conv0/filters\",\"shape\":[3,3,16,3]");
    write_file(manifest_name, bad, strlen(bad));
    free(bad);
    st = load_tmp(manifest_name, &err);
    assert_true(st == FP_ERR_SHAPE || st == FP_ERR_FORMAT);
    assert_non_null(strstr(err.message, "conv0/filters"));

    /* a wrong shape with another element count: the shard no longer matches */
    bad = replace_once(manifest, "\"name\":\"conv8/bias\",\"shape\":[25]", "\"name\":\"conv8/bias\",\"shape\":[26]");
    write_file(manifest_name, bad, strlen(bad));
    free(bad);
    st = load_tmp(manifest_name, &err);
    assert_true(st == FP_ERR_SHAPE || st == FP_ERR_FORMAT || st == FP_ERR_TRUNCATED);
    assert_true(strlen(err.message) > 0);

    /* a missing weight (renamed) */
    bad = replace_once(manifest, "\"name\":\"conv8/bias\"", "\"name\":\"conv8/biaz\"");
    write_file(manifest_name, bad, strlen(bad));
    free(bad);
    st = load_tmp(manifest_name, &err);
    assert_int_equal(st, FP_ERR_NOT_FOUND);
    assert_non_null(strstr(err.message, "conv8/bias"));

    /* a manifest whose name does not tell the architecture: options.arch does */
    write_file("renamed-weights_manifest.json", manifest, mlen);
    {
        char path[512];
        snprintf(path, sizeof path, "%s/renamed-weights_manifest.json", tmp_dir);
        fp_nn_model *m = NULL;
        memset(&err, 0, sizeof err);
        st = fp_nn_model_load(path, NULL, &m, &err);
        printf("CORRUPT renamed (no arch) -> %s: %s\n", fp_status_name(st), err.message);
        assert_int_not_equal(st, FP_OK);
        assert_null(m);
        fp_nn_options opts;
        memset(&opts, 0, sizeof opts);
        opts.arch = "no_such_arch";
        st = fp_nn_model_load(path, &opts, &m, &err);
        printf("CORRUPT renamed (bad arch) -> %s: %s\n", fp_status_name(st), err.message);
        assert_int_not_equal(st, FP_OK);
        assert_null(m);
        opts.arch = "tiny_face_detector";
        st = fp_nn_model_load(path, &opts, &m, &err);
        assert_int_equal(st, FP_OK);
        fp_nn_model_free(m);
        /* the weights of another architecture */
        opts.arch = "face_landmark_68_tiny";
        st = fp_nn_model_load(path, &opts, &m, &err);
        printf("CORRUPT renamed (wrong arch) -> %s: %s\n", fp_status_name(st), err.message);
        assert_int_equal(st, FP_ERR_NOT_FOUND);
        assert_null(m);
        remove_tmp("renamed-weights_manifest.json");
    }

    /* malformed JSON */
    write_file(manifest_name, manifest, mlen / 3);
    st = load_tmp(manifest_name, &err);
    assert_true(st == FP_ERR_FORMAT || st == FP_ERR_TRUNCATED);

    remove_tmp(manifest_name);
    remove_tmp(bin_name);
    rmdir(tmp_dir);
    free(manifest);
    free(bin);
}

/* Input shape overrides that the architectures cannot take fail cleanly;
 * defaults and batches work. */
static void test_input_shapes(void **state)
{
    (void)state;
    struct {
        const char *manifest;
        fp_shape shape;
    } bad[] = {
        {"tiny_face_detector_model-weights_manifest.json", {4, {1, 100, 100, 3}}},
        {"tiny_face_detector_model-weights_manifest.json", {4, {1, 224, 160, 3}}},
        {"face_landmark_68_tiny_model-weights_manifest.json", {4, {1, 128, 128, 3}}},
        {"face_landmark_68_tiny_model-weights_manifest.json", {4, {1, 112, 112, 1}}},
        {"age_gender_model-weights_manifest.json", {3, {112, 112, 3}}},
    };
    const char *names[1] = {"input"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char rel[256];
        snprintf(rel, sizeof rel, FACEAPI_DIR "%s", bad[i].manifest);
        fp_nn_options opts;
        memset(&opts, 0, sizeof opts);
        opts.n_input_shapes = 1;
        opts.input_names = names;
        opts.input_shapes = &bad[i].shape;
        fp_nn_model *m = NULL;
        fp_error err = {FP_OK, {0}};
        fp_status st = fp_nn_model_load(fx_model_path(rel), &opts, &m, &err);
        printf("BADSHAPE %s -> %s: %s\n", bad[i].manifest, fp_status_name(st), err.message);
        assert_int_not_equal(st, FP_OK);
        assert_true(st == FP_ERR_SHAPE || st == FP_ERR_INVALID_ARG);
        assert_null(m);
    }

    /* default input shapes */
    static const struct {
        const char *manifest;
        fp_shape in, out0;
    } defaults[] = {
        {"tiny_face_detector_model-weights_manifest.json", {4, {1, 416, 416, 3}}, {4, {1, 13, 13, 25}}},
        {"face_recognition_model-weights_manifest.json", {4, {1, 150, 150, 3}}, {2, {1, 128}}},
        {"ssd_mobilenetv1_model-weights_manifest.json", {4, {1, 512, 512, 3}}, {4, {1, 5118, 1, 4}}},
        {"age_gender_model-weights_manifest.json", {4, {1, 112, 112, 3}}, {1, {1}}},
    };
    for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++) {
        char drel[256];
        snprintf(drel, sizeof drel, FACEAPI_DIR "%s", defaults[i].manifest);
        fp_nn_model *dm = NULL;
        fp_error derr = {FP_OK, {0}};
        assert_int_equal(fp_nn_model_load(fx_model_path(drel), NULL, &dm, &derr), FP_OK);
        const char *nm;
        fp_shape sh;
        assert_int_equal(fp_nn_model_input(dm, 0, &nm, &sh), FP_OK);
        assert_true(shapes_equal(&sh, &defaults[i].in));
        assert_int_equal(fp_nn_model_output(dm, 0, &nm, &sh), FP_OK);
        assert_true(shapes_equal(&sh, &defaults[i].out0));
        fp_nn_model_free(dm);
    }

    /* a batch of 2 works for the landmark net and gives the same rows */
    char rel[256];
    snprintf(rel, sizeof rel, FACEAPI_DIR "face_landmark_68_tiny_model-weights_manifest.json");
    fp_shape b2 = {4, {2, 112, 112, 3}};
    fp_nn_options opts;
    memset(&opts, 0, sizeof opts);
    opts.n_input_shapes = 1;
    opts.input_names = names;
    opts.input_shapes = &b2;
    fp_nn_model *m = NULL;
    fp_error err = {FP_OK, {0}};
    assert_int_equal(fp_nn_model_load(fx_model_path(rel), &opts, &m, &err), FP_OK);
    size_t n0 = 0, n1 = 0, r0 = 0, r1 = 0;
    float *a = fx_read_f32(fixture_file("face_landmark_68_tiny", "lfw_colin_powell_0001/input.f32"), &n0);
    float *b = fx_read_f32(fixture_file("face_landmark_68_tiny", "compreface_009_c/input.f32"), &n1);
    float *ra = fx_read_f32(fixture_file("face_landmark_68_tiny", "lfw_colin_powell_0001/landmarks_raw.f32"), &r0);
    float *rb = fx_read_f32(fixture_file("face_landmark_68_tiny", "compreface_009_c/landmarks_raw.f32"), &r1);
    assert_true(a && b && ra && rb && n0 == n1 && r0 == 136 && r1 == 136);
    float *in = malloc(2 * n0 * sizeof *in);
    float out[272];
    memcpy(in, a, n0 * sizeof *in);
    memcpy(in + n0, b, n0 * sizeof *in);
    fp_nn_session *s = NULL;
    assert_int_equal(fp_nn_session_new(m, NULL, &s), FP_OK);
    const float *ins[1] = {in};
    float *outs[1] = {out};
    assert_int_equal(fp_nn_session_run(s, ins, outs), FP_OK);
    fx_diff d0 = fx_compare(out, ra, 136), d1 = fx_compare(out + 136, rb, 136);
    printf("PARITY batch2 face_landmark_68_tiny rel %.3e / %.3e\n", d0.rel, d1.rel);
    assert_true(d0.rel <= REL_TOL && d1.rel <= REL_TOL);
    fp_nn_session_free(s);
    fp_nn_model_free(m);
    free(in), free(a), free(b), free(ra), free(rb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arch_from_path),
        cmocka_unit_test(test_face_landmark_68_tiny),
        cmocka_unit_test(test_face_landmark_68),
        cmocka_unit_test(test_age_gender),
        cmocka_unit_test(test_tiny_face_detector),
        cmocka_unit_test(test_face_recognition),
        cmocka_unit_test(test_ssd_mobilenetv1),
        cmocka_unit_test(test_corrupt_models),
        cmocka_unit_test(test_input_shapes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
