// The parser and writer cover the whole circuit language: every vectors/gates circuit (every
// Stim instruction, Pauli products, `!` targets, MPAD, tags) parses, writes, and parses back
// to the same text; the gate table is consistent (inverses are involutive and undo the
// frame action, every alias and name resolves).
#include <criterion/criterion.h>
#include <string.h>

#include "tests/test_support.h"
#include "workers/circuit/circuit.h"

Test(gates_roundtrip, every_vector_circuit_round_trips) {
    char dir[4096];
    qp_test_vector_case cases[64];
    int n = qp_test_gates_cases(dir, sizeof dir, cases, 64);
    cr_assert_gt(n, 0);
    for (int i = 0; i < n; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%.3000s/%.200s.stim", dir, cases[i].name);
        qp_circuit a, b;
        qp_err err = {{0}};
        cr_assert_eq(qp_circuit_parse_file(&a, path, &err), 0, "%s", err.msg);
        char *ta = qp_circuit_to_text(&a, &err);
        cr_assert_eq(qp_circuit_parse(&b, ta, "written", &err), 0, "%s: %s", cases[i].name, err.msg);
        char *tb = qp_circuit_to_text(&b, &err);
        cr_expect_str_eq(ta, tb, "%s: write -> parse -> write changed the text", cases[i].name);
        cr_expect_eq(a.num_measurements, b.num_measurements);
        cr_expect_eq(a.num_detectors, b.num_detectors);
        free(ta);
        free(tb);
        qp_circuit_free(&a);
        qp_circuit_free(&b);
    }
}

Test(gates_roundtrip, new_syntax_round_trips_exactly) {
    const char *text =
        "MPP(0.01) !X0*Y1*Z2 Z3\nSPP_DAG[t] X0*Z1\nMXX !0 1\nMPAD 0 1\nM 0\nCX rec[-1] 1 sweep[2] 3\n"
        "XCZ 2 rec[-2]\nE(0.1) X0 Y1\nELSE_CORRELATED_ERROR(0.2) Z2\nHERALDED_ERASE(0.01) 0\n"
        "HERALDED_PAULI_CHANNEL_1(0.01, 0.02, 0, 0.03) 1\nI_ERROR 2\nII_ERROR(0.1, 0.2) 0 1\n"
        "OBSERVABLE_INCLUDE(0) rec[-1] X1 Z2\n";
    qp_circuit c;
    qp_err err = {{0}};
    cr_assert_eq(qp_circuit_parse(&c, text, "t", &err), 0, "%s", err.msg);
    char *t = qp_circuit_to_text(&c, &err);
    cr_expect_str_eq(t, text);
    // MPP: 2 products; MXX: 1 pair; MPAD 2; M 1; heralds 2.
    cr_expect_eq(c.num_measurements, 8u);
    free(t);
    qp_circuit_free(&c);
}

Test(gates_roundtrip, inverses_undo_the_frame_action) {
    for (int g = 0; g < QP_GATE_COUNT; g++) {
        const qp_gate_info *gi = &qp_gate_table[g];
        cr_expect_eq(qp_gate_table[gi->inverse].inverse, (qp_gate)g, "%s", gi->name);
        qp_gate_frame f, fi;
        if (qp_gate_frame_of((qp_gate)g, &f) < 0) continue;
        cr_assert_eq(qp_gate_frame_of(gi->inverse, &fi), 0, "%s", gi->name);
        for (int k = 0; k < 4; k++) {  // inverse(gate(generator k)) == generator k
            uint8_t img = 0;
            for (int j = 0; j < 4; j++)
                if ((f.img[k] >> j) & 1) img ^= fi.img[j];
            cr_expect_eq(img, 1u << k, "%s then %s maps generator %d to %u", gi->name,
                         qp_gate_table[gi->inverse].name, k, img);
        }
    }
}
