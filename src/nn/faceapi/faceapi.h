/* face-api (@vladmandic/face-api@1.7.15) networks rebuilt as nn graphs.
 *
 * face-api ships only weights (*-weights_manifest.json + .bin); its network
 * architectures are hand-written TF.js layer code. This module re-expresses
 * each architecture with the graph builder (graph.h), taking the weights by
 * name from an nn_weights set (weights.h), so the regular compiler/executor
 * runs them.
 *
 * Every graph has ONE input named "input", NHWC float32 [N, H, W, 3] (RGB),
 * which is the tensor that reaches face-api's first convolution: the caller
 * must apply face-api's in-net preprocessing itself. Per architecture:
 *
 *  arch "face_recognition" (face_recognition_model, dlib ResNet-34-like)
 *     input  [N,150,150,3]: face crop (face-api: landmarks.align with dlib
 *            alignment, axis-aligned square) zero-padded centred to a square,
 *            resized bilinear (align_corners = half_pixel_centers = false) to
 *            150x150, then (rgb - [122.782, 117.001, 104.298]) / 255.
 *     output "descriptor" [N,128] (compare with Euclidean distance, 0.6).
 *
 *  arch "ssd_mobilenetv1" (ssd_mobilenetv1_model)
 *     input  [1,512,512,3]: image zero-padded at the right/bottom to a square,
 *            resized bilinear (no align corners / half pixel) to 512x512, then
 *            rgb / 127.5 - 1.
 *     outputs "box_predictions" [1,5118,1,4] raw (ty, tx, th, tw) per anchor,
 *             "class_predictions" [1,5118,3] raw logits (column 1 = face),
 *             "boxes" [5118,4] anchor-decoded [y1, x1, y2, x2] relative to the
 *                     padded square (face-api outputLayer, in-graph),
 *             "scores" [5118] = sigmoid(class_predictions[..., 1]).
 *            The caller then runs NMS (face-api: IoU 0.5, min score 0.5, max
 *            100 results), clips to [0,1] and scales by the padded size.
 *
 *  arch "tiny_face_detector" (tiny_face_detector_model)
 *     input  [N,S,S,3], S a multiple of 32 (default 416; face-api uses 128..608):
 *            image zero-padded right/bottom to a square, resized bilinear to
 *            S x S, then (rgb - [117.001, 114.697, 97.404]) / 255.
 *     output "output" [N,S/32,S/32,25]: 5 anchors x (tx, ty, tw, th, score
 *            logit); centre = ((col,row) + sigmoid(tx,ty)) / g, size =
 *            exp(tw,th) * anchor / g with anchors (1.603231,2.094468),
 *            (6.041143,7.080126), (2.882459,3.518061), (4.266906,5.178857),
 *            (9.041765,10.66308); score = sigmoid; NMS IoU 0.4.
 *
 *  arch "face_landmark_68" / "face_landmark_68_tiny"
 *     input  [N,112,112,3]: face box crop zero-padded centred to a square
 *            (pad after = round(d/2), before = the rest), resized bilinear to
 *            112, then (rgb - [122.782, 117.001, 104.298]) / 255.
 *     output "landmarks_raw" [N,136] = 68 x (x, y) relative to the padded
 *            112x112 input; nn_faceapi_landmarks_postprocess() maps them to
 *            the unpadded crop (face-api postProcess).
 *
 *  arch "age_gender" (age_gender_model, TinyXception)
 *     input  [N,112,112,3]: as the landmark nets (crop = landmark bounding box
 *            padded by 20 %).
 *     outputs "age" [N] (years), "gender_logits" [N,2] (male, female),
 *             "gender_probs" [N,2] = softmax(gender_logits).
 *
 * Batch-norm / "scale" layers are folded into the preceding convolution at
 * build time (float32 constants computed in double). */
#ifndef FP_NN_FACEAPI_H
#define FP_NN_FACEAPI_H

#include "../graph.h"
#include "../weights.h"

/* Builds architecture `arch` (names above) into the empty graph g, taking its
 * weights from w (they are moved into g; other weights stay in w).
 * input_shape: NULL = the default [1,H,W,3] above; otherwise rank 4 with
 * C = 3 and the architecture's H, W (tiny_face_detector: any square S, S a
 * multiple of 32). Batch N >= 1 except ssd_mobilenetv1 (N = 1).
 * Errors: FP_ERR_INVALID_ARG (unknown arch / bad arguments), FP_ERR_NOT_FOUND
 * (weight missing), FP_ERR_SHAPE (weight or input shape mismatch),
 * FP_ERR_NOMEM; err names the culprit. */
fp_status nn_faceapi_build(const char *arch, nn_weights *w, const nn_shape *input_shape, nn_graph *g,
                           fp_error *err);

/* "…/face_recognition_model-weights_manifest.json" -> "face_recognition",
 * ssd_mobilenetv1_model -> "ssd_mobilenetv1", tiny_face_detector_model ->
 * "tiny_face_detector", face_landmark_68_model -> "face_landmark_68",
 * face_landmark_68_tiny_model -> "face_landmark_68_tiny", age_gender_model ->
 * "age_gender". NULL for anything else. Returns a static string. */
const char *nn_faceapi_arch_from_path(const char *manifest_path);

/* 1 if arch is one of the names above. */
int nn_faceapi_arch_known(const char *arch);

/* face-api FaceLandmark68NetBase.postProcess for one face: raw = the
 * "landmarks_raw" row (136 floats, relative to the padded input_size square,
 * 112 for face-api), crop_w x crop_h = size in pixels of the crop before it
 * was padded to a square. out (136 floats, may alias raw) receives (x, y)
 * pairs relative to the unpadded crop: pixel = out * crop size + crop origin. */
void nn_faceapi_landmarks_postprocess(const float *raw, int crop_w, int crop_h, int input_size,
                                      float *out);

#endif
