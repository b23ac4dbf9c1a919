// Pauli-frame simulator, bit-sliced across shots: samples detection events and observable
// flips of a Stim circuit without ever holding the circuit unrolled.
//
// What it computes. For every shot it tracks only the Pauli error ("frame") that separates the
// shot from a noiseless reference run. A measurement's flip is the frame's anticommuting part;
// a detector's detection event is the XOR of its measurements' flips and an observable's flip
// the XOR of its measurements' flips. This equals Stim's `detect` output (which XORs the
// measured parity with a noiseless reference sample's parity) exactly when every detector and
// observable is deterministic in the noiseless circuit -- true for every well-formed QEC
// circuit and checked by tests/sim/test_frame_noiseless.c on all reference circuits. So no
// reference sample is needed: Pauli gates (X Y Z I) and inverted targets `!q` change the
// reference and the real run alike and are no-ops here. For a non-deterministic detector the
// output is a fair coin (as in Stim), because resets and measurements randomise the frame
// component that the new state absorbs (Z after R/M, X after RX/MX, Y after RY/MY: "gauge").
//
// Layout. Shots are simulated in batches of up to max_blocks blocks of QP_FRAME_BLOCK_SHOTS
// shots; a batch of B blocks has stride = B * QP_FRAME_BLOCK_SHOTS / 64 words per row:
//   x[q*stride + w] bit k: the frame has an X component on qubit q in shot 64*w + k
//   z[q*stride + w] bit k: the frame has a Z component on qubit q in shot 64*w + k
//   rec[(m % ring_depth)*stride + w]: flip of measurement m (a ring as deep as the furthest
//       rec[-k] lookback, rounded up to a power of two, so memory does not grow with rounds)
//   obs[i*stride + w]: flip of observable i
// Every gate is a loop over the row's 256-bit blocks (a GCC vector type: AVX2 instructions).
//
// Every gate of the table runs: unitaries through their frame action (qp_gate_frame_of, with
// hand-written loops for the surface-code gates), Pauli products (MPP, SPP, MXX ...) through
// the frame's anticommutation with the product, E/ELSE_CORRELATED_ERROR chains with a
// per-shot "fired" row, heralded channels writing their herald into the record. Feedback
// (CX rec[-k] q, XCZ q rec[-k], ...) applies the Pauli where the measurement flipped; sweep
// bits are 0. Measurement results leave as flips through sink->measurements (the reference
// sample to XOR them with is workers/sim/reference_sample.h). Deliberately not here: a
// tableau simulator (the reference sample is not needed for detectors, see above).
//
// Soft readout (opt.readout, workers/sim/soft_readout.h): single-qubit measurements draw an
// analog signal per shot instead of flipping with their M(p) argument; the hard result (the
// posterior thresholded at 1/2) flows on through the record as a flip, and every result's
// posterior p1 goes to sink->soft. Without a readout model nothing changes, bit for bit.
//
// Randomness. Block b (shots b*256 .. b*256+255 of the run) draws from its own stream
// qp_rng_stream(seed, stream_id, b), block by block in circuit order, so the bytes sampled for
// a shot depend only on (seed, stream_id, shot), never on how many blocks a batch holds or how
// a caller cuts a run into calls. Gauge bits come from four xoshiro256** generators per block
// (one per word, stepped together in SIMD) seeded from the block's stream. Noise channels are
// sampled by geometric skipping within a block over its (target, shot) positions: the cost is
// one logarithm per error plus one per instruction per block, not one per qubit per shot.
//
// Leakage (off unless opt.leakage.p > 0; the model, precisely: frame_leak.h). A row per qubit
// `leaked` (bit per shot) beside x/z: qubits leak at the unitary gates they take part in, stay
// leaked for a geometric number of measurement layers, randomise the partners of their
// two-qubit gates, read out as fair coins, and return maximally mixed. Its draws come from the
// block's noise stream in circuit order like every noise channel, so the determinism above
// holds; with leakage off no draw is made and the bytes are those of the sampler without it.
//
// Streaming. Detection events leave the simulator in chunks of whole detector rows through a
// sink, so a 100,000-round experiment never holds more than one chunk of detectors.
#ifndef QP_SIM_FRAME_SIM_H
#define QP_SIM_FRAME_SIM_H

#include <stddef.h>
#include <stdint.h>

#include "workers/circuit/circuit.h"
#include "workers/util/err.h"
#include "workers/util/rng.h"

#define QP_FRAME_BLOCK_SHOTS 256
#define QP_FRAME_BLOCK_WORDS (QP_FRAME_BLOCK_SHOTS / 64)
// Default blocks per batch (frame tables of about 2 * qubits * 8 * blocks * 32 bytes).
#ifndef QP_FRAME_DEFAULT_BLOCKS
#define QP_FRAME_DEFAULT_BLOCKS 4
#endif

// Receives a batch's results. `rows` is (n, stride) words, bit k of word w = shot
// batch_first_shot + 64*w + k; rows are valid only during the call. Return 0, or -1 with err
// set to stop the batch.
typedef struct {
    void *ctx;
    // Detectors first_det .. first_det+num_dets-1 (chunks arrive in order, gap-free).
    int (*detectors)(void *ctx, uint64_t batch_first_shot, uint64_t first_det, size_t num_dets,
                     const uint64_t *rows, size_t stride, qp_err *err);
    // All observables, once per batch after the last detector chunk (may be NULL).
    int (*observables)(void *ctx, uint64_t batch_first_shot, uint32_t num_obs,
                       const uint64_t *rows, size_t stride, qp_err *err);
    // Measurement results first_meas .. first_meas+num_meas-1 of the batch as flips against
    // the noiseless reference (one instruction's results, in record order; may be NULL).
    int (*measurements)(void *ctx, uint64_t batch_first_shot, uint64_t first_meas, size_t num_meas,
                        const uint64_t *rows, size_t stride, qp_err *err);
    // With leakage on: for the results of one single-qubit measurement instruction (right
    // after `measurements` gets them), whether the measured qubit was leaked when measured,
    // bit per shot, one row per result in record order (may be NULL).
    int (*leaked)(void *ctx, uint64_t batch_first_shot, uint64_t first_meas, size_t num_meas,
                  const uint64_t *rows, size_t stride, qp_err *err);
    // Soft values of measurements first_meas .. +num_meas, only when a readout model is set
    // (may be NULL): p1 is (num_meas, 64 * stride) floats, P(result 1 | signal) of each shot
    // (soft_readout.h; exactly 0 or 1 for results the model does not apply to); pleak likewise
    // P(leaked | signal), or NULL when the sampler runs without leakage. Called before the
    // same results go to `measurements`.
    int (*soft)(void *ctx, uint64_t batch_first_shot, uint64_t first_meas, size_t num_meas, const float *p1,
                const float *pleak, size_t stride, qp_err *err);
} qp_frame_sink;

// Leakage parameters (frame_leak.h). p = 0 turns leakage off.
typedef struct {
    double p;            // probability that a qubit leaks at a unitary gate it takes part in
    double mean_rounds;  // mean number of measurement layers a leaked qubit stays leaked (>= 1)
} qp_frame_leakage;

typedef struct {
    int randomize_gauge;  // 1 (default): gauge randomisation as described above; 0: skip it
                          // (faster, identical results for deterministic detectors)
    uint32_t max_blocks;  // blocks per batch (default QP_FRAME_DEFAULT_BLOCKS)
    size_t chunk_dets;    // detector rows per sink call (default: about 1 MB of rows)
    qp_frame_leakage leakage;  // default {0, 0}: off
    // Soft readout (soft_readout.h), borrowed, or NULL (default): single-qubit measurements draw
    // analog signals instead of flipping with their M(p) argument, and the sink's `soft` gets
    // every result's p1. NULL leaves every output bit-identical to a simulator without it.
    const struct qp_soft_readout *readout;
} qp_frame_options;

typedef struct {
    const qp_circuit *circuit;  // borrowed; must outlive the simulator
    qp_frame_options opt;
    uint32_t num_qubits;
    uint64_t num_detectors;
    uint32_t num_observables;
    uint64_t ring_depth;   // power of two >= the furthest rec[-k] lookback
    size_t max_stride;     // max_blocks * QP_FRAME_BLOCK_WORDS
    size_t stride;         // words per row in the current batch
    uint64_t *x, *z;       // (num_qubits, stride) frame tables, see above
    uint64_t *rec;         // (ring_depth, stride) measurement flips ring
    uint64_t *det;         // (chunk_dets, stride) detector rows waiting for the sink
    uint64_t *obs;         // (num_observables, stride)
    uint64_t *scratch;     // (2, stride): anticommutation / gauge rows of Pauli products
    uint64_t *fired;       // (stride): shots in which the current E/ELSE chain fired
    qp_product *products;  // (most targets of one instruction) Pauli products of MPP/SPP...
    qp_rng *rng;           // (max_blocks) streams of the current batch's blocks (noise)
    float *soft;           // (64 * max_stride) p1 of one result, when opt.readout is set
    uint64_t *gauge;       // (max_blocks, 16) per block: 4 xoshiro256** states side by side,
                           // seeded from the block's stream, for gauge randomisation
    uint32_t num_blocks;   // blocks in the current batch
    uint64_t batch_first_shot;
    uint64_t num_meas;     // measurements so far in this batch
    uint64_t *leaked;      // leakage on: (num_qubits, stride) bit = qubit leaked in that shot;
                           // NULL when off
    uint64_t *leak_meas;   // leakage on: (most targets of one instruction, stride) leaked rows
                           // of the qubits of the current measurement instruction
    double leak_inv_log1mp;  // 1 / log(1 - leakage.p)
    double leak_return;      // 1 / mean_rounds: a leaked qubit's return probability per layer
    uint64_t det_base;     // detector index of det row 0
    size_t det_fill;       // rows filled in det
} qp_frame_sim;

void qp_frame_options_default(qp_frame_options *opt);

// Prepares a simulator for circuit c (finalized). opt may be NULL for defaults. Fails on
// instructions the simulator cannot run (naming the line).
int qp_frame_sim_init(qp_frame_sim *sim, const qp_circuit *c, const qp_frame_options *opt,
                      qp_err *err);
void qp_frame_sim_free(qp_frame_sim *sim);

// Simulates blocks first_block .. first_block+num_blocks-1 (num_blocks <= max_blocks) of the
// run (seed, stream_id) and hands the results to the sink.
int qp_frame_sim_run_batch(qp_frame_sim *sim, uint64_t seed, uint64_t stream_id,
                           uint64_t first_block, uint32_t num_blocks, const qp_frame_sink *sink,
                           qp_err *err);

#endif
