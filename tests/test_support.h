// Helpers shared by the unit tests: where reference data lives, reading whole files.
//   tests/data/             the small subset of ../shared/vectors shipped with qecpipe
//   $QECPIPE_VECTORS        the full shared vectors (../shared/vectors), when present
// Tests that need the full set call qp_test_vectors_dir() and skip with a printed notice
// when it returns NULL.
#ifndef QP_TEST_SUPPORT_H
#define QP_TEST_SUPPORT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static inline const char *qp_test_data_dir(void) {
    const char *d = getenv("QECPIPE_TEST_DATA");
    return d ? d : "tests/data";
}

// Full shared vectors directory, or NULL (with a notice on stderr) when absent.
static inline const char *qp_test_vectors_dir(void) {
    const char *d = getenv("QECPIPE_VECTORS");
    struct stat st;
    if (d && stat(d, &st) == 0 && S_ISDIR(st.st_mode)) return d;
    fprintf(stderr, "NOTICE: ../shared/vectors not found; skipping cases that need the full reference vectors\n");
    return NULL;
}

// True under the sanitizer build (QECPIPE_TEST_QUICK=1, set by cmake/Tests.cmake): statistical
// tests then use fewer shots (and print so), since ASan/UBSan make them several times slower.
static inline int qp_test_quick(void) {
    const char *q = getenv("QECPIPE_TEST_QUICK");
    return q && q[0] == '1';
}

// Reads a whole file; returns malloc'd buffer (NUL-terminated) or NULL. *len gets the size.
static inline char *qp_test_read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (n > 0 && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        fclose(f);
        return NULL;
    }
    buf[n] = 0;
    fclose(f);
    if (len) *len = (size_t)n;
    return buf;
}

// Looks for `name` in the shared vectors first, then tests/data. Writes into out.
static inline int qp_test_find(const char *name, char *out, size_t out_len) {
    const char *dirs[2] = {getenv("QECPIPE_VECTORS"), qp_test_data_dir()};
    for (int i = 0; i < 2; i++) {
        if (!dirs[i]) continue;
        snprintf(out, out_len, "%s/%s", dirs[i], name);
        struct stat st;
        if (stat(out, &st) == 0) return 0;
    }
    return -1;
}

#endif
