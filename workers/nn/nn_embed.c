// Stabilizer + per-round input embedding (see nn_embed.h). Float here, double in nn_f64.c.
#include "workers/nn/nn_embed.h"

void NN(nn_embed_forward)(nn_real *out, const nn_real *inp, const nn_real *stab_emb,
                          const nn_real *in_w, const nn_real *in_b, int B, int S, int F, int H) {
    if (F == 1) {  // detection events: the same sums as below, in a loop over h that vectorises
        for (size_t bs = 0; bs < (size_t)B * S; bs++) {
            nn_real *o = out + bs * H, x = inp[bs];
            const nn_real *e = stab_emb + (bs % S) * H;
#pragma omp simd
            for (int h = 0; h < H; h++) o[h] = e[h] + in_b[h] + in_w[h] * x;
        }
        return;
    }
    for (int b = 0; b < B; b++) {
        for (int s = 0; s < S; s++) {
            nn_real *o = out + ((size_t)b * S + s) * H;
            const nn_real *x = inp + ((size_t)b * S + s) * F;
            const nn_real *e = stab_emb + (size_t)s * H;
            for (int h = 0; h < H; h++) {
                nn_real v = e[h] + in_b[h];
                for (int f = 0; f < F; f++) v += in_w[h * F + f] * x[f];
                o[h] = v;
            }
        }
    }
}

void NN(nn_embed_backward)(nn_real *dstab_emb, nn_real *din_w, nn_real *din_b, const nn_real *dout,
                           const nn_real *inp, int B, int S, int F, int H) {
    for (int b = 0; b < B; b++) {
        for (int s = 0; s < S; s++) {
            const nn_real *d = dout + ((size_t)b * S + s) * H;
            const nn_real *x = inp + ((size_t)b * S + s) * F;
            nn_real *de = dstab_emb + (size_t)s * H;
            for (int h = 0; h < H; h++) {
                de[h] += d[h];
                din_b[h] += d[h];
                for (int f = 0; f < F; f++) din_w[h * F + f] += d[h] * x[f];
            }
        }
    }
}
