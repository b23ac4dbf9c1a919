// qecpipe report RESULTS.h5 [MORE.h5 ...] [--csv PATH] [--plots PREFIX]
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "pipeline/cli/args.h"
#include "pipeline/cmd/cmd.h"
#include "pipeline/job/report.h"

#define MAX_FILES 256

int cmd_report(int argc, char **argv) {
    const char *csv = NULL, *plots = NULL;
    int quiet = 0;
    const qp_opt opts[] = {
        {"csv", QP_OPT_STR, &csv, "PATH", "write sinter-style CSV (shots,errors,discards,seconds,decoder,strong_id,json_metadata); '-' for stdout"},
        {"plots", QP_OPT_STR, &plots, "PREFIX", "write plots with gnuplot: PREFIX_ler_vs_p, PREFIX_ler_per_round, PREFIX_decoders (vs mwpm), each .png and .svg"},
        {"quiet", QP_OPT_FLAG, &quiet, NULL, "no table on stdout"},
    };
    const char *files[MAX_FILES];
    int nfiles = 0;
    int st = qp_args_parse(argc, argv, "report",
                           "Summarise result files: a table of shots, errors and logical error rates "
                           "(95 % Wilson intervals, per round where rounds are known), a CSV that "
                           "sinter can plot, and gnuplot plots. Several files (e.g. from a Slurm job "
                           "array) are reported together.",
                           "RESULTS.h5 [MORE.h5 ...] [options]", opts, sizeof opts / sizeof opts[0],
                           files, MAX_FILES, &nfiles);
    if (st == QP_ARGS_HELP) return 0;
    if (st != QP_ARGS_OK) return 2;
    if (nfiles == 0) return qp_usage_error("report", "missing RESULTS.h5");

    MPI_Init(&argc, &argv);
    qp_report_row *rows = NULL;
    size_t n = 0;
    qp_err err = {{0}};
    int rc = 0;
    for (int i = 0; rc == 0 && i < nfiles; i++) {
        size_t before = n, unfinished = 0;
        rc = qp_report_collect(files[i], &rows, &n, &err);
        if (rc != 0 && access(files[i], F_OK) != 0) {
            char partial[4200];
            snprintf(partial, sizeof partial, "%s.partial", files[i]);
            if (access(partial, F_OK) == 0)
                qp_fail(&err, "%s does not exist, but %s holds an unfinished run of it (report that file to see "
                              "what its journal holds)", files[i], partial);
        }
        for (size_t k = before; k < n; k++) unfinished += rows[k].unfinished;
        if (unfinished)
            fprintf(stderr, "qecpipe report: %s is an unfinished run: %zu of its %zu rows are in progress, "
                            "counted as far as its journal goes\n", files[i], unfinished, n - before);
    }
    if (rc == 0) qp_report_merge(rows, &n, stderr);
    if (rc == 0 && !quiet) qp_report_print_table(stdout, rows, n);
    if (rc == 0 && csv) {
        int to_stdout = csv[0] == '-' && csv[1] == 0;
        FILE *f = to_stdout ? stdout : fopen(csv, "w");
        if (!f) {
            rc = -1;
            qp_fail(&err, "cannot write %s", csv);
        } else {
            qp_report_write_csv(f, rows, n);
            if (!to_stdout && fclose(f) != 0) rc = qp_fail(&err, "writing %s failed", csv);
        }
    }
    if (rc == 0 && plots) rc = qp_report_plots(rows, n, plots, &err);
    if (rc != 0) fprintf(stderr, "qecpipe report: %s\n", err.msg);
    free(rows);
    MPI_Finalize();
    return rc == 0 ? 0 : 1;
}
