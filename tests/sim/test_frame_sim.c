// Frame simulator gate and noise semantics on small hand-written circuits: deterministic
// error propagation through each Clifford, channel rates within 5 standard deviations, gauge
// randomisation for non-deterministic measurements, and the long-lookback ring buffer.
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "tests/sim/frame_counts.h"
#include "workers/circuit/circuit.h"
#include "workers/sim/frame_sim.h"
#include "workers/sim/frame_sample.h"

// Counts detector events of `text` over `shots` shots; returns malloc'd counts.
static uint64_t *count(const char *text, uint64_t shots, uint64_t *num_dets, uint64_t **obs_out) {
    qp_circuit c;
    qp_err err = {{0}};
    cr_assert_eq(qp_circuit_parse(&c, text, "test", &err), 0, "%s", err.msg);
    qp_frame_sim sim;
    cr_assert_eq(qp_frame_sim_init(&sim, &c, NULL, &err), 0, "%s", err.msg);
    frame_counts fc = {shots, calloc(c.num_detectors + 1, 8), calloc(c.num_observables + 1, 8)};
    qp_frame_sink sink = {&fc, frame_counts_dets, frame_counts_obs, NULL, NULL, NULL};
    cr_assert_eq(qp_frame_sim_run_shots(&sim, 7, 0, 0, shots, &sink, &err), 0, "%s", err.msg);
    *num_dets = c.num_detectors;
    qp_frame_sim_free(&sim);
    qp_circuit_free(&c);
    if (obs_out) *obs_out = fc.obs;
    else free(fc.obs);
    return fc.det;
}

static void expect_all(const char *text, uint64_t expected_per_det) {
    uint64_t nd, shots = 1000;
    uint64_t *d = count(text, shots, &nd, NULL);
    for (uint64_t i = 0; i < nd; i++)
        cr_expect_eq(d[i], expected_per_det ? shots : 0, "%s\ndetector %lu fired %lu/%lu", text, (unsigned long)i,
                     (unsigned long)d[i], (unsigned long)shots);
    free(d);
}

static void expect_rate(const char *text, double p) {
    uint64_t nd, shots = 40000;
    uint64_t *d = count(text, shots, &nd, NULL);
    for (uint64_t i = 0; i < nd; i++) {
        double sd = sqrt(p * (1 - p) / shots);
        double got = (double)d[i] / shots;
        cr_expect(fabs(got - p) < 5 * sd + 1e-12, "%s\ndetector %lu rate %.5f, expected %.5f (5 sd = %.5f)", text,
                  (unsigned long)i, got, p, 5 * sd);
    }
    free(d);
}

Test(frame_sim, deterministic_propagation) {
    expect_all("R 0\nX_ERROR(1) 0\nM 0\nDETECTOR rec[-1]\n", 1);
    expect_all("R 0\nZ_ERROR(1) 0\nM 0\nDETECTOR rec[-1]\n", 0);
    expect_all("RX 0\nZ_ERROR(1) 0\nMX 0\nDETECTOR rec[-1]\n", 1);
    expect_all("RX 0\nX_ERROR(1) 0\nMX 0\nDETECTOR rec[-1]\n", 0);
    expect_all("RY 0\nX_ERROR(1) 0\nMY 0\nDETECTOR rec[-1]\n", 1);
    expect_all("RY 0\nY_ERROR(1) 0\nMY 0\nDETECTOR rec[-1]\n", 0);
    expect_all("R 0\nH 0\nZ_ERROR(1) 0\nH 0\nM 0\nDETECTOR rec[-1]\n", 1);
    expect_all("RX 0\nS 0\nX_ERROR(1) 0\nS_DAG 0\nMX 0\nDETECTOR rec[-1]\n", 1);  // S X S+ ~ Y
    expect_all("R 0\nSQRT_X 0\nZ_ERROR(1) 0\nSQRT_X_DAG 0\nM 0\nDETECTOR rec[-1]\n", 1);
    // CX: X on control spreads to target; Z on target spreads to control.
    expect_all("R 0 1\nX_ERROR(1) 0\nCX 0 1\nM 1\nDETECTOR rec[-1]\n", 1);
    expect_all("RX 0 1\nZ_ERROR(1) 1\nCX 0 1\nMX 0\nDETECTOR rec[-1]\n", 1);
    expect_all("R 0 1\nX_ERROR(1) 1\nCX 0 1\nM 0\nDETECTOR rec[-1]\n", 0);
    // CZ: X on one side gives Z on the other.
    expect_all("R 0\nRX 1\nX_ERROR(1) 0\nCZ 0 1\nMX 1\nDETECTOR rec[-1]\n", 1);
    // CY: X on control gives Y on target (flips a Z measurement of the target); X on target
    // gives Z on control.
    expect_all("R 0 1\nX_ERROR(1) 0\nCY 0 1\nM 1\nDETECTOR rec[-1]\n", 1);
    expect_all("RX 0\nRY 1\nX_ERROR(1) 1\nCY 0 1\nMX 0\nDETECTOR rec[-1]\n", 1);
    // Measurement-record parity, resets clearing errors, MR and MRX.
    expect_all("R 0\nX_ERROR(1) 0\nM 0\nM 0\nDETECTOR rec[-1] rec[-2]\n", 0);
    expect_all("R 0\nX_ERROR(1) 0\nMR 0\nM 0\nDETECTOR rec[-1]\n", 0);
    // Pauli gates and inverted targets are part of the reference: no events.
    expect_all("R 0\nX 0\nY 0\nM !0\nDETECTOR rec[-1]\nOBSERVABLE_INCLUDE(0) rec[-1]\n", 0);
    // A deep lookback across a REPEAT (ring buffer).
    expect_all("R 0 1\nX_ERROR(1) 0\nM 0\nREPEAT 100 {\n  M 1\n}\nDETECTOR rec[-101]\n", 1);
}

Test(frame_sim, mrx_first_result_flips) {
    uint64_t nd, shots = 1000;
    uint64_t *d = count("RX 0\nZ_ERROR(1) 0\nMRX 0\nDETECTOR rec[-1]\nMX 0\nDETECTOR rec[-1]\n", shots, &nd, NULL);
    cr_assert_eq(nd, 2);
    cr_expect_eq(d[0], shots);
    cr_expect_eq(d[1], 0);
    free(d);
}

Test(frame_sim, channel_rates) {
    expect_rate("R 0 1 2\nX_ERROR(0.1) 0 1 2\nM 0 1 2\nDETECTOR rec[-1]\nDETECTOR rec[-2]\nDETECTOR rec[-3]\n", 0.1);
    expect_rate("R 0 1\nDEPOLARIZE1(0.3) 0 1\nM 0 1\nDETECTOR rec[-1]\nDETECTOR rec[-2]\n", 0.2);
    expect_rate("RX 0\nDEPOLARIZE1(0.3) 0\nMX 0\nDETECTOR rec[-1]\n", 0.2);
    expect_rate("R 0 1\nDEPOLARIZE2(0.15) 0 1\nM 0 1\nDETECTOR rec[-1]\nDETECTOR rec[-2]\n", 0.08);
    expect_rate("R 0 1\nDEPOLARIZE2(0.15) 0 1\nM 0 1\nDETECTOR rec[-1] rec[-2]\n", 0.08);
    expect_rate("R 0\nPAULI_CHANNEL_1(0.05, 0.1, 0.2) 0\nM 0\nDETECTOR rec[-1]\n", 0.15);
    expect_rate("RX 0\nPAULI_CHANNEL_1(0.05, 0.1, 0.2) 0\nMX 0\nDETECTOR rec[-1]\n", 0.3);
    // PAULI_CHANNEL_2 with only XI (0.1) and ZX (0.2): qubit 0 Z-flip rate 0.1, qubit 1 0.2.
    expect_rate("R 0\nPAULI_CHANNEL_2(0,0,0,0.1,0,0,0,0,0,0,0,0,0,0,0) 0 1\nM 0\nDETECTOR rec[-1]\n", 0.1);
    expect_rate("R 0 1\nPAULI_CHANNEL_2(0,0,0,0,0,0,0,0,0,0,0,0,0.2,0,0) 0 1\nM 1\nDETECTOR rec[-1]\n", 0.2);
    expect_rate("R 0 1 2 3\nM(0.03) 0 1 2 3\nDETECTOR rec[-1]\nDETECTOR rec[-4]\n", 0.03);
    expect_rate("R 0\nMR(0.25) 0\nDETECTOR rec[-1]\n", 0.25);
    // Tiny probabilities still fire at their rate (geometric skipping across many targets).
    expect_rate("R 0\nREPEAT 50 {\n X_ERROR(0.002) 0\n}\nM 0\nDETECTOR rec[-1]\n", 0.5 * (1 - pow(1 - 0.004, 50)));
}

Test(frame_sim, gauge_randomises_nondeterministic_measurements) {
    expect_rate("RX 0\nM 0\nDETECTOR rec[-1]\n", 0.5);
    expect_rate("R 0\nMX 0\nDETECTOR rec[-1]\n", 0.5);
    expect_rate("R 0\nM 0\nMX 0\nDETECTOR rec[-1]\n", 0.5);  // after M, X is random
    expect_rate("RY 0\nM 0\nDETECTOR rec[-1]\n", 0.5);
    expect_all("RY 0\nMY 0\nMY 0\nDETECTOR rec[-1] rec[-2]\n", 0);
}

Test(frame_sim, rejects_what_it_cannot_run) {
    qp_circuit c;
    qp_err err = {{0}};
    cr_assert_eq(qp_circuit_parse(&c, "M 0\nH rec[-1]\n", "t", &err) == 0 ? 0 : 0, 0);
    if (c.top.num_instrs) {  // the parser may already reject it; if not, the simulator must
        qp_frame_sim sim;
        cr_expect_eq(qp_frame_sim_init(&sim, &c, NULL, &err), -1);
        cr_expect(strstr(err.msg, "H") != NULL, "%s", err.msg);
    }
    qp_circuit_free(&c);
}

Test(frame_sim, nested_repeats_and_empty_annotations) {
    // Each iteration adds an X error without reset: the measurement flip alternates 1, 0, ...
    uint64_t nd, shots = 700, *obs;
    uint64_t *d = count("R 0\nREPEAT 3 {\n  REPEAT 4 {\n    X_ERROR(1) 0\n    M 0\n    DETECTOR rec[-1]\n  }\n}\n"
                        "DETECTOR\nOBSERVABLE_INCLUDE(2) rec[-1] rec[-2] rec[-3]\n",
                        shots, &nd, &obs);
    cr_assert_eq(nd, 13);
    for (uint64_t i = 0; i < 12; i++) cr_expect_eq(d[i], i % 2 == 0 ? shots : 0, "detector %lu", (unsigned long)i);
    cr_expect_eq(d[12], 0, "a detector without targets never fires");
    cr_expect_eq(obs[0], 0);
    cr_expect_eq(obs[1], 0);
    cr_expect_eq(obs[2], shots, "flips 0 ^ 1 ^ 0 of the last three measurements");
    free(d);
    free(obs);
}
