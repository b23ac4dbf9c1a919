// Benchmark of the parallel HDF5 results store: collective write speed of per-shot float
// predictions against a plain sequential write of the same number of bytes to the same disk
// (what `dd bs=1M conv=fdatasync` does), both including the flush to disk.
//
//   mpirun -n 2 ./bench_store [--mb 512] [--batches 8] [--chunk-kb 0] [--shots-per-task N]
//                             [--deflate 0] [--reps 5] [--dir .]
//
// The chunk is the one qecpipe picks (qp_store_chunk_rows: the whole dataset's rows, tasks of
// --shots-per-task rows, default 10000), unless --chunk-kb gives one. --deflate N adds the
// shuffle + deflate filters (job.deflate); the values are synthetic, so what it says about
// compression is its CPU cost, not its ratio (bench/bench_store_run.sh runs real jobs).
//
// Each batch is one collective append of MB/batches megabytes shared evenly by the ranks, as
// `qecpipe run` appends the predictions of a round of tasks. The HDF5 time runs from create
// to close-and-rename plus an fsync of the final file; the plain time from open to fdatasync.
// Prints one JSON line per figure (medians over --reps): hdf5_write_MBps, posix_write_MBps,
// hdf5_vs_posix_ratio. MB = 10^6 bytes, as dd reports.
#include <fcntl.h>
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pipeline/store/store.h"
#include "pipeline/store/store_dataset.h"

static double now(void) { return MPI_Wtime(); }

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

// Median of v[0..n) (sorts a copy).
static double median(const double *v, int n) {
    double *c = malloc((size_t)n * sizeof *c);
    memcpy(c, v, (size_t)n * sizeof *c);
    qsort(c, (size_t)n, sizeof *c, cmp_double);
    double m = n % 2 ? c[n / 2] : 0.5 * (c[n / 2 - 1] + c[n / 2]);
    free(c);
    return m;
}

static void die(int rank, const char *msg) {
    if (rank == 0) fprintf(stderr, "bench_store: %s\n", msg);
    MPI_Abort(MPI_COMM_WORLD, 1);
}

// Collective: writes total_floats floats as `batches` appends; returns seconds.
static double hdf5_write(const char *path, uint64_t total_floats, int batches, uint64_t chunk_rows,
                         int deflate, int rank, int size) {
    qp_err err;
    uint64_t per_batch = total_floats / (uint64_t)batches;
    uint64_t mine = per_batch / (uint64_t)size + ((uint64_t)rank < per_batch % (uint64_t)size);
    float *buf = malloc((mine + 1) * sizeof *buf);
    for (uint64_t i = 0; i < mine; i++) buf[i] = (float)(rank * 7 + (int)(i & 1023)) * 1e-3f;
    MPI_Barrier(MPI_COMM_WORLD);  // the predictions exist before the clock starts
    double t0 = now();
    qp_store *s;
    qp_store_dset *d;
    if (qp_store_create(path, MPI_COMM_WORLD, &s, &err)) die(rank, err.msg);
    if (qp_store_dset_create(s, "/experiments/bench/decoders/nn/predictions", QP_STORE_F32, 0,
                             chunk_rows, deflate, &d, &err))
        die(rank, err.msg);
    for (int b = 0; b < batches; b++) {
        if (qp_store_dset_append(d, mine, buf, NULL, &err)) die(rank, err.msg);
    }
    qp_store_dset_close(d);
    if (qp_store_close(s, &err)) die(rank, err.msg);
    if (rank == 0) {
        int fd = open(path, O_RDONLY);
        if (fd < 0 || fsync(fd) != 0) die(rank, "cannot fsync the HDF5 file");
        close(fd);
    }
    MPI_Barrier(MPI_COMM_WORLD);
    double t = now() - t0;
    free(buf);
    return t;
}

// Rank 0 alone: 1 MiB write() calls, then fdatasync; returns seconds.
static double posix_write(const char *path, uint64_t bytes) {
    enum { BLOCK = 1 << 20 };
    char *block = calloc(1, BLOCK);
    double t0 = now();
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return -1;
    for (uint64_t done = 0; done < bytes;) {
        size_t n = bytes - done < BLOCK ? (size_t)(bytes - done) : BLOCK;
        ssize_t w = write(fd, block, n);
        if (w <= 0) return -1;
        done += (uint64_t)w;
    }
    if (fdatasync(fd) != 0) return -1;
    close(fd);
    double t = now() - t0;
    free(block);
    return t;
}

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    double mb = 512;
    int batches = 8, reps = 5;
    long chunk_kb = 0;  // 0: the chunk qecpipe picks
    long spt = 10000, deflate = 0;
    const char *dir = ".";
    for (int i = 1; i < argc; i++) {
        int has = i + 1 < argc;
        if (!strcmp(argv[i], "--mb") && has) mb = atof(argv[++i]);
        else if (!strcmp(argv[i], "--batches") && has) batches = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--chunk-kb") && has) chunk_kb = atol(argv[++i]);
        else if (!strcmp(argv[i], "--reps") && has) reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--shots-per-task") && has) spt = atol(argv[++i]);
        else if (!strcmp(argv[i], "--deflate") && has) deflate = atol(argv[++i]);
        else if (!strcmp(argv[i], "--dir") && has) dir = argv[++i];
        else die(rank, "usage: bench_store [--mb N] [--batches N] [--chunk-kb N] [--shots-per-task N] "
                       "[--deflate N] [--reps N] [--dir D]");
    }
    if (mb <= 0 || batches < 1 || reps < 1 || chunk_kb < 0 || spt < 1 || deflate < 0 || deflate > 9)
        die(rank, "bad arguments");
    uint64_t total_floats = (uint64_t)(mb * 1e6 / 4) / (uint64_t)batches * (uint64_t)batches;
    uint64_t bytes = total_floats * 4;
    uint64_t chunk_rows = chunk_kb ? (uint64_t)chunk_kb * 1024 / 4 : qp_store_chunk_rows(4, total_floats, (uint64_t)spt);
    char h5_path[1024], raw_path[1024];
    snprintf(h5_path, sizeof h5_path, "%s/bench_store.h5", dir);
    snprintf(raw_path, sizeof raw_path, "%s/bench_store.raw", dir);

    // Each rep writes the plain file and then the HDF5 file right after it, so the two see
    // about the same load on a shared machine; the figures are medians over reps, and the
    // ratio is the median of the per-rep ratios.
    double *t_h5 = calloc((size_t)reps, sizeof *t_h5), *t_raw = calloc((size_t)reps, sizeof *t_raw);
    double *ratio = calloc((size_t)reps, sizeof *ratio);
    for (int r = 0; r < reps; r++) {
        if (rank == 0) {
            t_raw[r] = posix_write(raw_path, bytes);
            unlink(raw_path);
        }
        MPI_Bcast(&t_raw[r], 1, MPI_DOUBLE, 0, MPI_COMM_WORLD);
        if (t_raw[r] < 0) die(rank, "plain write failed");
        t_h5[r] = hdf5_write(h5_path, total_floats, batches, chunk_rows, (int)deflate, rank, size);
        if (rank == 0) unlink(h5_path);
        ratio[r] = t_raw[r] / t_h5[r];
    }
    if (rank == 0) {
        double h5_s = median(t_h5, reps), raw_s = median(t_raw, reps);
        printf("{\"figure\":\"hdf5_write_MBps\",\"value\":%.1f,\"ranks\":%d,\"bytes\":%llu,"
               "\"seconds\":%.3f,\"batches\":%d,\"chunk_rows\":%llu,\"deflate\":%ld,\"reps\":%d}\n",
               (double)bytes / h5_s / 1e6, size, (unsigned long long)bytes, h5_s, batches,
               (unsigned long long)chunk_rows, deflate, reps);
        printf("{\"figure\":\"posix_write_MBps\",\"value\":%.1f,\"bytes\":%llu,\"seconds\":%.3f,"
               "\"reps\":%d}\n",
               (double)bytes / raw_s / 1e6, (unsigned long long)bytes, raw_s, reps);
        printf("{\"figure\":\"hdf5_vs_posix_ratio\",\"value\":%.3f,\"goal\":0.70,\"ranks\":%d,"
               "\"reps\":%d}\n",
               median(ratio, reps), size, reps);
    }
    free(t_h5);
    free(t_raw);
    free(ratio);
    MPI_Finalize();
    return 0;
}
