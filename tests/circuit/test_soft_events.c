// Soft detection events (workers/circuit/soft_events.h) against a brute-force oracle: every
// pattern of wrong hard results over a small circuit's measurements, weighted by its
// probability given the posteriors, decides each detector's noiseless-readout event.
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "workers/circuit/circuit.h"
#include "workers/circuit/soft_events.h"
#include "workers/util/rng.h"

// Five measurements; detectors over one, two and three of them, one naming a measurement twice
// (it does not see it), one over a measurement in a REPEAT.
static const char *circuit_text =
    "M 0 1 2\n"
    "DETECTOR rec[-1] rec[-2]\n"
    "DETECTOR rec[-3]\n"
    "REPEAT 2 {\n"
    "  M 3\n"
    "}\n"
    "DETECTOR rec[-1] rec[-3] rec[-1]\n"
    "DETECTOR rec[-1] rec[-2] rec[-5]\n"
    "OBSERVABLE_INCLUDE(0) rec[-1]\n";

static void build(qp_circuit *c, qp_measurement_map *map) {
    qp_err err;
    cr_assert_eq(qp_circuit_parse_buffer(c, circuit_text, strlen(circuit_text), "soft.stim", &err), 0, "%s", err.msg);
    cr_assert_eq(qp_circuit_finalize(c, &err), 0, "%s", err.msg);
    cr_assert_eq(qp_measurement_map_build(map, c, &err), 0, "%s", err.msg);
    cr_assert_eq(map->num_measurements, 5);
    cr_assert_eq(map->num_detectors, 4);
}

// The detectors' measurement lists, written out by hand from circuit_text (record indices).
static const int det_meas[4][3] = {{1, 2, -1}, {0, -1, -1}, {2, -1, -1}, {4, 3, 0}};

Test(soft_events, matches_brute_force_over_error_patterns) {
    qp_circuit c;
    qp_measurement_map map;
    build(&c, &map);
    qp_rng rng;
    qp_rng_stream(&rng, 2024, 0, 0);
    for (int trial = 0; trial < 200; trial++) {
        float p1[5], pleak[5];
        double e[5];
        for (int m = 0; m < 5; m++) {
            double u = qp_rng_uniform(&rng);
            p1[m] = trial % 7 == 0 && m == 2 ? 1.0f : (float)u;  // some exact results
            e[m] = p1[m] < 0.5f ? p1[m] : 1.0 - p1[m];
            pleak[m] = (float)(0.2 * qp_rng_uniform(&rng));
        }
        uint8_t dets = (uint8_t)(qp_rng_u64(&rng) & 15);
        float event[4], leak[4];
        double scratch[4];
        qp_soft_events(&map, &dets, p1, pleak, event, leak, scratch);
        for (int d = 0; d < 4; d++) {
            double p_one = 0, p_no_leak = 1;
            for (int pattern = 0; pattern < 32; pattern++) {
                double w = 1;
                for (int m = 0; m < 5; m++) w *= (pattern >> m) & 1 ? e[m] : 1 - e[m];
                int parity = (dets >> d) & 1;
                for (int k = 0; k < 3 && det_meas[d][k] >= 0; k++) parity ^= (pattern >> det_meas[d][k]) & 1;
                if (parity) p_one += w;
            }
            for (int k = 0; k < 3 && det_meas[d][k] >= 0; k++) p_no_leak *= 1 - pleak[det_meas[d][k]];
            cr_assert(fabs(event[d] - p_one) < 1e-6, "trial %d detector %d: %g, brute force %g", trial, d, event[d],
                      p_one);
            cr_assert(fabs(leak[d] - (1 - p_no_leak)) < 1e-6, "trial %d detector %d: leak %g, expected %g", trial, d,
                      leak[d], 1 - p_no_leak);
        }
    }
    qp_measurement_map_free(&map);
    qp_circuit_free(&c);
}

Test(soft_events, exact_results_give_the_hard_events) {
    qp_circuit c;
    qp_measurement_map map;
    build(&c, &map);
    float p1[5] = {0, 1, 1, 0, 1};
    for (int dets = 0; dets < 16; dets++) {
        uint8_t rec = (uint8_t)dets;
        float event[4], leak[4] = {9, 9, 9, 9};
        double scratch[4];
        qp_soft_events(&map, &rec, p1, NULL, event, leak, scratch);
        for (int d = 0; d < 4; d++) {
            cr_assert_eq(event[d], (float)((dets >> d) & 1), "detector %d", d);
            cr_assert_eq(leak[d], 0.0f, "no leakage posteriors: leak input 0");
        }
    }
    qp_measurement_map_free(&map);
    qp_circuit_free(&c);
}
