// Throughput of the shot-data formats: b8 file write and read through the streaming writer
// and reader (MB/s of record bytes, page cache, fsync included in the write), and in-memory
// encode/decode per format at detection-event density 1% (typical surface-code data).
// One JSON line per figure.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pipeline/formats/shot_reader.h"
#include "pipeline/formats/shot_writer.h"
#include "workers/util/rng.h"

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void report(const char *figure, const char *format, double mb, double seconds, uint64_t records, uint64_t bits) {
    printf("{\"bench\":\"formats\",\"figure\":\"%s\",\"format\":\"%s\",\"MB_per_s\":%.1f,\"records\":%llu,"
           "\"bits_per_record\":%llu,\"seconds\":%.4f}\n",
           figure, format, mb / seconds, (unsigned long long)records, (unsigned long long)bits, seconds);
}

int main(int argc, char **argv) {
    uint64_t num_records = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000;
    const uint64_t D = 120, K = 1;  // d=5, 5 rounds: 120 detectors + 1 observable
    qp_record_shape shape = qp_record_shape_make(D, K);
    size_t bpr = shape.bytes_per_record;
    uint8_t *recs = calloc(num_records * bpr, 1);
    qp_rng rng;
    qp_rng_stream(&rng, 1, 2, 3);
    for (uint64_t i = 0; i < num_records; i++)
        for (uint64_t k = 0; k < D + K; k++)
            if (qp_rng_uniform(&rng) < 0.01) qp_bit_set(recs + i * bpr, k);
    double mb = (double)(num_records * bpr) / 1e6;
    qp_err err = {{0}};

    char path[] = "/tmp/qp_bench_formats_XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) return 1;
    close(fd);
    double t0 = now_s();
    qp_shot_writer *w;
    if (qp_shot_writer_open(&w, path, QP_FORMAT_B8, D, K, &err) != 0) return fprintf(stderr, "%s\n", err.msg), 1;
    for (uint64_t i = 0; i < num_records; i += 4096) {
        size_t n = num_records - i < 4096 ? (size_t)(num_records - i) : 4096;
        if (qp_shot_writer_write(w, recs + i * bpr, n, &err) != 0) return fprintf(stderr, "%s\n", err.msg), 1;
    }
    if (qp_shot_writer_close(w, &err) != 0) return fprintf(stderr, "%s\n", err.msg), 1;
    report("file_write", "b8", mb, now_s() - t0, num_records, D + K);

    uint8_t *back = malloc(4096 * bpr);
    t0 = now_s();
    qp_shot_reader *r;
    if (qp_shot_reader_open(&r, path, QP_FORMAT_B8, D, K, &err) != 0) return fprintf(stderr, "%s\n", err.msg), 1;
    uint64_t total = 0;
    int64_t got;
    while ((got = qp_shot_reader_read(r, back, 4096, &err)) > 0) total += (uint64_t)got;
    qp_shot_reader_close(r);
    report("file_read", "b8", mb, now_s() - t0, total, D + K);
    unlink(path);
    free(back);

    uint8_t *decoded = malloc(num_records * bpr + 1);
    for (int f = 0; f < QP_FORMAT_COUNT; f++) {
        qp_shot_format format = (qp_shot_format)f;
        uint64_t n = format == QP_FORMAT_PTB64 ? num_records / 64 * 64 : num_records;
        qp_byte_buffer enc = {0};
        t0 = now_s();
        qp_shot_encode(format, &shape, recs, (size_t)n, &enc, &err);
        report("encode", qp_shot_format_name(format), mb, now_s() - t0, n, D + K);
        t0 = now_s();
        if (qp_shot_reader_open_mem(&r, "mem", enc.data, enc.len, format, D, K, &err) != 0)
            return fprintf(stderr, "%s\n", err.msg), 1;
        got = qp_shot_reader_read(r, decoded, (size_t)n, &err);
        qp_shot_reader_close(r);
        double dt = now_s() - t0;
        if (got != (int64_t)n || memcmp(decoded, recs, (size_t)n * bpr) != 0)
            return fprintf(stderr, "%s: decode mismatch\n", qp_shot_format_name(format)), 1;
        report("decode", qp_shot_format_name(format), mb, dt, n, D + K);
        qp_byte_buffer_free(&enc);
    }
    free(decoded);
    free(recs);
    return 0;
}
