// Rounds, distance and basis read from circuits: Stim's own surface-code circuits (the
// reference vectors), our generator's over a grid of (basis, d, r) with both noise models
// (SI1000's are CZ circuits whose data qubits are rotated with H), Google-style CZ circuits
// (H or SQRT_Y around CZ), and circuits whose basis is not claimed.
#include <criterion/criterion.h>

#include "tests/test_support.h"
#include "workers/circuit/circuit_shape.h"
#include "workers/circuit/surface_code.h"

static qp_circuit_shape shape_of(const qp_circuit *c) {
    qp_circuit_shape s;
    qp_err err;
    cr_assert_eq(qp_circuit_shape_of(c, &s, &err), 0, "%s", err.msg);
    return s;
}

Test(circuit_shape, generated_surface_codes) {
    const char bases[] = {'x', 'z'};
    const uint32_t ds[] = {3, 5, 7};
    const uint64_t rs[] = {1, 2, 5, 25};
    for (int b = 0; b < 2; b++)
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 4; j++) {
                qp_circuit c;
                qp_err err;
                qp_surface_params sp = qp_surface_params_uniform(bases[b], ds[i], rs[j], 0.001);
                cr_assert_eq(qp_surface_code_generate(&c, &sp, &err), 0, "%s", err.msg);
                qp_circuit_shape s = shape_of(&c);
                cr_assert(s.rounds == rs[j] && s.distance == ds[i] && s.basis == bases[b],
                          "basis %c d=%u r=%llu: got %c d=%llu r=%llu", bases[b], ds[i], (unsigned long long)rs[j],
                          s.basis ? s.basis : '0', (unsigned long long)s.distance, (unsigned long long)s.rounds);
                qp_circuit_free(&c);
                // SI1000 circuits are CZ-based: H layers rotate data qubits between the CZs
                // (merged across layers, so a data qubit's last gates before its measurement
                // are H H or H in no fixed pattern); the basis still comes out.
                sp = qp_surface_params_si1000(bases[b], ds[i], rs[j], 0.001);
                cr_assert_eq(qp_surface_code_generate(&c, &sp, &err), 0, "%s", err.msg);
                s = shape_of(&c);
                cr_assert(s.rounds == rs[j] && s.distance == ds[i] && s.basis == bases[b],
                          "si1000 %c d=%u r=%llu: got %c d=%llu r=%llu",
                          bases[b], ds[i], (unsigned long long)rs[j], s.basis ? s.basis : '0',
                          (unsigned long long)s.distance, (unsigned long long)s.rounds);
                qp_circuit_free(&c);
            }
}

Test(circuit_shape, stim_vectors) {
    const struct { const char *name; char basis; uint64_t d, r; } cases[] = {
        {"surface_x_d3_r3_p0.003", 'x', 3, 3}, {"surface_z_d3_r3_p0.003", 'z', 3, 3}, {"surface_x_d5_r5_p0.003", 'x', 5, 5}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s.stim", qp_test_data_dir(), cases[i].name);
        qp_circuit c;
        qp_err err;
        cr_assert_eq(qp_circuit_parse_file(&c, path, &err), 0, "%s", err.msg);
        qp_circuit_shape s = shape_of(&c);
        cr_assert(s.basis == cases[i].basis && s.distance == cases[i].d && s.rounds == cases[i].r, "%s: %c d=%llu r=%llu",
                  cases[i].name, s.basis ? s.basis : '0', (unsigned long long)s.distance, (unsigned long long)s.rounds);
        qp_circuit_free(&c);
    }
}

static char basis_of_text(const char *text) {
    qp_circuit c;
    qp_err err;
    cr_assert_eq(qp_circuit_parse(&c, text, "test", &err), 0, "%s", err.msg);
    char basis = shape_of(&c).basis;
    qp_circuit_free(&c);
    return basis;
}

Test(circuit_shape, cz_circuits) {
    // Google-style, H version: R, H on data, CZ rounds, H, M. Data qubits 0-2, ancilla 3.
    const char *h = "R 0 1 2 3\nH 0 1 2\nTICK\nCZ 0 3\nM 3\nDETECTOR(1, 0, 0) rec[-1]\n"
                    "REPEAT 3 {\n  CZ 1 3\n  M 3\n  DETECTOR(1, 0, 1) rec[-1] rec[-2]\n}\n"
                    "H 0 1 2\nM 0 1 2\nDETECTOR(1, 0, 4) rec[-4]\nOBSERVABLE_INCLUDE(0) rec[-1] rec[-2] rec[-3]\n";
    qp_circuit c;
    qp_err err;
    cr_assert_eq(qp_circuit_parse(&c, h, "google", &err), 0, "%s", err.msg);
    qp_circuit_shape s = shape_of(&c);
    cr_assert(s.basis == 'x' && s.distance == 3 && s.rounds == 4, "%c d=%llu r=%llu", s.basis ? s.basis : '0',
              (unsigned long long)s.distance, (unsigned long long)s.rounds);
    qp_circuit_free(&c);
    // The same without the data H: memory Z.
    cr_assert_eq(basis_of_text("R 0 1 2 3\nCZ 0 3\nM 3\nREPEAT 3 {\n  CZ 1 3\n  M 3\n}\nM 0 1 2\n"
                               "OBSERVABLE_INCLUDE(0) rec[-1] rec[-2] rec[-3]\n"), 'z');
    // CNOTs built from SQRT_Y_DAG / SQRT_Y around CZ (Google's archived circuits): an X-type
    // check of data 0, 1 by ancilla 2 (H, CX 2->0, CX 2->1, H); data in |+>, measured
    // with SQRT_Y_DAG then M (SQRT_Y_DAG maps X to Z).
    const char *sqrt_y = "R 0 1 2\nSQRT_Y 0 1\nH 2\n"
                         "SQRT_Y 0\nCZ 2 0\nSQRT_Y_DAG 0\nSQRT_Y 1\nCZ 2 1\nSQRT_Y_DAG 1\n"
                         "H 2\nM 2\nDETECTOR rec[-1]\nSQRT_Y_DAG 0 1\nM 0 1\n"
                         "OBSERVABLE_INCLUDE(0) rec[-1] rec[-2]\n";
    cr_assert_eq(basis_of_text(sqrt_y), 'x');
    // The final data measurement and the ancillas' in one instruction: the boundary is the
    // round before.
    cr_assert_eq(basis_of_text("R 0 1 2\nCX 0 2 1 2\nM 2\nCX 0 2 1 2\nM 0 1 2\nOBSERVABLE_INCLUDE(0) rec[-2]\n"), 'z');
    cr_assert_eq(basis_of_text("R 0 1 2\nH 0 1\nCZ 0 2 1 2\nM 2\nCZ 0 2 1 2\nH 0 1\nM 0 1 2\n"
                               "OBSERVABLE_INCLUDE(0) rec[-3] rec[-2]\n"), 'x');
}

Test(circuit_shape, mixed_bases_are_not_claimed) {
    // No coordinates, an observable read in two bases: no rounds, no basis.
    qp_circuit c;
    qp_err err;
    cr_assert_eq(qp_circuit_parse(&c, "R 0 1\nMX 0\nM 1\nDETECTOR rec[-1]\nOBSERVABLE_INCLUDE(0) rec[-1] rec[-2]\n",
                                  "mixed", &err), 0, "%s", err.msg);
    qp_circuit_shape s = shape_of(&c);
    cr_assert(s.basis == 0 && s.distance == 2 && s.rounds == 0, "%c d=%llu r=%llu", s.basis ? s.basis : '0',
              (unsigned long long)s.distance, (unsigned long long)s.rounds);
    qp_circuit_free(&c);
    // Y, a product measurement, no observable: none claimed.
    cr_assert_eq(basis_of_text("R 0 1\nM 1\nMY 0\nOBSERVABLE_INCLUDE(0) rec[-1]\n"), 0);
    cr_assert_eq(basis_of_text("R 0 1\nM 1\nMPP X0*X1\nOBSERVABLE_INCLUDE(0) rec[-1]\n"), 0);
    cr_assert_eq(basis_of_text("R 0 1\nM 0 1\nDETECTOR rec[-1]\n"), 0);
}
