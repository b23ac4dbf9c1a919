// qecpipe dem: derive a circuit's detector error model in Stim's .dem text, as
// `stim analyze_errors` does.
//   qecpipe dem --circuit F.stim [--decompose-errors] [--fold-loops] [--approximate-disjoint-errors]
//               [--out F.dem]
// Writes to stdout, or to --out F as pipeline/output promises (F.partial renamed when
// complete; a device or FIFO written in place; - is stdout).
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/cli/args.h"
#include "pipeline/cmd/cmd.h"
#include "pipeline/output/output.h"
#include "workers/circuit/circuit.h"
#include "workers/dem/dem.h"
#include "workers/dem/error_analysis.h"

static int write_dem_file(const qp_dem *d, const char *out, qp_err *err) {
    qp_output *o;
    if (qp_output_claim(out ? out : "-", &o, err) != 0) return -1;
    FILE *f = qp_output_fopen(o, err);
    if (!f || qp_dem_write(d, f, err) < 0) {
        qp_output_abandon(o, f);
        return -1;
    }
    return qp_output_finish(o, f, err);
}

int cmd_dem(int argc, char **argv) {
    const char *circuit = NULL, *out = NULL;
    int decompose = 0, fold = 0, approximate = 0;
    const qp_opt opts[] = {
        {"circuit", QP_OPT_STR, &circuit, "FILE", "noisy circuit in Stim's format (required)"},
        {"decompose-errors", QP_OPT_FLAG, &decompose, NULL,
         "split errors flipping more than two detectors into graphlike parts joined by ^"},
        {"fold-loops", QP_OPT_FLAG, &fold, NULL,
         "keep periodic REPEAT blocks as repeat blocks (fast for very long experiments)"},
        {"approximate-disjoint-errors", QP_OPT_FLAG, &approximate, NULL,
         "use disjoint cases' probabilities as independent ones where no exact form exists "
         "(PAULI_CHANNEL_2, HERALDED_ERASE, ELSE_CORRELATED_ERROR ...), as Stim's --approximate_disjoint_errors"},
        {"out", QP_OPT_STR, &out, "FILE", "output .dem file (default: stdout)"},
    };
    int rc = qp_args_parse(argc, argv, "dem", "Derive a detector error model from a circuit (Stim .dem).",
                           "--circuit F.stim [--decompose-errors] [--fold-loops] [--approximate-disjoint-errors] [--out F.dem]", opts,
                           (int)(sizeof opts / sizeof opts[0]), NULL, 0, NULL);
    if (rc == QP_ARGS_HELP) return 0;
    if (rc != QP_ARGS_OK) return 2;
    if (!circuit) return qp_usage_error("dem", "--circuit is required");
    qp_circuit c;
    qp_err err = {{0}};
    if (qp_circuit_parse_file(&c, circuit, &err) != 0) {
        fprintf(stderr, "qecpipe dem: %s\n", err.msg);
        return 1;
    }
    qp_error_analysis_options opt = {decompose, fold, !approximate};
    qp_dem d;
    if (qp_error_analysis(&c, &opt, &d, &err) != 0) {
        fprintf(stderr, "qecpipe dem: %s: %s\n", circuit, err.msg);
        qp_circuit_free(&c);
        return 1;
    }
    qp_circuit_free(&c);
    rc = write_dem_file(&d, out, &err);
    qp_dem_free(&d);
    if (rc) {
        fprintf(stderr, "qecpipe dem: %s\n", err.msg);
        return 1;
    }
    return 0;
}
