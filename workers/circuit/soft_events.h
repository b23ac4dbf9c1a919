// Soft detection events: what a shot's soft readout says about each of its detectors, the
// neural decoder's inputs in AlphaQubit's soft-readout experiments (Bausch et al. 2024).
//
// Per measurement m the readout gives p1 = P(|1> | signal); the hard result is wrong with
// probability e_m = min(p1, 1 - p1), independently across measurements given their signals.
// A detector is the parity of its measurements, so its hard event is wrong when an odd number
// of them are: E_d = (1 - prod_m (1 - 2 e_m)) / 2 over the measurements m of detector d
// (measurement_map.h). The soft event is then P(the detector's noiseless-readout event is 1) =
// hard_d ? 1 - E_d : E_d. Measurements the readout model does not cover have p1 exactly 0 or
// 1 (e_m = 0), so without soft information the soft events are the hard events.
// With leakage posteriors, a detector's leakage input is the probability that at least one of
// its measurements read a leaked qubit: 1 - prod_m (1 - pleak_m).
#ifndef QP_CIRCUIT_SOFT_EVENTS_H
#define QP_CIRCUIT_SOFT_EVENTS_H

#include <stdint.h>

#include "workers/circuit/measurement_map.h"

// One shot: dets_b8 its detector record (bit d at byte d/8), p1 its map->num_measurements
// posteriors, pleak the leakage posteriors or NULL. event (num_detectors) receives the soft
// events; leak (num_detectors, or NULL) the leakage inputs (0 when pleak is NULL). scratch holds
// num_detectors doubles.
void qp_soft_events(const qp_measurement_map *map, const uint8_t *dets_b8, const float *p1, const float *pleak,
                    float *event, float *leak, double *scratch);

#endif
