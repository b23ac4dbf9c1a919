// One experiment of a job made ready to run on every rank: its circuit, its detector error
// model(s), its decoders and where its shots come from.
//   - generated or circuit-file experiments (from the config): shots are sampled;
//   - archived experiments (`qecpipe redecode`, Google's layout): shots are read from the
//     folder's detection_events.b8 and obs_flips_actual.{01,b8}.
// Rank 0 builds the texts (circuit, DEM) once; they are broadcast and parsed by every rank,
// so all ranks hold identical models.
#ifndef QP_JOB_EXPERIMENT_H
#define QP_JOB_EXPERIMENT_H

#include <mpi.h>
#include <stdint.h>

#include "pipeline/config/config.h"
#include "pipeline/formats/shot_format.h"
#include "workers/circuit/circuit.h"
#include "workers/decode/decoder.h"
#include "workers/dem/dem.h"
#include "workers/sim/soft_readout.h"
#include "workers/util/err.h"

#define QP_JOB_NAME_MAX 512

// What an experiment is, as stored in the results and the report.
typedef struct {
    char name[QP_JOB_NAME_MAX];   // config name, or the folder path relative to the archive
    char group[QP_JOB_NAME_MAX];  // HDF5 group name under /experiments (escaped name)
    char code[32], basis[8], noise[32];
    uint64_t distance, rounds;    // 0 when unknown
    double p;                     // 0 when unknown
    double leak_p, leak_mean_rounds;  // noise.leakage; 0, 0: none (sampled experiments)
    char source_path[QP_CONFIG_PATH_MAX];  // circuit file or archive folder; "generated" otherwise
    uint64_t stream;              // random stream id (sampled experiments)
    uint64_t max_shots;           // shots to sample, or the shots in the archive's file
    uint64_t max_errors;          // 0: no error budget
    int64_t index;                // position in the job's experiment list
    char model[QP_CONFIG_PATH_MAX];  // the nn decoder's model file ("" when nn is not used)
    uint64_t window, commit;      // matching decoders' window and commit in rounds (0, 0: global
                                  // matching); see qp_job_window_choice
    double readout_snr, readout_t1;  // soft readout (noise.readout); snr 0: none
} qp_experiment_info;

// Where an archived experiment's shots are.
typedef struct {
    char dets_path[QP_CONFIG_PATH_MAX];  // detection_events.b8
    char obs_path[QP_CONFIG_PATH_MAX];   // obs_flips_actual.01 or .b8
    qp_shot_format obs_format;
} qp_archive_files;

typedef struct {
    qp_experiment_info info;
    int archived;                // shots come from `files`, not the sampler
    qp_archive_files files;
    qp_circuit circuit;
    char *circuit_text;          // Stim circuit text (stored in the results)
    qp_dem dem;
    char *dem_text;              // Stim .dem text (decomposed) used for even shots / all shots
    char *dem_odd_text;          // with --dem-by-parity: the DEM for odd shots, else NULL
    uint64_t num_detectors;
    uint32_t num_observables;
    int num_decoders;
    qp_decoder_id decoder_ids[QP_NUM_DECODERS];  // in qp_decoder_id order
    qp_decoder *decoders[QP_NUM_DECODERS];
    qp_decoder *decoders_odd[QP_NUM_DECODERS];   // with --dem-by-parity, for kinds built
                                                 // from a DEM; else NULL
    // Soft readout (info.readout_snr > 0): the circuit is the hard-equivalent one (measurements
    // flip with the model's M, so the DEM weighs them right) and the sampler draws signals.
    qp_soft_readout *readout;    // NULL without soft readout
    uint8_t *reference;          // the circuit's reference sample (orients p1)
} qp_job_experiment;

// Models with more detectors than this are decoded in windows by default (global matching's
// memory grows with the rounds: about 2.4 KB per detector).
#define QP_JOB_GLOBAL_MAX_DETECTORS 100000

// The window and commit an experiment's matching decoders use, updated in place: a configured
// window keeps its commit (default half the window); else a model with more than
// QP_JOB_GLOBAL_MAX_DETECTORS detectors gets W = 10·d rounds committing all but a 2·d buffer
// (W = 100, C = 50 when d is unknown: a circuit file); else global matching (0, 0).
void qp_job_window_choice(uint64_t *window, uint64_t *commit, uint64_t distance, uint64_t num_detectors);

// Collective: a config experiment (generated surface code or circuit file).
int qp_job_experiment_setup(qp_job_experiment *je, const qp_experiment *exp, MPI_Comm comm,
                            qp_err *err);

// How `qecpipe redecode` picks DEMs for an archived folder.
typedef struct {
    const char *dem_name;  // DEM file in the folder, or NULL: circuit_detector_error_model.dem
                           // when present, else derived from the circuit
    int dem_by_parity;     // even shots: pij_from_odd_for_even.dem, odd: pij_from_even_for_odd.dem
    uint32_t decoders;     // bitmask of QP_DECODER_BIT
    const char *model;     // the nn decoder's model file (needed when decoders has nn)
    uint32_t store;        // what the result file keeps per shot: QP_KEEP_* bits (config.h)
    int deflate;           // shuffle + deflate level of per-shot data, 0 (off) to 9
} qp_archive_options;

// Collective: an archived experiment folder (`dir` = archive/rel).
int qp_job_archive_setup(qp_job_experiment *je, const char *archive, const char *rel,
                         const qp_archive_options *opt, MPI_Comm comm, qp_err *err);

void qp_job_experiment_free(qp_job_experiment *je);

// sinter's json_metadata for an experiment: {"name","code","b","d","r","p","noise"} (fields
// that are unknown are left out).
void qp_job_json_metadata(const qp_experiment_info *in, char *buf, size_t cap);

// The HDF5 group name of an experiment name (qp_store_name_escape: '/' becomes %2F).
void qp_job_group_name(const char *name, char *buf, size_t cap);

// Builds the Stim text of a generated or file experiment (not collective).
int qp_job_experiment_circuit_text(const qp_experiment *exp, char **text, qp_err *err);

#endif
