// nn_layout: detector coordinates -> (stabilizer, round) grid, and b8 -> model inputs.
#include <criterion/criterion.h>
#include <math.h>

#include "tests/nn/nn_test_data.h"
#include "workers/nn/nn_layout.h"

// Stim's d=3, 3-round memory-X circuit: 24 detectors on 8 stabilizers; rounds t = 0..3
// (4 X-stabilizer detectors in round 0, 8 in rounds 1 and 2, 4 final data-qubit ones).
Test(nn_layout, stim_surface_d3) {
    nn_test_case tc;
    cr_assert(nn_test_case_load(&tc, "surface_x_d3_r3_p0.003") == 0);
    const nn_layout *lay = &tc.layout;
    cr_assert_eq(lay->num_dets, 24);
    cr_assert_eq(lay->num_stabs, 8);
    cr_assert_eq(lay->num_rounds, 4);
    int per_round[4] = {0};
    for (int r = 0; r < 4; r++)
        for (int s = 0; s < 8; s++) per_round[r] += lay->present[r * 8 + s] != 0;
    cr_expect(per_round[0] == 4 && per_round[1] == 8 && per_round[2] == 8 && per_round[3] == 4,
              "%d %d %d %d", per_round[0], per_round[1], per_round[2], per_round[3]);
    // The readout pools over the 4 X stabilizers (those in the final round), equally.
    float sum = 0;
    for (int s = 0; s < 8; s++) {
        cr_expect(lay->pool_w[s] == 0 || fabsf(lay->pool_w[s] - 0.25f) < 1e-7f);
        cr_expect((lay->pool_w[s] != 0) == (lay->present[3 * 8 + s] != 0));
        cr_expect((lay->present[0 * 8 + s] != 0) == (lay->present[3 * 8 + s] != 0));
        sum += lay->pool_w[s];
    }
    cr_expect(fabsf(sum - 1) < 1e-6f);
    // Detector 0 is DETECTOR(2, 0, 0): stabilizer (2, 0), round 0. Stabilizers sorted by x, y.
    cr_expect(lay->det_round[0] == 0 && lay->stab_xy[2 * lay->det_stab[0]] == 2 && lay->stab_xy[2 * lay->det_stab[0] + 1] == 0);
    for (int s = 1; s < 8; s++)
        cr_expect(lay->stab_xy[2 * s - 2] < lay->stab_xy[2 * s] ||
                  (lay->stab_xy[2 * s - 2] == lay->stab_xy[2 * s] && lay->stab_xy[2 * s - 1] < lay->stab_xy[2 * s + 1]));
    // Every detection event of every shot lands in its cell, and nothing else is set.
    int B = 200;
    float *inputs = malloc(sizeof(float) * B * 4 * 8);
    nn_layout_inputs_from_b8(lay, tc.dets, NULL, B, 1, inputs);
    long events_b8 = 0, events_in = 0;
    for (int b = 0; b < B; b++) {
        for (int d = 0; d < 24; d++) {
            int bit = (tc.dets[b * 3 + d / 8] >> (d % 8)) & 1;
            events_b8 += bit;
            cr_expect(inputs[(b * 4 + lay->det_round[d]) * 8 + lay->det_stab[d]] == (float)bit);
        }
        for (int i = 0; i < 32; i++) events_in += inputs[b * 32 + i] != 0;
    }
    cr_expect(events_b8 == events_in && events_b8 > 0, "%ld vs %ld", events_b8, events_in);
    free(inputs);
    nn_test_case_free(&tc);
}

Test(nn_layout, errors_and_features) {
    qp_err err;
    nn_layout lay;
    double dup[6] = {0, 0, 1, 0, 0, 1};
    cr_expect(nn_layout_build(&lay, dup, 2, &err) == -1);
    cr_expect(strstr(err.msg, "D0 and D1") != NULL, "%s", err.msg);
    double nan_coords[3] = {0, NAN, 0};
    cr_expect(nn_layout_build(&lay, nan_coords, 1, &err) == -1);
    cr_expect(strstr(err.msg, "D0") != NULL, "%s", err.msg);
    // Non-integer t (Google-style) and the measurement feature.
    double c[9] = {1, 1, 0.5, 3, 1, 0.5, 1, 1, 1.5};
    cr_assert(nn_layout_build(&lay, c, 3, &err) == 0, "%s", err.msg);
    cr_expect(lay.num_stabs == 2 && lay.num_rounds == 2);
    uint8_t dets = 0x5, meas = 0x6;  // D0, D2 fire; D1, D2 measured 1
    float in[2 * 2 * 2];
    nn_layout_inputs_from_b8(&lay, &dets, &meas, 1, 2, in);
    float want[8] = {1, 0, 0, 1, 1, 1, 0, 0};  // (r0,s0) (r0,s1) (r1,s0) (r1,s1), F=2
    for (int i = 0; i < 8; i++) cr_expect(in[i] == want[i], "in[%d] = %g", i, in[i]);
    cr_expect(lay.present[3] == 0 && lay.pool_w[0] == 1 && lay.pool_w[1] == 0);
    nn_layout_free(&lay);
}
