/* Multi-scale BlazeFace detection: full-image pass plus a pyramid of
 * overlapping tiles, merged by one NMS in image pixels (face_detect.h). */
#include "faceprint/face_detect.h"
#include "vision/vision.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LEVELS 16

typedef struct tile_level {
    int side;    /* tile side, image pixels */
    int nx, ny;  /* tiles across / down */
    int overlap; /* pixels shared by neighbouring tiles; faces up to this side are kept */
} tile_level;

static void resolve(const fp_face_detect_options *opt, int *min_face, int *squash, int *max_tiles)
{
    *min_face = opt && opt->min_face ? opt->min_face : FP_FACE_DEFAULT_MIN_FACE;
    *squash = opt ? opt->squash != 0 : 0;
    *max_tiles = opt && opt->max_tiles ? opt->max_tiles : FP_FACE_DEFAULT_MAX_TILES;
}

static int tiles_along(int len, int side, int overlap)
{
    if (len <= side)
        return 1;
    return (len - overlap + (side - overlap) - 1) / (side - overlap);
}

/* Levels for tiles of first side t0; returns the level count (0 when the
 * image is small enough for the full pass alone), *total the tile count. */
static int make_levels(int w, int h, double t0, tile_level *lv, int *total)
{
    int longest = w > h ? w : h, n = 0;
    *total = 0;
    for (double t = t0; n < MAX_LEVELS && t < (double)longest; t *= 2.0) {
        tile_level *l = &lv[n++];
        l->side = (int)t;
        l->overlap = l->side / 4;
        l->nx = tiles_along(w, l->side, l->overlap);
        l->ny = tiles_along(h, l->side, l->overlap);
        *total += l->nx * l->ny;
    }
    return n;
}

static int plan(int w, int h, int min_face, int max_tiles, tile_level *lv, int *n_levels, int *eff_min)
{
    *n_levels = 0;
    if (eff_min)
        *eff_min = min_face;
    if (min_face < 0 || max_tiles < 0 || w <= 0 || h <= 0)
        return 0;
    double t = (double)min_face * BF_INPUT / FP_FACE_TILE_FACE_PX;
    if (t < BF_INPUT / 2.0)
        t = BF_INPUT / 2.0; /* no upsampling beyond 2x */
    int total = 0;
    int levels = make_levels(w, h, t, lv, &total);
    while (levels > 0 && total > max_tiles) {
        t *= 1.25;
        levels = make_levels(w, h, t, lv, &total);
    }
    *n_levels = levels;
    if (eff_min)
        *eff_min = levels > 0 ? (int)ceil(t * FP_FACE_TILE_FACE_PX / BF_INPUT)
                              : (int)ceil((double)(w > h ? w : h) * FP_FACE_TILE_FACE_PX / BF_INPUT);
    return total;
}

int fp_face_detect_plan(int width, int height, const fp_face_detect_options *opt, int *min_face_out)
{
    int min_face, squash, max_tiles, n_levels;
    tile_level lv[MAX_LEVELS];
    resolve(opt, &min_face, &squash, &max_tiles);
    return plan(width, height, min_face, max_tiles, lv, &n_levels, min_face_out);
}

typedef struct cand_list {
    bf_box *v;
    int n, cap;
} cand_list;

static fp_status cand_reserve(cand_list *c, int extra)
{
    if (c->n + extra <= c->cap)
        return FP_OK;
    int cap = c->cap ? c->cap : 256;
    while (cap < c->n + extra)
        cap *= 2;
    bf_box *v = malloc(sizeof *v * (size_t)cap);
    if (!v)
        return FP_ERR_NOMEM;
    if (c->n) {
        memcpy(v, c->v, sizeof *v * (size_t)c->n);
        explicit_bzero(c->v, sizeof *v * (size_t)c->n);
    }
    free(c->v);
    c->v = v;
    c->cap = cap;
    return FP_OK;
}

/* The resampling source: the image itself or a box-filtered copy shrunk by
 * an integer factor (kept while consecutive passes want the same factor). */
typedef struct src_cache {
    const fp_image *orig;
    fp_image *small;
    int factor;
} src_cache;

static fp_status get_source(src_cache *c, int factor, const fp_image **out, fp_error *err)
{
    if (factor <= 1) {
        *out = c->orig;
        return FP_OK;
    }
    if (c->factor != factor) {
        fp_image_free(c->small);
        c->small = NULL;
        c->factor = 0;
        fp_status st = fp_image_downscale_box(c->orig, factor, &c->small, err);
        if (st != FP_OK)
            return st;
        c->factor = factor;
    }
    *out = c->small;
    return FP_OK;
}

/* Runs BlazeFace on e->det_input and appends the candidates, mapped by
 * x_img = x_in * kx + ox (likewise y), that pass the tile filter. A box is
 * kept when its side is <= max_side (0 = any) and it does not cross an inner
 * tile edge [ex0, ex1] x [ey0, ey1] (pass -INF/INF for image borders). */
static fp_status run_pass(fp_face_engine *e, float min_score, float kx, float ky, float ox, float oy, float max_side, float ex0,
                          float ey0, float ex1, float ey1, bf_box *scratch, cand_list *c, fp_error *err)
{
    const float *in[1] = {e->det_input};
    fp_status st = fp_nn_session_run(e->det_session, in, e->det_output);
    explicit_bzero(e->det_input, sizeof(float) * BF_INPUT * BF_INPUT * 3);
    if (st != FP_OK)
        return fp_error_set(err, st, "detect: blazeface run failed");
    int count = bf_decode((const float(*)[2])e->anchors, e->det_output[e->det_out[0]], e->det_output[e->det_out[1]],
                          e->det_output[e->det_out[2]], e->det_output[e->det_out[3]], e->min_score, scratch);
    for (int i = 0; i < 4; i++)
        explicit_bzero(e->det_output[i], e->det_output_n[i] * sizeof(float));
    if (cand_reserve(c, count) != FP_OK)
        return fp_error_set(err, FP_ERR_NOMEM, "detect: out of memory");
    for (int i = 0; i < count; i++) {
        bf_box b = scratch[i];
        b.x1 = b.x1 * kx + ox;
        b.x2 = b.x2 * kx + ox;
        b.y1 = b.y1 * ky + oy;
        b.y2 = b.y2 * ky + oy;
        for (int k = 0; k < FP_FACE_KEYPOINTS; k++) {
            b.kp[k][0] = b.kp[k][0] * kx + ox;
            b.kp[k][1] = b.kp[k][1] * ky + oy;
        }
        float side = fmaxf(b.x2 - b.x1, b.y2 - b.y1);
        if (b.score < min_score)
            continue;
        if (max_side > 0.f && side > max_side)
            continue;
        if (b.x1 < ex0 || b.y1 < ey0 || b.x2 > ex1 || b.y2 > ey1)
            continue;
        c->v[c->n++] = b;
    }
    explicit_bzero(scratch, sizeof *scratch * (size_t)count);
    return FP_OK;
}

/* Square region (x0, y0, side) of the original image -> 256x256 model input,
 * from a box-filtered source when it shrinks 2x or more. */
static fp_status fill_region(fp_face_engine *e, src_cache *sc, double x0, double y0, double side, fp_error *err)
{
    static const float minus_one[3] = {-1.f, -1.f, -1.f};
    int factor = (int)floor(side / BF_INPUT);
    const fp_image *src;
    fp_status st = get_source(sc, factor, &src, err);
    if (st != FP_OK)
        return st;
    double f = factor > 1 ? factor : 1;
    /* Source pixel i of the shrunk image is centred on original pixel
     * f * i + (f - 1) / 2. */
    double k = side / BF_INPUT / f;
    double m[6] = {k, 0, (x0 - (f - 1) / 2) / f, 0, k, (y0 - (f - 1) / 2) / f};
    st = fp_image_warp_affine_f32(src, m, BF_INPUT, BF_INPUT, 1.f / 127.5f, minus_one, 0, e->det_input);
    if (st != FP_OK)
        return fp_error_set(err, st, "detect: cannot resample the image");
    return FP_OK;
}

fp_status fp_face_detect_ex(fp_face_engine *e, const fp_image *img, const fp_face_detect_options *opt,
                            fp_face *faces, int max, int *n, fp_error *err)
{
    if (n)
        *n = 0;
    if (!e || !img || !img->pixels || img->width <= 0 || img->height <= 0 || !n || max < 0 || (max > 0 && !faces))
        return fp_error_set(err, FP_ERR_INVALID_ARG, "detect: bad arguments");
    int min_face, squash, max_tiles, n_levels = 0;
    resolve(opt, &min_face, &squash, &max_tiles);
    float tile_score = opt && opt->tile_min_score > 0.f ? opt->tile_min_score : FP_FACE_DEFAULT_TILE_SCORE;
    if (tile_score < e->min_score)
        tile_score = e->min_score;
    tile_level lv[MAX_LEVELS];
    plan(img->width, img->height, min_face, max_tiles, lv, &n_levels, NULL);

    cand_list c = {0};
    src_cache sc = {img, NULL, 0};
    bf_box *scratch = malloc(sizeof *scratch * BF_ANCHORS);
    fp_status st = scratch ? FP_OK : fp_error_set(err, FP_ERR_NOMEM, "detect: out of memory");
    const float W = (float)img->width, H = (float)img->height;

    /* Tiles, smallest first (the box-filter factor only grows). */
    for (int l = 0; l < n_levels && st == FP_OK; l++) {
        const tile_level *L = &lv[l];
        for (int ty = 0; ty < L->ny && st == FP_OK; ty++)
            for (int tx = 0; tx < L->nx && st == FP_OK; tx++) {
                double x0 = L->nx > 1 ? (double)(img->width - L->side) * tx / (L->nx - 1) : 0;
                double y0 = L->ny > 1 ? (double)(img->height - L->side) * ty / (L->ny - 1) : 0;
                x0 = floor(x0);
                y0 = floor(y0);
                if ((st = fill_region(e, &sc, x0, y0, L->side, err)) != FP_OK)
                    break;
                float k = (float)L->side / BF_INPUT;
                float ex0 = x0 > 0 ? (float)x0 : -INFINITY, ey0 = y0 > 0 ? (float)y0 : -INFINITY;
                float ex1 = x0 + L->side < W ? (float)(x0 + L->side) : INFINITY;
                float ey1 = y0 + L->side < H ? (float)(y0 + L->side) : INFINITY;
                st = run_pass(e, tile_score, k, k, (float)x0, (float)y0, (float)L->overlap, ex0, ey0, ex1, ey1, scratch, &c,
                              err);
            }
    }
    /* Full image. */
    if (st == FP_OK) {
        float kx, ky;
        if (squash) {
            /* Human's preprocessing: aspect not kept, TF legacy bilinear. */
            static const float minus_one[3] = {-1.f, -1.f, -1.f};
            st = fp_image_resize_to_float(img, BF_INPUT, BF_INPUT, 1.f / 127.5f, minus_one, e->det_input);
            if (st != FP_OK)
                fp_error_set(err, st, "detect: cannot resize the image");
            kx = W / BF_INPUT;
            ky = H / BF_INPUT;
        } else {
            int side = img->width > img->height ? img->width : img->height;
            st = fill_region(e, &sc, 0, 0, side, err);
            kx = ky = (float)side / BF_INPUT;
        }
        if (st == FP_OK)
            st = run_pass(e, e->min_score, kx, ky, 0.f, 0.f, 0.f, -INFINITY, -INFINITY, INFINITY, INFINITY, scratch, &c, err);
    }
    fp_image_free(sc.small);

    if (st == FP_OK) {
        int kept = bf_nms(c.v, c.n, e->nms_iou);
        int out_n = kept < max ? kept : max;
        for (int i = 0; i < out_n; i++) {
            const bf_box *b = &c.v[i];
            fp_face *f = &faces[i];
            /* Square with the longer side about the centre (Human's
             * squarifyBox; see fp_face_detect). */
            float cx = 0.5f * (b->x1 + b->x2), cy = 0.5f * (b->y1 + b->y2);
            float side = fmaxf(b->x2 - b->x1, b->y2 - b->y1);
            f->x = cx - 0.5f * side;
            f->y = cy - 0.5f * side;
            f->w = side;
            f->h = side;
            f->score = b->score;
            memcpy(f->keypoints, b->kp, sizeof f->keypoints);
        }
        *n = out_n;
    }
    /* Face positions are face data too (DP-1). */
    if (c.v)
        explicit_bzero(c.v, sizeof *c.v * (size_t)c.cap);
    free(c.v);
    if (scratch)
        explicit_bzero(scratch, sizeof *scratch * BF_ANCHORS);
    free(scratch);
    return st;
}
