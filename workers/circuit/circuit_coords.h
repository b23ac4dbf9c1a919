// Absolute coordinates of detectors and qubits, walking REPEAT blocks with SHIFT_COORDS
// applied, as Stim's get_detector_coordinates / get_final_qubit_coordinates report them.
// A DETECTOR(x, y, t) inside a REPEAT gets x + sx, y + sy, t + st, where (sx, sy, st) is the
// sum of every SHIFT_COORDS executed before it in the unrolled circuit. QUBIT_COORDS are
// shifted the same way.
#ifndef QP_CIRCUIT_CIRCUIT_COORDS_H
#define QP_CIRCUIT_CIRCUIT_COORDS_H

#include <stdint.h>

#include "workers/circuit/circuit.h"

// Detector coordinates in detector order (the order of DETECTOR instructions in the unrolled
// circuit, i.e. the index D<k> in DEMs and shot files).
//   *coords_flat is (num_detectors, *num_coords_per_det), malloc'd (free()); row k holds
//   detector k's coordinates; detectors with fewer coordinates than the widest are padded
//   with 0. *num_coords_per_det = the most coordinates any detector has (0 if none, and then
//   *coords_flat may be NULL).
// c must be finalized (c->num_detectors is used). Fails if the table would exceed 2^28
// numbers (e.g. an absurd REPEAT count).
int qp_circuit_detector_coords(const qp_circuit *c, double **coords_flat, uint32_t *num_coords_per_det,
                               qp_err *err);

// Final coordinates of every qubit (the last QUBIT_COORDS naming it, shifted).
//   *coords_flat is (c->num_qubits, *num_coords_per_qubit), malloc'd; qubits never given
//   coordinates, and missing trailing coordinates, are NAN. *has_coords (may be NULL) gets a
//   malloc'd (num_qubits) array of 0/1.
int qp_circuit_qubit_coords(const qp_circuit *c, double **coords_flat, uint32_t *num_coords_per_qubit,
                            uint8_t **has_coords, qp_err *err);

#endif
