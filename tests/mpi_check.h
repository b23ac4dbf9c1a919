// A minimal harness for MPI test programs (Criterion forks, which MPI does not survive).
// Each check is evaluated on every rank; failures print rank, file and line. At the end
// rank 0 prints "N passed, N failed" and the exit status is non-zero if any rank failed.
#ifndef QP_MPI_CHECK_H
#define QP_MPI_CHECK_H

#include <mpi.h>
#include <stdio.h>

static int qp_mpi_checks_passed, qp_mpi_checks_failed;

#define MPI_CHECK(cond, ...)                                                           \
    do {                                                                               \
        if (cond) {                                                                    \
            qp_mpi_checks_passed++;                                                    \
        } else {                                                                       \
            int r_;                                                                    \
            MPI_Comm_rank(MPI_COMM_WORLD, &r_);                                        \
            fprintf(stderr, "FAIL rank %d %s:%d: %s: ", r_, __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                              \
            fprintf(stderr, "\n");                                                     \
            qp_mpi_checks_failed++;                                                    \
        }                                                                              \
    } while (0)

// Call before MPI_Finalize; returns the process exit status.
static inline int qp_mpi_check_finish(void) {
    int local[2] = {qp_mpi_checks_passed, qp_mpi_checks_failed}, total[2];
    int rank;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Allreduce(local, total, 2, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    if (rank == 0) printf("%d passed, %d failed\n", total[0], total[1]);
    return total[1] ? 1 : 0;
}

#endif
