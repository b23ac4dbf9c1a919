// libFuzzer target for the shot-data readers. Input layout: byte 0 picks the format, byte 1
// the number of detectors (0..63), byte 2 the number of observables (0..3), byte 3 the batch
// size; the rest is the file content, read from memory. Whatever the bytes, a reader must
// either fail with a one-line message or return records with zero padding; the records must
// survive encoding to every format and decoding again, and seeking must agree with reading.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/formats/shot_reader.h"
#include "pipeline/formats/shot_writer.h"

#define FUZZ_CHECK(cond)                                                             \
    do {                                                                             \
        if (!(cond)) {                                                               \
            fprintf(stderr, "fuzz_formats: check failed at line %d: %s\n", __LINE__, #cond); \
            abort();                                                                 \
        }                                                                            \
    } while (0)

// Reads everything; returns records (count in *n) or NULL on a (well-formed) error.
static uint8_t *read_all(qp_shot_format format, uint64_t D, uint64_t K, const uint8_t *data, size_t len, size_t batch,
                         size_t *n) {
    qp_shot_reader *r;
    qp_err err = {{0}};
    *n = 0;
    if (qp_shot_reader_open_mem(&r, "fuzz", data, len, format, D, K, &err) != 0) {
        FUZZ_CHECK(strchr(err.msg, '\n') == NULL && err.msg[0] != 0);
        return NULL;
    }
    size_t bpr = qp_bytes_per_record(D + K), cap = 64;
    uint8_t *recs = malloc(cap * bpr);
    for (;;) {
        if (cap - *n < batch) {
            cap = cap * 2 + batch;
            recs = realloc(recs, cap * bpr);
        }
        int64_t got = qp_shot_reader_read(r, recs + *n * bpr, batch, &err);
        if (got < 0) {
            FUZZ_CHECK(strchr(err.msg, '\n') == NULL && err.msg[0] != 0);
            free(recs);
            qp_shot_reader_close(r);
            return NULL;
        }
        if (got == 0) break;
        *n += (size_t)got;
    }
    qp_shot_reader_close(r);
    return recs;
}

int LLVMFuzzerTestOneInput(const uint8_t *input, size_t size) {
    if (size < 4) return 0;
    qp_shot_format format = (qp_shot_format)(input[0] % QP_FORMAT_COUNT);
    uint64_t D = input[1] % 64, K = input[2] % 4;
    if (D + K == 0) D = 1;
    size_t batch = 1 + input[3] % 97;
    const uint8_t *data = input + 4;
    size_t len = size - 4;
    size_t bpr = qp_bytes_per_record(D + K);

    size_t n;
    uint8_t *recs = read_all(format, D, K, data, len, batch, &n);
    if (!recs) return 0;
    for (size_t i = 0; i < n; i++)  // padding bits are zero
        if ((D + K) % 8) FUZZ_CHECK((recs[i * bpr + bpr - 1] >> ((D + K) % 8)) == 0);

    // Every format must carry the records through encode -> decode unchanged.
    qp_record_shape shape = qp_record_shape_make(D, K);
    for (int f = 0; f < QP_FORMAT_COUNT; f++) {
        if (f == QP_FORMAT_PTB64 && n % 64) continue;
        qp_byte_buffer enc = {0};
        qp_err err = {{0}};
        FUZZ_CHECK(qp_shot_encode((qp_shot_format)f, &shape, recs, n, &enc, &err) == 0);
        size_t n2;
        uint8_t *back = read_all((qp_shot_format)f, D, K, enc.data ? enc.data : (const uint8_t *)"", enc.len, 13, &n2);
        FUZZ_CHECK(back != NULL);
        FUZZ_CHECK(n2 == n);
        FUZZ_CHECK(n == 0 || memcmp(back, recs, n * bpr) == 0);
        free(back);
        qp_byte_buffer_free(&enc);
    }

    // Seeking (seekable formats) must land on the same records as reading from the start.
    if (n > 0 && (format == QP_FORMAT_B8 || format == QP_FORMAT_PTB64)) {
        qp_shot_reader *r;
        qp_err err = {{0}};
        FUZZ_CHECK(qp_shot_reader_open_mem(&r, "fuzz", data, len, format, D, K, &err) == 0);
        uint64_t at = input[3] % (n + 1);
        FUZZ_CHECK(qp_shot_reader_seek(r, at, &err) == 0);
        uint8_t *rest = malloc((n - at + 1) * bpr);
        int64_t got = qp_shot_reader_read(r, rest, n - at + 1, &err);
        FUZZ_CHECK(got == (int64_t)(n - at));
        FUZZ_CHECK(got == 0 || memcmp(rest, recs + at * bpr, (size_t)got * bpr) == 0);
        free(rest);
        qp_shot_reader_close(r);
    }
    free(recs);
    return 0;
}
