// Observables in a separate file (Stim's --obs_out): the split reader joins Stim's
// dets.b8 + obs.b8 pair into appended records, the split writer reproduces both files
// byte for byte, and files with different record counts are an error naming the file.
#include <criterion/criterion.h>

#include "pipeline/formats/shot_reader.h"
#include "pipeline/formats/shot_writer.h"
#include "tests/formats/formats_test_util.h"
#include "tests/test_support.h"

#define PAIR "surface_x_d3_r3_p0.003"
enum { PAIR_SHOTS = 20000 };

static void pair_paths(char *dets, char *obs) {
    cr_assert_eq(qp_test_find(PAIR ".dets.b8", dets, 1024), 0);
    cr_assert_eq(qp_test_find(PAIR ".obs.b8", obs, 1024), 0);
}

Test(split, reader_joins_stim_obs_out_pair) {
    char dets_path[1024], obs_path[1024];
    pair_paths(dets_path, obs_path);
    size_t dets_len, obs_len;
    uint8_t *dets = (uint8_t *)qp_test_read_file(dets_path, &dets_len);
    uint8_t *obs = (uint8_t *)qp_test_read_file(obs_path, &obs_len);
    cr_assert_eq(dets_len, PAIR_SHOTS * 3);
    cr_assert_eq(obs_len, PAIR_SHOTS);
    qp_shot_reader *r;
    qp_err err = {{0}};
    cr_assert_eq(qp_shot_reader_open_split(&r, dets_path, QP_FORMAT_B8, obs_path, QP_FORMAT_B8, 24, 1, &err), 0, "%s", err.msg);
    cr_assert_eq(qp_shot_reader_shape(r)->num_bits, 25);
    uint8_t *joined = calloc(PAIR_SHOTS + 10, 4);
    size_t total = 0;
    int64_t n;
    while ((n = qp_shot_reader_read(r, joined + total * 4, 5000 - 1, &err)) > 0) total += (size_t)n;
    cr_assert_eq(n, 0, "%s", err.msg);
    cr_assert_eq(total, PAIR_SHOTS);
    uint64_t flips = 0;
    for (size_t i = 0; i < PAIR_SHOTS; i++) {
        cr_assert(memcmp(joined + i * 4, dets + i * 3, 3) == 0, "record %zu detectors", i);
        cr_assert_eq(joined[i * 4 + 3], obs[i], "record %zu observable", i);
        flips += obs[i];
    }
    cr_assert_eq(flips, 1346, "MANIFEST: obs_flips=1346");
    // Seek both parts together.
    cr_assert_eq(qp_shot_reader_seek(r, 12345, &err), 0, "%s", err.msg);
    uint8_t rec[4 * 3];
    cr_assert_eq(qp_shot_reader_read(r, rec, 3, &err), 3);
    cr_assert(memcmp(rec, joined + 12345 * 4, 12) == 0);
    qp_shot_reader_close(r);
    free(joined);
    free(dets);
    free(obs);
}

Test(split, writer_reproduces_both_stim_files) {
    char dets_path[1024], obs_path[1024];
    pair_paths(dets_path, obs_path);
    qp_err err = {{0}};
    qp_shot_reader *r;
    cr_assert_eq(qp_shot_reader_open_split(&r, dets_path, QP_FORMAT_B8, obs_path, QP_FORMAT_B8, 24, 1, &err), 0);
    char dir[64], out_dets[256], out_obs[256];
    fmt_test_tmpdir(dir);
    snprintf(out_dets, sizeof out_dets, "%s/d.b8", dir);
    snprintf(out_obs, sizeof out_obs, "%s/o.b8", dir);
    qp_shot_writer *w;
    cr_assert_eq(qp_shot_writer_open_split(&w, out_dets, QP_FORMAT_B8, out_obs, QP_FORMAT_B8, 24, 1, &err), 0, "%s", err.msg);
    uint8_t *batch = malloc(777 * 4);
    int64_t n;
    while ((n = qp_shot_reader_read(r, batch, 777, &err)) > 0)
        cr_assert_eq(qp_shot_writer_write(w, batch, (size_t)n, &err), 0, "%s", err.msg);
    cr_assert_eq(n, 0, "%s", err.msg);
    cr_assert_eq(qp_shot_writer_records_written(w), PAIR_SHOTS);
    cr_assert(!fmt_test_exists(out_dets) && !fmt_test_exists(out_obs), "nothing under final names before close");
    cr_assert_eq(qp_shot_writer_close(w, &err), 0, "%s", err.msg);
    qp_shot_reader_close(r);
    size_t a_len = 0, b_len = 0, c_len = 0, d_len = 0;
    char *a = qp_test_read_file(out_dets, &a_len), *b = qp_test_read_file(dets_path, &b_len);
    char *c = qp_test_read_file(out_obs, &c_len), *d = qp_test_read_file(obs_path, &d_len);
    cr_assert(a_len == b_len && memcmp(a, b, a_len) == 0, "detectors file differs from Stim's");
    cr_assert(c_len == d_len && memcmp(c, d, c_len) == 0, "observables file differs from Stim's");
    free(a); free(b); free(c); free(d); free(batch);
    fmt_test_rmdir(dir);
}

Test(split, record_count_mismatch_is_an_error) {
    char dets_path[1024], obs_path[1024];
    pair_paths(dets_path, obs_path);
    char dir[64], short_obs[256], short_dets[256];
    fmt_test_tmpdir(dir);
    snprintf(short_obs, sizeof short_obs, "%s/o100.b8", dir);
    snprintf(short_dets, sizeof short_dets, "%s/d100.b8", dir);
    size_t len;
    char *obs = qp_test_read_file(obs_path, &len);
    char *dets = qp_test_read_file(dets_path, &len);
    cr_assert_eq(fmt_test_write_file(short_obs, obs, 100), 0);
    cr_assert_eq(fmt_test_write_file(short_dets, dets, 300), 0);
    const char *cases[2][2] = {{dets_path, short_obs}, {short_dets, obs_path}};
    for (int c = 0; c < 2; c++) {
        qp_shot_reader *r;
        qp_err err = {{0}};
        cr_assert_eq(qp_shot_reader_open_split(&r, cases[c][0], QP_FORMAT_B8, cases[c][1], QP_FORMAT_B8, 24, 1, &err), 0);
        uint8_t *buf = malloc(4 * 64);
        int64_t n;
        while ((n = qp_shot_reader_read(r, buf, 64, &err)) > 0) {}
        cr_assert_eq(n, -1, "case %d: mismatch not detected", c);
        char want[2400];
        if (c == 0) snprintf(want, sizeof want, "%s: ends after 100 records, but %s has more", short_obs, dets_path);
        else snprintf(want, sizeof want, "%s: has more records than the 100 in %s", obs_path, short_dets);
        cr_assert_str_eq(err.msg, want);
        free(buf);
        qp_shot_reader_close(r);
    }
    free(obs);
    free(dets);
    fmt_test_rmdir(dir);
}
