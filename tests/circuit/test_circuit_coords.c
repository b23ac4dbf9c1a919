// Detector and qubit coordinates through REPEAT blocks and SHIFT_COORDS: compared with the
// coordinates Stim itself wrote into the reference DEMs (`detector(x, y, t) D<k>` lines with
// `shift_detectors`), and with hand-computed values for nested blocks.
#include <criterion/criterion.h>
#pragma GCC diagnostic ignored "-Wformat-truncation"
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tests/test_support.h"
#include "workers/circuit/circuit_coords.h"

// Reads a flat DEM's detector coordinates (top-level `shift_detectors(...) n` and
// `detector(...) Dk` lines; repeat blocks are not expected). Returns the number of detectors
// found; coords[k*3 + j].
static int read_dem_detector_coords(const char *path, double *coords, int max_dets) {
    char *text = qp_test_read_file(path, NULL);
    cr_assert(text, "cannot read %s", path);
    double shift[3] = {0, 0, 0};
    long det_offset = 0;
    int found = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        cr_assert(strncmp(line, "repeat", 6) != 0, "%s: unexpected repeat block", path);
        double a[3] = {0, 0, 0};
        long n = 0;
        if (sscanf(line, "shift_detectors(%lf, %lf, %lf) %ld", &a[0], &a[1], &a[2], &n) == 4) {
            for (int j = 0; j < 3; j++) shift[j] += a[j];
            det_offset += n;
        } else if (sscanf(line, "detector(%lf, %lf, %lf) D%ld", &a[0], &a[1], &a[2], &n) == 4) {
            long k = n + det_offset;
            cr_assert(k >= 0 && k < max_dets);
            for (int j = 0; j < 3; j++) coords[k * 3 + j] = a[j] + shift[j];
            found++;
        }
    }
    free(text);
    return found;
}

Test(circuit_coords, detector_coords_match_stim_dems) {
    const char *dirs[2] = {qp_test_vectors_dir(), qp_test_data_dir()};
    cr_assert(dirs[0] || !qp_test_vectors_required(), "QECPIPE_REQUIRE_VECTORS=1 but the reference vectors are missing");
    int checked = 0;
    for (int di = 0; di < 2 && checked == 0; di++) {
        if (!dirs[di]) continue;
        for (int bi = 0; bi < 2; bi++)
            for (int d = 3; d <= 7; d += 2)
                for (int pi = 1; pi <= 5; pi += 2) {
                    char stim[1024], dem[1024];
                    snprintf(stim, sizeof stim, "%s/surface_%c_d%d_r%d_p0.00%d.stim", dirs[di], "xz"[bi], d, d, pi);
                    snprintf(dem, sizeof dem, "%s/surface_%c_d%d_r%d_p0.00%d.dem", dirs[di], "xz"[bi], d, d, pi);
                    qp_circuit c;
                    qp_err err;
                    if (qp_circuit_parse_file(&c, stim, &err) != 0) continue;
                    double *ours;
                    uint32_t w;
                    cr_assert_eq(qp_circuit_detector_coords(&c, &ours, &w, &err), 0, "%s", err.msg);
                    cr_assert_eq(w, 3u);
                    double *ref = malloc(c.num_detectors * 3 * sizeof *ref);
                    int n = read_dem_detector_coords(dem, ref, (int)c.num_detectors);
                    cr_assert_eq((uint64_t)n, c.num_detectors, "%s: %d detector lines for %llu detectors", dem, n,
                                 (unsigned long long)c.num_detectors);
                    for (uint64_t k = 0; k < c.num_detectors * 3; k++)
                        cr_assert_eq(ours[k], ref[k], "%s: D%llu coordinate %d: ours %g, Stim %g", stim,
                                     (unsigned long long)(k / 3), (int)(k % 3), ours[k], ref[k]);
                    free(ours);
                    free(ref);
                    qp_circuit_free(&c);
                    checked++;
                }
    }
    cr_assert_geq(checked, 3, "checked %d circuits", checked);
}

Test(circuit_coords, long_experiment_time_coordinate) {
    QP_TEST_NEED_VECTORS(dir);
    char path[1024];
    snprintf(path, sizeof path, "%s/surface_x_d5_r1000_p0.003.stim", dir);
    qp_circuit c;
    qp_err err;
    cr_assert_eq(qp_circuit_parse_file(&c, path, &err), 0, "%s", err.msg);
    double *xyz;
    uint32_t w;
    cr_assert_eq(qp_circuit_detector_coords(&c, &xyz, &w, &err), 0, "%s", err.msg);
    // Round 1: 12 X detectors at t=0; rounds 2..1000: 24 per round at t = round-1; final 12 at t=1000.
    cr_expect_eq(xyz[11 * 3 + 2], 0);
    cr_expect_eq(xyz[12 * 3 + 2], 1);
    cr_expect_eq(xyz[(12 + 24 * 999 - 1) * 3 + 2], 999);
    cr_expect_eq(xyz[(c.num_detectors - 1) * 3 + 2], 1000);
    cr_expect_eq(xyz[(c.num_detectors - 1) * 3 + 0], 8);
    cr_expect_eq(xyz[(c.num_detectors - 1) * 3 + 1], 10);
    free(xyz);
    qp_circuit_free(&c);
}

Test(circuit_coords, nested_repeats_and_qubit_coords) {
    const char *text =
        "QUBIT_COORDS(1, 2) 0\n"
        "QUBIT_COORDS(5) 2\n"
        "M 0\n"
        "DETECTOR(1) rec[-1]\n"
        "REPEAT 2 {\n"
        "    SHIFT_COORDS(10, 0.5)\n"
        "    REPEAT 3 {\n"
        "        M 0\n"
        "        DETECTOR(0, 0, 7) rec[-1]\n"
        "        SHIFT_COORDS(1)\n"
        "    }\n"
        "    QUBIT_COORDS(0, 0) 1\n"
        "}\n"
        "REPEAT 500000 {\n"  // a closed form: the unroll limit allows 10^6 + 4096 here
        "    SHIFT_COORDS(0, 1)\n"
        "}\n"
        "DETECTOR rec[-1]\n"
        "DETECTOR(0, 0) rec[-1]\n";
    qp_circuit c;
    qp_err err;
    cr_assert_eq(qp_circuit_parse(&c, text, "t", &err), 0, "%s", err.msg);
    double *xyz;
    uint32_t w;
    cr_assert_eq(qp_circuit_detector_coords(&c, &xyz, &w, &err), 0, "%s", err.msg);
    cr_assert_eq(w, 3u);
    cr_assert_eq(c.num_detectors, 9u);
    const double want[9][3] = {
        {1, 0, 0},         // before any shift
        {10, 0.5, 7},  {11, 0.5, 7},  {12, 0.5, 7},   // first outer iteration
        {23, 1, 7},    {24, 1, 7},    {25, 1, 7},     // second: +10, +0.5 more, after 3 x (1)
        {0, 0, 0},                                     // no coordinates: padded with 0
        {26, 1 + 5e5, 0},                              // shift after 5e5 iterations of (0, 1)
    };
    for (int k = 0; k < 9; k++)
        for (int j = 0; j < 3; j++)
            cr_expect_eq(xyz[k * 3 + j], want[k][j], "D%d coordinate %d: got %g, want %g", k, j, xyz[k * 3 + j], want[k][j]);
    free(xyz);

    double *qc;
    uint8_t *has;
    cr_assert_eq(qp_circuit_qubit_coords(&c, &qc, &w, &has, &err), 0, "%s", err.msg);
    cr_assert_eq(w, 2u);
    cr_assert_eq(c.num_qubits, 3u);
    cr_expect(has[0] && has[1] && has[2]);
    cr_expect_eq(qc[0], 1);
    cr_expect_eq(qc[1], 2);
    cr_expect_eq(qc[2], 26, "qubit 1: last assignment, in the second outer iteration");
    cr_expect_eq(qc[3], 1);
    cr_expect_eq(qc[4], 5);
    cr_expect(isnan(qc[5]), "missing coordinate is NAN");
    free(qc);
    free(has);
    qp_circuit_free(&c);
}

Test(circuit_coords, no_detectors) {
    qp_circuit c;
    qp_err err;
    cr_assert_eq(qp_circuit_parse(&c, "H 0\nM 0\n", "t", &err), 0, "%s", err.msg);
    double *xyz = (double *)1;
    uint32_t w = 7;
    cr_assert_eq(qp_circuit_detector_coords(&c, &xyz, &w, &err), 0);
    cr_expect_eq(w, 0u);
    cr_expect_null(xyz);
    qp_circuit_free(&c);
}
