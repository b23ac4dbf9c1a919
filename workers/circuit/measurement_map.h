// What flipping one measurement result does: for every measurement m of a circuit (record
// order, REPEAT blocks unrolled), the detectors and observables whose rec[-k] targets name it
// (a detector naming m an even number of times does not see it), and the flip probability the
// circuit gives m (`M(q)`: q; 0 without an argument). This is the detector error model of the
// single mechanism "flip measurement m" for circuits without feedback, which is what soft
// information decoders need (mwpm-soft reweights the matching edge of that mechanism; a soft
// detection event combines the error probabilities of a detector's measurements).
// Deliberately not: measurement feedback (CX rec[-k] q ...): a flipped result would then also
// flip a qubit, whose effects only the error analysis follows; such circuits are refused.
#ifndef QP_CIRCUIT_MEASUREMENT_MAP_H
#define QP_CIRCUIT_MEASUREMENT_MAP_H

#include <stdint.h>

#include "workers/circuit/circuit.h"
#include "workers/util/err.h"

typedef struct {
    uint32_t num_measurements;
    uint32_t num_detectors;
    uint32_t num_observables;
    // Detectors of measurement m: det[det_start[m] .. det_start[m+1]), increasing.
    uint32_t *det_start;  // (num_measurements + 1)
    uint32_t *det;        // (det_start[num_measurements])
    uint64_t *obs;        // (num_measurements) bit k: observable k flips with m (k < 64)
    double *flip;         // (num_measurements) the circuit's flip probability of m's result
} qp_measurement_map;

// c must be finalized. Fails (one line, naming the circuit line) on measurement feedback, on
// more than 64 observables or more than 2^32 - 1 measurements or detectors. Its cost is that
// of walking the unrolled circuit once.
int qp_measurement_map_build(qp_measurement_map *map, const qp_circuit *c, qp_err *err);
void qp_measurement_map_free(qp_measurement_map *map);  // safe on a zeroed map

#endif
