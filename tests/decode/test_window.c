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

#include "tests/decode/rep_model.h"

static void parse(qp_dem *d, const char *text) {
    qp_err err = {{0}};
    qp_dem_init(d);
    cr_assert_eq(qp_dem_parse(d, text, "test.dem", &err), 0, "%s", err.msg);
}

// The committed regions of a plan tile the model: SLIDE [lo, commit_end), ENTRY
// [keep_from, commit_end), SEAM [lo, hi), in detector order without gaps or overlaps.
static void check_plan_tiles(const qp_window *w, uint64_t num_detectors) {
    const qp_window_span *sp;
    size_t n = qp_window_plan(w, &sp);
    uint64_t *from = malloc(n * sizeof *from), *to = malloc(n * sizeof *to);
    for (size_t j = 0; j < n; j++) {
        from[j] = sp[j].kind == QP_WINDOW_SEAM ? sp[j].lo : sp[j].keep_from;
        to[j] = sp[j].kind == QP_WINDOW_SEAM ? sp[j].hi : sp[j].commit_end;
        cr_expect(sp[j].lo <= from[j] && from[j] < to[j] && to[j] <= sp[j].hi && sp[j].hi <= num_detectors,
                  "span %zu: [%llu, %llu) commits [%llu, %llu)", j, (unsigned long long)sp[j].lo,
                  (unsigned long long)sp[j].hi, (unsigned long long)from[j], (unsigned long long)to[j]);
    }
    for (size_t i = 1; i < n; i++)  // sort by start (n is small)
        for (size_t j = i; j > 0 && from[j - 1] > from[j]; j--) {
            uint64_t t = from[j]; from[j] = from[j - 1]; from[j - 1] = t;
            t = to[j]; to[j] = to[j - 1]; to[j - 1] = t;
        }
    uint64_t at = 0;
    for (size_t j = 0; j < n; j++) {
        cr_expect_eq(from[j], at, "committed regions tile the model (gap or overlap at %llu)", (unsigned long long)at);
        at = to[j];
    }
    cr_expect_eq(at, num_detectors, "the last window commits the rest");
    free(from), free(to);
}

Test(window, layout_of_folded_model) {
    qp_dem d;
    parse(&d, rep_dem);
    qp_err err = {{0}};
    qp_window_layout l;
    qp_window_options o = {.window = 20, .commit = 10, .segment = 60};
    cr_assert_eq(qp_window_layout_of(&d, &o, &l, &err), 0, "%s", err.msg);
    cr_expect_eq(l.head, 0, "the repeat starts at detector 0 (the head's errors use D0, D1)");
    cr_expect_eq(l.step, 2);
    cr_expect_eq(l.iterations, 299);
    cr_expect_eq(l.period, 1);
    cr_expect_eq(l.depth_its, 1);
    cr_expect_eq(l.buffer_its, 10);
    cr_expect_eq(l.num_segments, (299 + 10) / (60 + 10));
    qp_decoder *dec = qp_decoder_create_windowed("mwpm", &d, &o, &err);
    cr_assert(dec, "%s", err.msg);
    const qp_window_span *sp;
    size_t n = qp_window_plan(qp_decoder_window(dec), &sp), seams = 0, entries = 0;
    for (size_t j = 0; j < n; j++) seams += sp[j].kind == QP_WINDOW_SEAM, entries += sp[j].kind == QP_WINDOW_ENTRY;
    cr_expect_eq(seams, l.num_segments - 1);
    cr_expect_eq(entries, l.num_segments - 1);
    check_plan_tiles(qp_decoder_window(dec), d.num_detectors);
    qp_decoder_free(dec);
    o.segment = 0;  // default: one segment here (100 windows > 300 rounds)
    dec = qp_decoder_create_windowed("mwpm", &d, &o, &err);
    cr_assert(dec, "%s", err.msg);
    cr_expect_eq(qp_window_get_layout(qp_decoder_window(dec))->num_segments, 1);
    check_plan_tiles(qp_decoder_window(dec), d.num_detectors);
    qp_decoder_free(dec);
    qp_dem_free(&d);
}

static void compare_rep(const char *kind, uint64_t segment) {
    qp_dem d;
    parse(&d, rep_dem);
    qp_err err = {{0}};
    size_t n = qp_test_quick() ? 400 : 2000, bytes = (d.num_detectors + 7) / 8;
    uint8_t *dets = malloc(n * bytes), *obs = malloc(n), *pg = malloc(n), *pw = malloc(n);
    sample_rep(7, n, dets, bytes, obs);
    qp_decoder *global = qp_decoder_create("mwpm", &d, &err);
    cr_assert(global, "%s", err.msg);
    qp_window_options o = {.window = 24, .commit = 12, .segment = segment};
    qp_decoder *win = qp_decoder_create_windowed(kind, &d, &o, &err);
    cr_assert(win, "%s", err.msg);
    cr_assert_eq(qp_decoder_num_detectors(win), d.num_detectors);
    cr_assert_eq(qp_decoder_decode_batch(global, dets, n, bytes, pg, NULL, &err), 0, "%s", err.msg);
    cr_assert_eq(qp_decoder_decode_batch(win, dets, n, bytes, pw, NULL, &err), 0, "%s", err.msg);
    size_t mg = 0, mw = 0, same = 0;
    for (size_t k = 0; k < n; k++) mg += pg[k] != obs[k], mw += pw[k] != obs[k], same += pg[k] == pw[k];
    double p = (double)mg / (double)n, sigma = sqrt((double)n * p * (1 - p));
    printf("window %s (segment %llu): %zu shots, mistakes windowed %zu global mwpm %zu (3 sigma = %.1f), same prediction %zu\n",
           kind, (unsigned long long)segment, n, mw, mg, 3 * sigma, same);
    cr_expect(mg > 20, "the model is noisy enough to test anything (%zu mistakes)", mg);
    cr_expect(fabs((double)mw - (double)mg) <= 3 * sigma, "%s windowed %zu vs global %zu mistakes", kind, mw, mg);
    cr_expect(same >= 0.97 * (double)n, "%s: same prediction on %zu of %zu shots", kind, same, n);
    qp_decoder_free(global);
    qp_decoder_free(win);
    free(dets), free(obs), free(pg), free(pw);
    qp_dem_free(&d);
}

Test(window, mwpm_matches_global_on_folded_model) { compare_rep("mwpm", 0); }
Test(window, uf_matches_global_on_folded_model) { compare_rep("uf", 0); }
Test(window, corr_matches_global_on_folded_model) { compare_rep("mwpm-corr", 0); }
// Six segments of 36 rounds: five seams decoded in the second layer.
Test(window, segments_match_global_on_folded_model) {
    compare_rep("mwpm", 36);
    compare_rep("uf", 36);
}

// The two layers split across "ranks": segments r, r + R, ... decoded separately and the
// seams given every flip give exactly the one-process prediction, for R = 1, 2, 3.
Test(window, split_segments_give_the_same_prediction) {
    qp_dem d;
    parse(&d, rep_dem);
    qp_err err = {{0}};
    size_t n = 200, bytes = (d.num_detectors + 7) / 8;
    uint8_t *dets = malloc(n * bytes), *obs = malloc(n);
    sample_rep(11, n, dets, bytes, obs);
    qp_window_options o = {.window = 24, .commit = 12, .segment = 36};
    qp_decoder *dec = qp_decoder_create_windowed("mwpm", &d, &o, &err);
    cr_assert(dec, "%s", err.msg);
    qp_window *w = qp_decoder_window(dec);
    for (size_t k = 0; k < n; k++) {
        uint64_t whole;
        cr_assert_eq(qp_window_decode_b8(w, dets + k * bytes, &whole, NULL, &err), 0, "%s", err.msg);
        for (uint64_t R = 1; R <= 3; R++) {
            uint64_t pred = 0, part, *all = NULL;
            size_t num_all = 0;
            for (uint64_t r = 0; r < R; r++) {
                const uint64_t *fl;
                size_t nf;
                cr_assert_eq(qp_window_decode_segments(w, dets + k * bytes, r, R, &part, NULL, &fl, &nf, &err), 0);
                pred ^= part;
                all = realloc(all, (num_all + nf + 1) * sizeof *all);
                if (nf) memcpy(all + num_all, fl, nf * sizeof *fl);
                num_all += nf;
            }
            cr_assert_eq(qp_window_decode_seams(w, dets + k * bytes, all, num_all, &part, NULL, &err), 0);
            pred ^= part;
            cr_expect_eq(pred, whole, "shot %zu, %llu parts", k, (unsigned long long)R);
            free(all);
        }
    }
    qp_decoder_free(dec);
    free(dets), free(obs);
    qp_dem_free(&d);
}

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
    const qp_window_span *sp;
    cr_expect_eq(qp_window_plan(qp_decoder_window(w), &sp), 1);
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
        for (int segmented = 0; segmented < 2; segmented++) {
        // Default segments (one here), then 100-round segments: nine seams per shot.
        size_t n = qp_test_quick() ? 500 : segmented ? cases[c].shots / 5 : cases[c].shots;
        qp_window_options o = {.window = 50, .segment = segmented ? 100 : 0};
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
        printf("window W=50 segment %llu %s: %zu shots, %zu segments, mistakes %zu, PyMatching global %zu (3 sigma = %.1f), "
               "same prediction %zu\n", (unsigned long long)o.segment, cases[c].name, n,
               (size_t)qp_window_get_layout(qp_decoder_window(w))->num_segments,
               mistakes, pm_mistakes, 3 * sigma, same);
        cr_expect(fabs((double)mistakes - (double)pm_mistakes) <= 3 * sigma, "%s: %zu vs %zu", cases[c].name,
                  mistakes, pm_mistakes);
        cr_expect(same >= 0.99 * (double)n, "%s: same prediction on %zu of %zu shots", cases[c].name, same, n);
        qp_decoder_free(w);
        free(pred);
        }
        free(dets), free(obs), free(pm);
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

// A repeat block that does not shift (passes in place) stays a repeat block in the window
// models, bounded as any model: the same predictions and weights as its passes written out, in
// the head and inside the main repeat, for mwpm and mwpm-corr (the error count of correlated
// matching counts each pass).
static const char *in_place_head = "repeat 3 {\n  error(0.004) D0 D1\n}\n";
static const char *in_place_body = "  repeat 2 {\n    error(0.002) D0 D2\n  }\n";
static const char *copies_head = "error(0.004) D0 D1\nerror(0.004) D0 D1\nerror(0.004) D0 D1\n";
static const char *copies_body = "  error(0.002) D0 D2\n  error(0.002) D0 D2\n";

// rep_dem with `head` before it and `body` at the start of its repeat block.
static char *rep_with(const char *head, const char *body) {
    const char *at = strstr(rep_dem, "repeat 299 {\n") + strlen("repeat 299 {\n");
    size_t n = strlen(head) + strlen(rep_dem) + strlen(body) + 1;
    char *text = malloc(n);
    snprintf(text, n, "%s%.*s%s%s", head, (int)(at - rep_dem), rep_dem, body, at);
    return text;
}

Test(window, repeat_in_place_matches_its_passes_written_out) {
    char *a = rep_with(in_place_head, in_place_body), *b = rep_with(copies_head, copies_body);
    qp_dem da, db;
    parse(&da, a), parse(&db, b);
    qp_err err = {{0}};
    size_t n = 400, bytes = (da.num_detectors + 7) / 8;
    cr_assert_eq(da.num_detectors, db.num_detectors);
    uint8_t *dets = malloc(n * bytes), *obs = malloc(n), *pa = malloc(n), *pb = malloc(n);
    double *wa = malloc(n * sizeof *wa), *wb = malloc(n * sizeof *wb);
    sample_rep(11, n, dets, bytes, obs);
    const char *kinds[] = {"mwpm", "mwpm-corr"};
    for (int k = 0; k < 2; k++) {
        qp_window_options o = {.window = 24, .commit = 12};
        qp_decoder *x = qp_decoder_create_windowed(kinds[k], &da, &o, &err);
        cr_assert(x, "%s", err.msg);
        qp_decoder *y = qp_decoder_create_windowed(kinds[k], &db, &o, &err);
        cr_assert(y, "%s", err.msg);
        cr_assert_eq(qp_decoder_decode_batch(x, dets, n, bytes, pa, wa, &err), 0, "%s", err.msg);
        cr_assert_eq(qp_decoder_decode_batch(y, dets, n, bytes, pb, wb, &err), 0, "%s", err.msg);
        size_t diff = 0;
        for (size_t s = 0; s < n; s++) diff += pa[s] != pb[s] || wa[s] != wb[s];
        cr_expect_eq(diff, 0, "%s: %zu of %zu shots differ", kinds[k], diff, n);
        qp_decoder_free(x), qp_decoder_free(y);
    }
    free(dets), free(obs), free(pa), free(pb), free(wa), free(wb), free(a), free(b);
    qp_dem_free(&da), qp_dem_free(&db);
}

// Hostile folded models are one clear error naming the DEM line, never a window build that
// runs for hours: a repeat in place of 5 * 10^6 passes (the whole model of 40,001 detectors may
// unroll to 1.12 * 10^7 instructions, a window of 10 to 1.003 * 10^6), and a repeat of 10^8
// iterations decoded one round at a time (more than 2^26 windows per shot; such a plan was
// walked to its end when the decoder was built).
Test(window, hostile_repeats_are_one_clear_error) {
    qp_dem d;
    qp_err err = {{0}};
    parse(&d, "error(0.1) D0 D1\nrepeat 5000000 {\n    error(0.1) D0 D1\n}\n"
              "repeat 40000 {\n    error(0.1) D0 D1\n    shift_detectors(0, 1) 1\n}\n");
    qp_window_options o = {.window = 10};
    qp_decoder *w = qp_decoder_create_windowed("mwpm", &d, &o, &err);
    cr_expect_null(w, "accepted");
    cr_expect(strstr(err.msg, "line 2: repeat block unrolls to 10000000 instructions; a model of 10 detectors") &&
                  !strchr(err.msg, '\n'), "message: %s", err.msg);
    qp_decoder_free(w);
    qp_dem_free(&d);

    parse(&d, "repeat 100000000 {\n    error(0.1) D0 D1\n    shift_detectors 1\n}\n");
    qp_window_options one = {.window = 2, .commit = 1};
    qp_window_layout l;
    cr_expect_eq(qp_window_layout_of(&d, &one, &l, &err), -1);
    cr_expect(strstr(err.msg, "line 1: 100000000 repeat iterations committed 1 at a time make more than 67108864 "
                              "windows per shot"), "message: %s", err.msg);
    qp_window_options fine = {.window = 100, .commit = 50};
    cr_expect_eq(qp_window_layout_of(&d, &fine, &l, &err), 0, "%s", err.msg);
    qp_dem_free(&d);
}
