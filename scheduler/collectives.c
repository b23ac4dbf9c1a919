#include "scheduler/collectives.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "workers/util/alloc.h"

int qp_bcast_status(MPI_Comm comm, int rc_on_root, qp_err *err) {
    int rc = rc_on_root;
    MPI_Bcast(&rc, 1, MPI_INT, 0, comm);
    if (rc == 0) return 0;
    MPI_Bcast(err->msg, sizeof err->msg, MPI_CHAR, 0, comm);
    return -1;
}

int qp_agree_status(MPI_Comm comm, int rc, qp_err *err) {
    int rank, any = rc != 0, all_any;
    MPI_Comm_rank(comm, &rank);
    MPI_Allreduce(&any, &all_any, 1, MPI_INT, MPI_MAX, comm);
    if (!all_any) return 0;
    int who = any ? rank : 1 << 30, first;
    MPI_Allreduce(&who, &first, 1, MPI_INT, MPI_MIN, comm);
    MPI_Bcast(err->msg, sizeof err->msg, MPI_CHAR, first, comm);
    return -1;
}

void qp_bcast_string(MPI_Comm comm, char **s) {
    int rank;
    MPI_Comm_rank(comm, &rank);
    uint64_t len = (rank == 0 && *s) ? strlen(*s) + 1 : 0;  // 0: NULL
    MPI_Bcast(&len, 1, MPI_UINT64_T, 0, comm);
    if (rank != 0) {
        free(*s);
        *s = len ? qp_malloc(len) : NULL;
    }
    for (uint64_t off = 0; off < len; off += 1u << 30) {  // MPI counts are int
        uint64_t n = len - off < (1u << 30) ? len - off : (1u << 30);
        MPI_Bcast(*s + off, (int)n, MPI_CHAR, 0, comm);
    }
}
