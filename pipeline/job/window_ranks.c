// Layer one (segments) on every rank, layer two (seams) on rank 0; see window_ranks.h.
#include "pipeline/job/window_ranks.h"

#include <stdlib.h>
#include <string.h>

#include "scheduler/collectives.h"
#include "workers/decode/window.h"
#include "workers/util/alloc.h"

int qp_job_window_decode_batch(qp_decoder *dec, const uint8_t *dets_b8, size_t num_shots,
                               size_t bytes_per_shot, uint8_t *obs_pred_b8_out, MPI_Comm comm,
                               qp_err *err) {
    int rank, size;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    qp_window *w = qp_decoder_window(dec);
    size_t want = (size_t)((qp_decoder_num_detectors(dec) + 7) / 8);
    int rc = 0;
    if (!w) rc = qp_fail(err, "decoding one shot across ranks needs a windowed decoder");
    else if (bytes_per_shot != want)
        rc = qp_fail(err, "detector records have %zu bytes per shot but the model has %zu bytes per shot",
                     bytes_per_shot, want);
    // 1. This rank's segments of every shot, packed as (obs, number of flips, flips...) per shot.
    uint64_t *mine = NULL;
    size_t len = 0, cap = 0;
    for (size_t s = 0; rc == 0 && s < num_shots; s++) {
        uint64_t obs;
        const uint64_t *flips;
        size_t nf;
        rc = qp_window_decode_segments(w, dets_b8 + s * bytes_per_shot, (uint64_t)rank, (uint64_t)size, &obs, NULL,
                                       &flips, &nf, err);
        if (rc) {
            qp_fail_prefix(err, "shot %zu", s);
            break;
        }
        qp_grow(mine, cap, len + 2 + nf);
        mine[len++] = obs;
        mine[len++] = nf;
        if (nf) memcpy(mine + len, flips, nf * sizeof *flips);
        len += nf;
    }
    if (qp_agree_status(comm, rc, err)) {
        free(mine);
        return -1;
    }
    // 2. Rank 0 gathers every rank's part.
    int count = (int)len, *counts = NULL, *displs = NULL;
    uint64_t *all = NULL;
    if (rank == 0) {
        counts = qp_malloc((size_t)size * sizeof *counts);
        displs = qp_malloc((size_t)size * sizeof *displs);
    }
    MPI_Gather(&count, 1, MPI_INT, counts, 1, MPI_INT, 0, comm);
    if (rank == 0) {
        size_t total = 0;
        for (int r = 0; r < size; r++) displs[r] = (int)total, total += (size_t)counts[r];
        all = qp_malloc((total ? total : 1) * sizeof *all);
    }
    MPI_Gatherv(mine, count, MPI_UINT64_T, all, counts, displs, MPI_UINT64_T, 0, comm);
    free(mine);
    // 3. Rank 0: per shot, XOR the segments' observables, collect their flips, decode the seams.
    if (rank == 0) {
        size_t *at = qp_malloc((size_t)size * sizeof *at), obs_bytes = (qp_decoder_num_observables(dec) + 7) / 8;
        for (int r = 0; r < size; r++) at[r] = (size_t)displs[r];
        uint64_t *flips = NULL;
        size_t fcap = 0;
        for (size_t s = 0; rc == 0 && s < num_shots; s++) {
            uint64_t obs = 0, seam_obs;
            size_t nf = 0;
            for (int r = 0; r < size; r++) {
                obs ^= all[at[r]];
                size_t k = (size_t)all[at[r] + 1];
                qp_grow(flips, fcap, nf + k + 1);
                if (k) memcpy(flips + nf, all + at[r] + 2, k * sizeof *flips);
                nf += k;
                at[r] += 2 + k;
            }
            rc = qp_window_decode_seams(w, dets_b8 + s * bytes_per_shot, flips, nf, &seam_obs, NULL, err);
            if (rc) qp_fail_prefix(err, "shot %zu", s);
            obs ^= seam_obs;
            for (size_t b = 0; b < obs_bytes; b++) obs_pred_b8_out[s * obs_bytes + b] = (uint8_t)(obs >> (8 * b));
        }
        free(flips);
        free(at);
    }
    free(all);
    free(counts);
    free(displs);
    return qp_agree_status(comm, rc, err);
}
