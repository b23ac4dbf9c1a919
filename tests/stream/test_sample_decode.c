// Streamed sampling + windowed decoding (workers/stream/sample_decode.h) against the
// whole-record path (qp_frame_sample_b8, then qp_decoder_decode_batch on the windowed
// decoders) on a generated d=3 SI1000 memory experiment (p = 0.001) of 150 rounds with a folded model:
// the observables, every decoder's predictions and weights are the same bit for bit, for
// windows with many segments and for one segment, with mwpm and uf decoded together, with
// the simulator's default batch and with one-block batches and 64-detector chunks over a shot
// range that crosses a block boundary. A windowed decoder of another model is one error.
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "workers/circuit/surface_code.h"
#include "workers/decode/decoder.h"
#include "workers/decode/window.h"
#include "workers/dem/error_analysis.h"
#include "workers/sim/frame_sample.h"
#include "workers/stream/sample_decode.h"

static void make(qp_circuit *c, qp_dem *d, uint64_t rounds) {
    qp_err err = {{0}};
    qp_surface_params sp = qp_surface_params_si1000('x', 3, rounds, 0.001);
    cr_assert_eq(qp_surface_code_generate(c, &sp, &err), 0, "%s", err.msg);
    qp_error_analysis_options opt = {.decompose_errors = 1, .fold_loops = 1};
    cr_assert_eq(qp_error_analysis(c, &opt, d, &err), 0, "%s", err.msg);
}

static void check(const qp_frame_options *fo, uint64_t first, uint64_t n, const qp_window_options *wo) {
    qp_circuit c;
    qp_dem d;
    make(&c, &d, 150);
    qp_err err = {{0}};
    const char *kinds[2] = {"mwpm", "uf"};
    qp_decoder *dec[2];
    qp_window *win[2];
    for (int k = 0; k < 2; k++) {
        dec[k] = qp_decoder_create_windowed(kinds[k], &d, wo, &err);
        cr_assert(dec[k], "%s", err.msg);
        win[k] = qp_decoder_window(dec[k]);
    }
    size_t db = (c.num_detectors + 7) / 8, ob = (c.num_observables + 7) / 8;
    uint8_t *dets = malloc(n * db), *obs = malloc(n * ob), *obs_s = malloc(n * ob);
    uint8_t *pred[2], *pred_s[2];
    double *wt[2], *wt_s[2];
    for (int k = 0; k < 2; k++) {
        pred[k] = malloc(n * ob), pred_s[k] = malloc(n * ob);
        wt[k] = malloc(n * sizeof(double)), wt_s[k] = malloc(n * sizeof(double));
    }
    cr_assert_eq(qp_frame_sample_b8(&c, fo, 99, 3, first, n, dets, obs, &err), 0, "%s", err.msg);
    for (int k = 0; k < 2; k++)
        cr_assert_eq(qp_decoder_decode_batch(dec[k], dets, n, db, pred[k], wt[k], &err), 0, "%s", err.msg);
    cr_assert_eq(qp_sample_decode_windows(&c, fo, 99, 3, first, n, win, 2, obs_s, pred_s, wt_s, &err), 0, "%s",
                 err.msg);
    cr_expect_eq(memcmp(obs, obs_s, n * ob), 0, "the streamed observables differ from the sampled records'");
    size_t flipped = 0, errors[2] = {0, 0};
    for (uint64_t s = 0; s < n; s++) flipped += obs[s * ob] & 1;
    for (int k = 0; k < 2; k++) {
        for (uint64_t s = 0; s < n; s++) {
            cr_expect(pred[k][s * ob] == pred_s[k][s * ob] && memcmp(&wt[k][s], &wt_s[k][s], sizeof(double)) == 0,
                      "%s W=%llu S=%llu shot %llu: streamed %u (weight %.17g), whole record %u (%.17g)", kinds[k],
                      (unsigned long long)wo->window, (unsigned long long)wo->segment, (unsigned long long)(first + s),
                      pred_s[k][s * ob], wt_s[k][s], pred[k][s * ob], wt[k][s]);
            errors[k] += pred[k][s * ob] != obs[s * ob];
        }
        free(pred[k]), free(pred_s[k]), free(wt[k]), free(wt_s[k]);
        qp_decoder_free(dec[k]);
    }
    // The comparison means something: the shots have errors that the decoders undo.
    cr_expect_gt(flipped, 0, "no observable flipped in %llu shots", (unsigned long long)n);
    for (int k = 0; k < 2; k++)
        cr_expect_lt(errors[k], flipped, "%s corrected nothing (%zu mistakes, %zu flips)", kinds[k], errors[k], flipped);
    free(dets), free(obs), free(obs_s);
    qp_dem_free(&d);
    qp_circuit_free(&c);
}

Test(sample_decode, same_as_whole_record_many_segments) {
    check(NULL, 0, 40, &(qp_window_options){.window = 12, .commit = 6, .segment = 24});
}

Test(sample_decode, same_as_whole_record_one_segment) {
    check(NULL, 5, 30, &(qp_window_options){.window = 20, .commit = 10});
}

Test(sample_decode, small_batches_and_chunks_across_blocks) {
    qp_frame_options fo;
    qp_frame_options_default(&fo);
    fo.max_blocks = 1;
    fo.chunk_dets = 64;
    check(&fo, 230, 60, &(qp_window_options){.window = 12, .commit = 6, .segment = 24});
}

// With leakage (run's windowed path for noise.leakage experiments): still the same bits.
Test(sample_decode, same_with_leakage) {
    qp_frame_options fo;
    qp_frame_options_default(&fo);
    fo.max_blocks = 2;
    fo.leakage.p = 2e-5;  // about 0.3 leaks per 150-round shot: the decoders still correct
    fo.leakage.mean_rounds = 3;
    check(&fo, 250, 40, &(qp_window_options){.window = 12, .commit = 6, .segment = 24});
}

Test(sample_decode, decoder_of_another_model) {
    qp_circuit c, c2;
    qp_dem d, d2;
    make(&c, &d, 150);
    make(&c2, &d2, 100);
    qp_err err = {{0}};
    qp_window *w = qp_window_create("mwpm", &d2, &(qp_window_options){.window = 12}, &err);
    cr_assert(w, "%s", err.msg);
    uint8_t obs[4], pred[4], *preds[1] = {pred};
    cr_expect_neq(qp_sample_decode_windows(&c, NULL, 1, 0, 0, 4, &w, 1, obs, preds, NULL, &err), 0);
    cr_expect(strstr(err.msg, "detectors but the circuit"), "%s", err.msg);
    qp_window_free(w);
    qp_dem_free(&d), qp_dem_free(&d2);
    qp_circuit_free(&c), qp_circuit_free(&c2);
}
