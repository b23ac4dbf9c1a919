// Dilated 3x3 convolution on the stabilizer grid (see nn_conv2d.h). Float here, double in nn_f64.c.
#include "workers/nn/nn_conv2d.h"

#include <stdlib.h>
#include <string.h>

#include "workers/nn/nn_linear.h"

#ifndef NN_F64
#include "workers/nn/nn_small_gemm.h"
#include "workers/util/alloc.h"
#endif

void NN(nn_conv2d_neighbours)(int *nbr, const int *row, const int *col, int S, int dil) {
    for (int k = 0; k < 9; k++)
        for (int s = 0; s < S; s++) {
            int r = row[s] + (k / 3 - 1) * dil, c = col[s] + (k % 3 - 1) * dil, at = -1;
            for (int t = 0; t < S && at < 0; t++)
                if (row[t] == r && col[t] == c) at = t;
            nbr[k * S + s] = at;
        }
}

// col (B,S,9C): row (b,s) holds the 9 taps' inputs, zeros where there is no stabilizer.
static void NN(nn_conv2d_gather)(nn_real *col, const nn_real *inp, const int *nbr, int B, int S, int C) {
    for (int b = 0; b < B; b++)
        for (int s = 0; s < S; s++) {
            nn_real *dst = col + ((size_t)b * S + s) * 9 * C;
            for (int k = 0; k < 9; k++) {
                int t = nbr[k * S + s];
                if (t < 0) memset(dst + (size_t)k * C, 0, sizeof(nn_real) * C);
                else memcpy(dst + (size_t)k * C, inp + ((size_t)b * S + t) * C, sizeof(nn_real) * C);
            }
        }
}

#ifndef NN_F64
// Float forward over the taps that hold a stabilizer only (at d=3 half of them with dilation
// 1, a fifth with dilation 2; the others multiply zero padding): per stabilizer s, one small
// GEMM over its n_s taps, whose inputs it reads in place (a shot's rows are S*C apart, each
// tap a segment at its stabilizer's offset), against the matching columns of w transposed
// to (n_s*C, C). The same sums as the im2col GEMM below without the zeros and the copy (the
// double build, for the finite-difference tests, keeps im2col).
static void nn_conv2d_forward_taps(float *out, const float *inp, const int *nbr, const float *w,
                                   const float *bias, int B, int S, int C) {
    float *wt = qp_malloc(sizeof(float) * 9 * (size_t)C * C);
    for (int s = 0; s < S; s++) {
        int taps[9], seg[9], nt = 0;
        for (int k = 0; k < 9; k++)
            if (nbr[k * S + s] >= 0) taps[nt] = k, seg[nt++] = nbr[k * S + s] * C;  // the centre tap always is
        for (int i = 0; i < nt; i++)
            for (int c = 0; c < C; c++)
                for (int o = 0; o < C; o++)
                    wt[((size_t)i * C + c) * C + o] = w[(size_t)o * 9 * C + (size_t)taps[i] * C + c];
        nn_small_gemm_segments(out + (size_t)s * C, S * C, inp, S * C, seg, nt, C, wt, C, bias, 0, B, C);
    }
    free(wt);
}
#endif

#ifndef NN_F64
// dinp += the input gradient over the occupied taps: per stabilizer s, dcol (B, n_s*C) =
// dout[:, s, :] . w[:, taps of s] (the tap blocks of w's rows, copied side by side), then
// each tap's block added to the row of the stabilizer it read.
static void nn_conv2d_backward_input_taps(float *dinp, float *dcol, const float *dout, const int *nbr,
                                          const float *w, int B, int S, int C) {
    float *wsel = qp_malloc(sizeof(float) * 9 * (size_t)C * C);
    for (int s = 0; s < S; s++) {
        int taps[9], nt = 0;
        for (int k = 0; k < 9; k++)
            if (nbr[k * S + s] >= 0) taps[nt++] = k;
        for (int o = 0; o < C; o++)
            for (int i = 0; i < nt; i++)
                memcpy(wsel + ((size_t)o * nt + i) * C, w + (size_t)o * 9 * C + (size_t)taps[i] * C,
                       sizeof(float) * C);
        nn_small_gemm(dcol, nt * C, dout + (size_t)s * C, S * C, wsel, nt * C, NULL, 0, B, C, nt * C);
        for (int b = 0; b < B; b++)
            for (int i = 0; i < nt; i++) {
                float *dst = dinp + ((size_t)b * S + nbr[taps[i] * S + s]) * C;
                const float *src = dcol + ((size_t)b * nt + i) * C;
#pragma omp simd
                for (int c = 0; c < C; c++) dst[c] += src[c];
            }
    }
    free(wsel);
}
#endif

void NN(nn_conv2d_forward)(nn_real *out, nn_real *col, const nn_real *inp, const int *nbr, const nn_real *w,
                           const nn_real *bias, int B, int S, int C) {
#ifndef NN_F64
    if (nn_small_gemm_fits(C)) {
        nn_conv2d_forward_taps(out, inp, nbr, w, bias, B, S, C);
        return;
    }
#endif
    NN(nn_conv2d_gather)(col, inp, nbr, B, S, C);
    NN(nn_linear_forward)(out, col, w, bias, B * S, 9 * C, C);
}

void NN(nn_conv2d_backward)(nn_real *dinp, nn_real *dw, nn_real *dbias, const nn_real *dout, const nn_real *inp,
                            const int *nbr, const nn_real *w, nn_real *scratch, int B, int S, int C) {
    size_t n = (size_t)B * S * 9 * C;
    nn_real *col = scratch, *dcol = scratch + n;
    NN(nn_conv2d_gather)(col, inp, nbr, B, S, C);  // recomputed: cheaper than storing per round
#ifndef NN_F64
    if (nn_small_gemm_fits(C)) {  // dinp over the occupied taps only, as in the forward
        NN(nn_linear_backward)(NULL, dw, dbias, dout, col, w, B * S, 9 * C, C);
        nn_conv2d_backward_input_taps(dinp, dcol, dout, nbr, w, B, S, C);
        return;
    }
#endif
    memset(dcol, 0, n * sizeof(nn_real));
    NN(nn_linear_backward)(dcol, dw, dbias, dout, col, w, B * S, 9 * C, C);
    for (int b = 0; b < B; b++)
        for (int s = 0; s < S; s++) {
            const nn_real *src = dcol + ((size_t)b * S + s) * 9 * C;
            for (int k = 0; k < 9; k++) {
                int t = nbr[k * S + s];
                if (t < 0) continue;
                nn_real *dst = dinp + ((size_t)b * S + t) * C;
                for (int c = 0; c < C; c++) dst[c] += src[(size_t)k * C + c];
            }
        }
}
