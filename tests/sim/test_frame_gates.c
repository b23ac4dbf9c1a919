// The frame sampler on the whole circuit language against Stim's shots: for every
// vectors/gates case, 100,000 shots of ours (five times Stim's, so that the comparison's noise
// is mostly Stim's) and Stim's 20,000 (`stim detect`) agree per detector and per observable
// (two-sample z-test |z| < 5, and the chi-square of sum z^2 over all bits with p > 0.001);
// and so do the measurement records (reference sample XOR frame flips) with `stim sample`'s.
#include <criterion/criterion.h>
#include <string.h>

#include "tests/sim/frame_counts.h"
#include "tests/test_support.h"
#include "workers/circuit/circuit.h"
#include "workers/sim/frame_sample.h"
#include "workers/sim/reference_sample.h"

static uint64_t *counts_of_file(const char *dir, const char *name, const char *suffix, uint64_t shots, size_t nbits) {
    char path[4096];
    snprintf(path, sizeof path, "%.3000s/%.200s%.40s", dir, name, suffix);
    size_t len = 0;
    char *bytes = qp_test_read_file(path, &len);
    cr_assert(bytes != NULL, "cannot read %s", path);
    size_t rb = (nbits + 7) / 8;
    cr_assert_eq(len, shots * rb, "%s: %zu bytes, expected %llu shots of %zu", path, len, (unsigned long long)shots, rb);
    uint64_t *c = calloc(nbits + 1, sizeof *c);
    frame_counts_b8((const uint8_t *)bytes, shots, rb, nbits, c);
    free(bytes);
    return c;
}

#define OURS_PER_STIM 5

static void expect_match(const char *name, const char *what, const uint64_t *ours, const uint64_t *theirs,
                         uint64_t shots, size_t nbits) {
    double worst, chi_p;
    size_t bit;
    int ok = frame_counts_match(ours, shots * OURS_PER_STIM, theirs, shots, nbits, &worst, &bit, &chi_p);
    cr_expect(ok, "%s %s: worst bit %zu z = %+.2f, chi-square p = %.2g", name, what, bit, worst, chi_p);
    fprintf(stderr, "%-40s %-12s %4zu bits: worst z %+.2f, chi-square p %.3f\n", name, what, nbits, worst, chi_p);
}

// A case's seed follows its name, not its index, so the shipped subset (tests/data/gates) and the
// full shared set sample a case identically.
static uint64_t name_seed(const char *name) {
    uint64_t h = 1469598103934665603ull;  // FNV-1a
    for (; *name; name++) h = (h ^ (uint8_t)*name) * 1099511628211ull;
    return h;
}

static void parse_case(const char *dir, const char *name, qp_circuit *c) {
    char path[4096];
    snprintf(path, sizeof path, "%.3000s/%.200s.stim", dir, name);
    qp_err err = {{0}};
    cr_assert_eq(qp_circuit_parse_file(c, path, &err), 0, "%s", err.msg);
}

Test(frame_gates, detection_events_match_stim) {
    char dir[4096];
    qp_test_vector_case cases[64];
    int n = qp_test_gates_cases(dir, sizeof dir, cases, 64);
    cr_assert_gt(n, 0);
    for (int i = 0; i < n; i++) {
        qp_circuit c;
        qp_err err = {{0}};
        parse_case(dir, cases[i].name, &c);
        uint64_t shots = cases[i].shots, ours = shots * OURS_PER_STIM;
        size_t D = c.num_detectors, O = c.num_observables, db = (D + 7) / 8, ob = (O + 7) / 8;
        uint8_t *dets = malloc(ours * db + 1), *obs = malloc(ours * ob + 1);
        uint64_t seed = name_seed(cases[i].name) + 17;  // our own generator: Stim's is not reproduced
        cr_assert_eq(qp_frame_sample_b8(&c, NULL, seed, 0, 0, ours, dets, obs, &err), 0, "%s", err.msg);
        uint64_t *od = calloc(D + 1, sizeof *od), *oo = calloc(O + 1, sizeof *oo);
        frame_counts_b8(dets, ours, db, D, od);
        frame_counts_b8(obs, ours, ob, O, oo);
        uint64_t *td = counts_of_file(dir, cases[i].name, ".dets.b8", shots, D);
        uint64_t *to = counts_of_file(dir, cases[i].name, ".obs.b8", shots, O);
        expect_match(cases[i].name, "detectors", od, td, shots, D);
        expect_match(cases[i].name, "observables", oo, to, shots, O);
        free(dets), free(obs), free(od), free(oo), free(td), free(to);
        qp_circuit_free(&c);
    }
}

Test(frame_gates, measurement_records_match_stim_sample) {
    char dir[4096];
    qp_test_vector_case cases[64];
    int n = qp_test_gates_cases(dir, sizeof dir, cases, 64);
    cr_assert_gt(n, 0);
    for (int i = 0; i < n; i++) {
        qp_circuit c;
        qp_err err = {{0}};
        parse_case(dir, cases[i].name, &c);
        uint64_t shots = cases[i].shots, ours = shots * OURS_PER_STIM;
        size_t M = c.num_measurements, rb = (M + 7) / 8;
        uint8_t *ref = malloc(rb + 1), *meas = malloc(ours * rb + 1);
        cr_assert_eq(qp_reference_sample(&c, ref, &err), 0, "%s: %s", cases[i].name, err.msg);
        uint64_t seed = name_seed(cases[i].name) + 3;
        cr_assert_eq(qp_frame_sample_measurements_b8(&c, NULL, seed, 0, 0, ours, ref, meas, &err), 0, "%s", err.msg);
        uint64_t *om = calloc(M + 1, sizeof *om);
        frame_counts_b8(meas, ours, rb, M, om);
        uint64_t *tm = counts_of_file(dir, cases[i].name, ".m.b8", shots, M);
        expect_match(cases[i].name, "measurements", om, tm, shots, M);
        free(ref), free(meas), free(om), free(tm);
        qp_circuit_free(&c);
    }
}
