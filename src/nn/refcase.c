#include "nn/refcase.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/file.h"
#include "core/json.h"

static size_t base_len(const char *s)
{
    size_t n = strlen(s);
    return n > 2 && strcmp(s + n - 2, ":0") == 0 ? n - 2 : n;
}

int nn_ref_name_matches(const char *a, const char *b)
{
    size_t la = base_len(a), lb = base_len(b);
    return la == lb && memcmp(a, b, la) == 0;
}

static fp_status read_shape(const fp_json *arr, fp_shape *s)
{
    memset(s, 0, sizeof *s);
    if (!arr || arr->type != FP_JSON_ARRAY || arr->length > FP_MAX_RANK)
        return FP_ERR_FORMAT;
    s->rank = (int)arr->length;
    for (size_t i = 0; i < arr->length; i++) {
        if (arr->items[i]->type != FP_JSON_NUMBER || arr->items[i]->number < 0)
            return FP_ERR_FORMAT;
        s->dim[i] = (int64_t)arr->items[i]->number;
    }
    return FP_OK;
}

fp_status nn_ref_load(const char *tensors_dir, const char *models_dir, const char *model, int case_index,
                      nn_ref_case *out, fp_error *err)
{
    memset(out, 0, sizeof *out);
    char path[1024];
    snprintf(path, sizeof path, "%s/%s/index.json", tensors_dir, model);
    char *text;
    size_t len;
    fp_status st = fp_read_file(path, (size_t)64 << 20, &text, &len, err);
    if (st != FP_OK)
        return st;
    fp_json_doc *doc;
    st = fp_json_parse(text, len, NULL, &doc, err);
    free(text);
    if (st != FP_OK)
        return st;
    const fp_json *root = fp_json_root(doc);
    const char *package = fp_json_get_string(root, "package");
    const fp_json *files = fp_json_get(root, "model_files");
    const char *first_file = fp_json_get_string(fp_json_at(files, 0), "file");
    const fp_json *c = fp_json_at(fp_json_get(root, "cases"), (size_t)case_index);
    const fp_json *tensors = fp_json_get(c, "tensors");
    const char *case_id = fp_json_get_string(c, "case");
    if (!package || !first_file || !c || !tensors || !case_id) {
        fp_json_doc_free(doc);
        return fp_error_set(err, FP_ERR_FORMAT, "%s: missing package, model_files or case %d", path, case_index);
    }
    /* "@scope/name@1.2.3" -> "@scope/name" */
    char pkg[256];
    snprintf(pkg, sizeof pkg, "%s", package);
    char *at = strrchr(pkg, '@');
    if (at && at != pkg)
        *at = 0;
    snprintf(out->model, sizeof out->model, "%s", model);
    snprintf(out->case_id, sizeof out->case_id, "%s", case_id);
    snprintf(out->model_path, sizeof out->model_path, "%s/%s/%s", models_dir, pkg, first_file);
    for (size_t i = 0; i < tensors->length && out->n_tensors < NN_REF_MAX_TENSORS; i++) {
        const fp_json *t = tensors->items[i];
        nn_ref_tensor *rt = &out->tensors[out->n_tensors];
        const char *name = fp_json_get_string(t, "name"), *role = fp_json_get_string(t, "role");
        const char *file = fp_json_get_string(t, "file");
        if (!name || !role || !file || read_shape(fp_json_get(t, "shape"), &rt->shape) != FP_OK) {
            fp_json_doc_free(doc);
            return fp_error_set(err, FP_ERR_FORMAT, "%s: tensor %zu incomplete", path, i);
        }
        snprintf(rt->name, sizeof rt->name, "%s", name);
        snprintf(rt->path, sizeof rt->path, "%s/%s/%s", tensors_dir, model, file);
        rt->is_input = strcmp(role, "input") == 0;
        const fp_json *raw = fp_json_get(t, "raw");
        rt->raw = !raw || raw->type == FP_JSON_TRUE;
        out->n_tensors++;
    }
    fp_json_doc_free(doc);
    return FP_OK;
}

fp_status nn_ref_read(const nn_ref_tensor *t, float **data, size_t *count, fp_error *err)
{
    char *bytes;
    size_t len;
    *data = NULL;
    fp_status st = fp_read_file(t->path, (size_t)256 << 20, &bytes, &len, err);
    if (st != FP_OK)
        return st;
    size_t expect = 1;
    for (int i = 0; i < t->shape.rank; i++)
        expect *= (size_t)t->shape.dim[i];
    if (len != expect * sizeof(float)) {
        free(bytes);
        return fp_error_set(err, FP_ERR_FORMAT, "%s: %zu bytes, expected %zu", t->path, len, expect * 4);
    }
    *data = (float *)bytes; /* malloc'd, suitably aligned for float */
    *count = expect;
    return FP_OK;
}

static void compare(const float *a, const float *b, size_t n, nn_ref_diff *d)
{
    double dot = 0, na = 0, nb = 0;
    d->max_abs = d->max_ref = 0;
    for (size_t i = 0; i < n; i++) {
        double diff = (double)a[i] - (double)b[i];
        diff = diff < 0 ? -diff : diff;
        if (!(diff <= d->max_abs))
            d->max_abs = diff != diff ? 1e30 : diff; /* NaN counts as a huge error */
        double rb = b[i] < 0 ? -(double)b[i] : (double)b[i];
        if (rb > d->max_ref)
            d->max_ref = rb;
        dot += (double)a[i] * b[i];
        na += (double)a[i] * a[i];
        nb += (double)b[i] * b[i];
    }
    d->rel = d->max_abs / (d->max_ref > 1e-12 ? d->max_ref : 1e-12);
    d->cosine = na > 0 && nb > 0 ? dot / (sqrt(na) * sqrt(nb)) : (na == nb ? 1.0 : 0.0);
}

fp_status nn_ref_check(const nn_ref_case *rc, fp_threadpool *tp, nn_ref_diff *diffs, int *n_diffs, fp_error *err)
{
    *n_diffs = 0;
    const nn_ref_tensor *input = NULL;
    for (int i = 0; i < rc->n_tensors; i++)
        if (rc->tensors[i].is_input)
            input = &rc->tensors[i];
    if (!input)
        return fp_error_set(err, FP_ERR_FORMAT, "%s/%s: no input tensor", rc->model, rc->case_id);
    fp_nn_options opt = {0};
    const char *in_name = NULL;
    opt.n_input_shapes = 1;
    opt.input_shapes = &input->shape;
    opt.input_names = &in_name; /* NULL name = first input */
    fp_nn_model *m = NULL;
    fp_nn_session *s = NULL;
    float *in = NULL, *outs[NN_REF_MAX_TENSORS] = {0};
    size_t count;
    fp_status st = fp_nn_model_load(rc->model_path, &opt, &m, err);
    if (st == FP_OK)
        st = nn_ref_read(input, &in, &count, err);
    if (st == FP_OK)
        st = fp_nn_session_new(m, tp, &s);
    int n_out = st == FP_OK ? fp_nn_model_num_outputs(m) : 0;
    if (n_out > NN_REF_MAX_TENSORS)
        st = fp_error_set(err, FP_ERR_LIMIT, "too many outputs");
    for (int i = 0; st == FP_OK && i < n_out; i++) {
        fp_shape shape;
        fp_nn_model_output(m, i, NULL, &shape);
        size_t n = 1;
        for (int d = 0; d < shape.rank; d++)
            n *= (size_t)shape.dim[d];
        outs[i] = malloc((n ? n : 1) * sizeof(float));
        if (!outs[i])
            st = fp_error_set(err, FP_ERR_NOMEM, "out of memory");
    }
    if (st == FP_OK) {
        const float *inputs[1] = {in};
        st = fp_nn_session_run(s, inputs, outs);
        if (st != FP_OK)
            fp_error_set(err, st, "run failed");
    }
    for (int i = 0; st == FP_OK && i < n_out; i++) {
        const char *name;
        fp_shape shape;
        fp_nn_model_output(m, i, &name, &shape);
        nn_ref_diff *d = &diffs[(*n_diffs)++];
        memset(d, 0, sizeof *d);
        snprintf(d->name, sizeof d->name, "%s", name);
        for (int k = 0; k < rc->n_tensors; k++) {
            const nn_ref_tensor *t = &rc->tensors[k];
            if (t->is_input || !nn_ref_name_matches(t->name, name))
                continue;
            float *ref;
            size_t n_ref = 0, n_ours = 1;
            for (int dd = 0; dd < shape.rank; dd++)
                n_ours *= (size_t)shape.dim[dd];
            st = nn_ref_read(t, &ref, &n_ref, err);
            if (st != FP_OK)
                break;
            if (n_ref != n_ours) {
                free(ref);
                st = fp_error_set(err, FP_ERR_SHAPE, "%s: output '%s' has %zu values, reference %zu", rc->model,
                                  name, n_ours, n_ref);
                break;
            }
            compare(outs[i], ref, n_ref, d);
            d->matched = 1;
            d->raw = t->raw;
            free(ref);
        }
    }
    for (int i = 0; i < n_out; i++)
        free(outs[i]);
    free(in);
    fp_nn_session_free(s);
    fp_nn_model_free(m);
    return st;
}
