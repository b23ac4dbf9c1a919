// Leakage in the Pauli-frame simulator: the leaked-state dynamics, called by frame_sim.c at
// gates and measurements when opt.leakage.p > 0. Internal to workers/sim.
//
// The model (README "Leakage" states it for users; a two-level frame cannot hold |2>, so a
// bit per (qubit, shot) says "leaked" and the frame of a leaked qubit is ignored):
//  - Leaking. Every qubit target of every unitary gate instruction (H, S, CX, CZ, SWAP, X,
//    ..., all but I) leaks with probability p independently, after the gate has acted. A
//    qubit already leaked stays leaked. Resets, measurements and noise channels do not leak.
//  - Staying leaked. A leaked qubit's "round" is a layer of single-qubit measurements: at
//    every M / MX / MY / MR / MRX / MRY instruction, after its results are recorded, each
//    leaked qubit of the circuit (measured or not, data qubits too) returns with probability
//    1/mean_rounds. So a qubit that leaks during a round is seen leaked by a geometric number
//    G >= 1 of measurement layers, P(G = k) = (1-r)^(k-1) r with r = 1/mean_rounds, mean
//    mean_rounds. Resets do not return a leaked qubit (a reset pulse does not empty |2>).
//    Counting layers rather than the qubit's own measurements gives data qubits, measured
//    only at the end of a memory experiment, the same lifetime as measure qubits.
//  - Returning: in the maximally mixed state, i.e. a uniformly random frame (X and Z bits
//    each a fair coin), as the thermal decay |2> -> |1> -> ... scrambles the qubit.
//  - Disturbing: a two-qubit gate with exactly one leaked qubit applies a uniformly random
//    Pauli I, X, Y or Z to the other qubit (Suchara, Cross, Gambetta 2015, "Leakage
//    suppression in the toric code": the non-leaked partner of a gate is depolarised) and
//    nothing propagates from the leaked qubit's frame (it is cleared before the gate). Both
//    leaked: nothing. Gates on a leaked qubit do nothing to its leaked state.
//  - Reading out: a single-qubit measurement of a leaked qubit gives a fair coin as its
//    result (a frame simulator holds flips against a reference, not values, so "reads as 1"
//    has no meaning here); M(p)'s flip noise still applies on top. The sink's `leaked`
//    callback gets, per result, the row of shots where the qubit was leaked when measured,
//    for a readout model to give those results the third signal level.
//  - Not modelled: leakage through MPP/SPP/feedback/OBSERVABLE_INCLUDE Pauli targets (they
//    see the leaked qubit's meaningless frame), leakage transport between qubits, heating.
//
// Randomness: block b's draws come from its noise stream sim->rng[b] in circuit order
// (leaking events by geometric skipping over (target, shot) positions; one draw per leaked
// partner per gate, per leaked measured result and per leaked qubit per layer), so a shot's
// bytes depend only on (seed, stream, shot) as frame_sim.h promises.
#ifndef QP_SIM_FRAME_LEAK_H
#define QP_SIM_FRAME_LEAK_H

#include "workers/sim/frame_sim.h"

// Checks the parameters (p in [0,1], mean_rounds >= 1 when p > 0) and, when p > 0, allocates
// the leaked table and the measurement rows (max_targets rows). Returns 0 or -1 with err set.
int qp_frame_leak_init(qp_frame_sim *s, uint32_t max_targets, qp_err *err);
void qp_frame_leak_free(qp_frame_sim *s);

// Start of a batch: no qubit leaked.
void qp_frame_leak_batch_start(qp_frame_sim *s);

// Before a two-qubit gate on the pair (qa, qb): clears the frame of a leaked member in the
// shots where it is leaked. Returns whether either member is leaked in any shot.
int qp_frame_leak_before_pair(qp_frame_sim *s, uint32_t qa, uint32_t qb);

// After that gate: a random Pauli on the other qubit where exactly one member was leaked.
void qp_frame_leak_disturb_pair(qp_frame_sim *s, uint32_t qa, uint32_t qb);

// CX, CY or CZ on the pair (qa, qb) with the two calls above around it, in one pass over the
// rows (the same draws in the same order: the same bytes).
void qp_frame_leak_pauli_gate(qp_frame_sim *s, qp_gate g, uint32_t qa, uint32_t qb);

// After a unitary gate instruction: its qubit targets leak with probability p.
void qp_frame_leak_gate(qp_frame_sim *s, const qp_instr *in);

// After a single-qubit measurement instruction recorded results first .. first+n-1 (n =
// its targets): fills s->leak_meas with the measured qubits' leaked rows and makes the
// results of leaked qubits fair coins.
void qp_frame_leak_measured(qp_frame_sim *s, const qp_instr *in, uint64_t first);

// End of a measurement layer: each leaked qubit returns with probability 1/mean_rounds.
void qp_frame_leak_layer(qp_frame_sim *s);

#endif
