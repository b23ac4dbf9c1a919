// One shot's segments spread over the ranks (pipeline/job/window_ranks.h): on 1, 2 and 4
// ranks the predictions equal the one-process windowed decoder's (qp_decoder_decode_batch),
// shot by shot, for the hand-written repetition model (6 segments) and, when
// ../shared/vectors is present, the first 40 shots of the 1,000-round d=5 vectors with
// 100-round segments (8 segments: some ranks get several, with 4 ranks some get none).
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/job/window_ranks.h"
#include "tests/decode/rep_model.h"
#include "tests/mpi_check.h"
#include "tests/test_support.h"
#include "workers/decode/window.h"

static void check_same(const qp_dem *d, const uint8_t *dets, size_t n, const qp_window_options *o, const char *what) {
    qp_err err = {{0}};
    qp_decoder *dec = qp_decoder_create_windowed("mwpm", d, o, &err);
    MPI_CHECK(dec != NULL, "%s: %s", what, err.msg);
    if (!dec) return;
    size_t bytes = (d->num_detectors + 7) / 8;
    uint8_t *whole = calloc(n, 1), *ranks = calloc(n, 1);
    MPI_CHECK(qp_decoder_decode_batch(dec, dets, n, bytes, whole, NULL, &err) == 0, "%s: %s", what, err.msg);
    MPI_CHECK(qp_job_window_decode_batch(dec, dets, n, bytes, ranks, MPI_COMM_WORLD, &err) == 0, "%s: %s", what, err.msg);
    int rank;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    if (rank == 0) {
        size_t diff = 0;
        for (size_t k = 0; k < n; k++) diff += whole[k] != ranks[k];
        MPI_CHECK(diff == 0, "%s: %zu of %zu shots differ from the one-process decode", what, diff, n);
    }
    // Bad input is one agreed error on every rank.
    MPI_CHECK(qp_job_window_decode_batch(dec, dets, n, bytes + 1, ranks, MPI_COMM_WORLD, &err) != 0 &&
                  strstr(err.msg, "bytes per shot"), "%s: wrong record size accepted (%s)", what, err.msg);
    qp_decoder_free(dec);
    free(whole), free(ranks);
}

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    qp_err err = {{0}};
    qp_dem d;
    qp_dem_init(&d);
    MPI_CHECK(qp_dem_parse(&d, rep_dem, "rep.dem", &err) == 0, "%s", err.msg);
    size_t n = 60, bytes = (d.num_detectors + 7) / 8;
    uint8_t *dets = malloc(n * bytes), *obs = malloc(n);
    sample_rep(3, n, dets, bytes, obs);
    qp_window_options o = {.window = 24, .commit = 12, .segment = 36};
    check_same(&d, dets, n, &o, "repetition model");
    free(dets), free(obs);
    qp_dem_free(&d);

    const char *dir = getenv("QECPIPE_VECTORS");
    char path[4096];
    snprintf(path, sizeof path, "%.4000s/surface_x_d5_r1000_p0.003.dem", dir ? dir : "");
    qp_dem_init(&d);
    if (dir && qp_dem_parse_file(&d, path, &err) == 0) {
        snprintf(path, sizeof path, "%.4000s/surface_x_d5_r1000_p0.003.dets.b8", dir);
        size_t len = 0;
        uint8_t *all = (uint8_t *)qp_test_read_file(path, &len);
        bytes = (d.num_detectors + 7) / 8;
        MPI_CHECK(all && len >= 40 * bytes, "%s", path);
        qp_window_options ov = {.window = 50, .segment = 100};
        if (all && len >= 40 * bytes) check_same(&d, all, 40, &ov, "d=5 1000 rounds");
        free(all);
    } else {
        int rank;
        MPI_Comm_rank(MPI_COMM_WORLD, &rank);
        if (rank == 0) printf("NOTICE: ../shared/vectors not found; skipping the d=5 1000-round case\n");
    }
    qp_dem_free(&d);
    int rc = qp_mpi_check_finish();
    MPI_Finalize();
    return rc;
}
