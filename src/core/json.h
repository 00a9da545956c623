/* A small, strict JSON reader (RFC 8259) producing an immutable DOM that
 * lives in one allocation arena. Hostile input is expected: depth, size and
 * element counts are bounded and every failure names the byte offset. */
#ifndef FP_CORE_JSON_H
#define FP_CORE_JSON_H

#include <stddef.h>
#include <stdint.h>
#include "faceprint/status.h"

typedef enum { FP_JSON_NULL, FP_JSON_FALSE, FP_JSON_TRUE, FP_JSON_NUMBER, FP_JSON_STRING,
               FP_JSON_ARRAY, FP_JSON_OBJECT } fp_json_type;

typedef struct fp_json fp_json;
struct fp_json {
    fp_json_type type;
    double number;           /* FP_JSON_NUMBER */
    const char *string;      /* FP_JSON_STRING (NUL-terminated, UTF-8, may contain embedded NUL -> see length) */
    size_t length;           /* string length in bytes, or element count for array/object */
    const char *const *keys; /* FP_JSON_OBJECT: keys[i] names items[i] */
    fp_json *const *items;   /* FP_JSON_ARRAY / FP_JSON_OBJECT children */
};

typedef struct fp_json_doc fp_json_doc;

typedef struct {
    size_t max_depth;        /* 0 = default 128 */
    size_t max_nodes;        /* 0 = default 16M */
} fp_json_limits;

/* Parses text[0..len). On success *out owns every node; free with fp_json_doc_free. */
fp_status fp_json_parse(const char *text, size_t len, const fp_json_limits *limits,
                        fp_json_doc **out, fp_error *err);
const fp_json *fp_json_root(const fp_json_doc *doc);
void fp_json_doc_free(fp_json_doc *doc);

/* Lookups return NULL when absent or of another type. */
const fp_json *fp_json_get(const fp_json *obj, const char *key);
const fp_json *fp_json_at(const fp_json *arr, size_t index);
const char *fp_json_get_string(const fp_json *obj, const char *key);
/* Returns 1 and stores the value if obj[key] is a number, else 0. */
int fp_json_get_number(const fp_json *obj, const char *key, double *value);

#endif
