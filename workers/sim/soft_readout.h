// Soft readout in the Pauli-frame sampler: the hook frame_sim.c calls for each measurement
// result when a readout model is set (qp_frame_options.readout), turning every shot's
// measurement into an analog signal (readout_model.h), a hard result and the posterior p1.
//
// Semantics (docs/soft-readout.md has the derivation):
//  - The model applies to single-qubit measurements (M, MX, MY, MR, MRX, MRY) and replaces
//    their flip argument M(p); other results (MPP, MXX ..., heralds, MPAD) keep the circuit's
//    noise and get p1 exactly 0 or 1.
//  - The true result of a shot is reference bit XOR frame flip (reference_sample.h).
//  - Symmetrised readout (default, symmetrize = 1): as on hardware, a random X is applied before
//    the measurement and undone classically, so the measured ("physical") state is true XOR tau
//    with tau a fair coin. Then the physical state is |0> or |1> with probability 1/2 whatever
//    the circuit's state (so the model's equal prior is exact and p1 is calibrated), and the
//    hard result is wrong with probability M = (eps0 + eps1) / 2 independently of the state:
//    hard-decision statistics are exactly those of the circuit with M(M) on these
//    measurements (qp_soft_readout_hard_equivalent). symmetrize = 0: the physical state is the
//    true state (errors eps0 / eps1 depend on it; the equal prior is then an assumption).
//  - Hard result = posterior > 1/2 (y > y*); a wrong result XORs into the record, not the frame
//    (Stim's semantics of M(p): the qubit's state is untouched).
//  - p1 = P(result 1 | signal) = result ? 1 - e : e, e = P(result wrong | signal) =
//    1 / (1 + exp|llr|) rounded to a multiple of 2^-24 within [2^-24, 1/2 - 2^-24]: 1 - e is then
//    exact in float32, min(p1, 1 - p1) = e on either side, e is never 0 and p1 > 1/2 is the
//    hard result bit for bit.
//
// Randomness: block b's draws come from its noise stream (the frame simulator's rng[b]), in
// circuit order, words in order, shots in order, so values depend only on (seed, stream, shot)
// like everything else the sampler produces. Per word: one 64-bit draw for the tau's
// (symmetrised), then per shot a ziggurat normal (one draw in ~99 % of cases) and, with finite
// T1, one draw for the decay time (used by a physical |1>; qp_readout_draw's order).
// The posterior comes from qp_readout_llr_fast (table interpolation within 1e-7 of the exact
// log-likelihood ratio where the table is on; readout_model.h).
#ifndef QP_SIM_SOFT_READOUT_H
#define QP_SIM_SOFT_READOUT_H

#include <stddef.h>
#include <stdint.h>

#include "workers/circuit/circuit.h"
#include "workers/sim/readout_model.h"
#include "workers/util/err.h"
#include "workers/util/rng.h"

typedef struct qp_soft_readout {
    qp_readout_model model;
    int symmetrize;            // see above (qp_soft_readout_init sets 1)
    const uint8_t *reference;  // the circuit's reference sample (b8 bits), borrowed
} qp_soft_readout;

int qp_soft_readout_init(qp_soft_readout *ro, double snr, double t1_over_tint, const uint8_t *reference,
                         qp_err *err);

// 1 when the model replaces this gate's results' noise (single-qubit measurements).
int qp_soft_readout_applies(qp_gate g);

// Measurement m (record index in the run) of a batch of num_blocks 256-shot blocks: `row`
// (stride words) holds its flips against the reference before readout and receives the
// readout errors; rng[b] is block b's stream. leaked (stride words, or NULL without leakage):
// the shots whose qubit is leaked (frame_leak.h), which read at the |2> level
// (readout_model.h). p1 (64 * stride floats, or NULL) receives P(result 1 | signal) per shot
// (the 0/1 posterior, as without leakage); pleak (or NULL; only with p1) P(leaked | signal).
void qp_soft_readout_measure(const qp_soft_readout *ro, uint64_t m, uint64_t *row, const uint64_t *leaked,
                             size_t stride, qp_rng *rng, uint32_t num_blocks, float *p1, float *pleak);

// p1 of a result the model does not apply to: exactly the result, 0 or 1; pleak (or NULL): 0.
void qp_soft_readout_exact(const qp_soft_readout *ro, uint64_t m, const uint64_t *row, size_t stride, float *p1,
                           float *pleak);

// The hard-equivalent circuit: every measurement the model applies to gets flip probability
// `flip` (the model's M), replacing its argument. Other instructions are untouched.
void qp_soft_readout_hard_equivalent(qp_circuit *c, double flip);

#endif
