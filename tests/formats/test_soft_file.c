// Soft shot files (pipeline/formats/soft_file.h): the writer's bytes are little-endian float32
// shot after shot, the reader gives them back in batches, seeks, and refuses a file that is not
// a whole number of shots with the agreed message (SOFT_INTERFACE.md item 3).
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pipeline/formats/soft_file.h"

static char dir[64];

static void mkscratch(void) {
    strcpy(dir, "/tmp/qp_soft_file_XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static void rmscratch(void) {
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_expect_eq(system(cmd), 0);
}

Test(soft_file, write_read_seek, .init = mkscratch, .fini = rmscratch) {
    char path[128];
    snprintf(path, sizeof path, "%s/s.f32", dir);
    const uint64_t M = 7, n = 300;
    float *v = malloc(n * M * sizeof *v);
    for (uint64_t i = 0; i < n * M; i++) v[i] = (float)i / (n * M);
    qp_soft_writer *w;
    qp_err err = {{0}};
    cr_assert_eq(qp_soft_writer_open(&w, path, M, &err), 0, "%s", err.msg);
    cr_assert_eq(qp_soft_writer_write(w, v, 100, &err), 0, "%s", err.msg);
    cr_assert_eq(qp_soft_writer_write(w, v + 100 * M, n - 100, &err), 0, "%s", err.msg);
    cr_assert_eq(qp_soft_writer_close(w, &err), 0, "%s", err.msg);
    // Raw bytes: little-endian float32 in order.
    FILE *f = fopen(path, "rb");
    uint8_t *bytes = malloc(n * M * 4);
    cr_assert_eq(fread(bytes, 1, n * M * 4, f), n * M * 4);
    cr_assert_eq(fgetc(f), EOF);
    fclose(f);
    for (uint64_t i = 0; i < n * M; i++) {
        uint32_t u;
        memcpy(&u, &v[i], 4);
        uint32_t le = bytes[4 * i] | (uint32_t)bytes[4 * i + 1] << 8 | (uint32_t)bytes[4 * i + 2] << 16 |
                      (uint32_t)bytes[4 * i + 3] << 24;
        cr_assert_eq(le, u, "value %lu", (unsigned long)i);
    }
    qp_soft_reader *r;
    cr_assert_eq(qp_soft_reader_open(&r, path, M, 0, &err), 0, "%s", err.msg);
    cr_expect_eq(qp_soft_reader_num_shots(r), n);
    float *back = malloc(n * M * sizeof *back);
    uint64_t got = 0;
    for (;;) {
        int64_t k = qp_soft_reader_read(r, back + got * M, 64, &err);
        cr_assert_geq(k, 0, "%s", err.msg);
        if (k == 0) break;
        got += (uint64_t)k;
    }
    cr_assert_eq(got, n);
    cr_expect(memcmp(back, v, n * M * 4) == 0);
    cr_assert_eq(qp_soft_reader_seek(r, 250, &err), 0, "%s", err.msg);
    cr_assert_eq(qp_soft_reader_read(r, back, 10, &err), 10);
    cr_expect(memcmp(back, v + 250 * M, 10 * M * 4) == 0);
    cr_expect_eq(qp_soft_reader_seek(r, n + 1, &err), -1);
    qp_soft_reader_close(r);
    // With leakage a shot holds 2M values: 300 shots of 7 are 150 of 14.
    cr_assert_eq(qp_soft_reader_open(&r, path, M, 1, &err), 0, "%s", err.msg);
    cr_expect_eq(qp_soft_reader_num_shots(r), n / 2);
    qp_soft_reader_close(r);
    // 8400 bytes are not whole shots of 11 values.
    cr_assert_eq(qp_soft_reader_open(&r, path, 11, 0, &err), -1);
    char want[256];
    snprintf(want, sizeof want, "%s: 8400 bytes is not a whole number of shots of 11 float32 values (44 bytes each)", path);
    cr_expect_str_eq(err.msg, want);
    free(v);
    free(bytes);
    free(back);
}

Test(soft_file, failed_write_leaves_nothing, .init = mkscratch, .fini = rmscratch) {
    char path[128], partial[160];
    snprintf(path, sizeof path, "%s/s.f32", dir);
    snprintf(partial, sizeof partial, "%s.partial", path);
    qp_soft_writer *w;
    qp_err err = {{0}};
    cr_assert_eq(qp_soft_writer_open(&w, path, 3, &err), 0, "%s", err.msg);
    float v[3] = {0, 0.5f, 1};
    cr_assert_eq(qp_soft_writer_write(w, v, 1, &err), 0, "%s", err.msg);
    cr_expect_eq(access(path, F_OK), -1, "the file appears before it is complete");
    qp_soft_writer_abort(w);
    cr_expect_eq(access(path, F_OK), -1);
    cr_expect_eq(access(partial, F_OK), -1);
    cr_expect_eq(qp_soft_writer_open(&w, path, 0, &err), -1);
}
