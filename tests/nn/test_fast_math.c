// The vectorised element-wise kernels against plain references: nn_exp (nn_real.h) against
// libm's exp over its whole clamped range, and the shot-tiled attention forward against a
// direct transcription of its definition (nn_attention.h), with a batch that leaves a
// partial tile.
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>

#include "workers/nn/nn_attention.h"
#include "workers/nn/nn_real.h"

Test(nn_fast_math, exp_relative_error) {
    double worst = 0, at = 0;
    for (double x = -87.0; x <= 88.0; x += 1.0 / 4096) {
        double want = exp((double)(float)x), got = nn_exp((float)x);
        double rel = fabs(got - want) / want;
        if (rel > worst) worst = rel, at = x;
    }
    cr_assert(worst <= 3e-7, "nn_exp: relative error %.3g at x = %.6f (bound 3e-7)", worst, at);
    // Clamped outside [-87, 88]: finite, positive, monotone at the ends.
    cr_assert(nn_exp(1000.0f) == nn_exp(88.0f) && isfinite(nn_exp(1000.0f)));
    cr_assert(nn_exp(-1000.0f) == nn_exp(-87.0f) && nn_exp(-1000.0f) > 0);
    cr_assert(nn_exp(0.0f) == 1.0f);
}

// One shape: B shots of S stabilizers, width H, NH heads.
static void check_attention(int B, int S, int H, int NH) {
    int hs = H / NH;
    float *qkv = malloc(sizeof(float) * B * S * 3 * H), *bias = malloc(sizeof(float) * NH * S * S);
    float *out = malloc(sizeof(float) * B * S * H), *att = malloc(sizeof(float) * B * NH * S * S);
    float *out2 = malloc(sizeof(float) * B * S * H);
    unsigned r = 12345;
    for (int i = 0; i < B * S * 3 * H; i++) qkv[i] = (float)((r = r * 1103515245u + 12345u) % 2001) / 500.0f - 2;
    for (int i = 0; i < NH * S * S; i++) bias[i] = (float)((r = r * 1103515245u + 12345u) % 2001) / 1000.0f - 1;
    nn_attention_forward(out, att, qkv, bias, B, S, H, NH);
    nn_attention_forward(out2, NULL, qkv, bias, B, S, H, NH);  // inference: no probabilities kept
    for (int b = 0; b < B; b++)
        for (int h = 0; h < NH; h++)
            for (int i = 0; i < S; i++) {
                double score[64], mx = -INFINITY, sum = 0;
                for (int j = 0; j < S; j++) {
                    double dot = 0;
                    for (int d = 0; d < hs; d++)
                        dot += (double)qkv[(b * S + i) * 3 * H + h * hs + d] * qkv[(b * S + j) * 3 * H + H + h * hs + d];
                    score[j] = dot / sqrt((double)hs) + bias[(h * S + i) * S + j];
                    mx = fmax(mx, score[j]);
                }
                for (int j = 0; j < S; j++) sum += (score[j] = exp(score[j] - mx));
                for (int j = 0; j < S; j++) {
                    double a = att[((b * NH + h) * S + i) * S + j];
                    cr_assert(fabs(a - score[j] / sum) < 1e-5, "att[%d][%d][%d][%d] = %g, want %g", b, h, i, j, a,
                              score[j] / sum);
                }
                for (int d = 0; d < hs; d++) {
                    double want = 0;
                    for (int j = 0; j < S; j++) want += score[j] / sum * qkv[(b * S + j) * 3 * H + 2 * H + h * hs + d];
                    float got = out[(b * S + i) * H + h * hs + d];
                    cr_assert(fabs(got - want) < 1e-4, "out[%d][%d][%d] = %g, want %g", b, i, h * hs + d, got, want);
                    cr_assert(out2[(b * S + i) * H + h * hs + d] == got, "the inference path differs");
                }
            }
    free(qkv), free(bias), free(out), free(att), free(out2);
}

Test(nn_fast_math, attention_forward_matches_definition) {
    check_attention(19, 5, 12, 3);   // 19 = one full tile of 16 + 3; element-wise gather (3H = 36)
    check_attention(35, 8, 16, 2);   // d=3 shape: full tiles move 16x16 blocks, then a partial tile
    check_attention(32, 24, 32, 4);  // d=5, H=32: two 16-column blocks per output row
    check_attention(16, 6, 48, 1);   // hs = 48: the generic head width
}
