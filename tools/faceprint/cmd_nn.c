/* `faceprint nn info|check`: inspect a model, or check every packaged model
 * against the TF.js reference outputs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "faceprint/nn.h"
#include "nn/refcase.h"

static void print_shape(const fp_shape *s)
{
    printf("[");
    for (int i = 0; i < s->rank; i++)
        printf("%s%lld", i ? "," : "", (long long)s->dim[i]);
    printf("]");
}

static int nn_info(const char *path)
{
    fp_error err = {0};
    fp_nn_model *m;
    fp_status st = fp_nn_model_load(path, NULL, &m, &err);
    if (st != FP_OK)
        return tool_fail(path, st, &err);
    for (int i = 0; i < fp_nn_model_num_inputs(m); i++) {
        const char *name;
        fp_shape s;
        fp_nn_model_input(m, i, &name, &s);
        printf("input  %-28s ", name);
        print_shape(&s);
        printf("\n");
    }
    for (int i = 0; i < fp_nn_model_num_outputs(m); i++) {
        const char *name;
        fp_shape s;
        fp_nn_model_output(m, i, &name, &s);
        printf("output %-28s ", name);
        print_shape(&s);
        printf("\n");
    }
    printf("activation arena %.1f KiB (%.1f KiB without buffer reuse), %.3f GFLOP per run\n",
           fp_nn_model_peak_bytes(m) / 1024.0, fp_nn_model_unplanned_bytes(m) / 1024.0,
           fp_nn_model_flops(m) / 1e9);
    fp_nn_model_free(m);
    return 0;
}

static const char *const reference_models[] = {
    "blazeface", "blazeface-front", "facemesh", "iris", "faceres", "antispoof", "liveness", "emotion",
    "mobileface", "ssd_mobilenetv1", "tiny_face_detector", "face_landmark_68", "face_landmark_68_tiny",
    "face_recognition_model", "age_gender_model",
};

static int nn_check(int argc, char **argv)
{
    const char *only = NULL;
    for (int i = 0; i < argc; i++)
        if (!strcmp(argv[i], "--model") && i + 1 < argc)
            only = argv[++i];
    char tensors[2048];
    snprintf(tensors, sizeof tensors, "%s/reference/tensors", tool_shared_dir());
    int failures = 0;
    for (size_t k = 0; k < sizeof reference_models / sizeof *reference_models; k++) {
        if (only && strcmp(only, reference_models[k]))
            continue;
        for (int c = 0; c < 2; c++) {
            fp_error err = {0};
            nn_ref_case rc;
            nn_ref_diff d[NN_REF_MAX_TENSORS];
            int n = 0;
            fp_status st = nn_ref_load(tensors, tool_models_dir(), reference_models[k], c, &rc, &err);
            if (st == FP_OK)
                st = nn_ref_check(&rc, NULL, d, &n, &err);
            if (st != FP_OK) {
                printf("%-24s case %d  ERROR %s\n", reference_models[k], c, err.message);
                failures++;
                continue;
            }
            for (int i = 0; i < n; i++) {
                int ok = d[i].matched && d[i].rel <= 1e-4;
                failures += !ok;
                printf("%-24s %-22s %-26s max|d| %.3g  rel %.3g  cos %.8f  %s\n", reference_models[k], rc.case_id,
                       d[i].name, d[i].max_abs, d[i].rel, d[i].cosine,
                       !d[i].matched ? "NO REFERENCE" : ok ? "ok" : "FAIL");
            }
        }
    }
    return failures ? 1 : 0;
}

int cmd_nn(int argc, char **argv)
{
    if (argc >= 3 && !strcmp(argv[1], "info"))
        return nn_info(argv[2]);
    if (argc >= 2 && !strcmp(argv[1], "check"))
        return nn_check(argc - 2, argv + 2);
    fprintf(stderr, "usage: faceprint nn info MODEL | nn check [--model NAME]\n");
    return 2;
}
