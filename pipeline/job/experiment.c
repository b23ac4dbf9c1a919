#include "pipeline/job/experiment.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workers/circuit/surface_code.h"
#include "workers/dem/error_analysis.h"
#include "workers/util/alloc.h"

int qp_job_bcast_status(MPI_Comm comm, int rc_on_root, qp_err *err) {
    int rc = rc_on_root;
    MPI_Bcast(&rc, 1, MPI_INT, 0, comm);
    if (rc == 0) return 0;
    MPI_Bcast(err->msg, sizeof err->msg, MPI_CHAR, 0, comm);
    return -1;
}

void qp_job_bcast_string(MPI_Comm comm, char **s) {
    int rank;
    MPI_Comm_rank(comm, &rank);
    uint64_t len = (rank == 0 && *s) ? strlen(*s) : 0;
    MPI_Bcast(&len, 1, MPI_UINT64_T, 0, comm);
    if (rank != 0) {
        free(*s);
        *s = qp_malloc(len + 1);
    }
    // MPI counts are int: send in pieces so huge texts work too.
    for (uint64_t off = 0; off < len; off += 1u << 30) {
        uint64_t n = len - off < (1u << 30) ? len - off : (1u << 30);
        MPI_Bcast(*s + off, (int)n, MPI_CHAR, 0, comm);
    }
    (*s)[len] = 0;
}

// Text written to a FILE* by a writer callback, returned as a malloc'd string.
static char *capture_circuit_text(const qp_circuit *c, qp_err *err) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) return NULL;
    int rc = qp_circuit_write(c, f, err);
    fclose(f);
    if (rc != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

static char *capture_dem_text(const qp_dem *d, qp_err *err) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) return NULL;
    int rc = qp_dem_write(d, f, err);
    fclose(f);
    if (rc != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

int qp_job_experiment_circuit_text(const qp_experiment *exp, char **text, qp_err *err) {
    *text = NULL;
    qp_circuit c;
    qp_circuit_init(&c);
    int rc;
    if (exp->code == QP_CODE_CIRCUIT) {
        rc = qp_circuit_parse_file(&c, exp->circuit, err);
    } else {
        char basis = exp->basis == QP_BASIS_X ? 'x' : 'z';
        qp_surface_params params =
            exp->noise == QP_NOISE_SI1000
                ? qp_surface_params_si1000(basis, (uint32_t)exp->distance, (uint64_t)exp->rounds, exp->p)
                : qp_surface_params_uniform(basis, (uint32_t)exp->distance, (uint64_t)exp->rounds, exp->p);
        rc = qp_surface_code_generate(&c, &params, err);
    }
    if (rc == 0) {
        *text = capture_circuit_text(&c, err);
        if (!*text) rc = -1;
    }
    qp_circuit_free(&c);
    if (rc != 0) qp_fail_prefix(err, "experiment %s", exp->name);
    return rc;
}

// Rank 0: circuit text and decomposed DEM text.
static int build_on_root(const qp_experiment *exp, char **circuit_text, char **dem_text,
                         qp_err *err) {
    if (qp_job_experiment_circuit_text(exp, circuit_text, err) != 0) return -1;
    qp_circuit c;
    qp_circuit_init(&c);
    int rc = qp_circuit_parse(&c, *circuit_text, exp->name, err);
    qp_dem d;
    qp_dem_init(&d);
    if (rc == 0) {
        qp_error_analysis_options opt = {.decompose_errors = 1, .fold_loops = 0};
        rc = qp_error_analysis(&c, &opt, &d, err);
        if (rc != 0) qp_fail_prefix(err, "experiment %s: detector error model", exp->name);
    }
    if (rc == 0) {
        *dem_text = capture_dem_text(&d, err);
        if (!*dem_text) rc = -1;
    }
    qp_dem_free(&d);
    qp_circuit_free(&c);
    return rc;
}

int qp_job_experiment_setup(qp_job_experiment *je, const qp_experiment *exp, MPI_Comm comm,
                            qp_err *err) {
    memset(je, 0, sizeof *je);
    je->exp = exp;
    qp_circuit_init(&je->circuit);
    qp_dem_init(&je->dem);
    int rank;
    MPI_Comm_rank(comm, &rank);

    int rc = 0;
    if (rank == 0) rc = build_on_root(exp, &je->circuit_text, &je->dem_text, err);
    if (qp_job_bcast_status(comm, rc, err) != 0) goto fail;
    qp_job_bcast_string(comm, &je->circuit_text);
    qp_job_bcast_string(comm, &je->dem_text);

    // Every rank parses the same texts; a failure here would be a bug, reported as such.
    rc = qp_circuit_parse(&je->circuit, je->circuit_text, exp->name, err);
    if (rc == 0) rc = qp_dem_parse(&je->dem, je->dem_text, exp->name, err);
    je->num_detectors = je->circuit.num_detectors;
    je->num_observables = je->circuit.num_observables;
    je->rounds = exp->code == QP_CODE_SURFACE ? (uint64_t)exp->rounds : 0;
    for (int k = 0; rc == 0 && k < QP_NUM_DECODERS; k++) {
        if (!(exp->decoders & QP_DECODER_BIT(k))) continue;
        qp_decoder *dec = qp_decoder_create(qp_decoder_name((qp_decoder_id)k), &je->dem, err);
        if (!dec) {
            qp_fail_prefix(err, "experiment %s: decoder %s", exp->name, qp_decoder_name((qp_decoder_id)k));
            rc = -1;
            break;
        }
        je->decoder_ids[je->num_decoders] = (qp_decoder_id)k;
        je->decoders[je->num_decoders++] = dec;
    }
    // Agree: the lowest failing rank's message wins.
    int any = rc != 0, all_any;
    MPI_Allreduce(&any, &all_any, 1, MPI_INT, MPI_MAX, comm);
    if (!all_any) return 0;
    int who = any ? rank : 1 << 30, first;
    MPI_Allreduce(&who, &first, 1, MPI_INT, MPI_MIN, comm);
    MPI_Bcast(err->msg, sizeof err->msg, MPI_CHAR, first, comm);
fail:
    qp_job_experiment_free(je);
    return -1;
}

void qp_job_experiment_free(qp_job_experiment *je) {
    for (int k = 0; k < je->num_decoders; k++) qp_decoder_free(je->decoders[k]);
    je->num_decoders = 0;
    qp_circuit_free(&je->circuit);
    qp_dem_free(&je->dem);
    free(je->circuit_text);
    free(je->dem_text);
    je->circuit_text = je->dem_text = NULL;
}
