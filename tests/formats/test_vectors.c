// Stim-written reference files: the 640-shot vector (24 detectors + 1 appended observable)
// in every format. Encoding the b8 records must give the Stim bytes exactly, and reading
// each Stim file must give the b8 records exactly. Also the split detector/observable files
// (Stim's --obs_out) joined and split again.
#include <criterion/criterion.h>

#include "pipeline/formats/shot_reader.h"
#include "pipeline/formats/shot_writer.h"
#include "tests/formats/formats_test_util.h"
#include "tests/test_support.h"

#define VECTOR "formats/surface_x_d3_r3_p0.003.640"
enum { VEC_DETECTORS = 24, VEC_OBSERVABLES = 1, VEC_SHOTS = 640 };

static char *load(const char *suffix, size_t *len) {
    char name[256], path[1024];
    snprintf(name, sizeof name, "%s.%s", VECTOR, suffix);
    cr_assert_eq(qp_test_find(name, path, sizeof path), 0, "reference file %s not found", name);
    char *data = qp_test_read_file(path, len);
    cr_assert_not_null(data, "cannot read %s", path);
    return data;
}

static void vector_path(const char *suffix, char *path, size_t cap) {
    char name[256];
    snprintf(name, sizeof name, "%s.%s", VECTOR, suffix);
    cr_assert_eq(qp_test_find(name, path, cap), 0, "reference file %s not found", name);
}

Test(vectors, b8_encodes_to_every_stim_format_exactly) {
    size_t b8_len;
    uint8_t *b8 = (uint8_t *)load("b8", &b8_len);
    cr_assert_eq(b8_len, (size_t)VEC_SHOTS * 4);
    qp_record_shape shape = qp_record_shape_make(VEC_DETECTORS, VEC_OBSERVABLES);
    for (int f = 0; f < QP_FORMAT_COUNT; f++) {
        size_t want_len;
        char *want = load(qp_shot_format_name((qp_shot_format)f), &want_len);
        qp_byte_buffer out = {0};
        qp_err err = {{0}};
        cr_assert_eq(qp_shot_encode((qp_shot_format)f, &shape, b8, VEC_SHOTS, &out, &err), 0, "%s", err.msg);
        cr_assert_eq(out.len, want_len, "%s: encoded %zu bytes, Stim wrote %zu", qp_shot_format_name((qp_shot_format)f),
                     out.len, want_len);
        cr_assert(memcmp(out.data, want, want_len) == 0, "%s: bytes differ from Stim's", qp_shot_format_name((qp_shot_format)f));
        qp_byte_buffer_free(&out);
        free(want);
    }
    free(b8);
}

Test(vectors, writer_output_is_byte_identical_to_stim) {
    size_t b8_len;
    uint8_t *b8 = (uint8_t *)load("b8", &b8_len);
    char dir[64];
    fmt_test_tmpdir(dir);
    for (int f = 0; f < QP_FORMAT_COUNT; f++) {
        const char *name = qp_shot_format_name((qp_shot_format)f);
        char path[256], partial[300];
        snprintf(path, sizeof path, "%s/out.%s", dir, name);
        snprintf(partial, sizeof partial, "%s.partial", path);
        qp_shot_writer *w;
        qp_err err = {{0}};
        cr_assert_eq(qp_shot_writer_open(&w, path, (qp_shot_format)f, VEC_DETECTORS, VEC_OBSERVABLES, &err), 0, "%s", err.msg);
        // Odd batch sizes exercise the ptb64 group buffering.
        size_t done = 0, step = 1;
        while (done < VEC_SHOTS) {
            size_t n = step < VEC_SHOTS - done ? step : VEC_SHOTS - done;
            cr_assert_eq(qp_shot_writer_write(w, b8 + done * 4, n, &err), 0, "%s", err.msg);
            done += n;
            step = step * 3 + 1;
        }
        cr_assert(fmt_test_exists(partial), "%s: writes go to .partial", name);
        cr_assert(!fmt_test_exists(path), "%s: final name must not exist before close", name);
        cr_assert_eq(qp_shot_writer_close(w, &err), 0, "%s", err.msg);
        cr_assert(!fmt_test_exists(partial));
        size_t got_len = 0, want_len = 0;
        char *got = qp_test_read_file(path, &got_len);
        char *want = load(name, &want_len);
        cr_assert_eq(got_len, want_len, "%s: wrote %zu bytes, Stim wrote %zu", name, got_len, want_len);
        cr_assert(memcmp(got, want, want_len) == 0, "%s: file differs from Stim's", name);
        free(got);
        free(want);
    }
    fmt_test_rmdir(dir);
    free(b8);
}

Test(vectors, every_stim_file_reads_back_as_the_b8_records) {
    size_t b8_len;
    uint8_t *b8 = (uint8_t *)load("b8", &b8_len);
    for (int f = 0; f < QP_FORMAT_COUNT; f++) {
        const char *name = qp_shot_format_name((qp_shot_format)f);
        char path[1024];
        vector_path(name, path, sizeof path);
        uint64_t count = 0;
        qp_err err = {{0}};
        cr_assert_eq(qp_shot_file_count_records(path, (qp_shot_format)f, VEC_DETECTORS, VEC_OBSERVABLES, &count, &err), 0,
                     "%s", err.msg);
        cr_assert_eq(count, VEC_SHOTS, "%s: counted %llu records", name, (unsigned long long)count);
        // Streamed in batches of 100 (not a divisor of 64 or 640).
        qp_shot_reader *r;
        cr_assert_eq(qp_shot_reader_open(&r, path, (qp_shot_format)f, VEC_DETECTORS, VEC_OBSERVABLES, &err), 0, "%s", err.msg);
        uint8_t *got = calloc(VEC_SHOTS + 100, 4);
        size_t total = 0;
        int64_t n;
        while ((n = qp_shot_reader_read(r, got + total * 4, 100, &err)) > 0) total += (size_t)n;
        cr_assert_eq(n, 0, "%s: %s", name, err.msg);
        cr_assert_eq(total, VEC_SHOTS, "%s: read %zu records", name, total);
        cr_assert(memcmp(got, b8, b8_len) == 0, "%s: records differ from the b8 file", name);
        cr_assert_eq(qp_shot_reader_position(r), VEC_SHOTS);
        qp_shot_reader_close(r);
        free(got);
    }
    free(b8);
}

// tests/data ships Stim's --obs_out pair (detectors in one b8 file, observables in another).
Test(vectors, separate_observable_file_joins_and_splits_exactly) {
    char dets_path[1024], obs_path[1024];
    cr_assert_eq(qp_test_find("surface_x_d3_r3_p0.003.dets.b8", dets_path, sizeof dets_path), 0);
    cr_assert_eq(qp_test_find("surface_x_d3_r3_p0.003.obs.b8", obs_path, sizeof obs_path), 0);
    uint8_t *dets, *obs;
    uint64_t n_dets, n_obs;
    qp_err err = {{0}};
    cr_assert_eq(qp_shot_file_read_all(dets_path, QP_FORMAT_B8, 24, 0, &dets, &n_dets, &err), 0, "%s", err.msg);
    cr_assert_eq(qp_shot_file_read_all(obs_path, QP_FORMAT_B8, 0, 1, &obs, &n_obs, &err), 0, "%s", err.msg);
    cr_assert_eq(n_dets, 20000);
    cr_assert_eq(n_obs, 20000);
    uint8_t *joined = malloc(n_dets * 4);
    qp_records_join(dets, obs, n_dets, 24, 1, joined);
    uint64_t flips = 0;
    for (uint64_t i = 0; i < n_dets; i++) {
        cr_assert(memcmp(joined + i * 4, dets + i * 3, 3) == 0);
        cr_assert_eq(joined[i * 4 + 3], obs[i]);
        flips += obs[i];
    }
    cr_assert_eq(flips, 1346, "MANIFEST says obs_flips=1346, got %llu", (unsigned long long)flips);
    uint8_t *dets2 = malloc(n_dets * 3), *obs2 = malloc(n_dets);
    qp_records_split(joined, n_dets, 24, 1, dets2, obs2);
    cr_assert(memcmp(dets2, dets, n_dets * 3) == 0);
    cr_assert(memcmp(obs2, obs, n_dets) == 0);
    // The observable-only record in dets format is "shot L0".
    qp_record_shape obs_shape = qp_record_shape_make(0, 1);
    uint8_t one = 1;
    qp_byte_buffer out = {0};
    cr_assert_eq(qp_shot_encode(QP_FORMAT_DETS, &obs_shape, &one, 1, &out, &err), 0);
    cr_assert_eq(out.len, 8);
    cr_assert(memcmp(out.data, "shot L0\n", 8) == 0);
    qp_byte_buffer_free(&out);
    free(dets); free(obs); free(joined); free(dets2); free(obs2);
}
