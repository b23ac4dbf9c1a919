// qecpipe: the single command-line entry point; dispatches to pipeline/cmd/cmd_<name>.c.
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "pipeline/cli/blas_setup.h"
#include "pipeline/cmd/cmd.h"
#include "pipeline/config/shipped.h"
#include "pipeline/version.h"

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} subcommand;

static const subcommand subcommands[] = {
    {"run", cmd_run, "run a job (config) on all MPI ranks into one HDF5 result file"},
    {"redecode", cmd_redecode, "re-decode an archive of experiments (Google's layout) on all MPI ranks"},
    {"report", cmd_report, "summarise result files: table, sinter CSV, gnuplot plots"},
    {"convert", cmd_convert, "convert shot data between Stim formats (01 b8 r8 hits dets ptb64)"},
    {"decode", cmd_decode, "decode shot files with any decoder: matching or the neural one (see its --help)"},
    {"dem", cmd_dem, "derive a detector error model from a circuit (Stim .dem)"},
    {"gen", cmd_gen, "generate a surface-code memory circuit (Stim format)"},
    {"simulate", cmd_simulate, "sample detection events and observable flips from a circuit (or DEM)"},
    {"sample", cmd_sample, "sample the measurement record of a circuit (like stim sample)"},
    {"train", cmd_train, "train the neural decoder data-parallel over MPI ranks"},
};
static const int num_subcommands = sizeof subcommands / sizeof subcommands[0];

static void print_usage(FILE *out) {
    fprintf(out, "Usage: qecpipe <command> [options]   (qecpipe <command> --help for details)\n\nCommands:\n");
    for (int i = 0; i < num_subcommands; i++)
        fprintf(out, "  %-10s %s\n", subcommands[i].name, subcommands[i].summary);
    fprintf(out, "\nOptions:\n  --version  print the version, the source commit and where the shipped configs are\n"
                 "  --help     show this help\n");
}

int main(int argc, char **argv) {
    qp_blas_setup(argv);
    // A closed stdout (`qecpipe run | head -1`) must not kill a job half-way: writes then fail
    // with EPIPE, and the commands stop printing but finish their work.
    signal(SIGPIPE, SIG_IGN);
    if (argc < 2) {
        print_usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        print_usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        char dir[4096];
        qp_shipped_dir(dir, sizeof dir);
        printf("qecpipe %s (commit %s)\n", QECPIPE_VERSION, QECPIPE_COMMIT);
        printf("shipped configs and models: %s\n", dir[0] ? dir : "none found");
        return 0;
    }
    for (int i = 0; i < num_subcommands; i++)
        if (strcmp(argv[1], subcommands[i].name) == 0) return subcommands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "qecpipe: unknown command '%s' (see qecpipe --help)\n", argv[1]);
    return 2;
}
