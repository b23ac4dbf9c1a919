// The matching graph of a detector error model: one node per detector plus a virtual
// boundary, one edge per graphlike error component, with integer weights.
//
// What it promises:
// - Every component of a (decomposed) DEM error `error(p) A ^ B ^ ...` becomes an edge with
//   probability p: two detectors → an edge between them; one detector → an edge to the
//   boundary; no detector → ignored (an undetectable logical flip). A component with more
//   than two detectors is an error naming the DEM line. Detectors repeated inside a component
//   cancel in pairs.
// - Parallel edges (same endpoints) merge: if their observable masks are equal, as
//   independent errors, p = p1(1-p2) + p2(1-p1); if the masks differ, the more likely edge is
//   kept and the other dropped (matching can only report one mask per edge).
// - Weight w = log((1-p)/p). Edges with p > 0.5 (w < 0) are flipped the way PyMatching does:
//   the edge gets weight -w, its detectors are toggled in `base_detector_flip`, its mask into
//   `base_obs`, and w is added to `base_weight`. Decoding then uses syndrome XOR
//   base_detector_flip, predicts obs XOR base_obs, and reports weight + base_weight. p = 0
//   edges are dropped; p = 1 edges only contribute to the base.
// - Discretisation: the largest |w| over merged edges maps to QP_MG_WEIGHT_RANGE (2^20);
//   every weight is rounded to the nearest EVEN integer, int_w = 2*round(|w|*scale/2), so
//   that half-sums in the blossom algorithm stay exact. `scale` = integer units per
//   log-likelihood unit; relative rounding error ≤ 2^-20 of the largest weight.
// - Detectors without edges are allowed (their events can never be matched → decode error).
// - boundary_dist[v]: shortest distance from v to the boundary (precomputed once), with the
//   XOR of observables along that path; QP_MG_INF when the boundary is unreachable.
#ifndef QP_DECODE_MATCHING_GRAPH_H
#define QP_DECODE_MATCHING_GRAPH_H

#include <stdint.h>
#include <stddef.h>

#include "workers/dem/dem.h"
#include "workers/util/err.h"

#define QP_MG_BOUNDARY UINT32_MAX           // the boundary as an edge endpoint
#define QP_MG_INF INT64_MAX                 // "no path"
#define QP_MG_WEIGHT_RANGE (1 << 20)        // integer weight of the largest |w|

// One graphlike edge as given to the builder (before merging).
typedef struct {
    uint32_t a, b;      // detector ids; b = QP_MG_BOUNDARY for a boundary edge
    double p;           // probability in [0, 1]
    uint64_t obs;       // observable mask (bit k = L<k>)
} qp_mg_edge;

typedef struct {
    uint32_t num_detectors;
    uint32_t num_observables;
    // CSR adjacency between detectors. Neighbours of v: adj_node[adj_start[v] .. adj_start[v+1]).
    uint32_t *adj_start;       // (num_detectors + 1)
    uint32_t *adj_node;        // (num_adj) neighbouring detector
    int64_t *adj_weight;       // (num_adj) integer weight >= 0 (even)
    uint64_t *adj_obs;         // (num_adj) observable mask of the edge
    // Direct edge to the boundary, per detector.
    int64_t *boundary_weight;  // (num_detectors) integer weight, QP_MG_INF if none
    uint64_t *boundary_obs;    // (num_detectors)
    // Shortest path to the boundary (derived).
    int64_t *boundary_dist;    // (num_detectors) QP_MG_INF if unreachable
    uint64_t *boundary_dist_obs;  // (num_detectors)
    uint32_t *boundary_next;   // (num_detectors) next detector on that path, QP_MG_BOUNDARY
                               // when it takes v's own boundary edge (unset if unreachable)
    // Negative-weight (p > 0.5) edges folded into a base flip.
    uint8_t *base_detector_flip;  // (num_detectors) 1 if toggled
    int has_base_flip;            // any base_detector_flip set
    uint64_t base_obs;
    double base_weight;           // sum of the negative log-likelihood weights
    double scale;                 // integer units per log-likelihood unit
    size_t num_edges;             // merged edges incl. boundary edges (for reports)
} qp_matching_graph;

// Builds from an edge list (any order, parallel edges allowed). Fails on out-of-range ids
// or probabilities outside [0, 1].
int qp_matching_graph_from_edges(qp_matching_graph *g, uint32_t num_detectors,
                                 uint32_t num_observables, const qp_mg_edge *edges,
                                 size_t num_edges, qp_err *err);

// Builds from a DEM (repeat blocks and shift_detectors unrolled). Fails with "line N: ..."
// for a non-graphlike component or a model with more than 64 observables.
int qp_matching_graph_from_dem(qp_matching_graph *g, const qp_dem *dem, qp_err *err);

// Collects the DEM's graphlike components as builder edges (used by from_dem and by
// correlated matching). *edges is qp_malloc'd; caller frees.
int qp_matching_graph_dem_edges(const qp_dem *dem, qp_mg_edge **edges, size_t *num_edges,
                                qp_err *err);

// As qp_matching_graph_dem_edges, plus (*error_of)[i] = index of the DEM `error` instruction
// (counted in unrolled order, from 0) that edge i is a component of: the components of one
// decomposed error `A ^ B` share an index. *error_of is qp_malloc'd (may be NULL to skip).
int qp_matching_graph_dem_components(const qp_dem *dem, qp_mg_edge **edges, uint32_t **error_of,
                                     size_t *num_edges, qp_err *err);

// The detection events of one b8 record (ceil(num_detectors/8) bytes; detector d is bit d%8 of
// byte d/8; bits past num_detectors are ignored), XORed with base_detector_flip: the events the
// matchers match. Writes them in increasing order into events (room for num_detectors) and
// returns how many.
size_t qp_matching_graph_events_b8(const qp_matching_graph *g, const uint8_t *dets, uint32_t *events);

// Adjacency index k of the edge u -> v (adj_node[k] == v, k in u's range), or -1. Decoders
// that change an edge's weight for one decode (correlated, mwpm-soft) find its entries so.
long qp_matching_graph_adj_index(const qp_matching_graph *g, uint32_t u, uint32_t v);

void qp_matching_graph_free(qp_matching_graph *g);

#endif
