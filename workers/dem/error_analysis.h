// Error analysis: turns a noisy circuit into its detector error model, as Stim's
// `analyze_errors` does. For every noise channel (and measurement flip probability) and each
// Pauli component of it, the set of detectors and observables the component flips; identical
// mechanisms merged (p1(1-p2) + p2(1-p1)); disjoint channels converted to independent ones the
// way Stim converts them (DEPOLARIZE1(p): X, Y, Z each 1/2 - 1/2 sqrt(1 - 4p/3); DEPOLARIZE2:
// 15 components each 1/2 - 1/2 (1 - 16p/15)^(1/8); PAULI_CHANNEL_1: the exact independent
// X, Y, Z probabilities when they exist. Where Stim needs --approximate_disjoint_errors
// (PAULI_CHANNEL_2 with several components, PAULI_CHANNEL_1 without an independent form) the
// exclusive probabilities are used as independent ones, as that option does, unless
// strict_disjoint asks for Stim's refusal). Every gate of the circuit language is handled:
// unitaries through their frame action (qp_gate_frame_of), Pauli-product measurements and
// rotations (MPP, MXX, SPP ...) through the sensitivity of the product, heralds and MPAD as
// measurement results, feedback (CX rec[-k] q) by adding the Pauli's sensitivity to the
// measurement's, ELSE_CORRELATED_ERROR chains with Stim's probabilities p_k prod_{j<k}(1-p_j).
//
// How: the circuit is walked backwards keeping, for every qubit, the sorted set of detectors
// and observables an X error (resp. Z error) at that point would flip; gates conjugate these
// sets, measurements add the detectors that use them, resets clear them. A detector or
// observable that anticommutes with a reset or measurement (or the initial |0> state) is not
// deterministic and is reported as an error naming it and its coordinates.
//
// Output: errors sorted by their target list (Stim's order), then detector(coords) and
// shift_detectors as in the circuit. With decompose_errors every error flipping more than two
// detectors is written as `^`-separated graphlike parts (first within its own channel, then by
// known graphlike mechanisms of the whole model). With fold_loops a REPEAT whose backward
// propagation state becomes periodic is written as a `repeat` block (tortoise-and-hare period
// detection), so its cost does not grow with the repeat count.
#ifndef QP_DEM_ERROR_ANALYSIS_H
#define QP_DEM_ERROR_ANALYSIS_H

#include "workers/circuit/circuit.h"
#include "workers/dem/dem.h"
#include "workers/util/err.h"

typedef struct {
    int decompose_errors;  // split >2-detector errors into graphlike components with `^`
    int fold_loops;        // keep periodic REPEAT blocks as `repeat` in the model
    int strict_disjoint;   // 1: refuse, as Stim without --approximate_disjoint_errors, channels
                           // whose disjoint cases have no exact independent form (see above;
                           // also HERALDED_ERASE, HERALDED_PAULI_CHANNEL_1 with several cases,
                           // E/ELSE_CORRELATED_ERROR chains). 0: approximate them, as
                           // --approximate_disjoint_errors does.
} qp_error_analysis_options;

// Fills `out` (initialised here) with the circuit's detector error model. On failure (a
// non-deterministic detector/observable, an over-mixing channel, a failed decomposition)
// returns -1 with one line in err and leaves `out` empty.
int qp_error_analysis(const qp_circuit *c, const qp_error_analysis_options *opt, qp_dem *out,
                      qp_err *err);


#endif
