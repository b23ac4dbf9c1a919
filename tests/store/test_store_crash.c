// A crash between journal appends (SIGKILL, no close) leaves PATH.partial and no PATH; the
// re-run resumes it: the journal holds the rows appended before the crash, the data written
// before the last journal row is intact, and finishing the run gives the same bytes as the
// .b8 file. Each phase runs in a forked child that initialises MPI as a singleton, because
// MPI cannot be initialised again in one process (and Criterion forks anyway).
#include <criterion/criterion.h>
#include <mpi.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pipeline/store/store.h"
#include "pipeline/store/store_dataset.h"
#include "pipeline/store/store_journal.h"
#include "tests/test_support.h"

enum { SHOTS = 20000, DETECTORS = 120, BYTES_PER_SHOT = 15, JOURNALED = 10000, UNJOURNALED = 5000 };

static char dir[256], path[400], partial[420];
static uint8_t *b8;

static int file_exists(const char *p) {
    struct stat st;
    return stat(p, &st) == 0;
}

#define CHILD_CHECK(cond, ...)                                              \
    do {                                                                    \
        if (!(cond)) {                                                      \
            fprintf(stderr, "child check failed line %d: ", __LINE__);      \
            fprintf(stderr, __VA_ARGS__);                                   \
            fprintf(stderr, "\n");                                          \
            return 1;                                                       \
        }                                                                   \
    } while (0)

// Phase 1: journal the first 10000 shots, write 5000 more without a journal row, die.
static int crash_writer(void) {
    qp_err err;
    qp_store *s;
    qp_store_dset *d, *j;
    CHILD_CHECK(qp_store_create(path, MPI_COMM_WORLD, &s, &err) == 0, "%s", err.msg);
    CHILD_CHECK(qp_store_bits_create(s, "/experiments/x/detectors", DETECTORS, 1000, 0, &d, &err) == 0, "%s", err.msg);
    CHILD_CHECK(qp_store_journal_create(s, "/journal", 3, NULL, &j, &err) == 0, "%s", err.msg);
    CHILD_CHECK(qp_store_dset_append(d, JOURNALED, b8, NULL, &err) == 0, "%s", err.msg);
    uint64_t row[3] = {0, 0, JOURNALED};
    CHILD_CHECK(qp_store_journal_append(j, row, 1, &err) == 0, "%s", err.msg);
    CHILD_CHECK(qp_store_dset_append(d, UNJOURNALED, b8 + JOURNALED * BYTES_PER_SHOT, NULL, &err) == 0,
                "%s", err.msg);
    raise(SIGKILL);
    return 1;
}

// Phase 2: resume, keep what the journal covers, write the rest, close.
static int resumer(void) {
    qp_err err;
    qp_store *s;
    int resumed = -1;
    CHILD_CHECK(qp_store_create_or_resume(path, MPI_COMM_WORLD, &s, &resumed, &err) == 0, "%s", err.msg);
    CHILD_CHECK(resumed == 1, "did not resume");
    uint64_t *rows, n, width;
    CHILD_CHECK(qp_store_journal_read(s, "/journal", &rows, &n, &width, &err) == 0, "%s", err.msg);
    CHILD_CHECK(n == 1 && width == 3 && rows[2] == JOURNALED, "journal n=%llu", (unsigned long long)n);
    free(rows);
    qp_store_dset *d, *j;
    CHILD_CHECK(qp_store_dset_open(s, "/experiments/x/detectors", &d, &err) == 0, "%s", err.msg);
    CHILD_CHECK(qp_store_dset_rows(d) >= JOURNALED, "rows %llu", (unsigned long long)qp_store_dset_rows(d));
    uint8_t *got = malloc((size_t)JOURNALED * BYTES_PER_SHOT);
    CHILD_CHECK(qp_store_dset_read(d, 0, JOURNALED, got, &err) == 0, "%s", err.msg);
    CHILD_CHECK(memcmp(got, b8, (size_t)JOURNALED * BYTES_PER_SHOT) == 0, "journaled rows differ");
    free(got);
    CHILD_CHECK(qp_store_dset_set_rows(d, JOURNALED, &err) == 0, "%s", err.msg);
    CHILD_CHECK(qp_store_dset_append(d, SHOTS - JOURNALED, b8 + JOURNALED * BYTES_PER_SHOT, NULL, &err) == 0,
                "%s", err.msg);
    CHILD_CHECK(qp_store_dset_open(s, "/journal", &j, &err) == 0, "%s", err.msg);
    uint64_t row[3] = {0, 1, SHOTS - JOURNALED};
    CHILD_CHECK(qp_store_journal_append(j, row, 1, &err) == 0, "%s", err.msg);
    CHILD_CHECK(qp_store_close(s, &err) == 0, "%s", err.msg);
    return 0;
}

// Phase 3: the final file equals the .b8 file.
static int verifier(void) {
    qp_err err;
    qp_store *s;
    qp_store_dset *d;
    CHILD_CHECK(qp_store_open(path, MPI_COMM_WORLD, QP_STORE_READ, &s, &err) == 0, "%s", err.msg);
    CHILD_CHECK(qp_store_dset_open(s, "/experiments/x/detectors", &d, &err) == 0, "%s", err.msg);
    CHILD_CHECK(qp_store_dset_rows(d) == SHOTS, "rows %llu", (unsigned long long)qp_store_dset_rows(d));
    uint8_t *got = malloc((size_t)SHOTS * BYTES_PER_SHOT);
    CHILD_CHECK(qp_store_dset_read(d, 0, SHOTS, got, &err) == 0, "%s", err.msg);
    CHILD_CHECK(memcmp(got, b8, (size_t)SHOTS * BYTES_PER_SHOT) == 0, "final dataset differs from .b8");
    free(got);
    uint64_t *rows, n, width;
    CHILD_CHECK(qp_store_journal_read(s, "/journal", &rows, &n, &width, &err) == 0, "%s", err.msg);
    CHILD_CHECK(n == 2 && rows[5] == SHOTS - JOURNALED, "journal n=%llu", (unsigned long long)n);
    free(rows);
    CHILD_CHECK(qp_store_close(s, &err) == 0, "%s", err.msg);
    return 0;
}

// Runs phase in a child with MPI initialised; returns the raw wait status.
static int in_child(int (*phase)(void)) {
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        MPI_Init(NULL, NULL);
        int rc = phase();
        MPI_Finalize();
        _exit(rc);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return status;
}

Test(store_crash, sigkill_then_resume) {
    char b8_path[600];
    snprintf(b8_path, sizeof b8_path, "%s/surface_x_d5_r5_p0.003.dets.b8", qp_test_data_dir());
    size_t len = 0;
    b8 = (uint8_t *)qp_test_read_file(b8_path, &len);
    cr_assert(b8 && len == (size_t)SHOTS * BYTES_PER_SHOT, "%s", b8_path);
    snprintf(dir, sizeof dir, "/tmp/qp_store_crash_XXXXXX");
    cr_assert(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/results.h5", dir);
    snprintf(partial, sizeof partial, "%s.partial", path);

    int st = in_child(crash_writer);
    cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "writer should die by SIGKILL (status %d)", st);
    cr_expect(file_exists(partial), "a crash leaves the .partial");
    cr_expect(!file_exists(path), "a crash leaves no file under the final name");

    st = in_child(resumer);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "resume failed (status %d)", st);
    cr_expect(file_exists(path) && !file_exists(partial), "renamed after the resumed run");

    st = in_child(verifier);
    cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 0, "verify failed (status %d)", st);

    unlink(path);
    unlink(partial);
    rmdir(dir);
    free(b8);
}
