// Streamed windowed decoding (workers/decode/window_stream.h) against the whole-record
// windowed decoder (qp_window_decode_b8) on the hand-written folded repetition model: for
// several layouts (one segment; many segments with seams; C = W - depth) and piece sizes (1
// detector at a time, odd sizes, the whole record at once), every shot's prediction and
// weight are the same bit for bit; the memory a stream holds does not grow with the rounds
// (a 300- and a 30,000-round model give the same figure, below the latter's record size); out-of-order, overlong and
// short shots are one error each.
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "tests/decode/rep_model.h"
#include "workers/decode/window.h"
#include "workers/decode/window_stream.h"

static void parse(qp_dem *d, const char *text) {
    qp_err err = {{0}};
    qp_dem_init(d);
    cr_assert_eq(qp_dem_parse(d, text, "test.dem", &err), 0, "%s", err.msg);
}

// Pushes a record in pieces of `piece` detectors (the last one shorter).
static void push_all(qp_window_stream *st, const uint8_t *rec, uint64_t D, uint64_t piece) {
    qp_err err = {{0}};
    for (uint64_t at = 0; at < D; at += piece) {
        uint64_t n = D - at < piece ? D - at : piece;
        cr_assert_eq(qp_window_stream_push(st, rec, at, at, n, &err), 0, "piece at %llu: %s", (unsigned long long)at,
                     err.msg);
    }
}

static void check_layout(const char *kind, const qp_window_options *o) {
    qp_dem d;
    parse(&d, rep_dem);
    qp_err err = {{0}};
    qp_window *w = qp_window_create(kind, &d, o, &err);
    cr_assert(w, "%s", err.msg);
    size_t n = 300, bytes = (d.num_detectors + 7) / 8;
    uint8_t *dets = malloc(n * bytes), *obs = malloc(n);
    sample_rep(17, n, dets, bytes, obs);
    qp_window_stream *st = qp_window_stream_create(w);
    const uint64_t pieces[] = {1, 7, 64, 333, d.num_detectors};
    size_t differ = 0;
    for (size_t s = 0; s < n; s++) {
        uint64_t want;
        double want_w;
        cr_assert_eq(qp_window_decode_b8(w, dets + s * bytes, &want, &want_w, &err), 0, "%s", err.msg);
        for (size_t p = 0; p < sizeof pieces / sizeof *pieces; p++) {
            qp_window_stream_reset(st);
            push_all(st, dets + s * bytes, d.num_detectors, pieces[p]);
            uint64_t got;
            double got_w;
            cr_assert_eq(qp_window_stream_finish(st, &got, &got_w, &err), 0, "%s", err.msg);
            cr_expect(got == want && memcmp(&got_w, &want_w, sizeof got_w) == 0,
                      "%s W=%llu C=%llu S=%llu shot %zu pieces of %llu: streamed %llu (weight %.17g), whole record %llu (%.17g)",
                      kind, (unsigned long long)o->window, (unsigned long long)o->commit,
                      (unsigned long long)o->segment, s, (unsigned long long)pieces[p], (unsigned long long)got, got_w,
                      (unsigned long long)want, want_w);
            differ += got != want;
        }
    }
    cr_expect_eq(differ, 0);
    qp_window_stream_free(st);
    qp_window_free(w);
    free(dets), free(obs);
    qp_dem_free(&d);
}

Test(window_stream, same_as_whole_record_mwpm) {
    check_layout("mwpm", &(qp_window_options){.window = 20, .commit = 10});              // one segment
    check_layout("mwpm", &(qp_window_options){.window = 12, .commit = 6, .segment = 24});  // 8 segments
    check_layout("mwpm", &(qp_window_options){.window = 8, .commit = 6, .segment = 8});    // shortest segments
}

Test(window_stream, same_as_whole_record_uf_and_corr) {
    check_layout("uf", &(qp_window_options){.window = 12, .commit = 6, .segment = 24});
    check_layout("mwpm-corr", &(qp_window_options){.window = 12, .commit = 6, .segment = 24});
}

// The repetition model with `rounds` rounds (rep_dem's repeat count changed).
static void rep_with_rounds(qp_dem *d, int rounds) {
    const char *at = strstr(rep_dem, "repeat 299");
    char text[2048];
    snprintf(text, sizeof text, "%.*srepeat %d%s", (int)(at - rep_dem), rep_dem, rounds - 1, at + strlen("repeat 299"));
    parse(d, text);
}

Test(window_stream, memory_independent_of_rounds) {
    qp_window_options o = {.window = 12, .commit = 6, .segment = 24};
    size_t bytes[2];
    const int rounds[2] = {300, 30000};
    for (int i = 0; i < 2; i++) {
        qp_dem d;
        rep_with_rounds(&d, rounds[i]);
        qp_err err = {{0}};
        qp_window *w = qp_window_create("mwpm", &d, &o, &err);
        cr_assert(w, "%s", err.msg);
        qp_window_stream *st = qp_window_stream_create(w);
        size_t D = (size_t)d.num_detectors;
        uint8_t *rec = calloc((D + 7) / 8, 1);
        for (size_t k = 0; k < D; k += 37) rec[k >> 3] |= (uint8_t)(1u << (k & 7));
        push_all(st, rec, D, 50);
        uint64_t obs;
        cr_assert_eq(qp_window_stream_finish(st, &obs, NULL, &err), 0, "%s", err.msg);
        bytes[i] = qp_window_stream_bytes(st);
        if (i == 1)
            cr_expect_lt(bytes[i], D / 8, "%d rounds: the stream holds %zu bytes, the record is %zu", rounds[i], bytes[i],
                         D / 8);
        free(rec);
        qp_window_stream_free(st);
        qp_window_free(w);
        qp_dem_free(&d);
    }
    cr_expect_eq(bytes[0], bytes[1], "stream bytes at 300 rounds %zu, at 30,000 rounds %zu", bytes[0], bytes[1]);
}

Test(window_stream, bad_pieces) {
    qp_dem d;
    parse(&d, rep_dem);
    qp_err err = {{0}};
    qp_window *w = qp_window_create("mwpm", &d, &(qp_window_options){.window = 12, .commit = 6}, &err);
    cr_assert(w, "%s", err.msg);
    qp_window_stream *st = qp_window_stream_create(w);
    uint8_t rec[128] = {0};
    cr_assert_eq(qp_window_stream_push(st, rec, 0, 0, 10, &err), 0, "%s", err.msg);
    cr_expect_neq(qp_window_stream_push(st, rec, 0, 11, 5, &err), 0, "a gap is accepted");
    cr_expect(strstr(err.msg, "were expected"), "%s", err.msg);
    cr_expect_neq(qp_window_stream_push(st, rec, 0, 10, d.num_detectors, &err), 0, "too many detectors accepted");
    cr_expect(strstr(err.msg, "the model has"), "%s", err.msg);
    uint64_t obs;
    cr_expect_neq(qp_window_stream_finish(st, &obs, NULL, &err), 0, "a short shot is accepted");
    cr_expect(strstr(err.msg, "ended after 10 of"), "%s", err.msg);
    qp_window_stream_free(st);
    qp_window_free(w);
    qp_dem_free(&d);
}
