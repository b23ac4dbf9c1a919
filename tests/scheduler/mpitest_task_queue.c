// The task queue commits the same prefix and totals on any number of ranks, whatever the
// timing; task failures reach every rank.
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "scheduler/task_queue.h"
#include "tests/mpi_check.h"
#include "workers/util/rng.h"

typedef struct {
    uint64_t shots_per_task;
    uint64_t fail_task;  // UINT64_MAX: none
    uint8_t *ran;        // [max_tasks] tasks this rank computed
} ctx_t;

static uint64_t errors_of(uint64_t t) { return qp_mix64(t) % 7; }

static int task(uint64_t t, uint64_t *counters, void *vctx, qp_err *err) {
    ctx_t *c = vctx;
    if (t == c->fail_task) return qp_fail(err, "task %llu failed on purpose", (unsigned long long)t);
    // Random delays reorder completions across ranks.
    struct timespec ts = {0, (long)(qp_mix64(t * 31 + 7) % 200000)};
    nanosleep(&ts, NULL);
    counters[0] = c->shots_per_task;
    counters[1] = errors_of(t);
    counters[2] = t;
    c->ran[t] = 1;
    return 0;
}

// The answer computed sequentially.
static void expected(uint64_t max_tasks, const qp_stop_rule *rule, uint64_t spt,
                     uint64_t *committed, uint64_t *totals) {
    memset(totals, 0, 3 * sizeof *totals);
    uint64_t c = 0;
    while (c < max_tasks) {
        totals[0] += spt;
        totals[1] += errors_of(c);
        totals[2] += c;
        c++;
        if (qp_stop_rule_met(rule, totals)) break;
    }
    *committed = c;
}

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);

    const uint64_t max_tasks = 400;
    qp_stop_rule rules[] = {
        {0, 0, 1, 1},           // run everything
        {100 * 57, 0, 1, 1},    // max_shots
        {0, 300, 1, 1},         // max_errors
        {100 * 300, 50, 1, 1},  // both; errors first
        {0, 1, 1, 1},           // stops at the first task with an error
        {0, 200, 1, 2},         // every counter of 1..2 must reach it (counter 2 = t grows fast)
        {0, 2000, 1, 2},        // counter 1 is the slower one here
    };
    for (size_t r = 0; r < sizeof rules / sizeof rules[0]; r++) {
        ctx_t c = {100, UINT64_MAX, calloc(max_tasks, 1)};
        qp_sched_result res;
        qp_err err = {{0}};
        qp_sched_range range = {0, max_tasks, 3, NULL};
        int rc = qp_sched_run(MPI_COMM_WORLD, &range, &rules[r], task, &c, NULL, NULL, &res, &err);
        MPI_CHECK(rc == 0, "rule %zu: %s", r, err.msg);
        uint64_t want_c, want_tot[3];
        expected(max_tasks, &rules[r], 100, &want_c, want_tot);
        MPI_CHECK(res.committed_tasks == want_c, "rule %zu: committed %llu want %llu", r,
                  (unsigned long long)res.committed_tasks, (unsigned long long)want_c);
        for (int i = 0; i < 3; i++)
            MPI_CHECK(res.totals[i] == want_tot[i], "rule %zu counter %d: %llu want %llu", r, i,
                      (unsigned long long)res.totals[i], (unsigned long long)want_tot[i]);
        // Every committed task was computed by exactly one rank.
        uint8_t *all = calloc(max_tasks, 1);
        MPI_Allreduce(c.ran, all, (int)max_tasks, MPI_UINT8_T, MPI_SUM, MPI_COMM_WORLD);
        int ok = 1;
        for (uint64_t t = 0; t < want_c; t++) ok &= all[t] == 1;
        MPI_CHECK(ok, "rule %zu: each committed task computed exactly once", r);
        free(all);
        free(c.ran);

        // The same in waves of uneven sizes, totals carried: the same prefix and totals.
        ctx_t w = {100, UINT64_MAX, calloc(max_tasks, 1)};
        uint64_t first = 0, totals[QP_SCHED_MAX_COUNTERS] = {0};
        int met = 0;
        for (int wave = 0; !met && first < max_tasks; wave++) {
            uint64_t n = 1 + (uint64_t)(wave * 37 % 90);
            if (n > max_tasks - first) n = max_tasks - first;
            qp_sched_range wr = {first, n, 3, totals};
            rc = qp_sched_run(MPI_COMM_WORLD, &wr, &rules[r], task, &w, NULL, NULL, &res, &err);
            MPI_CHECK(rc == 0, "rule %zu wave %d: %s", r, wave, err.msg);
            memcpy(totals, res.totals, sizeof totals);
            first += res.committed_tasks;
            met = res.rule_met;
            if (!met) MPI_CHECK(res.committed_tasks == n, "a wave that does not meet the rule commits all its tasks");
        }
        MPI_CHECK(first == want_c, "rule %zu: waves committed %llu want %llu", r, (unsigned long long)first,
                  (unsigned long long)want_c);
        for (int i = 0; i < 3; i++)
            MPI_CHECK(totals[i] == want_tot[i], "rule %zu waves counter %d", r, i);
        free(w.ran);
    }

    {  // A failing task fails the run on every rank with its message.
        ctx_t c = {100, 17, calloc(max_tasks, 1)};
        qp_stop_rule rule = {0, 0, 1, 1};
        qp_sched_result res;
        qp_err err = {{0}};
        qp_sched_range range = {0, max_tasks, 3, NULL};
        int rc = qp_sched_run(MPI_COMM_WORLD, &range, &rule, task, &c, NULL, NULL, &res, &err);
        MPI_CHECK(rc == -1, "failure propagates");
        MPI_CHECK(strstr(err.msg, "task 17 failed") != NULL, "message reaches every rank: '%s'", err.msg);
        free(c.ran);
    }
    {  // Zero tasks.
        ctx_t c = {100, UINT64_MAX, calloc(1, 1)};
        qp_stop_rule rule = {0, 0, 1, 1};
        qp_sched_result res;
        qp_err err = {{0}};
        qp_sched_range range = {0, 0, 3, NULL};
        int rc = qp_sched_run(MPI_COMM_WORLD, &range, &rule, task, &c, NULL, NULL, &res, &err);
        MPI_CHECK(rc == 0 && res.committed_tasks == 0, "zero tasks");
        free(c.ran);
    }
    int status = qp_mpi_check_finish();
    MPI_Finalize();
    return status;
}
