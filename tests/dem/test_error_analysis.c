// Error analysis against Stim: for every circuit in the vectors, our DEM equals Stim's as a
// set of mechanisms (same detectors and observables, p within 1e-9 relative, same detector
// coordinates), undecomposed (.nodecomp.dem) and decomposed (.dem); every decomposition
// is graphlike and XORs to the physical mechanism; non-deterministic detectors are refused.
#include <criterion/criterion.h>
#include <dirent.h>
#include <string.h>

#include "tests/dem/dem_compare.h"
#include "tests/test_support.h"
#include "workers/circuit/circuit.h"
#include "workers/circuit/surface_code.h"
#include "workers/dem/error_analysis.h"

static void analyze(const char *stim_path, int decompose, int fold, qp_dem_flat *out) {
    qp_circuit c;
    qp_err err = {{0}};
    cr_assert_eq(qp_circuit_parse_file(&c, stim_path, &err), 0, "%s", err.msg);
    qp_error_analysis_options opt = {decompose, fold, 0};
    qp_dem d;
    cr_assert_eq(qp_error_analysis(&c, &opt, &d, &err), 0, "%s: %s", stim_path, err.msg);
    cr_assert_eq(qp_dem_flatten(&d, out, 0, &err), 0, "%s", err.msg);
    qp_dem_free(&d);
    qp_circuit_free(&c);
}

static void load(const char *path, qp_dem_flat *out) {
    qp_dem d;
    qp_err err = {{0}};
    cr_assert_eq(qp_dem_parse_file(&d, path, &err), 0, "%s", err.msg);
    cr_assert_eq(qp_dem_flatten(&d, out, 0, &err), 0, "%s", err.msg);
    qp_dem_free(&d);
}

// Compares one case; returns 1 if compared.
static int check_case(const char *dir, const char *name, int fold) {
    char stim[4096], dem[4096], nodecomp[4096];
    snprintf(stim, sizeof stim, "%s/%s.stim", dir, name);
    snprintf(dem, sizeof dem, "%s/%s.dem", dir, name);
    snprintf(nodecomp, sizeof nodecomp, "%s/%s.nodecomp.dem", dir, name);
    qp_dem_flat ours_nd, ours_d, theirs_nd, theirs_d;
    analyze(stim, 0, fold, &ours_nd);
    load(nodecomp, &theirs_nd);
    dem_diff diff;
    dem_compare(&ours_nd, &theirs_nd, &diff);
    cr_expect(diff.missing == 0 && diff.extra == 0 && diff.prob_mismatch == 0 && diff.coord_mismatch == 0,
              "%s (undecomposed): %zu missing, %zu extra, %zu p mismatches, %zu coordinate mismatches; %s",
              name, diff.missing, diff.extra, diff.prob_mismatch, diff.coord_mismatch, diff.first_problem);

    analyze(stim, 1, fold, &ours_d);
    load(dem, &theirs_d);
    dem_compare(&ours_d, &theirs_d, &diff);
    cr_expect(diff.missing == 0 && diff.extra == 0 && diff.prob_mismatch == 0 && diff.coord_mismatch == 0,
              "%s (decomposed): %zu missing, %zu extra, %zu p mismatches, %zu coordinate mismatches; %s",
              name, diff.missing, diff.extra, diff.prob_mismatch, diff.coord_mismatch, diff.first_problem);
    fprintf(stderr, "%s: %zu mechanisms, %zu/%zu decomposed exactly as Stim, max rel p err %.2g\n", name,
            diff.theirs, diff.decomp_same, diff.decomp_compared, diff.max_rel_err);
    cr_expect_eq(count_non_graphlike(&ours_d), 0, "%s: a component has more than two detectors", name);
    // Validity: the decomposed model flips exactly what the undecomposed one does.
    dem_compare(&ours_d, &ours_nd, &diff);
    cr_expect(diff.missing == 0 && diff.extra == 0 && diff.prob_mismatch == 0,
              "%s: decomposition changed what mechanisms flip: %s", name, diff.first_problem);
    qp_dem_flat_free(&ours_nd);
    qp_dem_flat_free(&ours_d);
    qp_dem_flat_free(&theirs_nd);
    qp_dem_flat_free(&theirs_d);
    return 1;
}

static int check_dir(const char *dir, const char *only_substring) {
    DIR *dd = opendir(dir);
    cr_assert(dd);
    struct dirent *e;
    int n = 0;
    while ((e = readdir(dd))) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".stim") != 0) continue;
        if (only_substring && !strstr(e->d_name, only_substring)) continue;
        if (!only_substring && strstr(e->d_name, "_r1000_")) continue;
        char name[512];
        snprintf(name, sizeof name, "%.*s", (int)(len - 5), e->d_name);
        n += check_case(dir, name, strstr(name, "_r1000_") != NULL);
    }
    closedir(dd);
    return n;
}

Test(error_analysis, shipped_circuits_match_stim) { cr_expect_gt(check_dir(qp_test_data_dir(), NULL), 0); }

Test(error_analysis, all_vector_circuits_match_stim) {
    QP_TEST_NEED_VECTORS(dir);
    cr_expect_geq(check_dir(dir, NULL), 18);
}

static void expect_refused(const char *text, const char *want) {
    qp_circuit c;
    qp_err err = {{0}};
    cr_assert_eq(qp_circuit_parse(&c, text, "t.stim", &err), 0, "%s", err.msg);
    qp_dem d;
    qp_error_analysis_options opt = {1, 0, 0};
    cr_expect_eq(qp_error_analysis(&c, &opt, &d, &err), -1, "accepted %s", text);
    cr_expect(strstr(err.msg, want) != NULL, "got '%s' want '%s'", err.msg, want);
    qp_circuit_free(&c);
}

Test(error_analysis, non_deterministic_detectors_are_refused) {
    expect_refused("H 0\nM 0\nDETECTOR(1, 2) rec[-1]\n", "detector D0 at coords (1, 2) is not deterministic");
    expect_refused("RX 0\nM 0\nDETECTOR rec[-1]\n", "D0 is not deterministic: it anticommutes with an X-basis reset (RX) on qubit 0 (circuit line 1)");
    expect_refused("R 0\nMX 0\nOBSERVABLE_INCLUDE(0) rec[-1]\n", "observable L0 is not deterministic");
    expect_refused("M 0\nDETECTOR rec[-1]\nSHIFT_COORDS(5)\nMX 1\nDETECTOR(1) rec[-1]\n", "D1 at coords (6)");
}

Test(error_analysis, small_circuit_by_hand) {
    // X_ERROR before M flips the detector; DEPOLARIZE1 gives X and Y parts (Z is invisible)
    // merged into one class: q(1-q)+q(1-q) with q = 1/2 - 1/2 sqrt(1 - 4p/3).
    qp_circuit c;
    qp_err err = {{0}};
    cr_assert_eq(qp_circuit_parse(&c, "R 0\nX_ERROR(0.1) 0\nDEPOLARIZE1(0.03) 0\nM(0.2) 0\nDETECTOR rec[-1]\n", "t", &err), 0, "%s", err.msg);
    qp_dem d;
    qp_error_analysis_options opt = {0, 0, 0};
    cr_assert_eq(qp_error_analysis(&c, &opt, &d, &err), 0, "%s", err.msg);
    qp_dem_flat f;
    cr_assert_eq(qp_dem_flatten(&d, &f, 0, &err), 0);
    cr_assert_eq(f.num_mechs, 1);
    double q = 0.5 - 0.5 * sqrt(1 - 4 * 0.03 / 3);
    double dep = q * (1 - q) * 2;
    double p = 0.1;
    p = p * (1 - dep) + (1 - p) * dep;
    p = p * (1 - 0.2) + (1 - p) * 0.2;
    cr_expect_float_eq(f.mechs[0].probability, p, 1e-15);
    qp_dem_flat_free(&f);
    qp_dem_free(&d);
    qp_circuit_free(&c);
}

Test(error_analysis, r1000_folded_flattens_to_stims_folded_model) {
    QP_TEST_NEED_VECTORS(dir);
    cr_expect_eq(check_dir(dir, "_r1000_"), 1);
}

static void analyze_text_size(const qp_circuit *c, int fold, qp_dem *d) {
    qp_err err = {{0}};
    qp_error_analysis_options opt = {1, fold, 0};
    cr_assert_eq(qp_error_analysis(c, &opt, d, &err), 0, "%s", err.msg);
}

Test(error_analysis, folding_matches_unfolded_and_stays_small) {
    // 40 rounds folded equals 40 rounds unrolled (as flattened sets of mechanisms).
    qp_err err = {{0}};
    qp_surface_params sp = qp_surface_params_uniform('z', 3, 40, 0.002);
    qp_circuit c;
    cr_assert_eq(qp_surface_code_generate(&c, &sp, &err), 0, "%s", err.msg);
    qp_dem folded, unrolled;
    analyze_text_size(&c, 1, &folded);
    analyze_text_size(&c, 0, &unrolled);
    int has_repeat = 0;
    for (size_t i = 0; i < folded.top.num_instrs; i++) has_repeat |= folded.top.instrs[i].kind == QP_DEM_REPEAT;
    cr_expect(has_repeat, "40-round model was not folded");
    qp_dem_flat ff, fu;
    cr_assert_eq(qp_dem_flatten(&folded, &ff, 0, &err), 0);
    cr_assert_eq(qp_dem_flatten(&unrolled, &fu, 0, &err), 0);
    dem_diff diff;
    dem_compare(&ff, &fu, &diff);
    cr_expect(diff.missing == 0 && diff.extra == 0 && diff.prob_mismatch == 0 && diff.coord_mismatch == 0,
              "folded != unrolled: %s", diff.first_problem);
    cr_expect_eq(diff.decomp_same, diff.decomp_compared);
    qp_dem_flat_free(&ff);
    qp_dem_flat_free(&fu);
    qp_dem_free(&folded);
    qp_dem_free(&unrolled);
    qp_circuit_free(&c);

    // 100,000 rounds of d=5: the folded text stays under 1 MB and counts every detector.
    sp = qp_surface_params_uniform('x', 5, 100000, 0.001);
    cr_assert_eq(qp_surface_code_generate(&c, &sp, &err), 0, "%s", err.msg);
    analyze_text_size(&c, 1, &folded);
    char *text = qp_dem_to_string(&folded, &err);
    cr_assert(text);
    cr_expect_lt(strlen(text), 1000000, "folded 100k-round DEM is %zu bytes", strlen(text));
    cr_expect_eq(folded.num_detectors, c.num_detectors);
    free(text);
    qp_dem_free(&folded);
    qp_circuit_free(&c);
}

// Flattened mechanisms of a small circuit, keyed by (single detector) for the tests below.
static double single_detector_p(const qp_dem_flat *f, uint64_t det) {
    double p = 0;
    for (size_t m = 0; m < f->num_mechs; m++) {
        const qp_dem_mechanism *x = &f->mechs[m];
        if (x->num_dets == 1 && f->dets[x->first_det] == det) {
            double q = x->probability;
            p = p * (1 - q) + (1 - p) * q;
        }
    }
    return p;
}

static void small_model(const char *text, qp_dem_flat *f) {
    qp_circuit c;
    qp_err err = {{0}};
    cr_assert_eq(qp_circuit_parse(&c, text, "t", &err), 0, "%s", err.msg);
    qp_dem d;
    qp_error_analysis_options opt = {0, 0, 0};
    cr_assert_eq(qp_error_analysis(&c, &opt, &d, &err), 0, "%s", err.msg);
    cr_assert_eq(qp_dem_flatten(&d, f, 0, &err), 0);
    qp_dem_free(&d);
    qp_circuit_free(&c);
}

Test(error_analysis, pauli_channel_1_converts_to_independent_parts) {
    // Qubit 0 measured in Z sees X and Y; qubit 1 measured in X sees Z and Y. The independent
    // parts must reproduce the exclusive probabilities: P(flip D0) = px + py, P(D1) = pz + py.
    qp_dem_flat f;
    small_model("R 0\nRX 1\nPAULI_CHANNEL_1(0.01, 0.02, 0.03) 0 1\nM 0\nMX 1\nDETECTOR rec[-2]\nDETECTOR rec[-1]\n", &f);
    cr_expect_float_eq(single_detector_p(&f, 0), 0.03, 1e-12);
    cr_expect_float_eq(single_detector_p(&f, 1), 0.05, 1e-12);
    qp_dem_flat_free(&f);
    // PAULI_CHANNEL_1(p/3, p/3, p/3) is DEPOLARIZE1(p).
    qp_dem_flat g, h;
    small_model("R 0 2\nH 2\nCX 2 0\nPAULI_CHANNEL_1(0.01, 0.01, 0.01) 0 2\nCX 2 0\nH 2\nM 0 2\nDETECTOR rec[-2]\nDETECTOR rec[-1]\n", &g);
    small_model("R 0 2\nH 2\nCX 2 0\nDEPOLARIZE1(0.03) 0 2\nCX 2 0\nH 2\nM 0 2\nDETECTOR rec[-2]\nDETECTOR rec[-1]\n", &h);
    dem_diff diff;
    dem_compare(&g, &h, &diff);
    cr_expect(diff.missing == 0 && diff.extra == 0 && diff.max_rel_err < 1e-12, "%s (max rel %g)", diff.first_problem,
              diff.max_rel_err);
    qp_dem_flat_free(&g);
    qp_dem_flat_free(&h);
}

Test(error_analysis, tags_keep_classes_apart_and_are_written) {
    // As Stim: errors from differently tagged instructions are separate classes; tagged
    // detectors are declared even without coordinates. 0.2 and 0.25 merge: 0.2*0.75 + 0.8*0.25.
    qp_circuit c;
    qp_err err = {{0}};
    cr_assert_eq(qp_circuit_parse(&c, "R 0 1\nX_ERROR[leak](0.1) 0\nX_ERROR(0.2) 0 1\nX_ERROR(0.25) 0\nM 0 1\n"
                                      "DETECTOR[det] rec[-2]\nDETECTOR rec[-1]\n", "t", &err), 0, "%s", err.msg);
    qp_dem d;
    qp_error_analysis_options opt = {0, 0, 0};
    cr_assert_eq(qp_error_analysis(&c, &opt, &d, &err), 0, "%s", err.msg);
    char *text = qp_dem_to_string(&d, &err);
    cr_expect_str_eq(text, "error(0.3500000000000000333) D0\nerror[leak](0.1000000000000000056) D0\n"
                           "error(0.2000000000000000111) D1\ndetector[det] D0\n");
    free(text);
    qp_dem_free(&d);
    qp_circuit_free(&c);
}

Test(error_analysis, nested_repeat_folds_to_the_unrolled_model) {
    const char *text =
        "R 0 1 2 3 4\n"
        "MR 1 3\n"
        "DETECTOR(1, 0) rec[-2]\nDETECTOR(3, 0) rec[-1]\n"
        "REPEAT 7 {\n"
        "    REPEAT 5 {\n"
        "        DEPOLARIZE1(0.01) 0 2 4\n"
        "        CX 0 1 2 3\n"
        "        DEPOLARIZE2(0.02) 0 1 2 3\n"
        "        CX 2 1 4 3\n"
        "        X_ERROR(0.02) 1 3\n"
        "        MR(0.01) 1 3\n"
        "        SHIFT_COORDS(0, 1)\n"
        "        DETECTOR(1, 0) rec[-2] rec[-4]\n"
        "        DETECTOR(3, 0) rec[-1] rec[-3]\n"
        "    }\n"
        "}\n"
        "M 0 2 4\n"
        "DETECTOR(1, 1) rec[-2] rec[-3] rec[-5]\nDETECTOR(3, 1) rec[-1] rec[-2] rec[-4]\n"
        "OBSERVABLE_INCLUDE(0) rec[-1]\n";
    qp_circuit c;
    qp_err err = {{0}};
    cr_assert_eq(qp_circuit_parse(&c, text, "t", &err), 0, "%s", err.msg);
    for (int decompose = 0; decompose < 2; decompose++) {
        qp_dem folded, unrolled;
        qp_error_analysis_options fo = {decompose, 1, 0}, uo = {decompose, 0, 0};
        cr_assert_eq(qp_error_analysis(&c, &fo, &folded, &err), 0, "%s", err.msg);
        cr_assert_eq(qp_error_analysis(&c, &uo, &unrolled, &err), 0, "%s", err.msg);
        int has_repeat = 0;
        for (size_t i = 0; i < folded.top.num_instrs; i++) has_repeat |= folded.top.instrs[i].kind == QP_DEM_REPEAT;
        cr_expect(has_repeat);
        qp_dem_flat ff, fu;
        cr_assert_eq(qp_dem_flatten(&folded, &ff, 0, &err), 0);
        cr_assert_eq(qp_dem_flatten(&unrolled, &fu, 0, &err), 0);
        dem_diff diff;
        dem_compare(&ff, &fu, &diff);
        cr_expect(diff.missing == 0 && diff.extra == 0 && diff.prob_mismatch == 0 && diff.coord_mismatch == 0,
                  "decompose=%d: folded != unrolled: %s", decompose, diff.first_problem);
        cr_expect_eq(ff.num_detectors, c.num_detectors);
        qp_dem_flat_free(&ff);
        qp_dem_flat_free(&fu);
        qp_dem_free(&folded);
        qp_dem_free(&unrolled);
    }
    qp_circuit_free(&c);
}

Test(error_analysis, wide_hyperedges_decompose_quickly_and_validly) {
    // Found by fuzzing: detectors over many measurements give errors flipping ~36 detectors,
    // where the search for known graphlike parts is exponential; it is budgeted, and what it
    // returns must still be graphlike and flip exactly what the undecomposed error flips.
    const char *text =
        "R 0 1 2 3 4\nMR 1 3\nDETECTOR(1, 0) rec[-2]\nDETECTOR(3, 0) rec[-1]\n"
        "REPEAT 7 {\n    REPEAT 5 {\n        DEPOLARIZE1(0.01) 0 2 4\n        CX 0 1 2 3\n        CX 2 1 4 6\n"
        "        X_ERROR(0.02) 1 3\n        MR(0.01) 1 3\n        SHIFT_COORDS(0, 1)\n"
        "        DETECTOR(1, 0) rec[-3] rec[-1] rec[-2]\n    }\n}\n"
        "M 2 4\nDETECTOR(1, 1) rec[-1] rec[-1] rec[-5]\nDETECTOR(3, 1) rec[-5] rec[-2] rec[-5]\n"
        "OBSERVABLE_INCLUDE(0) rec[-2]\n";
    qp_circuit c;
    qp_err err = {{0}};
    cr_assert_eq(qp_circuit_parse(&c, text, "t", &err), 0, "%s", err.msg);
    qp_dem dd, dn;
    qp_error_analysis_options od = {1, 0, 0}, on = {0, 0, 0};
    cr_assert_eq(qp_error_analysis(&c, &od, &dd, &err), 0, "%s", err.msg);
    cr_assert_eq(qp_error_analysis(&c, &on, &dn, &err), 0, "%s", err.msg);
    qp_dem_flat fd, fn;
    cr_assert_eq(qp_dem_flatten(&dd, &fd, 0, &err), 0);
    cr_assert_eq(qp_dem_flatten(&dn, &fn, 0, &err), 0);
    uint32_t widest = 0;
    for (size_t m = 0; m < fn.num_mechs; m++)
        if (fn.mechs[m].num_dets > widest) widest = fn.mechs[m].num_dets;
    cr_expect_geq(widest, 30);
    cr_expect_eq(count_non_graphlike(&fd), 0);
    dem_diff diff;
    dem_compare(&fd, &fn, &diff);
    cr_expect(diff.missing == 0 && diff.extra == 0 && diff.prob_mismatch == 0, "%s", diff.first_problem);
    qp_dem_flat_free(&fd);
    qp_dem_flat_free(&fn);
    qp_dem_free(&dd);
    qp_dem_free(&dn);
    qp_circuit_free(&c);
}

Test(error_analysis, classical_feedback_through_xcz_and_ycz) {
    // XCZ 1 rec[-1] = CX rec[-1] 1 and YCZ 1 rec[-1] = CY rec[-1] 1: an X error before M 0 flips
    // the record bit, the feedback flips qubit 1, and M 1's detector sees it (p = 0.1).
    // A fuzzer found error analysis reading these pairs as two qubits (past the qubit arrays).
    const char *texts[] = {"R 0 1\nX_ERROR(0.1) 0\nM 0\nXCZ 1 rec[-1]\nM 1\nDETECTOR rec[-1]\n",
                           "R 0 1\nX_ERROR(0.1) 0\nM 0\nYCZ 1 rec[-1]\nM 1\nDETECTOR rec[-1]\n"};
    for (int i = 0; i < 2; i++) {
        qp_circuit c;
        qp_err err = {{0}};
        cr_assert_eq(qp_circuit_parse(&c, texts[i], "t", &err), 0, "%s", err.msg);
        qp_dem d;
        qp_error_analysis_options opt = {0, 0, 0};
        cr_assert_eq(qp_error_analysis(&c, &opt, &d, &err), 0, "%s", err.msg);
        qp_dem_flat f;
        cr_assert_eq(qp_dem_flatten(&d, &f, 0, &err), 0);
        cr_assert_eq(f.num_mechs, 1, "%s", texts[i]);
        cr_expect_float_eq(f.mechs[0].probability, 0.1, 1e-15);
        qp_dem_flat_free(&f);
        qp_dem_free(&d);
        qp_circuit_free(&c);
    }
}
