/* TF.js weights manifests: the JSON array of groups
 *   [{"paths": ["shard1.bin", ...], "weights": [{"name", "shape", "dtype",
 *     "quantization": {"dtype": "uint8"|"uint16"|"float16", "scale", "min"}}]}]
 * used both by face-api (*-weights_manifest.json) and inside TF.js graph
 * models (model.json "weightsManifest"). Shards are concatenated per group
 * and sliced in declaration order; quantized tensors are dequantized to
 * float32 at load (uint8/uint16: q * scale + min; float16: IEEE half). */
#ifndef FP_NN_WEIGHTS_H
#define FP_NN_WEIGHTS_H

#include "graph.h"
#include "../core/json.h"

typedef struct nn_weight {
    char *name;
    nn_shape shape;
    int is_int;      /* int32 tensor (shape operands in graph models) */
    float *data;     /* float32 values (NULL once taken by a graph) */
    int32_t *idata;  /* int32 values when is_int */
} nn_weight;

typedef struct nn_weights {
    nn_weight *items;
    int n;
} nn_weights;

/* manifest: the parsed JSON array; dir: folder the shard paths are relative to. */
fp_status nn_weights_load(const fp_json *manifest, const char *dir, nn_weights **out, fp_error *err);
/* Reads and parses a *-weights_manifest.json file, then loads its shards. */
fp_status nn_weights_load_file(const char *manifest_path, nn_weights **out, fp_error *err);
void nn_weights_free(nn_weights *w);
nn_weight *nn_weights_find(nn_weights *w, const char *name);

/* Moves weight `name` into g as a constant and returns its value index, or a
 * negative status (FP_ERR_NOT_FOUND / FP_ERR_SHAPE, described in err). When
 * rank > 0 the weight's shape must equal dims[0..rank). */
int nn_weights_take(nn_graph *g, nn_weights *w, const char *name, int rank, const int64_t *dims,
                    fp_error *err);

#endif
