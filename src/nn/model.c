/* Public model API: picks the loader by file type, compiles the graph once,
 * and answers questions about inputs, outputs, memory and cost. */
#include <stdlib.h>
#include <string.h>

#include "core/file.h"
#include "nn/compile.h"
#include "nn/model.h"

static int ends_with(const char *s, const char *suffix)
{
    size_t ls = strlen(s), lx = strlen(suffix);
    return ls >= lx && strcmp(s + ls - lx, suffix) == 0;
}

fp_status nn_apply_input_shapes(nn_graph *g, const fp_nn_options *options, fp_error *err)
{
    int n = options ? options->n_input_shapes : 0;
    for (int i = 0; i < n; i++) {
        const char *name = options->input_names ? options->input_names[i] : NULL;
        int found = -1;
        for (int k = 0; k < g->n_inputs; k++)
            if (!name ? k == i : strcmp(g->values[g->inputs[k]].name, name) == 0)
                found = g->inputs[k];
        if (found < 0)
            return fp_error_set(err, FP_ERR_NOT_FOUND, "model has no input '%s'", name ? name : "?");
        const fp_shape *s = &options->input_shapes[i];
        nn_value *v = &g->values[found];
        if (s->rank != v->shape.rank || s->rank > NN_MAX_RANK)
            return fp_error_set(err, FP_ERR_SHAPE, "input '%s': rank %d expected", v->name, v->shape.rank);
        for (int d = 0; d < s->rank; d++) {
            if (s->dim[d] < 1 || (v->shape.dim[d] >= 0 && v->shape.dim[d] != s->dim[d] && d == s->rank - 1))
                return fp_error_set(err, FP_ERR_SHAPE, "input '%s': dimension %d cannot be %lld", v->name, d,
                                    (long long)s->dim[d]);
            v->shape.dim[d] = s->dim[d];
        }
    }
    for (int k = 0; k < g->n_inputs; k++) {
        nn_value *v = &g->values[g->inputs[k]];
        for (int d = 0; d < v->shape.rank; d++)
            if (v->shape.dim[d] < 0)
                v->shape.dim[d] = 1;
        if (nn_shape_numel(&v->shape) > ((int64_t)1 << 31))
            return fp_error_set(err, FP_ERR_LIMIT, "input '%s' has too many elements", v->name);
    }
    return FP_OK;
}

fp_status fp_nn_model_load(const char *path, const fp_nn_options *options, fp_nn_model **out, fp_error *err)
{
    if (!path || !out)
        return fp_error_set(err, FP_ERR_INVALID_ARG, "fp_nn_model_load: NULL argument");
    *out = NULL;
    nn_graph *g = NULL;
    fp_status st;
    if (ends_with(path, "weights_manifest.json"))
        st = nn_load_faceapi(path, options, &g, err);
    else
        st = nn_load_tfjs_graph(path, options, &g, err);
    if (st == FP_OK)
        st = nn_graph_compile(g, err);
    if (st != FP_OK) {
        nn_graph_free(g);
        return st;
    }
    fp_nn_model *m = calloc(1, sizeof *m);
    if (!m) {
        nn_graph_free(g);
        return fp_error_set(err, FP_ERR_NOMEM, "out of memory");
    }
    m->graph = g;
    m->flops = nn_graph_flops(g);
    *out = m;
    return FP_OK;
}

void fp_nn_model_free(fp_nn_model *model)
{
    if (!model)
        return;
    nn_graph_free(model->graph);
    free(model);
}

int fp_nn_model_num_inputs(const fp_nn_model *model)
{
    return model ? model->graph->n_inputs : 0;
}

int fp_nn_model_num_outputs(const fp_nn_model *model)
{
    return model ? model->graph->n_outputs : 0;
}

static fp_status value_info(const nn_graph *g, int v, const char **name, fp_shape *shape)
{
    if (name)
        *name = g->values[v].name;
    if (shape) {
        memset(shape, 0, sizeof *shape);
        shape->rank = g->values[v].shape.rank;
        for (int d = 0; d < shape->rank; d++)
            shape->dim[d] = g->values[v].shape.dim[d];
    }
    return FP_OK;
}

fp_status fp_nn_model_input(const fp_nn_model *model, int index, const char **name, fp_shape *shape)
{
    if (!model || index < 0 || index >= model->graph->n_inputs)
        return FP_ERR_INVALID_ARG;
    return value_info(model->graph, model->graph->inputs[index], name, shape);
}

fp_status fp_nn_model_output(const fp_nn_model *model, int index, const char **name, fp_shape *shape)
{
    if (!model || index < 0 || index >= model->graph->n_outputs)
        return FP_ERR_INVALID_ARG;
    return value_info(model->graph, model->graph->outputs[index], name, shape);
}

int64_t fp_nn_model_peak_bytes(const fp_nn_model *model)
{
    return model ? model->graph->arena_bytes : 0;
}

int64_t fp_nn_model_unplanned_bytes(const fp_nn_model *model)
{
    return model ? model->graph->naive_bytes : 0;
}

double fp_nn_model_flops(const fp_nn_model *model)
{
    return model ? model->flops : 0;
}
