// qecpipe sample: sample a circuit's measurement record, like `stim sample`, in any Stim shot
// format (dets writes M<k> tokens). A record is the noiseless reference sample
// (workers/sim/reference_sample.h) XOR the Pauli-frame sampler's measurement flips; random
// results are randomised by the sampler's gauge bits. Heralds of HERALDED_ERASE and
// HERALDED_PAULI_CHANNEL_1 are results like any other (as in Stim's multi-shot sampling).
// The output file appears only when complete (FILE.partial renamed).
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pipeline/cli/args.h"
#include "pipeline/cli/leakage_arg.h"
#include "pipeline/cmd/cmd.h"
#include "pipeline/formats/shot_writer.h"
#include "workers/circuit/circuit.h"
#include "workers/sim/frame_sample.h"
#include "workers/sim/reference_sample.h"
#include "workers/util/alloc.h"

typedef struct {
    const char *circuit, *out, *out_format, *leakage, *leaked_out;
    uint64_t shots, seed, stream, record_budget;
    qp_frame_options frame;
} sample_options;

static int run_sample(const sample_options *o, qp_shot_format fmt, qp_err *err) {
    qp_circuit c;
    if (qp_circuit_parse_file(&c, o->circuit, err) != 0) return -1;
    int rc = -1;
    qp_shot_writer *w = NULL, *wl = NULL;
    uint8_t *ref = NULL, *recs = NULL, *leaked = NULL;
    uint64_t M = c.num_measurements;
    if (M == 0) {
        qp_fail(err, "%s: the circuit has no measurements", o->circuit);
        goto done;
    }
    size_t rb = (M + 7) / 8;
    ref = qp_malloc(rb);
    if (qp_reference_sample(&c, ref, err) != 0) {
        qp_fail_prefix(err, "%s", o->circuit);
        goto done;
    }
    if (qp_shot_writer_open(&w, o->out, fmt, M, 0, err) != 0) goto done;
    qp_shot_writer_set_det_prefix(w, 'M');
    if (o->leaked_out) {
        if (qp_shot_writer_open(&wl, o->leaked_out, fmt, M, 0, err) != 0) goto done;
        qp_shot_writer_set_det_prefix(wl, 'M');
    }
    // Pieces of whole 256-shot blocks that fit the record budget.
    uint64_t n_max = o->record_budget / rb;
    n_max -= n_max % QP_FRAME_BLOCK_SHOTS;
    if (n_max == 0) n_max = QP_FRAME_BLOCK_SHOTS;
    recs = qp_malloc(n_max * rb);
    if (wl) leaked = qp_malloc(n_max * rb);
    for (uint64_t done = 0; done < o->shots;) {
        uint64_t n = o->shots - done < n_max ? o->shots - done : n_max;
        if (qp_frame_sample_measurements_leaked_b8(&c, &o->frame, o->seed, o->stream, done, n, ref, recs, leaked,
                                                   err) != 0) {
            qp_fail_prefix(err, "%s", o->circuit);
            goto done;
        }
        if (qp_shot_writer_write(w, recs, n, err) != 0) goto done;
        if (wl && qp_shot_writer_write(wl, leaked, n, err) != 0) goto done;
        done += n;
    }
    if (wl) {
        qp_shot_writer *x = wl;
        wl = NULL;
        if (qp_shot_writer_close(x, err) != 0) goto done;
    }
    qp_shot_writer *x = w;
    w = NULL;
    rc = qp_shot_writer_close(x, err);
    // The record file failed after the leaked file appeared: take that back (a regular file).
    struct stat st;
    if (rc != 0 && o->leaked_out && lstat(o->leaked_out, &st) == 0 && S_ISREG(st.st_mode)) remove(o->leaked_out);
done:
    qp_shot_writer_abort(w);
    qp_shot_writer_abort(wl);
    free(ref);
    free(recs);
    free(leaked);
    qp_circuit_free(&c);
    return rc;
}

int cmd_sample(int argc, char **argv) {
    sample_options o = {.out_format = "01", .record_budget = 16u << 20};
    uint64_t shots = UINT64_MAX;
    const qp_opt opts[] = {
        {"circuit", QP_OPT_STR, &o.circuit, "FILE", "Stim circuit to sample (required)"},
        {"shots", QP_OPT_U64, &shots, "N", "number of shots (required; at most 2^40)"},
        {"seed", QP_OPT_U64, &o.seed, "S", "random seed (default 0); same seed, same bytes"},
        {"stream", QP_OPT_U64, &o.stream, "ID", "random stream id within the seed (default 0)"},
        {"out", QP_OPT_STR, &o.out, "FILE", "measurement records (required; written as FILE.partial, then renamed; - for stdout)"},
        {"out-format", QP_OPT_STR, &o.out_format, "FMT", "format of --out: 01 b8 r8 hits dets ptb64 (default 01)"},
        {"record-budget", QP_OPT_U64, &o.record_budget, "BYTES", "memory for shot records at once (default 16 MiB)"},
        {"leakage", QP_OPT_STR, &o.leakage, "p=P,mean_rounds=R",
         "leakage (README, Leakage): qubits leak with probability P per unitary gate, stay leaked R measurement layers on average"},
        {"leaked-out", QP_OPT_STR, &o.leaked_out, "FILE",
         "with --leakage: per shot, bit m = the qubit of measurement m was leaked when measured (--out-format)"},
    };
    int rc = qp_args_parse(argc, argv, "sample",
                           "Sample the measurement record of a Stim circuit (like `stim sample`).",
                           "--circuit F.stim --shots N [--seed S] --out FILE [--out-format FMT] "
                           "[--leakage p=P,mean_rounds=R [--leaked-out FILE]]",
                           opts,
                           (int)(sizeof opts / sizeof opts[0]), NULL, 0, NULL);
    if (rc == QP_ARGS_HELP) return 0;
    if (rc != QP_ARGS_OK) return 2;
    if (!o.circuit) return qp_usage_error("sample", "--circuit is required");
    if (!o.out) return qp_usage_error("sample", "--out is required");
    if (shots == UINT64_MAX) return qp_usage_error("sample", "--shots is required");
    if (shots > QP_SHOTS_MAX)
        return qp_usage_error("sample", "--shots %llu is more than this command samples (at most 2^40 = %llu)",
                              (unsigned long long)shots, (unsigned long long)QP_SHOTS_MAX);
    o.shots = shots;
    qp_shot_format fmt;
    if (qp_shot_format_parse(o.out_format, &fmt) != 0)
        return qp_usage_error("sample", "unknown format '%s' for --out-format (expected one of %s)", o.out_format,
                              qp_shot_format_names());
    if (o.record_budget == 0) return qp_usage_error("sample", "--record-budget must be positive");
    qp_frame_options_default(&o.frame);
    char why[256];
    if (o.leakage && qp_leakage_arg_parse(o.leakage, &o.frame.leakage, why, sizeof why) != 0)
        return qp_usage_error("sample", "%s", why);
    if (o.leaked_out && !o.leakage) return qp_usage_error("sample", "--leaked-out needs --leakage");
    if (o.leaked_out && strcmp(o.leaked_out, o.out) == 0)
        return qp_usage_error("sample", "--out and --leaked-out name the same file '%s'", o.leaked_out);
    if (fmt == QP_FORMAT_PTB64 && shots % 64 != 0)
        return qp_usage_error("sample", "ptb64 output needs a multiple of 64 shots, got --shots %llu",
                              (unsigned long long)shots);
    qp_err err = {{0}};
    if (run_sample(&o, fmt, &err) != 0) {
        fprintf(stderr, "qecpipe sample: %s\n", err.msg);
        return 1;
    }
    return 0;
}
