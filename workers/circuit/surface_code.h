// Rotated surface-code memory experiments (basis X or Z, odd distance d >= 3, rounds >= 1),
// generated as a qp_circuit with one REPEAT block for rounds 2..r.
//
// Layout (the same as `stim gen --code surface_code --task rotated_memory_x|z`):
//   data qubits at (x, y) = (2i+1, 2j+1), 0 <= i, j < d;
//   measure qubits at even (x, y) in [0, 2d]^2: an X stabilizer when (x + y) / 2 is odd, a Z
//   stabilizer otherwise; on the y = 0 and y = 2d edges only X stabilizers, on the x = 0 and
//   x = 2d edges only Z stabilizers, no corners.
//   qubit index = x + (y / 2) * (2d + 1); QUBIT_COORDS are listed by increasing index.
//   Each round measures every measure qubit once, in increasing index order.
//   CX layers (control -> target), offsets from a measure qubit to its data partner:
//     X stabilizers (measure -> data): (+1,+1) (-1,+1) (+1,-1) (-1,-1)
//     Z stabilizers (data -> measure): (+1,+1) (+1,-1) (-1,+1) (-1,-1)
//   within a layer: X stabilizers first, then Z, each sorted by (x, y).
// Detectors (in this order, the order of D<k> in DEMs and shot files):
//   round 1: one per stabilizer of the experiment's basis, sorted by (x, y), coords (x, y, 0);
//   rounds 2..r: SHIFT_COORDS(0, 0, 1), then one per measure qubit in index order comparing
//     it with the previous round, coords (x, y, 0);
//   end: the data qubits are measured in the basis (increasing index); one detector per
//     basis stabilizer, sorted by (x, y), coords (x, y, 1): its data qubits' results and its
//     last measurement.
// Observable 0: the data qubits on the x = 1 column (memory X) or the y = 1 row (memory Z).
// rec[-k] lists are sorted by increasing k.
//
// Noise models:
//   QP_SURFACE_UNIFORM, Stim's four knobs (a zero knob adds no instruction), producing the same
//     text as `stim gen` (instructions fused as Stim fuses them):
//     after_clifford_depolarization   DEPOLARIZE1 after H, DEPOLARIZE2 after each CX layer
//     before_round_data_depolarization DEPOLARIZE1 on data at the start of every round
//     before_measure_flip_probability X_ERROR (Z_ERROR for MX) before measurements
//     after_reset_flip_probability    X_ERROR (Z_ERROR for RX) after resets
//   QP_SURFACE_SI1000 (superconducting-inspired, Gidney et al. arXiv 2108.10457), parameter p,
//     on a CZ form of the same schedule using only R, M, H and CZ: each CX(c, t) becomes
//     H(t) CZ(c, t) H(t), and Hadamards that meet between layers cancel, so each round is
//       H layer | CZ 1 | H layer | CZ 2 | H layer | CZ 3 | H layer | CZ 4 | H layer | M | R
//     with a TICK between layers. RX/MX of data qubits become R + H / H + M (the H merged
//     into the first / a final H layer). Noise:
//       CZ                       DEPOLARIZE2(p) after
//       H (one-qubit Clifford)   DEPOLARIZE1(p/10) after
//       idle in an H or CZ layer DEPOLARIZE1(p/10)
//       M                        result flipped with probability 5p: M(5p)
//       R                        X_ERROR(2p) after
//       idle data during M or R  DEPOLARIZE1(2p) (once per M layer, once per R layer)
//     Qubits no longer measured (measure qubits after the last round) get no idle noise.
//     Detectors, observable, qubit indices and coordinates equal the uniform circuit's.
#ifndef QP_CIRCUIT_SURFACE_CODE_H
#define QP_CIRCUIT_SURFACE_CODE_H

#include <stdint.h>

#include "workers/circuit/circuit.h"

// (Not qp_noise_model: that is the config's enum, pipeline/config/config.h, and the pipeline
// includes both headers.)
typedef enum { QP_SURFACE_UNIFORM, QP_SURFACE_SI1000 } qp_surface_noise;

typedef struct {
    char basis;          // 'x' or 'z' (memory experiment basis)
    uint32_t distance;   // odd, >= 3
    uint64_t rounds;     // >= 1
    qp_surface_noise noise;
    double p;            // SI1000 parameter
    // Uniform model knobs (Stim's names).
    double after_clifford_depolarization;
    double before_round_data_depolarization;
    double before_measure_flip_probability;
    double after_reset_flip_probability;
} qp_surface_params;

// Parameters for the uniform model with all four knobs = p (how the vectors were made).
qp_surface_params qp_surface_params_uniform(char basis, uint32_t distance, uint64_t rounds, double p);
// Parameters for SI1000 noise with parameter p.
qp_surface_params qp_surface_params_si1000(char basis, uint32_t distance, uint64_t rounds, double p);

// The qubit layout of a distance-d rotated surface code (see the top of this file).
typedef struct {
    uint32_t distance;
    uint32_t num_qubits;    // 1 + largest qubit index
    uint32_t num_data, num_measure;
    uint32_t *data;         // (num_data) data qubit indices, increasing
    uint32_t *measure;      // (num_measure) measure qubit indices, increasing = measurement order
    uint8_t *measure_is_x;  // (num_measure) 1: X stabilizer, 0: Z stabilizer
    uint32_t *measure_sorted_xy; // (num_measure) positions into `measure`, sorted by (x, y)
    int32_t *x, *y;         // (num_qubits) coordinates of qubit q, -1 if q is unused
    uint32_t *cx[4];        // cx[k] is (num_cx[k], 2): control, target pairs of CX layer k
    uint32_t num_cx[4];
    uint32_t *partners;     // (num_measure, 4) data partner of measure i in layer k, or UINT32_MAX
    uint32_t *observable;   // (num_observable) data qubits of observable 0 (x basis: x = 1 column)
    uint32_t num_observable;
} qp_surface_layout;

int qp_surface_layout_build(qp_surface_layout *l, uint32_t distance, char basis, qp_err *err);
void qp_surface_layout_free(qp_surface_layout *l);

// Generates the circuit (c need not be initialised; it is finalized on success).
int qp_surface_code_generate(qp_circuit *c, const qp_surface_params *params, qp_err *err);

#endif
