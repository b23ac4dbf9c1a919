// Readout pooling and MLP (see nn_readout.h). Float here, double in nn_f64.c.
#include "workers/nn/nn_readout.h"

#include <string.h>

#include "workers/nn/nn_ffn.h"
#include "workers/nn/nn_linear.h"

void NN(nn_pool_forward)(nn_real *pooled, const nn_real *inp, const nn_real *pool_w, int B, int S, int H) {
    for (int b = 0; b < B; b++) {
        nn_real *p = pooled + (size_t)b * H;
        for (int h = 0; h < H; h++) p[h] = 0;
        for (int s = 0; s < S; s++) {
            if (pool_w[s] == 0) continue;
            const nn_real *x = inp + ((size_t)b * S + s) * H;
            for (int h = 0; h < H; h++) p[h] += pool_w[s] * x[h];
        }
    }
}

void NN(nn_pool_backward)(nn_real *dinp, const nn_real *dpooled, const nn_real *pool_w, int B, int S, int H) {
    for (int b = 0; b < B; b++) {
        const nn_real *dp = dpooled + (size_t)b * H;
        for (int s = 0; s < S; s++) {
            if (pool_w[s] == 0) continue;
            nn_real *dx = dinp + ((size_t)b * S + s) * H;
            for (int h = 0; h < H; h++) dx[h] += pool_w[s] * dp[h];
        }
    }
}

void NN(nn_readout_forward)(nn_real *logits, nn_real *pooled, nn_real *hid, nn_real *hid_gelu,
                            const nn_real *inp, const nn_real *pool_w, const nn_real *w1,
                            const nn_real *b1, const nn_real *w2, const nn_real *b2,
                            int B, int S, int H, int RH, int O) {
    NN(nn_pool_forward)(pooled, inp, pool_w, B, S, H);
    NN(nn_linear_forward)(hid, pooled, w1, b1, B, H, RH);
    NN(nn_gelu_forward)(hid_gelu, hid, B * RH);
    NN(nn_linear_forward)(logits, hid_gelu, w2, b2, B, RH, O);
}

void NN(nn_readout_backward)(nn_real *dinp, nn_real *dw1, nn_real *db1, nn_real *dw2, nn_real *db2,
                             const nn_real *dlogits, const nn_real *pool_w, const nn_real *pooled,
                             const nn_real *hid, const nn_real *hid_gelu, const nn_real *w1,
                             const nn_real *w2, nn_real *scratch, int B, int S, int H, int RH, int O) {
    nn_real *dpooled = scratch;                          // (B,H)
    nn_real *dhid_gelu = scratch + (size_t)B * H;        // (B,RH)
    nn_real *dhid = dhid_gelu + (size_t)B * RH;          // (B,RH)
    memset(scratch, 0, sizeof(nn_real) * ((size_t)B * H + 2 * (size_t)B * RH));
    NN(nn_linear_backward)(dhid_gelu, dw2, db2, dlogits, hid_gelu, w2, B, RH, O);
    NN(nn_gelu_backward)(dhid, hid, dhid_gelu, B * RH);
    NN(nn_linear_backward)(dpooled, dw1, db1, dhid, pooled, w1, B, H, RH);
    NN(nn_pool_backward)(dinp, dpooled, pool_w, B, S, H);
}

void NN(nn_readout_lines_forward)(nn_real *logits, nn_real *line_logits, nn_real *pooled, nn_real *hid,
                                  nn_real *hid_gelu, const nn_real *inp, const int *line_of,
                                  const nn_real *line_w, int NL, const nn_real *w1, const nn_real *b1,
                                  const nn_real *w2, const nn_real *b2, int B, int S, int H, int RH, int O) {
    memset(pooled, 0, sizeof(nn_real) * (size_t)B * NL * H);
    for (int b = 0; b < B; b++)
        for (int s = 0; s < S; s++) {
            if (line_of[s] < 0) continue;
            const nn_real *x = inp + ((size_t)b * S + s) * H;
            nn_real *p = pooled + ((size_t)b * NL + line_of[s]) * H, w = line_w[s];
            for (int h = 0; h < H; h++) p[h] += w * x[h];
        }
    NN(nn_linear_forward)(hid, pooled, w1, b1, B * NL, H, RH);
    NN(nn_gelu_forward)(hid_gelu, hid, B * NL * RH);
    NN(nn_linear_forward)(line_logits, hid_gelu, w2, b2, B * NL, RH, O);
    for (int b = 0; b < B; b++)
        for (int o = 0; o < O; o++) {
            nn_real sum = 0;
            for (int l = 0; l < NL; l++) sum += line_logits[((size_t)b * NL + l) * O + o];
            logits[(size_t)b * O + o] = sum / (nn_real)NL;
        }
}

void NN(nn_readout_lines_backward)(nn_real *dinp, nn_real *dw1, nn_real *db1, nn_real *dw2, nn_real *db2,
                                   const nn_real *dlogits, const int *line_of, const nn_real *line_w, int NL,
                                   const nn_real *pooled, const nn_real *hid, const nn_real *hid_gelu,
                                   const nn_real *w1, const nn_real *w2, nn_real *scratch, int B, int S, int H,
                                   int RH, int O) {
    size_t rows = (size_t)B * NL;
    nn_real *dline = scratch, *dhid_gelu = dline + rows * O, *dhid = dhid_gelu + rows * RH;
    nn_real *dpooled = dhid + rows * RH;
    memset(scratch, 0, sizeof(nn_real) * rows * (O + 2 * RH + H));
    for (int b = 0; b < B; b++)
        for (int l = 0; l < NL; l++)
            for (int o = 0; o < O; o++) dline[((size_t)b * NL + l) * O + o] = dlogits[(size_t)b * O + o] / (nn_real)NL;
    NN(nn_linear_backward)(dhid_gelu, dw2, db2, dline, hid_gelu, w2, (int)rows, RH, O);
    NN(nn_gelu_backward)(dhid, hid, dhid_gelu, (int)rows * RH);
    NN(nn_linear_backward)(dpooled, dw1, db1, dhid, pooled, w1, (int)rows, H, RH);
    for (int b = 0; b < B; b++)
        for (int s = 0; s < S; s++) {
            if (line_of[s] < 0) continue;
            const nn_real *dp = dpooled + ((size_t)b * NL + line_of[s]) * H;
            nn_real *dx = dinp + ((size_t)b * S + s) * H, w = line_w[s];
            for (int h = 0; h < H; h++) dx[h] += w * dp[h];
        }
}
