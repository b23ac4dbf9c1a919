// Correlated matching (two-pass MWPM): the decoder behind `--decoder mwpm-corr`.
//
// Why: one circuit fault can flip detectors in two places of the matching graph (a Y error is
// an X and a Z error; a hook error spans two edges). A decomposed DEM writes such a fault as
// `error(p) D0 D1 ^ D7 D8`; plain matching sees two independent edges and forgets that they
// come together. Correlated matching (Fowler's idea, PyMatching's `enable_correlations`)
// matches once, then makes the edges that come with the used ones cheaper, and matches again.
//
// The rule (the same as PyMatching 2.3+ `enable_correlations`, as documented by its source):
// - Edges are keyed by their endpoints {a, b} (b = boundary for a one-detector component).
// - marginal(e) = XOR-combination (p1(1-p2) + p2(1-p1)) of p over every component of every
//   DEM error that is edge e;
//   joint(e, f) = XOR-combination of p over every DEM error with at least two components that
//   has both e and f (e != f) among its components.
// - For every edge c the first pass used and every f with joint(c, f) > 0:
//   implied probability q = min(0.5, joint(c, f) / marginal(c)), weight log((1-q)/q) >= 0,
//   discretised like the graph's weights (2*round(w*scale/2), same scale). The second pass
//   gives f the LOWEST of its own weight and all its implied weights (an edge implied by several
//   used edges takes the most likely conditioning; weights are never raised).
// - "Used by the first pass" = every graph edge on the paths of the first pass's matching
//   (qp_mwpm_last_correction: a shortest path per matched pair), boundary edges
//   included.
// - Both passes are sparse blossom on one graph: the second pass lowers the implied edges'
//   integer weights in place for that shot and restores them after it (no graph rebuild).
// - The answer (prediction and weight) is the second pass's, on the lowered weights; the first
//   pass's prediction is also reported. A shot whose first pass used no correlated edge is
//   decoded once.
// Not done: edges that were folded into the base flip (p > 0.5) are never lowered; DEMs without
// `^` decode exactly as "mwpm" (no rules).
#ifndef QP_DECODE_CORRELATED_H
#define QP_DECODE_CORRELATED_H

#include <stddef.h>
#include <stdint.h>

#include "workers/decode/matching_graph.h"
#include "workers/dem/dem.h"
#include "workers/util/err.h"

typedef struct qp_correlated qp_correlated;

// Builds the matching graph (exactly as qp_matching_graph_from_dem, same failures), the sparse
// blossom decoder on it, and the reweighting rules. One decoder per thread (a decode changes
// the graph's weights while it runs).
qp_correlated *qp_correlated_create(const qp_dem *dem, qp_err *err);
void qp_correlated_free(qp_correlated *c);

const qp_matching_graph *qp_correlated_graph(const qp_correlated *c);

// Number of (used edge, implied edge) rules; 0 for a DEM without `^`.
size_t qp_correlated_num_rules(const qp_correlated *c);

// Decodes one b8 detector record (ceil(num_detectors/8) bytes, little-endian bits).
// *obs_out: second-pass prediction; *weight_out: its weight in log-likelihood units on the
// lowered weights (may be NULL); *first_obs_out: the first (plain MWPM) pass's prediction
// (may be NULL). Fails like qp_mwpm_decode_b8.
int qp_correlated_decode_b8(qp_correlated *c, const uint8_t *dets, uint64_t *obs_out,
                            double *weight_out, uint64_t *first_obs_out, qp_err *err);

// The correction of the last decode (the pass that gave the answer) as graph edges, as
// qp_mwpm_last_correction. Valid until the next decode.
size_t qp_correlated_last_correction(qp_correlated *c, const uint32_t **edges);

#endif
