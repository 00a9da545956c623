#include "support/fixture.h"

#include "core/file.h"
#include "core/json.h"
#include "faceprint/face.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef FP_SHARED_DIR
#define FP_SHARED_DIR "../shared"
#endif
#ifndef FP_MODELS_DIR
#define FP_MODELS_DIR "models/node_modules"
#endif

static char path_buf[4][4096];
static int path_slot;

static const char *join(const char *base, const char *rel)
{
    char *buf = path_buf[path_slot++ & 3];
    snprintf(buf, sizeof path_buf[0], "%s/%s", base, rel);
    return buf;
}

const char *fx_shared_path(const char *rel)
{
    const char *env = getenv("FP_SHARED_DIR");
    return join(env && *env ? env : FP_SHARED_DIR, rel);
}

const char *fx_model_path(const char *rel)
{
    const char *env = getenv("FP_MODELS_DIR");
    return join(env && *env ? env : FP_MODELS_DIR, rel);
}

float *fx_read_f32(const char *path, size_t *count)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) != 0) {
        fclose(f);
        return NULL;
    }
    long bytes = ftell(f);
    rewind(f);
    if (bytes < 0 || bytes % 4 != 0) {
        fclose(f);
        return NULL;
    }
    float *data = malloc(bytes ? (size_t)bytes : 4);
    if (data && fread(data, 1, (size_t)bytes, f) != (size_t)bytes) {
        free(data);
        data = NULL;
    }
    fclose(f);
    if (data)
        *count = (size_t)bytes / 4;
    return data;
}

fx_diff fx_compare(const float *a, const float *b, size_t n)
{
    fx_diff d = {0, 0, 0, 0, 0};
    double dot = 0, na = 0, nb = 0;
    for (size_t i = 0; i < n; i++) {
        double diff = fabs((double)a[i] - (double)b[i]);
        if (!(diff <= d.max_abs)) { /* also catches NaN */
            d.max_abs = isnan(diff) ? INFINITY : diff;
            d.worst_index = i;
        }
        if (fabs(b[i]) > d.max_ref)
            d.max_ref = fabs(b[i]);
        dot += (double)a[i] * b[i];
        na += (double)a[i] * a[i];
        nb += (double)b[i] * b[i];
    }
    d.rel = d.max_abs / (d.max_ref > 1e-12 ? d.max_ref : 1e-12);
    d.cosine = (na > 0 && nb > 0) ? dot / sqrt(na * nb) : (na == nb ? 1.0 : 0.0);
    return d;
}

int fx_for_each_jsonl(const char *rel, int max_lines, void (*fn)(int index, const fp_json *root))
{
    char *text = NULL;
    size_t len = 0;
    fp_error err;
    if (fp_read_file(fx_shared_path(rel), (size_t)64 << 20, &text, &len, &err) != FP_OK)
        return -1;
    int index = 0;
    for (char *line = text, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = 0;
        if (!*line)
            continue;
        fp_json_doc *doc = NULL;
        if (index >= max_lines || fp_json_parse(line, strlen(line), NULL, &doc, &err) != FP_OK) {
            index = -1;
            break;
        }
        fn(index++, fp_json_root(doc));
        fp_json_doc_free(doc);
    }
    free(text);
    return index;
}

fp_face_engine *fx_face_engine_open(void)
{
    fp_error err = {0};
    fp_face_config cfg = {fx_model_path(""), 1, 0.f, 0.f};
    fp_face_engine *engine = NULL;
    if (fp_face_engine_new(&cfg, &engine, &err) != FP_OK) {
        fprintf(stderr, "engine: %s\n", err.message);
        return NULL;
    }
    return engine;
}
