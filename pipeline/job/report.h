// `qecpipe report`: the statistics of one or more result files as a table, a CSV in sinter's
// columns (so sinter's plotting works on it) and gnuplot plots.
//
// CSV columns, as sinter writes them: shots, errors, discards, seconds, decoder, strong_id,
// json_metadata. strong_id is a 64-bit FNV-1a hash (hex) of the circuit text, the DEM text and
// the decoder name: equal ids mean the same decoding problem. json_metadata holds the
// experiment's fields: {"name", "code", "b", "d", "r", "p", "noise"}.
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
    char strong_id[17];
    char json_metadata[1280];   // as stored with the experiment
} qp_report_row;

// Reads every experiment x decoder of a result file (opened read-only on MPI_COMM_SELF) and
// appends rows to (*rows, *n). Rows come in experiment-name order, decoders in name order.
int qp_report_collect(const char *path, qp_report_row **rows, size_t *n, qp_err *err);

void qp_report_write_csv(FILE *out, const qp_report_row *rows, size_t n);
void qp_report_print_table(FILE *out, const qp_report_row *rows, size_t n);

// Writes PREFIX_ler_vs_p.{png,svg} (logical error rate vs p, one line per decoder x basis x
// distance, 95 % Wilson error bars) and PREFIX_ler_per_round.{png,svg} (LER per round vs
// distance, one line per decoder x basis x p) with gnuplot. Fails if gnuplot is missing.
int qp_report_plots(const qp_report_row *rows, size_t n, const char *prefix, qp_err *err);

#endif
