// The training circuit and model layout (pipeline/train/train_circuit.h), single process:
//  - a generated train section gives the surface-code circuit: d=3, r=3 memory X has
//    4 + 8 + 8 + 4 = 24 detectors on 8 stabilizers over 4 layout rounds, the last round holding
//    the 4 X stabilizers (pool weights 1/4 there, 0 elsewhere), one observable;
//  - the reference circuit of the same experiment (made by Stim) gives the same layout;
//  - a circuit whose detectors lack (x, y, t) coordinates, or has none, is refused in one line;
//  - the model shape follows the config (H, L, NH; FH = 2H, RH = H; F = 1).
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/train/train_circuit.h"
#include "tests/test_support.h"

static qp_train_config generated(int d, int rounds, qp_basis basis) {
    qp_train_config tc;
    memset(&tc, 0, sizeof tc);
    tc.present = true;
    tc.code = QP_CODE_SURFACE;
    tc.distance = d;
    tc.rounds = rounds;
    tc.data.basis = basis;
    tc.data.noise = QP_NOISE_UNIFORM;
    tc.data.p = 0.005;
    tc.hidden = 24;
    tc.layers = 3;
    tc.heads = 6;
    strcpy(tc.data.name, "t");
    return tc;
}

static void layout_of_text(const char *text, nn_layout *lay, qp_circuit *c) {
    qp_err err;
    cr_assert(qp_circuit_parse(c, text, "t.stim", &err) == 0, "%s", err.msg);
    cr_assert(qp_train_layout_from_circuit(c, lay, &err) == 0, "%s", err.msg);
}

Test(train_circuit, generated_d3_layout) {
    qp_train_config tc = generated(3, 3, QP_BASIS_X);
    char *text;
    qp_err err;
    cr_assert(qp_train_circuit_text(&tc, &text, &err) == 0, "%s", err.msg);
    qp_circuit c;
    nn_layout lay;
    layout_of_text(text, &lay, &c);
    cr_expect_eq(c.num_detectors, 24);
    cr_expect_eq(c.num_observables, 1);
    cr_expect_eq(lay.num_stabs, 8);
    cr_expect_eq(lay.num_rounds, 4);
    int last = 0;
    for (int s = 0; s < 8; s++) {
        float w = lay.pool_w[s];
        cr_expect(w == 0 || w == 0.25f, "pool weight %g", w);
        last += w != 0;
        // Memory X: the final round's stabilizers are the X ones, (x + y)/2 odd.
        int x = (int)lay.stab_xy[2 * s], y = (int)lay.stab_xy[2 * s + 1];
        cr_expect_eq(w != 0, ((x + y) / 2) % 2 == 1, "stabilizer (%d, %d)", x, y);
    }
    cr_expect_eq(last, 4);
    nn_config mc = qp_train_model_config(&tc, &lay, 1);
    cr_expect(mc.num_stabs == 8 && mc.num_features == 1 && mc.num_obs == 1 && mc.hidden == 24 && mc.num_layers == 3 &&
              mc.num_heads == 6 && mc.ffn_hidden == 48 && mc.readout_hidden == 24);

    // Stim's circuit for the same experiment maps detectors the same way.
    char path[4096];
    if (qp_test_find("surface_x_d3_r3_p0.005.stim", path, sizeof path) == 0 ||
        qp_test_find("surface_x_d3_r3_p0.003.stim", path, sizeof path) == 0) {
        char *ref = qp_test_read_file(path, NULL);
        cr_assert_not_null(ref);
        qp_circuit rc;
        nn_layout rl;
        layout_of_text(ref, &rl, &rc);
        cr_expect_eq(rl.num_dets, lay.num_dets);
        cr_expect_eq(rl.num_stabs, lay.num_stabs);
        cr_expect_eq(rl.num_rounds, lay.num_rounds);
        for (int d = 0; d < lay.num_dets && d < rl.num_dets; d++)
            cr_expect(rl.det_stab[d] == lay.det_stab[d] && rl.det_round[d] == lay.det_round[d], "detector D%d", d);
        nn_layout_free(&rl);
        qp_circuit_free(&rc);
        free(ref);
    } else {
        cr_log_info("reference circuit surface_x_d3_r3 not found; skipped the Stim comparison");
    }
    nn_layout_free(&lay);
    qp_circuit_free(&c);
    free(text);
}

Test(train_circuit, refuses_circuits_without_coordinates) {
    const char *texts[2] = {"X_ERROR(0.1) 0\nM 0\nDETECTOR(1, 2) rec[-1]\nOBSERVABLE_INCLUDE(0) rec[-1]\n",
                            "X_ERROR(0.1) 0\nM 0\nOBSERVABLE_INCLUDE(0) rec[-1]\n"};
    const char *why[2] = {"coordinates", "no detectors"};
    for (int k = 0; k < 2; k++) {
        qp_circuit c;
        qp_err err;
        cr_assert(qp_circuit_parse(&c, texts[k], "t.stim", &err) == 0, "%s", err.msg);
        nn_layout lay;
        memset(&lay, 0, sizeof lay);
        cr_expect(qp_train_layout_from_circuit(&c, &lay, &err) == -1, "circuit %d accepted", k);
        cr_expect(strstr(err.msg, why[k]) != NULL && strchr(err.msg, '\n') == NULL, "message: %s", err.msg);
        qp_circuit_free(&c);
    }
}

Test(train_circuit, circuit_file_errors_name_the_file) {
    qp_train_config tc = generated(3, 3, QP_BASIS_Z);
    tc.code = QP_CODE_CIRCUIT;
    strcpy(tc.circuit, "/nonexistent/train.stim");
    char *text;
    qp_err err;
    cr_expect(qp_train_circuit_text(&tc, &text, &err) == -1);
    cr_expect(strstr(err.msg, "/nonexistent/train.stim") != NULL, "message: %s", err.msg);
}
