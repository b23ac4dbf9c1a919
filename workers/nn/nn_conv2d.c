// Dilated 3x3 convolution on the stabilizer grid (see nn_conv2d.h). Float here, double in nn_f64.c.
#include "workers/nn/nn_conv2d.h"

#include <string.h>

#include "workers/nn/nn_linear.h"

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

void NN(nn_conv2d_forward)(nn_real *out, nn_real *col, const nn_real *inp, const int *nbr, const nn_real *w,
                           const nn_real *bias, int B, int S, int C) {
    NN(nn_conv2d_gather)(col, inp, nbr, B, S, C);
    NN(nn_linear_forward)(out, col, w, bias, B * S, 9 * C, C);
}

void NN(nn_conv2d_backward)(nn_real *dinp, nn_real *dw, nn_real *dbias, const nn_real *dout, const nn_real *inp,
                            const int *nbr, const nn_real *w, nn_real *scratch, int B, int S, int C) {
    size_t n = (size_t)B * S * 9 * C;
    nn_real *col = scratch, *dcol = scratch + n;
    NN(nn_conv2d_gather)(col, inp, nbr, B, S, C);  // recomputed: cheaper than storing per round
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
