// Repetition-code memory experiments (the circuits of Google's repetition-code experiments and
// of `stim gen --code repetition_code --task memory`), generated as a qp_circuit with one
// REPEAT block for rounds 2..r. The text equals `stim gen`'s for the same knobs (apart from
// its header comments).
//
// Layout: 2d - 1 qubits in a line; data qubits 0, 2, ..., 2d-2 and measure qubits 1, 3, ...,
// 2d-3 (measure qubit 2i+1 checks Z Z on data 2i and 2i+2). Each round: CX from every data
// qubit to its right neighbour, then from every data qubit to its left neighbour, then MR of
// the measure qubits. Detectors: round 1 one per measure qubit at (2i+1, 0); rounds 2..r
// SHIFT_COORDS(0, 1) then each measure result against the previous round's; at the end the
// data qubits are measured and each check compared with its data qubits, at (2i+1, 1).
// Observable 0: the last data qubit.
//
// Noise: Stim's four knobs (a zero knob adds no instruction):
//   after_clifford_depolarization    DEPOLARIZE2 after each CX layer
//   before_round_data_depolarization DEPOLARIZE1 on the data at the start of every round
//   before_measure_flip_probability  X_ERROR before MR and before the final M
//   after_reset_flip_probability     X_ERROR after R and after MR
#ifndef QP_CIRCUIT_REPETITION_CODE_H
#define QP_CIRCUIT_REPETITION_CODE_H

#include <stdint.h>

#include "workers/circuit/circuit.h"

typedef struct {
    uint32_t distance;  // >= 2
    uint64_t rounds;    // >= 1
    double after_clifford_depolarization;
    double before_round_data_depolarization;
    double before_measure_flip_probability;
    double after_reset_flip_probability;
} qp_repetition_params;

// The four knobs = p (how the vectors were made).
qp_repetition_params qp_repetition_params_uniform(uint32_t distance, uint64_t rounds, double p);

// Generates the circuit (c need not be initialised; it is finalized on success).
int qp_repetition_code_generate(qp_circuit *c, const qp_repetition_params *p, qp_err *err);

#endif
