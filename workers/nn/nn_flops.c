// FLOP counts of the neural decoder (see nn_flops.h).
#include "workers/nn/nn_flops.h"

double nn_flops_forward(const nn_config *c, int R, int num_lines, int with_aux) {
    double S = c->num_stabs, F = c->num_features, H = c->hidden, FH = c->ffn_hidden;
    double RH = c->readout_hidden, O = c->num_obs;
    double FH1 = c->ffn_gated ? 2 * FH : FH;
    double layer = 2 * S * H * 3 * H         // qkv
                   + 2 * 2 * S * S * H       // Q K^T and att V, summed over the heads
                   + 2 * S * H * H           // output projection
                   + 2 * S * H * FH1         // fc1 (value and gate halves when gated)
                   + 2 * S * FH * H          // fc2
                   + c->num_dilations * 2 * S * 9 * H * H;  // im2col convolutions
    double round = 2 * S * F * H + c->num_layers * layer;
    double rows = c->readout_lines ? num_lines : 1;  // pooled vectors per shot
    double readout = rows * (2 * S * H + 2 * H * RH + 2 * RH * O);
    double aux = with_aux && R > 1 ? (R - 1) * 2 * S * H : 0;
    return R * round + aux + readout;
}

double nn_flops_train(const nn_config *c, int R, int num_lines) {
    return 3 * nn_flops_forward(c, R, num_lines, c->aux_weight > 0);
}
