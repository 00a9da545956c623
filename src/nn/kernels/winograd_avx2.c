/* Winograd F(2x2, 3x3) data transforms, written as plain loops over
 * channels (NHWC keeps a pixel's channels contiguous) for the compiler to
 * vectorise with this file's AVX2 flags. Pixels outside the image read
 * from a zero vector; outputs outside it go to a sink pixel, so the loops
 * have no branches. */
#include <immintrin.h>
#include "internal.h"

void wino_input_avx2(const wino_plan *w, const float *in, int64_t t0, int nt, float *v)
{
    const nn_conv_desc *d = &w->d;
    const int cin = d->cin;
    const size_t es = (size_t)w->block * (size_t)cin; /* stride between transform elements */
    const int64_t per_image = w->tiles_h * w->tiles_w;
    for (int q = 0; q < nt; q++) {
        int64_t t = t0 + q, b = t / per_image, r = t % per_image;
        int iy0 = (int)(r / w->tiles_w) * 2 - d->pad_top, ix0 = (int)(r % w->tiles_w) * 2 - d->pad_left;
        const float *img = in + b * (int64_t)d->ih * d->iw * cin;
        const float *p[4][4];
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++) {
                int iy = iy0 + i, ix = ix0 + j;
                p[i][j] = iy >= 0 && iy < d->ih && ix >= 0 && ix < d->iw ? img + ((int64_t)iy * d->iw + ix) * cin
                                                                          : w->zeros;
            }
        float *o = v + (size_t)q * (size_t)cin;
        int c = 0;
        for (; c + 8 <= cin; c += 8) {
            __m256 t4[4][4];
            for (int j = 0; j < 4; j++) {
                __m256 d0 = _mm256_loadu_ps(p[0][j] + c), d1 = _mm256_loadu_ps(p[1][j] + c);
                __m256 d2 = _mm256_loadu_ps(p[2][j] + c), d3 = _mm256_loadu_ps(p[3][j] + c);
                t4[0][j] = _mm256_sub_ps(d0, d2);
                t4[1][j] = _mm256_add_ps(d1, d2);
                t4[2][j] = _mm256_sub_ps(d2, d1);
                t4[3][j] = _mm256_sub_ps(d1, d3);
            }
            for (int i = 0; i < 4; i++) {
                _mm256_storeu_ps(o + (size_t)(i * 4 + 0) * es + c, _mm256_sub_ps(t4[i][0], t4[i][2]));
                _mm256_storeu_ps(o + (size_t)(i * 4 + 1) * es + c, _mm256_add_ps(t4[i][1], t4[i][2]));
                _mm256_storeu_ps(o + (size_t)(i * 4 + 2) * es + c, _mm256_sub_ps(t4[i][2], t4[i][1]));
                _mm256_storeu_ps(o + (size_t)(i * 4 + 3) * es + c, _mm256_sub_ps(t4[i][1], t4[i][3]));
            }
        }
        for (; c < cin; c++) {
            float t4[4][4];
            for (int j = 0; j < 4; j++) {
                float d0 = p[0][j][c], d1 = p[1][j][c], d2 = p[2][j][c], d3 = p[3][j][c];
                t4[0][j] = d0 - d2;
                t4[1][j] = d1 + d2;
                t4[2][j] = d2 - d1;
                t4[3][j] = d1 - d3;
            }
            for (int i = 0; i < 4; i++) {
                o[(size_t)(i * 4 + 0) * es + c] = t4[i][0] - t4[i][2];
                o[(size_t)(i * 4 + 1) * es + c] = t4[i][1] + t4[i][2];
                o[(size_t)(i * 4 + 2) * es + c] = t4[i][2] - t4[i][1];
                o[(size_t)(i * 4 + 3) * es + c] = t4[i][1] - t4[i][3];
            }
        }
    }
}

static void activate(float *x, int n, const gemm_epi *e)
{
    switch (e->act) {
    case NN_ACT_RELU:
        for (int i = 0; i < n; i++) x[i] = x[i] > 0.0f ? x[i] : 0.0f;
        break;
    case NN_ACT_RELU6:
        for (int i = 0; i < n; i++) x[i] = x[i] > 0.0f ? (x[i] < 6.0f ? x[i] : 6.0f) : 0.0f;
        break;
    case NN_ACT_LEAKY_RELU:
        for (int i = 0; i < n; i++) x[i] = x[i] > 0.0f ? x[i] : x[i] * e->leaky;
        break;
    case NN_ACT_PRELU:
        for (int i = 0; i < n; i++) x[i] = x[i] > 0.0f ? x[i] : x[i] * e->prelu[i];
        break;
    case NN_ACT_SIGMOID:
        for (int i = 0; i < n; i++) x[i] = 1.0f / (1.0f + expf(-x[i]));
        break;
    default:
        break;
    }
}

void wino_output_avx2(const wino_plan *w, const float *m, int64_t t0, int nt, const gemm_epi *e, float *out)
{
    const nn_conv_desc *d = &w->d;
    const int cout = d->cout;
    const size_t es = (size_t)w->block * (size_t)cout;
    float *sink = (float *)m + 16 * es;
    const int64_t per_image = w->tiles_h * w->tiles_w;
    for (int q = 0; q < nt; q++) {
        int64_t t = t0 + q, b = t / per_image, r = t % per_image;
        int oy0 = (int)(r / w->tiles_w) * 2, ox0 = (int)(r % w->tiles_w) * 2;
        float *o[2][2];
        const float *res[2][2];
        int valid[2][2];
        for (int a = 0; a < 2; a++)
            for (int c = 0; c < 2; c++) {
                int oy = oy0 + a, ox = ox0 + c;
                valid[a][c] = oy < d->oh && ox < d->ow;
                int64_t pix = (b * d->oh + oy) * (int64_t)d->ow + ox;
                o[a][c] = valid[a][c] ? out + pix * cout : sink;
                res[a][c] = valid[a][c] && e->residual ? e->residual + pix * cout : w->zeros;
            }
        const float *mq = m + (size_t)q * (size_t)cout;
        const float *bias = e->bias ? e->bias : w->zeros;
        int c = 0;
        for (; c + 8 <= cout; c += 8) {
            __m256 r0[4], r1[4];
            for (int j = 0; j < 4; j++) {
                __m256 s0 = _mm256_loadu_ps(mq + (size_t)j * es + c), s1 = _mm256_loadu_ps(mq + (size_t)(4 + j) * es + c);
                __m256 s2 = _mm256_loadu_ps(mq + (size_t)(8 + j) * es + c), s3 = _mm256_loadu_ps(mq + (size_t)(12 + j) * es + c);
                r0[j] = _mm256_add_ps(_mm256_add_ps(s0, s1), s2);
                r1[j] = _mm256_sub_ps(_mm256_sub_ps(s1, s2), s3);
            }
            __m256 bv = _mm256_loadu_ps(bias + c);
            __m256 y00 = _mm256_add_ps(_mm256_add_ps(r0[0], r0[1]), r0[2]);
            __m256 y01 = _mm256_sub_ps(_mm256_sub_ps(r0[1], r0[2]), r0[3]);
            __m256 y10 = _mm256_add_ps(_mm256_add_ps(r1[0], r1[1]), r1[2]);
            __m256 y11 = _mm256_sub_ps(_mm256_sub_ps(r1[1], r1[2]), r1[3]);
            _mm256_storeu_ps(o[0][0] + c, _mm256_add_ps(_mm256_add_ps(y00, bv), _mm256_loadu_ps(res[0][0] + c)));
            _mm256_storeu_ps(o[0][1] + c, _mm256_add_ps(_mm256_add_ps(y01, bv), _mm256_loadu_ps(res[0][1] + c)));
            _mm256_storeu_ps(o[1][0] + c, _mm256_add_ps(_mm256_add_ps(y10, bv), _mm256_loadu_ps(res[1][0] + c)));
            _mm256_storeu_ps(o[1][1] + c, _mm256_add_ps(_mm256_add_ps(y11, bv), _mm256_loadu_ps(res[1][1] + c)));
        }
        for (; c < cout; c++) {
            float r0[4], r1[4];
            for (int j = 0; j < 4; j++) {
                float s0 = mq[(size_t)j * es + c], s1 = mq[(size_t)(4 + j) * es + c];
                float s2 = mq[(size_t)(8 + j) * es + c], s3 = mq[(size_t)(12 + j) * es + c];
                r0[j] = s0 + s1 + s2;
                r1[j] = s1 - s2 - s3;
            }
            o[0][0][c] = (r0[0] + r0[1] + r0[2]) + bias[c] + res[0][0][c];
            o[0][1][c] = (r0[1] - r0[2] - r0[3]) + bias[c] + res[0][1][c];
            o[1][0][c] = (r1[0] + r1[1] + r1[2]) + bias[c] + res[1][0][c];
            o[1][1][c] = (r1[1] - r1[2] - r1[3]) + bias[c] + res[1][1][c];
        }
        if (e->act != NN_ACT_NONE)
            for (int a = 0; a < 2; a++)
                for (int x = 0; x < 2; x++)
                    if (valid[a][x])
                        activate(o[a][x], cout, e);
    }
}
