// qecpipe decode: decode detection events with a matching decoder (or the neural decoder),
// streaming in batches. The model comes from a DEM (--dem) or a circuit (--circuit, analysed
// into a decomposed DEM); for --decoder nn from a trained model (--model) and the circuit.
// Predictions (one bit per observable per shot) go to --out; with --obs-in the actual
// observable flips are compared and "shots, errors, LER with a 95 % Wilson interval" is
// printed. A shot file whose record size does not fit the model's detector count is rejected
// before any decoding; the output file appears only when complete.
// Long experiments: --window W decodes in sliding windows; without it, a model of more than
// QP_JOB_GLOBAL_MAX_DETECTORS detectors gets the job's automatic window (W = 100, C = 50
// rounds: the DEM does not say d). Under mpirun the ranks share each shot's segments and rank
// 0 writes; a global decoder runs on rank 0 only.
// --decoder mwpm-soft (and nn with a soft-input model) reads each shot's soft readout from --soft-in (pipeline/formats/soft_file.h:
// p1 per measurement, then pleak when the sampler ran with leakage, which the file's size tells)
// and needs --circuit (which edge each measurement's flip is).
#include <math.h>
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/cli/args.h"
#include "pipeline/cmd/cmd.h"
#include "pipeline/config/shipped.h"
#include "pipeline/formats/record_bits.h"
#include "pipeline/formats/shot_reader.h"
#include "pipeline/formats/shot_writer.h"
#include "pipeline/formats/soft_file.h"
#include "pipeline/job/window_ranks.h"
#include "pipeline/job/decoder_open.h"
#include "pipeline/job/experiment.h"
#include "workers/decode/window.h"
#include "workers/circuit/circuit.h"
#include "workers/decode/decoder.h"
#include "workers/dem/dem.h"
#include "workers/dem/error_analysis.h"
#include "workers/util/alloc.h"
#include "workers/util/stats.h"

enum { DECODE_BATCH = 4096 };

typedef struct {
    const char *dem, *circuit, *in, *in_format, *out, *out_format, *obs_in, *obs_in_format, *decoder;
    const char *model;  // --decoder nn: the trained model (with --circuit for the layout)
    const char *soft_in;  // --decoder mwpm-soft: the shots' soft readout
    uint64_t window, commit, segment;  // --window W [--commit C] [--segment S] rounds (0: global matching)
} decode_options;

// The DEM (--dem, or the --circuit's); *circuit_out (may be NULL) keeps the parsed circuit.
static int load_model(const decode_options *o, qp_dem *dem, qp_circuit *circuit_out, qp_err *err) {
    qp_dem_init(dem);
    if (o->dem) return qp_dem_parse_file(dem, o->dem, err);
    qp_circuit c;
    if (qp_circuit_parse_file(&c, o->circuit, err) != 0) {
        qp_circuit_free(&c);
        return -1;
    }
    qp_error_analysis_options eo = {.decompose_errors = 1, .fold_loops = 1};
    int rc = qp_error_analysis(&c, &eo, dem, err);
    if (rc) qp_fail_prefix(err, "%s", o->circuit);
    if (rc == 0 && circuit_out) *circuit_out = c;
    else qp_circuit_free(&c);
    return rc;
}

// The decoder behind the batches: from the DEM (or the circuit's), or for kinds that need a
// model from the model file and the circuit.
static qp_decoder *open_decoder(const decode_options *o, qp_decoder_id id, qp_err *err) {
    qp_decoder *dec = NULL;
    if (qp_decoder_kind_of(id)->needs_model) {
        qp_circuit c;
        if (qp_circuit_parse_file(&c, o->circuit, err) == 0) {
            qp_decoder_inputs in = {NULL, &c, o->model, NULL};
            qp_decoder_open(id, &in, &dec, err);
        }
        qp_circuit_free(&c);
        return dec;
    }
    qp_dem dem;
    qp_circuit c;
    qp_circuit_init(&c);
    int from_circuit = qp_decoder_kind_of(id)->from_circuit != NULL;  // mwpm-soft: global, with the circuit
    if (load_model(o, &dem, from_circuit ? &c : NULL, err) == 0) {
        qp_window_options wo = {.window = o->window, .commit = o->commit, .segment = o->segment};
        if (!from_circuit) qp_job_window_choice(&wo.window, &wo.commit, 0, dem.num_detectors);
        qp_decoder_inputs in = {&dem, from_circuit ? &c : NULL, NULL, &wo};
        if (qp_decoder_open(id, &in, &dec, err) != 0) qp_fail_prefix(err, "%s", o->dem ? o->dem : o->circuit);
    }
    qp_circuit_free(&c);
    qp_dem_free(&dem);
    return dec;
}

// Opens --soft-in for num_shots shots of the decoder's circuit. A file of twice as many
// p1-only shots as --in has is the sampler's p1-then-pleak layout (leakage on).
static int open_soft_in(const decode_options *o, uint64_t num_shots, qp_soft_reader **r, qp_soft_batch *soft,
                        qp_err *err) {
    qp_circuit c;
    if (qp_circuit_parse_file(&c, o->circuit, err) != 0) {
        qp_circuit_free(&c);
        return -1;
    }
    uint64_t M = c.num_measurements;
    qp_circuit_free(&c);
    if (qp_soft_reader_open(r, o->soft_in, M, 0, err) != 0) return -1;
    uint64_t n = qp_soft_reader_num_shots(*r);
    int leak = n != UINT64_MAX && n != num_shots && n == 2 * num_shots;
    if (leak) {
        qp_soft_reader_close(*r);
        if (qp_soft_reader_open(r, o->soft_in, M, 1, err) != 0) return -1;
    } else if (n != UINT64_MAX && n != num_shots) {
        qp_fail(err, "%s holds %llu shots of %llu measurements (p1 only; twice that with leakage) but %s has %llu shots",
                o->soft_in, (unsigned long long)n, (unsigned long long)M, o->in, (unsigned long long)num_shots);
        qp_soft_reader_close(*r);
        *r = NULL;
        return -1;
    }
    *soft = (qp_soft_batch){NULL, NULL, (size_t)M * (leak ? 2 : 1), M};
    return 0;
}

static int run_decode(const decode_options *o, qp_decoder_id id, qp_shot_format in_fmt, qp_shot_format out_fmt,
                      qp_shot_format obs_fmt, qp_err *err) {
    qp_decoder *dec = open_decoder(o, id, err);
    if (!dec) return -1;
    uint64_t D = qp_decoder_num_detectors(dec);
    uint32_t K = qp_decoder_num_observables(dec);
    qp_shot_reader *in = NULL;
    qp_shot_writer *out = NULL;
    qp_soft_reader *soft_in = NULL;
    qp_soft_batch soft = {0};
    float *soft_values = NULL;
    uint8_t *records = NULL, *dets = NULL, *actual = NULL, *pred = NULL;
    int rc = -1;
    uint64_t shots = 0, errors = 0;
    // Record sizes are checked up front (b8/ptb64 by file size), before any decoding.
    uint64_t num_dets_records = 0;
    if (qp_shot_file_count_records(o->in, in_fmt, D, 0, &num_dets_records, err) != 0) {
        char msg[sizeof err->msg];
        snprintf(msg, sizeof msg, "%s", err->msg);
        qp_fail(err, "%s (the model has %llu detectors)", msg, (unsigned long long)D);
        goto done;
    }
    if (o->obs_in) {
        uint64_t num_obs_records = 0;
        if (K == 0) {
            qp_fail(err, "--obs-in given but the model has no observables");
            goto done;
        }
        if (qp_shot_file_count_records(o->obs_in, obs_fmt, 0, K, &num_obs_records, err) != 0) goto done;
        if (num_obs_records != num_dets_records) {
            qp_fail(err, "%s has %llu shots but %s has %llu", o->in, (unsigned long long)num_dets_records,
                    o->obs_in, (unsigned long long)num_obs_records);
            goto done;
        }
    }
    if (o->soft_in && open_soft_in(o, num_dets_records, &soft_in, &soft, err)) goto done;
    if (o->obs_in ? qp_shot_reader_open_split(&in, o->in, in_fmt, o->obs_in, obs_fmt, D, K, err)
                  : qp_shot_reader_open(&in, o->in, in_fmt, D, 0, err))
        goto done;
    // Under mpirun every rank decodes segments of each shot of a windowed decoder; rank 0 writes.
    int rank = 0, size = 1, mpi = 0;
    MPI_Initialized(&mpi);
    if (mpi && !qp_decoder_kind_of(id)->needs_model) {
        MPI_Comm_rank(MPI_COMM_WORLD, &rank);
        MPI_Comm_size(MPI_COMM_WORLD, &size);
    }
    const qp_window *win = qp_decoder_window(dec);
    if (win && !o->window && rank == 0) {
        const qp_window_layout *l = qp_window_get_layout(win);
        fprintf(stderr, "qecpipe decode: %llu detectors: decoding in windows of %llu rounds committing %llu "
                        "(--window W [--commit C] to choose)\n",
                (unsigned long long)D, (unsigned long long)(l->window_its * l->period),
                (unsigned long long)(l->commit_its * l->period));
    }
    if (size > 1 && !win) {  // one rank is enough for a global decoder
        if (rank != 0) {
            rc = 0;
            goto done;
        }
        size = 1;
    }
    int open_rc = rank == 0 && o->out ? qp_shot_writer_open(&out, o->out, out_fmt, 0, K ? K : 1, err) : 0;
    if (size > 1) MPI_Bcast(&open_rc, 1, MPI_INT, 0, MPI_COMM_WORLD);  // the others must not wait for rank 0
    if (open_rc) goto done;
    uint64_t KK = o->obs_in ? K : 0;
    size_t bpr = qp_bytes_per_record(D + KK), dbytes = qp_bytes_per_record(D), obytes = qp_bytes_per_record(K ? K : 1);
    records = qp_malloc(DECODE_BATCH * bpr);
    dets = qp_malloc(DECODE_BATCH * (dbytes ? dbytes : 1));
    actual = qp_malloc(DECODE_BATCH * obytes);
    pred = qp_calloc(DECODE_BATCH, obytes);
    if (soft_in) {  // per shot: M p1 values, then M pleak values when the file has them
        soft.p1 = soft_values = qp_malloc(DECODE_BATCH * soft.stride * sizeof *soft_values);
        if (soft.stride > soft.num_measurements) soft.pleak = soft_values + soft.num_measurements;
    }
    for (;;) {
        int64_t got = qp_shot_reader_read(in, records, DECODE_BATCH, err);
        if (got < 0) goto done;
        if (soft_in) {  // the same shots' soft readout
            int64_t sgot = qp_soft_reader_read(soft_in, soft_values, (size_t)(got ? got : 1), err);
            if (sgot < 0) goto done;
            if (sgot != (got ? got : 0)) {
                qp_fail(err, "%s ends at shot %llu but %s goes on", sgot < got ? o->soft_in : o->in,
                        (unsigned long long)(shots + (uint64_t)(sgot < got ? sgot : got)), sgot < got ? o->in : o->soft_in);
                goto done;
            }
        }
        if (got == 0) break;
        if (KK) qp_records_split(records, (size_t)got, D, K, dets, actual);
        else memcpy(dets, records, (size_t)got * dbytes);
        if (size > 1 ? qp_job_window_decode_batch(dec, dets, (size_t)got, dbytes, pred, MPI_COMM_WORLD, err)
                     : qp_decoder_decode_batch_soft(dec, dets, (size_t)got, dbytes, soft_in ? &soft : NULL, pred, NULL, err)) {
            qp_fail_prefix(err, "%s: shots %llu..", o->in, (unsigned long long)shots);
            goto done;
        }
        if (KK)
            for (int64_t s = 0; s < got; s++) errors += memcmp(pred + s * obytes, actual + s * obytes, obytes) != 0;
        if (out && qp_shot_writer_write(out, pred, (size_t)got, err)) goto done;
        shots += (uint64_t)got;
    }
    if (out) {
        qp_shot_writer *w = out;
        out = NULL;
        if (qp_shot_writer_close(w, err)) goto done;
    }
    if (o->obs_in && rank == 0) {
        double lo, hi;
        qp_wilson_interval(errors, shots, 1.959963984540054, &lo, &hi);
        printf("shots %llu errors %llu ler %.6g ci95 [%.6g, %.6g]\n", (unsigned long long)shots,
               (unsigned long long)errors, shots ? (double)errors / (double)shots : 0.0, lo, hi);
    }
    rc = 0;
done:
    qp_shot_writer_abort(out);
    qp_shot_reader_close(in);
    qp_soft_reader_close(soft_in);
    free(soft_values);
    free(records);
    free(dets);
    free(actual);
    free(pred);
    qp_decoder_free(dec);
    return rc;
}

int cmd_decode(int argc, char **argv) {
    decode_options o = {.in_format = "b8", .out_format = "01", .obs_in_format = "b8", .decoder = "mwpm"};
    char decoder_names[256], decoder_help[320];
    qp_decoder_list_names(decoder_names, sizeof decoder_names);
    snprintf(decoder_help, sizeof decoder_help, "decoder: %s (default mwpm)", decoder_names);
    const qp_opt opts[] = {
        {"dem", QP_OPT_STR, &o.dem, "FILE", "detector error model (Stim .dem, decomposed with ^)"},
        {"circuit", QP_OPT_STR, &o.circuit, "FILE", "or: a Stim circuit, analysed into a decomposed model"},
        {"in", QP_OPT_STR, &o.in, "FILE", "detection events (required)"},
        {"in-format", QP_OPT_STR, &o.in_format, "FMT", "format of --in: 01 b8 r8 hits dets ptb64 (default b8)"},
        {"out", QP_OPT_STR, &o.out, "FILE", "predicted observable flips (written as FILE.partial, then renamed)"},
        {"out-format", QP_OPT_STR, &o.out_format, "FMT", "format of --out (default 01)"},
        {"obs-in", QP_OPT_STR, &o.obs_in, "FILE", "actual observable flips: count mistakes, print shots/errors/LER"},
        {"obs-in-format", QP_OPT_STR, &o.obs_in_format, "FMT", "format of --obs-in (default b8)"},
        {"decoder", QP_OPT_STR, &o.decoder, "NAME", decoder_help},
        {"soft-in", QP_OPT_STR, &o.soft_in, "FILE",
         "with --decoder mwpm-soft, or nn with a soft-input model: the shots' soft readout (float32 p1 per "
         "measurement, as simulate --soft-out writes)"},
        {"model", QP_OPT_STR, &o.model, "FILE", "with --decoder nn: a model from qecpipe train, or the name of a shipped model (default: the shipped model covering --circuit)"},
        {"window", QP_OPT_U64, &o.window, "W", "decode in sliding windows of W rounds (long experiments; default: global)"},
        {"commit", QP_OPT_U64, &o.commit, "C", "with --window: rounds committed per window (default W/2)"},
        {"segment", QP_OPT_U64, &o.segment, "S",
         "with --window: rounds per segment; under mpirun the ranks decode a shot's segments in parallel (default 100 W)"},
    };
    int rc = qp_args_parse(argc, argv, "decode",
                           "Decode detection events with a matching decoder: mwpm (exact minimum-weight perfect matching), mwpm-corr\n"
                           "(correlated matching: a second pass reweighted by the first pass's edges), uf (union-find);\n"
                           "ml (exact maximum likelihood, the optimum, for tiny models: at most 25 detectors + observables,\n"
                           "e.g. d=3 with 3 rounds; it builds a 256 MB table for seconds first);\n"
                           "or with the neural decoder: --decoder nn --circuit F.stim [--model M.h5] (without --model: the shipped\n"
                           "model, models/, whose distance, basis, noise family and p cover the circuit);\n"
                           "or mwpm-soft --circuit F.stim --soft-in F.f32: mwpm with each shot's measurement-error edges reweighted\n"
                           "by its soft readout (p1 per measurement, from simulate --readout ... --soft-out F.f32); a soft-input\n"
                           "nn model (trained with noise.readout) takes --soft-in too.\n"
                           "With --obs-in, prints: shots N errors E ler X ci95 [lo, hi] (Wilson interval).",
                           "(--dem F | --circuit F) --in dets.b8 [--out pred.01] [--obs-in obs.b8] [--decoder mwpm]",
                           opts, (int)(sizeof opts / sizeof opts[0]), NULL, 0, NULL);
    if (rc == QP_ARGS_HELP) return 0;
    if (rc != QP_ARGS_OK) return 2;
    if (!o.dem == !o.circuit) return qp_usage_error("decode", "give exactly one of --dem or --circuit");
    if (!o.in) return qp_usage_error("decode", "--in is required");
    if (!o.out && !o.obs_in) return qp_usage_error("decode", "give --out and/or --obs-in");
    int id = qp_decoder_from_name(o.decoder);
    if (id < 0) return qp_usage_error("decode", "unknown decoder '%s' (available: %s)", o.decoder, decoder_names);
    int needs_model = qp_decoder_kind_of((qp_decoder_id)id)->needs_model;
    if (needs_model && !o.circuit)
        return qp_usage_error("decode", "--decoder %s needs --circuit FILE (the model's layout)", o.decoder);
    if (!needs_model && o.model) return qp_usage_error("decode", "--model is only for --decoder nn");
    int needs_soft = qp_decoder_kind_of((qp_decoder_id)id)->needs_soft;
    if (needs_soft && !o.soft_in)
        return qp_usage_error("decode", "--decoder %s needs --soft-in FILE (the shots' soft readout, from simulate --soft-out)",
                              o.decoder);
    if (!needs_soft && !needs_model && o.soft_in)
        return qp_usage_error("decode", "--soft-in is only for --decoder mwpm-soft or nn");
    if (needs_soft && !o.circuit)
        return qp_usage_error("decode", "--decoder %s needs --circuit FILE (which edge each measurement's flip is)",
                              o.decoder);
    if (needs_soft && o.window) return qp_usage_error("decode", "--decoder %s decodes globally: no --window", o.decoder);
    if ((o.commit || o.segment) && !o.window) return qp_usage_error("decode", "--commit and --segment need --window");
    if (needs_model && o.window) return qp_usage_error("decode", "--window is for the matching decoders");
    qp_shot_format fmts[3];
    const char *names[3] = {o.in_format, o.out_format, o.obs_in_format};
    const char *flags[3] = {"in-format", "out-format", "obs-in-format"};
    for (int i = 0; i < 3; i++)
        if (qp_shot_format_parse(names[i], &fmts[i]) != 0)
            return qp_usage_error("decode", "unknown format '%s' for --%s (expected one of %s)", names[i], flags[i],
                                  qp_shot_format_names());
    qp_err err = {{0}};
    char model_path[4096];  // --model: a file, or the name of a shipped model
    if (o.model && qp_shipped_find(QP_SHIPPED_MODEL, o.model, model_path, sizeof model_path, &err) != 0) {
        fprintf(stderr, "qecpipe decode: %s\n", err.msg);
        return 1;
    }
    if (o.model) o.model = model_path;
    // Model files are read through the HDF5 store; under mpirun windows spread one shot over
    // the ranks. A plain invocation of a matching decoder skips MPI (its start-up costs seconds).
    int mpi = needs_model || getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMI_SIZE") || getenv("PMIX_RANK"), rank = 0;
    if (mpi) {
        MPI_Init(&argc, &argv);
        MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    }
    rc = run_decode(&o, (qp_decoder_id)id, fmts[0], fmts[1], fmts[2], &err);
    if (rc != 0 && rank == 0) fprintf(stderr, "qecpipe decode: %s\n", err.msg);
    if (mpi) MPI_Finalize();
    return rc == 0 ? 0 : 1;
}
