// The typed job configuration: what a QEC researcher writes in a YAML file (configs/*.yaml,
// schema in docs/config.md), loaded, checked and expanded into flat plain-C structs.
//
// Promises:
// - Every error is ONE line naming file:line:column, the key path and what was expected:
//   malformed YAML, unknown key (with the list of valid keys), wrong type, out-of-range value,
//   even distance, missing required key, duplicate key, bad rounds expression.
// - Unknown keys are errors, never ignored. A key whose value is null (`key:` or `key: ~`)
//   counts as absent.
// - The experiments list is expanded (cartesian product of distance x rounds x basis x noise
//   model x p within each entry) into a flat array of qp_experiment, each with a stable name.
// - Everything is plain data: qp_experiment, qp_train_config, qp_redecode_config and qp_job_config
//   hold no pointers (fixed-size strings), so an array of them can be sent as bytes. The
//   simplest way for MPI ranks to agree is to broadcast `text` and `source` and call
//   qp_config_load_text on every rank: loading is deterministic and touches no file.
// - Loading checks the syntax and ranges of paths but never opens them (the circuit, model
//   and archive files are opened by the stage that uses them).
//
// Relative input paths (experiments[].circuit, experiments[].model, redecode.archive,
// redecode.model, train.circuit, train.init) are resolved against the directory of the config
// file, so a config works from any working directory. Output paths (job.output,
// train.checkpoint) are kept as written, relative to the working directory, like --out.
#ifndef QP_CONFIG_CONFIG_H
#define QP_CONFIG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "workers/decode/decoder.h"
#include "workers/util/err.h"

#define QP_CONFIG_NAME_MAX 128          // names (job, experiment), including the NUL
#define QP_CONFIG_PATH_MAX 1024         // paths, including the NUL
#define QP_CONFIG_MAX_EXPERIMENTS 10000  // an expansion larger than this is an error (~2.2 kB each)
#define QP_CONFIG_MAX_LIST 1024         // longest list of values for one key

// Which circuit an experiment runs.
typedef enum {
    QP_CODE_SURFACE = 0,  // rotated surface-code memory experiment, generated from (d, rounds, basis, noise, p)
    QP_CODE_CIRCUIT = 1,  // a Stim circuit file given by path (`circuit:` key)
    QP_CODE_REPETITION = 2,  // repetition-code memory experiment (Z basis, uniform noise), from (d, rounds, p)
} qp_code;

// The logical observable a memory experiment protects.
typedef enum { QP_BASIS_X = 0, QP_BASIS_Z = 1 } qp_basis;

// Circuit-level noise model applied to a generated circuit.
typedef enum {
    QP_NOISE_NONE = 0,     // circuit experiments: the noise is whatever the file contains
    QP_NOISE_UNIFORM = 1,  // uniform depolarizing: p after every gate, on idles, resets, measurements
    QP_NOISE_SI1000 = 2,   // superconducting-inspired SI1000 (Gidney et al. 2021): base p, 5p measurement flips
} qp_noise_model;

// Decoders are the qp_decoder_id indices of the table in workers/decode/decoder.h; an
// experiment's `decoders` field is a bitmask of QP_DECODER_BIT(k). Iterate in the table's
// order: for (k = 0; k < QP_NUM_DECODERS; k++) if (mask & QP_DECODER_BIT(k)).
#define QP_DECODER_BIT(k) (1u << (k))

// Pipeline stages `qecpipe run` executes, as a bitmask, always in this order:
// train, simulate, decode, redecode, report.
typedef enum {
    QP_STAGE_TRAIN = 1u << 0,     // train the neural decoder (needs the `train` section)
    QP_STAGE_SIMULATE = 1u << 1,  // sample shots for each experiment (needs `experiments`)
    QP_STAGE_DECODE = 1u << 2,    // decode the sampled shots with each experiment's decoders
    QP_STAGE_REDECODE = 1u << 3,  // re-decode an archive (needs the `redecode` section)
    QP_STAGE_REPORT = 1u << 4,    // print the summary table / write the report
} qp_stage;
#define QP_NUM_STAGES 5

// One experiment after expansion: a single circuit, its decoders and its stopping rule.
typedef struct {
    char name[QP_CONFIG_NAME_MAX];  // stable, unique name; HDF5 group /experiments/<name>. Generated
                                    // experiments: "surface_<basis>_d<d>_r<rounds>_<noise>_p<p>",
                                    // e.g. "surface_x_d5_r5_uniform_p0.003" (p printed with the fewest
                                    // significant digits that read back as the same double, %g style).
                                    // Circuit experiments: the `name` key, else the file name without
                                    // ".stim". Characters are limited to [A-Za-z0-9_.-].
    uint64_t stream;       // 64-bit hash of `name`: the stream id for randomness, so adding or
                           // reordering experiments does not change the shots of the others.
                           // Task t draws from qp_rng_stream(&r, job.seed, stream, t).
    qp_code code;          // QP_CODE_SURFACE or QP_CODE_CIRCUIT
    int distance;          // code distance, odd, 3..QP_CONFIG_MAX_DISTANCE; 0 for circuit experiments
    int rounds;            // syndrome-extraction rounds >= 1; 0 for circuit experiments
    qp_basis basis;        // memory basis; QP_BASIS_Z (unused) for circuit experiments
    qp_noise_model noise;  // noise model; QP_NOISE_NONE for circuit experiments
    double p;              // physical error rate in (0, 0.5) (si1000: (0, 0.1)); 0 for circuit experiments
    double leak_p, leak_mean_rounds;  // noise.leakage (workers/sim/frame_leak.h); 0, 0: no leakage.
                                      // With leakage the name ends in _leak<p>_m<mean_rounds>
    char circuit[QP_CONFIG_PATH_MAX];  // circuit experiments: resolved path of the .stim file; "" otherwise
    uint32_t decoders;     // bitmask of QP_DECODER_BIT(qp_decoder_id); never 0
    uint64_t max_shots;    // stopping rule: stop after this many shots (>= 1)
    uint64_t max_errors;   // stopping rule: stop once every decoder in the mask has seen at least this
                           // many logical errors (>= 1); UINT64_MAX when not set (no limit)
    double readout_snr;    // noise.readout (soft readout, workers/sim/soft_readout.h): snr, 0 = none
    double readout_t1;     // noise.readout.t1_over_tint (INFINITY: no decay); 0 without readout
    char model[QP_CONFIG_PATH_MAX];  // nn decoder's model .h5 (resolved path); "" when nn is not used or uses the shipped model
    uint64_t window;       // `window:` rounds per decoding window (workers/decode/window.h); 0 = not
                           // set: global matching for small models, windows for long ones (job)
    uint64_t commit;       // `commit:` rounds committed per window; 0 = window / 2
    int entry;             // index of the `experiments:` list entry this came from
    int line;              // line in the config file of that entry (for messages)
} qp_experiment;

// What `job.store` keeps of each shot in the result file (docs/hdf5-layout.md), as bits of
// qp_job_config.store; the statistics are always kept.
#define QP_KEEP_PREDICTIONS (1u << 0)  // decoders/<decoder>/predictions
#define QP_KEEP_WEIGHTS (1u << 1)      // decoders/<decoder>/weights (matching decoders, ml)
#define QP_KEEP_CONFIDENCE (1u << 2)   // decoders/nn/confidence
#define QP_KEEP_SAMPLES (1u << 3)      // detectors and observables
#define QP_KEEP_SOFT (1u << 4)         // soft: p1 per measurement (experiments with noise.readout)
#define QP_KEEP_DEFAULT QP_KEEP_PREDICTIONS
// The names of the bits, in bit order, NULL-terminated: predictions, weights, confidence, samples,
// soft.
extern const char *const qp_keep_names[];
// A comma-separated list of those names ("" keeps nothing per shot) -> bits. On an unknown name:
// -1 with err naming it and the valid names.
int qp_keep_parse(const char *list, uint32_t *bits, qp_err *err);

// `job:` section.
typedef struct {
    char name[QP_CONFIG_NAME_MAX];     // job name ([A-Za-z0-9_.-]), stored in the output file
    uint64_t seed;                     // job seed; every random stream derives from it
    char output[QP_CONFIG_PATH_MAX];   // result file path (default "results.h5"), as written
    uint32_t store;                    // what is kept per shot: bits QP_KEEP_* (`job.store`, default
                                       // predictions; the old `store_samples: true` adds samples)
    int deflate;                       // `job.deflate`: shuffle + deflate level 0..9 of per-shot data (0: off)
    uint64_t shots_per_task;           // shots per scheduler task (default 10000, >= 1)
    uint32_t stages;                   // bitmask of qp_stage; default: every stage whose section is present
                                       // (train if `train`, simulate+decode if `experiments`, redecode if
                                       // `redecode`, report if experiments or redecode)
} qp_job_config;

// What a training run samples, with the same meaning as in qp_experiment (single values, no
// lists): the whole run's (qp_train_config.data) or one curriculum stage's (qp_train_stage.data).
typedef struct {
    qp_basis basis;
    qp_noise_model noise;
    double p;
    double leak_p, leak_mean_rounds;  // noise.leakage
    double readout_snr, readout_t1;   // noise.readout: the model takes soft inputs; in a curriculum
                                      // on in every stage or in none
    char name[QP_CONFIG_NAME_MAX];    // the experiment name of the data (same naming rule)
} qp_train_data;

// One stage of `train.curriculum` (docs/config.md): the training shots of a range of steps.
// Keys a stage omits are the train section's own.
#define QP_TRAIN_MAX_STAGES 16
typedef struct {
    uint64_t steps;         // optimiser steps of the stage (>= 1); stages follow each other
    uint64_t batch_size;    // shots per step, summed over all ranks
    qp_train_data data;
    int line, col;          // position of the stage's batch_size (else the stage) in the config
} qp_train_stage;

// `train:` section: the neural decoder's training run (data, model size, optimisation).
typedef struct {
    bool present;          // the section was given
    // What to train on (same meaning as in qp_experiment; single values, no lists):
    qp_code code;
    int distance, rounds;
    qp_train_data data;                // the run's own; a curriculum's stages carry theirs
    char circuit[QP_CONFIG_PATH_MAX];  // resolved path, "" when generated
    // Optimisation:
    uint64_t steps;        // optimiser steps (>= 1; default 1000)
    uint64_t batch_size;   // shots per step, summed over all ranks (1..1048576; default 64)
    double learning_rate;  // peak learning rate in (0, 1] (default 1e-3)
    uint64_t warmup_steps; // linear warmup steps, then cosine decay (<= steps; default 100)
    double weight_decay;   // decoupled weight decay in [0, 1) (default 1e-4)
    double grad_clip;      // clip gradients to this global norm; 0 = off (default 1.0)
    double aux_weight;     // weight of the next-round detection-event loss, 0..100 (default 0.5)
    // Model size:
    int hidden;            // state width H per stabilizer (1..4096, multiple of heads; default 64)
    int layers;            // syndrome-transformer layers per round (1..64; default 2)
    int heads;             // attention heads (1..64; default 4)
    // Opt-in AlphaQubit structure (workers/nn/nn_model.h); the defaults are the original model:
    bool attention_bias_geometric;  // attention_bias: geometric | table (default table)
    int attention_bias_radius;      // grid offsets beyond it share a bias (1..16; default 4)
    bool stabilizer_embedding_type; // stabilizer_embedding: type | table (default table)
    int num_conv_dilations;         // conv_dilations: [1, 2] (0..4 values 1..8; default none)
    int conv_dilations[4];
    bool ffn_gated;                 // ffn: gated | plain (default plain)
    bool readout_lines;             // readout: lines | mean (default mean)
    // Evaluation and checkpoints:
    uint64_t eval_every;       // evaluate on the held-out set every N steps; 0 = never (default 100)
    uint64_t eval_shots;       // held-out shots (>= 1; default 10000)
    uint64_t checkpoint_every; // checkpoint every N steps; 0 = only at the end and on SIGTERM (default 100)
    char checkpoint[QP_CONFIG_PATH_MAX];  // checkpoint / final model path, as written (default "model.h5")
    char init[QP_CONFIG_PATH_MAX];        // start from this model (fine-tuning), resolved; "" = random init
    // Training on archived shots (fine-tuning on device data) instead of sampled ones:
    char archive[QP_CONFIG_PATH_MAX];     // archive root in Google's layout, resolved; "" = sample shots.
                                          // Excludes code/circuit/distance/rounds/basis/noise (code is then
                                          // QP_CODE_CIRCUIT with circuit "": the archive's circuit is used)
    double holdout_fraction;   // shots held out for evaluation, the last part of each folder (default 0.1)
    uint64_t holdout_shots;    // or this many in all (split over the folders by size); 0 = use the fraction
    // train.curriculum (generated circuits only, not with archive): the stages in order; steps is
    // then their sum. 0 stages: the whole run trains on the section's own circuit and batch_size.
    int num_stages;
    qp_train_stage stages[QP_TRAIN_MAX_STAGES];
} qp_train_config;

// `redecode:` section: decode an archive of experiments in Google's published layout.
typedef struct {
    bool present;                       // the section was given
    char archive[QP_CONFIG_PATH_MAX];   // archive root directory (resolved path)
    uint32_t decoders;                  // bitmask of QP_DECODER_BIT(qp_decoder_id) (default mwpm)
    char dem_name[QP_CONFIG_NAME_MAX];  // DEM file name inside each experiment folder; "" = default
                                        // (circuit_detector_error_model.dem if present, else from the circuit)
    bool dem_by_parity;                 // even shots with pij_from_odd_for_even.dem, odd shots with
                                        // pij_from_even_for_odd.dem (excludes dem_name)
    char model[QP_CONFIG_PATH_MAX];     // nn model (resolved); "" when nn is not used
} qp_redecode_config;

// A loaded configuration. Zero-initialise before loading; release with qp_config_free.
typedef struct {
    char source[QP_CONFIG_PATH_MAX];  // file name used in messages and for resolving relative paths
    char *text;                       // the raw YAML text, NUL-terminated (stored in the HDF5 output)
    size_t text_len;                  // strlen(text)
    qp_job_config job;
    qp_experiment *experiments;       // (num_experiments,) in expansion order (see docs/config.md)
    int num_experiments;
    qp_train_config train;
    qp_redecode_config redecode;
} qp_config;

#define QP_CONFIG_MAX_DISTANCE 101
#define QP_CONFIG_MAX_ROUNDS 10000000

// Reads and loads the file at `path`. Equivalent to reading it and calling
// qp_config_load_text(text, path, ...). On failure *cfg is left zeroed and err holds one line
// "path:line:col: key.path: message".
int qp_config_load_file(const char *path, qp_config *cfg, qp_err *err);

// Loads from a NUL-terminated YAML text. `name` is the file name used in messages and whose
// directory anchors relative input paths (a name without '/' means the working directory).
int qp_config_load_text(const char *text, const char *name, qp_config *cfg, qp_err *err);

// Releases what a load allocated and zeroes *cfg. Safe on a zeroed or already-freed config.
void qp_config_free(qp_config *cfg);

// Index of the experiment with this name, or -1.
int qp_config_find_experiment(const qp_config *cfg, const char *name);

// Names used in the YAML and in experiment names ("x", "uniform", "mwpm-corr", "simulate", ...).
const char *qp_basis_name(qp_basis b);
const char *qp_noise_name(qp_noise_model m);
const char *qp_code_name(qp_code c);
const char *qp_stage_name(qp_stage s);  // s is a single bit

// Writes the stable experiment name for these fields (the rule documented at qp_experiment.name)
// into buf. Circuit experiments need their name set by the caller; this handles generated ones.
// Surface codes: surface_<basis>_d<d>_r<rounds>_<noise>_p<p>; repetition codes:
// repetition_d<d>_r<rounds>_uniform_p<p>.
void qp_experiment_generated_name(qp_code code, qp_basis basis, int distance, int rounds, qp_noise_model noise,
                                  double p, char *buf, size_t cap);

#endif
