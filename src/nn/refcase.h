/* Reference cases produced by the TF.js implementation of our models
 * (../shared/reference/tensors/<model>/index.json + raw float32 files): the
 * exact input tensor and every output. Used by the parity tests, by
 * `faceprint nn check` and by the benchmarks, which time identical work. */
#ifndef FP_NN_REFCASE_H
#define FP_NN_REFCASE_H

#include "faceprint/nn.h"

#define NN_REF_MAX_TENSORS 16

typedef struct nn_ref_tensor {
    char name[128];       /* graph name as recorded by the reference */
    char path[1024];      /* absolute path of the .f32 file */
    int is_input;
    int raw;              /* output straight from the network (not library post-processing) */
    fp_shape shape;
} nn_ref_tensor;

typedef struct nn_ref_case {
    char model[64];       /* fixture folder, e.g. "blazeface" */
    char case_id[64];
    char model_path[1024];/* model file under the models dir (model.json or weights manifest) */
    int n_tensors;
    nn_ref_tensor tensors[NN_REF_MAX_TENSORS];
} nn_ref_case;

/* Reads case number case_index (0-based) of model from tensors_dir; the model
 * file path is resolved against models_dir (the npm node_modules folder). */
fp_status nn_ref_load(const char *tensors_dir, const char *models_dir, const char *model, int case_index,
                      nn_ref_case *out, fp_error *err);

/* Loads a reference tensor's data (malloc'd; caller frees). */
fp_status nn_ref_read(const nn_ref_tensor *t, float **data, size_t *count, fp_error *err);

/* Names match when equal after dropping a trailing ":0". */
int nn_ref_name_matches(const char *a, const char *b);

/* Result of running our runtime on a reference case, one row per output. */
typedef struct nn_ref_diff {
    char name[128];
    int matched;          /* the reference holds an output of this name */
    int raw;
    double max_abs, max_ref, rel, cosine;
} nn_ref_diff;

/* Loads the case's model (input shape taken from the reference input),
 * runs it on the stored input and compares every output. diffs must hold
 * NN_REF_MAX_TENSORS rows; *n_diffs receives the count. */
fp_status nn_ref_check(const nn_ref_case *rc, fp_threadpool *tp, nn_ref_diff *diffs, int *n_diffs, fp_error *err);
#endif
