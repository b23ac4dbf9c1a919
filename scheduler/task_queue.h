// Dynamic task queue over MPI ranks with sinter-style stopping rules decided in task order.
//
// One call runs the tasks [first_task, first_task + num_tasks) of one experiment (a "wave";
// a long experiment runs in several waves so its outputs can be written and journaled as it
// goes, with the totals of earlier waves carried in). Rank 0 hands out task ids on
// request (and computes tasks itself between requests, so 1 rank works too); a slow rank
// only delays the tasks it holds. Each task reports a fixed-width row of counters
// (counter 0 = shots by convention). Results are COMMITTED in task-id order: the committed
// prefix is the shortest prefix 0..C-1 whose summed counters satisfy the stopping rule (or
// all tasks). Tasks computed past C are discarded. Because a task's counters depend only on
// its id, C and the totals are the same on 1 rank or 1,000, whatever the timing.
//
// The scheduler knows tasks, ranks and counters, not QEC: what a task computes and keeps
// (predictions etc.) is the callback's business; qp_sched_run tells every rank C, so each
// rank keeps the outputs of its own tasks < C.
#ifndef QP_SCHEDULER_TASK_QUEUE_H
#define QP_SCHEDULER_TASK_QUEUE_H

#include <mpi.h>
#include <stdint.h>

#include "workers/util/err.h"

#define QP_SCHED_MAX_COUNTERS 16

typedef struct {
    uint64_t max_shots;       // stop once committed counter[0] >= max_shots (0: no limit)
    uint64_t max_errors;      // stop once EVERY counter in [errors_first, errors_first +
                              // errors_count) has reached it, e.g. every decoder has seen
                              // max_errors logical errors (0: no limit)
    int errors_first, errors_count;
} qp_stop_rule;

// Computes task `task` on the calling rank. Writes num_counters values to counters.
// Returns 0, or -1 with err set (the whole job then fails on every rank).
typedef int (*qp_task_fn)(uint64_t task, uint64_t *counters, void *ctx, qp_err *err);

// Optional: rank 0 is told each time the committed prefix grows (for progress lines);
// totals include the initial totals.
typedef void (*qp_progress_fn)(uint64_t committed_tasks, const uint64_t *totals, void *ctx);

typedef struct {
    uint64_t committed_tasks;                  // C: tasks first_task .. first_task+C-1 count
    uint64_t totals[QP_SCHED_MAX_COUNTERS];    // initial totals + counters of the committed tasks
    int rule_met;                              // the stopping rule is met by `totals`
    uint64_t tasks_computed_here;              // tasks this rank ran (including discarded)
} qp_sched_result;

typedef struct {
    uint64_t first_task, num_tasks;  // the tasks of this call
    int num_counters;                // counters per task, 1..QP_SCHED_MAX_COUNTERS
    const uint64_t *initial_totals;  // counters committed before first_task, or NULL (zeros)
} qp_sched_range;

// Collective over comm. All ranks get the same result (except tasks_computed_here), or all
// return -1 if any task failed (err holds the failing rank's message on every rank).
int qp_sched_run(MPI_Comm comm, const qp_sched_range *range, const qp_stop_rule *rule,
                 qp_task_fn task_fn, void *task_ctx, qp_progress_fn progress_fn,
                 void *progress_ctx, qp_sched_result *result, qp_err *err);

// True when the summed counters satisfy the rule.
int qp_stop_rule_met(const qp_stop_rule *rule, const uint64_t *totals);

#endif
