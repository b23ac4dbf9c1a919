// Benchmark of the Pauli-frame sampler (workers/sim/frame_*), one JSON line per figure:
//  - shots/s for rotated memory-X surface codes with uniform noise p = 0.001 (d=5 r=25 and
//    d=11 r=11), 100,000 shots written to a b8 file (best of 5), beside Stim's figure measured
//    on this machine (../shared/anchors.md) and the ratio ours/Stim; also the same without
//    the file (records in memory only);
//  - the long experiment: d=5, p=0.001, 10,000 and 100,000 rounds, 256 shots to b8, run in a
//    child process so its peak RSS is the run's own (wait4's ru_maxrss).
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pipeline/formats/shot_writer.h"
#include "workers/circuit/surface_code.h"
#include "workers/sim/frame_stream.h"

static double clock_s(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}
static double now(void) { return clock_s(CLOCK_MONOTONIC); }
// The machine is shared: CPU time of this process is reported beside wall time.
static double cpu_now(void) { return clock_s(CLOCK_PROCESS_CPUTIME_ID); }

static int emit_file(void *ctx, const uint8_t *recs, const uint8_t *obs, size_t n, qp_err *err) {
    return qp_shot_writer_write((qp_shot_writer *)ctx, recs, n, err);
}

static int emit_nothing(void *ctx, const uint8_t *recs, const uint8_t *obs, size_t n, qp_err *err) {
    volatile uint8_t sink = n ? recs[0] : 0;
    (void)sink;
    return 0;
}

static void die(const char *what, const qp_err *err) {
    fprintf(stderr, "bench_frame: %s: %s\n", what, err->msg);
    exit(1);
}

static void make_circuit(qp_circuit *c, uint32_t d, uint64_t rounds, double p) {
    qp_err err = {{0}};
    qp_surface_params sp = qp_surface_params_uniform('x', d, rounds, p);
    if (qp_surface_code_generate(c, &sp, &err) != 0) die("generate", &err);
}

// Seconds to sample `shots` shots to a b8 file at path (or to memory when path is NULL);
// *cpu gets the CPU seconds.
static double run_once(const qp_circuit *c, uint64_t shots, const char *path, uint64_t seed, double *cpu) {
    qp_err err = {{0}};
    qp_shot_writer *w = NULL;
    double t0 = now(), c0 = cpu_now();
    if (path && qp_shot_writer_open(&w, path, QP_FORMAT_B8, c->num_detectors, 0, &err) != 0) die("open", &err);
    qp_frame_stream_params p = {.seed = seed, .num_shots = shots, .randomize_gauge = 1};
    if (qp_frame_stream(c, &p, path ? emit_file : emit_nothing, w, &err) != 0) die("sample", &err);
    if (w && qp_shot_writer_close(w, &err) != 0) die("close", &err);
    *cpu = cpu_now() - c0;
    return now() - t0;
}

static void throughput(const char *name, uint32_t d, uint64_t rounds, double stim_shots_per_s, const char *path) {
    qp_circuit c;
    make_circuit(&c, d, rounds, 0.001);
    const uint64_t shots = 100000;
    for (int to_file = 1; to_file >= 0; to_file--) {
        double best = 1e30, best_cpu = 1e30;
        for (int rep = 0; rep < 5; rep++) {
            double cpu;
            double t = run_once(&c, shots, to_file ? path : NULL, 1 + rep, &cpu);
            if (t < best) best = t;
            if (cpu < best_cpu) best_cpu = cpu;
        }
        double rate = shots / best, cpu_rate = shots / best_cpu;
        printf("{\"bench\":\"frame_sim\",\"case\":\"%s%s\",\"shots\":%lu,\"detectors\":%lu,\"seconds\":%.4f,"
               "\"shots_per_s\":%.0f,\"cpu_seconds\":%.4f,\"shots_per_cpu_s\":%.0f,\"stim_shots_per_s\":%.0f,"
               "\"ratio_vs_stim\":%.3f,\"cpu_ratio_vs_stim\":%.3f}\n",
               name, to_file ? "" : "_no_file", (unsigned long)shots, (unsigned long)c.num_detectors, best, rate,
               best_cpu, cpu_rate, stim_shots_per_s, rate / stim_shots_per_s, cpu_rate / stim_shots_per_s);
        fflush(stdout);
    }
    remove(path);
    qp_circuit_free(&c);
}

// The long experiment in a child process: seconds and the child's peak RSS.
static void long_run(uint64_t rounds, const char *path) {
    fflush(stdout);
    int pipefd[2];
    if (pipe(pipefd) != 0) return;
    pid_t pid = fork();
    if (pid == 0) {
        close(pipefd[0]);
        qp_circuit c;
        make_circuit(&c, 5, rounds, 0.001);
        double cpu;
        double t = run_once(&c, 256, path, 7, &cpu);
        if (write(pipefd[1], &t, sizeof t) != sizeof t) _exit(1);
        qp_circuit_free(&c);
        _exit(0);
    }
    close(pipefd[1]);
    double t = -1;
    if (read(pipefd[0], &t, sizeof t) != sizeof t) t = -1;
    close(pipefd[0]);
    int status;
    struct rusage ru;
    wait4(pid, &status, 0, &ru);
    double cpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec * 1e-6;
    printf("{\"bench\":\"frame_sim\",\"case\":\"d5_r%lu_p0.001_256shots_b8\",\"seconds\":%.3f,\"cpu_seconds\":%.3f,"
           "\"peak_rss_mb\":%.1f,\"output_mb\":%.1f,\"stim_seconds_r100000\":0.83,\"stim_peak_rss_mb_r100000\":398}\n",
           (unsigned long)rounds, t, cpu, ru.ru_maxrss / 1024.0, 256.0 * (24.0 * rounds / 8) / 1e6);
    remove(path);
}

int main(int argc, char **argv) {
    // The b8 file goes to tmpfs when there is one (/dev/shm): the shot writer fsyncs on close,
    // which on a disk measures the disk, not the sampler. Stim's figure is to a file, no fsync.
    char path[256];
    snprintf(path, sizeof path, "%s/qp_bench_frame_%d.b8", access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp",
             (int)getpid());
    int only_long = argc > 1 && strcmp(argv[1], "--long") == 0;
    if (!only_long) {
        throughput("d5_r25_p0.001", 5, 25, 3.58e6, path);
        throughput("d11_r11_p0.001", 11, 11, 1.69e6, path);
    }
    if (argc > 1 && strcmp(argv[1], "--short") == 0) return 0;
    long_run(10000, path);
    long_run(100000, path);
    return 0;
}
