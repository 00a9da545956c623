/* libFuzzer target: the TF.js graph-model loader (fp_nn_model_load).
 *
 * The fuzz input is written as model.json into a per-process temp dir that
 * also holds w.bin, a small weight shard built here at start-up (so the
 * target does not depend on the installed models). The seed corpus
 * (fuzz/corpus/fuzz_tfjs_model/) holds model.json files whose manifest
 * slices w.bin exactly as laid out in `shard[]` below, over a graph that
 * uses most supported ops (fused conv, depthwise, batch norm, pooling, pad,
 * mean, reshape, matmul, softmax, resize, transpose, strided slice, concat).
 *
 * Every input must either load (then, if small, run once) or fail with a
 * status and message; any crash, sanitizer report or leak is a bug. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "faceprint/nn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* The shard, in manifest order. Float tensors get small deterministic
 * values (positive where a batch-norm variance needs it); int32 tensors
 * hold the shape operands the seed graph uses. */
typedef enum { F32, F16, U8, I32 } kind;
typedef struct {
    const char *name;
    kind k;
    int count;
    int32_t ints[8];
} shard_entry;

static const shard_entry shard[] = {
    {"w_conv", F32, 108, {0}},
    {"b_conv", F32, 4, {0}},
    {"w_dw", F16, 36, {0}},
    {"bn_scale", F32, 4, {0}},
    {"bn_offset", F32, 4, {0}},
    {"bn_mean", F32, 4, {0}},
    {"bn_var", F32, 4, {0}},
    {"pad_c", I32, 8, {0, 0, 1, 1, 1, 1, 0, 0}},
    {"mean_axes", I32, 2, {1, 2}},
    {"shape_c", I32, 2, {1, 4}},
    {"w_fc", U8, 12, {0}},
    {"b_fc", F32, 3, {0}},
    {"resize_size", I32, 2, {4, 4}},
    {"perm", I32, 4, {0, 3, 1, 2}},
    {"ss_begin", I32, 4, {0, 0, 0, 0}},
    {"ss_end", I32, 4, {1, 2, 4, 4}},
    {"ss_strides", I32, 4, {1, 1, 1, 1}},
    {"cc_axis", I32, 1, {3}},
};

static char dir[256];
static char model_path[300];
static int verbose; /* FP_FUZZ_VERBOSE=1: print each load result (for checking seeds) */

static void cleanup(void)
{
    char p[320];
    snprintf(p, sizeof p, "%s/model.json", dir);
    unlink(p);
    snprintf(p, sizeof p, "%s/w.bin", dir);
    unlink(p);
    rmdir(dir);
}

static uint16_t to_half(float f)
{
    /* values here are small normal numbers: a simple conversion suffices */
    uint32_t x;
    memcpy(&x, &f, 4);
    uint32_t sign = x >> 31, exp = (x >> 23) & 0xFF, mant = x & 0x7FFFFF;
    if (exp == 0)
        return (uint16_t)(sign << 15);
    int e = (int)exp - 127 + 15;
    if (e <= 0)
        return (uint16_t)(sign << 15);
    if (e >= 31)
        return (uint16_t)(sign << 15 | 0x7C00);
    return (uint16_t)(sign << 15 | (uint32_t)e << 10 | mant >> 13);
}

static int write_shard(const char *path)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    uint32_t s = 12345;
    for (size_t i = 0; i < sizeof shard / sizeof shard[0]; i++) {
        const shard_entry *e = &shard[i];
        for (int j = 0; j < e->count; j++) {
            s = s * 1103515245u + 12345u;
            float v = (float)((s >> 8) & 0xFFFF) / 65536.0f - 0.5f; /* [-0.5, 0.5) */
            if (!strcmp(e->name, "bn_var") || !strcmp(e->name, "bn_scale"))
                v = v + 1.0f; /* positive */
            switch (e->k) {
            case F32: fwrite(&v, 4, 1, f); break;
            case F16: { uint16_t h = to_half(v); fwrite(&h, 2, 1, f); break; }
            case U8: { uint8_t b = (uint8_t)(s >> 24); fwrite(&b, 1, 1, f); break; }
            case I32: fwrite(&e->ints[j], 4, 1, f); break;
            }
        }
    }
    return fclose(f);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/fp_fuzz_tfjs_XXXXXX", tmp && *tmp && strlen(tmp) < 200 ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        abort();
    }
    atexit(cleanup);
    char bin[320];
    snprintf(bin, sizeof bin, "%s/w.bin", dir);
    if (write_shard(bin) != 0) {
        perror("w.bin");
        abort();
    }
    snprintf(model_path, sizeof model_path, "%s/model.json", dir);
    const char *v = getenv("FP_FUZZ_VERBOSE");
    verbose = v && *v == '1';
    return 0;
}

static void run_small(const fp_nn_model *m)
{
    /* run only models whose activations and work stay small */
    if (fp_nn_model_peak_bytes(m) > (16 << 20) || fp_nn_model_flops(m) > 2e7)
        return;
    int ni = fp_nn_model_num_inputs(m), no = fp_nn_model_num_outputs(m);
    if (ni < 1 || ni > 8 || no < 1 || no > 16)
        return;
    float *in[8] = {0}, *out[16] = {0};
    int ok = 1;
    for (int i = 0; i < ni && ok; i++) {
        fp_shape s;
        if (fp_nn_model_input(m, i, NULL, &s) != FP_OK)
            abort();
        int64_t n = 1;
        for (int d = 0; d < s.rank; d++)
            n *= s.dim[d];
        if (n < 0 || n > (4 << 20)) {
            ok = 0;
            break;
        }
        in[i] = malloc((size_t)(n ? n : 1) * sizeof(float));
        ok = in[i] != NULL;
        for (int64_t k = 0; ok && k < n; k++)
            in[i][k] = (float)(k % 17) / 8.0f - 1.0f;
    }
    for (int i = 0; i < no && ok; i++) {
        fp_shape s;
        if (fp_nn_model_output(m, i, NULL, &s) != FP_OK)
            abort();
        int64_t n = 1;
        for (int d = 0; d < s.rank; d++)
            n *= s.dim[d];
        if (n < 0 || n > (4 << 20)) {
            ok = 0;
            break;
        }
        out[i] = malloc((size_t)(n ? n : 1) * sizeof(float));
        ok = out[i] != NULL;
    }
    fp_nn_session *sess = NULL;
    if (ok && fp_nn_session_new(m, NULL, &sess) == FP_OK) {
        if (fp_nn_session_run(sess, (const float *const *)in, out) != FP_OK)
            abort(); /* a loaded model with valid buffers must run */
        fp_nn_session_free(sess);
    }
    for (int i = 0; i < 8; i++)
        free(in[i]);
    for (int i = 0; i < 16; i++)
        free(out[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FILE *f = fopen(model_path, "wb");
    if (!f)
        abort();
    if (size && fwrite(data, 1, size, f) != size)
        abort();
    if (fclose(f) != 0)
        abort();
    fp_nn_model *m = NULL;
    fp_error err;
    memset(&err, 0, sizeof err);
    fp_status st = fp_nn_model_load(model_path, NULL, &m, &err);
    if (verbose)
        fprintf(stderr, "fuzz_tfjs_model: %s %s (peak %lld bytes, %.0f flops)\n", fp_status_name(st),
                st == FP_OK ? "" : err.message, st == FP_OK ? (long long)fp_nn_model_peak_bytes(m) : 0LL,
                st == FP_OK ? fp_nn_model_flops(m) : 0.0);
    if (st == FP_OK) {
        if (!m)
            abort();
        run_small(m);
        fp_nn_model_free(m);
    } else {
        if (m || err.status != st || !err.message[0])
            abort();
    }
    return 0;
}
