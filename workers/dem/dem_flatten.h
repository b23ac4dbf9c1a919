// A detector error model unrolled into a plain list: repeat blocks expanded, shift_detectors
// applied (to detector ids and to detector coordinates), every error instruction one
// mechanism with absolute detector ids. This is what matching-graph builders and samplers
// consume. Mechanisms are not merged: the i-th error instruction met in execution order is
// mechs[i].
#ifndef QP_DEM_DEM_FLATTEN_H
#define QP_DEM_DEM_FLATTEN_H

#include <stdint.h>
#include <stddef.h>

#include "workers/dem/dem.h"
#include "workers/util/err.h"

// One `^`-separated part of an error: the detectors (sorted, each appearing once: repeated
// ids within a part cancel in pairs) and the observables it flips.
typedef struct {
    uint64_t first_det;    // index into qp_dem_flat.comp_dets
    uint32_t num_dets;
    uint64_t observables;  // bit k set: flips L<k>
} qp_dem_component;

typedef struct {
    double probability;
    uint64_t first_det;    // index into qp_dem_flat.dets: the XOR of all components, sorted
    uint32_t num_dets;
    uint64_t observables;  // XOR of the components' observable masks
    uint64_t first_comp;   // index into qp_dem_flat.comps
    uint32_t num_comps;    // 1 when the error had no `^`
} qp_dem_mechanism;

typedef struct {
    qp_dem_mechanism *mechs;   // (num_mechs,)
    size_t num_mechs;
    uint64_t *dets;            // (total mechanism detector ids,)
    size_t num_dets;
    qp_dem_component *comps;   // (total components,)
    size_t num_comps;
    uint64_t *comp_dets;       // (total component detector ids,)
    size_t num_comp_dets;
    uint64_t num_detectors;    // as qp_dem.num_detectors
    uint32_t num_observables;  // as qp_dem.num_observables (at most 64)
    // Detector coordinates with the shift_detectors coordinate offsets applied.
    // coords[coord_start[k] .. coord_start[k+1]) are detector k's; a detector declared
    // twice keeps its last declaration; undeclared detectors have none.
    uint64_t *coord_start;     // (num_detectors + 1,)
    double *coords;            // (coord_start[num_detectors],)
} qp_dem_flat;

// Fails (one line) when the model has more than 64 observables, 2^32 or more detectors, or
// unrolls to more than max_mechanisms mechanisms (0: no limit). The model must be finalized
// (qp_dem_finalize: its unrolled size is bounded).
int qp_dem_flatten(const qp_dem *d, qp_dem_flat *out, size_t max_mechanisms, qp_err *err);
void qp_dem_flat_free(qp_dem_flat *f);
// Number of mechanisms qp_dem_flatten would produce (saturates at UINT64_MAX).
uint64_t qp_dem_count_unrolled_errors(const qp_dem *d);

#endif
