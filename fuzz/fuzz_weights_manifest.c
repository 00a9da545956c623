/* libFuzzer target: TF.js weights manifests (nn_weights_load), the part of
 * both model formats that slices and dequantises the binary shards.
 *
 * The input is the manifest JSON; the shards it may name are fixed files
 * written at start-up into a per-process temp dir: a.bin (1000 bytes), b.bin
 * (333 bytes, an odd size so splits fall mid-element) and empty.bin. Loaded
 * weights are checked for consistency and moved into a graph with
 * nn_weights_take, as the face-api loader does. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/json.h"
#include "nn/graph.h"
#include "nn/weights.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static char dir[256];
static const struct { const char *name; size_t size; } shards[] = {
    {"a.bin", 1000}, {"b.bin", 333}, {"empty.bin", 0}};

static void cleanup(void)
{
    char p[320];
    for (size_t i = 0; i < sizeof shards / sizeof shards[0]; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, shards[i].name);
        unlink(p);
    }
    rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/fp_fuzz_weights_XXXXXX", tmp && *tmp && strlen(tmp) < 200 ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        abort();
    }
    atexit(cleanup);
    uint32_t s = 777;
    for (size_t i = 0; i < sizeof shards / sizeof shards[0]; i++) {
        char p[320];
        snprintf(p, sizeof p, "%s/%s", dir, shards[i].name);
        FILE *f = fopen(p, "wb");
        if (!f)
            abort();
        for (size_t k = 0; k < shards[i].size; k++) {
            s = s * 1103515245u + 12345u;
            /* mostly small float32 values, with some raw bytes mixed in */
            unsigned char b = (unsigned char)(k % 4 == 3 ? ((s >> 16) & 1 ? 0x3F : 0xBF) : s >> 24);
            fputc(b, f);
        }
        if (fclose(f) != 0)
            abort();
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fp_json_doc *doc = NULL;
    fp_error err;
    memset(&err, 0, sizeof err);
    if (fp_json_parse((const char *)data, size, NULL, &doc, &err) != FP_OK)
        return 0;
    nn_weights *w = NULL;
    fp_status st = nn_weights_load(fp_json_root(doc), dir, &w, &err);
    if (st != FP_OK) {
        if (w || err.status != st || !err.message[0])
            abort();
        fp_json_doc_free(doc);
        return 0;
    }
    if (!w || w->n < 0)
        abort();
    nn_graph *g = NULL;
    if (nn_graph_new(&g) != FP_OK)
        abort();
    volatile double sink = 0;
    for (int i = 0; i < w->n; i++) {
        nn_weight *it = &w->items[i];
        if (!it->name || it->shape.rank < 0 || it->shape.rank > NN_MAX_RANK)
            abort();
        int64_t n = nn_shape_numel(&it->shape);
        if (n < 0)
            abort();
        if (it->is_int ? !it->idata : !it->data)
            abort();
        /* touch every element (ASan checks the allocation size) */
        for (int64_t k = 0; k < n; k++)
            sink += it->is_int ? (double)it->idata[k] : (isnan(it->data[k]) ? 0.0 : (double)it->data[k]);
        if (nn_weights_find(w, it->name) == NULL)
            abort();
    }
    (void)sink;
    /* move the float weights into a graph (first of each name) */
    for (int i = 0; i < w->n; i++) {
        nn_weight *it = &w->items[i];
        if (it->is_int || !it->data || nn_weights_find(w, it->name) != it)
            continue;
        int v = nn_weights_take(g, w, it->name, it->shape.rank, it->shape.dim, &err);
        if (v < 0 || w->items[i].data != NULL || g->values[v].data == NULL)
            abort();
        /* taking it again fails cleanly */
        if (nn_weights_take(g, w, w->items[i].name, 0, NULL, &err) != FP_ERR_NOT_FOUND)
            abort();
    }
    nn_graph_free(g);
    nn_weights_free(w);
    fp_json_doc_free(doc);
    return 0;
}
