// nn_flops (the MFU numerator) against FLOPs counted by hand for two tiny configs: the
// original architecture, and one with a gated FFN, one convolution and the line readout.
// Every product is written out below as (rows x inner x cols) multiply-adds, 2 FLOPs each.
#include <criterion/criterion.h>

#include "workers/nn/nn_flops.h"

// S=2 stabilizers, F=1, O=1, H=4, L=1, 2 heads (head width 2), FH=8, RH=3, R=2 rounds.
static nn_config tiny(void) {
    return (nn_config){.num_stabs = 2, .num_features = 1, .num_obs = 1, .hidden = 4, .num_layers = 1,
                       .num_heads = 2, .ffn_hidden = 8, .readout_hidden = 3, .state_scale = 0.7f,
                       .aux_weight = 0.5f};
}

Test(nn_flops, plain_model_matches_hand_count) {
    nn_config c = tiny();
    // One round: embedding 2x1x4 = 8 MACs; qkv 2x4x12 = 96; per head scores 2x2x2 = 8 and
    // att*V 2x2x2 = 8, two heads: 32; projection 2x4x4 = 32; fc1 2x4x8 = 64; fc2 2x8x4 = 64.
    double round_macs = 8 + 96 + 32 + 32 + 64 + 64;  // 296
    // Aux head in round 0 only (it predicts round 1): 2x4x1 = 8. Readout: pooling 1x2x4 = 8,
    // MLP 1x4x3 = 12 and 1x3x1 = 3.
    double aux_macs = 8, readout_macs = 8 + 12 + 3;
    double fwd = 2 * (2 * round_macs + readout_macs), fwd_aux = fwd + 2 * aux_macs;
    cr_expect_eq(fwd, 1230);
    cr_expect_float_eq(nn_flops_forward(&c, 2, 0, 0), fwd, 1e-9);
    cr_expect_float_eq(nn_flops_forward(&c, 2, 0, 1), fwd_aux, 1e-9);
    cr_expect_float_eq(nn_flops_train(&c, 2, 0), 3 * fwd_aux, 1e-9);
    c.aux_weight = 0;  // no aux head in training
    cr_expect_float_eq(nn_flops_train(&c, 2, 0), 3 * fwd, 1e-9);
    // One round: no aux head at all.
    cr_expect_float_eq(nn_flops_forward(&c, 1, 0, 1), 2 * (round_macs + readout_macs), 1e-9);
    // num_lines matters only with the line readout.
    cr_expect_float_eq(nn_flops_forward(&c, 2, 5, 0), fwd, 1e-9);
}

Test(nn_flops, alphaqubit_layers_match_hand_count) {
    nn_config c = tiny();
    c.ffn_gated = 1;      // fc1 becomes 2x4x16 = 128 MACs (value and gate halves)
    c.num_dilations = 1;  // one 3x3 convolution: im2col rows 2x36, times 36x4 = 288 MACs
    c.dilations[0] = 1;
    c.readout_lines = 1;  // 2 lines: pooling 2x2x4 = 16, MLP 2x4x3 = 24 and 2x3x1 = 6
    c.attn_bias_geometric = 1, c.geom_radius = 1, c.stab_emb_by_type = 1;  // no FLOPs of their own
    double round_macs = 8 + 96 + 32 + 32 + 128 + 64 + 288;  // 648
    double fwd = 2 * (2 * round_macs + 16 + 24 + 6);
    cr_expect_eq(fwd, 2684);
    cr_expect_float_eq(nn_flops_forward(&c, 2, 2, 0), fwd, 1e-9);
    cr_expect_float_eq(nn_flops_train(&c, 2, 2), 3 * (fwd + 2 * 8), 1e-9);
}
