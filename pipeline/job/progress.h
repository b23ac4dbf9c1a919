// Progress lines for long jobs, printed by rank 0 on stderr.
// On a terminal: one line rewritten in place at most 4 times a second. Otherwise (Slurm
// logs): one plain line when an experiment finishes. Silent when quiet.
#ifndef QP_JOB_PROGRESS_H
#define QP_JOB_PROGRESS_H

#include <stdint.h>

typedef struct {
    int enabled, is_tty;
    int experiments_total, experiments_done;
    const char *experiment;     // name of the running experiment
    uint64_t target_shots;      // shots budget of the running experiment
    uint64_t target_errors;     // 0: none
    double job_start, exp_start, last_print;
    uint64_t job_shots;         // shots committed in finished experiments
} qp_progress;

double qp_now_seconds(void);
void qp_progress_init(qp_progress *p, int enabled, int experiments_total);
void qp_progress_begin_experiment(qp_progress *p, const char *name, uint64_t target_shots,
                                  uint64_t target_errors);
// Called as results are committed: shots and errors (of the first decoder) so far.
void qp_progress_update(qp_progress *p, uint64_t shots, uint64_t errors);
void qp_progress_end_experiment(qp_progress *p, uint64_t shots, uint64_t errors);

#endif
