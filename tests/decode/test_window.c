// Windowed decoding (workers/decode/window.h):
//   - a folded repetition-code model (phenomenological noise, 300 rounds, written by hand; unequal
//     probabilities, so that exact matchers do not face ties that change the prediction):
//     the layout (windows, shared interior decoder), and on 2,000 sampled shots windowed
//     mwpm, uf and mwpm-corr against global mwpm: mistakes within 3 binomial standard
//     deviations of global's (sigma = sqrt(n p (1-p)), p = global mistakes / n) and the same
//     prediction on at least 97 % of shots;
//   - a model without a repeat block is one window, with global matching's predictions
//     (the shipped d=3 case);
//   - the 1,000-round reference vectors (../shared/vectors, skipped with a notice when
//     absent): W = 50 windowed mwpm's mistakes against NAME.obs.b8 within 3 binomial standard
//     deviations of the MANIFEST's pymatching_mistakes (same sigma as above), and the same
//     prediction as NAME.pymatching.01 on at least 99 % of shots;
//   - bad windows: commit > window, a window no longer than the time depth, a buffer shorter
//     than it: one line each, naming the numbers.
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tests/test_support.h"
#include "workers/decode/decoder.h"
#include "workers/decode/window.h"
#include "workers/dem/dem.h"
#include "workers/util/rng.h"

// Repetition code d=3, R rounds: detectors 2r, 2r+1; data errors p, measurement errors q.
#define REP_ROUNDS 300
static const char *rep_dem =
    "error(0.011) D0 L0\nerror(0.008) D0 D1\nerror(0.013) D1\n"
    "repeat 299 {\n"
    "  error(0.009) D0 D2\n  error(0.012) D1 D3\n"
    "  error(0.011) D2 L0\n  error(0.008) D2 D3\n  error(0.013) D3\n"
    "  shift_detectors 2\n"
    "}\n"
    "error(0.009) D0 D2\nerror(0.012) D1 D3\n";

// Samples n shots of rep_dem: dets (n, bytes) b8, obs (n) actual flips.
static void sample_rep(uint64_t seed, size_t n, uint8_t *dets, size_t bytes, uint8_t *obs) {
    uint64_t s = seed;
    memset(dets, 0, n * bytes);
    for (size_t k = 0; k < n; k++) {
        uint8_t *rec = dets + k * bytes;
        obs[k] = 0;
#define FLIP(d) (rec[(d) >> 3] ^= (uint8_t)(1u << ((d) & 7)))
#define DRAW(p) (((s = s * 6364136223846793005ull + 1442695040888963407ull) >> 11) * 0x1.0p-53 < (p))
        for (int r = 0; r < REP_ROUNDS; r++) {
            int a = 2 * r, b = 2 * r + 1;
            if (r > 0) {
                if (DRAW(0.009)) FLIP(a - 2), FLIP(a);
                if (DRAW(0.012)) FLIP(b - 2), FLIP(b);
            }
            if (DRAW(0.011)) FLIP(a), obs[k] ^= 1;
            if (DRAW(0.008)) FLIP(a), FLIP(b);
            if (DRAW(0.013)) FLIP(b);
        }
        int a = 2 * REP_ROUNDS, b = a + 1;  // the tail: final time-like errors
        if (DRAW(0.009)) FLIP(a - 2), FLIP(a);
        if (DRAW(0.012)) FLIP(b - 2), FLIP(b);
#undef FLIP
#undef DRAW
    }
}

static void parse(qp_dem *d, const char *text) {
    qp_err err = {{0}};
    qp_dem_init(d);
    cr_assert_eq(qp_dem_parse(d, text, "test.dem", &err), 0, "%s", err.msg);
}

Test(window, layout_of_folded_model) {
    qp_dem d;
    parse(&d, rep_dem);
    qp_err err = {{0}};
    qp_window_layout l;
    qp_window_options o = {.window = 20, .commit = 10};
    cr_assert_eq(qp_window_layout_of(&d, &o, &l, &err), 0, "%s", err.msg);
    cr_expect_eq(l.head, 0, "the repeat starts at detector 0 (the head's errors use D0, D1)");
    cr_expect_eq(l.step, 2);
    cr_expect_eq(l.iterations, 299);
    cr_expect_eq(l.period, 1);
    cr_expect_eq(l.depth_its, 1);
    cr_expect_eq(l.num_windows, 1 + (299 - 20 + 9) / 10);
    uint64_t lo, hi, ce, prev_ce = 0;
    for (uint64_t j = 0; j < l.num_windows; j++) {  // windows tile the model, commits follow each other
        qp_window_range(&l, j, &lo, &hi, &ce);
        cr_expect_eq(lo, prev_ce, "window %llu starts at its predecessor's commit line", (unsigned long long)j);
        cr_expect(ce <= hi && hi <= l.num_detectors && lo < ce);
        prev_ce = ce;
    }
    cr_expect_eq(prev_ce, d.num_detectors, "the last window commits the rest");
    qp_dem_free(&d);
}

static void compare_rep(const char *kind) {
    qp_dem d;
    parse(&d, rep_dem);
    qp_err err = {{0}};
    size_t n = qp_test_quick() ? 400 : 2000, bytes = (d.num_detectors + 7) / 8;
    uint8_t *dets = malloc(n * bytes), *obs = malloc(n), *pg = malloc(n), *pw = malloc(n);
    sample_rep(7, n, dets, bytes, obs);
    qp_decoder *global = qp_decoder_create("mwpm", &d, &err);
    cr_assert(global, "%s", err.msg);
    qp_window_options o = {.window = 24, .commit = 12};
    qp_decoder *win = qp_decoder_create_windowed(kind, &d, &o, &err);
    cr_assert(win, "%s", err.msg);
    cr_assert_eq(qp_decoder_num_detectors(win), d.num_detectors);
    cr_assert_eq(qp_decoder_decode_batch(global, dets, n, bytes, pg, NULL, &err), 0, "%s", err.msg);
    cr_assert_eq(qp_decoder_decode_batch(win, dets, n, bytes, pw, NULL, &err), 0, "%s", err.msg);
    size_t mg = 0, mw = 0, same = 0;
    for (size_t k = 0; k < n; k++) mg += pg[k] != obs[k], mw += pw[k] != obs[k], same += pg[k] == pw[k];
    double p = (double)mg / (double)n, sigma = sqrt((double)n * p * (1 - p));
    printf("window %s: %zu shots, mistakes windowed %zu global mwpm %zu (3 sigma = %.1f), same prediction %zu\n",
           kind, n, mw, mg, 3 * sigma, same);
    cr_expect(mg > 20, "the model is noisy enough to test anything (%zu mistakes)", mg);
    cr_expect(fabs((double)mw - (double)mg) <= 3 * sigma, "%s windowed %zu vs global %zu mistakes", kind, mw, mg);
    cr_expect(same >= 0.97 * (double)n, "%s: same prediction on %zu of %zu shots", kind, same, n);
    qp_decoder_free(global);
    qp_decoder_free(win);
    free(dets), free(obs), free(pg), free(pw);
    qp_dem_free(&d);
}

Test(window, mwpm_matches_global_on_folded_model) { compare_rep("mwpm"); }
Test(window, uf_matches_global_on_folded_model) { compare_rep("uf"); }
Test(window, corr_matches_global_on_folded_model) { compare_rep("mwpm-corr"); }

Test(window, model_without_repeat_is_one_global_window) {
    char path[4096];
    const char *name = "surface_x_d3_r3_p0.003";
    snprintf(path, sizeof path, "%s/%s.dem", qp_test_data_dir(), name);
    qp_dem d;
    qp_err err = {{0}};
    qp_dem_init(&d);
    cr_assert_eq(qp_dem_parse_file(&d, path, &err), 0, "%s", err.msg);
    snprintf(path, sizeof path, "%s/%s.dets.b8", qp_test_data_dir(), name);
    size_t len = 0, bytes = (d.num_detectors + 7) / 8;
    uint8_t *dets = (uint8_t *)qp_test_read_file(path, &len);
    cr_assert(dets && len % bytes == 0);
    size_t n = len / bytes;
    qp_window_options o = {.window = 10};
    qp_decoder *g = qp_decoder_create("mwpm", &d, &err), *w = qp_decoder_create_windowed("mwpm", &d, &o, &err);
    cr_assert(g && w, "%s", err.msg);
    cr_expect_eq(qp_decoder_window_layout(w)->num_windows, 1);
    uint8_t *pg = malloc(n), *pw = malloc(n);
    cr_assert_eq(qp_decoder_decode_batch(g, dets, n, bytes, pg, NULL, &err), 0, "%s", err.msg);
    cr_assert_eq(qp_decoder_decode_batch(w, dets, n, bytes, pw, NULL, &err), 0, "%s", err.msg);
    size_t diff = 0;
    for (size_t k = 0; k < n; k++) diff += pg[k] != pw[k];
    cr_expect_eq(diff, 0, "one window is global matching (%zu of %zu shots differ)", diff, n);
    qp_decoder_free(g), qp_decoder_free(w);
    free(dets), free(pg), free(pw);
    qp_dem_free(&d);
}

Test(window, thousand_round_vectors_within_statistics_of_pymatching, .timeout = 600) {
    const char *dir = qp_test_vectors_dir();
    if (!dir) return;
    qp_test_vector_case cases[64];
    int nc = qp_test_read_manifest(dir, cases, 64), tested = 0;
    for (int c = 0; c < nc; c++) {
        if (cases[c].rounds != 1000) continue;
        char path[4096];
        snprintf(path, sizeof path, "%.3000s/%.200s.dem", dir, cases[c].name);
        qp_dem d;
        qp_err err = {{0}};
        qp_dem_init(&d);
        if (qp_dem_parse_file(&d, path, &err) != 0) {
            printf("NOTICE: %s missing; skipped\n", path);
            qp_dem_free(&d);
            continue;
        }
        size_t bytes = (d.num_detectors + 7) / 8, len = 0, olen = 0, plen = 0;
        snprintf(path, sizeof path, "%.3000s/%.200s.dets.b8", dir, cases[c].name);
        uint8_t *dets = (uint8_t *)qp_test_read_file(path, &len);
        snprintf(path, sizeof path, "%.3000s/%.200s.obs.b8", dir, cases[c].name);
        uint8_t *obs = (uint8_t *)qp_test_read_file(path, &olen);
        snprintf(path, sizeof path, "%.3000s/%.200s.pymatching.01", dir, cases[c].name);
        char *pm = qp_test_read_file(path, &plen);
        cr_assert(dets && obs && pm && len == cases[c].shots * bytes && olen == cases[c].shots);
        size_t n = qp_test_quick() ? 500 : cases[c].shots;
        qp_window_options o = {.window = 50};
        qp_decoder *w = qp_decoder_create_windowed("mwpm", &d, &o, &err);
        cr_assert(w, "%s", err.msg);
        uint8_t *pred = malloc(n);
        cr_assert_eq(qp_decoder_decode_batch(w, dets, n, bytes, pred, NULL, &err), 0, "%s", err.msg);
        size_t mistakes = 0, pm_mistakes = 0, same = 0;
        for (size_t k = 0; k < n; k++) {
            mistakes += (pred[k] & 1) != (obs[k] & 1);
            pm_mistakes += (pm[2 * k] == '1') != (obs[k] & 1);  // 01 lines: "0\n" / "1\n"
            same += (pred[k] & 1) == (pm[2 * k] == '1');
        }
        if (n == cases[c].shots) cr_expect_eq(pm_mistakes, cases[c].pm_mistakes, "MANIFEST agrees with its files");
        double p = (double)pm_mistakes / (double)n, sigma = sqrt((double)n * p * (1 - p));
        printf("window W=50 %s: %zu shots, %zu windows, mistakes %zu, PyMatching global %zu (3 sigma = %.1f), "
               "same prediction %zu\n", cases[c].name, n, (size_t)qp_decoder_window_layout(w)->num_windows,
               mistakes, pm_mistakes, 3 * sigma, same);
        cr_expect(fabs((double)mistakes - (double)pm_mistakes) <= 3 * sigma, "%s: %zu vs %zu", cases[c].name,
                  mistakes, pm_mistakes);
        cr_expect(same >= 0.99 * (double)n, "%s: same prediction on %zu of %zu shots", cases[c].name, same, n);
        qp_decoder_free(w);
        free(dets), free(obs), free(pm), free(pred);
        qp_dem_free(&d);
        tested++;
    }
    if (!tested) printf("NOTICE: no 1,000-round case in %s; skipped\n", dir);
}

static void expect_bad(uint64_t W, uint64_t C, const char *needle) {
    qp_dem d;
    parse(&d, rep_dem);
    qp_err err = {{0}};
    qp_window_options o = {.window = W, .commit = C};
    qp_decoder *w = qp_decoder_create_windowed("mwpm", &d, &o, &err);
    cr_expect_null(w, "W=%llu C=%llu accepted", (unsigned long long)W, (unsigned long long)C);
    cr_expect(strstr(err.msg, needle) && !strchr(err.msg, '\n'), "message: %s", err.msg);
    qp_decoder_free(w);
    qp_dem_free(&d);
}

Test(window, bad_windows_are_one_clear_error) {
    expect_bad(10, 11, "commit region of 11 rounds is larger than the window of 10 rounds");
    expect_bad(1, 0, "window of 1 rounds is not longer than the detector graph's time depth (1 rounds");
    expect_bad(10, 10, "leaves a buffer shorter than the detector graph's time depth (1 rounds); use a commit of at most 9");
    expect_bad(0, 0, "window: must be at least 1 round");
}
