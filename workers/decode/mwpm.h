// The decoder kind "mwpm": exact minimum-weight perfect matching decoding by sparse blossom (the algorithm of Higgott &
// Gidney, "Sparse Blossom", arXiv 2303.15933; our own implementation): Edmonds' primal-dual
// blossom algorithm run directly on the detector graph, with no all-pairs distances.
//
// Problem: pair the detection events with each other or the boundary minimising the summed
// shortest-path distance; predict the XOR of the observable masks along the chosen paths.
// Weights are read from the graph at every decode, so a caller that owns the graph may change
// them between decodes (correlated matching lowers some for one pass). The tests check it
// against brute force and against an independent exact matcher (tests/decode/oracle/).
//
// How it works (mwpm.c):
//  - Every detection event owns a "graph fill region" that grows from it over the detector
//    graph at rate 1 (its dual variable = its radius). A region's radius is r0 + slope·(t-t0),
//    slope +1 (outer node of an alternating tree), -1 (inner node) or 0 (matched / inside a
//    blossom). A node of the graph remembers which region reached it, the source event the
//    fill came from, the XOR of observables along that fill path, and its "local radius"
//    offset, so that local_radius(v) = wrapped[v] + radius(top region of v).
//  - Events, in time order (a binary heap; each node keeps one tentative entry, each
//    shrinking region one; superseded entries are skipped by version counters; an entry may
//    be early, never late — it is re-examined when popped — so a region that slows down
//    need not reschedule its nodes): a region reaches
//    an empty neighbour node; two regions' fills touch (local radii sum to the edge weight);
//    a growing region touches the boundary; a shrinking region vacates its last-reached node
//    or reaches radius 0 (a blossom shatters; a trivial region makes its tree parent and
//    child touch through its source node, which forms a three-region blossom).
//  - Collisions are Edmonds' steps: grow an alternating tree through a matched pair; augment
//    (two trees, or a tree and the boundary, or a tree and a boundary-matched region); form a
//    blossom (two outer regions of one tree).
//  - At the end blossoms are expanded recursively into event pairs. Each matched pair's
//    observable mask is that of the fill path recorded at the collision (a shortest path by
//    dual tightness); the matching weight is the sum of all final region radii (the dual
//    objective, equal to the primal weight at optimality). Edge lists of the correction are
//    built only on request, by a Dijkstra search between each matched pair.
// Weights are the graph's even integers, so every event happens at an integer (even) time and
// the result is exact.
#ifndef QP_DECODE_MWPM_H
#define QP_DECODE_MWPM_H

#include <stddef.h>
#include <stdint.h>

#include "workers/decode/matching_graph.h"
#include "workers/util/err.h"

typedef struct qp_mwpm qp_mwpm;

// Borrows g (it must outlive the decoder). One decoder per thread.
qp_mwpm *qp_mwpm_create(const qp_matching_graph *g);
void qp_mwpm_free(qp_mwpm *s);

// Decodes events (detector ids, distinct, in the positive-weight graph: no base flip
// applied). *obs_out: predicted observable mask; *weight_out: the matching's integer weight.
// Fails (one line) if no perfect matching exists (an event can reach neither the boundary
// nor an event to pair with).
int qp_mwpm_decode_events(qp_mwpm *s, const uint32_t *events, size_t num_events,
                                    uint64_t *obs_out, int64_t *weight_out, qp_err *err);

// Decodes one b8 detector record (ceil(num_detectors/8) bytes, little-endian bits): applies
// the graph's base flip; weight in log-likelihood units (integer weight / scale + base_weight).
int qp_mwpm_decode_b8(qp_mwpm *s, const uint8_t *dets, uint64_t *obs_out,
                                double *weight_out, qp_err *err);

// Matched pairs of the last decode: (*pairs)[2i], (*pairs)[2i+1] are detector ids, the second
// QP_MG_BOUNDARY for a boundary match. Valid until the next decode.
size_t qp_mwpm_last_pairs(const qp_mwpm *s, const uint32_t **pairs);

// The correction of the last decode as graph edges, path by path (a shortest path per matched
// pair; (*edges)[2i], (*edges)[2i+1], second QP_MG_BOUNDARY for a boundary edge). Its weight
// equals the decode's weight; its mask may differ from the decode's only where shortest paths
// tie. Computed on request; valid until the next call.
size_t qp_mwpm_last_correction(qp_mwpm *s, const uint32_t **edges);

#endif
