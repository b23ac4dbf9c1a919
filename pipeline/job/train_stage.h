// The train stage of `qecpipe run`: makes sure train.checkpoint holds a finished model for
// this config before the experiments decode with it. A complete checkpoint of the same config
// is kept as it is (re-running a job does not retrain); an unfinished one of the same config is
// resumed; a checkpoint of a different config is an error (nothing is overwritten).
#ifndef QP_JOB_TRAIN_STAGE_H
#define QP_JOB_TRAIN_STAGE_H

#include <mpi.h>

#include "pipeline/config/config.h"
#include "pipeline/output/output.h"
#include "workers/util/err.h"

// Collective. Returns 0, or -1 on every rank with one line in err. claim: rank 0's claim on
// train.checkpoint when the caller took it (qp_store_claim), else NULL (the stage claims it).
int qp_run_train_stage(const qp_config *cfg, qp_output *claim, int quiet, MPI_Comm comm, qp_err *err);

#endif
