// Tests of the YAML job config (pipeline/config): expansion of a full config into experiments,
// rounds expressions, one test per error class checking the file:line:column in the message
// (positions found independently by searching the YAML text), and that configs/*.yaml load.
#include <criterion/criterion.h>
#include <math.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/config/config.h"
#include "pipeline/config/expr.h"
#include "tests/test_support.h"

// "t.yaml:LINE:COL:" of the n-th (0-based) occurrence of `token` in `text`.
static void position_of(const char *text, const char *token, int nth, char *out, size_t cap) {
    const char *at = strstr(text, token);
    for (int i = 0; i < nth && at; i++) at = strstr(at + 1, token);
    cr_assert_not_null(at, "token '%s' not in test YAML", token);
    int line = 1, col = 1;
    for (const char *s = text; s < at; s++) {
        if (*s == '\n') line++, col = 1;
        else col++;
    }
    snprintf(out, cap, "t.yaml:%d:%d: ", line, col);
}

// Loading `yaml` fails with a message starting at the position of `token` and containing `needle`.
static void expect_error_at(const char *yaml, const char *token, int nth, const char *needle) {
    char prefix[64];
    position_of(yaml, token, nth, prefix, sizeof prefix);
    qp_config cfg;
    qp_err err = {{0}};
    int rc = qp_config_load_text(yaml, "t.yaml", &cfg, &err);
    cr_assert_eq(rc, -1, "expected an error containing '%s'", needle);
    cr_assert(strncmp(err.msg, prefix, strlen(prefix)) == 0, "expected prefix '%s', got: %s", prefix, err.msg);
    cr_assert_not_null(strstr(err.msg, needle), "expected '%s' in: %s", needle, err.msg);
    cr_assert_null(strchr(err.msg, '\n'), "error must be one line: %s", err.msg);
    cr_assert_eq(cfg.num_experiments, 0);
    cr_assert_null(cfg.text);
    cr_assert_null(cfg.experiments);
}

static void load_ok(const char *yaml, qp_config *cfg) {
    qp_err err = {{0}};
    int rc = qp_config_load_text(yaml, "t.yaml", cfg, &err);
    cr_assert_eq(rc, 0, "unexpected error: %s", err.msg);
}

static const char *const full_yaml =
    "# a full config\n"
    "job:\n"
    "  name: study-1\n"
    "  seed: 18446744073709551615\n"
    "  output: out/results.h5\n"
    "  store_samples: true\n"
    "  shots_per_task: 1_000\n"
    "train:\n"
    "  code: surface\n"
    "  distance: 5\n"
    "  rounds: 2*d+1\n"
    "  basis: x\n"
    "  noise: {model: si1000, p: 0.002}\n"
    "  steps: 500\n"
    "  warmup_steps: 50\n"
    "  hidden: 96\n"
    "  heads: 6\n"
    "  checkpoint: ckpt/m.h5\n"
    "experiments:\n"
    "  - code: surface\n"
    "    distance: [3, 5]\n"
    "    rounds: [d, \"3*d\"]\n"
    "    basis: [x, z]\n"
    "    noise:\n"
    "      model: uniform\n"
    "      p: [0.001, 1e-4]\n"
    "    decoders: [uf, mwpm]\n"
    "    max_shots: 1e6\n"
    "    max_errors: 100\n"
    "  - circuit: circuits/memory.stim\n"
    "    decoders: [mwpm-corr, nn]\n"
    "    max_shots: 5000\n"
    "    max_errors: ~\n"
    "  - circuit: /abs/google/circuit_noisy.stim\n"
    "    name: google_d3\n"
    "    decoders: nn\n"
    "    model: models/nn.h5\n"
    "    max_shots: 0x10\n"
    "redecode:\n"
    "  archive: archive\n"
    "  decoders: [mwpm, uf]\n"
    "  dem_by_parity: true\n";

Test(config, full_config_expands_to_expected_experiments) {
    qp_config cfg;
    qp_err err = {{0}};
    cr_assert_eq(qp_config_load_text(full_yaml, "configs/sub/t.yaml", &cfg, &err), 0, "%s", err.msg);
    cr_assert_str_eq(cfg.job.name, "study-1");
    cr_assert_eq(cfg.job.seed, UINT64_MAX);
    cr_assert_str_eq(cfg.job.output, "out/results.h5", "output paths stay relative to the working directory");
    cr_assert_eq(cfg.job.store, QP_KEEP_PREDICTIONS | QP_KEEP_SAMPLES, "store_samples: true still keeps samples");
    cr_assert_eq(cfg.job.shots_per_task, 1000);
    cr_assert_eq(cfg.job.stages, QP_STAGE_TRAIN | QP_STAGE_SIMULATE | QP_STAGE_DECODE | QP_STAGE_REDECODE |
                                     QP_STAGE_REPORT);

    // 2 distances x 2 rounds x 2 bases x 1 model x 2 p = 16, plus two circuit experiments.
    cr_assert_eq(cfg.num_experiments, 18);
    // Nesting order: basis, distance, rounds, model, p (outermost first).
    static const char *const names[16] = {
        "surface_x_d3_r3_uniform_p0.001", "surface_x_d3_r3_uniform_p0.0001", "surface_x_d3_r9_uniform_p0.001",
        "surface_x_d3_r9_uniform_p0.0001", "surface_x_d5_r5_uniform_p0.001", "surface_x_d5_r5_uniform_p0.0001",
        "surface_x_d5_r15_uniform_p0.001", "surface_x_d5_r15_uniform_p0.0001", "surface_z_d3_r3_uniform_p0.001",
        "surface_z_d3_r3_uniform_p0.0001", "surface_z_d3_r9_uniform_p0.001", "surface_z_d3_r9_uniform_p0.0001",
        "surface_z_d5_r5_uniform_p0.001", "surface_z_d5_r5_uniform_p0.0001", "surface_z_d5_r15_uniform_p0.001",
        "surface_z_d5_r15_uniform_p0.0001"};
    for (int i = 0; i < 16; i++) {
        const qp_experiment *e = &cfg.experiments[i];
        cr_assert_str_eq(e->name, names[i]);
        cr_assert_eq(e->code, QP_CODE_SURFACE);
        cr_assert_eq(e->basis, i < 8 ? QP_BASIS_X : QP_BASIS_Z);
        cr_assert_eq(e->distance, (i / 4) % 2 ? 5 : 3);
        cr_assert_eq(e->rounds, e->distance * ((i / 2) % 2 ? 3 : 1));
        cr_assert_eq(e->noise, QP_NOISE_UNIFORM);
        cr_assert_eq(e->p, i % 2 ? 1e-4 : 0.001);
        cr_assert_eq(e->decoders, QP_DECODER_BIT(QP_DEC_MWPM) | QP_DECODER_BIT(QP_DEC_UF));
        cr_assert_eq(e->max_shots, 1000000);
        cr_assert_eq(e->max_errors, 100);
        cr_assert_str_eq(e->circuit, "");
        cr_assert_str_eq(e->model, "");
        cr_assert_eq(e->entry, 0);
        cr_assert_eq(e->line, 20);
        cr_assert_eq(qp_config_find_experiment(&cfg, names[i]), i);
    }
    const qp_experiment *c1 = &cfg.experiments[16], *c2 = &cfg.experiments[17];
    cr_assert_str_eq(c1->name, "memory");
    cr_assert_eq(c1->code, QP_CODE_CIRCUIT);
    cr_assert_str_eq(c1->circuit, "configs/sub/circuits/memory.stim", "input paths resolve against the config's dir");
    cr_assert_eq(c1->decoders, QP_DECODER_BIT(QP_DEC_MWPM_CORR) | QP_DECODER_BIT(QP_DEC_NN));
    cr_assert_str_eq(c1->model, "ckpt/m.h5", "nn without model uses train.checkpoint");
    cr_assert_eq(c1->max_errors, UINT64_MAX, "a null value counts as absent");
    cr_assert_eq(c1->distance, 0);
    cr_assert_eq(c1->noise, QP_NOISE_NONE);
    cr_assert_str_eq(c2->name, "google_d3");
    cr_assert_str_eq(c2->circuit, "/abs/google/circuit_noisy.stim");
    cr_assert_str_eq(c2->model, "configs/sub/models/nn.h5");
    cr_assert_eq(c2->decoders, QP_DECODER_BIT(QP_DEC_NN));
    cr_assert_eq(c2->max_shots, 16);
    cr_assert_eq(c2->entry, 2);
    cr_assert_eq(c2->line, 34);

    // Streams are distinct per experiment and depend only on the name.
    for (int i = 0; i < cfg.num_experiments; i++)
        for (int j = 0; j < i; j++) cr_assert_neq(cfg.experiments[i].stream, cfg.experiments[j].stream);

    const qp_train_config *t = &cfg.train;
    cr_assert(t->present);
    cr_assert_eq(t->distance, 5);
    cr_assert_eq(t->rounds, 11);
    cr_assert_eq(t->data.basis, QP_BASIS_X);
    cr_assert_eq(t->data.noise, QP_NOISE_SI1000);
    cr_assert_eq(t->data.p, 0.002);
    cr_assert_str_eq(t->data.name, "surface_x_d5_r11_si1000_p0.002");
    cr_assert_eq(t->steps, 500);
    cr_assert_eq(t->warmup_steps, 50);
    cr_assert_eq(t->batch_size, 64, "default");
    cr_assert_eq(t->learning_rate, 1e-3, "default");
    cr_assert_eq(t->aux_weight, 0.5, "default");
    cr_assert_eq(t->hidden, 96);
    cr_assert_eq(t->heads, 6);
    cr_assert_eq(t->layers, 2, "default");
    cr_assert_str_eq(t->checkpoint, "ckpt/m.h5");
    cr_assert_str_eq(t->init, "");

    cr_assert(cfg.redecode.present);
    cr_assert_str_eq(cfg.redecode.archive, "configs/sub/archive");
    cr_assert_eq(cfg.redecode.decoders, QP_DECODER_BIT(QP_DEC_MWPM) | QP_DECODER_BIT(QP_DEC_UF));
    cr_assert(cfg.redecode.dem_by_parity);
    cr_assert_str_eq(cfg.redecode.dem_name, "");

    cr_assert_str_eq(cfg.text, full_yaml, "the raw text is kept");
    cr_assert_eq(cfg.text_len, strlen(full_yaml));
    cr_assert_str_eq(cfg.source, "configs/sub/t.yaml");
    qp_config_free(&cfg);
    cr_assert_null(cfg.experiments);
    qp_config_free(&cfg);  // freeing twice is safe
}

Test(config, reloading_the_text_gives_identical_structs) {
    // What ranks do: broadcast text + source, load again; results must be byte-identical.
    qp_config a, b;
    qp_err err;
    cr_assert_eq(qp_config_load_text(full_yaml, "x/t.yaml", &a, &err), 0);
    cr_assert_eq(qp_config_load_text(a.text, a.source, &b, &err), 0);
    cr_assert_eq(a.num_experiments, b.num_experiments);
    cr_assert_eq(memcmp(a.experiments, b.experiments, sizeof(qp_experiment) * (size_t)a.num_experiments), 0);
    cr_assert_eq(memcmp(&a.job, &b.job, sizeof a.job), 0);
    cr_assert_eq(memcmp(&a.train, &b.train, sizeof a.train), 0);
    cr_assert_eq(memcmp(&a.redecode, &b.redecode, sizeof a.redecode), 0);
    qp_config_free(&a);
    qp_config_free(&b);
}

static const char *const minimal =
    "job:\n"
    "  name: t\n"
    "  seed: 1\n"
    "experiments:\n"
    "  - code: surface\n"
    "    distance: 3\n"
    "    basis: x\n"
    "    noise: {model: uniform, p: 0.001}\n"
    "    max_shots: 100\n";

Test(config, defaults) {
    qp_config cfg;
    load_ok(minimal, &cfg);
    cr_assert_str_eq(cfg.job.output, "results.h5");
    cr_assert_eq(cfg.job.store, QP_KEEP_PREDICTIONS, "per shot, only the predictions by default");
    cr_assert_eq(cfg.job.deflate, 0, "compression is off by default");
    cr_assert_eq(cfg.job.shots_per_task, 10000);
    cr_assert_eq(cfg.job.stages, QP_STAGE_SIMULATE | QP_STAGE_DECODE | QP_STAGE_REPORT);
    cr_assert_eq(cfg.num_experiments, 1);
    const qp_experiment *e = &cfg.experiments[0];
    cr_assert_str_eq(e->name, "surface_x_d3_r3_uniform_p0.001");
    cr_assert_eq(e->rounds, 3, "rounds defaults to d");
    cr_assert_eq(e->decoders, QP_DECODER_BIT(QP_DEC_MWPM));
    cr_assert_eq(e->max_errors, UINT64_MAX);
    cr_assert_not(cfg.train.present);
    cr_assert_not(cfg.redecode.present);
    qp_config_free(&cfg);
}

Test(config, experiment_names_print_p_exactly_and_briefly) {
    char buf[QP_CONFIG_NAME_MAX];
    qp_experiment_generated_name(QP_CODE_SURFACE, QP_BASIS_Z, 7, 21, QP_NOISE_SI1000, 0.003, buf, sizeof buf);
    cr_assert_str_eq(buf, "surface_z_d7_r21_si1000_p0.003");
    qp_experiment_generated_name(QP_CODE_SURFACE, QP_BASIS_X, 3, 3, QP_NOISE_UNIFORM, 1e-5, buf, sizeof buf);
    cr_assert_str_eq(buf, "surface_x_d3_r3_uniform_p1e-05");
    qp_experiment_generated_name(QP_CODE_SURFACE, QP_BASIS_X, 3, 3, QP_NOISE_UNIFORM, 0.00015, buf, sizeof buf);
    cr_assert_str_eq(buf, "surface_x_d3_r3_uniform_p0.00015");
    qp_experiment_generated_name(QP_CODE_SURFACE, QP_BASIS_X, 3, 3, QP_NOISE_UNIFORM, 0.1 + 0.2, buf, sizeof buf);
    cr_assert_str_eq(buf, "surface_x_d3_r3_uniform_p0.30000000000000004", "distinct doubles get distinct names");
}

Test(config, paths_resolve_against_the_config_directory) {
    const char *yaml = "job: {name: t, seed: 1}\n"
                       "experiments:\n"
                       "  - {circuit: a/b.stim, max_shots: 1}\n";
    qp_config cfg;
    qp_err err;
    cr_assert_eq(qp_config_load_text(yaml, "t.yaml", &cfg, &err), 0, "%s", err.msg);
    cr_assert_str_eq(cfg.experiments[0].circuit, "a/b.stim", "no directory in the name: as written");
    cr_assert_str_eq(cfg.experiments[0].name, "b");
    qp_config_free(&cfg);
    cr_assert_eq(qp_config_load_text(yaml, "/etc/t.yaml", &cfg, &err), 0, "%s", err.msg);
    cr_assert_str_eq(cfg.experiments[0].circuit, "/etc/a/b.stim");
    qp_config_free(&cfg);
    cr_assert_eq(qp_config_load_text(yaml, "/t.yaml", &cfg, &err), 0, "%s", err.msg);
    cr_assert_str_eq(cfg.experiments[0].circuit, "/a/b.stim");
    qp_config_free(&cfg);
}

// ---- rounds expressions ----

static int64_t eval_ok(const char *text, int64_t d) {
    int64_t v = -12345;
    qp_expr_error e;
    cr_assert_eq(qp_expr_eval(text, d, &v, &e), 0, "'%s': %s", text, e.msg);
    return v;
}

static void eval_fails(const char *text, int64_t d, size_t offset, const char *needle) {
    int64_t v;
    qp_expr_error e;
    cr_assert_eq(qp_expr_eval(text, d, &v, &e), -1, "'%s' should fail", text);
    cr_assert_eq(e.offset, offset, "'%s': offset %zu, expected %zu (%s)", text, e.offset, offset, e.msg);
    cr_assert_not_null(strstr(e.msg, needle), "'%s': '%s' not in '%s'", text, needle, e.msg);
}

Test(config, rounds_expressions_evaluate) {
    for (int64_t d = 3; d <= 25; d += 2) {
        cr_assert_eq(eval_ok("d", d), d);
        cr_assert_eq(eval_ok("3*d", d), 3 * d);
        cr_assert_eq(eval_ok("2*d+1", d), 2 * d + 1);
        cr_assert_eq(eval_ok(" 2 * ( d + 1 ) ", d), 2 * (d + 1));
        cr_assert_eq(eval_ok("(d+1)/2", d), (d + 1) / 2);
        cr_assert_eq(eval_ok("d*d-d/2", d), d * d - d / 2);
        cr_assert_eq(eval_ok("-d+100", d), 100 - d);
        cr_assert_eq(eval_ok("10-2-3", d), 5, "left associative");
        cr_assert_eq(eval_ok("100/10/5", d), 2, "left associative");
        cr_assert_eq(eval_ok("7", d), 7);
        cr_assert_eq(eval_ok("--d", d), d);
    }
    cr_assert_eq(eval_ok("-7/2", 3), -3, "division truncates toward zero");
}

Test(config, rounds_expression_errors_name_the_offset) {
    eval_fails("", 3, 0, "empty");
    eval_fails("d+", 3, 2, "ended");
    eval_fails("2*x", 3, 2, "only variable is d");
    eval_fails("dd", 3, 0, "only variable is d");
    eval_fails("(d+1", 3, 4, "expected ')'");
    eval_fails("d)", 3, 1, "unmatched ')'");
    eval_fails("d 3", 3, 2, "expected an operator");
    eval_fails("d/(d-3)", 3, 1, "division by zero");
    eval_fails("9223372036854775807+1", 3, 19, "overflow");
    eval_fails("99999999999999999999", 3, 0, "too large");
    eval_fails("d^2", 3, 1, "expected an operator");
    eval_fails("1.5*d", 3, 1, "expected an operator");
    char deep[400];
    memset(deep, '(', 200);
    deep[200] = 'd';
    memset(deep + 201, ')', 150);
    deep[351] = 0;
    int64_t v;
    qp_expr_error e;
    cr_assert_eq(qp_expr_eval(deep, 3, &v, &e), -1);
    cr_assert_not_null(strstr(e.msg, "nested too deeply"), "%s", e.msg);
}

Test(config, rounds_expressions_in_yaml) {
    const char *yaml = "job: {name: t, seed: 1}\n"
                       "experiments:\n"
                       "  - code: surface\n"
                       "    distance: [3, 7]\n"
                       "    rounds: [2*d+1, '(d+1)/2', 10]\n"
                       "    basis: z\n"
                       "    noise: {model: uniform, p: 0.01}\n"
                       "    max_shots: 1\n";
    qp_config cfg;
    load_ok(yaml, &cfg);
    cr_assert_eq(cfg.num_experiments, 6);
    int expect[6] = {7, 2, 10, 15, 4, 10};
    for (int i = 0; i < 6; i++) cr_assert_eq(cfg.experiments[i].rounds, expect[i], "experiment %d", i);
    qp_config_free(&cfg);
}

// ---- error classes, each with its line:column ----

// Decoding windows per experiment: window/commit in rounds, 0 when absent; commit needs a
// window and may not exceed it.
Test(config, window_and_commit) {
    const char *head = "job: {name: t, seed: 1}\nexperiments:\n"
                       "  - {code: surface, distance: 5, rounds: 1000, basis: x, noise: {model: si1000, p: 0.001}, "
                       "max_shots: 10";
    char yaml[512];
    qp_config cfg;
    snprintf(yaml, sizeof yaml, "%s, window: 60, commit: 20}\n", head);
    load_ok(yaml, &cfg);
    cr_expect_eq(cfg.experiments[0].window, 60);
    cr_expect_eq(cfg.experiments[0].commit, 20);
    qp_config_free(&cfg);
    snprintf(yaml, sizeof yaml, "%s}\n", head);
    load_ok(yaml, &cfg);
    cr_expect_eq(cfg.experiments[0].window, 0, "no window: the job decides (global for small models)");
    cr_expect_eq(cfg.experiments[0].commit, 0);
    qp_config_free(&cfg);
    snprintf(yaml, sizeof yaml, "%s, commit: 20}\n", head);
    expect_error_at(yaml, "20", 0, "experiments[0].commit: 'commit' needs 'window'");
    snprintf(yaml, sizeof yaml, "%s, window: 60, commit: 61}\n", head);
    expect_error_at(yaml, "61", 0, "experiments[0].commit");
    snprintf(yaml, sizeof yaml, "%s, window: 0}\n", head);
    expect_error_at(yaml, "0}", 0, "experiments[0].window");
}

// noise.readout (soft readout, issue 15): both keys, T may be .inf; the experiment name says
// so; job.store takes `soft`; training refuses it.
Test(config, soft_readout) {
    const char *head = "job: {name: t, seed: 1, store: [predictions, soft]}\nexperiments:\n"
                       "  - {code: surface, distance: 3, basis: z, max_shots: 10, noise: {model: si1000, p: 0.002, ";
    char yaml[512];
    qp_config cfg;
    snprintf(yaml, sizeof yaml, "%sreadout: {snr: 8, t1_over_tint: 40}}}\n", head);
    load_ok(yaml, &cfg);
    cr_expect_eq(cfg.experiments[0].readout_snr, 8);
    cr_expect_eq(cfg.experiments[0].readout_t1, 40);
    cr_expect_str_eq(cfg.experiments[0].name, "surface_z_d3_r3_si1000_p0.002_snr8_t40");
    cr_expect_eq(cfg.job.store, QP_KEEP_PREDICTIONS | QP_KEEP_SOFT);
    qp_config_free(&cfg);
    snprintf(yaml, sizeof yaml, "%sreadout: {t1_over_tint: .inf, snr: 6.5}}}\n", head);
    load_ok(yaml, &cfg);
    cr_expect(isinf(cfg.experiments[0].readout_t1));
    cr_expect_str_eq(cfg.experiments[0].name, "surface_z_d3_r3_si1000_p0.002_snr6.5_tinf");
    qp_config_free(&cfg);
    snprintf(yaml, sizeof yaml, "%s}}\n", head);
    load_ok(yaml, &cfg);
    cr_expect_eq(cfg.experiments[0].readout_snr, 0, "no readout key: hard readout");
    qp_config_free(&cfg);
    snprintf(yaml, sizeof yaml, "%sreadout: {snr: 8}}}\n", head);
    expect_error_at(yaml, "{snr", 0, "missing required key 't1_over_tint'");
    snprintf(yaml, sizeof yaml, "%sreadout: {snr: -2, t1_over_tint: 3}}}\n", head);
    expect_error_at(yaml, "-2", 0, "experiments[0].noise.readout.snr");
    snprintf(yaml, sizeof yaml, "%sreadout: {snr: 2, t1_over_tint: 3, t2: 1}}}\n", head);
    expect_error_at(yaml, "t2", 0, "unknown key 't2' (valid keys: snr, t1_over_tint)");
    // In train: a soft-input model, its data named like an experiment's.
    load_ok("job: {name: t, seed: 1}\ntrain: {code: surface, distance: 3, basis: x, "
            "noise: {model: si1000, p: 0.001, readout: {snr: 8, t1_over_tint: 40}}}\n",
            &cfg);
    cr_expect_eq(cfg.train.data.readout_snr, 8);
    cr_expect_eq(cfg.train.data.readout_t1, 40);
    cr_expect_str_eq(cfg.train.data.name, "surface_x_d3_r3_si1000_p0.001_snr8_t40");
    qp_config_free(&cfg);
}

Test(config, error_unknown_key_lists_valid_keys) {
    const char *yaml = "job:\n  name: t\n  seed: 1\n"
                       "experiments:\n"
                       "  - code: surface\n"
                       "    distance: 3\n"
                       "    basis: x\n"
                       "    nosie: {model: uniform, p: 0.001}\n"
                       "    max_shots: 100\n";
    expect_error_at(yaml, "nosie", 0,
                    "experiments[0]: unknown key 'nosie' (valid keys: code, distance, rounds, basis, noise, circuit, "
                    "name, decoders, max_shots, max_errors, model, window, commit)");
    expect_error_at("job: {name: t, seed: 1, outptu: x.h5}\nexperiments: []\n", "outptu", 0,
                    "job: unknown key 'outptu' (valid keys: name, seed, output, store, store_samples, shots_per_task, stages, "
                    "deflate)");
    expect_error_at("job: {name: t, seed: 1}\nexperiment: []\n", "experiment:", 0,
                    "unknown key 'experiment' (valid keys: job, experiments, train, redecode)");
    expect_error_at("job: {name: t, seed: 1}\ntrain: {distance: 3, basis: x, noise: {model: uniform, p: 0.01}, "
                    "code: surface, lr: 0.1}\n",
                    "lr:", 0, "train: unknown key 'lr'");
    expect_error_at("job: {name: t, seed: 1}\nredecode: {archive: a, noise: 1}\n", "noise", 0,
                    "redecode: unknown key 'noise'");
    expect_error_at("job: {name: t, seed: 1}\nexperiments:\n  - code: surface\n    distance: 3\n    basis: x\n"
                    "    noise: {model: uniform, p: 0.001, q: 2}\n    max_shots: 1\n",
                    "q: 2", 0, "experiments[0].noise: unknown key 'q' (valid keys: model, p, leakage, readout)");
}

Test(config, job_store_and_deflate) {
    qp_config cfg;
    qp_err err = {{0}};
    const char *yaml = "job: {name: t, seed: 1, store: [weights, samples, predictions], deflate: 4}\n"
                       "experiments: [{code: surface, distance: 3, basis: x, noise: {model: uniform, p: 0.001}, max_shots: 10}]\n";
    cr_assert_eq(qp_config_load_text(yaml, "t.yaml", &cfg, &err), 0, "%s", err.msg);
    cr_assert_eq(cfg.job.store, QP_KEEP_PREDICTIONS | QP_KEEP_WEIGHTS | QP_KEEP_SAMPLES);
    cr_assert_eq(cfg.job.deflate, 4);
    qp_config_free(&cfg);
    yaml = "job: {name: t, seed: 1, store: []}\n"
           "experiments: [{code: surface, distance: 3, basis: x, noise: {model: uniform, p: 0.001}, max_shots: 10}]\n";
    cr_assert_eq(qp_config_load_text(yaml, "t.yaml", &cfg, &err), 0, "%s", err.msg);
    cr_assert_eq(cfg.job.store, 0, "store: [] keeps only the statistics");
    qp_config_free(&cfg);
    yaml = "job: {name: t, seed: 1, store: confidence}\n"
           "experiments: [{code: surface, distance: 3, basis: x, noise: {model: uniform, p: 0.001}, max_shots: 10}]\n";
    cr_assert_eq(qp_config_load_text(yaml, "t.yaml", &cfg, &err), 0, "%s", err.msg);
    cr_assert_eq(cfg.job.store, QP_KEEP_CONFIDENCE, "a single name needs no list");
    qp_config_free(&cfg);

    expect_error_at("job: {name: t, seed: 1, store: [predictions, wieghts]}\n", "wieghts", 0,
                    "job.store: expected one of predictions, weights, confidence, samples, soft, got 'wieghts'");
    expect_error_at("job: {name: t, seed: 1, store: [samples, samples]}\n", "samples]", 0,
                    "job.store: 'samples' is listed twice");
    expect_error_at("job: {name: t, seed: 1, store: [predictions], store_samples: true}\n", "true", 0,
                    "job.store_samples: give either store or store_samples");
    expect_error_at("job: {name: t, seed: 1, deflate: 10}\n", "10", 0, "job.deflate");
    expect_error_at("job: {name: t, seed: 1, deflate: -1}\n", "-1", 0, "job.deflate");

    uint32_t bits;
    cr_assert_eq(qp_keep_parse("predictions,samples", &bits, &err), 0, "%s", err.msg);
    cr_assert_eq(bits, QP_KEEP_PREDICTIONS | QP_KEEP_SAMPLES);
    cr_assert_eq(qp_keep_parse("", &bits, &err), 0, "%s", err.msg);
    cr_assert_eq(bits, 0);
    cr_assert_neq(qp_keep_parse("predictions,dets", &bits, &err), 0);
    cr_assert(strstr(err.msg, "'dets'"), "%s", err.msg);
}

Test(config, error_wrong_type) {
    char yaml[1024];
    snprintf(yaml, sizeof yaml, "%s", minimal);
    *strstr(yaml, "3\n    basis") = 'x';  // distance: x
    expect_error_at(yaml, "x\n    basis", 0, "experiments[0].distance: expected an integer");
    expect_error_at("job:\n  name: t\n  seed: \"12\"\nexperiments: []\n", "\"12\"", 0,
                    "job.seed: expected a non-negative integer in 0..18446744073709551615, got the quoted string '12'");
    expect_error_at("job: {name: t, seed: 1, store_samples: yes}\n", "yes", 0,
                    "job.store_samples: expected true or false, got 'yes'");
    expect_error_at("job: {name: t, seed: 1}\nexperiments: {code: surface}\n", "{code", 0,
                    "experiments: expected a non-empty list of experiments, got a mapping");
    expect_error_at("job: {name: t, seed: 1}\nexperiments:\n  - code: surface\n    distance: 3\n    basis: x\n"
                    "    noise: [uniform]\n    max_shots: 1\n",
                    "[uniform]", 0, "experiments[0].noise: expected a mapping with keys model, p, leakage, readout, got a list");
    expect_error_at("job: {name: t, seed: 1}\nexperiments:\n  - code: surface\n    distance: [3, [5]]\n    basis: x\n"
                    "    noise: {model: uniform, p: 0.1}\n    max_shots: 1\n",
                    "[5]", 0, "expected a single value as list item, got a list");
    expect_error_at("job: {name: t, seed: 1}\nexperiments:\n  - code: toric\n", "toric", 0,
                    "experiments[0].code: expected one of surface, repetition, got 'toric'");
    expect_error_at("job: {name: t, seed: 1}\nexperiments:\n  - code: surface\n    distance: 3\n    basis: y\n",
                    "y\n", 0, "experiments[0].basis: expected one of x, z, got 'y'");
    expect_error_at("job: {name: t, seed: 1}\nexperiments:\n  - code: surface\n    distance: 3\n    basis: x\n"
                    "    noise: {model: uniform, p: 0.001}\n    decoders: [mwpm, blossom]\n    max_shots: 1\n",
                    "blossom", 0, "experiments[0].decoders: expected one of mwpm, mwpm-corr, uf, nn, ml, mwpm-soft, got 'blossom'");
    expect_error_at("job: {name: t, seed: 1}\nexperiments:\n  - code: surface\n    distance: 3\n    basis: x\n"
                    "    noise: {model: uniform, p: abc}\n    max_shots: 1\n",
                    "abc", 0, "experiments[0].noise.p: expected a number in (0, 0.5), got 'abc'");
    expect_error_at("job: {name: t, seed: 1}\nexperiments:\n  - code: surface\n    distance: 3\n    basis: x\n"
                    "    noise: {model: si1000, p: 0.001}\n    decoders: [mwpm, mwpm-soft]\n    max_shots: 1\n",
                    "[mwpm, mwpm-soft]", 0, "experiments[0].decoders: decoder mwpm-soft needs the shots' soft readout");
    expect_error_at("job: {name: my job, seed: 1}\nexperiments: []\n", "my job", 0,
                    "job.name: character ' ' not allowed in a name");
}

// noise.leakage: its own experiment name (and so stream and group), the values carried through,
// p = 0 the experiment without leakage, bad values one error at their position.
Test(config, noise_leakage) {
    const char *head = "job: {name: t, seed: 1}\nexperiments:\n  - code: surface\n    distance: 3\n    basis: x\n";
    char yaml[1024];
    qp_config cfg;
    snprintf(yaml, sizeof yaml,
             "%s    noise: {model: si1000, p: 0.002, leakage: {p: 2e-4, mean_rounds: 5}}\n    max_shots: 1\n"
             "  - code: surface\n    distance: 3\n    basis: x\n    noise: {model: si1000, p: 0.002}\n    max_shots: 1\n"
             "  - code: surface\n    distance: 5\n    basis: x\n"
             "    noise: {model: si1000, p: 0.002, leakage: {p: 0, mean_rounds: 5}}\n    max_shots: 1\n",
             head);
    load_ok(yaml, &cfg);
    cr_assert_eq(cfg.num_experiments, 3);
    cr_expect_str_eq(cfg.experiments[0].name, "surface_x_d3_r3_si1000_p0.002_leak0.0002_m5");
    cr_expect_eq(cfg.experiments[0].leak_p, 2e-4);
    cr_expect_eq(cfg.experiments[0].leak_mean_rounds, 5);
    cr_expect_str_eq(cfg.experiments[1].name, "surface_x_d3_r3_si1000_p0.002");
    cr_expect_eq(cfg.experiments[1].leak_p, 0);
    cr_expect_neq(cfg.experiments[0].stream, cfg.experiments[1].stream);
    cr_expect_str_eq(cfg.experiments[2].name, "surface_x_d5_r5_si1000_p0.002");
    cr_expect_eq(cfg.experiments[2].leak_mean_rounds, 0);
    qp_config_free(&cfg);
    snprintf(yaml, sizeof yaml, "%s    noise: {model: si1000, p: 0.002, leakage: {p: 1.5, mean_rounds: 5}}\n    max_shots: 1\n", head);
    expect_error_at(yaml, "1.5", 0, "experiments[0].noise.leakage.p: 1.5 is out of range (expected a number in [0, 1])");
    snprintf(yaml, sizeof yaml, "%s    noise: {model: si1000, p: 0.002, leakage: {p: 0.01, mean_rounds: 0.5}}\n    max_shots: 1\n", head);
    expect_error_at(yaml, "0.5", 0, "experiments[0].noise.leakage.mean_rounds: 0.5 is out of range");
    snprintf(yaml, sizeof yaml, "%s    noise: {model: si1000, p: 0.002, leakage: {p: 0.01}}\n    max_shots: 1\n", head);
    expect_error_at(yaml, "{p: 0.01}", 0, "experiments[0].noise.leakage: missing required key 'mean_rounds'");
    snprintf(yaml, sizeof yaml, "%s    noise: {model: si1000, p: 0.002, leakage: {p: 0.01, mean: 3}}\n    max_shots: 1\n", head);
    expect_error_at(yaml, "mean: 3", 0, "experiments[0].noise.leakage: unknown key 'mean' (valid keys: p, mean_rounds)");
}

Test(config, error_out_of_range) {
    const char *head = "job: {name: t, seed: 1}\nexperiments:\n  - code: surface\n    distance: 3\n    basis: x\n";
    char yaml[1024];
    snprintf(yaml, sizeof yaml, "%s    noise: {model: uniform, p: 0.7}\n    max_shots: 1\n", head);
    expect_error_at(yaml, "0.7", 0, "experiments[0].noise.p: 0.7 is out of range (expected a number in (0, 0.5))");
    snprintf(yaml, sizeof yaml, "%s    noise: {model: uniform, p: [0.001, 0]}\n    max_shots: 1\n", head);
    expect_error_at(yaml, "0]", 0, "0 is out of range");
    snprintf(yaml, sizeof yaml, "%s    noise: {model: si1000, p: 0.2}\n    max_shots: 1\n", head);
    expect_error_at(yaml, "0.2", 0, "out of range for si1000");
    snprintf(yaml, sizeof yaml, "%s    noise: {model: uniform, p: 0.001}\n    max_shots: 0\n", head);
    expect_error_at(yaml, "0\n", 0, "experiments[0].max_shots: 0 is out of range (expected 1..");
    snprintf(yaml, sizeof yaml, "%s    noise: {model: uniform, p: 0.001}\n    max_shots: -5\n", head);
    expect_error_at(yaml, "-5", 0, "experiments[0].max_shots: -5 is out of range");
    snprintf(yaml, sizeof yaml, "%s    noise: {model: uniform, p: 0.001}\n    max_shots: 99999999999999999999\n", head);
    expect_error_at(yaml, "9999", 0, "out of range");
    snprintf(yaml, sizeof yaml, "%s    noise: {model: uniform, p: 0.001}\n    rounds: d-3\n    max_shots: 1\n", head);
    expect_error_at(yaml, "d-3", 0, "experiments[0].rounds: rounds 'd-3' is 0 at d=3 (expected 1..10000000)");
    expect_error_at("job: {name: t, seed: 1}\nexperiments:\n  - code: surface\n    distance: 103\n", "103", 0,
                    "distance 103 is out of range (expected an odd integer in 3..101)");
    expect_error_at("job: {name: t, seed: 1}\nexperiments:\n  - code: surface\n    distance: 1\n", "1\n", 0,
                    "distance 1 is out of range");
    expect_error_at("job: {name: t, seed: 1}\ntrain: {code: surface, distance: 3, basis: x, "
                    "noise: {model: uniform, p: 0.01}, learning_rate: 0}\n",
                    "0}", 0, "train.learning_rate: 0 is out of range (expected a number in (0, 1])");
    qp_config cfg;
    load_ok("job: {name: t, seed: 1}\ntrain: {code: surface, distance: 3, basis: x, "
            "noise: {model: uniform, p: 0.01}, aux_weight: 0}\n", &cfg);
    cr_expect_eq(cfg.train.aux_weight, 0.0, "aux_weight 0 (no auxiliary loss) is allowed");
    qp_config_free(&cfg);
    expect_error_at("job: {name: t, seed: 1}\ntrain: {code: surface, distance: 3, basis: x, "
                    "noise: {model: uniform, p: 0.01}, aux_weight: -0.5}\n",
                    "-0.5}", 0, "train.aux_weight: -0.5 is out of range (expected a number in [0, 100])");
    expect_error_at("job: {name: t, seed: 1}\ntrain: {code: surface, distance: 3, basis: x, "
                    "noise: {model: uniform, p: 0.01}, heads: 65}\n",
                    "65", 0, "train.heads: 65 is out of range (expected 1..64)");
    expect_error_at("job: {name: t, seed: 1}\ntrain: {code: surface, distance: 3, basis: x, "
                    "noise: {model: uniform, p: 0.01}, steps: 10, warmup_steps: 20}\n",
                    "20", 0, "train.warmup_steps: 20 is more than steps (10)");
    expect_error_at("job: {name: t, seed: 1}\ntrain: {code: surface, distance: 3, basis: x, "
                    "noise: {model: uniform, p: 0.01}, hidden: 30, heads: 4}\n",
                    "30", 0, "hidden (30) must be a multiple of heads (4)");
}

Test(config, error_even_distance) {
    const char *yaml = "job: {name: t, seed: 1}\n"
                       "experiments:\n"
                       "  - code: surface\n"
                       "    distance: [3, 5, 6, 7]\n"
                       "    basis: x\n"
                       "    noise: {model: uniform, p: 0.001}\n"
                       "    max_shots: 1\n";
    expect_error_at(yaml, "6", 0, "experiments[0].distance: even distance 6");
    expect_error_at("job: {name: t, seed: 1}\ntrain: {code: surface, distance: 4}\n", "4}", 0,
                    "train.distance: even distance 4");
}

Test(config, error_missing_required_key) {
    char yaml[1024];
    snprintf(yaml, sizeof yaml, "%s", minimal);
    *strstr(yaml, "    max_shots: 100\n") = 0;
    expect_error_at(yaml, "code: surface", 0, "experiments[0]: missing required key 'max_shots'");
    expect_error_at("job:\n  name: t\nexperiments: []\n", "name: t", 0, "job: missing required key 'seed'");
    expect_error_at("experiments: []\n", "experiments", 0, "missing required key 'job'");
    expect_error_at("job: {name: t, seed: 1}\nexperiments:\n  - distance: 3\n", "distance", 0,
                    "experiments[0]: missing required key 'code' (or give 'circuit: FILE.stim')");
    expect_error_at("job: {name: t, seed: 1}\nexperiments:\n  - code: surface\n    distance: 3\n    basis: x\n"
                    "    noise: {p: 0.001}\n    max_shots: 1\n",
                    "{p:", 0, "experiments[0].noise: missing required key 'model'");
    expect_error_at("job: {name: t, seed: 1}\nexperiments:\n  - code: surface\n    distance:\n    basis: x\n", "distance",
                    0, "experiments[0]: required key 'distance' has no value");
    expect_error_at("job: {name: t, seed: 1}\n", "job", 0,
                    "nothing to do: give an experiments list, a train section or a redecode section");
    expect_error_at("job: {name: t, seed: 1}\nredecode: {decoders: [uf]}\n", "{decoders", 0,
                    "redecode: missing required key 'archive'");
}

Test(config, error_duplicate_key) {
    const char *yaml = "job:\n  name: t\n  seed: 1\n"
                       "experiments:\n"
                       "  - code: surface\n"
                       "    distance: 3\n"
                       "    basis: x\n"
                       "    noise: {model: uniform, p: 0.001}\n"
                       "    basis: z\n"
                       "    max_shots: 1\n";
    expect_error_at(yaml, "basis", 1, "duplicate key 'basis' (first given at line 7, column 5)");
    expect_error_at("job: {name: t, seed: 1, seed: 2}\n", "seed", 1, "duplicate key 'seed'");
}

Test(config, error_duplicate_values_and_experiments) {
    expect_error_at("job: {name: t, seed: 1}\nexperiments:\n  - code: surface\n    distance: [3, 5, 3]\n", "3]", 0,
                    "distance 3 is listed twice");
    expect_error_at("job: {name: t, seed: 1}\nexperiments:\n  - code: surface\n    distance: 3\n    basis: [x, x]\n",
                    "x]", 0, "'x' is listed twice");
    expect_error_at("job: {name: t, seed: 1}\nexperiments:\n  - code: surface\n    distance: 3\n    basis: x\n"
                    "    noise: {model: uniform, p: [0.001, 1e-3]}\n",
                    "1e-3", 0, "p = 1e-3 is listed twice");
    const char *two = "job: {name: t, seed: 1}\nexperiments:\n"
                      "  - {code: surface, distance: [3, 5], basis: x, noise: {model: uniform, p: 0.001}, max_shots: 1}\n"
                      "  - {code: surface, distance: 5, basis: x, noise: {model: uniform, p: 0.001}, max_shots: 9}\n";
    qp_config cfg;
    qp_err err;
    cr_assert_eq(qp_config_load_text(two, "t.yaml", &cfg, &err), -1);
    cr_assert_str_eq(err.msg, "t.yaml:4: experiments[1]: experiment 'surface_x_d5_r5_uniform_p0.001' is also produced "
                              "by experiments[0] (line 3); each experiment must appear once");
    expect_error_at("job: {name: t, seed: 1}\nexperiments:\n  - code: surface\n    distance: 3\n    basis: x\n"
                    "    noise: {model: uniform, p: 0.001}\n    decoders: [uf, uf]\n    max_shots: 1\n",
                    "uf]", 0, "decoder 'uf' is listed twice");
}

Test(config, error_malformed_yaml_uses_problem_mark) {
    // An unclosed flow sequence: libyaml reports where it expected ',' or ']'.
    qp_config cfg;
    qp_err err;
    cr_assert_eq(qp_config_load_text("job:\n  name: [t\n  seed: 1\n", "t.yaml", &cfg, &err), -1);
    cr_assert(strncmp(err.msg, "t.yaml:3:7: malformed YAML: did not find expected ',' or ']'", 58) == 0, "%s", err.msg);
    // Bad indentation: a key at a deeper level after a scalar value.
    cr_assert_eq(qp_config_load_text("job:\n  name: t\n    seed: 1\n", "t.yaml", &cfg, &err), -1);
    cr_assert(strncmp(err.msg, "t.yaml:3:9: malformed YAML: mapping values are not allowed in this context", 73) == 0,
              "%s", err.msg);
    cr_assert_eq(qp_config_load_text("job: {name: t\n", "t.yaml", &cfg, &err), -1);
    cr_assert_not_null(strstr(err.msg, "malformed YAML"), "%s", err.msg);
    cr_assert_eq(qp_config_load_text("a: \"\\xff\"\n\t- b\n", "t.yaml", &cfg, &err), -1);
    cr_assert_not_null(strstr(err.msg, "malformed YAML"), "%s", err.msg);
}

Test(config, error_rounds_expression_points_into_the_string) {
    const char *head = "job: {name: t, seed: 1}\nexperiments:\n  - code: surface\n    distance: [5, 3]\n";
    char yaml[1024];
    snprintf(yaml, sizeof yaml, "%s    rounds: 2*d+x\n", head);
    expect_error_at(yaml, "x\n", 0, "experiments[0].rounds: in rounds expression '2*d+x' (d=5): unknown name");
    snprintf(yaml, sizeof yaml, "%s    rounds: [d, \"d/(d-3)\"]\n    basis: x\n"
                                "    noise: {model: uniform, p: 0.001}\n    max_shots: 1\n", head);
    expect_error_at(yaml, "/(d-3)", 0, "in rounds expression 'd/(d-3)' (d=3): division by zero");
    snprintf(yaml, sizeof yaml, "%s    rounds: {x: 1}\n", head);
    expect_error_at(yaml, "{x", 0, "experiments[0].rounds: expected a value or a list of values, got a mapping");
}

Test(config, error_conflicting_keys) {
    expect_error_at("job: {name: t, seed: 1}\nexperiments:\n  - circuit: c.stim\n    distance: 3\n    max_shots: 1\n",
                    "3\n", 0, "experiments[0]: 'distance' cannot be combined with 'circuit'");
    expect_error_at("job: {name: t, seed: 1}\nexperiments:\n  - code: surface\n    distance: 3\n    basis: x\n"
                    "    noise: {model: uniform, p: 0.001}\n    model: m.h5\n    max_shots: 1\n",
                    "m.h5", 0, "'model' is only used by the nn decoder");
    expect_error_at("job: {name: t, seed: 1}\nexperiments:\n  - code: surface\n    distance: 3\n    basis: x\n"
                    "    noise: {model: uniform, p: 0.001}\n    name: foo\n    max_shots: 1\n",
                    "foo", 0, "'name' is only for circuit experiments");
    expect_error_at("job: {name: t, seed: 1}\nexperiments:\n  - circuit: 'dir/a b.stim'\n    max_shots: 1\n",
                    "'dir/a", 0, "not a usable experiment name");
    expect_error_at("job: {name: t, seed: 1}\nredecode: {archive: a, dem_name: x.dem, dem_by_parity: true}\n",
                    "x.dem", 0, "dem_name and dem_by_parity exclude each other");
    expect_error_at("job: {name: t, seed: 1}\ntrain: {code: surface, distance: [3, 5]}\n", "[3, 5]", 0,
                    "train.distance: train uses one circuit: expected a single value, got a list of 2");
    expect_error_at("job: {name: t, seed: 1, stages: [simulate, train]}\nexperiments:\n"
                    "  - {code: surface, distance: 3, basis: x, noise: {model: uniform, p: 0.001}, max_shots: 1}\n",
                    "[simulate", 0, "job.stages: stage 'train' needs a train section");
    expect_error_at("job: {name: t, seed: 1, stages: [decode]}\nexperiments:\n"
                    "  - {code: surface, distance: 3, basis: x, noise: {model: uniform, p: 0.001}, max_shots: 1}\n",
                    "[decode", 0, "stage 'decode' needs 'simulate'");
}

Test(config, error_document_shape) {
    expect_error_at("- job\n- experiments\n", "- job", 0, "expected a mapping with keys job, experiments, train, redecode");
    expect_error_at("job: &j {name: t, seed: 1}\nexperiments: *j\n", "*j", 0, "aliases (*j) are not supported");
    expect_error_at("job: {name: t, seed: 1}\n---\njob: {}\n", "---", 0, "expected one YAML document");
    expect_error_at("job: {name: t, seed: 1}\n[a]: 1\n", "[a]", 0, "mapping keys must be plain names");
    qp_config cfg;
    qp_err err;
    cr_assert_eq(qp_config_load_text("# nothing here\n", "t.yaml", &cfg, &err), -1);
    cr_assert_str_eq(err.msg, "t.yaml: the config is empty (expected a mapping with keys job, experiments, train, redecode)");
    cr_assert_eq(qp_config_load_file("/nonexistent/dir/c.yaml", &cfg, &err), -1);
    cr_assert_str_eq(err.msg, "/nonexistent/dir/c.yaml: cannot open: No such file or directory");
}

Test(config, expansion_limit) {
    // 10 distances x 2 bases x 100 rounds x 60 p = 120000 experiments, over the limit of 10000.
    size_t cap = 64 * 1024;
    char *yaml = malloc(cap);
    size_t n = (size_t)snprintf(yaml, cap, "job: {name: t, seed: 1}\nexperiments:\n  - code: surface\n"
                                           "    distance: [3, 5, 7, 9, 11, 13, 15, 17, 19, 21]\n    basis: [x, z]\n"
                                           "    rounds: [");
    for (int i = 1; i <= 100; i++) n += (size_t)snprintf(yaml + n, cap - n, "%s%d", i > 1 ? ", " : "", i);
    n += (size_t)snprintf(yaml + n, cap - n, "]\n    noise: {model: uniform, p: [");
    for (int i = 1; i <= 60; i++) n += (size_t)snprintf(yaml + n, cap - n, "%s%g", i > 1 ? ", " : "", i * 1e-4);
    snprintf(yaml + n, cap - n, "]}\n    max_shots: 1\n");
    expect_error_at(yaml, "code", 0, "the experiments expand to more than 10000 experiments");

    // Exactly at the limit: 10 distances x 2 bases x 500 rounds = 10000 loads, names all distinct.
    n = (size_t)snprintf(yaml, cap, "job: {name: t, seed: 1}\nexperiments:\n  - code: surface\n"
                                    "    distance: [3, 5, 7, 9, 11, 13, 15, 17, 19, 21]\n    basis: [x, z]\n"
                                    "    rounds: [");
    for (int i = 1; i <= 500; i++) n += (size_t)snprintf(yaml + n, cap - n, "%s%d", i > 1 ? ", " : "", i);
    snprintf(yaml + n, cap - n, "]\n    noise: {model: uniform, p: 0.001}\n    max_shots: 1\n");
    qp_config cfg;
    load_ok(yaml, &cfg);
    cr_assert_eq(cfg.num_experiments, QP_CONFIG_MAX_EXPERIMENTS);
    cr_assert_str_eq(cfg.experiments[9999].name, "surface_z_d21_r500_uniform_p0.001");
    qp_config_free(&cfg);
    free(yaml);
}

Test(config, configs_directory_loads) {
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/../../configs", qp_test_data_dir());
    DIR *d = opendir(dir);
    cr_assert_not_null(d, "cannot open %s", dir);
    int loaded = 0, quickstart = 0, threshold = 0;
    struct dirent *ent;
    while ((ent = readdir(d))) {
        size_t len = strlen(ent->d_name);
        if (len < 6 || strcmp(ent->d_name + len - 5, ".yaml") != 0) continue;
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", dir, ent->d_name);
        qp_config cfg;
        qp_err err;
        cr_assert_eq(qp_config_load_file(path, &cfg, &err), 0, "%s", err.msg);
        cr_assert_gt(cfg.job.stages, 0);
        if (strcmp(ent->d_name, "quickstart.yaml") == 0) {
            quickstart = 1;
            cr_assert_eq(cfg.num_experiments, 9);
            // The demo decodes with the shipped nn model (models/): no training, and nn experiments
            // without a model file (d=3 memory X at p = 0.003 and 0.005).
            cr_assert(!cfg.train.present, "the demo uses the shipped model, it does not train");
            int with_nn = 0;
            for (int i = 0; i < cfg.num_experiments; i++)
                if (cfg.experiments[i].decoders & QP_DECODER_BIT(QP_DEC_NN)) {
                    with_nn++;
                    cr_assert_eq(cfg.experiments[i].model[0], 0, "%s", cfg.experiments[i].model);
                }
            cr_assert_eq(with_nn, 2);
            // quickstart.yaml is built into the binary (`qecpipe run` without a config), so it
            // must not name files: a relative path would resolve against the working directory.
            for (int i = 0; i < cfg.num_experiments; i++)
                cr_assert_eq(cfg.experiments[i].code, QP_CODE_SURFACE, "%s", cfg.experiments[i].name);
        }
        if (strcmp(ent->d_name, "finetune.yaml") == 0) {  // trains on an archive, next to the config
            const char *a = cfg.train.archive, *tail = "/device_archive";
            cr_assert(strlen(a) > strlen(tail) && strcmp(a + strlen(a) - strlen(tail), tail) == 0, "%s", a);
            cr_assert_eq(cfg.train.holdout_shots, 400000);
            cr_assert(cfg.train.init[0]);
        }
        if (strcmp(ent->d_name, "threshold.yaml") == 0) {
            threshold = 1;
            cr_assert_eq(cfg.num_experiments, 110);
        }
        qp_config_free(&cfg);
        loaded++;
    }
    closedir(d);
    cr_assert(quickstart && threshold, "configs/quickstart.yaml and configs/threshold.yaml must exist");
    cr_assert_geq(loaded, 2);
}

// ---- regressions found by fuzz/fuzz_config.c ----

Test(config, fuzz_multiline_scalar_in_message_stays_one_line) {
    // A folded plain scalar holds a newline; echoing it used to break the one-line rule.
    qp_config cfg;
    qp_err err;
    cr_assert_eq(qp_config_load_text("jni00eerx\n\re\n", "t.yaml", &cfg, &err), -1);
    cr_assert_null(strchr(err.msg, '\n'), "%s", err.msg);
    cr_assert_str_eq(err.msg, "t.yaml:1:1: expected a mapping with keys job, experiments, train, redecode, got "
                              "'jni00eerx\\ne'");
}

Test(config, repetition_code_experiments) {
    qp_config cfg;
    load_ok("job: {name: t, seed: 1}\n"
            "experiments:\n"
            "  - code: repetition\n"
            "    distance: [4, 7]\n"
            "    rounds: 20\n"
            "    noise: {model: uniform, p: 0.002}\n"
            "    max_shots: 10\n",
            &cfg);
    cr_assert_eq(cfg.num_experiments, 2);
    cr_expect_eq(cfg.experiments[0].code, QP_CODE_REPETITION);
    cr_expect_eq(cfg.experiments[0].basis, QP_BASIS_Z);
    cr_expect_str_eq(cfg.experiments[0].name, "repetition_d4_r20_uniform_p0.002");
    cr_expect_str_eq(cfg.experiments[1].name, "repetition_d7_r20_uniform_p0.002");
    cr_expect_str_eq(qp_code_name(QP_CODE_REPETITION), "repetition");
    qp_config_free(&cfg);
    const char *bad_basis = "job: {name: t, seed: 1}\nexperiments:\n  - code: repetition\n    distance: 3\n"
                            "    basis: x\n    noise: {model: uniform, p: 0.001}\n    max_shots: 1\n";
    expect_error_at(bad_basis, "x\n", 0, "a repetition code is a Z-basis memory");
    const char *bad_noise = "job: {name: t, seed: 1}\nexperiments:\n  - code: repetition\n    distance: 3\n"
                            "    noise: {model: si1000, p: 0.001}\n    max_shots: 1\n";
    expect_error_at(bad_noise, "si1000", 0, "uniform only");
    const char *bad_d = "job: {name: t, seed: 1}\nexperiments:\n  - code: repetition\n    distance: 1\n"
                        "    noise: {model: uniform, p: 0.001}\n    max_shots: 1\n";
    expect_error_at(bad_d, "1\n", 0, "expected an integer in 2..");
}

// configs/pretrain_d3.yaml and pretrain_d5.yaml (the Slurm pretraining configs): sized for a
// multi-node job, checkpointing and evaluating on the way, a curriculum over both bases, both
// noise models and more than one p with a growing batch (issue 14), and d=5 able to
// warm-start from the d=3 model as its header says (uncommenting `init:`), which needs a
// distance-portable d=3 model with the same model keys.
static void load_pretrain(const char *name, qp_config *cfg, char **text) {
    char path[2048];
    snprintf(path, sizeof path, "%s/../../configs/%s", qp_test_data_dir(), name);
    qp_err err;
    cr_assert_eq(qp_config_load_file(path, cfg, &err), 0, "%s", err.msg);
    *text = qp_test_read_file(path, NULL);
    cr_assert_not_null(*text, "%s", path);
}

Test(config, pretrain_configs_scale_and_warm_start) {
    qp_config c3, c5;
    char *t3, *t5;
    load_pretrain("pretrain_d3.yaml", &c3, &t3);
    load_pretrain("pretrain_d5.yaml", &c5, &t5);
    const qp_train_config *a = &c3.train, *b = &c5.train;
    cr_assert(a->present && b->present);
    cr_expect_eq(a->distance, 3);
    cr_expect_eq(b->distance, 5);
    const qp_train_config *both[2] = {a, b};
    for (int i = 0; i < 2; i++) {
        const qp_train_config *t = both[i];
        cr_expect_geq(t->steps, 10000, "pretraining runs long");
        cr_assert_geq(t->num_stages, 2, "a curriculum");
        int bases = 0, models = 0, grows = 0;
        uint64_t sum = 0;
        for (int k = 0; k < t->num_stages; k++) {
            const qp_train_stage *st = &t->stages[k];
            cr_expect_eq(st->batch_size % 128, 0, "stage %d: batch_size %llu splits over 128 ranks", k,
                         (unsigned long long)st->batch_size);
            cr_expect_geq(st->batch_size / 128, 16, "stage %d: at least 16 shots per rank on 128 ranks", k);
            cr_expect_geq(st->batch_size, t->stages[k ? k - 1 : 0].batch_size, "stage %d: the batch never shrinks", k);
            bases |= 1 << st->data.basis, models |= 1 << st->data.noise, sum += st->steps;
            grows |= st->batch_size > t->stages[0].batch_size;
            cr_expect(st->data.readout_snr == 0 && st->data.leak_p == 0);
        }
        cr_expect_eq(bases, 3, "both bases");
        cr_expect_eq(models, (1 << QP_NOISE_UNIFORM) | (1 << QP_NOISE_SI1000), "uniform and SI1000 noise");
        cr_expect(grows, "a growing batch");
        cr_expect_eq(sum, t->steps);
        int ps = 0;
        for (int k = 1; k < t->num_stages; k++)
            ps |= t->stages[k].data.noise == t->stages[0].data.noise && t->stages[k].data.p != t->stages[0].data.p;
        cr_expect(ps, "more than one p of one noise model");
        cr_expect(t->checkpoint_every > 0 && t->checkpoint_every < t->steps / 10);
        cr_expect(t->eval_every > 0 && t->eval_every < t->steps);
        cr_expect_geq(t->eval_shots, 10000);
        cr_expect_lt(t->warmup_steps, t->steps / 10);
        cr_expect(t->attention_bias_geometric && t->stabilizer_embedding_type, "distance-portable");
        cr_expect_eq(t->init[0], 0, "shipped without init: runnable on its own");
    }
    cr_expect_str_neq(a->checkpoint, b->checkpoint);
    // The model keys train.init compares (besides the distance).
    cr_expect_eq(a->code, b->code);
    cr_expect_eq(a->data.basis, b->data.basis);
    cr_expect_eq(a->hidden, b->hidden);
    cr_expect_eq(a->layers, b->layers);
    cr_expect_eq(a->heads, b->heads);
    cr_expect_eq(a->attention_bias_radius, b->attention_bias_radius);
    cr_expect_eq(a->num_conv_dilations, b->num_conv_dilations);
    cr_expect_arr_eq(a->conv_dilations, b->conv_dilations, sizeof a->conv_dilations);
    cr_expect_eq(a->ffn_gated, b->ffn_gated);
    cr_expect_eq(a->readout_lines, b->readout_lines);
    // The documented warm start: uncomment `init: <the d=3 checkpoint>` in a copy of the d=5 config.
    char commented[1100], enabled[1100];
    snprintf(commented, sizeof commented, "  # init: %s", a->checkpoint);
    snprintf(enabled, sizeof enabled, "  init:   %s", a->checkpoint);
    char *at = strstr(t5, commented);
    cr_assert_not_null(at, "pretrain_d5.yaml has the line '%s'", commented);
    memcpy(at, enabled, strlen(enabled));  // same length: "# init: " -> "init:   "
    qp_config warm;
    qp_err err;
    cr_assert_eq(qp_config_load_text(t5, "run/pretrain_d5.yaml", &warm, &err), 0, "%s", err.msg);
    char want[1100];
    snprintf(want, sizeof want, "run/%s", a->checkpoint);
    cr_expect_str_eq(warm.train.init, want);
    qp_config_free(&warm);
    free(t3);
    free(t5);
    qp_config_free(&c3);
    qp_config_free(&c5);
}

// train.curriculum: a stage's omitted keys are the section's, train.steps (left out) is the sum
// of the stages', each stage gets its circuit's experiment name; errors point at the key.
Test(config, train_curriculum) {
    const char *base = "job: {name: t, seed: 1}\n"
                       "train:\n"
                       "  code: surface\n"
                       "  distance: 3\n"
                       "  rounds: 2\n"
                       "  basis: z\n"
                       "  noise: {model: uniform, p: 0.003}\n"
                       "  batch_size: 64\n"
                       "  attention_bias: geometric\n"
                       "  stabilizer_embedding: type\n"
                       "  curriculum:\n"
                       "    - {steps: 30}\n"
                       "    - {steps: 40, noise: {model: si1000, p: 0.002}, batch_size: 128}\n"
                       "    - {steps: 50, basis: x}\n";
    qp_config cfg;
    load_ok(base, &cfg);
    const qp_train_config *t = &cfg.train;
    cr_assert_eq(t->num_stages, 3);
    cr_expect_eq(t->steps, 120, "steps = the stages' sum");
    cr_expect_eq(t->warmup_steps, 100, "the default warmup (<= steps)");
    cr_expect_eq(t->stages[0].batch_size, 64);
    cr_expect_eq(t->stages[1].batch_size, 128);
    cr_expect_eq(t->stages[2].batch_size, 64, "the section's batch_size");
    cr_expect_eq(t->stages[1].data.noise, QP_NOISE_SI1000);
    cr_expect_eq(t->stages[2].data.noise, QP_NOISE_UNIFORM, "the section's noise");
    cr_expect_eq(t->stages[2].data.basis, QP_BASIS_X);
    cr_expect_str_eq(t->stages[0].data.name, "surface_z_d3_r2_uniform_p0.003");
    cr_expect_str_eq(t->stages[1].data.name, "surface_z_d3_r2_si1000_p0.002");
    cr_expect_str_eq(t->stages[2].data.name, "surface_x_d3_r2_uniform_p0.003");
    cr_expect_eq(t->stages[1].line, 13, "the position of the stage's batch_size");
    qp_config_free(&cfg);

    char yaml[2048];
    snprintf(yaml, sizeof yaml, "%s  steps: 100\n", base);
    expect_error_at(yaml, "100\n", 0, "train.steps: 100, but the curriculum's stages add up to 120 steps");
    snprintf(yaml, sizeof yaml, "%s  steps: 120\n", base);
    load_ok(yaml, &cfg);
    qp_config_free(&cfg);
    snprintf(yaml, sizeof yaml, "%s", base);  // a per-stabilizer embedding: not layout-portable
    char *emb = strstr(yaml, "  stabilizer_embedding: type\n");
    memmove(emb, emb + 29, strlen(emb + 29) + 1);
    expect_error_at(yaml, "x}", 0, "train.curriculum[2]: the curriculum changes the basis (z -> x)");
    snprintf(yaml, sizeof yaml, "%s", base);
    memcpy(strstr(yaml, "{steps: 30}"), "{stepz: 30}", 11);
    expect_error_at(yaml, "stepz", 0, "train.curriculum[0]: unknown key 'stepz'");
}
