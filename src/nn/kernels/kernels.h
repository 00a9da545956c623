/* Compute kernels of the nn runtime: thread pool, CPU dispatch, packed GEMM,
 * convolution, depthwise convolution and matrix multiply with a fused
 * epilogue (bias, residual add, activation). Everything here works on raw
 * float32 arrays so it can be tested and benchmarked without the graph.
 *
 * Thread-safety: a *_prepared object is immutable after prepare and may be
 * run concurrently from several sessions, each with its own scratch buffer. */
#ifndef FP_NN_KERNELS_H
#define FP_NN_KERNELS_H

#include <stddef.h>
#include <stdint.h>
#include "faceprint/status.h"
#include "../graph.h"

/* ---- CPU features ---------------------------------------------------------- */
typedef enum nn_isa { NN_ISA_SCALAR = 0, NN_ISA_AVX2 = 1, NN_ISA_AVX512 = 2 } nn_isa;
/* Best ISA this CPU supports, capped by env FP_NN_ISA=scalar|avx2|avx512 (for tests). */
nn_isa nn_cpu_isa(void);
const char *nn_isa_name(nn_isa isa);
/* Tests and benchmarks: force the ISA later prepares pick (isa >= 0, still
 * capped by what the CPU supports), or isa < 0 to go back to detection + env.
 * Only affects objects prepared afterwards; not for concurrent use. */
void nn_cpu_isa_override(int isa);

/* ---- thread pool ------------------------------------------------------------ */
typedef struct nn_threadpool nn_threadpool;
/* n_threads counts the calling thread: 1 = no worker threads. */
fp_status nn_threadpool_new(int n_threads, nn_threadpool **out);
void nn_threadpool_free(nn_threadpool *tp);
int nn_threadpool_size(const nn_threadpool *tp); /* 1 when tp is NULL */
typedef void (*nn_task_fn)(void *ctx, int64_t task, int thread);
/* Runs fn(ctx, t, thread) for t in [0, n_tasks) and returns when all are done.
 * thread is in [0, size). tp NULL = run serially on the caller. Not re-entrant. */
void nn_threadpool_parallel_for(nn_threadpool *tp, int64_t n_tasks, nn_task_fn fn, void *ctx);

/* ---- fused epilogue ---------------------------------------------------------- */
typedef struct nn_epilogue {
    const float *bias;        /* [cout] or NULL */
    const float *residual;    /* same layout as the output, or NULL; added after bias */
    nn_act act;
    const float *prelu_alpha; /* [cout] when act == NN_ACT_PRELU */
    float leaky_alpha;        /* when act == NN_ACT_LEAKY_RELU */
} nn_epilogue;

/* ---- convolution (NHWC input, HWIO filter, NHWC output) ---------------------- */
typedef struct nn_conv_desc {
    int n, ih, iw, cin;
    int oh, ow, cout;
    int kh, kw, sh, sw, dh, dw;
    int pad_top, pad_left;    /* explicit; SAME/VALID resolved by the caller */
} nn_conv_desc;

typedef struct nn_conv_prepared nn_conv_prepared;
fp_status nn_conv2d_prepare(const nn_conv_desc *d, const float *filter_hwio, nn_conv_prepared **out);
size_t nn_conv2d_scratch_bytes(const nn_conv_prepared *p, int n_threads);
void nn_conv2d_run(const nn_conv_prepared *p, const float *in, float *out, const nn_epilogue *ep,
                   void *scratch, nn_threadpool *tp);
void nn_conv2d_prepared_free(nn_conv_prepared *p);
double nn_conv2d_flops(const nn_conv_desc *d);

/* depthwise: filter [kh, kw, cin, mult], cout = cin * mult */
typedef struct nn_dwconv_prepared nn_dwconv_prepared;
fp_status nn_dwconv2d_prepare(const nn_conv_desc *d, const float *filter, nn_dwconv_prepared **out);
size_t nn_dwconv2d_scratch_bytes(const nn_dwconv_prepared *p, int n_threads);
void nn_dwconv2d_run(const nn_dwconv_prepared *p, const float *in, float *out, const nn_epilogue *ep,
                     void *scratch, nn_threadpool *tp);
void nn_dwconv2d_prepared_free(nn_dwconv_prepared *p);

/* depthwise (multiplier 1, geometry d, d->cout == d->cin) feeding a 1x1
 * stride-1 conv with pw_filter [cin, cout]; dw_ep applies to the depthwise
 * stage (no residual), pw_ep to the output. Same results as running the two
 * convs one after the other. */
typedef struct nn_dwpw_prepared nn_dwpw_prepared;
fp_status nn_dwpw_prepare(const nn_conv_desc *d, const float *dw_filter, int cout, const float *pw_filter,
                          nn_dwpw_prepared **out);
size_t nn_dwpw_scratch_bytes(const nn_dwpw_prepared *p, int n_threads);
void nn_dwpw_run(const nn_dwpw_prepared *p, const float *in, float *out, const nn_epilogue *dw_ep,
                 const nn_epilogue *pw_ep, void *scratch, nn_threadpool *tp);
void nn_dwpw_prepared_free(nn_dwpw_prepared *p);

/* ---- matrix multiply: C[m, n] = A[m, k] * B[k, n] (+ epilogue), B constant --- */
typedef struct nn_matmul_prepared nn_matmul_prepared;
/* b is [k, n] row-major, or [n, k] when transpose_b */
fp_status nn_matmul_prepare(int k, int n, const float *b, int transpose_b, nn_matmul_prepared **out);
size_t nn_matmul_scratch_bytes(const nn_matmul_prepared *p, int m, int n_threads);
void nn_matmul_run(const nn_matmul_prepared *p, int m, const float *a, float *c, const nn_epilogue *ep,
                   void *scratch, nn_threadpool *tp);
void nn_matmul_prepared_free(nn_matmul_prepared *p);

/* Plain reference GEMM for tests: C = A*B, all row-major, no packing. */
void nn_gemm_reference(int m, int n, int k, const float *a, const float *b, float *c);

#endif
