// The two MPI jobs of qecpipe, sharing one engine:
//   qp_run_job       `qecpipe run`: every experiment of a config, sampled and decoded;
//   qp_redecode_job  `qecpipe redecode`: every experiment folder of an archive in Google's
//                    layout, its recorded shots decoded again.
// Both write one parallel HDF5 result file (layout: docs/hdf5-layout.md).
//
// Per experiment: circuit and DEM from rank 0 (experiment.h); in waves of wave_shots shots,
// tasks of shots_per_task shots
// handed out by the scheduler (task t = shots [t*spt, (t+1)*spt); sampled shots come from the
// stream (job seed, experiment stream, shot block), so the bytes never depend on ranks); every
// decoder decodes every shot; the stopping rule (max_shots; max_errors reached by every
// decoder) is decided in task order. Then all ranks write their committed tasks' rows collectively, the
// statistics, and one journal row; the file is flushed.
//
// One writer: rank 0 claims PATH (pipeline/output) before any rank opens anything; a job
// refused the claim exits at once, naming the holder, and touches nothing.
//
// Resume: the output is PATH.partial until the job ends. Re-running the same command finds
// the journal there, skips finished experiments, cuts an unfinished one back to its last
// journaled wave and continues it, and finishes the file; the result equals an uninterrupted run's (run-specific metadata lives
// under /run only).
#ifndef QP_JOB_RUN_JOB_H
#define QP_JOB_RUN_JOB_H

#include <mpi.h>

#include "pipeline/config/config.h"
#include "pipeline/job/experiment.h"
#include "pipeline/output/output.h"
#include "workers/util/err.h"

typedef struct {
    const char *output;   // result path (the config's job.output unless overridden)
    int quiet;            // no progress lines
    int restart;          // discard an existing PATH.partial instead of resuming it
    qp_output *claim;     // rank 0: the caller's claim on output (qp_store_claim), held
                          // across stages; NULL: the job claims output itself
    int share_index, share_count;  // run only experiments e with e % count == index (Slurm
                                   // job arrays); count 0 or 1: all experiments
    uint64_t wave_shots;  // shots per journaled wave (0: QP_DEFAULT_WAVE_SHOTS): what an
                          // interruption can lose, and the outputs a rank holds in memory
} qp_run_options;

#define QP_DEFAULT_WAVE_SHOTS (1u << 20)

// The journal of a result file (docs/hdf5-layout.md): one uint64 row per journaled wave:
// experiment index, first task, tasks, shots, then errors per decoder id (qp_decoder_id order).
// `qecpipe report` sums it for the experiments of an unfinished run.
#define QP_JOB_JOURNAL_PATH "/journal"
#define QP_JOB_JOURNAL_WIDTH (4 + QP_NUM_DECODERS)

// Collective. Returns 0, or -1 on every rank with the same one-line message; on failure an
// existing file at the output path is left untouched.
int qp_run_job(const qp_config *cfg, const qp_run_options *opt, MPI_Comm comm, qp_err *err);

// Collective. Decodes every experiment folder under `archive` (a folder holding
// detection_events.b8; walked in sorted path order) with the decoders of `aopt`.
int qp_redecode_job(const char *archive, const qp_archive_options *aopt, uint64_t shots_per_task,
                    const char *command_text, const qp_run_options *opt, MPI_Comm comm, qp_err *err);

#endif
