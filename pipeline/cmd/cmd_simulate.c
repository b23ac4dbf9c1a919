// qecpipe simulate: sample detection events (and observable flips) of a Stim circuit with the
// Pauli-frame simulator and write them in any Stim shot format, like `stim detect`.
// Observables go to --obs-out, and/or are appended to each record (--append-observables);
// with neither they are dropped, as in Stim. Output files appear only when complete.
// Records stream through workers/sim/frame_stream.h, which bounds memory for very long
// experiments (100,000 rounds) by spilling detector rows to a temporary file.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/cli/args.h"
#include "pipeline/cmd/cmd.h"
#include "pipeline/formats/record_bits.h"
#include "pipeline/formats/shot_writer.h"
#include "workers/circuit/circuit.h"
#include "workers/sim/frame_stream.h"

typedef struct {
    const char *circuit, *out, *out_format, *obs_out, *obs_out_format;
    uint64_t shots, seed, stream, record_budget;
    int append_observables, no_gauge;
} simulate_options;

typedef struct {
    qp_shot_writer *out, *obs_out;
} simulate_outputs;

static int emit_records(void *ctx, const uint8_t *recs, const uint8_t *obs, size_t n, qp_err *err) {
    simulate_outputs *w = ctx;
    if (qp_shot_writer_write(w->out, recs, n, err) != 0) return -1;
    if (w->obs_out && qp_shot_writer_write(w->obs_out, obs, n, err) != 0) return -1;
    return 0;
}

static int run_simulate(const simulate_options *o, qp_shot_format fmt, qp_shot_format obs_fmt, qp_err *err) {
    qp_circuit c;
    if (qp_circuit_parse_file(&c, o->circuit, err) != 0) {
        qp_circuit_free(&c);
        return -1;
    }
    uint64_t D = c.num_detectors, K = c.num_observables;
    int rc = -1;
    simulate_outputs w = {0};
    if (D + (o->append_observables ? K : 0) == 0) {
        qp_fail(err, "%s: the circuit has no detectors%s", o->circuit,
                K ? " (use --append-observables to write only observables)" : " or observables");
        goto done;
    }
    if (o->obs_out && K == 0) {
        qp_fail(err, "%s: --obs-out given but the circuit has no observables", o->circuit);
        goto done;
    }
    if (qp_shot_writer_open(&w.out, o->out, fmt, D, o->append_observables ? K : 0, err) != 0) goto done;
    if (o->obs_out && qp_shot_writer_open(&w.obs_out, o->obs_out, obs_fmt, 0, K, err) != 0) goto done;
    qp_frame_stream_params p = {.seed = o->seed, .stream_id = o->stream, .num_shots = o->shots,
                                .append_observables = o->append_observables, .want_observables = o->obs_out != NULL,
                                .record_budget = o->record_budget, .randomize_gauge = !o->no_gauge};
    if (qp_frame_stream(&c, &p, emit_records, &w, err) != 0) {
        qp_fail_prefix(err, "%s", o->circuit);
        goto done;
    }
    if (w.obs_out) {
        qp_shot_writer *x = w.obs_out;
        w.obs_out = NULL;
        if (qp_shot_writer_close(x, err) != 0) goto done;
    }
    {
        qp_shot_writer *x = w.out;
        w.out = NULL;
        if (qp_shot_writer_close(x, err) != 0) {
            if (o->obs_out) remove(o->obs_out);
            goto done;
        }
    }
    rc = 0;
done:
    qp_shot_writer_abort(w.out);
    qp_shot_writer_abort(w.obs_out);
    qp_circuit_free(&c);
    return rc;
}

int cmd_simulate(int argc, char **argv) {
    simulate_options o = {.out_format = "01", .obs_out_format = "01", .record_budget = 16u << 20};
    uint64_t shots = UINT64_MAX;
    const qp_opt opts[] = {
        {"circuit", QP_OPT_STR, &o.circuit, "FILE", "Stim circuit to sample (required)"},
        {"shots", QP_OPT_U64, &shots, "N", "number of shots (required)"},
        {"seed", QP_OPT_U64, &o.seed, "S", "random seed (default 0); same seed, same bytes"},
        {"stream", QP_OPT_U64, &o.stream, "ID", "random stream id within the seed (default 0)"},
        {"out", QP_OPT_STR, &o.out, "FILE", "detection events (required; written as FILE.partial, then renamed)"},
        {"out-format", QP_OPT_STR, &o.out_format, "FMT", "format of --out: 01 b8 r8 hits dets ptb64 (default 01)"},
        {"obs-out", QP_OPT_STR, &o.obs_out, "FILE", "write observable flips to this file"},
        {"obs-out-format", QP_OPT_STR, &o.obs_out_format, "FMT", "format of --obs-out (default 01)"},
        {"append-observables", QP_OPT_FLAG, &o.append_observables, NULL,
         "append observable flips to each record of --out"},
        {"no-gauge", QP_OPT_FLAG, &o.no_gauge, NULL,
         "skip gauge randomisation (faster; same results when all detectors are deterministic)"},
        {"record-budget", QP_OPT_U64, &o.record_budget, "BYTES",
         "memory for shot records per batch before spilling to a temporary file (default 16 MiB)"},
    };
    int rc = qp_args_parse(argc, argv, "simulate",
                           "Sample detection events and observable flips from a Stim circuit (Pauli-frame "
                           "simulation),\nlike `stim detect`. Observables are dropped unless --obs-out or "
                           "--append-observables is given.",
                           "--circuit F.stim --shots N [--seed S] --out FILE [--out-format FMT] [--obs-out FILE] "
                           "[--append-observables]",
                           opts, (int)(sizeof opts / sizeof opts[0]), NULL, 0, NULL);
    if (rc == QP_ARGS_HELP) return 0;
    if (rc != QP_ARGS_OK) return 2;
    if (!o.circuit) return qp_usage_error("simulate", "--circuit is required");
    if (!o.out) return qp_usage_error("simulate", "--out is required");
    if (shots == UINT64_MAX) return qp_usage_error("simulate", "--shots is required");
    o.shots = shots;
    qp_shot_format fmt, obs_fmt;
    if (qp_shot_format_parse(o.out_format, &fmt) != 0)
        return qp_usage_error("simulate", "unknown format '%s' for --out-format (expected one of %s)", o.out_format,
                              qp_shot_format_names());
    if (qp_shot_format_parse(o.obs_out_format, &obs_fmt) != 0)
        return qp_usage_error("simulate", "unknown format '%s' for --obs-out-format (expected one of %s)",
                              o.obs_out_format, qp_shot_format_names());
    if (o.obs_out && strcmp(o.obs_out, o.out) == 0)
        return qp_usage_error("simulate", "--out and --obs-out name the same file '%s'", o.out);
    if (o.record_budget == 0) return qp_usage_error("simulate", "--record-budget must be positive");
    qp_err err = {{0}};
    if (run_simulate(&o, fmt, obs_fmt, &err) != 0) {
        fprintf(stderr, "qecpipe simulate: %s\n", err.msg);
        return 1;
    }
    return 0;
}
