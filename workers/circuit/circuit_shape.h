// What a memory-experiment circuit says about itself, for data whose folder names cannot be
// trusted (archives): the number of rounds, the code distance and the memory basis.
//   rounds   = the span of the detectors' time coordinate (third coordinate): Stim's and
//              Google's circuits put the first round's detectors at t and the final data
//              measurement's at t + rounds;
//   distance = how many distinct qubits logical observable 0 reads (a rotated surface code's
//              logical operator is d qubits long);
//   basis    = how those qubits are measured (MX: x, M: z), claimed only when no single-qubit
//              gate (H, S, SQRT_X, ...) changed their frame since their reset, as in Stim's
//              CX circuits; CZ circuits (SI1000, Google's) rotate data qubits with H, and
//              their basis is left unknown rather than guessed.
// A figure the circuit does not determine is 0 ('\0' for the basis): no coordinates, no
// observable, measurements in mixed or rotated bases.
#ifndef QP_CIRCUIT_CIRCUIT_SHAPE_H
#define QP_CIRCUIT_CIRCUIT_SHAPE_H

#include <stdint.h>

#include "workers/circuit/circuit.h"

typedef struct {
    uint64_t rounds;
    uint64_t distance;
    char basis;  // 'x', 'z' or 0
} qp_circuit_shape;

// c must be finalized. Walks the circuit with REPEAT blocks unrolled up to a budget of 2^26
// instructions (beyond it distance and basis stay unknown). Fails only on allocation limits.
int qp_circuit_shape_of(const qp_circuit *c, qp_circuit_shape *shape, qp_err *err);

#endif
