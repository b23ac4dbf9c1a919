#include "scheduler/task_queue.h"

#include <stdlib.h>
#include <string.h>

#include "workers/util/alloc.h"

enum { TAG_RESULT = 101, TAG_ASSIGN = 102 };
enum { PIPELINE = 3 };  // requests each worker keeps in flight (see run_coordinator)
#define NO_TASK UINT64_MAX

// Message from a worker: the task it finished (NO_TASK on its first request), a status,
// its counters, and (on failure) the error text.
typedef struct {
    uint64_t task;
    uint64_t failed;
    uint64_t counters[QP_SCHED_MAX_COUNTERS];
    char msg[sizeof(((qp_err *)0)->msg)];
} worker_msg;

int qp_stop_rule_met(const qp_stop_rule *rule, const uint64_t *totals) {
    if (rule->max_shots && totals[0] >= rule->max_shots) return 1;
    if (!rule->max_errors || rule->errors_count == 0) return 0;
    for (int i = 0; i < rule->errors_count; i++)
        if (totals[rule->errors_first + i] < rule->max_errors) return 0;
    return 1;
}

// Rank 0's bookkeeping: results arrive in any order, are committed in task order.
// Indices here are relative to the range's first task.
typedef struct {
    int num_counters;
    uint64_t first_task;
    uint64_t max_tasks, next_task, committed;
    uint8_t *done;       // [max_tasks] 1 when the task's counters arrived
    uint64_t *counters;  // [max_tasks][num_counters], filled lazily
    uint64_t totals[QP_SCHED_MAX_COUNTERS];
    int stopped;         // the rule is met by the committed prefix
    int failed;
    char fail_msg[sizeof(((qp_err *)0)->msg)];
} coordinator;

static void coordinator_record(coordinator *co, const qp_stop_rule *rule, uint64_t abs_task,
                               const uint64_t *counters, qp_progress_fn progress, void *pctx) {
    uint64_t task = abs_task - co->first_task;
    co->done[task] = 1;
    memcpy(co->counters + task * co->num_counters, counters, co->num_counters * sizeof(uint64_t));
    uint64_t before = co->committed;
    while (!co->stopped && co->committed < co->max_tasks && co->done[co->committed]) {
        const uint64_t *c = co->counters + co->committed * co->num_counters;
        for (int i = 0; i < co->num_counters; i++) co->totals[i] += c[i];
        co->committed++;
        if (qp_stop_rule_met(rule, co->totals)) co->stopped = 1;
    }
    if (progress && co->committed != before) progress(co->committed, co->totals, pctx);
}

// Next task (absolute id) to hand out, or NO_TASK when nothing more is needed.
static uint64_t coordinator_next(coordinator *co) {
    if (co->stopped || co->failed || co->next_task >= co->max_tasks) return NO_TASK;
    return co->first_task + co->next_task++;
}

// Returns 1 if any task failed (fail_msg gets the first message), else 0.
static int run_coordinator(MPI_Comm comm, int size, const qp_sched_range *range,
                           const qp_stop_rule *rule, qp_task_fn task_fn, void *task_ctx,
                           qp_progress_fn progress, void *pctx, qp_sched_result *res,
                           char *fail_msg) {
    coordinator co = {0};
    uint64_t max_tasks = range->num_tasks;
    co.num_counters = range->num_counters;
    co.first_task = range->first_task;
    co.max_tasks = max_tasks;
    co.done = qp_calloc(max_tasks ? max_tasks : 1, 1);
    co.counters = qp_calloc((max_tasks ? max_tasks : 1) * co.num_counters, sizeof(uint64_t));
    if (range->initial_totals)
        memcpy(co.totals, range->initial_totals, co.num_counters * sizeof(uint64_t));
    // A rule already met before the range (e.g. resumed at the stopping point) runs nothing.
    if (qp_stop_rule_met(rule, co.totals)) co.stopped = 1;

    // Each worker keeps PIPELINE requests in flight, so its next tasks are queued while it
    // computes. Rank 0 answers only between its own tasks, and with equal task times a
    // worker's request tends to arrive just after rank 0 looked: with 2 in flight the worker
    // then idles up to a task length (measured: 17 of 49 tasks on 2 ranks instead of ~24);
    // 3 keeps one task in hand across that lag. A worker is done once it has been answered
    // NO_TASK for each of its in-flight requests.
    uint64_t stops_owed = (uint64_t)(size - 1) * PIPELINE;
    worker_msg msg;
    for (;;) {
        // Serve every pending request before computing anything ourselves.
        int flag;
        while (stops_owed > 0) {
            MPI_Status st;
            MPI_Iprobe(MPI_ANY_SOURCE, TAG_RESULT, comm, &flag, &st);
            if (!flag) break;
            MPI_Recv(&msg, sizeof msg, MPI_BYTE, st.MPI_SOURCE, TAG_RESULT, comm, MPI_STATUS_IGNORE);
            if (msg.failed && !co.failed) {
                co.failed = 1;
                memcpy(co.fail_msg, msg.msg, sizeof co.fail_msg);
            }
            if (!msg.failed && msg.task != NO_TASK)
                coordinator_record(&co, rule, msg.task, msg.counters, progress, pctx);
            uint64_t t = coordinator_next(&co);
            MPI_Send(&t, 1, MPI_UINT64_T, st.MPI_SOURCE, TAG_ASSIGN, comm);
            if (t == NO_TASK) stops_owed--;
        }
        uint64_t t = coordinator_next(&co);
        if (t != NO_TASK) {
            uint64_t counters[QP_SCHED_MAX_COUNTERS] = {0};
            qp_err e = {{0}};
            if (task_fn(t, counters, task_ctx, &e) != 0) {
                co.failed = 1;
                memcpy(co.fail_msg, e.msg, sizeof co.fail_msg);
            } else {
                res->tasks_computed_here++;
                coordinator_record(&co, rule, t, counters, progress, pctx);
            }
            continue;
        }
        if (stops_owed == 0) break;
        // Nothing left to compute here: block until a worker reports.
        MPI_Status st;
        MPI_Probe(MPI_ANY_SOURCE, TAG_RESULT, comm, &st);
    }

    res->committed_tasks = co.committed;
    res->rule_met = co.stopped;
    memcpy(res->totals, co.totals, sizeof co.totals);
    int failed = co.failed;
    memcpy(fail_msg, co.fail_msg, sizeof co.fail_msg);
    free(co.done);
    free(co.counters);
    return failed;
}

// A worker asks for a task, computes it, reports it with the next request, until told to stop.
static void run_worker(MPI_Comm comm, int num_counters, qp_task_fn task_fn, void *task_ctx,
                       qp_sched_result *res) {
    // Results go out with MPI_Isend from a ring of PIPELINE buffers: rank 0 makes no MPI
    // progress while it computes a task of its own, and a blocking send would stall the
    // worker until rank 0 looks (measured: a third of the worker's time on 2 ranks).
    worker_msg msgs[PIPELINE];
    MPI_Request reqs[PIPELINE];
    memset(msgs, 0, sizeof msgs);
    for (int i = 0; i < PIPELINE; i++) {
        msgs[i].task = NO_TASK;
        MPI_Isend(&msgs[i], sizeof msgs[i], MPI_BYTE, 0, TAG_RESULT, comm, &reqs[i]);
    }
    int in_flight = PIPELINE, slot = 0;
    while (in_flight > 0) {
        uint64_t t;
        MPI_Recv(&t, 1, MPI_UINT64_T, 0, TAG_ASSIGN, comm, MPI_STATUS_IGNORE);
        if (t == NO_TASK) {
            in_flight--;
            continue;
        }
        MPI_Wait(&reqs[slot], MPI_STATUS_IGNORE);  // the slot's previous message was delivered
        worker_msg *msg = &msgs[slot];
        memset(msg, 0, sizeof *msg);
        msg->task = t;
        qp_err e = {{0}};
        if (task_fn(t, msg->counters, task_ctx, &e) != 0) {
            msg->failed = 1;
            memcpy(msg->msg, e.msg, sizeof msg->msg);
        } else {
            res->tasks_computed_here++;
        }
        MPI_Isend(msg, sizeof *msg, MPI_BYTE, 0, TAG_RESULT, comm, &reqs[slot]);
        slot = (slot + 1) % PIPELINE;
    }
    MPI_Waitall(PIPELINE, reqs, MPI_STATUSES_IGNORE);
}

int qp_sched_run(MPI_Comm comm, const qp_sched_range *range, const qp_stop_rule *rule,
                 qp_task_fn task_fn, void *task_ctx, qp_progress_fn progress_fn,
                 void *progress_ctx, qp_sched_result *result, qp_err *err) {
    int num_counters = range->num_counters;
    if (num_counters < 1 || num_counters > QP_SCHED_MAX_COUNTERS)
        return qp_fail(err, "scheduler: %d counters per task (1..%d supported)", num_counters,
                       QP_SCHED_MAX_COUNTERS);
    int rank, size;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    memset(result, 0, sizeof *result);
    uint64_t summary[3 + QP_SCHED_MAX_COUNTERS] = {0};
    char fail_msg[sizeof(((qp_err *)0)->msg)] = {0};
    if (rank == 0) {
        summary[0] = (uint64_t)run_coordinator(comm, size, range, rule, task_fn, task_ctx,
                                               progress_fn, progress_ctx, result, fail_msg);
        summary[1] = result->committed_tasks;
        summary[2] = (uint64_t)result->rule_met;
        memcpy(summary + 3, result->totals, sizeof result->totals);
    } else {
        run_worker(comm, num_counters, task_fn, task_ctx, result);
    }
    MPI_Bcast(summary, 3 + QP_SCHED_MAX_COUNTERS, MPI_UINT64_T, 0, comm);
    MPI_Bcast(fail_msg, sizeof fail_msg, MPI_CHAR, 0, comm);
    result->committed_tasks = summary[1];
    result->rule_met = (int)summary[2];
    memcpy(result->totals, summary + 3, sizeof result->totals);
    if (summary[0]) return qp_fail(err, "%s", fail_msg);
    return 0;
}
