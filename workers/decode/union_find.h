// Weighted union-find decoding of one shot on a matching graph (Delfosse & Nickerson 2017,
// with the weighted growth of Huang, Newman & Brown 2020), then the peeling decoder
// (Delfosse & Zémor) on the grown clusters. An approximation of MWPM: fast, not exact.
//
// What it promises:
// - Every returned correction is valid: the XOR over its edges of their detector sets (the
//   boundary counts as no detector) equals the syndrome, so the prediction is always a
//   consistent explanation. The observable prediction is the XOR of the correction edges'
//   masks; the weight is the sum of their integer weights.
// - Growth. Clusters start as single detection events. Every odd cluster (odd number of
//   events and not touching the boundary) grows at the same rate along all its edges that
//   are not yet fully grown, in integer weight units of the matching graph (matching_graph.h):
//   an edge of weight w is fully grown once the growth from its two sides sums to w (two
//   growing sides fill it twice as fast; a half unit left over by two sides is rounded up,
//   one unit in 2^20 of the largest weight). This is Delfosse & Nickerson's half-edge rounds
//   in the limit of small steps, with each edge's length its weight (Huang, Newman & Brown's
//   weighted growth), so light edges (likely errors) fill first. Deliberately, all odd
//   clusters grow together rather than the smallest first: with weights, "smallest first"
//   would let a large cluster lag behind in weight units and pair up wrongly; equal growth
//   keeps UF's clusters close to MWPM's dual regions. A fully grown edge merges its
//   endpoints' clusters (union by size, path halving); parities add; a cluster that reaches
//   the boundary becomes neutral and stops. Growth ends when no cluster is odd.
// - Peeling. The edges that merged two different clusters form a spanning forest of the
//   grown edges. Each tree is rooted at the boundary if it holds it, else anywhere; leaves are
//   peeled towards the root: a vertex with an odd residual syndrome puts the edge to its
//   parent in the correction and passes its syndrome up.
// - Cost: event-driven (a heap with one entry per growing vertex, keyed by its next edge
//   fill time); a cluster that stops growing costs O(1), one that starts rescans its vertices,
//   a merge re-bases the smaller cluster's vertices. A vertex's scan remembers the edge it
//   expects to fill and the runner-up, so the usual pop (that edge fills; the cluster absorbs
//   a lone untouched detector) needs no rescan; an edge to a node the shot has not touched
//   is handled without union-find lookups; a scan at time 0 stops early (edges sorted by
//   weight). These change only which of several simultaneous fills comes first. So a shot
//   costs about (vertices and edges the clusters reach) x log, independent of the graph size;
//   scratch state is reset only where the shot touched it.
// - Fails (one line) when an odd cluster can grow no further (an event on a detector with no
//   path to the boundary or to another event).
#ifndef QP_DECODE_UNION_FIND_H
#define QP_DECODE_UNION_FIND_H

#include <stddef.h>
#include <stdint.h>

#include "workers/decode/matching_graph.h"
#include "workers/util/err.h"

typedef struct qp_uf qp_uf;

// Borrows g (it must outlive the decoder). One decoder per thread.
qp_uf *qp_uf_create(const qp_matching_graph *g);
void qp_uf_free(qp_uf *u);

// Decodes events (detector ids in the positive-weight graph: no base flip applied; a
// repeated id cancels). *obs_out: predicted observable mask; *weight_out: the correction's
// integer weight.
int qp_uf_decode_events(qp_uf *u, const uint32_t *events, size_t num_events, uint64_t *obs_out,
                        int64_t *weight_out, qp_err *err);

// Decodes one b8 detector record (ceil(num_detectors/8) bytes, little-endian bits): applies
// the graph's base flip; the weight is in log-likelihood units (integer / scale + base_weight).
int qp_uf_decode_b8(qp_uf *u, const uint8_t *dets, uint64_t *obs_out, double *weight_out,
                    qp_err *err);

// dets_b8 is (num_shots, bytes_per_shot), bytes_per_shot == ceil(num_detectors/8);
// obs_pred_b8_out is (num_shots, ceil(num_observables/8)); weights_out (num_shots) may be
// NULL. Fails naming the shot index.
int qp_uf_decode_batch_b8(qp_uf *u, const uint8_t *dets_b8, size_t num_shots,
                          size_t bytes_per_shot, uint8_t *obs_pred_b8_out, double *weights_out,
                          qp_err *err);

// The correction of the last decode (in the positive-weight graph): (*ends)[2i], (*ends)[2i+1]
// are the endpoints of edge i, the second QP_MG_BOUNDARY for a boundary edge. Valid until the
// next decode.
size_t qp_uf_last_correction(const qp_uf *u, const uint32_t **ends);

#endif
