// Helpers for the formats tests: temporary directories, writing files, random records.
#ifndef QP_TESTS_FORMATS_TEST_UTIL_H
#define QP_TESTS_FORMATS_TEST_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pipeline/formats/record_bits.h"
#include "workers/util/rng.h"

// Creates a fresh directory /tmp/qp_formats_XXXXXX; dir must hold 64 bytes.
static inline void fmt_test_tmpdir(char *dir) {
    strcpy(dir, "/tmp/qp_formats_XXXXXX");
    if (!mkdtemp(dir)) abort();
}

static inline int fmt_test_write_file(const char *path, const void *data, size_t len) {
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t put = len ? fwrite(data, 1, len, f) : 0;
    fclose(f);
    return put == len ? 0 : -1;
}

static inline int fmt_test_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

// Removes every file in dir, then dir.
static inline void fmt_test_rmdir(const char *dir) {
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
}

// n random records of num_bits bits, each bit set with probability p; padding bits 0.
// Returned buffer is (n, ceil(num_bits/8)) (+1 byte so n = 0 is fine); free() it.
static inline uint8_t *fmt_test_random_records(qp_rng *rng, size_t n, uint64_t num_bits, double p) {
    size_t bpr = qp_bytes_per_record(num_bits);
    uint8_t *recs = calloc(n * bpr + 1, 1);
    for (size_t i = 0; i < n; i++)
        for (uint64_t k = 0; k < num_bits; k++)
            if (qp_rng_uniform(rng) < p) qp_bit_set(recs + i * bpr, k);
    return recs;
}

#endif
