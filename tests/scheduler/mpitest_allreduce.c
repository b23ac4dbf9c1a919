// scheduler/allreduce: both modes sum a float buffer across ranks exactly where the sum is
// exact, the fixed-order mode equals a rank-ordered sum bit for bit on every rank, and a
// buffer spanning several chunks is not needed for correctness here (chunking is the same
// loop), so sizes cover 1, odd and a few thousand floats.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "scheduler/allreduce.h"
#include "tests/mpi_check.h"
#include "workers/util/rng.h"

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    size_t sizes[3] = {1, 37, 5000};
    for (int mode = 0; mode < 2; mode++) {
        qp_allreduce_ctx ctx;
        qp_allreduce_init(&ctx, MPI_COMM_WORLD, mode ? QP_ALLREDUCE_FIXED_ORDER : QP_ALLREDUCE_MPI);
        for (int k = 0; k < 3; k++) {
            size_t n = sizes[k];
            float *buf = malloc(n * sizeof(float)), *want = malloc(n * sizeof(float));
            // Small integers: every partial sum is exact in float, so any order gives the same.
            for (size_t i = 0; i < n; i++) buf[i] = (float)((rank + 1) * (int)(i % 100) - 7);
            for (size_t i = 0; i < n; i++) {
                want[i] = 0;
                for (int r = 0; r < size; r++) want[i] += (float)((r + 1) * (int)(i % 100) - 7);
            }
            qp_err err;
            MPI_CHECK(qp_allreduce_sum(buf, n, &ctx, &err) == 0, "%s", err.msg);
            MPI_CHECK(memcmp(buf, want, n * sizeof(float)) == 0, "mode %d n %zu: wrong sum", mode, n);
            free(buf);
            free(want);
        }
        // Random floats: the fixed-order result is the rank-ordered sum, bit for bit, everywhere.
        if (mode == 1) {
            size_t n = 1000;
            float *buf = malloc(n * sizeof(float)), *want = calloc(n, sizeof(float));
            for (int r = 0; r < size; r++) {
                qp_rng rng;
                qp_rng_stream(&rng, 5, (uint64_t)r, 0);
                for (size_t i = 0; i < n; i++) {
                    float v = (float)(qp_rng_uniform(&rng) * 2 - 1) * 1e3f;
                    if (r == rank) buf[i] = v;
                    want[i] = r ? want[i] + v : v;
                }
            }
            qp_err err;
            MPI_CHECK(qp_allreduce_sum(buf, n, &ctx, &err) == 0, "%s", err.msg);
            MPI_CHECK(memcmp(buf, want, n * sizeof(float)) == 0, "fixed order differs from the rank-ordered sum");
            free(buf);
            free(want);
        }
        MPI_CHECK(ctx.calls == 3 + (mode == 1), "calls %ld", ctx.calls);
        MPI_CHECK(ctx.seconds >= 0, "seconds %g", ctx.seconds);
        qp_allreduce_free(&ctx);
    }
    int rc = qp_mpi_check_finish();
    MPI_Finalize();
    return rc;
}
