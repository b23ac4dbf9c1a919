// Sampling and windowed decoding of long shots in one pass: the frame simulator (producer,
// workers/sim/frame_sim.h) hands out detector rows in circuit order, chunk by chunk; each shot's
// window streams (consumers, workers/decode/window_stream.h) take them and decode every window
// whose detectors are complete. No shot's whole detection record is ever held: memory follows
// the simulator's chunk and the window layout, not the number of rounds.
//
// What it promises: predictions, weights and observable flips equal those of
// qp_frame_sample_b8 followed by qp_decoder_decode_batch on the windowed decoders, bit for bit
// (same samples: the bytes of a shot depend only on (seed, stream_id, shot); same windows).
//
// Why not parallel segments here: a rank cannot start sampling a shot at round t without
// simulating rounds 0..t-1 (the Pauli frame carries across rounds and each 256-shot block draws
// its noise from one random stream in circuit order, skipping geometrically: there is no jump to
// round t). So a sampled shot is decoded where it is sampled; ranks share the work by shots
// (tasks), and a single long shot across ranks is decoded from stored samples (qecpipe decode
// under mpirun, pipeline/job/window_ranks.h).
#ifndef QP_STREAM_SAMPLE_DECODE_H
#define QP_STREAM_SAMPLE_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "workers/circuit/circuit.h"
#include "workers/decode/window.h"
#include "workers/sim/frame_sim.h"
#include "workers/util/err.h"

// Shots first_shot .. first_shot + num_shots - 1 of the run (seed, stream_id) of circuit c,
// decoded by each of windows[0 .. num_windows-1] (windowed decoders of c's model).
//   obs        (num_shots, ceil(K/8)) the sampled observable flips (b8), or NULL
//   pred[k]    (num_shots, ceil(K/8)) windows[k]'s predictions (b8)
//   weight[k]  (num_shots) its committed weights, or NULL (weight itself may be NULL)
// opt may be NULL (the simulator's defaults). Returns 0, or -1 with err naming the shot.
int qp_sample_decode_windows(const qp_circuit *c, const qp_frame_options *opt, uint64_t seed, uint64_t stream_id,
                             uint64_t first_shot, uint64_t num_shots, qp_window *const *windows, int num_windows,
                             uint8_t *obs, uint8_t *const *pred, double *const *weight, qp_err *err);

#endif
