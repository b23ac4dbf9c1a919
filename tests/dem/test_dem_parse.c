// Tests of the .dem parser and writer: every Stim-written DEM in the vectors parses, its
// detector count equals MANIFEST's detectors=, writing reproduces Stim's text byte for byte,
// and malformed input fails with one SOURCE:line:column message.
#include <criterion/criterion.h>
#include <dirent.h>
#include <string.h>

#include "tests/test_support.h"
#include "workers/dem/dem.h"
#include "workers/dem/dem_flatten.h"

// detectors= of MANIFEST's line for case `name`, or -1.
static long manifest_detectors(const char *dir, const char *name) {
    qp_test_vector_case cases[64];
    int n = qp_test_read_manifest(dir, cases, 64);
    for (int i = 0; i < n; i++)
        if (strcmp(cases[i].name, name) == 0 && cases[i].detectors != QP_TEST_ABSENT) return (long)cases[i].detectors;
    return -1;
}

static int ends_with(const char *s, const char *suffix) {
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

static void check_dir(const char *dir) {
    DIR *dd = opendir(dir);
    cr_assert(dd, "cannot open %s", dir);
    struct dirent *e;
    int count = 0;
    while ((e = readdir(dd))) {
        if (!ends_with(e->d_name, ".dem")) continue;
        char path[4096], name[512];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        snprintf(name, sizeof name, "%s", e->d_name);
        snprintf(name, sizeof name, "%s", e->d_name);
        name[strlen(name) - (ends_with(name, ".nodecomp.dem") ? 13 : 4)] = 0;
        qp_dem d;
        qp_err err = {{0}};
        cr_assert_eq(qp_dem_parse_file(&d, path, &err), 0, "%s: %s", path, err.msg);
        long want = manifest_detectors(dir, name);
        cr_assert_geq(want, 0, "no MANIFEST line for %s", name);
        cr_expect_eq((long)d.num_detectors, want, "%s: %lu detectors, MANIFEST says %ld", path,
                     (unsigned long)d.num_detectors, want);
        cr_expect_eq(d.num_observables, 1);
        char *original = qp_test_read_file(path, NULL);
        char *written = qp_dem_to_string(&d, &err);
        cr_assert(written);
        cr_expect_str_eq(written, original, "%s: written text differs from Stim's", path);
        qp_dem again;
        cr_assert_eq(qp_dem_parse(&again, written, "again", &err), 0, "%s", err.msg);
        char *twice = qp_dem_to_string(&again, &err);
        cr_expect_str_eq(twice, written);
        free(twice);
        free(written);
        free(original);
        qp_dem_free(&again);
        qp_dem_free(&d);
        count++;
    }
    closedir(dd);
    cr_assert_gt(count, 0, "no .dem files in %s", dir);
}

Test(dem_parse, shipped_data_parses_and_round_trips) { check_dir(qp_test_data_dir()); }

Test(dem_parse, all_vectors_parse_and_round_trip) {
    QP_TEST_NEED_VECTORS(dir);
    check_dir(dir);
}

Test(dem_parse, nested_repeat_and_shift_count_detectors) {
    const char *text =
        "# comment\n"
        "error(0.125) D0 D1 ^ D2 L1\n"
        "repeat 3 {\n"
        "    repeat 2 {\n"
        "        error(0.5) D1\n"
        "        shift_detectors(0, 1) 2\n"
        "    }\n"
        "    detector[tagged](1, 2) D0\n"
        "    shift_detectors 1\n"
        "}\n"
        "logical_observable L4\n";
    qp_dem d;
    qp_err err = {{0}};
    cr_assert_eq(qp_dem_parse(&d, text, "t.dem", &err), 0, "%s", err.msg);
    // Passes shift by 5 each; the last pass starts at 10: inner error D1 at 10+1, 10+3;
    // detector D0 at 10+4 = 14 → 15 detectors.
    cr_expect_eq(d.num_detectors, 15);
    cr_expect_eq(d.num_observables, 5);
    cr_expect_str_eq(d.top.instrs[1].body->instrs[1].tag, "tagged");
    qp_dem_flat f;
    cr_assert_eq(qp_dem_flatten(&d, &f, 0, &err), 0, "%s", err.msg);
    cr_expect_eq(f.num_mechs, 7);
    cr_expect_eq(f.mechs[0].num_comps, 2);
    cr_expect_eq(f.mechs[0].num_dets, 3);
    cr_expect_eq(f.mechs[0].observables, 2);
    cr_expect_eq(f.mechs[6].num_dets, 1);
    cr_expect_eq(f.dets[f.mechs[6].first_det], 13);
    // Detector 14 (third pass's D0): coords (1, 2) + shift (0, 6).
    cr_expect_eq(f.coord_start[15] - f.coord_start[14], 2);
    cr_expect_float_eq(f.coords[f.coord_start[14] + 1], 8.0, 1e-12);
    cr_expect_float_eq(f.coords[f.coord_start[14]], 1.0, 1e-12);
    cr_expect_eq(f.coord_start[1] - f.coord_start[0], 0);
    qp_dem_flat_free(&f);
    qp_dem_free(&d);
}

// A repeat block that only shifts is applied at once, with the same result as unrolling (a
// fuzzer's `repeat 10^15` of shifts hung flattening; such a block is now refused by the parser,
// test unrolled_size_is_bounded, but 10^5 passes are allowed).
Test(dem_parse, flatten_repeat_of_shifts_at_once) {
    // 10^5 passes shifting coordinates only.
    const char *text = "error(0.1) D0\n"
                       "repeat 100000 {\n  shift_detectors(0, 2) 0\n  repeat 2 {\n    shift_detectors(1) 0\n  }\n}\n"
                       "detector(1, 1) D0\nerror(0.2) D0 D1\n";
    qp_dem d;
    qp_err err = {{0}};
    cr_assert_eq(qp_dem_parse(&d, text, "t.dem", &err), 0, "%s", err.msg);
    qp_dem_flat f;
    cr_assert_eq(qp_dem_flatten(&d, &f, 0, &err), 0, "%s", err.msg);
    cr_expect_eq(f.num_mechs, 2);
    cr_expect_eq(f.dets[f.mechs[1].first_det + 1], 1);
    cr_expect_eq(f.coord_start[1] - f.coord_start[0], 2);
    cr_expect_float_eq(f.coords[f.coord_start[0]], 1 + 2e5, 1e-6);
    cr_expect_float_eq(f.coords[f.coord_start[0] + 1], 1 + 2e5, 1e-6);
    qp_dem_flat_free(&f);
    qp_dem_free(&d);
    // The same model with 4 passes unrolled by hand gives what the closed form gives.
    const char *small = "repeat 4 {\n  shift_detectors(0, 2) 3\n  repeat 2 {\n    shift_detectors 1\n  }\n}\n"
                        "detector(1, 1) D0\n";
    cr_assert_eq(qp_dem_parse(&d, small, "t.dem", &err), 0, "%s", err.msg);
    cr_assert_eq(qp_dem_flatten(&d, &f, 0, &err), 0, "%s", err.msg);
    cr_expect_eq(d.num_detectors, 21);
    cr_expect_float_eq(f.coords[f.coord_start[20] + 1], 9.0, 1e-12);
    qp_dem_flat_free(&f);
    qp_dem_free(&d);
}

static void expect_error(const char *text, const char *want) {
    qp_dem d;
    qp_err err = {{0}};
    cr_expect_eq(qp_dem_parse(&d, text, "bad.dem", &err), -1, "accepted: %s", text);
    cr_expect(strstr(err.msg, want) != NULL, "for %s got '%s', want '%s'", text, err.msg, want);
    cr_expect(strchr(err.msg, '\n') == NULL);
}

// Repeat blocks may unroll to 256 instructions per detector + 10^6 (qp_dem_unroll_limit): the
// fuzzer's and the audit's hostile models are refused at parse, naming the block, before any
// consumer (matching graph, DEM sampler, flattening, windows) walks them. Without the rule these
// parse, and decoding or sampling them runs for hours (CLI: tests/cli/test_dem_hostile.sh).
Test(dem_parse, unrolled_size_is_bounded) {
    // Bodies that do no work: only shifts, nothing, an observable, detector declarations.
    expect_error("error(0.1) D0\nrepeat 1000000000000000 {\n    shift_detectors 1\n}\n",
                 "bad.dem:2:1: repeat block unrolls to 2000000000000000 instructions; a model of 1 detectors");
    expect_error("error(0.1) D0\nrepeat 1000000000000000 {\n}\n", "bad.dem:2:1: repeat block unrolls to 1000000000000000 ");
    expect_error("error(0.1) D0\nrepeat 1000000000000000 {\n    logical_observable L0\n}\n", "bad.dem:2:1: repeat block");
    expect_error("repeat 1000000000000000 {\n    detector D0\n}\n", "bad.dem:1:1: repeat block");
    // Work far beyond the model's size: 10^15 copies of one mechanism.
    expect_error("error(0.1) D0\nrepeat 1000000000000000 {\n    error(0.1) D0\n}\n", "bad.dem:2:1: repeat block");
    // Counts whose product overflows 64 bits: the innermost block past the limit by itself is named.
    expect_error("error(0.1) D0\nrepeat 100000 {\n repeat 100000 {\n  repeat 100000 {\n   repeat 100000 {\n"
                 "    error(0.1) D0\n   }\n  }\n }\n}\n",
                 "bad.dem:4:1: repeat block unrolls to 20000100000 instructions");
    expect_error("error(0.1) D0\nrepeat 18446744073709551615 {\n    error(0.1) D0\n}\n",
                 "bad.dem:2:1: repeat block unrolls to at least 18446744073709551615 instructions");
    // Blocks each within the limit whose sum is not: the one that passes it is named.
    expect_error("repeat 600000 {\n}\nrepeat 600000 {\n}\n", "bad.dem:3:1: repeat block");
    // The limit exactly: D0 makes 1 detector, so 2 * 256 + 10^6 = 1000512 instructions (2 a pass).
    qp_dem d;
    qp_err err = {{0}};
    cr_expect_eq(qp_dem_unroll_limit(1), 1000512);
    cr_expect_eq(qp_dem_unroll_limit(UINT64_MAX), 1ull << 62);
    cr_expect_eq(qp_dem_parse(&d, "error(0.1) D0\nrepeat 500256 {\n    logical_observable L0\n}\n", "ok.dem", &err), 0,
                 "%s", err.msg);
    qp_dem_free(&d);
    expect_error("error(0.1) D0\nrepeat 500257 {\n    logical_observable L0\n}\n", "bad.dem:2:1: repeat block");
}

// Long real models are far inside the limit (about 25 per detector): a folded 10,000-round d=5 model.
Test(dem_parse, long_vector_within_the_unroll_limit) {
    QP_TEST_NEED_VECTORS(dir);
    char path[4096];
    snprintf(path, sizeof path, "%s/long/surface_x_d5_r10000_p0.001.dem", dir);
    qp_dem d;
    qp_err err;
    cr_assert_eq(qp_dem_parse_file(&d, path, &err), 0, "%s", err.msg);
    cr_expect_eq(d.num_detectors, 240000u);
    qp_dem_free(&d);
}

// Flattening lays coordinates out per detector: a model of 2^61 + 1 detectors (one error) made
// its (detectors + 1) * 8 bytes wrap to 8 and the layout wrote past them; now one clear error.
Test(dem_parse, flatten_refuses_2_to_the_32_detectors) {
    qp_dem d;
    qp_dem_flat f;
    qp_err err = {{0}};
    cr_assert_eq(qp_dem_parse(&d, "error(0.1) D2305843009213693952\n", "t.dem", &err), 0, "%s", err.msg);
    cr_expect_eq(qp_dem_flatten(&d, &f, 0, &err), -1);
    cr_expect(strstr(err.msg, "2305843009213693953 detectors; flattening supports fewer than 2^32"), "%s", err.msg);
    qp_dem_free(&d);
}

Test(dem_parse, malformed_input_names_line_and_column) {
    expect_error("error(0.1) D0\nerrr(0.1) D1\n", "bad.dem:2:1: unknown instruction 'errr'");
    expect_error("error(1.5) D0\n", "bad.dem:1:1:");
    expect_error("error(0.1) D0 ^ ^ D1\n", "bad.dem:1:17: misplaced");
    expect_error("error(0.1) ^ D1\n", "bad.dem:1:12:");
    expect_error("error(0.1) D0 ^\n", "bad.dem:1:");
    expect_error("error(0.1) D0 X3\n", "bad.dem:1:15: expected a target");
    expect_error("repeat 2 {\nerror(0.1) D0\n", "bad.dem:1:1: repeat block");
    expect_error("}\n", "bad.dem:1:1:");
    expect_error("error(0.1, 0.2) D0\n", "bad.dem:1:1:");
    expect_error("error(0.1 D0\n", "bad.dem:1:11:");
    expect_error("detector(1) L0\n", "bad.dem:1:13:");
    expect_error("shift_detectors D2\n", "bad.dem:1:17:");
    expect_error("repeat 0 {\n}\n", "bad.dem:1:8:");
    expect_error("error(0.1) D99999999999999999999999\n", "bad.dem:1:13: detector id too large");
    expect_error("error(0.1) D0D1\n", "bad.dem:1:14:");
}
