// qecpipe redecode ARCHIVE_DIR --out results.h5 [--decoders mwpm,...] [--dem-name NAME | --dem-by-parity]
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/cli/args.h"
#include "pipeline/cmd/cmd.h"
#include "pipeline/config/shipped.h"
#include "pipeline/job/run_job.h"

// "mwpm,uf" -> bitmask; 0 on an unknown name (reported).
static uint32_t parse_decoders(const char *list) {
    uint32_t mask = 0;
    char buf[256];
    snprintf(buf, sizeof buf, "%s", list);
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        int k = qp_decoder_from_name(tok);
        if (k < 0) {
            char names[256];
            qp_decoder_list_names(names, sizeof names);
            qp_usage_error("redecode", "unknown decoder '%s' (known: %s)", tok, names);
            return 0;
        }
        mask |= QP_DECODER_BIT(k);
    }
    if (!mask) qp_usage_error("redecode", "--decoders lists no decoder");
    return mask;
}

int cmd_redecode(int argc, char **argv) {
    const char *out = NULL, *decoders = "mwpm", *dem_name = NULL, *model = NULL, *store = "predictions";
    uint64_t deflate = 0;
    int by_parity = 0, quiet = 0, restart = 0;
    uint64_t wave_shots = 0;
    uint64_t spt = 10000;
    char names[256], decoders_help[320];
    qp_decoder_list_names(names, sizeof names);
    snprintf(decoders_help, sizeof decoders_help, "comma-separated decoders: %s (default mwpm)", names);
    const qp_opt opts[] = {
        {"out", QP_OPT_STR, &out, "PATH", "result file (required)"},
        {"decoders", QP_OPT_STR, &decoders, "LIST", decoders_help},
        {"model", QP_OPT_STR, &model, "FILE", "the nn decoder's model (a qecpipe train checkpoint, or the name of a shipped model)"},
        {"dem-name", QP_OPT_STR, &dem_name, "NAME", "DEM file in each folder (default circuit_detector_error_model.dem if present, else derived from the circuit)"},
        {"dem-by-parity", QP_OPT_FLAG, &by_parity, NULL, "even shots with pij_from_odd_for_even.dem, odd shots with pij_from_even_for_odd.dem (as Google decoded them)"},
        {"shots-per-task", QP_OPT_SIZE, &spt, "N", "shots per scheduler task (default 10000)"},
        {"quiet", QP_OPT_FLAG, &quiet, NULL, "no progress or \"wrote\" lines on stderr; the result lines (one per experiment and decoder) still go to stdout"},
        {"restart", QP_OPT_FLAG, &restart, NULL, "discard an unfinished PATH.partial instead of resuming it"},
        {"store", QP_OPT_STR, &store, "LIST", "what the result file keeps per shot, comma-separated: predictions, weights, confidence, samples (default predictions; \"\" keeps only the statistics)"},
        {"deflate", QP_OPT_U64, &deflate, "N", "compress per-shot data with shuffle + deflate level N (1..9; default 0, off)"},
        {"wave-shots", QP_OPT_U64, &wave_shots, "N", "shots per journaled wave (default 1048576): what an interruption can lose"},
    };
    const char *pos[1];
    int npos = 0;
    int st = qp_args_parse(argc, argv, "redecode",
                           "Re-decode an archive of experiments in Google's published layout: every "
                           "folder holding detection_events.b8 (with circuit_noisy.stim or "
                           "circuit_ideal.stim and obs_flips_actual.01 or .b8) is one experiment, named "
                           "by its path relative to ARCHIVE_DIR. Folders x shot ranges are sharded over "
                           "the MPI ranks; results go to one HDF5 file (see qecpipe report).",
                           "ARCHIVE_DIR --out PATH [options]", opts, sizeof opts / sizeof opts[0], pos, 1, &npos);
    if (st == QP_ARGS_HELP) return 0;
    if (st != QP_ARGS_OK) return 2;
    if (npos != 1) return qp_usage_error("redecode", "missing ARCHIVE_DIR");
    if (!out) return qp_usage_error("redecode", "missing --out PATH");
    if (by_parity && dem_name) return qp_usage_error("redecode", "--dem-name and --dem-by-parity exclude each other");
    if (spt == 0) return qp_usage_error("redecode", "--shots-per-task must be at least 1");
    uint32_t mask = parse_decoders(decoders);
    if (!mask) return 2;
    if ((mask & qp_decoder_model_kinds()) && !model) return qp_usage_error("redecode", "decoder nn needs --model FILE");
    if (mask & qp_decoder_soft_kinds())
        return qp_usage_error("redecode", "decoder mwpm-soft needs soft readout, which archives do not hold");
    uint32_t keep;
    qp_err kerr = {{0}};
    if (qp_keep_parse(store, &keep, &kerr) != 0) return qp_usage_error("redecode", "--store: %s", kerr.msg);
    if (deflate > 9) return qp_usage_error("redecode", "--deflate %llu: expected 0..9", (unsigned long long)deflate);

    MPI_Init(&argc, &argv);
    int rank;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    // The job's identity for resuming: the same archive, decoders and DEM choice.
    char text[4096];
    snprintf(text, sizeof text, "redecode %s --decoders %s%s%s%s%s%s --shots-per-task %llu --store '%s' --deflate %llu\n",
             pos[0], decoders, dem_name ? " --dem-name " : "", dem_name ? dem_name : "",
             by_parity ? " --dem-by-parity" : "", model ? " --model " : "", model ? model : "",
             (unsigned long long)spt, store, (unsigned long long)deflate);
    qp_err err = {{0}};
    char model_path[4096];  // --model: a file, or the name of a shipped model
    int rc = model ? qp_shipped_find(QP_SHIPPED_MODEL, model, model_path, sizeof model_path, &err) : 0;
    qp_archive_options aopt = {.dem_name = dem_name, .dem_by_parity = by_parity, .decoders = mask,
                               .model = model ? model_path : NULL, .store = keep, .deflate = (int)deflate};
    qp_run_options ro = {.output = out, .quiet = quiet, .restart = restart, .wave_shots = wave_shots};
    if (rc == 0) rc = qp_redecode_job(pos[0], &aopt, spt, text, &ro, MPI_COMM_WORLD, &err);
    if (rc != 0 && rank == 0) fprintf(stderr, "qecpipe redecode: %s\n", err.msg);
    if (rc == 0 && rank == 0 && !quiet) fprintf(stderr, "qecpipe redecode: wrote %s\n", out);
    MPI_Finalize();
    return rc == 0 ? 0 : 1;
}
