// qecpipe convert: re-encode shot data between Stim formats (01 b8 r8 hits dets ptb64),
// streaming in batches. Observables are appended to each record unless a separate file is
// named (--obs-in to read them from one, --obs-out to write them to one), as Stim's
// --append_observables / --obs_out do. Record sizes come from --num-detectors /
// --num-observables or from a --circuit or --dem file. Output files appear only when complete.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/cli/args.h"
#include "pipeline/cmd/cmd.h"
#include "pipeline/formats/record_bits.h"
#include "pipeline/formats/shot_reader.h"
#include "pipeline/formats/shot_writer.h"
#include "workers/circuit/circuit.h"
#include "workers/dem/dem.h"
#include "workers/util/alloc.h"

enum { BATCH_BYTES_TARGET = 4 << 20 };

typedef struct {
    const char *in, *in_format, *obs_in, *obs_in_format;
    const char *out, *out_format, *obs_out, *obs_out_format;
    uint64_t num_detectors, num_observables;
} convert_options;

static int run_convert(const convert_options *o, qp_shot_format in_fmt, qp_shot_format obs_in_fmt,
                       qp_shot_format out_fmt, qp_shot_format obs_out_fmt, uint64_t *num_records, qp_err *err) {
    uint64_t D = o->num_detectors, K = o->num_observables;
    size_t bpr = qp_bytes_per_record(D + K);
    size_t batch = BATCH_BYTES_TARGET / bpr;
    if (batch < 1) batch = 1;
    qp_shot_reader *in = NULL;
    qp_shot_writer *out = NULL;
    uint8_t *records = NULL;  // (batch, bpr): D detector bits then K observable bits
    int rc = -1;
    *num_records = 0;
    if (o->obs_in ? qp_shot_reader_open_split(&in, o->in, in_fmt, o->obs_in, obs_in_fmt, D, K, err)
                  : qp_shot_reader_open(&in, o->in, in_fmt, D, K, err))
        goto done;
    if (o->obs_out ? qp_shot_writer_open_split(&out, o->out, out_fmt, o->obs_out, obs_out_fmt, D, K, err)
                   : qp_shot_writer_open(&out, o->out, out_fmt, D, K, err))
        goto done;
    records = qp_malloc(batch * bpr);
    for (;;) {
        int64_t got = qp_shot_reader_read(in, records, batch, err);
        if (got < 0) goto done;
        if (got == 0) break;
        if (qp_shot_writer_write(out, records, (size_t)got, err) != 0) goto done;
        *num_records += (uint64_t)got;
    }
    qp_shot_writer *w = out;
    out = NULL;
    rc = qp_shot_writer_close(w, err);
done:
    qp_shot_writer_abort(out);
    qp_shot_reader_close(in);
    free(records);
    return rc;
}

// Takes detector and observable counts from a Stim circuit or DEM file.
static int sizes_from_file(const char *circuit_path, const char *dem_path, uint64_t *num_detectors,
                           uint64_t *num_observables, qp_err *err) {
    if (circuit_path) {
        qp_circuit c;
        if (qp_circuit_parse_file(&c, circuit_path, err) != 0) {
            qp_circuit_free(&c);
            return -1;
        }
        *num_detectors = c.num_detectors;
        *num_observables = c.num_observables;
        qp_circuit_free(&c);
    } else {
        qp_dem d;
        qp_dem_init(&d);
        if (qp_dem_parse_file(&d, dem_path, err) != 0) {
            qp_dem_free(&d);
            return -1;
        }
        *num_detectors = d.num_detectors;
        *num_observables = d.num_observables;
        qp_dem_free(&d);
    }
    return 0;
}

int cmd_convert(int argc, char **argv) {
    convert_options o = {.in_format = "01", .out_format = "01", .obs_in_format = "01", .obs_out_format = "01"};
    uint64_t num_detectors = UINT64_MAX, num_observables = UINT64_MAX;
    const char *circuit_path = NULL, *dem_path = NULL;
    const qp_opt opts[] = {
        {"in", QP_OPT_STR, &o.in, "FILE", "input shot data (required; - for stdin)"},
        {"in-format", QP_OPT_STR, &o.in_format, "FMT", "input format: 01 b8 r8 hits dets ptb64 (default 01)"},
        {"obs-in", QP_OPT_STR, &o.obs_in, "FILE", "read observables from this file instead of appended to --in"},
        {"obs-in-format", QP_OPT_STR, &o.obs_in_format, "FMT", "format of --obs-in (default 01)"},
        {"out", QP_OPT_STR, &o.out, "FILE", "output file (required; written as FILE.partial, then renamed; - for stdout)"},
        {"out-format", QP_OPT_STR, &o.out_format, "FMT", "output format (default 01)"},
        {"obs-out", QP_OPT_STR, &o.obs_out, "FILE", "write observables here instead of appending them to --out"},
        {"obs-out-format", QP_OPT_STR, &o.obs_out_format, "FMT", "format of --obs-out (default 01)"},
        {"num-detectors", QP_OPT_SIZE, &num_detectors, "N", "detectors per record (or give --circuit/--dem)"},
        {"num-observables", QP_OPT_SIZE, &num_observables, "K", "observables per record (default 0, or from --circuit/--dem)"},
        {"circuit", QP_OPT_STR, &circuit_path, "FILE", "take N and K from this Stim circuit"},
        {"dem", QP_OPT_STR, &dem_path, "FILE", "take N and K from this detector error model"},
    };
    int rc = qp_args_parse(argc, argv, "convert",
                           "Convert shot data between Stim formats. Records are N detector bits followed by K "
                           "observable bits\n(appended), unless --obs-in / --obs-out name a separate file for the "
                           "observables.\nWith --circuit or --dem, N and K are the file's detector and observable "
                           "counts (an explicit\n--num-detectors / --num-observables overrides them; "
                           "--num-observables 0 for data without observables).\nptb64 needs a multiple of 64 shots.",
                           "--in F --in-format FMT --out G --out-format FMT --num-detectors N [--num-observables K]",
                           opts, (int)(sizeof opts / sizeof opts[0]), NULL, 0, NULL);
    if (rc == QP_ARGS_HELP) return 0;
    if (rc != QP_ARGS_OK) return 2;
    if (!o.in) return qp_usage_error("convert", "--in is required");
    if (!o.out) return qp_usage_error("convert", "--out is required");
    if (circuit_path && dem_path) return qp_usage_error("convert", "give --circuit or --dem, not both");
    if (num_detectors == UINT64_MAX && !circuit_path && !dem_path)
        return qp_usage_error("convert", "--num-detectors (or --circuit / --dem) is required");
    qp_err err = {{0}};
    if (circuit_path || dem_path) {
        uint64_t file_detectors, file_observables;
        if (sizes_from_file(circuit_path, dem_path, &file_detectors, &file_observables, &err) != 0) {
            fprintf(stderr, "qecpipe convert: %s\n", err.msg);
            return 1;
        }
        if (num_detectors == UINT64_MAX) num_detectors = file_detectors;
        if (num_observables == UINT64_MAX) num_observables = file_observables;
    }
    o.num_detectors = num_detectors;
    o.num_observables = num_observables == UINT64_MAX ? 0 : num_observables;
    if (o.num_detectors + o.num_observables == 0)
        return qp_usage_error("convert", "records need at least one bit (--num-detectors and --num-observables are 0)");
    if ((o.obs_in || o.obs_out) && o.num_observables == 0)
        return qp_usage_error("convert", "--obs-in/--obs-out need --num-observables > 0");
    if ((o.obs_in || o.obs_out) && o.num_detectors == 0)
        return qp_usage_error("convert", "--obs-in/--obs-out need --num-detectors > 0");
    qp_shot_format fmts[4];
    const char *names[4] = {o.in_format, o.obs_in_format, o.out_format, o.obs_out_format};
    const char *flags[4] = {"in-format", "obs-in-format", "out-format", "obs-out-format"};
    for (int i = 0; i < 4; i++)
        if (qp_shot_format_parse(names[i], &fmts[i]) != 0)
            return qp_usage_error("convert", "unknown format '%s' for --%s (expected one of %s)", names[i], flags[i],
                                  qp_shot_format_names());
    const char *paths[4] = {o.in, o.obs_in, o.out, o.obs_out};
    for (int i = 0; i < 4; i++)
        for (int j = i + 1; j < 4; j++)
            if (paths[i] && paths[j] && strcmp(paths[i], paths[j]) == 0 &&
                !(strcmp(paths[i], "-") == 0 && i < 2 && j >= 2))  // stdin in, stdout out is fine
                return qp_usage_error("convert", "the same file '%s' is given twice", paths[i]);

    uint64_t num_records = 0;
    if (run_convert(&o, fmts[0], fmts[1], fmts[2], fmts[3], &num_records, &err) != 0) {
        fprintf(stderr, "qecpipe convert: %s\n", err.msg);
        return 1;
    }
    return 0;
}
