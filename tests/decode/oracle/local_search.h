// A test oracle: exact minimum-weight perfect matching of one shot on a matching graph by an
// algorithm independent of sparse blossom (workers/decode/mwpm.h), against which the tests
// check the production matcher. Not part of the library.
//
// Problem: pair up the detection events, each with another event or with the boundary, so
// that the summed shortest-path distance is minimal; predict the XOR of the observable masks
// along the chosen paths. Exact for the discretised integer weights.
//
// Algorithm ("local search + exact blossom on clusters"), no all-pairs shortest paths:
//  1. b(v) = distance from v to the boundary is precomputed once per graph.
//  2. Candidate pairs. A pair with d(u,v) > b(u) + b(v) is never needed (sending both to
//     the boundary is no worse). Each remaining pair is the job of the endpoint with the
//     larger b (ties: larger index), whose Dijkstra search runs until all its target events
//     are settled (or the radius max b(u)+b(v) over targets is passed); a target is dropped
//     up front when a landmark lower bound (|d(l,u) - d(l,v)| for the boundary and ~8
//     farthest-point landmarks, precomputed once per graph) already exceeds b(u) + b(v).
//     Targets are looked up in a window of the events sorted by a per-component "sort key"
//     (distance from one end of the component, components spaced apart), since
//     |key(u) - key(v)| <= d(u,v) <= 2 b(u): no all-pairs loop over the shot's events.
//     Every event a search settles within b(u)+b(x) becomes a candidate with its distance
//     and observable mask. Searches pass through other events (stopping there is not exact:
//     think of three leaves of a star whose centre is also an event). Without a boundary,
//     searches run until all targets are settled.
//  3. Candidate pairs split the events into clusters; because the boundary has unlimited
//     capacity, clusters are independent. One- and two-event clusters are solved directly;
//     larger ones by Edmonds' blossom algorithm (blossom.h) on the cluster plus one boundary
//     copy per event: edge u–u' of weight b(u), and a zero-weight copy u'–v' of every
//     candidate pair u–v (copies are left over exactly when their events pair with each
//     other, so these suffice for every matching of the cluster).
//  4. The observable prediction is the XOR of the masks of the chosen paths, recorded during
//     the searches (pairs) and the boundary precomputation (boundary matches).
// tests/decode/test_local_search.c checks this against brute force.
#ifndef QP_TEST_LOCAL_SEARCH_H
#define QP_TEST_LOCAL_SEARCH_H

#include <stddef.h>
#include <stdint.h>

#include "workers/decode/matching_graph.h"
#include "workers/util/err.h"

typedef struct qp_local_search qp_local_search;

// Borrows g (it must outlive the decoder). One decoder per thread.
qp_local_search *qp_local_search_create(const qp_matching_graph *g);
void qp_local_search_free(qp_local_search *m);

// Decodes events (detector ids, distinct, in the positive-weight graph: no base flip
// applied). *obs_out: predicted observable mask; *weight_out: the matching's integer weight.
// Fails (one line) if some event can reach neither the boundary nor an event to pair with.
int qp_local_search_decode_events(qp_local_search *m, const uint32_t *events, size_t num_events,
                          uint64_t *obs_out, int64_t *weight_out, qp_err *err);

// One edge whose weight a lowered decode lowers: a–b (b = QP_MG_BOUNDARY: a's boundary edge)
// gets integer weight `weight` (even, in the graph's scale) if that is below its weight.
typedef struct {
    uint32_t a, b;
    int64_t weight;
} qp_local_search_lowered;

// As qp_local_search_decode_events, on the graph with the listed edges lowered (an edge listed twice
// takes the lower weight; edges not in the graph are ignored). For correlated matching's
// second pass. Exact for the lowered weights: boundary paths are updated on them (a Dijkstra
// wave from the lowered edges), and an event whose search could reach a lowered edge (by the
// sort-key bound, see event_slack in local_search.c) searches its whole ball of radius 2 b instead of
// relying on the landmark bounds, which only hold for g's weights. Checked against brute force
// in tests/decode/test_correlated.c. The lowering lasts until the next decode, so
// qp_local_search_last_pairs / qp_local_search_last_correction describe this decode; any decode restores g's
// weights first.
int qp_local_search_decode_events_lowered(qp_local_search *m, const uint32_t *events, size_t num_events,
                                  const qp_local_search_lowered *lowered, size_t num_lowered,
                                  uint64_t *obs_out, int64_t *weight_out, qp_err *err);

// Decodes one b8 detector record (ceil(num_detectors/8) bytes, little-endian bits): applies
// the graph's base flip, returns the observable mask and the weight in log-likelihood units
// (integer weight / scale + base_weight).
int qp_local_search_decode_b8(qp_local_search *m, const uint8_t *dets, uint64_t *obs_out, double *weight_out,
                      qp_err *err);

// Matched pairs of the last decode: (*pairs)[2i], (*pairs)[2i+1] are detector ids, the second
// QP_MG_BOUNDARY for a boundary match. Valid until the next decode.
size_t qp_local_search_last_pairs(const qp_local_search *m, const uint32_t **pairs);

// The correction of the last decode: the graph edges of every matched pair's path, exactly the
// paths whose observable masks and weights the decode reported (their XOR flips exactly the
// decoded events; the XOR of their masks is the prediction before the base flip). Returns the
// number of edges; (*edges)[2i], (*edges)[2i+1] are its detectors (second QP_MG_BOUNDARY for a
// boundary edge), path by path (an edge on two paths appears twice). Computed on request by
// re-running the matched pairs' searches; valid until the next call. For correlated matching.
size_t qp_local_search_last_correction(qp_local_search *m, const uint32_t **edges);

#endif
