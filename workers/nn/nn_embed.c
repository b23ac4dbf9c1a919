// Stabilizer + per-round input embedding (see nn_embed.h). Float here, double in nn_f64.c.
#include "workers/nn/nn_embed.h"

// Feature by feature, each a vectorised loop over h (the former per-h loop over a run-time F
// did not vectorise: 5.6 % of d=3 inference). One code path for every F, so a model widened
// with zero weights for its extra features (nn_widen.h) rounds exactly as the original in
// any build, whatever the compiler contracts into FMAs.
void NN(nn_embed_forward)(nn_real *out, const nn_real *inp, const nn_real *stab_emb,
                          const nn_real *in_w, const nn_real *in_b, int B, int S, int F, int H) {
    for (size_t bs = 0; bs < (size_t)B * S; bs++) {
        nn_real *o = out + bs * H;
        const nn_real *x = inp + bs * F, *e = stab_emb + (bs % S) * H;
#pragma omp simd
        for (int h = 0; h < H; h++) o[h] = e[h] + in_b[h];
        for (int f = 0; f < F; f++) {
            nn_real xf = x[f];
#pragma omp simd
            for (int h = 0; h < H; h++) o[h] += in_w[h * F + f] * xf;
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
