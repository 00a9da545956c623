/* Sessions: one activation arena + scratch per session, so one compiled
 * model can serve many threads (one session each) without locks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nn/model.h"
#include "nn/ops.h"

struct fp_nn_session {
    const fp_nn_model *model;
    nn_threadpool *tp;
    unsigned char *block; /* one allocation: arena, then scratch */
    size_t block_bytes;
    unsigned char *arena;
    void *scratch;
    float **ptrs;
};

fp_status fp_threadpool_new(int n_threads, fp_threadpool **out)
{
    if (!out || n_threads < 1)
        return FP_ERR_INVALID_ARG;
    fp_threadpool *tp = calloc(1, sizeof *tp);
    if (!tp)
        return FP_ERR_NOMEM;
    fp_status st = nn_threadpool_new(n_threads, &tp->pool);
    if (st != FP_OK) {
        free(tp);
        return st;
    }
    *out = tp;
    return FP_OK;
}

void fp_threadpool_free(fp_threadpool *tp)
{
    if (!tp)
        return;
    nn_threadpool_free(tp->pool);
    free(tp);
}

fp_status fp_nn_session_new(const fp_nn_model *model, fp_threadpool *tp, fp_nn_session **out)
{
    if (!model || !out)
        return FP_ERR_INVALID_ARG;
    *out = NULL;
    const nn_graph *g = model->graph;
    fp_nn_session *s = calloc(1, sizeof *s);
    if (!s)
        return FP_ERR_NOMEM;
    s->model = model;
    s->tp = tp ? tp->pool : NULL;
    int threads = nn_threadpool_size(s->tp);
    size_t scratch = 0;
    for (int i = 0; i < g->n_order; i++) {
        const nn_node *n = &g->nodes[g->order[i]];
        const nn_op_impl *impl = nn_op_impl_get(n->op);
        if (impl->scratch) {
            size_t need = impl->scratch(g, n, threads);
            scratch = need > scratch ? need : scratch;
        }
    }
    /* Arena and scratch share one block, the scratch an odd number of cache
     * lines past a 4 KiB boundary, so their relative placement (and hence
     * L1 set usage while kernels stream from one into the other) is the
     * same in every process instead of depending on where malloc put two
     * separate buffers; one allocation is also one wipe on free. */
    size_t arena_bytes = (size_t)(g->arena_bytes > 0 ? g->arena_bytes : 64);
    size_t scratch_offset = (arena_bytes + 4095) / 4096 * 4096 + 17 * 64;
    size_t total = scratch_offset + (scratch + 63) / 64 * 64;
    s->block = aligned_alloc(4096, (total + 4095) / 4096 * 4096);
    s->block_bytes = total;
    s->arena = s->block;
    s->scratch = scratch && s->block ? s->block + scratch_offset : NULL;
    s->ptrs = calloc((size_t)g->n_values, sizeof *s->ptrs);
    if (!s->arena || (scratch && !s->scratch) || !s->ptrs) {
        fp_nn_session_free(s);
        return FP_ERR_NOMEM;
    }
    /* arena slots first, then aliases (whose roots are always planned slots) */
    for (int v = 0; v < g->n_values; v++) {
        const nn_value *val = &g->values[v];
        if (val->is_const)
            s->ptrs[v] = val->data;
        else if (val->offset >= 0)
            s->ptrs[v] = (float *)(s->arena + val->offset);
    }
    for (int v = 0; v < g->n_values; v++) {
        int r = v;
        while (g->values[r].alias_of >= 0)
            r = g->values[r].alias_of;
        if (r != v)
            s->ptrs[v] = s->ptrs[r];
    }
    *out = s;
    return FP_OK;
}

void fp_nn_session_free(fp_nn_session *s)
{
    if (!s)
        return;
    /* activations derive from face images: do not leave them in freed memory */
    if (s->block)
        explicit_bzero(s->block, s->block_bytes);
    free(s->block);
    free(s->ptrs);
    free(s);
}

fp_status fp_nn_session_run(fp_nn_session *s, const float *const *inputs, float *const *outputs)
{
    if (!s || !inputs || !outputs)
        return FP_ERR_INVALID_ARG;
    const nn_graph *g = s->model->graph;
    for (int i = 0; i < g->n_inputs; i++) {
        int v = g->inputs[i];
        if (!inputs[i])
            return FP_ERR_INVALID_ARG;
        if (s->ptrs[v])
            memcpy(s->ptrs[v], inputs[i], (size_t)nn_shape_numel(&g->values[v].shape) * sizeof(float));
    }
    nn_exec_ctx ctx = {s->ptrs, s->scratch, s->tp};
    /* FP_NN_PROFILE=1 prints one line per node to stderr: a developer tool
     * for finding the slow op, read once per run (cheap next to the model) */
    const char *profile = getenv("FP_NN_PROFILE");
    int prof = profile && *profile == '1';
    for (int i = 0; i < g->n_order; i++) {
        const nn_node *n = &g->nodes[g->order[i]];
        if (n->dead)
            continue;
        const nn_op_impl *impl = nn_op_impl_get(n->op);
        if (impl->alias && s->ptrs[n->output] == s->ptrs[n->inputs[0]])
            continue;
        struct timespec t0, t1;
        if (prof)
            clock_gettime(CLOCK_MONOTONIC, &t0);
        impl->run(&ctx, g, n);
        if (prof) {
            clock_gettime(CLOCK_MONOTONIC, &t1);
            const nn_shape *o = &g->values[n->output].shape;
            fprintf(stderr, "prof %-16s %8.3f ms  out [%lld,%lld,%lld,%lld] act %d  %s\n", nn_op_name(n->op),
                    (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6,
                    (long long)o->dim[0], (long long)(o->rank > 1 ? o->dim[1] : 0),
                    (long long)(o->rank > 2 ? o->dim[2] : 0), (long long)(o->rank > 3 ? o->dim[3] : 0),
                    (int)n->attrs.act, n->name);
        }
    }
    for (int i = 0; i < g->n_outputs; i++) {
        int v = g->outputs[i];
        if (!outputs[i])
            return FP_ERR_INVALID_ARG;
        memcpy(outputs[i], s->ptrs[v], (size_t)nn_shape_numel(&g->values[v].shape) * sizeof(float));
    }
    return FP_OK;
}
