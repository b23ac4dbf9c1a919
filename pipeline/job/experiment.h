// One experiment of a job made ready to run on every rank: its circuit, its detector error
// model and its decoders. Rank 0 builds the circuit text and derives the DEM once; both are
// broadcast as text and parsed by every rank, so all ranks hold identical models.
#ifndef QP_JOB_EXPERIMENT_H
#define QP_JOB_EXPERIMENT_H

#include <mpi.h>
#include <stdint.h>

#include "pipeline/config/config.h"
#include "workers/circuit/circuit.h"
#include "workers/decode/decoder.h"
#include "workers/dem/dem.h"
#include "workers/util/err.h"

typedef struct {
    const qp_experiment *exp;
    qp_circuit circuit;
    char *circuit_text;          // Stim circuit text (stored in the results)
    qp_dem dem;
    char *dem_text;              // Stim .dem text, decomposed (stored in the results)
    uint64_t num_detectors;
    uint32_t num_observables;
    uint64_t rounds;             // rounds of a generated experiment, 0 if unknown
    int num_decoders;
    qp_decoder_id decoder_ids[QP_NUM_DECODERS];  // in qp_decoder_id order
    qp_decoder *decoders[QP_NUM_DECODERS];
} qp_job_experiment;

// Collective. On failure every rank returns -1 with the same message and *je is released.
int qp_job_experiment_setup(qp_job_experiment *je, const qp_experiment *exp, MPI_Comm comm,
                            qp_err *err);
void qp_job_experiment_free(qp_job_experiment *je);

// Builds the Stim text of a generated or file experiment (not collective).
int qp_job_experiment_circuit_text(const qp_experiment *exp, char **text, qp_err *err);

// Collective helper: rank 0's status and message reach every rank. Returns 0 or -1.
int qp_job_bcast_status(MPI_Comm comm, int rc_on_root, qp_err *err);
// Collective helper: rank 0's NUL-terminated string reaches every rank (*s allocated there).
void qp_job_bcast_string(MPI_Comm comm, char **s);

#endif
