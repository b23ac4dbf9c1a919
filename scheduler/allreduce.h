// The data-parallel gradient all-reduce: sums one contiguous float buffer across the ranks
// of a communicator, in place. Its qp_allreduce_sum signature is the one workers/nn's
// nn_allreduce.sum expects, so training hands it in as a function pointer:
//     nn_allreduce ar = {qp_allreduce_sum, &ctx, num_ranks};
// Two modes:
//   QP_ALLREDUCE_MPI          one MPI_Allreduce(MPI_SUM) per call (chunked only beyond 2^26
//                             floats). Fast; the summation order is Open MPI's choice, so
//                             results can differ in the last bits between rank counts.
//   QP_ALLREDUCE_FIXED_ORDER  gather every rank's buffer to rank 0, sum in rank order
//                             0, 1, 2, ..., broadcast. The same inputs give the same bits on
//                             every run and every rank, for bitwise reproducibility tests.
// The context accumulates the wall time spent inside the calls (for the all-reduce share of
// step time), and the calling thread's CPU time there (MPI busy-waits for the other ranks).
#ifndef QP_SCHEDULER_ALLREDUCE_H
#define QP_SCHEDULER_ALLREDUCE_H

#include <mpi.h>
#include <stddef.h>

#include "workers/util/err.h"

typedef enum { QP_ALLREDUCE_MPI, QP_ALLREDUCE_FIXED_ORDER } qp_allreduce_mode;

typedef struct {
    MPI_Comm comm;
    qp_allreduce_mode mode;
    int rank, size;
    float *gather;        // fixed-order mode: (size, chunk) receive buffer on rank 0
    size_t gather_cap;    // floats allocated in gather
    double seconds;       // wall time spent in qp_allreduce_sum so far
    double cpu_seconds;   // CPU time of the calling thread in it (waiting spins count)
    long calls;
} qp_allreduce_ctx;

void qp_allreduce_init(qp_allreduce_ctx *ctx, MPI_Comm comm, qp_allreduce_mode mode);
void qp_allreduce_free(qp_allreduce_ctx *ctx);

// buf (n floats) <- sum over ranks of buf. ctx is a qp_allreduce_ctx*. Collective: every
// rank calls it with the same n. Returns 0, or -1 naming the failed MPI call.
int qp_allreduce_sum(float *buf, size_t n, void *ctx, qp_err *err);

#endif
