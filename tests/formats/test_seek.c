// Seeking by record index (for sharding a file over ranks): b8 at any record, 01 at any
// record (fixed-length lines), ptb64 inside a group of 64; r8/hits/dets refuse clearly.
#include <criterion/criterion.h>

#include "pipeline/formats/shot_reader.h"
#include "pipeline/formats/shot_writer.h"
#include "tests/formats/formats_test_util.h"
#include "tests/test_support.h"

static uint8_t *vector_b8(char *path, size_t cap) {
    cr_assert_eq(qp_test_find("formats/surface_x_d3_r3_p0.003.640.b8", path, cap), 0);
    size_t len;
    uint8_t *b8 = (uint8_t *)qp_test_read_file(path, &len);
    cr_assert_eq(len, 2560);
    return b8;
}

static void check_seeks(qp_shot_format format, const char *path, const uint8_t *b8) {
    qp_shot_reader *r;
    qp_err err = {{0}};
    cr_assert_eq(qp_shot_reader_open(&r, path, format, 24, 1, &err), 0, "%s", err.msg);
    const uint64_t starts[] = {639, 0, 1, 63, 64, 65, 300, 128, 5, 640};
    uint8_t buf[4 * 50];
    for (size_t i = 0; i < sizeof starts / sizeof starts[0]; i++) {
        uint64_t s = starts[i];
        cr_assert_eq(qp_shot_reader_seek(r, s, &err), 0, "%s seek %llu: %s", qp_shot_format_name(format),
                     (unsigned long long)s, err.msg);
        cr_assert_eq(qp_shot_reader_position(r), s);
        int64_t n = qp_shot_reader_read(r, buf, 50, &err);
        int64_t want = s + 50 <= 640 ? 50 : (int64_t)(640 - s);
        cr_assert_eq(n, want, "%s seek %llu: read %lld, want %lld (%s)", qp_shot_format_name(format),
                     (unsigned long long)s, (long long)n, (long long)want, err.msg);
        cr_assert(memcmp(buf, b8 + s * 4, (size_t)n * 4) == 0, "%s: records after seek to %llu differ",
                  qp_shot_format_name(format), (unsigned long long)s);
        cr_assert_eq(qp_shot_reader_position(r), s + (uint64_t)n);
    }
    cr_assert_eq(qp_shot_reader_seek(r, 641, &err), -1, "seeking past the end must fail");
    cr_assert(strstr(err.msg, "the file holds 640 records") != NULL, "%s", err.msg);
    qp_shot_reader_close(r);
}

Test(seek, b8_01_ptb64_by_record_index) {
    char path[1024];
    uint8_t *b8 = vector_b8(path, sizeof path);
    check_seeks(QP_FORMAT_B8, path, b8);
    char p01[1024], pptb[1024];
    cr_assert_eq(qp_test_find("formats/surface_x_d3_r3_p0.003.640.01", p01, sizeof p01), 0);
    cr_assert_eq(qp_test_find("formats/surface_x_d3_r3_p0.003.640.ptb64", pptb, sizeof pptb), 0);
    check_seeks(QP_FORMAT_01, p01, b8);
    check_seeks(QP_FORMAT_PTB64, pptb, b8);
    free(b8);
}

Test(seek, shards_of_a_b8_file_cover_it_exactly) {
    char path[1024];
    uint8_t *b8 = vector_b8(path, sizeof path);
    uint64_t count = 0;
    qp_err err = {{0}};
    cr_assert_eq(qp_shot_file_count_records(path, QP_FORMAT_B8, 24, 1, &count, &err), 0);
    cr_assert_eq(count, 640);
    uint8_t *got = calloc(640, 4);
    const int shards = 3;  // 640 = 214 + 213 + 213
    for (int k = 0; k < shards; k++) {
        uint64_t lo = count * (uint64_t)k / shards, hi = count * (uint64_t)(k + 1) / shards;
        qp_shot_reader *r;
        cr_assert_eq(qp_shot_reader_open(&r, path, QP_FORMAT_B8, 24, 1, &err), 0);
        cr_assert_eq(qp_shot_reader_seek(r, lo, &err), 0, "%s", err.msg);
        cr_assert_eq(qp_shot_reader_read(r, got + lo * 4, (size_t)(hi - lo), &err), (int64_t)(hi - lo));
        qp_shot_reader_close(r);
    }
    cr_assert(memcmp(got, b8, 2560) == 0);
    free(got);
    free(b8);
}

Test(seek, sparse_formats_refuse_to_seek) {
    const qp_shot_format unseekable[] = {QP_FORMAT_R8, QP_FORMAT_HITS, QP_FORMAT_DETS};
    for (int i = 0; i < 3; i++) {
        char name[128], path[1024];
        snprintf(name, sizeof name, "formats/surface_x_d3_r3_p0.003.640.%s", qp_shot_format_name(unseekable[i]));
        cr_assert_eq(qp_test_find(name, path, sizeof path), 0);
        qp_shot_reader *r;
        qp_err err = {{0}};
        cr_assert_eq(qp_shot_reader_open(&r, path, unseekable[i], 24, 1, &err), 0);
        cr_assert_eq(qp_shot_reader_seek(r, 10, &err), -1);
        cr_assert(strstr(err.msg, "not seekable") != NULL, "%s", err.msg);
        qp_shot_reader_close(r);
    }
}

Test(seek, writer_abort_and_failed_close_leave_nothing) {
    char dir[64], path[256], partial[300];
    fmt_test_tmpdir(dir);
    snprintf(path, sizeof path, "%s/x.ptb64", dir);
    snprintf(partial, sizeof partial, "%s.partial", path);
    qp_shot_writer *w;
    qp_err err = {{0}};
    uint8_t recs[100 * 4] = {0};
    cr_assert_eq(qp_shot_writer_open(&w, path, QP_FORMAT_PTB64, 24, 1, &err), 0);
    cr_assert_eq(qp_shot_writer_write(w, recs, 100, &err), 0);
    cr_assert_eq(qp_shot_writer_close(w, &err), -1, "100 shots is not a multiple of 64");
    cr_assert(strstr(err.msg, "multiple of 64") != NULL, "%s", err.msg);
    cr_assert(!fmt_test_exists(path));
    cr_assert(!fmt_test_exists(partial));
    snprintf(path, sizeof path, "%s/y.b8", dir);
    snprintf(partial, sizeof partial, "%s.partial", path);
    cr_assert_eq(qp_shot_writer_open(&w, path, QP_FORMAT_B8, 24, 1, &err), 0);
    cr_assert_eq(qp_shot_writer_write(w, recs, 100, &err), 0);
    cr_assert(fmt_test_exists(partial));
    qp_shot_writer_abort(w);
    cr_assert(!fmt_test_exists(path));
    cr_assert(!fmt_test_exists(partial));
    fmt_test_rmdir(dir);
}
