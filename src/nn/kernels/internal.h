/* Private interface between the kernel files: the packed-GEMM engine that
 * conv2d and matmul share, the per-ISA micro-kernel table, and the scalar
 * epilogue every edge path falls back to. Not installed, not used outside
 * src/nn/kernels. */
#ifndef FP_NN_KERNELS_INTERNAL_H
#define FP_NN_KERNELS_INTERNAL_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include "kernels.h"

/* Epilogue as the micro-kernels see it. Residual uses the output's row
 * stride, so one pointer + (row, col) locates any element. */
typedef struct gemm_epi {
    const float *bias;
    const float *residual;
    const float *prelu;
    float leaky;
    nn_act act;
} gemm_epi;

/* A tile's contribution is split over K blocks: the first block also adds
 * bias + residual (read before C is ever written, so residual may alias C),
 * the last applies the activation. */
enum { GEMM_FIRST = 1, GEMM_LAST = 2 };

/* c points at the tile's origin; row0/col0 locate it in the whole output for
 * bias/residual; mr x nr is the valid part of the MR x NR tile. */
typedef void (*gemm_ukr_fn)(int64_t kc, const float *a, const float *b, float *c, int64_t ldc,
                            int flags, const gemm_epi *e, int64_t row0, int64_t col0, int mr, int nr);

/* Packs len columns of mr rows (row pointers; NULL = zero row) into one
 * k-major panel: dst[p * mr + i] = rows[i][p]. May write up to 8 floats past
 * the panel's end (scratch has slack) and must be called in address order. */
typedef void (*gemm_pack_rows_fn)(const float *const *rows, int mr, int len, float *dst);

typedef struct gemm_kernel_info {
    nn_isa isa;
    int mr, nr;      /* register tile */
    int mc, kc;      /* cache blocks: MC x KC A block lives in L2 */
    gemm_ukr_fn ukr;
    gemm_pack_rows_fn pack_rows;
} gemm_kernel_info;

#define GEMM_MAX_MR 8
#define GEMM_MAX_KC 256

const gemm_kernel_info *gemm_kernel_for(nn_isa isa);

/* B pre-packed at prepare time: K split into blocks of kc (the last shorter);
 * block starting at p0 is at packed + p0 * npad, holding npanels panels of
 * kcb x NR floats each, zero padded past n. */
typedef struct gemm_b {
    const gemm_kernel_info *ki;
    int k, n, kc, npanels;
    float *packed;
} gemm_b;

/* b(p, j) = transpose ? src[j * k + p] : src[p * n + j] */
fp_status gemm_b_pack(gemm_b *g, nn_isa isa, int k, int n, const float *src, int transpose);
void gemm_b_free(gemm_b *g);

/* Where A comes from. pack() fills ceil(mc / mr) panels of kc x mr floats
 * (rows past the matrix end are zero) for rows [m0, m0+mc), cols [p0, p0+kc). */
typedef struct gemm_a_src gemm_a_src;
struct gemm_a_src {
    void (*pack)(const gemm_a_src *s, const gemm_kernel_info *ki, int64_t m0, int mc, int64_t p0, int kc,
                 float *dst);
    int64_t m;
    const float *a;          /* dense: row-major, stride lda; conv: NHWC input */
    int64_t lda;
    const nn_conv_desc *conv;
};

void gemm_pack_a_dense(const gemm_a_src *s, const gemm_kernel_info *ki, int64_t m0, int mc, int64_t p0, int kc,
                       float *dst);

size_t gemm_scratch_bytes(const gemm_b *b, int64_t m, int n_threads);
/* C[m, n] (row stride ldc) = A * B with the epilogue. */
void gemm_run(const gemm_b *b, const gemm_a_src *a, float *c, int64_t ldc, const nn_epilogue *ep,
              void *scratch, nn_threadpool *tp);

/* Edge tiles: acc is an MR x NR tile (row stride NR) of which mr x nr is valid. */
void gemm_store_tile(const float *acc, int NR, int mr, int nr, float *c, int64_t ldc, int flags,
                     const gemm_epi *e, int64_t row0, int64_t col0);

void gemm_pack_rows_scalar(const float *const *rows, int mr, int len, float *dst);
void gemm_pack_rows_avx2(const float *const *rows, int mr, int len, float *dst);

/* micro-kernels */
void gemm_ukr_scalar(int64_t kc, const float *a, const float *b, float *c, int64_t ldc, int flags,
                     const gemm_epi *e, int64_t row0, int64_t col0, int mr, int nr);
void gemm_ukr_avx2(int64_t kc, const float *a, const float *b, float *c, int64_t ldc, int flags,
                   const gemm_epi *e, int64_t row0, int64_t col0, int mr, int nr);
void gemm_ukr_avx512(int64_t kc, const float *a, const float *b, float *c, int64_t ldc, int flags,
                     const gemm_epi *e, int64_t row0, int64_t col0, int mr, int nr);

/* depthwise row kernels: output rows [r0, r1) of n*oh rows */
typedef struct dw_job {
    const nn_conv_desc *d;
    const float *filter;     /* [kh, kw, cin, mult] */
    const float *in;
    float *out;              /* holds output rows [out_row0, ...): a tile when fused */
    int64_t out_row0;
    gemm_epi epi;            /* residual is indexed by the absolute row */
} dw_job;
void dw_rows_scalar(const dw_job *j, int64_t r0, int64_t r1);
void dw_rows_avx2(const dw_job *j, int64_t r0, int64_t r1);

/* Direct conv for few input channels (conv_direct_avx512.c). Output rows
 * are processed in tiles of tile_rows within one image; each tile first
 * copies the input rows it reads into a zero-padded strip (strip_w pixels
 * wide), so the kernel has no border cases. */
typedef struct conv_direct {
    nn_conv_desc d;
    int nv;                  /* ymm vectors per pixel: ceil(cout / 8) */
    int k;                   /* kh * kw * cin */
    float *w;                /* [k][nv * 8], zero past cout, 64-byte aligned */
    int *koff;               /* [k]: strip offset of tap k from the pixel's origin */
    int strip_w, tile_rows, tiles_per_image;
    size_t strip_bytes;      /* per thread */
} conv_direct;
void conv_direct_tile_avx512(const conv_direct *cd, const float *in, float *out, const gemm_epi *e, int64_t tile,
                             float *strip);
/* npix pixels, pixel q's tap k at src[q * psx + koff[k]], output and
 * residual (may be NULL; e->residual is ignored) dense at cout per pixel.
 * A 1x1 conv over a dense [npix, cin] block is koff[k] = k, psx = cin. */
void conv_direct_pixels_avx512(const conv_direct *cd, const float *src, int64_t psx, int64_t npix, float *dst,
                               const gemm_epi *e, const float *res);
/* Pixels per register block for nv vectors (0: unsupported). */
int conv_direct_block_pixels(int nv);
/* Any geometry with cout <= 64 (conv.c decides where it pays). */
fp_status conv_direct_new(const nn_conv_desc *d, const float *filter_hwio, conv_direct **out);
void conv_direct_free(conv_direct *cd);

/* Winograd F(2x2, 3x3) (winograd.c: plan, filter transform, GEMMs;
 * winograd_avx2.c: the data transforms). Tile t is (image, ty, tx) in
 * row-major order; a block of `block` tiles is one task. */
typedef struct wino_plan {
    nn_conv_desc d;
    gemm_b u[16];             /* G g G^T per transform element e = 4i + j, [cin, cout] */
    int64_t tiles_h, tiles_w, tiles;
    int block;
    float *zeros;             /* max(cin, cout) zeros: stands in for out-of-image pixels */
    size_t v_floats, m_floats, gemm_bytes, per_thread;
} wino_plan;
int wino_eligible(const nn_conv_desc *d);
fp_status wino_new(const nn_conv_desc *d, const float *filter_hwio, nn_isa isa, wino_plan **out);
void wino_free(wino_plan *w);
size_t wino_scratch_bytes(const wino_plan *w, int n_threads);
void wino_run(const wino_plan *w, const float *in, float *out, const nn_epilogue *ep, void *scratch,
              nn_threadpool *tp);
/* v[e][tile - t0][cin] = B^T d B of tiles [t0, t0 + nt) */
void wino_input_avx2(const wino_plan *w, const float *in, int64_t t0, int nt, float *v);
/* out = A^T m A (+ bias, residual, activation) for the valid pixels of the tiles */
void wino_output_avx2(const wino_plan *w, const float *m, int64_t t0, int nt, const gemm_epi *e, float *out);

static inline gemm_epi gemm_epi_from(const nn_epilogue *ep)
{
    gemm_epi e = {0};
    if (ep) {
        e.bias = ep->bias;
        e.residual = ep->residual;
        e.prelu = ep->prelu_alpha;
        e.leaky = ep->leaky_alpha;
        e.act = ep->act;
    }
    return e;
}

static inline float nn_act_apply(float v, const gemm_epi *e, int64_t col)
{
    switch (e->act) {
    case NN_ACT_RELU: return v > 0.0f ? v : 0.0f;
    case NN_ACT_RELU6: return v > 0.0f ? (v < 6.0f ? v : 6.0f) : 0.0f;
    case NN_ACT_LEAKY_RELU: return v > 0.0f ? v : v * e->leaky;
    case NN_ACT_PRELU: return v > 0.0f ? v : v * e->prelu[col];
    case NN_ACT_SIGMOID: return 1.0f / (1.0f + expf(-v));
    default: return v;
    }
}

static inline int64_t ceil_div64(int64_t a, int64_t b) { return (a + b - 1) / b; }

#endif
