// What a memory-experiment circuit says about itself, for data whose folder names cannot be
// trusted (archives): the number of rounds, the code distance and the memory basis.
//   rounds   = the span of the detectors' time coordinate (third coordinate): Stim's and
//              Google's circuits put the first round's detectors at t and the final data
//              measurement's at t + rounds;
//   distance = how many distinct qubits logical observable 0 reads (a rotated surface code's
//              logical operator is d qubits long);
//   basis    = the Pauli type of logical observable 0 at the last round boundary: the
//              observable walked backwards (Heisenberg picture) from its measurements to the
//              last measurement of other qubits (the final round's ancillas), where the data
//              qubits of CX and CZ circuits alike are in their plain frame: all X is memory X,
//              all Z memory Z. So `H; M` on data counts as an X measurement, and SI1000 /
//              Google-style CZ circuits get their basis as Stim's CX circuits do.
// A figure the circuit does not determine is 0 ('\0' for the basis): no coordinates, no
// observable, an observable of mixed X/Z/Y type at the boundary.
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
