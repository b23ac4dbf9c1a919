// Command-line flags for qecpipe subcommands. Each subcommand declares a table of options;
// qp_args_parse fills the destinations, prints --help, and reports usage errors in one line.
// Flags are `--name value` or `--name=value`; `--flag` for booleans.
#ifndef QP_CLI_ARGS_H
#define QP_CLI_ARGS_H

#include <stdint.h>

// QP_OPT_SIZE is a uint64_t that sizes an allocation (bits per record, ...): values above
// QP_OPT_SIZE_MAX are a usage error, before anything is allocated.
typedef enum { QP_OPT_STR, QP_OPT_U64, QP_OPT_SIZE, QP_OPT_INT, QP_OPT_DOUBLE, QP_OPT_FLAG } qp_opt_kind;

#define QP_OPT_SIZE_MAX ((uint64_t)1 << 31)
// Most shots one command samples: 2^40 (1.1e12, days of sampling even for a small code);
// more is a typo or a wrapped negative number, refused before anything is opened.
#define QP_SHOTS_MAX ((uint64_t)1 << 40)

typedef struct {
    const char *name;     // without leading dashes, e.g. "out-format"
    qp_opt_kind kind;
    void *dest;           // const char **, uint64_t * (U64, SIZE), int *, double *, int * (flag: set to 1)
    const char *metavar;  // shown in --help, e.g. "FILE"
    const char *help;
} qp_opt;

enum { QP_ARGS_OK = 0, QP_ARGS_HELP = 1, QP_ARGS_USAGE_ERROR = 2 };

// Parses argv[1..argc-1] (argv[0] is the subcommand name). Positional arguments are stored
// in `positional` (up to max_positional). Returns QP_ARGS_OK; QP_ARGS_HELP after printing
// help to stdout (the command then exits 0); QP_ARGS_USAGE_ERROR after printing one line
// "qecpipe CMD: ..." to stderr (the command then exits 2).
int qp_args_parse(int argc, char **argv, const char *command, const char *summary,
                  const char *usage, const qp_opt *opts, int num_opts,
                  const char **positional, int max_positional, int *num_positional);

// For checks after parsing ("--out is required"): prints one line, returns 2.
int qp_usage_error(const char *command, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
