// The parallel HDF5 results store on 1, 2 and 4 ranks (pipeline/store/):
// - uneven shares (one rank with none) of the detection events of surface_x_d5_r5_p0.003
//   (20000 shots x 120 detectors = 15 bytes per shot) written collectively, by explicit ranges
//   and by appends, with and without deflate; read back equal to the .b8 file byte for byte
//   (so the dataset does not depend on the rank count), and by interleaved task ranges in one
//   collective write per rank;
// - the circuit text stored as bytes and read back equal to the .stim file;
// - float32 / float64 per-shot arrays written collectively and read back exactly;
// - attributes of every type round-trip, and replacing one works;
// - the journal: appends in rank order, read back on open, resumed from a .partial;
// - atomicity: the final name appears only at close, never after an abort, and an existing
//   file at the final path survives a failed run untouched;
// - errors agree across ranks (one rank's bad range fails every rank with the same message);
// - rows cut back (a resume dropping an unjournaled wave) and written again read back as
//   written (HDF5 kept the cut edge chunk cached and wrote it over them at close);
// - the claim: a store on a PATH claimed elsewhere fails on every rank naming the holder and
//   opens nothing; an aborted store that journaled work keeps its .partial;
// - file sized to its data (issue 20): texts contiguous and exactly their bytes on disk, a small
//   per-shot dataset one chunk of exactly its rows, the journal 64-row chunks, a deflated one
//   smaller than its bytes; qp_store_chunk_rows at both ends (one chunk, ~1 MiB of whole tasks);
// - disk space reserved ahead: a reservation the disk cannot hold fails on every rank with one
//   line, and nothing is written.
#include <hdf5.h>
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pipeline/store/store.h"
#include "pipeline/store/store_attr.h"
#include "pipeline/store/store_dataset.h"
#include "pipeline/store/store_journal.h"
#include "pipeline/store/store_text.h"
#include "pipeline/store/store_unlink.h"
#include "tests/mpi_check.h"
#include "tests/test_support.h"

enum { SHOTS = 20000, DETECTORS = 120, BYTES_PER_SHOT = 15 };

// Under -DQECPIPE_SANITIZE=ON: Open MPI, PMIx and HDF5 keep some allocations until exit, which
// LeakSanitizer reports. Suppress leaks whose stack passes through those libraries only (our
// own leaks still fail the test). Full stacks need the slow unwinder, and plugin names need the
// MCA components to stay loaded (set before MPI_Init in main). Unused in plain builds.
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void) {
    return "leak:libmpi.so\nleak:libopen-pal.so\nleak:libopen-rte.so\nleak:mca_\n"
           "leak:libpmix.so\nleak:libhwloc.so\nleak:libevent\nleak:libhdf5\n";
}
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "fast_unwind_on_malloc=0"; }

static int rank, size;
static char dir[256];

static int file_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

static void path_in_dir(char *out, size_t n, const char *name) { snprintf(out, n, "%s/%s", dir, name); }

// Uneven contiguous shares of [0, total): weights 1, 3, 0, 7, 1, 3, 0, 7, ... (rank 2 gets none).
static void my_share(uint64_t total, uint64_t *first, uint64_t *count) {
    uint64_t sum = 0, before = 0;
    for (int r = 0; r < size; r++) {
        uint64_t w = (uint64_t[]){1, 3, 0, 7}[r % 4];
        if (r < rank) before += w;
        sum += w;
    }
    uint64_t w = (uint64_t[]){1, 3, 0, 7}[rank % 4];
    *first = total * before / sum;
    *count = total * (before + w) / sum - *first;
}

static float f32_value(uint64_t i) { return (float)i * 0.5f - 3.0f; }
static double f64_value(uint64_t i, uint64_t c) { return (double)i / 7.0 + (double)c * 1e-9; }

static char *big_config_text(void) {  // 100 KB: more than an object header holds inline
    size_t n = 100000;
    char *t = malloc(n + 1);
    for (size_t i = 0; i < n; i++) t[i] = (i % 61 == 60) ? '\n' : (char)('a' + i % 26);
    t[n] = 0;
    return t;
}

// Writes the b8 bytes as /experiments/x/detectors (explicit ranges), /experiments/x/dets_append
// (two rounds of appends) and /experiments/x/dets_deflate (deflate 4), plus float arrays and
// attributes; closes; checks the rename.
static void write_results(const char *path, const uint8_t *b8) {
    qp_err err;
    qp_store *s;
    MPI_CHECK(qp_store_create(path, MPI_COMM_WORLD, &s, &err) == 0, "%s", err.msg);
    char partial[700];
    snprintf(partial, sizeof partial, "%s.partial", path);
    MPI_CHECK(file_exists(partial), "%s should exist while writing", partial);
    MPI_CHECK(!file_exists(path), "%s should not exist before close", path);

    uint64_t first, count;
    my_share(SHOTS, &first, &count);

    // Explicit ranges: extend once, each rank writes [first, first + count).
    qp_store_dset *d;
    MPI_CHECK(qp_store_bits_create(s, "/experiments/x/detectors", DETECTORS, 0, 0, &d, &err) == 0,
              "%s", err.msg);
    MPI_CHECK(qp_store_dset_cols(d) == BYTES_PER_SHOT, "cols %llu", (unsigned long long)qp_store_dset_cols(d));
    MPI_CHECK(qp_store_dset_set_rows(d, SHOTS, &err) == 0, "%s", err.msg);
    MPI_CHECK(qp_store_dset_write(d, first, count, count ? b8 + first * BYTES_PER_SHOT : NULL, &err) == 0,
              "%s", err.msg);
    qp_store_dset_close(d);

    // Appends: two rounds, each covering half of the shots, shared unevenly in rank order.
    MPI_CHECK(qp_store_bits_create(s, "/experiments/x/dets_append", DETECTORS, 1000, 0, &d, &err) == 0,
              "%s", err.msg);
    for (int round = 0; round < 2; round++) {
        uint64_t f, c, off = 0;
        my_share(SHOTS / 2, &f, &c);
        f += (uint64_t)round * (SHOTS / 2);
        MPI_CHECK(qp_store_dset_append(d, c, b8 + f * BYTES_PER_SHOT, &off, &err) == 0, "%s", err.msg);
        MPI_CHECK(off == f, "append offset %llu, expected %llu", (unsigned long long)off,
                  (unsigned long long)f);
    }
    MPI_CHECK(qp_store_dset_rows(d) == SHOTS, "rows %llu", (unsigned long long)qp_store_dset_rows(d));
    qp_store_dset_close(d);

    // Deflate needs collective writes; ours are.
    MPI_CHECK(qp_store_bits_create(s, "/experiments/x/dets_deflate", DETECTORS, 2048, 4, &d, &err) == 0,
              "%s", err.msg);
    MPI_CHECK(qp_store_dset_append(d, count, b8 + first * BYTES_PER_SHOT, NULL, &err) == 0, "%s", err.msg);
    qp_store_dset_close(d);

    // Interleaved tasks of 700 shots (task t on rank t % size, rank 2's tasks moved to rank 0),
    // each rank's ranges in one collective write, passed in reverse order.
    MPI_CHECK(qp_store_bits_create(s, "/experiments/x/dets_ranges", DETECTORS, 0, 0, &d, &err) == 0,
              "%s", err.msg);
    MPI_CHECK(qp_store_dset_set_rows(d, SHOTS, &err) == 0, "%s", err.msg);
    {
        enum { TASK = 700, TASKS = (SHOTS + TASK - 1) / TASK };
        uint64_t offs[TASKS], cnts[TASKS];
        const void *bufs[TASKS];
        size_t n = 0;
        for (int t = TASKS - 1; t >= 0; t--) {
            int owner = t % size == 2 ? 0 : t % size;
            if (owner != rank) continue;
            offs[n] = (uint64_t)t * TASK;
            cnts[n] = offs[n] + TASK <= SHOTS ? TASK : SHOTS - offs[n];
            bufs[n] = b8 + offs[n] * BYTES_PER_SHOT;
            n++;
        }
        MPI_CHECK(qp_store_dset_write_ranges(d, n, offs, cnts, bufs, &err) == 0, "%s", err.msg);
        // Overlapping ranges of one rank are refused on every rank.
        uint64_t o2[2] = {0, 10}, c2[2] = {rank == 0 ? 11 : 1, 1};
        const void *b2[2] = {b8, b8};
        MPI_CHECK(qp_store_dset_write_ranges(d, 2, o2, c2, b2, &err) != 0 && strstr(err.msg, "overlap at row 10"),
                  "overlapping ranges: %s", err.msg);
    }
    qp_store_dset_close(d);

    // Per-shot floats: float32 (shots,), float64 (shots, 2).
    float *f32 = malloc((count + 1) * sizeof *f32);
    double *f64 = malloc((count + 1) * 2 * sizeof *f64);
    for (uint64_t i = 0; i < count; i++) {
        f32[i] = f32_value(first + i);
        for (uint64_t c = 0; c < 2; c++) f64[i * 2 + c] = f64_value(first + i, c);
    }
    qp_store_dset *w32, *w64;
    MPI_CHECK(qp_store_dset_create(s, "/experiments/x/decoders/mwpm/weights", QP_STORE_F32, 0, 0, 0,
                                   &w32, &err) == 0, "%s", err.msg);
    MPI_CHECK(qp_store_dset_append(w32, count, f32, NULL, &err) == 0, "%s", err.msg);
    MPI_CHECK(qp_store_dset_create(s, "/experiments/x/decoders/nn/confidence", QP_STORE_F64, 2, 0, 0,
                                   &w64, &err) == 0, "%s", err.msg);
    MPI_CHECK(qp_store_dset_set_rows(w64, SHOTS, &err) == 0, "%s", err.msg);
    MPI_CHECK(qp_store_dset_write(w64, first, count, f64, &err) == 0, "%s", err.msg);
    qp_store_dset_close(w32);
    // w64 deliberately left open: qp_store_close must close it.
    free(f32);
    free(f64);

    // Attributes at the root and on a group; one replaced by a value of another type.
    char *config = big_config_text();
    MPI_CHECK(qp_store_attr_set_str(s, "/", "config", config, &err) == 0, "%s", err.msg);
    MPI_CHECK(qp_store_attr_set_str(s, "/", "version", "0.1.0", &err) == 0, "%s", err.msg);
    MPI_CHECK(qp_store_attr_set_u64(s, "/", "seed", UINT64_MAX - 5, &err) == 0, "%s", err.msg);
    MPI_CHECK(qp_store_attr_set_i64(s, "/", "ranks", (int64_t)size, &err) == 0, "%s", err.msg);
    MPI_CHECK(qp_store_attr_set_f64(s, "/", "seconds", 1.0 / 3.0, &err) == 0, "%s", err.msg);
    MPI_CHECK(qp_store_attr_set_i64(s, "/experiments/x", "shots", -1, &err) == 0, "%s", err.msg);
    MPI_CHECK(qp_store_attr_set_u64(s, "/experiments/x", "shots", SHOTS, &err) == 0, "%s", err.msg);
    MPI_CHECK(qp_store_group_create(s, "/experiments/y/decoders/uf", &err) == 0, "%s", err.msg);
    MPI_CHECK(qp_store_group_create(s, "/experiments/y/decoders/uf", &err) == 0, "again: %s", err.msg);
    MPI_CHECK(qp_store_attr_set_f64(s, "/experiments/y/decoders/uf", "ler", -0.0, &err) == 0, "%s",
              err.msg);
    // Unlink: a half-written group goes away; a missing path is not an error.
    MPI_CHECK(qp_store_dset_create(s, "/experiments/z/decoders/uf/weights", QP_STORE_F32, 0, 0, 0, &d,
                                   &err) == 0, "%s", err.msg);
    qp_store_dset_close(d);
    MPI_CHECK(qp_store_unlink(s, "/experiments/z", &err) == 0 && !qp_store_exists(s, "/experiments/z"),
              "unlink: %s", err.msg);
    MPI_CHECK(qp_store_unlink(s, "/experiments/z", &err) == 0, "unlink a missing path: %s", err.msg);
    MPI_CHECK(qp_store_attr_set_str(s, "/experiments/nope", "a", "b", &err) != 0 &&
                  strstr(err.msg, "no object /experiments/nope"),
              "attribute on a missing object: %s", err.msg);
    free(config);

    // The circuit as text; only rank 0's copy counts.
    char stim_path[600];
    snprintf(stim_path, sizeof stim_path, "%s/surface_x_d5_r5_p0.003.stim", qp_test_data_dir());
    char *stim = rank == 0 ? qp_test_read_file(stim_path, NULL) : NULL;
    MPI_CHECK(rank != 0 || stim, "%s", stim_path);
    MPI_CHECK(qp_store_text_write(s, "/experiments/x/circuit", "stim", stim, &err) == 0, "%s", err.msg);
    MPI_CHECK(qp_store_text_write(s, "/experiments/x/empty", "dem", rank == 0 ? "" : NULL, &err) == 0,
              "%s", err.msg);
    free(stim);

    MPI_CHECK(qp_store_close(s, &err) == 0, "%s", err.msg);
    MPI_CHECK(file_exists(path), "%s should exist after close", path);
    MPI_CHECK(!file_exists(partial), "%s should be gone after close", partial);
}

static void check_bits(qp_store *s, const char *name, const uint8_t *b8) {
    qp_err err;
    qp_store_dset *d;
    MPI_CHECK(qp_store_dset_open(s, name, &d, &err) == 0, "%s", err.msg);
    if (!d) return;
    MPI_CHECK(qp_store_dset_rows(d) == SHOTS && qp_store_dset_cols(d) == BYTES_PER_SHOT &&
                  qp_store_dset_type(d) == QP_STORE_U8,
              "%s shape %llu x %llu", name, (unsigned long long)qp_store_dset_rows(d),
              (unsigned long long)qp_store_dset_cols(d));
    uint8_t *all = malloc((size_t)SHOTS * BYTES_PER_SHOT);
    MPI_CHECK(qp_store_dset_read(d, 0, SHOTS, all, &err) == 0, "%s", err.msg);
    MPI_CHECK(memcmp(all, b8, (size_t)SHOTS * BYTES_PER_SHOT) == 0, "%s differs from the .b8 file", name);
    // A hyperslab in the middle, different on every rank.
    uint64_t off = 123 + 997 * (uint64_t)rank, n = 501;
    memset(all, 0xAA, n * BYTES_PER_SHOT);
    MPI_CHECK(qp_store_dset_read(d, off, n, all, &err) == 0, "%s", err.msg);
    MPI_CHECK(memcmp(all, b8 + off * BYTES_PER_SHOT, n * BYTES_PER_SHOT) == 0, "%s rows %llu..", name,
              (unsigned long long)off);
    MPI_CHECK(qp_store_dset_read(d, SHOTS - 1, 2, all, &err) != 0 && strstr(err.msg, "dataset has 20000 rows"),
              "read past the end: %s", err.msg);
    free(all);
    char *fmt = NULL;
    uint64_t bits = 0;
    MPI_CHECK(qp_store_attr_get_str(s, name, "format", &fmt, &err) == 0 && strcmp(fmt, "b8") == 0,
              "format %s %s", fmt ? fmt : "(null)", err.msg);
    MPI_CHECK(qp_store_attr_get_u64(s, name, "bits_per_shot", &bits, &err) == 0 && bits == DETECTORS,
              "bits_per_shot %llu", (unsigned long long)bits);
    free(fmt);
    qp_store_dset_close(d);
}

static void read_results(const char *path, const uint8_t *b8) {
    qp_err err;
    qp_store *s;
    MPI_CHECK(qp_store_open(path, MPI_COMM_WORLD, QP_STORE_READ, &s, &err) == 0, "%s", err.msg);
    if (!s) return;
    check_bits(s, "/experiments/x/detectors", b8);
    check_bits(s, "/experiments/x/dets_append", b8);
    check_bits(s, "/experiments/x/dets_deflate", b8);
    check_bits(s, "/experiments/x/dets_ranges", b8);

    qp_store_dset *d;
    MPI_CHECK(qp_store_dset_open(s, "/experiments/x/decoders/mwpm/weights", &d, &err) == 0, "%s", err.msg);
    float *f32 = malloc(SHOTS * sizeof *f32);
    MPI_CHECK(qp_store_dset_type(d) == QP_STORE_F32 && qp_store_dset_rows(d) == SHOTS &&
                  qp_store_dset_cols(d) == 1, "weights shape");
    MPI_CHECK(qp_store_dset_read(d, 0, SHOTS, f32, &err) == 0, "%s", err.msg);
    int bad = 0;
    for (uint64_t i = 0; i < SHOTS; i++) bad += f32[i] != f32_value(i);
    MPI_CHECK(bad == 0, "%d float32 values differ", bad);
    qp_store_dset_close(d);
    free(f32);

    MPI_CHECK(qp_store_dset_open(s, "/experiments/x/decoders/nn/confidence", &d, &err) == 0, "%s", err.msg);
    MPI_CHECK(qp_store_dset_type(d) == QP_STORE_F64 && qp_store_dset_cols(d) == 2, "confidence shape");
    double *f64 = malloc(SHOTS * 2 * sizeof *f64);
    MPI_CHECK(qp_store_dset_read(d, 0, SHOTS, f64, &err) == 0, "%s", err.msg);
    bad = 0;
    for (uint64_t i = 0; i < SHOTS; i++)
        for (uint64_t c = 0; c < 2; c++) bad += f64[i * 2 + c] != f64_value(i, c);
    MPI_CHECK(bad == 0, "%d float64 values differ", bad);
    qp_store_dset_close(d);
    free(f64);

    char *config = NULL, *version = NULL, *want = big_config_text();
    uint64_t seed = 0, shots = 0;
    int64_t ranks = 0;
    double seconds = 0, ler = 1;
    MPI_CHECK(qp_store_attr_get_str(s, "/", "config", &config, &err) == 0 && strcmp(config, want) == 0,
              "config text: %s", err.msg);
    MPI_CHECK(qp_store_attr_get_str(s, "/", "version", &version, &err) == 0 && strcmp(version, "0.1.0") == 0,
              "version: %s", err.msg);
    MPI_CHECK(qp_store_attr_get_u64(s, "/", "seed", &seed, &err) == 0 && seed == UINT64_MAX - 5, "seed");
    MPI_CHECK(qp_store_attr_get_i64(s, "/", "ranks", &ranks, &err) == 0 && ranks == size, "ranks");
    MPI_CHECK(qp_store_attr_get_f64(s, "/", "seconds", &seconds, &err) == 0 && seconds == 1.0 / 3.0, "seconds");
    MPI_CHECK(qp_store_attr_get_u64(s, "/experiments/x", "shots", &shots, &err) == 0 && shots == SHOTS,
              "replaced attribute: %s", err.msg);
    MPI_CHECK(qp_store_attr_get_f64(s, "/experiments/y/decoders/uf", "ler", &ler, &err) == 0 && ler == 0.0,
              "ler: %s", err.msg);
    MPI_CHECK(qp_store_attr_get_i64(s, "/", "seed", &ranks, &err) != 0 && strstr(err.msg, "not a scalar int64"),
              "wrong type get: %s", err.msg);
    MPI_CHECK(qp_store_attr_get_u64(s, "/", "missing", &seed, &err) != 0 && strstr(err.msg, "no attribute missing"),
              "missing attribute: %s", err.msg);
    MPI_CHECK(qp_store_attr_exists(s, "/", "seed") == 1 && qp_store_attr_exists(s, "/", "missing") == 0,
              "attr_exists");
    MPI_CHECK(qp_store_exists(s, "/experiments/y/decoders/uf") == 1 && qp_store_exists(s, "/a/b/c") == 0,
              "exists");
    MPI_CHECK(qp_store_attr_set_u64(s, "/", "seed", 1, &err) != 0 && strstr(err.msg, "read-only"),
              "set on a read-only store: %s", err.msg);
    char **names = NULL;
    size_t n_names = 0;
    MPI_CHECK(qp_store_group_list(s, "/experiments", &names, &n_names, &err) == 0 && n_names == 2 &&
                  strcmp(names[0], "x") == 0 && strcmp(names[1], "y") == 0, "list /experiments: %s", err.msg);
    qp_store_names_free(names, n_names);
    static const char *const x_members[] = {"circuit", "decoders", "detectors", "dets_append",
                                            "dets_deflate", "dets_ranges", "empty"};
    MPI_CHECK(qp_store_group_list(s, "/experiments/x", &names, &n_names, &err) == 0 && n_names == 7,
              "list /experiments/x: %zu %s", n_names, err.msg);
    for (size_t i = 0; i < n_names && n_names == 7; i++)
        MPI_CHECK(strcmp(names[i], x_members[i]) == 0, "member %zu is %s", i, names[i]);
    qp_store_names_free(names, n_names);
    MPI_CHECK(qp_store_group_list(s, "/experiments/x/circuit", &names, &n_names, &err) != 0 &&
                  strstr(err.msg, "is not a group"), "list a dataset: %s", err.msg);
    MPI_CHECK(qp_store_group_list(s, "/nope", &names, &n_names, &err) != 0 && strstr(err.msg, "no group /nope"),
              "list a missing group: %s", err.msg);
    char stim_path[600], *text = NULL, *format = NULL;
    size_t text_len = 0, stim_len = 0;
    snprintf(stim_path, sizeof stim_path, "%s/surface_x_d5_r5_p0.003.stim", qp_test_data_dir());
    char *stim = qp_test_read_file(stim_path, &stim_len);
    MPI_CHECK(qp_store_text_read(s, "/experiments/x/circuit", &text, &text_len, &format, &err) == 0,
              "%s", err.msg);
    MPI_CHECK(stim && text && text_len == stim_len && memcmp(text, stim, stim_len) == 0 &&
                  strcmp(format, "stim") == 0, "circuit text differs from %s", stim_path);
    free(text);
    free(format);
    free(stim);
    MPI_CHECK(qp_store_text_read(s, "/experiments/x/empty", &text, &text_len, NULL, &err) == 0 &&
                  text_len == 0 && text[0] == 0, "empty text: %s", err.msg);
    free(text);
    MPI_CHECK(qp_store_text_read(s, "/experiments/x/decoders/mwpm/weights", &text, NULL, NULL, &err) != 0 &&
                  strstr(err.msg, "not a text"), "float dataset read as text: %s", err.msg);
    free(config);
    free(version);
    free(want);
    MPI_CHECK(qp_store_close(s, &err) == 0, "%s", err.msg);
    MPI_CHECK(file_exists(path), "read-only close must not move %s", path);
}

// Journal: rank r appends r + 1 rows (rank 2: none), twice; read back in rank order.
static void journal_rows(uint64_t round, uint64_t *rows, uint64_t *n) {
    *n = rank == 2 ? 0 : (uint64_t)rank + 1;
    for (uint64_t i = 0; i < *n; i++) {
        uint64_t *row = rows + i * 4;
        row[0] = round, row[1] = (uint64_t)rank, row[2] = i, row[3] = 1000 * round + 10 * (uint64_t)rank + i;
    }
}

static void check_journal(qp_store *s, uint64_t rounds) {
    qp_err err;
    uint64_t *rows = NULL, n = 0, width = 0, expect = 0;
    MPI_CHECK(qp_store_journal_read(s, "/journal", &rows, &n, &width, &err) == 0, "%s", err.msg);
    for (int r = 0; r < size; r++) expect += r == 2 ? 0 : (uint64_t)r + 1;
    MPI_CHECK(n == rounds * expect && width == 4, "journal n=%llu width=%llu", (unsigned long long)n,
              (unsigned long long)width);
    uint64_t k = 0;
    int bad = 0;
    for (uint64_t round = 0; round < rounds && n == rounds * expect; round++)
        for (int r = 0; r < size; r++)
            for (uint64_t i = 0; i < (r == 2 ? 0 : (uint64_t)r + 1); i++, k++) {
                uint64_t *row = rows + k * 4;
                bad += row[0] != round || row[1] != (uint64_t)r || row[2] != i ||
                       row[3] != 1000 * round + 10 * (uint64_t)r + i;
            }
    MPI_CHECK(bad == 0, "%d journal rows differ", bad);
    free(rows);
    char *cols = NULL;
    MPI_CHECK(qp_store_attr_get_str(s, "/journal", "columns", &cols, &err) == 0 &&
                  strcmp(cols, "round,rank,index,value") == 0, "columns %s", cols ? cols : err.msg);
    free(cols);
}

static void journal_and_resume(const char *path) {
    qp_err err;
    qp_store *s;
    uint64_t rows[8 * 4], n;
    static const char *const names[] = {"round", "rank", "index", "value"};
    int resumed = -1;
    MPI_CHECK(qp_store_create_or_resume(path, MPI_COMM_WORLD, &s, &resumed, &err) == 0 && resumed == 0,
              "%s", err.msg);
    qp_store_dset *j;
    MPI_CHECK(qp_store_journal_create(s, "/journal", 4, names, &j, &err) == 0, "%s", err.msg);
    journal_rows(0, rows, &n);
    MPI_CHECK(qp_store_journal_append(j, rows, n, &err) == 0, "%s", err.msg);
    qp_store_dset_close(j);
    MPI_CHECK(qp_store_close(s, &err) == 0, "%s", err.msg);

    // A crashed run leaves PATH.partial: make one from the closed file, then resume it.
    char partial[700];
    snprintf(partial, sizeof partial, "%s.partial", path);
    if (rank == 0) MPI_CHECK(rename(path, partial) == 0, "rename for the resume test");
    MPI_Barrier(MPI_COMM_WORLD);
    MPI_CHECK(qp_store_create_or_resume(path, MPI_COMM_WORLD, &s, &resumed, &err) == 0 && resumed == 1,
              "%s", err.msg);
    check_journal(s, 1);
    MPI_CHECK(qp_store_dset_open(s, "/journal", &j, &err) == 0, "%s", err.msg);
    journal_rows(1, rows, &n);
    MPI_CHECK(qp_store_journal_append(j, rows, n, &err) == 0, "%s", err.msg);
    qp_store_dset_close(j);
    // Aborting a resumed store keeps its .partial (it existed before) ...
    qp_store_abort(s);
    MPI_CHECK(file_exists(partial) && !file_exists(path), "abort of a resumed store keeps %s", partial);
    // ... and the flushed journal rows are in it.
    MPI_CHECK(qp_store_open(path, MPI_COMM_WORLD, QP_STORE_RESUME, &s, &err) == 0, "%s", err.msg);
    check_journal(s, 2);
    MPI_CHECK(qp_store_close(s, &err) == 0, "%s", err.msg);
    MPI_CHECK(file_exists(path) && !file_exists(partial), "resumed store renamed at close");

    MPI_CHECK(qp_store_open(path, MPI_COMM_WORLD, QP_STORE_READ, &s, &err) == 0, "%s", err.msg);
    check_journal(s, 2);
    MPI_CHECK(qp_store_close(s, &err) == 0, "%s", err.msg);
}

static void abort_and_errors(const char *path, const uint8_t *b8) {
    qp_err err;
    qp_store *s;
    char partial[700];
    snprintf(partial, sizeof partial, "%s.partial", path);
    static const char precious[] = "an earlier result that a failed run must not touch\n";
    if (rank == 0) {
        FILE *f = fopen(path, "wb");
        fwrite(precious, 1, sizeof precious - 1, f);
        fclose(f);
    }
    MPI_Barrier(MPI_COMM_WORLD);

    MPI_CHECK(qp_store_create(path, MPI_COMM_WORLD, &s, &err) == 0, "%s", err.msg);
    qp_store_dset *d;
    MPI_CHECK(qp_store_bits_create(s, "/experiments/x/detectors", DETECTORS, 0, 0, &d, &err) == 0, "%s", err.msg);
    uint64_t first, count;
    my_share(SHOTS, &first, &count);
    MPI_CHECK(qp_store_dset_set_rows(d, SHOTS, &err) == 0, "%s", err.msg);
    // Rank 0 alone asks for rows past the end: every rank must fail, with rank 0's message.
    uint64_t off = rank == 0 ? SHOTS - 1 : first, n = rank == 0 ? 5 : count;
    const uint8_t *src = rank == 0 ? b8 : b8 + first * BYTES_PER_SHOT;
    MPI_CHECK(qp_store_dset_write(d, off, n, n ? src : NULL, &err) != 0 &&
                  strstr(err.msg, "cannot write rows 19999..20004: dataset has 20000 rows"),
              "bad range on rank 0 fails everywhere: %s", err.msg);
    MPI_CHECK(qp_store_dset_set_rows(d, 100, &err) == 0 && qp_store_dset_rows(d) == 100,
              "shrink: %s", err.msg);
    MPI_CHECK(qp_store_dset_append(d, rank == 0 ? 50 : 0, b8, NULL, &err) == 0 && qp_store_dset_rows(d) == 150,
              "append after shrink: %s", err.msg);
    uint8_t back[50 * BYTES_PER_SHOT];
    MPI_CHECK(qp_store_dset_read(d, 100, 50, back, &err) == 0 && memcmp(back, b8, sizeof back) == 0,
              "rows appended after a shrink: %s", err.msg);
    MPI_CHECK(qp_store_dset_set_rows(d, (uint64_t)(SHOTS + rank), &err) != 0 || size == 1,
              "ranks disagreeing on the row count must fail");
    if (size > 1) MPI_CHECK(strstr(err.msg, "disagree") != NULL, "%s", err.msg);
    MPI_CHECK(qp_store_dset_create(s, "relative/path", QP_STORE_F32, 0, 0, 0, &d, &err) != 0 &&
                  strstr(err.msg, "not absolute"), "relative path: %s", err.msg);
    MPI_CHECK(qp_store_dset_open(s, "/no/such", &d, &err) != 0 && strstr(err.msg, "no dataset /no/such"),
              "missing dataset: %s", err.msg);
    qp_store_abort(s);  // the bits dataset handle is closed by the abort

    MPI_CHECK(!file_exists(partial), "abort must remove the .partial it created");
    size_t len = 0;
    char *kept = qp_test_read_file(path, &len);
    MPI_CHECK(kept && len == sizeof precious - 1 && memcmp(kept, precious, len) == 0,
              "the existing %s must be untouched", path);
    free(kept);

    char fresh[600];
    path_in_dir(fresh, sizeof fresh, "fresh.h5");
    MPI_CHECK(qp_store_create(fresh, MPI_COMM_WORLD, &s, &err) == 0, "%s", err.msg);
    qp_store_abort(s);
    MPI_CHECK(!file_exists(fresh), "abort leaves no file under the final name");

    MPI_CHECK(qp_store_open(fresh, MPI_COMM_WORLD, QP_STORE_READ, &s, &err) != 0 &&
                  strstr(err.msg, "fresh.h5: cannot open: no such file"), "open missing: %s", err.msg);
    MPI_CHECK(qp_store_open(path, MPI_COMM_WORLD, QP_STORE_READ, &s, &err) != 0 &&
                  strstr(err.msg, "cannot open as HDF5"), "open a non-HDF5 file: %s", err.msg);
    char nodir[600];
    path_in_dir(nodir, sizeof nodir, "no_such_dir/out.h5");
    MPI_CHECK(qp_store_create(nodir, MPI_COMM_WORLD, &s, &err) != 0 && strstr(err.msg, "cannot create"),
              "create in a missing directory: %s", err.msg);
}

static void cut_back_and_rewrite(const char *path) {
    enum { ROWS = 4096, KEPT = 2048 };
    qp_err err;
    qp_store *s;
    qp_store_dset *d;
    double *v = malloc(ROWS * sizeof *v);
    MPI_CHECK(qp_store_create(path, MPI_COMM_WORLD, &s, &err) == 0, "%s", err.msg);
    MPI_CHECK(qp_store_dset_create(s, "/w", QP_STORE_F64, 0, 0, 0, &d, &err) == 0, "%s", err.msg);
    uint64_t first, count;
    my_share(ROWS, &first, &count);
    for (uint64_t i = 0; i < count; i++) v[i] = (double)(first + i) + 1;
    MPI_CHECK(qp_store_dset_set_rows(d, ROWS, &err) == 0 && qp_store_dset_write(d, first, count, v, &err) == 0 &&
                  qp_store_flush(s, &err) == 0, "%s", err.msg);
    // Cut back to KEPT rows, then write rows [KEPT, ROWS) again with other values.
    MPI_CHECK(qp_store_dset_set_rows(d, KEPT, &err) == 0 && qp_store_dset_set_rows(d, ROWS, &err) == 0, "%s",
              err.msg);
    my_share(ROWS - KEPT, &first, &count);
    for (uint64_t i = 0; i < count; i++) v[i] = -(double)(KEPT + first + i);
    MPI_CHECK(qp_store_dset_write(d, KEPT + first, count, v, &err) == 0, "%s", err.msg);
    qp_store_dset_close(d);
    MPI_CHECK(qp_store_close(s, &err) == 0, "%s", err.msg);
    MPI_CHECK(qp_store_open(path, MPI_COMM_WORLD, QP_STORE_READ, &s, &err) == 0, "%s", err.msg);
    MPI_CHECK(qp_store_dset_open(s, "/w", &d, &err) == 0 && qp_store_dset_read(d, 0, ROWS, v, &err) == 0, "%s",
              err.msg);
    uint64_t bad = 0;
    for (uint64_t i = 0; i < ROWS; i++) bad += v[i] != (i < KEPT ? (double)i + 1 : -(double)i);
    MPI_CHECK(bad == 0, "%llu rows differ after cut back and rewrite (row %d reads %g)", (unsigned long long)bad,
              KEPT, v[KEPT]);
    MPI_CHECK(qp_store_close(s, &err) == 0, "%s", err.msg);
    free(v);
}

static void claims_and_space(const char *path) {
    qp_err err;
    qp_store *s;
    char partial[700], lock[720];
    snprintf(partial, sizeof partial, "%s.partial", path);
    snprintf(lock, sizeof lock, "%s.partial.lock", path);
    // Another holder (here: rank 0's own claim, an open file description lock): refused on
    // every rank, naming the holder, and no .partial appears.
    qp_output *held = NULL;
    if (rank == 0) MPI_CHECK(qp_output_claim(path, &held, &err) == 0, "%s", err.msg);
    MPI_Barrier(MPI_COMM_WORLD);
    MPI_CHECK(qp_store_create(path, MPI_COMM_WORLD, &s, &err) != 0 && strstr(err.msg, "being written by another job") &&
                  strstr(err.msg, "pid "), "claimed elsewhere: %s", err.msg);
    MPI_CHECK(!file_exists(partial), "a refused store opens nothing");
    qp_output_release(held);
    MPI_Barrier(MPI_COMM_WORLD);
    // A journaled store that fails later keeps its .partial for a resume; the claim goes.
    qp_store_dset *j;
    uint64_t rows[8 * 4], n;
    MPI_CHECK(qp_store_create(path, MPI_COMM_WORLD, &s, &err) == 0, "%s", err.msg);
    MPI_CHECK(rank != 0 || file_exists(lock), "the store holds %s", lock);
    static const char *const names[] = {"round", "rank", "index", "value"};
    MPI_CHECK(qp_store_journal_create(s, "/journal", 4, names, &j, &err) == 0, "%s", err.msg);
    journal_rows(0, rows, &n);
    MPI_CHECK(qp_store_journal_append(j, rows, n, &err) == 0, "%s", err.msg);
    // A reservation no disk holds: one line on every rank, nothing written.
    MPI_CHECK(qp_store_reserve(s, 0, (uint64_t)1 << 62, &err) != 0 && strstr(err.msg, partial), "huge reserve: %s",
              err.msg);
    MPI_CHECK(qp_store_reserve(s, 1000, 0, &err) == 0, "%s", err.msg);
    qp_store_abort(s);
    MPI_Barrier(MPI_COMM_WORLD);
    MPI_CHECK(file_exists(partial) && !file_exists(path) && !file_exists(lock),
              "abort after a journal row keeps %s and drops the claim", partial);
    MPI_Barrier(MPI_COMM_WORLD);  // every rank has looked before rank 0 claims again
    MPI_CHECK(qp_store_create_or_resume(path, MPI_COMM_WORLD, &s, NULL, &err) == 0, "%s", err.msg);
    check_journal(s, 1);
    MPI_CHECK(qp_store_close(s, &err) == 0, "%s", err.msg);
}

// qp_store_chunk_rows is pure: checked the same on every rank.
static void chunk_rows_rule(void) {
    const uint64_t mib = QP_STORE_CHUNK_MAX_BYTES;
    MPI_CHECK(qp_store_chunk_rows(1, 2000, 100) == 2000, "2,000 one-byte rows: one chunk of 2,000 rows");
    MPI_CHECK(qp_store_chunk_rows(8, mib / 8, 1000) == mib / 8, "exactly 1 MiB: one chunk");
    uint64_t c = qp_store_chunk_rows(1, 100000000, 20000);
    MPI_CHECK(c % 20000 == 0 && c <= mib && c > mib - 20000, "10^8 shots in tasks of 20,000: %llu rows",
              (unsigned long long)c);
    c = qp_store_chunk_rows(8, 10000000, 1000000);  // a task of 8 MB: 8 equal parts of 1 MB
    MPI_CHECK(c == 125000, "tasks of 8 MB: equal parts of a task, got %llu rows", (unsigned long long)c);
    c = qp_store_chunk_rows(8, 10000000, 1000003);  // prime rows: no equal part near 1 MiB
    MPI_CHECK(c == mib / 8, "a prime task of 8 MB: 1 MiB chunks, got %llu", (unsigned long long)c);
    MPI_CHECK(qp_store_chunk_rows(4 * mib, 100, 1) == 1, "rows over 1 MiB: one row per chunk");
    MPI_CHECK(qp_store_chunk_rows(15, 0, 0) == mib / 15, "unknown size: 1 MiB of rows");
    MPI_CHECK(qp_store_chunk_rows(0, 0, 0) > 0, "never 0");
}

// Bytes on disk of a dataset and whether it is contiguous (read with plain HDF5, rank 0).
static void storage_of(hid_t f, const char *name, hsize_t *bytes, int *contiguous, hsize_t *chunk_rows) {
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
    hid_t dcpl = H5Dget_create_plist(d);
    *bytes = H5Dget_storage_size(d);
    *contiguous = H5Pget_layout(dcpl) == H5D_CONTIGUOUS;
    hsize_t dims[2] = {0, 0};
    *chunk_rows = *contiguous ? 0 : (H5Pget_chunk(dcpl, 2, dims) > 0 ? dims[0] : 0);
    H5Pclose(dcpl);
    H5Dclose(d);
}

static void sized_to_data(const char *path, const uint8_t *b8) {
    qp_err err;
    qp_store *s;
    MPI_CHECK(qp_store_create(path, MPI_COMM_WORLD, &s, &err) == 0, "%s", err.msg);
    if (!s) return;
    const char *text = "H 0\nCX 0 1\nM 0 1\nDETECTOR rec[-1]\n";
    MPI_CHECK(qp_store_text_write(s, "/experiments/x/circuit", "stim", rank == 0 ? text : NULL, &err) == 0, "%s",
              err.msg);
    enum { ROWS = 2000 };
    uint64_t first, count;
    my_share(ROWS, &first, &count);
    qp_store_dset *d, *z, *j;
    MPI_CHECK(qp_store_bits_create(s, "/experiments/x/detectors", DETECTORS,
                                   qp_store_chunk_rows(BYTES_PER_SHOT, ROWS, 100), 0, &d, &err) == 0, "%s", err.msg);
    MPI_CHECK(qp_store_dset_set_rows(d, ROWS, &err) == 0 &&
                  qp_store_dset_write(d, first, count, b8 + first * BYTES_PER_SHOT, &err) == 0, "%s", err.msg);
    MPI_CHECK(qp_store_bits_create(s, "/experiments/x/deflated", DETECTORS, 0, 6, &z, &err) == 0, "%s", err.msg);
    MPI_CHECK(qp_store_dset_append(z, count, b8 + first * BYTES_PER_SHOT, NULL, &err) == 0, "%s", err.msg);
    MPI_CHECK(qp_store_journal_create(s, "/journal", 9, NULL, &j, &err) == 0, "%s", err.msg);
    uint64_t row[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    MPI_CHECK(qp_store_journal_append(j, row, rank == 0, &err) == 0, "%s", err.msg);
    MPI_CHECK(qp_store_close(s, &err) == 0, "%s", err.msg);
    if (rank != 0) return;
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    MPI_CHECK(f >= 0, "cannot open %s", path);
    if (f < 0) return;
    hsize_t bytes, rows;
    int contiguous;
    storage_of(f, "/experiments/x/circuit", &bytes, &contiguous, &rows);
    MPI_CHECK(contiguous && bytes == strlen(text), "text: contiguous %d, %llu bytes on disk for %zu", contiguous,
              (unsigned long long)bytes, strlen(text));
    storage_of(f, "/experiments/x/detectors", &bytes, &contiguous, &rows);
    MPI_CHECK(!contiguous && rows == ROWS && bytes == ROWS * BYTES_PER_SHOT,
              "2,000 shots: one chunk of %llu rows, %llu bytes on disk for %d", (unsigned long long)rows,
              (unsigned long long)bytes, ROWS * BYTES_PER_SHOT);
    storage_of(f, "/experiments/x/deflated", &bytes, &contiguous, &rows);
    MPI_CHECK(bytes > 0 && bytes < ROWS * BYTES_PER_SHOT, "deflated: %llu bytes on disk for %d",
              (unsigned long long)bytes, ROWS * BYTES_PER_SHOT);
    storage_of(f, "/journal", &bytes, &contiguous, &rows);
    MPI_CHECK(rows == QP_STORE_JOURNAL_CHUNK_ROWS && bytes == 64 * 9 * 8, "journal: chunks of %llu rows, %llu bytes",
              (unsigned long long)rows, (unsigned long long)bytes);
    H5Fclose(f);
}

int main(int argc, char **argv) {
    setenv("OMPI_MCA_mca_base_component_disable_dlclose", "1", 0);  // see the suppressions above
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (rank == 0) {
        snprintf(dir, sizeof dir, "/tmp/qp_store_test_XXXXXX");
        if (!mkdtemp(dir)) dir[0] = 0;
    }
    MPI_Bcast(dir, sizeof dir, MPI_CHAR, 0, MPI_COMM_WORLD);

    char b8_path[600];
    snprintf(b8_path, sizeof b8_path, "%s/surface_x_d5_r5_p0.003.dets.b8", qp_test_data_dir());
    size_t len = 0;
    uint8_t *b8 = (uint8_t *)qp_test_read_file(b8_path, &len);
    MPI_CHECK(dir[0] != 0, "mkdtemp");
    MPI_CHECK(b8 && len == (size_t)SHOTS * BYTES_PER_SHOT, "%s: %zu bytes", b8_path, len);
    if (b8 && len == (size_t)SHOTS * BYTES_PER_SHOT && dir[0]) {
        char path[600];
        path_in_dir(path, sizeof path, "results.h5");
        write_results(path, b8);
        read_results(path, b8);
        path_in_dir(path, sizeof path, "journal.h5");
        journal_and_resume(path);
        path_in_dir(path, sizeof path, "existing.h5");
        abort_and_errors(path, b8);
        path_in_dir(path, sizeof path, "cut.h5");
        cut_back_and_rewrite(path);
        path_in_dir(path, sizeof path, "claimed.h5");
        claims_and_space(path);
        chunk_rows_rule();
        path_in_dir(path, sizeof path, "sized.h5");
        sized_to_data(path, b8);
    }
    free(b8);

    MPI_Barrier(MPI_COMM_WORLD);
    if (rank == 0 && dir[0] && getenv("QP_STORE_TEST_KEEP")) {  // for h5dump by hand
        printf("kept %s\n", dir);
    } else if (rank == 0 && dir[0]) {
        const char *names[] = {"results.h5", "journal.h5", "existing.h5", "fresh.h5", "cut.h5", "claimed.h5", "sized.h5"};
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
            char p[600];
            path_in_dir(p, sizeof p, names[i]);
            unlink(p);
        }
        rmdir(dir);
    }
    int status = qp_mpi_check_finish();
    MPI_Finalize();
    return status;
}
