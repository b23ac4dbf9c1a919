// The repetition-code generator: its circuit is `stim gen --code repetition_code --task memory`'s
// text (comments aside) for the vectors' case (d=7, r=20, all knobs 0.002), and its shape
// (qubits, measurements, detectors, noise-free when p = 0) holds for small cases.
#include <criterion/criterion.h>
#include <string.h>

#include "tests/test_support.h"
#include "workers/circuit/repetition_code.h"

// The file without its comment lines.
static char *strip_comments(const char *text) {
    char *out = malloc(strlen(text) + 1), *w = out;
    for (const char *p = text; *p;) {
        const char *e = strchr(p, '\n');
        size_t n = e ? (size_t)(e - p + 1) : strlen(p);
        if (*p != '#') memcpy(w, p, n), w += n;
        p += n;
    }
    *w = 0;
    return out;
}

Test(repetition_code, equals_stim_gen_text) {
    char path[4096];
    cr_assert_eq(qp_test_find("gates/gen_repetition_code_memory_d7_r20.stim", path, sizeof path), 0);
    char *stim = qp_test_read_file(path, NULL);
    cr_assert(stim != NULL);
    char *want = strip_comments(stim);
    qp_repetition_params p = qp_repetition_params_uniform(7, 20, 0.002);
    qp_circuit c;
    qp_err err;
    cr_assert_eq(qp_repetition_code_generate(&c, &p, &err), 0, "%s", err.msg);
    char *got = qp_circuit_to_text(&c, &err);
    cr_expect_str_eq(got, want);
    free(stim), free(want), free(got);
    qp_circuit_free(&c);
}

Test(repetition_code, shape_and_noiseless) {
    for (uint32_t d = 2; d <= 5; d++) {
        for (uint64_t r = 1; r <= 3; r++) {
            qp_repetition_params p = qp_repetition_params_uniform(d, r, 0);
            qp_circuit c;
            qp_err err;
            cr_assert_eq(qp_repetition_code_generate(&c, &p, &err), 0, "%s", err.msg);
            cr_expect_eq(c.num_qubits, 2 * d - 1);
            cr_expect_eq(c.num_measurements, r * (d - 1) + d);
            cr_expect_eq(c.num_detectors, (r + 1) * (d - 1));
            cr_expect_eq(c.num_observables, 1u);
            char *t = qp_circuit_to_text(&c, &err);
            cr_expect(!strstr(t, "ERROR") && !strstr(t, "DEPOLARIZE"), "p = 0 adds noise:\n%s", t);
            cr_expect_eq(strstr(t, "REPEAT") != NULL, r > 1);
            free(t);
            qp_circuit_free(&c);
        }
    }
    qp_repetition_params bad = qp_repetition_params_uniform(1, 3, 0.001);
    qp_circuit c;
    qp_err err;
    cr_expect_neq(qp_repetition_code_generate(&c, &bad, &err), 0);
    cr_expect(strstr(err.msg, "distance") != NULL, "%s", err.msg);
}
