#include "pipeline/job/progress.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

double qp_now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

void qp_progress_init(qp_progress *p, int enabled, int experiments_total) {
    *p = (qp_progress){0};
    p->enabled = enabled;
    p->is_tty = isatty(2);
    p->experiments_total = experiments_total;
    p->job_start = qp_now_seconds();
}

void qp_progress_begin_experiment(qp_progress *p, const char *name, uint64_t target_shots,
                                  uint64_t target_errors) {
    p->experiment = name;
    p->target_shots = target_shots;
    p->target_errors = target_errors;
    p->exp_start = p->last_print = qp_now_seconds();
}

// Remaining time from whichever budget (shots or errors) will be reached first.
static double eta_seconds(const qp_progress *p, uint64_t shots, uint64_t errors, double elapsed) {
    if (shots == 0 || elapsed <= 0) return -1;
    double by_shots = p->target_shots ? elapsed * ((double)p->target_shots / shots - 1) : -1;
    double by_errors = (p->target_errors && errors) ? elapsed * ((double)p->target_errors / errors - 1) : -1;
    if (by_shots < 0) return by_errors;
    if (by_errors < 0) return by_shots;
    return by_shots < by_errors ? by_shots : by_errors;
}

void qp_progress_update(qp_progress *p, uint64_t shots, uint64_t errors) {
    if (!p->enabled || !p->is_tty) return;
    double now = qp_now_seconds();
    if (now - p->last_print < 0.25) return;
    p->last_print = now;
    double el = now - p->exp_start;
    double eta = eta_seconds(p, shots, errors, el);
    fprintf(stderr, "\r[%d/%d] %s: %llu shots, %llu errors, %.0f shots/s, ETA %s%.0fs   ",
            p->experiments_done + 1, p->experiments_total, p->experiment,
            (unsigned long long)shots, (unsigned long long)errors, el > 0 ? shots / el : 0.0,
            eta < 0 ? "?" : "", eta < 0 ? 0.0 : eta);
    fflush(stderr);
}

void qp_progress_end_experiment(qp_progress *p, uint64_t shots, uint64_t errors) {
    p->experiments_done++;
    p->job_shots += shots;
    if (!p->enabled) return;
    double now = qp_now_seconds(), el = now - p->exp_start;
    fprintf(stderr, "%s[%d/%d] %s: %llu shots, %llu errors, %.1f s (%.0f shots/s); job %.1f s\n",
            p->is_tty ? "\r" : "", p->experiments_done, p->experiments_total, p->experiment,
            (unsigned long long)shots, (unsigned long long)errors, el, el > 0 ? shots / el : 0.0,
            now - p->job_start);
}
