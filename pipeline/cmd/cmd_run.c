// qecpipe run [CONFIG.yaml] [--out PATH] [--quiet] [--restart]   (under mpirun / srun)
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/cli/args.h"
#include "pipeline/cmd/cmd.h"
#include "pipeline/config/config.h"
#include "pipeline/config/shipped.h"
#include "pipeline/job/run_job.h"
#include "pipeline/job/train_stage.h"
#include "pipeline/job/default_config.h"
#include "pipeline/store/store.h"

int cmd_run(int argc, char **argv) {
    const char *out = NULL;
    int quiet = 0, restart = 0;
    uint64_t wave_shots = 0;
    const char *share = NULL;
    const qp_opt opts[] = {
        {"out", QP_OPT_STR, &out, "PATH", "result file (overrides the config's job.output)"},
        {"quiet", QP_OPT_FLAG, &quiet, NULL, "no progress or \"wrote\" lines on stderr; the result lines (one per experiment and decoder) still go to stdout"},
        {"restart", QP_OPT_FLAG, &restart, NULL, "discard an unfinished PATH.partial instead of resuming it"},
        {"wave-shots", QP_OPT_U64, &wave_shots, "N", "shots per journaled wave (default 1048576): what an interruption can lose"},
        {"share", QP_OPT_STR, &share, "I/N", "run only experiments e with e % N == I (default in a Slurm job array: "
                                             "SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN / SLURM_ARRAY_TASK_COUNT)"},
    };
    const char *pos[1];
    int npos = 0;
    int st = qp_args_parse(argc, argv, "run",
                           "Run a job: train the neural decoder if the config has a train section (data-"
                           "parallel over the ranks; skipped when its checkpoint is already complete), then "
                           "for every experiment of CONFIG sample shots, decode them with each configured "
                           "decoder, and write one HDF5 result file collectively from all MPI ranks; a "
                           "redecode section re-decodes an archive (into PATH, or PATH_redecode.h5 after "
                           "experiments). CONFIG is a YAML file or the name of a config shipped with "
                           "qecpipe (e.g. threshold; qecpipe --version prints where they are); without "
                           "CONFIG, runs the built-in quickstart config. Re-running after an interruption "
                           "resumes from the journal in PATH.partial.",
                           "[CONFIG.yaml] [options]", opts, sizeof opts / sizeof opts[0], pos, 1, &npos);
    if (st == QP_ARGS_HELP) return 0;
    if (st != QP_ARGS_OK) return 2;
    int share_index = 0, share_count = 0;
    if (share) {
        char tail;
        if (sscanf(share, "%d/%d%c", &share_index, &share_count, &tail) != 2 || share_count < 1 ||
            share_index < 0 || share_index >= share_count)
            return qp_usage_error("run", "--share expects I/N with 0 <= I < N, got '%s'", share);
    } else if (getenv("SLURM_ARRAY_TASK_ID") && getenv("SLURM_ARRAY_TASK_COUNT")) {
        const char *min = getenv("SLURM_ARRAY_TASK_MIN");
        share_index = atoi(getenv("SLURM_ARRAY_TASK_ID")) - (min ? atoi(min) : 0);
        share_count = atoi(getenv("SLURM_ARRAY_TASK_COUNT"));
        if (share_count < 1 || share_index < 0 || share_index >= share_count)
            return qp_usage_error("run", "cannot use SLURM_ARRAY_TASK_ID=%s of %s tasks as a share",
                                  getenv("SLURM_ARRAY_TASK_ID"), getenv("SLURM_ARRAY_TASK_COUNT"));
    }

    MPI_Init(&argc, &argv);
    int rank;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    qp_config cfg = {0};
    qp_err err = {{0}};
    // Loading is deterministic and reads only the config file, so every rank loads it.
    // CONFIG may name a shipped config: `qecpipe run threshold` (pipeline/config/shipped.h).
    char config_path[QP_CONFIG_PATH_MAX];
    int rc = npos ? qp_shipped_find(QP_SHIPPED_CONFIG, pos[0], config_path, sizeof config_path, &err) : 0;
    if (rc == 0)
        rc = npos ? qp_config_load_file(config_path, &cfg, &err)
                  : qp_config_load_text(qp_default_config_text, "quickstart.yaml (built in)", &cfg, &err);
    int train = cfg.job.stages & QP_STAGE_TRAIN, experiments = cfg.job.stages & (QP_STAGE_SIMULATE | QP_STAGE_DECODE);
    int redecode = cfg.job.stages & QP_STAGE_REDECODE;
    // Alone, the redecode stage writes the job's output; after experiments, its own file.
    const char *output = out ? out : cfg.job.output;
    char redecode_path[QP_CONFIG_PATH_MAX + 16];
    if (experiments) {
        size_t n = strlen(output);
        int h5 = n > 3 && strcmp(output + n - 3, ".h5") == 0;
        snprintf(redecode_path, sizeof redecode_path, "%.*s_redecode.h5", (int)(h5 ? n - 3 : n), output);
    } else {
        snprintf(redecode_path, sizeof redecode_path, "%s", output);
    }
    // Every output is claimed before any stage starts: a second job aimed at one of them is
    // refused at once, not after this one's training.
    qp_output *train_claim = NULL, *output_claim = NULL, *redecode_claim = NULL;
    if (rc == 0 && train) rc = qp_store_claim(cfg.train.checkpoint, MPI_COMM_WORLD, &train_claim, &err);
    if (rc == 0 && experiments) rc = qp_store_claim(output, MPI_COMM_WORLD, &output_claim, &err);
    if (rc == 0 && redecode) rc = qp_store_claim(redecode_path, MPI_COMM_WORLD, &redecode_claim, &err);
    if (rc == 0 && train) rc = qp_run_train_stage(&cfg, train_claim, quiet, MPI_COMM_WORLD, &err);
    if (rc == 0 && experiments) {
        qp_run_options ro = {.output = output, .claim = output_claim, .quiet = quiet, .restart = restart,
                             .wave_shots = wave_shots, .share_index = share_index, .share_count = share_count};
        rc = qp_run_job(&cfg, &ro, MPI_COMM_WORLD, &err);
        if (rc == 0 && rank == 0 && !quiet) fprintf(stderr, "qecpipe run: wrote %s\n", ro.output);
    }
    if (rc == 0 && redecode) {
        const qp_redecode_config *rd = &cfg.redecode;
        qp_archive_options aopt = {.dem_name = rd->dem_name[0] ? rd->dem_name : NULL,
                                   .dem_by_parity = rd->dem_by_parity, .decoders = rd->decoders,
                                   .model = rd->model[0] ? rd->model : NULL,
                                   .store = cfg.job.store, .deflate = cfg.job.deflate};
        qp_run_options ro = {.output = redecode_path, .claim = redecode_claim, .quiet = quiet, .restart = restart,
                             .wave_shots = wave_shots};
        rc = qp_redecode_job(rd->archive, &aopt, cfg.job.shots_per_task, cfg.text, &ro, MPI_COMM_WORLD, &err);
        if (rc == 0 && rank == 0 && !quiet) fprintf(stderr, "qecpipe run: wrote %s\n", redecode_path);
    }
    qp_output_release(train_claim);
    qp_output_release(output_claim);
    qp_output_release(redecode_claim);
    if (rc != 0 && rank == 0) fprintf(stderr, "qecpipe run: %s\n", err.msg);
    qp_config_free(&cfg);
    MPI_Finalize();
    return rc == 0 ? 0 : 1;
}
