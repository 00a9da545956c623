/* face-api models: weights from a *-weights_manifest.json, architecture
 * from our C rebuild of face-api's layer code (faceapi/). */
#include <string.h>

#include "nn/faceapi/faceapi.h"
#include "nn/model.h"
#include "nn/weights.h"

fp_status nn_load_faceapi(const char *manifest_path, const fp_nn_options *options, nn_graph **out, fp_error *err)
{
    *out = NULL;
    const char *arch = options && options->arch ? options->arch : nn_faceapi_arch_from_path(manifest_path);
    if (!arch)
        return fp_error_set(err, FP_ERR_UNSUPPORTED,
                            "%s: unknown face-api model (set fp_nn_options.arch)", manifest_path);
    nn_shape input_shape, *shape_ptr = NULL;
    if (options && options->n_input_shapes > 0) {
        const fp_shape *s = &options->input_shapes[0];
        if (s->rank < 1 || s->rank > NN_MAX_RANK)
            return fp_error_set(err, FP_ERR_SHAPE, "%s: bad input shape", manifest_path);
        input_shape = nn_shape_make(s->rank, s->dim);
        shape_ptr = &input_shape;
    }
    nn_weights *w = NULL;
    fp_status st = nn_weights_load_file(manifest_path, &w, err);
    if (st != FP_OK)
        return st;
    nn_graph *g = NULL;
    st = nn_graph_new(&g);
    if (st == FP_OK)
        st = nn_faceapi_build(arch, w, shape_ptr, g, err);
    nn_weights_free(w);
    if (st != FP_OK) {
        nn_graph_free(g);
        return st;
    }
    *out = g;
    return FP_OK;
}
