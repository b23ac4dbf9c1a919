#include "pipeline/job/train_stage.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "pipeline/job/experiment.h"
#include "scheduler/collectives.h"
#include "pipeline/train/checkpoint.h"
#include "pipeline/train/train_job.h"

enum { TRAIN_FRESH = 0, TRAIN_RESUME = 1, TRAIN_SKIP = 2 };

// Rank 0: what to do with an existing checkpoint.
static int decide(const qp_config *cfg, int *action, qp_err *err) {
    const char *path = cfg->train.checkpoint;
    struct stat st;
    *action = TRAIN_FRESH;
    if (stat(path, &st) != 0) return 0;
    qp_nn_checkpoint ck;
    if (qp_nn_checkpoint_read(path, 0, &ck, err) != 0) return -1;
    int same = ck.config_text && strcmp(ck.config_text, cfg->text) == 0;
    int complete = ck.step >= ck.total_steps;
    qp_nn_checkpoint_free(&ck);
    if (!same)
        return qp_fail(err, "%s holds a model trained from a different config; move it away or set "
                            "train.checkpoint to another path", path);
    *action = complete ? TRAIN_SKIP : TRAIN_RESUME;
    return 0;
}

int qp_run_train_stage(const qp_config *cfg, qp_output *claim, int quiet, MPI_Comm comm, qp_err *err) {
    int rank;
    MPI_Comm_rank(comm, &rank);
    int action = TRAIN_FRESH, rc = rank == 0 ? decide(cfg, &action, err) : 0;
    if (qp_bcast_status(comm, rc, err) != 0) return -1;
    MPI_Bcast(&action, 1, MPI_INT, 0, comm);
    if (action == TRAIN_SKIP) {
        if (rank == 0 && !quiet)
            fprintf(stderr, "qecpipe run: %s is already trained for this config; skipping the train stage\n",
                    cfg->train.checkpoint);
        return 0;
    }
    qp_train_summary summary;
    qp_train_job_options topt = {.resume = action == TRAIN_RESUME, .quiet = quiet, .summary = &summary,
                                 .claim = claim};
    if (qp_train_job(cfg, &topt, comm, err) != 0) return -1;
    if (summary.interrupted)
        return qp_fail(err, "training was interrupted (SIGTERM); %s holds the last step, re-run the "
                            "same command to continue", cfg->train.checkpoint);
    if (rank == 0 && !quiet)
        fprintf(stderr, "qecpipe run: trained %s: held-out LER %.4f (always-no-flip %.4f) on %llu shots\n",
                cfg->train.checkpoint, summary.eval_ler, summary.eval_noflip_ler,
                (unsigned long long)summary.eval_shots);
    return 0;
}
