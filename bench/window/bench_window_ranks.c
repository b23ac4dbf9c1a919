// Benchmark of one long shot decoded by all ranks (pipeline/job/window_ranks.h): the wall time
// of qp_job_window_decode_batch between barriers, and the largest per-rank thread CPU time
// (what the wall time would be on an idle machine with a core per rank), for the shots of a
// b8 file. Compare runs with `mpirun -n 1`, `-n 2`, `-n 4`; the predictions' checksum must
// be equal. One JSON line (rank 0).
//
// Usage: mpirun -n R bench_window_ranks F.dem dets.b8 [window] [commit] [segment]
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "pipeline/job/window_ranks.h"
#include "workers/decode/window.h"

static double clock_s(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (argc < 3) {
        if (rank == 0) fprintf(stderr, "usage: bench_window_ranks F.dem dets.b8 [window] [commit] [segment]\n");
        MPI_Finalize();
        return 2;
    }
    qp_window_options o = {.window = argc > 3 ? strtoull(argv[3], NULL, 10) : 50,
                           .commit = argc > 4 ? strtoull(argv[4], NULL, 10) : 0,
                           .segment = argc > 5 ? strtoull(argv[5], NULL, 10) : 0};
    qp_err err = {{0}};
    qp_dem dem;
    qp_dem_init(&dem);
    double t0 = MPI_Wtime();
    qp_decoder *dec = qp_dem_parse_file(&dem, argv[1], &err) ? NULL : qp_decoder_create_windowed("mwpm", &dem, &o, &err);
    double setup = MPI_Wtime() - t0;
    FILE *f = dec ? fopen(argv[2], "rb") : NULL;
    if (!f) {
        fprintf(stderr, "bench_window_ranks: %s\n", dec ? argv[2] : err.msg);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    size_t bps = (size_t)(dem.num_detectors + 7) / 8;
    fseek(f, 0, SEEK_END);
    size_t shots = (size_t)ftell(f) / bps;
    fseek(f, 0, SEEK_SET);
    uint8_t *dets = malloc(shots * bps), *pred = calloc(shots, 8);
    if (fread(dets, bps, shots, f) != shots) MPI_Abort(MPI_COMM_WORLD, 1);
    fclose(f);
    MPI_Barrier(MPI_COMM_WORLD);
    double w0 = MPI_Wtime(), c0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
    int rc = qp_job_window_decode_batch(dec, dets, shots, bps, pred, MPI_COMM_WORLD, &err);
    double cpu = clock_s(CLOCK_THREAD_CPUTIME_ID) - c0;
    MPI_Barrier(MPI_COMM_WORLD);
    double wall = MPI_Wtime() - w0, cpu_max;
    MPI_Reduce(&cpu, &cpu_max, 1, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
    if (rc) {
        if (rank == 0) fprintf(stderr, "bench_window_ranks: %s\n", err.msg);
        MPI_Finalize();
        return 1;
    }
    if (rank == 0) {
        uint64_t sum = 0;
        for (size_t s = 0; s < shots; s++) sum = sum * 31 + pred[s];
        const qp_window_layout *l = qp_window_get_layout(qp_decoder_window(dec));
        printf("{\"bench\":\"window_ranks\",\"ranks\":%d,\"shots\":%zu,\"detectors\":%llu,\"repeat_iterations\":%llu,"
               "\"segments\":%llu,\"setup_s\":%.3f,\"wall_s\":%.3f,\"max_rank_cpu_s\":%.3f,\"prediction_checksum\":%llu}\n",
               size, shots, (unsigned long long)dem.num_detectors, (unsigned long long)l->iterations,
               (unsigned long long)l->num_segments, setup, wall, cpu_max, (unsigned long long)sum);
    }
    qp_decoder_free(dec);
    qp_dem_free(&dem);
    free(dets), free(pred);
    MPI_Finalize();
    return 0;
}
