// The decoder kind "mwpm-soft": exact matching (mwpm.h) whose measurement-error edges are
// reweighted shot by shot from soft readout (Pattison, Beverland, da Silva, Delfosse 2021,
// "Improved quantum error correction using soft information", arXiv 2107.13589).
//
// Input per shot: the hard detection events and, per measurement m of the circuit (record
// order), p1[m] = P(the qubit was |1> | analog signal) as float. The hard result is wrong with
// probability e_m = min(p1, 1 - p1) (leakage posteriors are not used).
//
// The rule:
//  - The edge of measurement m is the matching edge of the mechanism "flip result m": the
//    detectors whose rec targets name m (workers/circuit/measurement_map.h), one detector = an
//    edge to the boundary, with m's observables as the edge's mask. Measurements whose flip no
//    detector sees, that flips more than two detectors, or whose edge the graph lacks (p = 0,
//    another observable mask kept by the merge, p > 0.5 folded into the base) are left alone
//    (counted in qp_mwpm_soft_stats).
//  - That edge's DEM probability p_e already contains the circuit's flip probability q0 of
//    each of its measurements (`M(q0)`), XOR-combined with every other mechanism of the edge.
//    Taking them out: p_other = (p_e - q0) / (1 - 2 q0), once per measurement of the edge.
//  - Per shot: p' = p_other XOR-combined with e_m of each of its measurements
//    (p (+) e = p(1-e) + e(1-p)), weight log((1-p')/p'), discretised as the graph's weights
//    (2*round(w*scale/2), the graph's scale, >= 0; p' is floored at 1e-300).
//  - A measurement without soft information keeps its circuit value q0: p1 exactly 0 or 1
//    (results the readout model does not cover), or e_m within 2^-24 of q0 (q0 as far as a
//    float32 p1 can say it). An edge none of whose measurements has a different e_m keeps its
//    DEM weight, so a readout that says exactly what the circuit says decodes bit for bit as
//    "mwpm".
//  - Only the touched edges change, in place, and are restored after the shot: the cost per
//    shot beyond matching is one pass over p1 plus the reweighted edges.
// Not done: windowed decoding (the graph is global); feedback circuits (measurement_map.h).
#ifndef QP_DECODE_MWPM_SOFT_H
#define QP_DECODE_MWPM_SOFT_H

#include <stddef.h>
#include <stdint.h>

#include "workers/circuit/circuit.h"
#include "workers/decode/matching_graph.h"
#include "workers/dem/dem.h"
#include "workers/util/err.h"

typedef struct qp_mwpm_soft qp_mwpm_soft;

// Where the measurements went (for reports and tests).
typedef struct {
    uint32_t num_measurements;
    uint32_t reweighted;      // measurements with an edge to reweight
    uint32_t invisible;       // flip no detector sees
    uint32_t not_graphlike;   // flip of more than two detectors
    uint32_t no_edge;         // the graph has no such edge with m's observable mask (or p > 0.5)
    size_t soft_edges;        // distinct edges reweighted
} qp_mwpm_soft_stats;

// dem: the circuit's decomposed detector error model (as for "mwpm"); c: the circuit
// (finalized), for the measurement map. Fails like qp_matching_graph_from_dem, like
// qp_measurement_map_build, or when the circuit and the model disagree on the detector count.
qp_mwpm_soft *qp_mwpm_soft_create(const qp_dem *dem, const qp_circuit *c, qp_err *err);
void qp_mwpm_soft_free(qp_mwpm_soft *s);

const qp_matching_graph *qp_mwpm_soft_graph(const qp_mwpm_soft *s);
uint32_t qp_mwpm_soft_num_measurements(const qp_mwpm_soft *s);
qp_mwpm_soft_stats qp_mwpm_soft_stats_of(const qp_mwpm_soft *s);

// Decodes one shot: dets is its b8 detector record, p1 its num_measurements values. As
// qp_mwpm_decode_b8 (weight in log-likelihood units on the shot's weights). Fails on a p1 that
// is not a probability (NaN, < 0, > 1), naming the measurement. The graph is as built after.
int qp_mwpm_soft_decode_b8(qp_mwpm_soft *s, const uint8_t *dets, const float *p1, uint64_t *obs_out,
                           double *weight_out, qp_err *err);

// The two halves of a decode, for tests: set the shot's weights in the graph (fails as above,
// leaving the graph as built), and put the built weights back.
int qp_mwpm_soft_apply(qp_mwpm_soft *s, const float *p1, qp_err *err);
void qp_mwpm_soft_restore(qp_mwpm_soft *s);

#endif
