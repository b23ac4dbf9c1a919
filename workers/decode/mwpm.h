// Exact minimum-weight perfect matching decoding of one shot on a matching graph.
//
// Problem: pair up the detection events, each with another event or with the boundary, so
// that the summed shortest-path distance is minimal; predict the XOR of the observable masks
// along the chosen paths. Exact for the discretised integer weights.
//
// Algorithm ("local search + exact blossom on clusters"), no all-pairs shortest paths:
//  1. b(v) = distance from v to the boundary is precomputed once per graph.
//  2. From every event u, a Dijkstra search on the detector graph up to radius
//     b(u) + max{b(x) : x another event, b(x) <= b(u)}. Every event x it settles becomes a
//     candidate pair (u, x) with its distance and observable mask, kept if
//     d(u,x) <= b(u) + b(x). Exactness: a pair with d(u,x) > b(u) + b(x) is beaten by sending
//     both to the boundary, and a pair with d <= b(u) + b(x) is found by the search from the
//     endpoint with the larger b. (Searches pass through other events: stopping there is not
//     exact, e.g. three leaves of a star whose centre is also an event.) Without a boundary,
//     searches cover the event's connected component.
//  3. Candidate pairs split the events into clusters; because the boundary has unlimited
//     capacity, clusters are independent. One- and two-event clusters are solved directly;
//     larger ones by Edmonds' blossom algorithm (blossom.h) on the cluster plus one boundary
//     copy per event (edge u–u' of weight b(u), zero-weight edges between copies).
//  4. The observable prediction is the XOR of the masks of the chosen paths, recorded during
//     the searches (pairs) and the boundary precomputation (boundary matches).
// The test oracle (tests/decode/test_mwpm_exact.c) checks this against brute force.
#ifndef QP_DECODE_MWPM_H
#define QP_DECODE_MWPM_H

#include <stddef.h>
#include <stdint.h>

#include "workers/decode/matching_graph.h"
#include "workers/util/err.h"

typedef struct qp_mwpm qp_mwpm;

// Borrows g (it must outlive the decoder). One decoder per thread.
qp_mwpm *qp_mwpm_create(const qp_matching_graph *g);
void qp_mwpm_free(qp_mwpm *m);

// Decodes events (detector ids, distinct, in the positive-weight graph: no base flip
// applied). *obs_out: predicted observable mask; *weight_out: the matching's integer weight.
// Fails (one line) if some event can reach neither the boundary nor an event to pair with.
int qp_mwpm_decode_events(qp_mwpm *m, const uint32_t *events, size_t num_events,
                          uint64_t *obs_out, int64_t *weight_out, qp_err *err);

// Decodes one b8 detector record (ceil(num_detectors/8) bytes, little-endian bits): applies
// the graph's base flip, returns the observable mask and the weight in log-likelihood units
// (integer weight / scale + base_weight).
int qp_mwpm_decode_b8(qp_mwpm *m, const uint8_t *dets, uint64_t *obs_out, double *weight_out,
                      qp_err *err);

// Matched pairs of the last decode: (*pairs)[2i], (*pairs)[2i+1] are detector ids, the second
// QP_MG_BOUNDARY for a boundary match. Valid until the next decode.
size_t qp_mwpm_last_pairs(const qp_mwpm *m, const uint32_t **pairs);

#endif
