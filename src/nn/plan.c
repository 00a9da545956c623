/* Compilation driver: order, shapes, constant folding, fusion, kernel
 * preparation and the static memory plan (one arena per session, buffers
 * reused once their last reader has run). */
#include <stdlib.h>
#include <string.h>

#include "nn/compile.h"
#include "nn/ops.h"

#define ARENA_ALIGN 64

fp_status nn_graph_order(nn_graph *g, fp_error *err)
{
    /* iterative DFS from the outputs: 0 = unseen, 1 = on stack, 2 = done */
    unsigned char *state = calloc((size_t)g->n_nodes + 1, 1);
    int *stack = malloc(((size_t)g->n_nodes + 1) * sizeof *stack);
    int *child = malloc(((size_t)g->n_nodes + 1) * sizeof *child);
    int *order = malloc(((size_t)g->n_nodes + 1) * sizeof *order);
    fp_status st = FP_OK;
    if (!state || !stack || !child || !order) {
        st = fp_error_set(err, FP_ERR_NOMEM, "graph: out of memory");
        goto done;
    }
    int n_order = 0;
    for (int o = 0; o < g->n_outputs && st == FP_OK; o++) {
        int root = g->values[g->outputs[o]].producer;
        if (root < 0 || state[root])
            continue;
        int sp = 0;
        stack[sp] = root;
        child[sp] = 0;
        state[root] = 1;
        while (sp >= 0) {
            nn_node *n = &g->nodes[stack[sp]];
            if (child[sp] < n->n_inputs) {
                int p = g->values[n->inputs[child[sp]++]].producer;
                if (p < 0 || state[p] == 2)
                    continue;
                if (state[p] == 1) {
                    st = fp_error_set(err, FP_ERR_FORMAT, "graph: cycle through node '%s'", g->nodes[p].name);
                    break;
                }
                state[p] = 1;
                stack[++sp] = p;
                child[sp] = 0;
            } else {
                state[stack[sp]] = 2;
                order[n_order++] = stack[sp];
                sp--;
            }
        }
    }
    if (st == FP_OK) {
        free(g->order);
        g->order = order;
        g->n_order = n_order;
        order = NULL;
        for (int i = 0; i < g->n_values; i++)
            g->values[i].n_consumers = 0;
        for (int i = 0; i < g->n_order; i++) {
            nn_node *n = &g->nodes[g->order[i]];
            for (int k = 0; k < n->n_inputs; k++)
                g->values[n->inputs[k]].n_consumers++;
        }
    }
done:
    free(state);
    free(stack);
    free(child);
    free(order);
    return st;
}

fp_status nn_graph_infer_shapes(nn_graph *g, fp_error *err)
{
    for (int i = 0; i < g->n_order; i++) {
        nn_node *n = &g->nodes[g->order[i]];
        const nn_op_impl *impl = nn_op_impl_get(n->op);
        if (!impl)
            return fp_error_set(err, FP_ERR_UNSUPPORTED, "node '%s': op %s has no kernel", n->name,
                                nn_op_name(n->op));
        fp_status st = impl->infer(g, n, err);
        if (st != FP_OK)
            return st;
        int64_t numel = nn_shape_numel(&g->values[n->output].shape);
        if (numel < 0 || numel > ((int64_t)1 << 31))
            return fp_error_set(err, FP_ERR_LIMIT, "node '%s': output too large", n->name);
    }
    return FP_OK;
}

static int is_live_const(const nn_graph *g, int v)
{
    return g->values[v].is_const;
}

fp_status nn_graph_fold_constants(nn_graph *g, fp_error *err)
{
    for (int i = 0; i < g->n_order; i++) {
        nn_node *n = &g->nodes[g->order[i]];
        int all_const = n->n_inputs > 0;
        for (int k = 0; k < n->n_inputs && all_const; k++)
            all_const = is_live_const(g, n->inputs[k]);
        if (!all_const)
            continue;
        const nn_op_impl *impl = nn_op_impl_get(n->op);
        nn_value *out = &g->values[n->output];
        int64_t numel = nn_shape_numel(&out->shape);
        float *data = malloc((size_t)(numel > 0 ? numel : 1) * sizeof *data);
        float **ptrs = calloc((size_t)g->n_values, sizeof *ptrs);
        if (!data || !ptrs) {
            free(data);
            free(ptrs);
            return fp_error_set(err, FP_ERR_NOMEM, "graph: out of memory");
        }
        for (int k = 0; k < n->n_inputs; k++)
            ptrs[n->inputs[k]] = g->values[n->inputs[k]].data;
        ptrs[n->output] = data;
        fp_status st = impl->prepare ? impl->prepare(g, n, err) : FP_OK;
        size_t scratch_bytes = st == FP_OK && impl->scratch ? impl->scratch(g, n, 1) : 0;
        void *scratch = scratch_bytes ? malloc(scratch_bytes) : NULL;
        if (st == FP_OK && scratch_bytes && !scratch)
            st = fp_error_set(err, FP_ERR_NOMEM, "graph: out of memory");
        if (st == FP_OK) {
            nn_exec_ctx ctx = {ptrs, scratch, NULL};
            impl->run(&ctx, g, n);
        }
        free(scratch);
        free(ptrs);
        if (n->prepared && n->prepared_free)
            n->prepared_free(n->prepared);
        n->prepared = NULL;
        if (st != FP_OK) {
            free(data);
            return st;
        }
        out->data = data;
        out->is_const = 1;
        out->producer = -1;
        n->dead = 1;
    }
    return FP_OK;
}

double nn_graph_flops(const nn_graph *g)
{
    double total = 0;
    for (int i = 0; i < g->n_order; i++) {
        const nn_node *n = &g->nodes[g->order[i]];
        const nn_shape *o = &g->values[n->output].shape, *f;
        switch (n->op) {
        case NN_OP_CONV2D:
            f = &g->values[n->inputs[1]].shape;
            total += 2.0 * (double)nn_shape_numel(o) * (double)(f->dim[0] * f->dim[1] * f->dim[2]);
            break;
        case NN_OP_DWCONV2D:
            f = &g->values[n->inputs[1]].shape;
            total += 2.0 * (double)nn_shape_numel(o) * (double)(f->dim[0] * f->dim[1]);
            break;
        case NN_OP_DWPW: {
            const nn_shape *x = &g->values[n->inputs[0]].shape;
            f = &g->values[n->inputs[nn_epilogue_end(&n->attrs)]].shape;
            double pix = (double)nn_shape_numel(o) / (double)o->dim[3];
            total += 2.0 * pix * (double)x->dim[3] * (double)(f->dim[0] * f->dim[1] + o->dim[3]);
            break;
        }
        case NN_OP_MATMUL: {
            const nn_shape *a = &g->values[n->inputs[0]].shape;
            total += 2.0 * (double)nn_shape_numel(o) * (double)a->dim[a->rank - 1];
            break;
        }
        default:
            break;
        }
    }
    return total;
}

/* ---- memory plan ---------------------------------------------------------------- */

typedef struct {
    int value;
    int64_t bytes, first, last, offset;
} interval;

static int by_size_desc(const void *a, const void *b)
{
    const interval *x = a, *y = b;
    if (x->bytes != y->bytes)
        return x->bytes < y->bytes ? 1 : -1;
    return x->first < y->first ? -1 : (x->first > y->first);
}

static int root_of(const nn_graph *g, int v)
{
    while (g->values[v].alias_of >= 0)
        v = g->values[v].alias_of;
    return v;
}

fp_status nn_graph_plan_memory(nn_graph *g, fp_error *err)
{
    int nv = g->n_values;
    int64_t *first = malloc((size_t)nv * sizeof *first), *last = malloc((size_t)nv * sizeof *last);
    interval *iv = malloc((size_t)nv * sizeof *iv);
    if (!first || !last || !iv) {
        free(first);
        free(last);
        free(iv);
        return fp_error_set(err, FP_ERR_NOMEM, "graph: out of memory");
    }
    for (int v = 0; v < nv; v++) {
        first[v] = -2; /* -2 = not an activation */
        last[v] = -1;
        g->values[v].offset = -1;
        g->values[v].alias_of = -1;
    }
    for (int i = 0; i < g->n_inputs; i++)
        first[g->inputs[i]] = -1;
    for (int i = 0; i < g->n_order; i++) {
        const nn_node *n = &g->nodes[g->order[i]];
        const nn_op_impl *impl = nn_op_impl_get(n->op);
        int in0 = n->inputs[0];
        /* an alias shares its input's storage unless the input is a constant
         * or a graph output would be clobbered by later writers */
        if (impl->alias && !g->values[in0].is_const)
            g->values[n->output].alias_of = root_of(g, in0);
        else
            first[n->output] = i;
        for (int k = 0; k < n->n_inputs; k++) {
            int r = root_of(g, n->inputs[k]);
            if (last[r] < i)
                last[r] = i;
        }
    }
    for (int i = 0; i < g->n_outputs; i++) {
        int r = root_of(g, g->outputs[i]);
        last[r] = g->n_order; /* read back after the last node */
    }
    int n_iv = 0;
    g->naive_bytes = 0;
    for (int v = 0; v < nv; v++) {
        if (first[v] == -2 || g->values[v].is_const || g->values[v].alias_of >= 0)
            continue;
        int64_t bytes = nn_shape_numel(&g->values[v].shape) * (int64_t)sizeof(float);
        bytes = (bytes + ARENA_ALIGN - 1) / ARENA_ALIGN * ARENA_ALIGN;
        if (bytes == 0)
            bytes = ARENA_ALIGN;
        g->naive_bytes += bytes;
        iv[n_iv++] = (interval){v, bytes, first[v], last[v] < first[v] ? first[v] : last[v], 0};
    }
    /* greedy by size: each buffer takes the lowest offset that does not
     * overlap a placed buffer whose lifetime intersects its own */
    qsort(iv, (size_t)n_iv, sizeof *iv, by_size_desc);
    int64_t peak = 0;
    for (int i = 0; i < n_iv; i++) {
        int64_t offset = 0;
        int moved = 1;
        while (moved) {
            moved = 0;
            for (int j = 0; j < i; j++) {
                if (iv[j].last < iv[i].first || iv[i].last < iv[j].first)
                    continue;
                if (offset < iv[j].offset + iv[j].bytes && iv[j].offset < offset + iv[i].bytes) {
                    offset = iv[j].offset + iv[j].bytes;
                    moved = 1;
                }
            }
        }
        iv[i].offset = offset;
        g->values[iv[i].value].offset = offset;
        if (offset + iv[i].bytes > peak)
            peak = offset + iv[i].bytes;
    }
    g->arena_bytes = peak;
    free(first);
    free(last);
    free(iv);
    return FP_OK;
}

static fp_status prepare_kernels(nn_graph *g, fp_error *err)
{
    for (int i = 0; i < g->n_order; i++) {
        nn_node *n = &g->nodes[g->order[i]];
        const nn_op_impl *impl = nn_op_impl_get(n->op);
        if (impl->prepare && !n->prepared) {
            fp_status st = impl->prepare(g, n, err);
            if (st != FP_OK)
                return st;
        }
    }
    return FP_OK;
}

fp_status nn_graph_compile(nn_graph *g, fp_error *err)
{
    if (g->compiled)
        return FP_OK;
    if (g->n_outputs == 0)
        return fp_error_set(err, FP_ERR_FORMAT, "graph: no outputs");
    fp_status st = nn_graph_order(g, err);
    if (st == FP_OK) st = nn_graph_infer_shapes(g, err);
    if (st == FP_OK) st = nn_graph_fold_constants(g, err);
    if (st == FP_OK) st = nn_graph_order(g, err);
    if (st == FP_OK) st = nn_graph_fuse(g, err);
    if (st == FP_OK) st = nn_graph_order(g, err);
    if (st == FP_OK) st = nn_graph_fuse_dwpw(g, err);
    if (st == FP_OK) st = nn_graph_order(g, err);
    if (st == FP_OK) st = nn_graph_infer_shapes(g, err);
    if (st == FP_OK) st = prepare_kernels(g, err);
    if (st == FP_OK) st = nn_graph_plan_memory(g, err);
    if (st == FP_OK) {
        for (int i = 0; i < g->n_outputs; i++)
            if (g->values[g->outputs[i]].is_const)
                return fp_error_set(err, FP_ERR_UNSUPPORTED, "graph: output '%s' is a constant",
                                    g->values[g->outputs[i]].name);
        g->compiled = 1;
    }
    return st;
}
