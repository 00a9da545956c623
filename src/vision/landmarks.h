/* Internals of the landmark stage (fp_face_landmarks, face.h). */
#ifndef FP_VISION_LANDMARKS_H
#define FP_VISION_LANDMARKS_H

#include "vision/vision.h"

/* Human's facemesh input side and enlargement of the detector box. */
#define FM_INPUT 192
#define FM_BOX_SCALE 1.4f

/* Lazily loaded facemesh model, session and its (wiped) buffers; owned by
 * the engine (engine->mesh). */
typedef struct vis_mesh {
    fp_nn_model *model;
    fp_nn_session *session;
    float *input;        /* 1 x 192 x 192 x 3 */
    float *output[3];    /* in model output order */
    size_t output_n[3];
    int out_mesh, out_flag; /* output index of output_mesh [1,1404], output_faceflag [1,1] */
} vis_mesh;

/* Loads facemesh.json into e->mesh if not yet loaded. */
fp_status vis_mesh_ensure(fp_face_engine *e, fp_error *err);
void vis_mesh_free(vis_mesh *m);

/* tf.image.cropAndResize of one box of an RGB8 image, TF semantics (float32
 * arithmetic, box [y1, x1, y2, x2] normalised by the image height / width,
 * sampled at y1*(H-1) + i*(y2-y1)*(H-1)/(h-1), bilinear, samples outside
 * [0, H-1] x [0, W-1] = extrapolation value 0); dst receives h*w*3 floats
 * v / divisor (a division, as TF.js divides the crop). */
void vis_crop_and_resize(const fp_image *img, const float box[4], int out_h, int out_w, float divisor, float *dst);

/* Human's facemesh crop of a detector box: enlarged FM_BOX_SCALE about its
 * centre, squared with Math.round (facemeshutil enlargeBox + squarifyBox). */
void vis_mesh_crop_box(const fp_face *face, float crop_xyxy[4]);

#endif
