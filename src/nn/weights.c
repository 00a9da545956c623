#include "nn/weights.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/file.h"

/* Our packaged models are < 30 MB; anything far larger is corrupt or hostile. */
#define MAX_SHARD_BYTES ((size_t)512 << 20)
#define MAX_MANIFEST_BYTES ((size_t)64 << 20)
#define MAX_TENSOR_ELEMS ((int64_t)1 << 28)

typedef enum { QUANT_NONE, QUANT_UINT8, QUANT_UINT16, QUANT_FLOAT16 } quant_kind;

static float half_to_float(uint16_t h)
{
    unsigned sign = h >> 15, exp = h >> 10 & 0x1F, mant = h & 0x3FF;
    float v;
    if (exp == 0)
        v = ldexpf((float)mant, -24); /* subnormal */
    else if (exp == 31)
        v = mant ? NAN : INFINITY;
    else
        v = ldexpf((float)(mant | 0x400), (int)exp - 25);
    return sign ? -v : v;
}

void nn_weights_free(nn_weights *w)
{
    if (!w)
        return;
    for (int i = 0; i < w->n; i++) {
        free(w->items[i].name);
        free(w->items[i].data);
        free(w->items[i].idata);
    }
    free(w->items);
    free(w);
}

nn_weight *nn_weights_find(nn_weights *w, const char *name)
{
    for (int i = 0; i < w->n; i++)
        if (w->items[i].name && strcmp(w->items[i].name, name) == 0)
            return &w->items[i];
    return NULL;
}

/* Concatenates a group's shards, which TF.js splits at arbitrary byte offsets. */
static fp_status read_group(const fp_json *paths, const char *dir, unsigned char **buf, size_t *len,
                            fp_error *err)
{
    *buf = NULL;
    *len = 0;
    if (!paths || paths->type != FP_JSON_ARRAY || paths->length == 0)
        return fp_error_set(err, FP_ERR_FORMAT, "weights manifest: group without \"paths\"");
    unsigned char *all = NULL;
    size_t total = 0;
    for (size_t i = 0; i < paths->length; i++) {
        const fp_json *p = paths->items[i];
        if (p->type != FP_JSON_STRING || !p->length || strstr(p->string, "..") || p->string[0] == '/') {
            free(all);
            return fp_error_set(err, FP_ERR_FORMAT, "weights manifest: bad shard path");
        }
        char full[4096];
        if ((size_t)snprintf(full, sizeof full, "%s/%s", dir, p->string) >= sizeof full) {
            free(all);
            return fp_error_set(err, FP_ERR_LIMIT, "weights manifest: shard path too long");
        }
        char *data;
        size_t n;
        fp_status st = fp_read_file(full, MAX_SHARD_BYTES, &data, &n, err);
        if (st != FP_OK) {
            free(all);
            return st;
        }
        if (total + n > MAX_SHARD_BYTES) {
            free(all);
            free(data);
            return fp_error_set(err, FP_ERR_LIMIT, "weights: shards exceed %zu bytes", MAX_SHARD_BYTES);
        }
        unsigned char *grown = realloc(all, total + n + 1);
        if (!grown) {
            free(all);
            free(data);
            return fp_error_set(err, FP_ERR_NOMEM, "weights: out of memory");
        }
        all = grown;
        memcpy(all + total, data, n);
        total += n;
        free(data);
    }
    *buf = all;
    *len = total;
    return FP_OK;
}

static fp_status parse_shape(const fp_json *shape, nn_shape *out, const char *name, fp_error *err)
{
    memset(out, 0, sizeof *out);
    if (!shape || shape->type != FP_JSON_ARRAY || shape->length > NN_MAX_RANK)
        return fp_error_set(err, FP_ERR_FORMAT, "weight '%s': bad shape", name);
    out->rank = (int)shape->length;
    int64_t numel = 1;
    for (size_t i = 0; i < shape->length; i++) {
        const fp_json *d = shape->items[i];
        if (d->type != FP_JSON_NUMBER || d->number < 0 || d->number > (double)MAX_TENSOR_ELEMS ||
            d->number != floor(d->number))
            return fp_error_set(err, FP_ERR_FORMAT, "weight '%s': bad dimension", name);
        out->dim[i] = (int64_t)d->number;
        numel *= out->dim[i];
        if (numel > MAX_TENSOR_ELEMS)
            return fp_error_set(err, FP_ERR_LIMIT, "weight '%s': too many elements", name);
    }
    return FP_OK;
}

static fp_status decode_weight(const fp_json *spec, const unsigned char *buf, size_t len, size_t *offset,
                               nn_weight *out, fp_error *err)
{
    const char *name = fp_json_get_string(spec, "name");
    const char *dtype = fp_json_get_string(spec, "dtype");
    if (!name || !dtype)
        return fp_error_set(err, FP_ERR_FORMAT, "weights manifest: entry without name/dtype");
    fp_status st = parse_shape(fp_json_get(spec, "shape"), &out->shape, name, err);
    if (st != FP_OK)
        return st;
    int is_int = strcmp(dtype, "int32") == 0;
    if (!is_int && strcmp(dtype, "float32") != 0)
        return fp_error_set(err, FP_ERR_UNSUPPORTED, "weight '%s': unsupported dtype '%s'", name, dtype);

    quant_kind q = QUANT_NONE;
    double scale = 1, min = 0;
    const fp_json *quant = fp_json_get(spec, "quantization");
    if (quant) {
        const char *qd = fp_json_get_string(quant, "dtype");
        if (qd && strcmp(qd, "uint8") == 0) q = QUANT_UINT8;
        else if (qd && strcmp(qd, "uint16") == 0) q = QUANT_UINT16;
        else if (qd && strcmp(qd, "float16") == 0) q = QUANT_FLOAT16;
        else
            return fp_error_set(err, FP_ERR_UNSUPPORTED, "weight '%s': unsupported quantization '%s'", name,
                                qd ? qd : "?");
        if (q != QUANT_FLOAT16 &&
            (!fp_json_get_number(quant, "scale", &scale) || !fp_json_get_number(quant, "min", &min)))
            return fp_error_set(err, FP_ERR_FORMAT, "weight '%s': quantization without scale/min", name);
    }
    size_t elem_bytes = q == QUANT_UINT8 ? 1 : (q == QUANT_NONE ? 4 : 2);
    int64_t n = nn_shape_numel(&out->shape);
    size_t need = (size_t)n * elem_bytes;
    if (*offset > len || len - *offset < need)
        return fp_error_set(err, FP_ERR_TRUNCATED,
                            "weight '%s': needs %zu bytes at offset %zu but the shards hold %zu", name, need,
                            *offset, len);
    const unsigned char *src = buf + *offset;
    *offset += need;

    out->name = strdup(name);
    out->is_int = is_int;
    size_t alloc = (size_t)(n > 0 ? n : 1);
    if (is_int)
        out->idata = malloc(alloc * sizeof(int32_t));
    else
        out->data = malloc(alloc * sizeof(float));
    if (!out->name || (is_int ? !out->idata : !out->data))
        return fp_error_set(err, FP_ERR_NOMEM, "weights: out of memory");

    for (int64_t i = 0; i < n; i++) {
        double v;
        switch (q) {
        case QUANT_UINT8: v = src[i] * scale + min; break;
        case QUANT_UINT16: {
            uint16_t u;
            memcpy(&u, src + 2 * i, 2);
            v = u * scale + min;
            break;
        }
        case QUANT_FLOAT16: {
            uint16_t h;
            memcpy(&h, src + 2 * i, 2);
            v = half_to_float(h);
            break;
        }
        default:
            if (is_int) {
                int32_t iv;
                memcpy(&iv, src + 4 * i, 4);
                out->idata[i] = iv;
                continue;
            } else {
                float fv;
                memcpy(&fv, src + 4 * i, 4);
                out->data[i] = fv;
                continue;
            }
        }
        /* TF.js evaluates q * scale + min in double (JS numbers) and stores
         * into a Float32Array / Int32Array via Math.round: do the same so the
         * dequantised weights are bit-identical to the reference. */
        if (is_int) {
            double r = floor(v + 0.5);
            if (!(r >= INT32_MIN && r <= INT32_MAX)) /* NaN fails too */
                return fp_error_set(err, FP_ERR_FORMAT, "weight '%s': int32 value out of range", name);
            out->idata[i] = (int32_t)r;
        }
        else
            out->data[i] = (float)v;
    }
    return FP_OK;
}

fp_status nn_weights_load(const fp_json *manifest, const char *dir, nn_weights **out, fp_error *err)
{
    *out = NULL;
    if (!manifest || manifest->type != FP_JSON_ARRAY)
        return fp_error_set(err, FP_ERR_FORMAT, "weights manifest: expected an array of groups");
    nn_weights *w = calloc(1, sizeof *w);
    if (!w)
        return fp_error_set(err, FP_ERR_NOMEM, "weights: out of memory");
    size_t total = 0;
    for (size_t g = 0; g < manifest->length; g++) {
        const fp_json *list = fp_json_get(manifest->items[g], "weights");
        if (!list || list->type != FP_JSON_ARRAY) {
            nn_weights_free(w);
            return fp_error_set(err, FP_ERR_FORMAT, "weights manifest: group %zu without \"weights\"", g);
        }
        total += list->length;
    }
    w->items = calloc(total ? total : 1, sizeof *w->items);
    if (!w->items) {
        nn_weights_free(w);
        return fp_error_set(err, FP_ERR_NOMEM, "weights: out of memory");
    }
    for (size_t g = 0; g < manifest->length; g++) {
        const fp_json *group = manifest->items[g];
        const fp_json *list = fp_json_get(group, "weights");
        unsigned char *buf;
        size_t len, offset = 0;
        fp_status st = read_group(fp_json_get(group, "paths"), dir, &buf, &len, err);
        for (size_t i = 0; st == FP_OK && i < list->length; i++) {
            st = decode_weight(list->items[i], buf, len, &offset, &w->items[w->n], err);
            w->n++; /* counted even on failure so partial allocations are freed */
        }
        free(buf);
        if (st != FP_OK) {
            nn_weights_free(w);
            return st;
        }
    }
    *out = w;
    return FP_OK;
}

fp_status nn_weights_load_file(const char *manifest_path, nn_weights **out, fp_error *err)
{
    char *text;
    size_t len;
    *out = NULL;
    fp_status st = fp_read_file(manifest_path, MAX_MANIFEST_BYTES, &text, &len, err);
    if (st != FP_OK)
        return st;
    fp_json_doc *doc;
    st = fp_json_parse(text, len, NULL, &doc, err);
    free(text);
    if (st != FP_OK)
        return st;
    char dir[4096];
    fp_path_dirname(manifest_path, dir, sizeof dir);
    st = nn_weights_load(fp_json_root(doc), dir, out, err);
    fp_json_doc_free(doc);
    return st;
}

int nn_weights_take(nn_graph *g, nn_weights *w, const char *name, int rank, const int64_t *dims, fp_error *err)
{
    nn_weight *item = nn_weights_find(w, name);
    if (!item || !item->data)
        return fp_error_set(err, FP_ERR_NOT_FOUND, "weight '%s' is missing from the model", name);
    if (rank > 0) {
        nn_shape want = nn_shape_make(rank, dims);
        if (!nn_shape_equal(&want, &item->shape))
            return fp_error_set(err, FP_ERR_SHAPE, "weight '%s' has an unexpected shape", name);
    }
    int v = nn_graph_const(g, name, &item->shape, item->data);
    item->data = NULL; /* ownership moved to the graph (freed there even on failure) */
    if (v < 0)
        return fp_error_set(err, (fp_status)v, "weight '%s': cannot add to graph", name);
    return v;
}
