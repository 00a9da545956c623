/* faceprint face image quality assessment (SPEC section 3, GB/T 37036.3
 * clause 7.2.2).
 *
 *   fp_quality_assess       one face in one image: size, sharpness
 *                           completeness, pose,
 *                           brightness / contrast / lighting uniformity
 *                           eye closure, mouth closure,
 *                           occlusion. Every check gives a numeric
 *                           score, pass/fail and, on failure, a stable reason
 *                           code with a human-readable instruction (Q-16
 *                           "tell the user about unusable images").
 *   fp_quality_environment  the whole frame: no face, several faces, scene
 *                           too dark / too bright, back-lit face (Q-5, Q-13:
 *                           a frame with no or several faces or a back-lit
 *                           user is a sign of poor cooperation).
 *   fp_quality_best         best frame of a capture burst: only frames that
 *                           pass are eligible (Q-14: "if quality fails, no
 *                           further processing takes place").
 *
 * Pose and eye / mouth openness come from a landmark model that is optional
 * here: pass NAN for anything unknown and that check is skipped (reported as
 * not evaluated, which does not fail the face). Every threshold is a field of
 * fp_quality_config (defaults documented there). The checks are plain image
 * statistics: deterministic, cheap (well under a millisecond for a typical
 * face), no model. */
#ifndef FACEPRINT_QUALITY_H
#define FACEPRINT_QUALITY_H

#include "faceprint/face.h"
#include "faceprint/image.h"
#include "faceprint/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The per-face checks, in report order. Values are stable. */
typedef enum fp_quality_check {
    FP_QUALITY_SIZE = 0,         /* inter-eye distance and box side, pixels */
    FP_QUALITY_SHARPNESS = 1,    /* normalised Laplacian energy of the face */
    FP_QUALITY_BRIGHTNESS = 2,   /* mean face luma and clipped pixel fractions */
    FP_QUALITY_CONTRAST = 3,     /* face luma standard deviation */
    FP_QUALITY_UNIFORMITY = 4,   /* darker / brighter face half */
    FP_QUALITY_COMPLETENESS = 5, /* box (with margin) and key points inside the image */
    FP_QUALITY_OCCLUSION = 6,    /* lower-face skin colour vs forehead (heuristic) */
    FP_QUALITY_POSE = 7,         /* yaw / pitch / roll, when given */
    FP_QUALITY_EYES = 8,         /* eye openness, when given */
    FP_QUALITY_MOUTH = 9,        /* mouth openness, when given */
    FP_QUALITY_N_CHECKS = 10
} fp_quality_check;

/* Why a check failed. Values and names (fp_quality_reason_name) are stable:
 * they appear in JSON output and may be mapped to localised prompts. */
typedef enum fp_quality_reason {
    FP_QREASON_NONE = 0,
    FP_QREASON_FACE_TOO_SMALL = 1,  /* "face too small" */
    FP_QREASON_TOO_BLURRY = 2,      /* "image too blurry" */
    FP_QREASON_TOO_DARK = 3,        /* "too dark" */
    FP_QREASON_TOO_BRIGHT = 4,      /* "too bright" */
    FP_QREASON_UNEVEN_LIGHTING = 5, /* "uneven lighting" */
    FP_QREASON_LOW_CONTRAST = 6,    /* "low contrast" */
    FP_QREASON_FACE_CUT_OFF = 7,    /* "face partly outside the image" */
    FP_QREASON_TURN_LEFT = 8,       /* "turn your head left" (subject's own left) */
    FP_QREASON_TURN_RIGHT = 9,      /* "turn your head right" */
    FP_QREASON_RAISE_HEAD = 10,     /* "raise your head" */
    FP_QREASON_LOWER_HEAD = 11,     /* "lower your head" */
    FP_QREASON_HEAD_TILTED = 12,    /* "keep your head straight" (roll) */
    FP_QREASON_EYES_CLOSED = 13,    /* "eyes closed" */
    FP_QREASON_MOUTH_OPEN = 14,     /* "mouth open" */
    FP_QREASON_FACE_COVERED = 15,   /* "face may be covered" */
    /* whole-frame (fp_quality_environment) */
    FP_QREASON_NO_FACE = 16,        /* "no face found" */
    FP_QREASON_SEVERAL_FACES = 17,  /* "several faces in the image" */
    FP_QREASON_SCENE_TOO_DARK = 18, /* "scene too dark" */
    FP_QREASON_SCENE_TOO_BRIGHT = 19, /* "scene too bright" */
    FP_QREASON_BACKLIT = 20,        /* "face is back-lit" */
    FP_QREASON_COUNT = 21
} fp_quality_reason;

/* Bit of fp_quality_config.disabled that skips a check. */
#define FP_QUALITY_BIT(check) (1u << (unsigned)(check))

/* Thresholds. fp_quality_config_default fills the defaults given after
 * each field; GB/T 37036.3 7.2.2 names the checks but fixes no numbers, so
 * the defaults are ours, tuned on LFW (150x150 web copies: 467 of the first
 * 500 images pass, see docs/CLI.md "faceprint quality"). Luma is BT.601
 * Y = 0.299 R + 0.587 G + 0.114 B, 0..255. */
typedef struct fp_quality_config {
    unsigned disabled; /* FP_QUALITY_BIT(check) for every check to skip; 0 */

    /* Q-6 size. The descriptor chip (150x150) puts the eyes 53 px apart;
     * LFW faces reach 99 % verification with ~28 px, so below 20 px the
     * chip is upsampled more than 2.6x. */
    float min_eye_distance; /* pixels between the eye centres; 20 */
    float min_face_size;    /* smaller side of the face box, pixels; 40 */

    /* Q-7 sharpness: variance of the 4-neighbour Laplacian of the face box
     * resampled to 64 px wide, divided by (luma variance + 16) so contrast
     * and face size cancel out. On 150 LFW faces: 5th percentile 0.077,
     * median 0.19; after a 3x3 box blur median 0.043 (95th pct 0.094),
     * after 5x5 at most 0.042. */
    float min_sharpness; /* 0.07 */

    /* Q-10 illumination of the face box. */
    float min_brightness;       /* mean luma; below = too dark; 60 */
    float max_brightness;       /* mean luma; above = too bright; 200 */
    float max_clipped_fraction; /* share of face pixels with luma <= 16 (too dark)
                                   or >= 240 (too bright) allowed; 0.25 */
    float min_contrast;         /* luma standard deviation; 18 */
    float min_uniformity;       /* mean luma of the darker face half / brighter half
                                   (split at the eye midpoint); 0.55 */

    /* Q-8 completeness. */
    float completeness_margin; /* box grown by this fraction of its side on
                                  every side before the inside test; 0.1 */
    float min_inside_fraction; /* share of the grown box that must lie in the image; 0.95 */

    /* Q-16 occlusion heuristic (see fp_quality_assess). */
    float min_skin_match; /* share of lower-face samples whose chroma matches the forehead; 0.45 */

    /* Q-9 pose, degrees, absolute values. Roll is removed by alignment, so
     * it is looser. */
    float max_yaw;   /* 30 */
    float max_pitch; /* 25 */
    float max_roll;  /* 20 */

    /* openness in the producer's 0..1 scale (0 = closed). */
    float min_eye_openness;   /* each known eye; 0.14 */
    float max_mouth_openness; /* 0.35 */

    /* fp_quality_environment (whole frame). */
    float scene_min_brightness; /* mean frame luma; 40 */
    float scene_max_brightness; /* mean frame luma; 220 */
    float backlit_ratio;        /* face mean luma / background mean luma below
                                   this (and background mean >= 100) = back-lit; 0.55 */
    float several_faces_ratio;  /* other faces count when their box side is at
                                   least this fraction of the main face's; 0 =
                                   count every face; 0.5 */
} fp_quality_config;

void fp_quality_config_default(fp_quality_config *cfg);

/* The face to assess, image pixels. Key points follow face.h's order
 * (FP_FACE_KP_EYE_LEFT, _EYE_RIGHT, _NOSE, _MOUTH, then optionally the two
 * ears); a 5-point producer (eyes, nose, two mouth corners) passes the mean
 * of the mouth corners as the mouth point and n_keypoints = 4. With fewer
 * than 4 key points the size check uses the box only and occlusion is not
 * evaluated.
 *
 * Optional values, NAN = unknown (the check is skipped):
 *   yaw    degrees, > 0 when the face points toward the image's right side
 *          (the subject has turned to their own left);
 *   pitch  degrees, > 0 when the face points up (chin up);
 *   roll   degrees, either sign = head tilted sideways;
 *   eye_openness[2]  0 = closed .. 1 = wide open, per eye (any order);
 *   mouth_openness   0 = closed .. 1 = wide open.
 * Prompts are in the subject's own frame: yaw > max_yaw gives "turn your
 * head right" (back toward the camera). */
typedef struct fp_quality_face {
    float x, y, w, h;
    int n_keypoints; /* 0, or 4..FP_FACE_KEYPOINTS */
    float keypoints[FP_FACE_KEYPOINTS][2];
    float yaw, pitch, roll;
    float eye_openness[2];
    float mouth_openness;
} fp_quality_face;

/* A detection as a quality face: box and key points copied, pose and
 * openness NAN. */
void fp_quality_face_from_detection(const fp_face *det, fp_quality_face *out);

typedef struct fp_quality_result {
    int evaluated;            /* 0 = skipped (disabled or input unknown) */
    int pass;                 /* 1 when passed or skipped */
    float score;              /* 0..1, higher is better, 0.5 at the threshold; NAN when skipped */
    float value;              /* main measurement, in the unit of its threshold; NAN when skipped */
    fp_quality_reason reason; /* FP_QREASON_NONE unless failed */
} fp_quality_result;

typedef struct fp_quality_report {
    int pass;    /* every evaluated check passed */
    float score; /* mean score of the evaluated checks, 0..1 (frame ranking) */
    fp_quality_result checks[FP_QUALITY_N_CHECKS]; /* indexed by fp_quality_check */
    int n_failures;
    fp_quality_reason failures[FP_QUALITY_N_CHECKS]; /* reasons, in check order */
    /* Measurements (NAN when not measurable). */
    float eye_distance;     /* pixels */
    float face_size;        /* min(w, h) of the box, pixels */
    float brightness;       /* mean face luma */
    float dark_fraction;    /* face pixels with luma <= 16 */
    float bright_fraction;  /* face pixels with luma >= 240 */
    float contrast;         /* face luma standard deviation */
    float left_brightness;  /* mean luma of the face half on the image's left */
    float right_brightness;
} fp_quality_report;

/* Assesses one face. cfg NULL = defaults. The face box may extend past the
 * image (completeness then fails); the image statistics use the part inside.
 * Errors: FP_ERR_INVALID_ARG (NULL img / face / out, a non-finite or empty
 * box, n_keypoints out of range, a box with no pixel in the image),
 * FP_ERR_NOMEM. A failed check is not an error: see out->pass.
 *
 * Occlusion heuristic (limits): compares the chroma (Cb, Cr) of samples
 * between nose and mouth and on the chin with the forehead's, in the frame
 * of the eye axis. It flags masks, scarves and hands of a colour unlike the
 * skin; it misses skin-coloured covers, may flag thick beards or a
 * forehead covered by a hat / fringe, needs the eye, nose and mouth points
 * and colour (grey images are not evaluated), and does not look at the
 * eyes (sunglasses are not detected). */
fp_status fp_quality_assess(const fp_quality_config *cfg, const fp_image *img, const fp_quality_face *face,
                            fp_quality_report *out, fp_error *err);

#define FP_QUALITY_MAX_ENV_REASONS 4

typedef struct fp_quality_environment_report {
    int pass;              /* no reason below */
    int n_faces;           /* faces counted (see several_faces_ratio) */
    int main_face;         /* index of the largest face in the input, -1 when none */
    float brightness;      /* mean frame luma */
    float dark_fraction;   /* frame pixels with luma <= 16 */
    float bright_fraction; /* frame pixels with luma >= 240 */
    float face_brightness;       /* main face box mean luma; NAN without a face */
    float background_brightness; /* outside the main face box grown 1.5x; NAN without a face */
    int n_reasons;
    fp_quality_reason reasons[FP_QUALITY_MAX_ENV_REASONS];
} fp_quality_environment_report;

/* Whole-frame check (cfg NULL = defaults): no face, several faces, scene
 * too dark / too bright, back-lit main face. faces may be NULL when
 * n_faces is 0. Errors: FP_ERR_INVALID_ARG. */
fp_status fp_quality_environment(const fp_quality_config *cfg, const fp_image *img, const fp_quality_face *faces,
                                 int n_faces, fp_quality_environment_report *out, fp_error *err);

/* Index of the passing report with the highest score (ties: the earliest),
 * -1 when none passes or n <= 0. */
int fp_quality_best(const fp_quality_report *reports, int n);

/* Stable identifiers ("size", "too_blurry", ...) and English text ("image
 * too blurry"); "unknown" for values out of range, never NULL. */
const char *fp_quality_check_name(fp_quality_check check);
const char *fp_quality_reason_name(fp_quality_reason reason);
const char *fp_quality_reason_text(fp_quality_reason reason);

#ifdef __cplusplus
}
#endif
#endif
