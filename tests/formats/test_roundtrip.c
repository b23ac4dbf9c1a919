// Random records through every format and back: writer -> file -> reader must return the
// same bytes, for record sizes that are and are not multiples of 8 and 64, dense and sparse
// data (sparse data makes r8 runs of 255 and more), and shot counts not multiples of 64
// (except ptb64, which only holds multiples of 64).
#include <criterion/criterion.h>

#include "pipeline/formats/shot_reader.h"
#include "pipeline/formats/shot_writer.h"
#include "tests/formats/formats_test_util.h"

// Writes random records (in random batch sizes) and reads them back (in random batch sizes),
// through a file written by qp_shot_writer when dir is non-NULL, else through memory.
static void round_trip(qp_shot_format format, uint64_t D, uint64_t K, size_t shots, double p, uint64_t seed,
                       const char *dir) {
    qp_rng rng;
    qp_rng_stream(&rng, seed, D * 1000 + K, shots);
    uint64_t bits = D + K;
    size_t bpr = qp_bytes_per_record(bits);
    uint8_t *recs = fmt_test_random_records(&rng, shots, bits, p);
    char path[256];
    qp_err err = {{0}};
    qp_shot_reader *r;
    qp_byte_buffer encoded = {0};
    if (dir) {
        snprintf(path, sizeof path, "%s/rt.%s", dir, qp_shot_format_name(format));
        qp_shot_writer *w;
        cr_assert_eq(qp_shot_writer_open(&w, path, format, D, K, &err), 0, "%s", err.msg);
        size_t done = 0;
        while (done < shots) {  // random batch sizes
            size_t n = 1 + (size_t)(qp_rng_u64(&rng) % 150);
            if (n > shots - done) n = shots - done;
            cr_assert_eq(qp_shot_writer_write(w, recs + done * bpr, n, &err), 0, "%s", err.msg);
            done += n;
        }
        cr_assert_eq(qp_shot_writer_close(w, &err), 0, "%s", err.msg);
        cr_assert_eq(qp_shot_reader_open(&r, path, format, D, K, &err), 0, "%s", err.msg);
    } else {
        qp_record_shape shape = qp_record_shape_make(D, K);
        cr_assert_eq(qp_shot_encode(format, &shape, recs, shots, &encoded, &err), 0, "%s", err.msg);
        cr_assert_eq(qp_shot_reader_open_mem(&r, "mem", encoded.data, encoded.len, format, D, K, &err), 0, "%s", err.msg);
    }
    uint8_t *got = calloc(shots * bpr + bpr * 200 + 1, 1);
    size_t total = 0;
    int64_t n;
    do {
        size_t want = 1 + (size_t)(qp_rng_u64(&rng) % 200);
        n = qp_shot_reader_read(r, got + total * bpr, want, &err);
        cr_assert_geq(n, 0, "%s D=%llu K=%llu shots=%zu: %s", qp_shot_format_name(format), (unsigned long long)D,
                      (unsigned long long)K, shots, err.msg);
        total += (size_t)n;
    } while (n > 0);
    qp_shot_reader_close(r);
    qp_byte_buffer_free(&encoded);
    cr_assert_eq(total, shots, "%s D=%llu K=%llu: wrote %zu records, read %zu", qp_shot_format_name(format),
                 (unsigned long long)D, (unsigned long long)K, shots, total);
    for (size_t i = 0; i < shots; i++)
        cr_assert(memcmp(got + i * bpr, recs + i * bpr, bpr) == 0, "%s D=%llu K=%llu p=%g: record %zu differs",
                  qp_shot_format_name(format), (unsigned long long)D, (unsigned long long)K, p, i);
    free(got);
    free(recs);
}

static const uint64_t sizes[][2] = {{1, 0}, {0, 1}, {7, 0}, {8, 0}, {9, 0}, {24, 1}, {62, 2}, {64, 0},
                                    {64, 1}, {100, 3}, {255, 0}, {256, 0}, {300, 1}, {1000, 4}};
static const double densities[] = {0.5, 0.02, 0.0005};

Test(roundtrip, all_formats_random_records_in_memory) {
    for (int f = 0; f < QP_FORMAT_COUNT; f++) {
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
            for (size_t d = 0; d < sizeof densities / sizeof densities[0]; d++) {
                size_t shots_list[] = {0, 1, 63, 64, 65, 129, 640};
                for (size_t c = 0; c < sizeof shots_list / sizeof shots_list[0]; c++) {
                    size_t shots = shots_list[c];
                    if (f == QP_FORMAT_PTB64 && shots % 64) continue;
                    round_trip((qp_shot_format)f, sizes[s][0], sizes[s][1], shots, densities[d], 17 + c, NULL);
                }
            }
        }
    }
}

Test(roundtrip, all_formats_random_records_through_files) {
    static const uint64_t file_sizes[][2] = {{1, 0}, {7, 0}, {24, 1}, {64, 1}, {300, 1}};
    static const double file_densities[] = {0.5, 0.0005};
    char dir[64];
    fmt_test_tmpdir(dir);
    for (int f = 0; f < QP_FORMAT_COUNT; f++) {
        for (size_t s = 0; s < sizeof file_sizes / sizeof file_sizes[0]; s++) {
            for (size_t d = 0; d < sizeof file_densities / sizeof file_densities[0]; d++) {
                size_t shots_list[] = {0, 65, 640};
                for (size_t c = 0; c < sizeof shots_list / sizeof shots_list[0]; c++) {
                    size_t shots = shots_list[c];
                    if (f == QP_FORMAT_PTB64 && shots % 64) continue;
                    round_trip((qp_shot_format)f, file_sizes[s][0], file_sizes[s][1], shots, file_densities[d], 17 + c, dir);
                }
            }
        }
    }
    fmt_test_rmdir(dir);
}

// r8 corner cases around the 255 escape: gaps of exactly 254 and 255 zeros, adjacent ones.
Test(roundtrip, r8_runs_around_255) {
    qp_record_shape shape = qp_record_shape_make(600, 0);
    size_t bpr = shape.bytes_per_record;
    const uint64_t ones[] = {254, 510, 511, 599};
    uint8_t *rec = calloc(bpr, 1);
    for (size_t i = 0; i < 4; i++) qp_bit_set(rec, ones[i]);
    qp_byte_buffer out = {0};
    qp_err err = {{0}};
    cr_assert_eq(qp_shot_encode(QP_FORMAT_R8, &shape, rec, 1, &out, &err), 0);
    // 254 zeros, 1 | 255 zeros (escape), 0 zeros, 1 | 0 zeros, 1 | 87 zeros, 1 | terminator.
    const uint8_t want[] = {254, 255, 0, 0, 87, 0};
    cr_assert_eq(out.len, sizeof want, "encoded %zu bytes", out.len);
    cr_assert(memcmp(out.data, want, sizeof want) == 0);
    qp_shot_reader *r;
    cr_assert_eq(qp_shot_reader_open_mem(&r, "mem.r8", out.data, out.len, QP_FORMAT_R8, 600, 0, &err), 0, "%s", err.msg);
    uint8_t *got = calloc(bpr, 2);
    cr_assert_eq(qp_shot_reader_read(r, got, 2, &err), 1, "%s", err.msg);
    cr_assert(memcmp(got, rec, bpr) == 0);
    qp_shot_reader_close(r);
    free(got);
    free(rec);
    qp_byte_buffer_free(&out);
}

// Exact r8 bytes for hand-computed cases (from the definition in Stim's result_formats.md).
Test(roundtrip, r8_exact_bytes) {
    qp_err err = {{0}};
    // 14 bits 00001111001101 (Stim's doc example): runs 4 0 0 0 2 0 1, then terminator run 0.
    qp_record_shape s14 = qp_record_shape_make(14, 0);
    uint8_t rec14[2] = {0};
    const char *bits14 = "00001111001101";
    for (int k = 0; k < 14; k++)
        if (bits14[k] == '1') qp_bit_set(rec14, (uint64_t)k);
    qp_byte_buffer out = {0};
    cr_assert_eq(qp_shot_encode(QP_FORMAT_R8, &s14, rec14, 1, &out, &err), 0);
    const uint8_t want14[] = {4, 0, 0, 0, 2, 0, 1, 0};
    cr_assert_eq(out.len, sizeof want14);
    cr_assert(memcmp(out.data, want14, sizeof want14) == 0);
    // b8 of the same record is f0 2c (as in Stim's doc).
    out.len = 0;
    cr_assert_eq(qp_shot_encode(QP_FORMAT_B8, &s14, rec14, 1, &out, &err), 0);
    cr_assert_eq(out.data[0], 0xf0);
    cr_assert_eq(out.data[1], 0x2c);
    // 600 zero bits: 255, 255, then 90 zeros before the terminator.
    qp_record_shape s600 = qp_record_shape_make(600, 0);
    uint8_t zero600[75] = {0};
    out.len = 0;
    cr_assert_eq(qp_shot_encode(QP_FORMAT_R8, &s600, zero600, 1, &out, &err), 0);
    const uint8_t want600[] = {255, 255, 90};
    cr_assert_eq(out.len, 3);
    cr_assert(memcmp(out.data, want600, 3) == 0);
    // 510 bits, all zero: exactly 2 x 255 zeros, then the terminator run 0.
    qp_record_shape s510 = qp_record_shape_make(510, 0);
    out.len = 0;
    cr_assert_eq(qp_shot_encode(QP_FORMAT_R8, &s510, zero600, 1, &out, &err), 0);
    const uint8_t want510[] = {255, 255, 0};
    cr_assert_eq(out.len, 3);
    cr_assert(memcmp(out.data, want510, 3) == 0);
    qp_byte_buffer_free(&out);
}

// ptb64 exact bytes for Stim's doc example: 64 shots of "M 0 1" after X 1.
Test(roundtrip, ptb64_exact_bytes) {
    qp_record_shape s2 = qp_record_shape_make(2, 0);
    uint8_t recs[64];
    for (int i = 0; i < 64; i++) recs[i] = 2;  // bit 1 set
    qp_byte_buffer out = {0};
    qp_err err = {{0}};
    cr_assert_eq(qp_shot_encode(QP_FORMAT_PTB64, &s2, recs, 64, &out, &err), 0);
    cr_assert_eq(out.len, 16);
    for (int b = 0; b < 8; b++) cr_assert_eq(out.data[b], 0);
    for (int b = 8; b < 16; b++) cr_assert_eq(out.data[b], 0xff);
    cr_assert_eq(qp_shot_encode(QP_FORMAT_PTB64, &s2, recs, 63, &out, &err), -1, "63 shots must be refused");
    cr_assert(strstr(err.msg, "multiple of 64") != NULL, "%s", err.msg);
    qp_byte_buffer_free(&out);
}

Test(roundtrip, split_and_join_are_inverse) {
    qp_rng rng;
    qp_rng_stream(&rng, 5, 6, 7);
    const uint64_t cases[][2] = {{24, 1}, {7, 3}, {8, 8}, {13, 70}, {1, 1}};
    for (size_t c = 0; c < 5; c++) {
        uint64_t D = cases[c][0], K = cases[c][1];
        size_t n = 77;
        uint8_t *joined = fmt_test_random_records(&rng, n, D + K, 0.5);
        uint8_t *dets = malloc(n * qp_bytes_per_record(D)), *obs = malloc(n * qp_bytes_per_record(K));
        qp_records_split(joined, n, D, K, dets, obs);
        for (size_t i = 0; i < n; i++) {
            for (uint64_t k = 0; k < D; k++)
                cr_assert_eq(qp_bit_get(dets + i * qp_bytes_per_record(D), k), qp_bit_get(joined + i * qp_bytes_per_record(D + K), k));
            for (uint64_t k = 0; k < K; k++)
                cr_assert_eq(qp_bit_get(obs + i * qp_bytes_per_record(K), k), qp_bit_get(joined + i * qp_bytes_per_record(D + K), D + k));
        }
        uint8_t *again = malloc(n * qp_bytes_per_record(D + K));
        qp_records_join(dets, obs, n, D, K, again);
        cr_assert(memcmp(again, joined, n * qp_bytes_per_record(D + K)) == 0, "D=%llu K=%llu", (unsigned long long)D,
                  (unsigned long long)K);
        free(joined); free(dets); free(obs); free(again);
    }
}

// Regression (found by fuzz_formats): encoding zero records into an empty buffer did pointer
// arithmetic on NULL (UBSan). Every format must accept n = 0 and produce no bytes.
Test(roundtrip, encoding_zero_records_is_empty) {
    qp_record_shape shape = qp_record_shape_make(24, 1);
    for (int f = 0; f < QP_FORMAT_COUNT; f++) {
        qp_byte_buffer out = {0};
        qp_err err = {{0}};
        cr_assert_eq(qp_shot_encode((qp_shot_format)f, &shape, NULL, 0, &out, &err), 0, "%s", err.msg);
        cr_assert_eq(out.len, 0);
        qp_byte_buffer_free(&out);
    }
    // Empty writes and reads are no-ops, and an empty file reads as zero records.
    char dir[64], path[256];
    fmt_test_tmpdir(dir);
    for (int f = 0; f < QP_FORMAT_COUNT; f++) {
        snprintf(path, sizeof path, "%s/empty.%s", dir, qp_shot_format_name((qp_shot_format)f));
        qp_shot_writer *w;
        qp_err err = {{0}};
        cr_assert_eq(qp_shot_writer_open(&w, path, (qp_shot_format)f, 24, 1, &err), 0, "%s", err.msg);
        cr_assert_eq(qp_shot_writer_write(w, NULL, 0, &err), 0);
        cr_assert_eq(qp_shot_writer_close(w, &err), 0, "%s", err.msg);
        qp_shot_reader *r;
        cr_assert_eq(qp_shot_reader_open(&r, path, (qp_shot_format)f, 24, 1, &err), 0, "%s", err.msg);
        cr_assert_eq(qp_shot_reader_read(r, NULL, 0, &err), 0);
        uint8_t rec[4];
        cr_assert_eq(qp_shot_reader_read(r, rec, 1, &err), 0, "%s", err.msg);
        qp_shot_reader_close(r);
    }
    fmt_test_rmdir(dir);
}
