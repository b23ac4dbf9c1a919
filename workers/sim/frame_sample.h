// Sampling shots into shot-major bit-packed records (Stim's b8 layout) with the Pauli-frame
// simulator: the entry point for a task "shots [first, first+n) of run (seed, stream)".
// The bytes for a shot depend only on (circuit, seed, stream_id, shot index): any split of a
// run into calls, and any batch width, gives the same bytes (see frame_sim.h, Randomness).
#ifndef QP_SIM_FRAME_SAMPLE_H
#define QP_SIM_FRAME_SAMPLE_H

#include <stddef.h>
#include <stdint.h>

#include "workers/sim/frame_sim.h"

// A sink that writes a window of shots into record buffers.
//   dets  is (end_shot - first_shot, dets_record_bytes): detector k of shot s is bit k of
//         the record at dets + (s - first_shot) * dets_record_bytes (NULL: dropped)
//   obs   is (end_shot - first_shot, obs_record_bytes): observable i of shot s is bit
//         obs_first_bit + i of its record (NULL: dropped). obs may equal dets with
//         obs_first_bit = num_detectors to append observables to detector records.
// Bits outside the written ranges are left untouched.
typedef struct {
    uint64_t first_shot, end_shot;
    uint8_t *dets;
    size_t dets_record_bytes;
    uint8_t *obs;
    size_t obs_record_bytes;
    size_t obs_first_bit;
    // Measurement records only (qp_frame_sample_measurements_b8): (end_shot - first_shot,
    // dets_record_bytes); bit m of a shot's record = the qubit of measurement m was leaked when
    // measured (leakage on; NULL: dropped).
    uint8_t *leaked;
    // Soft readout only (qp_frame_options.readout): soft is (end_shot - first_shot,
    // soft_per_shot) floats, p1 of measurement m of shot s at soft[(s - first_shot) *
    // soft_per_shot + m] (soft_per_shot = the circuit's measurements M; with leakage on 2 M,
    // pleak of measurement m at M + m; NULL: dropped).
    float *soft;
    size_t soft_per_shot;
} qp_frame_records;

qp_frame_sink qp_frame_records_sink(qp_frame_records *records);

// Samples shots first_shot .. first_shot+num_shots-1 of the run (seed, stream_id).
//   dets is (num_shots, ceil(num_detectors/8)) and obs is (num_shots, ceil(num_observables/8))
//   b8 records (either may be NULL); both are fully overwritten (padding bits zero).
// opt may be NULL (defaults).
int qp_frame_sample_b8(const qp_circuit *c, const qp_frame_options *opt, uint64_t seed,
                       uint64_t stream_id, uint64_t first_shot, uint64_t num_shots,
                       uint8_t *dets, uint8_t *obs, qp_err *err);

// Samples the measurement record (like `stim sample`) of shots first_shot .. +num_shots of
// the run (seed, stream_id): `ref` is the circuit's reference sample (reference_sample.h,
// ceil(M/8) bytes) and meas is (num_shots, ceil(M/8)) b8 records, fully overwritten; result m
// of a shot is the reference's bit m XOR the frame sampler's flip of measurement m.
int qp_frame_sample_measurements_b8(const qp_circuit *c, const qp_frame_options *opt, uint64_t seed,
                                    uint64_t stream_id, uint64_t first_shot, uint64_t num_shots,
                                    const uint8_t *ref, uint8_t *meas, qp_err *err);
// The same, and with leakage on (opt->leakage) `leaked` (NULL, or like meas) receives per shot
// bit m = the qubit of measurement m was leaked when measured (frame_leak.h); fully overwritten.
int qp_frame_sample_measurements_leaked_b8(const qp_circuit *c, const qp_frame_options *opt, uint64_t seed,
                                           uint64_t stream_id, uint64_t first_shot, uint64_t num_shots,
                                           const uint8_t *ref, uint8_t *meas, uint8_t *leaked, qp_err *err);

// Like qp_frame_sample_b8 with a readout model in opt (required), also writing p1 of every
// measurement of every shot: soft is (num_shots, M) floats, M = num_measurements, or with
// leakage on (num_shots, 2 M): each shot's M p1 values, then its M pleak values (NULL: dropped).
int qp_frame_sample_soft(const qp_circuit *c, const qp_frame_options *opt, uint64_t seed, uint64_t stream_id,
                         uint64_t first_shot, uint64_t num_shots, uint8_t *dets, uint8_t *obs, float *soft,
                         qp_err *err);

// Runs every batch covering shots [first_shot, end_shot) through the sink (the sink sees whole
// batches and keeps what it needs). The shared loop behind qp_frame_sample_b8 and the CLI.
int qp_frame_sim_run_shots(qp_frame_sim *sim, uint64_t seed, uint64_t stream_id,
                           uint64_t first_shot, uint64_t end_shot, const qp_frame_sink *sink,
                           qp_err *err);

#endif
