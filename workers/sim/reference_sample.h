// The noiseless reference sample of a circuit: one run of its measurement record with every
// noise channel off, computed with a stabilizer tableau (Aaronson-Gottesman) that applies each
// unitary from the gate table's signed Pauli images. A result that is random in the noiseless
// circuit reads 0 (the state collapses accordingly), as in Stim's reference samples.
//
// What it is for: the Pauli-frame sampler (frame_sim.h) produces measurement flips relative to
// a noiseless run; flips XOR this sample is a measurement record distributed as Stim's
// `stim sample` (random results are randomised by the frame sampler's gauge bits).
//
// Deliberately simple: the tableau is dense (2n rows of n bits, one byte per bit) and REPEAT
// blocks are unrolled, so the cost is O(n^2) per measurement and grows with the rounds; it is
// meant for `qecpipe sample`, not for the hot sampling loop.
#ifndef QP_SIM_REFERENCE_SAMPLE_H
#define QP_SIM_REFERENCE_SAMPLE_H

#include <stdint.h>

#include "workers/circuit/circuit.h"
#include "workers/util/err.h"

// The dense tableau takes 4 n^2 bytes: at most 2^14 qubits (1 GiB; a d=89 rotated surface
// code has 15,841). A lone `M 16777215` asked for 2^50 bytes.
#define QP_REFERENCE_MAX_QUBITS (1u << 14)

// Fills record (ceil(c->num_measurements / 8) bytes, b8 bit order: result m is bit m % 8 of
// byte m / 8) with the reference sample. Returns 0, or -1 with a message.
int qp_reference_sample(const qp_circuit *c, uint8_t *record, qp_err *err);

#endif
