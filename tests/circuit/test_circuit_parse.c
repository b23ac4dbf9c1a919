// Parser and writer of Stim circuits: every reference circuit parses with the detector and
// observable counts of MANIFEST.txt, our writer reproduces Stim's own text (comments aside),
// write -> parse -> write is a fixed point, and malformed input fails with one line naming
// SOURCE:line:col and the offending gate.
#include <criterion/criterion.h>
#pragma GCC diagnostic ignored "-Wformat-truncation"
#include <stdlib.h>
#include <string.h>

#include "tests/test_support.h"
#include "workers/circuit/circuit.h"

// ---- helpers ----

static char *must_text(const qp_circuit *c) {
    qp_err err = {{0}};
    char *t = qp_circuit_to_text(c, &err);
    cr_assert(t != NULL, "write failed: %s", err.msg);
    return t;
}

// The file without comment lines (Stim's generator writes a commented header).
static char *strip_comment_lines(const char *text) {
    size_t n = strlen(text);
    char *out = malloc(n + 1);
    size_t o = 0;
    const char *p = text;
    while (*p) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p + 1) : strlen(p);
        const char *q = p;
        while (q < p + len && (*q == ' ' || *q == '\t')) q++;
        if (*q != '#') {
            memcpy(out + o, p, len);
            o += len;
        }
        p += len;
    }
    out[o] = 0;
    return out;
}

// NAME and the detectors=/observables= fields of every case line in MANIFEST.txt.
static int read_manifest(const char *dir, qp_test_vector_case *cases, int max_cases) {
    int n = qp_test_read_manifest(dir, cases, max_cases);
    cr_assert(n >= 0, "cannot read %s/MANIFEST.txt", dir);
    for (int i = 0; i < n; i++)
        cr_assert(cases[i].detectors != QP_TEST_ABSENT && cases[i].observables != QP_TEST_ABSENT,
                  "manifest line for %s lacks detectors/observables", cases[i].name);
    return n;
}

static void check_vector_dir(const char *dir, int *checked) {
    qp_test_vector_case cases[64];
    int n = read_manifest(dir, cases, 64);
    for (int i = 0; i < n; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s.stim", dir, cases[i].name);
        char *text = qp_test_read_file(path, NULL);
        if (!text) continue;  // tests/data holds a subset of the manifest's cases
        qp_circuit c;
        qp_err err = {{0}};
        cr_assert_eq(qp_circuit_parse(&c, text, path, &err), 0, "%s", err.msg);
        cr_expect_eq(c.num_detectors, (uint64_t)cases[i].detectors, "%s: %llu detectors, manifest says %llu",
                     cases[i].name, (unsigned long long)c.num_detectors, (unsigned long long)cases[i].detectors);
        cr_expect_eq(c.num_observables, (uint32_t)cases[i].observables, "%s: observables", cases[i].name);
        cr_expect(c.num_qubits > 0 && c.max_lookback > 0, "%s: derived totals", cases[i].name);

        // Our writer reproduces Stim's text exactly (comments aside).
        char *ours = must_text(&c);
        char *theirs = strip_comment_lines(text);
        cr_expect_str_eq(ours, theirs, "%s: written text differs from Stim's", cases[i].name);

        // write -> parse -> write is a fixed point.
        qp_circuit c2;
        cr_assert_eq(qp_circuit_parse(&c2, ours, "rewritten", &err), 0, "%s", err.msg);
        char *again = must_text(&c2);
        cr_expect_str_eq(again, ours, "%s: write/parse/write is not a fixed point", cases[i].name);
        cr_expect_eq(c2.num_measurements, c.num_measurements);
        free(again);
        free(ours);
        free(theirs);
        free(text);
        qp_circuit_free(&c2);
        qp_circuit_free(&c);
        (*checked)++;
    }
}

Test(circuit_parse, shipped_vectors_parse_and_match_manifest) {
    int checked = 0;
    check_vector_dir(qp_test_data_dir(), &checked);
    cr_assert_geq(checked, 3, "expected the 3 shipped circuits in tests/data, checked %d", checked);
}

Test(circuit_parse, all_shared_vectors_parse_and_match_manifest) {
    QP_TEST_NEED_VECTORS(dir);
    int checked = 0;
    check_vector_dir(dir, &checked);
    cr_assert_geq(checked, 19, "expected all 19 vector circuits, checked %d", checked);
}

Test(circuit_parse, long_experiment_totals) {
    QP_TEST_NEED_VECTORS(dir);
    char path[1024];
    snprintf(path, sizeof path, "%s/surface_x_d5_r1000_p0.003.stim", dir);
    qp_circuit c;
    qp_err err;
    cr_assert_eq(qp_circuit_parse_file(&c, path, &err), 0, "%s", err.msg);
    // d=5: 24 stabilizers per round, 1000 rounds, then 25 data measurements.
    cr_expect_eq(c.num_measurements, 24u * 1000 + 25);
    cr_expect_eq(c.num_detectors, 24000u);
    cr_expect_eq(c.num_qubits, 1 + 63u, "largest qubit index in the d=5 layout is 63, got %u", c.num_qubits);
    qp_circuit_free(&c);
}

// ---- syntax coverage ----

Test(circuit_parse, aliases_case_tags_inversion_and_args) {
    const char *text =
        "# comment line\n"
        "  qubit_coords(0.5, -1) 0   # trailing comment\n"
        "cnot 0 1 ZCX 2 3\n";
    qp_circuit c;
    qp_err err;
    // "ZCX 2 3" on the same line is not valid (one instruction per line): it is read as targets.
    cr_assert_neq(qp_circuit_parse(&c, text, "t", &err), 0);
    cr_assert(strstr(err.msg, "t:3:") == err.msg, "%s", err.msg);

    text =
        "# comment line\n"
        "  qubit_coords(0.5, -1) 0   # trailing comment\n"
        "cnot 0 1\r\n"
        "ZCX 2 3\n"
        "zcz 0 1\n"
        "ZCY 1 2\n"
        "MZ !0 1\n"
        "rz 0\n"
        "MRZ 2\n"
        "SQRT_Z 0\n"
        "sqrt_z_dag 0\n"
        "H_XZ 1\n"
        "M(0.01) !3\n"
        "X_ERROR[my tag](0.125) 0 1\n"
        "PAULI_CHANNEL_1(0.1, 0.2, 0.3) 2\n"
        "PAULI_CHANNEL_2(0.01,0.01,0.01,0.01,0.01,0.01,0.01,0.01,0.01,0.01,0.01,0.01,0.01,0.01,0.01) 0 1\n"
        "REPEAT[outer] 3 {\n"
        "  REPEAT 2 {\n"
        "    MR 0 1\n"
        "    DETECTOR(1, 2, 3) rec[-1] rec[-3]\n"
        "  }\n"
        "  SHIFT_COORDS(0, 0, 1)\n"
        "}\n"
        "OBSERVABLE_INCLUDE(2) rec[-1]\n"
        "TICK\n";
    cr_assert_eq(qp_circuit_parse(&c, text, "t", &err), 0, "%s", err.msg);
    cr_expect_eq(c.top.instrs[1].gate, QP_GATE_CX);
    cr_expect_eq(c.top.instrs[2].gate, QP_GATE_CX);
    cr_expect_eq(c.top.instrs[3].gate, QP_GATE_CZ);
    cr_expect_eq(c.top.instrs[4].gate, QP_GATE_CY);
    cr_expect_eq(c.top.instrs[5].gate, QP_GATE_M);
    cr_expect_eq(c.top.instrs[5].targets[0], 0 | QP_TARGET_INVERTED);
    cr_expect_eq(c.top.instrs[6].gate, QP_GATE_R);
    cr_expect_eq(c.top.instrs[7].gate, QP_GATE_MR);
    cr_expect_eq(c.top.instrs[8].gate, QP_GATE_S);
    cr_expect_eq(c.top.instrs[9].gate, QP_GATE_S_DAG);
    cr_expect_eq(c.top.instrs[10].gate, QP_GATE_H);
    cr_expect_eq(c.top.instrs[11].num_args, 1u);
    cr_expect_eq(c.top.instrs[11].args[0], 0.01);
    cr_expect_str_eq(c.top.instrs[12].tag, "my tag");
    cr_expect_eq(c.top.instrs[12].line, 14u);
    const qp_instr *rep = &c.top.instrs[15];
    cr_assert_eq(rep->gate, QP_GATE_REPEAT);
    cr_expect_eq(rep->repeat_count, 3u);
    cr_expect_str_eq(rep->tag, "outer");
    cr_assert_eq(rep->body->num_instrs, 2u);
    cr_expect_eq(rep->body->instrs[0].repeat_count, 2u);
    cr_expect_eq(rep->body->instrs[0].body->instrs[1].targets[1], 3u | QP_TARGET_REC);
    // Measurements: MZ 2 + MRZ 1 + M 1 + 3*2*2 = 16; detectors 3*2 = 6; observables 3.
    cr_expect_eq(c.num_measurements, 16u);
    cr_expect_eq(c.num_detectors, 6u);
    cr_expect_eq(c.num_observables, 3u);
    cr_expect_eq(c.num_qubits, 4u);
    cr_expect_eq(c.max_lookback, 3u);

    char *t1 = must_text(&c);
    cr_expect(strstr(t1, "X_ERROR[my tag](0.125) 0 1\n") != NULL, "%s", t1);
    cr_expect(strstr(t1, "REPEAT[outer] 3 {\n    REPEAT 2 {\n        MR 0 1\n") != NULL, "%s", t1);
    cr_expect(strstr(t1, "M(0.01) !3\n") != NULL, "%s", t1);
    cr_expect(strstr(t1, "QUBIT_COORDS(0.5, -1) 0\n") != NULL, "%s", t1);
    qp_circuit c2;
    cr_assert_eq(qp_circuit_parse(&c2, t1, "t1", &err), 0, "%s", err.msg);
    char *t2 = must_text(&c2);
    cr_expect_str_eq(t1, t2);
    free(t1);
    free(t2);
    qp_circuit_free(&c2);
    qp_circuit_free(&c);
}

Test(circuit_parse, probabilities_round_trip_exactly) {
    const double ps[] = {0.1, 1.0 / 3.0, 1e-7, 0.123456789012345678, 2.5e-300, 0.999999999999};
    for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++) {
        qp_circuit c, c2;
        qp_circuit_init(&c);
        uint32_t t = 0;
        qp_block_append(&c.top, QP_GATE_DEPOLARIZE1, &ps[i], 1, &t, 1, NULL);
        qp_err err;
        cr_assert_eq(qp_circuit_finalize(&c, &err), 0);
        char *text = must_text(&c);
        cr_assert_eq(qp_circuit_parse(&c2, text, "rt", &err), 0, "%s", err.msg);
        cr_expect_eq(c2.top.instrs[0].args[0], ps[i], "%.17g came back as %.17g (%s)", ps[i],
                     c2.top.instrs[0].args[0], text);
        free(text);
        qp_circuit_free(&c);
        qp_circuit_free(&c2);
    }
}

Test(circuit_parse, strip_noise_removes_every_channel) {
    const char *text =
        "R 0 1\nX_ERROR(0.1) 0 1\nREPEAT 4 {\n DEPOLARIZE2(0.01) 0 1\n CX 0 1\n"
        " PAULI_CHANNEL_1(0.1,0,0) 1\n M(0.2) 1\n DETECTOR rec[-1]\n}\nMX(0.3) 0\n";
    qp_circuit c;
    qp_err err;
    cr_assert_eq(qp_circuit_parse(&c, text, "t", &err), 0, "%s", err.msg);
    qp_circuit_strip_noise(&c);
    cr_assert_eq(qp_circuit_finalize(&c, &err), 0, "%s", err.msg);
    char *t = must_text(&c);
    cr_expect_str_eq(t, "R 0 1\nREPEAT 4 {\n    CX 0 1\n    M 1\n    DETECTOR rec[-1]\n}\nMX 0\n");
    cr_expect_eq(c.num_measurements, 5u);
    free(t);
    qp_circuit_free(&c);
}

Test(circuit_parse, copy_is_deep) {
    const char *text = "R 0\nREPEAT 2 {\n M 0\n DETECTOR(1) rec[-1]\n}\n";
    qp_circuit a, b;
    qp_err err;
    cr_assert_eq(qp_circuit_parse(&a, text, "t", &err), 0, "%s", err.msg);
    qp_circuit_copy(&b, &a);
    char *ta = must_text(&a);
    qp_circuit_free(&a);
    char *tb = must_text(&b);
    cr_expect_str_eq(ta, tb);
    cr_expect_eq(b.num_detectors, 2u);
    free(ta);
    free(tb);
    qp_circuit_free(&b);
}

// ---- errors ----

static void expect_error(const char *text, const char *want_prefix, const char *want_substring) {
    qp_circuit c;
    qp_err err = {{0}};
    int rc = qp_circuit_parse(&c, text, "bad.stim", &err);
    cr_assert_neq(rc, 0, "parse of <<%s>> should fail", text);
    cr_expect(strncmp(err.msg, want_prefix, strlen(want_prefix)) == 0, "error '%s' should start with '%s'",
              err.msg, want_prefix);
    cr_expect(strstr(err.msg, want_substring) != NULL, "error '%s' should mention '%s'", err.msg,
              want_substring);
    cr_expect(strchr(err.msg, '\n') == NULL, "error must be one line: '%s'", err.msg);
    cr_expect_eq(c.top.num_instrs, 0u, "circuit left non-empty after a failed parse");
    qp_circuit_free(&c);
}

Test(circuit_parse, errors_name_line_column_and_gate) {
    expect_error("H 0\n  FOO 1 2\n", "bad.stim:2:3:", "unknown gate 'FOO'");
    expect_error("MPP X0*X1 0\n", "bad.stim:1:11:", "MPP takes Pauli targets");
    expect_error("MPP X0**X1\n", "bad.stim:1:1:", "'*' must join two Pauli terms");
    expect_error("MPP X0*X0\n", "bad.stim:1:1:", "appears twice");
    expect_error("H X0\n", "bad.stim:1:3:", "H does not accept Pauli targets");
    expect_error("M 0\nH rec[-1]\n", "bad.stim:2:3:", "H does not accept measurement record targets");
    expect_error("M 0\nCX 0 rec[-1]\n", "bad.stim:2:1:", "can only be the control");
    expect_error("MPAD 2\n", "bad.stim:1:1:", "MPAD targets are results 0 or 1");
    expect_error("DEPOLARIZE1 0\n", "bad.stim:1:1:", "DEPOLARIZE1 takes exactly 1 argument, got 0");
    expect_error("DEPOLARIZE1(0.1, 0.2) 0\n", "bad.stim:1:1:", "got 2");
    expect_error("R 0\nDEPOLARIZE2(1.5) 0 1\n", "bad.stim:2:1:", "not in [0, 1]");
    expect_error("X_ERROR(-0.1) 0\n", "bad.stim:1:1:", "not in [0, 1]");
    expect_error("PAULI_CHANNEL_1(0.5, 0.4, 0.3) 0\n", "bad.stim:1:1:", "sum");
    expect_error("PAULI_CHANNEL_1(0.1, 0.1) 0\n", "bad.stim:1:1:", "exactly 3 arguments");
    expect_error("PAULI_CHANNEL_2(0.1) 0 1\n", "bad.stim:1:1:", "exactly 15 arguments");
    expect_error("CX 0 1 2\n", "bad.stim:1:1:", "even number of targets");
    expect_error("CZ 3 3\n", "bad.stim:1:1:", "same qubit");
    expect_error("M 0\nH rec[-1]\n", "bad.stim:2:3:", "H does not accept measurement record targets");
    expect_error("H !0\n", "bad.stim:1:3:", "inverted");
    expect_error("M 0\nDETECTOR 0\n", "bad.stim:2:10:", "only accepts rec");
    expect_error("M 0 1\nDETECTOR rec[-3]\n", "bad.stim:2:10:", "before the first measurement");
    expect_error("M 0\nDETECTOR rec[-0]\n", "bad.stim:2:10:", "rec[-0]");
    expect_error("M 0\nDETECTOR rec[-1\n", "bad.stim:2:16:", "']'");
    // Inside a REPEAT the first iteration decides: 1 measurement before + 1 in the body.
    expect_error("M 0\nREPEAT 5 {\n  M 0\n  DETECTOR rec[-3]\n}\n", "bad.stim:4:12:", "before the first measurement");
    expect_error("REPEAT 2 {\n  H 0\n", "bad.stim:", "unterminated REPEAT");
    expect_error("H 0\n}\n", "bad.stim:2:1:", "without an open REPEAT");
    expect_error("REPEAT 0 {\n}\n", "bad.stim:1:1:", "at least 1");
    expect_error("REPEAT 2\nH 0\n", "bad.stim:1:9:", "'{'");
    expect_error("M(0.1 0\n", "bad.stim:1:7:", "expected ','");
    expect_error("X_ERROR(abc) 0\n", "bad.stim:1:9:", "expected a number");
    expect_error("X_ERROR(1e) 0\n", "bad.stim:1:9:", "invalid number");
    expect_error("H 0 x1\n", "bad.stim:1:5:", "unexpected 'x'");
    expect_error("H 01a\n", "bad.stim:1:5:", "unexpected 'a'");
    expect_error("H 99999999999\n", "bad.stim:1:3:", "too large");
    expect_error("TICK 0\n", "bad.stim:1:6:", "TICK takes no targets");
    expect_error("H[unterminated 0\n", "bad.stim:1:2:", "unterminated tag");
    expect_error("M 0\nOBSERVABLE_INCLUDE(0.5) rec[-1]\n", "bad.stim:2:1:", "not an integer");
    expect_error("M 0\nOBSERVABLE_INCLUDE rec[-1]\n", "bad.stim:2:1:", "exactly 1 argument");
    expect_error("H(0.1) 0\n", "bad.stim:1:1:", "takes no arguments");
    expect_error("M(0.1, 0.2) 0\n", "bad.stim:1:1:", "at most 1 argument");
    expect_error("@ 0\n", "bad.stim:1:1:", "unexpected '@'");
}

Test(circuit_parse, embedded_nul_is_an_error) {
    const char text[] = "H 0\nX\0 1\n";
    qp_circuit c;
    qp_err err;
    cr_assert_neq(qp_circuit_parse_buffer(&c, text, sizeof text - 1, "nul", &err), 0);
    cr_expect(strncmp(err.msg, "nul:2:2:", 8) == 0, "%s", err.msg);
}

Test(circuit_parse, finalize_rejects_generated_bad_lookback) {
    qp_circuit c;
    qp_circuit_init(&c);
    uint32_t q = 0, r = 2 | QP_TARGET_REC;
    qp_block_append(&c.top, QP_GATE_M, NULL, 0, &q, 1, NULL);
    qp_instr *rep = qp_block_append_repeat(&c.top, 10, NULL);
    qp_block_append(rep->body, QP_GATE_DETECTOR, NULL, 0, &r, 1, NULL);
    qp_block_append(rep->body, QP_GATE_M, NULL, 0, &q, 1, NULL);
    qp_err err;
    cr_assert_neq(qp_circuit_finalize(&c, &err), 0);
    cr_expect(strstr(err.msg, "rec[-2]") != NULL, "%s", err.msg);
    // Moving the detector after the body's measurement makes rec[-2] valid.
    rep->body->instrs[0].gate = QP_GATE_M;
    rep->body->instrs[0].targets[0] = 0;
    rep->body->instrs[1].gate = QP_GATE_DETECTOR;
    rep->body->instrs[1].targets[0] = r;
    cr_assert_eq(qp_circuit_finalize(&c, &err), 0, "%s", err.msg);
    cr_expect_eq(c.num_measurements, 11u);
    cr_expect_eq(c.num_detectors, 10u);
    qp_circuit_free(&c);
}

Test(circuit_parse, gate_lookup) {
    cr_expect_eq(qp_gate_from_name("cx", 2), QP_GATE_CX);
    cr_expect_eq(qp_gate_from_name("CNOTX", 4), QP_GATE_CX, "length-limited lookup");
    cr_expect_eq(qp_gate_from_name("Depolarize2", 11), QP_GATE_DEPOLARIZE2);
    cr_expect_eq(qp_gate_from_name("MPP", 3), QP_GATE_MPP);
    cr_expect_eq(qp_gate_from_name("correlated_error", 16), QP_GATE_E);
    cr_expect_eq(qp_gate_from_name("SWAPCZ", 6), QP_GATE_CZSWAP);
    cr_expect_eq(qp_gate_from_name("MPQ", 3), -1);
    cr_expect_eq(qp_gate_from_name("", 0), -1);
    for (int g = 0; g < QP_GATE_COUNT; g++) {
        const char *n = qp_gate_table[g].name;
        cr_assert(n != NULL, "gate %d has no name", g);
        cr_expect_eq(qp_gate_from_name(n, strlen(n)), g, "%s", n);
    }
}

// The unroll limit: a circuit's REPEAT blocks may unroll to 256 instructions per measurement or
// detector + 10^6 (qp_circuit_unroll_limit). With 1 measurement and 1 detector that is 1000512:
// `REPEAT N { TICK }` unrolls to 2N (its own line once per pass), so N = 500256 passes and one
// more is refused, naming the block.
static char *tick_circuit(uint64_t n) {
    char *t = malloc(128);
    snprintf(t, 128, "M 0\nDETECTOR rec[-1]\nREPEAT %llu {\n  TICK\n}\n", (unsigned long long)n);
    return t;
}

Test(circuit_parse, repeat_unroll_limit_exactly) {
    cr_expect_eq(qp_circuit_unroll_limit(1, 1), 1000512u);
    cr_expect_eq(qp_circuit_unroll_limit(UINT64_MAX, 1), UINT64_MAX, "saturates");
    qp_circuit c;
    qp_err err;
    char *ok = tick_circuit(500256), *bad = tick_circuit(500257);
    cr_expect_eq(qp_circuit_parse(&c, ok, "ok.stim", &err), 0, "%s", err.msg);
    qp_circuit_free(&c);
    expect_error(bad, "bad.stim: line 3: ", "REPEAT block unrolls to 1000514 instructions; a circuit of 1 measurements and 1 detectors may unroll to at most 1000512");
    free(ok);
    free(bad);
}

Test(circuit_parse, hostile_repeats_refused_naming_the_block) {
    expect_error("REPEAT 1000000000000000 {\n TICK\n}\n", "bad.stim: line 1: ", "unrolls to 2000000000000000 instructions");
    expect_error("M 0\nREPEAT 1000000000000000 {\n}\n", "bad.stim: line 2: ", "unrolls to 1000000000000000 instructions");
    expect_error("M 0\nREPEAT 1000000000000000 {\n SHIFT_COORDS(1)\n}\nDETECTOR(0) rec[-1]\n", "bad.stim: line 2: ", "unrolls to");
    expect_error("M 0\nREPEAT 1000000000000000 {\n X_ERROR(0.1) 0\n H 0\n}\n", "bad.stim: line 2: ", "unrolls to 3000000000000000");
    // Nested: the innermost block that passes the limit by itself is named; counts saturate.
    expect_error("M 0\nREPEAT 3 {\n REPEAT 18446744073709551615 {\n  REPEAT 18446744073709551615 {\n   TICK\n  }\n }\n}\n",
                 "bad.stim: line 4: ", "unrolls to at least 18446744073709551615 instructions");
    // Within the limit one by one, past it together: the top-level block where the sum passes.
    expect_error("M 0\nREPEAT 400000 {\n TICK\n}\nREPEAT 400000 {\n TICK\n}\n", "bad.stim: line 5: ", "unrolls to 800000 instructions");
}

Test(circuit_parse, measurements_and_detectors_at_most_2_32_minus_1) {
    qp_circuit c;
    qp_err err;
    cr_assert_eq(qp_circuit_parse(&c, "REPEAT 4294967295 {\n M 0\n}\n", "ok.stim", &err), 0, "%s", err.msg);
    cr_expect_eq(c.num_measurements, 4294967295u);
    qp_circuit_free(&c);
    expect_error("REPEAT 4294967296 {\n M 0\n}\n", "bad.stim: line 1: ", "reaches 4294967296 measurements here; at most 4294967295");
    expect_error("M 0\nREPEAT 1000000000000000 {\n DETECTOR rec[-1]\n}\n", "bad.stim: line 2: ", "reaches 1000000000000000 detectors");
}

// Real circuits are far inside the limit: 10,000 rounds of d=5 (the long vector) parse.
Test(circuit_parse, long_vector_within_the_unroll_limit) {
    QP_TEST_NEED_VECTORS(dir);
    char path[4096];
    snprintf(path, sizeof path, "%s/long/surface_x_d5_r10000_p0.001.stim", dir);
    qp_circuit c;
    qp_err err;
    cr_assert_eq(qp_circuit_parse_file(&c, path, &err), 0, "%s", err.msg);
    cr_expect_eq(c.num_detectors, 240000u);
    qp_circuit_free(&c);
}
