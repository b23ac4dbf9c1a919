// Small MPI collectives the pipeline stages share: rank 0 decides or reads something, every
// rank gets it.
#ifndef QP_SCHEDULER_COLLECTIVES_H
#define QP_SCHEDULER_COLLECTIVES_H

#include <mpi.h>

#include "workers/util/err.h"

// Rank 0's status (0 or -1) and, on failure, its message in err reach every rank.
// Returns the status on every rank.
int qp_bcast_status(MPI_Comm comm, int rc_on_root, qp_err *err);

// Every rank's status (0 or -1): all return -1 when any rank failed, with the lowest failing
// rank's message in err.
int qp_agree_status(MPI_Comm comm, int rc, qp_err *err);

// Rank 0's NUL-terminated string (or NULL) reaches every rank: *s is replaced (freed and
// allocated with qp_malloc) on the other ranks. Texts of any length (sent in 1 GiB pieces).
void qp_bcast_string(MPI_Comm comm, char **s);

#endif
