// Must-show 1: every reference circuit with its noise stripped gives no detection event and
// no observable flip in 10,000 shots (gauge randomisation on, so a detector that is not
// deterministic would fire about half the time). Uses ../shared/vectors, else tests/data;
// plus generated SI1000 (CZ + H) circuits, which the vectors do not cover.
#include <criterion/criterion.h>
#include <dirent.h>
#include <string.h>

#include "tests/sim/frame_counts.h"
#include "tests/test_support.h"
#include "workers/circuit/circuit.h"
#include "workers/circuit/surface_code.h"
#include "workers/sim/frame_sample.h"

Test(frame_noiseless, every_reference_circuit_is_quiet, .timeout = 300) {
    QP_TEST_VECTORS_OR_SHIPPED(dir);
    DIR *d = opendir(dir);
    cr_assert(d, "cannot open %s", dir);
    struct dirent *e;
    int circuits = 0;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".stim") != 0) continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        qp_circuit c;
        qp_err err = {{0}};
        cr_assert_eq(qp_circuit_parse_file(&c, path, &err), 0, "%s", err.msg);
        qp_circuit_strip_noise(&c);
        qp_frame_sim sim;
        cr_assert_eq(qp_frame_sim_init(&sim, &c, NULL, &err), 0, "%s", err.msg);
        uint64_t shots = 10000;
        frame_counts fc = {shots, calloc(c.num_detectors + 1, 8), calloc(c.num_observables + 1, 8)};
        qp_frame_sink sink = {&fc, frame_counts_dets, frame_counts_obs, NULL, NULL, NULL};
        cr_assert_eq(qp_frame_sim_run_shots(&sim, 2026, 0, 0, shots, &sink, &err), 0, "%s", err.msg);
        uint64_t fired = 0;
        for (uint64_t k = 0; k < c.num_detectors; k++) fired += fc.det[k];
        for (uint32_t k = 0; k < c.num_observables; k++) fired += fc.obs[k];
        cr_expect_eq(fired, 0, "%s: %lu events in a noiseless run", e->d_name, (unsigned long)fired);
        cr_expect_gt(c.num_detectors, 0);
        printf("noiseless %-32s %7lu detectors x %lu shots: %lu events\n", e->d_name,
               (unsigned long)c.num_detectors, (unsigned long)shots, (unsigned long)fired);
        free(fc.det);
        free(fc.obs);
        qp_frame_sim_free(&sim);
        qp_circuit_free(&c);
        circuits++;
    }
    closedir(d);
    cr_assert_gt(circuits, 0, "no circuits in %s", dir);
}

Test(frame_noiseless, generated_si1000_circuits_are_quiet) {
    char bases[2] = {'x', 'z'};
    for (int b = 0; b < 2; b++)
        for (uint32_t d = 3; d <= 5; d += 2) {
            qp_circuit c;
            qp_err err = {{0}};
            qp_surface_params sp = qp_surface_params_si1000(bases[b], d, 4, 0.001);
            cr_assert_eq(qp_surface_code_generate(&c, &sp, &err), 0, "%s", err.msg);
            qp_circuit_strip_noise(&c);
            qp_frame_sim sim;
            cr_assert_eq(qp_frame_sim_init(&sim, &c, NULL, &err), 0, "%s", err.msg);
            frame_counts fc = {10000, calloc(c.num_detectors + 1, 8), calloc(c.num_observables + 1, 8)};
            qp_frame_sink sink = {&fc, frame_counts_dets, frame_counts_obs, NULL, NULL, NULL};
            cr_assert_eq(qp_frame_sim_run_shots(&sim, 5, 0, 0, fc.num_shots, &sink, &err), 0, "%s", err.msg);
            uint64_t fired = 0;
            for (uint64_t k = 0; k < c.num_detectors; k++) fired += fc.det[k];
            for (uint32_t k = 0; k < c.num_observables; k++) fired += fc.obs[k];
            cr_expect_eq(fired, 0, "si1000 %c d=%u: %lu events in a noiseless run", bases[b], d, (unsigned long)fired);
            cr_expect_gt(c.num_detectors, 0);
            free(fc.det);
            free(fc.obs);
            qp_frame_sim_free(&sim);
            qp_circuit_free(&c);
        }
}
