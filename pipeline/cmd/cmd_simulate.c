// qecpipe simulate: sample detection events (and observable flips) and write them in any Stim
// shot format, like `stim detect` (from a circuit, Pauli-frame simulation) or `stim sample_dem`
// (from a detector error model, --dem). Observables go to --obs-out, and/or are appended to
// each record (--append-observables); with neither they are dropped, as in Stim. Output files
// appear only when complete. Circuit records stream through workers/sim/frame_stream.h, which
// bounds memory for very long experiments (100,000 rounds) with a temporary spill file.
// --readout snr=S,t1_over_tint=T samples analog readout (workers/sim/soft_readout.h): single-
// qubit measurements draw signals instead of flipping with M(p), detection events come from the
// hard decisions, and --soft-out F writes every shot's posteriors p1 (pipeline/formats/soft_file.h).
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pipeline/cli/args.h"
#include "pipeline/cli/leakage_arg.h"
#include "pipeline/cli/readout_arg.h"
#include "pipeline/cmd/cmd.h"
#include "pipeline/formats/record_bits.h"
#include "pipeline/formats/shot_writer.h"
#include "pipeline/formats/soft_file.h"
#include "workers/circuit/circuit.h"
#include "workers/dem/dem.h"
#include "workers/sim/dem_sampler.h"
#include "workers/sim/frame_stream.h"
#include "workers/sim/reference_sample.h"
#include "workers/sim/soft_readout.h"
#include "workers/util/alloc.h"

typedef struct {
    const char *circuit, *dem, *out, *out_format, *obs_out, *obs_out_format, *leakage, *readout, *soft_out;
    double snr, t1_over_tint;
    uint64_t shots, seed, stream, record_budget;
    int append_observables, no_gauge;
    qp_frame_leakage leak;
} simulate_options;

typedef struct {
    qp_shot_writer *out, *obs_out;
    qp_soft_writer *soft_out;
} simulate_outputs;

static int emit_soft(void *ctx, const float *p1, size_t n, qp_err *err) {
    simulate_outputs *w = ctx;
    return qp_soft_writer_write(w->soft_out, p1, n, err);
}

static int emit_records(void *ctx, const uint8_t *recs, const uint8_t *obs, size_t n, qp_err *err) {
    simulate_outputs *w = ctx;
    if (qp_shot_writer_write(w->out, recs, n, err) != 0) return -1;
    if (w->obs_out && qp_shot_writer_write(w->obs_out, obs, n, err) != 0) return -1;
    return 0;
}

// Shots from a DEM in pieces of whole sampler batches that fit the record budget.
static int sample_dem(const qp_dem *d, const simulate_options *o, simulate_outputs *w, qp_err *err) {
    qp_dem_sampler s;
    if (qp_dem_sampler_init(&s, d, err) != 0) return -1;
    uint64_t D = s.num_detectors, K = s.num_observables;
    size_t db = qp_bytes_per_record(D), ob = qp_bytes_per_record(K), jb = qp_bytes_per_record(D + K);
    size_t per_shot = db + ob + (o->append_observables ? jb : 0);
    size_t n_max = o->record_budget / (per_shot ? per_shot : 1);
    if (n_max >= QP_DEM_SAMPLER_BATCH) n_max -= n_max % QP_DEM_SAMPLER_BATCH;
    if (n_max == 0) n_max = 1;
    uint8_t *dets = qp_malloc(n_max * db + 1), *obs = qp_malloc(n_max * ob + 1);
    uint8_t *joined = o->append_observables ? qp_malloc(n_max * jb + 1) : NULL;
    int rc = 0;
    for (uint64_t done = 0; done < o->shots && rc == 0;) {
        size_t n = o->shots - done < n_max ? (size_t)(o->shots - done) : n_max;
        rc = qp_dem_sampler_sample(&s, o->seed, o->stream, done, n, dets, obs, err);
        if (rc == 0 && joined) qp_records_join(dets, obs, n, D, K, joined);
        if (rc == 0) rc = emit_records(w, joined ? joined : dets, obs, n, err);
        done += n;
    }
    free(dets);
    free(obs);
    free(joined);
    qp_dem_sampler_free(&s);
    return rc;
}

static int run_simulate(const simulate_options *o, qp_shot_format fmt, qp_shot_format obs_fmt, qp_err *err) {
    const char *src = o->circuit ? o->circuit : o->dem;
    qp_circuit c;
    qp_dem d;
    qp_circuit_init(&c);
    qp_dem_init(&d);
    int rc = -1;
    simulate_outputs w = {0};
    uint8_t *ref = NULL;
    qp_soft_readout ro;
    uint64_t D, K;
    if (o->circuit) {
        if (qp_circuit_parse_file(&c, o->circuit, err) != 0) goto done;
        D = c.num_detectors, K = c.num_observables;
    } else {
        if (qp_dem_parse_file(&d, o->dem, err) != 0) goto done;
        D = d.num_detectors, K = d.num_observables;
    }
    if (D + (o->append_observables ? K : 0) == 0) {
        qp_fail(err, "%s: no detectors%s", src,
                K ? " (use --append-observables to write only observables)" : " or observables");
        goto done;
    }
    if (o->obs_out && K == 0) {
        qp_fail(err, "%s: --obs-out given but there are no observables", src);
        goto done;
    }
    if (qp_shot_writer_open(&w.out, o->out, fmt, D, o->append_observables ? K : 0, err) != 0) goto done;
    if (o->readout) {
        ref = qp_calloc(c.num_measurements / 8 + 1, 1);
        if (qp_reference_sample(&c, ref, err) != 0 || qp_soft_readout_init(&ro, o->snr, o->t1_over_tint, ref, err) != 0) {
            qp_fail_prefix(err, "%s", src);
            goto done;
        }
    }
    if (o->obs_out && qp_shot_writer_open(&w.obs_out, o->obs_out, obs_fmt, 0, K, err) != 0) goto done;
    // Per shot M p1 values, then with leakage M pleak values (SOFT_INTERFACE.md item 3).
    if (o->soft_out &&
        qp_soft_writer_open(&w.soft_out, o->soft_out, c.num_measurements * (o->leak.p > 0 ? 2 : 1), err) != 0)
        goto done;
    if (o->circuit) {
        qp_frame_stream_params p = {.seed = o->seed, .stream_id = o->stream, .num_shots = o->shots,
                                    .append_observables = o->append_observables,
                                    .want_observables = o->obs_out != NULL, .record_budget = o->record_budget,
                                    .randomize_gauge = !o->no_gauge, .leakage = o->leak,
                                    .readout = o->readout ? &ro : NULL, .emit_soft = o->soft_out ? emit_soft : NULL};
        if (qp_frame_stream(&c, &p, emit_records, &w, err) != 0) {
            qp_fail_prefix(err, "%s", src);
            goto done;
        }
    } else if (sample_dem(&d, o, &w, err) != 0) {
        qp_fail_prefix(err, "%s", src);
        goto done;
    }
    if (w.soft_out) {
        qp_soft_writer *x = w.soft_out;
        w.soft_out = NULL;
        if (qp_soft_writer_close(x, err) != 0) goto done;
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
            // Take back the observables file just written, unless it is a device, FIFO or
            // stdout (written in place: never removed).
            struct stat st;
            if (o->obs_out && lstat(o->obs_out, &st) == 0 && S_ISREG(st.st_mode)) remove(o->obs_out);
            if (o->soft_out && lstat(o->soft_out, &st) == 0 && S_ISREG(st.st_mode)) remove(o->soft_out);
            goto done;
        }
    }
    rc = 0;
done:
    qp_shot_writer_abort(w.out);
    qp_shot_writer_abort(w.obs_out);
    qp_soft_writer_abort(w.soft_out);
    free(ref);
    qp_circuit_free(&c);
    qp_dem_free(&d);
    return rc;
}

int cmd_simulate(int argc, char **argv) {
    simulate_options o = {.out_format = "01", .obs_out_format = "01", .record_budget = 16u << 20};
    uint64_t shots = UINT64_MAX;
    const qp_opt opts[] = {
        {"circuit", QP_OPT_STR, &o.circuit, "FILE", "Stim circuit to sample (this or --dem is required)"},
        {"dem", QP_OPT_STR, &o.dem, "FILE", "sample a detector error model (.dem) instead of a circuit"},
        {"shots", QP_OPT_U64, &shots, "N", "number of shots (required; at most 2^40)"},
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
        {"readout", QP_OPT_STR, &o.readout, "snr=S,t1_over_tint=T",
         "soft readout: single-qubit measurements draw analog signals (replacing their M(p) flips)"},
        {"soft-out", QP_OPT_STR, &o.soft_out, "FILE",
         "with --readout: each shot's P(result 1 | signal) per measurement (then, with --leakage, P(leaked | "
         "signal) per measurement), raw little-endian float32"},
        {"record-budget", QP_OPT_U64, &o.record_budget, "BYTES",
         "memory for shot records at once; beyond it records spill to a temporary file (default 16 MiB)"},
        {"leakage", QP_OPT_STR, &o.leakage, "p=P,mean_rounds=R",
         "leakage (README, Leakage): qubits leak with probability P per unitary gate, stay leaked R measurement layers on average"},
    };
    int rc = qp_args_parse(argc, argv, "simulate",
                           "Sample detection events and observable flips from a Stim circuit (Pauli-frame "
                           "simulation,\nlike `stim detect`) or from a detector error model (--dem, like `stim "
                           "sample_dem`).\nObservables are dropped unless --obs-out or --append-observables is given.",
                           "--circuit F.stim | --dem F.dem  --shots N [--seed S] --out FILE [--out-format FMT] "
                           "[--obs-out FILE] [--append-observables] [--leakage p=P,mean_rounds=R]\n"
                           "       [--readout snr=S,t1_over_tint=T [--soft-out FILE]]",
                           opts, (int)(sizeof opts / sizeof opts[0]), NULL, 0, NULL);
    if (rc == QP_ARGS_HELP) return 0;
    if (rc != QP_ARGS_OK) return 2;
    if (!o.circuit && !o.dem) return qp_usage_error("simulate", "--circuit (or --dem) is required");
    if (o.circuit && o.dem) return qp_usage_error("simulate", "give --circuit or --dem, not both");
    if (!o.out) return qp_usage_error("simulate", "--out is required");
    if (shots == UINT64_MAX) return qp_usage_error("simulate", "--shots is required");
    if (shots > QP_SHOTS_MAX)
        return qp_usage_error("simulate", "--shots %llu is more than this command samples (at most 2^40 = %llu)",
                              (unsigned long long)shots, (unsigned long long)QP_SHOTS_MAX);
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
    char why[256];
    if (o.leakage && qp_leakage_arg_parse(o.leakage, &o.leak, why, sizeof why) != 0)
        return qp_usage_error("simulate", "%s", why);
    if (o.leakage && o.dem) return qp_usage_error("simulate", "--leakage needs --circuit (a DEM has no gates to leak at)");
    if (o.soft_out && !o.readout) return qp_usage_error("simulate", "--soft-out needs --readout snr=S,t1_over_tint=T");
    if (o.readout && o.dem) return qp_usage_error("simulate", "--readout needs --circuit (a DEM has no measurements)");
    if (o.readout) {
        qp_err rerr;
        qp_readout_model rm;
        if (qp_readout_arg_parse(o.readout, &o.snr, &o.t1_over_tint, &rerr) ||
            qp_readout_model_init(&rm, o.snr, o.t1_over_tint, &rerr))
            return qp_usage_error("simulate", "%s", rerr.msg);
    }
    if (o.soft_out && (strcmp(o.soft_out, o.out) == 0 || (o.obs_out && strcmp(o.soft_out, o.obs_out) == 0)))
        return qp_usage_error("simulate", "--soft-out names the same file as --out or --obs-out: '%s'", o.soft_out);
    // ptb64 stores groups of 64 shots: say so before sampling, not after.
    if ((fmt == QP_FORMAT_PTB64 || (o.obs_out && obs_fmt == QP_FORMAT_PTB64)) && shots % 64 != 0)
        return qp_usage_error("simulate", "ptb64 output needs a multiple of 64 shots, got --shots %llu",
                              (unsigned long long)shots);
    qp_err err = {{0}};
    if (run_simulate(&o, fmt, obs_fmt, &err) != 0) {
        fprintf(stderr, "qecpipe simulate: %s\n", err.msg);
        return 1;
    }
    return 0;
}
