// Benchmark of soft-readout sampling (issue 15, must-show 4), one JSON line per figure:
// shots/s of the frame sampler on the same circuit (rotated memory-Z surface code, SI1000
// p = 0.001, d = 3 and d = 5, 25 rounds) in four modes:
//   hard       the circuit as generated: measurements flip with SI1000's M(5p)
//   hard_equiv the hard-equivalent circuit (measurements flip with the readout model's M)
//   soft_hard  soft readout (snr 8, t1_over_tint 40): signals drawn, hard decisions only
//   soft       soft readout with every result's posterior p1 streamed (as simulate --soft-out,
//              into memory)
// Records go to memory (no file). The modes are interleaved within each repetition (best of 5
// by CPU time, CLOCK_PROCESS_CPUTIME_ID, beside the wall time of that run), and the machine's
// load average is printed before and after: the machine is shared.
//
//   build/bench_soft [shots]      (default 32768)
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "workers/circuit/surface_code.h"
#include "workers/sim/frame_stream.h"
#include "workers/sim/reference_sample.h"
#include "workers/sim/soft_readout.h"

static double clock_s(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void die(const char *what, const qp_err *err) {
    fprintf(stderr, "bench_soft: %s: %s\n", what, err->msg);
    exit(1);
}

static int emit_nothing(void *ctx, const uint8_t *recs, const uint8_t *obs, size_t n, qp_err *err) {
    volatile uint8_t sink = n ? recs[0] : 0;
    (void)sink;
    return 0;
}

static int soft_nothing(void *ctx, const float *p1, size_t n, qp_err *err) {
    volatile float sink = n ? p1[0] : 0;
    (void)sink;
    return 0;
}

static void load_line(const char *when) {
    double l1 = -1, l5 = -1, l15 = -1;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fscanf(f, "%lf %lf %lf", &l1, &l5, &l15) != 3) l1 = l5 = l15 = -1;
        fclose(f);
    }
    printf("{\"bench\":\"soft_readout\",\"case\":\"load_%s\",\"loadavg_1m\":%.2f,\"loadavg_5m\":%.2f,\"loadavg_15m\":%.2f}\n",
           when, l1, l5, l15);
    fflush(stdout);
}

enum { HARD, HARD_EQUIV, SOFT_HARD, SOFT, MODES };
static const char *const mode_names[MODES] = {"hard", "hard_equiv", "soft_hard", "soft"};

static void run_distance(uint32_t d, uint64_t rounds, uint64_t shots) {
    qp_err err = {{0}};
    qp_surface_params sp = qp_surface_params_si1000('z', d, rounds, 0.001);
    qp_circuit c, eq;
    if (qp_surface_code_generate(&c, &sp, &err)) die("generate", &err);
    uint8_t *ref = calloc(c.num_measurements / 8 + 1, 1);
    if (qp_reference_sample(&c, ref, &err)) die("reference", &err);
    qp_soft_readout ro;
    if (qp_soft_readout_init(&ro, 8, 40, ref, &err)) die("readout", &err);
    qp_circuit_copy(&eq, &c);
    qp_soft_readout_hard_equivalent(&eq, ro.model.flip);
    if (qp_circuit_finalize(&eq, &err)) die("finalize", &err);
    double best_cpu[MODES], wall_at_best[MODES];
    for (int m = 0; m < MODES; m++) best_cpu[m] = 1e30, wall_at_best[m] = 0;
    for (int rep = 0; rep < 5; rep++)
        for (int m = 0; m < MODES; m++) {
            qp_frame_stream_params p = {.seed = 1 + rep, .num_shots = shots, .randomize_gauge = 1,
                                        .record_budget = 64u << 20};
            if (m == SOFT_HARD || m == SOFT) p.readout = &ro;
            if (m == SOFT) p.emit_soft = soft_nothing;
            double w0 = clock_s(CLOCK_MONOTONIC), c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
            if (qp_frame_stream(m == HARD_EQUIV ? &eq : &c, &p, emit_nothing, NULL, &err)) die("sample", &err);
            double cpu = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0, wall = clock_s(CLOCK_MONOTONIC) - w0;
            if (cpu < best_cpu[m]) best_cpu[m] = cpu, wall_at_best[m] = wall;
        }
    for (int m = 0; m < MODES; m++) {
        printf("{\"bench\":\"soft_readout\",\"case\":\"d%u_r%lu_si1000_p0.001_%s\",\"snr\":8,\"t1_over_tint\":40,"
               "\"implied_m\":%.6g,\"shots\":%lu,\"measurements\":%lu,\"cpu_seconds\":%.4f,\"seconds\":%.4f,"
               "\"shots_per_cpu_s\":%.0f,\"ns_per_measurement_cpu\":%.2f,\"cpu_ratio_vs_hard\":%.2f}\n",
               d, (unsigned long)rounds, mode_names[m], ro.model.flip, (unsigned long)shots,
               (unsigned long)c.num_measurements, best_cpu[m], wall_at_best[m], shots / best_cpu[m],
               best_cpu[m] / shots / c.num_measurements * 1e9, best_cpu[m] / best_cpu[HARD]);
        fflush(stdout);
    }
    free(ref);
    qp_circuit_free(&c);
    qp_circuit_free(&eq);
}

int main(int argc, char **argv) {
    uint64_t shots = argc > 1 ? strtoull(argv[1], NULL, 10) : 32768;
    if (shots == 0) shots = 32768;
    load_line("before");
    run_distance(3, 25, shots);
    run_distance(5, 25, shots);
    load_line("after");
    return 0;
}
