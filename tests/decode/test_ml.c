// The exact maximum-likelihood decoder (workers/decode/ml.h):
//   - on tiny DEMs (hand-built, and random ones from a fixed seed) its joint distribution equals
//     a brute-force sum over all 2^M subsets of mechanisms, and its decision per syndrome is the
//     brute force's likeliest observable mask (ties: the smaller mask);
//   - on the d=3, 3-round reference vectors (NAME.nodecomp.dem) its predictions equal the
//     MANIFEST's optimal predictions (NAME.optimal.01) on every shot except exact ties (margin
//     0), and its mistakes equal optimal_mistakes;
//   - a model too large for the table is refused with one clear error.
#include <criterion/criterion.h>
#pragma GCC diagnostic ignored "-Wformat-truncation"  // paths are short in practice
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tests/test_support.h"
#include "workers/decode/ml.h"
#include "workers/dem/dem.h"
#include "workers/dem/dem_flatten.h"

// Brute force: P(syndrome | obs << D) summed over every subset of the flattened mechanisms.
static double *brute_joint(const qp_dem *dem) {
    qp_dem_flat f;
    qp_err err;
    cr_assert_eq(qp_dem_flatten(dem, &f, 0, &err), 0, "%s", err.msg);
    cr_assert_leq(f.num_mechs, 20, "brute force is for tiny models");
    uint64_t D = f.num_detectors, bits = D + f.num_observables;
    double *P = calloc((size_t)1 << bits, sizeof *P);
    for (uint64_t subset = 0; subset < (1ull << f.num_mechs); subset++) {
        double prob = 1;
        uint64_t x = 0;
        for (size_t i = 0; i < f.num_mechs; i++) {
            const qp_dem_mechanism *m = &f.mechs[i];
            if (subset >> i & 1) {
                prob *= m->probability;
                x ^= m->observables << D;
                for (uint32_t j = 0; j < m->num_dets; j++) x ^= 1ull << f.dets[m->first_det + j];
            } else {
                prob *= 1 - m->probability;
            }
        }
        P[x] += prob;
    }
    qp_dem_flat_free(&f);
    return P;
}

static void check_against_brute_force(const char *text) {
    qp_dem dem;
    qp_err err;
    qp_dem_init(&dem);
    cr_assert_eq(qp_dem_parse(&dem, text, "tiny.dem", &err), 0, "%s", err.msg);
    double *want = brute_joint(&dem), *got;
    uint64_t D;
    uint32_t K;
    cr_assert_eq(qp_ml_joint(&dem, &got, &D, &K, &err), 0, "%s", err.msg);
    double total = 0;
    for (uint64_t x = 0; x < (1ull << (D + K)); x++) {
        cr_assert(fabs(got[x] - want[x]) <= 1e-12 * want[x] + 1e-300,
                  "P[%llu]: table %.17g, brute force %.17g\n%s", (unsigned long long)x, got[x], want[x], text);
        total += got[x];
    }
    cr_assert(fabs(total - 1) < 1e-12, "probabilities sum to %.17g", total);
    qp_ml *ml = qp_ml_create(&dem, &err);
    cr_assert(ml, "%s", err.msg);
    for (uint64_t s = 0; s < (1ull << D); s++) {
        uint64_t best = 0;
        for (uint64_t L = 1; L < (1ull << K); L++)
            if (want[s | L << D] > want[s | best << D]) best = L;
        uint8_t rec[8] = {0};
        for (uint64_t b = 0; b < D; b++) rec[b / 8] |= (uint8_t)((s >> b & 1) << (b % 8));
        uint64_t obs;
        double margin;
        qp_ml_decode_b8(ml, rec, &obs, &margin);
        // Brute force and table may order a near-tie differently only within rounding.
        int near_tie = fabs(want[s | obs << D] - want[s | best << D]) <= 1e-12 * want[s | best << D];
        cr_assert(obs == best || near_tie, "syndrome %llu: ml %llu, brute force %llu\n%s", (unsigned long long)s,
                  (unsigned long long)obs, (unsigned long long)best, text);
        cr_assert(margin >= 0, "margin %g", margin);
    }
    qp_ml_free(ml);
    free(got);
    free(want);
    qp_dem_free(&dem);
}

Test(ml, hand_built_models_match_brute_force) {
    // A repetition-code-like chain with a boundary, a hyperedge, a decomposed error (`^`: the
    // mechanism flips the XOR of its parts), two observables and a repeat with shifts.
    check_against_brute_force("error(0.1) D0 L0\n"
                              "error(0.2) D0 D1\n"
                              "error(0.05) D1 D2 D3\n"
                              "error(0.15) D2 ^ D3 L1\n"
                              "error(0.3) L0 L1\n"
                              "error(0.5) D1\n"
                              "repeat 2 {\n"
                              "  error(0.01) D3 D4 L0\n"
                              "  shift_detectors 1\n"
                              "}\n"
                              "detector D6\n");
    // Exact ties: a single mechanism of probability 1/2 flipping only L0 makes every syndrome
    // a tie, decided as "no flip".
    check_against_brute_force("error(0.5) L0\nerror(0.1) D0 L0\nerror(0.2) D0 D1\n");
    // Probability 0 and 1, and no observables at all.
    check_against_brute_force("error(0) D0\nerror(1) D1\nerror(0.25) D0 D1\n");
}

Test(ml, random_tiny_models_match_brute_force) {
    uint64_t state = 12345;
    for (int trial = 0; trial < 40; trial++) {
        char text[4096];
        size_t at = 0;
        int D = 1 + trial % 6, K = trial % 3, M = 3 + trial % 12;
        for (int m = 0; m < M; m++) {
            state = state * 6364136223846793005ull + 1442695040888963407ull;
            double p = (double)((state >> 33) % 1000) / 2000.0;  // [0, 0.5)
            at += (size_t)snprintf(text + at, sizeof text - at, "error(%.4f)", p);
            for (int b = 0; b < D + K; b++)
                if (state >> (b + 3) & 1)
                    at += (size_t)snprintf(text + at, sizeof text - at, b < D ? " D%d" : " L%d", b < D ? b : b - D);
            at += (size_t)snprintf(text + at, sizeof text - at, "\n");
        }
        at += (size_t)snprintf(text + at, sizeof text - at, "detector D%d\n", D - 1);
        for (int k = 0; k < K; k++) at += (size_t)snprintf(text + at, sizeof text - at, "logical_observable L%d\n", k);
        check_against_brute_force(text);
    }
}

Test(ml, refuses_models_too_large_for_the_table) {
    qp_dem dem;
    qp_err err;
    qp_dem_init(&dem);
    cr_assert_eq(qp_dem_parse(&dem, "error(0.1) D0 D29 L0\n", "big.dem", &err), 0, "%s", err.msg);
    cr_assert_null(qp_ml_create(&dem, &err));
    cr_assert(strstr(err.msg, "30 detectors and 1 observables") && strstr(err.msg, "limited to 25 bits"), "%s", err.msg);
    qp_dem_free(&dem);
}

// The d=3, 3-round vectors: predictions equal NAME.optimal.01 except at exact ties.
Test(ml, equals_the_optimal_predictions_on_the_d3_vectors, .timeout = 600) {
    QP_TEST_NEED_VECTORS(dir);
    qp_test_vector_case cases[64];
    int n = qp_test_read_manifest(dir, cases, 64), checked = 0;
    // Two cases by default (each table takes seconds to build); QECPIPE_ML_ALL=1 checks all six.
    const char *keep[] = {"surface_z_d3_r3_p0.005", "surface_x_d3_r3_p0.003"};
    for (int i = 0; i < n; i++) {
        const qp_test_vector_case *c = &cases[i];
        if (c->optimal_mistakes == QP_TEST_ABSENT) continue;
        if (!getenv("QECPIPE_ML_ALL") && strcmp(c->name, keep[0]) && strcmp(c->name, keep[1])) continue;
        char path[4096];
        qp_err err;
        qp_dem dem;
        qp_dem_init(&dem);
        snprintf(path, sizeof path, "%s/%s.nodecomp.dem", dir, c->name);
        cr_assert_eq(qp_dem_parse_file(&dem, path, &err), 0, "%s", err.msg);
        qp_ml *ml = qp_ml_create(&dem, &err);
        cr_assert(ml, "%s: %s", c->name, err.msg);
        qp_dem_free(&dem);
        size_t len_dets, len_obs, len_opt;
        snprintf(path, sizeof path, "%s/%s.dets.b8", dir, c->name);
        uint8_t *dets = (uint8_t *)qp_test_read_file(path, &len_dets);
        snprintf(path, sizeof path, "%s/%s.obs.b8", dir, c->name);
        uint8_t *obs = (uint8_t *)qp_test_read_file(path, &len_obs);
        snprintf(path, sizeof path, "%s/%s.optimal.01", dir, c->name);
        char *opt = qp_test_read_file(path, &len_opt);
        cr_assert(dets && obs && opt, "%s: missing files", c->name);
        size_t bps = (c->detectors + 7) / 8;
        cr_assert_eq(len_opt, 2 * c->shots);
        uint64_t mistakes = 0, ties = 0;
        for (uint64_t s = 0; s < c->shots; s++) {
            uint64_t pred;
            double margin;
            qp_ml_decode_b8(ml, dets + s * bps, &pred, &margin);
            mistakes += (pred & 1) != (obs[s] & 1);
            if ((int)pred != (opt[2 * s] == '1')) {
                cr_assert(margin < 1e-9, "%s shot %llu: ml %d, optimal.01 %c, margin %g (not a tie)", c->name,
                          (unsigned long long)s, (int)pred, opt[2 * s], margin);
                ties++;
            }
        }
        cr_assert_eq(mistakes, c->optimal_mistakes, "%s: %llu mistakes, MANIFEST optimal %llu (%llu ties differ)",
                     c->name, (unsigned long long)mistakes, (unsigned long long)c->optimal_mistakes,
                     (unsigned long long)ties);
        printf("%s: ml %llu mistakes = optimal (pymatching %llu)\n", c->name, (unsigned long long)mistakes,
               (unsigned long long)c->pm_mistakes);
        free(dets);
        free(obs);
        free(opt);
        qp_ml_free(ml);
        checked++;
    }
    cr_assert_geq(checked, 1, "no d=3 case with optimal_mistakes in the MANIFEST");
}
