// Error analysis of the whole circuit language against Stim: for every case of
// vectors/gates (random circuits using every instruction, plus `stim gen` repetition,
// unrotated-surface and color codes) our DEM equals Stim's as a set of mechanisms (same
// detectors and observables, p within 1e-9 relative, same coordinates). gates_* models were
// made with --approximate_disjoint_errors, gen_* without; `.decomposed.dem` (where Stim could
// decompose) is compared decomposed. Strict mode refuses what Stim refuses without the flag.
#include <criterion/criterion.h>
#include <string.h>

#include "tests/dem/dem_compare.h"
#include "tests/test_support.h"
#include "workers/circuit/circuit.h"
#include "workers/dem/error_analysis.h"

static int analyze(const char *stim_path, qp_error_analysis_options opt, qp_dem_flat *out, qp_err *err) {
    qp_circuit c;
    cr_assert_eq(qp_circuit_parse_file(&c, stim_path, err), 0, "%s", err->msg);
    qp_dem d;
    int rc = qp_error_analysis(&c, &opt, &d, err);
    qp_circuit_free(&c);
    if (rc) return rc;
    cr_assert_eq(qp_dem_flatten(&d, out, 0, err), 0, "%s", err->msg);
    qp_dem_free(&d);
    return 0;
}

static void compare_with(const char *dir, const char *name, const char *suffix, qp_error_analysis_options opt) {
    char stim[4096], dem[4096];
    snprintf(stim, sizeof stim, "%.3000s/%.200s.stim", dir, name);
    snprintf(dem, sizeof dem, "%.3000s/%.200s%.50s", dir, name, suffix);
    qp_dem_flat ours, theirs;
    qp_err err = {{0}};
    cr_assert_eq(analyze(stim, opt, &ours, &err), 0, "%s: %s", name, err.msg);
    qp_dem d;
    cr_assert_eq(qp_dem_parse_file(&d, dem, &err), 0, "%s", err.msg);
    cr_assert_eq(qp_dem_flatten(&d, &theirs, 0, &err), 0, "%s", err.msg);
    qp_dem_free(&d);
    dem_diff diff;
    dem_compare(&ours, &theirs, &diff);
    cr_expect(diff.missing == 0 && diff.extra == 0 && diff.prob_mismatch == 0 && diff.coord_mismatch == 0,
              "%s%s: %zu missing, %zu extra, %zu p mismatches, %zu coordinate mismatches; %s", name, suffix,
              diff.missing, diff.extra, diff.prob_mismatch, diff.coord_mismatch, diff.first_problem);
    cr_expect_gt(diff.theirs, 0, "%s: empty model", name);
    qp_dem_flat_free(&ours);
    qp_dem_flat_free(&theirs);
}

Test(gates_dem, every_case_matches_stim) {
    char dir[4096];
    qp_test_vector_case cases[64];
    int n = qp_test_gates_cases(dir, sizeof dir, cases, 64);
    cr_assert_gt(n, 0, "no gates MANIFEST under %s", dir);
    for (int i = 0; i < n; i++) {
        int gen = strncmp(cases[i].name, "gen_", 4) == 0;
        compare_with(dir, cases[i].name, ".dem", (qp_error_analysis_options){0, 0, gen});
        char path[4096];
        snprintf(path, sizeof path, "%.3000s/%.200s.decomposed.dem", dir, cases[i].name);
        FILE *f = fopen(path, "r");
        if (f) {
            fclose(f);
            compare_with(dir, cases[i].name, ".decomposed.dem", (qp_error_analysis_options){1, 0, 1});
        }
    }
    fprintf(stderr, "gates_dem: %d cases compared with Stim's models\n", n);
}

static void expect_refused(const char *text, const char *want) {
    qp_circuit c;
    qp_err err = {{0}};
    cr_assert_eq(qp_circuit_parse(&c, text, "t", &err), 0, "%s", err.msg);
    qp_error_analysis_options strict = {0, 0, 1}, loose = {0, 0, 0};
    qp_dem d;
    cr_expect_neq(qp_error_analysis(&c, &strict, &d, &err), 0, "strict analysis of <<%s>> should fail", text);
    cr_expect(strstr(err.msg, want) && strstr(err.msg, "--approximate-disjoint-errors"), "message: %s", err.msg);
    cr_expect_eq(qp_error_analysis(&c, &loose, &d, &err), 0, "%s", err.msg);
    qp_dem_free(&d);
    qp_circuit_free(&c);
}

Test(gates_dem, strict_mode_refuses_like_stim_without_the_flag) {
    expect_refused("R 0\nHERALDED_ERASE(0.01) 0\nM 0\nDETECTOR rec[-1]\nDETECTOR rec[-2]\n", "HERALDED_ERASE");
    expect_refused("R 0 1\nPAULI_CHANNEL_2(0,0,0,0.1,0,0,0,0,0,0,0,0,0.2,0,0) 0 1\nM 0 1\nDETECTOR rec[-1]\n",
                   "PAULI_CHANNEL_2");
    expect_refused("R 0\nE(0.1) X0\nELSE_CORRELATED_ERROR(0.2) Y0\nM 0\nDETECTOR rec[-1]\n", "ELSE_CORRELATED_ERROR");
}

// Hand-checked models of the constructs the random circuits do not use: feedback,
// OBSERVABLE_INCLUDE of a Pauli, MPAD with noise, an ELSE chain's probabilities.
Test(gates_dem, small_models_by_hand) {
    const char *text =
        "R 0 1\nX_ERROR(0.125) 0\nM 0\nCX rec[-1] 1\nM 1\nDETECTOR rec[-1]\n"  // feedback copies the flip
        "MPAD(0.25) 0\nDETECTOR rec[-1]\n"
        "R 2\nE(0.5) X2\nELSE_CORRELATED_ERROR(0.5) X2 Z2\nOBSERVABLE_INCLUDE(0) Z2\n";
    qp_circuit c;
    qp_err err = {{0}};
    cr_assert_eq(qp_circuit_parse(&c, text, "t", &err), 0, "%s", err.msg);
    qp_error_analysis_options opt = {0, 0, 0};
    qp_dem d;
    cr_assert_eq(qp_error_analysis(&c, &opt, &d, &err), 0, "%s", err.msg);
    char *s = qp_dem_to_string(&d, &err);
    cr_expect(strstr(s, "error(0.125) D0\n") != NULL, "%s", s);
    cr_expect(strstr(s, "error(0.25) D1\n") != NULL, "%s", s);
    // E(0.5) X2 and ELSE(0.5) X2 Z2 both flip L0: 0.5 and 0.5 * (1 - 0.5) merge to 0.5.
    cr_expect(strstr(s, "error(0.5) L0\n") != NULL, "%s", s);
    free(s);
    qp_dem_free(&d);
    qp_circuit_free(&c);
}
