#include "faceapi.h"

#include <math.h>
#include <string.h>

#include "faceapi_common.h"

static const struct {
    const char *stem; /* manifest file name before "-weights_manifest.json" */
    const char *arch;
} arch_table[] = {
    {"face_recognition_model", "face_recognition"},
    {"ssd_mobilenetv1_model", "ssd_mobilenetv1"},
    {"tiny_face_detector_model", "tiny_face_detector"},
    {"face_landmark_68_model", "face_landmark_68"},
    {"face_landmark_68_tiny_model", "face_landmark_68_tiny"},
    {"age_gender_model", "age_gender"},
};
#define N_ARCH ((int)(sizeof arch_table / sizeof arch_table[0]))

const char *nn_faceapi_arch_from_path(const char *manifest_path)
{
    static const char suffix[] = "-weights_manifest.json";
    if (!manifest_path)
        return NULL;
    const char *base = manifest_path;
    for (const char *p = manifest_path; *p; p++)
        if (*p == '/' || *p == '\\')
            base = p + 1;
    size_t len = strlen(base), sl = sizeof suffix - 1;
    if (len <= sl || strcmp(base + len - sl, suffix) != 0)
        return NULL;
    size_t stem = len - sl;
    for (int i = 0; i < N_ARCH; i++)
        if (strlen(arch_table[i].stem) == stem && strncmp(base, arch_table[i].stem, stem) == 0)
            return arch_table[i].arch;
    return NULL;
}

int nn_faceapi_arch_known(const char *arch)
{
    if (!arch)
        return 0;
    for (int i = 0; i < N_ARCH; i++)
        if (strcmp(arch, arch_table[i].arch) == 0)
            return 1;
    return 0;
}

fp_status nn_faceapi_build(const char *arch, nn_weights *w, const nn_shape *input_shape, nn_graph *g,
                           fp_error *err)
{
    fp_error local = {FP_OK, {0}};
    fa_ctx c = {g, w, err ? err : &local, arch ? arch : "(null)"};
    c.err->status = FP_OK;
    c.err->message[0] = 0;
    if (!arch || !w || !g)
        return (fp_status)fa_fail(&c, FP_ERR_INVALID_ARG, "face-api build needs an arch, weights and a graph");
    if (g->n_values != 0 || g->n_nodes != 0)
        return (fp_status)fa_fail(&c, FP_ERR_INVALID_ARG, "face-api build needs an empty graph");

    int r;
    if (strcmp(arch, "face_recognition") == 0)
        r = fa_build_resnet(&c, input_shape);
    else if (strcmp(arch, "ssd_mobilenetv1") == 0)
        r = fa_build_ssd_mobilenetv1(&c, input_shape);
    else if (strcmp(arch, "tiny_face_detector") == 0)
        r = fa_build_tiny_face_detector(&c, input_shape);
    else if (strcmp(arch, "face_landmark_68") == 0)
        r = fa_build_landmarks68(&c, input_shape, 0);
    else if (strcmp(arch, "face_landmark_68_tiny") == 0)
        r = fa_build_landmarks68(&c, input_shape, 1);
    else if (strcmp(arch, "age_gender") == 0)
        r = fa_build_age_gender(&c, input_shape);
    else
        return (fp_status)fa_fail(&c, FP_ERR_INVALID_ARG,
                                  "unknown face-api architecture (expected face_recognition, "
                                  "ssd_mobilenetv1, tiny_face_detector, face_landmark_68, "
                                  "face_landmark_68_tiny or age_gender)");
    if (r < 0) {
        if (c.err->status == FP_OK)
            fa_fail(&c, r, "graph construction failed (%s)", fp_status_name((fp_status)r));
        return c.err->status;
    }
    return FP_OK;
}

void nn_faceapi_landmarks_postprocess(const float *raw, int crop_w, int crop_h, int input_size,
                                      float *out)
{
    /* FaceLandmark68NetBase.postProcess: the scalars are computed in double
     * by JavaScript and become float32 tensors (tf.fill); the element-wise
     * mul / sub / div run in float32. */
    double scale = (double)input_size / (double)(crop_w > crop_h ? crop_w : crop_h);
    double w = crop_w * scale, h = crop_h * scale;
    double pad_x = w < h ? fabs(w - h) / 2 : 0.0;
    double pad_y = h < w ? fabs(w - h) / 2 : 0.0;
    float fs = (float)input_size, fpx = (float)pad_x, fpy = (float)pad_y;
    float fw = (float)w, fh = (float)h;
    for (int i = 0; i < 68; i++) {
        float x = raw[2 * i] * fs, y = raw[2 * i + 1] * fs;
        out[2 * i] = (x - fpx) / fw;
        out[2 * i + 1] = (y - fpy) / fh;
    }
}
