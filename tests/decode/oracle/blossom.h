// Exact minimum-weight perfect matching on a small general graph (Edmonds' blossom
// algorithm, primal-dual, in the O(n^3) formulation of Galil's survey "Efficient algorithms
// for finding maximum matching in graphs" (1986)): the workhorse the MWPM decoder runs on
// each connected cluster of detection events. Integer weights, so it is exact.
//
// It solves min-cost perfect matching as max-weight maximum-cardinality matching with
// weights W - cost (W = max cost + 1). Parallel edges are allowed. The workspace is reused
// between calls to avoid allocation; it holds no global state.
#ifndef QP_TEST_BLOSSOM_H
#define QP_TEST_BLOSSOM_H

#include <stdint.h>

typedef struct qp_blossom qp_blossom;

qp_blossom *qp_blossom_create(void);
void qp_blossom_free(qp_blossom *b);

// n vertices 0..n-1, m edges (eu[k], ev[k]) with cost ew[k] >= 0.
// On success mate_out[v] is v's partner and 0 is returned; -1 if no perfect matching exists.
int qp_blossom_min_perfect(qp_blossom *ws, int n, int m, const int32_t *eu, const int32_t *ev,
                           const int64_t *ew, int32_t *mate_out);

#endif
