// The measurement map (workers/circuit/measurement_map.h) of a hand-built circuit: each
// measurement's detectors (counted by hand), observables and flip probability; a measurement
// named twice by one detector cancels; feedback is refused naming its line. (Its agreement
// with the frame sampler on surface-code shots is checked by tests/decode/soft_shots.h.)
#include <criterion/criterion.h>
#include <string.h>

#include "workers/circuit/circuit.h"
#include "workers/circuit/measurement_map.h"

static void parse_circuit(qp_circuit *c, const char *text) {
    qp_err err;
    cr_assert_eq(qp_circuit_parse(c, text, "test.stim", &err), 0, "%s", err.msg);
}

// m0 = q0, m1 = q1 (M(0.02)); m2 = q0, m3 = q1 (M(0.04)); m4, m5 = q2; m6 = q3 (no detector).
// D0 = m0, D1 = m1, D2 = m0^m2, D3 = m1^m3 (L0 = m3), D4 = m4^m5 (inside a REPEAT 1).
static const char *tiny_circuit =
    "R 0 1 2 3\n"
    "X_ERROR(0.05) 0\n"
    "M(0.02) 0 1\n"
    "DETECTOR rec[-2]\n"
    "DETECTOR rec[-1]\n"
    "X_ERROR(0.03) 1\n"
    "M(0.04) 0 1\n"
    "DETECTOR rec[-4] rec[-2]\n"
    "DETECTOR rec[-3] rec[-1]\n"
    "OBSERVABLE_INCLUDE(0) rec[-1]\n"
    "REPEAT 1 {\n"
    "    M(0.01) 2\n"
    "    X_ERROR(0.005) 2\n"
    "    M(0.02) 2\n"
    "    DETECTOR rec[-2] rec[-1]\n"
    "}\n"
    "M(0.1) 3\n";

Test(measurement_map, tiny_circuit) {
    qp_circuit c;
    parse_circuit(&c, tiny_circuit);
    qp_measurement_map map;
    qp_err err;
    cr_assert_eq(qp_measurement_map_build(&map, &c, &err), 0, "%s", err.msg);
    cr_assert_eq(map.num_measurements, 7);
    cr_assert_eq(map.num_detectors, 5);
    const uint32_t want_n[7] = {2, 2, 1, 1, 1, 1, 0};
    const uint32_t want_first[6] = {0, 1, 2, 3, 4, 4};
    const double want_flip[7] = {0.02, 0.02, 0.04, 0.04, 0.01, 0.02, 0.1};
    for (uint32_t m = 0; m < 7; m++) {
        cr_assert_eq(map.det_start[m + 1] - map.det_start[m], want_n[m], "m%u", m);
        if (want_n[m]) cr_assert_eq(map.det[map.det_start[m]], want_first[m], "m%u", m);
        cr_assert_eq(map.flip[m], want_flip[m], "m%u", m);
        cr_assert_eq(map.obs[m], m == 3 ? 1u : 0u, "m%u", m);
    }
    cr_assert_eq(map.det[map.det_start[0] + 1], 2);
    cr_assert_eq(map.det[map.det_start[1] + 1], 3);
    qp_measurement_map_free(&map);
    qp_circuit_free(&c);
    // A measurement named twice by one detector cancels; feedback is refused, naming the line.
    parse_circuit(&c, "M 0 1\nDETECTOR rec[-1] rec[-2] rec[-1]\n");
    cr_assert_eq(qp_measurement_map_build(&map, &c, &err), 0, "%s", err.msg);
    cr_assert_eq(map.det_start[1] - map.det_start[0], 1);
    cr_assert_eq(map.det_start[2] - map.det_start[1], 0);
    qp_measurement_map_free(&map);
    qp_circuit_free(&c);
    parse_circuit(&c, "M 0\nCX rec[-1] 1\nM 1\nDETECTOR rec[-1] rec[-2]\n");
    cr_assert_neq(qp_measurement_map_build(&map, &c, &err), 0);
    cr_assert(strstr(err.msg, "line 2") && strstr(err.msg, "feedback"), "%s", err.msg);
    qp_circuit_free(&c);
}

Test(measurement_map, repeat_blocks_unroll) {
    // Three rounds of one ancilla compared with the previous round: m_r is in D_{r-1} and D_r.
    qp_circuit c;
    parse_circuit(&c, "R 0\nM 0\nDETECTOR rec[-1]\nREPEAT 3 {\n    M(0.25) 0\n    DETECTOR rec[-1] rec[-2]\n}\n"
                      "OBSERVABLE_INCLUDE(1) rec[-1]\n");
    qp_measurement_map map;
    qp_err err;
    cr_assert_eq(qp_measurement_map_build(&map, &c, &err), 0, "%s", err.msg);
    cr_assert_eq(map.num_measurements, 4);
    cr_assert_eq(map.num_detectors, 4);
    cr_assert_eq(map.num_observables, 2);
    for (uint32_t m = 0; m < 4; m++) {
        uint32_t n = map.det_start[m + 1] - map.det_start[m];
        cr_assert_eq(n, m < 3 ? 2u : 1u, "m%u: %u detectors", m, n);
        cr_assert_eq(map.det[map.det_start[m]], m, "m%u", m);
        if (n == 2) cr_assert_eq(map.det[map.det_start[m] + 1], m + 1, "m%u", m);
        cr_assert_eq(map.flip[m], m ? 0.25 : 0.0, "m%u", m);
        cr_assert_eq(map.obs[m], m == 3 ? 2u : 0u, "m%u", m);
    }
    qp_measurement_map_free(&map);
    qp_circuit_free(&c);
}
