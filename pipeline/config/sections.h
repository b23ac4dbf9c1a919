// Internal to pipeline/config: one parser per config section, and the "circuit spec" that the
// experiments list and the train section share (code/distance/rounds/basis/noise or circuit).
#ifndef QP_CONFIG_SECTIONS_H
#define QP_CONFIG_SECTIONS_H

#include "pipeline/config/config.h"
#include "pipeline/config/fields.h"

// The keys that choose a circuit, each possibly a list (expanded as a cartesian product).
typedef struct {
    qp_code code;
    char circuit[QP_CONFIG_PATH_MAX];          // QP_CODE_CIRCUIT: resolved path
    char circuit_stem[QP_CONFIG_NAME_MAX];     // QP_CODE_CIRCUIT: file name without ".stim" ("" if not a valid name)
    const qp_yaml_node *circuit_node;
    int num_distance;
    int distance[QP_CONFIG_MAX_LIST];
    int num_rounds;                             // 1 with rounds[0] == NULL when absent (meaning "d")
    const qp_yaml_node *rounds[QP_CONFIG_MAX_LIST];
    int num_basis;
    qp_basis basis[2];
    int num_noise;
    qp_noise_model noise[2];
    int num_p;
    double p[QP_CONFIG_MAX_LIST];
    double leak_p, leak_mean_rounds;            // noise.leakage {p, mean_rounds}; 0, 0: absent
    double readout_snr, readout_t1;  // noise.readout: snr (0: absent) and t1_over_tint
} qp_cfg_spec;

// Valid keys of a circuit spec, for building a section's key list.
#define QP_CFG_SPEC_KEYS "code", "distance", "rounds", "basis", "noise", "circuit"

// Reads the circuit-spec keys of mapping `entry` (its other keys are the caller's business).
int qp_cfg_parse_spec(const qp_cfg_ctx *c, const qp_yaml_node *entry, const char *where, qp_cfg_spec *spec);
// Reads the mapping `noise` (model, p, leakage, readout; key path "<where>.noise") into spec's
// noise fields (num_noise, noise, num_p, p, leak_*, readout_*).
int qp_cfg_parse_noise(const qp_cfg_ctx *c, const qp_yaml_node *noise, const char *where, qp_cfg_spec *spec);
// Evaluates spec->rounds[i] at distance d into *rounds (1..QP_CONFIG_MAX_ROUNDS).
int qp_cfg_spec_rounds(const qp_cfg_ctx *c, const qp_cfg_spec *spec, const char *where, int i, int d, int *rounds);

int qp_cfg_parse_job(const qp_cfg_ctx *c, const qp_yaml_node *node, qp_job_config *job);
int qp_cfg_parse_train(const qp_cfg_ctx *c, const qp_yaml_node *node, qp_train_config *train);
int qp_cfg_parse_redecode(const qp_cfg_ctx *c, const qp_yaml_node *node, const qp_train_config *train,
                          qp_redecode_config *rd);
// Expands the experiments list into cfg->experiments (cfg->train must already be parsed: the nn
// decoder's model defaults to train.checkpoint).
int qp_cfg_parse_experiments(const qp_cfg_ctx *c, const qp_yaml_node *list, qp_config *cfg);

// Reads a decoders list (names of qp_decoder_id, no repeats) into a bitmask.
int qp_cfg_decoders(const qp_cfg_ctx *c, const qp_yaml_node *n, const char *where, uint32_t *mask);

#endif
