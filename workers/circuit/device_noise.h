// A test "device": a circuit whose error rates vary from qubit to qubit and from gate location
// to gate location, drawn once at random around the rates the circuit already has (e.g. SI1000),
// so that shots sampled from it differ from the model a decoder is built for, as a real
// device's do. Used by `qecpipe gen --device-seed S [--device-spread X]`.
//
// Every probability-carrying noise site of the circuit is scaled by a multiplier that depends
// only on (device seed, kind, qubits), never on the time step, so the device is stationary
// (every round of a REPEAT block sees the same rates):
//   kind                               multiplier drawn per
//   DEPOLARIZE1 (gate and idle noise)  qubit                 (coherence, T1/T2 of that qubit)
//   DEPOLARIZE2 after a two-qubit gate unordered qubit pair  (that coupler's gate fidelity)
//   X/Y/Z_ERROR (reset / prep errors)  qubit
//   measurement flip M(p), MR(p) ...   qubit                 (that qubit's readout)
// A multiplier is exp(ln(spread) * z), z standard normal (log-normal, median 1: at spread 2,
// two thirds of the sites lie between p/2 and 2p), and with probability 1/16 an outlier: times
// another spread^2 (a bad qubit or coupler). Results are clamped to the channel's maximum
// (DEPOLARIZE1 3/4, DEPOLARIZE2 15/16, flips 1/2). Instructions whose targets get different
// rates are split, one instruction per target (pair), in the original order; other noise
// channels (PAULI_CHANNEL_*, E, HERALDED_*) are left as they are. Deterministic in the seed:
// the draw for a site is a hash of (seed, kind, qubits), independent of the circuit's
// instruction order.
#ifndef QP_CIRCUIT_DEVICE_NOISE_H
#define QP_CIRCUIT_DEVICE_NOISE_H

#include <stdint.h>

#include "workers/circuit/circuit.h"
#include "workers/util/err.h"

typedef enum {
    QP_DEVICE_DEPOLARIZE1 = 0,
    QP_DEVICE_DEPOLARIZE2 = 1,
    QP_DEVICE_FLIP = 2,     // X/Y/Z_ERROR
    QP_DEVICE_READOUT = 3,  // measurement flip probability
} qp_device_kind;

#define QP_DEVICE_OUTLIER_ODDS 16  // one multiplier in 16 is an outlier

// The multiplier of one site: q1 = UINT32_MAX for one-qubit kinds; pairs in either order.
double qp_device_multiplier(uint64_t seed, double spread, qp_device_kind kind, uint32_t q0, uint32_t q1);

// Rewrites c in place (it must be finalized; it stays finalized). spread >= 1 (1: no change
// apart from the split instructions).
int qp_circuit_apply_device(qp_circuit *c, uint64_t seed, double spread, qp_err *err);

#endif
