// Helpers shared by the unit tests: where reference data lives, reading whole files.
//   tests/data/             the small subset of ../shared/vectors shipped with qecpipe
//   $QECPIPE_VECTORS        the full shared vectors (../shared/vectors), when present
// Tests that need the full set skip visibly when it is absent (QP_TEST_NEED_VECTORS: Criterion's
// cr_skip; shell tests exit 77, ctest's SKIP_RETURN_CODE). With QECPIPE_REQUIRE_VECTORS=1 (CI,
// which has ../shared) a missing vector is a failure instead, as is a test that would fall back
// to the shipped subset (QP_TEST_VECTORS_OR_SHIPPED).
#ifndef QP_TEST_SUPPORT_H
#define QP_TEST_SUPPORT_H

#include <stdint.h>
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

// QECPIPE_REQUIRE_VECTORS=1: a missing vector fails instead of skipping.
static inline int qp_test_vectors_required(void) {
    const char *r = getenv("QECPIPE_REQUIRE_VECTORS");
    return r && r[0] == '1';
}

// Criterion tests only. `dir` becomes the vectors directory; without it the test is skipped
// (reported as SKIPPED), or fails under QECPIPE_REQUIRE_VECTORS=1.
#define QP_TEST_NEED_VECTORS(dir)                                                                  \
    const char *dir = qp_test_vectors_dir();                                                       \
    do {                                                                                           \
        if (dir) break;                                                                            \
        if (qp_test_vectors_required()) {                                                          \
            cr_assert_fail("QECPIPE_REQUIRE_VECTORS=1 but the reference vectors are missing");     \
            return;                                                                                \
        }                                                                                          \
        cr_skip_test("../shared/vectors absent");                                                  \
    } while (0)

// Criterion tests only. `dir` becomes the vectors directory, or the shipped subset (tests/data)
// when they are absent; under QECPIPE_REQUIRE_VECTORS=1 their absence fails the test.
#define QP_TEST_VECTORS_OR_SHIPPED(dir)                                                            \
    const char *dir = qp_test_vectors_dir();                                                       \
    do {                                                                                           \
        if (dir) break;                                                                            \
        dir = qp_test_data_dir();                                                                  \
        if (qp_test_vectors_required()) {                                                          \
            cr_assert_fail("QECPIPE_REQUIRE_VECTORS=1 but the reference vectors are missing");     \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#ifdef CRITERION_H_
#include <unistd.h>
// A Criterion binary whose tests passed except for skipped ones exits 77, so ctest
// (SKIP_RETURN_CODE) reports it as skipped rather than passed.
ReportHook(POST_ALL)(struct criterion_global_stats *stats) {
    if (stats->tests_skipped && !stats->tests_failed && !stats->tests_crashed) {
        fprintf(stderr, "SKIP: %zu of %zu tests skipped (reference vectors absent); %zu passed\n",
                stats->tests_skipped, stats->nb_tests, stats->tests_passed);
        fflush(NULL);
        _exit(77);
    }
}
#endif

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

// One case line of a vectors MANIFEST.txt: NAME, then tab-separated key=value fields.
// A numeric field the line lacks reads as QP_TEST_ABSENT.
#define QP_TEST_ABSENT UINT64_MAX
typedef struct {
    char name[128];
    char basis;  // 'x' or 'z'
    uint64_t d, rounds, shots, detectors, observables, obs_flips, pm_mistakes, pm_corr_mistakes;
    uint64_t optimal_mistakes;  // the exact ML decoder's (d=3, 3 rounds; NAME.optimal.01)
    double p;
} qp_test_vector_case;

static inline uint64_t qp_test_field_u64(const char *line, const char *key) {
    const char *f = strstr(line, key);
    return f ? strtoull(f + strlen(key), NULL, 10) : QP_TEST_ABSENT;
}

// Reads the case lines of DIR/FILE (a MANIFEST) into cases (at most max). Returns how many,
// or -1 when the file cannot be read.
static inline int qp_test_read_manifest_file(const char *dir, const char *file, qp_test_vector_case *cases, int max) {
    char path[4096];
    snprintf(path, sizeof path, "%.3000s/%.900s", dir, file);
    char *text = qp_test_read_file(path, NULL);
    if (!text) return -1;
    int n = 0;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line && n < max; line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '#' || !strchr(line, '\t')) continue;
        qp_test_vector_case *c = &cases[n++];
        memset(c, 0, sizeof *c);
        sscanf(line, "%127[^\t]", c->name);
        const char *b = strstr(line, "\tbasis=");
        c->basis = b ? b[7] : 0;
        const char *p = strstr(line, "\tp=");
        c->p = p ? strtod(p + 3, NULL) : 0;
        c->d = qp_test_field_u64(line, "\td=");
        c->rounds = qp_test_field_u64(line, "\trounds=");
        c->shots = qp_test_field_u64(line, "\tshots=");
        c->detectors = qp_test_field_u64(line, "\tdetectors=");
        c->observables = qp_test_field_u64(line, "\tobservables=");
        c->obs_flips = qp_test_field_u64(line, "\tobs_flips=");
        c->pm_mistakes = qp_test_field_u64(line, "\tpymatching_mistakes=");
        c->pm_corr_mistakes = qp_test_field_u64(line, "\tpymatching_corr_mistakes=");
        c->optimal_mistakes = qp_test_field_u64(line, "\toptimal_mistakes=");
    }
    free(text);
    return n;
}

static inline int qp_test_read_manifest(const char *dir, qp_test_vector_case *cases, int max) {
    return qp_test_read_manifest_file(dir, "MANIFEST.txt", cases, max);
}

// The whole-language cases (vectors/gates/MANIFEST.gates.txt): the full set when present
// (*dir gets its folder), else the shipped subset tests/data/gates with a notice (or -1 under
// QECPIPE_REQUIRE_VECTORS=1).
static inline int qp_test_gates_cases(char *dir, size_t dir_len, qp_test_vector_case *cases, int max) {
    const char *full = getenv("QECPIPE_VECTORS");
    struct stat st;
    snprintf(dir, dir_len, "%s/gates", full ? full : "");
    if (!full || stat(dir, &st) != 0) {
        if (qp_test_vectors_required()) {  // callers assert at least one case
            fprintf(stderr, "QECPIPE_REQUIRE_VECTORS=1 but ../shared/vectors/gates is missing\n");
            return -1;
        }
        fprintf(stderr, "NOTICE: ../shared/vectors/gates not found; testing the shipped subset tests/data/gates only\n");
        snprintf(dir, dir_len, "%s/gates", qp_test_data_dir());
    }
    return qp_test_read_manifest_file(dir, "MANIFEST.gates.txt", cases, max);
}

#endif
