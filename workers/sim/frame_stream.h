// Streaming a run of shots as shot-major records (b8 layout, record_bits.h) in bounded
// memory, for writers of shot files: `qecpipe simulate` and bench/bench_frame.c.
//
// Two paths, the same bytes:
//  - in memory: a batch of up to 1024 shots is sampled straight into records, when 256
//    records fit the record budget;
//  - spill: otherwise (very long experiments, e.g. 100,000 rounds: 300 KB per record), each
//    256-shot block's detector rows go to an unlinked temporary file (tmpfile(), word-major)
//    and are read back 64 shots at a time. Memory is then 64 records plus one detector chunk,
//    whatever the number of rounds; the file holds 32 bytes per detector.
// Soft values (emit_soft) take the in-memory path only: 4 bytes per measurement per shot.
#ifndef QP_SIM_FRAME_STREAM_H
#define QP_SIM_FRAME_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "workers/circuit/circuit.h"
#include "workers/sim/frame_sim.h"
#include "workers/util/err.h"

// Receives the next n records in shot order.
//   recs is (n, ceil((D + (append ? K : 0)) / 8)): detectors, then observables if appended
//   obs  is (n, ceil(K / 8)) observable records, or NULL when not wanted
// Padding bits are zero. Return 0, or -1 with err set to stop.
typedef int (*qp_frame_emit_fn)(void *ctx, const uint8_t *recs, const uint8_t *obs, size_t n, qp_err *err);
// Receives the soft values of the same n shots just before their records: p1 is (n, M)
// floats, M = the circuit's measurements (soft_readout.h), or with leakage on (n, 2 M): p1
// then pleak per shot. Return 0, or -1 with err set.
typedef int (*qp_frame_soft_fn)(void *ctx, const float *p1, size_t n, qp_err *err);

typedef struct {
    uint64_t seed, stream_id;
    uint64_t num_shots;          // shots 0 .. num_shots-1 of the run
    int append_observables;      // append the K observable bits to each record
    int want_observables;        // also emit separate observable records
    size_t record_budget;        // bytes of records held at once (0: 16 MiB)
    int randomize_gauge;         // see qp_frame_options
    qp_frame_leakage leakage;    // see qp_frame_options (zero: off)
    const struct qp_soft_readout *readout;  // soft readout (frame_sim.h), or NULL
    qp_frame_soft_fn emit_soft;  // with readout: also stream p1 (in memory only: the soft
                                 // values of 256 shots must fit record_budget, else an error)
} qp_frame_stream_params;

int qp_frame_stream(const qp_circuit *c, const qp_frame_stream_params *p, qp_frame_emit_fn emit, void *ctx,
                    qp_err *err);

#endif
