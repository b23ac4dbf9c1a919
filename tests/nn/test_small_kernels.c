// The float fast paths of the layers against references: nn_small_gemm against a direct
// double product (strides, bias, accumulate, row counts that leave partial blocks, every panel
// width); the float LayerNorm (16-row vector blocks for C = 16, 32) and the float convolution
// (only the taps that hold a stabilizer) against the double build's plain loops and im2col.
// Model-level checks (the shipped models' predictions, streaming = stored forward) are in
// cli/test_shipped_models and test_model_float; these pin each kernel on its own.
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>

#include "workers/nn/nn_conv2d.h"
#include "workers/nn/nn_layernorm.h"
#include "workers/nn/nn_small_gemm.h"

// The double build (nn_f64.c); a translation unit includes the headers in one precision only.
void nn_layernorm_forward_f64(double *out, double *mean, double *rstd, const double *inp, const double *weight,
                              const double *bias, int N, int C);
void nn_conv2d_forward_f64(double *out, double *col, const double *inp, const int *nbr, const double *w,
                           const double *bias, int B, int S, int C);

static unsigned rng_state = 2024;
static float uniform(void) {  // in [-1, 1]
    rng_state = rng_state * 1103515245u + 12345u;
    return (float)((rng_state >> 8) % 20001) / 10000.0f - 1.0f;
}

Test(nn_small_kernels, gemm_matches_direct_product) {
    // Shapes of the model (K, M = 16..288) and awkward ones: N that leaves partial row blocks,
    // M of 1..5 vectors (every panel width), strided rows.
    const int shapes[][3] = {{2048, 16, 48}, {37, 144, 16}, {13, 32, 64}, {9, 16, 80}, {1, 288, 32},
                             {21, 7, 96}, {8, 1, 16}, {5, 48, 128}};
    for (size_t t = 0; t < sizeof shapes / sizeof shapes[0]; t++) {
        int N = shapes[t][0], K = shapes[t][1], M = shapes[t][2];
        if (!nn_small_gemm_fits(M)) continue;  // 8-float vectors fit all of these; 16-float too
        int lda = K + 3, ldb = M + 16, ldo = M + 5;
        float *a = malloc(sizeof(float) * N * lda), *b = malloc(sizeof(float) * K * ldb);
        float *bias = malloc(sizeof(float) * M), *out = malloc(sizeof(float) * N * ldo);
        float *init = malloc(sizeof(float) * N * ldo);
        for (int i = 0; i < N * lda; i++) a[i] = uniform();
        for (int i = 0; i < K * ldb; i++) b[i] = uniform();
        for (int i = 0; i < M; i++) bias[i] = uniform();
        for (int i = 0; i < N * ldo; i++) init[i] = out[i] = uniform();
        for (int mode = 0; mode < 3; mode++) {  // 0: bias, 1: no bias, 2: accumulate
            for (int i = 0; i < N * ldo; i++) out[i] = init[i];
            nn_small_gemm(out, ldo, a, lda, b, ldb, mode == 0 ? bias : NULL, mode == 2, N, K, M);
            for (int n = 0; n < N; n++) {
                for (int j = 0; j < M; j++) {
                    double want = mode == 0 ? bias[j] : mode == 2 ? init[n * ldo + j] : 0, mag = fabs(want);
                    for (int k = 0; k < K; k++) {
                        want += (double)a[n * lda + k] * b[k * ldb + j];
                        mag += fabs((double)a[n * lda + k] * b[k * ldb + j]);
                    }
                    cr_assert(fabs(out[n * ldo + j] - want) <= 1e-6 * mag + 1e-30,
                              "N=%d K=%d M=%d mode %d: out[%d][%d] = %.9g, want %.9g", N, K, M, mode, n, j,
                              out[n * ldo + j], want);
                }
                for (int j = M; j < ldo; j++)  // the gap between strided rows is not written
                    cr_assert(out[n * ldo + j] == init[n * ldo + j], "N=%d M=%d: wrote past column M", N, M);
            }
        }
        free(a), free(b), free(bias), free(out), free(init);
    }
}

Test(nn_small_kernels, layernorm_float_matches_double) {
    for (int C = 8; C <= 64; C *= 2) {
        int N = 16 * 3 + 5;  // full 16-row blocks and a remainder
        float *x = malloc(sizeof(float) * N * C), *w = malloc(sizeof(float) * C), *bb = malloc(sizeof(float) * C);
        float *out = malloc(sizeof(float) * N * C), *mean = malloc(sizeof(float) * N), *rstd = malloc(sizeof(float) * N);
        double *xd = malloc(sizeof(double) * N * C), *wd = malloc(sizeof(double) * C), *bd = malloc(sizeof(double) * C);
        double *outd = malloc(sizeof(double) * N * C), *meand = malloc(sizeof(double) * N), *rstdd = malloc(sizeof(double) * N);
        for (int i = 0; i < N * C; i++) xd[i] = x[i] = 3 * uniform() + (i / C) % 5;  // rows with offsets
        for (int i = 0; i < C; i++) wd[i] = w[i] = 1 + uniform() / 2, bd[i] = bb[i] = uniform();
        nn_layernorm_forward(out, mean, rstd, x, w, bb, N, C);
        nn_layernorm_forward_f64(outd, meand, rstdd, xd, wd, bd, N, C);
        for (int n = 0; n < N; n++) {
            cr_assert(fabs(mean[n] - meand[n]) <= 1e-5 * (1 + fabs(meand[n])), "C=%d row %d: mean", C, n);
            cr_assert(fabs(rstd[n] - rstdd[n]) <= 1e-5 * rstdd[n], "C=%d row %d: rstd %.8g vs %.8g", C, n, rstd[n],
                      rstdd[n]);
            for (int c = 0; c < C; c++)
                cr_assert(fabs(out[n * C + c] - outd[n * C + c]) <= 1e-5 * (1 + fabs(outd[n * C + c])),
                          "C=%d: out[%d][%d] = %.8g, want %.8g", C, n, c, out[n * C + c], outd[n * C + c]);
        }
        free(x), free(w), free(bb), free(out), free(mean), free(rstd);
        free(xd), free(wd), free(bd), free(outd), free(meand), free(rstdd);
    }
}

Test(nn_small_kernels, conv_taps_match_im2col) {
    // The d=3 stabilizer grid (nn_layout's cells of the rotated surface code) and a stabilizer
    // far from it (only its own centre tap).
    const int row[] = {2, 0, 1, 2, 1, 2, 3, 1, 9}, col[] = {0, 1, 1, 1, 2, 2, 2, 3, 9};
    enum { S = 9, B = 11 };
    for (int C = 8; C <= 32; C *= 2)
        for (int dil = 1; dil <= 2; dil++) {
            int nbr[9 * S];
            nn_conv2d_neighbours(nbr, row, col, S, dil);
            float *x = malloc(sizeof(float) * B * S * C), *w = malloc(sizeof(float) * 9 * C * C);
            float *bias = malloc(sizeof(float) * C), *out = malloc(sizeof(float) * B * S * C);
            float *col_f = malloc(sizeof(float) * B * S * 9 * C);
            double *xd = malloc(sizeof(double) * B * S * C), *wd = malloc(sizeof(double) * 9 * C * C);
            double *biasd = malloc(sizeof(double) * C), *outd = malloc(sizeof(double) * B * S * C);
            double *col_d = malloc(sizeof(double) * B * S * 9 * C);
            for (int i = 0; i < B * S * C; i++) xd[i] = x[i] = uniform();
            for (int i = 0; i < 9 * C * C; i++) wd[i] = w[i] = uniform() / 4;
            for (int i = 0; i < C; i++) biasd[i] = bias[i] = uniform();
            nn_conv2d_forward(out, col_f, x, nbr, w, bias, B, S, C);
            nn_conv2d_forward_f64(outd, col_d, xd, nbr, wd, biasd, B, S, C);
            for (int i = 0; i < B * S * C; i++)
                cr_assert(fabs(out[i] - outd[i]) <= 1e-5 * (1 + fabs(outd[i])), "C=%d dil=%d: out[%d] = %.8g, want %.8g",
                          C, dil, i, out[i], outd[i]);
            free(x), free(w), free(bias), free(out), free(col_f), free(xd), free(wd), free(biasd), free(outd), free(col_d);
        }
}
