// Multi-head self-attention with a learned pair bias (see nn_attention.h).
// Float here, double in nn_f64.c.
#include "workers/nn/nn_attention.h"

#include <tgmath.h>

void NN(nn_attention_forward)(nn_real *out, nn_real *att, const nn_real *qkv, const nn_real *bias,
                              int B, int S, int H, int NH) {
    int hs = H / NH;
    nn_real scale = 1 / sqrt((nn_real)hs);
    for (int b = 0; b < B; b++) {
        const nn_real *x = qkv + (size_t)b * S * 3 * H;
        for (int h = 0; h < NH; h++) {
            for (int i = 0; i < S; i++) {
                const nn_real *q = x + (size_t)i * 3 * H + h * hs;
                nn_real *a = att + (((size_t)b * NH + h) * S + i) * S;
                const nn_real *bi = bias + ((size_t)h * S + i) * S;
                nn_real maxv = -INFINITY;
                for (int j = 0; j < S; j++) {
                    const nn_real *k = x + (size_t)j * 3 * H + H + h * hs;
                    nn_real dot = 0;
                    for (int d = 0; d < hs; d++) dot += q[d] * k[d];
                    a[j] = dot * scale + bi[j];
                    if (a[j] > maxv) maxv = a[j];
                }
                nn_real sum = 0;
                for (int j = 0; j < S; j++) {
                    a[j] = exp(a[j] - maxv);
                    sum += a[j];
                }
                for (int j = 0; j < S; j++) a[j] /= sum;
                nn_real *o = out + ((size_t)b * S + i) * H + h * hs;
                for (int d = 0; d < hs; d++) o[d] = 0;
                for (int j = 0; j < S; j++) {
                    const nn_real *v = x + (size_t)j * 3 * H + 2 * H + h * hs;
                    for (int d = 0; d < hs; d++) o[d] += a[j] * v[d];
                }
            }
        }
    }
}

void NN(nn_attention_backward)(nn_real *dqkv, nn_real *dbias, const nn_real *dout, const nn_real *qkv,
                               const nn_real *att, int B, int S, int H, int NH) {
    int hs = H / NH;
    nn_real scale = 1 / sqrt((nn_real)hs);
    for (int b = 0; b < B; b++) {
        const nn_real *x = qkv + (size_t)b * S * 3 * H;
        nn_real *dx = dqkv + (size_t)b * S * 3 * H;
        for (int h = 0; h < NH; h++) {
            for (int i = 0; i < S; i++) {
                const nn_real *a = att + (((size_t)b * NH + h) * S + i) * S;
                const nn_real *dout_i = dout + ((size_t)b * S + i) * H + h * hs;
                // datt[j] = dout_i . v_j; softmax backward needs sum_j a[j] * datt[j] first.
                nn_real a_datt = 0;
                for (int j = 0; j < S; j++) {
                    const nn_real *v = x + (size_t)j * 3 * H + 2 * H + h * hs;
                    nn_real datt = 0;
                    for (int d = 0; d < hs; d++) datt += dout_i[d] * v[d];
                    a_datt += a[j] * datt;
                }
                const nn_real *q = x + (size_t)i * 3 * H + h * hs;
                nn_real *dq = dx + (size_t)i * 3 * H + h * hs;
                nn_real *dbi = dbias + ((size_t)h * S + i) * S;
                for (int j = 0; j < S; j++) {
                    const nn_real *k = x + (size_t)j * 3 * H + H + h * hs;
                    const nn_real *v = x + (size_t)j * 3 * H + 2 * H + h * hs;
                    nn_real *dk = dx + (size_t)j * 3 * H + H + h * hs;
                    nn_real *dv = dx + (size_t)j * 3 * H + 2 * H + h * hs;
                    nn_real datt = 0;
                    for (int d = 0; d < hs; d++) datt += dout_i[d] * v[d];
                    nn_real dscore = a[j] * (datt - a_datt);
                    dbi[j] += dscore;
                    for (int d = 0; d < hs; d++) {
                        dv[d] += a[j] * dout_i[d];
                        dq[d] += dscore * scale * k[d];
                        dk[d] += dscore * scale * q[d];
                    }
                }
            }
        }
    }
}
