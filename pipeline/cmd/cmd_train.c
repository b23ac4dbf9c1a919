// qecpipe train CONFIG.yaml [--resume] [--steps N] [--stop-after N] [--checkpoint PATH]
//                           [--fixed-order] [--quiet]          (under mpirun / srun)
// qecpipe train CONFIG.yaml --export-holdout DIR   (train.archive runs: the held-out shots)
// Trains the neural decoder of the config's `train:` section on all MPI ranks
// (pipeline/train/train_job.h). Exit status: 0 when training finished, and also when it
// stopped early on SIGTERM (or --stop-after) after writing its checkpoint (the last stderr
// line then says "stopped at step K"; the checkpoint's `complete` attribute is 0; rerun with
// --resume); 1 on any error (one line on stderr); 2 on a usage error.
#include <mpi.h>
#include <stdio.h>

#include "pipeline/cli/args.h"
#include "pipeline/cmd/cmd.h"
#include "pipeline/config/config.h"
#include "pipeline/config/shipped.h"
#include "pipeline/train/train_job.h"

int cmd_train(int argc, char **argv) {
    qp_train_job_options o = {0};
    uint64_t steps = 0, stop_after = 0;
    const char *export_holdout = NULL;
    const qp_opt opts[] = {
        {"resume", QP_OPT_FLAG, &o.resume, NULL, "continue from the checkpoint (bit for bit on 1 rank or with --fixed-order)"},
        {"steps", QP_OPT_U64, &steps, "N", "train N steps in total (overrides train.steps; sets the LR schedule)"},
        {"stop-after", QP_OPT_U64, &stop_after, "N", "stop after step N with a checkpoint, as on SIGTERM"},
        {"checkpoint", QP_OPT_STR, &o.checkpoint, "PATH", "checkpoint / model file (overrides train.checkpoint)"},
        {"fixed-order", QP_OPT_FLAG, &o.fixed_order, NULL,
         "sum gradients in rank order (bitwise reproducible runs and resumes; slower)"},
        {"quiet", QP_OPT_FLAG, &o.quiet, NULL, "no progress lines on stderr"},
        {"export-holdout", QP_OPT_STR, &export_holdout, "DIR",
         "train.archive runs: do not train; write the held-out shots of the split recorded in the checkpoint "
         "as an archive under DIR (for qecpipe redecode)"},
    };
    const char *pos[1];
    int npos = 0;
    int st = qp_args_parse(argc, argv, "train",
                           "Train the neural decoder described by CONFIG's train section (CONFIG: a YAML file or "
                           "the name of a shipped config), data-parallel over "
                           "the MPI ranks (gradients all-reduced each step). Rank 0 evaluates on held-out shots "
                           "every train.eval_every steps and writes HDF5 checkpoints (atomically) every "
                           "train.checkpoint_every steps, at the end and on SIGTERM. Exit status 0 also when "
                           "stopped by SIGTERM after the checkpoint was written: continue with --resume. The last "
                           "line gives the training FLOPs per sample of the model and the CPU time of the steps "
                           "(samples and GFLOP per CPU-second per rank, the MFU numerator).",
                           "CONFIG.yaml [options]", opts, sizeof opts / sizeof opts[0], pos, 1, &npos);
    if (st == QP_ARGS_HELP) return 0;
    if (st != QP_ARGS_OK) return 2;
    if (npos != 1) return qp_usage_error("train", "expected one CONFIG.yaml");
    o.steps = steps;
    o.stop_after = stop_after;

    MPI_Init(&argc, &argv);
    int rank;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    qp_config cfg = {0};
    qp_err err = {{0}};
    char config_path[QP_CONFIG_PATH_MAX];  // a file, or the name of a shipped config
    int rc = qp_shipped_find(QP_SHIPPED_CONFIG, pos[0], config_path, sizeof config_path, &err);
    if (rc == 0) rc = qp_config_load_file(config_path, &cfg, &err);
    if (rc == 0 && !cfg.train.present) rc = qp_fail(&err, "%s: no train section", pos[0]);
    if (rc == 0 && steps && steps < cfg.train.warmup_steps)
        rc = qp_fail(&err, "--steps %llu is shorter than train.warmup_steps %llu", (unsigned long long)steps,
                     (unsigned long long)cfg.train.warmup_steps);
    if (rc == 0 && export_holdout) {
        if (rank == 0)
            rc = qp_train_export_holdout(&cfg, o.checkpoint ? o.checkpoint : cfg.train.checkpoint, export_holdout, &err);
        MPI_Bcast(&rc, 1, MPI_INT, 0, MPI_COMM_WORLD);
    } else if (rc == 0) {
        rc = qp_train_job(&cfg, &o, MPI_COMM_WORLD, &err);
    }
    if (rc != 0 && rank == 0) fprintf(stderr, "qecpipe train: %s\n", err.msg);
    qp_config_free(&cfg);
    MPI_Finalize();
    return rc == 0 ? 0 : 1;
}
