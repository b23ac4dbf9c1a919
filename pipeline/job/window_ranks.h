// One long shot decoded by every rank at once: the two layers of windowed decoding
// (workers/decode/window.h) spread over an MPI communicator. Rank r decodes segments
// r, r + size, ... of each shot; rank 0 gathers their observables and seam flips and decodes
// the seams. The segment layout depends on the decoder's options only, so the predictions are
// the same on any number of ranks (and equal qp_decoder_decode_batch's).
#ifndef QP_JOB_WINDOW_RANKS_H
#define QP_JOB_WINDOW_RANKS_H

#include <mpi.h>
#include <stddef.h>
#include <stdint.h>

#include "workers/decode/decoder.h"
#include "workers/util/err.h"

// Collective. dec is windowed (qp_decoder_window(dec) != NULL) and identical on every rank, as
// are dets_b8 (num_shots, bytes_per_shot). obs_pred_b8_out (num_shots, ceil(K/8)) is written
// on rank 0 only. On failure every rank returns -1 with the lowest failing rank's message.
int qp_job_window_decode_batch(qp_decoder *dec, const uint8_t *dets_b8, size_t num_shots,
                               size_t bytes_per_shot, uint8_t *obs_pred_b8_out, MPI_Comm comm,
                               qp_err *err);

#endif
