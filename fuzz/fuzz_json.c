/* libFuzzer target: the strict JSON reader on arbitrary bytes.
 *
 * Parses the input twice (default limits, then tight ones so the limit
 * paths are reached with small inputs) and walks every successful DOM
 * through the lookup helpers. Invariants checked (abort on violation):
 * success <=> a document is returned; failures fill fp_error with the same
 * status and a message naming the byte offset inside the input; strings are
 * NUL-terminated at their length; objects have a key per member. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t walk(const fp_json *v, int depth)
{
    if (!v || depth > 10000)
        abort();
    size_t n = 1;
    switch (v->type) {
    case FP_JSON_STRING:
        if (!v->string || v->string[v->length] != 0)
            abort();
        break;
    case FP_JSON_ARRAY:
        for (size_t i = 0; i < v->length; i++) {
            if (fp_json_at(v, i) != v->items[i])
                abort();
            n += walk(v->items[i], depth + 1);
        }
        if (fp_json_at(v, v->length) != NULL)
            abort();
        break;
    case FP_JSON_OBJECT:
        for (size_t i = 0; i < v->length; i++) {
            if (!v->keys || !v->keys[i])
                abort();
            /* lookups find some member with that key (the last duplicate) */
            const fp_json *found = fp_json_get(v, v->keys[i]);
            if (!found)
                abort();
            double num;
            int is_num = fp_json_get_number(v, v->keys[i], &num);
            if (is_num != (found->type == FP_JSON_NUMBER))
                abort();
            const char *s = fp_json_get_string(v, v->keys[i]);
            if ((s != NULL) != (found->type == FP_JSON_STRING))
                abort();
            n += walk(v->items[i], depth + 1);
        }
        break;
    default:
        break;
    }
    return n;
}

static void parse_once(const char *text, size_t size, const fp_json_limits *limits)
{
    fp_json_doc *doc = NULL;
    fp_error err;
    memset(&err, 0, sizeof err);
    fp_status st = fp_json_parse(text, size, limits, &doc, &err);
    if (st == FP_OK) {
        if (!doc || !fp_json_root(doc))
            abort();
        size_t nodes = walk(fp_json_root(doc), 0);
        if (limits && limits->max_nodes && nodes > limits->max_nodes)
            abort();
        fp_json_doc_free(doc);
        return;
    }
    if (doc || err.status != st || st == FP_ERR_INVALID_ARG)
        abort();
    if (st != FP_ERR_NOMEM) {
        const char *at = strstr(err.message, "at byte ");
        if (!at)
            abort();
        unsigned long long off = strtoull(at + 8, NULL, 10);
        if (off > size)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* an exact-size heap copy: any read past the end is an ASan error */
    char *text = malloc(size ? size : 1);
    if (!text)
        return 0;
    if (size)
        memcpy(text, data, size);
    parse_once(text, size, NULL);
    fp_json_limits tight = {8, 64};
    parse_once(text, size, &tight);
    free(text);
    return 0;
}
