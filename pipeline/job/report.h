// `qecpipe report`: the statistics of one or more result files as a table, a CSV in sinter's
// columns (so sinter's plotting works on it) and gnuplot plots.
//
// CSV columns, as sinter writes them: shots, errors, discards, seconds, decoder, strong_id,
// json_metadata. strong_id is, as sinter's, a SHA-256 (64 hex digits) over everything that
// defines the decoding problem: the circuit text, the decoder's DEM text(s) (with
// --dem-by-parity both), the decoder name and json_metadata. Equal ids mean the same problem;
// rows of one id from disjoint shots may be summed, as sinter sums them. json_metadata holds
// the experiment's fields: {"name", "code", "b", "d", "r", "p", "noise"}.
//
// The seed and stream that produced an experiment's shots are not in the id (sinter's ids
// leave the randomness out, too): equal id, seed and stream mean the same shots twice (a
// share of a run and the whole run, a .partial and its finished file), which
// qp_report_merge counts once.
#ifndef QP_JOB_REPORT_H
#define QP_JOB_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include "workers/util/err.h"

typedef struct {
    char name[512];     // experiment name (for archives: folder path relative to the archive)
    char decoder[32];
    uint64_t shots, errors, discards;
    double seconds;
    char code[32], basis[8], noise[32];
    uint64_t distance, rounds;  // 0 when unknown
    double p;                   // 0 when unknown
    char strong_id[65];
    char json_metadata[1280];   // as stored with the experiment
    uint64_t seed, stream;      // where the shots came from (archives: the folder's file, 0, 0)
    int unfinished;             // from a run that has not ended: counts are its journal's
    char file[512];             // the result file the row was read from
} qp_report_row;

// Reads every experiment x decoder of a result file (opened read-only on MPI_COMM_SELF) and
// appends rows to (*rows, *n). Rows come in experiment-name order, decoders in name order.
// A file whose run has not ended (a PATH.partial) gives what its journal holds: the
// committed waves' shots and errors, rows marked unfinished.
int qp_report_collect(const char *path, qp_report_row **rows, size_t *n, qp_err *err);

// Rows of one strong_id: with the same seed and stream they hold the same shots (one is a
// prefix of the other), so the one with more shots is kept and a line naming both files goes
// to `warn`; from different seeds or streams they are disjoint samples and are summed
// (shots, errors, discards, seconds), as sinter merges them. Keeps the first row's order.
void qp_report_merge(qp_report_row *rows, size_t *n, FILE *warn);

void qp_report_write_csv(FILE *out, const qp_report_row *rows, size_t n);
void qp_report_print_table(FILE *out, const qp_report_row *rows, size_t n);

// Writes with gnuplot (report_plot.c), each as PNG and SVG, with its .dat and .gp beside it:
//   PREFIX_ler_vs_p       LER per shot vs p, log-log: one panel per decoder x noise model, a
//                         colour and marker per distance (dashed: memory Z), 95 % Wilson bars;
//   PREFIX_ler_per_round  LER per round vs distance: the same panels, a colour per p;
//   PREFIX_decoders       each decoder's LER divided by mwpm's, per experiment.
// Fails if gnuplot is missing.
int qp_report_plots(const qp_report_row *rows, size_t n, const char *prefix, qp_err *err);

#endif
